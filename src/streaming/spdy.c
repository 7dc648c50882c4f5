/* SPDY/3.1 frames: the parser and the writers of spdy.h (header blocks are spdy_zlib.c's).
 *
 * The parser checks all it can as soon as the 8-byte head is in (version, the size limit,
 * the length the type needs, the flags), so a bad or oversized frame is refused before
 * the caller buffers its payload; the fields inside the payload are checked once it is
 * all there. Flags a type does not define are refused: spdystream never sets them, and a
 * peer that does speaks some other protocol. Reserved bits (the top bit of stream ids and
 * of the window delta) are ignored, as the spec says. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "streaming/spdy_internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* The 8 bytes every frame starts with. */
struct head {
        bool is_control;
        uint16_t version;
        uint16_t type;
        uint32_t stream_id; /* data frames */
        uint8_t flags;
        uint32_t length;
};

static const char *frame_name(const struct head *h) {
        if (!h->is_control)
                return "data";
        switch (h->type) {
        case SPDY_SYN_STREAM: return "SYN_STREAM";
        case SPDY_SYN_REPLY: return "SYN_REPLY";
        case SPDY_RST_STREAM: return "RST_STREAM";
        case SPDY_SETTINGS: return "SETTINGS";
        case SPDY_PING: return "PING";
        case SPDY_GOAWAY: return "GOAWAY";
        case SPDY_HEADERS: return "HEADERS";
        case SPDY_WINDOW_UPDATE: return "WINDOW_UPDATE";
        default: return "control";
        }
}

