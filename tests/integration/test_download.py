"""The start-up download: a server without data fetches the tree from a
ready peer over the client protocol before it answers its own clients.

A node with an empty state dir and kv.server.start=network joins two
servers holding 20,000 entries, downloads everything (entries with whole
chains, the internal subtree, every node's tick), and a request sent
while it downloads is answered only once the data is complete; a
download whose peer is killed midway is retried from the other peer; a
peer that cannot be reached makes the node fall back after two ping
cycles; a node restarted with its stored data re-sends what the others
lack, including changes of a node that is gone; a lone fresh node comes
up once its own ping met nobody.  The real mosquitto carries the pings.
"""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(__file__))
from moattest import (Client, Mosquitto, Path, free_port, main,  # noqa
                      test, wait_for)
from synclib import (cleanup, converged, dump, no_missing,  # noqa
                     server, setv, state)

N = 20000


def fill(port, n, size=8, prefix="d"):
    """n entries in 100-entry folders, pipelined; values of about size
    bytes."""
    c = Client(port, timeout=60)
    try:
        pad = "x" * size
        for i in range(n):
            c.send({"action": "set_value", "seq": i + 1,
                    "path": Path(prefix, i // 100, i), "value": [i, pad]})
        for i in range(n):
            assert "error" not in c.recv(), i
    finally:
        c.close()


def internal_dump(port):
    c = Client(port)
    try:
        msgs = c.stream("get_tree_internal", path=Path(), nchain=-1)
    finally:
        c.close()
    return [(m.get("depth"), m.get("path"), m.get("value"), m.get("chain"))
            for m in msgs if "depth" in m]


def two_servers(b, n, size=8):
    """s1 (started with -i) and s2 (which downloads from s1), n entries."""
    p1, p2 = free_port(), free_port()
    s1 = server(b, "s1", port=p1, args=["-i", "top"])
    fill(p1, n, size)
    c = Client(p1)
    c.call("set_internal", path=Path("acl", "x"), value={"a": 1})
    c.close()
    s2 = server(b, "s2", port=p2, peers={"s1": p1})
    try:
        s2.wait_log("answering client requests (downloaded the tree from "
                    "s1)", 60)
    except AssertionError:
        print("---- s2:\n%s" % s2.logtext()[-5000:])
        cleanup(s1, s2)
        raise
    return s1, s2


@test
def fresh_node_downloads_before_answering():
    b = Mosquitto()
    ss = []
    c = None
    try:
        ss = list(two_servers(b, N))
        ports = {"s1": ss[0].port, "s2": ss[1].port}
        p3 = free_port()
        s3 = server(b, "s3", port=p3, peers=ports,
                    args=["-C", "kv.server.start=network"])
        ss.append(s3)
        # sent at once: held until the download is complete
        c = Client(p3, timeout=60)
        items = c.stream("get_tree", path=Path(), nchain=-1)
        got = [m for m in items if "depth" in m]
        assert len(got) == N + 1, len(got)
        log = s3.logtext()
        assert "answering client requests (downloaded the tree from s" \
            in log, log[-3000:]
        assert "downloaded %d entries from s" % (N + 2) in log, log[-3000:]
        assert "no download from a peer" not in log
        d = converged(ss)
        assert len(d) == N + 1
        assert internal_dump(p3) == internal_dump(ss[0].port)
        nodes = no_missing(ss)[0][0]
        assert nodes == {"s1": N + 2}, nodes
        # it serves as a full member: its own write reaches the others
        setv(p3, ("after",), 3)
        d = converged(ss, "s3's write")
        assert d[("after",)][0] == 3
        assert state(ss[0].port)["nodes"]["s3"] == 1
    finally:
        if c:
            c.close()
        cleanup(*ss, b)


@test
def download_carries_tombstones():
    """Deleted entries come along (as tombstones with their chains): their
    ticks arrive as known with get_state, so no peer re-sends them, and
    the new node's tree must equal its peer's at once."""
    b = Mosquitto()
    ss = []
    try:
        p1, p2 = free_port(), free_port()
        ss.append(server(b, "s1", port=p1, args=["-i", "top"]))
        fill(p1, 50)
        c = Client(p1)
        try:
            for i in range(0, 50, 5):
                assert "error" not in c.call(
                    "delete_value", path=Path("d", 0, i))
        finally:
            c.close()
        before = dump(p1, empty=True)
        dead = [k for k, v in before.items()
                if v[0] == "<none>" and v[1] != "None"]
        assert len(dead) == 10, dead
        ss.append(server(b, "s2", port=p2, peers={"s1": p1}))
        ss[1].wait_log("answering client requests (downloaded the tree "
                       "from s1)", 60)
        assert "item skipped" not in ss[1].logtext(), ss[1].logtext()
        assert dump(p2, empty=True) == before
    finally:
        cleanup(*ss, b)


@test
def download_retried_when_the_peer_dies():
    b = Mosquitto()
    ss = []
    try:
        # 20,000 entries of 2 KB: far more than the socket buffers
        ss = list(two_servers(b, N, size=2000))
        ports = {"s1": ss[0].port, "s2": ss[1].port}
        s3 = server(b, "s3", peers=ports)
        ss.append(s3)
        log = wait_for(lambda: (lambda t: t if "downloading the tree from "
                                "s1 at" in t or "downloading the tree from "
                                "s2 at" in t else None)(s3.logtext()), 30,
                       step=0.005, what="the download to begin")
        first = "s1" if "downloading the tree from s1 at" in log else "s2"
        other = "s2" if first == "s1" else "s1"
        syncd = s3.children()["syncd"]
        os.kill(syncd, signal.SIGSTOP)   # it cannot finish meanwhile
        try:
            victim = ss[0] if first == "s1" else ss[1]
            ss.remove(victim)
            victim.cleanup()    # SIGKILL to all of it: a crash
        finally:
            os.kill(syncd, signal.SIGCONT)
        s3.wait_log("download from %s failed after" % first, 30)
        s3.wait_log("answering client requests (downloaded the tree "
                    "from %s)" % other, 60)
        d = converged(ss, flow=True)
        assert len(d) == N + 1, len(d)
        assert internal_dump(s3.port) == internal_dump(ss[0].port)
    finally:
        cleanup(*ss, b)


@test
def unreachable_peer_falls_back():
    b = Mosquitto()
    ss = []
    try:
        p1 = free_port()
        ss.append(server(b, "s1", port=p1, args=["-i", "top"]))
        for k in range(5):
            setv(p1, ("k", k), k)
        # its hostmap entry points at a closed port
        s2 = server(b, "s2", peers={"s1": free_port()})
        ss.append(s2)
        s2.wait_log("download from s1 failed", 30)
        s2.wait_log("answering client requests (no ", 30)
        assert "downloaded the tree" not in s2.logtext()
        # the recovery steps bring it the data all the same
        d = converged(ss)
        assert len(d) == 6, d
    finally:
        cleanup(*ss, b)


@test
def wiped_node_without_download_keeps_its_ticks():
    """s2 lost its state and cannot download: before it answers, a peer
    must tell it its tick, which a chain it saw meanwhile understates."""
    b = Mosquitto()
    ss = []
    try:
        ss.append(server(b, "s1", args=["-i", "top"]))
        p2 = free_port()
        ss.append(server(b, "s2", port=p2))
        for k in range(11):
            setv(p2, ("k", k), k)
        wait_for(lambda: state(ss[0].port)["nodes"].get("s2") == 11, 10,
                 what="s1 has s2's eleven changes")
        old = ss.pop()
        old.stop()
        old.cleanup()
        s2 = server(b, "s2", port=p2)
        ss.append(s2)
        # an update whose chain shows s2's tick 4, not its last (11)
        setv(ss[0].port, ("k", 3), "x")
        c = Client(p2, timeout=30)
        try:
            r = c.call("set_value", path=Path("new"), value=1)
        finally:
            c.close()
        assert r["chain"]["tick"] == 12, r
        assert "answering client requests (no download" in s2.logtext()
        d = converged(ss)
        assert len(d) == 13, d
        no_missing(ss)
    finally:
        cleanup(*ss, b)


@test
def lone_fresh_node_comes_up():
    b = Mosquitto()
    s = None
    try:
        s = server(b, "s1")
        s.wait_log("answering client requests (our ping met no ready "
                   "peer: alone)", 30)
        setv(s.port, ("a",), 1)
    finally:
        cleanup(s, b) if s else cleanup(b)


@test
def loaded_node_rebroadcasts():
    b = Mosquitto()
    ss = []
    try:
        # s4 and s5 write together; s4 keeps its state, s5 is gone
        p4, p5 = free_port(), free_port()
        s4 = server(b, "s4", port=p4, args=["-i", "old"])
        s5 = server(b, "s5", port=p5, peers={"s4": p4})
        s5.wait_log("answering client requests (downloaded", 30)
        for k in range(50):
            setv(p4, ("by4", k), k)
            setv(p5, ("by5", k), k)
        old = converged([s4, s5], "s4 and s5")
        state4 = s4.state
        s5.cleanup()
        s4.stop()
        # a new network: s1 starts it, s2 joins
        p1, p2 = free_port(), free_port()
        ss.append(server(b, "s1", port=p1, args=["-i", "new"]))
        setv(p1, ("by1",), 1)
        ss.append(server(b, "s2", port=p2, peers={"s1": p1}))
        ss[1].wait_log("answering client requests (downloaded", 30)
        # s4 comes back with its data: it is ready at once (no
        # download) and the others get everything it has
        s4b = server(b, "s4", port=p4, state=state4)
        ss.append(s4b)
        d = converged(ss, "s4's old data everywhere")
        for k in range(50):
            assert d[("by4", k)] == old[("by4", k)]
            assert d[("by5", k)] == old[("by5", k)]
        assert d[("by1",)][0] == 1
        assert "downloaded the tree" not in s4b.logtext()
        nodes = no_missing(ss)[0][0]
        assert nodes["s5"] == 50 and nodes["s4"] == 51, nodes
    finally:
        cleanup(*ss, b)


if __name__ == "__main__":
    main()
