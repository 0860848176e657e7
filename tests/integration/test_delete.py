"""Record deletion across servers: the deleter group and purge rounds.

Three servers on one real mosquitto; the deleter group is s1 and s2
(`moatctl internal deleter add`).  Tombstones replicate, and stay while
a member of the group is offline, however many rounds its partner
pings; once both are online every server purges them and the dumps,
tombstones included, are the same everywhere; a server restarted with
its state after the purge brings none back.  A server stopped while
deletions were made and purged comes back with the deleted entries
still live in its state: the purge rounds show it what it missed, it
checks its entries with a member and ends consistent.  Also moatctl's
internal deleter, mark, kill and state against several servers.  The
ping and deletion cycles are made fast.
"""
import os
import shutil
import sys
import tempfile

import msgpack

sys.path.insert(0, os.path.dirname(__file__))
from moattest import (Client, Mosquitto, MqttSub, Path, main,  # noqa
                      moatctl, test, wait_for)
from synclib import (cleanup, converged, dump, no_missing, server,  # noqa
                     setv)

DEL = ["-C", "kv.server.delete.cycle=0.6", "-C", "kv.server.delete.gap=0.2"]


def start(b, name, state=None, port=None):
    return server(b, name, state=state, port=port, args=DEL)


def chain_of(port, path):
    """The entry's chain (a tombstone has one), or None: no entry."""
    c = Client(port)
    try:
        return c.call("get_value", path=Path(*path), nchain=3).get("chain")
    finally:
        c.close()


def full_dump(port):
    """Every entry, tombstones and the internal tree included."""
    return dump(port, empty=True, internal=True)


def same_everywhere(ss, what):
    def ok():
        ds = [full_dump(s.port) for s in ss]
        return ds[0] if all(d == ds[0] for d in ds[1:]) else None
    return wait_for(ok, 60, step=0.3, what="identical dumps: " + what)


def gone_everywhere(ss, paths, what):
    wait_for(lambda: all(chain_of(s.port, p) is None for s in ss
                         for p in paths), 90, step=0.3,
             what="tombstones purged everywhere: " + what)


def deleted_state(port):
    c = Client(port)
    try:
        return c.call("get_state", deleted=True)["deleted"]
    finally:
        c.close()


def del_pings(sub, node, nhist):
    """Pings on <root>/del by node with a history of nhist names."""
    out = []
    for t, p in sub.messages():
        if t != "moat/kv/del":
            continue
        m = msgpack.unpackb(p, raw=False)
        if m.get("t") == "ping" and m.get("node") == node and \
                len(m.get("history", ())) == nhist:
            out.append(m)
    return out


def ctl_ok(port, *args):
    rc, out, err = moatctl(port, *args)
    assert rc == 0, (args, rc, out, err)
    return out


@test
def purge_waits_for_the_whole_group():
    b = Mosquitto()
    sdir = [tempfile.mkdtemp(prefix="moat-state-") for _ in range(2)]
    ss = []
    sub = None
    try:
        ss = [start(b, "s1", state=sdir[0]), start(b, "s2", state=sdir[1]),
              start(b, "s3")]
        out = ctl_ok(ss[0].port, "internal", "deleter", "add", "s1", "s2")
        assert out.startswith("changed: true\nchain:\n  node: s1\n"), out
        assert out.endswith("value:\n  nodes:\n  - s1\n  - s2\n"), out
        # the list replicates; any server shows it
        wait_for(lambda: "  - s2\n" in ctl_ok(ss[2].port, "internal",
                                              "deleter"), 10,
                 what="the deleter list on s3")
        out = ctl_ok(ss[2].port, "internal", "deleter", "list")
        assert out.startswith("value:\n  nodes:\n  - s1\n  - s2\nchain:\n"
                              "  node: s1\n  tick: 1\n"), out
        for k in range(6):
            setv(ss[0].port, ("d", k), k)
        converged(ss, "the writes")
        # s2 (a member) goes: deletions now must wait for it
        port2 = ss[1].port
        assert ss[1].stop() == 0
        ss[1].cleanup()
        c = Client(ss[2].port)
        try:
            for k in (1, 2, 3):
                assert c.call("delete_value", path=Path("d", k))[
                    "changed"] is True
        finally:
            c.close()
        up = [ss[0], ss[2]]
        same_everywhere(up, "the deletions")
        sub = MqttSub(b, "moat/kv/del")
        # s1 pings alone, round after round: nothing is purged
        wait_for(lambda: len(del_pings(sub, "s1", 1)) >= 6, 60, step=0.3,
                 what="six deletion rounds of s1 alone")
        for s in up:
            for k in (1, 2, 3):
                ch = chain_of(s.port, ("d", k))
                assert ch is not None and ch["node"] == "s3", (k, ch)
            assert deleted_state(s.port) == {"s3": [[1, 4]]}, \
                deleted_state(s.port)
        # s2 is back: the group is complete, the tombstones go
        ss[1] = start(b, "s2", state=sdir[1], port=port2)
        gone_everywhere(ss, [("d", k) for k in (1, 2, 3)], "s2 back")
        d = same_everywhere(ss, "after the purge")
        assert sorted(k for k in d if k[:1] == ("d",) and len(k) == 2) == [
            ("d", 0), ("d", 4), ("d", 5)], d
        no_missing(ss)
        for s in ss:
            assert deleted_state(s.port) == {}, deleted_state(s.port)
            st = Client(s.port).call("get_state", known=True)["known"]
            assert st["s3"] == [[1, 4]], st
        # a restart with the state after the purge brings nothing back
        port1 = ss[0].port
        assert ss[0].stop() == 0
        ss[0].cleanup()
        ss[0] = start(b, "s1", state=sdir[0], port=port1)
        converged(ss, "after s1's restart")
        no_missing(ss)
        assert same_everywhere(ss, "after s1's restart") == d
        for k in (1, 2, 3):
            assert chain_of(ss[0].port, ("d", k)) is None
        assert deleted_state(ss[0].port) == {}
        # moatctl: state on any server shows every node's ticks
        out = ctl_ok(ss[2].port, "internal", "state", "-n", "-k")
        assert out.startswith("nodes:\n") and "  s1: 7\n" in out and \
            "  s3: 3\n" in out and "superseded:\n  s3:\n  - - 1\n    - 4\n" \
            in out, out
        # removing a member; delete without names empties the list
        out = ctl_ok(ss[1].port, "internal", "deleter", "delete", "s1")
        assert out.endswith("value:\n  nodes:\n  - s2\n"), out
        out = ctl_ok(ss[1].port, "internal", "deleter", "-d")
        assert out.endswith("value:\n  nodes: []\n"), out
        rc, out, err = moatctl(ss[1].port, "internal", "deleter", "add")
        assert rc == 1 and "usage:" in err, (rc, out, err)
    finally:
        if sub:
            sub.stop()
        cleanup(*ss, b)
        for d in sdir:
            shutil.rmtree(d, ignore_errors=True)


