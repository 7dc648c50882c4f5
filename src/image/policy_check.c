/* A pull against the signature policy: the policy file (the pod namespace's own, when
 * there is one), the requirements of the image's scope, then each requirement in turn;
 * all must accept. The policy and registries.d are read once per pull and serve
 * each source it tries, so an edit applies to the next pull without a reload.
 * Signatures are fetched only when a requirement needs them, and a reject requirement
 * fails before anything is fetched. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/sig.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

/* A Kubernetes namespace is a DNS label; anything else never names a file. */
static bool is_dns_label(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
                return false;
        for (const char *p = s; *p; p++)
                if (!(('a' <= *p && *p <= 'z') || ('0' <= *p && *p <= '9') || *p == '-'))
                        return false;
        return true;
}

static char *policy_path(const struct policy_check_opts *o) {
        if (o->policy_dir && *o->policy_dir && o->ns && is_dns_label(o->ns)) {
                char *p = xasprintf("%s/%s.json", o->policy_dir, o->ns);
                if (access(p, F_OK) == 0)
                        return p;
                free(p);
        }
        return xstrdup(o->policy_path);
}

struct policy_checker {
        struct policy_check_opts o;
        bool policy_read;
        char *path;
        struct policy *policy; /* NULL once read: the default file is missing, all is accepted */
        struct cric_error *policy_err;
        bool registries_d_read;
        struct registries_d *registries_d;
        struct cric_error *registries_d_err;
};

struct policy_checker *policy_checker_new(const struct policy_check_opts *o) {
        struct policy_checker *pc = xcalloc(1, sizeof(*pc));
        pc->o = *o;
        return pc;
}

struct policy_checker *policy_checker_free(struct policy_checker *pc) {
        if (!pc)
                return NULL;
        free(pc->path);
        policy_free(pc->policy);
        cric_error_free(pc->policy_err);
        registries_d_free(pc->registries_d);
        cric_error_free(pc->registries_d_err);
        free(pc);
        return NULL;
}

void policy_checker_freep(struct policy_checker **pc) {
        *pc = policy_checker_free(*pc);
}

/* What failed to read at an earlier source fails this one the same way. */
static int read_failed(const struct cric_error *e, struct cric_error **err) {
        cric_error_set(err, e->kind, "%s", e->msg);
        if (err)
                (*err)->errno_value = e->errno_value;
        return -1;
}

static int read_policy(struct policy_checker *pc, struct cric_error **err) {
        static atomic_bool warned_missing;
        const struct policy_check_opts *o = &pc->o;
        if (!pc->policy_read) {
                pc->policy_read = true;
                pc->path = policy_path(o);
                CLEANUP(cric_error_freep) struct cric_error *e = NULL;
                if (policy_load(pc->path, &pc->policy, &e) < 0 && o->policy_path_is_default &&
                    strcmp(pc->path, o->policy_path) == 0 && access(pc->path, F_OK) < 0) {
                        if (!atomic_exchange(&warned_missing, true))
                                log_warn("signature policy %s does not exist: every image is accepted", pc->path);
                } else {
                        pc->policy_err = STEAL_PTR(e);
                }
        }
        return pc->policy_err ? read_failed(pc->policy_err, err) : 0;
}

static int read_registries_d(struct policy_checker *pc, struct cric_error **err) {
        if (!pc->registries_d_read) {
                pc->registries_d_read = true;
                registries_d_load(pc->o.registries_d, &pc->registries_d, &pc->registries_d_err);
        }
        return pc->registries_d_err ? read_failed(pc->registries_d_err, err) : 0;
}

/* The signatures found for one image, fetched once whichever requirement asks first. */
struct found {
        bool sources_done;
        struct sig_sources sources;
        bool gpg_done;
        char **gpg;
        size_t *gpg_lens, n_gpg;
        bool sigstore_done;
        struct sigstore_sig *sigstore;
        size_t n_sigstore;
};

static void found_clear(struct found *f) {
        sig_sources_clear(&f->sources);
        for (size_t i = 0; i < f->n_gpg; i++)
                free(f->gpg[i]);
        free(f->gpg);
        free(f->gpg_lens);
        sigstore_sigs_free(f->sigstore, f->n_sigstore);
}

struct check {
        struct policy_checker *pc;
        const struct image_ref *name;
        const char *digest;
        struct registry_client *client;
        const char *repo;
        struct found f;
};

static int load_sources(struct check *c, struct cric_error **err) {
        if (c->f.sources_done)
                return 0;
        if (read_registries_d(c->pc, err) < 0)
                return -1;
        registries_d_sources(c->pc->registries_d, c->name, &c->f.sources);
        c->f.sources_done = true;
        return 0;
}

