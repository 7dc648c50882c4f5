/* Tests of registries.conf (src/image/registries_*.c): parsing, drop-ins, short-name
 * expansion, prefix matching, mirrors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/registries.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define SHA256 "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* ---- fixture: a temp dir holding registries.conf and registries.conf.d/ ---- */

struct fixture {
        char *dir;
        char *file;    /* <dir>/registries.conf (not created) */
        char *dropdir; /* <dir>/registries.conf.d (created) */
};

static int setup(void **state) {
        struct fixture *f = xzalloc(sizeof(*f));
        f->dir = testlib_tmpdir("registries-test");
        f->file = xasprintf("%s/registries.conf", f->dir);
        f->dropdir = xasprintf("%s/registries.conf.d", f->dir);
        if (mkdir(f->dropdir, 0755) < 0)
                return -1;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        int r = testlib_rmtree(f->dir);
        free(f->dir);
        free(f->file);
        free(f->dropdir);
        free(f);
        return r;
}

static void write_text(const char *path, const char *text) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (fs_write_file_atomic(path, text, strlen(text), 0644, &err) < 0)
                fail_msg("write %s: %s", path, err->msg);
}

static void write_dropin(const struct fixture *f, const char *name, const char *text) {
        AUTOFREE char *path = xasprintf("%s/%s", f->dropdir, name);
        write_text(path, text);
}

static struct registries_conf *load_ok(const struct fixture *f) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct registries_conf *conf = NULL;
        if (registries_conf_load(f->file, &conf, &err) < 0)
                fail_msg("load failed: %s", err->msg);
        return conf;
}

/* ---- helpers ---- */

static struct registries_conf *parse_ok(const char *text) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct registries_conf *conf = NULL;
        if (registries_conf_parse(text, strlen(text), "test.conf", &conf, &err) < 0)
                fail_msg("parse failed: %s", err->msg);
        assert_non_null(conf);
        return conf;
}

/* Parsing must fail with CRIC_E_INVALID; returns the message (owned by the caller). */
static char *parse_fail(const char *text) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct registries_conf *conf = NULL;
        if (registries_conf_parse(text, strlen(text), "test.conf", &conf, &err) == 0) {
                registries_conf_free(conf);
                fail_msg("parse succeeded, expected an error for:\n%s", text);
        }
        assert_null(conf);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        return xstrdup(err->msg);
}

/* Expands input and compares the candidates with want (NULL-terminated). */
static void assert_expands(const struct registries_conf *conf, const char *input, const char *const *want) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct image_ref **refs = NULL;
        size_t n = 0, n_want = 0;
        if (registries_expand(conf, input, &refs, &n, &err) < 0)
                fail_msg("expand \"%s\" failed: %s", input, err->msg);
        while (want[n_want])
                n_want++;
        assert_int_equal(n, n_want);
        for (size_t i = 0; i < n; i++) {
                AUTOFREE char *s = image_ref_string(refs[i]);
                if (strcmp(s, want[i]) != 0)
                        fail_msg("\"%s\" candidate %zu: got \"%s\", want \"%s\"", input, i, s, want[i]);
                image_ref_free(refs[i]);
        }
        free(refs);
}

static char *expand_fail(const struct registries_conf *conf, const char *input) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct image_ref **refs = NULL;
        size_t n = 0;
        assert_int_equal(registries_expand(conf, input, &refs, &n, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        return xstrdup(err->msg);
}

struct want_source {
        const char *ref;
        bool insecure, is_mirror;
};

static void assert_sources(const struct registries_conf *conf, const char *input, const struct want_source *want,
                           size_t n_want) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        CLEANUP(image_ref_freep) struct image_ref *ref = NULL;
        struct pull_source *src = NULL;
        size_t n = 0;
        assert_int_equal(image_ref_parse(input, &ref, &err), 0);
        if (registries_sources(conf, ref, &src, &n, &err) < 0)
                fail_msg("sources of \"%s\" failed: %s", input, err->msg);
        if (n != n_want) {
                pull_sources_free(src, n);
                fail_msg("\"%s\": got %zu sources, want %zu", input, n, n_want);
        }
        for (size_t i = 0; i < n; i++) {
                AUTOFREE char *s = image_ref_string(src[i].ref);
                if (strcmp(s, want[i].ref) != 0 || src[i].insecure != want[i].insecure ||
                    src[i].is_mirror != want[i].is_mirror) {
                        fail_msg("\"%s\" source %zu: got %s insecure=%d mirror=%d, want %s insecure=%d mirror=%d",
                                 input, i, s, src[i].insecure, src[i].is_mirror, want[i].ref, want[i].insecure,
                                 want[i].is_mirror);
                }
        }
        pull_sources_free(src, n);
}

