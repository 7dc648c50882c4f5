/* Docker image manifest v2, schema 1, turned into the shape of a schema 2 image: layer
 * descriptors base first and a synthesized image config (the document has no config
 * blob; each history entry carries a v1 image JSON in "v1Compatibility" instead).
 *
 * Signed manifests (application/vnd.docker.distribution.manifest.v1+prettyjws) carry a
 * JWS in "signatures". The signature is NOT verified here or anywhere else in cric: it is
 * made with a key embedded in the document itself (libtrust), so it proves nothing about
 * who published the image, and Docker and containers/image do not verify it either.
 * Integrity comes from the manifest digest and from the blob digests. */
#include "image/manifest.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/manifest_internal.h"
#include "util/base64.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

struct v1_entry {
        const char *blob_sum;       /* borrowed from the manifest document */
        struct json_object *compat; /* the parsed v1Compatibility; owned */
        bool is_throwaway;          /* an empty layer (ENV, CMD, ...) */
};

/* Entries base first (the document lists them newest first). */
struct v1_entries {
        struct v1_entry *v;
        size_t n;
};

static void v1_entries_clear(struct v1_entries *e) {
        for (size_t i = 0; i < e->n; i++)
                if (e->v[i].compat)
                        json_object_put(e->v[i].compat);
        free(e->v);
}

static int parse_blob_sum(struct json_object *fs_layers, size_t i, const char **ret, struct cric_error **err) {
        char where[32];
        snprintf(where, sizeof(where), "fsLayers[%zu]", i);
        struct json_object *fs = json_object_array_get_idx(fs_layers, i);
        if (!fs || !json_object_is_type(fs, json_type_object))
                return cric_error_set(err, CRIC_E_INVALID, "%s is not an object", where);
        const char *blob_sum;
        if (image_json_string(fs, where, "blobSum", true, &blob_sum, err) < 0)
                return -1;
        if (!image_digest_is_valid(blob_sum)) {
                AUTOFREE char *q = image_quote(blob_sum);
                return cric_error_set(err, CRIC_E_INVALID, "%s.blobSum %s is not a valid digest", where, q);
        }
        *ret = blob_sum;
        return 0;
}

/* Document index i (newest first) into *e. */
static int parse_entry(struct json_object *fs_layers, struct json_object *history, size_t i, struct v1_entry *e,
                       struct cric_error **err) {
        if (parse_blob_sum(fs_layers, i, &e->blob_sum, err) < 0)
                return -1;
        char where[32];
        snprintf(where, sizeof(where), "history[%zu]", i);
        struct json_object *h = json_object_array_get_idx(history, i);
        if (!h || !json_object_is_type(h, json_type_object))
                return cric_error_set(err, CRIC_E_INVALID, "%s is not an object", where);
        const char *compat;
        if (image_json_string(h, where, "v1Compatibility", true, &compat, err) < 0)
                return -1;
        if (json_parse_object(compat, strlen(compat), NULL, &e->compat, err) < 0)
                return cric_error_prefix(err, "%s.v1Compatibility", where);
        struct json_object *t = image_json_member(e->compat, "throwaway");
        if (t && !json_object_is_type(t, json_type_boolean))
                return cric_error_set(err, CRIC_E_INVALID, "%s.v1Compatibility: throwaway is not a boolean", where);
        e->is_throwaway = t && json_object_get_boolean(t);
        return 0;
}

static char *join_words(char **words) {
        size_t len = 1;
        for (char **w = words; *w; w++)
                len += strlen(*w) + 1;
        char *s = xmalloc(len), *p = s;
        for (char **w = words; *w; w++) {
                if (p != s)
                        *p++ = ' ';
                size_t l = strlen(*w);
                memcpy(p, *w, l);
                p += l;
        }
        *p = '\0';
        return s;
}

static void add_string(struct json_object *obj, const char *key, const char *value) {
        jx_add(obj, key, jx_string(value));
}

