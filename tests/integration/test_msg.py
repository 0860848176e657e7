"""msg_send and msg_monitor: client messages through the MQTT broker.

Two servers on a real mosquitto: a message sent through one arrives at
the monitors on the other (decoded, raw, undecodable), wildcard and
root-relative topics, two monitors of one topic sharing one broker
subscription (the last stop unsubscribes), a slow monitor ended with an
error, bad requests answered with errors on a connection that keeps
working, moatctl msg send / msg monitor / dump msg, and the error of a
standalone server.
"""
import os
import re
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from moattest import (Client, Moatd, MoatctlStream, Mosquitto, MqttSub,  # noqa
                      Path, main, moatctl, test, wait_for)
from synclib import server  # noqa


class Pair:
    """A broker (counting subscriptions in $SYS each second) and
    servers s1, s2 on it."""

    def __init__(self, n=2, extra=()):
        self.broker = Mosquitto()
        with open(self.broker.conf, "a") as f:
            f.write("sys_interval 1\n")	# $SYS counts every second
        self.broker.restart()
        self.servers = []
        try:
            for i in range(n):
                self.servers.append(server(self.broker, "s%d" % (i + 1)))
        except Exception:
            self.cleanup()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()

    def cleanup(self):
        for s in self.servers:
            s.cleanup()
        self.broker.cleanup()


def monitor(c, topic, **kw):
    """Start a monitor stream on c; return its seq after {state:start}."""
    seq = c.next_seq()
    kw.update(action="msg_monitor", topic=topic, seq=seq)
    c.send(kw)
    m = c.recv_seq(seq)
    assert m.get("state") == "start", m
    return seq


def sent(c, topic, **kw):
    r = c.call("msg_send", topic=topic, **kw)
    assert "error" not in r, r
    return r


def until_seen(sender, topic, mc, seq, probe=("probe",)):
    """Send probes until the monitor (mc, seq) gets one: from then on its
    subscription is live.  Returns the probe item.  A probe the sender
    cannot send yet (its broker connection coming back) is retried."""
    def got():
        if "error" in sender.call("msg_send", topic=topic,
                                  data=list(probe)):
            return None
        try:
            m = mc.recv_seq(seq, 0.3)
        except socket.timeout:
            return None
        return m
    m = wait_for(got, 20, step=0.05, what="monitor subscribed")
    drain(mc, seq)
    return m


def drain(c, seq):
    """Drop further probes that are already on their way."""
    while True:
        try:
            c.recv_seq(seq, 0.3)
        except socket.timeout:
            return


def stop(c, seq):
    r = c.call("stop", task=seq)
    assert r.get("result") is True, r
    while True:
        m = c.recv_seq(seq, 5)
        if m.get("state") == "end":
            return


@test
def send_to_other_server_data_and_raw():
    with Pair() as p:
        s1, s2 = p.servers
        c1, c2 = Client(s1.port), Client(s2.port)
        data = monitor(c2, Path("foo", "bar"))
        raw = monitor(c2, ("foo", "bar"), raw=True)
        m = until_seen(c1, Path("foo", "bar"), c2, data)
        assert m["topic"] == ["foo", "bar"] and m["data"] == ["probe"], m
        drain(c2, raw)
        r = sent(c1, Path("foo", "bar"), data=["Hello", 42])
        assert set(r) == {"seq", "tock"}, r
        m = c2.recv_seq(data, 5)
        assert m["data"] == ["Hello", 42] and "raw" not in m, m
        assert m["topic"] == ["foo", "bar"] and "tock" in m, m
        m = c2.recv_seq(raw, 5)
        assert m["raw"] == b"\x92\xa5Hello*" and "data" not in m, m
        assert "error" not in m, m
        # raw bytes: as they are; not MsgPack: raw + error when decoding
        sent(c1, ("foo", "bar"), raw=b"\xc1")
        m = c2.recv_seq(data, 5)
        assert m["raw"] == b"\xc1" and "error" in m and "data" not in m, m
        m = c2.recv_seq(raw, 5)
        assert m["raw"] == b"\xc1" and "error" not in m, m
        sent(c1, "foo/bar", raw=b"\x92\x01")	# a str: one element
        m = c2.recv_seq(data, 5)
        assert "incomplete" in m["error"], m
        stop(c2, data)
        stop(c2, raw)
        c1.close()
        c2.close()


