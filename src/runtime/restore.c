/* Start-up: every pod and container from the store into memory, then what a crash left
 * behind that nothing owns is removed. Exits that happened while the daemon was down are
 * read when the exit watch starts (exits.c). */
#include <stdlib.h>
#include <string.h>

#include "network/cni_manager.h"
#include "network/netns.h"
#include "runtime/internal.h"
#include "storage/storage.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* A pod of an older daemon, without a record: what its columns say. */
static void pod_defaults(struct pod *p) {
        p->info.labels = xcalloc(1, sizeof(char *));
        p->info.annotations = xcalloc(1, sizeof(char *));
        p->info.cgroup_parent = xstrdup("");
        p->info.network = (p->ns & NETNS_NET) ? OCI_NS_POD : OCI_NS_NODE;
        p->info.ipc = (p->ns & NETNS_IPC) ? OCI_NS_POD : OCI_NS_NODE;
        p->info.pid = (p->ns & POD_INFRA) ? OCI_NS_POD : OCI_NS_CONTAINER;
        p->hostname = xstrdup("");
        p->log_directory = xstrdup("");
        p->ips = xcalloc(1, sizeof(char *));
        p->runtime_path = xstrdup("");
        p->runtime_root = xstrdup("");
        p->sandbox = jx_object();
        jx_add(p->sandbox, "security", jx_object());
}

static struct pod *pod_from_row(struct pod_row *row) {
        struct pod *p = xzalloc(sizeof(*p));
        pod_init(p);
        struct pod_info *i = &p->info;
        i->id = STEAL_PTR(row->id);
        i->name = STEAL_PTR(row->name);
        i->namespace = STEAL_PTR(row->namespace);
        i->uid = STEAL_PTR(row->uid);
        i->attempt = row->attempt;
        i->created_ns = row->created_ns;
        i->runtime_handler = STEAL_PTR(row->runtime_handler);
        p->ns = row->namespaces;
        p->state = row->state == POD_ROW_READY ? POD_READY : POD_NOTREADY;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        AUTOJSON struct json_object *rec = record_parse(row->record, &e);
        if (!rec || record_pod_read(rec, p, &e) < 0) {
                log_warn("pod %s: %s; it keeps its name and state only", i->id, e ? e->msg : "no record");
                pod_defaults(p);
        }
        return p;
}

static const char *static_reason(const char *r) {
        static const char *const known[] = {"", "Completed", "Error", "OOMKilled", "StartError"};
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
                if (!strcmp(r, known[i]))
                        return known[i];
        return "Error";
}

static void container_resources(struct container *c, const struct container_row *row) {
        struct oci_resources r = {0};
        struct arena a = {0};
        AUTOJSON struct json_object *rec = row->resources ? record_parse(row->resources, NULL) : NULL;
        if (rec)
                record_resources_read(rec, &a, &r, NULL);
        c->res = resources_new(&r);
        arena_clear(&a);
}

static struct container *container_from_row(struct container_row *row) {
        struct container *c = xzalloc(sizeof(*c));
        atomic_init(&c->refs, 1);
        pthread_mutex_init(&c->op_lock, NULL);
        struct container_info *i = &c->info;
        i->id = STEAL_PTR(row->id);
        i->pod_id = STEAL_PTR(row->pod_id);
        i->name = STEAL_PTR(row->name);
        i->attempt = row->attempt;
        i->created_ns = row->created_ns;
        i->image = STEAL_PTR(row->image);
        i->image_id = STEAL_PTR(row->image_id);
        i->image_ref = STEAL_PTR(row->image_ref);
        i->log_path = STEAL_PTR(row->log_path);
        i->cgroup = STEAL_PTR(row->cgroup);
        i->stop_signal = row->stop_signal;
        i->runtime_path = STEAL_PTR(row->runtime_path);
        i->runtime_root = STEAL_PTR(row->runtime_root);
        i->monitor_pid = row->monitor_pid;
        i->pid = row->pid;
        c->state = (enum container_state) row->state;
        c->started_ns = row->started_ns;
        c->finished_ns = row->finished_ns;
        c->exit_code = row->exit_code;
        c->reason = static_reason(row->reason);
        if (c->state == CONTAINER_EXITED)
                c->message = STEAL_PTR(row->message);
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        AUTOJSON struct json_object *rec = record_parse(row->record, &e);
        if (!rec) {
                log_warn("container %s: %s; it keeps its name and state only", i->id, e->msg);
                rec = jx_object();
        }
        record_container_read(rec, c, NULL);
        container_resources(c, row);
        return c;
}

