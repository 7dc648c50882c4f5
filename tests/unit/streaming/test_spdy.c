/* streaming/spdy.h: frames through writer and parser, header blocks on shared zlib
 * streams, bytes encoded by hand from the spec and by another zlib user (Python), and
 * every way a frame or a header block is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <zlib.h>

#include "streaming/spdy.h"
#include "streaming/spdy_internal.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/xalloc.h"

/* Parses the one whole frame b holds. */
static void parse_whole(const struct spdy_buf *b, struct spdy_frame *f) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        ssize_t r = spdy_parse_frame(b->data, b->len, f, &err);
        if (r < 0)
                fail_msg("%s", err->msg);
        assert_int_equal(r, b->len);
        assert_int_equal(f->length, b->len - SPDY_HEAD_LEN);
}

/* Parses len bytes that must be refused with a message containing msg; *ret untouched. */
static void parse_fails(const uint8_t *bytes, size_t len, const char *msg) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct spdy_frame f = {.type = 0xbeef};
        ssize_t r = spdy_parse_frame(bytes, len, &f, &err);
        assert_contains(testlib_error_is((int) r, &err, CRIC_E_INVALID), msg);
        assert_int_equal(f.type, 0xbeef);
}

/* Decodes a block that must be refused with a message containing msg. */
static void decode_fails(struct spdy_zlib *z, const uint8_t *block, size_t len, const char *msg) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct spdy_header *h = (struct spdy_header *) (uintptr_t) 0x1;
        size_t n = 7;
        int r = spdy_headers_decode(z, block, len, &h, &n, &err);
        assert_contains(testlib_error_is(r, &err, CRIC_E_INVALID), msg);
        assert_ptr_equal(h, (struct spdy_header *) (uintptr_t) 0x1);
        assert_int_equal(n, 7);
}

static size_t decode_ok(struct spdy_zlib *z, const uint8_t *block, size_t len, struct spdy_header **h) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        size_t n = 0;
        if (spdy_headers_decode(z, block, len, h, &n, &err) < 0)
                fail_msg("%s", err->msg);
        return n;
}

/* An uncompressed header block under construction. */
static void plain_u32(struct spdy_buf *b, uint32_t v) {
        spdy_put32(spdy_buf_append(b, 4), v);
}

static void plain_str(struct spdy_buf *b, const char *s, size_t len) {
        plain_u32(b, (uint32_t) len);
        memcpy(spdy_buf_append(b, len), s, len);
}

static void plain_pair(struct spdy_buf *b, const char *name, const char *value) {
        plain_str(b, name, strlen(name));
        plain_str(b, value, strlen(value));
}

/* Compresses a raw block with a fresh deflater and decodes it with a fresh inflater. */
static void plain_fails(const struct spdy_buf *plain, const char *msg) {
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *d = spdy_zlib_new_deflate();
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *i = spdy_zlib_new_inflate();
        CLEANUP(spdy_buf_clear) struct spdy_buf block = {0};
        spdy_zlib_deflate(d, plain->data, plain->len, &block);
        decode_fails(i, block.data, block.len, msg);
}

static void test_dictionary_is_spdy3s(void **state) {
        (void) state;
        assert_int_equal(spdy_dictionary_len, 1423);
        assert_int_equal(adler32(1, spdy_dictionary, (uInt) spdy_dictionary_len), 0xe3c6a7c2);
        assert_memory_equal(spdy_dictionary, "\0\0\0\x07options", 11);
        assert_memory_equal(spdy_dictionary + spdy_dictionary_len - 7, ",enq=0.", 7);
        /* the first block names the dictionary: zlib header with FDICT, then its id */
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *d = spdy_zlib_new_deflate();
        CLEANUP(spdy_buf_clear) struct spdy_buf b = {0};
        spdy_headers_encode_list(d, NULL, &b);
        assert_true(b.len > 6);
        assert_int_equal(b.data[0] & 0x0f, 8);
        assert_true(b.data[1] & 0x20);
        assert_int_equal((b.data[0] << 8 | b.data[1]) % 31, 0);
        assert_int_equal(spdy_get32(b.data + 2), 0xe3c6a7c2);
        assert_memory_equal(b.data + b.len - 4, "\0\0\xff\xff", 4); /* ends with a sync flush */
}

static void test_fixed_frames_round_trip(void **state) {
        (void) state;
        CLEANUP(spdy_buf_clear) struct spdy_buf b = {0};
        struct spdy_frame f;
        spdy_write_rst_stream(&b, 7, SPDY_CANCEL);
        parse_whole(&b, &f);
        assert_true(f.is_control);
        assert_int_equal(f.type, SPDY_RST_STREAM);
        assert_int_equal(f.stream_id, 7);
        assert_int_equal(f.status, SPDY_CANCEL);
        spdy_buf_clear(&b);
        spdy_write_ping(&b, 0xfffffffe);
        parse_whole(&b, &f);
        assert_int_equal(f.type, SPDY_PING);
        assert_int_equal(f.ping_id, 0xfffffffe);
        spdy_buf_clear(&b);
        spdy_write_goaway(&b, 0x7fffffff, SPDY_GOAWAY_PROTOCOL_ERROR);
        parse_whole(&b, &f);
        assert_int_equal(f.type, SPDY_GOAWAY);
        assert_int_equal(f.last_good_id, 0x7fffffff);
        assert_int_equal(f.status, SPDY_GOAWAY_PROTOCOL_ERROR);
        spdy_buf_clear(&b);
        spdy_write_window_update(&b, 0, SPDY_MAX_WINDOW); /* stream 0: the session's window */
        parse_whole(&b, &f);
        assert_int_equal(f.type, SPDY_WINDOW_UPDATE);
        assert_int_equal(f.stream_id, 0);
        assert_int_equal(f.delta, SPDY_MAX_WINDOW);
        assert_int_equal(f.flags, 0);
        assert_null(f.settings);
}

