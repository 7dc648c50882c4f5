/* src/cgroup/: detection, mounts, both drivers' names and paths, /proc/<pid>/cgroup,
 * removal and stats, against fake v1 (hybrid) and v2 trees built in a temp dir with
 * file contents in the kernel's formats, plus a few live checks of this host. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cgroup/internal.h"
#include "cgroup/prewarm.h"
#include "fake_tree.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define CTR "/kubepods/pod1/cric-abc"

static char *tmp;               /* the temp dir of this run */
static char *v1_root, *v2_root; /* fake /sys/fs/cgroup trees */

/* ---- fixture helpers ---- */

static void mkdirs(const char *root, const char *rel) {
        AUTOFREE char *path = xasprintf("%s/%s", root, rel);
        assert_int_equal(fs_mkdir_p(path, 0755, NULL), 0);
}

static bool exists(const char *root, const char *rel) {
        AUTOFREE char *path = xasprintf("%s/%s", root, rel);
        return access(path, F_OK) == 0;
}

/* Writes a mountinfo file from tmpl (with @R for root) and returns its path. */
static char *mountinfo(const char *name, const char *tmpl, const char *root) {
        AUTOFREE char *content = fake_subst(tmpl, root);
        fake_put(tmp, name, content);
        return xasprintf("%s/%s", tmp, name);
}

static struct cgroup_mounts *load(const char *name, const char *tmpl, const char *root) {
        return fake_mounts_load(tmp, name, tmpl, root);
}

/* ---- kernel file formats ---- */

static const char MI_HYBRID[] =
        "22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
        "26 28 0:5 / /dev rw,nosuid,relatime shared:2 - devtmpfs udev rw,size=4018380k,nr_inodes=1004595\n"
        "31 22 0:28 / @R ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755,inode64\n"
        "32 31 0:29 / @R/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
        "33 31 0:30 / @R/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup "
        "rw,xattr,name=systemd\n"
        "36 31 0:33 / @R/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,cpu,cpuacct\n"
        "37 31 0:34 / @R/memory rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,memory\n"
        "38 31 0:35 / @R/pids rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,pids\n"
        "39 31 0:36 / @R/cpuset rw,nosuid,nodev,noexec,relatime shared:19 - cgroup cgroup "
        "rw,cpuset,clone_children\n"
        "40 31 0:34 / @R/memory rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,memory\n"
        "41 22 0:37 / /elsewhere/freezer rw,relatime - cgroup cgroup rw,freezer\n";

static const char MI_LEGACY[] =
        "31 22 0:28 / @R rw,nosuid,nodev,noexec shared:9 - tmpfs tmpfs rw,mode=755\n"
        "36 31 0:33 / @R/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,cpu,cpuacct\n"
        "37 31 0:34 / @R/memory rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,memory\n"
        "38 31 0:35 / @R/pids rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,pids\n"
        "39 31 0:36 / @R/systemd rw,nosuid,nodev,noexec,relatime - cgroup cgroup "
        "rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd\n";

static const char MI_UNIFIED[] = "22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
                                 "29 22 0:26 / @R rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
                                 "rw,nsdelegate,memory_recursiveprot\n";

static const char MI_NONE[] = "22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
                              "23 28 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:14 - proc proc rw\n";

/* The memory hierarchy bind-mounted from /docker/abc, as in a container without a
 * cgroup namespace. */
static const char MI_BIND[] =
        "37 31 0:34 /docker/abc @R/memory rw,nosuid,nodev,noexec,relatime - cgroup cgroup rw,memory\n"
        "38 31 0:35 /docker/abc @R/pids rw,nosuid,nodev,noexec,relatime - cgroup cgroup rw,pids\n";

/* memory.stat of a v1 container (Linux 6.1), total_* keys included. */
static const char V1_MEMORY_STAT[] = "cache 138219520\nrss 1712128\nrss_huge 0\nshmem 0\nmapped_file 1826816\n"
                                     "dirty 40960\nwriteback 0\nswap 0\npgpgin 135188\npgpgout 106707\n"
                                     "pgfault 232606\npgmajfault 93\ninactive_anon 1695744\nactive_anon 12288\n"
                                     "inactive_file 27906048\nactive_file 110313472\nunevictable 0\n"
                                     "hierarchical_memory_limit 536870912\n"
                                     "hierarchical_memsw_limit 9223372036854771712\n"
                                     "total_cache 140001280\ntotal_rss 1712128\ntotal_rss_huge 0\ntotal_shmem 0\n"
                                     "total_mapped_file 1826816\ntotal_dirty 40960\ntotal_writeback 0\n"
                                     "total_swap 0\ntotal_pgpgin 135188\ntotal_pgpgout 106707\n"
                                     "total_pgfault 232606\ntotal_pgmajfault 93\ntotal_inactive_anon 1695744\n"
                                     "total_active_anon 12288\ntotal_inactive_file 27906048\n"
                                     "total_active_file 110313472\ntotal_unevictable 0\n";

static const char V1_OOM_CONTROL[] = "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n";

/* memory.stat of a v2 container (Linux 6.1). */
static const char V2_MEMORY_STAT[] =
        "anon 4308992\nfile 13684736\nkernel 1560576\nkernel_stack 65536\npagetables 180224\n"
        "sec_pagetables 0\npercpu 0\nsock 0\nvmalloc 0\nshmem 0\nzswap 0\nzswapped 0\nfile_mapped 6418432\n"
        "file_dirty 0\nfile_writeback 0\nswapcached 0\nanon_thp 0\nfile_thp 0\nshmem_thp 0\n"
        "inactive_anon 4300800\nactive_anon 8192\ninactive_file 9375744\nactive_file 4308992\nunevictable 0\n"
        "slab_reclaimable 789504\nslab_unreclaimable 375808\nslab 1165312\nworkingset_refault_anon 0\n"
        "workingset_refault_file 0\nworkingset_activate_anon 0\nworkingset_activate_file 0\n"
        "workingset_restore_anon 0\nworkingset_restore_file 0\nworkingset_nodereclaim 0\npgscan 0\npgsteal 0\n"
        "pgscan_kswapd 0\npgscan_direct 0\npgsteal_kswapd 0\npgsteal_direct 0\npgfault 5385\npgmajfault 127\n"
        "pgrefill 0\npgactivate 1052\npgdeactivate 0\npglazyfree 0\npglazyfreed 0\nthp_fault_alloc 0\n"
        "thp_collapse_alloc 0\n";

static const char V2_CPU_STAT[] = "usage_usec 1785247\nuser_usec 1126532\nsystem_usec 658715\n"
                                  "core_sched.force_idle_usec 0\nnr_periods 300\nnr_throttled 12\n"
                                  "throttled_usec 4500000\nnr_bursts 0\nburst_usec 0\n";

static const char V2_MEMORY_EVENTS[] = "low 0\nhigh 0\nmax 12\noom 3\noom_kill 1\noom_group_kill 0\n";

static void build_v1_tree(void) {
        static const char *const hiers[] = {"cpu,cpuacct", "memory", "pids", "cpuset", "systemd"};
        for (size_t i = 0; i < sizeof(hiers) / sizeof(hiers[0]); i++) {
                AUTOFREE char *tasks = xasprintf("%s/tasks", hiers[i]);
                fake_put(v1_root, tasks, "1\n");
        }
        mkdirs(v1_root, "unified");
        fake_put(v1_root, "cpu,cpuacct" CTR "/cpuacct.usage", "5128611732905\n");
        fake_put(v1_root, "memory" CTR "/memory.usage_in_bytes", "145580032\n");
        fake_put(v1_root, "memory" CTR "/memory.limit_in_bytes", "536870912\n");
        fake_put(v1_root, "memory" CTR "/memory.stat", V1_MEMORY_STAT);
        fake_put(v1_root, "memory" CTR "/memory.oom_control", V1_OOM_CONTROL);
        fake_put(v1_root, "pids" CTR "/pids.current", "7\n");
        fake_put(v1_root, "cpu,cpuacct" CTR "/cpuacct.stat", "user 36509\nsystem 3764\n");
        fake_put(v1_root, "cpu,cpuacct" CTR "/cpu.stat",
                 "nr_periods 120\nnr_throttled 15\nthrottled_time 2500000000\n");
        fake_put(v1_root, "memory" CTR "/memory.max_usage_in_bytes", "201326592\n");
        fake_put(v1_root, "cpu,cpuacct" CTR "/cpu.shares", "512\n");
        fake_put(v1_root, "cpu,cpuacct" CTR "/cpu.cfs_period_us", "100000\n");
        fake_put(v1_root, "cpu,cpuacct" CTR "/cpu.cfs_quota_us", "-1\n");
}