/* Expects registries_sources to fail; returns the error (owned by the caller). */
static struct cric_error *sources_fail(const struct registries_conf *conf, const char *input) {
        CLEANUP(image_ref_freep) struct image_ref *ref = NULL;
        struct cric_error *err = NULL;
        struct pull_source *src = NULL;
        size_t n = 0;
        assert_int_equal(image_ref_parse(input, &ref, &err), 0);
        assert_int_equal(registries_sources(conf, ref, &src, &n, &err), -1);
        assert_null(src);
        assert_non_null(err);
        return err;
}

/* ---- short names ---- */

static void test_search_registries_in_order(void **state) {
        (void) state;
        CLEANUP(registries_conf_freep) struct registries_conf *conf = NULL;
        conf = parse_ok("unqualified-search-registries = [\"docker.io\", \"quay.io\", \"localhost:5000\"]\n");
        assert_expands(conf, "busybox",
                       (const char *const[]){"docker.io/library/busybox:latest", "quay.io/busybox:latest",
                                             "localhost:5000/busybox:latest", NULL});
        assert_expands(conf, "ns/app",
                       (const char *const[]){"docker.io/ns/app:latest", "quay.io/ns/app:latest",
                                             "localhost:5000/ns/app:latest", NULL});
}

static void test_short_name_keeps_tag_and_digest(void **state) {
        (void) state;
        CLEANUP(registries_conf_freep) struct registries_conf *conf = NULL;
        conf = parse_ok("unqualified-search-registries = [\"docker.io\", \"quay.io\"]\n");
        assert_expands(conf, "busybox:1.36",
                       (const char *const[]){"docker.io/library/busybox:1.36", "quay.io/busybox:1.36", NULL});
        assert_expands(conf, "busybox@" SHA256,
                       (const char *const[]){"docker.io/library/busybox@" SHA256, "quay.io/busybox@" SHA256, NULL});
        assert_expands(conf, "busybox:1@" SHA256,
                       (const char *const[]){"docker.io/library/busybox:1@" SHA256, "quay.io/busybox:1@" SHA256, NULL});
}

static void test_qualified_name_is_itself(void **state) {
        (void) state;
        CLEANUP(registries_conf_freep) struct registries_conf *conf = NULL;
        conf = parse_ok("short-name-mode = \"enforcing\"\n"
                        "[aliases]\n"
                        "\"app\" = \"quay.io/other/app\"\n");
        assert_expands(conf, "quay.io/ns/app:1", (const char *const[]){"quay.io/ns/app:1", NULL});
        assert_expands(conf, "localhost/app", (const char *const[]){"localhost/app:latest", NULL});
        assert_expands(NULL, "docker.io/busybox", (const char *const[]){"docker.io/library/busybox:latest", NULL});
}

static void test_no_search_registries(void **state) {
        (void) state;
        CLEANUP(registries_conf_freep) struct registries_conf *conf = NULL;
        conf = parse_ok("");
        AUTOFREE char *msg = expand_fail(conf, "busybox");
        assert_contains(msg, "short name \"busybox\"");
        assert_contains(msg, "no unqualified-search-registries");
        AUTOFREE char *msg2 = expand_fail(conf, "Bad Name");
        assert_contains(msg2, "invalid reference \"Bad Name\"");
}

static void test_enforcing_ambiguous(void **state) {
        (void) state;
        CLEANUP(registries_conf_freep) struct registries_conf *conf = NULL;
        conf = parse_ok("unqualified-search-registries = [\"docker.io\", \"quay.io\"]\n"
                        "short-name-mode = \"enforcing\"\n");
        AUTOFREE char *msg = expand_fail(conf, "busybox:1");
        assert_contains(msg, "short name \"busybox\" is ambiguous");
        assert_contains(msg, "docker.io, quay.io");
}

static void test_enforcing_single_registry(void **state) {
        (void) state;
        CLEANUP(registries_conf_freep) struct registries_conf *conf = NULL;
        conf = parse_ok("unqualified-search-registries = [\"quay.io\"]\n"
                        "short-name-mode = \"enforcing\"\n");
        assert_expands(conf, "busybox", (const char *const[]){"quay.io/busybox:latest", NULL});
}

static void test_permissive_and_disabled_modes(void **state) {
        (void) state;
        static const char *const modes[] = {"permissive", "disabled", ""};
        for (size_t i = 0; i < 3; i++) {
                AUTOFREE char *text = xasprintf("unqualified-search-registries = [\"a.io\", \"b.io\"]\n"
                                                "short-name-mode = \"%s\"\n",
                                                modes[i]);
                CLEANUP(registries_conf_freep) struct registries_conf *conf = NULL;
                conf = parse_ok(text);
                assert_expands(conf, "x", (const char *const[]){"a.io/x:latest", "b.io/x:latest", NULL});
        }
}

