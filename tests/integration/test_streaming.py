"""The streaming server at the protocol level: the URLs Exec, Attach and PortForward
return, spoken to with the clients of tests/fixtures/k8s_stream.py (SPDY/3.1 and
WebSocket, written from the kubelet's k8s.io/kubelet/pkg/cri/streaming server and
proved against Debian's containerd 1.6, which embeds it: see
tests/fixtures/k8s_stream_peer.py, which prints what containerd sends).

What is pinned comes from containerd's server unless a test says otherwise. Where cric
is asked to do better than containerd 1.6, the test says so: v5.channel.k8s.io (newer
kubelets have it, containerd 1.6 refuses it with 403), WebSocket fragments reassembled
(containerd's golang.org/x/net/websocket takes each frame as a message), a broken SPDY
session closed at once (containerd leaves the socket open), and an exec'd process ended
when its client vanishes (containerd leaves it running).

Images come from the fixture registry; pods get cricd's loopback-only network. Needs
root. Token expiry (a minute unused) is not tested: cricd has no setting to shorten it.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import uuid

import grpc
import pytest

import cric
from cric import pb, wait_for
from fixtures import k8s_stream as ks
from fixtures.procs import procs_with

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run containers"),
    pytest.mark.usefixtures("registry"),
]

ECHO_PORT, GREET_PORT, CLOSED_PORT = 8080, 8081, 9999
MiB = 1 << 20
SPDY_V4 = "v4.channel.k8s.io"
STATUS_SUCCESS = {"metadata": {}, "status": "Success"}


# ---- the module's daemon, pods and containers ---------------------------------------------

class Env:
    def __init__(self, d, registry):
        self.d, self.rt, self.registry = d, d.runtime, registry
        self.tag = uuid.uuid4().hex[:8]
        self.busybox = registry.reference("busybox")
        self.pods = []

    def pod(self, name, host=False):
        log_dir = os.path.join(self.d.dir, "pods", name + "-" + self.tag)
        os.makedirs(log_dir, exist_ok=True)
        ns = pb.NamespaceOption(network=pb.NODE if host else pb.POD, pid=pb.CONTAINER, ipc=pb.POD)
        cfg = pb.PodSandboxConfig(
            metadata=pb.PodSandboxMetadata(name=name, namespace="streaming", uid="%s-%s" % (name, self.tag)),
            hostname="" if host else name, log_directory=log_dir,
            linux=pb.LinuxPodSandboxConfig(security_context=pb.LinuxSandboxSecurityContext(namespace_options=ns)))
        pod_id = self.rt.RunPodSandbox(pb.RunPodSandboxRequest(config=cfg), timeout=60).pod_sandbox_id
        self.pods.append(pod_id)
        return pod_id, cfg

    def container(self, pod, name, command, stdin=False, stdin_once=False, tty=False, start=True):
        pod_id, pcfg = pod
        cfg = pb.ContainerConfig(
            metadata=pb.ContainerMetadata(name=name), image=pb.ImageSpec(image=self.busybox), command=command,
            stdin=stdin, stdin_once=stdin_once, tty=tty, log_path="%s.log" % name,
            linux=pb.LinuxContainerConfig(security_context=pb.LinuxContainerSecurityContext(
                namespace_options=pcfg.linux.security_context.namespace_options)))
        cid = self.rt.CreateContainer(pb.CreateContainerRequest(pod_sandbox_id=pod_id, config=cfg,
                                                                sandbox_config=pcfg), timeout=60).container_id
        if start:
            self.rt.StartContainer(pb.StartContainerRequest(container_id=cid), timeout=60)
        return cid

    def state(self, cid):
        return self.rt.ContainerStatus(pb.ContainerStatusRequest(container_id=cid), timeout=30).status.state

    def exec_url(self, cid, cmd, stdin=False, stdout=True, stderr=True, tty=False):
        return self.rt.Exec(pb.ExecRequest(container_id=cid, cmd=cmd, stdin=stdin, stdout=stdout, stderr=stderr,
                                           tty=tty), timeout=30).url

    def attach_url(self, cid, stdin=False, stdout=True, stderr=True, tty=False):
        return self.rt.Attach(pb.AttachRequest(container_id=cid, stdin=stdin, stdout=stdout, stderr=stderr,
                                               tty=tty), timeout=30).url

    def pf_url(self, pod_id, ports=()):
        return self.rt.PortForward(pb.PortForwardRequest(pod_sandbox_id=pod_id, port=list(ports)), timeout=30).url

    def sh(self, cid, script):
        r = self.rt.ExecSync(pb.ExecSyncRequest(container_id=cid, cmd=["sh", "-c", script], timeout=20), timeout=60)
        return r.exit_code, r.stdout.decode()

    def cleanup(self):
        for pod_id in self.pods:
            for call, req in ((self.rt.StopPodSandbox, pb.StopPodSandboxRequest),
                              (self.rt.RemovePodSandbox, pb.RemovePodSandboxRequest)):
                try:
                    call(req(pod_sandbox_id=pod_id), timeout=120)
                except grpc.RpcError:
                    pass


def _daemon_list():
    mod = sys.modules.get("conftest")
    return getattr(mod, "_daemons", None) if mod else None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PeerDaemon:
    """containerd in cricd's place (CRIC_STREAMING_PEER=containerd): the same tests run
    against the reference server, which is how their logic is checked. Tests of what
    cric does beyond containerd 1.6 (see the module's docstring) fail there."""

    def __init__(self, registry):
        import shutil
        import subprocess
        import tempfile
        from fixtures import k8s_stream_peer as peer
        self.dir = tempfile.mkdtemp(prefix="pystream-peer-", dir="/tmp")
        registry.push([peer.pause_image(self.dir)])
        self.cd = peer.start_containerd(os.path.join(self.dir, "containerd"), registry, cric)
        self.runtime, self.image, self.proc = self.cd.runtime, self.cd.image, self.cd.proc
        self._rm = lambda: (subprocess.run(["umount", "-R", "-l", self.dir], capture_output=True),
                            shutil.rmtree(self.dir, ignore_errors=True))

    def start(self):
        return self

    def read_log(self):
        return self.cd.log_tail(20000)

    def cleanup(self):
        self.cd.close()
        self._rm()
        return []


@pytest.fixture(scope="module")
def env(registry, tmp_path_factory):
    """cricd pulling from the fixture registry; a pod with an echo server (8080, `cat`
    per connection) and a greeter (8081: "hello", then it closes), a container printing
    a tick every 0.2 s, and a hostNetwork pod with an echo server on a free host port."""
    tmp = tmp_path_factory.mktemp("streaming")
    conf = tmp / "registries.conf"
    conf.write_text('[[registry]]\nlocation = "%s"\ninsecure = true\n' % registry.host)
    if os.environ.get("CRIC_STREAMING_PEER") == "containerd":
        d = PeerDaemon(registry)
    else:
        d = cric.Daemon(config_text='[cric.image]\npause_command = "%s"\n' % os.path.join(cric.BUILD, "cric-pause"),
                        extra_args=["--registries-conf", str(conf)])
    daemons = _daemon_list()
    if daemons is not None:
        daemons.append(d)  # conftest adds its log to a failed test's report
    e = None
    try:
        d.start()
        d.image.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=registry.reference("busybox"))), timeout=120)
        e = Env(d, registry)
        e.pod_net = e.pod("net")
        e.main = e.container(e.pod_net, "main", ["sh", "-c", "nc -ll -p %d -e cat & nc -ll -p %d -e echo hello & "
                                                 "exec sleep 100000" % (ECHO_PORT, GREET_PORT)])
        e.ticker = e.container(e.pod_net, "ticker", ["sh", "-c", "i=0; while :; do i=$((i+1)); echo tick $i; "
                                                     "usleep 200000; done"])
        e.pod_host = e.pod("host", host=True)
        e.host_echo = free_port()
        e.host_echo_ctr = e.container(e.pod_host, "hostecho", ["nc", "-ll", "-p", str(e.host_echo), "-e", "cat"])
        wait_for(lambda: e.sh(e.main, "nc 127.0.0.1 %d </dev/null" % GREET_PORT)[1] == "hello\n", 20,
                 "the greeter on port %d" % GREET_PORT)
        yield e
    finally:
        if e:
            e.cleanup()
        if daemons is not None and d in daemons:
            daemons.remove(d)
        reports = d.cleanup()
    assert not reports, "sanitizer reports in the cricd log: %s" % reports


