"""Pod networking through CNI, against Debian's containernetworking-plugins 1.1.1 in
/usr/lib/cni (bridge, host-local, portmap, loopback, ptp) and fake plugins written
here: a pod's IP, pod-to-pod and pod-to-host traffic, hostPort forwarding, DEL after a
kill -9 restart, NetworkReady following the config dir, a failing ADD leaving nothing,
hostNetwork pods, the pod CIDR from UpdateRuntimeConfig, and what a plugin is given
(CNI_ARGS, capability args).

Every test uses its own cricd, its own bridge names (<= 15 chars), its own 10.231.N.0/24
subnets (N not in use on the host) and a host-local dataDir under its tmp dir. The
`net` fixture removes, whatever the outcome: the pods, the bridges, any host link left
with an address of the test's subnets, the iptables/ip6tables rules and chains that
appeared during the test (by comparing iptables-save output: rules a concurrent
process adds meanwhile would be removed too), and it restores net.ipv4.ip_forward
(the bridge plugin's isGateway turns it on). The tests themselves assert that DEL
left nothing: no veth, no rule naming the pod, no host-local lease. Needs root.
"""
import contextlib
import http.server
import ipaddress
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import threading
import urllib.error
import urllib.request
import uuid

import grpc
import pytest

import cric
from cric import pb, rpc_error, wait_for
from test_pods import listp, pod_config, remove, status, stop

CNI_BIN = "/usr/lib/cni"
CNI_VERSION = "1.0.0"
HTTP_FILE = "hello from the pod network\n"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces, links and iptables"),
    pytest.mark.skipif(not all(os.access(os.path.join(CNI_BIN, p), os.X_OK)
                               for p in ("bridge", "host-local", "portmap", "loopback", "ptp")),
                       reason="needs containernetworking-plugins in /usr/lib/cni"),
    pytest.mark.usefixtures("registry"),
]


# ---- host state ---------------------------------------------------------------

def sh(*cmd, check=True):
    return subprocess.run(list(cmd), capture_output=True, text=True, check=check).stdout


def links():
    """{name: line} of `ip -o link` (name without the @peer suffix)."""
    out = {}
    for line in sh("ip", "-o", "link").splitlines():
        name = line.split(":", 2)[1].strip().split("@")[0]
        out[name] = line
    return out


def bridge_ports(bridge):
    """The names of the links enslaved to bridge (the host ends of the pods' veths)."""
    if bridge not in links():
        return []
    return [line.split(":", 2)[1].strip().split("@")[0]
            for line in sh("ip", "-o", "link", "show", "master", bridge).splitlines()]


def host_addrs(scope="global"):
    """{address: interface} of the host's addresses of that scope."""
    out = {}
    for line in sh("ip", "-o", "addr", "show", "scope", scope).splitlines():
        f = line.split()
        out[f[3].split("/")[0]] = f[1]
    return out


def links_with_addr_in(subnet):
    return sorted({iface for a, iface in host_addrs("all").items()
                   if ipaddress.ip_address(a).version == subnet.version and ipaddress.ip_address(a) in subnet})


def iptables_text():
    """iptables-save and ip6tables-save output (whatever of them exists)."""
    text = ""
    for tool in ("iptables-save", "ip6tables-save"):
        if shutil.which(tool):
            text += sh(tool, check=False)
    return text


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


def iptables_restore_to(before):
    """Removes the rules and chains that are not in before (per tool): new rules of old
    chains are deleted one by one, new chains are flushed and then deleted."""
    for tool, old in before.items():
        cmd = tool.replace("-save", "")
        for _ in range(3):
            now = iptables_state(tool)
            changed = False
            for table, (chains, rules) in now.items():
                old_chains, old_rules = old.get(table, (set(), []))
                new_chains = chains - old_chains
                for rule in rules:
                    args = shlex.split(rule)
                    if args[1] in new_chains or rule in old_rules:
                        continue
                    subprocess.run([cmd, "-t", table, "-D"] + args[1:], capture_output=True)
                    changed = True
                for c in new_chains:
                    subprocess.run([cmd, "-t", table, "-F", c], capture_output=True)
                for c in new_chains:
                    subprocess.run([cmd, "-t", table, "-X", c], capture_output=True)
                    changed = True
            if not changed:
                break


def leases(data_dir, netname):
    """host-local's reservations in data_dir/netname: {ip: file content}."""
    d = os.path.join(str(data_dir), netname)
    out = {}
    if not os.path.isdir(d):
        return out
    for name in os.listdir(d):
        try:
            ipaddress.ip_address(name)
        except ValueError:
            continue  # lock, last_reserved_ip.0
        try:
            with open(os.path.join(d, name), errors="replace") as f:
                out[name] = f.read()
        except FileNotFoundError:
            continue  # released (a DEL running) between the listing and the open
    return out


def cache_entries(d, pod_id):
    """Files of the attachment cache (<root>/cni) naming pod_id (in the name or inside)."""
    found = []
    for top, _dirs, files in os.walk(os.path.join(d.root, "cni")):
        for name in files:
            path = os.path.join(top, name)
            try:
                with open(path, errors="replace") as f:
                    text = f.read()
            except OSError:
                text = ""
            if pod_id in name or pod_id in text:
                found.append(path)
    return found


def free_port():
    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        return s.getsockname()[1]


def http_get(url, timeout=3):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


