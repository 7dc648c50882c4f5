/* Moving a process into a cgroup: its directory in every hierarchy created (a new
 * cpuset cgroup of v1 gets its parent's cpus and mems first, since an empty cpuset
 * takes no process), then the pid written to cgroup.procs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

static int write_str(const char *path, const char *s, struct cric_error **err) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open %s", path);
        int r = fs_write_all(fd, s, strlen(s));
        int e = errno;
        close(fd);
        if (r < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, e, "write %s", path);
        return 0;
}

/* An empty cpuset.<name> of dir takes its parent's value, the parent's first filled
 * the same way (the hierarchy's root always has one). */
static int inherit_cpuset(const char *dir, const char *name, unsigned depth, struct cric_error **err) {
        AUTOFREE char *path = xasprintf("%s/cpuset.%s", dir, name);
        AUTOFREE char *value = NULL;
        if (fs_read_file(path, 4096, &value, NULL, err) < 0)
                return -1;
        if (value[strspn(value, " \n")] != '\0')
                return 0;
        AUTOFREE char *parent_dir = xstrdup(dir);
        char *slash = strrchr(parent_dir, '/');
        if (!slash || slash == parent_dir || depth > 64)
                return cric_error_set(err, CRIC_E_INTERNAL, "%s is empty up to the top", path);
        *slash = '\0';
        if (inherit_cpuset(parent_dir, name, depth + 1, err) < 0)
                return -1;
        AUTOFREE char *parent_path = xasprintf("%s/cpuset.%s", parent_dir, name);
        AUTOFREE char *parent = NULL;
        if (fs_read_file(parent_path, 4096, &parent, NULL, err) < 0)
                return -1;
        return write_str(path, parent, err);
}

int cgroup_attach_pid(const struct cgroup_mounts *m, const char *cgroup, pid_t pid, struct cric_error **err) {
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = NULL;
        if (cgroup_paths_new(m, cgroup, &p, err) < 0)
                return -1;
        char buf[32];
        snprintf(buf, sizeof(buf), "%d\n", (int) pid);
        for (size_t i = 0; i < p->n_dirs; i++) {
                const struct cgroup_dir *d = &p->dirs[i];
                if (fs_mkdir_p(d->path, 0755, err) < 0)
                        return -1;
                if (d->controllers && strv_contains(d->controllers, "cpuset") &&
                    (inherit_cpuset(d->path, "cpus", 0, err) < 0 || inherit_cpuset(d->path, "mems", 0, err) < 0))
                        return -1;
                AUTOFREE char *procs = xasprintf("%s/cgroup.procs", d->path);
                if (write_str(procs, buf, err) < 0)
                        return -1;
        }
        return 0;
}
