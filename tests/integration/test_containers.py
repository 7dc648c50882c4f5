"""Containers over the real socket, against real crun AND runc: CreateContainer,
StartContainer, StopContainer, RemoveContainer, ListContainers, ContainerStatus,
ReopenContainerLog, ExecSync, UpdateContainerResources, the stats calls, the security
context, mounts, devices and namespaces, and a kill -9 restart of cricd.

Each test asks for what the kubelet relies on. Images come from the fixture registry
(tests/fixtures): busybox, plus "ctr-config", built here, whose config has an
ENTRYPOINT, CMD, ENV, WORKDIR, USER and STOPSIGNAL. Needs root.
"""
import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid

import grpc
import pytest

import cric
from cric import pb, rpc_error, wait_for
from fixtures import images

RUNTIMES = ("crun", "runc")
MiB = 1 << 20
EXEC_OUTPUT_MAX = 16 * MiB  # ExecSyncResponse.stdout/stderr cap (CVE-2022-1708)
KUBELET_MAX_MSG = 16 * MiB  # the kubelet's gRPC client limit (maxMsgSize in its remote runtime client)
ZERO_ID = "0" * 64

# CRI-O's default capabilities (src/oci/spec_caps.c): CHOWN DAC_OVERRIDE FOWNER FSETID
# KILL SETGID SETUID SETPCAP NET_BIND_SERVICE.
CAP = {"CHOWN": 0, "DAC_OVERRIDE": 1, "FOWNER": 3, "FSETID": 4, "KILL": 5, "SETGID": 6, "SETUID": 7,
       "SETPCAP": 8, "NET_BIND_SERVICE": 10, "NET_ADMIN": 12, "NET_RAW": 13, "SYS_ADMIN": 21,
       "SYS_RESOURCE": 24}
DEFAULT_CAPS = {0, 1, 3, 4, 5, 6, 7, 8, 10}

# The kubelet's defaults for procMount: Default (what it always sends).
KUBELET_MASKED = ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                  "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
                  "/sys/firmware", "/sys/devices/virtual/powercap"]
KUBELET_READONLY = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

LOG_ENTRY = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)) "
                       r"(stdout|stderr) ([PF]) (.*)$", re.S)

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run containers"),
    pytest.mark.usefixtures("registry"),
]


# ---- small helpers ----------------------------------------------------------

def rpc_code(fn, *a, **kw):
    """Calls fn and returns the gRPC status code it failed with (fails when it succeeds)."""
    try:
        r = fn(*a, **kw)
    except grpc.RpcError as e:
        return e.code()
    raise AssertionError("expected an error, got %r" % (r,))


def proc_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def is_running(pid):
    return pid > 0 and proc_state(pid) not in (None, "Z", "X")


def proc_cmdline(pid):
    """argv of pid as a list ([] once it is gone)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().decode(errors="replace").split("\0")[:-1]
    except OSError:
        return []


def proc_start_time(pid):
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def status_field(text, field):
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError("no %s in %r" % (field, text))


def cap_bits(hexmask):
    v = int(hexmask, 16)
    return {i for i in range(64) if v >> i & 1}


def proc_caps(pid, field="CapBnd"):
    with open("/proc/%d/status" % pid) as f:
        return cap_bits(status_field(f.read(), field))


def ns_link(pid, kind):
    """The namespace link of pid ("self": this test process, which is in the host's)."""
    return os.readlink("/proc/%s/ns/%s" % (pid, kind))


def cgroup_mounts():
    """{controller: mount point} of the v1 hierarchies, "" for the cgroup2 mount."""
    mounts = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            fstype, _, superopts = right.split()[:3]
            mp = left.split()[4]
            if fstype == "cgroup":
                for o in superopts.split(","):
                    mounts.setdefault(o, mp)
            elif fstype == "cgroup2":
                mounts.setdefault("", mp)
    return mounts


def cgroup_dir(pid, controller):
    """The host directory of pid's cgroup in controller's v1 hierarchy."""
    mounts = cgroup_mounts()
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if controller in ctrls.split(",") and controller in mounts:
                return os.path.join(mounts[controller], path.lstrip("/"))
    raise AssertionError("pid %d has no %s cgroup" % (pid, controller))


def read_int(path):
    with open(path) as f:
        return int(f.read().strip())


def remove_cgroup_tree(rel):
    """rmdir every cgroup dir at and below rel in every hierarchy (deepest first)."""
    for mp in set(cgroup_mounts().values()):
        top = os.path.join(mp, rel.lstrip("/"))
        if not os.path.isdir(top):
            continue
        for root, dirs, _ in os.walk(top, topdown=False):
            for d in dirs:
                try:
                    os.rmdir(os.path.join(root, d))
                except OSError:
                    pass
        try:
            os.rmdir(top)
        except OSError:
            pass


def parse_log(path):
    """[(timestamp, stream, tag, content)] of a CRI log file; every entry must be well formed."""
    with open(path, "rb") as f:
        data = f.read()
    assert data == b"" or data.endswith(b"\n"), "log does not end with a newline: %r" % data[-200:]
    entries = []
    for raw in data.split(b"\n")[:-1]:
        text = raw.decode("utf-8", "replace")
        m = LOG_ENTRY.match(text)
        assert m, "not a CRI log entry: %r" % text
        entries.append(m.groups())
    return entries


def log_lines(entries, stream=None):
    """Full lines per stream: P entries joined with the F that ends them; a line still
    open at the end is returned as it is."""
    out, pending = [], {}
    for _, s, tag, text in entries:
        pending[s] = pending.get(s, "") + text
        if tag == "F":
            out.append((s, pending.pop(s)))
    out += list(pending.items())
    return [t for s, t in out if stream is None or s == stream]


def log_time_ns(ts):
    """RFC3339Nano -> ns since the epoch."""
    m = re.match(r"^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$", ts)
    base = datetime.datetime.fromisoformat(m.group(1) + ("+00:00" if m.group(3) == "Z" else m.group(3)))
    return int(base.timestamp()) * 10**9 + int((m.group(2) or "0").ljust(9, "0"))


def masked_file():
    """A file of the default masked paths that this kernel has (it has no /proc/kcore)."""
    for p in ("/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/latency_stats", "/proc/sched_debug"):
        if os.path.isfile(p):
            return p
    pytest.skip("none of the default masked /proc files exists here")


def shared_bind(path):
    """Makes path a shared mount point (the kubelet's nodes have / rshared; this host has
    it private). Undo with umount_lazy."""
    subprocess.run(["mount", "--bind", path, path], check=True)
    subprocess.run(["mount", "--make-rshared", path], check=True)


def umount_lazy(path):
    subprocess.run(["umount", "-l", path], capture_output=True)


# ---- images -----------------------------------------------------------------

CONFIG_SCRIPT_USR = "trap 'echo got-usr1; exit 42' USR1; trap 'echo got-usr2; exit 44' USR2; " \
                    "trap 'echo got-term; exit 43' TERM; echo ready; while :; do sleep 0.1; done"


def build_image(root, name, layers, cfg=None):
    """An OCI layout <root>/<name> of one image tagged latest, for the registry's repo
    <name>; returns its ImageFacts."""
    cfg = cfg or images.config(layers, label=name)
    path = os.path.join(root, name)
    shutil.rmtree(path, ignore_errors=True)
    lo = images.Layout(path)
    desc, facts = images.image(lo, layers, cfg)
    lo.tag(desc, ["latest"])
    facts.layout, facts.repo, facts.tags, facts.name = path, name, ["latest"], name
    return facts


def build_config_image(root):
    """busybox with ENTRYPOINT/CMD/ENV/WORKDIR/USER/STOPSIGNAL; returns ImageFacts."""
    layers = [images.busybox_layer()]
    cfg = images.config(layers, label="ctr-config", cmd=("CMD1", "CMD2"))
    c = cfg["config"]
    c["Entrypoint"] = ["/bin/echo", "ENTRY"]
    c["Env"] = [images.PATH_ENV, "IMG_A=image-a", "IMG_B=image-b"]
    c["WorkingDir"] = "/home/app"
    c["User"] = "app"
    c["StopSignal"] = "SIGUSR1"
    return build_image(root, "ctr-config", layers, cfg)


class Env:
    """The module's daemon and the images it has pulled."""

    def __init__(self, registry, workdir, **daemon_kw):
        self.registry = registry
        self.workdir = workdir
        conf = os.path.join(workdir, "registries.conf")
        with open(conf, "w") as f:
            f.write('[[registry]]\nlocation = "%s"\ninsecure = true\n' % registry.host)
        self.registries_conf = conf
        self.config_text = '[cric.image]\npause_command = "%s"\n' % os.path.join(cric.BUILD, "cric-pause")
        facts = build_config_image(workdir)
        registry.client().push_layout(facts.layout, "ctr-config")
        self.busybox_facts = registry.images["busybox"]
        self.config_facts = facts
        self.busybox = registry.reference("busybox")
        self.config_image = "%s/ctr-config:latest" % registry.host
        self.d = None

    def daemon_kwargs(self):
        return dict(config_text=self.config_text, extra_args=["--registries-conf", self.registries_conf])

    def pull_all(self, d):
        ids = {}
        for ref in (self.busybox, self.config_image):
            ids[ref] = d.image.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=ref)),
                                         timeout=120).image_ref
        return ids

    def digest_ref(self, ref):
        f = self.busybox_facts if ref == self.busybox else self.config_facts
        repo = "busybox" if ref == self.busybox else "ctr-config"
        return "%s/%s@%s" % (self.registry.host, repo, f.manifest_digest)

    def image_id(self, ref):
        f = self.busybox_facts if ref == self.busybox else self.config_facts
        return f.config_digest.split(":", 1)[1]


@pytest.fixture(scope="module")
def env(registry, tmp_path_factory):
    yield from running_env(Env(registry, str(tmp_path_factory.mktemp("containers"))))


