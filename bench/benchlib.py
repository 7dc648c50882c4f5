"""bench/benchlib: what the benchmarks under bench/ share.

- the import path of the test harness (tests/integration/cric.py, tests/fixtures),
- the test image registry on 127.0.0.1 (docker-registry serving busybox-static images
  built by tests/fixtures/images.py) and the registries.conf that lets cricd pull from it,
- the daemon's CNI network (Network): a bridge + portmap + loopback conflist of Debian's
  plugins with a bridge, subnet and host-local store of its own, or the harness's
  loopback-only conflist, and the removal of everything it leaves on the host,
- small /proc readers (those of tests/fixtures/procs.py, re-exported, and the cgroup tree),
- Debian's containerd with its CRI plugin as the peer daemon (ContainerdDaemon, its sandbox
  image, its installation): tests/fixtures/containerd.py, which the dev scripts and peer
  runs of tests/fixtures use too, given the daemon's CNI network.

The benchmarks are scripts in this folder; Python puts a script's folder first on
sys.path, so they `import benchlib` as it is.
"""
import ipaddress
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _p in (os.path.join(REPO, "tests", "integration"), os.path.join(REPO, "tests")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from fixtures import containerd, images  # noqa: E402
# the bench scripts use these as benchlib's
from fixtures.procs import cmdline, descendants, procs_matching, unmount_below  # noqa: E402,F401
from fixtures.registry import Registry  # noqa: E402

PROG = "bench/" + os.path.basename(sys.argv[0] or "bench")
CNI_BIN = containerd.CNI_BIN
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


# ---- processes and mounts (tests/fixtures/procs.py) ----------------------------------

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


# ---- containerd, the peer (tests/fixtures/containerd.py) ------------------------------

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
    """containerd's sandbox (pause) image: a busybox whose command is a long sleep, served
    as bench-pause:latest (registry name "pause")."""
    return containerd.pause_image(work, "bench-pause", "pause")


class ContainerdDaemon(containerd.Containerd):
    """tests/fixtures/containerd.Containerd under dir with the daemon's CNI network (network's
    conflist, or the harness's loopback-only one) and the OCI runtime binary given."""

    def __init__(self, dir, network, reg, pause_ref, runtime, loopback_conflist, log_level="info"):
        conflist = loopback_conflist if network.kind == "none" else json.dumps(network.conflist, indent=2)
        super().__init__(dir, reg, pause_ref, conflist, runtime=runtime, log_level=log_level, owner=PROG)
