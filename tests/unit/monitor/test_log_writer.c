/* The CRI log writer: F and P entries, lines split over reads and over 16 KiB,
 * the exit flush, size-based truncation and reopen. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/internal.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define TS "2016-10-06T00:17:09.669794202Z"

static void fixed_clock(struct timespec *ts) {
        ts->tv_sec = 1475713029;
        ts->tv_nsec = 669794202;
}

struct fixture {
        char *dir;
        char *path;
        struct log_writer w;
};

static int setup(void **state) {
        struct fixture *f = xzalloc(sizeof(*f));
        f->dir = testlib_tmpdir("log-test");
        f->path = xasprintf("%s/0.log", f->dir);
        struct cric_error *err = NULL;
        if (log_writer_open(&f->w, f->path, 0, &err) < 0)
                return -1;
        f->w.clock = fixed_clock;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        log_writer_close(&f->w);
        int r = testlib_rmtree(f->dir);
        free(f->dir);
        free(f->path);
        free(f);
        return r;
}

static void put(struct fixture *f, int stream, const char *s) {
        struct cric_error *err = NULL;
        assert_int_equal(log_writer_write(&f->w, stream, s, strlen(s), &err), 0);
        assert_null(err);
}

static void assert_log(struct fixture *f, const char *expected) {
        AUTOFREE char *got = testlib_read_file("%s", f->path);
        assert_string_equal(got, expected);
}

static void test_timestamp_format(void **state) {
        (void) state;
        char buf[64];
        struct timespec ts;
        fixed_clock(&ts);
        assert_int_equal(log_format_timestamp(&ts, buf, sizeof(buf)), strlen(TS));
        assert_string_equal(buf, TS);
        ts = (struct timespec){.tv_sec = 0, .tv_nsec = 5};
        log_format_timestamp(&ts, buf, sizeof(buf));
        assert_string_equal(buf, "1970-01-01T00:00:00.000000005Z");
        assert_int_equal(log_format_timestamp(&ts, buf, 10), 0);
}

static void test_full_lines(void **state) {
        struct fixture *f = *state;
        put(f, MONITOR_STREAM_STDOUT, "one\ntwo\n");
        put(f, MONITOR_STREAM_STDERR, "three\n");
        assert_log(f, TS " stdout F one\n" TS " stdout F two\n" TS " stderr F three\n");
}

static void test_line_over_several_reads(void **state) {
        struct fixture *f = *state;
        put(f, MONITOR_STREAM_STDOUT, "hel");
        assert_log(f, "");
        put(f, MONITOR_STREAM_STDOUT, "lo\nwor");
        put(f, MONITOR_STREAM_STDOUT, "ld\n");
        assert_log(f, TS " stdout F hello\n" TS " stdout F world\n");
}

static void test_streams_keep_their_own_lines(void **state) {
        struct fixture *f = *state;
        put(f, MONITOR_STREAM_STDOUT, "a");
        put(f, MONITOR_STREAM_STDERR, "b\n");
        put(f, MONITOR_STREAM_STDOUT, "c\n");
        assert_log(f, TS " stderr F b\n" TS " stdout F ac\n");
}

static void test_empty_line(void **state) {
        struct fixture *f = *state;
        put(f, MONITOR_STREAM_STDOUT, "\n\n");
        assert_log(f, TS " stdout F \n" TS " stdout F \n");
}

static char *repeat(char c, size_t n, const char *tail) {
        char *s = xmalloc(n + strlen(tail) + 1);
        memset(s, c, n);
        strcpy(s + n, tail);
        return s;
}

static void test_long_line_is_split(void **state) {
        struct fixture *f = *state;
        AUTOFREE char *line = repeat('a', 40960, "\n");
        put(f, MONITOR_STREAM_STDOUT, line);
        AUTOFREE char *a16 = repeat('a', 16384, "");
        AUTOFREE char *a8 = repeat('a', 8192, "");
        AUTOFREE char *expected = xasprintf(TS " stdout P %s\n" TS " stdout P %s\n" TS " stdout F %s\n", a16, a16, a8);
        assert_log(f, expected);
}

static void test_long_line_split_over_reads(void **state) {
        struct fixture *f = *state;
        AUTOFREE char *part = repeat('b', 10000, "");
        put(f, MONITOR_STREAM_STDERR, part);
        put(f, MONITOR_STREAM_STDERR, part);
        put(f, MONITOR_STREAM_STDERR, "end\n");
        AUTOFREE char *b16 = repeat('b', 16384, "");
        AUTOFREE char *rest = repeat('b', 20000 - 16384, "end");
        AUTOFREE char *expected = xasprintf(TS " stderr P %s\n" TS " stderr F %s\n", b16, rest);
        assert_log(f, expected);
}

static void test_exactly_max_is_one_full_entry(void **state) {
        struct fixture *f = *state;
        AUTOFREE char *line = repeat('c', MONITOR_LOG_LINE_MAX, "");
        put(f, MONITOR_STREAM_STDOUT, line);
        put(f, MONITOR_STREAM_STDOUT, "\n");
        AUTOFREE char *expected = xasprintf(TS " stdout F %s\n", line);
        assert_log(f, expected);
}

static void test_flush_writes_open_lines_as_partial(void **state) {
        struct fixture *f = *state;
        struct cric_error *err = NULL;
        put(f, MONITOR_STREAM_STDOUT, "done\nno-newline");
        put(f, MONITOR_STREAM_STDERR, "err-tail");
        assert_int_equal(log_writer_flush(&f->w, &err), 0);
        assert_int_equal(log_writer_flush(&f->w, &err), 0); /* nothing twice */
        assert_log(f, TS " stdout F done\n" TS " stdout P no-newline\n" TS " stderr P err-tail\n");
}

