/* Pod-level CPU and memory limits, written straight into the pod's cgroup: the kubelet
 * asks for them with UpdatePodSandboxResources after an in-place pod resize. The
 * containers below keep running; their own limits (set through the OCI runtime) stay. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

uint64_t cgroup_shares_to_weight(uint64_t shares) {
        if (shares == 0)
                return 0;
        if (shares < 2)
                shares = 2;
        if (shares > 262144)
                shares = 262144;
        return 1 + ((shares - 2) * 9999) / 262142;
}

/* Writes value into dir/name; 0, or -errno with nothing in err (callers map it). The
 * file exists already: cgroup files cannot be created, and O_TRUNC only matters for the
 * plain files of fake trees in tests. */
static int write_value(const char *dir, const char *name, const char *value) {
        AUTOFREE char *path = xasprintf("%s/%s", dir, name);
        AUTOCLOSE int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fs_write_all(fd, value, strlen(value)) < 0)
                return -errno;
        return 0;
}

static int write_error(const char *dir, const char *name, const char *value, int neg_errno, struct cric_error **err) {
        return cric_error_errno(err, neg_errno == -ENOENT ? CRIC_E_NOT_FOUND : CRIC_E_INTERNAL, -neg_errno,
                                "write \"%s\" to %s/%s", value, dir, name);
}

static int write_checked(const char *dir, const char *name, const char *value, struct cric_error **err) {
        int r = write_value(dir, name, value);
        return r < 0 ? write_error(dir, name, value, r, err) : 0;
}

static int below_usage(const char *dir, int64_t limit, uint64_t usage, const char *how, struct cric_error **err) {
        return cric_error_set(err, CRIC_E_PRECONDITION,
                              "memory limit %" PRId64 " bytes is below the usage of cgroup %s (%" PRIu64 " bytes)%s",
                              limit, dir, usage, how);
}

/* The directory of controller, which must exist when anything is to be written there. */
static int dir_of(const struct cgroup_paths *p, const char *controller, const char **ret, struct cric_error **err) {
        const char *dir = cgroup_paths_get(p, p->mode == CGROUP_V2 ? "" : controller);
        if (!dir)
                return cric_error_set(err, CRIC_E_UNAVAILABLE, "the %s cgroup controller is not mounted", controller);
        int r = stats_dir_exists(dir, err);
        if (r < 0)
                return -1;
        if (r == 0)
                return cric_error_set(err, CRIC_E_NOT_FOUND, "cgroup %s does not exist", dir);
        *ret = dir;
        return 0;
}

/* v1: a memory limit above memory.memsw.limit_in_bytes is EINVAL; memsw (swap
 * accounting) is raised to the new limit first and the write retried. */
static int memory_v1(const char *dir, int64_t bytes, struct cric_error **err) {
        char value[32];
        snprintf(value, sizeof(value), "%" PRId64, bytes);
        int r = write_value(dir, "memory.limit_in_bytes", value);
        if (r == -EINVAL && bytes > 0 && write_value(dir, "memory.memsw.limit_in_bytes", value) == 0)
                r = write_value(dir, "memory.limit_in_bytes", value);
        if (r == -EBUSY) {
                uint64_t usage = 0;
                CLEANUP(cric_error_freep) struct cric_error *e = NULL;
                (void) stats_read_u64(dir, "memory.usage_in_bytes", &usage, &e);
                return below_usage(dir, bytes, usage, ", which the kernel could not reclaim (EBUSY)", err);
        }
        return r < 0 ? write_error(dir, "memory.limit_in_bytes", value, r, err) : 0;
}

static int memory_v2(const char *dir, int64_t bytes, struct cric_error **err) {
        uint64_t usage = 0;
        int r = stats_read_u64(dir, "memory.current", &usage, err);
        if (r < 0)
                return -1;
        if (bytes > 0 && r > 0 && usage > (uint64_t) bytes)
                return below_usage(dir, bytes, usage, ": lowering it would make the kernel OOM-kill", err);
        char value[32];
        if (bytes < 0)
                snprintf(value, sizeof(value), "max");
        else
                snprintf(value, sizeof(value), "%" PRId64, bytes);
        r = write_value(dir, "memory.max", value);
        if (r == -EBUSY)
                return below_usage(dir, bytes, usage, ", which the kernel could not reclaim (EBUSY)", err);
        return r < 0 ? write_error(dir, "memory.max", value, r, err) : 0;
}

static int cpu_v1(const char *dir, const struct cgroup_limits *l, struct cric_error **err) {
        char value[32];
        if (l->cpu_shares) {
                snprintf(value, sizeof(value), "%" PRId64, l->cpu_shares);
                if (write_checked(dir, "cpu.shares", value, err) < 0)
                        return -1;
        }
        if (l->cpu_period) {
                snprintf(value, sizeof(value), "%" PRId64, l->cpu_period);
                if (write_checked(dir, "cpu.cfs_period_us", value, err) < 0)
                        return -1;
        }
        if (l->cpu_quota) {
                snprintf(value, sizeof(value), "%" PRId64, l->cpu_quota);
                if (write_checked(dir, "cpu.cfs_quota_us", value, err) < 0)
                        return -1;
        }
        return 0;
}

/* cpu.max is "<quota|max> <period>": what is not being changed is kept from the file. */
static int cpu_max_v2(const char *dir, const struct cgroup_limits *l, struct cric_error **err) {
        AUTOFREE char *cur = NULL;
        if (stats_read_file(dir, "cpu.max", &cur, err) < 0)
                return -1;
        char quota[32] = "max";
        unsigned long long period = 100000;
        if (cur && sscanf(cur, "%31s %llu", quota, &period) < 1)
                return cric_error_set(err, CRIC_E_INTERNAL, "%s/cpu.max: malformed value \"%.32s\"", dir, cur);
        if (l->cpu_quota > 0)
                snprintf(quota, sizeof(quota), "%" PRId64, l->cpu_quota);
        else if (l->cpu_quota < 0)
                snprintf(quota, sizeof(quota), "max");
        if (l->cpu_period)
                period = (unsigned long long) l->cpu_period;
        char value[80];
        snprintf(value, sizeof(value), "%s %llu", quota, period);
        return write_checked(dir, "cpu.max", value, err);
}

static int cpu_v2(const char *dir, const struct cgroup_limits *l, struct cric_error **err) {
        if (l->cpu_shares) {
                char value[32];
                snprintf(value, sizeof(value), "%" PRIu64, cgroup_shares_to_weight((uint64_t) l->cpu_shares));
                if (write_checked(dir, "cpu.weight", value, err) < 0)
                        return -1;
        }
        if (l->cpu_quota || l->cpu_period)
                return cpu_max_v2(dir, l, err);
        return 0;
}

int cgroup_limits_apply(const struct cgroup_paths *p, const struct cgroup_limits *l, struct cric_error **err) {
        bool is_v2 = p->mode == CGROUP_V2;
        const char *dir;
        if (l->memory_bytes) {
                if (dir_of(p, "memory", &dir, err) < 0)
                        return -1;
                if ((is_v2 ? memory_v2 : memory_v1)(dir, l->memory_bytes, err) < 0)
                        return -1;
        }
        if (l->cpu_shares || l->cpu_quota || l->cpu_period) {
                if (dir_of(p, "cpu", &dir, err) < 0)
                        return -1;
                if ((is_v2 ? cpu_v2 : cpu_v1)(dir, l, err) < 0)
                        return -1;
        }
        return 0;
}
