/* containers-policy.json(5): parsing, scope selection and identity matching. Parsing is
 * strict, as containers/image is: a policy the operator wrote to protect the node must
 * not be half-understood, so an unknown field or type fails every pull it governs
 * rather than being skipped. */
#include "image/policy.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define POLICY_MAX_SIZE (4u << 20)

static const char *const req_names[] = {
        [POLICY_ACCEPT_ANYTHING] = "insecureAcceptAnything",
        [POLICY_REJECT] = "reject",
        [POLICY_SIGNED_BY] = "signedBy",
        [POLICY_SIGSTORE_SIGNED] = "sigstoreSigned",
};

static const char *const id_names[] = {
        [POLICY_ID_MATCH_REPO_DIGEST_OR_EXACT] = "matchRepoDigestOrExact",
        [POLICY_ID_MATCH_EXACT] = "matchExact",
        [POLICY_ID_MATCH_REPOSITORY] = "matchRepository",
        [POLICY_ID_EXACT_REFERENCE] = "exactReference",
        [POLICY_ID_EXACT_REPOSITORY] = "exactRepository",
        [POLICY_ID_REMAP_IDENTITY] = "remapIdentity",
};

const char *policy_req_type_name(enum policy_req_type t) {
        return t <= POLICY_SIGSTORE_SIGNED ? req_names[t] : "?";
}

static int lookup(const char *const *names, size_t n, const char *s) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(names[i], s) == 0)
                        return (int) i;
        return -1;
}

/* Every key of o must be one of allowed (NULL-terminated). */
static int only_fields(struct json_object *o, const char *const *allowed, const char *where, struct cric_error **err) {
        json_object_object_foreach(o, key, val) {
                (void) val;
                bool ok = false;
                for (const char *const *a = allowed; *a && !ok; a++)
                        ok = strcmp(*a, key) == 0;
                if (!ok)
                        return cric_error_set(err, CRIC_E_INVALID, "%s: unknown field \"%s\"", where, key);
        }
        return 0;
}

static int get_string(struct json_object *o, const char *key, bool required, const char *where, const char **ret,
                      struct cric_error **err) {
        struct json_object *v = NULL;
        *ret = NULL;
        if (!json_object_object_get_ex(o, key, &v)) {
                if (required)
                        return cric_error_set(err, CRIC_E_INVALID, "%s: \"%s\" is missing", where, key);
                return 0;
        }
        if (!json_object_is_type(v, json_type_string))
                return cric_error_set(err, CRIC_E_INVALID, "%s: \"%s\" must be a string", where, key);
        *ret = json_object_get_string(v);
        return 0;
}

static int parse_identity(struct json_object *o, const char *where, struct policy_identity *id,
                          struct cric_error **err) {
        if (!json_object_is_type(o, json_type_object))
                return cric_error_set(err, CRIC_E_INVALID, "%s: signedIdentity must be an object", where);
        AUTOFREE char *w = xasprintf("%s: signedIdentity", where);
        const char *type = NULL;
        if (get_string(o, "type", true, w, &type, err) < 0)
                return -1;
        int t = lookup(id_names, sizeof(id_names) / sizeof(id_names[0]), type);
        if (t < 0)
                return cric_error_set(err, CRIC_E_INVALID, "%s: unknown type \"%s\"", w, type);
        id->type = (enum policy_identity_type) t;
        static const char *const plain[] = {"type", NULL};
        static const char *const exact_ref[] = {"type", "dockerReference", NULL};
        static const char *const exact_repo[] = {"type", "dockerRepository", NULL};
        static const char *const remap[] = {"type", "prefix", "signedPrefix", NULL};
        const char *v = NULL, *prefix = NULL, *signed_prefix = NULL;
        CLEANUP(image_ref_freep) struct image_ref *ref = NULL;
        switch (id->type) {
        case POLICY_ID_EXACT_REFERENCE:
                if (only_fields(o, exact_ref, w, err) < 0 || get_string(o, "dockerReference", true, w, &v, err) < 0)
                        return -1;
                if (image_ref_parse(v, &ref, err) < 0)
                        return cric_error_prefix(err, "%s: dockerReference", w);
                if (!strchr(v, ':') && !strchr(v, '@'))
                        return cric_error_set(err, CRIC_E_INVALID, "%s: dockerReference \"%s\" has no tag or digest", w,
                                              v);
                id->value = image_ref_string(ref);
                return 0;
        case POLICY_ID_EXACT_REPOSITORY:
                if (only_fields(o, exact_repo, w, err) < 0 || get_string(o, "dockerRepository", true, w, &v, err) < 0)
                        return -1;
                if (image_ref_parse(v, &ref, err) < 0)
                        return cric_error_prefix(err, "%s: dockerRepository", w);
                id->value = image_ref_name(ref);
                return 0;
        case POLICY_ID_REMAP_IDENTITY:
                if (only_fields(o, remap, w, err) < 0 || get_string(o, "prefix", true, w, &prefix, err) < 0 ||
                    get_string(o, "signedPrefix", true, w, &signed_prefix, err) < 0)
                        return -1;
                if (!*prefix || !*signed_prefix)
                        return cric_error_set(err, CRIC_E_INVALID, "%s: prefix and signedPrefix must not be empty", w);
                id->prefix = xstrdup(prefix);
                id->signed_prefix = xstrdup(signed_prefix);
                return 0;
        default: return only_fields(o, plain, w, err);
        }
}

