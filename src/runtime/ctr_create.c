/* CreateContainer: the image, the pod and the CRI config become a root file system, an
 * OCI bundle and a monitor that ran `<runtime> create`; then the container is published.
 * All or nothing. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "image/image.h"
#include "image/image_config.h"
#include "network/netns.h"
#include "network/podfiles.h"
#include "runtime/internal.h"
#include "storage/storage.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/crashpoint.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/rm.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* Everything one create gathers before it publishes the container. */
struct create {
        struct cric_config *cfg;
        const struct container_config *in;
        struct pod *pod;
        struct image_row *img;
        struct image_config *ic;
        struct container *c; /* not published yet */
        char *dir, *rootfs;
        char **iv_sources; /* per mount: the source that replaces host_path (an image volume's
                            * content, an idmapped volume), else NULL */
        size_t n_iv_sources;
        /* a pod with a user namespace of its own: the namespace (open) and its mappings */
        struct rootfs_idmap idmap;
        struct arena idmap_arena;
        char *oom_dir;
        char *spec;
};

static void create_clear(struct create *x) {
        config_unref(x->cfg);
        pod_unref(x->pod);
        image_row_free(x->img);
        image_config_free(x->ic);
        ctr_unref(x->c);
        free(x->dir);
        free(x->rootfs);
        for (size_t k = 0; k < x->n_iv_sources; k++)
                free(x->iv_sources[k]);
        free(x->iv_sources);
        if (x->idmap.userns_fd >= 0)
                close(x->idmap.userns_fd);
        arena_clear(&x->idmap_arena);
        free(x->oom_dir);
        free(x->spec);
}

/* <bundle>/<sub>/<n>: the mount points of image volumes (iv) and idmapped volumes (idm). */
static int unmount_sources(const char *dir, const char *sub, struct cric_error **err) {
        AUTOFREE char *iv = xasprintf("%s/%s", dir, sub);
        CLEANUP(strv_freep) char **names = NULL;
        if (fs_list_dir(iv, NULL, false, &names, err) < 0)
                return -1;
        for (size_t k = 0; names[k]; k++) {
                AUTOFREE char *target = xasprintf("%s/%s", iv, names[k]);
                if (rootfs_unmount(target, err) < 0)
                        return -1;
        }
        return 0;
}

void ctr_teardown(struct runtime *rt, const char *id, const char *runtime_path, const char *runtime_root) {
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        CLEANUP(oci_runtime_freep) struct oci_runtime *oci = NULL;
        if (runtime_path && *runtime_path) {
                if (runtime_oci(rt, runtime_path, runtime_root, &oci, &e) < 0 ||
                    (oci_runtime_delete(oci, id, true, &e) < 0 && e->kind != CRIC_E_NOT_FOUND))
                        cric_error_log_free(&e, "delete container %s", id);
                cric_error_freep(&e);
        }
        AUTOFREE char *dir = ctr_dir(rt, id);
        AUTOFREE char *rootfs = xasprintf("%s/rootfs", dir);
        AUTOFREE char *exit_file = xasprintf("%s/%s", rt->exits_dir, id);
        AUTOFREE char *sockets = xasprintf("%s/%s", rt->sockets_dir, id);
        if (rootfs_unmount(rootfs, &e) < 0 || unmount_sources(dir, "iv", &e) < 0 ||
            unmount_sources(dir, "idm", &e) < 0 || rootfs_remove(rt->layers, id, &e) < 0 || rm_rf(dir, &e) < 0 ||
            rm_rf(sockets, &e) < 0)
                cric_error_log_free(&e, "clean up container %s", id);
        if (unlink(exit_file) < 0 && errno != ENOENT)
                log_warn("remove %s: %s", exit_file, strerror(errno));
}

/* A container of the pod holding the name (rt->lock held). */
static struct container *name_holder(struct runtime *rt, const char *pod_id, const char *name, uint32_t attempt) {
        for (size_t i = 0; i < rt->ctrs.n; i++) {
                struct container *c = rt->ctrs.objs[i];
                if (c->info.attempt == attempt && !strcmp(c->info.pod_id, pod_id) && !strcmp(c->info.name, name))
                        return c;
        }
        return NULL;
}