def spdy_exec(env, cmd, protocol=SPDY_V4, stdin=False, stdout=True, stderr=True, tty=False, **kw):
    url = env.exec_url(env.main, cmd, stdin=stdin, stdout=stdout, stderr=stderr, tty=tty)
    return ks.RemoteCommand.open(url, "spdy", protocol, stdin=stdin, stdout=stdout, stderr=stderr, tty=tty, **kw)


def ws_exec(env, cmd, protocol=SPDY_V4, stdin=False, stdout=True, stderr=True, tty=False):
    url = env.exec_url(env.main, cmd, stdin=stdin, stdout=stdout, stderr=stderr, tty=tty)
    return ks.RemoteCommand.open(url, "ws", protocol, stdin=stdin, stdout=stdout, stderr=stderr, tty=tty)


def frames(conn, kind=None):
    """The SPDY frames received (control frames of one type name, or "DATA")."""
    out = []
    for _, f in list(conn.log):
        name = "DATA" if not f.control else ks.SPDY_TYPE_NAMES.get(f.type)
        if kind is None or name == kind:
            out.append(f)
    return out


def shells_with(needle):
    """PIDs of `sh -c SCRIPT` processes whose script holds needle (not the helpers that
    may carry the same argv)."""
    out = []
    for pid in procs_with(needle):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if os.path.basename(argv[0]) == b"sh" and argv[1:2] == [b"-c"]:
            out.append(pid)
    return out


