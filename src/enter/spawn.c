/* enter_spawn: the two clones and what each does (see enter.h).
 *
 * The helper and the process share the daemon's memory until the process executes its
 * command: they read only what was prepared here, make raw system calls (glibc's
 * set*id wrappers would signal the daemon's threads), and report a failure as one
 * record on a close-on-exec pipe: end of file there means the command runs. Both are
 * vfork children, so the calling thread resumes once the process has run its command
 * or failed, and the helper has exited. While it shares that memory, a process inside
 * the container PID namespace could read it through /proc/<pid>/mem: the daemon is
 * made non-dumpable first, so only holders of CAP_SYS_PTRACE in the host's user
 * namespace may (the defence runc and crun use for their own copies). */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "enter/internal.h"
#include "util/cleanup.h"
#include "util/fdpass.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define STACK_SIZE (64 * 1024)
#define NS_FLAGS   (CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP)

enum step {
        STEP_CGROUP,
        STEP_OOM,
        STEP_SETNS,
        STEP_CLONE,
        STEP_TTY,
        STEP_STDIO,
        STEP_SETSID,
        STEP_CWD,
        STEP_RLIMIT,
        STEP_LSM,
        STEP_SECCOMP,
        STEP_BOUNDING,
        STEP_GROUPS,
        STEP_GID,
        STEP_UID,
        STEP_CAPS,
        STEP_AMBIENT,
        STEP_NNP,
        STEP_FDS,
        STEP_FIND,
        STEP_EXEC,
        STEP_MAX,
};

static const char *const step_what[STEP_MAX] = {
        [STEP_CGROUP] = "join the container's cgroups",
        [STEP_OOM] = "set the OOM score adjustment",
        [STEP_SETNS] = "join the container's namespaces",
        [STEP_CLONE] = "start the process",
        [STEP_TTY] = "open a terminal in the container",
        [STEP_STDIO] = "set up the standard streams",
        [STEP_SETSID] = "start a session",
        [STEP_CWD] = "change to the working directory",
        [STEP_RLIMIT] = "set the resource limits",
        [STEP_LSM] = "set the security label",
        [STEP_SECCOMP] = "load the seccomp filter",
        [STEP_BOUNDING] = "drop capabilities from the bounding set",
        [STEP_GROUPS] = "set the supplementary groups",
        [STEP_GID] = "set the group id",
        [STEP_UID] = "set the user id",
        [STEP_CAPS] = "set the capabilities",
        [STEP_AMBIENT] = "raise the ambient capabilities",
        [STEP_NNP] = "set no_new_privs",
        [STEP_FDS] = "close the daemon's descriptors",
        [STEP_FIND] = "find the executable in $PATH",
        [STEP_EXEC] = "execute",
};

struct failure {
        int step, err, detail;
};

struct spawn {
        const struct enter_plan *p;
        char *const *argv;
        char **envp;
        int init_pidfd, procfd, errfd, sockfd, devnull;
        int stdio[3];
        bool tty;
        int *cgroup_fds;
        size_t n_cgroup;
        char oom[16];
        char *stack_b;
        pid_t child; /* written by the helper */
};

static void fail(const struct spawn *s, enum step step, int e, int detail) {
        struct failure f = {.step = step, .err = e, .detail = detail};
        ssize_t n = write(s->errfd, &f, sizeof(f));
        (void) n;
}

static int write_str(int fd, const char *text) {
        size_t len = strlen(text);
        return write(fd, text, len) == (ssize_t) len ? 0 : -1;
}

/* The terminal: the container's /dev/ptmx (its devpts), the peer opened from the
 * master, our controlling terminal; the master goes to the daemon. */
static int setup_tty(const struct spawn *s) {
        int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        int unlock = 0;
        if (m < 0 || ioctl(m, TIOCSPTLCK, &unlock) < 0)
                return -1;
        int peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (peer < 0 || setsid() < 0 || ioctl(peer, TIOCSCTTY, 0) < 0 || fchown(peer, s->p->uid, (gid_t) -1) < 0)
                return -1;
        for (int i = 0; i < 3; i++)
                if (dup2(peer, i) < 0)
                        return -1;
        if (fdpass_send(s->sockfd, m) < 0)
                return -1;
        close(m);
        if (peer > 2)
                close(peer);
        return 0;
}

static int setup_stdio(const struct spawn *s) {
        int fds[3];
        for (int i = 0; i < 3; i++) {
                fds[i] = s->stdio[i] >= 0 ? s->stdio[i] : s->devnull;
                if (fds[i] < 3 && fds[i] != i && (fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)) < 0)
                        return -1;
        }
        for (int i = 0; i < 3; i++) {
                if (dup2(fds[i], i) < 0)
                        return -1;
                if (fds[i] == i && fcntl(i, F_SETFD, 0) < 0) /* dup2 onto itself keeps close-on-exec */
                        return -1;
        }
        return setsid() < 0 ? -1 : 0;
}

