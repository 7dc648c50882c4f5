"""ImageFsInfo and the stats calls over the real socket: the image file system and the
containers' writable layers reported apart, and every ContainerStats/PodSandboxStats
field the host provides, checked against the files the kernel and the disk show.
Needs root.
"""
import json
import os
import socket
import subprocess
import time

import pytest

from cric import pb, wait_for
from test_containers import MiB, Ctx, cgroup_dir, cgroup_mounts, env, read_int  # noqa: F401

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run containers"),
    pytest.mark.usefixtures("registry"),
]


@pytest.fixture
def ctx(env, tmp_path):
    c = Ctx(env, "crun", str(tmp_path))
    yield c
    c.cleanup()


def fs_info(ctx):
    r = ctx.d.image.ImageFsInfo(pb.ImageFsInfoRequest(), timeout=30)
    assert len(r.image_filesystems) == 1 and len(r.container_filesystems) == 1
    return r.image_filesystems[0], r.container_filesystems[0]


def test_image_fs_info_reports_the_writable_layers_apart(ctx):
    storage = os.path.join(ctx.d.root, "storage")
    img0, ctr0 = fs_info(ctx)
    assert img0.fs_id.mountpoint == storage
    assert ctr0.fs_id.mountpoint == os.path.join(storage, "containers")
    assert os.path.isdir(ctr0.fs_id.mountpoint)  # the kubelet looks up its device
    assert img0.used_bytes.value > 1 * MiB and img0.inodes_used.value > 10  # busybox at least
    assert ctr0.timestamp > 0 and img0.timestamp > 0

    c = ctx.sleeper(ctx.pod())
    c.sh("dd if=/dev/zero of=/big bs=1M count=4 2>/dev/null")
    img1, ctr1 = fs_info(ctx)
    assert ctr1.used_bytes.value >= ctr0.used_bytes.value + 4 * MiB
    assert ctr1.inodes_used.value > ctr0.inodes_used.value
    # what the container wrote is not the images'
    assert img1.used_bytes.value == img0.used_bytes.value
    assert img1.inodes_used.value == img0.inodes_used.value


def pod_stats(ctx, pod):
    return ctx.d.runtime.PodSandboxStats(pb.PodSandboxStatsRequest(pod_sandbox_id=pod.id), timeout=30).stats


def ctr_stats(ctx, c):
    return ctx.d.runtime.ContainerStats(pb.ContainerStatsRequest(container_id=c.id), timeout=30).stats


def test_process_count_is_the_pids_of_the_containers(ctx):
    pod = ctx.pod()
    a = ctx.sleeper(pod, "a")
    b = ctx.sleeper(pod, "b", command=["sh", "-c", "sleep 100000 & sleep 100000 & wait"])
    wait_for(lambda: read_int(os.path.join(cgroup_dir(b.pid(), "pids"), "pids.current")) == 3, 20,
             "the second container to run its three processes")
    want = sum(read_int(os.path.join(cgroup_dir(c.pid(), "pids"), "pids.current")) for c in (a, b))
    assert want == 4
    assert pod_stats(ctx, pod).linux.process.process_count.value == want


@pytest.mark.skipif(not os.path.exists("/sys/fs/cgroup/memory/memory.memsw.usage_in_bytes"),
                    reason="no swap accounting on this host (memory.memsw.* of cgroup v1, swapaccount=1)")
def test_swap_matches_the_memsw_files(ctx):
    pod = ctx.pod()
    c = ctx.sleeper(pod, resources=pb.LinuxContainerResources(memory_limit_in_bytes=64 * MiB,
                                                               memory_swap_limit_in_bytes=96 * MiB))
    mem = cgroup_dir(c.pid(), "memory")

    def files():
        return [read_int(os.path.join(mem, f)) for f in ("memory.memsw.usage_in_bytes", "memory.usage_in_bytes",
                                                          "memory.memsw.limit_in_bytes", "memory.limit_in_bytes")]

    # No process of the container runs between the reads, but the kernel still moves a
    # page now and then (a CPU's pre-charged pages given back): a sample counts when
    # the files read the same before and after it.
    deadline = time.monotonic() + 20
    while True:
        memsw, usage, memsw_limit, limit = files()
        assert (memsw_limit, limit) == (96 * MiB, 64 * MiB)
        swap = ctr_stats(ctx, c).swap
        assert swap.timestamp > 0
        memsw2, usage2, _, _ = files()
        if (memsw2, usage2) == (memsw, usage) or time.monotonic() > deadline:
            break
    assert (memsw2, usage2) == (memsw, usage), "the memory files never stood still"
    assert swap.swap_usage_bytes.value == memsw - usage
    assert swap.swap_available_bytes.value == (memsw_limit - limit) - (memsw - usage)


