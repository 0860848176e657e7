"""Persistence (issue 4): the state directory, kill -9 of core, restarts
of the whole daemon, log dest / -i / log save / log stop, moatd -l
(files, concatenations, pipes), moatctl dump file, and damaged files.

A state file is a MsgPack stream of ext 32 frames (type 'H' header or
'M' record) whose data is the record plus an 8-byte checksum, so the
tests read files with plain msgpack: frames() below.
"""
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import msgpack

from moattest import (BIN, Client, Moatd, Path, _ext_hook, full_paths, main,
                      test, wait_for)


def frames(path):
    """[(type, record)] of a state file."""
    out = []
    with open(path, "rb") as f:
        unp = msgpack.Unpacker(f, raw=False, strict_map_key=False)
        for fr in unp:
            assert isinstance(fr, msgpack.ExtType), fr
            rec = msgpack.unpackb(fr.data[:-8], raw=False,
                                  strict_map_key=False, ext_hook=_ext_hook)
            out.append((chr(fr.code), rec))
    return out


def entries(path):
    return [r for t, r in frames(path) if t == "M" and "path" in r]


def connect(d, timeout=10.0):
    """A client, once core answers again (after a restart)."""
    def ok():
        try:
            c = Client(d.port, timeout=2.0)
        except (OSError, EOFError):
            return None
        return c
    return wait_for(ok, timeout, step=0.05, what="server")


def dump(d):
    """Everything a restart must keep: entries with chains and tocks,
    tombstones, node ticks, known and deleted ranges."""
    c = connect(d)
    items = [m for m in c.stream("get_tree", path=Path(), nchain=20,
                                 empty=True) if m.get("state") is None]
    tree = [(p, m.get("value", "-"), repr(m.get("chain")), m.get("tock"))
            for p, m in zip(full_paths((), items), items)]
    sysitems = [m for m in c.stream("get_tree_internal", path=Path(),
                                    nchain=20, empty=True)
                if "path" in m]
    tree += [((None,) + p, m.get("value", "-"), repr(m.get("chain")),
              m.get("tock"))
             for p, m in zip(full_paths((), sysitems), sysitems)]
    st = c.call("get_state", nodes=True, known=True, deleted=True)
    c.close()
    return tree, st["nodes"], st["known"], st["deleted"]


def fill(c, n, prefix="k"):
    for i in range(n):
        c.call("set_value", path=Path(prefix, i % 7, i), value={"i": i})
    for i in range(0, n, 5):
        c.call("set_value", path=Path(prefix, i % 7, i), value="again")
    for i in range(0, n, 11):
        c.call("delete_value", path=Path(prefix, i % 7, i))
    c.call("set_internal", path=Path("acl", "x"), value={"a": 1})
    c.call("set_value", path=Path("bin"), value=b"\x00\xff")
    c.call("set_value", path=Path("float"), value=1.5)


@contextlib.contextmanager
def running(**kw):
    """A Moatd(**kw), cleaned up however the block ends."""
    d = Moatd(**kw)
    try:
        yield d
    finally:
        d.cleanup()


@contextlib.contextmanager
def state_dir():
    """A state directory that outlives the daemons started on it."""
    sdir = tempfile.mkdtemp(prefix="moat-state-")
    try:
        yield sdir
    finally:
        shutil.rmtree(sdir, ignore_errors=True)


def kill_all(d):
    """kill -9 of the master and every child at once."""
    os.killpg(d.pid, signal.SIGKILL)
    d.proc.wait(5)


def newest_wal(sdir):
    """(name, path) of the newest change log in a state directory."""
    wal = sorted(n for n in os.listdir(sdir) if n.startswith(".wal."))[-1]
    return wal, os.path.join(sdir, wal)


def write_file(path, data):
    with open(path, "wb") as f:
        f.write(data)


def flip(data, off, bit):
    """data with one bit flipped at off."""
    out = bytearray(data)
    out[off] ^= bit
    return out


def changes(path):
    """[(path, value or "DEL")] of the entry records of a state file."""
    return [(tuple(r["path"]), r.get("value", "DEL"))
            for r in entries(path)]


def ctl(d, *args, check=True):
    p = subprocess.run([os.path.join(BIN, "moatctl"), "-p", str(d.port)] +
                       list(args), capture_output=True, text=True,
                       timeout=30)
    if check:
        assert p.returncode == 0, (args, p.stdout, p.stderr)
    return p