static void build_v2_tree(void) {
        fake_put(v2_root, "cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
        fake_put(v2_root, CTR "/cpu.stat", V2_CPU_STAT);
        fake_put(v2_root, CTR "/memory.current", "19640320\n");
        fake_put(v2_root, CTR "/memory.max", "268435456\n");
        fake_put(v2_root, CTR "/memory.stat", V2_MEMORY_STAT);
        fake_put(v2_root, CTR "/memory.events", V2_MEMORY_EVENTS);
        fake_put(v2_root, CTR "/pids.current", "4\n");
        fake_put(v2_root, CTR "/memory.peak", "25165824\n");
        fake_put(v2_root, CTR "/cpu.weight", "39\n");
        fake_put(v2_root, CTR "/cpu.max", "50000 100000\n");
}

static int group_setup(void **state) {
        (void) state;
        fake_dirs_new("cgroup-test", &tmp, &v1_root, &v2_root);
        build_v1_tree();
        build_v2_tree();
        return 0;
}

static int group_teardown(void **state) {
        (void) state;
        return fake_dirs_free(&tmp, &v1_root, &v2_root);
}

/* ---- detection ---- */

static void test_detect_fake_v1_and_v2(void **state) {
        (void) state;
        assert_int_equal(cgroup_detect(v1_root), CGROUP_V1);
        assert_int_equal(cgroup_detect(v2_root), CGROUP_V2);
        assert_string_equal(cgroup_mode_to_string(CGROUP_V2), "v2");
        assert_string_equal(cgroup_mode_to_string(CGROUP_MODE_INVALID), "invalid");
}

static void test_detect_missing_or_plain_dir(void **state) {
        (void) state;
        AUTOFREE char *missing = xasprintf("%s/nope", tmp);
        assert_int_equal(cgroup_detect(missing), CGROUP_MODE_INVALID);
        mkdirs(tmp, "plain/sub");
        AUTOFREE char *plain = xasprintf("%s/plain", tmp);
        assert_int_equal(cgroup_detect(plain), CGROUP_MODE_INVALID);
}

static void test_detect_host_matches_mountinfo(void **state) {
        (void) state;
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        enum cgroup_mode mode = cgroup_detect(NULL);
        if (mode == CGROUP_MODE_INVALID || cgroup_mounts_load(NULL, NULL, &m, &err) < 0) {
                print_message("skipped: no cgroup file system at /sys/fs/cgroup\n");
                skip();
        }
        assert_int_equal(cgroup_mounts_mode(m), mode);
}

static void test_mounts_hybrid(void **state) {
        (void) state;
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.hybrid", MI_HYBRID, v1_root);
        assert_int_equal(cgroup_mounts_mode(m), CGROUP_V1);
        /* systemd, cpu+cpuacct, memory, pids, cpuset; the second memory mount and the
         * freezer outside the root are dropped */
        assert_int_equal(m->n_v1, 5);
        assert_non_null(m->unified);
        AUTOFREE char *unified = xasprintf("%s/unified", v1_root);
        assert_string_equal(cgroup_mounts_find(m, ""), unified);
        AUTOFREE char *cpu = xasprintf("%s/cpu,cpuacct", v1_root);
        assert_string_equal(cgroup_mounts_find(m, "cpuacct"), cpu);
        assert_string_equal(cgroup_mounts_find(m, "cpu"), cpu);
        AUTOFREE char *sd = xasprintf("%s/systemd", v1_root);
        assert_string_equal(cgroup_mounts_find(m, "name=systemd"), sd);
        assert_null(cgroup_mounts_find(m, "freezer"));
        assert_null(cgroup_mounts_find(m, "rw"));
        assert_null(cgroup_mounts_find(m, "clone_children"));
}

static void test_mounts_legacy(void **state) {
        (void) state;
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.legacy", MI_LEGACY, v1_root);
        assert_int_equal(cgroup_mounts_mode(m), CGROUP_V1);
        assert_int_equal(m->n_v1, 4);
        assert_null(m->unified);
        assert_null(cgroup_mounts_find(m, ""));
        /* release_agent=... and xattr are options, not controllers */
        AUTOFREE char *sd = xasprintf("%s/systemd", v1_root);
        assert_string_equal(cgroup_mounts_find(m, "name=systemd"), sd);
        for (size_t i = 0; i < m->n_v1; i++)
                assert_int_equal(strstr(m->v1[i].controllers[0], "release_agent") == NULL, 1);
}

static void test_mounts_unified(void **state) {
        (void) state;
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.unified", MI_UNIFIED, v2_root);
        assert_int_equal(cgroup_mounts_mode(m), CGROUP_V2);
        assert_int_equal(m->n_v1, 0);
        assert_string_equal(cgroup_mounts_find(m, "memory"), v2_root);
        assert_string_equal(cgroup_mounts_find(m, ""), v2_root);
}

static void test_mounts_trailing_slash_root(void **state) {
        (void) state;
        AUTOFREE char *mi = mountinfo("mi.unified2", MI_UNIFIED, v2_root);
        AUTOFREE char *root = xasprintf("%s//", v2_root);
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = NULL;
        assert_int_equal(cgroup_mounts_load(root, mi, &m, NULL), 0);
        assert_int_equal(cgroup_mounts_mode(m), CGROUP_V2);
}

static void test_mounts_none_is_unavailable(void **state) {
        (void) state;
        AUTOFREE char *mi = mountinfo("mi.none", MI_NONE, v1_root);
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = NULL;
        struct cric_error *err = NULL;
        fake_expect_error(cgroup_mounts_load(v1_root, mi, &m, &err), &err, CRIC_E_UNAVAILABLE, "no cgroup file system");
        assert_null(m);
        /* cgroups mounted outside root do not count */
        AUTOFREE char *elsewhere = mountinfo("mi.elsewhere", MI_HYBRID, v1_root);
        fake_expect_error(cgroup_mounts_load("/sys/fs/cgroup", elsewhere, &m, &err), &err, CRIC_E_UNAVAILABLE,
                          "/sys/fs/cgroup");
}

static void test_mounts_missing_or_malformed_file(void **state) {
        (void) state;
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = NULL;
        struct cric_error *err = NULL;
        AUTOFREE char *missing = xasprintf("%s/no-mountinfo", tmp);
        fake_expect_error(cgroup_mounts_load(v1_root, missing, &m, &err), &err, CRIC_E_NOT_FOUND, "find cgroup mounts");
        AUTOFREE char *bad = mountinfo("mi.bad", "31 22 0:28 / @R rw shared:9 tmpfs tmpfs rw\n", v1_root);
        fake_expect_error(cgroup_mounts_load(v1_root, bad, &m, &err), &err, CRIC_E_INTERNAL, ":1: malformed");
        /* a v1 mount without controllers */
        AUTOFREE char *noctl = mountinfo("mi.noctl", "37 31 0:34 / @R/x rw - cgroup cgroup rw,xattr\n", v1_root);
        fake_expect_error(cgroup_mounts_load(v1_root, noctl, &m, &err), &err, CRIC_E_INTERNAL, "malformed");
}

static void test_mountinfo_escapes_and_optional_fields(void **state) {
        (void) state;
        struct cgroup_hier h;
        bool is_v2 = true;
        assert_int_equal(cgroup_mountinfo_parse_line("40 31 0:37 /a\\040b /sys/fs/cgroup/my\\040dir rw,relatime "
                                                     "shared:1 master:2 - cgroup cgroup rw,memory",
                                                     &h, &is_v2),
                         1);
        assert_false(is_v2);
        assert_string_equal(h.mount_point, "/sys/fs/cgroup/my dir");
        assert_string_equal(h.mount_root, "/a b");
        assert_string_equal(h.controllers[0], "memory");
        assert_null(h.controllers[1]);
        cgroup_hier_clear(&h);
        assert_int_equal(cgroup_mountinfo_parse_line("22 28 0:21 / /sys rw - sysfs sysfs rw", &h, &is_v2), 0);
        assert_int_equal(cgroup_mountinfo_parse_line("22 28 0:21 / /sys rw sysfs sysfs rw", &h, &is_v2), -1);
        assert_int_equal(cgroup_mountinfo_parse_line("22 28 0:21 / /sys rw - cgroup2", &h, &is_v2), -1);
}

/* ---- drivers ---- */

static void test_driver_find(void **state) {
        (void) state;
        assert_string_equal(cgroup_driver_find("cgroupfs")->name, "cgroupfs");
        assert_string_equal(cgroup_driver_find("systemd")->name, "systemd");
        assert_null(cgroup_driver_find("Systemd"));
        assert_null(cgroup_driver_find(""));
        assert_null(cgroup_driver_find(NULL));
}

static void test_cgroupfs_paths(void **state) {
        (void) state;
        const struct cgroup_driver *d = cgroup_driver_find("cgroupfs");
        AUTOFREE char *parent = NULL, *oci = NULL, *cg = NULL, *root_oci = NULL;
        assert_int_equal(d->pod_parent("/kubepods/besteffort/pod1", &parent, NULL), 0);
        assert_string_equal(parent, "/kubepods/besteffort/pod1");
        assert_int_equal(d->container_path("/kubepods/besteffort/pod1", "abc123", &oci, NULL), 0);
        assert_string_equal(oci, "/kubepods/besteffort/pod1/cric-abc123");
        assert_int_equal(d->container_cgroup("/kubepods/besteffort/pod1", "abc123", &cg, NULL), 0);
        assert_string_equal(cg, oci);
        assert_int_equal(d->container_path("/", "abc123", &root_oci, NULL), 0);
        assert_string_equal(root_oci, "/cric-abc123");
        assert_int_equal(d->create_parent("/kubepods/pod1", NULL), 0);
}

static void test_cgroupfs_default_parent(void **state) {
        (void) state;
        const struct cgroup_driver *d = cgroup_driver_find("cgroupfs");
        AUTOFREE char *parent = NULL, *oci = NULL, *oci2 = NULL;
        assert_int_equal(d->pod_parent("", &parent, NULL), 0);
        assert_string_equal(parent, "/cric");
        assert_int_equal(d->container_path("", "abc", &oci, NULL), 0);
        assert_string_equal(oci, "/cric/cric-abc");
        assert_int_equal(d->container_path(NULL, "abc", &oci2, NULL), 0);
        assert_string_equal(oci2, "/cric/cric-abc");
}

static void test_cgroupfs_invalid_parents(void **state) {
        (void) state;
        static const struct {
                const char *parent, *needle;
        } cases[] = {
                {"kubepods/pod1", "not an absolute path"}, {"kubepods-pod1.slice", "is a systemd slice"},
                {"/kubepods/pod1/", "ends with a slash"},  {"/kubepods//pod1", "empty component"},
                {"/kubepods/../etc", "\"..\" component"},  {"/..", "\"..\" component"},
                {"/kubepods/./pod1", "\".\" or"},
        };
        const struct cgroup_driver *d = cgroup_driver_find("cgroupfs");
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct cric_error *err = NULL;
                char *out = NULL;
                fake_expect_error(d->pod_parent(cases[i].parent, &out, &err), &err, CRIC_E_INVALID, cases[i].needle);
                fake_expect_error(d->container_path(cases[i].parent, "abc", &out, &err), &err, CRIC_E_INVALID,
                                  cases[i].needle);
                fake_expect_error(d->create_parent(cases[i].parent, &err), &err, CRIC_E_INVALID, cases[i].needle);
                assert_null(out);
        }
}

