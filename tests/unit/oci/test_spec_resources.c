/* OCI spec: linux.resources, cgroupsPath, oomScoreAdj, oci_resources_to_json, and
 * linux.sysctl. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "spec_test.h"

static void test_resources_none(void **state) {
        struct t *t = *state;
        struct json_object *spec = t_gen(t);
        assert_null(jp(spec, "linux/resources/cpu"));
        assert_null(jp(spec, "linux/resources/memory"));
        assert_null(jp(spec, "linux/resources/hugepageLimits"));
        assert_null(jp(spec, "linux/resources/unified"));
        assert_null(jp(spec, "linux/sysctl"));
}

static void test_resources_cpu(void **state) {
        struct t *t = *state;
        t->in.resources = (struct oci_resources){
                .cpu_shares = 512, .cpu_quota = 50000, .cpu_period = 100000, .cpuset_cpus = "0-1", .cpuset_mems = "0"};
        struct json_object *spec = t_gen(t);
        assert_int_equal(jint(spec, "linux/resources/cpu/shares"), 512);
        assert_int_equal(jint(spec, "linux/resources/cpu/quota"), 50000);
        assert_int_equal(jint(spec, "linux/resources/cpu/period"), 100000);
        assert_string_equal(jstr(spec, "linux/resources/cpu/cpus"), "0-1");
        assert_string_equal(jstr(spec, "linux/resources/cpu/mems"), "0");
        t->in.resources = (struct oci_resources){.cpuset_cpus = "3"};
        spec = t_gen(t);
        assert_null(jp(spec, "linux/resources/cpu/shares"));
        assert_string_equal(jstr(spec, "linux/resources/cpu/cpus"), "3");
}

static void test_resources_memory_and_swap(void **state) {
        struct t *t = *state;
        t->in.resources.memory_limit_in_bytes = 256 << 20;
        struct json_object *spec = t_gen(t);
        assert_int_equal(jint(spec, "linux/resources/memory/limit"), 256 << 20);
        assert_int_equal(jint(spec, "linux/resources/memory/swap"), 256 << 20);
        t->host.has_swap_accounting = false;
        spec = t_gen(t);
        assert_int_equal(jint(spec, "linux/resources/memory/limit"), 256 << 20);
        assert_null(jp(spec, "linux/resources/memory/swap"));
        t->in.resources.memory_swap_limit_in_bytes = 512 << 20;
        assert_int_equal(jint(t_gen(t), "linux/resources/memory/swap"), 512 << 20);
        t->in.resources.memory_swap_limit_in_bytes = -1;
        assert_int_equal(jint(t_gen(t), "linux/resources/memory/swap"), -1);
}

static void test_resources_hugepages(void **state) {
        struct t *t = *state;
        struct oci_hugepage_limit h[] = {{"2MB", 4 << 21}, {"1GB", 1ULL << 30}};
        t->in.resources.hugepage_limits = h;
        t->in.resources.n_hugepage_limits = 2;
        struct json_object *spec = t_gen(t);
        assert_int_equal(jlen(spec, "linux/resources/hugepageLimits"), 2);
        assert_string_equal(jstr(spec, "linux/resources/hugepageLimits/0/pageSize"), "2MB");
        assert_int_equal(jint(spec, "linux/resources/hugepageLimits/0/limit"), 4 << 21);
        assert_string_equal(jstr(spec, "linux/resources/hugepageLimits/1/pageSize"), "1GB");
        static const char *const bad[] = {"2M", "MB", "2mb", "2MBB", "", "2 MB"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                h[0].page_size = bad[i];
                assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "hugepage size"));
        }
}

static void test_resources_unified(void **state) {
        struct t *t = *state;
        struct oci_kv u[] = {{"memory.high", "1073741824"}, {"memory.min", "0"}};
        t->in.resources.unified = u;
        t->in.resources.n_unified = 2;
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "need cgroup v2"));
        t->host.is_cgroup_v2 = true;
        struct json_object *spec = t_gen(t);
        assert_string_equal(jstr(spec, "linux/resources/unified/memory.high"), "1073741824");
        assert_string_equal(jstr(spec, "linux/resources/unified/memory.min"), "0");
        u[1].key = "../cgroup.procs";
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "not a file name"));
}

static void test_resources_negative(void **state) {
        struct t *t = *state;
        t->in.resources.cpu_shares = -2;
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "cpu_shares"));
        t->in.resources = (struct oci_resources){.memory_limit_in_bytes = -5};
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "memory_limit_in_bytes"));
        t->in.resources = (struct oci_resources){.cpu_quota = -1};
        assert_int_equal(jint(t_gen(t), "linux/resources/cpu/quota"), -1);
        t->in.resources = (struct oci_resources){.cpu_quota = -7};
        t_gen_fails(t, CRIC_E_INVALID);
}

static void test_oom_score_adj(void **state) {
        struct t *t = *state;
        t->in.resources.oom_score_adj = -997;
        t->host.oom_score_adj = -999;
        assert_int_equal(jint(t_gen(t), "process/oomScoreAdj"), -997);
        t->host.oom_score_adj = 0;
        struct testlib_capture cap;
        testlib_capture_stderr(&cap);
        struct json_object *spec = t_gen(t);
        AUTOFREE char *log = testlib_capture_end(&cap);
        assert_int_equal(jint(spec, "process/oomScoreAdj"), 0);
        assert_non_null(strstr(log, "oom_score_adj -997"));
        assert_non_null(strstr(log, "container \"app\""));
        t->in.resources.oom_score_adj = 1001;
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "-1000..1000"));
}

static void test_cgroups_path_cgroupfs(void **state) {
        struct t *t = *state;
        assert_string_equal(jstr(t_gen(t), "linux/cgroupsPath"), "/kubepods/pod1/cric-c1");
        t->sb.cgroup_parent = "kubepods/besteffort/";
        assert_string_equal(jstr(t_gen(t), "linux/cgroupsPath"), "/kubepods/besteffort/cric-c1");
        t->sb.cgroup_parent = NULL;
        assert_string_equal(jstr(t_gen(t), "linux/cgroupsPath"), "/cric-c1");
}

static void test_cgroups_path_systemd(void **state) {
        struct t *t = *state;
        t->host.cgroup_driver = OCI_CGROUP_SYSTEMD;
        t->sb.cgroup_parent = "kubepods-burstable-pod1.slice";
        assert_string_equal(jstr(t_gen(t), "linux/cgroupsPath"), "kubepods-burstable-pod1.slice:cric:c1");
        t->sb.cgroup_parent = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice";
        assert_string_equal(jstr(t_gen(t), "linux/cgroupsPath"), "kubepods-burstable-pod1.slice:cric:c1");
        t->sb.cgroup_parent = "";
        assert_string_equal(jstr(t_gen(t), "linux/cgroupsPath"), "system.slice:cric:c1");
        t->sb.cgroup_parent = "/kubepods/pod1";
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "not a systemd slice"));
        t->sb.cgroup_parent = ".slice";
        t_gen_fails(t, CRIC_E_INVALID);
}

static void test_resources_to_json(void **state) {
        struct t *t = *state;
        struct oci_resources res = {.cpu_shares = 2, .memory_limit_in_bytes = 1 << 20};
        AUTOFREE char *json = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(oci_resources_to_json(&res, &t->host, &json, &err), 0);
        struct json_object *o = t_parse(t, json);
        assert_int_equal(jint(o, "cpu/shares"), 2);
        assert_int_equal(jint(o, "memory/limit"), 1 << 20);
        assert_int_equal(jint(o, "memory/swap"), 1 << 20);
        assert_null(jp(o, "devices"));
        AUTOFREE char *none = NULL;
        res = (struct oci_resources){.cpu_period = -1};
        assert_int_equal(oci_resources_to_json(&res, &t->host, &none, &err), -1);
        assert_null(none);
        assert_int_equal(err->kind, CRIC_E_INVALID);
}

static void test_sysctls_allowed(void **state) {
        struct t *t = *state;
        struct oci_kv s[] = {{"net.ipv4.ip_forward", "1"}, {"net/ipv4/conf/eth0.100/forwarding", "1"},
                             {"kernel.shmmax", "1000"},    {"kernel.msgmax", "10"},
                             {"kernel.sem", "1 2 3 4"},    {"fs.mqueue.msg_max", "20"}};
        t->sb.sysctls = s;
        t->sb.n_sysctls = 6;
        struct json_object *spec = t_gen(t);
        struct json_object *sys = jp(spec, "linux/sysctl");
        assert_int_equal(json_object_object_length(sys), 6);
        assert_string_equal(jstr(sys, "net.ipv4.ip_forward"), "1");
        struct json_object *v = NULL; /* jp() would split this name */
        assert_true(json_object_object_get_ex(sys, "net.ipv4.conf.eth0/100.forwarding", &v));
        assert_string_equal(json_object_get_string(v), "1");
        assert_string_equal(jstr(sys, "kernel.sem"), "1 2 3 4");
        assert_string_equal(jstr(sys, "fs.mqueue.msg_max"), "20");
}

