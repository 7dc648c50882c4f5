/* UpdatePodSandboxResources: new CPU and memory limits in the pod's own cgroup (the one
 * the kubelet named as cgroup_parent), kept in the pod's record. */
#include <string.h>

#include "cgroup/cgroup.h"
#include "runtime/internal.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

/* The pod's cgroup directories. Without a cgroup_parent the pod shares the driver's
 * default parent with every other pod: limits there would be everyone's. */
static int pod_cgroup_paths(struct runtime *rt, const struct pod *p, struct cgroup_paths **ret,
                            struct cric_error **err) {
        if (!*p->info.cgroup_parent)
                return cric_error_set(err, CRIC_E_PRECONDITION,
                                      "pod %s has no cgroup of its own (RunPodSandbox gave no cgroup_parent)",
                                      p->info.id);
        if (!rt->cgroups)
                return cric_error_set(err, CRIC_E_UNAVAILABLE, "no cgroup file system found on this host");
        CLEANUP(config_unrefp) struct cric_config *cfg = runtime_config(rt);
        const struct cgroup_driver *drv = cgroup_driver_find(cgroup_manager_to_string(cfg->cgroup_manager));
        AUTOFREE char *path = NULL;
        if (!drv)
                return cric_error_set(err, CRIC_E_INTERNAL, "unknown cgroup manager");
        if (drv->pod_parent(p->info.cgroup_parent, &path, err) < 0)
                return cric_error_prefix(err, "cgroup_parent \"%s\"", p->info.cgroup_parent);
        return cgroup_paths_new(rt->cgroups, path, ret, err);
}

/* Writes the limits into the pod's record in the store (read, change, write back). */
static int persist_limits(struct runtime *rt, const char *id, const struct cgroup_limits *l, struct cric_error **err) {
        CLEANUP(pod_row_freep) struct pod_row *row = NULL;
        if (store_pod_get(rt->db, id, &row, err) < 0)
                return -1;
        AUTOJSON struct json_object *rec = record_parse(row->record, err);
        if (!rec)
                return cric_error_prefix(err, "the record of pod %s", id);
        json_object_object_add(rec, "resources", record_limits(l));
        AUTOFREE char *text = record_text(rec);
        return store_pod_set_record(rt->db, id, text, err);
}

/* What the cgroup holds now: the earlier limits where l leaves a value as it is (0). */
static struct cgroup_limits merged(const struct cgroup_limits *old, const struct cgroup_limits *l) {
        return (struct cgroup_limits){
                .cpu_shares = l->cpu_shares ? l->cpu_shares : old->cpu_shares,
                .cpu_quota = l->cpu_quota ? l->cpu_quota : old->cpu_quota,
                .cpu_period = l->cpu_period ? l->cpu_period : old->cpu_period,
                .memory_bytes = l->memory_bytes ? l->memory_bytes : old->memory_bytes,
        };
}

static int update_locked(struct runtime *rt, struct pod *p, const struct cgroup_limits *l, struct cric_error **err) {
        pthread_mutex_lock(&rt->lock);
        bool is_ready = p->state == POD_READY && !p->is_stopping && !p->is_gone;
        pthread_mutex_unlock(&rt->lock);
        if (!is_ready)
                return cric_error_set(err, CRIC_E_PRECONDITION, "pod %s is not ready", p->info.id);
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *paths = NULL;
        if (pod_cgroup_paths(rt, p, &paths, err) < 0 || cgroup_limits_apply(paths, l, err) < 0)
                return cric_error_prefix(err, "resize pod %s", p->info.id);
        pthread_mutex_lock(&rt->lock);
        struct cgroup_limits now = merged(&p->limits, l);
        p->has_limits = true;
        p->limits = now;
        persist_begin(rt);
        int r = persist_limits(rt, p->info.id, &now, err);
        persist_end(rt);
        return r < 0 ? cric_error_prefix(err, "resize pod %s: keep its limits", p->info.id) : 0;
}

int runtime_pod_update_resources(struct runtime *rt, const char *id, const struct cgroup_limits *l,
                                 struct cric_error **err) {
        CLEANUP(pod_unrefp) struct pod *p = pod_get(rt, id, err);
        if (!p)
                return -1;
        pthread_mutex_lock(&p->op_lock);
        int r = update_locked(rt, p, l, err);
        pthread_mutex_unlock(&p->op_lock);
        return r;
}
