/* src/cgroup/limits.c: a pod's CPU and memory limits written into fake cgroup v1
 * (hybrid) and v2 trees in a temp dir, checked in the files the kernel would read. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup/cgroup.h"
#include "cgroup/internal.h"
#include "fake_tree.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define POD "/kubepods/burstable/pod1"

static char *tmp, *v1_root, *v2_root;

static const char MI_HYBRID[] =
        "31 22 0:28 / @R ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755,inode64\n"
        "32 31 0:29 / @R/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
        "36 31 0:33 / @R/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,cpu,cpuacct\n"
        "37 31 0:34 / @R/memory rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,memory\n";

static const char MI_UNIFIED[] = "29 22 0:26 / @R rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
                                 "rw,nsdelegate,memory_recursiveprot\n";

/* The content of root/rel without its trailing newline. */
static char *content(const char *root, const char *rel) {
        char *s = testlib_read_file("%s/%s", root, rel);
        size_t n = strlen(s);
        if (n && s[n - 1] == '\n')
                s[n - 1] = '\0';
        return s;
}

#define assert_file(root, rel, want)                                                                                   \
        do {                                                                                                           \
                AUTOFREE char *got_ = content(root, rel);                                                              \
                assert_string_equal(got_, want);                                                                       \
        } while (0)

/* A fresh pod cgroup with the kernel's defaults in each tree. */
static void build_trees(void) {
        fake_put(v1_root, "cpu,cpuacct" POD "/cpu.shares", "1024\n");
        fake_put(v1_root, "cpu,cpuacct" POD "/cpu.cfs_period_us", "100000\n");
        fake_put(v1_root, "cpu,cpuacct" POD "/cpu.cfs_quota_us", "-1\n");
        fake_put(v1_root, "memory" POD "/memory.limit_in_bytes", "9223372036854771712\n");
        fake_put(v1_root, "memory" POD "/memory.usage_in_bytes", "8388608\n");
        fake_put(v1_root, "unified/.keep", "");
        fake_put(v2_root, "cgroup.controllers", "cpuset cpu io memory pids\n");
        fake_put(v2_root, POD "/cpu.weight", "100\n");
        fake_put(v2_root, POD "/cpu.max", "max 100000\n");
        fake_put(v2_root, POD "/memory.max", "max\n");
        fake_put(v2_root, POD "/memory.current", "8388608\n");
}

static int setup(void **state) {
        (void) state;
        fake_dirs_new("cgroup-limits", &tmp, &v1_root, &v2_root);
        build_trees();
        return 0;
}

static int teardown(void **state) {
        (void) state;
        return fake_dirs_free(&tmp, &v1_root, &v2_root);
}

static struct cgroup_paths *pod_paths(const char *tmpl, const char *root, const char *cgroup) {
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = fake_mounts_load(tmp, "mountinfo", tmpl, root);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct cgroup_paths *p = NULL;
        if (cgroup_paths_new(m, cgroup, &p, &err) < 0)
                fail_msg("paths: %s", err->msg);
        return p;
}

static void apply_ok(const struct cgroup_paths *p, const struct cgroup_limits *l) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (cgroup_limits_apply(p, l, &err) < 0)
                fail_msg("apply: %s", err->msg);
}

/* ---- cgroup v1 ---- */

static void test_v1_all_fields(void **state) {
        (void) state;
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = pod_paths(MI_HYBRID, v1_root, POD);
        apply_ok(p, &(struct cgroup_limits){
                            .cpu_shares = 512, .cpu_quota = 50000, .cpu_period = 200000, .memory_bytes = 256 << 20});
        assert_file(v1_root, "cpu,cpuacct" POD "/cpu.shares", "512");
        assert_file(v1_root, "cpu,cpuacct" POD "/cpu.cfs_period_us", "200000");
        assert_file(v1_root, "cpu,cpuacct" POD "/cpu.cfs_quota_us", "50000");
        assert_file(v1_root, "memory" POD "/memory.limit_in_bytes", "268435456");
}

static void test_v1_zero_leaves_values(void **state) {
        (void) state;
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = pod_paths(MI_HYBRID, v1_root, POD);
        apply_ok(p, &(struct cgroup_limits){.memory_bytes = 64 << 20});
        assert_file(v1_root, "cpu,cpuacct" POD "/cpu.shares", "512");
        assert_file(v1_root, "memory" POD "/memory.limit_in_bytes", "67108864");
        apply_ok(p, &(struct cgroup_limits){.cpu_shares = 2});
        assert_file(v1_root, "cpu,cpuacct" POD "/cpu.shares", "2");
        assert_file(v1_root, "cpu,cpuacct" POD "/cpu.cfs_quota_us", "50000");
        assert_file(v1_root, "memory" POD "/memory.limit_in_bytes", "67108864");
}

static void test_v1_unlimited(void **state) {
        (void) state;
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = pod_paths(MI_HYBRID, v1_root, POD);
        apply_ok(p, &(struct cgroup_limits){.cpu_quota = -1, .memory_bytes = -1});
        assert_file(v1_root, "cpu,cpuacct" POD "/cpu.cfs_quota_us", "-1");
        assert_file(v1_root, "memory" POD "/memory.limit_in_bytes", "-1");
}

