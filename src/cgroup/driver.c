/* Driver lookup and the rules shared by both drivers. */
#include <string.h>

#include "cgroup/internal.h"

const struct cgroup_driver *cgroup_driver_find(const char *name) {
        static const struct cgroup_driver *const drivers[] = {&cgroup_driver_cgroupfs, &cgroup_driver_systemd};
        for (size_t i = 0; name && i < sizeof(drivers) / sizeof(drivers[0]); i++)
                if (!strcmp(name, drivers[i]->name))
                        return drivers[i];
        return NULL;
}

#define ID_MAX 128

/* The id ends up in a directory name and a systemd unit name, so it gets the
 * characters both accept and nothing that could walk the tree ("..", "/"). */
int cgroup_id_validate(const char *id, struct cric_error **err) {
        static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
        if (!id || !*id)
                return cric_error_set(err, CRIC_E_INVALID, "empty container id for a cgroup name");
        size_t n = strlen(id);
        if (n > ID_MAX)
                return cric_error_set(err, CRIC_E_INVALID, "container id \"%.16s...\" is longer than %d characters", id,
                                      ID_MAX);
        if (strspn(id, allowed) != n || strchr("_.-", id[0]))
                return cric_error_set(err, CRIC_E_INVALID,
                                      "container id \"%s\" is not usable in a cgroup name (want [A-Za-z0-9_.-], "
                                      "starting with a letter or digit)",
                                      id);
        return 0;
}
