"""StartContainer without a second runtime process (src/oci/start_fifo.c): for a handler
running crun or runc, cricd releases the created container's init through the runtime's
exec.fifo itself, as `crun start` and `runc start` do. Handlers run the runtimes through
logging wrappers: "crun" and "runc" (named so: they qualify) and "by-runtime" (another
name: `start` runs as before). The log shows which path ran. Checked: the container and
a pod's infra process run and the runtime's own `state` says running; a container with a
poststart hook, which crun runs in `start`, gets `crun start` and its hook; an init that
died between CreateContainer and StartContainer makes StartContainer fail with the
runtime's error, not hang. Needs root."""
import json
import os
import stat
import subprocess
import sys

import grpc
import pytest

from cric import pb, wait_for
from test_containers import Ctx, Env, running_env

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run containers"),
    pytest.mark.usefixtures("registry"),
]

# handler: (wrapper's name, the runtime it runs)
HANDLERS = {"crun": ("crun", "/usr/bin/crun"), "runc": ("runc", "/usr/sbin/runc"),
            "by-runtime": ("crun-by-runtime", "/usr/bin/crun")}
ANNOTATION = "example.com/poststart"

HOOK = r'''
import json, os, sys
state = json.load(sys.stdin)
path = os.path.join(sys.argv[1], state["id"] + "-poststart")
with open(path + ".tmp", "w") as f:  # then renamed: whole or absent when the test looks
    json.dump(state, f)
os.rename(path + ".tmp", path)
'''


class StartEnv(Env):
    def __init__(self, registry, workdir):
        super().__init__(registry, workdir)
        self.call_log = os.path.join(workdir, "runtime-calls.log")
        self.roots = {}
        text = ""
        for handler, (name, binary) in HANDLERS.items():
            d = os.path.join(workdir, "bin-" + handler)
            os.makedirs(d)
            wrapper = os.path.join(d, name)
            with open(wrapper, "w") as f:
                f.write('#!/bin/sh\necho "%s $*" >> %s\nexec %s "$@"\n' % (handler, self.call_log, binary))
            os.chmod(wrapper, stat.S_IRWXU)
            self.roots[handler] = os.path.join(workdir, "oci-" + handler)
            text += '[cric.runtime.runtimes.%s]\nruntime_path = "%s"\nruntime_root = "%s"\n' % (
                handler, wrapper, self.roots[handler])
        self.handlers_text = text
        self.markers = os.path.join(workdir, "markers")
        hooks = os.path.join(workdir, "hooks")
        os.makedirs(self.markers)
        os.makedirs(hooks)
        script = os.path.join(workdir, "hook.py")
        with open(script, "w") as f:
            f.write(HOOK)
        with open(os.path.join(hooks, "poststart.json"), "w") as f:
            json.dump({"version": "1.0.0", "hook": {"path": sys.executable, "args": ["python3", script, self.markers]},
                       "when": {"annotations": {"^example\\.com/poststart$": "^yes$"}}, "stages": ["poststart"]}, f)
        self.config_text += '[cric.runtime]\nhooks_dir = ["%s"]\n' % hooks

    def daemon_kwargs(self):
        kw = super().daemon_kwargs()
        kw["dropins"] = {"50-handlers.conf": self.handlers_text}
        return kw

    def calls(self, handler, verb, cid=None):
        if not os.path.exists(self.call_log):
            return 0
        with open(self.call_log) as f:
            return sum(1 for line in f if line.startswith(handler + " ") and (" %s " % verb) in line
                       and (cid is None or line.rstrip().endswith(" " + cid)))

    def runtime_state(self, handler, cid):
        binary = HANDLERS[handler][1]
        out = subprocess.run([binary, "--root", self.roots[handler], "state", cid], capture_output=True, check=True)
        return json.loads(out.stdout)

    def runtime_status(self, handler, cid):
        return self.runtime_state(handler, cid)["status"]


@pytest.fixture(scope="module")
def env(registry, tmp_path_factory):
    yield from running_env(StartEnv(registry, str(tmp_path_factory.mktemp("start-native"))))


@pytest.fixture(params=sorted(HANDLERS))
def ctx(request, env, tmp_path):
    c = Ctx(env, request.param, str(tmp_path))
    yield c
    c.cleanup()


def test_start_without_the_runtime_where_it_qualifies(env, ctx):
    h = ctx.handler
    pod = ctx.pod(pid=pb.POD)  # a shared PID namespace: the pod has an infra process, started the same way
    c = ctx.create(pod, command=["sleep", "100000"])
    assert c.state() == pb.CONTAINER_CREATED
    assert env.runtime_status(h, c.id) == "created"
    c.start()
    assert c.state() == pb.CONTAINER_RUNNING
    assert env.runtime_status(h, c.id) == "running"
    assert c.sh("echo hi") == "hi\n"
    assert env.calls(h, "create", c.id) == 1
    starts = env.calls(h, "start", c.id) + env.calls(h, "start", pod.id)
    if h == "by-runtime":
        assert starts == 2, "the other handler did not run `start`"
    else:
        assert starts == 0, "`%s start` ran" % h
        assert env.runtime_status(h, pod.id) == "running"
    # and it stops and goes as before
    c.stop(timeout=0)
    assert c.st().exit_code == 137
    c.remove()


def test_a_poststart_hook_keeps_the_runtimes_start(env, ctx):
    h = ctx.handler
    c = ctx.create(ctx.pod(), command=["sleep", "100000"], annotations={ANNOTATION: "yes"})
    c.start()
    marker = os.path.join(env.markers, c.id + "-poststart")
    wait_for(lambda: os.path.exists(marker), 20, "the poststart marker of %s" % c.id[:12])
    with open(marker) as f:
        assert json.load(f)["id"] == c.id
    if h != "runc":  # runc runs poststart hooks in `create` already
        assert env.calls(h, "start", c.id) == 1
    other = ctx.create(ctx.pod(), command=["sleep", "100000"]).start()
    assert not os.path.exists(os.path.join(env.markers, other.id + "-poststart"))
    assert env.calls(h, "start", other.id) == (1 if h == "by-runtime" else 0)


def is_dead(pid):
    """Whether pid is a zombie or gone (reaped between any two looks at /proc: no race)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ")[1][0] in "ZX"
    except (FileNotFoundError, ProcessLookupError):
        return True


def test_an_init_gone_before_start_fails_the_start(env, ctx):
    c = ctx.create(ctx.pod(), command=["sleep", "100000"])
    pid = env.runtime_state(ctx.handler, c.id)["pid"]
    assert pid > 1
    os.kill(pid, 9)
    wait_for(lambda: is_dead(pid), 10, "the init to die")
    with pytest.raises(grpc.RpcError) as e:
        c.start()
    assert c.id in e.value.details()
    st = c.wait_exit()
    assert st.reason == "StartError" or st.exit_code == 137, st
    with pytest.raises(grpc.RpcError) as e:
        c.start()
    assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION
