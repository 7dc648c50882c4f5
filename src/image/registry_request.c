/* One logical registry request: the scheme (HTTPS, or plain HTTP for an insecure
 * registry whose TLS fails), authentication (answering a 401 challenge once, then
 * authenticating up front for the rest of the client's life) and retries with
 * exponential backoff for transient failures, but only while nothing reached the
 * caller's sink: a half-streamed blob cannot be taken back. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "image/registry_internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

#define BACKOFF_FIRST_MS  200L
#define BACKOFF_MAX_MS    10000L
#define RETRY_AFTER_MAX_S 10L

/* What to send: at most one of a bearer token and the basic credentials. */
struct call_auth {
        char *bearer;
        bool is_basic;
};

static void call_auth_clear(struct call_auth *a) {
        if (a->bearer) {
                explicit_bzero(a->bearer, strlen(a->bearer));
                free(a->bearer);
        }
        a->bearer = NULL;
        a->is_basic = false;
}

static void sleep_ms(long ms) {
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static enum registry_scheme scheme_get(struct registry_client *c) {
        pthread_mutex_lock(&c->lock);
        enum registry_scheme s = c->scheme;
        pthread_mutex_unlock(&c->lock);
        return s;
}

static void scheme_set(struct registry_client *c, enum registry_scheme s) {
        pthread_mutex_lock(&c->lock);
        if (c->scheme != s)
                log_debug("registry %s: using %s", c->domain, s == REGISTRY_SCHEME_HTTP ? "plain HTTP" : "HTTPS");
        c->scheme = s;
        pthread_mutex_unlock(&c->lock);
}

static void perform_url(struct registry_client *c, struct registry_call *call, const struct call_auth *auth,
                        enum registry_scheme scheme, struct http_reply *rep) {
        free(call->url);
        call->url = xasprintf("%s://%s%s", scheme == REGISTRY_SCHEME_HTTP ? "http" : "https", c->host, call->path);
        struct http_request rq = {
                .method = "GET",
                .url = call->url,
                .accept = call->accept,
                .bearer = auth->bearer,
                .username = auth->is_basic ? c->creds.username : NULL,
                .password = auth->is_basic ? c->creds.password : NULL,
                .tls = &c->tls,
                .max_body = call->max_body,
                .sink = call->sink,
                .sink_ctx = call->sink_ctx,
        };
        registry_http_perform(c, &rq, rep);
}

/* Whether the server answered at all (a status line, even if the transfer failed
 * later), or our own callbacks stopped the transfer. */
static bool got_reply(const struct http_reply *rep) {
        return rep->code == CURLE_OK || rep->status > 0 || rep->sink_err || rep->is_too_large || rep->has_reached_sink;
}

static void perform(struct registry_client *c, struct registry_call *call, const struct call_auth *auth,
                    struct http_reply *rep) {
        enum registry_scheme scheme = scheme_get(c);
        if (scheme != REGISTRY_SCHEME_UNKNOWN) {
                perform_url(c, call, auth, scheme, rep);
                return;
        }
        perform_url(c, call, auth, REGISTRY_SCHEME_HTTPS, rep);
        if (got_reply(rep)) {
                scheme_set(c, REGISTRY_SCHEME_HTTPS);
                return;
        }
        log_debug("registry %s: HTTPS failed (%s), trying plain HTTP", c->domain,
                  rep->errbuf[0] ? rep->errbuf : curl_easy_strerror(rep->code));
        AUTOFREE char *https_url = STEAL_PTR(call->url);
        struct http_reply plain;
        perform_url(c, call, auth, REGISTRY_SCHEME_HTTP, &plain);
        /* A 400 is what a TLS-only server says to plain HTTP ("Client sent an HTTP
         * request to an HTTPS server"): not a reason to switch schemes. */
        if (!got_reply(&plain) || (plain.code == CURLE_OK && plain.status == 400)) {
                /* The HTTPS error is the one to report. */
                http_reply_clear(&plain);
                free(call->url);
                call->url = STEAL_PTR(https_url);
                return;
        }
        scheme_set(c, REGISTRY_SCHEME_HTTP);
        http_reply_clear(rep);
        *rep = plain;
}

static char *scope_for(const char *repo) {
        return xasprintf("repository:%s:pull", repo);
}

/* Authentication to send before any 401: a registry token, or whatever the last
 * challenge of this registry asked for. */
static int auth_up_front(struct registry_client *c, const char *repo, struct call_auth *auth, bool *ret_is_transient,
                         struct cric_error **err) {
        if (c->creds.registry_token) {
                auth->bearer = xstrdup(c->creds.registry_token);
                return 0;
        }
        pthread_mutex_lock(&c->lock);
        auth->is_basic = c->use_basic;
        AUTOFREE char *realm = c->bearer_realm ? xstrdup(c->bearer_realm) : NULL;
        AUTOFREE char *service = c->bearer_service ? xstrdup(c->bearer_service) : NULL;
        pthread_mutex_unlock(&c->lock);
        if (!realm)
                return 0;
        AUTOFREE char *scope = scope_for(repo);
        return registry_token_get(c, realm, service, scope, false, &auth->bearer, ret_is_transient, err);
}

static void learn_challenge(struct registry_client *c, bool is_basic, const char *realm, const char *service) {
        pthread_mutex_lock(&c->lock);
        c->use_basic = is_basic;
        free(c->bearer_realm);
        free(c->bearer_service);
        c->bearer_realm = realm ? xstrdup(realm) : NULL;
        c->bearer_service = service ? xstrdup(service) : NULL;
        pthread_mutex_unlock(&c->lock);
}

static int status_error(struct registry_call *call, const struct http_reply *rep, enum cric_error_kind kind,
                        const char *extra, struct cric_error **err) {
        AUTOFREE char *why = http_reply_describe(rep);
        return cric_error_set(err, kind, "GET %s: %s%s", call->url, why, extra ? extra : "");
}

static int answer_bearer(struct registry_client *c, struct registry_call *call, const struct www_auth_challenge *ch,
                         struct call_auth *auth, bool *ret_is_transient, struct cric_error **err) {
        const char *realm = www_auth_param(ch, "realm");
        const char *service = www_auth_param(ch, "service");
        if (!realm)
                return cric_error_set(err, CRIC_E_INVALID, "GET %s: 401 with a Bearer challenge without realm",
                                      call->url);
        if (!service)
                service = "";
        learn_challenge(c, false, realm, service);
        AUTOFREE char *scope = scope_for(call->repo);
        call_auth_clear(auth);
        if (registry_token_get(c, realm, service, scope, true, &auth->bearer, ret_is_transient, err) < 0)
                return cric_error_prefix(err, "GET %s: get token", call->url);
        return 0;
}

/* Turns a 401 into the authentication to retry with, or into CRIC_E_PERMISSION when
 * we have nothing the registry would take. */
static int answer_challenge(struct registry_client *c, struct registry_call *call, const struct http_reply *rep,
                            struct call_auth *auth, bool *ret_is_transient, struct cric_error **err) {
        if (c->creds.registry_token)
                return status_error(call, rep, CRIC_E_PERMISSION, " (registry token refused)", err);
        if (!rep->www_authenticate)
                return status_error(call, rep, CRIC_E_PERMISSION, " (no WWW-Authenticate challenge)", err);
        struct www_auth_challenge *chs;
        size_t n;
        if (www_auth_parse(rep->www_authenticate, &chs, &n, err) < 0)
                return cric_error_prefix(err, "GET %s: 401", call->url);
        const struct www_auth_challenge *bearer = www_auth_find(chs, n, "Bearer");
        const struct www_auth_challenge *basic = www_auth_find(chs, n, "Basic");
        int r;
        if (bearer) {
                r = answer_bearer(c, call, bearer, auth, ret_is_transient, err);
        } else if (basic && c->creds.username) {
                learn_challenge(c, true, NULL, NULL);
                call_auth_clear(auth);
                auth->is_basic = true;
                r = 0;
        } else if (basic) {
                r = status_error(call, rep, CRIC_E_PERMISSION, " (no credentials)", err);
        } else {
                r = status_error(call, rep, CRIC_E_PERMISSION, " (no supported auth scheme)", err);
        }
        www_auth_challenges_free(chs, n);
        return r;
}

static int check_reply(struct registry_call *call, struct http_reply *rep, bool *ret_is_transient, long *ret_delay_ms,
                       struct cric_error **err) {
        if (rep->sink_err)
                return cric_error_move(err, &rep->sink_err);
        if (rep->is_too_large)
                return cric_error_set(err, CRIC_E_INVALID, "GET %s: reply larger than %zu bytes", call->url,
                                      call->max_body);
        *ret_is_transient = http_reply_is_transient(rep);
        if (rep->code != CURLE_OK)
                return status_error(call, rep, CRIC_E_UNAVAILABLE, NULL, err);
        if (rep->status >= 200 && rep->status < 300)
                return 0;
        if (rep->retry_after_s >= 0)
                *ret_delay_ms =
                        (rep->retry_after_s > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : rep->retry_after_s) * 1000;
        if (rep->status == 401 || rep->status == 403)
                return status_error(call, rep, CRIC_E_PERMISSION, NULL, err);
        if (rep->status == 404)
                return status_error(call, rep, CRIC_E_NOT_FOUND, NULL, err);
        return status_error(call, rep, *ret_is_transient ? CRIC_E_UNAVAILABLE : CRIC_E_INVALID, NULL, err);
}

static int attempt(struct registry_client *c, struct registry_call *call, struct http_reply *rep,
                   bool *ret_is_transient, long *ret_delay_ms, struct cric_error **err) {
        struct call_auth auth = {0};
        int r = auth_up_front(c, call->repo, &auth, ret_is_transient, err);
        if (r < 0)
                goto out;
        perform(c, call, &auth, rep);
        if (rep->code == CURLE_OK && rep->status == 401) {
                r = answer_challenge(c, call, rep, &auth, ret_is_transient, err);
                if (r < 0)
                        goto out;
                http_reply_clear(rep);
                perform(c, call, &auth, rep);
        }
        r = check_reply(call, rep, ret_is_transient, ret_delay_ms, err);
out:
        call_auth_clear(&auth);
        return r;
}

int registry_call_run(struct registry_client *c, struct registry_call *call, struct http_reply *rep,
                      struct cric_error **err) {
        memset(rep, 0, sizeof(*rep));
        for (int n = 0;; n++) {
                bool is_transient = false;
                long delay_ms = BACKOFF_FIRST_MS << (n < 6 ? n : 6);
                if (delay_ms > BACKOFF_MAX_MS)
                        delay_ms = BACKOFF_MAX_MS;
                struct cric_error *aerr = NULL;
                if (attempt(c, call, rep, &is_transient, &delay_ms, &aerr) >= 0)
                        return 0;
                if (!is_transient || rep->has_reached_sink || n >= c->retries)
                        return cric_error_move(err, &aerr);
                log_debug("%s; retrying in %ld ms (attempt %d of %d)", aerr->msg, delay_ms, n + 2, c->retries + 1);
                cric_error_free(aerr);
                http_reply_clear(rep);
                sleep_ms(delay_ms);
        }
}
