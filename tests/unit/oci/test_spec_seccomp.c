/* OCI spec: linux.seccomp (RuntimeDefault table, Unconfined, Localhost profiles checked
 * and rebuilt, the deprecated string form). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "spec_test.h"

/* The allow rule of the default profile is the first one. */
static bool allows(struct json_object *spec, const char *name) {
        return jhas(spec, "linux/seccomp/syscalls/0/names", name);
}

/* The index of the first rule naming name (alone), or -1. */
static int rule_of(struct json_object *spec, const char *name) {
        size_t n = jlen(spec, "linux/seccomp/syscalls");
        for (size_t i = 1; i < n; i++) {
                char path[64];
                snprintf(path, sizeof(path), "linux/seccomp/syscalls/%zu/names/0", i);
                if (strcmp(jstr(spec, path), name) == 0)
                        return (int) i;
        }
        return -1;
}

static void set_profile(struct t *t, enum oci_profile_type type, const char *ref) {
        t->in.security.seccomp = (struct oci_security_profile){.is_set = true, .type = type, .localhost_ref = ref};
}

static void test_seccomp_unset_is_unconfined(void **state) {
        struct t *t = *state;
        assert_null(jp(t_gen(t), "linux/seccomp"));
}

static void test_seccomp_runtime_default(void **state) {
        struct t *t = *state;
        set_profile(t, OCI_PROFILE_RUNTIME_DEFAULT, NULL);
        struct json_object *spec = t_gen(t);
        assert_string_equal(jstr(spec, "linux/seccomp/defaultAction"), "SCMP_ACT_ERRNO");
        assert_int_equal(jint(spec, "linux/seccomp/defaultErrnoRet"), 1);
#if defined(__x86_64__)
        assert_int_equal(jlen(spec, "linux/seccomp/architectures"), 3);
        assert_true(jhas(spec, "linux/seccomp/architectures", "SCMP_ARCH_X86_64"));
        assert_true(jhas(spec, "linux/seccomp/architectures", "SCMP_ARCH_X32"));
        assert_true(allows(spec, "arch_prctl"));
#elif defined(__aarch64__)
        assert_true(jhas(spec, "linux/seccomp/architectures", "SCMP_ARCH_AARCH64"));
#endif
        assert_string_equal(jstr(spec, "linux/seccomp/syscalls/0/action"), "SCMP_ACT_ALLOW");
        static const char *const yes[] = {"read",  "write",         "openat",     "execve",
                                          "futex", "clock_gettime", "exit_group", "rt_sigreturn",
                                          "mmap",  "epoll_pwait",   "statx",      "ptrace"};
        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
                if (!allows(spec, yes[i]))
                        fail_msg("%s not allowed", yes[i]);
        static const char *const no[] = {"mount",
                                         "umount2",
                                         "kexec_load",
                                         "init_module",
                                         "bpf",
                                         "unshare",
                                         "setns",
                                         "keyctl",
                                         "add_key",
                                         "reboot",
                                         "swapon",
                                         "io_uring_setup",
                                         "userfaultfd",
                                         "clock_settime",
                                         "chroot",
                                         "open_by_handle_at",
                                         "perf_event_open",
                                         "clone"};
        for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
                if (allows(spec, no[i]))
                        fail_msg("%s allowed", no[i]);
}

