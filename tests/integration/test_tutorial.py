"""The tutorial's "Start the server" and "Data commands" sections, run
verbatim with moatctl in place of "moat kv" against a real moatd, and
moatctl's data commands around them: errors, set/delete preconditions,
list, update, monitor with a second moatctl making the change, and the
internal commands.

Outputs are compared exactly.  The one liberty: the tutorial's "_: "
line ends in a blank that no YAML emitter writes (it is in the reST
source), so listings are compared without blanks at line ends.
"""
import os
import re
import subprocess

import moattest
from moattest import (Client, Moatd, MoatctlStream, Mosquitto, Path, main,
                      moatctl, test, wait_for)
from synclib import FAST

TUTORIAL = "/work/shared/seeds/002_6104d7b939fc8928.txt"

# The tutorial's "Data commands" session, as printed there.
DATA_SESSION = [
    ("mkd one.two.three set -e : 123", ""),
    ("mkd one.two.three.four set -e : 1234", ""),
    ("mkd one.two.three.four.five set -v one XXX -e two 2", ""),
    ("mkd one.two.three", "123\n"),
    ("mkd one.two.three.four.five", "one: XXX\ntwo: 2\n"),
    ("mkd one.two.three.four.five set -e one 1", ""),
    ("mkd one.two.three.four.five", "one: 1\ntwo: 2\n"),
    ("mkd one get -rd_",
     "two:\n"
     "  three:\n"
     "    _: 123\n"
     "    four:\n"
     "      _: 1234\n"
     "      five:\n"
     "        _: \n"
     "          one: 1\n"
     "          two: 2\n"),
]


def eq(got, want):
    assert got == want, "got:\n%s\nwant:\n%s" % (got, want)


def rstrip_lines(s):
    return re.sub(r"[ \t]+\n", "\n", s)


def server():
    d = Moatd(name="tut", args=("-i", "Testing"))
    d.wait_port()
    # as the tutorial's "Running.": the server is ready for clients
    d.wait_log("Running.")
    return d


def mkd(d, *args, **kw):
    return moatctl(d.port, "data", *args, **kw)


def ok(d, *args, **kw):
    rc, out, err = mkd(d, *args, **kw)
    assert rc == 0 and err == "", (args, rc, out, err)
    return out


def fails(d, *args, **kw):
    rc, out, err = mkd(d, *args, **kw)
    assert rc != 0 and out == "", (args, rc, out, err)
    return err


@test
def tutorial_text_is_what_we_check():
    """The listings above are the tutorial's own (guards typos here)."""
    try:
        with open(TUTORIAL) as f:
            text = f.read()
    except OSError:
        return          # the seeds are not shipped with the code
    assert "   $ moat kv data :\n   \"Testing\"\n" in text
    for cmd, out in DATA_SESSION:
        ind = "    " if cmd.endswith("-rd_") else "   "
        block = ind + "$ " + cmd + "\n" + "".join(
            ind + l + "\n" for l in out.splitlines())
        assert block in text, block


@test
def start_the_server():
    d = server()
    try:
        rc, out, err = moatctl(d.port, "data", ":")
        assert (rc, out, err) == (0, '"Testing"\n', ""), (rc, out, err)
    finally:
        d.cleanup()


@test
def a_second_server_joins():
    """The tutorial's two servers: "one" started with -i Testing, "two"
    joins through the broker and then shows the root value; "one",
    killed and started again without -i (and, here, without its state),
    gets it back from "two"."""
    b = Mosquitto()
    ds = []

    def start(name, *extra):
        d = Moatd(name=name, args=["-C", "kv.server.mqtt.uri=" + b.uri()]
                  + FAST + list(extra))
        ds.append(d)
        d.wait_port()
        d.wait_log("Running.")
        return d

    def shows_testing(d):
        return moatctl(d.port, "data", ":") == (0, '"Testing"\n', "")
    try:
        one = start("one", "-i", "Testing")
        assert shows_testing(one)
        two = start("two")
        wait_for(lambda: shows_testing(two), 15, step=0.2,
                 what='"Testing" on two')
        one.cleanup()
        one = start("one")
        wait_for(lambda: shows_testing(one), 15, step=0.2,
                 what='"Testing" on the restarted one')
        rc, out, err = moatctl(one.port, "data", "more", "set", "-v", ":",
                               "x")
        assert rc == 0, (rc, out, err)
        wait_for(lambda: moatctl(two.port, "data", "more") ==
                 (0, '"x"\n', ""), 15, step=0.2,
                 what="one's new value on two")
    finally:
        for d in ds:
            d.cleanup()
        b.cleanup()