static void test_short_name_mode_invalid(void **state) {
        (void) state;
        AUTOFREE char *msg = parse_fail("short-name-mode = \"strict\"\n");
        assert_string_equal(msg, "test.conf:1:19: short-name-mode: expected \"enforcing\", \"permissive\" or "
                                 "\"disabled\", got \"strict\"");
}

static void test_alias_applies_input_tag_and_digest(void **state) {
        (void) state;
        CLEANUP(registries_conf_freep) struct registries_conf *conf = NULL;
        conf = parse_ok("unqualified-search-registries = [\"docker.io\", \"quay.io\"]\n"
                        "short-name-mode = \"enforcing\"\n"
                        "[aliases]\n"
                        "\"busybox\" = \"quay.io/libpod/busybox\"\n"
                        "\"ns/tool\" = \"registry.example.com/tools/tool\"\n");
        assert_expands(conf, "busybox", (const char *const[]){"quay.io/libpod/busybox:latest", NULL});
        assert_expands(conf, "busybox:1.36", (const char *const[]){"quay.io/libpod/busybox:1.36", NULL});
        assert_expands(conf, "busybox@" SHA256, (const char *const[]){"quay.io/libpod/busybox@" SHA256, NULL});
        assert_expands(conf, "ns/tool:2", (const char *const[]){"registry.example.com/tools/tool:2", NULL});
        /* aliases match the name as typed: library/busybox is not busybox */
        AUTOFREE char *msg = expand_fail(conf, "library/busybox");
        assert_contains(msg, "ambiguous");
}

static void test_alias_with_tag_wins(void **state) {
        (void) state;
        CLEANUP(registries_conf_freep) struct registries_conf *conf = NULL;
        conf = parse_ok("[aliases]\n\"app\" = \"quay.io/x/app:stable\"\n");
        assert_expands(conf, "app", (const char *const[]){"quay.io/x/app:stable", NULL});
        assert_expands(conf, "app:1", (const char *const[]){"quay.io/x/app:stable", NULL});
        assert_expands(conf, "app@" SHA256, (const char *const[]){"quay.io/x/app:stable@" SHA256, NULL});
}

static void test_alias_errors(void **state) {
        (void) state;
        AUTOFREE char *m1 = parse_fail("[aliases]\n\"quay.io/app\" = \"quay.io/x/app\"\n");
        assert_contains(m1, "test.conf:2:17: aliases.\"quay.io/app\": an alias name must be a short name");
        AUTOFREE char *m2 = parse_fail("[aliases]\n\"app:1\" = \"quay.io/x/app\"\n");
        assert_contains(m2, "aliases.\"app:1\": an alias name must be a short name");
        AUTOFREE char *m3 = parse_fail("[aliases]\napp = \"x/app\"\n");
        assert_contains(m3, "test.conf:2:7: aliases.app: \"x/app\" is not a fully qualified name");
        AUTOFREE char *m4 = parse_fail("[aliases]\napp = \"quay.io/x/app@" SHA256 "\"\n");
        assert_contains(m4, "is not a fully qualified name");
        AUTOFREE char *m5 = parse_fail("[aliases]\napp = \"quay.io/X\"\n");
        assert_contains(m5, "aliases.app: invalid reference \"quay.io/X\": repository name must be lowercase");
        AUTOFREE char *m6 = parse_fail("[aliases]\napp = 3\n");
        assert_contains(m6, "aliases.app: expected a string, got integer");
}

/* ---- prefixes ---- */

static void test_no_entry_is_the_reference(void **state) {
        (void) state;
        CLEANUP(registries_conf_freep) struct registries_conf *conf = NULL;
        conf = parse_ok("[[registry]]\nlocation = \"other.io\"\ninsecure = true\n");
        assert_sources(conf, "quay.io/a/b:1", (const struct want_source[]){{"quay.io/a/b:1", false, false}}, 1);
        assert_sources(NULL, "busybox", (const struct want_source[]){{"docker.io/library/busybox:latest", 0, 0}}, 1);
}

static void test_prefix_rewritten_to_location(void **state) {
        (void) state;
        CLEANUP(registries_conf_freep) struct registries_conf *conf = NULL;
        conf = parse_ok("[[registry]]\n"
                        "prefix = \"example.com/foo\"\n"
                        "location = \"internal-registry-for-example.net/bar/\"\n");
        assert_sources(conf, "example.com/foo/myimage:latest",
                       (const struct want_source[]){{"internal-registry-for-example.net/bar/myimage:latest", 0, 0}}, 1);
        assert_sources(conf, "example.com/foo@" SHA256,
                       (const struct want_source[]){{"internal-registry-for-example.net/bar@" SHA256, 0, 0}}, 1);
}

