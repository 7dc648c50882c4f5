/* libFuzzer target for manifest parsing (src/image/manifest*.c) and platform selection
 * (src/image/platform.c).
 *
 * Each input is parsed with no Content-Type, with every manifest type, and with a generic
 * and an unknown one. A failure must be a CRIC_E_INVALID error whose message starts with
 * "manifest: "; a success must hold what manifest.h promises (valid digests, sizes >= 0
 * or -1 for schema 1, bounded counts, known layer types). Indexes then go through platform
 * selection, whose answer must match what was asked; schema 1 configs must accept their
 * diff ids. Any violation aborts. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/image_config.h"
#include "image/manifest.h"
#include "util/cleanup.h"

static const char *const content_types[] = {
        NULL,           MT_OCI_MANIFEST,       MT_OCI_INDEX,   MT_DOCKER_V2S2,
        MT_DOCKER_LIST, MT_DOCKER_V2S1_SIGNED, MT_DOCKER_V2S1, "application/json; charset=utf-8",
        "text/html",
};

static void die(const char *what, const char *content_type) {
        fprintf(stderr, "fuzz_manifest: %s (Content-Type %s)\n", what, content_type ? content_type : "none");
        abort();
}

static bool is_digest(const char *s) {
        if (!s)
                return false;
        size_t len = strlen(s);
        if (strncmp(s, "sha256:", 7) == 0)
                return len == 71 && strspn(s + 7, "0123456789abcdef") == 64;
        if (strncmp(s, "sha512:", 7) == 0)
                return len == 135 && strspn(s + 7, "0123456789abcdef") == 128;
        return false;
}

/* An entry without a variant may answer for the architecture's usual one. */
static bool is_default_variant(const char *arch, const char *variant) {
        return (strcmp(arch, "arm64") == 0 && strcmp(variant, "v8") == 0) ||
               (strcmp(arch, "arm") == 0 && strcmp(variant, "v7") == 0);
}

static void check_descriptor(const struct descriptor *d, bool is_v1, const char *ct) {
        if (!d->media_type || !*d->media_type || !is_digest(d->digest))
                die("descriptor without media type or valid digest", ct);
        if (is_v1 ? d->size != -1 : d->size < 0)
                die("bad descriptor size", ct);
}

static void check_image(const struct manifest *m, const char *ct) {
        bool is_v1 = m->kind == MANIFEST_DOCKER_V2S1;
        if (m->n_layers > 1000 || (m->n_layers && !m->layers) || m->manifests || m->n_manifests)
                die("bad layer array", ct);
        for (size_t i = 0; i < m->n_layers; i++) {
                check_descriptor(&m->layers[i], is_v1, ct);
                if ((int) m->layers[i].compression < 0 || m->layers[i].compression >= LAYER_COMPRESSION_MAX)
                        die("bad compression", ct);
                if (m->layers[i].platform.os)
                        die("layer with a platform", ct);
        }
        if (is_v1) {
                if (!m->v1_config_json || m->config.digest || strcmp(m->config.media_type, MT_DOCKER_CONFIG) != 0)
                        die("schema 1 without a synthesized config", ct);
                return;
        }
        check_descriptor(&m->config, false, ct);
        if (strcmp(m->config.media_type, MT_OCI_CONFIG) != 0 && strcmp(m->config.media_type, MT_DOCKER_CONFIG) != 0)
                die("config media type not checked", ct);
        if (m->v1_config_json || m->name || m->tag)
                die("schema 1 members set", ct);
}

static void check_select(const struct manifest *m, const char *os, const char *arch, const char *variant,
                         bool must_find, const char *ct) {
        const struct descriptor *d = NULL;
        struct cric_error *err = NULL;
        if (manifest_select_platform(m, os, arch, variant, &d, &err) < 0) {
                if (must_find || d || !err || err->kind != CRIC_E_NOT_FOUND ||
                    strncmp(err->msg, "no image for ", 13) != 0)
                        die("bad selection failure", ct);
                cric_error_free(err);
                return;
        }
        if (err || !d || d < m->manifests || d >= m->manifests + m->n_manifests)
                die("selection outside the index", ct);
        if (strcmp(d->platform.os, os) != 0 || strcmp(d->platform.architecture, arch) != 0)
                die("selected the wrong platform", ct);
        if (variant &&
            (d->platform.variant ? strcmp(d->platform.variant, variant) != 0 : !is_default_variant(arch, variant)))
                die("selected the wrong variant", ct);
}

