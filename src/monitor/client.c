/* The daemon's side of cric-monitor (see monitor.h and protocol.h). The daemon is
 * threaded, so monitors start through posix_spawn: no code of ours runs in the child. */
#include "monitor/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/base64.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/sealed_exe.h"
#include "util/spawn.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define SYNC_FD            3
#define RUNTIME_FD         4 /* create: where the sealed runtime copy goes */
#define EXEC_RUNTIME_FD    3 /* exec: spawn_run's pass_fd lands there */
#define CREATE_TIMEOUT_MS  (240 * 1000)
#define REPORT_MAX         (256 * 1024)
#define CTL_ACK_TIMEOUT_MS 5000
/* exec-sync: time the monitor gets beyond the command's own deadline. */
#define EXEC_GRACE_S 30

extern char **environ;

static void push_opt(char ***argv, const char *name, const char *value) {
        if (!value)
                return;
        strv_push(argv, name);
        strv_push(argv, value);
}

/* fd itself, or when it sits on RUNTIME_FD or below (where the file actions of
 * spawn_monitor write) a close-on-exec copy above, fd then closed. -1 stays -1; a failed
 * copy is -1 with errno. */
static int above_file_actions(int fd) {
        if (fd < 0 || fd > RUNTIME_FD)
                return fd;
        AUTOCLOSE int low = fd; /* replaced by the copy; the close keeps errno */
        return fcntl(low, F_DUPFD_CLOEXEC, RUNTIME_FD + 1);
}

/* The sealed copy of the runtime (util/sealed_exe.h) above the file actions' fds, or -1:
 * the monitor runs the file then. */
static int runtime_exe_fd(const char *runtime) {
        return above_file_actions(sealed_exe_try(runtime));
}

static char **create_argv(const struct monitor_create_opts *o, bool has_runtime_fd) {
        char **argv = NULL;
        strv_push(&argv, o->monitor_path);
        push_opt(&argv, "--cid", o->id);
        push_opt(&argv, "--bundle", o->bundle);
        push_opt(&argv, "--runtime", o->runtime);
        push_opt(&argv, "--runtime-root", o->runtime_root);
        for (size_t i = 0; o->runtime_args && o->runtime_args[i]; i++)
                push_opt(&argv, "--runtime-arg", o->runtime_args[i]);
        push_opt(&argv, "--log-path", o->log_path);
        strv_push_take(&argv, xasprintf("--log-size-max=%" PRIu64, o->log_size_max));
        if (o->log_to_journald) {
                strv_push(&argv, "--log-journald");
                push_opt(&argv, "--name", o->journal_name);
                push_opt(&argv, "--pod-name", o->pod_name);
                push_opt(&argv, "--pod-namespace", o->pod_namespace);
        }
        push_opt(&argv, "--exit-dir", o->exit_dir);
        push_opt(&argv, "--socket-dir", o->socket_dir);
        push_opt(&argv, "--pid-file", o->pid_file);
        strv_push_take(&argv, xasprintf("--sync-fd=%d", SYNC_FD));
        if (has_runtime_fd)
                strv_push_take(&argv, xasprintf("--runtime-fd=%d", RUNTIME_FD));
        push_opt(&argv, "--cgroup-path", o->cgroup_path);
        push_opt(&argv, "--log-level", o->log_level);
        if (o->is_terminal)
                strv_push(&argv, "--terminal");
        if (o->has_stdin)
                strv_push(&argv, "--stdin");
        if (o->is_stdin_once)
                strv_push(&argv, "--stdin-once");
        return argv;
}

/* posix_spawn with stdin/stdout on /dev/null, stderr on log_path (or /dev/null), the
 * signal mask and dispositions reset, and only sync_fd (as SYNC_FD) and exe_fd (as
 * RUNTIME_FD, when >= 0) kept open. Both must lie above RUNTIME_FD. */