def running_env(e, extra_args=()):
    """Starts e's daemon (with extra_args), pulls the images, yields e, then cleans up:
    the body of a module's env fixture."""
    kw = e.daemon_kwargs()
    kw["extra_args"] = kw["extra_args"] + list(extra_args)
    d = cric.Daemon(**kw)
    _register(d)
    try:
        d.start()
        e.d = d
        e.ids = e.pull_all(d)
        yield e
    finally:
        _unregister(d)
        reports = d.cleanup()
    assert not reports, "sanitizer reports in the cricd log: %s" % reports


def _daemon_list():
    mod = sys.modules.get("conftest")
    return getattr(mod, "_daemons", None) if mod else None


def _register(d):
    """Lets conftest add this daemon's log to the report of a failed test."""
    lst = _daemon_list()
    if lst is not None:
        lst.append(d)


def _unregister(d):
    lst = _daemon_list()
    if lst is not None and d in lst:
        lst.remove(d)


# ---- pods and containers ----------------------------------------------------

class Pod:
    def __init__(self, ctx, pod_id, config, log_dir):
        self.ctx, self.id, self.config, self.log_dir = ctx, pod_id, config, log_dir

    @property
    def ns(self):
        return self.config.linux.security_context.namespace_options

    def status(self, verbose=False):
        return self.ctx.d.runtime.PodSandboxStatus(
            pb.PodSandboxStatusRequest(pod_sandbox_id=self.id, verbose=verbose), timeout=30)

    def info(self):
        return json.loads(self.status(verbose=True).info["info"])

    def stop(self):
        self.ctx.d.runtime.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=self.id), timeout=120)

    def remove(self):
        self.ctx.d.runtime.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=self.id), timeout=120)


class Ctr:
    def __init__(self, ctx, cid, pod, config):
        self.ctx, self.id, self.pod, self.config = ctx, cid, pod, config

    @property
    def rt(self):
        return self.ctx.d.runtime

    @property
    def log_path(self):
        return os.path.join(self.pod.log_dir, self.config.log_path)

    def start(self):
        self.rt.StartContainer(pb.StartContainerRequest(container_id=self.id), timeout=60)
        return self

    def stop(self, timeout=10):
        self.rt.StopContainer(pb.StopContainerRequest(container_id=self.id, timeout=timeout), timeout=timeout + 60)

    def remove(self):
        self.rt.RemoveContainer(pb.RemoveContainerRequest(container_id=self.id), timeout=60)

    def status(self, verbose=False):
        return self.rt.ContainerStatus(pb.ContainerStatusRequest(container_id=self.id, verbose=verbose), timeout=30)

    def st(self):
        return self.status().status

    def info(self):
        return json.loads(self.status(verbose=True).info["info"])

    def pid(self):
        return int(self.info()["pid"])

    def state(self):
        return self.st().state

    def wait_exit(self, timeout=30):
        wait_for(lambda: self.state() == pb.CONTAINER_EXITED, timeout, "container %s to exit" % self.id[:12])
        return self.st()

    def exec(self, cmd, timeout=0, rpc_timeout=60):
        return self.rt.ExecSync(pb.ExecSyncRequest(container_id=self.id, cmd=list(cmd), timeout=timeout),
                                timeout=rpc_timeout)

    def sh(self, script, check=True):
        """stdout of `sh -c script` in the container; fails on a non-zero exit when check."""
        r = self.exec(["sh", "-c", script])
        if check:
            assert r.exit_code == 0, "%r exited %d: %r %r" % (script, r.exit_code, r.stdout, r.stderr)
        return r.stdout.decode()

    def log_entries(self):
        return parse_log(self.log_path) if os.path.exists(self.log_path) else []

    def log_text(self, stream=None):
        return "\n".join(log_lines(self.log_entries(), stream))

    def wait_log(self, text, timeout=20):
        wait_for(lambda: text in self.log_text(), timeout, "%r in the log of %s" % (text, self.config.metadata.name))


class Ctx:
    """One test's pods and containers on one runtime handler; all removed afterwards."""

    def __init__(self, env, handler, tmp):
        self.env, self.d, self.handler, self.tmp = env, env.d, handler, tmp
        self.pods, self.ctrs, self.cgroup_parents = [], [], []
        self.tag = uuid.uuid4().hex[:10]

    def pod(self, name="pod", net=pb.POD, pid=pb.CONTAINER, ipc=pb.POD, hostname=None, dns=None,
            privileged=False, labels=None, annotations=None, cgroup_parent="", sysctls=None, handler=None):
        uid = "%s-%s" % (self.tag, uuid.uuid4().hex[:6])
        log_dir = os.path.join(self.tmp, "pods", uid)
        os.makedirs(log_dir, exist_ok=True)
        if cgroup_parent:
            self.cgroup_parents.append(cgroup_parent)
        ns = pb.NamespaceOption(network=net, pid=pid, ipc=ipc)
        cfg = pb.PodSandboxConfig(
            metadata=pb.PodSandboxMetadata(name=name, namespace="ns-" + self.tag, uid=uid, attempt=0),
            hostname="" if net == pb.NODE and hostname is None else (hostname or name + "-host"),
            log_directory=log_dir, dns_config=dns,
            labels=dict(labels or {}, **{"app": name, "test": self.tag}),
            annotations=annotations or {"pod-note": "p"},
            linux=pb.LinuxPodSandboxConfig(
                cgroup_parent=cgroup_parent, sysctls=sysctls or {},
                security_context=pb.LinuxSandboxSecurityContext(namespace_options=ns, privileged=privileged)))
        pod_id = self.d.runtime.RunPodSandbox(
            pb.RunPodSandboxRequest(config=cfg, runtime_handler=self.handler if handler is None else handler),
            timeout=60).pod_sandbox_id
        p = Pod(self, pod_id, cfg, log_dir)
        self.pods.append(p)
        return p

    def config(self, pod, name="c", image=None, command=None, args=None, envs=None, working_dir="",
               mounts=(), devices=(), labels=None, annotations=None, resources=None, security=None,
               stop_signal=0, attempt=0, image_spec=None):
        sec = pb.LinuxContainerSecurityContext()
        if security is not None:
            sec.CopyFrom(security)
        if not sec.HasField("namespace_options"):
            sec.namespace_options.CopyFrom(pod.ns)  # what the kubelet does
        return pb.ContainerConfig(
            metadata=pb.ContainerMetadata(name=name, attempt=attempt),
            image=image_spec or pb.ImageSpec(image=image or self.env.busybox),
            command=list(command or []), args=list(args or []), working_dir=working_dir,
            envs=[pb.KeyValue(key=k, value=v.encode()) for k, v in (envs or {}).items()],
            mounts=list(mounts), devices=list(devices),
            labels=dict(labels or {}, **{"test": self.tag}),
            annotations=annotations or {"ctr-note": "c"},
            log_path="%s/%d.log" % (name, attempt),
            linux=pb.LinuxContainerConfig(resources=resources, security_context=sec),
            stop_signal=stop_signal)

    def create_config(self, pod, cfg):
        os.makedirs(os.path.join(pod.log_dir, cfg.metadata.name), exist_ok=True)  # the kubelet does
        cid = self.d.runtime.CreateContainer(
            pb.CreateContainerRequest(pod_sandbox_id=pod.id, config=cfg, sandbox_config=pod.config),
            timeout=120).container_id
        c = Ctr(self, cid, pod, cfg)
        self.ctrs.append(c)
        return c

    def create(self, pod, name="c", **kw):
        return self.create_config(pod, self.config(pod, name, **kw))

    def run(self, pod, name="c", **kw):
        return self.create(pod, name, **kw).start()

    def sleeper(self, pod, name="sleeper", **kw):
        """A running container that does nothing (pid 1 is `sleep`)."""
        kw.setdefault("command", ["sleep", "100000"])
        return self.run(pod, name, **kw)

    def run_to_exit(self, pod, name="c", timeout=30, **kw):
        c = self.run(pod, name, **kw)
        return c, c.wait_exit(timeout)

    def list(self, **filt):
        f = pb.ContainerFilter(**filt) if filt else None
        return list(self.d.runtime.ListContainers(pb.ListContainersRequest(filter=f), timeout=30).containers)

    def cleanup(self):
        for c in self.ctrs:
            try:
                c.remove()
            except grpc.RpcError:
                pass
        for p in self.pods:
            for call in (p.stop, p.remove):
                try:
                    call()
                except grpc.RpcError:
                    pass
        for parent in self.cgroup_parents:
            remove_cgroup_tree(parent)


@pytest.fixture(params=RUNTIMES)
def ctx(request, env, tmp_path):
    c = Ctx(env, request.param, str(tmp_path))
    yield c
    c.cleanup()


# ---- CreateContainer / StartContainer: image config merged with the CRI config ----

def test_create_start_runs_entrypoint_and_cmd(ctx):
    pod = ctx.pod()
    c, st = ctx.run_to_exit(pod, image=ctx.env.config_image)
    assert st.exit_code == 0 and st.reason == "Completed"
    assert log_lines(c.log_entries(), "stdout") == ["ENTRY CMD1 CMD2"]


@pytest.mark.parametrize("command,args,expected", [
    (None, ["X", "Y"], "ENTRY X Y"),                     # args override CMD, ENTRYPOINT stays
    (["/bin/echo", "CMDLINE"], None, "CMDLINE"),          # command overrides ENTRYPOINT, drops CMD
    (["/bin/echo", "CMDLINE"], ["X"], "CMDLINE X"),       # command + args
])
def test_command_and_args_merge_like_the_kubelet(ctx, command, args, expected):
    pod = ctx.pod()
    c, st = ctx.run_to_exit(pod, image=ctx.env.config_image, command=command, args=args)
    assert st.exit_code == 0
    assert log_lines(c.log_entries(), "stdout") == [expected]


