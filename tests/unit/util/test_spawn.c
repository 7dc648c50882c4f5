/* util/spawn: running helpers with argv only, stdin, a timeout, capped output and
 * stderr in the error; and no descriptor or child left behind on any path. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "testlib.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/spawn.h"
#include "util/xalloc.h"

#define SH "/bin/sh"

struct run {
        int r;
        char *out, *errs;
        struct cric_error *err;
};

static void run_clear(struct run *r) {
        free(r->out);
        free(r->errs);
        cric_error_free(r->err);
        *r = (struct run){0};
}

/* spawn_run_status, checking that nothing leaks. */
static struct run run_status(char *const *argv, const struct spawn_opts *o) {
        int fds = testlib_count_fds();
        struct run r = {0};
        r.r = spawn_run_status(argv, o, &r.out, &r.errs, &r.err);
        assert_int_equal(testlib_count_fds(), fds);
        testlib_assert_no_children();
        if (r.r >= 0) {
                assert_null(r.err);
                assert_non_null(r.out);
                assert_non_null(r.errs);
        } else {
                assert_non_null(r.err);
                assert_null(r.out);
                assert_null(r.errs);
        }
        return r;
}

static struct run run(char *const *argv, const struct spawn_opts *o) {
        int fds = testlib_count_fds();
        struct run r = {0};
        r.r = spawn_run(argv, o, &r.out, &r.err);
        assert_int_equal(testlib_count_fds(), fds);
        testlib_assert_no_children();
        assert_true(r.r == 0 || r.r == -1);
        if (r.r == 0) {
                assert_null(r.err);
                assert_non_null(r.out);
        } else {
                assert_non_null(r.err);
                assert_null(r.out);
        }
        return r;
}

static void test_output_is_captured(void **state) {
        (void) state;
        struct run r = run((char *[]){SH, "-c", "printf 'hello\\n'; printf 'noise\\n' >&2", NULL}, NULL);
        assert_int_equal(r.r, 0);
        assert_string_equal(r.out, "hello\n");
        run_clear(&r);
        /* ret_stdout NULL: the output is dropped */
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(spawn_run((char *[]){SH, "-c", "echo x", NULL}, NULL, NULL, &err), 0);
        assert_null(err);
}

static void test_status_and_stderr(void **state) {
        (void) state;
        struct run r = run_status((char *[]){SH, "-c", "echo out; printf 'bad thing \\n\\n' >&2; exit 3", NULL}, NULL);
        assert_int_equal(r.r, 3);
        assert_string_equal(r.out, "out\n");
        assert_string_equal(r.errs, "bad thing"); /* trailing newlines and spaces trimmed */
        run_clear(&r);
        r = run_status((char *[]){"true", NULL}, NULL);
        assert_int_equal(r.r, 0);
        assert_string_equal(r.out, "");
        assert_string_equal(r.errs, "");
        run_clear(&r);
}

static void test_non_zero_exit_is_an_error_with_stderr(void **state) {
        (void) state;
        struct run r = run((char *[]){SH, "-c", "echo partial; echo 'it broke' >&2; exit 7", NULL}, NULL);
        assert_int_equal(r.r, -1);
        assert_int_equal(r.err->kind, CRIC_E_INTERNAL);
        assert_string_equal(r.err->msg, SH " -c echo partial; echo 'it broke' >&2; exit 7: exit status 7: it broke");
        run_clear(&r);
        r = run((char *[]){"false", NULL}, NULL);
        assert_string_equal(r.err->msg, "false: exit status 1");
        run_clear(&r);
}

static void test_signal_is_an_error(void **state) {
        (void) state;
        struct run r = run_status((char *[]){SH, "-c", "echo dying >&2; kill -9 $$", NULL}, NULL);
        assert_int_equal(r.r, -1);
        assert_int_equal(r.err->kind, CRIC_E_INTERNAL);
        assert_string_equal(r.err->msg, SH " -c echo dying >&2; kill -9 $$: killed by signal 9: dying");
        run_clear(&r);
        r = run((char *[]){SH, "-c", "kill -TERM $$", NULL}, NULL);
        assert_string_equal(r.err->msg, SH " -c kill -TERM $$: killed by signal 15");
        run_clear(&r);
}

