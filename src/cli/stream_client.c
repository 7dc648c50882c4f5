/* The WebSocket client of cricctl's exec, attach and port-forward (see stream_client.h).
 *
 * The handshake runs on a non-blocking socket under one deadline; afterwards the
 * caller's poll loop drives the connection. Incoming frames are parsed in place and
 * handed out in pieces, so a large message never sits whole in memory. */
#include "cli/stream_client.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "streaming/http.h"
#include "streaming/ws.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define READ_CHUNK       (64 * 1024)
#define KUBELET_URL_HOST "127.0.0.1:10250" /* crictl's default for a URL without a host */
#define ERROR_BODY_MAX   512

struct buf {
        uint8_t *data;
        size_t len, cap, off; /* data[off..len) is unread */
};

struct cli_ws {
        int fd;
        char *protocol;
        struct buf in, out;
        size_t consume_next; /* bytes of `in` the last DATA event handed out */
        /* the frame being read */
        bool in_frame;
        struct ws_frame_head h;
        uint64_t got;
        /* the message being read */
        bool in_message, has_channel;
        uint8_t channel;
        bool is_close_sent;
};

/* ---- buffers ---- */

static size_t buf_avail(const struct buf *b) {
        return b->len - b->off;
}

static void buf_consume(struct buf *b, size_t n) {
        b->off += n;
        if (b->off >= b->len)
                b->off = b->len = 0;
}

/* Room for n more bytes at the end; returns where they go (the caller fills them). */
static uint8_t *buf_extend(struct buf *b, size_t n) {
        if (b->off > 0 && b->off >= b->cap / 2) {
                memmove(b->data, b->data + b->off, b->len - b->off);
                b->len -= b->off;
                b->off = 0;
        }
        b->data = xgrow(b->data, &b->cap, b->len + n, 1);
        uint8_t *p = b->data + b->len;
        b->len += n;
        return p;
}

static void buf_clear(struct buf *b) {
        free(b->data);
        *b = (struct buf){0};
}

static int wait_fd(int fd, short events, int64_t deadline, struct cric_error **err) {
        for (;;) {
                struct pollfd p = {.fd = fd, .events = events};
                int r = poll(&p, 1, clock_poll_left(deadline));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "poll");
                if (r == 0 && deadline && clock_mono_ms() >= deadline)
                        return cric_error_set(err, CRIC_E_TIMEOUT, "timed out");
                if (r > 0)
                        return 0;
        }
}

/* ---- the URL ---- */

struct url {
        char *host, *port, *target, *authority;
};

static void url_clear(struct url *u) {
        free(u->host);
        free(u->port);
        free(u->target);
        free(u->authority);
        *u = (struct url){0};
}

static int url_parse(const char *url, struct url *ret, struct cric_error **err) {
        AUTOFREE char *full = url[0] == '/' ? xasprintf("http://%s%s", KUBELET_URL_HOST, url) : xstrdup(url);
        if (!strncasecmp(full, "https://", 8))
                return cric_error_set(err, CRIC_E_UNIMPLEMENTED, "streaming URL %s: https is not supported", url);
        if (strncasecmp(full, "http://", 7) != 0)
                return cric_error_set(err, CRIC_E_INVALID, "streaming URL \"%s\" is not an http:// URL", url);
        const char *auth = full + 7, *slash = strchr(auth, '/');
        size_t auth_len = slash ? (size_t) (slash - auth) : strlen(auth);
        AUTOFREE char *a = xstrndup(auth, auth_len);
        char *host = a, *port = NULL;
        if (a[0] == '[') { /* [IPv6]:port */
                char *close = strchr(a, ']');
                if (!close || (close[1] && close[1] != ':'))
                        return cric_error_set(err, CRIC_E_INVALID, "streaming URL \"%s\": bad host", url);
                *close = '\0';
                host = a + 1;
                port = close[1] ? close + 2 : NULL;
        } else if ((port = strchr(a, ':'))) {
                *port++ = '\0';
        }
        if (!*host || (port && !*port))
                return cric_error_set(err, CRIC_E_INVALID, "streaming URL \"%s\": bad host or port", url);
        *ret = (struct url){
                .host = xstrdup(host),
                .port = xstrdup(port ? port : "80"),
                .target = xstrdup(slash ? slash : "/"),
                .authority = xstrndup(auth, auth_len),
        };
        return 0;
}

