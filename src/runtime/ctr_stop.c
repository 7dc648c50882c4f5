/* StopContainer: the stop signal, a grace period, then SIGKILL.
 *
 * The kernel drops a signal sent to the PID 1 of a PID namespace when that process has
 * no handler for it. Right after StartContainer, PID 1 may still be the OCI runtime's
 * init or a shell that installs its handler a moment later; a stop signal sent then is
 * lost, and the grace period would run out for nothing. So while the grace period runs
 * and the signal is not in the caught set of the container's PID 1 (SigCgt in
 * /proc/<pid>/status), the runtime watches for the handler and sends the signal again
 * once it is there. A PID 1 that caught the signal may still have been the runtime's
 * init (runc's, a Go program, catches every signal and drops it), about to exec the
 * container's program: when its executable changes during the grace period, the signal
 * is sent again as soon as the new program catches it. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/internal.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

/* How long a SIGKILLed container gets to be reaped by its monitor. */
#define KILL_WAIT_MS 10000
/* A kill the OCI runtime failed is tried this often, this far apart. */
#define KILL_TRIES    3
#define KILL_RETRY_MS 100
/* How often the handler of PID 1 is looked for during the grace period. */
#define HANDLER_POLL_MS 10

/* Whether pid catches sig: 1 yes, 0 no, -1 unknown (the process is gone). */
static int catches(pid_t pid, int sig) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        AUTOFREE char *text = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (fs_read_file(path, 1 << 16, &text, NULL, &e) < 0)
                return -1;
        const char *p = strstr(text, "\nSigCgt:");
        if (!p)
                return -1;
        unsigned long long mask = strtoull(p + 8, NULL, 16);
        return (mask >> (sig - 1)) & 1;
}

/* What pid runs (the device and inode of /proc/<pid>/exe); false when it is gone. */
static bool exe_of(pid_t pid, struct stat *ret) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/exe", (int) pid);
        return stat(path, ret) == 0;
}

