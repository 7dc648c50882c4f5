/* OCI spec: process args (ENTRYPOINT/CMD merge), env, cwd, terminal, and the user
 * resolved against the rootfs's /etc/passwd and /etc/group. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include "spec_test.h"

static void assert_args(struct json_object *spec, const char *const *want) {
        size_t n = 0;
        while (want[n])
                n++;
        assert_int_equal(jlen(spec, "process/args"), n);
        for (size_t i = 0; i < n; i++) {
                char key[64];
                snprintf(key, sizeof(key), "process/args/%zu", i);
                assert_string_equal(jstr(spec, key), want[i]);
        }
}

static void test_args_image_entrypoint_and_cmd(void **state) {
        struct t *t = *state;
        assert_args(t_gen(t), (const char *[]){"/bin/entry", "serve", "--port=80", NULL});
}

static void test_args_command_replaces_entrypoint_and_cmd(void **state) {
        struct t *t = *state;
        char *cmd[] = {"/bin/sh", "-c"};
        t->in.command = cmd;
        t->in.n_command = 2;
        assert_args(t_gen(t), (const char *[]){"/bin/sh", "-c", NULL});
}

static void test_args_command_and_args(void **state) {
        struct t *t = *state;
        char *cmd[] = {"/bin/sh"}, *args[] = {"-c", "echo hi"};
        t->in.command = cmd;
        t->in.n_command = 1;
        t->in.args = args;
        t->in.n_args = 2;
        assert_args(t_gen(t), (const char *[]){"/bin/sh", "-c", "echo hi", NULL});
}

static void test_args_only_args_keep_entrypoint(void **state) {
        struct t *t = *state;
        char *args[] = {"--debug"};
        t->in.args = args;
        t->in.n_args = 1;
        assert_args(t_gen(t), (const char *[]){"/bin/entry", "--debug", NULL});
}

static void test_args_only_args_without_entrypoint(void **state) {
        struct t *t = *state;
        char *args[] = {"sleep", "10"};
        t->in.args = args;
        t->in.n_args = 2;
        t->img.n_entrypoint = 0;
        assert_args(t_gen(t), (const char *[]){"sleep", "10", NULL});
}

static void test_args_none_is_invalid(void **state) {
        struct t *t = *state;
        t->img.n_entrypoint = 0;
        t->img.n_cmd = 0;
        const char *msg = t_gen_fails(t, CRIC_E_INVALID);
        assert_non_null(strstr(msg, "no command"));
        assert_non_null(strstr(msg, "\"app\""));
}

static void test_args_without_image(void **state) {
        struct t *t = *state;
        char *cmd[] = {"/pause"};
        t->in.image = NULL;
        t->in.command = cmd;
        t->in.n_command = 1;
        struct json_object *spec = t_gen(t);
        assert_args(spec, (const char *[]){"/pause", NULL});
        assert_string_equal(jstr(spec, "process/cwd"), "/");
}

static void test_env_cri_overrides_image_by_key(void **state) {
        struct t *t = *state;
        char *env[] = {"SHARED=cri", "NEW=x=y"};
        t->in.env = env;
        t->in.n_env = 2;
        struct json_object *spec = t_gen(t);
        assert_int_equal(jlen(spec, "process/env"), 5);
        assert_string_equal(jstr(spec, "process/env/0"), "PATH=/image/bin:/bin");
        assert_string_equal(jstr(spec, "process/env/1"), "IMG=1");
        assert_string_equal(jstr(spec, "process/env/2"), "SHARED=cri");
        assert_string_equal(jstr(spec, "process/env/3"), "NEW=x=y");
        assert_string_equal(jstr(spec, "process/env/4"), "HOSTNAME=web-0");
}

/* HOSTNAME: the pod's hostname, else the node's; the image or the config may set it. */
static void test_env_hostname(void **state) {
        struct t *t = *state;
        assert_true(jhas(t_gen(t), "process/env", "HOSTNAME=web-0"));
        t->sb.hostname = NULL;
        snprintf(t->host.node_hostname, sizeof(t->host.node_hostname), "node-1");
        assert_true(jhas(t_gen(t), "process/env", "HOSTNAME=node-1"));
        char *img_env[] = {"HOSTNAME=from-image"};
        t->img.env = img_env;
        t->img.n_env = 1;
        assert_true(jhas(t_gen(t), "process/env", "HOSTNAME=from-image"));
        assert_false(jhas(t_gen(t), "process/env", "HOSTNAME=node-1"));
        char *env[] = {"HOSTNAME=from-config"};
        t->in.env = env;
        t->in.n_env = 1;
        struct json_object *spec = t_gen(t);
        assert_true(jhas(spec, "process/env", "HOSTNAME=from-config"));
        assert_false(jhas(spec, "process/env", "HOSTNAME=from-image"));
}

