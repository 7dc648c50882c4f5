"""User namespaces (hostUsers: false) over the real socket with real crun, as the kubelet
asks for them: the pod's userns_options with UID/GID mappings, the containers' root file
system shown with the mapped owners through idmapped layers (no copy, no chown), a volume
the kubelet marks idmapped (uidMappings/gidMappings on the Mount) that the pod's root can
write, file capabilities that keep working, /proc and /sys mounted for the namespace, and
PodSandboxStatus reporting the mappings. Checked from the host: the container's root
really is the unprivileged host UID. Uses the helpers of test_containers. Needs root."""
import os
import shutil
import struct
import uuid

import pytest

import cric
from cric import pb
from fixtures import images
from test_containers import Ctx, Env, Pod, build_image, running_env

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run containers"),
    pytest.mark.usefixtures("registry"),
]

HOST_BASE = 3000000  # well above anything this host uses
LENGTH = 65536
CAP_NET_BIND_SERVICE = 10


def file_caps(cap):
    """security.capability, revision 2 (no root id), effective, permitted = cap."""
    return struct.pack("<IIIII", 0x02000000 | 1, 1 << cap, 0, 0, 0)


def build_caps_image(root):
    """busybox plus /caps/grep: a copy of it with a file capability (busybox runs the
    applet its name says, in the same process)."""
    bb = images.busybox_layer()
    with open(shutil.which("busybox"), "rb") as f:
        data = f.read()
    capl = images.layer([images.d("caps"), images.f("caps/grep", data, mode=0o755,
                                  xattrs={"security.capability": file_caps(CAP_NET_BIND_SERVICE)})])
    return build_image(root, "userns-caps", [bb, capl])


@pytest.fixture(scope="module")
def env(registry, tmp_path_factory):
    e = Env(registry, str(tmp_path_factory.mktemp("userns")))
    facts = build_caps_image(e.workdir)
    registry.client().push_layout(facts.layout, facts.repo)
    e.caps_image = "%s/%s:latest" % (registry.host, facts.repo)
    gen = running_env(e)
    env_ = next(gen)
    env_.d.image.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=e.caps_image)), timeout=120)
    yield env_
    for _ in gen:
        pass


def mapping(base):
    return [pb.IDMapping(container_id=0, host_id=base, length=LENGTH)]


def userns_options(base):
    return pb.UserNamespace(mode=pb.POD, uids=mapping(base), gids=mapping(base))


class UsernsCtx(Ctx):
    """Pods with a user namespace of their own, as the kubelet makes them."""

    def __init__(self, env, tmp, base):
        super().__init__(env, "crun", tmp)
        self.base = base

    def userns_pod(self, name="upod"):
        uid = "%s-%s" % (self.tag, uuid.uuid4().hex[:6])
        log_dir = os.path.join(self.tmp, "pods", uid)
        os.makedirs(log_dir, exist_ok=True)
        ns = pb.NamespaceOption(network=pb.POD, pid=pb.CONTAINER, ipc=pb.POD, userns_options=userns_options(self.base))
        cfg = pb.PodSandboxConfig(
            metadata=pb.PodSandboxMetadata(name=name, namespace="ns-" + self.tag, uid=uid, attempt=0),
            hostname=name + "-host", log_directory=log_dir, labels={"test": self.tag},
            linux=pb.LinuxPodSandboxConfig(security_context=pb.LinuxSandboxSecurityContext(namespace_options=ns)))
        pod_id = self.d.runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=cfg, runtime_handler=self.handler),
                                              timeout=60).pod_sandbox_id
        p = Pod(self, pod_id, cfg, log_dir)
        self.pods.append(p)
        return p


@pytest.fixture
def ctx(env, tmp_path):
    c = UsernsCtx(env, str(tmp_path), HOST_BASE)
    yield c
    c.cleanup()


def host_ids(pid):
    with open("/proc/%d/status" % pid) as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    return [int(x) for x in fields["Uid"].split()], [int(x) for x in fields["Gid"].split()]


def idmapped_volume(host_dir, path, base):
    return pb.Mount(container_path=path, host_path=str(host_dir), uidMappings=mapping(base),
                    gidMappings=mapping(base))


