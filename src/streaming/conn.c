/* A connection: the upgrade request, the token, the protocol, then the session.
 *
 * Answers as the kubelet's streaming server does: 404 for an unknown, used or expired
 * token (nothing is opened), 400 for a request that is not an upgrade or is malformed,
 * 431 for a head over HTTP_HEAD_MAX, 403 with X-Accepted-Stream-Protocol-Versions when
 * no SPDY subprotocol matches, 400 when no WebSocket subprotocol does. */
#include "streaming/conn.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "streaming/http.h"
#include "streaming/internal.h"
#include "streaming/link.h"
#include "streaming/tokens.h"
#include "streaming/ws.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define HEAD_WAIT_MS 10000
/* kubectl 1.30+ port-forwards over WebSocket carrying SPDY (the API server unwraps it
 * before the kubelet; a runtime behind a plain proxy sees it as is). */
#define PF_TUNNEL "SPDY/3.1+portforward.k8s.io"

struct proto_choice {
        const char *name;
        int version; /* remote command version; 0 for port-forward */
        bool is_base64;
};

/* In the kubelet's order of preference (a client's own order decides). */
static const struct proto_choice spdy_rc[] = {
        {"v4.channel.k8s.io", 4, false},
        {"v3.channel.k8s.io", 3, false},
        {"v2.channel.k8s.io", 2, false},
        {"channel.k8s.io", 1, false},
        {NULL, 0, false},
};
static const struct proto_choice spdy_pf[] = {{"portforward.k8s.io", 0, false}, {NULL, 0, false}};
static const struct proto_choice ws_rc[] = {
        {"v5.channel.k8s.io", 5, false}, {"v4.channel.k8s.io", 4, false},    {"v4.base64.channel.k8s.io", 4, true},
        {"channel.k8s.io", 1, false},    {"base64.channel.k8s.io", 1, true}, {NULL, 0, false},
};
static const struct proto_choice ws_pf[] = {
        {"v4.channel.k8s.io", 0, false}, {"v4.base64.channel.k8s.io", 0, true},
        {"channel.k8s.io", 0, false},    {"base64.channel.k8s.io", 0, true},
        {PF_TUNNEL, 0, false},           {NULL, 0, false},
};

static void send_all(struct link *fd, const char *data, size_t len) {
        while (len > 0) {
                ssize_t w = link_send(fd, data, len);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return;
                data += w;
                len -= (size_t) w;
        }
}

/* A plain answer with a short text body, then the connection closes. */
static void respond(struct link *fd, int status, const char *reason, const char *body, const char *const *extra) {
        AUTOFREE char *length = xasprintf("%zu", strlen(body) + 1);
        const char *headers[24] = {"Content-Type", "text/plain; charset=utf-8", "Content-Length", length, "Connection",
                                   "close"};
        size_t n = 6;
        for (size_t i = 0; extra && extra[i] && n < 22; i++)
                headers[n++] = extra[i];
        headers[n] = NULL;
        AUTOFREE char *head = http_format_response(status, reason, headers);
        send_all(fd, head, strlen(head));
        send_all(fd, body, strlen(body));
        send_all(fd, "\n", 1);
}

/* Reads the request head; the bytes after it stay in *rest. -1 after answering. */
static int read_head(struct link *fd, struct http_head *h, struct bytes *rest) {
        char buf[HTTP_HEAD_MAX + 1];
        size_t len = 0;
        int64_t deadline = clock_mono_ms() + HEAD_WAIT_MS;
        for (;;) {
                struct cric_error *err = NULL;
                ssize_t n = http_parse_request(buf, len, h, &err);
                if (n > 0) {
                        bytes_append(rest, buf + n, len - (size_t) n);
                        return 0;
                }
                if (n < 0) {
                        bool big = len >= HTTP_HEAD_MAX;
                        respond(fd, big ? 431 : 400, big ? "Request Header Fields Too Large" : "Bad Request", err->msg,
                                NULL);
                        cric_error_free(err);
                        return -1;
                }
                int64_t left = deadline - clock_mono_ms();
                struct pollfd p = {.fd = fd->fd, .events = POLLIN};
                if (!link_pending(fd) && (left <= 0 || poll(&p, 1, (int) left) <= 0))
                        return -1; /* silent client: just close */
                ssize_t r = link_recv(fd, buf + len, sizeof(buf) - 1 - len);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        return -1;
                len += (size_t) r;
        }
}

/* The client's offers, from every header called name (comma lists too), in order. */
static char **offers(const struct http_head *h, const char *name) {
        char **list = NULL;
        for (size_t i = 0; i < h->n_headers; i++) {
                if (strcasecmp(h->headers[i].name, name) != 0)
                        continue;
                CLEANUP(strv_freep) char **parts = strv_split(h->headers[i].value, ", \t");
                for (char **p = parts; p && *p; p++)
                        if (**p)
                                strv_push(&list, *p);
        }
        return list;
}

