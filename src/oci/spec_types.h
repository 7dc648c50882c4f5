/* Inputs of OCI spec generation: plain C mirrors of the parts of the CRI that shape a
 * config.json, plus the image defaults and the facts about this host.
 *
 * This is the contract between server/ (which converts protobuf messages into these
 * structs) and oci/ (which never sees a protobuf type). Everything is borrowed: the
 * generator copies what it keeps, so the caller may point straight into protobuf-c
 * messages (repeated strings are `char **` plus a count there too). NULL and 0 mean
 * "not given" wherever the CRI has no separate "unset". */
#ifndef CRIC_OCI_SPEC_TYPES_H
#define CRIC_OCI_SPEC_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/userns.h"

struct oci_hooks; /* oci.h */

/* One entry of a CRI map (labels, annotations, sysctls, unified). */
struct oci_kv {
        const char *key;
        const char *value;
};

/* CRI MountPropagation, same numbers. */
enum oci_propagation {
        OCI_PROPAGATION_PRIVATE = 0,       /* rprivate */
        OCI_PROPAGATION_HOST_TO_CONTAINER, /* rslave */
        OCI_PROPAGATION_BIDIRECTIONAL,     /* rshared */
        OCI_PROPAGATION_MAX,
        OCI_PROPAGATION_INVALID = -1,
};

/* CRI Mount (host_path form; image volumes are resolved to a host path by the caller). */
struct oci_mount {
        const char *container_path;
        const char *host_path;
        bool is_readonly;
        bool selinux_relabel;
        bool is_recursive_read_only; /* needs is_readonly and OCI_PROPAGATION_PRIVATE */
        enum oci_propagation propagation;
        /* An image volume (the CRI's Mount.image): the image's layers, read-only, instead of
         * host_path; image_sub_path a directory inside it. The runtime mounts it and fills
         * host_path before the spec is generated. */
        const char *image;
        const char *image_sub_path;
        /* An idmapped bind (the CRI's uidMappings/gidMappings, which the kubelet sets for
         * the volumes of a pod with a user namespace): the runtime makes the idmapped
         * copy and fills host_path. */
        const struct idmap *uids, *gids;
        size_t n_uids, n_gids;
};

/* CRI Device. A host_path naming a directory exposes every device node under it. */
struct oci_device {
        const char *container_path; /* NULL or "": same as host_path */
        const char *host_path;
        const char *permissions; /* subset of "rwm"; NULL or "": "rwm" */
};

struct oci_hugepage_limit {
        const char *page_size; /* "2MB", "1GB", ... */
        uint64_t limit;        /* bytes */
};

/* CRI LinuxContainerResources. 0 / NULL: unset. */
struct oci_resources {
        int64_t cpu_period;
        int64_t cpu_quota;
        int64_t cpu_shares;
        int64_t memory_limit_in_bytes;
        int64_t memory_swap_limit_in_bytes; /* 0: no swap beyond the limit (when swap is accounted) */
        int64_t oom_score_adj;              /* always written (0 included), raised to the daemon's own */
        const char *cpuset_cpus;
        const char *cpuset_mems;
        const struct oci_hugepage_limit *hugepage_limits;
        size_t n_hugepage_limits;
        const struct oci_kv *unified; /* cgroup v2 files; refused on a v1 host */
        size_t n_unified;
};

/* CRI NamespaceMode, same numbers. */
enum oci_ns_mode {
        OCI_NS_POD = 0,
        OCI_NS_CONTAINER,
        OCI_NS_NODE,
        OCI_NS_TARGET,
        OCI_NS_MODE_MAX,
        OCI_NS_MODE_INVALID = -1,
};

/* CRI NamespaceOption. TARGET only applies to pid; the caller turns the CRI target_id
 * into the target's pid namespace file (/proc/<pid>/ns/pid). */
struct oci_namespace_options {
        enum oci_ns_mode network;
        enum oci_ns_mode pid;
        enum oci_ns_mode ipc;
        const char *target_pid_ns_path;
        /* The pod's user namespace (hostUsers: false): its mappings, container id to host
         * id. None: the host's user namespace. */
        const struct idmap *uids, *gids;
        size_t n_uids, n_gids;
};