/* One element of the config's "history", as an OCI config describes it. */
static int history_item(const struct v1_entry *e, size_t doc_index, struct json_object **ret, struct cric_error **err) {
        const char *created, *author, *comment;
        struct json_object *cc;
        char **cmd = NULL;
        if (image_json_string(e->compat, "", "created", false, &created, err) < 0 ||
            image_json_string(e->compat, "", "author", false, &author, err) < 0 ||
            image_json_string(e->compat, "", "comment", false, &comment, err) < 0 ||
            image_json_object(e->compat, "", "container_config", false, &cc, err) < 0 ||
            (cc && image_json_strv(cc, "container_config", "Cmd", &cmd, err) < 0))
                return cric_error_prefix(err, "history[%zu].v1Compatibility", doc_index);
        struct json_object *item = jx_object();
        if (created)
                add_string(item, "created", created);
        if (author && *author)
                add_string(item, "author", author);
        if (cmd && cmd[0]) {
                AUTOFREE char *created_by = join_words(cmd);
                add_string(item, "created_by", created_by);
        }
        if (comment && *comment)
                add_string(item, "comment", comment);
        if (e->is_throwaway)
                jx_add(item, "empty_layer", jx_bool(true));
        image_strv_free(cmd);
        *ret = item;
        return 0;
}

/* The newest v1 image JSON, minus the v1 bookkeeping members, plus a "history" of all
 * entries base first; rootfs is added once the diff ids are known. */
