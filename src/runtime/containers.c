/* Container lifecycle: root file system, bundle and monitor at create, the OCI runtime
 * for start/kill/delete/update, exit files for the end.
 *
 * The row is the truth for what exists; the exit file the monitor writes is the truth
 * for how a container ended. A container whose row says created or running is brought
 * up to date from its exit file whenever it is read, so a daemon that was down while
 * containers exited reports their real exit codes. */
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "oci/oci.h"
#include "runtime/internal.h"
#include "storage/storage.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/rm.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* How long a SIGKILLed container gets to be reaped by its monitor. */
#define KILL_WAIT_MS 10000
#define RUNTIME_FILE "runtime"

static char *ctr_dir(const struct runtime *rt, const char *id) {
        return xasprintf("%s/%s", rt->ctrs_dir, id);
}

/* Global runtime flags the monitor passes before the verb. */
static char *const systemd_args[] = {"--systemd-cgroup", NULL};

static char *const *runtime_args(const struct runtime *rt) {
        return rt->systemd_cgroup ? systemd_args : NULL;
}

static int oci_for(const struct runtime *rt, const char *path, const char *root, struct oci_runtime **ret,
                   struct cric_error **err) {
        struct oci_runtime_opts o = {
                .path = path,
                .root = root && *root ? root : NULL,
                .systemd_cgroup = rt->systemd_cgroup,
        };
        return oci_runtime_new(&o, ret, err);
}

static int oci_of(const struct runtime *rt, const struct container_row *c, struct oci_runtime **ret,
                  struct cric_error **err) {
        return oci_for(rt, c->runtime_path, c->runtime_root, ret, err);
}

static const char *reason_of(const struct monitor_exit *x) {
        if (x->oom_killed)
                return "OOMKilled";
        return x->exit_code == 0 ? "Completed" : "Error";
}

static void set_exited(struct container_row *c, int exit_code, int64_t when_ns, const char *reason,
                       const char *message) {
        c->state = CONTAINER_ROW_EXITED;
        c->exit_code = exit_code;
        c->finished_ns = when_ns;
        free(c->reason);
        c->reason = xstrdup(reason);
        free(c->message);
        c->message = xstrdup(message ? message : "");
}

/* Brings a created or running container up to date from its exit file, or from its
 * monitor being gone. Writes the row when it changed. */
static int refresh(struct runtime *rt, struct container_row *c, struct cric_error **err) {
        if (c->state == CONTAINER_ROW_EXITED)
                return 0;
        struct monitor_exit x;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (monitor_read_exit_file(rt->exits_dir, c->id, &x, &e) == 0) {
                set_exited(c, x.exit_code, x.exit_time_ns, reason_of(&x), NULL);
        } else if (e->kind != CRIC_E_NOT_FOUND) {
                set_exited(c, 255, runtime_now_ns(), "Error", e->msg);
        } else if (c->monitor_pid > 0 && !monitor_is_alive(c->monitor_pid)) {
                /* The monitor may have written the file just after we looked. */
                cric_error_freep(&e);
                if (monitor_read_exit_file(rt->exits_dir, c->id, &x, &e) == 0) {
                        set_exited(c, x.exit_code, x.exit_time_ns, reason_of(&x), NULL);
                } else {
                        AUTOFREE char *msg = xasprintf("the container's monitor (pid %d) is gone without an exit file",
                                                       c->monitor_pid);
                        set_exited(c, 255, runtime_now_ns(), "Error", msg);
                }
        } else {
                return 0;
        }
        log_info("container %s exited with code %d (%s)", c->id, c->exit_code, c->reason);
        return store_container_update_state(rt->db, c, err);
}

int runtime_container_get(struct runtime *rt, const char *id, struct container_row **ret, struct cric_error **err) {
        CLEANUP(container_row_freep) struct container_row *c = NULL;
        if (store_container_get(rt->db, id, &c, err) < 0 || refresh(rt, c, err) < 0)
                return -1;
        *ret = STEAL_PTR(c);
        return 0;
}

