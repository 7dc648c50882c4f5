"""bench/benchlib: what the benchmarks under bench/ share.

- the import path of the test harness (tests/integration/cric.py, tests/fixtures),
- the test image registry on 127.0.0.1 (docker-registry serving busybox-static images
  built by tests/fixtures/images.py) and the registries.conf that lets cricd pull from it,
- the daemon's CNI network (Network): a bridge + portmap + loopback conflist of Debian's
  plugins with a bridge, subnet and host-local store of its own, or the harness's
  loopback-only conflist, and the removal of everything it leaves on the host,
- small /proc readers,
- Debian's containerd with its CRI plugin as the peer daemon (ContainerdDaemon): its
  config, private socket/root/state, its sandbox ("pause") image, and on the way out the
  removal of its shims and of their sockets in /run/containerd/s (only those of the shims
  it ran: found by PID, never by what appeared in the folder meanwhile).

The benchmarks are scripts in this folder; Python puts a script's folder first on
sys.path, so they `import benchlib` as it is.
"""
import dataclasses
import hashlib
import ipaddress
import json
import os
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import time
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _p in (os.path.join(REPO, "tests", "integration"), os.path.join(REPO, "tests")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from fixtures import images  # noqa: E402
from fixtures.registry import Registry  # noqa: E402

PROG = "bench/" + os.path.basename(sys.argv[0] or "bench")
CNI_BIN = "/usr/lib/cni"
CNI_VERSION = "1.0.0"


def fail(msg):
    sys.exit("%s: %s" % (PROG, msg))

def rss_kib(pid, field="VmRSS"):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_split(pid):
    """(anonymous, file-backed) KiB: most of a small daemon's RSS is its shared libraries."""
    return rss_kib(pid, "RssAnon"), rss_kib(pid, "RssFile")


def which(name):
    path = shutil.which(name)
    if not path:
        fail("%s not found" % name)
    return path


def sh(*cmd, check=True):
    return subprocess.run(list(cmd), capture_output=True, text=True, check=check).stdout


def bridge_ports(bridge):
    """The links enslaved to bridge (the host ends of the pods' veths)."""
    out = subprocess.run(["ip", "-o", "link", "show", "master", bridge], capture_output=True, text=True).stdout
    return [line.split(":", 2)[1].strip().split("@")[0] for line in out.splitlines()]


def links_with_addr_in(subnet):
    out = set()
    for line in sh("ip", "-o", "addr", "show").splitlines():
        f = line.split()
        addr = ipaddress.ip_address(f[3].split("/")[0])
        if addr.version == subnet.version and addr in subnet:
            out.add(f[1])
    return sorted(out)


def free_subnet():
    """A private 10.N.0.0/16 (N from 232 up) that no host address or route uses."""
    used = sh("ip", "-o", "addr") + sh("ip", "-o", "route", "show", "table", "all")
    for n in list(range(232, 255)) + list(range(200, 232)):
        if n != 231 and (" 10.%d." % n) not in used:   # 10.231.N.0/24: tests/integration
            return ipaddress.ip_network("10.%d.0.0/16" % n)
    fail("no free 10.N.0.0/16 for the bridge network")


def iptables_state(tool):
    """{table: (chains, rules)} from `tool`-save: chain names and "-A ..." lines."""
    state, table = {}, None
    for line in sh(tool, check=False).splitlines():
        if line.startswith("*"):
            table = line[1:]
            state[table] = (set(), [])
        elif line.startswith(":") and table:
            state[table][0].add(line[1:].split()[0])
        elif line.startswith("-A ") and table:
            state[table][1].append(line)
    return state


def iptables_remove_new(before, keys):
    """Removes the rules that are not in before (per tool) and name one of keys (the
    network's name in the plugins' comments, its bridge, its subnet), and the new chains
    that such rules fill or jump to: flushed, then deleted. Unlike tests/integration's
    clean-up, rules that a concurrent test adds meanwhile are left alone."""
    for tool, old in before.items():
        cmd = tool.replace("-save", "")
        for _ in range(3):
            changed = False
            for table, (chains, rules) in iptables_state(tool).items():
                old_chains, old_rules = old.get(table, (set(), []))
                old_rules = set(old_rules)
                mine = [r for r in rules if r not in old_rules and any(k in r for k in keys)]
                my_chains = {c for c in chains - old_chains
                             if any(r.startswith("-A %s " % c) or (r + " ").find(" -j %s " % c) >= 0 for r in mine)}
                for rule in mine:
                    args = shlex.split(rule)
                    if args[1] not in my_chains:
                        subprocess.run([cmd, "-w", "-t", table, "-D"] + args[1:], capture_output=True)
                        changed = True
                for c in my_chains:
                    subprocess.run([cmd, "-w", "-t", table, "-F", c], capture_output=True)
                for c in my_chains:
                    subprocess.run([cmd, "-w", "-t", table, "-X", c], capture_output=True)
                    changed = True
            if not changed:
                break


class Network:
    """The daemon's CNI network. bridge: a conflist of ours (bridge + host-local,
    portmap, loopback) with its own bridge, subnet and host-local dataDir; none: the
    harness's loopback-only conflist. cleanup() removes what it left on the host."""

    def __init__(self, kind, work, cric):
        self.kind = kind
        self.tag = uuid.uuid4().hex[:6]
        self.netns_prefix = "crbench-%s-" % self.tag
        self.bridge = self.subnet = self.data_dir = None
        if kind == "none":
            self.conflist = json.loads(cric.Daemon.LOOPBACK_CONFLIST)
        else:
            missing = [p for p in ("bridge", "host-local", "portmap", "loopback")
                       if not os.access(os.path.join(CNI_BIN, p), os.X_OK)]
            if missing:
                fail("%s not in %s (containernetworking-plugins)" % (", ".join(missing), CNI_BIN))
            for tool in ("ip", "iptables-save", "iptables"):
                which(tool)
            self.bridge = "crbench" + self.tag   # 13 chars: <= 15
            self.subnet = free_subnet()
            self.data_dir = os.path.join(work, "cni-ipam")
            self.conflist = {"cniVersion": CNI_VERSION, "name": "cric-bench-" + self.tag, "plugins": [
                {"type": "bridge", "bridge": self.bridge, "isGateway": True, "ipMasq": True, "hairpinMode": True,
                 "ipam": {"type": "host-local", "ranges": [[{"subnet": str(self.subnet)}]],
                          "routes": [{"dst": "0.0.0.0/0"}], "dataDir": self.data_dir}},
                {"type": "portmap", "capabilities": {"portMappings": True}, "snat": True},
                {"type": "loopback"}]}
        self.name = self.conflist["name"]
        self.types = [p["type"] for p in self.conflist["plugins"]]
        with open("/proc/sys/net/ipv4/ip_forward") as f:
            self.ip_forward = f.read().strip()
        self.iptables_before = {t: iptables_state(t) for t in ("iptables-save", "ip6tables-save")
                                if kind != "none" and shutil.which(t)}

    def install(self, cni_dir):
        """Writes the conflist into the daemon's CNI dir (before the daemon starts)."""
        if self.kind != "none":
            with open(os.path.join(cni_dir, "10-cric-bench.conflist"), "w") as f:
                json.dump(self.conflist, f, indent=2)

    def describe(self):
        if self.kind == "none":
            return "none (the harness's %s: %s)" % (self.name, " + ".join(self.types))
        return ("bridge: %s (%s, isGateway, ipMasq; host-local %s, dataDir in the work dir) + portmap + loopback"
                % (self.name, self.bridge, self.subnet))

    def cleanup(self):
        for name in os.listdir("/run/netns") if os.path.isdir("/run/netns") else ():
            if name.startswith(self.netns_prefix):
                subprocess.run(["ip", "netns", "del", name], capture_output=True)
        if self.kind == "none":
            return
        for port in bridge_ports(self.bridge):
            subprocess.run(["ip", "link", "del", port], capture_output=True)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
        for iface in links_with_addr_in(self.subnet):
            subprocess.run(["ip", "link", "del", iface], capture_output=True)
        octets = str(self.subnet.network_address).split(".")
        iptables_remove_new(self.iptables_before,
                            [self.name, self.bridge, " %s.%s." % (octets[0], octets[1])])
        with open("/proc/sys/net/ipv4/ip_forward") as f:
            now = f.read().strip()
        if now != self.ip_forward:
            with open("/proc/sys/net/ipv4/ip_forward", "w") as f:
                f.write(self.ip_forward)
        shutil.rmtree(self.data_dir, ignore_errors=True)


# ---- the image registry -----------------------------------------------------------

def start_registry(work, extra=()):
    """docker-registry on 127.0.0.1:<free port> (work dir: work) serving the catalog's
    busybox (tests/fixtures/images.py) and the extra images.ImageFacts given."""
    facts = images.build()
    reg = Registry(work, "bench").start()
    try:
        reg.push([facts["busybox"]] + list(extra))
    except BaseException:
        reg.stop()
        raise
    return reg


def registries_conf(work, reg):
    """A registries.conf that lets cricd pull from reg over plain HTTP; returns its path."""
    conf = os.path.join(work, "registries.conf")
    with open(conf, "w") as f:
        f.write('[[registry]]\nlocation = "%s"\ninsecure = true\n' % reg.host)
    return conf


# ---- processes and mounts -----------------------------------------------------------

CAP_SYS_RESOURCE = 24


def has_cap(cap):
    with open("/proc/self/status") as f:
        eff = next(int(line.split()[1], 16) for line in f if line.startswith("CapEff:"))
    return bool(eff & (1 << cap))


def procs_matching(comm_prefix, needle):
    """PIDs whose comm starts with comm_prefix and whose command line holds needle."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % name) as f:
                if not f.read().startswith(comm_prefix):
                    continue
            with open("/proc/%s/cmdline" % name, "rb") as f:
                if needle.encode() not in f.read():
                    continue
        except OSError:
            continue
        pids.append(int(name))
    return sorted(pids)


def cmdline(pid):
    """The argv of pid ([] once it is gone)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0")[:-1]]
    except OSError:
        return []


def descendants(pid):
    """The PIDs below pid in the process tree, children before their own children."""
    kids = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(name))
    out, todo = [], list(kids.get(pid, ()))
    while todo:
        p = todo.pop(0)
        if p not in out:
            out.append(p)
            todo.extend(kids.get(p, ()))
    return out