def kill_leftovers(marker):
    """SIGKILL from the host to what a test left running (a failing test must not leave
    its processes to the next)."""
    for pid in procs_with(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def nonzero_status(code, cmd):
    return {"metadata": {}, "status": "Failure",
            "message": "command terminated with non-zero exit code: error executing command %s, exit code %d"
                       % (cmd, code),
            "reason": "NonZeroExitCode", "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


OUT_ERR_3 = ["sh", "-c", "echo out; echo err >&2; exit 3"]


# ---- the RPCs and their URLs ----------------------------------------------------------------

def test_urls_name_the_server_and_a_fresh_token(env):
    urls = [env.exec_url(env.main, ["true"]), env.exec_url(env.main, ["true"]), env.attach_url(env.ticker),
            env.pf_url(env.pod_net[0], [ECHO_PORT])]
    parsed = [re.match(r"^http://127\.0\.0\.1:(\d+)/(exec|attach|portforward)/([A-Za-z0-9_-]+)$", u) for u in urls]
    assert all(parsed), urls
    assert [m.group(2) for m in parsed] == ["exec", "exec", "attach", "portforward"]
    assert len({m.group(1) for m in parsed}) == 1  # one server
    assert len({m.group(3) for m in parsed}) == 4  # a token per request


@pytest.mark.parametrize("call,code", [
    (lambda e: e.exec_url("0" * 64, ["true"]), grpc.StatusCode.NOT_FOUND),
    (lambda e: e.attach_url("0" * 64), grpc.StatusCode.NOT_FOUND),
    (lambda e: e.pf_url("0" * 64, [ECHO_PORT]), grpc.StatusCode.NOT_FOUND),
    (lambda e: e.exec_url(e.main, ["true"], tty=True, stderr=True), grpc.StatusCode.INVALID_ARGUMENT),
    (lambda e: e.exec_url(e.main, ["true"], stdout=False, stderr=False), grpc.StatusCode.INVALID_ARGUMENT),
    (lambda e: e.attach_url(e.ticker, stdout=False, stderr=False), grpc.StatusCode.INVALID_ARGUMENT),
], ids=["exec-unknown", "attach-unknown", "portforward-unknown", "exec-tty-and-stderr", "exec-no-streams",
        "attach-no-streams"])
def test_rpc_errors(env, call, code):
    """As containerd: unknown ids are NOT_FOUND (no URL is handed out); the kubelet's
    server refuses tty with stderr and a request with none of stdin, stdout, stderr."""
    err = cric.rpc_error(call, env)
    assert err.code() == code, err


def test_exec_into_exited_container_fails_at_the_rpc(env):
    """containerd refuses Exec and Attach of a container that is not running at the RPC
    (code UNKNOWN, "container is in CONTAINER_EXITED state"); cric may say
    FAILED_PRECONDITION. Either way no URL is handed out."""
    cid = env.container(env.pod_net, "exited-%s" % uuid.uuid4().hex[:6], ["true"])
    wait_for(lambda: env.state(cid) == pb.CONTAINER_EXITED, 30, "the container to exit")
    for call in (lambda: env.exec_url(cid, ["true"]), lambda: env.attach_url(cid)):
        err = cric.rpc_error(call)
        assert err.code() in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.UNKNOWN), err


def test_exec_url_of_a_container_stopped_since_reports_on_the_error_stream(env):
    """A URL taken while the container ran, used after it stopped: the streams open,
    then the v4 error stream carries an InternalError Status (containerd: "Internal
    error occurred: error executing command in container: ...") and the session ends."""
    cid = env.container(env.pod_net, "stopped-%s" % uuid.uuid4().hex[:6], ["sleep", "100000"])
    url = env.exec_url(cid, ["echo", "hi"])
    env.rt.StopContainer(pb.StopContainerRequest(container_id=cid, timeout=0), timeout=60)
    s = ks.RemoteCommand.open(url, "spdy", SPDY_V4)
    r = s.wait(30)
    assert r.stdout == b"" and r.status["status"] == "Failure", r
    assert r.status["reason"] == "InternalError" and r.status["code"] == 500, r
    assert r.exit_code is None


# ---- exec over SPDY --------------------------------------------------------------------------

@pytest.mark.parametrize("protocol", ks.EXEC_SPDY_PROTOCOLS)
def test_exec_spdy_streams(env, protocol):
    """Each client stream gets a SYN_REPLY; stdout and stderr come on their own streams,
    each ended by an empty DATA frame with FIN; then the error stream; then GOAWAY
    (status OK, last good = the highest stream id) and the server closes."""
    s = spdy_exec(env, OUT_ERR_3, protocol)
    assert s.conn.response.header("X-Stream-Protocol-Version") == protocol
    assert s.conn.response.header("Upgrade") == "SPDY/3.1"
    r = s.wait(30)
    assert (r.stdout, r.stderr) == (b"out\n", b"err\n")
    assert sorted(f.stream_id for f in frames(s.conn, "SYN_REPLY")) == [1, 3, 5]
    assert s.streams["stdout"].remote_fin and s.streams["stderr"].remote_fin
    assert s.conn.goaway == (5, 0)
    assert frames(s.conn)[-1].type == ks.GOAWAY, s.transcript()


def test_exec_spdy_v4_exit_code_is_a_status(env):
    """v4: the error stream holds a metav1.Status JSON: Failure, reason NonZeroExitCode,
    the code as the message of the ExitCode cause."""
    r = spdy_exec(env, OUT_ERR_3).wait(30)
    assert r.exit_code == 3
    assert r.status == nonzero_status(3, "[sh -c echo out; echo err >&2; exit 3]"), r.error


def test_exec_spdy_v4_success_is_a_status(env):
    r = spdy_exec(env, ["true"]).wait(30)
    assert json.loads(r.error) == STATUS_SUCCESS


@pytest.mark.parametrize("protocol", ["v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"])
def test_exec_spdy_before_v4_error_stream_is_text(env, protocol):
    """Before v4 the error stream is the Status' message alone, and empty on success."""
    r = spdy_exec(env, ["sh", "-c", "exit 3"], protocol).wait(30)
    assert r.error.startswith(b"command terminated with non-zero exit code: ") and r.error.endswith(b"exit code 3")
    assert spdy_exec(env, ["true"], protocol).wait(30).error == b""


def test_exec_spdy_exit_by_signal(env):
    r = spdy_exec(env, ["sh", "-c", "kill -9 $$"]).wait(30)
    assert r.exit_code == 137


def test_exec_spdy_missing_binary(env):
    """containerd: no exit code but an InternalError Status naming the binary."""
    r = spdy_exec(env, ["/no/such/binary"]).wait(30)
    assert r.status["status"] == "Failure" and r.status["reason"] == "InternalError", r.error
    assert r.status["code"] == 500 and "/no/such/binary" in r.status["message"], r.error
    assert r.exit_code is None


def test_exec_spdy_stdin_and_its_fin(env):
    s = spdy_exec(env, ["cat"], stdin=True)
    s.write_stdin(b"hello\n")
    s.wait_output(b"hello\n")
    s.close_stdin()
    r = s.wait(30)
    assert r.stdout == b"hello\n" and r.exit_code == 0


@pytest.mark.parametrize("protocol", ["v4.channel.k8s.io", "v3.channel.k8s.io"])
def test_exec_spdy_tty_resize(env, protocol):
    """tty: one output stream (stdout), a resize stream taking {"Width", "Height"} JSON."""
    s = spdy_exec(env, ["sh"], protocol, stdin=True, stderr=False, tty=True)
    assert "resize" in s.streams
    s.resize(123, 45)
    s.write_stdin(b"busybox stty size; exit 7\n")
    r = s.wait(30)
    assert b"45 123\r\n" in r.stdout, r
    if protocol.startswith("v4"):
        assert r.exit_code == 7


def test_exec_spdy_big_output_needs_no_window_update(env):
    """kubectl's spdystream never sends WINDOW_UPDATE: 4 MiB (64 windows) must still
    arrive whole."""
    r = spdy_exec(env, ["dd", "if=/dev/zero", "bs=65536", "count=64"], stderr=False).wait(60)
    assert len(r.stdout) == 4 * MiB and r.exit_code == 0


def test_exec_spdy_negotiation_takes_the_clients_first_choice(env):
    s = spdy_exec(env, ["true"], "x", offer=["v2.channel.k8s.io", SPDY_V4])
    assert s.conn.protocol == "v2.channel.k8s.io"
    s.wait(30)
    s = spdy_exec(env, ["true"], "x", offer=["v9.channel.k8s.io, " + SPDY_V4])  # comma-separated in one header
    assert s.conn.protocol == SPDY_V4
    s.wait(30)


def test_exec_spdy_unsupported_protocol_is_403(env):
    with pytest.raises(ks.UpgradeFailed) as e:
        spdy_exec(env, ["true"], "v9.channel.k8s.io")
    r = e.value.response
    assert r.status == 403
    assert r.header_all("X-Accepted-Stream-Protocol-Versions") == list(ks.EXEC_SPDY_PROTOCOLS)


def test_exec_spdy_without_protocol_header_is_400(env):
    with pytest.raises(ks.UpgradeFailed) as e:
        spdy_exec(env, ["true"], "x", offer=[])
    assert e.value.response.status == 400
    assert b"X-Stream-Protocol-Version is required" in e.value.response.body


def test_exec_spdy_ping_and_an_unknown_stream_type(env):
    """A PING from the client is echoed; a stream of an unknown type gets its SYN_REPLY
    and is ignored (containerd)."""
    url = env.exec_url(env.main, ["echo", "x"])
    conn = ks.SpdyConn.connect(url, [SPDY_V4])
    bogus = conn.open_stream({"streamtype": "bogus"})
    assert conn.ping(1)
    streams = {t: conn.open_stream({"streamtype": t}) for t in ("error", "stdout", "stderr")}
    conn.wait_closed(30)
    assert bogus.replied and bytes(streams["stdout"].data) == b"x\n"
    assert json.loads(bytes(streams["error"].data)) == STATUS_SUCCESS


# ---- exec over WebSocket ---------------------------------------------------------------------

WS_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io", "v4.base64.channel.k8s.io", "channel.k8s.io",
                "base64.channel.k8s.io"]


