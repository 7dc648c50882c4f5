/* OCI spec: mounts (defaults, /dev/shm, pod files, CRI binds and propagation), masked
 * and readonly paths, namespaces, devices, and the infra spec's shape. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "spec_test.h"

static bool has_opt(struct json_object *m, const char *opt) {
        return jhas(m, "options", opt);
}

static void test_mounts_defaults(void **state) {
        struct t *t = *state;
        struct json_object *spec = t_gen(t);
        struct json_object *proc = t_mount(spec, "/proc"), *sys = t_mount(spec, "/sys");
        struct json_object *cg = t_mount(spec, "/sys/fs/cgroup"), *pts = t_mount(spec, "/dev/pts");
        assert_non_null(proc);
        assert_string_equal(jstr(proc, "type"), "proc");
        assert_true(has_opt(proc, "nosuid") && has_opt(proc, "noexec") && has_opt(proc, "nodev"));
        assert_string_equal(jstr(t_mount(spec, "/dev"), "type"), "tmpfs");
        assert_true(has_opt(pts, "newinstance") && has_opt(pts, "gid=5"));
        assert_string_equal(jstr(t_mount(spec, "/dev/mqueue"), "type"), "mqueue");
        assert_true(has_opt(sys, "ro"));
        assert_string_equal(jstr(cg, "type"), "cgroup");
        assert_true(has_opt(cg, "ro"));
        assert_true(t_mount_index(spec, "/dev") < t_mount_index(spec, "/dev/pts"));
        assert_true(t_mount_index(spec, "/sys") < t_mount_index(spec, "/sys/fs/cgroup"));
}

static void test_mounts_privileged(void **state) {
        struct t *t = *state;
        t->sb.security.is_privileged = true;
        t->in.security.is_privileged = true;
        struct json_object *spec = t_gen(t);
        assert_true(has_opt(t_mount(spec, "/sys"), "rw"));
        assert_false(has_opt(t_mount(spec, "/sys"), "ro"));
        assert_true(has_opt(t_mount(spec, "/sys/fs/cgroup"), "rw"));
        assert_null(jp(spec, "linux/maskedPaths"));
        assert_null(jp(spec, "linux/readonlyPaths"));
}

static void test_mounts_shm(void **state) {
        struct t *t = *state;
        struct json_object *shm = t_mount(t_gen(t), "/dev/shm");
        assert_string_equal(jstr(shm, "type"), "tmpfs");
        assert_true(has_opt(shm, "size=67108864") && has_opt(shm, "mode=1777"));
        t->sb.shm_size_bytes = 1 << 20;
        assert_true(has_opt(t_mount(t_gen(t), "/dev/shm"), "size=1048576"));
        t->sb.shm_path = "/run/cric/sb1/shm";
        shm = t_mount(t_gen(t), "/dev/shm");
        assert_string_equal(jstr(shm, "type"), "bind");
        assert_string_equal(jstr(shm, "source"), "/run/cric/sb1/shm");
        assert_true(has_opt(shm, "rbind") && has_opt(shm, "nodev"));
}

static void test_mounts_host_ipc(void **state) {
        struct t *t = *state;
        t->in.security.ns.ipc = OCI_NS_NODE;
        struct json_object *spec = t_gen(t);
        assert_string_equal(jstr(t_mount(spec, "/dev/shm"), "source"), "/dev/shm");
        assert_null(t_ns(spec, "ipc"));
}

static void test_mounts_pod_files(void **state) {
        struct t *t = *state;
        struct json_object *spec = t_gen(t);
        struct json_object *m = t_mount(spec, "/etc/resolv.conf");
        assert_string_equal(jstr(m, "source"), "/run/cric/sb1/resolv.conf");
        assert_true(has_opt(m, "rbind") && has_opt(m, "rw"));
        assert_string_equal(jstr(t_mount(spec, "/etc/hosts"), "source"), "/run/cric/sb1/hosts");
        assert_string_equal(jstr(t_mount(spec, "/etc/hostname"), "source"), "/run/cric/sb1/hostname");
        assert_false(jbool(spec, "root/readonly"));
        t->in.security.is_readonly_rootfs = true;
        t->sb.hostname_path = NULL;
        spec = t_gen(t);
        assert_true(jbool(spec, "root/readonly"));
        assert_true(has_opt(t_mount(spec, "/etc/hosts"), "ro"));
        assert_null(t_mount(spec, "/etc/hostname"));
}

static void test_mounts_cri_bind(void **state) {
        struct t *t = *state;
        AUTOFREE char *data = xasprintf("%s/data", t->dir);
        assert_int_equal(mkdir(data, 0755), 0);
        struct oci_mount m[] = {
                {.container_path = "/data", .host_path = data},
                {.container_path = "/ro//dir/", .host_path = data, .is_readonly = true},
        };
        t->in.mounts = m;
        t->in.n_mounts = 2;
        struct json_object *spec = t_gen(t);
        struct json_object *a = t_mount(spec, "/data"), *b = t_mount(spec, "/ro/dir");
        assert_string_equal(jstr(a, "type"), "bind");
        assert_string_equal(jstr(a, "source"), data);
        assert_true(has_opt(a, "rbind") && has_opt(a, "rprivate") && has_opt(a, "rw"));
        assert_non_null(b);
        assert_true(has_opt(b, "ro"));
        assert_null(jp(spec, "linux/rootfsPropagation"));
}

static void test_mounts_cri_replaces_pod_file(void **state) {
        struct t *t = *state;
        AUTOFREE char *hosts = t_file(t, "my-hosts", "127.0.0.1 localhost\n");
        struct oci_mount m[] = {{.container_path = "/etc/hosts", .host_path = hosts, .is_readonly = true}};
        t->in.mounts = m;
        t->in.n_mounts = 1;
        struct json_object *spec = t_gen(t);
        assert_string_equal(jstr(t_mount(spec, "/etc/hosts"), "source"), hosts);
        assert_true(has_opt(t_mount(spec, "/etc/hosts"), "ro"));
        size_t n = jlen(spec, "mounts"), count = 0;
        for (size_t i = 0; i < n; i++) {
                char p[64];
                snprintf(p, sizeof(p), "mounts/%zu/destination", i);
                count += strcmp(jstr(spec, p), "/etc/hosts") == 0;
        }
        assert_int_equal(count, 1);
}

static void test_mounts_symlink_and_missing_host_path(void **state) {
        struct t *t = *state;
        AUTOFREE char *real = xasprintf("%s/real", t->dir);
        AUTOFREE char *link = xasprintf("%s/link", t->dir);
        AUTOFREE char *missing = xasprintf("%s/new/deep/dir", t->dir);
        assert_int_equal(mkdir(real, 0755), 0);
        assert_int_equal(symlink(real, link), 0);
        struct oci_mount m[] = {{.container_path = "/a", .host_path = link},
                                {.container_path = "/b", .host_path = missing}};
        t->in.mounts = m;
        t->in.n_mounts = 2;
        struct json_object *spec = t_gen(t);
        assert_string_equal(jstr(t_mount(spec, "/a"), "source"), real);
        assert_string_equal(jstr(t_mount(spec, "/b"), "source"), missing);
        struct stat st;
        assert_int_equal(stat(missing, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
}

static void test_mounts_invalid_paths(void **state) {
        struct t *t = *state;
        struct oci_mount m[] = {{.container_path = "data", .host_path = "/tmp"}};
        t->in.mounts = m;
        t->in.n_mounts = 1;
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "\"data\" is not absolute"));
        m[0] = (struct oci_mount){.container_path = "/data", .host_path = "tmp"};
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "host path \"tmp\""));
        m[0] = (struct oci_mount){.container_path = "/data", .host_path = "/tmp", .propagation = 7};
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "propagation"));
}

/* A mount table where <dir>/shared is a shared mount, <dir>/slave a slave one, / private. */
static char *fake_mountinfo(struct t *t) {
        AUTOFREE char *body = xasprintf("22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
                                        "40 22 0:40 / %s/shared rw,relatime shared:7 - tmpfs tmpfs rw\n"
                                        "41 22 0:41 / %s/slave rw,relatime master:7 - tmpfs tmpfs rw\n"
                                        "42 22 0:42 / %s/sp\\040ace rw shared:9 master:2 - tmpfs tmpfs rw\n",
                                        t->dir, t->dir, t->dir);
        return t_file(t, "mountinfo", body);
}

