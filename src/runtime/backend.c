/* The real backend: the OCI runtime's command line and cric-monitor. */
#include "runtime/internal.h"

static int oci_open(void *data, const struct oci_runtime_opts *o, struct oci_runtime **ret, struct cric_error **err) {
        (void) data;
        return oci_runtime_new(o, ret, err);
}

static int monitor_create(void *data, const struct monitor_create_opts *o, pid_t *ret_monitor_pid,
                          pid_t *ret_container_pid, struct cric_error **err) {
        (void) data;
        return monitor_spawn_create(o, ret_monitor_pid, ret_container_pid, err);
}

static int exec_sync(void *data, const struct monitor_exec_opts *o, struct monitor_exec_result *ret,
                     struct cric_error **err) {
        (void) data;
        return monitor_exec_sync(o, ret, err);
}

static int reopen_log(void *data, const char *socket_dir, const char *id, struct cric_error **err) {
        (void) data;
        return monitor_reopen_log(socket_dir, id, err);
}

static bool is_alive(void *data, pid_t pid) {
        (void) data;
        return monitor_is_alive(pid);
}

static int enter(void *data, const struct enter_plan *p, const struct enter_call *call, struct enter_proc *ret,
                 struct cric_error **err) {
        (void) data;
        return enter_spawn(p, call, ret, err);
}

const struct runtime_backend runtime_real_backend = {
        .oci_open = oci_open,
        .monitor_create = monitor_create,
        .monitor_exec_sync = exec_sync,
        .monitor_reopen_log = reopen_log,
        .monitor_is_alive = is_alive,
        .enter_spawn = enter,
};
