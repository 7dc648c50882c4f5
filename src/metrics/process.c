/* process_* from /proc/self: stat (CPU, threads, memory, start), the fd directory and the
 * open files limit. */
#include "metrics/process.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "metrics/metrics.h"
#include "util/xalloc.h"

struct process_metrics {
        struct metric_series *cpu, *rss, *vsize, *fds, *max_fds, *start, *threads;
};

static struct metric_series *one(struct metrics_registry *r, enum metric_type t, const char *name, const char *help) {
        return metric_series_get(metrics_family_new(r, t, name, help, NULL, NULL, 0), NULL);
}

/* Boot time in seconds since the epoch (btime of /proc/stat). */
static long long boot_time(void) {
        FILE *f = fopen("/proc/stat", "re");
        if (!f)
                return 0;
        char line[256];
        long long btime = 0;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "btime %lld", &btime) == 1)
                        break;
        fclose(f);
        return btime;
}

static int count_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        if (!d)
                return -1;
        int n = 0;
        struct dirent *e;
        while ((e = readdir(d)))
                if (e->d_name[0] != '.')
                        n++;
        closedir(d);
        return n - 1; /* the directory's own fd */
}

static void read_stat(struct process_metrics *p) {
        FILE *f = fopen("/proc/self/stat", "re");
        if (!f)
                return;
        char buf[1024];
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        const char *s = strrchr(buf, ')'); /* the command may hold spaces and parentheses */
        if (!s)
                return;
        unsigned long utime, stime, vsize;
        long threads, rss;
        unsigned long long start;
        /* fields 3 (state) to 24 (rss) */
        if (sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %ld %*d %llu %lu %ld",
                   &utime, &stime, &threads, &start, &vsize, &rss) != 6)
                return;
        double tick = (double) sysconf(_SC_CLK_TCK);
        metric_counter_set(p->cpu, (double) (utime + stime) / tick);
        metric_gauge_set(p->threads, (double) threads);
        metric_gauge_set(p->vsize, (double) vsize);
        metric_gauge_set(p->rss, (double) rss * (double) sysconf(_SC_PAGESIZE));
        metric_gauge_set(p->start, (double) boot_time() + (double) start / tick);
}

static void collect(void *data) {
        struct process_metrics *p = data;
        read_stat(p);
        int fds = count_fds();
        if (fds >= 0)
                metric_gauge_set(p->fds, fds);
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
                metric_gauge_set(p->max_fds, rl.rlim_cur == RLIM_INFINITY ? -1 : (double) rl.rlim_cur);
}

void metrics_process_register(struct metrics_registry *r) {
        /* Lives as long as the process: the registry has no destructor hook for it. */
        static struct process_metrics p;
        p.cpu = one(r, METRIC_COUNTER, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.");
        p.vsize = one(r, METRIC_GAUGE, "process_virtual_memory_bytes", "Virtual memory size in bytes.");
        p.rss = one(r, METRIC_GAUGE, "process_resident_memory_bytes", "Resident memory size in bytes.");
        p.start = one(r, METRIC_GAUGE, "process_start_time_seconds",
                      "Start time of the process since unix epoch in seconds.");
        p.fds = one(r, METRIC_GAUGE, "process_open_fds", "Number of open file descriptors.");
        p.max_fds = one(r, METRIC_GAUGE, "process_max_fds", "Maximum number of open file descriptors.");
        p.threads = one(r, METRIC_GAUGE, "cric_threads", "Number of threads of the daemon.");
        metrics_registry_add_collector(r, collect, &p);
}
