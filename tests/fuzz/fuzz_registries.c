/* libFuzzer target for registries.conf (src/image/registries_*.c).
 *
 * Any document must either parse or fail with a CRIC_E_INVALID error naming the file.
 * When it parses, a few names plus one name under every configured prefix and alias
 * are expanded and resolved to pull sources: every candidate and source must be a
 * reference that prints and parses back to itself, a blocked registry must fail with
 * CRIC_E_PERMISSION, and nothing else may fail except on over-long rewrites. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/registries.h"
#include "image/registries_internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

#define FILENAME "fuzz.conf"

static void die(const char *what, const char *detail) {
        fprintf(stderr, "fuzz_registries: %s: %s\n", what, detail ? detail : "");
        abort();
}

static void check_ref(const struct image_ref *ref) {
        AUTOFREE char *s = image_ref_string(ref);
        CLEANUP(image_ref_freep) struct image_ref *again = NULL;
        if (image_ref_parse(s, &again, NULL) < 0)
                die("a resolved reference does not parse", s);
        AUTOFREE char *s2 = image_ref_string(again);
        if (strcmp(s, s2) != 0)
                die("a resolved reference does not round-trip", s);
}

static void check_sources(const struct registries_conf *conf, const struct image_ref *ref) {
        struct pull_source *src = NULL;
        size_t n = 0;
        struct cric_error *err = NULL;
        if (registries_sources(conf, ref, &src, &n, &err) < 0) {
                /* blocked, or a rewrite past the 255-character limit */
                if (!err || (err->kind != CRIC_E_PERMISSION && err->kind != CRIC_E_INVALID) || src)
                        die("registries_sources failed oddly", err ? err->msg : NULL);
                cric_error_free(err);
                return;
        }
        if (n == 0 || src[n - 1].is_mirror)
                die("the primary location must come last", NULL);
        for (size_t i = 0; i < n; i++) {
                check_ref(src[i].ref);
                (void) registries_is_insecure(conf, src[i].ref->domain);
        }
        pull_sources_free(src, n);
}

static void check_name(const struct registries_conf *conf, const char *input) {
        struct image_ref **refs = NULL;
        size_t n = 0;
        struct cric_error *err = NULL;
        if (registries_expand(conf, input, &refs, &n, &err) < 0) {
                if (!err || err->kind != CRIC_E_INVALID)
                        die("registries_expand failed without CRIC_E_INVALID", input);
                cric_error_free(err);
                return;
        }
        if (n == 0)
                die("registries_expand gave no candidate", input);
        for (size_t i = 0; i < n; i++) {
                if (!refs[i]->had_domain)
                        die("a candidate is not qualified", input);
                check_ref(refs[i]);
                check_sources(conf, refs[i]);
                image_ref_free(refs[i]);
        }
        free(refs);
}

static void exercise(const struct registries_conf *conf) {
        static const char *const names[] = {
                "busybox",
                "busybox:1",
                "ns/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                "quay.io/a/b:1",
                "localhost:5000/x",
        };
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                check_name(conf, names[i]);
        for (size_t i = 0; i < conf->n_registries; i++) {
                const char *p = conf->registries[i].prefix;
                AUTOFREE char *name =
                        conf->registries[i].is_wildcard ? xasprintf("sub%s/x", p + 1) : xasprintf("%s/x", p);
                check_name(conf, name);
                AUTOFREE char *exact = xstrdup(p);
                check_name(conf, exact);
                (void) registries_is_insecure(conf, p);
        }
        for (size_t i = 0; i < conf->n_aliases; i++) {
                AUTOFREE char *tagged = xasprintf("%s:t", conf->aliases[i].name);
                check_name(conf, conf->aliases[i].name);
                check_name(conf, tagged);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        log_set_level(LOG_LEVEL_ERROR); /* unknown keys warn; keep the fuzzer quiet */
        struct registries_conf *conf = NULL;
        struct cric_error *err = NULL;
        if (registries_conf_parse((const char *) data, size, FILENAME, &conf, &err) < 0) {
                if (conf || !err || err->kind != CRIC_E_INVALID || strncmp(err->msg, FILENAME ":", 10) != 0)
                        die("failure without a proper CRIC_E_INVALID error", err ? err->msg : NULL);
                cric_error_free(err);
                return 0;
        }
        if (err || !conf)
                die("success with an error set or no result", NULL);
        exercise(conf);
        registries_conf_free(conf);
        return 0;
}
