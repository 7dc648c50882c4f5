/* cricctl logs: reads a container's CRI log file (ContainerStatus.log_path) directly,
 * as crictl does: partial (P) lines joined, --tail, --since, --timestamps, --follow
 * until the container exits (the log may be rotated meanwhile). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cri.pb-c.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

#define N_FLAGS(f) (sizeof(f) / sizeof((f)[0]))

/* ---- logs ---- */

/* One logical line of a CRI log: partial (P) pieces joined up to their full (F) end. */
struct log_line {
        char *ts; /* the first piece's timestamp, as written */
        int64_t ts_ns;
        char *text; /* content; ends with '\n' unless the file ended within the line */
        size_t len;
};

struct log_opts {
        const char *since;
        int64_t tail;     /* < 0: all */
        int64_t since_ns; /* 0: no --since */
        bool is_follow, has_timestamps, is_help;
};

struct log_reader {
        const struct log_opts *o;
        int fd;
        char *buf; /* bytes read past the last complete line */
        size_t len, cap;
        struct log_line pending[2]; /* per stream: P pieces waiting for their F */
        struct log_line *ring;      /* --tail: the last lines, not printed yet */
        bool *ring_is_stderr;
        size_t ring_start, ring_n;
        bool is_tailing; /* still reading what was there before --follow */
};

static void log_line_clear(struct log_line *l) {
        free(l->ts);
        free(l->text);
        *l = (struct log_line){0};
}

/* "2006-01-02T15:04:05[.999999999][Z|±07:00]" (or with a space for T); no zone is
 * local time, a date alone is midnight. Returns -1 if s is not such a time. */
static int parse_time(const char *s, size_t len, int64_t *ret_ns) {
        char buf[64];
        if (len >= sizeof(buf))
                return -1;
        memcpy(buf, s, len);
        buf[len] = '\0';
        struct tm tm = {0};
        const char *p = strptime(buf, "%Y-%m-%d", &tm);
        if (!p)
                return -1;
        long frac = 0;
        if (*p == 'T' || *p == 't' || *p == ' ') {
                const char *q = strptime(p + 1, "%H:%M:%S", &tm);
                if (!q && !(q = strptime(p + 1, "%H:%M", &tm)))
                        return -1;
                p = q;
                if (*p == '.' || *p == ',') {
                        int digits = 0;
                        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
                                if (digits < 9)
                                        frac = frac * 10 + (*p - '0');
                        for (; digits < 9; digits++)
                                frac *= 10;
                }
        }
        time_t secs;
        if (!*p) {
                tm.tm_isdst = -1;
                secs = mktime(&tm);
        } else if ((*p == 'Z' || *p == 'z') && !p[1]) {
                secs = timegm(&tm);
        } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
                int h = atoi(p + 1), m = atoi(p + 4);
                secs = timegm(&tm) - (*p == '+' ? 1 : -1) * (h * 3600 + m * 60);
        } else {
                return -1;
        }
        *ret_ns = (int64_t) secs * 1000000000 + frac;
        return 0;
}

/* docker's GetTimestamp, as crictl's --since: a Unix time ("1700000000.5"), a Go
 * duration back from now ("42m"), or an RFC 3339 time (local without a zone). */
static int parse_since(const char *s, int64_t *ret_ns, struct cric_error **err) {
        if (s[0] && strspn(s, "0123456789.") == strlen(s)) {
                char *end;
                double v = strtod(s, &end);
                if (!*end) {
                        *ret_ns = (int64_t) (v * 1e9);
                        return 0;
                }
        }
        int64_t ms;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (cli_duration_parse(s, &ms, &e) >= 0) {
                *ret_ns = cli_now_ns() - ms * 1000000;
                return 0;
        }
        if (parse_time(s, strlen(s), ret_ns) < 0)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "--since: invalid time \"%s\" (e.g. 2013-01-02T13:23:37Z, 42m or a Unix time)",
                                      s);
        return 0;
}

static void log_write(const struct log_opts *o, const struct log_line *l, bool is_stderr) {
        FILE *out = is_stderr ? stderr : stdout;
        if (o->has_timestamps)
                fprintf(out, "%s ", l->ts);
        fwrite(l->text, 1, l->len, out);
}

