/* Exec-sync mode: run a command in a running container through `RUNTIME exec`,
 * capture its output with kubelet's size cap, enforce the deadline, print one line. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monitor/internal.h"
#include "util/capture.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* How long the runtime gets to exit after its process was killed at the deadline. */
#define EXEC_KILL_GRACE_MS 5000

char *monitor_base64_encode(const char *data, size_t len) {
        static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const unsigned char *in = (const unsigned char *) data;
        char *out = xmalloc((len + 2) / 3 * 4 + 1);
        size_t o = 0, i = 0;
        for (; i + 2 < len; i += 3) {
                unsigned v = (unsigned) in[i] << 16 | (unsigned) in[i + 1] << 8 | in[i + 2];
                out[o++] = tab[v >> 18 & 63];
                out[o++] = tab[v >> 12 & 63];
                out[o++] = tab[v >> 6 & 63];
                out[o++] = tab[v & 63];
        }
        if (i < len) {
                unsigned v = (unsigned) in[i] << 16 | (i + 1 < len ? (unsigned) in[i + 1] << 8 : 0);
                out[o++] = tab[v >> 18 & 63];
                out[o++] = tab[v >> 12 & 63];
                out[o++] = i + 1 < len ? tab[v >> 6 & 63] : '=';
                out[o++] = '=';
        }
        out[o] = '\0';
        return out;
}

struct exec_run {
        pid_t runtime_pid;
        int fds[2]; /* stdout, stderr (read ends, non-blocking) */
        struct capture out[2];
        bool is_timed_out;
        int status;
};

static int start(const struct monitor_args *a, const char *pid_file, struct exec_run *x, struct cric_error **err) {
        int p[2];
        if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "pipe");
        AUTOCLOSE int out_r = p[0], out_w = p[1];
        if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "pipe");
        AUTOCLOSE int err_r = p[0], err_w = p[1];
        /* The runtime's ends must block, as a program's stdio normally does. */
        fcntl(out_w, F_SETFL, 0);
        fcntl(err_w, F_SETFL, 0);
        CLEANUP(strv_freep) char **argv = runtime_argv(a, "exec");
        strv_push(&argv, "--process");
        strv_push(&argv, a->exec_process);
        strv_push(&argv, "--pid-file");
        strv_push(&argv, pid_file);
        strv_push(&argv, a->cid);
        x->runtime_pid = runtime_spawn(a, argv, -1, out_w, err_w);
        if (x->runtime_pid < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "fork");
        /* Only the runtime holds the write ends now: EOF comes when it is done. */
        close(STEAL_FD(out_w));
        close(STEAL_FD(err_w));
        x->fds[0] = STEAL_FD(out_r);
        x->fds[1] = STEAL_FD(err_r);
        return 0;
}

/* Kills the exec'd process (its pid is in the pid file once the runtime started it),
 * then gives the runtime a moment to report that before killing it too. */
