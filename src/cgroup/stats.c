/* Reading cgroup usage: the entry point, the file readers shared by the v1 and v2
 * readers, and the values derived the way the kubelet derives them. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define STAT_FILE_MAX (256u << 10)

int stats_dir_exists(const char *dir, struct cric_error **err) {
        struct stat st;
        if (stat(dir, &st) < 0) {
                if (errno == ENOENT || errno == ENOTDIR)
                        return 0;
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "stat %s", dir);
        }
        return S_ISDIR(st.st_mode) ? 1 : 0;
}

int stats_read_file(const char *dir, const char *name, char **ret_data, struct cric_error **err) {
        AUTOFREE char *path = xasprintf("%s/%s", dir, name);
        return fs_read_file_optional(path, STAT_FILE_MAX, ret_data, err);
}

/* Parses the number at s; *ret_end points after it. "max" is UINT64_MAX. */
static int parse_token(const char *s, const char **ret_end, uint64_t *ret) {
        if (!strncmp(s, "max", 3)) {
                *ret = UINT64_MAX;
                *ret_end = s + 3;
                return 0;
        }
        if (!isdigit((unsigned char) s[0]))
                return -1;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno)
                return -1;
        *ret = v;
        *ret_end = end;
        return 0;
}

int stats_parse_u64(const char *s, uint64_t *ret) {
        const char *end;
        uint64_t v;
        if (parse_token(s, &end, &v) < 0)
                return -1;
        while (isspace((unsigned char) *end))
                end++;
        if (*end)
                return -1;
        *ret = v;
        return 0;
}

int stats_keyed_u64(const char *data, const char *key, uint64_t *ret) {
        size_t klen = strlen(key);
        for (const char *l = data; l && *l;) {
                const char *nl = strchr(l, '\n');
                if (!strncmp(l, key, klen) && l[klen] == ' ') {
                        const char *end;
                        uint64_t v;
                        if (parse_token(l + klen + 1, &end, &v) < 0 || (*end && *end != '\n'))
                                return -1;
                        *ret = v;
                        return 1;
                }
                l = nl ? nl + 1 : NULL;
        }
        return 0;
}

int stats_read_keys(const char *dir, const char *name, const struct stats_key *keys, size_t n_keys,
                    struct cric_error **err) {
        AUTOFREE char *data = NULL;
        int r = stats_read_file(dir, name, &data, err);
        if (r <= 0)
                return r;
        for (size_t i = 0; i < n_keys; i++) {
                uint64_t v;
                r = stats_keyed_u64(data, keys[i].key, &v);
                if (r < 0)
                        return cric_error_set(err, CRIC_E_INTERNAL, "%s/%s: malformed value of %s", dir, name,
                                              keys[i].key);
                *keys[i].has = r > 0;
                if (r > 0)
                        *keys[i].value = v;
        }
        return 1;
}

int stats_read_u64(const char *dir, const char *name, uint64_t *ret, struct cric_error **err) {
        AUTOFREE char *data = NULL;
        int r = stats_read_file(dir, name, &data, err);
        if (r <= 0)
                return r;
        if (stats_parse_u64(data, ret) < 0)
                return cric_error_set(err, CRIC_E_INTERNAL, "%s/%s: malformed value \"%.32s\"", dir, name, data);
        return 1;
}

int stats_read_keyed(const char *dir, const char *name, const char *key, uint64_t *ret, struct cric_error **err) {
        AUTOFREE char *data = NULL;
        int r = stats_read_file(dir, name, &data, err);
        if (r <= 0)
                return r;
        r = stats_keyed_u64(data, key, ret);
        if (r < 0)
                return cric_error_set(err, CRIC_E_INTERNAL, "%s/%s: malformed value of %s", dir, name, key);
        return r;
}

