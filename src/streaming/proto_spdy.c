/* SPDY/3.1 sessions as Kubernetes uses them: the client opens every stream (SYN_STREAM
 * with a "streamtype" header), the server answers each with SYN_REPLY, data flows both
 * ways in DATA frames, and a stream ends with a FIN flag from each side. The server
 * answers PING and stops at GOAWAY.
 *
 * Flow control of what the client sends: the first words of the session raise the
 * client's windows, of every stream (SETTINGS_INITIAL_WINDOW_SIZE) and of the session
 * (WINDOW_UPDATE of stream 0), from SPDY/3.1's 64 KiB to RECV_WINDOW; a window is then
 * given back once half of it is taken. A port-forward upload of 1 GiB costs a client
 * that keeps to its windows a few hundred WINDOW_UPDATE frames to read, not one per
 * 32 KiB DATA frame. The window is no buffer: what the session holds stays bounded by
 * its high-water mark, past which it stops reading the client's socket (TCP pushes
 * back). kubectl's spdystream neither keeps to windows nor minds these frames. */
#include <stdlib.h>
#include <string.h>

#include "streaming/internal.h"
#include "util/log.h"
#include "util/xalloc.h"

#define MAX_STREAMS 256
#define RECV_WINDOW (16u << 20)
#define ACK_AT      (RECV_WINDOW / 2)

struct spdy_stream {
        uint32_t id;
        uint32_t unacked; /* bytes taken since its last WINDOW_UPDATE */
        bool is_remote_fin, is_local_fin, is_reset;
};

struct spdy_state {
        struct spdy_zlib *inflate, *deflate;
        struct spdy_stream streams[MAX_STREAMS];
        size_t n_streams;
        uint32_t last_id;         /* the highest stream id the client opened */
        uint32_t session_unacked; /* bytes of every stream taken since the last session WINDOW_UPDATE */
        bool greeted, goaway_sent;
        struct spdy_buf wbuf;
};

static struct spdy_state *st(struct sess *s) {
        return s->proto_data;
}

void proto_spdy_init(struct sess *s) {
        struct spdy_state *p = xzalloc(sizeof(*p));
        p->inflate = spdy_zlib_new_inflate();
        p->deflate = spdy_zlib_new_deflate();
        s->proto_data = p;
}

static void spdy_free(struct sess *s) {
        struct spdy_state *p = st(s);
        if (!p)
                return;
        spdy_zlib_free(p->inflate);
        spdy_zlib_free(p->deflate);
        spdy_buf_clear(&p->wbuf);
        free(p);
        s->proto_data = NULL;
}

static struct spdy_stream *find(struct spdy_state *p, uint32_t id) {
        for (size_t i = 0; i < p->n_streams; i++)
                if (p->streams[i].id == id)
                        return &p->streams[i];
        return NULL;
}

/* Drops streams both sides have ended. */
static void forget_ended(struct spdy_state *p) {
        for (size_t i = 0; i < p->n_streams;) {
                struct spdy_stream *t = &p->streams[i];
                if (t->is_reset || (t->is_remote_fin && t->is_local_fin))
                        *t = p->streams[--p->n_streams];
                else
                        i++;
        }
}

/* Moves what the writers put in wbuf to the session's output. */
static void emit(struct sess *s) {
        struct spdy_state *p = st(s);
        bytes_append(&s->out, p->wbuf.data, p->wbuf.len);
        p->wbuf.len = 0;
}

static void spdy_send(struct sess *s, uint32_t ch, const uint8_t *buf, size_t len) {
        struct spdy_stream *t = find(st(s), ch);
        if (!t || t->is_local_fin || t->is_reset || st(s)->goaway_sent)
                return;
        size_t off = 0;
        do { /* an empty message is one empty frame */
                size_t n = len - off > SESS_READ_CHUNK ? SESS_READ_CHUNK : len - off;
                uint8_t head[SPDY_HEAD_LEN];
                spdy_write_data_head(head, ch, 0, (uint32_t) n);
                bytes_append(&s->out, head, sizeof(head));
                if (n)
                        bytes_append(&s->out, buf + off, n);
                off += n;
        } while (off < len);
}

