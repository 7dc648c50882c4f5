/* OCI spec: the node settings (struct oci_node): default capabilities, default sysctls,
 * default ulimits, pids limit, default mounts file, absent mount sources to reject, the
 * seccomp profile used as RuntimeDefault, and oci_node_check. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "spec_test.h"

static const char small_profile[] = "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n"
                                    " \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}]}\n";

/* The node check's error kind for n; the message is returned (owned by t). */
static const char *check_fails(struct t *t, const struct oci_node *n, enum cric_error_kind kind) {
        cric_error_free(t->err);
        t->err = NULL;
        return testlib_error_is(oci_node_check(n, &t->err), &t->err, kind);
}

static void assert_check_ok(const struct oci_node *n) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (oci_node_check(n, &err) < 0)
                fail_msg("oci_node_check: %s", err->msg);
}

/* ---- default_capabilities ---- */

static void test_node_caps_replace_default(void **state) {
        struct t *t = *state;
        char *caps[] = {"NET_RAW", "cap_chown", NULL};
        struct oci_node n = {.default_capabilities = caps};
        t->in.node = &n;
        struct json_object *spec = t_gen(t);
        assert_int_equal(jlen(spec, "process/capabilities/effective"), 2);
        assert_true(jhas(spec, "process/capabilities/bounding", "CAP_NET_RAW"));
        assert_true(jhas(spec, "process/capabilities/bounding", "CAP_CHOWN"));
        assert_false(jhas(spec, "process/capabilities/bounding", "CAP_KILL"));
}

static void test_node_caps_empty_is_none_and_add_applies(void **state) {
        struct t *t = *state;
        char *caps[] = {NULL};
        char *add[] = {"KILL"};
        struct oci_node n = {.default_capabilities = caps};
        t->in.node = &n;
        t->in.security.caps.add = add;
        t->in.security.caps.n_add = 1;
        struct json_object *spec = t_gen(t);
        assert_int_equal(jlen(spec, "process/capabilities/effective"), 1);
        assert_true(jhas(spec, "process/capabilities/effective", "CAP_KILL"));
}

static void test_node_caps_unset_is_crio_set(void **state) {
        struct t *t = *state;
        struct oci_node n = {0};
        t->in.node = &n;
        assert_int_equal(jlen(t_gen(t), "process/capabilities/effective"), 9);
}

static void test_node_caps_unknown_refused(void **state) {
        struct t *t = *state;
        char *caps[] = {"CHOWN", "NOT_A_CAP", NULL};
        struct oci_node n = {.default_capabilities = caps};
        assert_non_null(strstr(check_fails(t, &n, CRIC_E_INVALID), "NOT_A_CAP"));
        t->in.node = &n;
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "default_capabilities"));
}

/* ---- default_sysctls ---- */

static void test_node_sysctls_added_pod_wins(void **state) {
        struct t *t = *state;
        char *sysctls[] = {"net.ipv4.ip_unprivileged_port_start=0", "kernel.shmmni=100", NULL};
        struct oci_kv pod[] = {{"kernel.shmmni", "200"}};
        struct oci_node n = {.default_sysctls = sysctls};
        t->in.node = &n;
        t->sb.sysctls = pod;
        t->sb.n_sysctls = 1;
        struct json_object *spec = t_gen(t);
        assert_string_equal(jstr(spec, "linux/sysctl/net.ipv4.ip_unprivileged_port_start"), "0");
        assert_string_equal(jstr(spec, "linux/sysctl/kernel.shmmni"), "200");
}

static void test_node_sysctls_infra_too(void **state) {
        struct t *t = *state;
        char *sysctls[] = {"net/ipv4/ping_group_range=0 0", NULL};
        struct oci_node n = {.default_sysctls = sysctls};
        struct oci_infra_input infra = {.rootfs = t->rootfs, .sandbox = &t->sb, .node = &n};
        assert_string_equal(jstr(t_gen_infra(t, &infra), "linux/sysctl/net.ipv4.ping_group_range"), "0 0");
}

static void test_node_sysctls_host_network_left_out(void **state) {
        struct t *t = *state;
        char *sysctls[] = {"net.ipv4.ip_unprivileged_port_start=0", NULL};
        struct oci_node n = {.default_sysctls = sysctls};
        t->in.node = &n;
        t->in.security.ns.network = OCI_NS_NODE;
        assert_null(jp(t_gen(t), "linux/sysctl"));
}

