/* One tar entry onto disk. The parent directory comes from unpack_open_parent() (so
 * it is beneath the root); the last component is created, replaced and given its
 * metadata only through *at() calls that do not follow it, or through an fd opened
 * with O_NOFOLLOW. Ownership goes first, then the mode (chown clears setuid/setgid),
 * then xattrs (so that security.capability survives), then times. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "storage/unpack_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

struct entry_meta {
        mode_t perm;
        uid_t uid;
        gid_t gid;
        struct timespec times[2]; /* atime, mtime */
};

static long clamp_nsec(long nsec) {
        return nsec < 0 || nsec > 999999999 ? 0 : nsec;
}

static int read_meta(struct unpack_ctx *ctx, struct archive_entry *e, struct entry_meta *m, struct cric_error **err) {
        int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);
        /* (uid_t) -1 would mean "leave unchanged" to chown: refuse it with the rest. */
        if (uid < 0 || uid >= UINT32_MAX || gid < 0 || gid >= UINT32_MAX)
                return entry_error(ctx, err, CRIC_E_INVALID, 0, "owner %lld:%lld out of range", (long long) uid,
                                   (long long) gid);
        m->uid = (uid_t) uid;
        m->gid = (gid_t) gid;
        m->perm = archive_entry_perm(e) & 07777;
        m->times[1].tv_sec = archive_entry_mtime(e);
        m->times[1].tv_nsec = clamp_nsec(archive_entry_mtime_nsec(e));
        if (archive_entry_atime_is_set(e)) {
                m->times[0].tv_sec = archive_entry_atime(e);
                m->times[0].tv_nsec = clamp_nsec(archive_entry_atime_nsec(e));
        } else {
                m->times[0] = m->times[1];
        }
        return 0;
}

/* Sets every xattr of the entry, on fd when >= 0, else on parent/name without
 * following it. trusted.overlay.* belongs to the whiteout format, never to content. */
static int set_xattrs(struct unpack_ctx *ctx, struct archive_entry *e, int fd, int parent, const char *name,
                      struct cric_error **err) {
        if (archive_entry_xattr_reset(e) == 0)
                return 0;
        AUTOFREE char *proc = fd < 0 ? xasprintf("/proc/self/fd/%d/%s", parent, name) : NULL;
        const char *xname;
        const void *value;
        size_t size;
        while (archive_entry_xattr_next(e, &xname, &value, &size) == ARCHIVE_OK) {
                if (!xname || !*xname)
                        return entry_error(ctx, err, CRIC_E_INVALID, 0, "xattr without a name");
                if (!strncmp(xname, "trusted.overlay.", 16)) {
                        log_debug("layer entry \"%s\": dropping xattr %s", ctx->entry, xname);
                        continue;
                }
                int r = fd >= 0 ? fsetxattr(fd, xname, value, size, 0) : lsetxattr(proc, xname, value, size, 0);
                if (r == 0)
                        continue;
                /* As docker does: a file system (or namespace) that takes no xattrs of
                 * this kind is not the layer's fault. */
                if (errno == ENOTSUP || errno == EPERM) {
                        log_debug("layer entry \"%s\": cannot set xattr %s: %s, ignoring", ctx->entry, xname,
                                  strerror(errno));
                        continue;
                }
                return entry_error(ctx, err, entry_errno_kind(errno), errno, "set xattr %s", xname);
        }
        return 0;
}

static int set_meta_fd(struct unpack_ctx *ctx, struct archive_entry *e, int fd, const struct entry_meta *m,
                       struct cric_error **err) {
        if (fchown(fd, m->uid, m->gid) < 0)
                return entry_error(ctx, err, CRIC_E_INTERNAL, errno, "chown");
        if (fchmod(fd, m->perm) < 0)
                return entry_error(ctx, err, CRIC_E_INTERNAL, errno, "chmod");
        return set_xattrs(ctx, e, fd, -1, NULL, err);
}

