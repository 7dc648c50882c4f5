#include "util/clock.h"
#include "util/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "util/reap.h"
#include "util/xalloc.h"

extern char **environ;

struct capture {
        char *buf;
        size_t len, cap, max;
};

static void capture_add(struct capture *c, const char *data, size_t n) {
        if (c->len + n > c->max)
                n = c->max > c->len ? c->max - c->len : 0;
        c->buf = xgrow(c->buf, &c->cap, c->len + n + 1, 1);
        memcpy(c->buf + c->len, data, n);
        c->len += n;
        c->buf[c->len] = '\0';
}

/* Feeds stdin (then closes *in_fd) and collects stdout/stderr until both close. 0 when
 * they did, -1 with errno ETIMEDOUT at the deadline or the errno of a failed poll. */
static int pump(int *in_fd, const char *in, size_t in_len, int out_fd, int err_fd, struct capture *out,
                struct capture *errc, long deadline) {
        size_t in_off = 0;
        if (*in_fd >= 0 && in_len == 0)
                close(STEAL_FD(*in_fd));
        struct pollfd p[3] = {
                {.fd = out_fd, .events = POLLIN}, {.fd = err_fd, .events = POLLIN}, {.fd = *in_fd, .events = POLLOUT}};
        while (p[0].fd >= 0 || p[1].fd >= 0) {
                int wait = deadline ? (int) (deadline - clock_mono_ms()) : -1;
                if (deadline && wait <= 0) {
                        errno = ETIMEDOUT;
                        return -1;
                }
                if (poll(p, 3, wait) < 0) {
                        if (errno == EINTR)
                                continue;
                        return -1;
                }
                for (int i = 0; i < 2; i++) {
                        if (p[i].fd < 0 || !p[i].revents)
                                continue;
                        char buf[8192];
                        ssize_t n = read(p[i].fd, buf, sizeof(buf));
                        if (n > 0)
                                capture_add(i == 0 ? out : errc, buf, (size_t) n);
                        else if (n == 0 || errno != EINTR)
                                p[i].fd = -1;
                }
                if (p[2].fd >= 0 && p[2].revents) {
                        /* Non-blocking: a child that writes before it reads must not stall
                         * us. POLLERR: it closed its end, and a write would only fail. */
                        bool is_done = p[2].revents & POLLERR;
                        if (!is_done) {
                                ssize_t n = write(p[2].fd, in + in_off, in_len - in_off);
                                if (n > 0)
                                        in_off += (size_t) n;
                                is_done = (n < 0 && errno != EAGAIN && errno != EINTR) || in_off == in_len;
                        }
                        if (is_done) {
                                close(STEAL_FD(*in_fd)); /* EOF for the child, or it stopped reading */
                                p[2].fd = -1;
                        }
                }
        }
        return 0;
}

static char *argv_string(char *const *argv) {
        char *s = xstrdup(argv[0]);
        for (size_t i = 1; argv[i]; i++) {
                char *n = xasprintf("%s %s", s, argv[i]);
                free(s);
                s = n;
        }
        return s;
}

/* Starts argv with stdin (/dev/null when in is -1), stdout and stderr (this process's
 * when -1) and returns its pid, or -1 with the posix_spawn error in *ret_errno. */
static pid_t start(char *const *argv, const struct spawn_opts *opts, int in, int out, int errw, int *ret_errno) {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        if (in >= 0)
                posix_spawn_file_actions_adddup2(&fa, in, 0);
        else
                posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        if (out >= 0)
                posix_spawn_file_actions_adddup2(&fa, out, 1);
        if (errw >= 0)
                posix_spawn_file_actions_adddup2(&fa, errw, 2);
        if (opts->pass_fd > 2)
                posix_spawn_file_actions_adddup2(&fa, opts->pass_fd, 3);
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        sigset_t none;
        sigemptyset(&none);
        posix_spawnattr_setsigmask(&attr, &none); /* the daemon blocks signals; the child must not */
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        sigset_t all;
        sigfillset(&all);
        posix_spawnattr_setsigdefault(&attr, &all);
        pid_t pid;
        char *const *env = opts->env ? opts->env : environ;
        int r = opts->exec_path ? posix_spawn(&pid, opts->exec_path, &fa, &attr, argv, env)
                                : posix_spawnp(&pid, argv[0], &fa, &attr, argv, env);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        *ret_errno = r;
        return r == 0 ? pid : -1;
}

/* Starts argv and waits. 0 with the exit status in *ret_status (-1 and the signal in
 * *ret_signal when killed) and the captured output; -1 when it could not start or timed
 * out. Every fd it opens is closed and the child reaped on every path. */
