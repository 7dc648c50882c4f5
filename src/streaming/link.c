/* Plain or TLS connections of the streaming server, and its TLS configuration. */
#include "streaming/link.h"

#include <errno.h>
#include <openssl/err.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "streaming/internal.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"

/* The first error OpenSSL queued, as text (and the queue emptied). */
static const char *ssl_reason(char *buf, size_t size) {
        unsigned long e = ERR_get_error();
        ERR_clear_error();
        if (!e)
                return "connection closed";
        ERR_error_string_n(e, buf, size);
        return buf;
}

int link_accept_tls(struct link *l, SSL_CTX *ctx, int timeout_ms, struct cric_error **err) {
        l->ssl = SSL_new(ctx);
        if (!l->ssl || SSL_set_fd(l->ssl, l->fd) != 1)
                return cric_error_set(err, CRIC_E_INTERNAL, "TLS: cannot set up the connection");
        int64_t deadline = clock_mono_ms() + timeout_ms;
        for (;;) {
                int r = SSL_accept(l->ssl);
                if (r == 1)
                        return 0;
                int e = SSL_get_error(l->ssl, r);
                short events = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
                int64_t left = deadline - clock_mono_ms();
                struct pollfd p = {.fd = l->fd, .events = events};
                if (events && left > 0 && poll(&p, 1, (int) left) > 0)
                        continue;
                char buf[256];
                long verify = SSL_get_verify_result(l->ssl);
                if (!events && verify != X509_V_OK)
                        return cric_error_set(err, CRIC_E_PERMISSION, "TLS: client certificate refused: %s",
                                              X509_verify_cert_error_string(verify));
                return cric_error_set(err, CRIC_E_INVALID, "TLS handshake: %s",
                                      events ? "timed out" : ssl_reason(buf, sizeof(buf)));
        }
}

ssize_t link_recv(struct link *l, void *buf, size_t n) {
        if (!l->ssl)
                return recv(l->fd, buf, n, 0);
        int r = SSL_read(l->ssl, buf, n > INT32_MAX ? INT32_MAX : (int) n);
        if (r > 0)
                return r;
        switch (SSL_get_error(l->ssl, r)) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE: errno = EAGAIN; return -1;
        case SSL_ERROR_ZERO_RETURN: return 0;
        default:
                ERR_clear_error();
                errno = ECONNRESET;
                return -1;
        }
}

ssize_t link_send(struct link *l, const void *buf, size_t n) {
        if (!l->ssl)
                return send(l->fd, buf, n, MSG_NOSIGNAL);
        int r = SSL_write(l->ssl, buf, n > INT32_MAX ? INT32_MAX : (int) n);
        if (r > 0)
                return r;
        switch (SSL_get_error(l->ssl, r)) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE: errno = EAGAIN; return -1;
        default:
                ERR_clear_error();
                errno = EPIPE;
                return -1;
        }
}

bool link_pending(const struct link *l) {
        return l->ssl && SSL_pending(l->ssl) > 0;
}

void link_end(struct link *l) {
        if (!l->ssl)
                return;
        SSL_shutdown(l->ssl); /* best effort: the close_notify, without waiting for the peer's */
        ERR_clear_error();
        SSL_free(l->ssl);
        l->ssl = NULL;
}

struct tls_source {
        char *cert, *key, *ca;
        pthread_mutex_t lock;
        SSL_CTX *ctx;
        struct timespec stamps[3]; /* mtimes of cert, key, ca when ctx was made */
};

static void stamp(const char *path, struct timespec *ret) {
        struct stat st;
        *ret = (struct timespec){0};
        if (path && *path && stat(path, &st) == 0)
                *ret = st.st_mtim;
}

static int make_ctx(const struct tls_source *s, SSL_CTX **ret, struct cric_error **err) {
        char buf[256];
        SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
        if (!ctx)
                return cric_error_set(err, CRIC_E_INTERNAL, "TLS: %s", ssl_reason(buf, sizeof(buf)));
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
        SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        const char *what = s->cert;
        if (SSL_CTX_use_certificate_chain_file(ctx, s->cert) != 1 ||
            (what = s->key, SSL_CTX_use_PrivateKey_file(ctx, s->key, SSL_FILETYPE_PEM) != 1) ||
            (what = "the key", SSL_CTX_check_private_key(ctx) != 1))
                goto fail;
        if (*s->ca) {
                what = s->ca;
                if (SSL_CTX_load_verify_locations(ctx, s->ca, NULL) != 1)
                        goto fail;
                SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        }
        *ret = ctx;
        return 0;
fail:
        SSL_CTX_free(ctx);
        return cric_error_set(err, CRIC_E_INVALID, "TLS: %s: %s", what, ssl_reason(buf, sizeof(buf)));
}

int tls_source_new(const char *cert, const char *key, const char *ca, struct tls_source **ret,
                   struct cric_error **err) {
        if (!cert || !*cert || !key || !*key)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "stream_enable_tls needs stream_tls_cert and stream_tls_key");
        struct tls_source *s = xzalloc(sizeof(*s));
        s->cert = xstrdup(cert);
        s->key = xstrdup(key);
        s->ca = xstrdup(ca ? ca : "");
        pthread_mutex_init(&s->lock, NULL);
        stamp(s->cert, &s->stamps[0]);
        stamp(s->key, &s->stamps[1]);
        stamp(s->ca, &s->stamps[2]);
        if (make_ctx(s, &s->ctx, err) < 0) {
                tls_source_free(s);
                return -1;
        }
        *ret = s;
        return 0;
}

static bool changed(struct tls_source *s, struct timespec now[3]) {
        stamp(s->cert, &now[0]);
        stamp(s->key, &now[1]);
        stamp(s->ca, &now[2]);
        for (int i = 0; i < 3; i++)
                if (now[i].tv_sec != s->stamps[i].tv_sec || now[i].tv_nsec != s->stamps[i].tv_nsec)
                        return true;
        return false;
}

SSL_CTX *tls_source_ctx(struct tls_source *s) {
        pthread_mutex_lock(&s->lock);
        struct timespec now[3];
        if (changed(s, now)) {
                SSL_CTX *fresh = NULL;
                struct cric_error *err = NULL;
                if (make_ctx(s, &fresh, &err) == 0) {
                        SSL_CTX_free(s->ctx);
                        s->ctx = fresh;
                        log_info("TLS: %s and its key read again", s->cert);
                } else {
                        cric_error_log_free(&err, "TLS: keeping the files of %s read before", s->cert);
                }
                memcpy(s->stamps, now, sizeof(now)); /* a broken file is not retried on every connection */
        }
        SSL_CTX *ctx = s->ctx;
        SSL_CTX_up_ref(ctx);
        pthread_mutex_unlock(&s->lock);
        return ctx;
}

struct tls_source *tls_source_free(struct tls_source *s) {
        if (!s)
                return NULL;
        SSL_CTX_free(s->ctx);
        pthread_mutex_destroy(&s->lock);
        free(s->cert);
        free(s->key);
        free(s->ca);
        free(s);
        return NULL;
}
