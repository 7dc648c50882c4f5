"""cricd under a service manager, faked by the test: the sd_notify messages on a
datagram socket the test owns as $NOTIFY_SOCKET (READY, STATUS, RELOADING + READY on
SIGHUP, STOPPING on SIGTERM, WATCHDOG pings), and the log over the journal's native
protocol when $JOURNAL_STREAM names cricd's stderr."""
import os
import signal
import socket
import struct
import threading

import cric
from cric import pb, wait_for


class Datagrams:
    """A unix datagram socket the test binds, and what arrived on it (read by a thread,
    so cricd never finds the socket's queue full)."""

    def __init__(self, address):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address if not address.startswith("@") else "\0" + address[1:])
        self.sock.settimeout(0.1)
        self.got = []
        self.lock = threading.Lock()
        self.stopped = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while not self.stopped:
            try:
                m = self.sock.recv(1 << 20)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.got.append(m)

    def drain(self):
        with self.lock:
            return list(self.got)

    def notifications(self):
        """Each message as a list of "KEY=value" lines."""
        return [m.decode().split("\n") for m in self.drain()]

    def index_of(self, line, start=0):
        """Index of the first message from `start` on that holds `line`, or None."""
        for i, m in enumerate(self.notifications()[start:], start):
            if line in m:
                return i
        return None

    def close(self):
        self.stopped = True
        self.thread.join()
        self.sock.close()


def wait_message(dg, line, start=0, what=None):
    return wait_for(lambda: (lambda i: i + 1 if i is not None else None)(dg.index_of(line, start)),
                    what=what or "%s from cricd" % line) - 1


def test_notify_ready_status_reload_watchdog_stop(make_daemon, tmp_path):
    dg = Datagrams(str(tmp_path / "notify"))
    try:
        d = make_daemon(env={"NOTIFY_SOCKET": str(tmp_path / "notify"), "WATCHDOG_USEC": "200000"})
        d.start()
        ready = wait_message(dg, "READY=1")
        msgs = dg.notifications()
        assert "STATUS=serving on %s, 0 pods ready, 0 containers running" % d.socket in msgs[ready]
        assert any(ln.startswith("STATUS=") for m in msgs[:ready] for ln in m), "no status before READY: %s" % msgs
        # Pings every 100 ms: at least three arrive (however late the machine runs them).
        wait_for(lambda: sum(m == ["WATCHDOG=1"] for m in dg.notifications()) >= 3, what="three WATCHDOG=1")

        d.signal(signal.SIGHUP)
        reloading = wait_message(dg, "RELOADING=1", ready + 1)
        m = dg.notifications()[reloading]
        usec = [ln for ln in m if ln.startswith("MONOTONIC_USEC=")]
        assert len(usec) == 1 and int(usec[0].split("=", 1)[1]) > 0, m
        again = wait_message(dg, "READY=1", reloading + 1, "READY=1 after the reload")
        assert "STATUS=serving on %s, 0 pods ready, 0 containers running" % d.socket in dg.notifications()[again]
        # A pod: the status counts it at the next tick (every 5 s).
        meta = pb.PodSandboxMetadata(name="notify", namespace="default", uid="uid-notify", attempt=0)
        pod = d.runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=pb.PodSandboxConfig(metadata=meta)),
                                      timeout=30).pod_sandbox_id
        wait_message(dg, "STATUS=serving on %s, 1 pod ready, 0 containers running" % d.socket, again + 1)
        d.runtime.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pod), timeout=60)
        n = len(dg.notifications())
        wait_for(lambda: sum(m == ["WATCHDOG=1"] for m in dg.notifications()[n:]) >= 1, what="pings after reload")

        d.signal(signal.SIGTERM)
        wait_message(dg, "STOPPING=1", again + 1)
        assert d.proc.wait(timeout=30) == 0
    finally:
        dg.close()


def test_notify_abstract_socket_and_foreign_watchdog(make_daemon, tmp_path):
    """"@name" means the abstract namespace; WATCHDOG_PID naming another process turns
    the pings off (the READY and STATUS still come)."""
    name = "@cric-test-notify-%d" % os.getpid()
    dg = Datagrams(name)
    try:
        d = make_daemon(env={"NOTIFY_SOCKET": name, "WATCHDOG_USEC": "200000", "WATCHDOG_PID": "1"})
        d.start()
        wait_message(dg, "READY=1")
        d.signal(signal.SIGTERM)
        wait_message(dg, "STOPPING=1")
        assert d.proc.wait(timeout=30) == 0
        assert not any(m == ["WATCHDOG=1"] for m in dg.notifications())
        assert "service manager watchdog" not in d.read_log()
    finally:
        dg.close()


def parse_journal(data):
    """The fields of one native-protocol datagram: KEY=value\\n, or KEY\\n<le64 size><bytes>\\n."""
    fields, i = {}, 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            i = nl + 1
        else:
            k = line
            (size,) = struct.unpack_from("<Q", data, nl + 1)
            start = nl + 1 + 8
            v = data[start:start + size]
            assert data[start + size:start + size + 1] == b"\n", data
            i = start + size + 1
        assert k and k.upper() == k and k not in fields, data
        fields[k.decode()] = v.decode()
    return fields


def journal_daemon(make_daemon, journal_socket, config_text=None):
    """A daemon whose stderr (its log file) is the stream $JOURNAL_STREAM names."""
    d = make_daemon(env={"CRIC_JOURNAL_SOCKET": journal_socket}, config_text=config_text)
    open(d.log_path, "ab").close()
    st = os.stat(d.log_path)
    d.env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
    return d


def test_log_goes_to_the_journal(make_daemon, tmp_path):
    jsock = str(tmp_path / "journal")
    dg = Datagrams(jsock)
    try:
        # The config's warnings come before the start message: the journal has them too.
        d = journal_daemon(make_daemon, jsock, config_text="[cric]\nat_start_key = 1\n")
        d.start()

        def starting():
            fields = list(map(parse_journal, dg.drain()))
            for f in fields:
                if f.get("MESSAGE", "").startswith("cricd ") and "starting" in f["MESSAGE"]:
                    return f, fields
        f, fields = wait_for(starting, what="the start message in the journal")
        assert any("at_start_key" in g["MESSAGE"] and g["PRIORITY"] == "4" for g in fields), fields
        assert f["PRIORITY"] == "6"
        assert f["SYSLOG_IDENTIFIER"] == "cricd"
        assert f["CODE_FILE"] == "src/daemon/main.c"
        assert int(f["CODE_LINE"]) > 0
        assert f["CODE_FUNC"] == "main"
        # A warning: a reload with a key cricd does not know.
        with open(d.config, "a") as c:
            c.write("no_such_key = 1\n")  # in the [cric] table the file ends with
        d.signal(signal.SIGHUP)
        wait_for(lambda: any(parse_journal(m)["PRIORITY"] == "4" and "no_such_key" in parse_journal(m)["MESSAGE"]
                             for m in dg.drain()), what="the warning in the journal")
        log = d.read_log()
        assert "starting" not in log and "at_start_key" not in log, "the log went to stderr too:\n" + log
    finally:
        dg.close()


def test_log_falls_back_to_stderr(make_daemon, tmp_path):
    """No journal listening at the socket: each message goes to stderr instead."""
    d = journal_daemon(make_daemon, str(tmp_path / "no-journal-here"))
    d.start()
    assert "starting" in d.read_log()
    assert d.runtime.Version(cric.pb.VersionRequest(), timeout=5).runtime_name
