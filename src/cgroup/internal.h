/* Types and helpers shared by the files of src/cgroup/. Nothing outside the folder
 * (except its unit tests) includes this. */
#ifndef CRIC_CGROUP_INTERNAL_H
#define CRIC_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup/cgroup.h"
#include "util/error.h"

#define CGROUP_DEFAULT_ROOT     "/sys/fs/cgroup"
#define CGROUP_NAME_PREFIX      "cric"
#define CGROUPFS_DEFAULT_PARENT "/cric"
#define SYSTEMD_DEFAULT_PARENT  "system.slice"

/* One mounted hierarchy: a v1 one (controllers non-empty) or the cgroup2 one. */
struct cgroup_hier {
        char **controllers; /* v1: "cpu", "cpuacct", "name=systemd"; NULL for cgroup2 */
        char *mount_point;  /* where it is mounted, e.g. /sys/fs/cgroup/memory */
        char *mount_root;   /* which cgroup is mounted there ("/" unless bind-mounted) */
};

struct cgroup_mounts {
        enum cgroup_mode mode;
        char *root;
        struct cgroup_hier *v1;
        size_t n_v1;
        struct cgroup_hier *unified; /* NULL on a legacy (pure v1) host */
};

/* One directory of a cgroup. */
struct cgroup_dir {
        char **controllers; /* NULL for the cgroup2 directory */
        char *path;
};

struct cgroup_paths {
        enum cgroup_mode mode;
        struct cgroup_dir *dirs;
        size_t n_dirs;
};

/* detect.c */
/* Parses one mountinfo line; returns 1 and fills ret for a cgroup/cgroup2 mount, 0 for
 * another file system, -1 for a malformed line. */
int cgroup_mountinfo_parse_line(const char *line, struct cgroup_hier *ret, bool *ret_is_v2);
void cgroup_hier_clear(struct cgroup_hier *h);

/* paths.c */
/* Checks that cgroup is a clean absolute path: "/" or "/a/b" without "", "." or ".."
 * components and without a trailing slash. what names it in the message. */
int cgroup_path_validate(const char *cgroup, const char *what, struct cric_error **err);
/* Appends the directory rel (a valid cgroup path relative to h's mount point) of
 * hierarchy h. */
void cgroup_paths_add(struct cgroup_paths *p, const struct cgroup_hier *h, const char *rel);

/* proc.c */
/* Like cgroup_pid_paths, from a file in /proc/<pid>/cgroup format. */
int cgroup_paths_from_proc_file(const struct cgroup_mounts *m, const char *path, struct cgroup_paths **ret,
                                struct cric_error **err);

/* cgroupfs.c, systemd_paths.c: the vtables; driver.c: lookup */
extern const struct cgroup_driver cgroup_driver_cgroupfs;
extern const struct cgroup_driver cgroup_driver_systemd;
/* A container id usable in a cgroup or unit name: 1-128 of [A-Za-z0-9_.-], starting
 * with a letter or digit. */
int cgroup_id_validate(const char *id, struct cric_error **err);

/* remove.c */
/* Removes cgroup and the cgroups below it in every hierarchy of m, retrying EBUSY until
 * timeout_ms has passed. Refuses the root cgroup. */
int cgroup_remove_all(const struct cgroup_mounts *m, const char *cgroup, unsigned timeout_ms, struct cric_error **err);
int cgroup_remove_default(const struct cgroup_mounts *m, const char *cgroup, struct cric_error **err);

/* systemd_paths.c */
/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" -> "/". */
int systemd_slice_expand(const char *slice, char **ret_path, struct cric_error **err);
/* "cric-<id>.scope" */
int systemd_scope_name(const char *id, char **ret, struct cric_error **err);

/* systemd.c or systemd-stub.c */
/* Starts slice (a valid slice name) as a transient unit; an existing unit is fine. */
int systemd_start_slice(const char *slice, struct cric_error **err);

/* stats.c */
/* Values above this are "no limit": the kernel reports an unlimited v1 limit as
 * LONG_MAX rounded down to a page (9223372036854771712 with 4 KiB pages); the kubelet
 * uses the same cut-off (isMemoryUnlimited). */
#define CGROUP_MEMORY_UNLIMITED ((uint64_t) 1 << 62)

