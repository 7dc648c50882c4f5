"""The real kubectl (/usr/bin/kubectl, 1.32) runs `exec`, `attach`, `cp` and `port-forward`
against cricd's streaming server, through tests/fixtures/kubeshim.py: a fake API server +
kubelet that answers kubectl's discovery and pod GET, turns each exec/attach/portforward
request into the CRI call, and proxies kubectl's upgrade request, untouched, to the URL
cricd answered.

Every test runs in two modes:
  websocket  kubectl 1.32's default: exec and attach ask for the WebSocket subprotocol
             v5.channel.k8s.io (and nothing else), port-forward for SPDY tunnelled in
             WebSocket ("SPDY/3.1+portforward.k8s.io");
  spdy       KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false and KUBECTL_PORT_FORWARD_WEBSOCKETS=false:
             POST + Upgrade: SPDY/3.1, X-Stream-Protocol-Version v5.channel.k8s.io ...
             channel.k8s.io (exec, attach) or portforward.k8s.io.
kubectl quietly falls back to SPDY when the WebSocket upgrade is answered with anything
but 101, so each test also checks, from the shim's record of the requests, that its mode
really ran: for cricd, no fallback.

CRIC_KUBECTL_PEER=containerd runs the same tests against Debian's containerd 1.6 instead
(tests/fixtures/kubeshim_peer.py: `cd tests && /usr/bin/python3 -m fixtures.kubeshim_peer`).
Its streaming server knows neither v5.channel.k8s.io nor the tunnel and answers 403, so
there the websocket variants check kubectl's fallback to SPDY instead; everything else is
the same. CRIC_KUBESHIM_TRACE=FILE appends every request kubectl made in each test.
CRIC_KUBESHIM_TUNNEL=translate makes the shim end kubectl's port-forward WebSocket itself
and speak SPDY to the runtime, as a real API server (>= 1.31) does.

Needs root, /usr/bin/kubectl (skipped without it) and busybox from the fixture registry.
"""
import fcntl
import hashlib
import os
import pty
import re
import select
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
import uuid

import pytest

import cric
from cric import pb, wait_for
from fixtures import kubeshim
from fixtures.kubeshim import KubeShim, ShimContainer, describe
from fixtures.registry import free_port

PEER = os.environ.get("CRIC_KUBECTL_PEER", "")
TRACE = os.environ.get("CRIC_KUBESHIM_TRACE", "")
TUNNEL = os.environ.get("CRIC_KUBESHIM_TUNNEL", "proxy")   # kubeshim's portforward_tunnel
MODES = ("websocket", "spdy")
ECHO_PORT = 7777      # `nc -ll -p 7777 -e cat` in the pod: an echo server, one cat per connection
CLOSED_PORT = 7778    # nothing listens there
KUBECTL_TIMEOUT = 60  # seconds for a kubectl run that is expected to end by itself
WS_PROTOCOL = {"exec": "v5.channel.k8s.io", "attach": "v5.channel.k8s.io", "portforward": kubeshim.TUNNEL_PROTOCOL}
SPDY_PROTOCOLS = {"exec": ("v5.channel.k8s.io", "v4.channel.k8s.io"),
                  "attach": ("v5.channel.k8s.io", "v4.channel.k8s.io"), "portforward": ("portforward.k8s.io",)}

pytestmark = [
    pytest.mark.skipif(not os.access(kubeshim.KUBECTL, os.X_OK),
                       reason="%s is not installed: these tests drive the real kubectl" % kubeshim.KUBECTL),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run containers"),
    pytest.mark.usefixtures("registry"),
]


# ---- the runtime under test -----------------------------------------------------------

def _daemon_list():
    mod = sys.modules.get("conftest")
    return getattr(mod, "_daemons", None) if mod else None


