/* util/json.h: the strict parser, the cleanup and the aborting builders. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/json.h"
#include "util/xalloc.h"

static void parse_ok(const char *text, enum json_type type) {
        AUTOJSON struct json_object *o = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (json_parse_strict(text, strlen(text), "doc", &o, &err) < 0)
                fail_msg("%s: %s", text, err->msg);
        assert_null(err);
        assert_non_null(o);
        assert_int_equal(json_object_get_type(o), type);
}

/* Parses len bytes that must fail with exactly msg; *ret stays untouched. */
static void parse_fails_len(const char *text, size_t len, const char *what, const char *msg) {
        struct json_object *sentinel = (struct json_object *) (uintptr_t) 0x1;
        struct json_object *o = sentinel;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(json_parse_strict(text, len, what, &o, &err), -1);
        assert_ptr_equal(o, sentinel);
        assert_non_null(err);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_string_equal(err->msg, msg);
}

static void parse_fails(const char *text, const char *msg) {
        parse_fails_len(text, strlen(text), "doc", msg);
}

static void test_parse_accepts_every_kind_of_value(void **state) {
        (void) state;
        parse_ok("{\"a\": [1, 2.5, -0, 1e5, true, false, null, \"s\"]}", json_type_object);
        parse_ok("  \t\r\n{}\n\n  ", json_type_object);
        parse_ok("[]", json_type_array);
        parse_ok("12", json_type_int);
        parse_ok("12 ", json_type_int);
        parse_ok("-1.5E-3", json_type_double);
        parse_ok("true", json_type_boolean);
        parse_ok("\"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00 \\\" \\\\ \\n\"", json_type_string);
        parse_ok("{\"k\": \"a\\\"\\tb\"}", json_type_object);     /* escapes are not control characters */
        parse_ok("{\"NaN.Infinity\": \"x.\"}", json_type_object); /* only outside strings */
        parse_ok("[1E+2, 1.5e-3, 0.0]", json_type_array);
}

static void test_parse_keeps_values(void **state) {
        (void) state;
        AUTOJSON struct json_object *o = NULL;
        const char *text = "{\"name\": \"x\", \"n\": 9007199254740993, \"list\": [\"a\", \"b\"]}";
        assert_int_equal(json_parse_object(text, strlen(text), "doc", &o, NULL), 0);
        struct json_object *v = NULL;
        assert_true(json_object_object_get_ex(o, "name", &v));
        assert_string_equal(json_object_get_string(v), "x");
        assert_true(json_object_object_get_ex(o, "n", &v));
        assert_int_equal(json_object_get_int64(v), 9007199254740993LL);
        assert_true(json_object_object_get_ex(o, "list", &v));
        assert_int_equal(json_object_array_length(v), 2);
}

static void test_parse_refuses_incomplete_input(void **state) {
        (void) state;
        parse_fails("", "doc: invalid JSON: unexpected end of input");
        parse_fails_len(NULL, 0, "doc", "doc: invalid JSON: unexpected end of input");
        parse_fails("   ", "doc: invalid JSON: unexpected end of input");
        parse_fails("{\"a\": ", "doc: invalid JSON: unexpected end of input");
        parse_fails("[1, 2", "doc: invalid JSON: unexpected end of input");
        parse_fails("\"open", "doc: invalid JSON: unexpected end of input");
        parse_fails("tru", "doc: invalid JSON: unexpected end of input");
}

static void test_parse_refuses_trailing_data(void **state) {
        (void) state;
        parse_fails("{} {}", "doc: invalid JSON at byte 3: unexpected character");
        parse_fails("{}x", "doc: invalid JSON at byte 2: unexpected character");
        parse_fails("[1] ,", "doc: invalid JSON at byte 4: unexpected character");
        static const char nul[] = "{}\0garbage";
        parse_fails_len(nul, sizeof(nul) - 1, "doc", "doc: invalid JSON at byte 2: NUL byte");
}

