/* The session loop with each wire protocol, over a socketpair, with a recording
 * application in place of exec/attach/port-forward: what a client sends reaches the
 * application channel by channel, and the session answers as the protocols require. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <sched.h>
#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "streaming/internal.h"
#include "streaming/link.h"
#include "streaming/spdy.h"
#include "streaming/ws.h"
#include "testlib.h"
#include "util/xalloc.h"

/* What the application saw. */
struct rec {
        char data[8][256]; /* per channel (SPDY stream ids 1, 3, 5 map to 0, 1, 2) */
        bool eof[8];
        uint32_t streams[8];
        size_t n_streams;
        bool aborted;
        int finish_after_eof; /* channel whose end finishes the session, -1: none */
};

static struct rec *rec_of(struct sess *s) {
        return s->app_data;
}

static size_t slot(uint32_t ch) {
        return ch < 8 ? ch : 7;
}

static int on_stream(struct sess *s, uint32_t ch, const struct spdy_header *h, size_t n) {
        struct rec *r = rec_of(s);
        const char *type = spdy_header_get(h, n, "streamtype");
        assert_non_null(type);
        r->streams[r->n_streams++] = ch;
        return strcmp(type, "refused") == 0 ? -1 : 0;
}

static void on_data(struct sess *s, uint32_t ch, const uint8_t *buf, size_t len) {
        char *d = rec_of(s)->data[slot(ch)];
        strncat(d, (const char *) buf, len < 255 - strlen(d) ? len : 255 - strlen(d));
}

static void on_eof(struct sess *s, uint32_t ch) {
        struct rec *r = rec_of(s);
        r->eof[slot(ch)] = true;
        if (r->finish_after_eof >= 0 && (uint32_t) r->finish_after_eof == ch)
                sess_finish(s);
}

static void on_abort(struct sess *s) {
        rec_of(s)->aborted = true;
}

static const struct sess_app recorder = {
        .on_stream = on_stream,
        .on_data = on_data,
        .on_eof = on_eof,
        .on_abort = on_abort,
};

/* Runs a session on one end of a socketpair after the client's bytes were written to
 * the other (which is then shut for writing); returns what the server sent. */
static size_t run(const struct sess_proto *proto, bool websocket, int version, bool base64, const void *client,
                  size_t len, struct rec *r, uint8_t *out, size_t out_size) {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        assert_int_equal(write(sv[1], client, len), (ssize_t) len);
        shutdown(sv[1], SHUT_WR);
        struct link l = {.fd = sv[0]};
        struct stream_request req = {.kind = STREAM_EXEC, .id = "test"};
        struct sess s = {.fd = sv[0],
                         .link = &l,
                         .is_websocket = websocket,
                         .version = version,
                         .is_base64 = base64,
                         .req = &req,
                         .app = &recorder,
                         .app_data = r,
                         .what = xstrdup("test session")};
        s.proto = proto;
        if (proto == &proto_ws)
                proto_ws_init(&s);
        else
                proto_spdy_init(&s);
        sess_run(&s);
        s.app = NULL;
        sess_clear(&s);
        close(sv[0]);
        size_t n = 0;
        ssize_t got;
        while (n < out_size && (got = read(sv[1], out + n, out_size - n)) > 0)
                n += (size_t) got;
        close(sv[1]);
        return n;
}

/* Runs a SPDY session (remotecommand v4) on fd with app until it ends; whether it ended
 * done (not aborted). */
static bool run_spdy(int fd, const struct sess_app *app, void *app_data, const char *what) {
        struct link l = {.fd = fd};
        struct stream_request req = {.kind = STREAM_EXEC, .id = "test"};
        struct sess s = {.fd = fd,
                         .link = &l,
                         .version = 4,
                         .req = &req,
                         .app = app,
                         .app_data = app_data,
                         .what = xstrdup(what)};
        s.proto = &proto_spdy;
        proto_spdy_init(&s);
        sess_run(&s);
        bool done = s.is_done;
        s.app = NULL;
        sess_clear(&s);
        return done;
}

/* A masked client frame. */
static size_t ws_frame(uint8_t *buf, bool fin, uint8_t op, const void *payload, size_t len) {
        static const uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
        size_t n = ws_format_head(buf, fin, op, len, mask);
        memcpy(buf + n, payload, len);
        ws_mask(buf + n, len, mask, 0);
        return n + len;
}