static void test_env_default_path(void **state) {
        struct t *t = *state;
        t->img.n_env = 0;
        struct json_object *spec = t_gen(t);
        assert_true(jhas(spec, "process/env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
        assert_false(jhas(spec, "process/env", "TERM=xterm"));
}

static void test_env_cri_path_wins(void **state) {
        struct t *t = *state;
        char *env[] = {"PATH=/mine"};
        t->in.env = env;
        t->in.n_env = 1;
        struct json_object *spec = t_gen(t);
        assert_string_equal(jstr(spec, "process/env/0"), "PATH=/mine");
        assert_int_equal(jlen(spec, "process/env"), 4); /* with IMG=1, SHARED=image and HOSTNAME */
}

static void test_tty_sets_terminal_and_term(void **state) {
        struct t *t = *state;
        assert_false(jbool(t_gen(t), "process/terminal"));
        t->in.tty = true;
        struct json_object *spec = t_gen(t);
        assert_true(jbool(spec, "process/terminal"));
        assert_true(jhas(spec, "process/env", "TERM=xterm"));
        char *env[] = {"TERM=vt100"};
        t->in.env = env;
        t->in.n_env = 1;
        spec = t_gen(t);
        assert_true(jhas(spec, "process/env", "TERM=vt100"));
        assert_false(jhas(spec, "process/env", "TERM=xterm"));
}

/* The process of `<runtime> exec`: the container's, with the new args, and a terminal
 * (and TERM) only when asked for. */
static struct json_object *exec_process(struct json_object *spec, bool tty) {
        char *argv[] = {"sh", "-c", "echo hi", NULL};
        char *json = NULL;
        struct cric_error *err = NULL;
        assert_int_equal(oci_spec_exec_process(json_object_to_json_string(spec), argv, tty, &json, &err), 0);
        struct json_object *proc = json_tokener_parse(json);
        free(json);
        assert_non_null(proc);
        return proc;
}

static void test_exec_process_terminal(void **state) {
        struct t *t = *state;
        struct json_object *spec = t_gen(t);
        struct json_object *plain = exec_process(spec, false);
        assert_false(jbool(plain, "terminal"));
        assert_string_equal(jstr(plain, "args/2"), "echo hi");
        assert_false(jhas(plain, "env", "TERM=xterm"));
        json_object_put(plain);
        struct json_object *tty = exec_process(spec, true);
        assert_true(jbool(tty, "terminal"));
        assert_true(jhas(tty, "env", "TERM=xterm"));
        assert_string_equal(jstr(tty, "cwd"), "/srv");
        json_object_put(tty);
        char *env[] = {"TERM=vt100"};
        t->in.env = env;
        t->in.n_env = 1;
        struct json_object *own = exec_process(t_gen(t), true);
        assert_true(jhas(own, "env", "TERM=vt100"));
        assert_false(jhas(own, "env", "TERM=xterm"));
        json_object_put(own);
}

static void test_cwd_order(void **state) {
        struct t *t = *state;
        assert_string_equal(jstr(t_gen(t), "process/cwd"), "/srv");
        t->in.working_dir = "/work";
        assert_string_equal(jstr(t_gen(t), "process/cwd"), "/work");
        t->in.working_dir = "";
        t->img.working_dir = "";
        assert_string_equal(jstr(t_gen(t), "process/cwd"), "/");
        t->in.working_dir = "rel/dir";
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "rel/dir"));
}

