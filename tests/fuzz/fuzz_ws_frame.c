/* libFuzzer target for the WebSocket codec (src/streaming/ws.c).
 *
 * The input is parsed as a frame head by a server (masked frames expected) and by a
 * client (unmasked). Each parse must succeed within the input, ask for more (only
 * below WS_HEAD_MAX, without an error) or fail with a CRIC_E_INVALID error. A parsed
 * head must obey RFC 6455's rules; ws_format_head must write back exactly the bytes
 * that were read (a parsed head is canonical), which parse again to the same head,
 * and every proper prefix of them must ask for more. The payload that follows is
 * unmasked at once and in two pieces, which must agree, and a close frame's payload
 * that parses must format back to the same bytes. The input also goes through the
 * close payload parser and the handshake key check. Any mismatch aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "streaming/ws.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static void die(const char *what, const uint8_t *data, size_t size) {
        fprintf(stderr, "fuzz_ws_frame: %s\n--- input (%zu bytes):", what, size);
        for (size_t i = 0; i < size && i < 64; i++)
                fprintf(stderr, " %02x", data[i]);
        fprintf(stderr, "\n");
        abort();
}

static bool is_known_opcode(uint8_t op) {
        return op <= WS_OP_BINARY || (op >= WS_OP_CLOSE && op <= WS_OP_PONG);
}

static void check_head(const struct ws_frame_head *h, bool expect_masked, size_t size, const uint8_t *data) {
        size_t n_len = h->payload_len > 0xffff ? 8 : h->payload_len > 125 ? 2 : 0;
        if (!is_known_opcode(h->opcode) || h->masked != expect_masked || h->payload_len >> 63)
                die("parsed head breaks the rules", data, size);
        if ((h->opcode & 0x8) && (!h->fin || h->payload_len > 125))
                die("parsed control frame is fragmented or long", data, size);
        if (h->head_len != 2 + n_len + (h->masked ? 4 : 0) || h->head_len > size)
                die("head length does not match the length form", data, size);
}

static void check_format(const struct ws_frame_head *h, const uint8_t *data, size_t size) {
        uint8_t out[WS_HEAD_MAX];
        size_t n = ws_format_head(out, h->fin, h->opcode, h->payload_len, h->masked ? h->mask : NULL);
        if (n != h->head_len || memcmp(out, data, n) != 0)
                die("formatted head differs from the parsed bytes", data, size);
        struct ws_frame_head again;
        struct cric_error *err = NULL;
        if (ws_parse_head(out, n, h->masked, &again, &err) != 1)
                die("formatted head does not parse", data, size);
        if (again.fin != h->fin || again.opcode != h->opcode || again.masked != h->masked ||
            again.payload_len != h->payload_len || again.head_len != h->head_len ||
            memcmp(again.mask, h->mask, h->masked ? 4 : 0) != 0)
                die("head changed on re-parse", data, size);
        for (size_t i = 0; i < n; i++) {
                if (ws_parse_head(out, i, h->masked, &again, &err) != 0 || err)
                        die("a proper prefix of a head did not ask for more", data, size);
        }
}

static void check_close(const uint8_t *payload, size_t len, const uint8_t *data, size_t size) {
        uint16_t code = 0;
        struct cric_error *err = NULL;
        if (ws_parse_close(payload, len, &code, &err) < 0) {
                if (!err || err->kind != CRIC_E_INVALID || !err->msg)
                        die("close payload refused without a CRIC_E_INVALID error", data, size);
                cric_error_free(err);
                return;
        }
        if (len == 0) {
                if (code != 1005)
                        die("empty close payload is not 1005", data, size);
                return;
        }
        if (len < 2 || len > 125 || code < 1000 || code >= 5000 || code == 1005 || code == 1006)
                die("close payload taken with a bad length or code", data, size);
        if (memchr(payload + 2, 0, len - 2))
                return; /* ws_format_close takes a C string */
        AUTOFREE char *reason = xstrndup((const char *) payload + 2, len - 2);
        uint8_t out[125];
        size_t n = ws_format_close(out, code, reason);
        if (n != len || memcmp(out, payload, n) != 0)
                die("close payload formats back differently", data, size);
}

static void check_payload(const struct ws_frame_head *h, const uint8_t *data, size_t size) {
        size_t avail = size - h->head_len;
        size_t len = h->payload_len < avail ? (size_t) h->payload_len : avail;
        AUTOFREE uint8_t *whole = xmalloc(len + 1);
        AUTOFREE uint8_t *pieces = xmalloc(len + 1);
        memcpy(whole, data + h->head_len, len);
        memcpy(pieces, data + h->head_len, len);
        if (h->masked) {
                size_t cut = len ? data[0] % (len + 1) : 0;
                ws_mask(whole, len, h->mask, 0);
                ws_mask(pieces, cut, h->mask, 0);
                ws_mask(pieces + cut, len - cut, h->mask, cut);
                if (memcmp(whole, pieces, len) != 0)
                        die("unmasking in pieces differs from unmasking at once", data, size);
                ws_mask(pieces, len, h->mask, 0);
                if (memcmp(pieces, data + h->head_len, len) != 0)
                        die("masking twice did not give the data back", data, size);
        }
        if (h->opcode == WS_OP_CLOSE && len == h->payload_len)
                check_close(whole, len, data, size);
}

static void run(const uint8_t *data, size_t size, bool expect_masked) {
        struct ws_frame_head h;
        struct cric_error *err = NULL;
        int r = ws_parse_head(data, size, expect_masked, &h, &err);
        if (r < 0) {
                if (r != -1 || !err || err->kind != CRIC_E_INVALID || !err->msg)
                        die("failure without a CRIC_E_INVALID error", data, size);
                cric_error_free(err);
                return;
        }
        if (err)
                die("success with an error set", data, size);
        if (r == 0) {
                if (size >= WS_HEAD_MAX)
                        die("asked for more with a whole head's bytes", data, size);
                return;
        }
        if (r != 1)
                die("returned neither -1, 0 nor 1", data, size);
        check_head(&h, expect_masked, size, data);
        check_format(&h, data, size);
        check_payload(&h, data, size);
}

static void run_key(const uint8_t *data, size_t size) {
        AUTOFREE char *key = xstrndup((const char *) data, size < 32 ? size : 32);
        if (!ws_key_is_valid(key))
                return;
        if (strlen(key) != 24)
                die("key of the wrong length taken", data, size);
        char accept[29];
        ws_accept_key(key, accept);
        if (strlen(accept) != 28)
                die("accept key is not 28 characters", data, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        /* a copy of exactly size bytes, so ASan sees any read past the end */
        AUTOFREE uint8_t *buf = xmalloc(size);
        if (size)
                memcpy(buf, data, size);
        run(buf, size, true);
        run(buf, size, false);
        if (size <= 126)
                check_close(buf, size, buf, size);
        run_key(buf, size);
        return 0;
}