static void test_settings_round_trip(void **state) {
        (void) state;
        CLEANUP(spdy_buf_clear) struct spdy_buf b = {0};
        struct spdy_frame f;
        const struct spdy_setting s[] = {
                {.flags = 0, .id = SPDY_SETTINGS_INITIAL_WINDOW_SIZE, .value = 1 << 20},
                {.flags = 1, .id = SPDY_SETTINGS_MAX_CONCURRENT_STREAMS, .value = 1000},
                {.flags = 2, .id = 0xffffff, .value = 0xffffffff},
        };
        spdy_write_settings(&b, s, 3);
        parse_whole(&b, &f);
        assert_int_equal(f.type, SPDY_SETTINGS);
        assert_int_equal(f.n_settings, 3);
        for (size_t i = 0; i < 3; i++) {
                assert_int_equal(f.settings[i].flags, s[i].flags);
                assert_int_equal(f.settings[i].id, s[i].id);
                assert_int_equal(f.settings[i].value, s[i].value);
        }
        free(f.settings);
        spdy_buf_clear(&b);
        spdy_write_settings(&b, NULL, 0);
        parse_whole(&b, &f);
        assert_int_equal(f.n_settings, 0);
        assert_null(f.settings);
}

static void test_data_frame_round_trip(void **state) {
        (void) state;
        uint8_t buf[SPDY_HEAD_LEN + 5];
        struct spdy_frame f;
        spdy_write_data_head(buf, 3, SPDY_FLAG_FIN, 5);
        memcpy(buf + SPDY_HEAD_LEN, "hello", 5);
        assert_int_equal(spdy_parse_frame(buf, sizeof(buf), &f, NULL), sizeof(buf));
        assert_false(f.is_control);
        assert_int_equal(f.stream_id, 3);
        assert_int_equal(f.flags, SPDY_FLAG_FIN);
        assert_int_equal(f.data_len, 5);
        assert_ptr_equal(f.data, buf + SPDY_HEAD_LEN);
        /* an empty data frame with FIN is how spdystream closes its half of a stream */
        spdy_write_data_head(buf, 0x7fffffff, SPDY_FLAG_FIN, 0);
        assert_int_equal(spdy_parse_frame(buf, SPDY_HEAD_LEN, &f, NULL), SPDY_HEAD_LEN);
        assert_int_equal(f.stream_id, 0x7fffffff);
        assert_int_equal(f.data_len, 0);
}

static void test_header_frames_round_trip(void **state) {
        (void) state;
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *d = spdy_zlib_new_deflate();
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *i = spdy_zlib_new_inflate();
        CLEANUP(spdy_buf_clear) struct spdy_buf b = {0};
        const char *nv[] = {"streamtype", "stdin", "Port", "8080", NULL};
        const uint16_t types[] = {SPDY_SYN_STREAM, SPDY_SYN_REPLY, SPDY_HEADERS};
        for (size_t k = 0; k < 3; k++) {
                struct spdy_frame f;
                struct spdy_header *h = NULL;
                spdy_buf_clear(&b);
                if (types[k] == SPDY_SYN_STREAM)
                        spdy_write_syn_stream(&b, d, 5, SPDY_FLAG_FIN | SPDY_FLAG_UNIDIRECTIONAL, nv);
                else if (types[k] == SPDY_SYN_REPLY)
                        spdy_write_syn_reply(&b, d, 5, SPDY_FLAG_FIN, nv);
                else
                        spdy_write_headers(&b, d, 5, 0, nv);
                parse_whole(&b, &f);
                assert_int_equal(f.type, types[k]);
                assert_int_equal(f.stream_id, 5);
                assert_int_equal(f.assoc_id, 0);
                assert_int_equal(f.priority, 0);
                assert_int_equal(f.flags, types[k] == SPDY_SYN_STREAM ? 3 : types[k] == SPDY_SYN_REPLY ? 1 : 0);
                assert_int_equal(decode_ok(i, f.data, f.data_len, &h), 2);
                assert_string_equal(spdy_header_get(h, 2, "streamtype"), "stdin");
                assert_string_equal(spdy_header_get(h, 2, "port"), "8080"); /* lowercased */
                assert_null(spdy_header_get(h, 2, "Port"));
                spdy_headers_free(h, 2);
        }
}

/* One deflate stream per direction: each block leans on the ones before it, so they
 * decode in order on one inflater and not on a fresh one. */
