/* Records: what the store keeps of a pod or container beyond its columns, as JSON
 * (labels, annotations, the pod's security context and sysctls, a container's mounts,
 * user and resources). Written once per object (resources on each update), read only
 * when the daemon starts. Field names are stable: a restarted daemon reads what an
 * older one wrote, and ignores what it does not know. */
#include <stdlib.h>
#include <string.h>

#include "network/netns.h"
#include "runtime/internal.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* ---- writing ---- */

static void put_str(struct json_object *o, const char *key, const char *v) {
        if (v && *v)
                jx_add(o, key, jx_string(v));
}

static void put_int(struct json_object *o, const char *key, int64_t v) {
        jx_add(o, key, jx_int64(v));
}

static void put_bool(struct json_object *o, const char *key, bool v) {
        if (v)
                jx_add(o, key, jx_bool(true));
}

static void put_strs(struct json_object *o, const char *key, char *const *v, size_t n) {
        if (!n)
                return;
        struct json_object *a = jx_array();
        for (size_t i = 0; i < n; i++)
                jx_append(a, jx_string(v[i] ? v[i] : ""));
        jx_add(o, key, a);
}

static void put_pairs(struct json_object *o, const char *key, char *const *pairs) {
        if (!pairs || !pairs[0])
                return;
        struct json_object *m = jx_object();
        for (size_t i = 0; pairs[i] && pairs[i + 1]; i += 2)
                jx_add(m, pairs[i], jx_string(pairs[i + 1]));
        jx_add(o, key, m);
}

static void put_kv(struct json_object *o, const char *key, const struct oci_kv *kv, size_t n) {
        if (!n)
                return;
        struct json_object *m = jx_object();
        for (size_t i = 0; i < n; i++)
                if (kv[i].key)
                        jx_add(m, kv[i].key, jx_string(kv[i].value ? kv[i].value : ""));
        jx_add(o, key, m);
}

static void put_profile(struct json_object *o, const char *key, const struct oci_security_profile *p) {
        if (!p->is_set)
                return;
        struct json_object *x = jx_object();
        put_int(x, "type", p->type);
        put_str(x, "ref", p->localhost_ref);
        jx_add(o, key, x);
}

/* [[container id, host id, length], ...]; nothing when there is no mapping. */
static void put_idmap(struct json_object *o, const char *key, const struct idmap *m, size_t n) {
        if (!n)
                return;
        struct json_object *a = jx_array();
        for (size_t i = 0; i < n; i++) {
                struct json_object *r = jx_array();
                jx_append(r, jx_int64(m[i].container_id));
                jx_append(r, jx_int64(m[i].host_id));
                jx_append(r, jx_int64(m[i].length));
                jx_append(a, r);
        }
        jx_add(o, key, a);
}

static struct json_object *security_json(const struct oci_security_context *s) {
        struct json_object *o = jx_object();
        put_bool(o, "privileged", s->is_privileged);
        put_bool(o, "readonly_rootfs", s->is_readonly_rootfs);
        put_bool(o, "no_new_privs", s->no_new_privs);
        put_strs(o, "caps_add", s->caps.add, s->caps.n_add);
        put_strs(o, "caps_drop", s->caps.drop, s->caps.n_drop);
        put_strs(o, "caps_add_ambient", s->caps.add_ambient, s->caps.n_add_ambient);
        put_int(o, "ns_network", s->ns.network);
        put_int(o, "ns_pid", s->ns.pid);
        put_int(o, "ns_ipc", s->ns.ipc);
        put_idmap(o, "userns_uids", s->ns.uids, s->ns.n_uids);
        put_idmap(o, "userns_gids", s->ns.gids, s->ns.n_gids);
        if (s->has_run_as_user)
                put_int(o, "run_as_user", s->run_as_user);
        if (s->has_run_as_group)
                put_int(o, "run_as_group", s->run_as_group);
        put_str(o, "run_as_username", s->run_as_username);
        if (s->n_supplemental_groups) {
                struct json_object *a = jx_array();
                for (size_t i = 0; i < s->n_supplemental_groups; i++)
                        jx_append(a, jx_int64(s->supplemental_groups[i]));
                jx_add(o, "supplemental_groups", a);
        }
        put_int(o, "groups_policy", s->groups_policy);
        put_strs(o, "masked_paths", s->masked_paths, s->n_masked_paths);
        put_strs(o, "readonly_paths", s->readonly_paths, s->n_readonly_paths);
        put_profile(o, "seccomp", &s->seccomp);
        put_profile(o, "apparmor", &s->apparmor);
        put_str(o, "seccomp_profile_path", s->seccomp_profile_path);
        put_str(o, "apparmor_profile", s->apparmor_profile);
        put_str(o, "selinux_user", s->selinux.user);
        put_str(o, "selinux_role", s->selinux.role);
        put_str(o, "selinux_type", s->selinux.type);
        put_str(o, "selinux_level", s->selinux.level);
        return o;
}