def test_env_workdir_and_user_from_image(ctx):
    pod = ctx.pod()
    script = 'echo "$IMG_A $IMG_B $CRI_C"; pwd; id -u; id -g; echo "$PATH"'
    c, st = ctx.run_to_exit(pod, image=ctx.env.config_image, command=["/bin/sh", "-c", script],
                            envs={"IMG_B": "cri-b", "CRI_C": "cri-c"})
    assert st.exit_code == 0, c.log_text()
    assert log_lines(c.log_entries(), "stdout") == ["image-a cri-b cri-c", "/home/app", "1000", "1000",
                                                      images.PATH_ENV.split("=", 1)[1]]


def test_cri_workdir_and_user_override_image(ctx):
    pod = ctx.pod()
    sec = pb.LinuxContainerSecurityContext(run_as_user=pb.Int64Value(value=0))
    c, st = ctx.run_to_exit(pod, image=ctx.env.config_image, command=["sh", "-c", "pwd; id -u"],
                            working_dir="/tmp", security=sec)
    assert st.exit_code == 0
    assert log_lines(c.log_entries(), "stdout") == ["/tmp", "0"]


def test_missing_working_dir_is_created(ctx):
    pod = ctx.pod()
    c, st = ctx.run_to_exit(pod, command=["sh", "-c", "pwd"], working_dir="/no/such/dir")
    assert st.exit_code == 0, (st.reason, st.message)
    assert log_lines(c.log_entries(), "stdout") == ["/no/such/dir"]


def test_busybox_default_env_and_root(ctx):
    pod = ctx.pod()
    c, st = ctx.run_to_exit(pod, command=["sh", "-c", "id -u; pwd; echo $PATH"])
    assert st.exit_code == 0
    assert log_lines(c.log_entries(), "stdout") == ["0", "/", images.PATH_ENV.split("=", 1)[1]]


def test_created_container_waits_for_start(ctx):
    """Until StartContainer, the container's init is the OCI runtime's own code parked on
    its exec fifo: it has not exec'd the command (its cmdline is not the command's) and
    the log is empty. Only after the start does the command's marker appear."""
    pod = ctx.pod()
    marker = "started-" + ctx.tag
    script = "echo %s; sleep 100000" % marker
    c = ctx.create(pod, command=["sh", "-c", script])
    assert c.st().state == pb.CONTAINER_CREATED
    with open(os.path.join(ctx.d.runroot, "containers", c.id, "pid")) as f:
        init = int(f.read())
    parked = proc_cmdline(init)
    assert is_running(init) and parked and script not in parked
    assert marker not in c.log_text()
    assert c.st().state == pb.CONTAINER_CREATED
    c.start()
    c.wait_log(marker)
    assert c.state() == pb.CONTAINER_RUNNING
    assert c.pid() == init and proc_cmdline(init) != parked  # the same process, now running the command


def test_missing_executable_is_reported(ctx):
    """crun and runc both look the executable up at create: CreateContainer fails with
    the runtime's message, and no container is left behind."""
    pod = ctx.pod()
    cfg = ctx.config(pod, command=["/no/such/binary-xyz"])
    err = rpc_error(ctx.create_config, pod, cfg)
    assert err.code() == grpc.StatusCode.INTERNAL, err
    assert "binary-xyz" in err.details()
    assert ctx.list(pod_sandbox_id=pod.id) == []


# ---- StopContainer ----------------------------------------------------------

def test_stop_sends_sigterm_by_default(ctx):
    pod = ctx.pod()
    c = ctx.run(pod, command=["sh", "-c", "trap 'echo got-term; exit 7' TERM; echo ready; "
                                          "while :; do sleep 0.1; done"])
    c.wait_log("ready")
    t0 = time.monotonic()
    c.stop(timeout=30)
    assert time.monotonic() - t0 < 10
    st = c.st()
    assert st.state == pb.CONTAINER_EXITED and st.exit_code == 7 and st.reason == "Error"
    assert "got-term" in c.log_text()


def test_stop_signal_from_image(ctx):
    pod = ctx.pod()
    c = ctx.run(pod, image=ctx.env.config_image, command=["sh", "-c", CONFIG_SCRIPT_USR])
    c.wait_log("ready")
    assert c.st().stop_signal == pb.SIGUSR1
    c.stop(timeout=30)
    st = c.st()
    assert st.exit_code == 42, c.log_text()
    assert "got-usr1" in c.log_text()


def test_stop_signal_from_cri_config_wins(ctx):
    pod = ctx.pod()
    c = ctx.run(pod, image=ctx.env.config_image, command=["sh", "-c", CONFIG_SCRIPT_USR],
                stop_signal=pb.SIGUSR2)
    c.wait_log("ready")
    assert c.st().stop_signal == pb.SIGUSR2
    c.stop(timeout=30)
    assert c.st().exit_code == 44, c.log_text()


def test_stop_kills_after_timeout_when_sigterm_is_ignored(ctx):
    pod = ctx.pod()
    c = ctx.run(pod, command=["sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.1; done"])
    c.wait_log("ready")
    t0 = time.monotonic()
    c.stop(timeout=2)
    took = time.monotonic() - t0
    assert 1.8 <= took < 12, took
    st = c.st()
    assert st.state == pb.CONTAINER_EXITED and st.exit_code == 137 and st.reason == "Error"


def test_stop_timeout_zero_kills_at_once(ctx):
    pod = ctx.pod()
    c = ctx.run(pod, command=["sh", "-c", "trap 'echo got-term; exit 7' TERM; echo ready; "
                                          "while :; do sleep 0.1; done"])
    c.wait_log("ready")
    t0 = time.monotonic()
    c.stop(timeout=0)
    assert time.monotonic() - t0 < 5
    st = c.st()
    assert st.exit_code == 137
    assert "got-term" not in c.log_text()


def test_stop_is_idempotent_and_keeps_the_exit(ctx):
    pod = ctx.pod()
    c, st = ctx.run_to_exit(pod, command=["sh", "-c", "exit 5"])
    c.stop(timeout=5)
    c.stop(timeout=0)
    st2 = c.st()
    assert (st2.state, st2.exit_code, st2.finished_at) == (pb.CONTAINER_EXITED, 5, st.finished_at)


def test_stop_of_unknown_container(ctx):
    """Stopping what is stopped already is OK (above); a container that does not exist is
    NOT_FOUND, as CRI-O and containerd answer (the kubelet tells the two apart)."""
    e = rpc_error(ctx.d.runtime.StopContainer, pb.StopContainerRequest(container_id=ZERO_ID, timeout=0), timeout=30)
    assert e.code() == grpc.StatusCode.NOT_FOUND
    assert ZERO_ID in e.details()


# ---- RemoveContainer --------------------------------------------------------

def test_remove_running_container(ctx):
    pod = ctx.pod()
    c = ctx.sleeper(pod)
    pid = c.pid()
    assert is_running(pid)
    c.remove()
    wait_for(lambda: not is_running(pid), 10, "the container process to go")
    assert rpc_code(c.st) == grpc.StatusCode.NOT_FOUND
    assert c.id not in [x.id for x in ctx.list()]
    c.remove()  # idempotent
    ctx.d.runtime.RemoveContainer(pb.RemoveContainerRequest(container_id=ZERO_ID), timeout=30)


def test_remove_created_and_exited(ctx):
    pod = ctx.pod()
    created = ctx.create(pod, "created", command=["true"])
    exited, _ = ctx.run_to_exit(pod, "exited", command=["true"])
    for c in (created, exited):
        c.remove()
        assert rpc_code(c.st) == grpc.StatusCode.NOT_FOUND
        c.remove()
    # the names are free again
    ctx.create(pod, "created", command=["true"])


# ---- ListContainers ---------------------------------------------------------

def test_list_containers_and_filters(ctx):
    a = ctx.pod("a")
    b = ctx.pod("b")
    running = ctx.sleeper(a, "running", labels={"tier": "web", "idx": "1"})
    created = ctx.create(a, "created", command=["true"], labels={"tier": "db"})
    exited, _ = ctx.run_to_exit(b, "exited", command=["true"], labels={"tier": "web"})
    mine = {running.id, created.id, exited.id}

    def ids(**f):
        return {x.id for x in ctx.list(**f)}

    assert mine <= ids()
    assert ids(id=running.id) == {running.id}
    assert ids(id=running.id[:12]) == {running.id}
    assert ids(id=ZERO_ID) == set()
    assert ids(pod_sandbox_id=a.id) == {running.id, created.id}
    assert ids(pod_sandbox_id=b.id) == {exited.id}
    assert ids(state=pb.ContainerStateValue(state=pb.CONTAINER_RUNNING)) & mine == {running.id}
    assert ids(state=pb.ContainerStateValue(state=pb.CONTAINER_CREATED)) & mine == {created.id}
    assert ids(state=pb.ContainerStateValue(state=pb.CONTAINER_EXITED)) & mine == {exited.id}
    assert ids(label_selector={"test": ctx.tag, "tier": "web"}) == {running.id, exited.id}
    assert ids(label_selector={"test": ctx.tag, "tier": "web", "idx": "1"}) == {running.id}
    assert ids(label_selector={"test": ctx.tag, "tier": "nope"}) == set()
    assert ids(pod_sandbox_id=a.id, label_selector={"tier": "web"}) == {running.id}
    assert ids(pod_sandbox_id=b.id, id=running.id) == set()
    item = ctx.list(id=running.id)[0]
    assert item.pod_sandbox_id == a.id
    assert (item.metadata.name, item.metadata.attempt) == ("running", 0)
    assert item.state == pb.CONTAINER_RUNNING
    assert item.created_at > 0
    assert item.labels["tier"] == "web" and item.annotations["ctr-note"] == "c"
    assert item.image.image == ctx.env.busybox
    assert item.image_ref == ctx.env.digest_ref(ctx.env.busybox)


# ---- ContainerStatus --------------------------------------------------------

