/* cgroups of pods and containers: where they live (cgroup v1 or v2, cgroupfs or systemd
 * driver), how they are removed, and their usage statistics.
 *
 * cric does not write container limits itself: the OCI runtime creates the container's
 * cgroup from linux.cgroupsPath and applies resources (also on `crun update`). This
 * component names those cgroups, finds them on disk and reads them. The one limit it
 * writes is the pod's own cgroup on an in-place pod resize (limits.c). */
#ifndef CRIC_CGROUP_CGROUP_H
#define CRIC_CGROUP_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

enum cgroup_mode {
        CGROUP_V1 = 0, /* legacy or hybrid: one hierarchy per controller (group) */
        CGROUP_V2,     /* unified: one hierarchy, mounted at the root */
        CGROUP_MODE_MAX,
        CGROUP_MODE_INVALID = -1,
};

const char *cgroup_mode_to_string(enum cgroup_mode mode);

/* The mode of the cgroup tree at root (NULL: "/sys/fs/cgroup"): V2 when root is a
 * cgroup2 mount (or holds cgroup.controllers), V1 when it holds v1 hierarchies,
 * CGROUP_MODE_INVALID when it is missing or neither. Thread-safe. */
enum cgroup_mode cgroup_detect(const char *root);

/* The cgroup mounts under root, from mountinfo (NULL: /proc/self/mountinfo): every v1
 * hierarchy with its controllers, and the cgroup2 mount (root itself on v2, usually
 * root/unified on a hybrid host). Errors: CRIC_E_NOT_FOUND (no mountinfo file),
 * CRIC_E_UNAVAILABLE (no cgroup file system under root). The result is immutable and
 * may be shared by threads. */
struct cgroup_mounts;
int cgroup_mounts_load(const char *root, const char *mountinfo, struct cgroup_mounts **ret, struct cric_error **err);
enum cgroup_mode cgroup_mounts_mode(const struct cgroup_mounts *m);
/* Mount point of the v1 hierarchy holding controller ("memory", "name=systemd"), or of
 * the cgroup2 mount for "" and on v2. NULL when not mounted. */
const char *cgroup_mounts_find(const struct cgroup_mounts *m, const char *controller);
struct cgroup_mounts *cgroup_mounts_free(struct cgroup_mounts *m);
void cgroup_mounts_freep(struct cgroup_mounts **m);

/* The directories of one cgroup, one per hierarchy. */
struct cgroup_paths;
/* For cgroup, a path below the hierarchy roots ("/kubepods/pod1/cric-<id>", as returned
 * by a driver's container_cgroup). Errors: CRIC_E_INVALID (not absolute, "..", ...). */
int cgroup_paths_new(const struct cgroup_mounts *m, const char *cgroup, struct cgroup_paths **ret,
                     struct cric_error **err);
/* For the cgroups of a running process, read from /proc/<pid>/cgroup. Hierarchies whose
 * path lies outside our mounts are left out. Errors: CRIC_E_NOT_FOUND (no such process),
 * CRIC_E_INTERNAL (unreadable or malformed file). */
int cgroup_pid_paths(pid_t pid, const struct cgroup_mounts *m, struct cgroup_paths **ret, struct cric_error **err);
/* The directory in the hierarchy of controller (v2: the one directory; "" names the
 * cgroup2 directory on a hybrid host). NULL when that hierarchy is not mounted. */
const char *cgroup_paths_get(const struct cgroup_paths *p, const char *controller);
/* The directories one by one: i from 0 to cgroup_paths_count() - 1. */
size_t cgroup_paths_count(const struct cgroup_paths *p);
const char *cgroup_paths_dir(const struct cgroup_paths *p, size_t i);
struct cgroup_paths *cgroup_paths_free(struct cgroup_paths *p);
/* Moves pid into cgroup (a path below the hierarchy roots) in every hierarchy, creating
 * its directories. CRIC_E_INVALID for a bad path, CRIC_E_INTERNAL naming the file that
 * refused it. */
int cgroup_attach_pid(const struct cgroup_mounts *m, const char *cgroup, pid_t pid, struct cric_error **err);
void cgroup_paths_freep(struct cgroup_paths **p);