static void test_unknown_stream_is_stdout(void **state) {
        struct fixture *f = *state;
        put(f, 7, "x\n");
        assert_log(f, TS " stdout F x\n");
}

static void test_size_max_truncates(void **state) {
        struct fixture *f = *state;
        f->w.size_max = 200; /* each entry below is 47 bytes: 4 fit */
        for (int i = 0; i < 12; i++) {
                char line[32];
                snprintf(line, sizeof(line), "line%02d\n", i);
                put(f, MONITOR_STREAM_STDOUT, line);
                AUTOFREE char *got = testlib_read_file("%s", f->path);
                assert_true(strlen(got) <= 200);
        }
        /* line04 and line08 started new files */
        assert_log(f, TS " stdout F line08\n" TS " stdout F line09\n" TS " stdout F line10\n" TS " stdout F line11\n");
}

/* The kubelet renamed the file and asked for a reopen: the limit counts from the new
 * file; and an existing file's size counts when the monitor opens it (restart). */
static void test_size_max_after_reopen_and_on_open(void **state) {
        struct fixture *f = *state;
        f->w.size_max = 200;
        for (int i = 0; i < 3; i++)
                put(f, MONITOR_STREAM_STDOUT, "abcdef\n");
        AUTOFREE char *rotated = xasprintf("%s.1", f->path);
        assert_int_equal(rename(f->path, rotated), 0);
        struct cric_error *err = NULL;
        assert_int_equal(log_writer_reopen(&f->w, &err), 0);
        for (int i = 0; i < 4; i++)
                put(f, MONITOR_STREAM_STDOUT, "ghijkl\n");
        /* four entries of 47 bytes fit in the new file: nothing was truncated */
        AUTOFREE char *got = testlib_read_file("%s", f->path);
        assert_int_equal(strlen(got), 4 * 47);
        AUTOFREE char *old = testlib_read_file("%s", rotated);
        assert_int_equal(strlen(old), 3 * 47);
        log_writer_close(&f->w);
        assert_int_equal(log_writer_open(&f->w, f->path, 200, &err), 0);
        f->w.clock = fixed_clock;
        put(f, MONITOR_STREAM_STDOUT, "mnopqr\n"); /* 4 * 47 + 47 > 200: a fresh file */
        assert_log(f, TS " stdout F mnopqr\n");
}

static void test_reopen_starts_a_new_file(void **state) {
        struct fixture *f = *state;
        struct cric_error *err = NULL;
        put(f, MONITOR_STREAM_STDOUT, "old\npart");
        AUTOFREE char *rotated = xasprintf("%s.1", f->path);
        assert_int_equal(rename(f->path, rotated), 0);
        assert_int_equal(log_writer_reopen(&f->w, &err), 0);
        put(f, MONITOR_STREAM_STDOUT, "ial\n");
        AUTOFREE char *old = testlib_read_file("%s", rotated);
        assert_string_equal(old, TS " stdout F old\n");
        assert_log(f, TS " stdout F partial\n");
}

static void test_open_appends(void **state) {
        struct fixture *f = *state;
        struct cric_error *err = NULL;
        put(f, MONITOR_STREAM_STDOUT, "first\n");
        log_writer_close(&f->w);
        assert_int_equal(log_writer_open(&f->w, f->path, 0, &err), 0);
        f->w.clock = fixed_clock;
        assert_int_equal(f->w.written, strlen(TS " stdout F first\n"));
        put(f, MONITOR_STREAM_STDOUT, "second\n");
        assert_log(f, TS " stdout F first\n" TS " stdout F second\n");
}

static void test_open_fails_in_missing_dir(void **state) {
        (void) state;
        struct log_writer w;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(log_writer_open(&w, "/nonexistent/dir/x.log", 0, &err), -1);
        assert_non_null(err);
        assert_non_null(strstr(err->msg, "/nonexistent/dir/x.log"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_timestamp_format),
                cmocka_unit_test_setup_teardown(test_full_lines, setup, teardown),
                cmocka_unit_test_setup_teardown(test_line_over_several_reads, setup, teardown),
                cmocka_unit_test_setup_teardown(test_streams_keep_their_own_lines, setup, teardown),
                cmocka_unit_test_setup_teardown(test_empty_line, setup, teardown),
                cmocka_unit_test_setup_teardown(test_long_line_is_split, setup, teardown),
                cmocka_unit_test_setup_teardown(test_long_line_split_over_reads, setup, teardown),
                cmocka_unit_test_setup_teardown(test_exactly_max_is_one_full_entry, setup, teardown),
                cmocka_unit_test_setup_teardown(test_flush_writes_open_lines_as_partial, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unknown_stream_is_stdout, setup, teardown),
                cmocka_unit_test_setup_teardown(test_size_max_truncates, setup, teardown),
                cmocka_unit_test_setup_teardown(test_size_max_after_reopen_and_on_open, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reopen_starts_a_new_file, setup, teardown),
                cmocka_unit_test_setup_teardown(test_open_appends, setup, teardown),
                cmocka_unit_test(test_open_fails_in_missing_dir),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
