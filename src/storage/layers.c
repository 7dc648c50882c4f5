/* The on-disk layer store. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/driver.h"
#include "storage/storage.h"
#include "util/btrfs.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/rm.h"
#include "util/spawn.h"
#include "util/strv.h"
#include "util/xalloc.h"

struct layer_store {
        char *root;
        char *layers_dir;
        char *tmp_dir;
        enum storage_driver driver;
        struct storage_opts opts;
};

uint64_t layer_store_btrfs_quota(const struct layer_store *ls) {
        return ls->opts.btrfs_size;
}

enum storage_driver layer_store_driver(const struct layer_store *ls) {
        return ls->driver;
}

const char *layer_store_root(const struct layer_store *ls) {
        return ls->root;
}

bool layer_store_is_stacked(const struct layer_store *ls) {
        return ls->driver == STORAGE_OVERLAY;
}

enum whiteout_mode layer_store_whiteout_mode(const struct layer_store *ls) {
        return ls->driver == STORAGE_OVERLAY ? WHITEOUT_OVERLAY : WHITEOUT_APPLY;
}

void layer_chain_id(const char *parent_chain_id, const char *diff_id, char out[DIGEST_STR_LEN + 1]) {
        if (!parent_chain_id) {
                snprintf(out, DIGEST_STR_LEN + 1, "%s", diff_id);
                return;
        }
        AUTOFREE char *s = xasprintf("%s %s", parent_chain_id, diff_id);
        digest_buffer(s, strlen(s), out);
}

/* "sha256:<hex>" -> "<hex>" for directory names. */
const char *layer_hex_of(const char *chain_id) {
        const char *colon = strchr(chain_id, ':');
        return colon ? colon + 1 : chain_id;
}

static char *layer_dir(struct layer_store *ls, const char *chain_id) {
        return xasprintf("%s/%s", ls->layers_dir, layer_hex_of(chain_id));
}

char *layer_store_diff_path(struct layer_store *ls, const char *chain_id) {
        return xasprintf("%s/%s/diff", ls->layers_dir, layer_hex_of(chain_id));
}

/* btrfs.size needs quotas on the file system: tried on a throw-away subvolume, so a
 * store without them says so once at start instead of at every container. */
