/* The OCI runtime command-line wrapper, against a fake runtime script that records its
 * argv and stdin, against real crun where present, and through the ops vtable. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/stat.h>

#include "spec_test.h"
#include "util/strv.h"

static const char fake_script[] =
        "#!/bin/sh\n"
        "dir=$(dirname \"$0\")\n"
        "echo \"$*\" >> \"$dir/argv.log\"\n"
        "case \"$*\" in *' update '*) cat > \"$dir/stdin.json\" ;; esac\n"
        "case \"$*\" in\n"
        "*missing*) echo 'time=\"x\" level=error msg=\"container does not exist\"' >&2; exit 1 ;;\n"
        "*failing*) echo 'something broke' >&2; exit 2 ;;\n"
        "*slow*) sleep 5 ;;\n"
        "*' state broken'*) echo 'not json' ;;\n"
        "*' state '*) echo '{\"ociVersion\": \"1.0.2\", \"id\": \"c1\", \"pid\": 1234, \"status\": \"running\","
        " \"bundle\": \"/b\"}' ;;\n"
        "esac\n";

struct rt_fixture {
        struct t *t;
        char *script;
        struct oci_runtime *rt;
};

static int rt_setup(void **state) {
        t_setup(state);
        struct t *t = *state;
        struct rt_fixture *f = xzalloc(sizeof(*f));
        f->t = t;
        f->script = t_file(t, "fake-runtime", fake_script);
        assert_int_equal(chmod(f->script, 0755), 0);
        char *extra[] = {"--log-format=json", NULL};
        struct oci_runtime_opts opts = {.path = f->script,
                                        .root = "/run/fake",
                                        .extra_args = extra,
                                        .systemd_cgroup = true,
                                        .timeout_ms = 1000};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (oci_runtime_new(&opts, &f->rt, &err) < 0)
                fail_msg("%s", err->msg);
        *state = f;
        return 0;
}

static int rt_teardown(void **state) {
        struct rt_fixture *f = *state;
        oci_runtime_free(f->rt);
        free(f->script);
        void *t = f->t;
        free(f);
        return t_teardown(&t);
}

static char *read_rel(struct t *t, const char *rel) {
        return testlib_read_file("%s/%s", t->dir, rel);
}

static void test_runtime_argv(void **state) {
        struct rt_fixture *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(oci_runtime_start(f->rt, "c1", &err), 0);
        assert_int_equal(oci_runtime_kill(f->rt, "c1", SIGTERM, false, &err), 0);
        assert_int_equal(oci_runtime_kill(f->rt, "c1", SIGKILL, true, &err), 0);
        assert_int_equal(oci_runtime_delete(f->rt, "c1", false, &err), 0);
        assert_int_equal(oci_runtime_delete(f->rt, "c1", true, &err), 0);
        AUTOFREE char *log = read_rel(f->t, "argv.log");
        assert_string_equal(log, "--root /run/fake --log-format=json --systemd-cgroup start c1\n"
                                 "--root /run/fake --log-format=json --systemd-cgroup kill c1 15\n"
                                 "--root /run/fake --log-format=json --systemd-cgroup kill --all c1 9\n"
                                 "--root /run/fake --log-format=json --systemd-cgroup delete c1\n"
                                 "--root /run/fake --log-format=json --systemd-cgroup delete --force c1\n");
}

static void test_runtime_state(void **state) {
        struct rt_fixture *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct oci_state st = {0};
        assert_int_equal(oci_runtime_state(f->rt, "c1", &st, &err), 0);
        assert_string_equal(st.status, "running");
        assert_int_equal(st.pid, 1234);
        assert_string_equal(st.id, "c1");
        assert_string_equal(st.bundle, "/b");
        oci_state_clear(&st);
        assert_null(st.status);
        assert_int_equal(oci_runtime_state(f->rt, "broken", &st, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INTERNAL);
        assert_null(st.status);
}

static void test_runtime_update_stdin(void **state) {
        struct rt_fixture *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct oci_resources res = {.cpu_shares = 1024, .memory_limit_in_bytes = 1 << 30};
        AUTOFREE char *json = NULL;
        assert_int_equal(oci_resources_to_json(&res, &f->t->host, &json, &err), 0);
        assert_int_equal(oci_runtime_update(f->rt, "c1", json, &err), 0);
        AUTOFREE char *in = read_rel(f->t, "stdin.json");
        assert_string_equal(in, json);
        AUTOFREE char *log = read_rel(f->t, "argv.log");
        assert_non_null(strstr(log, "update --resources - c1\n"));
        assert_int_equal(oci_runtime_update(f->rt, "c1", NULL, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
}

static void test_runtime_errors(void **state) {
        struct rt_fixture *f = *state;
        struct cric_error *err = NULL;
        assert_int_equal(oci_runtime_delete(f->rt, "missing", false, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        err = cric_error_free(err);
        assert_int_equal(oci_runtime_start(f->rt, "failing", &err), -1);
        assert_int_equal(err->kind, CRIC_E_INTERNAL);
        assert_non_null(strstr(err->msg, "something broke"));
        assert_non_null(strstr(err->msg, "exit status 2"));
        err = cric_error_free(err);
        assert_int_equal(oci_runtime_kill(f->rt, "slow", SIGTERM, false, &err), -1);
        assert_int_equal(err->kind, CRIC_E_TIMEOUT);
        err = cric_error_free(err);
}

static void test_runtime_bad_input_not_run(void **state) {
        struct rt_fixture *f = *state;
        struct cric_error *err = NULL;
        static const char *const bad[] = {"--all", "-h", "a/b", ""};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(oci_runtime_start(f->rt, bad[i], &err), -1);
                assert_int_equal(err->kind, CRIC_E_INVALID);
                err = cric_error_free(err);
        }
        assert_int_equal(oci_runtime_kill(f->rt, "c1", 0, false, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        err = cric_error_free(err);
        assert_int_equal(oci_runtime_state(f->rt, NULL, &(struct oci_state){0}, &err), -1);
        err = cric_error_free(err);
        AUTOFREE char *path = xasprintf("%s/argv.log", f->t->dir);
        assert_int_equal(access(path, F_OK), -1); /* never ran */
}

