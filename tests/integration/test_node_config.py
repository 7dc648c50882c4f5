"""Node settings CRI-O operators use ([cric.runtime] / [cric.image], CRI-O's key and
flag names), with a real cricd and crun, checked from inside the containers:

- default_capabilities: the container's CapEff;
- default_sysctls: /proc/sys values, the pod's own sysctl winning;
- default_ulimits: /proc/self/limits;
- pids_limit: the container's pids cgroup limit;
- default_mounts_file: a host directory bound into every container;
- absent_mount_sources_to_reject: CreateContainer refused, the path not created;
- seccomp_profile: the file's profile is RuntimeDefault;
- the start-time checks, and the flags.

Needs root.
"""
import json
import os
import signal
import subprocess

import grpc
import pytest

import cric
from cric import pb, rpc_error
from cric import wait_for
from test_containers import (Ctx, Env, cap_bits, cgroup_dir, proc_state, remove_cgroup_tree, running_env,
                             status_field)

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run containers"),
    pytest.mark.usefixtures("registry"),
]

# Blocks mkdir(2) and mkdirat(2) with EPERM, allows everything else.
SECCOMP_PROFILE = {
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}],
}


MONITORS_SLICE = "crictest-monitors.slice"  # a slice: /crictest.slice/crictest-monitors.slice
MONITORS_CGROUP = "/crictest.slice/crictest-monitors.slice"


def toml_list(items):
    return "[%s]" % ", ".join('"%s"' % i for i in items)


@pytest.fixture(scope="module")
def env(registry, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("nodecfg"))
    e = Env(registry, root)
    e.secrets = os.path.join(root, "node-secrets")
    os.makedirs(e.secrets)
    with open(os.path.join(e.secrets, "token"), "w") as f:
        f.write("from the node\n")
    e.mounts_file = os.path.join(root, "mounts.conf")
    with open(e.mounts_file, "w") as f:
        f.write("# node secrets\n%s:/run/node-secrets\n%s/gone:/gone\n" % (e.secrets, root))
    e.seccomp = os.path.join(root, "seccomp.json")
    with open(e.seccomp, "w") as f:
        json.dump(SECCOMP_PROFILE, f)
    e.rejected = os.path.join(root, "must-exist")
    e.config_text += 'pinned_images = ["*/ctr-config:*"]\n'  # still in [cric.image]
    e.config_text += "[cric.runtime]\n" + "".join("%s = %s\n" % kv for kv in [
        ("default_capabilities", toml_list(["CHOWN", "NET_RAW", "KILL"])),
        ("default_sysctls", toml_list(["net.ipv4.ip_unprivileged_port_start=100", "kernel.shmmni=1000"])),
        ("default_ulimits", toml_list(["nofile=1000:2000"])),
        ("pids_limit", "77"),
        ("default_mounts_file", '"%s"' % e.mounts_file),
        ("absent_mount_sources_to_reject", toml_list([e.rejected])),
        ("seccomp_profile", '"%s"' % e.seccomp),
        ("allowed_devices", toml_list(["/dev/fuse", "/dev/net/tun", "/dev/zero"])),
        ("additional_devices", toml_list(["/dev/null:/dev/extra-null:rw"])),
        ("device_ownership_from_security_context", "true"),
        ("apparmor_profile", '"unconfined"'),  # a name every AppArmor host knows
    ])
    e.config_text += ('[cric.runtime.runtimes.crun]\nallowed_annotations = ["io.kubernetes.cri-o.Devices", "io.kubernetes.cri-o.ShmSize"]\n'
                      'monitor_cgroup = "pod"\n'
                      '[cric.runtime.runtimes.runc]\nmonitor_cgroup = "%s"\n' % MONITORS_SLICE)
    try:
        yield from running_env(e)
    finally:
        remove_cgroup_tree("/crictest.slice")


@pytest.fixture
def ctx(env, tmp_path):
    c = Ctx(env, "crun", str(tmp_path))
    yield c
    c.cleanup()


def test_default_capabilities(ctx):
    c = ctx.sleeper(ctx.pod())
    caps = cap_bits(status_field(c.sh("cat /proc/self/status"), "CapEff"))
    assert caps == {0, 5, 13}  # CHOWN, KILL, NET_RAW
    add = pb.LinuxContainerSecurityContext(capabilities=pb.Capability(add_capabilities=["SYS_TIME"],
                                                                      drop_capabilities=["KILL"]))
    c2 = ctx.sleeper(ctx.pod(name="p2"), security=add)
    assert cap_bits(status_field(c2.sh("cat /proc/self/status"), "CapEff")) == {0, 13, 25}


