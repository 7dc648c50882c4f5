/* The daemon-side client against the real cric-monitor ($CRIC_MONITOR) and a fake OCI
 * runtime (a shell script), so it runs without root. The real runtimes are exercised by
 * tests/monitor/test_monitor.py. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "monitor/monitor.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* create: a "container" that waits for BUNDLE/started, then talks and exits 3.
 * exec: runs the process file as a shell script, with its pid in the pid file. */
static const char fake_runtime[] =
        "#!/bin/sh\n"
        "while [ $# -gt 0 ]; do\n"
        "  case $1 in\n"
        "    --bundle) bundle=$2; shift 2 ;;\n"
        "    --pid-file) pidfile=$2; shift 2 ;;\n"
        "    --process) process=$2; shift 2 ;;\n"
        "    --root|--console-socket) shift 2 ;;\n"
        "    create|exec) verb=$1; shift ;;\n"
        "    *) id=$1; shift ;;\n"
        "  esac\n"
        "done\n"
        "if [ \"$verb\" = create ]; then\n"
        "  case $bundle in */fail) echo \"fake: cannot create $id\" >&2; exit 1 ;; esac\n"
        "  sh -c 'while [ ! -e \"$1/started\" ]; do sleep 0.02; done; echo hello; echo oops >&2; exit 3' sh "
        "\"$bundle\" &\n"
        "  echo $! > \"$pidfile\"\n"
        "  exit 0\n"
        "fi\n"
        "sh \"$process\" &\n"
        "echo $! > \"$pidfile\"\n"
        "wait $!\n";

#define REQUIRE_MONITOR(e)                                                                                             \
        do {                                                                                                           \
                if (!(e)->monitor) {                                                                                   \
                        print_message("skipped: CRIC_MONITOR (the cric-monitor binary) is not set\n");                 \
                        skip();                                                                                        \
                }                                                                                                      \
        } while (0)

struct env {
        char *dir;
        const char *monitor;
        char *runtime;
};

static int setup(void **state) {
        struct env *e = xzalloc(sizeof(*e));
        e->monitor = getenv("CRIC_MONITOR");
        e->dir = testlib_tmpdir("client-test");
        e->runtime = xasprintf("%s/fake-runtime", e->dir);
        struct cric_error *err = NULL;
        if (fs_write_file_atomic(e->runtime, fake_runtime, strlen(fake_runtime), 0755, &err) < 0)
                return -1;
        *state = e;
        return 0;
}

static int teardown(void **state) {
        struct env *e = *state;
        int r = testlib_rmtree(e->dir);
        free(e->dir);
        free(e->runtime);
        free(e);
        return r;
}

static struct monitor_create_opts create_opts(struct env *e, const char *id, char *bundle) {
        return (struct monitor_create_opts){
                .monitor_path = e->monitor,
                .id = id,
                .bundle = bundle,
                .runtime = e->runtime,
                .log_path = xasprintf("%s/%s.log", e->dir, id),
                .exit_dir = xasprintf("%s/exits", e->dir),
                .socket_dir = xasprintf("%s/sockets", e->dir),
                .pid_file = xasprintf("%s/%s.pid", e->dir, id),
                .log_level = "debug",
                .monitor_log_path = xasprintf("%s/%s.monitor.log", e->dir, id),
                .timeout_ms = 20000,
        };
}

static void free_opts(struct monitor_create_opts *o) {
        free((char *) o->log_path);
        free((char *) o->exit_dir);
        free((char *) o->socket_dir);
        free((char *) o->pid_file);
        free((char *) o->monitor_log_path);
}

static void touch(const char *dir, const char *name) {
        AUTOFREE char *path = xasprintf("%s/%s", dir, name);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(fs_write_file_atomic(path, "", 0, 0644, &err), 0);
}

/* True once the exit file of o's container exists; a broken one fails the test. */
static bool read_exit(const struct monitor_create_opts *o, struct monitor_exit *ret) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (monitor_read_exit_file(o->exit_dir, o->id, ret, &err) == 0)
                return true;
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        return false;
}

static void wait_exit(const struct monitor_create_opts *o, struct monitor_exit *ret) {
        if (!WAIT_UNTIL(read_exit(o, ret), 10000))
                fail_msg("no exit file for %s", o->id);
}

