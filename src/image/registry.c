/* Registry HTTP API v2 client: the public verbs of registry.h. Everything that goes
 * into a URL is validated here first, so a hostile reference cannot smuggle a query,
 * a fragment or another host into a request. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "image/manifest.h"
#include "image/registry.h"
#include "image/registry_internal.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/log.h"
#include "util/xalloc.h"

#define MANIFEST_MAX_SIZE          (4 << 20)
#define DEFAULT_CONNECT_TIMEOUT_MS 30000L
#define DEFAULT_STALL_TIMEOUT_MS   60000L
#define DEFAULT_RETRIES            3
#define MAX_RETRIES                10

/* The Accept header for manifests: every type manifest.h knows, best first. */
static char *manifest_accept_header(void) {
        char *out = xstrdup("");
        for (size_t i = 0; manifest_accept_types[i]; i++) {
                char *next = xasprintf("%s%s%s", out, i ? ", " : "", manifest_accept_types[i]);
                free(out);
                out = next;
        }
        return out;
}

static bool is_lower_alnum(char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

static bool is_alnum(char ch) {
        return is_lower_alnum(ch) || (ch >= 'A' && ch <= 'Z');
}

static bool is_hex(char ch) {
        return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
}

/* host[:port], a bracketed IPv6 address allowed. */
static bool domain_is_valid(const char *d) {
        size_t n = strlen(d);
        if (n == 0 || n > 255 || d[0] == '.' || d[0] == '-' || d[0] == ':')
                return false;
        for (const char *p = d; *p; p++)
                if (!is_alnum(*p) && !strchr(".-:[]_", *p))
                        return false;
        return true;
}

/* [a-z0-9]+ joined by ".", "_", "__" or a run of "-" (the distribution grammar). */
static bool component_is_valid(const char *s, size_t n) {
        if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
                return false;
        for (size_t i = 1; i < n;) {
                if (is_lower_alnum(s[i])) {
                        i++;
                        continue;
                }
                size_t j = i;
                while (j < n && !is_lower_alnum(s[j]))
                        j++;
                size_t len = j - i;
                bool is_dashes = strspn(s + i, "-") >= len;
                if (!is_dashes && !(len == 1 && strchr("._", s[i])) && !(len == 2 && s[i] == '_' && s[i + 1] == '_'))
                        return false;
                i = j;
        }
        return true;
}

static bool repo_is_valid(const char *r) {
        size_t n = strlen(r);
        if (n == 0 || n > 255)
                return false;
        for (const char *p = r;;) {
                size_t len = strcspn(p, "/");
                if (!component_is_valid(p, len))
                        return false;
                if (!p[len])
                        return true;
                p += len + 1;
        }
}

static bool tag_is_valid(const char *t) {
        size_t n = strlen(t);
        if (n == 0 || n > 128 || !(is_alnum(t[0]) || t[0] == '_'))
                return false;
        for (const char *p = t; *p; p++)
                if (!is_alnum(*p) && !strchr("._-", *p))
                        return false;
        return true;
}

/* algorithm ":" encoded, as in the OCI digest grammar. */
static bool digest_is_wellformed(const char *d) {
        const char *colon = strchr(d, ':');
        if (!colon || colon == d || !colon[1])
                return false;
        for (const char *p = d; p < colon; p++)
                if (!is_lower_alnum(*p) && !strchr("+._-", *p))
                        return false;
        for (const char *p = colon + 1; *p; p++)
                if (!is_alnum(*p) && !strchr("=_-", *p))
                        return false;
        return true;
}

static bool is_sha256_digest(const char *d) {
        if (strncmp(d, "sha256:", 7) != 0 || strlen(d) != DIGEST_STR_LEN)
                return false;
        for (const char *p = d + 7; *p; p++)
                if (!is_hex(*p))
                        return false;
        return true;
}

static int load_creds(struct registry_client *c, const struct registry_opts *opts, struct cric_error **err) {
        if (opts->auth)
                return registry_creds_from_auth(opts->auth, &c->creds, err);
        if (!opts->auth_file)
                return 0;
        int r = registry_auth_file_lookup(opts->auth_file, c->domain, &c->creds, err);
        if (r > 0)
                log_debug("registry %s: credentials from %s", c->domain, opts->auth_file);
        return r < 0 ? -1 : 0;
}

static long stall_seconds(long ms) {
        if (ms <= 0)
                ms = DEFAULT_STALL_TIMEOUT_MS;
        if (ms > 24L * 3600 * 1000)
                ms = 24L * 3600 * 1000;
        return (ms + 999) / 1000; /* curl counts whole seconds */
}

int registry_client_new(const struct registry_opts *opts, struct registry_client **ret, struct cric_error **err) {
        if (!opts->domain || !domain_is_valid(opts->domain))
                return cric_error_set(err, CRIC_E_INVALID, "invalid registry domain \"%s\"",
                                      opts->domain ? opts->domain : "");
        CLEANUP(registry_client_freep) struct registry_client *c = xzalloc(sizeof(*c));
        pthread_mutex_init(&c->lock, NULL);
        if (registry_http_client_init(c, err) < 0)
                return cric_error_prefix(err, "registry %s", opts->domain);
        c->domain = xstrdup(opts->domain);
        c->host = xstrdup(strcmp(opts->domain, "docker.io") == 0 ? "registry-1.docker.io" : opts->domain);
        c->insecure = opts->insecure;
        c->certs_dir = opts->certs_dir ? xstrdup(opts->certs_dir) : NULL;
        c->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
        c->stall_timeout_s = stall_seconds(opts->stall_timeout_ms);
        c->retries = opts->retries < 0 ? DEFAULT_RETRIES : opts->retries > MAX_RETRIES ? MAX_RETRIES : opts->retries;
        c->scheme = opts->insecure ? REGISTRY_SCHEME_UNKNOWN : REGISTRY_SCHEME_HTTPS;
        c->manifest_accept = manifest_accept_header();
        if (load_creds(c, opts, err) < 0 || registry_tls_load(c->certs_dir, c->domain, !c->insecure, &c->tls, err) < 0)
                return cric_error_prefix(err, "registry %s", opts->domain);
        *ret = STEAL_PTR(c);
        return 0;
}

struct registry_client *registry_client_free(struct registry_client *c) {
        if (!c)
                return NULL;
        registry_http_client_clear(c);
        registry_token_cache_clear(c);
        registry_creds_clear(&c->creds);
        registry_tls_clear(&c->tls);
        free(c->bearer_realm);
        free(c->bearer_service);
        free(c->domain);
        free(c->host);
        free(c->certs_dir);
        free(c->manifest_accept);
        pthread_mutex_destroy(&c->lock);
        free(c);
        return NULL;
}

void registry_client_freep(struct registry_client **c) {
        *c = registry_client_free(*c);
}

/* "type/subtype" of a Content-Type, without parameters; NULL when there is none. */
static char *media_type_of(const char *content_type) {
        if (!content_type)
                return NULL;
        size_t n = strcspn(content_type, ";");
        while (n > 0 && (content_type[n - 1] == ' ' || content_type[n - 1] == '\t'))
                n--;
        return n ? xstrndup(content_type, n) : NULL;
}

static int check_manifest_digest(const struct registry_call *call, const char *reference, const char *header,
                                 const char *digest, struct cric_error **err) {
        if (strchr(reference, ':') && strcmp(reference, digest) != 0)
                return cric_error_set(err, CRIC_E_INVALID, "GET %s: manifest digest %s does not match the reference",
                                      call->url, digest);
        /* Only sha256 can be checked; other algorithms in the header are ignored. */
        if (header && strncmp(header, "sha256:", 7) == 0 && strcmp(header, digest) != 0)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "GET %s: Docker-Content-Digest %s does not match the manifest digest %s",
                                      call->url, header, digest);
        return 0;
}

