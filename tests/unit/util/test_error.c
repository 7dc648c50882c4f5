#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"
#include "util/xalloc.h"

static int fail_open(struct cric_error **err) {
        return cric_error_errno(err, CRIC_E_NOT_FOUND, ENOENT, "open %s", "/x");
}

static void test_set_and_free(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(cric_error_set(&err, CRIC_E_INVALID, "bad %d", 42), -1);
        assert_non_null(err);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_int_equal(err->errno_value, 0);
        assert_string_equal(err->msg, "bad 42");
}

static void test_errno_appends_strerror(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(fail_open(&err), -1);
        assert_int_equal(err->errno_value, ENOENT);
        assert_string_equal(err->msg, "open /x: No such file or directory");
}

static void test_prefix_reads_like_a_path(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        fail_open(&err);
        cric_error_prefix(&err, "load %s", "cfg");
        cric_error_prefix(&err, "start");
        assert_string_equal(err->msg, "start: load cfg: open /x: No such file or directory");
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
}

static void test_prefix_without_error_is_harmless(void **state) {
        (void) state;
        struct cric_error *err = NULL;
        assert_int_equal(cric_error_prefix(&err, "ctx"), -1);
        assert_null(err);
        assert_int_equal(cric_error_prefix(NULL, "ctx"), -1);
}

static void test_null_err_drops_error(void **state) {
        (void) state;
        assert_int_equal(cric_error_set(NULL, CRIC_E_INTERNAL, "dropped"), -1);
}

static void test_second_error_replaces_first(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        cric_error_set(&err, CRIC_E_INVALID, "first");
        cric_error_set(&err, CRIC_E_EXISTS, "second");
        assert_string_equal(err->msg, "second");
        assert_int_equal(err->kind, CRIC_E_EXISTS);
}

static void test_log_free_clears(void **state) {
        (void) state;
        struct cric_error *err = NULL;
        log_set_level(LOG_LEVEL_ERROR); /* keep the test output quiet */
        cric_error_set(&err, CRIC_E_INTERNAL, "warned");
        cric_error_log_free(&err, "doing %s, ignoring", "x");
        assert_null(err);
        log_set_level(LOG_LEVEL_INFO);
}

static void test_kind_names(void **state) {
        (void) state;
        assert_string_equal(cric_error_kind_name(CRIC_E_NOT_FOUND), "not found");
        assert_string_equal(cric_error_kind_name(CRIC_E_KIND_INVALID), "unknown");
        for (int k = 0; k < CRIC_E_KIND_MAX; k++)
                assert_non_null(cric_error_kind_name((enum cric_error_kind) k));
}

static void test_log_levels_parse(void **state) {
        (void) state;
        assert_int_equal(log_level_from_string("debug"), LOG_LEVEL_DEBUG);
        assert_int_equal(log_level_from_string("WARN"), LOG_LEVEL_WARN);
        assert_int_equal(log_level_from_string("warning"), LOG_LEVEL_WARN);
        assert_int_equal(log_level_from_string("fatal"), LOG_LEVEL_ERROR);
        assert_int_equal(log_level_from_string("loud"), LOG_LEVEL_INVALID);
        assert_int_equal(log_level_from_string(NULL), LOG_LEVEL_INVALID);
        assert_string_equal(log_level_to_string(LOG_LEVEL_TRACE), "trace");
        assert_int_equal(log_format_from_string("json"), LOG_FORMAT_JSON);
        assert_int_equal(log_format_from_string("xml"), LOG_FORMAT_INVALID);
}

static void test_move(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct cric_error *e = NULL;
        cric_error_set(&e, CRIC_E_NOT_FOUND, "first");
        assert_int_equal(cric_error_move(&err, &e), -1);
        assert_null(e);
        assert_string_equal(err->msg, "first");
        /* the newer error wins; the older one is freed (LSan would see a leak) */
        cric_error_set(&e, CRIC_E_TIMEOUT, "second");
        assert_int_equal(cric_error_move(&err, &e), -1);
        assert_null(e);
        assert_int_equal(err->kind, CRIC_E_TIMEOUT);
        assert_string_equal(err->msg, "second");
        /* nothing to move: *err stays */
        assert_int_equal(cric_error_move(&err, &e), -1);
        assert_string_equal(err->msg, "second");
        assert_int_equal(cric_error_move(&err, NULL), -1);
        assert_string_equal(err->msg, "second");
        /* no destination: dropped */
        cric_error_set(&e, CRIC_E_INTERNAL, "dropped");
        assert_int_equal(cric_error_move(NULL, &e), -1);
        assert_null(e);
        /* onto itself: kept */
        assert_int_equal(cric_error_move(&err, &err), -1);
        assert_string_equal(err->msg, "second");
}

static void test_json_quote(void **state) {
        (void) state;
        AUTOFREE char *a = json_quote("plain");
        assert_string_equal(a, "\"plain\"");
        AUTOFREE char *b = json_quote("q\"b\\n\n\t\x01");
        assert_string_equal(b, "\"q\\\"b\\\\n\\n\\t\\u0001\"");
        AUTOFREE char *c = json_quote("h\xc3\xa9");
        assert_string_equal(c, "\"h\xc3\xa9\"");
}

static void test_xgrow(void **state) {
        (void) state;
        size_t cap = 0;
        int *v = xgrow(NULL, &cap, 5, sizeof(int));
        assert_true(cap >= 5);
        for (int i = 0; i < 5; i++)
                v[i] = i;
        v = xgrow(v, &cap, 100, sizeof(int));
        assert_true(cap >= 100);
        assert_int_equal(v[4], 4);
        free(v);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_set_and_free),
                cmocka_unit_test(test_errno_appends_strerror),
                cmocka_unit_test(test_prefix_reads_like_a_path),
                cmocka_unit_test(test_prefix_without_error_is_harmless),
                cmocka_unit_test(test_null_err_drops_error),
                cmocka_unit_test(test_second_error_replaces_first),
                cmocka_unit_test(test_log_free_clears),
                cmocka_unit_test(test_kind_names),
                cmocka_unit_test(test_log_levels_parse),
                cmocka_unit_test(test_move),
                cmocka_unit_test(test_json_quote),
                cmocka_unit_test(test_xgrow),
        };
        return cmocka_run_group_tests_name("util_error", tests, NULL, NULL);
}
