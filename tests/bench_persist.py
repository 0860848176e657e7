"""Persistence benchmark (not a test): write throughput per fsync policy,
and restart time with N entries.

    MOAT_BIN=build/bin /usr/bin/python3 tests/bench_persist.py [N] [SECS]

For each kv.server.fsync policy: one client, SECS seconds of set_value
with 64 requests in flight, and one client doing one request at a time
(every ack waits for its fsync).  Then N entries (default 1,000,000)
are written, the daemon is stopped, and the time until a restarted one
answers a get_value for the last entry is reported, with core's own
"state directory loaded" line.
"""
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "integration"))
from moattest import Client, Moatd, Path  # noqa: E402


def pipelined(c, secs, depth=64, prefix="b"):
    n = 0
    end = time.monotonic() + secs
    t0 = time.monotonic()
    while time.monotonic() < end:
        seqs = []
        for _ in range(depth):
            s = c.next_seq()
            seqs.append(s)
            c.send({"action": "set_value", "seq": s,
                    "path": Path(prefix, n % 100000), "value": n})
            n += 1
        for s in seqs:
            c.recv_seq(s)
    return n / (time.monotonic() - t0)


def sequential(c, secs):
    n = 0
    end = time.monotonic() + secs
    t0 = time.monotonic()
    while time.monotonic() < end:
        c.call("set_value", path=Path("s", n % 1000), value=n)
        n += 1
    return n / (time.monotonic() - t0)


def throughput(secs):
    for policy in ("always", "batch", "off"):
        d = Moatd(name="bench", args=["-C", "kv.server.fsync=" + policy])
        try:
            d.wait_port()
            c = Client(d.port, timeout=30)
            p = pipelined(c, secs)
            s = sequential(c, secs)
            print("fsync=%-6s pipelined(64): %8.0f sets/s   "
                  "one at a time: %7.0f sets/s" % (policy, p, s))
            sys.stdout.flush()
        finally:
            d.cleanup()


def fill(d, n):
    c = Client(d.port, timeout=60)
    depth = 256
    i = 0
    while i < n:
        seqs = []
        for _ in range(min(depth, n - i)):
            s = c.next_seq()
            seqs.append(s)
            c.send({"action": "set_value", "seq": s,
                    "path": Path("r", i // 1000, i % 1000),
                    "value": "value %d" % i})
            i += 1
        for s in seqs:
            c.recv_seq(s)
    c.close()


def restart(n):
    sdir = tempfile.mkdtemp(prefix="moat-bench-")
    try:
        d = Moatd(name="bench", state=sdir)
        try:
            d.wait_port()
            t0 = time.monotonic()
            fill(d, n)
            print("wrote %d entries in %.1f s" % (n, time.monotonic() - t0))
            # Let the background snapshot finish, then stop.
            time.sleep(1)
            d.stop(60)
        finally:
            d.cleanup()
        size = sum(os.path.getsize(os.path.join(sdir, f))
                   for f in os.listdir(sdir) if f.startswith("."))
        print("state dir: %.1f MB in %s" % (size / 1e6, sorted(
            f for f in os.listdir(sdir) if f.startswith("."))))
        t0 = time.monotonic()
        d = Moatd(name="bench", state=sdir)
        try:
            last = Path("r", (n - 1) // 1000, (n - 1) % 1000)
            while True:
                try:
                    c = Client(d.port, timeout=60)
                    r = c.call("get_value", path=last)
                    break
                except OSError:
                    time.sleep(0.01)
            t = time.monotonic() - t0
            assert r["value"] == "value %d" % (n - 1), r
            m = re.search(r"state directory loaded: .*", d.logtext())
            print("restart: first answer after %.2f s (core: %s)" %
                  (t, m.group(0) if m else "?"))
        finally:
            d.cleanup()
    finally:
        shutil.rmtree(sdir, ignore_errors=True)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    secs = float(sys.argv[2]) if len(sys.argv) > 2 else 3
    throughput(secs)
    restart(n)