static void add_key(struct policy_req *r, char *path, unsigned char *data, size_t len) {
        r->keys = xrealloc(r->keys, (r->n_keys + 1) * sizeof(*r->keys));
        r->keys[r->n_keys++] = (struct policy_key){.path = path, .data = data, .len = len};
}

static int add_key_data(struct policy_req *r, const char *b64, const char *where, struct cric_error **err) {
        char *data = NULL;
        size_t len = 0;
        if (base64_decode(b64, strlen(b64), &data, &len, err) < 0)
                return cric_error_prefix(err, "%s: key data", where);
        add_key(r, NULL, (unsigned char *) data, len);
        return 0;
}

/* keyPath | keyPaths | keyData (| keyDatas for sigstoreSigned): exactly one. */
static int parse_keys(struct json_object *o, bool datas_allowed, const char *where, struct policy_req *r,
                      struct cric_error **err) {
        static const char *const forms[] = {"keyPath", "keyPaths", "keyData", "keyDatas"};
        int given = 0;
        for (size_t i = 0; i < 4; i++) {
                struct json_object *v = NULL;
                if (!json_object_object_get_ex(o, forms[i], &v))
                        continue;
                if (i == 3 && !datas_allowed)
                        return cric_error_set(err, CRIC_E_INVALID, "%s: unknown field \"keyDatas\"", where);
                given++;
                bool list = i == 1 || i == 3;
                if (!list && !json_object_is_type(v, json_type_string))
                        return cric_error_set(err, CRIC_E_INVALID, "%s: \"%s\" must be a string", where, forms[i]);
                if (list && (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0))
                        return cric_error_set(err, CRIC_E_INVALID, "%s: \"%s\" must be a non-empty array", where,
                                              forms[i]);
                size_t n = list ? json_object_array_length(v) : 1;
                for (size_t k = 0; k < n; k++) {
                        struct json_object *e = list ? json_object_array_get_idx(v, k) : v;
                        if (!json_object_is_type(e, json_type_string) || !*json_object_get_string(e))
                                return cric_error_set(err, CRIC_E_INVALID, "%s: \"%s\" must hold non-empty strings",
                                                      where, forms[i]);
                        const char *s = json_object_get_string(e);
                        if (i <= 1 && s[0] != '/')
                                return cric_error_set(err, CRIC_E_INVALID, "%s: key path \"%s\" is not absolute", where,
                                                      s);
                        if (i <= 1)
                                add_key(r, xstrdup(s), NULL, 0);
                        else if (add_key_data(r, s, where, err) < 0)
                                return -1;
                }
        }
        if (given != 1)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "%s: exactly one of keyPath, keyPaths, keyData%s must be given", where,
                                      datas_allowed ? ", keyDatas" : "");
        return 0;
}

