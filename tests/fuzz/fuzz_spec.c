/* libFuzzer target for OCI spec generation (src/oci/): the input is a small JSON
 * description of a container (and its pod, image, host, /etc/passwd and /etc/group,
 * and a Localhost seccomp profile), read into struct oci_container_input (tolerantly:
 * members of the wrong type are left out), then generated. It must never crash; a
 * success must be a strictly valid JSON object with the parts every spec has, a failure
 * an error of a known kind with a message.
 *
 * File system effects stay in a private temp dir: mount host paths are mapped to a few
 * directories in it, device host paths to a fixed list, seccomp profile paths to its
 * profile file (or a missing one), privileged /dev walks to an empty directory. */
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/oci.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/rm.h"
#include "util/xalloc.h"

static char *tmp;     /* private temp dir, made on first use */
static char *dev_dir; /* an empty stand-in for /dev */

static void cleanup(void) {
        struct cric_error *err = NULL;
        if (tmp && rm_rf(tmp, &err) < 0)
                cric_error_free(err);
        free(tmp);
        free(dev_dir);
}

static void die(const char *what) {
        fprintf(stderr, "fuzz_spec: %s\n", what);
        abort();
}

static void init(void) {
        if (tmp)
                return;
        char tmpl[] = "/tmp/cric-fuzz-spec.XXXXXX";
        if (!mkdtemp(tmpl))
                die("mkdtemp");
        tmp = xstrdup(tmpl);
        dev_dir = xasprintf("%s/dev", tmp);
        atexit(cleanup);
        log_set_level(LOG_LEVEL_ERROR);
        char *dirs[] = {"rootfs/etc", "m", "dev"};
        for (size_t i = 0; i < 3; i++) {
                char *p = xasprintf("%s/%s", tmp, dirs[i]);
                struct cric_error *err = NULL;
                if (fs_mkdir_p(p, 0755, &err) < 0)
                        die(err->msg);
                free(p);
        }
}

/* Everything allocated for one input, freed together. */
struct arena {
        void **p;
        size_t n, cap;
};

static void *keep(struct arena *a, void *p) {
        a->p = xgrow(a->p, &a->cap, a->n + 1, sizeof(void *));
        a->p[a->n++] = p;
        return p;
}

static void arena_free(struct arena *a) {
        for (size_t i = 0; i < a->n; i++)
                free(a->p[i]);
        free(a->p);
}

