/* SPDY/3 header blocks: the zlib streams (one per direction per connection, primed with
 * the SPDY/3 dictionary) and the name/value block inside them.
 *
 * The inflater is where a peer can hurt us: a few hundred bytes inflate to megabytes, so
 * output stops at SPDY_HEADERS_MAX and the block is refused there. Each block must also
 * end on a deflate block boundary, as Z_SYNC_FLUSH leaves it: a block cut short would
 * make the next one decode as garbage. After any such failure the stream is out of step
 * with the peer's, so every later block is refused too. */
#define ZLIB_CONST
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "streaming/spdy_internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* How much of a name an error message quotes. */
#define QUOTE_MAX 64

struct spdy_zlib {
        z_stream zs;
        bool is_deflate;
        bool is_broken;      /* a block failed inside zlib: out of step with the peer */
        bool is_at_boundary; /* the last inflate that moved stopped between deflate blocks */
};

/* Length-prefixed names first, then a run of bare strings. */
/* clang-format off */
const uint8_t spdy_dictionary[] =
        "\0\0\0\x07" "options" "\0\0\0\x04" "head" "\0\0\0\x04" "post" "\0\0\0\x03" "put" "\0\0\0\x06" "delete"
        "\0\0\0\x05" "trace" "\0\0\0\x06" "accept" "\0\0\0\x0e" "accept-charset" "\0\0\0\x0f" "accept-encoding"
        "\0\0\0\x0f" "accept-language" "\0\0\0\x0d" "accept-ranges" "\0\0\0\x03" "age" "\0\0\0\x05" "allow"
        "\0\0\0\x0d" "authorization" "\0\0\0\x0d" "cache-control" "\0\0\0\x0a" "connection"
        "\0\0\0\x0c" "content-base" "\0\0\0\x10" "content-encoding" "\0\0\0\x10" "content-language"
        "\0\0\0\x0e" "content-length" "\0\0\0\x10" "content-location" "\0\0\0\x0b" "content-md5"
        "\0\0\0\x0d" "content-range" "\0\0\0\x0c" "content-type" "\0\0\0\x04" "date" "\0\0\0\x04" "etag"
        "\0\0\0\x06" "expect" "\0\0\0\x07" "expires" "\0\0\0\x04" "from" "\0\0\0\x04" "host" "\0\0\0\x08" "if-match"
        "\0\0\0\x11" "if-modified-since" "\0\0\0\x0d" "if-none-match" "\0\0\0\x08" "if-range"
        "\0\0\0\x13" "if-unmodified-since" "\0\0\0\x0d" "last-modified" "\0\0\0\x08" "location"
        "\0\0\0\x0c" "max-forwards" "\0\0\0\x06" "pragma" "\0\0\0\x12" "proxy-authenticate"
        "\0\0\0\x13" "proxy-authorization" "\0\0\0\x05" "range" "\0\0\0\x07" "referer" "\0\0\0\x0b" "retry-after"
        "\0\0\0\x06" "server" "\0\0\0\x02" "te" "\0\0\0\x07" "trailer" "\0\0\0\x11" "transfer-encoding"
        "\0\0\0\x07" "upgrade" "\0\0\0\x0a" "user-agent" "\0\0\0\x04" "vary" "\0\0\0\x03" "via" "\0\0\0\x07" "warning"
        "\0\0\0\x10" "www-authenticate" "\0\0\0\x06" "method" "\0\0\0\x03" "get" "\0\0\0\x06" "status"
        "\0\0\0\x06" "200 OK" "\0\0\0\x07" "version" "\0\0\0\x08" "HTTP/1.1" "\0\0\0\x03" "url" "\0\0\0\x06" "public"
        "\0\0\0\x0a" "set-cookie" "\0\0\0\x0a" "keep-alive" "\0\0\0\x06" "origin"
        /* status codes, then status lines, dates and common values, without length prefixes */
        "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
        "203 Non-Authoritative Information" "204 No Content" "301 Moved Permanently" "400 Bad Request"
        "401 Unauthorized" "403 Forbidden" "404 Not Found" "500 Internal Server Error" "501 Not Implemented"
        "503 Service Unavailable" "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 "
        "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT" "chunked,text/html,image/png,image/jpg,image/gif,application/xml,"
        "application/xhtml+xml,text/plain,text/javascript,public" "private" "max-age=" "gzip,deflate,sdch"
        "charset=utf-8" "charset=iso-8859-1,utf-,*,enq=0.";
/* clang-format on */