static void test_location_only_is_prefix(void **state) {
        (void) state;
        CLEANUP(registries_conf_freep) struct registries_conf *conf = NULL;
        conf = parse_ok("[[registry]]\nlocation = \"localhost:5000\"\ninsecure = true\n");
        assert_sources(conf, "localhost:5000/app:1", (const struct want_source[]){{"localhost:5000/app:1", 1, 0}}, 1);
        assert_true(registries_is_insecure(conf, "localhost:5000"));
}

static void test_longest_prefix_wins(void **state) {
        (void) state;
        CLEANUP(registries_conf_freep) struct registries_conf *conf = NULL;
        conf = parse_ok("[[registry]]\nprefix = \"example.com\"\nlocation = \"one.io\"\n"
                        "[[registry]]\nprefix = \"example.com/foo/bar\"\nlocation = \"three.io/z\"\n"
                        "[[registry]]\nprefix = \"example.com/foo\"\nlocation = \"two.io/y\"\n");
        assert_sources(conf, "example.com/x", (const struct want_source[]){{"one.io/x:latest", 0, 0}}, 1);
        assert_sources(conf, "example.com/foo/x", (const struct want_source[]){{"two.io/y/x:latest", 0, 0}}, 1);
        assert_sources(conf, "example.com/foo/bar:2", (const struct want_source[]){{"three.io/z:2", 0, 0}}, 1);
        assert_sources(conf, "example.com/foo/bar/baz", (const struct want_source[]){{"three.io/z/baz:latest", 0, 0}},
                       1);
}

static void test_prefix_component_boundary(void **state) {
        (void) state;
        CLEANUP(registries_conf_freep) struct registries_conf *conf = NULL;
        conf = parse_ok("[[registry]]\nprefix = \"example.com/foo\"\nblocked = true\n"
                        "[[registry]]\nprefix = \"localhost\"\nblocked = true\n");
        assert_sources(conf, "example.com/foobar", (const struct want_source[]){{"example.com/foobar:latest", 0, 0}},
                       1);
        assert_sources(conf, "example.com/foo.bar/x",
                       (const struct want_source[]){{"example.com/foo.bar/x:latest", 0, 0}}, 1);
        /* a bare host does not match the same host with a port */
        assert_sources(conf, "localhost:5000/x", (const struct want_source[]){{"localhost:5000/x:latest", 0, 0}}, 1);
        static const char *const blocked[] = {"example.com/foo:1", "example.com/foo/bar", ("example.com/foo@" SHA256),
                                              "localhost/x"};
        for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++) {
                CLEANUP(cric_error_freep) struct cric_error *e = sources_fail(conf, blocked[i]);
                assert_int_equal(e->kind, CRIC_E_PERMISSION);
        }
}

static void test_prefix_with_tag(void **state) {
        (void) state;
        CLEANUP(registries_conf_freep) struct registries_conf *conf = NULL;
        conf = parse_ok("[[registry]]\nprefix = \"example.com/app:v1\"\nlocation = \"pinned.io/app:v1-fixed\"\n");
        assert_sources(conf, "example.com/app:v1", (const struct want_source[]){{"pinned.io/app:v1-fixed", 0, 0}}, 1);
        assert_sources(conf, "example.com/app:v1.2", (const struct want_source[]){{"example.com/app:v1.2", 0, 0}}, 1);
}

static void test_wildcard_prefix(void **state) {
        (void) state;
        CLEANUP(registries_conf_freep) struct registries_conf *conf = NULL;
        conf = parse_ok("[[registry]]\nprefix = \"*.example.com\"\ninsecure = true\n"
                        "[[registry.mirror]]\nlocation = \"mirror.local/cache\"\n");
        /* no location: the reference is used as it is, with the entry's settings */
        assert_sources(conf, "a.example.com/x:1",
                       (const struct want_source[]){{"mirror.local/cache/x:1", 0, 1}, {"a.example.com/x:1", 1, 0}}, 2);
        assert_sources(
                conf, "a.b.example.com:5000/x:1",
                (const struct want_source[]){{"mirror.local/cache/x:1", 0, 1}, {"a.b.example.com:5000/x:1", 1, 0}}, 2);
        /* only strict subdomains match */
        assert_sources(conf, "example.com/x:1", (const struct want_source[]){{"example.com/x:1", 0, 0}}, 1);
        assert_sources(conf, "badexample.com/x:1", (const struct want_source[]){{"badexample.com/x:1", 0, 0}}, 1);
        assert_true(registries_is_insecure(conf, "a.example.com"));
        assert_false(registries_is_insecure(conf, "example.com"));
}

