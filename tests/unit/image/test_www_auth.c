/* Unit tests for the registry client's parsers: WWW-Authenticate challenges,
 * auth.json lookups, base64 "auth" values, token replies and registry error bodies. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/registry_internal.h"
#include "util/base64.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/xalloc.h"

/* ---- WWW-Authenticate ---- */

struct parsed {
        struct www_auth_challenge *chs;
        size_t n;
};

static void parsed_clear(struct parsed *p) {
        if (p->chs)
                www_auth_challenges_free(p->chs, p->n);
        p->chs = NULL;
}

static void parse_ok(const char *header, struct parsed *p) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        int r = www_auth_parse(header, &p->chs, &p->n, &err);
        if (r < 0)
                fail_msg("parsing [%s] failed: %s", header, err->msg);
        assert_null(err);
}

static void parse_fails(const char *header, const char *why) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct www_auth_challenge *chs = NULL;
        size_t n = 0;
        if (www_auth_parse(header, &chs, &n, &err) == 0) {
                www_auth_challenges_free(chs, n);
                fail_msg("[%s] parsed but should not", header);
        }
        assert_non_null(err);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        if (why && !strstr(err->msg, why))
                fail_msg("[%s]: message \"%s\" lacks \"%s\"", header, err->msg, why);
}

static void test_bearer_docker_hub(void **state) {
        (void) state;
        CLEANUP(parsed_clear) struct parsed p = {0};
        parse_ok("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                 "scope=\"repository:library/busybox:pull\"",
                 &p);
        assert_int_equal(p.n, 1);
        assert_string_equal(p.chs[0].scheme, "Bearer");
        assert_null(p.chs[0].token68);
        assert_int_equal(p.chs[0].n_params, 3);
        assert_string_equal(www_auth_param(&p.chs[0], "realm"), "https://auth.docker.io/token");
        assert_string_equal(www_auth_param(&p.chs[0], "service"), "registry.docker.io");
        assert_string_equal(www_auth_param(&p.chs[0], "scope"), "repository:library/busybox:pull");
        assert_null(www_auth_param(&p.chs[0], "error"));
}

static void test_basic(void **state) {
        (void) state;
        CLEANUP(parsed_clear) struct parsed p = {0};
        parse_ok("Basic realm=\"basic-realm\"", &p);
        assert_int_equal(p.n, 1);
        assert_string_equal(p.chs[0].scheme, "Basic");
        assert_string_equal(www_auth_param(&p.chs[0], "realm"), "basic-realm");
}

static void test_case_insensitive(void **state) {
        (void) state;
        CLEANUP(parsed_clear) struct parsed p = {0};
        parse_ok("bEaReR Realm=\"r\", SERVICE=s", &p);
        const struct www_auth_challenge *b = www_auth_find(p.chs, p.n, "Bearer");
        assert_non_null(b);
        assert_string_equal(www_auth_param(b, "realm"), "r");
        assert_string_equal(www_auth_param(b, "service"), "s");
        assert_null(www_auth_find(p.chs, p.n, "Basic"));
}

static void test_several_challenges(void **state) {
        (void) state;
        CLEANUP(parsed_clear) struct parsed p = {0};
        parse_ok("Basic realm=\"x\", Bearer realm=\"y\",service=\"z\", Negotiate", &p);
        assert_int_equal(p.n, 3);
        assert_string_equal(p.chs[0].scheme, "Basic");
        assert_int_equal(p.chs[0].n_params, 1);
        assert_string_equal(p.chs[1].scheme, "Bearer");
        assert_int_equal(p.chs[1].n_params, 2);
        assert_string_equal(www_auth_param(&p.chs[1], "service"), "z");
        assert_string_equal(p.chs[2].scheme, "Negotiate");
        assert_int_equal(p.chs[2].n_params, 0);
        assert_ptr_equal(www_auth_find(p.chs, p.n, "bearer"), &p.chs[1]);
}

static void test_quoted_escapes_and_commas(void **state) {
        (void) state;
        CLEANUP(parsed_clear) struct parsed p = {0};
        parse_ok("Bearer realm=\"a\\\"b\\\\c\\d\",scope=\"repository:a/b:pull,push\"", &p);
        assert_int_equal(p.n, 1);
        assert_string_equal(www_auth_param(&p.chs[0], "realm"), "a\"b\\cd");
        assert_string_equal(www_auth_param(&p.chs[0], "scope"), "repository:a/b:pull,push");
}

