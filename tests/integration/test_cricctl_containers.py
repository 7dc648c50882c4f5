"""cricctl's container commands against a real cricd: create, start, run, ps, inspect,
stop, rm, exec, logs, update, stats, statsp; images come from the fixture registry."""
import collections
import json
import os
import re
import select
import subprocess
import time

import pytest

import cric
from cric import wait_for
from cricctl_util import HEX64, create, ctl, ctr_config, new_container, new_pod, pod_config, start, write_json

pytestmark = pytest.mark.usefixtures("registry")

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$")
SIZE = re.compile(r"^\d+(\.\d+)?[kMGTP]?B$")
ZERO_TIME = "0001-01-01T00:00:00Z"

Image = collections.namedtuple("Image", "ref id")


def pull(d, registry, name):
    ref = registry.reference(name)
    ctl(d, "pull", ref)
    return Image(ref, json.loads(ctl(d, "inspecti", ref).stdout)["status"]["id"])


@pytest.fixture(scope="module")
def busybox(registry_daemon, registry):
    return pull(registry_daemon, registry, "busybox")


@pytest.fixture(scope="module")
def other_image(registry_daemon, registry):
    """A second image (same rootfs, its own id) for the --image filter."""
    return pull(registry_daemon, registry, "busybox-uncompressed")


def status(d, cid):
    return json.loads(ctl(d, "inspect", "-q", cid).stdout)["status"]


def wait_exited(d, cid):
    return wait_for(lambda: status(d, cid)["state"] == "CONTAINER_EXITED" and status(d, cid), 30, "%s to exit" % cid)


def table(out, columns):
    """Rows of a crictl table as dicts, cut at the header's column offsets (cells hold spaces)."""
    lines = out.splitlines()
    header, starts, pos = lines[0], [], 0
    for name in columns:
        pos = header.index(name, pos)
        starts.append(pos)
        pos += len(name)
    assert header.split() == " ".join(columns).split(), header
    rows = []
    for line in lines[1:]:
        cells = [line[s:e].strip() for s, e in zip(starts, starts[1:] + [None])]
        rows.append(dict(zip(columns, cells)))
    return rows


PS_COLUMNS = ["CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD", "NAMESPACE"]


def image_cells(img):
    """What the IMAGE column may show: the name the container was made with, or its image id cut short."""
    bare = img.id.split(":", 1)[-1]
    return {img.ref, bare[:13], img.id, bare}


# ---- create, start, ps ----


def test_create_start_ps_table(clean, tmp_path, busybox):
    d = clean
    pod_id, pod_cfg = new_pod(d, tmp_path, "web")
    cid = new_container(d, tmp_path, pod_id, pod_cfg, "sleeper", busybox.ref, is_started=False, attempt=3)
    assert ctl(d, "ps", "-q").stdout == ""  # running ones only by default
    assert ctl(d, "ps", "-a", "-q").stdout.split() == [cid]
    rows = table(ctl(d, "ps", "-a").stdout, PS_COLUMNS)
    assert [r["STATE"] for r in rows] == ["Created"]
    start(d, cid)
    rows = table(d.cricctl("ps").stdout, PS_COLUMNS)  # the default call timeout
    assert len(rows) == 1
    row = rows[0]
    assert row["CONTAINER"] == cid[:13] and row["POD ID"] == pod_id[:13]
    assert row["IMAGE"] in image_cells(busybox)
    assert row["CREATED"].endswith(" ago")
    assert (row["STATE"], row["NAME"], row["ATTEMPT"], row["POD"], row["NAMESPACE"]) == (
        "Running", "sleeper", "3", "web", "default")
    out = ctl(d, "ps", "--no-trunc").stdout
    assert cid in out and pod_id in out
    # newest first; --latest and --last look at every state
    c2 = new_container(d, tmp_path, pod_id, pod_cfg, "second", busybox.ref, is_started=False)
    assert ctl(d, "ps", "-a", "-q").stdout.split() == [c2, cid]
    assert ctl(d, "ps", "-q").stdout.split() == [cid]
    assert ctl(d, "ps", "--latest", "-q").stdout.split() == [c2]
    assert ctl(d, "ps", "-l", "-q").stdout.split() == [c2]
    assert ctl(d, "ps", "--last", "1", "-q").stdout.split() == [c2]
    assert ctl(d, "ps", "-n", "2", "-q").stdout.split() == [c2, cid]
    assert ctl(d, "ps", "-n", "0", "-a", "-q").stdout.split() == [c2, cid]