static void test_wildcard_with_location_and_ties(void **state) {
        (void) state;
        CLEANUP(registries_conf_freep) struct registries_conf *conf = NULL;
        conf = parse_ok("[[registry]]\nprefix = \"*.example.com\"\nlocation = \"proxy.io/ex\"\n"
                        "[[registry]]\nprefix = \"exact.example.com\"\nlocation = \"exact.io\"\n"
                        "[[registry]]\nprefix = \"*.blocked.io\"\nblocked = true\n");
        assert_sources(conf, "a.example.com/x", (const struct want_source[]){{"proxy.io/ex/x:latest", 0, 0}}, 1);
        /* same match length: the exact prefix wins over the wildcard */
        assert_sources(conf, "exact.example.com/x", (const struct want_source[]){{"exact.io/x:latest", 0, 0}}, 1);
        CLEANUP(cric_error_freep) struct cric_error *e = sources_fail(conf, "r.blocked.io/x");
        assert_string_equal(e->msg, "registry *.blocked.io is blocked in test.conf");
}

/* ---- mirrors ---- */

static void test_mirrors_in_order(void **state) {
        (void) state;
        CLEANUP(registries_conf_freep) struct registries_conf *conf = NULL;
        conf = parse_ok("[[registry]]\n"
                        "prefix = \"example.com/foo\"\n"
                        "location = \"internal.example.net/bar\"\n"
                        "[[registry.mirror]]\n"
                        "location = \"example-mirror-0.local/mirror-for-foo\"\n"
                        "[[registry.mirror]]\n"
                        "location = \"example-mirror-1.local/mirrors/foo\"\n"
                        "insecure = true\n");
        assert_sources(conf, "example.com/foo/image:latest",
                       (const struct want_source[]){
                               {"example-mirror-0.local/mirror-for-foo/image:latest", false, true},
                               {"example-mirror-1.local/mirrors/foo/image:latest", true, true},
                               {"internal.example.net/bar/image:latest", false, false},
                       },
                       3);
        assert_true(registries_is_insecure(conf, "example-mirror-1.local"));
        assert_false(registries_is_insecure(conf, "example-mirror-0.local"));
        assert_false(registries_is_insecure(conf, "internal.example.net"));
}

static void test_mirror_by_digest_only(void **state) {
        (void) state;
        CLEANUP(registries_conf_freep) struct registries_conf *conf = NULL;
        conf = parse_ok("[[registry]]\nlocation = \"docker.io/library/busybox\"\nmirror-by-digest-only = true\n"
                        "[[registry.mirror]]\nlocation = \"mirror.io/busybox\"\n");
        assert_sources(conf, "busybox:1", (const struct want_source[]){{"docker.io/library/busybox:1", 0, 0}}, 1);
        assert_sources(conf, "busybox@" SHA256,
                       (const struct want_source[]){{"mirror.io/busybox@" SHA256, 0, 1},
                                                    {"docker.io/library/busybox@" SHA256, 0, 0}},
                       2);
        /* a tag and a digest: the digest decides */
        assert_sources(conf, "busybox:1@" SHA256,
                       (const struct want_source[]){{"mirror.io/busybox:1@" SHA256, 0, 1},
                                                    {"docker.io/library/busybox:1@" SHA256, 0, 0}},
                       2);
}

static void test_pull_from_mirror(void **state) {
        (void) state;
        CLEANUP(registries_conf_freep) struct registries_conf *conf = NULL;
        conf = parse_ok("[[registry]]\nlocation = \"quay.io/ns\"\n"
                        "[[registry.mirror]]\nlocation = \"digests.io/ns\"\npull-from-mirror = \"digest-only\"\n"
                        "[[registry.mirror]]\nlocation = \"tags.io/ns\"\npull-from-mirror = \"tag-only\"\n"
                        "[[registry.mirror]]\nlocation = \"all.io/ns\"\npull-from-mirror = \"all\"\n");
        assert_sources(conf, "quay.io/ns/app:1",
                       (const struct want_source[]){
                               {"tags.io/ns/app:1", 0, 1}, {"all.io/ns/app:1", 0, 1}, {"quay.io/ns/app:1", 0, 0}},
                       3);
        assert_sources(conf, "quay.io/ns/app@" SHA256,
                       (const struct want_source[]){{"digests.io/ns/app@" SHA256, 0, 1},
                                                    {"all.io/ns/app@" SHA256, 0, 1},
                                                    {"quay.io/ns/app@" SHA256, 0, 0}},
                       3);
}