const size_t spdy_dictionary_len = sizeof(spdy_dictionary) - 1; /* not the literal's NUL */

/* zlib fails here only for want of memory or a bug (a stream used the wrong way). */
static void die(const char *what) {
        fprintf(stderr, "cric: %s, aborting\n", what);
        abort();
}

struct spdy_zlib *spdy_zlib_new_deflate(void) {
        struct spdy_zlib *z = xzalloc(sizeof(*z));
        z->is_deflate = true;
        /* A 2 KiB window (it holds the dictionary) and memLevel 4: about 16 KiB a
         * connection instead of 256 KiB, for blocks of a few dozen bytes. Any window
         * suits the peer's inflater, which always allows 32 KiB. */
        int r = deflateInit2(&z->zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 11, 4, Z_DEFAULT_STRATEGY);
        if (r != Z_OK)
                die("cannot set up a deflate stream");
        r = deflateSetDictionary(&z->zs, spdy_dictionary, (uInt) spdy_dictionary_len);
        if (r != Z_OK)
                die("cannot set the SPDY dictionary");
        return z;
}

struct spdy_zlib *spdy_zlib_new_inflate(void) {
        struct spdy_zlib *z = xzalloc(sizeof(*z));
        int r = inflateInit2(&z->zs, 15); /* the largest window: whatever the peer chose */
        if (r != Z_OK)
                die("cannot set up an inflate stream");
        return z;
}

void spdy_zlib_free(struct spdy_zlib *z) {
        if (!z)
                return;
        if (z->is_deflate)
                deflateEnd(&z->zs);
        else
                inflateEnd(&z->zs);
        free(z);
}

void spdy_zlib_freep(struct spdy_zlib **z) {
        spdy_zlib_free(*z);
}

uint64_t spdy_zlib_total_out(const struct spdy_zlib *z) {
        return z->zs.total_out;
}

void spdy_zlib_deflate(struct spdy_zlib *z, const uint8_t *in, size_t len, struct spdy_buf *b) {
        if (!z->is_deflate)
                die("SPDY header block compressed with an inflate stream");
        z->zs.next_in = in;
        z->zs.avail_in = (uInt) len;
        do {
                b->data = xgrow(b->data, &b->cap, b->len + len / 2 + 64, 1);
                size_t room = b->cap - b->len;
                z->zs.next_out = b->data + b->len;
                z->zs.avail_out = room > UINT_MAX ? UINT_MAX : (uInt) room;
                int r = deflate(&z->zs, Z_SYNC_FLUSH);
                if (r != Z_OK && r != Z_BUF_ERROR)
                        die("deflate failed");
                b->len = (size_t) (z->zs.next_out - b->data);
        } while (z->zs.avail_out == 0);
}