@test
def restart_keeps_the_tree():
    """Stopped cleanly or killed (master and all), the daemon comes back
    with the same tree, chains, ticks and ranges."""
    with state_dir() as sdir:
        with running(name="p1", args=["-i", "root"], state=sdir) as d:
            c = connect(d)
            fill(c, 60)
            before = dump(d)
            assert d.stop() == 0
        with running(name="p1", state=sdir) as d:
            assert dump(d) == before
            c = connect(d)
            r = c.call("set_value", path=Path("after"), value=1, nchain=1)
            tick = r["chain"]["tick"]
            assert tick == before[1]["p1"] + 1, r
            before = dump(d)
            kill_all(d)
        with running(name="p1", state=sdir) as d:
            assert dump(d) == before
            # the loaded entries are in the (node, tick) index too
            g = connect(d).call("get_value", node="p1", tick=tick)
            assert g["value"] == 1 and g["path"] == Path("after"), g


def kill_core_while_writing(policy, kills=4, batch=16, args=()):
    d = Moatd(name="w1", args=["-C", "kv.server.fsync=" + policy,
                               "-C", "kv.server.restart.max=0.5"] +
              list(args))
    acked = {}
    stop = threading.Event()
    state = {"n": 0}

    def writer():
        c = None
        while not stop.is_set():
            try:
                if c is None:
                    c = connect(d)
                # A pipelined batch: several writes wait for one fsync.
                seqs = {}
                for _ in range(batch):
                    n = state["n"]
                    state["n"] += 1
                    s = c.next_seq()
                    seqs[s] = n
                    c.send({"action": "set_value", "seq": s,
                            "path": Path("w", n), "value": n})
                for s, n in seqs.items():
                    r = c.recv_seq(s)
                    if r.get("changed"):
                        acked[n] = n
            except (OSError, EOFError, AssertionError):
                c = None
        if c:
            c.close()

    try:
        d.wait_port()
        t = threading.Thread(target=writer)
        t.start()
        for _ in range(kills):
            time.sleep(random.uniform(0.1, 0.5))
            pid = d.wait_children(10, roles=("core",))["core"]
            os.kill(pid, signal.SIGKILL)
            wait_for(lambda: d.children().get("core") not in (None, pid),
                     10, what="core restarted")
        time.sleep(0.3)
        stop.set()
        t.join(30)
        assert len(acked) > 50, len(acked)
        c = connect(d)
        items = [m for m in c.stream("get_tree", path=Path("w"))
                 if m.get("state") is None]
        have = {p[-1]: m.get("value")
                for p, m in zip(full_paths((), items), items)}
        missing = [n for n in acked if have.get(n) != n]
        assert not missing, (policy, len(missing), sorted(missing)[:10])
        assert "killed by signal 9" in d.logtext()
        return len(acked)
    finally:
        stop.set()
        d.cleanup()


@test
def kill9_core_batch():
    kill_core_while_writing("batch")


@test
def kill9_core_while_compacting():
    # Tiny logs: new generations and snapshots all the time, so kills
    # land in the middle of snapshots and log switches too.
    kill_core_while_writing("batch", args=["-C", "kv.server.compact=4096"])


@test
def kill9_core_always():
    kill_core_while_writing("always", kills=3)


@test
def kill9_core_off():
    # off: no fsync, but acks still wait for the write(2), so killing
    # core (not the machine) loses nothing either.
    kill_core_while_writing("off", kills=3)


