/* What the files of streaming/ share. Private to streaming/.
 *
 * One thread serves one connection (conn.c): it reads the HTTP upgrade request, takes
 * the token, answers 101 with the negotiated protocol and then runs a session (sess.c):
 * a poll loop between the client's socket and the backend descriptors (the exec'd
 * process's pipes or terminal, the monitor's attach socket, port-forward sockets).
 *
 * Inside a session, a wire protocol (proto_ws.c, proto_spdy.c) turns the bytes of the
 * client into channel data and frames what the backends produce; an application
 * (remotecommand.c for exec and attach, portforward.c) decides what the channels mean.
 * A channel is a WebSocket channel number or a SPDY stream id.
 *
 * Memory is bounded: the session reads from backends only while its output buffer is
 * under SESS_HIGH_WATER, and from the client only while every pipe's pending input is. */
#ifndef CRIC_STREAMING_INTERNAL_H
#define CRIC_STREAMING_INTERNAL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "streaming/request.h"
#include "streaming/spdy.h"
#include "util/error.h"

#define SESS_HIGH_WATER  (256 * 1024)
#define SESS_READ_CHUNK  (32 * 1024)
#define SESS_CLIENT_READ (128 * 1024)
/* A client that fills every read is read in bigger pieces, up to this. */
#define SESS_CLIENT_READ_MAX (512 * 1024)
#define SESS_HELD_MAX        64
#define SESS_MAX_PIPES       64
#define SESS_MAX_EXTRA       4
/* An out pipe whose data nobody asked for: read and dropped. */
#define SESS_NO_CHANNEL UINT32_MAX

struct runtime;

struct bytes {
        uint8_t *data;
        size_t len, cap, off; /* data[off..len) is unread */
};
void bytes_append(struct bytes *b, const void *p, size_t n);
void bytes_consume(struct bytes *b, size_t n);
/* Room for n more bytes at data + len (the caller fills it and adds to len). */
void bytes_reserve(struct bytes *b, size_t n);
size_t bytes_avail(const struct bytes *b);
/* Appends what a writev of iov[0..n) left unwritten after its first written bytes. */
void bytes_append_unwritten(struct bytes *b, const struct iovec *iov, size_t n, size_t written);
void bytes_clear(struct bytes *b);

/* A backend descriptor and the channel it is joined to. */
struct pipe {
        int fd;               /* -1: not connected yet (input is kept until it is) */
        uint32_t ch;          /* out: where data goes; in: where it comes from */
        uint32_t ch_err;      /* out with is_demux: the channel of MONITOR_STREAM_STDERR packets */
        bool is_out;          /* fd -> client; else client -> fd */
        bool is_demux;        /* out: attach socket packets, first byte names the stream */
        bool is_packet;       /* in: write each delivery as one packet, at most 64 KiB */
        bool is_shared;       /* fd is also another pipe's: never close it, only shutdown for in */
        bool is_eof;          /* out: the backend ended; in: the client ended the channel */
        bool is_done;         /* finished and closed */
        struct bytes pending; /* in: bytes for fd */
};

struct sess;

struct sess_proto {
        /* Parses what is in s->in, handing channel data to sess_deliver/sess_deliver_eof;
         * -1 with *err on a protocol error (the session then ends). */
        int (*feed)(struct sess *s, struct cric_error **err);
        /* Frames len bytes for channel ch into s->out. */
        void (*send)(struct sess *s, uint32_t ch, const uint8_t *buf, size_t len);
        /* Ends our side of channel ch. */
        void (*close)(struct sess *s, uint32_t ch);
        /* How much ch may send now (flow control). */
        size_t (*window)(struct sess *s, uint32_t ch);
        /* Ends the connection politely (close frame, GOAWAY). */
        void (*finish)(struct sess *s);
        void (*free)(struct sess *s);
};