/* A cgroup driver; it must match the kubelet's --cgroup-driver. Functions are pure
 * (except create_parent and remove) and thread-safe; returned strings belong to the
 * caller. cgroup_parent is the CRI's LinuxPodSandboxConfig.cgroup_parent; "" means
 * the driver's default ("/cric" or "system.slice"). Errors: CRIC_E_INVALID. */
struct cgroup_driver {
        const char *name; /* "cgroupfs" or "systemd" */
        /* The pod's cgroup below the hierarchy roots: cgroupfs "/kubepods/pod1",
         * systemd "kubepods-pod1.slice" -> "/kubepods.slice/kubepods-pod1.slice". */
        int (*pod_parent)(const char *cgroup_parent, char **ret_path, struct cric_error **err);
        /* linux.cgroupsPath of the OCI spec: "<parent>/cric-<id>" or "<slice>:cric:<id>". */
        int (*container_path)(const char *cgroup_parent, const char *id, char **ret_oci_path, struct cric_error **err);
        /* The container's cgroup below the hierarchy roots, for cgroup_paths_new and remove:
         * "<parent>/cric-<id>" or "<slice path>/cric-<id>.scope". */
        int (*container_cgroup)(const char *cgroup_parent, const char *id, char **ret_path, struct cric_error **err);
        /* Makes sure the pod's parent exists. cgroupfs: nothing to do (the OCI runtime
         * creates directories). systemd: starts the slice as a transient unit over D-Bus;
         * CRIC_E_UNAVAILABLE when systemd is not running, CRIC_E_UNIMPLEMENTED when cric
         * was built without systemd support. */
        int (*create_parent)(const char *cgroup_parent, struct cric_error **err);
        /* Removes cgroup (and cgroups below it) from every hierarchy, retrying a short
         * while on EBUSY (processes still exiting; CRIC_E_TIMEOUT if they stay).
         * Missing directories are fine; the root cgroup is refused (CRIC_E_INVALID). */
        int (*remove)(const struct cgroup_mounts *m, const char *cgroup, struct cric_error **err);
};

/* "cgroupfs" or "systemd"; NULL for anything else. */
const struct cgroup_driver *cgroup_driver_find(const char *name);

/* Pressure stall information of one resource (cgroup v2 <resource>.pressure): the share
 * of time some (or all) tasks waited for it. */
struct cgroup_psi_line {
        uint64_t total_ns; /* the kernel counts microseconds; the CRI wants nanoseconds */
        double avg10, avg60, avg300;
};
struct cgroup_psi {
        bool has_some, has_full; /* cpu.pressure has "full" since Linux 5.13 */
        struct cgroup_psi_line some, full;
};

/* One sample of a cgroup's usage. Each has_* flag says whether the fields after it were
 * read (a file missing, e.g. no pids controller, is not an error). */
struct cgroup_stats {
        uint64_t timestamp_ns; /* CLOCK_REALTIME of the sample, for the CRI */
        uint64_t monotonic_ns; /* CLOCK_MONOTONIC of the sample, for rates */
        bool has_cpu;
        uint64_t cpu_usage_core_ns; /* cumulative CPU time of all cores */
        bool has_memory_usage;
        uint64_t memory_usage_bytes;
        bool has_working_set; /* usage - inactive_file, as the kubelet computes it */
        uint64_t memory_working_set_bytes;
        bool has_rss;
        uint64_t memory_rss_bytes;
        bool has_page_faults;
        uint64_t page_faults, major_page_faults;
        bool has_memory_limit; /* false when unlimited */
        uint64_t memory_limit_bytes;
        bool has_available; /* limit - working set, only with a limit */
        uint64_t memory_available_bytes;
        bool has_oom_kills;
        uint64_t oom_kills;
        bool has_pids;
        uint64_t pids_current;
        /* Swap: v2 memory.swap.current (limit memory.swap.max); v1 the difference of
         * memory.memsw.usage_in_bytes and memory.usage_in_bytes (limit: the memsw limit
         * minus the memory limit). Only where swap accounting is on. */
        bool has_swap;
        uint64_t swap_usage_bytes;
        bool has_swap_available; /* only with a swap limit */
        uint64_t swap_available_bytes;
        bool has_cpu_split; /* v1 cpuacct.stat (USER_HZ ticks), v2 cpu.stat user/system_usec */
        uint64_t cpu_user_ns, cpu_system_ns;
        bool has_cfs; /* CFS bandwidth control: periods elapsed, throttled, time throttled */
        uint64_t cfs_periods, cfs_throttled_periods, cfs_throttled_ns;
        bool has_cache; /* page cache: v1 total_cache, v2 file */
        uint64_t memory_cache_bytes;
        bool has_max_usage; /* v1 memory.max_usage_in_bytes, v2 memory.peak (Linux 5.19) */
        uint64_t memory_max_usage_bytes;
        /* The processes and threads of the cgroup and the cgroups below it (cgroup.procs,
         * v1 tasks / v2 cgroup.threads), and the open files of those processes (entries
         * of /proc/<pid>/fd; a process that is gone or unreadable counts none). */
        bool has_tasks;
        uint64_t processes, threads;
        bool has_fds;
        uint64_t file_descriptors;
        /* CPU settings: v1 cpu.shares, cpu.cfs_period_us, cpu.cfs_quota_us; v2 cpu.weight
         * (as shares, cgroup_weight_to_shares) and cpu.max. No quota: has_cpu_quota false. */
        bool has_cpu_shares;
        uint64_t cpu_shares;
        bool has_cpu_period, has_cpu_quota;
        uint64_t cpu_period_us, cpu_quota_us;
        /* cgroup v2 only (v1 has no pressure files). */
        struct cgroup_psi psi_cpu, psi_memory, psi_io;
};