def test_ps_filters(clean, tmp_path, busybox, other_image):
    d = clean
    p1, p1_cfg = new_pod(d, tmp_path, "front")
    p2, p2_cfg = new_pod(d, tmp_path, "back", namespace="data")
    a = new_container(d, tmp_path, p1, p1_cfg, "web", busybox.ref, pod="front", labels={"tier": "front"})
    b = new_container(d, tmp_path, p2, p2_cfg, "db", busybox.ref, is_started=False, pod="back", namespace="data",
                      labels={"tier": "back"})
    c = new_container(d, tmp_path, p2, p2_cfg, "cache", other_image.ref, pod="back", namespace="data",
                      labels={"tier": "back", "kind": "cache"})

    def ps(*args):
        return set(ctl(d, "ps", "-q", *args).stdout.split())

    assert ps() == {a, c}
    assert ps("-a") == {a, b, c}
    assert ps("-a", "--id", a[:8]) == {a}
    assert ps("-a", "--id", b) == {b}
    assert ps("--pod", p1) == {a}
    assert ps("-a", "-p", p2[:10]) == {b, c}
    assert ps("-a", "--name", "^d") == {b}
    assert ps("-a", "--name", "c") == {c}
    assert ps("-a", "--namespace", "^data$") == {b, c}
    assert ps("-a", "--namespace", "^default$") == {a}
    assert ps("--label", "tier=front") == {a}
    assert ps("-a", "--label=tier=back") == {b, c}
    assert ps("-a", "--label", "tier=back", "--label", "kind=cache") == {c}
    assert ps("-a", "--label", "tier=none") == set()
    assert ps("--state", "created") == {b}
    assert ps("-s", "Running") == {a, c}
    assert ps("--state", "exited") == set()
    assert ps("-a", "--image", busybox.ref) == {a, b}
    assert ps("-a", "--image", other_image.ref) == {c}
    assert ps("-a", "--image", "nosuchimage:latest") == set()
    ctl(d, "stop", a)
    assert ps("--state", "exited") == {a}
    assert ps() == {c}
    # -r shows the image's first tag
    rows = table(ctl(d, "ps", "-r", "--id", c).stdout, PS_COLUMNS)
    assert rows[0]["IMAGE"] == other_image.ref
    # -v: crictl's verbose layout
    out = ctl(d, "ps", "-v", "--id", c).stdout
    for line in ("ID: %s" % c, "PodID: %s" % p2, "Namespace: data", "Name: cache", "Attempt: 0", "State: Running",
                 "Labels:", "\tkind -> cache", "Annotations:", "\tnote -> cache"):
        assert line + "\n" in out, out
    assert "Created: " in out and " ago\n" in out
    r = ctl(d, "ps", "--state", "bogus", check=False)
    assert r.returncode == 1 and "--state should be one of created, running, exited or unknown" in r.stderr
    r = ctl(d, "ps", "--label", "novalue", check=False)
    assert r.returncode == 1 and "incorrectly specified label: novalue" in r.stderr
    r = ctl(d, "ps", "--name", "(", check=False)
    assert r.returncode == 1 and "invalid regular expression" in r.stderr


def test_ps_json_yaml(clean, tmp_path, busybox):
    d = clean
    pod_id, pod_cfg = new_pod(d, tmp_path, "jay")
    cid = new_container(d, tmp_path, pod_id, pod_cfg, "json", busybox.ref, pod="jay")
    doc = json.loads(ctl(d, "ps", "-o", "json").stdout)
    assert list(doc) == ["containers"] and len(doc["containers"]) == 1
    c = doc["containers"][0]
    assert c["id"] == cid and c["podSandboxId"] == pod_id
    assert c["metadata"] == {"name": "json", "attempt": 0}
    assert c["state"] == "CONTAINER_RUNNING"
    assert c["labels"]["app"] == "json" and c["annotations"] == {"note": "json"}
    assert isinstance(c["createdAt"], str) and int(c["createdAt"]) > 0
    assert c["image"]["image"] in image_cells(busybox) and c["imageRef"]
    assert json.loads(ctl(d, "ps", "-o", "json", "--name", "nomatch").stdout) == {"containers": []}
    out = ctl(d, "ps", "-o", "yaml").stdout
    assert out.startswith("containers:\n") and "name: json" in out and "state: CONTAINER_RUNNING" in out
    assert json.loads(ctl(d, "-o", "json", "ps").stdout)["containers"][0]["id"] == cid  # the global -o


# ---- inspect ----


