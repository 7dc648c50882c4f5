/* What the files of runtime/ share. Private to runtime/.
 *
 * Locking: rt->lock guards the indexes and the mutable fields of pods and containers
 * (marked "lock" below); everything else of an object is written before it enters an
 * index and never after. A reference (obj_ref) keeps an object alive outside the lock.
 * Slow work (mounts, processes, waits) never runs under rt->lock. Store writes of
 * state changes keep the order of the changes: persist_begin hands rt->lock over to
 * rt->persist (lock order: lock, then persist). Each object's op_lock serializes the
 * lifecycle operations on it (start, remove, stop's signalling; pod stop and remove). */
#ifndef CRIC_RUNTIME_INTERNAL_H
#define CRIC_RUNTIME_INTERNAL_H

#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>

#include "cgroup/prewarm.h"
#include "runtime/runtime.h"
#include "util/arena.h"

/* pod->ns: NETNS_* bits of the pinned namespaces, and this one for an infra process. */
#define POD_INFRA (1u << 8)

/* What the statistics keep of a container or pod between calls (usage.c; under
 * rt->usage_lock): the cgroup sample the next CPU rate is computed from, and the last
 * result, handed out again for a moment (the kubelet asks for the same container
 * through ListContainerStats and ListPodSandboxStats back to back). */
struct usage_memory {
        bool has_prev;
        struct cgroup_stats prev;
        bool has_last;
        int64_t last_mono_ms;
        struct runtime_usage last; /* its fs_mountpoint is owned */
};

struct pod {
        struct pod_info info; /* first: views hand out &info */
        atomic_int refs;
        pthread_mutex_t op_lock;
        unsigned ns;         /* what RunPodSandbox set up (POD_INFRA, NETNS_*) */
        char *hostname;      /* "" when none was asked for */
        char *log_directory; /* "" when none */
        char **ips;          /* from the CNI result (no prefix length), NULL-terminated */
        pid_t pause_pid;     /* the infra process, or 0 */
        char *runtime_path, *runtime_root;
        struct json_object *sandbox; /* security context, sysctls, annotations (record.c) */
        struct usage_memory usage;
        /* A netlink socket in the pod's netns for its network statistics (usage.c), -1
         * until first used; closed when the pod stops, since it keeps the netns alive. */
        pthread_mutex_t net_lock;
        int net_fd; /* net_lock */
        /* lock */
        enum pod_state state;
        bool is_stopping; /* StopPodSandbox began: no container may join any more */
        bool is_gone;     /* removed from the index */
        bool has_limits;  /* UpdatePodSandboxResources wrote limits into the pod's cgroup */
        bool is_net_left; /* the janitor's network teardown failed: RemovePodSandbox retries it */
        struct cgroup_limits limits;
};

/* The resources a container was last given, shared by views. */
struct resources {
        atomic_int refs;
        struct oci_resources r; /* points into a */
        struct arena a;
};

struct container {
        struct container_info info; /* first */
        atomic_int refs;
        pthread_mutex_t op_lock;
        struct usage_memory usage;
        /* lock */
        enum container_state state;
        int64_t started_ns, finished_ns;
        int32_t exit_code;
        const char *reason; /* a static string */
        char *message;      /* set once, when the container exits */
        struct resources *res;
        bool is_gone;
        bool is_starting;         /* StartContainer asked the OCI runtime to start it */
        struct enter_plan *enter; /* how an exec joins it (ctr_enter.c), made at the first */
        bool is_enter_known;      /* enter was made, or the container needs the runtime's exec */
};

struct index {
        void **objs; /* struct pod * or struct container *, sorted by id */
        size_t n, cap;
};

struct exit_watch;

