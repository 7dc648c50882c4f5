"""ListMetricDescriptors, ListPodSandboxMetrics and StreamPodSandboxMetrics over the real
socket, used the way the kubelet's CRI metrics collector uses them: every metric has a
descriptor and as many label values as its descriptor has keys, and the values are
those of the container's cgroup files, its writable layer and the pod's eth0 on a CNI
bridge, read just before and just after the call. Needs root.
"""
import json
import os
import socket
import subprocess
import time

import pytest

from cric import pb, wait_for
from test_containers import MiB, Ctx, cgroup_dir, cgroup_mounts, env, read_int  # noqa: F401
from test_network import Net, net, netns_of  # noqa: F401

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run containers"),
    pytest.mark.usefixtures("registry"),
]

BASE_KEYS = ["container", "id", "image", "name", "namespace", "pod"]
HOLD_MIB = 32


@pytest.fixture
def ctx(env, tmp_path):
    c = Ctx(env, "crun", str(tmp_path))
    yield c
    c.cleanup()


# ---- the calls --------------------------------------------------------------------

def descriptors(d):
    r = d.runtime.ListMetricDescriptors(pb.ListMetricDescriptorsRequest(), timeout=30)
    return list(r.descriptors)


def keys_by_name(d):
    return {x.name: list(x.label_keys) for x in descriptors(d)}


def all_pod_metrics(d):
    return list(d.runtime.ListPodSandboxMetrics(pb.ListPodSandboxMetricsRequest(), timeout=60).pod_metrics)


def pod_metrics(d, pod_id):
    found = [pm for pm in all_pod_metrics(d) if pm.pod_sandbox_id == pod_id]
    assert len(found) == 1, [pm.pod_sandbox_id for pm in all_pod_metrics(d)]
    return found[0]


def ctr_metrics(d, pod_id, ctr_id):
    found = [cm for cm in pod_metrics(d, pod_id).container_metrics if cm.container_id == ctr_id]
    assert len(found) == 1
    return list(found[0].metrics)


def labelled(keys, metrics, name):
    """[(labels dict, value)] of the metrics called name."""
    return [(dict(zip(keys[name], m.label_values)), m.value.value) for m in metrics if m.name == name]


def one(keys, metrics, name, **want):
    got = [v for labels, v in labelled(keys, metrics, name) if all(labels[k] == w for k, w in want.items())]
    assert len(got) == 1, (name, want, labelled(keys, metrics, name))
    return got[0]


def assert_within(lo, got, hi, what):
    assert lo <= got <= hi, "%s: %d not within [%d, %d]" % (what, got, lo, hi)


# ---- the cgroup files -------------------------------------------------------------

def is_v1():
    m = cgroup_mounts()
    return "memory" in m and "cpuacct" in m


def v2_dir(pid):
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            hid, _, path = line.rstrip("\n").split(":", 2)
            if hid == "0":
                return os.path.join(cgroup_mounts()[""], path.lstrip("/"))
    raise AssertionError("pid %d has no cgroup2 cgroup" % pid)


def keyed(path):
    with open(path) as f:
        return {k: int(v) for k, v in (line.split() for line in f if len(line.split()) == 2)}


def cgroup_sample(pid):
    """The figures of the container's cgroup files, named like the metrics."""
    if is_v1():
        mem, cpu = cgroup_dir(pid, "memory"), cgroup_dir(pid, "cpuacct")
        st = keyed(os.path.join(mem, "memory.stat"))
        usage = read_int(os.path.join(mem, "memory.usage_in_bytes"))
        s = {"usage": usage, "rss": st["total_rss"], "cache": st["total_cache"],
             "working_set": max(0, usage - st["total_inactive_file"]), "pgfault": st["total_pgfault"],
             "max_usage": read_int(os.path.join(mem, "memory.max_usage_in_bytes")),
             "oom": keyed(os.path.join(mem, "memory.oom_control")).get("oom_kill"),
             "cpu_ns": read_int(os.path.join(cpu, "cpuacct.usage")),
             "limit": read_int(os.path.join(mem, "memory.limit_in_bytes")),
             "shares": read_int(os.path.join(cgroup_dir(pid, "cpu"), "cpu.shares")),
             "period": read_int(os.path.join(cgroup_dir(pid, "cpu"), "cpu.cfs_period_us")),
             "quota": read_int(os.path.join(cgroup_dir(pid, "cpu"), "cpu.cfs_quota_us"))}
        tasks_dir, threads_file = cgroup_dir(pid, "pids"), "tasks"
    else:
        d = v2_dir(pid)
        st = keyed(os.path.join(d, "memory.stat"))
        usage = read_int(os.path.join(d, "memory.current"))
        peak = os.path.join(d, "memory.peak")
        s = {"usage": usage, "rss": st["anon"], "cache": st["file"],
             "working_set": max(0, usage - st["inactive_file"]), "pgfault": st["pgfault"],
             "max_usage": read_int(peak) if os.path.exists(peak) else None,
             "oom": keyed(os.path.join(d, "memory.events")).get("oom_kill"),
             "cpu_ns": keyed(os.path.join(d, "cpu.stat"))["usage_usec"] * 1000,
             "limit": int(open(os.path.join(d, "memory.max")).read().replace("max", "0"))}
        quota, period = open(os.path.join(d, "cpu.max")).read().split()
        weight = read_int(os.path.join(d, "cpu.weight"))
        s.update(shares=2 + ((weight - 1) * 262142) // 9999, period=int(period),
                 quota=-1 if quota == "max" else int(quota))
        tasks_dir, threads_file = d, "cgroup.threads"
    with open(os.path.join(tasks_dir, "cgroup.procs")) as f:
        pids = f.read().split()
    with open(os.path.join(tasks_dir, threads_file)) as f:
        s["threads"] = len(f.read().split())
    s["processes"] = len(pids)
    s["fds"] = sum(len(os.listdir("/proc/%s/fd" % p)) for p in pids)
    return s