def test_inspect(clean, tmp_path, busybox):
    d = clean
    pod_id, pod_cfg = new_pod(d, tmp_path, "insp")
    cid = new_container(d, tmp_path, pod_id, pod_cfg, "looker", busybox.ref, pod="insp", attempt=2)
    doc = json.loads(ctl(d, "inspect", cid).stdout)
    assert "status" in doc and "info" in doc  # verbose by default, like crictl
    st = doc["status"]
    assert st["id"] == cid and st["state"] == "CONTAINER_RUNNING"
    assert st["metadata"] == {"name": "looker", "attempt": 2}
    assert RFC3339.match(st["createdAt"]) and RFC3339.match(st["startedAt"]), st
    assert st["finishedAt"] == ZERO_TIME
    assert st["labels"]["app"] == "looker" and st["annotations"] == {"note": "looker"}
    assert st["logPath"] == str(tmp_path / "logs-insp" / "looker.log")
    assert st["image"]["image"] in image_cells(busybox)
    # a unique prefix is enough
    assert json.loads(ctl(d, "inspect", cid[:12]).stdout)["status"]["id"] == cid
    assert list(json.loads(ctl(d, "inspect", "-q", cid).stdout)) == ["status"]
    out = ctl(d, "inspect", "-o", "yaml", cid).stdout
    assert "status:" in out and "state: CONTAINER_RUNNING" in out
    out = ctl(d, "inspect", "-o", "table", cid).stdout
    for line in ("ID: %s" % cid, "Name: looker", "Attempt: 2", "State: CONTAINER_RUNNING", "Labels:",
                 "\tapp -> looker", "Annotations:", "\tnote -> looker"):
        assert line + "\n" in out, out
    assert re.search(r"^Created: .* ago$", out, re.M) and re.search(r"^Started: .* ago$", out, re.M)
    assert re.search(r"^Info: map\[", out, re.M)
    # no ids: the containers the filter flags pick
    assert json.loads(ctl(d, "inspect", "-q", "--name", "^looker$").stdout)["status"]["id"] == cid
    # a created container has not started; an exited one has finished
    c2 = new_container(d, tmp_path, pod_id, pod_cfg, "idle", busybox.ref, is_started=False, pod="insp")
    st2 = status(d, c2)
    assert st2["state"] == "CONTAINER_CREATED" and st2["startedAt"] == ZERO_TIME and st2["finishedAt"] == ZERO_TIME
    two = ctl(d, "inspect", "-q", cid, c2).stdout
    assert two.count('"status"') == 2 and cid in two and c2 in two
    ctl(d, "stop", "-t", "10", cid)
    st = status(d, cid)
    assert st["state"] == "CONTAINER_EXITED" and RFC3339.match(st["finishedAt"]) and st["exitCode"] == 42
    out = ctl(d, "inspect", "-o", "table", cid).stdout
    assert "Exit Code: 42\n" in out and re.search(r"^Finished: .* ago$", out, re.M)


# ---- stop, rm ----


def test_stop_rm(clean, tmp_path, busybox):
    d = clean
    pod_id, pod_cfg = new_pod(d, tmp_path, "gone")
    cid = new_container(d, tmp_path, pod_id, pod_cfg, "victim", busybox.ref, pod="gone")
    log_path = status(d, cid)["logPath"]
    wait_for(lambda: os.path.exists(log_path), 30, "the log file")
    r = ctl(d, "rm", cid, check=False)  # a running container needs stop or -f first
    assert r.returncode == 1 and 'container "%s" is running, please stop it first' % cid in r.stderr
    start_ns = time.monotonic()
    assert ctl(d, "stop", "--timeout", "30", cid).stdout == cid + "\n"
    assert time.monotonic() - start_ns < 20  # SIGTERM did it, not the SIGKILL after 30 s
    st = status(d, cid)
    assert st["state"] == "CONTAINER_EXITED" and st["exitCode"] == 42
    assert ctl(d, "stop", cid).stdout == cid + "\n"  # idempotent
    open(log_path + ".1", "w").close()  # a rotation: crictl removes those too
    assert ctl(d, "rm", cid).stdout == cid + "\n"
    assert not os.path.exists(log_path) and not os.path.exists(log_path + ".1")
    assert ctl(d, "ps", "-a", "-q").stdout == ""
    # -f stops first (at once: timeout 0), then removes; -k keeps the log
    c2 = new_container(d, tmp_path, pod_id, pod_cfg, "forced", busybox.ref, pod="gone")
    log2 = status(d, c2)["logPath"]
    wait_for(lambda: os.path.exists(log2), 30, "the log file")
    assert ctl(d, "rm", "-f", "-k", c2).stdout == "%s\n%s\n" % (c2, c2)
    assert os.path.exists(log2)
    r = ctl(d, "rm", "nosuchcontainer", check=False)
    assert r.returncode == 1 and "code = NotFound" in r.stderr and '"nosuchcontainer"' in r.stderr


def test_stop_all_rm_all(clean, tmp_path, busybox):
    d = clean
    assert ctl(d, "stop", "-a").stdout == "No running containers found.\n"
    pod_id, pod_cfg = new_pod(d, tmp_path, "many")
    made = [new_container(d, tmp_path, pod_id, pod_cfg, "r%d" % i, busybox.ref, is_started=False, pod="many")
            for i in range(2)]
    assert ctl(d, "start", *made).stdout.split() == made  # several at once, in order
    running = set(made)
    idle = new_container(d, tmp_path, pod_id, pod_cfg, "idle", busybox.ref, is_started=False, pod="many")
    out = ctl(d, "stop", "-t", "0", "--all").stdout
    assert set(out.split()) == running  # running ones only
    assert ctl(d, "ps", "-q").stdout == ""
    r = ctl(d, "stop", "-a", idle, check=False)
    assert r.returncode == 1 and "cannot specify CONTAINER-ID(s) when using --all" in r.stderr
    out = ctl(d, "rm", "-a").stdout
    assert set(out.split()) == running | {idle}
    assert ctl(d, "ps", "-a", "-q").stdout == ""
    assert ctl(d, "rm", "--all").stdout == ""  # nothing left: not an error