static void test_node_sysctls_checked(void **state) {
        struct t *t = *state;
        char *not_ns[] = {"kernel.panic=1", NULL};
        struct oci_node n = {.default_sysctls = not_ns};
        assert_non_null(strstr(check_fails(t, &n, CRIC_E_INVALID), "kernel.panic"));
        char *malformed[] = {"net.ipv4.ip_forward", NULL};
        n.default_sysctls = malformed;
        assert_non_null(strstr(check_fails(t, &n, CRIC_E_INVALID), "name=value"));
        char *good[] = {"net.ipv4.ip_forward=1", "fs.mqueue.msg_max=20", NULL};
        n.default_sysctls = good;
        assert_check_ok(&n);
}

/* ---- default_ulimits ---- */

static void test_node_ulimits(void **state) {
        struct t *t = *state;
        char *ulimits[] = {"nofile=1024:2048", "nproc=512", NULL};
        struct oci_node n = {.default_ulimits = ulimits};
        t->in.node = &n;
        struct json_object *spec = t_gen(t);
        assert_int_equal(jlen(spec, "process/rlimits"), 2);
        assert_string_equal(jstr(spec, "process/rlimits/0/type"), "RLIMIT_NOFILE");
        assert_int_equal(jint(spec, "process/rlimits/0/soft"), 1024);
        assert_int_equal(jint(spec, "process/rlimits/0/hard"), 2048);
        assert_string_equal(jstr(spec, "process/rlimits/1/type"), "RLIMIT_NPROC");
        assert_int_equal(jint(spec, "process/rlimits/1/soft"), 512);
        assert_int_equal(jint(spec, "process/rlimits/1/hard"), 512);
}

static void test_node_ulimits_none_by_default(void **state) {
        struct t *t = *state;
        assert_null(jp(t_gen(t), "process/rlimits"));
}

static void test_node_ulimits_checked(void **state) {
        struct t *t = *state;
        static char *bad[][2] = {{"nofiles=1"}, {"nofile"}, {"nofile=2:1"}, {"nofile=a:b"}, {"nofile=-1"}, {"core=1:"}};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct oci_node n = {.default_ulimits = bad[i]};
                assert_non_null(strstr(check_fails(t, &n, CRIC_E_INVALID), "default_ulimits"));
        }
        char *good[] = {"core=0", "memlock=65536:65536", "stack=8388608:18446744073709551615", NULL};
        struct oci_node n = {.default_ulimits = good};
        assert_check_ok(&n);
}

/* ---- pids_limit ---- */

static void test_node_pids_limit(void **state) {
        struct t *t = *state;
        struct oci_node n = {.pids_limit = 100};
        t->in.node = &n;
        assert_int_equal(jint(t_gen(t), "linux/resources/pids/limit"), 100);
}

static void test_node_pids_unlimited(void **state) {
        struct t *t = *state;
        struct oci_node n = {.pids_limit = -1};
        t->in.node = &n;
        assert_null(jp(t_gen(t), "linux/resources/pids"));
        n.pids_limit = 0;
        assert_null(jp(t_gen(t), "linux/resources/pids"));
}

static void test_node_pids_container_wins(void **state) {
        struct t *t = *state;
        struct oci_kv unified[] = {{"pids.max", "7"}};
        struct oci_node n = {.pids_limit = 100};
        t->host.is_cgroup_v2 = true;
        t->in.node = &n;
        t->in.resources.unified = unified;
        t->in.resources.n_unified = 1;
        struct json_object *spec = t_gen(t);
        assert_null(jp(spec, "linux/resources/pids"));
        assert_string_equal(jstr(spec, "linux/resources/unified/pids.max"), "7");
}

static void test_node_pids_not_for_infra(void **state) {
        struct t *t = *state;
        struct oci_node n = {.pids_limit = 100};
        struct oci_infra_input infra = {.rootfs = t->rootfs, .sandbox = &t->sb, .node = &n};
        assert_null(jp(t_gen_infra(t, &infra), "linux/resources/pids"));
}

/* ---- default_mounts_file ---- */