@test
def data_commands_verbatim():
    d = server()
    try:
        for cmd, want in DATA_SESSION:
            args = cmd.split()[1:]
            got = ok(d, *args)
            assert rstrip_lines(got) == rstrip_lines(want), \
                "%s:\n%s\nwant:\n%s" % (cmd, got, want)
    finally:
        d.cleanup()


@test
def data_commands_in_a_shell():
    """The session as the tutorial types it, mkd() and all."""
    d = server()
    try:
        script = 'mkd() { %s -h 127.0.0.1 -p %d data "$@"; }\n' % (
            os.path.join(moattest.BIN, "moatctl"), d.port)
        script += "".join(cmd + "\n" for cmd, _ in DATA_SESSION)
        r = subprocess.run(["sh", "-e", "-c", script], capture_output=True,
                           text=True, timeout=30)
        eq((r.returncode, r.stderr), (0, ""))
        eq(rstrip_lines(r.stdout),
           rstrip_lines("".join(out for _, out in DATA_SESSION)))
    finally:
        d.cleanup()


@test
def get_recursive_list_and_depths():
    d = server()
    try:
        for cmd, _ in DATA_SESSION[:3]:
            ok(d, *cmd.split()[1:])
        eq(ok(d, "one", "get", "-r"), (
            "- !P two.three: 123\n"
            "- !P two.three.four: 1234\n"
            "- !P two.three.four.five:\n"
            "    one: XXX\n"
            "    two: 2\n"))
        eq(ok(d, "one.two", "get", "-r", "-m", "1"), "- !P three: 123\n")
        eq(ok(d, "one.two", "get", "-r", "-M", "2", "-d", "_"),
           "three:\n  four:\n    _: 1234\n    five:\n      _:\n"
           "        one: XXX\n        two: 2\n")
        eq(ok(d, "one", "list"), "- !P two\n")
        eq(ok(d, "one.two.three", "list"), "- !P four\n")
        eq(ok(d, "one", "list", "-d", "_"), "two: null\n")
        # a missing entry has no value: nothing is printed
        eq(ok(d, "nothing.here"), "")
        err = fails(d, "nothing.here", "get", "-r")
        assert err.startswith("ServerError: KeyError("), err
    finally:
        d.cleanup()


@test
def set_values_and_subpaths():
    d = server()
    try:
        ok(d, "v", "set", "-e", ":",
           "{'i': -5, 'f': 1.5, 'b': b'\\x00', 't': (1, 'a'), 'z': None}")
        eq(ok(d, "v"), ("i: -5\nf: 1.5\nb: !!binary |\n  AA==\n"
                        "t:\n- 1\n- a\nz: null\n"))
        ok(d, "v", "set", "-e", "i", "-", "-v", "s", "123", "-e", "x.w",
           "True")
        eq(ok(d, "v"), ("f: 1.5\nb: !!binary |\n  AA==\n"
                        "t:\n- 1\n- a\nz: null\ns: '123'\n"
                        "x:\n  w: true\n"))
        ok(d, "v", "set", "-p", ":", "a.b:5")
        eq(ok(d, "v"), "!P a.b:5\n")
        ok(d, "s", "set", "-v", ":", "text")
        eq(ok(d, "s", "get", "-R"), "text")
        # the whole value cannot be combined with other changes
        err = fails(d, "v", "set", "-v", ":", "x", "-v", "a", "y")
        assert "replacing the whole value" in err, err
        # "-e : -" deletes the entry
        ok(d, "s", "set", "-e", ":", "-")
        eq(ok(d, "s"), "")
    finally:
        d.cleanup()


