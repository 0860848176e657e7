"""Replication benchmark (not a test): `make bench-sync'.

    MOAT_BIN=build/bin /usr/bin/python3 tests/bench_repl.py [N]

Starts a private mosquitto and three moatd nodes (n1, n2, n3) on free
ports and runs `moatctl bench':
  1. -t mqtt: the broker alone, one-way publish -> receive latency at
     light load (--rate 2000) and moderate load (--rate 10000 -c 10 -P 1:
     10,000 messages/s, at most ten in flight) and its ceiling (-P 1000);
  2. -t repl: set on n1 -> watch event on n2 and n3 at the same two
     loads;
  3. -t repl --spread: N writes (default 300,000) spread over all three
     nodes, pipelined (-c 30 -P 64), timed until every write has reached
     both other nodes; then all three must converge: the same tick for
     every node and no missing tick on any of them.
Every figure is moatctl bench's own output line.  After each run a
"cpu" line gives the CPU seconds the broker, the servers' processes and
moatctl itself used during it, and the CPU time the hypervisor gave to
other guests meanwhile (steal, from /proc/stat): on a 2-core machine the
three nodes, the broker and the load generator share two CPUs, and a
run's tail latency follows how much of them it takes and gets.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "integration"))
from moattest import BIN, Client, Moatd, Mosquitto  # noqa: E402


# moderate load: 10,000 messages/s, ten connections, one in flight each
MODERATE = ("--rate", "10000", "-c", "10", "-P", "1", "-n", "50000")


# light load, where the machine is mostly idle: 2,000 messages/s
LIGHT = ("--rate", "2000", "-c", "10", "-P", "1", "-n", "20000")


def cpu_ticks(pids):
    """{pid: utime + stime in clock ticks} of the processes still alive."""
    out = {}
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                x = f.read().rsplit(")", 1)[1].split()
            out[pid] = int(x[11]) + int(x[12])
        except (OSError, IndexError, ValueError):
            pass
    return out


def steal_ticks():
    """CPU time the hypervisor gave to others (/proc/stat), all CPUs."""
    try:
        with open("/proc/stat") as f:
            return int(f.readline().split()[8])
    except (OSError, IndexError, ValueError):
        return 0


def bench(port, *args, watch=()):
    """moatctl bench; with watch [(label, [pid])], a cpu line after it."""
    cmd = [os.path.join(BIN, "moatctl"), "-h", "127.0.0.1", "-p",
           str(port), "bench"] + list(args)
    print("$ " + " ".join(["moatctl"] + cmd[1:]), flush=True)
    pids = [p for _, ps in watch for p in ps]
    c0, t0, w0 = cpu_ticks(pids), os.times(), time.monotonic()
    s0 = steal_ticks()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    c1, t1, w1 = cpu_ticks(pids), os.times(), time.monotonic()
    s1 = steal_ticks()
    sys.stdout.write(r.stdout)
    if r.returncode:
        sys.stdout.write(r.stderr)
    if watch:
        hz = os.sysconf("SC_CLK_TCK")
        parts = ["%s %.2f" % (label, sum(c1.get(p, 0) - c0.get(p, 0)
                                         for p in ps) / hz)
                 for label, ps in watch]
        own = (t1.children_user + t1.children_system -
               t0.children_user - t0.children_system)
        print("  cpu (s) in %.2f s: %s, moatctl %.2f; stolen by the "
              "hypervisor %.2f" % (w1 - w0, ", ".join(parts), own,
                                   (s1 - s0) / hz))
    sys.stdout.flush()
    return r


def converged(ss, names):
    """Every node's view of every node's tick equal, nothing missing."""
    views = []
    for d in ss:
        q = Client(d.port, timeout=30)
        st = q.call("get_state", nodes=True, missing=True)
        q.close()
        if any(st["missing"].get(n) for n in names):
            return None
        views.append(tuple(st["nodes"].get(n, 0) for n in names))
    return views[0] if len(set(views)) == 1 else None


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300000
    # Nagle off on the broker's side too (its default is on): a small
    # message must not wait for a delayed ACK, in either direction
    b = Mosquitto(extra="set_tcp_nodelay true\n")
    ss = []
    names = ("n1", "n2", "n3")
    try:
        for name in names:
            d = Moatd(name, args=["-C", "kv.server.mqtt.uri=" + b.uri(),
                                  "-C", "kv.server.ping.cycle=2",
                                  "-C", "kv.server.ping.gap=0.5",
                                  "-C", "kv.server.start=memory"])
            ss.append(d)
        for d in ss:
            d.wait_port()
            d.wait_log("mqtt: connected", 10)
        p1 = ss[0].port
        peers = []
        for d in ss[1:]:
            peers += ["--peer", "127.0.0.1:%d" % d.port]
        w = [("broker", [b.proc.pid])] + [
            (name, list(d.children().values()))
            for name, d in zip(names, ss)]
        print("== the broker alone (light and moderate load, its ceiling)")
        for load in (LIGHT, MODERATE):
            bench(p1, "-t", "mqtt", "--broker", b.uri(), *load, "-d", "60",
                  watch=w)
        bench(p1, "-t", "mqtt", "--broker", b.uri(), "-n", "1000000",
              "-c", "1", "-P", "1000", "-d", "60", "-q")
        print("== replication n1 -> n2, n3 at the same light and moderate "
              "load")
        for load in (LIGHT, MODERATE):
            bench(p1, "-t", "repl", *peers, *load, watch=w)
        print("== sustained replicated writes, spread over n1, n2, n3")
        bench(p1, "-t", "repl", "--spread", *peers, "-n", str(n), "-c",
              "30", "-P", "64", watch=w)
        t0 = time.monotonic()
        while True:
            v = converged(ss, names)
            if v:
                break
            if time.monotonic() - t0 > 120:
                print("NOT converged after 120 s")
                sys.exit(1)
            time.sleep(0.2)
        print("all three converged %.2f s later: ticks n1/n2/n3 = %s on "
              "every node, nothing missing" % (time.monotonic() - t0,
                                              "/".join(map(str, v))))
    finally:
        for d in ss:
            d.cleanup()
        b.cleanup()


if __name__ == "__main__":
    main()