static void test_invalid_container_ids(void **state) {
        (void) state;
        char long_id[200];
        memset(long_id, 'a', sizeof(long_id) - 1);
        long_id[sizeof(long_id) - 1] = '\0';
        const char *ids[] = {"", "a/b", "..", ".hidden", "-x", "_x", "a b", "a:b", "a\\x2d", long_id};
        for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
                for (int k = 0; k < 2; k++) {
                        const struct cgroup_driver *d = cgroup_driver_find(k ? "systemd" : "cgroupfs");
                        struct cric_error *err = NULL;
                        char *out = NULL;
                        fake_expect_error(d->container_path("", ids[i], &out, &err), &err, CRIC_E_INVALID,
                                          "container id");
                        fake_expect_error(d->container_cgroup("", ids[i], &out, &err), &err, CRIC_E_INVALID,
                                          "container id");
                        assert_null(out);
                }
        }
        struct cric_error *err = NULL;
        fake_expect_error(cgroup_id_validate(NULL, &err), &err, CRIC_E_INVALID, "empty");
        assert_int_equal(cgroup_id_validate("0123abcDEF_.-x", NULL), 0);
}

static void test_systemd_slice_expand(void **state) {
        (void) state;
        static const struct {
                const char *slice, *path;
        } cases[] = {
                {"a-b-c.slice", "/a.slice/a-b.slice/a-b-c.slice"},
                {"system.slice", "/system.slice"},
                {"-.slice", "/"},
                {"kubepods-besteffort-pod0a1b_2c3d.slice",
                 "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0a1b_2c3d.slice"},
                {"user\\x2d1000.slice", "/user\\x2d1000.slice"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                AUTOFREE char *path = NULL;
                assert_int_equal(systemd_slice_expand(cases[i].slice, &path, NULL), 0);
                assert_string_equal(path, cases[i].path);
        }
}

static void test_systemd_invalid_slices(void **state) {
        (void) state;
        char long_slice[300];
        memset(long_slice, 'a', sizeof(long_slice));
        strcpy(long_slice + 250, ".slice");
        static const struct {
                const char *slice, *needle;
        } cases[] = {
                {"a", "must be \"<name>.slice\""},
                {".slice", "must be \"<name>.slice\""},
                {"a.service", "must be \"<name>.slice\""},
                {"a/b.slice", "must not contain \"/\""},
                {"a--b.slice", "empty part"},
                {"-a.slice", "empty part"},
                {"a-.slice", "empty part"},
                {"--.slice", "empty part"},
                {"a b.slice", "characters systemd does not accept"},
                {"pod\xc3\xa9.slice", "characters systemd does not accept"},
                {"/kubepods/pod1", "is a path but the cgroup manager is systemd"},
        };
        const struct cgroup_driver *d = cgroup_driver_find("systemd");
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]) + 1; i++) {
                const char *slice = i < sizeof(cases) / sizeof(cases[0]) ? cases[i].slice : long_slice;
                const char *needle = i < sizeof(cases) / sizeof(cases[0]) ? cases[i].needle : "longer than 255";
                struct cric_error *err = NULL;
                char *out = NULL;
                fake_expect_error(systemd_slice_expand(slice, &out, &err), &err, CRIC_E_INVALID, needle);
                fake_expect_error(d->pod_parent(slice, &out, &err), &err, CRIC_E_INVALID, needle);
                fake_expect_error(d->container_path(slice, "abc", &out, &err), &err, CRIC_E_INVALID, needle);
                fake_expect_error(d->container_cgroup(slice, "abc", &out, &err), &err, CRIC_E_INVALID, needle);
                fake_expect_error(d->create_parent(slice, &err), &err, CRIC_E_INVALID, needle);
                assert_null(out);
        }
}

static void test_systemd_driver_paths(void **state) {
        (void) state;
        const struct cgroup_driver *d = cgroup_driver_find("systemd");
        AUTOFREE char *parent = NULL, *oci = NULL, *cg = NULL, *scope = NULL;
        assert_int_equal(d->pod_parent("kubepods-burstable-pod1.slice", &parent, NULL), 0);
        assert_string_equal(parent, "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice");
        assert_int_equal(d->container_path("kubepods-burstable-pod1.slice", "abc123", &oci, NULL), 0);
        assert_string_equal(oci, "kubepods-burstable-pod1.slice:cric:abc123");
        assert_int_equal(d->container_cgroup("kubepods-burstable-pod1.slice", "abc123", &cg, NULL), 0);
        assert_string_equal(cg, "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/"
                                "cric-abc123.scope");
        assert_int_equal(systemd_scope_name("abc123", &scope, NULL), 0);
        assert_string_equal(scope, "cric-abc123.scope");
}

static void test_systemd_default_and_root_slice(void **state) {
        (void) state;
        const struct cgroup_driver *d = cgroup_driver_find("systemd");
        AUTOFREE char *parent = NULL, *oci = NULL, *cg = NULL;
        assert_int_equal(d->pod_parent("", &parent, NULL), 0);
        assert_string_equal(parent, "/system.slice");
        assert_int_equal(d->container_path(NULL, "abc", &oci, NULL), 0);
        assert_string_equal(oci, "system.slice:cric:abc");
        assert_int_equal(d->container_cgroup("-.slice", "abc", &cg, NULL), 0);
        assert_string_equal(cg, "/cric-abc.scope");
        /* the root slice exists without asking systemd */
        assert_int_equal(d->create_parent("-.slice", NULL), 0);
}

static void test_systemd_create_parent_without_systemd(void **state) {
        (void) state;
        if (access("/run/systemd/system", F_OK) == 0) {
                print_message("skipped: systemd runs here; not starting a real slice\n");
                skip();
        }
        const struct cgroup_driver *d = cgroup_driver_find("systemd");
        struct cric_error *err = NULL;
#ifdef HAVE_SYSTEMD
        fake_expect_error(
                d->create_parent("cric-test.slice", &err), &err, CRIC_E_UNAVAILABLE,
                "create slice cric-test.slice: systemd is not running: cannot use the systemd cgroup manager");
#else
        fake_expect_error(d->create_parent("cric-test.slice", &err), &err, CRIC_E_UNIMPLEMENTED,
                          "built without systemd support");
#endif
}

