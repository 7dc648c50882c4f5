/* The daemon's side of cric-monitor: start monitors, run exec-sync, read exit files,
 * talk to a running monitor. The wire protocol is in monitor/protocol.h.
 *
 * Thread-safe: nothing here keeps state, and children are started with posix_spawn
 * (only async-signal-safe work between fork and exec), with every fd of ours closed
 * on exec except the one sync pipe. */
#ifndef CRIC_MONITOR_MONITOR_H
#define CRIC_MONITOR_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "monitor/protocol.h"
#include "util/error.h"

struct monitor_create_opts {
        const char *monitor_path; /* the cric-monitor binary */
        const char *id;
        const char *bundle;
        const char *runtime;       /* path of crun/runc */
        const char *runtime_root;  /* NULL: the runtime's default */
        char *const *runtime_args; /* NULL-terminated, may be NULL */
        const char *log_path;      /* CRI log */
        uint64_t log_size_max;     /* 0: unlimited */
        bool log_to_journald;      /* also send each entry to the journal */
        const char *journal_name;  /* CONTAINER_NAME (k8s_<ctr>_<pod>_<ns>_<uid>_<attempt>); may be NULL */
        const char *pod_name;      /* POD; may be NULL */
        const char *pod_namespace; /* NAMESPACE; may be NULL */
        const char *exit_dir;
        const char *socket_dir;
        const char *pid_file;
        const char *cgroup_path; /* memory cgroup dir for OOM detection, may be NULL */
        bool is_terminal;
        bool has_stdin;
        bool is_stdin_once;
        const char *log_level;        /* the monitor's own; NULL: info */
        const char *monitor_log_path; /* the monitor's stderr (appended); NULL: /dev/null */
        unsigned timeout_ms;          /* for the report; 0: 240 s */
};

/* Starts a monitor that creates the container (not started) and waits for its report.
 * On success *ret_monitor_pid is the long-lived monitor (not our child; check it with
 * monitor_is_alive) and *ret_container_pid the container's init. CRIC_E_INTERNAL carries
 * the runtime's error output; CRIC_E_TIMEOUT when no report came in time (the monitor
 * then kills the container when it finally tries to report). */
int monitor_spawn_create(const struct monitor_create_opts *o, pid_t *ret_monitor_pid, pid_t *ret_container_pid,
                         struct cric_error **err);

struct monitor_exec_opts {
        const char *monitor_path;
        const char *id;
        const char *runtime;
        const char *runtime_root;
        char *const *runtime_args;
        const char *process_path; /* process.json for `RUNTIME exec --process` */
        const char *pid_file;     /* NULL: a temp file of the monitor's */
        unsigned timeout_s;       /* 0: none */
        const char *log_level;    /* the monitor's stderr ends up in errors */
};

struct monitor_exec_result {
        int exit_code;     /* -1 when timed out */
        char *stdout_data; /* NUL-terminated; at most MONITOR_EXEC_OUTPUT_MAX bytes */
        size_t stdout_len;
        char *stderr_data;
        size_t stderr_len;
        bool is_timed_out;
};

/* Runs a command in a running container and waits for it (blocking, up to the timeout
 * plus a grace period). A non-zero exit of the command is a result, not an error; a
 * monitor that fails is CRIC_E_INTERNAL. Clear *ret with monitor_exec_result_clear. */
int monitor_exec_sync(const struct monitor_exec_opts *o, struct monitor_exec_result *ret, struct cric_error **err);
void monitor_exec_result_clear(struct monitor_exec_result *r);

/* Reads EXIT_DIR/ID. CRIC_E_NOT_FOUND while the container runs (no file yet),
 * CRIC_E_INTERNAL when the file is not a valid exit file. */
int monitor_read_exit_file(const char *exit_dir, const char *id, struct monitor_exit *ret, struct cric_error **err);
/* Parses the content of an exit file (CRIC_E_INTERNAL when invalid). */
int monitor_exit_parse(const char *json, struct monitor_exit *ret, struct cric_error **err);

/* Asks the monitor to create a new log file at its --log-path (after kubelet renamed
 * the old one). Returns once the monitor has taken the request off its control fifo;
 * the new file appears right after. CRIC_E_NOT_FOUND when no monitor runs for id. */
int monitor_reopen_log(const char *socket_dir, const char *id, struct cric_error **err);
/* Sets the container's terminal size. CRIC_E_NOT_FOUND as for monitor_reopen_log. */
int monitor_resize(const char *socket_dir, const char *id, unsigned rows, unsigned cols, struct cric_error **err);

/* Connects to the attach socket (SOCK_SEQPACKET; framing in protocol.h). *ret_fd is
 * the caller's (close-on-exec). CRIC_E_NOT_FOUND when no monitor listens. */
int monitor_attach_connect(const char *socket_dir, const char *id, int *ret_fd, struct cric_error **err);

/* Runs `monitor_path --version-check` and compares what it prints with
 * MONITOR_PROTOCOL_VERSION. CRIC_E_PRECONDITION, naming both versions, when the monitor
 * speaks another protocol; CRIC_E_NOT_FOUND / CRIC_E_INTERNAL when it cannot be run. */
int monitor_check_version(const char *monitor_path, struct cric_error **err);

/* True when pid is a live (not zombie) cric-monitor process. */
bool monitor_is_alive(pid_t pid);

#endif
