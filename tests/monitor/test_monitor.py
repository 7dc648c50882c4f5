"""cric-monitor driven on its own with a real OCI runtime (crun; runc once) on a busybox
bundle, the way conmon's suite tests conmon. Needs root.

The binary: $CRIC_MONITOR, else $CRIC_BUILD_DIR/cric-monitor (default /work/main/build).
"""
import base64
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from fixtures.wait import wait_for  # noqa: E402

BUILD_DIR = os.environ.get("CRIC_BUILD_DIR", "/work/main/build")
MONITOR = os.environ.get("CRIC_MONITOR") or os.path.join(BUILD_DIR, "cric-monitor")
CRUN = shutil.which("crun") or "/usr/bin/crun"
RUNC = shutil.which("runc") or "/usr/sbin/runc"
BUSYBOX = "/bin/busybox"
CGROUP_V1_MEMORY = "/sys/fs/cgroup/memory"
PROTOCOL_VERSION = 1
ENTRY = re.compile(rb"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) (stdout|stderr) ([PF]) (.*)$", re.S)

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run containers"),
    pytest.mark.skipif(not os.path.exists(MONITOR), reason="no cric-monitor at %s" % MONITOR),
    pytest.mark.skipif(not os.path.exists(BUSYBOX), reason="needs busybox-static at /bin/busybox"),
]