static void test_mirror_errors(void **state) {
        (void) state;
        AUTOFREE char *m1 = parse_fail("[[registry]]\nlocation = \"q.io\"\nmirror-by-digest-only = true\n"
                                       "[[registry.mirror]]\nlocation = \"m.io\"\npull-from-mirror = \"tag-only\"\n");
        assert_contains(m1, "registry[0].mirror: pull-from-mirror cannot be combined with mirror-by-digest-only");
        AUTOFREE char *m2 = parse_fail("[[registry]]\nlocation = \"q.io\"\n"
                                       "[[registry.mirror]]\nlocation = \"m.io\"\npull-from-mirror = \"sometimes\"\n");
        assert_contains(m2, "test.conf:5:20: registry[0].mirror[0].pull-from-mirror: expected \"all\", "
                            "\"digest-only\" or \"tag-only\", got \"sometimes\"");
        AUTOFREE char *m3 = parse_fail("[[registry]]\nlocation = \"q.io\"\n[[registry.mirror]]\ninsecure = true\n");
        assert_contains(m3, "test.conf:3:1: registry[0].mirror[0]: a mirror needs a location");
        AUTOFREE char *m4 = parse_fail("[[registry]]\nlocation = \"q.io\"\n[[registry.mirror]]\n"
                                       "location = \"*.m.io\"\n");
        assert_contains(m4, "registry[0].mirror[0].location: \"*.m.io\": a wildcard is only allowed");
}

/* ---- blocked, insecure ---- */

static void test_blocked_registry(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "[[registry]]\nprefix = \"evil.io\"\nlocation = \"evil.io\"\nblocked = true\n");
        CLEANUP(registries_conf_freep) struct registries_conf *conf = load_ok(f);
        CLEANUP(cric_error_freep) struct cric_error *err = sources_fail(conf, "evil.io/x:1");
        assert_int_equal(err->kind, CRIC_E_PERMISSION);
        AUTOFREE char *want = xasprintf("registry evil.io is blocked in %s", f->file);
        assert_string_equal(err->msg, want);
}

static void test_is_insecure(void **state) {
        (void) state;
        CLEANUP(registries_conf_freep) struct registries_conf *conf = NULL;
        conf = parse_ok("[[registry]]\nprefix = \"plain.io\"\ninsecure = true\n"
                        "[[registry]]\nprefix = \"secure.io/ns\"\nlocation = \"rewritten.io:8080/ns\"\n"
                        "insecure = true\n");
        assert_true(registries_is_insecure(conf, "plain.io"));
        assert_true(registries_is_insecure(conf, "rewritten.io:8080"));
        assert_false(registries_is_insecure(conf, "plain.io:5000"));
        assert_false(registries_is_insecure(conf, "secure.io"));
        assert_false(registries_is_insecure(conf, "quay.io"));
        assert_false(registries_is_insecure(NULL, "quay.io"));
}

/* ---- files ---- */

static void test_missing_file_is_empty(void **state) {
        struct fixture *f = *state;
        CLEANUP(registries_conf_freep) struct registries_conf *conf = load_ok(f);
        assert_sources(conf, "quay.io/a", (const struct want_source[]){{"quay.io/a:latest", 0, 0}}, 1);
        AUTOFREE char *msg = expand_fail(conf, "busybox");
        assert_contains(msg, "no unqualified-search-registries");
        /* no drop-in dir either */
        assert_int_equal(rmdir(f->dropdir), 0);
        CLEANUP(registries_conf_freep) struct registries_conf *conf2 = load_ok(f);
        assert_non_null(conf2);
}

static void test_dropins_in_order(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "unqualified-search-registries = [\"main.io\"]\n"
                            "[[registry]]\nprefix = \"q.io\"\nlocation = \"main-loc.io\"\n"
                            "[[registry]]\nprefix = \"keep.io\"\ninsecure = true\n"
                            "[aliases]\none = \"main.io/one\"\ntwo = \"main.io/two\"\n");
        write_dropin(f, "20-b.conf",
                     "unqualified-search-registries = [\"b.io\", \"c.io\"]\n"
                     "[[registry]]\nprefix = \"q.io\"\nlocation = \"b-loc.io\"\n"
                     "[aliases]\ntwo = \"b.io/two\"\n");
        write_dropin(f, "10-a.conf",
                     "unqualified-search-registries = [\"a.io\"]\n"
                     "short-name-mode = \"disabled\"\n"
                     "[[registry]]\nprefix = \"q.io\"\nlocation = \"a-loc.io\"\n"
                     "[aliases]\nthree = \"a.io/three\"\n");
        write_dropin(f, "30-c.conf.disabled", "this is not toml\n");
        write_dropin(f, ".40-hidden.conf", "this is not toml either\n");
        CLEANUP(registries_conf_freep) struct registries_conf *conf = load_ok(f);
        assert_expands(conf, "x", (const char *const[]){"b.io/x:latest", "c.io/x:latest", NULL});
        assert_expands(conf, "one", (const char *const[]){"main.io/one:latest", NULL});
        assert_expands(conf, "two", (const char *const[]){"b.io/two:latest", NULL});
        assert_expands(conf, "three", (const char *const[]){"a.io/three:latest", NULL});
        assert_sources(conf, "q.io/app", (const struct want_source[]){{"b-loc.io/app:latest", 0, 0}}, 1);
        assert_sources(conf, "keep.io/app", (const struct want_source[]){{"keep.io/app:latest", 1, 0}}, 1);
}