static int set_meta_at(struct unpack_ctx *ctx, struct archive_entry *e, int parent, const char *name,
                       const struct entry_meta *m, bool is_symlink, struct cric_error **err) {
        if (fchownat(parent, name, m->uid, m->gid, AT_SYMLINK_NOFOLLOW) < 0)
                return entry_error(ctx, err, CRIC_E_INTERNAL, errno, "chown");
        if (!is_symlink && fchmodat(parent, name, m->perm, AT_SYMLINK_NOFOLLOW) < 0)
                return entry_error(ctx, err, CRIC_E_INTERNAL, errno, "chmod");
        if (set_xattrs(ctx, e, -1, parent, name, err) < 0)
                return -1;
        if (utimensat(parent, name, m->times, AT_SYMLINK_NOFOLLOW) < 0)
                return entry_error(ctx, err, CRIC_E_INTERNAL, errno, "set times");
        return 0;
}

/* Clears the way for a new entry: anything at parent/name is removed, directories
 * with their contents, except that with ret_kept_dir (a directory is coming) an
 * existing directory stays, for its metadata to be updated, and *ret_kept_dir says so. */
static int prepare_slot(struct unpack_ctx *ctx, int parent, const char *name, bool *ret_kept_dir,
                        struct cric_error **err) {
        struct stat st;
        if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno != ENOENT)
                        return entry_error(ctx, err, entry_errno_kind(errno), errno, "stat");
                return 0;
        }
        if (S_ISDIR(st.st_mode)) {
                if (ret_kept_dir) {
                        *ret_kept_dir = true;
                        return 0;
                }
                return unpack_remove_tree(ctx, parent, name, err);
        }
        if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
                return entry_error(ctx, err, CRIC_E_INTERNAL, errno, "remove the existing entry");
        return 0;
}

static int write_all_at(int fd, const void *data, size_t len, off_t off) {
        const char *p = data;
        while (len > 0) {
                ssize_t n = pwrite(fd, p, len, off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -1;
                }
                p += n;
                len -= (size_t) n;
                off += n;
        }
        return 0;
}

/* Files at least this big start their writeback as soon as their data is written:
 * the layer's one syncfs at the end (layer_tmp_sync) then waits for little, while
 * the disk works during the download instead of after it. Smaller files are not
 * worth a system call each. */
#define EARLY_WRITEBACK_MIN (256 * 1024)

/* Copies the entry's data block by block; blocks carry offsets, so sparse entries
 * leave holes, and a final hole is made by extending the file to its size. */
static int write_data(struct unpack_ctx *ctx, struct archive *a, struct archive_entry *e, int fd,
                      struct cric_error **err) {
        int64_t end = 0;
        for (;;) {
                const void *buf;
                size_t len;
                la_int64_t off;
                int r = archive_read_data_block(a, &buf, &len, &off);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN)
                        return unpack_archive_error(ctx, a, err);
                if (off < 0 || (uint64_t) off > (uint64_t) INT64_MAX - len)
                        return entry_error(ctx, err, CRIC_E_INVALID, 0, "bad data offset %lld", (long long) off);
                if (len > 0 && write_all_at(fd, buf, len, (off_t) off) < 0)
                        return entry_error(ctx, err, entry_errno_kind(errno), errno, "write");
                if (off + (int64_t) len > end)
                        end = off + (int64_t) len;
        }
        int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
        if (size > end && ftruncate(fd, (off_t) size) < 0)
                return entry_error(ctx, err, CRIC_E_INVALID, errno, "extend to %lld bytes", (long long) size);
        /* Only a hint (no wait, no durability): errors are the final sync's business. */
        if (end >= EARLY_WRITEBACK_MIN)
                sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        return 0;
}

static int make_file(struct unpack_ctx *ctx, struct archive *a, struct archive_entry *e, int parent, const char *name,
                     const struct entry_meta *m, struct cric_error **err) {
        if (prepare_slot(ctx, parent, name, NULL, err) < 0)
                return -1;
        AUTOCLOSE int fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return entry_error(ctx, err, entry_errno_kind(errno), errno, "create");
        if (write_data(ctx, a, e, fd, err) < 0 || set_meta_fd(ctx, e, fd, m, err) < 0)
                return -1;
        if (futimens(fd, m->times) < 0)
                return entry_error(ctx, err, CRIC_E_INTERNAL, errno, "set times");
        return 0;
}