def test_psi_only_on_cgroup_v2(ctx):
    pod = ctx.pod()
    c = ctx.sleeper(pod)
    s = ctr_stats(ctx, c)
    if "" in cgroup_mounts() and "cpu" in cgroup_mounts():
        # hybrid host: the containers are in the v1 hierarchies, which have no pressure files
        assert not s.cpu.HasField("psi") and not s.memory.HasField("psi") and not s.HasField("io")
        pytest.skip("cgroup v1 host: PSI needs cgroup v2 (covered by tests/unit/cgroup on fake v2 trees)")
    assert s.cpu.psi.some.total >= 0 and s.HasField("io")


def ip(*args, netns_pid=None, check=True):
    cmd = (["nsenter", "-t", str(netns_pid), "-n"] if netns_pid else []) + ["ip"] + list(args)
    return subprocess.run(cmd, check=check, capture_output=True, text=True).stdout


def link_counters(pid, name):
    st = json.loads(ip("-j", "-s", "link", "show", name, netns_pid=pid))[0]["stats64"]
    return (st["rx"]["bytes"], st["rx"]["errors"], st["tx"]["bytes"], st["tx"]["errors"])


@pytest.mark.skipif(not os.path.exists("/usr/sbin/ip") and not os.path.exists("/sbin/ip"),
                    reason="needs iproute2 to give the pod an interface")
def test_pod_network_interfaces(ctx):
    pod = ctx.pod()
    c = ctx.sleeper(pod)
    pid = c.pid()
    host_if = "cricv%s" % ctx.tag[:8]
    net = "10.%d.%d" % (200 + int(ctx.tag[:2], 16) % 50, int(ctx.tag[2:4], 16))
    ip("link", "add", host_if, "type", "veth", "peer", "name", "eth0", "netns", str(pid))
    try:
        # no IPv6: its autoconfiguration would send packets while we compare counters
        with open("/proc/sys/net/ipv6/conf/%s/disable_ipv6" % host_if, "w") as f:
            f.write("1")
        subprocess.run(["nsenter", "-t", str(pid), "-n", "sysctl", "-q", "-w", "net.ipv6.conf.eth0.disable_ipv6=1"],
                       check=False, capture_output=True)
        ip("addr", "add", net + ".1/30", "dev", host_if)
        ip("link", "set", host_if, "up")
        ip("addr", "add", net + ".2/30", "dev", "eth0", netns_pid=pid)
        ip("link", "set", "eth0", "up", netns_pid=pid)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for _ in range(5):
            s.sendto(b"x" * 1000, (net + ".2", 9))
        s.close()
        wait_for(lambda: link_counters(pid, "eth0")[0] >= 5000, 10, "the pod's eth0 to receive 5000 bytes")

        before = link_counters(pid, "eth0")
        n = pod_stats(ctx, pod).linux.network
        after = link_counters(pid, "eth0")
        assert n.timestamp > 0
        assert [i.name for i in n.interfaces] == ["eth0"]  # loopback left out
        assert n.default_interface.name == "eth0"
        i = n.interfaces[0]
        got = (i.rx_bytes.value, i.rx_errors.value, i.tx_bytes.value, i.tx_errors.value)
        assert all(b <= g <= a for b, g, a in zip(before, got, after)), (before, got, after)
        assert got[0] >= 5000 and got[2] > 0  # the ARP and ICMP replies went out
        # again, through the socket cricd keeps in the pod's netns
        i = pod_stats(ctx, pod).linux.network.interfaces[0]
        assert (i.rx_bytes.value, i.tx_bytes.value) == (after[0], after[2])

        # that socket must not keep the netns alive: once the pod stops, the netns goes
        # and takes the host end of the veth pair with it
        pod.stop()
        wait_for(lambda: not os.path.exists("/sys/class/net/" + host_if), 20,
                 "the pod's netns (and the veth in it) to go when the pod stopped")
    finally:
        ip("link", "del", host_if, check=False)
