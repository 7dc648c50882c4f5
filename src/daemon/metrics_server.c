/* The metrics endpoint: listeners, connections, and the three answers (200, 404, 405). */
#include "daemon/metrics_server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "metrics/metrics.h"
#include "streaming/http.h"
#include "streaming/connset.h"
#include "streaming/link.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"

struct metrics_server {
        int tcp_fd, unix_fd, wake_fd;
        char *socket_path;
        struct tls_source *tls;
        struct metrics_registry *reg;
        pthread_t accept_thread;
        bool accept_started;
        struct connset conns;
};

struct conn {
        struct metrics_server *srv;
        struct link link;
        bool is_tls;
        char buf[HTTP_HEAD_MAX];
        size_t len;
};

/* ---- one connection ---- */

/* Waits until fd is ready for events, at most until deadline; false on timeout or error. */
static bool wait_fd(int fd, short events, int64_t deadline) {
        for (;;) {
                int64_t left = deadline - clock_mono_ms();
                if (left <= 0)
                        return false;
                struct pollfd p = {.fd = fd, .events = events};
                int r = poll(&p, 1, (int) left);
                if (r > 0)
                        return true;
                if (r < 0 && errno != EINTR)
                        return false;
        }
}

static bool send_all(struct conn *c, const char *data, size_t len) {
        int64_t deadline = clock_mono_ms() + METRICS_IO_TIMEOUT_MS;
        while (len > 0) {
                ssize_t n = link_send(&c->link, data, len);
                if (n > 0) {
                        data += n, len -= (size_t) n;
                        deadline = clock_mono_ms() + METRICS_IO_TIMEOUT_MS; /* progress: more time */
                        continue;
                }
                if (n < 0 && (errno == EAGAIN || errno == EINTR) && wait_fd(c->link.fd, POLLOUT, deadline))
                        continue;
                return false;
        }
        return true;
}

static bool reply(struct conn *c, int status, const char *reason, const char *body, size_t body_len, bool is_head,
                  bool keep_alive, const char *allow) {
        char length[32];
        snprintf(length, sizeof(length), "%zu", body_len);
        const char *headers[] = {
                "Content-Type",
                status == 200 ? METRICS_CONTENT_TYPE : "text/plain; charset=utf-8",
                "Content-Length",
                length,
                "Connection",
                keep_alive ? "keep-alive" : "close",
                allow ? "Allow" : NULL,
                allow,
                NULL,
        };
        AUTOFREE char *head = http_format_response(status, reason, headers);
        return send_all(c, head, strlen(head)) && (is_head || send_all(c, body, body_len));
}

static bool has_body(const struct http_head *h) {
        const char *cl = http_header_get(h, "Content-Length");
        return http_header_get(h, "Transfer-Encoding") || (cl && strcmp(cl, "0"));
}

/* Answers one request; false when the connection ends after it. */
static bool handle(struct conn *c, const struct http_head *h) {
        bool keep_alive = h->minor_version >= 1 ? !http_header_has_token(h, "Connection", "close")
                                                : http_header_has_token(h, "Connection", "keep-alive");
        if (has_body(h)) /* bodies are not read: the next request could not be found */
                keep_alive = false;
        AUTOFREE char *path = http_target_path(h->target);
        bool is_head = !strcmp(h->method, "HEAD");
        bool ok;
        if (!path || strcmp(path, "/metrics")) {
                static const char msg[] = "404 page not found\n";
                ok = reply(c, 404, "Not Found", msg, sizeof(msg) - 1, is_head, keep_alive, NULL);
        } else if (strcmp(h->method, "GET") && !is_head) {
                static const char msg[] = "405 method not allowed\n";
                ok = reply(c, 405, "Method Not Allowed", msg, sizeof(msg) - 1, false, keep_alive, "GET, HEAD");
        } else {
                size_t len;
                AUTOFREE char *body = metrics_registry_encode(c->srv->reg, &len);
                ok = reply(c, 200, "OK", body, len, is_head, keep_alive, NULL);
        }
        return ok && keep_alive;
}

/* Reads more of the next request; false at the end, on an error or a timeout. */
static bool receive(struct conn *c) {
        int64_t deadline = clock_mono_ms() + METRICS_IO_TIMEOUT_MS;
        for (;;) {
                ssize_t n = link_recv(&c->link, c->buf + c->len, sizeof(c->buf) - c->len);
                if (n > 0) {
                        c->len += (size_t) n;
                        return true;
                }
                if (n == 0 || (errno != EAGAIN && errno != EINTR))
                        return false;
                if (!link_pending(&c->link) && !wait_fd(c->link.fd, POLLIN, deadline))
                        return false;
        }
}