static void test_blocks_share_the_stream(void **state) {
        (void) state;
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *d = spdy_zlib_new_deflate();
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *i = spdy_zlib_new_inflate();
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *fresh = spdy_zlib_new_inflate();
        for (int k = 0; k < 20; k++) {
                CLEANUP(spdy_buf_clear) struct spdy_buf b = {0};
                AUTOFREE char *id = xasprintf("%d", k);
                const char *nv[] = {"streamtype", k % 2 ? "stdout" : "stderr", "requestid", id, NULL};
                struct spdy_header *h = NULL;
                spdy_headers_encode_list(d, nv, &b);
                assert_int_equal(decode_ok(i, b.data, b.len, &h), 2);
                assert_string_equal(spdy_header_get(h, 2, "requestid"), id);
                assert_string_equal(spdy_header_get(h, 2, "streamtype"), nv[1]);
                spdy_headers_free(h, 2);
                if (k == 3) /* no zlib header: only the stream's own inflater can read it */
                        decode_fails(fresh, b.data, b.len, "invalid SPDY header block: corrupt compressed data");
        }
}

static void test_several_values_round_trip(void **state) {
        (void) state;
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *d = spdy_zlib_new_deflate();
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *i = spdy_zlib_new_inflate();
        CLEANUP(spdy_buf_clear) struct spdy_buf b = {0};
        const struct spdy_header in[] = {
                {.name = "x-list", .value = "a\0bc\0d", .value_len = 6},
                {.name = "empty", .value = "", .value_len = 0},
        };
        struct spdy_header *h = NULL;
        spdy_headers_encode(d, in, 2, &b);
        assert_int_equal(decode_ok(i, b.data, b.len, &h), 2);
        assert_string_equal(h[0].name, "x-list");
        assert_int_equal(h[0].value_len, 6);
        assert_memory_equal(h[0].value, "a\0bc\0d", 7);            /* and NUL-terminated */
        assert_string_equal(spdy_header_get(h, 2, "x-list"), "a"); /* the first value */
        assert_string_equal(spdy_header_get(h, 2, "empty"), "");
        spdy_headers_free(h, 2);
}

static void test_frames_back_to_back(void **state) {
        (void) state;
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *d = spdy_zlib_new_deflate();
        CLEANUP(spdy_buf_clear) struct spdy_buf b = {0};
        const char *nv[] = {"streamtype", "error", NULL};
        spdy_write_syn_reply(&b, d, 1, 0, nv);
        spdy_write_ping(&b, 1);
        uint8_t *p = spdy_buf_append(&b, SPDY_HEAD_LEN);
        spdy_write_data_head(p, 1, SPDY_FLAG_FIN, 0);
        spdy_write_goaway(&b, 1, SPDY_GOAWAY_OK);
        const uint16_t types[] = {SPDY_SYN_REPLY, SPDY_PING, 0, SPDY_GOAWAY};
        size_t off = 0;
        for (size_t k = 0; k < 4; k++) {
                struct spdy_frame f;
                ssize_t r = spdy_parse_frame(b.data + off, b.len - off, &f, NULL);
                assert_true(r > 0);
                assert_int_equal(f.type, types[k]);
                assert_int_equal(f.is_control, k != 2);
                off += (size_t) r;
        }
        assert_int_equal(off, b.len);
}

/* Encoded by hand from the SPDY/3 spec (sections 2.2, 2.6): what the writers must emit
 * byte for byte, and what the parser must read. */
static void test_known_bytes(void **state) {
        (void) state;
        static const uint8_t rst[] = {0x80, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00, 0x08,
                                      0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x05};
        static const uint8_t ping[] = {0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0x01, 0x02, 0x03, 0x04};
        static const uint8_t goaway[] = {0x80, 0x03, 0x00, 0x07, 0x00, 0x00, 0x00, 0x08,
                                         0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02};
        static const uint8_t window[] = {0x80, 0x03, 0x00, 0x09, 0x00, 0x00, 0x00, 0x08,
                                         0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00};
        static const uint8_t settings[] = {0x80, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00,
                                           0x00, 0x01, 0x01, 0x00, 0x00, 0x07, 0x00, 0x01, 0x00, 0x00};
        static const uint8_t data[] = {0x00, 0x00, 0x00, 0x03, 0x01, 0x00, 0x00, 0x05};
        const struct spdy_setting s = {.flags = 1, .id = SPDY_SETTINGS_INITIAL_WINDOW_SIZE, .value = 65536};
        CLEANUP(spdy_buf_clear) struct spdy_buf b = {0};
        spdy_write_rst_stream(&b, 5, SPDY_CANCEL);
        spdy_write_ping(&b, 0x01020304);
        spdy_write_goaway(&b, 3, SPDY_GOAWAY_INTERNAL_ERROR);
        spdy_write_window_update(&b, 1, 65536);
        spdy_write_settings(&b, &s, 1);
        uint8_t head[SPDY_HEAD_LEN];
        spdy_write_data_head(head, 3, SPDY_FLAG_FIN, 5);
        assert_memory_equal(head, data, sizeof(data));
        const struct {
                const uint8_t *bytes;
                size_t len;
        } want[] = {{rst, sizeof(rst)},
                    {ping, sizeof(ping)},
                    {goaway, sizeof(goaway)},
                    {window, sizeof(window)},
                    {settings, sizeof(settings)}};
        size_t off = 0;
        for (size_t k = 0; k < 5; k++) {
                assert_memory_equal(b.data + off, want[k].bytes, want[k].len);
                off += want[k].len;
        }
        assert_int_equal(off, b.len);
}

/* A SYN_STREAM whose header block is a zlib stream built by hand: header 0x78 0xbb
 * (FDICT set), the SPDY/3 dictionary's id, then a stored (uncompressed) deflate block,
 * which ends byte-aligned just as a sync flush does. The second block continues the
 * same stream with another stored block. */
