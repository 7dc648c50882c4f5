/* Tests of image references (src/image/ref.c): grammar, normalization, errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "image/ref.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define HEX64  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX96  HEX64 "0123456789abcdef0123456789abcdef"
#define HEX128 HEX64 HEX64
#define SHA256 "sha256:" HEX64

/* ---- helpers ---- */

static struct image_ref *parse_ok(const char *s) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct image_ref *ref = NULL;
        if (image_ref_parse(s, &ref, &err) < 0)
                fail_msg("parse \"%s\" failed: %s", s, err->msg);
        assert_null(err);
        return ref;
}

static void assert_string(const char *input, const char *want) {
        CLEANUP(image_ref_freep) struct image_ref *ref = parse_ok(input);
        AUTOFREE char *got = image_ref_string(ref);
        if (strcmp(got, want) != 0)
                fail_msg("\"%s\": got \"%s\", want \"%s\"", input, got, want);
}

/* Parsing must fail with CRIC_E_INVALID, a message naming the input, and needle. */
static void assert_fails(const char *input, const char *needle) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct image_ref *ref = NULL;
        if (image_ref_parse(input, &ref, &err) == 0) {
                AUTOFREE char *s = image_ref_string(ref);
                image_ref_free(ref);
                fail_msg("\"%s\" parsed as \"%s\", expected an error", input, s);
        }
        assert_null(ref);
        assert_non_null(err);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        if (input && !strstr(err->msg, input))
                fail_msg("message does not name the input \"%s\": %s", input, err->msg);
        if (!strstr(err->msg, needle))
                fail_msg("\"%s\" not found in: %s", needle, err->msg);
}

static void assert_parts(const char *input, const char *domain, const char *path, const char *tag, const char *digest,
                         bool had_domain) {
        CLEANUP(image_ref_freep) struct image_ref *ref = parse_ok(input);
        assert_string_equal(ref->domain, domain);
        assert_string_equal(ref->path, path);
        if (tag)
                assert_string_equal(ref->tag, tag);
        else
                assert_null(ref->tag);
        if (digest)
                assert_string_equal(ref->digest, digest);
        else
                assert_null(ref->digest);
        assert_int_equal(ref->had_domain, had_domain);
}

static char *repeat(char c, size_t n) {
        char *s = xmalloc(n + 1);
        memset(s, c, n);
        s[n] = '\0';
        return s;
}

/* ---- normalization ---- */

static void test_short_name_defaults(void **state) {
        (void) state;
        assert_parts("busybox", "docker.io", "library/busybox", "latest", NULL, false);
}

static void test_short_name_with_namespace(void **state) {
        (void) state;
        assert_parts("user/app", "docker.io", "user/app", "latest", NULL, false);
}

static void test_docker_io_adds_library(void **state) {
        (void) state;
        assert_parts("docker.io/busybox", "docker.io", "library/busybox", "latest", NULL, true);
}

static void test_index_docker_io_normalizes(void **state) {
        (void) state;
        assert_parts("index.docker.io/busybox:1", "docker.io", "library/busybox", "1", NULL, true);
        assert_parts("index.docker.io/user/app", "docker.io", "user/app", "latest", NULL, true);
}

static void test_docker_io_library_kept(void **state) {
        (void) state;
        assert_parts("docker.io/library/busybox", "docker.io", "library/busybox", "latest", NULL, true);
}

static void test_normalization_table(void **state) {
        (void) state;
        static const char *const table[][2] = {
                {"busybox", "docker.io/library/busybox:latest"},
                {"busybox:1.36", "docker.io/library/busybox:1.36"},
                {"library/busybox", "docker.io/library/busybox:latest"},
                {"docker.io/busybox", "docker.io/library/busybox:latest"},
                {"index.docker.io/library/busybox", "docker.io/library/busybox:latest"},
                {"foo/bar/baz", "docker.io/foo/bar/baz:latest"},
                {"quay.io/busybox", "quay.io/busybox:latest"},
                {"quay.io/a/b/c:v1", "quay.io/a/b/c:v1"},
                {"localhost/app", "localhost/app:latest"},
                {"localhost:5000/app", "localhost:5000/app:latest"},
                {"a.b", "docker.io/library/a.b:latest"},
                {"quay.io", "docker.io/library/quay.io:latest"},
                {"localhost", "docker.io/library/localhost:latest"},
                {"localhost:5000", "docker.io/library/localhost:5000"},
                {"busybox@" SHA256, "docker.io/library/busybox@" SHA256},
                {"busybox:1@" SHA256, "docker.io/library/busybox:1@" SHA256},
        };
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
                assert_string(table[i][0], table[i][1]);
}

