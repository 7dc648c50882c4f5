/* Exec and attach: the remote command protocol of Kubernetes (versions 1 to 5).
 *
 * The client's streams (SPDY: one per "streamtype"; WebSocket: channels 0 stdin,
 * 1 stdout, 2 stderr, 3 error, 4 resize) are joined to the exec'd process's pipes or
 * terminal, or to the container's attach socket. Terminal sizes come on the resize
 * stream as JSON objects {"Width": W, "Height": H}. The result is the last word on
 * the error stream: from version 4 a metav1.Status (Success, or Failure with reason
 * NonZeroExitCode and the code as the cause ExitCode, which kubectl turns into "command
 * terminated with exit code N"), before that the error text alone. */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"
#include "streaming/internal.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* How long output may still come after the process has exited (a child of it can keep
 * the pipes open). */
#define DRAIN_MS 2000
/* How long a SPDY client has to open the streams it asked for. */
#define STREAMS_WAIT_MS 30000
#define RESIZE_MAX      4096

enum role { R_STDIN, R_STDOUT, R_STDERR, R_ERROR, R_RESIZE, R_MAX };

struct rc {
        uint32_t ch[R_MAX];
        bool has[R_MAX];
        bool is_started, is_exited, is_complete;
        struct runtime_exec *exec;
        int attach_fd;
        int exit_code;
        struct cric_error *start_err;
        int64_t drain_until_ms;
        struct bytes resize;
};

static struct rc *rc_of(struct sess *s) {
        return s->app_data;
}

static bool wants(const struct sess *s, enum role r) {
        const struct stream_request *q = s->req;
        switch (r) {
        case R_STDIN: return q->has_stdin;
        case R_STDOUT: return q->has_stdout;
        case R_STDERR: return q->has_stderr && !q->tty;
        case R_ERROR: return true;
        default: return q->tty && (s->is_websocket || s->version >= 3);
        }
}

/* What the kubelet says of a non-zero exit (the Status message, and the whole error
 * text before version 4). */
static char *exit_message(const struct sess *s, int exit_code) {
        AUTOFREE char *cmd = strv_join(s->req->cmd, " ");
        return xasprintf("command terminated with non-zero exit code: error executing command [%s], exit code %d",
                         cmd ? cmd : "", exit_code);
}