struct json_object *record_pod(const struct pod_config *c, const struct pod *p) {
        struct json_object *o = jx_object();
        put_pairs(o, "labels", p->info.labels);
        put_pairs(o, "annotations", p->info.annotations);
        put_str(o, "cgroup_parent", p->info.cgroup_parent);
        put_str(o, "hostname", p->hostname);
        put_str(o, "log_directory", p->log_directory);
        put_strs(o, "ips", p->ips, strv_length(p->ips));
        put_int(o, "ns", p->ns);
        put_int(o, "pause_pid", p->pause_pid);
        put_str(o, "runtime_path", p->runtime_path);
        put_str(o, "runtime_root", p->runtime_root);
        struct json_object *sb = jx_object();
        put_kv(sb, "sysctls", c->sysctls, c->n_sysctls);
        jx_add(sb, "security", security_json(&c->security));
        jx_add(o, "sandbox", sb);
        return o;
}

struct json_object *record_resources(const struct oci_resources *r) {
        struct json_object *o = jx_object();
        put_int(o, "cpu_period", r->cpu_period);
        put_int(o, "cpu_quota", r->cpu_quota);
        put_int(o, "cpu_shares", r->cpu_shares);
        put_int(o, "memory_limit", r->memory_limit_in_bytes);
        put_int(o, "memory_swap_limit", r->memory_swap_limit_in_bytes);
        put_int(o, "oom_score_adj", r->oom_score_adj);
        put_str(o, "cpuset_cpus", r->cpuset_cpus);
        put_str(o, "cpuset_mems", r->cpuset_mems);
        if (r->n_hugepage_limits) {
                struct json_object *a = jx_array();
                for (size_t i = 0; i < r->n_hugepage_limits; i++) {
                        struct json_object *h = jx_object();
                        put_str(h, "page_size", r->hugepage_limits[i].page_size);
                        put_int(h, "limit", (int64_t) r->hugepage_limits[i].limit);
                        jx_append(a, h);
                }
                jx_add(o, "hugepage_limits", a);
        }
        put_kv(o, "unified", r->unified, r->n_unified);
        return o;
}

struct json_object *record_limits(const struct cgroup_limits *l) {
        struct json_object *o = jx_object();
        put_int(o, "cpu_shares", l->cpu_shares);
        put_int(o, "cpu_quota", l->cpu_quota);
        put_int(o, "cpu_period", l->cpu_period);
        put_int(o, "memory_limit", l->memory_bytes);
        return o;
}

