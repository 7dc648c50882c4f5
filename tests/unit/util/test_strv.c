#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "util/strv.h"

static void test_join(void **state) {
        (void) state;
        char *v[] = {"a", "bc", "", "d", NULL};
        char *s = strv_join(v, ", ");
        assert_string_equal(s, "a, bc, , d");
        free(s);
        s = strv_join(NULL, ",");
        assert_string_equal(s, "");
        free(s);
        char *one[] = {"x", NULL};
        s = strv_join(one, ",");
        assert_string_equal(s, "x");
        free(s);
}

static void test_split(void **state) {
        (void) state;
        char **v = strv_split(",10.0.0.0/8,, fd00::/64 ", ", ");
        assert_int_equal(strv_length(v), 2);
        assert_string_equal(v[0], "10.0.0.0/8");
        assert_string_equal(v[1], "fd00::/64");
        strv_free(v);
        v = strv_split("", ",");
        assert_non_null(v);
        assert_int_equal(strv_length(v), 0);
        strv_free(v);
        v = strv_split(NULL, ",");
        assert_int_equal(strv_length(v), 0);
        strv_free(v);
}

static void test_push_contains_remove(void **state) {
        (void) state;
        char **v = NULL;
        strv_push(&v, "a");
        strv_push(&v, "b");
        strv_push(&v, "a");
        assert_true(strv_contains(v, "b"));
        assert_int_equal(strv_remove(v, "a"), 2);
        assert_int_equal(strv_length(v), 1);
        assert_false(strv_contains(v, "a"));
        strv_free(v);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_join),
                cmocka_unit_test(test_split),
                cmocka_unit_test(test_push_contains_remove),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
