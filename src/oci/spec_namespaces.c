/* linux.namespaces (the pod's pinned ones joined, per the CRI's namespace modes) and
 * linux.sysctl (only the namespaced sysctls the pod owns). */
#include <stdio.h>
#include <string.h>

#include "oci/internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

static void add_ns(struct spec_ctx *c, const char *type, const char *path) {
        struct json_object *list = NULL;
        if (!json_object_object_get_ex(c->lnx, "namespaces", &list)) {
                list = jx_array();
                jx_add(c->lnx, "namespaces", list);
        }
        struct json_object *ns = jx_object();
        spec_set_str(ns, "type", type);
        if (!str_empty(path))
                spec_set_str(ns, "path", path);
        jx_append(list, ns);
}

static const char *mode_name(enum oci_ns_mode m) {
        static const char *const names[] = {"POD", "CONTAINER", "NODE", "TARGET"};
        return m >= 0 && m < OCI_NS_MODE_MAX ? names[m] : "invalid";
}

/* network or ipc: POD joins the pinned one (a new one when none is pinned), CONTAINER
 * gets its own, NODE stays in the host's. Returns whether there is a namespace entry. */
static int shared_ns(struct spec_ctx *c, const char *type, enum oci_ns_mode mode, const char *pinned, bool *ret_has,
                     struct cric_error **err) {
        switch (mode) {
        case OCI_NS_POD: add_ns(c, type, pinned); break;
        case OCI_NS_CONTAINER: add_ns(c, type, NULL); break;
        case OCI_NS_NODE: *ret_has = false; return 0;
        default:
                return cric_error_set(err, CRIC_E_INVALID, "%s: %s namespace mode %s is not supported", c->what, type,
                                      mode_name(mode));
        }
        *ret_has = true;
        return 0;
}

static int container_pid_ns(struct spec_ctx *c, struct cric_error **err) {
        const struct oci_namespace_options *ns = &c->sec->ns;
        switch (ns->pid) {
        case OCI_NS_POD:
                if (c->sb->pause_pid > 0) {
                        char path[64];
                        snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int) c->sb->pause_pid);
                        add_ns(c, "pid", path);
                } else {
                        add_ns(c, "pid", NULL);
                }
                return 0;
        case OCI_NS_CONTAINER: add_ns(c, "pid", NULL); return 0;
        case OCI_NS_NODE: return 0;
        case OCI_NS_TARGET:
                if (str_empty(ns->target_pid_ns_path) || ns->target_pid_ns_path[0] != '/')
                        return cric_error_set(err, CRIC_E_INVALID,
                                              "%s: pid namespace mode TARGET without the target's namespace", c->what);
                add_ns(c, "pid", ns->target_pid_ns_path);
                return 0;
        default:
                return cric_error_set(err, CRIC_E_INVALID, "%s: pid namespace mode %s is not supported", c->what,
                                      mode_name(ns->pid));
        }
}

/* The infra process makes the pod's PID namespace, unless the pod uses the host's. */
static int infra_pid_ns(struct spec_ctx *c, struct cric_error **err) {
        enum oci_ns_mode m = c->sec->ns.pid;
        if (m == OCI_NS_NODE)
                return 0;
        if (m != OCI_NS_POD && m != OCI_NS_CONTAINER)
                return cric_error_set(err, CRIC_E_INVALID, "%s: pid namespace mode %s is not supported for a pod",
                                      c->what, mode_name(m));
        add_ns(c, "pid", NULL);
        return 0;
}

int spec_add_namespaces(struct spec_ctx *c, struct cric_error **err) {
        const struct oci_namespace_options *ns = &c->sec->ns;
        if ((c->in ? container_pid_ns(c, err) : infra_pid_ns(c, err)) < 0)
                return -1;
        if (shared_ns(c, "network", ns->network, c->sb->netns_path, &c->has_netns, err) < 0 ||
            shared_ns(c, "ipc", ns->ipc, c->sb->ipcns_path, &c->has_ipcns, err) < 0)
                return -1;
        /* A pod on the host network also keeps the host's name (the kubelet's rule). */
        if (c->has_netns) {
                add_ns(c, "uts", c->sb->utsns_path);
                c->has_new_uts = str_empty(c->sb->utsns_path);
        }
        /* joined by path: the runtime sets no mappings of its own */
        if (!str_empty(c->sb->userns_path))
                add_ns(c, "user", c->sb->userns_path);
        add_ns(c, "mount", NULL);
        if (c->host->is_cgroup_v2)
                add_ns(c, "cgroup", NULL);
        return 0;
}

