"""The streaming server's settings: TLS (stream_enable_tls: https URLs, client
certificates when stream_tls_ca is set, certificate files read again when they change)
and stream_idle_timeout."""
import json
import os
import shutil
import ssl
import subprocess

import pytest

import cric
from cric import pb
from fixtures import k8s_stream as ks
from fixtures.pki import Pki, _openssl
from fixtures.procs import procs_with
from fixtures.wait import wait_for
from test_streaming import Env, _daemon_list


def client_cert(pki, name):
    """<pki>/<name>.key and .crt: a client certificate the test CA signed."""
    with open(os.path.join(pki.dir, name + ".ext"), "w") as f:
        f.write("basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-keyout", name + ".key",
             "-out", name + ".csr", cwd=pki.dir)
    _openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "1", "-sha256", "-extfile", name + ".ext", "-out", name + ".crt", cwd=pki.dir)
    return os.path.join(pki.dir, name + ".crt"), os.path.join(pki.dir, name + ".key")


def context(pki, cert=None):
    ctx = ssl.create_default_context(cafile=pki.ca_file)
    if cert:
        ctx.load_cert_chain(*cert)
    return ctx


def start(make, registry, tmp, tls_lines):
    """A started daemon (made by make: cric.Daemon or the make_daemon fixture) with the
    busybox image and a running container in a pod."""
    conf = tmp / "registries.conf"
    conf.write_text('[[registry]]\nlocation = "%s"\ninsecure = true\n' % registry.host)
    d = make(config_text='[cric.image]\npause_command = "%s"\n[cric.api]\n%s\n'
                    % (os.path.join(cric.BUILD, "cric-pause"), tls_lines),
                    extra_args=["--registries-conf", str(conf)])
    d.start()
    d.image.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=registry.reference("busybox"))), timeout=120)
    e = Env(d, registry)
    e.ctr = e.container(e.pod("tls"), "main", ["sleep", "100000"])
    return d, e


@pytest.fixture
def tls_client():
    yield ks
    ks.tls_context = None


@pytest.fixture(scope="module")
def served(registry, tmp_path_factory):
    """A daemon with TLS and a client CA; its files in a directory the tests may rewrite."""
    tmp = tmp_path_factory.mktemp("streaming-tls")
    pki = Pki(str(tmp / "pki"))
    files = tmp / "serving"
    files.mkdir()
    cert, key = str(files / "tls.crt"), str(files / "tls.key")
    shutil.copy(pki.cert, cert)
    shutil.copy(pki.key, key)
    d, e = start(cric.Daemon, registry, tmp, 'stream_enable_tls = true\nstream_tls_cert = "%s"\nstream_tls_key = "%s"\n'
                 'stream_tls_ca = "%s"\n' % (cert, key, pki.ca_file))
    daemons = _daemon_list()
    if daemons is not None:
        daemons.append(d)  # a failed test shows its log
    yield d, e, pki, cert, key
    if daemons is not None:
        daemons.remove(d)
    reports = d.cleanup()
    assert not reports, "sanitizer reports in the cricd log: %s" % reports


def exec_out(e, cmd):
    s = ks.RemoteCommand.open(e.exec_url(e.ctr, cmd), "ws", "v5.channel.k8s.io")
    r = s.wait(30)
    return r.stdout, r.exit_code


def test_urls_are_https_and_exec_works_with_a_client_certificate(served, tls_client):
    d, e, pki, _, _ = served
    url = e.exec_url(e.ctr, ["true"])
    assert url.startswith("https://127.0.0.1:")
    ks.tls_context = context(pki, client_cert(pki, "kubelet"))
    assert exec_out(e, ["sh", "-c", "echo over tls; exit 5"]) == (b"over tls\n", 5)
    s = ks.RemoteCommand.open(e.exec_url(e.ctr, ["echo", "spdy"]), "spdy", "v4.channel.k8s.io")
    assert s.wait(30).stdout == b"spdy\n"


def test_a_client_without_certificate_is_refused(served, tls_client):
    d, e, pki, _, _ = served
    url = e.exec_url(e.ctr, ["true"])
    ks.tls_context = context(pki)
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        ks.RemoteCommand.open(url, "ws", "v5.channel.k8s.io").wait(10)
    wait_for(lambda: "client certificate refused" in d.read_log() or "TLS handshake" in d.read_log(), 10,
             "cricd to log the refused client")


def test_a_plain_http_client_gets_nothing(served, tls_client):
    d, e, _, _, _ = served
    url = e.exec_url(e.ctr, ["true"]).replace("https://", "http://")
    with pytest.raises((ks.ProtocolError, ks.UpgradeFailed, ConnectionError, OSError, ValueError)):
        ks.RemoteCommand.open(url, "ws", "v5.channel.k8s.io").wait(10)


