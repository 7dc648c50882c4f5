/* RunPodSandbox: the pod's directory and files, its pinned namespaces, the infra process
 * of a shared PID namespace, its CNI attachment, its row; all or nothing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "network/cni_manager.h"
#include "network/netns.h"
#include "runtime/internal.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/rm.h"
#include "util/strv.h"
#include "util/xalloc.h"

static char *shm_path(const struct runtime *rt, const char *id) {
        return xasprintf("%s/%s/shm", rt->pods_dir, id);
}

static char *infra_dir(const struct runtime *rt, const char *id) {
        return xasprintf("%s/%s/infra", rt->pods_dir, id);
}

#define SHM_SIZE_ANNOTATION "io.kubernetes.cri-o.ShmSize"

/* A Kubernetes quantity of bytes: "65536", "128Mi", "1Gi", "100M" ("k", "M", "G", "T"
 * powers of 1000, "Ki" ... "Ti" of 1024). 0 when it is none or zero. */
static uint64_t parse_quantity(const char *s) {
        static const char *const suffixes[] = {"", "k", "M", "G", "T", "", "Ki", "Mi", "Gi", "Ti"};
        char *end = NULL;
        if (!s || *s < '0' || *s > '9')
                return 0;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno)
                return 0;
        for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
                if (strcmp(end, suffixes[i]))
                        continue;
                unsigned long long unit = i < 5 ? 1000 : 1024, mult = 1;
                for (size_t k = 0; k < i % 5; k++)
                        mult *= unit;
                return v > UINT64_MAX / mult ? 0 : (uint64_t) (v * mult);
        }
        return 0;
}

/* The pod's io.kubernetes.cri-o.ShmSize when its handler's allowed_annotations let it
 * through; 0: the default size. CRIC_E_INVALID for a value that is no size. */
static int shm_size_of(const struct cric_config *cfg, const struct pod_config *c, uint64_t *ret,
                       struct cric_error **err) {
        *ret = 0;
        const char *value = NULL;
        for (size_t i = 0; i < c->n_annotations; i++)
                if (c->annotations[i].key && !strcmp(c->annotations[i].key, SHM_SIZE_ANNOTATION))
                        value = c->annotations[i].value;
        if (!value)
                return 0;
        if (!runtime_annotation_allowed(cfg, c->runtime_handler, SHM_SIZE_ANNOTATION)) {
                log_debug("pod %s_%s: annotation %s ignored: not in the runtime handler's allowed_annotations", c->name,
                          c->namespace, SHM_SIZE_ANNOTATION);
                return 0;
        }
        *ret = parse_quantity(value);
        if (*ret == 0)
                return cric_error_set(err, CRIC_E_INVALID, "pod %s_%s: %s \"%s\" is not a size", c->name, c->namespace,
                                      SHM_SIZE_ANNOTATION, value);
        return 0;
}

