/* SPDY/3.1 inside WebSocket: kubectl's port-forward over WebSocket (subprotocol
 * "SPDY/3.1+portforward.k8s.io"). The payloads of the client's binary messages are one
 * byte stream of SPDY frames; what the SPDY session writes goes out as binary messages.
 * The SPDY session runs on buffers of its own, swapped in around each call into it. */
#include <stdlib.h>

#include "streaming/internal.h"
#include "util/xalloc.h"

struct tunnel {
        void *ws, *spdy;
        struct bytes in, out; /* the SPDY session's */
        int depth;            /* calls into the SPDY session in progress */
};

/* Swaps the session's buffers and protocol state with the SPDY side's. */
static void swap(struct sess *s, struct tunnel *t) {
        struct bytes b = s->in;
        s->in = t->in;
        t->in = b;
        b = s->out;
        s->out = t->out;
        t->out = b;
}

static struct tunnel *enter(struct sess *s) {
        struct tunnel *t = s->proto_data;
        if (t->depth++ == 0) {
                swap(s, t);
                s->proto_data = t->spdy;
                s->proto = &proto_spdy;
        }
        return t;
}

/* Back to the WebSocket side; what SPDY wrote goes out as one binary message. */
static void leave(struct sess *s, struct tunnel *t) {
        if (--t->depth > 0)
                return;
        t->spdy = s->proto_data;
        swap(s, t);
        s->proto_data = t->ws;
        size_t n = bytes_avail(&t->out);
        if (n > 0)
                proto_ws.send(s, 0, t->out.data + t->out.off, n);
        bytes_clear(&t->out);
        s->proto_data = t;
        s->proto = &proto_tunnel;
}

static struct tunnel *current(struct sess *s) {
        return s->proto == &proto_tunnel ? s->proto_data : NULL;
}

void proto_tunnel_init(struct sess *s) {
        struct tunnel *t = xzalloc(sizeof(*t));
        proto_ws_init_raw(s);
        t->ws = s->proto_data;
        proto_spdy_init(s);
        t->spdy = s->proto_data;
        s->proto_data = t;
}

static int tunnel_feed(struct sess *s, struct cric_error **err) {
        struct tunnel *t = s->proto_data;
        s->proto_data = t->ws;
        int r = proto_ws.feed(s, err);
        struct bytes *raw = proto_ws_raw(s);
        if (bytes_avail(raw) > 0)
                bytes_append(&t->in, raw->data + raw->off, bytes_avail(raw));
        bytes_clear(raw);
        s->proto_data = t;
        if (r < 0)
                return -1;
        enter(s);
        r = proto_spdy.feed(s, err);
        leave(s, t);
        return r;
}

static void tunnel_send(struct sess *s, uint32_t ch, const uint8_t *buf, size_t len) {
        struct tunnel *t = current(s);
        if (!t) { /* called from inside the SPDY session */
                proto_spdy.send(s, ch, buf, len);
                return;
        }
        enter(s);
        proto_spdy.send(s, ch, buf, len);
        leave(s, t);
}

static void tunnel_close(struct sess *s, uint32_t ch) {
        struct tunnel *t = current(s);
        if (!t) {
                proto_spdy.close(s, ch);
                return;
        }
        enter(s);
        proto_spdy.close(s, ch);
        leave(s, t);
}

static size_t tunnel_window(struct sess *s, uint32_t ch) {
        (void) s;
        (void) ch;
        return SIZE_MAX;
}

static void tunnel_finish(struct sess *s) {
        struct tunnel *t = current(s);
        if (!t) {
                proto_spdy.finish(s);
                return;
        }
        enter(s);
        proto_spdy.finish(s);
        leave(s, t);
        s->proto_data = t->ws;
        proto_ws_close(s);
        s->proto_data = t;
}

static void tunnel_free(struct sess *s) {
        struct tunnel *t = s->proto_data;
        if (!t)
                return;
        s->proto_data = t->ws;
        proto_ws.free(s);
        s->proto_data = t->spdy;
        proto_spdy.free(s);
        bytes_clear(&t->in);
        bytes_clear(&t->out);
        free(t);
        s->proto_data = NULL;
}

const struct sess_proto proto_tunnel = {
        .feed = tunnel_feed,
        .send = tunnel_send,
        .close = tunnel_close,
        .window = tunnel_window,
        .finish = tunnel_finish,
        .free = tunnel_free,
};