/* ---- connecting ---- */

static int connect_addr(const struct addrinfo *ai, int64_t deadline, struct cric_error **err) {
        AUTOCLOSE int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "socket");
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
                if (errno != EINPROGRESS)
                        return cric_error_errno(err, CRIC_E_UNAVAILABLE, errno, "connect");
                if (wait_fd(fd, POLLOUT, deadline, err) < 0)
                        return cric_error_prefix(err, "connect");
                int soerr = 0;
                socklen_t len = sizeof(soerr);
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
                if (soerr)
                        return cric_error_errno(err, CRIC_E_UNAVAILABLE, soerr, "connect");
        }
        return STEAL_FD(fd);
}

static int dial(const struct url *u, int64_t deadline, struct cric_error **err) {
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *res = NULL;
        int r = getaddrinfo(u->host, u->port, &hints, &res);
        if (r != 0)
                return cric_error_set(err, CRIC_E_UNAVAILABLE, "dial %s: %s", u->authority, gai_strerror(r));
        int fd = -1;
        for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
                cric_error_freep(err); /* only the last address's failure is told */
                fd = connect_addr(ai, deadline, err);
        }
        freeaddrinfo(res);
        if (fd < 0)
                return cric_error_prefix(err, "dial tcp %s", u->authority);
        int one = 1; /* keys typed on a terminal go out one by one, not after Nagle's wait */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        return fd;
}

static int send_all(int fd, const char *data, size_t len, int64_t deadline, struct cric_error **err) {
        while (len > 0) {
                ssize_t w = send(fd, data, len, MSG_NOSIGNAL);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                        if (wait_fd(fd, POLLOUT, deadline, err) < 0)
                                return -1;
                        continue;
                }
                if (w < 0)
                        return cric_error_errno(err, CRIC_E_UNAVAILABLE, errno, "send");
                data += w;
                len -= (size_t) w;
        }
        return 0;
}

/* ---- the handshake ---- */

static void random_bytes(uint8_t *p, size_t n) {
        while (n > 0) {
                ssize_t r = getrandom(p, n, 0);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0) { /* no entropy source: a mask need not be secret here */
                        for (size_t i = 0; i < n; i++)
                                p[i] = (uint8_t) (rand() & 0xff);
                        return;
                }
                p += r;
                n -= (size_t) r;
        }
}

static void new_key(char out[25]) {
        uint8_t raw[16];
        random_bytes(raw, sizeof(raw));
        EVP_EncodeBlock((unsigned char *) out, raw, (int) sizeof(raw));
}

static char *upgrade_request(const struct url *u, const char *key, const char *const *protocols) {
        AUTOFREE char *offer = strv_join((char *const *) protocols, ", ");
        return xasprintf("GET %s HTTP/1.1\r\n"
                         "Host: %s\r\n"
                         "User-Agent: cricctl/%s\r\n"
                         "Upgrade: websocket\r\n"
                         "Connection: Upgrade\r\n"
                         "Sec-WebSocket-Key: %s\r\n"
                         "Sec-WebSocket-Version: 13\r\n"
                         "Sec-WebSocket-Protocol: %s\r\n"
                         "\r\n",
                         u->target, u->authority, CRIC_VERSION, key, offer ? offer : "");
}

