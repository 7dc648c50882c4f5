#include "daemon/notify.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

int notify_address(const char *path, struct sockaddr_un *addr, socklen_t *len) {
        size_t n = path ? strlen(path) : 0;
        *addr = (struct sockaddr_un){.sun_family = AF_UNIX};
        if (n < 2 || n >= sizeof(addr->sun_path) || (path[0] != '/' && path[0] != '@')) {
                errno = EINVAL;
                return -1;
        }
        memcpy(addr->sun_path, path, n);
        if (path[0] == '@') /* abstract namespace: no terminating NUL counted */
                addr->sun_path[0] = '\0';
        *len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/'));
        return 0;
}

int notify_service_manager(const char *state) {
        const char *path = getenv("NOTIFY_SOCKET");
        if (!path || !*path)
                return 0;
        struct sockaddr_un addr;
        socklen_t alen;
        if (notify_address(path, &addr, &alen) < 0)
                return -1;
        AUTOCLOSE int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *) &addr, alen) < 0)
                return -1;
        return 1;
}

int notify_sendf(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        AUTOFREE char *state = xvasprintf(fmt, ap);
        va_end(ap);
        int r = notify_service_manager(state);
        if (r < 0)
                log_warn("cannot notify the service manager: %s", strerror(errno));
        return r;
}

char *notify_reloading_message(uint64_t monotonic_usec, const char *status) {
        return xasprintf("RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\n%s%s%s", monotonic_usec, status ? "STATUS=" : "",
                         status ? status : "", status ? "\n" : "");
}

/* A decimal number without sign or junk; false otherwise. */
static bool parse_u64(const char *s, uint64_t *ret) {
        if (!s || *s < '0' || *s > '9')
                return false;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end)
                return false;
        *ret = v;
        return true;
}

uint64_t notify_watchdog_interval(const char *usec, const char *pid, pid_t self) {
        uint64_t u, p;
        if (!parse_u64(usec, &u) || u == 0)
                return 0;
        if (pid && *pid && (!parse_u64(pid, &p) || p != (uint64_t) self))
                return 0;
        return u / 2 ? u / 2 : 1;
}

uint64_t notify_now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

void notify_watchdog_init(struct notify_watchdog *w) {
        *w = (struct notify_watchdog){0};
        if (!getenv("NOTIFY_SOCKET"))
                return;
        w->interval_usec = notify_watchdog_interval(getenv("WATCHDOG_USEC"), getenv("WATCHDOG_PID"), getpid());
        if (w->interval_usec)
                log_info("service manager watchdog: a ping every %" PRIu64 " ms", w->interval_usec / 1000);
}

void notify_watchdog_tick(struct notify_watchdog *w, uint64_t now_usec) {
        if (!w->interval_usec || now_usec < w->next_usec)
                return;
        if (notify_service_manager("WATCHDOG=1") < 0)
                log_warn("cannot ping the service manager's watchdog: %s", strerror(errno));
        w->next_usec = now_usec + w->interval_usec;
}

uint64_t notify_watchdog_sleep(const struct notify_watchdog *w, uint64_t now_usec, uint64_t max_usec) {
        if (!w->interval_usec)
                return max_usec;
        uint64_t left = w->next_usec > now_usec ? w->next_usec - now_usec : 0;
        return left < max_usec ? left : max_usec;
}

char *notify_serving_text(const char *listen, size_t pods_ready, size_t containers_running) {
        return xasprintf("serving on %s, %zu pod%s ready, %zu container%s running", listen, pods_ready,
                         pods_ready == 1 ? "" : "s", containers_running, containers_running == 1 ? "" : "s");
}

char *notify_serving_status(struct runtime *rt, const char *listen) {
        const char *path = getenv("NOTIFY_SOCKET");
        if (!path || !*path)
                return NULL;
        struct pod_view *pods;
        size_t n_pods;
        runtime_pod_list(rt, &(struct pod_filter){.state = POD_READY}, &pods, &n_pods);
        pod_views_free(pods, n_pods);
        struct container_view *ctrs;
        size_t n_ctrs;
        runtime_container_list(rt, &(struct container_filter){.state = CONTAINER_RUNNING}, &ctrs, &n_ctrs);
        container_views_free(ctrs, n_ctrs);
        return notify_serving_text(listen, n_pods, n_ctrs);
}

void notify_status_update(struct runtime *rt, const char *listen, char **last) {
        char *now = notify_serving_status(rt, listen);
        if (!now || (*last && !strcmp(now, *last))) {
                free(now);
                return;
        }
        notify_sendf("STATUS=%s", now);
        free(*last);
        *last = now;
}
