/* Tests for the TOML 1.0 parser and writer helpers (src/config/toml*.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "config/toml.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* ---- helpers ---------------------------------------------------------------------- */

static struct toml_value *parse_len_ok(const char *doc, size_t len) {
        struct toml_value *root = NULL;
        struct cric_error *err = NULL;
        if (toml_parse(doc, len, NULL, &root, &err) < 0)
                fail_msg("parse failed: %s\n--- document:\n%s", err ? err->msg : "(no error)", doc);
        assert_null(err);
        assert_non_null(root);
        assert_int_equal(root->type, TOML_TABLE);
        return root;
}

static struct toml_value *parse_ok(const char *doc) {
        return parse_len_ok(doc, strlen(doc));
}

/* Parses doc expecting failure; returns the error message (caller frees). */
static char *parse_len_err(const char *doc, size_t len) {
        struct toml_value *root = NULL;
        struct cric_error *err = NULL;
        if (toml_parse(doc, len, NULL, &root, &err) >= 0) {
                toml_free(root);
                fail_msg("parsed, but must be rejected:\n%s", doc);
        }
        assert_null(root);
        assert_non_null(err);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_int_equal(strncmp(err->msg, "<input>:", 8), 0);
        char *msg = STEAL_PTR(err->msg);
        cric_error_free(err);
        return msg;
}

static char *parse_err(const char *doc) {
        return parse_len_err(doc, strlen(doc));
}

static void check_invalid(const char *doc) {
        free(parse_err(doc));
}

#define ASSERT_ALL_INVALID(...)                                                                                        \
        do {                                                                                                           \
                const char *docs_[] = {__VA_ARGS__};                                                                   \
                for (size_t i_ = 0; i_ < sizeof(docs_) / sizeof(docs_[0]); i_++)                                       \
                        check_invalid(docs_[i_]);                                                                      \
        } while (0)

#define ASSERT_ALL_VALID(...)                                                                                          \
        do {                                                                                                           \
                const char *docs_[] = {__VA_ARGS__};                                                                   \
                for (size_t i_ = 0; i_ < sizeof(docs_) / sizeof(docs_[0]); i_++)                                       \
                        toml_free(parse_ok(docs_[i_]));                                                                \
        } while (0)

/* Asserts the error message for doc is exactly want. */
static void check_error(const char *doc, const char *want) {
        AUTOFREE char *msg = parse_err(doc);
        assert_string_equal(msg, want);
}

/* Asserts the error message for doc starts with prefix. */
static void check_error_prefix(const char *doc, const char *prefix) {
        AUTOFREE char *msg = parse_err(doc);
        if (strncmp(msg, prefix, strlen(prefix)) != 0)
                fail_msg("error \"%s\" does not start with \"%s\"", msg, prefix);
}

/* Follows a '/'-separated path of table keys and array indexes. */
static const struct toml_value *at(const struct toml_value *v, const char *path) {
        AUTOFREE char *copy = xstrdup(path);
        char *save = NULL;
        for (char *part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
                if (v->type == TOML_ARRAY) {
                        size_t i = strtoul(part, NULL, 10);
                        if (i >= v->u.arr.len)
                                fail_msg("index %zu out of range in %s", i, path);
                        v = v->u.arr.items[i];
                } else {
                        const struct toml_value *next = toml_table_get(v, part);
                        if (!next)
                                fail_msg("no key \"%s\" on path %s", part, path);
                        v = next;
                }
        }
        return v;
}

static const struct toml_value *typed(const struct toml_value *root, const char *path, enum toml_type type) {
        const struct toml_value *v = at(root, path);
        if (v->type != type)
                fail_msg("%s is a %s, expected %s", path, toml_type_name(v->type), toml_type_name(type));
        return v;
}

static void check_str(const struct toml_value *root, const char *path, const char *want) {
        assert_string_equal(typed(root, path, TOML_STRING)->u.s, want);
}

static void check_int(const struct toml_value *root, const char *path, int64_t want) {
        assert_true(typed(root, path, TOML_INTEGER)->u.i == want);
}

static void check_float(const struct toml_value *root, const char *path, double want) {
        double got = typed(root, path, TOML_FLOAT)->u.f;
        if (got != want)
                fail_msg("%s = %.17g, expected %.17g", path, got, want);
}

static void check_bool(const struct toml_value *root, const char *path, bool want) {
        assert_int_equal(typed(root, path, TOML_BOOL)->u.b, want);
}

static size_t len_of(const struct toml_value *root, const char *path) {
        const struct toml_value *v = at(root, path);
        if (v->type == TOML_TABLE)
                return v->u.tab.len;
        assert_int_equal(v->type, TOML_ARRAY);
        return v->u.arr.len;
}

static const struct toml_datetime *check_dt(const struct toml_value *root, const char *path,
                                            enum toml_datetime_kind kind, const char *text) {
        const struct toml_datetime *dt = &typed(root, path, TOML_DATETIME)->u.dt;
        assert_int_equal(dt->kind, kind);
        assert_string_equal(dt->text, text);
        return dt;
}

/* Parses "k = <value>" and returns the value's string. */
static void check_value_str(const char *value_text, const char *want) {
        AUTOFREE char *doc = xasprintf("k = %s\n", value_text);
        CLEANUP(toml_freep) struct toml_value *root = parse_ok(doc);
        check_str(root, "k", want);
}

static void check_value_int(const char *value_text, int64_t want) {
        AUTOFREE char *doc = xasprintf("k = %s\n", value_text);
        CLEANUP(toml_freep) struct toml_value *root = parse_ok(doc);
        check_int(root, "k", want);
}

static void check_value_float(const char *value_text, double want) {
        AUTOFREE char *doc = xasprintf("k = %s\n", value_text);
        CLEANUP(toml_freep) struct toml_value *root = parse_ok(doc);
        check_float(root, "k", want);
}

static void check_value_invalid(const char *value_text) {
        AUTOFREE char *doc = xasprintf("k = %s\n", value_text);
        check_invalid(doc);
}

/* ---- documents, comments, keys ------------------------------------------------------ */

static void test_empty_document(void **state) {
        (void) state;
        const char *docs[] = {"", "\n\n", "   \t\n", "# only a comment", "# a\n\n  # b\r\n"};
        for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
                CLEANUP(toml_freep) struct toml_value *root = parse_ok(docs[i]);
                assert_int_equal(root->u.tab.len, 0);
        }
        CLEANUP(toml_freep) struct toml_value *root = NULL;
        assert_int_equal(toml_parse(NULL, 0, NULL, &root, NULL), 0);
        assert_int_equal(root->u.tab.len, 0);
}

static void test_comments(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root = parse_ok("# full line comment\n"
                                           "key = \"value\"  # trailing comment\n"
                                           "  # indented comment with ünïcödé and \t tab\n"
                                           "another = \"# not a comment\"\n"
                                           "n = 1#tight\n"
                                           "#\n");
        assert_int_equal(root->u.tab.len, 3);
        check_str(root, "key", "value");
        check_str(root, "another", "# not a comment");
        check_int(root, "n", 1);
}

static void test_bare_keys(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root = parse_ok("key = 1\nbare_key = 2\nbare-key = 3\n"
                                           "1234 = 4\nABC_xyz-09 = 5\n-- = 6\n_ = 7\n");
        const char *keys[] = {"key", "bare_key", "bare-key", "1234", "ABC_xyz-09", "--", "_"};
        assert_int_equal(root->u.tab.len, 7);
        for (size_t i = 0; i < 7; i++) { /* definition order is kept */
                assert_string_equal(root->u.tab.keys[i], keys[i]);
                assert_int_equal(root->u.tab.values[i]->u.i, (int64_t) i + 1);
        }
        assert_null(toml_table_get(root, "KEY")); /* keys are case-sensitive */
}

static void test_quoted_keys(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root = parse_ok("\"127.0.0.1\" = \"value\"\n"
                                           "\"character encoding\" = \"value\"\n"
                                           "\"ʎǝʞ\" = \"value\"\n"
                                           "'key2' = \"value\"\n"
                                           "'quoted \"value\"' = \"value\"\n"
                                           "\"esc\\u00e9\\n\" = 1\n"
                                           "\"\" = \"blank\"\n");
        assert_int_equal(root->u.tab.len, 7);
        assert_non_null(toml_table_get(root, "127.0.0.1"));
        assert_non_null(toml_table_get(root, "character encoding"));
        assert_non_null(toml_table_get(root, "ʎǝʞ"));
        assert_non_null(toml_table_get(root, "key2"));
        assert_non_null(toml_table_get(root, "quoted \"value\""));
        assert_non_null(toml_table_get(root, "esc\xc3\xa9\n"));
        assert_string_equal(toml_table_get(root, "")->u.s, "blank");
        /* "key" and key are the same key */
        check_invalid("key = 1\n\"key\" = 2\n");
        check_invalid("'key' = 1\n\"key\" = 2\n");
}