static void test_ws_fragments_ping_and_v5_close(void **state) {
        (void) state;
        uint8_t in[256], out[256];
        size_t n = 0;
        n += ws_frame(in + n, false, WS_OP_BINARY, "\0he", 3);
        n += ws_frame(in + n, true, WS_OP_PING, "pp", 2); /* a control frame between fragments */
        n += ws_frame(in + n, true, WS_OP_CONT, "llo", 3);
        n += ws_frame(in + n, true, WS_OP_BINARY, "\377\0", 2); /* v5: stdin ends */
        struct rec r = {.finish_after_eof = 0};
        size_t got = run(&proto_ws, true, 5, false, in, n, &r, out, sizeof(out));
        assert_string_equal(r.data[0], "hello");
        assert_true(r.eof[0]);
        assert_false(r.aborted);
        /* a pong with the ping's payload, then our close frame, 1000 */
        assert_true(got >= 4 + 4);
        assert_int_equal(out[0], 0x80 | WS_OP_PONG);
        assert_memory_equal(out + 2, "pp", 2);
        assert_int_equal(out[4], 0x80 | WS_OP_CLOSE);
        assert_int_equal(out[6] << 8 | out[7], WS_CLOSE_NORMAL);
}

static void test_ws_base64_messages(void **state) {
        (void) state;
        uint8_t in[128], out[128];
        size_t n = ws_frame(in, true, WS_OP_TEXT, "0aGVsbG8=", 9);
        struct rec r = {.finish_after_eof = -1};
        run(&proto_ws, true, 4, true, in, n, &r, out, sizeof(out));
        assert_string_equal(r.data[0], "hello");
}

static void test_ws_unmasked_frame_is_closed_with_1002(void **state) {
        (void) state;
        uint8_t in[64], out[64];
        size_t n = ws_format_head(in, true, WS_OP_BINARY, 3, NULL);
        memcpy(in + n, "\0hi", 3);
        struct rec r = {.finish_after_eof = -1};
        size_t got = run(&proto_ws, true, 4, false, in, n + 3, &r, out, sizeof(out));
        assert_true(r.aborted);
        assert_int_equal(r.data[0][0], 0);
        assert_true(got >= 4);
        assert_int_equal(out[0], 0x80 | WS_OP_CLOSE);
        assert_int_equal(out[2] << 8 | out[3], WS_CLOSE_PROTOCOL);
}

/* The frames a SPDY client sends: two streams, data on the first, a PING, the ends. */
static size_t spdy_client(uint8_t *buf, size_t size) {
        struct spdy_zlib *z = spdy_zlib_new_deflate();
        struct spdy_buf b = {0};
        static const char *const stdin_h[] = {"streamtype", "stdin", NULL};
        static const char *const bad_h[] = {"streamtype", "refused", NULL};
        spdy_write_syn_stream(&b, z, 1, 0, stdin_h);
        spdy_write_syn_stream(&b, z, 3, 0, bad_h);
        uint8_t head[SPDY_HEAD_LEN];
        spdy_write_data_head(head, 1, 0, 5);
        spdy_write_ping(&b, 7);
        size_t n = b.len;
        memcpy(buf, b.data, n);
        memcpy(buf + n, head, sizeof(head));
        memcpy(buf + n + sizeof(head), "hello", 5);
        n += sizeof(head) + 5;
        spdy_write_data_head(head, 1, SPDY_FLAG_FIN, 0);
        memcpy(buf + n, head, sizeof(head));
        n += sizeof(head);
        assert_true(n <= size);
        spdy_buf_clear(&b);
        spdy_zlib_free(z);
        return n;
}

static void test_spdy_streams_data_ping_and_goaway(void **state) {
        (void) state;
        uint8_t in[1024], out[4096];
        size_t n = spdy_client(in, sizeof(in));
        struct rec r = {.finish_after_eof = 1};
        size_t got = run(&proto_spdy, false, 4, false, in, n, &r, out, sizeof(out));
        assert_int_equal(r.n_streams, 2);
        assert_string_equal(r.data[1], "hello");
        assert_true(r.eof[1]);
        assert_false(r.aborted);
        /* the windows raised (SETTINGS, WINDOW_UPDATE 0), SYN_REPLY 1, SYN_REPLY 3 then
         * RST_STREAM 3 (refused), PING 7, GOAWAY: 5 bytes of data give no window back */
        uint16_t want[] = {SPDY_SETTINGS,   SPDY_WINDOW_UPDATE, SPDY_SYN_REPLY, SPDY_SYN_REPLY,
                           SPDY_RST_STREAM, SPDY_PING,          SPDY_GOAWAY};
        size_t off = 0, k = 0;
        while (off < got) {
                struct spdy_frame f = {0};
                struct cric_error *err = NULL;
                ssize_t len = spdy_parse_frame(out + off, got - off, &f, &err);
                assert_true(len > 0);
                assert_true(f.is_control);
                assert_true(k < sizeof(want) / sizeof(want[0]));
                assert_int_equal(f.type, want[k]);
                if (f.type == SPDY_PING)
                        assert_int_equal(f.ping_id, 7);
                if (f.type == SPDY_RST_STREAM)
                        assert_int_equal(f.stream_id, 3);
                free(f.settings);
                off += (size_t) len;
                k++;
        }
        assert_int_equal(k, sizeof(want) / sizeof(want[0]));
}

