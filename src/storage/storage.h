/* The layer store on disk: <root>/layers/<chain hex>/diff holds one layer's files,
 * <root>/tmp/ holds layers being unpacked. A layer appears under layers/ only by an
 * atomic rename once it is complete and verified. */
#ifndef CRIC_STORAGE_STORAGE_H
#define CRIC_STORAGE_STORAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "storage/unpack.h"
#include "util/error.h"
#include "util/userns.h"

enum storage_driver {
        STORAGE_OVERLAY = 0,
        STORAGE_VFS,
        STORAGE_BTRFS,
        STORAGE_DRIVER_MAX,
        STORAGE_DRIVER_INVALID = -1,
};

struct layer_store;

/* A layer being written: its diff directory, open as dirfd. */
struct layer_tmp {
        char *path;     /* <root>/tmp/<random> */
        int diff_fd;    /* <path>/diff */
        bool is_synced; /* layer_tmp_sync() ran: commit need not sync again */
        /* btrfs, with a parent: the parent's checksums file and the time of the snapshot;
         * a file not changed since keeps the parent's recorded hash (no read). */
        char *parent_sums;
        struct timespec since;
};

/* Opens the store under root (created if needed). driver is "overlay", "vfs", "btrfs"
 * or "" (automatic: the driver the store was made with, else btrfs when root is on
 * btrfs, else overlay); with overlay the store checks that an overlay mount works there
 * and falls back to vfs (with a warning) when it does not. options are storage_options
 * ("btrfs.size=10G"). Leftovers of interrupted work in tmp/ are removed. */
int layer_store_open(const char *root, const char *driver, char *const *options, struct layer_store **ret,
                     struct cric_error **err);
/* The store another process (cricd) opened, for a pull helper: driver is the one that
 * process runs (no selection, no probe, nothing cleaned), and new layers are unpacked
 * under tmp_dir (a directory of <root>/tmp/ the opener made for this helper, so that
 * layer_tmp_adopt finds them). */
int layer_store_attach(const char *root, enum storage_driver driver, char *const *options, const char *tmp_dir,
                       struct layer_store **ret, struct cric_error **err);
struct layer_store *layer_store_free(struct layer_store *ls);
void layer_store_freep(struct layer_store **ls);

enum storage_driver layer_store_driver(const struct layer_store *ls);
const char *storage_driver_name(enum storage_driver d);
/* "overlay" (or "overlay2"), "vfs", "btrfs"; STORAGE_DRIVER_INVALID for anything else. */
enum storage_driver storage_driver_from_name(const char *name);
/* Whether layers stack (overlay: each holds only its own changes, so they unpack in
 * parallel) or each is a complete tree made from its parent (vfs, btrfs). */
bool layer_store_is_stacked(const struct layer_store *ls);
/* The whiteout handling unpack needs for this driver. */
enum whiteout_mode layer_store_whiteout_mode(const struct layer_store *ls);

/* Creates a fresh directory to unpack a layer into. With vfs, parent_chain_id's
 * files are copied in first (NULL: empty); with btrfs, diff is a writable snapshot of
 * the parent's subvolume (or a new one), made read-only by the commit. */
int layer_tmp_new(struct layer_store *ls, const char *parent_chain_id, struct layer_tmp **ret, struct cric_error **err);
/* The same, starting from parent, a finished layer not yet committed (full-tree
 * drivers: a copy or a snapshot of its diff; overlay: empty, as always). */
int layer_tmp_new_from(struct layer_store *ls, const struct layer_tmp *parent, struct layer_tmp **ret,
                       struct cric_error **err);
/* Makes the finished layer's files durable (one syncfs of its file system), so that
 * layer_tmp_commit only renames. Pull workers call it as soon as their layer is
 * unpacked, while other layers still download. A failed sync is logged; commit tries
 * again. Thread-safe for distinct tmps. */
void layer_tmp_sync(struct layer_tmp *tmp);
/* Moves the finished layer into place as chain_id (synced first unless
 * layer_tmp_sync() did it; an existing one is kept and the
 * temp dir removed: a concurrent pull got there first). Frees tmp. */
int layer_tmp_commit(struct layer_store *ls, struct layer_tmp *tmp, const char *chain_id, struct cric_error **err);
/* Takes over a finished layer a pull helper unpacked into dir/name (dir under
 * <root>/tmp/, name a "layer-*" entry of it), for layer_tmp_commit. is_synced: the
 * helper synced it. CRIC_E_INVALID for a name that is not a direct entry. */
int layer_tmp_adopt(struct layer_store *ls, const char *dir, const char *name, bool is_synced, struct layer_tmp **ret,
                    struct cric_error **err);
/* The name of tmp's directory (its last path component). */
const char *layer_tmp_name(const struct layer_tmp *tmp);
/* Frees tmp and leaves its directory as it is: another process took it over. Accepts
 * NULL. */
struct layer_tmp *layer_tmp_forget(struct layer_tmp *tmp);
/* Removes the temp dir and frees tmp. Accepts NULL. */
struct layer_tmp *layer_tmp_discard(struct layer_tmp *tmp);
void layer_tmp_discardp(struct layer_tmp **tmp);

