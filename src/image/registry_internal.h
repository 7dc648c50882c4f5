/* Private to src/image/registry*.c and www_auth.c (and their unit tests and fuzzers):
 * the WWW-Authenticate parser, credentials, tokens and the one-request HTTP layer. */
#ifndef CRIC_IMAGE_REGISTRY_INTERNAL_H
#define CRIC_IMAGE_REGISTRY_INTERNAL_H

#include "image/curl_lazy.h"
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/registry.h"
#include "util/error.h"

/* ---- WWW-Authenticate (RFC 9110 section 11.6.1), www_auth.c ---- */

struct www_auth_param {
        char *name;  /* as sent; look it up with www_auth_param() (case-insensitive) */
        char *value; /* token or unquoted quoted-string */
};

struct www_auth_challenge {
        char *scheme;  /* as sent ("Bearer", "basic"); compare case-insensitively */
        char *token68; /* "Negotiate abc==" style challenges; NULL when params are used */
        struct www_auth_param *params;
        size_t n_params;
};

/* Parses a WWW-Authenticate value holding one or more challenges (several header
 * lines may be joined with ", "). Duplicate parameters, unterminated quoted strings,
 * control characters and missing '=' are CRIC_E_INVALID. On success the caller owns
 * *ret (free with www_auth_challenges_free). Thread-safe. */
int www_auth_parse(const char *header, struct www_auth_challenge **ret, size_t *ret_n, struct cric_error **err);
/* The value of a parameter (name compared case-insensitively), or NULL. */
const char *www_auth_param(const struct www_auth_challenge *c, const char *name);
/* The first challenge with the given scheme (case-insensitive), or NULL. */
const struct www_auth_challenge *www_auth_find(const struct www_auth_challenge *chs, size_t n, const char *scheme);
void www_auth_challenges_free(struct www_auth_challenge *chs, size_t n);

/* ---- credentials, registry_creds.c ---- */

struct registry_creds {
        char *username;
        char *password;
        char *identity_token;
        char *registry_token;
};

/* Wipes and frees every field. */
void registry_creds_clear(struct registry_creds *c);
bool registry_creds_empty(const struct registry_creds *c);

/* Decodes an auth.json / AuthConfig "auth" value: base64("user:password"). */
int registry_auth_decode(const char *b64, char **ret_user, char **ret_password, struct cric_error **err);

/* Copies a struct registry_auth, decoding `auth` when username/password are unset. */
int registry_creds_from_auth(const struct registry_auth *a, struct registry_creds *ret, struct cric_error **err);

/* Looks a registry (host[:port]; "docker.io" also matches index.docker.io and
 * registry-1.docker.io) up in an auth.json document. Keys may carry an "https://" or
 * "http://" prefix and a "/", "/v1/" or "/v2/" suffix; an exact key wins. Returns 1 and
 * fills *ret when found, 0 when not (ret untouched), -1 on malformed JSON. */
int registry_auth_json_lookup(const char *json, size_t len, const char *domain, struct registry_creds *ret,
                              struct cric_error **err);
/* Same for a file; a missing file is "not found". */
int registry_auth_file_lookup(const char *path, const char *domain, struct registry_creds *ret,
                              struct cric_error **err);

/* ---- JSON replies, registry_reply.c ---- */

/* ---- tokens, registry_token.c ---- */

#define REGISTRY_TOKEN_DEFAULT_EXPIRES_S 60

/* Parses a token endpoint reply: {"token": ...} or {"access_token": ...} ("token" wins),
 * "expires_in" in seconds (missing or not positive: 60). CRIC_E_INVALID otherwise. */
int registry_token_reply_parse(const char *data, size_t len, char **ret_token, long *ret_expires_in_s,
                               struct cric_error **err);

/* The registry's JSON error body ({"errors": [{"code", "message"}]}) as one line
 * ("manifest unknown; ..."), or NULL when the body has none. */
char *registry_error_message(const char *data, size_t len);

/* ---- TLS material from certs.d, registry_tls.c ---- */

struct registry_tls {
        bool verify;  /* false: insecure registry */
        char *ca_pem; /* the default bundle + certs.d/<host>/ *.crt, or NULL: curl's default */
        size_t ca_len;
        char *cert_pem; /* client certificate (*.cert) or NULL */
        size_t cert_len;
        char *key_pem; /* its key (*.key) */
        size_t key_len;
};

/* Loads <certs_dir>/<hostport>/. A missing directory is no extra material; a *.cert
 * without its *.key (or the reverse) is CRIC_E_INVALID. */
int registry_tls_load(const char *certs_dir, const char *hostport, bool verify, struct registry_tls *ret,
                      struct cric_error **err);
void registry_tls_clear(struct registry_tls *t);

/* ---- the client, shared by registry*.c ---- */

enum registry_scheme {
        REGISTRY_SCHEME_UNKNOWN = 0, /* insecure registry, nothing tried yet */
        REGISTRY_SCHEME_HTTPS,
        REGISTRY_SCHEME_HTTP,
        REGISTRY_SCHEME_MAX,
        REGISTRY_SCHEME_INVALID = -1,
};

