/* monitor/journal.c: the journal's native protocol (KEY=value lines, the binary-safe
 * form for values with a newline), the fields of a container entry, and sending to a
 * datagram socket named by CRIC_JOURNAL_SOCKET; plus the log writer handing entries to
 * it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor/internal.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define CID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void assert_buf(const struct journal_buf *b, const char *expected, size_t len) {
        assert_int_equal(b->len, len);
        assert_memory_equal(b->data, expected, len);
}

static void test_plain_field(void **state) {
        (void) state;
        struct journal_buf b = {0};
        journal_field_append(&b, "MESSAGE", "hello world", 11);
        journal_field_append(&b, "PRIORITY", "6", 1);
        assert_buf(&b, "MESSAGE=hello world\nPRIORITY=6\n", 31);
        free(b.data);
}

static void test_empty_value(void **state) {
        (void) state;
        struct journal_buf b = {0};
        journal_field_append(&b, "MESSAGE", "", 0);
        assert_buf(&b, "MESSAGE=\n", 9);
        free(b.data);
}

static void test_value_with_newline_is_binary_safe(void **state) {
        (void) state;
        struct journal_buf b = {0};
        journal_field_append(&b, "MESSAGE", "a\nb=c", 5);
        /* KEY \n, 64-bit little-endian length, the bytes, \n */
        static const char want[] = "MESSAGE\n\x05\0\0\0\0\0\0\0a\nb=c\n";
        assert_buf(&b, want, sizeof(want) - 1);
        free(b.data);
}

static void test_value_with_nul_bytes_is_kept(void **state) {
        (void) state;
        struct journal_buf b = {0};
        journal_field_append(&b, "MESSAGE", "x\0y", 3);
        assert_buf(&b, "MESSAGE=x\0y\n", 12);
        free(b.data);
}

static void test_container_fields(void **state) {
        (void) state;
        struct journal_buf fixed = {0}, e = {0};
        journal_fixed_fields(&fixed, CID, "k8s_c_p_ns_uid_0", "p", "ns");
        journal_entry_build(&fixed, MONITOR_STREAM_STDERR, "oops", 4, false, &e);
        static const char want[] = "CONTAINER_ID=0123456789ab\n"
                                   "CONTAINER_ID_FULL=" CID "\n"
                                   "CONTAINER_NAME=k8s_c_p_ns_uid_0\n"
                                   "CONTAINER_TAG=0123456789ab\n"
                                   "SYSLOG_IDENTIFIER=0123456789ab\n"
                                   "POD=p\n"
                                   "NAMESPACE=ns\n"
                                   "PRIORITY=3\n"
                                   "MESSAGE=oops\n";
        assert_buf(&e, want, sizeof(want) - 1);
        /* the buffer is reused: a partial stdout entry */
        journal_entry_build(&fixed, MONITOR_STREAM_STDOUT, "part", 4, true, &e);
        assert_non_null(memmem(e.data, e.len, "PRIORITY=6\nCONTAINER_PARTIAL_MESSAGE=true\nMESSAGE=part\n", 55));
        assert_null(memmem(e.data, e.len, "PRIORITY=3", 10));
        free(fixed.data);
        free(e.data);
}

static void test_missing_names_are_left_out(void **state) {
        (void) state;
        struct journal_buf fixed = {0};
        journal_fixed_fields(&fixed, "short", NULL, "", NULL);
        static const char want[] = "CONTAINER_ID=short\nCONTAINER_ID_FULL=short\nCONTAINER_TAG=short\n"
                                   "SYSLOG_IDENTIFIER=short\n";
        assert_buf(&fixed, want, sizeof(want) - 1);
        free(fixed.data);
}

struct sock_fx {
        char *dir, *path;
        int fd;
};