static void test_dotted_keys(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root = parse_ok("name = \"Orange\"\n"
                                           "physical.color = \"orange\"\n"
                                           "physical.shape = \"round\"\n"
                                           "site.\"google.com\" = true\n"
                                           "fruit . flavor\t.  x = \"banana\"\n"
                                           "3.14159 = \"pi\"\n");
        check_str(root, "physical/color", "orange");
        check_str(root, "physical/shape", "round");
        check_bool(root, "site/google.com", true);
        check_str(root, "fruit/flavor/x", "banana");
        check_str(root, "3/14159", "pi");
        assert_int_equal(len_of(root, "physical"), 2);
        assert_int_equal(typed(root, "physical", TOML_TABLE)->line, 2);
}

static void test_invalid_keys(void **state) {
        (void) state;
        ASSERT_ALL_INVALID("= \"no key\"\n", "key\n", "key = \n", "key =\n1\n", "a b = 1\n", "a. = 1\n", ".a = 1\n",
                           "a..b = 1\n", "\"\"\"a\"\"\" = 1\n", "'''a''' = 1\n", "ké = 1\n", "a$ = 1\n",
                           "\"unterminated = 1\n", "a = 1 b = 2\n", "a = 1, b = 2\n", "[a] x = 1\n");
}

/* ---- strings ------------------------------------------------------------------------- */

static void test_basic_string_escapes(void **state) {
        (void) state;
        check_value_str("\"I'm a string. \\\"You can quote me\\\". Name\\tJos\\u00E9\\nLocation\\tSF.\"",
                        "I'm a string. \"You can quote me\". Name\tJos\xc3\xa9\nLocation\tSF.");
        check_value_str("\"\\b\\t\\n\\f\\r\\\"\\\\\"", "\b\t\n\f\r\"\\");
        check_value_str("\"\"", "");
        check_value_str("\"raw\ttab\"", "raw\ttab");
        check_value_str("\"'single' # not comment\"", "'single' # not comment");
}

static void test_basic_string_unicode_escapes(void **state) {
        (void) state;
        check_value_str("\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac");
        check_value_str("\"\\U0001F600\"", "\xf0\x9f\x98\x80");
        check_value_str("\"\\U0010FFFF\"", "\xf4\x8f\xbf\xbf");
        check_value_str("\"\\u007F\\u0001\"", "\x7f\x01"); /* escaped controls are fine */
        check_value_str("\"\\uD7FF\\uE000\"", "\xed\x9f\xbf\xee\x80\x80");
}

static void test_basic_string_invalid(void **state) {
        (void) state;
        const char *bad[] = {"\"\\x41\"",       "\"\\e\"",        "\"\\ \"",     "\"\\u12\"",
                             "\"\\u12G4\"",     "\"\\U0001F60\"", "\"\\uD800\"", "\"\\uDFFF\"",
                             "\"\\U00110000\"", "\"\\u0000\"",    "\"\\\"",      "\"unterminated",
                             "\"new\nline\"",   "\"a\" \"b\"",    "\"\\a\"",     "\"\\/\""};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                check_value_invalid(bad[i]);
}

static void test_literal_strings(void **state) {
        (void) state;
        check_value_str("'C:\\Users\\nodejs\\templates'", "C:\\Users\\nodejs\\templates");
        check_value_str("'\\\\ServerX\\admin$\\system32\\'", "\\\\ServerX\\admin$\\system32\\");
        check_value_str("'Tom \"Dubs\" Preston-Werner'", "Tom \"Dubs\" Preston-Werner");
        check_value_str("'<\\i\\c*\\s*>'", "<\\i\\c*\\s*>");
        check_value_str("''", "");
        check_value_str("'\\u0041'", "\\u0041");
        check_value_invalid("'it's'");
        check_value_invalid("'unterminated");
        check_value_invalid("'new\nline'");
}

static void test_multiline_basic_strings(void **state) {
        (void) state;
        check_value_str("\"\"\"\nRoses are red\nViolets are blue\"\"\"", "Roses are red\nViolets are blue");
        check_value_str("\"\"\"\r\nfirst\r\nsecond\r\n\"\"\"", "first\nsecond\n");
        check_value_str("\"\"\"no leading newline\"\"\"", "no leading newline");
        check_value_str("\"\"\"\n\nonly the first newline is trimmed\"\"\"", "\nonly the first newline is trimmed");
        check_value_str("\"\"\"tab\there \\t \\u00e9 \\U0001F600\"\"\"", "tab\there \t \xc3\xa9 \xf0\x9f\x98\x80");
        check_value_str("\"\"\"\"\"\"", "");
        check_value_str("\"\"\"# not a comment\n[not a table]\"\"\"", "# not a comment\n[not a table]");
        check_value_invalid("\"\"\"unterminated\n");
        check_value_invalid("\"\"\"bad \\q escape\"\"\"");
        check_value_invalid("\"\"\"raw \x01 control\"\"\"");
}

static void test_multiline_line_ending_backslash(void **state) {
        (void) state;
        const char *want = "The quick brown fox jumps over the lazy dog.";
        check_value_str("\"\"\"\nThe quick brown \\\n\n\n  fox jumps over \\\n    the lazy dog.\"\"\"", want);
        check_value_str(
                "\"\"\"\\\n       The quick brown \\\n       fox jumps over \\\n       the lazy dog.\\\n       \"\"\"",
                want);
        /* whitespace between the backslash and the newline is allowed */
        check_value_str("\"\"\"a \\  \t\n   b\"\"\"", "a b");
        check_value_str("\"\"\"a \\\r\n\r\n   b\"\"\"", "a b");
        check_value_str("\"\"\"a\\\\\nb\"\"\"", "a\\\nb"); /* an escaped backslash is not one */
        check_value_invalid("\"\"\"a \\ b\"\"\"");         /* backslash, space, not newline */
}

static void test_multiline_basic_quotes(void **state) {
        (void) state;
        check_value_str("\"\"\"Here are two quotation marks: \"\". Simple enough.\"\"\"",
                        "Here are two quotation marks: \"\". Simple enough.");
        check_value_str("\"\"\"Here are three quotation marks: \"\"\\\".\"\"\"",
                        "Here are three quotation marks: \"\"\".");
        check_value_str("\"\"\"Here are fifteen quotation marks: \"\"\\\"\"\"\\\"\"\"\\\"\"\"\\\"\"\"\\\".\"\"\"",
                        "Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\".");
        check_value_str("\"\"\"\"This,\" she said, \"is just a pointless statement.\"\"\"\"",
                        "\"This,\" she said, \"is just a pointless statement.\"");
        check_value_str("\"\"\"a\"\"\"\"", "a\"");
        check_value_str("\"\"\"a\"\"\"\"\"", "a\"\"");
        check_value_str("\"\"\"\"\"\"\"", "\"");
        check_value_str("\"\"\"\"\"\"\"\"", "\"\"");
        check_value_invalid("\"\"\"a\"\"\"\"\"\"");  /* six quotes at the end */
        check_value_invalid("\"\"\"a\"\"\"b\"\"\""); /* three quotes end the string */
}

static void test_multiline_literal_strings(void **state) {
        (void) state;
        check_value_str("'''I [dw]on't need \\d{2} apples'''", "I [dw]on't need \\d{2} apples");
        check_value_str(
                "'''\nThe first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n'''",
                "The first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n");
        check_value_str("'''\r\nC:\\path\\ \\\r\nnext'''", "C:\\path\\ \\\nnext");
        check_value_str("'''Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\"'''",
                        "Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\"");
        check_value_str("''''That,' she said, 'is still pointless.''''", "'That,' she said, 'is still pointless.'");
        check_value_str("'''a'''''", "a''");
        check_value_str("''''''", "");
        check_value_str("'''tab\there'''", "tab\there");
        check_value_invalid("'''Here are fifteen apostrophes: ''''''''''''''''''");
        check_value_invalid("'''a''''''");
        check_value_invalid("'''unterminated");
        check_value_invalid("'''raw \x7f DEL'''");
}

