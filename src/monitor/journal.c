/* Container output to the systemd journal, by its native protocol: one datagram per
 * entry to /run/systemd/journal/socket, holding KEY=value lines (a value with a newline
 * in the binary-safe form KEY\n<le64 length><value>\n, util/journal_field.c). The
 * socket is not connected: a journald that starts (or restarts) later is found by the
 * next entry. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor/internal.h"
#include "util/xalloc.h"

#define JOURNAL_SOCKET_DEFAULT "/run/systemd/journal/socket"
#define SEND_TIMEOUT_MS        200 /* a stalled journald drops entries rather than stall the container */
#define SHORT_ID_LEN           12

static void jbuf_add(struct journal_buf *b, const void *data, size_t len) {
        b->data = xgrow(b->data, &b->cap, b->len + len + 1, 1);
        memcpy(b->data + b->len, data, len);
        b->len += len;
}

static void add_str(struct journal_buf *b, const char *key, const char *value) {
        if (value && *value)
                journal_field_append(b, key, value, strlen(value));
}

void journal_fixed_fields(struct journal_buf *b, const char *cid, const char *name, const char *pod_name,
                          const char *pod_namespace) {
        char short_id[SHORT_ID_LEN + 1];
        snprintf(short_id, sizeof(short_id), "%s", cid);
        add_str(b, "CONTAINER_ID", short_id);
        add_str(b, "CONTAINER_ID_FULL", cid);
        add_str(b, "CONTAINER_NAME", name);
        add_str(b, "CONTAINER_TAG", short_id);
        add_str(b, "SYSLOG_IDENTIFIER", short_id);
        add_str(b, "POD", pod_name);
        add_str(b, "NAMESPACE", pod_namespace);
}

void journal_entry_build(const struct journal_buf *fixed, int stream, const char *data, size_t len, bool is_partial,
                         struct journal_buf *ret) {
        ret->len = 0;
        if (fixed->len)
                jbuf_add(ret, fixed->data, fixed->len);
        add_str(ret, "PRIORITY", stream == MONITOR_STREAM_STDERR ? "3" : "6");
        if (is_partial)
                add_str(ret, "CONTAINER_PARTIAL_MESSAGE", "true");
        journal_field_append(ret, "MESSAGE", data, len);
}

void journal_open(struct journal_writer *j, const struct monitor_args *a) {
        *j = (struct journal_writer){.fd = -1};
        const char *path = getenv("CRIC_JOURNAL_SOCKET"); /* for tests only */
        j->socket_path = xstrdup(path && *path ? path : JOURNAL_SOCKET_DEFAULT);
        journal_fixed_fields(&j->fixed, a->cid, a->name, a->pod_name, a->pod_namespace);
        j->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (j->fd < 0) {
                log_warn("container %s: journal socket: %s; output goes to the log file only", a->cid, strerror(errno));
                return;
        }
        struct timeval tv = {.tv_sec = 0, .tv_usec = SEND_TIMEOUT_MS * 1000};
        setsockopt(j->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        int sndbuf = 8 << 20; /* an entry is up to MONITOR_LOG_LINE_MAX plus the fields */
        setsockopt(j->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
        j->cid = a->cid;
}

void journal_send(struct journal_writer *j, int stream, const char *data, size_t len, bool is_partial) {
        if (j->fd < 0)
                return;
        journal_entry_build(&j->fixed, stream, data, len, is_partial, &j->entry);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        size_t plen = strlen(j->socket_path);
        if (plen >= sizeof(sa.sun_path)) {
                if (!j->has_warned)
                        log_warn("container %s: journal socket path %s is too long", j->cid, j->socket_path);
                j->has_warned = true;
                return;
        }
        memcpy(sa.sun_path, j->socket_path, plen);
        /* A journal that kept us waiting SEND_TIMEOUT_MS once is not waited for again
         * until an entry gets through: the container's output must keep flowing. */
        int flags = MSG_NOSIGNAL | (j->has_warned ? MSG_DONTWAIT : 0);
        ssize_t n;
        do
                n = sendto(j->fd, j->entry.data, j->entry.len, flags, (struct sockaddr *) &sa,
                           (socklen_t) (offsetof(struct sockaddr_un, sun_path) + plen + 1));
        while (n < 0 && errno == EINTR);
        if (n >= 0) {
                j->has_warned = false;
                return;
        }
        j->n_dropped++;
        if (!j->has_warned) /* once per run of failures: this can fire per line */
                log_warn("container %s: send to the journal at %s: %s; entries are dropped until it works, the "
                         "log file is still written",
                         j->cid, j->socket_path, strerror(errno));
        j->has_warned = true;
}

void journal_close(struct journal_writer *j) {
        if (j->fd >= 0)
                close(j->fd);
        if (j->n_dropped)
                log_info("container %s: %llu entries could not be sent to the journal", j->cid,
                         (unsigned long long) j->n_dropped);
        free(j->socket_path);
        free(j->fixed.data);
        free(j->entry.data);
        *j = (struct journal_writer){.fd = -1};
}