static void test_missing_binary(void **state) {
        (void) state;
        struct run r = run((char *[]){"/nonexistent/cric-helper", "x", NULL}, NULL);
        assert_int_equal(r.err->kind, CRIC_E_INTERNAL);
        assert_int_equal(r.err->errno_value, ENOENT);
        assert_string_equal(r.err->msg, "run /nonexistent/cric-helper: No such file or directory");
        run_clear(&r);
        /* looked up in $PATH (one every user may search: EACCES on a directory wins) */
        AUTOFREE char *saved = xstrdup(getenv("PATH") ? getenv("PATH") : "");
        setenv("PATH", "/usr/bin:/bin", 1);
        r = run_status((char *[]){"cric-no-such-helper-anywhere", NULL}, NULL);
        setenv("PATH", saved, 1);
        assert_int_equal(r.err->errno_value, ENOENT);
        assert_string_equal(r.err->msg, "run cric-no-such-helper-anywhere: No such file or directory");
        run_clear(&r);
        /* a file that is not executable (no x bit: root may not run it either) */
        char path[] = "/tmp/cric-spawn-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        r = run((char *[]){path, NULL}, NULL);
        unlink(path);
        assert_int_equal(r.err->errno_value, EACCES);
        run_clear(&r);
        /* exec_path wins over argv[0] */
        struct spawn_opts o = {.exec_path = "/nonexistent/real"};
        r = run((char *[]){SH, "-c", "true", NULL}, &o);
        assert_int_equal(r.err->errno_value, ENOENT);
        run_clear(&r);
}

static void test_timeout_kills_and_reaps(void **state) {
        (void) state;
        struct spawn_opts o = {.timeout_ms = 200};
        long start = testlib_now_ms();
        struct run r = run((char *[]){SH, "-c", "echo started; exec sleep 30", NULL}, &o);
        assert_true(testlib_now_ms() - start < 10000);
        assert_int_equal(r.err->kind, CRIC_E_TIMEOUT);
        assert_string_equal(r.err->msg, SH " -c echo started; exec sleep 30: timed out after 200 ms");
        run_clear(&r);
        /* in time: no error */
        o.timeout_ms = 10000;
        r = run((char *[]){SH, "-c", "echo quick", NULL}, &o);
        assert_int_equal(r.r, 0);
        assert_string_equal(r.out, "quick\n");
        run_clear(&r);
}

static char *pattern(size_t len) {
        char *s = xmalloc(len + 1);
        for (size_t i = 0; i < len; i++)
                s[i] = (char) ('a' + i % 26);
        s[len] = '\0';
        return s;
}

static void test_stdin(void **state) {
        (void) state;
        struct spawn_opts o = {.stdin_data = "line one\nline two\n", .stdin_len = 18};
        struct run r = run((char *[]){"cat", NULL}, &o);
        assert_string_equal(r.out, "line one\nline two\n");
        run_clear(&r);
        /* empty stdin: EOF at once */
        o = (struct spawn_opts){.stdin_data = "", .stdin_len = 0};
        r = run((char *[]){"cat", NULL}, &o);
        assert_string_equal(r.out, "");
        run_clear(&r);
        /* no stdin_data: /dev/null */
        r = run((char *[]){"cat", NULL}, NULL);
        assert_string_equal(r.out, "");
        run_clear(&r);
}

/* More than a pipe holds both ways: the child writes while we still feed it. */
static void test_stdin_larger_than_a_pipe(void **state) {
        (void) state;
        size_t len = 4u << 20;
        AUTOFREE char *in = pattern(len);
        struct spawn_opts o = {.stdin_data = in, .stdin_len = len, .max_output = len, .timeout_ms = 60000};
        struct run r = run((char *[]){"cat", NULL}, &o);
        assert_int_equal(r.r, 0);
        assert_int_equal(strlen(r.out), len);
        assert_memory_equal(r.out, in, len);
        run_clear(&r);
}

/* A child that never reads its stdin: the timeout still works and the pipe is closed. */
static void test_unread_stdin_with_timeout(void **state) {
        (void) state;
        size_t len = 1u << 20;
        AUTOFREE char *in = pattern(len);
        struct spawn_opts o = {.stdin_data = in, .stdin_len = len, .timeout_ms = 300};
        struct run r = run((char *[]){"sleep", "30", NULL}, &o);
        assert_int_equal(r.err->kind, CRIC_E_TIMEOUT);
        run_clear(&r);
        /* one that exits without reading: no SIGPIPE trouble, the status counts */
        o.timeout_ms = 30000;
        r = run_status((char *[]){SH, "-c", "exit 4", NULL}, &o);
        assert_int_equal(r.r, 4);
        run_clear(&r);
}