static void defer_dir_times(struct unpack_ctx *ctx, const char *path, const struct entry_meta *m) {
        ctx->dirs = xgrow(ctx->dirs, &ctx->cap_dirs, ctx->n_dirs + 1, sizeof(*ctx->dirs));
        struct dir_time *d = &ctx->dirs[ctx->n_dirs];
        d->path = xstrdup(path);
        d->times[0] = m->times[0];
        d->times[1] = m->times[1];
        d->depth = unpack_path_depth(path);
        d->seq = ctx->n_dirs++;
}

static int make_dir(struct unpack_ctx *ctx, struct archive_entry *e, const char *path, int parent, const char *name,
                    const struct entry_meta *m, struct cric_error **err) {
        bool exists = false;
        if (prepare_slot(ctx, parent, name, &exists, err) < 0)
                return -1;
        if (!exists && mkdirat(parent, name, 0700) < 0)
                return entry_error(ctx, err, entry_errno_kind(errno), errno, "mkdir");
        AUTOCLOSE int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return entry_error(ctx, err, CRIC_E_INTERNAL, errno, "open");
        if (set_meta_fd(ctx, e, fd, m, err) < 0)
                return -1;
        defer_dir_times(ctx, path, m);
        return 0;
}

/* "./" entries: the layer root takes the entry's owner, mode and times. */
static int update_root(struct unpack_ctx *ctx, struct archive_entry *e, const struct entry_meta *m,
                       struct cric_error **err) {
        if (set_meta_fd(ctx, e, ctx->root, m, err) < 0)
                return -1;
        defer_dir_times(ctx, "", m);
        return 0;
}

static int make_symlink(struct unpack_ctx *ctx, struct archive_entry *e, int parent, const char *name,
                        const struct entry_meta *m, struct cric_error **err) {
        const char *target = archive_entry_symlink(e);
        if (!target)
                target = archive_entry_symlink_utf8(e);
        if (!target || !*target)
                return entry_error(ctx, err, CRIC_E_INVALID, 0, "symlink without a target");
        if (prepare_slot(ctx, parent, name, NULL, err) < 0)
                return -1;
        /* The target is stored as it is: nothing here ever resolves it. */
        if (symlinkat(target, parent, name) < 0)
                return entry_error(ctx, err, entry_errno_kind(errno), errno, "symlink");
        return set_meta_at(ctx, e, parent, name, m, true, err);
}

static int make_node(struct unpack_ctx *ctx, struct archive_entry *e, mode_t type, int parent, const char *name,
                     const struct entry_meta *m, struct cric_error **err) {
        dev_t dev = type == S_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
        if (prepare_slot(ctx, parent, name, NULL, err) < 0)
                return -1;
        if (mknodat(parent, name, type | 0600, dev) < 0)
                return entry_error(ctx, err, entry_errno_kind(errno), errno, "mknod");
        return set_meta_at(ctx, e, parent, name, m, false, err);
}

static int link_target_missing(struct unpack_ctx *ctx, const char *raw, struct cric_error **err) {
        return entry_error(ctx, err, CRIC_E_INVALID, 0, "hard link target \"%s\" not found in the layer", raw);
}

/* The target must already be in the tree: it is cleaned like an entry path and its
 * parent resolved beneath the root, and linkat() does not follow its last component. */