static int set_lsm(const struct spawn *s) {
        const struct enter_plan *p = s->p;
        if (p->apparmor) {
                int fd = openat(s->procfd, "thread-self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC);
                if (fd < 0 && errno == ENOENT)
                        fd = openat(s->procfd, "thread-self/attr/exec", O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write_str(fd, p->apparmor) < 0)
                        return -1;
                close(fd);
        }
        if (p->selinux) {
                int fd = openat(s->procfd, "thread-self/attr/exec", O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write_str(fd, p->selinux) < 0)
                        return -1;
                close(fd);
        }
        return 0;
}

/* A kernel that does not know a flag says EINVAL: loaded without flags then, as crun does. */
static int load_filter(const struct enter_filter *f) {
        struct sock_fprog prog = {.len = f->len, .filter = f->insns};
        if (!f->len)
                return 0;
        long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &prog);
        if (r < 0 && errno == EINVAL && f->flags)
                r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
        return r < 0 ? -1 : 0;
}

/* User, groups and capabilities; 0 or the step that failed (errno set). */
static enum step set_credentials(const struct enter_plan *p) {
        for (int c = 0; c <= p->cap_last; c++)
                if (!(p->caps[CAPS_BOUNDING] >> c & 1) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
                        return STEP_BOUNDING;
        if (syscall(SYS_setgroups, p->n_groups, p->groups) < 0)
                return STEP_GROUPS;
        if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0)
                return STEP_GID;
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0)
                return STEP_UID;
        struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct d[2];
        for (int i = 0; i < 2; i++) {
                d[i].effective = (uint32_t) (p->caps[CAPS_EFFECTIVE] >> (32 * i));
                d[i].permitted = (uint32_t) (p->caps[CAPS_PERMITTED] >> (32 * i));
                d[i].inheritable = (uint32_t) (p->caps[CAPS_INHERITABLE] >> (32 * i));
        }
        if (syscall(SYS_capset, &h, d) < 0)
                return STEP_CAPS;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
                return STEP_AMBIENT;
        for (int c = 0; c <= p->cap_last; c++)
                if (p->caps[CAPS_AMBIENT] >> c & 1 && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
                        return STEP_AMBIENT;
        return 0;
}

/* execve of argv[0], looked up in the plan's PATH when it has no slash. */
static void run(const struct spawn *s) {
        const char *cmd = s->argv[0];
        if (strchr(cmd, '/')) {
                execve(cmd, s->argv, s->envp);
                fail(s, STEP_EXEC, errno, 0);
                return;
        }
        char path[4096];
        size_t cl = strlen(cmd);
        int best = ENOENT;
        for (char **d = s->p->path; *d; d++) {
                size_t dl = strlen(*d);
                if (dl + 1 + cl + 1 > sizeof(path))
                        continue;
                memcpy(path, *d, dl);
                path[dl] = '/';
                memcpy(path + dl + 1, cmd, cl + 1);
                execve(path, s->argv, s->envp);
                if (errno != ENOENT && errno != ENOTDIR)
                        best = errno;
        }
        fail(s, best == ENOENT ? STEP_FIND : STEP_EXEC, best, 0);
}