/* rt->lock held. */
static int check_pod(struct runtime *rt, struct create *x, struct cric_error **err) {
        const char *name = x->in->oci.name;
        if (x->pod->state != POD_READY || x->pod->is_stopping || x->pod->is_gone)
                return cric_error_set(err, CRIC_E_PRECONDITION, "pod %s is not ready (it was stopped)",
                                      x->pod->info.id);
        struct container *holder = name_holder(rt, x->pod->info.id, name, x->in->attempt);
        if (holder)
                return cric_error_set(err, CRIC_E_EXISTS, "container name %s_%u in pod %s is reserved for container %s",
                                      name, x->in->attempt, x->pod->info.id, holder->info.id);
        return 0;
}

static int find_pod(struct runtime *rt, struct create *x, struct cric_error **err) {
        x->pod = pod_get(rt, x->in->pod_id, err);
        if (!x->pod)
                return -1;
        if (strcmp(x->pod->info.id, x->in->pod_id))
                return cric_error_set(err, CRIC_E_INVALID, "pod id %s must be given in full", x->in->pod_id);
        pthread_mutex_lock(&rt->lock);
        int r = check_pod(rt, x, err);
        pthread_mutex_unlock(&rt->lock);
        return r;
}

static int find_image(struct runtime *rt, struct create *x, struct cric_error **err) {
        if (image_lookup(rt->images, x->in->image, &x->img, err) < 0)
                return -1;
        if (image_config_parse(x->img->config_json, strlen(x->img->config_json), &x->ic, err) < 0)
                return cric_error_prefix(err, "image %s", x->img->id);
        return 0;
}

/* The log file: <pod log_directory>/<log_path>; "" when the kubelet asked for none. */
static char *log_path_of(const struct pod *p, const char *rel) {
        if (!rel || !*rel)
                return xstrdup("");
        if (rel[0] == '/')
                return xstrdup(rel);
        return *p->log_directory ? xasprintf("%s/%s", p->log_directory, rel) : xstrdup("");
}

static struct container_mount *mounts_of(const struct oci_container_input *in) {
        struct container_mount *m = xcalloc(in->n_mounts + 1, sizeof(*m));
        for (size_t i = 0; i < in->n_mounts; i++)
                m[i] = (struct container_mount){
                        .container_path = xstrdup(in->mounts[i].container_path ? in->mounts[i].container_path : ""),
                        .host_path = xstrdup(in->mounts[i].host_path ? in->mounts[i].host_path : ""),
                        .is_readonly = in->mounts[i].is_readonly,
                        .selinux_relabel = in->mounts[i].selinux_relabel,
                        .is_recursive_read_only = in->mounts[i].is_recursive_read_only,
                        .propagation = in->mounts[i].propagation,
                        .image = xstrdup(in->mounts[i].image ? in->mounts[i].image : ""),
                        .image_sub_path = xstrdup(in->mounts[i].image_sub_path ? in->mounts[i].image_sub_path : ""),
                        .image_id = xstrdup(""),
                };
        return m;
}

/* The container as it will be published; the rest (cgroup, user, pids) comes later. */
static int container_new(struct runtime *rt, struct create *x, const char *id, struct cric_error **err) {
        const struct container_config *in = x->in;
        int stop_signal = in->stop_signal;
        if (stop_signal == 0 && oci_signal_parse(x->ic->stop_signal, &stop_signal, err) < 0)
                return cric_error_prefix(err, "image %s", in->image);
        AUTOFREE char *runtime_path = NULL;
        const char *runtime_root = NULL;
        if (runtime_handler_binary(x->cfg, x->pod->info.runtime_handler, &runtime_path, &runtime_root, err) < 0)
                return cric_error_prefix(err, "pod %s", x->pod->info.id);
        struct container *c = xzalloc(sizeof(*c));
        atomic_init(&c->refs, 1);
        pthread_mutex_init(&c->op_lock, NULL);
        struct container_info *i = &c->info;
        i->id = xstrdup(id);
        i->pod_id = xstrdup(x->pod->info.id);
        i->name = xstrdup(in->oci.name);
        i->attempt = in->attempt;
        i->image = xstrdup(in->image);
        i->image_id = xstrdup(x->img->id);
        i->image_ref = x->img->repo_digests && x->img->repo_digests[0] ? xstrdup(x->img->repo_digests[0])
                                                                       : xasprintf("sha256:%s", x->img->id);
        i->user_specified_image = xstrdup(in->user_specified_image ? in->user_specified_image : "");
        i->image_runtime_handler = xstrdup(in->image_runtime_handler ? in->image_runtime_handler : "");
        i->image_annotations = kv_pairs(in->image_annotations, in->n_image_annotations);
        i->labels = kv_pairs(in->labels, in->n_labels);
        i->annotations = kv_pairs(in->oci.annotations, in->oci.n_annotations);
        i->mounts = mounts_of(&in->oci);
        i->n_mounts = in->oci.n_mounts;
        i->log_path = log_path_of(x->pod, in->log_path);
        i->cgroup = xstrdup("");
        i->stop_signal = stop_signal;
        i->tty = in->oci.tty;
        i->has_stdin = in->has_stdin;
        i->is_stdin_once = in->is_stdin_once;
        i->runtime_path = STEAL_PTR(runtime_path);
        i->runtime_root = xstrdup(runtime_root ? runtime_root : "");
        c->state = CONTAINER_CREATED;
        c->reason = "";
        c->res = resources_new(&in->oci.resources);
        x->c = c;
        (void) rt;
        return 0;
}