class Cricd:
    """A private cricd pulling from the fixture registry (plain HTTP)."""
    name = "cricd"
    # what kubectl's WebSocket offers the streaming server must accept (no SPDY fallback)
    websocket_verbs = frozenset(("exec", "attach", "portforward"))

    def __init__(self, registry, tmp):
        conf = os.path.join(tmp, "registries.conf")
        with open(conf, "w") as f:
            f.write('[[registry]]\nlocation = "%s"\ninsecure = true\n' % registry.host)
        self.d = cric.Daemon(config_text='[cric.image]\npause_command = "%s"\n' % os.path.join(cric.BUILD, "cric-pause"),
                             extra_args=["--registries-conf", conf])
        lst = _daemon_list()   # conftest adds the logs of the daemons it knows to failed tests
        if lst is not None:
            lst.append(self.d)
        try:
            self.d.start()
            self.socket, self.runtime, self.image = self.d.socket, self.d.runtime, self.d.image
            self.busybox = registry.reference("busybox")
            self.image.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=self.busybox)), timeout=120)
        except BaseException:
            self.close()
            raise

    def log_tail(self):
        return ""   # conftest shows cricd's log

    def close(self):
        lst = _daemon_list()
        if lst is not None and self.d in lst:
            lst.remove(self.d)
        return self.d.cleanup()


@pytest.fixture(scope="module")
def target(registry, tmp_path_factory):
    if PEER == "containerd":
        from fixtures.kubeshim_peer import Containerd
        t = Containerd(registry)
        try:
            yield t
        finally:
            t.close()
        return
    assert not PEER, "CRIC_KUBECTL_PEER=%r: only containerd is known" % PEER
    t = Cricd(registry, str(tmp_path_factory.mktemp("kubectl")))
    try:
        yield t
    finally:
        reports = t.close()
    assert not reports, "sanitizer reports in the cricd log: %s" % reports


class _Report:
    """Adds the shim's record of requests (and containerd's log) to a failed test's report."""

    def __init__(self, shim, target):
        self.shim, self.target = shim, target

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        rep = outcome.get_result()
        if rep.failed and item.module.__name__ == __name__:
            rep.sections.append(("kubeshim requests", "\n".join(describe(e) for e in self.shim.requests)[-30000:]))
            if self.target.log_tail():
                rep.sections.append(("%s log" % self.target.name, self.target.log_tail()))


@pytest.fixture(scope="module")
def shim(target, request):
    s = KubeShim(target.socket, portforward_tunnel=TUNNEL).start()
    reporter = _Report(s, target)
    request.config.pluginmanager.register(reporter, "kubeshim-report-%x" % id(s))
    try:
        yield s
    finally:
        request.config.pluginmanager.unregister(reporter)
        s.stop()


@pytest.fixture(autouse=True)
def _requests(shim, request):
    """Each test sees only its own requests in shim.requests (and in the trace file)."""
    shim.clear_requests()
    yield
    if TRACE:
        with open(TRACE, "a") as f:
            f.write("==== %s\n%s\n\n" % (request.node.nodeid, "\n".join(describe(e) for e in shim.requests)))


@pytest.fixture(params=MODES)
def mode(request):
    return request.param


# ---- pods, made through the CRI as the kubelet makes them --------------------------------

