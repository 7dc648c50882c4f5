/* Pods and containers: the node's policy (names, paths, cgroups, defaults, which OCI
 * runtime, the OCI spec of each container) and their state, kept in memory and written
 * through to the store on every change. server/ converts CRI messages into the plain
 * inputs below and calls one function per RPC; nothing here sees protobuf.
 *
 * State: every pod and container lives in an in-memory index (by id and id prefix);
 * the store is the durable copy, read only by runtime_new. A container's exit reaches
 * its state when the monitor writes the exit file (an inotify watch), so List and
 * Status calls read memory only.
 *
 * What runs outside the daemon (the OCI runtime's CLI, cric-monitor) goes through
 * struct runtime_backend, so tests can stand in and record it.
 *
 * Every function is thread-safe. Errors: CRIC_E_NOT_FOUND for an unknown id,
 * CRIC_E_INVALID for an ambiguous id prefix or a request the node does not allow,
 * CRIC_E_EXISTS for a name in use, CRIC_E_PRECONDITION for a wrong state. */
#ifndef CRIC_RUNTIME_RUNTIME_H
#define CRIC_RUNTIME_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "config/config.h"
#include "enter/enter.h"
#include "monitor/monitor.h"
#include "network/cni.h"
#include "network/podfiles.h"
#include "oci/oci.h"
#include "util/error.h"

struct runtime;
struct store;
struct layer_store;
struct image_service;
struct cni_manager;

/* The processes the runtime runs. NULL members: the real thing (the runtime's CLI,
 * cric-monitor). */
struct runtime_backend {
        int (*oci_open)(void *data, const struct oci_runtime_opts *o, struct oci_runtime **ret,
                        struct cric_error **err);
        int (*monitor_create)(void *data, const struct monitor_create_opts *o, pid_t *ret_monitor_pid,
                              pid_t *ret_container_pid, struct cric_error **err);
        int (*monitor_exec_sync)(void *data, const struct monitor_exec_opts *o, struct monitor_exec_result *ret,
                                 struct cric_error **err);
        int (*monitor_reopen_log)(void *data, const char *socket_dir, const char *id, struct cric_error **err);
        bool (*monitor_is_alive)(void *data, pid_t pid);
        /* Exec without the OCI runtime (enter/enter.h); NULL: always `<runtime> exec`. A
         * backend given in runtime_opts has it only when it sets it. */
        int (*enter_spawn)(void *data, const struct enter_plan *p, const struct enter_call *call,
                           struct enter_proc *ret, struct cric_error **err);
        void *data;
};

struct runtime_opts {
        struct cric_config *config;            /* referenced; runtime_set_config replaces it */
        struct store *db;                      /* borrowed, like everything below */
        struct layer_store *layers;            /* container root file systems */
        struct image_service *images;          /* images containers are created from */
        const struct cgroup_mounts *cgroups;   /* NULL: no OOM detection, no stats */
        struct cni_manager *cni;               /* NULL: pods get loopback only */
        const char *monitor_path;              /* NULL: next to the daemon, then $PATH */
        const struct runtime_backend *backend; /* NULL: the real one */
};

/* Loads every pod and container from the store, removes what a crash left half-made
 * (directories, namespaces, writable layers and CNI attachments nobody owns), reads
 * the exit files of containers that stopped while the daemon was down and starts
 * watching for exits. */
int runtime_new(const struct runtime_opts *o, struct runtime **ret, struct cric_error **err);
struct runtime *runtime_free(struct runtime *rt);
/* Returns once the teardowns of the containers removed so far (done after
 * RemoveContainer answers) have ended. For tests and tools. */
void runtime_settle(struct runtime *rt);
void runtime_freep(struct runtime **rt);
/* Checks what the runtime reads of cfg beyond config_load: the node settings
 * (oci_node_check: files, names, formats) and each handler's monitor_cgroup.
 * runtime_new does; a reload should before runtime_set_config. CRIC_E_INVALID or
 * CRIC_E_NOT_FOUND naming the setting. */
