"""GetContainerEvents against a real cricd: the events of a pod and its containers in
order, each with the pod's status and its containers' statuses; a container that
exits (the exit comes from cric-monitor), one killed for lack of memory, removals;
two subscribers see the same events, one that never reads is cut off without
stalling the others; exits that happened while cricd was down are sent at start."""
import json
import os
import queue
import signal
import threading

import grpc
import pytest

import cric
from cric import pb, wait_for

MiB = 1 << 20
CREATED, STARTED, STOPPED, DELETED = (pb.CONTAINER_CREATED_EVENT, pb.CONTAINER_STARTED_EVENT,
                                      pb.CONTAINER_STOPPED_EVENT, pb.CONTAINER_DELETED_EVENT)


class Subscriber:
    """Reads a GetContainerEvents stream on a thread into a queue."""

    def __init__(self, d):
        self.call = d.runtime.GetContainerEvents(pb.GetEventsRequest())
        self.q = queue.Queue()
        self.error = None
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for ev in self.call:
                self.q.put(ev)
        except grpc.RpcError as e:
            self.error = e
        self.q.put(None)

    def next(self, timeout=30):
        ev = self.q.get(timeout=timeout)
        assert ev is not None, "the stream ended: %s" % self.error
        return ev

    def until(self, cid, etype, timeout=60):
        """The events up to and including (cid, etype)."""
        seen = []
        while True:
            ev = self.next(timeout)
            seen.append(ev)
            if ev.container_id == cid and ev.container_event_type == etype:
                return seen

    def close(self):
        self.call.cancel()
        self.thread.join(10)


@pytest.fixture(scope="module")
def edaemon(registry, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("events")
    conf = tmp / "registries.conf"
    conf.write_text('[[registry]]\nlocation = "%s"\ninsecure = true\n' % registry.host)
    # a small send queue (events streams are bounded by bytes only): the client that never
    # reads is cut off after a few events of big pods
    d = cric.Daemon(extra_args=["--registries-conf", str(conf)],
                    env={"CRIC_STREAM_QUEUE_MSGS": "2", "CRIC_STREAM_QUEUE_BYTES": str(1 << 20)}).start()
    d.busybox = registry.reference("busybox")
    d.image.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=d.busybox)), timeout=120)
    d.logs = str(tmp)
    yield d
    reports = d.cleanup()
    assert not reports, "sanitizer reports in the cricd log: %s" % reports


def pod_config(d, name, uid):
    log_dir = os.path.join(d.logs, uid)
    os.makedirs(log_dir, exist_ok=True)
    return pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name=name, namespace="events", uid=uid), log_directory=log_dir,
        linux=pb.LinuxPodSandboxConfig(security_context=pb.LinuxSandboxSecurityContext(
            namespace_options=pb.NamespaceOption(network=pb.POD, pid=pb.CONTAINER, ipc=pb.POD))))


def create(d, pod_id, pcfg, name, command, resources=None):
    cfg = pb.ContainerConfig(metadata=pb.ContainerMetadata(name=name), image=pb.ImageSpec(image=d.busybox),
                             command=command, log_path=name + ".log",
                             linux=pb.LinuxContainerConfig(resources=resources))
    return d.runtime.CreateContainer(pb.CreateContainerRequest(pod_sandbox_id=pod_id, config=cfg,
                                                               sandbox_config=pcfg), timeout=60).container_id


def kinds(events):
    return [(e.container_id, e.container_event_type) for e in events]


def test_lifecycle_events_in_order_for_two_subscribers(edaemon):
    d = edaemon
    subs = [Subscriber(d), Subscriber(d)]
    try:
        pcfg = pod_config(d, "life", "uid-life")
        pod = d.runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=pcfg), timeout=60).pod_sandbox_id
        c = create(d, pod, pcfg, "quick", ["sh", "-c", "exit 3"])
        d.runtime.StartContainer(pb.StartContainerRequest(container_id=c), timeout=60)
        oom = create(d, pod, pcfg, "oom", ["tail", "/dev/zero"],
                     pb.LinuxContainerResources(memory_limit_in_bytes=32 * MiB, memory_swap_limit_in_bytes=32 * MiB))
        d.runtime.StartContainer(pb.StartContainerRequest(container_id=oom), timeout=60)
        want = [(pod, CREATED), (pod, STARTED), (c, CREATED), (c, STARTED), (c, STOPPED), (oom, CREATED),
                (oom, STARTED), (oom, STOPPED)]
        got = [s.until(oom, STOPPED) for s in subs]
        for g in got:
            # the exit of `quick` may come before or after the oom container's creation
            assert sorted(kinds(g)) == sorted(want), kinds(g)
            assert [k for k in kinds(g) if k[0] == c] == [(c, CREATED), (c, STARTED), (c, STOPPED)]
            assert [k for k in kinds(g) if k[0] == pod] == [(pod, CREATED), (pod, STARTED)]
        ev = {k: e for e, k in zip(got[0], kinds(got[0]))}
        # each event carries the pod's status and its containers' statuses
        for e in got[0]:
            assert e.pod_sandbox_status.id == pod and e.pod_sandbox_status.metadata.uid == "uid-life"
            assert e.created_at > 0
        assert ev[(pod, STARTED)].pod_sandbox_status.state == pb.SANDBOX_READY
        now = d.runtime.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=pod), timeout=30).status
        assert ev[(pod, STARTED)].pod_sandbox_status.network == now.network
        assert ev[(pod, STARTED)].pod_sandbox_status.metadata == now.metadata
        st = {s.id: s for s in ev[(c, STOPPED)].containers_statuses}
        assert st[c].state == pb.CONTAINER_EXITED and st[c].exit_code == 3 and st[c].reason == "Error"
        st = {s.id: s for s in ev[(oom, STOPPED)].containers_statuses}
        assert st[oom].state == pb.CONTAINER_EXITED and st[oom].reason == "OOMKilled"
        # removals
        d.runtime.RemoveContainer(pb.RemoveContainerRequest(container_id=c), timeout=60)
        for s in subs:
            e = s.until(c, DELETED)[-1]
            assert c not in [x.id for x in e.containers_statuses] and oom in [x.id for x in e.containers_statuses]
        d.runtime.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=pod), timeout=60)
        d.runtime.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pod), timeout=60)
        for s in subs:
            rest = kinds(s.until(pod, DELETED))
            assert rest.index((pod, STOPPED)) < rest.index((oom, DELETED)) < rest.index((pod, DELETED)), rest
    finally:
        for s in subs:
            s.close()


