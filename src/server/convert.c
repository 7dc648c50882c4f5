/* CRI request messages -> the runtime's plain inputs (runtime/runtime.h and
 * oci/spec_types.h). Strings and repeated strings are borrowed from the messages; maps,
 * env pairs, mounts and devices are rebuilt in the arena. Empty proto strings become
 * NULL ("not given"). */
#include "server/convert.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/ctr_signal.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* Every CRI map entry is {base, key, value}; one helper reads them all. */
struct map_entry {
        ProtobufCMessage base;
        char *key;
        char *value;
};
#define CHECK_MAP_ENTRY(T)                                                                                             \
        _Static_assert(offsetof(T, key) == offsetof(struct map_entry, key) &&                                          \
                               offsetof(T, value) == offsetof(struct map_entry, value),                                \
                       #T " is not a string map entry")
CHECK_MAP_ENTRY(Runtime__V1__ContainerConfig__AnnotationsEntry);
CHECK_MAP_ENTRY(Runtime__V1__PodSandboxConfig__AnnotationsEntry);
CHECK_MAP_ENTRY(Runtime__V1__LinuxPodSandboxConfig__SysctlsEntry);
CHECK_MAP_ENTRY(Runtime__V1__LinuxContainerResources__UnifiedEntry);
CHECK_MAP_ENTRY(Runtime__V1__PodSandboxConfig__LabelsEntry);
CHECK_MAP_ENTRY(Runtime__V1__ContainerConfig__LabelsEntry);
CHECK_MAP_ENTRY(Runtime__V1__ImageSpec__AnnotationsEntry);

static const char *nonempty(const char *s) {
        return s && *s ? s : NULL;
}

static const struct oci_kv *kv_of(void *const *entries, size_t n, struct arena *a, size_t *ret_n) {
        struct oci_kv *kv = arena_calloc(a, n, sizeof(*kv));
        for (size_t i = 0; i < n; i++) {
                const struct map_entry *e = entries[i];
                kv[i] = (struct oci_kv){e->key, e->value};
        }
        *ret_n = n;
        return kv;
}
#define KV_OF(entries, n, a, ret_n) kv_of((void *const *) (entries), (n), (a), (ret_n))

static int check_enum(int v, int max, const char *what, const char *field, struct cric_error **err) {
        if (v < 0 || v >= max)
                return cric_error_set(err, CRIC_E_INVALID, "%s: %s: unknown value %d", what, field, v);
        return 0;
}

/* ---- security context parts shared by pods and containers ---- */

static const struct idmap *idmaps_of(Runtime__V1__IDMapping **m, size_t n, struct arena *a) {
        struct idmap *out = arena_calloc(a, n, sizeof(*out));
        for (size_t i = 0; i < n; i++)
                out[i] = (struct idmap){m[i]->container_id, m[i]->host_id, m[i]->length};
        return out;
}

/* POD with mappings: the pod's own user namespace (hostUsers: false); NODE (or POD
 * without mappings, what older kubelets send) means the host's. */
static int userns_of(const Runtime__V1__UserNamespace *u, const char *what, struct arena *a,
                     struct oci_namespace_options *ret, struct cric_error **err) {
        if (!u)
                return 0;
        if (check_enum(u->mode, OCI_NS_MODE_MAX, what, "namespace_options.userns_options.mode", err) < 0)
                return -1;
        if (u->mode == RUNTIME__V1__NAMESPACE_MODE__NODE)
                return 0;
        if (u->mode != RUNTIME__V1__NAMESPACE_MODE__POD)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "%s: namespace_options.userns_options.mode must be POD or NODE", what);
        if (!u->n_uids && !u->n_gids)
                return 0;
        ret->uids = idmaps_of(u->uids, u->n_uids, a);
        ret->n_uids = u->n_uids;
        ret->gids = idmaps_of(u->gids, u->n_gids, a);
        ret->n_gids = u->n_gids;
        AUTOFREE char *uw = xasprintf("%s: namespace_options.userns_options.uids", what);
        AUTOFREE char *gw = xasprintf("%s: namespace_options.userns_options.gids", what);
        if (idmap_check(ret->uids, ret->n_uids, uw, err) < 0 || idmap_check(ret->gids, ret->n_gids, gw, err) < 0)
                return -1;
        if (idmap_to_host(ret->uids, ret->n_uids, 0) == UINT32_MAX ||
            idmap_to_host(ret->gids, ret->n_gids, 0) == UINT32_MAX)
                return cric_error_set(err, CRIC_E_INVALID, "%s: the user namespace must map user and group 0", what);
        return 0;
}

