/* The runtime object: its configuration, the in-memory indexes of pods and containers,
 * references, and what every operation needs (paths, the OCI runtime of a handler). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "network/netns.h"
#include "runtime/internal.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

void runtime_new_id(char out[65]) {
        unsigned char raw[32];
        size_t got = 0;
        while (got < sizeof(raw)) {
                ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
                if (n > 0)
                        got += (size_t) n;
                else if (errno != EINTR)
                        abort(); /* the kernel's random source is gone: nothing sensible to do */
        }
        for (size_t i = 0; i < sizeof(raw); i++)
                snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

int64_t runtime_now_ns(void) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        return (int64_t) now.tv_sec * 1000000000LL + now.tv_nsec;
}

struct cric_config *runtime_config(struct runtime *rt) {
        pthread_mutex_lock(&rt->cfg_lock);
        struct cric_config *cfg = config_ref(rt->cfg);
        pthread_mutex_unlock(&rt->cfg_lock);
        return cfg;
}

void runtime_set_config(struct runtime *rt, struct cric_config *cfg) {
        config_ref(cfg);
        pthread_mutex_lock(&rt->cfg_lock);
        struct cric_config *old = rt->cfg;
        rt->cfg = cfg;
        pthread_mutex_unlock(&rt->cfg_lock);
        config_unref(old);
}

void persist_begin(struct runtime *rt) {
        pthread_mutex_lock(&rt->persist);
        pthread_mutex_unlock(&rt->lock);
}

void persist_end(struct runtime *rt) {
        pthread_mutex_unlock(&rt->persist);
}

/* ---- references ---- */

struct pod *pod_ref(struct pod *p) {
        if (p)
                atomic_fetch_add(&p->refs, 1);
        return p;
}

void pod_init(struct pod *p) {
        atomic_init(&p->refs, 1);
        pthread_mutex_init(&p->op_lock, NULL);
        pthread_mutex_init(&p->net_lock, NULL);
        p->net_fd = -1;
}

void pod_net_close(struct pod *p) {
        pthread_mutex_lock(&p->net_lock);
        if (p->net_fd >= 0)
                close(p->net_fd);
        p->net_fd = -1;
        pthread_mutex_unlock(&p->net_lock);
}

void pod_unref(struct pod *p) {
        if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
                return;
        struct pod_info *i = &p->info;
        free(i->id);
        free(i->name);
        free(i->namespace);
        free(i->uid);
        free(i->runtime_handler);
        strv_free(i->labels);
        strv_free(i->annotations);
        free(i->cgroup_parent);
        free(i->uids);
        free(i->gids);
        free(p->hostname);
        free(p->log_directory);
        strv_free(p->ips);
        free(p->runtime_path);
        free(p->runtime_root);
        json_object_put(p->sandbox);
        usage_memory_clear(&p->usage);
        pod_net_close(p);
        pthread_mutex_destroy(&p->net_lock);
        pthread_mutex_destroy(&p->op_lock);
        free(p);
}

void pod_unrefp(struct pod **p) {
        pod_unref(*p);
        *p = NULL;
}

struct container *ctr_ref(struct container *c) {
        if (c)
                atomic_fetch_add(&c->refs, 1);
        return c;
}

void ctr_unref(struct container *c) {
        if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
                return;
        struct container_info *i = &c->info;
        free(i->id);
        free(i->pod_id);
        free(i->name);
        free(i->image);
        free(i->image_id);
        free(i->image_ref);
        free(i->user_specified_image);
        free(i->image_runtime_handler);
        strv_free(i->image_annotations);
        strv_free(i->labels);
        strv_free(i->annotations);
        for (size_t k = 0; k < i->n_mounts; k++) {
                free(i->mounts[k].container_path);
                free(i->mounts[k].host_path);
                free(i->mounts[k].image);
                free(i->mounts[k].image_sub_path);
                free(i->mounts[k].image_id);
        }
        free(i->mounts);
        free(i->log_path);
        free(i->cgroup);
        oci_user_clear(&i->user);
        free(i->runtime_path);
        free(i->runtime_root);
        free(c->message);
        enter_plan_free(c->enter);
        resources_unref(c->res);
        usage_memory_clear(&c->usage);
        pthread_mutex_destroy(&c->op_lock);
        free(c);
}