static void test_hand_made_syn_stream(void **state) {
        (void) state;
        static const uint8_t syn[] = {
                0x80, 0x03, 0x00, 0x01, 0x02, 0x00, 0x00, 0x30, /* SYN_STREAM, UNIDIRECTIONAL, 48 */
                0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, /* stream 3, associated to 1 */
                0xa0, 0x00,                                     /* priority 5, slot 0 */
                0x78, 0xbb, 0xe3, 0xc6, 0xa7, 0xc2,             /* zlib header, DICTID */
                0x00, 0x1b, 0x00, 0xe4, 0xff,                   /* stored block of 27 bytes */
                0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0a, 's', 't', 'r', 'e', 'a', 'm',
                't',  'y',  'p',  'e',  0x00, 0x00, 0x00, 0x05, 'e', 'r', 'r', 'o', 'r',
        };
        static const uint8_t next[] = {
                0x00, 0x0d, 0x00, 0xf2, 0xff, /* stored block of 13 bytes */
                0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 'x', 0x00, 0x00, 0x00, 0x00,
        };
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *i = spdy_zlib_new_inflate();
        struct spdy_frame f;
        struct spdy_header *h = NULL;
        assert_int_equal(spdy_parse_frame(syn, sizeof(syn), &f, NULL), sizeof(syn));
        assert_int_equal(f.type, SPDY_SYN_STREAM);
        assert_int_equal(f.flags, SPDY_FLAG_UNIDIRECTIONAL);
        assert_int_equal(f.stream_id, 3);
        assert_int_equal(f.assoc_id, 1);
        assert_int_equal(f.priority, 5);
        assert_ptr_equal(f.data, syn + 18);
        assert_int_equal(f.data_len, 38);
        assert_int_equal(decode_ok(i, f.data, f.data_len, &h), 1);
        assert_string_equal(h[0].name, "streamtype");
        assert_string_equal(h[0].value, "error");
        spdy_headers_free(h, 1);
        assert_int_equal(decode_ok(i, next, sizeof(next), &h), 1);
        assert_string_equal(h[0].name, "x");
        assert_int_equal(h[0].value_len, 0);
        spdy_headers_free(h, 1);
}

/* Two blocks from Python's zlib (compressobj(9, DEFLATED, 15, 8, zdict=the SPDY/3
 * dictionary), a Z_SYNC_FLUSH after each), as spdystream's Go writer compresses them. */
static const uint8_t python_block1[] = {
        0x78, 0xf9, 0xe3, 0xc6, 0xa7, 0xc2, 0x02, 0xa6, 0x23, 0x46, 0x70, 0x3a, 0x2b, 0x29, 0x4a,
        0x4d, 0xcc, 0x85, 0x16, 0x25, 0xac, 0xa9, 0xa0, 0x80, 0x06, 0x00, 0x00, 0x00, 0xff, 0xff,
};
static const uint8_t python_block2[] = {
        0x02, 0xa5, 0x47, 0x0c, 0x29, 0x50, 0x29, 0x93, 0x08, 0x29, 0xb0, 0x8b, 0xc0, 0x79, 0xc3, 0xc2, 0xc0, 0xc2,
        0x00, 0x48, 0x73, 0x16, 0x41, 0x22, 0x38, 0x13, 0x94, 0xf0, 0x19, 0x0d, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
};

static void test_python_zlib_blocks(void **state) {
        (void) state;
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *i = spdy_zlib_new_inflate();
        struct spdy_header *h = NULL;
        assert_int_equal(decode_ok(i, python_block1, sizeof(python_block1), &h), 1);
        assert_string_equal(spdy_header_get(h, 1, "streamtype"), "error");
        spdy_headers_free(h, 1);
        assert_int_equal(decode_ok(i, python_block2, sizeof(python_block2), &h), 3);
        assert_string_equal(spdy_header_get(h, 3, "streamtype"), "data");
        assert_string_equal(spdy_header_get(h, 3, "port"), "8080");
        assert_string_equal(spdy_header_get(h, 3, "requestid"), "0");
        spdy_headers_free(h, 3);
}

/* A control frame head (version 3 unless changed) and payload. */
static size_t control(uint8_t *out, uint16_t type, uint8_t flags, uint32_t length, const uint8_t *payload,
                      size_t payload_len) {
        spdy_put32(out, SPDY_CONTROL_BIT | 3u << 16 | type);
        spdy_put32(out + 4, (uint32_t) flags << 24 | length);
        if (payload_len)
                memcpy(out + SPDY_HEAD_LEN, payload, payload_len);
        return SPDY_HEAD_LEN + payload_len;
}

static void control_fails(uint16_t type, uint8_t flags, const void *payload, size_t len, const char *msg) {
        uint8_t buf[64];
        parse_fails(buf, control(buf, type, flags, (uint32_t) len, payload, len), msg);
}

