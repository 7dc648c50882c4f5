/* The exit watch: a thread that records a container's exit as soon as its monitor has
 * written the exit file (inotify on the exits directory), so no call has to look for
 * it. A monitor that ends without writing one (killed) is noticed when the daemon reaps
 * it (runtime_monitor_reaped) or, for monitors of an earlier daemon, by a sweep every
 * few seconds that asks the kernel whether they still exist. The same thread hears of
 * the host's address changes (the cache of pod_view.c). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "network/netns.h"
#include "runtime/internal.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

#define SWEEP_MS 2000

struct exit_watch {
        pthread_t thread;
        int inotify_fd;
        int stop_fd; /* eventfd */
};

/* References to every container not exited yet. */
static struct container **live_containers(struct runtime *rt, size_t *ret_n) {
        pthread_mutex_lock(&rt->lock);
        struct container **v = xcalloc(rt->ctrs.n + 1, sizeof(*v));
        size_t n = 0;
        for (size_t i = 0; i < rt->ctrs.n; i++) {
                struct container *c = rt->ctrs.objs[i];
                if (c->state != CONTAINER_EXITED)
                        v[n++] = ctr_ref(c);
        }
        pthread_mutex_unlock(&rt->lock);
        *ret_n = n;
        return v;
}

static bool is_alive(pid_t pid) {
        return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* Every live container: its exit file, and with sweep whether its monitor is there. */
static void check_all(struct runtime *rt, bool sweep) {
        size_t n = 0;
        struct container **v = live_containers(rt, &n);
        for (size_t i = 0; i < n; i++) {
                bool is_gone = sweep && !is_alive(v[i]->info.monitor_pid);
                if (!sweep || is_gone)
                        ctr_check_exit(rt, v[i], is_gone);
                ctr_unref(v[i]);
        }
        free(v);
}

static void on_exit_file(struct runtime *rt, const char *name) {
        if (strlen(name) != 64 || strspn(name, "0123456789abcdef") != 64)
                return; /* a temp file of the monitor's, or no container's */
        pthread_mutex_lock(&rt->lock);
        struct container *c = ctr_ref(index_find(&rt->ctrs, name, "container", NULL));
        pthread_mutex_unlock(&rt->lock);
        if (c)
                ctr_check_exit(rt, c, false); /* a pod's infra process writes here too: not a container */
        ctr_unref(c);
}

/* Returns false when the watch broke (then the caller falls back to sweeping). */
static bool read_events(struct runtime *rt, int fd) {
        char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t len = read(fd, buf, sizeof(buf));
        if (len < 0)
                return errno == EAGAIN || errno == EINTR;
        for (char *p = buf; p < buf + len;) {
                struct inotify_event *ev = (struct inotify_event *) p;
                if (ev->mask & IN_Q_OVERFLOW)
                        check_all(rt, false);
                else if (ev->len)
                        on_exit_file(rt, ev->name);
                p += sizeof(*ev) + ev->len;
        }
        return true;
}

static void *watch_main(void *arg) {
        struct runtime *rt = arg;
        struct exit_watch *w = rt->watch;
        int64_t next_sweep = clock_mono_ms() + SWEEP_MS;
        for (;;) {
                struct pollfd fds[3] = {{.fd = w->stop_fd, .events = POLLIN},
                                        {.fd = rt->host_changes_fd, .events = POLLIN},
                                        {.fd = w->inotify_fd, .events = POLLIN}};
                int64_t wait = next_sweep - clock_mono_ms();
                int r = poll(fds, w->inotify_fd >= 0 ? 3 : 2, wait < 0 ? 0 : (int) wait);
                if (r < 0 && errno != EINTR) {
                        log_error("exit watch: poll: %s", strerror(errno));
                        break;
                }
                if (fds[0].revents)
                        break;
                if (fds[1].revents && host_changes_drain(rt->host_changes_fd))
                        host_ips_changed(rt);
                if (w->inotify_fd >= 0 && fds[2].revents && !read_events(rt, w->inotify_fd)) {
                        log_error("exit watch: inotify: %s; looking for exits every %d ms instead", strerror(errno),
                                  SWEEP_MS);
                        close(w->inotify_fd);
                        w->inotify_fd = -1;
                }
                if (clock_mono_ms() >= next_sweep) {
                        if (w->inotify_fd < 0) /* no events: look at the exit files */
                                check_all(rt, false);
                        check_all(rt, true);
                        next_sweep = clock_mono_ms() + SWEEP_MS;
                }
        }
        return NULL;
}

int exit_watch_start(struct runtime *rt, struct cric_error **err) {
        if (fs_mkdir_p(rt->exits_dir, 0700, err) < 0)
                return -1;
        struct exit_watch *w = xzalloc(sizeof(*w));
        w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        w->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (w->stop_fd < 0 || w->inotify_fd < 0 ||
            inotify_add_watch(w->inotify_fd, rt->exits_dir, IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
                int e = errno;
                if (w->stop_fd >= 0)
                        close(w->stop_fd);
                if (w->inotify_fd >= 0)
                        close(w->inotify_fd);
                free(w);
                return cric_error_errno(err, CRIC_E_INTERNAL, e, "watch %s for container exits", rt->exits_dir);
        }
        rt->watch = w;
        /* Watching first: an exit between this look and the watch is not missed. */
        check_all(rt, false);
        int r = pthread_create(&w->thread, NULL, watch_main, rt);
        if (r != 0) {
                close(w->stop_fd);
                close(w->inotify_fd);
                free(w);
                rt->watch = NULL;
                return cric_error_errno(err, CRIC_E_INTERNAL, r, "start the exit watch");
        }
        return 0;
}

void exit_watch_stop(struct runtime *rt) {
        struct exit_watch *w = rt->watch;
        if (!w)
                return;
        uint64_t one = 1;
        if (write(w->stop_fd, &one, sizeof(one)) < 0)
                log_warn("exit watch: cannot stop it: %s", strerror(errno));
        pthread_join(w->thread, NULL);
        close(w->stop_fd);
        if (w->inotify_fd >= 0)
                close(w->inotify_fd);
        free(w);
        rt->watch = NULL;
}

void runtime_monitor_reaped(struct runtime *rt, pid_t pid) {
        pthread_mutex_lock(&rt->lock);
        struct container *c = ctr_ref(ctr_by_monitor(rt, pid));
        pthread_mutex_unlock(&rt->lock);
        if (c)
                ctr_check_exit(rt, c, true);
        ctr_unref(c);
}