# ---- exec ----


def test_exec(clean, tmp_path, busybox):
    d = clean
    pod_id, pod_cfg = new_pod(d, tmp_path, "ex")
    cid = new_container(d, tmp_path, pod_id, pod_cfg, "shell", busybox.ref, pod="ex",
                        envs={"GREETING": "hello world"})
    r = ctl(d, "exec", cid, "echo", "hi")
    assert (r.returncode, r.stdout, r.stderr) == (0, "hi\n", "")
    # what follows the id is the command's, flags included; the exit code passes through
    r = ctl(d, "exec", cid, "sh", "-c", "echo out; echo err >&2; exit 3", check=False)
    assert (r.returncode, r.stdout, r.stderr) == (3, "out\n", "err\n")
    r = ctl(d, "exec", "-s", cid[:12], "sh", "-c", 'echo "$GREETING"')
    assert r.stdout == "hello world\n"
    assert ctl(d, "exec", "--sync", "--timeout", "20", cid, "cat", "/proc/1/cmdline").stdout.startswith("sh\0-c\0")
    t0 = time.monotonic()
    r = ctl(d, "exec", "--timeout", "1", cid, "sleep", "30", check=False)
    assert r.returncode != 0 and time.monotonic() - t0 < 20
    # streaming (the default, as in crictl) and -s agree; the streaming forms are in test_cricctl_streaming.py
    r = ctl(d, "exec", "--sync=false", cid, "sh", "-c", 'echo "$GREETING"; exit 2', check=False)
    assert (r.returncode, r.stdout) == (2, "hello world\n")
    r = ctl(d, "exec", "nosuchcontainer", "true", check=False)
    assert r.returncode == 1 and "code = NotFound" in r.stderr
    ctl(d, "stop", "-t", "0", cid)
    r = ctl(d, "exec", "-s", cid, "true", check=False)
    assert r.returncode == 1 and "synchronously" in r.stderr
    r = ctl(d, "exec", cid, "true", check=False)
    assert r.returncode == 1 and "execing command in container %s: " % cid in r.stderr and "not running" in r.stderr


# ---- logs ----


def test_logs(clean, tmp_path, busybox):
    d = clean
    pod_id, pod_cfg = new_pod(d, tmp_path, "lg")
    # the pauses keep the order of the two streams in the file
    cmd = ["sh", "-c", "echo out1; sleep 0.3; echo err1 >&2; sleep 0.3; echo out2"]
    cid = new_container(d, tmp_path, pod_id, pod_cfg, "talker", busybox.ref, cmd=cmd, pod="lg")
    wait_exited(d, cid)
    r = ctl(d, "logs", cid)
    assert (r.stdout, r.stderr) == ("out1\nout2\n", "err1\n")
    r = ctl(d, "logs", "--tail", "1", cid)
    assert (r.stdout, r.stderr) == ("out2\n", "")
    r = ctl(d, "logs", "--tail=2", cid)
    assert (r.stdout, r.stderr) == ("out2\n", "err1\n")
    assert ctl(d, "logs", "--tail", "0", cid).stdout == ""
    r = ctl(d, "logs", "-t", cid)
    lines = r.stdout.splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["out1", "out2"]
    assert all(RFC3339.match(line.split(" ", 1)[0]) for line in lines), lines
    assert ctl(d, "logs", "--since", "2099-01-01T00:00:00Z", cid).stdout == ""
    assert ctl(d, "logs", "--since", "1h", cid).stdout == "out1\nout2\n"
    assert ctl(d, "logs", "--since", "1000000000", cid).stdout == "out1\nout2\n"
    r = ctl(d, "logs", "--since", "yesterday", cid, check=False)
    assert r.returncode == 1 and "--since" in r.stderr
    # following a container that has exited ends at once
    assert ctl(d, "logs", "-f", cid, timeout=20).stdout == "out1\nout2\n"


