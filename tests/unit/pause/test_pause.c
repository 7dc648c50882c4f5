/* cric-pause, driven as a binary: started as PID 1 of a new PID namespace (a raw
 * clone(CLONE_NEWPID) child of the test that execs it), it must reap orphans that the
 * kernel hands it, shrug off unrelated signals and exit 0 on SIGTERM/SIGINT.
 * The binary comes from $CRIC_PAUSE or the build (-DCRIC_PAUSE_PATH=...). Cases that
 * create a PID namespace need root and skip without it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#ifndef CRIC_PAUSE_PATH
#define CRIC_PAUSE_PATH "build/cric-pause"
#endif

#define DEADLINE_MS 5000

static const char *pause_bin(void) {
        const char *env = getenv("CRIC_PAUSE");
        return env && *env ? env : CRIC_PAUSE_PATH;
}

#define REQUIRE_PAUSE()                                                                                                \
        do {                                                                                                           \
                if (access(pause_bin(), X_OK) != 0) {                                                                  \
                        print_message("skipped: %s not built (set CRIC_PAUSE)\n", pause_bin());                        \
                        skip();                                                                                        \
                }                                                                                                      \
        } while (0)

#define REQUIRE_PIDNS()                                                                                                \
        do {                                                                                                           \
                REQUIRE_PAUSE();                                                                                       \
                REQUIRE_ROOT("to create a PID namespace");                                                             \
        } while (0)

/* Runs cric-pause with args and returns its exit status; output goes to out (or NULL). */
static int run_plain(const char *arg, char *out, size_t outlen) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                dup2(fds[1], 1);
                dup2(fds[1], 2);
                execl(pause_bin(), "cric-pause", arg, (char *) NULL);
                _exit(127);
        }
        close(fds[1]);
        size_t len = 0;
        ssize_t n;
        while (len + 1 < outlen && (n = read(fds[0], out + len, outlen - len - 1)) > 0)
                len += (size_t) n;
        out[len] = '\0';
        close(fds[0]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        return WEXITSTATUS(status);
}

/* The cric-pause of the current test; the teardown kills it if a test failed early. */
static pid_t current_pause = -1;

/* The signal mask in field ("SigCgt:", "SigBlk:", "SigPnd:", ...) of /proc/PID/status,
 * 0 if the process is gone. */
static uint64_t status_mask(pid_t pid, const char *field) {
        AUTOFREE char *status = testlib_try_read_file("/proc/%d/status", (int) pid);
        const char *line = status ? strstr(status, field) : NULL;
        return line ? strtoull(line + strlen(field), NULL, 16) : 0;
}

static bool has_signal(uint64_t mask, int sig) {
        return mask & (UINT64_C(1) << (sig - 1));
}

/* True while pid sleeps in sigwaitinfo()/sigtimedwait() (/proc/PID/syscall starts with
 * the number of the syscall it is blocked in). */
static bool waits_for_signals(pid_t pid) {
        AUTOFREE char *sc = testlib_try_read_file("/proc/%d/syscall", (int) pid);
        return sc && strtol(sc, NULL, 10) == SYS_rt_sigtimedwait;
}

static bool runs_pause(pid_t pid) {
        char path[64], exe[4096] = {0};
        snprintf(path, sizeof(path), "/proc/%d/exe", (int) pid);
        AUTOFREE char *want = realpath(pause_bin(), NULL);
        return readlink(path, exe, sizeof(exe) - 1) > 0 && want && !strcmp(exe, want);
}

/* True once a sig sent to pid (cric-pause, PID 1 of its namespace) is sure to reach it.
 * The kernel drops a signal sent to a namespace's init while the signal has no handler
 * and is not blocked, which is the case from exec until cric-pause blocks all signals.
 * It is queued once it is caught (SigCgt), blocked (SigBlk), or waited for: inside
 * sigwaitinfo() the waited-for signals show as unblocked, but the process then sleeps in
 * rt_sigtimedwait, and cric-pause waits for every signal. */
static bool takes_signal(pid_t pid, int sig) {
        return runs_pause(pid) && (has_signal(status_mask(pid, "SigCgt:"), sig) ||
                                   has_signal(status_mask(pid, "SigBlk:"), sig) || waits_for_signals(pid));
}

/* Sends sig to pid once it is sure to arrive (see takes_signal), not before. */
static void send_signal(pid_t pid, int sig) {
        if (!WAIT_UNTIL(takes_signal(pid, sig), DEADLINE_MS))
                fail_msg("cric-pause (pid %d) never became ready for signal %d", (int) pid, sig);
        assert_int_equal(kill(pid, sig), 0);
}

