"""Regression tests for inputs that once harmed a process (found by
test_fuzz.py and by hand), each reduced to the smallest case.
"""
import resource
import socket
import time

from moattest import Client, Moatd, main, test, wait_for


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])       # utime + stime


@test
def descriptor_exhaustion_does_not_spin_netd():
    """More clients than netd has descriptors: netd used to spin at
    100% CPU on accept() failing with EMFILE, forever."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (128, hard))
    try:
        d = Moatd(name="fd")            # inherits the low limit
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    socks = []
    try:
        d.wait_port()
        kids = d.wait_children()
        for i in range(200):
            socks.append(socket.create_connection(("127.0.0.1", d.port),
                                                  5))
        d.wait_log("new connections wait")
        t0 = cpu_ticks(kids["netd"])
        time.sleep(1.0)
        used = cpu_ticks(kids["netd"]) - t0
        assert used < 50, "netd used %d ticks in 1 s" % used
        for s in socks:
            s.close()
        socks = []

        def served():
            try:
                c = Client(d.port, timeout=1.0)
            except (OSError, EOFError):
                return False
            ok = "tock" in c.call("get_tock")
            c.close()
            return ok
        wait_for(served, 20.0, what="a client served again")
        assert d.children() == kids, "a child restarted"
    finally:
        for s in socks:
            s.close()
        d.cleanup()


@test
def file_names_cannot_forge_log_lines():
    """save and log took any file name and logged it as given: a
    newline in it wrote a line of the client's choosing into the log."""
    d = Moatd(name="fn")
    try:
        d.wait_port()
        c = Client(d.port)
        forged = "x\nmoatd[1]: moatd: core died"
        for action in ("save", "log"):
            for name in (forged, "a\x01b", "tab\there", "del\x7f"):
                r = c.call(action, path=name)
                assert r.get("error") == \
                    "file name contains a control character", (name, r)
        assert c.call("save", path="plain")["result"] is True
        assert "core died" not in d.logtext()
        c.close()
    finally:
        d.cleanup()


if __name__ == "__main__":
    main()