void ctr_unrefp(struct container **c) {
        ctr_unref(*c);
        *c = NULL;
}

/* A deep copy of r; its strings and arrays live in the arena. */
struct resources *resources_new(const struct oci_resources *r) {
        struct resources *res = xzalloc(sizeof(*res));
        atomic_init(&res->refs, 1);
        res->r = *r;
        res->r.cpuset_cpus = arena_strdup(&res->a, r->cpuset_cpus);
        res->r.cpuset_mems = arena_strdup(&res->a, r->cpuset_mems);
        struct oci_hugepage_limit *hp = arena_calloc(&res->a, r->n_hugepage_limits, sizeof(*hp));
        for (size_t i = 0; i < r->n_hugepage_limits; i++)
                hp[i] = (struct oci_hugepage_limit){arena_strdup(&res->a, r->hugepage_limits[i].page_size),
                                                    r->hugepage_limits[i].limit};
        res->r.hugepage_limits = hp;
        struct oci_kv *kv = arena_calloc(&res->a, r->n_unified, sizeof(*kv));
        for (size_t i = 0; i < r->n_unified; i++)
                kv[i] = (struct oci_kv){arena_strdup(&res->a, r->unified[i].key),
                                        arena_strdup(&res->a, r->unified[i].value)};
        res->r.unified = kv;
        return res;
}

struct resources *resources_ref(struct resources *r) {
        if (r)
                atomic_fetch_add(&r->refs, 1);
        return r;
}

void resources_unref(struct resources *r) {
        if (!r || atomic_fetch_sub(&r->refs, 1) != 1)
                return;
        arena_clear(&r->a);
        free(r);
}

/* ---- indexes ---- */

/* Both object types start with their info, whose first member is the id. */
static const char *obj_id(const void *obj) {
        return *(char *const *) obj;
}

