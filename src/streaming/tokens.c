/* The token cache: a small array scanned linearly (at most a few hundred entries are in
 * flight on a busy node, and each lives a minute at most), with expired entries dropped
 * on every put and take. Tokens are compared in constant time. */
#include "streaming/tokens.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "streaming/internal.h"
#include "util/clock.h"
#include "util/strv.h"
#include "util/xalloc.h"

struct token {
        char value[STREAM_TOKEN_LEN + 1];
        int64_t expires_ms;
        struct stream_request *req;
};

struct token_cache {
        pthread_mutex_t lock;
        struct token *tokens;
        size_t n, max;
        int64_t ttl_ms;
};

void stream_request_free(struct stream_request *r) {
        if (!r)
                return;
        free(r->id);
        strv_free(r->cmd);
        free(r->ports);
        free(r);
}

void stream_request_freep(struct stream_request **r) {
        stream_request_free(*r);
        *r = NULL;
}

struct token_cache *token_cache_new(size_t max, int64_t ttl_ms) {
        struct token_cache *c = xzalloc(sizeof(*c));
        pthread_mutex_init(&c->lock, NULL);
        c->tokens = xcalloc(max ? max : 1, sizeof(*c->tokens));
        c->max = max;
        c->ttl_ms = ttl_ms;
        return c;
}

struct token_cache *token_cache_free(struct token_cache *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n; i++)
                stream_request_free(c->tokens[i].req);
        free(c->tokens);
        pthread_mutex_destroy(&c->lock);
        free(c);
        return NULL;
}

static void drop(struct token_cache *c, size_t i) {
        c->tokens[i] = c->tokens[--c->n];
}

static void drop_expired(struct token_cache *c, int64_t now) {
        for (size_t i = 0; i < c->n;) {
                if (c->tokens[i].expires_ms <= now) {
                        stream_request_free(c->tokens[i].req);
                        drop(c, i);
                } else {
                        i++;
                }
        }
}

static void encode(const uint8_t *raw, char *out) {
        static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for (size_t i = 0, o = 0; i < STREAM_TOKEN_BYTES; i += 3) {
                uint32_t v = (uint32_t) raw[i] << 16 | (uint32_t) raw[i + 1] << 8 | raw[i + 2];
                for (int k = 3; k >= 0; k--)
                        out[o++] = alphabet[(v >> (6 * k)) & 63];
        }
        out[STREAM_TOKEN_LEN] = '\0';
}

static int new_token(char *out, struct cric_error **err) {
        uint8_t raw[STREAM_TOKEN_BYTES];
        size_t got = 0;
        while (got < sizeof(raw)) {
                ssize_t r = getrandom(raw + got, sizeof(raw) - got, 0);
                if (r < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "streaming token: getrandom");
                got += (size_t) r;
        }
        encode(raw, out);
        return 0;
}

int token_cache_put(struct token_cache *c, struct stream_request *req, char out[STREAM_TOKEN_LEN + 1],
                    struct cric_error **err) {
        if (new_token(out, err) < 0) {
                stream_request_free(req);
                return -1;
        }
        int64_t now = clock_mono_ms();
        pthread_mutex_lock(&c->lock);
        drop_expired(c, now);
        if (c->n >= c->max) {
                pthread_mutex_unlock(&c->lock);
                stream_request_free(req);
                return cric_error_set(err, CRIC_E_RESOURCE,
                                      "streaming server: %zu streaming requests already wait for their client; "
                                      "try again when one has connected or expired",
                                      c->max);
        }
        struct token *t = &c->tokens[c->n++];
        memcpy(t->value, out, STREAM_TOKEN_LEN + 1);
        t->expires_ms = now + c->ttl_ms;
        t->req = req;
        pthread_mutex_unlock(&c->lock);
        return 0;
}

/* Compares all STREAM_TOKEN_LEN bytes whatever differs first. */
static bool same_token(const char *a, const char *b) {
        unsigned char diff = 0;
        for (size_t i = 0; i < STREAM_TOKEN_LEN; i++)
                diff |= (unsigned char) (a[i] ^ b[i]);
        return diff == 0;
}

struct stream_request *token_cache_take(struct token_cache *c, const char *token) {
        if (!token || strlen(token) != STREAM_TOKEN_LEN)
                return NULL;
        struct stream_request *req = NULL;
        pthread_mutex_lock(&c->lock);
        drop_expired(c, clock_mono_ms());
        for (size_t i = 0; i < c->n; i++) {
                if (same_token(c->tokens[i].value, token)) {
                        req = c->tokens[i].req;
                        drop(c, i);
                        break;
                }
        }
        pthread_mutex_unlock(&c->lock);
        return req;
}

size_t token_cache_size(struct token_cache *c) {
        pthread_mutex_lock(&c->lock);
        size_t n = c->n;
        pthread_mutex_unlock(&c->lock);
        return n;
}
