/* The Stream* lists: the answer of the List counterpart, sent in pages.
 *
 * Each Stream*Request is wire-identical to its List*Request (field 1, the same filter
 * type), so the request is re-read as the List request and the List handler builds the
 * answer: the same filters, the same objects, no second conversion. Its one repeated
 * field is then sent in pages of rpc_stream_page_size() objects (100 by default), one
 * Stream*Response each, so no message on the wire grows with the number of objects.
 * An empty answer sends no message at all, then OK: a client reads until the end of
 * the stream (the kubelet's Recv loop until io.EOF) and gets an empty list. */
#include <stdlib.h>
#include <string.h>

#include "cri.pb-c.h"
#include "server/rpc.h"
#include "server/stream.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

struct stream_list {
        rpc_unary_fn list;
        const ProtobufCMessageDescriptor *list_request;
        const ProtobufCMessageDescriptor *page; /* the Stream*Response */
};

/* The message's one repeated message field (the list). */
static const ProtobufCFieldDescriptor *items_field(const ProtobufCMessageDescriptor *d) {
        for (unsigned i = 0; i < d->n_fields; i++)
                if (d->fields[i].label == PROTOBUF_C_LABEL_REPEATED && d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE)
                        return &d->fields[i];
        return NULL;
}

#define FIELD(msg, f, T) (*(T *) ((char *) (msg) + (f)))

/* req (a Stream*Request) re-read as the List request: the same bytes. */
static ProtobufCMessage *as_list_request(const ProtobufCMessage *req, const ProtobufCMessageDescriptor *d,
                                         const char *path, struct cric_error **err) {
        size_t len = protobuf_c_message_get_packed_size(req);
        AUTOFREE uint8_t *buf = xmalloc(len ? len : 1);
        protobuf_c_message_pack(req, buf);
        ProtobufCMessage *list_req = protobuf_c_message_unpack(d, NULL, len, buf);
        if (!list_req)
                cric_error_set(err, CRIC_E_INTERNAL, "%s: cannot read the request as %s", path, d->name);
        return list_req;
}

/* Sends items[0..n) in pages. */
static int send_pages(struct rpc_stream *stream, const struct stream_list *sl, void **items, size_t n,
                      struct cric_error **err) {
        const ProtobufCFieldDescriptor *f = items_field(sl->page);
        size_t per = rpc_stream_page_size(stream);
        AUTOFREE ProtobufCMessage *page = xzalloc(sl->page->sizeof_message);
        sl->page->message_init(page);
        for (size_t at = 0; at < n; at += per) {
                FIELD(page, f->quantifier_offset, size_t) = n - at < per ? n - at : per;
                FIELD(page, f->offset, void **) = items + at;
                if (rpc_stream_send(stream, page, RPC_STREAM_WAIT, err) < 0)
                        return -1;
        }
        return 0;
}

static int stream_list(struct rpc_ctx *ctx, const ProtobufCMessage *req, struct rpc_stream *stream,
                       const struct stream_list *sl, struct cric_error **err) {
        ProtobufCMessage *list_req = as_list_request(req, sl->list_request, ctx->method, err);
        if (!list_req)
                return -1;
        ProtobufCMessage *resp = NULL;
        int r = sl->list(ctx, list_req, &resp, err);
        protobuf_c_message_free_unpacked(list_req, NULL);
        if (r < 0)
                return -1;
        const ProtobufCFieldDescriptor *f = items_field(resp->descriptor);
        r = send_pages(stream, sl, FIELD(resp, f->offset, void **), FIELD(resp, f->quantifier_offset, size_t), err);
        if (!rpc_arena_is_used(ctx->arena)) /* else the arena goes with the call */
                protobuf_c_message_free_unpacked(resp, NULL);
        return r;
}

#define STREAM_LIST(fn, list_fn, req, page)                                                                            \
        int fn(struct rpc_ctx *ctx, const ProtobufCMessage *r, struct rpc_stream *s, struct cric_error **err) {        \
                static const struct stream_list sl = {list_fn, &runtime__v1__##req##__descriptor,                      \
                                                      &runtime__v1__##page##__descriptor};                             \
                return stream_list(ctx, r, s, &sl, err);                                                               \
        }

STREAM_LIST(rpc_stream_pod_sandboxes, rpc_list_pod_sandbox, list_pod_sandbox_request, stream_pod_sandboxes_response)
STREAM_LIST(rpc_stream_containers, rpc_list_containers, list_containers_request, stream_containers_response)
STREAM_LIST(rpc_stream_container_stats, rpc_list_container_stats, list_container_stats_request,
            stream_container_stats_response)
STREAM_LIST(rpc_stream_pod_sandbox_stats, rpc_list_pod_sandbox_stats, list_pod_sandbox_stats_request,
            stream_pod_sandbox_stats_response)
STREAM_LIST(rpc_stream_images, rpc_list_images, list_images_request, stream_images_response)
STREAM_LIST(rpc_stream_pod_sandbox_metrics, rpc_list_pod_sandbox_metrics, list_pod_sandbox_metrics_request,
            stream_pod_sandbox_metrics_response)