static void test_parse_refuses_json_c_extensions(void **state) {
        (void) state;
        parse_fails("[1,]", "doc: invalid JSON at byte 3: unexpected character");
        parse_fails("{\"a\": 1,}", "doc: invalid JSON at byte 8: unexpected character");
        parse_fails("'a'", "doc: invalid JSON at byte 0: unexpected character");
        parse_fails("/* c */ {}", "doc: invalid JSON at byte 0: unexpected character");
        parse_fails("{a: 1}", "doc: invalid JSON at byte 1: quoted object property name expected");
        parse_fails("{\"a\":tru}", "doc: invalid JSON at byte 8: boolean expected");
        parse_fails("[01]", "doc: invalid JSON at byte 3: number expected");
        parse_fails("[+1]", "doc: invalid JSON at byte 1: unexpected character");
        parse_fails("[.5]", "doc: invalid JSON at byte 1: unexpected character");
        parse_fails("[1.]", "doc: invalid JSON at byte 2: unexpected character");
        parse_fails("1.", "doc: invalid JSON at byte 1: unexpected character");
        parse_fails("[NaN]", "doc: invalid JSON at byte 1: unexpected character");
        parse_fails("NaN", "doc: invalid JSON at byte 0: unexpected character");
        parse_fails("{\"a\": -Infinity}", "doc: invalid JSON at byte 7: unexpected character");
        parse_fails("{\"a\": nan}", "doc: invalid JSON at byte 7: null expected");
}

static void test_parse_refuses_bad_bytes(void **state) {
        (void) state;
        parse_fails("\"\xff\"", "doc: invalid JSON at byte 1: invalid utf-8 string");
        parse_fails("\"\xc3\"", "doc: invalid JSON at byte 2: invalid utf-8 string");
        parse_fails("\"a\tb\"", "doc: invalid JSON at byte 2: control character in a string");
        parse_fails("{\"k\": \"line\nbreak\"}", "doc: invalid JSON at byte 11: control character in a string");
        parse_fails("\"\\\n\"", "doc: invalid JSON at byte 2: control character in a string");
        static const char nul[] = "\"a\0b\"";
        parse_fails_len(nul, sizeof(nul) - 1, "doc", "doc: invalid JSON at byte 2: NUL byte");
        static const char esc_nul[] = "\"\\\0\"";
        parse_fails_len(esc_nul, sizeof(esc_nul) - 1, "doc", "doc: invalid JSON at byte 2: NUL byte");
}

static char *nested(size_t depth) {
        char *s = xmalloc(2 * depth + 1);
        memset(s, '[', depth);
        memset(s + depth, ']', depth);
        s[2 * depth] = '\0';
        return s;
}

static void test_parse_limits_depth(void **state) {
        (void) state;
        AUTOFREE char *ok = nested(JSON_PARSE_MAX_DEPTH);
        parse_ok(ok, json_type_array);
        AUTOFREE char *deep = nested(JSON_PARSE_MAX_DEPTH + 1);
        AUTOFREE char *want = xasprintf("doc: invalid JSON at byte %d: nesting too deep", JSON_PARSE_MAX_DEPTH);
        parse_fails(deep, want);
}

static void test_parse_refuses_null(void **state) {
        (void) state;
        parse_fails("null", "doc: the document is null");
        parse_fails(" null ", "doc: the document is null");
}

static void test_parse_message_without_what(void **state) {
        (void) state;
        parse_fails_len("[", 1, NULL, "invalid JSON: unexpected end of input");
        parse_fails_len("{} {}", 5, "", "invalid JSON at byte 3: unexpected character");
        parse_fails_len("null", 4, NULL, "the document is null");
}

static void test_parse_error_with_null_err(void **state) {
        (void) state;
        struct json_object *o = NULL;
        assert_int_equal(json_parse_strict("{", 1, "doc", &o, NULL), -1);
        assert_null(o);
}

static void test_parse_object_requires_an_object(void **state) {
        (void) state;
        const char *cases[] = {"[]", "1", "\"s\"", "true", "null"};
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct json_object *o = NULL;
                CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                assert_int_equal(json_parse_object(cases[i], strlen(cases[i]), "cfg.json", &o, &err), -1);
                assert_null(o);
                assert_string_equal(err->msg, "cfg.json: the document is not a JSON object");
        }
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct json_object *o = NULL;
        assert_int_equal(json_parse_object("{", 1, "cfg.json", &o, &err), -1);
        assert_string_equal(err->msg, "cfg.json: invalid JSON: unexpected end of input");
}

static void test_parse_replaces_an_earlier_error(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        cric_error_set(&err, CRIC_E_INTERNAL, "earlier");
        struct json_object *o = NULL;
        assert_int_equal(json_parse_strict("x", 1, "doc", &o, &err), -1); /* no leak under LSan */
        assert_string_equal(err->msg, "doc: invalid JSON at byte 0: unexpected character");
}

