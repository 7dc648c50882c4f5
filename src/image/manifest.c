/* Image manifests and indexes: kind detection, OCI image manifest and index, Docker
 * schema 2 manifest and manifest list (schema 1 lives in manifest_v1.c), and the JSON
 * helpers that the image parsers share.
 *
 * Everything here reads untrusted registry data: every member is type-checked, digests
 * and sizes are validated, and array lengths are bounded before anything is allocated.
 * Nothing here keeps global state, so every function is safe to call from any thread. */
#include "image/manifest.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "image/manifest_internal.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/log.h"
#include "util/xalloc.h"

const char *const manifest_accept_types[] = {
        MT_OCI_INDEX, MT_OCI_MANIFEST, MT_DOCKER_LIST, MT_DOCKER_V2S2, MT_DOCKER_V2S1_SIGNED, MT_DOCKER_V2S1, NULL,
};

static const struct {
        const char *media_type;
        enum manifest_kind kind;
} manifest_types[] = {
        {MT_OCI_MANIFEST, MANIFEST_OCI},        {MT_OCI_INDEX, MANIFEST_OCI_INDEX},
        {MT_DOCKER_V2S2, MANIFEST_DOCKER_V2S2}, {MT_DOCKER_LIST, MANIFEST_DOCKER_LIST},
        {MT_DOCKER_V2S1, MANIFEST_DOCKER_V2S1}, {MT_DOCKER_V2S1_SIGNED, MANIFEST_DOCKER_V2S1},
};

/* The document's own media type, by kind (schema 1 picks signed or not itself). */
static const char *const kind_media_types[MANIFEST_KIND_MAX] = {
        [MANIFEST_OCI] = MT_OCI_MANIFEST,        [MANIFEST_OCI_INDEX] = MT_OCI_INDEX,
        [MANIFEST_DOCKER_V2S2] = MT_DOCKER_V2S2, [MANIFEST_DOCKER_LIST] = MT_DOCKER_LIST,
        [MANIFEST_DOCKER_V2S1] = MT_DOCKER_V2S1,
};

