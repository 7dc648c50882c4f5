/* Pods and containers: lifecycle operations that tie the store, namespaces and pod
 * files (and later the OCI runtime, the monitor and CNI) together. Thread-safe.
 *
 * State lives in the store, not in memory: every call reads the rows it needs, so a
 * restarted daemon serves the same pods at once. */
#ifndef CRIC_RUNTIME_RUNTIME_H
#define CRIC_RUNTIME_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "monitor/monitor.h"
#include "network/cni_manager.h"
#include "network/netns.h"
#include "network/podfiles.h"
#include "store/store.h"
#include "util/error.h"

struct runtime;
struct layer_store;

struct runtime_opts {
        const char *runroot;
        struct layer_store *layers; /* container root file systems; borrowed */
        const char *monitor_path;   /* cric-monitor; NULL: next to the daemon, then $PATH */
        const char *monitor_log_level;
        uint64_t log_size_max;               /* per container log; 0: unlimited */
        const struct cgroup_mounts *cgroups; /* borrowed; NULL: no OOM path, no stats */
        struct cni_manager *cni;             /* borrowed; NULL: pods get loopback only */
        bool systemd_cgroup;                 /* the OCI runtime manages cgroups through systemd */
};

/* Borrows db. Pod directories and pinned namespaces under runroot that no pod row
 * owns (a daemon killed in the middle of RunPodSandbox) are removed, and so are
 * containers half-made by a CreateContainer that never completed. Containers that
 * ran on are found again through their monitors and exit files. */
int runtime_new(struct store *db, const struct runtime_opts *opts, struct runtime **ret, struct cric_error **err);
struct runtime *runtime_free(struct runtime *rt);
void runtime_freep(struct runtime **rt);

/* Where a pod's shared parts are, for its containers. NULL fields: the pod has none
 * (host namespace, or the pod is stopped). */
struct pod_paths {
        char *netns, *ipcns, *utsns;
        char *resolv_conf, *hosts, *hostname;
        char *shm;
        pid_t pause_pid; /* the infra process of a shared PID namespace, or 0 */
};
/* What RunPodSandbox needs from the CRI config; everything borrowed. */
struct pod_spec {
        const char *name, *namespace, *uid;
        uint32_t attempt;
        const char *hostname;
        const struct pod_dns *dns;
        bool is_host_network;
        bool is_host_ipc;
        const struct netns_sysctl *sysctls;
        size_t n_sysctls;
        const char *runtime_handler;
        const void *config; /* kept opaque with the pod */
        size_t config_len;
        /* A shared PID namespace: an infra process (cric-pause at pause_path, copied
         * into a rootfs of its own) runs through the OCI runtime as the namespace's init,
         * with the config.json make_infra_spec builds. */
        bool is_shared_pid;
        const char *pause_path;
        const char *runtime_path;
        const char *runtime_root;
        int (*make_infra_spec)(void *data, const char *pod_id, const char *rootfs, const struct pod_paths *paths,
                               char **ret_json, struct cric_error **err);
        void *data;
        /* CNI ADD of a pod with its own network: args, port mappings, bandwidth and DNS
         * (the runtime fills in the container id and the netns). NULL: no CNI. */
        const struct cni_attachment *network;
};

/* Creates a pod: its directory (resolv.conf, hosts, hostname), its pinned network,
 * IPC and UTS namespaces, and its row, in state ready. All or nothing: on failure
 * everything done so far is undone. A name in use is CRIC_E_EXISTS. */
int runtime_pod_run(struct runtime *rt, const struct pod_spec *spec, char **ret_id, struct cric_error **err);
/* Releases the pod's namespaces; the pod becomes not ready. Idempotent; a pod that
 * does not exist is fine. */
int runtime_pod_stop(struct runtime *rt, const char *id, struct cric_error **err);
/* Stops the pod and removes it with its directory. Idempotent. */
int runtime_pod_remove(struct runtime *rt, const char *id, struct cric_error **err);
/* By id or unique id prefix. */
int runtime_pod_get(struct runtime *rt, const char *id, struct pod_row **ret, struct cric_error **err);
int runtime_pod_list(struct runtime *rt, struct pod_row ***ret, size_t *ret_n, struct cric_error **err);
/* The pod's IPs as CIDRs (NULL-terminated strv; the caller frees it): the host's for a
 * pod on the host network; for a ready pod with its own, those of eth0 in its netns, read
 * there once and then kept in the pod's directory (they do not change while it runs);
 * none for a stopped pod. Errors: only from reading the host's addresses. */
