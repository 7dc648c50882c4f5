/* Pod rows <-> CRI messages. Private to server/. */
#ifndef CRIC_SERVER_POD_CONVERT_H
#define CRIC_SERVER_POD_CONVERT_H

#include "cri.pb-c.h"
#include "store/store.h"

/* The CRI config stored with the pod; NULL when it does not decode (logged). */
Runtime__V1__PodSandboxConfig *pod_config_of(const struct pod_row *pod);

/* Copies map entries (labels, annotations) into new entries of another map type:
 * every CRI map entry is {base, key, value}. */
void *map_copy(void *const *from, size_t n, const ProtobufCMessageDescriptor *to_desc, size_t *ret_n);

Runtime__V1__PodSandboxMetadata *pod_metadata_of(const struct pod_row *pod);
Runtime__V1__PodSandboxState pod_state_of(const struct pod_row *pod);

#endif
