/* OCI: config.json generation from CRI inputs (spec_types.h), and the OCI runtime's
 * command line (crun, runc). No protobuf type comes in here; server/ converts. */
#ifndef CRIC_OCI_OCI_H
#define CRIC_OCI_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci/spec_types.h"
#include "util/error.h"

/* Fills *ret with this host's facts: the daemon's capability bounding set and
 * oom_score_adj (/proc/self), cgroup v2 and swap accounting (/sys/fs/cgroup), whether
 * SELinux and AppArmor are enabled. supports_recursive_read_only is left false (the
 * caller knows its runtime). CRIC_E_INTERNAL when /proc/self can't be read. */
int oci_host_detect(enum oci_cgroup_driver driver, struct oci_host *ret, struct cric_error **err);

/* Generates the config.json of a container as pretty JSON; *ret_json is the caller's.
 * Reads the rootfs's /etc/passwd and /etc/group (confined to the rootfs), the Localhost
 * seccomp profile, host device nodes and mountinfo; creates missing host directories of
 * bind mounts (the kubelet's DirectoryOrCreate). Errors: CRIC_E_INVALID for a request
 * the CRI or this host doesn't allow, CRIC_E_NOT_FOUND for a missing seccomp profile
 * or device, CRIC_E_INTERNAL for I/O failures. Thread-safe. */
int oci_spec_generate(const struct oci_container_input *in, const struct oci_host *host, char **ret_json,
                      struct cric_error **err);

/* Checks the node settings once, before any container: capability names, namespaced
 * default sysctls, ulimit names and values, that an explicitly named
 * default_mounts_file exists and parses, that seccomp_profile is a valid profile.
 * CRIC_E_INVALID (CRIC_E_NOT_FOUND for a missing file) naming the setting and the
 * value or file at fault. */
int oci_node_check(const struct oci_node *node, struct cric_error **err);

/* Same for the infra process of a pod (pause_path in a read-only rootfs, no capabilities,
 * the pod's namespaces, sysctls and security context). */
int oci_spec_generate_infra(const struct oci_infra_input *in, const struct oci_host *host, char **ret_json,
                            struct cric_error **err);

/* What a generated config.json says, read back: the process object to run argv with
 * `<runtime> exec --process` (the container's own user, env, cwd, capabilities and
 * security settings; a terminal when tty is set, with TERM=xterm unless the environment
 * has a TERM), and the user the container runs as. CRIC_E_INTERNAL when spec_json is not
 * a config.json with a process. Thread-safe. */
int oci_spec_exec_process(const char *spec_json, char *const *argv, bool tty, char **ret_json, struct cric_error **err);
struct oci_user {
        uint32_t uid, gid;
        uint32_t *additional_gids;
        size_t n_additional_gids;
};
int oci_spec_user(const char *spec_json, struct oci_user *ret, struct cric_error **err);
void oci_user_clear(struct oci_user *u);

/* Whether a config.json has a poststart hook (true too when it does not parse). */
bool oci_spec_has_poststart(const char *spec_json);

/* The number of a capability named "CAP_CHOWN" or "chown"; -1 when unknown. */
int oci_cap_parse(const char *name);

/* The signal number of a name as image configs spell StopSignal ("SIGTERM", "TERM",
 * "sigterm", "15", "SIGRTMIN+3", "RTMAX-2"); 0 for NULL or "" (SIGTERM then applies).
 * CRIC_E_INVALID for an unknown name or a number out of range. */
int oci_signal_parse(const char *name, int *ret, struct cric_error **err);

/* Writes json as <bundle_dir>/config.json (mode 0600, atomically). */
int oci_spec_write_bundle(const char *bundle_dir, const char *json, struct cric_error **err);

/* The linux.resources object of res as JSON, for `<runtime> update --resources -`. */
int oci_resources_to_json(const struct oci_resources *res, const struct oci_host *host, char **ret_json,
                          struct cric_error **err);

/* ---- OCI hooks (oci-hooks(5), schema 1.0.0) ---- */

/* Reads the *.json hook files of dirs (NULL-terminated; a missing directory is skipped).
 * A file name in a later directory masks the same name in an earlier one; hooks keep
 * the byte order of their file names. An invalid file is logged as a warning naming it
 * and the cause, and skipped. Never fails; the result (maybe empty) is the caller's and
 * goes to oci_container_input.hooks, where oci_spec_generate injects the hooks whose
 * conditions match. Thread-safe. */