static int invalid(struct cric_error **err, const struct head *h, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int invalid(struct cric_error **err, const struct head *h, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        AUTOFREE char *why = xvasprintf(fmt, ap);
        va_end(ap);
        return cric_error_set(err, CRIC_E_INVALID, "invalid SPDY %s frame: %s", frame_name(h), why);
}

static void read_head(const uint8_t *buf, struct head *h) {
        uint32_t w0 = spdy_get32(buf), w1 = spdy_get32(buf + 4);
        h->is_control = (w0 & SPDY_CONTROL_BIT) != 0;
        h->version = (uint16_t) ((w0 >> 16) & 0x7fff);
        h->type = (uint16_t) w0;
        h->stream_id = w0 & SPDY_ID_MASK;
        h->flags = (uint8_t) (w1 >> 24);
        h->length = w1 & SPDY_LENGTH_MAX;
}

/* The flags each type defines; an unknown control type keeps whatever it carries. */
static uint8_t defined_flags(const struct head *h) {
        if (!h->is_control)
                return SPDY_FLAG_FIN;
        switch (h->type) {
        case SPDY_SYN_STREAM: return SPDY_FLAG_FIN | SPDY_FLAG_UNIDIRECTIONAL;
        case SPDY_SYN_REPLY:
        case SPDY_HEADERS: return SPDY_FLAG_FIN;
        case SPDY_SETTINGS: return SPDY_FLAG_CLEAR_SETTINGS;
        case SPDY_RST_STREAM:
        case SPDY_PING:
        case SPDY_GOAWAY:
        case SPDY_WINDOW_UPDATE: return 0;
        default: return 0xff;
        }
}

/* The payload length of the frames whose payload is fixed, 0 for the others. */
static uint32_t fixed_length(uint16_t type) {
        switch (type) {
        case SPDY_RST_STREAM:
        case SPDY_GOAWAY:
        case SPDY_WINDOW_UPDATE: return 8;
        case SPDY_PING: return 4;
        default: return 0;
        }
}

/* Frames that carry a header block need at least one byte of it: even a block of no
 * pairs is a 4-byte count, and an empty zlib block does not exist. */
static int check_length(const struct head *h, struct cric_error **err) {
        uint32_t fixed = fixed_length(h->type), header_min = 0;
        if (fixed && h->length != fixed)
                return invalid(err, h, "length %u, expected %u", h->length, fixed);
        if (h->type == SPDY_SETTINGS && (h->length < 4 || (h->length - 4) % 8 != 0))
                return invalid(err, h, "length %u is not 4 + 8 bytes per setting", h->length);
        if (h->type == SPDY_SYN_STREAM)
                header_min = 10 + 1;
        else if (h->type == SPDY_SYN_REPLY || h->type == SPDY_HEADERS)
                header_min = 4 + 1;
        if (h->length < header_min)
                return invalid(err, h, "length %u leaves no room for the header block", h->length);
        return 0;
}

static int check_head(const struct head *h, struct cric_error **err) {
        if (h->is_control && h->version != SPDY_VERSION)
                return invalid(err, h, "version %u, expected %d", h->version, SPDY_VERSION);
        if (h->length > SPDY_FRAME_MAX)
                return invalid(err, h, "payload of %u bytes is over the limit of %d", h->length, SPDY_FRAME_MAX);
        if (h->flags & ~defined_flags(h))
                return invalid(err, h, "undefined flags 0x%02x", h->flags);
        if (!h->is_control && h->stream_id == 0)
                return invalid(err, h, "stream id 0");
        return h->is_control ? check_length(h, err) : 0;
}

static int need_stream_id(const struct head *h, const struct spdy_frame *f, struct cric_error **err) {
        return f->stream_id ? 0 : invalid(err, h, "stream id 0");
}

/* SYN_STREAM, SYN_REPLY and HEADERS: their fixed fields, then the compressed block. */
static int parse_stream_open(const struct head *h, const uint8_t *p, struct spdy_frame *f, struct cric_error **err) {
        size_t fixed = 4;
        f->stream_id = spdy_get32(p) & SPDY_ID_MASK;
        if (h->type == SPDY_SYN_STREAM) {
                f->assoc_id = spdy_get32(p + 4) & SPDY_ID_MASK;
                f->priority = p[8] >> 5;
                fixed = 10; /* p[9] is the credential slot, unused since SPDY/3.1 */
        }
        f->data = p + fixed;
        f->data_len = h->length - fixed;
        return need_stream_id(h, f, err);
}

static int parse_settings(const struct head *h, const uint8_t *p, struct spdy_frame *f, struct cric_error **err) {
        uint32_t n = spdy_get32(p);
        if (n != (h->length - 4) / 8)
                return invalid(err, h, "count %u does not match length %u", n, h->length);
        if (n == 0)
                return 0;
        f->settings = xcalloc(n, sizeof(*f->settings));
        for (uint32_t i = 0; i < n; i++) {
                const uint8_t *e = p + 4 + 8 * (size_t) i;
                f->settings[i].flags = e[0];
                f->settings[i].id = spdy_get32(e) & SPDY_LENGTH_MAX;
                f->settings[i].value = spdy_get32(e + 4);
        }
        f->n_settings = n;
        return 0;
}

static int parse_control(const struct head *h, const uint8_t *p, struct spdy_frame *f, struct cric_error **err) {
        switch (h->type) {
        case SPDY_SYN_STREAM:
        case SPDY_SYN_REPLY:
        case SPDY_HEADERS: return parse_stream_open(h, p, f, err);
        case SPDY_RST_STREAM:
                f->stream_id = spdy_get32(p) & SPDY_ID_MASK;
                f->status = spdy_get32(p + 4);
                if (need_stream_id(h, f, err) < 0)
                        return -1;
                return f->status ? 0 : invalid(err, h, "status 0");
        case SPDY_SETTINGS: return parse_settings(h, p, f, err);
        case SPDY_PING: f->ping_id = spdy_get32(p); return 0;
        case SPDY_GOAWAY:
                f->last_good_id = spdy_get32(p) & SPDY_ID_MASK;
                f->status = spdy_get32(p + 4);
                return 0;
        case SPDY_WINDOW_UPDATE: /* stream 0 is the session's window (SPDY/3.1) */
                f->stream_id = spdy_get32(p) & SPDY_ID_MASK;
                f->delta = spdy_get32(p + 4) & SPDY_ID_MASK;
                return f->delta ? 0 : invalid(err, h, "delta 0");
        default: /* unknown: handed back whole so the session can skip it */
                f->data = p;
                f->data_len = h->length;
                return 0;
        }
}

ssize_t spdy_parse_frame(const uint8_t *buf, size_t len, struct spdy_frame *ret, struct cric_error **err) {
        if (len < SPDY_HEAD_LEN)
                return 0;
        struct head h;
        read_head(buf, &h);
        if (check_head(&h, err) < 0)
                return -1;
        if (len - SPDY_HEAD_LEN < h.length)
                return 0;
        struct spdy_frame f = {
                .is_control = h.is_control,
                .type = h.is_control ? h.type : 0,
                .flags = h.flags,
                .length = h.length,
        };
        if (h.is_control) {
                if (parse_control(&h, buf + SPDY_HEAD_LEN, &f, err) < 0)
                        return -1;
        } else {
                f.stream_id = h.stream_id;
                f.data = buf + SPDY_HEAD_LEN;
                f.data_len = h.length;
        }
        *ret = f;
        return (ssize_t) (SPDY_HEAD_LEN + h.length);
}

uint8_t *spdy_buf_append(struct spdy_buf *b, size_t n) {
        b->data = xgrow(b->data, &b->cap, b->len + n, 1);
        uint8_t *p = b->data + b->len;
        b->len += n;
        return p;
}

void spdy_buf_clear(struct spdy_buf *b) {
        free(b->data);
        *b = (struct spdy_buf){0};
}

/* A frame that does not fit the 24-bit length is a bug in the caller, not input. */
static void check_fits(size_t length) {
        if (length > SPDY_LENGTH_MAX) {
                fprintf(stderr, "cric: SPDY frame payload of %zu bytes does not fit 24 bits, aborting\n", length);
                abort();
        }
}

static void put_control_head(uint8_t *p, uint16_t type, uint8_t flags, size_t length) {
        check_fits(length);
        spdy_put32(p, SPDY_CONTROL_BIT | (uint32_t) SPDY_VERSION << 16 | type);
        spdy_put32(p + 4, (uint32_t) flags << 24 | (uint32_t) length);
}

/* SYN_STREAM (associated-to stream 0, priority 0, slot 0), SYN_REPLY and HEADERS. */
static void write_stream_open(struct spdy_buf *b, struct spdy_zlib *z, uint16_t type, uint32_t stream_id, uint8_t flags,
                              const char *const *names_values) {
        size_t start = b->len, fixed = type == SPDY_SYN_STREAM ? 10 : 4;
        uint8_t *p = spdy_buf_append(b, SPDY_HEAD_LEN + fixed);
        memset(p + SPDY_HEAD_LEN, 0, fixed);
        spdy_put32(p + SPDY_HEAD_LEN, stream_id & SPDY_ID_MASK);
        spdy_headers_encode_list(z, names_values, b);
        put_control_head(b->data + start, type, flags, b->len - start - SPDY_HEAD_LEN);
}

void spdy_write_syn_stream(struct spdy_buf *b, struct spdy_zlib *z, uint32_t stream_id, uint8_t flags,
                           const char *const *names_values) {
        write_stream_open(b, z, SPDY_SYN_STREAM, stream_id, flags, names_values);
}

void spdy_write_syn_reply(struct spdy_buf *b, struct spdy_zlib *z, uint32_t stream_id, uint8_t flags,
                          const char *const *names_values) {
        write_stream_open(b, z, SPDY_SYN_REPLY, stream_id, flags, names_values);
}

void spdy_write_headers(struct spdy_buf *b, struct spdy_zlib *z, uint32_t stream_id, uint8_t flags,
                        const char *const *names_values) {
        write_stream_open(b, z, SPDY_HEADERS, stream_id, flags, names_values);
}

/* The control frames whose payload is two 32-bit words. */
static void write_two_words(struct spdy_buf *b, uint16_t type, uint32_t w1, uint32_t w2) {
        uint8_t *p = spdy_buf_append(b, SPDY_HEAD_LEN + 8);
        put_control_head(p, type, 0, 8);
        spdy_put32(p + 8, w1);
        spdy_put32(p + 12, w2);
}

void spdy_write_rst_stream(struct spdy_buf *b, uint32_t stream_id, uint32_t status) {
        write_two_words(b, SPDY_RST_STREAM, stream_id & SPDY_ID_MASK, status);
}

void spdy_write_goaway(struct spdy_buf *b, uint32_t last_good_id, uint32_t status) {
        write_two_words(b, SPDY_GOAWAY, last_good_id & SPDY_ID_MASK, status);
}

void spdy_write_window_update(struct spdy_buf *b, uint32_t stream_id, uint32_t delta) {
        write_two_words(b, SPDY_WINDOW_UPDATE, stream_id & SPDY_ID_MASK, delta & SPDY_ID_MASK);
}

void spdy_write_ping(struct spdy_buf *b, uint32_t id) {
        uint8_t *p = spdy_buf_append(b, SPDY_HEAD_LEN + 4);
        put_control_head(p, SPDY_PING, 0, 4);
        spdy_put32(p + 8, id);
}

void spdy_write_settings(struct spdy_buf *b, const struct spdy_setting *s, size_t n) {
        check_fits(n);
        size_t length = 4 + 8 * n;
        uint8_t *p = spdy_buf_append(b, SPDY_HEAD_LEN + length);
        put_control_head(p, SPDY_SETTINGS, 0, length);
        spdy_put32(p + 8, (uint32_t) n);
        for (size_t i = 0; i < n; i++) {
                uint8_t *e = p + 12 + 8 * i;
                spdy_put32(e, (uint32_t) s[i].flags << 24 | (s[i].id & SPDY_LENGTH_MAX));
                spdy_put32(e + 4, s[i].value);
        }
}

void spdy_write_data_head(uint8_t out[SPDY_HEAD_LEN], uint32_t stream_id, uint8_t flags, uint32_t len) {
        check_fits(len);
        spdy_put32(out, stream_id & SPDY_ID_MASK);
        spdy_put32(out + 4, (uint32_t) flags << 24 | len);
}
