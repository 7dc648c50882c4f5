/* Shared between the files of src/oci/ only. Spec generation runs as named steps over
 * one context; each step adds its part of the document. */
#ifndef CRIC_OCI_INTERNAL_H
#define CRIC_OCI_INTERNAL_H

#include <json-c/json.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>

#include "oci/oci.h"
#include "util/error.h"
#include "util/json.h"

#define OCI_VERSION          "1.0.2"
#define OCI_DEFAULT_PATH     "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define OCI_DEFAULT_SHM_SIZE (64ULL << 20)
#define OCI_APPARMOR_DEFAULT "cric-default"
#define OCI_CAP_COUNT        41 /* CAP_CHOWN (0) .. CAP_CHECKPOINT_RESTORE (40) */

struct spec_mount {
        char *destination;
        char *type;
        char *source;
        char **options;
};

struct spec_ctx {
        const struct oci_host *host;
        const struct oci_sandbox *sb;
        const struct oci_security_context *sec;
        const struct oci_container_input *in; /* NULL for the infra spec */
        const struct oci_infra_input *infra;  /* NULL for a container */
        const char *id;                       /* container (or sandbox) id */
        const char *what;                     /* for messages: `container "x"` or `sandbox "id"` */
        const struct oci_node *node;          /* never NULL */
        struct json_object *spec;
        struct json_object *process;
        struct json_object *lnx;                /* "linux" (a predefined macro in GNU C) */
        uint64_t caps;                          /* the capability (bounding) set given to the process */
        bool has_netns, has_ipcns, has_new_uts; /* not the host's */
        bool has_propagation_shared, has_propagation_slave;
        struct spec_mount *mounts;
        size_t n_mounts;
};

static inline bool str_empty(const char *s) {
        return !s || !*s;
}

/* json helpers (spec.c) */
struct json_object *spec_obj(struct json_object *parent, const char *key); /* get or add an object */
void spec_set_str(struct json_object *o, const char *key, const char *value);
struct json_object *spec_str_array(char *const *v, size_t n);

/* steps */
int spec_add_process(struct spec_ctx *c, struct cric_error **err);      /* spec_process.c */
int spec_add_user(struct spec_ctx *c, struct cric_error **err);         /* spec_user.c */
int spec_add_capabilities(struct spec_ctx *c, struct cric_error **err); /* spec_caps.c */
int spec_add_seccomp(struct spec_ctx *c, struct cric_error **err);      /* spec_seccomp.c */
int spec_add_lsm(struct spec_ctx *c, struct cric_error **err);          /* spec_lsm.c */
int spec_add_namespaces(struct spec_ctx *c, struct cric_error **err);   /* spec_namespaces.c */
int spec_add_sysctls(struct spec_ctx *c, struct cric_error **err);      /* spec_namespaces.c */
int spec_add_mounts(struct spec_ctx *c, struct cric_error **err);       /* spec_mounts.c */
void spec_add_masked_paths(struct spec_ctx *c);                         /* spec_mounts.c */
int spec_add_devices(struct spec_ctx *c, struct cric_error **err);      /* spec_devices.c */
int spec_add_resources(struct spec_ctx *c, struct cric_error **err);    /* spec_resources.c */
void spec_mounts_clear(struct spec_ctx *c);
void spec_mount_add(struct spec_ctx *c, const char *dest, const char *type, const char *source,
                    const char *const *options);                                           /* spec_mounts.c */
char *spec_clean_path(const char *path);                                                   /* spec_mounts.c */
int spec_add_bind(struct spec_ctx *c, const struct oci_mount *m, struct cric_error **err); /* spec_binds.c */

/* capabilities (spec_caps.c) */
const char *spec_cap_name(int cap);                               /* "CAP_CHOWN"; NULL when out of range */
int spec_cap_parse(const char *name);                             /* -1 when unknown; accepts "chown", "CAP_CHOWN" */
int spec_caps_check(char *const *names, struct cric_error **err); /* default_capabilities: known names */

