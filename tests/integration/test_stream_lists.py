"""The Stream* lists (StreamPodSandboxes, StreamContainers, StreamContainerStats,
StreamPodSandboxStats, StreamImages, StreamPodSandboxMetrics) against a real cricd: the same objects as their List
counterparts under the same filters, sent in pages; an empty answer is no message and
OK; a client that cancels, one that never reads (bounded queue, RESOURCE_EXHAUSTED) and
a daemon that shuts down with a stream open.

The page size and the send queue are made small through cricd's CRIC_STREAM_* tuning
variables so that a few objects span several pages and a stalled client is cut off
quickly."""
import signal

import grpc
import pytest

import cric
from cric import pb, wait_for

PAGE = 3
PAGE_ENV = {"CRIC_STREAM_PAGE_SIZE": str(PAGE)}


def pod_config(name, labels=None, annotations=None):
    return pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name=name, namespace="stream", uid="uid-" + name),
        labels=labels or {}, annotations=annotations or {},
        linux=pb.LinuxPodSandboxConfig(security_context=pb.LinuxSandboxSecurityContext(
            namespace_options=pb.NamespaceOption(network=pb.POD, pid=pb.CONTAINER, ipc=pb.POD))))


def run_pod(d, name, **kw):
    return d.runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=pod_config(name, **kw)), timeout=60).pod_sandbox_id


def pages(call, req, field):
    """The pages of a stream as lists of objects."""
    return [list(getattr(p, field)) for p in call(req, timeout=60)]


def check_paged(page_list, expected):
    """Full pages of PAGE objects but the last, which has 1..PAGE; together the List answer."""
    assert [x for p in page_list for x in p] == list(expected)
    assert all(len(p) == PAGE for p in page_list[:-1])
    assert all(1 <= len(p) <= PAGE for p in page_list)
    assert len(page_list) == (len(expected) + PAGE - 1) // PAGE


def register(d):
    try:  # the conftest hook adds the logs of the daemons it knows to failed tests
        import conftest
        conftest._daemons.append(d)
    except (ImportError, AttributeError):
        pass


def unregister_cleanup(d):
    try:
        import conftest
        conftest._daemons.remove(d)
    except (ImportError, AttributeError, ValueError):
        pass
    reports = d.cleanup()
    assert not reports, "sanitizer reports in the cricd log: %s" % reports


@pytest.fixture(scope="module")
def sdaemon(registry, tmp_path_factory):
    """One daemon with pages of PAGE objects and two images from the fixture registry."""
    conf = tmp_path_factory.mktemp("stream") / "registries.conf"
    conf.write_text('[[registry]]\nlocation = "%s"\ninsecure = true\n' % registry.host)
    d = cric.Daemon(extra_args=["--registries-conf", str(conf)], env=PAGE_ENV).start()
    register(d)
    d.images = {}
    for name in ("busybox", "busybox-uncompressed"):
        ref = registry.reference(name)
        d.images[name] = d.image.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=ref)), timeout=120).image_ref
    yield d
    unregister_cleanup(d)


@pytest.fixture(scope="module")
def objects(sdaemon, registry, tmp_path_factory):
    """8 pods (labels tier=a/b, two stopped) and 7 containers (two started)."""
    d = sdaemon
    logs = str(tmp_path_factory.mktemp("stream-logs"))
    pods = [run_pod(d, "p%d" % i, labels={"tier": "ab"[i % 2], "n": str(i)}) for i in range(8)]
    for p in pods[6:]:
        d.runtime.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=p), timeout=60)
    ctrs = []
    for i in range(7):
        pod = pods[i % 3]
        cfg = pb.ContainerConfig(
            metadata=pb.ContainerMetadata(name="c%d" % i),
            image=pb.ImageSpec(image=registry.reference("busybox")), command=["sleep", "100000"],
            labels={"tier": "ab"[i % 2]}, log_path="c%d.log" % i)
        sb = pb.PodSandboxConfig(metadata=pod_config("p%d" % (i % 3)).metadata, log_directory=logs)
        ctrs.append(d.runtime.CreateContainer(pb.CreateContainerRequest(
            pod_sandbox_id=pod, config=cfg, sandbox_config=sb), timeout=120).container_id)
    for c in ctrs[:2]:
        d.runtime.StartContainer(pb.StartContainerRequest(container_id=c), timeout=60)
    return pods, ctrs


def test_pods_match_list(sdaemon, objects):
    pods, _ = objects
    filters = [None, pb.PodSandboxFilter(label_selector={"tier": "a"}),
               pb.PodSandboxFilter(state=pb.PodSandboxStateValue(state=pb.SANDBOX_READY)),
               pb.PodSandboxFilter(state=pb.PodSandboxStateValue(state=pb.SANDBOX_NOTREADY)),
               pb.PodSandboxFilter(id=pods[3][:12])]
    for f in filters:
        listed = sdaemon.runtime.ListPodSandbox(pb.ListPodSandboxRequest(filter=f), timeout=30).items
        assert listed, f
        check_paged(pages(sdaemon.runtime.StreamPodSandboxes, pb.StreamPodSandboxesRequest(filter=f),
                          "pod_sandboxes"), listed)
    assert len(sdaemon.runtime.ListPodSandbox(pb.ListPodSandboxRequest(), timeout=30).items) == 8


