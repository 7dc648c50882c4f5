/* CDI: spec checks, qualified names, resolution in the spec dirs (unknown devices,
 * later dirs win, broken files left out) and the edits applied to config.json
 * (device nodes with the host node's numbers, mounts, env, hooks, GIDs). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "oci/cdi.h"
#include "oci/internal.h"
#include "util/yaml.h"
#include "util/strv.h"
#include "spec_test.h"

static const char spec_gpu[] =
        "{\"cdiVersion\": \"0.6.0\", \"kind\": \"vendor.com/gpu\","
        " \"containerEdits\": {\"env\": [\"GPU_DRIVER=1\"], \"additionalGIDs\": [0, 44]},"
        " \"devices\": ["
        "  {\"name\": \"0\", \"containerEdits\": {"
        "    \"env\": [\"GPU=0\", \"SHARED=cdi\"],"
        "    \"deviceNodes\": [{\"path\": \"/dev/gpu0\", \"hostPath\": \"/dev/null\", \"permissions\": \"rw\"}],"
        "    \"mounts\": [{\"hostPath\": \"/usr/lib/gpu\", \"containerPath\": \"/usr/lib/gpu\","
        "                  \"options\": [\"ro\"]}],"
        "    \"hooks\": [{\"hookName\": \"createContainer\", \"path\": \"/usr/bin/gpu-hook\","
        "                 \"args\": [\"gpu-hook\", \"setup\"], \"timeout\": 5}],"
        "    \"additionalGIDs\": [44, 45]}},"
        "  {\"name\": \"1\", \"containerEdits\": {"
        "    \"deviceNodes\": [{\"path\": \"/dev/gpu1\", \"type\": \"c\", \"major\": 195, \"minor\": 1,"
        "                       \"fileMode\": 432, \"uid\": 0, \"gid\": 44}]}}"
        "  ,{\"name\": \"2\", \"containerEdits\": {"
        "    \"deviceNodes\": [{\"path\": \"/dev/gpu2\", \"type\": \"u\", \"major\": 195, \"minor\": 2}]}}"
        " ]}";

static char *cdi_dir(struct t *t, const char *dir, const char *file, const char *data) {
        AUTOFREE char *rel = xasprintf("%s/%s", dir, file);
        free(t_file(t, rel, data));
        return xasprintf("%s/%s", t->dir, dir);
}

/* The container asks for names, looked up in dirs. */
static void ask(struct t *t, char **dirs, size_t n_dirs, char **names, size_t n_names) {
        t->in.cdi_spec_dirs = dirs;
        t->in.n_cdi_spec_dirs = n_dirs;
        t->in.cdi_devices = names;
        t->in.n_cdi_devices = n_names;
}

static struct json_object *find_by(struct json_object *spec, const char *list, const char *key, const char *value) {
        struct json_object *a = jp(spec, list);
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                struct json_object *v = jp(json_object_array_get_idx(a, i), key);
                if (v && strcmp(json_object_get_string(v), value) == 0)
                        return json_object_array_get_idx(a, i);
        }
        return NULL;
}

static size_t count_env(struct json_object *spec, const char *kv) {
        size_t n = 0;
        for (size_t i = 0; i < jlen(spec, "process/env"); i++)
                n += strcmp(json_object_get_string(json_object_array_get_idx(jp(spec, "process/env"), i)), kv) == 0;
        return n;
}

static int check(const char *json, struct cric_error **err) {
        AUTOJSON struct json_object *doc = NULL;
        if (json_parse_object(json, strlen(json), "spec", &doc, err) < 0)
                return -1;
        return cdi_spec_check(doc, err);
}

static void test_cdi_check_valid(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(check(spec_gpu, &err), 0);
        assert_int_equal(check("{\"cdiVersion\": \"0.5.0\", \"kind\": \"a-b.example.io/c_d\", \"devices\": "
                               "[{\"name\": \"mig-1:0.a\", \"containerEdits\": {}}]}",
                               &err),
                         0);
}

