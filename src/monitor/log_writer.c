/* The CRI log file: `<time> <stream> <P|F> <content>\n` entries, as kubelet reads them.
 *
 * Each stream keeps the line it has not finished yet (at most MONITOR_LOG_LINE_MAX
 * bytes), so a line that arrives in several reads still becomes one F entry. Entries
 * go out with one writev() on an O_APPEND fd, so a concurrent reader never sees half an
 * entry from us. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "monitor/internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define LOG_FILE_MODE 0640

size_t log_format_timestamp(const struct timespec *ts, char *buf, size_t size) {
        struct tm tm;
        time_t t = ts->tv_sec;
        if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999)
                return 0;
        int n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long) ts->tv_nsec);
        if (n < 0 || (size_t) n >= size)
                return 0;
        return (size_t) n;
}

static int open_log(const char *path, bool is_new, struct cric_error **err) {
        int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY;
        if (!is_new) {
                int fd = open(path, flags, LOG_FILE_MODE);
                if (fd < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open log %s", path);
                return fd;
        }
        /* A fresh file replaces whatever is at the path, in one step for readers. */
        AUTOFREE char *tmp = xasprintf("%s.tmp", path);
        AUTOCLOSE int fd = open(tmp, flags | O_TRUNC, LOG_FILE_MODE);
        if (fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open log %s", tmp);
        if (rename(tmp, path) < 0) {
                int e = errno;
                unlink(tmp);
                return cric_error_errno(err, CRIC_E_INTERNAL, e, "rename %s to %s", tmp, path);
        }
        return STEAL_FD(fd);
}

int log_writer_open(struct log_writer *w, const char *path, uint64_t size_max, struct cric_error **err) {
        *w = (struct log_writer){.fd = -1, .size_max = size_max};
        int fd = open_log(path, false, err);
        if (fd < 0)
                return -1;
        struct stat st;
        if (fstat(fd, &st) == 0)
                w->written = (uint64_t) st.st_size;
        w->fd = fd;
        w->path = xstrdup(path);
        return 0;
}

int log_writer_reopen(struct log_writer *w, struct cric_error **err) {
        int fd = open_log(w->path, true, err);
        if (fd < 0)
                return -1;
        if (w->fd >= 0)
                close(w->fd);
        w->fd = fd;
        w->written = 0;
        return 0;
}

static int writev_all(int fd, struct iovec *iov, int n) {
        while (n > 0) {
                ssize_t r = writev(fd, iov, n);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -1;
                }
                while (n > 0 && (size_t) r >= iov->iov_len) {
                        r -= (ssize_t) iov->iov_len;
                        iov++;
                        n--;
                }
                if (n > 0) {
                        iov->iov_base = (char *) iov->iov_base + r;
                        iov->iov_len -= (size_t) r;
                }
        }
        return 0;
}

/* Writes one entry; a failure is reported once per run of failures, then ignored so
 * that a full disk never stops the container's output from being read. */
static int emit(struct log_writer *w, int stream, char tag, const char *data, size_t len, struct cric_error **err) {
        char prefix[80];
        struct timespec ts;
        if (w->clock)
                w->clock(&ts);
        else
                clock_gettime(CLOCK_REALTIME, &ts);
        size_t n = log_format_timestamp(&ts, prefix, sizeof(prefix));
        n += (size_t) snprintf(prefix + n, sizeof(prefix) - n, " %s %c ",
                               stream == MONITOR_STREAM_STDERR ? "stderr" : "stdout", tag);
        uint64_t total = n + len + 1;
        if (w->size_max && w->written + total > w->size_max) {
                struct cric_error *rerr = NULL;
                if (log_writer_reopen(w, &rerr) < 0)
                        cric_error_log_free(&rerr, "rotate log, writing on");
                w->written = 0;
        }
        if (w->journal)
                journal_send(w->journal, stream, data, len, tag == 'P');
        struct iovec iov[3] = {{prefix, n}, {(void *) data, len}, {(void *) "\n", 1}};
        if (w->fd < 0 || writev_all(w->fd, iov, 3) < 0) {
                int e = w->fd < 0 ? EBADF : errno;
                if (w->has_warned)
                        return 0; /* already reported */
                w->has_warned = true;
                return cric_error_errno(err, CRIC_E_INTERNAL, e, "write log %s", w->path);
        }
        w->has_warned = false;
        w->written += total;
        return 0;
}

/* Adds data[0..n), which belongs to the stream's current line; ends_line says a
 * newline follows it. Full lines that arrive whole are written without a copy. */
static int add_line_part(struct log_writer *w, int stream, const char *data, size_t n, bool ends_line,
                         struct cric_error **err) {
        struct log_pending *p = &w->pending[stream];
        int r = 0;
        for (;;) {
                if (p->len == 0) {
                        if (n <= MONITOR_LOG_LINE_MAX && ends_line)
                                return emit(w, stream, 'F', data, n, err) < 0 ? -1 : r;
                        if (n > MONITOR_LOG_LINE_MAX) {
                                if (emit(w, stream, 'P', data, MONITOR_LOG_LINE_MAX, err) < 0)
                                        r = -1;
                                data += MONITOR_LOG_LINE_MAX;
                                n -= MONITOR_LOG_LINE_MAX;
                                continue;
                        }
                }
                if (!p->buf)
                        p->buf = xmalloc(MONITOR_LOG_LINE_MAX);
                size_t take = MONITOR_LOG_LINE_MAX - p->len;
                if (take > n)
                        take = n;
                memcpy(p->buf + p->len, data, take);
                p->len += take;
                data += take;
                n -= take;
                if (n == 0) {
                        if (!ends_line)
                                return r;
                        size_t len = p->len;
                        p->len = 0;
                        return emit(w, stream, 'F', p->buf, len, err) < 0 ? -1 : r;
                }
                /* The buffer is full and the line goes on: it becomes a P entry. */
                size_t len = p->len;
                p->len = 0;
                if (emit(w, stream, 'P', p->buf, len, err) < 0)
                        r = -1;
        }
}

int log_writer_write(struct log_writer *w, int stream, const char *data, size_t len, struct cric_error **err) {
        if (stream != MONITOR_STREAM_STDERR)
                stream = MONITOR_STREAM_STDOUT;
        int r = 0;
        while (len > 0) {
                const char *nl = memchr(data, '\n', len);
                size_t part = nl ? (size_t) (nl - data) : len;
                if (add_line_part(w, stream, data, part, nl != NULL, err) < 0)
                        r = -1;
                if (!nl)
                        break;
                data += part + 1;
                len -= part + 1;
        }
        return r;
}

int log_writer_flush(struct log_writer *w, struct cric_error **err) {
        int r = 0;
        for (int s = MONITOR_STREAM_STDOUT; s <= MONITOR_STREAM_STDERR; s++) {
                struct log_pending *p = &w->pending[s];
                if (p->len == 0)
                        continue;
                size_t len = p->len;
                p->len = 0;
                if (emit(w, s, 'P', p->buf, len, err) < 0)
                        r = -1;
        }
        return r;
}

void log_writer_close(struct log_writer *w) {
        if (w->fd >= 0)
                close(w->fd);
        w->fd = -1;
        for (int s = 0; s < 3; s++) {
                free(w->pending[s].buf);
                w->pending[s] = (struct log_pending){0};
        }
        free(w->path);
        w->path = NULL;
}
