"""synclib - helpers shared by the replication tests: servers on a real
mosquitto with a fast ping cycle, full dumps with chains, and waiting
until every server holds the same tree and tick bookkeeping."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from moattest import Client, Moatd, Path, wait_for  # noqa

FAST = ["-C", "kv.server.ping.cycle=0.6", "-C", "kv.server.ping.gap=0.2"]
NAMES = ("s1", "s2", "s3")


def hostmap(peers):
    """-C options that tell a server where its peers' client ports are
    ({name: port}), for the start-up download."""
    out = []
    for n, p in peers.items():
        out += ["-C", "kv.hostmap.%s=127.0.0.1:%d" % (n, p)]
    return out


def server(broker, name, port=None, state=None, args=(), peers=None):
    d = Moatd(name, args=["-C", "kv.server.mqtt.uri=" + broker.uri()]
              + FAST + hostmap(peers or {}) + list(args), port=port,
              state=state)
    try:
        d.wait_port()
        d.wait_log("mqtt: connected to 127.0.0.1:%d" % broker.port, 10)
    except AssertionError:
        print("---- %s did not start:\n%s" % (name, d.logtext()[-12000:]))
        d.cleanup()
        raise
    return d


def dump(port, empty=False, flow=False, internal=False):
    """Every entry below the root: {path: (value, chain)}; chains whole.
    flow: under flow control (a large tree would otherwise outrun a slow
    test client past kv.server.max_out).  internal: the internal tree's
    entries too (their paths relative to it)."""
    c = Client(port, qlen=10 if flow else None, timeout=60 if flow else 5)
    try:
        msgs = c.stream("get_tree_internal", ack=flow, path=Path(),
                        nchain=-1, empty=empty) if internal else []
        msgs += c.stream("get_tree", ack=flow, path=Path(), nchain=-1,
                         empty=empty)
    finally:
        c.close()
    out = {}
    prev = []
    for m in msgs:
        if "depth" not in m:
            continue
        prev = prev[:m["depth"]] + list(m["path"])
        out[tuple(prev)] = (m.get("value", "<none>"), repr(m.get("chain")))
    return out


def state(port):
    c = Client(port)
    try:
        return c.call("get_state", nodes=True, known=True, missing=True,
                      remote_missing=True)
    finally:
        c.close()


def converged(servers, what="dumps", flow=False):
    """Wait until every server has the same dump; return it."""
    def same():
        ds = [dump(s.port, flow=flow) for s in servers]
        return ds[0] if all(d == ds[0] for d in ds[1:]) else None
    return wait_for(same, 30, step=0.3, what="servers converge: " + what)


def no_missing(servers):
    def ok():
        st = [state(s.port) for s in servers]
        if any(s.get("missing") for s in st):
            return None
        nodes = [(s["nodes"], s["known"]) for s in st]
        return nodes if all(n == nodes[0] for n in nodes[1:]) else None
    return wait_for(ok, 30, step=0.3, what="no server misses a tick")


def count(ranges):
    """Number of ticks in the wire form of a tick set."""
    return sum(1 if isinstance(r, int) else r[1] - r[0] for r in ranges)


def cleanup(*things):
    for t in things:
        try:
            t.cleanup()
        except Exception:
            pass


def setv(port, path, value):
    c = Client(port)
    try:
        r = c.call("set_value", path=Path(*path), value=value, nchain=3)
        assert r.get("changed") is True, r
        return r
    finally:
        c.close()


def getv(port, path):
    c = Client(port)
    try:
        return c.call("get_value", path=Path(*path)).get("value")
    finally:
        c.close()