struct oci_hooks *oci_hooks_load(char *const *dirs);
size_t oci_hooks_count(const struct oci_hooks *hs);
struct oci_hooks *oci_hooks_free(struct oci_hooks *hs);
void oci_hooks_freep(struct oci_hooks **hs);

/* ---- the OCI runtime's command line ---- */

struct oci_state {
        char *id;
        char *status; /* "creating", "created", "running", "paused", "stopped" */
        pid_t pid;    /* 0 when the runtime reports none */
        char *bundle;
};
void oci_state_clear(struct oci_state *s);

struct oci_runtime;

/* The verbs, so tests (and other runtimes) can stand in. Each returns 0 or -1 with *err;
 * a container the runtime doesn't know is CRIC_E_NOT_FOUND. data is the ops' own. */
struct oci_runtime_ops {
        int (*start)(void *data, const char *id, struct cric_error **err);
        int (*kill)(void *data, const char *id, int signal, bool all, struct cric_error **err);
        int (*delete)(void *data, const char *id, bool force, struct cric_error **err);
        int (*state)(void *data, const char *id, struct oci_state *ret, struct cric_error **err);
        int (*update)(void *data, const char *id, const char *resources_json, struct cric_error **err);
        char **(*base_argv)(void *data); /* may be NULL: no command line */
        void (*free)(void *data);        /* may be NULL */
};

struct oci_runtime_opts {
        const char *path;        /* binary: a path, or a name looked up in $PATH */
        const char *root;        /* --root state directory; NULL: the runtime's default */
        char *const *extra_args; /* global flags before the verb (NULL-terminated); may be NULL */
        bool systemd_cgroup;     /* --systemd-cgroup */
        unsigned timeout_ms;     /* per call; 0: 30 s */
        bool start_by_fifo;      /* start releases the init itself (oci_start_by_fifo) when it can */
        pid_t init_pid;          /* the container's init for start_by_fifo; 0: unknown */
};

/* A runtime driven through its command line (crun and runc share it). CRIC_E_NOT_FOUND
 * when the binary isn't there. */
int oci_runtime_new(const struct oci_runtime_opts *opts, struct oci_runtime **ret, struct cric_error **err);
/* A runtime made of ops; the runtime owns data (ops->free frees it). Never fails. */
struct oci_runtime *oci_runtime_new_ops(const struct oci_runtime_ops *ops, void *data);
struct oci_runtime *oci_runtime_free(struct oci_runtime *rt);
void oci_runtime_freep(struct oci_runtime **rt);

/* `start <id>`, `kill [--all] <id> <signal>`, `delete [--force] <id>`, `state <id>`,
 * `update --resources - <id>` (resources_json on stdin). The runtime's stderr ends up
 * in the error message. Thread-safe. */
int oci_runtime_start(struct oci_runtime *rt, const char *id, struct cric_error **err);
int oci_runtime_kill(struct oci_runtime *rt, const char *id, int signal, bool all, struct cric_error **err);
int oci_runtime_delete(struct oci_runtime *rt, const char *id, bool force, struct cric_error **err);
int oci_runtime_state(struct oci_runtime *rt, const char *id, struct oci_state *ret, struct cric_error **err);
int oci_runtime_update(struct oci_runtime *rt, const char *id, const char *resources_json, struct cric_error **err);

/* The runtimes whose private ways cric knows (by the binary's name). */
enum oci_flavor { OCI_FLAVOR_OTHER, OCI_FLAVOR_CRUN, OCI_FLAVOR_RUNC };
enum oci_flavor oci_flavor_of(const char *path);

/* What `<runtime> start <id>` does for crun and runc, without running it: releases the
 * created container's init through <root>/<id>/exec.fifo and removes the FIFO (so that
 * `state` says "running"). 1: started; 0: not done, nothing changed (another runtime, no
 * FIFO, no init waiting: run `start`); -1: the release failed midway, *err says why
 * (CRIC_E_TIMEOUT when runc's init did not exec within timeout_ms). init_pid (0:
 * unknown) lets runc's wait end when the init has died. */
int oci_start_by_fifo(enum oci_flavor flavor, const char *root, const char *id, pid_t init_pid, unsigned timeout_ms,
                      struct cric_error **err);

/* argv up to the verb ([binary, --root, dir, extra..., --systemd-cgroup]), for the
 * monitor's `create` and `exec`; the caller frees it (strv_free). NULL when rt has no
 * command line. */
char **oci_runtime_base_argv(struct oci_runtime *rt);

#endif