@test
def add_dates():
    import time
    d = server()
    try:
        now = int(time.time())
        ok(d, "ts", "set", "-e", ":", "{'t': %d, 'x': 1}" % now)
        want = time.strftime("%Y-%m-%d %H:%M:%S.000", time.localtime(now))
        eq(ok(d, "ts", "get", "-D"),
           "t: %d\nx: 1\n_t: '%s'\n" % (now, want))
        eq(ok(d, "ts", "get", "-rD"),
           "- !P ':':\n    t: %d\n    x: 1\n    _t: '%s'\n" % (now, want))
        eq(ok(d, "ts"), "t: %d\nx: 1\n" % now)
    finally:
        d.cleanup()


@test
def path_and_literal_errors_point_at_the_character():
    d = server()
    try:
        err = fails(d, "one..two")
        assert err == ("moatctl: bad path: unexpected '.' at position 5\n"
                       "  one..two\n"
                       "      ^\n"), err
        err = fails(d, "a", "set", "-e", ":", "1 + 2")
        assert err == "moatctl: -e ':' '1 + 2': unexpected '+' at " \
            "position 3\n", err
        err = fails(d, "a", "set", "-e", ":", "[1, 2")
        assert "at position 6" in err, err
        err = fails(d, "a", "set", "-v", "x..y", "1")
        assert "-v 'x..y' '1': unexpected '.' at position 3" in err, err
        # nothing was written
        eq(ok(d, "a"), "")
    finally:
        d.cleanup()


@test
def set_preconditions():
    d = server()
    try:
        ok(d, "test", "set", "-n", "-v", ":", "x")
        err = fails(d, "test", "set", "-n", "-v", ":", "yy")
        assert err == "ServerError: ClientChainError('Entry already " \
            "exists at test')\n", err
        eq(ok(d, "test"), '"x"\n')
        # a stale --last is refused, as is a wrong --prev
        err = fails(d, "test", "set", "-l", "tut", "999999", "-v", ":", "yy")
        assert err.startswith("ServerError: ClientChainError('Chain is "), \
            err
        err = fails(d, "test", "set", "--prev", "nope", "-v", ":", "yy")
        assert err.startswith("ServerError: ClientError(\"Data is 'x' "
                              "not 'nope'"), err
        ok(d, "test", "set", "--prev", "x", "-v", ":", "yy")
        eq(ok(d, "test"), '"yy"\n')
        # -m shows the chain that --last names
        rc, out, err = moatctl(d.port, "-m", "data", "test")
        assert rc == 0 and out.startswith("value: yy\nchain:\n  node: tut\n"
                                          "  tick: "), (rc, out, err)
        tick = re.search(r"tick: ([0-9]+)", out).group(1)
        rc, out, err = moatctl(d.port, "-m", "data", "test", "set", "-l",
                               "tut", tick, "-v", ":", "y2")
        assert rc == 0 and out.startswith("changed: true\n"), (rc, out, err)
        err = fails(d, "test", "set", "-l", "tut", tick, "-v", ":", "y3")
        assert err.startswith("ServerError: ClientChainError("), err
        eq(ok(d, "test"), '"y2"\n')
        # usage errors do not reach the server
        rc, out, err = mkd(d, "test", "set", "-n", "-l", "a", "1", "-v",
                           ":", "z")
        assert rc != 0 and "mutually exclusive" in err, err
        rc, out, err = mkd(d, "test", "set")
        assert rc != 0 and "nothing to set" in err, err
        eq(ok(d, "test"), '"y2"\n')
    finally:
        d.cleanup()