static struct json_object *get(struct json_object *o, const char *key) {
        struct json_object *v = NULL;
        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *str(struct json_object *o, const char *key) {
        struct json_object *v = get(o, key);
        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static bool flag(struct json_object *o, const char *key) {
        return json_object_get_boolean(get(o, key)); /* NULL is false */
}

static int64_t num(struct json_object *o, const char *key) {
        return json_object_get_int64(get(o, key)); /* NULL is 0; strings are parsed */
}

static size_t strv(struct arena *a, struct json_object *o, const char *key, char ***ret) {
        struct json_object *v = get(o, key);
        size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
        char **out = keep(a, xcalloc(n + 1, sizeof(char *)));
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                struct json_object *s = json_object_array_get_idx(v, i);
                if (json_object_is_type(s, json_type_string))
                        out[k++] = (char *) json_object_get_string(s);
        }
        *ret = out;
        return k;
}

static size_t kvs(struct arena *a, struct json_object *o, const char *key, const struct oci_kv **ret) {
        struct json_object *v = get(o, key);
        size_t n = json_object_is_type(v, json_type_object) ? (size_t) json_object_object_length(v) : 0, k = 0;
        struct oci_kv *out = keep(a, xcalloc(n + 1, sizeof(*out)));
        if (n > 0) {
                json_object_object_foreach(v, name, val) {
                        out[k].key = name;
                        out[k++].value =
                                json_object_is_type(val, json_type_string) ? json_object_get_string(val) : NULL;
                }
        }
        *ret = out;
        return k;
}

/* A mount host path: one of eight directories (maybe not there yet) in the temp dir. */
static const char *host_dir(struct arena *a, const char *name) {
        unsigned h = 0;
        for (const char *p = name ? name : ""; *p; p++)
                h = h * 31 + (unsigned char) *p;
        return keep(a, xasprintf("%s/m/d%u", tmp, h % 8));
}

static const char *device_path(struct arena *a, int64_t i) {
        static const char *const fixed[] = {"/dev/null", "/dev/zero", "/dev/full", "", "relative"};
        uint64_t k = (uint64_t) i % 7;
        if (k < 5)
                return fixed[k];
        return keep(a, xasprintf(k == 5 ? "%s/rootfs/etc" : "%s/nonexistent", tmp));
}

/* "@" is the input's own profile; other absolute paths become a missing file. */
static const char *profile_path(struct arena *a, const char *ref) {
        if (!ref || ref[0] == '@')
                return ref ? keep(a, xasprintf("%s/profile.json", tmp)) : NULL;
        return ref[0] == '/' ? keep(a, xasprintf("%s/missing.json", tmp)) : ref;
}

static const char *legacy_path(struct arena *a, const char *s) {
        if (!s || strncmp(s, "localhost/", 10) != 0)
                return s;
        return keep(a, xasprintf("localhost/%s", profile_path(a, s + 10)));
}

static void read_mounts(struct arena *a, struct json_object *o, struct oci_container_input *in) {
        struct json_object *v = get(o, "mounts");
        size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
        struct oci_mount *m = keep(a, xcalloc(n + 1, sizeof(*m)));
        for (size_t i = 0; i < n; i++) {
                struct json_object *e = json_object_array_get_idx(v, i);
                const char *host = str(e, "host");
                m[i] = (struct oci_mount){
                        .container_path = str(e, "container_path"),
                        .host_path = host && host[0] != '/' ? host : host_dir(a, host),
                        .is_readonly = flag(e, "readonly"),
                        .selinux_relabel = flag(e, "relabel"),
                        .is_recursive_read_only = flag(e, "rro"),
                        .propagation = (enum oci_propagation) num(e, "propagation"),
                };
        }
        in->mounts = m;
        in->n_mounts = n;
}

static void read_devices(struct arena *a, struct json_object *o, struct oci_container_input *in) {
        struct json_object *v = get(o, "devices");
        size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
        struct oci_device *d = keep(a, xcalloc(n + 1, sizeof(*d)));
        for (size_t i = 0; i < n; i++) {
                struct json_object *e = json_object_array_get_idx(v, i);
                d[i] = (struct oci_device){.container_path = str(e, "container_path"),
                                           .host_path = device_path(a, num(e, "host")),
                                           .permissions = str(e, "permissions")};
        }
        in->devices = d;
        in->n_devices = n;
}

static void read_resources(struct arena *a, struct json_object *o, struct oci_resources *r) {
        *r = (struct oci_resources){
                .cpu_period = num(o, "cpu_period"),
                .cpu_quota = num(o, "cpu_quota"),
                .cpu_shares = num(o, "cpu_shares"),
                .memory_limit_in_bytes = num(o, "memory"),
                .memory_swap_limit_in_bytes = num(o, "swap"),
                .oom_score_adj = num(o, "oom_score_adj"),
                .cpuset_cpus = str(o, "cpus"),
                .cpuset_mems = str(o, "mems"),
        };
        struct json_object *h = get(o, "hugepages");
        size_t n = json_object_is_type(h, json_type_array) ? json_object_array_length(h) : 0;
        struct oci_hugepage_limit *hp = keep(a, xcalloc(n + 1, sizeof(*hp)));
        for (size_t i = 0; i < n; i++) {
                struct json_object *e = json_object_array_get_idx(h, i);
                hp[i] = (struct oci_hugepage_limit){.page_size = str(e, "page_size"),
                                                    .limit = (uint64_t) num(e, "limit")};
        }
        r->hugepage_limits = hp;
        r->n_hugepage_limits = n;
        r->n_unified = kvs(a, o, "unified", &r->unified);
}

static struct oci_security_profile profile(struct arena *a, struct json_object *o, bool is_seccomp) {
        if (!o)
                return (struct oci_security_profile){0};
        const char *ref = str(o, "ref");
        return (struct oci_security_profile){.is_set = true,
                                             .type = (enum oci_profile_type) num(o, "type"),
                                             .localhost_ref = is_seccomp ? profile_path(a, ref) : ref};
}

static void read_security(struct arena *a, struct json_object *o, struct oci_security_context *s) {
        struct json_object *ns = get(o, "ns"), *se = get(o, "selinux");
        char **v;
        *s = (struct oci_security_context){
                .is_privileged = flag(o, "privileged"),
                .is_readonly_rootfs = flag(o, "readonly_rootfs"),
                .no_new_privs = flag(o, "no_new_privs"),
                .ns = {.network = (enum oci_ns_mode) num(ns, "network"),
                       .pid = (enum oci_ns_mode) num(ns, "pid"),
                       .ipc = (enum oci_ns_mode) num(ns, "ipc"),
                       .target_pid_ns_path = str(ns, "target")},
                .has_run_as_user = get(o, "run_as_user") != NULL,
                .run_as_user = num(o, "run_as_user"),
                .has_run_as_group = get(o, "run_as_group") != NULL,
                .run_as_group = num(o, "run_as_group"),
                .run_as_username = str(o, "run_as_username"),
                .groups_policy = (enum oci_groups_policy) num(o, "groups_policy"),
                .seccomp = profile(a, get(o, "seccomp"), true),
                .apparmor = profile(a, get(o, "apparmor"), false),
                .seccomp_profile_path = legacy_path(a, str(o, "seccomp_path")),
                .apparmor_profile = str(o, "apparmor_profile"),
                .selinux = {str(se, "user"), str(se, "role"), str(se, "type"), str(se, "level")},
        };
        s->caps.n_add = strv(a, o, "add", &v);
        s->caps.add = v;
        s->caps.n_drop = strv(a, o, "drop", &v);
        s->caps.drop = v;
        s->caps.n_add_ambient = strv(a, o, "ambient", &v);
        s->caps.add_ambient = v;
        s->n_masked_paths = strv(a, o, "masked", &v);
        s->masked_paths = v;
        s->n_readonly_paths = strv(a, o, "readonly", &v);
        s->readonly_paths = v;
        struct json_object *g = get(o, "groups");
        size_t n = json_object_is_type(g, json_type_array) ? json_object_array_length(g) : 0;
        int64_t *groups = keep(a, xcalloc(n + 1, sizeof(*groups)));
        for (size_t i = 0; i < n; i++)
                groups[i] = json_object_get_int64(json_object_array_get_idx(g, i));
        s->supplemental_groups = groups;
        s->n_supplemental_groups = n;
}

static void read_sandbox(struct arena *a, struct json_object *o, struct oci_sandbox *sb) {
        *sb = (struct oci_sandbox){
                .id = str(o, "id") ? str(o, "id") : "sb",
                .pod_name = str(o, "name"),
                .hostname = str(o, "hostname"),
                .cgroup_parent = str(o, "cgroup_parent"),
                .netns_path = str(o, "netns"),
                .ipcns_path = str(o, "ipcns"),
                .utsns_path = str(o, "utsns"),
                .pause_pid = (pid_t) num(o, "pause_pid"),
                .resolv_conf_path = str(o, "resolv_conf"),
                .hosts_path = str(o, "hosts"),
                .hostname_path = str(o, "hostname_file"),
                .shm_path = str(o, "shm"),
                .shm_size_bytes = (uint64_t) num(o, "shm_size"),
        };
        sb->n_sysctls = kvs(a, o, "sysctls", &sb->sysctls);
        sb->n_annotations = kvs(a, o, "annotations", &sb->annotations);
        read_security(a, get(o, "security"), &sb->security);
}

static void read_host(struct json_object *o, struct oci_host *h) {
        struct json_object *b = get(o, "bounding");
        *h = (struct oci_host){
                .cgroup_driver = (enum oci_cgroup_driver) num(o, "driver"),
                .is_cgroup_v2 = flag(o, "v2"),
                .has_swap_accounting = flag(o, "swap"),
                .cap_bounding = b ? (uint64_t) json_object_get_int64(b) : ~UINT64_C(0),
                .oom_score_adj = (int) num(o, "oom_score_adj"),
                .is_selinux_enabled = flag(o, "selinux"),
                .is_apparmor_enabled = flag(o, "apparmor"),
                .supports_recursive_read_only = flag(o, "rro"),
                .dev_path = dev_dir,
        };
}

static void put(const char *rel, const char *data) {
        char *path = xasprintf("%s/%s", tmp, rel);
        struct cric_error *err = NULL;
        if (data) {
                if (fs_write_file_atomic(path, data, strlen(data), 0644, &err) < 0)
                        die(err->msg);
        } else {
                unlink(path);
        }
        free(path);
}

static void read_input(struct arena *a, struct json_object *o, struct oci_container_input *in, struct oci_sandbox *sb,
                       struct oci_image_defaults *img) {
        struct json_object *im = get(o, "image");
        char **v;
        *img = (struct oci_image_defaults){
                .name = str(im, "name"), .working_dir = str(im, "working_dir"), .user = str(im, "user")};
        img->n_entrypoint = strv(a, im, "entrypoint", &v);
        img->entrypoint = v;
        img->n_cmd = strv(a, im, "cmd", &v);
        img->cmd = v;
        img->n_env = strv(a, im, "env", &v);
        img->env = v;
        read_sandbox(a, get(o, "sandbox"), sb);
        char *rootfs = keep(a, xasprintf("%s/rootfs", tmp));
        *in = (struct oci_container_input){
                .id = str(o, "id") ? str(o, "id") : "c",
                .name = str(o, "name"),
                .rootfs = get(o, "rootfs") ? str(o, "rootfs") : rootfs,
                .working_dir = str(o, "working_dir"),
                .tty = flag(o, "tty"),
                .image = im ? img : NULL,
                .sandbox = sb,
        };
        in->n_command = strv(a, o, "command", &v);
        in->command = v;
        in->n_args = strv(a, o, "args", &v);
        in->args = v;
        in->n_env = strv(a, o, "env", &v);
        in->env = v;
        in->n_annotations = kvs(a, o, "annotations", &in->annotations);
        read_mounts(a, o, in);
        read_devices(a, o, in);
        read_resources(a, get(o, "resources"), &in->resources);
        read_security(a, get(o, "security"), &in->security);
}

static void check(int r, char *json, struct cric_error *err) {
        if (r < 0) {
                if (json || !err || !err->msg || !*err->msg || err->kind < 0 || err->kind >= CRIC_E_KIND_MAX)
                        die("bad failure");
                return;
        }
        if (r != 0 || err || !json)
                die("bad success");
        struct json_object *spec = NULL, *v = NULL;
        if (json_parse_object(json, strlen(json), "spec", &spec, NULL) < 0)
                die("output is not a JSON object");
        if (!json_object_object_get_ex(spec, "ociVersion", &v) || !json_object_object_get_ex(spec, "root", &v) ||
            !json_object_object_get_ex(spec, "mounts", &v) || !json_object_object_get_ex(spec, "process", &v) ||
            !json_object_object_get_ex(v, "args", &v) || json_object_array_length(v) == 0)
                die("output lacks a part every spec has");
        json_object_put(spec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        init();
        /* Read with the daemon's own strict parser: the image fields it models come from
         * image configs, which pass it too, so their strings are valid UTF-8; and the
         * output check below holds the generated spec to the same rules. */
        struct json_object *o = NULL;
        if (json_parse_object((const char *) data, size, NULL, &o, NULL) < 0)
                return 0;
        put("rootfs/etc/passwd", str(o, "passwd"));
        put("rootfs/etc/group", str(o, "group"));
        put("profile.json", str(o, "seccomp_profile"));
        struct arena a = {0};
        struct oci_container_input in;
        struct oci_sandbox sb;
        struct oci_image_defaults img;
        struct oci_host host;
        read_input(&a, o, &in, &sb, &img);
        read_host(get(o, "host"), &host);
        char *json = NULL;
        struct cric_error *err = NULL;
        int r;
        if (flag(o, "infra")) {
                struct oci_infra_input infra = {.rootfs = in.rootfs, .pause_path = str(o, "pause"), .sandbox = &sb};
                r = oci_spec_generate_infra(&infra, &host, &json, &err);
        } else {
                r = oci_spec_generate(&in, &host, &json, &err);
        }
        check(r, json, err);
        if (getenv("FUZZ_SPEC_VERBOSE")) /* to see what seeds reach */
                fprintf(stderr, "%s\n", r == 0 ? "ok" : err->msg);
        if (r == 0) {
                char *res = NULL;
                if (oci_resources_to_json(&in.resources, &host, &res, &err) == 0)
                        free(res);
                else
                        err = cric_error_free(err);
        }
        free(json);
        cric_error_free(err);
        arena_free(&a);
        json_object_put(o);
        return 0;
}