static void test_seccomp_default_clone_filtered(void **state) {
        struct t *t = *state;
        set_profile(t, OCI_PROFILE_RUNTIME_DEFAULT, NULL);
        struct json_object *spec = t_gen(t);
        int clone = rule_of(spec, "clone"), clone3 = rule_of(spec, "clone3");
        assert_true(clone > 0 && clone3 > 0);
        char p[96];
        snprintf(p, sizeof(p), "linux/seccomp/syscalls/%d/args/0/op", clone);
        assert_string_equal(jstr(spec, p), "SCMP_CMP_MASKED_EQ");
        snprintf(p, sizeof(p), "linux/seccomp/syscalls/%d/args/0/value", clone);
        assert_int_equal(jint(spec, p), 0x7E020000);
        snprintf(p, sizeof(p), "linux/seccomp/syscalls/%d/args/0/valueTwo", clone);
        assert_int_equal(jint(spec, p), 0);
        snprintf(p, sizeof(p), "linux/seccomp/syscalls/%d/action", clone3);
        assert_string_equal(jstr(spec, p), "SCMP_ACT_ERRNO");
        snprintf(p, sizeof(p), "linux/seccomp/syscalls/%d/errnoRet", clone3);
        assert_int_equal(jint(spec, p), 38);
        int personality = rule_of(spec, "personality"), sock = rule_of(spec, "socket");
        assert_true(personality > 0 && sock > 0);
        snprintf(p, sizeof(p), "linux/seccomp/syscalls/%d/args/0/op", sock);
        assert_string_equal(jstr(spec, p), "SCMP_CMP_NE");
}

static void test_seccomp_default_follows_capabilities(void **state) {
        struct t *t = *state;
        char *add[] = {"SYS_ADMIN", "SYS_TIME", "SYS_PTRACE"};
        set_profile(t, OCI_PROFILE_RUNTIME_DEFAULT, NULL);
        t->in.security.caps.add = add;
        t->in.security.caps.n_add = 3;
        struct json_object *spec = t_gen(t);
        static const char *const yes[] = {"mount", "unshare", "setns", "clone", "clone3", "clock_settime", "kcmp"};
        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
                if (!allows(spec, yes[i]))
                        fail_msg("%s not allowed", yes[i]);
        assert_int_equal(rule_of(spec, "clone"), -1);
        assert_int_equal(rule_of(spec, "clone3"), -1);
        assert_false(allows(spec, "init_module"));
        /* bpf comes with CAP_SYS_ADMIN and with CAP_BPF, but once */
        size_t n = jlen(spec, "linux/seccomp/syscalls/0/names"), bpf = 0;
        for (size_t i = 0; i < n; i++) {
                char p[64];
                snprintf(p, sizeof(p), "linux/seccomp/syscalls/0/names/%zu", i);
                bpf += strcmp(jstr(spec, p), "bpf") == 0;
        }
        assert_int_equal(bpf, 1);
}

static void test_seccomp_unconfined_and_privileged(void **state) {
        struct t *t = *state;
        set_profile(t, OCI_PROFILE_UNCONFINED, NULL);
        assert_null(jp(t_gen(t), "linux/seccomp"));
        set_profile(t, OCI_PROFILE_RUNTIME_DEFAULT, NULL);
        t->sb.security.is_privileged = true;
        t->in.security.is_privileged = true;
        assert_null(jp(t_gen(t), "linux/seccomp"));
}

static const char good_profile[] =
        "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1, \"comment\": \"dropped\",\n"
        " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_AARCH64\"], \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"],\n"
        " \"syscalls\": [{\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\"},\n"
        "   {\"names\": [\"kill\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13,\n"
        "    \"args\": [{\"index\": 1, \"value\": 18446744073709551615, \"valueTwo\": 0, \"op\": "
        "\"SCMP_CMP_EQ\"}]}]}\n";

static void test_seccomp_localhost(void **state) {
        struct t *t = *state;
        AUTOFREE char *path = t_file(t, "profiles/good.json", good_profile);
        set_profile(t, OCI_PROFILE_LOCALHOST, path);
        struct json_object *spec = t_gen(t);
        assert_string_equal(jstr(spec, "linux/seccomp/defaultAction"), "SCMP_ACT_ERRNO");
        assert_int_equal(jlen(spec, "linux/seccomp/architectures"), 2);
        assert_true(jhas(spec, "linux/seccomp/flags", "SECCOMP_FILTER_FLAG_LOG"));
        assert_null(jp(spec, "linux/seccomp/comment"));
        assert_int_equal(jlen(spec, "linux/seccomp/syscalls"), 2);
        assert_string_equal(jstr(spec, "linux/seccomp/syscalls/1/names/0"), "kill");
        assert_int_equal(jint(spec, "linux/seccomp/syscalls/1/errnoRet"), 13);
        assert_int_equal(jint(spec, "linux/seccomp/syscalls/1/args/0/index"), 1);
        assert_true(json_object_get_uint64(jp(spec, "linux/seccomp/syscalls/1/args/0/value")) == UINT64_MAX);
        assert_string_equal(jstr(spec, "linux/seccomp/syscalls/1/args/0/op"), "SCMP_CMP_EQ");
}

