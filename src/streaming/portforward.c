/* Port forwarding into a pod: connections to localhost inside the pod's network
 * namespace (the session's thread joins it first; the host's for hostNetwork pods).
 *
 * SPDY (portforward.k8s.io): the client opens two streams per connection, "error" and
 * "data", with the same "requestid" and the "port"; the server connects (127.0.0.1, then
 * ::1) and splices the data stream with the socket. A failure is text on that
 * connection's error stream, and the others go on.
 * WebSocket: the call's ports, in order, get channels 2i (data) and 2i+1 (error); the
 * first message on each carries the port, 2 bytes little-endian; one connection per
 * port for the session's life. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "runtime/runtime.h"
#include "streaming/internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

#define MAX_CONNS         (SESS_MAX_PIPES / 2)
#define CONNECT_TIMEOUT_S 10

struct pf_conn {
        char request_id[32];
        uint16_t port;
        uint32_t data_ch, error_ch;
        bool has_data, has_error;
        bool is_started, is_out_eof;
        bool is_finished; /* both sides ended, or the connection failed: the slot is free */
        int fd;
};

struct pf {
        struct pf_conn conns[MAX_CONNS];
        size_t n;
};

static struct pf *pf_of(struct sess *s) {
        return s->app_data;
}

static int connect_to(int family, uint16_t port, char *why, size_t why_size) {
        AUTOCLOSE int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                snprintf(why, why_size, "socket: %s", strerror(errno));
                return -1;
        }
        struct timeval tv = {.tv_sec = CONNECT_TIMEOUT_S};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        struct sockaddr_storage ss = {0};
        socklen_t len;
        if (family == AF_INET) {
                struct sockaddr_in *a = (struct sockaddr_in *) &ss;
                a->sin_family = AF_INET;
                a->sin_port = htons(port);
                a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                len = sizeof(*a);
        } else {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *) &ss;
                a->sin6_family = AF_INET6;
                a->sin6_port = htons(port);
                a->sin6_addr = in6addr_loopback;
                len = sizeof(*a);
        }
        if (connect(fd, (struct sockaddr *) &ss, len) < 0) {
                snprintf(why, why_size, "dial tcp%s %s:%u: connect: %s", family == AF_INET ? "4" : "6",
                         family == AF_INET ? "127.0.0.1" : "[::1]", port, strerror(errno));
                return -1;
        }
        return STEAL_FD(fd);
}

/* Connects to port on localhost; on failure *ret_msg says why, for the error stream. */
static int connect_local(struct sess *s, uint16_t port, char **ret_msg) {
        char why4[160], why6[160];
        int fd = connect_to(AF_INET, port, why4, sizeof(why4));
        if (fd < 0)
                fd = connect_to(AF_INET6, port, why6, sizeof(why6));
        if (fd >= 0)
                return fd;
        *ret_msg = xasprintf("error forwarding port %u to pod %s, uid : failed to connect to localhost:%u inside "
                             "namespace \"%s\", IPv4: %s IPv6 %s ",
                             port, s->req->id, port, s->req->id, why4, why6);
        return -1;
}

static void start_conn(struct sess *s, struct pf_conn *c) {
        c->is_started = true;
        AUTOFREE char *msg = NULL;
        c->fd = connect_local(s, c->port, &msg);
        if (c->fd < 0) {
                log_info("%s: %s", s->what, msg);
                sess_send(s, c->error_ch, msg, strlen(msg));
                c->is_finished = s->is_websocket;
                if (!s->is_websocket) {
                        s->proto->close(s, c->error_ch);
                        s->proto->close(s, c->data_ch);
                        c->is_finished = true;
                        struct pipe *in = sess_find_in(s, c->data_ch);
                        if (in)
                                in->is_done = true;
                }
                return;
        }
        struct pipe *out = sess_add_out(s, c->fd, c->data_ch);
        struct pipe *in = sess_connect_in(s, c->data_ch, c->fd);
        if (!out || !in) {
                log_warn("%s: too many connections", s->what);
                return;
        }
        out->is_shared = in->is_shared = true;
        sess_flush_in(s, in);
}

static struct pf_conn *conn_for(struct pf *f, const char *request_id) {
        for (size_t i = 0; i < f->n; i++)
                if (!f->conns[i].is_finished && strcmp(f->conns[i].request_id, request_id) == 0)
                        return &f->conns[i];
        struct pf_conn *c = NULL;
        for (size_t i = 0; i < f->n && !c; i++) /* reuse the slot of a finished connection */
                if (f->conns[i].is_finished)
                        c = &f->conns[i];
        if (!c && f->n == MAX_CONNS)
                return NULL;
        if (!c)
                c = &f->conns[f->n++];
        *c = (struct pf_conn){.fd = -1};
        snprintf(c->request_id, sizeof(c->request_id), "%s", request_id);
        return c;
}

static int parse_port(const char *text, uint16_t *ret) {
        char *end = NULL;
        errno = 0;
        long v = text ? strtol(text, &end, 10) : 0;
        if (!text || !*text || *end || errno || v < 1 || v > 65535)
                return -1;
        *ret = (uint16_t) v;
        return 0;
}