static void test_mounts_propagation_shared(void **state) {
        struct t *t = *state;
        AUTOFREE char *mi = fake_mountinfo(t);
        AUTOFREE char *shared = xasprintf("%s/shared/vol", t->dir);
        AUTOFREE char *priv = xasprintf("%s/private", t->dir);
        t->host.mountinfo_path = mi;
        struct oci_mount m[] = {
                {.container_path = "/vol", .host_path = shared, .propagation = OCI_PROPAGATION_BIDIRECTIONAL}};
        t->in.mounts = m;
        t->in.n_mounts = 1;
        struct json_object *spec = t_gen(t);
        assert_true(has_opt(t_mount(spec, "/vol"), "rshared"));
        assert_string_equal(jstr(spec, "linux/rootfsPropagation"), "rshared");
        m[0].host_path = priv;
        const char *msg = t_gen_fails(t, CRIC_E_INVALID);
        AUTOFREE char *want = xasprintf("path %s is mounted on / but it is not a shared mount", priv);
        if (!strstr(msg, want))
                fail_msg("%s", msg);
}

static void test_mounts_propagation_slave(void **state) {
        struct t *t = *state;
        AUTOFREE char *mi = fake_mountinfo(t);
        AUTOFREE char *slave = xasprintf("%s/slave", t->dir);
        AUTOFREE char *space = xasprintf("%s/sp ace/x", t->dir);
        AUTOFREE char *priv = xasprintf("%s/slavery", t->dir); /* a sibling, not under slave/ */
        t->host.mountinfo_path = mi;
        struct oci_mount m[] = {
                {.container_path = "/s", .host_path = slave, .propagation = OCI_PROPAGATION_HOST_TO_CONTAINER},
                {.container_path = "/t", .host_path = space, .propagation = OCI_PROPAGATION_HOST_TO_CONTAINER}};
        t->in.mounts = m;
        t->in.n_mounts = 2;
        struct json_object *spec = t_gen(t);
        assert_true(has_opt(t_mount(spec, "/s"), "rslave"));
        assert_true(has_opt(t_mount(spec, "/t"), "rslave"));
        assert_string_equal(jstr(spec, "linux/rootfsPropagation"), "rslave");
        m[0].host_path = priv;
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "not a shared or slave mount"));
}

