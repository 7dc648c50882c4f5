"""Container logs with a real cricd, crun and runc: log_size_max and log_to_journald.

- log_size_max: a container that writes far more than the limit leaves a log file that
  never passes the limit by more than one entry, whose last lines are the latest
  output; ReopenContainerLog after the kubelet renamed the file still works.
- log_to_journald: the daemon's CRIC_JOURNAL_SOCKET (test only) points the monitors at a
  datagram socket this module owns; every line arrives there in the journal's native
  protocol with CONTAINER_ID, CONTAINER_ID_FULL, CONTAINER_NAME, CONTAINER_TAG,
  SYSLOG_IDENTIFIER, POD, NAMESPACE, PRIORITY (6 stdout, 3 stderr) and MESSAGE.

Needs root.
"""
import os
import socket
import struct

import pytest

from cric import pb, wait_for
from test_containers import LOG_ENTRY, Env, ctx, log_lines, parse_log, running_env  # noqa: F401 (ctx: a fixture)

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run containers"),
    pytest.mark.usefixtures("registry"),
]

LOG_SIZE_MAX = 8192
# The longest entry these tests write: timestamp (30) + " stdout F " + the line + "\n".
ENTRY_MAX = 30 + 10 + 64 + 1


def parse_native(data):
    """The fields of one native-protocol datagram: {key: bytes}."""
    fields, i = {}, 0
    while i < len(data):
        nl = data.index(b"\n", i)
        eq = data.find(b"=", i, nl)
        if eq >= 0:
            fields[data[i:eq].decode()] = data[eq + 1:nl]
            i = nl + 1
            continue
        key = data[i:nl].decode()
        (n,) = struct.unpack("<Q", data[nl + 1:nl + 9])
        fields[key] = data[nl + 9:nl + 9 + n]
        assert data[nl + 9 + n:nl + 10 + n] == b"\n", "binary field %s not ended by a newline" % key
        i = nl + 10 + n
    return fields


class Journal:
    """A datagram socket standing in for journald's /run/systemd/journal/socket."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(path)
        self.sock.setblocking(False)
        self.entries = []

    def drain(self):
        while True:
            try:
                self.entries.append(parse_native(self.sock.recv(1 << 20)))
            except BlockingIOError:
                return self.entries

    def of(self, cid):
        return [e for e in self.drain() if e.get("CONTAINER_ID_FULL") == cid.encode()]


class LogsEnv(Env):
    def __init__(self, registry, workdir):
        super().__init__(registry, workdir)
        self.journal = Journal(os.path.join(workdir, "journal.sock"))
        self.config_text += "[cric.runtime]\nlog_size_max = %d\nlog_to_journald = true\n" % LOG_SIZE_MAX

    def daemon_kwargs(self):
        kw = super().daemon_kwargs()
        kw["env"] = {"CRIC_JOURNAL_SOCKET": self.journal.path}
        return kw


@pytest.fixture(scope="module")
def env(registry, tmp_path_factory):
    yield from running_env(LogsEnv(registry, str(tmp_path_factory.mktemp("logs"))))


def entries_so_far(path):
    """The complete entries of a log file the monitor may be writing to: a read can see
    the first part of an entry whose write is still being copied in, so what follows
    the last newline is left out. Every complete entry must be well formed."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    out = []
    for raw in data[:data.rfind(b"\n") + 1].split(b"\n")[:-1]:
        m = LOG_ENTRY.match(raw.decode("utf-8", "replace"))
        assert m, "not a CRI log entry: %r" % raw
        out.append(m.groups())
    return out


def text_so_far(path):
    return "\n".join(log_lines(entries_so_far(path)))


def numbered(entries, prefix):
    return [int(t[len(prefix):].split("-")[0]) for t in log_lines(entries, "stdout")
            if t.startswith(prefix) and t[len(prefix):len(prefix) + 1].isdigit()]


