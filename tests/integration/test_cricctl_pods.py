"""cricctl's pod commands against a real cricd: runp, pods, inspectp, stopp, rmp."""
import json

import pytest


def write_config(tmp_path, name, namespace="default", uid=None, attempt=0, labels=None):
    cfg = {
        "metadata": {"name": name, "namespace": namespace, "uid": uid or "uid-" + name, "attempt": attempt},
        "hostname": name + "-host",
        "labels": labels or {"app": name},
        "annotations": {"note": "x"},
        "linux": {"security_context": {"namespace_options": {"network": 0, "pid": 1, "ipc": 0}}},
    }
    path = tmp_path / (name + ".json")
    path.write_text(json.dumps(cfg))
    return str(path)


def runp(daemon, tmp_path, name, **kw):
    out = daemon.cricctl("runp", write_config(tmp_path, name, **kw)).stdout.strip()
    assert len(out) == 64, out
    return out


@pytest.fixture
def clean(daemon):
    """Every test starts and ends without pods."""
    daemon.cricctl("rmp", "-a", "-f")
    yield daemon
    daemon.cricctl("rmp", "-a", "-f")


def test_runp_pods_table(clean, tmp_path):
    d = clean
    a = runp(d, tmp_path, "alpha", attempt=2)
    b = runp(d, tmp_path, "beta", namespace="kube-system")
    lines = d.cricctl("pods").stdout.splitlines()
    assert lines[0].split() == ["POD", "ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "RUNTIME"]
    rows = [line.split() for line in lines[1:]]
    assert len(rows) == 2
    # newest first, ids truncated to 13 characters, relative creation time
    assert rows[0][0] == b[:13] and rows[1][0] == a[:13]
    assert rows[0][-5:] == ["Ready", "beta", "kube-system", "0", "(default)"]
    assert rows[1][-5:] == ["Ready", "alpha", "default", "2", "(default)"]
    assert " ago" in lines[1]
    assert b in d.cricctl("pods", "--no-trunc").stdout
    assert d.cricctl("pods", "-q").stdout.split() == [b, a]
    assert d.cricctl("pods", "--latest", "-q").stdout.split() == [b]
    assert d.cricctl("pods", "--last", "2", "-q").stdout.split() == [b, a]


def test_pods_filters(clean, tmp_path):
    d = clean
    a = runp(d, tmp_path, "web", labels={"app": "web", "tier": "front"})
    b = runp(d, tmp_path, "db", namespace="data", labels={"app": "db", "tier": "back"})
    assert d.cricctl("pods", "-q", "--label", "app=web").stdout.split() == [a]
    assert d.cricctl("pods", "-q", "--label", "app=web", "--label", "tier=back").stdout.split() == []
    assert d.cricctl("pods", "-q", "--label=tier=back").stdout.split() == [b]
    assert d.cricctl("pods", "-q", "--id", a[:8]).stdout.split() == [a]
    assert d.cricctl("pods", "-q", "--name", "we").stdout.split() == [a]
    assert d.cricctl("pods", "-q", "--namespace", "^data$").stdout.split() == [b]
    d.cricctl("stopp", b)
    assert d.cricctl("pods", "-q", "--state", "ready").stdout.split() == [a]
    assert d.cricctl("pods", "-q", "--state", "notready").stdout.split() == [b]
    assert "NotReady" in d.cricctl("pods", "--state", "NotReady").stdout
    r = d.cricctl("pods", "--state", "bogus", check=False)
    assert r.returncode == 1 and "--state should be ready or notready" in r.stderr
    r = d.cricctl("pods", "--label", "novalue", check=False)
    assert r.returncode == 1 and "incorrectly specified label: novalue" in r.stderr


def test_pods_json_yaml(clean, tmp_path):
    d = clean
    a = runp(d, tmp_path, "jay", labels={"app": "jay"})
    doc = json.loads(d.cricctl("pods", "-o", "json").stdout)
    assert list(doc) == ["items"] and len(doc["items"]) == 1
    item = doc["items"][0]
    assert item["id"] == a
    assert item["metadata"]["name"] == "jay" and item["metadata"]["uid"] == "uid-jay"
    assert item["state"] == "SANDBOX_READY"
    assert item["labels"] == {"app": "jay"}
    assert isinstance(item["createdAt"], str) and int(item["createdAt"]) > 0
    assert json.loads(d.cricctl("pods", "-o", "json", "--name", "nomatch").stdout) == {"items": []}
    out = d.cricctl("pods", "-o", "yaml").stdout
    assert out.startswith("items:\n") and "name: jay" in out and "state: SANDBOX_READY" in out


def test_inspectp(clean, tmp_path):
    d = clean
    a = runp(d, tmp_path, "insp", attempt=1)
    doc = json.loads(d.cricctl("inspectp", a).stdout)
    assert doc["status"]["id"] == a
    assert doc["status"]["state"] == "SANDBOX_READY"
    assert doc["status"]["metadata"]["attempt"] == 1
    assert doc["info"]["netnsPath"]  # the verbose info arrives parsed
    quiet = json.loads(d.cricctl("inspectp", "-q", a).stdout)
    assert list(quiet) == ["status"]
    out = d.cricctl("inspectp", "-o", "yaml", a).stdout
    assert "status:" in out and "state: SANDBOX_READY" in out
    table = d.cricctl("inspectp", "-o", "table", a).stdout
    assert "ID: %s\n" % a in table and "Name: insp\n" in table and "Status: SANDBOX_READY\n" in table
    assert "\tapp -> insp\n" in table


def test_stopp_rmp(clean, tmp_path):
    d = clean
    a = runp(d, tmp_path, "gone")
    r = d.cricctl("rmp", a, check=False)  # a ready pod needs stopp or -f first
    assert r.returncode == 1 and "is running, please stop it first" in r.stderr
    assert d.cricctl("stopp", a).stdout == "Stopped sandbox %s\n" % a
    assert json.loads(d.cricctl("inspectp", a).stdout)["status"]["state"] == "SANDBOX_NOTREADY"
    assert d.cricctl("rmp", a).stdout == "Removed sandbox %s\n" % a
    assert d.cricctl("pods", "-q").stdout == ""
    b = runp(d, tmp_path, "forced")
    assert d.cricctl("rmp", "-f", b).stdout == "Stopped sandbox %s\nRemoved sandbox %s\n" % (b, b)


def test_rmp_all(clean, tmp_path):
    d = clean
    ids = {runp(d, tmp_path, "p%d" % i) for i in range(3)}
    d.cricctl("stopp", *ids)
    out = d.cricctl("rmp", "-a").stdout
    assert {line.split()[-1] for line in out.splitlines()} == ids
    assert d.cricctl("pods", "-q").stdout == ""
    assert d.cricctl("rmp", "--all").stdout == ""  # nothing left: not an error


def test_errors(clean, tmp_path):
    d = clean
    r = d.cricctl("inspectp", "nosuchpod", check=False)
    assert r.returncode == 1
    assert r.stderr.strip() == ('cricctl: getting the pod sandbox status for "nosuchpod": PodSandboxStatus failed: '
                                'rpc error: code = NotFound desc = pod nosuchpod not found')
    r = d.cricctl("rmp", "nosuchpod", check=False)
    assert r.returncode == 1 and "code = NotFound" in r.stderr and '"nosuchpod"' in r.stderr
    r = d.cricctl("runp", str(tmp_path / "missing.json"), check=False)
    assert r.returncode == 1 and "load podSandboxConfig" in r.stderr
    r = d.cricctl("runp", "--runtime", "nosuch", write_config(tmp_path, "h"), check=False)
    assert r.returncode == 1 and "run pod sandbox: " in r.stderr and "code = InvalidArgument" in r.stderr
    # no arguments: the command's help, as crictl shows it
    for cmd in ("runp", "inspectp", "stopp", "rmp"):
        r = d.cricctl(cmd)
        assert "USAGE:" in r.stdout