static void test_seccomp_localhost_missing(void **state) {
        struct t *t = *state;
        set_profile(t, OCI_PROFILE_LOCALHOST, "/nonexistent/cric/profile.json");
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_NOT_FOUND), "/nonexistent/cric/profile.json"));
}

static void test_seccomp_localhost_relative(void **state) {
        struct t *t = *state;
        set_profile(t, OCI_PROFILE_LOCALHOST, "profiles/x.json");
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "not absolute"));
        set_profile(t, OCI_PROFILE_LOCALHOST, NULL);
        t_gen_fails(t, CRIC_E_INVALID);
}

/* Each document must be refused with a message holding want. */
static void refuse(struct t *t, const char *doc, const char *want) {
        AUTOFREE char *path = t_file(t, "profiles/bad.json", doc);
        set_profile(t, OCI_PROFILE_LOCALHOST, path);
        const char *msg = t_gen_fails(t, CRIC_E_INVALID);
        if (!strstr(msg, want))
                fail_msg("message \"%s\" lacks \"%s\" for %s", msg, want, doc);
}

static void test_seccomp_localhost_invalid(void **state) {
        struct t *t = *state;
        refuse(t, "{\"defaultAction\": \"SCMP_ACT_ERRNO\"", "invalid JSON: unexpected end of input");
        refuse(t, "{} {}", "invalid JSON at byte 3: unexpected character");
        refuse(t, "{\"defaultAction\": \"SCMP_ACT_ALLOW\",}", "invalid JSON at byte 35: unexpected character");
        refuse(t, "null", "the document is null");
        refuse(t, "[]", "not a JSON object");
        refuse(t, "{\"syscalls\": []}", "defaultAction");
        refuse(t, "{\"defaultAction\": \"SCMP_ACT_MAYBE\"}", "defaultAction");
        refuse(t, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_Z80\"]}", "architectures");
        refuse(t, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": \"SECCOMP_FILTER_FLAG_LOG\"}", "flags");
        refuse(t, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": -1}", "defaultErrnoRet");
        refuse(t, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": {}}", "syscalls");
        refuse(t, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"action\": \"SCMP_ACT_ERRNO\"}]}",
               "names no syscall");
        refuse(t, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"a\"]}]}", "action");
        refuse(t,
               "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [1], \"action\": "
               "\"SCMP_ACT_ERRNO\"}]}",
               "names");
}