def test_certificate_files_are_read_again_when_they_change(served, tls_client, tmp_path):
    d, e, pki, cert, key = served
    ks.tls_context = context(pki, client_cert(pki, "kubelet2"))
    # a new server certificate from the same CA, with its own serial, written in place
    other = Pki(str(tmp_path / "pki2"))
    subprocess.run(["openssl", "x509", "-req", "-in", os.path.join(other.dir, "server.csr"), "-CA", pki.ca_file,
                    "-CAkey", pki.ca_key, "-set_serial", "4242", "-days", "1", "-sha256", "-extfile",
                    os.path.join(other.dir, "server.ext"), "-out", str(tmp_path / "new.crt")],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.copy(other.key, key + ".new")
    shutil.copy(str(tmp_path / "new.crt"), cert + ".new")
    os.rename(key + ".new", key)
    os.rename(cert + ".new", cert)

    def serial():
        url = e.exec_url(e.ctr, ["true"])
        host, port, _ = ks.split_url(url)
        with ks._connect(host, port, 10) as s:
            return int(ssl.DER_cert_to_PEM_cert(s.getpeercert(True)) and s.getpeercert()["serialNumber"], 16)
    wait_for(lambda: serial() == 4242, 20, "the new certificate to be served")
    assert exec_out(e, ["echo", "still"]) == (b"still\n", 0)


def test_tls_without_certificate_does_not_start(make_daemon):
    d = make_daemon(config_text="[cric.api]\nstream_enable_tls = true\n")
    with pytest.raises(RuntimeError) as err:
        d.start()
    assert "stream_enable_tls needs stream_tls_cert and stream_tls_key" in str(err.value)


def test_idle_sessions_end_after_stream_idle_timeout(make_daemon, registry, tmp_path):
    """A session without traffic for stream_idle_timeout is closed and its process ends;
    one with traffic lives on."""
    d, e = start(make_daemon, registry, tmp_path, 'stream_idle_timeout = "2s"\n')
    marker = "idle-%d" % os.getpid()
    s = ks.RemoteCommand.open(e.exec_url(e.ctr, ["sh", "-c", "while :; do sleep 1; done # " + marker]), "spdy",
                              "v4.channel.k8s.io")
    wait_for(lambda: procs_with(marker), 20, "the exec'd process to run")
    s.conn.wait_closed(20)
    wait_for(lambda: not procs_with(marker), 20, "the idle session's process to end")
    assert "without traffic" in d.read_log()
    # output every 0.2 s for 3 s: longer than the timeout, never idle that long
    busy = ks.RemoteCommand.open(e.exec_url(e.ctr, ["sh", "-c", "i=0; while [ $i -lt 15 ]; do i=$((i+1)); "
                                                    "echo $i; usleep 200000; done"]), "spdy", "v4.channel.k8s.io")
    r = busy.wait(30)
    assert r.stdout.split() == [str(i).encode() for i in range(1, 16)] and r.exit_code == 0


def zombies_in_containers(parent):
    """Zombie children of parent that live in a PID namespace below the host's."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/status" % name) as f:
                fields = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid") == str(parent) and fields.get("State", "").startswith("Z") \
                and len(fields.get("NSpid", "").split()) > 1:
            found.append((int(name), fields.get("Name")))
    return found


@pytest.mark.parametrize("handler", ["crun", "runc"])
def test_exec_through_each_oci_runtime(make_daemon, registry, tmp_path, handler):
    """Exec with pipes, with a terminal (the runtime's console socket) and of a missing
    binary, through crun and through runc."""
    d, e = start(make_daemon, registry, tmp_path, "")
    ns = pb.NamespaceOption(network=pb.NODE, pid=pb.CONTAINER, ipc=pb.POD)
    cfg = pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name="rt", namespace="streaming", uid="rt-" + handler),
        log_directory=str(tmp_path / "logs"),
        linux=pb.LinuxPodSandboxConfig(security_context=pb.LinuxSandboxSecurityContext(namespace_options=ns)))
    os.makedirs(cfg.log_directory, exist_ok=True)
    pod = e.rt.RunPodSandbox(pb.RunPodSandboxRequest(config=cfg, runtime_handler=handler), timeout=60).pod_sandbox_id
    cid = e.container((pod, cfg), "main", ["sleep", "100000"])
    s = ks.RemoteCommand.open(e.exec_url(cid, ["sh", "-c", "echo out; echo err >&2; exit 3"]), "spdy",
                              "v4.channel.k8s.io")
    r = s.wait(30)
    assert (r.stdout, r.stderr, r.exit_code) == (b"out\n", b"err\n", 3)
    t = ks.RemoteCommand.open(e.exec_url(cid, ["sh"], stdin=True, stderr=False, tty=True), "ws",
                              "v5.channel.k8s.io", stdin=True, stderr=False, tty=True)
    t.resize(91, 17)
    t.write_stdin(b"busybox stty size; exit 4\n")
    r = t.wait(30)
    assert b"17 91" in r.stdout and r.exit_code == 4, r
    m = ks.RemoteCommand.open(e.exec_url(cid, ["/no/such/binary"]), "spdy", "v4.channel.k8s.io")
    r = m.wait(30)
    status = json.loads(r.error)  # no exit code: the command never ran
    assert r.exit_code is None and status["reason"] == "InternalError", r
    assert "/no/such/binary" in status["message"]
    # what the runtime left of the failed exec is gone: no zombie of cricd's stays in the
    # container's PID namespace (it would keep the container from ever stopping)
    assert zombies_in_containers(d.proc.pid) == []
    e.rt.StopContainer(pb.StopContainerRequest(container_id=cid, timeout=0), timeout=60)
    assert e.state(cid) == pb.CONTAINER_EXITED
