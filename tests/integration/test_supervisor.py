"""The master: five sandboxed children, restarts, backoff, shutdown.

Issue 2's acceptance: all five children up within 1 s; kill -9 of any
child replaced within 1 s while the others keep their pids; a child that
dies on every start retried with growing delays; SIGTERM ends everything
within 3 s with exit 0; children notice a dead master; bad config is a
clear error with exit code 1; a seccomp violation is reported by name.
"""
import os
import re
import signal
import subprocess
import tempfile
import time

from moattest import (BIN, ROLES, Moatd, main, pid_alive, test, wait_for)


@test
def children_up_within_1s():
    d = Moatd()
    try:
        t0 = time.monotonic()
        kids = d.wait_children(timeout=1.0)
        assert time.monotonic() - t0 <= 1.0
        assert sorted(kids) == sorted(ROLES), kids
        assert len(set(kids.values())) == 5
    finally:
        d.cleanup()


@test
def children_are_sandboxed():
    d = Moatd()
    try:
        kids = d.wait_children()
        for role, pid in kids.items():
            def status():
                with open("/proc/%d/status" % pid) as f:
                    st = f.read()
                # a child just exec'ed may not have sandboxed itself yet
                return st if re.search(r"^Seccomp:\s+2$", st, re.M) \
                    else None
            status = wait_for(status, timeout=1.0, what=role + " sandbox")
            assert re.search(r"^NoNewPrivs:\s+1$", status, re.M), role
            if os.geteuid() == 0:
                uid = re.search(r"^Uid:\s+(\d+)", status, re.M).group(1)
                assert uid != "0", (role, uid)
                root = os.readlink("/proc/%d/root" % pid)
                want = d.state if role == "core" else \
                    os.path.join(d.state, "empty")
                assert os.path.realpath(root) == os.path.realpath(want), \
                    (role, root)
    finally:
        d.cleanup()


@test
def kill9_each_child_is_replaced():
    d = Moatd()
    try:
        kids = d.wait_children()
        for role in ROLES:
            before = d.children()
            os.kill(before[role], signal.SIGKILL)
            t0 = time.monotonic()
            after = wait_for(lambda: (lambda c: c if role in c and
                                      c[role] != before[role] else None)(
                d.children()), timeout=1.0, what="new " + role)
            assert time.monotonic() - t0 <= 1.0
            for other in ROLES:
                if other != role:
                    assert after[other] == before[other], (role, other)
            d.wait_log("moatd: %s (pid %d) killed by signal 9"
                       % (role, before[role]))
        assert d.proc.poll() is None
    finally:
        d.cleanup()


def _fake_libexec(tmp, role, script):
    """A libexec dir with the real children except `role`."""
    lx = os.path.join(tmp, "libexec")
    os.mkdir(lx)
    for r in ROLES:
        dst = os.path.join(lx, "moat-" + r)
        if r == role:
            with open(dst, "w") as f:
                f.write(script)
            os.chmod(dst, 0o755)
        else:
            os.symlink(os.path.join(BIN, "moat-" + r), dst)
    return lx


@test
def crash_loop_backs_off():
    tmp = tempfile.mkdtemp(prefix="moat-lx-")
    lx = _fake_libexec(tmp, "runnerd", "#!/bin/sh\nexit 3\n")
    d = Moatd(libexec=lx)
    try:
        d.wait_children(roles=("core", "netd", "syncd", "authd"))
        delays = wait_for(lambda: (lambda m: m if len(m) >= 5 else None)(
            re.findall(r"restarting moatd: runnerd in ([0-9.]+) s",
                       d.logtext())), timeout=10, what="5 restarts")
        delays = [float(x) for x in delays]
        assert all(b > a for a, b in zip(delays, delays[1:5])), delays
        assert "moatd: runnerd (pid" in d.logtext()
        assert "exited with code 3" in d.logtext()
        # the healthy children were never disturbed
        kids = d.children()
        time.sleep(0.3)
        assert all(d.children()[r] == kids[r]
                   for r in ("core", "netd", "syncd", "authd"))
    finally:
        d.cleanup()
        subprocess.call(["rm", "-rf", tmp])


@test
def sigterm_stops_everything_within_3s():
    d = Moatd()
    try:
        kids = d.wait_children()
        t0 = time.monotonic()
        rc = d.stop(timeout=3.0)
        assert rc == 0, rc
        assert time.monotonic() - t0 <= 3.0
        for pid in kids.values():
            assert not pid_alive(pid), pid
        assert not os.path.exists(os.path.join(d.state, "moatd.sock"))
    finally:
        d.cleanup()


@test
def sigint_stops_too():
    d = Moatd()
    try:
        d.wait_children()
        d.proc.send_signal(signal.SIGINT)
        assert d.proc.wait(3) == 0
    finally:
        d.cleanup()


@test
def children_exit_when_master_dies():
    d = Moatd()
    try:
        kids = d.wait_children()
        os.kill(d.pid, signal.SIGKILL)
        d.proc.wait(2)
        wait_for(lambda: not any(pid_alive(p) for p in kids.values()),
                 timeout=1.0, what="orphans to exit")
    finally:
        d.cleanup()


def _run_fail(*args):
    tmp = tempfile.mkdtemp(prefix="moat-bad-")
    try:
        p = subprocess.run([os.path.join(BIN, "moatd"), "-D", tmp] +
                           list(args), capture_output=True, timeout=10)
        return p.returncode, p.stderr.decode()
    finally:
        subprocess.call(["rm", "-rf", tmp])


@test
def bad_config_names_the_key():
    rc, err = _run_fail("-C", "kv.server.bind_default.port=70000", "n")
    assert rc == 1, (rc, err)
    assert "kv.server.bind_default.port" in err, err
    rc, err = _run_fail("-C", "kv.server.fsync=sometimes", "n")
    assert rc == 1 and "kv.server.fsync" in err, err
    rc, err = _run_fail("-C", "novalue", "n")
    assert rc == 1 and "novalue" in err, err
    rc, err = _run_fail("-c", "/nonexistent/moatd.conf", "n")
    assert rc == 1 and "/nonexistent/moatd.conf" in err, err


@test
def bad_yaml_names_file_and_line():
    tmp = tempfile.mkdtemp(prefix="moat-bad-")
    path = os.path.join(tmp, "bad.conf")
    with open(path, "w") as f:
        f.write("kv:\n  server:\n    bind_default: [unclosed\n")
    try:
        rc, err = _run_fail("-c", path, "n")
        assert rc == 1, rc
        assert path in err and ":" in err, err
    finally:
        subprocess.call(["rm", "-rf", tmp])


@test
def usage_without_name():
    rc, err = _run_fail()
    assert rc == 1 and "usage: moatd" in err, err


@test
def seccomp_violation_is_reported_by_name():
    tmp = tempfile.mkdtemp(prefix="moat-lx-")
    lx = _fake_libexec(tmp, "authd", "")
    os.unlink(os.path.join(lx, "moat-authd"))
    os.symlink(os.path.join(os.environ["MOAT_TESTS"], "helpers",
                            "sandbox_violator"),
               os.path.join(lx, "moat-authd"))
    d = Moatd(libexec=lx)
    try:
        d.wait_log("killed by signal %d" % signal.SIGSYS, timeout=5)
        assert re.search(r"seccomp violation, system call \d+ \(socket\)",
                         d.logtext()), d.logtext()
    finally:
        d.cleanup()
        subprocess.call(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
