"""Exec without the OCI runtime (src/enter/): cricd joins the container itself for
ExecSync and Exec when the handler runs crun or runc. Two handlers run crun through a
logging wrapper: "native", whose wrapper is named `crun` (so it qualifies), and
"through-runtime", whose wrapper has another name (so execs go through `crun exec`, as
before). The log shows which path ran; the exec'd process must look the same either way
(user, groups, capabilities, no_new_privs, seccomp, namespaces, cgroups, working
directory, environment, limits, umask, OOM score, descriptors), for several security
contexts. Uses the helpers of test_containers. Needs root."""
import os
import stat

import pytest

from cric import pb, wait_for
from fixtures import k8s_stream as ks
from test_containers import Ctx, Env, running_env, status_field

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run containers"),
    pytest.mark.usefixtures("registry"),
]

HANDLERS = {"native": "crun", "through-runtime": "crun-by-runtime"}

# What the exec'd process reports about itself; the namespaces and cgroups are compared
# with the container's init (pid 1 of the container's PID namespace, or the pod's).
PROBE = r"""
grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|Seccomp_filters):' /proc/self/status
echo "cwd $(pwd)"
echo "umask $(umask)"
echo "oom $(cat /proc/self/oom_score_adj)"
echo "fds $(ls /proc/self/fd | tr '\n' ' ')"
echo "ppid $PPID"
for n in cgroup ipc mnt net pid uts; do echo "ns $n $(readlink /proc/self/ns/$n)"; done
cat /proc/self/cgroup | sed 's/^/cgroup /'
grep -E '^Max (open files|processes|core)' /proc/self/limits
env | grep -v -E '^(PWD|SHLVL|_)=' | sort | sed 's/^/env /'
echo "tty $(tty)"
"""


class NativeEnv(Env):
    def __init__(self, registry, workdir):
        super().__init__(registry, workdir)
        self.call_log = os.path.join(workdir, "runtime-calls.log")
        text = ""
        for handler, name in HANDLERS.items():
            d = os.path.join(workdir, "bin-" + handler)
            os.makedirs(d)
            wrapper = os.path.join(d, name)
            with open(wrapper, "w") as f:
                f.write('#!/bin/sh\necho "%s $*" >> %s\nexec /usr/bin/crun "$@"\n' % (handler, self.call_log))
            os.chmod(wrapper, stat.S_IRWXU)
            text += '[cric.runtime.runtimes.%s]\nruntime_path = "%s"\nruntime_root = "%s"\n' % (
                handler, wrapper, os.path.join(workdir, "oci-" + handler))
        self.handlers_text = text

    def daemon_kwargs(self):
        kw = super().daemon_kwargs()
        kw["dropins"] = {"50-handlers.conf": self.handlers_text}
        return kw

    def calls(self, handler, verb):
        if not os.path.exists(self.call_log):
            return 0
        with open(self.call_log) as f:
            return sum(1 for line in f if line.startswith(handler + " ") and (" %s " % verb) in line)


@pytest.fixture(scope="module")
def env(registry, tmp_path_factory):
    yield from running_env(NativeEnv(registry, str(tmp_path_factory.mktemp("exec-native"))))


@pytest.fixture
def ctxs(env, tmp_path):
    cs = {h: Ctx(env, h, str(tmp_path / h)) for h in HANDLERS}
    yield cs
    for c in cs.values():
        c.cleanup()


def probe(c):
    out = c.sh(PROBE)
    init = c.pid()
    lines = []
    for line in out.splitlines():
        if line.startswith("ns "):
            _, kind, link = line.split(" ", 2)
            assert link == os.readlink("/proc/%d/ns/%s" % (init, kind)), (kind, link)
            continue
        if line.startswith("cgroup "):
            with open("/proc/%d/cgroup" % init) as f:
                assert line[len("cgroup "):] in f.read().splitlines(), line
            continue
        lines.append(line)
    return lines


SECURITY = {
    "default": dict(),
    "user-groups-caps-nnp": dict(
        run_as_user=pb.Int64Value(value=1000), run_as_group=pb.Int64Value(value=3000),
        supplemental_groups=[4000, 5000], no_new_privs=True,
        capabilities=pb.Capability(add_capabilities=["NET_ADMIN", "NET_RAW"], drop_capabilities=["CHOWN"])),
    "runtime-default-seccomp": dict(seccomp=pb.SecurityProfile(profile_type=pb.SecurityProfile.RuntimeDefault),
                                    readonly_rootfs=True),
    "no-caps-root": dict(capabilities=pb.Capability(drop_capabilities=["ALL"])),
}


NAMESPACES = {"container": dict(pid=pb.CONTAINER), "pod": dict(pid=pb.POD),
              "node": dict(pid=pb.NODE, net=pb.NODE, ipc=pb.NODE)}


@pytest.mark.parametrize("security,pid_ns", [(s, n) for s in sorted(SECURITY) for n in ("container", "pod")] +
                         [("default", "node"), ("user-groups-caps-nnp", "node")])