static bool same_exe(const struct stat *a, const struct stat *b) {
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* `<runtime> kill`, tried again when the runtime fails for another reason than the
 * container being gone. A container that exits meanwhile needs no signal: success. */
static int send_signal(struct runtime *rt, struct oci_runtime *oci, struct container *c, int sig, bool all,
                       struct cric_error **err) {
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        for (int i = 1;; i++) {
                cric_error_freep(&e);
                if (oci_runtime_kill(oci, c->info.id, sig, all, &e) == 0)
                        return 0;
                /* Its monitor reports an exit within moments of the process ending. */
                if (ctr_wait_exit(rt, c, clock_mono_ms() + KILL_RETRY_MS))
                        return 0;
                if (e->kind == CRIC_E_NOT_FOUND || i == KILL_TRIES)
                        break;
                log_warn("container %s: signal %d failed (try %d of %d), trying again: %s", c->info.id, sig, i,
                         KILL_TRIES, e->msg);
        }
        if (e->kind != CRIC_E_NOT_FOUND)
                log_warn("container %s: signal %d failed: %s", c->info.id, sig, e->msg);
        return cric_error_move(err, &e);
}

/* What the grace period watches for after the signal was sent. */
struct watch {
        bool for_handler; /* PID 1 did not catch the signal: wait for its handler */
        bool for_exec;    /* PID 1 caught it: it may have been the runtime's init */
        struct stat exe;  /* what PID 1 ran when the signal was sent */
};

/* One look at PID 1; sends the signal again when it now catches it after having had no
 * handler, or after an exec since the signal was sent. */
static void watch_once(struct runtime *rt, struct oci_runtime *oci, struct container *c, int sig, struct watch *w) {
        struct stat now;
        if (w->for_exec && exe_of(c->info.pid, &now) && !same_exe(&now, &w->exe)) {
                w->for_exec = false;
                w->for_handler = true; /* what caught the signal is gone: as if it had no handler */
        }
        if (!w->for_handler)
                return;
        int has = catches(c->info.pid, sig);
        if (has == 0)
                return;
        w->for_handler = false;
        if (has == 1) {
                log_debug("container %s: its PID 1 now handles signal %d: sending it again", c->info.id, sig);
                pthread_mutex_lock(&c->op_lock);
                send_signal(rt, oci, c, sig, false, NULL);
                pthread_mutex_unlock(&c->op_lock);
        }
}

/* The grace period: true when the container exited within it. */
static bool stop_gracefully(struct runtime *rt, struct oci_runtime *oci, struct container *c, int64_t timeout_s) {
        int sig = c->info.stop_signal > 0 ? c->info.stop_signal : SIGTERM;
        int64_t deadline = clock_mono_ms() + (timeout_s > INT32_MAX / 1000 ? INT32_MAX : timeout_s * 1000);
        struct watch w = {0};
        pthread_mutex_lock(&c->op_lock);
        bool has_exe = c->info.pid > 0 && exe_of(c->info.pid, &w.exe);
        if (send_signal(rt, oci, c, sig, false, NULL) == 0 && c->info.pid > 0) {
                int has = catches(c->info.pid, sig);
                w.for_handler = has == 0;
                w.for_exec = has == 1 && has_exe;
        }
        pthread_mutex_unlock(&c->op_lock);
        while (w.for_handler || w.for_exec) {
                int64_t next = clock_mono_ms() + HANDLER_POLL_MS;
                if (ctr_wait_exit(rt, c, next < deadline ? next : deadline))
                        return true;
                if (clock_mono_ms() >= deadline)
                        return false;
                watch_once(rt, oci, c, sig, &w);
        }
        return ctr_wait_exit(rt, c, deadline);
}

int ctr_stop(struct runtime *rt, struct container *c, int64_t timeout_s, struct cric_error **err) {
        pthread_mutex_lock(&rt->lock);
        enum container_state state = c->state;
        pthread_mutex_unlock(&rt->lock);
        if (state == CONTAINER_EXITED)
                return 0;
        const char *id = c->info.id;
        CLEANUP(oci_runtime_freep) struct oci_runtime *oci = NULL;
        if (runtime_oci(rt, c->info.runtime_path, c->info.runtime_root, &oci, err) < 0)
                return cric_error_prefix(err, "stop container %s", id);
        if (timeout_s > 0 && state == CONTAINER_RUNNING) {
                if (stop_gracefully(rt, oci, c, timeout_s)) {
                        log_info("container %s stopped", id);
                        return 0;
                }
                log_info("container %s did not stop within %llds: killing it", id, (long long) timeout_s);
        }
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        pthread_mutex_lock(&c->op_lock);
        int r = send_signal(rt, oci, c, SIGKILL, true, &e);
        pthread_mutex_unlock(&c->op_lock);
        if (r < 0) {
                /* The runtime no longer knows it: the process is gone, and its monitor
                 * reports the exit, unless the monitor is gone too. */
                if (e->kind == CRIC_E_NOT_FOUND && (ctr_wait_exit(rt, c, clock_mono_ms() + 2000) ||
                                                    !rt->be.monitor_is_alive(rt->be.data, c->info.monitor_pid))) {
                        ctr_check_exit(rt, c, true);
                        return 0;
                }
                return cric_error_set(err, e->kind == CRIC_E_NOT_FOUND ? CRIC_E_INTERNAL : e->kind,
                                      "stop container %s: kill: %s", id, e->msg);
        }
        if (!ctr_wait_exit(rt, c, clock_mono_ms() + KILL_WAIT_MS))
                return cric_error_set(err, CRIC_E_TIMEOUT, "container %s was killed but had not exited after %ds", id,
                                      KILL_WAIT_MS / 1000);
        log_info("container %s stopped", id);
        return 0;
}

int runtime_container_stop(struct runtime *rt, const char *id, int64_t timeout_s, struct cric_error **err) {
        CLEANUP(ctr_unrefp) struct container *c = ctr_get(rt, id, err);
        if (!c)
                return -1;
        return ctr_stop(rt, c, timeout_s, err);
}