static void test_output_is_capped(void **state) {
        (void) state;
        struct spawn_opts o = {.max_output = 1000};
        struct run r = run_status((char *[]){SH, "-c",
                                             "head -c 300000 /dev/zero | tr '\\0' x; head -c 5000 /dev/zero | tr "
                                             "'\\0' y >&2; exit 1",
                                             NULL},
                                  &o);
        assert_int_equal(r.r, 1);
        assert_int_equal(strlen(r.out), 1000);
        assert_int_equal(strspn(r.out, "x"), 1000);
        assert_int_equal(strlen(r.errs), 1000);
        run_clear(&r);
}

static void test_env_exec_path_and_pass_fd(void **state) {
        (void) state;
        char *env[] = {"CRIC_TEST=from env", NULL};
        struct spawn_opts o = {.env = env};
        struct run r = run((char *[]){SH, "-c", "printf '%s|%s' \"$CRIC_TEST\" \"${HOME-unset}\"", NULL}, &o);
        assert_string_equal(r.out, "from env|unset");
        run_clear(&r);

        o = (struct spawn_opts){.exec_path = SH};
        r = run((char *[]){"shown-name", "-c", "printf %s \"$0\"", NULL}, &o);
        assert_string_equal(r.out, "shown-name");
        run_clear(&r);

        int p[2];
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        AUTOCLOSE int rd = p[0];
        AUTOCLOSE int wr = fcntl(p[1], F_DUPFD_CLOEXEC, 10); /* > 2 */
        close(p[1]);
        o = (struct spawn_opts){.pass_fd = wr};
        r = run((char *[]){SH, "-c", "printf handed >&3", NULL}, &o);
        assert_int_equal(r.r, 0);
        run_clear(&r);
        close(STEAL_FD(wr));
        char buf[16] = {0};
        assert_int_equal(read(rd, buf, sizeof(buf) - 1), 6);
        assert_string_equal(buf, "handed");
}

/* The highest open descriptor. */
static int highest_fd(void) {
        DIR *d = opendir("/proc/self/fd");
        assert_non_null(d);
        int max = -1;
        for (struct dirent *de = readdir(d); de; de = readdir(d))
                if (de->d_name[0] != '.' && atoi(de->d_name) != dirfd(d) && atoi(de->d_name) > max)
                        max = atoi(de->d_name);
        closedir(d);
        return max;
}

/* With room for exactly `room` more descriptors, one of the pipes fails: those made
 * before it must not leak. Holes below the highest open descriptor are filled first,
 * so that the room is exactly that. */
static void test_pipe_failure_leaks_nothing(void **state) {
        (void) state;
        struct rlimit saved;
        assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
        int top = highest_fd(), n_fillers = 0;
        AUTOFREE int *fillers = xcalloc((size_t) top + 2, sizeof(int));
        for (;;) {
                int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                assert_true(fd >= 0);
                fillers[n_fillers++] = fd;
                if (fd >= top)
                        break;
        }
        top = highest_fd();
        for (int room = 0; room <= 4; room += 2) { /* 0: no pipe; 2: stdout only; 4: stdin fails */
                int fds = testlib_count_fds();
                struct rlimit lim = {.rlim_cur = (rlim_t) (top + 1 + room), .rlim_max = saved.rlim_max};
                assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
                struct spawn_opts o = {.stdin_data = "x", .stdin_len = 1};
                char *out = NULL;
                struct cric_error *err = NULL;
                int r = spawn_run((char *[]){"cat", NULL}, &o, &out, &err);
                assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
                assert_int_equal(r, -1);
                assert_null(out);
                assert_non_null(err);
                assert_int_equal(err->errno_value, EMFILE);
                assert_string_equal(err->msg, "pipe: Too many open files");
                cric_error_free(err);
                assert_int_equal(testlib_count_fds(), fds);
        }
        for (int i = 0; i < n_fillers; i++)
                close(fillers[i]);
}

int main(void) {
        /* as in the daemon: a child that stops reading must not kill us */
        signal(SIGPIPE, SIG_IGN);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_output_is_captured),
                cmocka_unit_test(test_status_and_stderr),
                cmocka_unit_test(test_non_zero_exit_is_an_error_with_stderr),
                cmocka_unit_test(test_signal_is_an_error),
                cmocka_unit_test(test_missing_binary),
                cmocka_unit_test(test_timeout_kills_and_reaps),
                cmocka_unit_test(test_stdin),
                cmocka_unit_test(test_stdin_larger_than_a_pipe),
                cmocka_unit_test(test_unread_stdin_with_timeout),
                cmocka_unit_test(test_output_is_capped),
                cmocka_unit_test(test_env_exec_path_and_pass_fd),
                cmocka_unit_test(test_pipe_failure_leaks_nothing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
