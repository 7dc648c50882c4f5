"""Pods without containers: RunPodSandbox, PodSandboxStatus, ListPodSandbox,
StopPodSandbox, RemovePodSandbox, over the real socket."""
import glob
import json
import os
import socket
import subprocess

import grpc
import pytest

import cric
import leftovers
from cric import pb


def pod_config(name="web", namespace="default", uid="uid-1", attempt=0, labels=None, host_network=False,
               hostname="web-host", dns=None, sysctls=None):
    ns = pb.NamespaceOption(network=pb.NODE if host_network else pb.POD, pid=pb.CONTAINER, ipc=pb.POD)
    return pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name=name, namespace=namespace, uid=uid, attempt=attempt),
        hostname=hostname, labels=labels or {"app": name}, annotations={"note": "x"},
        dns_config=dns,
        linux=pb.LinuxPodSandboxConfig(
            sysctls=sysctls or {},
            security_context=pb.LinuxSandboxSecurityContext(namespace_options=ns)))


def run(d, cfg, handler=""):
    return d.runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=cfg, runtime_handler=handler), timeout=30).pod_sandbox_id


def status(d, pod_id, verbose=False):
    return d.runtime.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=pod_id, verbose=verbose), timeout=30)


def stop(d, pod_id):
    d.runtime.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=pod_id), timeout=30)


def remove(d, pod_id):
    d.runtime.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id), timeout=30)


def listp(d, **filt):
    f = pb.PodSandboxFilter(**filt) if filt else None
    return list(d.runtime.ListPodSandbox(pb.ListPodSandboxRequest(filter=f), timeout=30).items)


def in_netns(netns, *cmd):
    return subprocess.run(["nsenter", "--net=" + netns] + list(cmd), capture_output=True, text=True, check=True).stdout


def test_run_status_stop_remove(daemon):
    pod_id = run(daemon, pod_config(uid="u-run"))
    assert len(pod_id) == 64
    st = status(daemon, pod_id, verbose=True)
    s = st.status
    assert s.id == pod_id and s.state == pb.SANDBOX_READY
    assert (s.metadata.name, s.metadata.namespace, s.metadata.uid) == ("web", "default", "u-run")
    assert s.labels["app"] == "web" and s.annotations["note"] == "x"
    assert s.created_at > 0
    assert s.linux.namespaces.options.network == pb.POD
    info = json.loads(st.info["info"])
    netns = info["netnsPath"]
    assert os.path.exists(netns)
    # the pinned netns has loopback up, and no other interface yet (CNI comes later)
    assert "127.0.0.1/8" in in_netns(netns, "ip", "-o", "addr", "show", "lo")
    assert s.network.ip == ""
    stop(daemon, pod_id)
    assert status(daemon, pod_id).status.state == pb.SANDBOX_NOTREADY
    # the namespaces are unpinned right after StopPodSandbox answers (cricd's janitor)
    cric.wait_for(lambda: not os.path.exists(netns), 30, "the netns of pod %s to go" % pod_id)
    stop(daemon, pod_id)  # idempotent
    remove(daemon, pod_id)
    with pytest.raises(grpc.RpcError) as e:
        status(daemon, pod_id)
    assert e.value.code() == grpc.StatusCode.NOT_FOUND
    remove(daemon, pod_id)  # idempotent
    stop(daemon, pod_id)


def test_pod_files(daemon):
    dns = pb.DNSConfig(servers=["10.0.0.10"], searches=["svc.cluster.local"], options=["ndots:5"])
    pod_id = run(daemon, pod_config(uid="u-files", dns=dns, hostname="files-host"))
    d = os.path.join(daemon.runroot, "pods", pod_id)
    resolv = open(os.path.join(d, "resolv.conf")).read()
    assert "nameserver 10.0.0.10" in resolv and "search svc.cluster.local" in resolv and "ndots:5" in resolv
    assert open(os.path.join(d, "hostname")).read() == "files-host\n"
    assert "localhost" in open(os.path.join(d, "hosts")).read()
    remove(daemon, pod_id)
    assert not os.path.exists(d)


