/* Where signatures live: registries.d(5) and the lookaside stores it names.
 *
 * Every *.yaml file of the directory may hold `default-docker: {...}` and
 * `docker: {<scope>: {...}}` with lookaside (or its older name sigstore), the *-staging
 * forms (for writers; ignored here) and use-sigstore-attachments. For each setting the
 * most specific scope that sets it wins, then default-docker. A scope defined twice,
 * in one file or in two, is an error, as in containers/image.
 *
 * A lookaside store is a tree: <base>/<path in the registry>@sha256=<hex>/signature-N,
 * N from 1 up to the first missing one; file:// is read from disk, http(s):// over
 * libcurl. */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "image/curl_lazy.h"
#include "image/sig.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"
#include "util/yaml.h"

#define REGISTRIES_D_MAX_SIZE (1u << 20)
#define LOOKASIDE_TIMEOUT_S   60L

void sig_sources_clear(struct sig_sources *s) {
        free(s->lookaside);
        *s = (struct sig_sources){0};
}

/* One scope's settings as found in a file. */
struct ns_entry {
        char *scope; /* NULL: default-docker */
        char *file;
        char *lookaside;
        int attachments; /* -1: not set */
};

static int parse_entry(struct json_object *o, const char *file, const char *scope, struct ns_entry *e,
                       struct cric_error **err) {
        e->attachments = -1;
        e->scope = scope ? xstrdup(scope) : NULL;
        e->file = xstrdup(file);
        const char *where = scope ? scope : "default-docker";
        if (!json_object_is_type(o, json_type_object)) {
                if (json_object_is_type(o, json_type_null))
                        return 0;
                return cric_error_set(err, CRIC_E_INVALID, "%s: %s: must be a mapping", file, where);
        }
        json_object_object_foreach(o, key, val) {
                if (strcmp(key, "lookaside") == 0 || strcmp(key, "sigstore") == 0) {
                        if (!json_object_is_type(val, json_type_string))
                                return cric_error_set(err, CRIC_E_INVALID, "%s: %s: %s must be a string", file, where,
                                                      key);
                        if (e->lookaside)
                                return cric_error_set(err, CRIC_E_INVALID,
                                                      "%s: %s: both lookaside and sigstore are set", file, where);
                        e->lookaside = xstrdup(json_object_get_string(val));
                } else if (strcmp(key, "use-sigstore-attachments") == 0) {
                        if (!json_object_is_type(val, json_type_boolean))
                                return cric_error_set(err, CRIC_E_INVALID, "%s: %s: %s must be true or false", file,
                                                      where, key);
                        e->attachments = json_object_get_boolean(val);
                } else if (strcmp(key, "lookaside-staging") != 0 && strcmp(key, "sigstore-staging") != 0) {
                        return cric_error_set(err, CRIC_E_INVALID, "%s: %s: unknown field \"%s\"", file, where, key);
                }
        }
        return 0;
}

/* Every scope of every file of the directory. */
struct registries_d {
        struct ns_entry *v;
        size_t n, cap;
};

struct registries_d *registries_d_free(struct registries_d *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n; i++) {
                free(t->v[i].scope);
                free(t->v[i].file);
                free(t->v[i].lookaside);
        }
        free(t->v);
        free(t);
        return NULL;
}

void registries_d_freep(struct registries_d **t) {
        *t = registries_d_free(*t);
}

static int add_entry(struct registries_d *t, struct json_object *o, const char *file, const char *scope,
                     struct cric_error **err) {
        for (size_t i = 0; i < t->n; i++)
                if ((scope == NULL) == (t->v[i].scope == NULL) && (!scope || strcmp(scope, t->v[i].scope) == 0))
                        return cric_error_set(err, CRIC_E_INVALID, "%s: %s is also configured in %s", file,
                                              scope ? scope : "default-docker", t->v[i].file);
        t->v = xgrow(t->v, &t->cap, t->n + 1, sizeof(*t->v));
        struct ns_entry *e = &t->v[t->n++];
        *e = (struct ns_entry){0};
        return parse_entry(o, file, scope, e, err);
}

static int load_file(struct registries_d *t, const char *path, struct cric_error **err) {
        AUTOFREE char *data = NULL;
        size_t len = 0;
        if (fs_read_file(path, REGISTRIES_D_MAX_SIZE, &data, &len, err) < 0)
                return -1;
        if (strspn(data, " \t\r\n") == len)
                return 0; /* an empty file configures nothing */
        AUTOJSON struct json_object *doc = NULL;
        if (yaml_parse_json(data, len, path, &doc, err) < 0)
                return -1;
        json_object_object_foreach(doc, key, val) {
                if (strcmp(key, "default-docker") == 0) {
                        if (add_entry(t, val, path, NULL, err) < 0)
                                return -1;
                } else if (strcmp(key, "docker") == 0) {
                        if (!json_object_is_type(val, json_type_object))
                                return cric_error_set(err, CRIC_E_INVALID, "%s: docker must be a mapping", path);
                        json_object_object_foreach(val, scope, entry) {
                                if (add_entry(t, entry, path, scope, err) < 0)
                                        return -1;
                        }
                } else {
                        return cric_error_set(err, CRIC_E_INVALID, "%s: unknown field \"%s\"", path, key);
                }
        }
        return 0;
}

