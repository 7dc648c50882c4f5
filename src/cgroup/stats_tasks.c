/* The processes, threads and open files of a cgroup and the cgroups below it: what
 * cAdvisor reports as container_processes, container_threads and
 * container_file_descriptors. A container's cgroup is usually a leaf, a pod's holds its
 * containers' cgroups, so the walk goes down the tree. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* Deeper trees are not made by kubelets or OCI runtimes; the bound keeps a loop of bind
 * mounts from recursing forever. */
#define TREE_DEPTH_MAX 16

struct task_counts {
        uint64_t processes, threads, fds;
};

static uint64_t count_lines(const char *data) {
        uint64_t n = 0;
        for (const char *l = data; *l;) {
                const char *nl = strchr(l, '\n');
                if (nl != l)
                        n++;
                if (!nl)
                        break;
                l = nl + 1;
        }
        return n;
}

/* Entries of /proc/<pid>/fd; 0 when the process is gone or not ours to look at. */
static uint64_t count_fds(const char *pid) {
        AUTOFREE char *path = xasprintf("/proc/%s/fd", pid);
        DIR *d = opendir(path);
        if (!d)
                return 0;
        uint64_t n = 0;
        struct dirent *e;
        while ((e = readdir(d)))
                if (e->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

/* Counts the processes listed in data and their open files. */
static void count_procs(char *data, struct task_counts *c) {
        char *save = NULL;
        for (char *pid = strtok_r(data, "\n", &save); pid; pid = strtok_r(NULL, "\n", &save)) {
                c->processes++;
                c->fds += count_fds(pid);
        }
}

/* The names of the directories in dir (the child cgroups). */
static int subdirs(const char *dir, char ***ret, struct cric_error **err) {
        DIR *d = opendir(dir);
        if (!d) {
                if (errno == ENOENT)
                        return 0;
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open %s", dir);
        }
        char **names = xzalloc(sizeof(char *));
        struct dirent *e;
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.' || e->d_type != DT_DIR)
                        continue;
                strv_push(&names, e->d_name);
        }
        closedir(d);
        *ret = names;
        return 0;
}

static int walk(const char *dir, const char *threads_file, unsigned depth, struct task_counts *c,
                struct cric_error **err) {
        AUTOFREE char *procs = NULL, *threads = NULL;
        int r = stats_read_file(dir, "cgroup.procs", &procs, err);
        if (r <= 0)
                return r; /* gone meanwhile: nothing to count */
        if ((r = stats_read_file(dir, threads_file, &threads, err)) < 0)
                return -1;
        /* The files are read and closed before the directory is opened below, so that a
         * cgroup holding the reader itself counts only the files it really has open. */
        count_procs(procs, c);
        c->threads += r > 0 ? count_lines(threads) : 0;
        if (depth >= TREE_DEPTH_MAX)
                return 1;
        CLEANUP(strv_freep) char **names = NULL;
        if (subdirs(dir, &names, err) < 0)
                return -1;
        for (size_t i = 0; names && names[i]; i++) {
                AUTOFREE char *sub = xasprintf("%s/%s", dir, names[i]);
                if (walk(sub, threads_file, depth + 1, c, err) < 0)
                        return -1;
        }
        return 1;
}

void stats_read_tasks(const char *dir, const char *threads_file, struct cgroup_stats *s) {
        struct task_counts c = {0};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        int r = walk(dir, threads_file, 0, &c, &err);
        if (r < 0)
                log_debug("cgroup %s: cannot count its tasks, leaving them out: %s", dir, err->msg);
        if (r <= 0)
                return;
        s->has_tasks = true;
        s->processes = c.processes;
        s->threads = c.threads;
        s->has_fds = true;
        s->file_descriptors = c.fds;
}