static void test_cdi_check_invalid(void **state) {
        (void) state;
        static const struct {
                const char *json, *msg;
        } cases[] = {
                {"{\"kind\": \"v.com/c\", \"devices\": [{\"name\": \"a\", \"containerEdits\": {}}]}",
                 "cdiVersion is missing"},
                {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"vendor\", \"devices\": [{\"name\": \"a\", "
                 "\"containerEdits\": {}}]}",
                 "kind \"vendor\" is not"},
                {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"v.com/c.x\", \"devices\": [{\"name\": \"a\", "
                 "\"containerEdits\": {}}]}",
                 "is not vendor.com/class"},
                {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"v.com/c\", \"devices\": []}", "devices is missing or empty"},
                {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"v.com/c\", \"devices\": [{\"name\": \"-a\", "
                 "\"containerEdits\": {}}]}",
                 "device name \"-a\" is invalid"},
                {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"v.com/c\", \"devices\": [{\"name\": \"a\"}]}",
                 "containerEdits is missing"},
                {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"v.com/c\", \"devices\": [{\"name\": \"a\", "
                 "\"containerEdits\": {}}, {\"name\": \"a\", \"containerEdits\": {}}]}",
                 "defined twice"},
                {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"v.com/c\", \"devices\": [{\"name\": \"a\", "
                 "\"containerEdits\": {\"env\": [\"NOVALUE\"]}}]}",
                 "env[0] is not KEY=VALUE"},
                {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"v.com/c\", \"devices\": [{\"name\": \"a\", "
                 "\"containerEdits\": {\"deviceNodes\": [{\"path\": \"dev/x\"}]}}]}",
                 "deviceNodes[0]: path must be an absolute path"},
                {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"v.com/c\", \"devices\": [{\"name\": \"a\", "
                 "\"containerEdits\": {\"deviceNodes\": [{\"path\": \"/dev/x\", \"type\": \"z\"}]}}]}",
                 "device type \"z\""},
                {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"v.com/c\", \"devices\": [{\"name\": \"a\", "
                 "\"containerEdits\": {\"deviceNodes\": [{\"path\": \"/dev/x\", \"major\": \"1\"}]}}]}",
                 "major is not an integer"},
                {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"v.com/c\", \"devices\": [{\"name\": \"a\", "
                 "\"containerEdits\": {\"deviceNodes\": [{\"path\": \"/dev/x\", \"permissions\": \"rx\"}]}}]}",
                 "permissions \"rx\""},
                {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"v.com/c\", \"devices\": [{\"name\": \"a\", "
                 "\"containerEdits\": {\"mounts\": [{\"containerPath\": \"/x\"}]}}]}",
                 "hostPath is missing"},
                {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"v.com/c\", \"devices\": [{\"name\": \"a\", "
                 "\"containerEdits\": {\"hooks\": [{\"hookName\": \"later\", \"path\": \"/bin/h\"}]}}]}",
                 "hookName \"later\" is not an OCI hook stage"},
                {"{\"cdiVersion\": \"0.6.0\", \"kind\": \"v.com/c\", \"devices\": [{\"name\": \"a\", "
                 "\"containerEdits\": {\"additionalGIDs\": [-1]}}]}",
                 "additionalGIDs[0] is out of range"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                int r = check(cases[i].json, &err);
                if (r == 0)
                        fail_msg("case %zu passed the check", i);
                const char *msg = testlib_error_is(r, &err, CRIC_E_INVALID);
                if (!strstr(msg, cases[i].msg))
                        fail_msg("case %zu: \"%s\" does not contain \"%s\"", i, msg, cases[i].msg);
        }
}

static void test_cdi_name_parse(void **state) {
        (void) state;
        AUTOFREE char *kind = NULL, *dev = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(cdi_name_parse("nvidia.com/gpu=all", &kind, &dev, &err), 0);
        assert_string_equal(kind, "nvidia.com/gpu");
        assert_string_equal(dev, "all");
        static const char *const bad[] = {"gpu0",   "nvidia.com/gpu", "nvidia.com=0",
                                          "/gpu=0", "v.com/gpu=",     "v.com/g=a b"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                CLEANUP(cric_error_freep) struct cric_error *e = NULL;
                char *k = NULL, *d = NULL;
                assert_non_null(
                        strstr(testlib_error_is(cdi_name_parse(bad[i], &k, &d, &e), &e, CRIC_E_INVALID), bad[i]));
                assert_null(k);
        }
}

static void test_cdi_requested(void **state) {
        struct t *t = *state;
        char *names[] = {"vendor.com/gpu=0", "vendor.com/gpu=1"};
        struct oci_kv ann[] = {{"cdi.k8s.io/plugin", " vendor.com/gpu=1 ,vendor.com/gpu=2"}, {"other", "x.com/y=z"}};
        t->in.cdi_devices = names;
        t->in.n_cdi_devices = 2;
        t->in.annotations = ann;
        t->in.n_annotations = 2;
        struct spec_ctx *c = &(struct spec_ctx){.in = &t->in};
        CLEANUP(strv_freep) char **v = cdi_requested(c);
        assert_int_equal(strv_length(v), 3);
        assert_string_equal(v[0], "vendor.com/gpu=0");
        assert_string_equal(v[1], "vendor.com/gpu=1");
        assert_string_equal(v[2], "vendor.com/gpu=2");
}

static void test_cdi_edits_applied(void **state) {
        struct t *t = *state;
        AUTOFREE char *dir = cdi_dir(t, "cdi", "gpu.json", spec_gpu);
        char *dirs[] = {dir};
        char *names[] = {"vendor.com/gpu=0", "vendor.com/gpu=1", "vendor.com/gpu=2"};
        ask(t, dirs, 1, names, 3);
        struct json_object *spec = t_gen(t);
        struct json_object *d0 = find_by(spec, "linux/devices", "path", "/dev/gpu0");
        assert_non_null(d0);
        assert_string_equal(jstr(d0, "type"), "c"); /* from /dev/null on the host */
        assert_int_equal(jint(d0, "major"), 1);
        assert_int_equal(jint(d0, "minor"), 3);
        assert_int_equal(jint(d0, "fileMode"), 0666);
        struct json_object *d1 = find_by(spec, "linux/devices", "path", "/dev/gpu1");
        assert_int_equal(jint(d1, "major"), 195);
        assert_int_equal(jint(d1, "fileMode"), 432);
        assert_int_equal(jint(d1, "gid"), 44);
        /* deny all first, then one allow rule per node */
        struct json_object *rules = jp(spec, "linux/resources/devices");
        size_t n = json_object_array_length(rules);
        assert_false(jbool(spec, "linux/resources/devices/0/allow"));
        assert_int_equal(jint(json_object_array_get_idx(rules, n - 3), "minor"), 3);
        assert_string_equal(jstr(json_object_array_get_idx(rules, n - 3), "access"), "rw");
        assert_int_equal(jint(json_object_array_get_idx(rules, n - 2), "major"), 195);
        assert_string_equal(jstr(json_object_array_get_idx(rules, n - 2), "access"), "rwm");
        /* described in full, no host node: no file mode made up; "u" is a "c" rule */
        struct json_object *d2 = find_by(spec, "linux/devices", "path", "/dev/gpu2");
        assert_string_equal(jstr(d2, "type"), "u");
        assert_null(jp(d2, "fileMode"));
        assert_string_equal(jstr(json_object_array_get_idx(rules, n - 1), "type"), "c");
        assert_int_equal(jint(json_object_array_get_idx(rules, n - 1), "minor"), 2);
        struct json_object *m = t_mount(spec, "/usr/lib/gpu");
        assert_string_equal(jstr(m, "source"), "/usr/lib/gpu");
        assert_string_equal(jstr(m, "type"), "bind");
        assert_true(jhas(m, "options", "rbind") && jhas(m, "options", "ro"));
        assert_int_equal(count_env(spec, "GPU=0"), 1);
        assert_int_equal(count_env(spec, "GPU_DRIVER=1"), 1);
        assert_int_equal(count_env(spec, "SHARED=cdi"), 1); /* replaces the image's */
        assert_int_equal(count_env(spec, "SHARED=image"), 0);
        assert_string_equal(jstr(spec, "hooks/createContainer/0/path"), "/usr/bin/gpu-hook");
        assert_string_equal(jstr(spec, "hooks/createContainer/0/args/1"), "setup");
        assert_int_equal(jint(spec, "hooks/createContainer/0/timeout"), 5);
        assert_int_equal(jlen(spec, "hooks/createContainer"), 1);
        /* GID 0 never added, 44 once although the spec and the device both name it */
        struct json_object *gids = jp(spec, "process/user/additionalGids");
        size_t n44 = 0, n45 = 0;
        for (size_t i = 0; i < json_object_array_length(gids); i++) {
                int64_t g = json_object_get_int64(json_object_array_get_idx(gids, i));
                n44 += g == 44;
                n45 += g == 45;
        }
        assert_int_equal(n44, 1);
        assert_int_equal(n45, 1);
}

static void test_cdi_annotation_dedup(void **state) {
        struct t *t = *state;
        AUTOFREE char *dir = cdi_dir(t, "cdi", "gpu.json", spec_gpu);
        char *dirs[] = {dir};
        char *names[] = {"vendor.com/gpu=0"};
        struct oci_kv ann[] = {{"cdi.k8s.io/gpu", "vendor.com/gpu=0"}};
        t->in.cdi_spec_dirs = dirs;
        t->in.n_cdi_spec_dirs = 1;
        t->in.annotations = ann;
        t->in.n_annotations = 1;
        struct json_object *spec = t_gen(t);
        assert_non_null(find_by(spec, "linux/devices", "path", "/dev/gpu0"));
        assert_null(find_by(spec, "linux/devices", "path", "/dev/gpu1"));
        t->in.cdi_devices = names;
        t->in.n_cdi_devices = 1;
        spec = t_gen(t);
        assert_int_equal(jlen(spec, "hooks/createContainer"), 1);
        assert_int_equal(count_env(spec, "GPU=0"), 1);
}

static void test_cdi_unknown_device(void **state) {
        struct t *t = *state;
        AUTOFREE char *dir = cdi_dir(t, "cdi", "gpu.json", spec_gpu);
        char *dirs[] = {dir, "/nonexistent-cric-cdi"};
        char *names[] = {"vendor.com/gpu=7", "vendor.com/gpu=0", "other.com/x=0"};
        ask(t, dirs, 2, names, 3);
        const char *msg = t_gen_fails(t, CRIC_E_NOT_FOUND);
        assert_non_null(strstr(msg, "unresolvable CDI devices: vendor.com/gpu=7, other.com/x=0"));
        names[0] = "gpu7";
        t->in.n_cdi_devices = 1;
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_INVALID), "\"gpu7\" is not a qualified CDI device name"));
        /* no spec dirs at all */
        names[0] = "vendor.com/gpu=0";
        t->in.n_cdi_spec_dirs = 0;
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_NOT_FOUND), "vendor.com/gpu=0"));
}