static void test_frame_heads_refused(void **state) {
        (void) state;
        static const uint8_t v2[] = {0x80, 0x02, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1};
        parse_fails(v2, sizeof(v2), "invalid SPDY PING frame: version 2, expected 3");
        parse_fails(v2, SPDY_HEAD_LEN, "version 2"); /* refused before the payload is in */
        uint8_t big[SPDY_HEAD_LEN];
        spdy_write_data_head(big, 1, 0, SPDY_FRAME_MAX + 1);
        parse_fails(big, sizeof(big), "invalid SPDY data frame: payload of 1048577 bytes is over the limit");
        spdy_write_data_head(big, 1, 0, SPDY_LENGTH_MAX);
        parse_fails(big, sizeof(big), "over the limit of 1048576");
        static const uint8_t syn_big[] = {0x80, 0x03, 0x00, 0x01, 0x00, 0x10, 0x00, 0x01};
        parse_fails(syn_big, sizeof(syn_big), "invalid SPDY SYN_STREAM frame: payload of 1048577 bytes");
        spdy_write_data_head(big, 0, 0, 0);
        parse_fails(big, sizeof(big), "invalid SPDY data frame: stream id 0");
        spdy_write_data_head(big, 1, 0x02, 0); /* SPDY/2's COMPRESS flag */
        parse_fails(big, sizeof(big), "invalid SPDY data frame: undefined flags 0x02");
        control_fails(SPDY_PING, 0x01, "\0\0\0\1", 4, "invalid SPDY PING frame: undefined flags 0x01");
        control_fails(SPDY_SYN_STREAM, 0x04, "\0\0\0\1\0\0\0\0\0\0x", 11, "SYN_STREAM frame: undefined flags 0x04");
        control_fails(SPDY_SYN_REPLY, 0x02, "\0\0\0\1x", 5, "SYN_REPLY frame: undefined flags 0x02");
        control_fails(SPDY_SETTINGS, 0x02, "\0\0\0\0", 4, "SETTINGS frame: undefined flags 0x02");
        control_fails(SPDY_GOAWAY, 0x01, "\0\0\0\1\0\0\0\0", 8, "GOAWAY frame: undefined flags 0x01");
}

static void test_lengths_refused(void **state) {
        (void) state;
        control_fails(SPDY_RST_STREAM, 0, "\0\0\0\1", 4, "invalid SPDY RST_STREAM frame: length 4, expected 8");
        control_fails(SPDY_RST_STREAM, 0, "\0\0\0\1\0\0\0\1\0", 9, "length 9, expected 8");
        control_fails(SPDY_PING, 0, "\0\0\0\1\0\0\0\0", 8, "invalid SPDY PING frame: length 8, expected 4");
        control_fails(SPDY_GOAWAY, 0, "\0\0\0\1", 4, "GOAWAY frame: length 4, expected 8"); /* SPDY/2's */
        control_fails(SPDY_WINDOW_UPDATE, 0, "\0\0\0\1", 4, "WINDOW_UPDATE frame: length 4, expected 8");
        control_fails(SPDY_SYN_STREAM, 0, "\0\0\0\1\0\0\0\0\0\0", 10, "SYN_STREAM frame: length 10 leaves no room");
        control_fails(SPDY_SYN_STREAM, 0, "\0\0\0\1", 4, "length 4 leaves no room for the header block");
        control_fails(SPDY_SYN_REPLY, 0, "\0\0\0\1", 4, "SYN_REPLY frame: length 4 leaves no room");
        control_fails(SPDY_HEADERS, 0, "", 0, "HEADERS frame: length 0 leaves no room");
        control_fails(SPDY_SETTINGS, 0, "\0\0\0", 3, "SETTINGS frame: length 3 is not 4 + 8 bytes per setting");
        control_fails(SPDY_SETTINGS, 0, "\0\0\0\1\0\0\0\7\0", 9, "length 9 is not 4 + 8 bytes per setting");
        control_fails(SPDY_SETTINGS, 0, "\0\0\0\2\0\0\0\7\0\0\0\1", 12,
                      "SETTINGS frame: count 2 does not match length 12");
        control_fails(SPDY_SETTINGS, 0, "\0\0\0\0\0\0\0\7\0\0\0\1", 12, "count 0 does not match length 12");
}

static void test_fields_refused(void **state) {
        (void) state;
        control_fails(SPDY_SYN_STREAM, 0, "\0\0\0\0\0\0\0\0\0\0x", 11, "invalid SPDY SYN_STREAM frame: stream id 0");
        control_fails(SPDY_SYN_STREAM, 0, "\x80\0\0\0\0\0\0\0\0\0x", 11, "stream id 0"); /* reserved bit only */
        control_fails(SPDY_SYN_REPLY, 0, "\0\0\0\0x", 5, "invalid SPDY SYN_REPLY frame: stream id 0");
        control_fails(SPDY_HEADERS, 0, "\0\0\0\0x", 5, "invalid SPDY HEADERS frame: stream id 0");
        control_fails(SPDY_RST_STREAM, 0, "\0\0\0\0\0\0\0\1", 8, "invalid SPDY RST_STREAM frame: stream id 0");
        control_fails(SPDY_RST_STREAM, 0, "\0\0\0\1\0\0\0\0", 8, "invalid SPDY RST_STREAM frame: status 0");
        control_fails(SPDY_WINDOW_UPDATE, 0, "\0\0\0\1\0\0\0\0", 8, "invalid SPDY WINDOW_UPDATE frame: delta 0");
        control_fails(SPDY_WINDOW_UPDATE, 0, "\0\0\0\1\x80\0\0\0", 8, "delta 0"); /* reserved bit only */
}

/* Unknown control types come back whole so the session can skip them (SPDY requires
 * that); their version and size are still checked. */
