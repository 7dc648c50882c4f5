#include "server/stream_queue.h"

#include <stdlib.h>

#include "util/xalloc.h"

struct stream_queue_item {
        void *data;
        size_t bytes;
        struct stream_queue_item *next;
};

void stream_queue_init(struct stream_queue *q, size_t max_n, size_t max_bytes, void (*free_fn)(void *)) {
        *q = (struct stream_queue){.max_n = max_n ? max_n : 1, .max_bytes = max_bytes, .free_fn = free_fn};
}

bool stream_queue_has_room(const struct stream_queue *q, size_t bytes) {
        if (q->n == 0)
                return true;
        return q->n < q->max_n && q->bytes + bytes <= q->max_bytes;
}

int stream_queue_push(struct stream_queue *q, void *data, size_t bytes) {
        if (!stream_queue_has_room(q, bytes))
                return -1;
        struct stream_queue_item *it = xzalloc(sizeof(*it));
        it->data = data;
        it->bytes = bytes;
        if (q->tail)
                q->tail->next = it;
        else
                q->head = it;
        q->tail = it;
        q->n++;
        q->bytes += bytes;
        return 0;
}

void *stream_queue_pop(struct stream_queue *q) {
        struct stream_queue_item *it = q->head;
        if (!it)
                return NULL;
        q->head = it->next;
        if (!q->head)
                q->tail = NULL;
        q->n--;
        q->bytes -= it->bytes;
        void *data = it->data;
        free(it);
        return data;
}

void stream_queue_clear(struct stream_queue *q) {
        void *data;
        while ((data = stream_queue_pop(q)))
                if (q->free_fn)
                        q->free_fn(data);
}