static void test_process_flags(void **state) {
        struct t *t = *state;
        struct json_object *spec = t_gen(t);
        assert_false(jbool(spec, "process/noNewPrivileges"));
        assert_int_equal(jint(spec, "process/oomScoreAdj"), 0);
        t->in.security.no_new_privs = true;
        t->in.resources.oom_score_adj = 500;
        spec = t_gen(t);
        assert_true(jbool(spec, "process/noNewPrivileges"));
        assert_int_equal(jint(spec, "process/oomScoreAdj"), 500);
}

static void assert_user(struct json_object *spec, int64_t uid, int64_t gid, const int64_t *gids, size_t n) {
        assert_int_equal(jint(spec, "process/user/uid"), uid);
        assert_int_equal(jint(spec, "process/user/gid"), gid);
        assert_int_equal(jlen(spec, "process/user/additionalGids"), n);
        for (size_t i = 0; i < n; i++) {
                char key[64];
                snprintf(key, sizeof(key), "process/user/additionalGids/%zu", i);
                assert_int_equal(jint(spec, key), gids[i]);
        }
}

static void test_user_default_root(void **state) {
        struct t *t = *state;
        assert_user(t_gen(t), 0, 0, (int64_t[]){0}, 1);
}

static void test_user_image_name(void **state) {
        struct t *t = *state;
        t->img.user = "alice";
        assert_user(t_gen(t), 1000, 1000, (int64_t[]){1000, 10, 50}, 3);
}

static void test_user_image_uid(void **state) {
        struct t *t = *state;
        t->img.user = "1000";
        assert_user(t_gen(t), 1000, 1000, (int64_t[]){1000, 10, 50}, 3);
}

static void test_user_image_uid_gid(void **state) {
        struct t *t = *state;
        t->img.user = "1001:29";
        assert_user(t_gen(t), 1001, 29, (int64_t[]){29, 10}, 2);
}

static void test_user_image_name_group(void **state) {
        struct t *t = *state;
        t->img.user = "alice:audio";
        assert_user(t_gen(t), 1000, 29, (int64_t[]){29, 10, 50}, 3);
}

static void test_user_image_unknown_name(void **state) {
        struct t *t = *state;
        t->img.user = "mallory";
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "\"mallory\" not found"));
        t->img.user = "alice:nosuch";
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "group \"nosuch\""));
}

static void test_user_uid_without_passwd_entry(void **state) {
        struct t *t = *state;
        t->in.security.has_run_as_user = true;
        t->in.security.run_as_user = 4242;
        assert_user(t_gen(t), 4242, 0, (int64_t[]){0}, 1);
}

static void test_user_run_as_user_overrides_image(void **state) {
        struct t *t = *state;
        t->img.user = "alice";
        t->in.security.has_run_as_user = true;
        t->in.security.run_as_user = 1001;
        t->in.security.has_run_as_group = true;
        t->in.security.run_as_group = 3000;
        assert_user(t_gen(t), 1001, 3000, (int64_t[]){3000, 10, 29}, 3);
}

static void test_user_run_as_group_alone_is_invalid(void **state) {
        struct t *t = *state;
        t->in.security.has_run_as_group = true;
        t->in.security.run_as_group = 5;
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "run_as_group"));
}

static void test_user_run_as_username(void **state) {
        struct t *t = *state;
        t->in.security.run_as_username = "bob"; /* its passwd line ends in \r\n */
        assert_user(t_gen(t), 1001, 1001, (int64_t[]){1001, 10, 29}, 3);
        t->in.security.run_as_username = "eve";
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "\"eve\""));
}

static void test_user_both_user_forms_invalid(void **state) {
        struct t *t = *state;
        t->in.security.has_run_as_user = true;
        t->in.security.run_as_user = 1;
        t->in.security.run_as_username = "daemon";
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "mutually exclusive"));
}

static void test_user_supplemental_groups(void **state) {
        struct t *t = *state;
        int64_t groups[] = {50, 2000, 10, 2000};
        t->img.user = "alice";
        t->in.security.supplemental_groups = groups;
        t->in.security.n_supplemental_groups = 4;
        assert_user(t_gen(t), 1000, 1000, (int64_t[]){1000, 10, 50, 2000}, 4);
        t->in.security.groups_policy = OCI_GROUPS_STRICT;
        assert_user(t_gen(t), 1000, 1000, (int64_t[]){1000, 50, 2000, 10}, 4);
        int64_t only[] = {7};
        t->in.security.supplemental_groups = only;
        t->in.security.n_supplemental_groups = 1;
        assert_user(t_gen(t), 1000, 1000, (int64_t[]){1000, 7}, 2);
}

