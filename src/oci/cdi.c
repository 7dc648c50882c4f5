/* CDI devices: the spec files (*.json, *.yaml) of the CDI spec dirs are read at each CreateContainer that
 * asks for devices (a handful of small files), the requested names are resolved (a later
 * dir wins over an earlier one for the same device) and the edits of each device's spec
 * (once per spec) and of the device itself are applied to the finished config.json. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "oci/cdi.h"
#include "oci/internal.h"
#include "util/yaml.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define CDI_SPEC_MAX_SIZE (4u << 20)

static bool has_suffix(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void push_names(char ***v, const char *list) {
        CLEANUP(strv_freep) char **names = strv_split(list, ",");
        for (char **n = names; n && *n; n++) {
                char *s = *n;
                while (*s == ' ' || *s == '\t')
                        s++;
                size_t len = strlen(s);
                while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
                        s[--len] = '\0';
                if (*s && !strv_contains(*v, s))
                        strv_push(v, s);
        }
}

char **cdi_requested(const struct spec_ctx *c) {
        char **v = NULL;
        for (size_t i = 0; c->in && i < c->in->n_cdi_devices; i++)
                if (!str_empty(c->in->cdi_devices[i]))
                        push_names(&v, c->in->cdi_devices[i]);
        for (size_t i = 0; c->in && i < c->in->n_annotations; i++) {
                const struct oci_kv *kv = &c->in->annotations[i];
                if (kv->key && kv->value && strncmp(kv->key, CDI_ANNOTATION_PREFIX, strlen(CDI_ANNOTATION_PREFIX)) == 0)
                        push_names(&v, kv->value);
        }
        return v;
}

/* The checked spec documents of all dirs, in precedence order (the last wins). */
struct registry {
        struct json_object **docs;
        char **paths;
        size_t n;
};

static void registry_clear(struct registry *r) {
        for (size_t i = 0; i < r->n; i++)
                json_object_put(r->docs[i]);
        free(r->docs);
        strv_free(r->paths);
        *r = (struct registry){0};
}

/* A spec that can't be read or fails its check is left out with a warning, so one
 * broken vendor file does not take the devices of the others with it. */
static void load_file(struct registry *r, const char *path, bool is_yaml) {
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        AUTOFREE char *data = NULL;
        size_t len = 0;
        struct json_object *doc = NULL;
        if (fs_read_file(path, CDI_SPEC_MAX_SIZE, &data, &len, &e) < 0 ||
            (is_yaml ? yaml_parse_json(data, len, path, &doc, &e) : json_parse_object(data, len, path, &doc, &e)) < 0 ||
            cdi_spec_check(doc, &e) < 0) {
                json_putp(&doc);
                log_warn("CDI spec %s: %s, ignoring it", path, e->msg);
                return;
        }
        r->docs = xrealloc(r->docs, (r->n + 1) * sizeof(*r->docs));
        r->docs[r->n++] = doc;
        strv_push(&r->paths, path);
}

static int registry_load(struct registry *r, char *const *dirs, size_t n_dirs, struct cric_error **err) {
        for (size_t d = 0; d < n_dirs; d++) {
                CLEANUP(strv_freep) char **names = NULL;
                if (str_empty(dirs[d]))
                        continue;
                if (fs_list_dir(dirs[d], NULL, true, &names, err) < 0)
                        return cric_error_prefix(err, "CDI spec dir %s", dirs[d]);
                for (char **n = names; n && *n; n++) {
                        AUTOFREE char *path = xasprintf("%s/%s", dirs[d], *n);
                        if (has_suffix(*n, ".json"))
                                load_file(r, path, false);
                        else if (has_suffix(*n, ".yaml") || has_suffix(*n, ".yml"))
                                load_file(r, path, true);
                }
        }
        return 0;
}