/* Reads the answer's head into h; what follows it stays in w->in. */
static int read_answer(struct cli_ws *w, struct http_head *h, int64_t deadline, struct cric_error **err) {
        for (;;) {
                ssize_t n = 0;
                if (buf_avail(&w->in) > 0)
                        n = http_parse_response((const char *) w->in.data + w->in.off, buf_avail(&w->in), h, err);
                if (n > 0) {
                        buf_consume(&w->in, (size_t) n);
                        return 0;
                }
                if (n < 0)
                        return cric_error_prefix(err, "upgrade answer");
                if (wait_fd(w->fd, POLLIN, deadline, err) < 0)
                        return cric_error_prefix(err, "waiting for the upgrade answer");
                uint8_t *p = buf_extend(&w->in, READ_CHUNK);
                ssize_t r = recv(w->fd, p, READ_CHUNK, 0);
                w->in.len -= READ_CHUNK - (r > 0 ? (size_t) r : 0);
                if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
                        continue;
                if (r < 0)
                        return cric_error_errno(err, CRIC_E_UNAVAILABLE, errno, "reading the upgrade answer");
                if (r == 0)
                        return cric_error_set(err, CRIC_E_UNAVAILABLE,
                                              "the server closed the connection before answering the upgrade");
        }
}

/* A refusal: the status line and the start of the body (what the server says why). */
static int refused(struct cli_ws *w, const struct http_head *h, int64_t deadline, struct cric_error **err) {
        const char *cl = http_header_get(h, "Content-Length");
        size_t want = cl ? (size_t) strtoul(cl, NULL, 10) : 0;
        want = want > ERROR_BODY_MAX ? ERROR_BODY_MAX : want;
        while (buf_avail(&w->in) < want && wait_fd(w->fd, POLLIN, deadline, NULL) == 0) {
                uint8_t *p = buf_extend(&w->in, READ_CHUNK);
                ssize_t r = recv(w->fd, p, READ_CHUNK, 0);
                w->in.len -= READ_CHUNK - (r > 0 ? (size_t) r : 0);
                if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
                        break;
        }
        size_t n = buf_avail(&w->in) < ERROR_BODY_MAX ? buf_avail(&w->in) : ERROR_BODY_MAX;
        AUTOFREE char *body = xstrndup((const char *) w->in.data + w->in.off, n);
        body[strcspn(body, "\r\n")] = '\0';
        return cric_error_set(err, CRIC_E_INTERNAL, "upgrade refused: %d %s%s%s", h->status, h->reason ? h->reason : "",
                              *body ? ": " : "", body);
}

static int check_answer(struct cli_ws *w, const struct http_head *h, const char *key, const char *const *protocols,
                        struct cric_error **err) {
        if (!http_header_has_token(h, "Upgrade", "websocket") || !http_header_has_token(h, "Connection", "upgrade"))
                return cric_error_set(err, CRIC_E_INTERNAL, "upgrade answer without Upgrade: websocket");
        char expect[29];
        ws_accept_key(key, expect);
        const char *accept = http_header_get(h, "Sec-WebSocket-Accept");
        if (!accept || strcmp(accept, expect) != 0)
                return cric_error_set(err, CRIC_E_INTERNAL, "upgrade answer: Sec-WebSocket-Accept \"%s\", expected %s",
                                      accept ? accept : "", expect);
        const char *proto = http_header_get(h, "Sec-WebSocket-Protocol");
        for (const char *const *p = protocols; proto && *p; p++) {
                if (!strcmp(proto, *p)) {
                        w->protocol = xstrdup(proto);
                        return 0;
                }
        }
        return cric_error_set(err, CRIC_E_INTERNAL, "upgrade answer: subprotocol \"%s\" was not offered",
                              proto ? proto : "(none)");
}

static int handshake(struct cli_ws *w, const struct url *u, const char *const *protocols, int64_t deadline,
                     struct cric_error **err) {
        char key[25];
        new_key(key);
        AUTOFREE char *req = upgrade_request(u, key, protocols);
        if (send_all(w->fd, req, strlen(req), deadline, err) < 0)
                return cric_error_prefix(err, "sending the upgrade request");
        struct http_head h = {0};
        int r = read_answer(w, &h, deadline, err);
        if (r == 0 && h.status != 101)
                r = refused(w, &h, deadline, err);
        else if (r == 0)
                r = check_answer(w, &h, key, protocols, err);
        http_head_clear(&h);
        return r;
}