static void test_unknown_control_frames(void **state) {
        (void) state;
        uint8_t buf[64];
        struct spdy_frame f;
        size_t len = control(buf, 10, 0xff, 5, (const uint8_t *) "cred!", 5); /* SPDY/3's CREDENTIAL */
        assert_int_equal(spdy_parse_frame(buf, len, &f, NULL), len);
        assert_true(f.is_control);
        assert_int_equal(f.type, 10);
        assert_int_equal(f.flags, 0xff);
        assert_int_equal(f.data_len, 5);
        assert_ptr_equal(f.data, buf + SPDY_HEAD_LEN);
        len = control(buf, 0xffff, 0, 0, NULL, 0);
        assert_int_equal(spdy_parse_frame(buf, len, &f, NULL), SPDY_HEAD_LEN);
        assert_int_equal(f.type, 0xffff);
        assert_int_equal(f.data_len, 0);
        buf[1] = 4;
        parse_fails(buf, len, "invalid SPDY control frame: version 4, expected 3");
}

/* Every prefix of a valid frame is "need more", never an error. */
static void prefixes_wait(const uint8_t *bytes, size_t len) {
        for (size_t k = 0; k < len; k++) {
                struct spdy_frame f = {.type = 0xbeef};
                struct cric_error *err = NULL;
                assert_int_equal(spdy_parse_frame(bytes, k, &f, &err), 0);
                assert_null(err);
                assert_int_equal(f.type, 0xbeef);
        }
        struct spdy_frame f;
        assert_int_equal(spdy_parse_frame(bytes, len, &f, NULL), len);
        free(f.settings);
}

static void test_partial_input_waits(void **state) {
        (void) state;
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *d = spdy_zlib_new_deflate();
        const struct spdy_setting s[2] = {{.id = 4, .value = 100}, {.id = 7, .value = 1 << 20}};
        const char *nv[] = {"streamtype", "stdout", NULL};
        CLEANUP(spdy_buf_clear) struct spdy_buf b = {0};
        size_t ends[10], n = 0;
        spdy_write_syn_stream(&b, d, 1, 0, nv);
        ends[n++] = b.len;
        spdy_write_syn_reply(&b, d, 1, 0, nv);
        ends[n++] = b.len;
        spdy_write_headers(&b, d, 1, SPDY_FLAG_FIN, nv);
        ends[n++] = b.len;
        spdy_write_rst_stream(&b, 1, SPDY_CANCEL);
        ends[n++] = b.len;
        spdy_write_settings(&b, s, 2);
        ends[n++] = b.len;
        spdy_write_ping(&b, 2);
        ends[n++] = b.len;
        spdy_write_goaway(&b, 1, 0);
        ends[n++] = b.len;
        spdy_write_window_update(&b, 1, 4096);
        ends[n++] = b.len;
        uint8_t *p = spdy_buf_append(&b, SPDY_HEAD_LEN + 3);
        spdy_write_data_head(p, 1, 0, 3);
        memcpy(p + SPDY_HEAD_LEN, "abc", 3);
        ends[n++] = b.len;
        for (size_t k = 0, start = 0; k < n; start = ends[k++])
                prefixes_wait(b.data + start, ends[k] - start);
}

static void test_pairs_refused(void **state) {
        (void) state;
        CLEANUP(spdy_buf_clear) struct spdy_buf b = {0};
        plain_u32(&b, 2);
        plain_pair(&b, "streamtype", "data");
        plain_pair(&b, "streamType", "data");
        plain_fails(&b, "invalid SPDY header block: name \"streamType\" is not lowercase");
        spdy_buf_clear(&b);
        plain_u32(&b, 3);
        plain_pair(&b, "port", "80");
        plain_pair(&b, "requestid", "1");
        plain_pair(&b, "port", "81");
        plain_fails(&b, "invalid SPDY header block: duplicate name \"port\"");
        spdy_buf_clear(&b);
        plain_u32(&b, 1);
        plain_pair(&b, "", "x");
        plain_fails(&b, "invalid SPDY header block: name of pair 0 is empty");
        spdy_buf_clear(&b);
        plain_u32(&b, 2);
        plain_pair(&b, "a", "x");
        plain_str(&b, "b\0c", 3);
        plain_str(&b, "", 0);
        plain_fails(&b, "invalid SPDY header block: name of pair 1 has byte 0x00 at offset 1");
        spdy_buf_clear(&b);
        plain_u32(&b, 1);
        plain_pair(&b, "a b", "x");
        plain_fails(&b, "name of pair 0 has byte 0x20 at offset 1");
}

static void test_values_refused(void **state) {
        (void) state;
        const char *bad[] = {"a\0\0b", "\0a", "a\0", "\0"};
        const size_t len[] = {4, 2, 2, 1};
        for (size_t k = 0; k < 4; k++) {
                CLEANUP(spdy_buf_clear) struct spdy_buf b = {0};
                plain_u32(&b, 1);
                plain_str(&b, "x-list", 6);
                plain_str(&b, bad[k], len[k]);
                plain_fails(&b, "invalid SPDY header block: value of \"x-list\" holds an empty value");
        }
}

