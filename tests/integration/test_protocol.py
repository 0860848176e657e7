"""The MoaT-KV client protocol against a real moatd (issue 3, core).

Every exchange is compared with the captures of the original server in
ORIGINAL-ON-THE-WIRE.md: same keys in the same order, same values,
except the tock numbers (and ticks where the sequence differs), which
only have to behave as the original's do.
"""
import os
import socket

from moattest import (Client, Moatd, Path, full_paths, main, pack, test,
                      wait_for)

_server = None


def server():
    """One moatd shared by the tests that do not need their own."""
    global _server
    if _server is None:
        _server = Moatd(name="s1", args=["-i", "root"])
        _server.wait_port()
    return _server


def keys(m):
    return list(m.keys())


@test
def greeting_and_init_value():
    d = Moatd(name="one", args=["-i", "Testing"])
    try:
        d.wait_port()
        c = Client(d.port)
        g = c.greeting
        assert keys(g) == ["seq", "version", "node", "tick", "tock",
                           "qlen"], g
        assert g["seq"] == 0 and g["version"] == [0, 0, 1]
        assert g["node"] == "one" and g["tick"] == 1 and g["qlen"] == 10
        r = c.call("get_value", path=Path(), nchain=3)
        assert r["value"] == "Testing", r
        assert r["chain"] == {"node": "one", "tick": 1, "prev": None}
        assert keys(r) == ["value", "chain", "tock", "seq"]
    finally:
        d.cleanup()


@test
def set_get_delete_value():
    c = Client(server().port)
    p = Path("test", "one")
    r = c.call("set_value", path=p, value="hello", nchain=3)
    assert keys(r) == ["changed", "chain", "tock", "seq"], r
    assert r["changed"] is True and r["chain"]["prev"] is None
    t1 = r["chain"]["tick"]
    r2 = c.call("set_value", path=p, value="world")
    assert keys(r2) == ["changed", "prev", "chain", "tock", "seq"], r2
    assert r2["prev"] == "hello" and r2["chain"]["tick"] == t1 + 1
    assert r2["tock"] > r["tock"]
    g = c.call("get_value", path=p, nchain=3)
    assert keys(g) == ["value", "chain", "tock", "seq"], g
    assert g["value"] == "world" and g["tock"] == r2["tock"]
    g = c.call("get_value", path=p)
    assert keys(g) == ["value", "tock", "seq"], g
    # missing
    g = c.call("get_value", path=Path("test", "nope"))
    assert keys(g) == ["seq", "tock"], g
    g = c.call("get_value", path=Path("test", "nope"), nchain=2)
    assert keys(g) == ["chain", "seq", "tock"] and g["chain"] is None, g
    # idem
    r3 = c.call("set_value", path=p, value="world", idem=True)
    assert keys(r3) == ["tock", "changed", "chain", "seq"], r3
    assert r3["changed"] is False and r3["tock"] == r2["tock"]
    assert r3["chain"]["tick"] == r2["chain"]["tick"]
    # delete, then get shows the tombstone's chain
    d = c.call("delete_value", path=p)
    assert keys(d) == ["changed", "prev", "chain", "tock", "seq"], d
    assert d["changed"] is True and d["prev"] == "world"
    g = c.call("get_value", path=p, nchain=2)
    assert keys(g) == ["chain", "tock", "seq"], g
    assert g["chain"]["tick"] == d["chain"]["tick"]
    # delete a missing entry: succeeds, takes a tick
    d2 = c.call("delete_value", path=Path("test", "never"))
    assert d2["changed"] is False
    assert d2["chain"]["tick"] == d["chain"]["tick"] + 1
    c.close()