@contextlib.contextmanager
def http_server(host, directory):
    """A threaded http.server on host:<free port> serving directory, in this process.
    Yields (port, clients): clients collects the peer addresses of the requests.
    Stopped, and its port freed, on exit."""
    clients = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(directory), **kw)

        def log_message(self, *a):
            clients.append(self.client_address[0])

    srv = http.server.ThreadingHTTPServer((host, 0), Handler)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield srv.server_address[1], clients
    finally:
        srv.shutdown()
        srv.server_close()
        t.join(10)


def condition(d, name):
    conds = {c.type: c for c in d.runtime.Status(pb.StatusRequest(), timeout=10).status.conditions}
    return conds[name]


def netns_of(d, pod_id):
    return json.loads(status(d, pod_id, verbose=True).info["info"])["netnsPath"]


def pod_ips(d, pod_id):
    n = status(d, pod_id).status.network
    return [n.ip] + [a.ip for a in n.additional_ips] if n.ip else [a.ip for a in n.additional_ips]


def in_netns(netns, *cmd):
    return sh("nsenter", "--net=" + netns, *cmd)


# ---- the per-test environment ------------------------------------------------

_subnets_taken = set()


class Net:
    """One test's daemons, names, subnets, pods and containers; cleans up after it."""

    def __init__(self, make_daemon, registry, tmp_path):
        self.make_daemon = make_daemon
        self.registry = registry
        self.tmp = tmp_path
        self.data_dir = tmp_path / "ipam"
        self.tag = uuid.uuid4().hex[:6]
        self.n_bridges = 0
        self.bridges, self.subnets, self.daemons = [], [], []
        self.pods = []  # (daemon, pod id)
        self.ctrs = []  # (daemon, container id)
        self.busybox = registry.reference("busybox")
        with open("/proc/sys/net/ipv4/ip_forward") as f:
            self.ip_forward = f.read().strip()
        self.iptables_before = {t: iptables_state(t) for t in ("iptables-save", "ip6tables-save")
                                if shutil.which(t)}

    # names and addresses
    def bridge(self):
        self.n_bridges += 1
        name = "cnt%s%d" % (self.tag, self.n_bridges)  # 3 + 6 + 1 chars
        assert len(name) <= 15
        self.bridges.append(name)
        return name

    def subnet(self):
        """A 10.231.N.0/24 no host address or route uses (and no other test of this run)."""
        used = sh("ip", "-o", "addr") + sh("ip", "-o", "route") + sh("ip", "-o", "route", "show", "table", "all")
        start = os.getpid() % 200
        for i in range(254):
            n = (start + i) % 254 + 1
            if n in _subnets_taken or (" 10.231.%d." % n) in used:
                continue
            _subnets_taken.add(n)
            net = ipaddress.ip_network("10.231.%d.0/24" % n)
            self.subnets.append(net)
            return net
        raise AssertionError("no free 10.231.N.0/24")

    @staticmethod
    def gateway(subnet):
        return str(subnet.network_address + 1)

    # configurations
    def ipam(self, subnet=None, routes=True):
        ipam = {"type": "host-local", "dataDir": str(self.data_dir)}
        if subnet is not None:
            ipam["ranges"] = [[{"subnet": str(subnet)}]]
        if routes:
            ipam["routes"] = [{"dst": "0.0.0.0/0"}]
        return ipam

    def bridge_plugin(self, bridge, subnet, masq=True, **extra):
        p = {"type": "bridge", "bridge": bridge, "isGateway": True, "ipMasq": masq,
             "hairpinMode": True, "ipam": self.ipam(subnet)}
        p.update(extra)
        return p

    def bridge_list(self, name, bridge, subnet, masq=True, portmap=True, loopback=True, extra=()):
        plugins = [self.bridge_plugin(bridge, subnet, masq)]
        if portmap:
            plugins.append({"type": "portmap", "capabilities": {"portMappings": True}, "snat": True})
        plugins += list(extra)
        if loopback:
            plugins.append({"type": "loopback"})
        return {"cniVersion": CNI_VERSION, "name": name, "plugins": plugins}

    def write(self, d, filename, doc):
        """Writes a config into the daemon's CNI dir in one step (a hidden temp file,
        renamed), so the daemon never reads a half-written file."""
        text = doc if isinstance(doc, str) else json.dumps(doc, indent=2)
        tmp = os.path.join(d.cni_dir, ".%s.tmp" % filename)
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, os.path.join(d.cni_dir, filename))

    def plugin_dir(self):
        p = self.tmp / "plugins"
        p.mkdir(exist_ok=True)
        return p

    def script(self, name, text):
        path = self.plugin_dir() / name
        path.write_text(text)
        path.chmod(0o755)
        return path

    # daemons, pods, containers
    def daemon(self, extra_args=(), pull=False):
        conf = self.tmp / "registries.conf"
        conf.write_text('[[registry]]\nlocation = "%s"\ninsecure = true\n' % self.registry.host)
        d = self.make_daemon(
            cni_loopback=False,  # no harness network: the test's configs are the only ones
            config_text='[cric.image]\npause_command = "%s"\n' % os.path.abspath(
                os.path.join(cric.BUILD, "cric-pause")),
            extra_args=["--registries-conf", str(conf)] + list(extra_args))
        d.start()
        self.daemons.append(d)
        if pull:
            d.image.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=self.busybox)), timeout=120)
        return d

    def pod_config(self, name="pod", host_network=False, ports=(), annotations=None, dns=None):
        uid = "%s-%s" % (self.tag, uuid.uuid4().hex[:8])
        pc = pod_config(name=name, namespace="net-" + self.tag, uid=uid, host_network=host_network,
                        hostname="" if host_network else name, dns=dns)
        pc.log_directory = str(self.tmp / "logs" / uid)
        os.makedirs(pc.log_directory, exist_ok=True)
        pc.port_mappings.extend(ports)
        pc.annotations.update(annotations or {})
        return pc

    def run_pod(self, d, pc):
        pod_id = d.runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=pc), timeout=90).pod_sandbox_id
        self.pods.append((d, pod_id))
        return pod_id

    def container(self, d, pod_id, pc, name, command):
        cc = pb.ContainerConfig(metadata=pb.ContainerMetadata(name=name), image=pb.ImageSpec(image=self.busybox),
                                command=list(command), log_path="%s.log" % name)
        cid = d.runtime.CreateContainer(pb.CreateContainerRequest(pod_sandbox_id=pod_id, config=cc, sandbox_config=pc),
                                        timeout=60).container_id
        self.ctrs.append((d, cid))
        d.runtime.StartContainer(pb.StartContainerRequest(container_id=cid), timeout=60)
        return cid

    @staticmethod
    def exec(d, cid, script, timeout=30):
        r = d.runtime.ExecSync(pb.ExecSyncRequest(container_id=cid, cmd=["sh", "-c", script], timeout=timeout),
                               timeout=timeout + 30)
        return r.exit_code, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")

    def fetch(self, d, cid, url, tries=100):
        """wget url from inside the container, retrying (the server may be starting).
        (No `wget -T`: Debian's busybox 1.35 wget crashes with it.)"""
        code, out, err = self.exec(d, cid, "for i in $(seq %d); do wget -qO- %s && exit 0; sleep 0.1; done; exit 1"
                                   % (tries, url), timeout=60)
        assert code == 0, "wget %s from the pod failed (%d): %s%s" % (url, code, out, err)
        return out

    def remove_pod(self, d, pod_id):
        stop(d, pod_id)
        remove(d, pod_id)

    # clean-up
    def cleanup(self):
        for d, cid in self.ctrs:
            if d.proc and d.proc.poll() is None:
                with contextlib.suppress(grpc.RpcError):
                    d.runtime.RemoveContainer(pb.RemoveContainerRequest(container_id=cid), timeout=60)
        for d, pod_id in self.pods:
            if d.proc and d.proc.poll() is None:
                with contextlib.suppress(grpc.RpcError):
                    stop(d, pod_id)
                with contextlib.suppress(grpc.RpcError):
                    remove(d, pod_id)
        for b in self.bridges:
            subprocess.run(["ip", "link", "del", b], capture_output=True)
        for net in self.subnets:  # ptp's host ends, if a DEL did not run
            for iface in links_with_addr_in(net):
                subprocess.run(["ip", "link", "del", iface], capture_output=True)
        iptables_restore_to(self.iptables_before)
        with open("/proc/sys/net/ipv4/ip_forward", "w") as f:
            f.write(self.ip_forward)
        shutil.rmtree(self.data_dir, ignore_errors=True)
        for net in self.subnets:
            _subnets_taken.discard(int(str(net.network_address).split(".")[2]))

    # checks
    def assert_attached(self, d, pod_id, netname, subnet, bridge=None):
        """The pod has one IPv4 address in subnet, on eth0 in its netns, leased by
        host-local, and the attachment is cached. Returns the IP."""
        ips = pod_ips(d, pod_id)
        assert len(ips) == 1, ips
        ip = ips[0]
        assert ipaddress.ip_address(ip) in subnet and ip != self.gateway(subnet), (ip, subnet)
        netns = netns_of(d, pod_id)
        assert "inet %s/%d" % (ip, subnet.prefixlen) in in_netns(netns, "ip", "-o", "-4", "addr", "show", "eth0")
        if bridge:
            assert len(bridge_ports(bridge)) == 1, bridge_ports(bridge)
        lease = leases(self.data_dir, netname)
        assert ip in lease and pod_id in lease[ip], lease
        assert cache_entries(d, pod_id), "no entry for pod %s under %s/cni" % (pod_id, d.root)
        return ip

    def detach_left(self, d, pod_id, netname, ip, veths=()):
        """What of the attachment a DEL must undo is still there: the veth, iptables
        rules naming the pod, the host-local lease, the cache entry ([] when nothing)."""
        left = []
        now = links()
        if [v for v in veths if v in now]:
            left.append("veth(s) of pod %s: %s" % (pod_id, veths))
        rules = [line for line in iptables_text().splitlines() if pod_id in line]
        if rules:
            left.append("iptables rules of pod %s:\n%s" % (pod_id, "\n".join(rules)))
        lease = leases(self.data_dir, netname)
        if ip in lease or [v for v in lease.values() if pod_id in v]:
            left.append("host-local lease: %s" % lease)
        if cache_entries(d, pod_id):
            left.append("cache entries: %s" % cache_entries(d, pod_id))
        return left

    def assert_detached(self, d, pod_id, netname, ip, veths=()):
        """The DEL happened: StopPodSandbox answers before it (cricd's janitor runs it
        right after), so this waits for it, with a deadline."""
        try:
            wait_for(lambda: not self.detach_left(d, pod_id, netname, ip, veths), 30,
                     "the CNI DEL of pod %s" % pod_id)
        except AssertionError:
            raise AssertionError("left after the DEL:\n" + "\n".join(self.detach_left(d, pod_id, netname, ip, veths)))


