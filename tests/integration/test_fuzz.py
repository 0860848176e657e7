"""Seeded, bounded robustness tests against a real moatd.

No input may crash a process: after every batch of hostile input each
child still runs with its original pid, the log shows no seccomp
violation, death or sanitizer report, and a fresh client can still set
and read a value.

MOAT_FUZZ_SEED picks the seed (printed at the start, so a failure can be
replayed), MOAT_FUZZ_ROUNDS scales the number of batches.  Three kinds:
structured requests (valid maps with random field values), byte-level
mutations of valid requests on fresh connections, and connections
dropped mid-message and mid-stream.
"""
import math
import os
import random
import socket
import struct

import msgpack

from moattest import Client, Moatd, Path, main, pack, test, wait_for

SEED = int(os.environ.get("MOAT_FUZZ_SEED", "20261202"), 0)
ROUNDS = int(os.environ.get("MOAT_FUZZ_ROUNDS", "120"))
print("fuzz seed %d (MOAT_FUZZ_SEED), rounds %d (MOAT_FUZZ_ROUNDS)"
      % (SEED, ROUNDS))

ACTIONS = ("get_value", "set_value", "delete_value", "delete_tree",
           "get_tree", "enum", "root", "watch", "stop", "get_tock",
           "get_state", "test_acl", "status", "log", "save",
           "get_internal", "set_internal", "delete_internal",
           "enum_internal", "get_tree_internal")
FIELDS = ("path", "value", "prev", "chain", "nchain", "idem", "state",
          "ack", "qlen", "task", "min_depth", "max_depth", "empty",
          "fetch", "with_data", "node", "tick", "wseq", "nodes", "known",
          "superseded", "present", "deleted", "missing", "remote_missing",
          "current", "debug", "mode", "acl", "bogus")
BAD_LOG = ("seccomp violation", "died", "ERROR: AddressSanitizer",
           "runtime error:", "LeakSanitizer", "exited with", "killed by")
STR_MAX = 1 << 20               # lib/mpval.h: str/bin/ext limit

_server = None
_pids = None


LIBEXEC = os.environ.get("MOAT_FUZZ_LIBEXEC")    # valgrind_children.sh
T = 50.0 if LIBEXEC else 5.0                    # socket timeouts


def server():
    global _server, _pids
    if _server is None:
        _server = Moatd(name="fz", args=["-i", "root"], libexec=LIBEXEC)
        _server.wait_port(60 if LIBEXEC else 5)
        # under valgrind the children have no "moatd: role" title; the
        # log still shows any restart
        _pids = _server.children() if LIBEXEC else \
            _server.wait_children()
    return _server


def healthy(what):
    """Every child is the one we started with, the log is clean, and a
    fresh client can write and read."""
    d = server()
    kids = d.children()
    assert kids == _pids, "%s: children %r, were %r" % (what, kids, _pids)
    log = d.logtext()
    for bad in BAD_LOG:
        assert bad not in log, "%s: log says %r:\n%s" % (
            what, bad, log[-3000:])
    c = Client(d.port, timeout=T)
    key = Path("health", what)
    r = c.call("set_value", path=key, value=what, nchain=0)
    assert r.get("changed") is True or "error" not in r, (what, r)
    r = c.call("get_value", path=key)
    assert r.get("value") == what, (what, r)
    c.close()


# ---- random values -----------------------------------------------------

def rint(rnd):
    return rnd.choice((0, 1, -1, 127, 128, 255, 256, -32, -33, 65535,
                       2 ** 31 - 1, -2 ** 31, 2 ** 32, 2 ** 63 - 1,
                       -2 ** 63, 2 ** 64 - 1, rnd.randint(-2 ** 63,
                                                         2 ** 64 - 1),
                       rnd.randint(-5, 5)))


