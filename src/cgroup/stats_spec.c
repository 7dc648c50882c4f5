/* The CPU settings of a cgroup as cAdvisor reports them (container_spec_cpu_*): shares,
 * and the CFS period and quota in microseconds. The OCI runtime wrote them; they are read
 * back so that an update through `crun update` shows too. */
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"

/* cpu.shares for cgroup v2's cpu.weight: the inverse of cgroup_shares_to_weight, as
 * cAdvisor computes it (1 -> 2, 100 -> 2597, 10000 -> 262144). */
uint64_t cgroup_weight_to_shares(uint64_t weight) {
        if (weight == 0)
                return 0;
        if (weight > 10000)
                weight = 10000;
        return 2 + ((weight - 1) * 262142) / 9999;
}

static void set_period(struct cgroup_stats *s, uint64_t period_us, bool has_quota, uint64_t quota_us) {
        s->has_cpu_period = true;
        s->cpu_period_us = period_us;
        s->has_cpu_quota = has_quota;
        s->cpu_quota_us = has_quota ? quota_us : 0;
}

/* v1: cpu.shares, cpu.cfs_period_us and cpu.cfs_quota_us ("-1": no quota). */
int stats_spec_v1(const char *dir, struct cgroup_stats *s, struct cric_error **err) {
        int r = stats_read_u64(dir, "cpu.shares", &s->cpu_shares, err);
        if (r < 0)
                return -1;
        s->has_cpu_shares = r > 0;
        uint64_t period;
        if ((r = stats_read_u64(dir, "cpu.cfs_period_us", &period, err)) <= 0)
                return r;
        AUTOFREE char *quota = NULL;
        if ((r = stats_read_file(dir, "cpu.cfs_quota_us", &quota, err)) <= 0)
                return r;
        uint64_t q = 0;
        bool has_quota = quota[0] != '-';
        if (has_quota && stats_parse_u64(quota, &q) < 0)
                return cric_error_set(err, CRIC_E_INTERNAL, "%s/cpu.cfs_quota_us: malformed value \"%.32s\"", dir,
                                      quota);
        set_period(s, period, has_quota, q);
        return 0;
}

/* v2: cpu.weight, and cpu.max "<quota|max> <period>". */
int stats_spec_v2(const char *dir, struct cgroup_stats *s, struct cric_error **err) {
        uint64_t weight;
        int r = stats_read_u64(dir, "cpu.weight", &weight, err);
        if (r < 0)
                return -1;
        s->has_cpu_shares = r > 0;
        s->cpu_shares = r > 0 ? cgroup_weight_to_shares(weight) : 0;
        AUTOFREE char *max = NULL;
        if ((r = stats_read_file(dir, "cpu.max", &max, err)) <= 0)
                return r;
        char *space = strchr(max, ' ');
        uint64_t quota, period;
        if (!space)
                return cric_error_set(err, CRIC_E_INTERNAL, "%s/cpu.max: malformed value \"%.32s\"", dir, max);
        *space = '\0';
        if (stats_parse_u64(max, &quota) < 0 || stats_parse_u64(space + 1, &period) < 0)
                return cric_error_set(err, CRIC_E_INTERNAL, "%s/cpu.max: malformed value \"%.32s\"", dir, max);
        set_period(s, period, quota != UINT64_MAX, quota);
        return 0;
}
