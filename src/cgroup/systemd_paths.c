/* The systemd driver's names and paths. Pure functions, always built; the D-Bus call
 * that starts a slice lives in systemd.c (or systemd-stub.c).
 *
 * A pod's parent is a slice ("kubepods-besteffort-pod1.slice"); systemd nests slices
 * by their dash-separated prefixes, so its cgroup is
 * "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice". A
 * container is the scope "cric-<id>.scope" in that slice, which the OCI runtime creates
 * from linux.cgroupsPath "<slice>:cric:<id>". */
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define SLICE_SUFFIX  ".slice"
#define UNIT_NAME_MAX 255 /* systemd's UNIT_NAME_MAX without the NUL */

/* systemd's VALID_CHARS for unit names ('\' starts an escape such as "\x2d"). */
static const char unit_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\";

static int invalid_slice(const char *slice, const char *why, struct cric_error **err) {
        cric_error_set(err, CRIC_E_INVALID, "invalid systemd slice \"%s\": %s", slice, why);
        return -1;
}

static int slice_validate(const char *slice, struct cric_error **err) {
        size_t n = strlen(slice), sn = strlen(SLICE_SUFFIX);
        if (slice[0] == '/') {
                cric_error_set(err, CRIC_E_INVALID,
                               "cgroup parent \"%s\" is a path but the cgroup manager is systemd: the kubelet's "
                               "--cgroup-driver must match cric's cgroup_manager",
                               slice);
                return -1;
        }
        if (n <= sn || strcmp(slice + n - sn, SLICE_SUFFIX))
                return invalid_slice(slice, "the name must be \"<name>.slice\"", err);
        if (n > UNIT_NAME_MAX)
                return invalid_slice(slice, "the name is longer than 255 characters", err);
        if (strchr(slice, '/'))
                return invalid_slice(slice, "the name must not contain \"/\"", err);
        if (strspn(slice, unit_chars) != n)
                return invalid_slice(slice, "the name has characters systemd does not accept in unit names", err);
        return 0;
}

int systemd_slice_expand(const char *slice, char **ret_path, struct cric_error **err) {
        if (slice_validate(slice ? slice : "", err) < 0)
                return -1;
        size_t stem = strlen(slice) - strlen(SLICE_SUFFIX);
        if (stem == 1 && slice[0] == '-') { /* "-.slice" is the root slice */
                *ret_path = xstrdup("/");
                return 0;
        }
        /* "a-b-c" -> "/a.slice/a-b.slice/a-b-c.slice"; "a--b", "-a", "a-" have an empty part. */
        AUTOFREE char *path = xstrdup("");
        for (size_t i = 0; i <= stem; i++) {
                if (i < stem && slice[i] != '-')
                        continue;
                if (i == 0 || slice[i - 1] == '-')
                        return invalid_slice(slice, "the name has an empty part between dashes", err);
                char *next = xasprintf("%s/%.*s" SLICE_SUFFIX, path, (int) i, slice);
                free(path);
                path = next;
        }
        *ret_path = STEAL_PTR(path);
        return 0;
}

int systemd_scope_name(const char *id, char **ret, struct cric_error **err) {
        if (cgroup_id_validate(id, err) < 0)
                return -1;
        *ret = xasprintf(CGROUP_NAME_PREFIX "-%s.scope", id);
        return 0;
}

static const char *slice_or_default(const char *cgroup_parent) {
        return cgroup_parent && *cgroup_parent ? cgroup_parent : SYSTEMD_DEFAULT_PARENT;
}

static int systemd_pod_parent(const char *cgroup_parent, char **ret_path, struct cric_error **err) {
        return systemd_slice_expand(slice_or_default(cgroup_parent), ret_path, err);
}

static int systemd_container_path(const char *cgroup_parent, const char *id, char **ret_oci_path,
                                  struct cric_error **err) {
        const char *slice = slice_or_default(cgroup_parent);
        AUTOFREE char *path = NULL;
        if (systemd_slice_expand(slice, &path, err) < 0 || cgroup_id_validate(id, err) < 0)
                return -1;
        *ret_oci_path = xasprintf("%s:" CGROUP_NAME_PREFIX ":%s", slice, id);
        return 0;
}

static int systemd_container_cgroup(const char *cgroup_parent, const char *id, char **ret_path,
                                    struct cric_error **err) {
        AUTOFREE char *path = NULL, *scope = NULL;
        if (systemd_slice_expand(slice_or_default(cgroup_parent), &path, err) < 0 ||
            systemd_scope_name(id, &scope, err) < 0)
                return -1;
        *ret_path = xasprintf("%s/%s", strcmp(path, "/") ? path : "", scope);
        return 0;
}

static int systemd_create_parent(const char *cgroup_parent, struct cric_error **err) {
        const char *slice = slice_or_default(cgroup_parent);
        AUTOFREE char *path = NULL;
        if (systemd_slice_expand(slice, &path, err) < 0)
                return -1;
        if (!strcmp(path, "/"))
                return 0; /* the root slice always exists */
        if (systemd_start_slice(slice, err) < 0)
                return cric_error_prefix(err, "create slice %s", slice);
        return 0;
}

const struct cgroup_driver cgroup_driver_systemd = {
        .name = "systemd",
        .pod_parent = systemd_pod_parent,
        .container_path = systemd_container_path,
        .container_cgroup = systemd_container_cgroup,
        .create_parent = systemd_create_parent,
        .remove = cgroup_remove_default,
};