static void test_whitespace_and_tokens(void **state) {
        (void) state;
        CLEANUP(parsed_clear) struct parsed p = {0};
        parse_ok("  Bearer\trealm = \"x\" ,\tservice= registry.example.com  , scope =\"\"", &p);
        assert_int_equal(p.n, 1);
        assert_string_equal(www_auth_param(&p.chs[0], "realm"), "x");
        assert_string_equal(www_auth_param(&p.chs[0], "service"), "registry.example.com");
        assert_string_equal(www_auth_param(&p.chs[0], "scope"), "");
}

static void test_empty_list_elements(void **state) {
        (void) state;
        CLEANUP(parsed_clear) struct parsed p = {0};
        parse_ok(", ,Bearer realm=\"x\",,  ,service=\"y\",", &p);
        assert_int_equal(p.n, 1);
        assert_int_equal(p.chs[0].n_params, 2);
}

static void test_token68(void **state) {
        (void) state;
        CLEANUP(parsed_clear) struct parsed p = {0};
        parse_ok("Negotiate YWJj+/9-._~==, Basic realm=\"r\"", &p);
        assert_int_equal(p.n, 2);
        assert_string_equal(p.chs[0].token68, "YWJj+/9-._~==");
        assert_int_equal(p.chs[0].n_params, 0);
        assert_string_equal(www_auth_param(&p.chs[1], "realm"), "r");
}

static void test_scheme_only(void **state) {
        (void) state;
        CLEANUP(parsed_clear) struct parsed p = {0};
        parse_ok("Negotiate, NTLM", &p);
        assert_int_equal(p.n, 2);
        assert_string_equal(p.chs[1].scheme, "NTLM");
        assert_null(p.chs[1].token68);
}

static void test_bare_token_starts_a_challenge(void **state) {
        (void) state;
        CLEANUP(parsed_clear) struct parsed p = {0};
        parse_ok("Bearer realm=\"a\", Basic", &p);
        assert_int_equal(p.n, 2);
        assert_string_equal(p.chs[1].scheme, "Basic");
}

static void test_malformed(void **state) {
        (void) state;
        parse_fails("", "empty");
        parse_fails(" , ,\t", "empty");
        parse_fails("Bearer realm=\"abc", "unterminated");
        parse_fails("Bearer realm=\"abc\\", "unterminated");
        parse_fails("Bearer realm=\"x\" service=\"y\"", "expected ','");
        parse_fails("Bearer realm=\"a\",realm=\"b\"", "duplicate");
        parse_fails("Bearer realm=\"a\",REALM=\"b\"", "duplicate");
        parse_fails("Bearer realm=\"a\x01"
                    "b\"",
                    "control character");
        parse_fails("Bearer realm=\"a\x7f\"", "control character");
        parse_fails("=foo", "auth scheme");
        parse_fails("\"Bearer\" realm=x", "auth scheme");
        parse_fails("Bearer realm=, service=\"x\"", NULL);
        parse_fails("Bearer realm=\"x\", service=", NULL);
        parse_fails("Bearer realm=\"x\", service=\"y\" junk", "expected ','");
        parse_fails("Bearer; realm=x", "after the auth scheme");
        parse_fails("Bearer realm=\"x\", =\"y\"", "parameter name");
        parse_fails("Bearer realm=x=y", "expected ','");
        parse_fails("Bearer realm=@", NULL);
}

static void test_limits(void **state) {
        (void) state;
        char buf[4096] = "";
        for (int i = 0; i < 17; i++)
                strcat(buf, "A, ");
        parse_fails(buf, "too many challenges");
        strcpy(buf, "Bearer ");
        for (int i = 0; i < 33; i++)
                snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "p%d=v,", i);
        parse_fails(buf, "too many parameters");
}

/* ---- base64 and "auth" values ---- */