def test_pod_root_is_an_unprivileged_host_user(ctx, env):
    pod = ctx.userns_pod()
    c = ctx.sleeper(pod, "root")
    uids, gids = host_ids(c.pid())
    assert uids == [HOST_BASE] * 4 and gids == [HOST_BASE] * 4, (uids, gids)
    assert c.sh("id -u; id -g").split() == ["0", "0"]
    assert c.sh("cat /proc/self/uid_map").split() == ["0", str(HOST_BASE), str(LENGTH)]
    # the layers show root-owned through idmapped mounts; what the container writes
    # lands on the host as the mapped user (overlay: the upper dir is not idmapped), or
    # (btrfs: the whole snapshot is one idmapped mount) with the unmapped owner, 0
    assert c.sh("stat -c %u:%g /bin/busybox /etc/passwd").split() == ["0:0", "0:0"]
    c.sh("echo hi > /written && mkdir /newdir")
    upper = ctx.d.writable_layer(c.id)
    owner = 0 if ctx.d.storage_driver() == "btrfs" else HOST_BASE
    st = os.stat(os.path.join(upper, "written"))
    assert (st.st_uid, st.st_gid) == (owner, owner)
    assert os.stat(os.path.join(upper, "newdir")).st_uid == owner
    # /proc and /sys of its own namespaces
    assert "eth0" in c.sh("ls /sys/class/net") or "lo" in c.sh("ls /sys/class/net")
    assert c.sh("cat /proc/1/cmdline | tr '\\0' ' '").startswith("sleep")


def test_idmapped_volume_is_writable_and_host_owned(ctx, env, tmp_path):
    vol = tmp_path / "vol"
    vol.mkdir()
    (vol / "from-host").write_text("host\n")
    os.chown(vol, 0, 0)
    pod = ctx.userns_pod()
    c = ctx.sleeper(pod, "vol", mounts=[idmapped_volume(vol, "/data", HOST_BASE)])
    assert c.sh("stat -c %u:%g /data /data/from-host").split() == ["0:0", "0:0"]
    c.sh("echo from-pod > /data/new")
    st = os.stat(vol / "new")
    assert (st.st_uid, st.st_gid) == (0, 0)  # the pod's root writes as the host's root would
    assert (vol / "new").read_text() == "from-pod\n"
#the same directory bound without mappings : host root is nobody inside, not writable
    c2 = ctx.sleeper(pod, "plain", mounts=[pb.Mount(container_path="/data", host_path=str(vol))])
    assert c2.sh("stat -c %u /data").strip() == "65534"
    assert c2.exec(["touch", "/data/denied"]).exit_code != 0


def test_file_capabilities_keep_working(ctx, env):
    pod = ctx.userns_pod()
    sec = pb.LinuxContainerSecurityContext(run_as_user=pb.Int64Value(value=1000))
    c = ctx.sleeper(pod, "caps", image=env.caps_image, security=sec)
    plain = int(c.sh("grep CapEff /proc/self/status").split()[1], 16)
    with_caps = int(c.sh("/caps/grep CapEff /proc/self/status").split()[1], 16)
    assert plain == 0, hex(plain)
    assert with_caps == 1 << CAP_NET_BIND_SERVICE, hex(with_caps)


def test_status_reports_the_mappings(ctx, env):
    pod = ctx.userns_pod()
    st = ctx.d.runtime.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=pod.id)).status
    u = st.linux.namespaces.options.userns_options
    assert u.mode == pb.POD
    assert [(m.container_id, m.host_id, m.length) for m in u.uids] == [(0, HOST_BASE, LENGTH)]
    assert [(m.container_id, m.host_id, m.length) for m in u.gids] == [(0, HOST_BASE, LENGTH)]
    handlers = ctx.d.runtime.Status(pb.StatusRequest()).runtime_handlers
    assert handlers and all(h.features.user_namespaces for h in handlers)
    pins = os.path.join(ctx.d.runroot, "ns", "user", pod.id)
    assert os.path.exists(pins)
    pod.stop()
    pod.remove()
    ctx.pods.remove(pod)
    assert not os.path.exists(pins)


def test_bad_mappings_are_refused(ctx, env):
    ns = pb.NamespaceOption(network=pb.POD, ipc=pb.POD, pid=pb.CONTAINER,
                            userns_options=pb.UserNamespace(mode=pb.POD, uids=[pb.IDMapping(container_id=1, host_id=HOST_BASE, length=10)],
                                                            gids=mapping(HOST_BASE)))
    cfg = pb.PodSandboxConfig(metadata=pb.PodSandboxMetadata(name="bad", namespace="ns-" + ctx.tag, uid="bad-" + ctx.tag),
                              linux=pb.LinuxPodSandboxConfig(security_context=pb.LinuxSandboxSecurityContext(namespace_options=ns)))
    e = cric.rpc_error(ctx.d.runtime.RunPodSandbox, pb.RunPodSandboxRequest(config=cfg), timeout=60)
    assert e.code().name == "INVALID_ARGUMENT" and "must map user and group 0" in e.details(), e