static void check_index(const struct manifest *m, const char *ct) {
        if (m->n_manifests > 1000 || (m->n_manifests && !m->manifests) || m->layers || m->n_layers ||
            m->config.digest || m->v1_config_json)
                die("bad index arrays", ct);
        for (size_t i = 0; i < m->n_manifests; i++) {
                const struct platform *p = &m->manifests[i].platform;
                check_descriptor(&m->manifests[i], false, ct);
                if (!p->os != !p->architecture || (p->variant && (!p->os || !*p->variant)))
                        die("half a platform", ct);
        }
        check_select(m, "linux", "amd64", NULL, false, ct);
        check_select(m, "linux", "arm64", NULL, false, ct);
        check_select(m, "linux", "arm64", "v8", false, ct);
        check_select(m, "linux", "arm", "v7", false, ct);
        check_select(m, "windows", "amd64", NULL, false, ct);
        /* The first entry's own platform must be found when it is an image (an empty os or
         * architecture is no valid request). */
        if (m->n_manifests && m->manifests[0].platform.os && *m->manifests[0].platform.os &&
            *m->manifests[0].platform.architecture) {
                const struct platform *p = &m->manifests[0].platform;
                const char *mt = m->manifests[0].media_type;
                bool is_image = strcmp(mt, MT_OCI_MANIFEST) == 0 || strcmp(mt, MT_DOCKER_V2S2) == 0 ||
                                strcmp(mt, MT_DOCKER_V2S1) == 0 || strcmp(mt, MT_DOCKER_V2S1_SIGNED) == 0;
                check_select(m, p->os, p->architecture, p->variant, is_image, ct);
        }
}

/* The synthesized config must take diff ids, and what comes back must still be JSON. */
static void check_v1_config(const struct manifest *m, const char *ct) {
        char **ids = calloc(m->n_layers + 1, sizeof(char *));
        if (!ids)
                abort();
        for (size_t i = 0; i < m->n_layers; i++)
                ids[i] = m->layers[i].digest;
        char *json = NULL;
        struct cric_error *err = NULL;
        if (image_config_set_diff_ids(m->v1_config_json, ids, m->n_layers, &json, &err) < 0)
                die(err->msg, ct);
        struct image_config *c = NULL;
        if (image_config_parse(json, strlen(json), &c, &err) == 0) {
                if (c->n_diff_ids != m->n_layers)
                        die("diff ids lost", ct);
                image_config_free(c);
        } else if (err->kind != CRIC_E_INVALID) {
                die("bad image config error", ct);
        }
        cric_error_free(err);
        free(json);
        free(ids);
}

static void check_one(const char *ct, const uint8_t *data, size_t size) {
        struct manifest *m = NULL;
        struct cric_error *err = NULL;
        if (manifest_parse(ct, (const char *) data, size, &m, &err) < 0) {
                if (m || !err || err->kind != CRIC_E_INVALID || strncmp(err->msg, "manifest: ", 10) != 0)
                        die("bad parse failure", ct);
                cric_error_free(err);
                return;
        }
        if (err || !m || !m->media_type || (int) m->kind < 0 || m->kind >= MANIFEST_KIND_MAX)
                die("bad parse success", ct);
        switch (m->kind) {
        case MANIFEST_OCI_INDEX:
        case MANIFEST_DOCKER_LIST: check_index(m, ct); break;
        case MANIFEST_DOCKER_V2S1:
                check_image(m, ct);
                check_v1_config(m, ct);
                break;
        default: check_image(m, ct);
        }
        manifest_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        for (size_t i = 0; i < sizeof(content_types) / sizeof(content_types[0]); i++)
                check_one(content_types[i], data, size);
        return 0;
}