/* ---- the OCI spec ---- */

static const char *cgroup_parent_of(const struct create *x) {
        if (*x->pod->info.cgroup_parent)
                return x->pod->info.cgroup_parent;
        return x->cfg->cgroup_manager == CRIC_CGROUP_SYSTEMD ? "system.slice" : "/cric";
}

/* The pod's shared parts, as its containers join them. */
static int sandbox_of(struct runtime *rt, const struct create *x, struct arena *a, struct oci_sandbox *sb,
                      struct cric_error **err) {
        const struct pod *p = x->pod;
        const char *id = p->info.id;
        if (record_sandbox(p, a, sb, err) < 0)
                return -1;
        sb->cgroup_parent = cgroup_parent_of(x);
        if (p->ns & NETNS_NET)
                sb->netns_path = arena_keep(a, netns_pin_path(rt->ns_dir, NETNS_NET, id));
        if (p->ns & NETNS_IPC) {
                sb->ipcns_path = arena_keep(a, netns_pin_path(rt->ns_dir, NETNS_IPC, id));
                sb->shm_path = arena_keep(a, xasprintf("%s/%s/shm", rt->pods_dir, id));
        }
        if (p->ns & NETNS_UTS)
                sb->utsns_path = arena_keep(a, netns_pin_path(rt->ns_dir, NETNS_UTS, id));
        if (p->ns & NETNS_USER)
                sb->userns_path = arena_keep(a, netns_pin_path(rt->ns_dir, NETNS_USER, id));
        sb->pause_pid = p->pause_pid;
        sb->resolv_conf_path = arena_keep(a, xasprintf("%s/%s/" PODFILES_RESOLV_CONF, rt->pods_dir, id));
        sb->hosts_path = arena_keep(a, xasprintf("%s/%s/" PODFILES_HOSTS, rt->pods_dir, id));
        sb->hostname_path = arena_keep(a, xasprintf("%s/%s/" PODFILES_HOSTNAME, rt->pods_dir, id));
        return 0;
}

/* A container's POD namespaces are its pod's, whatever mode the pod has. */
static void resolve_namespaces(const struct pod *p, struct oci_namespace_options *ns) {
        if (ns->network == OCI_NS_POD && p->info.network == OCI_NS_NODE)
                ns->network = OCI_NS_NODE;
        if (ns->ipc == OCI_NS_POD && p->info.ipc == OCI_NS_NODE)
                ns->ipc = OCI_NS_NODE;
        if (ns->pid == OCI_NS_POD && p->info.pid != OCI_NS_POD)
                ns->pid = p->info.pid == OCI_NS_NODE ? OCI_NS_NODE : OCI_NS_CONTAINER;
}

