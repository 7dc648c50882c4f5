/* server/stream_queue.c: the send queue of a streaming call is bounded by messages and
 * bytes, is FIFO, and frees what it drops. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "server/stream_queue.h"
#include "util/xalloc.h"

static int freed;

static void count_free(void *p) {
        freed++;
        free(p);
}

static int *item(int v) {
        int *p = xmalloc(sizeof(*p));
        *p = v;
        return p;
}

static void test_fifo_order(void **state) {
        (void) state;
        struct stream_queue q;
        stream_queue_init(&q, 8, 1000, count_free);
        for (int i = 0; i < 5; i++)
                assert_int_equal(stream_queue_push(&q, item(i), 10), 0);
        assert_int_equal(q.n, 5);
        assert_int_equal(q.bytes, 50);
        for (int i = 0; i < 5; i++) {
                int *p = stream_queue_pop(&q);
                assert_non_null(p);
                assert_int_equal(*p, i);
                free(p);
        }
        assert_null(stream_queue_pop(&q));
        assert_int_equal(q.n, 0);
        assert_int_equal(q.bytes, 0);
}

static void test_bounded_by_count(void **state) {
        (void) state;
        struct stream_queue q;
        stream_queue_init(&q, 3, 1u << 20, count_free);
        for (int i = 0; i < 3; i++)
                assert_int_equal(stream_queue_push(&q, item(i), 1), 0);
        assert_false(stream_queue_has_room(&q, 1));
        int *extra = item(9);
        assert_int_equal(stream_queue_push(&q, extra, 1), -1); /* refused: still the caller's */
        free(extra);
        assert_int_equal(q.n, 3);
        free(stream_queue_pop(&q)); /* the client took one: room again */
        assert_true(stream_queue_has_room(&q, 1));
        freed = 0;
        stream_queue_clear(&q);
        assert_int_equal(freed, 2);
}

static void test_bounded_by_bytes(void **state) {
        (void) state;
        struct stream_queue q;
        stream_queue_init(&q, 100, 1000, count_free);
        assert_int_equal(stream_queue_push(&q, item(0), 600), 0);
        assert_true(stream_queue_has_room(&q, 400));
        assert_false(stream_queue_has_room(&q, 401));
        int *extra = item(1);
        assert_int_equal(stream_queue_push(&q, extra, 401), -1);
        free(extra);
        assert_int_equal(q.bytes, 600);
        freed = 0;
        stream_queue_clear(&q);
        assert_int_equal(freed, 1);
        assert_int_equal(q.bytes, 0);
}

/* A message larger than the byte bound still goes out, alone. */
static void test_oversized_message_alone(void **state) {
        (void) state;
        struct stream_queue q;
        stream_queue_init(&q, 4, 100, count_free);
        assert_int_equal(stream_queue_push(&q, item(0), 5000), 0);
        assert_false(stream_queue_has_room(&q, 1));
        freed = 0;
        stream_queue_clear(&q);
        assert_int_equal(freed, 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fifo_order),
                cmocka_unit_test(test_bounded_by_count),
                cmocka_unit_test(test_bounded_by_bytes),
                cmocka_unit_test(test_oversized_message_alone),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
