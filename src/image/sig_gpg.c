/* signedBy with GPGKeys: a simple signing signature is an OpenPGP signed message (what
 * `gpg --sign` writes) whose content is the payload. It is verified with gpgme in a
 * keyring made for this one check, holding only the policy's keys, so "the signature
 * is good" already means "signed by a trusted key"; the keyring is removed afterwards.
 * gpgme runs gpg, gpgconf and gpgsm through a double fork, so they end as orphans of
 * the subreaper daemon, which reaps them (daemon/reap.c). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "image/gpgme_lazy.h"
#include "image/sig.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/rm.h"
#include "util/xalloc.h"

#define KEY_MAX_SIZE (1u << 20)
#define G(name)      GPGME_LAZY(name)

struct gpg {
        gpgme_ctx_t ctx;
        char *home;
        size_t n_imported;
};

static int gpg_open(struct gpg *g, const char *tmp_dir, struct cric_error **err) {
        g->home = xasprintf("%s/gpg-XXXXXX", tmp_dir);
        if (fs_mkdir_p(tmp_dir, 0700, err) < 0)
                return -1;
        if (!mkdtemp(g->home)) {
                int r = cric_error_errno(err, CRIC_E_INTERNAL, errno, "mkdtemp %s", g->home);
                free(g->home);
                g->home = NULL;
                return r;
        }
        /* gpg would start an agent in this home for the import; nothing here needs one */
        AUTOFREE char *conf = xasprintf("%s/gpg.conf", g->home);
        if (fs_write_file_atomic(conf, "no-autostart\n", 13, 0600, err) < 0)
                return -1;
        gpgme_error_t e = G(gpgme_new)(&g->ctx);
        if (!e)
                e = G(gpgme_set_protocol)(g->ctx, GPGME_PROTOCOL_OpenPGP);
        if (!e)
                e = G(gpgme_ctx_set_engine_info)(g->ctx, GPGME_PROTOCOL_OpenPGP, NULL, g->home);
        if (e)
                return cric_error_set(err, CRIC_E_UNAVAILABLE, "gpgme: %s", G(gpgme_strerror)(e));
        return 0;
}

static void gpg_close(struct gpg *g) {
        if (g->ctx)
                G(gpgme_release)(g->ctx);
        if (g->home) {
                CLEANUP(cric_error_freep) struct cric_error *e = NULL;
                if (rm_rf(g->home, &e) < 0)
                        cric_error_log_free(&e, "removing the keyring %s", g->home);
                free(g->home);
        }
}

static int import_key(struct gpg *g, const struct policy_key *k, struct cric_error **err) {
        AUTOFREE char *file = NULL;
        const char *data = (const char *) k->data;
        size_t len = k->len;
        const char *what = k->path ? k->path : "(keyData)";
        if (k->path) {
                if (fs_read_file(k->path, KEY_MAX_SIZE, &file, &len, err) < 0) {
                        (*err)->kind = CRIC_E_PRECONDITION;
                        return -1;
                }
                data = file;
        }
        gpgme_data_t dh = NULL;
        gpgme_error_t e = G(gpgme_data_new_from_mem)(&dh, data, len, 0);
        if (!e)
                e = G(gpgme_op_import)(g->ctx, dh);
        if (dh)
                G(gpgme_data_release)(dh);
        if (e)
                return cric_error_set(err, CRIC_E_PRECONDITION, "GPG key %s: %s", what, G(gpgme_strerror)(e));
        gpgme_import_result_t res = G(gpgme_op_import_result)(g->ctx);
        if (!res || res->considered == 0 || (res->imported + res->unchanged) == 0)
                return cric_error_set(err, CRIC_E_PRECONDITION, "GPG key %s: no public key in it", what);
        g->n_imported += (size_t) (res->imported + res->unchanged);
        return 0;
}

static int verify(struct gpg *g, const char *sig, size_t len, char **ret_text, size_t *ret_len,
                  struct cric_error **err) {
        gpgme_data_t in = NULL, out = NULL;
        gpgme_error_t e = G(gpgme_data_new_from_mem)(&in, sig, len, 0);
        if (!e)
                e = G(gpgme_data_new)(&out);
        if (!e)
                e = G(gpgme_op_verify)(g->ctx, in, NULL, out);
        if (in)
                G(gpgme_data_release)(in);
        size_t n = 0;
        char *text = out ? G(gpgme_data_release_and_get_mem)(out, &n) : NULL;
        if (e) {
                G(gpgme_free)(text);
                return cric_error_set(err, CRIC_E_SIGNATURE, "the GPG signature cannot be read: %s",
                                      G(gpgme_strerror)(e));
        }
        gpgme_verify_result_t res = G(gpgme_op_verify_result)(g->ctx);
        const char *problem = NULL;
        if (!res || !res->signatures)
                problem = "it holds no signature";
        else if (res->signatures->next)
                problem = "it holds more than one signature";
        else if (res->signatures->status != 0)
                problem = G(gpgme_strerror)(res->signatures->status);
        else if ((res->signatures->summary & GPGME_SIGSUM_RED) || res->signatures->wrong_key_usage ||
                 res->signatures->validity == GPGME_VALIDITY_NEVER || !res->signatures->fpr)
                problem = "the key is not fit for signing";
        if (problem) {
                G(gpgme_free)(text);
                return cric_error_set(err, CRIC_E_SIGNATURE, "the GPG signature is not valid for any trusted key: %s",
                                      problem);
        }
        log_debug("GPG signature by %s", res->signatures->fpr);
        *ret_text = xstrndup(text ? text : "", n);
        *ret_len = n;
        G(gpgme_free)(text);
        return 0;
}

/* gpgme keeps process-wide state (engine information) it never frees, so once loaded
 * it stays: only nodes whose policy asks for GPG signatures ever load it. */
static int gpgme_load(struct cric_error **err) {
        static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
        static bool loaded;
        pthread_mutex_lock(&lock);
        int r = loaded ? 0 : lazylib_acquire(&gpgme_lib, err);
        loaded = r == 0;
        pthread_mutex_unlock(&lock);
        return r;
}

int gpg_verify(const struct policy_key *keys, size_t n_keys, const char *sig, size_t len, const char *tmp_dir,
               struct sig_claim *ret, struct cric_error **err) {
        if (gpgme_load(err) < 0)
                return cric_error_prefix(err, "verifying a GPG signature");
        struct gpg g = {0};
        AUTOFREE char *text = NULL;
        size_t text_len = 0;
        int r = gpg_open(&g, tmp_dir, err);
        for (size_t i = 0; r == 0 && i < n_keys; i++)
                r = import_key(&g, &keys[i], err);
        if (r == 0)
                r = verify(&g, sig, len, &text, &text_len, err);
        gpg_close(&g);
        if (r < 0)
                return -1;
        if (sig_payload_parse(text, text_len, SIG_TYPE_SIMPLE, ret, err) < 0) {
                (*err)->kind = CRIC_E_SIGNATURE;
                return -1;
        }
        return 0;
}
