/* Stands in for systemd.c when cric is built without libsystemd (-Dsystemd=disabled). */
#include "cgroup/internal.h"

int systemd_start_slice(const char *slice, struct cric_error **err) {
        (void) slice;
        return cric_error_set(err, CRIC_E_UNIMPLEMENTED,
                              "built without systemd support: cannot use the systemd cgroup manager");
}
