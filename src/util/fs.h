/* File-system helpers. */
#ifndef CRIC_UTIL_FS_H
#define CRIC_UTIL_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "util/error.h"

/* Creates path and its missing parents with mode (like mkdir -p). */
int fs_mkdir_p(const char *path, mode_t mode, struct cric_error **err);

/* Reads fd to its end (at most max_size bytes, else CRIC_E_RESOURCE); what names it in
 * messages. *ret_data is NUL-terminated and owned by the caller. */
int fs_read_fd(int fd, const char *what, size_t max_size, char **ret_data, size_t *ret_len, struct cric_error **err);

/* Reads a whole file (at most max_size bytes, else CRIC_E_RESOURCE). *ret_data is
 * NUL-terminated and owned by the caller; a missing file is CRIC_E_NOT_FOUND. */
int fs_read_file(const char *path, size_t max_size, char **ret_data, size_t *ret_len, struct cric_error **err);

/* Like fs_read_file, but a missing file is no error: returns 1 with the data, 0
 * with *ret_data NULL when the file does not exist, -1 with *err otherwise. */
int fs_read_file_optional(const char *path, size_t max_size, char **ret_data, struct cric_error **err);

/* Writes data to path atomically (temp file in the same dir, fsync, rename). */
int fs_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, struct cric_error **err);
/* The same without the fsync: readers still see all of the file or none of it, but a
 * power loss may leave it empty. For files in the volatile runroot (tmpfs on a node,
 * gone after a reboot), where waiting for the disk only delays the reader. */
int fs_write_file_replace(const char *path, const void *data, size_t len, mode_t mode, struct cric_error **err);

/* The names in dir that do not start with '.', that end in suffix (NULL: any) and,
 * with regular_only, that are regular files (symlinks followed): a NULL-terminated
 * vector sorted by byte value (not by locale, so results do not depend on the
 * environment). A missing dir gives an empty vector. */
int fs_list_dir(const char *dir, const char *suffix, bool regular_only, char ***ret_names, struct cric_error **err);

/* Opens path below dirfd without ever leaving it (openat2): with in_root false
 * (RESOLVE_BENEATH) a "..", an absolute path or a symlink that leads outside fails with
 * EXDEV; with in_root true (RESOLVE_IN_ROOT) they resolve as if dirfd were "/", as a
 * process chrooted there sees them. Magic links (/proc/self/fd/...) are never followed
 * (ELOOP). O_CLOEXEC is added, mode only counts with O_CREAT, an empty path opens dirfd
 * itself, and EAGAIN (a rename racing with a ".." lookup) is retried. Returns the fd,
 * or -1 with errno (ENOSYS on kernels before 5.6). */
int fs_openat_beneath(int dirfd, const char *path, int flags, mode_t mode, bool in_root);

/* Reads rel below rootfd as a process chrooted there would (fs_openat_beneath with
 * in_root), NUL-terminated into *ret; a missing file gives *ret NULL and 0. A file that
 * is not regular (a FIFO would block) or is larger than max_size: CRIC_E_INVALID; the
 * messages say "/<rel> in the container". */
int fs_read_file_in_root(int rootfd, const char *rel, size_t max_size, char **ret, struct cric_error **err);

/* write() until all len bytes are written (EINTR retried). -1 with errno on failure. */
int fs_write_all(int fd, const void *data, size_t len);

/* True when path names an executable regular file. */
int fs_is_executable(const char *path);

/* Whether the inode st describes changed at or after t (its ctime is not older than t):
 * any write, chmod, chown, link or rename sets the ctime, so in a snapshot taken at t
 * an inode still shared with the snapshot's source is older. */
static inline bool fs_changed_since(const struct stat *st, struct timespec t) {
        return st->st_ctim.tv_sec > t.tv_sec || (st->st_ctim.tv_sec == t.tv_sec && st->st_ctim.tv_nsec >= t.tv_nsec);
}

/* Finds name in $PATH (or returns a copy of name when it contains a '/'). NULL if absent. */
char *fs_find_in_path(const char *name);

/* One of cric's helper programs (cric-monitor, cric-pause): configured when it is
 * executable, else name next to the running binary (the build dir), in ../libexec/cric/
 * from it, in the libexecdir/cric it was installed to, or in $PATH. NULL when none is found. */
char *fs_find_helper(const char *configured, const char *name);

#endif