static void test_node_default_mounts(void **state) {
        struct t *t = *state;
        free(t_file(t, "host/secrets/a", "x"));
        free(t_file(t, "host/other/b", "y"));
        AUTOFREE char *body = xasprintf("# comment\n\n%s/host/secrets:/run/secrets\n  %s/host/other  \n"
                                        "%s/host/missing:/gone\n",
                                        t->dir, t->dir, t->dir);
        AUTOFREE char *file = t_file(t, "mounts.conf", body);
        struct oci_node n = {.default_mounts_file = file};
        t->in.node = &n;
        struct json_object *spec = t_gen(t);
        struct json_object *m = t_mount(spec, "/run/secrets");
        assert_non_null(m);
        AUTOFREE char *src = xasprintf("%s/host/secrets", t->dir);
        AUTOFREE char *real = realpath(src, NULL);
        assert_string_equal(jstr(m, "source"), real);
        assert_string_equal(jstr(m, "type"), "bind");
        assert_true(jhas(m, "options", "ro"));
        AUTOFREE char *other = xasprintf("%s/host/other", t->dir);
        assert_non_null(t_mount(spec, other));
        assert_null(t_mount(spec, "/gone")); /* a missing source is left out */
}

static void test_node_default_mounts_cri_wins(void **state) {
        struct t *t = *state;
        free(t_file(t, "host/secrets/a", "x"));
        free(t_file(t, "host/mine/a", "x"));
        AUTOFREE char *body = xasprintf("%s/host/secrets:/run/secrets\n", t->dir);
        AUTOFREE char *file = t_file(t, "mounts.conf", body);
        AUTOFREE char *mine = xasprintf("%s/host/mine", t->dir);
        struct oci_mount mounts[] = {{.container_path = "/run/secrets/", .host_path = mine}};
        struct oci_node n = {.default_mounts_file = file};
        t->in.node = &n;
        t->in.mounts = mounts;
        t->in.n_mounts = 1;
        struct json_object *spec = t_gen(t);
        AUTOFREE char *real = realpath(mine, NULL);
        assert_string_equal(jstr(t_mount(spec, "/run/secrets"), "source"), real);
        size_t count = 0;
        for (size_t i = 0; i < jlen(spec, "mounts"); i++)
                count += !strcmp(jstr(json_object_array_get_idx(jp(spec, "mounts"), i), "destination"), "/run/secrets");
        assert_int_equal(count, 1);
}

static void test_node_default_mounts_checked(void **state) {
        struct t *t = *state;
        struct oci_node n = {.default_mounts_file = "/nonexistent/cric/mounts.conf"};
        assert_non_null(strstr(check_fails(t, &n, CRIC_E_NOT_FOUND), "/nonexistent/cric/mounts.conf"));
        AUTOFREE char *bad = t_file(t, "bad.conf", "/ok:/ok\nrelative:/x\n");
        n.default_mounts_file = bad;
        const char *msg = check_fails(t, &n, CRIC_E_INVALID);
        assert_non_null(strstr(msg, "line 2"));
        assert_non_null(strstr(msg, bad));
        n.default_mounts_file = "";
        assert_check_ok(&n);
}

/* ---- absent_mount_sources_to_reject ---- */

static void test_node_absent_source_rejected(void **state) {
        struct t *t = *state;
        AUTOFREE char *absent = xasprintf("%s/absent/dir", t->dir);
        AUTOFREE char *listed = xasprintf("%s/absent//dir/", t->dir);
        char *reject[] = {listed, NULL};
        struct oci_mount mounts[] = {{.container_path = "/data", .host_path = absent}};
        struct oci_node n = {.absent_mount_sources_to_reject = reject};
        t->in.node = &n;
        t->in.mounts = mounts;
        t->in.n_mounts = 1;
        const char *msg = t_gen_fails(t, CRIC_E_INVALID);
        assert_non_null(strstr(msg, absent));
        assert_non_null(strstr(msg, "absent_mount_sources_to_reject"));
        struct stat st;
        assert_int_equal(stat(absent, &st), -1); /* not created */
        /* Present, the same path is mounted. */
        free(t_file(t, "absent/dir/f", "x"));
        assert_non_null(t_mount(t_gen(t), "/data"));
}

static void test_node_absent_source_not_listed_created(void **state) {
        struct t *t = *state;
        AUTOFREE char *absent = xasprintf("%s/other", t->dir);
        char *reject[] = {"/nonexistent/listed", NULL};
        struct oci_mount mounts[] = {{.container_path = "/data", .host_path = absent}};
        struct oci_node n = {.absent_mount_sources_to_reject = reject};
        t->in.node = &n;
        t->in.mounts = mounts;
        t->in.n_mounts = 1;
        assert_non_null(t_mount(t_gen(t), "/data"));
        struct stat st;
        assert_int_equal(stat(absent, &st), 0);
        char *relative[] = {"relative", NULL};
        n.absent_mount_sources_to_reject = relative;
        assert_non_null(strstr(check_fails(t, &n, CRIC_E_INVALID), "relative"));
}