@test
def log_dest_incremental_save_stop_and_load():
    with running(name="p1", args=["-i", "root"]) as d:
        c = connect(d)
        for i in range(10):
            c.call("set_value", path=Path("a", i), value=i)
        ctl(d, "log", "dest", "full.state")
        for i in range(10, 15):
            c.call("set_value", path=Path("a", i), value=i)
        ctl(d, "log", "dest", "-i", "inc1.state")
        for i in range(15, 20):
            c.call("set_value", path=Path("a", i), value=i)
        c.call("delete_value", path=Path("a", 3))
        ctl(d, "log", "dest", "-i", "inc2.state")
        for i in range(20, 25):
            c.call("set_value", path=Path("a", i), value=i)
        ctl(d, "log", "save", "snap.state")
        ctl(d, "log", "stop")
        c.call("set_value", path=Path("a", 99), value=99)
        final = dump(d)

        st = d.state
        full = frames(os.path.join(st, "full.state"))
        assert full[0][0] == "H" and full[0][1]["kind"] == "log"
        assert "nodes" in full[1][1] and full[1][1]["nodes"]["p1"] == 11
        vals = [r.get("value") for r in entries(os.path.join(st,
                                                             "full.state"))]
        assert vals == ["root"] + list(range(15)), vals
        # Incremental files: every change exactly once, in order.
        i1 = changes(os.path.join(st, "inc1.state"))
        i2 = changes(os.path.join(st, "inc2.state"))
        assert i1 == [(("a", i), i) for i in range(15, 20)] + \
            [(("a", 3), "DEL")], i1
        assert i2 == [(("a", i), i) for i in range(20, 25)], i2
        sv = entries(os.path.join(st, "snap.state"))
        assert len([r for r in sv if "value" in r]) == 25 - 1 + 1
        assert not any(tuple(r["path"]) == ("a", 99) for r in sv)
        assert frames(os.path.join(st, "snap.state"))[0][1]["kind"] == "save"

        # dump file prints every record
        p = ctl(d, "dump", "file", os.path.join(st, "inc1.state"))
        assert p.stdout.count("---\n") == 2 + 6, p.stdout
        assert "moat_kv: state" in p.stdout and "chain:" in p.stdout

        # Names cannot leave the state directory.
        for bad in ("../x", "/etc/x", ".wal.0000000009", "a/../../x", ""):
            p = ctl(d, "log", "save", bad, check=False)
            assert p.returncode == 1 and "ServerError" in p.stderr, bad

        # The open log named again: emptied and restarted, never torn;
        # saving over it is refused.
        ctl(d, "log", "dest", "-i", "same.state")
        c.call("set_value", path=Path("s", 1), value=1)
        ctl(d, "log", "dest", "-i", "same.state")
        c.call("set_value", path=Path("s", 2), value=2)
        p = ctl(d, "log", "save", "same.state", check=False)
        assert p.returncode == 1 and "current log" in p.stderr, p.stderr
        ctl(d, "log", "stop")
        c.call("delete_value", path=Path("s", 1))
        c.call("delete_value", path=Path("s", 2))
        same = entries(os.path.join(st, "same.state"))
        assert [(tuple(r["path"]), r["value"]) for r in same] == \
            [(("s", 2), 2)], same

        # -l of a concatenation of the full and incremental logs, and of
        # the snapshot through a pipe: the same data as before 'stop'.
        cat = os.path.join(d.tmp, "cat.state")
        with open(cat, "wb") as out:
            for n in ("full.state", "inc1.state", "inc2.state"):
                with open(os.path.join(st, n), "rb") as f:
                    out.write(f.read())
        want = [x for x in final[0] if x[0] != ("a", 99)]
        with running(name="p2", args=["-l", cat]) as d2:
            got = dump(d2)[0]
            assert sorted(got) == sorted(want), (got, want)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            with open(os.path.join(st, "snap.state"), "rb") as f:
                os.write(w, f.read())
            os._exit(0)
        os.close(w)
        with running(name="p3", args=["-l", "/dev/fd/%d" % r],
                     pass_fds=(r,)) as d3:
            os.close(r)
            os.waitpid(pid, 0)
            got = dump(d3)[0]
            assert sorted(got) == sorted(want)


def pipelined_sets(c, items):
    seqs = []
    for path, value in items:
        s = c.next_seq()
        seqs.append(s)
        c.send({"action": "set_value", "seq": s, "path": path,
                "value": value})
    for s in seqs:
        assert c.recv_seq(s).get("changed") is not None