class Pods:
    def __init__(self, target, tmp):
        self.t, self.tmp = target, tmp
        self.sandboxes = []

    def run(self, name):
        """A pod in a network namespace of its own; returns (sandbox id, its config)."""
        log_dir = os.path.join(self.tmp, "%s-%s" % (name, uuid.uuid4().hex[:6]))
        os.makedirs(log_dir)
        ns = pb.NamespaceOption(network=pb.POD, pid=pb.CONTAINER, ipc=pb.POD)
        cfg = pb.PodSandboxConfig(
            metadata=pb.PodSandboxMetadata(name=name, namespace="default", uid=str(uuid.uuid4()), attempt=0),
            hostname=name, log_directory=log_dir, labels={"test": "kubectl"},
            linux=pb.LinuxPodSandboxConfig(security_context=pb.LinuxSandboxSecurityContext(namespace_options=ns)))
        sid = self.t.runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=cfg), timeout=120).pod_sandbox_id
        self.sandboxes.append(sid)
        return sid, cfg

    def container(self, pod, name, command, stdin=False, tty=False):
        """Creates and starts a busybox container; returns its ShimContainer."""
        sid, cfg = pod
        os.makedirs(os.path.join(cfg.log_directory, name), exist_ok=True)   # the kubelet does
        cc = pb.ContainerConfig(
            metadata=pb.ContainerMetadata(name=name, attempt=0), image=pb.ImageSpec(image=self.t.busybox),
            command=list(command), stdin=stdin, tty=tty, log_path="%s/0.log" % name, labels={"test": "kubectl"},
            linux=pb.LinuxContainerConfig(security_context=pb.LinuxContainerSecurityContext(
                namespace_options=cfg.linux.security_context.namespace_options)))
        cid = self.t.runtime.CreateContainer(pb.CreateContainerRequest(pod_sandbox_id=sid, config=cc, sandbox_config=cfg),
                                             timeout=120).container_id
        self.t.runtime.StartContainer(pb.StartContainerRequest(container_id=cid), timeout=60)
        return ShimContainer(cid, stdin=stdin, tty=tty)

    def cleanup(self):
        for sid in self.sandboxes:
            for call, req in ((self.t.runtime.StopPodSandbox, pb.StopPodSandboxRequest),
                              (self.t.runtime.RemovePodSandbox, pb.RemovePodSandboxRequest)):
                try:
                    call(req(pod_sandbox_id=sid), timeout=120)
                except Exception:  # noqa: BLE001 (the daemon's own clean-up follows)
                    pass


def exec_sync(target, cid, cmd):
    """stdout of cmd run in the container through ExecSync (not through kubectl)."""
    r = target.runtime.ExecSync(pb.ExecSyncRequest(container_id=cid, cmd=cmd, timeout=20), timeout=60)
    assert r.exit_code == 0, "%r exited %d: %r" % (cmd, r.exit_code, r.stderr)
    return r.stdout.decode()


def listening(target, cid, port):
    """True once something in the pod's network namespace listens on TCP port."""
    text = exec_sync(target, cid, ["cat", "/proc/net/tcp", "/proc/net/tcp6"])
    return re.search(r":%04X [0-9A-F]+:0000 0A " % port, text) is not None


@pytest.fixture(scope="module")
def pods(target, tmp_path_factory):
    p = Pods(target, str(tmp_path_factory.mktemp("pods")))
    yield p
    p.cleanup()


@pytest.fixture(scope="module")
def work(target, shim, pods):
    """Pod "work": container "main" (a sleep: exec, cp) and "echo" (an echo server on
    ECHO_PORT: port-forward)."""
    pod = pods.run("work")
    ctrs = {"main": pods.container(pod, "main", ["sleep", "1000000"]),
            "echo": pods.container(pod, "echo", ["nc", "-ll", "-p", str(ECHO_PORT), "-e", "cat"])}
    shim.add_pod("work", pod[0], ctrs)
    wait_for(lambda: listening(target, ctrs["echo"].id, ECHO_PORT), 30, "the echo server to listen on %d" % ECHO_PORT)
    return ctrs


@pytest.fixture
def attach_pod(target, shim, pods):
    """make(command, stdin, tty): a fresh container for one attach test in a pod of its
    own, registered with the shim; returns the pod's name."""
    def make(command, stdin=False, tty=False):
        name = "att-" + uuid.uuid4().hex[:8]
        pod = pods.run(name)
        shim.add_pod(name, pod[0], {"c": pods.container(pod, "c", command, stdin=stdin, tty=tty)})
        return name
    return make


# ---- checks on the wire -------------------------------------------------------------------