/* A complete logical line: shown now, or kept for --tail. Takes l's contents. */
static void log_emit(struct log_reader *r, struct log_line *l, bool is_stderr) {
        if (r->o->since_ns && l->ts_ns < r->o->since_ns) {
                log_line_clear(l);
                return;
        }
        if (!r->is_tailing || r->o->tail < 0) {
                log_write(r->o, l, is_stderr);
                log_line_clear(l);
                return;
        }
        size_t cap = (size_t) r->o->tail;
        if (cap == 0) {
                log_line_clear(l);
                return;
        }
        size_t slot = (r->ring_start + r->ring_n) % cap;
        if (r->ring_n == cap) { /* full: the oldest goes */
                log_line_clear(&r->ring[r->ring_start]);
                r->ring_start = (r->ring_start + 1) % cap;
                r->ring_n--;
        }
        r->ring[slot] = *l;
        r->ring_is_stderr[slot] = is_stderr;
        r->ring_n++;
        *l = (struct log_line){0};
}

static void log_flush_tail(struct log_reader *r) {
        size_t cap = r->o->tail > 0 ? (size_t) r->o->tail : 1;
        for (size_t i = 0; i < r->ring_n; i++) {
                size_t slot = (r->ring_start + i) % cap;
                log_write(r->o, &r->ring[slot], r->ring_is_stderr[slot]);
                log_line_clear(&r->ring[slot]);
        }
        r->ring_start = r->ring_n = 0;
        r->is_tailing = false;
}

/* kubelet's parseCRILog: "<time> <stream> <tag>[:<more tags>] <content>". Lines that
 * do not parse are skipped with a debug message, as the kubelet does. */
static void log_parse_line(struct log_reader *r, const char *s, size_t len) {
        const char *sp1 = memchr(s, ' ', len);
        const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', len - (size_t) (sp1 + 1 - s)) : NULL;
        const char *sp3 = sp2 ? memchr(sp2 + 1, ' ', len - (size_t) (sp2 + 1 - s)) : NULL;
        size_t stream_len = sp2 ? (size_t) (sp2 - sp1 - 1) : 0;
        bool is_stderr = stream_len == 6 && !memcmp(sp1 + 1, "stderr", 6);
        if (!sp3 || !(is_stderr || (stream_len == 6 && !memcmp(sp1 + 1, "stdout", 6)))) {
                log_debug("skipping a log line that is not in the CRI format: %.*s", (int) len, s);
                return;
        }
        bool is_partial = sp3 > sp2 + 1 && sp2[1] == 'P' && (sp2 + 2 == sp3 || sp2[2] == ':');
        const char *content = sp3 + 1;
        size_t content_len = len - (size_t) (content - s);
        struct log_line *l = &r->pending[is_stderr];
        if (!l->ts) {
                l->ts = xstrndup(s, (size_t) (sp1 - s));
                if (r->o->since_ns && parse_time(s, (size_t) (sp1 - s), &l->ts_ns) < 0)
                        l->ts_ns = 0;
        }
        l->text = xrealloc(l->text, l->len + content_len + 1);
        memcpy(l->text + l->len, content, content_len);
        l->len += content_len;
        if (is_partial)
                return;
        l->text[l->len++] = '\n';
        log_emit(r, l, is_stderr);
}

/* Reads what the file holds now; returns the bytes read or -1. */
static ssize_t log_read_available(struct log_reader *r, struct cric_error **err) {
        ssize_t total = 0;
        for (;;) {
                r->buf = xgrow(r->buf, &r->cap, r->len + 65536, 1);
                ssize_t n = read(r->fd, r->buf + r->len, r->cap - r->len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "read log file");
                if (n == 0)
                        return total;
                total += n;
                r->len += (size_t) n;
                size_t start = 0;
                for (char *nl; (nl = memchr(r->buf + start, '\n', r->len - start)); start = (size_t) (nl - r->buf) + 1)
                        log_parse_line(r, r->buf + start, (size_t) (nl - r->buf) - start);
                memmove(r->buf, r->buf + start, r->len - start);
                r->len -= start;
        }
}

/* kubelet's isContainerRunning: false once it is not running any more (or is gone). */
static int log_container_running(struct cli *cli, const char *id, bool *ret, struct cric_error **err) {
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (cli_container_status(cli, id, false, &msg, &e) < 0) {
                if (e->kind != CRIC_E_NOT_FOUND) {
                        cric_error_move(err, &e);
                        return -1;
                }
                *ret = false;
                return 0;
        }
        const Runtime__V1__ContainerStatus *s = ((const Runtime__V1__ContainerStatusResponse *) msg)->status;
        *ret = s && s->state == RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING;
        return 0;
}