/* ---- paths ---- */

static void test_paths_v1(void **state) {
        (void) state;
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.hybrid", MI_HYBRID, v1_root);
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = NULL;
        assert_int_equal(cgroup_paths_new(m, CTR, &p, NULL), 0);
        AUTOFREE char *mem = xasprintf("%s/memory" CTR, v1_root);
        AUTOFREE char *cpu = xasprintf("%s/cpu,cpuacct" CTR, v1_root);
        AUTOFREE char *uni = xasprintf("%s/unified" CTR, v1_root);
        assert_string_equal(cgroup_paths_get(p, "memory"), mem);
        assert_string_equal(cgroup_paths_get(p, "cpu"), cpu);
        assert_string_equal(cgroup_paths_get(p, "cpuacct"), cpu);
        assert_string_equal(cgroup_paths_get(p, ""), uni);
        assert_null(cgroup_paths_get(p, "freezer"));
        assert_int_equal(p->n_dirs, 6);
}

static void test_paths_v2_and_root(void **state) {
        (void) state;
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.unified", MI_UNIFIED, v2_root);
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = NULL, *root = NULL;
        assert_int_equal(cgroup_paths_new(m, CTR, &p, NULL), 0);
        AUTOFREE char *dir = xasprintf("%s" CTR, v2_root);
        assert_string_equal(cgroup_paths_get(p, "memory"), dir);
        assert_string_equal(cgroup_paths_get(p, "pids"), dir);
        assert_string_equal(cgroup_paths_get(p, ""), dir);
        assert_int_equal(cgroup_paths_new(m, "/", &root, NULL), 0);
        assert_string_equal(cgroup_paths_get(root, "memory"), v2_root);
}

static void test_paths_invalid(void **state) {
        (void) state;
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.unified", MI_UNIFIED, v2_root);
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = NULL;
        struct cric_error *err = NULL;
        fake_expect_error(cgroup_paths_new(m, "kubepods", &p, &err), &err, CRIC_E_INVALID, "absolute");
        fake_expect_error(cgroup_paths_new(m, "/kubepods/../..", &p, &err), &err, CRIC_E_INVALID, "..");
        fake_expect_error(cgroup_paths_new(m, NULL, &p, &err), &err, CRIC_E_INVALID, "absolute");
        assert_null(p);
}

/* ---- /proc/<pid>/cgroup ---- */

static struct cgroup_paths *proc_paths(const struct cgroup_mounts *m, const char *content) {
        fake_put(tmp, "proc-cgroup", content);
        AUTOFREE char *path = xasprintf("%s/proc-cgroup", tmp);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct cgroup_paths *p = NULL;
        if (cgroup_paths_from_proc_file(m, path, &p, &err) < 0)
                fail_msg("%s", err->msg);
        return p;
}

static void test_proc_cgroup_v1(void **state) {
        (void) state;
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.hybrid", MI_HYBRID, v1_root);
        static const char content[] = "12:pids:" CTR "\n"
                                      "11:memory:" CTR "\n"
                                      "4:cpu,cpuacct:" CTR "\n"
                                      "3:cpuset:/\n"
                                      "2:devices:" CTR "\n"
                                      "1:name=systemd:/system.slice/x\n"
                                      "0::/system.slice/x\n";
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = proc_paths(m, content);
        AUTOFREE char *mem = xasprintf("%s/memory" CTR, v1_root);
        AUTOFREE char *cpu = xasprintf("%s/cpu,cpuacct" CTR, v1_root);
        AUTOFREE char *sd = xasprintf("%s/systemd/system.slice/x", v1_root);
        AUTOFREE char *uni = xasprintf("%s/unified/system.slice/x", v1_root);
        AUTOFREE char *cpuset = xasprintf("%s/cpuset", v1_root);
        assert_string_equal(cgroup_paths_get(p, "memory"), mem);
        assert_string_equal(cgroup_paths_get(p, "cpuacct"), cpu);
        assert_string_equal(cgroup_paths_get(p, "name=systemd"), sd);
        assert_string_equal(cgroup_paths_get(p, ""), uni);
        assert_string_equal(cgroup_paths_get(p, "cpuset"), cpuset);
        assert_null(cgroup_paths_get(p, "devices")); /* not mounted */
        assert_int_equal(p->n_dirs, 6);

        /* the same process's stats, found through its cgroup file */
        struct cgroup_stats s;
        assert_int_equal(cgroup_stats_read(p, &s, NULL), 0);
        assert_true(s.has_cpu && s.has_memory_usage && s.has_pids);
        assert_int_equal(s.memory_usage_bytes, 145580032);
}

static void test_proc_cgroup_v2(void **state) {
        (void) state;
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.unified", MI_UNIFIED, v2_root);
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = proc_paths(m, "0::" CTR "\n");
        AUTOFREE char *dir = xasprintf("%s" CTR, v2_root);
        assert_string_equal(cgroup_paths_get(p, "memory"), dir);
        assert_int_equal(p->n_dirs, 1);
        /* a v1 named hierarchy line on a v2 host, and a cgroup outside our namespace */
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *q = proc_paths(m, "1:name=systemd:/x\n0::/../../x\n");
        assert_int_equal(q->n_dirs, 0);
        assert_null(cgroup_paths_get(q, ""));
        struct cric_error *err = NULL;
        struct cgroup_stats s;
        fake_expect_error(cgroup_stats_read(q, &s, &err), &err, CRIC_E_NOT_FOUND, "cgroup not found");
}

static void test_proc_cgroup_bind_mounted_root(void **state) {
        (void) state;
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.bind", MI_BIND, v1_root);
        static const char content[] = "11:memory:/docker/abc" CTR "\n"
                                      "12:pids:/docker/abc\n"
                                      "13:pids:/docker/other\n";
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = proc_paths(m, content);
        AUTOFREE char *mem = xasprintf("%s/memory" CTR, v1_root);
        AUTOFREE char *pids = xasprintf("%s/pids", v1_root);
        assert_string_equal(cgroup_paths_get(p, "memory"), mem);
        assert_string_equal(cgroup_paths_get(p, "pids"), pids); /* repeated hierarchy: first line wins */
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *q = proc_paths(m, "11:memory:/docker/abcdef\n");
        assert_null(cgroup_paths_get(q, "memory")); /* outside the mounted subtree */
}

static void test_proc_cgroup_errors(void **state) {
        (void) state;
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.hybrid", MI_HYBRID, v1_root);
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = NULL;
        struct cric_error *err = NULL;
        static const char *const bad[] = {"nonsense\n", "x:memory:/a\n", ":memory:/a\n", "4:memory:relative\n",
                                          "0::/ok\n4:memory\n"};
        AUTOFREE char *path = xasprintf("%s/proc-bad", tmp);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                fake_put(tmp, "proc-bad", bad[i]);
                fake_expect_error(cgroup_paths_from_proc_file(m, path, &p, &err), &err, CRIC_E_INTERNAL,
                                  "malformed cgroup line");
        }
        fake_expect_error(cgroup_pid_paths(0x7ffffff0, m, &p, &err), &err, CRIC_E_NOT_FOUND, "process 2147483632");
        assert_null(p);
}

/* ---- removal ---- */

static struct cgroup_mounts *rm_tree(const char *name, char **ret_root) {
        AUTOFREE char *root = xasprintf("%s/%s", tmp, name);
        static const char *const hiers[] = {"cpu,cpuacct", "memory", "pids", "cpuset", "systemd", "unified"};
        for (size_t i = 0; i < sizeof(hiers) / sizeof(hiers[0]); i++) {
                AUTOFREE char *rel = xasprintf("%s/kubepods/pod9/cric-x/sub/leaf", hiers[i]);
                mkdirs(root, rel);
                AUTOFREE char *sibling = xasprintf("%s/kubepods/pod9/cric-y", hiers[i]);
                mkdirs(root, sibling);
        }
        AUTOFREE char *mi = xasprintf("mi.%s", name);
        struct cgroup_mounts *m = load(mi, MI_HYBRID, root);
        *ret_root = STEAL_PTR(root);
        return m;
}