def unmount_below(path):
    """Unmounts everything mounted below path, deepest first."""
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    for point in sorted((p for p in points if p.startswith(path.rstrip("/") + "/")), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True)


def cgroup_mounts():
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split(" - ")[1].split()[0] in ("cgroup", "cgroup2")]


def remove_cgroup_tree(top):
    """rmdir of /<top> and everything below it in every cgroup hierarchy, deepest first."""
    for _ in range(20):
        left = False
        for mnt in cgroup_mounts():
            root = os.path.join(mnt, top.strip("/"))
            if not os.path.isdir(root):
                continue
            for dirpath, _, _ in sorted(os.walk(root), key=lambda w: len(w[0]), reverse=True):
                try:
                    os.rmdir(dirpath)
                except OSError:
                    left = True
        if not left:
            return True
        time.sleep(0.25)
    return False


def unix_listeners(pid):
    """Paths of the listening unix sockets that pid holds open (its fds' socket inodes,
    looked up in its network namespace's /proc/<pid>/net/unix)."""
    inodes = set()
    try:
        fd_dir = "/proc/%d/fd" % pid
        for fd in os.listdir(fd_dir):
            try:
                link = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
        with open("/proc/%d/net/unix" % pid) as f:
            next(f)
            lines = [line.split() for line in f]
    except OSError:
        return set()
    # Num RefCount Protocol Flags Type St Inode [Path]; flag 0x10000 is __SO_ACCEPTCON
    return {cols[7] for cols in lines
            if len(cols) >= 8 and cols[6] in inodes and int(cols[3], 16) & 0x10000 and cols[7].startswith("/")}


