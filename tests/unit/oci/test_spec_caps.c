/* OCI spec: process.capabilities (defaults, add/drop with ALL, privileged, the
 * daemon's bounding set as the ceiling, ambient). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "spec_test.h"

#define CAP_BIT(n)          (UINT64_C(1) << (n))
#define CAP_KILL_NR         5
#define CAP_SYS_RESOURCE_NR 24

static const char *const crio_defaults[] = {"CAP_CHOWN",   "CAP_DAC_OVERRIDE",     "CAP_FSETID",
                                            "CAP_FOWNER",  "CAP_SETGID",           "CAP_SETUID",
                                            "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_KILL"};

/* All of bounding, effective and permitted hold exactly n capabilities, want among them. */
static void assert_caps(struct json_object *spec, size_t n, const char *const *want, size_t n_want) {
        static const char *const sets[] = {"bounding", "effective", "permitted"};
        for (size_t s = 0; s < 3; s++) {
                char path[64];
                snprintf(path, sizeof(path), "process/capabilities/%s", sets[s]);
                assert_int_equal(jlen(spec, path), n);
                for (size_t i = 0; i < n_want; i++)
                        if (!jhas(spec, path, want[i]))
                                fail_msg("%s lacks %s", path, want[i]);
        }
}

static void assert_lacks(struct json_object *spec, const char *cap) {
        assert_false(jhas(spec, "process/capabilities/bounding", cap));
        assert_false(jhas(spec, "process/capabilities/effective", cap));
        assert_false(jhas(spec, "process/capabilities/permitted", cap));
}

static void test_caps_default_set(void **state) {
        struct t *t = *state;
        struct json_object *spec = t_gen(t);
        assert_caps(spec, 9, crio_defaults, 9);
        assert_int_equal(jlen(spec, "process/capabilities/inheritable"), 0);
        assert_int_equal(jlen(spec, "process/capabilities/ambient"), 0);
}

static void test_caps_add_any_spelling(void **state) {
        struct t *t = *state;
        char *add[] = {"NET_ADMIN", "cap_sys_time", "Cap_Net_Raw"};
        t->in.security.caps.add = add;
        t->in.security.caps.n_add = 3;
        assert_caps(t_gen(t), 12, (const char *[]){"CAP_NET_ADMIN", "CAP_SYS_TIME", "CAP_NET_RAW", "CAP_KILL"}, 4);
}

static void test_caps_drop(void **state) {
        struct t *t = *state;
        char *drop[] = {"CHOWN", "cap_kill"};
        t->in.security.caps.drop = drop;
        t->in.security.caps.n_drop = 2;
        struct json_object *spec = t_gen(t);
        assert_caps(spec, 7, crio_defaults + 1, 7);
        assert_lacks(spec, "CAP_CHOWN");
        assert_lacks(spec, "CAP_KILL");
}

static void test_caps_add_all(void **state) {
        struct t *t = *state;
        char *add[] = {"ALL"};
        t->in.security.caps.add = add;
        t->in.security.caps.n_add = 1;
        assert_caps(t_gen(t), 41, (const char *[]){"CAP_SYS_ADMIN", "CAP_CHECKPOINT_RESTORE", "CAP_BPF"}, 3);
}

static void test_caps_add_all_drop_one(void **state) {
        struct t *t = *state;
        char *add[] = {"all"}, *drop[] = {"CHOWN"};
        t->in.security.caps.add = add;
        t->in.security.caps.n_add = 1;
        t->in.security.caps.drop = drop;
        t->in.security.caps.n_drop = 1;
        struct json_object *spec = t_gen(t);
        assert_caps(spec, 40, (const char *[]){"CAP_SYS_ADMIN"}, 1);
        assert_lacks(spec, "CAP_CHOWN");
}

static void test_caps_drop_all(void **state) {
        struct t *t = *state;
        char *drop[] = {"ALL"};
        t->in.security.caps.drop = drop;
        t->in.security.caps.n_drop = 1;
        assert_caps(t_gen(t), 0, NULL, 0);
}

static void test_caps_drop_all_add_one(void **state) {
        struct t *t = *state;
        char *drop[] = {"ALL"}, *add[] = {"NET_RAW"};
        t->in.security.caps.drop = drop;
        t->in.security.caps.n_drop = 1;
        t->in.security.caps.add = add;
        t->in.security.caps.n_add = 1;
        assert_caps(t_gen(t), 1, (const char *[]){"CAP_NET_RAW"}, 1);
}

static void test_caps_drop_beats_add(void **state) {
        struct t *t = *state;
        char *add[] = {"SYS_PTRACE"}, *drop[] = {"CAP_SYS_PTRACE"};
        t->in.security.caps.add = add;
        t->in.security.caps.n_add = 1;
        t->in.security.caps.drop = drop;
        t->in.security.caps.n_drop = 1;
        struct json_object *spec = t_gen(t);
        assert_caps(spec, 9, crio_defaults, 9);
        assert_lacks(spec, "CAP_SYS_PTRACE");
}

static void test_caps_unknown_name(void **state) {
        struct t *t = *state;
        char *add[] = {"NET_ADMIN", "FLY"};
        t->in.security.caps.add = add;
        t->in.security.caps.n_add = 2;
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "unknown capability \"FLY\""));
        char *drop[] = {"CAP_"};
        t->in.security.caps.n_add = 0;
        t->in.security.caps.drop = drop;
        t->in.security.caps.n_drop = 1;
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "\"CAP_\""));
}