@test
def wildcards_and_root():
    with Pair() as p:
        s1, s2 = p.servers
        c1, c2 = Client(s1.port), Client(s2.port)
        hash_ = monitor(c2, "foo.#")		# str: path text
        plus = monitor(c2, ("+", "x"))
        until_seen(c1, ("foo", "x"), c2, hash_)
        drain(c2, plus)
        sent(c1, ("foo", "a", "b"), data=1)
        sent(c1, ("bar", "x"), data=2)
        m = c2.recv_seq(hash_, 5)
        assert m["topic"] == ["foo", "a", "b"] and m["data"] == 1, m
        m = c2.recv_seq(plus, 5)
        assert m["topic"] == ["bar", "x"] and m["data"] == 2, m
        assert c2.nothing(0.5)		# nothing else, nothing twice
        # ":" is kv.server.root: the servers' own update messages
        upd = monitor(c2, [":", "update"])
        until_seen(c1, [":update"], c2, upd)
        r = c1.call("set_value", path=Path("k"), value="v")
        assert "error" not in r, r
        m = wait_for(lambda: c2.recv_seq(upd, 5), 10)
        assert m["topic"] == ["moat", "kv", "update"], m
        assert m["data"]["node"] == "s1" and m["data"]["value"] == "v", m
        assert c2.nothing(0.5)		# once, though <root>/# overlaps
        # ... and the overlap gives syncd nothing twice either
        mon = monitor(c2, [":", "#"])
        until_seen(c1, [":probe"], c2, mon)
        r = c1.call("set_value", path=Path("k2"), value="v2")
        assert "error" not in r, r
        converged = lambda: c2.call("get_value", path=Path("k2")).get(
            "value") == "v2"
        wait_for(converged, 10, what="k2 at s2")
        for s in (s1, s2):
            assert "another server uses the node name" not in s.logtext()
            assert "bad update" not in s.logtext()
        c1.close()
        c2.close()


def sub_count(sub):
    """The broker's latest count of subscriptions (all clients)."""
    msgs = sub.messages()
    return int(msgs[-1][1]) if msgs else None


def count_is(sub, n):
    wait_for(lambda: sub_count(sub) == n, 10,
             what="%d subscriptions at the broker" % n)


@test
def two_monitors_share_one_subscription():
    with Pair() as p:
        s1, s2 = p.servers
        count = MqttSub(p.broker, "$SYS/broker/subscriptions/count")
        try:
            base = wait_for(lambda: sub_count(count), 10)
            c1, c2, c3 = Client(s1.port), Client(s2.port), Client(s2.port)
            a = monitor(c2, ("t", "shared"))
            b = monitor(c3, ("t", "shared"))
            until_seen(c1, ("t", "shared"), c2, a)
            drain(c3, b)
            count_is(count, base + 1)		# one for both
            sent(c1, ("t", "shared"), data="one")
            assert c2.recv_seq(a, 5)["data"] == "one"
            assert c3.recv_seq(b, 5)["data"] == "one"
            assert c2.nothing(0.3) and c3.nothing(0.3)	# exactly once
            stop(c2, a)
            sent(c1, ("t", "shared"), data="two")
            assert c3.recv_seq(b, 5)["data"] == "two"
            assert c2.nothing(0.3)
            count_is(count, base + 1)		# still there for b
            c3.close()				# its session ends: b stops
            count_is(count, base)		# the last one unsubscribed
            # a new monitor subscribes again
            d = monitor(c2, ("t", "shared"))
            until_seen(c1, ("t", "shared"), c2, d)
            count_is(count, base + 1)
            c1.close()
            c2.close()
        finally:
            count.stop()


