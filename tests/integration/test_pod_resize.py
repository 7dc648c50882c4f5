"""UpdatePodSandboxResources (in-place pod resize) and CheckpointContainer over the real
socket: the pod cgroup's files change as asked (resources plus overhead, as the kubelet
sums them), nonsense values are INVALID_ARGUMENT naming the field, a memory limit below
the pod's usage is refused with the kernel's reason, the limits survive a restart of
cricd in the pod's status, and the containers keep running throughout. Needs root.
"""
import json
import os

import grpc
import pytest

from cric import pb, wait_for
from test_containers import (MiB, ZERO_ID, Ctx, cgroup_dir, cgroup_mounts, env, is_running,  # noqa: F401
                             read_int, remove_cgroup_tree)

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run containers"),
    pytest.mark.usefixtures("registry"),
]


def host_is_cgroup_v1():
    m = cgroup_mounts()
    return "cpu" in m and "memory" in m


needs_v1 = pytest.mark.skipif(not host_is_cgroup_v1(), reason="checks cgroup v1 files (cpu and memory "
                              "hierarchies); this host has none. cgroup v2 is covered by the unit tests "
                              "on fake trees (tests/unit/cgroup/test_limits.c)")


@pytest.fixture
def ctx(env, tmp_path):
    c = Ctx(env, "crun", str(tmp_path))
    yield c
    c.cleanup()
    remove_cgroup_tree(top_cgroup(c))


def top_cgroup(ctx):
    """The cgroup above this test's pod cgroups, removed after the test."""
    return "/cric-resize-%s" % ctx.tag


def resize(ctx, pod_id, resources=None, overhead=None, timeout=30):
    return ctx.d.runtime.UpdatePodSandboxResources(
        pb.UpdatePodSandboxResourcesRequest(pod_sandbox_id=pod_id, resources=resources, overhead=overhead),
        timeout=timeout)


def resize_error(ctx, pod_id, resources=None, overhead=None):
    with pytest.raises(grpc.RpcError) as e:
        resize(ctx, pod_id, resources, overhead)
    return e.value.code(), e.value.details()


class PodCgroup:
    """The pod's cgroup (its cgroup_parent) in the cpu and memory hierarchies."""

    def __init__(self, parent):
        m = cgroup_mounts()
        self.cpu = os.path.join(m["cpu"], parent.lstrip("/"))
        self.mem = os.path.join(m["memory"], parent.lstrip("/"))

    def values(self):
        return {"shares": read_int(os.path.join(self.cpu, "cpu.shares")),
                "quota": read_int(os.path.join(self.cpu, "cpu.cfs_quota_us")),
                "period": read_int(os.path.join(self.cpu, "cpu.cfs_period_us")),
                "memory": read_int(os.path.join(self.mem, "memory.limit_in_bytes"))}


def running_pod(ctx):
    """A ready pod with its own cgroup and a running container in it."""
    parent = "%s/pod%s" % (top_cgroup(ctx), os.urandom(3).hex())
    pod = ctx.pod(cgroup_parent=parent)
    c = ctx.sleeper(pod)
    pid = c.pid()
    cg = PodCgroup(parent)
    assert os.path.dirname(cgroup_dir(pid, "cpu")) == cg.cpu
    assert os.path.dirname(cgroup_dir(pid, "memory")) == cg.mem
    return pod, c, pid, cg


def assert_still_runs(c, pid):
    assert c.state() == pb.CONTAINER_RUNNING
    assert c.pid() == pid and is_running(pid)
    assert c.sh("echo alive") == "alive\n"


@needs_v1
def test_resize_running_pod(ctx):
    pod, c, pid, cg = running_pod(ctx)
    resize(ctx, pod.id,
           resources=pb.LinuxContainerResources(cpu_shares=512, cpu_quota=60000, cpu_period=100000,
                                                memory_limit_in_bytes=200 * MiB),
           overhead=pb.LinuxContainerResources(cpu_shares=10, cpu_quota=10000, memory_limit_in_bytes=8 * MiB))
    assert cg.values() == {"shares": 522, "quota": 70000, "period": 100000, "memory": 208 * MiB}
    assert_still_runs(c, pid)
    assert pod.info()["resources"] == {"cpuShares": 522, "cpuQuota": 70000, "cpuPeriod": 100000,
                                       "memoryLimitInBytes": 208 * MiB}

    # smaller, another period, no overhead; unset fields stay
    resize(ctx, pod.id, resources=pb.LinuxContainerResources(cpu_quota=20000, cpu_period=50000,
                                                             memory_limit_in_bytes=64 * MiB))
    assert cg.values() == {"shares": 522, "quota": 20000, "period": 50000, "memory": 64 * MiB}
    # no CPU limit any more
    resize(ctx, pod.id, resources=pb.LinuxContainerResources(cpu_quota=-1))
    assert cg.values()["quota"] == -1
    # the status tells what the cgroup holds, the values left as they were included
    assert pod.info()["resources"] == {"cpuShares": 522, "cpuQuota": -1, "cpuPeriod": 50000,
                                       "memoryLimitInBytes": 64 * MiB}
    assert_still_runs(c, pid)