int cli_ws_connect(const char *url, const char *const *protocols, int64_t timeout_ms, struct cli_ws **ret,
                   struct cric_error **err) {
        struct url u = {0};
        if (url_parse(url, &u, err) < 0)
                return -1;
        int64_t deadline = timeout_ms > 0 ? clock_mono_ms() + timeout_ms : 0;
        CLEANUP(cli_ws_freep) struct cli_ws *w = xzalloc(sizeof(*w));
        w->fd = dial(&u, deadline, err);
        int r = w->fd < 0 ? -1 : handshake(w, &u, protocols, deadline, err);
        url_clear(&u);
        if (r < 0)
                return -1;
        *ret = STEAL_PTR(w);
        return 0;
}

struct cli_ws *cli_ws_free(struct cli_ws *w) {
        if (!w)
                return NULL;
        if (w->fd >= 0)
                close(w->fd);
        buf_clear(&w->in);
        buf_clear(&w->out);
        free(w->protocol);
        free(w);
        return NULL;
}

void cli_ws_freep(struct cli_ws **w) {
        *w = cli_ws_free(*w);
}

int cli_ws_fd(const struct cli_ws *w) {
        return w->fd;
}

const char *cli_ws_protocol(const struct cli_ws *w) {
        return w->protocol;
}

/* ---- sending ---- */

static void queue_frame(struct cli_ws *w, uint8_t opcode, const uint8_t *prefix, size_t prefix_len, const void *data,
                        size_t len) {
        uint8_t mask[4], head[WS_HEAD_MAX];
        random_bytes(mask, sizeof(mask));
        size_t n = ws_format_head(head, true, opcode, prefix_len + len, mask);
        uint8_t *p = buf_extend(&w->out, n + prefix_len + len);
        memcpy(p, head, n);
        if (prefix_len)
                memcpy(p + n, prefix, prefix_len);
        if (len)
                memcpy(p + n + prefix_len, data, len);
        ws_mask(p + n, prefix_len + len, mask, 0);
}

void cli_ws_send(struct cli_ws *w, uint8_t channel, const void *buf, size_t len) {
        if (!w->is_close_sent)
                queue_frame(w, WS_OP_BINARY, &channel, 1, buf, len);
}

void cli_ws_close(struct cli_ws *w, uint16_t code) {
        if (w->is_close_sent)
                return;
        uint8_t payload[125];
        size_t n = ws_format_close(payload, code, "");
        queue_frame(w, WS_OP_CLOSE, NULL, 0, payload, n);
        w->is_close_sent = true;
}

bool cli_ws_is_close_sent(const struct cli_ws *w) {
        return w->is_close_sent;
}

size_t cli_ws_pending(const struct cli_ws *w) {
        return buf_avail(&w->out);
}

int cli_ws_flush(struct cli_ws *w, struct cric_error **err) {
        while (buf_avail(&w->out) > 0) {
                ssize_t r = send(w->fd, w->out.data + w->out.off, buf_avail(&w->out), MSG_NOSIGNAL | MSG_DONTWAIT);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return 0;
                if (r < 0)
                        return cric_error_errno(err, CRIC_E_UNAVAILABLE, errno, "streaming connection: send");
                buf_consume(&w->out, (size_t) r);
        }
        return 0;
}

void cli_ws_flush_wait(struct cli_ws *w, int64_t timeout_ms) {
        int64_t deadline = clock_mono_ms() + timeout_ms;
        while (buf_avail(&w->out) > 0) {
                if (cli_ws_flush(w, NULL) < 0 ||
                    (buf_avail(&w->out) > 0 && wait_fd(w->fd, POLLOUT, deadline, NULL) < 0))
                        return;
        }
}

/* ---- receiving ---- */

int cli_ws_recv(struct cli_ws *w, struct cric_error **err) {
        buf_consume(&w->in, w->consume_next);
        w->consume_next = 0;
        uint8_t *p = buf_extend(&w->in, READ_CHUNK);
        ssize_t r = recv(w->fd, p, READ_CHUNK, MSG_DONTWAIT);
        w->in.len -= READ_CHUNK - (r > 0 ? (size_t) r : 0);
        if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
                return 1;
        if (r < 0)
                return cric_error_errno(err, CRIC_E_UNAVAILABLE, errno, "streaming connection: recv");
        return r > 0 ? 1 : 0;
}