@pytest.mark.parametrize("protocol", WS_PROTOCOLS)
def test_exec_ws_channels(env, protocol):
    """The server first sends an empty message on stdout (the lowest output channel the
    request has), then the output per channel (base64 variants: text messages of an
    ASCII digit and base64), then the error channel, then a close frame with 1000.
    containerd 1.6 has no v5 (403): its case comes from newer kubelets."""
    s = ws_exec(env, OUT_ERR_3, protocol)
    assert s.conn.protocol == protocol
    r = s.wait(30)
    assert (r.stdout, r.stderr) == (b"out\n", b"err\n")
    first = s.conn.log[0][1]
    if "base64" in protocol:
        assert (first.opcode, first.payload) == (ks.OP_TEXT, b"1")
    else:
        assert (first.opcode, first.payload) == (ks.OP_BINARY, b"\x01")
    assert s.conn.log[-1][1].opcode == ks.OP_CLOSE and s.conn.close_code == 1000
    if protocol.startswith(("v4", "v5")):
        assert r.exit_code == 3
    else:
        assert r.error.startswith(b"command terminated with non-zero exit code: ")


def test_exec_ws_without_protocol_is_channel_k8s_io(env):
    """No Sec-WebSocket-Protocol: the binary channel protocol with text errors."""
    s = ks.RemoteCommand.open(env.exec_url(env.main, OUT_ERR_3), "ws", "", offer=[])
    r = s.wait(30)
    assert (r.stdout, r.stderr) == (b"out\n", b"err\n")
    assert r.error.startswith(b"command terminated with non-zero exit code: ")


