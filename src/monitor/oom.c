/* OOM detection in the container's memory cgroup.
 *
 * cgroup v1: an eventfd registered for memory.oom_control through cgroup.event_control.
 * The kernel signals it on an OOM and also when the cgroup is removed, so an event
 * only counts while the cgroup is still there.
 * cgroup v2: inotify on memory.events, whose oom_kill counter we compare with its
 * value at the start. At exit both versions also compare the oom_kill counter
 * (v1 kernels >= 4.13 list it in memory.oom_control), which catches a kill whose
 * event we had not read yet. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "monitor/internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* Reads the "oom_kill N" line of memory.oom_control / memory.events. -1: unreadable
 * (the cgroup is gone); 0 with *ret 0 when the kernel has no such line. */
static int read_kills(int fd, uint64_t *ret) {
        char buf[1024];
        if (lseek(fd, 0, SEEK_SET) < 0)
                return -1;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return -1;
        buf[n] = '\0';
        *ret = 0;
        for (char *line = buf; *line;) {
                if (!strncmp(line, "oom_kill ", 9)) {
                        *ret = strtoull(line + 9, NULL, 10);
                        break;
                }
                char *nl = strchr(line, '\n');
                if (!nl)
                        break;
                line = nl + 1;
        }
        return 0;
}

static int start_v1(struct oom_watch *o, int dirfd, const char *dir, struct cric_error **err) {
        o->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (o->event_fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "eventfd");
        AUTOCLOSE int ctl = openat(dirfd, "cgroup.event_control", O_WRONLY | O_CLOEXEC);
        if (ctl < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open %s/cgroup.event_control", dir);
        char line[64];
        int n = snprintf(line, sizeof(line), "%d %d", o->event_fd, o->counter_fd);
        if (write(ctl, line, (size_t) n) != n)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "register oom event in %s", dir);
        o->version = 1;
        return 0;
}

static int start_v2(struct oom_watch *o, const char *dir, struct cric_error **err) {
        o->event_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (o->event_fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "inotify_init1");
        AUTOFREE char *path = xasprintf("%s/memory.events", dir);
        if (inotify_add_watch(o->event_fd, path, IN_MODIFY) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "watch %s", path);
        o->version = 2;
        return 0;
}

int oom_watch_start(struct oom_watch *o, const char *cgroup_path, struct cric_error **err) {
        *o = (struct oom_watch){.event_fd = -1, .counter_fd = -1};
        if (!cgroup_path || !*cgroup_path)
                return 0;
        AUTOCLOSE int dirfd = open(cgroup_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open cgroup %s", cgroup_path);
        bool is_v1 = true;
        o->counter_fd = openat(dirfd, "memory.oom_control", O_RDONLY | O_CLOEXEC);
        if (o->counter_fd < 0 && errno == ENOENT) {
                is_v1 = false;
                o->counter_fd = openat(dirfd, "memory.events", O_RDONLY | O_CLOEXEC);
        }
        if (o->counter_fd < 0) {
                cric_error_errno(err, CRIC_E_INTERNAL, errno, "no memory.oom_control or memory.events in %s",
                                 cgroup_path);
                oom_watch_stop(o);
                return -1;
        }
        read_kills(o->counter_fd, &o->base_kills);
        int r = is_v1 ? start_v1(o, dirfd, cgroup_path, err) : start_v2(o, cgroup_path, err);
        if (r < 0) {
                oom_watch_stop(o);
                return -1;
        }
        log_debug("watching %s for OOM (cgroup v%d, %" PRIu64 " kills so far)", cgroup_path, o->version, o->base_kills);
        return 0;
}

void oom_watch_handle(struct oom_watch *o) {
        uint64_t kills = 0;
        bool had_fired = o->has_fired;
        if (o->version == 1) {
                uint64_t count;
                if (read(o->event_fd, &count, sizeof(count)) != sizeof(count))
                        return;
                /* The same event announces the removal of the cgroup. */
                if (read_kills(o->counter_fd, &kills) < 0) {
                        close(o->event_fd);
                        o->event_fd = -1;
                        return;
                }
                o->has_fired = true;
        } else if (o->version == 2) {
                char buf[4096];
                while (read(o->event_fd, buf, sizeof(buf)) > 0)
                        ;
                if (read_kills(o->counter_fd, &kills) == 0 && kills > o->base_kills)
                        o->has_fired = true;
        }
        if (o->has_fired && !had_fired)
                log_info("the container's memory cgroup reported an OOM");
}

bool oom_watch_killed(struct oom_watch *o) {
        if (o->has_fired)
                return true;
        uint64_t kills = 0;
        if (o->version && read_kills(o->counter_fd, &kills) == 0 && kills > o->base_kills)
                o->has_fired = true;
        return o->has_fired;
}

void oom_watch_stop(struct oom_watch *o) {
        if (o->event_fd >= 0)
                close(o->event_fd);
        if (o->counter_fd >= 0)
                close(o->counter_fd);
        o->event_fd = o->counter_fd = -1;
        o->version = 0;
}
