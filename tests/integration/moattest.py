"""moattest - the harness of moat-kv's integration tests.

Starts real moatd processes (and, where needed, a real mosquitto) on free
loopback ports in temporary directories, talks to them over real sockets,
and always cleans up.  Each test file registers functions with @test and
calls main(); the closing line is "RESULT <passed> <failed>".
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

BIN = os.environ.get("MOAT_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin")
BIN = os.path.abspath(BIN)
ROLES = ("core", "netd", "syncd", "authd", "runnerd")

_tests = []


def test(fn):
    _tests.append(fn)
    return fn


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(cond, timeout=5.0, step=0.02, what="condition"):
    """Poll cond() until it returns a true value; return that value."""
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(step)


def proc_children(ppid):
    """{pid: argv0} of the live (non-zombie) children of ppid."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv0 = f.read().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        rest = st[st.rindex(")") + 2:].split()
        if rest[0] == "Z" or int(rest[1]) != ppid:
            continue
        out[int(d)] = argv0
    return out


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return False
    return st[st.rindex(")") + 2] != "Z"


class Moatd:
    """One moatd master with its children, in its own temp state dir."""

    def __init__(self, name="test1", args=(), conf=None, port=None,
                 libexec=None, state=None, pass_fds=()):
        """state: a state dir to use (and keep) instead of a fresh one;
        pass_fds: descriptors moatd inherits (-l /dev/fd/N)."""
        self.tmp = tempfile.mkdtemp(prefix="moat-test-")
        os.chmod(self.tmp, 0o755)
        self.state = state or os.path.join(self.tmp, "state")
        self.port = port or free_port()
        self.log = os.path.join(self.tmp, "moatd.log")
        cmd = [os.path.join(BIN, "moatd"), "-v", "-D", self.state,
               "-C", "kv.server.bind_default.port=%d" % self.port,
               "-C", "kv.server.bind_default.host=127.0.0.1",
               "-C", "kv.server.mqtt.uri="]
        if libexec:
            cmd += ["-C", "kv.server.libexec=" + libexec]
        if conf:
            path = os.path.join(self.tmp, "moatd.conf")
            with open(path, "w") as f:
                f.write(conf)
            cmd += ["-c", path]
        cmd += list(args) + [name]
        self.cmd = cmd
        self.logf = open(self.log, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=self.logf,
                                     start_new_session=True,
                                     pass_fds=pass_fds)
        self.pid = self.proc.pid

    def children(self):
        """{role: pid} of the running children."""
        out = {}
        for pid, argv0 in proc_children(self.pid).items():
            if argv0.startswith("moatd: "):
                out[argv0[7:]] = pid
        return out

    def wait_children(self, timeout=5.0, roles=ROLES):
        return wait_for(lambda: (lambda c: c if all(r in c for r in roles)
                                 else None)(self.children()),
                        timeout, what="children " + ",".join(roles))

    def logtext(self):
        with open(self.log, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_log(self, text, timeout=5.0):
        return wait_for(lambda: text in self.logtext(), timeout,
                        what="log line %r" % text)

    def wait_port(self, timeout=5.0):
        def ok():
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return True
            except OSError:
                return False
        return wait_for(ok, timeout, what="port %d" % self.port)

    def stop(self, timeout=5.0):
        """SIGTERM; return the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def sanitizer_reports(self):
        """Lines of ASan/UBSan/LSan reports in the log (make sanitize)."""
        try:
            text = self.logtext()
        except OSError:
            return []
        return [line for line in text.splitlines()
                if "Sanitizer" in line or "runtime error:" in line]

    def cleanup(self):
        """Kill everything, remove the state; fail if a sanitizer
        reported anything in the log."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self.logf.close()
        bad = self.sanitizer_reports()
        if bad:
            print("sanitizer report in %s:\n%s" % (self.log,
                                                   self.logtext()[-4000:]))
        shutil.rmtree(self.tmp, ignore_errors=True)
        assert not bad, bad[:5]


# ---- Mosquitto: a real MQTT broker for the sync tests (syncd branch) ----

class Mosquitto:
    """A private mosquitto broker on a free loopback port, in a temp dir.

    restart() keeps the port, so a connected syncd can find it again;
    kill() is a SIGKILL, as a crashed broker would be.
    """

    BIN = "/usr/sbin/mosquitto"

    def __init__(self, port=None, extra=""):
        self.tmp = tempfile.mkdtemp(prefix="moat-mqtt-")
        self.port = port or free_port()
        self.conf = os.path.join(self.tmp, "mosquitto.conf")
        with open(self.conf, "w") as f:
            f.write("listener %d 127.0.0.1\n"
                    "allow_anonymous true\n"
                    "persistence false\n" % self.port + extra)
        self.log = os.path.join(self.tmp, "mosquitto.log")
        self.proc = None
        self.start()

    def uri(self):
        return "mqtt://127.0.0.1:%d" % self.port

    def start(self):
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen([self.BIN, "-c", self.conf],
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=self.logf,
                                     start_new_session=True)

        def up():
            if self.proc.poll() is not None:
                raise AssertionError("mosquitto exited: " + self.logtext())
            try:
                socket.create_connection(("127.0.0.1", self.port),
                                         0.2).close()
                return True
            except OSError:
                return False
        wait_for(up, 5.0, what="mosquitto on port %d" % self.port)

    def logtext(self):
        with open(self.log, "rb") as f:
            return f.read().decode(errors="replace")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.logf.close()

    def restart(self):
        self.kill()
        self.start()

    def cleanup(self):
        self.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


class MqttSub:
    """mosquitto_sub on the broker, printing topic and payload hex."""

    def __init__(self, broker, topic="#"):
        self.out = os.path.join(broker.tmp, "sub-%d.out" % id(self))
        self.outf = open(self.out, "wb")
        self.proc = subprocess.Popen(
            ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port),
             "-t", topic, "-v", "-F", "%t %x"],
            stdin=subprocess.DEVNULL, stdout=self.outf,
            stderr=subprocess.STDOUT, start_new_session=True)

    def messages(self):
        """[(topic, payload bytes)] received so far (complete lines)."""
        out = []
        with open(self.out, "rb") as f:
            # the last line may still be being written: only whole ones
            for line in f.read().decode(errors="replace").split("\n")[:-1]:
                parts = line.split(" ")
                if len(parts) == 2:
                    out.append((parts[0], bytes.fromhex(parts[1])))
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.outf.close()

    def cleanup(self):
        """stop(), under the name the servers and brokers use, so that
        every cleanup helper stops a subscriber too."""
        self.stop()

