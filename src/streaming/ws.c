/* WebSocket framing (RFC 6455 section 5) and the handshake's accept key (section 4.2.2).
 *
 * The head parser refuses a frame as soon as its first two bytes show it is wrong, before
 * the extended length or the key have arrived: a peer speaking another protocol is cut
 * off at once. A head is canonical once parsed (no RSV bit, shortest length), so
 * ws_format_head writes back exactly the bytes ws_parse_head read. */
#include "streaming/ws.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"
#include "util/cleanup.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

#define CLOSE_REASON_MAX 123

static bool is_control(uint8_t opcode) {
        return opcode & 0x8;
}

static bool is_known_opcode(uint8_t opcode) {
        switch (opcode) {
        case WS_OP_CONT:
        case WS_OP_TEXT:
        case WS_OP_BINARY:
        case WS_OP_CLOSE:
        case WS_OP_PING:
        case WS_OP_PONG: return true;
        default: return false;
        }
}

/* What the first two bytes alone show to be wrong, or 0. */
static int check_first_bytes(uint8_t b0, uint8_t b1, bool expect_masked, struct cric_error **err) {
        uint8_t opcode = b0 & 0x0f, len7 = b1 & 0x7f;
        bool is_masked = b1 & 0x80;
        if (b0 & 0x70)
                return cric_error_set(err, CRIC_E_INVALID, "invalid WebSocket frame: reserved bits set (0x%02x)",
                                      b0 & 0x70);
        if (!is_known_opcode(opcode))
                return cric_error_set(err, CRIC_E_INVALID, "invalid WebSocket frame: unknown opcode 0x%x", opcode);
        if (is_control(opcode) && !(b0 & 0x80))
                return cric_error_set(err, CRIC_E_INVALID, "invalid WebSocket frame: fragmented control frame");
        if (is_control(opcode) && len7 > 125)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "invalid WebSocket frame: control frame longer than 125 bytes");
        if (is_masked != expect_masked)
                return cric_error_set(err, CRIC_E_INVALID, "invalid WebSocket frame: %s",
                                      expect_masked ? "unmasked frame from a client" : "masked frame from a server");
        return 0;
}

static uint64_t read_be(const uint8_t *p, size_t n) {
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++)
                v = v << 8 | p[i];
        return v;
}

/* The payload length that follows a 7-bit length of 126 (16 bits) or 127 (64 bits). */
static int check_extended_length(uint8_t len7, uint64_t len, struct cric_error **err) {
        if (len7 == 126 && len < 126)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "invalid WebSocket frame: 16-bit length %llu not in its shortest form",
                                      (unsigned long long) len);
        if (len7 == 127 && len >> 63)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "invalid WebSocket frame: 64-bit length with the top bit set");
        if (len7 == 127 && len <= 0xffff)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "invalid WebSocket frame: 64-bit length %llu not in its shortest form",
                                      (unsigned long long) len);
        return 0;
}

int ws_parse_head(const uint8_t *buf, size_t len, bool expect_masked, struct ws_frame_head *ret,
                  struct cric_error **err) {
        if (len < 2)
                return 0;
        if (check_first_bytes(buf[0], buf[1], expect_masked, err) < 0)
                return -1;
        uint8_t len7 = buf[1] & 0x7f;
        size_t n_len = len7 == 127 ? 8 : len7 == 126 ? 2 : 0;
        size_t head_len = 2 + n_len + (expect_masked ? 4 : 0);
        if (len < 2 + n_len)
                return 0;
        uint64_t payload_len = n_len ? read_be(buf + 2, n_len) : len7;
        if (check_extended_length(len7, payload_len, err) < 0)
                return -1;
        if (len < head_len)
                return 0;
        struct ws_frame_head h = {
                .fin = buf[0] & 0x80,
                .opcode = buf[0] & 0x0f,
                .masked = expect_masked,
                .payload_len = payload_len,
                .head_len = head_len,
        };
        if (expect_masked)
                memcpy(h.mask, buf + 2 + n_len, 4);
        *ret = h;
        return 1;
}