static void test_runtime_base_argv(void **state) {
        struct rt_fixture *f = *state;
        CLEANUP(strv_freep) char **argv = oci_runtime_base_argv(f->rt);
        assert_int_equal(strv_length(argv), 5);
        assert_string_equal(argv[0], f->script);
        assert_string_equal(argv[1], "--root");
        assert_string_equal(argv[2], "/run/fake");
        assert_string_equal(argv[3], "--log-format=json");
        assert_string_equal(argv[4], "--systemd-cgroup");
}

static void test_runtime_not_found(void **state) {
        (void) state;
        struct oci_runtime *rt = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct oci_runtime_opts opts = {.path = "/nonexistent/crun"};
        assert_int_equal(oci_runtime_new(&opts, &rt, &err), -1);
        assert_null(rt);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
}

/* Real crun, where installed: an unknown container is NOT_FOUND. */
static void test_runtime_real_crun(void **state) {
        struct rt_fixture *f = *state;
        REQUIRE_ROOT("to run crun");
        AUTOFREE char *crun = fs_find_in_path("crun");
        if (!crun) {
                print_message("skipped: crun is not installed\n");
                skip();
        }
        AUTOFREE char *root = xasprintf("%s/crun-root", f->t->dir);
        struct oci_runtime_opts opts = {.path = "crun", .root = root};
        CLEANUP(oci_runtime_freep) struct oci_runtime *rt = NULL;
        struct cric_error *err = NULL;
        assert_int_equal(oci_runtime_new(&opts, &rt, &err), 0);
        struct oci_state st;
        assert_int_equal(oci_runtime_state(rt, "cric-nosuch", &st, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        err = cric_error_free(err);
        assert_int_equal(oci_runtime_delete(rt, "cric-nosuch", false, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        err = cric_error_free(err);
        assert_int_equal(oci_runtime_kill(rt, "cric-nosuch", SIGTERM, false, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        err = cric_error_free(err);
        assert_int_equal(oci_runtime_delete(rt, "cric-nosuch", true, &err), 0); /* --force: gone is fine */
}

struct fake {
        int starts, kills, last_signal;
        bool *freed;
};

static int fake_start(void *data, const char *id, struct cric_error **err) {
        (void) err;
        struct fake *f = data;
        f->starts++;
        assert_string_equal(id, "c9");
        return 0;
}

static int fake_kill(void *data, const char *id, int signal, bool all, struct cric_error **err) {
        (void) id;
        (void) all;
        struct fake *f = data;
        f->kills++;
        f->last_signal = signal;
        return signal == SIGKILL ? cric_error_set(err, CRIC_E_NOT_FOUND, "gone") : 0;
}

static void fake_free(void *data) {
        struct fake *f = data;
        *f->freed = true;
        free(f);
}

static void test_runtime_ops(void **state) {
        (void) state;
        static const struct oci_runtime_ops ops = {.start = fake_start, .kill = fake_kill, .free = fake_free};
        bool freed = false;
        struct fake *fk = xzalloc(sizeof(*fk));
        fk->freed = &freed;
        struct oci_runtime *rt = oci_runtime_new_ops(&ops, fk);
        struct cric_error *err = NULL;
        assert_int_equal(oci_runtime_start(rt, "c9", &err), 0);
        assert_int_equal(oci_runtime_kill(rt, "c9", SIGTERM, false, &err), 0);
        assert_int_equal(oci_runtime_kill(rt, "c9", SIGKILL, false, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        err = cric_error_free(err);
        assert_int_equal(fk->starts, 1);
        assert_int_equal(fk->kills, 2);
        assert_int_equal(fk->last_signal, SIGKILL);
        assert_int_equal(oci_runtime_delete(rt, "c9", false, &err), -1);
        assert_int_equal(err->kind, CRIC_E_UNIMPLEMENTED);
        err = cric_error_free(err);
        assert_null(oci_runtime_base_argv(rt));
        assert_null(oci_runtime_free(rt));
        assert_true(freed);
}

#define RT_TEST(fn) cmocka_unit_test_setup_teardown(fn, rt_setup, rt_teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                RT_TEST(test_runtime_argv),
                RT_TEST(test_runtime_state),
                RT_TEST(test_runtime_update_stdin),
                RT_TEST(test_runtime_errors),
                RT_TEST(test_runtime_bad_input_not_run),
                RT_TEST(test_runtime_base_argv),
                cmocka_unit_test(test_runtime_not_found),
                RT_TEST(test_runtime_real_crun),
                cmocka_unit_test(test_runtime_ops),
        };
        return cmocka_run_group_tests_name("oci_runtime", tests, NULL, NULL);
}