static void kill_at_deadline(const char *pid_file, struct exec_run *x) {
        pid_t pid = 0;
        struct cric_error *err = NULL;
        x->is_timed_out = true;
        if (read_pid_file(pid_file, &pid, &err) == 0)
                kill(pid, SIGKILL);
        else
                cric_error_freep(&err);
        long deadline = clock_mono_ms() + EXEC_KILL_GRACE_MS;
        while (clock_mono_ms() < deadline) {
                if (waitpid(x->runtime_pid, &x->status, WNOHANG) == x->runtime_pid)
                        return;
                capture_drain(&x->fds[0], &x->out[0]);
                capture_drain(&x->fds[1], &x->out[1]);
                struct timespec ts = {0, 20 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
        kill(x->runtime_pid, SIGKILL);
        while (waitpid(x->runtime_pid, &x->status, 0) < 0 && errno == EINTR)
                ;
}

/* Collects output until the runtime exits or the deadline passes. */
static void wait_exec(const struct monitor_args *a, const char *pid_file, struct exec_run *x) {
        AUTOCLOSE int pidfd = (int) syscall(SYS_pidfd_open, x->runtime_pid, 0);
        long deadline = a->timeout_s ? clock_mono_ms() + (long) a->timeout_s * 1000 : 0;
        for (;;) {
                int wait_ms = pidfd >= 0 ? -1 : 50;
                if (deadline) {
                        long left = deadline - clock_mono_ms();
                        if (left <= 0) {
                                kill_at_deadline(pid_file, x);
                                break;
                        }
                        if (wait_ms < 0 || left < wait_ms)
                                wait_ms = (int) left;
                }
                struct pollfd p[3] = {{.fd = pidfd, .events = POLLIN},
                                      {.fd = x->fds[0], .events = POLLIN},
                                      {.fd = x->fds[1], .events = POLLIN}};
                if (poll(p, 3, wait_ms) < 0 && errno != EINTR)
                        break;
                capture_drain(&x->fds[0], &x->out[0]);
                capture_drain(&x->fds[1], &x->out[1]);
                pid_t w = waitpid(x->runtime_pid, &x->status, WNOHANG);
                if (w == x->runtime_pid || (w < 0 && errno == ECHILD))
                        break;
        }
        /* What the process wrote before it ended is in the pipes; a child it left
         * behind holding them does not keep us waiting. */
        capture_drain(&x->fds[0], &x->out[0]);
        capture_drain(&x->fds[1], &x->out[1]);
}

static int write_all(int fd, const char *data, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, data, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -1;
                data += n;
                len -= (size_t) n;
        }
        return 0;
}

static int print_result(const struct exec_run *x, struct cric_error **err) {
        int code = -1;
        if (!x->is_timed_out && WIFEXITED(x->status))
                code = WEXITSTATUS(x->status);
        else if (!x->is_timed_out && WIFSIGNALED(x->status))
                code = 128 + WTERMSIG(x->status);
        AUTOFREE char *out = monitor_base64_encode(x->out[0].buf ? x->out[0].buf : "", x->out[0].len);
        AUTOFREE char *errs = monitor_base64_encode(x->out[1].buf ? x->out[1].buf : "", x->out[1].len);
        AUTOFREE char *head = xasprintf("{\"exit_code\": %d, \"stdout\": \"", code);
        const char *tail = x->is_timed_out ? "\", \"timed_out\": true}\n" : "\", \"timed_out\": false}\n";
        if (write_all(STDOUT_FILENO, head, strlen(head)) < 0 || write_all(STDOUT_FILENO, out, strlen(out)) < 0 ||
            write_all(STDOUT_FILENO, "\", \"stderr\": \"", 14) < 0 ||
            write_all(STDOUT_FILENO, errs, strlen(errs)) < 0 || write_all(STDOUT_FILENO, tail, strlen(tail)) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "write the result");
        return 0;
}

int exec_sync_run(const struct monitor_args *a, struct cric_error **err) {
        /* Processes the runtime leaves behind come to us, not to the daemon. */
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        char tmpdir[] = "/tmp/cric-exec-XXXXXX";
        AUTOFREE char *own_pid_file = NULL;
        if (!a->pid_file) {
                if (!mkdtemp(tmpdir))
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "mkdtemp %s", tmpdir);
                own_pid_file = xasprintf("%s/pid", tmpdir);
        }
        const char *pid_file = a->pid_file ? a->pid_file : own_pid_file;
        struct exec_run x = {.fds = {-1, -1},
                             .out = {{.max = MONITOR_EXEC_OUTPUT_MAX}, {.max = MONITOR_EXEC_OUTPUT_MAX}}};
        int r = start(a, pid_file, &x, err);
        if (r == 0) {
                wait_exec(a, pid_file, &x);
                r = print_result(&x, err);
        }
        for (int i = 0; i < 2; i++) {
                if (x.fds[i] >= 0)
                        close(x.fds[i]);
                free(x.out[i].buf);
        }
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
        if (own_pid_file) {
                unlink(own_pid_file);
                rmdir(tmpdir);
        }
        return r;
}
