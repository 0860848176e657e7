"""Randomized replication: three servers on one real mosquitto go
through seeded rounds of writes and deletions on random servers, random
restarts (keeping their persistent state or losing it) and broker
outages; after every phase all three must hold the same tree, with the
same chains and tombstones, and the same tick bookkeeping.

The seed is printed; MOAT_SEED=N reruns the same sequence of actions
(the timing of the servers is not part of it).  MOAT_ROUNDS sets the
number of phases.
"""
import os
import random
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from moattest import Client, Mosquitto, Path, main, test  # noqa
from synclib import (NAMES, cleanup, converged, dump,  # noqa
                     no_missing, server)


def rand_value(rnd):
    kind = rnd.randrange(4)
    if kind == 0:
        return rnd.randrange(-1000, 1000)
    if kind == 1:
        return "v%d" % rnd.randrange(10000)
    if kind == 2:
        return [rnd.randrange(10) for _ in range(rnd.randrange(4))]
    return {"n": rnd.randrange(100), "s": "x" * rnd.randrange(5)}


def rand_path(rnd):
    return ("r", rnd.randrange(4), rnd.randrange(6))


class Cluster:
    """The three servers, each with a state dir of its own that a restart
    keeps or wipes."""

    def __init__(self, rnd):
        self.rnd = rnd
        self.broker = Mosquitto()
        self.dirs = [tempfile.mkdtemp(prefix="moat-rstate-") for _ in NAMES]
        self.ports = [None] * len(NAMES)
        self.ss = [None] * len(NAMES)
        self.log = []

    def start(self, i):
        s = server(self.broker, NAMES[i], port=self.ports[i],
                   state=self.dirs[i])
        self.ss[i] = s
        self.ports[i] = s.port

    def stop(self, i, keep):
        self.ss[i].stop()
        self.ss[i].cleanup()
        self.ss[i] = None
        if not keep:
            shutil.rmtree(self.dirs[i])
            os.mkdir(self.dirs[i])

    def up(self):
        return [s for s in self.ss if s]

    def writes(self, n, nodes=None):
        """n random changes on random running servers (or nodes)."""
        nodes = nodes or [i for i, s in enumerate(self.ss) if s]
        conns = {}
        try:
            for _ in range(n):
                i = self.rnd.choice(nodes)
                c = conns.get(i) or conns.setdefault(
                    i, Client(self.ss[i].port))
                p = rand_path(self.rnd)
                op = self.rnd.randrange(10)
                if op < 7:
                    r = c.call("set_value", path=Path(*p),
                               value=rand_value(self.rnd))
                elif op < 9:
                    r = c.call("delete_value", path=Path(*p))
                else:
                    r = c.call("delete_tree", path=Path(*p[:2]))
                assert "error" not in r, (p, op, r)
        finally:
            for c in conns.values():
                c.close()

    def settle(self, what):
        try:
            converged(self.up(), what)
        except AssertionError:
            self.explain()
            raise
        no_missing(self.up())
        ds = [dump_all(s.port) for s in self.up()]
        if not all(d == ds[0] for d in ds[1:]):
            self.explain()
            raise AssertionError(what)

    def explain(self):
        """Print how the dumps differ, and each server's log tail."""
        ds = [dump_all(s.port) for s in self.up()]
        for k in sorted(set().union(*ds), key=repr):
            vs = [d.get(k) for d in ds]
            if any(v != vs[0] for v in vs[1:]):
                print("differs at %r: %r" % (k, vs))
        print("---- the first dump:")
        for k in sorted(ds[0], key=repr):
            print("  %r: %r" % (k, ds[0][k]))
        for s in self.up():
            print("---- %s state %r" % (s.cmd[-1], state_all(s.port)))
            print("---- %s log tail\n%s" % (s.cmd[-1],
                                            s.logtext()[-3000:]))

    def cleanup(self):
        cleanup(*[s for s in self.ss if s], self.broker)
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)


def state_all(port):
    """Every tick set of a server, for a failure's explanation."""
    c = Client(port)
    try:
        return c.call("get_state", nodes=True, known=True, present=True,
                      deleted=True, missing=True, remote_missing=True)
    finally:
        c.close()


def dump_all(port):
    """synclib.dump with the tombstones (empty entries)."""
    return dump(port, empty=True)


def phase(cl, rnd, k):
    """One random phase; returns its description."""
    what = rnd.choice(("writes", "writes", "restart", "down", "outage"))
    i = rnd.randrange(len(NAMES))
    keep = rnd.random() < 0.5
    if what == "writes":
        cl.writes(rnd.randrange(5, 40))
        return "%d writes" % k
    if what == "restart":
        cl.stop(i, keep)
        cl.start(i)
        cl.writes(rnd.randrange(0, 10))
        return "%d restart %s %s" % (k, NAMES[i], "kept" if keep else "wiped")
    if what == "down":
        cl.stop(i, keep)
        cl.writes(rnd.randrange(5, 30))
        cl.start(i)
        return "%d %s down (%s) during writes" % (
            k, NAMES[i], "kept" if keep else "wiped")
    cl.broker.kill()
    cl.writes(rnd.randrange(5, 30))
    cl.broker.start()
    return "%d broker outage during writes" % k


@test
def random_rounds_converge():
    seed = int(os.environ.get("MOAT_SEED") or random.SystemRandom()
                .randrange(1 << 31))
    rounds = int(os.environ.get("MOAT_ROUNDS") or 8)
    print("seed %d (MOAT_SEED=%d reruns it), %d phases" % (seed, seed,
                                                          rounds))
    sys.stdout.flush()
    rnd = random.Random(seed)
    cl = Cluster(rnd)
    done = []
    try:
        for i in range(len(NAMES)):
            cl.start(i)
        cl.writes(20)
        cl.settle("the first writes")
        for k in range(rounds):
            done.append(phase(cl, rnd, k))
            cl.settle(done[-1])
    except Exception:
        print("seed %d, phases: %s" % (seed, "; ".join(done)))
        raise
    finally:
        cl.cleanup()


if __name__ == "__main__":
    main()