def proc_state(pid):
    """'R', 'S', ... or None when gone; 'Z' for a zombie (PID 1 here reaps late)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def is_running(pid):
    return proc_state(pid) not in (None, "Z", "X")


def proc_comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return None


def proc_ppid(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def socket_fds(pid):
    """How many sockets pid has open."""
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            n += os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:")
        except OSError:
            pass
    return n


def is_monitor(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip() == "cric-monitor" and is_running(pid)
    except OSError:
        return False


def binary_kind(path):
    """(is_sanitized, is_static) of an ELF64 executable."""
    import struct
    with open(path, "rb") as f:
        data = f.read()
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    types = [struct.unpack_from("<I", data, phoff + i * phentsize)[0] for i in range(phnum)]
    return b"__asan_init" in data or b"__ubsan_handle" in data, 3 not in types  # 3: PT_INTERP


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def applets():
    out = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True).stdout
    return [a for a in out.split() if a and "/" not in a]


class Harness:
    """One test's world: bundles, runtime root, exit/socket/log dirs, a cgroup prefix."""

    _spec = None
    _applets = None

    def __init__(self, runtime=CRUN):
        self.runtime = runtime
        self.dir = tempfile.mkdtemp(prefix="crm", dir="/tmp")  # short: socket paths
        self.root = os.path.join(self.dir, "root")
        self.exit_dir = os.path.join(self.dir, "exit")
        self.sock_dir = os.path.join(self.dir, "s")
        self.cgroup_prefix = "cric-monitor-test-" + uuid.uuid4().hex[:8]
        self.containers = []
        self.monitors = []
        for d in (self.root, self.exit_dir, self.sock_dir):
            os.makedirs(d)

    # -- bundles --

    @classmethod
    def spec(cls):
        if cls._spec is None:
            d = tempfile.mkdtemp(prefix="crm-spec")
            subprocess.run([CRUN, "spec"], cwd=d, check=True)
            with open(os.path.join(d, "config.json")) as f:
                cls._spec = json.load(f)
            shutil.rmtree(d)
            cls._applets = applets()
        return json.loads(json.dumps(cls._spec))

    def bundle(self, cid, args, terminal=False, memory_limit=None):
        b = os.path.join(self.dir, "bundle-" + cid)
        rootfs = os.path.join(b, "rootfs")
        os.makedirs(os.path.join(rootfs, "bin"))
        os.makedirs(os.path.join(rootfs, "tmp"))
        shutil.copy2(BUSYBOX, os.path.join(rootfs, "bin", "busybox"))
        spec = self.spec()
        for a in self._applets:
            p = os.path.join(rootfs, "bin", a)
            if not os.path.exists(p):
                os.symlink("busybox", p)
        spec["process"]["terminal"] = terminal
        spec["process"]["args"] = args
        spec["process"]["env"] = ["PATH=/bin", "TERM=xterm"]
        spec["root"] = {"path": "rootfs", "readonly": False}
        spec["hostname"] = cid
        lx = spec["linux"]
        lx["namespaces"] = [n for n in lx["namespaces"] if n["type"] != "network"]
        lx["cgroupsPath"] = "/%s/%s" % (self.cgroup_prefix, cid)
        if memory_limit:
            lx.setdefault("resources", {})["memory"] = {"limit": memory_limit}
        with open(os.path.join(b, "config.json"), "w") as f:
            json.dump(spec, f, indent=1)
        return b

    def process_json(self, cid, args):
        spec = self.spec()
        proc = spec["process"]
        proc.update({"terminal": False, "args": args, "env": ["PATH=/bin"]})
        p = os.path.join(self.dir, "process-%s-%s.json" % (cid, uuid.uuid4().hex[:6]))
        with open(p, "w") as f:
            json.dump(proc, f)
        return p

    def memory_cgroup(self, cid):
        if os.path.exists(os.path.join(CGROUP_V1_MEMORY, "memory.limit_in_bytes")):
            return os.path.join(CGROUP_V1_MEMORY, self.cgroup_prefix, cid)
        return os.path.join("/sys/fs/cgroup", self.cgroup_prefix, cid)

    # -- paths --

    def log_path(self, cid):
        return os.path.join(self.dir, cid + ".log")

    def monitor_log(self, cid):
        return os.path.join(self.dir, cid + ".monitor.log")

    def exit_file(self, cid):
        return os.path.join(self.exit_dir, cid)

    def socket_path(self, cid, name):
        return os.path.join(self.sock_dir, cid, name)

    # -- running --

    def monitor_argv(self, cid, bundle, tty=False, stdin=False, stdin_once=False, log_size_max=0, oom=True,
                     log_level="debug"):
        argv = [MONITOR, "-c", cid, "--bundle", bundle, "--runtime", self.runtime, "--runtime-root", self.root,
                "--log-path", self.log_path(cid), "--exit-dir", self.exit_dir, "--socket-dir", self.sock_dir,
                "--pid-file", os.path.join(self.dir, cid + ".pid"), "--log-level", log_level]
        if log_size_max:
            argv += ["--log-size-max", str(log_size_max)]
        if oom:
            argv += ["--cgroup-path", self.memory_cgroup(cid)]
        argv += (["-t"] if tty else []) + (["-i"] if stdin else []) + (["--stdin-once"] if stdin_once else [])
        return argv

    def create(self, cid, args, tty=False, stdin=False, stdin_once=False, log_size_max=0, memory_limit=None,
               expect_ok=True, log_level="debug", extra_args=(), env=None):
        """Runs the monitor as the daemon does; returns (report, parent exit status).
        extra_args go after the usual ones; env is added to the monitor's environment."""
        b = self.bundle(cid, args, terminal=tty, memory_limit=memory_limit)
        self.containers.append(cid)
        r, w = os.pipe()
        argv = self.monitor_argv(cid, b, tty, stdin, stdin_once, log_size_max, log_level=log_level)
        argv += ["--sync-fd", str(w)] + list(extra_args)
        with open(self.monitor_log(cid), "ab") as err:
            p = subprocess.Popen(argv, pass_fds=[w], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=err, env=dict(os.environ, **(env or {})))
        os.close(w)
        data = read_all(r, 30)
        os.close(r)
        status = p.wait(timeout=30)
        report = json.loads(data.decode())
        if expect_ok:
            assert report.get("pid", -1) > 0, "create failed: %s\n%s" % (report, self.read_monitor_log(cid))
            self.monitors.append(report["monitor_pid"])
        return report, status

    def rt(self, *args, check=True):
        return subprocess.run([self.runtime, "--root", self.root] + list(args), capture_output=True, text=True,
                              check=check, timeout=60)

    def start(self, cid):
        self.rt("start", cid)

    def wait_exit(self, cid, timeout=20):
        p = self.exit_file(cid)
        wait_for(lambda: os.path.exists(p), timeout, "exit file of %s\n%s" % (cid, self.read_monitor_log(cid)))
        with open(p) as f:
            return json.load(f)

    def read_monitor_log(self, cid):
        try:
            with open(self.monitor_log(cid), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def entries(self, cid, path=None):
        with open(path or self.log_path(cid), "rb") as f:
            data = f.read()
        assert data == b"" or data.endswith(b"\n"), "log ends inside an entry"
        out = []
        for line in data.split(b"\n")[:-1]:
            m = ENTRY.match(line)
            assert m, "bad CRI log entry: %r" % line[:200]
            out.append((m.group(2).decode(), m.group(3).decode(), m.group(4)))
        return out

    def finish(self):
        """Stops what the test left running, prints the monitor logs (pytest shows them when the
        test failed), removes everything and returns the containers with sanitizer reports."""
        for cid in self.containers:
            self.rt("delete", "-f", cid, check=False)
        # a monitor ends with its container; sanitizers report at its very end
        deadline = time.monotonic() + 10
        for pid in self.monitors:
            while is_monitor(pid) and time.monotonic() < deadline:
                time.sleep(0.02)
            if is_monitor(pid):
                print("monitor %d still running, killing it" % pid)
                os.kill(pid, signal.SIGKILL)
        reports = []
        for cid in self.containers:
            text = self.read_monitor_log(cid)
            print("--- monitor log of %s\n%s" % (cid, text))
            reports += [cid for mark in SANITIZER_MARKS if mark in text]
        for ctl in os.listdir("/sys/fs/cgroup"):
            top = os.path.join("/sys/fs/cgroup", ctl, self.cgroup_prefix)
            if os.path.isdir(top):
                for dirpath, _dirs, _files in sorted(os.walk(top), key=lambda t: -len(t[0])):
                    try:
                        os.rmdir(dirpath)
                    except OSError:
                        pass
        shutil.rmtree(self.dir, ignore_errors=True)
        return reports


def read_all(fd, timeout):
    data = b""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("no report from the monitor")
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return data
        data += chunk


def lines_of(entries, stream=None):
    """Reassembles P...F sequences into lines (kubelet's reading)."""
    lines, cur = [], {}
    for s, tag, content in entries:
        if stream and s != stream:
            continue
        cur[s] = cur.get(s, b"") + content
        if tag == "F":
            lines.append((s, cur.pop(s)))
    return lines, cur


@pytest.fixture
def h():
    if not os.path.exists(CRUN):
        pytest.skip("crun is not installed")
    harness = Harness()
    yield harness
    # Captured output shows up only when the test failed.
    reports = harness.finish()
    assert not reports, "sanitizer reports in monitor logs: %s" % reports


# ---- command line ----

def test_version_check():
    r = subprocess.run([MONITOR, "--version-check"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0
    assert r.stdout == "%d\n" % PROTOCOL_VERSION


@pytest.mark.parametrize("argv", [
    [],
    ["-c", "x", "--runtime", CRUN],  # create mode without bundle, dirs, sync fd
    ["-c", "a/b", "--runtime", CRUN, "--exec", "--exec-process", "/p"],
    ["--no-such-option"],
])
def test_bad_command_line(argv):
    r = subprocess.run([MONITOR] + argv, capture_output=True, text=True, timeout=10)
    assert r.returncode == 2
    assert r.stderr


# ---- create, logs, exit ----

def test_create_start_logs_and_exit_file(h):
    script = ("echo out-1; echo err-1 >&2; echo out-2; "
              "head -c 40960 /dev/zero | tr '\\0' a; echo; "
              "printf no-newline; exit 7")
    report, status = h.create("c1", ["sh", "-c", script])
    assert status == 0
    assert report["pid"] > 0 and report["monitor_pid"] > 0
    assert is_monitor(report["monitor_pid"])
    assert os.path.exists(h.socket_path("c1", "attach"))
    assert os.path.exists(h.socket_path("c1", "ctl"))
    assert not os.path.exists(h.exit_file("c1"))
    h.start("c1")
    before = time.time_ns()
    ex = h.wait_exit("c1")
    assert ex == {"exit_code": 7, "exit_time_ns": ex["exit_time_ns"], "oom_killed": False, "signal": 0}
    assert before - 10 * 10**9 < ex["exit_time_ns"] <= time.time_ns()

    entries = h.entries("c1")
    assert ("stdout", "F", b"out-1") in entries
    assert ("stderr", "F", b"err-1") in entries
    assert [e for e in entries if e[0] == "stdout"][:2] == [("stdout", "F", b"out-1"), ("stdout", "F", b"out-2")]
    big = [e for e in entries if e[2].startswith(b"aaaa")]
    assert [(t, len(c)) for _s, t, c in big] == [("P", 16384), ("P", 16384), ("F", 8192)]
    assert entries[-1] == ("stdout", "P", b"no-newline")
    lines, open_ = lines_of(entries, "stdout")
    assert ("stdout", b"a" * 40960) in lines
    assert open_ == {"stdout": b"no-newline"}
    # the monitor is gone and has cleaned up its sockets
    wait_for(lambda: not is_running(report["monitor_pid"]), 10, "monitor exit")
    assert not os.path.exists(h.socket_path("c1", "attach"))
    assert not os.path.exists(h.socket_path("c1", "ctl"))


def test_timestamps_are_rfc3339nano_utc(h):
    h.create("ts", ["sh", "-c", "echo x"])
    h.start("ts")
    h.wait_exit("ts")
    with open(h.log_path("ts"), "rb") as f:
        line = f.readline()
    stamp = line.split(b" ")[0].decode()
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$", stamp), stamp
    t = time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")
    assert abs(time.mktime(t) - time.timezone - time.time()) < 60 or \
        abs(time.mktime(t) - time.altzone - time.time()) < 60


def test_create_failure_reports_runtime_error(h):
    b = h.bundle("bad", ["sh", "-c", "true"])
    shutil.rmtree(os.path.join(b, "rootfs"))
    h.containers.append("bad")
    r, w = os.pipe()
    argv = h.monitor_argv("bad", b, oom=False) + ["--sync-fd", str(w)]
    with open(h.monitor_log("bad"), "ab") as err:
        p = subprocess.Popen(argv, pass_fds=[w], stdout=subprocess.DEVNULL, stderr=err)
    os.close(w)
    report = json.loads(read_all(r, 30))
    os.close(r)
    assert p.wait(timeout=30) == 0  # the parent exits 0 once the child reported
    assert report["pid"] == -1
    assert report["message"], report
    assert "rootfs" in report["message"] or "No such file" in report["message"], report
    assert not os.path.exists(h.exit_file("bad"))
    assert not os.path.exists(h.socket_path("bad", "attach"))


def test_reopen_creates_a_new_file(h):
    go = "/tmp/go"
    h.create("ro", ["sh", "-c", "echo before; while [ ! -e %s ]; do sleep 0.05; done; echo after" % go])
    h.start("ro")
    wait_for(lambda: ("stdout", "F", b"before") in h.entries("ro"), what="first line")
    os.rename(h.log_path("ro"), h.log_path("ro") + ".1")
    with open(h.socket_path("ro", "ctl"), "w") as ctl:
        ctl.write("reopen\n")
    wait_for(lambda: os.path.exists(h.log_path("ro")), what="new log file")
    open(os.path.join(h.dir, "bundle-ro", "rootfs", "tmp", "go"), "w").close()
    assert h.wait_exit("ro")["exit_code"] == 0
    assert h.entries("ro", h.log_path("ro") + ".1") == [("stdout", "F", b"before")]
    assert h.entries("ro") == [("stdout", "F", b"after")]


def test_log_size_max_truncates(h):
    h.create("lsm", ["sh", "-c", "i=0; while [ $i -lt 200 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxx; "
                     "i=$((i+1)); done"], log_size_max=2048)
    h.start("lsm")
    assert h.wait_exit("lsm")["exit_code"] == 0
    size = os.path.getsize(h.log_path("lsm"))
    assert 0 < size <= 2048
    entries = h.entries("lsm")
    assert entries[-1][2].startswith(b"line-199-")
    assert len(entries) < 200


def journal_fields(data):
    """The fields of one journal native-protocol datagram (KEY=value, or KEY\\n<le64><value>\\n)."""
    fields, i = {}, 0
    while i < len(data):
        nl = data.index(b"\n", i)
        eq = data.find(b"=", i, nl)
        if eq >= 0:
            fields[data[i:eq].decode()], i = data[eq + 1:nl], nl + 1
            continue
        n = int.from_bytes(data[nl + 1:nl + 9], "little")
        fields[data[i:nl].decode()], i = data[nl + 9:nl + 9 + n], nl + 10 + n
    return fields


def test_log_journald_sends_native_entries(h):
    path = os.path.join(h.dir, "journal.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.setblocking(False)
    try:
        h.create("jd", ["sh", "-c", "echo out1; echo err1 >&2; echo out2; printf tail"],
                 extra_args=["--log-journald", "--name", "k8s_c_p_ns_u_0", "--pod-name", "p",
                             "--pod-namespace", "ns"],
                 env={"CRIC_JOURNAL_SOCKET": path})
        h.start("jd")
        assert h.wait_exit("jd")["exit_code"] == 0
        got = []
        while True:
            try:
                got.append(journal_fields(sock.recv(1 << 20)))
            except BlockingIOError:
                break
    finally:
        sock.close()
    assert [(e["MESSAGE"], e["PRIORITY"]) for e in got if e["PRIORITY"] == b"6"] == [
        (b"out1", b"6"), (b"out2", b"6"), (b"tail", b"6")]
    assert [e["MESSAGE"] for e in got if e["PRIORITY"] == b"3"] == [b"err1"]
    for e in got:
        assert e["CONTAINER_ID_FULL"] == b"jd" and e["CONTAINER_ID"] == b"jd"
        assert e["CONTAINER_NAME"] == b"k8s_c_p_ns_u_0" and e["POD"] == b"p" and e["NAMESPACE"] == b"ns"
        assert e["SYSLOG_IDENTIFIER"] == b"jd"
    assert got[-1]["MESSAGE"] == b"tail" and got[-1]["CONTAINER_PARTIAL_MESSAGE"] == b"true"
    # the CRI log file has all of it as well (stdout and stderr may interleave either way)
    assert sorted(x[2] for x in h.entries("jd")) == [b"err1", b"out1", b"out2", b"tail"]


def test_killed_by_signal(h):
    report, _ = h.create("sig", ["sleep", "1000"])
    h.start("sig")
    wait_for(lambda: proc_comm(report["pid"]) == "sleep", 10, "the container to run sleep")
    h.rt("kill", "sig", "KILL")
    ex = h.wait_exit("sig")
    assert ex["signal"] == 9
    assert ex["exit_code"] == 137
    assert ex["oom_killed"] is False


def test_oom_kill(h):
    cg = h.memory_cgroup("oom")
    report, _ = h.create("oom", ["sh", "-c", "head -c 209715200 /dev/zero | tail"], memory_limit=8 * 1024 * 1024)
    limit_file = os.path.join(cg, "memory.limit_in_bytes")
    if not os.path.exists(limit_file):
        limit_file = os.path.join(cg, "memory.max")
    if not os.path.exists(limit_file):
        pytest.skip("no memory cgroup for the container at %s" % cg)
    with open(limit_file) as f:
        if f.read().strip() in ("max", "9223372036854771712"):
            pytest.skip("the host does not apply memory limits")
    h.start("oom")
    ex = h.wait_exit("oom", timeout=60)
    assert ex["oom_killed"] is True, (ex, h.read_monitor_log("oom"))
    assert ex["exit_code"] == 137  # sh reports its child's SIGKILL


def test_oom_kill_of_the_init_process(h):
    """The container's own process dies by SIGKILL: the cgroup's oom_kill counter says why."""
    cg = h.memory_cgroup("oom1")
    h.create("oom1", ["tail", "/dev/zero"], memory_limit=8 * 1024 * 1024)
    if not os.path.isdir(cg):
        pytest.skip("no memory cgroup for the container at %s" % cg)
    h.start("oom1")
    ex = h.wait_exit("oom1", timeout=60)
    assert ex["signal"] == 9 and ex["exit_code"] == 137
    assert ex["oom_killed"] is True


# ---- terminal ----

def test_tty_output_and_resize(h):
    h.create("tty", ["sh", "-c", "test -t 1 && echo isatty; stty size; echo err >&2"], tty=True)
    # The fifo is read asynchronously, and a resize leaves no trace; a reopen behind it
    # logs "log reopened" once the monitor has taken both lines, in order.
    with open(h.socket_path("tty", "ctl"), "w") as ctl:
        ctl.write("resize 30 100\nreopen\n")
    wait_for(lambda: "container tty: log reopened" in h.read_monitor_log("tty"), 10, "the monitor to take the resize")
    h.start("tty")
    assert h.wait_exit("tty")["exit_code"] == 0
    entries = h.entries("tty")
    assert {s for s, _t, _c in entries} == {"stdout"}  # a terminal has one stream
    text = b"".join(c for _s, _t, c in entries)
    assert b"isatty" in text
    assert b"30 100" in text
    assert b"err" in text


# ---- attach ----

def attach(h, cid):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(h.socket_path(cid, "attach"))
    s.settimeout(10)
    return s


def recv_until(s, needle, timeout=10):
    got = {1: b"", 2: b""}
    deadline = time.monotonic() + timeout
    while needle not in got[1] + got[2]:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("no %r from the attach socket, got %r" % (needle, got))
        s.settimeout(left)
        pkt = s.recv(65536)
        if not pkt:
            break
        got[pkt[0]] += pkt[1:]
    return got


def test_attach_output_and_stdin(h):
    report, _ = h.create("at", ["sh", "-c", "echo ready; while read l; do echo got:$l; echo e:$l >&2; "
                                "[ \"$l\" = quit ] && exit 4; done"], stdin=True)
    mon = report["monitor_pid"]
    a = attach(h, "at")
    h.start("at")
    got = recv_until(a, b"ready")
    assert got[1] == b"ready\n"
    a.send(b"hello\n")
    got = recv_until(a, b"e:hello")
    assert b"got:hello\n" in got[1] and b"e:hello\n" in got[2]
    with_a = socket_fds(mon)
    a.close()  # without --stdin-once the container keeps its stdin
    wait_for(lambda: socket_fds(mon) < with_a, 10, "the monitor to drop the detached client")
    assert not os.path.exists(h.exit_file("at")) and is_running(report["pid"])
    b = attach(h, "at")
    b.send(b"quit\n")
    got = recv_until(b, b"got:quit")
    assert b"got:quit" in got[1]
    assert h.wait_exit("at")["exit_code"] == 4
    got = recv_until(b, b"never")  # up to EOF: the monitor closes its clients at the end
    assert got[2].endswith(b"e:quit\n")
    lines, _ = lines_of(h.entries("at"))
    assert ("stdout", b"got:hello") in lines and ("stderr", b"e:quit") in lines


def test_stdin_once(h):
    h.create("once", ["sh", "-c", "cat; echo cat-done"], stdin=True, stdin_once=True)
    a = attach(h, "once")
    h.start("once")
    a.send(b"data-1\n")
    assert b"data-1" in recv_until(a, b"data-1")[1]
    a.shutdown(socket.SHUT_WR)  # end of stdin for this client: the container's stdin closes
    got = recv_until(a, b"cat-done")
    assert b"cat-done" in got[1]
    assert h.wait_exit("once")["exit_code"] == 0
    a.close()


def test_attach_with_tty(h):
    h.create("att", ["sh", "-c", "read l; echo got:$l"], tty=True, stdin=True)
    a = attach(h, "att")
    h.start("att")
    a.send(b"typed\n")
    got = recv_until(a, b"got:typed")
    assert b"got:typed" in got[1] and got[2] == b""
    assert h.wait_exit("att")["exit_code"] == 0


def test_stdin_once_with_tty(h):
    """A terminal cannot be half-closed: the monitor types the EOF character instead."""
    h.create("ttyonce", ["sh", "-c", "cat; echo cat-done"], tty=True, stdin=True, stdin_once=True)
    a = attach(h, "ttyonce")
    h.start("ttyonce")
    a.send(b"typed\n")
    assert b"typed" in recv_until(a, b"typed")[1]
    a.close()
    assert h.wait_exit("ttyonce")["exit_code"] == 0
    text = b"".join(c for _s, _t, c in h.entries("ttyonce"))
    assert b"cat-done" in text


# ---- exec-sync ----

def exec_sync(h, cid, args, timeout=0):
    argv = [MONITOR, "--exec", "-c", cid, "--runtime", h.runtime, "--runtime-root", h.root,
            "--exec-process", h.process_json(cid, args), "--timeout", str(timeout)]
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, timeout=120)
    took = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    assert not [m for m in SANITIZER_MARKS if m in r.stderr.decode(errors="replace")], r.stderr
    lines = r.stdout.decode().splitlines()
    assert len(lines) == 1
    res = json.loads(lines[0])
    res["stdout"] = base64.b64decode(res["stdout"])
    res["stderr"] = base64.b64decode(res["stderr"])
    return res, took


def test_exec_sync(h):
    h.create("ex", ["sleep", "1000"])
    h.start("ex")
    res, _ = exec_sync(h, "ex", ["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert res == {"exit_code": 3, "stdout": b"out\n", "stderr": b"err\n", "timed_out": False}
    res, _ = exec_sync(h, "ex", ["sh", "-c", "head -c 100000 /dev/zero"])
    assert res["exit_code"] == 0 and res["stdout"] == b"\0" * 100000


def test_exec_sync_timeout(h):
    h.create("ext", ["sleep", "1000"])
    h.start("ext")
    # 3 s: time enough for `started` to get out on a loaded machine, far short of the sleep
    res, took = exec_sync(h, "ext", ["sh", "-c", "echo started; exec sleep 60"], timeout=3)
    assert res["timed_out"] is True
    assert res["exit_code"] == -1
    assert res["stdout"] == b"started\n"
    assert took < 10
    # the container is unharmed
    res, _ = exec_sync(h, "ext", ["true"])
    assert res["exit_code"] == 0 and not res["timed_out"]


def test_exec_sync_in_a_missing_container(h):
    res, _ = exec_sync(h, "nosuch", ["true"])
    assert res["exit_code"] != 0
    assert res["stderr"]


# ---- lifetime ----

PARENT = r"""
import os, subprocess, sys, time
r, w = os.pipe()
p = subprocess.Popen(sys.argv[1:] + ["--sync-fd", str(w)], pass_fds=[w], stdout=subprocess.DEVNULL,
                     stderr=open(os.environ["MONLOG"], "ab"))
os.close(w)
data = b""
while not data.endswith(b"\n"):
    chunk = os.read(r, 4096)
    if not chunk:
        break
    data += chunk
p.wait()
sys.stdout.write(data.decode())
sys.stdout.flush()
time.sleep(1000)
"""


def test_monitor_survives_the_death_of_its_parent(h):
    b = h.bundle("orphan", ["sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.05; done; exit 5"])
    h.containers.append("orphan")
    parent = subprocess.Popen([sys.executable, "-c", PARENT] + h.monitor_argv("orphan", b, oom=False),
                              stdout=subprocess.PIPE, env=dict(os.environ, MONLOG=h.monitor_log("orphan")))
    report = json.loads(parent.stdout.readline())
    mon = report["monitor_pid"]
    h.monitors.append(mon)
    os.kill(parent.pid, signal.SIGKILL)  # the "daemon" dies
    parent.wait()
    parent.stdout.close()
    # once the kernel has given the monitor a new parent, the old one's death is done
    wait_for(lambda: proc_ppid(mon) not in (None, parent.pid), 10, "the monitor to be reparented")
    assert is_monitor(mon)
    h.start("orphan")
    assert is_running(report["pid"])
    open(os.path.join(b, "rootfs", "tmp", "go"), "w").close()
    assert h.wait_exit("orphan")["exit_code"] == 5


def test_monitor_rss(h):
    report, _ = h.create("rss", ["sleep", "1000"], log_level="info")  # as in production
    h.start("rss")
    wait_for(lambda: proc_comm(report["pid"]) == "sleep", 10, "the container to run sleep")
    with open("/proc/%d/status" % report["monitor_pid"]) as f:
        status = f.read()
    with open("/proc/%d/smaps_rollup" % report["monitor_pid"]) as f:
        rollup = f.read()
    rss_kb = int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))
    private_kb = sum(int(v) for v in re.findall(r"^Private_(?:Clean|Dirty):\s+(\d+) kB", rollup, re.M))
    sanitized, static = binary_kind(MONITOR)
    sys.stderr.write("cric-monitor (%s) VmRSS: %d kB, private: %d kB\n"
                     % ("static" if static else "dynamic", rss_kb, private_kb))
    h.rt("kill", "rss", "KILL")
    h.wait_exit("rss")
    if sanitized:
        pytest.skip("sanitized build: VmRSS %d kB says nothing" % rss_kb)
    # A dynamic binary maps all of libc (shared with every process): count what is its own.
    assert (rss_kb if static else private_kb) < 1024, "monitor uses %d kB (private %d kB)" % (rss_kb, private_kb)


# ---- runc ----

def test_runc_create_start_and_exit():
    if not os.path.exists(RUNC):
        pytest.skip("runc is not installed")
    h = Harness(runtime=RUNC)
    try:
        report, _ = h.create("rc", ["sh", "-c", "echo from-runc; echo e >&2; exit 9"])
        assert report["pid"] > 0
        h.start("rc")
        assert h.wait_exit("rc")["exit_code"] == 9
        entries = h.entries("rc")
        assert ("stdout", "F", b"from-runc") in entries and ("stderr", "F", b"e") in entries
    finally:
        reports = h.finish()
    assert not reports, "sanitizer reports in monitor logs: %s" % reports