static void test_create_and_exit(void **state) {
        struct env *e = *state;
        REQUIRE_MONITOR(e);
        AUTOFREE char *bundle = xasprintf("%s/bundle", e->dir);
        assert_int_equal(mkdir(bundle, 0755), 0);
        struct monitor_create_opts o = create_opts(e, "c1", bundle);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        pid_t mon = 0, ctr = 0;
        if (monitor_spawn_create(&o, &mon, &ctr, &err) < 0)
                fail_msg("create: %s", err->msg);
        assert_true(mon > 0 && ctr > 0 && mon != ctr);
        assert_true(monitor_is_alive(mon));
        assert_false(monitor_is_alive(ctr)); /* alive, but not a monitor */
        int fd = -1;
        assert_int_equal(monitor_attach_connect(o.socket_dir, "c1", &fd, &err), 0);
        assert_int_equal(monitor_reopen_log(o.socket_dir, "c1", &err), 0);
        assert_int_equal(monitor_resize(o.socket_dir, "c1", 24, 80, &err), 0); /* no tty: ignored */
        assert_int_equal(monitor_resize(o.socket_dir, "c1", 0, 80, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        cric_error_freep(&err);
        touch(bundle, "started");
        char pkt[256];
        ssize_t n = recv(fd, pkt, sizeof(pkt), 0);
        assert_true(n == 7 || n == 6);
        assert_memory_equal(pkt, n == 7 ? "\1hello\n" : "\2oops\n", (size_t) n);
        struct monitor_exit ex;
        wait_exit(&o, &ex);
        assert_int_equal(ex.exit_code, 3);
        assert_int_equal(ex.signal, 0);
        assert_false(ex.oom_killed);
        close(fd);
        assert_true(WAIT_UNTIL(!monitor_is_alive(mon), 5000));
        assert_int_equal(monitor_reopen_log(o.socket_dir, "c1", &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        cric_error_freep(&err);
        assert_int_equal(monitor_attach_connect(o.socket_dir, "c1", &fd, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        AUTOFREE char *log = testlib_read_file("%s", o.log_path);
        assert_non_null(strstr(log, " stdout F hello\n"));
        assert_non_null(strstr(log, " stderr F oops\n"));
        free_opts(&o);
}

static void test_create_failure(void **state) {
        struct env *e = *state;
        REQUIRE_MONITOR(e);
        AUTOFREE char *bundle = xasprintf("%s/fail", e->dir);
        struct monitor_create_opts o = create_opts(e, "c2", bundle);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        pid_t mon = 0, ctr = 0;
        assert_int_equal(monitor_spawn_create(&o, &mon, &ctr, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INTERNAL);
        assert_string_equal(err->msg, "fake: cannot create c2");
        assert_int_equal(mon, 0);
        free_opts(&o);
}

static void test_bad_monitor_path(void **state) {
        struct env *e = *state;
        struct monitor_create_opts o = create_opts(e, "c3", e->dir);
        o.monitor_path = "/nonexistent/cric-monitor";
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        pid_t mon, ctr;
        assert_int_equal(monitor_spawn_create(&o, &mon, &ctr, &err), -1);
        assert_non_null(err);
        free_opts(&o);
}

static char *process_file(struct env *e, const char *script) {
        char *path = xasprintf("%s/process-%d.sh", e->dir, rand());
        struct cric_error *err = NULL;
        assert_int_equal(fs_write_file_atomic(path, script, strlen(script), 0644, &err), 0);
        return path;
}

static void test_exec_sync(void **state) {
        struct env *e = *state;
        REQUIRE_MONITOR(e);
        AUTOFREE char *proc = process_file(e, "echo out; printf 'e\\0rr' >&2; exit 4\n");
        struct monitor_exec_opts o = {
                .monitor_path = e->monitor, .id = "c4", .runtime = e->runtime, .process_path = proc, .timeout_s = 20};
        struct monitor_exec_result r;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (monitor_exec_sync(&o, &r, &err) < 0)
                fail_msg("exec: %s", err->msg);
        assert_int_equal(r.exit_code, 4);
        assert_false(r.is_timed_out);
        assert_int_equal(r.stdout_len, 4);
        assert_string_equal(r.stdout_data, "out\n");
        assert_int_equal(r.stderr_len, 4);
        assert_memory_equal(r.stderr_data, "e\0rr", 4);
        monitor_exec_result_clear(&r);
}

static void test_exec_sync_timeout(void **state) {
        struct env *e = *state;
        REQUIRE_MONITOR(e);
        AUTOFREE char *proc = process_file(e, "echo before; exec sleep 30\n");
        /* long enough for "before" to get out on a loaded machine, well short of the sleep */
        struct monitor_exec_opts o = {
                .monitor_path = e->monitor, .id = "c5", .runtime = e->runtime, .process_path = proc, .timeout_s = 3};
        struct monitor_exec_result r;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        time_t t0 = time(NULL);
        if (monitor_exec_sync(&o, &r, &err) < 0)
                fail_msg("exec: %s", err->msg);
        assert_true(time(NULL) - t0 < 20);
        assert_true(r.is_timed_out);
        assert_int_equal(r.exit_code, -1);
        assert_string_equal(r.stdout_data, "before\n");
        monitor_exec_result_clear(&r);
}

static char *script(struct env *e, const char *name, const char *text) {
        char *path = xasprintf("%s/%s", e->dir, name);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(fs_write_file_atomic(path, text, strlen(text), 0755, &err), 0);
        return path;
}

/* cricd refuses a monitor that speaks another protocol (monitor/protocol.h). */
static void test_version_check(void **state) {
        struct env *e = *state;
        REQUIRE_MONITOR(e);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(monitor_check_version(e->monitor, &err), 0);
        assert_null(err);
        AUTOFREE char *newer = script(e, "newer", "#!/bin/sh\necho 99\n");
        assert_int_equal(monitor_check_version(newer, &err), -1);
        assert_int_equal(err->kind, CRIC_E_PRECONDITION);
        assert_non_null(strstr(err->msg, "speaks protocol 99"));
        cric_error_freep(&err);
        AUTOFREE char *junk = script(e, "junk", "#!/bin/sh\necho hello\n");
        assert_int_equal(monitor_check_version(junk, &err), -1);
        assert_int_equal(err->kind, CRIC_E_PRECONDITION);
        cric_error_freep(&err);
        AUTOFREE char *missing = xasprintf("%s/no-such-monitor", e->dir);
        assert_int_equal(monitor_check_version(missing, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
}

static void test_alive_rejects_nonsense(void **state) {
        (void) state;
        assert_false(monitor_is_alive(0));
        assert_false(monitor_is_alive(-1));
        assert_false(monitor_is_alive(getpid()));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_create_and_exit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_create_failure, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_monitor_path, setup, teardown),
                cmocka_unit_test_setup_teardown(test_exec_sync, setup, teardown),
                cmocka_unit_test_setup_teardown(test_exec_sync_timeout, setup, teardown),
                cmocka_unit_test_setup_teardown(test_version_check, setup, teardown),
                cmocka_unit_test(test_alive_rejects_nonsense),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