def test_containers_match_list(sdaemon, objects):
    pods, ctrs = objects
    filters = [None, pb.ContainerFilter(label_selector={"tier": "b"}),
               pb.ContainerFilter(pod_sandbox_id=pods[0]),
               pb.ContainerFilter(state=pb.ContainerStateValue(state=pb.CONTAINER_RUNNING)),
               pb.ContainerFilter(state=pb.ContainerStateValue(state=pb.CONTAINER_CREATED)),
               pb.ContainerFilter(id=ctrs[4][:12])]
    for f in filters:
        listed = sdaemon.runtime.ListContainers(pb.ListContainersRequest(filter=f), timeout=30).containers
        assert listed, f
        check_paged(pages(sdaemon.runtime.StreamContainers, pb.StreamContainersRequest(filter=f), "containers"),
                    listed)


def attributes(stats):
    return sorted((s.attributes.id, s.attributes.SerializeToString(deterministic=True)) for s in stats)


def check_stats(d, name, stream_name, field, filters):
    """Stats read twice differ in their readings; the objects and their attributes must not."""
    for f in filters:
        listed = getattr(d.runtime, name)(getattr(pb, name + "Request")(filter=f), timeout=30).stats
        assert listed, f
        got = pages(getattr(d.runtime, stream_name), getattr(pb, stream_name + "Request")(filter=f), field)
        flat = [x for p in got for x in p]
        assert attributes(flat) == attributes(listed)
        check_paged(got, flat)


def test_container_stats_match_list(sdaemon, objects):
    pods, ctrs = objects
    check_stats(sdaemon, "ListContainerStats", "StreamContainerStats", "container_stats",
                [None, pb.ContainerStatsFilter(pod_sandbox_id=pods[1]), pb.ContainerStatsFilter(id=ctrs[0]),
                 pb.ContainerStatsFilter(label_selector={"tier": "a"})])


def test_pod_stats_match_list(sdaemon, objects):
    pods, _ = objects
    check_stats(sdaemon, "ListPodSandboxStats", "StreamPodSandboxStats", "pod_sandbox_stats",
                [None, pb.PodSandboxStatsFilter(id=pods[2]), pb.PodSandboxStatsFilter(label_selector={"tier": "b"})])


def test_images_match_list(sdaemon, registry):
    for f in (None, pb.ImageFilter(image=pb.ImageSpec(image=registry.reference("busybox")))):
        listed = sdaemon.image.ListImages(pb.ListImagesRequest(filter=f), timeout=30).images
        assert listed
        check_paged(pages(sdaemon.image.StreamImages, pb.StreamImagesRequest(filter=f), "images"), listed)


def test_empty_answer_is_no_message_and_ok(sdaemon, objects):
    none = "f" * 64
    assert pages(sdaemon.runtime.StreamPodSandboxes,
                 pb.StreamPodSandboxesRequest(filter=pb.PodSandboxFilter(id=none)), "pod_sandboxes") == []
    assert pages(sdaemon.runtime.StreamContainers,
                 pb.StreamContainersRequest(filter=pb.ContainerFilter(id=none)), "containers") == []
    assert pages(sdaemon.image.StreamImages, pb.StreamImagesRequest(
        filter=pb.ImageFilter(image=pb.ImageSpec(image="no-such-image:1"))), "images") == []


def test_pod_metrics_match_list(sdaemon, objects):
    """The 6 ready pods in pages (no filter in these requests); values move between the
    calls, so pods, containers and metric names are compared."""
    pods, _ = objects

    def shape(pms):
        return [(pm.pod_sandbox_id, sorted({m.name for m in pm.metrics}),
                 [(cm.container_id, sorted({m.name for m in cm.metrics})) for cm in pm.container_metrics])
                for pm in pms]

    listed = sdaemon.runtime.ListPodSandboxMetrics(pb.ListPodSandboxMetricsRequest(), timeout=60).pod_metrics
    assert {pm.pod_sandbox_id for pm in listed} == set(pods[:6])
    got = pages(sdaemon.runtime.StreamPodSandboxMetrics, pb.StreamPodSandboxMetricsRequest(), "pod_sandbox_metrics")
    flat = [x for p in got for x in p]
    assert shape(flat) == shape(listed)
    check_paged(got, flat)


# ---- clients that misbehave, and shutdown ---------------------------------------

def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