/* PID mode TARGET: the PID namespace of a running container of the same pod. */
static int target_pid_ns(struct runtime *rt, const struct create *x, struct arena *a, const char **ret,
                         struct cric_error **err) {
        const char *target = x->in->pid_target_id ? x->in->pid_target_id : "";
        CLEANUP(ctr_unrefp) struct container *t = ctr_get(rt, target, err);
        if (!t)
                return cric_error_prefix(err, "PID namespace target");
        pthread_mutex_lock(&rt->lock);
        bool is_running = t->state == CONTAINER_RUNNING;
        pthread_mutex_unlock(&rt->lock);
        if (!is_running || t->info.pid <= 0)
                return cric_error_set(err, CRIC_E_PRECONDITION, "PID namespace target %s is not running", t->info.id);
        if (strcmp(t->info.pod_id, x->pod->info.id))
                return cric_error_set(err, CRIC_E_INVALID, "PID namespace target %s is in another pod", t->info.id);
        *ret = arena_keep(a, xasprintf("/proc/%d/ns/pid", (int) t->info.pid));
        return 0;
}

static void image_defaults(const struct create *x, struct oci_image_defaults *ret) {
        const struct image_config *ic = x->ic;
        *ret = (struct oci_image_defaults){
                .name = x->in->image,
                .entrypoint = ic->entrypoint,
                .n_entrypoint = strv_length(ic->entrypoint),
                .cmd = ic->cmd,
                .n_cmd = strv_length(ic->cmd),
                .env = ic->env,
                .n_env = strv_length(ic->env),
                .working_dir = ic->working_dir && *ic->working_dir ? ic->working_dir : NULL,
                .user = ic->user && *ic->user ? ic->user : NULL,
        };
}

/* ---- image volumes ---- */

/* The image of an image volume; pulled first when the store lacks it (the kubelet
 * pulls it before CreateContainer, with the pod's credentials: this is the fallback). */
static int image_volume_image(struct runtime *rt, const struct create *x, const char *name, struct image_row **ret,
                              struct cric_error **err) {
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (image_lookup(rt->images, name, ret, &e) == 0)
                return 0;
        if (e->kind != CRIC_E_NOT_FOUND)
                return cric_error_move(err, &e);
        AUTOFREE char *id = NULL;
        log_info("image volume %s is not in the store: pulling it", name);
        if (image_pull(rt->images, name, NULL, x->pod->info.namespace, &id, err) < 0)
                return -1;
        return image_lookup(rt->images, id, ret, err);
}

/* sub inside the volume mounted at root, resolved as if root were "/" (a symlink in
 * the image never leads out of it): the path the bind mount takes. */
static int resolve_sub_path(const char *root, const char *sub, char **ret, struct cric_error **err) {
        AUTOCLOSE int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open %s", root);
        AUTOCLOSE int fd = fs_openat_beneath(rootfd, sub, O_PATH, 0, true);
        if (fd < 0)
                return cric_error_errno(err, errno == ENOENT ? CRIC_E_NOT_FOUND : CRIC_E_INVALID, errno,
                                        "image_sub_path \"%s\"", sub);
        char link[64], path[PATH_MAX];
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, path, sizeof(path) - 1);
        if (n < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "readlink %s", link);
        path[n] = '\0';
        size_t rl = strlen(root);
        if (strncmp(path, root, rl) != 0 || (path[rl] && path[rl] != '/'))
                return cric_error_set(err, CRIC_E_INVALID, "image_sub_path \"%s\" resolves outside the image", sub);
        *ret = xstrdup(path);
        return 0;
}

/* Each image volume: the image's layers mounted read-only at <bundle>/iv/<n>, the
 * source of its bind mount. */
static int mount_image_volumes(struct runtime *rt, struct create *x, struct cric_error **err) {
        struct container_info *i = &x->c->info;
        unsigned n = 0;
        for (size_t k = 0; k < i->n_mounts; k++) {
                struct container_mount *m = &i->mounts[k];
                if (!*m->image)
                        continue;
                CLEANUP(image_row_freep) struct image_row *img = NULL;
                AUTOFREE char *target = xasprintf("%s/iv/%u", x->dir, n);
                int r = image_volume_image(rt, x, m->image, &img, err);
                if (r == 0)
                        r = fs_mkdir_p(target, 0755, err);
                if (r == 0)
                        r = rootfs_mount_image(rt->layers, i->id, n++, img->layers, target, err);
                if (r == 0)
                        r = resolve_sub_path(target, m->image_sub_path, &x->iv_sources[k], err);
                if (r < 0)
                        return cric_error_prefix(err, "image volume %s at %s", m->image, m->container_path);
                free(m->image_id);
                m->image_id = xstrdup(img->id);
                log_debug("container %s: image volume %s (image %.12s) at %s", i->id, m->image, img->id,
                          m->container_path);
        }
        return 0;
}

