/* The exit file: the monitor writes it, the daemon's client reads it back. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/internal.h"
#include "monitor/monitor.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static int setup(void **state) {
        *state = testlib_tmpdir("exit-test");
        return 0;
}

static int teardown(void **state) {
        AUTOFREE char *dir = *state;
        return testlib_rmtree(dir);
}

static void test_from_status(void **state) {
        (void) state;
        struct monitor_exit e;
        monitor_exit_from_status(W_EXITCODE(3, 0), 42, false, &e);
        assert_int_equal(e.exit_code, 3);
        assert_int_equal(e.signal, 0);
        assert_int_equal(e.exit_time_ns, 42);
        assert_false(e.oom_killed);
        monitor_exit_from_status(W_EXITCODE(0, SIGKILL), 7, true, &e);
        assert_int_equal(e.exit_code, 137);
        assert_int_equal(e.signal, SIGKILL);
        assert_true(e.oom_killed);
        monitor_exit_from_status(W_EXITCODE(0, SIGTERM), 7, false, &e);
        assert_int_equal(e.exit_code, 143);
        assert_int_equal(e.signal, SIGTERM);
}

static void test_format(void **state) {
        (void) state;
        struct monitor_exit e = {
                .exit_code = 137, .exit_time_ns = 1475713029669794202, .oom_killed = true, .signal = 9};
        AUTOFREE char *json = monitor_exit_format(&e);
        assert_string_equal(json, "{\"exit_code\": 137, \"exit_time_ns\": 1475713029669794202, "
                                  "\"oom_killed\": true, \"signal\": 9}\n");
}

static void test_round_trip(void **state) {
        (void) state;
        const struct monitor_exit cases[] = {
                {.exit_code = 0, .exit_time_ns = 1, .oom_killed = false, .signal = 0},
                {.exit_code = 255, .exit_time_ns = INT64_MAX, .oom_killed = false, .signal = 0},
                {.exit_code = 137, .exit_time_ns = 1795817247126773815, .oom_killed = true, .signal = 9},
                {.exit_code = -1, .exit_time_ns = 0, .oom_killed = false, .signal = 0},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                AUTOFREE char *json = monitor_exit_format(&cases[i]);
                struct monitor_exit back;
                assert_int_equal(monitor_exit_parse(json, &back, &err), 0);
                assert_int_equal(back.exit_code, cases[i].exit_code);
                assert_int_equal(back.exit_time_ns, cases[i].exit_time_ns);
                assert_int_equal(back.oom_killed, cases[i].oom_killed);
                assert_int_equal(back.signal, cases[i].signal);
        }
}

static void test_write_and_read_file(void **state) {
        const char *dir = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOFREE char *exit_dir = xasprintf("%s/exits/nested", dir); /* created on demand */
        struct monitor_exit e = {.exit_code = 7, .exit_time_ns = 123456789, .signal = 0}, back;
        assert_int_equal(monitor_read_exit_file(exit_dir, "c1", &back, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        cric_error_freep(&err);
        assert_int_equal(monitor_exit_write(exit_dir, "c1", &e, &err), 0);
        assert_int_equal(monitor_read_exit_file(exit_dir, "c1", &back, &err), 0);
        assert_int_equal(back.exit_code, 7);
        assert_int_equal(back.exit_time_ns, 123456789);
        assert_false(back.oom_killed);
        AUTOFREE char *path = xasprintf("%s/c1", exit_dir);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        /* no temp file left behind */
        AUTOFREE char *cmd = xasprintf("test $(ls -A '%s' | wc -l) -eq 1", exit_dir);
        assert_int_equal(system(cmd), 0);
}

static void test_bad_files(void **state) {
        (void) state;
        static const char *const bad[] = {
                "",
                "{}",
                "[1]",
                "{\"exit_code\": \"0\", \"exit_time_ns\": 1, \"oom_killed\": false, \"signal\": 0}",
                "{\"exit_code\": 0, \"exit_time_ns\": 1, \"oom_killed\": 0, \"signal\": 0}",
                "{\"exit_code\": 0, \"exit_time_ns\": 1, \"oom_killed\": false}",
                "{\"exit_code\": 300, \"exit_time_ns\": 1, \"oom_killed\": false, \"signal\": 0}",
                "{\"exit_code\": 0, \"exit_time_ns\": 1, \"oom_killed\": false, \"signal\": -1}",
                "{\"exit_code\": 0, \"exit_time_ns\": 1, \"oom_",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                struct monitor_exit e;
                assert_int_equal(monitor_exit_parse(bad[i], &e, &err), -1);
                assert_int_equal(err->kind, CRIC_E_INTERNAL);
        }
}

static void test_unknown_fields_are_ignored(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct monitor_exit e;
        assert_int_equal(monitor_exit_parse("{\"exit_code\": 1, \"exit_time_ns\": 2, \"oom_killed\": true, "
                                            "\"signal\": 0, \"future\": [1, 2]}",
                                            &e, &err),
                         0);
        assert_int_equal(e.exit_code, 1);
        assert_true(e.oom_killed);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_from_status),
                cmocka_unit_test(test_format),
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test_setup_teardown(test_write_and_read_file, setup, teardown),
                cmocka_unit_test(test_bad_files),
                cmocka_unit_test(test_unknown_fields_are_ignored),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