static void test_cdi_later_dir_wins(void **state) {
        struct t *t = *state;
        static const char fmt[] = "{\"cdiVersion\": \"0.6.0\", \"kind\": \"v.com/c\", \"devices\": [{\"name\": \"a\", "
                                  "\"containerEdits\": {\"env\": [\"FROM=%s\"]}}]}";
        AUTOFREE char *s1 = xasprintf(fmt, "etc"), *s2 = xasprintf(fmt, "run");
        AUTOFREE char *d1 = cdi_dir(t, "etc-cdi", "c.json", s1), *d2 = cdi_dir(t, "run-cdi", "c.json", s2);
        /* broken specs (JSON, YAML) and other files are left out; the valid ones still count */
        free(cdi_dir(t, "run-cdi", "broken.json", "{\"cdiVersion\": \"0.6.0\", \"kind\": \"v.com/c\"}"));
        free(cdi_dir(t, "run-cdi", "z.yaml", "cdiVersion: 0.6.0\n"));
        free(cdi_dir(t, "run-cdi", "notes.txt", "not a spec"));
        char *dirs[] = {d1, d2};
        char *names[] = {"v.com/c=a"};
        ask(t, dirs, 2, names, 1);
        struct testlib_capture cap;
        testlib_capture_stderr(&cap);
        struct json_object *spec = t_gen(t);
        AUTOFREE char *log = testlib_capture_end(&cap);
        assert_int_equal(count_env(spec, "FROM=run"), 1);
        assert_int_equal(count_env(spec, "FROM=etc"), 0);
        assert_non_null(strstr(log, "broken.json"));
        assert_non_null(strstr(log, "z.yaml"));
        dirs[0] = d2;
        dirs[1] = d1;
        spec = t_gen(t);
        assert_int_equal(count_env(spec, "FROM=etc"), 1);
}