/* target_pid_ns_path is left for the caller, which knows where the target_id's
 * namespace lives. */
static int ns_of(const Runtime__V1__NamespaceOption *o, const char *what, struct arena *a,
                 struct oci_namespace_options *ret, struct cric_error **err) {
        *ret = (struct oci_namespace_options){0};
        if (!o)
                return 0;
        if (check_enum(o->network, OCI_NS_MODE_MAX, what, "namespace_options.network", err) < 0 ||
            check_enum(o->pid, OCI_NS_MODE_MAX, what, "namespace_options.pid", err) < 0 ||
            check_enum(o->ipc, OCI_NS_MODE_MAX, what, "namespace_options.ipc", err) < 0)
                return -1;
        if (o->pid == RUNTIME__V1__NAMESPACE_MODE__TARGET && !nonempty(o->target_id))
                return cric_error_set(err, CRIC_E_INVALID, "%s: namespace_options.pid is TARGET but target_id is empty",
                                      what);
        if (userns_of(o->userns_options, what, a, ret, err) < 0)
                return -1;
        ret->network = (enum oci_ns_mode) o->network;
        ret->pid = (enum oci_ns_mode) o->pid;
        ret->ipc = (enum oci_ns_mode) o->ipc;
        return 0;
}

/* is_set follows the message's presence. */
static int profile_of(const Runtime__V1__SecurityProfile *p, const char *what, const char *field,
                      struct oci_security_profile *ret, struct cric_error **err) {
        *ret = (struct oci_security_profile){0};
        if (!p)
                return 0;
        if (check_enum(p->profile_type, OCI_PROFILE_TYPE_MAX, what, field, err) < 0)
                return -1;
        *ret = (struct oci_security_profile){
                .is_set = true,
                .type = (enum oci_profile_type) p->profile_type,
                .localhost_ref = nonempty(p->localhost_ref),
        };
        return 0;
}

static void selinux_of(const Runtime__V1__SELinuxOption *o, struct oci_selinux_options *ret) {
        *ret = (struct oci_selinux_options){0};
        if (o)
                *ret = (struct oci_selinux_options){nonempty(o->user), nonempty(o->role), nonempty(o->type),
                                                    nonempty(o->level)};
}

/* run_as_user / run_as_group / run_as_username; the checks and their wording are those
 * of oci/spec_user.c, so a request reads the same whichever layer refuses it. */
static int ids_of(const Runtime__V1__Int64Value *user, const Runtime__V1__Int64Value *group, const char *username,
                  const char *what, struct oci_security_context *s, struct cric_error **err) {
        s->has_run_as_user = user != NULL;
        s->run_as_user = user ? user->value : 0;
        s->has_run_as_group = group != NULL;
        s->run_as_group = group ? group->value : 0;
        s->run_as_username = nonempty(username);
        if (s->has_run_as_group && !s->has_run_as_user && !s->run_as_username)
                return cric_error_set(err, CRIC_E_INVALID, "%s: run_as_group needs run_as_user or run_as_username",
                                      what);
        if (s->has_run_as_user && s->run_as_username)
                return cric_error_set(err, CRIC_E_INVALID, "%s: run_as_user and run_as_username are mutually exclusive",
                                      what);
        return 0;
}

static int groups_of(const int64_t *groups, size_t n, Runtime__V1__SupplementalGroupsPolicy policy, const char *what,
                     struct oci_security_context *s, struct cric_error **err) {
        if (check_enum(policy, OCI_GROUPS_POLICY_MAX, what, "supplemental_groups_policy", err) < 0)
                return -1;
        s->supplemental_groups = n ? groups : NULL;
        s->n_supplemental_groups = n;
        s->groups_policy = (enum oci_groups_policy) policy;
        return 0;
}

