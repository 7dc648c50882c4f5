/* cric-monitor: the per-container monitor (conmon's job). See protocol.h.
 *
 * Create mode forks before doing anything with the container: the child, in a session
 * of its own and a child subreaper, becomes the container's parent, so the container
 * outlives any restart (or SIGKILL) of the daemon, and the daemon's waitpid() on the
 * short-lived parent tells it when the report has been written. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

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

/* Returns in the child only, with *ret_notify_fd set to the pipe the parent reads. */
static void daemonize(int sync_fd, int *ret_notify_fd) {
        int notify[2];
        if (pipe2(notify, O_CLOEXEC) < 0) {
                log_error("pipe: %s", strerror(errno));
                exit(1);
        }
        pid_t pid = fork();
        if (pid < 0) {
                log_error("fork: %s", strerror(errno));
                exit(1);
        }
        if (pid > 0) {
                /* Exit as soon as the child has reported, or died trying. */
                close(notify[1]);
                close(sync_fd);
                char c;
                ssize_t n;
                do
                        n = read(notify[0], &c, 1);
                while (n < 0 && errno == EINTR);
                _exit(n == 1 ? 0 : 1);
        }
        close(notify[0]);
        if (setsid() < 0)
                log_warn("setsid: %s", strerror(errno));
        if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
                log_warn("become child subreaper: %s", strerror(errno));
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0) {
                dup2(null, STDIN_FILENO);
                dup2(null, STDOUT_FILENO);
                close(null);
        }
        *ret_notify_fd = notify[1];
}

static int block_signals(struct cric_error **err) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        sigaddset(&set, SIGQUIT);
        sigprocmask(SIG_BLOCK, &set, NULL);
        int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "signalfd");
        return fd;
}

/* Everything that can fail before the runtime runs, so it is reported the same way. */
static int prepare(struct monitor *m, struct cric_error **err) {
        const struct monitor_args *a = m->args;
        m->signal_fd = block_signals(err);
        if (m->signal_fd < 0)
                return -1;
        AUTOFREE char *dir = xasprintf("%s/%s", a->socket_dir, a->cid);
        if (fs_mkdir_p(dir, 0700, err) < 0)
                return -1;
        m->dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (m->dir_fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open %s", dir);
        if (attach_listen(&m->attach, m->dir_fd, err) < 0 || ctl_open(&m->ctl, m->dir_fd, err) < 0)
                return -1;
        if (log_writer_open(&m->log, a->log_path, a->log_size_max, err) < 0)
                return -1;
        if (a->log_to_journald) {
                journal_open(&m->journal, a);
                m->log.journal = &m->journal;
        }
        return 0;
}

/* Writes the one report line; false when nobody reads it any more. */
static bool report(int sync_fd, pid_t pid, const char *message) {
        AUTOFREE char *line = NULL;
        if (message) {
                AUTOFREE char *q = json_quote(message);
                line = xasprintf("{\"pid\": -1, \"message\": %s}\n", q);
        } else {
                line = xasprintf("{\"pid\": %d, \"monitor_pid\": %d}\n", (int) pid, (int) getpid());
        }
        bool is_ok = write_all(sync_fd, line, strlen(line)) == 0;
        close(sync_fd);
        return is_ok;
}

static void notify_parent(int fd) {
        if (write(fd, "1", 1) < 0)
                log_debug("notify parent: %s", strerror(errno));
        close(fd);
}

static void remove_socket_dir(struct monitor *m) {
        if (m->dir_fd >= 0)
                close(m->dir_fd);
        m->dir_fd = -1;
        AUTOFREE char *dir = xasprintf("%s/%s", m->args->socket_dir, m->args->cid);
        rmdir(dir); /* fails harmlessly while the daemon keeps files there */
}

static int run_create_mode(struct monitor_args *a) {
        int notify_fd = -1;
        daemonize(a->sync_fd, &notify_fd);
        struct monitor m = {
                .args = a,
                .signal_fd = -1,
                .dir_fd = -1,
                .io = {-1, -1, -1},
                .attach = {.listen_fd = -1},
                .ctl = {.read_fd = -1, .keep_fd = -1},
                .log = {.fd = -1},
                .journal = {.fd = -1},
                .oom = {.event_fd = -1, .counter_fd = -1},
        };
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (prepare(&m, &err) < 0 || runtime_create(a, &m.container_pid, &m.io, &err) < 0) {
                log_error("container %s: create: %s", a->cid, err->msg);
                /* Nothing of ours is left once the report is read: the caller may look. */
                attach_close(&m.attach, m.dir_fd);
                ctl_close(&m.ctl, m.dir_fd);
                log_writer_close(&m.log);
                journal_close(&m.journal);
                remove_socket_dir(&m);
                report(a->sync_fd, -1, err->msg);
                notify_parent(notify_fd);
                return 1;
        }
        if (a->runtime_fd >= 0) { /* needed for create only: an upgraded runtime must not stay pinned */
                close(a->runtime_fd);
                a->runtime_fd = -1;
        }
        if (oom_watch_start(&m.oom, a->cgroup_path, &err) < 0)
                cric_error_log_free(&err, "container %s: no OOM detection", a->cid);
        if (!report(a->sync_fd, m.container_pid, NULL)) {
                /* The daemon gave up waiting; nobody would ever start or remove it. */
                log_error("container %s: cannot report to the daemon, killing the container", a->cid);
                kill(m.container_pid, SIGKILL);
        }
        notify_parent(notify_fd);
        log_debug("container %s: created, pid %d", a->cid, (int) m.container_pid);
        int r = monitor_loop_run(&m, &err);
        if (r < 0)
                log_error("container %s: %s", a->cid, err->msg);
        cric_error_freep(&err);
        if (monitor_finish(&m, &err) < 0) {
                log_error("container %s: %s", a->cid, err->msg);
                r = -1;
        }
        remove_socket_dir(&m);
        return r < 0 ? 1 : 0;
}

int main(int argc, char **argv) {
        prctl(PR_SET_NAME, "cric-monitor", 0, 0, 0);
        struct monitor_args a;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (monitor_args_parse(argc, argv, &a, &err) < 0) {
                log_error("cric-monitor: %s", err->msg);
                return 2;
        }
        log_set_level(a.log_level);
        if (a.is_version_check) {
                printf("%d\n", MONITOR_PROTOCOL_VERSION);
                monitor_args_clear(&a);
                return 0;
        }
        signal(SIGPIPE, SIG_IGN);
        if (a.runtime_fd >= 0 && fcntl(a.runtime_fd, F_SETFD, FD_CLOEXEC) < 0) {
                log_warn("cric-monitor: --runtime-fd %d: %s; running %s", a.runtime_fd, strerror(errno), a.runtime);
                a.runtime_fd = -1;
        }
        int r;
        if (a.is_exec) {
                r = exec_sync_run(&a, &err) < 0 ? 1 : 0;
                if (r)
                        log_error("cric-monitor: exec %s: %s", a.cid, err->msg);
        } else if (fcntl(a.sync_fd, F_SETFD, FD_CLOEXEC) < 0) {
                log_error("cric-monitor: --sync-fd %d: %s", a.sync_fd, strerror(errno));
                r = 2;
        } else {
                r = run_create_mode(&a);
        }
        monitor_args_clear(&a);
        return r;
}