static char *status_json(const struct sess *s, int exit_code, const struct cric_error *e) {
        AUTOJSON struct json_object *o = json_object_new_object();
        jx_add(o, "metadata", json_object_new_object());
        if (!e && exit_code == 0) {
                jx_add(o, "status", jx_string("Success"));
                return jx_dump(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        }
        jx_add(o, "status", jx_string("Failure"));
        struct json_object *cause = json_object_new_object(), *causes = json_object_new_array(),
                           *details = json_object_new_object();
        if (e) {
                AUTOFREE char *msg = xasprintf("Internal error occurred: %s", e->msg);
                jx_add(o, "message", jx_string(msg));
                jx_add(o, "reason", jx_string("InternalError"));
                jx_add(cause, "message", jx_string(e->msg));
                jx_add(o, "code", json_object_new_int(500));
        } else {
                AUTOFREE char *msg = exit_message(s, exit_code);
                AUTOFREE char *code = xasprintf("%d", exit_code);
                jx_add(o, "message", jx_string(msg));
                jx_add(o, "reason", jx_string("NonZeroExitCode"));
                jx_add(cause, "reason", jx_string("ExitCode"));
                jx_add(cause, "message", jx_string(code));
        }
        json_object_array_add(causes, cause);
        jx_add(details, "causes", causes);
        jx_add(o, "details", details);
        return jx_dump(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* The last word: the status on the error stream, then every stream ends. */
static void complete(struct sess *s, int exit_code, const struct cric_error *e) {
        struct rc *r = rc_of(s);
        if (r->is_complete)
                return;
        r->is_complete = true;
        if (r->has[R_ERROR]) {
                AUTOFREE char *text = NULL;
                if (s->version >= 4)
                        text = status_json(s, exit_code, e);
                else if (e)
                        text = xstrdup(e->msg);
                else if (exit_code)
                        text = exit_message(s, exit_code);
                if (text)
                        sess_send(s, r->ch[R_ERROR], text, strlen(text));
        }
        for (int i = 0; i < R_MAX; i++)
                if (r->has[i])
                        s->proto->close(s, r->ch[i]);
        sess_finish(s);
}

static void apply_sizes(struct sess *s);

static uint32_t channel(const struct rc *r, enum role role) {
        return r->has[role] ? r->ch[role] : SESS_NO_CHANNEL;
}

static int start_exec(struct sess *s, struct rc *r, struct cric_error **err) {
        struct runtime_exec_io io = {
                .tty = s->req->tty,
                .has_stdin = r->has[R_STDIN],
                .has_stdout = r->has[R_STDOUT],
                .has_stderr = r->has[R_STDERR],
        };
        if (io.tty)
                io.has_stdout = true; /* the terminal is read whether or not anyone listens */
        int64_t t0 = clock_mono_ms();
        if (runtime_exec_start(s->rt, s->req->id, s->req->cmd, &io, &r->exec, err) < 0)
                return -1;
        struct runtime_exec *e = r->exec;
        log_debug("%s: pid %d started by the runtime in %" PRId64 " ms", s->what, (int) e->pid, clock_mono_ms() - t0);
        struct pipe *in = NULL;
        if (e->stdin_fd >= 0) {
                in = sess_connect_in(s, r->ch[R_STDIN], e->stdin_fd);
                e->stdin_fd = -1; /* the pipe owns it now */
        }
        if (e->stdout_fd >= 0) {
                struct pipe *p = sess_add_out(s, e->stdout_fd, channel(r, R_STDOUT));
                p->is_shared = e->is_tty; /* the terminal stays e's, for resizing */
                if (!e->is_tty)
                        e->stdout_fd = -1;
        }
        if (e->stderr_fd >= 0) {
                sess_add_out(s, e->stderr_fd, channel(r, R_STDERR));
                e->stderr_fd = -1;
        }
        sess_add_extra(s, e->pidfd);
        if (in)
                sess_flush_in(s, in);
        return 0;
}

static int start_attach(struct sess *s, struct rc *r, struct cric_error **err) {
        if (runtime_container_attach(s->rt, s->req->id, &r->attach_fd, err) < 0)
                return -1;
        struct pipe *out = sess_add_out(s, r->attach_fd, channel(r, R_STDOUT));
        out->is_demux = true;
        out->is_shared = true;
        out->ch_err = s->req->tty ? channel(r, R_STDOUT) : channel(r, R_STDERR);
        if (r->has[R_STDIN]) {
                struct pipe *in = sess_connect_in(s, r->ch[R_STDIN], r->attach_fd);
                if (in) {
                        in->is_packet = true;
                        in->is_shared = true;
                        sess_flush_in(s, in);
                }
        }
        return 0;
}

static void start(struct sess *s) {
        struct rc *r = rc_of(s);
        r->is_started = true;
        s->deadline_ms = 0;
        log_debug("%s: starting", s->what);
        struct cric_error *err = NULL;
        int ret = s->req->kind == STREAM_EXEC ? start_exec(s, r, &err) : start_attach(s, r, &err);
        if (ret < 0) {
                log_info("%s: %s", s->what, err->msg);
                complete(s, 0, err);
                cric_error_free(err);
                return;
        }
        apply_sizes(s); /* what came before the start */
}

static void maybe_start(struct sess *s) {
        struct rc *r = rc_of(s);
        if (r->is_started)
                return;
        for (int i = 0; i < R_MAX; i++)
                if (wants(s, i) && !r->has[i])
                        return;
        start(s);
}

static void apply_size(struct sess *s, const char *json, size_t len) {
        AUTOJSON struct json_object *o = NULL;
        struct cric_error *err = NULL;
        if (json_parse_object(json, len, "terminal size", &o, &err) < 0) {
                cric_error_log_free(&err, "%s: resize ignored", s->what);
                return;
        }
        struct json_object *w = NULL, *h = NULL;
        int64_t cols = json_object_object_get_ex(o, "Width", &w) ? json_object_get_int64(w) : 0;
        int64_t rows = json_object_object_get_ex(o, "Height", &h) ? json_object_get_int64(h) : 0;
        if (cols <= 0 || rows <= 0 || cols > 65535 || rows > 65535)
                return;
        struct rc *r = rc_of(s);
        if (r->exec) {
                runtime_exec_resize(r->exec, (unsigned) rows, (unsigned) cols);
        } else if (r->attach_fd >= 0 &&
                   runtime_container_resize(s->rt, s->req->id, (unsigned) rows, (unsigned) cols, &err) < 0) {
                cric_error_log_free(&err, "%s: resize", s->what);
        }
}

/* Resize messages are JSON objects, one after the other, cut anywhere by the transport. */
static void on_data(struct sess *s, uint32_t ch, const uint8_t *buf, size_t len) {
        struct rc *r = rc_of(s);
        if (!r->has[R_RESIZE] || ch != r->ch[R_RESIZE])
                return; /* data on a stream that takes none (stdin nobody asked for): dropped */
        bytes_append(&r->resize, buf, len);
        if (r->is_started)
                apply_sizes(s);
        if (bytes_avail(&r->resize) > RESIZE_MAX)
                bytes_clear(&r->resize);
}

static void apply_sizes(struct sess *s) {
        struct rc *r = rc_of(s);
        while (bytes_avail(&r->resize) > 0) {
                const char *p = (const char *) r->resize.data + r->resize.off;
                size_t n = bytes_avail(&r->resize);
                const char *end = memchr(p, '}', n);
                if (!end)
                        break;
                size_t one = (size_t) (end - p) + 1;
                apply_size(s, p, one);
                bytes_consume(&r->resize, one);
        }
}

static const char *const role_names[R_MAX] = {"stdin", "stdout", "stderr", "error", "resize"};

static int on_stream(struct sess *s, uint32_t ch, const struct spdy_header *h, size_t n) {
        struct rc *r = rc_of(s);
        const char *type = spdy_header_get(h, n, "streamtype");
        for (int i = 0; i < R_MAX; i++) {
                if (!type || strcmp(type, role_names[i]) != 0)
                        continue;
                if (r->has[i] || r->is_started) {
                        log_info("%s: stream %s opened twice or late", s->what, type);
                        return -1;
                }
                r->has[i] = true;
                r->ch[i] = ch;
                log_debug("%s: stream %u is %s", s->what, ch, type);
                if (i == R_STDIN)
                        sess_add_in(s, -1, ch); /* input is kept until the process starts */
                maybe_start(s);
                return 0;
        }
        log_debug("%s: stream %u of unknown type %s taken and ignored", s->what, ch, type ? type : "(none)");
        return 0;
}

static void on_eof(struct sess *s, uint32_t ch) {
        (void) s;
        (void) ch; /* the end of an output, or of the client's error or resize stream */
}

static void on_extra(struct sess *s, int fd) {
        struct rc *r = rc_of(s);
        if (!r->exec || fd != r->exec->pidfd)
                return;
        sess_remove_extra(s, fd);
        r->is_exited = true;
        r->drain_until_ms = clock_mono_ms() + DRAIN_MS;
        s->deadline_ms = r->drain_until_ms;
        if (runtime_exec_wait(r->exec, &r->exit_code, &r->start_err) < 0)
                log_info("%s: %s", s->what, r->start_err->msg);
        else
                log_debug("%s: pid %d exited with %d", s->what, (int) r->exec->pid, r->exit_code);
}

static bool outputs_done(const struct sess *s) {
        for (size_t i = 0; i < s->n_pipes; i++)
                if (s->pipes[i].is_out && !s->pipes[i].is_eof)
                        return false;
        return true;
}

static void on_tick(struct sess *s) {
        struct rc *r = rc_of(s);
        if (r->is_complete)
                return;
        if (!r->is_started) {
                if (s->deadline_ms && clock_mono_ms() >= s->deadline_ms) {
                        struct cric_error *err = NULL;
                        cric_error_set(&err, CRIC_E_TIMEOUT, "the client did not open the streams it asked for");
                        log_info("%s: %s", s->what, err->msg);
                        complete(s, 0, err);
                        cric_error_free(err);
                }
                return;
        }
        if (r->exec) {
                if (r->is_exited && (outputs_done(s) || clock_mono_ms() >= r->drain_until_ms))
                        complete(s, r->exit_code, r->start_err);
        } else if (outputs_done(s)) { /* attach: the monitor closes us once the container has exited */
                complete(s, 0, NULL);
        }
}

static void on_abort(struct sess *s) {
        struct rc *r = rc_of(s);
        if (r->exec && !r->is_exited)
                runtime_exec_kill(r->exec);
}

static void rc_free(struct sess *s) {
        struct rc *r = rc_of(s);
        if (!r)
                return;
        runtime_exec_free(r->exec);
        if (r->attach_fd >= 0)
                close(r->attach_fd);
        cric_error_free(r->start_err);
        bytes_clear(&r->resize);
        free(r);
        s->app_data = NULL;
}

static const struct sess_app remotecommand_app = {
        .on_stream = on_stream,
        .on_data = on_data,
        .on_eof = on_eof,
        .on_extra = on_extra,
        .on_tick = on_tick,
        .on_abort = on_abort,
        .free = rc_free,
};

int remotecommand_init(struct sess *s, struct cric_error **err) {
        (void) err;
        struct rc *r = xzalloc(sizeof(*r));
        r->attach_fd = -1;
        s->app = &remotecommand_app;
        s->app_data = r;
        if (!s->is_websocket) {
                s->deadline_ms = clock_mono_ms() + STREAMS_WAIT_MS;
                return 0;
        }
        for (int i = 0; i < R_MAX; i++) {
                r->ch[i] = (uint32_t) i;
                r->has[i] = wants(s, i);
        }
        /* As the kubelet's server: an empty message on the lowest channel we write to
         * tells the client the session is open. */
        for (int i = R_STDOUT; i <= R_ERROR; i++)
                if (r->has[i]) {
                        sess_send(s, r->ch[i], NULL, 0);
                        break;
                }
        if (r->has[R_STDIN])
                sess_add_in(s, -1, R_STDIN);
        start(s);
        return 0;
}
