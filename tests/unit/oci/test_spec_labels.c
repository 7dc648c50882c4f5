/* OCI spec: security labels (SELinux, AppArmor), annotations, the document's frame
 * (ociVersion, root, hostname) and the bundle writer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include "spec_test.h"

static const struct oci_node selinux_on = {.selinux = true};

static void test_selinux_not_enabled(void **state) {
        struct t *t = *state;
        t->in.node = &selinux_on;
        t->in.security.selinux.level = "s0:c1,c2";
        const char *msg = t_gen_fails(t, CRIC_E_INVALID);
        assert_non_null(strstr(msg, "SELinux options given but SELinux is not enabled on this host"));
        t->in.security.selinux = (struct oci_selinux_options){0};
        struct json_object *spec = t_gen(t);
        assert_null(jp(spec, "process/selinuxLabel"));
        assert_null(jp(spec, "linux/mountLabel"));
}

static void test_selinux_labels(void **state) {
        struct t *t = *state;
        t->host.is_selinux_enabled = true;
        t->in.node = &selinux_on;
        /* nothing asked for: the defaults */
        assert_string_equal(jstr(t_gen(t), "process/selinuxLabel"), "system_u:system_r:container_t:s0");
        t->in.security.selinux = (struct oci_selinux_options){.level = "s0:c1,c2"};
        struct json_object *spec = t_gen(t);
        assert_string_equal(jstr(spec, "process/selinuxLabel"), "system_u:system_r:container_t:s0:c1,c2");
        assert_string_equal(jstr(spec, "linux/mountLabel"), "system_u:object_r:container_file_t:s0:c1,c2");
        t->in.security.selinux = (struct oci_selinux_options){.user = "u", .role = "r", .type = "t_t", .level = "s1"};
        spec = t_gen(t);
        assert_string_equal(jstr(spec, "process/selinuxLabel"), "u:r:t_t:s1");
        assert_string_equal(jstr(spec, "linux/mountLabel"), "u:object_r:container_file_t:s1");
        t->sb.security.is_privileged = true;
        t->in.security.is_privileged = true;
        assert_null(jp(t_gen(t), "process/selinuxLabel"));
}

static void set_apparmor(struct t *t, enum oci_profile_type type, const char *ref) {
        t->in.security.apparmor = (struct oci_security_profile){.is_set = true, .type = type, .localhost_ref = ref};
}

static void test_apparmor_absent_runtime_default_ignored(void **state) {
        struct t *t = *state;
        assert_null(jp(t_gen(t), "process/apparmorProfile"));
        set_apparmor(t, OCI_PROFILE_RUNTIME_DEFAULT, NULL);
        assert_null(jp(t_gen(t), "process/apparmorProfile"));
        t->in.security.apparmor.is_set = false;
        t->in.security.apparmor_profile = "runtime/default";
        assert_null(jp(t_gen(t), "process/apparmorProfile"));
        set_apparmor(t, OCI_PROFILE_UNCONFINED, NULL);
        assert_null(jp(t_gen(t), "process/apparmorProfile"));
}

static void test_apparmor_absent_localhost_refused(void **state) {
        struct t *t = *state;
        set_apparmor(t, OCI_PROFILE_LOCALHOST, "my-profile");
        const char *msg = t_gen_fails(t, CRIC_E_INVALID);
        assert_non_null(strstr(msg, "\"my-profile\" given but AppArmor is not enabled on this host"));
        t->in.security.apparmor.is_set = false;
        t->in.security.apparmor_profile = "localhost/other";
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "\"other\""));
}

static void test_apparmor_enabled(void **state) {
        struct t *t = *state;
        t->host.is_apparmor_enabled = true;
        assert_string_equal(jstr(t_gen(t), "process/apparmorProfile"), "cric-default");
        set_apparmor(t, OCI_PROFILE_RUNTIME_DEFAULT, NULL);
        assert_string_equal(jstr(t_gen(t), "process/apparmorProfile"), "cric-default");
        set_apparmor(t, OCI_PROFILE_LOCALHOST, "k8s-nginx");
        assert_string_equal(jstr(t_gen(t), "process/apparmorProfile"), "k8s-nginx");
        set_apparmor(t, OCI_PROFILE_LOCALHOST, "localhost/k8s-redis");
        assert_string_equal(jstr(t_gen(t), "process/apparmorProfile"), "k8s-redis");
        set_apparmor(t, OCI_PROFILE_UNCONFINED, NULL);
        assert_null(jp(t_gen(t), "process/apparmorProfile"));
        set_apparmor(t, OCI_PROFILE_LOCALHOST, "");
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "empty"));
        set_apparmor(t, 7, NULL);
        t_gen_fails(t, CRIC_E_INVALID);
}

static void test_apparmor_legacy_strings(void **state) {
        struct t *t = *state;
        t->host.is_apparmor_enabled = true;
        t->in.security.apparmor_profile = "unconfined";
        assert_null(jp(t_gen(t), "process/apparmorProfile"));
        t->in.security.apparmor_profile = "localhost/legacy";
        assert_string_equal(jstr(t_gen(t), "process/apparmorProfile"), "legacy");
        t->in.security.apparmor_profile = "bogus";
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "\"bogus\""));
}

