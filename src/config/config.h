/* cric configuration: defaults, then /etc/cric/cric.conf, then the drop-ins of
 * /etc/cric/cric.conf.d/ in lexical order, then command-line overrides.
 *
 * The result is an immutable, refcounted snapshot: a reload builds a new one and
 * swaps it in; readers keep the snapshot they took (config_ref/config_unref). */
#ifndef CRIC_CONFIG_CONFIG_H
#define CRIC_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"
#include "util/log.h"

#define CRIC_DEFAULT_CONFIG_FILE      "/etc/cric/cric.conf"
#define CRIC_DEFAULT_CONFIG_DIR       "/etc/cric/cric.conf.d"
#define CRIC_DEFAULT_SIGNATURE_POLICY "/etc/containers/policy.json"

struct cric_runtime_handler {
        char *name;                 /* key of [cric.runtime.runtimes.<name>], the CRI runtime handler */
        char *runtime_path;         /* OCI runtime binary; empty: looked up as <name> in $PATH */
        char *runtime_type;         /* "oci" */
        char *runtime_root;         /* --root passed to the runtime */
        char **allowed_annotations; /* NULL-terminated annotation prefixes honoured */
        char *monitor_cgroup;       /* "": cricd's; "pod": the pod's; else a cgroup path */
};

enum cric_cgroup_manager {
        CRIC_CGROUP_CGROUPFS = 0,
        CRIC_CGROUP_SYSTEMD,
        CRIC_CGROUP_MANAGER_MAX,
        CRIC_CGROUP_MANAGER_INVALID = -1,
};

struct cric_config {
        unsigned refcount; /* atomic */

        /* [cric] */
        char *root;
        char *runroot;
        enum log_level log_level;
        enum log_format log_format;
        char *storage_driver;
        char **storage_options; /* NULL-terminated */

        /* [cric.api] */
        char *listen;              /* socket path (a unix:// URI is accepted and stored as the path) */
        int64_t grpc_max_msg_size; /* bytes; requests above are refused */
        int64_t grpc_max_workers;  /* upper bound of the RPC worker pool */
        char *stream_address;
        char *stream_port;
        char *stream_idle_timeout; /* a duration (config_duration_ms); "": none */
        bool stream_enable_tls;
        char *stream_tls_cert, *stream_tls_key, *stream_tls_ca; /* "": none */

        /* [cric.runtime] */
        char *default_runtime;
        enum cric_cgroup_manager cgroup_manager;
        char **hooks_dir;                      /* NULL-terminated; later masks earlier by file name */
        char **cdi_spec_dirs;                  /* NULL-terminated; a later dir wins for the same device */
        int64_t log_size_max;                  /* container log file bytes; negative: unlimited */
        bool log_to_journald;                  /* container output also goes to the journal */
        bool exec_native;                      /* exec without the OCI runtime where it qualifies */
        bool start_native;                     /* start crun's and runc's containers by their exec.fifo */
        struct cric_runtime_handler *runtimes; /* in name order */
        size_t n_runtimes;
        /* node settings CRI-O has (oci/spec_types.h struct oci_node) */
        char **default_capabilities;           /* NULL-terminated */
        char **default_sysctls;                /* NULL-terminated "name=value" */
        char **default_ulimits;                /* NULL-terminated "name=soft:hard" */
        int64_t pids_limit;                    /* <= 0: unlimited */
        char *default_mounts_file;             /* "": none */
        char **absent_mount_sources_to_reject; /* NULL-terminated */
        char *seccomp_profile;                 /* "": the built-in RuntimeDefault */
        char **allowed_devices;                /* NULL-terminated: for the Devices annotation */
        char **additional_devices;             /* NULL-terminated "/dev/host[:/dev/ctr[:rwm]]" */
        bool device_ownership_from_security_context;
        char *apparmor_profile; /* RuntimeDefault AppArmor profile */
        bool selinux;           /* SELinux labelling */

        /* [cric.image] */
        char *pause_image;
        char *pause_command; /* path of cric-pause, the init of pods with a shared PID namespace */
        char *registries_conf;
        char *global_auth_file;
        char *certs_dir;
        char **pinned_images;       /* NULL-terminated patterns */
        char **insecure_registries; /* NULL-terminated host[:port] or CIDR */
        int64_t max_parallel_downloads;
        bool pull_in_helper;        /* each pull in a cric-pull process */
        char *signature_policy;     /* "": none */
        char *signature_policy_dir; /* "": none */
        char *registries_d;

        /* [cric.network] */
        char *network_dir;
        char *default_network; /* "": the first config in lexical order */
        char **plugin_dirs;    /* NULL-terminated */

        /* [cric.metrics] */
        bool enable_metrics;
        char *metrics_host; /* "": no TCP endpoint */
        int64_t metrics_port;
        char *metrics_socket;             /* "": none */
        char *metrics_cert, *metrics_key; /* both set: HTTPS */
        char **metrics_collectors;        /* NULL-terminated; empty: every metric */
};

/* Command-line overrides, applied after the files. NULL / empty means "not given". */
struct config_overrides {
        const char *config_file; /* --config; NULL: CRIC_DEFAULT_CONFIG_FILE (missing is fine) */
        const char *config_dir;  /* --config-dir; NULL: CRIC_DEFAULT_CONFIG_DIR */
        /* Each entry is "<table>.<key>=<value>" in config key terms, e.g.
         * "cric.api.listen=/tmp/x.sock"; for list keys each occurrence appends after the
         * first replaces the file's value. Filled by the flag parser. */
        struct config_setting {
                const char *key;   /* full dotted key, e.g. "cric.network.plugin_dirs" */
                const char *value; /* the value as a string */
        } * settings;
        size_t n_settings;
};

/* Builds the default configuration. Never fails. */
struct cric_config *config_new_default(void);

/* Loads defaults + files + overrides. Every problem in every file is reported in one
 * CRIC_E_INVALID error (one "file:line:col: key: problem" per line). Unknown keys are
 * logged as warnings naming file, line and key, and do not fail the load.
 * An explicitly named --config file that is missing is an error; the default one is not. */
int config_load(const struct config_overrides *ov, struct cric_config **ret, struct cric_error **err);

/* Writes the configuration as a commented TOML document that config_load reads back
 * to an identical configuration. */
void config_print(const struct cric_config *cfg, FILE *out);

/* Looks up a runtime handler by name; "" means the default runtime. NULL if unknown. */
const struct cric_runtime_handler *config_find_runtime(const struct cric_config *cfg, const char *name);

const char *cgroup_manager_to_string(enum cric_cgroup_manager m);

struct cric_config *config_ref(struct cric_config *cfg);
struct cric_config *config_unref(struct cric_config *cfg);
void config_unrefp(struct cric_config **cfg);

/* A duration as Go writes them ("4h", "1h30m", "90s", "250ms"; "" and "0" are 0), in
 * milliseconds. CRIC_E_INVALID naming the text when it is not one. */
int config_duration_ms(const char *text, int64_t *ret_ms, struct cric_error **err);

#endif
