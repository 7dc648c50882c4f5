/* enter_kernel_check: what this kernel has for the native exec, and the words for a
 * kernel that lacks a part of it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "enter/internal.h"
#include "testlib.h"

static void test_verdict_names_the_missing_call(void **state) {
        (void) state;
        struct cric_error *err = NULL;
        assert_int_equal(enter_kernel_verdict(0, 0, 0, &err), 0);
        assert_null(err);
        assert_contains(testlib_error_is(enter_kernel_verdict(ENOSYS, 0, 0, &err), &err, CRIC_E_UNIMPLEMENTED),
                        "no pidfd_open (Linux 5.3+)");
        err = cric_error_free(err);
        assert_contains(testlib_error_is(enter_kernel_verdict(0, EINVAL, 0, &err), &err, CRIC_E_UNIMPLEMENTED),
                        "no setns on a pidfd (Linux 5.8+)");
        err = cric_error_free(err);
        assert_contains(testlib_error_is(enter_kernel_verdict(0, 0, EINVAL, &err), &err, CRIC_E_UNIMPLEMENTED),
                        "CLOSE_RANGE_CLOEXEC (Linux 5.11+): Invalid argument");
        err = cric_error_free(err);
}

/* On a kernel that has them all (5.11+), as root (setns needs CAP_SYS_ADMIN). */
static void test_this_kernel(void **state) {
        (void) state;
        REQUIRE_ROOT("to setns");
        struct utsname u;
        int major = 0, minor = 0;
        assert_int_equal(uname(&u), 0);
        if (sscanf(u.release, "%d.%d", &major, &minor) != 2 || major < 5 || (major == 5 && minor < 11)) {
                print_message("skipped: Linux %s is older than 5.11\n", u.release);
                skip();
        }
        int fds = testlib_count_fds();
        struct cric_error *err = NULL;
        if (enter_kernel_check(&err) < 0)
                fail_msg("%s", err->msg);
        assert_int_equal(testlib_count_fds(), fds);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_verdict_names_the_missing_call),
                cmocka_unit_test(test_this_kernel),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