static int parse_req(struct json_object *o, const char *where, struct policy_req *r, struct cric_error **err) {
        if (!json_object_is_type(o, json_type_object))
                return cric_error_set(err, CRIC_E_INVALID, "%s: a requirement must be an object", where);
        const char *type = NULL;
        if (get_string(o, "type", true, where, &type, err) < 0)
                return -1;
        int t = lookup(req_names, sizeof(req_names) / sizeof(req_names[0]), type);
        if (t < 0)
                return cric_error_set(err, CRIC_E_INVALID, "%s: unknown requirement type \"%s\"", where, type);
        r->type = (enum policy_req_type) t;
        AUTOFREE char *w = xasprintf("%s (%s)", where, type);
        static const char *const plain[] = {"type", NULL};
        static const char *const signed_by[] = {"type",    "keyType",        "keyPath", "keyPaths",
                                                "keyData", "signedIdentity", NULL};
        static const char *const sigstore[] = {"type",
                                               "keyPath",
                                               "keyPaths",
                                               "keyData",
                                               "keyDatas",
                                               "fulcio",
                                               "rekorPublicKeyPath",
                                               "rekorPublicKeyData",
                                               "pki",
                                               "signedIdentity",
                                               NULL};
        struct json_object *id = NULL;
        switch (r->type) {
        case POLICY_ACCEPT_ANYTHING:
        case POLICY_REJECT: return only_fields(o, plain, w, err);
        case POLICY_SIGNED_BY: {
                const char *key_type = NULL;
                if (only_fields(o, signed_by, w, err) < 0 || get_string(o, "keyType", true, w, &key_type, err) < 0)
                        return -1;
                if (strcmp(key_type, "GPGKeys") != 0)
                        return cric_error_set(err, CRIC_E_INVALID, "%s: keyType \"%s\" is not supported (only GPGKeys)",
                                              w, key_type);
                if (parse_keys(o, false, w, r, err) < 0)
                        return -1;
                break;
        }
        case POLICY_SIGSTORE_SIGNED:
                if (only_fields(o, sigstore, w, err) < 0)
                        return -1;
                static const char *const unsupported[] = {"fulcio", "rekorPublicKeyPath", "rekorPublicKeyData", "pki"};
                for (size_t i = 0; i < 4; i++)
                        if (json_object_object_get_ex(o, unsupported[i], NULL))
                                return cric_error_set(err, CRIC_E_INVALID,
                                                      "%s: \"%s\" is not supported: cric verifies sigstore signatures "
                                                      "with public keys only",
                                                      w, unsupported[i]);
                if (parse_keys(o, true, w, r, err) < 0)
                        return -1;
                break;
        }
        if (json_object_object_get_ex(o, "signedIdentity", &id))
                return parse_identity(id, w, &r->identity, err);
        return 0;
}

static int parse_reqs(struct json_object *arr, const char *where, struct policy_reqs *ret, struct cric_error **err) {
        if (!json_object_is_type(arr, json_type_array))
                return cric_error_set(err, CRIC_E_INVALID, "%s: must be an array of requirements", where);
        size_t n = json_object_array_length(arr);
        if (n == 0)
                return cric_error_set(err, CRIC_E_INVALID, "%s: an empty list of requirements", where);
        ret->reqs = xcalloc(n, sizeof(*ret->reqs));
        for (size_t i = 0; i < n; i++) {
                ret->n = i + 1;
                AUTOFREE char *w = xasprintf("%s, requirement %zu", where, i + 1);
                if (parse_req(json_object_array_get_idx(arr, i), w, &ret->reqs[i], err) < 0)
                        return -1;
        }
        return 0;
}

static void reqs_clear(struct policy_reqs *r) {
        for (size_t i = 0; i < r->n; i++) {
                struct policy_req *q = &r->reqs[i];
                for (size_t k = 0; k < q->n_keys; k++) {
                        free(q->keys[k].path);
                        free(q->keys[k].data);
                }
                free(q->keys);
                free(q->identity.value);
                free(q->identity.prefix);
                free(q->identity.signed_prefix);
        }
        free(r->reqs);
        free(r->scope);
}

/* A docker scope: "", "*.domain", or a domain, namespace, repository or reference
 * spelled in full (no short names: "busybox" would be a domain of that name). */