static void test_block_shapes_refused(void **state) {
        (void) state;
        CLEANUP(spdy_buf_clear) struct spdy_buf b = {0};
        plain_u32(&b, 2);
        plain_pair(&b, "a", "1");
        plain_fails(&b, "invalid SPDY header block: truncated in the name of pair 1");
        spdy_buf_clear(&b);
        plain_u32(&b, 1);
        plain_u32(&b, 100); /* a name longer than the block */
        plain_fails(&b, "truncated in the name of pair 0");
        spdy_buf_clear(&b);
        plain_u32(&b, 1);
        plain_str(&b, "a", 1);
        plain_u32(&b, 5);
        plain_fails(&b, "invalid SPDY header block: truncated in the value of \"a\"");
        spdy_buf_clear(&b);
        memcpy(spdy_buf_append(&b, 3), "\0\0\0", 3);
        plain_fails(&b, "invalid SPDY header block: truncated before the pair count");
        spdy_buf_clear(&b);
        plain_u32(&b, 1);
        plain_pair(&b, "a", "1");
        plain_u32(&b, 0);
        plain_fails(&b, "invalid SPDY header block: 4 bytes after the last pair");
}

static void test_pair_limit(void **state) {
        (void) state;
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *d = spdy_zlib_new_deflate();
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *i = spdy_zlib_new_inflate();
        CLEANUP(spdy_buf_clear) struct spdy_buf b = {0};
        struct spdy_header in[SPDY_HEADER_PAIRS_MAX + 1];
        char names[SPDY_HEADER_PAIRS_MAX + 1][8];
        for (int k = 0; k <= SPDY_HEADER_PAIRS_MAX; k++) {
                snprintf(names[k], sizeof(names[k]), "h%d", k);
                in[k] = (struct spdy_header){.name = names[k], .value = names[k], .value_len = strlen(names[k])};
        }
        struct spdy_header *h = NULL;
        spdy_headers_encode(d, in, SPDY_HEADER_PAIRS_MAX, &b);
        assert_int_equal(decode_ok(i, b.data, b.len, &h), SPDY_HEADER_PAIRS_MAX);
        assert_string_equal(spdy_header_get(h, SPDY_HEADER_PAIRS_MAX, "h99"), "h99");
        spdy_headers_free(h, SPDY_HEADER_PAIRS_MAX);
        spdy_buf_clear(&b);
        spdy_headers_encode(d, in, SPDY_HEADER_PAIRS_MAX + 1, &b);
        decode_fails(i, b.data, b.len, "invalid SPDY header block: 101 name/value pairs, over the limit of 100");
        spdy_buf_clear(&b); /* a refused pair count leaves the stream in step */
        spdy_headers_encode(d, in, 1, &b);
        assert_int_equal(decode_ok(i, b.data, b.len, &h), 1);
        spdy_headers_free(h, 1);
}

/* One header block of exactly `total` bytes decompressed: one pair, value of 'v's. */
static void big_block(struct spdy_zlib *d, size_t total, struct spdy_buf *out) {
        CLEANUP(spdy_buf_clear) struct spdy_buf b = {0};
        size_t value_len = total - 4 - 4 - 1 - 4;
        plain_u32(&b, 1);
        plain_str(&b, "v", 1);
        plain_u32(&b, (uint32_t) value_len);
        memset(spdy_buf_append(&b, value_len), 'v', value_len);
        assert_int_equal(b.len, total);
        spdy_zlib_deflate(d, b.data, b.len, out);
}

static void test_decompression_limit(void **state) {
        (void) state;
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *d = spdy_zlib_new_deflate();
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *i = spdy_zlib_new_inflate();
        CLEANUP(spdy_buf_clear) struct spdy_buf b = {0};
        struct spdy_header *h = NULL;
        big_block(d, SPDY_HEADERS_MAX, &b);
        assert_int_equal(decode_ok(i, b.data, b.len, &h), 1);
        assert_int_equal(h[0].value_len, SPDY_HEADERS_MAX - 13);
        spdy_headers_free(h, 1);
        spdy_buf_clear(&b);
        big_block(d, SPDY_HEADERS_MAX + 1, &b);
        decode_fails(i, b.data, b.len, "invalid SPDY header block: more than 65536 bytes decompressed");
        spdy_buf_clear(&b); /* the stream is out of step now: everything after is refused */
        spdy_headers_encode_list(d, NULL, &b);
        decode_fails(i, b.data, b.len, "invalid SPDY header block: an earlier block broke the compressed stream");
}

/* 64 MiB of zeros fit in about 64 KiB compressed (a frame of 1 MiB could carry a
 * gigabyte): inflation must stop at the limit, not run to the end and check then. */
static void test_decompression_bomb(void **state) {
        (void) state;
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *d = spdy_zlib_new_deflate();
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *i = spdy_zlib_new_inflate();
        CLEANUP(spdy_buf_clear) struct spdy_buf b = {0};
        size_t big = 64u << 20;
        AUTOFREE uint8_t *zeros = xzalloc(big);
        spdy_zlib_deflate(d, zeros, big, &b);
        assert_true(b.len < SPDY_FRAME_MAX);
        decode_fails(i, b.data, b.len, "more than 65536 bytes decompressed");
        assert_in_range(spdy_zlib_total_out(i), SPDY_HEADERS_MAX + 1, SPDY_HEADERS_MAX + 1);
}

/* A block from a zlib stream set up by hand: dict NULL for none. */
static void raw_block(const char *dict, const char *text, size_t len, int flush, struct spdy_buf *out) {
        z_stream zs = {0};
        assert_int_equal(deflateInit(&zs, Z_DEFAULT_COMPRESSION), Z_OK);
        if (dict)
                assert_int_equal(deflateSetDictionary(&zs, (const Bytef *) dict, (uInt) strlen(dict)), Z_OK);
        uint8_t *p = spdy_buf_append(out, len + 128);
        zs.next_in = (Bytef *) (uintptr_t) text;
        zs.avail_in = (uInt) len;
        zs.next_out = p;
        zs.avail_out = (uInt) len + 128;
        assert_int_not_equal(deflate(&zs, flush), Z_STREAM_ERROR);
        out->len -= zs.avail_out;
        deflateEnd(&zs);
}

