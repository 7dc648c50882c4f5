/* Server-streaming calls: the stream object, its send queue and the pump thread that
 * drives every stream's batches (see stream.h). */
#include "server/stream.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pbwire/pbwire.h"
#include "server/rpc.h"
#include "server/stream_queue.h"
#include "util/log.h"
#include "util/xalloc.h"

enum op_kind { OP_SEND, OP_STATUS, OP_CLOSE };

struct stream_op {
        struct rpc_stream *s;
        enum op_kind kind;
};

struct stream_pump {
        grpc_completion_queue *cq;
        pthread_t thread;
        bool started;
        struct stream_limits limits;
        pthread_mutex_t lock;
        struct rpc_stream *kept; /* streams whose handler returned RPC_STREAM_KEPT; guarded by lock */
        bool is_closing;         /* guarded by lock */
};

struct rpc_stream {
        int refs; /* atomic */
        grpc_call *call;
        char *path;
        struct stream_pump *pump;
        struct rpc_stream *kept_prev, *kept_next; /* in pump->kept, guarded by the pump's lock */
        bool is_kept;
        pthread_mutex_t lock;
        pthread_cond_t room; /* a send completed or the stream ended */
        struct stream_queue queue;
        struct stream_op ops[3];   /* the tags, one per op kind */
        grpc_byte_buffer *sending; /* the message in flight */
        bool sent_initial_md, status_started;
        bool finishing;          /* rpc_stream_finish was called */
        bool ended;              /* cancelled, cut off or closed: nothing more goes out */
        bool closed;             /* the call is over (RECV_CLOSE_ON_SERVER completed) */
        int cancelled;           /* RECV_CLOSE_ON_SERVER's answer */
        grpc_status_code status; /* the final status, once finishing */
        grpc_slice status_details;
        void (*on_end)(void *);
        void *on_end_arg;
};

static void bb_free(void *bb) {
        grpc_byte_buffer_destroy(bb);
}

struct rpc_stream *rpc_stream_ref(struct rpc_stream *s) {
        __atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
        return s;
}

struct rpc_stream *rpc_stream_unref(struct rpc_stream *s) {
        if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) > 0)
                return NULL;
        stream_queue_clear(&s->queue);
        if (s->sending)
                grpc_byte_buffer_destroy(s->sending);
        grpc_slice_unref(s->status_details);
        grpc_call_unref(s->call);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->room);
        free(s->path);
        free(s);
        return NULL;
}

/* Starts one batch whose completion the pump handles; holds a reference until then.
 * Called with the lock. */
static void start_batch(struct rpc_stream *s, grpc_op *ops, size_t n, enum op_kind kind) {
        rpc_stream_ref(s);
        grpc_call_error e = grpc_call_start_batch(s->call, ops, n, &s->ops[kind], NULL);
        if (e != GRPC_CALL_OK) {
                log_error("stream %s: cannot start a batch (grpc call error %d), ending the stream", s->path, e);
                s->ended = true;
                __atomic_sub_fetch(&s->refs, 1, __ATOMIC_RELAXED); /* the caller still holds one */
                grpc_call_cancel(s->call, NULL);
        }
}

/* The first batch of a call carries the initial metadata. */
static size_t add_initial_md(struct rpc_stream *s, grpc_op *ops) {
        if (s->sent_initial_md)
                return 0;
        s->sent_initial_md = true;
        ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
        return 1;
}

/* Starts the next send, or the status once the queue is empty. Called with the lock. */
static void kick(struct rpc_stream *s) {
        if (s->ended || s->sending || s->status_started)
                return;
        grpc_op ops[2];
        memset(ops, 0, sizeof(ops));
        size_t n = add_initial_md(s, ops);
        s->sending = stream_queue_pop(&s->queue);
        if (s->sending) {
                ops[n].op = GRPC_OP_SEND_MESSAGE;
                ops[n++].data.send_message.send_message = s->sending;
                start_batch(s, ops, n, OP_SEND);
                return;
        }
        if (!s->finishing) {
                if (n) /* nothing to send yet: the metadata goes with the first message */
                        s->sent_initial_md = false;
                return;
        }
        s->status_started = true;
        ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
        ops[n].data.send_status_from_server.status = s->status;
        ops[n++].data.send_status_from_server.status_details = &s->status_details;
        start_batch(s, ops, n, OP_STATUS);
}

/* Ends the stream now with status code and message (the client sees them, as far as
 * grpc can still deliver them). Called with the lock. */
static void cut_off(struct rpc_stream *s, grpc_status_code code, const char *msg) {
        s->ended = true;
        stream_queue_clear(&s->queue);
        grpc_call_cancel_with_status(s->call, code, msg, NULL);
        pthread_cond_broadcast(&s->room);
}

