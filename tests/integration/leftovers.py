"""What a test daemon leaves on the host after it is gone, found and removed.

Containers outlive cricd by design, so a daemon that could not remove its pods (it
crashed, a test killed it, or RemovePodSandbox failed) leaves OCI runtime containers in
their runtime's state root, their cric-monitor processes, and their cgroups. Daemon.cleanup
calls sweep() once cricd has stopped and before its directory is removed: each thing
found is removed and described, so the test can fail and say what leaked."""
import json
import os
import re
import signal
import subprocess

from fixtures.wait import wait_for

# The OCI runtimes of cricd's default handlers, and the state roots they use when a
# handler names none (src/config/config_defaults.c).
RUNTIME_BINARIES = {"crun": "/usr/bin/crun", "runc": "/usr/sbin/runc"}
DEFAULT_RUNTIME_ROOTS = {"crun": "/run/crun", "runc": "/run/runc"}

CGROUP_MOUNT = "/sys/fs/cgroup"
ID_RE = re.compile(r"\b[0-9a-f]{64}\b")
CGROUP_NAME_RE = re.compile(r"^cric-([0-9a-f]{64})(\.scope)?$")


def _runtime(binary, root, *args, timeout=60):
    return subprocess.run([binary, "--root", root] + list(args), capture_output=True, text=True, timeout=timeout)


def _bundle(state_dir):
    """The bundle a container's state names: crun's status file, or the bundle label in
    runc's state.json ("" when neither can be read, as while it is being created)."""
    try:
        with open(os.path.join(state_dir, "status")) as f:
            return json.load(f).get("bundle", "")
    except (OSError, ValueError):
        pass
    try:
        with open(os.path.join(state_dir, "state.json")) as f:
            labels = json.load(f).get("config", {}).get("labels") or []
    except (OSError, ValueError):
        return ""
    return next((label[len("bundle="):] for label in labels if label.startswith("bundle=")), "")


def runtime_containers(root):
    """[(id, bundle)] of the containers a runtime keeps under root, read from its state
    files rather than with `<runtime> list`, which fails as a whole while another daemon
    creates or deletes a container in a shared root."""
    try:
        names = os.listdir(root)
    except OSError:
        return []
    return [(n, _bundle(os.path.join(root, n))) for n in sorted(names) if os.path.isdir(os.path.join(root, n))]


def sweep_runtimes(own_roots, owner_dir):
    """Deletes (killing if need be) the runtime containers of one daemon: all of them in
    its own roots ({handler: root}), and those whose bundle is under owner_dir in the
    default roots (a handler a test added without a root). Returns {id: description}
    of what was found."""
    places = [(RUNTIME_BINARIES[h], root, False) for h, root in own_roots.items() if h in RUNTIME_BINARIES]
    places += [(RUNTIME_BINARIES[h], root, True) for h, root in DEFAULT_RUNTIME_ROOTS.items()
               if root not in own_roots.values()]
    found = {}
    for binary, root, by_bundle in places:
        for cid, bundle in runtime_containers(root):
            if by_bundle and not bundle.startswith(owner_dir + "/"):
                continue
            r = _runtime(binary, root, "delete", "--force", cid)
            what = "%s container %s (bundle %s) in %s" % (os.path.basename(binary), cid, bundle or "?", root)
            found[cid] = what if r.returncode == 0 else "%s, and delete --force failed: %s" % (what, r.stderr.strip())
    return found


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().decode(errors="replace").split("\0")[:-1]
    except OSError:
        return []


def monitors_of(owner_dir):
    """PIDs of the cric-monitor processes whose arguments name a path under owner_dir."""
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            argv = _cmdline(int(name))
            if argv and os.path.basename(argv[0]) == "cric-monitor" and any(owner_dir + "/" in a for a in argv):
                pids.append(int(name))
    return pids


def sweep_monitors(owner_dir, timeout=10):
    """Waits for the monitors of owner_dir's containers to end (a monitor writes its
    container's exit file into the daemon's run dir, so it must be gone before that dir
    is removed); SIGKILLs, by PID, those that outstay the deadline. Returns those."""
    try:
        wait_for(lambda: not monitors_of(owner_dir), timeout, "the monitors of %s to exit" % owner_dir)
        return []
    except AssertionError:
        pass
    found = []
    for pid in monitors_of(owner_dir):
        found.append("cric-monitor pid %d (%s)" % (pid, " ".join(_cmdline(pid))[:200]))
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return found


def _cgroup_dirs(top, depth):
    """Directories below top, at most depth levels down (cgroupfs has no symlinks)."""
    try:
        entries = [e for e in os.scandir(top) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return
    for e in entries:
        yield e.path
        if depth > 1:
            yield from _cgroup_dirs(e.path, depth - 1)


def sweep_cgroups(ids, depth=4):
    """Removes the cgroups named after ids (cric-<id>, cric-<id>.scope) in every
    hierarchy, deepest first. Returns what was found."""
    found = []
    for hierarchy in sorted(os.listdir(CGROUP_MOUNT)):
        top = os.path.join(CGROUP_MOUNT, hierarchy)
        if os.path.islink(top) or not os.path.isdir(top):
            continue
        mine = []
        for path in _cgroup_dirs(top, depth):
            m = CGROUP_NAME_RE.match(os.path.basename(path))
            if m and m.group(1) in ids:
                mine.append(path)
        for path in sorted(mine, key=len, reverse=True):
            subdirs = sorted(_cgroup_dirs(path, 8), key=len, reverse=True)
            try:
                for p in subdirs + [path]:
                    os.rmdir(p)
                found.append("cgroup %s" % path)
            except OSError as e:
                found.append("cgroup %s, which cannot be removed: %s" % (path, e))
    return found


def sweep(own_roots, owner_dir, log_text):
    """Everything a stopped daemon (its directory owner_dir, its runtime roots own_roots)
    left on the host, removed; returns a description of each thing found ([] if none).
    The cgroups are found by the ids its log names (containers and pods)."""
    ctrs = sweep_runtimes(own_roots, owner_dir)
    found = list(ctrs.values()) + sweep_monitors(owner_dir)
    return found + sweep_cgroups(set(ID_RE.findall(log_text)) | set(ctrs))
