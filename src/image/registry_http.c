/* One HTTP exchange with libcurl: options, header and body callbacks, the handle pool
 * and the share handle. Policy (auth, retries, scheme fallback) lives in registry.c.
 *
 * Credentials go through curl's own auth options (CURLOPT_XOAUTH2_BEARER,
 * CURLOPT_USERNAME/PASSWORD), never a hand-made header: curl then sends them only to
 * the host, port and scheme we asked for, and not to a redirect target such as a
 * blob CDN (CURLOPT_UNRESTRICTED_AUTH stays off). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "image/registry_internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

#ifndef CRIC_VERSION
#define CRIC_VERSION "dev"
#endif

#define MAX_ERROR_BODY   (64 << 10)
#define MAX_HEADER_VALUE (16 << 10)

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *userp) {
        (void) h;
        (void) access;
        struct registry_client *c = userp;
        pthread_mutex_lock(&c->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *userp) {
        (void) h;
        struct registry_client *c = userp;
        pthread_mutex_unlock(&c->share_locks[data]);
}

int registry_http_client_init(struct registry_client *c, struct cric_error **err) {
        if (lazylib_acquire(&curl_lib, err) < 0)
                return -1;
        c->has_curl = true;
        for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
                pthread_mutex_init(&c->share_locks[i], NULL);
        c->share = curl_share_init();
        if (!c->share) {
                fprintf(stderr, "cric: curl_share_init failed, aborting\n");
                abort();
        }
        curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
        curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
        curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
        /* Not CURL_LOCK_DATA_CONNECT: curl does not support sharing connections
         * between concurrent threads; the handle pool reuses connections instead. */
        curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
        return 0;
}

void registry_http_client_clear(struct registry_client *c) {
        for (size_t i = 0; i < c->n_handles; i++)
                curl_easy_cleanup(c->handles[i]);
        c->n_handles = 0;
        if (c->share) {
                curl_share_cleanup(c->share);
                c->share = NULL;
                for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
                        pthread_mutex_destroy(&c->share_locks[i]);
        }
        if (c->has_curl) {
                c->has_curl = false;
                lazylib_release(&curl_lib);
        }
}

static CURL *handle_get(struct registry_client *c) {
        CURL *h = NULL;
        pthread_mutex_lock(&c->lock);
        if (c->n_handles > 0)
                h = c->handles[--c->n_handles];
        pthread_mutex_unlock(&c->lock);
        if (h) {
                curl_easy_reset(h); /* keeps the handle's live connections */
                return h;
        }
        h = curl_easy_init();
        if (!h) {
                fprintf(stderr, "cric: curl_easy_init failed, aborting\n");
                abort();
        }
        return h;
}

static void handle_put(struct registry_client *c, CURL *h) {
        pthread_mutex_lock(&c->lock);
        if (c->n_handles < REGISTRY_HANDLE_POOL) {
                c->handles[c->n_handles++] = h;
                h = NULL;
        }
        pthread_mutex_unlock(&c->lock);
        if (h)
                curl_easy_cleanup(h);
}

struct transfer {
        struct http_reply *rep;
        const struct http_request *rq;
        size_t cap;
};

static bool is_success(long status) {
        return status >= 200 && status < 300;
}

/* A new response starts (redirect, 100 Continue): forget the previous one. */
static void reply_reset_response(struct http_reply *rep, long status) {
        rep->status = status;
        free(rep->body);
        free(rep->content_type);
        free(rep->content_digest);
        free(rep->www_authenticate);
        rep->body = rep->content_type = rep->content_digest = rep->www_authenticate = NULL;
        rep->body_len = 0;
        rep->retry_after_s = -1;
}

static char *trimmed_value(const char *v, size_t len) {
        while (len && (*v == ' ' || *v == '\t')) {
                v++;
                len--;
        }
        while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' ' || v[len - 1] == '\t'))
                len--;
        return xstrndup(v, len > MAX_HEADER_VALUE ? MAX_HEADER_VALUE : len);
}