/* node settings (spec_node.c) */
int spec_add_rlimits(struct spec_ctx *c, struct cric_error **err);
void spec_add_pids_limit(struct spec_ctx *c, struct json_object *resources);
int spec_add_default_mounts(struct spec_ctx *c, struct cric_error **err);
bool spec_rejects_absent(const struct spec_ctx *c, const char *host_path);
/* Whether the handler's allowed_annotations let annotation key take effect. */
bool spec_annotation_allowed(const struct spec_ctx *c, const char *key);
/* additional_devices entries checked: the format and that the host device exists (spec_devices.c) */
int spec_devices_check(char *const *additional, struct cric_error **err);
/* "name=value" of default_sysctls checked: a namespaced sysctl (spec_namespaces.c) */
int spec_sysctl_default_check(const char *entry, struct cric_error **err);
/* a seccomp profile file read and checked (spec_seccomp.c) */
int spec_seccomp_load(const char *path, struct json_object **ret, struct cric_error **err);

/* the built-in RuntimeDefault seccomp profile for a process holding caps (seccomp_default.c) */
struct json_object *seccomp_default_profile(uint64_t caps);

/* user resolution (spec_user.c) */
struct spec_user {
        uint32_t uid, gid;
        uint32_t *gids; /* additional gids, the primary one first */
        size_t n_gids;
};
int spec_user_resolve(const char *rootfs, const struct oci_security_context *sec, const char *image_user,
                      struct spec_user *ret, struct cric_error **err);

/* resources (spec_resources.c) */
int spec_resources_build(const struct oci_resources *res, const struct oci_host *host, struct json_object *ret,
                         struct cric_error **err);
int spec_cgroups_path(const struct oci_host *host, const char *parent, const char *id, char **ret,
                      struct cric_error **err);
int spec_oom_score_adj(const struct spec_ctx *c, int64_t want, struct cric_error **err);

/* mountinfo (spec_mounts.c): the mount point holding path and its propagation */
int spec_find_mount(const char *mountinfo, const char *path, char **ret_mountpoint, bool *ret_shared, bool *ret_slave,
                    struct cric_error **err);

/* OCI hooks (hooks.c, spec_hooks.c) */
#define HOOK_SCHEMA_VERSION "1.0.0"
enum hook_stage {
        HOOK_PRESTART = 0,
        HOOK_CREATE_RUNTIME,
        HOOK_CREATE_CONTAINER,
        HOOK_START_CONTAINER,
        HOOK_POSTSTART,
        HOOK_POSTSTOP,
        HOOK_STAGE_MAX,
        HOOK_STAGE_INVALID = -1,
};
const char *hook_stage_name(enum hook_stage s); /* the config.json key; NULL when out of range */

/* One parsed hook file. Conditions are POSIX extended regular expressions. */
struct oci_hook {
        char *name; /* file name, for messages */
        char *path;
        char **args, **env; /* NULL: not given */
        int64_t timeout_s;  /* 0: not given */
        unsigned stages;    /* bit (1 << enum hook_stage) */
        bool has_always, always;
        bool has_bind_mounts_cond, bind_mounts;
        bool has_annotations, has_commands;
        regex_t *ann_keys, *ann_values; /* pairs */
        size_t n_annotations;
        regex_t *commands;
        size_t n_commands;
};
struct oci_hooks {
        struct oci_hook **hooks; /* in file name order */
        size_t n;
};
/* Parses one hook file; name is kept for messages. CRIC_E_INVALID saying what is wrong. */
int hook_parse(const char *data, size_t len, const char *name, struct oci_hook **ret, struct cric_error **err);
struct oci_hook *hook_free(struct oci_hook *h);
void hook_freep(struct oci_hook **h);

/* What "when" is matched against. */
struct hook_subject {
        struct json_object *annotations;        /* the spec's annotations object; may be NULL */
        const struct oci_kv *extra_annotations; /* the pod's */
        size_t n_extra_annotations;
        const char *command; /* process.args[0]; NULL: none */
        bool has_bind_mounts;
};
bool hook_matches(const struct oci_hook *h, const struct hook_subject *s);
/* Appends the hooks of hs that match s to spec["hooks"][stage], keeping what is there. */
void spec_hooks_inject(struct json_object *spec, const struct oci_hooks *hs, const struct hook_subject *s);
int spec_add_hooks(struct spec_ctx *c, struct cric_error **err); /* the step: containers only */

#endif