/* The deprecated string forms, which older kubelets still send. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static const char *legacy_seccomp(const Runtime__V1__LinuxContainerSecurityContext *sc) {
        return nonempty(sc->seccomp_profile_path);
}
static const char *legacy_apparmor(const Runtime__V1__LinuxContainerSecurityContext *sc) {
        return nonempty(sc->apparmor_profile);
}
static const char *legacy_pod_seccomp(const Runtime__V1__LinuxSandboxSecurityContext *sc) {
        return nonempty(sc->seccomp_profile_path);
}
#pragma GCC diagnostic pop

/* ---- the container's security context ---- */

static void caps_of(const Runtime__V1__Capability *c, struct oci_capabilities *ret) {
        *ret = (struct oci_capabilities){0};
        if (!c)
                return;
        *ret = (struct oci_capabilities){
                .add = c->add_capabilities,
                .n_add = c->n_add_capabilities,
                .drop = c->drop_capabilities,
                .n_drop = c->n_drop_capabilities,
                .add_ambient = c->add_ambient_capabilities,
                .n_add_ambient = c->n_add_ambient_capabilities,
        };
}

static int container_security_of(const Runtime__V1__LinuxContainerSecurityContext *sc, const char *what,
                                 struct arena *a, struct oci_security_context *ret, struct cric_error **err) {
        *ret = (struct oci_security_context){0};
        if (!sc)
                return 0;
        ret->is_privileged = sc->privileged;
        ret->is_readonly_rootfs = sc->readonly_rootfs;
        ret->no_new_privs = sc->no_new_privs;
        caps_of(sc->capabilities, &ret->caps);
        if (ns_of(sc->namespace_options, what, a, &ret->ns, err) < 0 ||
            ids_of(sc->run_as_user, sc->run_as_group, sc->run_as_username, what, ret, err) < 0 ||
            groups_of(sc->supplemental_groups, sc->n_supplemental_groups, sc->supplemental_groups_policy, what, ret,
                      err) < 0 ||
            profile_of(sc->seccomp, what, "seccomp.profile_type", &ret->seccomp, err) < 0 ||
            profile_of(sc->apparmor, what, "apparmor.profile_type", &ret->apparmor, err) < 0)
                return -1;
        ret->masked_paths = sc->masked_paths;
        ret->n_masked_paths = sc->n_masked_paths;
        ret->readonly_paths = sc->readonly_paths;
        ret->n_readonly_paths = sc->n_readonly_paths;
        ret->seccomp_profile_path = legacy_seccomp(sc);
        ret->apparmor_profile = legacy_apparmor(sc);
        selinux_of(sc->selinux_options, &ret->selinux);
        return 0;
}

/* ---- the pod ---- */

static int sandbox_security_of(const Runtime__V1__LinuxSandboxSecurityContext *sc, const char *what, struct arena *a,
                               struct oci_security_context *ret, struct cric_error **err) {
        *ret = (struct oci_security_context){0};
        if (!sc)
                return 0;
        ret->is_privileged = sc->privileged;
        ret->is_readonly_rootfs = sc->readonly_rootfs;
        if (ns_of(sc->namespace_options, what, a, &ret->ns, err) < 0 ||
            ids_of(sc->run_as_user, sc->run_as_group, NULL, what, ret, err) < 0 ||
            groups_of(sc->supplemental_groups, sc->n_supplemental_groups, sc->supplemental_groups_policy, what, ret,
                      err) < 0 ||
            profile_of(sc->seccomp, what, "seccomp.profile_type", &ret->seccomp, err) < 0 ||
            profile_of(sc->apparmor, what, "apparmor.profile_type", &ret->apparmor, err) < 0)
                return -1;
        ret->seccomp_profile_path = legacy_pod_seccomp(sc);
        selinux_of(sc->selinux_options, &ret->selinux);
        return 0;
}

