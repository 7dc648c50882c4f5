#include "server/pod_convert.h"

#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

struct map_entry {
        ProtobufCMessage base;
        char *key;
        char *value;
};

Runtime__V1__PodSandboxConfig *pod_config_of(const struct pod_row *pod) {
        Runtime__V1__PodSandboxConfig *c = runtime__v1__pod_sandbox_config__unpack(NULL, pod->config_len, pod->config);
        if (!c)
                log_error("pod %s: its stored config does not decode", pod->id);
        return c;
}

void *map_copy(void *const *from, size_t n, const ProtobufCMessageDescriptor *to_desc, size_t *ret_n) {
        struct map_entry **to = xcalloc(n ? n : 1, sizeof(*to));
        for (size_t i = 0; i < n; i++) {
                const struct map_entry *e = from[i];
                to[i] = xmalloc(to_desc->sizeof_message);
                protobuf_c_message_init(to_desc, to[i]);
                to[i]->key = xstrdup(e->key);
                to[i]->value = xstrdup(e->value);
        }
        *ret_n = n;
        return to;
}

bool map_includes(void *const *map, size_t n, void *const *selector, size_t n_selector) {
        for (size_t i = 0; i < n_selector; i++) {
                const struct map_entry *want = selector[i];
                bool found = false;
                for (size_t j = 0; j < n && !found; j++) {
                        const struct map_entry *have = map[j];
                        found = !strcmp(have->key, want->key) && !strcmp(have->value, want->value);
                }
                if (!found)
                        return false;
        }
        return true;
}

Runtime__V1__PodSandboxMetadata *pod_metadata_of(const struct pod_row *pod) {
        Runtime__V1__PodSandboxMetadata *m = xmalloc(sizeof(*m));
        runtime__v1__pod_sandbox_metadata__init(m);
        m->name = xstrdup(pod->name);
        m->namespace_ = xstrdup(pod->namespace);
        m->uid = xstrdup(pod->uid);
        m->attempt = pod->attempt;
        return m;
}

Runtime__V1__PodSandboxState pod_state_of(const struct pod_row *pod) {
        return pod->state == POD_ROW_READY ? RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY
                                           : RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_NOTREADY;
}

char *handler_binary(const struct cric_runtime_handler *h) {
        const char *p = *h->runtime_path ? h->runtime_path : h->name;
        return strchr(p, '/') ? xstrdup(p) : fs_find_in_path(p);
}

const char *pod_cgroup_parent(const struct cric_config *cfg, const Runtime__V1__PodSandboxConfig *pc) {
        if (pc && pc->linux && pc->linux->cgroup_parent && *pc->linux->cgroup_parent)
                return pc->linux->cgroup_parent;
        return cfg->cgroup_manager == CRIC_CGROUP_SYSTEMD ? "system.slice" : "/cric";
}

enum oci_cgroup_driver pod_cgroup_driver(const struct cric_config *cfg) {
        return cfg->cgroup_manager == CRIC_CGROUP_SYSTEMD ? OCI_CGROUP_SYSTEMD : OCI_CGROUP_CGROUPFS;
}