@test
def delete_and_delete_recursive():
    d = server()
    try:
        for p in ("a", "a.b", "a.b.c", "a.d"):
            ok(d, p, "set", "-v", ":", p)
        # a plain delete leaves the children
        ok(d, "a", "delete")
        eq(ok(d, "a"), "")
        eq(ok(d, "a.b"), '"a.b"\n')
        err = fails(d, "a.d", "delete", "-p", "wrong")
        assert err.startswith("ServerError: ClientError("), err
        ok(d, "a.d", "delete", "-p", "a.d")
        eq(ok(d, "a.d"), "")
        ok(d, "a", "delete", "-r")
        eq(ok(d, "a.b") + ok(d, "a.b.c"), "")
        rc, out, err = mkd(d, "a", "get", "-r")
        assert out == "", out
        rc, out, err = mkd(d, "a", "delete", "-r", "-p", "x")
        assert rc != 0 and "-r cannot" in err, err
        # the root value is untouched, and cannot be deleted recursively
        eq(ok(d, ":"), '"Testing"\n')
        err = fails(d, ":", "delete", "-r")
        eq(err, "ServerError: ClientError(\"You can't delete the root "
           "node\")\n")
    finally:
        d.cleanup()


@test
def monitor_shows_a_change_by_another_moatctl():
    d = server()
    ok(d, "mon.old", "set", "-e", ":", "1")
    m = MoatctlStream(d.port, "data", "mon", "monitor", "-s")
    try:
        m.wait_text("state: uptodate\n")
        assert m.text().startswith("value: 1\n"), m.text()
        assert "path: !P mon.old\n---\n" in m.text(), m.text()
        ok(d, "mon.new", "set", "-v", ":", "hello")
        m.wait_text("path: !P mon.new\n")
        ok(d, "mon.old", "delete")
        m.wait_text("path: !P mon.old\ntime: ")
        rec = m.text().split("---\n")
        new = [r for r in rec if "mon.new" in r][0]
        assert new.startswith("value: hello\ntock: "), new
        assert re.search(r"\ntime: [0-9.]+\n_time: '[0-9-]+ [0-9:.]+'\n$",
                         new), new
        gone = [r for r in rec if "mon.old" in r][-1]
        assert "value:" not in gone, gone
    finally:
        err = m.stop()
        d.cleanup()
    assert err == "", err


@test
def monitor_the_root():
    d = server()
    m = MoatctlStream(d.port, "data", ":", "monitor", "-s")
    try:
        m.wait_text("state: uptodate\n")
        assert re.match(r"value: Testing\ntock: [0-9]+\npath: !P ':'\n"
                        r"---\nstate: uptodate\ntock: [0-9]+\ntime: ",
                        m.text()), m.text()
    finally:
        m.stop()
        d.cleanup()


@test
def monitor_only_and_path_only():
    d = server()
    ok(d, "m.x", "set", "-e", ":", "{'a': 1}")
    only = MoatctlStream(d.port, "data", "m.x", "monitor", "-o")
    paths = MoatctlStream(d.port, "data", "m", "monitor", "-p", "-s")
    ign = MoatctlStream(d.port, "data", "m", "monitor", "-p", "-s", "-i",
                        "x.deeper")
    try:
        paths.wait_text("x {'a': 1}\n")
        ign.wait_text("x {'a': 1}\n")
        # -o without -s prints changes only: set until it has seen one
        moattest.wait_for(lambda: ok(d, "m.x", "set", "-v", ":", "first")
                          == "" and "first\n" in only.text(), step=0.2,
                          what="monitor -o output")
        ok(d, "m.x.deeper", "set", "-v", ":", "not for -o")
        ok(d, "m.x", "set", "-e", ":", "[1, None]")
        only.wait_text("[1, None]\n")
        assert "not for -o" not in only.text(), only.text()
        assert set(only.text().splitlines()) == {"first", "[1, None]"}, \
            only.text()
        paths.wait_text("x.deeper not for -o\n")
        ign.wait_text("x [1, None]\n")
        assert "deeper" not in ign.text(), ign.text()
    finally:
        only.stop()
        paths.stop()
        ign.stop()
        d.cleanup()


