/* A process's cgroups, from /proc/<pid>/cgroup:
 *   v1:  "4:memory:/kubepods/pod1/cric-abc", "2:cpu,cpuacct:/...", "1:name=systemd:/..."
 *   v2:  "0::/kubepods/pod1/cric-abc" (also present on a hybrid host) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define PROC_CGROUP_MAX (64u << 10)

/* The hierarchy whose controllers include every one of the line's (comma-separated). */
static const struct cgroup_hier *find_v1(const struct cgroup_mounts *m, const char *controllers) {
        for (size_t i = 0; i < m->n_v1; i++) {
                AUTOFREE char *copy = xstrdup(controllers);
                char *save = NULL;
                bool all = true;
                for (char *c = strtok_r(copy, ",", &save); c && all; c = strtok_r(NULL, ",", &save))
                        all = strv_contains(m->v1[i].controllers, c);
                if (all)
                        return &m->v1[i];
        }
        return NULL;
}

/* Whether p already has a directory of hierarchy h (a repeated line). */
static bool has_dir_for(const struct cgroup_paths *p, const struct cgroup_hier *h) {
        for (size_t i = 0; i < p->n_dirs; i++) {
                char **a = p->dirs[i].controllers, **b = h->controllers;
                if (!a || !b) {
                        if (!a && !b)
                                return true;
                        continue;
                }
                if (strv_length(a) == strv_length(b) && strv_contains(b, a[0]))
                        return true;
        }
        return false;
}

/* Adds path (in hierarchy coordinates) when it lies inside the part of h mounted here:
 * a bind mount of "/docker/abc" shows "/docker/abc/x" at <mount point>/x. Paths outside
 * our cgroup namespace ("/../x") or our mount are skipped. */
static void add_visible(struct cgroup_paths *p, const struct cgroup_hier *h, const char *path) {
        if (cgroup_path_validate(path, "cgroup", NULL) < 0 || has_dir_for(p, h))
                return;
        const char *rel = path;
        if (strcmp(h->mount_root, "/")) {
                size_t n = strlen(h->mount_root);
                if (strncmp(path, h->mount_root, n) || (path[n] != '\0' && path[n] != '/'))
                        return;
                rel = path[n] ? path + n : "/";
        }
        cgroup_paths_add(p, h, rel);
}

static int parse_line(struct cgroup_paths *p, const struct cgroup_mounts *m, char *line) {
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2 || c1 == line || c2[1] != '/')
                return -1;
        *c1 = *c2 = '\0';
        const char *controllers = c1 + 1, *path = c2 + 1;
        if (strspn(line, "0123456789") != strlen(line))
                return -1;
        if (!*controllers) {
                if (!strcmp(line, "0") && m->unified)
                        add_visible(p, m->unified, path);
                return 0;
        }
        const struct cgroup_hier *h = m->mode == CGROUP_V1 ? find_v1(m, controllers) : NULL;
        if (h)
                add_visible(p, h, path);
        return 0;
}

int cgroup_paths_from_proc_file(const struct cgroup_mounts *m, const char *path, struct cgroup_paths **ret,
                                struct cric_error **err) {
        AUTOFREE char *data = NULL;
        if (fs_read_file(path, PROC_CGROUP_MAX, &data, NULL, err) < 0)
                return -1;
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = xzalloc(sizeof(*p));
        p->mode = m->mode;
        char *save = NULL;
        unsigned lineno = 0;
        for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                lineno++;
                if (parse_line(p, m, line) < 0)
                        return cric_error_set(err, CRIC_E_INTERNAL, "%s:%u: malformed cgroup line", path, lineno);
        }
        *ret = STEAL_PTR(p);
        return 0;
}

int cgroup_pid_paths(pid_t pid, const struct cgroup_mounts *m, struct cgroup_paths **ret, struct cric_error **err) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int) pid);
        if (cgroup_paths_from_proc_file(m, path, ret, err) < 0) {
                if (err && *err && (*err)->kind == CRIC_E_NOT_FOUND)
                        return cric_error_set(err, CRIC_E_NOT_FOUND, "process %d not found", (int) pid);
                return cric_error_prefix(err, "cgroups of process %d", (int) pid);
        }
        return 0;
}