/* The pod's /dev/shm, shared by its containers (IPC namespace of the pod). */
static int mount_shm(const struct runtime *rt, const struct cric_config *cfg, const struct pod_config *c,
                     const char *id, struct cric_error **err) {
        AUTOFREE char *path = shm_path(rt, id);
        uint64_t size = 0;
        if (shm_size_of(cfg, c, &size, err) < 0)
                return -1;
        AUTOFREE char *opts = xasprintf("mode=1777,size=%llu", (unsigned long long) (size ? size : 65536 * 1024ULL));
        if (fs_mkdir_p(path, 0755, err) < 0)
                return -1;
        if (mount("shm", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "mount the pod's shm at %s", path);
        return 0;
}

static void unmount_shm(const struct runtime *rt, const char *id) {
        AUTOFREE char *path = shm_path(rt, id);
        if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
                log_warn("unmount %s: %s", path, strerror(errno));
}

int pod_unpin(const struct runtime *rt, const char *id, unsigned which, struct cric_error **err) {
        struct pinned_ns p = {0};
        if (which & NETNS_NET)
                p.net = netns_pin_path(rt->ns_dir, NETNS_NET, id);
        if (which & NETNS_IPC)
                p.ipc = netns_pin_path(rt->ns_dir, NETNS_IPC, id);
        if (which & NETNS_UTS)
                p.uts = netns_pin_path(rt->ns_dir, NETNS_UTS, id);
        if (which & NETNS_USER)
                p.user = netns_pin_path(rt->ns_dir, NETNS_USER, id);
        int r = netns_unpin(&p, err);
        pinned_ns_clear(&p);
        return r;
}

int pod_infra_kill(struct runtime *rt, const char *id, struct cric_error **err) {
        AUTOFREE char *dir = infra_dir(rt, id);
        AUTOFREE char *text = NULL;
        const char *path = NULL, *root = NULL;
        if (runtime_file_read(dir, &text, &path, &root, err) < 0)
                return -1;
        return path ? infra_kill(rt, id, path, root, err) : 0; /* no path: never started */
}

void pod_teardown(struct runtime *rt, const char *id, unsigned ns) {
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        AUTOFREE char *dir = pod_dir(rt, id);
        unmount_shm(rt, id);
        if (((ns & POD_INFRA) && pod_infra_kill(rt, id, &e) < 0) ||
            ((ns & NETNS_PINNED) && pod_unpin(rt, id, ns & NETNS_PINNED, &e) < 0) || rm_rf(dir, &e) < 0)
                cric_error_log_free(&e, "clean up pod %s", id);
}

char *pod_netns_path(const struct runtime *rt, const struct pod *p) {
        return (p->ns & NETNS_NET) ? netns_pin_path(rt->ns_dir, NETNS_NET, p->info.id) : NULL;
}

/* ---- the policy of a new pod ---- */

/* Which namespaces the pod gets of its own. A pod on the host network keeps the host's
 * name too (the kubelet's rule). */
static unsigned namespaces_of(const struct pod_config *c) {
        unsigned ns = 0;
        if (c->security.ns.network != OCI_NS_NODE)
                ns |= NETNS_NET | NETNS_UTS;
        if (c->security.ns.ipc != OCI_NS_NODE)
                ns |= NETNS_IPC;
        if (c->security.ns.pid == OCI_NS_POD)
                ns |= POD_INFRA;
        if (c->security.ns.n_uids)
                ns |= NETNS_USER;
        return ns;
}

static int check_config(const struct pod_config *c, unsigned ns, struct cric_error **err) {
        static const char *const what[] = {"network", "IPC"};
        enum oci_ns_mode modes[] = {c->security.ns.network, c->security.ns.ipc};
        for (size_t i = 0; i < 2; i++)
                if (modes[i] != OCI_NS_POD && modes[i] != OCI_NS_NODE)
                        return cric_error_set(err, CRIC_E_INVALID, "the pod's %s namespace mode must be POD or NODE",
                                              what[i]);
        if (c->security.ns.pid == OCI_NS_TARGET)
                return cric_error_set(err, CRIC_E_INVALID, "the pod's PID namespace mode cannot be TARGET");
        if ((ns & NETNS_USER) && (!(ns & NETNS_NET) || !(ns & NETNS_IPC)))
                return cric_error_set(err, CRIC_E_INVALID,
                                      "a pod with a user namespace of its own (hostUsers: false) needs its own network "
                                      "and IPC namespaces");
        if (!(ns & NETNS_ALL) && c->n_sysctls)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "sysctl %s: the pod shares its network and IPC namespaces with the host, "
                                      "so it cannot set namespaced sysctls",
                                      c->sysctls[0].key);
        if (!(ns & NETNS_UTS) && c->hostname && *c->hostname) {
                char node[65] = "";
                gethostname(node, sizeof(node) - 1);
                if (strcmp(c->hostname, node))
                        return cric_error_set(err, CRIC_E_INVALID,
                                              "hostname \"%s\": a pod on the host network has the node's name \"%s\" "
                                              "(it has no UTS namespace of its own)",
                                              c->hostname, node);
        }
        return 0;
}

static struct pod *pod_new(const struct pod_config *c, const char *id, unsigned ns) {
        struct pod *p = xzalloc(sizeof(*p));
        pod_init(p);
        struct pod_info *i = &p->info;
        i->id = xstrdup(id);
        i->name = xstrdup(c->name);
        i->namespace = xstrdup(c->namespace);
        i->uid = xstrdup(c->uid);
        i->attempt = c->attempt;
        i->created_ns = runtime_now_ns();
        i->runtime_handler = xstrdup(c->runtime_handler ? c->runtime_handler : "");
        i->labels = kv_pairs(c->labels, c->n_labels);
        i->annotations = kv_pairs(c->annotations, c->n_annotations);
        i->network = (ns & NETNS_NET) ? OCI_NS_POD : OCI_NS_NODE;
        i->ipc = (ns & NETNS_IPC) ? OCI_NS_POD : OCI_NS_NODE;
        i->pid = c->security.ns.pid;
        i->cgroup_parent = xstrdup(c->cgroup_parent ? c->cgroup_parent : "");
        p->ns = ns;
        p->hostname = xstrdup(c->hostname ? c->hostname : "");
        p->log_directory = xstrdup(c->log_directory ? c->log_directory : "");
        p->ips = xcalloc(1, sizeof(char *));
        p->state = POD_READY;
        return p;
}