/* After refusing a request: reads and drops what the client still sends for a moment, so
 * closing with unread bytes does not reset the connection before it read the answer. */
static void drain(struct conn *c) {
        if (!c->link.ssl)
                shutdown(c->link.fd, SHUT_WR);
        int64_t deadline = clock_mono_ms() + 1000;
        char buf[4096];
        for (size_t total = 0; total < 1024 * 1024;) {
                ssize_t n = link_recv(&c->link, buf, sizeof(buf));
                if (n > 0)
                        total += (size_t) n;
                else if (n == 0 || (errno != EAGAIN && errno != EINTR) || !wait_fd(c->link.fd, POLLIN, deadline))
                        return;
        }
}

static void serve(struct conn *c) {
        for (;;) {
                struct http_head h = {0};
                CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                ssize_t r = c->len ? http_parse_request(c->buf, c->len, &h, &err) : 0;
                if (r < 0) {
                        log_debug("metrics: bad request: %s", err->msg);
                        static const char msg[] = "400 bad request\n";
                        if (reply(c, 400, "Bad Request", msg, sizeof(msg) - 1, false, false, NULL))
                                drain(c);
                        return;
                }
                if (r == 0) {
                        if (!receive(c))
                                return;
                        continue;
                }
                bool more = handle(c, &h);
                http_head_clear(&h);
                if (!more)
                        return;
                memmove(c->buf, c->buf + r, c->len - (size_t) r);
                c->len -= (size_t) r;
        }
}

static void *conn_thread(void *arg) {
        struct conn *c = arg;
        int fd = c->link.fd;
        bool ok = true;
        if (c->is_tls) {
                CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                SSL_CTX *ctx = tls_source_ctx(c->srv->tls);
                ok = ctx && link_accept_tls(&c->link, ctx, METRICS_IO_TIMEOUT_MS, &err) == 0;
                if (!ok && err)
                        log_debug("metrics: %s", err->msg);
                SSL_CTX_free(ctx);
        }
        if (ok) {
                fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
                serve(c);
        }
        link_end(&c->link);
        connset_done(&c->srv->conns, fd);
        close(fd);
        free(c);
        return NULL;
}

static void start_conn(struct metrics_server *s, int fd, bool is_tls) {
        struct conn *c = xzalloc(sizeof(*c));
        c->srv = s;
        c->link.fd = fd;
        c->is_tls = is_tls;
        if (!connset_start(&s->conns, fd, conn_thread, c))
                free(c);
}

/* ---- listeners ---- */

static void *accept_thread(void *arg) {
        struct metrics_server *s = arg;
        for (;;) {
                struct pollfd p[3] = {{.fd = s->wake_fd, .events = POLLIN},
                                      {.fd = s->tcp_fd, .events = POLLIN},
                                      {.fd = s->unix_fd, .events = POLLIN}};
                if (poll(p, 3, -1) < 0 && errno != EINTR)
                        break;
                if (p[0].revents)
                        break;
                for (size_t i = 1; i < 3; i++) {
                        if (!(p[i].revents & POLLIN))
                                continue;
                        int fd = accept4(p[i].fd, NULL, NULL, SOCK_CLOEXEC);
                        if (fd >= 0) {
                                start_conn(s, fd, i == 1 && s->tls);
                        } else if (errno == EMFILE || errno == ENFILE) { /* the listener stays readable: pause */
                                log_warn("metrics: accept: %s", strerror(errno));
                                poll(NULL, 0, 100);
                        }
                }
        }
        return NULL;
}

static int listen_tcp(const char *host, int64_t port, int *ret_fd, struct cric_error **err) {
        char serv[16];
        snprintf(serv, sizeof(serv), "%lld", (long long) port);
        struct addrinfo hints = {.ai_family = AF_UNSPEC,
                                 .ai_socktype = SOCK_STREAM,
                                 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE};
        struct addrinfo *ai = NULL;
        int r = getaddrinfo(host, serv, &hints, &ai);
        if (r != 0)
                return cric_error_set(err, CRIC_E_INVALID, "metrics: address %s port %s: %s", host, serv,
                                      gai_strerror(r));
        AUTOCLOSE int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        if (fd >= 0)
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0) {
                int e = errno;
                freeaddrinfo(ai);
                return cric_error_errno(err, CRIC_E_UNAVAILABLE, e, "metrics: cannot listen on %s:%s", host, serv);
        }
        freeaddrinfo(ai);
        *ret_fd = STEAL_FD(fd);
        return 0;
}