@test
def missed_purge_ends_consistent():
    b = Mosquitto()
    sdir = tempfile.mkdtemp(prefix="moat-state-")
    ss = []
    try:
        ss = [start(b, "s1"), start(b, "s2"), start(b, "s3", state=sdir)]
        ctl_ok(ss[0].port, "internal", "deleter", "add", "s1", "s2")
        for k in range(4):
            setv(ss[0].port, ("m", k), k)
        setv(ss[2].port, ("m", "s3"), "mine")
        converged(ss, "the writes")
        port3 = ss[2].port
        assert ss[2].stop() == 0
        ss[2].cleanup()
        c = Client(ss[0].port)
        try:
            for p in (("m", 1), ("m", 2), ("m", "s3")):
                assert c.call("delete_value", path=Path(*p))["changed"]
        finally:
            c.close()
        gone = [("m", 1), ("m", 2), ("m", "s3")]
        gone_everywhere(ss[:2], gone, "s3 away")
        # s3 returns with its old state: the deleted entries are live
        # there; the purge rounds show it that it missed some
        ss[2] = start(b, "s3", state=sdir, port=port3)
        gone_everywhere(ss, gone, "s3 back")
        d = same_everywhere(ss, "s3 back")
        assert sorted(k for k in d if k[:1] == ("m",) and len(k) == 2) == [
            ("m", 0), ("m", 3)], d
        assert "checking our entries with" in ss[2].logtext()
        no_missing(ss)
        # mark: fake an info, here and (-b) on every server
        out = ctl_ok(ss[2].port, "internal", "mark", "-b", "s9", "5", "7")
        assert out.startswith("node: s3\n") and "\nsuperseded:\n" in out \
            and "\n  s9:\n  - 5\n  - 7\n" in out, out
        wait_for(lambda: Client(ss[0].port).call("get_state", known=True)[
            "known"].get("s9") == [5, 7], 10, what="the mark on s1")
        out = ctl_ok(ss[0].port, "internal", "mark", "-d", "s9", "9")
        assert out.startswith("deleted:\n  s9:\n  - 9\n"), out
        # kill: a node no entry refers to is dropped, on every server
        rc, out, err = moatctl(ss[1].port, "internal", "kill", "s1")
        assert rc != 0 and "Node s1 has entry" in err, (rc, out, err)
        rc, out, err = moatctl(ss[0].port, "internal", "kill", "s1")
        assert rc != 0 and "is this server" in err, (rc, out, err)
        rc, out, err = moatctl(ss[0].port, "internal", "kill", "nosuch")
        assert rc != 0 and "KeyError" in err, (rc, out, err)
        ctl_ok(ss[0].port, "internal", "kill", "s9")
        for s in ss:
            wait_for(lambda: "s9" not in Client(s.port).call(
                "get_state", known=True)["known"], 10,
                what="s9 dropped on %d" % s.port)
    finally:
        cleanup(*ss, b)
        shutil.rmtree(sdir, ignore_errors=True)


if __name__ == "__main__":
    main()
