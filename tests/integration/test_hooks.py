"""OCI hooks (oci-hooks(5), 1.0.0) with a real cricd, crun and runc: hook files in the
configured hooks_dir list end up in the containers' config.json and the runtime runs
them. The hooks are a Python script that records what it got on stdin (the OCI state):

- a createRuntime hook writes a file into the container's root file system (found from
  the bundle's config.json), which the container then sees; the same file name in an
  earlier directory is masked;
- a createContainer hook (in the container's mount namespace, before pivot_root)
  bind-mounts a host directory into the container, for containers with an annotation;
- a hook whose "when" asks for an annotation runs for a container with it only;
- a poststop hook writes a marker on the host when the container is deleted;
- an invalid hook file is logged and skipped, and containers still run.

Needs root.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

import cric
from cric import wait_for
from test_containers import Env, ctx, running_env  # noqa: F401 (ctx: a fixture, on this module's env)

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run containers"),
    pytest.mark.usefixtures("registry"),
]

HOOK_SCRIPT = r'''
import json, os, subprocess, sys
what, target = sys.argv[1], sys.argv[2]
state = json.load(sys.stdin)
if what == "mount":  # createContainer: in the container's mount namespace, before pivot_root
    mount = sys.argv[3]
    with open(os.path.join(state["bundle"], "config.json")) as f:
        root = os.path.join(state["bundle"], json.load(f)["root"]["path"])
    os.makedirs(os.path.join(root, "hook-mnt"), exist_ok=True)
    subprocess.run([mount, "--bind", target, os.path.join(root, "hook-mnt")], check=True)
elif what == "rootfs":
    with open(os.path.join(state["bundle"], "config.json")) as f:
        root = os.path.join(state["bundle"], json.load(f)["root"]["path"])
    with open(os.path.join(root, "hook-created"), "w") as f:
        f.write("%s %s\n" % (target, state["id"]))
else:  # whole or absent (a rename): a test may read it the moment it appears
    path = os.path.join(target, "%s-%s" % (state["id"], what))
    with open(path + ".tmp", "w") as f:
        json.dump(state, f)
    os.rename(path + ".tmp", path)
'''

ANNOTATION = "example.com/hook-me"


def hook_file(script, what, target, stages, when, extra=()):
    return json.dumps({
        "version": "1.0.0",
        "hook": {"path": sys.executable, "args": ["python3", script, what, target] + list(extra), "timeout": 30},
        "when": when,
        "stages": stages,
    })


class HooksEnv:
    """Two hook directories (low, then high: high masks low) and a marker directory."""

    def __init__(self, root):
        self.low, self.high, self.markers, self.shared = (os.path.join(root, n)
                                                          for n in ("low", "high", "markers", "shared"))
        for d in (self.low, self.high, self.markers, self.shared):
            os.makedirs(d)
        self.script = os.path.join(root, "hook.py")
        with open(self.script, "w") as f:
            f.write(HOOK_SCRIPT)
        files = {
            (self.low, "10-rootfs.json"): hook_file(self.script, "rootfs", "from-low", ["createRuntime"],
                                                    {"always": True}),
            (self.high, "10-rootfs.json"): hook_file(self.script, "rootfs", "from-high", ["createRuntime"],
                                                     {"always": True}),
            (self.high, "20-annotated.json"): hook_file(self.script, "annotated", self.markers, ["createRuntime"],
                                                        {"annotations": {"^example\\.com/hook-me$": "^yes$"}}),
            (self.high, "25-mount.json"): hook_file(self.script, "mount", self.shared, ["createContainer"],
                                                    {"annotations": {"^example\\.com/mount$": "^yes$"}},
                                                    [shutil.which("mount")]),
            (self.low, "30-poststop.json"): hook_file(self.script, "poststop", self.markers, ["poststop"],
                                                      {"always": True}),
            (self.high, "00-invalid.json"): hook_file(self.script, "never", self.markers, ["pre-start"],
                                                      {"always": True}),
            (self.high, "05-broken.json"): '{"version": "1.0.0", "hook": ',
        }
        with open(os.path.join(self.shared, "from-host"), "w") as f:
            f.write("shared by a hook\n")
        for (d, name), text in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text)

    def marker(self, cid, what):
        return os.path.join(self.markers, "%s-%s" % (cid, what))


@pytest.fixture(scope="module")
def env(registry, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("hooks"))
    e = Env(registry, root)
    e.hooks = HooksEnv(root)
    e.config_text += '[cric.runtime]\nhooks_dir = ["%s", "%s"]\n' % (e.hooks.low, e.hooks.high)
    yield from running_env(e)


def test_create_runtime_hook_writes_into_the_rootfs(ctx):
    pod = ctx.pod()
    c = ctx.sleeper(pod)
    # the file of the later directory masks the earlier one's
    assert c.sh("cat /hook-created") == "from-high %s\n" % c.id


def test_create_container_hook_adds_a_bind_mount(ctx):
    pod = ctx.pod()
    c = ctx.sleeper(pod, annotations={"example.com/mount": "yes"})
    assert c.sh("cat /hook-mnt/from-host") == "shared by a hook\n"
    assert " /hook-mnt " in c.sh("cat /proc/self/mountinfo")
    other = ctx.sleeper(pod, name="other")
    assert c.sh("ls /hook-mnt") == "from-host\n"
    assert other.sh("ls -d /hook-mnt 2>&1; true").strip().endswith("No such file or directory")


def test_annotation_hook_runs_only_with_the_annotation(ctx):
    pod = ctx.pod()
    with_it = ctx.sleeper(pod, name="with", annotations={ANNOTATION: "yes"})
    other_value = ctx.sleeper(pod, name="other", annotations={ANNOTATION: "no"})
    without = ctx.sleeper(pod, name="without")
    # createRuntime hooks have run once `create` returned
    with open(ctx.env.hooks.marker(with_it.id, "annotated")) as f:
        state = json.load(f)
    assert state["id"] == with_it.id
    assert state["annotations"][ANNOTATION] == "yes"
    assert state["annotations"]["io.kubernetes.cri.container-name"] == "with"
    assert not os.path.exists(ctx.env.hooks.marker(other_value.id, "annotated"))
    assert not os.path.exists(ctx.env.hooks.marker(without.id, "annotated"))


def test_pod_annotation_counts(ctx):
    pod = ctx.pod(annotations={ANNOTATION: "yes"})
    c = ctx.sleeper(pod)
    assert os.path.exists(ctx.env.hooks.marker(c.id, "annotated"))


def test_poststop_hook_runs_when_the_container_is_deleted(ctx):
    pod = ctx.pod()
    c, st = ctx.run_to_exit(pod, command=["true"])
    assert st.exit_code == 0
    marker = ctx.env.hooks.marker(c.id, "poststop")
    c.remove()
    wait_for(lambda: os.path.exists(marker), 20, "the poststop marker of %s" % c.id[:12])
    with open(marker) as f:
        assert json.load(f)["id"] == c.id


def test_invalid_hook_files_are_logged_and_skipped(ctx):
    pod = ctx.pod()
    c = ctx.sleeper(pod)
    assert c.sh("echo alive") == "alive\n"
    log = ctx.d.read_log()
    assert "invalid hook file %s/00-invalid.json: unknown stage \"pre-start\", skipping it" % ctx.env.hooks.high \
        in log
    assert "invalid hook file %s/05-broken.json: invalid JSON" % ctx.env.hooks.high in log
    assert not os.path.exists(ctx.env.hooks.marker(c.id, "never"))


def test_hooks_dir_is_read_at_every_create(ctx):
    pod = ctx.pod()
    path = os.path.join(ctx.env.hooks.high, "40-late.json")
    with open(path, "w") as f:
        f.write(hook_file(ctx.env.hooks.script, "late", ctx.env.hooks.markers, ["createRuntime"], {"always": True}))
    try:
        c = ctx.sleeper(pod)
        assert os.path.exists(ctx.env.hooks.marker(c.id, "late"))
    finally:
        os.unlink(path)
    c2 = ctx.sleeper(pod, name="after")
    assert not os.path.exists(ctx.env.hooks.marker(c2.id, "late"))


def test_hooks_dir_flag_replaces_then_appends(tmp_path):
    conf = tmp_path / "cric.conf"
    conf.write_text('[cric.runtime]\nhooks_dir = ["/from/file"]\n')
    base = [cric.CRICD, "--config", str(conf), "--config-dir", str(tmp_path / "none")]
    r = subprocess.run(base + ["config"], capture_output=True, text=True, check=True)
    assert 'hooks_dir = ["/from/file"]' in r.stdout
    r = subprocess.run(base + ["--hooks-dir", "/a", "--hooks-dir=/b", "config"], capture_output=True, text=True,
                       check=True)
    assert 'hooks_dir = ["/a", "/b"]' in r.stdout
    r = subprocess.run([cric.CRICD, "config", "--default"], capture_output=True, text=True, check=True)
    assert 'hooks_dir = ["/usr/share/containers/oci/hooks.d"]' in r.stdout