@test
def update_replays_records():
    d = server()
    try:
        records = ("path: !P a.b\nvalue: 1\n---\n"
                   "path: [c, 5]\nvalue: {x: !!binary AAE=}\n---\n"
                   "state: uptodate\n---\n"
                   "path: d\nvalue: text\n")
        ok(d, "up", "update", input=records)
        eq(ok(d, "up", "get", "-r"), (
            "- !P a.b: 1\n- !P c:5:\n    x: !!binary |\n      AAE=\n"
            "- !P d: text\n"))
        ok(d, "up", "update", input="path: !P a.b\n")
        eq(ok(d, "up.a.b"), "")
        err = fails(d, "up", "update", input="a: &x 1\nb: *x\n")
        assert "aliases are not supported" in err, err
    finally:
        d.cleanup()


@test
def internal_dump_and_state():
    d = server()
    try:
        ok(d, "x", "set", "-v", ":", "y")
        rc, out, err = moatctl(d.port, "internal", "state", "-n")
        assert rc == 0 and err == "", (rc, out, err)
        assert re.match(r"nodes:\n  tut: [0-9]+\nnode: tut\ntock: [0-9]+\n$",
                        out), out
        rc, out, err = moatctl(d.port, "internal", "state", "-a")
        assert rc == 0 and err == "", (rc, out, err)
        for k in ("nodes:", "present:", "deleted:", "missing:",
                  "remote_missing:", "superseded:"):
            assert "\n" + k in "\n" + out, (k, out)
        # moatctl has no command that writes the internal tree
        c = Client(d.port)
        try:
            r = c.call("set_internal", path=Path("actor", "del"),
                       value={"nodes": ["tut"]})
            assert r.get("changed") is True, r
        finally:
            c.close()
        rc, out, err = moatctl(d.port, "internal", "dump", ":")
        eq((rc, err), (0, ""))
        eq(out, "null:\n  actor:\n    del:\n      _:\n        nodes:\n"
           "        - tut\n")
        rc, out, err = moatctl(d.port, "internal", "dump", "actor")
        eq(out, "null:\n  actor:\n    del:\n      _:\n        nodes:\n"
           "        - tut\n")
        rc, out, err = moatctl(d.port, "internal", "dump", "nope")
        eq((rc, out, err), (1, "", "ServerError: KeyError(P('nope'))\n"))
    finally:
        d.cleanup()


@test
def connection_from_the_config():
    """kv.conn.host and kv.conn.port, from a file or -C."""
    d = server()
    try:
        cfg = os.path.join(d.tmp, "moatctl.conf")
        with open(cfg, "w") as f:
            f.write("kv:\n  conn:\n    host: 127.0.0.1\n    port: %d\n"
                    % d.port)
        ctl = os.path.join(moattest.BIN, "moatctl")
        for args in (["-c", cfg], ["-C", "kv.conn.host=127.0.0.1", "-C",
                                   "kv.conn.port=%d" % d.port]):
            r = subprocess.run([ctl] + args + ["data", ":"],
                               capture_output=True, text=True, timeout=10)
            eq((r.returncode, r.stdout, r.stderr), (0, '"Testing"\n', ""))
    finally:
        d.cleanup()


@test
def help_for_every_command():
    for args in (["--help"], ["status", "--help"], ["data", "--help"],
                 ["internal", "--help"],
                 ["internal", "dump", "--help"],
                 ["internal", "state", "--help"]) + tuple(
                     ["data", ":", sub, "--help"] for sub in
                     ("get", "list", "set", "delete", "monitor", "update")):
        rc, out, err = moatctl(1, *args)
        assert rc == 0 and out.startswith("usage: moatctl") and err == "", \
            (args, rc, out, err)
    rc, out, err = moatctl(1, "data", ":")
    assert rc == 1 and out == "" and err.startswith(
        "moatctl: cannot connect: 127.0.0.1 port 1: "), err
    rc, out, err = moatctl(1, "data", ":", "frob")
    assert rc != 0 and "unknown subcommand 'frob'" in err, err
    rc, out, err = moatctl(1, "data", ":", "get", "-x")
    assert rc != 0 and "usage: moatctl data PATH get" in err, err


main()
