/* The runtime's views -> CRI reply messages: the pieces several handlers share. Private
 * to server/. Every returned message is a heap message (strings copied) the caller's
 * response owns. */
#ifndef CRIC_SERVER_REPLY_H
#define CRIC_SERVER_REPLY_H

#include <protobuf-c/protobuf-c.h>

#include "cri.pb-c.h"
#include "runtime/runtime.h"

/* An empty message of type d. */
ProtobufCMessage *reply_empty(const ProtobufCMessageDescriptor *d);

/* key, value pairs (NULL-terminated) as entries of a CRI map whose entry type is d
 * (every CRI string map entry is {base, key, value}). */
void *reply_map(char *const *pairs, const ProtobufCMessageDescriptor *d, size_t *ret_n);
/* The other way, for label selectors: a NULL-terminated array of the entries' strings
 * (borrowed; free the array only). */
char **reply_pairs(void *const *entries, size_t n);
#define REPLY_MAP(pairs, T, ret_n) reply_map((pairs), &T##__descriptor, (ret_n))

Runtime__V1__PodSandboxMetadata *reply_pod_metadata(const struct pod_info *p);
Runtime__V1__PodSandboxState reply_pod_state(enum pod_state s);
Runtime__V1__ContainerMetadata *reply_ctr_metadata(const struct container_info *c);
Runtime__V1__ContainerState reply_ctr_state(enum container_state s);
Runtime__V1__ImageSpec *reply_image_spec(const struct container_info *c);
/* The verbose "info" map of a status reply ({"info": json}); T is the entry type. */
#define REPLY_INFO(json, T, ret_n) REPLY_MAP(((char *const[]){"info", (char *) (json), NULL}), T, (ret_n))

#endif
