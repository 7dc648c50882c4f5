/* Container root file systems under <root>/containers/<id>/.
 *
 * overlay: upper/ and work/ are the container's writable layer. l/ holds one symlink
 * per lower layer, named by its place in the lowerdir option ("0" is the top layer) and
 * pointing at ../../../layers/<hex>/diff; an image without layers gets the single link
 * "0" -> ../lower, an empty directory. Why the links: mount(2) takes the whole option
 * string in one page (4096 bytes). Absolute diff paths cost the root's length plus ~80
 * bytes a layer and overflow at a few dozen layers; even relative "<hex>/diff" paths
 * cost 70 bytes and stop at 58. The daemon mounts with the links reached through a
 * descriptor of the container's directory, "lowerdir=/proc/self/fd/N/l/0:...,
 * upperdir=/proc/self/fd/N/upper,workdir=/proc/self/fd/N/work", about 22 bytes a layer,
 * which fits up to about 180 layers. Beyond that a forked child chdir()s into l/ and
 * mounts with "lowerdir=0:1:2:...,upperdir=../upper,workdir=../work", under 4 bytes a
 * layer, which covers overlay's own limit of 500 lower layers. The fork keeps the chdir
 * away from the daemon's other threads (the working directory belongs to the whole
 * process); between _Fork() and _exit() the child only calls chdir, mount and write.
 * Overlay resolves the paths (following the links) at mount time, so rebuilding l/ for
 * a later mount never disturbs a live one.
 *
 * vfs: rootfs/ is a full copy of the top layer (vfs layers are complete trees), made
 * once under a temporary name and renamed into place, then bind-mounted.
 *
 * btrfs: rootfs/ is a writable snapshot of the top layer's subvolume (limited to
 * btrfs.size by a qgroup when the file system has quotas), made the same way. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage/driver.h"
#include "storage/storage.h"
#include "util/btrfs.h"
#include "util/cleanup.h"
#include "util/crashpoint.h"
#include "util/forkrun.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/rm.h"
#include "util/spawn.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define OVERLAY_MAX_LAYERS 500 /* the kernel's OVL_MAX_STACK */
#define COPY_TIMEOUT_MS    600000

static int unmount_idmapped(const char *dir, struct cric_error **err);

/* The id becomes one path component: refuse anything that would walk elsewhere. */
static int check_id(const char *id, struct cric_error **err) {
        if (!id || !*id || strlen(id) > NAME_MAX || strchr(id, '/') || !strcmp(id, ".") || !strcmp(id, ".."))
                return cric_error_set(err, CRIC_E_INVALID, "invalid container id \"%s\"", id ? id : "");
        return 0;
}

static char *containers_dir(struct layer_store *ls) {
        return xasprintf("%s/containers", layer_store_root(ls));
}

static char *container_dir(struct layer_store *ls, const char *id) {
        return xasprintf("%s/containers/%s", layer_store_root(ls), id);
}

/* "sha256:<hex>" -> "<hex>", the layer's directory name. */

static int check_layers(struct layer_store *ls, char *const *layers, size_t n, struct cric_error **err) {
        for (size_t i = 0; i < n; i++) {
                const char *hex = layer_hex_of(layers[i]);
                if (!*hex || strchr(hex, '/') || !strcmp(hex, ".") || !strcmp(hex, ".."))
                        return cric_error_set(err, CRIC_E_INVALID, "invalid layer id \"%s\"", layers[i]);
                if (!layer_store_has(ls, layers[i]))
                        return cric_error_set(err, CRIC_E_NOT_FOUND, "layer %s not found", layers[i]);
        }
        return 0;
}

/* mkdir that tolerates an existing directory; *ret_created says which happened. */
static int mkdir_once(const char *path, mode_t mode, bool *ret_created, struct cric_error **err) {
        *ret_created = mkdir(path, mode) == 0;
        if (*ret_created || errno == EEXIST)
                return 0;
        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "mkdir %s", path);
}

/* ---- overlay ---- */

/* A fresh upper dir takes the mode and owner of the top layer's root: it is what the
 * container sees as "/" (owner mapped to the host's ids when idmap is set). */
