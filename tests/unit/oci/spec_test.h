/* Shared fixture of the OCI spec tests: a default host, pod and container (busybox-like
 * image, a temp rootfs with /etc/passwd and /etc/group), generation that parses the
 * result with json-c and path lookups into it (stderr capture is testlib's).
 * Include after cmocka.h. */
#ifndef CRIC_TESTS_OCI_SPEC_TEST_H
#define CRIC_TESTS_OCI_SPEC_TEST_H

#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/oci.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

#define ALL_CAPS_MASK ((UINT64_C(1) << 41) - 1)

static const char test_passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                                  "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                                  "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n"
                                  "bob:x:1001:1001::/home/bob:/bin/sh\r\n"
                                  "malformed line\n"
                                  "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
static const char test_group[] = "root:x:0:\n"
                                 "daemon:x:1:\n"
                                 "wheel:x:10:alice,bob\n"
                                 "alice:x:1000:\n"
                                 "bob:x:1001:\n"
                                 "audio:x:29:bob\n"
                                 "staff:x:50:carol,alice\n"
                                 "nogroup:x:65534:\n";

struct t {
        char *dir; /* temp dir: rootfs/, files/ */
        char *rootfs;
        struct oci_host host;
        struct oci_sandbox sb;
        struct oci_image_defaults img;
        struct oci_container_input in;
        char *out; /* last generated JSON */
        struct json_object *spec;
        struct cric_error *err;
};

static char *img_entrypoint[] = {"/bin/entry"};
static char *img_cmd[] = {"serve", "--port=80"};
static char *img_env[] = {"PATH=/image/bin:/bin", "IMG=1", "SHARED=image"};

static inline void t_write(const char *path, const char *data) {
        struct cric_error *err = NULL;
        if (fs_write_file_atomic(path, data, strlen(data), 0644, &err) < 0)
                fail_msg("write %s: %s", path, err->msg);
}

/* Writes rel (a path under t->dir) with data and returns the full path (owned by caller). */
static inline char *t_file(struct t *t, const char *rel, const char *data) {
        char *p = xasprintf("%s/%s", t->dir, rel);
        char *slash = strrchr(p, '/');
        *slash = '\0';
        struct cric_error *err = NULL;
        if (fs_mkdir_p(p, 0755, &err) < 0)
                fail_msg("mkdir %s: %s", p, err->msg);
        *slash = '/';
        t_write(p, data);
        return p;
}

static inline int t_setup(void **state) {
        struct t *t = xzalloc(sizeof(*t));
        t->dir = testlib_tmpdir("oci-test");
        free(t_file(t, "rootfs/etc/passwd", test_passwd));
        free(t_file(t, "rootfs/etc/group", test_group));
        t->rootfs = xasprintf("%s/rootfs", t->dir);
        t->host = (struct oci_host){
                .cgroup_driver = OCI_CGROUP_CGROUPFS,
                .has_swap_accounting = true,
                .cap_bounding = ALL_CAPS_MASK,
        };
        t->sb = (struct oci_sandbox){
                .id = "sb1",
                .pod_name = "web",
                .pod_namespace = "default",
                .pod_uid = "uid-1",
                .hostname = "web-0",
                .cgroup_parent = "/kubepods/pod1",
                .netns_path = "/run/cric/ns/net/sb1",
                .ipcns_path = "/run/cric/ns/ipc/sb1",
                .utsns_path = "/run/cric/ns/uts/sb1",
                .resolv_conf_path = "/run/cric/sb1/resolv.conf",
                .hosts_path = "/run/cric/sb1/hosts",
                .hostname_path = "/run/cric/sb1/hostname",
        };
        t->img = (struct oci_image_defaults){
                .name = "docker.io/library/busybox:latest",
                .entrypoint = img_entrypoint,
                .n_entrypoint = 1,
                .cmd = img_cmd,
                .n_cmd = 2,
                .env = img_env,
                .n_env = 3,
                .working_dir = "/srv",
        };
        t->in = (struct oci_container_input){
                .id = "c1",
                .name = "app",
                .rootfs = t->rootfs,
                .image = &t->img,
                .sandbox = &t->sb,
        };
        *state = t;
        return 0;
}

static inline int t_teardown(void **state) {
        struct t *t = *state;
        int r = testlib_rmtree(t->dir);
        json_object_put(t->spec);
        cric_error_free(t->err);
        free(t->out);
        free(t->rootfs);
        free(t->dir);
        free(t);
        return r;
}

static inline struct json_object *t_parse(struct t *t, const char *json) {
        json_putp(&t->spec);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (json_parse_object(json, strlen(json), "generated spec", &t->spec, &err) < 0)
                fail_msg("%s:\n%s", err->msg, json);
        return t->spec;
}

