/* What a CRI handler sees: the call context and the method table. Private to server/. */
#ifndef CRIC_SERVER_RPC_H
#define CRIC_SERVER_RPC_H

#include <grpc/grpc.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>

#include "config/config.h"
#include "server/server.h"
#include "util/error.h"

struct rpc_arena;

struct rpc_ctx {
        const char *method;      /* full path, e.g. "/runtime.v1.RuntimeService/Version" */
        struct cric_config *cfg; /* the snapshot this call started with */
        gpr_timespec deadline;   /* the client's deadline (infinite when none) */
        const struct server_deps *deps;
        struct rpc_arena *arena; /* the reply's memory, see rpc_alloc */
};

/* The memory of a reply built in one piece: zeroed memory (and string copies) that
 * live until the reply is sent, then go at once. A handler builds its whole reply
 * either this way or with malloc (freed by protobuf_c_message_free_unpacked), never
 * mixing the two: the server frees the arena instead of the message when it was used.
 * Replies of thousands of small messages (List calls) cost no malloc/free each. */
void *rpc_alloc(struct rpc_ctx *ctx, size_t n);
char *rpc_strdup(struct rpc_ctx *ctx, const char *s);
#define RPC_NEW(ctx, T) ((T *) rpc_alloc((ctx), sizeof(T)))
struct rpc_arena *rpc_arena_new(void);
/* Whether anything was allocated from it. */
bool rpc_arena_is_used(const struct rpc_arena *a);
void rpc_arena_free(struct rpc_arena *a);

/* A unary handler: on success *ret_resp is a heap message (every string, array and
 * sub-message malloc'd, or left at its default) freed by the caller with
 * protobuf_c_message_free_unpacked. On failure the error kind picks the gRPC status. */
typedef int (*rpc_unary_fn)(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                            struct cric_error **err);

struct rpc_stream;

/* A server-streaming handler (see server/stream.h): sends its messages with
 * rpc_stream_send. Returns 0 when done (the server finishes the stream with OK),
 * RPC_STREAM_KEPT when it took a reference and finishes the stream later itself, or
 * -1 with err (the server finishes the stream with err's status after the messages
 * already queued). */
typedef int (*rpc_stream_fn)(struct rpc_ctx *ctx, const ProtobufCMessage *req, struct rpc_stream *stream,
                             struct cric_error **err);

struct rpc_method {
        const char *path;
        const ProtobufCMessageDescriptor *request;
        rpc_unary_fn handler; /* NULL: answers UNIMPLEMENTED */
        bool server_streaming;
        rpc_stream_fn stream_handler; /* server_streaming only; NULL: UNIMPLEMENTED */
};

/* The 41 RPCs of runtime.v1 RuntimeService and ImageService. */
const struct rpc_method *rpc_method_find(const char *path);
size_t rpc_method_count(void);
const struct rpc_method *rpc_method_at(size_t i);

/* A handler that returned success must not leave an error behind: a bug. Debug builds
 * (NDEBUG undefined) abort naming the method and the error; release builds log it at
 * error level and free it. */
void rpc_check_no_error_left(const char *method, struct cric_error **err);

/* Every string field of req (nested messages, repeated fields and maps included) is
 * well-formed UTF-8; CRIC_E_INVALID naming the field ("config.labels[0].value is not
 * valid UTF-8") otherwise. */
int rpc_check_utf8(const ProtobufCMessage *req, struct cric_error **err);

/* Error kind -> gRPC status code, in one place. */
grpc_status_code rpc_status_from_kind(enum cric_error_kind kind);

/* Handlers (runtime_info.c) */
int rpc_version(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp, struct cric_error **err);
int rpc_status(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp, struct cric_error **err);
int rpc_update_runtime_config(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                              struct cric_error **err);
int rpc_runtime_config(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                       struct cric_error **err);

/* Handlers (image_*.c) */
int rpc_list_images(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                    struct cric_error **err);
int rpc_image_status(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                     struct cric_error **err);
int rpc_pull_image(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                   struct cric_error **err);
int rpc_remove_image(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                     struct cric_error **err);
int rpc_image_fs_info(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                      struct cric_error **err);

/* Handlers (pod_*.c) */
int rpc_run_pod_sandbox(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                        struct cric_error **err);
int rpc_stop_pod_sandbox(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                         struct cric_error **err);
int rpc_remove_pod_sandbox(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                           struct cric_error **err);
int rpc_pod_sandbox_status(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                           struct cric_error **err);
int rpc_list_pod_sandbox(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                         struct cric_error **err);
/* pod_resize.c */
int rpc_update_pod_sandbox_resources(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                                     struct cric_error **err);
/* checkpoint.c: always UNIMPLEMENTED, saying why */
int rpc_checkpoint_container(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                             struct cric_error **err);

/* Handlers (ctr_*.c, stats.c) */
int rpc_create_container(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                         struct cric_error **err);
int rpc_start_container(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                        struct cric_error **err);
int rpc_stop_container(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                       struct cric_error **err);
int rpc_remove_container(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                         struct cric_error **err);
int rpc_list_containers(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                        struct cric_error **err);
int rpc_container_status(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                         struct cric_error **err);
int rpc_update_container_resources(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                                   struct cric_error **err);
int rpc_reopen_container_log(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                             struct cric_error **err);
int rpc_exec_sync(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                  struct cric_error **err);
/* Handlers (streaming.c) */
int rpc_exec(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp, struct cric_error **err);
int rpc_attach(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp, struct cric_error **err);
int rpc_port_forward(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                     struct cric_error **err);
int rpc_container_stats(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                        struct cric_error **err);
int rpc_list_container_stats(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                             struct cric_error **err);
int rpc_pod_sandbox_stats(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                          struct cric_error **err);
int rpc_list_pod_sandbox_stats(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                               struct cric_error **err);

/* Handlers (metrics.c) */
int rpc_list_metric_descriptors(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                                struct cric_error **err);
int rpc_list_pod_sandbox_metrics(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                                 struct cric_error **err);

/* Streaming handlers (stream_list.c): the List calls' answers in pages. */
int rpc_stream_pod_sandboxes(struct rpc_ctx *ctx, const ProtobufCMessage *req, struct rpc_stream *stream,
                             struct cric_error **err);
int rpc_stream_containers(struct rpc_ctx *ctx, const ProtobufCMessage *req, struct rpc_stream *stream,
                          struct cric_error **err);
int rpc_stream_container_stats(struct rpc_ctx *ctx, const ProtobufCMessage *req, struct rpc_stream *stream,
                               struct cric_error **err);
int rpc_stream_pod_sandbox_stats(struct rpc_ctx *ctx, const ProtobufCMessage *req, struct rpc_stream *stream,
                                 struct cric_error **err);
int rpc_stream_images(struct rpc_ctx *ctx, const ProtobufCMessage *req, struct rpc_stream *stream,
                      struct cric_error **err);
int rpc_stream_pod_sandbox_metrics(struct rpc_ctx *ctx, const ProtobufCMessage *req, struct rpc_stream *stream,
                                   struct cric_error **err);
/* GetContainerEvents (events.c): kept open, fed by the runtime's events. */
int rpc_get_container_events(struct rpc_ctx *ctx, const ProtobufCMessage *req, struct rpc_stream *stream,
                             struct cric_error **err);

#endif