/* The first position whose id is >= key. */
static size_t lower_bound(const struct index *ix, const char *key) {
        size_t lo = 0, hi = ix->n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(obj_id(ix->objs[mid]), key) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

void index_add(struct index *ix, void *obj) {
        ix->objs = xgrow(ix->objs, &ix->cap, ix->n + 1, sizeof(*ix->objs));
        size_t at = lower_bound(ix, obj_id(obj));
        memmove(ix->objs + at + 1, ix->objs + at, (ix->n - at) * sizeof(*ix->objs));
        ix->objs[at] = obj;
        ix->n++;
}

void index_del(struct index *ix, const char *id) {
        size_t at = lower_bound(ix, id);
        if (at < ix->n && !strcmp(obj_id(ix->objs[at]), id)) {
                memmove(ix->objs + at, ix->objs + at + 1, (ix->n - at - 1) * sizeof(*ix->objs));
                ix->n--;
        }
}

void *index_find(struct index *ix, const char *id, const char *kind, struct cric_error **err) {
        size_t len = strlen(id);
        /* What the store accepted: at least 3 hex digits. */
        if (len < 3 || len > 64 || strspn(id, "0123456789abcdef") != len) {
                cric_error_set(err, CRIC_E_NOT_FOUND, "%s %s not found", kind, id);
                return NULL;
        }
        size_t at = lower_bound(ix, id);
        if (at >= ix->n || strncmp(obj_id(ix->objs[at]), id, len)) {
                cric_error_set(err, CRIC_E_NOT_FOUND, "%s %s not found", kind, id);
                return NULL;
        }
        if (len < 64 && at + 1 < ix->n && !strncmp(obj_id(ix->objs[at + 1]), id, len)) {
                cric_error_set(err, CRIC_E_INVALID, "%s id prefix %s is ambiguous", kind, id);
                return NULL;
        }
        return ix->objs[at];
}

struct pod *pod_get(struct runtime *rt, const char *id, struct cric_error **err) {
        pthread_mutex_lock(&rt->lock);
        struct pod *p = pod_ref(index_find(&rt->pods, id, "pod", err));
        pthread_mutex_unlock(&rt->lock);
        return p;
}

struct container *ctr_get(struct runtime *rt, const char *id, struct cric_error **err) {
        pthread_mutex_lock(&rt->lock);
        struct container *c = ctr_ref(index_find(&rt->ctrs, id, "container", err));
        pthread_mutex_unlock(&rt->lock);
        return c;
}

int gone_is_fine(struct cric_error **e, struct cric_error **err) {
        if ((*e)->kind != CRIC_E_NOT_FOUND)
                return cric_error_move(err, e);
        cric_error_freep(e);
        return 0;
}

struct container *ctr_by_monitor(struct runtime *rt, pid_t pid) {
        for (size_t i = 0; i < rt->ctrs.n; i++) {
                struct container *c = rt->ctrs.objs[i];
                if (c->info.monitor_pid == pid)
                        return c;
        }
        return NULL;
}

/* ---- paths and the OCI runtime ---- */

char *pod_dir(const struct runtime *rt, const char *id) {
        return xasprintf("%s/%s", rt->pods_dir, id);
}

char *ctr_dir(const struct runtime *rt, const char *id) {
        return xasprintf("%s/%s", rt->ctrs_dir, id);
}

static char *const systemd_args[] = {"--systemd-cgroup", NULL};

void runtime_node_of(const struct cric_config *cfg, const char *handler, struct oci_node *ret) {
        const struct cric_runtime_handler *h = config_find_runtime(cfg, handler ? handler : "");
        static char *const no_caps[] = {NULL}; /* an empty list is no capability, not CRI-O's set */
        *ret = (struct oci_node){
                .default_capabilities = cfg->default_capabilities ? cfg->default_capabilities : no_caps,
                .default_sysctls = cfg->default_sysctls,
                .default_ulimits = cfg->default_ulimits,
                .pids_limit = cfg->pids_limit,
                .default_mounts_file = cfg->default_mounts_file,
                .absent_mount_sources_to_reject = cfg->absent_mount_sources_to_reject,
                .seccomp_profile = cfg->seccomp_profile,
                .allowed_devices = cfg->allowed_devices,
                .additional_devices = cfg->additional_devices,
                .device_ownership_from_security_context = cfg->device_ownership_from_security_context,
                .allowed_annotations = h ? h->allowed_annotations : NULL,
                .apparmor_profile = cfg->apparmor_profile,
                .selinux = cfg->selinux,
        };
}

bool runtime_annotation_allowed(const struct cric_config *cfg, const char *handler, const char *key) {
        const struct cric_runtime_handler *h = config_find_runtime(cfg, handler ? handler : "");
        for (char *const *p = h ? h->allowed_annotations : NULL; p && *p; p++)
                if (**p && !strncmp(key, *p, strlen(*p)))
                        return true;
        return false;
}

char *const *runtime_global_args(const struct cric_config *cfg) {
        return cfg->cgroup_manager == CRIC_CGROUP_SYSTEMD ? systemd_args : NULL;
}

static struct oci_runtime_opts oci_opts(const struct cric_config *cfg, const char *path, const char *root) {
        return (struct oci_runtime_opts){
                .path = path,
                .root = root && *root ? root : NULL,
                .systemd_cgroup = cfg->cgroup_manager == CRIC_CGROUP_SYSTEMD,
        };
}

int runtime_oci(struct runtime *rt, const char *path, const char *root, struct oci_runtime **ret,
                struct cric_error **err) {
        CLEANUP(config_unrefp) struct cric_config *cfg = runtime_config(rt);
        struct oci_runtime_opts o = oci_opts(cfg, path, root);
        return rt->be.oci_open(rt->be.data, &o, ret, err);
}

/* crun runs poststart hooks in `start`: a spec with one keeps the runtime's start. */
static bool has_poststart(const char *bundle) {
        AUTOFREE char *path = xasprintf("%s/config.json", bundle), *spec = NULL;
        struct cric_error *e = NULL;
        if (fs_read_file(path, 16 << 20, &spec, NULL, &e) < 0) {
                cric_error_free(e);
                return true; /* unknown: the runtime's start, which reads it too */
        }
        return oci_spec_has_poststart(spec);
}

int runtime_oci_start(struct runtime *rt, const char *path, const char *root, const char *id, const char *bundle,
                      pid_t init_pid, struct cric_error **err) {
        CLEANUP(config_unrefp) struct cric_config *cfg = runtime_config(rt);
        struct oci_runtime_opts o = oci_opts(cfg, path, root);
        o.start_by_fifo = cfg->start_native && !has_poststart(bundle);
        o.init_pid = init_pid;
        CLEANUP(oci_runtime_freep) struct oci_runtime *oci = NULL;
        if (rt->be.oci_open(rt->be.data, &o, &oci, err) < 0)
                return -1;
        return oci_runtime_start(oci, id, err);
}

int runtime_handler_binary(const struct cric_config *cfg, const char *handler, char **ret_path, const char **ret_root,
                           struct cric_error **err) {
        const struct cric_runtime_handler *h = config_find_runtime(cfg, handler ? handler : "");
        if (!h)
                return cric_error_set(err, CRIC_E_PRECONDITION, "no runtime handler \"%s\" is configured",
                                      handler ? handler : "");
        const char *p = *h->runtime_path ? h->runtime_path : h->name;
        char *path = strchr(p, '/') ? (fs_is_executable(p) ? xstrdup(p) : NULL) : fs_find_in_path(p);
        if (!path)
                return cric_error_set(err, CRIC_E_PRECONDITION, "OCI runtime \"%s\" of handler \"%s\" not found", p,
                                      h->name);
        *ret_path = path;
        *ret_root = h->runtime_root;
        return 0;
}

#define RUNTIME_FILE "runtime"

int runtime_file_write(const char *dir, const char *runtime_path, const char *runtime_root, struct cric_error **err) {
        AUTOFREE char *path = xasprintf("%s/" RUNTIME_FILE, dir);
        AUTOFREE char *text = xasprintf("%s\n%s\n", runtime_path, runtime_root ? runtime_root : "");
        return fs_write_file_atomic(path, text, strlen(text), 0600, err);
}

int runtime_file_read(const char *dir, char **ret_text, const char **ret_path, const char **ret_root,
                      struct cric_error **err) {
        AUTOFREE char *file = xasprintf("%s/" RUNTIME_FILE, dir);
        *ret_text = NULL;
        *ret_path = *ret_root = NULL;
        int r = fs_read_file_optional(file, 8192, ret_text, err);
        if (r <= 0)
                return r < 0 ? -1 : 0;
        char *text = *ret_text, *root = strchr(text, '\n');
        if (root) {
                *root++ = 0;
                root[strcspn(root, "\n")] = 0;
        }
        *ret_path = *text ? text : NULL;
        *ret_root = root ? root : "";
        return 0;
}

/* ---- label pairs ---- */

char **kv_pairs(const struct oci_kv *kv, size_t n) {
        char **v = xcalloc(2 * n + 1, sizeof(char *));
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                if (!kv[i].key)
                        continue;
                v[k++] = xstrdup(kv[i].key);
                v[k++] = xstrdup(kv[i].value ? kv[i].value : "");
        }
        return v;
}