size_t ws_format_head(uint8_t out[WS_HEAD_MAX], bool fin, uint8_t opcode, uint64_t payload_len, const uint8_t *mask) {
        size_t n = 2, n_len = payload_len > 0xffff ? 8 : payload_len > 125 ? 2 : 0;
        out[0] = (uint8_t) ((fin ? 0x80 : 0) | (opcode & 0x0f));
        out[1] = (uint8_t) ((mask ? 0x80 : 0) | (n_len == 8 ? 127 : n_len == 2 ? 126 : payload_len));
        for (size_t i = 0; i < n_len; i++)
                out[n++] = (uint8_t) (payload_len >> (8 * (n_len - 1 - i)));
        if (mask) {
                memcpy(out + n, mask, 4);
                n += 4;
        }
        return n;
}

void ws_mask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t offset) {
        /* key[j] is the mask byte for data[i] whenever i % 8 == j, so eight bytes go at once */
        uint8_t key[8];
        for (size_t j = 0; j < 8; j++)
                key[j] = mask[(offset + j) & 3];
        uint64_t word_key;
        memcpy(&word_key, key, 8);
        size_t i = 0;
        for (; i + 8 <= len; i += 8) {
                uint64_t word;
                memcpy(&word, data + i, 8);
                word ^= word_key;
                memcpy(data + i, &word, 8);
        }
        for (; i < len; i++)
                data[i] ^= key[i & 7];
}

void ws_accept_key(const char *key, char out[29]) {
        size_t key_len = strlen(key);
        AUTOFREE char *text = xmalloc(key_len + sizeof(WS_GUID));
        memcpy(text, key, key_len);
        memcpy(text + key_len, WS_GUID, sizeof(WS_GUID));
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int md_len = 0;
        if (EVP_Digest(text, key_len + sizeof(WS_GUID) - 1, md, &md_len, EVP_sha1(), NULL) != 1 || md_len != 20) {
                fprintf(stderr, "cric: cannot compute sha1, aborting\n");
                abort();
        }
        EVP_EncodeBlock((unsigned char *) out, md, 20);
}

bool ws_key_is_valid(const char *key) {
        AUTOFREE char *raw = NULL;
        size_t raw_len = 0;
        if (strlen(key) != 24 || base64_decode(key, 24, &raw, &raw_len, NULL) < 0)
                return false;
        return raw_len == 16;
}

/* A prefix of reason (at most CLOSE_REASON_MAX bytes) that does not cut a UTF-8 sequence. */
static size_t reason_cut(const char *reason) {
        size_t n = strnlen(reason, CLOSE_REASON_MAX + 1);
        if (n <= CLOSE_REASON_MAX)
                return n;
        n = CLOSE_REASON_MAX;
        while (n > 0 && ((unsigned char) reason[n] & 0xc0) == 0x80)
                n--;
        return n;
}

size_t ws_format_close(uint8_t out[125], uint16_t code, const char *reason) {
        size_t n = reason ? reason_cut(reason) : 0;
        out[0] = (uint8_t) (code >> 8);
        out[1] = (uint8_t) code;
        if (n)
                memcpy(out + 2, reason, n);
        return 2 + n;
}

/* RFC 6455 section 7.4 and the IANA registry: 1004 is reserved, 1005, 1006 and 1015
 * never go on the wire, 1016-2999 are unassigned; 3000-4999 are for libraries and
 * applications. */
static bool is_wire_close_code(uint16_t code) {
        return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/* Whether s[0..len) is UTF-8; a NUL byte (U+0000) is as valid as any other character. */
static bool is_utf8(const uint8_t *s, size_t len) {
        unsigned char buf[CLOSE_REASON_MAX + 4] = {0}; /* zeros end any sequence cut at len */
        memcpy(buf, s, len);
        for (size_t i = 0; i < len;) {
                size_t n = utf8_len(buf + i);
                if (n == 0 || n > len - i)
                        return false;
                i += n;
        }
        return true;
}

int ws_parse_close(const uint8_t *payload, size_t len, uint16_t *ret_code, struct cric_error **err) {
        if (len == 0) {
                *ret_code = 1005;
                return 0;
        }
        if (len == 1)
                return cric_error_set(err, CRIC_E_INVALID, "invalid WebSocket close frame: 1-byte payload");
        if (len > 125)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "invalid WebSocket close frame: payload longer than 125 bytes");
        uint16_t code = (uint16_t) (payload[0] << 8 | payload[1]);
        if (!is_wire_close_code(code))
                return cric_error_set(err, CRIC_E_INVALID, "invalid WebSocket close frame: code %u not allowed", code);
        if (!is_utf8(payload + 2, len - 2))
                return cric_error_set(err, CRIC_E_INVALID, "invalid WebSocket close frame: reason is not UTF-8");
        *ret_code = code;
        return 0;
}
