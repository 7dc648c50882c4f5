#include "util/rm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/btrfs.h"
#include "util/cleanup.h"

static int rm_children(int *dfd, dev_t dev, struct cric_error **err, const char *what);

/* A btrfs subvolume goes in one ioctl, read-only or not; one holding other subvolumes
 * (which the ioctl refuses) is emptied first. */
static int rm_subvol(int parent, const char *name, struct cric_error **err) {
        CLEANUP(cric_error_freep) struct cric_error *first = NULL;
        if (btrfs_subvol_destroy(parent, name, &first) == 0)
                return 0;
        if (first->errno_value != ENOTEMPTY)
                return cric_error_move(err, &first);
        struct stat st;
        AUTOCLOSE int dfd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0 || fstat(dfd, &st) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open %s", name);
        if (rm_children(&dfd, st.st_dev, err, name) < 0)
                return -1;
        return btrfs_subvol_destroy(parent, name, err);
}

static int rm_entry(int parent, const char *name, dev_t dev, struct cric_error **err) {
        struct stat st;
        if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : cric_error_errno(err, CRIC_E_INTERNAL, errno, "stat %s", name);
        if (!S_ISDIR(st.st_mode)) {
                if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "unlink %s", name);
                return 0;
        }
        if (st.st_ino == BTRFS_SUBVOL_ROOT_INO && btrfs_is_subvol_at(parent, name))
                return rm_subvol(parent, name, err);
        if (st.st_dev != dev)
                return cric_error_set(err, CRIC_E_INTERNAL, "%s is a mount point, not removing it", name);
        AUTOCLOSE int dfd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open %s", name);
        if (rm_children(&dfd, dev, err, name) < 0)
                return -1;
        if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "rmdir %s", name);
        return 0;
}

/* Takes *dfd when it can read the directory. */
static int rm_children(int *dfd, dev_t dev, struct cric_error **err, const char *what) {
        AUTOCLOSEDIR DIR *d = fdopendir_take(dfd);
        if (!d)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "opendir %s", what);
        struct dirent *de;
        int r = 0;
        while (r == 0 && (de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                r = rm_entry(dirfd(d), de->d_name, dev, err);
        }
        return r;
}

int rm_rf_at(int dirfd, const char *name, struct cric_error **err) {
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : cric_error_errno(err, CRIC_E_INTERNAL, errno, "stat %s", name);
        if (rm_entry(dirfd, name, st.st_dev, err) < 0)
                return cric_error_prefix(err, "remove %s", name);
        return 0;
}

int rm_rf(const char *path, struct cric_error **err) {
        return rm_rf_at(AT_FDCWD, path, err);
}
