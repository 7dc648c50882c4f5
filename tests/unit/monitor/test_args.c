/* cric-monitor's command line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "monitor/internal.h"
#include "util/cleanup.h"
#include "util/strv.h"

#define CREATE_ARGS                                                                                                    \
        "cric-monitor", "-c", "abc", "--bundle", "/b", "--runtime", "/usr/bin/crun", "--log-path", "/l", "--exit-dir", \
                "/e", "--socket-dir", "/s", "--pid-file", "/p", "--sync-fd", "5"

static int parse(char **argv, struct monitor_args *a, struct cric_error **err) {
        return monitor_args_parse((int) strv_length(argv), argv, a, err);
}

/* The error kind and a piece of its message. */
static void assert_rejected(char **argv, const char *needle) {
        struct monitor_args a;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(parse(argv, &a, &err), -1);
        assert_non_null(err);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        if (!strstr(err->msg, needle))
                fail_msg("\"%s\" does not mention \"%s\"", err->msg, needle);
}

static void test_create_mode(void **state) {
        (void) state;
        char *argv[] = {CREATE_ARGS,
                        "--runtime-root",
                        "/run/crun",
                        "--runtime-arg",
                        "--systemd-cgroup",
                        "--runtime-arg",
                        "--debug",
                        "--log-size-max",
                        "1048576",
                        "-t",
                        "-i",
                        "--stdin-once",
                        "--cgroup-path",
                        "/sys/fs/cgroup/x",
                        "--log-level",
                        "debug",
                        "--runtime-fd",
                        "4",
                        NULL};
        struct monitor_args a;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(parse(argv, &a, &err), 0);
        assert_string_equal(a.cid, "abc");
        assert_string_equal(a.bundle, "/b");
        assert_string_equal(a.runtime, "/usr/bin/crun");
        assert_string_equal(a.runtime_root, "/run/crun");
        assert_int_equal(strv_length(a.runtime_args), 2);
        assert_string_equal(a.runtime_args[0], "--systemd-cgroup");
        assert_string_equal(a.runtime_args[1], "--debug");
        assert_string_equal(a.log_path, "/l");
        assert_int_equal(a.log_size_max, 1048576);
        assert_string_equal(a.exit_dir, "/e");
        assert_string_equal(a.socket_dir, "/s");
        assert_string_equal(a.pid_file, "/p");
        assert_int_equal(a.sync_fd, 5);
        assert_int_equal(a.runtime_fd, 4);
        assert_true(a.is_terminal && a.has_stdin && a.is_stdin_once);
        assert_string_equal(a.cgroup_path, "/sys/fs/cgroup/x");
        assert_int_equal(a.log_level, LOG_LEVEL_DEBUG);
        assert_false(a.is_exec);
        monitor_args_clear(&a);
}

static void test_defaults(void **state) {
        (void) state;
        char *argv[] = {CREATE_ARGS, NULL};
        struct monitor_args a;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(parse(argv, &a, &err), 0);
        assert_null(a.runtime_root);
        assert_null(a.runtime_args);
        assert_null(a.cgroup_path);
        assert_int_equal(a.runtime_fd, -1); /* run the runtime's file */
        assert_int_equal(a.log_size_max, 0);
        assert_int_equal(a.log_level, LOG_LEVEL_INFO);
        assert_false(a.is_terminal || a.has_stdin || a.is_stdin_once);
        monitor_args_clear(&a);
}

static void test_equals_form_and_reparse(void **state) {
        (void) state;
        char *argv[] = {"m", "--cid=x", "--runtime=/r", "--exec", "--exec-process=/p.json", "--timeout=30", NULL};
        for (int round = 0; round < 2; round++) { /* getopt state is reset each time */
                struct monitor_args a;
                CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                assert_int_equal(parse(argv, &a, &err), 0);
                assert_true(a.is_exec);
                assert_string_equal(a.cid, "x");
                assert_string_equal(a.exec_process, "/p.json");
                assert_int_equal(a.timeout_s, 30);
                assert_int_equal(a.sync_fd, -1);
                monitor_args_clear(&a);
        }
}

