"""CDI devices over the real socket, with real crun: a daemon started with two
--cdi-spec-dirs whose specs (written here) add a device node, a bind mount and
environment; containers ask for the devices through the CRI's CDI_devices field and
through cdi.k8s.io/ annotations, and see them. A later spec dir wins over an earlier
one, and an unresolvable device fails CreateContainer with NOT_FOUND, leaving nothing
behind. Uses the helpers of test_containers. Needs root."""
import json
import os
import subprocess

import grpc
import pytest

import cric
from cric import pb, rpc_error
from test_containers import Ctx, Env, running_env

KIND = "cric-test.example.com/dev"
YAML_KIND = "cric-test.example.com/yaml"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run containers"),
    pytest.mark.usefixtures("registry"),
]


def write_specs(base):
    """Two spec dirs: the earlier one defines device "a" too, the later one must win."""
    etc, run, share = (os.path.join(base, n) for n in ("etc-cdi", "run-cdi", "share"))
    for d in (etc, run, share):
        os.makedirs(d)
    with open(os.path.join(share, "hello.txt"), "w") as f:
        f.write("cdi-mount-ok\n")
    earlier = {"cdiVersion": "0.6.0", "kind": KIND,
               "devices": [{"name": "a", "containerEdits": {"env": ["CDI_DEV=earlier"]}}]}
    later = {
        "cdiVersion": "0.6.0", "kind": KIND,
        "containerEdits": {"env": ["CDI_SPEC=1"]},
        "devices": [
            {"name": "a", "containerEdits": {
                "env": ["CDI_DEV=later"],
                "deviceNodes": [{"path": "/dev/cdi-test", "hostPath": "/dev/null"}],
                "mounts": [{"hostPath": share, "containerPath": "/cdi-share", "options": ["ro", "rbind"]}]}},
            {"name": "b", "containerEdits": {
                "deviceNodes": [{"path": "/dev/cdi-zero", "hostPath": "/dev/zero"}]}},
            # /dev/zero and /dev/null are always allowed by the OCI runtimes: read-only
            # access is checked on another device
            {"name": "ro", "containerEdits": {
                "deviceNodes": [{"path": "/dev/cdi-ro", "hostPath": "/dev/loop-control", "permissions": "r"}]}},
        ],
    }
    for d, spec in ((etc, earlier), (run, later)):
        with open(os.path.join(d, "test.json"), "w") as f:
            json.dump(spec, f)
    # what nvidia-ctk writes: YAML, with an octal file mode
    with open(os.path.join(run, "yaml.yaml"), "w") as f:
        f.write("cdiVersion: 0.6.0\nkind: %s\ndevices:\n- name: y\n  containerEdits:\n"
                "    env: [CDI_YAML=yes]\n"
                "    deviceNodes:\n    - {path: /dev/cdi-yaml, hostPath: /dev/zero, fileMode: 0640}\n" % YAML_KIND)
    return etc, run


@pytest.fixture(scope="module")
def env(registry, tmp_path_factory):
    e = Env(registry, str(tmp_path_factory.mktemp("cdi")))
    etc, run = write_specs(os.path.join(e.workdir, "cdi"))
    yield from running_env(e, ["--cdi-spec-dirs", etc, "--cdi-spec-dirs", run])


@pytest.fixture
def ctx(env, tmp_path):
    c = Ctx(env, "crun", str(tmp_path))
    yield c
    c.cleanup()


def host_numbers(dev):
    """major:minor of a host device node, as stat's %t:%T prints them."""
    st = os.stat(dev)
    return "%x:%x" % (os.major(st.st_rdev), os.minor(st.st_rdev))


def cdi_sleeper(ctx, pod, name, devices=(), annotations=None):
    cfg = ctx.config(pod, name, command=["sleep", "100000"], annotations=annotations)
    for dev in devices:
        cfg.CDI_devices.add(name=dev)
    return ctx.create_config(pod, cfg).start()


