/* StartContainer, RemoveContainer, how a container's exit is recorded, and the pod's
 * infra process (a container of the runtime's own). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "metrics/metrics.h"
#include "runtime/internal.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/rm.h"
#include "util/xalloc.h"

/* ---- exits ---- */

bool ctr_set_exited(struct container *c, int exit_code, int64_t when_ns, const char *reason, const char *message) {
        if (c->state == CONTAINER_EXITED)
                return false;
        c->state = CONTAINER_EXITED;
        c->exit_code = exit_code;
        c->finished_ns = when_ns;
        c->reason = reason;
        free(c->message);
        c->message = xstrdup(message ? message : "");
        return true;
}

void ctr_persist_state(struct runtime *rt, struct container *c) {
        struct container_row row = {
                .id = c->info.id,
                .state = (enum container_row_state) c->state,
                .started_ns = c->started_ns,
                .finished_ns = c->finished_ns,
                .exit_code = c->exit_code,
                .reason = (char *) c->reason,
                .message = c->message ? c->message : "",
                .monitor_pid = c->info.monitor_pid,
                .pid = c->info.pid,
        };
        bool is_gone = c->is_gone;
        pthread_cond_broadcast(&rt->exited);
        persist_begin(rt);
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        /* A row removed meanwhile has nothing to update; the memory is the truth until the
         * next start, which reads the exit file again. */
        if (!is_gone && store_container_update_state(rt->db, &row, &e) < 0 && e->kind != CRIC_E_NOT_FOUND)
                log_error("container %s: cannot record its state: %s", c->info.id, e->msg);
        persist_end(rt);
}

static const char *reason_of(const struct monitor_exit *x) {
        if (x->oom_killed)
                return "OOMKilled";
        return x->exit_code == 0 ? "Completed" : "Error";
}

void ctr_check_exit(struct runtime *rt, struct container *c, bool is_monitor_gone) {
        struct monitor_exit x;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        int r = monitor_read_exit_file(rt->exits_dir, c->info.id, &x, &e);
        if (r < 0 && e->kind == CRIC_E_NOT_FOUND && !is_monitor_gone)
                return; /* still running */
        pthread_mutex_lock(&rt->lock);
        bool changed;
        if (r == 0) {
                changed = ctr_set_exited(c, x.exit_code, x.exit_time_ns, reason_of(&x), NULL);
        } else if (e->kind != CRIC_E_NOT_FOUND) {
                changed = ctr_set_exited(c, 255, runtime_now_ns(), "Error", e->msg);
        } else {
                AUTOFREE char *msg = xasprintf("the container's monitor (pid %d) is gone without an exit file",
                                               (int) c->info.monitor_pid);
                changed = ctr_set_exited(c, 255, runtime_now_ns(), "Error", msg);
        }
        if (!changed) {
                pthread_mutex_unlock(&rt->lock);
                return;
        }
        /* It ran and exited before StartContainer could mark it running (a quick
         * command on a busy node): it did start, and the events say so, in order. */
        if (c->is_starting && c->started_ns == 0) {
                c->started_ns = c->finished_ns;
                events_note_container(rt, RUNTIME_EVENT_STARTED, c);
        }
        log_info("container %s exited with code %d (%s)", c->info.id, c->exit_code, c->reason);
        if (r == 0 && x.oom_killed)
                metrics_oom_kill();
        events_note_container(rt, RUNTIME_EVENT_STOPPED, c);
        ctr_persist_state(rt, c);
}

bool ctr_wait_exit(struct runtime *rt, struct container *c, int64_t deadline_ms) {
        struct timespec ts = {.tv_sec = deadline_ms / 1000, .tv_nsec = (deadline_ms % 1000) * 1000000};
        pthread_mutex_lock(&rt->lock);
        while (c->state != CONTAINER_EXITED && clock_mono_ms() < deadline_ms)
                pthread_cond_timedwait(&rt->exited, &rt->lock, &ts);
        bool exited = c->state == CONTAINER_EXITED;
        pthread_mutex_unlock(&rt->lock);
        return exited;
}

/* ---- start ---- */

