/* Types shared by the files of cric-monitor. Nothing outside src/monitor/ includes this. */
#ifndef CRIC_MONITOR_INTERNAL_H
#define CRIC_MONITOR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "util/journal_field.h"
#include "monitor/protocol.h"
#include "util/error.h"
#include "util/log.h"

/* ---- args.c: the command line ---- */

struct monitor_args {
        const char *cid;
        const char *bundle;
        const char *runtime;
        const char *runtime_root; /* NULL: the runtime's default */
        char **runtime_args;      /* owned strv, may be NULL */
        const char *log_path;
        uint64_t log_size_max; /* 0: unlimited */
        bool log_to_journald;
        const char *name;          /* CONTAINER_NAME in the journal; NULL: none */
        const char *pod_name;      /* POD; NULL: none */
        const char *pod_namespace; /* NAMESPACE; NULL: none */
        const char *exit_dir;
        const char *socket_dir;
        const char *pid_file;
        const char *cgroup_path;
        int sync_fd;    /* -1: none */
        int runtime_fd; /* sealed copy of runtime to run; -1: none, run the file */
        bool is_terminal;
        bool has_stdin;
        bool is_stdin_once;
        bool is_exec;
        const char *exec_process;
        unsigned timeout_s; /* exec-sync deadline; 0: none */
        enum log_level log_level;
        bool is_version_check;
};

/* Parses argv (getopt_long; resets getopt's state first) and checks that the options
 * the chosen mode needs are there. Strings point into argv. CRIC_E_INVALID on error. */
int monitor_args_parse(int argc, char **argv, struct monitor_args *ret, struct cric_error **err);
void monitor_args_clear(struct monitor_args *a);

/* ---- journal.c: container output to the journal (native protocol) ---- */

struct journal_writer {
        int fd; /* unconnected datagram socket; -1: off */
        char *socket_path;
        const char *cid;
        struct journal_buf fixed; /* the fields every entry carries, encoded once */
        struct journal_buf entry; /* reused for each entry */
        uint64_t n_dropped;
        bool has_warned; /* one warning per run of failed sends */
};

/* CONTAINER_ID (12 chars), CONTAINER_ID_FULL, CONTAINER_NAME, CONTAINER_TAG,
 * SYSLOG_IDENTIFIER, POD, NAMESPACE; NULL or empty values are left out. */
void journal_fixed_fields(struct journal_buf *b, const char *cid, const char *name, const char *pod_name,
                          const char *pod_namespace);
/* fixed + PRIORITY (6 stdout, 3 stderr) [+ CONTAINER_PARTIAL_MESSAGE=true] + MESSAGE. */
void journal_entry_build(const struct journal_buf *fixed, int stream, const char *data, size_t len, bool is_partial,
                         struct journal_buf *ret);
/* Sets up sending to $CRIC_JOURNAL_SOCKET (tests only) or /run/systemd/journal/socket.
 * Never fails: without a socket the entries are dropped with one warning. */
void journal_open(struct journal_writer *j, const struct monitor_args *a);
void journal_send(struct journal_writer *j, int stream, const char *data, size_t len, bool is_partial);
void journal_close(struct journal_writer *j);

/* ---- log_writer.c: the CRI log file ---- */

struct log_pending {
        char *buf; /* MONITOR_LOG_LINE_MAX bytes, allocated on first use */
        size_t len;
};

struct log_writer {
        int fd;
        char *path;
        uint64_t size_max;
        uint64_t written;
        struct log_pending pending[3];      /* by stream id; [0] unused */
        bool has_warned;                    /* one warning per run of failed writes */
        struct journal_writer *journal;     /* NULL: file only */
        void (*clock)(struct timespec *ts); /* NULL: CLOCK_REALTIME (tests pin it) */
};

/* Formats ts as RFC 3339 UTC with nanoseconds ("2016-10-06T00:17:09.669794202Z").
 * Returns the length (30), or 0 when size is too small. */
size_t log_format_timestamp(const struct timespec *ts, char *buf, size_t size);
int log_writer_open(struct log_writer *w, const char *path, uint64_t size_max, struct cric_error **err);
/* Adds container output of a stream (MONITOR_STREAM_STDOUT/_STDERR): complete lines
 * become F entries, lines over MONITOR_LOG_LINE_MAX become P chunks, the rest waits. */
int log_writer_write(struct log_writer *w, int stream, const char *data, size_t len, struct cric_error **err);
/* Writes every line still open as a P entry (at container exit). */
int log_writer_flush(struct log_writer *w, struct cric_error **err);
/* Creates a new file at the path (kubelet has renamed the old one) and writes there. */
int log_writer_reopen(struct log_writer *w, struct cric_error **err);
void log_writer_close(struct log_writer *w);

/* ---- attach.c: the attach socket ---- */

struct attach_client {
        int fd;
        bool is_reading; /* false after its stdin ended */
};

struct attach_server {
        int listen_fd;
        struct attach_client *clients;
        size_t n_clients, cap_clients;
        size_t n_detached; /* clients whose stdin ended, however; the loop resets it */
};

/* Binds DIR/attach (dirfd names DIR; works for paths longer than sun_path). */
int attach_listen(struct attach_server *s, int dirfd, struct cric_error **err);
void attach_accept(struct attach_server *s);
/* Sends one framed packet per MONITOR_ATTACH_PACKET_MAX of data to every client; a
 * client that stays full for seconds is dropped rather than stall the container. */
