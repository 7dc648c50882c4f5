/* Usage of a cgroup v1 cgroup, from its cpuacct, memory and pids hierarchies. */
#include "cgroup/internal.h"

static int read_cpu(const char *dir, struct cgroup_stats *s, struct cric_error **err) {
        int r = stats_read_u64(dir, "cpuacct.usage", &s->cpu_usage_core_ns, err);
        if (r < 0)
                return -1;
        s->has_cpu = r > 0;
        return 0;
}

/* memory.stat's total_* keys cover the cgroup and the cgroups below it, like usage_in_bytes. */
static int read_memory_stat(const char *dir, struct cgroup_stats *s, struct memory_raw *raw, struct cric_error **err) {
        bool has_major = false;
        const struct stats_key keys[] = {
                {"total_inactive_file", &raw->has_inactive_file, &raw->inactive_file},
                {"total_rss", &s->has_rss, &s->memory_rss_bytes},
                {"total_pgfault", &s->has_page_faults, &s->page_faults},
                {"total_pgmajfault", &has_major, &s->major_page_faults},
        };
        if (stats_read_keys(dir, "memory.stat", keys, sizeof(keys) / sizeof(keys[0]), err) < 0)
                return -1;
        s->has_page_faults = s->has_page_faults && has_major;
        return 0;
}

static int read_memory(const char *dir, struct cgroup_stats *s, struct cric_error **err) {
        struct memory_raw raw = {0};
        int r = stats_read_u64(dir, "memory.usage_in_bytes", &raw.usage, err);
        if (r < 0)
                return -1;
        raw.has_usage = r > 0;
        if ((r = stats_read_u64(dir, "memory.limit_in_bytes", &raw.limit, err)) < 0)
                return -1;
        raw.has_limit = r > 0;
        if (read_memory_stat(dir, s, &raw, err) < 0)
                return -1;
        /* oom_kill appeared in Linux 4.13; older kernels have only under_oom. */
        if ((r = stats_read_keyed(dir, "memory.oom_control", "oom_kill", &s->oom_kills, err)) < 0)
                return -1;
        s->has_oom_kills = r > 0;
        stats_memory_finish(s, &raw);
        return 0;
}

static int read_pids(const char *dir, struct cgroup_stats *s, struct cric_error **err) {
        int r = stats_read_u64(dir, "pids.current", &s->pids_current, err);
        if (r < 0)
                return -1;
        s->has_pids = r > 0;
        return 0;
}

int stats_v1_read(const struct cgroup_paths *p, struct cgroup_stats *s, struct cric_error **err) {
        static const struct {
                const char *controller;
                int (*read)(const char *dir, struct cgroup_stats *s, struct cric_error **err);
        } parts[] = {{"cpuacct", read_cpu}, {"memory", read_memory}, {"pids", read_pids}};
        const char *seen = NULL;
        size_t found = 0;
        for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
                const char *dir = cgroup_paths_get(p, parts[i].controller);
                if (!dir)
                        continue; /* hierarchy not mounted */
                seen = seen ? seen : dir;
                int r = stats_dir_exists(dir, err);
                if (r < 0)
                        return -1;
                if (r == 0)
                        continue;
                found++;
                if (parts[i].read(dir, s, err) < 0)
                        return -1;
        }
        if (found == 0)
                return cric_error_set(err, CRIC_E_NOT_FOUND, "cgroup not found: %s",
                                      seen ? seen : "no cpuacct, memory or pids hierarchy is mounted");
        return 0;
}