@test
def chain_and_prev_errors():
    c = Client(server().port)
    p = Path("test", "chain")
    first = c.call("set_value", path=p, value="a", nchain=3)["chain"]
    second = c.call("set_value", path=p, value="b", nchain=3)["chain"]
    r = c.call("set_value", path=p, value="stale!", chain=first, nchain=3)
    assert keys(r) == ["error", "seq", "tock"], r
    assert r["error"] == ("ClientChainError('Chain is <NodeEvent s1:%d "
                          "(%d,)> not <NodeEvent s1:%d (%d,)> for "
                          "test.chain')" % (second["tick"], second["tick"],
                                            first["tick"], first["tick"]))
    r = c.call("set_value", path=p, value="x", chain=None)
    assert r["error"] == \
        "ClientChainError('Entry already exists at test.chain')", r
    r = c.call("set_value", path=Path("test", "newone"), value="x",
               chain=second)
    assert r["error"] == \
        "ClientChainError('Entry is new at test.newone')", r
    r = c.call("set_value", path=p, value="c", chain=second, nchain=2)
    assert r["changed"] is True and "prev" not in r, r
    r = c.call("set_value", path=p, value="d", prev="wrong")
    assert r["error"] == "ClientError(\"Data is 'c' not 'wrong' at " \
        "test.chain\")", r
    r = c.call("set_value", path=p, value="d", prev="c")
    assert r["changed"] is True and "prev" not in r, r
    # containers quoted as the original's repr() of what it decoded:
    # dicts, and arrays as tuples
    c.call("set_value", path=p, value={"x": [1, "b"], "y": [None]})
    r = c.call("set_value", path=p, value="e", prev="nope")
    assert r["error"] == "ClientError(\"Data is {'x': (1, 'b'), " \
        "'y': (None,)} not 'nope' at test.chain\")", r
    c.call("set_value", path=p, value="d")
    r = c.call("set_value", path=Path("test", "novalue"))
    assert r["error"] == "ClientError(\"Call 'delete_value' if you want " \
        "to clear the value\")", r
    r = c.call("delete_value", path=p, value=1)
    assert r["error"] == \
        "ClientError(\"A deleted entry can't have a value\")", r
    r = c.call("get_value")
    assert r["error"] == "AttributeError('path')" and keys(r) == \
        ["error", "seq", "tock"], r
    c.close()


@test
def value_types_round_trip():
    c = Client(server().port)
    vals = {"int": 42, "neg": -5, "big": 2 ** 40, "float": 1.5,
            "bytes": b"\x00\x01", "list": [1, "a", [2]],
            "map": {"a": 1, "b": [True, None]}, "bool": False,
            "none": None}
    for k, v in vals.items():
        r = c.call("set_value", path=Path("test", "types", k), value=v,
                   nchain=0)
        assert keys(r) == ["changed", "tock", "seq"], r
    for k, v in vals.items():
        r = c.call("get_value", path=Path("test", "types", k))
        assert r["value"] == v and type(r["value"]) is type(v), (k, r)
    # ext 2 (bigint) and the exact bytes of a value come back unchanged
    raw = bytes.fromhex("c70902400000000000000000")
    seq = c.next_seq()
    c.send(bytes([0x84]) + pack("action") + pack("set_value") +
           pack("seq") + pack(seq) + pack("path") +
           pack(Path("test", "types", "huge")) + pack("value") + raw)
    assert c.recv_seq(seq)["changed"] is True
    r = c.call("get_value", path=Path("test", "types", "huge"))
    assert pack(r["value"]) == raw, r
    c.close()


@test
def paths_as_arrays_and_strings():
    c = Client(server().port)
    r = c.call("set_value", path=["test", "listpath"], value="L", nchain=0)
    assert r["changed"] is True
    assert c.call("get_value", path=Path("test", "listpath"))["value"] \
        == "L"
    assert c.call("get_value", path=["test", "listpath"])["value"] == "L"
    r = c.call("get_value", path="test.listpath")
    assert keys(r) == ["seq", "tock"], r
    # odd elements: ints, nil, tuples, bytes, floats
    p = Path(1, None, True, b"x", 1.5, ("t", 1), -3, 2 ** 40)
    c.call("set_value", path=p, value="odd")
    assert c.call("get_value", path=p)["value"] == "odd"
    c.close()


def build_tree(c):
    c.call("set_value", path=Path("test", "tree"), value="tree-top")
    for p, v in ((("a",), 1), (("a", "x"), 2), (("a", "y"), 3),
                 (("b",), 4), (("b", "z", "deep"), 5), (("c", "only"), 6)):
        c.call("set_value", path=Path("test", "tree", *p), value=v,
               nchain=0)


def items(msgs):
    return [m for m in msgs if "state" not in m]


