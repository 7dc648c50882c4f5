/* layer_unpack(): drives libarchive's tar reader over the decompress/hash chain of
 * unpack_stream.c and hands each entry to unpack_entry.c. libarchive parses the tar
 * format only; it never touches the disk. */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/unpack.h"
#include "storage/unpack_internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

static la_ssize_t read_cb(struct archive *a, void *data, const void **buf) {
        struct unpack_ctx *ctx = data;
        ssize_t n = unpack_stream_read(ctx->stream, buf, &ctx->stream_err);
        if (n < 0) {
                archive_set_error(a, EIO, "%s", ctx->stream_err ? ctx->stream_err->msg : "read failed");
                return ARCHIVE_FATAL;
        }
        if (n == 0)
                ctx->stream_ended = true;
        return n;
}

int unpack_archive_error(struct unpack_ctx *ctx, struct archive *a, struct cric_error **err) {
        if (ctx->stream_err)
                return cric_error_move(err, &ctx->stream_err);
        const char *msg = archive_error_string(a);
        if (!msg)
                msg = "corrupt tar stream";
        /* libarchive's words for a short stream vary ("Truncated tar archive",
         * "Premature end of ..."): having seen the end tells us what happened. */
        if (ctx->stream_ended)
                return cric_error_set(err, CRIC_E_INVALID, "layer: unexpected end of data (%s)", msg);
        return cric_error_set(err, CRIC_E_INVALID, "layer: %s", msg);
}

static int read_entries(struct unpack_ctx *ctx, struct archive *a, struct cric_error **err) {
        for (;;) {
                struct archive_entry *e;
                int r = archive_read_next_header(a, &e);
                if (r == ARCHIVE_EOF)
                        return 0;
                if (r == ARCHIVE_WARN)
                        log_debug("layer: %s", archive_error_string(a));
                else if (r != ARCHIVE_OK)
                        return unpack_archive_error(ctx, a, err);
                if (unpack_entry_apply(ctx, a, e, err) < 0)
                        return -1;
                ctx->entry = NULL;
        }
}

/* libarchive converts pax names (UTF-8 by definition) to the charset of the thread's
 * locale, so a daemon running under, say, a Latin-1 locale would get other bytes on
 * disk than the image holds. Under C.UTF-8 the names pass through unchanged. */
static locale_t enter_utf8_locale(locale_t *ret_old) {
        locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
        *ret_old = loc ? uselocale(loc) : (locale_t) 0;
        return loc;
}

static void leave_utf8_locale(locale_t loc, locale_t old) {
        if (loc) {
                uselocale(old);
                freelocale(loc);
        }
}

static int untar_loaded(struct unpack_ctx *ctx, struct cric_error **err) {
        struct archive *a = archive_read_new();
        if (!a)
                return cric_error_set(err, CRIC_E_INTERNAL, "layer: cannot create a tar reader");
        int r = -1;
        if (archive_read_support_format_tar(a) != ARCHIVE_OK || archive_read_support_filter_none(a) != ARCHIVE_OK) {
                cric_error_set(err, CRIC_E_INTERNAL, "layer: %s", archive_error_string(a));
                goto out;
        }
        if (archive_read_open(a, ctx, NULL, read_cb, NULL) != ARCHIVE_OK)
                unpack_archive_error(ctx, a, err);
        else
                r = read_entries(ctx, a, err);
        /* An empty stream is an empty layer, as for Go's archive/tar; libarchive
         * calls it an unrecognized format. */
        if (r < 0 && !ctx->stream_err && ctx->stream_ended && ctx->files == 0 &&
            unpack_stream_uncompressed_size(ctx->stream) == 0) {
                cric_error_freep(err);
                r = 0;
        }
out:
        archive_read_free(a);
        return r;
}