/* A failed memory write changes nothing else: memory goes first. */
static void test_v1_memory_failure_changes_nothing(void **state) {
        (void) state;
        fake_put(v1_root, "memory/broken/memory.limit_in_bytes/.dir", "");
        fake_put(v1_root, "cpu,cpuacct/broken/cpu.shares", "1024\n");
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = pod_paths(MI_HYBRID, v1_root, "/broken");
        struct cric_error *err = NULL;
        fake_expect_error(
                cgroup_limits_apply(p, &(struct cgroup_limits){.cpu_shares = 4, .memory_bytes = 1 << 20}, &err), &err,
                CRIC_E_INTERNAL, "memory.limit_in_bytes");
        assert_file(v1_root, "cpu,cpuacct/broken/cpu.shares", "1024");
}

static void test_missing_cgroup_is_not_found(void **state) {
        (void) state;
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p1 = pod_paths(MI_HYBRID, v1_root, "/kubepods/gone");
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p2 = pod_paths(MI_UNIFIED, v2_root, "/kubepods/gone");
        struct cric_error *err = NULL;
        fake_expect_error(cgroup_limits_apply(p1, &(struct cgroup_limits){.cpu_shares = 4}, &err), &err,
                          CRIC_E_NOT_FOUND, "/kubepods/gone does not exist");
        fake_expect_error(cgroup_limits_apply(p2, &(struct cgroup_limits){.memory_bytes = 1 << 20}, &err), &err,
                          CRIC_E_NOT_FOUND, "/kubepods/gone does not exist");
        /* nothing asked: nothing looked at */
        assert_int_equal(cgroup_limits_apply(p1, &(struct cgroup_limits){0}, NULL), 0);
}

/* ---- cgroup v2 ---- */

static void test_v2_all_fields(void **state) {
        (void) state;
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = pod_paths(MI_UNIFIED, v2_root, POD);
        apply_ok(p, &(struct cgroup_limits){
                            .cpu_shares = 1024, .cpu_quota = 50000, .cpu_period = 100000, .memory_bytes = 256 << 20});
        assert_file(v2_root, POD "/cpu.weight", "39");
        assert_file(v2_root, POD "/cpu.max", "50000 100000");
        assert_file(v2_root, POD "/memory.max", "268435456");
}

/* cpu.max holds quota and period together: the one not asked for is kept. */
static void test_v2_cpu_max_keeps_the_other_half(void **state) {
        (void) state;
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = pod_paths(MI_UNIFIED, v2_root, POD);
        fake_put(v2_root, POD "/cpu.max", "max 100000\n");
        apply_ok(p, &(struct cgroup_limits){.cpu_period = 250000});
        assert_file(v2_root, POD "/cpu.max", "max 250000");
        apply_ok(p, &(struct cgroup_limits){.cpu_quota = 75000});
        assert_file(v2_root, POD "/cpu.max", "75000 250000");
        apply_ok(p, &(struct cgroup_limits){.cpu_quota = -1, .memory_bytes = -1});
        assert_file(v2_root, POD "/cpu.max", "max 250000");
        assert_file(v2_root, POD "/memory.max", "max");
}

/* Below memory.current the kernel would OOM-kill on v2: refused before writing. */
static void test_v2_memory_below_usage(void **state) {
        (void) state;
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = pod_paths(MI_UNIFIED, v2_root, POD);
        fake_put(v2_root, POD "/memory.max", "268435456\n");
        fake_put(v2_root, POD "/cpu.weight", "100\n");
        struct cric_error *err = NULL;
        fake_expect_error(
                cgroup_limits_apply(p, &(struct cgroup_limits){.cpu_shares = 2, .memory_bytes = 4 << 20}, &err), &err,
                CRIC_E_PRECONDITION, "memory limit 4194304 bytes is below the usage of cgroup");
        assert_file(v2_root, POD "/memory.max", "268435456");
        assert_file(v2_root, POD "/cpu.weight", "100");
        apply_ok(p, &(struct cgroup_limits){.memory_bytes = 8 << 20}); /* equal to usage is fine */
        assert_file(v2_root, POD "/memory.max", "8388608");
}

static void test_v2_malformed_cpu_max(void **state) {
        (void) state;
        fake_put(v2_root, "/bad/cpu.max", "\n");
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = pod_paths(MI_UNIFIED, v2_root, "/bad");
        struct cric_error *err = NULL;
        fake_expect_error(cgroup_limits_apply(p, &(struct cgroup_limits){.cpu_quota = 5000}, &err), &err,
                          CRIC_E_INTERNAL, "cpu.max: malformed");
}

static void test_shares_to_weight(void **state) {
        (void) state;
        assert_int_equal(cgroup_shares_to_weight(0), 0);
        assert_int_equal(cgroup_shares_to_weight(2), 1);
        assert_int_equal(cgroup_shares_to_weight(1024), 39);
        assert_int_equal(cgroup_shares_to_weight(262144), 10000);
        assert_int_equal(cgroup_shares_to_weight(1 << 30), 10000);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_v1_all_fields),
                cmocka_unit_test(test_v1_zero_leaves_values),
                cmocka_unit_test(test_v1_unlimited),
                cmocka_unit_test(test_v1_memory_failure_changes_nothing),
                cmocka_unit_test(test_missing_cgroup_is_not_found),
                cmocka_unit_test(test_v2_all_fields),
                cmocka_unit_test(test_v2_cpu_max_keeps_the_other_half),
                cmocka_unit_test(test_v2_memory_below_usage),
                cmocka_unit_test(test_v2_malformed_cpu_max),
                cmocka_unit_test(test_shares_to_weight),
        };
        return cmocka_run_group_tests_name("cgroup_limits", tests, setup, teardown);
}