@test
def get_tree_depth_compression():
    c = Client(server().port)
    build_tree(c)
    base = ("test", "tree")
    m = c.stream("get_tree", path=Path(*base))
    assert m[0]["state"] == "start" and m[-1]["state"] == "end"
    assert keys(m[0]) == ["state", "seq", "tock"]
    it = items(m)
    assert [(x["path"], x["depth"], x["value"]) for x in it] == [
        ([], 0, "tree-top"), (["a"], 0, 1), (["x"], 1, 2), (["y"], 1, 3),
        (["b"], 0, 4), (["z", "deep"], 1, 5), (["c", "only"], 0, 6)], it
    assert keys(it[0]) == ["value", "tock", "path", "depth", "seq"]
    m = c.stream("get_tree", path=Path(*base), nchain=1)
    assert keys(items(m)[0]) == ["value", "chain", "tock", "path",
                                 "depth", "seq"]
    m = items(c.stream("get_tree", path=Path(*base), max_depth=1))
    assert [x["value"] for x in m] == ["tree-top", 1, 4]
    m = items(c.stream("get_tree", path=Path(*base), min_depth=2))
    assert [(x["path"], x["depth"]) for x in m] == [
        (["a", "x"], 0), (["y"], 1), (["b", "z", "deep"], 0),
        (["c", "only"], 0)], m
    m = items(c.stream("get_tree", path=Path(*base), min_depth=1,
                       max_depth=2, empty=True))
    assert full_paths(base, m) == [
        base + ("a",), base + ("a", "x"), base + ("a", "y"),
        base + ("b",), base + ("b", "z"), base + ("c",),
        base + ("c", "only")], m
    assert "value" not in m[4] and "value" not in m[5]
    m = c.stream("get_tree", path=Path(*base, "a", "x"))
    assert [(x["path"], x["depth"], x["value"]) for x in items(m)] == \
        [([], 0, 2)]
    m = c.stream("get_tree", path=Path(*base, "missing"))
    assert [x.get("state") for x in m] == ["start", None, "end"]
    assert m[1]["error"] == "KeyError(P('test.tree.missing'))", m
    assert keys(m[1]) == ["error", "seq", "tock"]
    c.close()


@test
def enum_and_delete_tree():
    c = Client(server().port)
    build_tree(c)
    r = c.call("enum", path=Path("test", "tree"))
    assert r == {"result": ["a", "b"], "seq": r["seq"], "tock": r["tock"]}
    r = c.call("enum", path=Path("test", "tree"), with_data=True)
    assert r["result"] == {"a": 1, "b": 4}, r
    r = c.call("enum", path=Path("test", "tree"), empty=True)
    assert r["result"] == ["a", "b", "c"], r
    for i in range(12):
        c.call("set_value", path=Path("test", "dt", "k%02d" % i), value=i)
    r = c.call("delete_tree", path=Path("test", "dt"))
    assert keys(r) == ["changed", "seq", "tock"] and r["changed"] == 13, r
    m = c.stream("get_tree", path=Path("test", "dt"))
    assert [x.get("state") for x in m] == ["start", "end"], m
    r = c.call("delete_tree", path=Path("test", "dt-none"))
    assert r["result"] is False, r
    c.close()


@test
def get_tock_stop_test_acl():
    c = Client(server().port)
    a = c.call("get_tock")
    b = c.call("get_tock")
    assert keys(a) == ["tock", "seq"] and b["tock"] > a["tock"]
    r = c.call("stop", task=999)
    assert r["result"] is False
    r = c.call("test_acl", path=Path("a"))
    assert r["access"] is True
    c.close()


@test
def flow_control_stall_and_ack():
    c = Client(server().port, qlen=10)
    for i in range(12):
        c.call("set_value", path=Path("test", "fc", "k%02d" % i), value=i,
               nchain=0)
    seq = c.next_seq()
    c.send({"action": "get_tree", "seq": seq, "path": Path("test", "fc")})
    got = [c.recv_seq(seq) for _ in range(9)]
    assert [m["wseq"] for m in got] == list(range(1, 10))
    assert got[0]["state"] == "start" and keys(got[0]) == \
        ["state", "seq", "wseq", "tock"]
    assert keys(got[1]) == ["value", "tock", "path", "depth", "seq", "wseq"]
    assert c.nothing(0.5), "no stall after 9 messages"
    c.send({"seq": seq, "state": "ack", "ack": 10})
    rest = []
    while not rest or rest[-1].get("state") != "end":
        rest.append(c.recv_seq(seq))
    assert [m["wseq"] for m in rest] == list(range(10, 15))
    assert [m["value"] for m in items(got + rest)] == list(range(12))
    # acks for finished or unknown streams are ignored silently
    c.send({"seq": seq, "state": "ack", "ack": 14})
    c.send({"seq": 12345, "state": "ack", "ack": 3})
    assert "tock" in c.call("get_tock")
    c.close()