# ---- descriptors ------------------------------------------------------------------

def test_descriptors_are_unique_and_labelled(ctx):
    ds = descriptors(ctx.d)
    names = [x.name for x in ds]
    assert len(names) == len(set(names)), sorted(names)
    for x in ds:
        assert x.help, x.name
        assert list(x.label_keys[:len(BASE_KEYS)]) == BASE_KEYS, (x.name, list(x.label_keys))
        assert len(set(x.label_keys)) == len(x.label_keys), x.name
    keys = keys_by_name(ctx.d)
    extra = {"container_cpu_usage_seconds_total": ["cpu"],
             "container_memory_failures_total": ["failure_type", "scope"],
             "container_network_receive_bytes_total": ["interface"],
             "container_network_transmit_packets_dropped_total": ["interface"],
             "container_fs_usage_bytes": ["device"], "container_fs_inodes_total": ["device"]}
    for name in ("container_cpu_user_seconds_total", "container_cpu_system_seconds_total",
                 "container_cpu_cfs_periods_total", "container_cpu_cfs_throttled_periods_total",
                 "container_cpu_cfs_throttled_seconds_total", "container_memory_usage_bytes",
                 "container_memory_working_set_bytes", "container_memory_rss", "container_memory_cache",
                 "container_memory_swap", "container_memory_max_usage_bytes", "container_oom_events_total",
                 "container_processes", "container_threads", "container_file_descriptors",
                 "container_last_seen", "container_start_time_seconds", "container_spec_memory_limit_bytes",
                 "container_spec_cpu_shares", "container_spec_cpu_period", "container_spec_cpu_quota",
                 *extra):
        assert keys.get(name) == BASE_KEYS + extra.get(name, []), (name, keys.get(name))


# ---- every metric as its descriptor says --------------------------------------------

def holder(ctx, pod, **kw):
    """A container whose shell holds HOLD_MIB MiB of heap, then sleeps (sh and sleep)."""
    script = "x=$(head -c %d /dev/zero | tr '\\0' a); echo held; sleep 100000; echo ${#x}" % (HOLD_MIB * MiB)
    c = ctx.sleeper(pod, "holder", command=["sh", "-c", script], **kw)
    c.wait_log("held", timeout=60)
    return c


def test_every_metric_matches_its_descriptor(ctx):
    pod = ctx.pod("mpod")
    c = ctx.sleeper(pod, "app")
    keys = keys_by_name(ctx.d)
    pm = pod_metrics(ctx.d, pod.id)
    assert [cm.container_id for cm in pm.container_metrics] == [c.id]
    seen = set()
    for who, metrics in (("pod", pm.metrics), ("container", pm.container_metrics[0].metrics)):
        assert metrics, who
        for m in metrics:
            assert m.name in keys, "%s metric %s has no descriptor" % (who, m.name)
            assert len(m.label_values) == len(keys[m.name]), (who, m.name, list(m.label_values))
            assert m.HasField("value") and m.timestamp > 0, m.name
            is_counter = m.name.endswith("_total") and m.name != "container_fs_inodes_total"  # a size
            want_type = pb.COUNTER if is_counter else pb.GAUGE
            assert m.metric_type == want_type, m.name
            labels = dict(zip(keys[m.name], m.label_values))
            assert labels["pod"] == "mpod" and labels["namespace"] == "ns-" + ctx.tag, labels
            if who == "pod":
                assert (labels["id"], labels["container"], labels["image"]) == (pod.id, "", ""), labels
            else:
                assert (labels["id"], labels["container"], labels["image"]) == (c.id, "app", ctx.env.busybox)
            seen.add(m.name)
    for name in ("container_cpu_usage_seconds_total", "container_memory_usage_bytes",
                 "container_memory_working_set_bytes", "container_processes", "container_file_descriptors",
                 "container_fs_usage_bytes", "container_last_seen", "container_start_time_seconds"):
        assert name in seen, name
    # label sets are unique per name, or the kubelet's registry refuses the scrape
    for cm in [pm.metrics, pm.container_metrics[0].metrics]:
        sets = [(m.name, tuple(m.label_values)) for m in cm]
        assert len(sets) == len(set(sets))