/* Reads dir/name into *ret_data (NUL-terminated, caller frees). Returns 1, or 0 when the
 * file does not exist, or -1 with err. */
int stats_read_file(const char *dir, const char *name, char **ret_data, struct cric_error **err);
/* Reads a file holding one number (or "max", returned as UINT64_MAX). 1/0/-1 as above. */
int stats_read_u64(const char *dir, const char *name, uint64_t *ret, struct cric_error **err);
/* Parses a decimal number followed by optional whitespace up to end (or the first
 * newline when end is NULL). "max" gives UINT64_MAX. */
int stats_parse_u64(const char *s, uint64_t *ret);
/* Finds "key value" in a flat keyed file (memory.stat, cpu.stat, memory.events).
 * Returns 1 and the value, 0 when absent, -1 when the value is malformed. */
int stats_keyed_u64(const char *data, const char *key, uint64_t *ret);
/* Several keys of one flat keyed file: sets *has (and *value when found) of each.
 * 1 when the file was read, 0 when it does not exist, -1 with err when malformed. */
struct stats_key {
        const char *key;
        bool *has;
        uint64_t *value;
};
int stats_read_keys(const char *dir, const char *name, const struct stats_key *keys, size_t n_keys,
                    struct cric_error **err);
/* Same, over the file dir/name: 1 found, 0 file or key absent, -1 with err. */
int stats_read_keyed(const char *dir, const char *name, const char *key, uint64_t *ret, struct cric_error **err);
/* 1 when dir exists, 0 when it does not, -1 with err. */
int stats_dir_exists(const char *dir, struct cric_error **err);

/* What the memory readers collect before deriving working set and available bytes. */
struct memory_raw {
        bool has_usage, has_limit, has_inactive_file;
        uint64_t usage, limit, inactive_file;
};
/* Where one cgroup version keeps the memory figures: v1 and v2 differ only in names. */
struct memory_files {
        const char *usage;         /* "memory.usage_in_bytes" / "memory.current" */
        const char *limit;         /* "memory.limit_in_bytes" / "memory.max" */
        const char *oom_file;      /* "memory.oom_control" / "memory.events", key oom_kill */
        const char *inactive_file; /* memory.stat keys */
        const char *rss;
        const char *pgfault;
        const char *pgmajfault;
        const char *cache;     /* memory.stat key of the page cache */
        const char *max_usage; /* file of the peak usage */
};
/* Reads usage, limit, memory.stat and the OOM kill count of dir and fills s,
 * deriving working set and available bytes. Missing files leave fields absent. */
int stats_read_memory(const char *dir, const struct memory_files *f, struct cgroup_stats *s, struct cric_error **err);

/* psi.c */
/* Parses a <resource>.pressure file ("some avg10=0.12 avg60=0.05 avg300=0.01
 * total=12345\nfull ...\n"). -1 when a line is malformed. */
int stats_psi_parse(const char *data, struct cgroup_psi *ret);
/* Reads dir/name into *ret; 1 read, 0 no such file or unreadable (PSI off, or v1),
 * -1 with err when malformed. */
int stats_read_psi(const char *dir, const char *name, struct cgroup_psi *ret, struct cric_error **err);

/* stats_tasks.c */
/* Counts the processes (cgroup.procs), threads (threads_file: v1 "tasks", v2
 * "cgroup.threads") and open files of the cgroup at dir and the cgroups below it into
 * s. Nothing is set when dir has no cgroup.procs, or when a file cannot be read (a
 * cgroup going away as it is walked): the counts are left out, the other figures of
 * the sample stay (logged at debug level). */
void stats_read_tasks(const char *dir, const char *threads_file, struct cgroup_stats *s);

/* stats_spec.c */
/* The CPU settings of the cgroup at dir into s (shares, CFS period and quota); missing
 * files leave them absent, malformed ones are CRIC_E_INTERNAL. */
int stats_spec_v1(const char *dir, struct cgroup_stats *s, struct cric_error **err);
int stats_spec_v2(const char *dir, struct cgroup_stats *s, struct cric_error **err);

/* stats_v1.c, stats_v2.c */
int stats_v1_read(const struct cgroup_paths *p, struct cgroup_stats *s, struct cric_error **err);
int stats_v2_read(const char *dir, struct cgroup_stats *s, struct cric_error **err);

#endif