static void memory_finish(struct cgroup_stats *s, const struct memory_raw *raw) {
        if (!raw->has_usage)
                return;
        s->has_memory_usage = true;
        s->memory_usage_bytes = raw->usage;
        /* The kubelet's working set: usage without the page cache the kernel can drop
         * first (inactive_file), never below zero. */
        uint64_t ws = raw->usage;
        if (raw->has_inactive_file)
                ws = raw->usage > raw->inactive_file ? raw->usage - raw->inactive_file : 0;
        s->has_working_set = true;
        s->memory_working_set_bytes = ws;
        if (!raw->has_limit || raw->limit > CGROUP_MEMORY_UNLIMITED)
                return;
        s->has_memory_limit = true;
        s->memory_limit_bytes = raw->limit;
        s->has_available = true;
        s->memory_available_bytes = raw->limit > ws ? raw->limit - ws : 0;
}

int stats_read_memory(const char *dir, const struct memory_files *f, struct cgroup_stats *s, struct cric_error **err) {
        struct memory_raw raw = {0};
        int r = stats_read_u64(dir, f->usage, &raw.usage, err);
        if (r < 0)
                return -1;
        raw.has_usage = r > 0;
        if ((r = stats_read_u64(dir, f->limit, &raw.limit, err)) < 0)
                return -1;
        raw.has_limit = r > 0;
        if ((r = stats_read_u64(dir, f->max_usage, &s->memory_max_usage_bytes, err)) < 0)
                return -1;
        s->has_max_usage = r > 0;
        bool has_major = false;
        const struct stats_key keys[] = {
                {f->inactive_file, &raw.has_inactive_file, &raw.inactive_file},
                {f->cache, &s->has_cache, &s->memory_cache_bytes},
                {f->rss, &s->has_rss, &s->memory_rss_bytes},
                {f->pgfault, &s->has_page_faults, &s->page_faults},
                {f->pgmajfault, &has_major, &s->major_page_faults},
        };
        if (stats_read_keys(dir, "memory.stat", keys, sizeof(keys) / sizeof(keys[0]), err) < 0)
                return -1;
        s->has_page_faults = s->has_page_faults && has_major;
        if ((r = stats_read_keyed(dir, f->oom_file, "oom_kill", &s->oom_kills, err)) < 0)
                return -1;
        s->has_oom_kills = r > 0;
        memory_finish(s, &raw);
        return 0;
}

static uint64_t clock_ns(clockid_t clock) {
        struct timespec ts;
        clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

int cgroup_stats_read(const struct cgroup_paths *p, struct cgroup_stats *ret, struct cric_error **err) {
        struct cgroup_stats s = {
                .timestamp_ns = clock_ns(CLOCK_REALTIME),
                .monotonic_ns = clock_ns(CLOCK_MONOTONIC),
        };
        int r;
        if (p->mode == CGROUP_V2) {
                const char *dir = cgroup_paths_get(p, "");
                if (!dir)
                        return cric_error_set(err, CRIC_E_NOT_FOUND, "cgroup not found: no cgroup2 directory");
                r = stats_v2_read(dir, &s, err);
        } else {
                r = stats_v1_read(p, &s, err);
        }
        if (r < 0)
                return -1;
        *ret = s;
        return 0;
}

bool cgroup_cpu_nano_cores(const struct cgroup_stats *prev, const struct cgroup_stats *cur, uint64_t *ret_nano_cores) {
        if (!prev || !cur || !prev->has_cpu || !cur->has_cpu)
                return false;
        if (cur->monotonic_ns <= prev->monotonic_ns || cur->cpu_usage_core_ns < prev->cpu_usage_core_ns)
                return false;
        /* 128 bits: a CPU-time delta above 18 s would overflow 64 bits times 1e9. */
        unsigned __int128 v = (unsigned __int128) (cur->cpu_usage_core_ns - prev->cpu_usage_core_ns) * 1000000000u /
                              (cur->monotonic_ns - prev->monotonic_ns);
        *ret_nano_cores = v > UINT64_MAX ? UINT64_MAX : (uint64_t) v;
        return true;
}