static bool has_prefix(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Which namespace a sysctl lives in: 'n' network, 'i' IPC, 0 none we allow. */
static char sysctl_ns(const char *name) {
        if (has_prefix(name, "net."))
                return 'n';
        if (has_prefix(name, "kernel.shm") || has_prefix(name, "kernel.msg") || strcmp(name, "kernel.sem") == 0 ||
            has_prefix(name, "fs.mqueue."))
                return 'i';
        return 0;
}

/* "net/ipv4/ip_forward" is the slash form of "net.ipv4.ip_forward" (sysctl(8)): the
 * first separator tells which form it is, and in slash form dots are literal. */
static char *normalize(const char *name) {
        char *s = xstrdup(name);
        size_t sep = strcspn(s, "./");
        if (s[sep] != '/')
                return s;
        for (char *p = s; *p; p++)
                *p = *p == '/' ? '.' : *p == '.' ? '/' : *p;
        return s;
}

/* Splits "name=value" (default_sysctls); the name is normalized. NULL when malformed. */
static char *split_default(const char *entry, const char **ret_value) {
        const char *eq = entry ? strchr(entry, '=') : NULL;
        if (!eq || eq == entry)
                return NULL;
        AUTOFREE char *raw = xstrndup(entry, (size_t) (eq - entry));
        *ret_value = eq + 1;
        return normalize(raw);
}

int spec_sysctl_default_check(const char *entry, struct cric_error **err) {
        const char *value = NULL;
        AUTOFREE char *name = split_default(entry, &value);
        if (!name)
                return cric_error_set(err, CRIC_E_INVALID, "default_sysctls: \"%s\" is not name=value",
                                      entry ? entry : "");
        if (sysctl_ns(name) == 0)
                return cric_error_set(err, CRIC_E_INVALID, "default_sysctls: sysctl \"%s\" is not namespaced", name);
        return 0;
}

/* The node's default_sysctls under the pod's own: one whose namespace the pod shares
 * with the host is left out (a default must not fail host-network pods). */
static int add_default_sysctls(struct spec_ctx *c, struct json_object *out, struct cric_error **err) {
        for (char *const *d = c->node->default_sysctls; d && *d; d++) {
                if (spec_sysctl_default_check(*d, err) < 0)
                        return -1;
                const char *value = NULL;
                AUTOFREE char *name = split_default(*d, &value);
                if (json_object_object_get_ex(out, name, NULL))
                        continue;
                char ns = sysctl_ns(name);
                if ((ns == 'n' && !c->has_netns) || (ns == 'i' && !c->has_ipcns)) {
                        log_debug("%s: default sysctl %s left out: the pod shares the host's namespace", c->what, name);
                        continue;
                }
                spec_set_str(out, name, value);
        }
        return 0;
}

int spec_add_sysctls(struct spec_ctx *c, struct cric_error **err) {
        if (c->sb->n_sysctls == 0 && !(c->node->default_sysctls && *c->node->default_sysctls))
                return 0;
        struct json_object *out = spec_obj(c->lnx, "sysctl");
        for (size_t i = 0; i < c->sb->n_sysctls; i++) {
                const struct oci_kv *kv = &c->sb->sysctls[i];
                if (str_empty(kv->key))
                        return cric_error_set(err, CRIC_E_INVALID, "%s: empty sysctl name", c->what);
                AUTOFREE char *name = normalize(kv->key);
                char ns = sysctl_ns(name);
                if (ns == 0)
                        return cric_error_set(err, CRIC_E_INVALID, "%s: sysctl \"%s\" is not namespaced", c->what,
                                              kv->key);
                if (ns == 'n' && !c->has_netns)
                        return cric_error_set(err, CRIC_E_INVALID,
                                              "%s: sysctl \"%s\" needs the pod's own network namespace", c->what,
                                              kv->key);
                if (ns == 'i' && !c->has_ipcns)
                        return cric_error_set(err, CRIC_E_INVALID,
                                              "%s: sysctl \"%s\" needs the pod's own IPC namespace", c->what, kv->key);
                spec_set_str(out, name, kv->value ? kv->value : "");
        }
        if (add_default_sysctls(c, out, err) < 0)
                return -1;
        if (json_object_object_length(out) == 0)
                json_object_object_del(c->lnx, "sysctl");
        return 0;
}
