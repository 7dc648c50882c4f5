/* Pod rows <-> CRI messages. Private to server/. */
#ifndef CRIC_SERVER_POD_CONVERT_H
#define CRIC_SERVER_POD_CONVERT_H

#include <stdbool.h>

#include "cri.pb-c.h"
#include "config/config.h"
#include "oci/spec_types.h"
#include "store/store.h"

/* The CRI config stored with the pod; NULL when it does not decode (logged). */
Runtime__V1__PodSandboxConfig *pod_config_of(const struct pod_row *pod);

/* Copies map entries (labels, annotations) into new entries of another map type:
 * every CRI map entry is {base, key, value}. */
void *map_copy(void *const *from, size_t n, const ProtobufCMessageDescriptor *to_desc, size_t *ret_n);

/* Whether every key=value of selector is in map (both CRI maps, of any entry type). */
bool map_includes(void *const *map, size_t n, void *const *selector, size_t n_selector);

Runtime__V1__PodSandboxMetadata *pod_metadata_of(const struct pod_row *pod);
Runtime__V1__PodSandboxState pod_state_of(const struct pod_row *pod);

/* The OCI runtime binary of a handler (its path, or its name looked up in $PATH);
 * NULL when not found. */
char *handler_binary(const struct cric_runtime_handler *h);
/* The pod's cgroup parent, with the driver's default when the kubelet gave none. */
const char *pod_cgroup_parent(const struct cric_config *cfg, const Runtime__V1__PodSandboxConfig *pc);
enum oci_cgroup_driver pod_cgroup_driver(const struct cric_config *cfg);

#endif