def test_a_subscriber_that_never_reads_is_cut_off_and_the_others_go_on(edaemon):
    """Events of pods with 256 kB of annotations each, until the client's transport
    window and cricd's queue of 1 MiB are full: RESOURCE_EXHAUSTED for it, while a
    reading subscriber gets every event (a burst of more events than the message bound
    of other streams, 2 here, does not cut a reader off)."""
    d = edaemon
    reader = Subscriber(d)
    stalled = d.runtime.GetContainerEvents(pb.GetEventsRequest(), timeout=180)  # never read until the end
    pods = []
    try:
        big = {"a%d" % i: "x" * 1024 for i in range(256)}
        for i in range(40):
            cfg = pod_config(d, "big%d" % i, "uid-big%d" % i)
            cfg.annotations.update(big)
            pods.append(d.runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=cfg), timeout=60).pod_sandbox_id)
            reader.until(pods[-1], STARTED)
            if "not reading" in d.read_log():
                break
        wait_for(lambda: "not reading" in d.read_log(), 60, "cricd to cut the stalled subscriber off")
        with pytest.raises(grpc.RpcError) as err:
            for _ in stalled:
                pass
        assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, err.value
        # the reader goes on
        pod = d.runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=pod_config(d, "after", "uid-after")),
                                      timeout=60).pod_sandbox_id
        pods.append(pod)
        assert kinds(reader.until(pod, STARTED))[-2:] == [(pod, CREATED), (pod, STARTED)]
    finally:
        stalled.cancel()
        reader.close()
        for p in pods:
            d.runtime.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=p), timeout=60)


def test_pod_deleted_event_carries_the_last_pod_status(edaemon):
    d = edaemon
    s = Subscriber(d)
    try:
        pcfg = pod_config(d, "gone", "uid-gone")
        pod = d.runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=pcfg), timeout=60).pod_sandbox_id
        d.runtime.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pod), timeout=60)
        evs = s.until(pod, DELETED)
        assert kinds(evs)[-3:] == [(pod, STARTED), (pod, STOPPED), (pod, DELETED)] or \
            kinds(evs)[-2:] == [(pod, STOPPED), (pod, DELETED)]
        last = evs[-1]
        assert last.pod_sandbox_status.id == pod and last.pod_sandbox_status.metadata.uid == "uid-gone"
        assert last.pod_sandbox_status.state == pb.SANDBOX_NOTREADY
    finally:
        s.close()


def test_exits_while_cricd_was_down_are_sent_at_start(registry, tmp_path):
    conf = tmp_path / "registries.conf"
    conf.write_text('[[registry]]\nlocation = "%s"\ninsecure = true\n' % registry.host)
    d = cric.Daemon(extra_args=["--registries-conf", str(conf)]).start()
    try:
        busybox = registry.reference("busybox")
        d.image.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=busybox)), timeout=120)
        d.busybox, d.logs = busybox, str(tmp_path)
        pcfg = pod_config(d, "down", "uid-down")
        pod = d.runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=pcfg), timeout=60).pod_sandbox_id
        c = create(d, pod, pcfg, "sleeper", ["sleep", "100000"])
        d.runtime.StartContainer(pb.StartContainerRequest(container_id=c), timeout=60)
        info = d.runtime.ContainerStatus(pb.ContainerStatusRequest(container_id=c, verbose=True), timeout=30)
        pid = int(json.loads(info.info["info"])["pid"])
        d.proc.kill()
        d.proc.wait(10)
        d.stop()
        os.kill(pid, signal.SIGKILL)  # it exits while cricd is down; its monitor records the exit
        wait_for(lambda: os.path.exists(os.path.join(d.runroot, "exits", c)), 20, "the exit file")
        d.start()
        s = Subscriber(d)
        try:
            e = s.until(c, STOPPED)[-1]
            st = {x.id: x for x in e.containers_statuses}
            assert st[c].state == pb.CONTAINER_EXITED and st[c].exit_code == 137
        finally:
            s.close()
    finally:
        d.cleanup()