static int check_docker_scope(const char *scope, const char *where, struct cric_error **err) {
        if (!*scope)
                return 0;
        const char *s = strncmp(scope, "*.", 2) == 0 ? scope + 2 : scope;
        for (const char *p = s; *p; p++)
                if (!(('a' <= *p && *p <= 'z') || ('0' <= *p && *p <= '9') || strchr("._-/:@[]", *p)) ||
                    (s != scope && strchr("/:@", *p)))
                        return cric_error_set(err, CRIC_E_INVALID, "%s: \"%s\" is not a valid docker scope", where,
                                              scope);
        if (!*s || *s == '/' || s[strlen(s) - 1] == '/' || strstr(s, "//"))
                return cric_error_set(err, CRIC_E_INVALID, "%s: \"%s\" is not a valid docker scope", where, scope);
        return 0;
}

static int parse_transports(struct json_object *t, struct policy *p, struct cric_error **err) {
        if (!json_object_is_type(t, json_type_object))
                return cric_error_set(err, CRIC_E_INVALID, "%s: \"transports\" must be an object", p->path);
        json_object_object_foreach(t, transport, scopes) {
                if (!json_object_is_type(scopes, json_type_object))
                        return cric_error_set(err, CRIC_E_INVALID, "%s: transports.%s must be an object", p->path,
                                              transport);
                bool docker = strcmp(transport, "docker") == 0;
                json_object_object_foreach(scopes, scope, reqs) {
                        AUTOFREE char *where = xasprintf("%s: transports.%s \"%s\"", p->path, transport, scope);
                        if (docker && check_docker_scope(scope, where, err) < 0)
                                return -1;
                        struct policy_reqs r = {0};
                        int rc = parse_reqs(reqs, where, &r, err);
                        if (!docker || rc < 0) {
                                /* other transports are checked, not used */
                                reqs_clear(&r);
                                if (rc < 0)
                                        return -1;
                                continue;
                        }
                        p->docker = xrealloc(p->docker, (p->n_docker + 1) * sizeof(*p->docker));
                        r.scope = xstrdup(scope);
                        p->docker[p->n_docker++] = r;
                }
        }
        return 0;
}

int policy_parse(const char *data, size_t len, const char *path, struct policy **ret, struct cric_error **err) {
        AUTOJSON struct json_object *doc = NULL;
        if (json_parse_object(data, len, path, &doc, err) < 0)
                return -1;
        CLEANUP(policy_freep) struct policy *p = xcalloc(1, sizeof(*p));
        p->path = xstrdup(path);
        static const char *const top[] = {"default", "transports", NULL};
        if (only_fields(doc, top, path, err) < 0)
                return -1;
        struct json_object *def = NULL, *transports = NULL;
        if (!json_object_object_get_ex(doc, "default", &def))
                return cric_error_set(err, CRIC_E_INVALID, "%s: \"default\" is missing", path);
        AUTOFREE char *where = xasprintf("%s: default", path);
        if (parse_reqs(def, where, &p->def, err) < 0)
                return -1;
        if (json_object_object_get_ex(doc, "transports", &transports) && parse_transports(transports, p, err) < 0)
                return -1;
        *ret = STEAL_PTR(p);
        return 0;
}

int policy_load(const char *path, struct policy **ret, struct cric_error **err) {
        AUTOFREE char *data = NULL;
        size_t len = 0;
        if (fs_read_file(path, POLICY_MAX_SIZE, &data, &len, err) < 0) {
                (*err)->kind = CRIC_E_PRECONDITION;
                return cric_error_prefix(err, "signature policy");
        }
        return policy_parse(data, len, path, ret, err);
}

static const struct policy_reqs *find_scope(const struct policy *p, const char *scope) {
        for (size_t i = 0; i < p->n_docker; i++)
                if (strcmp(p->docker[i].scope, scope) == 0)
                        return &p->docker[i];
        return NULL;
}