static int wait_room(struct rpc_stream *s, size_t bytes) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += s->pump->limits.stall_ms / 1000;
        until.tv_nsec += (long) (s->pump->limits.stall_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
        }
        while (!s->ended && !stream_queue_has_room(&s->queue, bytes))
                if (pthread_cond_timedwait(&s->room, &s->lock, &until) == ETIMEDOUT)
                        return -1;
        return 0;
}

static int refuse_send(struct rpc_stream *s, struct cric_error **err) {
        return cric_error_set(err, CRIC_E_CANCELLED, "stream %s has ended (client gone, deadline or shutdown)",
                              s->path);
}

int rpc_stream_send(struct rpc_stream *s, const ProtobufCMessage *msg, unsigned flags, struct cric_error **err) {
        grpc_byte_buffer *bb = pbwire_encode(msg);
        size_t bytes = grpc_byte_buffer_length(bb);
        pthread_mutex_lock(&s->lock);
        if (!s->ended && !s->finishing && !stream_queue_has_room(&s->queue, bytes) && (flags & RPC_STREAM_WAIT))
                wait_room(s, bytes);
        int r = 0;
        if (s->ended || s->finishing) {
                r = refuse_send(s, err);
        } else if (stream_queue_push(&s->queue, bb, bytes) < 0) {
                r = cric_error_set(err, CRIC_E_RESOURCE,
                                   "stream %s: the client is not reading (%zu messages, %zu bytes queued), "
                                   "cutting it off",
                                   s->path, s->queue.n, s->queue.bytes);
                cut_off(s, GRPC_STATUS_RESOURCE_EXHAUSTED, (*err)->msg);
        } else {
                bb = NULL;
                kick(s);
        }
        pthread_mutex_unlock(&s->lock);
        if (bb)
                grpc_byte_buffer_destroy(bb);
        return r;
}

void rpc_stream_finish(struct rpc_stream *s, const struct cric_error *status) {
        pthread_mutex_lock(&s->lock);
        if (!s->ended && !s->finishing) {
                s->finishing = true;
                s->status = status ? rpc_status_from_kind(status->kind) : GRPC_STATUS_OK;
                s->status_details = grpc_slice_from_copied_string(status ? status->msg : "");
                kick(s);
        }
        pthread_mutex_unlock(&s->lock);
}

bool rpc_stream_is_ended(struct rpc_stream *s) {
        pthread_mutex_lock(&s->lock);
        bool ended = s->ended || s->finishing;
        pthread_mutex_unlock(&s->lock);
        return ended;
}

void rpc_stream_bound_by_bytes(struct rpc_stream *s) {
        pthread_mutex_lock(&s->lock);
        s->queue.max_n = SIZE_MAX;
        pthread_mutex_unlock(&s->lock);
}

size_t rpc_stream_page_size(const struct rpc_stream *s) {
        return s->pump->limits.page_size;
}

void rpc_stream_on_end(struct rpc_stream *s, void (*fn)(void *), void *arg) {
        pthread_mutex_lock(&s->lock);
        bool closed = s->closed;
        if (!closed) {
                s->on_end = fn;
                s->on_end_arg = arg;
        }
        pthread_mutex_unlock(&s->lock);
        if (closed)
                fn(arg);
}

struct rpc_stream *stream_begin(struct stream_pump *p, grpc_call *call, const char *path) {
        struct rpc_stream *s = xzalloc(sizeof(*s));
        s->refs = 1;
        s->call = call;
        s->path = xstrdup(path);
        s->pump = p;
        s->status_details = grpc_empty_slice();
        pthread_mutex_init(&s->lock, NULL);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&s->room, &ca);
        pthread_condattr_destroy(&ca);
        stream_queue_init(&s->queue, p->limits.max_msgs, p->limits.max_bytes, bb_free);
        for (int k = 0; k < 3; k++)
                s->ops[k] = (struct stream_op){.s = s, .kind = (enum op_kind) k};
        grpc_op op = {.op = GRPC_OP_RECV_CLOSE_ON_SERVER};
        op.data.recv_close_on_server.cancelled = &s->cancelled;
        pthread_mutex_lock(&s->lock);
        start_batch(s, &op, 1, OP_CLOSE);
        pthread_mutex_unlock(&s->lock);
        return s;
}

/* --- the pump --- */

static void on_send_done(struct rpc_stream *s, bool ok) {
        pthread_mutex_lock(&s->lock);
        grpc_byte_buffer_destroy(s->sending);
        s->sending = NULL;
        if (!ok) { /* the call is over: cancelled or the transport failed */
                s->ended = true;
                stream_queue_clear(&s->queue);
        }
        kick(s);
        pthread_cond_broadcast(&s->room);
        pthread_mutex_unlock(&s->lock);
}

/* Takes s off the pump's kept list; whether it was there (the list's reference is then
 * the caller's). */