def test_hostname_and_sysctl_in_pod_namespaces(daemon):
    pod_id = run(daemon, pod_config(uid="u-sysctl", hostname="sys-host",
                                    sysctls={"net.ipv4.ip_forward": "1", "kernel.shmmni": "2048"}))
    netns = json.loads(status(daemon, pod_id, verbose=True).info["info"])["netnsPath"]
    assert in_netns(netns, "cat", "/proc/sys/net/ipv4/ip_forward").strip() == "1"
    uts = netns.replace("/net/", "/uts/")
    assert subprocess.run(["nsenter", "--uts=" + uts, "hostname"], capture_output=True, text=True,
                          check=True).stdout.strip() == "sys-host"
    remove(daemon, pod_id)


def test_bad_sysctl_fails_and_leaves_nothing(daemon):
    before = sorted(os.listdir(os.path.join(daemon.runroot, "pods")))
    with pytest.raises(grpc.RpcError) as e:
        run(daemon, pod_config(uid="u-bad", sysctls={"net.ipv4.no_such_thing": "1"}))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "net.ipv4.no_such_thing" in e.value.details()
    assert sorted(os.listdir(os.path.join(daemon.runroot, "pods"))) == before
    assert not [p for p in listp(daemon) if p.metadata.uid == "u-bad"]


def test_name_in_use(daemon):
    pod_id = run(daemon, pod_config(uid="u-dup"))
    with pytest.raises(grpc.RpcError) as e:
        run(daemon, pod_config(uid="u-dup"))
    assert e.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert pod_id in e.value.details()
    other = run(daemon, pod_config(uid="u-dup", attempt=1))
    remove(daemon, pod_id)
    remove(daemon, other)


def test_list_filters(daemon):
    a = run(daemon, pod_config(name="a", uid="u-la", labels={"tier": "front", "app": "a"}))
    b = run(daemon, pod_config(name="b", uid="u-lb", labels={"tier": "back", "app": "b"}))
    stop(daemon, b)
    ids = {p.id for p in listp(daemon)}
    assert {a, b} <= ids
    assert [p.id for p in listp(daemon, id=a)] == [a]
    assert [p.id for p in listp(daemon, id=a[:12])] == [a]
    ready = {p.id for p in listp(daemon, state=pb.PodSandboxStateValue(state=pb.SANDBOX_READY))}
    assert a in ready and b not in ready
    assert [p.id for p in listp(daemon, label_selector={"tier": "back"})] == [b]
    assert listp(daemon, label_selector={"tier": "none"}) == []
    item = [p for p in listp(daemon, id=a)][0]
    assert item.labels["tier"] == "front" and item.metadata.name == "a"
    remove(daemon, a)
    remove(daemon, b)


def test_host_network_pod(daemon):
    pod_id = run(daemon, pod_config(uid="u-host", host_network=True, hostname=socket.gethostname()))
    s = status(daemon, pod_id).status
    assert s.linux.namespaces.options.network == pb.NODE
    info = json.loads(status(daemon, pod_id, verbose=True).info["info"])
    assert info["netnsPath"] == ""
    remove(daemon, pod_id)
    pod_id = run(daemon, pod_config(uid="u-host-noname", host_network=True, hostname=""))
    remove(daemon, pod_id)


def test_host_network_pod_cannot_rename_the_node(daemon):
    """Without a UTS namespace of its own the pod has the node's name: another one is refused."""
    with pytest.raises(grpc.RpcError) as e:
        run(daemon, pod_config(uid="u-host-name", host_network=True, hostname="not-" + socket.gethostname()))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "hostname" in e.value.details()
    assert not [p for p in daemon.runtime.ListPodSandbox(pb.ListPodSandboxRequest()).items
                if p.metadata.uid == "u-host-name"]


def test_unknown_runtime_handler(daemon):
    with pytest.raises(grpc.RpcError) as e:
        run(daemon, pod_config(uid="u-rh"), handler="kata")
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "kata" in e.value.details()
    assert run(daemon, pod_config(uid="u-rh2"), handler="runc")


