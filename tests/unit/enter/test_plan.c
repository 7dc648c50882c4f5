/* enter_plan_new: what qualifies a container for exec without its runtime, and what
 * the plan holds. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "enter/internal.h"
#include "testlib.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define PROCESS_BASE                                                                                                   \
        "\"args\":[\"sleep\"],\"cwd\":\"/work\",\"env\":[\"PATH=/a:/b\",\"X=1\"],"                                     \
        "\"user\":{\"uid\":1000,\"gid\":3000,\"umask\":18,\"additionalGids\":[4000,5000]},"                            \
        "\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_KILL\"],\"effective\":[\"CAP_KILL\"],"                    \
        "\"permitted\":[\"CAP_KILL\"],\"inheritable\":[],\"ambient\":[]},"                                             \
        "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1024,\"hard\":4096}],"                                      \
        "\"noNewPrivileges\":true,\"oomScoreAdj\":500"

static struct enter_plan *plan_ok(const char *json) {
        struct cric_error *err = NULL;
        struct enter_plan *p = NULL;
        int r = enter_plan_new(json, NULL, &p, &err);
        if (r < 0)
                fail_msg("%s", err->msg);
        return p;
}

static void test_plan_holds_the_process_settings(void **state) {
        (void) state;
        struct enter_plan *p = plan_ok("{\"process\":{" PROCESS_BASE "},\"linux\":{\"namespaces\":[{\"type\":\"pid\"},"
                                       "{\"type\":\"mount\"},{\"type\":\"network\",\"path\":\"/run/x\"}]}}");
        assert_int_equal(p->uid, 1000);
        assert_int_equal(p->gid, 3000);
        assert_int_equal(p->n_groups, 2);
        assert_int_equal(p->groups[1], 5000);
        assert_true(p->has_umask);
        assert_int_equal(p->umask, 022);
        assert_string_equal(p->cwd, "/work");
        assert_true(p->no_new_privs);
        assert_true(p->has_oom_score_adj);
        assert_int_equal(p->oom_score_adj, 500);
        assert_int_equal(p->caps[CAPS_BOUNDING], (1u << 0) | (1u << 5));
        assert_int_equal(p->caps[CAPS_EFFECTIVE], 1u << 5);
        assert_int_equal(p->caps[CAPS_AMBIENT], 0);
        assert_true(p->has_rlimit[RLIMIT_NOFILE]);
        assert_int_equal(p->rlimit[RLIMIT_NOFILE].rlim_cur, 1024);
        assert_int_equal(p->rlimit[RLIMIT_NOFILE].rlim_max, 4096);
        assert_false(p->has_rlimit[RLIMIT_CORE]);
        assert_string_equal(p->path[0], "/a");
        assert_string_equal(p->path[1], "/b");
        assert_null(p->path[2]);
        /* HOME added: no root file system given, so "/" */
        assert_true(strv_contains(p->env, "X=1"));
        assert_true(strv_contains(p->env, "HOME=/"));
        assert_null(p->apparmor); /* none asked for */
        assert_int_equal(p->filter.len, 0);
        enter_plan_free(p);
}

static void expect_unqualified(const char *json, const char *why) {
        struct cric_error *err = NULL;
        struct enter_plan *p = NULL;
        assert_int_equal(enter_plan_new(json, NULL, &p, &err), -1);
        assert_null(p);
        assert_int_equal(err->kind, CRIC_E_UNIMPLEMENTED);
        if (!strstr(err->msg, why))
                fail_msg("%s: not in \"%s\"", why, err->msg);
        cric_error_free(err);
}

static void test_what_needs_the_runtime(void **state) {
        (void) state;
        expect_unqualified("{\"process\":{" PROCESS_BASE "},\"linux\":{\"namespaces\":[{\"type\":\"user\"}]}}",
                           "user namespace");
        expect_unqualified("{\"process\":{" PROCESS_BASE "},\"linux\":{\"namespaces\":[{\"type\":\"time\"}]}}",
                           "time namespace");
        expect_unqualified("{\"process\":{" PROCESS_BASE "},\"linux\":{\"personality\":{\"domain\":\"LINUX32\"}}}",
                           "personality");
        expect_unqualified("{\"process\":{" PROCESS_BASE ",\"ioPriority\":{\"class\":\"IOPRIO_CLASS_IDLE\"}}}",
                           "process.ioPriority");
        expect_unqualified("{\"process\":{" PROCESS_BASE "},\"annotations\":{\"run.oci.keep_original_groups\":\"1\"}}",
                           "run.oci.keep_original_groups");
        expect_unqualified("{\"process\":{\"user\":{\"uid\":0,\"gid\":0,\"username\":\"root\"}}}", "username");
        expect_unqualified("{\"process\":{\"capabilities\":{\"bounding\":[\"CAP_NO_SUCH\"]}}}", "CAP_NO_SUCH");
}

