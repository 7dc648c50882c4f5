/* The cgroupfs driver: cgroups are plain directories, created by the OCI runtime from
 * linux.cgroupsPath "<parent>/cric-<id>". */
#include <string.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static bool is_slice_name(const char *s) {
        size_t n = strlen(s);
        return n >= 6 && !strcmp(s + n - 6, ".slice");
}

static int cgroupfs_pod_parent(const char *cgroup_parent, char **ret_path, struct cric_error **err) {
        const char *parent = cgroup_parent && *cgroup_parent ? cgroup_parent : CGROUPFS_DEFAULT_PARENT;
        if (parent[0] != '/' && is_slice_name(parent)) {
                cric_error_set(err, CRIC_E_INVALID,
                               "cgroup parent \"%s\" is a systemd slice but the cgroup manager is cgroupfs: the "
                               "kubelet's --cgroup-driver must match cric's cgroup_manager",
                               parent);
                return -1;
        }
        if (cgroup_path_validate(parent, "cgroup parent", err) < 0)
                return -1;
        *ret_path = xstrdup(parent);
        return 0;
}

static int cgroupfs_container_path(const char *cgroup_parent, const char *id, char **ret_oci_path,
                                   struct cric_error **err) {
        AUTOFREE char *parent = NULL;
        if (cgroupfs_pod_parent(cgroup_parent, &parent, err) < 0 || cgroup_id_validate(id, err) < 0)
                return -1;
        const char *sep = strcmp(parent, "/") ? "/" : "";
        *ret_oci_path = xasprintf("%s%s" CGROUP_NAME_PREFIX "-%s", parent, sep, id);
        return 0;
}

static int cgroupfs_create_parent(const char *cgroup_parent, struct cric_error **err) {
        AUTOFREE char *parent = NULL;
        /* Nothing to create: the OCI runtime makes the missing directories. */
        return cgroupfs_pod_parent(cgroup_parent, &parent, err);
}

const struct cgroup_driver cgroup_driver_cgroupfs = {
        .name = "cgroupfs",
        .pod_parent = cgroupfs_pod_parent,
        .container_path = cgroupfs_container_path,
        .container_cgroup = cgroupfs_container_path, /* the OCI path is the directory */
        .create_parent = cgroupfs_create_parent,
        .remove = cgroup_remove_default,
};