static int probe_quota(struct layer_store *ls, struct cric_error **err) {
        AUTOCLOSE int tmp = open(ls->tmp_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tmp < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open %s", ls->tmp_dir);
        if (btrfs_subvol_create(tmp, "quota-check", err) < 0)
                return -1;
        CLEANUP(cric_error_freep) struct cric_error *qerr = NULL;
        AUTOCLOSE int fd = openat(tmp, "quota-check", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r = fd < 0 ? cric_error_errno(&qerr, CRIC_E_INTERNAL, errno, "open quota-check")
                       : btrfs_qgroup_limit(fd, ls->opts.btrfs_size, &qerr);
        if (btrfs_subvol_destroy(tmp, "quota-check", err) < 0)
                return -1;
        if (r == 0)
                return 0;
        if (qerr->kind != CRIC_E_PRECONDITION)
                return cric_error_move(err, &qerr);
        log_warn("storage: btrfs.size is set but quotas are not enabled on the file system of %s: containers get "
                 "no size limit (enable them with `btrfs quota enable %s`)",
                 ls->root, ls->root);
        ls->opts.btrfs_size = 0;
        return 0;
}

int layer_store_open(const char *root, const char *driver, char *const *options, struct layer_store **ret,
                     struct cric_error **err) {
        CLEANUP(layer_store_freep) struct layer_store *ls = xzalloc(sizeof(*ls));
        ls->root = xstrdup(root);
        ls->layers_dir = xasprintf("%s/layers", root);
        ls->tmp_dir = xasprintf("%s/tmp", root);
        /* Whatever is in tmp/ was being written when the daemon stopped: drop it. */
        if (rm_rf(ls->tmp_dir, err) < 0)
                return cric_error_prefix(err, "clean %s", ls->tmp_dir);
        /* containers/ (rootfs.c) exists from the start: ImageFsInfo names it. */
        AUTOFREE char *ctrs = xasprintf("%s/containers", root);
        if (fs_mkdir_p(ls->layers_dir, 0700, err) < 0 || fs_mkdir_p(ls->tmp_dir, 0700, err) < 0 ||
            fs_mkdir_p(ctrs, 0700, err) < 0)
                return -1;
        if (storage_driver_select(root, ls->tmp_dir, driver, &ls->driver, err) < 0 ||
            storage_opts_parse(options, ls->driver, &ls->opts, err) < 0)
                return -1;
        if (ls->opts.btrfs_size && probe_quota(ls, err) < 0)
                return cric_error_prefix(err, "check btrfs quotas under %s", root);
        log_info("storage: %s driver at %s", storage_driver_name(ls->driver), root);
        *ret = STEAL_PTR(ls);
        return 0;
}

int layer_store_attach(const char *root, enum storage_driver driver, char *const *options, const char *tmp_dir,
                       struct layer_store **ret, struct cric_error **err) {
        if (driver < 0 || driver >= STORAGE_DRIVER_MAX)
                return cric_error_set(err, CRIC_E_INVALID, "storage at %s: no such driver (%d)", root, (int) driver);
        CLEANUP(layer_store_freep) struct layer_store *ls = xzalloc(sizeof(*ls));
        ls->root = xstrdup(root);
        ls->layers_dir = xasprintf("%s/layers", root);
        ls->tmp_dir = xstrdup(tmp_dir);
        ls->driver = driver;
        if (storage_opts_parse(options, driver, &ls->opts, err) < 0)
                return -1;
        *ret = STEAL_PTR(ls);
        return 0;
}

struct layer_store *layer_store_free(struct layer_store *ls) {
        if (ls) {
                free(ls->root);
                free(ls->layers_dir);
                free(ls->tmp_dir);
                free(ls);
        }
        return NULL;
}

void layer_store_freep(struct layer_store **ls) {
        if (ls)
                *ls = layer_store_free(*ls);
}

/* btrfs: diff is a subvolume, a writable snapshot of the parent's (layers are
 * complete trees, as with vfs, but sharing every unchanged extent). */
static int btrfs_new_diff(const char *dir, const char *parent_diff, const char *parent_name, struct cric_error **err) {
        AUTOCLOSE int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open %s", dir);
        if (!parent_diff)
                return btrfs_subvol_create(dfd, "diff", err);
        AUTOCLOSE int pfd = open(parent_diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
                return cric_error_errno(err, errno == ENOENT ? CRIC_E_NOT_FOUND : CRIC_E_INTERNAL, errno, "open %s",
                                        parent_diff);
        if (btrfs_snapshot(pfd, dfd, "diff", false, err) < 0)
                return cric_error_prefix(err, "snapshot parent layer %s", parent_name);
        return 0;
}

/* vfs: every layer is a full tree; start from a copy of the parent. */
static int vfs_new_diff(const char *diff, const char *parent_diff, const char *parent_name, struct cric_error **err) {
        if (mkdir(diff, 0755) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "mkdir %s", diff);
        if (!parent_diff)
                return 0;
        AUTOFREE char *from = xasprintf("%s/.", parent_diff);
        char *argv[] = {"cp", "-a", "--reflink=auto", from, (char *) diff, NULL};
        if (spawn_run(argv, &(struct spawn_opts){.timeout_ms = 600000}, NULL, err) < 0)
                return cric_error_prefix(err, "copy parent layer %s", parent_name);
        return 0;
}

/* A temp layer whose diff starts from parent_diff (full-tree drivers; NULL: empty). */
static int tmp_new(struct layer_store *ls, const char *parent_diff, const char *parent_name, struct layer_tmp **ret,
                   struct cric_error **err) {
        struct layer_tmp *t = xzalloc(sizeof(*t));
        t->diff_fd = -1;
        t->path = xasprintf("%s/layer-XXXXXX", ls->tmp_dir);
        if (!mkdtemp(t->path)) {
                int e = errno;
                free(t->path);
                free(t);
                return cric_error_errno(err, CRIC_E_INTERNAL, e, "create a temporary layer dir in %s", ls->tmp_dir);
        }
        CLEANUP(layer_tmp_discardp) struct layer_tmp *tmp = t;
        AUTOFREE char *diff = xasprintf("%s/diff", tmp->path);
        int r;
        if (ls->driver == STORAGE_BTRFS)
                r = btrfs_new_diff(tmp->path, parent_diff, parent_name, err);
        else if (ls->driver == STORAGE_VFS)
                r = vfs_new_diff(diff, parent_diff, parent_name, err);
        else if ((r = mkdir(diff, 0755)) < 0)
                cric_error_errno(err, CRIC_E_INTERNAL, errno, "mkdir %s", diff);
        if (r < 0)
                return -1;
        tmp->diff_fd = open(diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tmp->diff_fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open %s", diff);
        if (ls->driver == STORAGE_BTRFS && parent_diff) {
                /* the checksums reuse the parent's for what the snapshot did not change */
                if (btrfs_created_at(tmp->diff_fd, &tmp->since, err) < 0)
                        return -1;
                tmp->parent_sums =
                        xasprintf("%.*s/checksums", (int) (strlen(parent_diff) - strlen("/diff")), parent_diff);
        }
        *ret = STEAL_PTR(tmp);
        return 0;
}

int layer_tmp_new(struct layer_store *ls, const char *parent_chain_id, struct layer_tmp **ret,
                  struct cric_error **err) {
        AUTOFREE char *parent =
                parent_chain_id && ls->driver != STORAGE_OVERLAY ? layer_store_diff_path(ls, parent_chain_id) : NULL;
        return tmp_new(ls, parent, parent_chain_id, ret, err);
}

int layer_tmp_new_from(struct layer_store *ls, const struct layer_tmp *parent, struct layer_tmp **ret,
                       struct cric_error **err) {
        AUTOFREE char *diff = ls->driver != STORAGE_OVERLAY ? xasprintf("%s/diff", parent->path) : NULL;
        return tmp_new(ls, diff, parent->path, ret, err);
}

int layer_tmp_adopt(struct layer_store *ls, const char *dir, const char *name, bool is_synced, struct layer_tmp **ret,
                    struct cric_error **err) {
        size_t n = strlen(ls->tmp_dir);
        if (strncmp(dir, ls->tmp_dir, n) || dir[n] != '/' || strchr(dir + n + 1, '/') || !dir[n + 1] ||
            strstr(dir, "/.."))
                return cric_error_set(err, CRIC_E_INVALID, "layer directory %s is not under %s", dir, ls->tmp_dir);
        if (strncmp(name, "layer-", 6) || strchr(name, '/') || !name[6])
                return cric_error_set(err, CRIC_E_INVALID, "\"%s\" is not a temporary layer's name", name);
        struct layer_tmp *t = xzalloc(sizeof(*t));
        t->path = xasprintf("%s/%s", dir, name);
        t->is_synced = is_synced;
        AUTOFREE char *diff = xasprintf("%s/diff", t->path);
        t->diff_fd = open(diff, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (t->diff_fd < 0) {
                int e = errno;
                layer_tmp_forget(t);
                return cric_error_errno(err, CRIC_E_INTERNAL, e, "open %s", diff);
        }
        *ret = t;
        return 0;
}

const char *layer_tmp_name(const struct layer_tmp *tmp) {
        const char *slash = strrchr(tmp->path, '/');
        return slash ? slash + 1 : tmp->path;
}

struct layer_tmp *layer_tmp_forget(struct layer_tmp *tmp) {
        if (!tmp)
                return NULL;
        if (tmp->diff_fd >= 0)
                close(tmp->diff_fd);
        free(tmp->parent_sums);
        free(tmp->path);
        free(tmp);
        return NULL;
}

struct layer_tmp *layer_tmp_discard(struct layer_tmp *tmp) {
        if (!tmp)
                return NULL;
        if (tmp->diff_fd >= 0)
                close(tmp->diff_fd);
        tmp->diff_fd = -1;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (rm_rf(tmp->path, &err) < 0)
                cric_error_log_free(&err, "storage: remove %s", tmp->path);
        return layer_tmp_forget(tmp);
}

void layer_tmp_discardp(struct layer_tmp **tmp) {
        if (tmp)
                *tmp = layer_tmp_discard(*tmp);
}

void layer_tmp_sync(struct layer_tmp *tmp) {
        if (syncfs(tmp->diff_fd) < 0)
                log_warn("storage: syncfs: %s", strerror(errno));
        else
                tmp->is_synced = true;
}

int layer_tmp_commit(struct layer_store *ls, struct layer_tmp *tmp, const char *chain_id, struct cric_error **err) {
        CLEANUP(layer_tmp_discardp) struct layer_tmp *t = tmp;
        /* A committed btrfs layer is a read-only subvolume: snapshots of it are the
         * children and the containers; nothing writes to it again. */
        if (ls->driver == STORAGE_BTRFS && btrfs_set_readonly(t->diff_fd, err) < 0)
                return cric_error_prefix(err, "commit layer %s", chain_id);
        /* The layer becomes visible by the rename: its files must be on disk first. */
        if (!t->is_synced)
                layer_tmp_sync(t);
        AUTOFREE char *dest = layer_dir(ls, chain_id);
        if (rename(t->path, dest) == 0) {
                t = layer_tmp_forget(t); /* nothing left to discard */
                return 0;
        }
        if (errno == EEXIST || errno == ENOTEMPTY)
                return 0; /* a concurrent pull committed the same layer; ours is dropped */
        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "rename %s to %s", t->path, dest);
}

bool layer_store_has(struct layer_store *ls, const char *chain_id) {
        AUTOFREE char *p = layer_store_diff_path(ls, chain_id);
        struct stat st;
        return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int layer_store_remove(struct layer_store *ls, const char *chain_id, struct cric_error **err) {
        AUTOFREE char *p = layer_dir(ls, chain_id);
        return rm_rf(p, err);
}

int layer_store_gc(struct layer_store *ls, char *const *keep, struct cric_error **err) {
        AUTOCLOSEDIR DIR *d = opendir(ls->layers_dir);
        if (!d)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open %s", ls->layers_dir);
        struct dirent *de;
        int r = 0;
        while (r == 0 && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                AUTOFREE char *chain = xasprintf("sha256:%s", de->d_name);
                if (strv_contains(keep, chain))
                        continue;
                log_info("storage: removing layer %s that no image uses", chain);
                r = rm_rf_at(dirfd(d), de->d_name, err);
        }
        return r;
}

static __thread uint64_t usage_bytes, usage_inodes;

/* Counts everything but <root>/containers: the writable layers are the container file
 * system's (rootfs_all_usage), not the images'. */
static int usage_visit(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        if (flag == FTW_NS)
                return FTW_CONTINUE; /* vanished while we walked */
        if (flag == FTW_D && ftw->level == 1 && !strcmp(path + ftw->base, "containers"))
                return FTW_SKIP_SUBTREE;
        usage_bytes += (uint64_t) st->st_blocks * 512;
        usage_inodes++;
        return FTW_CONTINUE;
}

int layer_store_usage(struct layer_store *ls, uint64_t *ret_bytes, uint64_t *ret_inodes, struct cric_error **err) {
        usage_bytes = usage_inodes = 0;
        /* Every btrfs layer is a subvolume, with a device number of its own: the walk
         * cannot stop at device changes there. */
        int flags = FTW_PHYS | FTW_ACTIONRETVAL | (ls->driver == STORAGE_BTRFS ? 0 : FTW_MOUNT);
        if (nftw(ls->root, usage_visit, 64, flags) != 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "walk %s", ls->root);
        *ret_bytes = usage_bytes;
        *ret_inodes = usage_inodes;
        return 0;
}