static struct json_object *member(struct json_object *o, const char *key) {
        struct json_object *v = NULL;
        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* parent[key] as an array, added when missing. */
static struct json_object *array_of(struct json_object *parent, const char *key) {
        struct json_object *a = member(parent, key);
        if (!a || !json_object_is_type(a, json_type_array)) {
                a = jx_array();
                jx_add(parent, key, a);
        }
        return a;
}

/* The last spec of kind that defines device, and that device's object. */
static bool resolve(const struct registry *r, const char *kind, const char *device, size_t *ret_spec,
                    struct json_object **ret_dev) {
        bool found = false;
        for (size_t i = 0; i < r->n; i++) {
                if (strcmp(json_object_get_string(member(r->docs[i], "kind")), kind) != 0)
                        continue;
                struct json_object *devs = member(r->docs[i], "devices");
                for (size_t j = 0; j < json_object_array_length(devs); j++) {
                        struct json_object *d = json_object_array_get_idx(devs, j);
                        if (strcmp(json_object_get_string(member(d, "name")), device) == 0) {
                                *ret_spec = i;
                                *ret_dev = d;
                                found = true;
                        }
                }
        }
        return found;
}

/* ---- edits ---- */

static size_t key_len(const char *kv) {
        const char *eq = strchr(kv, '=');
        return eq ? (size_t) (eq - kv) : strlen(kv);
}

static void apply_env(struct spec_ctx *c, struct json_object *env) {
        struct json_object *list = array_of(c->process, "env");
        for (size_t i = 0; i < json_object_array_length(env); i++) {
                const char *kv = json_object_get_string(json_object_array_get_idx(env, i));
                size_t kl = key_len(kv), j = 0;
                for (; j < json_object_array_length(list); j++) {
                        const char *e = json_object_get_string(json_object_array_get_idx(list, j));
                        if (key_len(e) == kl && strncmp(e, kv, kl) == 0)
                                break;
                }
                if (j < json_object_array_length(list))
                        json_object_array_put_idx(list, j, jx_string(kv));
                else
                        jx_append(list, jx_string(kv));
        }
}

static int64_t int_or(struct json_object *o, const char *key, int64_t def) {
        struct json_object *v = member(o, key);
        return v ? json_object_get_int64(v) : def;
}

static void remove_by(struct json_object *list, const char *key, const char *value) {
        for (size_t i = json_object_array_length(list); i-- > 0;) {
                struct json_object *v = member(json_object_array_get_idx(list, i), key);
                if (v && strcmp(json_object_get_string(v), value) == 0)
                        json_object_array_del_idx(list, i, 1);
        }
}

/* Missing type, major and minor come from the host's node (hostPath, else path). */
static int apply_device_node(struct spec_ctx *c, struct json_object *n, struct cric_error **err) {
        const char *path = json_object_get_string(member(n, "path"));
        const char *host = member(n, "hostPath") ? json_object_get_string(member(n, "hostPath")) : path;
        const char *type = member(n, "type") ? json_object_get_string(member(n, "type")) : "";
        const char *perm = member(n, "permissions") ? json_object_get_string(member(n, "permissions")) : "";
        bool is_fifo = strcmp(type, "p") == 0;
        struct stat st = {0};
        bool is_complete = *type && (is_fifo || (member(n, "major") && member(n, "minor")));
        /* A node described in full needs no host node; the file mode is then left to the
         * runtime unless given. */
        bool has_st = stat(host, &st) == 0;
        if (!has_st && !is_complete)
                return cric_error_errno(err, errno == ENOENT ? CRIC_E_NOT_FOUND : CRIC_E_INTERNAL, errno,
                                        "device node %s", host);
        if (!*type) {
                if (S_ISBLK(st.st_mode))
                        type = "b";
                else if (S_ISCHR(st.st_mode))
                        type = "c";
                else if (S_ISFIFO(st.st_mode))
                        type = "p";
                else
                        return cric_error_set(err, CRIC_E_INVALID, "device node %s is not a device", host);
                is_fifo = strcmp(type, "p") == 0;
        }
        struct json_object *dev = jx_object();
        spec_set_str(dev, "path", path);
        spec_set_str(dev, "type", type);
        int64_t maj = int_or(n, "major", major(st.st_rdev)), min = int_or(n, "minor", minor(st.st_rdev));
        if (!is_fifo) {
                jx_add(dev, "major", jx_int64(maj));
                jx_add(dev, "minor", jx_int64(min));
        }
        if (member(n, "fileMode") || has_st)
                jx_add(dev, "fileMode", jx_int64(int_or(n, "fileMode", st.st_mode & 07777)));
        if (member(n, "uid"))
                jx_add(dev, "uid", jx_int64(int_or(n, "uid", 0)));
        if (member(n, "gid"))
                jx_add(dev, "gid", jx_int64(int_or(n, "gid", 0)));
        struct json_object *list = array_of(c->lnx, "devices");
        remove_by(list, "path", path);
        jx_append(list, dev);
        if (is_fifo)
                return 0;
        struct json_object *rules = array_of(spec_obj(c->lnx, "resources"), "devices");
        struct json_object *rule = jx_object();
        jx_add(rule, "allow", jx_bool(true));
        spec_set_str(rule, "type", strcmp(type, "b") == 0 ? "b" : "c"); /* "u" is a character device */
        jx_add(rule, "major", jx_int64(maj));
        jx_add(rule, "minor", jx_int64(min));
        spec_set_str(rule, "access", *perm ? perm : "rwm");
        jx_append(rules, rule);
        return 0;
}

static bool has_string(struct json_object *a, const char *s) {
        for (size_t i = 0; a && i < json_object_array_length(a); i++)
                if (strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s) == 0)
                        return true;
        return false;
}

/* A bind mount without "bind" or "rbind" among its options gets "rbind", which the OCI
 * runtimes need to tell it from a file system mount. */