static void test_sysctls_need_pod_namespaces(void **state) {
        struct t *t = *state;
        struct oci_kv s[] = {{"net.core.somaxconn", "1024"}};
        t->sb.sysctls = s;
        t->sb.n_sysctls = 1;
        t->in.security.ns.network = OCI_NS_NODE;
        const char *msg = t_gen_fails(t, CRIC_E_INVALID);
        assert_non_null(strstr(msg, "\"net.core.somaxconn\""));
        assert_non_null(strstr(msg, "network namespace"));
        t->in.security.ns.network = OCI_NS_POD;
        t->in.security.ns.ipc = OCI_NS_NODE;
        assert_string_equal(jstr(t_gen(t), "linux/sysctl/net.core.somaxconn"), "1024");
        s[0] = (struct oci_kv){"kernel.shmall", "5"};
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "IPC namespace"));
}

static void test_sysctls_refused(void **state) {
        struct t *t = *state;
        static const char *const bad[] = {"vm.swappiness", "kernel.domainname", "kernel.sh", "fs.file-max",
                                          "kernel.semx",   "network.x",         "fs.mqueue"};
        struct oci_kv s[1];
        t->sb.sysctls = s;
        t->sb.n_sysctls = 1;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                s[0] = (struct oci_kv){bad[i], "1"};
                const char *msg = t_gen_fails(t, CRIC_E_INVALID);
                if (!strstr(msg, bad[i]))
                        fail_msg("%s not named in \"%s\"", bad[i], msg);
        }
        s[0] = (struct oci_kv){"", "1"};
        t_gen_fails(t, CRIC_E_INVALID);
}