static void test_remove_every_hierarchy(void **state) {
        (void) state;
        AUTOFREE char *root = NULL;
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = rm_tree("rm1", &root);
        const struct cgroup_driver *d = cgroup_driver_find("cgroupfs");
        assert_int_equal(d->remove(m, "/kubepods/pod9/cric-x", NULL), 0);
        assert_false(exists(root, "memory/kubepods/pod9/cric-x"));
        assert_false(exists(root, "cpu,cpuacct/kubepods/pod9/cric-x"));
        assert_false(exists(root, "systemd/kubepods/pod9/cric-x"));
        assert_false(exists(root, "unified/kubepods/pod9/cric-x"));
        assert_true(exists(root, "memory/kubepods/pod9/cric-y"));
        assert_true(exists(root, "memory/kubepods/pod9"));
        /* gone already: fine */
        assert_int_equal(d->remove(m, "/kubepods/pod9/cric-x", NULL), 0);
        assert_int_equal(cgroup_driver_find("systemd")->remove(m, "/kubepods/never/was.scope", NULL), 0);
}

static void test_remove_refuses_root_and_bad_paths(void **state) {
        (void) state;
        AUTOFREE char *root = NULL;
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = rm_tree("rm2", &root);
        struct cric_error *err = NULL;
        fake_expect_error(cgroup_remove_all(m, "/", 0, &err), &err, CRIC_E_INVALID, "root cgroup");
        fake_expect_error(cgroup_remove_all(m, "kubepods", 0, &err), &err, CRIC_E_INVALID, "absolute");
        fake_expect_error(cgroup_remove_all(m, "/kubepods/../kubepods", 0, &err), &err, CRIC_E_INVALID, "..");
        assert_true(exists(root, "memory/kubepods/pod9/cric-x/sub/leaf"));
}

static void test_remove_reports_failure_but_tries_all(void **state) {
        (void) state;
        AUTOFREE char *root = NULL;
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = rm_tree("rm3", &root);
        /* a regular file makes rmdir fail with ENOTEMPTY (a real cgroup never does) */
        fake_put(root, "memory/kubepods/pod9/cric-x/sub/stray", "x");
        struct cric_error *err = NULL;
        fake_expect_error(cgroup_remove_all(m, "/kubepods/pod9/cric-x", 100, &err), &err, CRIC_E_INTERNAL,
                          "remove cgroup");
        assert_true(exists(root, "memory/kubepods/pod9/cric-x/sub"));
        assert_false(exists(root, "memory/kubepods/pod9/cric-x/sub/leaf"));
        assert_false(exists(root, "pids/kubepods/pod9/cric-x"));
        assert_false(exists(root, "unified/kubepods/pod9/cric-x"));
}

/* ---- stats ---- */

static void read_stats(const struct cgroup_mounts *m, const char *cgroup, struct cgroup_stats *s) {
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(cgroup_paths_new(m, cgroup, &p, NULL), 0);
        if (cgroup_stats_read(p, s, &err) < 0)
                fail_msg("stats of %s: %s", cgroup, err->msg);
}

static void test_stats_v1(void **state) {
        (void) state;
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.hybrid", MI_HYBRID, v1_root);
        struct cgroup_stats s;
        read_stats(m, CTR, &s);
        assert_true(s.has_cpu);
        assert_int_equal(s.cpu_usage_core_ns, 5128611732905ull);
        assert_true(s.has_memory_usage);
        assert_int_equal(s.memory_usage_bytes, 145580032);
        assert_true(s.has_working_set);
        assert_int_equal(s.memory_working_set_bytes, 145580032 - 27906048);
        assert_true(s.has_rss);
        assert_int_equal(s.memory_rss_bytes, 1712128);
        assert_true(s.has_page_faults);
        assert_int_equal(s.page_faults, 232606);
        assert_int_equal(s.major_page_faults, 93);
        assert_true(s.has_memory_limit);
        assert_int_equal(s.memory_limit_bytes, 536870912);
        assert_true(s.has_available);
        assert_int_equal(s.memory_available_bytes, 536870912 - (145580032 - 27906048));
        assert_true(s.has_oom_kills);
        assert_int_equal(s.oom_kills, 2);
        assert_true(s.has_pids);
        assert_int_equal(s.pids_current, 7);
        /* cpuacct.stat counts USER_HZ ticks */
        uint64_t tick_ns = 1000000000u / (uint64_t) sysconf(_SC_CLK_TCK);
        assert_true(s.has_cpu_split);
        assert_int_equal(s.cpu_user_ns, 36509 * tick_ns);
        assert_int_equal(s.cpu_system_ns, 3764 * tick_ns);
        assert_true(s.has_cfs);
        assert_int_equal(s.cfs_periods, 120);
        assert_int_equal(s.cfs_throttled_periods, 15);
        assert_int_equal(s.cfs_throttled_ns, 2500000000ull);
        assert_true(s.has_cache);
        assert_int_equal(s.memory_cache_bytes, 140001280); /* total_cache, not cache */
        assert_true(s.has_max_usage);
        assert_int_equal(s.memory_max_usage_bytes, 201326592);
        assert_false(s.has_tasks); /* no cgroup.procs in the fixture */
        assert_false(s.has_fds);
        assert_true(s.has_cpu_shares);
        assert_int_equal(s.cpu_shares, 512);
        assert_true(s.has_cpu_period);
        assert_int_equal(s.cpu_period_us, 100000);
        assert_false(s.has_cpu_quota); /* -1 */
}

static void test_stats_v1_unlimited(void **state) {
        (void) state;
        fake_put(v1_root, "memory/unl/memory.usage_in_bytes", "4096\n");
        fake_put(v1_root, "memory/unl/memory.limit_in_bytes", "9223372036854771712\n");
        fake_put(v1_root, "memory/unl/memory.stat", V1_MEMORY_STAT);
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.hybrid", MI_HYBRID, v1_root);
        struct cgroup_stats s;
        read_stats(m, "/unl", &s);
        assert_true(s.has_memory_usage);
        assert_false(s.has_memory_limit);
        assert_false(s.has_available);
        /* inactive_file above usage: the working set stops at zero */
        assert_true(s.has_working_set);
        assert_int_equal(s.memory_working_set_bytes, 0);
        /* 64 KiB pages round LONG_MAX differently; still no limit */
        fake_put(v1_root, "memory/unl/memory.limit_in_bytes", "9223372036854710272\n");
        read_stats(m, "/unl", &s);
        assert_false(s.has_memory_limit);
}

static void test_stats_v1_missing_files(void **state) {
        (void) state;
        /* only memory.usage_in_bytes; no cpuacct or pids directory at all */
        fake_put(v1_root, "memory/sparse/memory.usage_in_bytes", "1000\n");
        fake_put(v1_root, "memory/sparse/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n"); /* pre-4.13 */
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.hybrid", MI_HYBRID, v1_root);
        struct cgroup_stats s;
        read_stats(m, "/sparse", &s);
        assert_false(s.has_cpu);
        assert_true(s.has_memory_usage);
        assert_true(s.has_working_set);
        assert_int_equal(s.memory_working_set_bytes, 1000); /* no memory.stat: nothing to subtract */
        assert_false(s.has_rss);
        assert_false(s.has_page_faults);
        assert_false(s.has_memory_limit);
        assert_false(s.has_available);
        assert_false(s.has_oom_kills);
        assert_false(s.has_pids);
        assert_true(s.timestamp_ns > 0);
}

static void test_stats_v1_missing_cgroup(void **state) {
        (void) state;
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.hybrid", MI_HYBRID, v1_root);
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = NULL;
        assert_int_equal(cgroup_paths_new(m, "/kubepods/gone", &p, NULL), 0);
        struct cgroup_stats s = {.pids_current = 42};
        struct cric_error *err = NULL;
        fake_expect_error(cgroup_stats_read(p, &s, &err), &err, CRIC_E_NOT_FOUND, "/kubepods/gone");
        assert_int_equal(s.pids_current, 42); /* untouched on failure */
}

static void test_stats_v2(void **state) {
        (void) state;
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.unified", MI_UNIFIED, v2_root);
        struct cgroup_stats s;
        read_stats(m, CTR, &s);
        assert_true(s.has_cpu);
        assert_int_equal(s.cpu_usage_core_ns, 1785247000ull);
        assert_int_equal(s.memory_usage_bytes, 19640320);
        assert_int_equal(s.memory_working_set_bytes, 19640320 - 9375744);
        assert_true(s.has_rss);
        assert_int_equal(s.memory_rss_bytes, 4308992); /* anon, not anon_thp */
        assert_int_equal(s.page_faults, 5385);
        assert_int_equal(s.major_page_faults, 127);
        assert_true(s.has_memory_limit);
        assert_int_equal(s.memory_limit_bytes, 268435456);
        assert_int_equal(s.memory_available_bytes, 268435456 - (19640320 - 9375744));
        assert_true(s.has_oom_kills);
        assert_int_equal(s.oom_kills, 1); /* oom_kill, not oom or oom_group_kill */
        assert_true(s.has_pids);
        assert_int_equal(s.pids_current, 4);
        assert_true(s.has_cpu_split);
        assert_int_equal(s.cpu_user_ns, 1126532000ull);
        assert_int_equal(s.cpu_system_ns, 658715000ull);
        assert_true(s.has_cfs);
        assert_int_equal(s.cfs_periods, 300);
        assert_int_equal(s.cfs_throttled_periods, 12);
        assert_int_equal(s.cfs_throttled_ns, 4500000000ull);
        assert_true(s.has_cache);
        assert_int_equal(s.memory_cache_bytes, 13684736); /* file */
        assert_true(s.has_max_usage);
        assert_int_equal(s.memory_max_usage_bytes, 25165824);
        assert_true(s.has_cpu_shares);
        assert_int_equal(s.cpu_shares, cgroup_weight_to_shares(39));
        assert_true(s.has_cpu_period && s.has_cpu_quota);
        assert_int_equal(s.cpu_period_us, 100000);
        assert_int_equal(s.cpu_quota_us, 50000);
}