bool kv_match(char *const *pairs, char *const *selector) {
        for (size_t i = 0; selector && selector[i] && selector[i + 1]; i += 2) {
                bool found = false;
                for (size_t j = 0; pairs && pairs[j] && pairs[j + 1] && !found; j += 2)
                        found = !strcmp(pairs[j], selector[i]) && !strcmp(pairs[j + 1], selector[i + 1]);
                if (!found)
                        return false;
        }
        return true;
}

/* ---- the runtime ---- */

static bool is_slice(const char *s) {
        size_t n = strlen(s);
        return n > strlen(".slice") && !strcmp(s + n - strlen(".slice"), ".slice") && !strchr(s, '/');
}

int runtime_config_check(const struct cric_config *cfg, struct cric_error **err) {
        struct oci_node node;
        runtime_node_of(cfg, NULL, &node);
        if (oci_node_check(&node, err) < 0)
                return -1;
        for (size_t i = 0; i < cfg->n_runtimes; i++) {
                const char *m = cfg->runtimes[i].monitor_cgroup;
                if (m && (strstr(m, "..") || (*m && *m != '/' && strcmp(m, "pod") && !is_slice(m))))
                        return cric_error_set(err, CRIC_E_INVALID,
                                              "runtime %s: monitor_cgroup \"%s\" is not \"\", \"pod\", a slice or "
                                              "an absolute cgroup path",
                                              cfg->runtimes[i].name, m);
        }
        return 0;
}