def test_status_times_and_exit_codes(ctx):
    pod = ctx.pod()
    t0 = time.time_ns()
    # runs until the test lets it go, so that it is sure to be seen running first
    c = ctx.create(pod, command=["sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.05; done; exit 3"])
    t1 = time.time_ns()
    st = c.st()
    assert st.state == pb.CONTAINER_CREATED
    assert t0 - 10**9 <= st.created_at <= t1 + 10**9
    assert st.started_at == 0 and st.finished_at == 0
    c.start()
    st = c.st()
    assert st.state == pb.CONTAINER_RUNNING
    assert st.started_at >= st.created_at and st.finished_at == 0
    go_at = time.time_ns()
    c.sh("touch /tmp/go")
    st = c.wait_exit()
    assert st.finished_at >= go_at > st.started_at
    assert st.finished_at <= time.time_ns() + 10**9
    assert st.exit_code == 3 and st.reason == "Error"
    assert isinstance(st.message, str)
    ok, st_ok = ctx.run_to_exit(pod, "ok", command=["true"])
    assert st_ok.exit_code == 0 and st_ok.reason == "Completed"


def test_status_killed_by_signal(ctx):
    pod = ctx.pod()
    c = ctx.sleeper(pod)
    os.kill(c.pid(), signal.SIGKILL)
    st = c.wait_exit()
    assert st.exit_code == 137 and st.reason == "Error"


def test_status_oom_killed(ctx):
    pod = ctx.pod()
    res = pb.LinuxContainerResources(memory_limit_in_bytes=32 * MiB, memory_swap_limit_in_bytes=32 * MiB)
    c, st = ctx.run_to_exit(pod, command=["tail", "/dev/zero"], resources=res, timeout=60)
    assert st.exit_code == 137
    assert st.reason == "OOMKilled", (st.reason, st.message)


def test_status_fields(ctx, tmp_path):
    pod = ctx.pod()
    vol = tmp_path / "vol"
    vol.mkdir()
    res = pb.LinuxContainerResources(cpu_shares=512, cpu_period=100000, cpu_quota=50000,
                                     memory_limit_in_bytes=64 * MiB)
    mounts = [pb.Mount(container_path="/data", host_path=str(vol), readonly=True)]
    c = ctx.sleeper(pod, "full", labels={"l1": "v1"}, annotations={"a1": "v1", "a2": "v2"},
                    mounts=mounts, resources=res)
    r = c.status(verbose=True)
    st = r.status
    assert st.id == c.id
    assert (st.metadata.name, st.metadata.attempt) == ("full", 0)
    assert st.state == pb.CONTAINER_RUNNING
    assert st.labels["l1"] == "v1" and st.labels["test"] == ctx.tag
    assert dict(st.annotations) == {"a1": "v1", "a2": "v2"}
    assert st.image.image == ctx.env.busybox
    assert st.image_ref == ctx.env.digest_ref(ctx.env.busybox)
    assert st.log_path == c.log_path
    ms = [m for m in st.mounts if m.container_path == "/data"]
    assert len(ms) == 1 and ms[0].readonly and ms[0].propagation == pb.PROPAGATION_PRIVATE
    assert os.path.realpath(ms[0].host_path) == os.path.realpath(str(vol))
    lr = st.resources.linux
    assert (lr.cpu_shares, lr.cpu_period, lr.cpu_quota, lr.memory_limit_in_bytes) == \
        (512, 100000, 50000, 64 * MiB)
    assert (st.user.linux.uid, st.user.linux.gid) == (0, 0)
    assert st.exit_code == 0 and st.finished_at == 0
    info = json.loads(r.info["info"])
    assert info["sandboxID"] == pod.id
    assert isinstance(info["pid"], int) and is_running(info["pid"])
    assert info["runtimeSpec"]["process"]["args"] == ["sleep", "100000"]
    assert not c.status(verbose=False).info


def test_status_image_the_kubelet_way(ctx):
    """The kubelet creates containers with the image ID and the name it was asked for."""
    env = ctx.env
    pod = ctx.pod()
    spec = pb.ImageSpec(image=env.ids[env.config_image], user_specified_image=env.config_image)
    c = ctx.create(pod, image_spec=spec, command=["true"])
    st = c.st()
    assert st.image.image in (env.config_image, env.ids[env.config_image])
    assert st.image_ref == env.digest_ref(env.config_image)


def test_image_id_is_what_pull_reported(ctx):
    """Container.image_id and ContainerStatus.image_id: "the same value
    PullImageResponse.image_ref reports for this image" (proto/cri.proto)."""
    env = ctx.env
    pod = ctx.pod()
    for ref in (env.busybox, env.config_image):
        c = ctx.create(pod, "img-%d" % len(ctx.ctrs), image=ref, command=["true"])
        assert env.ids[ref] == env.image_id(ref)
        assert c.st().image_id == env.ids[ref]
        assert ctx.list(id=c.id)[0].image_id == env.ids[ref]


def test_status_user(ctx):
    env = ctx.env
    pod = ctx.pod()
    c = ctx.create(pod, "img-user", image=env.config_image, command=["true"])
    u = c.st().user.linux
    assert (u.uid, u.gid) == (1000, 1000)
    assert set(u.supplemental_groups) - {1000} == {50}
    sec = pb.LinuxContainerSecurityContext(run_as_user=pb.Int64Value(value=1234),
                                           run_as_group=pb.Int64Value(value=2345),
                                           supplemental_groups=[3000, 4000])
    c2 = ctx.create(pod, "cri-user", security=sec, command=["true"])
    u = c2.st().user.linux
    assert (u.uid, u.gid) == (1234, 2345)
    assert set(u.supplemental_groups) - {2345} == {3000, 4000}


def test_status_of_unknown_container(ctx):
    assert rpc_code(ctx.d.runtime.ContainerStatus, pb.ContainerStatusRequest(container_id=ZERO_ID),
                    timeout=30) == grpc.StatusCode.NOT_FOUND


# ---- logs -------------------------------------------------------------------

def test_cri_log_format(ctx):
    pod = ctx.pod()
    long_line = "x" * 40000
    script = "echo out1; echo err1 >&2; echo; echo %s; printf partial" % long_line
    t0 = time.time_ns()
    c, st = ctx.run_to_exit(pod, command=["sh", "-c", script])
    t1 = time.time_ns()
    assert st.exit_code == 0
    entries = c.log_entries()
    for ts, _, _, _ in entries:
        assert t0 - 5 * 10**9 <= log_time_ns(ts) <= t1 + 5 * 10**9, ts
    assert log_lines(entries, "stdout") == ["out1", "", long_line, "partial"]
    assert log_lines(entries, "stderr") == ["err1"]
    # a long line is cut into P chunks ended by an F; the open line at exit is P
    out = [e for e in entries if e[1] == "stdout"]
    assert out[0][2:] == ("F", "out1") and out[1][2:] == ("F", "")
    chunks = out[2:-1]
    assert len(chunks) >= 2 and all(e[2] == "P" for e in chunks[:-1]) and chunks[-1][2] == "F"
    assert out[-1][2:] == ("P", "partial")


def test_log_path_and_status(ctx):
    pod = ctx.pod()
    c, _ = ctx.run_to_exit(pod, "logger", command=["echo", "hello"])
    assert c.st().log_path == os.path.join(pod.log_dir, "logger", "0.log")
    assert log_lines(parse_log(os.path.join(pod.log_dir, "logger", "0.log"))) == ["hello"]


def test_reopen_container_log(ctx):
    pod = ctx.pod()
    c = ctx.run(pod, command=["sh", "-c", "i=0; while :; do echo line$i; i=$((i+1)); sleep 0.05; done"])
    c.wait_log("line3")
    rotated = c.log_path + ".1"
    os.rename(c.log_path, rotated)
    ctx.d.runtime.ReopenContainerLog(pb.ReopenContainerLogRequest(container_id=c.id), timeout=30)
    def new_lines():
        return len(log_lines(parse_log(c.log_path))) if os.path.exists(c.log_path) else 0
    wait_for(new_lines, 10, "the new log file")
    # once lines go to the new file, the old one must not grow while the new one does
    size, seen = os.path.getsize(rotated), new_lines()
    wait_for(lambda: new_lines() >= seen + 5, 10, "5 more lines in the new log file")
    assert os.path.getsize(rotated) == size, "the old file still grows"
    old = [int(x[4:]) for x in log_lines(parse_log(rotated), "stdout")]
    new = [int(x[4:]) for x in log_lines(parse_log(c.log_path), "stdout")]
    assert new and min(new) == max(old) + 1, "lines lost or repeated across the reopen"
    assert old == list(range(old[0], old[-1] + 1)) and old[0] == 0
    c.stop(timeout=0)
    err = rpc_error(ctx.d.runtime.ReopenContainerLog, pb.ReopenContainerLogRequest(container_id=c.id),
                    timeout=30)
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION, err
    assert rpc_code(ctx.d.runtime.ReopenContainerLog, pb.ReopenContainerLogRequest(container_id=ZERO_ID),
                    timeout=30) == grpc.StatusCode.NOT_FOUND


# ---- ExecSync ---------------------------------------------------------------

