/* The pull chain under the tar reader: source -> sha256 of the compressed bytes ->
 * decompressor (gzip, zstd or none, picked from the magic bytes) -> sha256 of the
 * uncompressed bytes (the diff id). libarchive only ever sees the last stage, so the
 * two digests cover exactly what came in and what was untarred, without buffering. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "storage/unpack_internal.h"
#include "util/xalloc.h"

#define IN_BUF_SIZE  (64 * 1024)
#define OUT_BUF_SIZE (128 * 1024)

enum compression {
        COMPRESSION_NONE = 0,
        COMPRESSION_GZIP,
        COMPRESSION_ZSTD,
};

struct unpack_stream {
        const struct unpack_source *src;
        int64_t max_size;
        struct digester *compressed_digest;
        struct digester *diff_digest;
        int64_t compressed_size, uncompressed_size;
        enum compression compression;

        unsigned char *in; /* compressed bytes from the source */
        size_t in_pos, in_len;
        bool src_done;

        unsigned char *out; /* decompressed bytes handed to the reader */
        z_stream zs;
        bool zs_ready, gz_member_done;
        ZSTD_DStream *zds;
        size_t zstd_hint; /* last ZSTD_decompressStream() result: 0 at a frame end */
        bool zstd_out_full;
};

struct unpack_stream *unpack_stream_new(const struct unpack_source *src, int64_t max_size) {
        struct unpack_stream *s = xzalloc(sizeof(*s));
        s->src = src;
        s->max_size = max_size;
        s->compressed_digest = digester_new();
        s->diff_digest = digester_new();
        s->in = xmalloc(IN_BUF_SIZE);
        return s;
}

struct unpack_stream *unpack_stream_free(struct unpack_stream *s) {
        if (!s)
                return NULL;
        if (s->zs_ready)
                inflateEnd(&s->zs);
        ZSTD_freeDStream(s->zds);
        digester_free(s->compressed_digest);
        digester_free(s->diff_digest);
        free(s->in);
        free(s->out);
        free(s);
        return NULL;
}

int64_t unpack_stream_uncompressed_size(const struct unpack_stream *s) {
        return s->uncompressed_size;
}

/* Appends up to room bytes from the source at s->in + s->in_len, hashing them. */
static int source_read(struct unpack_stream *s, size_t room, struct cric_error **err) {
        if (s->src_done || room == 0)
                return 0;
        struct cric_error *src_err = NULL;
        ssize_t n = s->src->read(s->src->ctx, s->in + s->in_len, room, &src_err);
        if (n < 0) {
                if (src_err)
                        return cric_error_move(err, &src_err);
                return cric_error_set(err, CRIC_E_INTERNAL, "layer: read failed");
        }
        cric_error_free(src_err);
        if ((size_t) n > room)
                return cric_error_set(err, CRIC_E_INTERNAL, "layer: source returned %zd bytes for %zu", n, room);
        if (n == 0) {
                s->src_done = true;
                return 0;
        }
        digester_update(s->compressed_digest, s->in + s->in_len, (size_t) n);
        s->in_len += (size_t) n;
        s->compressed_size += n;
        if (s->max_size >= 0 && s->compressed_size > s->max_size)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "layer: size mismatch: expected %lld bytes, got at least %lld",
                                      (long long) s->max_size, (long long) s->compressed_size);
        return 0;
}

/* Refills the input buffer once it is used up. Afterwards in_pos == in_len only at
 * the end of the source. */
static int fill_input(struct unpack_stream *s, struct cric_error **err) {
        while (s->in_pos == s->in_len && !s->src_done) {
                s->in_pos = s->in_len = 0;
                if (source_read(s, IN_BUF_SIZE, err) < 0)
                        return -1;
        }
        return 0;
}

int unpack_stream_open(struct unpack_stream *s, struct cric_error **err) {
        static const unsigned char gzip_magic[] = {0x1f, 0x8b};
        static const unsigned char zstd_magic[] = {0x28, 0xb5, 0x2f, 0xfd};

        /* The source may hand out one byte at a time: gather enough for the magic. */
        while (s->in_len < sizeof(zstd_magic) && !s->src_done)
                if (source_read(s, IN_BUF_SIZE - s->in_len, err) < 0)
                        return -1;
        if (s->in_len >= sizeof(gzip_magic) && !memcmp(s->in, gzip_magic, sizeof(gzip_magic)))
                s->compression = COMPRESSION_GZIP;
        else if (s->in_len >= sizeof(zstd_magic) && !memcmp(s->in, zstd_magic, sizeof(zstd_magic)))
                s->compression = COMPRESSION_ZSTD;
        else
                s->compression = COMPRESSION_NONE;

        if (s->compression == COMPRESSION_GZIP) {
                /* 16 + MAX_WBITS: gzip wrapper only, so a zlib or raw stream is refused. */
                if (inflateInit2(&s->zs, 16 + MAX_WBITS) != Z_OK)
                        return cric_error_set(err, CRIC_E_INTERNAL, "gzip: cannot initialise inflate");
                s->zs_ready = true;
        } else if (s->compression == COMPRESSION_ZSTD) {
                s->zds = ZSTD_createDStream();
                if (!s->zds || ZSTD_isError(ZSTD_initDStream(s->zds)))
                        return cric_error_set(err, CRIC_E_INTERNAL, "zstd: cannot initialise the decoder");
                s->zstd_hint = 1;
        }
        if (s->compression != COMPRESSION_NONE)
                s->out = xmalloc(OUT_BUF_SIZE);
        return 0;
}

