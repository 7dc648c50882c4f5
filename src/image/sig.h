/* Image signatures: where they are found and how each kind is verified. Private to
 * image/ and its unit tests.
 *
 * Both kinds sign the same "simple signing" payload, a JSON document naming the
 * manifest digest and the docker reference it was signed for:
 *   - signedBy: an OpenPGP signed message (gpg --sign) holding the payload, read from a
 *     lookaside store configured in registries.d; verified with gpgme (sig_gpg.c);
 *   - sigstoreSigned: cosign's attachment, a manifest tagged sha256-<hex>.sig whose
 *     layers are payloads, each with its signature in an annotation; verified with
 *     OpenSSL against a public key (sig_sigstore.c). */
#ifndef CRIC_IMAGE_SIG_H
#define CRIC_IMAGE_SIG_H

#include <stdbool.h>
#include <stddef.h>

#include "image/policy.h"
#include "image/ref.h"
#include "image/registry.h"
#include "util/error.h"

#define SIG_TYPE_SIMPLE   "atomic container signature"
#define SIG_TYPE_SIGSTORE "cosign container image signature"
#define SIG_MAX_SIZE      (4u << 20)
#define SIG_MAX_COUNT     64

/* What a verified payload claims. */
struct sig_claim {
        char *manifest_digest;
        char *docker_reference;
};
void sig_claim_clear(struct sig_claim *c);

/* Parses a payload whose critical.type must be type. CRIC_E_INVALID naming the problem. */
int sig_payload_parse(const char *data, size_t len, const char *type, struct sig_claim *ret, struct cric_error **err);

/* One cosign attachment layer. */
struct sigstore_sig {
        char *payload;
        size_t payload_len;
        char *signature; /* base64, as in the annotation */
};

/* Verifies sig with any of keys (PEM public keys: ECDSA, RSA or Ed25519) and returns
 * its claim. CRIC_E_SIGNATURE when no key verifies it, CRIC_E_PRECONDITION when a key
 * cannot be read. */
int sigstore_verify(const struct policy_key *keys, size_t n_keys, const struct sigstore_sig *sig, struct sig_claim *ret,
                    struct cric_error **err);

/* Verifies an OpenPGP signed message with any of keys (exported public keys, binary or
 * armored) in a throw-away keyring under tmp_dir, and returns its claim. */
int gpg_verify(const struct policy_key *keys, size_t n_keys, const char *sig, size_t len, const char *tmp_dir,
               struct sig_claim *ret, struct cric_error **err);

/* registries.d(5): where a repository's signatures are. */
struct sig_sources {
        char *lookaside;               /* base URL (file://, http://, https://), or NULL */
        bool use_sigstore_attachments; /* read cosign attachments from the registry */
};
void sig_sources_clear(struct sig_sources *s);
/* The scopes of dir's *.yaml files; a missing dir is no error and configures nothing.
 * CRIC_E_INVALID naming file and field. */
struct registries_d;
int registries_d_load(const char *dir, struct registries_d **ret, struct cric_error **err);
/* ref's settings: for each, the most specific scope that sets it. */
void registries_d_sources(const struct registries_d *d, const struct image_ref *ref, struct sig_sources *ret);
struct registries_d *registries_d_free(struct registries_d *d);
void registries_d_freep(struct registries_d **d);

/* The signatures of manifest_digest in a lookaside store (signature-1, -2, ... until
 * the first missing one). */
int lookaside_fetch(const char *base, const struct image_ref *ref, const char *manifest_digest, char ***ret_sigs,
                    size_t **ret_lens, size_t *ret_n, struct cric_error **err);

/* The cosign attachments of manifest_digest in repo; none is no error. */
int sigstore_fetch(struct registry_client *c, const char *repo, const char *manifest_digest, struct sigstore_sig **ret,
                   size_t *ret_n, struct cric_error **err);
void sigstore_sigs_free(struct sigstore_sig *s, size_t n);

/* ---- policy_check.c ---- */

struct policy_check_opts {
        const char *policy_path;     /* the global policy file */
        bool policy_path_is_default; /* a missing file then accepts everything (logged) */
        const char *policy_dir;      /* per-namespace policies <dir>/<namespace>.json, or NULL */
        const char *ns;              /* the pod's namespace, or NULL */
        const char *registries_d;    /* registries.d directory */
        const char *tmp_dir;         /* where a throw-away GPG keyring may go */
};

/* The policy of one pull: it reads the policy file and registries.d at the first check
 * that needs them and keeps them (or the error reading them) for each further source
 * the pull tries. The strings of o are borrowed and must outlive it. Not thread-safe. */
struct policy_checker;
struct policy_checker *policy_checker_new(const struct policy_check_opts *o);
struct policy_checker *policy_checker_free(struct policy_checker *pc);
void policy_checker_freep(struct policy_checker **pc);

/* Whether the image pulled as name (the name asked for) with top-level manifest
 * manifest_digest, served by client from repo, is allowed. CRIC_E_SIGNATURE with a
 * message naming the policy file, the scope and the requirement that rejected it. */
int policy_check(struct policy_checker *pc, const struct image_ref *name, const char *manifest_digest,
                 struct registry_client *client, const char *repo, struct cric_error **err);

#endif
