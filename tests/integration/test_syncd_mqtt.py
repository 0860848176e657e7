"""Server sync over MQTT: syncd against a real mosquitto broker.

One moatd with kv.server.mqtt.uri pointing at a private broker; a
mosquitto_sub next to it sees what syncd publishes.  Checks the actor's
start-up messages and pings on moat/kv/ping (decoded), reconnecting
after the broker restarts or is killed with SIGKILL, that malformed
messages on the broker are dropped without harm, that a bad URI stops
moatd with a clear error, and that without a URI moatd runs standalone.
"""
import os
import subprocess
import sys

import msgpack

sys.path.insert(0, os.path.dirname(__file__))
from moattest import (BIN, Client, Moatd, Mosquitto, MqttSub, Path,  # noqa
                      main, test, wait_for)

# the replication tests' fast ping cycle (cycle >= 3 * gap) and cleanup()
from synclib import FAST, cleanup  # noqa: E402


def synced(broker, name="s1", extra=()):
    return Moatd(name, args=["-C", "kv.server.mqtt.uri=" + broker.uri()]
                 + FAST + list(extra))


def decoded(sub, topic="moat/kv/ping"):
    return [msgpack.unpackb(p, raw=False) for t, p in sub.messages()
            if t == topic]


def pings_of(sub, node):
    return [m for m in decoded(sub) if m.get("t") == "ping"
            and m.get("node") == node]


# Captured from the original (ORIGINAL-ON-THE-WIRE.md, section 3).
INIT_S2 = "82a174a4696e6974a46e6f6465a27332"
VERS_DEL_S2 = ("89a174a476657273a46e6f6465a27332a56379636c6564a36761700aa56e"
               "6f64657305a673706c69747304a76e5f686f7374730aa776657273696f6e"
               "01a8666f7263655f696e00")


UPD_S1 = ("86a46e6f6465a27331a47469636b37a470726576c0a470617468c70a03a46d"
          "717474a464656d6fa576616c7565a27631a4746f636bccf3")
INFO_S2 = ("84a76d697373696e6781a2733191920305a4746f636b1aa46e6f6465a27332"
           "a47469636b02")


@test
def test_startup_messages():
    broker = Mosquitto()
    sub = MqttSub(broker)
    d = None
    try:
        d = synced(broker, "s2")
        d.wait_log("mqtt: connected to 127.0.0.1:%d" % broker.port)
        wait_for(lambda: len(pings_of(sub, "s2")) >= 2, 10,
                 what="two pings from s2")
        # the deletion actor announces itself on del: byte for byte
        # what the original sends
        dels = [p.hex() for t, p in sub.messages() if t == "moat/kv/del"]
        assert dels == [INIT_S2, VERS_DEL_S2], dels
        msgs = decoded(sub)
        raw = [p for t, p in sub.messages() if t == "moat/kv/ping"]
        assert raw[0].hex() == INIT_S2, raw[0].hex()
        vers = msgs[1]
        assert vers["t"] == "vers" and vers["node"] == "s2", vers
        assert list(vers) == ["t", "node", "cycle", "gap", "nodes",
                              "splits", "n_hosts", "version", "force_in"]
        assert vers["gap"] == 0.2 and vers["nodes"] == 5, vers
        # value is nil until core's first SYNC_STATE reached syncd (a
        # race with the first ping on a slow, e.g. sanitizer, build),
        # then [tock, tick]; core is ready at once (no download)
        wait_for(lambda: any(q["value"] is not None
                             for q in pings_of(sub, "s2")), 10,
                 what="a ping from s2 with a value")
        pings = pings_of(sub, "s2")
        n = next(i for i, q in enumerate(pings) if q["value"] is not None)
        assert all(q["value"] is None for q in pings[:n]), pings
        p = pings[n]
        assert list(p) == ["t", "node", "value", "history"], p
        assert p["history"] == ["s2"], p
        assert isinstance(p["value"], list) and len(p["value"]) == 2, p
        assert p["value"][1] == 0, p
        assert "seccomp" not in d.logtext(), d.logtext()
    finally:
        cleanup(sub, d, broker)