bool layer_store_has(struct layer_store *ls, const char *chain_id);
/* Removes a layer's directory. A missing one is fine. */
int layer_store_remove(struct layer_store *ls, const char *chain_id, struct cric_error **err);
/* Removes every layer directory whose chain id is not in keep (NULL-terminated). */
int layer_store_gc(struct layer_store *ls, char *const *keep, struct cric_error **err);
/* Path of a layer's diff dir (for mounts). */
char *layer_store_diff_path(struct layer_store *ls, const char *chain_id);

/* Bytes and inodes used under the store root (the images' file system), the writable
 * layers of containers (<root>/containers) left out. */
int layer_store_usage(struct layer_store *ls, uint64_t *ret_bytes, uint64_t *ret_inodes, struct cric_error **err);
const char *layer_store_root(const struct layer_store *ls);

/* ---- container root file systems (rootfs.c) ----
 * <root>/containers/<id>/ holds a container's writable layer (overlay: upper/ and work/;
 * vfs: a full copy in rootfs/). It survives daemon restarts and lives until
 * rootfs_remove. The mount point is the caller's (under runroot). */

/* Mounts the container's root file system at target (an existing empty directory):
 * overlay of layers (chain ids, base first; none: an empty lower directory) with the
 * container's upper/work directories created if missing; vfs: the top layer is copied
 * into <root>/containers/<id>/rootfs once and bind-mounted. Any number of layers works
 * (the overlay option string is kept short). CRIC_E_NOT_FOUND when a layer is missing. */
int rootfs_mount(struct layer_store *ls, const char *id, char *const *layers, const char *target,
                 struct cric_error **err);

/* For a container in a user namespace: each layer is bind-mounted idmapped through
 * userns_fd (under <root>/containers/<id>/idl/, unmounted by rootfs_remove) and the
 * overlay stacks those, so the layers' files show with their owners shifted, without a
 * copy or a chown; the upper dir is owned by the mapped owner of the top layer's root.
 * overlay only (CRIC_E_UNIMPLEMENTED with vfs). */
struct rootfs_idmap {
        int userns_fd;
        const struct idmap *uids, *gids;
        size_t n_uids, n_gids;
};
int rootfs_mount_idmapped(struct layer_store *ls, const char *id, char *const *layers, const char *target,
                          const struct rootfs_idmap *idmap, struct cric_error **err);
/* Mounts an image's layers read-only at target, for the image volume number index of
 * container id: overlay with no upper dir (its links under
 * <root>/containers/<id>/iv/<index>, removed with the container's rootfs), or with vfs
 * a read-only bind of the top layer. CRIC_E_NOT_FOUND when a layer is missing. */
int rootfs_mount_image(struct layer_store *ls, const char *id, unsigned index, char *const *layers, const char *target,
                       struct cric_error **err);

/* Unmounts target (detached when busy). Not mounted or missing is fine. */
int rootfs_unmount(const char *target, struct cric_error **err);
/* Removes <root>/containers/<id>. Missing is fine. */
int rootfs_remove(struct layer_store *ls, const char *id, struct cric_error **err);
/* Bytes and inodes of the writable layer (upper/ or rootfs/; hard links count once; not
 * crossing mounts), and the directory measured (caller frees; ret_path may be NULL).
 * CRIC_E_NOT_FOUND when the container has no writable layer yet. */
int rootfs_usage(struct layer_store *ls, const char *id, uint64_t *ret_bytes, uint64_t *ret_inodes, char **ret_path,
                 struct cric_error **err);
/* Ids of every container directory (NULL-terminated, caller frees with strv_free). */
/* Bytes and inodes of every container's writable layer together (the container file
 * system of ImageFsInfo), and the directory holding them (the caller frees it). A
 * missing directory counts as empty. Thread-safe. */
int rootfs_all_usage(struct layer_store *ls, uint64_t *ret_bytes, uint64_t *ret_inodes, char **ret_path,
                     struct cric_error **err);
int rootfs_list(struct layer_store *ls, char ***ret_ids, struct cric_error **err);

/* ---- layer checksums (layer_sums.c), for `cricd check` ---- */

/* Writes <tmp>/checksums: the tree of the finished layer (types, modes, owners, sizes,
 * content sha256), under diff_id, so its content can be verified later. */
int layer_tmp_record_sums(struct layer_tmp *tmp, const char *diff_id, struct cric_error **err);
/* The checksums text of the tree under diff_fd (caller frees); NULL on error. */
char *layer_sums_format(int diff_fd, const char *diff_id, struct cric_error **err);

enum layer_verify {
        LAYER_VERIFY_OK = 0,
        LAYER_VERIFY_DAMAGED = 1,    /* *ret_problem (caller frees) names the path and the cause */
        LAYER_VERIFY_UNRECORDED = 2, /* pulled before checksums were recorded: cannot tell */
};

/* Compares the layer's tree with the checksums recorded at pull. is_full hashes every
 * file; otherwise only types, modes, owners and sizes are compared (no file is read).
 * Returns an enum layer_verify, or -1 with *err when the check itself failed. */
int layer_store_verify(struct layer_store *ls, const char *chain_id, const char *diff_id, bool is_full,
                       char **ret_problem, struct cric_error **err);

/* sha256 chain id: chain(parent, diff) = sha256(parent + " " + diff); base = diff. */
void layer_chain_id(const char *parent_chain_id, const char *diff_id, char out[DIGEST_STR_LEN + 1]);

#endif
