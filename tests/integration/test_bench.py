"""test_bench - moatctl bench against a real moatd: the CSV it prints has
redis-benchmark's header and one well-formed row per test, every request
got its reply and none was an error.  No timing is asserted."""
import os
import subprocess

from moattest import BIN, Moatd, Mosquitto, main, test

HEADER = ('"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",'
          '"p95_latency_ms","p99_latency_ms","max_latency_ms"')


def bench(m, *args):
    return subprocess.run(
        [os.path.join(BIN, "moatctl"), "-h", "127.0.0.1", "-p", str(m.port),
         "bench"] + list(args),
        capture_output=True, text=True, timeout=120)


def check_csv(out, names):
    lines = out.splitlines()
    assert lines[0] == HEADER, lines
    assert len(lines) == 1 + len(names), lines
    for line, name in zip(lines[1:], names):
        cols = line.split(",")
        assert len(cols) == 8, line
        assert all(c.startswith('"') and c.endswith('"') for c in cols), line
        assert cols[0] == '"%s"' % name, line
        vals = [float(c.strip('"')) for c in cols[1:]]
        assert vals[0] > 0, line                        # rps
        mn, p50, p95, p99, mx = vals[2:]
        assert 0 <= mn <= p50 <= p95 <= p99 <= mx, line
        assert mn <= vals[1] <= mx, line                # the mean


@test
def csv_set_get():
    m = Moatd()
    try:
        m.wait_port()
        r = bench(m, "-n", "2000", "-c", "4", "-P", "4", "-t", "set,get",
                  "--csv")
        assert r.returncode == 0, r.stderr
        assert r.stderr == "", r.stderr
        check_csv(r.stdout, ["SET", "GET"])
    finally:
        m.cleanup()


@test
def mixed_and_watch():
    m = Moatd()
    try:
        m.wait_port()
        r = bench(m, "-n", "500", "-c", "2", "-P", "8", "-r", "100", "-d",
                  "10", "-t", "mixed,watch", "--csv")
        assert r.returncode == 0, r.stderr
        check_csv(r.stdout, ["MIXED", "WATCH"])
    finally:
        m.cleanup()


@test
def quiet_and_human():
    m = Moatd()
    try:
        m.wait_port()
        r = bench(m, "-n", "200", "-c", "1", "-t", "get", "-q")
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("GET: "), r.stdout
        assert "requests per second, p50=" in r.stdout, r.stdout
        r = bench(m, "-n", "200", "-c", "2", "-t", "set")
        assert r.returncode == 0, r.stderr
        assert "====== SET ======" in r.stdout, r.stdout
        assert "200 requests completed" in r.stdout, r.stdout
        assert " 0 errors" in r.stdout, r.stdout
        assert "p99.9" in r.stdout, r.stdout
    finally:
        m.cleanup()


@test
def repl_and_mqtt():
    """-t repl across three servers on one broker (watchers on the
    peers, then --spread writers) and -t mqtt on that broker."""
    b = Mosquitto()
    ss = []
    try:
        for name in ("b1", "b2", "b3"):
            ss.append(Moatd(name, args=["-C", "kv.server.mqtt.uri=" +
                                        b.uri(), "-C",
                                        "kv.server.ping.cycle=0.6", "-C",
                                        "kv.server.ping.gap=0.2"]))
        for m in ss:
            m.wait_port()
            m.wait_log("mqtt: connected", 10)
        peers = ["--peer", str(ss[1].port), "--peer",
                 "127.0.0.1:%d" % ss[2].port]
        r = bench(ss[0], "-n", "600", "-c", "3", "-P", "8", "-t", "repl",
                  "--csv", *peers)
        assert r.returncode == 0, r.stderr
        check_csv(r.stdout, ["REPL"])
        r = bench(ss[0], "-n", "600", "-c", "3", "-P", "4", "-t", "repl",
                  "--spread", "--rate", "2000", *peers)
        assert r.returncode == 0, r.stderr
        assert "600 writes replicated to every watcher" in r.stdout, r.stdout
        assert " 0 errors" in r.stdout, r.stdout
        r = bench(ss[0], "-n", "2000", "-c", "1", "-P", "10", "-t", "mqtt",
                  "--broker", b.uri(), "--csv")
        assert r.returncode == 0, r.stderr
        check_csv(r.stdout, ["MQTT"])
        r = bench(ss[0], "-n", "300", "-t", "mqtt", "--broker", b.uri(),
                  "--rate", "1000", "-q")
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("MQTT: "), r.stdout
    finally:
        for m in ss:
            m.cleanup()
        b.cleanup()


@test
def bad_options():
    m = Moatd()
    try:
        r = bench(m, "-c", "0")
        assert r.returncode == 1
        assert "-c: '0' is not a number from 1 to 10000" in r.stderr, r.stderr
        r = bench(m, "-t", "lpush")
        assert r.returncode == 1
        assert "unknown test 'lpush'" in r.stderr, r.stderr
        r = bench(m, "-t", "repl")
        assert r.returncode == 1
        assert "-t repl needs --peer" in r.stderr, r.stderr
        r = bench(m, "-t", "mqtt", "--broker", "http://x")
        assert r.returncode == 1
        assert "--broker http://x: " in r.stderr, r.stderr
    finally:
        m.cleanup()


if __name__ == "__main__":
    main()
