/* streaming/ws.h: frame heads in every length form, the rules that refuse a head,
 * masking (at once and in pieces), close payloads and the handshake's keys. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

#include "streaming/ws.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/xalloc.h"

static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};

static void parse_ok(const uint8_t *buf, size_t len, bool expect_masked, struct ws_frame_head *h) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        int r = ws_parse_head(buf, len, expect_masked, h, &err);
        if (r < 0)
                fail_msg("head failed to parse: %s", err->msg);
        assert_null(err);
        assert_int_equal(r, 1);
}

/* Fails with CRIC_E_INVALID holding why, and *ret untouched. */
static void parse_fails(const uint8_t *buf, size_t len, bool expect_masked, const char *why) {
        struct ws_frame_head h = {.head_len = 77};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        int r = ws_parse_head(buf, len, expect_masked, &h, &err);
        if (r >= 0)
                fail_msg("head of %zu bytes returned %d, want \"%s\"", len, r, why);
        assert_contains(testlib_error_is(r, &err, CRIC_E_INVALID), why);
        assert_int_equal(h.head_len, 77);
}

static void needs_more(const uint8_t *buf, size_t len, bool expect_masked) {
        struct ws_frame_head h = {.head_len = 77};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        int r = ws_parse_head(buf, len, expect_masked, &h, &err);
        if (r != 0)
                fail_msg("head of %zu bytes returned %d, want 0 (%s)", len, r, err ? err->msg : "no error");
        assert_null(err);
        assert_int_equal(h.head_len, 77);
}

static void round_trip(bool fin, uint8_t opcode, uint64_t len, const uint8_t *mask, size_t want_head_len) {
        uint8_t out[WS_HEAD_MAX + 1];
        out[WS_HEAD_MAX] = 0xee; /* never written */
        size_t n = ws_format_head(out, fin, opcode, len, mask);
        assert_int_equal(n, want_head_len);
        assert_int_equal(out[WS_HEAD_MAX], 0xee);
        struct ws_frame_head h;
        parse_ok(out, n, mask != NULL, &h);
        assert_int_equal(h.fin, fin);
        assert_int_equal(h.opcode, opcode);
        assert_int_equal(h.masked, mask != NULL);
        assert_true(h.payload_len == len);
        assert_int_equal(h.head_len, n);
        if (mask)
                assert_memory_equal(h.mask, mask, 4);
        for (size_t i = 0; i < n; i++)
                needs_more(out, i, mask != NULL);
        /* payload bytes after the head do not change it */
        uint8_t more[WS_HEAD_MAX + 3] = {0};
        memcpy(more, out, n);
        memset(more + n, 0xff, sizeof(more) - n);
        struct ws_frame_head again;
        parse_ok(more, sizeof(more), mask != NULL, &again);
        assert_int_equal(again.head_len, n);
        assert_true(again.payload_len == len);
}

static void test_every_length_form_round_trips(void **state) {
        (void) state;
        const struct {
                uint64_t len;
                size_t head_len;
        } cases[] = {
                {0, 2},
                {1, 2},
                {125, 2},
                {126, 4},
                {127, 4},
                {0xffff, 4},
                {0x10000, 10},
                {0xffffffffULL, 10},
                {1ULL << 32, 10},
                {1ULL << 62, 10},
                {(1ULL << 63) - 1, 10},
        };
        const uint8_t opcodes[] = {WS_OP_CONT, WS_OP_TEXT, WS_OP_BINARY};
        for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
                for (size_t k = 0; k < sizeof(opcodes); k++)
                        for (int fin = 0; fin <= 1; fin++) {
                                round_trip(fin, opcodes[k], cases[i].len, NULL, cases[i].head_len);
                                round_trip(fin, opcodes[k], cases[i].len, key, cases[i].head_len + 4);
                        }
        const uint8_t controls[] = {WS_OP_CLOSE, WS_OP_PING, WS_OP_PONG};
        for (size_t k = 0; k < sizeof(controls); k++) {
                round_trip(true, controls[k], 0, NULL, 2);
                round_trip(true, controls[k], 125, key, 6);
        }
}

