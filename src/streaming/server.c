/* The listener: an accept thread, and one detached thread per connection (conn.c). */
#include "streaming/server.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "streaming/conn.h"
#include "streaming/connset.h"
#include "streaming/link.h"
#include "streaming/tokens.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

struct stream_server {
        int listen_fd, wake_fd;
        char *base_url;
        struct token_cache *tokens;
        struct tls_source *tls;
        struct runtime *rt;
        int64_t idle_timeout_ms;
        pthread_t accept_thread;
        struct connset conns;
};

struct conn_job {
        struct stream_server *srv;
        int fd;
};

static void *conn_thread(void *arg) {
        struct conn_job job = *(struct conn_job *) arg;
        free(arg);
        struct conn_env env = {
                .tokens = job.srv->tokens,
                .rt = job.srv->rt,
                .idle_timeout_ms = job.srv->idle_timeout_ms,
                .tls = job.srv->tls,
        };
        conn_serve(&env, job.fd);
        connset_done(&job.srv->conns, job.fd);
        close(job.fd);
        return NULL;
}

static void start_conn(struct stream_server *s, int fd) {
        /* Small frames (a first DATA frame, a status) must not wait for the client's
         * delayed ACK: without this, SPDY attach saw its first byte after ~40 ms. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct conn_job *job = xmalloc(sizeof(*job));
        *job = (struct conn_job){.srv = s, .fd = fd};
        if (!connset_start(&s->conns, fd, conn_thread, job))
                free(job);
}

static void *accept_thread(void *arg) {
        struct stream_server *s = arg;
        for (;;) {
                struct pollfd p[2] = {{.fd = s->listen_fd, .events = POLLIN}, {.fd = s->wake_fd, .events = POLLIN}};
                if (poll(p, 2, -1) < 0 && errno != EINTR)
                        break;
                if (p[1].revents)
                        break;
                if (!(p[0].revents & POLLIN))
                        continue;
                int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno == EMFILE || errno == ENFILE) { /* the listener stays readable: pause */
                                log_warn("streaming server: accept: %s", strerror(errno));
                                poll(NULL, 0, 100);
                        }
                        continue;
                }
                start_conn(s, fd);
        }
        return NULL;
}

static int listen_on(const char *address, const char *port, const char *scheme, int *ret_fd, char **ret_url,
                     struct cric_error **err) {
        struct addrinfo hints = {.ai_family = AF_UNSPEC,
                                 .ai_socktype = SOCK_STREAM,
                                 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE};
        struct addrinfo *ai = NULL;
        int r = getaddrinfo(address, port, &hints, &ai);
        if (r != 0)
                return cric_error_set(err, CRIC_E_INVALID, "streaming server: address %s port %s: %s", address, port,
                                      gai_strerror(r));
        AUTOCLOSE int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        if (fd >= 0)
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0) {
                int e = errno;
                freeaddrinfo(ai);
                return cric_error_errno(err, CRIC_E_UNAVAILABLE, e, "streaming server: cannot listen on %s:%s", address,
                                        port);
        }
        freeaddrinfo(ai);
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        char host[NI_MAXHOST], serv[NI_MAXSERV];
        if (getsockname(fd, (struct sockaddr *) &ss, &len) < 0 ||
            getnameinfo((struct sockaddr *) &ss, len, host, sizeof(host), serv, sizeof(serv),
                        NI_NUMERICHOST | NI_NUMERICSERV) != 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "streaming server: getsockname");
        *ret_url = xasprintf(ss.ss_family == AF_INET6 ? "%s://[%s]:%s" : "%s://%s:%s", scheme, host, serv);
        *ret_fd = STEAL_FD(fd);
        return 0;
}

int stream_server_start(const struct stream_server_opts *o, struct runtime *rt, struct stream_server **ret,
                        struct cric_error **err) {
        struct stream_server *s = xzalloc(sizeof(*s));
        s->listen_fd = s->wake_fd = -1;
        if (o->enable_tls && tls_source_new(o->tls_cert, o->tls_key, o->tls_ca, &s->tls, err) < 0) {
                free(s);
                return cric_error_prefix(err, "streaming server");
        }
        if (listen_on(o->address, o->port, o->enable_tls ? "https" : "http", &s->listen_fd, &s->base_url, err) < 0) {
                tls_source_free(s->tls);
                free(s);
                return -1;
        }
        s->wake_fd = eventfd(0, EFD_CLOEXEC);
        s->rt = rt;
        s->idle_timeout_ms = o->idle_timeout_ms;
        s->tokens = token_cache_new(STREAM_MAX_TOKENS, o->token_ttl_ms > 0 ? o->token_ttl_ms : STREAM_TOKEN_TTL_MS);
        connset_init(&s->conns, "streaming server", STREAM_MAX_CONNS);
        int r = pthread_create(&s->accept_thread, NULL, accept_thread, s);
        if (r != 0) {
                cric_error_errno(err, CRIC_E_INTERNAL, r, "streaming server: thread");
                s->accept_thread = 0;
                stream_server_stop(s);
                return -1;
        }
        log_info("streaming server on %s", s->base_url);
        *ret = s;
        return 0;
}

const char *stream_server_base_url(const struct stream_server *s) {
        return s->base_url;
}

static const char *kind_path(enum stream_kind k) {
        return k == STREAM_EXEC ? "exec" : k == STREAM_ATTACH ? "attach" : "portforward";
}

int stream_server_url(struct stream_server *s, struct stream_request *req, char **ret_url, struct cric_error **err) {
        char token[STREAM_TOKEN_LEN + 1];
        enum stream_kind kind = req->kind;
        if (token_cache_put(s->tokens, req, token, err) < 0)
                return -1;
        *ret_url = xasprintf("%s/%s/%s", s->base_url, kind_path(kind), token);
        return 0;
}

struct stream_server *stream_server_stop(struct stream_server *s) {
        if (!s)
                return NULL;
        uint64_t one = 1;
        if (s->accept_thread) {
                if (write(s->wake_fd, &one, sizeof(one)) < 0)
                        log_warn("streaming server: wake: %s", strerror(errno));
                pthread_join(s->accept_thread, NULL);
        }
        connset_stop(&s->conns); /* each session sees its client gone and ends */
        if (s->listen_fd >= 0)
                close(s->listen_fd);
        if (s->wake_fd >= 0)
                close(s->wake_fd);
        token_cache_free(s->tokens);
        tls_source_free(s->tls);
        connset_destroy(&s->conns);
        free(s->base_url);
        free(s);
        return NULL;
}