@test
def slow_monitor_is_ended():
    with Pair() as p:
        s1, s2 = p.servers
        s2.cleanup()
        s2 = server(p.broker, "s2x")
        p.servers[1] = s2
        c1 = Client(s1.port)
        fast = Client(s2.port)
        slow = Client(s2.port, qlen=2)		# never acks
        f = monitor(fast, ("slow",))
        seq = monitor(slow, ("slow",))
        until_seen(c1, ("slow",), fast, f)
        big = "x" * 1000
        for i in range(20000):
            sent(c1, ("slow",), data=big)
            if i % 50 == 0 and not slow.nothing(0.05):
                break
        msgs = []
        while True:
            m = slow.recv_seq(seq, 10)
            msgs.append(m)
            if m.get("state") == "end":
                break
        errs = [m for m in msgs if "error" in m]
        assert errs and "overflow" in errs[0]["error"], msgs[-3:]
        # the fast monitor goes on: "after" comes behind whatever of
        # the flood is still on its way (a pause in it is no end of it)
        drain(fast, f)
        sent(c1, ("slow",), data="after")
        end = time.monotonic() + 10
        while fast.recv_seq(f, 5)["data"] != "after":
            assert time.monotonic() < end, "the fast monitor stopped"
        for c in (c1, fast, slow):
            c.close()


@test
def broker_and_syncd_outages():
    """Broker down: sends fail with an error, monitors stay and work again
    once it is back.  syncd killed: pending sends are answered, monitors
    are subscribed again by its successor."""
    with Pair() as p:
        s1, s2 = p.servers
        c1, c2 = Client(s1.port), Client(s2.port)
        mon = monitor(c2, ("out", "x"))
        until_seen(c1, ("out", "x"), c2, mon)
        p.broker.kill()
        s1.wait_log("mqtt: connection to", 10)
        r = c1.call("msg_send", topic=("out", "x"), data=1)
        assert r.get("error") == \
            "RuntimeError('the MQTT broker is not connected')", r
        p.broker.start()
        until_seen(c1, ("out", "x"), c2, mon)		# subscribed again
        # syncd of the monitoring server dies and is restarted
        old = s2.children()["syncd"]
        os.kill(old, signal.SIGKILL)
        wait_for(lambda: s2.children().get("syncd") not in (None, old), 10,
                 what="a new syncd")
        until_seen(c1, ("out", "x"), c2, mon)
        sent(c1, ("out", "x"), data="after")
        assert c2.recv_seq(mon, 5)["data"] == "after"
        stop(c2, mon)
        c1.close()
        c2.close()


@test
def bad_requests_get_errors():
    with Pair(n=1) as p:
        c = Client(p.servers[0].port)
        cases = [
            (dict(topic=5, data=1), "TypeError"),
            (dict(data=1), "AttributeError('topic')"),
            (dict(topic=("a" * 2000,), data=1), "longer than"),
            (dict(topic="x" * 2000, data=1), "longer than"),
            (dict(topic=("foo", "#"), data=1), "not a valid MQTT topic"),
            (dict(topic=("foo", "+", "x"), data=1), "not a valid MQTT"),
            (dict(topic=("a\0b",), data=1), "NUL"),
            (dict(topic=(), data=1), "empty topic"),
            (dict(topic=("a",), data=1, raw=b"x"), "AssertionError()"),
            (dict(topic=("a",), raw="str"), "TypeError"),
            (dict(topic=("a",)), "AttributeError('data')"),
        ]
        for kw, err in cases:
            r = c.call("msg_send", **kw)
            assert err in r.get("error", ""), (kw, r)
        for kw, err in [(dict(topic=5), "TypeError"),
                        (dict(topic=("a", "#", "b")), "filter"),
                        (dict(topic="a.:x"), "bad topic text")]:
            msgs = c.stream("msg_monitor", **kw)
            assert msgs[0].get("state") == "start" or "error" in msgs[0], \
                msgs
            assert any(err in m.get("error", "") for m in msgs), (kw, msgs)
        r = c.call("msg_monitor", topic=("a",), raw="yes")
        assert "raw" in r.get("error", ""), r
        # the connection still works
        mon = monitor(c, ("ok",))
        until_seen(c, ("ok",), c, mon)
        stop(c, mon)
        assert "error" not in c.call("get_value", path=Path("x"))
        c.close()


