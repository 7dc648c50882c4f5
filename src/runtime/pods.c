/* Pod lifecycle. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/rm.h"
#include "util/strv.h"
#include "util/xalloc.h"

struct runtime {
        struct store *db;
        char *pods_dir; /* <runroot>/pods/<id>: resolv.conf, hosts, hostname */
        char *ns_dir;   /* <runroot>/ns: pinned namespaces */
        /* One lock for pod state changes: they are short (no image or CNI work). */
        pthread_mutex_t lock;
};

static void new_id(char out[65]) {
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
                if (unpin(rt, dirs[i], NETNS_ALL, &e) < 0 || rm_rf(dir, &e) < 0)
                        cric_error_log_free(&e, "clean pod %s", dirs[i]);
        }
        return 0;
}

int runtime_new(struct store *db, const char *runroot, struct runtime **ret, struct cric_error **err) {
        struct runtime *rt = xzalloc(sizeof(*rt));
        rt->db = db;
        rt->pods_dir = xasprintf("%s/pods", runroot);
        rt->ns_dir = xasprintf("%s/ns", runroot);
        pthread_mutex_init(&rt->lock, NULL);
        if (fs_mkdir_p(rt->pods_dir, 0711, err) < 0 || reconcile(rt, err) < 0) {
                runtime_free(rt);
                return -1;
        }
        *ret = rt;
        return 0;
}

struct runtime *runtime_free(struct runtime *rt) {
        if (rt) {
                free(rt->pods_dir);
                free(rt->ns_dir);
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
        if (!which)
                return 0;
        struct netns_opts o = {
                .dir = rt->ns_dir,
                .pod_id = id,
                .which = which,
                .hostname = (which & NETNS_UTS) && spec->hostname && *spec->hostname ? spec->hostname : NULL,
                .sysctls = spec->sysctls,
                .n_sysctls = spec->n_sysctls,
        };
        struct pinned_ns pinned = {0};
        int r = netns_pin(&o, &pinned, err);
        pinned_ns_clear(&pinned);
        return r;
}

static void undo_pod(struct runtime *rt, const char *id, unsigned which) {
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        AUTOFREE char *dir = pod_dir(rt, id);
        if ((which && unpin(rt, id, which, &e) < 0) || rm_rf(dir, &e) < 0)
                cric_error_log_free(&e, "undo pod %s", id);
}

int runtime_pod_run(struct runtime *rt, const struct pod_spec *spec, char **ret_id, struct cric_error **err) {
        char id[65];
        new_id(id);
        unsigned which = namespaces_of(spec);
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        struct pod_row row = {
                .id = id,
                .name = (char *) spec->name,
                .namespace = (char *) spec->namespace,
                .uid = (char *) spec->uid,
                .attempt = spec->attempt,
                .state = POD_ROW_READY,
                .created_ns = (int64_t) now.tv_sec * 1000000000LL + now.tv_nsec,
                .runtime_handler = (char *) (spec->runtime_handler ? spec->runtime_handler : ""),
                .namespaces = which,
                .config = (void *) spec->config,
                .config_len = spec->config_len,
        };
        pthread_mutex_lock(&rt->lock);
        int r = setup_pod(rt, spec, id, which, err);
        /* The row goes in last: a pod is visible only once it is complete. */
        if (r == 0)
                r = store_pod_insert(rt->db, &row, err);
        pthread_mutex_unlock(&rt->lock);
        if (r < 0) {
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
        pthread_mutex_lock(&rt->lock);
        int r = 0;
        if (pod->state == POD_ROW_READY) {
                r = pod->namespaces ? unpin(rt, pod->id, pod->namespaces, err) : 0;
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
        if (runtime_pod_stop(rt, pod->id, err) < 0)
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