@pytest.fixture
def net(make_daemon, registry, tmp_path):
    n = Net(make_daemon, registry, tmp_path)
    try:
        yield n
    finally:
        n.cleanup()


# ---- 1. an IP from the bridge's subnet --------------------------------------

@pytest.mark.parametrize("kind", ["conflist", "conf"])
def test_pod_gets_an_ip_in_the_bridge_subnet(net, kind):
    d = net.daemon()
    br, subnet, name = net.bridge(), net.subnet(), "net1-" + kind
    if kind == "conflist":  # bridge + host-local + portmap + loopback
        net.write(d, "10-net.conflist", net.bridge_list(name, br, subnet))
    else:  # one plugin in a .conf
        net.write(d, "10-net.conf", dict(net.bridge_plugin(br, subnet), cniVersion=CNI_VERSION, name=name))
    wait_for(lambda: condition(d, "NetworkReady").status, 10, "NetworkReady")
    pc = net.pod_config()
    pod_id = net.run_pod(d, pc)
    s = status(d, pod_id).status
    assert s.state == pb.SANDBOX_READY
    ip = net.assert_attached(d, pod_id, name, subnet, br)
    assert list(s.network.additional_ips) == []
    # the bridge is the gateway, and the host reaches the pod through it
    assert host_addrs().get(net.gateway(subnet)) == br
    netns = netns_of(d, pod_id)
    assert "default via %s" % net.gateway(subnet) in in_netns(netns, "ip", "route")
    veths = bridge_ports(br)
    if shutil.which("ping"):
        assert subprocess.run(["ping", "-c", "1", "-W", "5", ip], capture_output=True).returncode == 0
    stop(d, pod_id)
    assert status(d, pod_id).status.state == pb.SANDBOX_NOTREADY
    net.assert_detached(d, pod_id, name, ip, veths)
    assert bridge_ports(br) == []
    stop(d, pod_id)  # idempotent
    remove(d, pod_id)
    net.assert_detached(d, pod_id, name, ip, veths)


