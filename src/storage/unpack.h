/* Streaming layer unpack: compressed tar in, files on disk out, digests checked on
 * the way. Nothing is buffered whole, in memory or on disk. */
#ifndef CRIC_STORAGE_UNPACK_H
#define CRIC_STORAGE_UNPACK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/digest.h"
#include "util/error.h"

/* Where the compressed bytes come from: read() returns the number of bytes read,
 * 0 at the end, or -1 with *err set (the unpack then fails with that error). */
struct unpack_source {
        ssize_t (*read)(void *ctx, void *buf, size_t len, struct cric_error **err);
        void *ctx;
};

enum whiteout_mode {
        WHITEOUT_OVERLAY = 0, /* .wh.x -> char device 0/0 "x"; .wh..wh..opq -> trusted.overlay.opaque=y */
        WHITEOUT_APPLY,       /* vfs: delete x / empty the dir in place (the dir holds the parent's files) */
};

struct unpack_opts {
        const char *expected_digest;  /* digest of the compressed stream; NULL: not checked */
        const char *expected_diff_id; /* digest of the uncompressed tar; NULL: not checked */
        int64_t expected_size;        /* compressed size; -1: not checked */
        enum whiteout_mode whiteouts;
};

struct unpack_result {
        char digest[DIGEST_STR_LEN + 1];  /* of the compressed stream as received */
        char diff_id[DIGEST_STR_LEN + 1]; /* of the uncompressed tar */
        int64_t compressed_size;
        int64_t uncompressed_size;
        int64_t files; /* entries written */
};

/* Unpacks a tar stream (gzip, zstd or uncompressed: detected from the first bytes)
 * into the directory dirfd. Preserves modes, ownership, times, hard links, symlinks,
 * xattrs (security.capability included), device nodes and fifos. No entry may
 * write outside dirfd: "..", absolute paths, writes through symlinks and hard links
 * that leave the tree are refused with CRIC_E_INVALID naming the entry. A digest,
 * diff id or size mismatch is CRIC_E_INVALID naming both values. On failure the
 * directory holds partial content: the caller removes it. The source is read to its
 * end even after the tar end marker, so the digest covers every byte.
 *
 * More precisely: an error from src->read is returned as it is; other I/O failures
 * are CRIC_E_INTERNAL; everything the layer's bytes cause is CRIC_E_INVALID. opts
 * NULL means no checks and WHITEOUT_OVERLAY; ret may be NULL and is written only on
 * success, where files counts the entries applied (whiteouts and "./" included). An
 * empty stream is an empty layer. Thread-safe: no shared state (the calling thread
 * reads under a C.UTF-8 locale for the duration, so names keep their bytes). */
int layer_unpack(int dirfd, const struct unpack_source *src, const struct unpack_opts *opts, struct unpack_result *ret,
                 struct cric_error **err);

#endif