/* ---- flow control of a big upload ---- */

#define BIG_FRAMES 288 /* 9 MiB of 32 KiB frames on stream 1: past half the window once */
#define BIG_FRAME  (32 * 1024)

struct big {
        int client;
        uint8_t *answer; /* everything the session sent, to its end */
        size_t answer_len;
};

static void write_all(int fd, const void *buf, size_t len) {
        for (size_t off = 0; off < len;) {
                ssize_t w = write(fd, (const uint8_t *) buf + off, len - off);
                assert_true(w > 0);
                off += (size_t) w;
        }
}

static void *big_reader(void *arg) {
        struct big *t = arg;
        size_t cap = 0;
        for (;;) {
                t->answer = xgrow(t->answer, &cap, t->answer_len + 4096, 1);
                ssize_t r = read(t->client, t->answer + t->answer_len, 4096);
                if (r <= 0)
                        return NULL;
                t->answer_len += (size_t) r;
        }
}

static void *big_writer(void *arg) {
        struct big *t = arg;
        struct spdy_zlib *z = spdy_zlib_new_deflate();
        struct spdy_buf b = {0};
        static const char *const stdin_h[] = {"streamtype", "stdin", NULL};
        spdy_write_syn_stream(&b, z, 1, 0, stdin_h);
        spdy_write_syn_stream(&b, z, 3, 0, stdin_h);
        write_all(t->client, b.data, b.len);
        uint8_t *frame = xzalloc(SPDY_HEAD_LEN + BIG_FRAME);
        for (size_t k = 0; k < BIG_FRAMES; k++) {
                spdy_write_data_head(frame, 1, 0, BIG_FRAME);
                write_all(t->client, frame, SPDY_HEAD_LEN + BIG_FRAME);
        }
        spdy_write_data_head(frame, 3, SPDY_FLAG_FIN, 1024); /* ends the session */
        write_all(t->client, frame, SPDY_HEAD_LEN + 1024);
        free(frame);
        spdy_buf_clear(&b);
        spdy_zlib_free(z);
        return NULL;
}

/* The session's first words raise the client's windows to 16 MiB (SETTINGS for the
 * streams, WINDOW_UPDATE 0 for the session); after that a window comes back only once
 * half of it is taken: 9 MiB on one stream and 1 KiB on another give one update for the
 * first stream and one for the session, not one per read or per frame. */
static void test_spdy_windows_raised_then_given_back_at_half(void **state) {
        (void) state;
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        struct big t = {.client = sv[1]};
        pthread_t reader;
        assert_int_equal(pthread_create(&reader, NULL, big_reader, &t), 0);
        struct rec r = {.finish_after_eof = 3};
        /* the client's side, written by a thread of its own: the session reads as it goes */
        pthread_t writer;
        assert_int_equal(pthread_create(&writer, NULL, big_writer, &t), 0);
        assert_true(run_spdy(sv[0], &recorder, &r, "big upload session"));
        assert_false(r.aborted);
        pthread_join(writer, NULL);
        close(sv[0]);
        pthread_join(reader, NULL);
        close(sv[1]);
        uint32_t settings_window = 0, delta[8] = {0};
        size_t updates[8] = {0}, k = 0;
        for (size_t off = 0; off < t.answer_len; k++) {
                struct spdy_frame f = {0};
                struct cric_error *err = NULL;
                ssize_t len = spdy_parse_frame(t.answer + off, t.answer_len - off, &f, &err);
                assert_true(len > 0);
                assert_true(f.is_control);
                if (k == 0) {
                        assert_int_equal(f.type, SPDY_SETTINGS);
                        assert_int_equal(f.n_settings, 1);
                        assert_int_equal(f.settings[0].id, SPDY_SETTINGS_INITIAL_WINDOW_SIZE);
                        settings_window = f.settings[0].value;
                }
                if (k == 1) {
                        assert_int_equal(f.type, SPDY_WINDOW_UPDATE);
                        assert_int_equal(f.stream_id, 0);
                        assert_int_equal(f.delta, settings_window - SPDY_DEFAULT_WINDOW);
                } else if (f.type == SPDY_WINDOW_UPDATE) {
                        updates[slot(f.stream_id)]++;
                        delta[slot(f.stream_id)] += f.delta;
                }
                free(f.settings);
                off += (size_t) len;
        }
        free(t.answer);
        assert_int_equal(settings_window, 16u << 20);
        assert_int_equal(updates[1], 1);
        assert_true(delta[1] >= settings_window / 2 && delta[1] < BIG_FRAMES * BIG_FRAME);
        assert_int_equal(updates[3], 0);
        assert_int_equal(updates[0], 1);
        assert_true(delta[0] >= settings_window / 2 && delta[0] <= delta[1] + 1024);
}