static void test_string_control_characters(void **state) {
        (void) state;
        const char *bad[] = {"\"a\x01\"",   "\"a\x1f\"", "\"a\x7f\"",        "'a\x08'",   "\"\"\"a\x0b\"\"\"",
                             "'''a\x0c'''", "\"a\rb\"",  "\"\"\"a\rb\"\"\"", "'''a\rb'''"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                check_value_invalid(bad[i]);
        check_value_str("\"a\tb\"", "a\tb");
        check_value_str("'a\tb'", "a\tb");
}

/* ---- integers ------------------------------------------------------------------------ */

static void test_integers_decimal(void **state) {
        (void) state;
        check_value_int("+99", 99);
        check_value_int("42", 42);
        check_value_int("0", 0);
        check_value_int("-17", -17);
        check_value_int("+0", 0);
        check_value_int("-0", 0);
        check_value_int("1_000", 1000);
        check_value_int("5_349_221", 5349221);
        check_value_int("53_49_221", 5349221);
        check_value_int("1_2_3_4_5", 12345);
}

static void test_integers_prefixed(void **state) {
        (void) state;
        check_value_int("0xDEADBEEF", 0xDEADBEEF);
        check_value_int("0xdeadbeef", 0xDEADBEEF);
        check_value_int("0xdead_beef", 0xDEADBEEF);
        check_value_int("0x0000_00ff", 255);
        check_value_int("0o01234567", 01234567);
        check_value_int("0o755", 0755);
        check_value_int("0b11010110", 214);
        check_value_int("0b0000_0001", 1);
}

static void test_integer_limits(void **state) {
        (void) state;
        check_value_int("9223372036854775807", INT64_MAX);
        check_value_int("-9223372036854775808", INT64_MIN);
        check_value_int("+9_223_372_036_854_775_807", INT64_MAX);
        check_value_int("0x7FFFFFFFFFFFFFFF", INT64_MAX);
        check_value_int("0o777777777777777777777", INT64_MAX);
        check_value_int("0b111111111111111111111111111111111111111111111111111111111111111", INT64_MAX);
        const char *bad[] = {"9223372036854775808",
                             "-9223372036854775809",
                             "99999999999999999999999",
                             "0x8000000000000000",
                             "0xFFFFFFFFFFFFFFFF",
                             "0o1000000000000000000000",
                             "0b1000000000000000000000000000000000000000000000000000000000000000"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                check_value_invalid(bad[i]);
        check_error("k = 9223372036854775808", "<input>:1:5: integer does not fit in 64 bits: 9223372036854775808");
}

static void test_integers_invalid(void **state) {
        (void) state;
        const char *bad[] = {"01",   "00",   "0_0", "-01",  "+012", "_1",  "1_",   "1__2", "+0x1",
                             "-0b1", "0X1F", "0x",  "0x_1", "0xg",  "0o8", "0b2",  "0B1",  "0O7",
                             "1a",   "1 2",  "--1", "+-1",  "+",    "-",   "0x1_", "1,000"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                check_value_invalid(bad[i]);
        check_error("k = 012", "<input>:1:5: leading zeros are not allowed: 012");
        check_error("k = -0x1", "<input>:1:5: hex, octal and binary integers take no sign: -0x1");
}

/* ---- floats -------------------------------------------------------------------------- */

static void test_floats(void **state) {
        (void) state;
        check_value_float("+1.0", 1.0);
        check_value_float("3.1415", 3.1415);
        check_value_float("-0.01", -0.01);
        check_value_float("5e+22", 5e+22);
        check_value_float("1e06", 1e6);
        check_value_float("-2E-2", -2e-2);
        check_value_float("6.626e-34", 6.626e-34);
        check_value_float("224_617.445_991_228", 224617.445991228);
        check_value_float("1e1_0", 1e10);
        check_value_float("0e0", 0.0);
        check_value_float("0.0", 0.0);
        check_value_float("1.5E+00", 1.5);
        check_value_float("1.7976931348623157e308", 1.7976931348623157e308);
        CLEANUP(toml_freep) struct toml_value *root = parse_ok("a = -0.0\nb = +0.0\n");
        assert_true(signbit(typed(root, "a", TOML_FLOAT)->u.f));
        assert_false(signbit(typed(root, "b", TOML_FLOAT)->u.f));
}

static void test_float_special_values(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root = parse_ok("a = inf\nb = +inf\nc = -inf\n"
                                           "d = nan\ne = +nan\nf = -nan\n"
                                           "g = [inf, -nan]\n");
        check_float(root, "a", INFINITY);
        check_float(root, "b", INFINITY);
        check_float(root, "c", -INFINITY);
        assert_true(isnan(typed(root, "d", TOML_FLOAT)->u.f));
        assert_true(isnan(typed(root, "e", TOML_FLOAT)->u.f));
        assert_true(isnan(typed(root, "f", TOML_FLOAT)->u.f));
        assert_true(isinf(typed(root, "g/0", TOML_FLOAT)->u.f));
        assert_true(isnan(typed(root, "g/1", TOML_FLOAT)->u.f));
        const char *bad[] = {"Inf", "NaN", "infinity", "+Inf", "nan1", "in", "-nan.0", "inf_"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                check_value_invalid(bad[i]);
}

static void test_floats_invalid(void **state) {
        (void) state;
        const char *bad[] = {".7",    "7.",   "3.e+20", "+.5",   "1e",    "1e+",   "1e_5",   "1_.5",   "1._5",
                             "1.5_",  "01.5", "00.0",   "-01.0", "1.2.3", "1e2.5", "1e2e3",  "1__0.0", "1.0e",
                             "1.0E-", "_1.0", "1.0__1", "0x1.5", "1e5_",  "1.e5",  "1.0 e5", "1,5"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                check_value_invalid(bad[i]);
}

static void test_booleans(void **state) {
        (void) state;
        CLEANUP(toml_freep) struct toml_value *root = parse_ok("t = true\nf = false\n");
        check_bool(root, "t", true);
        check_bool(root, "f", false);
        const char *bad[] = {"True", "FALSE", "tru", "truee", "yes", "1true", "true_"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                check_value_invalid(bad[i]);
}

/* ---- dates and times ----------------------------------------------------------------- */

static void test_offset_datetime(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root = parse_ok("odt1 = 1979-05-27T07:32:00Z\n"
                                           "odt2 = 1979-05-27T00:32:00-07:00\n"
                                           "odt3 = 1979-05-27T00:32:00.999999+05:30\n"
                                           "odt4 = 1979-05-27 07:32:00Z\n"
                                           "odt5 = 1979-05-27t07:32:00z\n");
        const struct toml_datetime *dt = check_dt(root, "odt1", TOML_DT_OFFSET, "1979-05-27T07:32:00Z");
        assert_int_equal(dt->year, 1979);
        assert_int_equal(dt->month, 5);
        assert_int_equal(dt->day, 27);
        assert_int_equal(dt->hour, 7);
        assert_int_equal(dt->minute, 32);
        assert_int_equal(dt->second, 0);
        assert_int_equal(dt->offset_minutes, 0);
        dt = check_dt(root, "odt2", TOML_DT_OFFSET, "1979-05-27T00:32:00-07:00");
        assert_int_equal(dt->offset_minutes, -420);
        dt = check_dt(root, "odt3", TOML_DT_OFFSET, "1979-05-27T00:32:00.999999+05:30");
        assert_int_equal(dt->offset_minutes, 330);
        assert_int_equal(dt->nanosecond, 999999000);
        check_dt(root, "odt4", TOML_DT_OFFSET, "1979-05-27T07:32:00Z"); /* space becomes T */
        check_dt(root, "odt5", TOML_DT_OFFSET, "1979-05-27T07:32:00z");
}

static void test_local_datetime(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root = parse_ok("ldt1 = 1979-05-27T07:32:00\n"
                                           "ldt2 = 1979-05-27T00:32:00.999999\n"
                                           "ldt3 = 1979-05-27 23:59:60\n"
                                           "arr = [1979-05-27 07:32:00, 1979-05-27]\n");
        const struct toml_datetime *dt = check_dt(root, "ldt1", TOML_DT_LOCAL, "1979-05-27T07:32:00");
        assert_int_equal(dt->hour, 7);
        assert_int_equal(dt->nanosecond, 0);
        dt = check_dt(root, "ldt2", TOML_DT_LOCAL, "1979-05-27T00:32:00.999999");
        assert_int_equal(dt->nanosecond, 999999000);
        dt = check_dt(root, "ldt3", TOML_DT_LOCAL, "1979-05-27T23:59:60"); /* leap second */
        assert_int_equal(dt->second, 60);
        check_dt(root, "arr/0", TOML_DT_LOCAL, "1979-05-27T07:32:00");
        check_dt(root, "arr/1", TOML_DT_DATE, "1979-05-27");
}

static void test_local_date(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root = parse_ok("ld1 = 1979-05-27\nleap = 2000-02-29\n"
                                           "leap4 = 2024-02-29\nmin = 0000-01-01\n"
                                           "max = 9999-12-31\n");
        const struct toml_datetime *dt = check_dt(root, "ld1", TOML_DT_DATE, "1979-05-27");
        assert_int_equal(dt->year, 1979);
        assert_int_equal(dt->month, 5);
        assert_int_equal(dt->day, 27);
        check_dt(root, "leap", TOML_DT_DATE, "2000-02-29");
        check_dt(root, "leap4", TOML_DT_DATE, "2024-02-29");
        assert_int_equal(typed(root, "max", TOML_DATETIME)->u.dt.year, 9999);
        ASSERT_ALL_INVALID("d = 1900-02-29\n", "d = 2023-02-29\n", "d = 2023-04-31\n", "d = 2023-00-10\n",
                           "d = 2023-13-01\n", "d = 2023-01-00\n", "d = 2023-01-32\n");
}

static void test_local_time(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root = parse_ok("lt1 = 07:32:00\nlt2 = 00:32:00.999999\n"
                                           "lt3 = 23:59:59.123456789123\nlt4 = 00:00:00.5\n");
        const struct toml_datetime *dt = check_dt(root, "lt1", TOML_DT_TIME, "07:32:00");
        assert_int_equal(dt->hour, 7);
        assert_int_equal(dt->minute, 32);
        dt = check_dt(root, "lt2", TOML_DT_TIME, "00:32:00.999999");
        assert_int_equal(dt->nanosecond, 999999000);
        dt = check_dt(root, "lt3", TOML_DT_TIME, "23:59:59.123456789123"); /* truncated to ns */
        assert_int_equal(dt->nanosecond, 123456789);
        dt = check_dt(root, "lt4", TOML_DT_TIME, "00:00:00.5");
        assert_int_equal(dt->nanosecond, 500000000);
}

static void test_datetime_invalid(void **state) {
        (void) state;
        const char *bad[] = {"1979-05-27T",
                             "1979-05-27T07:32",
                             "07:32",
                             "7:32:00",
                             "24:00:00",
                             "07:60:00",
                             "07:32:61",
                             "07:32:00.",
                             "07:32:00Z",
                             "1979-5-27",
                             "79-05-27",
                             "1979-05-27X07:32:00",
                             "1979-05-27T07:32:00+24:00",
                             "1979-05-27T07:32:00+05:60",
                             "1979-05-27T07:32:00+0530",
                             "1979-05-27T07:32:00+05",
                             "1979-05-27T07:32:00ZZ",
                             "1979-05-27T07:32:00.Z",
                             "1979-05-27  07:32:00",
                             "1979-05-27_07:32:00",
                             "+1979-05-27",
                             "1979-05-27T07:32:00 Z",
                             "07:32:00-07:00",
                             "1979-05-27 07:32"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                check_value_invalid(bad[i]);
        check_error("d = 1979-13-01\n", "<input>:1:5: date out of range: 1979-13-01");
}

/* ---- arrays -------------------------------------------------------------------------- */

static void test_arrays(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root =
                parse_ok("integers = [ 1, 2, 3 ]\n"
                         "colors = [ \"red\", \"yellow\", \"green\" ]\n"
                         "empty = []\n"
                         "empty2 = [ \n ]\n"
                         "string_array = [ \"all\", 'strings', \"\"\"are the same\"\"\", '''type''' ]\n");
        assert_int_equal(len_of(root, "integers"), 3);
        check_int(root, "integers/2", 3);
        check_str(root, "colors/1", "yellow");
        assert_int_equal(len_of(root, "empty"), 0);
        assert_int_equal(len_of(root, "empty2"), 0);
        check_str(root, "string_array/2", "are the same");
        check_str(root, "string_array/3", "type");
}

static void test_arrays_mixed_and_nested(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root = parse_ok("nested_arrays_of_ints = [ [ 1, 2 ], [3, 4, 5] ]\n"
                                           "nested_mixed_array = [ [ 1, 2 ], [\"a\", \"b\", \"c\"] ]\n"
                                           "numbers = [ 0.1, 0.2, 0.5, 1, 2, 5 ]\n"
                                           "contributors = [\n"
                                           "  \"Foo Bar <foo@example.com>\",\n"
                                           "  { name = \"Baz Qux\", email = \"bazqux@example.com\" }\n"
                                           "]\n"
                                           "deep = [[[[]]], [[true]]]\n");
        check_int(root, "nested_arrays_of_ints/1/2", 5);
        check_str(root, "nested_mixed_array/1/0", "a");
        check_float(root, "numbers/2", 0.5);
        check_int(root, "numbers/3", 1);
        check_str(root, "contributors/0", "Foo Bar <foo@example.com>");
        check_str(root, "contributors/1/email", "bazqux@example.com");
        assert_int_equal(len_of(root, "deep/0/0/0"), 0);
        check_bool(root, "deep/1/0/0", true);
}

static void test_arrays_multiline(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root = parse_ok("integers2 = [\n  1, 2, 3\n]\n"
                                           "integers3 = [\n  1,\n  2, # this is ok\n]\n"
                                           "c = [ # comment after bracket\n"
                                           "  # a whole comment line\n\n"
                                           "  1 # before comma\n"
                                           "  ,\n  2\n  # last\n]\n"
                                           "crlf = [\r\n 1,\r\n 2,\r\n]\r\n");
        assert_int_equal(len_of(root, "integers2"), 3);
        assert_int_equal(len_of(root, "integers3"), 2);
        check_int(root, "integers3/1", 2);
        assert_int_equal(len_of(root, "c"), 2);
        check_int(root, "c/1", 2);
        assert_int_equal(len_of(root, "crlf"), 2);
}

static void test_arrays_invalid(void **state) {
        (void) state;
        ASSERT_ALL_INVALID("a = [1 2]\n", "a = [,]\n", "a = [,1]\n", "a = [1,,2]\n", "a = [1,2,,]\n", "a = [1\n",
                           "a = [\n", "a = ]\n", "a = [1}\n", "a = [1] 2\n", "a = [1]]\n", "a = [[1]\n",
                           "a = [\"a\"\n\"b\"]\n", "a = [1 # comment ]\n");
}

/* "a = " followed by depth '[' and depth ']' */
static char *nested_arrays(size_t depth) {
        char *doc = xmalloc(depth * 2 + 6);
        memcpy(doc, "a = ", 4);
        memset(doc + 4, '[', depth);
        memset(doc + 4 + depth, ']', depth);
        strcpy(doc + 4 + 2 * depth, "\n");
        return doc;
}

static void test_nesting_limit(void **state) {
        (void) state;
        AUTOFREE char *ok = nested_arrays(64);
        CLEANUP(toml_freep) struct toml_value *root = parse_ok(ok);
        const struct toml_value *v = at(root, "a");
        for (int i = 1; i < 64; i++)
                v = v->u.arr.items[0];
        assert_int_equal(v->type, TOML_ARRAY);
        assert_int_equal(v->u.arr.len, 0);
        AUTOFREE char *too_deep = nested_arrays(65);
        check_error(too_deep, "<input>:1:69: arrays and inline tables nested deeper than 64");
        AUTOFREE char *huge = nested_arrays(100000);
        check_invalid(huge);
        check_invalid("a = {b = {c = {d = {e = {f = {g = {h = {i = {j = {k = {l = {m = {n = {o = {p = {q = "
                      "{r = {s = {t = {u = {v = {w = {x = {y = {z = {a = {b = {c = {d = {e = {f = {g = {h = "
                      "{i = {j = {k = {l = {m = {n = {o = {p = {q = {r = {s = {t = {u = {v = {w = {x = {y = "
                      "{z = {a = {b = {c = {d = {e = {f = {g = {h = {i = {j = {k = {l = {m = 1}}}\n");
        /* keys are bounded too */
        AUTOFREE char *key = xstrdup("k");
        for (int i = 0; i < 64; i++) {
                char *next = xasprintf("%s.k", key);
                free(key);
                key = next;
        }
        AUTOFREE char *deep_key = xasprintf("%s = 1\n", key);
        check_error_prefix(deep_key, "<input>:1:129: key has more than 64 parts");
}

/* ---- inline tables ------------------------------------------------------------------- */

static void test_inline_tables(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root = parse_ok("name = { first = \"Tom\", last = \"Preston-Werner\" }\n"
                                           "point = {x=1,y=2}\n"
                                           "animal = { type.name = \"pug\" }\n"
                                           "empty = {}\n"
                                           "empty2 = {  }\n"
                                           "nested = { a = { b = { c = [1, { d = 'e' }] } } }\n"
                                           "multi = { arr = [\n1,\n2\n], s = \"\"\"x\ny\"\"\" }\n");
        check_str(root, "name/first", "Tom");
        check_str(root, "name/last", "Preston-Werner");
        check_int(root, "point/y", 2);
        check_str(root, "animal/type/name", "pug");
        assert_int_equal(len_of(root, "empty"), 0);
        assert_int_equal(len_of(root, "empty2"), 0);
        check_str(root, "nested/a/b/c/1/d", "e");
        check_int(root, "multi/arr/1", 2); /* newlines inside values are fine */
        check_str(root, "multi/s", "x\ny");
        assert_string_equal(typed(root, "name", TOML_TABLE)->u.tab.keys[1], "last");
}

static void test_inline_tables_invalid(void **state) {
        (void) state;
        ASSERT_ALL_INVALID("a = {\n}\n", "a = { b = 1,\n c = 2 }\n", "a = { b = 1\n}\n", "a = { b = 1, }\n",
                           "a = { , }\n", "a = { b = 1 c = 2 }\n", "a = { b = 1\n", "a = { b }\n",
                           "a = { b = 1, b = 2 }\n", "a = { b.c = 1, b = 2 }\n", "a = { b = {}, b.c = 1 }\n",
                           "a = { b = 1 } c = 2\n", "a = { b = # c\n 1 }\n", "a = {]\n");
        check_error("a = { b = 1, }\n", "<input>:1:14: trailing comma in an inline table");
        check_error("a = { b = 1\n}\n", "<input>:1:12: inline tables must stay on one line");
}

static void test_inline_tables_immutable(void **state) {
        (void) state;
        ASSERT_ALL_INVALID("[product]\ntype = { name = \"Nail\" }\ntype.edible = false\n",
                           "[product]\ntype.name = \"Nail\"\ntype = { edible = false }\n",
                           "a = { b = 1 }\n[a]\nc = 2\n", "a = { b = 1 }\n[a.c]\n", "a = { b = {} }\n[a.b]\n",
                           "a = { b = 1 }\n[[a]]\n", "a = { b = {} }\n[[a.b]]\n",
                           "tbl = { fruit = { apple.color = \"red\" }, fruit.apple.texture = { smooth = true } }\n",
                           "a = [{ b = 1 }]\n[a.c]\n");
        check_error("a = { b = 1 }\n[a.c]\n", "<input>:2:2: a is already defined as an inline table at line 1");
}

/* ---- tables -------------------------------------------------------------------------- */

static void test_tables(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root = parse_ok("top = 0\n"
                                           "[table-1]\nkey1 = \"some string\"\nkey2 = 123\n\n"
                                           "[table-2]\nkey1 = \"another string\"\nkey2 = 456\n"
                                           "[dog.\"tater.man\"]\ntype.name = \"pug\"\n"
                                           "[ j . \"ʞ\" . 'l' ]  # whitespace is ignored\nx = 1\n"
                                           "  [indented]\n  y = 2\n"
                                           "[\t\"\"\t]\nz = 3\n");
        check_int(root, "top", 0);
        check_str(root, "table-1/key1", "some string");
        check_int(root, "table-2/key2", 456);
        check_str(root, "dog/tater.man/type/name", "pug");
        check_int(root, "j/ʞ/l/x", 1);
        check_int(root, "indented/y", 2);
        check_int(toml_table_get(root, ""), "z", 3);
        assert_string_equal(root->u.tab.keys[0], "top");
        assert_string_equal(root->u.tab.keys[1], "table-1");
        const struct toml_value *t = typed(root, "table-2", TOML_TABLE);
        assert_int_equal(t->line, 6);
        assert_int_equal(t->column, 1);
}

static void test_tables_implicit(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root = parse_ok("[x.y.z.w] # for this to work\n"
                                           "a = 1\n"
                                           "[x] # defining a super-table afterward is ok\n"
                                           "b = 2\n"
                                           "[x.y]\nc = 3\n");
        check_int(root, "x/y/z/w/a", 1);
        check_int(root, "x/b", 2);
        check_int(root, "x/y/c", 3);
        assert_int_equal(typed(root, "x", TOML_TABLE)->line, 3); /* where it was defined */
        ASSERT_ALL_VALID("[a.b]\n[a]\n[a.c]\n", "[a]\n[a.b.c]\n[a.b]\n", "[a.\"b.c\"]\n[a.b]\n[a.b.c]\n");
}

static void test_tables_defined_twice(void **state) {
        (void) state;
        ASSERT_ALL_INVALID("[fruit]\napple = \"red\"\n[fruit]\norange = \"orange\"\n",
                           "[fruit]\napple = \"red\"\n[fruit.apple]\ntexture = \"smooth\"\n", "[a]\n[a.b]\n[a]\n",
                           "[a.b]\n[a.b]\n", "[a]\n['a']\n", "[a.b]\n[a]\n[\"a\".b]\n", "a = 1\n[a]\n",
                           "[a]\nb = 1\n[a.b]\n", "[a]\nb = [1]\n[a.b]\n", "[a]\nb = [{}]\n[[a.b]]\n");
        check_error("[a]\nx = 1\n[a]\n", "<input>:3:2: table a is defined twice, first at line 1");
        check_error("[a]\nb = 1\n[a.b.c]\n", "<input>:3:4: a.b is already defined as an integer at line 2");
}

static void test_table_headers_invalid(void **state) {
        (void) state;
        ASSERT_ALL_INVALID("[]\n", "[a\n", "[a]b = 1\n", "[a.]\n", "[.a]\n", "[a..b]\n", "[a b]\n", "[[a]\n",
                           "[[a] ]\n", "[ [a]]\n", "[a]]\n", "[a\n]\n", "[\"a\n\"]\n", "[a] [b]\n", "[a]x\n",
                           "[\"\"\"a\"\"\"]\n", "[a]\n[[a]]]\n", "[[]]\n");
}

static void test_dotted_keys_define_tables(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root = parse_ok("[fruit]\n"
                                           "apple.color = \"red\"\n"
                                           "apple.taste.sweet = true\n"
                                           "[fruit.apple.texture]  # you can add sub-tables\n"
                                           "smooth = true\n");
        check_str(root, "fruit/apple/color", "red");
        check_bool(root, "fruit/apple/taste/sweet", true);
        check_bool(root, "fruit/apple/texture/smooth", true);
        ASSERT_ALL_INVALID("[fruit]\napple.color = \"red\"\n[fruit.apple]\n",
                           "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n[fruit.apple.taste]\n",
                           "a.b = 1\n[a]\n", "a.b.c = 1\n[a.b]\n", "[x]\na.b = 1\n[x.a]\n", "a.b = 1\n[[a]]\n",
                           "a.b = 1\n[[a.b]]\n");
        ASSERT_ALL_VALID("a.b = 1\n[a.c]\n", "a.b.c = 1\n[a.b.d]\nx = 1\n", "[x]\na.b = 1\n[[x.a.list]]\n");
        check_error("a.b = 1\n[a]\n", "<input>:2:2: table a is already defined by dotted keys at line 1");
}

static void test_dotted_keys_after_headers(void **state) {
        (void) state;
        /* dotted keys may not reach into a table a header defined */
        ASSERT_ALL_INVALID("[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n", "[a.b.c.d]\nz = 9\n[a]\nb.c.d.k.t = 1\n",
                           "[a.b]\nx = 1\n[a]\nb.y = 2\n", "[[tab.arr]]\n[tab]\narr.val1 = 1\n", "a = 1\na.b = 2\n",
                           "a = [1]\na.b = 2\n");
        check_error("[a.b]\nx = 1\n[a]\nb.y = 2\n",
                    "<input>:4:1: table b cannot take dotted keys: it is defined at line 1");
        /* ... but they may define into a table a header only passed through */
        CLEANUP(toml_freep) struct toml_value *root = parse_ok("[a.b.c]\nz = 9\n[a]\nb.d = 1\nb.e.f = 2\n");
        check_int(root, "a/b/c/z", 9);
        check_int(root, "a/b/d", 1);
        check_int(root, "a/b/e/f", 2);
        /* after which no header may name it */
        check_invalid("[a.b.c]\n[a]\nb.d = 1\n[a.b]\n");
}

static void test_duplicate_keys(void **state) {
        (void) state;
        ASSERT_ALL_INVALID("name = \"Tom\"\nname = \"Pradyun\"\n",
                           "spelling = \"favorite\"\n\"spelling\" = \"favourite\"\n", "a.b = 1\na.b = 2\n",
                           "a = 1\na.b = 2\n", "a.b = 1\na = 2\n", "a.b.c = 1\na.b = {}\n", "[t]\nx = 1\nx = 1\n",
                           "[[t]]\nx = 1\nx = 2\n", "a = {}\na = {}\n", "fruit.apple.smooth = true\nfruit.apple = 1\n");
        check_error("a = 1\n\n  a = 2\n", "<input>:3:3: duplicate key a (first defined at line 1)");
        check_error("x.\"y z\" = 1\nx . 'y z' = 2\n", "<input>:2:5: duplicate key x.\"y z\" (first defined at line 1)");
        /* the same key in different tables is fine */
        ASSERT_ALL_VALID("a = 1\n[t]\na = 2\n", "[[t]]\na = 1\n[[t]]\na = 1\n", "a.x = 1\nb.x = 1\n");
}

/* ---- arrays of tables -------------------------------------------------------------- */

static void test_array_of_tables(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root = parse_ok("[[products]]\nname = \"Hammer\"\nsku = 738594937\n\n"
                                           "[[products]]  # empty table within the array\n\n"
                                           "[[products]]\nname = \"Nail\"\nsku = 284758393\n"
                                           "color = \"gray\"\n"
                                           "[[ spaced . 'aot' ]]\n");
        assert_int_equal(len_of(root, "products"), 3);
        check_str(root, "products/0/name", "Hammer");
        check_int(root, "products/0/sku", 738594937);
        assert_int_equal(len_of(root, "products/1"), 0);
        check_str(root, "products/2/color", "gray");
        assert_int_equal(typed(root, "products/2", TOML_TABLE)->line, 7);
        assert_int_equal(len_of(root, "spaced/aot"), 1);
}

static void test_array_of_tables_nested(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root =
                parse_ok("[[fruits]]\nname = \"apple\"\n\n"
                         "[fruits.physical]  # subtable\ncolor = \"red\"\nshape = \"round\"\n\n"
                         "[[fruits.varieties]]  # nested array of tables\nname = \"red delicious\"\n\n"
                         "[[fruits.varieties]]\nname = \"granny smith\"\n\n"
                         "[[fruits]]\nname = \"banana\"\n\n"
                         "[[fruits.varieties]]\nname = \"plantain\"\n"
                         "[fruits.varieties.extra]\nripe = true\n"
                         "[[fruits.varieties.extra.list]]\nn = 1\n");
        assert_int_equal(len_of(root, "fruits"), 2);
        check_str(root, "fruits/0/physical/color", "red");
        assert_int_equal(len_of(root, "fruits/0/varieties"), 2);
        check_str(root, "fruits/0/varieties/1/name", "granny smith");
        check_str(root, "fruits/1/name", "banana");
        assert_int_equal(len_of(root, "fruits/1/varieties"), 1);
        check_str(root, "fruits/1/varieties/0/name", "plantain");
        check_bool(root, "fruits/1/varieties/0/extra/ripe", true);
        check_int(root, "fruits/1/varieties/0/extra/list/0/n", 1);
        /* the header of an array element may itself be implicit: [[a.b]] creates a */
        ASSERT_ALL_VALID("[[a.b]]\n[a]\nc = 1\n", "[[a.b]]\n[[a.b]]\n[a.c]\n", "[a]\n[[a.b]]\n[[a.b]]\n");
}

static void test_array_of_tables_invalid(void **state) {
        (void) state;
        ASSERT_ALL_INVALID("[fruit.physical]\ncolor = \"red\"\n[[fruit]]\nname = \"apple\"\n",
                           "fruits = []\n[[fruits]]\n", "fruits = [{}]\n[[fruits]]\n", "[[fruits]]\n[fruits]\n",
                           "[fruits]\n[[fruits]]\n",
                           "[[fruits]]\nname = \"apple\"\n[[fruits.varieties]]\nname = \"red\"\n[fruits.varieties]\n",
                           "[[fruits]]\n[fruits.varieties]\n[[fruits.varieties]]\n", "a = 1\n[[a]]\n",
                           "[[a]]\n[[a.b]]\nx = 1\n[a.b]\n", "a = [1]\n[a.b]\n");
        check_error("fruits = []\n[[fruits]]\n", "<input>:2:3: fruits is already defined as an array at line 1");
        check_error("[[a]]\n[a]\n", "<input>:2:2: a is already defined as an array of tables at line 1");
}

/* ---- positions, errors and encodings ------------------------------------------------ */

static void test_error_positions(void **state) {
        (void) state;
        check_error("a = 1\nb = \"unterminated\n", "<input>:2:5: unterminated string");
        check_error("a = 1\nb = 0x\n", "<input>:2:5: invalid integer: 0x");
        check_error("a = 1\n# ok\nb = \"\xff\"\n", "<input>:3:6: invalid UTF-8 byte 0xFF");
        check_error("k = \"é😀\" x\n", "<input>:1:10: expected the end of the line"); /* columns count characters */
        check_error("a = 1\r\nb = ?\r\n", "<input>:2:5: expected a value, found '?'");
        check_error("a = \"\\q\"\n", "<input>:1:6: invalid escape sequence \\q");
        check_error("a =\n", "<input>:1:4: expected a value");
        check_error("a\n", "<input>:1:2: expected '=' after a key");
        check_error("s = \"\"\"\nline\n\"\"\" x = 1\n", "<input>:3:5: expected the end of the line");
        check_error("a = [1, 2\n", "<input>:2:1: expected ',' or ']' in an array");
        check_error("\t\t[a\n", "<input>:1:5: expected ']' after a table name");
}

static void test_error_filename(void **state) {
        (void) state;
        struct toml_value *root = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(toml_parse("a = 1\na = 2\n", 12, "/etc/cric/cric.conf", &root, &err), -1);
        assert_null(root);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_string_equal(err->msg, "/etc/cric/cric.conf:2:1: duplicate key a (first defined at line 1)");
        /* a NULL err is allowed: the error is dropped */
        assert_int_equal(toml_parse("a = ", 4, NULL, &root, NULL), -1);
        assert_null(root);
}

static void test_value_positions(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root = parse_ok("a = 1\n"
                                           "[t]\n"
                                           "  s = \"x\"\n"
                                           "arr = [\n  10,\n    20 ]\n"
                                           "[[aot]]\n"
                                           "d.e = true\n");
        const struct toml_value *v = at(root, "a");
        assert_int_equal(v->line, 1);
        assert_int_equal(v->column, 5);
        v = at(root, "t/s");
        assert_int_equal(v->line, 3);
        assert_int_equal(v->column, 7);
        v = at(root, "t");
        assert_int_equal(v->line, 2);
        assert_int_equal(v->column, 1);
        v = at(root, "t/arr/1");
        assert_int_equal(v->line, 6);
        assert_int_equal(v->column, 5);
        v = at(root, "aot/0/d");
        assert_int_equal(v->line, 8);
        assert_int_equal(v->column, 1);
        assert_int_equal(at(root, "aot/0")->line, 7);
}

static void test_crlf_line_endings(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root = parse_ok("# comment\r\n"
                                           "a = 1\r\n"
                                           "[t]\r\n"
                                           "b = \"x\" # trailing\r\n"
                                           "ml = \"\"\"\r\none\r\ntwo\"\"\"\r\n"
                                           "\r\n"
                                           "c = [\r\n 1,\r\n]\r\n");
        check_int(root, "a", 1);
        check_str(root, "t/b", "x");
        check_str(root, "t/ml", "one\ntwo");
        assert_int_equal(at(root, "t/c")->line, 9);
        ASSERT_ALL_INVALID("a = 1\rb = 2\n", "a = 1\r", "# comment\r\n\r", "a = \"x\r\"\n");
        check_error("a = 1\n\rb = 2\n", "<input>:2:1: carriage return not followed by a line feed");
}

static void test_invalid_utf8(void **state) {
        (void) state;
        ASSERT_ALL_INVALID("a = \"\xff\"\n", "a = \"\xc0\x80\"\n", "a = \"\xc1\xbf\"\n", "a = \"\xe0\x80\x80\"\n",
                           "a = \"\xed\xa0\x80\"\n", "a = \"\xf4\x90\x80\x80\"\n", "a = \"\xf8\x88\x80\x80\x80\"\n",
                           "a = \"\xe2\x82\"\n", "a = \"\xe2\x82", "a = \"\x80\"\n", "# comment \xfe\n", "a = '\xc3'\n",
                           "\xc3\xa9 = 1\n", "a = 1 # \xf0\x9f\x98\n");
        CLEANUP(toml_freep)
        struct toml_value *root = parse_ok("a = \"\xf0\x9f\x98\x80 \xef\xbf\xbf\" # \xe2\x82\xac\n");
        check_str(root, "a", "\xf0\x9f\x98\x80 \xef\xbf\xbf");
}

static void test_control_characters(void **state) {
        (void) state;
        ASSERT_ALL_INVALID("# comment \x01\n", "# comment \x7f\n", "a = 1 # \x1b[0m\n", "a = 1\x0b\n",
                           "\x0c"
                           "a = 1\n",
                           "a = 1 # \x08\n");
        free(parse_len_err("a = 1\0\n", 7));
        free(parse_len_err("# \0\n", 4));
        AUTOFREE char *msg = parse_len_err("a = \"x\0\"\n", 9);
        assert_string_equal(msg, "<input>:1:7: control character U+0000 is not allowed");
        /* a tab is fine everywhere whitespace or text is */
        CLEANUP(toml_freep) struct toml_value *root = parse_ok("\ta\t=\t1\t#\tcomment\t\n");
        check_int(root, "a", 1);
}

static void test_byte_order_mark(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root = parse_ok("\xef\xbb\xbf"
                                           "a = 1\n");
        check_int(root, "a", 1);
        CLEANUP(toml_freep) struct toml_value *bom_only = parse_ok("\xef\xbb\xbf");
        assert_int_equal(bom_only->u.tab.len, 0);
        /* a BOM elsewhere is just a character, not allowed outside strings and comments */
        check_invalid("a = 1\n\xef\xbb\xbf"
                      "b = 2\n");
        check_error("\xef\xbb\xbf"
                    "a = ?\n",
                    "<input>:1:5: expected a value, found '?'");
}

static void test_length_bounded_input(void **state) {
        (void) state;
        /* text need not be NUL-terminated: only len bytes are read */
        const char buf[] = {'a', ' ', '=', ' ', '1', '2', 'Z', 'Z'};
        CLEANUP(toml_freep) struct toml_value *root = parse_len_ok(buf, 6);
        check_int(root, "a", 12);
        AUTOFREE char *msg = parse_len_err("s = \"abc\"", 7);
        assert_string_equal(msg, "<input>:1:5: unterminated string");
}

static void test_whitespace_and_line_structure(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root = parse_ok("   key1\t=\t\"v\"   \n"
                                           "key2=2\n"
                                           "\t\t[ t ]\t\n"
                                           "\n\n\n"
                                           "k = 3");
        check_str(root, "key1", "v");
        check_int(root, "key2", 2);
        check_int(root, "t/k", 3);
        ASSERT_ALL_INVALID("a = \"x\" \"y\"\n", "a = 1 2\n", "a = true false\n", "a = 1\n= 2\n", "a == 1\n",
                           "a = = 1\n", "a = 1 ]\n", "a = {} []\n");
}

/* ---- API helpers --------------------------------------------------------------------- */

static void test_table_get_and_type_name(void **state) {
        (void) state;
        CLEANUP(toml_freep) struct toml_value *root = parse_ok("a = 1\narr = [1]\n");
        assert_non_null(toml_table_get(root, "a"));
        assert_null(toml_table_get(root, "b"));
        assert_null(toml_table_get(root, NULL));
        assert_null(toml_table_get(NULL, "a"));
        assert_null(toml_table_get(toml_table_get(root, "a"), "a"));   /* not a table */
        assert_null(toml_table_get(toml_table_get(root, "arr"), "0")); /* not a table */
        assert_string_equal(toml_type_name(TOML_STRING), "string");
        assert_string_equal(toml_type_name(TOML_INTEGER), "integer");
        assert_string_equal(toml_type_name(TOML_FLOAT), "float");
        assert_string_equal(toml_type_name(TOML_BOOL), "boolean");
        assert_string_equal(toml_type_name(TOML_DATETIME), "datetime");
        assert_string_equal(toml_type_name(TOML_ARRAY), "array");
        assert_string_equal(toml_type_name(TOML_TABLE), "table");
        assert_string_equal(toml_type_name(TOML_TYPE_INVALID), "invalid");
        assert_string_equal(toml_type_name(TOML_TYPE_MAX), "invalid");
        assert_null(toml_free(NULL));
        toml_freep(NULL);
        struct toml_value *v = parse_ok("x = 1");
        toml_freep(&v);
        assert_null(v);
}

static void test_large_table(void **state) {
        (void) state;
        enum { N = 5000 };
        size_t cap = 0, len = 0;
        char *doc = NULL;
        for (int i = 0; i < N; i++) {
                char line[64];
                int n = snprintf(line, sizeof(line), "key%d = %d\n[t%d]\nx.y = 1\n", i, i, i);
                doc = xgrow(doc, &cap, len + (size_t) n + 1, 1);
                memcpy(doc + len, line, (size_t) n + 1);
                len += (size_t) n;
        }
        CLEANUP(toml_freep) struct toml_value *root = parse_len_ok(doc, len);
        assert_int_equal(root->u.tab.len, N + 1);
        assert_int_equal(len_of(root, "t4998"), 2);
        assert_int_equal(len_of(root, "t4999"), 1);
        check_int(root, "t4998/key4999", 4999);
        check_int(root, "t0/x/y", 1);
        /* a duplicate at the very end is still found */
        doc = xgrow(doc, &cap, len + 32, 1);
        strcpy(doc + len, "[t17]\n");
        free(parse_len_err(doc, strlen(doc)));
        free(doc);
}

static void test_parse_file(void **state) {
        (void) state;
        char path[] = "/tmp/test_toml_XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        const char *text = "[crio.runtime]\ndefault_runtime = \"runc\"\nbad = \n";
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
        struct toml_value *root = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(toml_parse_file(path, &root, &err), -1);
        assert_null(root);
        AUTOFREE char *want = xasprintf("%s:3:7: expected a value", path);
        assert_string_equal(err->msg, want);
        err = cric_error_free(err);

        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text) - 7), (ssize_t) strlen(text) - 7);
        close(fd);
        assert_int_equal(toml_parse_file(path, &root, &err), 0);
        check_str(root, "crio/runtime/default_runtime", "runc");
        root = toml_free(root);
        unlink(path);

        assert_int_equal(toml_parse_file(path, &root, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        assert_non_null(strstr(err->msg, path));
        assert_null(root);
}

/* ---- realistic documents ------------------------------------------------------------- */

static void test_spec_example(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root = parse_ok("# This is a TOML document\n\n"
                                           "title = \"TOML Example\"\n\n"
                                           "[owner]\nname = \"Tom Preston-Werner\"\n"
                                           "dob = 1979-05-27T07:32:00-08:00\n\n"
                                           "[database]\nenabled = true\nports = [ 8000, 8001, 8002 ]\n"
                                           "data = [ [\"delta\", \"phi\"], [3.14] ]\n"
                                           "temp_targets = { cpu = 79.5, case = 72.0 }\n\n"
                                           "[servers]\n\n"
                                           "[servers.alpha]\nip = \"10.0.0.1\"\nrole = \"frontend\"\n\n"
                                           "[servers.beta]\nip = \"10.0.0.2\"\nrole = \"backend\"\n");
        check_str(root, "title", "TOML Example");
        check_dt(root, "owner/dob", TOML_DT_OFFSET, "1979-05-27T07:32:00-08:00");
        check_bool(root, "database/enabled", true);
        check_int(root, "database/ports/2", 8002);
        check_str(root, "database/data/0/1", "phi");
        check_float(root, "database/data/1/0", 3.14);
        check_float(root, "database/temp_targets/case", 72.0);
        check_str(root, "servers/alpha/ip", "10.0.0.1");
        check_str(root, "servers/beta/role", "backend");
        assert_int_equal(len_of(root, "servers"), 2);
}

static void test_registries_conf(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root = parse_ok("# containers-registries.conf(5)\n"
                                           "unqualified-search-registries = [\"registry.fedoraproject.org\", "
                                           "\"registry.access.redhat.com\", \"docker.io\"]\n"
                                           "short-name-mode = \"enforcing\"\n\n"
                                           "[[registry]]\n"
                                           "prefix = \"example.com/foo\"\n"
                                           "insecure = false\n"
                                           "blocked = false\n"
                                           "location = \"internal-registry-for-example.com/bar\"\n\n"
                                           "[[registry.mirror]]\n"
                                           "location = \"example-mirror-0.local/mirror-for-foo\"\n\n"
                                           "[[registry.mirror]]\n"
                                           "location = \"example-mirror-1.local/mirrors/foo\"\n"
                                           "insecure = true\n\n"
                                           "[[registry]]\n"
                                           "location = \"registry.example.org\"\n"
                                           "[[registry.mirror]]\n"
                                           "location = \"mirror.example.org\"\n"
                                           "pull-from-mirror = \"digest-only\"\n\n"
                                           "[aliases]\n"
                                           "\"fedora\" = \"registry.fedoraproject.org/fedora\"\n"
                                           "\"ubi8\" = \"registry.access.redhat.com/ubi8\"\n");
        assert_int_equal(len_of(root, "unqualified-search-registries"), 3);
        check_str(root, "unqualified-search-registries/2", "docker.io");
        check_str(root, "short-name-mode", "enforcing");
        assert_int_equal(len_of(root, "registry"), 2);
        check_str(root, "registry/0/prefix", "example.com/foo");
        check_bool(root, "registry/0/insecure", false);
        assert_int_equal(len_of(root, "registry/0/mirror"), 2);
        check_str(root, "registry/0/mirror/0/location", "example-mirror-0.local/mirror-for-foo");
        check_bool(root, "registry/0/mirror/1/insecure", true);
        assert_int_equal(len_of(root, "registry/1/mirror"), 1);
        check_str(root, "registry/1/mirror/0/pull-from-mirror", "digest-only");
        check_str(root, "aliases/ubi8", "registry.access.redhat.com/ubi8");
        assert_int_equal(at(root, "registry/1")->line, 18);
}

static void test_crio_conf(void **state) {
        (void) state;
        CLEANUP(toml_freep)
        struct toml_value *root =
                parse_ok("# The CRI-O configuration file specifies all of the available configuration\n"
                         "[crio]\n"
                         "root = \"/var/lib/containers/storage\"\n"
                         "runroot = \"/run/containers/storage\"\n"
                         "storage_driver = \"overlay\"\n"
                         "storage_option = [\n\t\"overlay.mountopt=nodev,metacopy=on\",\n]\n"
                         "log_dir = \"/var/log/crio/pods\"\n\n"
                         "[crio.api]\n"
                         "listen = \"/var/run/crio/crio.sock\"\n"
                         "stream_port = \"0\"\n"
                         "grpc_max_send_msg_size = 83886080\n\n"
                         "[crio.runtime]\n"
                         "default_runtime = \"runc\"\n"
                         "conmon_cgroup = \"pod\"\n"
                         "cgroup_manager = \"systemd\"\n"
                         "default_capabilities = [\n\t\"CHOWN\",\n\t\"DAC_OVERRIDE\",\n\t\"FSETID\",  # more below\n]\n"
                         "default_ulimits = []\n"
                         "pids_limit = -1\n"
                         "log_size_max = -1\n\n"
                         "[crio.runtime.runtimes.runc]\n"
                         "runtime_path = \"\"\n"
                         "runtime_type = \"oci\"\n"
                         "runtime_root = \"/run/runc\"\n"
                         "allowed_annotations = [\n\t\"io.containers.trace-syscall\",\n]\n\n"
                         "[crio.runtime.runtimes.crun]\n"
                         "runtime_path = \"/usr/bin/crun\"\n"
                         "monitor_env = [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"]\n\n"
                         "[crio.runtime.workloads.management]\n"
                         "activation_annotation = \"target.workload.openshift.io/management\"\n"
                         "resources = { \"cpushares\" = 0, \"cpuset\" = \"0-1\" }\n\n"
                         "[crio.image]\n"
                         "pause_image = \"registry.k8s.io/pause:3.9\"\n"
                         "insecure_registries = []\n\n"
                         "[crio.metrics]\n"
                         "enable_metrics = false\n"
                         "metrics_port = 9090\n");
        check_str(root, "crio/root", "/var/lib/containers/storage");
        check_str(root, "crio/storage_option/0", "overlay.mountopt=nodev,metacopy=on");
        check_int(root, "crio/api/grpc_max_send_msg_size", 83886080);
        check_str(root, "crio/runtime/default_runtime", "runc");
        check_str(root, "crio/runtime/default_capabilities/2", "FSETID");
        check_int(root, "crio/runtime/pids_limit", -1);
        assert_int_equal(len_of(root, "crio/runtime/default_ulimits"), 0);
        assert_int_equal(len_of(root, "crio/runtime/runtimes"), 2);
        check_str(root, "crio/runtime/runtimes/runc/runtime_path", "");
        check_str(root, "crio/runtime/runtimes/runc/allowed_annotations/0", "io.containers.trace-syscall");
        check_str(root, "crio/runtime/runtimes/crun/runtime_path", "/usr/bin/crun");
        check_str(root, "crio/runtime/workloads/management/resources/cpuset", "0-1");
        check_bool(root, "crio/metrics/enable_metrics", false);
        const struct toml_value *runc = at(root, "crio/runtime/runtimes/runc");
        assert_int_equal(runc->line, 29);
        assert_int_equal(runc->column, 1);
}

/* ---- writer helpers ------------------------------------------------------------------ */

static void check_string_roundtrip(const char *s) {
        AUTOFREE char *q = toml_quote_string(s);
        AUTOFREE char *doc = xasprintf("k = %s\n", q);
        CLEANUP(toml_freep) struct toml_value *root = parse_ok(doc);
        check_str(root, "k", s);
}

static void test_quote_string(void **state) {
        (void) state;
        const struct {
                const char *in, *out;
        } cases[] = {
                {"", "\"\""},
                {"plain", "\"plain\""},
                {"say \"hi\"", "\"say \\\"hi\\\"\""},
                {"C:\\dir\\", "\"C:\\\\dir\\\\\""},
                {"a\tb\nc\rd\be\ff", "\"a\\tb\\nc\\rd\\be\\ff\""},
                {"\x01\x1f\x7f", "\"\\u0001\\u001F\\u007F\""},
                {"\x1b[0m", "\"\\u001B[0m\""},
                {"é😀", "\"é😀\""},
                {"'''", "\"'''\""},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                AUTOFREE char *q = toml_quote_string(cases[i].in);
                assert_string_equal(q, cases[i].out);
        }
        AUTOFREE char *null_q = toml_quote_string(NULL);
        assert_string_equal(null_q, "\"\"");
}

static void test_quote_string_roundtrip(void **state) {
        (void) state;
        const char *strings[] = {"",
                                 "plain",
                                 "with \"quotes\" and 'apostrophes'",
                                 "back\\slash\\",
                                 "tab\there",
                                 "multi\nline\r\n",
                                 "\b\f\x01\x02\x1f\x7f",
                                 "é ʎǝʞ 😀 \xef\xbf\xbf",
                                 "\"\"\"",
                                 "'''",
                                 "# not a comment",
                                 "[not a table]",
                                 "\\u0041",
                                 "trailing backslash\\",
                                 "   spaces   ",
                                 "\x1b[31mred\x1b[0m",
                                 "key = \"value\""};
        for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
                check_string_roundtrip(strings[i]);
        /* every single byte value that is valid UTF-8 on its own */
        for (int c = 1; c < 0x80; c++) {
                char s[2] = {(char) c, 0};
                check_string_roundtrip(s);
        }
}

static void test_quote_string_invalid_utf8(void **state) {
        (void) state;
        /* bytes that are not UTF-8 cannot be written in TOML; they become U+FFFD */
        AUTOFREE char *q = toml_quote_string("a\xff"
                                             "b\xc3");
        assert_string_equal(q, "\"a\\uFFFDb\\uFFFD\"");
        AUTOFREE char *q2 = toml_quote_string("\xed\xa0\x80"); /* a surrogate: three bad bytes */
        assert_string_equal(q2, "\"\\uFFFD\\uFFFD\\uFFFD\"");
        check_value_str(q, "a\xef\xbf\xbd"
                           "b\xef\xbf\xbd");
}

static void check_key_roundtrip(const char *key, const char *want_quoted) {
        AUTOFREE char *q = toml_quote_key(key);
        if (want_quoted)
                assert_string_equal(q, want_quoted);
        AUTOFREE char *doc = xasprintf("%s = 1\n[t.%s]\n[[a.%s.%s]]\n", q, q, q, q);
        CLEANUP(toml_freep) struct toml_value *root = parse_ok(doc);
        assert_int_equal(root->u.tab.len, 3);
        assert_string_equal(root->u.tab.keys[0], key);
        assert_string_equal(at(root, "t")->u.tab.keys[0], key);
        const struct toml_value *a = toml_table_get(toml_table_get(root, "a"), key);
        assert_non_null(a);
        assert_string_equal(a->u.tab.keys[0], key);
}

static void test_quote_key(void **state) {
        (void) state;
        check_key_roundtrip("simple", "simple");
        check_key_roundtrip("with-dash_and_underscore09", "with-dash_and_underscore09");
        check_key_roundtrip("1234", "1234");
        check_key_roundtrip("", "\"\"");
        check_key_roundtrip("a.b", "\"a.b\"");
        check_key_roundtrip("with space", "\"with space\"");
        check_key_roundtrip("ʎǝʞ", "\"ʎǝʞ\"");
        check_key_roundtrip("quote\"and\\back", "\"quote\\\"and\\\\back\"");
        check_key_roundtrip("new\nline", "\"new\\nline\"");
        check_key_roundtrip("=", "\"=\"");
        check_key_roundtrip("#", "\"#\"");
        check_key_roundtrip("[a]", "\"[a]\"");
        check_key_roundtrip("io.kubernetes.cri-o.Devices", "\"io.kubernetes.cri-o.Devices\"");
        AUTOFREE char *null_key = toml_quote_key(NULL);
        assert_string_equal(null_key, "\"\"");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty_document),
                cmocka_unit_test(test_comments),
                cmocka_unit_test(test_bare_keys),
                cmocka_unit_test(test_quoted_keys),
                cmocka_unit_test(test_dotted_keys),
                cmocka_unit_test(test_invalid_keys),
                cmocka_unit_test(test_basic_string_escapes),
                cmocka_unit_test(test_basic_string_unicode_escapes),
                cmocka_unit_test(test_basic_string_invalid),
                cmocka_unit_test(test_literal_strings),
                cmocka_unit_test(test_multiline_basic_strings),
                cmocka_unit_test(test_multiline_line_ending_backslash),
                cmocka_unit_test(test_multiline_basic_quotes),
                cmocka_unit_test(test_multiline_literal_strings),
                cmocka_unit_test(test_string_control_characters),
                cmocka_unit_test(test_integers_decimal),
                cmocka_unit_test(test_integers_prefixed),
                cmocka_unit_test(test_integer_limits),
                cmocka_unit_test(test_integers_invalid),
                cmocka_unit_test(test_floats),
                cmocka_unit_test(test_float_special_values),
                cmocka_unit_test(test_floats_invalid),
                cmocka_unit_test(test_booleans),
                cmocka_unit_test(test_offset_datetime),
                cmocka_unit_test(test_local_datetime),
                cmocka_unit_test(test_local_date),
                cmocka_unit_test(test_local_time),
                cmocka_unit_test(test_datetime_invalid),
                cmocka_unit_test(test_arrays),
                cmocka_unit_test(test_arrays_mixed_and_nested),
                cmocka_unit_test(test_arrays_multiline),
                cmocka_unit_test(test_arrays_invalid),
                cmocka_unit_test(test_nesting_limit),
                cmocka_unit_test(test_inline_tables),
                cmocka_unit_test(test_inline_tables_invalid),
                cmocka_unit_test(test_inline_tables_immutable),
                cmocka_unit_test(test_tables),
                cmocka_unit_test(test_tables_implicit),
                cmocka_unit_test(test_tables_defined_twice),
                cmocka_unit_test(test_table_headers_invalid),
                cmocka_unit_test(test_dotted_keys_define_tables),
                cmocka_unit_test(test_dotted_keys_after_headers),
                cmocka_unit_test(test_duplicate_keys),
                cmocka_unit_test(test_array_of_tables),
                cmocka_unit_test(test_array_of_tables_nested),
                cmocka_unit_test(test_array_of_tables_invalid),
                cmocka_unit_test(test_error_positions),
                cmocka_unit_test(test_error_filename),
                cmocka_unit_test(test_value_positions),
                cmocka_unit_test(test_crlf_line_endings),
                cmocka_unit_test(test_invalid_utf8),
                cmocka_unit_test(test_control_characters),
                cmocka_unit_test(test_byte_order_mark),
                cmocka_unit_test(test_length_bounded_input),
                cmocka_unit_test(test_whitespace_and_line_structure),
                cmocka_unit_test(test_table_get_and_type_name),
                cmocka_unit_test(test_large_table),
                cmocka_unit_test(test_parse_file),
                cmocka_unit_test(test_spec_example),
                cmocka_unit_test(test_registries_conf),
                cmocka_unit_test(test_crio_conf),
                cmocka_unit_test(test_quote_string),
                cmocka_unit_test(test_quote_string_roundtrip),
                cmocka_unit_test(test_quote_string_invalid_utf8),
                cmocka_unit_test(test_quote_key),
        };
        return cmocka_run_group_tests_name("toml", tests, NULL, NULL);
}