/* True once pid has taken every signal in mask off its queues and waits for more. */
static bool idle_without(pid_t pid, uint64_t mask) {
        return !(status_mask(pid, "SigPnd:") & mask) && !(status_mask(pid, "ShdPnd:") & mask) && waits_for_signals(pid);
}

/* Starts cric-pause as PID 1 of a new PID namespace; returns its pid as we see it, once
 * it is ready for SIGTERM, SIGINT and SIGCHLD. */
static pid_t start_pause_in_pidns(void) {
        pid_t pid = (pid_t) syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, 0);
        assert_true(pid >= 0);
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY);
                dup2(null, 2); /* keep the test output clean */
                execl(pause_bin(), "cric-pause", (char *) NULL);
                _exit(127);
        }
        current_pause = pid;
        if (!WAIT_UNTIL(takes_signal(pid, SIGTERM) && takes_signal(pid, SIGINT) && takes_signal(pid, SIGCHLD),
                        DEADLINE_MS))
                fail_msg("cric-pause did not start");
        return pid;
}

static int teardown(void **state) {
        (void) state;
        if (current_pause > 0) {
                kill(current_pause, SIGKILL);
                waitpid(current_pause, NULL, 0);
        }
        current_pause = -1;
        return 0;
}

/* Waits for pid (our child) to exit; returns its wait status, or -1 on timeout. */
static int wait_exit(pid_t pid) {
        int status;
        if (!WAIT_UNTIL(waitpid(pid, &status, WNOHANG) == pid, DEADLINE_MS))
                return -1;
        current_pause = -1;
        return status;
}

static void stop_pause(pid_t pid) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        current_pause = -1;
}

/* 'Z' for a zombie, 0 once the process is gone. */
static char proc_state(pid_t pid) {
        AUTOFREE char *stat = testlib_try_read_file("/proc/%d/stat", (int) pid);
        if (!stat)
                return 0;
        char *p = strrchr(stat, ')');
        return p && p[1] == ' ' ? p[2] : '?';
}

static bool wait_gone(pid_t pid) {
        return WAIT_UNTIL(proc_state(pid) == 0, DEADLINE_MS);
}

/* Sends sig (SIGTERM or SIGINT) once pid takes it and asserts that pid exits 0. */
static void term_exits_zero(pid_t pid, int sig) {
        send_signal(pid, sig);
        int status = wait_exit(pid);
        if (status == -1)
                stop_pause(pid);
        assert_true(status != -1 && WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* Makes n orphans inside pause's PID namespace: a helper joins the namespace (for its
 * children), forks a middle process there, which forks n grandchildren and exits.
 * The grandchildren are reparented to the namespace's init, report their pid as the
 * test sees it (/proc/self is the test's procfs), wait (up to DEADLINE_MS) until their
 * parent is PID 1 and exit. Fills pids[]. */
static void make_orphans(pid_t pause_pid, int n, pid_t *pids) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t helper = fork();
        assert_true(helper >= 0);
        if (helper == 0) {
                char path[64];
                snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int) pause_pid);
                int ns = open(path, O_RDONLY);
                if (ns < 0 || setns(ns, CLONE_NEWPID) < 0)
                        _exit(3);
                pid_t middle = fork();
                if (middle == 0) {
                        for (int i = 0; i < n; i++) {
                                if (fork() != 0)
                                        continue;
                                char self[32] = {0};
                                if (readlink("/proc/self", self, sizeof(self) - 1) < 0)
                                        _exit(4);
                                pid_t me = (pid_t) atoi(self);
                                if (write(fds[1], &me, sizeof(me)) != sizeof(me))
                                        _exit(5);
                                for (long end = testlib_now_ms() + DEADLINE_MS; getppid() != 1;)
                                        if (testlib_now_ms() > end)
                                                _exit(6);
                                        else
                                                testlib_sleep_ms(1);
                                _exit(0);
                        }
                        _exit(0);
                }
                _exit(middle > 0 && waitpid(middle, NULL, 0) == middle ? 0 : 6);
        }
        close(fds[1]);
        for (int i = 0; i < n; i++)
                assert_int_equal(read(fds[0], &pids[i], sizeof(pids[i])), sizeof(pids[i]));
        close(fds[0]);
        int status;
        assert_int_equal(waitpid(helper, &status, 0), helper);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- tests ---- */