static void test_spdy_garbage_ends_the_session_with_goaway(void **state) {
        (void) state;
        uint8_t out[256];
        static const uint8_t garbage[] = {0x80, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x04, 'a', 'b', 'c', 'd'};
        struct rec r = {.finish_after_eof = -1}; /* a SYN_STREAM of SPDY version 2 */
        size_t got = run(&proto_spdy, false, 4, false, garbage, sizeof(garbage), &r, out, sizeof(out));
        assert_true(r.aborted);
        struct spdy_frame f = {0};
        struct cric_error *err = NULL;
        assert_true(spdy_parse_frame(out, got, &f, &err) > 0);
        assert_int_equal(f.type, SPDY_GOAWAY);
        assert_int_equal(f.status, SPDY_GOAWAY_PROTOCOL_ERROR);
}

/* ---- input to backends slower than the client ---- */

/* What a writev cut short leaves: the rest of the piece it stopped in, then the others. */
static void test_unwritten_tail_of_a_writev_is_kept_in_order(void **state) {
        (void) state;
        struct iovec iov[] = {{.iov_base = "abcde", .iov_len = 5},
                              {.iov_base = "fghijkl", .iov_len = 7},
                              {.iov_base = "mno", .iov_len = 3}};
        static const struct {
                size_t written;
                const char *left;
        } cases[] = {{0, "abcdefghijklmno"},
                     {3, "defghijklmno"},
                     {5, "fghijklmno"},
                     {8, "ijklmno"},
                     {12, "mno"},
                     {14, "o"},
                     {15, ""}};
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct bytes b = {0};
                bytes_append_unwritten(&b, iov, 3, cases[i].written);
                assert_int_equal(bytes_avail(&b), strlen(cases[i].left));
                if (bytes_avail(&b))
                        assert_memory_equal(b.data + b.off, cases[i].left, bytes_avail(&b));
                bytes_clear(&b);
        }
}

#define SLOW_FRAMES  64 /* per stream */
#define SLOW_FRAME   (32 * 1024)
#define SLOW_STREAMS 2 /* ids 1 and 3, their frames interleaved */

struct slow_backend {
        int fds[2];      /* a pipe of one page: the session writes [1], the reader reads [0] */
        size_t received; /* bytes the reader got, in order */
        bool in_order;
        bool connected;
        unsigned salt; /* the stream's own pattern */
};

struct slow {
        int client; /* the client's end of the socketpair */
        struct slow_backend b[SLOW_STREAMS];
};

static uint8_t pattern(unsigned salt, size_t i) {
        return (uint8_t) (i * 7 + i / 4093 + salt);
}

static void *slow_client(void *arg) {
        struct slow *t = arg;
        struct spdy_zlib *z = spdy_zlib_new_deflate();
        struct spdy_buf b = {0};
        static const char *const stdin_h[] = {"streamtype", "stdin", NULL};
        for (uint32_t k = 0; k < SLOW_STREAMS; k++)
                spdy_write_syn_stream(&b, z, 2 * k + 1, 0, stdin_h);
        write_all(t->client, b.data, b.len);
        uint8_t *frame = xmalloc(SPDY_HEAD_LEN + SLOW_FRAME);
        for (size_t k = 0; k < SLOW_FRAMES; k++) {
                for (uint32_t j = 0; j < SLOW_STREAMS; j++) {
                        spdy_write_data_head(frame, 2 * j + 1, k == SLOW_FRAMES - 1 ? SPDY_FLAG_FIN : 0, SLOW_FRAME);
                        for (size_t i = 0; i < SLOW_FRAME; i++)
                                frame[SPDY_HEAD_LEN + i] = pattern(t->b[j].salt, k * SLOW_FRAME + i);
                        write_all(t->client, frame, SPDY_HEAD_LEN + SLOW_FRAME);
                }
        }
        free(frame);
        spdy_buf_clear(&b);
        spdy_zlib_free(z);
        uint8_t sink[4096]; /* what the session answers (SETTINGS, GOAWAY ...), until it closes */
        while (read(t->client, sink, sizeof(sink)) > 0)
                ;
        return NULL;
}