static int generate_spec(struct runtime *rt, struct create *x, struct cric_error **err) {
        struct arena a = {0};
        struct oci_sandbox sb;
        struct oci_image_defaults defaults;
        struct oci_container_input in = x->in->oci;
        struct oci_host host;
        struct oci_node node;
        CLEANUP(oci_hooks_freep) struct oci_hooks *hooks = oci_hooks_load(x->cfg->hooks_dir);
        runtime_node_of(x->cfg, x->pod->info.runtime_handler, &node);
        in.node = &node;
        in.id = x->c->info.id;
        in.hooks = hooks;
        in.rootfs = x->rootfs;
        in.sandbox = &sb;
        in.cdi_spec_dirs = x->cfg->cdi_spec_dirs;
        /* image volumes are bind mounts of what mount_image_volumes mounted, read-only */
        struct oci_mount *mounts = arena_calloc(&a, in.n_mounts + 1, sizeof(*mounts));
        for (size_t k = 0; k < in.n_mounts; k++) {
                mounts[k] = in.mounts[k];
                if (k < x->n_iv_sources && x->iv_sources[k]) {
                        mounts[k].host_path = x->iv_sources[k];
                        mounts[k].is_readonly |= mounts[k].image != NULL;
                }
        }
        in.mounts = mounts;
        in.n_cdi_spec_dirs = strv_length(x->cfg->cdi_spec_dirs);
        image_defaults(x, &defaults);
        in.image = &defaults;
        resolve_namespaces(x->pod, &in.security.ns);
        int r = sandbox_of(rt, x, &a, &sb, err);
        if (r == 0 && in.security.ns.pid == OCI_NS_TARGET)
                r = target_pid_ns(rt, x, &a, &in.security.ns.target_pid_ns_path, err);
        if (r == 0)
                r = oci_host_detect(x->cfg->cgroup_manager == CRIC_CGROUP_SYSTEMD ? OCI_CGROUP_SYSTEMD
                                                                                  : OCI_CGROUP_CGROUPFS,
                                    &host, err);
        if (r == 0)
                r = oci_spec_generate(&in, &host, &x->spec, err);
        arena_clear(&a);
        if (r == 0)
                r = oci_spec_user(x->spec, &x->c->info.user, err);
        return r;
}

/* The container's cgroup below the hierarchy roots, and its memory cgroup directory for
 * OOM detection. */
static int name_cgroup(struct runtime *rt, struct create *x, struct cric_error **err) {
        const char *driver = cgroup_manager_to_string(x->cfg->cgroup_manager);
        const struct cgroup_driver *drv = cgroup_driver_find(driver);
        if (!drv)
                return cric_error_set(err, CRIC_E_INTERNAL, "no cgroup driver %s", driver);
        free(x->c->info.cgroup);
        x->c->info.cgroup = NULL;
        if (drv->container_cgroup(cgroup_parent_of(x), x->c->info.id, &x->c->info.cgroup, err) < 0)
                return -1;
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *paths = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (rt->cgroups && cgroup_paths_new(rt->cgroups, x->c->info.cgroup, &paths, &e) == 0) {
                const char *mem = cgroup_paths_get(paths, cgroup_mounts_mode(rt->cgroups) == CGROUP_V2 ? "" : "memory");
                x->oom_dir = mem ? xstrdup(mem) : NULL;
        }
        return 0;
}

/* ---- user namespaces ---- */

/* A pod with a user namespace of its own (hostUsers: false): its pinned namespace and
 * the mappings it was made with. */