static void test_mounts_recursive_read_only(void **state) {
        struct t *t = *state;
        struct oci_mount m[] = {{.container_path = "/r", .host_path = "/tmp", .is_recursive_read_only = true}};
        t->in.mounts = m;
        t->in.n_mounts = 1;
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "needs readonly"));
        m[0].is_readonly = true;
        m[0].propagation = OCI_PROPAGATION_HOST_TO_CONTAINER;
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "private propagation"));
        m[0].propagation = OCI_PROPAGATION_PRIVATE;
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "not supported by the runtime"));
        t->host.supports_recursive_read_only = true;
        struct json_object *r = t_mount(t_gen(t), "/r");
        assert_true(has_opt(r, "rro") && has_opt(r, "ro"));
}

static void test_mounts_parents_first(void **state) {
        struct t *t = *state;
        struct oci_mount m[] = {
                {.container_path = "/a/b/c", .host_path = "/tmp"},
                {.container_path = "/a", .host_path = "/tmp"},
                {.container_path = "/z", .host_path = "/tmp"},
                {.container_path = "/a/b", .host_path = "/tmp"},
        };
        t->in.mounts = m;
        t->in.n_mounts = 4;
        struct json_object *spec = t_gen(t);
        size_t a = t_mount_index(spec, "/a"), ab = t_mount_index(spec, "/a/b"), abc = t_mount_index(spec, "/a/b/c");
        assert_true(a < ab && ab < abc);
        assert_true(a < t_mount_index(spec, "/z")); /* same depth keeps the given order */
}