static void *slow_reader(void *arg) {
        struct slow_backend *t = arg;
        uint8_t buf[512];
        ssize_t r;
        t->in_order = true;
        while ((r = read(t->fds[0], buf, sizeof(buf))) > 0) {
                for (ssize_t i = 0; i < r; i++)
                        t->in_order = t->in_order && buf[i] == pattern(t->salt, t->received + (size_t) i);
                t->received += (size_t) r;
                sched_yield(); /* small reads, one at a time: the session's writes often find the pipe full */
        }
        return NULL;
}

static int slow_on_stream(struct sess *s, uint32_t ch, const struct spdy_header *h, size_t n) {
        struct slow *t = s->app_data;
        assert_string_equal(spdy_header_get(h, n, "streamtype"), "stdin");
        assert_true(ch % 2 == 1 && ch / 2 < SLOW_STREAMS);
        struct slow_backend *b = &t->b[ch / 2];
        assert_non_null(sess_connect_in(s, ch, b->fds[1])); /* the session owns it now */
        b->connected = true;
        return 0;
}

static void slow_on_tick(struct sess *s) {
        struct slow *t = s->app_data;
        for (uint32_t j = 0; j < SLOW_STREAMS; j++) /* written whole and closed after the client's FIN */
                if (!t->b[j].connected || sess_find_in(s, 2 * j + 1))
                        return;
        sess_finish(s);
}

static void slow_on_abort(struct sess *s) {
        (void) s;
        fail_msg("the session was aborted");
}

/* Frames of two streams, interleaved, to two backends slower than the client: the
 * pieces the session gathers per read and writes at once (sess_deliver_held), and what a
 * full pipe leaves over, reach each backend whole and in order. */
static void slow_backends(int pipe_size) {
        static const struct sess_app app = {
                .on_stream = slow_on_stream,
                .on_tick = slow_on_tick,
                .on_abort = slow_on_abort,
        };
        struct slow t = {0};
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        for (unsigned j = 0; j < SLOW_STREAMS; j++) {
                t.b[j].salt = 101 * j;
                assert_int_equal(pipe2(t.b[j].fds, O_CLOEXEC), 0);
                assert_true(fcntl(t.b[j].fds[1], F_SETPIPE_SZ, pipe_size) > 0);
        }
        t.client = sv[1];
        pthread_t client, reader[SLOW_STREAMS];
        assert_int_equal(pthread_create(&client, NULL, slow_client, &t), 0);
        for (unsigned j = 0; j < SLOW_STREAMS; j++)
                assert_int_equal(pthread_create(&reader[j], NULL, slow_reader, &t.b[j]), 0);
        assert_true(run_spdy(sv[0], &app, &t, "slow backend session"));
        close(sv[0]); /* the client thread reads to EOF */
        pthread_join(client, NULL);
        for (unsigned j = 0; j < SLOW_STREAMS; j++) {
                pthread_join(reader[j], NULL);
                close(t.b[j].fds[0]);
                assert_int_equal(t.b[j].received, (size_t) SLOW_FRAMES * SLOW_FRAME);
                assert_true(t.b[j].in_order);
        }
        close(sv[1]);
}

/* A page at a time: every write is cut inside the first piece. */
static void test_spdy_input_reaches_backends_of_a_page_whole_and_in_order(void **state) {
        (void) state;
        slow_backends(4096);
}

/* 64 KiB pipes: writes of two 32 KiB pieces are often cut inside the second. */
static void test_spdy_input_reaches_backends_of_64k_whole_and_in_order(void **state) {
        (void) state;
        slow_backends(64 * 1024);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ws_fragments_ping_and_v5_close),
                cmocka_unit_test(test_ws_base64_messages),
                cmocka_unit_test(test_ws_unmasked_frame_is_closed_with_1002),
                cmocka_unit_test(test_spdy_streams_data_ping_and_goaway),
                cmocka_unit_test(test_spdy_windows_raised_then_given_back_at_half),
                cmocka_unit_test(test_spdy_garbage_ends_the_session_with_goaway),
                cmocka_unit_test(test_unwritten_tail_of_a_writev_is_kept_in_order),
                cmocka_unit_test(test_spdy_input_reaches_backends_of_a_page_whole_and_in_order),
                cmocka_unit_test(test_spdy_input_reaches_backends_of_64k_whole_and_in_order),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