int runtime_config_check(const struct cric_config *cfg, struct cric_error **err);
/* The configuration new calls use (SIGHUP). Takes a reference. */
void runtime_set_config(struct runtime *rt, struct cric_config *cfg);
/* The daemon reaped pid (a cric-monitor): its container has ended, with or without an
 * exit file. */
void runtime_monitor_reaped(struct runtime *rt, pid_t pid);

/* ---- pods ---- */

enum pod_state {
        POD_READY = 0,
        POD_NOTREADY,
};

/* RunPodSandbox's input, converted from the CRI; everything borrowed. */
struct pod_config {
        const char *name, *namespace, *uid;
        uint32_t attempt;
        const char *hostname;        /* NULL or "": the host's */
        const char *log_directory;   /* where the kubelet wants the containers' logs */
        const char *runtime_handler; /* "": the default */
        const char *cgroup_parent;   /* NULL or "": the cgroup driver's default */
        const struct oci_kv *labels;
        size_t n_labels;
        const struct oci_kv *annotations;
        size_t n_annotations;
        const struct pod_dns *dns; /* NULL: the host's resolv.conf */
        const struct cni_port_mapping *port_mappings;
        size_t n_port_mappings;
        const struct cni_bandwidth *bandwidth; /* NULL: none */
        const struct oci_kv *sysctls;
        size_t n_sysctls;
        /* The pod's security context; security.ns holds its network, IPC and PID modes
         * (POD: its own, NODE: the host's; PID also CONTAINER). */
        struct oci_security_context security;
};

/* What the runtime keeps of a pod; immutable while a reference is held. */
struct pod_info {
        char *id, *name, *namespace, *uid;
        uint32_t attempt;
        int64_t created_ns;
        char *runtime_handler;
        char **labels, **annotations; /* key, value, key, value, ..., NULL */
        enum oci_ns_mode network, ipc, pid;
        char *cgroup_parent;       /* as the kubelet gave it; "" when it gave none */
        struct idmap *uids, *gids; /* the pod's user namespace (hostUsers: false); none: the host's */
        size_t n_uids, n_gids;
};

/* One pod as a call sees it. */
struct pod_view {
        const struct pod_info *info; /* referenced */
        enum pod_state state;
        char **ips;       /* runtime_pod_status only: IPs without prefix length, primary first */
        char *netns_path; /* runtime_pod_status only: the pinned netns of a ready pod, else NULL */
        bool has_limits;  /* the pod's cgroup limits of the last resize */
        struct cgroup_limits limits;
};
void pod_view_clear(struct pod_view *v);
void pod_views_free(struct pod_view *v, size_t n);

/* A List filter: every member optional (NULL / -1). */
struct pod_filter {
        const char *id_prefix;
        int state;                   /* enum pod_state, -1: any */
        char *const *label_selector; /* key, value, ..., NULL: all must be labels of the pod */
};

/* Creates a pod: directory (resolv.conf, hosts, hostname), pinned network, IPC and UTS
 * namespaces, the infra process of a shared PID namespace, the CNI attachment; ready.
 * All or nothing. */
int runtime_pod_run(struct runtime *rt, const struct pod_config *c, char **ret_id, struct cric_error **err);
/* Stops the pod's containers (SIGKILL), detaches its network and releases its
 * namespaces; the pod becomes not ready. Idempotent; an unknown pod is fine. */
int runtime_pod_stop(struct runtime *rt, const char *id, struct cric_error **err);
/* Stops the pod and removes it with its containers. Idempotent. */
int runtime_pod_remove(struct runtime *rt, const char *id, struct cric_error **err);
/* In-place pod resize: writes l (resources plus overhead, in range already) into the
 * cgroup the kubelet gave the ready pod as its cgroup_parent, and keeps it in the pod's
 * record for its status, also after a restart. The containers keep running. Errors:
 * CRIC_E_NOT_FOUND (unknown pod, or its cgroup is missing), CRIC_E_PRECONDITION (pod
 * not ready, no cgroup of its own, memory limit below its usage), those of
 * cgroup_limits_apply. Thread-safe; resizes of one pod are serialized. */
int runtime_pod_update_resources(struct runtime *rt, const char *id, const struct cgroup_limits *l,
                                 struct cric_error **err);