static void store_header(struct http_reply *rep, const char *name, size_t name_len, const char *v, size_t len) {
        AUTOFREE char *value = trimmed_value(v, len);
#define IS(h) (name_len == strlen(h) && strncasecmp(name, h, name_len) == 0)
        if (IS("content-type")) {
                free(rep->content_type);
                rep->content_type = STEAL_PTR(value);
        } else if (IS("docker-content-digest")) {
                free(rep->content_digest);
                rep->content_digest = STEAL_PTR(value);
        } else if (IS("www-authenticate")) {
                if (rep->www_authenticate && strlen(rep->www_authenticate) + strlen(value) > MAX_HEADER_VALUE)
                        return; /* enough challenges to choose from */
                char *joined =
                        rep->www_authenticate ? xasprintf("%s, %s", rep->www_authenticate, value) : STEAL_PTR(value);
                free(rep->www_authenticate);
                rep->www_authenticate = joined;
        } else if (IS("retry-after")) {
                char *end;
                long s = strtol(value, &end, 10);
                if (end != value && !*end && s >= 0) /* an HTTP-date is ignored: backoff applies */
                        rep->retry_after_s = s;
        }
#undef IS
}

static size_t on_header(char *buf, size_t size, size_t n, void *userp) {
        struct transfer *t = userp;
        size_t len = size * n;
        if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
                /* "HTTP/1.1 200 OK\r\n"; buf is not NUL-terminated */
                const char *sp = memchr(buf, ' ', len);
                long status = 0;
                for (size_t i = sp ? (size_t) (sp - buf) + 1 : len; i < len && buf[i] >= '0' && buf[i] <= '9'; i++)
                        status = status < 1000 ? status * 10 + (buf[i] - '0') : status;
                reply_reset_response(t->rep, status);
                t->cap = 0;
                return len;
        }
        const char *colon = memchr(buf, ':', len);
        if (colon)
                store_header(t->rep, buf, (size_t) (colon - buf), colon + 1, len - (size_t) (colon - buf) - 1);
        return len;
}

static size_t buffer_body(struct transfer *t, const char *data, size_t len) {
        struct http_reply *rep = t->rep;
        size_t keep = len;
        if (is_success(rep->status) && !t->rq->sink) {
                if (rep->body_len + len > t->rq->max_body) {
                        rep->is_too_large = true;
                        return 0; /* aborts the transfer */
                }
        } else if (rep->body_len + len > MAX_ERROR_BODY) {
                keep = MAX_ERROR_BODY - rep->body_len; /* error bodies only feed messages */
        }
        rep->body = xgrow(rep->body, &t->cap, rep->body_len + keep + 1, 1);
        memcpy(rep->body + rep->body_len, data, keep);
        rep->body_len += keep;
        rep->body[rep->body_len] = '\0';
        return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *userp) {
        struct transfer *t = userp;
        size_t len = size * n;
        if (!t->rq->sink || !is_success(t->rep->status))
                return buffer_body(t, data, len);
        if (len == 0)
                return 0;
        t->rep->has_reached_sink = true;
        if (t->rq->sink(t->rq->sink_ctx, data, len, &t->rep->sink_err) < 0) {
                if (!t->rep->sink_err)
                        cric_error_set(&t->rep->sink_err, CRIC_E_INTERNAL, "sink failed without an error");
                return 0; /* aborts the transfer */
        }
        return len;
}

static void set_tls(CURL *h, const struct registry_tls *tls) {
        if (!tls)
                return;
        if (!tls->verify) {
                curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
                curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        if (tls->ca_pem) {
                struct curl_blob blob = {.data = tls->ca_pem, .len = tls->ca_len, .flags = CURL_BLOB_NOCOPY};
                curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
        }
        if (tls->cert_pem) {
                struct curl_blob cert = {.data = tls->cert_pem, .len = tls->cert_len, .flags = CURL_BLOB_NOCOPY};
                struct curl_blob key = {.data = tls->key_pem, .len = tls->key_len, .flags = CURL_BLOB_NOCOPY};
                curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
                curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
                curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key);
                curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
        }
}

static void set_auth(CURL *h, const struct http_request *rq) {
        curl_easy_setopt(h, CURLOPT_UNRESTRICTED_AUTH, 0L);
        if (rq->bearer) {
                curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long) CURLAUTH_BEARER);
                curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, rq->bearer);
        } else if (rq->username) {
                curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
                curl_easy_setopt(h, CURLOPT_USERNAME, rq->username);
                curl_easy_setopt(h, CURLOPT_PASSWORD, rq->password ? rq->password : "");
        }
}