static void test_putp_accepts_null_and_resets(void **state) {
        (void) state;
        struct json_object *o = NULL;
        json_putp(&o);
        assert_null(o);
        o = jx_object();
        json_putp(&o);
        assert_null(o);
        json_putp(NULL);
        {
                AUTOJSON struct json_object *scoped = jx_array();
                jx_append(scoped, jx_string("freed at the end of the scope"));
        }
}

static void test_build_and_dump(void **state) {
        (void) state;
        AUTOJSON struct json_object *o = jx_object();
        jx_add(o, "s", jx_string("a/b"));
        jx_add(o, "n", jx_int64(-3));
        jx_add(o, "u", jx_uint64(UINT64_MAX));
        jx_add(o, "t", jx_bool(true));
        jx_add(o, "d", jx_double(0.5));
        jx_add(o, "z", NULL);
        struct json_object *a = jx_array();
        jx_append(a, jx_string_len("x\0y", 3));
        jx_append(a, json_must(json_object_new_array_ext(4)));
        jx_add(o, "a", a);
        jx_add(o, "t", jx_bool(false)); /* replaces the earlier value */
        const char *want = "{\"s\":\"a/b\",\"n\":-3,\"u\":18446744073709551615,\"t\":false,\"d\":0.5,\"z\":null,"
                           "\"a\":[\"x\\u0000y\",[]]}";
        assert_string_equal(jx_to_string(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), want);
        AUTOFREE char *copy = jx_dump(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        assert_string_equal(copy, want);
        AUTOJSON struct json_object *slash = jx_string("a/b");
        assert_string_equal(jx_to_string(slash, JSON_C_TO_STRING_PLAIN), "\"a\\/b\"");
}

static void test_round_trip(void **state) {
        (void) state;
        const char *text = "{\"k\":[1,\"\\u00e9\",{\"x\":null}]}";
        AUTOJSON struct json_object *o = NULL;
        assert_int_equal(json_parse_object(text, strlen(text), "doc", &o, NULL), 0);
        AUTOFREE char *out = jx_dump(o, JSON_C_TO_STRING_PLAIN);
        AUTOJSON struct json_object *again = NULL;
        assert_int_equal(json_parse_object(out, strlen(out), "doc", &again, NULL), 0);
        assert_true(json_object_equal(o, again));
}

static void quote_is(const char *in, const char *want) {
        AUTOFREE char *q = json_quote(in);
        assert_string_equal(q, want);
        AUTOJSON struct json_object *o = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (json_parse_strict(q, strlen(q), "quoted", &o, &err) < 0)
                fail_msg("%s: %s", err->msg, q);
        assert_true(json_object_is_type(o, json_type_string));
}

static void test_quote_gives_valid_json(void **state) {
        (void) state;
        quote_is("", "\"\"");
        quote_is("plain", "\"plain\"");
        quote_is("q\"b\\n\n\t\x01\x1f\x7f", "\"q\\\"b\\\\n\\n\\t\\u0001\\u001f\x7f\"");
        /* well-formed UTF-8 of every length stays as it is */
        quote_is("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf",
                 "\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"");
        /* anything else becomes U+FFFD, one per byte that starts no character */
        quote_is("a\xff", "\"a\\ufffd\"");
        quote_is("\xc3", "\"\\ufffd\"");                                  /* truncated at the end */
        quote_is("\xc3(", "\"\\ufffd(\"");                                /* bad continuation */
        quote_is("\xc0\xaf", "\"\\ufffd\\ufffd\"");                       /* overlong '/' */
        quote_is("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");            /* overlong, 3 bytes */
        quote_is("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");            /* a surrogate */
        quote_is("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* above U+10FFFF */
        quote_is("\xe2\x82", "\"\\ufffd\\ufffd\"");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_accepts_every_kind_of_value),
                cmocka_unit_test(test_parse_keeps_values),
                cmocka_unit_test(test_parse_refuses_incomplete_input),
                cmocka_unit_test(test_parse_refuses_trailing_data),
                cmocka_unit_test(test_parse_refuses_json_c_extensions),
                cmocka_unit_test(test_parse_refuses_bad_bytes),
                cmocka_unit_test(test_parse_limits_depth),
                cmocka_unit_test(test_parse_refuses_null),
                cmocka_unit_test(test_parse_message_without_what),
                cmocka_unit_test(test_parse_error_with_null_err),
                cmocka_unit_test(test_parse_object_requires_an_object),
                cmocka_unit_test(test_parse_replaces_an_earlier_error),
                cmocka_unit_test(test_putp_accepts_null_and_resets),
                cmocka_unit_test(test_build_and_dump),
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_quote_gives_valid_json),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
