/* sigstoreSigned with public keys: cosign's attachments in the registry, verified with
 * OpenSSL. The attachment of sha256:<hex> is the manifest tagged sha256-<hex>.sig in
 * the same repository; each layer of media type SIMPLESIGNING is a payload, with its
 * base64 signature in the layer's dev.cosignproject.cosign/signature annotation. The
 * signature is over the payload's bytes (SHA-256 for ECDSA and RSA; Ed25519 signs the
 * message itself). */
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "image/internal.h"
#include "image/sig.h"
#include "util/base64.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/xalloc.h"

#define SIMPLESIGNING_MEDIA_TYPE "application/vnd.dev.cosign.simplesigning.v1+json"
#define SIGNATURE_ANNOTATION     "dev.cosignproject.cosign/signature"
#define KEY_MAX_SIZE             (1u << 20)

static EVP_PKEY *load_key(const struct policy_key *k, struct cric_error **err) {
        AUTOFREE char *file = NULL;
        const void *data = k->data;
        size_t len = k->len;
        if (k->path) {
                if (fs_read_file(k->path, KEY_MAX_SIZE, &file, &len, err) < 0) {
                        (*err)->kind = CRIC_E_PRECONDITION;
                        return NULL;
                }
                data = file;
        }
        BIO *bio = BIO_new_mem_buf(data, (int) len);
        EVP_PKEY *key = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
        if (!key)
                cric_error_set(err, CRIC_E_PRECONDITION, "public key %s is not a PEM public key",
                               k->path ? k->path : "(keyData)");
        return key;
}

static bool verify_with(EVP_PKEY *key, const unsigned char *sig, size_t sig_len, const void *msg, size_t msg_len) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        if (!ctx)
                return false;
        int type = EVP_PKEY_get_base_id(key);
        const EVP_MD *md = type == EVP_PKEY_ED25519 || type == EVP_PKEY_ED448 ? NULL : EVP_sha256();
        bool ok = EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
                  EVP_DigestVerify(ctx, sig, sig_len, msg, msg_len) == 1;
        EVP_MD_CTX_free(ctx);
        return ok;
}

int sigstore_verify(const struct policy_key *keys, size_t n_keys, const struct sigstore_sig *sig, struct sig_claim *ret,
                    struct cric_error **err) {
        AUTOFREE char *raw = NULL;
        size_t raw_len = 0;
        if (base64_decode(sig->signature, strlen(sig->signature), &raw, &raw_len, err) < 0) {
                (*err)->kind = CRIC_E_SIGNATURE;
                return cric_error_prefix(err, "sigstore signature");
        }
        bool ok = false;
        for (size_t i = 0; i < n_keys && !ok; i++) {
                EVP_PKEY *key = load_key(&keys[i], err);
                if (!key)
                        return -1;
                ok = verify_with(key, (const unsigned char *) raw, raw_len, sig->payload, sig->payload_len);
                EVP_PKEY_free(key);
        }
        if (!ok)
                return cric_error_set(err, CRIC_E_SIGNATURE,
                                      "the sigstore signature is not valid for any of the %zu "
                                      "trusted key(s)",
                                      n_keys);
        if (sig_payload_parse(sig->payload, sig->payload_len, SIG_TYPE_SIGSTORE, ret, err) < 0) {
                (*err)->kind = CRIC_E_SIGNATURE;
                return -1;
        }
        return 0;
}

static int fetch_layer(struct registry_client *c, const char *repo, struct json_object *layer, struct sigstore_sig *out,
                       struct cric_error **err) {
        struct json_object *digest = NULL, *ann = NULL, *sig = NULL;
        if (!json_object_object_get_ex(layer, "digest", &digest) || !json_object_is_type(digest, json_type_string) ||
            !json_object_object_get_ex(layer, "annotations", &ann) ||
            !json_object_object_get_ex(ann, SIGNATURE_ANNOTATION, &sig) || !json_object_is_type(sig, json_type_string))
                return cric_error_set(err, CRIC_E_INVALID, "a sigstore attachment layer has no digest or no %s",
                                      SIGNATURE_ANNOTATION);
        const char *d = json_object_get_string(digest);
        struct mem_sink m = {.max = SIG_MAX_SIZE, .what = "a signature blob"};
        if (registry_fetch_blob(c, repo, d, mem_sink_write, &m, err) < 0) {
                free(m.buf);
                return cric_error_prefix(err, "sigstore attachment %s", d);
        }
        char got[DIGEST_STR_LEN + 1];
        digest_buffer(m.buf ? m.buf : "", m.len, got);
        if (strcmp(got, d) != 0) {
                free(m.buf);
                return cric_error_set(err, CRIC_E_INVALID, "sigstore attachment %s: content has digest %s", d, got);
        }
        out->payload = m.buf ? m.buf : xstrdup("");
        out->payload_len = m.len;
        out->signature = xstrdup(json_object_get_string(sig));
        return 0;
}

int sigstore_fetch(struct registry_client *c, const char *repo, const char *manifest_digest, struct sigstore_sig **ret,
                   size_t *ret_n, struct cric_error **err) {
        *ret = NULL;
        *ret_n = 0;
        AUTOFREE char *tag = xasprintf("%s.sig", manifest_digest);
        tag[strcspn(tag, ":")] = '-';
        AUTOFREE char *data = NULL, *media_type = NULL, *digest = NULL;
        size_t len = 0;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (registry_fetch_manifest(c, repo, tag, &data, &len, &media_type, &digest, &e) < 0) {
                if (e->kind == CRIC_E_NOT_FOUND) {
                        log_debug("no sigstore attachment %s:%s", repo, tag);
                        return 0;
                }
                cric_error_move(err, &e);
                return cric_error_prefix(err, "sigstore attachment %s:%s", repo, tag);
        }
        AUTOJSON struct json_object *doc = NULL;
        struct json_object *layers = NULL;
        if (json_parse_object(data, len, "sigstore attachment manifest", &doc, err) < 0)
                return -1;
        if (!json_object_object_get_ex(doc, "layers", &layers) || !json_object_is_type(layers, json_type_array))
                return cric_error_set(err, CRIC_E_INVALID, "sigstore attachment %s:%s has no layers", repo, tag);
        size_t n = json_object_array_length(layers);
        struct sigstore_sig *sigs = xcalloc(n ? n : 1, sizeof(*sigs));
        size_t got = 0;
        for (size_t i = 0; i < n && got < SIG_MAX_COUNT; i++) {
                struct json_object *layer = json_object_array_get_idx(layers, i), *mt = NULL;
                if (!json_object_object_get_ex(layer, "mediaType", &mt) || !json_object_is_type(mt, json_type_string) ||
                    strcmp(json_object_get_string(mt), SIMPLESIGNING_MEDIA_TYPE) != 0) {
                        log_debug("sigstore attachment %s:%s: layer %zu is not a simple signing payload", repo, tag, i);
                        continue;
                }
                if (fetch_layer(c, repo, layer, &sigs[got], err) < 0) {
                        sigstore_sigs_free(sigs, got);
                        return -1;
                }
                got++;
        }
        *ret = sigs;
        *ret_n = got;
        return 0;
}

void sigstore_sigs_free(struct sigstore_sig *s, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(s[i].payload);
                free(s[i].signature);
        }
        free(s);
}
