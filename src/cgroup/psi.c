/* Pressure stall information of cgroup v2 (cpu.pressure, memory.pressure, io.pressure). */
#include <stdio.h>
#include <string.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"

/* One line after its "some " or "full ": "avg10=X avg60=Y avg300=Z total=N". */
static int parse_line(const char *s, struct cgroup_psi_line *ret) {
        unsigned long long total;
        int n = 0;
        if (sscanf(s, "avg10=%lf avg60=%lf avg300=%lf total=%llu%n", &ret->avg10, &ret->avg60, &ret->avg300, &total,
                   &n) != 4)
                return -1;
        if (s[n] != '\0' && s[n] != '\n')
                return -1;
        ret->total_ns = (uint64_t) total * 1000;
        return 0;
}

int stats_psi_parse(const char *data, struct cgroup_psi *ret) {
        struct cgroup_psi psi = {0};
        for (const char *s = data; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : NULL) {
                if (!strncmp(s, "some ", 5)) {
                        if (parse_line(s + 5, &psi.some) < 0)
                                return -1;
                        psi.has_some = true;
                } else if (!strncmp(s, "full ", 5)) {
                        if (parse_line(s + 5, &psi.full) < 0)
                                return -1;
                        psi.has_full = true;
                } else if (*s != '\n') {
                        return -1;
                }
        }
        *ret = psi;
        return 0;
}

int stats_read_psi(const char *dir, const char *name, struct cgroup_psi *ret, struct cric_error **err) {
        AUTOFREE char *data = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        /* With psi=0 on the kernel command line the files exist but reading them fails
         * (EOPNOTSUPP): no pressure data, not a broken cgroup. */
        int r = stats_read_file(dir, name, &data, &e);
        if (r <= 0)
                return 0;
        if (stats_psi_parse(data, ret) < 0)
                return cric_error_set(err, CRIC_E_INTERNAL, "%s/%s: malformed pressure data \"%.64s\"", dir, name,
                                      data);
        return 1;
}
