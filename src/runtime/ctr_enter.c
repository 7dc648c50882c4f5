/* Exec without the OCI runtime (enter/enter.h): a container's plan, made at its first
 * exec and kept with it, the call that starts a process in it, and ExecSync on that:
 * the output captured with the kubelet's cap, the deadline enforced, here in the
 * calling thread instead of in a cric-monitor running `<runtime> exec`. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/internal.h"
#include "util/capture.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/reap.h"
#include "util/xalloc.h"

const struct enter_plan *ctr_enter_plan(struct runtime *rt, struct container *c) {
        /* crun and runc join a container the way enter_spawn does; another runtime (a VM's,
         * say) has its own idea of what exec means. */
        if (!rt->be.enter_spawn || oci_flavor_of(c->info.runtime_path) == OCI_FLAVOR_OTHER)
                return NULL;
        CLEANUP(config_unrefp) struct cric_config *cfg = runtime_config(rt);
        if (!cfg->exec_native)
                return NULL;
        pthread_mutex_lock(&rt->lock);
        const struct enter_plan *known = c->enter;
        bool is_known = c->is_enter_known;
        pthread_mutex_unlock(&rt->lock);
        if (is_known)
                return known;
        AUTOFREE char *dir = ctr_dir(rt, c->info.id);
        AUTOFREE char *config = xasprintf("%s/config.json", dir), *rootfs = xasprintf("%s/rootfs", dir), *spec = NULL;
        struct cric_error *err = NULL;
        struct enter_plan *p = NULL;
        if (fs_read_file(config, 16 << 20, &spec, NULL, &err) < 0 || enter_plan_new(spec, rootfs, &p, &err) < 0) {
                log_info("container %s: execs go through the OCI runtime: %s", c->info.id, err->msg);
                cric_error_free(err);
        }
        pthread_mutex_lock(&rt->lock);
        if (!c->is_enter_known) {
                c->enter = p;
                c->is_enter_known = true;
                p = NULL;
        }
        known = c->enter;
        pthread_mutex_unlock(&rt->lock);
        enter_plan_free(p);
        return known;
}

int ctr_enter(struct runtime *rt, const struct container *c, const struct enter_plan *p, char *const *argv, bool tty,
              const int stdio[3], struct enter_proc *ret, struct cric_error **err) {
        pthread_mutex_lock(&rt->lock);
        struct enter_call call = {
                .init_pid = c->info.pid,
                .init_ppid = c->info.monitor_pid,
                .cgroups = rt->cgroups,
                .argv = argv,
                .tty = tty,
                .stdio = {stdio[0], stdio[1], stdio[2]},
        };
        pthread_mutex_unlock(&rt->lock);
        if (call.init_pid <= 0)
                return cric_error_set(err, CRIC_E_PRECONDITION, "the container has no process");
        if (rt->be.enter_spawn(rt->be.data, p, &call, ret, err) < 0) {
                if (err && *err && (*err)->kind == CRIC_E_NOT_FOUND)
                        (*err)->kind = CRIC_E_PRECONDITION; /* it stopped meanwhile */
                return -1;
        }
        return 0;
}

/* How long the process gets to die after SIGKILL at the deadline, for its status. */
#define KILL_WAIT_MS 5000

static void exec_sync_collect(pid_t pid, int pidfd, int fds[2], struct capture out[2], long deadline,
                              struct monitor_exec_result *ret) {
        int status = 0;
        for (;;) {
                int wait_ms = -1;
                if (deadline) {
                        long left = deadline - clock_mono_ms();
                        if (left <= 0) {
                                ret->is_timed_out = true;
                                kill(pid, SIGKILL);
                                break;
                        }
                        wait_ms = (int) left;
                }
                struct pollfd p[3] = {{.fd = pidfd, .events = POLLIN},
                                      {.fd = fds[0], .events = POLLIN},
                                      {.fd = fds[1], .events = POLLIN}};
                if (poll(p, 3, wait_ms) < 0 && errno != EINTR)
                        break;
                capture_drain(&fds[0], &out[0]);
                capture_drain(&fds[1], &out[1]);
                if (p[0].revents & POLLIN)
                        break;
        }
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        if (poll(&p, 1, KILL_WAIT_MS) <= 0)
                kill(pid, SIGKILL);
        reap_child(pid, &status);
        /* What it wrote before it ended is in the pipes; a child it left behind holding
         * them does not keep us waiting. */
        capture_drain(&fds[0], &out[0]);
        capture_drain(&fds[1], &out[1]);
        ret->exit_code = ret->is_timed_out     ? -1
                         : WIFEXITED(status)   ? WEXITSTATUS(status)
                         : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                               : -1;
}

static void take_output(struct capture *c, char **data, size_t *len) {
        *data = c->buf ? c->buf : xstrdup("");
        *len = c->len;
        c->buf = NULL;
}

int ctr_exec_sync_native(struct runtime *rt, const struct container *c, const struct enter_plan *p, char *const *argv,
                         int64_t timeout_s, struct monitor_exec_result *ret, struct cric_error **err) {
        int out[2], errs[2];
        if (pipe2(out, O_CLOEXEC) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "pipe");
        if (pipe2(errs, O_CLOEXEC) < 0) {
                close(out[0]);
                close(out[1]);
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "pipe");
        }
        int fds[2] = {out[0], errs[0]};
        fcntl(fds[0], F_SETFL, O_NONBLOCK);
        fcntl(fds[1], F_SETFL, O_NONBLOCK);
        struct enter_proc proc;
        struct cric_error *start_err = NULL;
        int r = ctr_enter(rt, c, p, argv, false, (int[3]){-1, out[1], errs[1]}, &proc, &start_err);
        close(out[1]);
        close(errs[1]);
        struct capture cap[2] = {{.max = MONITOR_EXEC_OUTPUT_MAX}, {.max = MONITOR_EXEC_OUTPUT_MAX}};
        *ret = (struct monitor_exec_result){0};
        if (r == 0) {
                long deadline = timeout_s > 0 ? clock_mono_ms() + (timeout_s > 86400 ? 86400 : timeout_s) * 1000 : 0;
                exec_sync_collect(proc.pid, proc.pidfd, fds, cap, deadline, ret);
                close(proc.pidfd);
        } else if (start_err->kind == CRIC_E_INVALID) {
                /* the command could not run: a shell's answer, the reason on stderr */
                ret->exit_code = proc.exec_errno == ENOENT ? 127 : 126;
                cap[1].buf = xasprintf("%s\n", start_err->msg);
                cap[1].len = strlen(cap[1].buf);
                cric_error_free(start_err);
                r = 0;
        } else {
                cric_error_move(err, &start_err);
        }
        for (int i = 0; i < 2; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        if (r < 0) {
                free(cap[0].buf);
                free(cap[1].buf);
                return -1;
        }
        take_output(&cap[0], &ret->stdout_data, &ret->stdout_len);
        take_output(&cap[1], &ret->stderr_data, &ret->stderr_len);
        return 0;
}