static int fetch_gpg(struct check *c, struct cric_error **err) {
        if (c->f.gpg_done)
                return 0;
        if (load_sources(c, err) < 0)
                return -1;
        if (c->f.sources.lookaside && lookaside_fetch(c->f.sources.lookaside, c->name, c->digest, &c->f.gpg,
                                                      &c->f.gpg_lens, &c->f.n_gpg, err) < 0)
                return -1;
        c->f.gpg_done = true;
        return 0;
}

static int fetch_sigstore(struct check *c, struct cric_error **err) {
        if (c->f.sigstore_done)
                return 0;
        if (load_sources(c, err) < 0)
                return -1;
        if (c->f.sources.use_sigstore_attachments &&
            sigstore_fetch(c->client, c->repo, c->digest, &c->f.sigstore, &c->f.n_sigstore, err) < 0)
                return -1;
        c->f.sigstore_done = true;
        return 0;
}

/* A verified claim must be for this manifest and name an identity the requirement
 * accepts. */
static int check_claim(struct check *c, const struct policy_req *q, const struct sig_claim *claim,
                       struct cric_error **err) {
        if (strcmp(claim->manifest_digest, c->digest) != 0)
                return cric_error_set(err, CRIC_E_SIGNATURE, "the signature is for manifest %s, not %s",
                                      claim->manifest_digest, c->digest);
        if (!policy_identity_match(&q->identity, c->name, claim->docker_reference))
                return cric_error_set(err, CRIC_E_SIGNATURE,
                                      "the signature is for %s, which the policy does not accept "
                                      "for this image",
                                      claim->docker_reference);
        return 0;
}

/* One requirement: accepted when any signature verifies and its claim fits. The
 * error of the last signature tried says why none did. */
static int check_signed(struct check *c, const struct policy_req *q, struct cric_error **err) {
        bool gpg = q->type == POLICY_SIGNED_BY;
        if ((gpg ? fetch_gpg(c, err) : fetch_sigstore(c, err)) < 0)
                return -1;
        size_t n = gpg ? c->f.n_gpg : c->f.n_sigstore;
        if (n == 0)
                return cric_error_set(err, CRIC_E_SIGNATURE, "A signature was required, but no signature exists");
        CLEANUP(cric_error_freep) struct cric_error *last = NULL;
        for (size_t i = 0; i < n; i++) {
                struct sig_claim claim = {0};
                cric_error_freep(&last);
                int r = gpg ? gpg_verify(q->keys, q->n_keys, c->f.gpg[i], c->f.gpg_lens[i], c->pc->o.tmp_dir, &claim,
                                         &last)
                            : sigstore_verify(q->keys, q->n_keys, &c->f.sigstore[i], &claim, &last);
                if (r == 0)
                        r = check_claim(c, q, &claim, &last);
                sig_claim_clear(&claim);
                if (r == 0)
                        return 0;
                if (last->kind != CRIC_E_SIGNATURE) /* a key that cannot be read: the policy is broken */
                        return cric_error_move(err, &last);
                log_debug("signature %zu of %s rejected: %s", i + 1, c->digest, last->msg);
        }
        return cric_error_move(err, &last);
}

static char *scope_desc(const struct policy_reqs *reqs) {
        return reqs->scope ? xasprintf("transports.docker \"%s\"", reqs->scope) : xstrdup("default");
}

int policy_check(struct policy_checker *pc, const struct image_ref *name, const char *manifest_digest,
                 struct registry_client *client, const char *repo, struct cric_error **err) {
        if (read_policy(pc, err) < 0)
                return -1;
        if (!pc->policy)
                return 0;
        const char *path = pc->path;
        const struct policy_reqs *reqs = policy_select(pc->policy, name);
        AUTOFREE char *image = image_ref_string(name);
        AUTOFREE char *scope = scope_desc(reqs);
        for (size_t i = 0; i < reqs->n; i++)
                if (reqs->reqs[i].type == POLICY_REJECT)
                        return cric_error_set(err, CRIC_E_SIGNATURE,
                                              "Source image rejected: Running image docker://%s is rejected by policy "
                                              "(%s, %s, requirement %zu of %zu: reject)",
                                              image, path, scope, i + 1, reqs->n);
        struct check c = {.pc = pc, .name = name, .digest = manifest_digest, .client = client, .repo = repo};
        int r = 0;
        for (size_t i = 0; r == 0 && i < reqs->n; i++) {
                const struct policy_req *q = &reqs->reqs[i];
                if (q->type == POLICY_ACCEPT_ANYTHING)
                        continue;
                r = check_signed(&c, q, err);
                if (r < 0 && (*err)->kind == CRIC_E_SIGNATURE)
                        cric_error_prefix(err, "Source image rejected: %s (%s, %s, requirement %zu of %zu: %s)", image,
                                          path, scope, i + 1, reqs->n, policy_req_type_name(q->type));
                else if (r < 0)
                        cric_error_prefix(err, "signature policy %s, %s", path, scope);
        }
        found_clear(&c.f);
        if (r == 0)
                log_debug("signature policy %s (%s) accepts %s (%s)", path, scope, image, manifest_digest);
        return r;
}