static int block_error(struct cric_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int block_error(struct cric_error **err, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        AUTOFREE char *why = xvasprintf(fmt, ap);
        va_end(ap);
        return cric_error_set(err, CRIC_E_INVALID, "invalid SPDY header block: %s", why);
}

/* For failures inside zlib: the stream is unusable from now on. */
#define BROKEN(z, err, ...) ((z)->is_broken = true, block_error((err), __VA_ARGS__))

static int set_dictionary(struct spdy_zlib *z, struct cric_error **err) {
        if (inflateSetDictionary(&z->zs, spdy_dictionary, (uInt) spdy_dictionary_len) != Z_OK)
                return BROKEN(z, err, "compressed with dictionary 0x%08lx, not SPDY/3's", (unsigned long) z->zs.adler);
        return 0;
}

/* One inflate call into out[*n..cap); returns 1 when the block is all out, 0 to go on. */
static int inflate_step(struct spdy_zlib *z, uint8_t *out, size_t cap, size_t *n, struct cric_error **err) {
        z->zs.next_out = out + *n;
        z->zs.avail_out = (uInt) (cap - *n);
        int r = inflate(&z->zs, Z_SYNC_FLUSH);
        *n = cap - z->zs.avail_out;
        /* zlib's "stopped at the end of a deflate block" (data_type 128) is cleared by a
         * call that finds nothing to do (Z_BUF_ERROR), so keep it from the last real one */
        if (r != Z_BUF_ERROR)
                z->is_at_boundary = (z->zs.data_type & 128) != 0;
        if (r == Z_NEED_DICT)
                return set_dictionary(z, err);
        if (r == Z_MEM_ERROR)
                die("out of memory in inflate");
        if (r == Z_STREAM_END)
                return BROKEN(z, err, "the peer ended its compressed stream");
        if (r != Z_OK && r != Z_BUF_ERROR)
                return BROKEN(z, err, "corrupt compressed data (%s)", z->zs.msg ? z->zs.msg : "no detail");
        if (*n > SPDY_HEADERS_MAX)
                return BROKEN(z, err, "more than %d bytes decompressed", SPDY_HEADERS_MAX);
        /* Z_BUF_ERROR: no progress possible, so nothing is left to come out either */
        return z->zs.avail_out > 0 && (z->zs.avail_in == 0 || r == Z_BUF_ERROR);
}

/* Inflates one block; the output buffer grows to SPDY_HEADERS_MAX + 1 bytes at most. */
static int inflate_block(struct spdy_zlib *z, const uint8_t *in, size_t len, uint8_t **ret, size_t *ret_len,
                         struct cric_error **err) {
        AUTOFREE uint8_t *out = NULL;
        size_t n = 0, cap = 0;
        int r = 0;
        z->zs.next_in = in;
        z->zs.avail_in = (uInt) len;
        while (r == 0) {
                if (n == cap) {
                        cap = cap ? cap * 2 : 256;
                        if (cap > SPDY_HEADERS_MAX + 1)
                                cap = SPDY_HEADERS_MAX + 1;
                        out = xrealloc(out, cap);
                }
                r = inflate_step(z, out, cap, &n, err);
        }
        if (r < 0)
                return -1;
        if (z->zs.avail_in > 0)
                return BROKEN(z, err, "%u bytes after the end of the compressed data", z->zs.avail_in);
        if (!z->is_at_boundary)
                return BROKEN(z, err, "truncated (it does not end where the compressor flushed)");
        *ret = STEAL_PTR(out);
        *ret_len = n;
        return 0;
}

/* The decompressed block, read front to back. */
struct reader {
        const uint8_t *p;
        size_t len, pos;
};

static bool take(struct reader *r, size_t n, const uint8_t **ret) {
        if (r->len - r->pos < n)
                return false;
        *ret = r->p + r->pos;
        r->pos += n;
        return true;
}

static bool take_u32(struct reader *r, uint32_t *ret) {
        const uint8_t *p;
        if (!take(r, 4, &p))
                return false;
        *ret = spdy_get32(p);
        return true;
}

static bool take_string(struct reader *r, const uint8_t **ret, uint32_t *ret_len) {
        return take_u32(r, ret_len) && take(r, *ret_len, ret);
}

#define QUOTE(s, len) (int) ((len) < QUOTE_MAX ? (len) : QUOTE_MAX), (const char *) (s)

/* Names are printable ASCII without upper case (spdystream sends them lowercased). */
static int check_name(const uint8_t *s, uint32_t len, uint32_t i, struct cric_error **err) {
        if (len == 0)
                return block_error(err, "name of pair %u is empty", i);
        for (uint32_t k = 0; k < len; k++)
                if (s[k] <= ' ' || s[k] >= 0x7f)
                        return block_error(err, "name of pair %u has byte 0x%02x at offset %u", i, s[k], k);
        for (uint32_t k = 0; k < len; k++)
                if (s[k] >= 'A' && s[k] <= 'Z')
                        return block_error(err, "name \"%.*s\" is not lowercase", QUOTE(s, len));
        return 0;
}

/* Several values are NUL-separated, each of them non-empty (spec section 2.6.10). */
static int check_value(const uint8_t *s, uint32_t len, const char *name, struct cric_error **err) {
        if (len > 0 && (s[0] == 0 || s[len - 1] == 0 || memmem(s, len, "\0\0", 2)))
                return block_error(err, "value of \"%.*s\" holds an empty value", QUOTE(name, strlen(name)));
        return 0;
}

static bool has_name(const struct spdy_header *h, uint32_t n, const uint8_t *name, uint32_t len) {
        for (uint32_t k = 0; k < n; k++)
                if (strncmp(h[k].name, (const char *) name, len) == 0 && h[k].name[len] == '\0')
                        return true;
        return false;
}

static int parse_pair(struct reader *r, struct spdy_header *h, uint32_t i, struct cric_error **err) {
        const uint8_t *name, *value;
        uint32_t name_len, value_len;
        if (!take_string(r, &name, &name_len))
                return block_error(err, "truncated in the name of pair %u", i);
        if (check_name(name, name_len, i, err) < 0)
                return -1;
        if (has_name(h, i, name, name_len))
                return block_error(err, "duplicate name \"%.*s\"", QUOTE(name, name_len));
        h[i].name = xstrndup((const char *) name, name_len);
        if (!take_string(r, &value, &value_len))
                return block_error(err, "truncated in the value of \"%.*s\"", QUOTE(name, name_len));
        if (check_value(value, value_len, h[i].name, err) < 0)
                return -1;
        h[i].value = xmalloc((size_t) value_len + 1);
        memcpy(h[i].value, value, value_len);
        h[i].value[value_len] = '\0';
        h[i].value_len = value_len;
        return 0;
}

static int parse_block(const uint8_t *p, size_t len, struct spdy_header **ret, size_t *ret_n, struct cric_error **err) {
        struct reader r = {.p = p, .len = len};
        uint32_t n;
        if (!take_u32(&r, &n))
                return block_error(err, "truncated before the pair count");
        if (n > SPDY_HEADER_PAIRS_MAX)
                return block_error(err, "%u name/value pairs, over the limit of %d", n, SPDY_HEADER_PAIRS_MAX);
        struct spdy_header *h = n ? xcalloc(n, sizeof(*h)) : NULL;
        for (uint32_t i = 0; i < n; i++)
                if (parse_pair(&r, h, i, err) < 0) {
                        spdy_headers_free(h, n);
                        return -1;
                }
        if (r.pos != len) {
                spdy_headers_free(h, n);
                return block_error(err, "%zu bytes after the last pair", len - r.pos);
        }
        *ret = h;
        *ret_n = n;
        return 0;
}

int spdy_headers_decode(struct spdy_zlib *z, const uint8_t *block, size_t len, struct spdy_header **ret, size_t *ret_n,
                        struct cric_error **err) {
        if (z->is_deflate)
                die("SPDY header block inflated with a deflate stream");
        if (z->is_broken)
                return block_error(err, "an earlier block broke the compressed stream");
        if (len == 0)
                return block_error(err, "empty");
        if (len > SPDY_FRAME_MAX)
                return block_error(err, "%zu compressed bytes, over the limit of %d", len, SPDY_FRAME_MAX);
        AUTOFREE uint8_t *plain = NULL;
        size_t plain_len = 0;
        if (inflate_block(z, block, len, &plain, &plain_len, err) < 0)
                return -1;
        return parse_block(plain, plain_len, ret, ret_n, err);
}

void spdy_headers_free(struct spdy_header *h, size_t n) {
        for (size_t i = 0; h && i < n; i++) {
                free(h[i].name);
                free(h[i].value);
        }
        free(h);
}

const char *spdy_header_get(const struct spdy_header *h, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(h[i].name, name) == 0)
                        return h[i].value;
        return NULL;
}

