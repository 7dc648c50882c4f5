/* What the SPDY files (spdy.c: frames, spdy_zlib.c: header blocks) share. Only they, their
 * unit test and the fuzz targets include this. */
#ifndef CRIC_STREAMING_SPDY_INTERNAL_H
#define CRIC_STREAMING_SPDY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "streaming/spdy.h"

#define SPDY_CONTROL_BIT 0x80000000u
#define SPDY_ID_MASK     0x7fffffffu
#define SPDY_LENGTH_MAX  0xffffffu /* what the 24-bit length field holds */

/* The SPDY/3 header compression dictionary (spec section 2.6.10.1): 1423 bytes whose
 * Adler-32, the DICTID every header stream starts with, is 0xe3c6a7c2. */
extern const uint8_t spdy_dictionary[];
extern const size_t spdy_dictionary_len;

static inline void spdy_put32(uint8_t *p, uint32_t v) {
        p[0] = (uint8_t) (v >> 24);
        p[1] = (uint8_t) (v >> 16);
        p[2] = (uint8_t) (v >> 8);
        p[3] = (uint8_t) v;
}

static inline uint32_t spdy_get32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

/* Makes room for n more bytes at the end of b and returns where they go (b->len
 * already counts them). The pointer is valid until b grows again. */
uint8_t *spdy_buf_append(struct spdy_buf *b, size_t n);

/* Compresses in[0..len) with the sender's stream z as one block that ends with a
 * Z_SYNC_FLUSH, appending the output to b. Aborts if z is an inflater. */
void spdy_zlib_deflate(struct spdy_zlib *z, const uint8_t *in, size_t len, struct spdy_buf *b);

/* How many bytes the inflater z has put out in all (tests: a bomb stops at the limit). */
uint64_t spdy_zlib_total_out(const struct spdy_zlib *z);

/* Appends the compressed header block for a NULL-terminated name, value, ... list. */
void spdy_headers_encode_list(struct spdy_zlib *z, const char *const *names_values, struct spdy_buf *b);

#endif
