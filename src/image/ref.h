/* Image references: the docker reference grammar with normalization.
 *
 *   busybox                      -> docker.io/library/busybox:latest
 *   quay.io/a/b@sha256:<64 hex>  -> digest reference, no tag
 *   localhost:5000/x:1           -> domain localhost:5000
 *
 * A first component is a domain when it contains '.' or ':' or is "localhost" (or
 * has upper-case letters); otherwise the reference is a short name, which
 * normalizes to docker.io (library/ for one-component paths). */
#ifndef CRIC_IMAGE_REF_H
#define CRIC_IMAGE_REF_H

#include <stdbool.h>

#include "util/error.h"

struct image_ref {
        char *domain;    /* "docker.io", "127.0.0.1:5000" */
        char *path;      /* "library/busybox" (repository path inside the domain) */
        char *tag;       /* "latest" when neither tag nor digest was given; NULL when only a digest was */
        char *digest;    /* "sha256:<hex>" or NULL */
        bool had_domain; /* the input named a domain (false for short names) */
};

/* Parses and normalizes s. CRIC_E_INVALID with a message naming s and the problem
 * (upper case in the path, bad tag, bad digest, too long, ...). Image IDs (64 hex)
 * are not references: callers check ids first. */
int image_ref_parse(const char *s, struct image_ref **ret, struct cric_error **err);

/* A deep copy. */
struct image_ref *image_ref_copy(const struct image_ref *ref);

/* "domain/path" */
char *image_ref_name(const struct image_ref *ref);
/* "domain/path:tag", "domain/path@digest" or "domain/path:tag@digest" */
char *image_ref_string(const struct image_ref *ref);
/* "domain/path:tag" or NULL when there is no tag */
char *image_ref_tagged(const struct image_ref *ref);
/* "domain/path@digest" for the given digest */
char *image_ref_with_digest(const struct image_ref *ref, const char *digest);

/* true for "sha256:<64 lowercase hex>" (other algorithms: sha384/sha512 with their lengths). */
bool digest_is_valid(const char *digest);
/* true for 64 lowercase hex characters (an image ID without "sha256:"). */
bool image_id_is_valid(const char *id);

struct image_ref *image_ref_free(struct image_ref *ref);
void image_ref_freep(struct image_ref **ref);

#endif