static void test_qualified_registry(void **state) {
        (void) state;
        assert_parts("quay.io/ns/sub/app:v2", "quay.io", "ns/sub/app", "v2", NULL, true);
}

static void test_deep_path(void **state) {
        (void) state;
        assert_parts("registry.example.com/a/b/c/d/e", "registry.example.com", "a/b/c/d/e", "latest", NULL, true);
}

/* ---- domains ---- */

static void test_localhost_is_domain(void **state) {
        (void) state;
        assert_parts("localhost/app", "localhost", "app", "latest", NULL, true);
}

static void test_localhost_with_port(void **state) {
        (void) state;
        assert_parts("localhost:5000/x:1", "localhost:5000", "x", "1", NULL, true);
}

static void test_ipv4_with_port(void **state) {
        (void) state;
        assert_parts("127.0.0.1:5000/x", "127.0.0.1:5000", "x", "latest", NULL, true);
        assert_parts("10.0.0.1/team/x", "10.0.0.1", "team/x", "latest", NULL, true);
}

static void test_ipv6_with_port(void **state) {
        (void) state;
        assert_parts("[::1]:5000/foo:2", "[::1]:5000", "foo", "2", NULL, true);
        assert_parts("[2001:db8::1]:443/ns/app", "[2001:db8::1]:443", "ns/app", "latest", NULL, true);
}

static void test_ipv6_without_port(void **state) {
        (void) state;
        assert_parts("[fe80::1]/foo", "[fe80::1]", "foo", "latest", NULL, true);
}

static void test_ipv6_invalid(void **state) {
        (void) state;
        assert_fails("[::g]/foo", "invalid domain");
        assert_fails("[::1/foo", "invalid domain");
        assert_fails("[::1]]/foo", "invalid domain");
        /* no '.' or ':': not a domain, so a (bad) path component */
        assert_fails("[]/foo", "invalid path component \"[]\"");
        assert_fails("[1:2:3]/foo", "invalid domain");
        assert_fails("[::1]x/foo", "invalid domain");
        assert_fails("[::1]:/foo", "invalid domain");
}

static void test_port_invalid(void **state) {
        (void) state;
        assert_fails("example.com:abc/foo", "invalid domain");
        assert_fails("example.com:/foo", "invalid domain");
        assert_fails("example.com:50:00/foo", "invalid domain");
}

static void test_domain_component_invalid(void **state) {
        (void) state;
        assert_fails("-bad.com/foo", "invalid domain");
        assert_fails("bad-.com/foo", "invalid domain");
        assert_fails("a..b/foo", "invalid domain");
        assert_fails(".com/foo", "invalid domain");
        assert_fails("exa_mple.com/foo", "invalid domain");
}

static void test_uppercase_domain_allowed(void **state) {
        (void) state;
        assert_parts("Example.COM/foo", "Example.COM", "foo", "latest", NULL, true);
        /* upper case makes a first component a domain (docker does the same) */
        assert_parts("Foo/bar", "Foo", "bar", "latest", NULL, true);
        assert_parts("my-registry.example.com:8443/x", "my-registry.example.com:8443", "x", "latest", NULL, true);
}

/* ---- paths ---- */

static void test_uppercase_path_rejected(void **state) {
        (void) state;
        assert_fails("BusyBox", "must be lowercase");
        assert_fails("quay.io/Foo/bar", "must be lowercase");
        assert_fails("user/App:1", "must be lowercase");
}

static void test_path_separators_valid(void **state) {
        (void) state;
        assert_parts("x/a.b_c__d-e---f", "docker.io", "x/a.b_c__d-e---f", "latest", NULL, false);
        assert_parts("quay.io/a.b/c_d/e__f/g-h/i--j", "quay.io", "a.b/c_d/e__f/g-h/i--j", "latest", NULL, true);
}

