/* Private to src/storage/unpack*.c: the decompress/hash chain, path resolution that
 * never leaves the layer root, entry creation and whiteouts. */
#ifndef CRIC_STORAGE_UNPACK_INTERNAL_H
#define CRIC_STORAGE_UNPACK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "storage/archive_lazy.h"
#include "storage/unpack.h"

/* ---- unpack_stream.c: source -> sha256 -> decompressor -> sha256 -> caller ---- */

struct unpack_stream;

/* max_size >= 0 stops reading (CRIC_E_INVALID) as soon as the source gives more. */
struct unpack_stream *unpack_stream_new(const struct unpack_source *src, int64_t max_size);
struct unpack_stream *unpack_stream_free(struct unpack_stream *s);
/* Reads the first bytes and picks gzip, zstd or none from their magic. */
int unpack_stream_open(struct unpack_stream *s, struct cric_error **err);
/* Next chunk of the uncompressed stream in *ret_buf (valid until the next call);
 * returns its length, 0 at the end, -1 on error. */
ssize_t unpack_stream_read(struct unpack_stream *s, const void **ret_buf, struct cric_error **err);
/* Reads (and hashes) whatever is left of both the uncompressed and compressed streams. */
int unpack_stream_drain(struct unpack_stream *s, struct cric_error **err);
int64_t unpack_stream_uncompressed_size(const struct unpack_stream *s);
void unpack_stream_finish(struct unpack_stream *s, struct unpack_result *out);

/* ---- unpack_path.c: lexical cleaning, beneath-the-root resolution, path set ---- */

/* Set of layer-relative paths (WHITEOUT_APPLY: what this layer wrote). */
struct path_set {
        char **slots;
        size_t cap, len;
};
bool path_set_contains(const struct path_set *s, const char *path);
void path_set_add(struct path_set *s, const char *path);
void path_set_clear(struct path_set *s);

struct dir_time {
        char *path;
        struct timespec times[2];
        size_t depth, seq;
};

struct unpack_ctx {
        int root; /* O_RDONLY|O_DIRECTORY fd of the layer root */
        struct unpack_stream *stream;
        struct cric_error *stream_err; /* why the read callback failed */
        bool stream_ended;             /* the read callback has returned 0 */
        enum whiteout_mode whiteouts;
        const char *entry; /* name of the entry being applied, as in the tar, for messages */
        struct path_set written;
        struct dir_time *dirs;
        size_t n_dirs, cap_dirs;
        int64_t files;
};

/* Error about the current entry: `entry "<name>": <fmt>[: strerror]`. EXDEV reads as
 * "resolves outside the layer root". Returns -1. */
int entry_error(struct unpack_ctx *ctx, struct cric_error **err, enum cric_error_kind kind, int errnum, const char *fmt,
                ...) __attribute__((format(printf, 5, 6)));
/* CRIC_E_INVALID for errnos that mean bad layer content (escapes, loops, a file used as
 * a directory, names too long), CRIC_E_INTERNAL for everything else. */
enum cric_error_kind entry_errno_kind(int errnum);

/* Cleans a tar path: leading '/' dropped, "" and "." components skipped, ".." applied.
 * *ret_path is "" for the root. A ".." above the root is CRIC_E_INVALID ("<what>
 * escapes the layer root"). */
int unpack_path_clean(struct unpack_ctx *ctx, const char *raw, const char *what, char **ret_path,
                      struct cric_error **err);
/* Opens (O_PATH) the directory holding path's last component, resolving beneath the
 * root without magic links; with create, missing directories are made (0755).
 * *ret_name points into path. */
int unpack_open_parent(struct unpack_ctx *ctx, const char *path, bool create, int *ret_fd, const char **ret_name,
                       struct cric_error **err);
size_t unpack_path_depth(const char *path);

/* ---- unpack.c ---- */

/* Turns a libarchive failure into *err: the stream's own error when the read callback
 * failed, "layer: unexpected end of data" after the end, else libarchive's message. */
int unpack_archive_error(struct unpack_ctx *ctx, struct archive *a, struct cric_error **err);

/* ---- unpack_entry.c ---- */

int unpack_entry_apply(struct unpack_ctx *ctx, struct archive *a, struct archive_entry *e, struct cric_error **err);
/* Sets the deferred directory times, deepest first. */
int unpack_dir_times_apply(struct unpack_ctx *ctx, struct cric_error **err);
void unpack_dir_times_clear(struct unpack_ctx *ctx);

/* Whether paths resolve as in a chroot of the layer root (RESOLVE_IN_ROOT) rather than
 * beneath it (RESOLVE_BENEATH, a symlink leading out is an error). Full-tree layers (vfs,
 * btrfs) hold the parents' symlinks, which later layers may write through: an absolute
 * one, or one with "..", then resolves inside the layer as it would in the image. Stacked
 * (overlay) layers never see the parents' symlinks. Neither way leaves the root. */
static inline bool unpack_in_root(const struct unpack_ctx *ctx) {
        return ctx->whiteouts == WHITEOUT_APPLY;
}

/* ---- unpack_whiteout.c ---- */

/* True when the last component of a cleaned path starts with ".wh.". */
bool unpack_is_whiteout(const char *path);
int unpack_whiteout_apply(struct unpack_ctx *ctx, const char *path, struct cric_error **err);
/* Removes name (recursively when a directory) from the directory parent; ENOENT is fine. */
int unpack_remove_tree(struct unpack_ctx *ctx, int parent, const char *name, struct cric_error **err);

#endif
