/* The streaming server's one-time tokens, and the duration settings it reads. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "streaming/tokens.h"
#include "testlib.h"
#include "util/xalloc.h"

static struct stream_request *request(const char *id) {
        struct stream_request *r = xzalloc(sizeof(*r));
        r->kind = STREAM_EXEC;
        r->id = xstrdup(id);
        return r;
}

static bool is_base64url(const char *t) {
        for (; *t; t++)
                if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *t))
                        return false;
        return true;
}

static void test_a_token_is_good_once(void **state) {
        (void) state;
        struct token_cache *c = token_cache_new(10, 60000);
        char t[STREAM_TOKEN_LEN + 1];
        struct cric_error *err = NULL;
        assert_int_equal(token_cache_put(c, request("ctr1"), t, &err), 0);
        assert_int_equal(strlen(t), STREAM_TOKEN_LEN);
        assert_true(is_base64url(t));
        struct stream_request *r = token_cache_take(c, t);
        assert_non_null(r);
        assert_string_equal(r->id, "ctr1");
        stream_request_free(r);
        assert_null(token_cache_take(c, t));
        assert_int_equal(token_cache_size(c), 0);
        token_cache_free(c);
}

static void test_unknown_tokens_open_nothing(void **state) {
        (void) state;
        struct token_cache *c = token_cache_new(10, 60000);
        char t[STREAM_TOKEN_LEN + 1];
        struct cric_error *err = NULL;
        assert_int_equal(token_cache_put(c, request("ctr1"), t, &err), 0);
        char other[STREAM_TOKEN_LEN + 1];
        memcpy(other, t, sizeof(other));
        other[5] = other[5] == 'A' ? 'B' : 'A';
        assert_null(token_cache_take(c, other));
        assert_null(token_cache_take(c, ""));
        assert_null(token_cache_take(c, NULL));
        char longer[STREAM_TOKEN_LEN + 2];
        snprintf(longer, sizeof(longer), "%sx", t);
        assert_null(token_cache_take(c, longer));
        assert_null(token_cache_take(c, "x"));
        assert_int_equal(token_cache_size(c), 1); /* the real one is still there */
        stream_request_free(token_cache_take(c, t));
        token_cache_free(c);
}

static void test_tokens_differ(void **state) {
        (void) state;
        struct token_cache *c = token_cache_new(100, 60000);
        char t[100][STREAM_TOKEN_LEN + 1];
        struct cric_error *err = NULL;
        for (int i = 0; i < 100; i++)
                assert_int_equal(token_cache_put(c, request("ctr"), t[i], &err), 0);
        for (int i = 0; i < 100; i++)
                for (int k = i + 1; k < 100; k++)
                        assert_string_not_equal(t[i], t[k]);
        token_cache_free(c); /* frees the requests still in it */
}

static void test_full_cache_refuses_until_one_is_taken(void **state) {
        (void) state;
        struct token_cache *c = token_cache_new(2, 60000);
        char a[STREAM_TOKEN_LEN + 1], b[STREAM_TOKEN_LEN + 1], x[STREAM_TOKEN_LEN + 1];
        struct cric_error *err = NULL;
        assert_int_equal(token_cache_put(c, request("a"), a, &err), 0);
        assert_int_equal(token_cache_put(c, request("b"), b, &err), 0);
        assert_contains(testlib_error_is(token_cache_put(c, request("c"), x, &err), &err, CRIC_E_RESOURCE),
                        "already wait");
        cric_error_freep(&err);
        stream_request_free(token_cache_take(c, a));
        assert_int_equal(token_cache_put(c, request("c"), x, &err), 0);
        token_cache_free(c);
}

static int64_t mono_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_unused_tokens_expire(void **state) {
        (void) state;
        struct token_cache *c = token_cache_new(1, 20);
        char t[STREAM_TOKEN_LEN + 1], u[STREAM_TOKEN_LEN + 1];
        struct cric_error *err = NULL;
        int64_t t0 = mono_ms();
        assert_int_equal(token_cache_put(c, request("old"), t, &err), 0);
        assert_true(WAIT_UNTIL(mono_ms() > t0 + 40, 5000));
        assert_null(token_cache_take(c, t));
        /* the expired one no longer takes the only place */
        assert_int_equal(token_cache_put(c, request("new"), u, &err), 0);
        token_cache_free(c);
}

static void test_durations(void **state) {
        (void) state;
        static const struct {
                const char *text;
                int64_t ms;
        } ok[] = {{"", 0},        {"0", 0},       {"4h", 4 * 3600000}, {"1h30m", 5400000},
                  {"90s", 90000}, {"250ms", 250}, {"1.5s", 1500},      {"2m3s", 123000}};
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                int64_t ms = -1;
                struct cric_error *err = NULL;
                assert_int_equal(config_duration_ms(ok[i].text, &ms, &err), 0);
                assert_int_equal(ms, ok[i].ms);
        }
        static const char *const bad[] = {"4", "h", "4x", "-1s", "1s ", "s1", "1d", "inf"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                int64_t ms = 0;
                struct cric_error *err = NULL;
                assert_contains(testlib_error_is(config_duration_ms(bad[i], &ms, &err), &err, CRIC_E_INVALID), bad[i]);
                cric_error_freep(&err);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_a_token_is_good_once),
                cmocka_unit_test(test_unknown_tokens_open_nothing),
                cmocka_unit_test(test_tokens_differ),
                cmocka_unit_test(test_full_cache_refuses_until_one_is_taken),
                cmocka_unit_test(test_unused_tokens_expire),
                cmocka_unit_test(test_durations),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