/* A whole control frame: pings are answered, a close is an event. */
static int control_frame(struct cli_ws *w, uint8_t *p, size_t n, struct cli_ws_event *ev, struct cric_error **err) {
        if (w->h.opcode == WS_OP_PING) {
                if (!w->is_close_sent)
                        queue_frame(w, WS_OP_PONG, NULL, 0, p, n);
                return 0;
        }
        if (w->h.opcode == WS_OP_PONG)
                return 0;
        uint16_t code = 0;
        if (ws_parse_close(p, n, &code, err) < 0)
                return cric_error_prefix(err, "streaming connection");
        cli_ws_close(w, code == 1005 ? WS_CLOSE_NORMAL : code);
        *ev = (struct cli_ws_event){.kind = CLI_WS_CLOSE, .close_code = code};
        return 1;
}

/* A frame head was read: does it fit the sequence of messages? */
static int begin_frame(struct cli_ws *w, struct cric_error **err) {
        uint8_t op = w->h.opcode;
        if (op >= WS_OP_CLOSE)
                return 0;
        if (op == WS_OP_TEXT)
                return cric_error_set(err, CRIC_E_INVALID, "streaming connection: unexpected text message");
        if (op == WS_OP_CONT && !w->in_message)
                return cric_error_set(err, CRIC_E_INVALID, "streaming connection: continuation outside a message");
        if (op == WS_OP_BINARY && w->in_message)
                return cric_error_set(err, CRIC_E_INVALID, "streaming connection: a message began inside another");
        if (op == WS_OP_BINARY) {
                w->in_message = true;
                w->has_channel = false;
        }
        return 0;
}

/* The data frame's payload is all read: 1 with an END event when it ended a message. */
static int end_frame(struct cli_ws *w, struct cli_ws_event *ev) {
        w->in_frame = false;
        if (!w->h.fin)
                return 0;
        w->in_message = false;
        if (!w->has_channel)
                return 0; /* an empty message names no channel: nothing to tell */
        *ev = (struct cli_ws_event){.kind = CLI_WS_END, .channel = w->channel};
        return 1;
}

/* One step of the parser: 1 with an event, 0 when it needs more bytes, 2 to go on. */
static int step(struct cli_ws *w, struct cli_ws_event *ev, struct cric_error **err) {
        size_t avail = buf_avail(&w->in);
        uint8_t *p = avail ? w->in.data + w->in.off : NULL;
        if (!w->in_frame) {
                int r = ws_parse_head(p, avail, false, &w->h, err);
                if (r <= 0)
                        return r < 0 ? cric_error_prefix(err, "streaming connection") : 0;
                buf_consume(&w->in, w->h.head_len);
                w->in_frame = true;
                w->got = 0;
                return begin_frame(w, err) < 0 ? -1 : 2;
        }
        uint64_t remaining = w->h.payload_len - w->got;
        if (w->h.opcode >= WS_OP_CLOSE) {
                if (avail < remaining)
                        return 0;
                uint8_t ctrl[125];
                memcpy(ctrl, p, remaining);
                buf_consume(&w->in, remaining);
                w->in_frame = false;
                int r = control_frame(w, ctrl, remaining, ev, err);
                return r == 0 ? 2 : r;
        }
        if (remaining == 0)
                return end_frame(w, ev) ? 1 : 2;
        if (avail == 0)
                return 0;
        size_t take = avail < remaining ? avail : (size_t) remaining;
        if (!w->has_channel) {
                w->has_channel = true;
                w->channel = p[0];
                buf_consume(&w->in, 1);
                w->got++;
                return 2;
        }
        w->got += take;
        w->consume_next = take;
        *ev = (struct cli_ws_event){.kind = CLI_WS_DATA, .channel = w->channel, .data = p, .len = take};
        return 1;
}

int cli_ws_next(struct cli_ws *w, struct cli_ws_event *ev, struct cric_error **err) {
        buf_consume(&w->in, w->consume_next);
        w->consume_next = 0;
        for (;;) {
                int r = step(w, ev, err);
                if (r != 2)
                        return r;
        }
}
