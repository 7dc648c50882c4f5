#include "util/btrfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "util/cleanup.h"

bool btrfs_is_fs(int fd) {
        struct statfs sfs;
        return fstatfs(fd, &sfs) == 0 && (uint32_t) sfs.f_type == (uint32_t) BTRFS_SUPER_MAGIC;
}

bool btrfs_is_subvol_at(int dirfd, const char *name) {
        struct statx stx;
        if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_INO, &stx) < 0)
                return false;
        if (!S_ISDIR(stx.stx_mode) || stx.stx_ino != BTRFS_SUBVOL_ROOT_INO)
                return false;
        if ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
                return false;
        AUTOCLOSE int fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return fd >= 0 && btrfs_is_fs(fd);
}

/* The name in the fixed-size field of the ioctl's arguments. */
static int copy_name(char *dst, size_t size, const char *name, struct cric_error **err) {
        size_t len = strlen(name);
        if (len == 0 || len >= size || strchr(name, '/'))
                return cric_error_set(err, CRIC_E_INVALID, "invalid subvolume name \"%s\"", name);
        memcpy(dst, name, len + 1);
        return 0;
}

int btrfs_subvol_create(int dirfd, const char *name, struct cric_error **err) {
        struct btrfs_ioctl_vol_args_v2 args = {0};
        if (copy_name(args.name, sizeof(args.name), name, err) < 0)
                return -1;
        if (ioctl(dirfd, BTRFS_IOC_SUBVOL_CREATE_V2, &args) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "create btrfs subvolume %s", name);
        return 0;
}

int btrfs_snapshot(int src_fd, int dirfd, const char *name, bool is_readonly, struct cric_error **err) {
        struct btrfs_ioctl_vol_args_v2 args = {.fd = src_fd, .flags = is_readonly ? BTRFS_SUBVOL_RDONLY : 0};
        if (copy_name(args.name, sizeof(args.name), name, err) < 0)
                return -1;
        if (ioctl(dirfd, BTRFS_IOC_SNAP_CREATE_V2, &args) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "create btrfs snapshot %s", name);
        return 0;
}

int btrfs_subvol_destroy(int dirfd, const char *name, struct cric_error **err) {
        struct btrfs_ioctl_vol_args args = {0};
        if (copy_name(args.name, sizeof(args.name), name, err) < 0)
                return -1;
        if (ioctl(dirfd, BTRFS_IOC_SNAP_DESTROY, &args) < 0 && errno != ENOENT)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "destroy btrfs subvolume %s", name);
        return 0;
}

int btrfs_set_readonly(int fd, struct cric_error **err) {
        uint64_t flags = 0;
        if (ioctl(fd, BTRFS_IOC_SUBVOL_GETFLAGS, &flags) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "read btrfs subvolume flags");
        if (flags & BTRFS_SUBVOL_RDONLY)
                return 0;
        flags |= BTRFS_SUBVOL_RDONLY;
        if (ioctl(fd, BTRFS_IOC_SUBVOL_SETFLAGS, &flags) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "make btrfs subvolume read-only");
        return 0;
}

int btrfs_is_readonly(int fd, struct cric_error **err) {
        uint64_t flags = 0;
        if (ioctl(fd, BTRFS_IOC_SUBVOL_GETFLAGS, &flags) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "read btrfs subvolume flags");
        return (flags & BTRFS_SUBVOL_RDONLY) != 0;
}

int btrfs_created_at(int fd, struct timespec *ret, struct cric_error **err) {
        struct btrfs_ioctl_get_subvol_info_args info = {0};
        if (ioctl(fd, BTRFS_IOC_GET_SUBVOL_INFO, &info) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "read btrfs subvolume info");
        struct timespec tick = {0, 10000000}; /* 10 ms if the resolution is unknown */
        clock_getres(CLOCK_REALTIME_COARSE, &tick);
        long long ns = (long long) info.otime.sec * 1000000000LL + (long long) info.otime.nsec -
                       ((long long) tick.tv_sec * 1000000000LL + tick.tv_nsec);
        if (ns < 0)
                ns = 0;
        ret->tv_sec = (time_t) (ns / 1000000000LL);
        ret->tv_nsec = (long) (ns % 1000000000LL);
        return 0;
}

int btrfs_qgroup_limit(int fd, uint64_t max_bytes, struct cric_error **err) {
        /* qgroupid 0: the qgroup of the subvolume fd is in. */
        struct btrfs_ioctl_qgroup_limit_args args = {
                .qgroupid = 0,
                .lim = {.flags = BTRFS_QGROUP_LIMIT_MAX_RFER, .max_rfer = max_bytes},
        };
        if (ioctl(fd, BTRFS_IOC_QGROUP_LIMIT, &args) == 0)
                return 0;
        int e = errno;
        if (e == ENOTCONN)
                return cric_error_set(err, CRIC_E_PRECONDITION, "set a btrfs quota: quotas are not enabled");
        return cric_error_errno(err, CRIC_E_INTERNAL, e, "set a btrfs quota");
}