static const struct ns_entry *find(const struct registries_d *t, const char *scope) {
        for (size_t i = 0; i < t->n; i++)
                if ((scope == NULL) == (t->v[i].scope == NULL) && (!scope || strcmp(scope, t->v[i].scope) == 0))
                        return &t->v[i];
        return NULL;
}

int registries_d_load(const char *dir, struct registries_d **ret, struct cric_error **err) {
        CLEANUP(strv_freep) char **names = NULL;
        if (fs_list_dir(dir, ".yaml", true, &names, err) < 0)
                return cric_error_prefix(err, "registries.d");
        CLEANUP(registries_d_freep) struct registries_d *t = xcalloc(1, sizeof(*t));
        for (size_t i = 0; names[i]; i++) {
                AUTOFREE char *path = xasprintf("%s/%s", dir, names[i]);
                if (load_file(t, path, err) < 0)
                        return -1;
        }
        *ret = STEAL_PTR(t);
        return 0;
}

void registries_d_sources(const struct registries_d *t, const struct image_ref *ref, struct sig_sources *ret) {
        CLEANUP(strv_freep) char **scopes = policy_scopes(ref);
        const char *lookaside = NULL;
        int attachments = -1;
        size_t n = strv_length(scopes);
        for (size_t i = 0; i <= n; i++) {
                const struct ns_entry *e = find(t, scopes[i]); /* scopes[n] is NULL: default-docker */
                if (e && !lookaside && e->lookaside)
                        lookaside = e->lookaside;
                if (e && attachments < 0)
                        attachments = e->attachments;
        }
        *ret = (struct sig_sources){
                .lookaside = lookaside ? xstrdup(lookaside) : NULL,
                .use_sigstore_attachments = attachments > 0,
        };
}

/* ---- fetching from a lookaside store ---- */

struct body {
        char *buf;
        size_t len, cap;
        bool too_big;
};

static size_t body_write(char *data, size_t size, size_t n, void *ctx) {
        struct body *b = ctx;
        size_t len = size * n;
        if (b->len + len > SIG_MAX_SIZE) {
                b->too_big = true;
                return 0;
        }
        b->buf = xgrow(b->buf, &b->cap, b->len + len + 1, 1);
        memcpy(b->buf + b->len, data, len);
        b->len += len;
        return len;
}

/* 1 with the body, 0 when the server says 404, -1 on any other failure. */
static int http_get(CURL *h, const char *url, char **ret, size_t *ret_len, struct cric_error **err) {
        struct body b = {0};
        curl_easy_reset(h);
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, LOOKASIDE_TIMEOUT_S);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_write);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
        CURLcode c = curl_easy_perform(h);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (c != CURLE_OK || (status != 200 && status != 404)) {
                free(b.buf);
                if (b.too_big)
                        return cric_error_set(err, CRIC_E_INVALID, "%s is larger than %u bytes", url, SIG_MAX_SIZE);
                if (c != CURLE_OK)
                        return cric_error_set(err, CRIC_E_UNAVAILABLE, "GET %s: %s", url, curl_easy_strerror(c));
                return cric_error_set(err, CRIC_E_UNAVAILABLE, "GET %s: HTTP %ld", url, status);
        }
        if (status == 404) {
                free(b.buf);
                return 0;
        }
        *ret = b.buf ? b.buf : xstrdup("");
        *ret_len = b.len;
        return 1;
}

static int file_get(const char *path, char **ret, size_t *ret_len, struct cric_error **err) {
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (fs_read_file(path, SIG_MAX_SIZE, ret, ret_len, &e) < 0) {
                if (e->errno_value == ENOENT)
                        return 0;
                return cric_error_move(err, &e);
        }
        return 1;
}

int lookaside_fetch(const char *base, const struct image_ref *ref, const char *manifest_digest, char ***ret_sigs,
                    size_t **ret_lens, size_t *ret_n, struct cric_error **err) {
        *ret_sigs = NULL;
        *ret_lens = NULL;
        *ret_n = 0;
        bool is_file = strncmp(base, "file://", 7) == 0;
        if (!is_file && strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "lookaside %s: only file://, http:// and https:// are supported", base);
        AUTOFREE char *digest = xstrdup(manifest_digest);
        digest[strcspn(digest, ":")] = '=';
        size_t blen = strlen(base);
        while (blen > 0 && base[blen - 1] == '/')
                blen--;
        CURL *h = NULL;
        if (!is_file) {
                if (lazylib_acquire(&curl_lib, err) < 0)
                        return -1;
                h = curl_easy_init();
        }
        char **sigs = xcalloc(SIG_MAX_COUNT + 1, sizeof(char *));
        size_t *lens = xcalloc(SIG_MAX_COUNT + 1, sizeof(size_t));
        size_t n = 0;
        int r = 0;
        for (; n < SIG_MAX_COUNT; n++) {
                AUTOFREE char *url = xasprintf("%.*s/%s@%s/signature-%zu", (int) blen, base, ref->path, digest, n + 1);
                r = is_file ? file_get(url + 7, &sigs[n], &lens[n], err) : http_get(h, url, &sigs[n], &lens[n], err);
                if (r <= 0)
                        break;
                log_debug("read signature %s", url);
        }
        if (h) {
                curl_easy_cleanup(h);
                lazylib_release(&curl_lib);
        }
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        free(sigs[i]);
                free(sigs);
                free(lens);
                return cric_error_prefix(err, "signatures of %s", manifest_digest);
        }
        *ret_sigs = sigs;
        *ret_lens = lens;
        *ret_n = n;
        return 0;
}
