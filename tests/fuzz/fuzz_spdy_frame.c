/* libFuzzer target for the SPDY frame parser (src/streaming/spdy.c).
 *
 * The input is a byte stream read as a session reads it: frame after frame, header
 * blocks decoded in order on one inflater. Each frame must parse, ask for more bytes, or
 * fail with a CRIC_E_INVALID error. A frame that parses must account for its bytes, is
 * written again with the writers and must parse back to the same fields; its header
 * block, when it decodes, travels on the writer's own zlib stream and must come back as
 * the same pairs. Any mismatch aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "streaming/spdy.h"
#include "streaming/spdy_internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* The streams of one input: the peer's blocks, and our round trip's. */
struct streams {
        struct spdy_zlib *peer;
        struct spdy_zlib *out;
        struct spdy_zlib *back;
};

static void die(const char *what) {
        fprintf(stderr, "fuzz_spdy_frame: %s\n", what);
        abort();
}

static void expect_invalid(struct cric_error *err) {
        if (!err || err->kind != CRIC_E_INVALID || !err->msg || !*err->msg)
                die("failure without a CRIC_E_INVALID error");
        cric_error_free(err);
}

static bool carries_headers(const struct spdy_frame *f) {
        return f->is_control && (f->type == SPDY_SYN_STREAM || f->type == SPDY_SYN_REPLY || f->type == SPDY_HEADERS);
}

static bool is_known(const struct spdy_frame *f) {
        return !f->is_control || (f->type >= SPDY_SYN_STREAM && f->type <= SPDY_WINDOW_UPDATE && f->type != 5);
}

/* Decodes a frame's block; false (and no pairs) when it does not decode. */
static bool decode(struct spdy_zlib *z, const struct spdy_frame *f, struct spdy_header **h, size_t *n) {
        struct cric_error *err = NULL;
        *h = NULL;
        *n = 0;
        if (spdy_headers_decode(z, f->data, f->data_len, h, n, &err) < 0) {
                expect_invalid(err);
                return false;
        }
        if (err)
                die("success with an error set");
        return true;
}

/* name, first value, ..., NULL: what the writers take. */
static const char **names_values(const struct spdy_header *h, size_t n) {
        const char **nv = xcalloc(2 * n + 1, sizeof(*nv));
        for (size_t i = 0; i < n; i++) {
                nv[2 * i] = h[i].name;
                nv[2 * i + 1] = h[i].value;
        }
        return nv;
}

static void rewrite(const struct spdy_frame *f, struct spdy_zlib *out, const char *const *nv, struct spdy_buf *b) {
        if (!f->is_control) {
                spdy_write_data_head(spdy_buf_append(b, SPDY_HEAD_LEN), f->stream_id, f->flags, (uint32_t) f->data_len);
                if (f->data_len)
                        memcpy(spdy_buf_append(b, f->data_len), f->data, f->data_len);
                return;
        }
        switch (f->type) {
        case SPDY_SYN_STREAM: spdy_write_syn_stream(b, out, f->stream_id, f->flags, nv); break;
        case SPDY_SYN_REPLY: spdy_write_syn_reply(b, out, f->stream_id, f->flags, nv); break;
        case SPDY_HEADERS: spdy_write_headers(b, out, f->stream_id, f->flags, nv); break;
        case SPDY_RST_STREAM: spdy_write_rst_stream(b, f->stream_id, f->status); break;
        case SPDY_SETTINGS: spdy_write_settings(b, f->settings, f->n_settings); break;
        case SPDY_PING: spdy_write_ping(b, f->ping_id); break;
        case SPDY_GOAWAY: spdy_write_goaway(b, f->last_good_id, f->status); break;
        case SPDY_WINDOW_UPDATE: spdy_write_window_update(b, f->stream_id, f->delta); break;
        default: die("rewrite of an unknown frame type");
        }
}