def test_default_sysctls_and_the_pods_own(ctx):
    pod = ctx.pod(sysctls={"kernel.shmmni": "2000"})
    c = ctx.sleeper(pod)
    assert c.sh("cat /proc/sys/net/ipv4/ip_unprivileged_port_start") == "100\n"
    assert c.sh("cat /proc/sys/kernel/shmmni") == "2000\n"


def test_default_sysctls_left_out_of_host_network_pods(ctx):
    with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as f:
        before = f.read()
    c = ctx.sleeper(ctx.pod(net=pb.NODE))
    assert c.sh("cat /proc/sys/net/ipv4/ip_unprivileged_port_start") == before
    assert c.sh("cat /proc/sys/kernel/shmmni") == "1000\n"


def test_default_ulimits(ctx):
    c = ctx.sleeper(ctx.pod())
    line = [ln for ln in c.sh("cat /proc/self/limits").splitlines() if ln.startswith("Max open files")][0]
    assert line.split()[3:5] == ["1000", "2000"]
    assert c.sh("ulimit -n") == "1000\n"


def test_pids_limit(ctx):
    c = ctx.sleeper(ctx.pod())
    with open(os.path.join(cgroup_dir(c.pid(), "pids"), "pids.max")) as f:
        assert f.read().strip() == "77"


def test_default_mounts_file(ctx):
    c = ctx.sleeper(ctx.pod())
    assert c.sh("cat /run/node-secrets/token") == "from the node\n"
    assert c.sh("touch /run/node-secrets/x 2>&1; true").strip().endswith("Read-only file system")
    assert c.sh("ls -d /gone 2>&1; true").strip().endswith("No such file or directory")


def test_absent_mount_source_rejected(ctx):
    pod = ctx.pod()
    m = pb.Mount(container_path="/data", host_path=ctx.env.rejected)
    e = rpc_error(lambda: ctx.create(pod, mounts=[m]))
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert ctx.env.rejected in e.details() and "absent_mount_sources_to_reject" in e.details()
    assert not os.path.exists(ctx.env.rejected)
    other = os.path.join(ctx.tmp, "created")
    c = ctx.sleeper(pod, name="other", mounts=[pb.Mount(container_path="/data", host_path=other)])
    assert os.path.isdir(other)
    assert c.sh("ls -d /data") == "/data\n"


def test_seccomp_profile_is_runtime_default(ctx):
    pod = ctx.pod()
    rd = pb.LinuxContainerSecurityContext(seccomp=pb.SecurityProfile(profile_type=pb.SecurityProfile.RuntimeDefault))
    c = ctx.sleeper(pod, security=rd)
    assert "Operation not permitted" in c.sh("mkdir /tmp/x 2>&1; true")
    other = ctx.sleeper(pod, name="unconfined")
    other.sh("mkdir /tmp/x")


def test_additional_devices(ctx):
    c = ctx.sleeper(ctx.pod())
    assert c.sh("test -c /dev/extra-null && echo ok") == "ok\n"
    c.sh("echo x > /dev/extra-null")


def test_devices_annotation_when_the_handler_allows_it(ctx):
    pod = ctx.pod(annotations={"io.kubernetes.cri-o.Devices": "/dev/zero:/dev/azero:r"})
    c = ctx.sleeper(pod)
    assert c.sh("head -c 3 /dev/azero | od -An -tx1").split() == ["00", "00", "00"]
    other = ctx.sleeper(ctx.pod(name="runc-pod", handler="runc",
                                annotations={"io.kubernetes.cri-o.Devices": "/dev/zero:/dev/azero:r"}))
    assert other.sh("ls /dev/azero 2>&1; true").strip().endswith("No such file or directory")


def test_devices_annotation_outside_allowed_devices(ctx):
    pod = ctx.pod(annotations={"io.kubernetes.cri-o.Devices": "/dev/null:/dev/anull"})
    e = rpc_error(lambda: ctx.create(pod))
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "/dev/null is not in allowed_devices" in e.details()


def test_device_ownership_from_security_context(ctx):
    sec = pb.LinuxContainerSecurityContext(run_as_user=pb.Int64Value(value=1234),
                                           run_as_group=pb.Int64Value(value=5678))
    dev = pb.Device(host_path="/dev/null", container_path="/dev/owned", permissions="rw")
    c = ctx.sleeper(ctx.pod(), devices=[dev], security=sec)
    assert c.sh("stat -c '%u %g' /dev/owned") == "1234 5678\n"
    assert c.sh("id -u") == "1234\n"


def shm_kib(c):
    return int(c.sh("df -k /dev/shm | tail -n 1").split()[1])