/* CRI SecurityProfile.ProfileType, same numbers. */
enum oci_profile_type {
        OCI_PROFILE_RUNTIME_DEFAULT = 0,
        OCI_PROFILE_UNCONFINED,
        OCI_PROFILE_LOCALHOST,
        OCI_PROFILE_TYPE_MAX,
        OCI_PROFILE_TYPE_INVALID = -1,
};

/* CRI SecurityProfile. is_set false: the message was absent; then the deprecated string
 * field of the security context is looked at, and when that is empty too, seccomp is
 * Unconfined and AppArmor is RuntimeDefault (what containerd and CRI-O do). */
struct oci_security_profile {
        bool is_set;
        enum oci_profile_type type;
        const char *localhost_ref; /* seccomp: absolute path of a JSON profile; AppArmor: profile name */
};

/* CRI SupplementalGroupsPolicy, same numbers. */
enum oci_groups_policy {
        OCI_GROUPS_MERGE = 0, /* image /etc/group memberships + supplemental_groups */
        OCI_GROUPS_STRICT,    /* supplemental_groups only */
        OCI_GROUPS_POLICY_MAX,
        OCI_GROUPS_POLICY_INVALID = -1,
};

struct oci_selinux_options {
        const char *user, *role, *type, *level;
};

/* CRI Capability. Names with or without "CAP_", any case; "ALL" allowed in add and drop. */
struct oci_capabilities {
        char *const *add;
        size_t n_add;
        char *const *drop;
        size_t n_drop;
        char *const *add_ambient;
        size_t n_add_ambient;
};

/* CRI LinuxContainerSecurityContext; the pod's LinuxSandboxSecurityContext fills the same
 * struct (capabilities, masked/readonly paths and no_new_privs unused there). */
struct oci_security_context {
        bool is_privileged;
        bool is_readonly_rootfs;
        bool no_new_privs;
        struct oci_capabilities caps;
        struct oci_namespace_options ns;
        bool has_run_as_user;
        int64_t run_as_user;
        bool has_run_as_group; /* only with run_as_user or run_as_username */
        int64_t run_as_group;
        const char *run_as_username;
        const int64_t *supplemental_groups;
        size_t n_supplemental_groups;
        enum oci_groups_policy groups_policy;
        char *const *masked_paths; /* n == 0: the defaults; otherwise they replace them */
        size_t n_masked_paths;
        char *const *readonly_paths;
        size_t n_readonly_paths;
        struct oci_security_profile seccomp;
        struct oci_security_profile apparmor;
        const char
                *seccomp_profile_path; /* deprecated string form: "runtime/default", "unconfined", "localhost/<path>" */
        const char *apparmor_profile;  /* deprecated string form: "runtime/default", "unconfined", "localhost/<name>" */
        struct oci_selinux_options selinux;
};

/* The pod a container (or the pod's infra process) belongs to, as runtime/ set it up. */
struct oci_sandbox {
        const char *id;
        const char *pod_name, *pod_namespace, *pod_uid; /* PodSandboxMetadata, for annotations */
        const char *hostname;
        const char *cgroup_parent; /* CRI cgroup_parent; NULL: the driver's default */
        const char *netns_path;    /* pinned namespaces; NULL: a new one per container */
        const char *ipcns_path;
        const char *utsns_path;
        const char *userns_path; /* the pod's pinned user namespace; NULL: the host's */
        pid_t pause_pid;         /* > 0: PID=POD joins /proc/<pid>/ns/pid */
        const struct oci_kv *sysctls;
        size_t n_sysctls;
        const char *resolv_conf_path; /* files bind-mounted into containers; NULL: none */
        const char *hosts_path;
        const char *hostname_path;
        const char *shm_path;             /* pod /dev/shm to bind; NULL: a private tmpfs */
        uint64_t shm_size_bytes;          /* size of that tmpfs; 0: 64 MiB */
        const struct oci_kv *annotations; /* the pod's CRI annotations (infra spec) */
        size_t n_annotations;
        struct oci_security_context security; /* the pod's security context */
};

/* What the image config contributes (ENTRYPOINT, CMD, ENV, WORKDIR, USER). */
struct oci_image_defaults {
        const char *name; /* image reference the user asked for, for annotations; may be NULL */
        char *const *entrypoint;
        size_t n_entrypoint;
        char *const *cmd;
        size_t n_cmd;
        char *const *env; /* KEY=VALUE */
        size_t n_env;
        const char *working_dir;
        const char *user; /* "", "name", "uid", "uid:gid", "name:group", ... */
};