/* The fields the writers control (SYN_STREAM's priority and association they do not,
 * nor SETTINGS' flags). */
static bool same_fields(const struct spdy_frame *a, const struct spdy_frame *b) {
        if (a->is_control != b->is_control || a->type != b->type || a->stream_id != b->stream_id ||
            a->status != b->status || a->last_good_id != b->last_good_id || a->ping_id != b->ping_id ||
            a->delta != b->delta || a->n_settings != b->n_settings)
                return false;
        if (a->type != SPDY_SETTINGS && a->flags != b->flags)
                return false;
        for (size_t i = 0; i < a->n_settings; i++)
                if (a->settings[i].flags != b->settings[i].flags || a->settings[i].id != b->settings[i].id ||
                    a->settings[i].value != b->settings[i].value)
                        return false;
        return a->is_control || (a->data_len == b->data_len && memcmp(a->data, b->data, a->data_len) == 0);
}

/* The writers take single values, so compare the first one of each. */
static void same_headers(const struct spdy_header *a, size_t na, const struct spdy_header *b, size_t nb) {
        if (na != nb)
                die("pair count changed on the round trip");
        for (size_t i = 0; i < na; i++)
                if (strcmp(a[i].name, b[i].name) != 0 || strcmp(a[i].value, b[i].value) != 0)
                        die("a pair changed on the round trip");
}

static void round_trip(struct streams *s, const struct spdy_frame *f, const struct spdy_header *h, size_t n) {
        AUTOFREE const char **nv = names_values(h, n);
        CLEANUP(spdy_buf_clear) struct spdy_buf b = {0};
        struct spdy_frame again = {0};
        struct cric_error *err = NULL;
        rewrite(f, s->out, nv, &b);
        if (spdy_parse_frame(b.data, b.len - 1, &again, &err) != 0 || err)
                die("a prefix of our own frame did not ask for more");
        if (spdy_parse_frame(b.data, b.len, &again, &err) != (ssize_t) b.len) {
                fprintf(stderr, "fuzz_spdy_frame: %s\n", err ? err->msg : "short");
                die("our own frame does not parse");
        }
        if (!same_fields(f, &again))
                die("a field changed on the round trip");
        if (carries_headers(f)) {
                size_t n_again;
                struct spdy_header *h_again;
                if (!decode(s->back, &again, &h_again, &n_again))
                        die("our own header block does not decode");
                same_headers(h, n, h_again, n_again);
                spdy_headers_free(h_again, n_again);
        }
        free(again.settings);
}

static void check_frame(struct streams *s, const uint8_t *buf, size_t len, ssize_t r, const struct spdy_frame *f) {
        if (r < SPDY_HEAD_LEN || (size_t) r > len || (size_t) r != SPDY_HEAD_LEN + f->length)
                die("frame length does not add up");
        if (f->data && (f->data < buf || f->data + f->data_len > buf + r))
                die("data points outside the frame");
        if (!is_known(f))
                return;
        size_t n = 0;
        struct spdy_header *h = NULL;
        if (carries_headers(f)) /* a block that does not decode: the fields still round-trip */
                decode(s->peer, f, &h, &n);
        round_trip(s, f, h, n);
        spdy_headers_free(h, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct streams s = {spdy_zlib_new_inflate(), spdy_zlib_new_deflate(), spdy_zlib_new_inflate()};
        size_t off = 0;
        for (;;) {
                struct spdy_frame f = {0};
                struct cric_error *err = NULL;
                ssize_t r = spdy_parse_frame(data + off, size - off, &f, &err);
                if (r < 0)
                        expect_invalid(err);
                else if (err)
                        die("no failure but an error set");
                if (r <= 0)
                        break;
                check_frame(&s, data + off, size - off, r, &f);
                free(f.settings);
                off += (size_t) r;
        }
        spdy_zlib_free(s.peer);
        spdy_zlib_free(s.out);
        spdy_zlib_free(s.back);
        return 0;
}
