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

/* memory.stat of v2 is hierarchical already; "anon" is what cadvisor reports as RSS. */
static int read_memory_stat(const char *dir, struct cgroup_stats *s, struct memory_raw *raw, struct cric_error **err) {
        bool has_major = false;
        const struct stats_key keys[] = {
                {"inactive_file", &raw->has_inactive_file, &raw->inactive_file},
                {"anon", &s->has_rss, &s->memory_rss_bytes},
                {"pgfault", &s->has_page_faults, &s->page_faults},
                {"pgmajfault", &has_major, &s->major_page_faults},
        };
        if (stats_read_keys(dir, "memory.stat", keys, sizeof(keys) / sizeof(keys[0]), err) < 0)
                return -1;
        s->has_page_faults = s->has_page_faults && has_major;
        return 0;
}

static int read_memory(const char *dir, struct cgroup_stats *s, struct cric_error **err) {
        struct memory_raw raw = {0};
        int r = stats_read_u64(dir, "memory.current", &raw.usage, err);
        if (r < 0)
                return -1;
        raw.has_usage = r > 0;
        /* "max" reads as UINT64_MAX, which stats_memory_finish treats as no limit. */
        if ((r = stats_read_u64(dir, "memory.max", &raw.limit, err)) < 0)
                return -1;
        raw.has_limit = r > 0;
        if (read_memory_stat(dir, s, &raw, err) < 0)
                return -1;
        if ((r = stats_read_keyed(dir, "memory.events", "oom_kill", &s->oom_kills, err)) < 0)
                return -1;
        s->has_oom_kills = r > 0;
        stats_memory_finish(s, &raw);
        return 0;
}

int stats_v2_read(const char *dir, struct cgroup_stats *s, struct cric_error **err) {
        int r = stats_dir_exists(dir, err);
        if (r < 0)
                return -1;
        if (r == 0)
                return cric_error_set(err, CRIC_E_NOT_FOUND, "cgroup not found: %s", dir);
        if (read_cpu(dir, s, err) < 0 || read_memory(dir, s, err) < 0)
                return -1;
        if ((r = stats_read_u64(dir, "pids.current", &s->pids_current, err)) < 0)
                return -1;
        s->has_pids = r > 0;
        return 0;
}