# ---- end of Mosquitto -----------------------------------------------------


# ---------------------------------------------------------------------
# moatctl (branch cli): run the admin tool against a test server.
# ---------------------------------------------------------------------
def moatctl(port, *args, input=None, timeout=10.0):
    """Run moatctl -h 127.0.0.1 -p PORT ARGS; return (rc, stdout, stderr)."""
    r = subprocess.run([os.path.join(BIN, "moatctl"), "-h", "127.0.0.1",
                        "-p", str(port)] + list(args), input=input,
                       stdin=None if input is not None else
                       subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=timeout)
    return r.returncode, r.stdout, r.stderr


class MoatctlStream:
    """A long-running moatctl (data PATH monitor): its output lines are
    collected by a thread; stop() kills it."""

    def __init__(self, port, *args):
        import threading
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "moatctl"), "-h", "127.0.0.1", "-p",
             str(port)] + list(args), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    def text(self):
        return "".join(self.lines)

    def wait_text(self, text, timeout=5.0):
        return wait_for(lambda: text in self.text(), timeout,
                        what="moatctl output %r" % text)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(5)
        self.thread.join(5)
        err = self.proc.stderr.read()
        self.proc.stderr.close()
        return err


def main():
    only = sys.argv[1:] or None
    passed = failed = 0
    for fn in _tests:
        if only and fn.__name__ not in only:
            continue
        t0 = time.monotonic()
        try:
            fn()
        except Exception:
            failed += 1
            print("FAIL %s (%.2fs)" % (fn.__name__, time.monotonic() - t0))
            traceback.print_exc(file=sys.stdout)
        else:
            passed += 1
            print("ok   %s (%.2fs)" % (fn.__name__, time.monotonic() - t0))
        sys.stdout.flush()
    print("RESULT %d %d" % (passed, failed))
    sys.exit(1 if failed else 0)