/* The process: in the container's namespaces and cgroups already. */
static int process_main(void *arg) {
        const struct spawn *s = arg;
        const struct enter_plan *p = s->p;
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        sigaction(sig, &dfl, NULL);
        enum step failed = 0;
        int detail = 0;
        if (s->tty ? setup_tty(s) < 0 : setup_stdio(s) < 0)
                failed = s->tty ? STEP_TTY : STEP_STDIO;
        else if (chdir(p->cwd) < 0)
                failed = STEP_CWD;
        for (int r = 0; !failed && r < ENTER_RLIMITS; r++)
                if (p->has_rlimit[r] && setrlimit(r, &p->rlimit[r]) < 0) {
                        failed = STEP_RLIMIT;
                        detail = r;
                }
        if (!failed && set_lsm(s) < 0)
                failed = STEP_LSM;
        else if (!failed && !p->no_new_privs && load_filter(&p->filter) < 0)
                failed = STEP_SECCOMP; /* before the capabilities go: loading needs CAP_SYS_ADMIN */
        if (!failed)
                failed = set_credentials(p);
        umask(p->has_umask ? p->umask : 022);
        if (!failed && p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                failed = STEP_NNP;
        else if (!failed && p->no_new_privs && load_filter(&p->filter) < 0)
                failed = STEP_SECCOMP;
        else if (!failed && syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                failed = STEP_FDS;
        if (failed) {
                fail(s, failed, errno, detail);
                _exit(127);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        run(s);
        _exit(127);
}

/* The helper: joins the cgroups and namespaces, then clones the process into them. */
static int helper_main(void *arg) {
        struct spawn *s = arg;
        for (size_t i = 0; i < s->n_cgroup; i++)
                if (write(s->cgroup_fds[i], "0", 1) != 1) {
                        fail(s, STEP_CGROUP, errno, (int) i);
                        return 1;
                }
        if (*s->oom) {
                int fd = openat(s->procfd, "self/oom_score_adj", O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write_str(fd, s->oom) < 0) {
                        fail(s, STEP_OOM, errno, 0);
                        return 1;
                }
                close(fd);
        }
        if (setns(s->init_pidfd, NS_FLAGS) < 0) {
                fail(s, STEP_SETNS, errno, 0);
                return 1;
        }
        pid_t pid = clone(process_main, s->stack_b + STACK_SIZE, CLONE_VM | CLONE_VFORK | CLONE_PARENT | SIGCHLD, s);
        if (pid < 0) {
                fail(s, STEP_CLONE, errno, 0);
                return 1;
        }
        s->child = pid;
        return 0;
}

/* ---- the daemon's side ---- */

static int parent_of(pid_t pid) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        AUTOFREE char *text = NULL;
        if (fs_read_file_optional(path, 16 * 1024, &text, NULL) <= 0 || !text)
                return -1;
        const char *l = strstr(text, "\nPPid:\t");
        return l ? atoi(l + 7) : -1;
}

/* The init's pidfd, checked to be the container's (not a reused pid). */
static int open_init(const struct enter_call *call, struct cric_error **err) {
        int fd = (int) syscall(SYS_pidfd_open, call->init_pid, 0);
        if (fd < 0 && errno == ESRCH)
                return cric_error_set(err, CRIC_E_NOT_FOUND, "the container's process %d has exited",
                                      (int) call->init_pid);
        if (fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "pidfd_open %d", (int) call->init_pid);
        if (call->init_ppid > 0 && parent_of(call->init_pid) != call->init_ppid) {
                close(fd);
                return cric_error_set(err, CRIC_E_NOT_FOUND, "the container's process %d has exited",
                                      (int) call->init_pid);
        }
        return fd;
}

static int open_cgroups(const struct enter_call *call, struct spawn *s, struct cric_error **err) {
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *paths = NULL;
        if (cgroup_pid_paths(call->init_pid, call->cgroups, &paths, err) < 0)
                return -1;
        size_t n = cgroup_paths_count(paths);
        s->cgroup_fds = xcalloc(n ? n : 1, sizeof(int));
        for (size_t i = 0; i < n; i++) {
                AUTOFREE char *file = xasprintf("%s/cgroup.procs", cgroup_paths_dir(paths, i));
                int fd = open(file, O_WRONLY | O_CLOEXEC);
                if (fd < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open %s", file);
                s->cgroup_fds[s->n_cgroup++] = fd;
        }
        return 0;
}

static char **make_env(const struct enter_plan *p, bool tty) {
        char **env = strv_copy(p->env);
        bool has_term = false;
        for (char **e = env; e && *e; e++)
                has_term = has_term || strncmp(*e, "TERM=", 5) == 0;
        if (tty && !has_term)
                strv_push(&env, "TERM=xterm");
        if (!env)
                env = xcalloc(1, sizeof(char *));
        return env;
}

static void spawn_clear(struct spawn *s) {
        for (size_t i = 0; i < s->n_cgroup; i++)
                close(s->cgroup_fds[i]);
        free(s->cgroup_fds);
        strv_free(s->envp);
        int *fds[] = {&s->init_pidfd, &s->procfd, &s->errfd, &s->sockfd, &s->devnull};
        for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
                if (*fds[i] >= 0)
                        close(*fds[i]);
}

static int receive_master(int sock, struct cric_error **err) {
        int fd = fdpass_recv(sock, MSG_DONTWAIT);
        return fd >= 0 ? fd : cric_error_errno(err, CRIC_E_INTERNAL, errno, "receive the terminal");
}

static bool has_exited(int pidfd) {
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        return poll(&p, 1, 0) == 1;
}

static int report(const struct spawn *s, const struct failure *f, struct cric_error **err) {
        const char *what = f->step >= 0 && f->step < STEP_MAX ? step_what[f->step] : "start the process";
        /* a container that stops meanwhile loses its cgroups and namespaces under us */
        if (f->step <= STEP_CLONE && has_exited(s->init_pidfd))
                return cric_error_set(err, CRIC_E_NOT_FOUND, "the container's process has exited");
        /* crun's words, which operators and tools already know */
        if ((f->step == STEP_FIND || f->step == STEP_EXEC) && f->err == ENOENT)
                return cric_error_set(err, CRIC_E_INVALID, "executable file `%s` not found in $PATH: %s", s->argv[0],
                                      strerror(f->err));
        if (f->step == STEP_FIND || f->step == STEP_EXEC)
                return cric_error_set(err, CRIC_E_INVALID, "exec `%s`: %s", s->argv[0], strerror(f->err));
        if (f->step == STEP_CWD)
                return cric_error_set(err, CRIC_E_INVALID, "%s \"%s\": %s", what, s->p->cwd, strerror(f->err));
        return cric_error_errno(err, CRIC_E_INTERNAL, f->err, "%s", what);
}

static atomic_bool is_undumpable;

static int clone_helper(struct spawn *s, struct failure *f, struct cric_error **err) {
        int errp[2];
        if (pipe2(errp, O_CLOEXEC) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "pipe");
        s->errfd = errp[1];
        AUTOCLOSE int err_r = errp[0];
        char *stacks =
                mmap(NULL, 2 * STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (stacks == MAP_FAILED)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "mmap");
        s->stack_b = stacks + STACK_SIZE;
        if (!atomic_exchange(&is_undumpable, true))
                prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        pid_t helper = clone(helper_main, stacks + STACK_SIZE, CLONE_VM | CLONE_VFORK | SIGCHLD, s);
        int e = errno;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        close(s->errfd);
        s->errfd = -1;
        if (helper > 0)
                while (waitpid(helper, NULL, 0) < 0 && errno == EINTR)
                        ;
        munmap(stacks, 2 * STACK_SIZE);
        if (helper < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, e, "clone");
        ssize_t n = read(err_r, f, sizeof(*f));
        return n == (ssize_t) sizeof(*f) ? 1 : 0;
}

int enter_spawn(const struct enter_plan *p, const struct enter_call *call, struct enter_proc *ret,
                struct cric_error **err) {
        struct spawn s = {
                .p = p,
                .argv = call->argv,
                .tty = call->tty,
                .init_pidfd = -1,
                .procfd = -1,
                .errfd = -1,
                .sockfd = -1,
                .devnull = -1,
                .stdio = {call->stdio[0], call->stdio[1], call->stdio[2]},
        };
        *ret = (struct enter_proc){.pid = -1, .pidfd = -1, .tty_master = -1};
        if (!call->argv || !call->argv[0] || !*call->argv[0])
                return cric_error_set(err, CRIC_E_INVALID, "no command given");
        AUTOCLOSE int sock_r = -1;
        int sv[2], r = -1;
        if ((s.init_pidfd = open_init(call, err)) < 0 || open_cgroups(call, &s, err) < 0)
                goto out;
        if (p->has_oom_score_adj)
                snprintf(s.oom, sizeof(s.oom), "%d", p->oom_score_adj);
        s.procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        s.devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (s.procfd < 0 || s.devnull < 0) {
                cric_error_errno(err, CRIC_E_INTERNAL, errno, "open /proc or /dev/null");
                goto out;
        }
        if (call->tty) {
                if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
                        cric_error_errno(err, CRIC_E_INTERNAL, errno, "socketpair");
                        goto out;
                }
                s.sockfd = sv[1];
                sock_r = sv[0];
        }
        s.envp = make_env(p, call->tty);
        struct failure f;
        int failed = clone_helper(&s, &f, err);
        if (failed < 0)
                goto out;
        if (failed) {
                if (s.child > 0)
                        while (waitpid(s.child, NULL, 0) < 0 && errno == EINTR)
                                ;
                report(&s, &f, err);
                if (f.step == STEP_FIND || f.step == STEP_EXEC)
                        ret->exec_errno = f.err;
                goto out;
        }
        ret->pid = s.child;
        ret->pidfd = (int) syscall(SYS_pidfd_open, s.child, 0);
        if (ret->pidfd < 0 || (call->tty && (ret->tty_master = receive_master(sock_r, err)) < 0)) {
                if (ret->pidfd < 0)
                        cric_error_errno(err, CRIC_E_INTERNAL, errno, "pidfd_open %d", (int) s.child);
                kill(s.child, SIGKILL);
                while (waitpid(s.child, NULL, 0) < 0 && errno == EINTR)
                        ;
                if (ret->pidfd >= 0)
                        close(ret->pidfd);
                *ret = (struct enter_proc){.pid = -1, .pidfd = -1, .tty_master = -1};
                goto out;
        }
        r = 0;
out:
        spawn_clear(&s);
        return r;
}
