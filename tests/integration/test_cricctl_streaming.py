"""cricctl's streaming commands against a real cricd: exec (streaming), attach and
port-forward, over the WebSocket protocols of the daemon's streaming server. Terminals
are Python ptys; every wait has a deadline; processes are killed by PID."""
import fcntl
import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import termios
import threading
import time

import pytest

import cric
from cric import wait_for
from cricctl_util import argv, ctl, new_container, new_pod, start_registry_daemon

pytestmark = pytest.mark.usefixtures("registry")

# the shell's PID 1: ends at once on SIGTERM
SLEEP = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
ROWS, COLS = 37, 101


@pytest.fixture(scope="module")
def busybox(registry_daemon, registry):
    ref = registry.reference("busybox")
    ctl(registry_daemon, "pull", ref)
    return ref


@pytest.fixture
def shell(clean, tmp_path, busybox):
    """A running container (host network) for exec."""
    pod_id, pod_cfg = new_pod(clean, tmp_path, "sh")
    return new_container(clean, tmp_path, pod_id, pod_cfg, "shell", busybox, cmd=SLEEP)


def processes(d, cid):
    return ctl(d, "exec", "-s", cid, "ps", "-o", "args").stdout


# ---- a terminal for cricctl ----

class Pty:
    """cricctl on the slave side of a new pty (its stdin, stdout and stderr), sized
    ROWS x COLS; the test types on the master side and reads what comes back."""

    def __init__(self, args, rows=ROWS, cols=COLS):
        self.master, self.slave = os.openpty()
        self.resize(rows, cols)
        self.attrs = termios.tcgetattr(self.slave)
        self.out = b""
        self.proc = subprocess.Popen(args, stdin=self.slave, stdout=self.slave, stderr=self.slave,
                                     start_new_session=True)

    def resize(self, rows, cols):
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def drain(self, wait=0.1):
        while select.select([self.master], [], [], wait)[0]:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.out += data
            wait = 0

    def read_until(self, needle, timeout=30):
        def seen():
            self.drain()
            return needle in self.out
        wait_for(seen, timeout, "%r on the terminal (got %r)" % (needle, self.out[-300:]))

    def type(self, text):
        os.write(self.master, text)

    def wait(self, timeout=30):
        def exited():
            self.drain(0.05)
            return self.proc.poll() is not None
        wait_for(exited, timeout, "cricctl to exit (terminal: %r)" % self.out[-300:])
        self.drain(0)
        return self.proc.returncode

    def is_restored(self):
        return termios.tcgetattr(self.slave) == self.attrs

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def ptys():
    made = []

    def make(args, **kw):
        p = Pty(args, **kw)
        made.append(p)
        return p
    yield make
    for p in made:
        p.close()


# ---- exec ----


def test_exec_output_and_exit_code(shell, registry_daemon):
    d = registry_daemon
    r = ctl(d, "exec", shell, "sh", "-c", "echo out; echo err >&2; exit 3", check=False)
    assert (r.returncode, r.stdout, r.stderr) == (3, "out\n", "err\n")
    r = ctl(d, "exec", "--sync=false", shell[:12], "sh", "-c", "printf 'a\\0b'; echo done >&2")
    assert (r.returncode, r.stdout, r.stderr) == (0, "a\0b", "done\n")
    # big outputs on both streams arrive whole and apart
    r = ctl(d, "exec", shell, "sh", "-c", "yes o | head -c 3000000; yes e | head -c 1000000 >&2")
    assert (len(r.stdout), len(r.stderr)) == (3000000, 1000000)
    assert set(r.stdout) == {"o", "\n"} and set(r.stderr) == {"e", "\n"}