/* ---- seccomp_profile ---- */

static void test_node_seccomp_profile_is_runtime_default(void **state) {
        struct t *t = *state;
        AUTOFREE char *path = t_file(t, "seccomp.json", small_profile);
        struct oci_node n = {.seccomp_profile = path};
        t->in.node = &n;
        t->in.security.seccomp = (struct oci_security_profile){.is_set = true, .type = OCI_PROFILE_RUNTIME_DEFAULT};
        struct json_object *spec = t_gen(t);
        assert_string_equal(jstr(spec, "linux/seccomp/defaultAction"), "SCMP_ACT_ERRNO");
        assert_int_equal(jlen(spec, "linux/seccomp/syscalls"), 1);
        assert_string_equal(jstr(spec, "linux/seccomp/syscalls/0/names/0"), "read");
        /* Unconfined stays unconfined. */
        t->in.security.seccomp.type = OCI_PROFILE_UNCONFINED;
        assert_null(jp(t_gen(t), "linux/seccomp"));
}

static void test_node_seccomp_profile_checked(void **state) {
        struct t *t = *state;
        struct oci_node n = {.seccomp_profile = "/nonexistent/cric/seccomp.json"};
        assert_non_null(strstr(check_fails(t, &n, CRIC_E_NOT_FOUND), "/nonexistent/cric/seccomp.json"));
        AUTOFREE char *bad = t_file(t, "bad.json", "{\"defaultAction\": \"SCMP_ACT_NOPE\"}");
        n.seccomp_profile = bad;
        assert_non_null(strstr(check_fails(t, &n, CRIC_E_INVALID), bad));
        n.seccomp_profile = "seccomp.json";
        assert_non_null(strstr(check_fails(t, &n, CRIC_E_INVALID), "absolute"));
        AUTOFREE char *good = t_file(t, "good.json", small_profile);
        n.seccomp_profile = good;
        assert_check_ok(&n);
}

/* ---- devices: additional_devices, the Devices annotation, ownership ---- */

/* The linux.devices entry at path, or NULL. */
static struct json_object *t_device(struct json_object *spec, const char *path) {
        struct json_object *l = jp(spec, "linux/devices");
        for (size_t i = 0; l && i < json_object_array_length(l); i++)
                if (!strcmp(jstr(json_object_array_get_idx(l, i), "path"), path))
                        return json_object_array_get_idx(l, i);
        return NULL;
}

/* The access of the cgroup rule allowing /dev/null's major:minor (1:3), or NULL. */
static const char *null_rule(struct json_object *spec) {
        struct json_object *l = jp(spec, "linux/resources/devices");
        for (size_t i = 0; l && i < json_object_array_length(l); i++) {
                struct json_object *r = json_object_array_get_idx(l, i);
                if (jp(r, "major") && jint(r, "major") == 1 && jint(r, "minor") == 3)
                        return jstr(r, "access");
        }
        return NULL;
}

static void test_node_additional_devices(void **state) {
        struct t *t = *state;
        char *extra[] = {"/dev/null:/dev/mynull:rw", "/dev/zero", NULL};
        struct oci_node n = {.additional_devices = extra};
        t->in.node = &n;
        struct json_object *spec = t_gen(t);
        assert_non_null(t_device(spec, "/dev/mynull"));
        assert_non_null(t_device(spec, "/dev/zero"));
        assert_string_equal(null_rule(spec), "rw");
        struct oci_infra_input infra = {.rootfs = t->rootfs, .sandbox = &t->sb, .node = &n};
        assert_null(t_device(t_gen_infra(t, &infra), "/dev/mynull"));
        assert_check_ok(&n);
}

static void test_node_additional_devices_checked(void **state) {
        struct t *t = *state;
        char *missing[] = {"/dev/cric-no-such-device", NULL};
        struct oci_node n = {.additional_devices = missing};
        assert_non_null(strstr(check_fails(t, &n, CRIC_E_NOT_FOUND), "/dev/cric-no-such-device"));
        char *bad[] = {"/dev/null:/dev/x:rwx", NULL};
        n.additional_devices = bad;
        assert_non_null(strstr(check_fails(t, &n, CRIC_E_INVALID), "/dev/null:/dev/x:rwx"));
        char *relative[] = {"dev/null", NULL};
        n.additional_devices = relative;
        check_fails(t, &n, CRIC_E_INVALID);
}

