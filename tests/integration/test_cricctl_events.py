"""cricctl events against a real cricd: it follows GetContainerEvents and prints each
event as it comes (one line each, -o json one JSON object a line, -o yaml one document
each), ends with status 0 on SIGINT or SIGTERM, and fails naming the cause when cricd
ends the stream (it stopped, or cut off a reader that fell behind)."""
import datetime
import json
import re
import signal
import subprocess
import threading
import time

import pytest

from cric import wait_for
from cricctl_util import argv, ctl, new_container, new_pod

pytestmark = pytest.mark.usefixtures("registry")

SUBSCRIBED = "rpc /runtime.v1.RuntimeService/GetContainerEvents ok"
CREATED, STARTED, STOPPED, DELETED = ("CONTAINER_%s_EVENT" % k for k in ("CREATED", "STARTED", "STOPPED", "DELETED"))
LINE = re.compile(r"^(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) (?P<type>CONTAINER_[A-Z]+) "
                  r"container=(?P<id>[0-9a-f]{64})( name=(?P<name>\S+))? pod=(?P<pod>[0-9a-f]{64}) "
                  r"pod-name=(?P<pod_name>\S+)$")


class Events:
    """A `cricctl events` process (PID kept, ended by it) whose stdout lines a thread
    collects. Started once cricd has taken the subscription (its log says the call is
    served), so no event of the test can come before it."""

    def __init__(self, d, *args):
        before = d.read_log().count(SUBSCRIBED)
        self.proc = subprocess.Popen(argv(d, "events", *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.lines = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        wait_for(lambda: d.read_log().count(SUBSCRIBED) > before or self.proc.poll() is not None, 30,
                 "cricd to serve the GetContainerEvents call of cricctl")
        assert self.proc.poll() is None, "cricctl events exited with %d: %s" % (self.proc.returncode,
                                                                               self.proc.stderr.read())

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def snapshot(self):
        with self.lock:
            return list(self.lines)

    def until(self, pred, what, timeout=60):
        """The lines up to the first one for which pred(line) holds."""
        def found():
            lines = self.snapshot()
            for i, line in enumerate(lines):
                if pred(line):
                    return lines[:i + 1]
            return None
        return wait_for(found, timeout, what)

    def end(self, sig=None, timeout=30):
        """Sends sig (if any), waits for the exit; returns (status, stderr)."""
        if sig is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        self.thread.join(10)
        return self.proc.returncode, self.proc.stderr.read()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.end()


@pytest.fixture
def events():
    made = []

    def make(d, *args):
        e = Events(d, *args)
        made.append(e)
        return e
    yield make
    for e in made:
        e.close()


@pytest.fixture(scope="module")
def busybox(registry_daemon, registry):
    ref = registry.reference("busybox")
    ctl(registry_daemon, "pull", ref)
    return ref


def json_events(lines):
    """Each line is one JSON object (JSON Lines)."""
    out = []
    for line in lines:
        doc = json.loads(line)
        assert isinstance(doc, dict), line
        out.append(doc)
    return out


def kinds(evs, ids):
    return [(e["containerId"], e["containerEventType"]) for e in evs if e["containerId"] in ids]


def is_json_event(cid, etype):
    def pred(line):
        e = json.loads(line)
        return e["containerId"] == cid and e["containerEventType"] == etype
    return pred


def test_json_follows_a_container_lifecycle_in_order(clean, tmp_path, busybox, events):
    d = clean
    ev = events(d, "-o", "json")
    pod, pod_cfg = new_pod(d, tmp_path, "evjson")
    cid = new_container(d, tmp_path, pod, pod_cfg, "sleeper", busybox, pod="evjson")
    evs = json_events(ev.until(is_json_event(cid, STARTED), "CONTAINER_STARTED_EVENT of %s" % cid))
    # printed as it happens: the start is out before the container is stopped
    ctl(d, "stop", "-t", "30", cid)
    ctl(d, "rm", cid)
    evs = json_events(ev.until(is_json_event(cid, DELETED), "CONTAINER_DELETED_EVENT of %s" % cid))
    assert kinds(evs, {pod, cid}) == [(pod, CREATED), (pod, STARTED), (cid, CREATED), (cid, STARTED), (cid, STOPPED),
                                      (cid, DELETED)]
    mine = [e for e in evs if e["containerId"] == cid]
    now_ns = time.time_ns()
    stamps = [int(e["createdAt"]) for e in mine]  # protojson: 64-bit integers as strings
    assert all(isinstance(e["createdAt"], str) for e in mine)
    assert stamps == sorted(stamps) and now_ns - 600 * 10**9 < stamps[0] <= now_ns, stamps
    for e in mine:
        ps = e["podSandboxStatus"]
        assert ps["id"] == pod and ps["metadata"]["name"] == "evjson" and ps["metadata"]["namespace"] == "default"
    st = {s["id"]: s for s in mine[1]["containersStatuses"]}
    assert st[cid]["state"] == "CONTAINER_RUNNING" and st[cid]["metadata"]["name"] == "sleeper"
    st = {s["id"]: s for s in mine[2]["containersStatuses"]}
    assert st[cid]["state"] == "CONTAINER_EXITED" and st[cid]["exitCode"] == 42  # SLEEP's trap of SIGTERM
    assert cid not in [s["id"] for s in mine[3]["containersStatuses"]]
    code, err = ev.end(signal.SIGINT)
    assert code == 0 and err == "", err


def test_default_format_is_one_line_per_event(clean, tmp_path, busybox, events):
    d = clean
    ev = events(d)
    pod, pod_cfg = new_pod(d, tmp_path, "evline", namespace="team")
    cid = new_container(d, tmp_path, pod, pod_cfg, "liner", busybox, pod="evline", namespace="team")
    lines = ev.until(lambda line: "CONTAINER_STARTED container=" + cid in line, "the start line of %s" % cid)
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    got = [(m["id"], m["type"]) for m in parsed if m["id"] in (pod, cid)]
    assert got == [(pod, "CONTAINER_CREATED"), (pod, "CONTAINER_STARTED"), (cid, "CONTAINER_CREATED"),
                   (cid, "CONTAINER_STARTED")], lines
    last = parsed[-1]
    assert last["name"] == "liner" and last["pod"] == pod and last["pod_name"] == "team/evline"
    when = datetime.datetime.strptime(last["time"][:26] + "Z", "%Y-%m-%dT%H:%M:%S.%fZ")
    when = when.replace(tzinfo=datetime.timezone.utc)
    assert abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) < 600, last["time"]
    code, err = ev.end(signal.SIGTERM)
    assert code == 0 and err == "", err


def test_yaml_prints_one_document_per_event(clean, tmp_path, events):
    d = clean
    ev = events(d, "-o", "yaml")
    pod, _ = new_pod(d, tmp_path, "evyaml")
    lines = ev.until(lambda line: line == "containerEventType: CONTAINER_STARTED_EVENT", "the pod's start")
    docs = "\n".join(lines).split("---\n")
    assert docs[0] == "" and len(docs) == 3, lines
    created = docs[1].splitlines()  # keys sorted, as sigs.k8s.io/yaml prints them
    assert created[:2] == ["containerEventType: CONTAINER_CREATED_EVENT", "containerId: %s" % pod], created
    assert "podSandboxStatus:" in created and "  id: %s" % pod in created, created
    assert docs[2] == "containerEventType: CONTAINER_STARTED_EVENT"
    code, err = ev.end(signal.SIGINT)
    assert code == 0 and err == "", err


def test_sigint_before_any_event_ends_it_cleanly(clean, events):
    ev = events(clean)
    code, err = ev.end(signal.SIGINT)
    assert code == 0 and err == "" and ev.snapshot() == []


def test_a_stopped_daemon_ends_it_with_an_error(make_daemon, events):
    d = make_daemon().start()
    ev = events(d, "-o", "json")
    d.stop()
    code, err = ev.end(timeout=60)
    assert code != 0, err
    assert err.startswith("cricctl: getting container events: "), err
    assert "GetContainerEvents failed: rpc error: code = Unavailable desc = " in err, err
    assert err.count("\n") == 1, err  # that one line, nothing else (no sanitizer report)


def test_a_reader_that_falls_behind_is_cut_off_with_resource_exhausted(make_daemon, events, tmp_path):
    """cricctl stopped (SIGSTOP) while pods with 256 kB of annotations come and go: once
    the transport window and cricd's queue of 1 MiB are full, cricd cuts it off; woken
    up, it prints what it had and fails naming RESOURCE_EXHAUSTED."""
    d = make_daemon(env={"CRIC_STREAM_QUEUE_MSGS": "2", "CRIC_STREAM_QUEUE_BYTES": str(1 << 20)}).start()
    ev = events(d)
    ev.proc.send_signal(signal.SIGSTOP)
    try:
        big = {"a%d" % i: "x" * 1024 for i in range(256)}
        pods = []
        for i in range(40):
            pods.append(new_pod(d, tmp_path, "big%d" % i, annotations=big)[0])
            if "not reading" in d.read_log():
                break
        wait_for(lambda: "not reading" in d.read_log(), 60, "cricd to cut the stopped cricctl off")
    finally:
        ev.proc.send_signal(signal.SIGCONT)
    code, err = ev.end(timeout=60)
    assert code == 1, err
    assert err.startswith("cricctl: getting container events: GetContainerEvents failed: rpc error: "
                          "code = ResourceExhausted desc = "), err
    assert err.count("\n") == 1, err
    lines = ev.snapshot()
    assert lines and all(LINE.match(line) for line in lines), lines[:3]
    assert LINE.match(lines[0])["pod"] == pods[0]


def test_unknown_output_and_arguments(clean):
    r = ctl(clean, "events", "-o", "table-ish", check=False)
    assert r.returncode == 1 and "unsupported output format \"table-ish\"" in r.stderr, r.stderr
    r = ctl(clean, "events", "--help")
    assert r.returncode == 0 and "cricctl events - Stream the events of containers" in r.stdout
    assert "--output" in r.stdout
    assert ctl(clean, "event", "--help").stdout == r.stdout  # crictl's alias