/* The first offer we support; NULL with *ret_offered false when the client offered
 * none (the kubelet then takes the oldest protocol). */
static const struct proto_choice *choose(char *const *offered, const struct proto_choice *ours) {
        for (char *const *o = offered; o && *o; o++)
                for (const struct proto_choice *c = ours; c->name; c++)
                        if (strcmp(*o, c->name) == 0)
                                return c;
        return NULL;
}

static char *supported_list(const struct proto_choice *ours) {
        char *s = xstrdup("");
        for (const struct proto_choice *c = ours; c->name; c++) {
                char *n = xasprintf("%s%s%s", s, *s ? ", " : "", c->name);
                free(s);
                s = n;
        }
        return s;
}

struct upgrade {
        bool is_websocket;
        const struct proto_choice *proto;
};

static int negotiate_spdy(struct link *fd, const struct http_head *h, enum stream_kind kind, struct upgrade *u) {
        const struct proto_choice *ours = kind == STREAM_PORT_FORWARD ? spdy_pf : spdy_rc;
        CLEANUP(strv_freep) char **offered = offers(h, "X-Stream-Protocol-Version");
        AUTOFREE char *list = supported_list(ours);
        if (!offered) {
                AUTOFREE char *msg = xasprintf("unable to upgrade: X-Stream-Protocol-Version is required (server "
                                               "supports [%s])",
                                               list);
                respond(fd, 400, "Bad Request", msg, NULL);
                return -1;
        }
        u->proto = choose(offered, ours);
        if (!u->proto) {
                AUTOFREE char *want = strv_join(offered, ", ");
                AUTOFREE char *msg = xasprintf("unable to upgrade: unable to negotiate protocol: client supports "
                                               "[%s], server supports [%s]",
                                               want, list);
                const char *extra[16];
                size_t n = 0;
                for (const struct proto_choice *c = ours; c->name && n < 14; c++) {
                        extra[n++] = "X-Accepted-Stream-Protocol-Versions";
                        extra[n++] = c->name;
                }
                extra[n] = NULL;
                respond(fd, 403, "Forbidden", msg, extra);
                return -1;
        }
        const char *headers[] = {"Connection",   "Upgrade", "Upgrade", "SPDY/3.1", "X-Stream-Protocol-Version",
                                 u->proto->name, NULL};
        AUTOFREE char *head = http_format_response(101, "Switching Protocols", headers);
        send_all(fd, head, strlen(head));
        return 0;
}

static int negotiate_ws(struct link *fd, const struct http_head *h, enum stream_kind kind, struct upgrade *u) {
        const struct proto_choice *ours = kind == STREAM_PORT_FORWARD ? ws_pf : ws_rc;
        const char *key = http_header_get(h, "Sec-WebSocket-Key");
        const char *version = http_header_get(h, "Sec-WebSocket-Version");
        if (!key || !ws_key_is_valid(key) || !version || strcmp(version, "13") != 0) {
                const char *extra[] = {"Sec-WebSocket-Version", "13", NULL};
                respond(fd, 400, "Bad Request", "websocket: a valid Sec-WebSocket-Key and version 13 are required",
                        extra);
                return -1;
        }
        CLEANUP(strv_freep) char **offered = offers(h, "Sec-WebSocket-Protocol");
        u->is_websocket = true;
        u->proto = offered ? choose(offered, ours) : &ours[kind == STREAM_PORT_FORWARD ? 0 : 3];
        if (!u->proto) {
                AUTOFREE char *list = supported_list(ours);
                AUTOFREE char *msg = xasprintf("websocket: none of the requested subprotocols is supported (server "
                                               "supports %s)",
                                               list);
                respond(fd, 403, "Forbidden", msg, NULL);
                return -1;
        }
        char accept[29];
        ws_accept_key(key, accept);
        const char *headers[] = {"Connection",
                                 "Upgrade",
                                 "Upgrade",
                                 "websocket",
                                 "Sec-WebSocket-Accept",
                                 accept,
                                 offered ? "Sec-WebSocket-Protocol" : NULL,
                                 u->proto->name,
                                 NULL};
        AUTOFREE char *head = http_format_response(101, "Switching Protocols", headers);
        send_all(fd, head, strlen(head));
        return 0;
}

