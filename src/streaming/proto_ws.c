/* WebSocket as the channel protocols use it: every message starts with its channel
 * number (binary), or with the channel as an ASCII digit followed by base64 data (the
 * base64 variants, text frames). v5.channel.k8s.io adds channel 255: a message
 * [255, ch] ends channel ch's input. Payloads are handed on as they arrive, so a big
 * message never sits whole in memory (base64 messages excepted: they are decoded whole,
 * and capped). */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "streaming/internal.h"
#include "streaming/ws.h"
#include "util/base64.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define WS_CLOSE_CHANNEL   255
#define BASE64_MESSAGE_MAX (4 * 1024 * 1024)

struct ws_state {
        bool in_frame;
        struct ws_frame_head h;
        uint64_t got;     /* payload bytes of the current frame handled */
        bool in_message;  /* a data message has begun (fragments follow) */
        bool has_channel; /* its first byte was seen */
        uint32_t channel;
        uint8_t ctrl[125]; /* a control frame's payload */
        struct bytes text; /* a base64 message, or a v5 close message */
        bool close_sent;
        bool is_raw;      /* a tunnel: payloads are one byte stream, no channels */
        struct bytes raw; /* what came in a tunnel, for proto_tunnel */
};

static struct ws_state *st(struct sess *s) {
        return s->proto_data;
}

void proto_ws_init(struct sess *s) {
        s->proto_data = xzalloc(sizeof(struct ws_state));
}

void proto_ws_init_raw(struct sess *s) {
        proto_ws_init(s);
        st(s)->is_raw = true;
}

struct bytes *proto_ws_raw(struct sess *s) {
        return &st(s)->raw;
}

static void ws_free(struct sess *s) {
        struct ws_state *w = st(s);
        if (!w)
                return;
        bytes_clear(&w->text);
        bytes_clear(&w->raw);
        free(w);
        s->proto_data = NULL;
}

static void write_frame(struct sess *s, uint8_t opcode, const uint8_t *prefix, size_t prefix_len, const uint8_t *data,
                        size_t len) {
        uint8_t head[WS_HEAD_MAX];
        size_t n = ws_format_head(head, true, opcode, prefix_len + len, NULL);
        bytes_append(&s->out, head, n);
        if (prefix_len)
                bytes_append(&s->out, prefix, prefix_len);
        if (len)
                bytes_append(&s->out, data, len);
}

static void ws_send(struct sess *s, uint32_t ch, const uint8_t *buf, size_t len) {
        if (st(s)->close_sent)
                return;
        if (st(s)->is_raw) {
                write_frame(s, WS_OP_BINARY, NULL, 0, buf, len);
                return;
        }
        if (!s->is_base64) {
                uint8_t c = (uint8_t) ch;
                write_frame(s, WS_OP_BINARY, &c, 1, buf, len);
                return;
        }
        uint8_t c = (uint8_t) ('0' + ch);
        AUTOFREE uint8_t *enc = xmalloc(4 * ((len + 2) / 3) + 1);
        int n = EVP_EncodeBlock(enc, buf, (int) len);
        write_frame(s, WS_OP_TEXT, &c, 1, enc, (size_t) n);
}

/* A server never ends single channels: v5's channel 255 is the client's, for its stdin.
 * The connection's close ends them all. */
static void ws_close(struct sess *s, uint32_t ch) {
        (void) s;
        (void) ch;
}

static size_t ws_window(struct sess *s, uint32_t ch) {
        (void) s;
        (void) ch;
        return SIZE_MAX;
}

static void send_close(struct sess *s, uint16_t code, const char *reason) {
        struct ws_state *w = st(s);
        if (w->close_sent)
                return;
        uint8_t payload[125];
        size_t n = ws_format_close(payload, code, reason);
        write_frame(s, WS_OP_CLOSE, NULL, 0, payload, n);
        w->close_sent = true;
}

static void ws_finish(struct sess *s) {
        send_close(s, WS_CLOSE_NORMAL, "");
}

void proto_ws_close(struct sess *s) {
        ws_finish(s);
}

/* The end of a data message: base64 messages and channel-close messages are whole now. */
static int end_message(struct sess *s, struct cric_error **err) {
        struct ws_state *w = st(s);
        w->in_message = false;
        if (s->is_base64 && bytes_avail(&w->text) > 0) {
                const char *t = (const char *) w->text.data + w->text.off;
                size_t n = bytes_avail(&w->text);
                if (t[0] < '0' || t[0] > '9')
                        return cric_error_set(err, CRIC_E_INVALID, "websocket: base64 message without a channel digit");
                AUTOFREE char *dec = NULL;
                size_t dec_len = 0;
                if (base64_decode(t + 1, n - 1, &dec, &dec_len, err) < 0)
                        return cric_error_prefix(err, "websocket: channel %c", t[0]);
                w->channel = (uint32_t) (t[0] - '0');
                bytes_clear(&w->text);
                sess_deliver(s, w->channel, (const uint8_t *) dec, dec_len);
                return 0;
        }
        if (w->has_channel && w->channel == WS_CLOSE_CHANNEL) {
                if (bytes_avail(&w->text) > 0 && s->version >= 5)
                        sess_deliver_eof(s, w->text.data[w->text.off]);
                bytes_clear(&w->text);
        }
        return 0;
}

