/* util/forkrun: a short job in a forked child with a fixed-size report back, a
 * deadline, and the child always reaped; and vforkrun. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/forkrun.h"

struct report {
        int32_t value;
        char text[60];
};

/* ---- children: async-signal-safe only ---- */

static void child_reports(void *arg, int out) {
        struct report r = {.value = *(int *) arg};
        memcpy(r.text, "from the child", 15);
        if (write(out, &r, sizeof(r)) != (ssize_t) sizeof(r))
                _exit(1);
}

static void child_reports_half(void *arg, int out) {
        (void) arg;
        struct report r = {.value = 7};
        if (write(out, &r, sizeof(r) / 2) < 0)
                _exit(1);
}

static void child_exits_silently(void *arg, int out) {
        (void) out;
        _exit(*(int *) arg);
}

static void child_killed(void *arg, int out) {
        (void) arg;
        (void) out;
        kill(getpid(), SIGKILL);
}

static void child_hangs(void *arg, int out) {
        (void) arg;
        (void) out;
        struct timespec ts = {.tv_sec = 60};
        nanosleep(&ts, NULL);
}

/* Reports, then hangs: the parent has its answer and must not wait for the exit. */
static void child_reports_then_killed_by_parent(void *arg, int out) {
        (void) arg;
        struct report r = {.value = 1};
        if (write(out, &r, sizeof(r)) < 0)
                _exit(1);
        kill(getpid(), SIGUSR1); /* not one cmocka catches */
}

struct run {
        int r;
        ssize_t got;
        struct report rep;
        struct cric_error *err;
};

static struct run run(void (*child)(void *, int), void *arg, unsigned timeout_ms) {
        int fds = testlib_count_fds();
        struct run x = {.got = -2};
        x.r = forkrun(child, arg, &x.rep, sizeof(x.rep), timeout_ms, "test helper", &x.got, &x.err);
        assert_int_equal(testlib_count_fds(), fds);
        testlib_assert_no_children();
        assert_true(x.r == 0 || x.r == -1);
        assert_true(x.r == 0 ? x.err == NULL : x.err != NULL);
        return x;
}

static void test_report_arrives(void **state) {
        (void) state;
        int v = 42;
        struct run x = run(child_reports, &v, 5000);
        assert_int_equal(x.r, 0);
        assert_int_equal(x.got, sizeof(struct report));
        assert_int_equal(x.rep.value, 42);
        assert_string_equal(x.rep.text, "from the child");
}

static void test_short_or_no_report(void **state) {
        (void) state;
        struct run x = run(child_reports_half, NULL, 5000);
        assert_int_equal(x.r, 0);
        assert_int_equal(x.got, sizeof(struct report) / 2);
        int code = 3;
        x = run(child_exits_silently, &code, 5000);
        assert_int_equal(x.r, 0); /* the caller reads the missing report as the failure */
        assert_int_equal(x.got, 0);
}

static void test_child_killed_by_a_signal(void **state) {
        (void) state;
        struct run x = run(child_killed, NULL, 5000);
        assert_int_equal(x.r, -1);
        assert_int_equal(x.err->kind, CRIC_E_INTERNAL);
        assert_string_equal(x.err->msg, "the test helper was killed by signal 9");
        cric_error_free(x.err);
        x = run(child_reports_then_killed_by_parent, NULL, 5000);
        assert_int_equal(x.r, -1);
        assert_string_equal(x.err->msg, "the test helper was killed by signal 10");
        cric_error_free(x.err);
}

static void test_timeout_kills_and_reaps(void **state) {
        (void) state;
        long start = testlib_now_ms();
        struct run x = run(child_hangs, NULL, 200);
        assert_true(testlib_now_ms() - start < 10000); /* killed, not waited out */
        assert_int_equal(x.r, -1);
        assert_int_equal(x.err->kind, CRIC_E_TIMEOUT);
        assert_string_equal(x.err->msg, "the test helper gave no answer in 200 ms");
        assert_int_equal(x.got, 0);
        cric_error_free(x.err);
}

/* ---- vforkrun ---- */

struct shared {
        int in, out;
};

static int vchild(void *arg) {
        struct shared *s = arg;
        s->out = s->in * 2; /* the same memory as the parent's */
        _exit(s->in);
}

static void test_vforkrun_shares_memory(void **state) {
        (void) state;
        struct shared s = {.in = 21};
        pid_t pid = vforkrun(vchild, &s);
        assert_true(pid > 0);
        assert_int_equal(s.out, 42); /* the child ran to its end before vforkrun returned */
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 21);
        testlib_assert_no_children();
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_report_arrives),           cmocka_unit_test(test_short_or_no_report),
                cmocka_unit_test(test_child_killed_by_a_signal), cmocka_unit_test(test_timeout_kills_and_reaps),
                cmocka_unit_test(test_vforkrun_shares_memory),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
