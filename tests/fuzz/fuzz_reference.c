/* libFuzzer target for image references (src/image/ref.c).
 *
 * Any input must either parse or fail with a CRIC_E_INVALID error that names the
 * problem. When it parses, image_ref_string() must parse back to an equal reference
 * (domain, path, tag, digest) that prints the same, and the other printers must agree
 * with it. Any mismatch aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/ref.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static void die(const char *what, const char *input, const char *printed) {
        fprintf(stderr, "fuzz_reference: %s\n  input:   \"%s\"\n  printed: \"%s\"\n", what, input,
                printed ? printed : "(none)");
        abort();
}

static bool same(const char *a, const char *b) {
        return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool refs_equal(const struct image_ref *a, const struct image_ref *b) {
        return same(a->domain, b->domain) && same(a->path, b->path) && same(a->tag, b->tag) &&
               same(a->digest, b->digest);
}

static void check_printers(const struct image_ref *ref, const char *input, const char *printed) {
        AUTOFREE char *name = image_ref_name(ref);
        AUTOFREE char *tagged = image_ref_tagged(ref);
        if (strncmp(printed, name, strlen(name)) != 0)
                die("image_ref_name is not a prefix of image_ref_string", input, printed);
        if (!ref->tag != !tagged || (tagged && strncmp(printed, tagged, strlen(tagged)) != 0))
                die("image_ref_tagged disagrees with image_ref_string", input, printed);
        if (ref->digest) {
                AUTOFREE char *with = image_ref_with_digest(ref, ref->digest);
                AUTOFREE char *want = xasprintf("%s@%s", name, ref->digest);
                const char *at = strrchr(printed, '@');
                if (!digest_is_valid(ref->digest) || strcmp(with, want) != 0 || !at || strcmp(at + 1, ref->digest))
                        die("digest does not print back", input, printed);
        }
}

static void check_round_trip(const struct image_ref *ref, const char *input) {
        AUTOFREE char *printed = image_ref_string(ref);
        CLEANUP(image_ref_freep) struct image_ref *again = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (!ref->domain || !ref->path || (!ref->tag && !ref->digest))
                die("parsed reference lacks a domain, a path or both tag and digest", input, printed);
        if (image_ref_parse(printed, &again, &err) < 0) {
                fprintf(stderr, "fuzz_reference: %s\n", err->msg);
                die("printed reference does not parse", input, printed);
        }
        if (!refs_equal(ref, again) || !again->had_domain)
                die("printed reference parses to a different reference", input, printed);
        AUTOFREE char *printed2 = image_ref_string(again);
        if (strcmp(printed, printed2) != 0)
                die("printing is not stable", input, printed2);
        CLEANUP(image_ref_freep) struct image_ref *copy = image_ref_copy(ref);
        if (!refs_equal(ref, copy) || copy->had_domain != ref->had_domain)
                die("image_ref_copy differs", input, printed);
        check_printers(ref, input, printed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        /* A C string ends at the first NUL; the rest of the input cannot matter. */
        AUTOFREE char *input = xstrndup((const char *) data, size);
        struct image_ref *ref = NULL;
        struct cric_error *err = NULL;
        if (image_ref_parse(input, &ref, &err) < 0) {
                if (ref || !err || err->kind != CRIC_E_INVALID || !err->msg ||
                    strncmp(err->msg, "invalid reference \"", 19) != 0)
                        die("failure without a proper CRIC_E_INVALID error", input, NULL);
                cric_error_free(err);
                return 0;
        }
        if (err)
                die("success with an error set", input, NULL);
        check_round_trip(ref, input);
        image_ref_free(ref);
        return 0;
}