static int spawn_monitor(char *const *argv, int sync_fd, int exe_fd, const char *log_path, pid_t *ret_pid,
                         struct cric_error **err) {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, log_path ? log_path : "/dev/null", O_WRONLY | O_APPEND | O_CREAT,
                                         0640);
        if (sync_fd >= 0)
                posix_spawn_file_actions_adddup2(&fa, sync_fd, SYNC_FD);
        if (exe_fd >= 0)
                posix_spawn_file_actions_adddup2(&fa, exe_fd, RUNTIME_FD);
        posix_spawn_file_actions_addclosefrom_np(&fa, exe_fd >= 0 ? RUNTIME_FD + 1 : sync_fd >= 0 ? SYNC_FD + 1 : 3);
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        sigset_t none, all;
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &all);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        int r = posix_spawn(ret_pid, argv[0], &fa, &attr, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        if (r != 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, r, "run %s", argv[0]);
        return 0;
}

/* Reads the report line; NULL with *err on timeout or when none came. */
static char *read_report(int fd, unsigned timeout_ms, struct cric_error **err) {
        size_t cap = 256, len = 0;
        AUTOFREE char *buf = xmalloc(cap);
        long deadline = clock_mono_ms() + (timeout_ms ? timeout_ms : CREATE_TIMEOUT_MS);
        for (;;) {
                long left = deadline - clock_mono_ms();
                if (left <= 0) {
                        cric_error_set(err, CRIC_E_TIMEOUT, "no report from the monitor in %u ms",
                                       timeout_ms ? timeout_ms : CREATE_TIMEOUT_MS);
                        return NULL;
                }
                struct pollfd p = {.fd = fd, .events = POLLIN};
                if (poll(&p, 1, (int) left) <= 0)
                        continue;
                buf = xgrow(buf, &cap, len + 4097, 1);
                ssize_t n = read(fd, buf + len, 4096);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        cric_error_errno(err, CRIC_E_INTERNAL, errno, "read the monitor's report");
                        return NULL;
                }
                len += (size_t) n;
                buf[len] = '\0';
                if (n == 0 || memchr(buf, '\n', len))
                        break;
                if (len > REPORT_MAX) {
                        cric_error_set(err, CRIC_E_INTERNAL, "the monitor's report is too long");
                        return NULL;
                }
        }
        if (len == 0) {
                cric_error_set(err, CRIC_E_INTERNAL, "the monitor exited without a report");
                return NULL;
        }
        return STEAL_PTR(buf);
}

static int parse_report(const char *line, pid_t *ret_monitor, pid_t *ret_container, struct cric_error **err) {
        AUTOJSON json_object *root = NULL;
        json_object *pid = NULL, *mon = NULL, *msg = NULL;
        if (json_parse_object(line, strlen(line), NULL, &root, NULL) < 0 ||
            !json_object_object_get_ex(root, "pid", &pid) || !json_object_is_type(pid, json_type_int))
                return cric_error_set(err, CRIC_E_INTERNAL, "bad report from the monitor: %.200s", line);
        int r = 0;
        int64_t v = json_object_get_int64(pid);
        if (v <= 0) {
                json_object_object_get_ex(root, "message", &msg);
                r = cric_error_set(err, CRIC_E_INTERNAL, "%s",
                                   msg && json_object_is_type(msg, json_type_string) ? json_object_get_string(msg)
                                                                                     : "the runtime failed");
        } else if (!json_object_object_get_ex(root, "monitor_pid", &mon) || !json_object_is_type(mon, json_type_int) ||
                   json_object_get_int64(mon) <= 0) {
                r = cric_error_set(err, CRIC_E_INTERNAL, "report from the monitor without monitor_pid");
        } else {
                *ret_container = (pid_t) v;
                *ret_monitor = (pid_t) json_object_get_int64(mon);
        }
        return r;
}