def test_exec_sync_output_and_exit_code(ctx):
    pod = ctx.pod()
    c = ctx.sleeper(pod)
    r = c.exec(["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert (r.stdout, r.stderr, r.exit_code) == (b"out\n", b"err\n", 3)
    r = c.exec(["true"])
    assert (r.stdout, r.stderr, r.exit_code) == (b"", b"", 0)
    r = c.exec(["cat", "/etc/hostname"], timeout=10)
    assert r.exit_code == 0


def test_exec_sync_uses_the_container_process_settings(ctx):
    pod = ctx.pod()
    c = ctx.run(pod, image=ctx.env.config_image, command=["sleep", "100000"], envs={"CRI_C": "cri-c"})
    out = c.sh('id -u; pwd; echo "$IMG_A $CRI_C"')
    assert out.split("\n")[:3] == ["1000", "/home/app", "image-a cri-c"]


def test_exec_sync_timeout(ctx):
    pod = ctx.pod()
    c = ctx.sleeper(pod)
    t0 = time.monotonic()
    # what the kubelet turns into a probe timeout
    e = rpc_error(c.exec, ["sleep", "37"], timeout=2, rpc_timeout=60)
    assert e.code() == grpc.StatusCode.DEADLINE_EXCEEDED, e
    took = time.monotonic() - t0
    assert 1.8 <= took < 12, took
    # the exec'd process does not linger
    wait_for(lambda: "sleep 37" not in c.sh("ps -o args"), 10, "the timed-out process to be killed")
    assert c.exec(["true"], timeout=5).exit_code == 0


def test_exec_sync_output_is_capped(ctx):
    """The output is capped (CVE-2022-1708) and the command goes on without error; the
    answer must reach a client with the kubelet's limit (16 MiB messages)."""
    pod = ctx.pod()
    c = ctx.sleeper(pod)
    ch = grpc.insecure_channel("unix://" + ctx.d.socket,
                               options=[("grpc.max_receive_message_length", KUBELET_MAX_MSG)])
    try:
        rt = cric.Service(ch, "RuntimeService")
        r = rt.ExecSync(pb.ExecSyncRequest(container_id=c.id, cmd=["sh", "-c", "head -c 20000000 /dev/zero; "
                                                                                "echo done >&2"], timeout=60),
                        timeout=120)
    finally:
        ch.close()
    assert r.exit_code == 0, r.stderr[:200]
    assert MiB <= len(r.stdout) <= EXEC_OUTPUT_MAX
    assert r.stdout.count(b"\0") == len(r.stdout)
    assert r.stderr == b"done\n"
    assert c.exec(["true"]).exit_code == 0


def test_exec_sync_errors(ctx):
    pod = ctx.pod()
    created = ctx.create(pod, "created", command=["sleep", "100000"])
    assert rpc_code(created.exec, ["true"]) == grpc.StatusCode.FAILED_PRECONDITION
    exited, _ = ctx.run_to_exit(pod, "exited", command=["true"])
    assert rpc_code(exited.exec, ["true"]) == grpc.StatusCode.FAILED_PRECONDITION
    assert rpc_code(ctx.d.runtime.ExecSync, pb.ExecSyncRequest(container_id=ZERO_ID, cmd=["true"]),
                    timeout=30) == grpc.StatusCode.NOT_FOUND


# ---- UpdateContainerResources and cgroups -----------------------------------

def test_resources_at_create_and_update(ctx):
    pod = ctx.pod()
    hugetlb = cgroup_mounts().get("hugetlb")
    has_hugetlb = bool(hugetlb and os.path.exists(os.path.join(hugetlb, "hugetlb.2MB.limit_in_bytes")))
    res = pb.LinuxContainerResources(cpu_shares=512, cpu_period=100000, cpu_quota=50000,
                                     memory_limit_in_bytes=128 * MiB)
    if has_hugetlb:
        res.hugepage_limits.append(pb.HugepageLimit(page_size="2MB", limit=8 * MiB))
    c = ctx.sleeper(pod, resources=res)
    pid = c.pid()
    cpu, mem = cgroup_dir(pid, "cpu"), cgroup_dir(pid, "memory")
    assert c.id in cpu and c.id in mem
    assert read_int(os.path.join(cpu, "cpu.shares")) == 512
    assert read_int(os.path.join(cpu, "cpu.cfs_period_us")) == 100000
    assert read_int(os.path.join(cpu, "cpu.cfs_quota_us")) == 50000
    assert read_int(os.path.join(mem, "memory.limit_in_bytes")) == 128 * MiB
    if has_hugetlb:
        assert read_int(os.path.join(cgroup_dir(pid, "hugetlb"), "hugetlb.2MB.limit_in_bytes")) == 8 * MiB

    new = pb.LinuxContainerResources(cpu_shares=256, cpu_period=200000, cpu_quota=40000,
                                     memory_limit_in_bytes=96 * MiB, cpuset_cpus="0")
    if has_hugetlb:
        new.hugepage_limits.append(pb.HugepageLimit(page_size="2MB", limit=4 * MiB))
    ctx.d.runtime.UpdateContainerResources(pb.UpdateContainerResourcesRequest(container_id=c.id, linux=new),
                                           timeout=60)
    assert read_int(os.path.join(cpu, "cpu.shares")) == 256
    assert read_int(os.path.join(cpu, "cpu.cfs_period_us")) == 200000
    assert read_int(os.path.join(cpu, "cpu.cfs_quota_us")) == 40000
    assert read_int(os.path.join(mem, "memory.limit_in_bytes")) == 96 * MiB
    with open(os.path.join(cgroup_dir(pid, "cpuset"), "cpuset.cpus")) as f:
        assert f.read().strip() == "0"
    if has_hugetlb and ctx.handler == "crun":  # `runc update` (1.1) takes no hugepageLimits
        assert read_int(os.path.join(cgroup_dir(pid, "hugetlb"), "hugetlb.2MB.limit_in_bytes")) == 4 * MiB
    lr = c.st().resources.linux
    assert (lr.cpu_shares, lr.cpu_period, lr.cpu_quota, lr.memory_limit_in_bytes, lr.cpuset_cpus) == \
        (256, 200000, 40000, 96 * MiB, "0")
    assert c.state() == pb.CONTAINER_RUNNING
    assert rpc_code(ctx.d.runtime.UpdateContainerResources,
                    pb.UpdateContainerResourcesRequest(container_id=ZERO_ID, linux=new),
                    timeout=30) == grpc.StatusCode.NOT_FOUND


def test_oom_score_adj(ctx):
    pod = ctx.pod()
    with open("/proc/%d/oom_score_adj" % ctx.d.proc.pid) as f:
        floor = int(f.read())
    c = ctx.sleeper(pod, resources=pb.LinuxContainerResources(oom_score_adj=500))
    with open("/proc/%d/oom_score_adj" % c.pid()) as f:
        assert int(f.read()) == max(500, floor)


# ---- stats ------------------------------------------------------------------

BUSY_THEN_SLEEP = "i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; echo ready; sleep 100000"


def test_container_stats(ctx):
    pod = ctx.pod()
    c = ctx.run(pod, "stats", command=["sh", "-c", BUSY_THEN_SLEEP], labels={"s": "1"},
                annotations={"sa": "x"})
    c.wait_log("ready", 60)
    c.sh("dd if=/dev/zero of=/fill bs=1024 count=2048 2>/dev/null; sync")

    def stats():
        return ctx.d.runtime.ContainerStats(pb.ContainerStatsRequest(container_id=c.id), timeout=30).stats

    s = wait_for(lambda: (lambda s: s if s.writable_layer.used_bytes.value >= 2 * MiB else None)(stats()),
                 20, "the writable layer to count the 2 MiB file")
    assert s.attributes.id == c.id
    assert s.attributes.metadata.name == "stats"
    assert s.attributes.labels["s"] == "1" and s.attributes.annotations["sa"] == "x"
    assert s.cpu.timestamp > 0 and s.cpu.usage_core_nano_seconds.value > 0
    assert s.memory.timestamp > 0 and s.memory.working_set_bytes.value > 0
    assert s.writable_layer.timestamp > 0 and s.writable_layer.inodes_used.value >= 1
    assert rpc_code(ctx.d.runtime.ContainerStats, pb.ContainerStatsRequest(container_id=ZERO_ID),
                    timeout=30) == grpc.StatusCode.NOT_FOUND


def test_list_container_stats_filters(ctx):
    a, b = ctx.pod("a"), ctx.pod("b")
    c1 = ctx.sleeper(a, "one", labels={"k": "1"})
    c2 = ctx.sleeper(b, "two", labels={"k": "2"})

    def ids(**f):
        req = pb.ListContainerStatsRequest(filter=pb.ContainerStatsFilter(**f) if f else None)
        return {s.attributes.id for s in ctx.d.runtime.ListContainerStats(req, timeout=30).stats}

    assert {c1.id, c2.id} <= ids()
    assert ids(id=c1.id) == {c1.id}
    assert ids(pod_sandbox_id=b.id) == {c2.id}
    assert ids(label_selector={"test": ctx.tag, "k": "1"}) == {c1.id}
    assert ids(label_selector={"test": ctx.tag, "k": "3"}) == set()


def test_pod_sandbox_stats(ctx):
    parent = "/cric-it-%s/pod%s" % (ctx.tag, uuid.uuid4().hex[:8])
    ctx.cgroup_parents.append("/cric-it-%s" % ctx.tag)
    pod = ctx.pod("statpod", cgroup_parent=parent, labels={"ps": "1"})
    other = ctx.pod("other", cgroup_parent=parent + "-other")
    c = ctx.run(pod, "busy", command=["sh", "-c", BUSY_THEN_SLEEP])
    ctx.sleeper(other)
    c.wait_log("ready", 60)
    assert parent in cgroup_dir(c.pid(), "memory")

    s = ctx.d.runtime.PodSandboxStats(pb.PodSandboxStatsRequest(pod_sandbox_id=pod.id), timeout=30).stats
    assert s.attributes.id == pod.id
    assert s.attributes.metadata.name == "statpod"
    assert s.attributes.labels["ps"] == "1" and s.attributes.annotations["pod-note"] == "p"
    lx = s.linux
    assert lx.cpu.timestamp > 0 and lx.cpu.usage_core_nano_seconds.value > 0
    assert lx.memory.working_set_bytes.value > 0
    assert lx.process.process_count.value >= 1
    assert [x.attributes.id for x in lx.containers] == [c.id]

    def ids(**f):
        req = pb.ListPodSandboxStatsRequest(filter=pb.PodSandboxStatsFilter(**f) if f else None)
        return {x.attributes.id for x in ctx.d.runtime.ListPodSandboxStats(req, timeout=30).stats}

    assert {pod.id, other.id} <= ids()
    assert ids(id=pod.id) == {pod.id}
    assert ids(label_selector={"test": ctx.tag, "ps": "1"}) == {pod.id}
    assert rpc_code(ctx.d.runtime.PodSandboxStats, pb.PodSandboxStatsRequest(pod_sandbox_id=ZERO_ID),
                    timeout=30) == grpc.StatusCode.NOT_FOUND


# ---- security context -------------------------------------------------------

def ids_of(c):
    out = c.sh("id -u; id -g; id -G").split("\n")
    return int(out[0]), int(out[1]), {int(g) for g in out[2].split()}


@pytest.mark.parametrize("sec,expected", [
    (dict(run_as_user=1000), (1000, 1000, {1000, 50})),          # gid and groups from /etc/passwd, /etc/group
    (dict(run_as_user=1234), (1234, 0, {0})),                    # not in /etc/passwd: gid 0
    (dict(run_as_user=1234, run_as_group=2345), (1234, 2345, {2345})),
    (dict(run_as_username="app"), (1000, 1000, {1000, 50})),
    (dict(run_as_user=1000, supplemental_groups=[3000, 4000]), (1000, 1000, {1000, 50, 3000, 4000})),
    (dict(run_as_user=1000, supplemental_groups=[3000], supplemental_groups_policy="Strict"),
     (1000, 1000, {1000, 3000})),
])
def test_run_as_user_and_groups(ctx, sec, expected):
    s = pb.LinuxContainerSecurityContext()
    for k, v in sec.items():
        if k in ("run_as_user", "run_as_group"):
            getattr(s, k).value = v
        elif k == "supplemental_groups":
            s.supplemental_groups.extend(v)
        elif k == "supplemental_groups_policy":
            s.supplemental_groups_policy = pb.Strict
        else:
            setattr(s, k, v)
    pod = ctx.pod()
    c = ctx.sleeper(pod, security=s)
    assert ids_of(c) == expected
    with open("/proc/%d/status" % c.pid()) as f:
        st = f.read()
    assert int(status_field(st, "Uid").split()[0]) == expected[0]
    assert int(status_field(st, "Gid").split()[0]) == expected[1]
    u = c.st().user.linux
    assert (u.uid, u.gid) == expected[:2]
    assert set(u.supplemental_groups) | {expected[1]} == expected[2] | {expected[1]}


def test_bad_users_are_refused(ctx):
    pod = ctx.pod()
    for i, s in enumerate([pb.LinuxContainerSecurityContext(run_as_username="nosuchuser"),
                           pb.LinuxContainerSecurityContext(run_as_group=pb.Int64Value(value=5))]):
        e = rpc_error(ctx.create, pod, "bad%d" % i, command=["true"], security=s)
        assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e


def test_readonly_rootfs(ctx, tmp_path):
    pod = ctx.pod()
    vol = tmp_path / "rw"
    vol.mkdir()
    c = ctx.sleeper(pod, security=pb.LinuxContainerSecurityContext(readonly_rootfs=True),
                    mounts=[pb.Mount(container_path="/vol", host_path=str(vol))])
    r = c.exec(["touch", "/newfile"])
    assert r.exit_code != 0 and b"Read-only file system" in r.stderr
    assert c.exec(["touch", "/vol/ok"]).exit_code == 0
    assert (vol / "ok").exists()
    # the pod files are still there
    assert c.sh("cat /etc/hostname").strip() == pod.config.hostname


def caps_in(c, field="CapEff"):
    return cap_bits(status_field(c.sh("cat /proc/self/status"), field))


@pytest.mark.parametrize("add,drop,expected", [
    ([], [], DEFAULT_CAPS),
    (["NET_ADMIN"], ["CHOWN"], (DEFAULT_CAPS | {CAP["NET_ADMIN"]}) - {CAP["CHOWN"]}),
    (["CAP_NET_RAW"], [], DEFAULT_CAPS | {CAP["NET_RAW"]}),
    ([], ["ALL"], set()),
    (["NET_RAW"], ["ALL"], {CAP["NET_RAW"]}),
    (["ALL"], [], "bounding"),
    (["ALL"], ["NET_ADMIN"], "bounding-net-admin"),
])
def test_capabilities(ctx, add, drop, expected):
    bounding = proc_caps(ctx.d.proc.pid, "CapBnd")
    if expected == "bounding":
        expected = bounding
    elif expected == "bounding-net-admin":
        expected = bounding - {CAP["NET_ADMIN"]}
    pod = ctx.pod()
    sec = pb.LinuxContainerSecurityContext(
        capabilities=pb.Capability(add_capabilities=add, drop_capabilities=drop))
    c = ctx.sleeper(pod, security=sec)
    assert caps_in(c, "CapEff") == expected
    assert caps_in(c, "CapBnd") == expected
    assert proc_caps(c.pid(), "CapEff") == expected


def test_sys_resource_missing_from_bounding_set_is_left_out(ctx):
    if CAP["SYS_RESOURCE"] in proc_caps(ctx.d.proc.pid, "CapBnd"):
        pytest.skip("this host's bounding set has CAP_SYS_RESOURCE")
    pod = ctx.pod()
    sec = pb.LinuxContainerSecurityContext(capabilities=pb.Capability(add_capabilities=["SYS_RESOURCE"]))
    c = ctx.sleeper(pod, security=sec)
    assert caps_in(c) == DEFAULT_CAPS
    assert "CAP_SYS_RESOURCE" in ctx.d.read_log()


def test_privileged(ctx):
    pod = ctx.pod(privileged=True)
    c = ctx.sleeper(pod, security=pb.LinuxContainerSecurityContext(privileged=True))
    assert caps_in(c) == proc_caps(ctx.d.proc.pid, "CapBnd")
    status = c.sh("cat /proc/self/status")
    assert status_field(status, "Seccomp") == "0"
    devs = c.sh("ls /dev").split()
    host_devs = [d for d in ("kmsg", "loop-control", "loop0", "fuse") if os.path.exists("/dev/" + d)]
    assert host_devs and set(host_devs) <= set(devs), devs
    mounts = c.sh("cat /proc/mounts")
    sys_line = [l for l in mounts.splitlines() if l.split()[1] == "/sys"][0]
    assert sys_line.split()[3].startswith("rw"), sys_line
    # nothing masked, /proc/sys writable
    assert c.exec(["sh", "-c", "echo cric > /proc/sys/kernel/domainname"]).exit_code == 0


def test_unprivileged_defaults(ctx):
    pod = ctx.pod()
    c = ctx.sleeper(pod)
    mounts = c.sh("cat /proc/mounts")
    sys_line = [l for l in mounts.splitlines() if l.split()[1] == "/sys"][0]
    assert sys_line.split()[3].startswith("ro"), sys_line
    devs = set(c.sh("ls /dev").split())
    assert "kmsg" not in devs and "loop0" not in devs
    assert {"null", "zero", "full", "random", "urandom", "tty", "shm", "pts"} <= devs
    assert status_field(c.sh("cat /proc/self/status"), "NoNewPrivs") == "0"
    # default masked (a masked file is /dev/null) and read-only (/proc/sys) paths
    assert c.sh("stat -c '%t:%T' " + masked_file()).strip() == "1:3"
    assert c.sh("ls -A /proc/acpi") == ""
    r = c.exec(["sh", "-c", "echo cric > /proc/sys/kernel/domainname"])
    assert r.exit_code != 0


@pytest.mark.parametrize("profile,expected", [
    (pb.SecurityProfile.RuntimeDefault, "2"),
    (pb.SecurityProfile.Unconfined, "0"),
])
def test_seccomp_profiles(ctx, profile, expected):
    pod = ctx.pod()
    sec = pb.LinuxContainerSecurityContext(seccomp=pb.SecurityProfile(profile_type=profile))
    c = ctx.sleeper(pod, security=sec)
    assert status_field(c.sh("cat /proc/self/status"), "Seccomp") == expected
    with open("/proc/%d/status" % c.pid()) as f:
        assert status_field(f.read(), "Seccomp") == expected


def test_seccomp_localhost(ctx, tmp_path):
    prof = tmp_path / "deny-mkdir.json"
    prof.write_text(json.dumps({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}))
    pod = ctx.pod()
    sec = pb.LinuxContainerSecurityContext(seccomp=pb.SecurityProfile(
        profile_type=pb.SecurityProfile.Localhost, localhost_ref=str(prof)))
    c = ctx.sleeper(pod, security=sec)
    assert status_field(c.sh("cat /proc/self/status"), "Seccomp") == "2"
    r = c.exec(["mkdir", "/tmp/denied"])
    assert r.exit_code != 0 and b"Operation not permitted" in r.stderr, r
    assert c.exec(["touch", "/tmp/allowed"]).exit_code == 0
    missing = str(tmp_path / "missing.json")
    e = rpc_error(ctx.create, pod, "missing-profile", command=["true"], security=pb.LinuxContainerSecurityContext(
        seccomp=pb.SecurityProfile(profile_type=pb.SecurityProfile.Localhost, localhost_ref=missing)))
    assert "missing.json" in e.details()


def test_no_new_privs(ctx):
    pod = ctx.pod()
    c = ctx.sleeper(pod, security=pb.LinuxContainerSecurityContext(no_new_privs=True))
    assert status_field(c.sh("cat /proc/self/status"), "NoNewPrivs") == "1"


def test_masked_and_readonly_paths(ctx):
    pod = ctx.pod()
    sec = pb.LinuxContainerSecurityContext(masked_paths=KUBELET_MASKED + ["/home/app", "/etc/group"],
                                           readonly_paths=KUBELET_READONLY + ["/tmp"])
    c = ctx.sleeper(pod, security=sec)
    assert c.sh("stat -c '%t:%T' " + masked_file()).strip() == "1:3"
    assert c.sh("cat /etc/group") == ""
    assert c.sh("ls -A /home/app") == ""
    r = c.exec(["touch", "/tmp/x"])
    assert r.exit_code != 0 and b"Read-only file system" in r.stderr
    r = c.exec(["sh", "-c", "echo cric > /proc/sys/kernel/domainname"])
    assert r.exit_code != 0
    assert c.exec(["touch", "/var/x"]).exit_code == 0


# ---- mounts and devices -----------------------------------------------------

def test_bind_mounts_ro_rw_symlink_missing(ctx, tmp_path):
    ro, rw, real = tmp_path / "ro", tmp_path / "rw", tmp_path / "real"
    for p in (ro, rw, real):
        p.mkdir()
    (ro / "f").write_text("ro-data\n")
    (real / "f").write_text("real-data\n")
    link = tmp_path / "link"
    link.symlink_to(real)
    missing = tmp_path / "missing" / "deep"
    pod = ctx.pod()
    c = ctx.sleeper(pod, mounts=[
        pb.Mount(container_path="/ro", host_path=str(ro), readonly=True),
        pb.Mount(container_path="/rw", host_path=str(rw)),
        pb.Mount(container_path="/link", host_path=str(link)),
        pb.Mount(container_path="/missing", host_path=str(missing)),
        pb.Mount(container_path="/etc/extra-file", host_path=str(ro / "f"), readonly=True),
    ])
    assert c.sh("cat /ro/f") == "ro-data\n"
    r = c.exec(["touch", "/ro/new"])
    assert r.exit_code != 0 and b"Read-only file system" in r.stderr
    c.sh("echo from-container > /rw/out")
    assert (rw / "out").read_text() == "from-container\n"
    assert c.sh("cat /link/f") == "real-data\n"
    assert c.sh("test -d /link && ! test -L /link && echo dir") == "dir\n"
    assert missing.is_dir()
    c.sh("echo x > /missing/y")
    assert (missing / "y").read_text() == "x\n"
    assert c.sh("cat /etc/extra-file") == "ro-data\n"


def test_mount_propagation(ctx, tmp_path):
    host = tmp_path / "prop"
    (host / "sub").mkdir(parents=True)
    (host / "sub2").mkdir()
    shared_bind(str(host))
    try:
        pod = ctx.pod(privileged=True)
        slave = ctx.sleeper(pod, "slave", mounts=[pb.Mount(
            container_path="/mnt/vol", host_path=str(host), propagation=pb.PROPAGATION_HOST_TO_CONTAINER)])
        private = ctx.sleeper(pod, "private", mounts=[pb.Mount(
            container_path="/mnt/vol", host_path=str(host), propagation=pb.PROPAGATION_PRIVATE)])
        shared = ctx.sleeper(pod, "shared", security=pb.LinuxContainerSecurityContext(privileged=True),
                             mounts=[pb.Mount(container_path="/mnt/vol", host_path=str(host),
                                              propagation=pb.PROPAGATION_BIDIRECTIONAL)])
        st = {m.container_path: m.propagation for m in slave.st().mounts}
        assert st["/mnt/vol"] == pb.PROPAGATION_HOST_TO_CONTAINER
        # host -> container
        subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(host / "sub")], check=True)
        try:
            (host / "sub" / "marker").write_text("from-host\n")
            assert wait_for(lambda: slave.sh("cat /mnt/vol/sub/marker 2>/dev/null", check=False)) == "from-host\n"
            assert shared.sh("cat /mnt/vol/sub/marker") == "from-host\n"
            assert private.exec(["test", "-e", "/mnt/vol/sub/marker"]).exit_code != 0
        finally:
            umount_lazy(str(host / "sub"))
        # container -> host
        shared.sh("mount -t tmpfs tmpfs /mnt/vol/sub2 && echo from-ctr > /mnt/vol/sub2/m")
        try:
            assert wait_for(lambda: (host / "sub2" / "m").exists(), 5, "the mount to reach the host")
            assert (host / "sub2" / "m").read_text() == "from-ctr\n"
        finally:
            umount_lazy(str(host / "sub2"))
    finally:
        ctx.cleanup()
        umount_lazy(str(host))