static int make_upper(struct layer_store *ls, const char *upper, const char *top_chain_id,
                      const struct rootfs_idmap *idmap, struct cric_error **err) {
        bool created;
        if (mkdir_once(upper, 0755, &created, err) < 0)
                return -1;
        if (!created)
                return 0;
        struct stat st = {.st_mode = 0755, .st_uid = 0, .st_gid = 0};
        if (top_chain_id) {
                AUTOFREE char *diff = layer_store_diff_path(ls, top_chain_id);
                if (stat(diff, &st) < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "stat %s", diff);
        }
        if (idmap) {
                st.st_uid = idmap_to_host(idmap->uids, idmap->n_uids, st.st_uid);
                st.st_gid = idmap_to_host(idmap->gids, idmap->n_gids, st.st_gid);
        }
        if (chmod(upper, st.st_mode & 07777) < 0 || chown(upper, st.st_uid, st.st_gid) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "set the owner and mode of %s", upper);
        return 0;
}

/* Rebuilds dir/l: link i is the i-th lower dir, top layer first; up leads from l/ to
 * the store's root. With bottom (or no layers), one more link goes to ../lower, an
 * empty directory: a read-only overlay needs two lower dirs. */
static int make_links(const char *dir, const char *up, char *const *layers, size_t n, bool bottom, bool idmapped,
                      struct cric_error **err) {
        AUTOFREE char *links = xasprintf("%s/l", dir);
        if (rm_rf(links, err) < 0)
                return -1;
        if (mkdir(links, 0700) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "mkdir %s", links);
        for (size_t i = 0; i < n + (bottom || n == 0); i++) {
                AUTOFREE char *link = xasprintf("%s/%zu", links, i);
                AUTOFREE char *to = i < n && idmapped ? xasprintf("../idl/%zu", i)
                                    : i < n ? xasprintf("%slayers/%s/diff", up, layer_hex_of(layers[n - 1 - i]))
                                            : xstrdup("../lower");
                if (symlink(to, link) < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "symlink %s", link);
        }
        return 0;
}

/* "lowerdir=<links>0:<links>1:...,upperdir=<dir>upper,workdir=<dir>work": links and
 * dir are prefixes ending in "/" (or empty), for the links in l/ and the container's
 * directory. A read-only mount (dir NULL) has no upper and work dirs. */
static char *overlay_options(const char *links, const char *dir, size_t n) {
        size_t cap = 64 + 2 * (dir ? strlen(dir) : 0) + (n ? n : 1) * (strlen(links) + 8);
        char *opts = xmalloc(cap);
        size_t used = (size_t) snprintf(opts, cap, "lowerdir=%s0", links);
        for (size_t i = 1; i < n; i++)
                used += (size_t) snprintf(opts + used, cap - used, ":%s%zu", links, i);
        if (dir)
                snprintf(opts + used, cap - used, ",upperdir=%supper,workdir=%swork", dir, dir);
        return opts;
}

/* The mount helper may wait on a busy overlay; it never needs more than this. */
#define MOUNT_TIMEOUT_MS 30000

struct mount_report {
        int step; /* 0: chdir, 1: mount */
        int errnum;
};

struct mount_job {
        const char *links, *target, *opts;
        unsigned long flags;
};

/* forkrun child: async-signal-safe calls only. */
static void mount_child(void *data, int out) {
        const struct mount_job *job = data;
        struct mount_report rep = {0, 0};
        if (chdir(job->links) < 0) {
                rep.errnum = errno;
        } else {
                rep.step = 1;
                if (mount("overlay", job->target, "overlay", job->flags, job->opts) < 0)
                        rep.errnum = errno;
        }
        (void) write(out, &rep, sizeof(rep));
}

static int mount_in_child(const char *links, const char *target, const char *opts, unsigned long flags,
                          struct cric_error **err) {
        struct mount_job job = {.links = links, .target = target, .opts = opts, .flags = flags};
        struct mount_report rep = {0, 0};
        ssize_t got = 0;
        if (forkrun(mount_child, &job, &rep, sizeof(rep), MOUNT_TIMEOUT_MS, "mount helper", &got, err) < 0)
                return -1;
        if (got != (ssize_t) sizeof(rep))
                return cric_error_set(err, CRIC_E_INTERNAL, "mount helper died");
        if (rep.errnum && rep.step == 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, rep.errnum, "chdir %s", links);
        if (rep.errnum)
                return cric_error_errno(err, CRIC_E_INTERNAL, rep.errnum, "mount overlay at %s", target);
        return 0;
}