/* ---- set-up steps ---- */

static int pin_namespaces(struct runtime *rt, const struct pod_config *c, struct pod *p, struct cric_error **err) {
        AUTOFREE struct netns_sysctl *sysctls = xcalloc(c->n_sysctls + 1, sizeof(*sysctls));
        for (size_t i = 0; i < c->n_sysctls; i++)
                sysctls[i] = (struct netns_sysctl){c->sysctls[i].key, c->sysctls[i].value};
        struct netns_opts o = {
                .dir = rt->ns_dir,
                .pod_id = p->info.id,
                .which = p->ns & NETNS_PINNED,
                .hostname = (p->ns & NETNS_UTS) && *p->hostname ? p->hostname : NULL,
                .sysctls = sysctls,
                .n_sysctls = c->n_sysctls,
                .uids = c->security.ns.uids,
                .n_uids = c->security.ns.n_uids,
                .gids = c->security.ns.gids,
                .n_gids = c->security.ns.n_gids,
        };
        struct pinned_ns pinned = {0};
        int r = netns_pin(&o, &pinned, err);
        pinned_ns_clear(&pinned);
        return r;
}

static int copy_file(const char *from, const char *to, mode_t mode, struct cric_error **err) {
        AUTOFREE char *data = NULL;
        size_t len = 0;
        if (fs_read_file(from, 64 << 20, &data, &len, err) < 0)
                return -1;
        return fs_write_file_atomic(to, data, len, mode, err);
}

/* The init of a shared PID namespace: cric-pause alone in a read-only rootfs, with the
 * pod's namespaces and security context. */
static int start_infra(struct runtime *rt, const struct cric_config *cfg, const struct pod_config *c, struct pod *p,
                       struct cric_error **err) {
        AUTOFREE char *pause_path = fs_find_helper(cfg->pause_command, "cric-pause");
        if (!pause_path)
                return cric_error_set(err, CRIC_E_PRECONDITION,
                                      "a shared PID namespace needs cric-pause, which is not at %s",
                                      cfg->pause_command);
        const char *id = p->info.id;
        AUTOFREE char *dir = infra_dir(rt, id);
        AUTOFREE char *rootfs = xasprintf("%s/rootfs", dir);
        AUTOFREE char *pause = xasprintf("%s/pause", rootfs);
        if (fs_mkdir_p(rootfs, 0755, err) < 0 || copy_file(pause_path, pause, 0755, err) < 0 ||
            runtime_file_write(dir, p->runtime_path, p->runtime_root, err) < 0)
                return -1;
        struct arena a = {0};
        struct oci_sandbox sb = {
                .id = id,
                .pod_name = c->name,
                .pod_namespace = c->namespace,
                .pod_uid = c->uid,
                .hostname = c->hostname,
                .annotations = c->annotations,
                .n_annotations = c->n_annotations,
                .sysctls = c->sysctls,
                .n_sysctls = c->n_sysctls,
                .security = c->security,
        };
        sb.cgroup_parent = *p->info.cgroup_parent                       ? p->info.cgroup_parent
                           : cfg->cgroup_manager == CRIC_CGROUP_SYSTEMD ? "system.slice"
                                                                        : "/cric";
        sb.netns_path = arena_keep(&a, pod_netns_path(rt, p));
        if (p->ns & NETNS_IPC)
                sb.ipcns_path = arena_keep(&a, netns_pin_path(rt->ns_dir, NETNS_IPC, id));
        if (p->ns & NETNS_UTS)
                sb.utsns_path = arena_keep(&a, netns_pin_path(rt->ns_dir, NETNS_UTS, id));
        if (p->ns & NETNS_USER)
                sb.userns_path = arena_keep(&a, netns_pin_path(rt->ns_dir, NETNS_USER, id));
        struct oci_host host;
        AUTOFREE char *json = NULL;
        struct oci_node node;
        runtime_node_of(cfg, p->info.runtime_handler, &node);
        struct oci_infra_input in = {.rootfs = rootfs, .pause_path = "/pause", .sandbox = &sb, .node = &node};
        int r = oci_host_detect(cfg->cgroup_manager == CRIC_CGROUP_SYSTEMD ? OCI_CGROUP_SYSTEMD : OCI_CGROUP_CGROUPFS,
                                &host, err);
        if (r == 0)
                r = oci_spec_generate_infra(&in, &host, &json, err);
        arena_clear(&a);
        if (r < 0 || oci_spec_write_bundle(dir, json, err) < 0)
                return -1;
        if (infra_start(rt, id, dir, p->runtime_path, p->runtime_root, &p->pause_pid, err) < 0)
                return cric_error_prefix(err, "start the pod's infra process");
        log_debug("pod %s: infra process %d", id, (int) p->pause_pid);
        return 0;
}