static int on_stream(struct sess *s, uint32_t ch, const struct spdy_header *h, size_t n) {
        const char *type = spdy_header_get(h, n, "streamtype");
        const char *port_text = spdy_header_get(h, n, "port");
        const char *request_id = spdy_header_get(h, n, "requestid");
        uint16_t port = 0;
        if (!type || (strcmp(type, "data") != 0 && strcmp(type, "error") != 0) || parse_port(port_text, &port) < 0) {
                log_info("%s: stream refused: type %s, port %s", s->what, type ? type : "(none)",
                         port_text ? port_text : "(none)");
                return -1;
        }
        struct pf_conn *c = conn_for(pf_of(s), request_id ? request_id : "");
        bool is_data = strcmp(type, "data") == 0;
        if (!c || c->is_started || (is_data ? c->has_data : c->has_error) || (c->port && c->port != port))
                return -1;
        c->port = port;
        if (is_data) {
                c->has_data = true;
                c->data_ch = ch;
                sess_add_in(s, -1, ch);
        } else {
                c->has_error = true;
                c->error_ch = ch;
        }
        if (c->has_data && c->has_error)
                start_conn(s, c);
        return 0;
}

static struct pf_conn *conn_of_channel(struct pf *f, uint32_t ch) {
        for (size_t i = 0; i < f->n; i++)
                if (f->conns[i].has_data && !f->conns[i].is_finished && f->conns[i].data_ch == ch)
                        return &f->conns[i];
        return NULL;
}

/* The pod's side of a connection ended: SPDY ends the data stream, and the error
 * stream with it. */
static void on_eof(struct sess *s, uint32_t ch) {
        struct pf_conn *c = conn_of_channel(pf_of(s), ch);
        if (!c || c->is_out_eof)
                return;
        if (s->is_websocket) {
                c->is_out_eof = true;
                return;
        }
        c->is_out_eof = true; /* the client may still send: the socket closes when it has ended too */
        s->proto->close(s, c->data_ch);
        s->proto->close(s, c->error_ch);
}

static void on_data(struct sess *s, uint32_t ch, const uint8_t *buf, size_t len) {
        (void) s;
        (void) ch;
        (void) buf;
        (void) len; /* on an error stream, or for a connection that failed: dropped */
}

/* WebSocket: the session ends once every port's connection has (the kubelet's too). */
static void ws_maybe_finish(struct sess *s) {
        struct pf *f = pf_of(s);
        for (size_t i = 0; i < f->n; i++)
                if (!f->conns[i].is_finished && !f->conns[i].is_out_eof)
                        return;
        sess_finish(s);
}

/* Closes the sockets both sides are done with. */
static void on_tick(struct sess *s) {
        struct pf *f = pf_of(s);
        if (s->is_websocket) {
                ws_maybe_finish(s);
                return;
        }
        for (size_t i = 0; i < f->n; i++) {
                struct pf_conn *c = &f->conns[i];
                if (c->fd < 0 || !c->is_out_eof)
                        continue;
                struct pipe *in = NULL;
                for (size_t k = 0; k < s->n_pipes; k++)
                        if (!s->pipes[k].is_out && s->pipes[k].ch == c->data_ch)
                                in = &s->pipes[k];
                if (in && !in->is_done)
                        continue;
                close(c->fd);
                c->fd = -1;
                c->is_finished = true;
        }
}

static void on_abort(struct sess *s) {
        (void) s;
}

static void pf_free(struct sess *s) {
        struct pf *f = pf_of(s);
        if (!f)
                return;
        for (size_t i = 0; i < f->n; i++)
                if (f->conns[i].fd >= 0)
                        close(f->conns[i].fd);
        free(f);
        s->app_data = NULL;
}

static const struct sess_app portforward_app = {
        .on_stream = on_stream,
        .on_data = on_data,
        .on_eof = on_eof,
        .on_tick = on_tick,
        .on_abort = on_abort,
        .free = pf_free,
};

/* The session's thread joins the pod's network namespace for good: it serves only this
 * connection, and its sockets (and nothing else) are made there. */
static int join_netns(struct sess *s, struct cric_error **err) {
        AUTOFREE char *path = NULL;
        if (runtime_pod_netns(s->rt, s->req->id, &path, err) < 0)
                return -1;
        if (!*path)
                return 0;
        AUTOCLOSE int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "port-forward to pod %s: join %s", s->req->id,
                                        path);
        return 0;
}

int portforward_init(struct sess *s, struct cric_error **err) {
        if (join_netns(s, err) < 0)
                return -1;
        struct pf *f = xzalloc(sizeof(*f));
        s->app = &portforward_app;
        s->app_data = f;
        if (!s->is_websocket)
                return 0;
        for (size_t i = 0; i < s->req->n_ports && i < MAX_CONNS; i++) {
                struct pf_conn *c = &f->conns[f->n++];
                *c = (struct pf_conn){.fd = -1,
                                      .port = s->req->ports[i],
                                      .has_data = true,
                                      .has_error = true,
                                      .data_ch = (uint32_t) (2 * i),
                                      .error_ch = (uint32_t) (2 * i + 1)};
                uint8_t le[2] = {(uint8_t) (c->port & 0xff), (uint8_t) (c->port >> 8)};
                sess_send(s, c->data_ch, le, 2);
                sess_send(s, c->error_ch, le, 2);
                sess_add_in(s, -1, c->data_ch);
                start_conn(s, c);
        }
        return 0;
}
