"""The Prometheus endpoint (--enable-metrics): GET /metrics on TCP, a unix socket and
HTTPS, read with the Prometheus client's own parser; the counts follow the RPCs, pulls and
CNI calls the tests make, the gauges follow ListContainers and /proc."""
import http.client
import os
import socket
import ssl
import subprocess

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

import cric
import cricctl_util
from cric import pb, wait_for
from fixtures.pki import Pki

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class Endpoint:
    """Where a daemon serves its metrics."""

    def __init__(self, port=None, socket_path=None, tls_ca=None):
        self.port, self.socket_path, self.tls_ca = port, socket_path, tls_ca

    def connection(self, timeout=10):
        if self.tls_ca:
            ctx = ssl.create_default_context(cafile=self.tls_ca)
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout, context=ctx)
        if self.port:
            return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        return UnixHTTPConnection(self.socket_path, timeout=timeout)


def get(conn, method="GET", path="/metrics", headers=None):
    conn.request(method, path, headers=headers or {})
    r = conn.getresponse()
    return r, r.read()


def scrape(ep):
    """{(sample name, frozenset of labels): value} of one scrape."""
    conn = ep.connection()
    try:
        r, body = get(conn)
    finally:
        conn.close()
    assert r.status == 200, body
    assert r.getheader("Content-Type") == CONTENT_TYPE
    samples = {}
    for fam in text_string_to_metric_families(body.decode()):
        for s in fam.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0)


def ops(samples, operation, code):
    return value(samples, "cric_operations_total", operation=operation, code=code)


def metrics_args(port=None, socket_path=None):
    args = ["--enable-metrics"]
    if port:
        args += ["--metrics-port", str(port)]
    if socket_path:
        args += ["--metrics-socket", socket_path]
    return args


@pytest.fixture(scope="module")
def env(registry, tmp_path_factory):
    """A daemon that pulls from the fixture registry and serves metrics on a free TCP port
    and on a unix socket."""
    tmp = tmp_path_factory.mktemp("prometheus")
    conf = tmp / "registries.conf"
    conf.write_text('[[registry]]\nlocation = "%s"\ninsecure = true\n' % registry.host)
    port, sock = free_port(), str(tmp / "metrics.sock")
    d = cric.Daemon(extra_args=["--registries-conf", str(conf)] + metrics_args(port, sock)).start()
    try:
        d.tcp, d.unix = Endpoint(port=port), Endpoint(socket_path=sock)
        yield d
    finally:
        reports = d.cleanup()
    assert not reports, reports
    assert not os.path.exists(sock), "the metrics socket outlived the daemon"