static void test_seccomp_localhost_invalid_args(void **state) {
        struct t *t = *state;
        static const char head[] = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"kill\"], "
                                   "\"action\": \"SCMP_ACT_ERRNO\", \"args\": ";
        static const struct {
                const char *args, *want;
        } cases[] = {
                {"[{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]", "index"},
                {"[{\"index\": 0, \"value\": -1, \"op\": \"SCMP_CMP_EQ\"}]", "value"},
                {"[{\"index\": 0, \"value\": \"1\", \"op\": \"SCMP_CMP_EQ\"}]", "value"},
                {"[{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_ABOUT\"}]", "op"},
                {"[{\"index\": 0, \"op\": \"SCMP_CMP_EQ\"}]", "lacks index or value"},
                {"[7]", "not an object"},
                {"{}", "args"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                AUTOFREE char *doc = xasprintf("%s%s}]}", head, cases[i].args);
                refuse(t, doc, cases[i].want);
        }
}

static void test_seccomp_localhost_docker_format(void **state) {
        struct t *t = *state;
        AUTOFREE char *path = t_file(
                t, "profiles/docker.json",
                "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1,\n"
                " \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\": [\"SCMP_ARCH_X86\", "
                "\"SCMP_ARCH_X32\"]},\n"
                "             {\"architecture\": \"SCMP_ARCH_AARCH64\", \"subArchitectures\": [\"SCMP_ARCH_ARM\"]}],\n"
                " \"syscalls\": [{\"name\": \"read\", \"action\": \"SCMP_ACT_ALLOW\", \"args\": [], "
                "\"includes\": {}, \"excludes\": {}, \"comment\": \"\"},\n"
                "              {\"names\": [\"write\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": null}]}");
        set_profile(t, OCI_PROFILE_LOCALHOST, path);
        struct json_object *spec = t_gen(t);
        assert_int_equal(jlen(spec, "linux/seccomp/architectures"), 5);
        assert_string_equal(jstr(spec, "linux/seccomp/architectures/4"), "SCMP_ARCH_ARM");
        assert_null(jp(spec, "linux/seccomp/archMap"));
        assert_string_equal(jstr(spec, "linux/seccomp/syscalls/0/names/0"), "read");
        assert_null(jp(spec, "linux/seccomp/syscalls/0/includes"));
        assert_null(jp(spec, "linux/seccomp/syscalls/1/args"));
        refuse(t,
               "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"mount\"], \"action\": "
               "\"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}}]}",
               "includes");
}

static void test_seccomp_legacy_field(void **state) {
        struct t *t = *state;
        t->in.security.seccomp_profile_path = "runtime/default";
        assert_string_equal(jstr(t_gen(t), "linux/seccomp/defaultAction"), "SCMP_ACT_ERRNO");
        t->in.security.seccomp_profile_path = "docker/default";
        assert_non_null(jp(t_gen(t), "linux/seccomp"));
        t->in.security.seccomp_profile_path = "unconfined";
        assert_null(jp(t_gen(t), "linux/seccomp"));
        AUTOFREE char *path = t_file(t, "profiles/good.json", good_profile);
        AUTOFREE char *legacy = xasprintf("localhost/%s", path);
        t->in.security.seccomp_profile_path = legacy;
        assert_int_equal(jint(t_gen(t), "linux/seccomp/syscalls/1/errnoRet"), 13);
        t->in.security.seccomp_profile_path = "localhost/relative.json";
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "not absolute"));
        t->in.security.seccomp_profile_path = "strict";
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "\"strict\""));
        /* the message wins over the string */
        set_profile(t, OCI_PROFILE_UNCONFINED, NULL);
        assert_null(jp(t_gen(t), "linux/seccomp"));
}

static void test_seccomp_infra_uses_pod_profile(void **state) {
        struct t *t = *state;
        struct oci_infra_input infra = {.rootfs = t->rootfs, .sandbox = &t->sb};
        assert_null(jp(t_gen_infra(t, &infra), "linux/seccomp"));
        t->sb.security.seccomp = (struct oci_security_profile){.is_set = true, .type = OCI_PROFILE_RUNTIME_DEFAULT};
        struct json_object *spec = t_gen_infra(t, &infra);
        assert_string_equal(jstr(spec, "linux/seccomp/defaultAction"), "SCMP_ACT_ERRNO");
        assert_false(allows(spec, "mount"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                T_TEST(test_seccomp_unset_is_unconfined),       T_TEST(test_seccomp_runtime_default),
                T_TEST(test_seccomp_default_clone_filtered),    T_TEST(test_seccomp_default_follows_capabilities),
                T_TEST(test_seccomp_unconfined_and_privileged), T_TEST(test_seccomp_localhost),
                T_TEST(test_seccomp_localhost_missing),         T_TEST(test_seccomp_localhost_relative),
                T_TEST(test_seccomp_localhost_invalid),         T_TEST(test_seccomp_localhost_invalid_args),
                T_TEST(test_seccomp_localhost_docker_format),   T_TEST(test_seccomp_legacy_field),
                T_TEST(test_seccomp_infra_uses_pod_profile),
        };
        return cmocka_run_group_tests_name("oci_spec_seccomp", tests, NULL, NULL);
}