def test_propagation_needs_a_shared_host_mount(ctx, tmp_path):
    host = tmp_path / "private"
    host.mkdir()
    subprocess.run(["mount", "--bind", str(host), str(host)], check=True)
    subprocess.run(["mount", "--make-private", str(host)], check=True)
    try:
        pod = ctx.pod(privileged=True)
        for prop in (pb.PROPAGATION_HOST_TO_CONTAINER, pb.PROPAGATION_BIDIRECTIONAL):
            e = rpc_error(ctx.create, pod, "p%d" % prop, command=["true"],
                          security=pb.LinuxContainerSecurityContext(privileged=True),
                          mounts=[pb.Mount(container_path="/v", host_path=str(host), propagation=prop)])
            assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
    finally:
        umount_lazy(str(host))


def test_devices(ctx):
    dev = "/dev/loop-control"
    if not os.path.exists(dev):
        pytest.skip("no %s on this host" % dev)
    st = os.stat(dev)
    want = "%x:%x" % (os.major(st.st_rdev), os.minor(st.st_rdev))
    pod = ctx.pod()
    rw = ctx.sleeper(pod, "rw", devices=[pb.Device(container_path="/dev/xdev", host_path=dev, permissions="rwm")])
    ro = ctx.sleeper(pod, "ro", devices=[pb.Device(container_path="/dev/xdev", host_path=dev, permissions="r")])
    for c in (rw, ro):
        assert c.sh("stat -c '%F %t:%T' /dev/xdev").strip() == "character special file " + want
        assert c.exec(["sh", "-c", ": < /dev/xdev"]).exit_code == 0
    assert rw.exec(["sh", "-c", ": > /dev/xdev"]).exit_code == 0
    r = ro.exec(["sh", "-c", ": > /dev/xdev"])
    assert r.exit_code != 0 and b"not permitted" in r.stderr, r
    e = rpc_error(ctx.create, pod, "nodev", command=["true"],
                  devices=[pb.Device(container_path="/dev/x", host_path="/dev/no-such-device", permissions="rwm")])
    assert "/dev/no-such-device" in e.details()