def listening_tcp_ports(pid):
    """The TCP ports process pid listens on."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if cols[3] == "0A" and cols[9] in inodes:
                    ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    return ports


def test_disabled_by_default(make_daemon):
    port = free_port()
    d = make_daemon(extra_args=["--metrics-port", str(port)]).start()
    ports = listening_tcp_ports(d.proc.pid)
    assert ports, "the streaming server should listen"
    assert port not in ports and 9090 not in ports
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    out = subprocess.run([cric.CRICD, "--config", d.config, "--config-dir", d.config_dir, "config"],
                              capture_output=True, text=True, check=True).stdout
    assert "[cric.metrics]" in out and "enable_metrics = false" in out


def test_rpc_counts_and_latency(env):
    before = scrape(env.tcp)
    for _ in range(3):
        env.runtime.Version(pb.VersionRequest(), timeout=10)
    for _ in range(2):
        with pytest.raises(grpc.RpcError) as e:
            env.runtime.ContainerStatus(pb.ContainerStatusRequest(container_id="f" * 64), timeout=10)
        assert e.value.code() == grpc.StatusCode.NOT_FOUND
    after = scrape(env.tcp)
    assert ops(after, "Version", "OK") - ops(before, "Version", "OK") == 3
    assert ops(after, "ContainerStatus", "NOT_FOUND") - ops(before, "ContainerStatus", "NOT_FOUND") == 2
    errors = "cric_operations_errors_total"
    assert value(after, errors, operation="ContainerStatus", code="NOT_FOUND") == 2
    assert value(after, errors, operation="Version", code="OK") == 0
    # every counted call has its latency observed, in cumulative buckets ending at +Inf
    for (name, labels), n in after.items():
        if name != "cric_operations_total":
            continue
        lab = dict(labels)
        assert value(after, "cric_operations_latency_seconds_count", **lab) == n
        buckets = sorted((float(dict(k[1])["le"]), v) for k, v in after.items()
                         if k[0] == "cric_operations_latency_seconds_bucket" and
                         {x: y for x, y in k[1] if x != "le"} == lab)
        counts = [v for _, v in buckets]
        assert counts == sorted(counts) and buckets[-1] == (float("inf"), n)
        assert value(after, "cric_operations_latency_seconds_sum", **lab) > 0


def test_image_pulls(env, registry):
    before = scrape(env.tcp)
    ref = registry.reference("busybox")
    env.image.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=ref)), timeout=120)
    with pytest.raises(grpc.RpcError) as e:
        env.image.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=registry.host + "/no/such:image")),
                            timeout=120)
    assert e.value.code() == grpc.StatusCode.NOT_FOUND
    after = scrape(env.tcp)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)
    assert delta("cric_image_pulls_success_total") == 1
    assert delta("cric_image_pulls_failure_total", error="not_found") == 1
    assert delta("cric_image_pulls_bytes_total") > 0  # the first pull of busybox here
    assert delta("cric_image_pulls_duration_seconds_count", outcome="success") == 1
    assert delta("cric_image_pulls_duration_seconds_count", outcome="failure") == 1
    assert delta("cric_operations_total", operation="PullImage", code="OK") == 1
    assert delta("cric_operations_total", operation="PullImage", code="NOT_FOUND") == 1


STATES = {pb.CONTAINER_CREATED: "created", pb.CONTAINER_RUNNING: "running", pb.CONTAINER_EXITED: "exited"}


def by_state(d):
    counts = {s: 0 for s in STATES.values()}
    for c in d.runtime.ListContainers(pb.ListContainersRequest(), timeout=10).containers:
        counts[STATES[c.state]] += 1
    return counts


def assert_containers_match(d, samples):
    for state, n in by_state(d).items():
        assert value(samples, "cric_containers", state=state) == n, state


def cni(samples, op):
    return value(samples, "cric_cni_operations_latency_seconds_count", operation=op, network="cric-test-lo",
                 plugin="loopback", outcome="success")


def test_pod_containers_and_cni(env, registry, tmp_path):
    image = registry.reference("busybox")
    env.image.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=image)), timeout=120)
    before = scrape(env.tcp)
    pod_id, pod_cfg = cricctl_util.new_pod(env, tmp_path, "prom", host_network=False)
    try:
        cricctl_util.new_container(env, tmp_path, pod_id, pod_cfg, "running", image, pod="prom")
        cricctl_util.new_container(env, tmp_path, pod_id, pod_cfg, "created", image, pod="prom", is_started=False)
        s = scrape(env.tcp)
        assert cni(s, "add") - cni(before, "add") == 1
        assert_containers_match(env, s)
        assert value(s, "cric_containers", state="running") >= 1
        assert value(s, "cric_pods", state="ready") >= 1
        # one monitor per created or running container
        assert value(s, "cric_monitor_processes") == (value(s, "cric_containers", state="created") +
                                                      value(s, "cric_containers", state="running"))
        cricctl_util.ctl(env, "stopp", pod_id)
        # the janitor detaches the network after the stop
        wait_for(lambda: cni(scrape(env.tcp), "del") - cni(before, "del") == 1, what="a CNI DEL counted")
        s = scrape(env.tcp)
        assert_containers_match(env, s)
        assert value(s, "cric_containers", state="running") == 0
        assert value(s, "cric_pods", state="notready") >= 1
    finally:
        cricctl_util.ctl(env, "rmp", "-f", pod_id)
    assert_containers_match(env, scrape(env.tcp))


def test_process_metrics(env):
    pid = env.proc.pid
    s = scrape(env.tcp)
    fds = len(os.listdir("/proc/%d/fd" % pid))
    # the scrape held a connection (and the fd directory) open that are closed now
    assert abs(value(s, "process_open_fds") - fds) <= 3
    with open("/proc/%d/limits" % pid) as f:
        soft = next(int(line.split()[3]) for line in f if line.startswith("Max open files"))
    assert value(s, "process_max_fds") == soft
    assert value(s, "process_resident_memory_bytes") > 1 << 20
    assert value(s, "process_virtual_memory_bytes") >= value(s, "process_resident_memory_bytes")
    assert value(s, "process_cpu_seconds_total") > 0
    assert abs(value(s, "cric_threads") - len(os.listdir("/proc/%d/task" % pid))) <= 3
    with open("/proc/%d/stat" % pid) as f:
        start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/stat") as f:
        btime = next(int(line.split()[1]) for line in f if line.startswith("btime"))
    assert abs(value(s, "process_start_time_seconds") - (btime + start_ticks / os.sysconf("SC_CLK_TCK"))) < 1


def test_unix_socket(env):
    before = scrape(env.unix)
    env.runtime.Version(pb.VersionRequest(), timeout=10)
    assert ops(scrape(env.unix), "Version", "OK") - ops(before, "Version", "OK") == 1
    assert os.stat(env.unix.socket_path).st_mode & 0o777 == 0o660


def test_paths_methods_and_keep_alive(env):
    conn = env.tcp.connection()
    try:
        r, body = get(conn, path="/nope")
        assert r.status == 404
        r, body = get(conn, path="/metrics/")
        assert r.status == 404
        r, body = get(conn, method="POST")
        assert r.status == 405 and r.getheader("Allow") == "GET, HEAD"
        r, body = get(conn, method="HEAD")
        assert r.status == 200 and body == b"" and int(r.getheader("Content-Length")) > 0
        r, body = get(conn, path="/metrics?x=1")  # all on one connection: kept alive
        assert r.status == 200 and b"# TYPE cric_operations_total counter" in body
        r, body = get(conn, headers={"Connection": "close"})
        assert r.status == 200 and r.getheader("Connection") == "close"
        assert conn.sock is None or conn.sock.recv(1) == b""
    finally:
        conn.close()


def raw(ep, data):
    """Sends data on a new connection and returns all the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", ep.port), timeout=20) as s:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk


