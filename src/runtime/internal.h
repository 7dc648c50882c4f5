/* What pods.c and containers.c share. Private to runtime/. */
#ifndef CRIC_RUNTIME_INTERNAL_H
#define CRIC_RUNTIME_INTERNAL_H

#include <pthread.h>

#include "cgroup/prewarm.h"
#include "runtime/runtime.h"

struct runtime {
        struct store *db;
        struct layer_store *layers;
        const struct cgroup_mounts *cgroups;
        struct cgroup_prewarm *prewarm; /* kicked when a container or exec starts; may be NULL */
        struct cni_manager *cni;
        char *pods_dir;    /* <runroot>/pods/<id>: resolv.conf, hosts, hostname, shm */
        char *ns_dir;      /* <runroot>/ns: pinned namespaces */
        char *ctrs_dir;    /* <runroot>/containers/<id>: bundle, rootfs mount point, pid file */
        char *exits_dir;   /* <runroot>/exits/<id>: exit files the monitors write */
        char *sockets_dir; /* <runroot>/sockets/<id>: attach socket and control fifo */
        char *monitor_path;
        char *monitor_log_level;
        uint64_t log_size_max;
        bool systemd_cgroup; /* --systemd-cgroup for every runtime call */
        /* One lock for state changes of pods and containers. Slow work (rootfs mounts,
         * monitor start, waiting for a stop) happens outside it. */
        pthread_mutex_t lock;
};

/* 64 random hex digits and a NUL. */
void runtime_new_id(char out[65]);
int64_t runtime_now_ns(void);

/* pod->namespaces bit: the pod has an infra process (shared PID namespace). */
#define POD_INFRA (1u << 8)

/* The OCI runtime a bundle directory was made for, kept in <dir>/runtime ("path\nroot\n")
 * so what a crash left half-made can be deleted with the right runtime. */
int runtime_file_write(const char *dir, const char *runtime_path, const char *runtime_root, struct cric_error **err);
/* *ret_path is NULL when the file is missing (nothing was started); *ret_root may be "".
 * Both point into *ret_text, which the caller frees. */
int runtime_file_read(const char *dir, char **ret_text, const char **ret_path, const char **ret_root,
                      struct cric_error **err);

/* containers.c */
/* Creates and starts the infra process of a pod from the bundle (config.json written). */
int runtime_infra_start(struct runtime *rt, const char *id, const char *bundle, const char *runtime_path,
                        const char *runtime_root, pid_t *ret_pid, struct cric_error **err);
/* Kills and deletes it; idempotent. */
int runtime_infra_kill(struct runtime *rt, const char *id, const char *runtime_path, const char *runtime_root,
                       struct cric_error **err);
int runtime_containers_init(struct runtime *rt, struct cric_error **err);
/* Stops (SIGKILL) every running container of the pod. */
int runtime_pod_containers_stop(struct runtime *rt, const char *pod_id, struct cric_error **err);
/* Removes every container of the pod. */
int runtime_pod_containers_remove(struct runtime *rt, const char *pod_id, struct cric_error **err);

#endif