def test_log_size_max_truncates_and_keeps_the_latest_lines(ctx):
    pod = ctx.pod()
    # 3000 lines of ~45 bytes: about 16 times the limit, then a slow tick
    script = ("i=0; while [ $i -lt 3000 ]; do echo burst$i-0123456789abcdefghijklmnopqrstuvwxyz; i=$((i+1)); done;"
              " echo burst-done; i=0; while :; do echo tick$i; i=$((i+1)); sleep 0.05; done")
    c = ctx.run(pod, command=["sh", "-c", script])
    wait_for(lambda: "tick3" in text_so_far(c.log_path), 30, "the ticks after the burst")
    entries = entries_so_far(c.log_path)
    assert os.path.getsize(c.log_path) <= LOG_SIZE_MAX + ENTRY_MAX
    texts = log_lines(entries, "stdout")
    # the file was truncated: the first lines are gone, the latest ones are there, in order
    assert "burst0-0123456789abcdefghijklmnopqrstuvwxyz" not in texts
    ticks = numbered(entries, "tick")
    assert ticks and ticks == list(range(ticks[0], ticks[-1] + 1))
    if ticks[0] == 0:  # not truncated again since the burst ended
        assert texts[texts.index("tick0") - 1] == "burst-done"
        burst = numbered(entries, "burst")
        assert burst and burst[-1] == 2999 and burst == list(range(burst[0], 3000))
    # the kubelet's rotation: rename, then ReopenContainerLog
    rotated = c.log_path + ".1"
    os.rename(c.log_path, rotated)
    ctx.d.runtime.ReopenContainerLog(pb.ReopenContainerLogRequest(container_id=c.id), timeout=30)
    wait_for(lambda: len(numbered(entries_so_far(c.log_path), "tick")) >= 5, 20, "5 ticks in the reopened log file")
    old, new = numbered(parse_log(rotated), "tick"), numbered(entries_so_far(c.log_path), "tick")
    assert new[0] == old[-1] + 1, "lines lost or repeated across the reopen"
    assert os.path.getsize(c.log_path) <= LOG_SIZE_MAX + ENTRY_MAX
    c.stop(timeout=0)


def test_log_size_max_holds_across_many_truncations(ctx):
    pod = ctx.pod()
    script = "i=0; while [ $i -lt 20000 ]; do echo n$i; i=$((i+1)); done; echo all-done; sleep 100000"
    c = ctx.run(pod, command=["sh", "-c", script])
    wait_for(lambda: "all-done" in text_so_far(c.log_path), 60, "all-done in the log")
    assert os.path.getsize(c.log_path) <= LOG_SIZE_MAX + ENTRY_MAX
    texts = log_lines(parse_log(c.log_path), "stdout")
    assert texts[-1] == "all-done"
    nums = [int(t[1:]) for t in texts if t.startswith("n")]
    assert nums and nums[-1] == 19999 and nums == list(range(nums[0], 20000))


def test_journald_gets_every_line_with_its_fields(ctx):
    journal = ctx.env.journal
    journal.drain()  # what earlier tests sent (a full queue would drop entries)
    pod = ctx.pod(name="jpod")
    script = "for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done; printf 'no newline'"
    c, st = ctx.run_to_exit(pod, name="jctr", command=["sh", "-c", script])
    assert st.exit_code == 0
    wait_for(lambda: len(journal.of(c.id)) >= 11, 20, "11 entries in the journal")
    got = journal.of(c.id)
    assert len(got) == 11, [e[b"MESSAGE"] if b"MESSAGE" in e else e for e in got]
    meta = pod.config.metadata
    for e in got:
        assert e["CONTAINER_ID"] == c.id[:12].encode()
        assert e["CONTAINER_ID_FULL"] == c.id.encode()
        assert e["CONTAINER_NAME"] == ("k8s_jctr_%s_%s_%s_0" % (meta.name, meta.namespace, meta.uid)).encode()
        assert e["CONTAINER_TAG"] == e["SYSLOG_IDENTIFIER"] == c.id[:12].encode()
        assert e["POD"] == meta.name.encode() and e["NAMESPACE"] == meta.namespace.encode()
    by_msg = {e["MESSAGE"]: e for e in got}
    for i in range(1, 6):
        assert by_msg[b"out%d" % i]["PRIORITY"] == b"6"
        assert by_msg[b"err%d" % i]["PRIORITY"] == b"3"
    # the line still open at exit goes out as a partial message, like its P entry
    assert by_msg[b"no newline"]["CONTAINER_PARTIAL_MESSAGE"] == b"true"
    # order per stream is kept
    assert [e["MESSAGE"] for e in got if e["PRIORITY"] == b"6"][:5] == [b"out%d" % i for i in range(1, 6)]
    # the CRI log file is written as well
    assert log_lines(c.log_entries(), "stdout")[:5] == ["out%d" % i for i in range(1, 6)]


def test_journald_socket_missing_keeps_the_log_file(ctx, tmp_path):
    """A journal that cannot be reached costs one warning, not the container's log."""
    journal = ctx.env.journal
    os.rename(journal.path, journal.path + ".away")
    try:
        pod = ctx.pod()
        c, st = ctx.run_to_exit(pod, command=["sh", "-c", "echo one; echo two"])
        assert st.exit_code == 0
        assert log_lines(c.log_entries(), "stdout") == ["one", "two"]
    finally:
        os.rename(journal.path + ".away", journal.path)
    assert journal.of(c.id) == []
    # and a journal that comes back is used by new containers at once
    c2, _ = ctx.run_to_exit(ctx.pod(), command=["echo", "back"])
    wait_for(lambda: [e["MESSAGE"] for e in journal.of(c2.id)] == [b"back"], 20, "the entry of the new container")
