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

void *reply_new(struct rpc_ctx *ctx, const ProtobufCMessageDescriptor *d) {
        ProtobufCMessage *m = rpc_alloc(ctx, d->sizeof_message);
        protobuf_c_message_init(d, m);
        return m;
}

void *reply_map(struct rpc_ctx *ctx, char *const *pairs, const ProtobufCMessageDescriptor *d, size_t *ret_n) {
        size_t n = 0;
        while (pairs && pairs[2 * n] && pairs[2 * n + 1])
                n++;
        struct map_entry **to = rpc_alloc(ctx, (n ? n : 1) * sizeof(*to));
        for (size_t i = 0; i < n; i++) {
                to[i] = reply_new(ctx, d);
                to[i]->key = rpc_strdup(ctx, pairs[2 * i]);
                to[i]->value = rpc_strdup(ctx, pairs[2 * i + 1]);
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

Runtime__V1__PodSandboxMetadata *reply_pod_metadata(struct rpc_ctx *ctx, const struct pod_info *p) {
        Runtime__V1__PodSandboxMetadata *m = reply_new(ctx, &runtime__v1__pod_sandbox_metadata__descriptor);
        m->name = rpc_strdup(ctx, p->name);
        m->namespace_ = rpc_strdup(ctx, p->namespace);
        m->uid = rpc_strdup(ctx, p->uid);
        m->attempt = p->attempt;
        return m;
}

Runtime__V1__PodSandboxState reply_pod_state(enum pod_state s) {
        return s == POD_READY ? RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY
                              : RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_NOTREADY;
}

Runtime__V1__ContainerMetadata *reply_ctr_metadata(struct rpc_ctx *ctx, const struct container_info *c) {
        Runtime__V1__ContainerMetadata *m = reply_new(ctx, &runtime__v1__container_metadata__descriptor);
        m->name = rpc_strdup(ctx, c->name);
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

Runtime__V1__ImageSpec *reply_image_spec(struct rpc_ctx *ctx, const struct container_info *c) {
        Runtime__V1__ImageSpec *s = reply_new(ctx, &runtime__v1__image_spec__descriptor);
        s->image = rpc_strdup(ctx, c->image);
        s->annotations =
                REPLY_MAP(ctx, c->image_annotations, runtime__v1__image_spec__annotations_entry, &s->n_annotations);
        s->runtime_handler = rpc_strdup(ctx, c->image_runtime_handler);
        s->user_specified_image = rpc_strdup(ctx, c->user_specified_image);
        return s;
}
