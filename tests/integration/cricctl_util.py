"""What the cricctl test modules share (test_cricctl_containers.py,
test_cricctl_streaming.py): cricctl invocation against a daemon and the pod and container
config files it reads. Their fixtures (registry_daemon: a cricd pulling from the fixture
registry; clean: that daemon without containers and pods) are in conftest.py."""
import json
import re
import subprocess

import cric

HEX64 = re.compile(r"^[0-9a-f]{64}$")
POD_NAME, POD_NS = "io.kubernetes.pod.name", "io.kubernetes.pod.namespace"

# PID 1 of the container: stops on SIGTERM within a second, with a telling exit code.
SLEEP = ["sh", "-c", "trap 'exit 42' TERM; echo started; while :; do sleep 1; done"]


def start_registry_daemon(registry, tmp):
    """A started cricd that pulls from the fixture registry (plain HTTP; unqualified image
    names resolve there); its registries.conf in the folder tmp (a pathlib.Path)."""
    conf = tmp / "registries.conf"
    conf.write_text('unqualified-search-registries = ["%s"]\n\n[[registry]]\nlocation = "%s"\ninsecure = true\n'
                    % (registry.host, registry.host))
    return cric.Daemon(extra_args=["--registries-conf", str(conf)]).start()


def argv(d, *args):
    """cricctl's command line against daemon d, with a generous per-call timeout: creating
    and stopping containers may be slow on a busy host."""
    return [cric.CRICCTL, "--runtime-endpoint", "unix://" + d.socket, "--timeout", "60s"] + list(args)


def ctl(d, *args, check=True, timeout=120, input=None):
    """Runs cricctl against d (input: its stdin, text); returns the CompletedProcess."""
    r = subprocess.run(argv(d, *args), capture_output=True, text=True, timeout=timeout, input=input)
    if check and r.returncode != 0:
        raise AssertionError("cricctl %s failed (%d):\n%s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
    return r


def write_json(path, doc):
    path.write_text(json.dumps(doc))
    return str(path)


def pod_config(tmp_path, name, namespace="default", labels=None, attempt=0, host_network=True, **extra):
    logs = tmp_path / ("logs-" + name)
    logs.mkdir(exist_ok=True)
    cfg = {
        "metadata": {"name": name, "namespace": namespace, "uid": "uid-" + name, "attempt": attempt},
        "log_directory": str(logs),
        "labels": labels or {"app": name},
        # network 2 (NODE) needs no CNI (the pod has the node's name: asking for another is
        # refused); 0 (POD) joins the test daemon's loopback-only network
        "linux": {"security_context": {"namespace_options": {"network": 2 if host_network else 0, "pid": 1,
                                                             "ipc": 0}}},
    }
    cfg.update(extra)
    return write_json(tmp_path / ("pod-%s.json" % name), cfg)


def ctr_config(tmp_path, name, image, cmd=SLEEP, pod="web", namespace="default", labels=None, attempt=0,
               envs=None, **extra):
    all_labels = {POD_NAME: pod, POD_NS: namespace, "app": name}
    all_labels.update(labels or {})
    cfg = {
        "metadata": {"name": name, "attempt": attempt},
        "image": {"image": image},
        "command": cmd,
        "envs": [{"key": k, "value": v} for k, v in (envs or {}).items()],
        "log_path": name + ".log",
        "labels": all_labels,
        "annotations": {"note": name},
        "linux": {},
    }
    cfg.update(extra)
    return write_json(tmp_path / ("ctr-%s.json" % name), cfg)


def runp(d, pod_cfg):
    out = ctl(d, "runp", pod_cfg).stdout.strip()
    assert HEX64.match(out), out
    return out


def create(d, pod_id, ctr_cfg, pod_cfg, *flags):
    out = ctl(d, "create", *flags, pod_id, ctr_cfg, pod_cfg).stdout.strip()
    assert HEX64.match(out), out
    return out


def start(d, cid):
    assert ctl(d, "start", cid).stdout == cid + "\n"


def new_pod(d, tmp_path, name="web", **kw):
    """Runs a pod (pod_config's keywords); returns its id and config file."""
    cfg = pod_config(tmp_path, name, **kw)
    return runp(d, cfg), cfg


def new_container(d, tmp_path, pod_id, pod_cfg, name, image, is_started=True, **kw):
    """Creates (and starts) a container in pod_id (ctr_config's keywords; others go into
    the config as they are); returns its id."""
    cid = create(d, pod_id, ctr_config(tmp_path, name, image, **kw), pod_cfg)
    if is_started:
        start(d, cid)
    return cid