def test_shm_size_annotation_when_the_handler_allows_it(ctx):
    ann = {"io.kubernetes.cri-o.ShmSize": "128Mi"}
    assert shm_kib(ctx.sleeper(ctx.pod(annotations=ann))) == 128 * 1024
    assert shm_kib(ctx.sleeper(ctx.pod(name="runc-pod", handler="runc", annotations=ann))) == 64 * 1024
    e = rpc_error(lambda: ctx.pod(name="bad", annotations={"io.kubernetes.cri-o.ShmSize": "lots"}))
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "io.kubernetes.cri-o.ShmSize" in e.details() and "lots" in e.details()


def proc_cgroup(pid, controller):
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if controller in ctrls.split(","):
                return path
    raise AssertionError("pid %d has no %s cgroup" % (pid, controller))


def test_monitor_cgroup(ctx):
    parent = "/cric-test-pod-%s" % ctx.tag
    c = ctx.sleeper(ctx.pod(cgroup_parent=parent))
    monitor = c.info()["monitorPid"]
    for controller in ("pids", "memory", "cpu"):
        assert proc_cgroup(monitor, controller) == parent
    assert proc_cgroup(c.pid(), "pids").startswith(parent + "/")
    other = ctx.sleeper(ctx.pod(name="runc-pod", handler="runc"))
    runc_monitor = other.info()["monitorPid"]
    assert proc_cgroup(runc_monitor, "pids") == MONITORS_CGROUP
    assert proc_cgroup(runc_monitor, "cpuset") == MONITORS_CGROUP
    for x in (c, other):
        x.stop(timeout=5)
        x.remove()
    for pid in (monitor, runc_monitor):
        wait_for(lambda: proc_state(pid) is None, 20, "monitor %d to end" % pid)


def apparmor_enabled():
    try:
        with open("/sys/module/apparmor/parameters/enabled") as f:
            return f.read().strip() == "Y"
    except OSError:
        return False


def selinux_enabled():
    return os.path.exists("/sys/fs/selinux/enforce")


@pytest.mark.skipif(not apparmor_enabled(), reason="AppArmor is not enabled on this host (apparmor_profile is "
                                                  "covered by the oci_spec_node unit tests)")
def test_apparmor_profile(ctx):
    c = ctx.sleeper(ctx.pod())  # RuntimeDefault: the node's apparmor_profile
    assert c.sh("cat /proc/self/attr/current").split()[0] == "unconfined"


@pytest.mark.skipif(not selinux_enabled(), reason="SELinux is not enabled on this host (selinux is covered by the "
                                                 "oci_spec_node and oci_spec_labels unit tests)")
def test_selinux_labels(ctx):
    c = ctx.sleeper(ctx.pod())
    assert "container_t" in c.sh("cat /proc/self/attr/current")


def test_pinned_image_is_not_removed(ctx):
    img = pb.ImageSpec(image=ctx.env.config_image)
    st = ctx.d.image.ImageStatus(pb.ImageStatusRequest(image=img), timeout=30)
    assert st.image.pinned
    e = rpc_error(lambda: ctx.d.image.RemoveImage(pb.RemoveImageRequest(image=img), timeout=30))
    assert e.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert ctx.env.config_image in e.details() and "*/ctr-config:*" in e.details()
    by_id = pb.ImageSpec(image=ctx.env.ids[ctx.env.config_image])
    e = rpc_error(lambda: ctx.d.image.RemoveImage(pb.RemoveImageRequest(image=by_id), timeout=30))
    assert e.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert ctx.d.image.ImageStatus(pb.ImageStatusRequest(image=img), timeout=30).image.id


def test_prune_keeps_pinned_images(ctx):
    """`cricctl rmi --prune`, an image GC: the pinned image stays, without an error."""
    try:
        r = ctx.d.cricctl("rmi", "--prune", timeout=120)
        assert ctx.env.config_image not in r.stdout
        assert "pinned" not in r.stderr and ctx.env.config_image not in r.stderr  # skipped, not refused
        img = pb.ImageSpec(image=ctx.env.config_image)
        assert ctx.d.image.ImageStatus(pb.ImageStatusRequest(image=img), timeout=30).image.pinned
    finally:  # what the prune removed, for the tests after this one
        ctx.env.ids = ctx.env.pull_all(ctx.d)


@pytest.mark.parametrize("args,text", [
    (["--default-mounts-file", "/nonexistent/cric/mounts.conf"], "default_mounts_file /nonexistent/cric/mounts.conf"),
    (["--seccomp-profile", "/nonexistent/cric/seccomp.json"], "/nonexistent/cric/seccomp.json"),
    (["--default-sysctls", "kernel.panic=1"], "kernel.panic"),
    (["--default-ulimits", "nofiles=1"], "nofiles"),
    (["--default-capabilities", "NOPE"], "NOPE"),
])
def test_bad_node_settings_refuse_to_start(make_daemon, args, text):
    d = make_daemon(extra_args=args)
    with pytest.raises(RuntimeError) as e:
        d.start()
    assert text in str(e.value)