# ---- containerd, the peer -----------------------------------------------------------

SHIM_SOCKET_DIR = "/run/containerd/s"   # runc v2 shims listen here whatever the state dir

CONTAINERD_CONFIG = """\
# containerd for {prog}: everything private to {work}
version = 2
root = "{work}/root"
state = "{work}/state"

[grpc]
  address = "{socket}"
[ttrpc]
  address = "{socket}.ttrpc"
[debug]
  address = ""
  level = "{log_level}"
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "{work}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{pause}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  netns_mounts_under_state_dir = true
  # the sandbox's oom_score_adj is -998: lowering it needs CAP_SYS_RESOURCE, which not every
  # machine grants root (a sandboxed CI runner may not); this keeps it >= containerd's own
  restrict_oom_score_adj = {restrict_oom}
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "{runtime}"
        Root = "{work}/runtime-root"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{cni_bin}"
    conf_dir = "{work}/net.d"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "{work}/certs.d"
"""

HOSTS_TOML = """\
server = "http://{host}"

[host."http://{host}"]
  capabilities = ["pull", "resolve"]
"""


def installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return "install ok installed" in r.stdout


def ensure_containerd(say):
    """Installs Debian's containerd when missing; returns None or why it is not there."""
    if installed("containerd") and shutil.which("containerd"):
        return None
    say("installing containerd (apt-get)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "containerd"]):
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            return "`%s` failed: %s" % (" ".join(cmd), (r.stderr or r.stdout).strip()[-500:])
    return None if shutil.which("containerd") else "containerd not found after installing it"


def pause_image(work):
    """A busybox image whose command is a long sleep: containerd's sandbox (pause) image,
    served as bench-pause:latest (registry name "pause")."""
    path = os.path.join(work, "pause-layout")
    lo = images.Layout(path)
    layers = [images.busybox_layer()]
    desc, facts = images.image(lo, layers, images.config(layers, label="pause", cmd=("sleep", "2000000000")))
    lo.tag(desc, ["latest"])
    return dataclasses.replace(facts, name="pause", repo="bench-pause", tags=["latest"], layout=path)


def shim_socket_of(pid):
    """Where the runc v2 shim pid listens, from its command line (-namespace, -id,
    -address), the way containerd 1.6 names it (runtime/v2/shim.SocketAddress):
    /run/containerd/s/<sha256 of address/namespace/id>; None when pid is no such shim."""
    argv = cmdline(pid)
    flags = {argv[i]: argv[i + 1] for i in range(1, len(argv) - 1) if argv[i].startswith("-")}
    if not all(k in flags for k in ("-namespace", "-id", "-address")):
        return None
    key = os.path.normpath(os.path.join(flags["-address"], flags["-namespace"], flags["-id"]))
    return os.path.join(SHIM_SOCKET_DIR, hashlib.sha256(key.encode()).hexdigest())


class ContainerdDaemon:
    """Debian's containerd with its CRI plugin: private socket, root, state, config, CNI
    conf dir (network's conflist, or the harness's loopback-only one) and registry hosts
    (reg's, plain HTTP), all under dir; the OCI runtime binary given (io.containerd.runc.v2
    with BinaryName, cgroupfs). start(ready) runs it; close() stops it, kills the shims
    it started and removes their sockets.

    The shims: each names our socket in its command line, which is how shims() finds
    them; it also remembers, by PID, which sockets in /run/containerd/s each one listens
    on (its open fds, or failing that the name containerd gives it). A shim that exits
    cleanly removes its own socket; close() removes those of the shims it had to kill and
    of any of ours that died without doing so, and nothing else in that shared folder:
    other containerd instances keep their shims' sockets there too."""

    def __init__(self, dir, network, reg, pause_ref, runtime, loopback_conflist, log_level="info"):
        self.dir, self.runtime = dir, runtime
        self.socket = os.path.join(dir, "containerd.sock")
        self.proc = None
        self.log = None
        self.shim_sockets = {}   # shim PID -> the socket paths it listened on
        self.run_containerd_existed = os.path.exists("/run/containerd")
        os.makedirs(os.path.join(dir, "net.d"))
        hosts = os.path.join(dir, "certs.d", reg.host)
        os.makedirs(hosts)
        with open(os.path.join(hosts, "hosts.toml"), "w") as f:
            f.write(HOSTS_TOML.format(host=reg.host))
        if network.kind == "none":
            with open(os.path.join(dir, "net.d", "99-cric-test-lo.conflist"), "w") as f:
                f.write(loopback_conflist)
        else:
            network.install(os.path.join(dir, "net.d"))
        self.config = os.path.join(dir, "config.toml")
        with open(self.config, "w") as f:
            f.write(CONTAINERD_CONFIG.format(prog=PROG, work=dir, socket=self.socket, pause=pause_ref,
                                             runtime=runtime, cni_bin=CNI_BIN, log_level=log_level,
                                             restrict_oom=str(not has_cap(CAP_SYS_RESOURCE)).lower()))
        self.log_path = os.path.join(dir, "containerd.log")

    def start(self, ready, timeout=30):
        """Runs containerd and calls ready() once its socket exists, again until it
        returns without raising (the caller's CRI check) or timeout seconds pass."""
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([shutil.which("containerd"), "--config", self.config],
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("containerd exited with %d: %s" % (self.proc.returncode, self.log_tail()))
            if os.path.exists(self.socket):
                try:
                    ready()
                    return
                except Exception as e:  # noqa: BLE001 - not ready yet: ask again
                    err = e
            else:
                err = "no socket yet"
            if time.monotonic() > deadline:
                raise RuntimeError("containerd's CRI did not get ready in %g s (%s): %s"
                                   % (timeout, err, self.log_tail()))
            time.sleep(0.2)

    @property
    def pid(self):
        return self.proc.pid

    def log_tail(self, n=3000):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-n:]
        except OSError:
            return ""

    def shims(self):
        """PIDs of our shims (their command line names our socket); notes their sockets."""
        pids = procs_matching("containerd-shim", self.socket)
        for pid in pids:
            self._note_shim(pid)
        return pids

    def _note_shim(self, pid):
        paths = {p for p in unix_listeners(pid) if os.path.dirname(p) == SHIM_SOCKET_DIR}
        named = shim_socket_of(pid)
        if named:
            paths.add(named)
        if paths:
            self.shim_sockets.setdefault(pid, set()).update(paths)

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log:
            self.log.close()
        # shims of pods that teardown could not remove: ours name our socket. Their
        # containers' processes go first: a killed shim would leave them to init.
        left = self.shims()
        for pid in left:
            for p in descendants(pid) + [pid]:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
        deadline = time.monotonic() + 5
        while any(os.path.exists("/proc/%d" % p) for p in left) and time.monotonic() < deadline:
            time.sleep(0.05)
        unmount_below(self.dir)
        # every shim noted is gone now (killed above, or exited before): a socket of one
        # of them still there was left behind
        for paths in self.shim_sockets.values():
            for path in paths:
                try:
                    if stat.S_ISSOCK(os.lstat(path).st_mode):
                        os.unlink(path)
                except OSError:
                    pass
        if not self.run_containerd_existed:
            for d in (SHIM_SOCKET_DIR, "/run/containerd"):
                try:
                    os.rmdir(d)   # only when empty: another containerd may have come meanwhile
                except OSError:
                    pass