def _hdr(headers, name):
    return [v for k, v in headers if k.lower() == name.lower()]


def assert_mode(shim, target, verb, mode):
    """The verb's requests ran in the test's mode. websocket: a WebSocket upgrade the
    runtime accepted with kubectl's subprotocol, no SPDY fallback (or, for a runtime that
    is known to refuse it, the refusal then SPDY); spdy: SPDY upgrades only, accepted."""
    ups = shim.upgrades(verb)
    assert ups, "kubectl made no %s request" % verb
    kinds = [(_hdr(e["headers"], "Upgrade") or [""])[0].lower() for e in ups]
    seen = [(e["method"], k, e.get("status"), e.get("subprotocol")) for e, k in zip(ups, kinds)]
    if mode == "websocket" and verb == "portforward" and TUNNEL == "translate":
        assert all(k == "websocket" and e.get("translated") and e.get("status") == 101 for e, k in zip(ups, kinds)), \
            "not every port-forward was a WebSocket the shim turned into SPDY: %s" % seen
    elif mode == "spdy":
        assert all(k == "spdy/3.1" and e.get("status") == 101 and e.get("subprotocol") in SPDY_PROTOCOLS[verb]
                   for e, k in zip(ups, kinds)), "not every %s ran over SPDY: %s" % (verb, seen)
    elif verb in target.websocket_verbs:
        assert all(k == "websocket" and e.get("status") == 101 and e.get("subprotocol") == WS_PROTOCOL[verb]
                   for e, k in zip(ups, kinds)), "not every %s ran over WebSocket %s: %s" % (verb, WS_PROTOCOL[verb], seen)
    else:
        assert kinds[0] == "websocket" and ups[0].get("status") != 101 and "spdy/3.1" in kinds, \
            "%s: expected %s's WebSocket refusal and kubectl's fallback to SPDY: %s" % (verb, target.name, seen)


class KubectlExited(AssertionError):
    """kubectl ended while a test waited for it to show something."""


def wait_until(cond, timeout, what):
    """wait_for, whose timeout message what() is made when it fails (it shows the output
    kubectl had printed by then). cond raises KubectlExited to give up at once."""
    try:
        return wait_for(cond, timeout, "")
    except KubectlExited:
        raise
    except AssertionError:
        raise AssertionError("timed out after %.1f s waiting for %s" % (timeout, what())) from None


def kubectl(shim, mode, *args, **kw):
    kw.setdefault("timeout", KUBECTL_TIMEOUT)
    return shim.kubectl(*args, websockets=mode == "websocket", **kw)


class Pty:
    """kubectl on a pseudo-terminal (its controlling terminal, first 30 rows x 100 columns),
    as a user runs it: resizing the terminal sends kubectl SIGWINCH."""

    def __init__(self, argv, env):
        self.master, slave = pty.openpty()
        self.resize(30, 100)
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
                                     preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(slave)
        self.buf = b""

    def resize(self, rows, cols):
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def pump(self):
        while select.select([self.master], [], [], 0)[0]:
            try:
                data = os.read(self.master, 65536)
            except OSError:   # EIO: kubectl has closed the terminal
                return
            if not data:
                return
            self.buf += data

    def expect(self, data, timeout=30):
        def seen():
            ended = self.proc.poll() is not None
            self.pump()
            if data not in self.buf and ended:
                raise KubectlExited("kubectl exited %s before %r showed on its terminal: %r" % (
                    self.proc.returncode, data, self.buf[-500:]))
            return data in self.buf
        wait_until(seen, timeout, lambda: "%r on kubectl's terminal (it shows %r)" % (data, self.buf[-500:]))

    def send(self, data):
        os.write(self.master, data)

    def ask(self, line, answer, timeout=30):
        """Types line every second until answer shows up."""
        last = [0.0]

        def seen():
            ended = self.proc.poll() is not None
            self.pump()
            if answer in self.buf:
                return True
            if ended:
                raise KubectlExited("kubectl exited %s before %r showed on its terminal: %r" % (
                    self.proc.returncode, answer, self.buf[-500:]))
            if time.monotonic() - last[0] > 1.0:
                self.send(line)
                last[0] = time.monotonic()
            return False
        wait_until(seen, timeout, lambda: "%r on kubectl's terminal (it shows %r)" % (answer, self.buf[-500:]))

    def wait(self, timeout=30):
        def ended():
            self.pump()
            return self.proc.poll() is not None
        wait_until(ended, timeout, lambda: "kubectl to exit (its terminal shows %r)" % self.buf[-500:])
        return self.proc.returncode

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        os.close(self.master)