/* The container's root (writable: upper/ and work/ in dir, links from up "../../../")
 * or an image volume (read-only: no upper). */
struct overlay_kind {
        bool ro;
        const char *up;
        const struct rootfs_idmap *idmap; /* layers idmapped through it (under idl/) */
};
static const struct overlay_kind ROOTFS = {false, "../../../", NULL}, IMAGE_VOLUME = {true, "../../../../../", NULL};

/* <dir>/idl/<i>: layer i of the lowerdir list (top first), idmapped. */
static int idmap_layers(struct layer_store *ls, const char *dir, char *const *layers, size_t n,
                        const struct rootfs_idmap *idmap, struct cric_error **err) {
        AUTOFREE char *idl = xasprintf("%s/idl", dir);
        if (unmount_idmapped(dir, err) < 0 || rm_rf(idl, err) < 0 || fs_mkdir_p(idl, 0700, err) < 0)
                return -1;
        for (size_t i = 0; i < n; i++) {
                AUTOFREE char *target = xasprintf("%s/%zu", idl, i);
                AUTOFREE char *diff = layer_store_diff_path(ls, layers[n - 1 - i]);
                if (mkdir(target, 0700) < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "mkdir %s", target);
                if (idmap_bind(diff, target, idmap->userns_fd, err) < 0)
                        return -1;
        }
        return 0;
}

static int mount_overlay(struct layer_store *ls, const char *dir, char *const *layers, size_t n, const char *target,
                         const struct overlay_kind *kind, struct cric_error **err) {
        if (n > OVERLAY_MAX_LAYERS)
                return cric_error_set(err, CRIC_E_INVALID, "%zu layers: overlay stacks at most %d", n,
                                      OVERLAY_MAX_LAYERS);
        AUTOFREE char *upper = xasprintf("%s/upper", dir);
        AUTOFREE char *work = xasprintf("%s/work", dir);
        AUTOFREE char *lower = xasprintf("%s/lower", dir);
        AUTOFREE char *links = xasprintf("%s/l", dir);
        bool created;
        if (!kind->ro && (make_upper(ls, upper, n ? layers[n - 1] : NULL, kind->idmap, err) < 0 ||
                          mkdir_once(work, 0700, &created, err) < 0))
                return -1;
        if (kind->idmap && idmap_layers(ls, dir, layers, n, kind->idmap, err) < 0)
                return -1;
        if (((n == 0 || kind->ro) && mkdir_once(lower, 0755, &created, err) < 0) ||
            make_links(dir, kind->up, layers, n, kind->ro, kind->idmap != NULL, err) < 0)
                return -1;
        size_t n_lower = n + (kind->ro || n == 0);
        unsigned long flags = kind->ro ? MS_RDONLY : 0;
        long page_size = sysconf(_SC_PAGESIZE);
        size_t page = (size_t) (page_size > 0 ? page_size : 4096);
        AUTOCLOSE int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open %s", dir);
        char fd_dir[32], fd_links[40];
        snprintf(fd_dir, sizeof(fd_dir), "/proc/self/fd/%d/", dirfd);
        snprintf(fd_links, sizeof(fd_links), "%sl/", fd_dir);
        AUTOFREE char *fd_opts = overlay_options(fd_links, kind->ro ? NULL : fd_dir, n_lower);
        if (strlen(fd_opts) < page) { /* no fork: about 1 ms less */
                log_debug("storage: mount overlay at %s: %s", target, fd_opts);
                if (mount("overlay", target, "overlay", flags, fd_opts) < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "mount overlay at %s", target);
                return 0;
        }
        AUTOFREE char *opts = overlay_options("", kind->ro ? NULL : "../", n_lower); /* from inside l/ */
        if (strlen(opts) >= page)
                return cric_error_set(err, CRIC_E_INVALID, "overlay options for %zu layers exceed a page", n);
        log_debug("storage: mount overlay at %s from %s: %s", target, links, opts);
        return mount_in_child(links, target, opts, flags, err);
}