static void test_path_separators_invalid(void **state) {
        (void) state;
        assert_fails("a___b", "invalid path component \"a___b\"");
        assert_fails("a..b", "invalid path component");
        assert_fails("a_-b", "invalid path component");
        assert_fails("-a", "invalid path component");
        assert_fails("a-", "invalid path component");
        assert_fails("quay.io/a./b", "invalid path component \"a.\"");
        assert_fails("quay.io/a+b", "invalid path component");
}

static void test_path_empty_components(void **state) {
        (void) state;
        assert_fails("quay.io/", "repository path is empty");
        assert_fails("quay.io//x", "empty path component");
        assert_fails("a/", "empty path component");
        assert_fails("/a", "empty path component");
        assert_fails(":tag", "repository name is empty");
        assert_fails("@" SHA256, "repository name is empty");
}

static void test_whitespace_rejected(void **state) {
        (void) state;
        assert_fails(" busybox", "invalid path component");
        assert_fails("busybox ", "invalid path component");
        assert_fails("busy box", "invalid path component");
        assert_fails("busybox:1 ", "invalid tag");
}

/* ---- tags ---- */

static void test_tag_valid(void **state) {
        (void) state;
        assert_parts("busybox:1.36.1-musl", "docker.io", "library/busybox", "1.36.1-musl", NULL, false);
        assert_parts("busybox:_x", "docker.io", "library/busybox", "_x", NULL, false);
        assert_parts("busybox:UPPER_case", "docker.io", "library/busybox", "UPPER_case", NULL, false);
}

static void test_tag_invalid(void **state) {
        (void) state;
        assert_fails("busybox:", "invalid tag \"\"");
        assert_fails("busybox:.x", "invalid tag");
        assert_fails("busybox:-x", "invalid tag");
        assert_fails("busybox:a+b", "invalid tag");
        assert_fails("busybox:1:2", "invalid tag \"1:2\"");
        assert_fails("quay.io/x:a/b", "invalid path component");
}

static void test_tag_length_limit(void **state) {
        (void) state;
        AUTOFREE char *t128 = repeat('t', 128);
        AUTOFREE char *t129 = repeat('t', 129);
        AUTOFREE char *ok = xasprintf("busybox:%s", t128);
        AUTOFREE char *bad = xasprintf("busybox:%s", t129);
        CLEANUP(image_ref_freep) struct image_ref *ref = parse_ok(ok);
        assert_string_equal(ref->tag, t128);
        assert_fails(bad, "at most 128 characters");
}

/* ---- digests ---- */

static void test_digest_only_has_no_tag(void **state) {
        (void) state;
        assert_parts("quay.io/a/b@" SHA256, "quay.io", "a/b", NULL, SHA256, true);
}

static void test_tag_and_digest_kept(void **state) {
        (void) state;
        assert_parts("quay.io/a/b:v1@" SHA256, "quay.io", "a/b", "v1", SHA256, true);
        assert_string("quay.io/a/b:v1@" SHA256, "quay.io/a/b:v1@" SHA256);
}

static void test_digest_other_algorithms(void **state) {
        (void) state;
        assert_parts("x.io/y@sha512:" HEX128, "x.io", "y", NULL, "sha512:" HEX128, true);
        assert_parts("x.io/y@sha384:" HEX96, "x.io", "y", NULL, "sha384:" HEX96, true);
}

static void test_digest_invalid(void **state) {
        (void) state;
        assert_fails("busybox@sha256:abc", "sha256 needs 64 hex characters");
        assert_fails("busybox@sha256:" HEX64 "0", "sha256 needs 64 hex characters");
        assert_fails("busybox@sha512:" HEX64, "sha512 needs 128 hex characters");
        assert_fails("busybox@sha256:"
                     "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
                     "lowercase hex");
        assert_fails("busybox@md5:0123456789abcdef0123456789abcdef", "unsupported digest algorithm");
        assert_fails("busybox@" HEX64, "expected <algorithm>:<hex>");
        assert_fails("busybox@", "invalid digest \"\"");
        assert_fails("busybox@:" HEX64, "expected <algorithm>:<hex>");
        assert_fails("busybox@" SHA256 "@" SHA256, "invalid digest");
}