def test_the_exec_looks_the_same_on_both_paths(env, ctxs, security, pid_ns):
    seen = {}
    for handler, ctx in ctxs.items():
        pod = ctx.pod(**NAMESPACES[pid_ns])
        sec = pb.LinuxContainerSecurityContext(**SECURITY[security])
        c = ctx.sleeper(pod, security=sec, envs={"CRI_VAR": "x y"}, working_dir="/tmp")
        before = env.calls(handler, "exec")
        seen[handler] = probe(c)
        if pid_ns == "node":  # a host pid: cricd (native) or the monitor reaping `crun exec`'s orphan
            seen[handler] = [l for l in seen[handler] if not l.startswith("ppid ")]
        after = env.calls(handler, "exec")
        if handler == "native":
            assert after == before, "the native handler ran `crun exec`"
        else:
            assert after > before, "the other handler did not run `crun exec`"
    native, runtime = seen["native"], seen["through-runtime"]
    assert native == runtime
    # and what the container asked for is there
    text = "\n".join(native)
    assert "cwd /tmp" in text and "env CRI_VAR=x y" in text
    assert "ppid 0" in text or pid_ns == "node", text  # the parent is outside the PID namespace
    assert "fds 0 1 2 3 " in text + " ", text
    if security == "user-groups-caps-nnp":
        assert status_field(text, "Uid").split()[0] == "1000" and status_field(text, "Gid").split()[0] == "3000"
        assert {"4000", "5000"} <= set(status_field(text, "Groups").split())
        assert status_field(text, "NoNewPrivs") == "1"
    if security == "runtime-default-seccomp":
        assert status_field(text, "Seccomp") == "2"


def test_exit_code_output_and_missing_command(env, ctxs):
    ctx = ctxs["native"]
    c = ctx.sleeper(ctx.pod())
    r = c.exec(["sh", "-c", "echo out; echo err >&2; exit 7"])
    assert (r.exit_code, r.stdout, r.stderr) == (7, b"out\n", b"err\n")
    r = c.exec(["no-such-command"])
    assert r.exit_code == 127 and b"executable file `no-such-command` not found in $PATH" in r.stderr, r
    r = c.exec(["/etc/passwd"])
    assert r.exit_code == 126 and b"/etc/passwd" in r.stderr, r
    r = c.exec(["sh", "-c", "kill -9 $$"])
    assert r.exit_code == 137


def test_a_stopped_container_is_refused_and_nothing_is_left(env, ctxs):
    ctx = ctxs["native"]
    c = ctx.sleeper(ctx.pod())
    pid = c.pid()
    c.stop(timeout=0)
    import grpc
    with pytest.raises(grpc.RpcError) as e:
        c.exec(["true"])
    assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    try:  # a zombie, or gone (reaped between two looks at /proc is gone too)
        with open("/proc/%d/stat" % pid) as f:
            assert f.read().split(") ")[1][0] in "ZX"
    except (FileNotFoundError, ProcessLookupError):
        pass


def test_exec_leaves_no_process_behind_after_a_timeout(env, ctxs):
    ctx = ctxs["native"]
    c = ctx.sleeper(ctx.pod())
    import grpc
    with pytest.raises(grpc.RpcError) as e:
        c.exec(["sleep", "31"], timeout=1)
    assert e.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    wait_for(lambda: "sleep 31" not in c.sh("ps -o args"), 10, "the timed-out process to go")
    # the daemon has no child left from it (zombie or not)
    children = open("/proc/%d/task/%d/children" % (env.d.proc.pid, env.d.proc.pid)).read().split()
    for pid in children:
        with open("/proc/%s/comm" % pid) as f:
            assert f.read().strip() not in ("sleep", "cricd"), pid


STREAM_SCRIPT = ('read line; echo "got $line"; tty; echo "TERM=$TERM"; '
                 'grep -E "^(Uid|Groups|CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status; exit 3')


@pytest.mark.parametrize("tty", [False, True], ids=["pipes", "tty"])
def test_a_streaming_exec_looks_the_same_on_both_paths(env, ctxs, tty):
    """Exec (kubectl exec) through the streaming server: stdin, stdout, the terminal
    (the container's own /dev/pts), the exit code."""
    out = {}
    for handler, ctx in ctxs.items():
        sec = pb.LinuxContainerSecurityContext(
            run_as_user=pb.Int64Value(value=1000),
            seccomp=pb.SecurityProfile(profile_type=pb.SecurityProfile.RuntimeDefault))
        c = ctx.sleeper(ctx.pod(), security=sec)
        before = env.calls(handler, "exec")
        url = env.d.runtime.Exec(pb.ExecRequest(container_id=c.id, cmd=["sh", "-c", STREAM_SCRIPT], stdin=True,
                                                stdout=True, stderr=not tty, tty=tty), timeout=30).url
        s = ks.RemoteCommand.open(url, "spdy", "v4.channel.k8s.io", stdin=True, stdout=True, stderr=not tty, tty=tty)
        s.write_stdin(b"hello\n")
        r = s.wait(30)
        assert r.exit_code == 3, r
        assert (env.calls(handler, "exec") > before) == (handler != "native")
        out[handler] = r.stdout
    assert out["native"] == out["through-runtime"]
    text = out["native"].decode()
    assert "got hello" in text and "Seccomp:\t2" in text
    if tty:
        assert "/dev/pts/" in text and "TERM=xterm" in text
    else:
        assert "not a tty" in text