def test_exec_command_that_cannot_start(registry, tmp_path):
    """The runtime's failure is the message, exit status 1. A daemon of its own: a failed
    streaming exec may leave crun's child a zombie orphaned to cricd in the container's PID
    namespace; cricd reaps it, or the container could not be stopped any more."""
    d = start_registry_daemon(registry, tmp_path)
    try:
        ctl(d, "pull", registry.reference("busybox"))
        pod_id, pod_cfg = new_pod(d, tmp_path, "ns")
        cid = new_container(d, tmp_path, pod_id, pod_cfg, "shell", registry.reference("busybox"), cmd=SLEEP)
        r = ctl(d, "exec", cid, "/no/such/program", check=False)
        assert (r.returncode, r.stdout) == (1, "")
        assert r.stderr.endswith("cricctl: execing command in container %s: Internal error occurred: exec in "
                                 "container %s: executable file `/no/such/program` not found in $PATH: No such file "
                                 "or directory\n" % (cid, cid)), r.stderr
        assert ctl(d, "exec", cid, "echo", "still", "fine").stdout == "still fine\n"
        r = ctl(d, "rm", "-f", cid, check=False)
        assert r.returncode == 0, "the container cannot be stopped after a failed exec: " + r.stderr
    finally:
        reports = d.cleanup()
        assert not reports, "sanitizer reports in the cricd log: %s" % reports


def test_exec_stdin(shell, registry_daemon):
    d = registry_daemon
    r = ctl(d, "exec", "-i", shell, "cat", input="hello\nworld\n")
    assert (r.stdout, r.stderr) == ("hello\nworld\n", "")
    # more than every buffer on the way holds: stdin and stdout flow at once
    data = "".join("line %07d\n" % i for i in range(200000))
    r = ctl(d, "exec", "-i", shell, "cat", input=data)
    assert r.stdout == data
    # the end of stdin reaches the command (v5 closes channel 0)
    r = ctl(d, "exec", "-i", shell, "sh", "-c", "wc -c; exit 5", input="x" * 70000, check=False)
    assert (r.returncode, r.stdout.strip()) == (5, "70000")
    # without -i the command's stdin is empty
    r = ctl(d, "exec", shell, "sh", "-c", "cat; echo end", input="ignored\n")
    assert r.stdout == "end\n"


def test_exec_tty(shell, registry_daemon, ptys):
    d = registry_daemon
    t = ptys(argv(d, "exec", "-it", shell, "sh"))
    t.read_until(b"# ")
    t.type(b"echo hi; stty size; exit 4\r")
    assert t.wait() == 4
    assert b"hi\r\n" in t.out and b"%d %d\r\n" % (ROWS, COLS) in t.out
    assert t.is_restored()
    # a new size reaches the remote terminal on SIGWINCH
    t = ptys(argv(d, "exec", "-it", shell, "sh"))
    t.read_until(b"# ")
    t.resize(24, 66)
    t.proc.send_signal(signal.SIGWINCH)

    def resized():  # the resize and the keys travel apart: ask until the answer is the new size
        t.type(b"stty size\r")
        t.drain(0.3)
        return b"24 66\r\n" in t.out
    wait_for(resized, 30, "the new size in the container's terminal")
    t.type(b"tty\r")
    t.read_until(b"/dev/pts/")
    t.type(b"exit\r")
    assert t.wait() == 0
    assert t.is_restored()


def test_exec_tty_restored_on_signal(shell, registry_daemon, ptys):
    d = registry_daemon
    t = ptys(argv(d, "exec", "-it", shell, "sh", "-c", "echo ready; exec sleep 1234"))
    t.read_until(b"ready")
    assert not t.is_restored()  # raw while it runs
    t.proc.send_signal(signal.SIGTERM)
    assert t.wait() == 128 + signal.SIGTERM
    assert t.is_restored()
    # the session's end killed the command
    wait_for(lambda: "sleep 1234" not in processes(d, shell), 30, "the exec'd sleep to be killed")