@needs_v1
def test_resize_kept_across_a_daemon_restart(ctx):
    pod, c, pid, cg = running_pod(ctx)
    resize(ctx, pod.id, resources=pb.LinuxContainerResources(cpu_shares=300, memory_limit_in_bytes=96 * MiB))
    d = ctx.d
    d.proc.kill()
    d.proc.wait(10)
    d.stop()
    d.start()
    info = pod.info()
    assert info["resources"]["cpuShares"] == 300 and info["resources"]["memoryLimitInBytes"] == 96 * MiB
    assert cg.values()["shares"] == 300 and cg.values()["memory"] == 96 * MiB
    assert_still_runs(c, pid)


@needs_v1
def test_memory_limit_below_usage_is_refused(ctx):
    pod, c, pid, cg = running_pod(ctx)
    resize(ctx, pod.id, resources=pb.LinuxContainerResources(memory_limit_in_bytes=256 * MiB))
    # tmpfs pages cannot be reclaimed without swap: the pod's usage stays above 16 MiB
    c.sh("dd if=/dev/zero of=/dev/shm/fill bs=1M count=16 2>/dev/null")
    wait_for(lambda: read_int(os.path.join(cg.mem, "memory.usage_in_bytes")) >= 16 * MiB, 10,
             "the pod's memory usage to reach 16 MiB")
    code, msg = resize_error(ctx, pod.id, resources=pb.LinuxContainerResources(memory_limit_in_bytes=4 * MiB))
    assert code == grpc.StatusCode.FAILED_PRECONDITION, msg
    assert "memory limit 4194304 bytes is below the usage of cgroup" in msg and "EBUSY" in msg, msg
    assert pod.id in msg
    assert cg.values()["memory"] == 256 * MiB
    assert_still_runs(c, pid)
    assert pod.info()["resources"]["memoryLimitInBytes"] == 256 * MiB


@pytest.mark.parametrize("which,field,value,needle", [
    ("resources", "cpu_shares", 1, "resources.cpu_shares 1 is out of range"),
    ("resources", "cpu_shares", 300000, "resources.cpu_shares 300000 is out of range"),
    ("resources", "cpu_period", 500, "resources.cpu_period 500 is out of range"),
    ("resources", "cpu_quota", -2, "resources.cpu_quota -2 is out of range"),
    ("resources", "cpu_quota", 10, "resources.cpu_quota 10 is out of range"),
    ("overhead", "memory_limit_in_bytes", -5, "overhead.memory_limit_in_bytes -5 is out of range"),
])
def test_nonsense_values_are_invalid(ctx, which, field, value, needle):
    pod = ctx.pod()
    r = pb.LinuxContainerResources(**{field: value})
    code, msg = resize_error(ctx, pod.id, **{which: r})
    assert code == grpc.StatusCode.INVALID_ARGUMENT and needle in msg, msg


def test_unknown_pod_and_missing_arguments(ctx):
    r = pb.LinuxContainerResources(cpu_shares=100)
    code, msg = resize_error(ctx, ZERO_ID, resources=r)
    assert code == grpc.StatusCode.NOT_FOUND, msg
    code, msg = resize_error(ctx, "", resources=r)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "pod_sandbox_id" in msg, msg
    pod = ctx.pod()
    code, msg = resize_error(ctx, pod.id)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "no resources given" in msg, msg


def test_pod_without_its_own_cgroup(ctx):
    pod = ctx.pod()  # no cgroup_parent: it shares the default parent with every pod
    code, msg = resize_error(ctx, pod.id, resources=pb.LinuxContainerResources(cpu_shares=100))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "no cgroup of its own" in msg, msg
    assert "resources" not in pod.info()


def test_stopped_pod_is_not_resized(ctx):
    pod = ctx.pod(cgroup_parent=top_cgroup(ctx) + "/stopped")
    pod.stop()
    code, msg = resize_error(ctx, pod.id, resources=pb.LinuxContainerResources(cpu_shares=100))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "is not ready" in msg, msg


def test_checkpoint_container_says_why_it_is_unimplemented(ctx):
    pod = ctx.pod()
    c = ctx.sleeper(pod)
    with pytest.raises(grpc.RpcError) as e:
        ctx.d.runtime.CheckpointContainer(pb.CheckpointContainerRequest(container_id=c.id, location="/tmp/x.tar"),
                                          timeout=30)
    assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED
    msg = e.value.details()
    assert msg.startswith("/runtime.v1.RuntimeService/CheckpointContainer is not supported"), msg
    assert "CRIU" in msg and "criu check" in msg, msg
    assert c.state() == pb.CONTAINER_RUNNING
