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
#include <time.h>
#include <unistd.h>

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

#define REQUIRE_ROOT()                                                                                                 \
        do {                                                                                                           \
                REQUIRE_PAUSE();                                                                                       \
                if (geteuid() != 0) {                                                                                  \
                        print_message("skipped: needs root to create a PID namespace\n");                              \
                        skip();                                                                                        \
                }                                                                                                      \
        } while (0)

static long now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void sleep_ms(long ms) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

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

/* True once pid runs cric-pause with its signals blocked. While it sleeps in
 * sigwaitinfo() the kernel shows the waited-for signals as unblocked (SigBlk 0), so a
 * sleeping cric-pause counts as ready too: it has nothing else to sleep in. */
static bool pause_ready(pid_t pid) {
        char path[64], exe[4096] = {0};
        snprintf(path, sizeof(path), "/proc/%d/exe", (int) pid);
        AUTOFREE char *want = realpath(pause_bin(), NULL);
        if (readlink(path, exe, sizeof(exe) - 1) < 0 || !want || strcmp(exe, want))
                return false;
        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        AUTOFCLOSE FILE *f = fopen(path, "re");
        AUTOFREE char *line = NULL;
        size_t cap = 0;
        while (f && getline(&line, &cap, f) > 0) {
                if (!strncmp(line, "State:", 6) && strchr(line, 'S'))
                        return true;
                if (!strncmp(line, "SigBlk:", 7) && strtoull(line + 7, NULL, 16) != 0)
                        return true;
        }
        return false;
}

/* Starts cric-pause as PID 1 of a new PID namespace; returns its pid as we see it. */
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
        for (long end = now_ms() + DEADLINE_MS; now_ms() < end; sleep_ms(5))
                if (pause_ready(pid))
                        return pid;
        fail_msg("cric-pause did not start");
        return -1;
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
        for (long end = now_ms() + DEADLINE_MS; now_ms() < end; sleep_ms(5)) {
                int status;
                pid_t r = waitpid(pid, &status, WNOHANG);
                if (r == pid) {
                        current_pause = -1;
                        return status;
                }
        }
        return -1;
}

static void stop_pause(pid_t pid) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        current_pause = -1;
}

/* 'Z' for a zombie, 0 once the process is gone. */
static char proc_state(pid_t pid) {
        char path[64], buf[512];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        char *p = strrchr(buf, ')');
        return p && p[1] == ' ' ? p[2] : '?';
}

static bool wait_gone(pid_t pid) {
        for (long end = now_ms() + DEADLINE_MS; now_ms() < end; sleep_ms(5))
                if (proc_state(pid) == 0)
                        return true;
        return false;
}

/* Makes n orphans inside pause's PID namespace: a helper joins the namespace (for its
 * children), forks a middle process there, which forks n grandchildren and exits.
 * The grandchildren are reparented to the namespace's init, report their pid as the
 * test sees it (/proc/self is the test's procfs), wait until their parent is PID 1
 * and exit. Fills pids[]. */
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
                                while (getppid() != 1)
                                        usleep(1000);
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
        REQUIRE_ROOT();
        pid_t pid = start_pause_in_pidns();
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        AUTOFCLOSE FILE *f = fopen(path, "re");
        assert_non_null(f);
        AUTOFREE char *line = NULL;
        size_t cap = 0;
        bool seen = false;
        while (getline(&line, &cap, f) > 0)
                if (!strncmp(line, "NSpid:", 6)) {
                        seen = true;
                        assert_int_equal(atoi(strrchr(line, '\t') + 1), 1);
                }
        assert_true(seen);
        stop_pause(pid);
}

static void test_sigterm_exits_zero(void **state) {
        (void) state;
        REQUIRE_ROOT();
        pid_t pid = start_pause_in_pidns();
        assert_int_equal(kill(pid, SIGTERM), 0);
        int status = wait_exit(pid);
        if (status == -1)
                stop_pause(pid);
        assert_true(status != -1 && WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_sigint_exits_zero(void **state) {
        (void) state;
        REQUIRE_ROOT();
        pid_t pid = start_pause_in_pidns();
        assert_int_equal(kill(pid, SIGINT), 0);
        int status = wait_exit(pid);
        if (status == -1)
                stop_pause(pid);
        assert_true(status != -1 && WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_other_signals_are_ignored(void **state) {
        (void) state;
        REQUIRE_ROOT();
        pid_t pid = start_pause_in_pidns();
        const int sigs[] = {SIGHUP, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGQUIT, SIGWINCH, SIGRTMIN};
        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
                assert_int_equal(kill(pid, sigs[i]), 0);
        sleep_ms(100);
        assert_int_equal(waitpid(pid, NULL, WNOHANG), 0); /* still running */
        assert_int_equal(kill(pid, SIGTERM), 0);
        int status = wait_exit(pid);
        if (status == -1)
                stop_pause(pid);
        assert_true(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_reaps_an_orphan(void **state) {
        (void) state;
        REQUIRE_ROOT();
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
        REQUIRE_ROOT();
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
        assert_int_equal(kill(pid, SIGTERM), 0);
        int status = wait_exit(pid);
        if (status == -1)
                stop_pause(pid);
        assert_true(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
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
