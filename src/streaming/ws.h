/* WebSocket (RFC 6455) framing: frame heads, masking, the handshake's accept key. No
 * I/O: the streaming sessions read and write the bytes.
 *
 * Frame head: FIN, RSV1-3, opcode, MASK, 7/16/64-bit payload length, masking key.
 * ws_parse_head rejects (CRIC_E_INVALID, saying which): any RSV bit (no extension is
 * negotiated), an unknown opcode, a control frame that is fragmented or longer than 125
 * bytes, a 64-bit length with the top bit set, a length not in its shortest form, and
 * a MASK bit other than the one the caller requires (clients must mask, servers must
 * not). */
#ifndef CRIC_STREAMING_WS_H
#define CRIC_STREAMING_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define WS_OP_CONT   0x0
#define WS_OP_TEXT   0x1
#define WS_OP_BINARY 0x2
#define WS_OP_CLOSE  0x8
#define WS_OP_PING   0x9
#define WS_OP_PONG   0xa

#define WS_HEAD_MAX 14 /* 2 + 8 (length) + 4 (mask) */

/* Close codes used by the streaming server. */
#define WS_CLOSE_NORMAL   1000
#define WS_CLOSE_PROTOCOL 1002
#define WS_CLOSE_TOO_BIG  1009
#define WS_CLOSE_INTERNAL 1011

struct ws_frame_head {
        bool fin;
        uint8_t opcode;
        bool masked;
        uint8_t mask[4];
        uint64_t payload_len;
        size_t head_len; /* bytes of the head in the buffer */
};

/* Parses the frame head at buf[0..len). Returns 1 and fills *ret when the head is
 * complete, 0 when more bytes are needed, -1 with *err set when it is invalid.
 * expect_masked: true on the server (frames from a client), false on a client. */
int ws_parse_head(const uint8_t *buf, size_t len, bool expect_masked, struct ws_frame_head *ret,
                  struct cric_error **err);

/* Writes a frame head into out and returns its length. mask: NULL for a server's frame,
 * else the 4-byte key the payload will be masked with (ws_mask). */
size_t ws_format_head(uint8_t out[WS_HEAD_MAX], bool fin, uint8_t opcode, uint64_t payload_len, const uint8_t *mask);

/* XORs data with the key, as the byte at payload offset `offset` onward (so a payload
 * can be unmasked in pieces). Masking and unmasking are the same operation. */
void ws_mask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t offset);

/* The Sec-WebSocket-Accept value for a Sec-WebSocket-Key: base64(SHA-1(key + GUID)),
 * 28 characters and a NUL. */
void ws_accept_key(const char *key, char out[29]);

/* Checks a Sec-WebSocket-Key: 24 characters of base64 that decode to 16 bytes. */
bool ws_key_is_valid(const char *key);

/* A close frame's payload: 2-byte code, then reason (at most 123 bytes). Returns its
 * length. ws_parse_close reads one back (code 1005 when the payload is empty); -1 with
 * *err set when the payload is 1 byte, the code is not allowed on the wire, or the
 * reason is not UTF-8. */
size_t ws_format_close(uint8_t out[125], uint16_t code, const char *reason);
int ws_parse_close(const uint8_t *payload, size_t len, uint16_t *ret_code, struct cric_error **err);

#endif