struct runtime {
        pthread_mutex_t cfg_lock;
        struct cric_config *cfg;
        struct store *db;
        struct layer_store *layers;
        struct image_service *images;
        const struct cgroup_mounts *cgroups;
        struct cgroup_prewarm *prewarm; /* kicked when a container or exec starts; may be NULL */
        struct cni_manager *cni;
        struct runtime_backend be;
        char *pods_dir;    /* <runroot>/pods/<id>: resolv.conf, hosts, hostname, shm, infra/ */
        char *ns_dir;      /* <runroot>/ns: pinned namespaces */
        char *ctrs_dir;    /* <runroot>/containers/<id>: bundle, rootfs mount point, pid file */
        char *exits_dir;   /* <runroot>/exits/<id>: exit files the monitors write */
        char *sockets_dir; /* <runroot>/sockets/<id>: attach socket and control fifo */
        char *monitor_path;
        pthread_mutex_t lock;
        pthread_cond_t exited; /* broadcast when a container exits (CLOCK_MONOTONIC) */
        pthread_mutex_t persist;
        struct index pods, ctrs;
        struct exit_watch *watch;
        pthread_mutex_t usage_lock; /* the usage memory of every pod and container */
        /* The host's addresses, for pods on the host network: read again only after the
         * kernel reported an address or route change (host_changes_fd, watched by the
         * exit watch thread), or every second when that socket could not be opened. */
        pthread_mutex_t host_lock;
        char **host_ips;
        int64_t host_ips_at_ms;
        bool is_host_ips_stale;
        int host_changes_fd;
        struct runtime_events *events; /* events.c; NULL: no subscriber can come */
        struct janitor *janitor;       /* janitor.c; NULL: teardowns happen in the call */
};

/* ---- janitor.c ---- */
struct janitor;
int janitor_start(struct runtime *rt, struct cric_error **err);
/* Queues the teardown of removed container c (its row and index entry are gone). */
void janitor_add(struct runtime *rt, const struct container *c);
/* Queues the teardown of stopped pod p's network and namespaces (pod_network_teardown);
 * a failure leaves p->is_net_left set. */
void janitor_add_pod(struct runtime *rt, struct pod *p);
/* Returns once no teardown of a container of pod_id (of any pod: NULL) is queued or
 * running. */
void janitor_wait_pod(struct runtime *rt, const char *pod_id);
/* Finishes the queued teardowns, then ends the thread. */
void janitor_stop(struct runtime *rt);

/* ---- events.c ---- */
struct runtime_events;
/* Started before the restore: what it finds (exits while the daemon was down) is kept
 * for the subscribers to come until 5 minutes after events_restored. */
int events_start(struct runtime *rt, struct cric_error **err);
void events_restored(struct runtime *rt);
void events_stop(struct runtime *rt);
/* Notes a change of id (a container of p, or p itself) with a snapshot of p and its
 * containers, for the subscribers (rt->lock held; nothing when there are none and the
 * start's backlog is closed). */
void events_note(struct runtime *rt, enum runtime_event_type type, const char *id, struct pod *p);
/* The same for container c, with its pod (rt->lock held). */
void events_note_container(struct runtime *rt, enum runtime_event_type type, struct container *c);

/* ---- core.c ---- */
void runtime_new_id(char out[65]);
int64_t runtime_now_ns(void);
/* The configuration snapshot for one call (config_unref it). */
struct cric_config *runtime_config(struct runtime *rt);
void persist_begin(struct runtime *rt); /* holds rt->lock; returns holding rt->persist only */
void persist_end(struct runtime *rt);

/* The common part of a new pod: one reference, locks, no netlink socket. */
void pod_init(struct pod *p);
/* Closes the pod's netlink socket (pod stop: the netns must be able to go). */
void pod_net_close(struct pod *p);
struct pod *pod_ref(struct pod *p);
void pod_unref(struct pod *p);
void pod_unrefp(struct pod **p);
struct container *ctr_ref(struct container *c);
void ctr_unref(struct container *c);
void ctr_unrefp(struct container **c);
struct resources *resources_new(const struct oci_resources *r);
struct resources *resources_ref(struct resources *r);
void resources_unref(struct resources *r);

/* Indexes (rt->lock held). find: by id or unique prefix; NULL with *err otherwise. */
void index_add(struct index *ix, void *obj);
void index_del(struct index *ix, const char *id);
void *index_find(struct index *ix, const char *id, const char *kind, struct cric_error **err);
/* A reference to the pod / container id names (by id or unique prefix). */
struct pod *pod_get(struct runtime *rt, const char *id, struct cric_error **err);
struct container *ctr_get(struct runtime *rt, const char *id, struct cric_error **err);
/* For the calls that succeed on what does not exist (Stop, Remove), after a failed
 * lookup: 0 when *e says not found (and frees it), else -1 with *e moved to *err. */
int gone_is_fine(struct cric_error **e, struct cric_error **err);
/* The container whose monitor is pid (rt->lock held), or NULL. */
struct container *ctr_by_monitor(struct runtime *rt, pid_t pid);