static void test_apparmor_privileged(void **state) {
        struct t *t = *state;
        t->host.is_apparmor_enabled = true;
        t->sb.security.is_privileged = true;
        t->in.security.is_privileged = true;
        assert_null(jp(t_gen(t), "process/apparmorProfile"));
        set_apparmor(t, OCI_PROFILE_LOCALHOST, "explicit"); /* asked for by name: applied */
        assert_string_equal(jstr(t_gen(t), "process/apparmorProfile"), "explicit");
}

static void test_annotations(void **state) {
        struct t *t = *state;
        struct oci_kv a[] = {
                {"team", "web"}, {"io.kubernetes.cri.container-type", "spoofed"}, {NULL, "skipped"}, {"empty", ""}};
        t->in.annotations = a;
        t->in.n_annotations = 4;
        struct json_object *spec = t_gen(t);
        struct json_object *ann = jp(spec, "annotations");
        assert_string_equal(jstr(ann, "team"), "web");
        assert_string_equal(jstr(ann, "empty"), "");
        struct json_object *v = NULL;
        assert_true(json_object_object_get_ex(ann, "io.kubernetes.cri.container-type", &v));
        assert_string_equal(json_object_get_string(v), "container");
        assert_true(json_object_object_get_ex(ann, "io.kubernetes.cri.sandbox-id", &v));
        assert_string_equal(json_object_get_string(v), "sb1");
        assert_true(json_object_object_get_ex(ann, "io.kubernetes.cri.container-name", &v));
        assert_string_equal(json_object_get_string(v), "app");
        assert_true(json_object_object_get_ex(ann, "io.kubernetes.cri.image-name", &v));
        assert_string_equal(json_object_get_string(v), "docker.io/library/busybox:latest");
        assert_true(json_object_object_get_ex(ann, "io.kubernetes.cri.sandbox-namespace", &v));
        assert_string_equal(json_object_get_string(v), "default");
        assert_int_equal(json_object_object_length(ann), 9);
}

static void test_infra_annotations(void **state) {
        struct t *t = *state;
        struct oci_kv a[] = {{"pod-note", "x"}};
        t->sb.annotations = a;
        t->sb.n_annotations = 1;
        struct oci_infra_input infra = {.rootfs = "/infra", .sandbox = &t->sb};
        struct json_object *ann = jp(t_gen_infra(t, &infra), "annotations");
        assert_string_equal(jstr(ann, "pod-note"), "x");
        struct json_object *v = NULL;
        assert_true(json_object_object_get_ex(ann, "io.kubernetes.cri.container-type", &v));
        assert_string_equal(json_object_get_string(v), "sandbox");
        assert_false(json_object_object_get_ex(ann, "io.kubernetes.cri.container-name", &v));
}

static void test_frame(void **state) {
        struct t *t = *state;
        struct json_object *spec = t_gen(t);
        assert_string_equal(jstr(spec, "ociVersion"), "1.0.2");
        assert_string_equal(jstr(spec, "root/path"), t->rootfs);
        t->sb.utsns_path = NULL;
        assert_string_equal(jstr(t_gen(t), "hostname"), "web-0");
        t->in.rootfs = NULL;
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "no root file system"));
        t->in.rootfs = t->rootfs;
        t->in.sandbox = NULL;
        t_gen_fails(t, CRIC_E_INVALID);
        t->in.sandbox = &t->sb;
        t->in.id = "";
        t_gen_fails(t, CRIC_E_INVALID);
}

static void test_write_bundle(void **state) {
        struct t *t = *state;
        t_gen(t);
        AUTOFREE char *bundle = xasprintf("%s/bundle", t->dir);
        AUTOFREE char *path = xasprintf("%s/config.json", bundle);
        assert_int_equal(mkdir(bundle, 0700), 0);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(oci_spec_write_bundle(bundle, t->out, &err), 0);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        AUTOFREE char *data = NULL;
        assert_int_equal(fs_read_file(path, 1 << 22, &data, NULL, &err), 0);
        assert_string_equal(data, t->out);
        AUTOFREE char *missing = xasprintf("%s/nope", t->dir);
        assert_int_equal(oci_spec_write_bundle(missing, t->out, &err), -1);
        assert_non_null(strstr(err->msg, "write bundle"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                T_TEST(test_selinux_not_enabled),
                T_TEST(test_selinux_labels),
                T_TEST(test_apparmor_absent_runtime_default_ignored),
                T_TEST(test_apparmor_absent_localhost_refused),
                T_TEST(test_apparmor_enabled),
                T_TEST(test_apparmor_legacy_strings),
                T_TEST(test_apparmor_privileged),
                T_TEST(test_annotations),
                T_TEST(test_infra_annotations),
                T_TEST(test_frame),
                T_TEST(test_write_bundle),
        };
        return cmocka_run_group_tests_name("oci_spec_labels", tests, NULL, NULL);
}