static bool unkeep(struct rpc_stream *s) {
        struct stream_pump *p = s->pump;
        pthread_mutex_lock(&p->lock);
        bool was = s->is_kept;
        if (was) {
                if (s->kept_prev)
                        s->kept_prev->kept_next = s->kept_next;
                else
                        p->kept = s->kept_next;
                if (s->kept_next)
                        s->kept_next->kept_prev = s->kept_prev;
                s->is_kept = false;
        }
        pthread_mutex_unlock(&p->lock);
        return was;
}

static void on_close(struct rpc_stream *s) {
        if (unkeep(s))
                rpc_stream_unref(s); /* the kept list's reference; the batch's one remains */
        pthread_mutex_lock(&s->lock);
        s->closed = true;
        s->ended = true;
        stream_queue_clear(&s->queue);
        pthread_cond_broadcast(&s->room);
        void (*fn)(void *) = s->on_end;
        void *arg = s->on_end_arg;
        s->on_end = NULL;
        pthread_mutex_unlock(&s->lock);
        if (s->cancelled)
                log_debug("stream %s: cancelled (client gone, deadline, cut off or shutdown)", s->path);
        if (fn)
                fn(arg);
}

static void *pump_main(void *arg) {
        struct stream_pump *p = arg;
        for (;;) {
                grpc_event ev = grpc_completion_queue_next(p->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
                if (ev.type == GRPC_QUEUE_SHUTDOWN)
                        break;
                if (ev.type != GRPC_OP_COMPLETE)
                        continue;
                struct stream_op *op = ev.tag;
                struct rpc_stream *s = op->s;
                if (op->kind == OP_SEND)
                        on_send_done(s, ev.success);
                else if (op->kind == OP_CLOSE)
                        on_close(s);
                rpc_stream_unref(s); /* the batch's reference */
        }
        return NULL;
}

static size_t env_size(const char *name, size_t dflt) {
        const char *v = getenv(name);
        if (!v || !*v)
                return dflt;
        char *end;
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        if (errno || *end || n == 0) {
                log_warn("ignoring %s=%s: not a positive number", name, v);
                return dflt;
        }
        return (size_t) n;
}

void stream_limits_from_env(struct stream_limits *l) {
        l->max_msgs = env_size("CRIC_STREAM_QUEUE_MSGS", 64);
        l->max_bytes = env_size("CRIC_STREAM_QUEUE_BYTES", 8u << 20);
        l->stall_ms = (unsigned) env_size("CRIC_STREAM_STALL_MS", 10000);
        l->page_size = env_size("CRIC_STREAM_PAGE_SIZE", 100);
}

static const struct cric_error shutting_down = {.kind = CRIC_E_UNAVAILABLE, .msg = (char *) "cricd is shutting down"};

void stream_keep(struct rpc_stream *s) {
        struct stream_pump *p = s->pump;
        pthread_mutex_lock(&p->lock);
        bool closing = p->is_closing;
        if (!closing && !rpc_stream_is_ended(s)) {
                s->kept_next = p->kept;
                if (p->kept)
                        p->kept->kept_prev = s;
                p->kept = rpc_stream_ref(s);
                s->is_kept = true;
        }
        pthread_mutex_unlock(&p->lock);
        if (closing)
                rpc_stream_finish(s, &shutting_down);
}

void stream_pump_end_kept(struct stream_pump *p) {
        pthread_mutex_lock(&p->lock);
        p->is_closing = true;
        size_t n = 0;
        for (struct rpc_stream *s = p->kept; s; s = s->kept_next)
                n++;
        struct rpc_stream **all = xcalloc(n ? n : 1, sizeof(*all));
        n = 0;
        for (struct rpc_stream *s = p->kept; s; s = s->kept_next)
                all[n++] = rpc_stream_ref(s);
        pthread_mutex_unlock(&p->lock);
        for (size_t i = 0; i < n; i++) {
                rpc_stream_finish(all[i], &shutting_down);
                rpc_stream_unref(all[i]);
        }
        free(all);
}

struct stream_pump *stream_pump_new(const struct stream_limits *l) {
        struct stream_pump *p = xzalloc(sizeof(*p));
        pthread_mutex_init(&p->lock, NULL);
        p->limits = *l;
        p->cq = grpc_completion_queue_create_for_next(NULL);
        return p;
}

grpc_completion_queue *stream_pump_cq(struct stream_pump *p) {
        return p->cq;
}

int stream_pump_start(struct stream_pump *p, struct cric_error **err) {
        int r = pthread_create(&p->thread, NULL, pump_main, p);
        if (r != 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, r, "start the grpc stream pump thread");
        p->started = true;
        return 0;
}

struct stream_pump *stream_pump_free(struct stream_pump *p) {
        if (!p)
                return NULL;
        grpc_completion_queue_shutdown(p->cq);
        if (p->started)
                pthread_join(p->thread, NULL);
        else
                while (grpc_completion_queue_next(p->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
                       GRPC_QUEUE_SHUTDOWN)
                        ;
        grpc_completion_queue_destroy(p->cq);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return NULL;
}