@test
def no_hello_no_wseq():
    c = Client(server().port)
    m = c.stream("get_tree", path=Path("test", "fc"))
    assert all("wseq" not in x for x in m)
    c.close()


@test
def watch_fetch_live_delete_stop():
    srv = server()
    a = Client(srv.port)
    b = Client(srv.port)
    build_tree(a)
    seq = a.next_seq()
    a.send({"action": "watch", "seq": seq, "path": Path("test", "tree"),
            "fetch": True, "nchain": 0})
    msgs = []
    while not msgs or msgs[-1].get("state") != "uptodate":
        msgs.append(a.recv_seq(seq))
    assert msgs[0]["state"] == "start"
    assert [x["value"] for x in items(msgs)] == ["tree-top", 1, 2, 3, 4, 5,
                                                 6]
    b.call("set_value", path=Path("test", "tree", "a", "new"),
           value="live", nchain=0)
    b.call("set_value", path=Path("test", "tree", "b"), value=44, nchain=0)
    b.call("delete_value", path=Path("test", "tree", "a", "new"), nchain=0)
    live = [a.recv_seq(seq) for _ in range(3)]
    assert full_paths(("test", "tree"), live) == [
        ("test", "tree", "a", "new"), ("test", "tree", "b"),
        ("test", "tree", "a", "new")], live
    assert live[0]["value"] == "live" and live[1]["value"] == 44
    assert "value" not in live[2], live[2]
    assert keys(live[0]) == ["value", "tock", "path", "depth", "seq"]
    r = a.call("stop", task=seq)
    assert r["result"] is True and keys(r) == ["result", "seq", "tock"]
    end = a.recv_seq(seq)
    assert end["state"] == "end", end
    b.call("set_value", path=Path("test", "tree", "b"), value=45)
    assert a.nothing(0.3)
    a.close()
    b.close()


@test
def watch_depth_and_missing_path():
    srv = server()
    a = Client(srv.port, qlen=10)
    b = Client(srv.port)
    # what the Python client library does on every connection
    seq = a.next_seq()
    a.send({"action": "watch", "nchain": 3, "fetch": True, "wseq": 1,
            "path": Path(".moat", "kv", "config"), "seq": seq})
    m = [a.recv_seq(seq), a.recv_seq(seq)]
    assert [x["state"] for x in m] == ["start", "uptodate"], m
    assert [x["wseq"] for x in m] == [1, 2]
    b.call("set_value", path=Path(".moat", "kv", "config", "x"), value=1)
    it = a.recv_seq(seq)
    assert it["path"] == ["x"] and it["value"] == 1 and it["wseq"] == 3
    assert it["chain"]["node"] == "s1"
    # max_depth 0 without fetch: only the node itself
    s2 = a.next_seq()
    a.send({"action": "watch", "seq": s2, "max_depth": 0,
            "path": Path("test", "wd")})
    assert a.recv_seq(s2)["state"] == "start"
    b.call("set_value", path=Path("test", "wd", "x"), value=22)
    b.call("set_value", path=Path("test", "wd"), value=11)
    r = a.recv_seq(s2)
    assert r["value"] == 11 and r["path"] == [] and r["depth"] == 0, r
    a.call("stop", task=s2)
    assert a.recv_seq(s2)["state"] == "end"
    # min_depth 2
    s3 = a.next_seq()
    a.send({"action": "watch", "seq": s3, "min_depth": 2,
            "path": Path("test", "wd")})
    a.recv_seq(s3)
    b.call("set_value", path=Path("test", "wd", "x"), value=23)
    b.call("set_value", path=Path("test", "wd", "x", "y"), value=24)
    r = a.recv_seq(s3)
    assert r["value"] == 24 and r["path"] == ["x", "y"], r
    a.close()
    b.close()


@test
def root_chroot():
    srv = server()
    c = Client(srv.port)
    r = c.call("root", path=Path())
    assert r["value"] == "root" and r["path"] == Path(), r
    assert keys(r) == ["value", "chain", "tock", "path", "seq"]
    c.call("set_value", path=Path("test", "ch", "a"), value="A")
    r = c.call("root", path=Path("test", "ch"))
    assert r["path"] == [] and not isinstance(r["path"], Path), r
    assert c.call("get_value", path=Path("a"))["value"] == "A"
    m = c.stream("get_tree", path=Path())
    assert [x["value"] for x in items(m)] == ["A"], m
    c.close()