static int load_userns(struct runtime *rt, struct create *x, struct cric_error **err) {
        x->idmap.userns_fd = -1;
        if (!(x->pod->ns & NETNS_USER))
                return 0;
        struct oci_sandbox sb;
        if (record_sandbox(x->pod, &x->idmap_arena, &sb, err) < 0)
                return -1;
        AUTOFREE char *path = netns_pin_path(rt->ns_dir, NETNS_USER, x->pod->info.id);
        x->idmap.userns_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (x->idmap.userns_fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open the pod's user namespace %s", path);
        x->idmap.uids = sb.security.ns.uids;
        x->idmap.n_uids = sb.security.ns.n_uids;
        x->idmap.gids = sb.security.ns.gids;
        x->idmap.n_gids = sb.security.ns.n_gids;
        return 0;
}

static bool same_map(const struct idmap *a, size_t na, const struct idmap *b, size_t nb) {
        return na == nb && (na == 0 || memcmp(a, b, na * sizeof(*a)) == 0);
}

/* The volumes the kubelet asks to be idmapped (uidMappings/gidMappings: a pod with a user
 * namespace): bound through an idmapped copy at <bundle>/idm/<k>, so what the host's
 * root owns shows as the pod's root's, with no chown. The pod's own user namespace
 * serves when the mappings are the pod's (as the kubelet sends them); another is made
 * for other mappings. A file system without idmapped mounts fails the create. */
static int idmap_volumes(struct create *x, struct cric_error **err) {
        const struct oci_container_input *in = &x->in->oci;
        for (size_t k = 0; k < in->n_mounts; k++) {
                const struct oci_mount *m = &in->mounts[k];
                if (!m->n_uids)
                        continue;
                struct stat st;
                if (!m->host_path || stat(m->host_path, &st) < 0)
                        return cric_error_errno(err, errno == ENOENT ? CRIC_E_NOT_FOUND : CRIC_E_INTERNAL, errno,
                                                "idmapped volume %s: host path %s", m->container_path,
                                                m->host_path ? m->host_path : "");
                AUTOFREE char *parent = xasprintf("%s/idm", x->dir);
                AUTOFREE char *target = xasprintf("%s/%zu", parent, k);
                if (fs_mkdir_p(parent, 0711, err) < 0)
                        return -1;
                int fd = S_ISDIR(st.st_mode) ? mkdir(target, 0700) : open(target, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
                if (fd < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "create %s", target);
                if (!S_ISDIR(st.st_mode))
                        close(fd);
                int ns = -1;
                bool pods = x->idmap.userns_fd >= 0 && same_map(m->uids, m->n_uids, x->idmap.uids, x->idmap.n_uids) &&
                            same_map(m->gids, m->n_gids, x->idmap.gids, x->idmap.n_gids);
                if (pods)
                        ns = x->idmap.userns_fd;
                else if (userns_create(m->uids, m->n_uids, m->gids, m->n_gids, &ns, err) < 0)
                        return cric_error_prefix(err, "idmapped volume %s", m->container_path);
                int r = idmap_bind(m->host_path, target, ns, err);
                if (!pods)
                        close(ns);
                if (r < 0)
                        return cric_error_prefix(err, "idmapped volume %s", m->container_path);
                x->iv_sources[k] = STEAL_PTR(target);
        }
        return 0;
}

static int mount_rootfs(struct runtime *rt, struct create *x, struct cric_error **err) {
        const struct container_info *i = &x->c->info;
        if (x->idmap.userns_fd >= 0)
                return rootfs_mount_idmapped(rt->layers, i->id, x->img->layers, x->rootfs, &x->idmap, err);
        return rootfs_mount(rt->layers, i->id, x->img->layers, x->rootfs, err);
}

static int make_bundle(struct runtime *rt, struct create *x, struct cric_error **err) {
        const struct container_info *i = &x->c->info;
        /* one slot a mount (the container's mounts are the request's, in its order) */
        x->iv_sources = xcalloc(i->n_mounts + 1, sizeof(char *));
        x->n_iv_sources = i->n_mounts;
        if (fs_mkdir_p(x->rootfs, 0755, err) < 0 ||
            runtime_file_write(x->dir, i->runtime_path, i->runtime_root, err) < 0 || load_userns(rt, x, err) < 0 ||
            mount_rootfs(rt, x, err) < 0 || mount_image_volumes(rt, x, err) < 0 || idmap_volumes(x, err) < 0 ||
            generate_spec(rt, x, err) < 0 || name_cgroup(rt, x, err) < 0)
                return -1;
        return oci_spec_write_bundle(x->dir, x->spec, err);
}

/* The handler's monitor_cgroup: "" leaves the monitor in cricd's cgroup, "pod" moves it
 * to the pod's cgroup, "x.slice" to /x.slice, a path to that path. A failure is logged:
 * the container runs all the same. */
/* A systemd slice as a cgroup path: "a-b.slice" is /a.slice/a-b.slice. */
static char *slice_path(const char *slice) {
        size_t n = strlen(slice) - strlen(".slice"); /* runtime_config_check: it ends so */
        if (!strcmp(slice, "-.slice"))
                return xstrdup("/");
        char *path = xstrdup("");
        for (size_t i = 1; i <= n; i++) {
                if (i < n && slice[i] != '-')
                        continue;
                char *next = xasprintf("%s/%.*s.slice", path, (int) i, slice);
                free(path);
                path = next;
        }
        return path;
}

/* The pod's cgroup: the parent of the container's (the driver named it; under systemd
 * the slice a scope is in). NULL when the container process's cgroup can't be read. */
static char *pod_cgroup(const struct create *x) {
        if (x->cfg->cgroup_manager != CRIC_CGROUP_SYSTEMD)
                return xstrdup(cgroup_parent_of(x));
        AUTOFREE char *path = xasprintf("/proc/%d/cgroup", (int) x->c->info.pid);
        AUTOFREE char *data = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (x->c->info.pid <= 0 || fs_read_file(path, 1 << 16, &data, NULL, &e) < 0)
                return NULL;
        char *save = NULL;
        for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *ctrls = strchr(line, ':'), *cg = ctrls ? strchr(ctrls + 1, ':') : NULL;
                if (!cg ||
                    !(cg == ctrls + 1 || !strncmp(ctrls + 1, "pids:", 5) || !strncmp(ctrls + 1, "name=systemd:", 13)))
                        continue;
                char *slash = strrchr(cg + 1, '/');
                if (slash && slash != cg + 1)
                        return xstrndup(cg + 1, (size_t) (slash - cg - 1));
        }
        return NULL;
}

static void place_monitor(struct runtime *rt, const struct create *x, pid_t pid) {
        const struct cric_runtime_handler *h = config_find_runtime(x->cfg, x->pod->info.runtime_handler);
        const char *want = h ? h->monitor_cgroup : NULL;
        if (!want || !*want || pid <= 0)
                return;
        AUTOFREE char *path = !strcmp(want, "pod") ? pod_cgroup(x) : want[0] == '/' ? xstrdup(want) : slice_path(want);
        if (!path) {
                log_warn("container %s: monitor_cgroup %s: the pod's cgroup is unknown", x->c->info.id, want);
                return;
        }
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (!rt->cgroups)
                log_warn("container %s: no cgroup file system, monitor_cgroup %s not applied", x->c->info.id, want);
        else if (cgroup_attach_pid(rt->cgroups, path, pid, &e) < 0)
                log_warn("container %s: monitor_cgroup %s: %s", x->c->info.id, want, e->msg);
        else
                log_debug("container %s: monitor %d moved to cgroup %s", x->c->info.id, (int) pid, path);
}

static int start_monitor(struct runtime *rt, struct create *x, struct cric_error **err) {
        struct container_info *i = &x->c->info;
        AUTOFREE char *log_path = *i->log_path ? xstrdup(i->log_path) : xasprintf("%s/console.log", x->dir);
        AUTOFREE char *log_dir = xstrdup(log_path);
        char *slash = strrchr(log_dir, '/');
        if (slash && slash != log_dir) {
                *slash = 0;
                if (fs_mkdir_p(log_dir, 0755, err) < 0)
                        return -1;
        }
        AUTOFREE char *pid_file = xasprintf("%s/pid", x->dir);
        AUTOFREE char *monitor_log = xasprintf("%s/monitor.log", x->dir);
        const struct pod_info *pi = &x->pod->info;
        /* The journal's CONTAINER_NAME, in the kubelet's docker-era form as CRI-O writes it. */
        AUTOFREE char *journal_name =
                xasprintf("k8s_%s_%s_%s_%s_%u", i->name, pi->name, pi->namespace, pi->uid, (unsigned) i->attempt);
        struct monitor_create_opts o = {
                .monitor_path = rt->monitor_path,
                .id = i->id,
                .bundle = x->dir,
                .runtime = i->runtime_path,
                .runtime_root = *i->runtime_root ? i->runtime_root : NULL,
                .runtime_args = runtime_global_args(x->cfg),
                .log_path = log_path,
                .log_size_max = x->cfg->log_size_max > 0 ? (uint64_t) x->cfg->log_size_max : 0,
                .log_to_journald = x->cfg->log_to_journald,
                .journal_name = journal_name,
                .pod_name = pi->name,
                .pod_namespace = pi->namespace,
                .exit_dir = rt->exits_dir,
                .socket_dir = rt->sockets_dir,
                .pid_file = pid_file,
                .cgroup_path = x->oom_dir,
                .is_terminal = i->tty,
                .has_stdin = i->has_stdin,
                .is_stdin_once = i->is_stdin_once,
                .log_level = log_level_to_string(x->cfg->log_level),
                .monitor_log_path = monitor_log,
        };
        if (rt->be.monitor_create(rt->be.data, &o, &i->monitor_pid, &i->pid, err) < 0)
                return -1;
        place_monitor(rt, x, i->monitor_pid);
        return 0;
}

static int store_insert(struct runtime *rt, struct container *c, struct cric_error **err) {
        const struct container_info *i = &c->info;
        struct json_object *rec = record_container(c);
        AUTOFREE char *text = record_text(rec);
        json_object_put(rec);
        struct json_object *res = record_resources(&c->res->r);
        AUTOFREE char *res_text = record_text(res);
        json_object_put(res);
        struct container_row row = {
                .id = i->id,
                .pod_id = i->pod_id,
                .name = i->name,
                .attempt = i->attempt,
                .state = CONTAINER_ROW_CREATED,
                .created_ns = i->created_ns,
                .reason = "",
                .message = "",
                .image = i->image,
                .image_id = i->image_id,
                .image_ref = i->image_ref,
                .runtime_path = i->runtime_path,
                .runtime_root = i->runtime_root,
                .log_path = i->log_path,
                .cgroup = i->cgroup,
                .stop_signal = i->stop_signal,
                .monitor_pid = i->monitor_pid,
                .pid = i->pid,
                .record = text,
                .resources = res_text,
                .resources_len = strlen(res_text),
        };
        return store_container_insert(rt->db, &row, err);
}

/* The pod may have been stopped meanwhile: checked again under the lock that publishes. */
static int publish(struct runtime *rt, struct create *x, struct cric_error **err) {
        x->c->info.created_ns = runtime_now_ns();
        pthread_mutex_lock(&rt->lock);
        int r = check_pod(rt, x, err);
        if (r == 0)
                r = store_insert(rt, x->c, err);
        if (r == 0) {
                index_add(&rt->ctrs, ctr_ref(x->c));
                events_note_container(rt, RUNTIME_EVENT_CREATED, x->c);
        }
        pthread_mutex_unlock(&rt->lock);
        return r;
}

int runtime_container_create(struct runtime *rt, const struct container_config *in, char **ret_id,
                             struct cric_error **err) {
        const char *name = in->oci.name ? in->oci.name : "";
        struct create x = {.cfg = runtime_config(rt), .in = in, .idmap = {.userns_fd = -1}};
        char id[65];
        runtime_new_id(id);
        int r = find_pod(rt, &x, err);
        if (r == 0) {
                cgroup_prewarm_kick(rt->prewarm); /* the runtime moves the container into its cgroup */
                r = find_image(rt, &x, err);
        }
        if (r == 0)
                r = container_new(rt, &x, id, err);
        if (r < 0) {
                create_clear(&x);
                return cric_error_prefix(err, "create container %s in pod %s", name, in->pod_id);
        }
        x.dir = ctr_dir(rt, id);
        x.rootfs = xasprintf("%s/rootfs", x.dir);
        r = make_bundle(rt, &x, err);
        if (r == 0) {
                crashpoint("create-bundle-made");
                r = start_monitor(rt, &x, err);
        }
        if (r == 0) {
                crashpoint("create-monitor-started");
                r = publish(rt, &x, err);
        }
        if (r < 0) {
                ctr_teardown(rt, id, x.c->info.runtime_path, x.c->info.runtime_root);
                create_clear(&x);
                return cric_error_prefix(err, "create container %s in pod %s", name, in->pod_id);
        }
        log_info("container %s (%s in pod %s) created, pid %d", id, name, x.pod->info.id, (int) x.c->info.pid);
        create_clear(&x);
        *ret_id = xstrdup(id);
        return 0;
}
