/* GetContainerEvents (the kubelet's Evented PLEG): a subscription to the runtime's
 * events feeding the call's stream. No worker waits on it: the runtime's events thread
 * sends each event (RPC_STREAM_NOWAIT), and a client that stops reading is cut off with
 * RESOURCE_EXHAUSTED by the stream; its end (that, a cancel, shutdown) unsubscribes. */
#include <stdlib.h>

#include "cri.pb-c.h"
#include "server/reply.h"
#include "server/rpc.h"
#include "server/stream.h"
#include "util/log.h"
#include "util/xalloc.h"

#define METHOD "/runtime.v1.RuntimeService/GetContainerEvents"

struct events_sub {
        struct rpc_stream *stream;
        struct runtime *rt;
        const struct server_deps *deps;
        struct runtime_subscription *sub;
};

static Runtime__V1__ContainerEventType event_type(enum runtime_event_type t) {
        switch (t) {
        case RUNTIME_EVENT_CREATED: return RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_CREATED_EVENT;
        case RUNTIME_EVENT_STARTED: return RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_STARTED_EVENT;
        case RUNTIME_EVENT_STOPPED: return RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_STOPPED_EVENT;
        case RUNTIME_EVENT_DELETED: return RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_DELETED_EVENT;
        }
        return RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_CREATED_EVENT;
}

static void on_event(void *arg, const struct runtime_event *ev) {
        struct events_sub *s = arg;
        if (rpc_stream_is_ended(s->stream))
                return;
        struct rpc_ctx ctx = {.method = METHOD, .deps = s->deps, .arena = rpc_arena_new()};
        Runtime__V1__ContainerEventResponse *m = reply_new(&ctx, &runtime__v1__container_event_response__descriptor);
        m->container_id = rpc_strdup(&ctx, ev->id);
        m->container_event_type = event_type(ev->type);
        m->created_at = ev->at_ns;
        m->pod_sandbox_status = reply_pod_status(&ctx, &ev->pod);
        m->containers_statuses = rpc_alloc(&ctx, (ev->n_ctrs + 1) * sizeof(*m->containers_statuses));
        for (size_t i = 0; i < ev->n_ctrs; i++)
                m->containers_statuses[i] = reply_ctr_status(&ctx, &ev->ctrs[i]);
        m->n_containers_statuses = ev->n_ctrs;
        struct cric_error *err = NULL;
        if (rpc_stream_send(s->stream, &m->base, RPC_STREAM_NOWAIT, &err) < 0) {
                if (err->kind == CRIC_E_RESOURCE)
                        log_warn("%s: %s", METHOD, err->msg);
                cric_error_free(err);
        }
        rpc_arena_free(ctx.arena);
}

/* The runtime is done with the subscription: nothing calls on_event any more. */
static void on_release(void *arg) {
        struct events_sub *s = arg;
        rpc_stream_unref(s->stream);
        free(s);
}

/* The call is over: the subscription ends (on the events thread, which releases it). */
static void on_end(void *arg) {
        struct events_sub *s = arg;
        runtime_events_unsubscribe(s->rt, s->sub); /* s may be gone once this returns */
}

int rpc_get_container_events(struct rpc_ctx *ctx, const ProtobufCMessage *req, struct rpc_stream *stream,
                             struct cric_error **err) {
        (void) req;
        (void) err;
        struct events_sub *s = xzalloc(sizeof(*s));
        s->stream = rpc_stream_ref(stream);
        rpc_stream_bound_by_bytes(stream);
        s->rt = ctx->deps->runtime;
        s->deps = ctx->deps;
        s->sub = runtime_events_subscribe(s->rt, on_event, on_release, s);
        rpc_stream_on_end(stream, on_end, s);
        return RPC_STREAM_KEPT;
}