@pytest.mark.parametrize("flags,channel", [(dict(stdout=False, stderr=True), 2),
                                           (dict(stdin=True, stdout=False, stderr=False), 3)],
                         ids=["stderr-only", "stdin-only"])
def test_exec_ws_first_message_is_on_the_lowest_output_channel(env, flags, channel):
    url = env.exec_url(env.main, ["head", "-c", "1"] if flags.get("stdin") else ["true"], **flags)
    s = ks.RemoteCommand.open(url, "ws", SPDY_V4, **flags)
    if flags.get("stdin"):
        s.write_stdin(b"x")
    s.wait(30)
    assert s.conn.log[0][1].payload == bytes([channel])


def test_exec_ws_v5_closes_stdin(env):
    """v5: [255, 0] half-closes stdin; cat sees EOF and ends."""
    s = ws_exec(env, ["cat"], "v5.channel.k8s.io", stdin=True)
    s.write_stdin(b"hello")
    s.wait_output(b"hello")
    s.close_stdin()
    r = s.wait(30)
    assert r.stdout == b"hello" and r.exit_code == 0


@pytest.mark.parametrize("protocol", ["v5.channel.k8s.io", "v4.channel.k8s.io", "v4.base64.channel.k8s.io"])
def test_exec_ws_tty_resize(env, protocol):
    s = ws_exec(env, ["sh"], protocol, stdin=True, stderr=False, tty=True)
    s.resize(77, 22)
    s.write_stdin(b"busybox stty size; exit\n")
    r = s.wait(30)
    assert b"22 77\r\n" in r.stdout and r.exit_code == 0, r


def test_exec_ws_fragments_and_ping(env):
    """A stdin message in fragments arrives whole (RFC 6455; containerd's x/net/websocket
    takes each frame for a message and loses them), and a ping is answered with its
    payload."""
    s = ws_exec(env, ["cat"], stdin=True)
    s.conn.send_message(b"\x00hello ", fragment=3)
    s.conn.ping(b"p1")
    s.write_stdin(b"world")
    assert s.wait_output(b"hello world") == b"hello world"
    pongs = [f.payload for _, f in s.conn.log if f.opcode == ks.OP_PONG]
    assert pongs == [b"p1"]
    s.close()


def test_exec_ws_unmasked_client_frame_is_closed_with_1002(env):
    s = ws_exec(env, ["head", "-c", "3"], "channel.k8s.io", stdin=True)
    s.conn.send_frame(ks.OP_BINARY, b"\x00abc", mask=False)
    s.wait(20)
    assert s.conn.close_code == 1002


def test_exec_ws_unknown_channel_and_empty_messages_are_ignored(env):
    s = ws_exec(env, ["head", "-c", "2"], stdin=True)
    s.conn.send_message(b"\x09zz")
    s.conn.send_message(b"\x00")
    s.conn.send_message(b"")
    s.write_stdin(b"ok")
    r = s.wait(30)
    assert r.stdout == b"ok" and r.exit_code == 0


def test_exec_ws_unsupported_protocol_is_403(env):
    with pytest.raises(ks.UpgradeFailed) as e:
        ws_exec(env, ["true"], "v9.channel.k8s.io")
    assert e.value.response.status == 403


def test_exec_ws_other_version_is_400(env):
    with pytest.raises(ks.UpgradeFailed) as e:
        ks.WebSocket.connect(env.exec_url(env.main, ["true"]), [SPDY_V4], version="8")
    assert e.value.response.status == 400
    assert e.value.response.header("Sec-WebSocket-Version") == "13"


def test_exec_ws_missing_binary(env):
    r = ws_exec(env, ["/no/such/binary"]).wait(30)
    assert r.status["reason"] == "InternalError" and "/no/such/binary" in r.status["message"], r.error


# ---- attach -----------------------------------------------------------------------------------

