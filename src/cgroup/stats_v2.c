/* Usage of a cgroup v2 cgroup, from its one directory. */
#include "cgroup/internal.h"

static int read_cpu(const char *dir, struct cgroup_stats *s, struct cric_error **err) {
        uint64_t usec;
        int r = stats_read_keyed(dir, "cpu.stat", "usage_usec", &usec, err);
        if (r < 0)
                return -1;
        s->has_cpu = r > 0;
        if (r > 0)
                s->cpu_usage_core_ns = usec * 1000;
        return 0;
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
        return 0;
}