def test_config_shows_the_spec_dirs(env):
    """`cricd config` prints the key with the dirs the flags gave, and its default."""
    out = subprocess.run(env.d.args() + ["config"], capture_output=True, text=True, check=True).stdout
    etc, run = (os.path.join(env.workdir, "cdi", n) for n in ("etc-cdi", "run-cdi"))
    assert 'cdi_spec_dirs = ["%s", "%s"]' % (etc, run) in out, out
    out = subprocess.run([cric.CRICD, "config", "--default"], capture_output=True, text=True, check=True).stdout
    assert 'cdi_spec_dirs = ["/etc/cdi", "/var/run/cdi"]' in out, out


def test_cri_field_adds_device_mount_and_env(ctx):
    pod = ctx.pod()
    c = cdi_sleeper(ctx, pod, "field", devices=[KIND + "=a"])
    assert c.sh("stat -c '%F %t:%T' /dev/cdi-test").strip() == "character special file " + host_numbers("/dev/null")
    assert c.exec(["sh", "-c", "echo x > /dev/cdi-test"]).exit_code == 0  # rwm by default
    assert c.sh("cat /cdi-share/hello.txt") == "cdi-mount-ok\n"
    assert c.exec(["touch", "/cdi-share/new"]).exit_code != 0  # "ro"
    assert c.sh("echo $CDI_DEV $CDI_SPEC").strip() == "later 1"
    assert c.exec(["test", "-e", "/dev/cdi-zero"]).exit_code != 0  # not asked for


def test_annotation_adds_devices(ctx):
    pod = ctx.pod()
    c = cdi_sleeper(ctx, pod, "ann", annotations={"cdi.k8s.io/test": "%s=b, %s=a" % (KIND, KIND)},
                    devices=[KIND + "=a"])
    assert c.sh("stat -c '%F' /dev/cdi-zero /dev/cdi-test").split("\n")[:2] == ["character special file"] * 2
    assert c.exec(["sh", "-c", "head -c 4 /dev/cdi-zero | wc -c"]).stdout.strip() == b"4"
    spec = json.loads(c.status(verbose=True).info["info"]).get("runtimeSpec")
    if spec:
        paths = [d["path"] for d in spec["linux"]["devices"]]
        assert paths.count("/dev/cdi-test") == 1 and paths.count("/dev/cdi-zero") == 1


def test_yaml_spec(ctx):
    pod = ctx.pod()
    c = cdi_sleeper(ctx, pod, "yaml", devices=[YAML_KIND + "=y"])
    assert c.sh("stat -c '%F %t:%T %a' /dev/cdi-yaml").strip() == \
        "character special file %s 640" % host_numbers("/dev/zero")
    assert c.sh("echo $CDI_YAML").strip() == "yes"


def test_device_permissions(ctx):
    if not os.path.exists("/dev/loop-control"):
        pytest.skip("no /dev/loop-control on this host")
    pod = ctx.pod()
    c = cdi_sleeper(ctx, pod, "ro", devices=[KIND + "=ro"])
    assert c.exec(["sh", "-c", ": < /dev/cdi-ro"]).exit_code == 0
    r = c.exec(["sh", "-c", ": > /dev/cdi-ro"])  # permissions "r"
    assert r.exit_code != 0 and b"not permitted" in r.stderr, r


def test_unknown_device_fails_and_leaves_nothing(ctx):
    pod = ctx.pod()
    ctr_dir = os.path.join(ctx.d.root, "containers")
    runtime_root = ctx.d.runtime_roots.get("crun")

    def entries(d):
        return sorted(os.listdir(d)) if d and os.path.isdir(d) else []

    before = (entries(ctr_dir), entries(runtime_root))
    e = rpc_error(cdi_sleeper, ctx, pod, "unknown", devices=[KIND + "=a", KIND + "=nope"])
    assert e.code() == grpc.StatusCode.NOT_FOUND, e
    assert "unresolvable CDI devices: %s=nope" % KIND in e.details()
    e = rpc_error(cdi_sleeper, ctx, pod, "badname", devices=["not-qualified"])
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
    assert "not-qualified" in e.details()
    assert ctx.list(pod_sandbox_id=pod.id) == []
    assert (entries(ctr_dir), entries(runtime_root)) == before