static void test_node_devices_annotation(void **state) {
        struct t *t = *state;
        char *allowed[] = {"/dev/null", "/dev/zero", NULL};
        char *prefixes[] = {"io.kubernetes.cri-o.", NULL};
        struct oci_kv ann[] = {{"io.kubernetes.cri-o.Devices", "/dev/null:/dev/anull:r,/dev/zero"}};
        struct oci_node n = {.allowed_devices = allowed, .allowed_annotations = prefixes};
        t->in.node = &n;
        t->in.annotations = ann;
        t->in.n_annotations = 1;
        struct json_object *spec = t_gen(t);
        assert_non_null(t_device(spec, "/dev/anull"));
        assert_non_null(t_device(spec, "/dev/zero"));
        assert_string_equal(null_rule(spec), "r");
}

static void test_node_devices_annotation_from_the_pod(void **state) {
        struct t *t = *state;
        char *allowed[] = {"/dev/null", NULL};
        char *prefixes[] = {"io.kubernetes.cri-o.Devices", NULL};
        struct oci_kv ann[] = {{"io.kubernetes.cri-o.Devices", "/dev/null:/dev/podnull"}};
        struct oci_node n = {.allowed_devices = allowed, .allowed_annotations = prefixes};
        t->in.node = &n;
        t->sb.annotations = ann;
        t->sb.n_annotations = 1;
        assert_non_null(t_device(t_gen(t), "/dev/podnull"));
}

static void test_node_devices_annotation_not_allowed_ignored(void **state) {
        struct t *t = *state;
        char *allowed[] = {"/dev/null", NULL};
        char *other[] = {"io.kubernetes.cri-o.userns-mode", NULL};
        struct oci_kv ann[] = {{"io.kubernetes.cri-o.Devices", "/dev/null:/dev/anull"}};
        struct oci_node n = {.allowed_devices = allowed, .allowed_annotations = other};
        t->in.node = &n;
        t->in.annotations = ann;
        t->in.n_annotations = 1;
        assert_null(t_device(t_gen(t), "/dev/anull"));
        n.allowed_annotations = NULL;
        assert_null(t_device(t_gen(t), "/dev/anull"));
}

static void test_node_devices_annotation_outside_allowed_devices(void **state) {
        struct t *t = *state;
        char *allowed[] = {"/dev/fuse", NULL};
        char *prefixes[] = {"io.kubernetes.cri-o.Devices", NULL};
        struct oci_kv ann[] = {{"io.kubernetes.cri-o.Devices", "/dev/null"}};
        struct oci_node n = {.allowed_devices = allowed, .allowed_annotations = prefixes};
        t->in.node = &n;
        t->in.annotations = ann;
        t->in.n_annotations = 1;
        const char *msg = t_gen_fails(t, CRIC_E_INVALID);
        assert_non_null(strstr(msg, "/dev/null is not in allowed_devices"));
        ann[0].value = "/dev/null:dev/x";
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "/dev/null:dev/x"));
}

static void test_node_device_ownership(void **state) {
        struct t *t = *state;
        struct oci_device devs[] = {{.host_path = "/dev/null", .container_path = "/dev/mine"}};
        t->in.devices = devs;
        t->in.n_devices = 1;
        t->in.security.has_run_as_user = true;
        t->in.security.run_as_user = 1234;
        t->in.security.has_run_as_group = true;
        t->in.security.run_as_group = 5678;
        struct oci_node n = {0};
        t->in.node = &n;
        struct stat st;
        assert_int_equal(stat("/dev/null", &st), 0);
        struct json_object *dev = t_device(t_gen(t), "/dev/mine");
        assert_int_equal(jint(dev, "uid"), st.st_uid);
        assert_int_equal(jint(dev, "gid"), st.st_gid);
        n.device_ownership_from_security_context = true;
        dev = t_device(t_gen(t), "/dev/mine");
        assert_int_equal(jint(dev, "uid"), 1234);
        assert_int_equal(jint(dev, "gid"), 5678);
        t->in.security.has_run_as_group = false;
        dev = t_device(t_gen(t), "/dev/mine");
        assert_int_equal(jint(dev, "uid"), 1234);
        assert_int_equal(jint(dev, "gid"), st.st_gid);
}