def test_pods_survive_restart(make_daemon):
    d = make_daemon().start()
    pod_id = run(d, pod_config(uid="u-restart"))
    netns = json.loads(status(d, pod_id, verbose=True).info["info"])["netnsPath"]
    d.proc.kill()  # kill -9: the namespaces stay pinned
    d.proc.wait(10)
    d.stop()
    d.start()
    s = status(d, pod_id).status
    assert s.state == pb.SANDBOX_READY and s.metadata.uid == "u-restart"
    assert os.path.exists(netns)
    remove(d, pod_id)
    assert not os.path.exists(netns)


def test_leftovers_of_a_dead_run_are_removed(make_daemon):
    d = make_daemon().start()
    d.stop()
    leftover = os.path.join(d.runroot, "pods", "ab" * 32)
    os.makedirs(leftover)
    open(os.path.join(leftover, "hosts"), "w").close()
    d.start()
    assert not os.path.exists(leftover)


@pytest.mark.parametrize("handler", ["crun", "extra"])
def test_cleanup_removes_and_reports_what_a_dead_daemon_left(handler):
    """The harness itself: a daemon killed while its pod's infra container runs leaves
    that container in its runtime's root, its monitor and its cgroup. Daemon.cleanup
    removes them and fails, naming them. "extra" has no runtime_root of its own: its
    container is in crun's default root, told apart by its bundle."""
    d = cric.Daemon(config_text='[cric.image]\npause_command = "%s"\n[cric.runtime.runtimes.extra]\n'
                                'runtime_path = "/usr/bin/crun"\n' % os.path.join(cric.BUILD, "cric-pause"))
    try:
        d.start()
        cfg = pod_config(uid="u-leak-" + handler)
        cfg.linux.security_context.namespace_options.pid = pb.POD  # an infra process through the runtime
        pod_id = run(d, cfg, handler)
        root = d.runtime_roots.get(handler, leftovers.DEFAULT_RUNTIME_ROOTS["crun"])
        assert os.path.isdir(os.path.join(root, pod_id))
        monitors = leftovers.monitors_of(d.dir)
        assert monitors
        cgroups = glob.glob("/sys/fs/cgroup/*/cric/cric-" + pod_id)  # the default cgroup parent
        assert cgroups
        d.proc.kill()
        d.proc.wait(10)
    except BaseException:
        d.leaves_containers = True
        d.cleanup()
        raise
    with pytest.raises(AssertionError) as e:
        d.cleanup()
    msg = str(e.value)
    assert "cricd had exited" in msg and "crun container %s" % pod_id in msg, msg
    assert not os.path.exists(os.path.join(root, pod_id))
    assert not [c for c in cgroups if os.path.exists(c)]
    assert not [p for p in monitors if p in leftovers.monitors_of(d.dir)]
    assert not os.path.exists(d.dir)


def test_cleanup_only_warns_when_the_test_leaves_containers_on_purpose(capsys):
    d = cric.Daemon(config_text='[cric.image]\npause_command = "%s"\n' % os.path.join(cric.BUILD, "cric-pause"),
                    leaves_containers=True)
    try:
        d.start()
        cfg = pod_config(uid="u-leak-warn")
        cfg.linux.security_context.namespace_options.pid = pb.POD
        pod_id = run(d, cfg)
        d.proc.kill()
        d.proc.wait(10)
    finally:
        d.cleanup()
    assert "warning: cricd %s left behind" % d.dir in capsys.readouterr().out
    assert not os.path.exists(os.path.join(d.runtime_roots["crun"], pod_id))


def test_host_namespaces_refuse_sysctls(daemon):
    cfg = pod_config(uid="u-host-sysctl", host_network=True, sysctls={"net.ipv4.ip_forward": "1"})
    cfg.linux.security_context.namespace_options.ipc = pb.NODE
    with pytest.raises(grpc.RpcError) as e:
        run(daemon, cfg)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "net.ipv4.ip_forward" in e.value.details()
    assert not [p for p in listp(daemon) if p.metadata.uid == "u-host-sysctl"]
