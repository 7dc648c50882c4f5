/* Helpers shared by the cmocka unit tests; every test binary links testlib.c.
 * REQUIRE_ROOT expands to cmocka's skip(): include this after <cmocka.h> to use it.
 *
 *   REQUIRE_ROOT(why)             skip the test, saying why, unless we run as root
 *   testlib_tmpdir(name)          fresh /tmp/cric-<name>-XXXXXX; testlib_rmtree removes it
 *   testlib_read_file(...)        a whole file as a string (fails the test, or NULL for _try_)
 *   testlib_capture_stderr        what the code under test logs, as a string
 *   testlib_error_is(r, &err, k)  the call failed with error kind k; its message
 *   assert_contains(s, sub)       the string s contains sub
 *   testlib_count_entries(dir)    how many names a directory holds
 *   testlib_count_fds()           open descriptors, to check that nothing leaks one
 *   testlib_assert_no_children()  every child was reaped
 *   WAIT_UNTIL(cond, ms)          poll until cond holds or the deadline passes
 *
 * Waits poll with a deadline: a test never sleeps and then asserts. Nothing here is
 * thread-safe beyond what libc gives; the helpers are meant for the test's own thread. */
#ifndef CRIC_TESTS_UNIT_TESTLIB_H
#define CRIC_TESTS_UNIT_TESTLIB_H

#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "util/error.h"

/* How often waits poll; short enough not to slow tests, long enough not to spin. */
#define TESTLIB_POLL_MS 5

/* Skips the current test with "skipped: needs root <why>" unless the effective uid is 0.
 * why completes the sentence, e.g. "to create a PID namespace". */
#define REQUIRE_ROOT(why)                                                                                              \
        do {                                                                                                           \
                if (geteuid() != 0) {                                                                                  \
                        print_message("skipped: needs root %s\n", (why));                                              \
                        skip();                                                                                        \
                }                                                                                                      \
        } while (0)

/* Creates a new, empty directory /tmp/cric-<name>-XXXXXX (mode 0700) and returns its path,
 * which the caller frees (and removes with testlib_rmtree). Fails the test if it cannot. */
char *testlib_tmpdir(const char *name);

/* Removes path and everything under it; never crosses into another file system, so
 * unmount what the test mounted first. Directories the test made read-only (or
 * unreadable) are given back to their owner first. A missing path is fine. Returns 0,
 * or -1 after printing why, so a teardown can return it. */
int testlib_rmtree(const char *path);

/* Checks that a call failed with an error of that kind: r is -1 and *err is set, with
 * that kind. Fails the test naming both kinds and the message otherwise. Returns the
 * message (owned by *err). err is the address the call filled in, read only after the
 * call, so the call itself may be the argument r:
 *     assert_contains(testlib_error_is(f(x, &err), &err, CRIC_E_INVALID), "x"); */
const char *testlib_error_is(int r, struct cric_error *const *err, enum cric_error_kind kind);

/* Fails the test, showing both strings, unless s (evaluated once) contains sub. */
#define assert_contains(s, sub)                                                                                        \
        do {                                                                                                           \
                const char *testlib_s_ = (s), *testlib_sub_ = (sub);                                                   \
                if (!testlib_s_ || !strstr(testlib_s_, testlib_sub_))                                                  \
                        fail_msg("\"%s\" not found in:\n%s", testlib_sub_, testlib_s_);                                \
        } while (0)

/* How many entries dir holds besides . and .., or -1 if it cannot be opened (missing). */
int testlib_count_entries(const char *dir);

/* How many descriptors this process has open (the one used to count them excluded). */
int testlib_count_fds(void);

/* Asserts that this process has no child left, running or zombie. */
void testlib_assert_no_children(void);

/* Reads the whole file at the printf-style path into a NUL-terminated string that the
 * caller frees. testlib_read_file fails the test if the file cannot be read;
 * testlib_try_read_file returns NULL instead (for files that may rightly be missing). */
char *testlib_read_file(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *testlib_try_read_file(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Redirects stderr (where the log functions write) into a temp file until
 * testlib_capture_end, which restores it and returns what was written (caller frees). */
struct testlib_capture {
        int saved_fd;
        char path[64];
};
void testlib_capture_stderr(struct testlib_capture *c);
char *testlib_capture_end(struct testlib_capture *c);

/* Milliseconds on the monotonic clock, and a sleep that resumes after signals. */
long testlib_now_ms(void);
void testlib_sleep_ms(long ms);

/* Calls pred(arg) every TESTLIB_POLL_MS until it returns true or timeout_ms have passed.
 * The last call comes after the deadline, so a machine that oversleeps never turns a met
 * condition into a failure. Returns pred's last answer. */
bool testlib_wait_until(bool (*pred)(void *arg), void *arg, long timeout_ms);

/* The same for an expression, evaluated in the caller's scope; yields a bool:
 *     assert_true(WAIT_UNTIL(monitor_is_alive(pid) == false, 5000)); */
#define WAIT_UNTIL(cond, timeout_ms)                                                                                   \
        __extension__({                                                                                                \
                long testlib_end_ = testlib_now_ms() + (timeout_ms);                                                   \
                bool testlib_ok_;                                                                                      \
                while (!(testlib_ok_ = (cond)) && testlib_now_ms() < testlib_end_)                                     \
                        testlib_sleep_ms(TESTLIB_POLL_MS);                                                             \
                testlib_ok_;                                                                                           \
        })

#endif