int runtime_new(const struct runtime_opts *o, struct runtime **ret, struct cric_error **err) {
        if (runtime_config_check(o->config, err) < 0)
                return -1;
        struct runtime *rt = xzalloc(sizeof(*rt));
        rt->host_changes_fd = -1;
        pthread_mutex_init(&rt->cfg_lock, NULL);
        pthread_mutex_init(&rt->lock, NULL);
        pthread_mutex_init(&rt->persist, NULL);
        pthread_mutex_init(&rt->host_lock, NULL);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&rt->exited, &ca);
        pthread_condattr_destroy(&ca);
        rt->cfg = config_ref(o->config);
        rt->db = o->db;
        rt->layers = o->layers;
        rt->images = o->images;
        rt->cgroups = o->cgroups;
        rt->prewarm = cgroup_prewarm_new(o->cgroups);
        rt->cni = o->cni;
        rt->be = runtime_real_backend;
        if (o->backend) {
#define TAKE(f)                                                                                                        \
        if (o->backend->f)                                                                                             \
        rt->be.f = o->backend->f
                TAKE(oci_open);
                TAKE(monitor_create);
                TAKE(monitor_exec_sync);
                TAKE(monitor_reopen_log);
                TAKE(monitor_is_alive);
#undef TAKE
                rt->be.enter_spawn = o->backend->enter_spawn;
                rt->be.data = o->backend->data;
        }
        struct cric_error *kernel_err = NULL;
        if (rt->be.enter_spawn && enter_kernel_check(&kernel_err) < 0) {
                log_info("exec_native: %s: execs go through the OCI runtime", kernel_err->msg);
                cric_error_free(kernel_err);
                rt->be.enter_spawn = NULL;
        }
        const char *runroot = o->config->runroot;
        rt->pods_dir = xasprintf("%s/pods", runroot);
        rt->ns_dir = xasprintf("%s/ns", runroot);
        rt->ctrs_dir = xasprintf("%s/containers", runroot);
        rt->exits_dir = xasprintf("%s/exits", runroot);
        rt->sockets_dir = xasprintf("%s/sockets", runroot);
        rt->monitor_path = fs_find_helper(o->monitor_path, "cric-monitor");
        if (!rt->monitor_path)
                rt->monitor_path = xstrdup("/usr/libexec/cric/cric-monitor"); /* named in errors */
        pthread_mutex_init(&rt->usage_lock, NULL);
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        rt->host_changes_fd = host_changes_open(&e);
        if (rt->host_changes_fd < 0)
                cric_error_log_free(&e, "the host's addresses are read again every second");
        /* Monitors outlive the daemon: one that speaks another protocol is refused at once
         * (a stand-in backend brings its own). */
        if ((!o->backend && monitor_check_version(rt->monitor_path, err) < 0) || events_start(rt, err) < 0 ||
            runtime_restore(rt, err) < 0 || exit_watch_start(rt, err) < 0 || janitor_start(rt, err) < 0) {
                runtime_free(rt);
                return -1;
        }
        events_restored(rt);
        *ret = rt;
        return 0;
}

struct runtime *runtime_free(struct runtime *rt) {
        if (!rt)
                return NULL;
        exit_watch_stop(rt);
        janitor_stop(rt);
        events_stop(rt);
        cgroup_prewarm_free(rt->prewarm);
        for (size_t i = 0; i < rt->pods.n; i++)
                pod_unref(rt->pods.objs[i]);
        free(rt->pods.objs);
        for (size_t i = 0; i < rt->ctrs.n; i++)
                ctr_unref(rt->ctrs.objs[i]);
        free(rt->ctrs.objs);
        pthread_mutex_destroy(&rt->usage_lock);
        strv_free(rt->host_ips);
        if (rt->host_changes_fd >= 0)
                close(rt->host_changes_fd);
        pthread_mutex_destroy(&rt->host_lock);
        free(rt->pods_dir);
        free(rt->ns_dir);
        free(rt->ctrs_dir);
        free(rt->exits_dir);
        free(rt->sockets_dir);
        free(rt->monitor_path);
        config_unref(rt->cfg);
        pthread_cond_destroy(&rt->exited);
        pthread_mutex_destroy(&rt->persist);
        pthread_mutex_destroy(&rt->lock);
        pthread_mutex_destroy(&rt->cfg_lock);
        free(rt);
        return NULL;
}

void runtime_freep(struct runtime **rt) {
        if (rt)
                *rt = runtime_free(*rt);
}
