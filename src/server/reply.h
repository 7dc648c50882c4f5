/* The runtime's views -> CRI reply messages: the pieces several handlers share. Private
 * to server/. Except reply_empty (malloc), everything is allocated in the call's reply
 * arena (rpc_alloc): a handler using them builds its whole reply there. */
#ifndef CRIC_SERVER_REPLY_H
#define CRIC_SERVER_REPLY_H

#include <protobuf-c/protobuf-c.h>

#include "cri.pb-c.h"
#include "runtime/runtime.h"
#include "server/rpc.h"

/* An empty message of type d, malloc'd (for replies built on the heap). */
ProtobufCMessage *reply_empty(const ProtobufCMessageDescriptor *d);
/* An empty message of type d in the reply arena. */
void *reply_new(struct rpc_ctx *ctx, const ProtobufCMessageDescriptor *d);

/* key, value pairs (NULL-terminated) as entries of a CRI map whose entry type is d
 * (every CRI string map entry is {base, key, value}). */
void *reply_map(struct rpc_ctx *ctx, char *const *pairs, const ProtobufCMessageDescriptor *d, size_t *ret_n);
#define REPLY_MAP(ctx, pairs, T, ret_n) reply_map((ctx), (pairs), &T##__descriptor, (ret_n))
/* The other way, for label selectors: a NULL-terminated array of the entries' strings
 * (borrowed; free the array only, with free()). */
char **reply_pairs(void *const *entries, size_t n);

/* The verbose "info" map of a status reply ({"info": json}); T is the entry type. */
#define REPLY_INFO(ctx, json, T, ret_n) REPLY_MAP((ctx), ((char *const[]){"info", (char *) (json), NULL}), T, (ret_n))

Runtime__V1__PodSandboxMetadata *reply_pod_metadata(struct rpc_ctx *ctx, const struct pod_info *p);
Runtime__V1__PodSandboxState reply_pod_state(enum pod_state s);
Runtime__V1__ContainerMetadata *reply_ctr_metadata(struct rpc_ctx *ctx, const struct container_info *c);
Runtime__V1__ContainerState reply_ctr_state(enum container_state s);
Runtime__V1__ImageSpec *reply_image_spec(struct rpc_ctx *ctx, const struct container_info *c);
/* PodSandboxStatus (pod_status.c) and ContainerStatus (ctr_status.c) of a view. */
Runtime__V1__PodSandboxStatus *reply_pod_status(struct rpc_ctx *ctx, const struct pod_view *v);
Runtime__V1__ContainerStatus *reply_ctr_status(struct rpc_ctx *ctx, const struct container_view *v);

#endif