static ssize_t read_none(struct unpack_stream *s, const void **ret_buf, struct cric_error **err) {
        if (fill_input(s, err) < 0)
                return -1;
        size_t n = s->in_len - s->in_pos;
        *ret_buf = s->in + s->in_pos;
        s->in_pos = s->in_len;
        return (ssize_t) n;
}

/* Inflates the next chunk. Members may follow each other (RFC 1952 allows it, and
 * pigz/parallel compressors produce them); the stream ends cleanly only at the end
 * of the source right after a member's trailer. */
static ssize_t read_gzip(struct unpack_stream *s, const void **ret_buf, struct cric_error **err) {
        for (;;) {
                if (fill_input(s, err) < 0)
                        return -1;
                if (s->in_pos == s->in_len) {
                        if (s->gz_member_done)
                                return 0;
                        return cric_error_set(err, CRIC_E_INVALID, "gzip: unexpected end of data");
                }
                if (s->gz_member_done) {
                        if (inflateReset(&s->zs) != Z_OK)
                                return cric_error_set(err, CRIC_E_INTERNAL, "gzip: cannot reset inflate");
                        s->gz_member_done = false;
                }
                s->zs.next_in = s->in + s->in_pos;
                s->zs.avail_in = (uInt) (s->in_len - s->in_pos);
                s->zs.next_out = s->out;
                s->zs.avail_out = OUT_BUF_SIZE;
                int r = inflate(&s->zs, Z_NO_FLUSH);
                s->in_pos = s->in_len - s->zs.avail_in;
                if (r == Z_STREAM_END)
                        s->gz_member_done = true;
                else if (r == Z_MEM_ERROR)
                        return cric_error_set(err, CRIC_E_INTERNAL, "gzip: out of memory");
                else if (r != Z_OK && r != Z_BUF_ERROR)
                        return cric_error_set(err, CRIC_E_INVALID, "gzip: %s", s->zs.msg ? s->zs.msg : "corrupt data");
                size_t produced = OUT_BUF_SIZE - s->zs.avail_out;
                if (produced > 0) {
                        *ret_buf = s->out;
                        return (ssize_t) produced;
                }
        }
}

/* Decodes the next chunk. ZSTD_decompressStream() moves from one frame to the next by
 * itself (skippable frames included); a frame left open at the end is truncation. */
static ssize_t read_zstd(struct unpack_stream *s, const void **ret_buf, struct cric_error **err) {
        for (;;) {
                /* With a full output buffer the decoder may still hold data: flush it
                 * before asking the source for more. */
                if (!s->zstd_out_full) {
                        if (fill_input(s, err) < 0)
                                return -1;
                        if (s->in_pos == s->in_len) {
                                if (s->zstd_hint == 0)
                                        return 0;
                                return cric_error_set(err, CRIC_E_INVALID, "zstd: unexpected end of data");
                        }
                }
                ZSTD_inBuffer in = {s->in, s->in_len, s->in_pos};
                ZSTD_outBuffer out = {s->out, OUT_BUF_SIZE, 0};
                size_t r = ZSTD_decompressStream(s->zds, &out, &in);
                if (ZSTD_isError(r))
                        return cric_error_set(err, CRIC_E_INVALID, "zstd: %s", ZSTD_getErrorName(r));
                s->in_pos = in.pos;
                s->zstd_hint = r;
                s->zstd_out_full = out.pos == out.size;
                if (out.pos > 0) {
                        *ret_buf = s->out;
                        return (ssize_t) out.pos;
                }
        }
}

ssize_t unpack_stream_read(struct unpack_stream *s, const void **ret_buf, struct cric_error **err) {
        const void *buf = NULL;
        ssize_t n;
        switch (s->compression) {
        case COMPRESSION_GZIP: n = read_gzip(s, &buf, err); break;
        case COMPRESSION_ZSTD: n = read_zstd(s, &buf, err); break;
        default: n = read_none(s, &buf, err); break;
        }
        if (n < 0)
                return -1;
        if (n > 0) {
                digester_update(s->diff_digest, buf, (size_t) n);
                s->uncompressed_size += n;
        }
        *ret_buf = buf;
        return n;
}

int unpack_stream_drain(struct unpack_stream *s, struct cric_error **err) {
        for (;;) {
                const void *buf;
                ssize_t n = unpack_stream_read(s, &buf, err);
                if (n < 0)
                        return -1;
                if (n == 0)
                        break;
        }
        /* The decoders stop only at the end of the source, but be explicit about it. */
        while (!s->src_done) {
                s->in_pos = s->in_len = 0;
                if (source_read(s, IN_BUF_SIZE, err) < 0)
                        return -1;
        }
        return 0;
}

void unpack_stream_finish(struct unpack_stream *s, struct unpack_result *out) {
        digester_final(s->compressed_digest, out->digest);
        digester_final(s->diff_digest, out->diff_id);
        out->compressed_size = s->compressed_size;
        out->uncompressed_size = s->uncompressed_size;
}