int runtime_container_list(struct runtime *rt, const char *pod_id, struct container_row ***ret, size_t *ret_n,
                           struct cric_error **err) {
        struct container_row **rows = NULL;
        size_t n = 0;
        if (store_container_list(rt->db, pod_id, &rows, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n; i++) {
                if (refresh(rt, rows[i], err) < 0) {
                        container_rows_free(rows, n);
                        return -1;
                }
        }
        *ret = rows;
        *ret_n = n;
        return 0;
}

/* ---- create ---- */

/* Undoes whatever a create got to: the runtime's container, the mount, the directories. */
static void undo_create(struct runtime *rt, const char *id, const char *runtime_path, const char *runtime_root) {
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        CLEANUP(oci_runtime_freep) struct oci_runtime *oci = NULL;
        if (runtime_path && oci_for(rt, runtime_path, runtime_root, &oci, &e) == 0) {
                if (oci_runtime_delete(oci, id, true, &e) < 0 && e->kind != CRIC_E_NOT_FOUND)
                        cric_error_log_free(&e, "delete container %s", id);
                cric_error_freep(&e);
        } else if (e) {
                cric_error_log_free(&e, "delete container %s", id);
        }
        AUTOFREE char *dir = ctr_dir(rt, id);
        AUTOFREE char *rootfs = xasprintf("%s/rootfs", dir);
        AUTOFREE char *exit_file = xasprintf("%s/%s", rt->exits_dir, id);
        AUTOFREE char *sockets = xasprintf("%s/%s", rt->sockets_dir, id);
        if (rootfs_unmount(rootfs, &e) < 0 || rootfs_remove(rt->layers, id, &e) < 0 || rm_rf(dir, &e) < 0 ||
            rm_rf(sockets, &e) < 0)
                cric_error_log_free(&e, "clean container %s", id);
        if (unlink(exit_file) < 0 && errno != ENOENT)
                log_warn("remove %s: %s", exit_file, strerror(errno));
}

static int check_pod(struct runtime *rt, const struct container_spec *spec, struct cric_error **err) {
        CLEANUP(pod_row_freep) struct pod_row *pod = NULL;
        if (store_pod_get(rt->db, spec->pod_id, &pod, err) < 0)
                return -1;
        if (pod->state != POD_ROW_READY)
                return cric_error_set(err, CRIC_E_PRECONDITION, "pod %s is not ready (it was stopped)", pod->id);
        if (strcmp(pod->id, spec->pod_id))
                return cric_error_set(err, CRIC_E_INVALID, "pod id %s must be given in full", spec->pod_id);
        /* Refuse a clash before the slow work; the row insert checks it again. */
        struct container_row **rows = NULL;
        size_t n = 0;
        if (store_container_list(rt->db, pod->id, &rows, &n, err) < 0)
                return -1;
        int r = 0;
        for (size_t i = 0; i < n && r == 0; i++)
                if (!strcmp(rows[i]->name, spec->name) && rows[i]->attempt == spec->attempt)
                        r = cric_error_set(err, CRIC_E_EXISTS,
                                           "container name %s_%u in pod %s is reserved for container %s", spec->name,
                                           spec->attempt, pod->id, rows[i]->id);
        container_rows_free(rows, n);
        return r;
}

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

static int make_bundle(struct runtime *rt, const struct container_spec *spec, const char *id, const char *dir,
                       char **ret_cgroup, char **ret_oom_dir, struct cric_error **err) {
        AUTOFREE char *rootfs = xasprintf("%s/rootfs", dir);
        if (fs_mkdir_p(rootfs, 0755, err) < 0 ||
            runtime_file_write(dir, spec->runtime_path, spec->runtime_root, err) < 0 ||
            rootfs_mount(rt->layers, id, spec->layers, rootfs, err) < 0)
                return -1;
        AUTOFREE char *json = NULL;
        if (spec->make_spec(spec->data, id, rootfs, &json, ret_cgroup, ret_oom_dir, err) < 0)
                return -1;
        return oci_spec_write_bundle(dir, json, err);
}

static int start_monitor(struct runtime *rt, const struct container_spec *spec, const char *id, const char *dir,
                         const char *log_path, const char *oom_dir, pid_t *ret_monitor, pid_t *ret_pid,
                         struct cric_error **err) {
        AUTOFREE char *log_dir = xstrdup(log_path);
        char *slash = strrchr(log_dir, '/');
        if (slash && slash != log_dir) {
                *slash = 0;
                if (fs_mkdir_p(log_dir, 0755, err) < 0)
                        return -1;
        }
        AUTOFREE char *pid_file = xasprintf("%s/pid", dir);
        AUTOFREE char *monitor_log = xasprintf("%s/monitor.log", dir);
        struct monitor_create_opts o = {
                .monitor_path = rt->monitor_path,
                .id = id,
                .bundle = dir,
                .runtime = spec->runtime_path,
                .runtime_root = spec->runtime_root && *spec->runtime_root ? spec->runtime_root : NULL,
                .runtime_args = runtime_args(rt),
                .log_path = log_path,
                .log_size_max = rt->log_size_max,
                .exit_dir = rt->exits_dir,
                .socket_dir = rt->sockets_dir,
                .pid_file = pid_file,
                .cgroup_path = oom_dir,
                .is_terminal = spec->tty,
                .has_stdin = spec->has_stdin,
                .is_stdin_once = spec->is_stdin_once,
                .log_level = rt->monitor_log_level,
                .monitor_log_path = monitor_log,
        };
        return monitor_spawn_create(&o, ret_monitor, ret_pid, err);
}

int runtime_container_create(struct runtime *rt, const struct container_spec *spec, char **ret_id,
                             struct cric_error **err) {
        if (check_pod(rt, spec, err) < 0)
                return cric_error_prefix(err, "create container %s", spec->name);
        cgroup_prewarm_kick(rt->prewarm); /* the runtime moves the container into its cgroup */
        char id[65];
        runtime_new_id(id);
        AUTOFREE char *dir = ctr_dir(rt, id);
        AUTOFREE char *log_path =
                spec->log_path && *spec->log_path ? xstrdup(spec->log_path) : xasprintf("%s/console.log", dir);
        pid_t monitor_pid = 0, pid = 0;
        AUTOFREE char *cgroup = NULL, *oom_dir = NULL;
        int r = make_bundle(rt, spec, id, dir, &cgroup, &oom_dir, err);
        if (r == 0)
                r = start_monitor(rt, spec, id, dir, log_path, oom_dir, &monitor_pid, &pid, err);
        if (r == 0) {
                struct container_row row = {
                        .id = id,
                        .pod_id = (char *) spec->pod_id,
                        .name = (char *) spec->name,
                        .attempt = spec->attempt,
                        .state = CONTAINER_ROW_CREATED,
                        .created_ns = runtime_now_ns(),
                        .reason = "",
                        .message = "",
                        .image = (char *) spec->image,
                        .image_id = (char *) spec->image_id,
                        .image_ref = (char *) spec->image_ref,
                        .runtime_path = (char *) spec->runtime_path,
                        .runtime_root = (char *) (spec->runtime_root ? spec->runtime_root : ""),
                        .log_path = spec->log_path && *spec->log_path ? (char *) spec->log_path : "",
                        .cgroup = cgroup ? cgroup : "",
                        .stop_signal = spec->stop_signal,
                        .monitor_pid = monitor_pid,
                        .pid = pid,
                        .config = (void *) spec->config,
                        .config_len = spec->config_len,
                };
                /* The pod may have been stopped meanwhile: check again under the lock. */
                pthread_mutex_lock(&rt->lock);
                CLEANUP(pod_row_freep) struct pod_row *pod = NULL;
                r = store_pod_get(rt->db, spec->pod_id, &pod, err);
                if (r == 0 && pod->state != POD_ROW_READY)
                        r = cric_error_set(err, CRIC_E_PRECONDITION, "pod %s was stopped meanwhile", pod->id);
                if (r == 0)
                        r = store_container_insert(rt->db, &row, err);
                pthread_mutex_unlock(&rt->lock);
        }
        if (r < 0) {
                undo_create(rt, id, spec->runtime_path, spec->runtime_root);
                return cric_error_prefix(err, "create container %s in pod %s", spec->name, spec->pod_id);
        }
        log_info("container %s (%s in pod %s) created, pid %d", id, spec->name, spec->pod_id, pid);
        *ret_id = xstrdup(id);
        return 0;
}

/* ---- start ---- */

int runtime_container_start(struct runtime *rt, const char *id, struct cric_error **err) {
        CLEANUP(container_row_freep) struct container_row *c = NULL;
        if (runtime_container_get(rt, id, &c, err) < 0)
                return -1;
        if (c->state != CONTAINER_ROW_CREATED)
                return cric_error_set(err, CRIC_E_PRECONDITION,
                                      "container %s is %s, not created: it can only start once", c->id,
                                      c->state == CONTAINER_ROW_RUNNING ? "running" : "exited");
        CLEANUP(oci_runtime_freep) struct oci_runtime *oci = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        int r = oci_of(rt, c, &oci, &e);
        if (r == 0)
                r = oci_runtime_start(oci, c->id, &e);
        pthread_mutex_lock(&rt->lock);
        if (r == 0) {
                c->state = CONTAINER_ROW_RUNNING;
                c->started_ns = runtime_now_ns();
        } else {
                set_exited(c, 128, runtime_now_ns(), "StartError", e->msg);
        }
        int w = store_container_update_state(rt->db, c, err);
        pthread_mutex_unlock(&rt->lock);
        if (r < 0) {
                if (err)
                        *err = STEAL_PTR(e);
                return cric_error_prefix(err, "start container %s", c->id);
        }
        if (w < 0)
                return -1;
        log_info("container %s started", c->id);
        return 0;
}

/* ---- stop ---- */

/* Waits up to timeout_ms for the exit file; true when it is there. */
static bool wait_exit(struct runtime *rt, const char *id, long timeout_ms) {
        AUTOFREE char *path = xasprintf("%s/%s", rt->exits_dir, id);
        struct timespec start, now;
        clock_gettime(CLOCK_MONOTONIC, &start);
        long delay_us = 500;
        for (;;) {
                if (access(path, F_OK) == 0)
                        return true;
                clock_gettime(CLOCK_MONOTONIC, &now);
                long elapsed = (now.tv_sec - start.tv_sec) * 1000L + (now.tv_nsec - start.tv_nsec) / 1000000L;
                if (elapsed >= timeout_ms)
                        return false;
                usleep((useconds_t) delay_us);
                if (delay_us < 20000)
                        delay_us *= 2;
        }
}

/* Sends sig (none when timeout_s is 0) and waits up to timeout_s for the exit file,
 * then SIGKILLs every process of the container and waits for the exit file. */
static int kill_and_wait(struct runtime *rt, const char *id, const char *runtime_path, const char *runtime_root,
                         int sig, int64_t timeout_s, struct cric_error **err) {
        CLEANUP(oci_runtime_freep) struct oci_runtime *oci = NULL;
        if (oci_for(rt, runtime_path, runtime_root, &oci, err) < 0)
                return -1;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (timeout_s > 0) {
                if (sig <= 0)
                        sig = SIGTERM;
                if (oci_runtime_kill(oci, id, sig, false, &e) < 0) {
                        log_debug("container %s: kill %d: %s", id, sig, e->msg);
                        cric_error_freep(&e);
                }
                if (wait_exit(rt, id, timeout_s > INT32_MAX / 1000 ? INT32_MAX : (long) timeout_s * 1000))
                        return 0;
                log_info("container %s did not stop within %lds: killing it", id, (long) timeout_s);
        }
        if (oci_runtime_kill(oci, id, SIGKILL, true, &e) < 0) {
                if (wait_exit(rt, id, 100))
                        return 0;
                return cric_error_set(err, e->kind == CRIC_E_NOT_FOUND ? CRIC_E_INTERNAL : e->kind,
                                      "kill container %s: %s", id, e->msg);
        }
        if (!wait_exit(rt, id, KILL_WAIT_MS))
                return cric_error_set(err, CRIC_E_TIMEOUT, "container %s was killed but had not exited after %ds", id,
                                      KILL_WAIT_MS / 1000);
        return 0;
}

static int stop_row(struct runtime *rt, struct container_row *c, int64_t timeout_s, struct cric_error **err) {
        if (c->state == CONTAINER_ROW_EXITED)
                return 0;
        if (kill_and_wait(rt, c->id, c->runtime_path, c->runtime_root, c->stop_signal, timeout_s, err) < 0)
                return cric_error_prefix(err, "stop container %s", c->id);
        if (refresh(rt, c, err) < 0)
                return -1;
        log_info("container %s stopped", c->id);
        return 0;
}

int runtime_container_stop(struct runtime *rt, const char *id, int64_t timeout_s, struct cric_error **err) {
        CLEANUP(container_row_freep) struct container_row *c = NULL;
        if (runtime_container_get(rt, id, &c, err) < 0)
                return -1;
        return stop_row(rt, c, timeout_s, err);
}

/* ---- remove ---- */

static int remove_row(struct runtime *rt, struct container_row *c, struct cric_error **err) {
        if (stop_row(rt, c, 0, err) < 0)
                return cric_error_prefix(err, "remove container %s", c->id);
        CLEANUP(oci_runtime_freep) struct oci_runtime *oci = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (oci_of(rt, c, &oci, err) < 0)
                return -1;
        if (oci_runtime_delete(oci, c->id, true, &e) < 0 && e->kind != CRIC_E_NOT_FOUND) {
                if (err)
                        *err = STEAL_PTR(e);
                return cric_error_prefix(err, "remove container %s", c->id);
        }
        /* The row goes first: what a crash leaves behind is cleaned at the next start. */
        pthread_mutex_lock(&rt->lock);
        int r = store_container_delete(rt->db, c->id, err);
        pthread_mutex_unlock(&rt->lock);
        if (r < 0)
                return cric_error_prefix(err, "remove container %s", c->id);
        undo_create(rt, c->id, NULL, NULL);
        log_info("container %s removed", c->id);
        return 0;
}

int runtime_container_remove(struct runtime *rt, const char *id, struct cric_error **err) {
        CLEANUP(container_row_freep) struct container_row *c = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (runtime_container_get(rt, id, &c, &e) < 0) {
                if (e->kind == CRIC_E_NOT_FOUND)
                        return 0;
                if (err)
                        *err = STEAL_PTR(e);
                return -1;
        }
        return remove_row(rt, c, err);
}

int runtime_pod_containers_stop(struct runtime *rt, const char *pod_id, struct cric_error **err) {
        struct container_row **rows = NULL;
        size_t n = 0;
        if (runtime_container_list(rt, pod_id, &rows, &n, err) < 0)
                return -1;
        int r = 0;
        for (size_t i = 0; i < n && r == 0; i++)
                r = stop_row(rt, rows[i], 0, err);
        container_rows_free(rows, n);
        return r;
}

int runtime_pod_containers_remove(struct runtime *rt, const char *pod_id, struct cric_error **err) {
        struct container_row **rows = NULL;
        size_t n = 0;
        if (runtime_container_list(rt, pod_id, &rows, &n, err) < 0)
                return -1;
        int r = 0;
        for (size_t i = 0; i < n && r == 0; i++)
                r = remove_row(rt, rows[i], err);
        container_rows_free(rows, n);
        return r;
}

/* ---- update, logs, exec ---- */

static int get_live(struct runtime *rt, const char *id, const char *what, struct container_row **ret,
                    struct cric_error **err) {
        if (runtime_container_get(rt, id, ret, err) < 0)
                return -1;
        if ((*ret)->state == CONTAINER_ROW_EXITED) {
                int r = cric_error_set(err, CRIC_E_PRECONDITION, "%s: container %s is not running", what, (*ret)->id);
                *ret = container_row_free(*ret);
                return r;
        }
        return 0;
}

int runtime_container_update(struct runtime *rt, const char *id, const char *resources_json, const void *blob,
                             size_t blob_len, struct cric_error **err) {
        CLEANUP(container_row_freep) struct container_row *c = NULL;
        if (get_live(rt, id, "update resources", &c, err) < 0)
                return -1;
        CLEANUP(oci_runtime_freep) struct oci_runtime *oci = NULL;
        if (oci_of(rt, c, &oci, err) < 0 || oci_runtime_update(oci, c->id, resources_json, err) < 0)
                return cric_error_prefix(err, "update container %s", c->id);
        pthread_mutex_lock(&rt->lock);
        int r = store_container_set_resources(rt->db, c->id, blob, blob_len, err);
        pthread_mutex_unlock(&rt->lock);
        return r;
}

int runtime_container_reopen_log(struct runtime *rt, const char *id, struct cric_error **err) {
        CLEANUP(container_row_freep) struct container_row *c = NULL;
        if (runtime_container_get(rt, id, &c, err) < 0)
                return -1;
        if (c->state != CONTAINER_ROW_RUNNING)
                return cric_error_set(err, CRIC_E_PRECONDITION, "reopen log: container %s is not running", c->id);
        if (monitor_reopen_log(rt->sockets_dir, c->id, err) < 0)
                return cric_error_prefix(err, "reopen the log of container %s", c->id);
        return 0;
}

/* process.json for `<runtime> exec`: the container's own process settings with argv. */
static int write_process(const char *dir, const char *id, char *const *argv, char **ret_path, struct cric_error **err) {
        AUTOFREE char *config = xasprintf("%s/config.json", dir);
        AUTOFREE char *data = NULL;
        if (fs_read_file(config, 16 << 20, &data, NULL, err) < 0)
                return -1;
        json_object *root = json_tokener_parse(data);
        json_object *proc = NULL;
        if (!root || !json_object_object_get_ex(root, "process", &proc)) {
                json_object_put(root);
                return cric_error_set(err, CRIC_E_INTERNAL, "container %s: %s has no process", id, config);
        }
        json_object *args = json_object_new_array();
        for (size_t i = 0; argv[i]; i++)
                json_object_array_add(args, json_object_new_string(argv[i]));
        json_object_object_add(proc, "args", args);
        json_object_object_add(proc, "terminal", json_object_new_boolean(false));
        json_object_object_del(proc, "consoleSize");
        char rnd[65];
        runtime_new_id(rnd);
        rnd[16] = 0;
        char *path = xasprintf("%s/exec-%s.json", dir, rnd);
        const char *text = json_object_to_json_string_ext(proc, JSON_C_TO_STRING_PLAIN);
        int r = fs_write_file_atomic(path, text, strlen(text), 0600, err);
        json_object_put(root);
        if (r < 0) {
                free(path);
                return -1;
        }
        *ret_path = path;
        return 0;
}

int runtime_container_exec_sync(struct runtime *rt, const char *id, char *const *argv, int64_t timeout_s,
                                struct monitor_exec_result *ret, struct cric_error **err) {
        CLEANUP(container_row_freep) struct container_row *c = NULL;
        if (runtime_container_get(rt, id, &c, err) < 0)
                return -1;
        if (c->state != CONTAINER_ROW_RUNNING)
                return cric_error_set(err, CRIC_E_PRECONDITION, "exec in container %s: it is not running", c->id);
        cgroup_prewarm_kick(rt->prewarm); /* the runtime moves the process into the container's cgroup */
        if (!argv || !argv[0])
                return cric_error_set(err, CRIC_E_INVALID, "exec in container %s: no command given", c->id);
        AUTOFREE char *dir = ctr_dir(rt, c->id);
        AUTOFREE char *process = NULL;
        if (write_process(dir, c->id, argv, &process, err) < 0)
                return -1;
        struct monitor_exec_opts o = {
                .monitor_path = rt->monitor_path,
                .id = c->id,
                .runtime = c->runtime_path,
                .runtime_root = *c->runtime_root ? c->runtime_root : NULL,
                .runtime_args = runtime_args(rt),
                .process_path = process,
                .timeout_s = timeout_s > 0 ? (unsigned) (timeout_s > 86400 ? 86400 : timeout_s) : 0,
                .log_level = rt->monitor_log_level,
        };
        int r = monitor_exec_sync(&o, ret, err);
        unlink(process);
        if (r < 0)
                return cric_error_prefix(err, "exec in container %s", c->id);
        return 0;
}

int runtime_container_usage(struct runtime *rt, const struct container_row *c, uint64_t *ret_bytes,
                            uint64_t *ret_inodes, char **ret_path, struct cric_error **err) {
        return rootfs_usage(rt->layers, c->id, ret_bytes, ret_inodes, ret_path, err);
}

const struct cgroup_mounts *runtime_cgroups(const struct runtime *rt) {
        return rt->cgroups;
}

/* ---- the infra process of a pod with a shared PID namespace ---- */

int runtime_infra_start(struct runtime *rt, const char *id, const char *bundle, const char *runtime_path,
                        const char *runtime_root, pid_t *ret_pid, struct cric_error **err) {
        cgroup_prewarm_kick(rt->prewarm);
        AUTOFREE char *pid_file = xasprintf("%s/pid", bundle);
        AUTOFREE char *log = xasprintf("%s/console.log", bundle);
        AUTOFREE char *monitor_log = xasprintf("%s/monitor.log", bundle);
        struct monitor_create_opts o = {
                .monitor_path = rt->monitor_path,
                .id = id,
                .bundle = bundle,
                .runtime = runtime_path,
                .runtime_root = runtime_root && *runtime_root ? runtime_root : NULL,
                .runtime_args = runtime_args(rt),
                .log_path = log,
                .log_size_max = 1 << 20,
                .exit_dir = rt->exits_dir,
                .socket_dir = rt->sockets_dir,
                .pid_file = pid_file,
                .log_level = rt->monitor_log_level,
                .monitor_log_path = monitor_log,
        };
        pid_t monitor_pid = 0;
        CLEANUP(oci_runtime_freep) struct oci_runtime *oci = NULL;
        if (monitor_spawn_create(&o, &monitor_pid, ret_pid, err) < 0)
                return -1;
        if (oci_for(rt, runtime_path, runtime_root, &oci, err) < 0 || oci_runtime_start(oci, id, err) < 0) {
                runtime_infra_kill(rt, id, runtime_path, runtime_root, NULL);
                return -1;
        }
        return 0;
}

int runtime_infra_kill(struct runtime *rt, const char *id, const char *runtime_path, const char *runtime_root,
                       struct cric_error **err) {
        AUTOFREE char *exit_file = xasprintf("%s/%s", rt->exits_dir, id);
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        CLEANUP(oci_runtime_freep) struct oci_runtime *oci = NULL;
        if (access(exit_file, F_OK) < 0 && kill_and_wait(rt, id, runtime_path, runtime_root, 0, 0, &e) < 0)
                log_warn("pod %s: %s", id, e->msg);
        cric_error_freep(&e);
        if (oci_for(rt, runtime_path, runtime_root, &oci, err) < 0)
                return -1;
        if (oci_runtime_delete(oci, id, true, &e) < 0 && e->kind != CRIC_E_NOT_FOUND) {
                if (err)
                        *err = STEAL_PTR(e);
                return -1;
        }
        unlink(exit_file);
        AUTOFREE char *sockets = xasprintf("%s/%s", rt->sockets_dir, id);
        return rm_rf(sockets, err);
}

char *runtime_container_spec_path(const struct runtime *rt, const char *id) {
        return xasprintf("%s/%s/config.json", rt->ctrs_dir, id);
}

/* ---- start-up ---- */

/* A container directory without a row: a CreateContainer that never completed. */
static void clean_half_made(struct runtime *rt, const char *id) {
        log_warn("removing the leftovers of container %s, which was never completed", id);
        AUTOFREE char *dir = ctr_dir(rt, id);
        AUTOFREE char *text = NULL;
        const char *path = NULL, *root = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (runtime_file_read(dir, &text, &path, &root, &e) < 0)
                cric_error_log_free(&e, "container %s", id);
        undo_create(rt, id, path, root);
}

/* Whether id names no container row for sure (a store error counts as "has one":
 * nothing is removed on a doubt). */
static bool is_orphan(struct runtime *rt, const char *id) {
        CLEANUP(container_row_freep) struct container_row *row = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (store_container_get(rt->db, id, &row, &e) == 0)
                return strcmp(row->id, id) != 0;
        return e->kind == CRIC_E_NOT_FOUND || e->kind == CRIC_E_INVALID;
}

int runtime_containers_init(struct runtime *rt, struct cric_error **err) {
        if (fs_mkdir_p(rt->ctrs_dir, 0711, err) < 0 || fs_mkdir_p(rt->exits_dir, 0700, err) < 0 ||
            fs_mkdir_p(rt->sockets_dir, 0700, err) < 0)
                return -1;
        CLEANUP(strv_freep) char **dirs = NULL;
        if (fs_list_dir(rt->ctrs_dir, NULL, false, &dirs, err) < 0)
                return -1;
        for (size_t i = 0; dirs[i]; i++)
                if (is_orphan(rt, dirs[i]))
                        clean_half_made(rt, dirs[i]);
        /* Writable layers whose container row is gone (removed, or never made). */
        CLEANUP(strv_freep) char **layers = NULL;
        if (rootfs_list(rt->layers, &layers, err) < 0)
                return -1;
        for (size_t i = 0; layers[i]; i++) {
                CLEANUP(cric_error_freep) struct cric_error *e = NULL;
                if (is_orphan(rt, layers[i]) && rootfs_remove(rt->layers, layers[i], &e) < 0)
                        cric_error_log_free(&e, "remove the writable layer of container %s", layers[i]);
        }
        /* Containers that exited while the daemon was down. */
        struct container_row **rows = NULL;
        size_t n = 0;
        if (runtime_container_list(rt, NULL, &rows, &n, err) < 0)
                return -1;
        container_rows_free(rows, n);
        return 0;
}
