/* Running the OCI runtime: argv, fork/exec with chosen stdio, and `create`.
 *
 * Without a terminal the runtime's stdio is the container's: it hands the fds down to
 * the container process. So before `create` returns, everything on the container's
 * stdout/stderr pipes comes from the runtime itself (the user process only runs after
 * `start`), and that is the error message we report when `create` fails. With a
 * terminal the runtime gets a pipe of its own and sends the pty master over a console
 * socket. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monitor/internal.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/reap.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define CREATE_TIMEOUT_MS (240 * 1000)
#define CREATE_OUTPUT_MAX (32 * 1024)

char **runtime_argv(const struct monitor_args *a, const char *verb) {
        char **argv = NULL;
        strv_push(&argv, a->runtime);
        for (size_t i = 0; a->runtime_args && a->runtime_args[i]; i++)
                strv_push(&argv, a->runtime_args[i]);
        if (a->runtime_root) {
                strv_push(&argv, "--root");
                strv_push(&argv, a->runtime_root);
        }
        strv_push(&argv, verb);
        return argv;
}

/* The child's half of runtime_spawn, a vfork child: async-signal-safe calls only, and
 * nothing written that the parent reads. exe_fd >= 0: run the sealed copy behind it, by
 * execveat (Linux 6.14+ then names the process after the copy, "memfd:crun", instead of
 * after the descriptor's number) or else through exe_path, its /proc path (resolved
 * before close-on-exec). */
static void __attribute__((noreturn)) exec_child(int exe_fd, const char *exe_path, char *const *argv, int fds[3]) {
        for (int i = 0; i < 3; i++)
                if (fds[i] < 3 && fds[i] != i)
                        fds[i] = fcntl(fds[i], F_DUPFD, 3);
        for (int i = 0; i < 3; i++) {
                if (fds[i] < 0 || dup2(fds[i], i) < 0)
                        _exit(127);
                if (fds[i] == i) /* dup2 onto itself keeps close-on-exec */
                        fcntl(i, F_SETFD, 0);
        }
        sigset_t none;
        sigemptyset(&none);
        for (int sig = 1; sig < NSIG; sig++)
                signal(sig, SIG_DFL);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (exe_fd >= 0) {
                syscall(SYS_execveat, exe_fd, "", argv, environ, AT_EMPTY_PATH);
                execv(exe_path, argv);
        } else {
                execvp(argv[0], argv);
        }
        _exit(127);
}

pid_t runtime_spawn(const struct monitor_args *a, char *const *argv, int in_fd, int out_fd, int err_fd) {
        AUTOCLOSE int devnull = -1;
        if (in_fd < 0 || out_fd < 0 || err_fd < 0) {
                devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (devnull < 0)
                        return -1;
        }
        int fds[3] = {in_fd < 0 ? devnull : in_fd, out_fd < 0 ? devnull : out_fd, err_fd < 0 ? devnull : err_fd};
        if (log_enabled(LOG_LEVEL_DEBUG)) {
                char line[1024] = "";
                size_t n = 0;
                for (size_t i = 0; argv[i] && n < sizeof(line); i++)
                        n += (size_t) snprintf(line + n, sizeof(line) - n, "%s%s", i ? " " : "", argv[i]);
                log_debug("running %s%s", line, a->runtime_fd >= 0 ? " (from its sealed copy)" : "");
        }
        char exe[32];
        snprintf(exe, sizeof(exe), "/proc/self/fd/%d", a->runtime_fd);
        /* vfork: the child runs at once, on this CPU, with no page tables to copy; the
         * monitor waits the few syscalls until its exec. */
        pid_t pid = vfork();
        if (pid == 0)
                exec_child(a->runtime_fd, exe, argv, fds);
        return pid;
}

int read_pid_file(const char *path, pid_t *ret, struct cric_error **err) {
        AUTOFREE char *data = NULL;
        if (fs_read_file(path, 64, &data, NULL, err) < 0)
                return -1;
        char *end = NULL;
        errno = 0;
        long v = strtol(data, &end, 10);
        while (end && (*end == '\n' || *end == ' '))
                end++;
        if (errno || end == data || *end || v <= 0 || v > 0x3fffffff)
                return cric_error_set(err, CRIC_E_INTERNAL, "pid file %s: bad content \"%s\"", path, data);
        *ret = (pid_t) v;
        return 0;
}

static void close_fds(int *fds, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0) {
                        close(fds[i]);
                        fds[i] = -1;
                }
}

