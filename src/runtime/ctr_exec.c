/* Streaming exec: `<runtime> exec --detach`, its stdio on pipes or on a terminal the
 * runtime hands over through a console socket (runc takes a console socket only when
 * detached). The runtime returns once the process runs, or fails with its message in a
 * log file (--log) when the command cannot start; the process, orphaned, is then our
 * child (cricd is a child subreaper): we wait for it ourselves, and no runtime process
 * stays behind for the session's life. */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/internal.h"
#include "util/cleanup.h"
#include "util/fdpass.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/sealed_exe.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define CONSOLE_WAIT_MS 30000
#define RUNTIME_WAIT_MS 60000

extern char **environ;

static void close_fd(int *fd) {
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

/* A listening socket NAME inside dir, bound through /proc/self/fd so that a long dir
 * still fits sun_path. */
static int console_listen(int dirfd, const char *name, struct cric_error **err) {
        AUTOCLOSE int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "console socket");
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dirfd, name);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "console socket %s", name);
        return STEAL_FD(fd);
}

/* Receives the terminal master the runtime sends over the console socket. */
static int console_receive(int listener, int pidfd, struct cric_error **err) {
        struct pollfd p[2] = {{.fd = listener, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
        int r = poll(p, 2, CONSOLE_WAIT_MS);
        if (r <= 0 || !(p[0].revents & POLLIN))
                return cric_error_set(err, CRIC_E_INTERNAL, "the OCI runtime %s no terminal",
                                      r == 0 ? "sent" : "exited and sent");
        AUTOCLOSE int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (conn < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "console socket: accept");
        int fd = fdpass_recv(conn, 0);
        if (fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "console socket: no terminal received");
        return fd;
}

static char **exec_argv(const struct container *c, const struct cric_config *cfg, const struct runtime_exec *e,
                        const char *process, const char *console) {
        char **argv = NULL;
        strv_push(&argv, c->info.runtime_path);
        for (char *const *a = runtime_global_args(cfg); a && *a; a++)
                strv_push(&argv, *a);
        if (*c->info.runtime_root) {
                strv_push(&argv, "--root");
                strv_push(&argv, c->info.runtime_root);
        }
        strv_push(&argv, "--log");
        strv_push(&argv, e->log_file);
        strv_push(&argv, "--log-format");
        strv_push(&argv, "json");
        strv_push(&argv, "exec");
        strv_push(&argv, "--detach");
        strv_push(&argv, "--pid-file");
        strv_push(&argv, e->pid_file);
        strv_push(&argv, "--process");
        strv_push(&argv, process);
        if (console) {
                strv_push(&argv, "--tty");
                strv_push(&argv, "--console-socket");
                strv_push(&argv, console);
        }
        strv_push(&argv, c->info.id);
        return argv;
}

/* Pipes for the streams asked for: ours in e, the child's ends in child[3]. */
static int make_pipes(const struct runtime_exec_io *io, struct runtime_exec *e, int child[3], struct cric_error **err) {
        int p[2];
        if (io->has_stdin && !io->tty) {
                if (pipe2(p, O_CLOEXEC) < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "pipe");
                child[0] = p[0];
                e->stdin_fd = p[1];
        }
        if (io->has_stdout && !io->tty) {
                if (pipe2(p, O_CLOEXEC) < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "pipe");
                e->stdout_fd = p[0];
                child[1] = p[1];
        }
        if (io->has_stderr && !io->tty) {
                if (pipe2(p, O_CLOEXEC) < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "pipe");
                e->stderr_fd = p[0];
                child[2] = p[1];
        }
        return 0;
}

/* Starts the runtime; *comm is what its processes are named (after the file run: the
 * sealed copy's descriptor number when run from it). */
static int spawn_runtime(char **argv, int cwd_fd, const int child[3], pid_t *ret, char comm[16],
                         struct cric_error **err) {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        for (int i = 0; i < 3; i++) {
                if (child[i] >= 0)
                        posix_spawn_file_actions_adddup2(&fa, child[i], i);
                else
                        posix_spawn_file_actions_addopen(&fa, i, "/dev/null", i ? O_WRONLY : O_RDONLY, 0);
        }
        posix_spawn_file_actions_addfchdir_np(&fa, cwd_fd);
        posix_spawnattr_t at;
        posix_spawnattr_init(&at);
        sigset_t none, all;
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_setsigmask(&at, &none);
        posix_spawnattr_setsigdefault(&at, &all);
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        /* from the sealed copy: the runtime then skips copying itself (util/sealed_exe.h) */
        char exe[32];
        AUTOCLOSE int exe_fd = sealed_exe_try(argv[0]);
        const char *path = exe_fd >= 0 ? sealed_exe_path(exe_fd, exe, sizeof(exe)) : argv[0];
        const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
        size_t n = strnlen(name, 15); /* the kernel's comm: 15 bytes at most */
        memcpy(comm, name, n);
        comm[n] = '\0';
        int r = posix_spawn(ret, path, &fa, &at, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&at);
        if (r != 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, r, "cannot run %s", argv[0]);
        return 0;
}

static struct runtime_exec *exec_new(const char *dir) {
        struct runtime_exec *e = xzalloc(sizeof(*e));
        e->pid = -1;
        e->pidfd = e->stdin_fd = e->stdout_fd = e->stderr_fd = -1;
        char rnd[65];
        runtime_new_id(rnd);
        rnd[12] = 0;
        e->pid_file = xasprintf("%s/exec-%s.pid", dir, rnd);
        e->log_file = xasprintf("%s/exec-%s.log", dir, rnd);
        e->console_name = xasprintf("exec-%s.sock", rnd);
        e->dir = xstrdup(dir);
        return e;
}

static pid_t read_pid(const char *pid_file);
static char *runtime_message(const char *log_file);

/* How the runtime's processes are named: comm, the file it ran from (exactly), or a name
 * starting with the runtime's own (runc's child renames itself "runc:[2:INIT]"). */
struct runtime_names {
        const char *base, *comm;
};

/* Whether pid is a zombie child of ours, inside a PID namespace below ours (NSpid has
 * more than one number), named like the runtime. */
static bool is_orphan_of_exec(const char *pid, const struct runtime_names *name) {
        AUTOFREE char *path = xasprintf("/proc/%s/status", pid), *text = NULL;
        if (fs_read_file_optional(path, 16 * 1024, &text, NULL) <= 0 || !text)
                return false;
        char comm[64] = "", state = 0, nspid[128] = "";
        long ppid = 0;
        const char *l;
        if ((l = strstr(text, "Name:\t")))
                sscanf(l, "Name:\t%63s", comm);
        if ((l = strstr(text, "State:\t")))
                sscanf(l, "State:\t%c", &state);
        if ((l = strstr(text, "PPid:\t")))
                sscanf(l, "PPid:\t%ld", &ppid);
        if ((l = strstr(text, "NSpid:\t")))
                sscanf(l, "NSpid:\t%127[^\n]", nspid);
        return state == 'Z' && ppid == (long) getpid() && strchr(nspid, '\t') &&
               (strcmp(comm, name->comm) == 0 || strncmp(comm, name->base, strlen(name->base)) == 0);
}

/* A runtime that failed to exec may leave its child, the would-be process, orphaned
 * inside the container (our child: cricd is a subreaper). Reaped here, or the container's
 * PID namespace keeps a zombie that stops its init from ever exiting. Waits a little for
 * it, as it exits right after the runtime has read its error. */
static void reap_exec_orphans(const struct runtime_names *name) {
        for (int round = 0; round < 20; round++) {
                bool found = false;
                AUTOCLOSEDIR DIR *d = opendir("/proc");
                struct dirent *de;
                while (d && (de = readdir(d)))
                        if (de->d_name[0] >= '1' && de->d_name[0] <= '9' && is_orphan_of_exec(de->d_name, name)) {
                                pid_t p = (pid_t) strtol(de->d_name, NULL, 10);
                                found = waitpid(p, NULL, WNOHANG) == p || found;
                        }
                if (found)
                        return;
                poll(NULL, 0, 10);
        }
}

static int runtime_wait(pid_t pid, int pidfd, const struct runtime_exec *e, const struct runtime_names *names,
                        struct cric_error **err) {
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        if (poll(&p, 1, RUNTIME_WAIT_MS) <= 0)
                kill(pid, SIGKILL);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        reap_exec_orphans(names);
        AUTOFREE char *msg = runtime_message(e->log_file);
        return cric_error_set(err, CRIC_E_INTERNAL, "%s", msg); /* the caller names the container */
}

/* The runtime, started: with a terminal, its master arrives before the runtime returns. */
static int run_runtime(char **argv, int dirfd, const int child[3], int listener, struct runtime_exec *e,
                       struct cric_error **err) {
        pid_t pid;
        char comm[16];
        if (spawn_runtime(argv, dirfd, child, &pid, comm, err) < 0)
                return -1;
        AUTOCLOSE int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0) {
                int r = cric_error_errno(err, CRIC_E_INTERNAL, errno, "pidfd_open");
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return r;
        }
        struct cric_error *console_err = NULL;
        int tty = listener >= 0 ? console_receive(listener, pidfd, &console_err) : -1;
        const char *slash = strrchr(argv[0], '/');
        struct runtime_names names = {.base = slash ? slash + 1 : argv[0], .comm = comm};
        if (runtime_wait(pid, pidfd, e, &names, err) < 0) { /* the runtime's own message says more */
                cric_error_free(console_err);
                if (tty >= 0)
                        close(tty);
                return -1;
        }
        if (listener >= 0 && tty < 0)
                return cric_error_move(err, &console_err);
        e->stdout_fd = tty >= 0 ? tty : e->stdout_fd;
        return 0;
}

static int exec_spawn(struct runtime *rt, const struct container *c, const struct runtime_exec_io *io,
                      const char *process, struct runtime_exec *e, struct cric_error **err) {
        CLEANUP(config_unrefp) struct cric_config *cfg = runtime_config(rt);
        int child[3] = {-1, -1, -1};
        AUTOCLOSE int dirfd = open(e->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        AUTOCLOSE int listener = -1;
        if (dirfd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open %s", e->dir);
        if (io->tty && (listener = console_listen(dirfd, e->console_name, err)) < 0)
                return -1;
        int r = make_pipes(io, e, child, err);
        CLEANUP(strv_freep) char **argv = exec_argv(c, cfg, e, process, io->tty ? e->console_name : NULL);
        if (r == 0)
                r = run_runtime(argv, dirfd, child, listener, e, err);
        for (int i = 0; i < 3; i++)
                if (child[i] >= 0)
                        close(child[i]);
        if (r < 0)
                return -1;
        e->pid = read_pid(e->pid_file);
        e->pidfd = e->pid > 0 ? (int) syscall(SYS_pidfd_open, e->pid, 0) : -1;
        if (e->pidfd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, e->pid > 0 ? errno : ENOENT,
                                        "the exec'd process (pid file %s)", e->pid_file);
        if (io->tty) {
                e->stdin_fd = io->has_stdin ? fcntl(e->stdout_fd, F_DUPFD_CLOEXEC, 3) : -1;
                e->is_tty = true;
        }
        return 0;
}

/* The process started by enter_spawn instead of the runtime (ctr_enter.c). */
static int exec_enter(struct runtime *rt, const struct container *c, const struct enter_plan *p, char *const *argv,
                      const struct runtime_exec_io *io, struct runtime_exec *e, struct cric_error **err) {
        int child[3] = {-1, -1, -1};
        struct enter_proc proc;
        int r = make_pipes(io, e, child, err);
        if (r == 0)
                r = ctr_enter(rt, c, p, argv, io->tty, child, &proc, err);
        for (int i = 0; i < 3; i++)
                if (child[i] >= 0)
                        close(child[i]);
        if (r < 0)
                return -1;
        e->pid = proc.pid;
        e->pidfd = proc.pidfd;
        if (io->tty) {
                e->stdout_fd = proc.tty_master;
                e->stdin_fd = io->has_stdin ? fcntl(proc.tty_master, F_DUPFD_CLOEXEC, 3) : -1;
                e->is_tty = true;
        }
        return 0;
}

void runtime_exec_expect(struct runtime *rt) {
        cgroup_prewarm_kick(rt->prewarm);
}

int runtime_exec_start(struct runtime *rt, const char *id, char *const *argv, const struct runtime_exec_io *io,
                       struct runtime_exec **ret, struct cric_error **err) {
        CLEANUP(ctr_unrefp) struct container *c = ctr_get_in_state(rt, id, 1u << CONTAINER_RUNNING, "exec", err);
        if (!c)
                return -1;
        if (!argv || !argv[0])
                return cric_error_set(err, CRIC_E_INVALID, "exec in container %s: no command given", c->info.id);
        cgroup_prewarm_kick(rt->prewarm);
        AUTOFREE char *dir = ctr_dir(rt, c->info.id), *process = NULL;
        const struct enter_plan *plan = ctr_enter_plan(rt, c);
        if (plan) {
                struct runtime_exec *e = exec_new(dir);
                if (exec_enter(rt, c, plan, argv, io, e, err) < 0) {
                        runtime_exec_free(e);
                        return cric_error_prefix(err, "exec in container %s", c->info.id);
                }
                *ret = e;
                return 0;
        }
        if (ctr_write_process(rt, c, argv, io->tty, &process, err) < 0)
                return cric_error_prefix(err, "exec in container %s", c->info.id);
        struct runtime_exec *e = exec_new(dir);
        e->process_file = STEAL_PTR(process);
        if (exec_spawn(rt, c, io, e->process_file, e, err) < 0) {
                runtime_exec_free(e);
                return cric_error_prefix(err, "exec in container %s", c->info.id);
        }
        *ret = e;
        return 0;
}

/* The first message the runtime logged (--log-format json: one object per line, its
 * "msg"), or the first line of whatever else is there. */
static char *runtime_message(const char *log_file) {
        AUTOFREE char *text = NULL;
        if (fs_read_file_optional(log_file, 64 * 1024, &text, NULL) <= 0 || !text || !*text)
                return xstrdup("the OCI runtime failed and said nothing");
        text[strcspn(text, "\n")] = '\0';
        struct json_tokener *tok = json_tokener_new();
        struct json_object *o = json_tokener_parse_ex(tok, text, (int) strlen(text)), *msg = NULL;
        json_tokener_free(tok);
        char *ret = xstrdup(o && json_object_object_get_ex(o, "msg", &msg) ? json_object_get_string(msg) : text);
        json_object_put(o);
        return ret;
}

static pid_t read_pid(const char *pid_file) {
        AUTOFREE char *text = NULL;
        if (fs_read_file_optional(pid_file, 64, &text, NULL) <= 0 || !text)
                return 0;
        long pid = strtol(text, NULL, 10);
        return pid > 0 ? (pid_t) pid : 0;
}

int runtime_exec_wait(struct runtime_exec *e, int *ret_exit_code, struct cric_error **err) {
        if (!e->is_reaped) {
                int status = 0;
                pid_t r;
                while ((r = waitpid(e->pid, &status, 0)) < 0 && errno == EINTR)
                        ;
                if (r < 0) /* not our child: cricd is no subreaper */
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "exit status of pid %d", (int) e->pid);
                e->is_reaped = true;
                e->status = status;
        }
        if (WIFEXITED(e->status))
                *ret_exit_code = WEXITSTATUS(e->status);
        else
                *ret_exit_code = 128 + WTERMSIG(e->status);
        return 0;
}

void runtime_exec_kill(struct runtime_exec *e) {
        if (e->pid > 0 && !e->is_reaped)
                kill(e->pid, SIGKILL);
}

int runtime_exec_resize(struct runtime_exec *e, unsigned rows, unsigned cols) {
        if (!e->is_tty || e->stdout_fd < 0)
                return 0;
        struct winsize ws = {.ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols};
        return ioctl(e->stdout_fd, TIOCSWINSZ, &ws);
}

struct runtime_exec *runtime_exec_free(struct runtime_exec *e) {
        if (!e)
                return NULL;
        if (e->pid > 0 && !e->is_reaped) {
                runtime_exec_kill(e);
                while (waitpid(e->pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        close_fd(&e->pidfd);
        close_fd(&e->stdin_fd);
        close_fd(&e->stdout_fd);
        close_fd(&e->stderr_fd);
        if (e->process_file)
                unlink(e->process_file);
        unlink(e->pid_file);
        unlink(e->log_file);
        AUTOFREE char *sock = xasprintf("%s/%s", e->dir, e->console_name);
        unlink(sock);
        free(e->process_file);
        free(e->pid_file);
        free(e->log_file);
        free(e->console_name);
        free(e->dir);
        free(e);
        return NULL;
}

void runtime_exec_freep(struct runtime_exec **e) {
        *e = runtime_exec_free(*e);
}

int runtime_container_attach(struct runtime *rt, const char *id, int *ret_fd, struct cric_error **err) {
        CLEANUP(ctr_unrefp) struct container *c = ctr_get_in_state(rt, id, 1u << CONTAINER_RUNNING, "attach", err);
        if (!c)
                return -1;
        if (monitor_attach_connect(rt->sockets_dir, c->info.id, ret_fd, err) < 0)
                return cric_error_prefix(err, "attach to container %s", c->info.id);
        return 0;
}

int runtime_container_resize(struct runtime *rt, const char *id, unsigned rows, unsigned cols,
                             struct cric_error **err) {
        CLEANUP(ctr_unrefp) struct container *c = ctr_get_in_state(rt, id, 1u << CONTAINER_RUNNING, "resize", err);
        if (!c)
                return -1;
        if (!c->info.tty)
                return 0;
        return monitor_resize(rt->sockets_dir, c->info.id, rows, cols, err);
}

int runtime_pod_netns(struct runtime *rt, const char *id, char **ret_path, struct cric_error **err) {
        CLEANUP(pod_unrefp) struct pod *p = pod_get(rt, id, err);
        if (!p)
                return -1;
        pthread_mutex_lock(&rt->lock);
        bool ready = p->state == POD_READY;
        pthread_mutex_unlock(&rt->lock);
        if (!ready)
                return cric_error_set(err, CRIC_E_PRECONDITION, "port-forward: pod %s is not ready", p->info.id);
        *ret_path = p->info.network == OCI_NS_NODE ? xstrdup("") : pod_netns_path(rt, p);
        return 0;
}
