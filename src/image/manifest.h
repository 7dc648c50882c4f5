/* Image manifests and indexes: OCI image manifest and index, Docker schema 2
 * manifest and manifest list, Docker schema 1 (signed or not). Parsing only; no I/O. */
#ifndef CRIC_IMAGE_MANIFEST_H
#define CRIC_IMAGE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define MT_OCI_MANIFEST         "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX            "application/vnd.oci.image.index.v1+json"
#define MT_OCI_CONFIG           "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER            "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZIP       "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_LAYER_ZSTD       "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_V2S2          "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST          "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_V2S1          "application/vnd.docker.distribution.manifest.v1+json"
#define MT_DOCKER_V2S1_SIGNED   "application/vnd.docker.distribution.manifest.v1+prettyjws"
#define MT_DOCKER_CONFIG        "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER_GZIP    "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MT_DOCKER_LAYER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

/* The Accept header value for manifest requests: every type above, best first. */
extern const char *const manifest_accept_types[];

enum manifest_kind {
        MANIFEST_OCI = 0,
        MANIFEST_OCI_INDEX,
        MANIFEST_DOCKER_V2S2,
        MANIFEST_DOCKER_LIST,
        MANIFEST_DOCKER_V2S1, /* signed or not; layers and config are synthesized */
        MANIFEST_KIND_MAX,
        MANIFEST_KIND_INVALID = -1,
};

enum layer_compression {
        LAYER_COMPRESSION_NONE = 0,
        LAYER_COMPRESSION_GZIP,
        LAYER_COMPRESSION_ZSTD,
        LAYER_COMPRESSION_MAX,
        LAYER_COMPRESSION_INVALID = -1,
};

struct platform {
        char *os;           /* "linux" */
        char *architecture; /* "amd64", "arm64", ... */
        char *variant;      /* "v8", or NULL */
};

struct descriptor {
        char *media_type;
        char *digest;                       /* "sha256:<hex>", validated */
        int64_t size;                       /* -1 when unknown (schema 1) */
        struct platform platform;           /* index entries only; fields NULL elsewhere */
        enum layer_compression compression; /* layers only, from the media type */
};

struct manifest {
        enum manifest_kind kind;
        char *media_type;
        /* image manifests (OCI, schema 2) */
        struct descriptor config;
        struct descriptor *layers; /* base layer first */
        size_t n_layers;
        /* indexes (OCI index, manifest list) */
        struct descriptor *manifests;
        size_t n_manifests;
        /* schema 1: the synthesized image config without rootfs.diff_ids (they are
         * learned while unpacking; see image_config_set_diff_ids), and the layers,
         * base first, with empty (throwaway) layers dropped. */
        char *v1_config_json;
        char *name, *tag; /* schema 1 only */
};

/* Parses a manifest. media_type is the Content-Type the registry sent (may be NULL
 * or generic: the document's own mediaType / schemaVersion then decide). Unknown
 * media types, malformed JSON, invalid digests, negative sizes and unknown layer
 * media types are CRIC_E_INVALID with a message naming the problem. */
int manifest_parse(const char *media_type, const char *data, size_t len, struct manifest **ret,
                   struct cric_error **err);

/* Picks the manifest for os/architecture/variant from an index (variant NULL: any,
 * preferring none/the default for the architecture, e.g. v8 for arm64). CRIC_E_NOT_FOUND
 * lists the platforms the index has. */
int manifest_select_platform(const struct manifest *index, const char *os, const char *arch, const char *variant,
                             const struct descriptor **ret, struct cric_error **err);

/* The bytes the digest of a signed schema 1 manifest covers: the document without
 * its "signatures" member, rebuilt as the first signature's protected header says
 * (formatLength bytes of the document, then the base64url formatTail). Documents
 * without signatures give a copy of themselves. CRIC_E_INVALID for a malformed
 * protected header. */
int manifest_v1_signed_payload(const char *data, size_t len, char **ret, size_t *ret_len, struct cric_error **err);

/* The host's platform in OCI terms (GOARCH names: amd64, arm64, arm + variant, ...). */
void platform_host(const char **ret_os, const char **ret_arch, const char **ret_variant);

struct manifest *manifest_free(struct manifest *m);
void manifest_freep(struct manifest **m);

#endif
