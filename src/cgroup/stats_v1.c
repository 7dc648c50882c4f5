/* Usage of a cgroup v1 cgroup, from its cpuacct, memory and pids hierarchies. */
#include "cgroup/internal.h"

#include <unistd.h>

/* cpuacct.stat counts user and system time in USER_HZ ticks. */
static int read_cpu_split(const char *dir, struct cgroup_stats *s, struct cric_error **err) {
        bool has_user = false, has_system = false;
        uint64_t user, system;
        const struct stats_key keys[] = {{"user", &has_user, &user}, {"system", &has_system, &system}};
        if (stats_read_keys(dir, "cpuacct.stat", keys, 2, err) < 0)
                return -1;
        long hz = sysconf(_SC_CLK_TCK);
        if (!has_user || !has_system || hz <= 0)
                return 0;
        s->has_cpu_split = true;
        s->cpu_user_ns = user * (1000000000u / (uint64_t) hz);
        s->cpu_system_ns = system * (1000000000u / (uint64_t) hz);
        return 0;
}

static int read_cpu(const char *dir, struct cgroup_stats *s, struct cric_error **err) {
        int r = stats_read_u64(dir, "cpuacct.usage", &s->cpu_usage_core_ns, err);
        if (r < 0)
                return -1;
        s->has_cpu = r > 0;
        return read_cpu_split(dir, s, err);
}

/* The cpu hierarchy's cpu.stat: throttled_time is in nanoseconds already. */
static int read_cfs(const char *dir, struct cgroup_stats *s, struct cric_error **err) {
        bool has[3] = {false};
        const struct stats_key keys[] = {
                {"nr_periods", &has[0], &s->cfs_periods},
                {"nr_throttled", &has[1], &s->cfs_throttled_periods},
                {"throttled_time", &has[2], &s->cfs_throttled_ns},
        };
        if (stats_read_keys(dir, "cpu.stat", keys, 3, err) < 0)
                return -1;
        s->has_cfs = has[0] && has[1] && has[2];
        return stats_spec_v1(dir, s, err);
}

/* memory.stat's total_* keys cover the cgroup and the cgroups below it, like
 * usage_in_bytes; oom_kill in memory.oom_control appeared in Linux 4.13. */
static const struct memory_files memory_v1 = {
        .usage = "memory.usage_in_bytes",
        .limit = "memory.limit_in_bytes",
        .oom_file = "memory.oom_control",
        .inactive_file = "total_inactive_file",
        .rss = "total_rss",
        .pgfault = "total_pgfault",
        .pgmajfault = "total_pgmajfault",
        .cache = "total_cache",
        .max_usage = "memory.max_usage_in_bytes",
};

/* v1 accounts memory+swap together (memsw, with swapaccount=1): swap is the difference. */
static int read_swap(const char *dir, struct cgroup_stats *s, struct cric_error **err) {
        uint64_t memsw, mem_limit, memsw_limit;
        int r = stats_read_u64(dir, "memory.memsw.usage_in_bytes", &memsw, err);
        if (r <= 0 || !s->has_memory_usage)
                return r < 0 ? -1 : 0;
        s->has_swap = true;
        s->swap_usage_bytes = memsw > s->memory_usage_bytes ? memsw - s->memory_usage_bytes : 0;
        if ((r = stats_read_u64(dir, "memory.memsw.limit_in_bytes", &memsw_limit, err)) <= 0)
                return r < 0 ? -1 : 0;
        if ((r = stats_read_u64(dir, "memory.limit_in_bytes", &mem_limit, err)) <= 0)
                return r < 0 ? -1 : 0;
        if (memsw_limit > CGROUP_MEMORY_UNLIMITED || memsw_limit < mem_limit)
                return 0;
        uint64_t swap_limit = memsw_limit - mem_limit;
        s->has_swap_available = true;
        s->swap_available_bytes = swap_limit > s->swap_usage_bytes ? swap_limit - s->swap_usage_bytes : 0;
        return 0;
}

static int read_memory(const char *dir, struct cgroup_stats *s, struct cric_error **err) {
        if (stats_read_memory(dir, &memory_v1, s, err) < 0)
                return -1;
        return read_swap(dir, s, err);
}

static int read_pids(const char *dir, struct cgroup_stats *s, struct cric_error **err) {
        int r = stats_read_u64(dir, "pids.current", &s->pids_current, err);
        if (r < 0)
                return -1;
        s->has_pids = r > 0;
        return 0;
}

/* Every v1 hierarchy lists the same tasks; the first one found of these counts them. */
static void read_tasks(const struct cgroup_paths *p, struct cgroup_stats *s) {
        static const char *const controllers[] = {"pids", "memory", "cpuacct"};
        for (size_t i = 0; i < sizeof(controllers) / sizeof(controllers[0]) && !s->has_tasks; i++) {
                const char *dir = cgroup_paths_get(p, controllers[i]);
                if (dir)
                        stats_read_tasks(dir, "tasks", s);
        }
}

int stats_v1_read(const struct cgroup_paths *p, struct cgroup_stats *s, struct cric_error **err) {
        static const struct {
                const char *controller;
                int (*read)(const char *dir, struct cgroup_stats *s, struct cric_error **err);
        } parts[] = {{"cpuacct", read_cpu}, {"cpu", read_cfs}, {"memory", read_memory}, {"pids", read_pids}};
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
        read_tasks(p, s);
        return 0;
}