static void test_cdi_missing_host_node(void **state) {
        struct t *t = *state;
        AUTOFREE char *dir = cdi_dir(t, "cdi", "x.json",
                                     "{\"cdiVersion\": \"0.6.0\", \"kind\": \"v.com/c\", \"devices\": [{\"name\": "
                                     "\"a\", \"containerEdits\": {\"deviceNodes\": [{\"path\": "
                                     "\"/dev/nonexistent-cric-cdi\"}]}}]}");
        char *dirs[] = {dir};
        char *names[] = {"v.com/c=a"};
        ask(t, dirs, 1, names, 1);
        assert_non_null(strstr(t_gen_fails(t, CRIC_E_NOT_FOUND),
                               "container \"app\": CDI device v.com/c=a: device node /dev/nonexistent-cric-cdi"));
}

static void test_cdi_none_requested(void **state) {
        struct t *t = *state;
        char *dirs[] = {"/nonexistent-cric-cdi"};
        t->in.cdi_spec_dirs = dirs;
        t->in.n_cdi_spec_dirs = 1;
        struct json_object *spec = t_gen(t);
        assert_null(jp(spec, "hooks"));
}

static const char spec_yaml[] =
        "---\n"
        "cdiVersion: 0.6.0\n"
        "kind: vendor.com/npu\n"
        "containerEdits:\n"
        "  env: [NPU_DRIVER=1]\n"
        "devices:\n"
        "- name: \"0\"\n"
        "  containerEdits:\n"
        "    deviceNodes:\n"
        "    - path: /dev/npu0\n"
        "      hostPath: /dev/null\n"
        "      fileMode: 0660\n"
        "      gid: 0x2c\n"
        "    mounts:\n"
        "    - {hostPath: /opt/npu, containerPath: /opt/npu, type: bind, options: [ro, rbind]}\n"
        "    hooks:\n"
        "    - hookName: poststop\n"
        "      path: /usr/bin/npu-hook\n"
        "      args: [\"npu-hook\", \"yes\"]\n"
        "    additionalGIDs: [44]\n";