def test_bad_and_oversized_requests(env):
    assert raw(env.tcp, b"NOT A REQUEST\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    big = b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * (64 * 1024) + b"\r\n\r\n"
    assert raw(env.tcp, big).startswith(b"HTTP/1.1 400 ")
    # HTTP/1.0 without keep-alive: one answer, then the server closes
    out = raw(env.tcp, b"GET /metrics HTTP/1.0\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200 ") and out.count(b"HTTP/1.1 ") == 1
    # two pipelined requests, the second asking to close
    out = raw(env.tcp, b"GET /x HTTP/1.1\r\nHost: a\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert out.count(b"HTTP/1.1 404 ") == 2


def test_silent_clients_do_not_block_a_scrape(env):
    silent = [socket.create_connection(("127.0.0.1", env.tcp.port), timeout=10) for _ in range(3)]
    partial = socket.create_connection(("127.0.0.1", env.tcp.port), timeout=10)
    partial.sendall(b"GET /metrics HTTP/1.1\r\nHost:")
    unix_silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix_silent.connect(env.unix.socket_path)
    try:
        conn = env.tcp.connection(timeout=5)
        r, body = get(conn)
        conn.close()
        assert r.status == 200
        assert scrape(env.unix)
        # the server gives up on the silent ones after its timeout: they see the end
        partial.settimeout(30)
        assert partial.recv(1) == b""
    finally:
        for s in silent + [partial, unix_silent]:
            s.close()


def test_tls(make_daemon, tmp_path):
    pki = Pki(str(tmp_path / "pki"))
    port = free_port()
    d = make_daemon(extra_args=metrics_args(port) + ["--metrics-cert", pki.cert, "--metrics-key", pki.key]).start()
    ep = Endpoint(port=port, tls_ca=pki.ca_file)
    before = scrape(ep)
    d.runtime.Version(pb.VersionRequest(), timeout=10)
    assert ops(scrape(ep), "Version", "OK") - ops(before, "Version", "OK") == 1
    # plain HTTP to the TLS port gets no metrics
    try:
        out = raw(ep, b"GET /metrics HTTP/1.1\r\n\r\n")
    except ConnectionResetError:
        out = b""
    assert b"cric_operations_total" not in out
    # a client that never starts the handshake does not hold up another
    silent = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        assert scrape(ep)
    finally:
        silent.close()


def test_socket_only_and_collectors(make_daemon, tmp_path):
    """metrics_host "" leaves only the socket; metrics_collectors picks what is served."""
    sock = str(tmp_path / "m.sock")
    d = make_daemon(extra_args=metrics_args(socket_path=sock) + [
        "--metrics-host", "", "--metrics-collectors", "operations_total",
        "--metrics-collectors", "process_open_fds"]).start()
    assert 9090 not in listening_tcp_ports(d.proc.pid)
    wait_for(lambda: os.path.exists(sock), what="the metrics socket")
    d.runtime.Version(pb.VersionRequest(), timeout=10)
    s = scrape(Endpoint(socket_path=sock))
    assert {name for name, _ in s} == {"cric_operations_total", "process_open_fds"}
    assert ops(s, "Version", "OK") >= 1
