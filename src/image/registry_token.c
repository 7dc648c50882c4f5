/* Bearer tokens (the distribution "token" auth spec and its OAuth2 variant): fetched
 * from the realm a 401 challenge names and cached per (realm, service, scope) until
 * shortly before they expire. The cache is per client and locked by c->lock. */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "image/registry_internal.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"

#define MAX_CACHED_TOKENS 64
#define MAX_TOKEN_REPLY   (1 << 20)

static void entry_clear(struct registry_token_entry *e) {
        free(e->realm);
        free(e->service);
        free(e->scope);
        if (e->token) {
                explicit_bzero(e->token, strlen(e->token));
                free(e->token);
        }
}

static bool entry_is(const struct registry_token_entry *e, const char *realm, const char *service, const char *scope) {
        return strcmp(e->realm, realm) == 0 && strcmp(e->service, service) == 0 && strcmp(e->scope, scope) == 0;
}

static void cache_remove_locked(struct registry_client *c, size_t i) {
        entry_clear(&c->tokens[i]);
        memmove(&c->tokens[i], &c->tokens[i + 1], (c->n_tokens - i - 1) * sizeof(*c->tokens));
        c->n_tokens--;
}

static char *cache_lookup(struct registry_client *c, const char *realm, const char *service, const char *scope) {
        char *token = NULL;
        int64_t now = clock_mono_ms();
        pthread_mutex_lock(&c->lock);
        for (size_t i = 0; i < c->n_tokens; i++) {
                if (!entry_is(&c->tokens[i], realm, service, scope))
                        continue;
                if (c->tokens[i].expires_ms > now)
                        token = xstrdup(c->tokens[i].token);
                else
                        cache_remove_locked(c, i);
                break;
        }
        pthread_mutex_unlock(&c->lock);
        return token;
}

static void cache_store(struct registry_client *c, const char *realm, const char *service, const char *scope,
                        const char *token, long expires_in_s) {
        int64_t now = clock_mono_ms();
        /* Renew a little early so a token does not expire on its way to the registry. */
        int64_t margin = expires_in_s >= 20 ? 5000 : (int64_t) expires_in_s * 250;
        pthread_mutex_lock(&c->lock);
        for (size_t i = c->n_tokens; i-- > 0;)
                if (c->tokens[i].expires_ms <= now || entry_is(&c->tokens[i], realm, service, scope))
                        cache_remove_locked(c, i);
        if (c->n_tokens == MAX_CACHED_TOKENS)
                cache_remove_locked(c, 0); /* the oldest */
        c->tokens = xgrow(c->tokens, &c->cap_tokens, c->n_tokens + 1, sizeof(*c->tokens));
        c->tokens[c->n_tokens++] = (struct registry_token_entry){
                .realm = xstrdup(realm),
                .service = xstrdup(service),
                .scope = xstrdup(scope),
                .token = xstrdup(token),
                .expires_ms = now + (int64_t) expires_in_s * 1000 - margin,
        };
        pthread_mutex_unlock(&c->lock);
}

void registry_token_cache_clear(struct registry_client *c) {
        for (size_t i = 0; i < c->n_tokens; i++)
                entry_clear(&c->tokens[i]);
        free(c->tokens);
        c->tokens = NULL;
        c->n_tokens = c->cap_tokens = 0;
}

/* "host[:port]" of an http(s) URL, or NULL when url is not one. */
static char *url_hostport(const char *url) {
        const char *p;
        if (strncasecmp(url, "https://", 8) == 0)
                p = url + 8;
        else if (strncasecmp(url, "http://", 7) == 0)
                p = url + 7;
        else
                return NULL;
        size_t n = strcspn(p, "/?#");
        if (n == 0 || memchr(p, '@', n))
                return NULL;
        return xstrndup(p, n);
}

static char *token_query(const char *service, const char *scope) {
        AUTOFREE char *s = registry_url_escape(service);
        AUTOFREE char *q = registry_url_escape(scope);
        return xasprintf("service=%s&scope=%s", s, q);
}