char **policy_scopes(const struct image_ref *ref) {
        char **v = NULL;
        size_t n = 0, cap = 0;
#define PUSH(s)                                                                                                        \
        do {                                                                                                           \
                v = xgrow(v, &cap, n + 2, sizeof(char *));                                                             \
                v[n++] = (s);                                                                                          \
                v[n] = NULL;                                                                                           \
        } while (0)
        AUTOFREE char *name = image_ref_name(ref);
        /* the reference itself: name@digest, else name:tag */
        PUSH(ref->digest ? xasprintf("%s@%s", name, ref->digest) : xasprintf("%s:%s", name, ref->tag));
        /* the repository, then each enclosing namespace, then the domain */
        for (char *slash = NULL;; *slash = '\0') {
                PUSH(xstrdup(name));
                slash = strrchr(name, '/');
                if (!slash)
                        break;
        }
        /* *.example.com for sub.example.com, then *.com (host names only, no port) */
        AUTOFREE char *host = xstrdup(ref->domain);
        host[strcspn(host, ":")] = '\0';
        bool ip = strspn(host, "0123456789.") == strlen(host) || strchr(ref->domain, '[');
        for (const char *dot = strchr(host, '.'); !ip && dot; dot = strchr(dot + 1, '.'))
                PUSH(xasprintf("*%s", dot));
#undef PUSH
        return v;
}

const struct policy_reqs *policy_select(const struct policy *p, const struct image_ref *ref) {
        const struct policy_reqs *r = NULL;
        CLEANUP(strv_freep) char **scopes = policy_scopes(ref);
        for (size_t i = 0; scopes[i]; i++)
                if ((r = find_scope(p, scopes[i])))
                        return r;
        if ((r = find_scope(p, "")))
                return r;
        return &p->def;
}

/* matchRepoDigestOrExact: a digest reference accepts any signature for its repository,
 * a tagged one only a signature for that very tag. */
static bool repo_digest_or_exact(const struct image_ref *image, const char *image_name, const struct image_ref *sig) {
        AUTOFREE char *sig_name = image_ref_name(sig);
        if (strcmp(image_name, sig_name) != 0)
                return false;
        if (image->digest && !image->tag)
                return true;
        return image->tag && sig->tag && !sig->digest && strcmp(image->tag, sig->tag) == 0;
}

bool policy_identity_match(const struct policy_identity *id, const struct image_ref *image,
                           const char *signed_reference) {
        CLEANUP(image_ref_freep) struct image_ref *sig = NULL;
        if (image_ref_parse(signed_reference, &sig, NULL) < 0)
                return false;
        AUTOFREE char *image_name = image_ref_name(image);
        AUTOFREE char *sig_name = image_ref_name(sig);
        AUTOFREE char *sig_full = image_ref_string(sig);
        switch (id->type) {
        case POLICY_ID_MATCH_EXACT: {
                AUTOFREE char *image_full = image_ref_string(image);
                return strcmp(image_full, sig_full) == 0;
        }
        case POLICY_ID_MATCH_REPOSITORY: return strcmp(image_name, sig_name) == 0;
        case POLICY_ID_EXACT_REFERENCE: return strcmp(id->value, sig_full) == 0;
        case POLICY_ID_EXACT_REPOSITORY: return strcmp(id->value, sig_name) == 0;
        case POLICY_ID_REMAP_IDENTITY: {
                size_t n = strlen(id->prefix);
                /* the prefix must end at a component boundary of the name */
                if (strncmp(image_name, id->prefix, n) == 0 &&
                    (image_name[n] == '\0' || image_name[n] == '/' || id->prefix[n - 1] == '/')) {
                        AUTOFREE char *full = image_ref_string(image);
                        AUTOFREE char *mapped = xasprintf("%s%s", id->signed_prefix, full + n);
                        CLEANUP(image_ref_freep) struct image_ref *m = NULL;
                        if (image_ref_parse(mapped, &m, NULL) < 0)
                                return false;
                        AUTOFREE char *m_name = image_ref_name(m);
                        return repo_digest_or_exact(m, m_name, sig);
                }
                return repo_digest_or_exact(image, image_name, sig);
        }
        case POLICY_ID_MATCH_REPO_DIGEST_OR_EXACT:
        default: return repo_digest_or_exact(image, image_name, sig);
        }
}

struct policy *policy_free(struct policy *p) {
        if (!p)
                return NULL;
        reqs_clear(&p->def);
        for (size_t i = 0; i < p->n_docker; i++)
                reqs_clear(&p->docker[i]);
        free(p->docker);
        free(p->path);
        free(p);
        return NULL;
}

void policy_freep(struct policy **p) {
        *p = policy_free(*p);
}