static void test_dropin_overrides_mode_and_erases_alias(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "unqualified-search-registries = [\"a.io\", \"b.io\"]\n"
                            "[aliases]\napp = \"a.io/app\"\n");
        write_dropin(f, "50.conf", "short-name-mode = \"enforcing\"\n[aliases]\napp = \"\"\n");
        CLEANUP(registries_conf_freep) struct registries_conf *conf = load_ok(f);
        AUTOFREE char *msg = expand_fail(conf, "app");
        assert_contains(msg, "ambiguous");
}

static void test_dropins_without_main_file(void **state) {
        struct fixture *f = *state;
        write_dropin(f, "only.conf", "unqualified-search-registries = [\"only.io\"]\n");
        CLEANUP(registries_conf_freep) struct registries_conf *conf = load_ok(f);
        assert_expands(conf, "x", (const char *const[]){"only.io/x:latest", NULL});
}

static void test_dropin_error_names_file(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "unqualified-search-registries = [\"a.io\"]\n");
        write_dropin(f, "10-bad.conf", "\n[[registry]]\nprefix = \"q.io\"\ninsecure = \"yes\"\n");
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct registries_conf *conf = NULL;
        assert_int_equal(registries_conf_load(f->file, &conf, &err), -1);
        assert_null(conf);
        AUTOFREE char *want =
                xasprintf("%s/10-bad.conf:4:12: registry[0].insecure: expected a boolean, got string", f->dropdir);
        assert_string_equal(err->msg, want);
}

static void test_v1_format_refused(void **state) {
        (void) state;
        AUTOFREE char *msg = parse_fail("[registries.search]\nregistries = ['registry1.com']\n"
                                        "[registries.insecure]\nregistries = []\n");
        assert_contains(msg, "test.conf:1:");
        assert_contains(msg, "version 1 format, which is not supported");
}

static void test_errors_name_file_line_key(void **state) {
        (void) state;
        AUTOFREE char *msg = parse_fail("unqualified-search-registries = [\"ok.io\", 7, \"not a host\"]\n"
                                        "[[registry]]\n"
                                        "location = \"https://q.io\"\n"
                                        "[[registry]]\n"
                                        "insecure = true\n"
                                        "[[registry]]\n"
                                        "prefix = \"*.bad*.io\"\n"
                                        "[[registry]]\n"
                                        "prefix = \"q.io/Upper\"\n");
        /* every problem, one per line */
        assert_contains(msg, "test.conf:1:43: unqualified-search-registries[1]: expected a string, got integer\n");
        assert_contains(msg, "test.conf:1:46: unqualified-search-registries[2]: \"not a host\" is not a registry "
                             "host[:port]\n");
        assert_contains(msg, "test.conf:3:12: registry[0].location: \"https://q.io\" must not contain a scheme");
        assert_contains(msg, "test.conf:4:1: registry[1]: a [[registry]] needs a prefix or a location\n");
        assert_contains(msg, "test.conf:7:10: registry[2].prefix: \"*.bad*.io\" is not a wildcard");
        assert_contains(msg, "test.conf:9:10: registry[3].prefix: invalid reference \"q.io/Upper\": repository "
                             "name must be lowercase");
}

static void test_duplicate_prefix_in_one_file(void **state) {
        (void) state;
        AUTOFREE char *msg = parse_fail("[[registry]]\nlocation = \"q.io\"\n\n"
                                        "[[registry]]\nprefix = \"q.io/\"\nlocation = \"r.io\"\n");
        assert_string_equal(msg, "test.conf:4:1: registry[1]: prefix \"q.io\" is already used by the [[registry]] "
                                 "at line 1");
}