def test_pod_ips_come_from_the_cni_result(net):
    """PodSandboxStatus reports the IPs the CNI ADD returned for eth0, kept with the pod:
    nothing is read from the pod's netns on a call (an address added there later does
    not show), and a restarted daemon reports the same IPs."""
    d = net.daemon()
    br, subnet, name = net.bridge(), net.subnet(), "net-ipresult"
    net.write(d, "10-net.conflist", net.bridge_list(name, br, subnet))
    wait_for(lambda: condition(d, "NetworkReady").status, 10, "NetworkReady")
    pod_id = net.run_pod(d, net.pod_config())
    ip = status(d, pod_id).status.network.ip
    assert ipaddress.ip_address(ip) in subnet
    netns = netns_of(d, pod_id)
    assert ip + "/" in in_netns(netns, "ip", "-4", "-o", "addr", "show", "eth0")
    in_netns(netns, "ip", "addr", "add", "192.0.2.7/24", "dev", "eth0")
    n = status(d, pod_id).status.network
    assert (n.ip, list(n.additional_ips)) == (ip, [])
    in_netns(netns, "ip", "addr", "del", "192.0.2.7/24", "dev", "eth0")  # the bridge plugin's DEL reads them
    d.proc.kill()  # kill -9, then a new daemon: the IPs come from the store
    d.proc.wait(10)
    d.stop()
    d.start()
    n = status(d, pod_id).status.network
    assert (n.ip, list(n.additional_ips)) == (ip, [])
    stop(d, pod_id)
    n = status(d, pod_id).status.network
    assert n.ip == "" and not n.additional_ips  # stopped: no network
    remove(d, pod_id)


# ---- 2. pod to pod ------------------------------------------------------------

def test_two_pods_reach_each_other(net):
    d = net.daemon(pull=True)
    br, subnet, name = net.bridge(), net.subnet(), "net2"
    net.write(d, "10-net.conflist", net.bridge_list(name, br, subnet))
    pa = net.pod_config("server")
    a = net.run_pod(d, pa)
    pb_ = net.pod_config("client")
    b = net.run_pod(d, pb_)
    ip_a = net.assert_attached(d, a, name, subnet)
    ip_b = pod_ips(d, b)[0]
    assert ip_a != ip_b and ipaddress.ip_address(ip_b) in subnet
    net.container(d, a, pa, "httpd", ["sh", "-c", "mkdir -p /srv/www && printf '%s' > /srv/www/file && "
                                      "exec httpd -f -p 8080 -h /srv/www" % HTTP_FILE.replace("\n", "\\n")])
    cb = net.container(d, b, pb_, "client", ["sleep", "100000"])
    assert net.fetch(d, cb, "http://%s:8080/file" % ip_a) == HTTP_FILE
    veths = bridge_ports(br)
    assert len(veths) == 2
    for pod_id, ip in ((a, ip_a), (b, ip_b)):
        net.remove_pod(d, pod_id)
        net.assert_detached(d, pod_id, name, ip)
    assert bridge_ports(br) == []
    assert not [v for v in veths if v in links()]


# ---- 3. pod to host -------------------------------------------------------------

def test_pod_reaches_a_server_on_the_host(net):
    d = net.daemon(pull=True)
    br, subnet, name = net.bridge(), net.subnet(), "net3"
    net.write(d, "10-net.conflist", net.bridge_list(name, br, subnet))
    pc = net.pod_config()
    pod_id = net.run_pod(d, pc)
    ip = net.assert_attached(d, pod_id, name, subnet, br)
    cid = net.container(d, pod_id, pc, "c", ["sleep", "100000"])
    www = net.tmp / "www"
    www.mkdir()
    (www / "file").write_text(HTTP_FILE)
    gw = net.gateway(subnet)  # the bridge's address (isGateway)
    with http_server(gw, www) as (port, clients):
        assert net.fetch(d, cid, "http://%s:%d/file" % (gw, port)) == HTTP_FILE
        assert ip in clients  # same subnet: not masqueraded
    veths = bridge_ports(br)
    net.remove_pod(d, pod_id)
    net.assert_detached(d, pod_id, name, ip, veths)


