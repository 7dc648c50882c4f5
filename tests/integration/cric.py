"""Test helpers: start a private cricd, talk to it over its socket with grpcio."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

import grpc

import btrfs_fs
from fixtures.procs import stop_process, unmount_below
import leftovers
from fixtures.wait import wait_for  # noqa: F401  (re-exported: tests import it from here)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("CRIC_BUILD_DIR", os.path.join(REPO, "build"))
CRICD = os.path.join(BUILD, "cricd")
CRICCTL = os.path.join(BUILD, "cricctl")


def load_pb2():
    """Generates the Python classes from the project's own proto, once per run."""
    out = os.path.join(BUILD, "pytests-pb")
    os.makedirs(out, exist_ok=True)
    target = os.path.join(out, "cri_pb2.py")
    proto = os.path.join(REPO, "proto", "cri.proto")
    if not os.path.exists(target) or os.path.getmtime(target) < os.path.getmtime(proto):
        subprocess.run(["protoc", "--proto_path", os.path.dirname(proto), "--python_out", out, proto], check=True)
    if out not in sys.path:
        sys.path.insert(0, out)
    import cri_pb2  # noqa: E402
    return cri_pb2


pb = load_pb2()


def rpc_error(fn, *a, **kw):
    """Calls fn and returns the grpc.RpcError it failed with (fails when it succeeds)."""
    try:
        r = fn(*a, **kw)
    except grpc.RpcError as e:
        return e
    raise AssertionError("expected an error, got %r" % (r,))


class Service:
    """A stub for one CRI service, built from the proto descriptor (no grpc plugin needed):
    `svc.Version(pb.VersionRequest())` calls /runtime.v1.RuntimeService/Version."""

    def __init__(self, channel, name):
        desc = pb.DESCRIPTOR.services_by_name[name]
        for m in desc.methods:
            path = "/runtime.v1.%s/%s" % (name, m.name)
            resp_cls = getattr(pb, m.output_type.name)
            if m.server_streaming:
                call = channel.unary_stream(path, request_serializer=lambda r: r.SerializeToString(),
                                            response_deserializer=resp_cls.FromString)
            else:
                call = channel.unary_unary(path, request_serializer=lambda r: r.SerializeToString(),
                                           response_deserializer=resp_cls.FromString)
            setattr(self, m.name, call)


