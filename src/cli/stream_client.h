/* cricctl's side of the streaming server: a WebSocket client for the URLs that Exec,
 * Attach and PortForward answer (RFC 6455 with the Kubernetes channel subprotocols:
 * every binary message starts with its channel number).
 *
 * Built on the codecs of streaming/ (http.h for the upgrade answer, ws.h for frames,
 * masks and the accept key), so cricctl and cricd speak through the same code. No
 * threads inside: one connection belongs to one thread, which polls cli_ws_fd() and
 * calls cli_ws_recv()/cli_ws_next() when it is readable and cli_ws_flush() when
 * cli_ws_pending() says frames wait. Sending only queues (the socket is non-blocking),
 * so a caller never blocks in a write while the server waits for it to read. */
#ifndef CRIC_CLI_STREAM_CLIENT_H
#define CRIC_CLI_STREAM_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Stop reading local input while this much waits for the socket. */
#define CLI_WS_HIGH_WATER (256 * 1024)

/* v5.channel.k8s.io: a message [255, ch] ends channel ch of the client. */
#define CLI_WS_CLOSE_CHANNEL 255

struct cli_ws;

enum cli_ws_event_kind {
        CLI_WS_DATA = 0, /* bytes of a message on `channel` (a message may come in pieces) */
        CLI_WS_END,      /* the message on `channel` is complete */
        CLI_WS_CLOSE,    /* the server's close frame (`close_code`); our reply is queued */
};

struct cli_ws_event {
        enum cli_ws_event_kind kind;
        uint8_t channel;
        const uint8_t *data; /* DATA: valid until the next cli_ws_next() or cli_ws_recv() */
        size_t len;
        uint16_t close_code;
};

/* Connects to url ("http://HOST:PORT/PATH"; a bare "/PATH" goes to the kubelet's
 * 127.0.0.1:10250, as crictl does), asks for an upgrade to WebSocket offering
 * protocols (NULL-terminated, preferred first) and checks the 101 answer: Upgrade,
 * Connection, Sec-WebSocket-Accept and a subprotocol among those offered. timeout_ms
 * (<= 0: none) bounds the connect and the handshake. *ret is the caller's. Errors:
 * CRIC_E_INVALID (bad URL), CRIC_E_UNIMPLEMENTED (https), CRIC_E_UNAVAILABLE (cannot
 * connect), CRIC_E_TIMEOUT, CRIC_E_INTERNAL (a refused or broken upgrade: the message
 * holds the server's status line and body). Thread-safe (no shared state). */

int cli_ws_connect(const char *url, const char *const *protocols, int64_t timeout_ms, struct cli_ws **ret,
                   struct cric_error **err);
/* Closes the socket at once. Accepts NULL; returns NULL. */
struct cli_ws *cli_ws_free(struct cli_ws *w);
void cli_ws_freep(struct cli_ws **w);

int cli_ws_fd(const struct cli_ws *w);
/* The subprotocol the server chose (one of those offered). */
const char *cli_ws_protocol(const struct cli_ws *w);

/* Queues one binary message: the channel byte, then len bytes of buf (masked, as a
 * client must). Dropped once a close frame was sent. */
void cli_ws_send(struct cli_ws *w, uint8_t channel, const void *buf, size_t len);
/* Queues a close frame (once). */
void cli_ws_close(struct cli_ws *w, uint16_t code);
bool cli_ws_is_close_sent(const struct cli_ws *w);
/* Bytes queued for the socket. */
size_t cli_ws_pending(const struct cli_ws *w);
/* Writes what is queued until the socket would block. -1 when the server is gone. */
int cli_ws_flush(struct cli_ws *w, struct cric_error **err);
/* Keeps flushing for at most timeout_ms: for the last frames before closing. */
void cli_ws_flush_wait(struct cli_ws *w, int64_t timeout_ms);

/* Reads what the socket holds. Returns 1 (bytes read, or none yet), 0 when the server
 * closed the connection, -1 on a socket error. */
int cli_ws_recv(struct cli_ws *w, struct cric_error **err);
/* The next event from what was read: 1 with *ev set, 0 when more bytes are needed, -1
 * when the server broke the protocol (CRIC_E_INVALID). Pings are answered here. */
int cli_ws_next(struct cli_ws *w, struct cli_ws_event *ev, struct cric_error **err);

#endif