void attach_broadcast(struct attach_server *s, int stream, const char *data, size_t len);
/* Reads one packet from client i into buf. Returns its length, 0 when the client
 * ended its stdin (it stays connected for output), -1 when it went away (its slot is
 * closed) and -2 when nothing is waiting. */
ssize_t attach_client_read(struct attach_server *s, size_t i, char *buf, size_t size);
/* Closes client i; its slot stays (fd -1) until attach_compact, so indices hold. */
void attach_hangup(struct attach_server *s, size_t i);
void attach_compact(struct attach_server *s);
void attach_close(struct attach_server *s, int dirfd);

/* ---- ctl.c: the control fifo ---- */

enum ctl_kind {
        CTL_REOPEN = 0,
        CTL_RESIZE,
        CTL_KIND_MAX,
        CTL_KIND_INVALID = -1,
};

struct ctl_cmd {
        enum ctl_kind kind;
        unsigned short rows, cols;
};

struct ctl_fifo {
        int read_fd;
        int keep_fd; /* our own writer, so the fifo never reports EOF */
        char line[MONITOR_CTL_LINE_MAX];
        size_t len;
        bool is_discarding; /* inside an overlong line */
};

/* Parses one line without its newline. Returns the kind (CTL_KIND_INVALID if bad). */
enum ctl_kind ctl_parse_line(const char *line, struct ctl_cmd *ret);
int ctl_open(struct ctl_fifo *c, int dirfd, struct cric_error **err);
/* Reads what the fifo holds and calls fn for each valid command. */
void ctl_read(struct ctl_fifo *c, void (*fn)(const struct ctl_cmd *cmd, void *userdata), void *userdata);
void ctl_close(struct ctl_fifo *c, int dirfd);

/* ---- oom.c: OOM kills in the container's memory cgroup ---- */

struct oom_watch {
        int version;    /* 0: not watching, 1: cgroup v1, 2: cgroup v2 */
        int event_fd;   /* v1: eventfd; v2: inotify on memory.events */
        int counter_fd; /* memory.oom_control (v1) or memory.events (v2) */
        uint64_t base_kills;
        bool has_fired;
};

int oom_watch_start(struct oom_watch *o, const char *cgroup_path, struct cric_error **err);
/* Consumes the event that made event_fd readable. */
void oom_watch_handle(struct oom_watch *o);
/* True when an OOM event came or the cgroup's oom_kill count went up since the start. */
bool oom_watch_killed(struct oom_watch *o);
void oom_watch_stop(struct oom_watch *o);

/* ---- exit_file.c ---- */

void monitor_exit_from_status(int status, int64_t time_ns, bool is_oom, struct monitor_exit *ret);
/* The exit file's JSON line (owned by the caller). */
char *monitor_exit_format(const struct monitor_exit *e);
int monitor_exit_write(const char *exit_dir, const char *id, const struct monitor_exit *e, struct cric_error **err);

/* ---- runtime_child.c: running crun/runc ---- */

/* Returns RUNTIME [ARG...] [--root R] VERB as a new strv to append to. */
char **runtime_argv(const struct monitor_args *a, const char *verb);
/* fork + exec argv with the given fds as stdin/stdout/stderr (-1: /dev/null).
 * Only async-signal-safe calls run in the child. Returns the pid or -1 (errno). */
pid_t runtime_spawn(const struct monitor_args *a, char *const *argv, int in_fd, int out_fd, int err_fd);

struct container_io {
        int out_fd; /* stdout pipe, or the pty master with a terminal */
        int err_fd; /* stderr pipe; -1 with a terminal */
        int in_fd;  /* stdin pipe (write end) or the pty master; -1 without stdin */
};

/* Runs `create`, then reads the container pid. With a terminal the pty master arrives
 * on a console socket (SOCKET_DIR/ID/console.sock, or under /tmp when that path is too
 * long for sun_path). On failure the message is the runtime's output. The container is
 * created, not started. */
int runtime_create(const struct monitor_args *a, pid_t *ret_pid, struct container_io *ret_io, struct cric_error **err);
/* Reads a pid file ("1234" with or without newline). */
int read_pid_file(const char *path, pid_t *ret, struct cric_error **err);

/* ---- loop.c: the create-mode event loop ---- */

struct monitor {
        const struct monitor_args *args;
        pid_t container_pid;
        int signal_fd;
        int dir_fd; /* socket-dir/ID */
        struct container_io io;
        struct log_writer log;
        struct journal_writer journal;
        struct attach_server attach;
        struct ctl_fifo ctl;
        struct oom_watch oom;
        char *stdin_buf; /* data from attach clients waiting for the container */
        size_t stdin_len;
        bool is_stdin_closing; /* --stdin-once: close stdin once stdin_buf is written */
        bool has_exited;
        int exit_status;
        int64_t exit_time_ns;
};

/* Runs until the container process has exited and its output is drained and logged. */
int monitor_loop_run(struct monitor *m, struct cric_error **err);
/* Writes the exit file and closes everything. */
int monitor_finish(struct monitor *m, struct cric_error **err);

/* ---- exec_sync.c ---- */

/* Standard base64 with padding; the result is NUL-terminated and owned by the caller. */
char *monitor_base64_encode(const char *data, size_t len);
/* Runs exec-sync mode and prints the result line. */
int exec_sync_run(const struct monitor_args *a, struct cric_error **err);

int64_t monitor_now_ns(void);

#endif