def big_pods(d, n, size):
    """n pods of `size` bytes of annotations each: a stream of pages of one pod each
    outgrows what the transports buffer after a few MiB."""
    return [run_pod(d, "big%d" % i, annotations={"blob": "x" * size}) for i in range(n)]


def remove_pods(d, ids):
    # Not by ListPodSandbox: the big pods together pass the client's receive limit.
    for p in ids:
        d.runtime.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=p), timeout=60)


def stream_log(d, what):
    return [line for line in d.read_log().splitlines() if "StreamPodSandboxes" in line and what in line]


@pytest.fixture
def stall_daemon():
    """A daemon with one pod per page, 4 queued messages per stream and a 1 s stall limit."""
    d = cric.Daemon(env={"CRIC_STREAM_PAGE_SIZE": "1", "CRIC_STREAM_QUEUE_MSGS": "4",
                         "CRIC_STREAM_STALL_MS": "1000"}).start()
    register(d)
    d.pods = []
    yield d
    if d.proc.poll() is None:
        remove_pods(d, d.pods)
    unregister_cleanup(d)


def test_client_that_never_reads_is_cut_off(stall_daemon):
    d = stall_daemon
    d.pods = big_pods(d, 120, 100000)  # 12 MB in all, pages of 100 kB
    before = rss_kib(d.proc.pid)
    it = d.runtime.StreamPodSandboxes(pb.StreamPodSandboxesRequest(), timeout=120)
    cut = wait_for(lambda: stream_log(d, "resource exhausted"), timeout=60, what="the stalled stream to be cut off")
    assert "not reading (4 messages" in cut[0]
    # The queue held 4 pages; the daemon did not buffer the 12 MB answer a second time.
    assert rss_kib(d.proc.pid) - before < 32 * 1024
    got = 0
    with pytest.raises(grpc.RpcError) as e:
        for _ in it:
            got += 1
    assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, e.value
    assert "not reading" in e.value.details()
    assert got < 120
    # The daemon serves on, and a client that reads gets everything.
    assert sum(len(p.pod_sandboxes) for p in d.runtime.StreamPodSandboxes(
        pb.StreamPodSandboxesRequest(filter=pb.PodSandboxFilter(id=d.pods[0])), timeout=30)) == 1


def test_client_cancels_mid_stream(stall_daemon):
    d = stall_daemon
    d.pods = big_pods(d, 60, 100000)
    it = d.runtime.StreamPodSandboxes(pb.StreamPodSandboxesRequest(), timeout=120)
    assert len(next(it).pod_sandboxes) == 1
    it.cancel()
    with pytest.raises(grpc.RpcError) as e:
        for _ in it:
            pass
    assert e.value.code() == grpc.StatusCode.CANCELLED
    wait_for(lambda: stream_log(d, "cancelled"), timeout=30, what="the daemon to see the cancellation")
    assert not stream_log(d, "resource exhausted")
    assert d.runtime.Version(pb.VersionRequest(), timeout=10).runtime_name == "cric"


def test_shutdown_with_a_stream_open(make_daemon):
    # A long stall limit: only the shutdown can end the stream the client does not read.
    d = make_daemon(env={"CRIC_STREAM_PAGE_SIZE": "1", "CRIC_STREAM_QUEUE_MSGS": "4",
                         "CRIC_STREAM_STALL_MS": "600000"}).start()
    pods = big_pods(d, 120, 100000)
    it = d.runtime.StreamPodSandboxes(pb.StreamPodSandboxesRequest(), timeout=300)
    assert len(next(it).pod_sandboxes) == 1
    d.signal(signal.SIGTERM)
    assert wait_for(lambda: d.proc.poll() is not None, timeout=60, what="cricd to exit on SIGTERM")
    assert d.proc.returncode == 0, d.read_log()[-3000:]
    with pytest.raises(grpc.RpcError) as e:
        for _ in it:
            pass
    assert e.value.code() in (grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE,
                              grpc.StatusCode.INTERNAL), e.value
    # The pods outlive the daemon by design; a new one on the same root removes them.
    d.start()
    remove_pods(d, pods)


def test_cricctl_lists_through_the_streams(sdaemon, objects):
    """cricctl's list and stats verbs use the Stream* calls and join their pages."""
    pods, ctrs = objects
    verbs = [(("pods", "-q"), "StreamPodSandboxes", set(pods)),
             (("ps", "-a", "-q"), "StreamContainers", set(ctrs)),
             (("images", "-q"), "StreamImages", {i.split(":", 1)[-1] for i in sdaemon.images.values()}),
             (("stats", "-a", "-o", "json"), "StreamContainerStats", set(ctrs)),
             (("statsp", "-o", "json"), "StreamPodSandboxStats", set(pods[:6]))]
    for args, method, want in verbs:
        r = sdaemon.cricctl("--debug", *args)
        assert "%s request" % method in r.stderr, r.stderr
        assert "falling back" not in r.stderr
        for obj in want:
            assert obj in r.stdout, (args, obj, r.stdout)