static void test_sysctls_in_infra(void **state) {
        struct t *t = *state;
        struct oci_kv s[] = {{"net.ipv4.ping_group_range", "0 2147483647"}};
        t->sb.sysctls = s;
        t->sb.n_sysctls = 1;
        struct oci_infra_input infra = {.rootfs = t->rootfs, .sandbox = &t->sb};
        assert_string_equal(jstr(t_gen_infra(t, &infra), "linux/sysctl/net.ipv4.ping_group_range"), "0 2147483647");
        t->sb.security.ns.network = OCI_NS_NODE;
        char *out = NULL;
        assert_int_equal(oci_spec_generate_infra(&infra, &t->host, &out, &t->err), -1);
        assert_int_equal(t->err->kind, CRIC_E_INVALID);
}

static void test_host_detect(void **state) {
        (void) state;
        struct oci_host h;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(oci_host_detect(OCI_CGROUP_SYSTEMD, &h, &err), 0);
        assert_int_equal(h.cgroup_driver, OCI_CGROUP_SYSTEMD);
        assert_true(h.oom_score_adj >= -1000 && h.oom_score_adj <= 1000);
        assert_true(h.cap_bounding != 0);
        assert_false(h.supports_recursive_read_only);
        assert_null(h.dev_path);
        assert_null(h.mountinfo_path);
        AUTOFREE char *status = NULL;
        assert_int_equal(fs_read_file("/proc/self/status", 1 << 20, &status, NULL, &err), 0);
        char want[64];
        snprintf(want, sizeof(want), "CapBnd:\t%016llx\n", (unsigned long long) h.cap_bounding);
        assert_non_null(strstr(status, want));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                T_TEST(test_resources_none),
                T_TEST(test_resources_cpu),
                T_TEST(test_resources_memory_and_swap),
                T_TEST(test_resources_hugepages),
                T_TEST(test_resources_unified),
                T_TEST(test_resources_negative),
                T_TEST(test_oom_score_adj),
                T_TEST(test_cgroups_path_cgroupfs),
                T_TEST(test_cgroups_path_systemd),
                T_TEST(test_resources_to_json),
                T_TEST(test_sysctls_allowed),
                T_TEST(test_sysctls_need_pod_namespaces),
                T_TEST(test_sysctls_refused),
                T_TEST(test_sysctls_in_infra),
                cmocka_unit_test(test_host_detect),
        };
        return cmocka_run_group_tests_name("oci_spec_resources", tests, NULL, NULL);
}