static void apply_mount(struct spec_ctx *c, struct json_object *m) {
        const char *dest = json_object_get_string(member(m, "containerPath"));
        const char *type = member(m, "type") ? json_object_get_string(member(m, "type")) : "";
        struct json_object *opts = member(m, "options");
        struct json_object *out = jx_object(), *out_opts = jx_array();
        AUTOFREE char *clean = spec_clean_path(dest);
        spec_set_str(out, "destination", clean);
        spec_set_str(out, "type", *type ? type : "bind");
        spec_set_str(out, "source", json_object_get_string(member(m, "hostPath")));
        if ((!*type || strcmp(type, "bind") == 0) && !has_string(opts, "bind") && !has_string(opts, "rbind"))
                jx_append(out_opts, jx_string("rbind"));
        for (size_t i = 0; opts && i < json_object_array_length(opts); i++)
                jx_append(out_opts, jx_string(json_object_get_string(json_object_array_get_idx(opts, i))));
        jx_add(out, "options", out_opts);
        struct json_object *list = array_of(c->spec, "mounts");
        remove_by(list, "destination", clean);
        jx_append(list, out);
}

static void copy_member(struct json_object *to, struct json_object *from, const char *key) {
        struct json_object *v = member(from, key);
        if (v)
                jx_add(to, key, json_object_get(v));
}

static void apply_hook(struct spec_ctx *c, struct json_object *h) {
        struct json_object *hooks = spec_obj(c->spec, "hooks");
        const char *stage = json_object_get_string(member(h, "hookName"));
        struct json_object *list = array_of(hooks, stage);
        struct json_object *out = jx_object();
        copy_member(out, h, "path");
        copy_member(out, h, "args");
        copy_member(out, h, "env");
        copy_member(out, h, "timeout");
        jx_append(list, out);
}

/* GID 0 is never added (the CDI rule: root's group is not a vendor's to hand out). */
static void apply_gids(struct spec_ctx *c, struct json_object *gids) {
        struct json_object *list = array_of(spec_obj(c->process, "user"), "additionalGids");
        for (size_t i = 0; i < json_object_array_length(gids); i++) {
                int64_t g = json_object_get_int64(json_object_array_get_idx(gids, i));
                bool seen = g == 0;
                for (size_t j = 0; j < json_object_array_length(list) && !seen; j++)
                        seen = json_object_get_int64(json_object_array_get_idx(list, j)) == g;
                if (!seen)
                        jx_append(list, jx_int64(g));
        }
}

static int apply_edits(struct spec_ctx *c, struct json_object *edits, struct cric_error **err) {
        struct json_object *v;
        if (!edits)
                return 0;
        if ((v = member(edits, "env")))
                apply_env(c, v);
        v = member(edits, "deviceNodes");
        for (size_t i = 0; v && i < json_object_array_length(v); i++)
                if (apply_device_node(c, json_object_array_get_idx(v, i), err) < 0)
                        return -1;
        v = member(edits, "mounts");
        for (size_t i = 0; v && i < json_object_array_length(v); i++)
                apply_mount(c, json_object_array_get_idx(v, i));
        v = member(edits, "hooks");
        for (size_t i = 0; v && i < json_object_array_length(v); i++)
                apply_hook(c, json_object_array_get_idx(v, i));
        if ((v = member(edits, "additionalGIDs")))
                apply_gids(c, v);
        return 0;
}

/* Resolves every name first, so the error lists all unresolvable devices at once. */
static int inject(struct spec_ctx *c, const struct registry *r, char **names, struct cric_error **err) {
        size_t n = strv_length(names);
        AUTOFREE size_t *spec_of = xcalloc(n, sizeof(*spec_of));
        AUTOFREE struct json_object **dev_of = xcalloc(n, sizeof(*dev_of));
        CLEANUP(strv_freep) char **missing = NULL;
        for (size_t i = 0; i < n; i++) {
                AUTOFREE char *kind = NULL, *device = NULL;
                if (cdi_name_parse(names[i], &kind, &device, err) < 0)
                        return cric_error_prefix(err, "%s: CDI device", c->what);
                if (!resolve(r, kind, device, &spec_of[i], &dev_of[i]))
                        strv_push(&missing, names[i]);
        }
        if (missing) {
                AUTOFREE char *list = strv_join(missing, ", ");
                return cric_error_set(err, CRIC_E_NOT_FOUND, "%s: unresolvable CDI devices: %s", c->what, list);
        }
        AUTOFREE bool *spec_done = xcalloc(r->n ? r->n : 1, sizeof(*spec_done));
        for (size_t i = 0; i < n; i++) {
                size_t s = spec_of[i];
                if (!spec_done[s] && apply_edits(c, member(r->docs[s], "containerEdits"), err) < 0)
                        return cric_error_prefix(err, "%s: CDI spec %s", c->what, r->paths[s]);
                spec_done[s] = true;
                if (apply_edits(c, member(dev_of[i], "containerEdits"), err) < 0)
                        return cric_error_prefix(err, "%s: CDI device %s", c->what, names[i]);
        }
        log_debug("%s: injected %zu CDI devices", c->what, n);
        return 0;
}

int spec_add_cdi(struct spec_ctx *c, struct cric_error **err) {
        CLEANUP(strv_freep) char **names = cdi_requested(c);
        if (!names)
                return 0;
        struct registry r = {0};
        int ret = registry_load(&r, c->in->cdi_spec_dirs, c->in->n_cdi_spec_dirs, err);
        if (ret == 0)
                ret = inject(c, &r, names, err);
        registry_clear(&r);
        return ret;
}
