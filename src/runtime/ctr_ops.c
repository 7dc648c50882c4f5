/* UpdateContainerResources, ReopenContainerLog and ExecSync. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/internal.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

/* A reference to a container in one of the states in mask (bits of enum container_state). */
struct container *ctr_get_in_state(struct runtime *rt, const char *id, unsigned mask, const char *what,
                                   struct cric_error **err) {
        struct container *c = ctr_get(rt, id, err);
        if (!c)
                return NULL;
        pthread_mutex_lock(&rt->lock);
        enum container_state state = c->state;
        pthread_mutex_unlock(&rt->lock);
        if (!(mask & (1u << state))) {
                cric_error_set(err, CRIC_E_PRECONDITION, "%s: container %s is not running", what, c->info.id);
                ctr_unref(c);
                return NULL;
        }
        return c;
}

#define LIVE (1u << CONTAINER_CREATED | 1u << CONTAINER_RUNNING)

int runtime_container_update(struct runtime *rt, const char *id, const struct oci_resources *res,
                             struct cric_error **err) {
        CLEANUP(ctr_unrefp) struct container *c = ctr_get_in_state(rt, id, LIVE, "update resources", err);
        if (!c)
                return -1;
        CLEANUP(config_unrefp) struct cric_config *cfg = runtime_config(rt);
        struct oci_host host;
        AUTOFREE char *json = NULL;
        CLEANUP(oci_runtime_freep) struct oci_runtime *oci = NULL;
        if (oci_host_detect(cfg->cgroup_manager == CRIC_CGROUP_SYSTEMD ? OCI_CGROUP_SYSTEMD : OCI_CGROUP_CGROUPFS,
                            &host, err) < 0 ||
            oci_resources_to_json(res, &host, &json, err) < 0 ||
            runtime_oci(rt, c->info.runtime_path, c->info.runtime_root, &oci, err) < 0 ||
            oci_runtime_update(oci, c->info.id, json, err) < 0)
                return cric_error_prefix(err, "update container %s", c->info.id);
        struct resources *kept = resources_new(res);
        struct json_object *rec = record_resources(res);
        AUTOFREE char *text = record_text(rec);
        json_object_put(rec);
        pthread_mutex_lock(&rt->lock);
        struct resources *old = c->res;
        c->res = kept;
        persist_begin(rt);
        int r = store_container_set_resources(rt->db, c->info.id, text, strlen(text), err);
        persist_end(rt);
        resources_unref(old);
        return r;
}

int runtime_container_reopen_log(struct runtime *rt, const char *id, struct cric_error **err) {
        CLEANUP(ctr_unrefp) struct container *c = ctr_get_in_state(rt, id, 1u << CONTAINER_RUNNING, "reopen log", err);
        if (!c)
                return -1;
        if (rt->be.monitor_reopen_log(rt->be.data, rt->sockets_dir, c->info.id, err) < 0)
                return cric_error_prefix(err, "reopen the log of container %s", c->info.id);
        return 0;
}

/* process.json for `<runtime> exec`: the container's own process settings with argv. */
int ctr_write_process(struct runtime *rt, const struct container *c, char *const *argv, bool tty, char **ret_path,
                      struct cric_error **err) {
        AUTOFREE char *dir = ctr_dir(rt, c->info.id);
        AUTOFREE char *config = xasprintf("%s/config.json", dir);
        AUTOFREE char *spec = NULL, *process = NULL;
        if (fs_read_file(config, 16 << 20, &spec, NULL, err) < 0 ||
            oci_spec_exec_process(spec, argv, tty, &process, err) < 0)
                return -1;
        char rnd[65];
        runtime_new_id(rnd);
        rnd[16] = 0;
        AUTOFREE char *path = xasprintf("%s/exec-%s.json", dir, rnd);
        if (fs_write_file_atomic(path, process, strlen(process), 0600, err) < 0)
                return -1;
        *ret_path = STEAL_PTR(path);
        return 0;
}

int runtime_container_exec_sync(struct runtime *rt, const char *id, char *const *argv, int64_t timeout_s,
                                struct monitor_exec_result *ret, struct cric_error **err) {
        CLEANUP(ctr_unrefp) struct container *c = ctr_get_in_state(rt, id, 1u << CONTAINER_RUNNING, "exec", err);
        if (!c)
                return -1;
        if (!argv || !argv[0])
                return cric_error_set(err, CRIC_E_INVALID, "exec in container %s: no command given", c->info.id);
        cgroup_prewarm_kick(rt->prewarm); /* the runtime moves the process into the container's cgroup */
        const struct enter_plan *plan = ctr_enter_plan(rt, c);
        if (plan) {
                if (ctr_exec_sync_native(rt, c, plan, argv, timeout_s, ret, err) < 0)
                        return cric_error_prefix(err, "exec in container %s", c->info.id);
                return 0;
        }
        CLEANUP(config_unrefp) struct cric_config *cfg = runtime_config(rt);
        AUTOFREE char *process = NULL;
        if (ctr_write_process(rt, c, argv, false, &process, err) < 0)
                return cric_error_prefix(err, "exec in container %s", c->info.id);
        struct monitor_exec_opts o = {
                .monitor_path = rt->monitor_path,
                .id = c->info.id,
                .runtime = c->info.runtime_path,
                .runtime_root = *c->info.runtime_root ? c->info.runtime_root : NULL,
                .runtime_args = runtime_global_args(cfg),
                .process_path = process,
                .timeout_s = timeout_s > 0 ? (unsigned) (timeout_s > 86400 ? 86400 : timeout_s) : 0,
                .log_level = log_level_to_string(cfg->log_level),
        };
        int r = rt->be.monitor_exec_sync(rt->be.data, &o, ret, err);
        unlink(process);
        if (r < 0)
                return cric_error_prefix(err, "exec in container %s", c->info.id);
        return 0;
}