/* Output of the runtime while it runs `create`, kept for the error message. */
struct collect {
        char buf[CREATE_OUTPUT_MAX];
        size_t len;
};

static void collect_from(struct collect *c, int *fd) {
        for (;;) {
                char tmp[4096];
                ssize_t n = read(*fd, tmp, sizeof(tmp));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        if (n == 0 || errno != EAGAIN)
                                *fd = -1; /* EOF: stop polling it (the caller still owns it) */
                        return;
                }
                size_t take = (size_t) n;
                if (take > sizeof(c->buf) - 1 - c->len)
                        take = sizeof(c->buf) - 1 - c->len;
                memcpy(c->buf + c->len, tmp, take);
                c->len += take;
        }
}

/* Waits for the runtime to exit while reading its output from fds (non-blocking, at
 * most 3). A pidfd wakes us at its exit; without one we look every 50 ms. */
static int wait_runtime(pid_t pid, const int *fds, size_t n_fds, struct collect *c, int *ret_status) {
        AUTOCLOSE int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        int watch[3] = {-1, -1, -1};
        for (size_t i = 0; i < n_fds && i < 3; i++)
                watch[i] = fds[i];
        long deadline = clock_mono_ms() + CREATE_TIMEOUT_MS;
        for (;;) {
                struct pollfd p[4] = {{.fd = pidfd, .events = POLLIN}};
                for (size_t i = 0; i < 3; i++)
                        p[i + 1] = (struct pollfd){.fd = watch[i], .events = POLLIN};
                if (poll(p, 4, pidfd >= 0 ? 1000 : 50) < 0 && errno != EINTR)
                        break;
                for (size_t i = 0; i < 3; i++)
                        if (watch[i] >= 0 && p[i + 1].revents)
                                collect_from(c, &watch[i]);
                int status;
                pid_t w = waitpid(pid, &status, WNOHANG);
                if (w == pid) {
                        for (size_t i = 0; i < 3; i++)
                                if (watch[i] >= 0)
                                        collect_from(c, &watch[i]);
                        *ret_status = status;
                        return 0;
                }
                if (w < 0 && errno != EINTR)
                        break;
                if (clock_mono_ms() >= deadline) {
                        log_warn("runtime create still running after %d s, killing it", CREATE_TIMEOUT_MS / 1000);
                        break;
                }
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
}

static int create_failed(struct collect *c, int status, struct cric_error **err) {
        while (c->len > 0 && (c->buf[c->len - 1] == '\n' || c->buf[c->len - 1] == ' '))
                c->len--;
        c->buf[c->len] = '\0';
        if (c->len > 0)
                return cric_error_set(err, CRIC_E_INTERNAL, "%s", c->buf);
        char how[64];
        return cric_error_set(err, CRIC_E_INTERNAL, "runtime create %s", exit_text(status, how, sizeof(how)));
}

/* The console socket the runtime sends the pty master to (--console-socket). */
struct console {
        int listen_fd;
        char path[sizeof(((struct sockaddr_un *) 0)->sun_path)];
        char tmpdir[32]; /* non-empty when the socket dir's path was too long */
};

static int console_listen(struct console *c, const struct monitor_args *a, struct cric_error **err) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int n = snprintf(c->path, sizeof(c->path), "%s/%s/console.sock", a->socket_dir, a->cid);
        if (n < 0 || (size_t) n >= sizeof(c->path)) {
                /* The runtime needs a path that fits in sun_path. */
                snprintf(c->tmpdir, sizeof(c->tmpdir), "/tmp/cric-console-XXXXXX");
                if (!mkdtemp(c->tmpdir)) {
                        c->tmpdir[0] = '\0';
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "mkdtemp for the console socket");
                }
                snprintf(c->path, sizeof(c->path), "%s/console.sock", c->tmpdir);
        }
        memcpy(sa.sun_path, c->path, sizeof(sa.sun_path));
        unlink(c->path);
        c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->listen_fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "console socket");
        if (bind(c->listen_fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(c->listen_fd, 1) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "bind console socket %s", c->path);
        return 0;
}

/* Takes the pty master out of the connection the runtime left queued before it exited. */
static int console_receive(struct console *c, int *ret_master, struct cric_error **err) {
        AUTOCLOSE int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "the runtime sent no terminal");
        char data[256];
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control;
        struct iovec iov = {data, sizeof(data)};
        struct msghdr msg = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf)};
        ssize_t n;
        do
                n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "receive the terminal");
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
                if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
                    cm->cmsg_len == CMSG_LEN(sizeof(int))) {
                        memcpy(ret_master, CMSG_DATA(cm), sizeof(int));
                        return 0;
                }
        }
        return cric_error_set(err, CRIC_E_INTERNAL, "the runtime sent no terminal fd");
}