/* Reads the usage of the cgroup at p into *ret. Errors: CRIC_E_NOT_FOUND when the
 * cgroup's directories are gone, CRIC_E_INTERNAL on unreadable or malformed files.
 * Thread-safe. */
int cgroup_stats_read(const struct cgroup_paths *p, struct cgroup_stats *ret, struct cric_error **err);
/* The same, with the processes, threads and open files (has_tasks, has_fds: a walk of
 * the cgroup tree and of /proc/<pid>/fd of each process) only when with_tasks; the CRI's
 * stats calls do without, the metrics need them. */
int cgroup_stats_sample(const struct cgroup_paths *p, bool with_tasks, struct cgroup_stats *ret,
                        struct cric_error **err);

/* New CPU and memory limits of a pod's cgroup, in the CRI's (cgroup v1) units. Zero
 * leaves a value as it is. */
struct cgroup_limits {
        int64_t cpu_shares;   /* 2..262144; on v2 written as cpu.weight */
        int64_t cpu_quota;    /* microseconds per period; -1: no limit */
        int64_t cpu_period;   /* microseconds */
        int64_t memory_bytes; /* -1: no limit */
};

/* Writes l into the cgroup at p (v1: the cpu and memory hierarchies; v2: cpu.weight,
 * cpu.max, memory.max), memory first so a refused memory limit changes nothing. The
 * values must be in range already. Errors: CRIC_E_NOT_FOUND (the cgroup directory is
 * missing), CRIC_E_PRECONDITION (a memory limit below the cgroup's usage: v2 checks
 * memory.current first, as the kubelet does, rather than let the kernel OOM-kill; v1's
 * kernel answers EBUSY when it cannot reclaim enough), CRIC_E_UNAVAILABLE (controller
 * not mounted), CRIC_E_INTERNAL (other write errors, with the errno). Thread-safe. */
int cgroup_limits_apply(const struct cgroup_paths *p, const struct cgroup_limits *l, struct cric_error **err);

/* cpu.weight of cgroup v2 for cpu.shares of v1 (the OCI runtimes' conversion):
 * 2 -> 1, 1024 -> 39, 262144 -> 10000. 0 stays 0. */
uint64_t cgroup_shares_to_weight(uint64_t shares);

/* cpu.shares of v1 for cpu.weight of v2, as cAdvisor converts it: 1 -> 2, 100 -> 2597,
 * 10000 -> 262144. 0 stays 0. */
uint64_t cgroup_weight_to_shares(uint64_t weight);

/* CPU usage in nano cores (1e9 = one core busy) between two samples of one cgroup.
 * False when it cannot be computed: a sample without CPU, no time elapsed, or the
 * counter went back (the cgroup was recreated). */
bool cgroup_cpu_nano_cores(const struct cgroup_stats *prev, const struct cgroup_stats *cur, uint64_t *ret_nano_cores);

#endif