/* The node's settings every container gets ([cric.runtime], CRI-O's keys of the same
 * names). Lists are NULL-terminated; NULL is an empty list except where said. */
struct oci_node {
        char *const *default_capabilities;           /* NULL: CRI-O's default set; an empty list: none */
        char *const *default_sysctls;                /* "name=value", namespaced only; the pod's own win */
        char *const *default_ulimits;                /* "nofile=1024:2048" (soft:hard) or "nproc=512" */
        int64_t pids_limit;                          /* > 0: linux.resources.pids.limit; <= 0: unlimited */
        const char *default_mounts_file;             /* lines "/src:/dst" bound read-only; NULL or "": none */
        char *const *absent_mount_sources_to_reject; /* absent host paths refused, not created */
        const char *seccomp_profile;                 /* JSON profile used as RuntimeDefault; NULL or "": built in */
        char *const *allowed_devices;    /* host devices the io.kubernetes.cri-o.Devices annotation may name */
        char *const *additional_devices; /* "/dev/host[:/dev/ctr[:rwm]]" given to every container */
        bool device_ownership_from_security_context; /* devices owned by RunAsUser/RunAsGroup */
        char *const *allowed_annotations;            /* the runtime handler's: annotation prefixes it honours */
        const char *apparmor_profile;                /* RuntimeDefault's profile name; NULL or "": "cric-default" */
        bool selinux; /* label processes and mounts (where SELinux is enabled); false: options ignored */
};

/* A CRI ContainerConfig ready for spec generation. */
struct oci_container_input {
        const char *id;     /* container id: cgroupsPath, annotations */
        const char *name;   /* ContainerMetadata.name: messages, annotations */
        const char *rootfs; /* host path of the mounted root file system; /etc/passwd is read there */
        char *const *command;
        size_t n_command;
        char *const *args;
        size_t n_args;
        const char *working_dir;
        char *const *env; /* KEY=VALUE, overriding the image's by key */
        size_t n_env;
        const struct oci_kv *annotations;
        size_t n_annotations;
        const struct oci_mount *mounts;
        size_t n_mounts;
        const struct oci_device *devices;
        size_t n_devices;
        char *const *cdi_devices; /* CDI devices by qualified name ("vendor.com/class=dev") */
        size_t n_cdi_devices;
        char *const *cdi_spec_dirs; /* where CDI specs are looked up, later dirs win; the runtime's */
        size_t n_cdi_spec_dirs;
        struct oci_resources resources;
        struct oci_security_context security;
        bool tty;
        const struct oci_image_defaults *image; /* NULL: an image without config */
        const struct oci_sandbox *sandbox;      /* required */
        const struct oci_hooks *hooks;          /* hooks directories' contents (oci_hooks_load); NULL: none */
        const struct oci_node *node;            /* NULL: the defaults */
};

/* The infra process of a pod that needs one (shared PID namespace): runs pause_path. */
struct oci_infra_input {
        const char *rootfs;                /* host directory, mounted read-only as the root */
        const char *pause_path;            /* path of the pause binary inside rootfs; NULL: "/pause" */
        const struct oci_sandbox *sandbox; /* required; its security context applies */
        const struct oci_node *node;       /* NULL: the defaults (default_sysctls apply) */
};

enum oci_cgroup_driver {
        OCI_CGROUP_CGROUPFS = 0,
        OCI_CGROUP_SYSTEMD,
        OCI_CGROUP_DRIVER_MAX,
        OCI_CGROUP_DRIVER_INVALID = -1,
};

/* Facts about this host and daemon (oci_host_detect fills them; tests set them). */
struct oci_host {
        enum oci_cgroup_driver cgroup_driver;
        bool is_cgroup_v2;
        bool has_swap_accounting; /* memory.memsw (v1) / memory.swap.max (v2) exist */
        uint64_t cap_bounding;    /* the daemon's own bounding set: bit n = capability n */
        int oom_score_adj;        /* the daemon's own; containers can't go below it */
        bool is_selinux_enabled;
        bool is_apparmor_enabled;
        bool supports_recursive_read_only; /* the OCI runtime knows the "rro" mount option */
        const char *dev_path;              /* device directory walked for privileged; NULL: /dev */
        char node_hostname[65];            /* the node's name: HOSTNAME of containers whose pod has none */
        const char *mountinfo_path;        /* NULL: /proc/self/mountinfo */
};

#endif