int monitor_spawn_create(const struct monitor_create_opts *o, pid_t *ret_monitor_pid, pid_t *ret_container_pid,
                         struct cric_error **err) {
        if (!o->monitor_path || !o->id || !o->runtime)
                return cric_error_set(err, CRIC_E_INVALID, "monitor: path, id and runtime are required");
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "pipe");
        AUTOCLOSE int sync_r = p[0];
        AUTOCLOSE int sync_w = above_file_actions(p[1]);
        if (sync_w < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "dup");
        AUTOCLOSE int exe_fd = runtime_exe_fd(o->runtime);
        CLEANUP(strv_freep) char **argv = create_argv(o, exe_fd >= 0);
        /* Killed and reaped on an early return. It is only the short-lived parent: the
         * real monitor has a pid of its own. */
        AUTOKILL pid_t pid = -1;
        if (spawn_monitor(argv, sync_w, exe_fd, o->monitor_log_path, &pid, err) < 0)
                return -1;
        close(STEAL_FD(sync_w));
        log_debug("monitor %d started for container %s", (int) pid, o->id);
        AUTOFREE char *line = read_report(sync_r, o->timeout_ms, err);
        if (!line)
                return cric_error_prefix(err, "container %s", o->id);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        pid = -1; /* reaped */
        return parse_report(line, ret_monitor_pid, ret_container_pid, err);
}

static char **exec_argv(const struct monitor_exec_opts *o, bool has_runtime_fd) {
        char **argv = NULL;
        strv_push(&argv, o->monitor_path);
        strv_push(&argv, "--exec");
        push_opt(&argv, "--cid", o->id);
        push_opt(&argv, "--runtime", o->runtime);
        push_opt(&argv, "--runtime-root", o->runtime_root);
        for (size_t i = 0; o->runtime_args && o->runtime_args[i]; i++)
                push_opt(&argv, "--runtime-arg", o->runtime_args[i]);
        if (has_runtime_fd)
                strv_push_take(&argv, xasprintf("--runtime-fd=%d", EXEC_RUNTIME_FD));
        push_opt(&argv, "--exec-process", o->process_path);
        push_opt(&argv, "--pid-file", o->pid_file);
        strv_push_take(&argv, xasprintf("--timeout=%u", o->timeout_s));
        push_opt(&argv, "--log-level", o->log_level);
        return argv;
}

static int get_b64(json_object *root, const char *key, char **ret, size_t *ret_len, struct cric_error **err) {
        json_object *v = NULL;
        if (!json_object_object_get_ex(root, key, &v) || !json_object_is_type(v, json_type_string))
                return cric_error_set(err, CRIC_E_INTERNAL, "exec result without %s", key);
        return base64_decode(json_object_get_string(v), (size_t) json_object_get_string_len(v), ret, ret_len, err);
}

static int parse_exec_result(const char *out, struct monitor_exec_result *ret, struct cric_error **err) {
        AUTOJSON json_object *root = NULL;
        json_object *code = NULL, *timed = NULL;
        struct monitor_exec_result r = {0};
        int rc = -1;
        if (json_parse_object(out, strlen(out), NULL, &root, NULL) < 0 ||
            !json_object_object_get_ex(root, "exit_code", &code) || !json_object_is_type(code, json_type_int) ||
            !json_object_object_get_ex(root, "timed_out", &timed) || !json_object_is_type(timed, json_type_boolean)) {
                cric_error_set(err, CRIC_E_INTERNAL, "bad exec result from the monitor: %.200s", out);
        } else if (get_b64(root, "stdout", &r.stdout_data, &r.stdout_len, err) == 0 &&
                   get_b64(root, "stderr", &r.stderr_data, &r.stderr_len, err) == 0) {
                r.exit_code = json_object_get_int(code);
                r.is_timed_out = json_object_get_boolean(timed);
                *ret = r;
                r = (struct monitor_exec_result){0};
                rc = 0;
        }
        monitor_exec_result_clear(&r);
        return rc;
}