static void test_yaml_parse_json(void **state) {
        (void) state;
        AUTOJSON struct json_object *doc = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(yaml_parse_json(spec_yaml, strlen(spec_yaml), "npu.yaml", &doc, &err), 0);
        assert_int_equal(cdi_spec_check(doc, &err), 0);
        assert_string_equal(jstr(doc, "devices/0/name"), "0"); /* quoted: a string */
        assert_int_equal(jint(doc, "devices/0/containerEdits/deviceNodes/0/fileMode"), 0660);
        assert_int_equal(jint(doc, "devices/0/containerEdits/deviceNodes/0/gid"), 44);
        assert_string_equal(jstr(doc, "devices/0/containerEdits/hooks/0/args/1"), "yes");
        static const char *const bad[] = {"cdiVersion: [\n", "- a\n- b\n", "a: *nope\n", ""};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                CLEANUP(cric_error_freep) struct cric_error *e = NULL;
                struct json_object *o = NULL;
                testlib_error_is(yaml_parse_json(bad[i], strlen(bad[i]), "bad.yaml", &o, &e), &e, CRIC_E_INVALID);
                assert_null(o);
        }
        /* a quoted number is a string, which the check refuses */
        static const char quoted[] = "cdiVersion: 0.6.0\nkind: v.com/c\ndevices:\n- name: a\n  containerEdits:\n"
                                     "    deviceNodes: [{path: /dev/x, major: \"1\"}]\n";
        json_putp(&doc);
        assert_int_equal(yaml_parse_json(quoted, strlen(quoted), "q.yaml", &doc, &err), 0);
        assert_non_null(strstr(testlib_error_is(cdi_spec_check(doc, &err), &err, CRIC_E_INVALID), "major"));
}

static void test_cdi_yaml_spec_applied(void **state) {
        struct t *t = *state;
        AUTOFREE char *dir = cdi_dir(t, "cdi", "npu.yaml", spec_yaml);
        char *dirs[] = {dir};
        char *names[] = {"vendor.com/npu=0"};
        ask(t, dirs, 1, names, 1);
        struct json_object *spec = t_gen(t);
        struct json_object *d = find_by(spec, "linux/devices", "path", "/dev/npu0");
        assert_int_equal(jint(d, "major"), 1);
        assert_int_equal(jint(d, "fileMode"), 0660);
        assert_int_equal(jint(d, "gid"), 44);
        assert_true(jhas(t_mount(spec, "/opt/npu"), "options", "rbind"));
        assert_false(jhas(t_mount(spec, "/opt/npu"), "options", "bind"));
        assert_string_equal(jstr(spec, "hooks/poststop/0/path"), "/usr/bin/npu-hook");
        assert_int_equal(count_env(spec, "NPU_DRIVER=1"), 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cdi_check_valid),
                cmocka_unit_test(test_cdi_check_invalid),
                cmocka_unit_test(test_cdi_name_parse),
                cmocka_unit_test(test_yaml_parse_json),
                T_TEST(test_cdi_requested),
                T_TEST(test_cdi_edits_applied),
                T_TEST(test_cdi_annotation_dedup),
                T_TEST(test_cdi_unknown_device),
                T_TEST(test_cdi_later_dir_wins),
                T_TEST(test_cdi_missing_host_node),
                T_TEST(test_cdi_none_requested),
                T_TEST(test_cdi_yaml_spec_applied),
        };
        return cmocka_run_group_tests_name("oci_cdi", tests, NULL, NULL);
}