/* Paths. */
char *pod_dir(const struct runtime *rt, const char *id);
char *ctr_dir(const struct runtime *rt, const char *id);
/* The OCI runtime of a bundle: path and root (NULL or "": default). */
int runtime_oci(struct runtime *rt, const char *path, const char *root, struct oci_runtime **ret,
                struct cric_error **err);
/* `<runtime> start <id>` of the container or infra process whose bundle (config.json) is
 * in bundle, or, with start_native on, its release through the runtime's exec.fifo. */
int runtime_oci_start(struct runtime *rt, const char *path, const char *root, const char *id, const char *bundle,
                      pid_t init_pid, struct cric_error **err);
/* The handler's runtime binary (its path, or its name in $PATH); CRIC_E_PRECONDITION
 * when the handler is unknown or its binary missing. */
int runtime_handler_binary(const struct cric_config *cfg, const char *handler, char **ret_path, const char **ret_root,
                           struct cric_error **err);
/* The OCI runtime a bundle directory was made for, in <dir>/runtime ("path\nroot\n"),
 * so what a crash left half-made is deleted with the right runtime. */
int runtime_file_write(const char *dir, const char *runtime_path, const char *runtime_root, struct cric_error **err);
/* *ret_path NULL: no file (nothing was started). Both point into *ret_text. */
int runtime_file_read(const char *dir, char **ret_text, const char **ret_path, const char **ret_root,
                      struct cric_error **err);
/* The node settings of cfg for spec generation, with handler's allowed_annotations
 * (NULL or "": the default handler); borrows from cfg. */
void runtime_node_of(const struct cric_config *cfg, const char *handler, struct oci_node *ret);
/* Whether handler's allowed_annotations (NULL or "": the default handler's) has a prefix of key. */
bool runtime_annotation_allowed(const struct cric_config *cfg, const char *handler, const char *key);
/* Global flags every runtime call takes (--systemd-cgroup), NULL-terminated or NULL. */
char *const *runtime_global_args(const struct cric_config *cfg);
bool kv_match(char *const *pairs, char *const *selector);
char **kv_pairs(const struct oci_kv *kv, size_t n);

/* ---- record.c: what the store keeps beyond its columns (JSON) ---- */
struct json_object *record_pod(const struct pod_config *c, const struct pod *p);
/* Fills p->info labels/annotations/modes/cgroup_parent, hostname, log_directory, ips
 * and p->sandbox from a record. */
int record_pod_read(struct json_object *rec, struct pod *p, struct cric_error **err);
/* The sandbox part of a pod's record as spec input (pointers into p->sandbox and a). */
int record_sandbox(const struct pod *p, struct arena *a, struct oci_sandbox *ret, struct cric_error **err);
/* Copies the pod's user namespace mappings from its sandbox record into p->info. */
void record_pod_userns(struct pod *p);
struct json_object *record_container(const struct container *c);
int record_container_read(struct json_object *rec, struct container *c, struct cric_error **err);
struct json_object *record_resources(const struct oci_resources *r);
/* The pod cgroup's limits of the last resize (key "resources" of the pod record). */
struct json_object *record_limits(const struct cgroup_limits *l);
int record_resources_read(struct json_object *rec, struct arena *a, struct oci_resources *ret, struct cric_error **err);
/* JSON text <-> object for the store. */
char *record_text(struct json_object *rec);
struct json_object *record_parse(const char *text, struct cric_error **err);

/* ---- pods ---- */
int pod_store_insert(struct runtime *rt, struct pod *p, const void *record, struct cric_error **err);
int pod_containers_stop(struct runtime *rt, const char *pod_id, struct cric_error **err);
int pod_containers_remove(struct runtime *rt, const char *pod_id, struct cric_error **err);
/* Undoes a pod's set-up (infra, namespaces, shm, directory). */
void pod_teardown(struct runtime *rt, const char *id, unsigned ns);
/* Unpins the namespaces of pod id named in which (NETNS_*); gone ones are fine. */
int pod_unpin(const struct runtime *rt, const char *id, unsigned which, struct cric_error **err);
/* CNI DEL of stopped pod p, then its pinned namespaces. */
int pod_network_teardown(struct runtime *rt, struct pod *p, struct cric_error **err);
int pod_infra_kill(struct runtime *rt, const char *id, struct cric_error **err);
char *pod_netns_path(const struct runtime *rt, const struct pod *p);