/* A Kubernetes resource quantity ("10M", "1Gi", "500k", "100"): bits per second for
 * the bandwidth annotations. false when malformed. */
static bool parse_quantity(const char *s, uint64_t *ret) {
        static const struct {
                const char *suffix;
                double mult;
        } units[] = {{"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
                     {"k", 1e3},     {"M", 1e6},        {"G", 1e9},           {"T", 1e12},
                     {"P", 1e15},    {"", 1.0}};
        char *end = NULL;
        double v = strtod(s, &end);
        if (end == s || v < 0)
                return false;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
                if (!strcmp(end, units[i].suffix)) {
                        *ret = (uint64_t) (v * units[i].mult);
                        return true;
                }
        }
        return false;
}

static const char *protocol_name(Runtime__V1__Protocol p) {
        switch (p) {
        case RUNTIME__V1__PROTOCOL__UDP: return "udp";
        case RUNTIME__V1__PROTOCOL__SCTP: return "sctp";
        default: return "tcp";
        }
}

/* Only hostPort mappings go to CNI. */
static void ports_of(const Runtime__V1__PodSandboxConfig *c, struct arena *a, struct pod_config *ret) {
        struct cni_port_mapping *ports = arena_calloc(a, c->n_port_mappings, sizeof(*ports));
        for (size_t i = 0; i < c->n_port_mappings; i++) {
                const Runtime__V1__PortMapping *pm = c->port_mappings[i];
                if (pm->host_port <= 0)
                        continue;
                ports[ret->n_port_mappings++] = (struct cni_port_mapping){
                        .host_port = pm->host_port,
                        .container_port = pm->container_port,
                        .protocol = protocol_name(pm->protocol),
                        .host_ip = pm->host_ip,
                };
        }
        ret->port_mappings = ports;
}

/* The kubernetes.io/{ingress,egress}-bandwidth annotations. */
static int bandwidth_of(const Runtime__V1__PodSandboxConfig *c, const char *what, struct arena *a,
                        struct pod_config *ret, struct cric_error **err) {
        struct cni_bandwidth bw = {0};
        bool has_bw = false;
        for (size_t i = 0; i < c->n_annotations; i++) {
                const char *k = c->annotations[i]->key, *v = c->annotations[i]->value;
                uint64_t *rate = !strcmp(k, "kubernetes.io/ingress-bandwidth")  ? &bw.ingress_rate
                                 : !strcmp(k, "kubernetes.io/egress-bandwidth") ? &bw.egress_rate
                                                                                : NULL;
                if (!rate)
                        continue;
                if (!parse_quantity(v, rate))
                        return cric_error_set(err, CRIC_E_INVALID, "%s: annotation %s: \"%s\" is not a quantity", what,
                                              k, v);
                has_bw = true;
        }
        if (!has_bw)
                return 0;
        /* The bandwidth plugin needs a burst; the kubelet's own choice is "no limit". */
        if (bw.ingress_rate)
                bw.ingress_burst = INT32_MAX;
        if (bw.egress_rate)
                bw.egress_burst = INT32_MAX;
        struct cni_bandwidth *kept = arena_calloc(a, 1, sizeof(*kept));
        *kept = bw;
        ret->bandwidth = kept;
        return 0;
}

/* protobuf-c leaves repeated strings unterminated: NULL-terminated copies of the arrays. */
static char **strv_of(char *const *v, size_t n, struct arena *a) {
        char **out = arena_calloc(a, n + 1, sizeof(*out));
        for (size_t i = 0; i < n; i++)
                out[i] = v[i];
        return out;
}

static void dns_of(const Runtime__V1__DNSConfig *d, struct arena *a, struct pod_config *ret) {
        if (!d)
                return;
        struct pod_dns *dns = arena_calloc(a, 1, sizeof(*dns));
        *dns = (struct pod_dns){strv_of(d->servers, d->n_servers, a), strv_of(d->searches, d->n_searches, a),
                                strv_of(d->options, d->n_options, a)};
        ret->dns = dns;
}