def test_exec_timeout_and_errors(shell, registry_daemon):
    d = registry_daemon
    t0 = time.monotonic()
    r = ctl(d, "exec", "--timeout", "1", shell, "sh", "-c", "exec sleep 2345", check=False)
    assert r.returncode == 1 and time.monotonic() - t0 < 20
    assert "execing command in container %s: timed out" % shell in r.stderr
    wait_for(lambda: "sleep 2345" not in processes(d, shell), 30, "the timed-out command to be killed")
    r = ctl(d, "exec", "-t", shell, "sh", check=False)
    assert r.returncode == 1 and "tty=true must be specified with interactive=true" in r.stderr
    r = ctl(d, "exec", "-it", shell, "sh", check=False, input="")
    assert r.returncode == 1 and "input is not a terminal" in r.stderr
    r = ctl(d, "exec", "nosuchcontainer", "true", check=False)
    assert r.returncode == 1 and "code = NotFound" in r.stderr
    assert r.stderr.startswith("cricctl: execing command in container nosuchcontainer: Exec failed: ")


# ---- attach ----


def test_attach_tty(clean, tmp_path, busybox, ptys):
    d = clean
    pod_id, pod_cfg = new_pod(d, tmp_path, "at")
    cid = new_container(d, tmp_path, pod_id, pod_cfg, "console", busybox, cmd=["sh"], stdin=True, tty=True)
    t = ptys(argv(d, "attach", "-i", "-t", cid))
    t.type(b"echo attached-$((6*7)); stty size\r")
    t.read_until(b"attached-42\r\n")
    t.read_until(b"%d %d\r\n" % (ROWS, COLS))
    t.type(b"exit 0\r")
    assert t.wait() == 0  # the shell, and so the container, ended: attach ends with it
    assert t.is_restored()
    wait_for(lambda: json.loads(ctl(d, "inspect", cid).stdout)["status"]["state"] == "CONTAINER_EXITED", 30,
             "the container to exit")


def test_attach_stdin(clean, tmp_path, busybox):
    d = clean
    pod_id, pod_cfg = new_pod(d, tmp_path, "ai")
    cid = new_container(d, tmp_path, pod_id, pod_cfg, "cat", busybox, cmd=["cat"], stdin=True, stdin_once=True)
    # the end of stdin closes the container's (stdin_once): cat ends, the container with it, attach too
    r = ctl(d, "attach", "-i", cid, input="ping\npong\n")
    assert (r.returncode, r.stdout, r.stderr) == (0, "ping\npong\n", "")
    wait_for(lambda: json.loads(ctl(d, "inspect", cid).stdout)["status"]["state"] == "CONTAINER_EXITED", 30,
             "the container to exit")