static void test_version_check_needs_nothing_else(void **state) {
        (void) state;
        char *argv[] = {"m", "--version-check", NULL};
        struct monitor_args a;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(parse(argv, &a, &err), 0);
        assert_true(a.is_version_check);
        monitor_args_clear(&a);
}

static void test_missing_options(void **state) {
        (void) state;
        char *no_cid[] = {"m", "--runtime", "/r", NULL};
        assert_rejected(no_cid, "--cid");
        char *no_runtime[] = {"m", "-c", "x", NULL};
        assert_rejected(no_runtime, "--runtime");
        char *no_bundle[] = {"m", "-c", "x", "--runtime", "/r", NULL};
        assert_rejected(no_bundle, "--bundle");
        char *no_sync[] = {"m",  "-c",         "x",  "--bundle",     "/b", "--runtime",  "/r", "--log-path",
                           "/l", "--exit-dir", "/e", "--socket-dir", "/s", "--pid-file", "/p", NULL};
        assert_rejected(no_sync, "--sync-fd");
        char *no_process[] = {"m", "-c", "x", "--runtime", "/r", "--exec", NULL};
        assert_rejected(no_process, "--exec-process");
}

static void test_bad_values(void **state) {
        (void) state;
        char *neg_size[] = {CREATE_ARGS, "--log-size-max", "-1", NULL};
        assert_rejected(neg_size, "log-size-max");
        char *junk_size[] = {CREATE_ARGS, "--log-size-max", "12k", NULL};
        assert_rejected(junk_size, "log-size-max");
        char *stdio_fd[] = {CREATE_ARGS, "--sync-fd", "1", NULL};
        assert_rejected(stdio_fd, "standard stream");
        char *big_fd[] = {CREATE_ARGS, "--sync-fd", "99999999999", NULL};
        assert_rejected(big_fd, "sync-fd");
        char *stdio_runtime_fd[] = {CREATE_ARGS, "--runtime-fd", "2", NULL};
        assert_rejected(stdio_runtime_fd, "--runtime-fd: 2 is a standard stream");
        char *junk_runtime_fd[] = {CREATE_ARGS, "--runtime-fd", "four", NULL};
        assert_rejected(junk_runtime_fd, "runtime-fd");
        char *same_fd[] = {CREATE_ARGS, "--runtime-fd", "5", NULL};
        assert_rejected(same_fd, "both 5");
        char *level[] = {CREATE_ARGS, "--log-level", "loud", NULL};
        assert_rejected(level, "loud");
        char *timeout[] = {"m", "-c", "x", "--runtime", "/r", "--exec", "--exec-process", "/p", "--timeout", "x", NULL};
        assert_rejected(timeout, "timeout");
}

static void test_bad_combinations(void **state) {
        (void) state;
        char *once[] = {CREATE_ARGS, "--stdin-once", NULL};
        assert_rejected(once, "--stdin");
        char *exec_tty[] = {"m", "-c", "x", "--runtime", "/r", "--exec", "--exec-process", "/p", "-t", NULL};
        assert_rejected(exec_tty, "terminal");
        char *slash_id[] = {"m", "-c", "../x", "--runtime", "/r", NULL};
        assert_rejected(slash_id, "invalid container id");
        char *dot_id[] = {"m", "-c", "..", "--runtime", "/r", NULL};
        assert_rejected(dot_id, "invalid container id");
        char *extra[] = {CREATE_ARGS, "stray", NULL};
        assert_rejected(extra, "stray");
        char *unknown[] = {CREATE_ARGS, "--frobnicate", NULL};
        assert_rejected(unknown, "bad command line");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_create_mode),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_equals_form_and_reparse),
                cmocka_unit_test(test_version_check_needs_nothing_else),
                cmocka_unit_test(test_missing_options),
                cmocka_unit_test(test_bad_values),
                cmocka_unit_test(test_bad_combinations),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