int runtime_pod_status(struct runtime *rt, const char *id, struct pod_view *ret, struct cric_error **err);
/* Oldest first. Never fails. */
void runtime_pod_list(struct runtime *rt, const struct pod_filter *f, struct pod_view **ret, size_t *ret_n);

/* ---- containers ---- */

enum container_state {
        CONTAINER_CREATED = 0,
        CONTAINER_RUNNING,
        CONTAINER_EXITED,
};

/* CreateContainer's input, converted from the CRI; everything borrowed. */
struct container_config {
        const char *pod_id; /* in full */
        const char *image;  /* ImageSpec.image, as the kubelet named it */
        const char *user_specified_image;
        const char *image_runtime_handler;
        const struct oci_kv *image_annotations;
        size_t n_image_annotations;
        const struct oci_kv *labels;
        size_t n_labels;
        uint32_t attempt;
        const char *log_path; /* relative to the pod's log_directory (or absolute); NULL: none */
        int stop_signal;      /* 0: the image's, else SIGTERM */
        bool has_stdin, is_stdin_once;
        const char *pid_target_id; /* PID namespace mode TARGET: the container whose namespace to join */
        /* What shapes config.json. name, command, args, env, annotations, mounts,
         * devices, resources, security and tty come from the CRI; the runtime fills in
         * id, rootfs, image and sandbox, and resolves the namespace modes. */
        struct oci_container_input oci;
};

struct container_mount {
        char *container_path, *host_path;
        bool is_readonly, selinux_relabel, is_recursive_read_only;
        enum oci_propagation propagation;
        char *image, *image_sub_path; /* an image volume: as named, and the directory in it; "" otherwise */
        char *image_id;               /* the image volume's image (64 hex); "" otherwise */
};

/* What the runtime keeps of a container; immutable while a reference is held. */
struct container_info {
        char *id, *pod_id, *name;
        uint32_t attempt;
        int64_t created_ns;
        char *image, *image_id, *image_ref; /* as named; 64 hex; repo digest or "sha256:<id>" */
        char *user_specified_image, *image_runtime_handler;
        char **image_annotations, **labels, **annotations; /* pairs, NULL-terminated */
        struct container_mount *mounts;
        size_t n_mounts;
        char *log_path; /* absolute; "" when none */
        char *cgroup;   /* below the hierarchy roots; "" when unknown */
        int stop_signal;
        struct oci_user user; /* process.user of its config.json */
        bool tty, has_stdin, is_stdin_once;
        char *runtime_path, *runtime_root; /* the OCI runtime it was made with ("" root: default) */
        pid_t monitor_pid, pid;
};

/* One container as a call sees it. */
struct container_view {
        const struct container_info *info; /* referenced */
        enum container_state state;
        int64_t started_ns, finished_ns; /* 0: not yet */
        int32_t exit_code;
        const char *reason;             /* "", "Completed", "Error", "OOMKilled", "StartError" */
        const char *message;            /* "" when none; lives as long as info */
        struct oci_resources resources; /* as last set (create or update); runtime_container_status only */
        void *resources_owner;          /* private */
};
void container_view_clear(struct container_view *v);
void container_views_free(struct container_view *v, size_t n);

struct container_filter {
        const char *id_prefix;
        const char *pod_id_prefix;
        int state;                   /* enum container_state, -1: any */
        char *const *label_selector; /* pairs, NULL-terminated */
};

/* Creates a container in state created: root file system, bundle, a monitor that ran
 * `<runtime> create`. All or nothing. The pod must be ready (CRIC_E_PRECONDITION). */
int runtime_container_create(struct runtime *rt, const struct container_config *c, char **ret_id,
                             struct cric_error **err);
/* Created -> running. When the OCI runtime fails the container is exited with reason
 * StartError. */
int runtime_container_start(struct runtime *rt, const char *id, struct cric_error **err);
/* Sends the stop signal and waits up to timeout_s (0: SIGKILL at once) for the exit,
 * then SIGKILLs every process of the container. A signal the container's PID 1 had no
 * handler for is sent again once the handler is there. Exited already: fine. */