static int make_hardlink(struct unpack_ctx *ctx, const char *path, int parent, const char *name, const char *raw,
                         struct cric_error **err) {
        AUTOFREE char *what = xasprintf("hard link target \"%s\"", raw);
        AUTOFREE char *target = NULL;
        if (unpack_path_clean(ctx, raw, what, &target, err) < 0)
                return -1;
        if (!*target)
                return entry_error(ctx, err, CRIC_E_INVALID, 0, "hard link to the layer root");
        if (!strcmp(target, path))
                return 0;
        AUTOCLOSE int tparent = -1;
        const char *tname;
        int r = unpack_open_parent(ctx, target, false, &tparent, &tname, err);
        if (r == -ENOENT) {
                cric_error_freep(err);
                return link_target_missing(ctx, raw, err);
        }
        if (r < 0)
                return -1;
        struct stat st;
        if (fstatat(tparent, tname, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        return link_target_missing(ctx, raw, err);
                return entry_error(ctx, err, entry_errno_kind(errno), errno, "stat \"%s\"", raw);
        }
        if (S_ISDIR(st.st_mode))
                return entry_error(ctx, err, CRIC_E_INVALID, 0, "hard link to directory \"%s\"", raw);
        if (prepare_slot(ctx, parent, name, NULL, err) < 0)
                return -1;
        if (linkat(tparent, tname, parent, name, 0) < 0)
                return entry_error(ctx, err, entry_errno_kind(errno), errno, "link to \"%s\"", raw);
        return 0;
}

static int make_entry(struct unpack_ctx *ctx, struct archive *a, struct archive_entry *e, const char *path,
                      const struct entry_meta *m, struct cric_error **err) {
        AUTOCLOSE int parent = -1;
        const char *name;
        if (unpack_open_parent(ctx, path, true, &parent, &name, err) < 0)
                return -1;
        const char *hardlink = archive_entry_hardlink(e);
        if (!hardlink)
                hardlink = archive_entry_hardlink_utf8(e);
        if (hardlink)
                return make_hardlink(ctx, path, parent, name, hardlink, err);
        mode_t type = archive_entry_filetype(e);
        switch (type) {
        case AE_IFREG: return make_file(ctx, a, e, parent, name, m, err);
        case AE_IFDIR: return make_dir(ctx, e, path, parent, name, m, err);
        case AE_IFLNK: return make_symlink(ctx, e, parent, name, m, err);
        case AE_IFCHR: return make_node(ctx, e, S_IFCHR, parent, name, m, err);
        case AE_IFBLK: return make_node(ctx, e, S_IFBLK, parent, name, m, err);
        case AE_IFIFO: return make_node(ctx, e, S_IFIFO, parent, name, m, err);
        default: return entry_error(ctx, err, CRIC_E_INVALID, 0, "unsupported entry type 0%o", (unsigned) type);
        }
}

int unpack_entry_apply(struct unpack_ctx *ctx, struct archive *a, struct archive_entry *e, struct cric_error **err) {
        const char *raw = archive_entry_pathname(e);
        if (!raw)
                raw = archive_entry_pathname_utf8(e);
        if (!raw)
                return cric_error_set(err, CRIC_E_INVALID, "layer: entry without a path");
        ctx->entry = raw;
        AUTOFREE char *path = NULL;
        if (unpack_path_clean(ctx, raw, "path", &path, err) < 0)
                return -1;
        if (unpack_is_whiteout(path))
                return unpack_whiteout_apply(ctx, path, err);
        struct entry_meta m = {0};
        if (read_meta(ctx, e, &m, err) < 0)
                return -1;
        if (!*path) {
                if (archive_entry_hardlink(e) || archive_entry_filetype(e) != AE_IFDIR)
                        return entry_error(ctx, err, CRIC_E_INVALID, 0, "only a directory can stand for the root");
                if (update_root(ctx, e, &m, err) < 0)
                        return -1;
        } else if (make_entry(ctx, a, e, path, &m, err) < 0) {
                return -1;
        }
        if (ctx->whiteouts == WHITEOUT_APPLY)
                path_set_add(&ctx->written, path);
        ctx->files++;
        return 0;
}

static int cmp_dir_time(const void *a, const void *b) {
        const struct dir_time *x = a, *y = b;
        if (x->depth != y->depth)
                return x->depth > y->depth ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Children change their directory's mtime, so directories get theirs last, deepest
 * first. A directory replaced or removed since its entry is skipped. */
int unpack_dir_times_apply(struct unpack_ctx *ctx, struct cric_error **err) {
        if (ctx->n_dirs > 1)
                qsort(ctx->dirs, ctx->n_dirs, sizeof(*ctx->dirs), cmp_dir_time);
        for (size_t i = 0; i < ctx->n_dirs; i++) {
                const struct dir_time *d = &ctx->dirs[i];
                AUTOCLOSE int fd = fs_openat_beneath(ctx->root, d->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0,
                                                     unpack_in_root(ctx));
                if (fd < 0) {
                        if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == EXDEV)
                                continue;
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "layer: open directory \"%s\"", d->path);
                }
                if (futimens(fd, d->times) < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "layer: set times of \"%s\"", d->path);
        }
        return 0;
}

void unpack_dir_times_clear(struct unpack_ctx *ctx) {
        for (size_t i = 0; i < ctx->n_dirs; i++)
                free(ctx->dirs[i].path);
        free(ctx->dirs);
        ctx->dirs = NULL;
        ctx->n_dirs = ctx->cap_dirs = 0;
}