class Daemon:
    """A private cricd with its own root, runroot, socket and config files."""

    # A network every pod can join when a test brings none of its own: loopback only.
    LOOPBACK_CONFLIST = '{"cniVersion": "1.0.0", "name": "cric-test-lo", "plugins": [{"type": "loopback"}]}\n'

    # Written first into the drop-in dir, so the test's own drop-ins come after it.
    RUNTIME_ROOTS_DROPIN = "00-cric-test-runtime-roots.conf"

    def __init__(self, extra_args=(), config_text=None, dropins=None, cni_loopback=True, env=None,
                 leaves_containers=False, root=None):
        """env: more environment for cricd (e.g. the CRIC_STREAM_* tuning knobs).
        leaves_containers: the test leaves runtime containers, monitors or cgroups
        behind on purpose, so cleanup() only warns about them instead of failing.
        root: the daemon's --root (default: in its own directory; with
        CRIC_TEST_STORAGE_DIR set, a directory of its own there, e.g. on the btrfs of a
        CRIC_TEST_STORAGE_DRIVER=btrfs run)."""
        self.dir = tempfile.mkdtemp(prefix="cric-it-")
        os.chmod(self.dir, 0o711)  # as /run and /var/lib: a pod's mapped root reaches its bundle
        storage_dir = os.environ.get("CRIC_TEST_STORAGE_DIR")
        if not root and storage_dir:
            root = os.path.join(storage_dir, os.path.basename(self.dir))
        self.root = root or os.path.join(self.dir, "root")
        self.runroot = os.path.join(self.dir, "run")
        self.socket = os.path.join(self.dir, "run", "cric.sock")
        self.config = os.path.join(self.dir, "cric.conf")
        self.config_dir = os.path.join(self.dir, "cric.conf.d")
        self.cni_dir = os.path.join(self.dir, "net.d")
        os.makedirs(self.config_dir)
        os.makedirs(self.cni_dir)
        if cni_loopback:
            with open(os.path.join(self.cni_dir, "99-cric-test-lo.conflist"), "w") as f:
                f.write(self.LOOPBACK_CONFLIST)
        with open(self.config, "w") as f:
            f.write(config_text or "")
        # Each handler keeps its runtime's state under this daemon's own run dir, not in
        # the host's /run/crun and /run/runc that every test daemon would share. A test
        # that sets runtime_root itself keeps its roots.
        self.runtime_roots = {}
        if "runtime_root" not in (config_text or "") + "".join((dropins or {}).values()):
            self.runtime_roots = {h: os.path.join(self.runroot, "oci", h) for h in leftovers.RUNTIME_BINARIES}
            with open(os.path.join(self.config_dir, self.RUNTIME_ROOTS_DROPIN), "w") as f:
                f.write("".join('[cric.runtime.runtimes.%s]\nruntime_root = "%s"\n' % hr
                                for hr in self.runtime_roots.items()))
        for name, text in (dropins or {}).items():
            with open(os.path.join(self.config_dir, name), "w") as f:
                f.write(text)
        self.log_path = os.path.join(self.dir, "cricd.log")
        self.extra_args = list(extra_args)
        self.env = dict(os.environ, **(env or {}))
        self.leaves_containers = leaves_containers
        self.proc = None
        self.channel = None

    def args(self):
        return [CRICD, "--config", self.config, "--config-dir", self.config_dir,
                "--root", self.root, "--runroot", self.runroot, "--listen", self.socket,
                "--cni-config-dir", self.cni_dir, "--log-level", "debug"] + self.extra_args

    def start(self, timeout=20):
        self.log = open(self.log_path, "ab")
        # A process group of its own: a Ctrl-C or a `timeout` that signals the test run's
        # group must leave cricd up for the teardown, which removes its pods through it.
        self.proc = subprocess.Popen(self.args(), stdout=self.log, stderr=subprocess.STDOUT, env=self.env,
                                     process_group=0)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("cricd exited with %d:\n%s" % (self.proc.returncode, self.read_log()))
            if os.path.exists(self.socket):
                try:
                    self.connect()
                    self.runtime.Version(pb.VersionRequest(), timeout=2)
                    return self
                except grpc.RpcError:
                    pass
            time.sleep(0.05)
        raise RuntimeError("cricd did not answer within %ss:\n%s" % (timeout, self.read_log()))

    def connect(self):
        if self.channel:
            self.channel.close()
        self.channel = grpc.insecure_channel("unix://" + self.socket)
        self.runtime = Service(self.channel, "RuntimeService")
        self.image = Service(self.channel, "ImageService")

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=30):
        if self.channel:
            self.channel.close()
            self.channel = None
        if self.proc:
            stop_process(self.proc, timeout)
            self.log.close()
        return self.proc.returncode if self.proc else None

    def read_log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def sanitizer_reports(self):
        """Sanitizer findings in the daemon log (ASan, UBSan, LSan builds)."""
        markers = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
        return [line for line in self.read_log().splitlines() if any(m in line for m in markers)]

    def storage_driver(self):
        """The driver the daemon's store uses (recorded in it at the first start)."""
        with open(os.path.join(self.root, "storage", "storage-driver")) as f:
            return f.read().strip()

    def writable_layer(self, ctr_id):
        """Where a container's writes land: overlay's upper dir, or its whole root
        (a copy with vfs, a snapshot with btrfs)."""
        sub = "upper" if self.storage_driver() == "overlay" else "rootfs"
        return os.path.join(self.root, "storage", "containers", ctr_id, sub)

    def unmount_all(self):
        """Pinned pod namespaces (and the private ns/ mount) outlive cricd on purpose;
        the test's own directory must not: unmount everything below it, deepest first."""
        unmount_below(self.dir)

    def remove_all_pods(self):
        """Removes every pod (and so every container) the daemon has: containers outlive
        their daemon by design, so a test that left some would leak their processes.
        Returns why that could not be done ("" when it was)."""
        if not self.proc:
            return ""
        if self.proc.poll() is not None:
            return "cricd had exited (status %d) before the clean-up" % self.proc.returncode
        try:
            if not self.channel:
                self.connect()
            for p in self.runtime.ListPodSandbox(pb.ListPodSandboxRequest(), timeout=30).items:
                self.runtime.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=p.id), timeout=60)
        except grpc.RpcError as e:
            print("cleanup: removing the pods of %s failed: %s" % (self.dir, e))
            return "removing its pods failed: %s" % e.details()
        return ""

    def cleanup(self):
        """Removes the daemon's pods, stops it, removes what it left on the host and its
        files, and returns the sanitizer findings. Raises AssertionError, once all is
        removed, when runtime containers, monitors or cgroups of the daemon were still
        there after it stopped (unless the test said it leaves them)."""
        why = self.remove_all_pods()
        self.stop()
        reports = self.sanitizer_reports()
        if reports:
            print(self.read_log()[-20000:])
        left = leftovers.sweep(self.runtime_roots, self.dir, self.read_log())
        self.unmount_all()
        shutil.rmtree(self.dir, ignore_errors=True)
        if not self.root.startswith(self.dir + "/"):
            btrfs_fs.rmtree(self.root)  # subvolumes too, when it is on btrfs
        if left:
            msg = "cricd %s left behind%s (now removed):\n  %s" % (self.dir, " (%s)" % why if why else "",
                                                                  "\n  ".join(left))
            if reports:
                msg += "\nsanitizer reports in its log: %s" % reports
            if not self.leaves_containers:
                raise AssertionError(msg)
            print("warning: " + msg)
        return reports

    def cricctl(self, *args, check=True, timeout=30):
        """Runs cricctl against this daemon; returns the CompletedProcess."""
        cmd = [CRICCTL, "--runtime-endpoint", "unix://" + self.socket] + list(args)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError("%s failed (%d):\n%s%s" % (" ".join(cmd), r.returncode, r.stdout, r.stderr))
        return r
