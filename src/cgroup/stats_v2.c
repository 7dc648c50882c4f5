/* Usage of a cgroup v2 cgroup, from its one directory. */
#include "cgroup/internal.h"

/* cpu.stat counts in microseconds; nr_periods and the throttling keys appear only with
 * the cpu controller enabled for the cgroup. */
static int read_cpu(const char *dir, struct cgroup_stats *s, struct cric_error **err) {
        bool has[6] = {false};
        uint64_t usage, user, system, throttled_usec;
        const struct stats_key keys[] = {
                {"usage_usec", &has[0], &usage},
                {"user_usec", &has[1], &user},
                {"system_usec", &has[2], &system},
                {"nr_periods", &has[3], &s->cfs_periods},
                {"nr_throttled", &has[4], &s->cfs_throttled_periods},
                {"throttled_usec", &has[5], &throttled_usec},
        };
        if (stats_read_keys(dir, "cpu.stat", keys, sizeof(keys) / sizeof(keys[0]), err) < 0)
                return -1;
        s->has_cpu = has[0];
        s->cpu_usage_core_ns = has[0] ? usage * 1000 : 0;
        s->has_cpu_split = has[1] && has[2];
        s->cpu_user_ns = s->has_cpu_split ? user * 1000 : 0;
        s->cpu_system_ns = s->has_cpu_split ? system * 1000 : 0;
        s->has_cfs = has[3] && has[4] && has[5];
        s->cfs_throttled_ns = s->has_cfs ? throttled_usec * 1000 : 0;
        return stats_spec_v2(dir, s, err);
}

/* memory.stat of v2 is hierarchical already; "anon" is what cadvisor reports as RSS;
 * memory.max "max" reads as UINT64_MAX, which means no limit. */
static const struct memory_files memory_v2 = {
        .usage = "memory.current",
        .limit = "memory.max",
        .oom_file = "memory.events",
        .inactive_file = "inactive_file",
        .rss = "anon",
        .pgfault = "pgfault",
        .pgmajfault = "pgmajfault",
        .cache = "file",
        .max_usage = "memory.peak",
};

static int read_memory(const char *dir, struct cgroup_stats *s, struct cric_error **err) {
        return stats_read_memory(dir, &memory_v2, s, err);
}

/* memory.swap.current, and what memory.swap.max leaves (none without a limit). */
static int read_swap(const char *dir, struct cgroup_stats *s, struct cric_error **err) {
        int r = stats_read_u64(dir, "memory.swap.current", &s->swap_usage_bytes, err);
        if (r <= 0)
                return r;
        s->has_swap = true;
        uint64_t max;
        if ((r = stats_read_u64(dir, "memory.swap.max", &max, err)) < 0)
                return -1;
        if (r > 0 && max <= CGROUP_MEMORY_UNLIMITED) {
                s->has_swap_available = true;
                s->swap_available_bytes = max > s->swap_usage_bytes ? max - s->swap_usage_bytes : 0;
        }
        return 0;
}

static int read_psi(const char *dir, struct cgroup_stats *s, struct cric_error **err) {
        if (stats_read_psi(dir, "cpu.pressure", &s->psi_cpu, err) < 0 ||
            stats_read_psi(dir, "memory.pressure", &s->psi_memory, err) < 0 ||
            stats_read_psi(dir, "io.pressure", &s->psi_io, err) < 0)
                return -1;
        return 0;
}

int stats_v2_read(const char *dir, struct cgroup_stats *s, struct cric_error **err) {
        int r = stats_dir_exists(dir, err);
        if (r < 0)
                return -1;
        if (r == 0)
                return cric_error_set(err, CRIC_E_NOT_FOUND, "cgroup not found: %s", dir);
        if (read_cpu(dir, s, err) < 0 || read_memory(dir, s, err) < 0 || read_swap(dir, s, err) < 0 ||
            read_psi(dir, s, err) < 0)
                return -1;
        if ((r = stats_read_u64(dir, "pids.current", &s->pids_current, err)) < 0)
                return -1;
        s->has_pids = r > 0;
        stats_read_tasks(dir, "cgroup.threads", s);
        return 0;
}