int convert_pod_config(const Runtime__V1__PodSandboxConfig *c, const char *runtime_handler, struct arena *a,
                       struct pod_config *ret, struct cric_error **err) {
        *ret = (struct pod_config){0};
        if (!c || !c->metadata || !nonempty(c->metadata->name) || !nonempty(c->metadata->namespace_) ||
            !nonempty(c->metadata->uid))
                return cric_error_set(err, CRIC_E_INVALID, "metadata name, namespace and uid are required");
        const Runtime__V1__PodSandboxMetadata *md = c->metadata;
        AUTOFREE char *what = xasprintf("pod \"%s_%s\"", md->name, md->namespace_);
        *ret = (struct pod_config){
                .name = md->name,
                .namespace = md->namespace_,
                .uid = md->uid,
                .attempt = md->attempt,
                .hostname = nonempty(c->hostname),
                .log_directory = nonempty(c->log_directory),
                .runtime_handler = runtime_handler ? runtime_handler : "",
        };
        ret->labels = KV_OF(c->labels, c->n_labels, a, &ret->n_labels);
        ret->annotations = KV_OF(c->annotations, c->n_annotations, a, &ret->n_annotations);
        dns_of(c->dns_config, a, ret);
        ports_of(c, a, ret);
        if (bandwidth_of(c, what, a, ret, err) < 0)
                return -1;
        ret->security.ns = (struct oci_namespace_options){.pid = OCI_NS_CONTAINER};
        const Runtime__V1__LinuxPodSandboxConfig *lc = c->linux;
        if (!lc)
                return 0;
        ret->cgroup_parent = nonempty(lc->cgroup_parent);
        ret->sysctls = KV_OF(lc->sysctls, lc->n_sysctls, a, &ret->n_sysctls);
        if (sandbox_security_of(lc->security_context, what, a, &ret->security, err) < 0)
                return -1;
        if (!lc->security_context || !lc->security_context->namespace_options)
                ret->security.ns.pid = OCI_NS_CONTAINER;
        return 0;
}

/* ---- the container ---- */

void convert_resources(const Runtime__V1__LinuxContainerResources *r, struct arena *a, struct oci_resources *ret) {
        *ret = (struct oci_resources){0};
        if (!r)
                return;
        *ret = (struct oci_resources){
                .cpu_period = r->cpu_period,
                .cpu_quota = r->cpu_quota,
                .cpu_shares = r->cpu_shares,
                .memory_limit_in_bytes = r->memory_limit_in_bytes,
                .memory_swap_limit_in_bytes = r->memory_swap_limit_in_bytes,
                .oom_score_adj = r->oom_score_adj,
                .cpuset_cpus = nonempty(r->cpuset_cpus),
                .cpuset_mems = nonempty(r->cpuset_mems),
        };
        struct oci_hugepage_limit *hp = arena_calloc(a, r->n_hugepage_limits, sizeof(*hp));
        for (size_t i = 0; i < r->n_hugepage_limits; i++)
                hp[i] = (struct oci_hugepage_limit){r->hugepage_limits[i]->page_size, r->hugepage_limits[i]->limit};
        ret->hugepage_limits = hp;
        ret->n_hugepage_limits = r->n_hugepage_limits;
        ret->unified = KV_OF(r->unified, r->n_unified, a, &ret->n_unified);
}

/* "KEY=VALUE" strings; the CRI value is bytes, so a NUL in it can't be passed on. */
static int env_of(const Runtime__V1__ContainerConfig *c, const char *what, struct arena *a,
                  struct oci_container_input *ret, struct cric_error **err) {
        char **env = arena_calloc(a, c->n_envs, sizeof(*env));
        for (size_t i = 0; i < c->n_envs; i++) {
                const Runtime__V1__KeyValue *kv = c->envs[i];
                if (!nonempty(kv->key) || strchr(kv->key, '='))
                        return cric_error_set(err, CRIC_E_INVALID, "%s: env name \"%s\" is empty or holds '='", what,
                                              kv->key ? kv->key : "");
                if (kv->value.len && memchr(kv->value.data, '\0', kv->value.len))
                        return cric_error_set(err, CRIC_E_INVALID, "%s: env %s: the value holds a NUL byte", what,
                                              kv->key);
                env[i] = arena_keep(a, xasprintf("%s=%.*s", kv->key, (int) kv->value.len,
                                                 kv->value.len ? (const char *) kv->value.data : ""));
        }
        ret->env = env;
        ret->n_env = c->n_envs;
        return 0;
}