int runtime_container_stop(struct runtime *rt, const char *id, int64_t timeout_s, struct cric_error **err);
/* Kills (if running) and removes the container with its root file system. Idempotent. */
int runtime_container_remove(struct runtime *rt, const char *id, struct cric_error **err);
int runtime_container_status(struct runtime *rt, const char *id, struct container_view *ret, struct cric_error **err);
/* Oldest first. Never fails. */
void runtime_container_list(struct runtime *rt, const struct container_filter *f, struct container_view **ret,
                            size_t *ret_n);
/* The container's config.json as written (for verbose status). */
int runtime_container_spec(struct runtime *rt, const char *id, char **ret_json, struct cric_error **err);
/* `<runtime> update` of a created or running container; keeps res for its status. */
int runtime_container_update(struct runtime *rt, const char *id, const struct oci_resources *res,
                             struct cric_error **err);
int runtime_container_reopen_log(struct runtime *rt, const char *id, struct cric_error **err);
/* Runs argv in the running container as its own process runs. timeout_s 0: none. */
int runtime_container_exec_sync(struct runtime *rt, const char *id, char *const *argv, int64_t timeout_s,
                                struct monitor_exec_result *ret, struct cric_error **err);

/* ---- statistics ---- */

struct netns_link_stats;

struct runtime_usage {
        int64_t timestamp_ns;
        bool has_cgroup;
        struct cgroup_stats cgroup;
        bool has_nano_cores; /* a rate: needs an earlier sample of the same cgroup */
        uint64_t nano_cores;
        bool has_fs; /* the writable layer (containers only) */
        uint64_t fs_bytes, fs_inodes;
        char *fs_mountpoint;
        bool has_fs_capacity; /* statvfs of the file system holding the writable layer */
        uint64_t fs_capacity_bytes, fs_inodes_total, fs_inodes_free;
};

struct container_stats {
        struct container_view view;
        struct runtime_usage usage;
};

struct pod_stats {
        struct pod_view view;
        struct runtime_usage usage;         /* the pod's cgroup, or the sum of its containers' */
        struct container_stats *containers; /* those not exited */
        size_t n_containers;
        bool has_network; /* the pod's own network namespace was read */
        int64_t network_timestamp_ns;
        struct netns_link_stats *links; /* every interface but loopback */
        size_t n_links;
};

void container_stats_clear(struct container_stats *s);
void container_stats_free(struct container_stats *s, size_t n);
void pod_stats_clear(struct pod_stats *s);
void pod_stats_free(struct pod_stats *s, size_t n);

/* Which container mounts image image_id (64 hex) as an image volume, described for an
 * error message ("container <id> (image volume at <path>)"; the caller frees it), or
 * NULL when none does. */
char *runtime_image_volume_user(struct runtime *rt, const char *image_id);

/* Bytes and inodes of all containers' writable layers, and the directory holding them
 * (caller frees): the container file system of ImageFsInfo. CRIC_E_INTERNAL. */
int runtime_container_fs_usage(struct runtime *rt, uint64_t *ret_bytes, uint64_t *ret_inodes, char **ret_path,
                               struct cric_error **err);
int runtime_container_stats(struct runtime *rt, const char *id, struct container_stats *ret, struct cric_error **err);
/* Containers not exited that match f. Never fails. */
void runtime_container_stats_list(struct runtime *rt, const struct container_filter *f, struct container_stats **ret,
                                  size_t *ret_n);
int runtime_pod_stats(struct runtime *rt, const char *id, struct pod_stats *ret, struct cric_error **err);
/* Ready pods that match f. Never fails. */
void runtime_pod_stats_list(struct runtime *rt, const struct pod_filter *f, struct pod_stats **ret, size_t *ret_n);
/* The same with the processes, threads and open files of each pod and container
 * (cgroup_stats_sample with tasks), for the metrics. */
void runtime_pod_metrics_list(struct runtime *rt, const struct pod_filter *f, struct pod_stats **ret, size_t *ret_n);

/* ---- events ---- */

enum runtime_event_type {
        RUNTIME_EVENT_CREATED,
        RUNTIME_EVENT_STARTED,
        RUNTIME_EVENT_STOPPED,
        RUNTIME_EVENT_DELETED,
};