/* ---- vfs ---- */

static int make_vfs_copy(struct layer_store *ls, const char *dir, const char *top_chain_id, const char *rootfs,
                         struct cric_error **err) {
        struct stat st;
        if (stat(rootfs, &st) == 0 && S_ISDIR(st.st_mode))
                return 0; /* copied by an earlier mount */
        AUTOFREE char *tmp = xasprintf("%s/rootfs.tmp", dir);
        if (rm_rf(tmp, err) < 0)
                return -1;
        if (mkdir(tmp, 0755) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "mkdir %s", tmp);
        if (top_chain_id) {
                /* cp -a keeps owners, modes, times, xattrs, hard links and special files;
                 * "<diff>/." also gives tmp itself the attributes of the layer's root. */
                AUTOFREE char *diff = layer_store_diff_path(ls, top_chain_id);
                AUTOFREE char *from = xasprintf("%s/.", diff);
                char *argv[] = {"cp", "-a", "--reflink=auto", from, tmp, NULL};
                if (spawn_run(argv, &(struct spawn_opts){.timeout_ms = COPY_TIMEOUT_MS}, NULL, err) < 0)
                        return cric_error_prefix(err, "copy layer %s", top_chain_id);
        }
        crashpoint("rootfs-made");
        if (rename(tmp, rootfs) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "rename %s to %s", tmp, rootfs);
        return 0;
}

/* ---- btrfs ---- */

