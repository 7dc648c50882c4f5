/* SPDY/3.1 framing, as Kubernetes streams use it (moby/spdystream on the other side):
 * frame heads, the control frames, and name/value header blocks compressed with zlib
 * and the SPDY/3 dictionary. No I/O and no stream state: the session (spdy_session.c)
 * does that.
 *
 * Control frame: C=1, version 3 (15 bits), type (16), flags (8), length (24), data.
 * Data frame:    C=0, stream id (31), flags (8), length (24), data.
 * Every length is checked against the data it must hold; unknown control frame types
 * are returned (so the session can ignore them, as SPDY requires) with their payload
 * skipped. Anything malformed is CRIC_E_INVALID naming the frame and what is wrong. */
#ifndef CRIC_STREAMING_SPDY_H
#define CRIC_STREAMING_SPDY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

#define SPDY_VERSION 3

#define SPDY_SYN_STREAM    1
#define SPDY_SYN_REPLY     2
#define SPDY_RST_STREAM    3
#define SPDY_SETTINGS      4
#define SPDY_PING          6
#define SPDY_GOAWAY        7
#define SPDY_HEADERS       8
#define SPDY_WINDOW_UPDATE 9

#define SPDY_FLAG_FIN            0x01
#define SPDY_FLAG_UNIDIRECTIONAL 0x02
#define SPDY_FLAG_CLEAR_SETTINGS 0x01 /* SETTINGS only */

/* RST_STREAM status codes */
#define SPDY_PROTOCOL_ERROR        1
#define SPDY_INVALID_STREAM        2
#define SPDY_REFUSED_STREAM        3
#define SPDY_CANCEL                5
#define SPDY_INTERNAL_ERROR        6
#define SPDY_FLOW_CONTROL_ERROR    7
#define SPDY_STREAM_IN_USE         8
#define SPDY_STREAM_ALREADY_CLOSED 9
#define SPDY_FRAME_TOO_LARGE       11

/* GOAWAY status codes */
#define SPDY_GOAWAY_OK             0
#define SPDY_GOAWAY_PROTOCOL_ERROR 1
#define SPDY_GOAWAY_INTERNAL_ERROR 2

/* SETTINGS ids */
#define SPDY_SETTINGS_MAX_CONCURRENT_STREAMS 4
#define SPDY_SETTINGS_INITIAL_WINDOW_SIZE    7

#define SPDY_HEAD_LEN       8
#define SPDY_DEFAULT_WINDOW 65536
#define SPDY_MAX_WINDOW     0x7fffffff
/* Largest frame payload the parser accepts (the 24-bit length allows 16 MiB). */
#define SPDY_FRAME_MAX (1024 * 1024)
/* Largest decompressed header block, and most name/value pairs in one. */
#define SPDY_HEADERS_MAX      (64 * 1024)
#define SPDY_HEADER_PAIRS_MAX 100

struct spdy_setting {
        uint8_t flags;
        uint32_t id;
        uint32_t value;
};

/* One parsed frame. Pointers point into the caller's buffer. */
struct spdy_frame {
        bool is_control;
        uint16_t type; /* control frames */
        uint8_t flags;
        uint32_t length;       /* payload length */
        uint32_t stream_id;    /* data, SYN_STREAM, SYN_REPLY, RST_STREAM, HEADERS, WINDOW_UPDATE */
        uint32_t assoc_id;     /* SYN_STREAM */
        uint8_t priority;      /* SYN_STREAM, 0-7 */
        uint32_t status;       /* RST_STREAM, GOAWAY */
        uint32_t last_good_id; /* GOAWAY */
        uint32_t ping_id;      /* PING */
        uint32_t delta;        /* WINDOW_UPDATE */
        const uint8_t *data;   /* data frame payload, or compressed header block */
        size_t data_len;
        struct spdy_setting *settings; /* SETTINGS: the caller frees with free() */
        size_t n_settings;
};

/* Parses the frame at buf[0..len). Returns the frame's total length (> 0) when it is all
 * there, 0 when more bytes are needed, -1 with *err set when the frame is invalid (a
 * wrong version, a length that does not fit the type, a zero stream id where one is
 * required, a payload over SPDY_FRAME_MAX, a zero WINDOW_UPDATE delta ...). */
ssize_t spdy_parse_frame(const uint8_t *buf, size_t len, struct spdy_frame *ret, struct cric_error **err);

/* Writers: each appends one whole frame to *buf (growing it with xgrow; *len and *cap as
 * for xgrow). Header blocks are compressed with z, the sender's zlib stream. */
struct spdy_buf {
        uint8_t *data;
        size_t len;
        size_t cap;
};
void spdy_buf_clear(struct spdy_buf *b);

struct spdy_zlib; /* one per direction per connection */
struct spdy_zlib *spdy_zlib_new_deflate(void);
struct spdy_zlib *spdy_zlib_new_inflate(void);
void spdy_zlib_free(struct spdy_zlib *z);
void spdy_zlib_freep(struct spdy_zlib **z);

struct spdy_header {
        char *name;  /* lowercase */
        char *value; /* several values are NUL-separated; value_len counts them all */
        size_t value_len;
};
void spdy_headers_free(struct spdy_header *h, size_t n);
/* The first value of header name, or NULL. */
const char *spdy_header_get(const struct spdy_header *h, size_t n, const char *name);

/* Decompresses and parses a header block with the receiver's stream. The zlib stream is
 * shared by every block of the connection, in order, so a block that fails leaves the
 * connection unusable (the session then sends GOAWAY). Rejects: more than
 * SPDY_HEADERS_MAX bytes decompressed, more than SPDY_HEADER_PAIRS_MAX pairs, empty or
 * non-lowercase names, duplicate names, lengths past the end, bytes left over. */
int spdy_headers_decode(struct spdy_zlib *z, const uint8_t *block, size_t len, struct spdy_header **ret, size_t *ret_n,
                        struct cric_error **err);

/* Compresses h[0..n) as one header block with z and appends it to *b (no frame head):
 * what the writers below put after their fixed fields, for headers that hold several
 * values or came from spdy_headers_decode. Names are written lowercased. */
void spdy_headers_encode(struct spdy_zlib *z, const struct spdy_header *h, size_t n, struct spdy_buf *b);

/* names_values: NULL-terminated list of name, value, name, value, ... (single values). */
void spdy_write_syn_stream(struct spdy_buf *b, struct spdy_zlib *z, uint32_t stream_id, uint8_t flags,
                           const char *const *names_values);
void spdy_write_syn_reply(struct spdy_buf *b, struct spdy_zlib *z, uint32_t stream_id, uint8_t flags,
                          const char *const *names_values);
void spdy_write_headers(struct spdy_buf *b, struct spdy_zlib *z, uint32_t stream_id, uint8_t flags,
                        const char *const *names_values);
void spdy_write_rst_stream(struct spdy_buf *b, uint32_t stream_id, uint32_t status);
void spdy_write_settings(struct spdy_buf *b, const struct spdy_setting *s, size_t n);
void spdy_write_ping(struct spdy_buf *b, uint32_t id);
void spdy_write_goaway(struct spdy_buf *b, uint32_t last_good_id, uint32_t status);
void spdy_write_window_update(struct spdy_buf *b, uint32_t stream_id, uint32_t delta);
/* A data frame head only (the caller sends len bytes of payload after it). */
void spdy_write_data_head(uint8_t out[SPDY_HEAD_LEN], uint32_t stream_id, uint8_t flags, uint32_t len);

#endif