@test
def test_reconnect_after_restart_and_kill():
    broker = Mosquitto()
    d = None
    sub = None
    try:
        d = synced(broker)
        d.wait_log("mqtt: connected to 127.0.0.1:%d" % broker.port)
        pid = d.wait_children()["syncd"]
        for how in ("restart", "kill -9"):
            n = d.logtext().count("mqtt: connected to")
            if how == "restart":
                broker.restart()
            else:
                broker.kill()
                d.wait_log("connection to 127.0.0.1:%d lost" % broker.port)
                broker.start()
            wait_for(lambda: d.logtext().count("mqtt: connected to") > n,
                     40, what="reconnect after broker " + how)
        sub = MqttSub(broker)
        wait_for(lambda: pings_of(sub, "s1"), 10, what="pings after "
                 "reconnecting")
        # the same syncd process all along: nothing crashed
        assert d.children()["syncd"] == pid, d.logtext()
        assert "seccomp" not in d.logtext(), d.logtext()
    finally:
        cleanup(sub, d, broker)


@test
def test_two_servers_share_the_rotation():
    broker = Mosquitto()
    sub = MqttSub(broker)
    a = b = None
    try:
        a = synced(broker, "s1")
        b = synced(broker, "s2")
        for d in (a, b):
            d.wait_log("mqtt: connected to 127.0.0.1:%d" % broker.port)

        def both_in_history():
            return [m for m in decoded(sub) if m.get("t") == "ping"
                    and sorted(m["history"][:2]) == ["s1", "s2"]]
        # each sees the other's pings and lists it behind itself
        wait_for(both_in_history, 20, what="a ping history with both")
        assert "seccomp" not in a.logtext() + b.logtext()
    finally:
        cleanup(sub, a, b, broker)


@test
def test_broker_down_at_start():
    broker = Mosquitto()
    broker.kill()
    d = None
    try:
        d = synced(broker)
        d.wait_children()
        pid = d.children()["syncd"]
        broker.start()
        d.wait_log("mqtt: connected to 127.0.0.1:%d" % broker.port, 40)
        assert d.children()["syncd"] == pid
    finally:
        cleanup(d, broker)


@test
def test_malformed_messages_dropped():
    broker = Mosquitto()
    d = None
    sub = None
    try:
        d = synced(broker)
        d.wait_log("mqtt: connected to 127.0.0.1:%d" % broker.port)
        pid = d.wait_children()["syncd"]
        bad = [
            ("ping", b"\xdd\xff\xff\xff\xff"),          # array32 bomb
            ("ping", b"\x82\xa1t\xa4ping"),             # truncated
            ("ping", msgpack.packb({"t": "ping", "node": 5})),
            ("ping", msgpack.packb({"t": "nope", "node": "x"})),
            ("ping", msgpack.packb([1, 2, 3])),
            ("update", msgpack.packb({"node": "x", "tick": 1})),
            ("update", b"\xc1"),
            ("info", msgpack.packb({"node": "x", "missing": {"y": "z"}})),
            ("ping", msgpack.packb({"t": "ping", "node": "p",
                                    "value": [1, 2],
                                    "history": ["p"] * 40})),
        ]
        for kind, payload in bad:
            subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p",
                            str(broker.port), "-t", "moat/kv/" + kind,
                            "-s"], input=payload, check=True)
        wait_for(lambda: d.logtext().count("dropped") >= len(bad), 10,
                 what="every bad message logged")
        # well-formed traffic from another server: a captured update
        # and info (section 3/4); core does not take them yet, syncd
        # must simply survive them
        for kind, hx in (("update", UPD_S1), ("info", INFO_S2)):
            subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p",
                            str(broker.port), "-t", "moat/kv/" + kind,
                            "-s"], input=bytes.fromhex(hx), check=True)
        # a good ping from a stranger is taken, and syncd keeps pinging
        good = msgpack.packb({"t": "ping", "node": "zz", "value": [5, 1],
                              "history": ["zz"]})
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p",
                        str(broker.port), "-t", "moat/kv/ping", "-s"],
                       input=good, check=True)
        sub = MqttSub(broker)
        wait_for(lambda: pings_of(sub, "s1"), 10, what="s1 still pings")
        assert d.children()["syncd"] == pid, d.logtext()
    finally:
        cleanup(sub, d, broker)