static int make_btrfs_snapshot(struct layer_store *ls, const char *dir, const char *top_chain_id, const char *rootfs,
                               struct cric_error **err) {
        struct stat st;
        if (stat(rootfs, &st) == 0 && S_ISDIR(st.st_mode))
                return 0; /* made by an earlier mount */
        AUTOCLOSE int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open %s", dir);
        /* A rootfs.tmp is what a crash between the snapshot and the rename leaves. */
        if (rm_rf_at(dfd, "rootfs.tmp", err) < 0)
                return -1;
        if (top_chain_id) {
                AUTOFREE char *diff = layer_store_diff_path(ls, top_chain_id);
                AUTOCLOSE int lfd = open(diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (lfd < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open %s", diff);
                if (btrfs_snapshot(lfd, dfd, "rootfs.tmp", false, err) < 0)
                        return cric_error_prefix(err, "snapshot layer %s", top_chain_id);
        } else if (btrfs_subvol_create(dfd, "rootfs.tmp", err) < 0) {
                return -1;
        }
        uint64_t quota = layer_store_btrfs_quota(ls);
        if (quota) {
                AUTOCLOSE int fd = openat(dfd, "rootfs.tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open %s/rootfs.tmp", dir);
                if (btrfs_qgroup_limit(fd, quota, err) < 0)
                        return cric_error_prefix(err, "limit %s to btrfs.size %llu bytes", rootfs,
                                                 (unsigned long long) quota);
        }
        crashpoint("rootfs-made");
        if (renameat(dfd, "rootfs.tmp", dfd, "rootfs") < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "rename %s/rootfs.tmp to %s", dir, rootfs);
        return 0;
}

/* vfs and btrfs: rootfs/ (a copy or a snapshot of the top layer) bound at target,
 * idmapped through idmap's user namespace when it is set. */
static int mount_full_tree(struct layer_store *ls, const char *dir, char *const *layers, size_t n, const char *target,
                           const struct rootfs_idmap *idmap, struct cric_error **err) {
        AUTOFREE char *rootfs = xasprintf("%s/rootfs", dir);
        const char *top = n ? layers[n - 1] : NULL;
        int r = layer_store_driver(ls) == STORAGE_BTRFS ? make_btrfs_snapshot(ls, dir, top, rootfs, err)
                                                        : make_vfs_copy(ls, dir, top, rootfs, err);
        if (r < 0)
                return -1;
        if (idmap)
                return idmap_bind(rootfs, target, idmap->userns_fd, err);
        if (mount(rootfs, target, NULL, MS_BIND, NULL) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "bind mount %s at %s", rootfs, target);
        return 0;
}

static int mount_rootfs(struct layer_store *ls, const char *id, char *const *layers, const char *target,
                        const struct overlay_kind *kind, struct cric_error **err) {
        if (check_id(id, err) < 0)
                return -1;
        size_t n = strv_length(layers);
        if (check_layers(ls, layers, n, err) < 0)
                return cric_error_prefix(err, "mount rootfs of container %s", id);
        /* The overlay child changes directory: a relative target must be made absolute first. */
        AUTOFREE char *abs_target = target[0] == '/' ? xstrdup(target) : realpath(target, NULL);
        if (!abs_target)
                return cric_error_errno(err, errno == ENOENT ? CRIC_E_NOT_FOUND : CRIC_E_INTERNAL, errno,
                                        "mount rootfs of container %s: resolve %s", id, target);
        AUTOFREE char *dir = container_dir(ls, id);
        int r = fs_mkdir_p(dir, 0700, err);
        if (r == 0 && layer_store_driver(ls) != STORAGE_OVERLAY)
                r = mount_full_tree(ls, dir, layers, n, abs_target, kind->idmap, err);
        else if (r == 0)
                r = mount_overlay(ls, dir, layers, n, abs_target, kind, err);
        if (r < 0)
                return cric_error_prefix(err, "mount rootfs of container %s", id);
        return 0;
}

int rootfs_mount(struct layer_store *ls, const char *id, char *const *layers, const char *target,
                 struct cric_error **err) {
        return mount_rootfs(ls, id, layers, target, &ROOTFS, err);
}

int rootfs_mount_idmapped(struct layer_store *ls, const char *id, char *const *layers, const char *target,
                          const struct rootfs_idmap *idmap, struct cric_error **err) {
        if (layer_store_driver(ls) == STORAGE_VFS)
                return cric_error_set(err, CRIC_E_UNIMPLEMENTED,
                                      "container %s: a user namespace needs the overlay or btrfs storage driver", id);
        struct overlay_kind kind = ROOTFS;
        kind.idmap = idmap;
        if (mount_rootfs(ls, id, layers, target, &kind, err) < 0)
                return -1;
        /* An OCI runtime inside the user namespace may not change the propagation of a
         * mount it got from the host's namespace: it gets a private one. */
        if (mount(NULL, target, NULL, MS_PRIVATE, NULL) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "make %s private", target);
        return 0;
}

/* vfs and btrfs: the top layer is a complete tree; bound read-only (an empty dir for no
 * layer). */
static int mount_vfs_ro(struct layer_store *ls, const char *dir, char *const *layers, size_t n, const char *target,
                        struct cric_error **err) {
        AUTOFREE char *source = n ? layer_store_diff_path(ls, layers[n - 1]) : xasprintf("%s/lower", dir);
        if (n == 0 && fs_mkdir_p(source, 0755, err) < 0)
                return -1;
        if (mount(source, target, NULL, MS_BIND, NULL) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "bind mount %s at %s", source, target);
        if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0) {
                int e = errno;
                umount2(target, MNT_DETACH);
                return cric_error_errno(err, CRIC_E_INTERNAL, e, "make %s read-only", target);
        }
        return 0;
}

int rootfs_mount_image(struct layer_store *ls, const char *id, unsigned index, char *const *layers, const char *target,
                       struct cric_error **err) {
        if (check_id(id, err) < 0)
                return -1;
        size_t n = strv_length(layers);
        if (check_layers(ls, layers, n, err) < 0)
                return cric_error_prefix(err, "mount image volume %u of container %s", index, id);
        AUTOFREE char *abs_target = target[0] == '/' ? xstrdup(target) : realpath(target, NULL);
        if (!abs_target)
                return cric_error_errno(err, errno == ENOENT ? CRIC_E_NOT_FOUND : CRIC_E_INTERNAL, errno,
                                        "mount image volume %u of container %s: resolve %s", index, id, target);
        AUTOFREE char *dir = xasprintf("%s/containers/%s/iv/%u", layer_store_root(ls), id, index);
        int r = fs_mkdir_p(dir, 0700, err);
        if (r == 0 && layer_store_driver(ls) != STORAGE_OVERLAY)
                r = mount_vfs_ro(ls, dir, layers, n, abs_target, err);
        else if (r == 0)
                r = mount_overlay(ls, dir, layers, n, abs_target, &IMAGE_VOLUME, err);
        if (r < 0)
                return cric_error_prefix(err, "mount image volume %u of container %s", index, id);
        return 0;
}

int rootfs_unmount(const char *target, struct cric_error **err) {
        /* Loop: a rootfs mounted twice by accident has two mounts stacked on target. */
        for (int i = 0; i < 16; i++) {
                if (umount2(target, UMOUNT_NOFOLLOW) == 0)
                        continue;
                if (errno == EBUSY && umount2(target, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
                        continue;
                if (errno == EINVAL || errno == ENOENT)
                        return 0; /* not (or no longer) a mount point, or gone */
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "unmount %s", target);
        }
        return cric_error_set(err, CRIC_E_INTERNAL, "unmount %s: still mounted after 16 unmounts", target);
}

int rootfs_remove(struct layer_store *ls, const char *id, struct cric_error **err) {
        if (check_id(id, err) < 0)
                return -1;
        AUTOFREE char *dir = container_dir(ls, id);
        if (unmount_idmapped(dir, err) < 0 || rm_rf(dir, err) < 0)
                return cric_error_prefix(err, "remove rootfs of container %s", id);
        return 0;
}

/* ---- usage ---- */

struct inode_key {
        dev_t dev;
        ino_t ino;
};

static int inode_cmp(const void *a, const void *b) {
        const struct inode_key *x = a, *y = b;
        if (x->dev != y->dev)
                return x->dev < y->dev ? -1 : 1;
        return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* nftw has no user pointer: the walk's state is per thread. */
static __thread struct {
        uint64_t bytes, inodes;
        void *seen;            /* tsearch tree of the multiply linked inodes already counted */
        struct timespec since; /* count only inodes changed since (btrfs: the snapshot's time) */
} walk;

static int usage_visit(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) path;
        (void) ftw;
        if (flag == FTW_NS)
                return 0; /* vanished while we walked (the container is running) */
        if (!fs_changed_since(st, walk.since))
                return 0; /* the snapshot shares it with the layer */
        if (!S_ISDIR(st->st_mode) && st->st_nlink > 1) {
                struct inode_key *k = xmalloc(sizeof(*k));
                *k = (struct inode_key){st->st_dev, st->st_ino};
                struct inode_key **found = tsearch(k, &walk.seen, inode_cmp);
                if (!found) {
                        free(k);
                        return -1;
                }
                if (*found != k) {
                        free(k);
                        return 0; /* another name of an inode already counted */
                }
        }
        walk.bytes += (uint64_t) st->st_blocks * 512;
        walk.inodes++;
        return 0;
}

/* Walks path counting blocks and inodes (each inode once) of what changed since
 * (zero: everything); -1 with errno. */
static int walk_usage(const char *path, struct timespec since, bool same_fs, uint64_t *ret_bytes,
                      uint64_t *ret_inodes) {
        walk.bytes = walk.inodes = 0;
        walk.seen = NULL;
        walk.since = since;
        int r = nftw(path, usage_visit, 64, FTW_PHYS | (same_fs ? FTW_MOUNT : 0));
        int e = errno;
        tdestroy(walk.seen, free);
        walk.seen = NULL;
        if (r != 0) {
                errno = e ? e : EIO;
                return -1;
        }
        *ret_bytes = walk.bytes;
        *ret_inodes = walk.inodes;
        return 0;
}

int rootfs_usage(struct layer_store *ls, const char *id, uint64_t *ret_bytes, uint64_t *ret_inodes, char **ret_path,
                 struct cric_error **err) {
        if (check_id(id, err) < 0)
                return -1;
        AUTOFREE char *dir = container_dir(ls, id);
        enum storage_driver driver = layer_store_driver(ls);
        AUTOFREE char *path = xasprintf("%s/%s", dir, driver == STORAGE_OVERLAY ? "upper" : "rootfs");
        struct stat st;
        if (lstat(path, &st) < 0)
                return cric_error_errno(err, errno == ENOENT ? CRIC_E_NOT_FOUND : CRIC_E_INTERNAL, errno,
                                        "usage of container %s: stat %s", id, path);
        /* A btrfs snapshot holds the whole image: what the container wrote is what
         * changed after the snapshot was taken. */
        struct timespec since = {0, 0};
        if (driver == STORAGE_BTRFS) {
                AUTOCLOSE int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "usage of container %s: open %s", id,
                                                path);
                if (btrfs_created_at(fd, &since, err) < 0)
                        return cric_error_prefix(err, "usage of container %s", id);
        }
        if (walk_usage(path, since, driver != STORAGE_BTRFS, ret_bytes, ret_inodes) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "usage of container %s: walk %s", id, path);
        if (ret_path)
                *ret_path = STEAL_PTR(path);
        return 0;
}

/* btrfs: the sum of every container's (each has its own snapshot time). */
static int btrfs_all_usage(struct layer_store *ls, uint64_t *ret_bytes, uint64_t *ret_inodes, struct cric_error **err) {
        CLEANUP(strv_freep) char **ids = NULL;
        if (rootfs_list(ls, &ids, err) < 0)
                return -1;
        for (size_t i = 0; ids[i]; i++) {
                uint64_t b = 0, n = 0;
                CLEANUP(cric_error_freep) struct cric_error *e = NULL;
                if (rootfs_usage(ls, ids[i], &b, &n, NULL, &e) < 0) {
                        if (e->kind != CRIC_E_NOT_FOUND)
                                return cric_error_move(err, &e);
                        continue; /* no writable layer yet, or removed meanwhile */
                }
                *ret_bytes += b;
                *ret_inodes += n;
        }
        return 0;
}

int rootfs_all_usage(struct layer_store *ls, uint64_t *ret_bytes, uint64_t *ret_inodes, char **ret_path,
                     struct cric_error **err) {
        AUTOFREE char *dir = containers_dir(ls);
        uint64_t bytes = 0, inodes = 0;
        struct stat st;
        bool exists = lstat(dir, &st) == 0;
        if (!exists && errno != ENOENT)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "usage of the containers' layers: stat %s", dir);
        if (exists && layer_store_driver(ls) == STORAGE_BTRFS) {
                if (btrfs_all_usage(ls, &bytes, &inodes, err) < 0)
                        return -1;
        } else if (exists && walk_usage(dir, (struct timespec){0, 0}, true, &bytes, &inodes) < 0) {
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "usage of the containers' layers: walk %s", dir);
        }
        *ret_bytes = bytes;
        *ret_inodes = inodes;
        *ret_path = STEAL_PTR(dir);
        return 0;
}