static void test_format_exact_bytes(void **state) {
        (void) state;
        uint8_t out[WS_HEAD_MAX];
        assert_int_equal(ws_format_head(out, true, WS_OP_TEXT, 5, NULL), 2);
        assert_memory_equal(out, "\x81\x05", 2);
        assert_int_equal(ws_format_head(out, true, WS_OP_TEXT, 5, key), 6);
        assert_memory_equal(out, "\x81\x85\x37\xfa\x21\x3d", 6);
        assert_int_equal(ws_format_head(out, true, WS_OP_BINARY, 256, NULL), 4);
        assert_memory_equal(out, "\x82\x7e\x01\x00", 4);
        assert_int_equal(ws_format_head(out, true, WS_OP_BINARY, 65536, NULL), 10);
        assert_memory_equal(out, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
        assert_int_equal(ws_format_head(out, false, WS_OP_CONT, 0x0102030405060708ULL, key), 14);
        assert_memory_equal(out, "\x00\xff\x01\x02\x03\x04\x05\x06\x07\x08\x37\xfa\x21\x3d", 14);
        assert_int_equal(ws_format_head(out, true, WS_OP_PING, 0, NULL), 2);
        assert_memory_equal(out, "\x89\x00", 2);
}

/* RFC 6455 section 5.7: the examples. */
static void test_rfc_examples(void **state) {
        (void) state;
        struct ws_frame_head h;
        static const uint8_t unmasked[] = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
        parse_ok(unmasked, sizeof(unmasked), false, &h);
        assert_true(h.fin);
        assert_int_equal(h.opcode, WS_OP_TEXT);
        assert_int_equal(h.payload_len, 5);
        assert_int_equal(h.head_len, 2);
        assert_memory_equal(unmasked + h.head_len, "Hello", 5);

        static const uint8_t masked[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
        parse_ok(masked, sizeof(masked), true, &h);
        assert_true(h.masked);
        assert_int_equal(h.head_len, 6);
        assert_memory_equal(h.mask, key, 4);
        uint8_t payload[5];
        memcpy(payload, masked + h.head_len, 5);
        ws_mask(payload, 5, h.mask, 0);
        assert_memory_equal(payload, "Hello", 5);

        static const uint8_t fragment1[] = {0x01, 0x03, 0x48, 0x65, 0x6c};
        parse_ok(fragment1, sizeof(fragment1), false, &h);
        assert_false(h.fin);
        assert_int_equal(h.opcode, WS_OP_TEXT);
        static const uint8_t fragment2[] = {0x80, 0x02, 0x6c, 0x6f};
        parse_ok(fragment2, sizeof(fragment2), false, &h);
        assert_true(h.fin);
        assert_int_equal(h.opcode, WS_OP_CONT);

        static const uint8_t ping[] = {0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
        parse_ok(ping, sizeof(ping), false, &h);
        assert_int_equal(h.opcode, WS_OP_PING);
        static const uint8_t pong[] = {0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
        parse_ok(pong, sizeof(pong), true, &h);
        assert_int_equal(h.opcode, WS_OP_PONG);

        static const uint8_t k256[] = {0x82, 0x7e, 0x01, 0x00};
        parse_ok(k256, sizeof(k256), false, &h);
        assert_int_equal(h.payload_len, 256);
        static const uint8_t k64[] = {0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00};
        parse_ok(k64, sizeof(k64), false, &h);
        assert_int_equal(h.payload_len, 65536);
        assert_int_equal(h.head_len, 10);
}

static void test_shortest_form_rule(void **state) {
        (void) state;
        static const uint8_t len16_125[] = {0x82, 0x7e, 0x00, 0x7d};
        parse_fails(len16_125, sizeof(len16_125), false, "16-bit length 125 not in its shortest form");
        static const uint8_t len16_0[] = {0x82, 0x7e, 0x00, 0x00};
        parse_fails(len16_0, sizeof(len16_0), false, "16-bit length 0 not in its shortest form");
        static const uint8_t len64_ffff[] = {0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        parse_fails(len64_ffff, sizeof(len64_ffff), false, "64-bit length 65535 not in its shortest form");
        static const uint8_t len64_5[] = {0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 5};
        parse_fails(len64_5, sizeof(len64_5), false, "64-bit length 5 not in its shortest form");
        static const uint8_t top_bit[] = {0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0};
        parse_fails(top_bit, sizeof(top_bit), false, "64-bit length with the top bit set");
        static const uint8_t all_ones[] = {0x82, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        parse_fails(all_ones, sizeof(all_ones), false, "64-bit length with the top bit set");
        /* refused as soon as the length is in, before the masking key */
        static const uint8_t masked_long[] = {0x82, 0xfe, 0x00, 0x10};
        parse_fails(masked_long, sizeof(masked_long), true, "16-bit length 16 not in its shortest form");
        /* the smallest lengths of each form are fine */
        struct ws_frame_head h;
        static const uint8_t len16_126[] = {0x82, 0x7e, 0x00, 0x7e};
        parse_ok(len16_126, sizeof(len16_126), false, &h);
        assert_int_equal(h.payload_len, 126);
        static const uint8_t len64_min[] = {0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0};
        parse_ok(len64_min, sizeof(len64_min), false, &h);
        assert_int_equal(h.payload_len, 65536);
        static const uint8_t len64_max[] = {0x82, 0x7f, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        parse_ok(len64_max, sizeof(len64_max), false, &h);
        assert_true(h.payload_len == (uint64_t) INT64_MAX);
}

static void test_control_frame_rules(void **state) {
        (void) state;
        const uint8_t controls[] = {WS_OP_CLOSE, WS_OP_PING, WS_OP_PONG};
        for (size_t k = 0; k < sizeof(controls); k++) {
                uint8_t op = controls[k];
                const uint8_t fragmented[] = {op, 0x00};
                parse_fails(fragmented, 2, false, "fragmented control frame");
                const uint8_t long16[] = {(uint8_t) (0x80 | op), 0x7e, 0x00, 0x7e};
                parse_fails(long16, 2, false, "control frame longer than 125 bytes");
                parse_fails(long16, sizeof(long16), false, "control frame longer than 125 bytes");
                const uint8_t long64[] = {(uint8_t) (0x80 | op), 0xff};
                parse_fails(long64, 2, true, "control frame longer than 125 bytes");
                struct ws_frame_head h;
                const uint8_t max[] = {(uint8_t) (0x80 | op), 0x7d};
                parse_ok(max, 2, false, &h);
                assert_int_equal(h.payload_len, 125);
        }
        /* a data frame may be fragmented and long */
        struct ws_frame_head h;
        static const uint8_t data[] = {0x02, 0x7e, 0x01, 0x00};
        parse_ok(data, sizeof(data), false, &h);
        assert_false(h.fin);
}

static void test_rejected_heads(void **state) {
        (void) state;
        static const uint8_t rsv[][2] = {{0xc2, 0x00}, {0xa2, 0x00}, {0x92, 0x00}, {0xf2, 0x00}, {0x41, 0x00}};
        for (size_t i = 0; i < sizeof(rsv) / sizeof(*rsv); i++)
                parse_fails(rsv[i], 2, false, "reserved bits set");
        parse_fails(rsv[0], 2, false, "reserved bits set (0x40)");
        for (uint8_t op = 0; op < 16; op++) {
                if (op <= 2 || (op >= 8 && op <= 10))
                        continue;
                uint8_t frame[2] = {(uint8_t) (0x80 | op), 0x00};
                AUTOFREE char *why = xasprintf("unknown opcode 0x%x", op);
                parse_fails(frame, 2, false, why);
        }
        static const uint8_t unmasked[] = {0x82, 0x05};
        parse_fails(unmasked, 2, true, "unmasked frame from a client");
        static const uint8_t masked[] = {0x82, 0x85};
        parse_fails(masked, 2, false, "masked frame from a server");
        static const uint8_t masked_ping[] = {0x89, 0x80};
        parse_fails(masked_ping, 2, false, "masked frame from a server");
        /* the message says what kind of frame it is */
        parse_fails(unmasked, 2, true, "invalid WebSocket frame: ");
}

static void test_needs_more(void **state) {
        (void) state;
        static const uint8_t frame[] = {0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4};
        for (size_t i = 0; i < sizeof(frame); i++)
                needs_more(frame, i, true);
        needs_more(NULL, 0, false);
        struct ws_frame_head h;
        parse_ok(frame, sizeof(frame), true, &h);
        assert_int_equal(h.head_len, WS_HEAD_MAX);
        assert_memory_equal(h.mask, "\x01\x02\x03\x04", 4);
}

static void test_mask_in_pieces(void **state) {
        (void) state;
        enum { N = 1000 };
        uint8_t plain[N], whole[N], pieces[N];
        for (size_t i = 0; i < N; i++)
                plain[i] = (uint8_t) (i * 7 + 3);
        memcpy(whole, plain, N);
        ws_mask(whole, N, key, 0);
        for (size_t i = 0; i < N; i++)
                assert_int_equal(whole[i], plain[i] ^ key[i % 4]);
        for (size_t step = 1; step <= 19; step++) {
                memcpy(pieces, plain, N);
                for (size_t off = 0; off < N; off += step)
                        ws_mask(pieces + off, off + step <= N ? step : N - off, key, off);
                assert_memory_equal(pieces, whole, N);
        }
        /* every starting alignment of the buffer, and offsets past 32 bits */
        for (size_t start = 0; start < 16; start++) {
                memcpy(pieces, plain, N);
                ws_mask(pieces + start, N - start, key, start + (1ULL << 40));
                assert_memory_equal(pieces + start, whole + start, N - start);
        }
        /* masking twice gives the data back */
        ws_mask(whole, N, key, 0);
        assert_memory_equal(whole, plain, N);
        ws_mask(whole, 0, key, 3);
        assert_memory_equal(whole, plain, N);
}

static void test_accept_key(void **state) {
        (void) state;
        char out[29];
        memset(out, 'x', sizeof(out));
        ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out); /* RFC 6455 section 1.3 */
        assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        ws_accept_key("x3JJHMbDL1EzLkh9GBhXDw==", out); /* RFC 6455 section 1.2 (no answer given there) */
        assert_int_equal(strlen(out), 28);
        assert_string_not_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        ws_accept_key("", out);
        assert_int_equal(strlen(out), 28);
}

static void test_key_validation(void **state) {
        (void) state;
        assert_true(ws_key_is_valid("dGhlIHNhbXBsZSBub25jZQ=="));
        assert_true(ws_key_is_valid("x3JJHMbDL1EzLkh9GBhXDw=="));
        assert_true(ws_key_is_valid("AAAAAAAAAAAAAAAAAAAAAA=="));
        assert_true(ws_key_is_valid("/+/+/+/+/+/+/+/+/+/+/w=="));
        const char *bad[] = {
                "",
                "dGhlIHNhbXBsZSBub25jZQ=",   /* 23 */
                "dGhlIHNhbXBsZSBub25jZQ===", /* 25 */
                "dGhlIHNhbXBsZSBub25jZQ",    /* unpadded */
                "AAAAAAAAAAAAAAAAAAAAAAAA",  /* 18 bytes */
                "AAAAAAAAAAAAAAAAAAAAAAA=",  /* 17 bytes */
                "AAAAAAAAAAAAAAAAAAAAA===",
                "dGhlIHNhbXBsZSBub25jZQ!=",
                " GhlIHNhbXBsZSBub25jZQ==",
                "dGhlIHNhbXBsZSBub25jZQ==\n",
                "-_hlIHNhbXBsZSBub25jZQ==", /* URL-safe alphabet */
                "dGhlIHNhbXBsZSBub25jZQ==dGhlIHNhbXBsZSBub25jZQ==",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
                if (ws_key_is_valid(bad[i]))
                        fail_msg("key \"%s\" taken as valid", bad[i]);
}

static void close_ok(const uint8_t *payload, size_t len, uint16_t want) {
        uint16_t code = 0;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (ws_parse_close(payload, len, &code, &err) < 0)
                fail_msg("close payload of %zu bytes refused: %s", len, err->msg);
        assert_null(err);
        assert_int_equal(code, want);
}

static void close_fails(const uint8_t *payload, size_t len, const char *why) {
        uint16_t code = 4242;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_contains(testlib_error_is(ws_parse_close(payload, len, &code, &err), &err, CRIC_E_INVALID), why);
        assert_int_equal(code, 4242);
}

static void test_close_payloads(void **state) {
        (void) state;
        uint8_t out[125];
        assert_int_equal(ws_format_close(out, WS_CLOSE_NORMAL, "bye"), 5);
        assert_memory_equal(out,
                            "\x03\xe8"
                            "bye",
                            5);
        close_ok(out, 5, WS_CLOSE_NORMAL);
        assert_int_equal(ws_format_close(out, WS_CLOSE_INTERNAL, NULL), 2);
        assert_memory_equal(out, "\x03\xf3", 2);
        close_ok(out, 2, WS_CLOSE_INTERNAL);
        assert_int_equal(ws_format_close(out, WS_CLOSE_PROTOCOL, ""), 2);
        close_ok(out, 2, WS_CLOSE_PROTOCOL);
        close_ok(NULL, 0, 1005);
        /* reasons are cut to 123 bytes, never inside a UTF-8 sequence */
        char long_reason[200];
        memset(long_reason, 'a', sizeof(long_reason) - 1);
        long_reason[sizeof(long_reason) - 1] = '\0';
        assert_int_equal(ws_format_close(out, WS_CLOSE_TOO_BIG, long_reason), 125);
        close_ok(out, 125, WS_CLOSE_TOO_BIG);
        memcpy(long_reason + 122, "\xc3\xa9", 2);
        assert_int_equal(ws_format_close(out, WS_CLOSE_TOO_BIG, long_reason), 124);
        close_ok(out, 124, WS_CLOSE_TOO_BIG);
        memcpy(long_reason + 121, "\xe2\x82\xac", 3);
        assert_int_equal(ws_format_close(out, WS_CLOSE_TOO_BIG, long_reason), 123);
        close_ok(out, 123, WS_CLOSE_TOO_BIG);
        long_reason[123] = '\0'; /* exactly 123 bytes ending in a 3-byte sequence: kept whole */
        memcpy(long_reason + 120, "\xe2\x82\xac", 3);
        assert_int_equal(ws_format_close(out, WS_CLOSE_TOO_BIG, long_reason), 125);
        close_ok(out, 125, WS_CLOSE_TOO_BIG);
}

static void test_close_codes(void **state) {
        (void) state;
        const uint16_t good[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010,
                                 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999};
        for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
                uint8_t out[125];
                size_t n = ws_format_close(out, good[i], "ok");
                close_ok(out, n, good[i]);
        }
        const uint16_t bad[] = {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535};
        for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
                uint8_t out[125];
                size_t n = ws_format_close(out, bad[i], NULL);
                AUTOFREE char *why = xasprintf("code %u not allowed", bad[i]);
                close_fails(out, n, why);
        }
}

static void test_close_rejected(void **state) {
        (void) state;
        close_fails((const uint8_t *) "\x03", 1, "1-byte payload");
        uint8_t big[126] = {0x03, 0xe8};
        memset(big + 2, 'a', sizeof(big) - 2);
        close_fails(big, sizeof(big), "payload longer than 125 bytes");
        close_ok(big, 125, 1000);
        const char *reasons[] = {
                "\xff",     "a\xc3", "\xc3(",          "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                "\xe2\x82", "\x80",  "ok\xf0\x9f\x98",
        };
        for (size_t i = 0; i < sizeof(reasons) / sizeof(*reasons); i++) {
                uint8_t payload[16] = {0x03, 0xe8};
                size_t n = strlen(reasons[i]);
                memcpy(payload + 2, reasons[i], n);
                close_fails(payload, 2 + n, "reason is not UTF-8");
        }
        /* a truncated sequence at the very end is refused even when more bytes follow in memory */
        uint8_t cut[] = {0x03, 0xe8, 'a', 0xc3, 0xa9};
        close_fails(cut, 4, "reason is not UTF-8");
        close_ok(cut, 5, 1000);
        /* U+0000 and the largest characters are UTF-8 */
        static const uint8_t nul[] = {0x03, 0xe8, 'a', 0x00, 'b', 0xf4, 0x8f, 0xbf, 0xbf, 0xef, 0xbf, 0xbf};
        close_ok(nul, sizeof(nul), 1000);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_length_form_round_trips),
                cmocka_unit_test(test_format_exact_bytes),
                cmocka_unit_test(test_rfc_examples),
                cmocka_unit_test(test_shortest_form_rule),
                cmocka_unit_test(test_control_frame_rules),
                cmocka_unit_test(test_rejected_heads),
                cmocka_unit_test(test_needs_more),
                cmocka_unit_test(test_mask_in_pieces),
                cmocka_unit_test(test_accept_key),
                cmocka_unit_test(test_key_validation),
                cmocka_unit_test(test_close_payloads),
                cmocka_unit_test(test_close_codes),
                cmocka_unit_test(test_close_rejected),
        };
        return cmocka_run_group_tests_name("streaming_ws", tests, NULL, NULL);
}