@test
def test_low_load_set_is_one_original_update():
    """One set at low load: one message on moat/kv/update, byte for byte
    the original's encoding (key order, ext 3 path), never a batch."""
    broker = Mosquitto()
    d = sub = c = None
    try:
        sub = MqttSub(broker, "moat/kv/#")
        d = synced(broker)
        d.wait_log("mqtt: connected to 127.0.0.1:%d" % broker.port)
        wait_for(lambda: decoded(sub), 10, what="s1 on the broker")
        c = Client(d.port)
        c.call("set_value", path=Path("bb"), value="v")
        ups = wait_for(lambda: [p for t, p in sub.messages()
                                if t == "moat/kv/update"], 10,
                       what="the update")
        assert len(ups) == 1, ups
        u = msgpack.unpackb(ups[0], raw=False)
        want = msgpack.packb({"node": "s1", "tick": u["tick"], "prev": None,
                              "path": msgpack.ExtType(3, b"\xa2bb"),
                              "value": "v", "tock": u["tock"]})
        assert ups[0] == want, (ups[0].hex(), want.hex())
        assert not [t for t, p in sub.messages()
                    if t.startswith("moat/kv/update/")], sub.messages()
    finally:
        if c:
            c.close()
        cleanup(sub, d, broker)


def burst(broker, n, extra=()):
    """n pipelined sets on s1 of two servers; returns what a subscriber
    saw on moat/kv/update/batch once s2 holds every one of them."""
    ss = []
    sub = None
    try:
        sub = MqttSub(broker, "moat/kv/update/batch")
        ss = [synced(broker, name, ["-C", "kv.server.start=memory"] +
                     list(extra)) for name in ("s1", "s2")]
        for d in ss:
            d.wait_log("mqtt: connected to 127.0.0.1:%d" % broker.port)
        r = subprocess.run([os.path.join(BIN, "moatctl"), "-h", "127.0.0.1",
                            "-p", str(ss[0].port), "bench", "-q", "-c", "8",
                            "-P", "64", "-n", str(n), "--sequential", "-t",
                            "set"], capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr
        q = Client(ss[1].port, timeout=30)

        def has_all():
            st = q.call("get_state", nodes=True, missing=True)
            return st["nodes"].get("s1", 0) >= n and not st["missing"]
        wait_for(has_all, 120, step=0.2, what="s2 to have all of s1's")
        got = q.call("get_value", path=Path("bench", "key:%012d" % (n - 1)))
        assert got.get("value") == "xxx", got
        q.close()
        return [msgpack.unpackb(p, raw=False) for t, p in sub.messages()]
    finally:
        cleanup(sub, *ss)


@test
def test_burst_is_batched_and_converges():
    """A burst far beyond what a broker with small queues takes in single
    messages: syncd coalesces it into update/batch messages, whatever
    the broker drops is recovered, both servers end with everything."""
    broker = Mosquitto(extra="max_queued_messages 50\n")
    try:
        batches = burst(broker, 20000)
    finally:
        broker.cleanup()
    assert batches, "no update/batch message seen"
    for b in batches[:20]:
        assert b["node"] == "s1", b
        assert 2 <= len(b["updates"]) <= 256, len(b["updates"])
        for u in b["updates"]:
            assert u["node"] == "s1" and u["prev"] is None, u
            assert u["path"].code == 3 and u["value"] == "xxx", u


@test
def test_batching_off_sends_single_updates():
    """kv.server.batch=false (for networks with original servers): the
    same kind of burst goes out as single updates only, and arrives."""
    broker = Mosquitto()
    try:
        batches = burst(broker, 5000, ["-C", "kv.server.batch=false"])
    finally:
        broker.cleanup()
    assert batches == [], "%d batches sent" % len(batches)


@test
def test_bad_uri_is_a_config_error():
    for uri, why in (("http://127.0.0.1:1883", "must start with mqtt://"),
                     ("mqtt://broker.example:1883", "numeric address"),
                     ("mqtt://127.0.0.1:0", "port must be"),
                     ("mqtt://127.0.0.1:1883/x", "not supported")):
        r = subprocess.run([os.path.join(BIN, "moatd"), "-C",
                            "kv.server.mqtt.uri=" + uri, "-D", "/nonexistent",
                            "n1"], capture_output=True, timeout=10)
        err = r.stderr.decode()
        assert r.returncode != 0, uri
        assert "kv.server.mqtt.uri" in err and why in err, (uri, err)


@test
def test_standalone_without_uri():
    d = Moatd("solo")
    try:
        d.wait_log("running standalone")
        d.wait_port()
        assert "mqtt:" not in d.logtext(), d.logtext()
        assert "syncd" in d.wait_children()
    finally:
        d.cleanup()


if __name__ == "__main__":
    main()