def test_logs_cri_format(clean, tmp_path, busybox):
    """The parsing of the CRI log format, on a file written here."""
    d = clean
    pod_id, pod_cfg = new_pod(d, tmp_path, "fmt")
    cid = new_container(d, tmp_path, pod_id, pod_cfg, "quiet", busybox.ref, cmd=["true"], pod="fmt")
    wait_exited(d, cid)
    log_path = status(d, cid)["logPath"]
    with open(log_path, "w") as f:
        f.write("2024-01-01T00:00:00.000000001Z stdout F first\n"
                "2024-01-01T00:00:01Z stdout P par\n"
                "2024-01-01T00:00:01.5Z stderr F e1\n"
                "2024-01-01T00:00:02Z stdout P ti\n"
                "2024-01-01T00:00:03Z stdout F al\n"
                "not a log line\n"
                "2024-01-01T00:00:04+01:00 stdout F last\n"
                "2024-01-01T00:00:05Z stdout F \n"
                "2024-01-01T00:00:06Z stderr P unfinished\n")
    r = ctl(d, "logs", cid)
    assert (r.stdout, r.stderr) == ("first\npartial\nlast\n\n", "e1\nunfinished")
    r = ctl(d, "logs", "--timestamps", cid)
    assert r.stdout == ("2024-01-01T00:00:00.000000001Z first\n2024-01-01T00:00:01Z partial\n"
                        "2024-01-01T00:00:04+01:00 last\n2024-01-01T00:00:05Z \n")
    assert r.stderr == "2024-01-01T00:00:01.5Z e1\n2024-01-01T00:00:06Z unfinished"
    r = ctl(d, "logs", "--tail", "3", cid)
    assert (r.stdout, r.stderr) == ("last\n\n", "unfinished")
    # +01:00 puts "last" before 00:00:01Z
    r = ctl(d, "logs", "--since", "2024-01-01T00:00:01Z", cid)
    assert (r.stdout, r.stderr) == ("partial\n\n", "e1\nunfinished")


# Holds the container's last lines back until the test lets it go (`exec touch /tmp/go`).
GATE = "while [ ! -e /tmp/go ]; do sleep 0.05; done"