/* A signed schema 1 manifest's digest covers the document without its signatures
 * (registries sign it anew on every GET); every other manifest's covers its bytes. */
static int manifest_digest(const struct http_reply *rep, char digest[DIGEST_STR_LEN + 1], struct cric_error **err) {
        const char *body = rep->body ? rep->body : "";
        AUTOFREE char *payload = NULL;
        size_t len = 0;
        if (manifest_v1_signed_payload(body, rep->body_len, &payload, &len, err) < 0)
                return -1;
        digest_buffer(payload, len, digest);
        return 0;
}

static int check_reference(const char *repo, const char *reference, struct cric_error **err) {
        if (!repo_is_valid(repo))
                return cric_error_set(err, CRIC_E_INVALID, "invalid repository name \"%s\"", repo);
        if (strchr(reference, ':')) {
                if (!is_sha256_digest(reference))
                        return cric_error_set(err, CRIC_E_INVALID, "unsupported manifest digest \"%s\"", reference);
        } else if (!tag_is_valid(reference)) {
                return cric_error_set(err, CRIC_E_INVALID, "invalid tag \"%s\"", reference);
        }
        return 0;
}

int registry_fetch_manifest(struct registry_client *c, const char *repo, const char *reference, char **ret_data,
                            size_t *ret_len, char **ret_media_type, char **ret_digest, struct cric_error **err) {
        if (check_reference(repo, reference, err) < 0)
                return -1;
        AUTOFREE char *path = xasprintf("/v2/%s/manifests/%s", repo, reference);
        struct registry_call call = {
                .repo = repo,
                .path = path,
                .accept = c->manifest_accept,
                .max_body = MANIFEST_MAX_SIZE,
        };
        struct http_reply rep;
        int r = registry_call_run(c, &call, &rep, err);
        char digest[DIGEST_STR_LEN + 1];
        if (r >= 0)
                r = manifest_digest(&rep, digest, err);
        if (r >= 0)
                r = check_manifest_digest(&call, reference, rep.content_digest, digest, err);
        if (r >= 0) {
                *ret_data = rep.body ? STEAL_PTR(rep.body) : xstrdup("");
                *ret_len = rep.body_len;
                *ret_media_type = media_type_of(rep.content_type);
                *ret_digest = xstrdup(digest);
        }
        http_reply_clear(&rep);
        free(call.url);
        return r;
}

int registry_fetch_blob(struct registry_client *c, const char *repo, const char *digest, registry_sink_fn sink,
                        void *ctx, struct cric_error **err) {
        if (!repo_is_valid(repo))
                return cric_error_set(err, CRIC_E_INVALID, "invalid repository name \"%s\"", repo);
        if (!digest_is_wellformed(digest))
                return cric_error_set(err, CRIC_E_INVALID, "invalid blob digest \"%s\"", digest);
        AUTOFREE char *path = xasprintf("/v2/%s/blobs/%s", repo, digest);
        struct registry_call call = {
                .repo = repo,
                .path = path,
                .sink = sink,
                .sink_ctx = ctx,
        };
        struct http_reply rep;
        int r = registry_call_run(c, &call, &rep, err);
        http_reply_clear(&rep);
        free(call.url);
        return r;
}