static void test_masked_paths(void **state) {
        struct t *t = *state;
        struct json_object *spec = t_gen(t);
        assert_int_equal(jlen(spec, "linux/maskedPaths"), 10);
        static const char *const masked[] = {"/proc/acpi",        "/proc/kcore",
                                             "/proc/keys",        "/proc/latency_stats",
                                             "/proc/timer_list",  "/proc/timer_stats",
                                             "/proc/sched_debug", "/proc/scsi",
                                             "/sys/firmware",     "/sys/devices/virtual/powercap"};
        for (size_t i = 0; i < 10; i++)
                assert_true(jhas(spec, "linux/maskedPaths", masked[i]));
        assert_int_equal(jlen(spec, "linux/readonlyPaths"), 6);
        assert_true(jhas(spec, "linux/readonlyPaths", "/proc/sysrq-trigger"));
        char *mine[] = {"/proc/secret"};
        t->in.security.masked_paths = mine;
        t->in.security.n_masked_paths = 1;
        spec = t_gen(t);
        assert_int_equal(jlen(spec, "linux/maskedPaths"), 1);
        assert_true(jhas(spec, "linux/maskedPaths", "/proc/secret"));
        assert_int_equal(jlen(spec, "linux/readonlyPaths"), 6);
}

static void test_ns_pod(void **state) {
        struct t *t = *state;
        t->sb.pause_pid = 4321;
        struct json_object *spec = t_gen(t);
        assert_string_equal(jstr(t_ns(spec, "pid"), "path"), "/proc/4321/ns/pid");
        assert_string_equal(jstr(t_ns(spec, "network"), "path"), "/run/cric/ns/net/sb1");
        assert_string_equal(jstr(t_ns(spec, "ipc"), "path"), "/run/cric/ns/ipc/sb1");
        assert_string_equal(jstr(t_ns(spec, "uts"), "path"), "/run/cric/ns/uts/sb1");
        assert_non_null(t_ns(spec, "mount"));
        assert_null(jp(t_ns(spec, "mount"), "path"));
        assert_null(t_ns(spec, "cgroup"));
        assert_null(t_ns(spec, "user"));
        assert_null(jp(spec, "hostname")); /* set when the UTS namespace was pinned */
        t->host.is_cgroup_v2 = true;
        assert_non_null(t_ns(t_gen(t), "cgroup"));
}

static void test_ns_pid_modes(void **state) {
        struct t *t = *state;
        t->in.security.ns.pid = OCI_NS_CONTAINER;
        t->sb.pause_pid = 4321;
        assert_null(jp(t_ns(t_gen(t), "pid"), "path"));
        t->in.security.ns.pid = OCI_NS_NODE;
        assert_null(t_ns(t_gen(t), "pid"));
        t->in.security.ns.pid = OCI_NS_TARGET;
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "TARGET"));
        t->in.security.ns.target_pid_ns_path = "/proc/777/ns/pid";
        assert_string_equal(jstr(t_ns(t_gen(t), "pid"), "path"), "/proc/777/ns/pid");
        t->in.security.ns.pid = 9;
        t_gen_fails(t, CRIC_E_INVALID);
        t->in.security.ns.pid = OCI_NS_POD;
        t->in.security.ns.network = OCI_NS_TARGET;
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "network namespace mode TARGET"));
}

static void test_ns_host_network(void **state) {
        struct t *t = *state;
        t->in.security.ns.network = OCI_NS_NODE;
        struct json_object *spec = t_gen(t);
        assert_null(t_ns(spec, "network"));
        assert_null(t_ns(spec, "uts"));
        assert_null(jp(spec, "hostname"));
        assert_non_null(t_ns(spec, "ipc"));
}

static void test_ns_new_when_not_pinned(void **state) {
        struct t *t = *state;
        t->sb.netns_path = t->sb.ipcns_path = t->sb.utsns_path = NULL;
        struct json_object *spec = t_gen(t);
        static const char *const types[] = {"pid", "network", "ipc", "uts", "mount"};
        for (size_t i = 0; i < 5; i++) {
                assert_non_null(t_ns(spec, types[i]));
                assert_null(jp(t_ns(spec, types[i]), "path"));
        }
        assert_string_equal(jstr(spec, "hostname"), "web-0");
}