static void spdy_close(struct sess *s, uint32_t ch) {
        struct spdy_state *p = st(s);
        struct spdy_stream *t = find(p, ch);
        if (!t || t->is_local_fin || t->is_reset || p->goaway_sent)
                return;
        uint8_t head[SPDY_HEAD_LEN];
        spdy_write_data_head(head, ch, SPDY_FLAG_FIN, 0);
        bytes_append(&s->out, head, sizeof(head));
        t->is_local_fin = true;
        forget_ended(p);
}

/* moby/spdystream, the peer of every Kubernetes client, neither sends WINDOW_UPDATE nor
 * waits for it: holding our output to its window would stall every stream after 64 KiB.
 * Memory stays bounded by the session's high-water mark instead. */
static size_t spdy_window(struct sess *s, uint32_t ch) {
        (void) s;
        (void) ch;
        return SIZE_MAX;
}

static void spdy_finish(struct sess *s) {
        struct spdy_state *p = st(s);
        if (p->goaway_sent)
                return;
        spdy_write_goaway(&p->wbuf, p->last_id, SPDY_GOAWAY_OK);
        emit(s);
        p->goaway_sent = true;
}

static void reset(struct sess *s, uint32_t id, uint32_t status) {
        struct spdy_state *p = st(s);
        spdy_write_rst_stream(&p->wbuf, id, status);
        emit(s);
        struct spdy_stream *t = find(p, id);
        if (t)
                t->is_reset = true;
        forget_ended(p);
}

/* The session's first words, before the reply to the client's first stream: the
 * windows raised to RECV_WINDOW. */
static void greet(struct sess *s) {
        struct spdy_state *p = st(s);
        if (p->greeted || p->goaway_sent)
                return;
        p->greeted = true;
        struct spdy_setting w = {.id = SPDY_SETTINGS_INITIAL_WINDOW_SIZE, .value = RECV_WINDOW};
        spdy_write_settings(&p->wbuf, &w, 1);
        spdy_write_window_update(&p->wbuf, 0, RECV_WINDOW - SPDY_DEFAULT_WINDOW);
        emit(s);
}

static int syn_stream(struct sess *s, const struct spdy_frame *f, struct cric_error **err) {
        struct spdy_state *p = st(s);
        struct spdy_header *h = NULL;
        size_t n = 0;
        if (spdy_headers_decode(p->inflate, f->data, f->data_len, &h, &n, err) < 0)
                return -1; /* the shared zlib stream is broken: the connection is over */
        int r = 0;
        if (f->stream_id % 2 == 0 || f->stream_id <= p->last_id) {
                r = cric_error_set(err, CRIC_E_INVALID, "spdy: client opened stream %u out of order (last %u)",
                                   f->stream_id, p->last_id);
        } else if (p->n_streams == MAX_STREAMS || s->is_finishing) {
                p->last_id = f->stream_id;
                reset(s, f->stream_id, SPDY_REFUSED_STREAM);
        } else {
                p->last_id = f->stream_id;
                struct spdy_stream *t = &p->streams[p->n_streams++];
                *t = (struct spdy_stream){.id = f->stream_id, .is_remote_fin = f->flags & SPDY_FLAG_FIN};
                greet(s);
                /* The reply goes first: spdystream drops what comes on a stream before it. */
                static const char *const none[] = {NULL};
                spdy_write_syn_reply(&p->wbuf, p->deflate, f->stream_id, 0, none);
                emit(s);
                if (s->app->on_stream(s, f->stream_id, h, n) < 0)
                        reset(s, f->stream_id, SPDY_REFUSED_STREAM);
                else if (f->flags & SPDY_FLAG_FIN)
                        sess_deliver_eof(s, f->stream_id);
        }
        spdy_headers_free(h, n);
        return r;
}