static int sock_setup(void **state) {
        struct sock_fx *f = xzalloc(sizeof(*f));
        f->dir = testlib_tmpdir("journal");
        f->path = xasprintf("%s/socket", f->dir);
        f->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
        if (f->fd < 0 || bind(f->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -1;
        setenv("CRIC_JOURNAL_SOCKET", f->path, 1);
        *state = f;
        return 0;
}

static int sock_teardown(void **state) {
        struct sock_fx *f = *state;
        unsetenv("CRIC_JOURNAL_SOCKET");
        close(f->fd);
        int r = testlib_rmtree(f->dir);
        free(f->dir);
        free(f->path);
        free(f);
        return r;
}

/* The next datagram, NUL-terminated, or NULL when none waits. */
static char *recv_one(struct sock_fx *f, ssize_t *ret_len) {
        char *buf = xmalloc(1 << 17);
        ssize_t n = recv(f->fd, buf, (1 << 17) - 1, 0);
        if (n < 0) {
                free(buf);
                return NULL;
        }
        buf[n] = 0;
        *ret_len = n;
        return buf;
}

static void test_log_writer_sends_each_entry(void **state) {
        struct sock_fx *f = *state;
        struct monitor_args a = {.cid = CID, .name = "k8s_c", .pod_name = "p", .pod_namespace = "ns"};
        struct journal_writer j;
        journal_open(&j, &a);
        AUTOFREE char *log = xasprintf("%s/0.log", f->dir);
        struct log_writer w;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(log_writer_open(&w, log, 0, &err), 0);
        w.journal = &j;
        assert_int_equal(log_writer_write(&w, MONITOR_STREAM_STDOUT, "one\ntwo\n", 8, &err), 0);
        assert_int_equal(log_writer_write(&w, MONITOR_STREAM_STDERR, "bad\nopen", 8, &err), 0);
        assert_int_equal(log_writer_flush(&w, &err), 0);
        const char *want[][3] = {
                {"PRIORITY=6\n", "MESSAGE=one\n", NULL},
                {"PRIORITY=6\n", "MESSAGE=two\n", NULL},
                {"PRIORITY=3\n", "MESSAGE=bad\n", NULL},
                {"PRIORITY=3\n", "MESSAGE=open\n", "CONTAINER_PARTIAL_MESSAGE=true\n"},
        };
        for (size_t i = 0; i < 4; i++) {
                ssize_t n = 0;
                AUTOFREE char *d = recv_one(f, &n);
                assert_non_null(d);
                assert_contains(d, "CONTAINER_ID_FULL=" CID "\n");
                assert_contains(d, "CONTAINER_NAME=k8s_c\nCONTAINER_TAG=0123456789ab\n");
                for (size_t k = 0; k < 3 && want[i][k]; k++)
                        assert_contains(d, want[i][k]);
        }
        ssize_t n = 0;
        assert_null(recv_one(f, &n));
        /* the file got the same four entries */
        AUTOFREE char *text = testlib_read_file("%s", log);
        assert_contains(text, " stdout F one\n");
        assert_contains(text, " stderr P open\n");
        log_writer_close(&w);
        journal_close(&j);
}

static void test_missing_socket_warns_once_and_goes_on(void **state) {
        struct sock_fx *f = *state;
        AUTOFREE char *gone = xasprintf("%s/nothing-here", f->dir);
        setenv("CRIC_JOURNAL_SOCKET", gone, 1);
        struct monitor_args a = {.cid = CID};
        struct journal_writer j;
        journal_open(&j, &a);
        struct testlib_capture cap;
        testlib_capture_stderr(&cap);
        for (int i = 0; i < 5; i++)
                journal_send(&j, MONITOR_STREAM_STDOUT, "x", 1, false);
        AUTOFREE char *logged = testlib_capture_end(&cap);
        assert_contains(logged, "send to the journal");
        assert_null(strstr(strstr(logged, "send to the journal") + 1, "send to the journal"));
        assert_int_equal(j.n_dropped, 5);
        /* the socket appears: the next entry gets through */
        setenv("CRIC_JOURNAL_SOCKET", f->path, 1);
        free(j.socket_path);
        j.socket_path = xstrdup(f->path);
        journal_send(&j, MONITOR_STREAM_STDOUT, "back", 4, false);
        ssize_t n = 0;
        AUTOFREE char *d = recv_one(f, &n);
        assert_non_null(d);
        assert_contains(d, "MESSAGE=back\n");
        assert_false(j.has_warned);
        journal_close(&j);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain_field),
                cmocka_unit_test(test_empty_value),
                cmocka_unit_test(test_value_with_newline_is_binary_safe),
                cmocka_unit_test(test_value_with_nul_bytes_is_kept),
                cmocka_unit_test(test_container_fields),
                cmocka_unit_test(test_missing_names_are_left_out),
                cmocka_unit_test_setup_teardown(test_log_writer_sends_each_entry, sock_setup, sock_teardown),
                cmocka_unit_test_setup_teardown(test_missing_socket_warns_once_and_goes_on, sock_setup, sock_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