/* Keeps the IPs of the pod's interface (eth0), without prefix length. */
static void keep_ips(struct pod *p, const struct cni_result *res) {
        for (size_t i = 0; res->ips && res->ips[i]; i++) {
                if (res->ifnames && res->ifnames[i] && *res->ifnames[i] && strcmp(res->ifnames[i], "eth0"))
                        continue;
                AUTOFREE char *ip = xstrdup(res->ips[i]);
                ip[strcspn(ip, "/")] = '\0';
                if (!strcmp(ip, "127.0.0.1") || !strcmp(ip, "::1"))
                        continue;
                strv_push(&p->ips, ip);
        }
}

static int attach_network(struct runtime *rt, const struct pod_config *c, struct pod *p, struct cric_error **err) {
        AUTOFREE char *netns = pod_netns_path(rt, p);
        /* CNI_ARGS: the pod's id is the infra container id the kubelet's plugins know. */
        const char *args[] = {"K8S_POD_NAMESPACE",
                              c->namespace,
                              "K8S_POD_NAME",
                              c->name,
                              "K8S_POD_UID",
                              c->uid,
                              "K8S_POD_INFRA_CONTAINER_ID",
                              p->info.id,
                              NULL};
        struct cni_dns dns = {0};
        if (c->dns)
                dns = (struct cni_dns){c->dns->servers, c->dns->searches, c->dns->options};
        struct cni_attachment a = {
                .container_id = p->info.id,
                .netns = netns,
                .args = args,
                .port_mappings = c->port_mappings,
                .n_port_mappings = c->n_port_mappings,
                .bandwidth = c->bandwidth,
                .dns = c->dns ? &dns : NULL,
        };
        struct cni_result *res = NULL;
        int64_t start = clock_mono_ms();
        if (cni_manager_add(rt->cni, &a, &res, err) < 0)
                return -1;
        keep_ips(p, res);
        AUTOFREE char *ips = strv_join(p->ips, ", ");
        log_info("pod %s: network attached in %lld ms, IPs %s", p->info.id, (long long) (clock_mono_ms() - start),
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
        int64_t start = clock_mono_ms();
        if (cni_manager_del(rt->cni, &a, err) < 0)
                return cric_error_prefix(err, "detach the network of pod %s", id);
        log_info("pod %s: network detached in %lld ms", id, (long long) (clock_mono_ms() - start));
        return 0;
}

int pod_network_teardown(struct runtime *rt, struct pod *p, struct cric_error **err) {
        const char *id = p->info.id;
        int r = (p->ns & NETNS_NET) ? detach_network(rt, id, err) : 0;
        if (r == 0 && (p->ns & NETNS_PINNED))
                r = pod_unpin(rt, id, p->ns & NETNS_PINNED, err);
        return r;
}

static int set_up(struct runtime *rt, const struct cric_config *cfg, const struct pod_config *c, struct pod *p,
                  bool *ret_attached, struct cric_error **err) {
        AUTOFREE char *dir = pod_dir(rt, p->info.id);
        struct podfiles_opts files = {
                .dir = dir,
                .hostname = c->hostname,
                .dns = c->dns,
                .is_host_network = !(p->ns & NETNS_NET),
        };
        if (podfiles_write(&files, err) < 0)
                return -1;
        if ((p->ns & NETNS_IPC) && mount_shm(rt, cfg, c, p->info.id, err) < 0)
                return -1;
        if ((p->ns & NETNS_PINNED) && pin_namespaces(rt, c, p, err) < 0)
                return -1;
        if ((p->ns & POD_INFRA) && start_infra(rt, cfg, c, p, err) < 0)
                return -1;
        if (rt->cni && (p->ns & NETNS_NET)) {
                if (attach_network(rt, c, p, err) < 0)
                        return -1;
                *ret_attached = true;
        }
        return 0;
}

int pod_store_insert(struct runtime *rt, struct pod *p, const void *record, struct cric_error **err) {
        struct pod_row row = {
                .id = p->info.id,
                .name = p->info.name,
                .namespace = p->info.namespace,
                .uid = p->info.uid,
                .attempt = p->info.attempt,
                .state = POD_ROW_READY,
                .created_ns = p->info.created_ns,
                .runtime_handler = p->info.runtime_handler,
                .namespaces = p->ns,
                .record = (char *) record,
        };
        return store_pod_insert(rt->db, &row, err);
}

/* A pod holding the same name (rt->lock held). */
static struct pod *name_holder(struct runtime *rt, const struct pod_config *c) {
        for (size_t i = 0; i < rt->pods.n; i++) {
                struct pod *p = rt->pods.objs[i];
                if (p->info.attempt == c->attempt && !strcmp(p->info.name, c->name) &&
                    !strcmp(p->info.namespace, c->namespace) && !strcmp(p->info.uid, c->uid))
                        return p;
        }
        return NULL;
}

static int check_name(struct runtime *rt, const struct pod_config *c, struct cric_error **err) {
        struct pod *holder = name_holder(rt, c);
        if (!holder)
                return 0;
        return cric_error_set(err, CRIC_E_EXISTS,
                              "pod name %s_%s_%s_%u is reserved for pod %s (name_namespace_uid_attempt)", c->name,
                              c->namespace, c->uid, c->attempt, holder->info.id);
}

/* The pod's row goes in last, under the lock that makes it visible: a pod exists
 * only once it is complete. */
static int publish(struct runtime *rt, const struct pod_config *c, struct pod *p, struct cric_error **err) {
        struct json_object *rec = record_pod(c, p);
        struct json_object *sb = NULL;
        json_object_object_get_ex(rec, "sandbox", &sb);
        p->sandbox = json_object_get(sb);
        record_pod_userns(p);
        AUTOFREE char *text = record_text(rec);
        json_object_put(rec);
        pthread_mutex_lock(&rt->lock);
        int r = check_name(rt, c, err);
        if (r == 0)
                r = pod_store_insert(rt, p, text, err);
        if (r == 0) {
                index_add(&rt->pods, pod_ref(p));
                events_note(rt, RUNTIME_EVENT_CREATED, p->info.id, p);
                if (p->state == POD_READY)
                        events_note(rt, RUNTIME_EVENT_STARTED, p->info.id, p);
        }
        pthread_mutex_unlock(&rt->lock);
        return r;
}

int runtime_pod_run(struct runtime *rt, const struct pod_config *c, char **ret_id, struct cric_error **err) {
        /* The infra process, and the containers the kubelet creates next, move into cgroups. */
        cgroup_prewarm_kick(rt->prewarm);
        CLEANUP(config_unrefp) struct cric_config *cfg = runtime_config(rt);
        unsigned ns = namespaces_of(c);
        if (!config_find_runtime(cfg, c->runtime_handler ? c->runtime_handler : ""))
                return cric_error_set(err, CRIC_E_INVALID, "run pod %s_%s: no runtime handler \"%s\" is configured",
                                      c->name, c->namespace, c->runtime_handler ? c->runtime_handler : "");
        if (check_config(c, ns, err) < 0)
                return cric_error_prefix(err, "run pod %s_%s", c->name, c->namespace);
        pthread_mutex_lock(&rt->lock);
        int r = check_name(rt, c, err);
        pthread_mutex_unlock(&rt->lock);
        if (r < 0)
                return -1;
        char id[65];
        runtime_new_id(id);
        CLEANUP(pod_unrefp) struct pod *p = pod_new(c, id, ns);
        const char *root = NULL;
        if ((ns & POD_INFRA) && runtime_handler_binary(cfg, c->runtime_handler, &p->runtime_path, &root, err) < 0)
                return cric_error_prefix(err, "run pod %s_%s", c->name, c->namespace);
        p->runtime_root = xstrdup(root ? root : "");
        if (!p->runtime_path)
                p->runtime_path = xstrdup("");
        bool attached = false;
        /* No lock: nothing of a new id is shared until the pod is published. */
        r = set_up(rt, cfg, c, p, &attached, err);
        if (r == 0)
                r = publish(rt, c, p, err);
        if (r < 0) {
                CLEANUP(cric_error_freep) struct cric_error *e = NULL;
                if (attached && detach_network(rt, id, &e) < 0)
                        cric_error_log_free(&e, "undo pod %s", id);
                pod_teardown(rt, id, ns);
                return cric_error_prefix(err, "run pod %s_%s", c->name, c->namespace);
        }
        log_info("pod %s (%s_%s) is ready", id, c->name, c->namespace);
        *ret_id = xstrdup(id);
        return 0;
}

/* ---- stop and remove ---- */

int runtime_pod_stop(struct runtime *rt, const char *id, struct cric_error **err) {
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        CLEANUP(pod_unrefp) struct pod *p = pod_get(rt, id, &e);
        if (!p)
                return gone_is_fine(&e, err); /* the goal, a stopped pod, is reached */
        id = p->info.id;
        /* First: a container created meanwhile must not outlive the stop. */
        pthread_mutex_lock(&rt->lock);
        p->is_stopping = true;
        pthread_mutex_unlock(&rt->lock);
        pod_net_close(p);
        if (pod_containers_stop(rt, id, err) < 0)
                return cric_error_prefix(err, "stop pod %s", id);
        pthread_mutex_lock(&p->op_lock);
        pthread_mutex_lock(&rt->lock);
        bool is_ready = p->state == POD_READY && !p->is_gone;
        pthread_mutex_unlock(&rt->lock);
        int r = 0;
        if (is_ready) {
                unmount_shm(rt, id);
                r = (p->ns & POD_INFRA) ? pod_infra_kill(rt, id, err) : 0;
                if (r == 0) {
                        pthread_mutex_lock(&rt->lock);
                        p->state = POD_NOTREADY;
                        events_note(rt, RUNTIME_EVENT_STOPPED, id, p);
                        persist_begin(rt);
                        r = store_pod_set_state(rt->db, id, POD_ROW_NOTREADY, err);
                        persist_end(rt);
                }
                /* The network and the namespaces go after the answer (the janitor; after a
                 * crash, the next start: a stopped pod keeps neither). */
                if (r == 0 && (p->ns & NETNS_PINNED))
                        janitor_add_pod(rt, p);
        }
        pthread_mutex_unlock(&p->op_lock);
        if (r < 0)
                return cric_error_prefix(err, "stop pod %s", id);
        if (is_ready)
                log_info("pod %s stopped", id);
        return 0;
}

int runtime_pod_remove(struct runtime *rt, const char *id, struct cric_error **err) {
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        CLEANUP(pod_unrefp) struct pod *p = pod_get(rt, id, &e);
        if (!p)
                return gone_is_fine(&e, err);
        id = p->info.id;
        if (runtime_pod_stop(rt, id, err) < 0 || pod_containers_remove(rt, id, err) < 0)
                return -1;
        janitor_wait_pod(rt, id); /* the pod goes after its containers and its network */
        AUTOFREE char *dir = pod_dir(rt, id);
        pthread_mutex_lock(&p->op_lock);
        pthread_mutex_lock(&rt->lock);
        bool was_gone = p->is_gone, is_net_left = p->is_net_left;
        pthread_mutex_unlock(&rt->lock);
        int r = is_net_left && !was_gone ? pod_network_teardown(rt, p, err) : 0;
        pthread_mutex_lock(&rt->lock);
        if (r == 0)
                p->is_net_left = false;
        /* The row goes first: a directory left by a crash here is cleaned at start. */
        if (r == 0 && !was_gone)
                r = store_pod_delete(rt->db, id, err);
        if (r == 0 && !was_gone) {
                p->is_gone = true;
                events_note(rt, RUNTIME_EVENT_DELETED, id, p);
                index_del(&rt->pods, id);
                pod_unref(p); /* the index's reference */
        }
        pthread_mutex_unlock(&rt->lock);
        if (r == 0 && !was_gone)
                r = rm_rf(dir, err);
        pthread_mutex_unlock(&p->op_lock);
        if (r < 0)
                return cric_error_prefix(err, "remove pod %s", id);
        if (!was_gone)
                log_info("pod %s removed", id);
        return 0;
}