@test
def get_state_after_changes():
    d = Moatd(name="st", args=["-i", "x"])
    try:
        d.wait_port()
        c = Client(d.port)
        p = Path("test", "one")
        c.call("set_value", path=p, value=1)           # tick 2
        c.call("set_value", path=p, value=2)           # 3 supersedes 2
        c.call("delete_value", path=p)                 # 4 supersedes 3
        c.call("delete_value", path=Path("test", "x"))  # 5
        r = c.call("get_state", nodes=True, known=True, missing=True)
        assert keys(r) == ["nodes", "known", "missing", "node", "tock",
                           "seq"], r
        assert r["nodes"] == {"st": 5} and r["known"] == {"st": [[2, 4]]}
        assert r["missing"] == {} and r["node"] == "st"
        r = c.call("get_state", nodes=True, known=True, missing=True,
                   deleted=True, remote_missing=True, present=True,
                   superseded=True, current=True, debug=True)
        assert keys(r) == ["nodes", "known", "present", "deleted",
                           "missing", "remote_missing", "debug", "node",
                           "tock", "seq"], r
        assert r["present"] == {"st": [1, [4, 6]]}, r
        assert r["deleted"] == {"st": [[4, 6]]}, r
        assert r["remote_missing"] == {} and r["debug"] == {}
    finally:
        d.cleanup()


@test
def internal_subtree():
    c = Client(server().port)
    r = c.call("set_internal", path=Path("acl", "x"), value={"a": 1})
    assert r["changed"] is True, r
    assert c.call("get_internal", path=Path("acl", "x"))["value"] == \
        {"a": 1}
    assert c.call("get_value", path=Path(None, "acl", "x"))["value"] == \
        {"a": 1}
    assert c.call("enum_internal", path=Path("acl"))["result"] == ["x"]
    m = c.stream("get_tree_internal", path=Path("acl"))
    assert [x["value"] for x in items(m)] == [{"a": 1}]
    # a walk from the root leaves the nil subtree out, as the original
    m = c.stream("get_tree", path=Path())
    assert all(p[:1] != (None,) for p in full_paths((), items(m))), m
    m = c.stream("get_tree", path=Path(), empty=True, max_depth=2)
    assert ((None, "acl") in full_paths((), items(m))), m
    assert c.call("delete_internal", path=Path("acl", "x"))["changed"]
    assert "value" not in c.call("get_internal", path=Path("acl", "x"))
    c.close()


@test
def status_action():
    c = Client(server().port)
    r = c.call("status")
    roles = [p["role"] for p in r["result"]]
    assert roles[:3] == ["master", "core", "netd"], r
    assert all(set(p) == {"role", "pid", "restarts", "uptime", "rss"}
               for p in r["result"])
    c.close()


@test
def bad_input_keeps_connection():
    c = Client(server().port)
    c.send([1, 2, 3])
    r = c.recv()
    assert r["error"] == "'tuple' object has no attribute 'seq'", r
    assert keys(r) == ["error", "tock"]
    c.send(pack(42))
    assert c.recv()["error"] == "'int' object has no attribute 'seq'"
    c.send({"action": "get_value", "path": Path("test", "x")})
    r = c.recv()
    assert r == {"error": "seq", "tock": r["tock"]}, r
    c.send({"seq": 77, "path": Path("test", "x")})
    r = c.recv()
    assert r["error"] == "missing 'action'" and r["seq"] == 77, r
    r = c.call("frobnicate", path=Path("test", "x"))
    assert r["error"] == "unknown action 'frobnicate'", r
    for kw in ({"path": 5}, {"path": {"a": 1}}, {"path": Path(), "nchain":
               "x"}):
        r = c.call("get_value", **kw)
        assert r["error"].startswith("TypeError("), (kw, r)
    r = c.call("get_tree", path=Path(), max_depth="deep")
    assert r["error"].startswith("TypeError("), r
    r = c.call("set_value", path=Path("t"), value=1, chain=[1, 2])
    assert r["error"].startswith("TypeError("), r
    r = c.call("get_value", path=Path(), nchain=None)
    assert "error" not in r
    seq = c.next_seq()
    c.send({"action": 5, "seq": seq})
    assert "error" in c.recv_seq(seq)
    assert "tock" in c.call("get_tock")
    c.close()