@pytest.fixture
def ptys():
    made = []

    def start(shim, mode, *args):
        p = Pty(shim.kubectl_argv(*args), shim.kubectl_env(mode == "websocket"))
        made.append(p)
        return p
    yield start
    for p in made:
        p.close()


class Background:
    """A kubectl that runs until killed; stdout and stderr go to files the test reads."""

    def __init__(self, shim, mode, tmp, *args, stdin=subprocess.DEVNULL):
        base = os.path.join(tmp, "kubectl-%s" % uuid.uuid4().hex[:6])
        self.out_path, self.err_path = base + ".out", base + ".err"
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = shim.kubectl_popen(*args, websockets=mode == "websocket", stdin=stdin, stdout=out, stderr=err)

    def _read(self, path):
        with open(path, errors="replace") as f:
            return f.read()

    def stdout(self):
        return self._read(self.out_path)

    def stderr(self):
        return self._read(self.err_path)

    def wait_output(self, text, timeout=30):
        def seen():
            if text in self.stdout():
                return True
            if self.proc.poll() is not None and text not in self.stdout():
                raise KubectlExited("kubectl exited %s before printing %r:\n%s%s" % (
                    self.proc.returncode, text, self.stdout(), self.stderr()))
            return False
        wait_until(seen, timeout, lambda: "%r from kubectl (stdout %r, stderr %r)" % (
            text, self.stdout()[-300:], self.stderr()[-300:]))

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.proc.stdin:
            self.proc.stdin.close()


@pytest.fixture
def background(tmp_path):
    made = []

    def start(shim, mode, *args, **kw):
        b = Background(shim, mode, str(tmp_path), *args, **kw)
        made.append(b)
        return b
    yield start
    for b in made:
        b.close()


def port_forward(background, shim, mode, *specs):
    """kubectl port-forward work LOCAL:REMOTE...; returns it once it listens on every LOCAL."""
    pf = background(shim, mode, "port-forward", "work", *specs)
    for spec in specs:
        local, remote = spec.split(":")
        pf.wait_output("Forwarding from 127.0.0.1:%s -> %s" % (local, remote))
    return pf


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.settimeout(30)
    return s