static void test_devices(void **state) {
        struct t *t = *state;
        struct oci_device d[] = {{.container_path = "/dev/mynull", .host_path = "/dev/null", .permissions = "rw"},
                                 {.host_path = "/dev/zero"}};
        t->in.devices = d;
        t->in.n_devices = 2;
        struct json_object *spec = t_gen(t);
        assert_int_equal(jlen(spec, "linux/devices"), 2);
        assert_string_equal(jstr(spec, "linux/devices/0/path"), "/dev/mynull");
        assert_string_equal(jstr(spec, "linux/devices/0/type"), "c");
        assert_int_equal(jint(spec, "linux/devices/0/major"), 1);
        assert_int_equal(jint(spec, "linux/devices/0/minor"), 3);
        assert_int_equal(jint(spec, "linux/devices/0/fileMode"), 0666);
        assert_string_equal(jstr(spec, "linux/devices/1/path"), "/dev/zero");
        assert_int_equal(jlen(spec, "linux/resources/devices"), 3);
        assert_false(jbool(spec, "linux/resources/devices/0/allow"));
        assert_string_equal(jstr(spec, "linux/resources/devices/0/access"), "rwm");
        assert_true(jbool(spec, "linux/resources/devices/1/allow"));
        assert_string_equal(jstr(spec, "linux/resources/devices/1/access"), "rw");
        assert_int_equal(jint(spec, "linux/resources/devices/1/minor"), 3);
        assert_string_equal(jstr(spec, "linux/resources/devices/2/access"), "rwm");
}

static void test_devices_errors(void **state) {
        struct t *t = *state;
        struct oci_device d[] = {{.container_path = "/dev/x", .host_path = "/dev/nonexistent-cric"}};
        t->in.devices = d;
        t->in.n_devices = 1;
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_NOT_FOUND), "/dev/nonexistent-cric"));
        d[0].host_path = t->rootfs + 0; /* a directory without devices: fine, adds nothing */
        assert_int_equal(jlen(t_gen(t), "linux/devices"), 0);
        AUTOFREE char *file = xasprintf("%s/etc/passwd", t->rootfs);
        d[0].host_path = file;
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "is not a device"));
        d[0].host_path = "/dev/null";
        d[0].permissions = "rwx";
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "\"rwx\""));
        d[0].permissions = NULL;
        d[0].host_path = "dev/null";
        t_gen_fails(t, CRIC_E_INVALID);
}

static void test_devices_directory(void **state) {
        struct t *t = *state;
        AUTOFREE char *dir = xasprintf("%s/devdir/sub", t->dir);
        AUTOFREE char *node = xasprintf("%s/devdir/sub/null2", t->dir);
        AUTOFREE char *top = xasprintf("%s/devdir", t->dir);
        struct cric_error *err = NULL;
        assert_int_equal(fs_mkdir_p(dir, 0755, &err), 0);
        REQUIRE_ROOT("to create a device node");
        if (mknod(node, S_IFCHR | 0600, makedev(1, 3)) < 0) {
                print_message("skipped: mknod %s: %s\n", node, strerror(errno));
                skip();
        }
        struct oci_device d[] = {{.container_path = "/dev/grp", .host_path = top, .permissions = "r"}};
        t->in.devices = d;
        t->in.n_devices = 1;
        struct json_object *spec = t_gen(t);
        assert_int_equal(jlen(spec, "linux/devices"), 1);
        assert_string_equal(jstr(spec, "linux/devices/0/path"), "/dev/grp/sub/null2");
        assert_string_equal(jstr(spec, "linux/resources/devices/1/access"), "r");
}