static void test_toml_syntax_error(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "unqualified-search-registries = [\n");
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct registries_conf *conf = NULL;
        assert_int_equal(registries_conf_load(f->file, &conf, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        AUTOFREE char *prefix = xasprintf("%s:", f->file);
        assert_int_equal(strncmp(err->msg, prefix, strlen(prefix)), 0);
}

static void test_unknown_keys_warn(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "credential-helpers = [\"containers-auth.json\"]\n"
                            "additional-layer-store-auth-helper = \"x\"\n"
                            "[[registry]]\nlocation = \"q.io\"\nfancy = 1\n");
        struct testlib_capture cap;
        testlib_capture_stderr(&cap);
        struct registries_conf *conf = NULL;
        struct cric_error *err = NULL;
        int r = registries_conf_load(f->file, &conf, &err);
        AUTOFREE char *text = testlib_capture_end(&cap);
        assert_int_equal(r, 0);
        registries_conf_free(conf);
        AUTOFREE char *w1 = xasprintf("%s:2:38: unknown key additional-layer-store-auth-helper", f->file);
        AUTOFREE char *w2 = xasprintf("%s:5:9: unknown key registry[0].fancy", f->file);
        assert_contains(text, w1);
        assert_contains(text, w2);
        assert_null(strstr(text, "credential-helpers"));
}

static void test_free_accepts_null(void **state) {
        (void) state;
        assert_null(registries_conf_free(NULL));
        struct registries_conf *conf = NULL;
        registries_conf_freep(&conf);
        pull_sources_free(NULL, 0);
}

/* insecure_registries: an exact host[:port], or a CIDR holding the host's address. */
static void test_insecure_registries_list(void **state) {
        (void) state;
        char *list[] = {"localhost:5000", "10.0.0.0/8", "fd00::/8", "192.168.1.7/32", "bad/cidr", "1.2.3.4/33", NULL};
        assert_true(registries_insecure_listed(list, "localhost:5000"));
        assert_false(registries_insecure_listed(list, "localhost:5001"));
        assert_false(registries_insecure_listed(list, "localhost"));
        assert_true(registries_insecure_listed(list, "10.1.2.3"));
        assert_true(registries_insecure_listed(list, "10.1.2.3:5000"));
        assert_false(registries_insecure_listed(list, "11.1.2.3:5000"));
        assert_true(registries_insecure_listed(list, "[fd12::1]:5000"));
        assert_false(registries_insecure_listed(list, "[fe80::1]:5000"));
        assert_true(registries_insecure_listed(list, "192.168.1.7:443"));
        assert_false(registries_insecure_listed(list, "192.168.1.8"));
        assert_false(registries_insecure_listed(list, "1.2.3.4"));
        assert_false(registries_insecure_listed(list, "10.example.com"));
        assert_false(registries_insecure_listed(NULL, "localhost:5000"));
        assert_false(registries_insecure_listed(list, ""));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_search_registries_in_order),
                cmocka_unit_test(test_short_name_keeps_tag_and_digest),
                cmocka_unit_test(test_qualified_name_is_itself),
                cmocka_unit_test(test_no_search_registries),
                cmocka_unit_test(test_enforcing_ambiguous),
                cmocka_unit_test(test_enforcing_single_registry),
                cmocka_unit_test(test_permissive_and_disabled_modes),
                cmocka_unit_test(test_short_name_mode_invalid),
                cmocka_unit_test(test_alias_applies_input_tag_and_digest),
                cmocka_unit_test(test_alias_with_tag_wins),
                cmocka_unit_test(test_alias_errors),
                cmocka_unit_test(test_no_entry_is_the_reference),
                cmocka_unit_test(test_prefix_rewritten_to_location),
                cmocka_unit_test(test_location_only_is_prefix),
                cmocka_unit_test(test_longest_prefix_wins),
                cmocka_unit_test(test_prefix_component_boundary),
                cmocka_unit_test(test_prefix_with_tag),
                cmocka_unit_test(test_wildcard_prefix),
                cmocka_unit_test(test_wildcard_with_location_and_ties),
                cmocka_unit_test(test_mirrors_in_order),
                cmocka_unit_test(test_mirror_by_digest_only),
                cmocka_unit_test(test_pull_from_mirror),
                cmocka_unit_test(test_mirror_errors),
                cmocka_unit_test_setup_teardown(test_blocked_registry, setup, teardown),
                cmocka_unit_test(test_is_insecure),
                cmocka_unit_test_setup_teardown(test_missing_file_is_empty, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dropins_in_order, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dropin_overrides_mode_and_erases_alias, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dropins_without_main_file, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dropin_error_names_file, setup, teardown),
                cmocka_unit_test(test_v1_format_refused),
                cmocka_unit_test(test_errors_name_file_line_key),
                cmocka_unit_test(test_duplicate_prefix_in_one_file),
                cmocka_unit_test_setup_teardown(test_toml_syntax_error, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unknown_keys_warn, setup, teardown),
                cmocka_unit_test(test_free_accepts_null),
                cmocka_unit_test(test_insecure_registries_list),
        };
        return cmocka_run_group_tests_name("image_registries", tests, NULL, NULL);
}
