/* The protocol between cricd and cric-monitor, version MONITOR_PROTOCOL_VERSION.
 *
 * Bump the version on any incompatible change below. At start, cricd runs
 * `cric-monitor --version-check` (prints the version and a newline, exits 0) and refuses
 * to start with a monitor that speaks another one (monitor_check_version). Adding a JSON
 * field is compatible; readers ignore fields they do not know.
 *
 * Invocation (long options; -c, -t, -i are short forms):
 *   --cid/-c ID            container id (also names the exit file and the socket dir)
 *   --bundle DIR           OCI bundle (create mode)
 *   --runtime PATH         crun or runc
 *   --runtime-root DIR     passed as `--root DIR` (optional)
 *   --runtime-arg X        a global runtime option, repeatable, placed before the verb
 *   --runtime-fd N         inherited descriptor of a sealed in-memory copy of RUNTIME to
 *                          run instead of the file (optional; see util/sealed_exe.h)
 *   --log-path FILE        CRI log (create mode)
 *   --log-size-max BYTES   0 = unlimited; when an entry would pass it, the file is
 *                          truncated and writing starts over (conmon's rotation)
 *   --log-journald         also send every entry to the journal (native protocol, to
 *                          /run/systemd/journal/socket; tests set CRIC_JOURNAL_SOCKET)
 *   --name N, --pod-name P, --pod-namespace NS   CONTAINER_NAME, POD, NAMESPACE there
 *   --exit-dir DIR         the exit file is DIR/ID
 *   --socket-dir DIR       DIR/ID/attach (attach socket) and DIR/ID/ctl (control fifo)
 *   --pid-file FILE        container (or exec) pid, written by the runtime
 *   --sync-fd N            inherited pipe for the create report
 *   --terminal/-t, --stdin/-i, --stdin-once
 *   --cgroup-path DIR      the container's memory cgroup directory, for OOM detection
 *   --exec, --exec-process FILE, --timeout SECONDS   exec-sync mode
 *   --log-level LEVEL      the monitor's own diagnostics (stderr)
 *
 * Create mode: the monitor forks; the child calls setsid(), becomes a child subreaper,
 * runs `RUNTIME [ARG...] [--root R] create --bundle B --pid-file P [--console-socket S] ID`
 * and writes ONE line to the sync fd, then closes it:
 *     {"pid": N, "monitor_pid": M}            created; N is the container pid
 *     {"pid": -1, "message": "..."}           failed; message holds the runtime's output
 * The parent exits 0 as soon as the child has reported (1 if the child died first), so
 * the caller can waitpid() it. M, the long-lived monitor, is not the caller's child. A
 * bad command line exits 2 before forking, without a report. When the report cannot be
 * written (the caller gave up), the monitor kills the container. The monitor ignores
 * SIGTERM, SIGINT, SIGHUP and SIGQUIT: it ends when the container process does.
 *
 * CRI log entries: `<RFC3339Nano UTC, 9 digits> <stdout|stderr> <P|F> <content>\n`.
 * F ends a line; P is continued by the next entry of the same stream. Lines longer
 * than MONITOR_LOG_LINE_MAX are cut into P chunks; a line still open when the container
 * exits is written as P. With a terminal everything is "stdout".
 *
 * Attach socket DIR/ID/attach: SOCK_SEQPACKET. Every packet from the monitor is one
 * byte of stream id (MONITOR_STREAM_STDOUT or _STDERR) followed by output data; a
 * client gets the output produced after it connected. Packets from a client are raw
 * stdin data (no header byte, at most MONITOR_ATTACH_STDIN_MAX bytes each); they reach
 * the container only when it has stdin (-i), and are dropped otherwise. A client ends
 * its stdin with shutdown(SHUT_WR), close() or an empty packet; with --stdin-once the
 * container's stdin is closed when the first client does so (with a terminal the
 * monitor writes the EOF character, ^D, instead). The monitor closes every client
 * after the container has exited and its output is drained.
 *
 * Control fifo DIR/ID/ctl: text lines, each at most MONITOR_CTL_LINE_MAX bytes:
 *     "reopen\n"                 create a new file at --log-path and write there
 *     "resize <rows> <cols>\n"   set the terminal size (TIOCSWINSZ), -t only
 * Commands are asynchronous: nothing is written back.
 *
 * Exit file EXIT_DIR/ID, written atomically (temp + rename) after the logs are flushed:
 *     {"exit_code": N, "exit_time_ns": T, "oom_killed": B, "signal": S}
 * exit_code is 128+S when the process died by signal S (S = 0 otherwise); T is
 * CLOCK_REALTIME in nanoseconds when the monitor reaped the process. oom_killed: the
 * --cgroup-path cgroup signalled an OOM while the container ran, or its oom_kill counter
 * grew. Then the monitor closes its clients, removes DIR/ID/attach, DIR/ID/ctl and the
 * DIR/ID directory (when empty), and exits 0.
 *
 * Exec-sync mode (--exec): not daemonized. Runs
 * `RUNTIME [ARG...] [--root R] exec --process FILE --pid-file P ID` (P: --pid-file, or a
 * temp file of its own), keeps the first
 * MONITOR_EXEC_OUTPUT_MAX bytes of stdout and of stderr, SIGKILLs the exec'd process
 * after --timeout seconds (0: none), and prints one line to its stdout:
 *     {"exit_code": N, "stdout": "<base64>", "stderr": "<base64>", "timed_out": B}
 * (exit_code is -1 when timed out). The monitor's exit status is 0 when it printed
 * that line, 1 otherwise (the reason on stderr). */
#ifndef CRIC_MONITOR_PROTOCOL_H
#define CRIC_MONITOR_PROTOCOL_H

#include <stdbool.h>
#include <stdint.h>

#define MONITOR_PROTOCOL_VERSION 1

#define MONITOR_STREAM_STDIN  0
#define MONITOR_STREAM_STDOUT 1
#define MONITOR_STREAM_STDERR 2

#define MONITOR_ATTACH_NAME "attach"
#define MONITOR_CTL_NAME    "ctl"

/* Longest log entry content; longer lines become several P entries (kubelet's limit). */
#define MONITOR_LOG_LINE_MAX (16 * 1024)
/* Largest data part of one attach packet from the monitor, and of one from a client. */
#define MONITOR_ATTACH_PACKET_MAX 8192
#define MONITOR_ATTACH_STDIN_MAX  (64 * 1024)
#define MONITOR_CTL_LINE_MAX      128
/* Exec-sync keeps this much of each output stream (kubelet's limit). */
#define MONITOR_EXEC_OUTPUT_MAX (16 * 1024 * 1024)

/* The content of an exit file. */
struct monitor_exit {
        int exit_code;
        int64_t exit_time_ns;
        bool oom_killed;
        int signal;
};

#endif
