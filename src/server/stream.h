/* Server-streaming calls: a handler sends a sequence of messages, then a final status.
 * Private to server/.
 *
 * A handler never touches grpc: rpc_stream_send encodes the message at once and puts
 * it on the stream's send queue, bounded by count and bytes. One pump thread per
 * server owns the completion queue every streaming call is bound to; it keeps one
 * send in flight per stream and starts the next when the client has taken the last,
 * so a stream costs no thread while it waits on a slow client. A handler can
 * therefore either page through a finite answer in its worker (the Stream* lists,
 * which use RPC_STREAM_WAIT to wait for room), or keep a reference, return
 * RPC_STREAM_KEPT and feed the stream later from any thread with RPC_STREAM_NOWAIT
 * (a long-lived stream such as GetContainerEvents: no worker held per stream).
 *
 * A client that stops reading: the queue fills; a send that finds no room (at once
 * with RPC_STREAM_NOWAIT, after the stall limit with RPC_STREAM_WAIT) cuts the call
 * off with RESOURCE_EXHAUSTED and drops the queue, so memory stays bounded.
 * Client cancellation, a deadline, a cut-off and daemon shutdown end the stream: sends
 * then fail with CRIC_E_CANCELLED, waiting senders wake, and the on_end callback runs.
 * At shutdown a kept stream is finished at once with UNAVAILABLE; a handler still
 * paging gets the server's grace time, then its call is cancelled.
 *
 * Every function here is thread-safe. */
#ifndef CRIC_SERVER_STREAM_H
#define CRIC_SERVER_STREAM_H

#include <grpc/grpc.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct rpc_stream;
struct stream_pump;

/* Flags of rpc_stream_send. */
#define RPC_STREAM_NOWAIT 0u /* no room in the queue: cut the stream off at once */
#define RPC_STREAM_WAIT   1u /* no room: wait up to the stall limit, then cut it off */

/* What a stream handler returns when it kept a reference to finish the stream later. */
#define RPC_STREAM_KEPT 1

/* Encodes msg (the caller keeps it) and queues it. Errors: CRIC_E_CANCELLED when the
 * stream has ended (client gone, deadline, shutdown) or was finished; CRIC_E_RESOURCE
 * when this send cut the stream off because the client does not read. */
int rpc_stream_send(struct rpc_stream *s, const ProtobufCMessage *msg, unsigned flags, struct cric_error **err);

/* Queues the final status after the messages already queued: OK when status is NULL,
 * else the status of status->kind with its message. Later calls, and calls on a stream
 * that has ended, do nothing. */
void rpc_stream_finish(struct rpc_stream *s, const struct cric_error *status);

/* Whether the stream has ended or been finished: sends would fail. */
bool rpc_stream_is_ended(struct rpc_stream *s);

/* Only the byte bound of the send queue applies from now on, not the message count: for
 * a long-lived stream fed in bursts of small messages (events: a hundred pods removed at
 * once), which a reading client must not be cut off for. */
void rpc_stream_bound_by_bytes(struct rpc_stream *s);

/* The number of objects a list sends per message (100; CRIC_STREAM_PAGE_SIZE). */
size_t rpc_stream_page_size(const struct rpc_stream *s);

/* fn(arg) runs once, on the pump thread, when the call is over (status sent, cancelled
 * or cut off): the place for an owner such as an event subscription to drop its
 * reference. Must not block. Set it before RPC_STREAM_KEPT is returned; it runs at
 * once (in the caller) when the stream has already ended. */
void rpc_stream_on_end(struct rpc_stream *s, void (*fn)(void *arg), void *arg);

struct rpc_stream *rpc_stream_ref(struct rpc_stream *s);
/* Drops a reference; the last one frees the stream and its call. Accepts NULL. */
struct rpc_stream *rpc_stream_unref(struct rpc_stream *s);

/* --- for grpc_server.c --- */

struct stream_limits {
        size_t max_msgs;   /* queued messages per stream */
        size_t max_bytes;  /* queued bytes per stream */
        unsigned stall_ms; /* how long RPC_STREAM_WAIT waits for room */
        size_t page_size;  /* objects per list message */
};

/* The defaults, overridden by the environment (CRIC_STREAM_QUEUE_MSGS,
 * CRIC_STREAM_QUEUE_BYTES, CRIC_STREAM_STALL_MS, CRIC_STREAM_PAGE_SIZE): tuning knobs
 * for tests and benchmarks, not configuration. */
void stream_limits_from_env(struct stream_limits *l);

struct stream_pump *stream_pump_new(const struct stream_limits *l);
/* The completion queue to bind streaming calls to (grpc_server_request_registered_call). */
grpc_completion_queue *stream_pump_cq(struct stream_pump *p);
int stream_pump_start(struct stream_pump *p, struct cric_error **err);
/* Call after the grpc server has shut down (every call done): drains the queue and
 * joins the thread. Accepts NULL. */
struct stream_pump *stream_pump_free(struct stream_pump *p);

/* Takes over call (its reference) for method path: starts watching for the end of the
 * call and returns the stream with one reference for the caller. */
struct rpc_stream *stream_begin(struct stream_pump *p, grpc_call *call, const char *path);

/* Records that the handler of s returned RPC_STREAM_KEPT: such a stream never ends on
 * its own, so shutdown ends it (stream_pump_end_kept) instead of waiting for it. Takes
 * its own reference, dropped when the call is over. */
void stream_keep(struct rpc_stream *s);

/* Finishes every kept stream, and any kept from now on, with UNAVAILABLE "cricd is
 * shutting down" after the messages already queued. Streams whose handler still
 * runs (the lists) are left to finish within the server's grace time. */
void stream_pump_end_kept(struct stream_pump *p);

#endif