/* A rotated (renamed, then recreated) or truncated log: read on in the new file. */
static void log_check_rotation(struct log_reader *r, const char *path) {
        struct stat now, cur;
        if (stat(path, &now) < 0 || fstat(r->fd, &cur) < 0)
                return;
        if (now.st_ino != cur.st_ino || now.st_dev != cur.st_dev) {
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        return;
                close(r->fd);
                r->fd = fd;
                r->len = 0;
        } else if (now.st_size < lseek(r->fd, 0, SEEK_CUR)) {
                lseek(r->fd, 0, SEEK_SET);
                r->len = 0;
        }
}

static int log_follow(struct cli *cli, struct log_reader *r, const char *id, const char *path,
                      struct cric_error **err) {
        for (;;) {
                bool is_running;
                if (log_container_running(cli, id, &is_running, err) < 0)
                        return -1;
                /* Read after the check too: what was written before the exit is shown. */
                if (log_read_available(r, err) < 0)
                        return -1;
                fflush(stdout);
                fflush(stderr);
                if (!is_running)
                        return 0;
                log_check_rotation(r, path);
                struct timespec pause = {.tv_nsec = 100 * 1000000L};
                nanosleep(&pause, NULL);
        }
}

static int logs_run(struct cli *cli, const char *id, const struct log_opts *o, struct cric_error **err) {
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (cli_container_status(cli, id, false, &msg, err) < 0)
                return -1;
        const Runtime__V1__ContainerStatus *s = ((const Runtime__V1__ContainerStatusResponse *) msg)->status;
        if (!s || !*s->log_path)
                return cric_error_set(err, CRIC_E_PRECONDITION, "the container has not set log path");
        struct log_reader r = {.o = o, .is_tailing = true};
        r.fd = open(s->log_path, O_RDONLY | O_CLOEXEC);
        if (r.fd < 0)
                return cric_error_errno(err, CRIC_E_NOT_FOUND, errno, "failed to open log file \"%s\"", s->log_path);
        size_t cap = o->tail > 0 ? (size_t) o->tail : 1;
        r.ring = xcalloc(cap, sizeof(*r.ring));
        r.ring_is_stderr = xcalloc(cap, sizeof(*r.ring_is_stderr));
        int ret = log_read_available(&r, err) < 0 ? -1 : 0;
        if (ret == 0 && o->is_follow) {
                log_flush_tail(&r);
                ret = log_follow(cli, &r, s->id, s->log_path, err);
        }
        for (int i = 0; i < 2; i++) { /* the file ended within a line: show what there is */
                if (ret == 0 && r.pending[i].ts)
                        log_emit(&r, &r.pending[i], i == 1);
                log_line_clear(&r.pending[i]);
        }
        if (ret == 0)
                log_flush_tail(&r);
        for (size_t i = 0; i < r.ring_n; i++)
                log_line_clear(&r.ring[(r.ring_start + i) % cap]);
        close(r.fd);
        free(r.buf);
        free(r.ring);
        free(r.ring_is_stderr);
        return ret;
}

int cmd_logs(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        struct log_opts o = {.tail = -1};
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &o.is_help, NULL, "show help"},
                {"follow", 'f', CLI_FLAG_BOOL, &o.is_follow, NULL, "Follow log output"},
                {"tail", 0, CLI_FLAG_INT64, &o.tail, "N",
                 "Number of lines to show from the end of the logs. Defaults to all"},
                {"since", 0, CLI_FLAG_STRING, &o.since, "TIME",
                 "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)"},
                {"timestamps", 't', CLI_FLAG_BOOL, &o.has_timestamps, NULL, "Show timestamps"},
        };
        int nargs;
        int r = cli_command_parse("logs", "CONTAINER-ID", flags, N_FLAGS(flags), &o.is_help, argc, argv, &nargs, err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        if (nargs == 0 || !*argv[1])
                return cric_error_set(err, CRIC_E_INVALID, "ID cannot be empty");
        if (nargs > 1)
                return cric_error_set(err, CRIC_E_INVALID, "logs: one container at a time (see 'cricctl logs --help')");
        if (o.since && *o.since && parse_since(o.since, &o.since_ns, err) < 0)
                return cric_error_prefix(err, "logs");
        int ret = logs_run(cli, argv[1], &o, err);
        fflush(stdout);
        return ret < 0 ? cric_error_prefix(err, "logs of container \"%s\"", argv[1]) : 0;
}