# ---- 4. hostPort ----------------------------------------------------------------

def test_host_port_forwarding(net):
    d = net.daemon(pull=True)
    br, subnet, name = net.bridge(), net.subnet(), "net4"
    net.write(d, "10-net.conflist", net.bridge_list(name, br, subnet))
    host_port = free_port()
    pc = net.pod_config(ports=[pb.PortMapping(protocol=pb.TCP, container_port=8080, host_port=host_port),
                               pb.PortMapping(protocol=pb.TCP, container_port=9999)])  # no host port: not mapped
    pod_id = net.run_pod(d, pc)
    ip = net.assert_attached(d, pod_id, name, subnet, br)
    net.container(d, pod_id, pc, "httpd", ["sh", "-c", "mkdir -p /srv/www && printf '%s' > /srv/www/file && "
                                           "exec httpd -f -p 8080 -h /srv/www" % HTTP_FILE.replace("\n", "\\n")])
    rules = [line for line in iptables_text().splitlines() if pod_id in line]
    assert rules and any("--dports %d" % host_port in r or "--dport %d" % host_port in r for r in rules), rules
    assert "9999" not in iptables_text()

    def get(host):
        try:
            return http_get("http://%s:%d/file" % (host, host_port))
        except (OSError, urllib.error.URLError):
            return None
    gw = net.gateway(subnet)
    assert wait_for(lambda: get(gw), 20, "the hostPort on %s" % gw) == HTTP_FILE
    # portmap's "snat" (on by default) sets route_localnet on the bridge and masquerades
    # 127.0.0.1, so the loopback address works too.
    assert wait_for(lambda: get("127.0.0.1"), 10, "the hostPort on 127.0.0.1") == HTTP_FILE
    veths = bridge_ports(br)
    stop(d, pod_id)
    net.assert_detached(d, pod_id, name, ip, veths)
    assert str(host_port) not in "\n".join(r for r in iptables_text().splitlines() if "dport" in r)
    assert get(gw) is None
    remove(d, pod_id)


# ---- 5. DEL after kill -9 and a restart -------------------------------------------

@pytest.mark.parametrize("config", ["kept", "removed", "default-changed"])
def test_del_after_restart(net, config):
    d = net.daemon()
    br, subnet, name = net.bridge(), net.subnet(), "net5"
    net.write(d, "10-net.conflist", net.bridge_list(name, br, subnet))
    pods = {}
    for which in ("stopped", "removed"):
        pc = net.pod_config(which, ports=[pb.PortMapping(protocol=pb.TCP, container_port=80,
                                                         host_port=free_port())])
        pod_id = net.run_pod(d, pc)
        ip = pod_ips(d, pod_id)[0]
        assert ipaddress.ip_address(ip) in subnet
        assert [line for line in iptables_text().splitlines() if pod_id in line]  # masquerade and dnat
        assert ip in leases(net.data_dir, name)
        pods[which] = pod_id, ip
    veths = bridge_ports(br)
    assert len(veths) == 2

    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait(10)
    d.stop()
    if config != "kept":  # DEL has only the cache to go by
        os.remove(os.path.join(d.cni_dir, "10-net.conflist"))
    if config == "default-changed":  # and the default network is now another one
        net.write(d, "20-other.conflist", {"cniVersion": CNI_VERSION, "name": "other",
                                           "plugins": [{"type": "loopback"}]})
    d.start()

    for which, (pod_id, ip) in pods.items():  # still attached after the restart
        assert status(d, pod_id).status.state == pb.SANDBOX_READY
        assert pod_ips(d, pod_id) == [ip]
        assert cache_entries(d, pod_id)
    pod_id, ip = pods["stopped"]
    stop(d, pod_id)
    net.assert_detached(d, pod_id, name, ip)
    stop(d, pod_id)  # idempotent
    remove(d, pod_id)
    pod_id, ip = pods["removed"]
    remove(d, pod_id)  # RemovePodSandbox of a ready pod detaches it too
    net.assert_detached(d, pod_id, name, ip)
    assert bridge_ports(br) == []
    assert not [v for v in veths if v in links()]
    assert leases(net.data_dir, name) == {}


# ---- 6. NetworkReady follows the dir -----------------------------------------------

def test_network_ready_follows_the_config_dir(net):
    d = net.daemon()

    def ready(want):
        return wait_for(lambda: (lambda c: c if c.status is want else None)(condition(d, "NetworkReady")),
                        10, "NetworkReady %s" % want)
    c = ready(False)
    assert c.reason == "NetworkPluginNotReady"
    assert d.cni_dir in c.message
    br, subnet = net.bridge(), net.subnet()
    path = os.path.join(d.cni_dir, "10-net.conflist")
    net.write(d, "10-net.conflist", net.bridge_list("net6", br, subnet))
    ready(True)  # no restart
    os.remove(path)
    c = ready(False)
    assert c.reason == "NetworkPluginNotReady" and d.cni_dir in c.message
    net.write(d, "05-broken.conflist", '{"cniVersion": "1.0.0", "name": "broken", "plugins": [')
    # once the daemon names the new, invalid file, it has seen it, and it is still not ready
    wait_for(lambda: "05-broken.conflist" in condition(d, "NetworkReady").message, 10,
             "the invalid file named in the message")
    c = condition(d, "NetworkReady")
    assert c.status is False and c.reason == "NetworkPluginNotReady"
    net.write(d, "10-net.conflist", net.bridge_list("net6", br, subnet))
    ready(True)  # a valid config next to an invalid one
    os.remove(path)
    os.remove(os.path.join(d.cni_dir, "05-broken.conflist"))
    ready(False)