static int listen_unix(const char *path, int *ret_fd, struct cric_error **err) {
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(addr.sun_path))
                return cric_error_set(err, CRIC_E_INVALID, "metrics: socket path %s is too long", path);
        strcpy(addr.sun_path, path);
        struct stat st;
        if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
                return cric_error_set(err, CRIC_E_PRECONDITION, "metrics: %s exists and is not a socket", path);
        if (unlink(path) < 0 && errno != ENOENT)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "metrics: remove stale socket %s", path);
        AUTOCLOSE int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "metrics: socket");
        mode_t old = umask(0117); /* no window where the socket is open to everyone */
        int r = bind(fd, (struct sockaddr *) &addr, sizeof(addr));
        umask(old);
        if (r < 0 || listen(fd, 64) < 0)
                return cric_error_errno(err, CRIC_E_UNAVAILABLE, errno, "metrics: cannot listen on %s", path);
        *ret_fd = STEAL_FD(fd);
        return 0;
}

static int bind_all(struct metrics_server *s, const struct metrics_server_opts *o, struct cric_error **err) {
        bool has_tcp = o->host && *o->host, has_unix = o->socket_path && *o->socket_path;
        if (!has_tcp && !has_unix)
                return cric_error_set(err, CRIC_E_INVALID, "metrics: neither metrics_host nor metrics_socket is set");
        if (o->cert && *o->cert && o->key && *o->key && tls_source_new(o->cert, o->key, NULL, &s->tls, err) < 0)
                return cric_error_prefix(err, "metrics");
        if (has_tcp && listen_tcp(o->host, o->port, &s->tcp_fd, err) < 0)
                return -1;
        if (has_unix) {
                if (listen_unix(o->socket_path, &s->unix_fd, err) < 0)
                        return -1;
                s->socket_path = xstrdup(o->socket_path);
        }
        return 0;
}

int metrics_server_start(const struct metrics_server_opts *o, struct metrics_registry *reg, struct metrics_server **ret,
                         struct cric_error **err) {
        struct metrics_server *s = xzalloc(sizeof(*s));
        s->tcp_fd = s->unix_fd = -1;
        s->reg = reg;
        connset_init(&s->conns, "metrics", METRICS_MAX_CONNS);
        s->wake_fd = eventfd(0, EFD_CLOEXEC);
        if (bind_all(s, o, err) < 0) {
                metrics_server_stop(s);
                return -1;
        }
        int r = pthread_create(&s->accept_thread, NULL, accept_thread, s);
        if (r != 0) {
                metrics_server_stop(s);
                return cric_error_errno(err, CRIC_E_INTERNAL, r, "metrics: thread");
        }
        s->accept_started = true;
        if (s->tcp_fd >= 0)
                log_info("metrics on %s://%s:%lld/metrics", s->tls ? "https" : "http", o->host, (long long) o->port);
        if (s->socket_path)
                log_info("metrics on unix://%s", s->socket_path);
        *ret = s;
        return 0;
}

struct metrics_server *metrics_server_stop(struct metrics_server *s) {
        if (!s)
                return NULL;
        if (s->accept_started) {
                uint64_t one = 1;
                if (write(s->wake_fd, &one, sizeof(one)) < 0)
                        log_warn("metrics: wake: %s", strerror(errno));
                pthread_join(s->accept_thread, NULL);
        }
        connset_stop(&s->conns);
        if (s->tcp_fd >= 0)
                close(s->tcp_fd);
        if (s->unix_fd >= 0)
                close(s->unix_fd);
        if (s->socket_path && unlink(s->socket_path) < 0 && errno != ENOENT)
                log_warn("metrics: cannot remove %s: %s", s->socket_path, strerror(errno));
        if (s->wake_fd >= 0)
                close(s->wake_fd);
        tls_source_free(s->tls);
        connset_destroy(&s->conns);
        free(s->socket_path);
        free(s);
        return NULL;
}
