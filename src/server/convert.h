/* CRI request messages -> the runtime's plain inputs (runtime/runtime.h,
 * oci/spec_types.h). Private to server/.
 *
 * The results point into the messages (which must outlive them) and into arrays the
 * converter keeps in an arena; clear the arena once the call is done (after a failure
 * too: *ret is then partly filled). Empty proto strings come out as NULL. Errors:
 * CRIC_E_INVALID for values the CRI does not allow, naming the object and the field;
 * CRIC_E_UNIMPLEMENTED for what cric does not support yet. */
#ifndef CRIC_SERVER_CONVERT_H
#define CRIC_SERVER_CONVERT_H

#include "cri.pb-c.h"
#include "runtime/runtime.h"
#include "util/arena.h"
#include "util/error.h"

/* RunPodSandbox: metadata (name, namespace and uid required), hostname, log directory,
 * labels, annotations, DNS, hostPort mappings, the bandwidth annotations, cgroup parent,
 * sysctls and the pod's security context (namespace modes included; with no namespace
 * options the PID mode is CONTAINER). CRIC_E_UNIMPLEMENTED for a user namespace with ID
 * mappings. */
int convert_pod_config(const Runtime__V1__PodSandboxConfig *c, const char *runtime_handler, struct arena *a,
                       struct pod_config *ret, struct cric_error **err);

/* CreateContainer: the pod id, the image spec, labels, log path, stop signal, stdin and
 * everything that shapes config.json (ctr_input_from_cri). */
int convert_container_config(const Runtime__V1__CreateContainerRequest *r, struct arena *a,
                             struct container_config *ret, struct cric_error **err);

/* The container part of config.json: command, args, working dir, env, annotations,
 * mounts, devices, CDI devices, resources, security context, tty. id, rootfs, image and sandbox are
 * the runtime's. CRIC_E_INVALID for an unknown enum value, run_as_group without a user,
 * a mount without container_path, a NUL in an env value, ...; CRIC_E_UNIMPLEMENTED for
 * image volumes, id-mapped mounts and user namespaces with ID mappings. */
int ctr_input_from_cri(const Runtime__V1__ContainerConfig *c, struct arena *a, struct oci_container_input *ret,
                       struct cric_error **err);

/* LinuxContainerResources (NULL: all unset). */
void convert_resources(const Runtime__V1__LinuxContainerResources *r, struct arena *a, struct oci_resources *ret);

#endif