# ---- 7. a failing plugin --------------------------------------------------------------

FAILING_PLUGIN = r"""#!/bin/sh
echo "$CNI_COMMAND $CNI_CONTAINERID" >> '%(log)s'
cat > /dev/null
case "$CNI_COMMAND" in
ADD)
    echo '{"cniVersion":"1.0.0","code":100,"msg":"boom","details":"the cric test plugin refuses every ADD"}'
    exit 1;;
VERSION)
    echo '{"cniVersion":"1.0.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0"]}';;
esac
exit 0
"""


def test_failing_plugin_fails_the_pod_and_leaves_nothing(net):
    log = net.tmp / "fail-plugin.log"
    plugins = net.plugin_dir()
    net.script("cric-test-fail", FAILING_PLUGIN % {"log": log})
    d = net.daemon(extra_args=["--cni-plugin-dir", str(plugins), "--cni-plugin-dir", CNI_BIN])
    br, subnet, name = net.bridge(), net.subnet(), "net7"
    net.write(d, "10-net.conflist", net.bridge_list(name, br, subnet, portmap=False, loopback=False,
                                                    extra=[{"type": "cric-test-fail"}]))
    pc = net.pod_config("doomed")
    e = rpc_error(d.runtime.RunPodSandbox, pb.RunPodSandboxRequest(config=pc), timeout=90)
    assert e.code() == grpc.StatusCode.INTERNAL, e  # the plugin failed: a server-side error
    assert "boom" in e.details(), e.details()
    calls = log.read_text().split("\n")
    assert [c for c in calls if c.startswith("ADD ")], calls  # it did run
    assert not [p for p in listp(d) if p.metadata.uid == pc.metadata.uid]
    ns_net = os.path.join(d.runroot, "ns", "net")
    assert not os.path.isdir(ns_net) or os.listdir(ns_net) == []
    assert bridge_ports(br) == []  # the bridge plugin's ADD was undone
    assert leases(net.data_dir, name) == {}
    assert not [line for line in iptables_text().splitlines() if 'name: \\"%s\\"' % name in line]
    cache = os.path.join(d.root, "cni")
    assert not [f for _t, _d, fs in os.walk(cache) for f in fs], list(os.walk(cache))
    pods_dir = os.path.join(d.runroot, "pods")
    assert not os.path.isdir(pods_dir) or os.listdir(pods_dir) == []


# ---- 8. ptp ------------------------------------------------------------------------------

def test_ptp_pod_gets_an_ip_and_reaches_the_host(net):
    d = net.daemon(pull=True)
    subnet, name = net.subnet(), "net8"
    net.write(d, "10-ptp.conflist", {"cniVersion": CNI_VERSION, "name": name, "plugins": [
        {"type": "ptp", "ipMasq": False, "ipam": net.ipam(subnet)},
        {"type": "portmap", "capabilities": {"portMappings": True}},
        {"type": "loopback"}]})
    pc = net.pod_config()
    pod_id = net.run_pod(d, pc)
    ip = net.assert_attached(d, pod_id, name, subnet)
    gw = net.gateway(subnet)  # ptp puts the gateway address on the host end of the veth
    host_end = host_addrs().get(gw)
    assert host_end and host_end in links()
    cid = net.container(d, pod_id, pc, "c", ["sleep", "100000"])
    www = net.tmp / "www"
    www.mkdir()
    (www / "file").write_text(HTTP_FILE)
    with http_server(gw, www) as (port, clients):
        assert net.fetch(d, cid, "http://%s:%d/file" % (gw, port)) == HTTP_FILE
        assert ip in clients
    net.remove_pod(d, pod_id)
    net.assert_detached(d, pod_id, name, ip, [host_end])
    assert links_with_addr_in(subnet) == []


# ---- 9. hostNetwork ------------------------------------------------------------------------

def test_host_network_pod_makes_no_cni_call(net):
    log = net.tmp / "fail-plugin.log"
    plugins = net.plugin_dir()
    net.script("cric-test-fail", FAILING_PLUGIN % {"log": log})
    d = net.daemon(extra_args=["--cni-plugin-dir", str(plugins), "--cni-plugin-dir", CNI_BIN])
    # a network whose ADD would fail: proves hostNetwork pods do not attach
    net.write(d, "10-fail.conflist", {"cniVersion": CNI_VERSION, "name": "net9",
                                      "plugins": [{"type": "cric-test-fail"}]})
    wait_for(lambda: condition(d, "NetworkReady").status, 10, "NetworkReady")
    pc = net.pod_config("hostnet", host_network=True)
    pod_id = net.run_pod(d, pc)
    s = status(d, pod_id).status
    assert s.state == pb.SANDBOX_READY
    host = host_addrs()
    assert s.network.ip in host, (s.network.ip, host)
    assert all(a.ip in host for a in s.network.additional_ips), (list(s.network.additional_ips), host)
    assert not cache_entries(d, pod_id)
    stop(d, pod_id)
    remove(d, pod_id)
    calls = [c for c in (log.read_text().splitlines() if log.exists() else []) if not c.startswith("VERSION")]
    assert calls == [], "the plugin was called for a hostNetwork pod: %s" % calls


# ---- 10. pod CIDR from UpdateRuntimeConfig ------------------------------------------------