# ---- namespaces, hostname, pod files ---------------------------------------

def test_pod_namespaces_are_shared(ctx):
    pod = ctx.pod()
    a = ctx.sleeper(pod, "a")
    b = ctx.sleeper(pod, "b")
    info = pod.info()
    netns = info["netnsPath"]
    for kind in ("net", "ipc", "uts"):
        la = a.sh("readlink /proc/self/ns/" + kind).strip()
        lb = b.sh("readlink /proc/self/ns/" + kind).strip()
        assert la == lb, kind
        assert la != ns_link("self", kind), kind
        pinned = netns.replace("/net/", "/%s/" % kind)
        assert la == "%s:[%d]" % (kind, os.stat(pinned).st_ino), kind
        assert ns_link(a.pid(), kind) == la
    # pid: CONTAINER gives each its own
    assert a.sh("readlink /proc/self/ns/pid") != b.sh("readlink /proc/self/ns/pid")
    assert a.sh("cat /proc/1/cmdline") == "sleep\x00100000\x00"
    # mount namespaces are never shared
    assert ns_link(a.pid(), "mnt") != ns_link(b.pid(), "mnt")


def test_shared_pid_namespace(ctx):
    pod = ctx.pod(pid=pb.POD)
    a = ctx.sleeper(pod, "a", command=["sleep", "100001"])
    b = ctx.sleeper(pod, "b", command=["sleep", "100002"])
    assert a.sh("readlink /proc/self/ns/pid") == b.sh("readlink /proc/self/ns/pid")
    ps = a.sh("ps -o args")
    assert "sleep 100001" in ps and "sleep 100002" in ps
    # pid 1 is the pod's init, not a container
    assert "sleep" not in a.sh("cat /proc/1/cmdline")


def test_host_namespaces(ctx):
    pod = ctx.pod(net=pb.NODE, pid=pb.NODE, ipc=pb.NODE)
    c = ctx.sleeper(pod)
    for kind in ("net", "pid", "ipc"):
        assert c.sh("readlink /proc/self/ns/" + kind).strip() == ns_link("self", kind), kind
    assert c.sh("readlink /proc/self/ns/mnt").strip() != ns_link("self", "mnt")


def test_hostname_resolv_conf_and_hosts(ctx):
    dns = pb.DNSConfig(servers=["10.0.0.10"], searches=["svc.cluster.local"], options=["ndots:5"])
    pod = ctx.pod(hostname="my-host", dns=dns)
    c = ctx.sleeper(pod)
    assert c.sh("hostname").strip() == "my-host"
    assert c.sh("cat /etc/hostname").strip() == "my-host"
    resolv = c.sh("cat /etc/resolv.conf")
    assert "nameserver 10.0.0.10" in resolv and "svc.cluster.local" in resolv and "ndots:5" in resolv
    hosts = c.sh("cat /etc/hosts")
    assert "localhost" in hosts
    # the pod's /dev/shm is shared between its containers
    c.sh("echo shm > /dev/shm/x")
    assert ctx.sleeper(pod, "other").sh("cat /dev/shm/x") == "shm\n"


def test_sysctls_seen_by_containers(ctx):
    pod = ctx.pod(sysctls={"net.ipv4.ip_forward": "1", "kernel.shmmni": "2048"})
    c = ctx.sleeper(pod)
    assert c.sh("cat /proc/sys/net/ipv4/ip_forward").strip() == "1"
    assert c.sh("cat /proc/sys/kernel/shmmni").strip() == "2048"


# ---- pods and their containers ----------------------------------------------

def test_stop_pod_stops_its_containers(ctx):
    pod = ctx.pod()
    a = ctx.sleeper(pod, "a")
    b = ctx.run(pod, "b", command=["sh", "-c", "trap 'exit 9' TERM; echo ready; while :; do sleep 0.1; done"])
    b.wait_log("ready")
    created = ctx.create(pod, "created", command=["true"])
    pids = [a.pid(), b.pid()]
    t0 = time.monotonic()
    pod.stop()
    assert time.monotonic() - t0 < 60
    for p in pids:
        assert not is_running(p)
    assert a.st().state == pb.CONTAINER_EXITED
    # the CRI says "forcibly terminated": cric sends SIGKILL at once (the kubelet has
    # already stopped each container with its grace period before it stops the pod)
    assert b.st().state == pb.CONTAINER_EXITED and b.st().exit_code == 137
    assert created.state() == pb.CONTAINER_EXITED  # its runtime init is killed too
    # containers are still listed and can be removed; no new ones can be made
    assert {a.id, b.id, created.id} <= {x.id for x in ctx.list(pod_sandbox_id=pod.id)}
    assert rpc_code(ctx.create, pod, "late", command=["true"]) == grpc.StatusCode.FAILED_PRECONDITION
    a.remove()
    pod.remove()
    assert rpc_code(b.st) == grpc.StatusCode.NOT_FOUND