def test_bad_monitor_cgroup_refuses_to_start(make_daemon):
    d = make_daemon(config_text='[cric.runtime.runtimes.crun]\nmonitor_cgroup = "../escape"\n')
    with pytest.raises(RuntimeError) as e:
        d.start()
    assert "monitor_cgroup" in str(e.value) and "../escape" in str(e.value)


def test_reload_with_bad_node_settings_keeps_the_running_ones(make_daemon):
    d = make_daemon().start()
    with open(d.config, "a") as f:
        f.write('\n[cric.runtime]\nseccomp_profile = "/nonexistent/cric/reload.json"\n')
    d.signal(signal.SIGHUP)
    wait_for(lambda: "keeping the running configuration" in d.read_log(), 10, "the refused reload in the log")
    assert "/nonexistent/cric/reload.json" in d.read_log()
    assert d.runtime.Version(pb.VersionRequest(), timeout=5).runtime_name == "cric"


def test_flags(tmp_path):
    base = [cric.CRICD, "--config", str(tmp_path / "none.conf"), "--config-dir", str(tmp_path / "none")]
    (tmp_path / "none.conf").write_text("")
    r = subprocess.run(base + ["--default-capabilities", "CHOWN", "--default-capabilities=KILL",
                               "--default-sysctls", "net.ipv4.ip_forward=1", "--default-ulimits", "nofile=1:2",
                               "--pids-limit", "42", "--default-mounts-file", "/etc/m.conf",
                               "--absent-mount-sources-to-reject", "/a", "--seccomp-profile", "/s.json",
                               "--allowed-devices", "/dev/kvm", "--additional-devices", "/dev/null:/dev/n:r",
                               "--device-ownership-from-security-context", "--apparmor-profile", "crio-default",
                               "--selinux=true", "--insecure-registry", "10.0.0.0/8",
                               "--insecure-registry", "reg:5000", "config"],
                       capture_output=True, text=True, check=True)
    for line in ['default_capabilities = ["CHOWN", "KILL"]', 'default_sysctls = ["net.ipv4.ip_forward=1"]',
                 'default_ulimits = ["nofile=1:2"]', "pids_limit = 42", 'default_mounts_file = "/etc/m.conf"',
                 'absent_mount_sources_to_reject = ["/a"]', 'seccomp_profile = "/s.json"',
                 'allowed_devices = ["/dev/kvm"]', 'additional_devices = ["/dev/null:/dev/n:r"]',
                 "device_ownership_from_security_context = true", 'apparmor_profile = "crio-default"',
                 "selinux = true", 'insecure_registries = ["10.0.0.0/8", "reg:5000"]']:
        assert line in r.stdout
    r = subprocess.run([cric.CRICD, "config", "--default"], capture_output=True, text=True, check=True)
    assert ('default_capabilities = ["CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "SETGID", "SETUID", "SETPCAP", '
            '"NET_BIND_SERVICE", "KILL"]') in r.stdout
    for line in ["pids_limit = -1", 'allowed_devices = ["/dev/fuse", "/dev/net/tun"]', "selinux = false",
                 'apparmor_profile = "cric-default"', 'monitor_cgroup = ""', "allowed_annotations = []"]:
        assert line in r.stdout


# ---- insecure_registries ([cric.image], --insecure-registry) ----

def image_daemon(make_daemon, tmp_path, extra_args=()):
    """A daemon with an empty registries.conf (nothing insecure there) and its own certs.d."""
    conf = tmp_path / "registries.conf"
    conf.write_text("")
    cfg = '[cric.image]\ncerts_dir = "%s"\n' % (tmp_path / "certs.d")
    return make_daemon(config_text=cfg, extra_args=["--registries-conf", str(conf)] + list(extra_args)).start()


def pull(d, ref):
    return d.image.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=ref)), timeout=120).image_ref


def test_plain_http_registry_needs_insecure(make_daemon, tmp_path, registry):
    d = image_daemon(make_daemon, tmp_path)
    with pytest.raises(grpc.RpcError):
        pull(d, registry.reference("busybox"))


@pytest.mark.parametrize("entry", ["host", "cidr"])
def test_insecure_registry_plain_http(make_daemon, tmp_path, registry, entry):
    listed = registry.host if entry == "host" else "127.0.0.0/8"
    d = image_daemon(make_daemon, tmp_path, ["--insecure-registry", listed])
    assert pull(d, registry.reference("busybox"))


def test_insecure_registry_skips_tls_verification(make_daemon, tmp_path, tls_registry):
    d = image_daemon(make_daemon, tmp_path, ["--insecure-registry", "10.0.0.0/8",
                                             "--insecure-registry", tls_registry.host])
    assert pull(d, tls_registry.reference("busybox"))