/* A change of a container's or a pod's state, with its pod and the pod's containers as
 * they were right after it (a pod's own events: created and started by RunPodSandbox,
 * stopped, deleted). */
struct runtime_event {
        enum runtime_event_type type;
        const char *id; /* the container's, or the pod's */
        bool is_pod;
        int64_t at_ns;               /* CLOCK_REALTIME */
        struct pod_view pod;         /* with its IPs, as runtime_pod_status has them (no netns path) */
        struct container_view *ctrs; /* the pod's containers, with resources */
        size_t n_ctrs;
};

/* Called on the events thread, in the order of the changes; must not block nor call
 * the events functions. ev is valid during the call only. */
typedef void (*runtime_event_fn)(void *arg, const struct runtime_event *ev);
struct runtime_subscription;

/* fn gets every event from now on, and first those of the restore (exits while the
 * daemon was down) while they are kept (5 minutes after start). release(arg), when
 * given, runs once fn will not be called again (after unsubscribe, or at runtime_free).
 * Never fails. Thread-safe. */
struct runtime_subscription *runtime_events_subscribe(struct runtime *rt, runtime_event_fn fn,
                                                      void (*release)(void *arg), void *arg);
/* Never blocks: the subscription ends on the events thread, which calls release. */
void runtime_events_unsubscribe(struct runtime *rt, struct runtime_subscription *s);

/* ---- streaming: exec, attach, port-forward ---- */

struct runtime_exec_io {
        bool tty, has_stdin, has_stdout, has_stderr;
};

/* An exec the streaming server runs: the process `<runtime> exec --detach` started,
 * our child once the runtime has returned (cricd is a child subreaper). */
struct runtime_exec {
        pid_t pid;     /* the exec'd process */
        int pidfd;     /* readable once it has exited */
        int stdin_fd;  /* ours, -1 when not asked for; with a terminal a second descriptor of it */
        int stdout_fd; /* with a terminal, its master */
        int stderr_fd; /* -1 with a terminal */
        bool is_tty, is_reaped;
        int status;
        char *process_file, *pid_file, *log_file, *console_name, *dir;
};

/* Starts argv in the running container (CRIC_E_PRECONDITION when it is not), as its
 * own process runs, with the streams io asks for. */
/* An exec into a container is coming (the Exec RPC answered, the client not connected
 * yet): starts the kernel's wait before the runtime's cgroup move now (cgroup/prewarm.h),
 * so that it overlaps with the client's upgrade. Never fails. */
void runtime_exec_expect(struct runtime *rt);
int runtime_exec_start(struct runtime *rt, const char *id, char *const *argv, const struct runtime_exec_io *io,
                       struct runtime_exec **ret, struct cric_error **err);
/* Starting fails with CRIC_E_INTERNAL and the runtime's message when the command
 * cannot start. Once pidfd is readable (blocks otherwise): the exit code (128+N for
 * signal N); CRIC_E_INTERNAL when the process is not our child (no subreaper). */
int runtime_exec_wait(struct runtime_exec *e, int *ret_exit_code, struct cric_error **err);
/* SIGKILLs the exec'd process (the client went away). */
void runtime_exec_kill(struct runtime_exec *e);
int runtime_exec_resize(struct runtime_exec *e, unsigned rows, unsigned cols);
/* Kills what still runs, reaps, closes and removes the exec's files. */
struct runtime_exec *runtime_exec_free(struct runtime_exec *e);
void runtime_exec_freep(struct runtime_exec **e);

/* A connection to the running container's attach socket (framing in monitor/protocol.h). */
int runtime_container_attach(struct runtime *rt, const char *id, int *ret_fd, struct cric_error **err);
/* Sets the terminal size of a running container (nothing without a terminal). */
int runtime_container_resize(struct runtime *rt, const char *id, unsigned rows, unsigned cols, struct cric_error **err);
/* The network namespace of a ready pod ("" for the host's); CRIC_E_PRECONDITION when
 * the pod is not ready. */
int runtime_pod_netns(struct runtime *rt, const char *id, char **ret_path, struct cric_error **err);

#endif