def test_attach_output_and_errors(clean, tmp_path, busybox):
    d = clean
    pod_id, pod_cfg = new_pod(d, tmp_path, "ao")
    cmd = ["sh", "-c", "i=0; while [ $i -lt 600 ]; do echo tick-$i; echo tock-$i >&2; i=$((i+1)); sleep 0.1; done"]
    cid = new_container(d, tmp_path, pod_id, pod_cfg, "ticker", busybox, cmd=cmd)
    p = subprocess.Popen(argv(d, "attach", cid), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = Collector(p.stdout), Collector(p.stderr)
        wait_for(lambda: "tick-" in out.text(), 30, "stdout through attach")
        wait_for(lambda: "tock-" in err.text(), 30, "stderr through attach")
        p.send_signal(signal.SIGINT)
        assert p.wait(30) == 128 + signal.SIGINT
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    r = ctl(d, "attach", "nosuchcontainer", check=False)
    assert r.returncode == 1 and "attaching running container failed" in r.stderr and "NotFound" in r.stderr
    assert "USAGE:" in ctl(d, "attach").stdout


# ---- port-forward ----


class Collector:
    """Reads a pipe in a thread; text() is what came so far."""

    def __init__(self, pipe):
        self.chunks, self.pipe = [], pipe
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        for chunk in iter(lambda: os.read(self.pipe.fileno(), 65536), b""):
            self.chunks.append(chunk)

    def text(self):
        return b"".join(self.chunks).decode(errors="replace")


def recv_exact(s, n, timeout=30):
    s.settimeout(timeout)
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def echo_works(port):
    """One round trip through the forward; False while the pod's server is not up."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"probe\n")
            return recv_exact(s, 6, timeout=5) == b"probe\n"
    except OSError:
        return False


@pytest.fixture
def forwarder(clean, tmp_path, busybox):
    """A pod with its own network namespace running an echo server on 8080."""
    d = clean
    pod_id, pod_cfg = new_pod(d, tmp_path, "pf", host_network=False)
    new_container(d, tmp_path, pod_id, pod_cfg, "echo", busybox, cmd=["nc", "-ll", "-p", "8080", "-e", "cat"])
    procs = []

    def start(*specs):
        p = subprocess.Popen(argv(d, "port-forward", pod_id, *specs), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        procs.append(p)
        p.out, p.err = Collector(p.stdout), Collector(p.stderr)
        return p
    yield pod_id, start
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()


def local_ports(p, n):
    """The ports of the first n "Forwarding from 127.0.0.1:N -> R" lines, in order."""
    def lines():
        found = re.findall(r"Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)\n", p.out.text())
        return len(found) >= n and found
    return [(int(a), int(b)) for a, b in wait_for(lines, 30, "the Forwarding lines (%r)" % p.err.text())]


def test_port_forward(forwarder):
    pod_id, start = forwarder
    p = start(":8080", "0:8081")
    (port, remote), (refused_port, remote2) = local_ports(p, 2)
    assert (remote, remote2) == (8080, 8081) and port != 0 and refused_port != 0
    wait_for(lambda: echo_works(port), 30, "the echo server in the pod")
    # two connections at once, data both ways on each
    with socket.create_connection(("127.0.0.1", port), timeout=10) as a, \
            socket.create_connection(("127.0.0.1", port), timeout=10) as b:
        a.sendall(b"one-a\n")
        b.sendall(b"one-b\n")
        assert recv_exact(b, 6) == b"one-b\n"
        assert recv_exact(a, 6) == b"one-a\n"
        big = os.urandom(3 << 20)
        sender = threading.Thread(target=a.sendall, args=(big,))
        sender.start()
        b.sendall(b"two-b\n")
        assert recv_exact(b, 6) == b"two-b\n"
        assert recv_exact(a, len(big), timeout=60) == big
        sender.join(60)
    assert "Handling connection for %d" % port in p.out.text()
    # a local end that closes only its writing half still gets the pod's answer, then the end
    with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
        c.sendall(b"half\n")
        c.shutdown(socket.SHUT_WR)
        assert recv_exact(c, 5) == b"half\n"
        assert recv_exact(c, 1) == b""
    # nothing listens on 8081 in the pod: the error is told, the local connection closed
    with socket.create_connection(("127.0.0.1", refused_port), timeout=10) as c:
        assert recv_exact(c, 1) == b""
    wait_for(lambda: "error forwarding port 8081 to pod %s" % pod_id in p.err.text(), 30, "the refusal on stderr")
    assert "onnection refused" in p.err.text()
    # and it goes on serving
    assert p.poll() is None
    assert echo_works(port)
    p.send_signal(signal.SIGINT)
    assert p.wait(30) == 0


def test_port_forward_same_port_and_errors(forwarder, registry_daemon):
    d = registry_daemon
    pod_id, start = forwarder
    with socket.socket() as s:  # a free port, taken on both sides ("PORT" alone: the same port locally)
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    p = start(str(free))
    assert local_ports(p, 1) == [(free, free)]
    with socket.create_connection(("127.0.0.1", free), timeout=10) as c:
        assert recv_exact(c, 1) == b""
    wait_for(lambda: "error forwarding port %d" % free in p.err.text(), 30, "the refusal on stderr")
    p.send_signal(signal.SIGTERM)
    assert p.wait(30) == 0
    for spec, msg in (("1:2:3", "invalid port format '1:2:3'"), ("0", "remote port must be > 0"),
                      ("x:80", "error parsing local port 'x'"), ("80:70000", "error parsing remote port '70000'")):
        r = ctl(d, "port-forward", pod_id, spec, check=False)
        assert r.returncode == 1 and msg in r.stderr, (spec, r.stderr)
    r = ctl(d, "port-forward", "nosuchpod", "80", check=False)
    assert r.returncode == 1 and "port forward: " in r.stderr and "NotFound" in r.stderr
    assert "USAGE:" in ctl(d, "port-forward", pod_id).stdout
    help_text = ctl(d, "help").stdout
    assert "   attach " in help_text and "   port-forward " in help_text


# ---- the protocol's corners, against a fake runtime and streaming server ----

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class FakeStreamer:
    """A CRI runtime service whose Exec answers a URL of a one-connection WebSocket server
    here, which picks `protocol` and then plays `script(conn)`; frames the client sent
    are kept in .frames as (opcode, masked, payload)."""

    def __init__(self, tmp_path, protocol, script, status=101):
        import base64
        import hashlib
        from concurrent import futures
        import grpc
        self.b64, self.sha1 = base64.b64encode, hashlib.sha1
        self.protocol, self.script, self.status = protocol, script, status
        self.frames, self.offered, self.error = [], None, None
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(60)
        self.url = "http://127.0.0.1:%d/exec/sometoken" % self.listener.getsockname()[1]
        self.socket = str(tmp_path / "fake.sock")
        handler = grpc.method_handlers_generic_handler("runtime.v1.RuntimeService", {
            "Exec": grpc.unary_unary_rpc_method_handler(
                lambda req, ctx: cric.pb.ExecResponse(url=self.url),
                request_deserializer=cric.pb.ExecRequest.FromString,
                response_serializer=lambda m: m.SerializeToString()),
        })
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        self.server.add_generic_rpc_handlers((handler,))
        self.server.add_insecure_port("unix:" + self.socket)
        self.server.start()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _ = self.listener.accept()
            conn.settimeout(60)
            with conn:
                head = b""
                while b"\r\n\r\n" not in head:
                    head += conn.recv(4096)
                lines = head.split(b"\r\n")
                headers = {k.strip().lower(): v.strip() for k, v in (l.split(b":", 1) for l in lines[1:] if b":" in l)}
                self.offered = headers[b"sec-websocket-protocol"].decode()
                if self.status != 101:
                    body = b"unknown, used or expired streaming token\n"
                    conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                    return
                accept = self.b64(self.sha1(headers[b"sec-websocket-key"] + WS_GUID).digest())
                conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                             b"Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: %s\r\n\r\n"
                             % (accept, self.protocol.encode()))
                self.script(self, conn)
        except Exception as e:  # noqa: BLE001 (reported by the test)
            self.error = e

    def read_frame(self, conn):
        def exact(n):
            data = b""
            while len(data) < n:
                chunk = conn.recv(n - len(data))
                if not chunk:
                    raise EOFError("the client closed the connection")
                data += chunk
            return data
        b0, b1 = exact(2)
        n = b1 & 0x7f
        if n == 126:
            n = struct.unpack(">H", exact(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", exact(8))[0]
        mask = exact(4) if b1 & 0x80 else None
        payload = bytearray(exact(n))
        for i in range(n if mask else 0):
            payload[i] ^= mask[i % 4]
        frame = (b0 & 0x0f, mask is not None, bytes(payload))
        self.frames.append(frame)
        return frame

    @staticmethod
    def send(conn, channel, data, opcode=2, fin=True):
        payload = (bytes([channel]) if channel is not None else b"") + data
        n = len(payload)
        head = bytes([(0x80 if fin else 0) | opcode]) + (bytes([n]) if n < 126 else b"\x7e" + struct.pack(">H", n))
        conn.sendall(head + payload)

    def close(self):
        self.server.stop(0)
        self.listener.close()


@pytest.fixture
def fake(tmp_path):
    made = []

    def make(*a, **kw):
        f = FakeStreamer(tmp_path, *a, **kw)
        made.append(f)
        return f
    yield make
    for f in made:
        f.close()


def fake_ctl(f, *args, input=None):
    return subprocess.run([cric.CRICCTL, "--runtime-endpoint", "unix://" + f.socket, "--timeout", "30s"] + list(args),
                          capture_output=True, text=True, timeout=60, input=input)


def test_exec_falls_back_to_v4(fake):
    def script(f, conn):
        got = b""
        while got != b"abc":  # stdin; v4 has no way to end it, so nothing more comes
            op, _, payload = f.read_frame(conn)
            if op == 2 and payload[:1] == b"\x00":
                got += payload[1:]
        f.send(conn, 1, b"echo:" + got)
        f.send(conn, 2, b"err")
        f.send(conn, 3, b'{"metadata":{},"status":"Failure","reason":"NonZeroExitCode",'
                        b'"details":{"causes":[{"reason":"ExitCode","message":"7"}]}}')
        f.send(conn, None, struct.pack(">H", 1000), opcode=8)
        while f.read_frame(conn)[0] != 8:
            pass
    f = fake("v4.channel.k8s.io", script)
    r = fake_ctl(f, "exec", "-i", "ctr", "cmd", input="abc")
    assert (r.returncode, r.stdout, r.stderr) == (7, "echo:abc", "err"), f.error
    assert f.error is None
    assert f.offered == "v5.channel.k8s.io, v4.channel.k8s.io"
    assert all(masked for _, masked, _ in f.frames)  # a client masks every frame
    assert not any(op == 2 and p[:1] == b"\xff" for op, _, p in f.frames)  # no v5 close message on v4
    assert f.frames[-1][0] == 8  # it answered the close


def test_exec_failure_status_and_refused_upgrade(fake):
    def script(f, conn):
        f.send(conn, 1, b"partial")
        f.send(conn, 3, b'{"metadata":{},"status":"Failure","message":"the process broke","reason":"InternalError"}')
        f.send(conn, None, struct.pack(">H", 1000), opcode=8)
        while f.read_frame(conn)[0] != 8:
            pass
    f = fake("v5.channel.k8s.io", script)
    r = fake_ctl(f, "exec", "ctr", "cmd")
    assert (r.returncode, r.stdout) == (1, "partial"), f.error
    assert r.stderr == "cricctl: execing command in container ctr: the process broke\n"
    # a connection that ends without the Status is an error, not a success
    f = fake("v5.channel.k8s.io", lambda f, conn: f.send(conn, 1, b"cut"))
    r = fake_ctl(f, "exec", "ctr", "cmd")
    assert (r.returncode, r.stdout) == (1, "cut")
    assert "ended without the command's status" in r.stderr
    f = fake("v5.channel.k8s.io", None, status=404)
    r = fake_ctl(f, "exec", "ctr", "cmd")
    assert r.returncode == 1
    assert "upgrade refused: 404 Not Found: unknown, used or expired streaming token" in r.stderr
    # a subprotocol that was not offered is refused
    f = fake("v4.base64.channel.k8s.io", lambda f, conn: None)
    r = fake_ctl(f, "exec", "ctr", "cmd")
    assert r.returncode == 1 and 'subprotocol "v4.base64.channel.k8s.io" was not offered' in r.stderr


def test_exec_fragmented_messages_and_ping(fake):
    def script(f, conn):
        f.send(conn, 1, b"", fin=False)  # the channel byte alone, then continuations
        f.send(conn, None, b"hel", opcode=0, fin=False)
        f.send(conn, None, b"pp", opcode=9)  # a ping between the fragments
        f.send(conn, None, b"lo", opcode=0)
        f.send(conn, 2, b"")  # an empty message
        f.send(conn, 3, b'{"metadata":{},', fin=False)
        f.send(conn, None, b'"status":"Success"}', opcode=0)
        f.send(conn, None, struct.pack(">H", 1000), opcode=8)
        while f.read_frame(conn)[0] != 8:
            pass
    f = fake("v5.channel.k8s.io", script)
    r = fake_ctl(f, "exec", "ctr", "cmd")
    assert (r.returncode, r.stdout, r.stderr) == (0, "hello", ""), f.error
    assert (10, True, b"pp") in f.frames  # the pong, masked
