/* Signature policy: containers-policy.json(5), the file CRI-O and podman read
 * (/etc/containers/policy.json). Private to image/ and its unit tests.
 *
 * A policy maps scopes of the docker transport ("host/ns/repo:tag", "host/ns/repo",
 * "host/ns", "host", "*.example.com", "") to a list of requirements that must all
 * accept an image; "default" applies where no scope matches. policy.c parses,
 * policy_check.c evaluates a pull against it. */
#ifndef CRIC_IMAGE_POLICY_H
#define CRIC_IMAGE_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "image/ref.h"
#include "util/error.h"

enum policy_req_type {
        POLICY_ACCEPT_ANYTHING = 0, /* insecureAcceptAnything */
        POLICY_REJECT,              /* reject */
        POLICY_SIGNED_BY,           /* signedBy: simple signing, GPG keys */
        POLICY_SIGSTORE_SIGNED,     /* sigstoreSigned: cosign signatures, a public key */
};

/* signedIdentity: which docker references a signature may name for this image. */
enum policy_identity_type {
        POLICY_ID_MATCH_REPO_DIGEST_OR_EXACT = 0, /* the default */
        POLICY_ID_MATCH_EXACT,
        POLICY_ID_MATCH_REPOSITORY,
        POLICY_ID_EXACT_REFERENCE,  /* value: dockerReference */
        POLICY_ID_EXACT_REPOSITORY, /* value: dockerRepository */
        POLICY_ID_REMAP_IDENTITY,   /* prefix -> signed_prefix, then matchRepoDigestOrExact */
};

struct policy_identity {
        enum policy_identity_type type;
        char *value;
        char *prefix, *signed_prefix;
};

/* A key is named by path (read when a pull needs it) or given inline (decoded). */
struct policy_key {
        char *path;
        unsigned char *data;
        size_t len;
};

struct policy_req {
        enum policy_req_type type;
        struct policy_key *keys; /* signedBy, sigstoreSigned */
        size_t n_keys;
        struct policy_identity identity;
};

struct policy_reqs {
        char *scope; /* "" for the transport's default; NULL for the global default */
        struct policy_req *reqs;
        size_t n;
};

struct policy {
        char *path;
        struct policy_reqs def;
        struct policy_reqs *docker; /* the scopes of transports.docker */
        size_t n_docker;
};

/* Parses a policy document; path names it in errors. CRIC_E_INVALID naming the path and
 * the field for anything containers-policy.json(5) does not allow (unknown fields and
 * types included), and for what cric does not verify (fulcio, X.509 keys). */
int policy_parse(const char *data, size_t len, const char *path, struct policy **ret, struct cric_error **err);
/* Reads and parses a file. CRIC_E_PRECONDITION naming it when it cannot be read. */
int policy_load(const char *path, struct policy **ret, struct cric_error **err);

/* The scopes that can name ref, most specific first: "host/repo:tag" (or @digest),
 * "host/repo", each enclosing namespace, "host", then "*.domain" wildcards of the host
 * name. NULL-terminated (strv_free). registries.d uses the same order. */
char **policy_scopes(const struct image_ref *ref);

/* The requirements that apply to ref: its most specific docker scope, else the
 * docker transport's "" scope, else the default. Never NULL. */
const struct policy_reqs *policy_select(const struct policy *p, const struct image_ref *ref);

/* Whether a signature claiming signed_reference (a docker reference) may sign the
 * image pulled as image under id. */
bool policy_identity_match(const struct policy_identity *id, const struct image_ref *image,
                           const char *signed_reference);

const char *policy_req_type_name(enum policy_req_type t);

struct policy *policy_free(struct policy *p);
void policy_freep(struct policy **p);

#endif