def test_attach_two_clients_see_the_same_output(env):
    a = ks.RemoteCommand.open(env.attach_url(env.ticker), "spdy", SPDY_V4)
    b = ks.RemoteCommand.open(env.attach_url(env.ticker), "ws", SPDY_V4)
    n = int(re.findall(rb"tick (\d+)\n", a.wait_output(b"\n"))[-1])
    wanted = [b"tick %d\n" % (n + 1), b"tick %d\n" % (n + 2)]
    out_a, out_b = a.wait_output(wanted[1]), b.wait_output(wanted[1])
    a.close()
    b.close()
    assert all(t in out_a and t in out_b for t in wanted), (out_a[-200:], out_b[-200:])


def test_attach_stdin_once(env):
    """stdin_once: the first attach that closes stdin closes the container's stdin; its
    read loop ends and the container exits."""
    cid = env.container(env.pod_net, "reader-%s" % uuid.uuid4().hex[:6],
                        ["sh", "-c", 'while read l; do echo "got $l"; done; echo stdin-closed'],
                        stdin=True, stdin_once=True)
    s = ks.RemoteCommand.open(env.attach_url(cid, stdin=True), "spdy", SPDY_V4, stdin=True)
    s.write_stdin(b"one\n")
    s.wait_output(b"got one\n")
    s.close_stdin()
    s.wait_output(b"stdin-closed\n")
    s.wait(30)
    wait_for(lambda: env.state(cid) == pb.CONTAINER_EXITED, 30, "the container to exit once stdin closed")


# ---- port-forward -------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["pod", "host"])
def test_portforward_spdy_connections(env, where):
    """Several connections at once (each an error + data stream pair with its requestid),
    to several ports; a refused port is reported on its own error stream (the data
    stream ends first) while the others go on; the client's FIN reaches the pod."""
    pod = env.pod_net if where == "pod" else env.pod_host
    echo = ECHO_PORT if where == "pod" else env.host_echo
    pf = ks.SpdyPortForward.open(env.pf_url(pod[0]))
    assert pf.conn.protocol == "portforward.k8s.io"
    c1, c2 = pf.forward(echo), pf.forward(echo)
    c1.send(b"one")
    c2.send(b"two")
    assert c1.wait_data(lambda d: d == b"one") == b"one"
    assert c2.wait_data(lambda d: d == b"two") == b"two"
    bad = pf.forward(CLOSED_PORT)
    err = bad.error_text(20)
    assert "error forwarding port %d" % CLOSED_PORT in err, err
    assert bad.read_all(5) == b""
    c1.send(b"more")
    assert c1.wait_data(lambda d: d.endswith(b"more")) == b"onemore"
    c1.close_write()
    assert c1.read_all(20) == b"onemore" and c1.error_text(20) == ""
    c2.send(b"still")
    assert c2.wait_data(lambda d: d.endswith(b"still")) == b"twostill"
    pf.close()


V6_PORT = 8089
V6_SERVER = """
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::1", %d))
s.listen(4)
print("listening", flush=True)
c, _ = s.accept()
c.sendall(b"v6 " + c.recv(100))
c.close()
""" % V6_PORT