int monitor_exec_sync(const struct monitor_exec_opts *o, struct monitor_exec_result *ret, struct cric_error **err) {
        if (!o->monitor_path || !o->id || !o->runtime || !o->process_path)
                return cric_error_set(err, CRIC_E_INVALID, "exec: monitor path, id, runtime and process are required");
        AUTOCLOSE int exe_fd = runtime_exe_fd(o->runtime);
        CLEANUP(strv_freep) char **argv = exec_argv(o, exe_fd >= 0);
        struct spawn_opts so = {
                .pass_fd = exe_fd,
                .timeout_ms = o->timeout_s ? (o->timeout_s + EXEC_GRACE_S) * 1000 : 0,
                /* both outputs in base64 plus the JSON around them */
                .max_output = (MONITOR_EXEC_OUTPUT_MAX / 3 + 1) * 4 * 2 + 4096,
        };
        AUTOFREE char *out = NULL;
        if (spawn_run(argv, &so, &out, err) < 0)
                return cric_error_prefix(err, "exec in container %s", o->id);
        if (parse_exec_result(out, ret, err) < 0)
                return cric_error_prefix(err, "exec in container %s", o->id);
        return 0;
}

void monitor_exec_result_clear(struct monitor_exec_result *r) {
        if (!r)
                return;
        free(r->stdout_data);
        free(r->stderr_data);
        *r = (struct monitor_exec_result){0};
}

static bool get_int64(json_object *root, const char *key, int64_t *ret) {
        json_object *v = NULL;
        if (!json_object_object_get_ex(root, key, &v) || !json_object_is_type(v, json_type_int))
                return false;
        *ret = json_object_get_int64(v);
        return true;
}

int monitor_exit_parse(const char *json, struct monitor_exit *ret, struct cric_error **err) {
        AUTOJSON json_object *root = NULL;
        json_object *oom = NULL;
        int64_t code = 0, time_ns = 0, sig = 0;
        bool is_ok = json_parse_object(json, strlen(json), NULL, &root, NULL) == 0 &&
                     get_int64(root, "exit_code", &code) && get_int64(root, "exit_time_ns", &time_ns) &&
                     get_int64(root, "signal", &sig) && json_object_object_get_ex(root, "oom_killed", &oom) &&
                     json_object_is_type(oom, json_type_boolean) && code >= -1 && code <= 255 && sig >= 0 && sig < 128;
        if (is_ok)
                *ret = (struct monitor_exit){.exit_code = (int) code,
                                             .exit_time_ns = time_ns,
                                             .oom_killed = json_object_get_boolean(oom),
                                             .signal = (int) sig};
        if (!is_ok)
                return cric_error_set(err, CRIC_E_INTERNAL, "bad exit file: %.200s", json);
        return 0;
}

int monitor_read_exit_file(const char *exit_dir, const char *id, struct monitor_exit *ret, struct cric_error **err) {
        AUTOFREE char *path = xasprintf("%s/%s", exit_dir, id);
        AUTOFREE char *data = NULL;
        if (fs_read_file(path, 4096, &data, NULL, err) < 0)
                return -1; /* CRIC_E_NOT_FOUND while it runs */
        if (monitor_exit_parse(data, ret, err) < 0)
                return cric_error_prefix(err, "%s", path);
        return 0;
}

/* Waits until the monitor has read everything in the fifo (FIONREAD on our end). */
static int wait_drained(int fd, const char *id, struct cric_error **err) {
        long deadline = clock_mono_ms() + CTL_ACK_TIMEOUT_MS;
        for (;;) {
                int pending = 0;
                if (ioctl(fd, FIONREAD, &pending) < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "control fifo of %s", id);
                if (pending == 0)
                        return 0;
                if (clock_mono_ms() >= deadline)
                        return cric_error_set(err, CRIC_E_TIMEOUT, "the monitor of %s does not read its control fifo",
                                              id);
                struct timespec ts = {0, 2 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
}

static int ctl_send(const char *socket_dir, const char *id, const char *line, struct cric_error **err) {
        AUTOFREE char *path = xasprintf("%s/%s/%s", socket_dir, id, MONITOR_CTL_NAME);
        AUTOCLOSE int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
                /* ENXIO: the fifo is there but nobody reads it, the monitor is gone */
                if (errno == ENOENT || errno == ENXIO)
                        return cric_error_set(err, CRIC_E_NOT_FOUND, "no monitor runs for container %s", id);
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open %s", path);
        }
        size_t len = strlen(line); /* below PIPE_BUF: one atomic write */
        ssize_t n;
        do
                n = write(fd, line, len);
        while (n < 0 && errno == EINTR);
        if (n < 0 && errno == EAGAIN)
                return cric_error_set(err, CRIC_E_UNAVAILABLE, "the control fifo of %s is full", id);
        if (n != (ssize_t) len)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "write %s", path);
        return wait_drained(fd, id, err);
}