static void test_malformed_configs(void **state) {
        (void) state;
        const char *bad[] = {
                "",
                "[]",
                "{\"linux\":{}}",
                "{\"process\":{\"rlimits\":[{\"type\":\"RLIMIT_BOGUS\",\"soft\":1,\"hard\":1}]}}",
                "{\"process\":{\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":[\"x\"]}}}",
                "{\"process\":{},\"linux\":{\"namespaces\":[{\"path\":\"/x\"}]}}",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct cric_error *err = NULL;
                struct enter_plan *p = NULL;
                assert_int_equal(enter_plan_new(bad[i], NULL, &p, &err), -1);
                assert_int_equal(err->kind, CRIC_E_INVALID);
                cric_error_free(err);
        }
}

static void test_path_default_and_empty_process(void **state) {
        (void) state;
        struct enter_plan *p = plan_ok("{\"process\":{}}");
        assert_string_equal(p->cwd, "/");
        assert_int_equal(p->uid, 0);
        assert_false(p->has_umask);
        assert_false(p->no_new_privs);
        assert_string_equal(p->path[0], "/usr/local/sbin");
        assert_true(strv_contains(p->env, "HOME=/"));
        enter_plan_free(p);
}

static void test_home_from_the_containers_passwd(void **state) {
        (void) state;
        assert_null(enter_home_of("", 0));
        const char *pw = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n"
                         "short:x:1001\nempty:x:1002:1002:::/bin/sh\nbad:x:10x3:0::/nope:/bin/sh\n"
                         "last:x:1004:0::/home/last:/bin/sh";
        char *h = enter_home_of(pw, 1000);
        assert_string_equal(h, "/home/app");
        free(h);
        h = enter_home_of(pw, 0);
        assert_string_equal(h, "/root");
        free(h);
        h = enter_home_of(pw, 1004);
        assert_string_equal(h, "/home/last");
        free(h);
        assert_null(enter_home_of(pw, 1001)); /* too few fields */
        assert_null(enter_home_of(pw, 1002)); /* empty home */
        assert_null(enter_home_of(pw, 10));   /* "10x3" is no uid 10 */
        assert_null(enter_home_of(pw, 7));

        /* through a root file system whose /etc/passwd is a symlink out of it */
        char *dir = testlib_tmpdir("enter-home");
        char *etc = xasprintf("%s/etc", dir), *file = xasprintf("%s/etc/passwd", dir);
        assert_int_equal(mkdir(etc, 0755), 0);
        FILE *f = fopen(file, "w");
        fputs("app:x:1000:1000::/home/app:/bin/sh\n", f);
        fclose(f);
        struct cric_error *err = NULL;
        struct enter_plan *p = NULL;
        assert_int_equal(enter_plan_new("{\"process\":{\"user\":{\"uid\":1000,\"gid\":1}}}", dir, &p, &err), 0);
        assert_true(strv_contains(p->env, "HOME=/home/app"));
        enter_plan_free(p);
        assert_int_equal(unlink(file), 0);
        assert_int_equal(symlink("/etc/passwd", file), 0); /* resolves inside: no such file there */
        assert_int_equal(enter_plan_new("{\"process\":{\"user\":{\"uid\":0,\"gid\":0}}}", dir, &p, &err), 0);
        assert_true(strv_contains(p->env, "HOME=/"));
        enter_plan_free(p);
        /* a FIFO in its place is not read (the open would block the exec) */
        assert_int_equal(unlink(file), 0);
        assert_int_equal(mkfifo(file, 0644), 0);
        assert_int_equal(enter_plan_new("{\"process\":{\"user\":{\"uid\":0,\"gid\":0}}}", dir, &p, &err), 0);
        assert_true(strv_contains(p->env, "HOME=/"));
        enter_plan_free(p);
        /* a HOME already in the environment stays */
        assert_int_equal(enter_plan_new("{\"process\":{\"env\":[\"HOME=/mine\"]}}", dir, &p, &err), 0);
        assert_true(strv_contains(p->env, "HOME=/mine"));
        assert_int_equal(strv_length(p->env), 1);
        enter_plan_free(p);
        testlib_rmtree(dir);
        free(etc);
        free(file);
        free(dir);
}

static void test_rlimit_names(void **state) {
        (void) state;
        assert_int_equal(enter_rlimit_parse("RLIMIT_CPU"), RLIMIT_CPU);
        assert_int_equal(enter_rlimit_parse("RLIMIT_NOFILE"), RLIMIT_NOFILE);
        assert_int_equal(enter_rlimit_parse("RLIMIT_RTTIME"), RLIMIT_RTTIME);
        assert_int_equal(enter_rlimit_parse("RLIMIT_MEMLOCK"), RLIMIT_MEMLOCK);
        assert_int_equal(enter_rlimit_parse("NOFILE"), -1);
        assert_int_equal(enter_rlimit_parse("RLIMIT_"), -1);
        assert_int_equal(enter_rlimit_parse(NULL), -1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plan_holds_the_process_settings),
                cmocka_unit_test(test_what_needs_the_runtime),
                cmocka_unit_test(test_malformed_configs),
                cmocka_unit_test(test_path_default_and_empty_process),
                cmocka_unit_test(test_home_from_the_containers_passwd),
                cmocka_unit_test(test_rlimit_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
