/* Removing a cgroup: rmdir of its directory (children first) in every hierarchy.
 * The kernel refuses with EBUSY while a process is still in the cgroup, which happens
 * for a moment after a container's init exits, so that is retried for a while. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/xalloc.h"

#define REMOVE_TIMEOUT_MS 2000
#define RETRY_STEP_MS     10

static bool is_subdir(int dfd, const struct dirent *de) {
        if (de->d_type != DT_UNKNOWN)
                return de->d_type == DT_DIR;
        struct stat st;
        return fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* Removes name inside parent_fd, the cgroups below it first. Only directories are
 * removed: the files of a cgroup go with its directory. Returns 0 or -errno. */
static int rmdir_tree(int parent_fd, const char *name) {
        AUTOCLOSE int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        int r = 0;
        {
                AUTOCLOSEDIR DIR *d = fdopendir_take(&fd);
                if (!d)
                        return -errno;
                struct dirent *de;
                while (r == 0 && (de = readdir(d))) {
                        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || !is_subdir(dirfd(d), de))
                                continue;
                        r = rmdir_tree(dirfd(d), de->d_name);
                }
        } /* closed before the rmdir */
        if (r == 0 && unlinkat(parent_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                r = -errno;
        return r;
}

static int remove_dir(const char *path, unsigned timeout_ms, struct cric_error **err) {
        AUTOFREE char *parent = xstrdup(path);
        char *slash = strrchr(parent, '/');
        if (!slash || !slash[1])
                return cric_error_set(err, CRIC_E_INVALID, "refusing to remove %s", path);
        *slash = '\0';
        const char *name = slash + 1;
        AUTOCLOSE int pfd = open(*parent ? parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0) {
                if (errno == ENOENT)
                        return 0;
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "remove cgroup %s: open %s", path, parent);
        }
        int64_t deadline = clock_mono_ms() + timeout_ms;
        for (;;) {
                int r = rmdir_tree(pfd, name);
                if (r == 0)
                        return 0;
                if (r != -EBUSY || clock_mono_ms() >= deadline)
                        return cric_error_errno(err, r == -EBUSY ? CRIC_E_TIMEOUT : CRIC_E_INTERNAL, -r,
                                                "remove cgroup %s", path);
                struct timespec step = {.tv_nsec = RETRY_STEP_MS * 1000000L};
                nanosleep(&step, NULL);
        }
}

int cgroup_remove_all(const struct cgroup_mounts *m, const char *cgroup, unsigned timeout_ms, struct cric_error **err) {
        if (cgroup_path_validate(cgroup, "cgroup", err) < 0)
                return -1;
        if (!strcmp(cgroup, "/"))
                return cric_error_set(err, CRIC_E_INVALID, "refusing to remove the root cgroup");
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = NULL;
        if (cgroup_paths_new(m, cgroup, &p, err) < 0)
                return -1;
        /* Every hierarchy gets its try; the first failure is reported. */
        int ret = 0;
        for (size_t i = 0; i < p->n_dirs; i++) {
                struct cric_error *e = NULL;
                if (remove_dir(p->dirs[i].path, timeout_ms, &e) < 0) {
                        if (ret == 0)
                                cric_error_move(err, &e);
                        cric_error_free(e);
                        ret = -1;
                }
        }
        return ret;
}

int cgroup_remove_default(const struct cgroup_mounts *m, const char *cgroup, struct cric_error **err) {
        return cgroup_remove_all(m, cgroup, REMOVE_TIMEOUT_MS, err);
}