@test
def hostile_bytes_close_only_that_client():
    srv = server()
    other = Client(srv.port)
    for raw in (b"\xdd\xff\xff\xff\xff",           # array32 of 4 G
                b"\x81\xa1a\xa2\xc3\x28",          # invalid UTF-8 str
                b"\xc1"):                          # reserved byte
        c = Client(srv.port)
        c.send(raw)
        r = c.recv()
        assert "error" in r and "malformed" in r["error"], (raw, r)
        try:
            c.recv(2.0)
            assert False, "connection not closed"
        except (EOFError, ConnectionResetError):
            pass
        c.close()
    assert "tock" in other.call("get_tock")
    other.close()


@test
def oversize_message():
    d = Moatd(name="big", args=["-C", "kv.server.max_msg=2048"])
    try:
        d.wait_port()
        c = Client(d.port)
        c.send({"action": "set_value", "seq": 1, "path": Path("x"),
                "value": "y" * 4096})
        r = c.recv()
        # netd refuses it as soon as the header shows it cannot fit
        assert "larger than 2048" in r["error"] or \
            "size limit" in r["error"], r
        try:
            c.recv(2.0)
            assert False, "connection not closed"
        except (EOFError, ConnectionResetError):
            pass
        c2 = Client(d.port)
        assert "tock" in c2.call("get_tock")
    finally:
        d.cleanup()


def core_rss(d):
    pid = d.children()["core"]
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


@test
def flooded_watch_of_a_client_that_never_reads():
    d = Moatd(name="fl", args=["-C", "kv.server.max_out=1048576"])
    try:
        d.wait_port()
        w = Client(d.port, qlen=10)     # stalls after 9 messages
        w2 = Client(d.port)             # no flow control: netd buffers
        for c in (w, w2):
            c.send({"action": "watch", "seq": 1, "path": Path("flood")})
        b = Client(d.port)
        other = Client(d.port)
        val = "v" * 1000
        rss0 = core_rss(d)
        for i in range(3000):
            seq = b.next_seq()
            b.send({"action": "set_value", "seq": seq, "nchain": 0,
                    "path": Path("flood", i % 50), "value": val})
            if i % 100 == 0:
                b.recv_seq(seq)
                assert "tock" in other.call("get_tock")
        assert "tock" in other.call("get_tock")
        d.wait_log("watch 1 overflows")
        grown = core_rss(d) - rss0
        assert grown < 32 << 20, grown
        # the stalled watcher learns why its watch ended
        msgs = []
        try:
            while True:
                msgs.append(w.recv(1.0))
        except (socket.timeout, EOFError):
            pass
        errs = [m for m in msgs if "error" in m]
        assert errs and "overflow" in errs[0]["error"], msgs[-3:]
        assert msgs[-1].get("state") == "end", msgs[-1]
    finally:
        d.cleanup()


@test
def get_value_by_node_and_tick():
    c = Client(server().port)
    r = c.call("set_value", path=Path("test", "ev"), value="E", nchain=1)
    tick = r["chain"]["tick"]
    g = c.call("get_value", node="s1", tick=tick, nchain=1)
    assert g["value"] == "E" and g["path"] == Path("test", "ev"), g
    assert keys(g) == ["value", "chain", "tock", "path", "seq"], g
    g = c.call("get_value", node="s1", tick=10 ** 9)
    assert g["error"] == "KeyError(%d)" % 10 ** 9, g
    g = c.call("get_value", node="nosuch", tick=1)
    assert g["error"] == "KeyError('nosuch')", g
    # Overwritten by the same node: its old tick is gone from the chain
    # (the original supersedes it), the new one finds the new value.
    r = c.call("set_value", path=Path("test", "ev"), value="F", nchain=1)
    tick2 = r["chain"]["tick"]
    g = c.call("get_value", node="s1", tick=tick)
    assert g["error"] == "KeyError(%d)" % tick, g
    g = c.call("get_value", node="s1", tick=tick2)
    assert g["value"] == "F" and g["path"] == Path("test", "ev"), g
    # Deleted: the tombstone is found by the deleting tick, valueless.
    r = c.call("delete_value", path=Path("test", "ev"), nchain=1)
    tick3 = r["chain"]["tick"]
    g = c.call("get_value", node="s1", tick=tick3, nchain=1)
    assert "value" not in g and g["path"] == Path("test", "ev"), g
    assert g["chain"]["tick"] == tick3, g
    g = c.call("get_value", node="s1", tick=tick2)
    assert g["error"] == "KeyError(%d)" % tick2, g
    c.close()