static struct curl_slist *set_options(struct registry_client *c, CURL *h, const struct http_request *rq,
                                      struct transfer *t, char *errbuf) {
        curl_easy_setopt(h, CURLOPT_URL, rq->url);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_SHARE, c->share);
#if LIBCURL_VERSION_NUM >= 0x075500
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
        curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
        curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, c->stall_timeout_s);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "cric/" CRIC_VERSION);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
        set_tls(h, rq->tls);
        set_auth(h, rq);
        struct curl_slist *headers = NULL;
        if (rq->accept) {
                AUTOFREE char *accept = xasprintf("Accept: %s", rq->accept);
                headers = curl_slist_append(headers, accept);
        }
        if (rq->form) {
                curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->form);
                headers = curl_slist_append(headers, "Content-Type: application/x-www-form-urlencoded");
        }
        if (headers)
                curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        return headers;
}

void registry_http_perform(struct registry_client *c, const struct http_request *rq, struct http_reply *rep) {
        memset(rep, 0, sizeof(*rep));
        rep->retry_after_s = -1;
        struct transfer t = {.rep = rep, .rq = rq};
        CURL *h = handle_get(c);
        struct curl_slist *headers = set_options(c, h, rq, &t, rep->errbuf);
        rep->code = curl_easy_perform(h);
        curl_off_t us = 0;
        long redirects = 0;
        curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &us);
        curl_easy_getinfo(h, CURLINFO_REDIRECT_COUNT, &redirects);
        if (rep->code == CURLE_OK)
                curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rep->status);
        /* The redirect target is not logged: CDN URLs often carry signatures. */
        if (rep->code == CURLE_OK)
                log_debug("%s %s: %ld in %.1f ms%s", rq->method, rq->url, rep->status, (double) us / 1000.0,
                          redirects ? " (after redirects)" : "");
        else
                log_debug("%s %s: %s after %.1f ms", rq->method, rq->url,
                          rep->errbuf[0] ? rep->errbuf : curl_easy_strerror(rep->code), (double) us / 1000.0);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
        curl_slist_free_all(headers);
        handle_put(c, h);
}

void http_reply_clear(struct http_reply *rep) {
        reply_reset_response(rep, 0);
        cric_error_free(rep->sink_err);
        rep->sink_err = NULL;
}

static const char *status_text(long status) {
        switch (status) {
        case 400: return "bad request";
        case 401: return "unauthorized";
        case 403: return "forbidden";
        case 404: return "not found";
        case 405: return "method not allowed";
        case 408: return "request timeout";
        case 416: return "range not satisfiable";
        case 429: return "too many requests";
        case 500: return "internal server error";
        case 502: return "bad gateway";
        case 503: return "service unavailable";
        case 504: return "gateway timeout";
        default: return status >= 500 ? "server error" : status >= 400 ? "client error" : "unexpected status";
        }
}

char *http_reply_describe(const struct http_reply *rep) {
        if (rep->code != CURLE_OK)
                return xstrdup(rep->errbuf[0] ? rep->errbuf : curl_easy_strerror(rep->code));
        AUTOFREE char *msg = rep->body ? registry_error_message(rep->body, rep->body_len) : NULL;
        if (msg)
                return xasprintf("%ld %s: %s", rep->status, status_text(rep->status), msg);
        return xasprintf("%ld %s", rep->status, status_text(rep->status));
}

bool http_reply_is_transient(const struct http_reply *rep) {
        switch (rep->code) {
        case CURLE_OK: return rep->status >= 500 || rep->status == 429;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_SSL_CONNECT_ERROR: return true;
        default: return false;
        }
}

char *registry_url_escape(const char *s) {
        size_t len = strlen(s);
        char *out = xmalloc(len * 3 + 1), *p = out;
        for (const unsigned char *q = (const unsigned char *) s; *q; q++) {
                bool is_unreserved = (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
                                     strchr("-._~", *q);
                if (is_unreserved) {
                        *p++ = (char) *q;
                } else {
                        static const char hex[] = "0123456789ABCDEF";
                        *p++ = '%';
                        *p++ = hex[*q >> 4];
                        *p++ = hex[*q & 15];
                }
        }
        *p = '\0';
        return out;
}