static void test_devices_privileged(void **state) {
        struct t *t = *state;
        t->sb.security.is_privileged = true;
        t->in.security.is_privileged = true;
        struct json_object *spec = t_gen(t);
        assert_int_equal(jlen(spec, "linux/resources/devices"), 1);
        assert_true(jbool(spec, "linux/resources/devices/0/allow"));
        bool has_null = false;
        for (size_t i = 0; i < jlen(spec, "linux/devices"); i++) {
                char p[64];
                snprintf(p, sizeof(p), "linux/devices/%zu/path", i);
                const char *path = jstr(spec, p);
                has_null |= strcmp(path, "/dev/null") == 0;
                assert_null(strstr(path, "/dev/pts/"));
                assert_string_not_equal(path, "/dev/console");
        }
        assert_true(has_null);
}

static void test_infra_spec(void **state) {
        struct t *t = *state;
        struct oci_infra_input infra = {.rootfs = "/usr/libexec/cric/infra-root", .sandbox = &t->sb};
        t->sb.netns_path = "/run/cric/ns/net/sb1";
        struct json_object *spec = t_gen_infra(t, &infra);
        assert_string_equal(jstr(spec, "root/path"), "/usr/libexec/cric/infra-root");
        assert_true(jbool(spec, "root/readonly"));
        assert_int_equal(jlen(spec, "process/args"), 1);
        assert_string_equal(jstr(spec, "process/args/0"), "/pause");
        assert_int_equal(jint(spec, "process/user/uid"), 65535);
        assert_int_equal(jint(spec, "process/user/gid"), 65535);
        assert_null(jp(t_ns(spec, "pid"), "path"));
        assert_string_equal(jstr(t_ns(spec, "network"), "path"), "/run/cric/ns/net/sb1");
        assert_null(t_mount(spec, "/etc/resolv.conf"));
        assert_string_equal(jstr(spec, "linux/cgroupsPath"), "/kubepods/pod1/cric-sb1");
        assert_string_equal(jstr(spec, "annotations/io.kubernetes.cri.container-type"), "sandbox");
        infra.pause_path = "/bin/cric-pause";
        t->sb.security.has_run_as_user = true;
        t->sb.security.run_as_user = 0;
        spec = t_gen_infra(t, &infra);
        assert_string_equal(jstr(spec, "process/args/0"), "/bin/cric-pause");
        assert_int_equal(jint(spec, "process/user/uid"), 0);
        assert_int_equal(jint(spec, "process/user/gid"), 0);
        t->sb.security.ns.pid = OCI_NS_NODE;
        t->sb.security.ns.network = OCI_NS_NODE;
        spec = t_gen_infra(t, &infra);
        assert_null(t_ns(spec, "pid"));
        assert_null(t_ns(spec, "network"));
        assert_null(t_ns(spec, "uts"));
        t->sb.security.ns.pid = OCI_NS_TARGET;
        char *out = NULL;
        assert_int_equal(oci_spec_generate_infra(&infra, &t->host, &out, &t->err), -1);
        assert_int_equal(t->err->kind, CRIC_E_INVALID);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                T_TEST(test_mounts_defaults),
                T_TEST(test_mounts_privileged),
                T_TEST(test_mounts_shm),
                T_TEST(test_mounts_host_ipc),
                T_TEST(test_mounts_pod_files),
                T_TEST(test_mounts_cri_bind),
                T_TEST(test_mounts_cri_replaces_pod_file),
                T_TEST(test_mounts_symlink_and_missing_host_path),
                T_TEST(test_mounts_invalid_paths),
                T_TEST(test_mounts_propagation_shared),
                T_TEST(test_mounts_propagation_slave),
                T_TEST(test_mounts_recursive_read_only),
                T_TEST(test_mounts_parents_first),
                T_TEST(test_masked_paths),
                T_TEST(test_ns_pod),
                T_TEST(test_ns_pid_modes),
                T_TEST(test_ns_host_network),
                T_TEST(test_ns_new_when_not_pinned),
                T_TEST(test_devices),
                T_TEST(test_devices_errors),
                T_TEST(test_devices_directory),
                T_TEST(test_devices_privileged),
                T_TEST(test_infra_spec),
        };
        return cmocka_run_group_tests_name("oci_spec_mounts", tests, NULL, NULL);
}