@test
def long_get_tree_in_chunks_while_writing():
    srv = server()
    c = Client(srv.port, qlen=10)
    other = Client(srv.port)
    n = 5000
    for i in range(n):
        c.send({"action": "set_value", "seq": 100000 + i, "nchain": 0,
                "path": Path("test", "long", i), "value": i})
    for i in range(n):
        c.recv_seq(100000 + i)
    seq = c.next_seq()
    c.send({"action": "get_tree", "seq": seq, "path": Path("test", "long")})
    msgs = [c.recv_seq(seq) for _ in range(9)]     # then it stalls
    # core keeps serving others meanwhile; the tree changes under the
    # cursor: an entry ahead of it appears, one behind it is deleted
    assert "tock" in other.call("get_tock")
    other.call("set_value", path=Path("test", "long", n + 1), value="new")
    other.call("delete_value", path=Path("test", "long", 0))
    c.send({"seq": seq, "state": "ack", "ack": 10 ** 9})
    while msgs[-1].get("state") != "end":
        msgs.append(c.recv_seq(seq))
    vals = [m["value"] for m in items(msgs)]
    assert vals == list(range(n)) + ["new"], (len(vals), vals[-3:])
    assert [m["wseq"] for m in msgs] == list(range(1, len(msgs) + 1))
    # a big delete_tree runs in chunks and counts every entry, the
    # tombstone of k0 and test.long itself included
    r = c.call("delete_tree", path=Path("test", "long"))
    assert r["changed"] == n + 2, r
    m = c.stream("get_tree", path=Path("test", "long"), ack=True)
    assert [x.get("state") for x in m] == ["start", "end"], m[:3]
    c.close()
    other.close()


@test
def every_action_with_every_wrong_type():
    """No field of any type may crash core or go unanswered."""
    actions = ("get_value", "set_value", "delete_value", "delete_tree",
               "enum", "get_tree", "watch", "stop", "get_internal",
               "set_internal", "delete_internal", "enum_internal",
               "get_tree_internal", "get_state", "get_tock", "root",
               "test_acl")
    fields = ("path", "value", "prev", "chain", "nchain", "idem", "task",
              "min_depth", "max_depth", "empty", "fetch", "with_data",
              "node", "tick", "nodes", "known", "missing", "qlen")
    bad = (None, -1, 2 ** 64 - 1, 1.5, "x", b"\xff", [1, [2]], {"a": 1},
           Path(None, 1.5), True)
    core = server().children()["core"]
    for a in actions:
        c = Client(server().port)       # root changes the session
        for f in fields:
            for v in bad:
                seq = c.next_seq()
                msg = {"action": a, "seq": seq, "path": Path("fz", a)}
                msg[f] = v
                c.send(msg)
                m = c.recv_seq(seq)
                if m.get("state") != "start":
                    continue            # a single reply
                if a == "watch":
                    stop = c.next_seq()
                    c.send({"action": "stop", "seq": stop, "task": seq})
                    c.recv_seq(stop)
                while m.get("state") != "end":
                    m = c.recv_seq(seq)
        assert "tock" in c.call("get_tock"), a
        assert not c.pending, (a, c.pending[:3])
        c.close()
    assert server().children()["core"] == core, "core restarted"


@test
def watching_leaves_no_entries_behind():
    c = Client(server().port)
    seq = c.next_seq()
    c.send({"action": "watch", "seq": seq, "path": Path("wl", "a", "b")})
    assert c.recv_seq(seq)["state"] == "start"
    r = c.call("enum", path=Path("wl"), empty=True)
    assert r["result"] == ["a"], r      # created, as the original does
    c.call("stop", task=seq)
    assert c.recv_seq(seq)["state"] == "end"
    r = c.call("enum", path=Path("wl"), empty=True)
    assert r["error"] == "KeyError(P('wl'))", r
    c.close()


