"""Replication benchmark (not a test): set -> watch latency across servers.

    MOAT_BIN=build/bin /usr/bin/python3 tests/bench_sync.py [N] [M] [B]

Two servers on one private mosquitto.  A client watches a subtree on s2;
another sets N values (default 500) on s1, one at a time, each after the
watcher saw the previous one.  Reports p50/p90/p99/max of the time from
sending set_value on s1 to receiving the watch item on s2, and the
throughput of N pipelined sets until the last one is seen on s2.
Then M entries (default 100,000) are written on s1 while a third server
is down; it starts empty and the time until it holds all of them and
misses no tick is reported (ping cycle 2 s, gap 0.5 s: recovery runs on
that clock).  Last, `moatctl bench' writes B keys (default 200,000) on
s1 as fast as it can, and the time until s2 has every one is reported,
with how many of them had to be recovered (lost on the way under the
burst).
"""
import subprocess
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "integration"))
from moattest import Client, Moatd, Mosquitto, Path  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


def catch_up(b, c, ss, m):
    for i in range(0, m, 64):
        seqs = []
        for k in range(i, min(m, i + 64)):
            seqs.append(c.next_seq())
            c.send({"action": "set_value", "seq": seqs[-1],
                    "path": Path("cu", k), "value": k})
        for s in seqs:
            c.recv_seq(s)
    d = Moatd("s3", args=["-C", "kv.server.mqtt.uri=" + b.uri(),
                          "-C", "kv.server.ping.cycle=2",
                          "-C", "kv.server.ping.gap=0.5"])
    ss.append(d)
    t0 = time.monotonic()
    d.wait_port()
    q = Client(d.port)
    while True:
        st = q.call("get_state", nodes=True, missing=True)
        if st["nodes"].get("s1", 0) >= m and not st["missing"]:
            break
        time.sleep(0.1)
    dt = time.monotonic() - t0
    r = q.call("get_value", path=Path("cu", m - 1))
    assert r.get("value") == m - 1, r
    print("fresh server caught up on %d entries in %.2f s (from its "
          "start, ping cycle 2 s)" % (m, dt))
    q.close()


def burst(b, n):
    ss = []
    try:
        for name in ("b1", "b2"):
            d = Moatd(name, args=["-C", "kv.server.mqtt.uri=" + b.uri(),
                                  "-C", "kv.server.root=moat/burst",
                                  "-C", "kv.server.ping.cycle=2",
                                  "-C", "kv.server.ping.gap=0.5",
                                  "-C", "kv.server.start=memory"])
            d.wait_port()
            d.wait_log("mqtt: connected", 10)
            ss.append(d)
        r = subprocess.run([os.path.join(os.environ.get("MOAT_BIN", ""),
                                         "moatctl"), "-p", str(ss[0].port),
                            "bench", "-q", "-c", "20", "-P", "16", "-n",
                            str(n), "--sequential", "-t", "set"],
                           capture_output=True, text=True, timeout=120)
        t1 = time.monotonic()
        q = Client(ss[1].port)
        worst = 0
        while True:
            st = q.call("get_state", nodes=True, missing=True)
            miss = sum(1 if isinstance(x, int) else x[1] - x[0]
                       for x in st["missing"].get("b1", []))
            worst = max(worst, miss)
            if st["nodes"].get("b1", 0) >= n and not miss:
                break
            time.sleep(0.1)
        print("burst on b1: %s; b2 had all %d %.2f s after it ended (at "
              "most %d missing at once, recovered)" % (
                  r.stdout.strip(), n, time.monotonic() - t1, worst))
        q.close()
    finally:
        for d in ss:
            d.cleanup()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    b = Mosquitto()
    ss = []
    try:
        for name in ("s1", "s2"):
            d = Moatd(name, args=["-C", "kv.server.mqtt.uri=" + b.uri()])
            d.wait_port()
            d.wait_log("mqtt: connected", 10)
            ss.append(d)
        w = Client(ss[1].port)
        seq = w.next_seq()
        w.send({"action": "watch", "seq": seq, "path": Path("lat")})
        w.recv_seq(seq)
        c = Client(ss[0].port)
        lat = []
        for i in range(n):
            t0 = time.monotonic()
            s = c.next_seq()
            c.send({"action": "set_value", "seq": s, "path": Path("lat", i),
                    "value": i})
            m = w.recv_seq(seq, timeout=10)
            lat.append(time.monotonic() - t0)
            assert m["value"] == i, m
            c.recv_seq(s)
        ms = [x * 1000 for x in lat]
        print("set on s1 -> watch on s2, %d sets: p50 %.2f ms, p90 %.2f ms, "
              "p99 %.2f ms, max %.2f ms" % (n, pct(ms, 50), pct(ms, 90),
                                            pct(ms, 99), max(ms)))
        t0 = time.monotonic()
        for i in range(n):
            c.send({"action": "set_value", "seq": c.next_seq(),
                    "path": Path("lat", i), "value": -i})
        for i in range(n):
            m = w.recv_seq(seq, timeout=10)
        dt = time.monotonic() - t0
        print("%d pipelined sets on s1, all seen on s2 in %.3f s "
              "(%.0f/s)" % (n, dt, n / dt))
        w.close()
        catch_up(b, c, ss, int(sys.argv[2]) if len(sys.argv) > 2
                 else 100000)
        burst(b, int(sys.argv[3]) if len(sys.argv) > 3 else 200000)
        c.close()
    finally:
        for d in ss:
            d.cleanup()
        b.cleanup()


if __name__ == "__main__":
    main()