def rstr(rnd):
    k = rnd.random()
    if k < 0.02:
        return "s" * rnd.choice((STR_MAX - 200, STR_MAX // 2))
    if k < 0.1:
        return "".join(chr(rnd.randint(1, 0x2fff)) for _ in range(
            rnd.randint(0, 40)))
    return rnd.choice(("", "a", "x", ".", ":", "\0", "root", "fz",
                       "test", "..", "/etc/passwd", "a/b", "s" * 300))


def rpath(rnd, depth=0, maxlen=6):
    n = rnd.choice((0, 1, 2, 3, maxlen, rnd.randint(0, maxlen)))
    if rnd.random() < 0.03:
        n = rnd.choice((200, 1000))         # very deep paths
    return Path(*[relem(rnd, depth) for _ in range(n)])


def relem(rnd, depth):
    k = rnd.randrange(9)
    if k == 0:
        return None
    if k == 1:
        return rnd.random() < 0.5
    if k == 2:
        return rint(rnd)
    if k == 3:
        return rnd.choice((0.0, -0.0, 1.5, 1e308, float("inf"),
                           float("nan")))
    if k == 4:
        return rnd.choice((b"", b"\xff\x00", b"b" * 50))
    if k == 5 and depth < 3:
        return tuple(relem(rnd, depth + 1) for _ in range(rnd.randint(0,
                                                                      3)))
    if k == 6 and depth < 3:
        return {rnd.choice(("k", 1, None, b"k")): relem(rnd, depth + 1)}
    return rnd.choice(("a", "b", "fz", "", "x" * 100))


def rext(rnd):
    k = rnd.randrange(6)
    if k == 0:                              # garbage "path"
        return msgpack.ExtType(3, rnd.randbytes(rnd.randint(0, 30)))
    if k == 1:                              # a truncated element
        return msgpack.ExtType(3, pack("abc")[:-1])
    if k == 2:
        return msgpack.ExtType(3, b"\xdd\xff\xff\xff\xff")
    if k == 3:
        return msgpack.ExtType(2, rnd.randbytes(rnd.randint(0, 12)))
    return msgpack.ExtType(rnd.randint(0, 127),
                           rnd.randbytes(rnd.randint(0, 20)))


def rvalue(rnd, depth=0):
    k = rnd.randrange(14)
    if k == 0:
        return None
    if k == 1:
        return rnd.random() < 0.5
    if k in (2, 3):
        return rint(rnd)
    if k == 4:
        return rnd.choice((0.5, -1e-300, 1e308, float("inf"),
                           -float("inf"), float("nan"), math.pi))
    if k == 5:
        return rstr(rnd)
    if k == 6:
        return rnd.choice((b"", b"\0" * 10, rnd.randbytes(64)))
    if k == 7:
        return rext(rnd)
    if k == 8:
        return rpath(rnd)
    if k == 9 and depth < 6:
        return [rvalue(rnd, depth + 1) for _ in range(rnd.randint(0, 4))]
    if k == 10 and depth < 6:
        return {rkey(rnd, depth): rvalue(rnd, depth + 1)
                for _ in range(rnd.randint(0, 4))}
    if k == 11 and depth < 6:
        return tuple(rvalue(rnd, depth + 1) for _ in range(rnd.randint(0,
                                                                       3)))
    if k == 12:
        return {"node": rnd.choice(("fz", "nope", 5, None)),
                "tick": rint(rnd),
                "prev": rnd.choice((None, {"node": "fz", "tick": 1,
                                           "prev": None}, 3))}
    if rnd.random() < 0.02:
        return deep(rnd)
    return rnd.choice(("fz", "x", rint(rnd)))


def deep(rnd):
    """Nesting near and past the validator's depth limit (32)."""
    v = rnd.choice((1, "x", None, Path("a")))
    n = rnd.choice((10, 20, 26, 28, 29, 30))
    if rnd.random() < 0.1:
        n = rnd.choice((31, 32, 40))        # the connection is closed
    for _ in range(n):
        v = rnd.choice(([v], {"k": v}, (v, 1)))
    return v


def rkey(rnd, depth):
    k = rnd.randrange(4)
    if k == 0:
        return rint(rnd)
    if k == 1 and depth < 5:
        return rnd.choice((None, True, 1.5, b"bk"))
    return rnd.choice(("a", "b", "value", "seq", ""))


def raw(obj):
    return msgpack.packb(obj, use_bin_type=True, default=_def)


def _def(obj):
    if isinstance(obj, Path):
        return msgpack.ExtType(3, b"".join(raw(e) for e in obj))
    raise TypeError(repr(obj))


# ---- a connection that tolerates anything ------------------------------

class Raw:
    """A client socket read with a lenient unpacker."""

    def __init__(self, port, timeout=T):
        if isinstance(port, str):           # the control socket
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.settimeout(timeout)
            self.sock.connect(port)
        else:
            self.sock = socket.create_connection(("127.0.0.1", port),
                                                 timeout)
        self.sock.settimeout(timeout)
        self.unp = msgpack.Unpacker(raw=True, strict_map_key=False,
                                    max_buffer_size=64 << 20)
        self.closed = False
        self.replies = self.errors = 0

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError:
            self.closed = True

    def until(self, seq, timeout=2 * T):
        """Read until the reply for seq; False if the server closed."""
        self.sock.settimeout(timeout)
        while not self.closed:
            for m in self.unp:
                self.replies += 1
                if isinstance(m, dict) and b"error" in m:
                    self.errors += 1
                if isinstance(m, dict) and m.get(b"seq") == seq:
                    return m
            try:
                data = self.sock.recv(1 << 20)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            if not data:
                self.closed = True
            self.unp.feed(data)
        return False

    def drain_to_eof(self, timeout=T):
        """Half-close and read until the server closes."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        self.sock.settimeout(timeout)
        while True:
            try:
                data = self.sock.recv(1 << 20)
            except (ConnectionResetError, BrokenPipeError):
                return
            if not data:
                return

    def abort(self):
        """Close with a reset, not a FIN."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self):
        self.sock.close()


SENTINEL = 10 ** 12


def rseq(rnd, used):
    k = rnd.randrange(10)
    if k == 0:
        return rnd.choice((0, -1, -2 ** 63, 2 ** 63 - 1, 2 ** 64 - 1))
    if k == 1:
        return rnd.choice((None, "1", 1.0, [1], b"\x01"))
    if k in (2, 3) and used:
        return rnd.choice(used)            # reused
    return rnd.randint(1, 10 ** 6)


def request(rnd, used):
    a = rnd.choice(ACTIONS)
    msg = {"action": a, "seq": rseq(rnd, used)}
    if rnd.random() < 0.8:
        msg["path"] = rnd.choice((Path("fz", rnd.choice("abc")),
                                  rpath(rnd), rvalue(rnd)))
    for f in rnd.sample(FIELDS, rnd.randint(0, 5)):
        msg[f] = rvalue(rnd)
    if a in ("log", "save") and rnd.random() < 0.7:
        msg["path"] = rnd.choice(("fz.log", "sub/x", "", "..", "/tmp/x",
                                  "a" * 300, rstr(rnd)))
    if rnd.random() < 0.05:
        del msg["action"]
    return msg


def control(rnd, used):
    """An ack, stop or hello for one of the seqs in use."""
    s = rnd.choice(used) if used else 1
    k = rnd.randrange(4)
    if k == 0:
        return {"seq": s, "state": "ack", "ack": rvalue(rnd)}
    if k == 1:
        return {"seq": s, "state": rnd.choice(("ack", "end", "bogus", 3))}
    if k == 2:
        return {"action": "stop", "seq": rnd.randint(1, 10 ** 6),
                "task": rnd.choice((s, rvalue(rnd)))}
    return {"seq": 0, "qlen": rnd.choice((0, 1, 2, 3, -1, 2 ** 63 - 1,
                                          2 ** 64 - 1, 7, 1.5, None,
                                          "x"))}


def dupkeys(rnd, msg):
    """msg packed by hand with some keys twice, the copies random."""
    pairs = list(msg.items())
    for k, v in list(pairs):
        if rnd.random() < 0.4:
            pairs.insert(rnd.randint(0, len(pairs)), (k, rvalue(rnd)))
    return map_header(len(pairs)) + \
        b"".join(raw(k) + raw(v) for k, v in pairs)


def map_header(n):
    if n < 16:
        return bytes([0x80 | n])
    return b"\xde" + struct.pack(">H", n)


@test
def structured_requests():
    rnd = random.Random(SEED)
    d = server()
    setup = Client(d.port, timeout=T)
    for i in range(50):
        setup.call("set_value", path=Path("fz", "abc"[i % 3], i), value=i)
    setup.close()
    stats = [0, 0, 0, 0]
    for rd in range(ROUNDS):
        c = Raw(d.port if rd % 4 else os.path.join(d.state, "moatd.sock"))
        used = []
        n = 0
        for i in range(120):
            msg = control(rnd, used) if rnd.random() < 0.15 else \
                request(rnd, used)
            if isinstance(msg.get("seq"), int):
                used.append(msg["seq"])
            try:
                data = raw(msg) if rnd.random() < 0.9 else \
                    dupkeys(rnd, msg)
            except (OverflowError, TypeError, ValueError):
                continue
            c.send(data)
            n += 1
        c.send(raw({"action": "get_tock", "seq": SENTINEL}))
        got = c.until(SENTINEL, timeout=4 * T)
        c.close()
        stats[0] += n
        stats[1] += c.replies
        stats[2] += c.errors
        stats[3] += got is False
        healthy("structured %d" % rd)
    print("structured: %d requests, %d replies, %d errors, %d closed"
          % tuple(stats))


def valid_samples(rnd):
    used = []
    out = [raw({"action": "set_value", "seq": 5, "path": Path("fz", "m"),
                "value": {"a": [1, 2.5, b"x", None]}, "nchain": 2}),
           raw({"action": "get_tree", "seq": 6, "path": Path("fz"),
                "max_depth": 2}),
           raw({"seq": 0, "qlen": 5})]
    for _ in range(20):
        try:
            out.append(raw(request(rnd, used)))
        except (OverflowError, TypeError, ValueError):
            pass
    return [x for x in out if len(x) < 4096]


def mutate(rnd, data):
    b = bytearray(data)
    k = rnd.randrange(6)
    if k == 0 and b:                        # bit flips
        for _ in range(rnd.randint(1, 4)):
            i = rnd.randrange(len(b))
            b[i] ^= 1 << rnd.randrange(8)
    elif k == 1 and b:                      # truncation
        del b[rnd.randrange(len(b)):]
    elif k == 2:                            # insertion
        i = rnd.randint(0, len(b))
        b[i:i] = rnd.randbytes(rnd.randint(1, 8))
    elif k == 3:                            # container count inflation
        i = rnd.randint(0, len(b))
        b[i:i] = rnd.choice((b"\xdd\xff\xff\xff\xff",
                             b"\xdf\xff\xff\xff\xff", b"\xdc\xff\xff",
                             b"\xde\xff\xff", b"\xdb\xff\xff\xff\xff",
                             b"\xc9\xff\xff\xff\xff\x03",
                             b"\xc6\x7f\xff\xff\xff"))
    elif k == 4 and b:                      # byte replaced
        b[rnd.randrange(len(b))] = rnd.choice((0xc1, 0xc0, 0xd4, 0xd8,
                                               0xff, 0x00, 0x80, 0x90))
    else:                                   # chunks swapped
        i, j = sorted(rnd.randrange(len(b) + 1) for _ in range(2))
        b = b[j:] + b[i:j] + b[:i]
    return bytes(b)


@test
def mutated_bytes():
    rnd = random.Random(SEED + 1)
    d = server()
    samples = valid_samples(rnd)
    for rd in range(ROUNDS):
        for i in range(25):
            c = Raw(d.port if i % 5 else os.path.join(d.state,
                                                      "moatd.sock"))
            data = mutate(rnd, rnd.choice(samples))
            if rnd.random() < 0.5:
                data = mutate(rnd, data)
            # a valid request after the damage: answered or swallowed
            c.send(data + raw({"action": "get_tock", "seq": SENTINEL}))
            c.drain_to_eof()
            c.close()
        healthy("mutated %d" % rd)


@test
def dropped_connections():
    rnd = random.Random(SEED + 2)
    d = server()
    w = Client(d.port, timeout=T)
    n = 3000
    for i in range(n):
        w.send({"action": "set_value", "seq": 10 ** 6 + i, "nchain": 0,
                "path": Path("fzbig", i), "value": "v%d" % i})
    for i in range(n):
        w.recv_seq(10 ** 6 + i)
    big = raw({"action": "set_value", "seq": 9, "path": Path("fz", "d"),
               "value": "z" * 5000})
    for rd in range(max(1, ROUNDS // 2)):
        # mid-message
        for i in range(20):
            c = Raw(d.port)
            c.send(big[:rnd.randrange(1, len(big))])
            c.abort() if rnd.random() < 0.5 else c.close()
        # mid-stream: a get_tree of a few thousand entries, with and
        # without flow control
        for i in range(6):
            c = Raw(d.port)
            if rnd.random() < 0.5:
                c.send(raw({"seq": 0, "qlen": rnd.choice((1, 3, 10))}))
            c.send(raw({"action": "get_tree", "seq": 1,
                        "path": Path("fzbig"), "nchain": 2}))
            try:
                c.sock.recv(rnd.choice((1, 100, 5000)))
            except OSError:
                pass
            c.abort() if rnd.random() < 0.5 else c.close()
        # mid-watch, while the tree changes
        watchers = []
        for i in range(5):
            c = Raw(d.port)
            c.send(raw({"action": "watch", "seq": 1, "path": Path("fzbig"),
                        "fetch": rnd.random() < 0.5, "nchain": 1}))
            watchers.append(c)
        for i in range(100):
            w.send({"action": "set_value", "seq": 2 * 10 ** 6 + i,
                    "nchain": 0, "path": Path("fzbig", i),
                    "value": "w%d.%d" % (rd, i)})
            if i == 50:
                for c in watchers:
                    c.abort() if rnd.random() < 0.5 else c.close()
        for i in range(100):
            w.recv_seq(2 * 10 ** 6 + i)
        healthy("dropped %d" % rd)
    w.close()


@test
def flow_control_under_random_acks():
    """Garbage acks, hellos and stops around a flow-controlled get_tree
    and watch: the get_tree still delivers every entry, once."""
    rnd = random.Random(SEED + 5)
    d = server()
    w = Client(d.port, timeout=T)
    n = 1000
    for i in range(n):
        w.send({"action": "set_value", "seq": 10 ** 6 + i, "nchain": 0,
                "path": Path("fzfc", i), "value": i})
    for i in range(n):
        w.recv_seq(10 ** 6 + i)
    for rd in range(max(1, ROUNDS // 6)):
        c = Client(d.port, qlen=rnd.choice((1, 2, 3, 10)), timeout=T)
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c.send({"action": "get_tree", "seq": 1, "path": Path("fzfc")})
        c.send({"action": "watch", "seq": 2, "path": Path("fzfc")})
        got, last, k = [], 0, 0
        while True:
            m = c.recv(2 * T)
            if m.get("seq") == 1:
                last = max(last, m.get("wseq", 0))
                if "value" in m:
                    got.append(m["value"])
                if m.get("state") == "end":
                    break
            k += 1
            r = rnd.random()
            if r < 0.3:
                c.send({"seq": rnd.choice((1, 2, 3, 0)), "state": "ack",
                        "ack": rnd.choice((last, last - 5, 0, -1,
                                           2 ** 64 - 1, None, "x", 1.5,
                                           [last]))})
            elif r < 0.35:
                c.send({"seq": 0, "qlen": rnd.choice((1, 2, 5, 0, -3))})
            elif r < 0.4:
                c.send({"action": "stop", "seq": 100 + k,
                        "task": rnd.choice((2, 3, 99))})
            elif r < 0.45:
                w.send({"action": "set_value", "seq": 5, "nchain": 0,
                        "path": Path("fzfc", "w", k), "value": "w"})
            if m.get("seq") in (1, 2) and "wseq" in m:
                # after the garbage a valid ack must keep it going
                c.send({"seq": m["seq"], "state": "ack", "ack": m["wseq"]})
        vals = [v for v in got if isinstance(v, int)]
        assert sorted(vals) == list(range(n)), (rd, len(vals))
        c.close()
    w.close()
    healthy("flow control")


def tree_dump(port):
    """Every entry of the tree (and the nil subtree) as raw bytes, in
    order: path, value and chain as the server sends them."""
    out = []
    for action in ("get_tree", "get_tree_internal"):
        c = Raw(port)
        c.send(raw({"action": action, "seq": 1, "path": Path(),
                    "nchain": 9, "empty": True}))
        c.sock.settimeout(4 * T)
        while True:
            m = None
            for m in c.unp:
                if m.get(b"state") == b"end":
                    break
                if m.get(b"seq") == 1 and b"state" not in m:
                    out.append(raw([m.get(k) for k in (
                        b"path", b"depth", b"value", b"chain")]))
                m = None
            if m is not None:
                break
            data = c.sock.recv(1 << 20)
            assert data, "closed during get_tree"
            c.unp.feed(data)
        c.close()
    return out


@test
def fuzzed_values_survive_a_restart():
    """Whatever a client could store is saved and loaded back: the same
    tree after a clean stop and after a kill."""
    import shutil
    import signal
    import tempfile
    rnd = random.Random(SEED + 4)
    sdir = tempfile.mkdtemp(prefix="moat-state-")
    try:
        d = Moatd(name="fs", args=["-i", "root"], state=sdir,
                  libexec=LIBEXEC)
        try:
            d.wait_port(10 * T)
            c = Raw(d.port)
            for i in range(ROUNDS * 10):
                a = rnd.choice(("set_value", "set_value", "set_internal",
                                "delete_value", "delete_tree"))
                p = rpath(rnd) if rnd.random() < 0.5 else \
                    Path("fs", rnd.choice("abc"), rnd.randrange(5))
                msg = {"action": a, "seq": i + 1, "path": p,
                       "value": rvalue(rnd)}
                if a.startswith("delete"):
                    del msg["value"]
                try:
                    c.send(raw(msg))
                except (OverflowError, TypeError, ValueError):
                    continue
            c.send(raw({"action": "get_tock", "seq": SENTINEL}))
            # closed after a value nested past the limit: the rest is
            # lost, as it should be
            assert c.until(SENTINEL, 4 * T) or c.closed, "no answer"
            c.close()
            before = tree_dump(d.port)
            assert d.stop(10 * T) == 0
        finally:
            d.cleanup()
        d = Moatd(name="fs", state=sdir, libexec=LIBEXEC)
        try:
            d.wait_port(10 * T)
            after = tree_dump(d.port)
            assert after == before, (len(before), len(after), next(
                (i, a, b) for i, (a, b) in enumerate(zip(before, after))
                if a != b) if len(before) == len(after) else None)
            os.killpg(d.pid, signal.SIGKILL)
            d.proc.wait(5)
        finally:
            d.cleanup()
        d = Moatd(name="fs", state=sdir, libexec=LIBEXEC)
        try:
            d.wait_port(10 * T)
            assert tree_dump(d.port) == before
            log = d.logtext()
            for bad in BAD_LOG[:4]:
                assert bad not in log, (bad, log[-3000:])
            print("restart: %d entries" % len(before))
        finally:
            d.cleanup()
    finally:
        shutil.rmtree(sdir, ignore_errors=True)


# ---- MQTT: what other servers send ------------------------------------

class MqttPub:
    """The least MQTT 3.1.1 publisher: CONNECT, then QoS 0 PUBLISHes."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), T)
        cid = b"fuzz%d" % os.getpid()
        self.packet(0x10, b"\x00\x04MQTT\x04\x02\x00\x3c" +
                    struct.pack(">H", len(cid)) + cid)
        assert self.sock.recv(4)[:1] == b"\x20", "no CONNACK"

    def packet(self, kind, body):
        n, rl = len(body), b""
        while True:
            n, d = n >> 7, n & 0x7f
            rl += bytes([d | (0x80 if n else 0)])
            if not n:
                break
        self.sock.sendall(bytes([kind]) + rl + body)

    def publish(self, topic, payload):
        t = topic.encode()
        self.packet(0x30, struct.pack(">H", len(t)) + t + payload)

    def close(self):
        self.packet(0xe0, b"")                  # DISCONNECT
        self.sock.close()


# Captured from the original (ORIGINAL-ON-THE-WIRE.md, section 3), as in
# test_syncd_mqtt.py.
SYNC_SAMPLES = (
    ("update", "86a46e6f6465a27331a47469636b37a470726576c0a470617468c70a03"
               "a46d717474a464656d6fa576616c7565a27631a4746f636bccf3"),
    ("info", "84a76d697373696e6781a2733191920305a4746f636b1aa46e6f6465a2"
             "7332a47469636b02"),
    ("ping", "82a174a4696e6974a46e6f6465a27332"),
    ("ping", "89a174a476657273a46e6f6465a27332a56379636c6564a36761700aa5"
             "6e6f64657305a673706c69747304a76e5f686f7374730aa776657273696f"
             "6e01a8666f7263655f696e00"),
)
SYNC_KEYS = ("t", "node", "tick", "prev", "path", "value", "tock", "chain",
             "history", "missing", "known", "deleted", "ticks", "nodes",
             "cycle", "gap", "splits", "n_hosts", "version", "force_in")


def sync_message(rnd):
    k = rnd.random()
    topic, hx = rnd.choice(SYNC_SAMPLES)
    if k < 0.5:
        return topic, mutate(rnd, bytes.fromhex(hx))
    msg = msgpack.unpackb(bytes.fromhex(hx), raw=False,
                          strict_map_key=False)
    for f in rnd.sample(SYNC_KEYS, rnd.randint(1, 4)):
        msg[f] = rvalue(rnd)
    if rnd.random() < 0.3:
        msg["t"] = rnd.choice(("init", "vers", "ping", "hist", "x"))
    if rnd.random() < 0.2:
        topic = rnd.choice(("ping", "update", "info", "del", "del/x"))
    try:
        return topic, raw(msg)
    except (OverflowError, TypeError, ValueError):
        return topic, b"\xc0"


@test
def mqtt_messages_from_other_servers():
    from moattest import Mosquitto
    rnd = random.Random(SEED + 3)
    broker = Mosquitto()
    d = None
    try:
        d = Moatd(name="s1", libexec=LIBEXEC,
                  args=["-C", "kv.server.mqtt.uri=" + broker.uri(),
                        "-C", "kv.server.ping.cycle=0.6",
                        "-C", "kv.server.ping.gap=0.2"])
        d.wait_log("mqtt: connected to 127.0.0.1:%d" % broker.port,
                   10 * T)
        kids = d.children() if LIBEXEC else d.wait_children()
        pub = MqttPub(broker.port)
        n = 0
        for rd in range(max(1, ROUNDS // 4)):
            for i in range(50):
                topic, payload = sync_message(rnd)
                pub.publish("moat/kv/" + topic, payload)
                n += 1
            c = Client(d.port, timeout=T)
            assert "tock" in c.call("get_tock")
            c.close()
        # the broker delivers in order: the last (bad) message logged
        # means syncd has read everything before it
        pub.publish("moat/kv/ping", b"\xc1" * 4321)
        pub.close()
        wait_for(lambda: "ping message (4321 bytes) dropped" in
                 d.logtext() or d.children() != kids, 2 * T,
                 what="the last message")
        assert d.children() == kids, d.logtext()[-3000:]
        log = d.logtext()
        for bad in BAD_LOG:
            assert bad not in log, (bad, log[-3000:])
        print("mqtt: %d messages" % n)
    finally:
        if d is not None:
            d.stop(10 * T)
            d.cleanup()
        broker.cleanup()


@test
def zz_cleanup():
    global _server
    if _server is not None:
        assert _server.stop(60) == 0, "moatd did not stop cleanly"
        _server.cleanup()
        _server = None


if __name__ == "__main__":
    main()
