#include "server/reply.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct map_entry {
        ProtobufCMessage base;
        char *key;
        char *value;
};

ProtobufCMessage *reply_empty(const ProtobufCMessageDescriptor *d) {
        ProtobufCMessage *m = xmalloc(d->sizeof_message);
        protobuf_c_message_init(d, m);
        return m;
}

void *reply_map(char *const *pairs, const ProtobufCMessageDescriptor *d, size_t *ret_n) {
        size_t n = 0;
        while (pairs && pairs[2 * n] && pairs[2 * n + 1])
                n++;
        struct map_entry **to = xcalloc(n ? n : 1, sizeof(*to));
        for (size_t i = 0; i < n; i++) {
                to[i] = (struct map_entry *) reply_empty(d);
                to[i]->key = xstrdup(pairs[2 * i]);
                to[i]->value = xstrdup(pairs[2 * i + 1]);
        }
        *ret_n = n;
        return to;
}

char **reply_pairs(void *const *entries, size_t n) {
        char **v = xcalloc(2 * n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++) {
                const struct map_entry *e = entries[i];
                v[2 * i] = e->key;
                v[2 * i + 1] = e->value;
        }
        return v;
}

Runtime__V1__PodSandboxMetadata *reply_pod_metadata(const struct pod_info *p) {
        Runtime__V1__PodSandboxMetadata *m = xmalloc(sizeof(*m));
        runtime__v1__pod_sandbox_metadata__init(m);
        m->name = xstrdup(p->name);
        m->namespace_ = xstrdup(p->namespace);
        m->uid = xstrdup(p->uid);
        m->attempt = p->attempt;
        return m;
}

Runtime__V1__PodSandboxState reply_pod_state(enum pod_state s) {
        return s == POD_READY ? RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY
                              : RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_NOTREADY;
}

Runtime__V1__ContainerMetadata *reply_ctr_metadata(const struct container_info *c) {
        Runtime__V1__ContainerMetadata *m = xmalloc(sizeof(*m));
        runtime__v1__container_metadata__init(m);
        m->name = xstrdup(c->name);
        m->attempt = c->attempt;
        return m;
}

Runtime__V1__ContainerState reply_ctr_state(enum container_state s) {
        switch (s) {
        case CONTAINER_CREATED: return RUNTIME__V1__CONTAINER_STATE__CONTAINER_CREATED;
        case CONTAINER_RUNNING: return RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING;
        case CONTAINER_EXITED: return RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED;
        }
        return RUNTIME__V1__CONTAINER_STATE__CONTAINER_UNKNOWN;
}

Runtime__V1__ImageSpec *reply_image_spec(const struct container_info *c) {
        Runtime__V1__ImageSpec *s = xmalloc(sizeof(*s));
        runtime__v1__image_spec__init(s);
        s->image = xstrdup(c->image);
        s->annotations = REPLY_MAP(c->image_annotations, runtime__v1__image_spec__annotations_entry, &s->n_annotations);
        s->runtime_handler = xstrdup(c->image_runtime_handler);
        s->user_specified_image = xstrdup(c->user_specified_image);
        return s;
}