static void console_close(struct console *c) {
        if (c->listen_fd >= 0) {
                close(c->listen_fd);
                unlink(c->path);
        }
        c->listen_fd = -1;
        if (c->tmpdir[0])
                rmdir(c->tmpdir);
        c->tmpdir[0] = '\0';
}

/* Pipes of `create`: [0] stays with us, [1] goes to the runtime (in: the other way). */
struct create_fds {
        int out[2], err[2], in[2];
        struct console con;
};

static int set_nonblock(int fd) {
        int fl = fcntl(fd, F_GETFL);
        return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int open_stdio(const struct monitor_args *a, struct create_fds *f, struct cric_error **err) {
        if (pipe2(f->out, O_CLOEXEC) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "pipe");
        set_nonblock(f->out[0]);
        if (a->is_terminal)
                return console_listen(&f->con, a, err);
        if (pipe2(f->err, O_CLOEXEC) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "pipe");
        set_nonblock(f->err[0]);
        if (a->has_stdin) {
                if (pipe2(f->in, O_CLOEXEC) < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "pipe");
                /* swap so that [0] (ours) is the write end */
                int t = f->in[0];
                f->in[0] = f->in[1];
                f->in[1] = t;
                set_nonblock(f->in[0]);
        }
        return 0;
}

static int run_create(const struct monitor_args *a, struct create_fds *f, struct cric_error **err) {
        CLEANUP(strv_freep) char **argv = runtime_argv(a, "create");
        strv_push(&argv, "--bundle");
        strv_push(&argv, a->bundle);
        strv_push(&argv, "--pid-file");
        strv_push(&argv, a->pid_file);
        if (a->is_terminal) {
                strv_push(&argv, "--console-socket");
                strv_push(&argv, f->con.path);
        }
        strv_push(&argv, a->cid);
        pid_t pid = runtime_spawn(a, argv, f->in[1], f->out[1], a->is_terminal ? f->out[1] : f->err[1]);
        if (pid < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "fork");
        int child_ends[] = {f->out[1], f->err[1], f->in[1]};
        close_fds(child_ends, 3);
        f->out[1] = f->err[1] = f->in[1] = -1;
        AUTOFREE struct collect *c = xmalloc(sizeof(*c));
        c->len = 0;
        int fds[] = {f->out[0], f->err[0]};
        int status = 0;
        if (wait_runtime(pid, fds, a->is_terminal ? 1 : 2, c, &status) < 0)
                return cric_error_set(err, CRIC_E_TIMEOUT, "runtime create did not finish");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return create_failed(c, status, err);
        if (c->len > 0)
                log_debug("runtime create said: %.*s", (int) c->len, c->buf);
        return 0;
}

static int take_io(const struct monitor_args *a, struct create_fds *f, struct container_io *ret,
                   struct cric_error **err) {
        if (!a->is_terminal) {
                *ret = (struct container_io){.out_fd = f->out[0], .err_fd = f->err[0], .in_fd = f->in[0]};
                f->out[0] = f->err[0] = f->in[0] = -1;
                return 0;
        }
        AUTOCLOSE int master = -1;
        if (console_receive(&f->con, &master, err) < 0)
                return -1;
        set_nonblock(master);
        int in = -1;
        if (a->has_stdin && (in = fcntl(master, F_DUPFD_CLOEXEC, 3)) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "dup");
        *ret = (struct container_io){.out_fd = STEAL_FD(master), .err_fd = -1, .in_fd = in};
        return 0;
}

int runtime_create(const struct monitor_args *a, pid_t *ret_pid, struct container_io *ret_io, struct cric_error **err) {
        struct create_fds f = {{-1, -1}, {-1, -1}, {-1, -1}, {.listen_fd = -1}};
        pid_t pid = 0;
        int r = open_stdio(a, &f, err);
        if (r == 0)
                r = run_create(a, &f, err);
        if (r == 0)
                r = read_pid_file(a->pid_file, &pid, err);
        if (r == 0)
                r = take_io(a, &f, ret_io, err);
        int all[] = {f.out[0], f.out[1], f.err[0], f.err[1], f.in[0], f.in[1]};
        close_fds(all, 6);
        console_close(&f.con);
        if (r < 0)
                return -1;
        *ret_pid = pid;
        return 0;
}