static int mount_of(const Runtime__V1__Mount *m, size_t i, const char *what, struct arena *a, struct oci_mount *ret,
                    struct cric_error **err) {
        if (!nonempty(m->container_path))
                return cric_error_set(err, CRIC_E_INVALID, "%s: mount %zu: container_path is empty", what, i);
        if (m->image && nonempty(m->host_path))
                return cric_error_set(err, CRIC_E_INVALID, "%s: mount %s: host_path and image are mutually exclusive",
                                      what, m->container_path);
        const char *image = m->image ? nonempty(m->image->image) : NULL;
        if (m->image && !image)
                return cric_error_set(err, CRIC_E_INVALID, "%s: mount %s: the image volume names no image", what,
                                      m->container_path);
        const char *sub = nonempty(m->image_sub_path);
        if (sub && !image)
                return cric_error_set(err, CRIC_E_INVALID, "%s: mount %s: image_sub_path without an image", what,
                                      m->container_path);
        if (sub && (sub[0] == '/' || !strcmp(sub, "..") || !strncmp(sub, "../", 3) || strstr(sub, "/../") ||
                    (strlen(sub) >= 3 && !strcmp(sub + strlen(sub) - 3, "/.."))))
                return cric_error_set(err, CRIC_E_INVALID,
                                      "%s: mount %s: image_sub_path \"%s\" must be a relative path inside the image",
                                      what, m->container_path, sub);
        if ((m->n_uidmappings != 0) != (m->n_gidmappings != 0))
                return cric_error_set(err, CRIC_E_INVALID,
                                      "%s: mount %s: an idmapped mount needs both uid and gid mappings", what,
                                      m->container_path);
        if (m->n_uidmappings && image)
                return cric_error_set(err, CRIC_E_UNIMPLEMENTED, "%s: mount %s: an image volume cannot be idmapped",
                                      what, m->container_path);
        if (m->propagation < 0 || m->propagation >= (int) OCI_PROPAGATION_MAX)
                return cric_error_set(err, CRIC_E_INVALID, "%s: mount %s: propagation: unknown value %d", what,
                                      m->container_path, m->propagation);
        *ret = (struct oci_mount){
                .container_path = m->container_path,
                .host_path = m->host_path,
                .is_readonly = m->readonly,
                .selinux_relabel = m->selinux_relabel,
                .is_recursive_read_only = m->recursive_read_only,
                .propagation = (enum oci_propagation) m->propagation,
                .image = image,
                .image_sub_path = sub,
                .uids = idmaps_of(m->uidmappings, m->n_uidmappings, a),
                .n_uids = m->n_uidmappings,
                .gids = idmaps_of(m->gidmappings, m->n_gidmappings, a),
                .n_gids = m->n_gidmappings,
        };
        AUTOFREE char *mw = xasprintf("%s: mount %s", what, m->container_path);
        if (ret->n_uids &&
            (idmap_check(ret->uids, ret->n_uids, mw, err) < 0 || idmap_check(ret->gids, ret->n_gids, mw, err) < 0))
                return -1;
        return 0;
}