def test_values_match_the_cgroup_files(ctx):
    pod = ctx.pod()
    c = holder(ctx, pod, resources=pb.LinuxContainerResources(memory_limit_in_bytes=256 * MiB, cpu_shares=512,
                                                              cpu_period=50000, cpu_quota=150000))
    pid = c.pid()
    wait_for(lambda: cgroup_sample(pid)["usage"] >= HOLD_MIB * MiB, 30, "the container to hold its memory")
    keys = keys_by_name(ctx.d)
    t0 = time.time()
    before = cgroup_sample(pid)
    ms = ctr_metrics(ctx.d, pod.id, c.id)
    after = cgroup_sample(pid)
    t1 = time.time()

    def get(name, **labels):
        return one(keys, ms, name, **labels)

    # counters: between the samples; an idle container's gauges: within 1 MiB of them
    assert_within(before["cpu_ns"] // 10**9, get("container_cpu_usage_seconds_total", cpu="total"),
                  after["cpu_ns"] // 10**9, "cpu seconds")
    for key, name in (("pgfault", "container_memory_failures_total"),):
        for scope in ("container", "hierarchy"):
            assert_within(before[key], get(name, failure_type="pgfault", scope=scope), after[key], key)
    for key, name in (("usage", "container_memory_usage_bytes"), ("rss", "container_memory_rss"),
                      ("cache", "container_memory_cache"), ("working_set", "container_memory_working_set_bytes")):
        lo, hi = min(before[key], after[key]) - MiB, max(before[key], after[key]) + MiB
        assert_within(lo, get(name), hi, name)
    assert get("container_memory_usage_bytes") >= HOLD_MIB * MiB
    assert get("container_memory_rss") >= HOLD_MIB * MiB
    if before["max_usage"] is not None:
        assert_within(before["max_usage"], get("container_memory_max_usage_bytes"), after["max_usage"], "peak")
    if before["oom"] is not None:
        assert get("container_oom_events_total") == before["oom"] == after["oom"] == 0
    assert get("container_spec_memory_limit_bytes") == before["limit"] == 256 * MiB
    assert get("container_spec_cpu_period") == before["period"] == 50000
    assert get("container_spec_cpu_quota") == before["quota"] == 150000
    assert get("container_spec_cpu_shares") == before["shares"]
    if is_v1():
        assert before["shares"] == 512
    # the shell and its sleep, their threads and open files: stable while both sleep
    assert before["processes"] == after["processes"] == 2
    assert get("container_processes") == before["processes"]
    assert get("container_threads") == before["threads"] == after["threads"]
    assert get("container_file_descriptors") == before["fds"] == after["fds"]
    assert_within(int(t0) - 1, get("container_last_seen"), int(t1), "last seen")
    started = c.status().status.started_at
    assert get("container_start_time_seconds") == started // 10**9


def test_pod_metrics_sum_the_containers(ctx):
    pod = ctx.pod()
    a = ctx.sleeper(pod, "a")
    b = ctx.sleeper(pod, "b", command=["sh", "-c", "sleep 100000 & sleep 100000 & wait"])
    wait_for(lambda: cgroup_sample(b.pid())["processes"] == 3, 20, "the second container's three processes")
    keys = keys_by_name(ctx.d)
    pm = pod_metrics(ctx.d, pod.id)
    want = sum(cgroup_sample(x.pid())["processes"] for x in (a, b))
    assert one(keys, pm.metrics, "container_processes") == want == 4
    by_ctr = {cm.container_id: one(keys, cm.metrics, "container_processes") for cm in pm.container_metrics}
    assert by_ctr == {a.id: 1, b.id: 3}
    assert one(keys, pm.metrics, "container_start_time_seconds") == pod.status().status.created_at // 10**9


def test_fs_usage_of_the_writable_layer(ctx):
    pod = ctx.pod()
    c = ctx.sleeper(pod)
    keys = keys_by_name(ctx.d)
    [(labels, before)] = labelled(keys, ctr_metrics(ctx.d, pod.id, c.id), "container_fs_usage_bytes")
    device = labels["device"]
    assert os.path.isdir(device), labels
    c.sh("dd if=/dev/zero of=/big bs=1M count=8 2>/dev/null && sync")
    # the usage of a container is reused for a second; wait for a fresh one
    after = wait_for(lambda: one(keys, ctr_metrics(ctx.d, pod.id, c.id), "container_fs_usage_bytes")
                     if one(keys, ctr_metrics(ctx.d, pod.id, c.id), "container_fs_usage_bytes") >= before + 8 * MiB
                     else None, 20, "the 8 MiB file to show in container_fs_usage_bytes")
    assert after < before + 9 * MiB
    ms = ctr_metrics(ctx.d, pod.id, c.id)
    st = os.statvfs(device)
    assert one(keys, ms, "container_fs_inodes_total", device=device) == st.f_files
    assert one(keys, ms, "container_fs_limit_bytes", device=device) == st.f_blocks * st.f_frsize
    free = one(keys, ms, "container_fs_inodes_free", device=device)
    assert abs(free - os.statvfs(device).f_ffree) < 1000


def test_stream_sends_what_the_list_has(ctx):
    pods = [ctx.pod("s%d" % i) for i in range(3)]
    for p in pods:
        ctx.sleeper(p)

    def summary(pms):
        return {pm.pod_sandbox_id: (sorted({m.name for m in pm.metrics}),
                                    sorted((cm.container_id, tuple(sorted({m.name for m in cm.metrics})))
                                           for cm in pm.container_metrics))
                for pm in pms}

    listed = summary(all_pod_metrics(ctx.d))
    streamed = []
    for page in ctx.d.runtime.StreamPodSandboxMetrics(pb.StreamPodSandboxMetricsRequest(), timeout=60):
        assert page.pod_sandbox_metrics
        streamed.extend(page.pod_sandbox_metrics)
    assert summary(streamed) == listed
    assert {p.id for p in pods} <= set(listed)


def test_stopped_pods_have_no_metrics(ctx):
    pod = ctx.pod()
    ctx.sleeper(pod)
    assert pod.id in {pm.pod_sandbox_id for pm in all_pod_metrics(ctx.d)}
    pod.stop()
    assert pod.id not in {pm.pod_sandbox_id for pm in all_pod_metrics(ctx.d)}


# ---- the pod's network ----------------------------------------------------------------

def link_counters(netns, name):
    out = subprocess.run(["nsenter", "--net=" + netns, "ip", "-j", "-s", "link", "show", name],
                         check=True, capture_output=True, text=True).stdout
    st = json.loads(out)[0]["stats64"]
    return {"receive_bytes": st["rx"]["bytes"], "receive_packets": st["rx"]["packets"],
            "receive_errors": st["rx"]["errors"], "receive_packets_dropped": st["rx"]["dropped"],
            "transmit_bytes": st["tx"]["bytes"], "transmit_packets": st["tx"]["packets"],
            "transmit_errors": st["tx"]["errors"], "transmit_packets_dropped": st["tx"]["dropped"]}


def test_network_of_eth0_on_a_bridge(net):
    d = net.daemon(pull=True)
    br, subnet = net.bridge(), net.subnet()
    net.write(d, "10-net.conflist", net.bridge_list("metrics-" + net.tag, br, subnet))
    pc = net.pod_config("netpod")
    pod_id = net.run_pod(d, pc)
    cid = net.container(d, pod_id, pc, "pinger", ["sleep", "100000"])
    assert cid
    netns = netns_of(d, pod_id)
    # datagrams from the host to a closed port: the pod answers each with an ICMP error
    pod_ip = net.assert_attached(d, pod_id, "metrics-" + net.tag, subnet, br)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(5):
        s.sendto(b"x" * 1000, (pod_ip, 9))
    s.close()
    wait_for(lambda: link_counters(netns, "eth0")["receive_bytes"] >= 5000, 10,
             "the pod's eth0 to receive 5000 bytes")
    keys = keys_by_name(d)
    before = link_counters(netns, "eth0")
    pm = pod_metrics(d, pod_id)
    after = link_counters(netns, "eth0")
    interfaces = {dict(zip(keys[m.name], m.label_values))["interface"]
                  for m in pm.metrics if m.name.startswith("container_network_")}
    assert interfaces == {"eth0"}  # loopback left out
    for what in before:
        got = one(keys, pm.metrics, "container_network_%s_total" % what, interface="eth0")
        assert_within(before[what], got, after[what], what)
    assert one(keys, pm.metrics, "container_network_transmit_packets_total", interface="eth0") >= 3
    # containers have no network metrics of their own: the pod's interfaces are theirs
    assert not [m for cm in pm.container_metrics for m in cm.metrics if m.name.startswith("container_network_")]
