"""Rules of the runtime's own that the kubelet relies on, against real crun and runc:
a stop signal is never lost to a PID 1 that installs its handler late, POD namespaces
of a container are its pod's whatever mode the pod has, every container has HOSTNAME,
and a request whose strings are not UTF-8 is refused. Uses the daemon and helpers of
test_containers."""
import os
import socket
import subprocess
import time
from contextlib import contextmanager

import grpc

from cric import pb, wait_for
from test_containers import ctx, env  # noqa: F401 (fixtures)

# PID 1 is the shell; it takes SIGTERM only once `trap` ran, 0.3 s after the start.
LATE_TRAP = 'sleep 0.3; trap "exit 0" TERM; while :; do sleep 0.05; done'
ROUNDS = 10


@contextmanager
def cpu_burners(n=2):
    """n busy loops beside the test, ended by their pids."""
    procs = [subprocess.Popen(["sh", "-c", "while :; do :; done"]) for _ in range(n)]
    try:
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


def test_stop_right_after_start_reaches_a_late_handler(ctx):
    """StopContainer sent right after StartContainer, before PID 1 has a handler for the
    stop signal (the kernel drops it then): cricd sends it again once the handler is
    there, so the container ends by its handler (exit 0), not by SIGKILL after the
    grace period (137). Many times, with the CPU busy."""
    pod = ctx.pod()
    with cpu_burners():
        for i in range(ROUNDS):
            c = ctx.run(pod, "late%d" % i, command=["sh", "-c", LATE_TRAP])
            start = time.monotonic()
            c.stop(timeout=30)
            took = time.monotonic() - start
            st = c.st()
            assert (st.state, st.exit_code, st.reason) == (pb.CONTAINER_EXITED, 0, "Completed"), \
                "round %d: exit %d after %.2f s" % (i, st.exit_code, took)
            c.remove()


def test_ignored_stop_signal_ends_in_sigkill(ctx):
    """A PID 1 that ignores the stop signal for good is killed when the grace period ends."""
    pod = ctx.pod()
    c = ctx.run(pod, command=["sh", "-c", "trap '' TERM; touch /tmp/ready; while :; do sleep 0.05; done"])
    wait_for(lambda: c.exec(["test", "-e", "/tmp/ready"]).exit_code == 0, 20, "the trap to be set")
    c.stop(timeout=1)
    assert c.st().exit_code == 137


def netns_of(c):
    return c.sh("readlink /proc/self/ns/net").strip()


def test_pod_mode_network_of_a_host_network_pod_is_the_hosts(ctx):
    """A container that leaves its network mode at POD (the CRI's default value) in a
    hostNetwork pod is in the host's network namespace, as the pod is."""
    pod = ctx.pod(net=pb.NODE, ipc=pb.NODE)
    pod_mode = pb.LinuxContainerSecurityContext(
        namespace_options=pb.NamespaceOption(network=pb.POD, pid=pb.CONTAINER, ipc=pb.POD))
    c = ctx.sleeper(pod, security=pod_mode)
    assert netns_of(c) == os.readlink("/proc/self/ns/net")
    assert c.sh("readlink /proc/self/ns/ipc").strip() == os.readlink("/proc/self/ns/ipc")


def test_pod_mode_network_of_a_pod_with_its_own_is_the_pods(ctx):
    pod = ctx.pod()
    a = ctx.sleeper(pod, "a")
    b = ctx.sleeper(pod, "b")
    netns = pod.info()["netnsPath"]
    assert netns_of(a) == netns_of(b) == "net:[%d]" % os.stat(netns).st_ino
    assert netns_of(a) != os.readlink("/proc/self/ns/net")


def test_hostname_env(ctx):
    pod = ctx.pod(hostname="env-host")
    c = ctx.sleeper(pod)
    assert c.sh("echo $HOSTNAME").strip() == "env-host"
    mine = ctx.sleeper(pod, "mine", envs={"HOSTNAME": "set-by-config"})
    assert mine.sh("echo $HOSTNAME").strip() == "set-by-config"
    host = ctx.pod("hostpod", net=pb.NODE)
    h = ctx.sleeper(host)
    assert h.sh("echo $HOSTNAME").strip() == socket.gethostname()


def test_a_request_with_invalid_utf8_is_refused(env):
    """proto3 strings are UTF-8; what a client sends ends up in config.json and in the
    store, so a string that is not is INVALID_ARGUMENT, naming the field."""
    cfg = pb.PodSandboxConfig(metadata=pb.PodSandboxMetadata(name="utf8", namespace="default", uid="u-utf8"),
                              labels={"app": "PLACEHOLDER"})
    raw = pb.RunPodSandboxRequest(config=cfg).SerializeToString().replace(b"PLACEHOLDER", b"\xff\xfe\xfdPLACEHOL")
    call = env.d.channel.unary_unary("/runtime.v1.RuntimeService/RunPodSandbox",
                                     request_serializer=lambda b: b,
                                     response_deserializer=pb.RunPodSandboxResponse.FromString)
    try:
        call(raw, timeout=30)
        raise AssertionError("RunPodSandbox accepted invalid UTF-8")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
        assert "config.labels[0].value is not valid UTF-8" in e.details(), e.details()
    pods = env.d.runtime.ListPodSandbox(pb.ListPodSandboxRequest(), timeout=30).items
    assert not [p for p in pods if p.metadata.uid == "u-utf8"]


def test_cpu_rate_of_a_busy_container(ctx):
    """usage_nano_cores is a rate between two samples of the container's cgroup, which
    cricd keeps from one stats call to the next."""
    pod = ctx.pod()
    c = ctx.run(pod, "spin", command=["sh", "-c", "while :; do :; done"])

    def with_rate():
        s = ctx.d.runtime.ContainerStats(pb.ContainerStatsRequest(container_id=c.id), timeout=30).stats
        return s if s.cpu.HasField("usage_nano_cores") else None
    s = wait_for(with_rate, 30, "a CPU rate in ContainerStats")
    assert s.cpu.usage_nano_cores.value > 50 * 1000 * 1000  # a spinning shell: well above 5% of a core
    listed = wait_for(lambda: [x for x in ctx.d.runtime.ListContainerStats(
        pb.ListContainerStatsRequest(filter=pb.ContainerStatsFilter(id=c.id)), timeout=30).stats
        if x.cpu.HasField("usage_nano_cores")], 30, "a CPU rate in ListContainerStats")
    assert listed[0].cpu.usage_nano_cores.value > 50 * 1000 * 1000