static int mounts_devices_of(const Runtime__V1__ContainerConfig *c, const char *what, struct arena *a,
                             struct oci_container_input *ret, struct cric_error **err) {
        struct oci_mount *mounts = arena_calloc(a, c->n_mounts, sizeof(*mounts));
        ret->mounts = mounts;
        for (size_t i = 0; i < c->n_mounts; i++)
                if (mount_of(c->mounts[i], i, what, a, &mounts[i], err) < 0)
                        return -1;
        ret->n_mounts = c->n_mounts;
        struct oci_device *devices = arena_calloc(a, c->n_devices, sizeof(*devices));
        for (size_t i = 0; i < c->n_devices; i++)
                devices[i] = (struct oci_device){
                        .container_path = nonempty(c->devices[i]->container_path),
                        .host_path = c->devices[i]->host_path,
                        .permissions = nonempty(c->devices[i]->permissions),
                };
        ret->devices = devices;
        ret->n_devices = c->n_devices;
        char **cdi = arena_calloc(a, c->n_cdi_devices, sizeof(*cdi));
        for (size_t i = 0; i < c->n_cdi_devices; i++)
                if (!nonempty(cdi[i] = c->cdi_devices[i]->name))
                        return cric_error_set(err, CRIC_E_INVALID, "%s: CDI device %zu has no name", what, i);
        ret->cdi_devices = cdi;
        ret->n_cdi_devices = c->n_cdi_devices;
        return 0;
}

int ctr_input_from_cri(const Runtime__V1__ContainerConfig *c, struct arena *a, struct oci_container_input *ret,
                       struct cric_error **err) {
        *ret = (struct oci_container_input){0};
        if (!c || !c->metadata || !nonempty(c->metadata->name))
                return cric_error_set(err, CRIC_E_INVALID, "container config has no metadata name");
        AUTOFREE char *what = xasprintf("container \"%s\"", c->metadata->name);
        ret->name = c->metadata->name;
        ret->command = c->command;
        ret->n_command = c->n_command;
        ret->args = c->args;
        ret->n_args = c->n_args;
        ret->working_dir = nonempty(c->working_dir);
        ret->tty = c->tty;
        ret->annotations = KV_OF(c->annotations, c->n_annotations, a, &ret->n_annotations);
        if (env_of(c, what, a, ret, err) < 0 || mounts_devices_of(c, what, a, ret, err) < 0)
                return -1;
        if (!c->linux)
                return 0;
        convert_resources(c->linux->resources, a, &ret->resources);
        return container_security_of(c->linux->security_context, what, a, &ret->security, err);
}

/* What the runtime keeps of the image spec and the container's metadata. */
int convert_container_config(const Runtime__V1__CreateContainerRequest *r, struct arena *a,
                             struct container_config *ret, struct cric_error **err) {
        *ret = (struct container_config){0};
        const Runtime__V1__ContainerConfig *c = r->config;
        if (!nonempty(r->pod_sandbox_id))
                return cric_error_set(err, CRIC_E_INVALID, "no pod id given");
        if (!c || !c->metadata || !nonempty(c->metadata->name))
                return cric_error_set(err, CRIC_E_INVALID, "the container metadata name is required");
        if (!c->image || !nonempty(c->image->image))
                return cric_error_set(err, CRIC_E_INVALID, "container \"%s\": no image given", c->metadata->name);
        if (ctr_input_from_cri(c, a, &ret->oci, err) < 0)
                return -1;
        ret->pod_id = r->pod_sandbox_id;
        ret->attempt = c->metadata->attempt;
        ret->image = c->image->image;
        ret->user_specified_image = nonempty(c->image->user_specified_image);
        ret->image_runtime_handler = nonempty(c->image->runtime_handler);
        ret->image_annotations = KV_OF(c->image->annotations, c->image->n_annotations, a, &ret->n_image_annotations);
        ret->labels = KV_OF(c->labels, c->n_labels, a, &ret->n_labels);
        ret->log_path = nonempty(c->log_path);
        ret->has_stdin = c->stdin;
        ret->is_stdin_once = c->stdin_once;
        const Runtime__V1__LinuxContainerSecurityContext *sc = c->linux ? c->linux->security_context : NULL;
        if (sc && sc->namespace_options)
                ret->pid_target_id = sc->namespace_options->target_id;
        if (c->stop_signal != RUNTIME__V1__SIGNAL__RUNTIME_DEFAULT &&
            ctr_signal_from_cri(c->stop_signal, &ret->stop_signal, err) < 0)
                return cric_error_prefix(err, "container \"%s\"", c->metadata->name);
        return 0;
}
