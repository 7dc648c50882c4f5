/* btrfs subvolumes through the kernel's ioctls (no btrfs-progs needed at run time). */
#ifndef CRIC_UTIL_BTRFS_H
#define CRIC_UTIL_BTRFS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "util/error.h"

/* The inode number of every subvolume's root directory (BTRFS_FIRST_FREE_OBJECTID). */
#define BTRFS_SUBVOL_ROOT_INO 256

/* Whether fd (any file) lives on a btrfs file system. */
bool btrfs_is_fs(int fd);
/* Whether st (of a directory on btrfs) is the root of a subvolume. */
static inline bool btrfs_is_subvol_root(const struct stat *st) {
        return S_ISDIR(st->st_mode) && st->st_ino == BTRFS_SUBVOL_ROOT_INO;
}
/* Whether name in dirfd is a subvolume (not a mount point: a mounted subvolume is a
 * mount root, which statx tells apart). */
bool btrfs_is_subvol_at(int dirfd, const char *name);

/* Creates an empty subvolume name in dirfd. */
int btrfs_subvol_create(int dirfd, const char *name, struct cric_error **err);
/* Snapshots the subvolume open as src_fd to name in dirfd, read-only when is_readonly. */
int btrfs_snapshot(int src_fd, int dirfd, const char *name, bool is_readonly, struct cric_error **err);
/* Destroys the subvolume name in dirfd with everything in it (a read-only one too). */
int btrfs_subvol_destroy(int dirfd, const char *name, struct cric_error **err);
/* Makes the subvolume open as fd read-only. */
int btrfs_set_readonly(int fd, struct cric_error **err);
/* Whether the subvolume open as fd is read-only; -1 with *err on failure. */
int btrfs_is_readonly(int fd, struct cric_error **err);
/* When the subvolume open as fd was created (a snapshot: when it was taken), less one
 * tick of the coarse clock: ctimes may come from that clock, which lags the precise one
 * the creation time may be taken from, so a file changed right after the snapshot
 * can show a ctime a little before it. The result is a lower bound of the ctime of
 * anything changed in the subvolume since it was made. */
int btrfs_created_at(int fd, struct timespec *ret, struct cric_error **err);
/* Limits the referenced bytes of the subvolume open as fd (its qgroup 0/<id>).
 * CRIC_E_PRECONDITION (errno ENOTCONN) when quotas are not enabled on the file system. */
int btrfs_qgroup_limit(int fd, uint64_t max_bytes, struct cric_error **err);

#endif