/* Generates the container spec (or the infra spec when infra is given); fails the test on error. */
static inline struct json_object *t_gen(struct t *t) {
        free(t->out);
        t->out = NULL;
        cric_error_free(t->err);
        t->err = NULL;
        if (oci_spec_generate(&t->in, &t->host, &t->out, &t->err) < 0)
                fail_msg("oci_spec_generate failed: %s", t->err->msg);
        return t_parse(t, t->out);
}

static inline struct json_object *t_gen_infra(struct t *t, const struct oci_infra_input *infra) {
        free(t->out);
        t->out = NULL;
        cric_error_free(t->err);
        t->err = NULL;
        if (oci_spec_generate_infra(infra, &t->host, &t->out, &t->err) < 0)
                fail_msg("oci_spec_generate_infra failed: %s", t->err->msg);
        return t_parse(t, t->out);
}

/* Expects failure of the given kind; returns the message (owned by t). */
static inline const char *t_gen_fails(struct t *t, enum cric_error_kind kind) {
        char *out = NULL;
        cric_error_free(t->err);
        t->err = NULL;
        int r = oci_spec_generate(&t->in, &t->host, &out, &t->err);
        if (r == 0) {
                free(out);
                fail_msg("oci_spec_generate succeeded, expected %s", cric_error_kind_name(kind));
        }
        assert_null(out);
        return testlib_error_is(r, &t->err, kind);
}

/* Looks up "a/b/0/c" (numbers index arrays). NULL when absent. */
static inline struct json_object *jp(struct json_object *o, const char *path) {
        AUTOFREE char *p = xstrdup(path);
        char *save = NULL;
        for (char *k = strtok_r(p, "/", &save); k && o; k = strtok_r(NULL, "/", &save)) {
                if (json_object_is_type(o, json_type_array)) {
                        char *end = NULL;
                        long i = strtol(k, &end, 10);
                        o = *end || i < 0 ? NULL : json_object_array_get_idx(o, (size_t) i);
                } else if (!json_object_object_get_ex(o, k, &o)) {
                        o = NULL;
                }
        }
        return o;
}

static inline const char *jstr(struct json_object *o, const char *path) {
        struct json_object *v = jp(o, path);
        if (!v || !json_object_is_type(v, json_type_string))
                fail_msg("%s is not a string", path);
        return json_object_get_string(v);
}

static inline int64_t jint(struct json_object *o, const char *path) {
        struct json_object *v = jp(o, path);
        if (!v || !json_object_is_type(v, json_type_int))
                fail_msg("%s is not an integer", path);
        return json_object_get_int64(v);
}

static inline bool jbool(struct json_object *o, const char *path) {
        struct json_object *v = jp(o, path);
        if (!v || !json_object_is_type(v, json_type_boolean))
                fail_msg("%s is not a boolean", path);
        return json_object_get_boolean(v);
}

static inline size_t jlen(struct json_object *o, const char *path) {
        struct json_object *v = jp(o, path);
        if (!v || !json_object_is_type(v, json_type_array))
                fail_msg("%s is not an array", path);
        return json_object_array_length(v);
}

/* Whether the string array at path holds s. */
static inline bool jhas(struct json_object *o, const char *path, const char *s) {
        size_t n = jlen(o, path);
        struct json_object *a = jp(o, path);
        for (size_t i = 0; i < n; i++)
                if (strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s) == 0)
                        return true;
        return false;
}

/* The mount object with that destination, or NULL. */
static inline struct json_object *t_mount(struct json_object *spec, const char *dest) {
        struct json_object *m = jp(spec, "mounts");
        for (size_t i = 0; m && i < json_object_array_length(m); i++)
                if (strcmp(jstr(json_object_array_get_idx(m, i), "destination"), dest) == 0)
                        return json_object_array_get_idx(m, i);
        return NULL;
}

static inline size_t t_mount_index(struct json_object *spec, const char *dest) {
        struct json_object *m = jp(spec, "mounts");
        for (size_t i = 0; m && i < json_object_array_length(m); i++)
                if (strcmp(jstr(json_object_array_get_idx(m, i), "destination"), dest) == 0)
                        return i;
        fail_msg("no mount at %s", dest);
        return 0;
}

/* The namespace entry of that type, or NULL. */
static inline struct json_object *t_ns(struct json_object *spec, const char *type) {
        struct json_object *ns = jp(spec, "linux/namespaces");
        for (size_t i = 0; ns && i < json_object_array_length(ns); i++)
                if (strcmp(jstr(json_object_array_get_idx(ns, i), "type"), type) == 0)
                        return json_object_array_get_idx(ns, i);
        return NULL;
}

#define T_TEST(fn) cmocka_unit_test_setup_teardown(fn, t_setup, t_teardown)

#endif