/* ---- containers ---- */
/* Removes a container's directories, mount, exit file and sockets; deletes it from the
 * OCI runtime first when runtime_path is given. */
void ctr_teardown(struct runtime *rt, const char *id, const char *runtime_path, const char *runtime_root);
/* Sets a created or running container exited (rt->lock held; returns whether it
 * changed, then the caller persists and broadcasts). */
bool ctr_set_exited(struct container *c, int exit_code, int64_t when_ns, const char *reason, const char *message);
/* A reference to the container id names when its state is in mask (1u << state), else
 * CRIC_E_PRECONDITION naming what was asked ("exec"). */
struct container *ctr_get_in_state(struct runtime *rt, const char *id, unsigned mask, const char *what,
                                   struct cric_error **err);
/* Writes the process.json of `<runtime> exec` of argv into the container's directory. */
/* ---- ctr_enter.c: exec without the OCI runtime ---- */
/* c's plan, made at its first call; NULL when its execs go through `<runtime> exec`
 * (exec_native off, another runtime, or a container that needs the runtime's own). */
const struct enter_plan *ctr_enter_plan(struct runtime *rt, struct container *c);
/* Starts argv in c (stdio as in struct enter_call). A container whose process has gone
 * meanwhile: CRIC_E_PRECONDITION. */
int ctr_enter(struct runtime *rt, const struct container *c, const struct enter_plan *p, char *const *argv, bool tty,
              const int stdio[3], struct enter_proc *ret, struct cric_error **err);
/* ExecSync through the plan. A command that cannot run answers exit code 127 (not
 * found) or 126 with the reason on stderr, as a shell does. */
int ctr_exec_sync_native(struct runtime *rt, const struct container *c, const struct enter_plan *p, char *const *argv,
                         int64_t timeout_s, struct monitor_exec_result *ret, struct cric_error **err);

int ctr_write_process(struct runtime *rt, const struct container *c, char *const *argv, bool tty, char **ret_path,
                      struct cric_error **err);
/* Persists c's state (rt->lock held; released on return) and wakes waiters. */
void ctr_persist_state(struct runtime *rt, struct container *c);
/* Reads c's exit file (or finds its monitor gone) and records the exit. */
void ctr_check_exit(struct runtime *rt, struct container *c, bool is_monitor_gone);
/* Waits until c has exited or deadline_ms (CLOCK_MONOTONIC ms) passed. */
bool ctr_wait_exit(struct runtime *rt, struct container *c, int64_t deadline_ms);
/* kill, then SIGKILL; the stop sequence (stop.c). */
int ctr_stop(struct runtime *rt, struct container *c, int64_t timeout_s, struct cric_error **err);
/* Starts and stops the infra process of a pod (a container of the runtime's own). */
int infra_start(struct runtime *rt, const char *pod_id, const char *bundle, const char *runtime_path,
                const char *runtime_root, pid_t *ret_pid, struct cric_error **err);
int infra_kill(struct runtime *rt, const char *pod_id, const char *runtime_path, const char *runtime_root,
               struct cric_error **err);
struct container_view ctr_view(struct container *c, bool with_resources); /* rt->lock held */
struct pod_view pod_view_of(struct pod *p);                               /* rt->lock held */

/* ---- pod_view.c ---- */
void host_ips_changed(struct runtime *rt);
/* A copy of the host's addresses (pods on the host's network), read again after a change. */
char **host_ips_copy(struct runtime *rt);

/* ---- exits.c: the exit watch ---- */
int exit_watch_start(struct runtime *rt, struct cric_error **err);
void exit_watch_stop(struct runtime *rt);

/* ---- restore.c ---- */
int runtime_restore(struct runtime *rt, struct cric_error **err);

/* ---- usage.c ---- */
void usage_memory_clear(struct usage_memory *u);
void usage_of_container(struct runtime *rt, const struct container_view *v, bool with_tasks, struct runtime_usage *ret);
void usage_of_pod(struct runtime *rt, const struct pod_view *v, const struct container_stats *ctrs, size_t n,
                  bool with_tasks, struct runtime_usage *ret);

/* ---- backend.c: the real backend ---- */
extern const struct runtime_backend runtime_real_backend;

#endif
