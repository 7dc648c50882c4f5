/* util/reap: waiting for a child through signals, and the words for how it ended. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"
#include "util/reap.h"

static volatile sig_atomic_t alarms;
static int release_w = -1;

/* The child ends only once the signal has come: a wait already begun sees EINTR. */
static void on_alarm(int sig) {
        (void) sig;
        alarms++;
        if (write(release_w, "x", 1) < 0)
                _exit(99);
}

/* A wait interrupted by a signal goes on: the status is the child's. */
static void test_reap_child_waits_through_eintr(void **state) {
        (void) state;
        int p[2];
        assert_int_equal(pipe(p), 0);
        release_w = p[1];
        struct sigaction sa = {.sa_handler = on_alarm}, old;
        assert_int_equal(sigaction(SIGALRM, &sa, &old), 0); /* no SA_RESTART: waitpid sees EINTR */
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char c;
                _exit(read(p[0], &c, 1) == 1 ? 4 : 5);
        }
        alarms = 0;
        ualarm(50 * 1000, 0);
        int status = -1;
        assert_int_equal(reap_child(pid, &status), 0);
        assert_int_equal(alarms, 1);
        close(p[0]);
        close(p[1]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 4);
        sigaction(SIGALRM, &old, NULL);
}

/* Nothing to reap is -1 with ECHILD, not a hang. */
static void test_reap_child_of_no_child_is_echild(void **state) {
        (void) state;
        int status = 0;
        assert_int_equal(reap_child(getpid(), &status), -1);
        assert_int_equal(errno, ECHILD);
}

static void test_exit_text_names_the_status_or_the_signal(void **state) {
        (void) state;
        char buf[64];
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(3);
        int status = 0;
        assert_int_equal(reap_child(pid, &status), 0);
        assert_string_equal(exit_text(status, buf, sizeof(buf)), "exited with status 3");
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                pause();
                _exit(0);
        }
        kill(pid, SIGKILL);
        assert_int_equal(reap_child(pid, &status), 0);
        assert_string_equal(exit_text(status, buf, sizeof(buf)), "was killed by signal 9");
        assert_ptr_equal(exit_text(status, buf, sizeof(buf)), buf);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_reap_child_waits_through_eintr),
                cmocka_unit_test(test_reap_child_of_no_child_is_echild),
                cmocka_unit_test(test_exit_text_names_the_status_or_the_signal),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