struct json_object *record_container(const struct container *c) {
        const struct container_info *i = &c->info;
        struct json_object *o = jx_object();
        put_pairs(o, "labels", i->labels);
        put_pairs(o, "annotations", i->annotations);
        put_pairs(o, "image_annotations", i->image_annotations);
        put_str(o, "user_specified_image", i->user_specified_image);
        put_str(o, "image_runtime_handler", i->image_runtime_handler);
        if (i->n_mounts) {
                struct json_object *a = jx_array();
                for (size_t k = 0; k < i->n_mounts; k++) {
                        const struct container_mount *m = &i->mounts[k];
                        struct json_object *x = jx_object();
                        put_str(x, "container_path", m->container_path);
                        put_str(x, "host_path", m->host_path);
                        put_bool(x, "readonly", m->is_readonly);
                        put_bool(x, "selinux_relabel", m->selinux_relabel);
                        put_bool(x, "recursive_read_only", m->is_recursive_read_only);
                        put_int(x, "propagation", m->propagation);
                        if (*m->image) {
                                put_str(x, "image", m->image);
                                put_str(x, "image_sub_path", m->image_sub_path);
                                put_str(x, "image_id", m->image_id);
                        }
                        jx_append(a, x);
                }
                jx_add(o, "mounts", a);
        }
        struct json_object *u = jx_object();
        put_int(u, "uid", i->user.uid);
        put_int(u, "gid", i->user.gid);
        if (i->user.n_additional_gids) {
                struct json_object *a = jx_array();
                for (size_t k = 0; k < i->user.n_additional_gids; k++)
                        jx_append(a, jx_int64(i->user.additional_gids[k]));
                jx_add(u, "additional_gids", a);
        }
        jx_add(o, "user", u);
        put_bool(o, "tty", i->tty);
        put_bool(o, "stdin", i->has_stdin);
        put_bool(o, "stdin_once", i->is_stdin_once);
        return o;
}

