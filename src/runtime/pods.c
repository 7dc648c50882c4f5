/* Pod lifecycle. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "oci/oci.h"
#include "runtime/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/rm.h"
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

static char *pod_dir(const struct runtime *rt, const char *id) {
        return xasprintf("%s/%s", rt->pods_dir, id);
}

static void pinned_paths(const struct runtime *rt, const char *id, unsigned which, struct pinned_ns *ret) {
        memset(ret, 0, sizeof(*ret));
        if (which & NETNS_NET)
                ret->net = netns_pin_path(rt->ns_dir, NETNS_NET, id);
        if (which & NETNS_IPC)
                ret->ipc = netns_pin_path(rt->ns_dir, NETNS_IPC, id);
        if (which & NETNS_UTS)
                ret->uts = netns_pin_path(rt->ns_dir, NETNS_UTS, id);
}

static int unpin(const struct runtime *rt, const char *id, unsigned which, struct cric_error **err) {
        struct pinned_ns p;
        pinned_paths(rt, id, which, &p);
        int r = netns_unpin(&p, err);
        pinned_ns_clear(&p);
        return r;
}

static char *shm_path(const struct runtime *rt, const char *id) {
        return xasprintf("%s/%s/shm", rt->pods_dir, id);
}

/* The pod's /dev/shm, shared by its containers (IPC namespace of the pod). */
static int mount_shm(const struct runtime *rt, const char *id, struct cric_error **err) {
        AUTOFREE char *path = shm_path(rt, id);
        if (fs_mkdir_p(path, 0755, err) < 0)
                return -1;
        if (mount("shm", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k") < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "mount the pod's shm at %s", path);
        return 0;
}

static void unmount_shm(const struct runtime *rt, const char *id) {
        AUTOFREE char *path = shm_path(rt, id);
        if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
                log_warn("unmount %s: %s", path, strerror(errno));
}

static char *infra_dir(const struct runtime *rt, const char *id) {
        return xasprintf("%s/%s/infra", rt->pods_dir, id);
}

/* Kills the pod's infra process, with the runtime named in its directory. */
static int kill_infra(struct runtime *rt, const char *id, struct cric_error **err) {
        AUTOFREE char *dir = infra_dir(rt, id);
        AUTOFREE char *text = NULL;
        const char *path = NULL, *root = NULL;
        if (runtime_file_read(dir, &text, &path, &root, err) < 0)
                return -1;
        return path ? runtime_infra_kill(rt, id, path, root, err) : 0; /* no path: never started */
}

/* Leftovers of a RunPodSandbox that died half-way: a pod directory without a row. */
static int reconcile(struct runtime *rt, struct cric_error **err) {
        CLEANUP(strv_freep) char **dirs = NULL;
        if (fs_list_dir(rt->pods_dir, NULL, false, &dirs, err) < 0)
                return -1;
        for (size_t i = 0; dirs[i]; i++) {
                CLEANUP(pod_row_freep) struct pod_row *row = NULL;
                CLEANUP(cric_error_freep) struct cric_error *e = NULL;
                if (store_pod_get(rt->db, dirs[i], &row, &e) == 0 || e->kind != CRIC_E_NOT_FOUND)
                        continue;
                log_warn("removing the leftovers of pod %s, which was never completed", dirs[i]);
                AUTOFREE char *dir = pod_dir(rt, dirs[i]);
                unmount_shm(rt, dirs[i]);
                if (kill_infra(rt, dirs[i], &e) < 0 || unpin(rt, dirs[i], NETNS_ALL, &e) < 0 || rm_rf(dir, &e) < 0)
                        cric_error_log_free(&e, "clean pod %s", dirs[i]);
        }
        return 0;
}

/* CNI attachments of pods that are gone or stopped (a crash between ADD and the row,
 * or between the row's removal and DEL). */
static int gc_networks(struct runtime *rt, struct cric_error **err) {
        if (!rt->cni)
                return 0;
        struct pod_row **rows = NULL;
        size_t n = 0;
        if (store_pod_list(rt->db, &rows, &n, err) < 0)
                return -1;
        CLEANUP(strv_freep) char **valid = xcalloc(1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
                if (rows[i]->state == POD_ROW_READY && (rows[i]->namespaces & NETNS_NET))
                        strv_push(&valid, rows[i]->id);
        pod_rows_free(rows, n);
        cni_manager_gc(rt->cni, valid);
        /* The pods that stay: is their network still what the plugins set up? */
        for (size_t i = 0; valid[i]; i++) {
                AUTOFREE char *netns = netns_pin_path(rt->ns_dir, NETNS_NET, valid[i]);
                struct cni_attachment a = {.container_id = valid[i], .netns = netns};
                CLEANUP(cric_error_freep) struct cric_error *e = NULL;
                if (cni_manager_check(rt->cni, &a, &e) < 0 && e->kind != CRIC_E_NOT_FOUND)
                        log_warn("pod %s: CNI CHECK failed: %s", valid[i], e->msg);
        }
        return 0;
}

int runtime_new(struct store *db, const struct runtime_opts *opts, struct runtime **ret, struct cric_error **err) {
        struct runtime *rt = xzalloc(sizeof(*rt));
        rt->db = db;
        rt->layers = opts->layers;
        rt->cgroups = opts->cgroups;
        rt->prewarm = cgroup_prewarm_new(opts->cgroups);
        rt->cni = opts->cni;
        rt->systemd_cgroup = opts->systemd_cgroup;
        rt->pods_dir = xasprintf("%s/pods", opts->runroot);
        rt->ns_dir = xasprintf("%s/ns", opts->runroot);
        rt->ctrs_dir = xasprintf("%s/containers", opts->runroot);
        rt->exits_dir = xasprintf("%s/exits", opts->runroot);
        rt->sockets_dir = xasprintf("%s/sockets", opts->runroot);
        rt->monitor_path = fs_find_helper(opts->monitor_path, "cric-monitor");
        if (!rt->monitor_path)
                rt->monitor_path = xstrdup("/usr/libexec/cric/cric-monitor"); /* named in errors */
        rt->monitor_log_level = xstrdup(opts->monitor_log_level ? opts->monitor_log_level : "info");
        rt->log_size_max = opts->log_size_max;
        pthread_mutex_init(&rt->lock, NULL);
        if (fs_mkdir_p(rt->pods_dir, 0711, err) < 0 || runtime_containers_init(rt, err) < 0 || reconcile(rt, err) < 0 ||
            gc_networks(rt, err) < 0) {
                runtime_free(rt);
                return -1;
        }
        *ret = rt;
        return 0;
}

struct runtime *runtime_free(struct runtime *rt) {
        if (rt) {
                cgroup_prewarm_free(rt->prewarm);
                free(rt->pods_dir);
                free(rt->ns_dir);
                free(rt->ctrs_dir);
                free(rt->exits_dir);
                free(rt->sockets_dir);
                free(rt->monitor_path);
                free(rt->monitor_log_level);
                pthread_mutex_destroy(&rt->lock);
                free(rt);
        }
        return NULL;
}

void runtime_freep(struct runtime **rt) {
        if (rt)
                *rt = runtime_free(*rt);
}

static unsigned namespaces_of(const struct pod_spec *spec) {
        unsigned which = 0;
        if (!spec->is_host_network)
                which |= NETNS_NET | NETNS_UTS; /* host network pods keep the host's name too */
        if (!spec->is_host_ipc)
                which |= NETNS_IPC;
        return which;
}

static int start_infra(struct runtime *rt, const struct pod_spec *spec, const char *id, unsigned which,
                       struct cric_error **err);

static int setup_pod(struct runtime *rt, const struct pod_spec *spec, const char *id, unsigned which,
                     struct cric_error **err) {
        AUTOFREE char *dir = pod_dir(rt, id);
        struct podfiles_opts files = {
                .dir = dir,
                .hostname = spec->hostname,
                .dns = spec->dns,
                .is_host_network = spec->is_host_network,
        };
        if (podfiles_write(&files, err) < 0)
                return -1;
        if ((which & NETNS_IPC) && mount_shm(rt, id, err) < 0)
                return -1;
        if (!(which & NETNS_ALL)) {
                if (spec->n_sysctls)
                        return cric_error_set(err, CRIC_E_INVALID,
                                              "sysctl %s: the pod shares its network and IPC namespaces with the host, "
                                              "so it cannot set namespaced sysctls",
                                              spec->sysctls[0].key);
                return spec->is_shared_pid ? start_infra(rt, spec, id, which, err) : 0;
        }
        struct netns_opts o = {
                .dir = rt->ns_dir,
                .pod_id = id,
                .which = which & NETNS_ALL,
                .hostname = (which & NETNS_UTS) && spec->hostname && *spec->hostname ? spec->hostname : NULL,
                .sysctls = spec->sysctls,
                .n_sysctls = spec->n_sysctls,
        };
        struct pinned_ns pinned = {0};
        int r = netns_pin(&o, &pinned, err);
        pinned_ns_clear(&pinned);
        if (r == 0 && spec->is_shared_pid)
                r = start_infra(rt, spec, id, which, err);
        return r;
}

static void fill_paths(struct runtime *rt, const char *id, unsigned which, struct pod_paths *ret);

static int copy_file(const char *from, const char *to, mode_t mode, struct cric_error **err) {
        AUTOFREE char *data = NULL;
        size_t len = 0;
        if (fs_read_file(from, 64 << 20, &data, &len, err) < 0)
                return -1;
        return fs_write_file_atomic(to, data, len, mode, err);
}

/* The init of a shared PID namespace: cric-pause alone in a read-only rootfs. */
static int start_infra(struct runtime *rt, const struct pod_spec *spec, const char *id, unsigned which,
                       struct cric_error **err) {
        AUTOFREE char *dir = infra_dir(rt, id);
        AUTOFREE char *rootfs = xasprintf("%s/rootfs", dir);
        AUTOFREE char *pause = xasprintf("%s/pause", rootfs);
        if (fs_mkdir_p(rootfs, 0755, err) < 0 || copy_file(spec->pause_path, pause, 0755, err) < 0 ||
            runtime_file_write(dir, spec->runtime_path, spec->runtime_root, err) < 0)
                return -1;
        struct pod_paths paths;
        fill_paths(rt, id, which, &paths);
        AUTOFREE char *json = NULL;
        int r = spec->make_infra_spec(spec->data, id, rootfs, &paths, &json, err);
        pod_paths_clear(&paths);
        if (r < 0 || oci_spec_write_bundle(dir, json, err) < 0)
                return -1;
        pid_t pid = 0;
        if (runtime_infra_start(rt, id, dir, spec->runtime_path, spec->runtime_root, &pid, err) < 0)
                return cric_error_prefix(err, "start the pod's infra process");
        log_debug("pod %s: infra process %d", id, pid);
        return 0;
}

static void undo_pod(struct runtime *rt, const char *id, unsigned which) {
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        AUTOFREE char *dir = pod_dir(rt, id);
        unmount_shm(rt, id);
        if (((which & POD_INFRA) && kill_infra(rt, id, &e) < 0) ||
            ((which & NETNS_ALL) && unpin(rt, id, which & NETNS_ALL, &e) < 0) || rm_rf(dir, &e) < 0)
                cric_error_log_free(&e, "undo pod %s", id);
}

static int attach_network(struct runtime *rt, const struct pod_spec *spec, const char *id, struct cric_error **err) {
        AUTOFREE char *netns = netns_pin_path(rt->ns_dir, NETNS_NET, id);
        struct cni_attachment a = *spec->network;
        a.container_id = id;
        a.netns = netns;
        /* CNI_ARGS: the pod's id is the infra container id the kubelet's plugins know. */
        size_t n = 0;
        while (a.args && a.args[n])
                n += 2;
        const char **args = xcalloc(n + 3, sizeof(*args));
        for (size_t i = 0; i < n; i += 2) {
                args[i] = a.args[i];
                args[i + 1] = a.args[i + 1];
        }
        args[n] = "K8S_POD_INFRA_CONTAINER_ID";
        args[n + 1] = id;
        a.args = args;
        struct cni_result *res = NULL;
        int64_t start = runtime_now_ns();
        int r = cni_manager_add(rt->cni, &a, &res, err);
        free(args);
        if (r < 0)
                return -1;
        AUTOFREE char *ips = strv_join(res->ips, ", ");
        log_info("pod %s: network attached in %.1f ms, IPs %s", id, (double) (runtime_now_ns() - start) / 1e6,
                 *ips ? ips : "none");
        cni_result_free(res);
        return 0;
}

/* CNI DEL from the cached attachment; works when the netns is gone too. */
static int detach_network(struct runtime *rt, const char *id, struct cric_error **err) {
        if (!rt->cni)
                return 0;
        AUTOFREE char *netns = netns_pin_path(rt->ns_dir, NETNS_NET, id);
        struct cni_attachment a = {.container_id = id, .netns = access(netns, F_OK) == 0 ? netns : NULL};
        int64_t start = runtime_now_ns();
        if (cni_manager_del(rt->cni, &a, err) < 0)
                return cric_error_prefix(err, "detach the network of pod %s", id);
        log_info("pod %s: network detached in %.1f ms", id, (double) (runtime_now_ns() - start) / 1e6);
        return 0;
}

int runtime_pod_run(struct runtime *rt, const struct pod_spec *spec, char **ret_id, struct cric_error **err) {
        /* The infra process, and the containers the kubelet creates next, move into cgroups. */
        cgroup_prewarm_kick(rt->prewarm);
        char id[65];
        runtime_new_id(id);
        unsigned which = namespaces_of(spec) | (spec->is_shared_pid ? POD_INFRA : 0);
        struct pod_row row = {
                .id = id,
                .name = (char *) spec->name,
                .namespace = (char *) spec->namespace,
                .uid = (char *) spec->uid,
                .attempt = spec->attempt,
                .state = POD_ROW_READY,
                .created_ns = runtime_now_ns(),
                .runtime_handler = (char *) (spec->runtime_handler ? spec->runtime_handler : ""),
                .namespaces = which,
                .config = (void *) spec->config,
                .config_len = spec->config_len,
        };
        /* No lock: nothing of a new id is shared until its row goes in. */
        int r = setup_pod(rt, spec, id, which, err);
        bool attached = false;
        if (r == 0 && rt->cni && spec->network && (which & NETNS_NET)) {
                r = attach_network(rt, spec, id, err);
                attached = r == 0;
        }
        pthread_mutex_lock(&rt->lock);
        /* The row goes in last: a pod is visible only once it is complete. */
        if (r == 0)
                r = store_pod_insert(rt->db, &row, err);
        pthread_mutex_unlock(&rt->lock);
        if (r < 0) {
                CLEANUP(cric_error_freep) struct cric_error *e = NULL;
                if (attached && detach_network(rt, id, &e) < 0)
                        cric_error_log_free(&e, "undo pod %s", id);
                undo_pod(rt, id, which);
                return cric_error_prefix(err, "run pod %s_%s", spec->name, spec->namespace);
        }
        log_info("pod %s (%s_%s) is ready", id, spec->name, spec->namespace);
        *ret_id = xstrdup(id);
        return 0;
}

int runtime_pod_stop(struct runtime *rt, const char *id, struct cric_error **err) {
        CLEANUP(pod_row_freep) struct pod_row *pod = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (store_pod_get(rt->db, id, &pod, &e) < 0) {
                if (e->kind == CRIC_E_NOT_FOUND)
                        return 0; /* the goal, a stopped pod, is reached */
                if (err)
                        *err = STEAL_PTR(e);
                return -1;
        }
        if (runtime_pod_containers_stop(rt, pod->id, err) < 0)
                return cric_error_prefix(err, "stop pod %s", pod->id);
        pthread_mutex_lock(&rt->lock);
        int r = 0;
        if (pod->state == POD_ROW_READY) {
                unmount_shm(rt, pod->id);
                r = (pod->namespaces & POD_INFRA) ? kill_infra(rt, pod->id, err) : 0;
                if (r == 0 && (pod->namespaces & NETNS_NET))
                        r = detach_network(rt, pod->id, err);
                if (r == 0 && (pod->namespaces & NETNS_ALL))
                        r = unpin(rt, pod->id, pod->namespaces & NETNS_ALL, err);
                if (r == 0)
                        r = store_pod_set_state(rt->db, pod->id, POD_ROW_NOTREADY, err);
        }
        pthread_mutex_unlock(&rt->lock);
        if (r < 0)
                return cric_error_prefix(err, "stop pod %s", pod->id);
        log_info("pod %s stopped", pod->id);
        return 0;
}

int runtime_pod_remove(struct runtime *rt, const char *id, struct cric_error **err) {
        CLEANUP(pod_row_freep) struct pod_row *pod = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (store_pod_get(rt->db, id, &pod, &e) < 0) {
                if (e->kind == CRIC_E_NOT_FOUND)
                        return 0;
                if (err)
                        *err = STEAL_PTR(e);
                return -1;
        }
        if (runtime_pod_stop(rt, pod->id, err) < 0 || runtime_pod_containers_remove(rt, pod->id, err) < 0)
                return -1;
        AUTOFREE char *dir = pod_dir(rt, pod->id);
        pthread_mutex_lock(&rt->lock);
        /* The row goes first: a directory left by a crash here is cleaned at start. */
        int r = store_pod_delete(rt->db, pod->id, err);
        if (r == 0)
                r = rm_rf(dir, err);
        pthread_mutex_unlock(&rt->lock);
        if (r < 0)
                return cric_error_prefix(err, "remove pod %s", pod->id);
        log_info("pod %s removed", pod->id);
        return 0;
}

int runtime_pod_get(struct runtime *rt, const char *id, struct pod_row **ret, struct cric_error **err) {
        return store_pod_get(rt->db, id, ret, err);
}

int runtime_pod_list(struct runtime *rt, struct pod_row ***ret, size_t *ret_n, struct cric_error **err) {
        return store_pod_list(rt->db, ret, ret_n, err);
}

char *runtime_pod_netns_path(struct runtime *rt, const struct pod_row *pod) {
        if (pod->state != POD_ROW_READY || !(pod->namespaces & NETNS_NET))
                return NULL;
        return netns_pin_path(rt->ns_dir, NETNS_NET, pod->id);
}

static void fill_paths(struct runtime *rt, const char *id, unsigned which, struct pod_paths *ret) {
        memset(ret, 0, sizeof(*ret));
        if (which & NETNS_NET)
                ret->netns = netns_pin_path(rt->ns_dir, NETNS_NET, id);
        if (which & NETNS_IPC) {
                ret->ipcns = netns_pin_path(rt->ns_dir, NETNS_IPC, id);
                ret->shm = shm_path(rt, id);
        }
        if (which & NETNS_UTS)
                ret->utsns = netns_pin_path(rt->ns_dir, NETNS_UTS, id);
        if (which & POD_INFRA) {
                AUTOFREE char *pid_file = xasprintf("%s/%s/infra/pid", rt->pods_dir, id);
                AUTOFREE char *text = NULL;
                CLEANUP(cric_error_freep) struct cric_error *e = NULL;
                if (fs_read_file_optional(pid_file, 64, &text, &e) > 0)
                        ret->pause_pid = (pid_t) strtol(text, NULL, 10);
        }
        ret->resolv_conf = xasprintf("%s/%s/" PODFILES_RESOLV_CONF, rt->pods_dir, id);
        ret->hosts = xasprintf("%s/%s/" PODFILES_HOSTS, rt->pods_dir, id);
        ret->hostname = xasprintf("%s/%s/" PODFILES_HOSTNAME, rt->pods_dir, id);
}

void runtime_pod_paths(struct runtime *rt, const struct pod_row *pod, struct pod_paths *ret) {
        fill_paths(rt, pod->id, pod->state == POD_ROW_READY ? pod->namespaces : 0, ret);
}

void pod_paths_clear(struct pod_paths *p) {
        free(p->netns);
        free(p->ipcns);
        free(p->utsns);
        free(p->resolv_conf);
        free(p->hosts);
        free(p->hostname);
        free(p->shm);
        memset(p, 0, sizeof(*p));
}
