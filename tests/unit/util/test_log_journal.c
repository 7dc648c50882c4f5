/* The journal's native protocol as util/log_journal.c writes it, and $JOURNAL_STREAM. */
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

#include "util/log_journal.h"

static void test_simple_fields(void **state) {
        (void) state;
        size_t len;
        char *d = log_journal_encode(LOG_LEVEL_WARN, "cricd", "../src/daemon/main.c", 42, "serve", "hello world", &len);
        const char want[] = "MESSAGE=hello world\nPRIORITY=4\nSYSLOG_IDENTIFIER=cricd\n"
                            "CODE_FILE=src/daemon/main.c\nCODE_LINE=42\nCODE_FUNC=serve\n";
        assert_int_equal(len, sizeof(want) - 1);
        assert_memory_equal(d, want, len);
        free(d);
        d = log_journal_encode(LOG_LEVEL_INFO, NULL, NULL, 0, NULL, "", &len);
        assert_int_equal(len, strlen("MESSAGE=\nPRIORITY=6\n"));
        assert_memory_equal(d, "MESSAGE=\nPRIORITY=6\n", len);
        free(d);
}

/* A value with a newline: KEY\n, its length as 64-bit little endian, the bytes, \n. */
static void test_binary_form(void **state) {
        (void) state;
        size_t len;
        char *d = log_journal_encode(LOG_LEVEL_ERROR, "cricd", NULL, 0, NULL, "two\nlines", &len);
        const char want[] = "MESSAGE\n\x09\0\0\0\0\0\0\0two\nlines\nPRIORITY=3\nSYSLOG_IDENTIFIER=cricd\n";
        assert_int_equal(len, sizeof(want) - 1);
        assert_memory_equal(d, want, len);
        free(d);
}

static void test_priorities(void **state) {
        (void) state;
        assert_int_equal(log_journal_priority(LOG_LEVEL_ERROR), 3);
        assert_int_equal(log_journal_priority(LOG_LEVEL_WARN), 4);
        assert_int_equal(log_journal_priority(LOG_LEVEL_INFO), 6);
        assert_int_equal(log_journal_priority(LOG_LEVEL_DEBUG), 7);
        assert_int_equal(log_journal_priority(LOG_LEVEL_TRACE), 7);
}

static void test_stream_is(void **state) {
        (void) state;
        int p[2];
        assert_int_equal(pipe(p), 0);
        struct stat st;
        assert_int_equal(fstat(p[1], &st), 0);
        char v[64];
        snprintf(v, sizeof(v), "%ju:%ju", (uintmax_t) st.st_dev, (uintmax_t) st.st_ino);
        assert_true(log_journal_stream_is(v, p[1]));
        snprintf(v, sizeof(v), "%ju:%ju", (uintmax_t) st.st_dev, (uintmax_t) st.st_ino + 1);
        assert_false(log_journal_stream_is(v, p[1]));
        snprintf(v, sizeof(v), "%ju:%jux", (uintmax_t) st.st_dev, (uintmax_t) st.st_ino);
        assert_false(log_journal_stream_is(v, p[1]));
        assert_false(log_journal_stream_is("", p[1]));
        assert_false(log_journal_stream_is("12", p[1]));
        assert_false(log_journal_stream_is(NULL, p[1]));
        close(p[0]);
        close(p[1]);
}

/* Not under the journal: the log stays on stderr and setup says so. */
static void test_setup_without_stream(void **state) {
        (void) state;
        unsetenv("JOURNAL_STREAM");
        assert_int_equal(log_journal_setup("cricd"), 0);
        setenv("JOURNAL_STREAM", "1:1", 1);
        assert_int_equal(log_journal_setup("cricd"), 0);
        unsetenv("JOURNAL_STREAM");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_simple_fields),        cmocka_unit_test(test_binary_form),
                cmocka_unit_test(test_priorities),           cmocka_unit_test(test_stream_is),
                cmocka_unit_test(test_setup_without_stream),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