int runtime_container_start(struct runtime *rt, const char *id, struct cric_error **err) {
        CLEANUP(ctr_unrefp) struct container *c = ctr_get(rt, id, err);
        if (!c)
                return -1;
        pthread_mutex_lock(&c->op_lock);
        pthread_mutex_lock(&rt->lock);
        enum container_state state = c->state;
        bool is_gone = c->is_gone;
        pthread_mutex_unlock(&rt->lock);
        int r = 0;
        if (is_gone)
                r = cric_error_set(err, CRIC_E_NOT_FOUND, "container %s not found", c->info.id);
        else if (state != CONTAINER_CREATED)
                r = cric_error_set(err, CRIC_E_PRECONDITION, "container %s is %s, not created: it can only start once",
                                   c->info.id, state == CONTAINER_RUNNING ? "running" : "exited");
        if (r < 0) {
                pthread_mutex_unlock(&c->op_lock);
                return -1;
        }
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        AUTOFREE char *dir = ctr_dir(rt, c->info.id);
        pthread_mutex_lock(&rt->lock);
        c->is_starting = true;
        pthread_mutex_unlock(&rt->lock);
        r = runtime_oci_start(rt, c->info.runtime_path, c->info.runtime_root, c->info.id, dir, c->info.pid, &e);
        pthread_mutex_lock(&rt->lock);
        c->is_starting = false;
        if (r == 0 && c->state == CONTAINER_CREATED) {
                c->state = CONTAINER_RUNNING;
                c->started_ns = runtime_now_ns();
                events_note_container(rt, RUNTIME_EVENT_STARTED, c);
        } else if (r < 0 && ctr_set_exited(c, 128, runtime_now_ns(), "StartError", e->msg)) {
                events_note_container(rt, RUNTIME_EVENT_STOPPED, c);
        }
        ctr_persist_state(rt, c);
        pthread_mutex_unlock(&c->op_lock);
        if (r < 0) {
                cric_error_move(err, &e);
                return cric_error_prefix(err, "start container %s", c->info.id);
        }
        log_info("container %s started", c->info.id);
        return 0;
}

/* ---- remove ---- */

static int remove_container(struct runtime *rt, struct container *c, struct cric_error **err) {
        const char *id = c->info.id;
        if (ctr_stop(rt, c, 0, err) < 0)
                return cric_error_prefix(err, "remove container %s", id);
        pthread_mutex_lock(&c->op_lock);
        /* The row goes first; the rest is the janitor's, or the next start's after a crash
         * (a container directory without a row). */
        pthread_mutex_lock(&rt->lock);
        bool was_gone = c->is_gone;
        int r = was_gone ? 0 : store_container_delete(rt->db, id, err);
        if (r == 0 && !was_gone) {
                c->is_gone = true;
                index_del(&rt->ctrs, id);
                events_note_container(rt, RUNTIME_EVENT_DELETED, c);
                ctr_unref(c); /* the index's reference; the caller holds one */
        }
        pthread_mutex_unlock(&rt->lock);
        if (r == 0 && !was_gone)
                janitor_add(rt, c);
        pthread_mutex_unlock(&c->op_lock);
        if (r < 0)
                return cric_error_prefix(err, "remove container %s", id);
        if (!was_gone)
                log_info("container %s removed", id);
        return 0;
}

int runtime_container_remove(struct runtime *rt, const char *id, struct cric_error **err) {
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        CLEANUP(ctr_unrefp) struct container *c = ctr_get(rt, id, &e);
        if (!c)
                return gone_is_fine(&e, err);
        return remove_container(rt, c, err);
}

/* References to the containers of a pod. */
static struct container **pod_containers(struct runtime *rt, const char *pod_id, size_t *ret_n) {
        pthread_mutex_lock(&rt->lock);
        struct container **v = xcalloc(rt->ctrs.n + 1, sizeof(*v));
        size_t n = 0;
        for (size_t i = 0; i < rt->ctrs.n; i++) {
                struct container *c = rt->ctrs.objs[i];
                if (!strcmp(c->info.pod_id, pod_id))
                        v[n++] = ctr_ref(c);
        }
        pthread_mutex_unlock(&rt->lock);
        *ret_n = n;
        return v;
}

static void containers_unref(struct container **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                ctr_unref(v[i]);
        free(v);
}