static int load(struct runtime *rt, struct cric_error **err) {
        struct pod_row **pods = NULL;
        size_t n = 0;
        if (store_pod_list(rt->db, &pods, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n; i++)
                index_add(&rt->pods, pod_from_row(pods[i]));
        pod_rows_free(pods, n);
        struct container_row **ctrs = NULL;
        if (store_container_list(rt->db, NULL, &ctrs, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n; i++)
                index_add(&rt->ctrs, container_from_row(ctrs[i]));
        container_rows_free(ctrs, n);
        return 0;
}

static bool is_known(struct index *ix, const char *id) {
        return strlen(id) == 64 && index_find(ix, id, "", NULL) != NULL;
}

/* Leftovers of a RunPodSandbox that died half-way: a pod directory without a pod. */
static int clean_pods(struct runtime *rt, struct cric_error **err) {
        if (fs_mkdir_p(rt->pods_dir, 0711, err) < 0)
                return -1;
        CLEANUP(strv_freep) char **dirs = NULL;
        if (fs_list_dir(rt->pods_dir, NULL, false, &dirs, err) < 0)
                return -1;
        for (size_t i = 0; dirs[i]; i++) {
                if (is_known(&rt->pods, dirs[i]))
                        continue;
                log_warn("removing the leftovers of pod %s, which was never completed", dirs[i]);
                pod_teardown(rt, dirs[i], NETNS_PINNED | POD_INFRA);
        }
        return 0;
}

/* A container directory without a container: a CreateContainer that never completed.
 * Writable layers nobody owns: removed, or never made complete. */
static int clean_containers(struct runtime *rt, struct cric_error **err) {
        if (fs_mkdir_p(rt->ctrs_dir, 0711, err) < 0 || fs_mkdir_p(rt->sockets_dir, 0700, err) < 0)
                return -1;
        CLEANUP(strv_freep) char **dirs = NULL;
        if (fs_list_dir(rt->ctrs_dir, NULL, false, &dirs, err) < 0)
                return -1;
        for (size_t i = 0; dirs[i]; i++) {
                if (is_known(&rt->ctrs, dirs[i]))
                        continue;
                log_warn("removing the leftovers of container %s, which was never completed", dirs[i]);
                AUTOFREE char *dir = ctr_dir(rt, dirs[i]);
                AUTOFREE char *text = NULL;
                const char *path = NULL, *root = NULL;
                CLEANUP(cric_error_freep) struct cric_error *e = NULL;
                if (runtime_file_read(dir, &text, &path, &root, &e) < 0)
                        cric_error_log_free(&e, "container %s", dirs[i]);
                ctr_teardown(rt, dirs[i], path, root);
        }
        CLEANUP(strv_freep) char **layers = NULL;
        if (rootfs_list(rt->layers, &layers, err) < 0)
                return -1;
        for (size_t i = 0; layers[i]; i++) {
                CLEANUP(cric_error_freep) struct cric_error *e = NULL;
                if (!is_known(&rt->ctrs, layers[i]) && rootfs_remove(rt->layers, layers[i], &e) < 0)
                        cric_error_log_free(&e, "remove the writable layer of container %s", layers[i]);
        }
        return 0;
}

/* CNI attachments of pods that are gone or stopped (a crash between ADD and the row,
 * or between the row's removal and DEL); the others are checked. */
static void clean_networks(struct runtime *rt) {
        if (!rt->cni)
                return;
        CLEANUP(strv_freep) char **valid = xcalloc(1, sizeof(char *));
        for (size_t i = 0; i < rt->pods.n; i++) {
                struct pod *p = rt->pods.objs[i];
                if (p->state == POD_READY && (p->ns & NETNS_NET))
                        strv_push(&valid, p->info.id);
        }
        cni_manager_gc(rt->cni, valid);
        for (size_t i = 0; valid[i]; i++) {
                AUTOFREE char *netns = netns_pin_path(rt->ns_dir, NETNS_NET, valid[i]);
                struct cni_attachment a = {.container_id = valid[i], .netns = netns};
                CLEANUP(cric_error_freep) struct cric_error *e = NULL;
                if (cni_manager_check(rt->cni, &a, &e) < 0 && e->kind != CRIC_E_NOT_FOUND)
                        log_warn("pod %s: CNI CHECK failed: %s", valid[i], e->msg);
        }
}

/* The namespaces of stopped pods: a crash came before the janitor unpinned them. After
 * clean_networks, whose DEL needs the netns to find the pod's interface. */
static void clean_namespaces(struct runtime *rt) {
        for (size_t i = 0; i < rt->pods.n; i++) {
                struct pod *p = rt->pods.objs[i];
                CLEANUP(cric_error_freep) struct cric_error *e = NULL;
                if (p->state != POD_READY && (p->ns & NETNS_PINNED) &&
                    pod_unpin(rt, p->info.id, p->ns & NETNS_PINNED, &e) < 0)
                        cric_error_log_free(&e, "pod %s", p->info.id);
        }
}

int runtime_restore(struct runtime *rt, struct cric_error **err) {
        if (load(rt, err) < 0 || clean_pods(rt, err) < 0 || clean_containers(rt, err) < 0)
                return -1;
        clean_networks(rt);
        clean_namespaces(rt);
        log_info("runtime: %zu pods and %zu containers", rt->pods.n, rt->ctrs.n);
        return 0;
}
