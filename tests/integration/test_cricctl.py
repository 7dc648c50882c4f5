"""cricctl against a real cricd: version, info, runtime-config, output formats, errors."""
import json
import os
import subprocess

import cric


def test_version_table(daemon):
    out = daemon.cricctl("version").stdout
    lines = dict(line.split(":", 1) for line in out.strip().splitlines())
    assert lines["Version"].strip() == "0.1.0"
    assert lines["RuntimeName"].strip() == "cric"
    assert lines["RuntimeApiVersion"].strip() == "v1"


def test_version_json(daemon):
    v = json.loads(daemon.cricctl("version", "-o", "json").stdout)
    assert v["runtimeName"] == "cric"
    assert v["runtimeApiVersion"] == "v1"


def test_version_yaml(daemon):
    out = daemon.cricctl("version", "-o", "yaml").stdout
    assert "runtimeName: cric" in out
    assert "runtimeApiVersion: v1" in out


def test_info(daemon):
    info = json.loads(daemon.cricctl("info").stdout)
    conds = {c["type"]: c for c in info["status"]["conditions"]}
    assert conds["RuntimeReady"]["status"] is True
    assert conds["NetworkReady"]["status"] is True  # the harness's loopback network
    # the verbose info["config"] arrives parsed, not as a string
    assert info["config"]["listen"] == daemon.socket


def test_info_yaml(daemon):
    out = daemon.cricctl("info", "-o", "yaml").stdout
    assert "RuntimeReady" in out and "NetworkReady" in out


def test_runtime_config(daemon):
    out = daemon.cricctl("runtime-config").stdout
    assert "CGROUPFS" in out
    cfg = json.loads(daemon.cricctl("runtime-config", "-o", "json").stdout)
    assert cfg["linux"]["cgroupDriver"] == "CGROUPFS"


def test_endpoint_forms(daemon):
    for ep in (daemon.socket, "unix://" + daemon.socket, "unix:" + daemon.socket):
        r = subprocess.run([cric.CRICCTL, "-r", ep, "version"], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        assert "cric" in r.stdout


def test_endpoint_from_environment(daemon):
    env = dict(os.environ, CONTAINER_RUNTIME_ENDPOINT="unix://" + daemon.socket)
    r = subprocess.run([cric.CRICCTL, "version"], capture_output=True, text=True, timeout=30, env=env)
    assert r.returncode == 0, r.stderr


def test_unreachable_daemon(tmp_path):
    sock = str(tmp_path / "none.sock")
    r = subprocess.run([cric.CRICCTL, "--runtime-endpoint", "unix://" + sock, "version"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert "cannot connect to the runtime at unix://%s" % sock in r.stderr
    assert "is cricd running?" in r.stderr


def test_unknown_command(daemon):
    r = daemon.cricctl("no-such-command", check=False)
    assert r.returncode == 1
    assert "no-such-command" in r.stderr
    assert "version" in r.stdout + r.stderr  # the command list is shown


def test_help():
    r = subprocess.run([cric.CRICCTL, "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0
    for cmd in ("version", "info", "runtime-config"):
        assert cmd in r.stdout