static void test_cpu_spec_quota_and_weight(void **state) {
        (void) state;
        /* cAdvisor's conversion, the inverse of the OCI runtimes' within rounding */
        assert_int_equal(cgroup_weight_to_shares(1), 2);
        assert_int_equal(cgroup_weight_to_shares(100), 2597);
        assert_int_equal(cgroup_weight_to_shares(10000), 262144);
        assert_int_equal(cgroup_weight_to_shares(0), 0);
        assert_int_equal(cgroup_weight_to_shares(cgroup_shares_to_weight(1024)), 998); /* 39 */
        fake_put(v1_root, "cpu,cpuacct/q/cpu.cfs_period_us", "50000\n");
        fake_put(v1_root, "cpu,cpuacct/q/cpu.cfs_quota_us", "25000\n");
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m1 = load("mi.hybrid", MI_HYBRID, v1_root);
        struct cgroup_stats s;
        read_stats(m1, "/q", &s);
        assert_false(s.has_cpu_shares);
        assert_true(s.has_cpu_period && s.has_cpu_quota);
        assert_int_equal(s.cpu_quota_us, 25000);
        fake_put(v2_root, "q/cpu.max", "max 100000\n");
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m2 = load("mi.unified", MI_UNIFIED, v2_root);
        read_stats(m2, "/q", &s);
        assert_true(s.has_cpu_period);
        assert_false(s.has_cpu_quota);
        fake_put(v2_root, "q/cpu.max", "100000\n");
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = NULL;
        assert_int_equal(cgroup_paths_new(m2, "/q", &p, NULL), 0);
        struct cric_error *err = NULL;
        fake_expect_error(cgroup_stats_read(p, &s, &err), &err, CRIC_E_INTERNAL, "cpu.max");
}

/* Entries of /proc/self/fd, counted the way the reader counts them (its own directory
 * stream included). */
static uint64_t own_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        assert_non_null(d);
        uint64_t n = 0;
        for (struct dirent *e; (e = readdir(d));)
                n += e->d_name[0] != '.';
        closedir(d);
        return n;
}

/* A cgroup holding this process, and a child cgroup holding two pids that cannot exist
 * (pid_max is at most 2^22), so they count as processes without open files. */
static void put_tasks(const char *root, const char *dir, const char *threads_file) {
        AUTOFREE char *me = xasprintf("%d\n", (int) getpid());
        AUTOFREE char *procs = xasprintf("%s/cgroup.procs", dir);
        AUTOFREE char *threads = xasprintf("%s/%s", dir, threads_file);
        AUTOFREE char *child_procs = xasprintf("%s/child/cgroup.procs", dir);
        AUTOFREE char *child_threads = xasprintf("%s/child/%s", dir, threads_file);
        fake_put(root, procs, me);
        fake_put(root, threads, me);
        fake_put(root, child_procs, "4194304\n4194305\n");
        fake_put(root, child_threads, "4194304\n4194305\n4194306\n");
}

/* What put_tasks wrote, read from cgroup of m. */
static void expect_put_tasks(const struct cgroup_mounts *m, const char *cgroup) {
        struct cgroup_stats s;
        read_stats(m, cgroup, &s);
        assert_true(s.has_tasks);
        assert_int_equal(s.processes, 3);
        assert_int_equal(s.threads, 4);
        assert_true(s.has_fds);
        assert_int_equal(s.file_descriptors, own_fds());
}

static void test_stats_v1_tasks(void **state) {
        (void) state;
        put_tasks(v1_root, "pids/tk", "tasks");
        fake_put(v1_root, "pids/tk/pids.current", "4\n");
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.hybrid", MI_HYBRID, v1_root);
        expect_put_tasks(m, "/tk");
        /* the memory hierarchy counts when pids has no such cgroup */
        put_tasks(v1_root, "memory/tm", "tasks");
        expect_put_tasks(m, "/tm");
}

static void test_stats_v2_tasks(void **state) {
        (void) state;
        put_tasks(v2_root, "tk", "cgroup.threads");
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.unified", MI_UNIFIED, v2_root);
        expect_put_tasks(m, "/tk");
        struct cgroup_stats s;
        /* nothing claimed where the fixture has no cgroup.procs */
        read_stats(m, CTR, &s);
        assert_false(s.has_tasks);
        assert_false(s.has_fds);
        /* an unreadable threads file: the counts are left out, the rest of the sample stays */
        fake_put(v2_root, "bad/cgroup.procs", "1\n");
        fake_put(v2_root, "bad/cgroup.threads/not-a-file", "");
        fake_put(v2_root, "bad/memory.current", "4096\n");
        read_stats(m, "/bad", &s);
        assert_false(s.has_tasks);
        assert_false(s.has_fds);
        assert_true(s.has_memory_usage);
        assert_int_equal(s.memory_usage_bytes, 4096);
}

/* ---- swap and pressure ---- */

/* Linux 6.1's cpu.pressure of a busy cgroup (totals in microseconds). */
static const char V2_CPU_PRESSURE[] = "some avg10=1.50 avg60=0.75 avg300=0.25 total=123456\n"
                                      "full avg10=0.50 avg60=0.10 avg300=0.00 total=6789\n";

static void test_stats_v1_swap(void **state) {
        (void) state;
        fake_put(v1_root, "memory/sw/memory.usage_in_bytes", "10485760\n");
        fake_put(v1_root, "memory/sw/memory.limit_in_bytes", "67108864\n");
        fake_put(v1_root, "memory/sw/memory.memsw.usage_in_bytes", "12582912\n");
        fake_put(v1_root, "memory/sw/memory.memsw.limit_in_bytes", "100663296\n");
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.hybrid", MI_HYBRID, v1_root);
        struct cgroup_stats s;
        read_stats(m, "/sw", &s);
        assert_true(s.has_swap);
        assert_int_equal(s.swap_usage_bytes, 12582912 - 10485760);
        assert_true(s.has_swap_available); /* (96 - 64) MiB of swap allowed, 2 MiB used */
        assert_int_equal(s.swap_available_bytes, (100663296 - 67108864) - (12582912 - 10485760));
        /* no memsw limit: usage only */
        fake_put(v1_root, "memory/sw/memory.memsw.limit_in_bytes", "9223372036854771712\n");
        read_stats(m, "/sw", &s);
        assert_true(s.has_swap);
        assert_false(s.has_swap_available);
        /* no v1 pressure files */
        assert_false(s.psi_cpu.has_some || s.psi_memory.has_some || s.psi_io.has_some);
        /* swap accounting off (no memsw files): no swap at all */
        read_stats(m, CTR, &s);
        assert_false(s.has_swap);
}

