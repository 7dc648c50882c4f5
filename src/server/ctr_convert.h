/* CRI container and pod messages -> the plain inputs of OCI spec generation
 * (oci/spec_types.h). Private to server/.
 *
 * The results point into the messages (which must outlive them) and into arrays the
 * converter allocates in an arena; free the arena once the spec is generated (after a
 * failure too: *ret is then partly filled). Empty proto strings come out as NULL. */
#ifndef CRIC_SERVER_CTR_CONVERT_H
#define CRIC_SERVER_CTR_CONVERT_H

#include <stddef.h>
#include <sys/types.h>

#include "cri.pb-c.h"
#include "image/image_config.h"
#include "oci/spec_types.h"
#include "util/error.h"

/* Allocations that live as long as a converted input. */
struct ctr_arena {
        void **ptrs;
        size_t n, cap;
};
/* Keeps p (malloc'd) until ctr_arena_clear; returns p. */
void *ctr_arena_keep(struct ctr_arena *a, void *p);
void ctr_arena_clear(struct ctr_arena *a);

/* What runtime/ set up for the pod. */
struct ctr_pod_paths {
        const char *id;
        const char *netns, *ipcns, *utsns; /* pinned namespace files; NULL: none (host or new) */
        const char *resolv_conf, *hosts, *hostname_file;
        const char *shm; /* pod /dev/shm; NULL: a private tmpfs */
        pid_t pause_pid; /* > 0 for a shared PID namespace */
};

/* The pod part (metadata, hostname, cgroup parent, sysctls, annotations, the pod's
 * security context) plus paths (may be NULL: none). shm_size_bytes is left 0.
 * CRIC_E_INVALID for values the CRI does not allow, naming the pod ("name_namespace")
 * and the field; CRIC_E_UNIMPLEMENTED for a user namespace with ID mappings. */
int ctr_sandbox_from_cri(const Runtime__V1__PodSandboxConfig *pod, const struct ctr_pod_paths *paths,
                         struct ctr_arena *a, struct oci_sandbox *ret, struct cric_error **err);

/* The container part: command, args, working dir, env, annotations, mounts, devices,
 * resources, security context, tty. id, rootfs, image, sandbox and, for PID mode
 * TARGET, security.ns.target_pid_ns_path are left for the caller. CRIC_E_INVALID for
 * values the CRI does not allow (an unknown enum value, run_as_group without a user,
 * a mount without container_path, a NUL in an env value, ...), naming the container
 * and the field; CRIC_E_UNIMPLEMENTED for image volumes, id-mapped mounts, CDI devices
 * and user namespaces with ID mappings. */
int ctr_input_from_cri(const Runtime__V1__ContainerConfig *c, struct ctr_arena *a, struct oci_container_input *ret,
                       struct cric_error **err);

/* LinuxContainerResources (NULL: all unset). */
void ctr_resources_from_cri(const Runtime__V1__LinuxContainerResources *r, struct ctr_arena *a,
                            struct oci_resources *ret);

/* The image config's defaults (ic may be NULL: all unset). name is the image as asked. */
void ctr_image_defaults(const struct image_config *ic, const char *name, struct oci_image_defaults *ret);

/* The signal number of an image's StopSignal ("SIGTERM", "TERM", "sigterm", "15",
 * "SIGRTMIN+3", "RTMAX-2"); 0 for NULL or "" (SIGTERM then applies). CRIC_E_INVALID
 * for an unknown name or a number out of range. */
int ctr_stop_signal(const char *name, int *ret, struct cric_error **err);

#endif