static void test_version(void **state) {
        (void) state;
        REQUIRE_PAUSE();
        char out[256];
        assert_int_equal(run_plain("--version", out, sizeof(out)), 0);
        assert_true(!strncmp(out, "cric-pause ", 11));
        assert_non_null(strchr(out, '\n'));
}

static void test_unknown_argument(void **state) {
        (void) state;
        REQUIRE_PAUSE();
        char out[512];
        assert_int_equal(run_plain("--bogus", out, sizeof(out)), 2);
        assert_non_null(strstr(out, "usage"));
}

static void test_is_pid1_of_its_namespace(void **state) {
        (void) state;
        REQUIRE_PIDNS();
        pid_t pid = start_pause_in_pidns();
        AUTOFREE char *status = testlib_read_file("/proc/%d/status", (int) pid);
        char *line = strstr(status, "\nNSpid:");
        assert_non_null(line);
        line[strcspn(line + 1, "\n") + 1] = '\0';
        assert_int_equal(atoi(strrchr(line, '\t') + 1), 1);
        stop_pause(pid);
}

static void test_sigterm_exits_zero(void **state) {
        (void) state;
        REQUIRE_PIDNS();
        term_exits_zero(start_pause_in_pidns(), SIGTERM);
}

static void test_sigint_exits_zero(void **state) {
        (void) state;
        REQUIRE_PIDNS();
        term_exits_zero(start_pause_in_pidns(), SIGINT);
}

/* Each signal is sent once it is sure to arrive; cric-pause must take them all off its
 * queue and go back to waiting (had one ended it, it would be exiting instead), and
 * only SIGTERM then ends it. */
static void test_other_signals_are_ignored(void **state) {
        (void) state;
        REQUIRE_PIDNS();
        pid_t pid = start_pause_in_pidns();
        const int sigs[] = {SIGHUP, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGQUIT, SIGWINCH, SIGRTMIN};
        uint64_t sent = 0;
        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
                send_signal(pid, sigs[i]);
                sent |= UINT64_C(1) << (sigs[i] - 1);
        }
        if (!WAIT_UNTIL(idle_without(pid, sent), DEADLINE_MS))
                fail_msg("cric-pause did not go back to waiting (pending %llx, state %c)",
                         (unsigned long long) (status_mask(pid, "SigPnd:") | status_mask(pid, "ShdPnd:")),
                         proc_state(pid) ? proc_state(pid) : '-');
        assert_int_equal(waitpid(pid, NULL, WNOHANG), 0); /* still running */
        term_exits_zero(pid, SIGTERM);
}

static void test_reaps_an_orphan(void **state) {
        (void) state;
        REQUIRE_PIDNS();
        pid_t pid = start_pause_in_pidns();
        pid_t orphan = 0;
        make_orphans(pid, 1, &orphan);
        bool gone = wait_gone(orphan);
        char st = proc_state(orphan);
        stop_pause(pid);
        if (!gone)
                fail_msg("orphan %d not reaped (state %c)", (int) orphan, st ? st : '-');
}

static void test_reaps_many_orphans_and_keeps_running(void **state) {
        (void) state;
        REQUIRE_PIDNS();
        pid_t pid = start_pause_in_pidns();
        pid_t orphans[30];
        make_orphans(pid, 25, orphans);
        make_orphans(pid, 5, orphans + 25); /* a second wave, after the first SIGCHLDs */
        for (int i = 0; i < 30; i++)
                if (!wait_gone(orphans[i])) {
                        stop_pause(pid);
                        fail_msg("orphan %d not reaped", (int) orphans[i]);
                }
        assert_int_equal(waitpid(pid, NULL, WNOHANG), 0);
        term_exits_zero(pid, SIGTERM);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_version),
                cmocka_unit_test(test_unknown_argument),
                cmocka_unit_test_teardown(test_is_pid1_of_its_namespace, teardown),
                cmocka_unit_test_teardown(test_sigterm_exits_zero, teardown),
                cmocka_unit_test_teardown(test_sigint_exits_zero, teardown),
                cmocka_unit_test_teardown(test_other_signals_are_ignored, teardown),
                cmocka_unit_test_teardown(test_reaps_an_orphan, teardown),
                cmocka_unit_test_teardown(test_reaps_many_orphans_and_keeps_running, teardown),
        };
        return cmocka_run_group_tests_name("pause", tests, NULL, NULL);
}