def test_remove_pod_removes_its_containers(ctx):
    pod = ctx.pod()
    a = ctx.sleeper(pod, "a")
    b, _ = ctx.run_to_exit(pod, "b", command=["true"])
    c = ctx.create(pod, "c", command=["true"])
    pid = a.pid()
    pod.remove()
    assert not is_running(pid)
    for x in (a, b, c):
        assert rpc_code(x.st) == grpc.StatusCode.NOT_FOUND
    assert ctx.list(pod_sandbox_id=pod.id) == []


# ---- error cases ------------------------------------------------------------

def test_create_in_unknown_pod(ctx):
    pod = ctx.pod()
    cfg = ctx.config(pod, command=["true"])
    code = rpc_code(ctx.d.runtime.CreateContainer,
                    pb.CreateContainerRequest(pod_sandbox_id=ZERO_ID, config=cfg, sandbox_config=pod.config),
                    timeout=30)
    assert code == grpc.StatusCode.NOT_FOUND


def test_create_with_unknown_image(ctx):
    pod = ctx.pod()
    for ref in ("%s/never-pulled:latest" % ctx.env.registry.host, "busybox-zstd", "f" * 64):
        e = rpc_error(ctx.create, pod, "noimg", image=ref, command=["true"])
        assert e.code() == grpc.StatusCode.NOT_FOUND, (ref, e)
    assert not [x for x in ctx.list(pod_sandbox_id=pod.id)]


def test_name_clash_in_pod(ctx):
    pod = ctx.pod()
    other = ctx.pod("other")
    first = ctx.create(pod, "dup", command=["true"])
    e = rpc_error(ctx.create, pod, "dup", command=["true"])
    assert e.code() == grpc.StatusCode.ALREADY_EXISTS
    assert first.id in e.details()
    ctx.create(pod, "dup", attempt=1, command=["true"])
    ctx.create(other, "dup", command=["true"])


def test_start_twice_and_start_exited(ctx):
    pod = ctx.pod()
    c = ctx.sleeper(pod)
    pid = c.pid()
    assert rpc_code(c.start) == grpc.StatusCode.FAILED_PRECONDITION
    assert c.state() == pb.CONTAINER_RUNNING and c.pid() == pid and is_running(pid)
    done, _ = ctx.run_to_exit(pod, "done", command=["true"])
    assert rpc_code(done.start) == grpc.StatusCode.FAILED_PRECONDITION
    assert done.st().exit_code == 0
    assert rpc_code(ctx.d.runtime.StartContainer, pb.StartContainerRequest(container_id=ZERO_ID),
                    timeout=30) == grpc.StatusCode.NOT_FOUND


def test_handler_selects_the_runtime(ctx):
    """Each handler's runtime keeps its state in the handler's runtime_root (the test
    daemon gives each one of its own)."""
    roots = ctx.d.runtime_roots
    pod = ctx.pod()
    c = ctx.sleeper(pod)
    assert os.path.isdir(os.path.join(roots[ctx.handler], c.id))
    for h, root in roots.items():
        if h != ctx.handler:
            assert not os.path.exists(os.path.join(root, c.id))
    c.remove()
    # the OCI runtime's delete comes after RemoveContainer answers
    wait_for(lambda: not os.path.exists(os.path.join(roots[ctx.handler], c.id)), 30,
             "the runtime's state of container %s to go" % c.id)


def test_runtime_runs_from_its_sealed_copy(ctx):
    """crun and runc run from one sealed in-memory copy (util/sealed_exe.h) instead of
    copying themselves on every call: the monitor's `create` says so at debug level, and
    the daemon logged the copy it made."""
    pod = ctx.pod()
    c = ctx.create(pod, "sealed", command=["sleep", "100000"])
    # created, not started: the init still runs the runtime's code, from the copy
    with open(os.path.join(ctx.d.runroot, "containers", c.id, "pid")) as f:
        init = int(f.read())
    assert os.readlink("/proc/%d/exe" % init).startswith("/memfd:%s" % (ctx.handler or "crun"))
    c.start()
    with open(os.path.join(ctx.d.runroot, "containers", c.id, "monitor.log")) as f:
        lines = [ln for ln in f if " create " in ln and "running " in ln]
    assert lines and all("(from its sealed copy)" in ln for ln in lines), lines
    binary = shutil.which(ctx.handler or "crun")
    assert "running %s from a sealed copy in memory" % os.path.realpath(binary) in ctx.d.read_log() or \
        "running %s from a sealed copy in memory" % binary in ctx.d.read_log()
    assert c.sh("echo ok") == "ok\n"   # exec runs from it too
    c.stop(timeout=0)


def test_finished_monitor_is_reaped(ctx):
    """A monitor outlives its starter, so the daemon (a child subreaper) adopts it; once
    its container has exited and it is done, the daemon reaps it: no zombie stays."""
    pod = ctx.pod()
    c = ctx.create(pod, "short", command=["sh", "-c", "sleep 0.3"])
    monitor = c.info()["monitorPid"]
    assert proc_state(monitor) not in (None, "Z")
    with open("/proc/%d/stat" % monitor) as f:
        assert int(f.read().rsplit(")", 1)[1].split()[1]) == ctx.d.proc.pid  # adopted by cricd
    c.start()
    c.wait_exit()
    wait_for(lambda: proc_state(monitor) is None, 10, "monitor %d to be reaped" % monitor)


def test_containers_of_both_runtimes_side_by_side(env, tmp_path):
    ctx = Ctx(env, "", str(tmp_path))
    try:
        pods = {h: ctx.pod("p-" + (h or "default"), handler=h) for h in ("", "crun", "runc")}
        for h, pod in pods.items():
            c = ctx.sleeper(pod, "s")
            spec = c.info()["runtimeSpec"]
            assert spec["process"]["args"] == ["sleep", "100000"]
            assert c.sh("echo ok") == "ok\n"
        assert len({c.id for c in ctx.ctrs}) == 3
    finally:
        ctx.cleanup()


# ---- restart ----------------------------------------------------------------

@pytest.mark.parametrize("handler", RUNTIMES)
def test_containers_survive_a_daemon_kill(make_daemon, registry, tmp_path, handler):
    env = Env(registry, str(tmp_path))
    d = make_daemon(**env.daemon_kwargs()).start()
    env.d = d
    env.ids = env.pull_all(d)
    ctx = Ctx(env, handler, str(tmp_path))
    pids = []
    try:
        restart_scenario(ctx, d, pids)
    finally:
        if d.proc.poll() is None:
            ctx.cleanup()
        for p in pids:  # what a dead daemon could not stop
            if is_running(p):
                os.kill(p, signal.SIGKILL)


def restart_scenario(ctx, d, pids):
    pod = ctx.pod()
    running = ctx.run(pod, "running", command=["sh", "-c", "echo up; exec sleep 100000"])
    # exits with 3 once the test lets it go, which it does while cricd is down
    dying = ctx.run(pod, "dying", command=["sh", "-c", "echo bye; while [ ! -e /tmp/go ]; do sleep 0.05; done; "
                                                       "exit 3"])
    done, done_st = ctx.run_to_exit(pod, "done", command=["true"])
    created = ctx.create(pod, "created", command=["sh", "-c", "echo late-start; sleep 100000"])
    running.wait_log("up")
    dying.wait_log("bye")
    pid, dying_pid = running.pid(), dying.pid()
    pids += [pid, dying_pid]
    start_time = proc_start_time(pid)
    before = running.st()

    killed_at = time.time_ns()
    d.proc.kill()
    d.proc.wait(10)
    d.stop()
    open("/proc/%d/root/tmp/go" % dying_pid, "w").close()
    wait_for(lambda: not is_running(dying_pid), 20, "the dying container to exit while cricd is down")
    # its monitor records the exit for the daemon to find
    wait_for(lambda: os.path.exists(os.path.join(d.runroot, "exits", dying.id)), 20, "the exit file of the dying one")
    restarted_at = time.time_ns()
    d.start()

    assert pod.status().status.state == pb.SANDBOX_READY
    by_id = {x.id: x for x in ctx.list(pod_sandbox_id=pod.id)}
    assert set(by_id) == {running.id, dying.id, done.id, created.id}
    # the running one never stopped
    st = running.st()
    assert st.state == pb.CONTAINER_RUNNING and by_id[running.id].state == pb.CONTAINER_RUNNING
    assert running.pid() == pid and is_running(pid) and proc_start_time(pid) == start_time
    assert (st.started_at, st.created_at, st.finished_at) == (before.started_at, before.created_at, 0)
    # the one that exited meanwhile has its real exit code and time
    st = dying.st()
    assert st.state == pb.CONTAINER_EXITED and by_id[dying.id].state == pb.CONTAINER_EXITED
    assert st.exit_code == 3 and st.reason == "Error"
    assert killed_at <= st.finished_at <= restarted_at
    assert "bye" in dying.log_text()
    st = done.st()
    assert (st.state, st.exit_code, st.finished_at, st.reason) == \
        (pb.CONTAINER_EXITED, 0, done_st.finished_at, "Completed")
    assert created.state() == pb.CONTAINER_CREATED

    # everything still works on them
    assert running.sh("echo alive") == "alive\n"
    created.start()
    created.wait_log("late-start")
    assert created.state() == pb.CONTAINER_RUNNING
    pids.append(created.pid())
    running.stop(timeout=0)
    st = running.st()
    assert st.state == pb.CONTAINER_EXITED and st.exit_code == 137
    assert not is_running(pid)
    for c in (running, dying, done, created):
        c.remove()
        assert rpc_code(c.st) == grpc.StatusCode.NOT_FOUND
    pod.remove()