static const struct {
        const char *media_type;
        enum layer_compression compression;
} layer_types[] = {
        {MT_OCI_LAYER, LAYER_COMPRESSION_NONE},
        {MT_OCI_LAYER_GZIP, LAYER_COMPRESSION_GZIP},
        {MT_OCI_LAYER_ZSTD, LAYER_COMPRESSION_ZSTD},
        /* Deprecated in image-spec 1.1 but still met (Windows base layers). Descriptor
         * "urls" are not kept, so such a blob must be pullable from the registry. */
        {"application/vnd.oci.image.layer.nondistributable.v1.tar", LAYER_COMPRESSION_NONE},
        {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", LAYER_COMPRESSION_GZIP},
        {"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", LAYER_COMPRESSION_ZSTD},
        {MT_DOCKER_LAYER_GZIP, LAYER_COMPRESSION_GZIP},
        {MT_DOCKER_LAYER_FOREIGN, LAYER_COMPRESSION_GZIP},
};

/* Content-Type values that say nothing about the manifest kind. The schema 1 spec
 * allows application/json; some registries and proxies send the others. */
static const char *const generic_content_types[] = {
        "application/json",
        "text/plain",
        "application/octet-stream",
        "binary/octet-stream",
};

/* ---- kind detection ---- */

static enum manifest_kind kind_from_media_type(const char *s, size_t len) {
        for (size_t i = 0; i < sizeof(manifest_types) / sizeof(manifest_types[0]); i++) {
                const char *mt = manifest_types[i].media_type;
                if (strlen(mt) == len && strncasecmp(mt, s, len) == 0)
                        return manifest_types[i].kind;
        }
        return MANIFEST_KIND_INVALID;
}

/* Maps the Content-Type header ("type/subtype; params", any case) to a kind;
 * MANIFEST_KIND_INVALID when it is absent or generic. Unknown specific types are errors:
 * the registry told us what the document is, and it is nothing we can run. */
static int content_type_kind(const char *content_type, enum manifest_kind *ret, struct cric_error **err) {
        *ret = MANIFEST_KIND_INVALID;
        if (!content_type)
                return 0;
        const char *s = content_type + strspn(content_type, " \t");
        size_t len = strcspn(s, ";");
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
                len--;
        if (len == 0)
                return 0;
        for (size_t i = 0; i < sizeof(generic_content_types) / sizeof(generic_content_types[0]); i++)
                if (strlen(generic_content_types[i]) == len && strncasecmp(generic_content_types[i], s, len) == 0)
                        return 0;
        *ret = kind_from_media_type(s, len);
        if (*ret == MANIFEST_KIND_INVALID) {
                AUTOFREE char *q = image_quote(content_type);
                return cric_error_set(err, CRIC_E_INVALID, "unsupported manifest media type %s", q);
        }
        return 0;
}

/* Content-Type when specific, else the document's mediaType, else its shape. */
static int detect_kind(struct json_object *root, const char *content_type, enum manifest_kind ct_kind,
                       enum manifest_kind *ret, struct cric_error **err) {
        const char *doc_mt = NULL;
        if (image_json_string(root, "", "mediaType", false, &doc_mt, err) < 0)
                return -1;
        enum manifest_kind doc_kind = doc_mt ? kind_from_media_type(doc_mt, strlen(doc_mt)) : MANIFEST_KIND_INVALID;
        if (ct_kind != MANIFEST_KIND_INVALID) {
                if (doc_mt && doc_kind != ct_kind) {
                        AUTOFREE char *qc = image_quote(content_type);
                        AUTOFREE char *qd = image_quote(doc_mt);
                        return cric_error_set(err, CRIC_E_INVALID,
                                              "Content-Type %s disagrees with the document's mediaType %s", qc, qd);
                }
                *ret = ct_kind;
                return 0;
        }
        if (doc_mt) {
                if (doc_kind == MANIFEST_KIND_INVALID) {
                        AUTOFREE char *q = image_quote(doc_mt);
                        return cric_error_set(err, CRIC_E_INVALID, "unsupported manifest media type %s", q);
                }
                *ret = doc_kind;
                return 0;
        }
        /* Neither says: only OCI documents may omit mediaType (it is a SHOULD there), and
         * schema 1 never had one. */
        if (image_json_member(root, "manifests"))
                *ret = MANIFEST_OCI_INDEX;
        else if (image_json_member(root, "fsLayers"))
                *ret = MANIFEST_DOCKER_V2S1;
        else if (image_json_member(root, "config") || image_json_member(root, "layers"))
                *ret = MANIFEST_OCI;
        else
                return cric_error_set(err, CRIC_E_INVALID,
                                      "cannot tell the manifest type: no mediaType, manifests, fsLayers or layers");
        return 0;
}

static int check_schema_version(struct json_object *root, enum manifest_kind kind, struct cric_error **err) {
        int64_t version = 0;
        if (image_json_int64(root, "", "schemaVersion", true, &version, err) < 0)
                return -1;
        int64_t want = kind == MANIFEST_DOCKER_V2S1 ? 1 : 2;
        if (version != want)
                return cric_error_set(err, CRIC_E_INVALID, "schemaVersion %lld is not %lld, as %s requires",
                                      (long long) version, (long long) want, kind_media_types[kind]);
        return 0;
}

/* ---- descriptors ---- */

void manifest_descriptor_clear(struct descriptor *d) {
        free(d->media_type);
        free(d->digest);
        free(d->platform.os);
        free(d->platform.architecture);
        free(d->platform.variant);
        *d = (struct descriptor){0};
}

static int parse_descriptor(struct json_object *obj, const char *where, struct descriptor *d, struct cric_error **err) {
        if (!obj || !json_object_is_type(obj, json_type_object))
                return cric_error_set(err, CRIC_E_INVALID, "%s is not an object", where);
        const char *media_type, *digest;
        int64_t size;
        if (image_json_string(obj, where, "mediaType", true, &media_type, err) < 0 ||
            image_json_string(obj, where, "digest", true, &digest, err) < 0 ||
            image_json_int64(obj, where, "size", true, &size, err) < 0)
                return -1;
        if (!*media_type)
                return cric_error_set(err, CRIC_E_INVALID, "%s.mediaType is empty", where);
        if (!image_digest_is_valid(digest)) {
                AUTOFREE char *q = image_quote(digest);
                return cric_error_set(err, CRIC_E_INVALID, "%s.digest %s is not a valid digest", where, q);
        }
        if (size < 0)
                return cric_error_set(err, CRIC_E_INVALID, "%s.size %lld is negative", where, (long long) size);
        d->media_type = xstrdup(media_type);
        d->digest = xstrdup(digest);
        d->size = size;
        return 0;
}

static int check_layer_type(struct descriptor *d, const char *where, struct cric_error **err) {
        for (size_t i = 0; i < sizeof(layer_types) / sizeof(layer_types[0]); i++) {
                if (strcmp(d->media_type, layer_types[i].media_type) == 0) {
                        d->compression = layer_types[i].compression;
                        return 0;
                }
        }
        AUTOFREE char *q = image_quote(d->media_type);
        size_t len = strlen(d->media_type);
        if (len >= 10 && strcmp(d->media_type + len - 10, "+encrypted") == 0)
                return cric_error_set(err, CRIC_E_INVALID, "%s.mediaType %s: encrypted layers are not supported", where,
                                      q);
        return cric_error_set(err, CRIC_E_INVALID, "%s.mediaType %s is not a supported layer type", where, q);
}

static int check_config_type(const struct descriptor *d, struct cric_error **err) {
        if (strcmp(d->media_type, MT_OCI_CONFIG) == 0 || strcmp(d->media_type, MT_DOCKER_CONFIG) == 0)
                return 0;
        AUTOFREE char *q = image_quote(d->media_type);
        return cric_error_set(err, CRIC_E_INVALID, "not a container image (config media type %s)", q);
}

/* ---- image manifests (OCI, schema 2) ---- */

static int parse_image_manifest(struct json_object *root, struct manifest *m, struct cric_error **err) {
        struct json_object *config, *layers;
        /* The config first: for an artifact (a Helm chart, a signature) "not a container
         * image" says more than complaining about its first layer. */
        if (image_json_object(root, "", "config", true, &config, err) < 0 ||
            parse_descriptor(config, "config", &m->config, err) < 0 || check_config_type(&m->config, err) < 0 ||
            image_json_array(root, "", "layers", true, &layers, err) < 0)
                return -1;
        size_t n = json_object_array_length(layers);
        if (n > MANIFEST_MAX_LAYERS)
                return cric_error_set(err, CRIC_E_INVALID, "too many layers (%zu, at most %d)", n, MANIFEST_MAX_LAYERS);
        m->layers = xcalloc(n, sizeof(*m->layers));
        m->n_layers = n; /* zeroed entries are safe to clear if we stop half way */
        for (size_t i = 0; i < n; i++) {
                char where[32];
                snprintf(where, sizeof(where), "layers[%zu]", i);
                if (parse_descriptor(json_object_array_get_idx(layers, i), where, &m->layers[i], err) < 0 ||
                    check_layer_type(&m->layers[i], where, err) < 0)
                        return -1;
        }
        return 0;
}

/* ---- indexes (OCI index, manifest list) ---- */

static int parse_platform(struct json_object *entry, const char *where, struct platform *p, struct cric_error **err) {
        struct json_object *obj;
        if (image_json_object(entry, where, "platform", false, &obj, err) < 0)
                return -1;
        if (!obj)
                return 0;
        AUTOFREE char *pwhere = image_json_path(where, "platform");
        const char *os, *arch, *variant;
        if (image_json_string(obj, pwhere, "os", true, &os, err) < 0 ||
            image_json_string(obj, pwhere, "architecture", true, &arch, err) < 0 ||
            image_json_string(obj, pwhere, "variant", false, &variant, err) < 0)
                return -1;
        p->os = xstrdup(os);
        p->architecture = xstrdup(arch);
        p->variant = variant && *variant ? xstrdup(variant) : NULL;
        return 0;
}

/* Entries keep whatever media type they declare: the spec asks consumers not to fail on
 * unknown ones (attestations, nested indexes, artifacts); selection skips them. */
static int parse_index(struct json_object *root, struct manifest *m, struct cric_error **err) {
        struct json_object *entries;
        if (image_json_array(root, "", "manifests", true, &entries, err) < 0)
                return -1;
        size_t n = json_object_array_length(entries);
        if (n > MANIFEST_MAX_ENTRIES)
                return cric_error_set(err, CRIC_E_INVALID, "too many manifests (%zu, at most %d)", n,
                                      MANIFEST_MAX_ENTRIES);
        m->manifests = xcalloc(n, sizeof(*m->manifests));
        m->n_manifests = n;
        for (size_t i = 0; i < n; i++) {
                char where[32];
                snprintf(where, sizeof(where), "manifests[%zu]", i);
                struct json_object *entry = json_object_array_get_idx(entries, i);
                if (parse_descriptor(entry, where, &m->manifests[i], err) < 0 ||
                    parse_platform(entry, where, &m->manifests[i].platform, err) < 0)
                        return -1;
        }
        return 0;
}

/* ---- entry points ---- */

int manifest_parse(const char *media_type, const char *data, size_t len, struct manifest **ret,
                   struct cric_error **err) {
        AUTOJSON struct json_object *root = NULL;
        CLEANUP(manifest_freep) struct manifest *m = NULL;
        enum manifest_kind ct_kind, kind = MANIFEST_KIND_INVALID;
        if (content_type_kind(media_type, &ct_kind, err) < 0 || json_parse_object(data, len, NULL, &root, err) < 0 ||
            detect_kind(root, media_type, ct_kind, &kind, err) < 0 || check_schema_version(root, kind, err) < 0)
                return cric_error_prefix(err, "manifest");
        m = xzalloc(sizeof(*m));
        m->kind = kind;
        int r;
        switch (kind) {
        case MANIFEST_OCI:
        case MANIFEST_DOCKER_V2S2: r = parse_image_manifest(root, m, err); break;
        case MANIFEST_OCI_INDEX:
        case MANIFEST_DOCKER_LIST: r = parse_index(root, m, err); break;
        case MANIFEST_DOCKER_V2S1: r = manifest_v1_parse(root, m, err); break;
        default: r = cric_error_set(err, CRIC_E_INTERNAL, "unexpected manifest kind %d", (int) kind);
        }
        if (r < 0)
                return cric_error_prefix(err, "manifest");
        if (!m->media_type)
                m->media_type = xstrdup(kind_media_types[kind]);
        log_debug("parsed manifest %s: %zu layers, %zu index entries", m->media_type, m->n_layers, m->n_manifests);
        *ret = STEAL_PTR(m);
        return 0;
}

struct manifest *manifest_free(struct manifest *m) {
        if (!m)
                return NULL;
        free(m->media_type);
        manifest_descriptor_clear(&m->config);
        for (size_t i = 0; i < m->n_layers; i++)
                manifest_descriptor_clear(&m->layers[i]);
        free(m->layers);
        for (size_t i = 0; i < m->n_manifests; i++)
                manifest_descriptor_clear(&m->manifests[i]);
        free(m->manifests);
        free(m->v1_config_json);
        free(m->name);
        free(m->tag);
        free(m);
        return NULL;
}

void manifest_freep(struct manifest **m) {
        if (m)
                *m = manifest_free(*m);
}

/* ---- JSON helpers shared with manifest_v1.c and image_config.c ---- */

struct json_object *image_json_member(struct json_object *obj, const char *key) {
        struct json_object *v = NULL;
        if (!json_object_object_get_ex(obj, key, &v))
                return NULL;
        return v; /* json-c represents null as NULL */
}

char *image_json_path(const char *where, const char *key) {
        return *where ? xasprintf("%s.%s", where, key) : xstrdup(key);
}

static struct json_object *member_typed(struct json_object *obj, const char *where, const char *key, bool required,
                                        enum json_type type, const char *type_name, int *r, struct cric_error **err) {
        struct json_object *v = image_json_member(obj, key);
        *r = 0;
        if (!v && required) {
                AUTOFREE char *path = image_json_path(where, key);
                *r = cric_error_set(err, CRIC_E_INVALID, "%s is missing", path);
        } else if (v && !json_object_is_type(v, type)) {
                AUTOFREE char *path = image_json_path(where, key);
                *r = cric_error_set(err, CRIC_E_INVALID, "%s is not %s", path, type_name);
                v = NULL;
        }
        return v;
}

int image_json_string(struct json_object *obj, const char *where, const char *key, bool required, const char **ret,
                      struct cric_error **err) {
        int r;
        struct json_object *v = member_typed(obj, where, key, required, json_type_string, "a string", &r, err);
        if (r < 0)
                return r;
        const char *s = v ? json_object_get_string(v) : NULL;
        if (s && strlen(s) != (size_t) json_object_get_string_len(v)) {
                AUTOFREE char *path = image_json_path(where, key);
                return cric_error_set(err, CRIC_E_INVALID, "%s contains a NUL character", path);
        }
        *ret = s;
        return 0;
}

int image_json_object(struct json_object *obj, const char *where, const char *key, bool required,
                      struct json_object **ret, struct cric_error **err) {
        int r;
        struct json_object *v = member_typed(obj, where, key, required, json_type_object, "an object", &r, err);
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

int image_json_array(struct json_object *obj, const char *where, const char *key, bool required,
                     struct json_object **ret, struct cric_error **err) {
        int r;
        struct json_object *v = member_typed(obj, where, key, required, json_type_array, "an array", &r, err);
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

int image_json_int64(struct json_object *obj, const char *where, const char *key, bool required, int64_t *ret,
                     struct cric_error **err) {
        int r;
        struct json_object *v = member_typed(obj, where, key, required, json_type_int, "an integer", &r, err);
        if (r < 0)
                return r;
        int64_t i = v ? json_object_get_int64(v) : 0;
        /* json-c keeps values above INT64_MAX as uint64 and clamps the int64 view. */
        if (v && i == INT64_MAX && json_object_get_uint64(v) != (uint64_t) INT64_MAX) {
                AUTOFREE char *path = image_json_path(where, key);
                return cric_error_set(err, CRIC_E_INVALID, "%s is too large", path);
        }
        *ret = i;
        return 0;
}

void image_strv_free(char **v) {
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}

int image_json_strv(struct json_object *obj, const char *where, const char *key, char ***ret, struct cric_error **err) {
        struct json_object *arr;
        if (image_json_array(obj, where, key, false, &arr, err) < 0)
                return -1;
        if (!arr) {
                *ret = NULL;
                return 0;
        }
        size_t n = json_object_array_length(arr);
        char **v = xcalloc(n + 1, sizeof(*v));
        for (size_t i = 0; i < n; i++) {
                struct json_object *item = json_object_array_get_idx(arr, i);
                const char *s = json_object_is_type(item, json_type_string) ? json_object_get_string(item) : NULL;
                if (!s || strlen(s) != (size_t) json_object_get_string_len(item)) {
                        AUTOFREE char *path = image_json_path(where, key);
                        image_strv_free(v);
                        return cric_error_set(err, CRIC_E_INVALID, "%s[%zu] is not a string%s", path, i,
                                              s ? " without NUL characters" : "");
                }
                v[i] = xstrdup(s);
        }
        *ret = v;
        return 0;
}

/* ---- small things ---- */

char *image_quote(const char *s) {
        enum { MAX_SHOWN = 100 };
        size_t len = strlen(s);
        if (len <= MAX_SHOWN)
                return json_quote(s);
        /* Cut at a character boundary so the message stays valid UTF-8. */
        size_t n = MAX_SHOWN;
        while (n > 0 && ((unsigned char) s[n] & 0xC0) == 0x80)
                n--;
        AUTOFREE char *head = xstrndup(s, n);
        AUTOFREE char *q = json_quote(head);
        return xasprintf("%s...", q);
}

bool image_digest_is_valid(const char *s) {
        size_t hex_len;
        if (!s)
                return false;
        if (strncmp(s, "sha256:", 7) == 0)
                hex_len = 64;
        else if (strncmp(s, "sha512:", 7) == 0)
                hex_len = 128;
        else
                return false;
        s += 7;
        /* The OCI grammar allows only lowercase hex for these algorithms. The loop stops
         * at the NUL, which is not a hex digit. */
        for (size_t i = 0; i < hex_len; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return s[hex_len] == '\0';
}