static void test_caps_privileged_all(void **state) {
        struct t *t = *state;
        char *drop[] = {"ALL"};
        t->sb.security.is_privileged = true;
        t->in.security.is_privileged = true;
        t->in.security.caps.drop = drop; /* the kubelet never sends this; privileged wins */
        t->in.security.caps.n_drop = 1;
        assert_caps(t_gen(t), 41, (const char *[]){"CAP_SYS_ADMIN", "CAP_MKNOD"}, 2);
}

static void test_caps_privileged_needs_privileged_pod(void **state) {
        struct t *t = *state;
        t->in.security.is_privileged = true;
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "sandbox is not"));
}

static void test_caps_outside_bounding_left_out_with_warning(void **state) {
        struct t *t = *state;
        char *add[] = {"SYS_RESOURCE", "NET_ADMIN"};
        t->host.cap_bounding = ALL_CAPS_MASK & ~CAP_BIT(CAP_SYS_RESOURCE_NR);
        t->in.security.caps.add = add;
        t->in.security.caps.n_add = 2;
        struct testlib_capture cap;
        testlib_capture_stderr(&cap);
        struct json_object *spec = t_gen(t);
        AUTOFREE char *log = testlib_capture_end(&cap);
        assert_caps(spec, 10, (const char *[]){"CAP_NET_ADMIN"}, 1);
        assert_lacks(spec, "CAP_SYS_RESOURCE");
        assert_non_null(strstr(log, "CAP_SYS_RESOURCE"));
        assert_non_null(strstr(log, "container \"app\""));
}

static void test_caps_privileged_outside_bounding_quiet(void **state) {
        struct t *t = *state;
        t->host.cap_bounding = ALL_CAPS_MASK & ~CAP_BIT(CAP_SYS_RESOURCE_NR);
        t->sb.security.is_privileged = true;
        t->in.security.is_privileged = true;
        struct testlib_capture cap;
        testlib_capture_stderr(&cap);
        struct json_object *spec = t_gen(t);
        AUTOFREE char *log = testlib_capture_end(&cap);
        assert_caps(spec, 40, (const char *[]){"CAP_SYS_ADMIN"}, 1);
        assert_lacks(spec, "CAP_SYS_RESOURCE");
        assert_null(strstr(log, "CAP_SYS_RESOURCE"));
}

static void test_caps_default_outside_bounding(void **state) {
        struct t *t = *state;
        t->host.cap_bounding = ALL_CAPS_MASK & ~CAP_BIT(CAP_KILL_NR);
        struct testlib_capture cap;
        testlib_capture_stderr(&cap);
        struct json_object *spec = t_gen(t);
        AUTOFREE char *log = testlib_capture_end(&cap);
        assert_caps(spec, 8, crio_defaults, 8);
        assert_non_null(strstr(log, "CAP_KILL"));
}

static void test_caps_ambient(void **state) {
        struct t *t = *state;
        char *drop[] = {"ALL"}, *ambient[] = {"NET_BIND_SERVICE", "cap_net_raw"};
        t->in.security.caps.drop = drop;
        t->in.security.caps.n_drop = 1;
        t->in.security.caps.add_ambient = ambient;
        t->in.security.caps.n_add_ambient = 2;
        struct json_object *spec = t_gen(t);
        assert_caps(spec, 2, (const char *[]){"CAP_NET_BIND_SERVICE", "CAP_NET_RAW"}, 2);
        assert_int_equal(jlen(spec, "process/capabilities/ambient"), 2);
        assert_true(jhas(spec, "process/capabilities/ambient", "CAP_NET_RAW"));
        assert_int_equal(jlen(spec, "process/capabilities/inheritable"), 2);
        assert_true(jhas(spec, "process/capabilities/inheritable", "CAP_NET_BIND_SERVICE"));
}

static void test_caps_infra_has_none(void **state) {
        struct t *t = *state;
        struct oci_infra_input infra = {.rootfs = t->rootfs, .sandbox = &t->sb};
        struct json_object *spec = t_gen_infra(t, &infra);
        assert_caps(spec, 0, NULL, 0);
        assert_true(jbool(spec, "process/noNewPrivileges"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                T_TEST(test_caps_default_set),
                T_TEST(test_caps_add_any_spelling),
                T_TEST(test_caps_drop),
                T_TEST(test_caps_add_all),
                T_TEST(test_caps_add_all_drop_one),
                T_TEST(test_caps_drop_all),
                T_TEST(test_caps_drop_all_add_one),
                T_TEST(test_caps_drop_beats_add),
                T_TEST(test_caps_unknown_name),
                T_TEST(test_caps_privileged_all),
                T_TEST(test_caps_privileged_needs_privileged_pod),
                T_TEST(test_caps_outside_bounding_left_out_with_warning),
                T_TEST(test_caps_privileged_outside_bounding_quiet),
                T_TEST(test_caps_default_outside_bounding),
                T_TEST(test_caps_ambient),
                T_TEST(test_caps_infra_has_none),
        };
        return cmocka_run_group_tests_name("oci_spec_caps", tests, NULL, NULL);
}