static void test_compressed_streams_refused(void **state) {
        (void) state;
        static const char block[] = "\0\0\0\1\0\0\0\1a\0\0\0\1b";
        CLEANUP(spdy_buf_clear) struct spdy_buf b = {0};
        raw_block("not the SPDY dictionary", block, sizeof(block) - 1, Z_SYNC_FLUSH, &b);
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *i = spdy_zlib_new_inflate();
        decode_fails(i, b.data, b.len, "invalid SPDY header block: compressed with dictionary 0x");
        spdy_buf_clear(&b);
        raw_block((const char *) spdy_dictionary, block, sizeof(block) - 1, Z_FINISH, &b);
        spdy_zlib_free(i);
        i = spdy_zlib_new_inflate();
        decode_fails(i, b.data, b.len, "invalid SPDY header block: the peer ended its compressed stream");
        static const uint8_t garbage[] = {0x78, 0xbb, 0xe3, 0xc6, 0xa7, 0xc2, 0xff, 0xff, 0xff, 0xff};
        spdy_zlib_free(i);
        i = spdy_zlib_new_inflate();
        decode_fails(i, garbage, sizeof(garbage), "invalid SPDY header block: corrupt compressed data (");
        spdy_zlib_free(i);
        i = spdy_zlib_new_inflate();
        decode_fails(i, garbage, 1, "invalid SPDY header block: truncated");
        decode_fails(i, garbage, 1, "an earlier block broke the compressed stream");
}

static void test_empty_block_refused(void **state) {
        (void) state;
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *d = spdy_zlib_new_deflate();
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *i = spdy_zlib_new_inflate();
        CLEANUP(spdy_buf_clear) struct spdy_buf b = {0};
        struct spdy_header *h = (struct spdy_header *) (uintptr_t) 0x1;
        decode_fails(i, (const uint8_t *) "", 0, "invalid SPDY header block: empty");
        spdy_headers_encode_list(d, NULL, &b); /* nothing was consumed: the stream is fine */
        assert_int_equal(decode_ok(i, b.data, b.len, &h), 0);
        assert_null(h);
}

/* A block cut short anywhere, even after all its pairs, breaks the stream. */
static void test_truncated_block_refused(void **state) {
        (void) state;
        const char *nv[] = {"streamtype", "stdin", NULL};
        for (size_t cut = 1; cut <= 5; cut++) {
                CLEANUP(spdy_zlib_freep) struct spdy_zlib *d = spdy_zlib_new_deflate();
                CLEANUP(spdy_zlib_freep) struct spdy_zlib *i = spdy_zlib_new_inflate();
                CLEANUP(spdy_buf_clear) struct spdy_buf b = {0};
                spdy_headers_encode_list(d, nv, &b);
                decode_fails(i, b.data, b.len - cut, "invalid SPDY header block: truncated");
        }
}

/* Streams with no dictionary are valid zlib: Go's reader takes them, so do we. */
static void test_block_without_dictionary(void **state) {
        (void) state;
        static const char block[] = "\0\0\0\1\0\0\0\1a\0\0\0\1b";
        CLEANUP(spdy_buf_clear) struct spdy_buf b = {0};
        CLEANUP(spdy_zlib_freep) struct spdy_zlib *i = spdy_zlib_new_inflate();
        struct spdy_header *h = NULL;
        raw_block(NULL, block, sizeof(block) - 1, Z_SYNC_FLUSH, &b);
        assert_int_equal(decode_ok(i, b.data, b.len, &h), 1);
        assert_string_equal(spdy_header_get(h, 1, "a"), "b");
        spdy_headers_free(h, 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dictionary_is_spdy3s),
                cmocka_unit_test(test_fixed_frames_round_trip),
                cmocka_unit_test(test_settings_round_trip),
                cmocka_unit_test(test_data_frame_round_trip),
                cmocka_unit_test(test_header_frames_round_trip),
                cmocka_unit_test(test_blocks_share_the_stream),
                cmocka_unit_test(test_several_values_round_trip),
                cmocka_unit_test(test_frames_back_to_back),
                cmocka_unit_test(test_known_bytes),
                cmocka_unit_test(test_hand_made_syn_stream),
                cmocka_unit_test(test_python_zlib_blocks),
                cmocka_unit_test(test_frame_heads_refused),
                cmocka_unit_test(test_lengths_refused),
                cmocka_unit_test(test_fields_refused),
                cmocka_unit_test(test_unknown_control_frames),
                cmocka_unit_test(test_partial_input_waits),
                cmocka_unit_test(test_pairs_refused),
                cmocka_unit_test(test_values_refused),
                cmocka_unit_test(test_block_shapes_refused),
                cmocka_unit_test(test_pair_limit),
                cmocka_unit_test(test_decompression_limit),
                cmocka_unit_test(test_decompression_bomb),
                cmocka_unit_test(test_compressed_streams_refused),
                cmocka_unit_test(test_empty_block_refused),
                cmocka_unit_test(test_truncated_block_refused),
                cmocka_unit_test(test_block_without_dictionary),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