static int build_config(struct v1_entries *entries, char **ret, struct cric_error **err) {
        static const char *const v1_only[] = {"id", "parent", "Size", "parent_id", "layer_id", "throwaway"};
        AUTOJSON struct json_object *history = jx_array();
        for (size_t j = 0; j < entries->n; j++) {
                struct json_object *item = NULL;
                if (history_item(&entries->v[j], entries->n - 1 - j, &item, err) < 0)
                        return -1;
                jx_append(history, item);
        }
        struct json_object *config = entries->v[entries->n - 1].compat;
        for (size_t i = 0; i < sizeof(v1_only) / sizeof(v1_only[0]); i++)
                json_object_object_del(config, v1_only[i]);
        jx_add(config, "history", STEAL_PTR(history));
        *ret = jx_dump(config, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        return 0;
}

static int check_lengths(struct json_object *fs_layers, struct json_object *history, struct cric_error **err) {
        size_t n = json_object_array_length(fs_layers), n_history = json_object_array_length(history);
        if (n == 0)
                return cric_error_set(err, CRIC_E_INVALID, "fsLayers is empty");
        if (n > MANIFEST_MAX_LAYERS)
                return cric_error_set(err, CRIC_E_INVALID, "too many layers (%zu, at most %d)", n, MANIFEST_MAX_LAYERS);
        if (n != n_history)
                return cric_error_set(err, CRIC_E_INVALID, "fsLayers has %zu entries but history has %zu", n,
                                      n_history);
        return 0;
}

int manifest_v1_parse(struct json_object *root, struct manifest *m, struct cric_error **err) {
        struct json_object *fs_layers, *history;
        const char *name, *tag;
        if (image_json_array(root, "", "fsLayers", true, &fs_layers, err) < 0 ||
            image_json_array(root, "", "history", true, &history, err) < 0 ||
            image_json_string(root, "", "name", false, &name, err) < 0 ||
            image_json_string(root, "", "tag", false, &tag, err) < 0 || check_lengths(fs_layers, history, err) < 0)
                return -1;
        struct json_object *signatures = image_json_member(root, "signatures");
        if (signatures && !json_object_is_type(signatures, json_type_array))
                return cric_error_set(err, CRIC_E_INVALID, "signatures is not an array");

        size_t n = json_object_array_length(fs_layers);
        CLEANUP(v1_entries_clear) struct v1_entries entries = {.v = xcalloc(n, sizeof(struct v1_entry)), .n = n};
        for (size_t j = 0; j < n; j++)
                if (parse_entry(fs_layers, history, n - 1 - j, &entries.v[j], err) < 0)
                        return -1;
        m->layers = xcalloc(n, sizeof(*m->layers));
        for (size_t j = 0; j < n; j++) {
                if (entries.v[j].is_throwaway)
                        continue;
                struct descriptor *d = &m->layers[m->n_layers++];
                d->media_type = xstrdup(MT_DOCKER_LAYER_GZIP);
                d->digest = xstrdup(entries.v[j].blob_sum);
                d->size = -1;
                d->compression = LAYER_COMPRESSION_GZIP;
        }
        if (build_config(&entries, &m->v1_config_json, err) < 0)
                return -1;
        /* The config is synthesized: its digest is known only once rootfs is filled in. */
        m->config.media_type = xstrdup(MT_DOCKER_CONFIG);
        m->config.size = -1;
        m->media_type = xstrdup(signatures ? MT_DOCKER_V2S1_SIGNED : MT_DOCKER_V2S1);
        m->name = name ? xstrdup(name) : NULL;
        m->tag = tag ? xstrdup(tag) : NULL;
        return 0;
}

static char *copy_bytes(const char *data, size_t len) {
        char *r = xmalloc(len + 1);
        memcpy(r, data, len);
        r[len] = '\0';
        return r;
}

/* Reads formatLength and formatTail from a JWS protected header (base64url JSON). */
static int protected_format(const char *b64, int64_t *ret_length, char **ret_tail, size_t *ret_tail_len,
                            struct cric_error **err) {
        AUTOFREE char *json = NULL;
        size_t json_len = 0;
        if (base64url_decode(b64, strlen(b64), &json, &json_len, err) < 0)
                return cric_error_prefix(err, "schema 1 signature: protected header");
        AUTOJSON struct json_object *hdr = NULL;
        if (json_parse_object(json, json_len, "schema 1 signature: protected header", &hdr, err) < 0)
                return -1;
        struct json_object *flen = NULL, *ftail = NULL;
        if (!json_object_object_get_ex(hdr, "formatLength", &flen) || !json_object_is_type(flen, json_type_int) ||
            !json_object_object_get_ex(hdr, "formatTail", &ftail) || !json_object_is_type(ftail, json_type_string))
                return cric_error_set(err, CRIC_E_INVALID,
                                      "schema 1 signature: protected header lacks formatLength/formatTail");
        *ret_length = json_object_get_int64(flen);
        const char *tail = json_object_get_string(ftail);
        int r = base64url_decode(tail, strlen(tail), ret_tail, ret_tail_len, err);
        return r < 0 ? cric_error_prefix(err, "schema 1 signature: formatTail") : 0;
}

int manifest_v1_signed_payload(const char *data, size_t len, char **ret, size_t *ret_len, struct cric_error **err) {
        /* Anything but a signed schema 1 document is its own payload; a bad one fails
         * when it is parsed as a manifest. */
        AUTOJSON struct json_object *root = NULL;
        struct json_object *sigs = NULL, *first = NULL, *prot = NULL, *version = NULL;
        if (json_parse_object(data, len, NULL, &root, NULL) < 0 ||
            !json_object_object_get_ex(root, "schemaVersion", &version) || json_object_get_int(version) != 1 ||
            !json_object_object_get_ex(root, "signatures", &sigs) || !json_object_is_type(sigs, json_type_array) ||
            json_object_array_length(sigs) == 0) {
                *ret = copy_bytes(data, len);
                *ret_len = len;
                return 0;
        }
        first = json_object_array_get_idx(sigs, 0);
        if (!json_object_object_get_ex(first, "protected", &prot) || !json_object_is_type(prot, json_type_string))
                return cric_error_set(err, CRIC_E_INVALID, "schema 1 signature without a protected header");
        int64_t flen = 0;
        AUTOFREE char *tail = NULL;
        size_t tail_len = 0;
        if (protected_format(json_object_get_string(prot), &flen, &tail, &tail_len, err) < 0)
                return -1;
        if (flen < 0 || (uint64_t) flen > len)
                return cric_error_set(err, CRIC_E_INVALID, "schema 1 signature: formatLength %lld out of range",
                                      (long long) flen);
        char *out = xmalloc((size_t) flen + tail_len + 1);
        memcpy(out, data, (size_t) flen);
        memcpy(out + flen, tail, tail_len);
        out[flen + tail_len] = '\0';
        *ret = out;
        *ret_len = (size_t) flen + tail_len;
        return 0;
}