def update_pod_cidr(d, cidr):
    d.runtime.UpdateRuntimeConfig(pb.UpdateRuntimeConfigRequest(
        runtime_config=pb.RuntimeConfig(network_config=pb.NetworkConfig(pod_cidr=str(cidr)))), timeout=10)


def test_pod_cidr_from_update_runtime_config(net):
    d = net.daemon()
    br, subnet, name = net.bridge(), net.subnet(), "net10"
    # host-local without "ranges": it allocates from runtimeConfig.ipRanges, which the
    # bridge plugin gets because it declares the ipRanges capability.
    plugin = net.bridge_plugin(br, None)
    plugin["ipam"] = net.ipam(None)
    plugin["capabilities"] = {"ipRanges": True}
    net.write(d, "10-net.conflist", {"cniVersion": CNI_VERSION, "name": name,
                                     "plugins": [plugin, {"type": "loopback"}]})
    # no pod CIDR yet: host-local has nothing to allocate from
    pc = net.pod_config("early")
    e = rpc_error(d.runtime.RunPodSandbox, pb.RunPodSandboxRequest(config=pc), timeout=90)
    assert "host-local" in e.details() or "range" in e.details().lower(), e.details()
    assert not [p for p in listp(d) if p.metadata.uid == pc.metadata.uid]
    assert leases(net.data_dir, name) == {}
    assert bridge_ports(br) == []
    # That ADD left the bridge with no port and so (kernel) an all-zero MAC, which the
    # bridge plugin 1.1.1 then fails to set back ("could not set bridge's mac: invalid
    # argument"): a plugin quirk, not the runtime's; start from a new bridge.
    subprocess.run(["ip", "link", "del", br], capture_output=True)

    update_pod_cidr(d, subnet)
    pod_id = net.run_pod(d, net.pod_config("late"))
    ip = net.assert_attached(d, pod_id, name, subnet, br)
    veths = bridge_ports(br)
    net.remove_pod(d, pod_id)
    net.assert_detached(d, pod_id, name, ip, veths)


# ---- 11. what a plugin gets -------------------------------------------------------------------

RECORDING_PLUGIN = r"""#!/usr/bin/python3
# A fake CNI plugin: records its environment and stdin, and on ADD either passes the
# prevResult on or (first in the chain) creates eth0 in the netns (a veth whose peer
# stays in the netns too: this kernel has no dummy links) with the addresses below and
# returns them.
import json, os, subprocess, sys
REC = %(rec)r
IPS = %(ips)r
raw = sys.stdin.read()
try:
    conf = json.loads(raw)
except ValueError:
    conf = raw
cmd = os.environ.get("CNI_COMMAND", "")
n = len(os.listdir(REC))
with open(os.path.join(REC, "%%03d.json" %% n), "w") as f:
    json.dump({"plugin": os.path.basename(sys.argv[0]), "env": dict(os.environ), "conf": conf}, f)
netns, ifname = os.environ.get("CNI_NETNS", ""), os.environ.get("CNI_IFNAME", "")
def ns(*args, check=True):
    r = subprocess.run(["/usr/bin/nsenter", "--net=" + netns, "/usr/sbin/ip"] + list(args),
                       capture_output=True, text=True)
    if check and r.returncode:
        print(json.dumps({"cniVersion": "1.0.0", "code": 999, "msg": "ip " + " ".join(args), "details": r.stderr}))
        sys.exit(1)
if cmd == "VERSION":
    print(json.dumps({"cniVersion": "1.0.0", "supportedVersions": ["0.3.0", "0.3.1", "0.4.0", "1.0.0"]}))
elif cmd == "ADD":
    if isinstance(conf, dict) and conf.get("prevResult"):
        print(json.dumps(conf["prevResult"]))
    else:
        ns("link", "add", ifname, "type", "veth", "peer", "name", "rec-peer")
        for a in IPS:
            ns("addr", "add", a, "dev", ifname, *(["nodad"] if ":" in a else []))
        ns("link", "set", "rec-peer", "up")
        ns("link", "set", ifname, "up")
        print(json.dumps({"cniVersion": "1.0.0", "interfaces": [{"name": ifname, "sandbox": netns}],
                          "ips": [{"address": a, "interface": 0} for a in IPS]}))
elif cmd == "DEL":
    if netns and os.path.exists(netns) and os.path.basename(sys.argv[0]).endswith("-a"):
        ns("link", "del", ifname, check=False)
sys.exit(0)
"""