struct sess_app {
        /* A SPDY stream the client opened; return -1 to refuse it (RST_STREAM). */
        int (*on_stream)(struct sess *s, uint32_t ch, const struct spdy_header *h, size_t n);
        /* Data for a channel no input pipe reads (resize, port-forward errors). */
        void (*on_data)(struct sess *s, uint32_t ch, const uint8_t *buf, size_t len);
        /* An out pipe's backend ended, or the client ended a channel without a pipe. */
        void (*on_eof)(struct sess *s, uint32_t ch);
        /* An extra descriptor (sess_add_extra) is readable. */
        void (*on_extra)(struct sess *s, int fd);
        /* After each round of the loop; sets s->is_done when the work is over. */
        void (*on_tick)(struct sess *s);
        /* The client went away or the session failed: stop the work (kill the process). */
        void (*on_abort)(struct sess *s);
        void (*free)(struct sess *s);
};

struct link;

/* Input for a pipe still in the client's buffer (sess_deliver_held). */
struct held {
        struct pipe *p;
        const uint8_t *buf;
        size_t len;
};

struct sess {
        int fd;            /* the client's socket, non-blocking */
        struct link *link; /* how to read and write it (TLS or not) */
        struct bytes in, out;
        size_t read_size; /* of the next read from the client; 0: SESS_CLIENT_READ */
        struct held held[SESS_HELD_MAX];
        size_t n_held;
        const struct sess_proto *proto;
        void *proto_data;
        const struct sess_app *app;
        void *app_data;
        const char *subprotocol; /* what was negotiated */
        int version;             /* remotecommand protocol 1-5, 0 for port-forward */
        bool is_websocket, is_base64;
        struct stream_request *req;
        struct runtime *rt;
        struct pipe pipes[SESS_MAX_PIPES];
        size_t n_pipes;
        int extra[SESS_MAX_EXTRA];
        size_t n_extra;
        bool is_client_eof; /* the client closed its side */
        bool is_finishing;  /* proto->finish ran: flush s->out and end */
        bool is_done;
        int64_t idle_timeout_ms; /* 0: none */
        int64_t deadline_ms;     /* the app's (e.g. streams must arrive); 0: none */
        char *what;              /* for log lines: "exec in container ID" */
};

/* Runs the session until it is done; closes nothing the caller owns. */
void sess_run(struct sess *s);
void sess_clear(struct sess *s);

struct pipe *sess_add_out(struct sess *s, int fd, uint32_t ch);
struct pipe *sess_add_in(struct sess *s, int fd, uint32_t ch);
struct pipe *sess_find_in(struct sess *s, uint32_t ch);
/* Joins fd to the input pipe of ch made earlier with fd -1 (or makes one); then
 * sess_flush_in writes what waited. */
struct pipe *sess_connect_in(struct sess *s, uint32_t ch, int fd);
void sess_flush_in(struct sess *s, struct pipe *p);
void sess_add_extra(struct sess *s, int fd);
void sess_remove_extra(struct sess *s, int fd);

/* Called by the protocols. */
void sess_deliver(struct sess *s, uint32_t ch, const uint8_t *buf, size_t len);
/* Like sess_deliver, for bytes that stay where they are until feed returns (a frame in
 * s->in): a pipe's pieces of one read go out in one writev once the read is parsed,
 * fewer and bigger writes than one per frame. */
void sess_deliver_held(struct sess *s, uint32_t ch, const uint8_t *buf, size_t len);
void sess_deliver_eof(struct sess *s, uint32_t ch);

/* Sends a whole message on ch (ignores flow control: small control messages only). */
void sess_send(struct sess *s, uint32_t ch, const void *buf, size_t len);
void sess_finish(struct sess *s);

/* The protocols. */
extern const struct sess_proto proto_ws;
extern const struct sess_proto proto_spdy;
extern const struct sess_proto proto_tunnel; /* SPDY inside WebSocket binary messages */
/* Sets up s->proto_data; SPDY answers nothing until the client opens streams. */
void proto_ws_init(struct sess *s);
void proto_spdy_init(struct sess *s);
void proto_tunnel_init(struct sess *s);
/* The tunnel's use of the WebSocket side: payloads as one stream (no channels). */
void proto_ws_init_raw(struct sess *s);
struct bytes *proto_ws_raw(struct sess *s);
void proto_ws_close(struct sess *s);

/* The applications: set s->app and s->app_data, start what can start at once. */
int remotecommand_init(struct sess *s, struct cric_error **err);
int portforward_init(struct sess *s, struct cric_error **err);

#endif