int rootfs_list(struct layer_store *ls, char ***ret_ids, struct cric_error **err) {
        AUTOFREE char *dir = containers_dir(ls);
        CLEANUP(strv_freep) char **names = NULL;
        if (fs_list_dir(dir, NULL, false, &names, err) < 0)
                return cric_error_prefix(err, "list container root file systems");
        char **ids = xcalloc(1, sizeof(char *));
        for (size_t i = 0; names[i]; i++) {
                AUTOFREE char *p = xasprintf("%s/%s", dir, names[i]);
                struct stat st;
                if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                        strv_push(&ids, names[i]);
        }
        *ret_ids = ids;
        return 0;
}

/* The idmapped layers under <dir>/idl: they are bind mounts of the store's layers, so
 * they must be gone before anything removes the directory. */
static int unmount_idmapped(const char *dir, struct cric_error **err) {
        AUTOFREE char *idl = xasprintf("%s/idl", dir);
        CLEANUP(strv_freep) char **names = NULL;
        if (fs_list_dir(idl, NULL, false, &names, err) < 0)
                return -1;
        for (size_t i = 0; names[i]; i++) {
                AUTOFREE char *p = xasprintf("%s/%s", idl, names[i]);
                if (rootfs_unmount(p, err) < 0)
                        return -1;
        }
        return 0;
}
