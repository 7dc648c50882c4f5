/* A FIFO of encoded messages bounded by count and bytes: the send queue of one
 * server-streaming call. Not thread-safe; its owner (struct rpc_stream) locks.
 * Private to server/. */
#ifndef CRIC_SERVER_STREAM_QUEUE_H
#define CRIC_SERVER_STREAM_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

struct stream_queue_item;

struct stream_queue {
        struct stream_queue_item *head, *tail;
        size_t n, bytes;         /* what is queued now */
        size_t max_n, max_bytes; /* the bounds */
        void (*free_fn)(void *data);
};

/* An empty queue; free_fn frees the items stream_queue_clear drops (may be NULL). */
void stream_queue_init(struct stream_queue *q, size_t max_n, size_t max_bytes, void (*free_fn)(void *));
/* Whether an item of this size fits: fewer than max_n items and max_bytes not passed.
 * An empty queue takes one item of any size, so a message larger than max_bytes
 * is still sent (the gRPC message size limit bounds it). */
bool stream_queue_has_room(const struct stream_queue *q, size_t bytes);
/* Appends data (ownership passes to the queue); -1 and nothing done when it does not fit. */
int stream_queue_push(struct stream_queue *q, void *data, size_t bytes);
/* Takes the oldest item (the caller owns it), or NULL when empty. */
void *stream_queue_pop(struct stream_queue *q);
/* Drops every item with free_fn. */
void stream_queue_clear(struct stream_queue *q);

#endif