@test
def delete_tree_streaming_with_nchain():
    c = Client(server().port, qlen=10)
    base = ("test", "dts")
    c.call("set_value", path=Path(*base, "a"), value=1)
    c.call("set_value", path=Path(*base, "a", "x"), value=2)
    c.call("set_value", path=Path(*base, "b"), value=3)
    m = c.stream("delete_tree", path=Path(*base), nchain=2, ack=True)
    assert m[0]["state"] == "start" and m[-1]["state"] == "end", m
    it = items(m)
    assert full_paths(base, it) == [base, base + ("a",), base + ("a", "x"),
                                    base + ("b",)], it
    assert "old_value" not in it[0]
    assert [x["old_value"] for x in it[1:]] == [1, 2, 3], it
    assert all(x["node"] == "s1" and "tick" in x and "prev" in x
               for x in it)
    assert [x["wseq"] for x in m] == list(range(1, len(m) + 1))
    r = c.call("get_value", path=Path(*base, "a", "x"), nchain=1)
    assert "value" not in r and r["chain"]["tick"] == it[2]["tick"], r
    c.close()


@test
def open_streams_are_limited_per_session():
    c = Client(server().port)
    for i in range(1024):
        c.send({"action": "watch", "seq": 1000 + i, "path": Path("lim")})
    for i in range(1024):
        assert c.recv_seq(1000 + i)["state"] == "start"
    r = c.call("watch", path=Path("lim"))
    assert r["error"] == "RuntimeError('too many open streams')", r
    assert c.call("stop", task=1000)["result"] is True
    assert c.recv_seq(1000)["state"] == "end"
    m = c.stream("get_tree", path=Path())
    assert m[-1]["state"] == "end"
    c.close()


@test
def random_changes_match_a_model():
    """A watcher sees every change in order; get_tree shows the model."""
    import random
    rnd = random.Random(4711)
    srv = server()
    w = Client(srv.port, qlen=10)
    c = Client(srv.port)
    seq = w.next_seq()
    w.send({"action": "watch", "seq": seq, "path": Path("rnd"),
            "nchain": 1})
    assert w.recv_seq(seq)["state"] == "start"
    model, events = {}, []
    for i in range(1500):
        p = ("rnd",) + tuple(rnd.choice("abc") for _ in
                             range(rnd.randint(1, 3)))
        if rnd.random() < 0.3:
            c.call("delete_value", path=Path(*p), nchain=0)
            model.pop(p, None)
            events.append((p, "<deleted>"))
        else:
            v = rnd.choice([i, "s%d" % i, [i], None, b"b"])
            c.call("set_value", path=Path(*p), value=v, nchain=0)
            model[p] = v
            events.append((p, v))
    got = []
    while len(got) < len(events):
        m = w.recv_seq(seq)
        got.append(m)
        w.send({"seq": seq, "state": "ack", "ack": m["wseq"]})
    paths = full_paths(("rnd",), got)
    seen = [(p, m["value"] if "value" in m else "<deleted>")
            for p, m in zip(paths, got)]
    assert seen == events, next((i, a, b) for i, (a, b) in
                                enumerate(zip(seen, events)) if a != b)
    tree = c.stream("get_tree", path=Path("rnd"))
    it = items(tree)
    have = dict(zip(full_paths(("rnd",), it), [m["value"] for m in it]))
    assert have == model
    w.close()
    c.close()


@test
def core_restart_drops_sessions_then_serves_again():
    d = Moatd(name="cr", args=["-i", "again"])
    try:
        d.wait_port()
        c = Client(d.port)
        old = d.wait_children()["core"]
        os.kill(old, 9)
        try:
            c.recv(5.0)
            assert False, "session survived its core"
        except (EOFError, ConnectionResetError):
            pass
        wait_for(lambda: d.children().get("core", old) != old,
                 what="a new core")
        c2 = Client(d.port)     # waits in the backlog until core is up
        assert c2.greeting["node"] == "cr"
        assert c2.call("get_value", path=Path())["value"] == "again"
    finally:
        d.cleanup()


@test
def zz_cleanup():
    global _server
    if _server is not None:
        _server.cleanup()
        _server = None



@test
def internal_root_exists_when_empty():
    """get_tree_internal of the internal root on a fresh server is an
    empty stream (the original's internal root always exists), while a
    missing path below it is a KeyError."""
    d = Moatd(name="fresh")
    try:
        d.wait_log("Running.")
        c = Client(d.port)
        r = c.stream("get_tree_internal", path=Path())
        assert [m.get("state") for m in r] == ["start", "end"], r
        assert not any("error" in m for m in r), r
        r = c.stream("get_tree_internal", path=Path("nope"))
        assert any(m.get("error") == "KeyError(P('nope'))" for m in r), r
        c.close()
    finally:
        d.cleanup()

if __name__ == "__main__":
    main()
