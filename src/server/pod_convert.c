#include "server/pod_convert.h"

#include <stdlib.h>

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