int runtime_pod_ips(struct runtime *rt, const struct pod_row *pod, char ***ret_cidrs, struct cric_error **err);
/* The pinned network namespace file of a ready pod with its own network, else NULL. */
char *runtime_pod_netns_path(struct runtime *rt, const struct pod_row *pod);

/* The paths of pod (a ready one has its namespaces, a stopped one none). */
void runtime_pod_paths(struct runtime *rt, const struct pod_row *pod, struct pod_paths *ret);
void pod_paths_clear(struct pod_paths *p);

/* ---- containers (containers.c) ---- */

/* What CreateContainer needs; everything borrowed. */
struct container_spec {
        const char *pod_id;
        const char *name;
        uint32_t attempt;
        const char *image;     /* as the kubelet named it */
        const char *image_id;  /* 64 hex */
        const char *image_ref; /* repo digest or id */
        char *const *layers;   /* chain ids, base first, NULL-terminated */
        const char *runtime_path;
        const char *runtime_root; /* NULL or "": the runtime's default */
        const char *log_path;     /* absolute; NULL: no CRI log kept outside the bundle */
        int stop_signal;          /* 0: SIGTERM */
        bool tty, has_stdin, is_stdin_once;
        const void *config; /* kept opaque with the container */
        size_t config_len;
        /* Builds config.json once the root file system is mounted at rootfs, and names
         * the container's cgroup (below the hierarchy roots) and its memory cgroup
         * directory for OOM detection (*ret_oom_dir may stay NULL). */
        int (*make_spec)(void *data, const char *id, const char *rootfs, char **ret_json, char **ret_cgroup,
                         char **ret_oom_dir, struct cric_error **err);
        void *data;
};

/* Creates a container in state created: root file system, bundle, a monitor that ran
 * `<runtime> create`, and its row. All or nothing. The pod must exist and be ready
 * (CRIC_E_NOT_FOUND / CRIC_E_PRECONDITION otherwise); a name in use within the
 * pod is CRIC_E_EXISTS. */
int runtime_container_create(struct runtime *rt, const struct container_spec *spec, char **ret_id,
                             struct cric_error **err);
/* Created -> running. Another state is CRIC_E_PRECONDITION. When the runtime
 * fails the container becomes exited with the runtime's message. */
int runtime_container_start(struct runtime *rt, const char *id, struct cric_error **err);
/* Sends the stop signal, waits up to timeout_s (0: SIGKILL at once), then SIGKILL.
 * A container that is not running (or does not exist: CRIC_E_NOT_FOUND) is fine. */
int runtime_container_stop(struct runtime *rt, const char *id, int64_t timeout_s, struct cric_error **err);
/* Kills (if running) and removes a container with its root file system. Idempotent. */
int runtime_container_remove(struct runtime *rt, const char *id, struct cric_error **err);
/* By id or unique prefix, with its state brought up to date (exit files). */
int runtime_container_get(struct runtime *rt, const char *id, struct container_row **ret, struct cric_error **err);
/* Every container (pod_id NULL) or those of a pod, brought up to date. */
int runtime_container_list(struct runtime *rt, const char *pod_id, struct container_row ***ret, size_t *ret_n,
                           struct cric_error **err);
/* `<runtime> update` with resources_json, then keeps blob as the container's resources. */
int runtime_container_update(struct runtime *rt, const char *id, const char *resources_json, const void *blob,
                             size_t blob_len, struct cric_error **err);
int runtime_container_reopen_log(struct runtime *rt, const char *id, struct cric_error **err);
/* Runs argv in the running container with the process settings of its config.json.
 * timeout_s 0: none. */
int runtime_container_exec_sync(struct runtime *rt, const char *id, char *const *argv, int64_t timeout_s,
                                struct monitor_exec_result *ret, struct cric_error **err);
/* The container's cgroup (for stats) and writable-layer usage. */
int runtime_container_usage(struct runtime *rt, const struct container_row *c, uint64_t *ret_bytes,
                            uint64_t *ret_inodes, char **ret_path, struct cric_error **err);
const struct cgroup_mounts *runtime_cgroups(const struct runtime *rt);
/* The path of the container's config.json. */
char *runtime_container_spec_path(const struct runtime *rt, const char *id);

#endif