# ---------------------------------------------------------------------
# Protocol client (branch core): raw MoaT-KV client protocol over TCP.
# Paths travel as msgpack ext 3; Path below is how tests write them.
# ---------------------------------------------------------------------
import msgpack  # noqa: E402


class Path(tuple):
    """A MoaT-KV path: packed as ext type 3, elements concatenated."""

    def __new__(cls, *elems):
        return super().__new__(cls, elems)

    def __repr__(self):
        return "Path%s" % (tuple.__repr__(self),)


def _default(obj):
    if isinstance(obj, Path):
        return msgpack.ExtType(3, b"".join(
            msgpack.packb(e, use_bin_type=True) for e in obj))
    raise TypeError("cannot pack %r" % (obj,))


def _ext_hook(code, data):
    if code == 3:
        u = msgpack.Unpacker(use_list=False, raw=False)
        u.feed(data)
        return Path(*list(u))
    return msgpack.ExtType(code, data)


def pack(obj):
    return msgpack.packb(obj, default=_default, use_bin_type=True)


class Client:
    """One protocol connection.  Reads the greeting; sends the seq-0
    hello {seq:0, qlen} unless qlen is None."""

    def __init__(self, port, qlen=None, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout)
        self.sock.settimeout(timeout)
        self.unp = msgpack.Unpacker(ext_hook=_ext_hook, raw=False,
                                    strict_map_key=False)
        self.pending = []
        self.seq = 0
        self.greeting = self.recv()
        if qlen is not None:
            self.send({"seq": 0, "qlen": qlen})

    def close(self):
        self.sock.close()

    def send(self, msg):
        self.sock.sendall(msg if isinstance(msg, bytes) else pack(msg))

    def recv(self, timeout=None):
        """The next message; raises socket.timeout, EOFError."""
        if self.pending:
            return self.pending.pop(0)
        old = self.sock.gettimeout()
        if timeout is not None:
            self.sock.settimeout(timeout)
        try:
            while True:
                for m in self.unp:
                    return m
                data = self.sock.recv(65536)
                if not data:
                    raise EOFError("connection closed")
                self.unp.feed(data)
        finally:
            self.sock.settimeout(old)

    def recv_seq(self, seq, timeout=None):
        """The next message for seq; others are kept for later."""
        kept = []
        try:
            while True:
                m = self.recv(timeout)
                if isinstance(m, dict) and m.get("seq") == seq:
                    return m
                kept.append(m)
        finally:
            self.pending[:0] = kept

    def nothing(self, timeout=0.3):
        """True if no message arrives within timeout."""
        try:
            m = self.recv(timeout)
        except socket.timeout:
            return True
        self.pending.insert(0, m)
        return False

    def next_seq(self):
        self.seq += 1
        return self.seq

    def call(self, action, **kw):
        """A single-reply request; returns the reply map."""
        seq = self.next_seq()
        kw.update(action=action, seq=seq)
        self.send(kw)
        return self.recv_seq(seq)

    def stream(self, action, ack=False, **kw):
        """A multi-reply request: the list of messages through end."""
        seq = self.next_seq()
        kw.update(action=action, seq=seq)
        self.send(kw)
        out = []
        while True:
            m = self.recv_seq(seq)
            out.append(m)
            if ack and "wseq" in m:
                self.send({"seq": seq, "state": "ack", "ack": m["wseq"]})
            if m.get("state") == "end":
                return out


def full_paths(base, items):
    """Undo get_tree/watch depth compression: full path of each item."""
    prev = []
    out = []
    for m in items:
        rel = prev[:m["depth"]] + list(m["path"])
        prev = rel
        out.append(tuple(base) + tuple(rel))
    return out