struct registry_token_entry {
        char *realm, *service, *scope;
        char *token;
        int64_t expires_ms; /* CLOCK_MONOTONIC */
};

#define REGISTRY_HANDLE_POOL 8

struct registry_client {
        char *domain; /* as given: certs.d and auth.json key */
        char *host;   /* what we connect to (docker.io -> registry-1.docker.io) */
        bool insecure;
        char *certs_dir;
        char *manifest_accept; /* the Accept header for manifests */
        struct registry_creds creds;
        struct registry_tls tls;
        long connect_timeout_ms;
        long stall_timeout_s;
        int retries;

        pthread_mutex_t lock; /* guards everything below */
        enum registry_scheme scheme;
        /* The challenge learned from the last 401, so later requests authenticate
         * up front instead of paying a 401 round trip each. */
        bool use_basic;
        char *bearer_realm, *bearer_service;
        struct registry_token_entry *tokens;
        size_t n_tokens, cap_tokens;
        /* Idle easy handles: each keeps its own connection cache, since curl does not
         * support sharing connections between concurrent threads. */
        CURL *handles[REGISTRY_HANDLE_POOL];
        size_t n_handles;

        CURLSH *share; /* DNS cache and TLS sessions */
        bool has_curl; /* holds a libcurl reference (curl_lazy_acquire) */
        pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
};

/* ---- one HTTP exchange, registry_http.c ---- */

struct http_request {
        const char *method; /* "GET" or "POST" */
        const char *url;
        const char *accept;   /* Accept header value or NULL */
        const char *form;     /* POST body (application/x-www-form-urlencoded) or NULL */
        const char *bearer;   /* Authorization: Bearer, or NULL */
        const char *username; /* Authorization: Basic when set */
        const char *password;
        const struct registry_tls *tls;
        size_t max_body;       /* buffered 2xx bodies (no sink): larger is an error */
        registry_sink_fn sink; /* streams 2xx bodies when set */
        void *sink_ctx;
};

struct http_reply {
        CURLcode code; /* CURLE_OK when an HTTP response arrived */
        char errbuf[CURL_ERROR_SIZE];
        long status; /* of the last response (after redirects) */
        char *body;  /* 2xx body without sink, else the error body (at most 64 KiB) */
        size_t body_len;
        bool is_too_large;
        char *content_type;
        char *content_digest;   /* Docker-Content-Digest */
        char *www_authenticate; /* all WWW-Authenticate headers joined with ", " */
        long retry_after_s;     /* -1: none */
        bool has_reached_sink;
        struct cric_error *sink_err;
};

/* Runs one request (redirects followed, no retries, no auth logic) and fills *rep.
 * Logs method, URL, status and time at debug level; never logs credentials. */
void registry_http_perform(struct registry_client *c, const struct http_request *rq, struct http_reply *rep);
void http_reply_clear(struct http_reply *rep);
/* "404 not found: manifest unknown" style text for a reply with an HTTP status, or
 * the curl error for one without. The caller frees it. */
char *http_reply_describe(const struct http_reply *rep);
/* true for errors worth another attempt: connection problems, timeouts, 5xx, 429. */
bool http_reply_is_transient(const struct http_reply *rep);
/* Loads libcurl (a reference held until registry_http_client_clear) and sets up
 * c->share; registry_http_client_clear frees it and the handle pool. */
int registry_http_client_init(struct registry_client *c, struct cric_error **err);
void registry_http_client_clear(struct registry_client *c);
/* Percent-encodes s for a query string or form body. */
char *registry_url_escape(const char *s);

/* Returns a usable bearer token for (realm, service, scope): cached unless is_fresh
 * is set or it expired, else fetched from realm with the client's credentials.
 * 401/403 from the token server are CRIC_E_PERMISSION. *ret_is_transient tells the
 * caller whether retrying might help. Thread-safe. */
int registry_token_get(struct registry_client *c, const char *realm, const char *service, const char *scope,
                       bool is_fresh, char **ret_token, bool *ret_is_transient, struct cric_error **err);
void registry_token_cache_clear(struct registry_client *c);

/* ---- one logical request with auth, scheme fallback and retries, registry_request.c ---- */

struct registry_call {
        const char *repo; /* for the token scope "repository:<repo>:pull" */
        const char *path; /* "/v2/<repo>/manifests/<reference>" */
        const char *accept;
        size_t max_body;
        registry_sink_fn sink;
        void *sink_ctx;
        char *url; /* out: the URL last used (for messages); free it */
};

/* Runs GET call->path until it succeeds (2xx; *rep holds the reply, clear it) or fails
 * for good. Errors name the method and URL: 401/403 after authenticating are
 * CRIC_E_PERMISSION, 404 CRIC_E_NOT_FOUND, connection problems, timeouts, 5xx and 429
 * after the retries CRIC_E_UNAVAILABLE, other replies CRIC_E_INVALID; a sink error is
 * returned as is. Thread-safe. */
int registry_call_run(struct registry_client *c, struct registry_call *call, struct http_reply *rep,
                      struct cric_error **err);

#endif