def test_portforward_spdy_falls_back_to_ipv6_localhost(env):
    """Nothing on 127.0.0.1:PORT but a server on [::1]:PORT only (in the pod's network
    namespace): the forwarded connection reaches it."""
    info = json.loads(env.rt.ContainerStatus(pb.ContainerStatusRequest(container_id=env.main, verbose=True),
                                             timeout=30).info["info"])
    srv = subprocess.Popen(["nsenter", "--net=/proc/%d/ns/net" % info["pid"], "/usr/bin/python3", "-c", V6_SERVER],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert srv.stdout.readline() == b"listening\n", srv.stderr.read()
        pf = ks.SpdyPortForward.open(env.pf_url(env.pod_net[0]))
        c = pf.forward(V6_PORT)
        c.send(b"hi")
        assert c.read_all(20) == b"v6 hi"
        assert c.error_text(20) == ""
        pf.close()
        assert srv.wait(20) == 0
    finally:
        if srv.poll() is None:
            srv.kill()
            srv.wait()


def test_portforward_spdy_server_side_close(env):
    pf = ks.SpdyPortForward.open(env.pf_url(env.pod_net[0]))
    g = pf.forward(GREET_PORT)
    assert g.read_all(20) == b"hello\n"
    assert g.error_text(20) == ""
    pf.close()


@pytest.mark.parametrize("protocol", list(ks.PORTFORWARD_WS_PROTOCOLS) + [""])
def test_portforward_ws(env, protocol):
    """Port i has data channel 2i and error channel 2i+1; the first message of each is the
    port, little endian; the refused port's error arrives while the echo goes on."""
    ports = [ECHO_PORT, CLOSED_PORT]
    pf = ks.WsPortForward.open(env.pf_url(env.pod_net[0], ports), ports, protocol=protocol)
    pf.prefix(0), pf.prefix(1)
    first = [(f.opcode, f.payload) for _, f in pf.ws.log[:4]]
    if "base64" in protocol:
        assert first == [(ks.OP_TEXT, b"0kB8="), (ks.OP_TEXT, b"1kB8="), (ks.OP_TEXT, b"2Dyc="),
                         (ks.OP_TEXT, b"3Dyc=")]
    else:
        assert first == [(ks.OP_BINARY, b"\x00\x90\x1f"), (ks.OP_BINARY, b"\x01\x90\x1f"),
                         (ks.OP_BINARY, b"\x02\x0f'"), (ks.OP_BINARY, b"\x03\x0f'")]
    assert pf.prefix(0) == (ECHO_PORT, ECHO_PORT) and pf.prefix(1) == (CLOSED_PORT, CLOSED_PORT)
    pf.send(0, b"ping")
    assert pf.wait_data(0, lambda d: d == b"ping") == b"ping"
    assert "error forwarding port %d" % CLOSED_PORT in pf.wait_error(1)
    pf.send(0, b"again")
    assert pf.wait_data(0, lambda d: d.endswith(b"again")) == b"pingagain"
    pf.close()
    pf.chans.wait_closed(20)
    assert pf.ws.close_code == 1000


def test_portforward_ws_ports_come_from_the_request(env):
    """The CRI request's ports, not the URL's ?port= (containerd)."""
    url = ks.with_query(env.pf_url(env.pod_net[0], [ECHO_PORT]), [("port", str(GREET_PORT))])
    pf = ks.WsPortForward.open(url, [ECHO_PORT], query=False)
    assert pf.prefix(0) == (ECHO_PORT, ECHO_PORT)
    pf.shutdown()


def test_portforward_ws_ends_when_its_connections_do(env):
    """Once every port's connection has ended the server closes with 1000."""
    pf = ks.WsPortForward.open(env.pf_url(env.pod_net[0], [GREET_PORT]), [GREET_PORT])
    pf.chans.wait_closed(20)
    assert pf.data(0) == b"hello\n" and pf.error(0) == "" and pf.ws.close_code == 1000


def test_portforward_ws_portforward_protocol_is_403(env):
    with pytest.raises(ks.UpgradeFailed) as e:
        ks.WsPortForward.open(env.pf_url(env.pod_net[0], [ECHO_PORT]), [ECHO_PORT], protocol="portforward.k8s.io")
    assert e.value.response.status == 403


# ---- tokens ---------------------------------------------------------------------------------------

def test_unknown_token_is_404(env):
    base = env.exec_url(env.main, ["true"]).rsplit("/", 1)[0]
    assert ks.request(base + "/nosuchtoken").status == 404
    with pytest.raises(ks.UpgradeFailed) as e:
        ks.SpdyConn.connect(base + "/nosuchtoken", [SPDY_V4])
    assert e.value.response.status == 404


def test_token_is_single_use(env):
    url = env.exec_url(env.main, ["true"])
    ks.RemoteCommand.open(url, "spdy", SPDY_V4).wait(30)
    for transport in ("spdy", "ws"):
        with pytest.raises(ks.UpgradeFailed) as e:
            ks.RemoteCommand.open(url, transport, SPDY_V4)
        assert e.value.response.status == 404


def test_token_of_another_kind_is_404_and_spent(env):
    """containerd consumes the token before it checks its kind."""
    url = env.exec_url(env.main, ["true"])
    assert ks.request(url.replace("/exec/", "/attach/")).status == 404
    with pytest.raises(ks.UpgradeFailed) as e:
        ks.SpdyConn.connect(url, [SPDY_V4])
    assert e.value.response.status == 404


# ---- bad input ------------------------------------------------------------------------------------

def test_non_upgrade_request_is_400(env):
    r = ks.request(env.exec_url(env.main, ["true"]))
    assert r.status == 400


def test_oversized_header(env):
    """Go's server answers 431 past its 1 MiB header limit; cric's head limit is smaller:
    431 or 400, and the connection ends."""
    url = env.exec_url(env.main, ["true"])
    host, port, target = ks.split_url(url)
    head = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nX-Big: %s\r\n\r\n" % (target, host, port, "x" * (2 * MiB))).encode()
    out = ks.send_raw(url, head, timeout=20)
    assert re.match(rb"^HTTP/1\.1 (431|400) ", out), out[:200]


def test_garbage_request_is_400(env):
    out = ks.send_raw(env.exec_url(env.main, ["true"]), b"\x16\x03\x01\x02\x00 not http at all\r\n\r\n", timeout=10)
    assert out.startswith(b"HTTP/1.1 400 "), out[:200]


def test_spdy_garbage_after_upgrade_ends_the_connection(env):
    """An unparsable frame right after the 101 ends the session within seconds
    (containerd keeps the socket open for good), and the server goes on serving."""
    conn = ks.SpdyConn.connect(env.exec_url(env.main, ["sleep", "1000"]), [SPDY_V4])
    conn.send_raw(b"\xff" * 64)
    conn.wait_closed(10)
    conn.close()
    assert spdy_exec(env, ["echo", "alive"]).wait(30).stdout == b"alive\n"


def test_ws_garbage_after_upgrade_ends_the_connection(env):
    s = ws_exec(env, ["sleep", "1000"])
    s.conn.send_raw(b"\xff" * 32)
    s.chans.wait_closed(10)
    assert ws_exec(env, ["echo", "alive"]).wait(30).stdout == b"alive\n"


def test_truncated_frame_then_close(env):
    """A DATA frame cut short, then the client closes: the server ends the session and
    its process (containerd closes the connection but leaves the process)."""
    marker = "truncated-" + uuid.uuid4().hex[:8]
    s = spdy_exec(env, ["sh", "-c", "echo started; while :; do sleep 1; done # " + marker], stdin=True)
    s.wait_output(b"started")
    s.conn.send_raw(ks.spdy_data(s.streams["stdin"].id, b"x" * 4096)[:100])
    s.conn.wire.shutdown_write()
    try:
        s.conn.wait_closed(20)
        wait_for(lambda: not procs_with(marker), 20, "the exec'd process to go")
    finally:
        s.close()
        kill_leftovers(marker)


@pytest.mark.parametrize("transport", ["spdy", "ws"])
def test_vanished_client_ends_the_process(env, transport):
    """The client resets its TCP connection mid-exec: the exec'd process goes (seen from
    the host's /proc). containerd leaves it running."""
    marker = "vanish-%s-%s" % (transport, uuid.uuid4().hex[:8])
    url = env.exec_url(env.main, ["sh", "-c", "echo started; while :; do sleep 1; done # " + marker])
    s = ks.RemoteCommand.open(url, transport, SPDY_V4)
    s.wait_output(b"started")
    assert procs_with(marker)
    s.abort()
    try:
        wait_for(lambda: not procs_with(marker), 30, "the exec'd process to go")
    finally:
        kill_leftovers(marker)


def test_slow_client_keeps_memory_bounded(env):
    """A client that never reads while the process writes 64 MiB: the writer blocks and
    cricd's RSS stays bounded (containerd: unchanged)."""
    pid = env.d.proc.pid
    before = rss_kib(pid)
    marker = "slow-" + uuid.uuid4().hex[:8]  # on the shell: busybox dd rewrites its own argv
    url = env.exec_url(env.main, ["sh", "-c", "dd if=/dev/zero bs=65536 count=1024; : " + marker], stderr=False)
    conn = ks.SpdyConn.connect(url, [SPDY_V4], read=False)
    conn.open_stream({"streamtype": "error"})
    conn.open_stream({"streamtype": "stdout"})
    wait_for(lambda: shells_with(marker), 20, "the writer to start")
    last = {}

    def stalled():
        shells = shells_with(marker)
        if not shells:
            return "gone"  # it wrote everything: cricd buffered it (the RSS check tells)
        try:
            with open("/proc/%d/task/%d/children" % (shells[0], shells[0])) as f:
                dd = int(f.read().split()[0])
            with open("/proc/%d/io" % dd) as f:
                wchar = next(int(line.split()[1]) for line in f if line.startswith("wchar"))
        except (OSError, IndexError, ValueError):
            return False
        blocked = last.get("w") == wchar
        last["w"] = wchar
        return "blocked" if blocked else False
    try:
        wait_for(stalled, 60, "dd to block on a full pipe (or end)", interval=1.0)
        grown = rss_kib(pid) - before
    finally:
        conn.wire.abort()
        kill_leftovers(marker)
    assert grown < 32 * 1024, "cricd grew by %d KiB for a client that does not read" % grown


# ---- python3-kubernetes' WebSocket client ---------------------------------------------------------

@pytest.fixture
def kubernetes():
    """Debian's python3-kubernetes stream client (scripts/deps.sh test installs it)."""
    return pytest.importorskip("kubernetes.stream.ws_client", reason="python3-kubernetes is not installed")


def kube_client(kubernetes, url, protocol):
    from kubernetes.client import Configuration
    return kubernetes.WSClient(Configuration(), kubernetes.get_websocket_url(url),
                               {"sec-websocket-protocol": protocol}, capture_all=True)


@pytest.mark.parametrize("protocol", ["channel.k8s.io", "v4.channel.k8s.io"])
def test_kubernetes_ws_client_exec(env, kubernetes, protocol):
    c = kube_client(kubernetes, env.exec_url(env.main, OUT_ERR_3), protocol)
    c.run_forever(timeout=30)
    assert not c.is_open()
    assert c.read_stdout() == "out\n" and c.read_stderr() == "err\n"
    err = c.read_channel(ks.ERROR)
    if protocol.startswith("v4"):
        c._channels[ks.ERROR] = err
        assert c.returncode == 3
    else:
        assert err.startswith("command terminated with non-zero exit code: ")


def test_kubernetes_ws_client_stdin(env, kubernetes):
    c = kube_client(kubernetes, env.exec_url(env.main, ["head", "-c", "4"], stdin=True), "channel.k8s.io")
    c.write_stdin("abcd")
    c.run_forever(timeout=30)
    assert c.read_stdout() == "abcd"


def test_kubernetes_port_forward(env, kubernetes):
    from kubernetes.client import Configuration
    url = kubernetes.get_websocket_url(env.pf_url(env.pod_net[0], [ECHO_PORT]), [("port", str(ECHO_PORT))])
    ws = kubernetes.create_websocket(Configuration(), url, {"sec-websocket-protocol": "v4.channel.k8s.io"})
    pf = kubernetes.PortForward(ws, [ECHO_PORT])
    sk = pf.socket(ECHO_PORT)
    sk.settimeout(20)
    sk.sendall(b"via-kubernetes")
    got = b""
    while len(got) < len(b"via-kubernetes"):
        chunk = sk.recv(100)
        if not chunk:
            break
        got += chunk
    pf.close()
    assert got == b"via-kubernetes"