/* "/exec/TOKEN" and the like: the kind, and the token (pointing into path). */
static int route(const char *path, enum stream_kind *ret_kind, const char **ret_token) {
        static const struct {
                const char *prefix;
                enum stream_kind kind;
        } routes[] = {{"/exec/", STREAM_EXEC}, {"/attach/", STREAM_ATTACH}, {"/portforward/", STREAM_PORT_FORWARD}};
        for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
                size_t n = strlen(routes[i].prefix);
                if (strncmp(path, routes[i].prefix, n) == 0 && path[n] && !strchr(path + n, '/')) {
                        *ret_kind = routes[i].kind;
                        *ret_token = path + n;
                        return 0;
                }
        }
        return -1;
}

static const char *kind_name(enum stream_kind k) {
        return k == STREAM_EXEC     ? "exec in container"
               : k == STREAM_ATTACH ? "attach to container"
                                    : "port-forward to pod";
}

static void run_session(const struct conn_env *env, struct link *fd, struct stream_request *req,
                        const struct upgrade *u, struct bytes *rest) {
        struct sess s = {
                .fd = fd->fd,
                .link = fd,
                .in = *rest,
                .req = req,
                .rt = env->rt,
                .is_websocket = u->is_websocket,
                .is_base64 = u->proto->is_base64,
                .version = u->proto->version,
                .subprotocol = u->proto->name,
                .idle_timeout_ms = env->idle_timeout_ms,
                .what = xasprintf("%s %.12s (%s)", kind_name(req->kind), req->id, u->proto->name),
        };
        *rest = (struct bytes){0};
        if (u->is_websocket && strcmp(u->proto->name, PF_TUNNEL) == 0) {
                s.is_websocket = false; /* SPDY's rules, inside WebSocket messages */
                s.proto = &proto_tunnel;
                proto_tunnel_init(&s);
        } else if (u->is_websocket) {
                s.proto = &proto_ws;
                proto_ws_init(&s);
        } else {
                s.proto = &proto_spdy;
                proto_spdy_init(&s);
        }
        struct cric_error *err = NULL;
        int r = req->kind == STREAM_PORT_FORWARD ? portforward_init(&s, &err) : remotecommand_init(&s, &err);
        if (r < 0) {
                log_info("%s: %s", s.what, err->msg);
                cric_error_free(err);
                sess_finish(&s);
                s.is_done = true;
                sess_run(&s); /* flushes the goodbye */
        } else {
                log_debug("%s: session begins", s.what);
                sess_run(&s);
                log_debug("%s: session ends", s.what);
        }
        sess_clear(&s);
}

/* Reads the request and answers it; the session runs inside when it is an upgrade. */
static void serve_request(const struct conn_env *env, struct link *fd) {
        struct http_head h = {0};
        struct bytes rest = {0};
        if (read_head(fd, &h, &rest) < 0) {
                http_head_clear(&h);
                bytes_clear(&rest);
                return;
        }
        AUTOFREE char *path = http_target_path(h.target);
        enum stream_kind kind;
        const char *token = NULL;
        CLEANUP(stream_request_freep) struct stream_request *req = NULL;
        struct upgrade u = {0};
        bool is_ws = http_header_has_token(&h, "Upgrade", "websocket");
        bool is_spdy = http_header_has_token(&h, "Upgrade", "SPDY/3.1");
        if (strcmp(h.method, "GET") != 0 && strcmp(h.method, "POST") != 0)
                respond(fd, 405, "Method Not Allowed", "only GET and POST", NULL);
        else if (!path || route(path, &kind, &token) < 0 || !(req = token_cache_take(env->tokens, token)))
                respond(fd, 404, "Not Found", "unknown, used or expired streaming token", NULL);
        else if (req->kind != kind)
                respond(fd, 404, "Not Found", "unknown, used or expired streaming token", NULL);
        else if (!http_header_has_token(&h, "Connection", "upgrade") || (!is_ws && !is_spdy))
                respond(fd, 400, "Bad Request", "unable to upgrade: missing upgrade headers in request", NULL);
        else if ((is_ws ? negotiate_ws : negotiate_spdy)(fd, &h, kind, &u) == 0)
                run_session(env, fd, req, &u, &rest);
        http_head_clear(&h);
        bytes_clear(&rest);
}

void conn_serve(const struct conn_env *env, int fd) {
        struct timeval tv = {.tv_sec = 10};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)); /* the TLS handshake's bound */
        struct link l = {.fd = fd};
        if (env->tls) {
                SSL_CTX *ctx = tls_source_ctx(env->tls);
                struct cric_error *err = NULL;
                int r = link_accept_tls(&l, ctx, HEAD_WAIT_MS, &err);
                SSL_CTX_free(ctx);
                if (r < 0) {
                        cric_error_log_free(&err, "streaming server: connection refused");
                        link_end(&l);
                        return;
                }
        }
        serve_request(env, &l);
        link_end(&l);
}