def test_plugin_gets_cni_args_and_only_its_capabilities(net):
    rec = net.tmp / "records"
    rec.mkdir()
    subnet = net.subnet()
    v4 = "%s/24" % (subnet.network_address + 5)
    v6 = "fd31:231:%x::5/64" % int(str(subnet.network_address).split(".")[2])
    body = RECORDING_PLUGIN % {"rec": str(rec), "ips": [v4, v6]}
    net.script("cric-rec-a", body)
    net.script("cric-rec-b", body)
    plugins = net.plugin_dir()
    d = net.daemon(extra_args=["--cni-plugin-dir", str(plugins), "--cni-plugin-dir", CNI_BIN])
    name = "net11"
    net.write(d, "10-rec.conflist", {"cniVersion": CNI_VERSION, "name": name, "plugins": [
        {"type": "cric-rec-a", "capabilities": {"portMappings": True, "ipRanges": True}},
        {"type": "cric-rec-b", "capabilities": {"bandwidth": True, "dns": True, "io.example/unknown": True}}]})
    update_pod_cidr(d, subnet)
    hp1, hp2 = free_port(), free_port()
    dns = pb.DNSConfig(servers=["10.0.0.10"], searches=["svc.cluster.local"], options=["ndots:5"])
    pc = net.pod_config("recorded", dns=dns,
                        ports=[pb.PortMapping(protocol=pb.TCP, container_port=80, host_port=hp1),
                               pb.PortMapping(protocol=pb.UDP, container_port=53, host_port=hp2),
                               pb.PortMapping(protocol=pb.TCP, container_port=9090)],
                        annotations={"kubernetes.io/ingress-bandwidth": "10M",
                                     "kubernetes.io/egress-bandwidth": "1M"})
    pod_id = net.run_pod(d, pc)
    netns = netns_of(d, pod_id)

    def records(command):
        out = []
        for f in sorted(os.listdir(rec)):
            with open(rec / f) as fh:
                r = json.load(fh)
            if r["env"].get("CNI_COMMAND") == command:
                out.append(r)
        return out
    adds = records("ADD")
    assert [r["plugin"] for r in adds] == ["cric-rec-a", "cric-rec-b"]
    for r in adds:
        env, conf = r["env"], r["conf"]
        assert env["CNI_CONTAINERID"] == pod_id
        assert env["CNI_NETNS"] == netns
        assert env["CNI_IFNAME"] == "eth0"
        assert str(plugins) in env["CNI_PATH"].split(":") and CNI_BIN in env["CNI_PATH"].split(":")
        args = env["CNI_ARGS"].split(";")
        assert args[0] == "IgnoreUnknown=1", args
        kv = dict(a.split("=", 1) for a in args)
        assert kv["K8S_POD_NAMESPACE"] == pc.metadata.namespace
        assert kv["K8S_POD_NAME"] == pc.metadata.name
        assert kv["K8S_POD_INFRA_CONTAINER_ID"] == pod_id
        assert kv["K8S_POD_UID"] == pc.metadata.uid
        assert conf["name"] == name and conf["cniVersion"] == CNI_VERSION
    a, b = adds[0]["conf"], adds[1]["conf"]
    assert "prevResult" not in a
    assert sorted(i["address"] for i in b["prevResult"]["ips"]) == sorted([v4, v6])
    # a declares portMappings and ipRanges, b bandwidth and dns (and one nobody knows)
    assert set(a.get("runtimeConfig", {})) == {"portMappings", "ipRanges"}, a
    assert set(b.get("runtimeConfig", {})) == {"bandwidth", "dns"}, b
    ports = [{k: v for k, v in m.items() if not (k == "hostIP" and not v)} for m in a["runtimeConfig"]["portMappings"]]
    assert ports == [{"hostPort": hp1, "containerPort": 80, "protocol": "tcp"},
                     {"hostPort": hp2, "containerPort": 53, "protocol": "udp"}]
    assert [[r["subnet"] for r in rs] for rs in a["runtimeConfig"]["ipRanges"]] == [[str(subnet)]]
    bw = b["runtimeConfig"]["bandwidth"]
    assert bw["ingressRate"] == 10_000_000 and bw["egressRate"] == 1_000_000
    assert bw.get("ingressBurst", 0) > 0 and bw.get("egressBurst", 0) > 0
    rdns = b["runtimeConfig"]["dns"]
    assert rdns["servers"] == ["10.0.0.10"] and rdns["searches"] == ["svc.cluster.local"]
    assert rdns["options"] == ["ndots:5"]

    # PodSandboxStatus: eth0's addresses in the pod's netns, both families
    n = status(d, pod_id).status.network
    assert {n.ip} | {x.ip for x in n.additional_ips} == {v4.split("/")[0], v6.split("/")[0]}
    assert len(n.additional_ips) == 1

    stop(d, pod_id)
    # the DEL comes right after StopPodSandbox answers, and is over once the cache entry is gone
    wait_for(lambda: not cache_entries(d, pod_id), 30, "the CNI DEL of pod %s" % pod_id)
    dels = records("DEL")
    assert [r["plugin"] for r in dels] == ["cric-rec-b", "cric-rec-a"]  # reverse order
    for r, add in zip(dels, reversed(adds)):
        assert r["env"]["CNI_CONTAINERID"] == pod_id and r["env"]["CNI_IFNAME"] == "eth0"
        assert r["env"]["CNI_ARGS"] == add["env"]["CNI_ARGS"]
        assert r["conf"].get("runtimeConfig") == add["conf"].get("runtimeConfig")
        assert sorted(i["address"] for i in r["conf"]["prevResult"]["ips"]) == sorted([v4, v6])
    assert not cache_entries(d, pod_id)
    remove(d, pod_id)
    assert len(records("DEL")) == 2  # nothing more to delete

    # the same plugins, declaring no capability: no runtimeConfig at all
    net.write(d, "10-rec.conflist", {"cniVersion": CNI_VERSION, "name": name, "plugins": [
        {"type": "cric-rec-a"}, {"type": "cric-rec-b"}]})
    n_before = len(records("ADD"))
    pc2 = net.pod_config("plain", dns=dns, ports=[pb.PortMapping(protocol=pb.TCP, container_port=80, host_port=hp1)],
                         annotations={"kubernetes.io/ingress-bandwidth": "10M"})
    pod2 = net.run_pod(d, pc2)
    adds = records("ADD")[n_before:]
    assert [r["plugin"] for r in adds] == ["cric-rec-a", "cric-rec-b"]
    for r in adds:
        assert not r["conf"].get("runtimeConfig"), r["conf"]
        assert r["env"]["CNI_CONTAINERID"] == pod2
    net.remove_pod(d, pod2)