/* A piece of a data message's payload (already unmasked). */
static int message_data(struct sess *s, const uint8_t *p, size_t n, struct cric_error **err) {
        struct ws_state *w = st(s);
        if (n == 0)
                return 0;
        if (w->is_raw) {
                bytes_append(&w->raw, p, n);
                return 0;
        }
        if (s->is_base64) {
                if (bytes_avail(&w->text) + n > BASE64_MESSAGE_MAX)
                        return cric_error_set(err, CRIC_E_INVALID, "websocket: base64 message over %d bytes",
                                              BASE64_MESSAGE_MAX);
                bytes_append(&w->text, p, n);
                return 0;
        }
        if (!w->has_channel) {
                w->has_channel = true;
                w->channel = p[0];
                p++;
                n--;
        }
        if (w->channel == WS_CLOSE_CHANNEL) {
                if (bytes_avail(&w->text) < 8)
                        bytes_append(&w->text, p, n < 8 ? n : 8);
                return 0;
        }
        if (n)
                sess_deliver(s, w->channel, p, n);
        return 0;
}

static int control_frame(struct sess *s, const uint8_t *p, size_t n, struct cric_error **err) {
        struct ws_state *w = st(s);
        switch (st(s)->h.opcode) {
        case WS_OP_PING:
                if (!w->close_sent)
                        write_frame(s, WS_OP_PONG, NULL, 0, p, n);
                return 0;
        case WS_OP_PONG: return 0;
        default: { /* close */
                uint16_t code = 0;
                if (ws_parse_close(p, n, &code, err) < 0) {
                        send_close(s, WS_CLOSE_PROTOCOL, "bad close frame");
                        return -1;
                }
                send_close(s, code == 1005 ? WS_CLOSE_NORMAL : code, "");
                if (s->is_finishing)
                        s->is_done = true;
                return cric_error_set(err, CRIC_E_CANCELLED, "websocket: the client closed the connection (code %u)",
                                      code);
        }
        }
}

/* Starts a frame whose head is parsed; checks it fits the message sequence. */
static int begin_frame(struct sess *s, struct cric_error **err) {
        struct ws_state *w = st(s);
        uint8_t op = w->h.opcode;
        if (op >= WS_OP_CLOSE)
                return 0;
        if (op == WS_OP_CONT && !w->in_message)
                return cric_error_set(err, CRIC_E_INVALID, "websocket: continuation frame outside a message");
        if (op != WS_OP_CONT && w->in_message)
                return cric_error_set(err, CRIC_E_INVALID, "websocket: new message before the last one ended");
        if (op != WS_OP_CONT) {
                w->in_message = true;
                w->has_channel = false;
                bytes_clear(&w->text);
        }
        return 0;
}

static int feed_one(struct sess *s, bool *more, struct cric_error **err) {
        struct ws_state *w = st(s);
        *more = false;
        if (!w->in_frame) {
                int r = ws_parse_head(s->in.data + s->in.off, bytes_avail(&s->in), true, &w->h, err);
                if (r <= 0)
                        return r;
                bytes_consume(&s->in, w->h.head_len);
                w->in_frame = true;
                w->got = 0;
                if (begin_frame(s, err) < 0)
                        return -1;
        }
        uint64_t remaining = w->h.payload_len - w->got;
        size_t avail = bytes_avail(&s->in);
        uint8_t *p = s->in.data + s->in.off;
        if (w->h.opcode >= WS_OP_CLOSE) {
                if (avail < remaining)
                        return 0;
                if (remaining)
                        memcpy(w->ctrl, p, remaining);
                ws_mask(w->ctrl, remaining, w->h.mask, 0);
                bytes_consume(&s->in, remaining);
                w->in_frame = false;
                *more = true;
                return control_frame(s, w->ctrl, remaining, err);
        }
        size_t take = avail < remaining ? avail : (size_t) remaining;
        ws_mask(p, take, w->h.mask, w->got);
        w->got += take;
        int r = message_data(s, p, take, err);
        bytes_consume(&s->in, take);
        if (r < 0)
                return -1;
        if (w->got < w->h.payload_len)
                return 0;
        w->in_frame = false;
        *more = true;
        return w->h.fin ? end_message(s, err) : 0;
}

static int ws_feed(struct sess *s, struct cric_error **err) {
        bool more = true;
        while (more) {
                if (feed_one(s, &more, err) < 0) {
                        if (!(*err && (*err)->kind == CRIC_E_CANCELLED))
                                send_close(s, WS_CLOSE_PROTOCOL, "protocol error");
                        return -1;
                }
        }
        return 0;
}

const struct sess_proto proto_ws = {
        .feed = ws_feed,
        .send = ws_send,
        .close = ws_close,
        .window = ws_window,
        .finish = ws_finish,
        .free = ws_free,
};