static void test_base64(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOFREE char *out = NULL;
        size_t len;
        assert_int_equal(base64_decode("dXNlcjpwYXNz", 12, &out, &len, &err), 0);
        assert_int_equal(len, 9);
        assert_string_equal(out, "user:pass");
        free(out);
        assert_int_equal(base64_decode("dXNlcjpwYXNzMQ", 14, &out, &len, &err), 0);
        assert_string_equal(out, "user:pass1");
        free(out);
        assert_int_equal(base64_decode("dXNlcjpwYXNzMQ==", 16, &out, &len, &err), 0);
        assert_string_equal(out, "user:pass1");
        free(out);
        out = NULL;
        assert_int_equal(base64_decode("", 0, &out, &len, &err), 0);
        assert_int_equal(len, 0);
        free(out);
        out = NULL;
        assert_int_equal(base64_decode("dXNl cjpw", 9, &out, &len, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_null(out);
        err = cric_error_free(err);
        assert_int_equal(base64_decode("abcde", 5, &out, &len, &err), -1);
        err = cric_error_free(err);
        assert_int_equal(base64_decode("ab=c", 4, &out, &len, &err), -1);
        err = cric_error_free(err);
        assert_int_equal(base64_decode("abc==", 5, &out, &len, &err), -1);
}

static void test_auth_decode(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOFREE char *user = NULL;
        AUTOFREE char *pass = NULL;
        /* "user:pa:ss" */
        assert_int_equal(registry_auth_decode("dXNlcjpwYTpzcw==", &user, &pass, &err), 0);
        assert_string_equal(user, "user");
        assert_string_equal(pass, "pa:ss");
        /* "nocolon" */
        assert_int_equal(registry_auth_decode("bm9jb2xvbg==", &user, &pass, &err), -1);
        assert_null(strstr(err->msg, "nocolon"));
        err = cric_error_free(err);
        /* ":pass" has no user */
        assert_int_equal(registry_auth_decode("OnBhc3M=", &user, &pass, &err), -1);
        err = cric_error_free(err);
        assert_int_equal(registry_auth_decode("!!!!", &user, &pass, &err), -1);
        assert_non_null(strstr(err->msg, "auth field"));
}

static void test_creds_from_auth(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        CLEANUP(registry_creds_clear) struct registry_creds c = {0};
        struct registry_auth a = {.auth = "dXNlcjpwYXNz"};
        assert_int_equal(registry_creds_from_auth(&a, &c, &err), 0);
        assert_string_equal(c.username, "user");
        assert_string_equal(c.password, "pass");
        registry_creds_clear(&c);
        struct registry_auth b = {.username = "u", .password = "p", .auth = "dXNlcjpwYXNz", .identity_token = ""};
        assert_int_equal(registry_creds_from_auth(&b, &c, &err), 0);
        assert_string_equal(c.username, "u");
        assert_null(c.identity_token);
        registry_creds_clear(&c);
        struct registry_auth d = {.auth = "%%%"};
        assert_int_equal(registry_creds_from_auth(&d, &c, &err), -1);
        assert_true(registry_creds_empty(&c));
}

/* ---- auth.json ---- */

static int lookup(const char *json, const char *domain, struct registry_creds *c) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        int r = registry_auth_json_lookup(json, strlen(json), domain, c, &err);
        assert_true(r >= 0 || err);
        return r;
}

static void test_auth_json_exact(void **state) {
        (void) state;
        CLEANUP(registry_creds_clear) struct registry_creds c = {0};
        const char *json = "{\"auths\": {\"https://127.0.0.1:5000\": {\"auth\": \"YTpi\"},"
                           "\"127.0.0.1:5000\": {\"auth\": \"dXNlcjpwYXNz\"}}}";
        assert_int_equal(lookup(json, "127.0.0.1:5000", &c), 1);
        assert_string_equal(c.username, "user");
        assert_string_equal(c.password, "pass");
}

static void test_auth_json_variants(void **state) {
        (void) state;
        CLEANUP(registry_creds_clear) struct registry_creds c = {0};
        assert_int_equal(lookup("{\"auths\": {\"https://quay.io\": {\"auth\": \"YTpi\"}}}", "quay.io", &c), 1);
        assert_string_equal(c.username, "a");
        registry_creds_clear(&c);
        assert_int_equal(
                lookup("{\"auths\": {\"http://r.example:5000/v2/\": {\"auth\": \"YTpi\"}}}", "r.example:5000", &c), 1);
        registry_creds_clear(&c);
        assert_int_equal(
                lookup("{\"auths\": {\"https://index.docker.io/v1/\": {\"auth\": \"YTpi\"}}}", "docker.io", &c), 1);
        assert_string_equal(c.password, "b");
        registry_creds_clear(&c);
        assert_int_equal(lookup("{\"auths\": {\"registry-1.docker.io\": {\"auth\": \"YTpi\"}}}", "docker.io", &c), 1);
        registry_creds_clear(&c);
        /* a namespaced key is not registry-wide, and other hosts do not match */
        assert_int_equal(lookup("{\"auths\": {\"quay.io/org\": {\"auth\": \"YTpi\"}}}", "quay.io", &c), 0);
        assert_int_equal(lookup("{\"auths\": {\"quay.io.evil\": {\"auth\": \"YTpi\"}}}", "quay.io", &c), 0);
        assert_int_equal(lookup("{\"auths\": {\"https://quay.io/v3/\": {\"auth\": \"YTpi\"}}}", "quay.io", &c), 0);
        assert_true(registry_creds_empty(&c));
}

static void test_auth_json_entries(void **state) {
        (void) state;
        CLEANUP(registry_creds_clear) struct registry_creds c = {0};
        assert_int_equal(lookup("{\"auths\": {\"h\": {\"identitytoken\": \"refresh\"}}}", "h", &c), 1);
        assert_string_equal(c.identity_token, "refresh");
        assert_null(c.username);
        registry_creds_clear(&c);
        /* a credential helper's empty entry: nothing usable */
        assert_int_equal(lookup("{\"auths\": {\"h\": {}}}", "h", &c), 0);
        assert_int_equal(lookup("{\"auths\": {}}", "h", &c), 0);
        assert_int_equal(lookup("{\"credsStore\": \"pass\"}", "h", &c), 0);
}

static void test_auth_json_malformed(void **state) {
        (void) state;
        CLEANUP(registry_creds_clear) struct registry_creds c = {0};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        const char *bad[] = {"{", "[]", "{\"auths\": []}", "{\"auths\": {\"h\": 1}}", "{} trailing"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(registry_auth_json_lookup(bad[i], strlen(bad[i]), "h", &c, &err), -1);
                assert_int_equal(err->kind, CRIC_E_INVALID);
                err = cric_error_free(err);
        }
        /* base64 of "user:secret-pw" is broken by the '*': the message must not quote it */
        const char *json = "{\"auths\": {\"h\": {\"auth\": \"dXNlcjpzZWNyZXQtcHc*\"}}}";
        assert_int_equal(registry_auth_json_lookup(json, strlen(json), "h", &c, &err), -1);
        assert_null(strstr(err->msg, "dXNlcjpzZWNyZXQtcHc"));
        assert_non_null(strstr(err->msg, "entry \"h\""));
}

static void test_auth_file(void **state) {
        (void) state;
        CLEANUP(registry_creds_clear) struct registry_creds c = {0};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(registry_auth_file_lookup("/nonexistent/auth.json", "h", &c, &err), 0);
        assert_null(err);
        char path[] = "/tmp/cric-auth-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        const char *json = "{\"auths\": {\"h:1\": {\"auth\": \"dXNlcjpwYXNz\"}}}";
        assert_int_equal(write(fd, json, strlen(json)), (ssize_t) strlen(json));
        close(fd);
        assert_int_equal(registry_auth_file_lookup(path, "h:1", &c, &err), 1);
        assert_string_equal(c.password, "pass");
        fd = open(path, O_WRONLY | O_TRUNC);
        assert_int_equal(write(fd, "{", 1), 1);
        close(fd);
        assert_int_equal(registry_auth_file_lookup(path, "h:1", &c, &err), -1);
        assert_non_null(strstr(err->msg, path));
        unlink(path);
}

/* ---- token replies and error bodies ---- */

static int token_parse(const char *json, char **token, long *expires) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        int r = registry_token_reply_parse(json, strlen(json), token, expires, &err);
        if (r < 0)
                assert_int_equal(err->kind, CRIC_E_INVALID);
        return r;
}

static void test_token_reply(void **state) {
        (void) state;
        AUTOFREE char *t = NULL;
        long e = 0;
        assert_int_equal(token_parse("{\"token\": \"abc\", \"expires_in\": 300}", &t, &e), 0);
        assert_string_equal(t, "abc");
        assert_int_equal(e, 300);
        free(t);
        assert_int_equal(token_parse("{\"access_token\": \"xyz\", \"scope\": \"s\"}", &t, &e), 0);
        assert_string_equal(t, "xyz");
        assert_int_equal(e, 60);
        free(t);
        assert_int_equal(token_parse("{\"access_token\": \"a\", \"token\": \"t\"}", &t, &e), 0);
        assert_string_equal(t, "t");
        free(t);
        assert_int_equal(token_parse("{\"token\": \"\", \"access_token\": \"a\", \"expires_in\": 0}", &t, &e), 0);
        assert_string_equal(t, "a");
        assert_int_equal(e, 60);
        free(t);
        assert_int_equal(token_parse("{\"token\": \"t\", \"expires_in\": -5}", &t, &e), 0);
        assert_int_equal(e, 60);
        free(t);
        assert_int_equal(token_parse("{\"token\": \"t\", \"expires_in\": \"300\"}", &t, &e), 0);
        assert_int_equal(e, 60);
        free(t);
        t = NULL;
}

static void test_token_reply_malformed(void **state) {
        (void) state;
        char *t = NULL;
        long e = 0;
        const char *bad[] = {"",
                             "{",
                             "[]",
                             "\"token\"",
                             "{\"token\": 5}",
                             "{}",
                             "{\"token\": \"\"}",
                             "{\"token\": \"a b\"}",
                             "{\"token\": \"a\\nb\"}",
                             "{\"token\": \"a\"} {}"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (token_parse(bad[i], &t, &e) == 0)
                        fail_msg("token reply [%s] parsed", bad[i]);
        assert_null(t);
}

static void test_error_message(void **state) {
        (void) state;
        const char *one = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}";
        AUTOFREE char *m = registry_error_message(one, strlen(one));
        assert_string_equal(m, "manifest unknown");
        const char *two = "{\"errors\":[{\"code\":\"DENIED\"},{\"message\":\"line\\nbreak\"},5]}";
        AUTOFREE char *m2 = registry_error_message(two, strlen(two));
        assert_string_equal(m2, "DENIED; line break");
        assert_null(registry_error_message("<html>", 6));
        assert_null(registry_error_message("{\"errors\": {}}", 14));
        assert_null(registry_error_message("{\"errors\": []}", 14));
}

static void test_url_escape(void **state) {
        (void) state;
        AUTOFREE char *e = registry_url_escape("repository:a/b:pull,push &x=y~");
        assert_string_equal(e, "repository%3Aa%2Fb%3Apull%2Cpush%20%26x%3Dy~");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bearer_docker_hub),
                cmocka_unit_test(test_basic),
                cmocka_unit_test(test_case_insensitive),
                cmocka_unit_test(test_several_challenges),
                cmocka_unit_test(test_quoted_escapes_and_commas),
                cmocka_unit_test(test_whitespace_and_tokens),
                cmocka_unit_test(test_empty_list_elements),
                cmocka_unit_test(test_token68),
                cmocka_unit_test(test_scheme_only),
                cmocka_unit_test(test_bare_token_starts_a_challenge),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_base64),
                cmocka_unit_test(test_auth_decode),
                cmocka_unit_test(test_creds_from_auth),
                cmocka_unit_test(test_auth_json_exact),
                cmocka_unit_test(test_auth_json_variants),
                cmocka_unit_test(test_auth_json_entries),
                cmocka_unit_test(test_auth_json_malformed),
                cmocka_unit_test(test_auth_file),
                cmocka_unit_test(test_token_reply),
                cmocka_unit_test(test_token_reply_malformed),
                cmocka_unit_test(test_error_message),
                cmocka_unit_test(test_url_escape),
        };
        return cmocka_run_group_tests_name("image_www_auth", tests, NULL, NULL);
}