static int run_wait(char *const *argv, const struct spawn_opts *opts, const char *cmd, int *ret_status, int *ret_signal,
                    char **ret_out, char **ret_err, struct cric_error **err) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "pipe");
        AUTOCLOSE int out_r = p[0], out_w = p[1];
        if (pipe2(p, O_CLOEXEC) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "pipe");
        AUTOCLOSE int err_r = p[0], err_w = p[1];
        AUTOCLOSE int in_r = -1, in_w = -1;
        if (opts->stdin_data) {
                if (pipe2(p, O_CLOEXEC) < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "pipe");
                in_r = p[0];
                in_w = p[1];
                if (fcntl(in_w, F_SETFL, O_NONBLOCK) < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "pipe");
        }
        int e = 0;
        AUTOKILL pid_t pid = start(argv, opts, in_r, out_w, err_w, &e);
        if (pid < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, e, "run %s", argv[0]);
        /* Only the child holds the write ends now: EOF comes when it is done. */
        close(STEAL_FD(out_w));
        close(STEAL_FD(err_w));
        close(STEAL_FD(in_r));
        size_t max = opts->max_output ? opts->max_output : 1 << 20;
        struct capture o = {.max = max}, c = {.max = max};
        long deadline = opts->timeout_ms ? clock_mono_ms() + opts->timeout_ms : 0;
        int r = pump(&in_w, opts->stdin_data, opts->stdin_len, out_r, err_r, &o, &c, deadline);
        e = errno;
        AUTOFREE char *obuf = o.buf;
        AUTOFREE char *ebuf = c.buf;
        if (r < 0 && e == ETIMEDOUT)
                return cric_error_set(err, CRIC_E_TIMEOUT, "%s: timed out after %u ms", cmd, opts->timeout_ms);
        if (r < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, e, "%s: wait for its output", cmd);
        int status = 0;
        if (reap_child(pid, &status) < 0 && errno != ECHILD) /* ECHILD: SIGCHLD ignored, the output is all we have */
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "%s: wait", cmd);
        pid = -1; /* reaped */
        size_t el = ebuf ? strlen(ebuf) : 0;
        while (el > 0 && (ebuf[el - 1] == '\n' || ebuf[el - 1] == ' '))
                ebuf[--el] = '\0';
        *ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        *ret_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        *ret_out = obuf ? STEAL_PTR(obuf) : xstrdup("");
        *ret_err = ebuf ? STEAL_PTR(ebuf) : xstrdup("");
        return 0;
}

pid_t spawn_start(char *const *argv, const struct spawn_opts *opts, struct cric_error **err) {
        int e = 0;
        pid_t pid = start(argv, opts, -1, STDERR_FILENO, -1, &e);
        if (pid < 0) {
                AUTOFREE char *cmd = argv_string(argv);
                return cric_error_errno(err, CRIC_E_INTERNAL, e, "start %s", cmd);
        }
        return pid;
}

int spawn_run_status(char *const *argv, const struct spawn_opts *opts, char **ret_stdout, char **ret_stderr,
                     struct cric_error **err) {
        static const struct spawn_opts defaults = {0};
        if (!opts)
                opts = &defaults;
        AUTOFREE char *cmd = argv_string(argv);
        log_debug("spawn: %s", cmd);
        int status = 0, sig = 0;
        AUTOFREE char *out = NULL;
        AUTOFREE char *errs = NULL;
        if (run_wait(argv, opts, cmd, &status, &sig, &out, &errs, err) < 0)
                return -1;
        if (sig)
                return cric_error_set(err, CRIC_E_INTERNAL, "%s: killed by signal %d%s%s", cmd, sig, *errs ? ": " : "",
                                      errs);
        if (ret_stdout)
                *ret_stdout = STEAL_PTR(out);
        if (ret_stderr)
                *ret_stderr = STEAL_PTR(errs);
        return status;
}

int spawn_run(char *const *argv, const struct spawn_opts *opts, char **ret_stdout, struct cric_error **err) {
        AUTOFREE char *out = NULL;
        AUTOFREE char *errs = NULL;
        int status = spawn_run_status(argv, opts, &out, &errs, err);
        if (status < 0)
                return -1;
        if (status != 0) {
                AUTOFREE char *cmd = argv_string(argv);
                return cric_error_set(err, CRIC_E_INTERNAL, "%s: exit status %d%s%s", cmd, status, *errs ? ": " : "",
                                      errs);
        }
        if (ret_stdout)
                *ret_stdout = STEAL_PTR(out);
        return 0;
}