char *record_text(struct json_object *rec) {
        return jx_dump(rec, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

struct json_object *record_parse(const char *text, struct cric_error **err) {
        struct json_object *o = NULL;
        if (!text || !*text) {
                cric_error_set(err, CRIC_E_NOT_FOUND, "no record (written by an older cricd)");
                return NULL;
        }
        if (json_parse_object(text, strlen(text), "the stored record", &o, err) < 0)
                return NULL;
        return o;
}

/* ---- reading ---- */

static struct json_object *get(struct json_object *o, const char *key, enum json_type type) {
        struct json_object *v = NULL;
        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, type) ? v : NULL;
}

static const char *get_str(struct json_object *o, const char *key) {
        struct json_object *v = get(o, key, json_type_string);
        return v ? json_object_get_string(v) : NULL;
}

static int64_t get_int(struct json_object *o, const char *key, int64_t dflt) {
        struct json_object *v = get(o, key, json_type_int);
        return v ? json_object_get_int64(v) : dflt;
}

static bool get_bool(struct json_object *o, const char *key) {
        struct json_object *v = get(o, key, json_type_boolean);
        return v && json_object_get_boolean(v);
}

static char *dup_str(struct json_object *o, const char *key) {
        const char *s = get_str(o, key);
        return xstrdup(s ? s : "");
}

static char **get_pairs(struct json_object *o, const char *key) {
        struct json_object *m = get(o, key, json_type_object);
        char **v = xcalloc(1, sizeof(char *));
        if (!m)
                return v;
        json_object_object_foreach(m, k, val) {
                strv_push(&v, k);
                strv_push(&v, json_object_is_type(val, json_type_string) ? json_object_get_string(val) : "");
        }
        return v;
}

/* The strings of an array, borrowed from it, in an arena array. */
static char *const *get_strs(struct json_object *o, const char *key, struct arena *a, size_t *ret_n) {
        struct json_object *arr = get(o, key, json_type_array);
        size_t n = arr ? json_object_array_length(arr) : 0;
        const char **v = arena_calloc(a, n, sizeof(*v));
        for (size_t i = 0; i < n; i++) {
                const char *s = json_object_get_string(json_object_array_get_idx(arr, i));
                v[i] = s ? s : "";
        }
        *ret_n = n;
        return (char *const *) v;
}

static const struct oci_kv *get_kv(struct json_object *o, const char *key, struct arena *a, size_t *ret_n) {
        struct json_object *m = get(o, key, json_type_object);
        size_t n = m ? (size_t) json_object_object_length(m) : 0, i = 0;
        struct oci_kv *kv = arena_calloc(a, n, sizeof(*kv));
        if (m) {
                json_object_object_foreach(m, k, val) {
                        const char *s = json_object_get_string(val);
                        kv[i++] = (struct oci_kv){k, s ? s : ""};
                }
        }
        *ret_n = n;
        return kv;
}

static const struct idmap *get_idmap(struct json_object *o, const char *key, struct arena *a, size_t *ret_n) {
        struct json_object *arr = get(o, key, json_type_array);
        *ret_n = arr ? json_object_array_length(arr) : 0;
        struct idmap *m = arena_calloc(a, *ret_n, sizeof(*m));
        for (size_t i = 0; i < *ret_n; i++) {
                struct json_object *r = json_object_array_get_idx(arr, i);
                m[i] = (struct idmap){(uint32_t) json_object_get_int64(json_object_array_get_idx(r, 0)),
                                      (uint32_t) json_object_get_int64(json_object_array_get_idx(r, 1)),
                                      (uint32_t) json_object_get_int64(json_object_array_get_idx(r, 2))};
        }
        return m;
}

static void get_profile(struct json_object *o, const char *key, struct oci_security_profile *ret) {
        struct json_object *p = get(o, key, json_type_object);
        *ret = (struct oci_security_profile){0};
        if (p)
                *ret = (struct oci_security_profile){
                        .is_set = true,
                        .type = (enum oci_profile_type) get_int(p, "type", 0),
                        .localhost_ref = get_str(p, "ref"),
                };
}

static void security_read(struct json_object *o, struct arena *a, struct oci_security_context *s) {
        *s = (struct oci_security_context){0};
        if (!o)
                return;
        s->is_privileged = get_bool(o, "privileged");
        s->is_readonly_rootfs = get_bool(o, "readonly_rootfs");
        s->no_new_privs = get_bool(o, "no_new_privs");
        s->caps.add = get_strs(o, "caps_add", a, &s->caps.n_add);
        s->caps.drop = get_strs(o, "caps_drop", a, &s->caps.n_drop);
        s->caps.add_ambient = get_strs(o, "caps_add_ambient", a, &s->caps.n_add_ambient);
        s->ns.network = (enum oci_ns_mode) get_int(o, "ns_network", OCI_NS_POD);
        s->ns.pid = (enum oci_ns_mode) get_int(o, "ns_pid", OCI_NS_CONTAINER);
        s->ns.ipc = (enum oci_ns_mode) get_int(o, "ns_ipc", OCI_NS_POD);
        s->ns.uids = get_idmap(o, "userns_uids", a, &s->ns.n_uids);
        s->ns.gids = get_idmap(o, "userns_gids", a, &s->ns.n_gids);
        s->has_run_as_user = get(o, "run_as_user", json_type_int) != NULL;
        s->run_as_user = get_int(o, "run_as_user", 0);
        s->has_run_as_group = get(o, "run_as_group", json_type_int) != NULL;
        s->run_as_group = get_int(o, "run_as_group", 0);
        s->run_as_username = get_str(o, "run_as_username");
        struct json_object *g = get(o, "supplemental_groups", json_type_array);
        s->n_supplemental_groups = g ? json_object_array_length(g) : 0;
        int64_t *groups = arena_calloc(a, s->n_supplemental_groups, sizeof(*groups));
        for (size_t i = 0; i < s->n_supplemental_groups; i++)
                groups[i] = json_object_get_int64(json_object_array_get_idx(g, i));
        s->supplemental_groups = groups;
        s->groups_policy = (enum oci_groups_policy) get_int(o, "groups_policy", 0);
        s->masked_paths = get_strs(o, "masked_paths", a, &s->n_masked_paths);
        s->readonly_paths = get_strs(o, "readonly_paths", a, &s->n_readonly_paths);
        get_profile(o, "seccomp", &s->seccomp);
        get_profile(o, "apparmor", &s->apparmor);
        s->seccomp_profile_path = get_str(o, "seccomp_profile_path");
        s->apparmor_profile = get_str(o, "apparmor_profile");
        s->selinux = (struct oci_selinux_options){get_str(o, "selinux_user"), get_str(o, "selinux_role"),
                                                  get_str(o, "selinux_type"), get_str(o, "selinux_level")};
}

static void limits_read(struct json_object *rec, struct pod *p) {
        struct json_object *o = get(rec, "resources", json_type_object);
        if (!o)
                return;
        p->has_limits = true;
        p->limits = (struct cgroup_limits){
                .cpu_shares = get_int(o, "cpu_shares", 0),
                .cpu_quota = get_int(o, "cpu_quota", 0),
                .cpu_period = get_int(o, "cpu_period", 0),
                .memory_bytes = get_int(o, "memory_limit", 0),
        };
}

int record_pod_read(struct json_object *rec, struct pod *p, struct cric_error **err) {
        struct json_object *sb = get(rec, "sandbox", json_type_object);
        struct json_object *sec = sb ? get(sb, "security", json_type_object) : NULL;
        if (!sec)
                return cric_error_set(err, CRIC_E_INTERNAL, "pod %s: its record has no security context", p->info.id);
        p->info.labels = get_pairs(rec, "labels");
        p->info.annotations = get_pairs(rec, "annotations");
        p->info.cgroup_parent = dup_str(rec, "cgroup_parent");
        p->info.network = (enum oci_ns_mode) get_int(sec, "ns_network", OCI_NS_POD);
        p->info.ipc = (enum oci_ns_mode) get_int(sec, "ns_ipc", OCI_NS_POD);
        p->info.pid = (enum oci_ns_mode) get_int(sec, "ns_pid", OCI_NS_CONTAINER);
        p->hostname = dup_str(rec, "hostname");
        p->log_directory = dup_str(rec, "log_directory");
        struct json_object *ips = get(rec, "ips", json_type_array);
        p->ips = xcalloc(1, sizeof(char *));
        for (size_t i = 0; ips && i < json_object_array_length(ips); i++)
                strv_push(&p->ips, json_object_get_string(json_object_array_get_idx(ips, i)));
        p->ns = (unsigned) get_int(rec, "ns", 0);
        p->pause_pid = (pid_t) get_int(rec, "pause_pid", 0);
        p->runtime_path = dup_str(rec, "runtime_path");
        p->runtime_root = dup_str(rec, "runtime_root");
        p->sandbox = json_object_get(sb);
        record_pod_userns(p);
        limits_read(rec, p);
        return 0;
}

void record_pod_userns(struct pod *p) {
        struct json_object *sec = get(p->sandbox, "security", json_type_object);
        struct arena a = {0};
        size_t n = 0;
        const struct idmap *m = sec ? get_idmap(sec, "userns_uids", &a, &n) : NULL;
        p->info.uids = n ? memcpy(xmalloc(n * sizeof(*m)), m, n * sizeof(*m)) : NULL;
        p->info.n_uids = n;
        m = sec ? get_idmap(sec, "userns_gids", &a, &n) : NULL;
        p->info.gids = n ? memcpy(xmalloc(n * sizeof(*m)), m, n * sizeof(*m)) : NULL;
        p->info.n_gids = n;
        arena_clear(&a);
}

int record_sandbox(const struct pod *p, struct arena *a, struct oci_sandbox *ret, struct cric_error **err) {
        struct json_object *sec = get(p->sandbox, "security", json_type_object);
        if (!sec)
                return cric_error_set(err, CRIC_E_INTERNAL, "pod %s has no security context", p->info.id);
        *ret = (struct oci_sandbox){
                .id = p->info.id,
                .pod_name = p->info.name,
                .pod_namespace = p->info.namespace,
                .pod_uid = p->info.uid,
                .hostname = *p->hostname ? p->hostname : NULL,
        };
        ret->sysctls = get_kv(p->sandbox, "sysctls", a, &ret->n_sysctls);
        size_t n = strv_length(p->info.annotations) / 2;
        struct oci_kv *kv = arena_calloc(a, n, sizeof(*kv));
        for (size_t i = 0; i < n; i++)
                kv[i] = (struct oci_kv){p->info.annotations[2 * i], p->info.annotations[2 * i + 1]};
        ret->annotations = kv;
        ret->n_annotations = n;
        security_read(sec, a, &ret->security);
        return 0;
}

int record_resources_read(struct json_object *rec, struct arena *a, struct oci_resources *ret,
                          struct cric_error **err) {
        (void) err;
        *ret = (struct oci_resources){
                .cpu_period = get_int(rec, "cpu_period", 0),
                .cpu_quota = get_int(rec, "cpu_quota", 0),
                .cpu_shares = get_int(rec, "cpu_shares", 0),
                .memory_limit_in_bytes = get_int(rec, "memory_limit", 0),
                .memory_swap_limit_in_bytes = get_int(rec, "memory_swap_limit", 0),
                .oom_score_adj = get_int(rec, "oom_score_adj", 0),
                .cpuset_cpus = get_str(rec, "cpuset_cpus"),
                .cpuset_mems = get_str(rec, "cpuset_mems"),
        };
        struct json_object *hp = get(rec, "hugepage_limits", json_type_array);
        size_t n = hp ? json_object_array_length(hp) : 0;
        struct oci_hugepage_limit *h = arena_calloc(a, n, sizeof(*h));
        for (size_t i = 0; i < n; i++) {
                struct json_object *x = json_object_array_get_idx(hp, i);
                h[i] = (struct oci_hugepage_limit){get_str(x, "page_size"), (uint64_t) get_int(x, "limit", 0)};
        }
        ret->hugepage_limits = h;
        ret->n_hugepage_limits = n;
        ret->unified = get_kv(rec, "unified", a, &ret->n_unified);
        return 0;
}

int record_container_read(struct json_object *rec, struct container *c, struct cric_error **err) {
        (void) err;
        struct container_info *i = &c->info;
        i->labels = get_pairs(rec, "labels");
        i->annotations = get_pairs(rec, "annotations");
        i->image_annotations = get_pairs(rec, "image_annotations");
        i->user_specified_image = dup_str(rec, "user_specified_image");
        i->image_runtime_handler = dup_str(rec, "image_runtime_handler");
        struct json_object *mounts = get(rec, "mounts", json_type_array);
        i->n_mounts = mounts ? json_object_array_length(mounts) : 0;
        i->mounts = xcalloc(i->n_mounts ? i->n_mounts : 1, sizeof(*i->mounts));
        for (size_t k = 0; k < i->n_mounts; k++) {
                struct json_object *x = json_object_array_get_idx(mounts, k);
                i->mounts[k] = (struct container_mount){
                        .container_path = dup_str(x, "container_path"),
                        .host_path = dup_str(x, "host_path"),
                        .is_readonly = get_bool(x, "readonly"),
                        .selinux_relabel = get_bool(x, "selinux_relabel"),
                        .is_recursive_read_only = get_bool(x, "recursive_read_only"),
                        .propagation = (enum oci_propagation) get_int(x, "propagation", 0),
                        .image = dup_str(x, "image"),
                        .image_sub_path = dup_str(x, "image_sub_path"),
                        .image_id = dup_str(x, "image_id"),
                };
        }
        struct json_object *u = get(rec, "user", json_type_object);
        if (u) {
                i->user.uid = (uint32_t) get_int(u, "uid", 0);
                i->user.gid = (uint32_t) get_int(u, "gid", 0);
                struct json_object *g = get(u, "additional_gids", json_type_array);
                i->user.n_additional_gids = g ? json_object_array_length(g) : 0;
                i->user.additional_gids = xcalloc(i->user.n_additional_gids + 1, sizeof(uint32_t));
                for (size_t k = 0; k < i->user.n_additional_gids; k++)
                        i->user.additional_gids[k] = (uint32_t) json_object_get_int64(json_object_array_get_idx(g, k));
        }
        i->tty = get_bool(rec, "tty");
        i->has_stdin = get_bool(rec, "stdin");
        i->is_stdin_once = get_bool(rec, "stdin_once");
        return 0;
}