def follow(d, *args):
    """`cricctl logs -f args...` in the background (text pipes)."""
    return subprocess.Popen([cric.CRICCTL, "--runtime-endpoint", "unix://" + d.socket, "--timeout", "60s",
                             "logs", "-f"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def first_line(p, timeout=30):
    wait_for(lambda: select.select([p.stdout], [], [], 0.1)[0], timeout, "the first line of logs -f")
    return p.stdout.readline()


def finish(p):
    try:
        return p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_logs_follow(clean, tmp_path, busybox):
    d = clean
    pod_id, pod_cfg = new_pod(d, tmp_path, "fol")
    cmd = ["sh", "-c", "echo a; %s; echo b >&2; echo c" % GATE]
    cid = new_container(d, tmp_path, pod_id, pod_cfg, "slow", busybox.ref, cmd=cmd, pod="fol")
    p = follow(d, cid)
    # "a" arrives while the container waits at the gate: the rest can only come by following
    assert first_line(p) == "a\n"
    ctl(d, "exec", cid, "touch", "/tmp/go")
    out, err = finish(p)
    assert (p.returncode, "a\n" + out, err) == (0, "a\nc\n", "b\n")
    assert status(d, cid)["state"] == "CONTAINER_EXITED"
    # --follow with --tail: the last line, then what comes
    cmd = ["sh", "-c", "echo old1; echo old2; %s; echo new" % GATE]
    c2 = new_container(d, tmp_path, pod_id, pod_cfg, "tailed", busybox.ref, cmd=cmd, pod="fol")
    log_path = status(d, c2)["logPath"]
    wait_for(lambda: os.path.exists(log_path) and "old2" in open(log_path).read(), 30, "old2 in the log")
    p = follow(d, "--tail", "1", c2)
    assert first_line(p) == "old2\n"
    ctl(d, "exec", c2, "touch", "/tmp/go")
    out, err = finish(p)
    assert (p.returncode, "old2\n" + out, err) == (0, "old2\nnew\n", "")


def test_logs_errors(clean, tmp_path, busybox):
    d = clean
    r = ctl(d, "logs", "nosuchcontainer", check=False)
    assert r.returncode == 1 and "code = NotFound" in r.stderr
    r = ctl(d, "logs", check=False)
    assert r.returncode == 1 and "ID cannot be empty" in r.stderr


# ---- update ----


def test_update(clean, tmp_path, busybox):
    d = clean
    pod_id, pod_cfg = new_pod(d, tmp_path, "upd")
    cid = new_container(d, tmp_path, pod_id, pod_cfg, "tuned", busybox.ref, pod="upd")
    out = ctl(d, "update", "--cpu-period", "100000", "--cpu-quota", "50000", "--cpu-share", "512",
              "--memory", "64m", "--cpuset-cpus", "0", "--cpuset-mems", "0", cid).stdout
    assert out == cid + "\n"
    res = status(d, cid)["resources"]["linux"]
    assert (res["cpuPeriod"], res["cpuQuota"], res["cpuShares"]) == ("100000", "50000", "512")
    assert res["memoryLimitInBytes"] == str(64 << 20)
    assert (res["cpusetCpus"], res["cpusetMems"]) == ("0", "0")
    assert ctl(d, "update", "--memory", "1.5g", cid[:12]).stdout == cid[:12] + "\n"
    assert status(d, cid)["resources"]["linux"]["memoryLimitInBytes"] == str(3 << 29)
    assert ctl(d, "update", "--memory", str(100 << 20), cid).stdout == cid + "\n"
    assert status(d, cid)["resources"]["linux"]["memoryLimitInBytes"] == str(100 << 20)
    r = ctl(d, "update", "--memory", "12x", cid, check=False)
    assert r.returncode == 1 and "invalid size" in r.stderr
    r = ctl(d, "update", "--cpu-quota", "lots", cid, check=False)
    assert r.returncode == 1 and 'invalid value "lots" for flag --cpu-quota' in r.stderr
    r = ctl(d, "update", "--memory", "64m", "nosuchcontainer", check=False)
    assert r.returncode == 1 and 'updating container resources for "nosuchcontainer"' in r.stderr


# ---- run, create with pulls ----


def test_run(clean, tmp_path, busybox, registry):
    d = clean
    pod_cfg = pod_config(tmp_path, "runpod")
    ctr_cfg = ctr_config(tmp_path, "runner", busybox.ref, pod="runpod")
    cid = ctl(d, "run", ctr_cfg, pod_cfg).stdout.strip()
    assert HEX64.match(cid)
    st = status(d, cid)
    assert st["state"] == "CONTAINER_RUNNING" and st["metadata"]["name"] == "runner"
    pods = ctl(d, "pods", "-q").stdout.split()
    assert len(pods) == 1
    assert ctl(d, "ps", "-q", "--pod", pods[0]).stdout.split() == [cid]
    # an image that is not there yet is pulled first
    ref = registry.reference("busybox-zstd")
    assert ctl(d, "images", "-q", ref).stdout == ""
    cid2 = ctl(d, "run", ctr_config(tmp_path, "pulled", ref, pod="p2"), pod_config(tmp_path, "p2")).stdout.strip()
    assert status(d, cid2)["state"] == "CONTAINER_RUNNING"
    assert ctl(d, "images", "-q", ref).stdout.strip()
    # --no-pull with a missing image: the pod is made, the container is not
    ref3 = registry.reference("user-uid")
    r = ctl(d, "run", "--no-pull", ctr_config(tmp_path, "nopull", ref3, pod="p3"), pod_config(tmp_path, "p3"),
            check=False)
    assert r.returncode == 1 and "running container: creating container failed: " in r.stderr
    assert ctl(d, "images", "-q", ref3).stdout == ""
    r = ctl(d, "run", "--runtime", "nosuch", ctr_cfg, pod_config(tmp_path, "p4"), check=False)
    assert r.returncode == 1 and "running container: run pod sandbox: " in r.stderr
    assert "code = InvalidArgument" in r.stderr
    r = ctl(d, "run", "--no-pull", "--with-pull", ctr_cfg, pod_cfg, check=False)
    assert r.returncode == 1 and "conflict: no-pull and with-pull are both set" in r.stderr
    # -r picks the handler; a pod config without a uid gets one, as with crictl
    no_uid = json.loads(open(pod_config(tmp_path, "p5")).read())
    no_uid["metadata"].pop("uid")
    cid5 = ctl(d, "run", "-r", "runc", ctr_config(tmp_path, "h", busybox.ref, pod="p5"),
               write_json(tmp_path / "p5-nouid.json", no_uid)).stdout.strip()
    st5 = status(d, cid5)
    assert st5["state"] == "CONTAINER_RUNNING"
    pod5 = json.loads(ctl(d, "ps", "-o", "json", "--id", cid5).stdout)["containers"][0]["podSandboxId"]
    uid = json.loads(ctl(d, "inspectp", pod5).stdout)["status"]["metadata"]["uid"]
    assert re.match(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", uid), uid


def test_create_pull(clean, tmp_path, registry):
    d = clean
    pod_id, pod_cfg = new_pod(d, tmp_path, "cp")
    ref = registry.reference("busybox-docker")
    # create pulls nothing unless asked (crictl's pull-image-on-create = false)
    r = ctl(d, "create", pod_id, ctr_config(tmp_path, "first", ref, pod="cp"), pod_cfg, check=False)
    assert r.returncode == 1 and "creating container: " in r.stderr
    assert ctl(d, "images", "-q", ref).stdout == ""
    cid = create(d, pod_id, ctr_config(tmp_path, "second", ref, pod="cp"), pod_cfg, "--with-pull")
    assert ctl(d, "images", "-q", ref).stdout.strip()
    start(d, cid)
    assert status(d, cid)["state"] == "CONTAINER_RUNNING"
    assert create(d, pod_id, ctr_config(tmp_path, "third", ref, pod="cp"), pod_cfg, "--no-pull")


# ---- stats, statsp ----


STATS_COLUMNS = ["CONTAINER", "NAME", "CPU %", "MEM", "DISK", "INODES"]
STATSP_COLUMNS = ["POD", "POD ID", "CPU %", "MEM"]


def test_stats(clean, tmp_path, busybox):
    d = clean
    pod_id, pod_cfg = new_pod(d, tmp_path, "st", labels={"app": "st"})
    # some CPU use, so that CPU % has something to show
    busy = ["sh", "-c", "while :; do i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done; sleep 0.1; done"]
    cid = new_container(d, tmp_path, pod_id, pod_cfg, "busy", busybox.ref, cmd=busy, pod="st")
    # a created container counts too: its runtime's init process waits in its cgroup
    idle = new_container(d, tmp_path, pod_id, pod_cfg, "idle", busybox.ref, is_started=False, pod="st")
    done = new_container(d, tmp_path, pod_id, pod_cfg, "done", busybox.ref, cmd=["true"], pod="st")
    wait_exited(d, done)
    rows = table(ctl(d, "stats").stdout, STATS_COLUMNS)
    assert [r["CONTAINER"] for r in rows] == [x[:13] for x in sorted([cid, idle])]  # sorted by id
    row = [r for r in rows if r["CONTAINER"] == cid[:13]][0]
    assert row["NAME"] == "busy"
    assert float(row["CPU %"]) >= 0 and SIZE.match(row["MEM"]) and SIZE.match(row["DISK"]), row
    assert int(row["INODES"]) > 0
    rows = table(ctl(d, "stats", "-a", "-s", "1").stdout, STATS_COLUMNS)
    assert sorted(r["CONTAINER"] for r in rows) == sorted([cid[:13], idle[:13]])  # an exited one has no stats
    doc = json.loads(ctl(d, "stats", "-o", "json").stdout)
    assert list(doc) == ["stats"]
    by_id = {s["attributes"]["id"]: s for s in doc["stats"]}
    assert set(by_id) == {cid, idle}
    s = by_id[cid]
    assert s["attributes"]["metadata"]["name"] == "busy" and s["attributes"]["labels"]["app"] == "busy"
    assert int(s["cpu"]["usageCoreNanoSeconds"]["value"]) > 0
    assert int(s["memory"]["workingSetBytes"]["value"]) > 0
    assert int(s["cpu"]["timestamp"]) > 0
    # one container: ContainerStats
    one = json.loads(ctl(d, "stats", "-o", "json", cid[:12]).stdout)
    assert [x["attributes"]["id"] for x in one["stats"]] == [cid]
    assert "stats:" in ctl(d, "stats", "-o", "yaml", cid).stdout

    def ids(*args):
        return {x["attributes"]["id"] for x in json.loads(ctl(d, "stats", "-o", "json", *args).stdout)["stats"]}

    assert ids("--id", cid) == {cid}
    assert ids("--pod", pod_id) == {cid, idle}
    assert ids("-p", "0" * 64) == set()
    assert ids("--label", "app=idle") == {idle}
    assert ids("--label", "app=none") == set()
    r = ctl(d, "stats", "nosuchcontainer", check=False)
    assert r.returncode == 1 and "get container stats: " in r.stderr
    r = ctl(d, "stats", "--label", "bad", check=False)
    assert r.returncode == 1 and "incorrectly specified label: bad" in r.stderr


def test_statsp(clean, tmp_path, busybox):
    d = clean
    pod_id, pod_cfg = new_pod(d, tmp_path, "sp", labels={"app": "sp"})
    new_container(d, tmp_path, pod_id, pod_cfg, "worker", busybox.ref, pod="sp")
    other, _ = new_pod(d, tmp_path, "empty", labels={"app": "empty"})
    rows = table(ctl(d, "statsp").stdout, STATSP_COLUMNS)
    row = [r for r in rows if r["POD ID"] == pod_id[:13]]
    assert len(row) == 1, rows
    assert row[0]["POD"] == "sp" and float(row[0]["CPU %"]) >= 0 and SIZE.match(row[0]["MEM"])
    doc = json.loads(ctl(d, "statsp", "-o", "json").stdout)
    assert list(doc) == ["stats"]
    by_id = {s["attributes"]["id"]: s for s in doc["stats"]}
    assert {pod_id, other} <= set(by_id)
    s = by_id[pod_id]
    assert s["attributes"]["metadata"]["name"] == "sp" and s["attributes"]["labels"]["app"] == "sp"
    assert int(s["linux"]["memory"]["workingSetBytes"]["value"]) > 0

    def ids(*args):
        return {x["attributes"]["id"] for x in json.loads(ctl(d, "statsp", "-o", "json", *args).stdout)["stats"]}

    assert ids(pod_id) == {pod_id}
    assert ids("--id", other) == {other}
    assert ids("--label", "app=sp") == {pod_id}
    assert ids("--label", "app=none") == set()
    assert "stats:" in ctl(d, "statsp", "-o", "yaml", pod_id).stdout
    assert table(ctl(d, "statsp", "-s", "1", "--id", pod_id).stdout, STATSP_COLUMNS)[0]["POD"] == "sp"


# ---- errors and usage (no container needed) ----


def test_usage_and_argument_errors(registry_daemon, tmp_path):
    d = registry_daemon
    # no arguments: the command's help, as crictl shows it
    for cmd in ("create", "run", "exec", "rm"):
        r = ctl(d, cmd)
        assert "USAGE:" in r.stdout and r.returncode == 0, cmd
    assert "USAGE:\n   cricctl exec [command options] CONTAINER-ID COMMAND [ARG...]" in ctl(d, "exec", "x").stdout
    for cmd in ("create", "start", "run", "ps", "inspect", "stop", "rm", "exec", "logs", "update", "stats", "statsp"):
        r = ctl(d, cmd, "--help")
        assert r.stdout.startswith("NAME:\n   cricctl %s - " % cmd), cmd
        assert r.returncode == 0
        assert "   %-16s " % cmd in ctl(d, "help").stdout
    for cmd in ("start", "update"):
        r = ctl(d, cmd, check=False)
        assert r.returncode == 1 and r.stderr == "cricctl: ID cannot be empty\n", cmd
    r = ctl(d, "stop", check=False)
    assert r.returncode == 1 and "you must specify at least one CONTAINER-ID or use --all" in r.stderr
    r = ctl(d, "ps", "extra", check=False)
    assert r.returncode == 1 and 'unexpected argument "extra"' in r.stderr
    r = ctl(d, "ps", "-o", "wide", check=False)
    assert r.returncode == 1 and 'unsupported output format "wide"' in r.stderr
    r = ctl(d, "ps", "--last", "many", check=False)
    assert r.returncode == 1 and 'invalid value "many" for flag --last' in r.stderr
    assert "USAGE:" in ctl(d, "stats", "a", "b").stdout
    assert "USAGE:" in ctl(d, "statsp", "a", "b").stdout
    r = ctl(d, "logs", "a", "b", check=False)
    assert r.returncode == 1 and "one container at a time" in r.stderr
    r = ctl(d, "exec", "-t", "someid", "sh", check=False)
    assert r.returncode == 1 and "tty=true must be specified with interactive=true" in r.stderr
    r = ctl(d, "stop", "-t", "soon", "x", check=False)
    assert r.returncode == 1 and 'invalid value "soon" for flag --timeout' in r.stderr


def test_config_errors(registry_daemon, tmp_path):
    d = registry_daemon
    pod_cfg = pod_config(tmp_path, "cfg")
    ctr_cfg = ctr_config(tmp_path, "cfg", "busybox")
    r = ctl(d, "create", "somepod", str(tmp_path / "missing.json"), pod_cfg, check=False)
    assert r.returncode == 1 and r.stderr.startswith("cricctl: creating container: ") and "missing.json" in r.stderr
    cases = [
        ({"image": {"image": "busybox"}}, "metadata is not set"),
        ({"metadata": {"attempt": 1}, "image": {"image": "busybox"}}, "name is not in metadata"),
        ({"metadata": {"name": "x"}}, "image is not set"),
        ({"metadata": {"name": "x"}, "image": {"user_specified_image": "busybox"}}, "image field is not set in image"),
        ({"metadata": {"name": "x"}, "image": {"image": "busybox"}, "envs": [{"key": "A", "value": 1}]},
         "envs[0].value: invalid value 1"),
    ]
    for doc, msg in cases:
        bad = write_json(tmp_path / "bad.json", doc)
        r = ctl(d, "create", "somepod", bad, pod_cfg, check=False)
        assert r.returncode == 1 and msg in r.stderr, (doc, r.stderr)
    bad_pod = write_json(tmp_path / "badpod.json", {"metadata": {"name": "x"}})
    r = ctl(d, "create", "somepod", ctr_cfg, bad_pod, check=False)
    assert r.returncode == 1 and "name or namespace is not in metadata" in r.stderr
    r = ctl(d, "run", ctr_cfg, bad_pod, check=False)
    assert r.returncode == 1 and "running container: load podSandboxConfig: " in r.stderr
    r = ctl(d, "create", "--no-pull", "--with-pull", "somepod", ctr_cfg, pod_cfg, check=False)
    assert r.returncode == 1 and "conflict: no-pull and with-pull are both set" in r.stderr
    r = ctl(d, "create", "--with-pull", "--creds", "u:p", "--auth", "dTpw", "somepod", ctr_cfg, pod_cfg,
            check=False)
    assert r.returncode == 1 and "both `--creds` and `--auth` are specified" in r.stderr
    r = ctl(d, "update", "--memory", "12x", "someid", check=False)
    assert r.returncode == 1 and "update: --memory: invalid size: '12x'" in r.stderr


def test_not_found_errors(registry_daemon):
    d = registry_daemon
    for args in (["inspect", "nosuchcontainer"], ["start", "nosuchcontainer"], ["logs", "nosuchcontainer"],
                 ["exec", "nosuchcontainer", "true"]):
        r = ctl(d, *args, check=False)
        assert r.returncode == 1 and "code = NotFound" in r.stderr and "nosuchcontainer" in r.stderr, (args, r.stderr)
    r = ctl(d, "inspect", "nosuchcontainer", check=False)
    assert r.stderr.startswith('cricctl: getting the container status for "nosuchcontainer": ContainerStatus failed: '
                               'rpc error: code = NotFound desc = ')
