/* libFuzzer target for SPDY header blocks (src/streaming/spdy_zlib.c), read two ways:
 *
 *  1. as the peer's compressed blocks, each a 16-bit big-endian length and that many
 *     bytes (fewer at the end), decoded in order on one inflater, as a connection does;
 *  2. as one uncompressed block, compressed on our own deflater first, which takes any
 *     bytes at all to the name/value parser.
 *
 * Every block must decode or fail with a CRIC_E_INVALID error. What decodes must hold
 * only what the parser promises (at most SPDY_HEADER_PAIRS_MAX pairs; names non-empty,
 * printable, lowercase, distinct; values NUL-terminated, without empty parts), and
 * re-encoded with spdy_headers_encode on a second pair of streams (shared by all the
 * blocks of the input) must decode to exactly the same pairs. Any mismatch aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "streaming/spdy.h"
#include "streaming/spdy_internal.h"
#include "util/cleanup.h"

static void die(const char *what) {
        fprintf(stderr, "fuzz_spdy_headers: %s\n", what);
        abort();
}

static bool is_valid_name(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s <= ' ' || *s >= 0x7f || (*s >= 'A' && *s <= 'Z'))
                        return false;
        return true;
}

static bool is_valid_value(const char *v, size_t len) {
        if (v[len] != '\0')
                return false;
        if (len == 0)
                return true;
        if (v[0] == '\0' || v[len - 1] == '\0')
                return false;
        for (size_t i = 1; i < len; i++)
                if (v[i] == '\0' && v[i - 1] == '\0')
                        return false;
        return true;
}

static void check(const struct spdy_header *h, size_t n) {
        if (n > SPDY_HEADER_PAIRS_MAX)
                die("more pairs than the limit");
        for (size_t i = 0; i < n; i++) {
                if (!is_valid_name(h[i].name))
                        die("a name that is empty, not printable or not lowercase");
                if (!is_valid_value(h[i].value, h[i].value_len))
                        die("a value with an empty part or no terminator");
                if (spdy_header_get(h, n, h[i].name) != h[i].value)
                        die("a duplicate name");
        }
}

static void same(const struct spdy_header *a, size_t na, const struct spdy_header *b, size_t nb) {
        if (na != nb)
                die("pair count changed on the round trip");
        for (size_t i = 0; i < na; i++)
                if (strcmp(a[i].name, b[i].name) != 0 || a[i].value_len != b[i].value_len ||
                    memcmp(a[i].value, b[i].value, a[i].value_len + 1) != 0)
                        die("a pair changed on the round trip");
}

/* Decodes one block on in; when it decodes, checks it and sends it around out -> back. */
static void one_block(struct spdy_zlib *in, struct spdy_zlib *out, struct spdy_zlib *back, const uint8_t *block,
                      size_t len) {
        struct spdy_header *h = NULL, *again = NULL;
        size_t n = 0, n_again = 0;
        struct cric_error *err = NULL;
        if (spdy_headers_decode(in, block, len, &h, &n, &err) < 0) {
                if (!err || err->kind != CRIC_E_INVALID || !err->msg || !*err->msg)
                        die("failure without a CRIC_E_INVALID error");
                cric_error_free(err);
                return;
        }
        if (err)
                die("success with an error set");
        check(h, n);
        CLEANUP(spdy_buf_clear) struct spdy_buf b = {0};
        spdy_headers_encode(out, h, n, &b);
        if (spdy_headers_decode(back, b.data, b.len, &again, &n_again, &err) < 0) {
                fprintf(stderr, "fuzz_spdy_headers: %s\n", err->msg);
                die("our own block does not decode");
        }
        same(h, n, again, n_again);
        spdy_headers_free(h, n);
        spdy_headers_free(again, n_again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *in = spdy_zlib_new_inflate();
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *ours = spdy_zlib_new_deflate();
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *ours_in = spdy_zlib_new_inflate();
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *out = spdy_zlib_new_deflate();
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *back = spdy_zlib_new_inflate();
        for (size_t off = 0; off + 2 <= size;) {
                size_t len = (size_t) data[off] << 8 | data[off + 1];
                off += 2;
                if (len > size - off)
                        len = size - off;
                one_block(in, out, back, data + off, len);
                off += len;
        }
        CLEANUP(spdy_buf_clear) struct spdy_buf plain = {0};
        spdy_zlib_deflate(ours, data, size, &plain);
        one_block(ours_in, out, back, plain.data, plain.len);
        return 0;
}