static char *token_form(const char *refresh_token, const char *service, const char *scope) {
        AUTOFREE char *t = registry_url_escape(refresh_token);
        AUTOFREE char *q = token_query(service, scope);
        return xasprintf("grant_type=refresh_token&refresh_token=%s&%s&client_id=cric", t, q);
}

static void secret_freep(char **s) {
        if (*s) {
                explicit_bzero(*s, strlen(*s));
                free(*s);
        }
}

static int reply_error(const struct http_request *rq, const struct http_reply *rep, bool *ret_is_transient,
                       struct cric_error **err) {
        AUTOFREE char *why = http_reply_describe(rep);
        enum cric_error_kind kind = CRIC_E_INVALID;
        *ret_is_transient = http_reply_is_transient(rep);
        if (rep->code != CURLE_OK || *ret_is_transient)
                kind = CRIC_E_UNAVAILABLE;
        else if (rep->status == 401 || rep->status == 403)
                kind = CRIC_E_PERMISSION;
        return cric_error_set(err, kind, "%s %s: %s", rq->method, rq->url, why);
}

/* Asks the token endpoint; *ret_token and *ret_expires_in_s on success. */
static int token_fetch(struct registry_client *c, const char *realm, const char *service, const char *scope,
                       const struct registry_tls *tls, char **ret_token, long *ret_expires_in_s, bool *ret_is_transient,
                       struct cric_error **err) {
        CLEANUP(secret_freep) char *form = NULL;
        AUTOFREE char *url = NULL;
        struct http_request rq = {.tls = tls, .max_body = MAX_TOKEN_REPLY, .accept = "application/json"};
        if (c->creds.identity_token) {
                form = token_form(c->creds.identity_token, service, scope);
                rq.method = "POST";
                rq.form = form;
                rq.url = realm;
        } else {
                AUTOFREE char *query = token_query(service, scope);
                url = xasprintf("%s%c%s", realm, strchr(realm, '?') ? '&' : '?', query);
                rq.method = "GET";
                rq.url = url;
                rq.username = c->creds.username;
                rq.password = c->creds.password;
        }
        struct http_reply rep;
        registry_http_perform(c, &rq, &rep);
        int r;
        if (rep.code != CURLE_OK || rep.status != 200)
                r = reply_error(&rq, &rep, ret_is_transient, err);
        else if ((r = registry_token_reply_parse(rep.body, rep.body_len, ret_token, ret_expires_in_s, err)) < 0)
                cric_error_prefix(err, "%s %s", rq.method, rq.url);
        http_reply_clear(&rep);
        return r;
}

int registry_token_get(struct registry_client *c, const char *realm, const char *service, const char *scope,
                       bool is_fresh, char **ret_token, bool *ret_is_transient, struct cric_error **err) {
        *ret_is_transient = false;
        AUTOFREE char *host = url_hostport(realm);
        if (!host)
                return cric_error_set(err, CRIC_E_INVALID, "token realm \"%s\" is not an http(s) URL", realm);
        char *token = is_fresh ? NULL : cache_lookup(c, realm, service, scope);
        if (token) {
                *ret_token = token;
                return 0;
        }
        /* The realm may live on another host: use that host's certs.d. */
        struct registry_tls other = {0};
        const struct registry_tls *tls = &c->tls;
        if (strcasecmp(host, c->host) != 0) {
                if (registry_tls_load(c->certs_dir, host, !c->insecure, &other, err) < 0)
                        return -1;
                tls = &other;
        }
        long expires_in_s;
        int r = token_fetch(c, realm, service, scope, tls, &token, &expires_in_s, ret_is_transient, err);
        registry_tls_clear(&other);
        if (r < 0)
                return -1;
        log_debug("registry %s: got a token for %s (service \"%s\", expires in %ld s)", c->domain, scope, service,
                  expires_in_s);
        cache_store(c, realm, service, scope, token, expires_in_s);
        *ret_token = token;
        return 0;
}