static void test_user_out_of_range(void **state) {
        struct t *t = *state;
        t->in.security.has_run_as_user = true;
        t->in.security.run_as_user = -1;
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "out of range"));
        t->in.security.run_as_user = 1;
        int64_t groups[] = {1LL << 33};
        t->in.security.supplemental_groups = groups;
        t->in.security.n_supplemental_groups = 1;
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "supplemental group"));
}

/* An absolute symlink (and one climbing with ..) resolves inside the rootfs, not on the host. */
static void test_user_symlinks_stay_in_rootfs(void **state) {
        struct t *t = *state;
        AUTOFREE char *pw = xasprintf("%s/etc/passwd", t->rootfs);
        AUTOFREE char *gr = xasprintf("%s/etc/group", t->rootfs);
        free(t_file(t, "rootfs/data/pw", "eve:x:777:778::/:/bin/sh\n"));
        free(t_file(t, "rootfs/etc/group.real", "eves:x:779:eve\n"));
        assert_int_equal(unlink(pw), 0);
        assert_int_equal(unlink(gr), 0);
        assert_int_equal(symlink("/data/pw", pw), 0);
        assert_int_equal(symlink("../../../../../../../../etc/group.real", gr), 0);
        t->img.user = "eve";
        assert_user(t_gen(t), 777, 778, (int64_t[]){778, 779}, 2);
        t->img.user = "root"; /* the host has root; the rootfs no longer does */
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "\"root\" not found"));
}

static void test_user_passwd_not_regular(void **state) {
        struct t *t = *state;
        AUTOFREE char *pw = xasprintf("%s/etc/passwd", t->rootfs);
        assert_int_equal(unlink(pw), 0);
        assert_int_equal(mkfifo(pw, 0644), 0);
        t->img.user = "alice";
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "not a regular file"));
}

static void test_user_no_passwd_file(void **state) {
        struct t *t = *state;
        AUTOFREE char *pw = xasprintf("%s/etc/passwd", t->rootfs);
        assert_int_equal(unlink(pw), 0);
        t->img.user = "1000:1000";
        assert_user(t_gen(t), 1000, 1000, (int64_t[]){1000}, 1);
        t->img.user = "alice";
        t_gen_fails(t, CRIC_E_INVALID);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                T_TEST(test_args_image_entrypoint_and_cmd),
                T_TEST(test_args_command_replaces_entrypoint_and_cmd),
                T_TEST(test_args_command_and_args),
                T_TEST(test_args_only_args_keep_entrypoint),
                T_TEST(test_args_only_args_without_entrypoint),
                T_TEST(test_args_none_is_invalid),
                T_TEST(test_args_without_image),
                T_TEST(test_env_cri_overrides_image_by_key),
                T_TEST(test_env_default_path),
                T_TEST(test_env_cri_path_wins),
                T_TEST(test_env_hostname),
                T_TEST(test_tty_sets_terminal_and_term),
                T_TEST(test_exec_process_terminal),
                T_TEST(test_cwd_order),
                T_TEST(test_process_flags),
                T_TEST(test_user_default_root),
                T_TEST(test_user_image_name),
                T_TEST(test_user_image_uid),
                T_TEST(test_user_image_uid_gid),
                T_TEST(test_user_image_name_group),
                T_TEST(test_user_image_unknown_name),
                T_TEST(test_user_uid_without_passwd_entry),
                T_TEST(test_user_run_as_user_overrides_image),
                T_TEST(test_user_run_as_group_alone_is_invalid),
                T_TEST(test_user_run_as_username),
                T_TEST(test_user_both_user_forms_invalid),
                T_TEST(test_user_supplemental_groups),
                T_TEST(test_user_out_of_range),
                T_TEST(test_user_symlinks_stay_in_rootfs),
                T_TEST(test_user_passwd_not_regular),
                T_TEST(test_user_no_passwd_file),
        };
        return cmocka_run_group_tests_name("oci_spec_process", tests, NULL, NULL);
}