@test
def moatctl_send_monitor_and_dump():
    with Pair() as p:
        s1, s2 = p.servers
        probe = Client(s2.port)
        seq = monitor(probe, ("cli", "+"))
        c1 = Client(s1.port)
        until_seen(c1, ("cli", "p"), probe, seq)
        mon = MoatctlStream(s2.port, "msg", "monitor", "cli.+")
        dump = MoatctlStream(s2.port, "dump", "msg")
        upd = MoatctlStream(s2.port, "dump", "msg", "+update")

        def all_live():
            sent(c1, ("cli", "ping"), data="p")
            sent(c1, (":", "ping2"), data="p")
            return ("cli.ping" in mon.text() and
                    "moat.kv.ping2" in dump.text())
        wait_for(all_live, 20, step=0.3, what="moatctl monitors live")
        assert moatctl(s1.port, "msg", "send", "cli.a", "hello")[0] == 0
        assert moatctl(s1.port, "msg", "send", "-e", "cli.b",
                       "{'num': 1}")[0] == 0
        assert moatctl(s1.port, "msg", "send", "-r", "cli.c", "xyz")[0] == 0
        assert moatctl(s1.port, "data", "d.e", "set", "-v", ":", "v")[0] \
            == 0
        mon.wait_text("topic: !P cli.c", 10)
        dump.wait_text("path: !P d.e", 10)
        upd.wait_text("path: !P d.e", 10)
        out = mon.text()
        assert "topic: !P cli.a\ndata: hello\n---\n" in out, out
        assert "topic: !P cli.b\ndata:\n  num: 1\n---\n" in out, out
        assert "topic: !P cli.c\nraw: !!binary |\n  eHl6\nerror: " in out, out
        # the actor pings once a cycle: wait for one (slow under ASan)
        dump.wait_text("_topic: !P moat.kv.ping\n", 60)
        d = dump.text()
        assert re.search(r"node: s1\ntick: 1\nprev: null\npath: !P d.e\n"
                         r"value: v\ntock: \d+\n_topic: !P moat.kv.update\n"
                         r"_timestamp: '[-0-9 :.]+'\n---\n", d), d
        assert "_data: p\n_topic: !P moat.kv.ping2\n" in d, d
        assert "_topic: !P moat.kv.ping\n" in d, d	# the actor's pings
        u = upd.text()
        assert "path: !P d.e" in u and "moat.kv.ping" not in u, u
        for s in (mon, dump, upd):
            s.stop()
        rc, out, err = moatctl(s1.port, "msg", "send", "a.#", "x")
        assert rc == 1 and "ServerError: ValueError(" in err, err
        rc, out, err = moatctl(s1.port, "msg", "--help")
        assert rc == 0 and "msg send" in out, out
        rc, out, err = moatctl(s1.port, "dump", "msg", "--help")
        assert rc == 0 and "dump msg" in out, out
        probe.close()
        c1.close()


@test
def standalone_says_no_broker():
    d = Moatd("alone")
    try:
        d.wait_port()
        c = Client(d.port)
        r = c.call("msg_send", topic=("a",), data=1)
        assert r.get("error") == \
            "RuntimeError('no MQTT broker configured')", r
        msgs = c.stream("msg_monitor", topic=("a",))
        assert [m.get("state") for m in msgs] == ["start", None, "end"]
        assert "no MQTT broker configured" in msgs[1]["error"], msgs
        assert "error" not in c.call("get_value", path=Path("x"))
        c.close()
        rc, out, err = moatctl(d.port, "msg", "send", "a", "x")
        assert rc == 1 and "no MQTT broker configured" in err, err
        rc, out, err = moatctl(d.port, "msg", "monitor", "a")
        assert rc == 1 and "no MQTT broker configured" in err, err
    finally:
        d.cleanup()


if __name__ == "__main__":
    main()