/* libarchive is loaded for the duration of one layer (see archive_lazy.h). */
static int untar(struct unpack_ctx *ctx, struct cric_error **err) {
        if (lazylib_acquire(&archive_lib, err) < 0)
                return cric_error_prefix(err, "layer");
        int r = untar_loaded(ctx, err);
        lazylib_release(&archive_lib);
        return r;
}

static int check_digest(const char *what, const char *expected, const char *actual, struct cric_error **err) {
        if (expected && strcmp(expected, actual) != 0)
                return cric_error_set(err, CRIC_E_INVALID, "layer: %s mismatch: expected %s, got %s", what, expected,
                                      actual);
        return 0;
}

static int check_result(const struct unpack_opts *opts, const struct unpack_result *res, struct cric_error **err) {
        if (opts->expected_size >= 0 && res->compressed_size != opts->expected_size)
                return cric_error_set(err, CRIC_E_INVALID, "layer: size mismatch: expected %lld bytes, got %lld",
                                      (long long) opts->expected_size, (long long) res->compressed_size);
        if (check_digest("digest", opts->expected_digest, res->digest, err) < 0)
                return -1;
        return check_digest("diff id", opts->expected_diff_id, res->diff_id, err);
}

static int check_opts(const struct unpack_opts *opts, struct cric_error **err) {
        if (opts->whiteouts != WHITEOUT_OVERLAY && opts->whiteouts != WHITEOUT_APPLY)
                return cric_error_set(err, CRIC_E_INVALID, "layer: unknown whiteout mode %d", (int) opts->whiteouts);
        const char *digests[] = {opts->expected_digest, opts->expected_diff_id};
        for (size_t i = 0; i < 2; i++)
                if (digests[i] && strncmp(digests[i], "sha256:", 7) != 0)
                        return cric_error_set(err, CRIC_E_INVALID, "layer: unsupported digest \"%s\"", digests[i]);
        return 0;
}

static int unpack(struct unpack_ctx *ctx, const struct unpack_source *src, const struct unpack_opts *opts,
                  struct unpack_result *res, struct cric_error **err) {
        ctx->stream = unpack_stream_new(src, opts->expected_size);
        if (unpack_stream_open(ctx->stream, err) < 0 || untar(ctx, err) < 0)
                return -1;
        if (ctx->stream_err) /* a read error libarchive chose not to report */
                return cric_error_move(err, &ctx->stream_err);
        if (unpack_dir_times_apply(ctx, err) < 0)
                return -1;
        /* libarchive stops at the end marker: the rest (padding, anything after it)
         * still counts for the diff id and the digest. */
        if (unpack_stream_drain(ctx->stream, err) < 0)
                return -1;
        unpack_stream_finish(ctx->stream, res);
        res->files = ctx->files;
        return check_result(opts, res, err);
}

static int run(int dirfd, const struct unpack_source *src, const struct unpack_opts *opts, struct unpack_result *res,
               struct cric_error **err) {
        if (check_opts(opts, err) < 0)
                return -1;
        AUTOCLOSE int root = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "layer: open the target directory");
        struct unpack_ctx ctx = {.whiteouts = opts->whiteouts, .root = root};
        locale_t old;
        locale_t loc = enter_utf8_locale(&old);
        int r = unpack(&ctx, src, opts, res, err);
        leave_utf8_locale(loc, old);

        unpack_stream_free(ctx.stream);
        cric_error_free(ctx.stream_err);
        path_set_clear(&ctx.written);
        unpack_dir_times_clear(&ctx);
        return r;
}

int layer_unpack(int dirfd, const struct unpack_source *src, const struct unpack_opts *opts, struct unpack_result *ret,
                 struct cric_error **err) {
        static const struct unpack_opts defaults = {.expected_size = -1};
        /* Internal steps always get an error slot, so they can inspect and drop errors. */
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        struct unpack_result res = {0};
        if (run(dirfd, src, opts ? opts : &defaults, &res, &e) < 0)
                return cric_error_move(err, &e);
        if (ret)
                *ret = res;
        return 0;
}