static void test_digest_is_valid(void **state) {
        (void) state;
        assert_true(digest_is_valid(SHA256));
        assert_true(digest_is_valid("sha384:" HEX96));
        assert_true(digest_is_valid("sha512:" HEX128));
        assert_false(digest_is_valid(NULL));
        assert_false(digest_is_valid(""));
        assert_false(digest_is_valid(HEX64));
        assert_false(digest_is_valid("sha256:"));
        assert_false(digest_is_valid("sha256:" HEX128));
        assert_false(digest_is_valid("SHA256:" HEX64));
        assert_false(digest_is_valid("sha256:"
                                     "g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
        assert_false(digest_is_valid("sha1:0123456789abcdef0123456789abcdef01234567"));
}

static void test_image_id_is_valid(void **state) {
        (void) state;
        assert_true(image_id_is_valid(HEX64));
        assert_false(image_id_is_valid(NULL));
        assert_false(image_id_is_valid(""));
        assert_false(image_id_is_valid(SHA256));
        assert_false(image_id_is_valid(HEX64 "0"));
        assert_false(image_id_is_valid("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
        assert_false(image_id_is_valid("0123456789abcdef"));
}

static void test_image_id_not_a_reference(void **state) {
        (void) state;
        assert_fails(HEX64, "image ID");
        /* with a tag or a registry it is an ordinary (if odd) name */
        assert_parts(HEX64 ":1", "docker.io", "library/" HEX64, "1", NULL, false);
        assert_parts("quay.io/" HEX64, "quay.io", HEX64, "latest", NULL, true);
}

/* ---- limits and bad input ---- */

static void test_name_length_limit(void **state) {
        (void) state;
        /* "quay.io/" is 8 characters: 247 more make 255 */
        AUTOFREE char *p247 = repeat('a', 247);
        AUTOFREE char *p248 = repeat('a', 248);
        AUTOFREE char *ok = xasprintf("quay.io/%s:v1", p247);
        AUTOFREE char *bad = xasprintf("quay.io/%s", p248);
        CLEANUP(image_ref_freep) struct image_ref *ref = parse_ok(ok);
        assert_int_equal(strlen(ref->domain) + 1 + strlen(ref->path), 255);
        assert_fails(bad, "longer than 255 characters");
}

static void test_name_length_counts_normalized(void **state) {
        (void) state;
        /* 240 characters typed, but docker.io/library/ makes it 258 */
        AUTOFREE char *p240 = repeat('b', 240);
        assert_fails(p240, "longer than 255 characters");
}

static void test_empty_and_null(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct image_ref *ref = NULL;
        assert_int_equal(image_ref_parse("", &ref, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_non_null(strstr(err->msg, "empty"));
        cric_error_freep(&err);
        assert_int_equal(image_ref_parse(NULL, &ref, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_null(ref);
        /* err may be NULL: the error is dropped */
        assert_int_equal(image_ref_parse("UPPER", &ref, NULL), -1);
}

static void test_error_message_format(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct image_ref *ref = NULL;
        assert_int_equal(image_ref_parse("quay.io/App", &ref, &err), -1);
        assert_string_equal(err->msg, "invalid reference \"quay.io/App\": repository name must be lowercase");
}

/* ---- formatting ---- */

static void test_round_trips(void **state) {
        (void) state;
        static const char *const inputs[] = {
                "busybox",
                "docker.io/library/busybox:1",
                "index.docker.io/x/y",
                "quay.io/a/b:v1@" SHA256,
                "quay.io/a/b@" SHA256,
                "[::1]:5000/foo",
                "localhost:5000/a__b/c-d:tag_1.2-x",
                "Foo/bar",
                "x.io/y@sha512:" HEX128,
        };
        for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
                CLEANUP(image_ref_freep) struct image_ref *a = parse_ok(inputs[i]);
                AUTOFREE char *s = image_ref_string(a);
                CLEANUP(image_ref_freep) struct image_ref *b = parse_ok(s);
                AUTOFREE char *s2 = image_ref_string(b);
                assert_string_equal(s, s2);
                assert_string_equal(a->domain, b->domain);
                assert_string_equal(a->path, b->path);
                assert_true(b->had_domain);
        }
}

static void test_name_tagged_with_digest(void **state) {
        (void) state;
        CLEANUP(image_ref_freep) struct image_ref *ref = parse_ok("quay.io/a/b:v1@" SHA256);
        AUTOFREE char *name = image_ref_name(ref);
        AUTOFREE char *tagged = image_ref_tagged(ref);
        AUTOFREE char *dig = image_ref_with_digest(ref, "sha256:" HEX64);
        assert_string_equal(name, "quay.io/a/b");
        assert_string_equal(tagged, "quay.io/a/b:v1");
        assert_string_equal(dig, "quay.io/a/b@" SHA256);
}

static void test_tagged_null_for_digest_only(void **state) {
        (void) state;
        CLEANUP(image_ref_freep) struct image_ref *ref = parse_ok("busybox@" SHA256);
        assert_null(image_ref_tagged(ref));
        AUTOFREE char *s = image_ref_string(ref);
        assert_string_equal(s, "docker.io/library/busybox@" SHA256);
}

static void test_copy_is_deep(void **state) {
        (void) state;
        CLEANUP(image_ref_freep) struct image_ref *ref = parse_ok("quay.io/a/b:v1@" SHA256);
        CLEANUP(image_ref_freep) struct image_ref *c = image_ref_copy(ref);
        assert_ptr_not_equal(c->domain, ref->domain);
        assert_ptr_not_equal(c->path, ref->path);
        assert_string_equal(c->tag, "v1");
        assert_string_equal(c->digest, SHA256);
        assert_true(c->had_domain);
        ref = image_ref_free(ref);
        AUTOFREE char *s = image_ref_string(c);
        assert_string_equal(s, "quay.io/a/b:v1@" SHA256);
        assert_null(image_ref_copy(NULL));
}

static void test_free_accepts_null(void **state) {
        (void) state;
        assert_null(image_ref_free(NULL));
        struct image_ref *ref = NULL;
        image_ref_freep(&ref);
        image_ref_freep(NULL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_short_name_defaults),
                cmocka_unit_test(test_short_name_with_namespace),
                cmocka_unit_test(test_docker_io_adds_library),
                cmocka_unit_test(test_index_docker_io_normalizes),
                cmocka_unit_test(test_docker_io_library_kept),
                cmocka_unit_test(test_normalization_table),
                cmocka_unit_test(test_qualified_registry),
                cmocka_unit_test(test_deep_path),
                cmocka_unit_test(test_localhost_is_domain),
                cmocka_unit_test(test_localhost_with_port),
                cmocka_unit_test(test_ipv4_with_port),
                cmocka_unit_test(test_ipv6_with_port),
                cmocka_unit_test(test_ipv6_without_port),
                cmocka_unit_test(test_ipv6_invalid),
                cmocka_unit_test(test_port_invalid),
                cmocka_unit_test(test_domain_component_invalid),
                cmocka_unit_test(test_uppercase_domain_allowed),
                cmocka_unit_test(test_uppercase_path_rejected),
                cmocka_unit_test(test_path_separators_valid),
                cmocka_unit_test(test_path_separators_invalid),
                cmocka_unit_test(test_path_empty_components),
                cmocka_unit_test(test_whitespace_rejected),
                cmocka_unit_test(test_tag_valid),
                cmocka_unit_test(test_tag_invalid),
                cmocka_unit_test(test_tag_length_limit),
                cmocka_unit_test(test_digest_only_has_no_tag),
                cmocka_unit_test(test_tag_and_digest_kept),
                cmocka_unit_test(test_digest_other_algorithms),
                cmocka_unit_test(test_digest_invalid),
                cmocka_unit_test(test_digest_is_valid),
                cmocka_unit_test(test_image_id_is_valid),
                cmocka_unit_test(test_image_id_not_a_reference),
                cmocka_unit_test(test_name_length_limit),
                cmocka_unit_test(test_name_length_counts_normalized),
                cmocka_unit_test(test_empty_and_null),
                cmocka_unit_test(test_error_message_format),
                cmocka_unit_test(test_round_trips),
                cmocka_unit_test(test_name_tagged_with_digest),
                cmocka_unit_test(test_tagged_null_for_digest_only),
                cmocka_unit_test(test_copy_is_deep),
                cmocka_unit_test(test_free_accepts_null),
        };
        return cmocka_run_group_tests_name("image_ref", tests, NULL, NULL);
}