/* A 32-bit length and the bytes; names are lowercased, as spdystream's writer does. */
static void put_string(struct spdy_buf *b, const char *s, size_t len, bool is_name) {
        if (len > UINT32_MAX)
                die("SPDY header name or value over 4 GiB");
        uint8_t *p = spdy_buf_append(b, 4 + len);
        spdy_put32(p, (uint32_t) len);
        for (size_t i = 0; i < len; i++)
                p[4 + i] = (uint8_t) (is_name && s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
}

void spdy_headers_encode(struct spdy_zlib *z, const struct spdy_header *h, size_t n, struct spdy_buf *b) {
        CLEANUP(spdy_buf_clear) struct spdy_buf plain = {0};
        spdy_put32(spdy_buf_append(&plain, 4), (uint32_t) n);
        for (size_t i = 0; i < n; i++) {
                put_string(&plain, h[i].name, strlen(h[i].name), true);
                put_string(&plain, h[i].value, h[i].value_len, false);
        }
        spdy_zlib_deflate(z, plain.data, plain.len, b);
}

void spdy_headers_encode_list(struct spdy_zlib *z, const char *const *names_values, struct spdy_buf *b) {
        CLEANUP(spdy_buf_clear) struct spdy_buf plain = {0};
        size_t n = 0;
        while (names_values && names_values[2 * n])
                n++;
        spdy_put32(spdy_buf_append(&plain, 4), (uint32_t) n);
        for (size_t i = 0; i < n; i++) {
                const char *name = names_values[2 * i], *value = names_values[2 * i + 1];
                if (!value)
                        die("SPDY header list with a name but no value");
                put_string(&plain, name, strlen(name), true);
                put_string(&plain, value, strlen(value), false);
        }
        spdy_zlib_deflate(z, plain.data, plain.len, b);
}
