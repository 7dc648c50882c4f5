/* libFuzzer target for what a signature check reads from outside: the simple signing
 * payload a registry or lookaside store serves (src/image/sig_payload.c), and the
 * policy file (src/image/policy.c). The first byte picks which.
 *
 * A payload must parse or fail with CRIC_E_INVALID; a parsed one has a valid digest.
 * A policy must parse or fail with CRIC_E_INVALID naming the file; a parsed one must
 * pick requirements for a few references and match identities without crashing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/policy.h"
#include "image/sig.h"
#include "util/cleanup.h"

static void check_policy(const char *data, size_t size) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        CLEANUP(policy_freep) struct policy *p = NULL;
        if (policy_parse(data, size, "/fuzz/policy.json", &p, &err) < 0) {
                if (!err || err->kind != CRIC_E_INVALID || !strstr(err->msg, "/fuzz/policy.json"))
                        abort();
                return;
        }
        static const char *const images[] = {"busybox", "example.com/ns/app:1",
                                             "127.0.0.1:5000/x@sha256:"
                                             "0123456789abcdef0123456789abcdef"
                                             "0123456789abcdef0123456789abcdef"};
        for (size_t i = 0; i < 3; i++) {
                CLEANUP(image_ref_freep) struct image_ref *r = NULL;
                if (image_ref_parse(images[i], &r, NULL) < 0)
                        abort();
                const struct policy_reqs *reqs = policy_select(p, r);
                if (!reqs || reqs->n == 0)
                        abort();
                for (size_t k = 0; k < reqs->n; k++)
                        (void) policy_identity_match(&reqs->reqs[k].identity, r, "example.com/ns/app:1");
        }
}

static void check_payload(const char *data, size_t size) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct sig_claim c = {0};
        if (sig_payload_parse(data, size, SIG_TYPE_SIMPLE, &c, &err) < 0) {
                if (!err || err->kind != CRIC_E_INVALID || c.manifest_digest)
                        abort();
                return;
        }
        if (!digest_is_valid(c.manifest_digest) || !c.docker_reference)
                abort();
        sig_claim_clear(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size == 0)
                return 0;
        if (data[0] & 1)
                check_policy((const char *) data + 1, size - 1);
        else
                check_payload((const char *) data + 1, size - 1);
        return 0;
}