@test
def log_dest_of_a_big_tree_while_writing():
    """The full state goes out in steps; changes made meanwhile are all
    in the new log, and the reply comes when it is complete."""
    with running(name="p1") as d:
        c = connect(d)
        pipelined_sets(c, [(Path("big", i // 100, i % 100), i)
                           for i in range(12000)])
        seq = c.next_seq()
        c.send({"action": "log", "seq": seq, "path": "big.state",
                "fetch": True})
        pipelined_sets(c, [(Path("big", i // 100, i % 100), -i)
                           for i in range(0, 12000, 97)] +
                       [(Path("new", i), i) for i in range(50)])
        assert c.recv_seq(seq, timeout=30)["result"] is True
        ctl(d, "log", "stop")
        want = dump(d)[0]
        big = os.path.join(d.state, "big.state")
        with running(name="p2", args=["-l", big]) as d2:
            assert dump(d2)[0] == want


def saved_file(d, name="s.state", n=20):
    c = connect(d)
    for i in range(n):
        c.call("set_value", path=Path("d", i), value="value %d" % i)
    ctl(d, "log", "save", name)
    return os.path.join(d.state, name)


def offsets(path):
    """Byte offset of each frame."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    unp = msgpack.Unpacker(raw=False)
    unp.feed(data)
    pos = 0
    for _ in unp:
        out.append(pos)
        pos = unp.tell()
    return out, data


@test
def damaged_files():
    with running(name="p1") as d:
        path = saved_file(d)
        offs, data = offsets(path)
        # Torn tail: the last entry cut short (and the final state record
        # gone) - a warning, the rest loads.
        assert "nodes" in frames(path)[-1][1]
        torn = os.path.join(d.tmp, "torn.state")
        write_file(torn, data[:offs[-1] - 5])
        offs.pop()
        with running(name="p2", args=["-l", torn]) as d2:
            c = connect(d2)
            r = c.call("get_value", path=Path("d", 18))
            assert r.get("value") == "value 18", r
            assert "value" not in c.call("get_value", path=Path("d", 19))
            d2.wait_log("torn record at offset %d" % offs[-1])
        p = ctl(d, "dump", "file", torn)
        assert "torn record at offset %d" % offs[-1] in p.stderr
        # A flipped bit in the middle: loading stops, naming the offset.
        bad = os.path.join(d.tmp, "bad.state")
        write_file(bad, flip(data, offs[10] + 12, 0x10))
        with running(name="p3", args=["-l", bad]) as d3:
            assert d3.proc.wait(15) == 1
            d3.wait_log("damaged record at offset %d" % offs[10])
            assert "cannot load its state: stopping" in d3.logtext()
        p = ctl(d, "dump", "file", bad, check=False)
        assert p.returncode == 1
        assert "damaged record at offset %d" % offs[10] in p.stderr
        assert p.stdout.count("---\n") == 10


@test
def damaged_state_dir():
    with state_dir() as sdir:
        with running(name="p1", state=sdir) as d:
            c = connect(d)
            for i in range(30):
                c.call("set_value", path=Path("x", i), value=i)
            kill_all(d)
        wal, wpath = newest_wal(sdir)
        offs, data = offsets(wpath)
        # Torn tail of the newest log: truncated with a warning.
        write_file(wpath, data + data[offs[-1]:offs[-1] + 9])
        with running(name="p1", state=sdir) as d:
            c = connect(d)
            assert c.call("get_value", path=Path("x", 29))["value"] == 29
            d.wait_log("truncated to %d bytes" % len(data))
            for i in range(30):
                c.call("set_value", path=Path("y", i), value=i)
            kill_all(d)
        # Damage in the middle of a log: moatd stops, naming it.
        wal, wpath = newest_wal(sdir)
        offs, data = offsets(wpath)
        assert len(offs) > 20
        write_file(wpath, flip(data, offs[5] + 8, 1))
        with running(name="p1", state=sdir) as d:
            assert d.proc.wait(15) == 1
            d.wait_log("%s: damaged record at offset %d" % (wal, offs[5]))


@test
def compaction_bounds_the_files():
    with state_dir() as sdir:
        with running(name="p1", state=sdir,
                     args=["-C", "kv.server.compact=4096"]) as d:
            c = connect(d)
            for i in range(400):
                c.call("set_value", path=Path("c", i % 20), value="x" * 50)
            wait_for(lambda: "snapshot .snap." in d.logtext(), 10,
                     what="a snapshot")
            wait_for(lambda: len([n for n in os.listdir(sdir)
                                  if n.startswith(".")]) <= 3, 10,
                     what="old files removed")
            size = sum(os.path.getsize(os.path.join(sdir, n))
                       for n in os.listdir(sdir) if n.startswith("."))
            # 400 changes of ~90 bytes were written; 20 entries live.
            assert size < 400 * 90 / 2, size
            before = dump(d)
            assert d.stop() == 0
        with running(name="p1", state=sdir) as d:
            assert dump(d) == before


@test
def memory_mode_writes_nothing():
    with running(name="p1", args=["-C", "kv.server.start=memory"]) as d:
        c = connect(d)
        c.call("set_value", path=Path("m"), value=1)
        assert not [n for n in os.listdir(d.state) if n.startswith(".")]


if __name__ == "__main__":
    main()