int pod_containers_stop(struct runtime *rt, const char *pod_id, struct cric_error **err) {
        size_t n = 0;
        struct container **v = pod_containers(rt, pod_id, &n);
        int r = 0;
        for (size_t i = 0; i < n && r == 0; i++)
                r = ctr_stop(rt, v[i], 0, err);
        containers_unref(v, n);
        return r;
}

int pod_containers_remove(struct runtime *rt, const char *pod_id, struct cric_error **err) {
        size_t n = 0;
        struct container **v = pod_containers(rt, pod_id, &n);
        int r = 0;
        for (size_t i = 0; i < n && r == 0; i++)
                r = remove_container(rt, v[i], err);
        containers_unref(v, n);
        return r;
}

/* ---- the infra process of a pod with a shared PID namespace ---- */

int infra_start(struct runtime *rt, const char *pod_id, const char *bundle, const char *runtime_path,
                const char *runtime_root, pid_t *ret_pid, struct cric_error **err) {
        cgroup_prewarm_kick(rt->prewarm);
        CLEANUP(config_unrefp) struct cric_config *cfg = runtime_config(rt);
        AUTOFREE char *pid_file = xasprintf("%s/pid", bundle);
        AUTOFREE char *log = xasprintf("%s/console.log", bundle);
        AUTOFREE char *monitor_log = xasprintf("%s/monitor.log", bundle);
        struct monitor_create_opts o = {
                .monitor_path = rt->monitor_path,
                .id = pod_id,
                .bundle = bundle,
                .runtime = runtime_path,
                .runtime_root = runtime_root && *runtime_root ? runtime_root : NULL,
                .runtime_args = runtime_global_args(cfg),
                .log_path = log,
                .log_size_max = 1 << 20,
                .exit_dir = rt->exits_dir,
                .socket_dir = rt->sockets_dir,
                .pid_file = pid_file,
                .log_level = log_level_to_string(cfg->log_level),
                .monitor_log_path = monitor_log,
        };
        pid_t monitor_pid = 0;
        if (rt->be.monitor_create(rt->be.data, &o, &monitor_pid, ret_pid, err) < 0)
                return -1;
        if (runtime_oci_start(rt, runtime_path, runtime_root, pod_id, bundle, *ret_pid, err) < 0) {
                infra_kill(rt, pod_id, runtime_path, runtime_root, NULL);
                return -1;
        }
        return 0;
}

/* Waits up to timeout_ms for the exit file of id. */
static bool wait_exit_file(struct runtime *rt, const char *id, long timeout_ms) {
        AUTOFREE char *path = xasprintf("%s/%s", rt->exits_dir, id);
        int64_t deadline = clock_mono_ms() + timeout_ms;
        long delay_us = 500;
        while (access(path, F_OK) < 0) {
                if (clock_mono_ms() >= deadline)
                        return false;
                usleep((useconds_t) delay_us);
                if (delay_us < 20000)
                        delay_us *= 2;
        }
        return true;
}

int infra_kill(struct runtime *rt, const char *pod_id, const char *runtime_path, const char *runtime_root,
               struct cric_error **err) {
        AUTOFREE char *exit_file = xasprintf("%s/%s", rt->exits_dir, pod_id);
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        CLEANUP(oci_runtime_freep) struct oci_runtime *oci = NULL;
        if (runtime_oci(rt, runtime_path, runtime_root, &oci, err) < 0)
                return -1;
        if (access(exit_file, F_OK) < 0) {
                if (oci_runtime_kill(oci, pod_id, SIGKILL, true, &e) == 0) {
                        if (!wait_exit_file(rt, pod_id, 10000))
                                log_warn("pod %s: its infra process had not exited 10 s after SIGKILL", pod_id);
                } else if (e->kind != CRIC_E_NOT_FOUND) { /* not found: never created, or gone */
                        log_warn("pod %s: kill its infra process: %s", pod_id, e->msg);
                }
                cric_error_freep(&e);
        }
        if (oci_runtime_delete(oci, pod_id, true, &e) < 0 && e->kind != CRIC_E_NOT_FOUND) {
                return cric_error_move(err, &e);
        }
        unlink(exit_file);
        AUTOFREE char *sockets = xasprintf("%s/%s", rt->sockets_dir, pod_id);
        return rm_rf(sockets, err);
}