static void test_stats_v2_swap_and_psi(void **state) {
        (void) state;
        fake_put(v2_root, "psi/memory.current", "8388608\n");
        fake_put(v2_root, "psi/memory.swap.current", "1048576\n");
        fake_put(v2_root, "psi/memory.swap.max", "4194304\n");
        fake_put(v2_root, "psi/cpu.pressure", V2_CPU_PRESSURE);
        fake_put(v2_root, "psi/memory.pressure",
                 "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
                 "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
        fake_put(v2_root, "psi/io.pressure",
                 "some avg10=12.34 avg60=5.00 avg300=1.00 total=999\n"
                 "full avg10=10.00 avg60=4.00 avg300=0.50 total=888\n");
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.unified", MI_UNIFIED, v2_root);
        struct cgroup_stats s;
        read_stats(m, "/psi", &s);
        assert_true(s.has_swap);
        assert_int_equal(s.swap_usage_bytes, 1048576);
        assert_true(s.has_swap_available);
        assert_int_equal(s.swap_available_bytes, 4194304 - 1048576);
        assert_true(s.psi_cpu.has_some && s.psi_cpu.has_full);
        assert_int_equal(s.psi_cpu.some.total_ns, 123456000ull);
        assert_true(s.psi_cpu.some.avg10 == 1.50 && s.psi_cpu.some.avg60 == 0.75 && s.psi_cpu.some.avg300 == 0.25);
        assert_int_equal(s.psi_cpu.full.total_ns, 6789000ull);
        assert_true(s.psi_memory.has_some && s.psi_memory.has_full);
        assert_int_equal(s.psi_memory.some.total_ns, 0);
        assert_int_equal(s.psi_io.some.total_ns, 999000ull);
        assert_true(s.psi_io.some.avg10 == 12.34);
        assert_int_equal(s.psi_io.full.total_ns, 888000ull);

        /* swap.max "max": usage without available; cpu.pressure of Linux < 5.13 has no full */
        fake_put(v2_root, "psi/memory.swap.max", "max\n");
        fake_put(v2_root, "psi/cpu.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n");
        read_stats(m, "/psi", &s);
        assert_true(s.has_swap);
        assert_false(s.has_swap_available);
        assert_true(s.psi_cpu.has_some);
        assert_false(s.psi_cpu.has_full);
        /* the fixture container has no swap or pressure files: nothing claimed */
        read_stats(m, CTR, &s);
        assert_false(s.has_swap);
        assert_false(s.psi_cpu.has_some || s.psi_memory.has_some || s.psi_io.has_some);
}

static void test_psi_parse(void **state) {
        (void) state;
        struct cgroup_psi p;
        assert_int_equal(stats_psi_parse(V2_CPU_PRESSURE, &p), 0);
        assert_true(p.has_some && p.has_full);
        assert_int_equal(stats_psi_parse("", &p), 0);
        assert_false(p.has_some || p.has_full);
        assert_int_equal(stats_psi_parse("some avg10=x avg60=0 avg300=0 total=1\n", &p), -1);
        assert_int_equal(stats_psi_parse("some avg10=0 avg60=0 avg300=0\n", &p), -1);
        assert_int_equal(stats_psi_parse("some avg10=0 avg60=0 avg300=0 total=1 extra\n", &p), -1);
        assert_int_equal(stats_psi_parse("half avg10=0 avg60=0 avg300=0 total=1\n", &p), -1);
        /* a malformed file is an error of the read, naming it */
        fake_put(v2_root, "badpsi/memory.current", "1\n");
        fake_put(v2_root, "badpsi/io.pressure", "some nonsense\n");
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.unified", MI_UNIFIED, v2_root);
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *cp = NULL;
        assert_int_equal(cgroup_paths_new(m, "/badpsi", &cp, NULL), 0);
        struct cgroup_stats s;
        struct cric_error *err = NULL;
        fake_expect_error(cgroup_stats_read(cp, &s, &err), &err, CRIC_E_INTERNAL, "io.pressure: malformed");
}

static void test_stats_v2_max_and_missing(void **state) {
        (void) state;
        fake_put(v2_root, "nolimit/memory.current", "8192\n");
        fake_put(v2_root, "nolimit/memory.max", "max\n");
        fake_put(v2_root, "nolimit/cpu.stat", "user_usec 1\nsystem_usec 2\n"); /* no usage_usec */
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.unified", MI_UNIFIED, v2_root);
        struct cgroup_stats s;
        read_stats(m, "/nolimit", &s);
        assert_false(s.has_cpu);
        assert_true(s.has_memory_usage);
        assert_int_equal(s.memory_working_set_bytes, 8192);
        assert_false(s.has_memory_limit);
        assert_false(s.has_available);
        assert_false(s.has_rss);
        assert_false(s.has_page_faults);
        assert_false(s.has_oom_kills);
        assert_false(s.has_pids);
}

static void test_stats_v2_limit_below_working_set(void **state) {
        (void) state;
        /* after a lowered limit, usage can exceed it for a while: available stops at zero */
        fake_put(v2_root, "tight/memory.current", "20000\n");
        fake_put(v2_root, "tight/memory.max", "16384\n");
        fake_put(v2_root, "tight/memory.stat", "anon 20000\ninactive_file 0\npgfault 1\npgmajfault 0\n");
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.unified", MI_UNIFIED, v2_root);
        struct cgroup_stats s;
        read_stats(m, "/tight", &s);
        assert_int_equal(s.memory_working_set_bytes, 20000);
        assert_true(s.has_available);
        assert_int_equal(s.memory_available_bytes, 0);
}

static void test_stats_v2_missing_cgroup(void **state) {
        (void) state;
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.unified", MI_UNIFIED, v2_root);
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = NULL;
        assert_int_equal(cgroup_paths_new(m, "/kubepods/gone", &p, NULL), 0);
        struct cgroup_stats s;
        struct cric_error *err = NULL;
        fake_expect_error(cgroup_stats_read(p, &s, &err), &err, CRIC_E_NOT_FOUND, "cgroup not found");
}

static void test_stats_malformed_values(void **state) {
        (void) state;
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.unified", MI_UNIFIED, v2_root);
        static const struct {
                const char *file, *content, *needle;
        } cases[] = {
                {"memory.current", "12k\n", "memory.current: malformed value \"12k"},
                {"memory.current", "-1\n", "malformed value"},
                {"memory.current", "\n", "malformed value"},
                {"memory.current", "99999999999999999999999\n", "malformed value"},
                {"cpu.stat", "usage_usec lots\n", "cpu.stat: malformed value of usage_usec"},
                {"memory.stat", "inactive_file 12 34\n", "memory.stat: malformed value of inactive_file"},
                {"memory.events", "oom_kill x\n", "memory.events: malformed value of oom_kill"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                AUTOFREE char *dir = xasprintf("bad%zu", i);
                AUTOFREE char *rel = xasprintf("%s/%s", dir, cases[i].file);
                fake_put(v2_root, rel, cases[i].content);
                AUTOFREE char *cg = xasprintf("/%s", dir);
                CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = NULL;
                assert_int_equal(cgroup_paths_new(m, cg, &p, NULL), 0);
                struct cgroup_stats s;
                struct cric_error *err = NULL;
                fake_expect_error(cgroup_stats_read(p, &s, &err), &err, CRIC_E_INTERNAL, cases[i].needle);
        }
}

static void test_keyed_parsing(void **state) {
        (void) state;
        uint64_t v = 0;
        assert_int_equal(stats_keyed_u64("anon_thp 5\nanon 7\n", "anon", &v), 1);
        assert_int_equal(v, 7);
        assert_int_equal(stats_keyed_u64("total_rss_huge 1\ntotal_rss 9", "total_rss", &v), 1);
        assert_int_equal(v, 9);
        assert_int_equal(stats_keyed_u64("file 1\n", "fil", &v), 0);
        assert_int_equal(stats_keyed_u64("", "anon", &v), 0);
        assert_int_equal(stats_keyed_u64("anon\n", "anon", &v), 0);
        assert_int_equal(stats_keyed_u64("anon -3\n", "anon", &v), -1);
        assert_int_equal(stats_parse_u64("max\n", &v), 0);
        assert_true(v == UINT64_MAX);
        assert_int_equal(stats_parse_u64("18446744073709551615\n", &v), 0);
        assert_true(v == UINT64_MAX);
        assert_int_equal(stats_parse_u64("maximum", &v), -1);
        assert_int_equal(stats_parse_u64(" 1", &v), -1);
}

/* ---- nano cores ---- */

static void test_nano_cores(void **state) {
        (void) state;
        struct cgroup_stats a = {.has_cpu = true, .cpu_usage_core_ns = 1000000000, .monotonic_ns = 5000000000};
        struct cgroup_stats b = {.has_cpu = true, .cpu_usage_core_ns = 1500000000, .monotonic_ns = 6000000000};
        uint64_t nc = 0;
        assert_true(cgroup_cpu_nano_cores(&a, &b, &nc));
        assert_int_equal(nc, 500000000); /* half a core */
        /* 4 cores busy for 10 minutes: the delta times 1e9 needs more than 64 bits */
        struct cgroup_stats c = {.has_cpu = true,
                                 .cpu_usage_core_ns = a.cpu_usage_core_ns + 2400ull * 1000000000,
                                 .monotonic_ns = a.monotonic_ns + 600ull * 1000000000};
        assert_true(cgroup_cpu_nano_cores(&a, &c, &nc));
        assert_int_equal(nc, 4000000000ull);
}

static void test_nano_cores_cannot_compute(void **state) {
        (void) state;
        struct cgroup_stats a = {.has_cpu = true, .cpu_usage_core_ns = 1000, .monotonic_ns = 5000};
        struct cgroup_stats same_time = {.has_cpu = true, .cpu_usage_core_ns = 2000, .monotonic_ns = 5000};
        struct cgroup_stats reset = {.has_cpu = true, .cpu_usage_core_ns = 10, .monotonic_ns = 9000};
        struct cgroup_stats no_cpu = {.monotonic_ns = 9000};
        uint64_t nc = 77;
        assert_false(cgroup_cpu_nano_cores(NULL, &a, &nc));
        assert_false(cgroup_cpu_nano_cores(&a, &same_time, &nc));
        assert_false(cgroup_cpu_nano_cores(&a, &reset, &nc));
        assert_false(cgroup_cpu_nano_cores(&a, &no_cpu, &nc));
        assert_false(cgroup_cpu_nano_cores(&no_cpu, &a, &nc));
        assert_int_equal(nc, 77);
}

/* ---- this host ---- */

static void test_live_own_cgroup_stats(void **state) {
        (void) state;
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = NULL;
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct cgroup_stats a = {0}, b = {0};
        if (cgroup_mounts_load(NULL, NULL, &m, &err) < 0 || cgroup_pid_paths(getpid(), m, &p, &err) < 0 ||
            cgroup_stats_read(p, &a, &err) < 0) {
                print_message("skipped: cannot read this process's cgroup: %s\n", err->msg);
                skip();
        }
        print_message("# %s: cpu %s %llu ns, memory %s %llu bytes, working set %llu, pids %s %llu\n",
                      cgroup_mode_to_string(cgroup_mounts_mode(m)), a.has_cpu ? "yes" : "no",
                      (unsigned long long) a.cpu_usage_core_ns, a.has_memory_usage ? "yes" : "no",
                      (unsigned long long) a.memory_usage_bytes, (unsigned long long) a.memory_working_set_bytes,
                      a.has_pids ? "yes" : "no", (unsigned long long) a.pids_current);
        assert_true(a.has_cpu || a.has_memory_usage || a.has_pids);
        if (a.has_working_set)
                assert_true(a.memory_working_set_bytes <= a.memory_usage_bytes);
        /* a second sample of a live cgroup gives a rate (the counter never goes back) */
        assert_int_equal(cgroup_stats_read(p, &b, NULL), 0);
        assert_true(b.monotonic_ns > a.monotonic_ns);
        assert_true(b.timestamp_ns >= a.timestamp_ns);
        uint64_t nc;
        if (a.has_cpu)
                assert_true(cgroup_cpu_nano_cores(&a, &b, &nc));
}

/* ---- prewarm ---- */

/* Waits up to 5 s for p to have done at least n moves; returns the count. */
static unsigned long wait_moves(struct cgroup_prewarm *p, unsigned long n) {
        WAIT_UNTIL(cgroup_prewarm_count(p) >= n, 5000);
        return cgroup_prewarm_count(p);
}

static void test_prewarm_fake_tree(void **state) {
        (void) state;
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = load("mi.prewarm", MI_HYBRID, v1_root);
        fake_put(v1_root, "pids/cgroup.procs", "");
        struct cgroup_prewarm *p = cgroup_prewarm_new(m);
        assert_non_null(p);
        assert_int_equal(cgroup_prewarm_count(p), 0);
        cgroup_prewarm_kick(p);
        assert_int_equal(wait_moves(p, 1), 1);
        /* the forked child wrote "0" (itself) into the pids root, the first choice */
        AUTOFREE char *procs = xasprintf("%s/pids/cgroup.procs", v1_root);
        AUTOFREE char *got = NULL;
        assert_int_equal(fs_read_file(procs, 64, &got, NULL, NULL), 0);
        assert_string_equal(got, "0");
        /* kicks while one runs merge into the next move: never more moves than kicks */
        for (int i = 0; i < 5; i++)
                cgroup_prewarm_kick(p);
        unsigned long n = wait_moves(p, 2);
        assert_true(n >= 2 && n <= 6);
        cgroup_prewarm_free(p);
}

static void test_prewarm_without_hierarchy(void **state) {
        (void) state;
        /* only name=systemd: nothing to move into */
        CLEANUP(cgroup_mounts_freep)
        struct cgroup_mounts *m =
                load("mi.sdonly",
                     "31 22 0:28 / @R rw,nosuid,nodev,noexec shared:9 - tmpfs tmpfs rw,mode=755\n"
                     "33 31 0:30 / @R/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup "
                     "rw,xattr,name=systemd\n",
                     v1_root);
        assert_null(cgroup_prewarm_new(m));
        assert_null(cgroup_prewarm_new(NULL));
        cgroup_prewarm_kick(NULL);
        assert_int_equal(cgroup_prewarm_count(NULL), 0);
        cgroup_prewarm_free(NULL);
}

/* On this host (root): a real move of a throwaway child; our own cgroups stay. */
static void test_prewarm_live(void **state) {
        (void) state;
        CLEANUP(cgroup_mounts_freep) struct cgroup_mounts *m = NULL;
        REQUIRE_ROOT("to move a process between cgroups");
        if (cgroup_mounts_load(NULL, NULL, &m, NULL) < 0) {
                print_message("skipped: no cgroup file system\n");
                skip();
        }
        AUTOFREE char *before = testlib_read_file("/proc/self/cgroup");
        struct cgroup_prewarm *p = cgroup_prewarm_new(m);
        assert_non_null(p);
        cgroup_prewarm_kick(p);
        assert_int_equal(wait_moves(p, 1), 1);
        cgroup_prewarm_free(p);
        AUTOFREE char *after = testlib_read_file("/proc/self/cgroup");
        assert_string_equal(before, after);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_detect_fake_v1_and_v2),
                cmocka_unit_test(test_detect_missing_or_plain_dir),
                cmocka_unit_test(test_detect_host_matches_mountinfo),
                cmocka_unit_test(test_mounts_hybrid),
                cmocka_unit_test(test_mounts_legacy),
                cmocka_unit_test(test_mounts_unified),
                cmocka_unit_test(test_mounts_trailing_slash_root),
                cmocka_unit_test(test_mounts_none_is_unavailable),
                cmocka_unit_test(test_mounts_missing_or_malformed_file),
                cmocka_unit_test(test_mountinfo_escapes_and_optional_fields),
                cmocka_unit_test(test_driver_find),
                cmocka_unit_test(test_cgroupfs_paths),
                cmocka_unit_test(test_cgroupfs_default_parent),
                cmocka_unit_test(test_cgroupfs_invalid_parents),
                cmocka_unit_test(test_invalid_container_ids),
                cmocka_unit_test(test_systemd_slice_expand),
                cmocka_unit_test(test_systemd_invalid_slices),
                cmocka_unit_test(test_systemd_driver_paths),
                cmocka_unit_test(test_systemd_default_and_root_slice),
                cmocka_unit_test(test_systemd_create_parent_without_systemd),
                cmocka_unit_test(test_paths_v1),
                cmocka_unit_test(test_paths_v2_and_root),
                cmocka_unit_test(test_paths_invalid),
                cmocka_unit_test(test_proc_cgroup_v1),
                cmocka_unit_test(test_proc_cgroup_v2),
                cmocka_unit_test(test_proc_cgroup_bind_mounted_root),
                cmocka_unit_test(test_proc_cgroup_errors),
                cmocka_unit_test(test_remove_every_hierarchy),
                cmocka_unit_test(test_remove_refuses_root_and_bad_paths),
                cmocka_unit_test(test_remove_reports_failure_but_tries_all),
                cmocka_unit_test(test_stats_v1),
                cmocka_unit_test(test_stats_v1_unlimited),
                cmocka_unit_test(test_stats_v1_missing_files),
                cmocka_unit_test(test_stats_v1_missing_cgroup),
                cmocka_unit_test(test_stats_v2),
                cmocka_unit_test(test_stats_v1_tasks),
                cmocka_unit_test(test_stats_v2_tasks),
                cmocka_unit_test(test_cpu_spec_quota_and_weight),
                cmocka_unit_test(test_stats_v1_swap),
                cmocka_unit_test(test_stats_v2_swap_and_psi),
                cmocka_unit_test(test_psi_parse),
                cmocka_unit_test(test_stats_v2_max_and_missing),
                cmocka_unit_test(test_stats_v2_limit_below_working_set),
                cmocka_unit_test(test_stats_v2_missing_cgroup),
                cmocka_unit_test(test_stats_malformed_values),
                cmocka_unit_test(test_keyed_parsing),
                cmocka_unit_test(test_nano_cores),
                cmocka_unit_test(test_nano_cores_cannot_compute),
                cmocka_unit_test(test_live_own_cgroup_stats),
                cmocka_unit_test(test_prewarm_fake_tree),
                cmocka_unit_test(test_prewarm_without_hierarchy),
                cmocka_unit_test(test_prewarm_live),
        };
        return cmocka_run_group_tests_name("cgroup", tests, group_setup, group_teardown);
}