/* Gives back the windows half taken, once the frames of one read are delivered. */
static void ack_all(struct sess *s) {
        struct spdy_state *p = st(s);
        if (p->goaway_sent)
                return;
        for (size_t i = 0; i < p->n_streams; i++) {
                struct spdy_stream *t = &p->streams[i];
                if (t->unacked >= ACK_AT && !t->is_reset && !t->is_remote_fin) {
                        spdy_write_window_update(&p->wbuf, t->id, t->unacked);
                        t->unacked = 0;
                }
        }
        if (p->session_unacked >= ACK_AT) {
                spdy_write_window_update(&p->wbuf, 0, p->session_unacked);
                p->session_unacked = 0;
        }
        if (p->wbuf.len)
                emit(s);
}

static void data_frame(struct sess *s, const struct spdy_frame *f) {
        struct spdy_state *p = st(s);
        struct spdy_stream *t = find(p, f->stream_id);
        if (!t || t->is_remote_fin) {
                if (!t && f->stream_id > p->last_id)
                        reset(s, f->stream_id, SPDY_INVALID_STREAM);
                return; /* late data of a stream we reset or forgot: dropped */
        }
        if (f->data_len) {
                sess_deliver_held(s, f->stream_id, f->data, f->data_len);
                /* given back at half the window: the sums stay far below 2^31 */
                t->unacked += (uint32_t) f->data_len;
                p->session_unacked += (uint32_t) f->data_len;
        }
        if (f->flags & SPDY_FLAG_FIN) { /* its window is of no more use: no update */
                t->is_remote_fin = true;
                sess_deliver_eof(s, f->stream_id);
                forget_ended(p);
        }
}

static int control_frame(struct sess *s, const struct spdy_frame *f, struct cric_error **err) {
        struct spdy_state *p = st(s);
        struct spdy_stream *t;
        switch (f->type) {
        case SPDY_SYN_STREAM: return syn_stream(s, f, err);
        case SPDY_RST_STREAM:
                if ((t = find(p, f->stream_id)) && !t->is_reset) {
                        t->is_reset = true;
                        if (!t->is_remote_fin)
                                sess_deliver_eof(s, f->stream_id);
                        forget_ended(p);
                }
                return 0;
        case SPDY_PING:
                if (f->ping_id % 2 == 1 && !p->goaway_sent) { /* the client's: echo it */
                        spdy_write_ping(&p->wbuf, f->ping_id);
                        emit(s);
                }
                return 0;
        case SPDY_GOAWAY: return cric_error_set(err, CRIC_E_CANCELLED, "spdy: the client sent GOAWAY");
        case SPDY_HEADERS: { /* kept in sync with the shared zlib stream, otherwise unused */
                struct spdy_header *h = NULL;
                size_t n = 0;
                if (spdy_headers_decode(p->inflate, f->data, f->data_len, &h, &n, err) < 0)
                        return -1;
                spdy_headers_free(h, n);
                return 0;
        }
        case SPDY_SYN_REPLY:
                return cric_error_set(err, CRIC_E_INVALID,
                                      "spdy: SYN_REPLY from the client (it opens no stream of ours)");
        default: /* SETTINGS, WINDOW_UPDATE and unknown types */ return 0;
        }
}

static int spdy_feed(struct sess *s, struct cric_error **err) {
        struct spdy_state *p = st(s);
        for (;;) {
                struct spdy_frame f = {0};
                ssize_t n = spdy_parse_frame(s->in.data + s->in.off, bytes_avail(&s->in), &f, err);
                if (n == 0) {
                        ack_all(s);
                        return 0;
                }
                int r = -1;
                if (n > 0)
                        r = f.is_control ? control_frame(s, &f, err) : (data_frame(s, &f), 0);
                free(f.settings);
                if (r < 0) {
                        if (!p->goaway_sent && !(*err && (*err)->kind == CRIC_E_CANCELLED)) {
                                spdy_write_goaway(&p->wbuf, p->last_id, SPDY_GOAWAY_PROTOCOL_ERROR);
                                emit(s);
                                p->goaway_sent = true;
                        }
                        return -1;
                }
                bytes_consume(&s->in, (size_t) n);
        }
}

const struct sess_proto proto_spdy = {
        .feed = spdy_feed,
        .send = spdy_send,
        .close = spdy_close,
        .window = spdy_window,
        .finish = spdy_finish,
        .free = spdy_free,
};
