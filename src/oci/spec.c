/* config.json generation: the steps in order, the parts that belong to no topic (root,
 * hostname, annotations) and the bundle writer. */
#include <string.h>

#include "oci/cdi.h"
#include "oci/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

struct json_object *spec_obj(struct json_object *parent, const char *key) {
        struct json_object *o = NULL;
        if (json_object_object_get_ex(parent, key, &o) && json_object_is_type(o, json_type_object))
                return o;
        o = jx_object();
        jx_add(parent, key, o);
        return o;
}

void spec_set_str(struct json_object *o, const char *key, const char *value) {
        jx_add(o, key, jx_string(value));
}

struct json_object *spec_str_array(char *const *v, size_t n) {
        struct json_object *a = jx_array();
        for (size_t i = 0; i < n; i++)
                if (v[i])
                        jx_append(a, jx_string(v[i]));
        return a;
}

static void add_annotation(struct json_object *a, const char *key, const char *value) {
        if (!str_empty(value))
                spec_set_str(a, key, value);
}

/* The CRI annotations, then ours (which win: hooks and tools rely on them). */
static void add_annotations(struct spec_ctx *c) {
        struct json_object *a = spec_obj(c->spec, "annotations");
        const struct oci_kv *kv = c->in ? c->in->annotations : c->sb->annotations;
        size_t n = c->in ? c->in->n_annotations : c->sb->n_annotations;
        for (size_t i = 0; i < n; i++)
                if (kv[i].key && kv[i].value)
                        spec_set_str(a, kv[i].key, kv[i].value);
        spec_set_str(a, "io.kubernetes.cri.container-type", c->in ? "container" : "sandbox");
        add_annotation(a, "io.kubernetes.cri.sandbox-id", c->sb->id);
        add_annotation(a, "io.kubernetes.cri.sandbox-name", c->sb->pod_name);
        add_annotation(a, "io.kubernetes.cri.sandbox-namespace", c->sb->pod_namespace);
        add_annotation(a, "io.kubernetes.cri.sandbox-uid", c->sb->pod_uid);
        if (c->in) {
                add_annotation(a, "io.kubernetes.cri.container-name", c->in->name);
                if (c->in->image)
                        add_annotation(a, "io.kubernetes.cri.image-name", c->in->image->name);
        }
}

static int add_root(struct spec_ctx *c, const char *rootfs, bool readonly, struct cric_error **err) {
        if (str_empty(rootfs))
                return cric_error_set(err, CRIC_E_INVALID, "%s: no root file system given", c->what);
        struct json_object *root = spec_obj(c->spec, "root");
        spec_set_str(root, "path", rootfs);
        jx_add(root, "readonly", jx_bool(readonly));
        return 0;
}

static int run_steps(struct spec_ctx *c, struct cric_error **err) {
        static int (*const steps[])(struct spec_ctx *, struct cric_error **) = {
                spec_add_namespaces, spec_add_sysctls, spec_add_process, spec_add_user,    spec_add_capabilities,
                spec_add_seccomp,    spec_add_lsm,     spec_add_mounts,  spec_add_devices, spec_add_resources,
        };
        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
                if (steps[i](c, err) < 0)
                        return -1;
        spec_add_masked_paths(c);
        if (c->has_new_uts && !str_empty(c->sb->hostname))
                spec_set_str(c->spec, "hostname", c->sb->hostname);
        add_annotations(c);
        /* CDI edits go over everything the CRI and the defaults produced; the hooks come
         * last, since they match the annotations and process.args. */
        if (c->in && spec_add_cdi(c, err) < 0)
                return -1;
        return spec_add_hooks(c, err);
}

static const struct oci_node default_node = {0};

static int generate(struct spec_ctx *c, const char *rootfs, bool readonly_rootfs, char **ret_json,
                    struct cric_error **err) {
        if (!c->node)
                c->node = &default_node;
        c->spec = jx_object();
        spec_set_str(c->spec, "ociVersion", OCI_VERSION);
        c->process = spec_obj(c->spec, "process");
        c->lnx = spec_obj(c->spec, "linux");
        int r = add_root(c, rootfs, readonly_rootfs, err);
        if (r == 0)
                r = run_steps(c, err);
        if (r == 0)
                *ret_json = jx_dump(c->spec,
                                    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
        spec_mounts_clear(c);
        json_putp(&c->spec);
        return r;
}

int oci_spec_generate(const struct oci_container_input *in, const struct oci_host *host, char **ret_json,
                      struct cric_error **err) {
        if (!in->sandbox)
                return cric_error_set(err, CRIC_E_INVALID, "container has no sandbox");
        if (str_empty(in->id))
                return cric_error_set(err, CRIC_E_INVALID, "container has no id");
        AUTOFREE char *what = xasprintf("container \"%s\"", str_empty(in->name) ? in->id : in->name);
        struct spec_ctx c = {
                .host = host,
                .sb = in->sandbox,
                .sec = &in->security,
                .in = in,
                .id = in->id,
                .what = what,
                .node = in->node,
        };
        if (in->security.is_privileged && !in->sandbox->security.is_privileged)
                return cric_error_set(err, CRIC_E_INVALID, "%s is privileged but its sandbox is not", what);
        return generate(&c, in->rootfs, in->security.is_readonly_rootfs, ret_json, err);
}

int oci_spec_generate_infra(const struct oci_infra_input *in, const struct oci_host *host, char **ret_json,
                            struct cric_error **err) {
        if (!in->sandbox || str_empty(in->sandbox->id))
                return cric_error_set(err, CRIC_E_INVALID, "infra spec needs a sandbox with an id");
        AUTOFREE char *what = xasprintf("sandbox \"%s\"", in->sandbox->id);
        struct spec_ctx c = {
                .host = host,
                .sb = in->sandbox,
                .sec = &in->sandbox->security,
                .infra = in,
                .id = in->sandbox->id,
                .what = what,
                .node = in->node,
        };
        return generate(&c, in->rootfs, true, ret_json, err);
}

int oci_spec_write_bundle(const char *bundle_dir, const char *json, struct cric_error **err) {
        AUTOFREE char *path = xasprintf("%s/config.json", bundle_dir);
        if (fs_write_file_atomic(path, json, strlen(json), 0600, err) < 0)
                return cric_error_prefix(err, "write bundle %s", bundle_dir);
        return 0;
}