int monitor_reopen_log(const char *socket_dir, const char *id, struct cric_error **err) {
        return ctl_send(socket_dir, id, "reopen\n", err);
}

int monitor_resize(const char *socket_dir, const char *id, unsigned rows, unsigned cols, struct cric_error **err) {
        if (rows == 0 || cols == 0 || rows > 65535 || cols > 65535)
                return cric_error_set(err, CRIC_E_INVALID, "bad terminal size %ux%u", rows, cols);
        char line[64];
        snprintf(line, sizeof(line), "resize %u %u\n", rows, cols);
        return ctl_send(socket_dir, id, line, err);
}

int monitor_attach_connect(const char *socket_dir, const char *id, int *ret_fd, struct cric_error **err) {
        AUTOFREE char *dir = xasprintf("%s/%s", socket_dir, id);
        AUTOCLOSE int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return cric_error_errno(err, errno == ENOENT ? CRIC_E_NOT_FOUND : CRIC_E_INTERNAL, errno, "open %s",
                                        dir);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        /* Through /proc, a socket path of any length fits in sun_path. */
        snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dirfd, MONITOR_ATTACH_NAME);
        AUTOCLOSE int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "socket");
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                if (errno == ENOENT || errno == ECONNREFUSED)
                        return cric_error_set(err, CRIC_E_NOT_FOUND, "no monitor listens for container %s", id);
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "connect to %s/%s", dir, MONITOR_ATTACH_NAME);
        }
        *ret_fd = STEAL_FD(fd);
        return 0;
}

bool monitor_is_alive(pid_t pid) {
        if (pid <= 0 || (kill(pid, 0) < 0 && errno != EPERM))
                return false;
        char path[64], buf[512];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        AUTOCLOSE int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        /* "pid (comm) S ...": comm may hold spaces and parentheses, so take the last ')'. */
        char *close_paren = strrchr(buf, ')');
        char *open_paren = strchr(buf, '(');
        if (!open_paren || !close_paren || close_paren[1] != ' ')
                return false;
        char state = close_paren[2];
        *close_paren = '\0';
        /* The monitor names itself, so a recycled pid is not mistaken for it. */
        return state != 'Z' && state != 'X' && !strcmp(open_paren + 1, "cric-monitor");
}

int monitor_check_version(const char *monitor_path, struct cric_error **err) {
        if (!fs_is_executable(monitor_path))
                return cric_error_set(err, CRIC_E_NOT_FOUND, "cric-monitor %s: no such executable", monitor_path);
        char *argv[] = {(char *) monitor_path, "--version-check", NULL};
        AUTOFREE char *out = NULL;
        if (spawn_run(argv, &(struct spawn_opts){.timeout_ms = 10000}, &out, err) < 0)
                return cric_error_prefix(err, "cric-monitor %s", monitor_path);
        char *end = NULL;
        long v = strtol(out, &end, 10);
        if (end == out || (*end && *end != '\n'))
                return cric_error_set(err, CRIC_E_PRECONDITION, "cric-monitor %s: no protocol version in \"%.32s\"",
                                      monitor_path, out);
        if (v != MONITOR_PROTOCOL_VERSION)
                return cric_error_set(err, CRIC_E_PRECONDITION,
                                      "cric-monitor %s speaks protocol %ld, this cricd speaks %d: install the two "
                                      "from the same build",
                                      monitor_path, v, MONITOR_PROTOCOL_VERSION);
        return 0;
}