def echo(sock, data):
    """Sends data through the echo server and returns what came back (as many bytes)."""
    sender = threading.Thread(target=sock.sendall, args=(data,), daemon=True)
    sender.start()
    got = b""
    while len(got) < len(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        got += chunk
    sender.join(30)
    return got


# ---- kubectl exec ---------------------------------------------------------------------------

def test_exec_output_goes_to_stdout_and_stderr(shim, target, work, mode):
    r = kubectl(shim, mode, "exec", "work", "-c", "main", "--", "sh", "-c", "echo to-stdout; echo to-stderr >&2")
    assert (r.returncode, r.stdout, r.stderr) == (0, "to-stdout\n", "to-stderr\n")
    assert_mode(shim, target, "exec", mode)


def test_exec_with_piped_stdin_sees_all_of_it_and_its_end(shim, target, work, mode):
    data = os.urandom(1 << 20)
    r = kubectl(shim, mode, "exec", "-i", "work", "-c", "main", "--", "sha256sum", input=data, text=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().split()[0] == hashlib.sha256(data).hexdigest()
    assert_mode(shim, target, "exec", mode)


def test_exec_exit_code_is_kubectls(shim, target, work, mode):
    r = kubectl(shim, mode, "exec", "work", "-c", "main", "--", "sh", "-c", "exit 3")
    assert (r.returncode, r.stderr) == (3, "command terminated with exit code 3\n")
    assert_mode(shim, target, "exec", mode)


def test_exec_tty_echoes_typed_line_and_exits(shim, target, work, mode, ptys):
    p = ptys(shim, mode, "exec", "-it", "work", "-c", "main", "--", "sh")
    p.expect(b"# ")
    p.send(b"echo kshim-$((6*7))\r")
    p.expect(b"echo kshim-$((6*7))")   # the container's terminal echoes what was typed
    p.expect(b"kshim-42")
    p.send(b"exit\r")
    assert p.wait() == 0
    assert_mode(shim, target, "exec", mode)


def test_exec_tty_follows_kubectls_terminal_size(shim, target, work, mode, ptys):
    """The size travels on its own channel, after the process has started (the CRI has no
    initial size): ask until it has arrived, then resize."""
    p = ptys(shim, mode, "exec", "-it", "work", "-c", "main", "--", "sh")
    p.expect(b"# ")
    for rows, cols in ((30, 100), (40, 120)):
        p.resize(rows, cols)
        p.ask(b"stty size\r", b"\n%d %d\r" % (rows, cols))
    p.send(b"exit\r")
    assert p.wait() == 0
    assert_mode(shim, target, "exec", mode)


def test_exec_missing_binary_fails_clearly(shim, target, work, mode):
    r = kubectl(shim, mode, "exec", "work", "-c", "main", "--", "/no/such/binary", timeout=30)
    assert r.returncode != 0 and "/no/such/binary" in r.stderr, (r.returncode, r.stderr)
    assert_mode(shim, target, "exec", mode)


def test_exec_answers_kubectls_heartbeat(shim, target, work, mode):
    """kubectl pings every 5 s. Over WebSocket it stops reading 61 s after the last pong
    (client-go's pingReadDeadline; data does not count), so a server that does not answer
    ends every WebSocket session after a minute."""
    r = kubectl(shim, mode, "exec", "work", "-c", "main", "--", "sleep", "11")
    assert r.returncode == 0, r.stderr
    e = shim.upgrades("exec")[-1]
    ws = (_hdr(e["headers"], "Upgrade") or [""])[0].lower() == "websocket"
    ping, pong = ("ping", "pong") if ws else ("PING", "PING")
    up, down = e["frames"]["up"], e["frames"]["down"]
    assert up[ping] >= 2 and down[pong] >= up[ping], "kubectl sent %d %s, the runtime answered %d" % (
        up[ping], ping, down[pong])
    assert_mode(shim, target, "exec", mode)


# ---- kubectl attach -------------------------------------------------------------------------

def test_attach_tty_runs_typed_line(shim, target, mode, attach_pod, ptys):
    pod = attach_pod(["sh"], stdin=True, tty=True)
    p = ptys(shim, mode, "attach", "-it", pod, "-c", "c")
    p.expect(b"If you don't see a command prompt")
    p.send(b"echo attach-$((6*7))\r")
    p.expect(b"attach-42")
    assert_mode(shim, target, "attach", mode)


def test_attach_without_tty_shows_output(shim, target, mode, attach_pod, background):
    pod = attach_pod(["sh", "-c", "i=0; while :; do echo tick-$i; i=$((i+1)); sleep 0.2; done"])
    a = background(shim, mode, "attach", pod, "-c", "c")
    a.wait_output("tick-")
    assert_mode(shim, target, "attach", mode)


def test_attach_stdin_without_tty_reaches_container(shim, target, mode, attach_pod, background):
    pod = attach_pod(["sh", "-c", "while read -r l; do echo got:$l; done"], stdin=True)
    a = background(shim, mode, "attach", "-i", pod, "-c", "c", stdin=subprocess.PIPE)
    a.proc.stdin.write(b"hello-attach\n")
    a.proc.stdin.flush()
    a.wait_output("got:hello-attach")
    assert_mode(shim, target, "attach", mode)


# ---- kubectl cp (tar through exec) ----------------------------------------------------------

def test_cp_into_container(shim, target, work, mode, tmp_path):
    data = os.urandom(300001)
    src = tmp_path / "in.bin"
    src.write_bytes(data)
    dest = "/tmp/cp-in-%s.bin" % mode
    r = kubectl(shim, mode, "cp", str(src), "work:" + dest, "-c", "main")
    assert r.returncode == 0, r.stderr
    assert exec_sync(target, work["main"].id, ["sha256sum", dest]).split()[0] == hashlib.sha256(data).hexdigest()
    assert_mode(shim, target, "exec", mode)


def test_cp_out_of_container(shim, target, work, mode, tmp_path):
    src = "/tmp/cp-out-%s.bin" % mode
    digest = exec_sync(target, work["main"].id, ["sh", "-c", "head -c 300001 /dev/urandom > %s && sha256sum %s"
                                                 % (src, src)]).split()[0]
    dest = tmp_path / "out.bin"
    r = kubectl(shim, mode, "cp", "work:" + src, str(dest), "-c", "main")
    assert r.returncode == 0, r.stderr
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == digest
    assert_mode(shim, target, "exec", mode)


# ---- kubectl port-forward -------------------------------------------------------------------

def test_port_forward_moves_data_both_ways(shim, target, work, mode, background):
    local = free_port()
    port_forward(background, shim, mode, "%d:%d" % (local, ECHO_PORT))
    data = os.urandom(256 << 10)
    with connect(local) as s:
        assert echo(s, data) == data
    assert_mode(shim, target, "portforward", mode)


def test_port_forward_two_connections_at_once(shim, target, work, mode, background):
    local = free_port()
    port_forward(background, shim, mode, "%d:%d" % (local, ECHO_PORT))
    with connect(local) as a, connect(local) as b:
        a.sendall(b"from-a\n")
        b.sendall(b"from-b\n")
        assert (a.recv(100), b.recv(100)) == (b"from-a\n", b"from-b\n")
        da, db = os.urandom(128 << 10), os.urandom(128 << 10)
        results = {}
        threads = [threading.Thread(target=lambda k, s, d: results.__setitem__(k, echo(s, d) == d), args=args)
                   for args in (("a", a, da), ("b", b, db))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert results == {"a": True, "b": True}
    assert_mode(shim, target, "portforward", mode)


def test_port_forward_refused_port_reported_while_another_works(shim, target, work, mode, background):
    """kubectl (client-go >= 1.29) ends its whole session once a stream reports an error,
    so the refused port gets a kubectl of its own; the working forward must not notice."""
    good, bad = free_port(), free_port()
    port_forward(background, shim, mode, "%d:%d" % (good, ECHO_PORT))
    refused = port_forward(background, shim, mode, "%d:%d" % (bad, CLOSED_PORT))
    with connect(good) as g:
        assert echo(g, b"before\n") == b"before\n"
        with connect(bad) as s:
            try:
                assert s.recv(100) == b""   # kubectl closes the local connection
            except ConnectionResetError:
                pass
        wait_until(lambda: "-> %d" % CLOSED_PORT in refused.stderr() and "refused" in refused.stderr().lower(),
                   30, lambda: "kubectl to report the refused port %d (stderr %r)" % (CLOSED_PORT, refused.stderr()))
        assert echo(g, b"after\n") == b"after\n"
    assert_mode(shim, target, "portforward", mode)