/* ---- apparmor_profile, selinux ---- */

static void test_node_apparmor_profile(void **state) {
        struct t *t = *state;
        struct oci_node n = {.apparmor_profile = "crio-default"};
        t->in.node = &n;
        t->host.is_apparmor_enabled = true;
        assert_string_equal(jstr(t_gen(t), "process/apparmorProfile"), "crio-default");
        n.apparmor_profile = NULL;
        assert_string_equal(jstr(t_gen(t), "process/apparmorProfile"), "cric-default");
        /* a Localhost profile is the pod's own; unconfined stays so */
        n.apparmor_profile = "crio-default";
        t->in.security.apparmor =
                (struct oci_security_profile){.is_set = true, .type = OCI_PROFILE_LOCALHOST, .localhost_ref = "mine"};
        assert_string_equal(jstr(t_gen(t), "process/apparmorProfile"), "mine");
        t->in.security.apparmor.type = OCI_PROFILE_UNCONFINED;
        assert_null(jp(t_gen(t), "process/apparmorProfile"));
        /* no AppArmor on the host: nothing */
        t->in.security.apparmor.is_set = false;
        t->host.is_apparmor_enabled = false;
        assert_null(jp(t_gen(t), "process/apparmorProfile"));
}

static void test_node_selinux_off_ignores_options(void **state) {
        struct t *t = *state;
        struct oci_node n = {.selinux = false};
        t->in.node = &n;
        t->in.security.selinux = (struct oci_selinux_options){.level = "s0:c1,c2"};
        struct json_object *spec = t_gen(t); /* even where SELinux is absent: no error */
        assert_null(jp(spec, "process/selinuxLabel"));
        t->host.is_selinux_enabled = true;
        spec = t_gen(t);
        assert_null(jp(spec, "process/selinuxLabel"));
        assert_null(jp(spec, "linux/mountLabel"));
        n.selinux = true;
        spec = t_gen(t);
        assert_string_equal(jstr(spec, "process/selinuxLabel"), "system_u:system_r:container_t:s0:c1,c2");
        assert_string_equal(jstr(spec, "linux/mountLabel"), "system_u:object_r:container_file_t:s0:c1,c2");
        /* on, but SELinux absent: no labels without options */
        t->host.is_selinux_enabled = false;
        t->in.security.selinux = (struct oci_selinux_options){0};
        assert_null(jp(t_gen(t), "process/selinuxLabel"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                T_TEST(test_node_caps_replace_default),
                T_TEST(test_node_caps_empty_is_none_and_add_applies),
                T_TEST(test_node_caps_unset_is_crio_set),
                T_TEST(test_node_caps_unknown_refused),
                T_TEST(test_node_sysctls_added_pod_wins),
                T_TEST(test_node_sysctls_infra_too),
                T_TEST(test_node_sysctls_host_network_left_out),
                T_TEST(test_node_sysctls_checked),
                T_TEST(test_node_ulimits),
                T_TEST(test_node_ulimits_none_by_default),
                T_TEST(test_node_ulimits_checked),
                T_TEST(test_node_pids_limit),
                T_TEST(test_node_pids_unlimited),
                T_TEST(test_node_pids_container_wins),
                T_TEST(test_node_pids_not_for_infra),
                T_TEST(test_node_default_mounts),
                T_TEST(test_node_default_mounts_cri_wins),
                T_TEST(test_node_default_mounts_checked),
                T_TEST(test_node_absent_source_rejected),
                T_TEST(test_node_absent_source_not_listed_created),
                T_TEST(test_node_seccomp_profile_is_runtime_default),
                T_TEST(test_node_seccomp_profile_checked),
                T_TEST(test_node_additional_devices),
                T_TEST(test_node_additional_devices_checked),
                T_TEST(test_node_devices_annotation),
                T_TEST(test_node_devices_annotation_from_the_pod),
                T_TEST(test_node_devices_annotation_not_allowed_ignored),
                T_TEST(test_node_devices_annotation_outside_allowed_devices),
                T_TEST(test_node_device_ownership),
                T_TEST(test_node_apparmor_profile),
                T_TEST(test_node_selinux_off_ignores_options),
        };
        return cmocka_run_group_tests_name("oci_spec_node", tests, NULL, NULL);
}
