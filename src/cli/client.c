/* cricctl's side of the CRI socket: endpoints, channels, one generic unary call and the
 * reading of server streams (collected into a List reply, or handed on message by message).
 *
 * Before the first call on an endpoint we connect() to the unix socket ourselves. gRPC
 * with wait-for-ready off would also fail fast, but only with "failed to connect to all
 * addresses"; our own probe gives the user the real errno (no such file, refused,
 * permission denied) and the endpoint it concerns. */
#include <errno.h>
#include <fcntl.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cli.h"
#include "pbwire/pbwire.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

#define MAX_MSG_SIZE         (16 * 1024 * 1024) /* crictl's limit for replies */
#define IMAGE_SERVICE_PREFIX "/runtime.v1.ImageService/"
#define STOP_POLL_MS         100 /* how often a stream's reader looks at its stop flag */

const char *cli_status_code_name(grpc_status_code code) {
        static const char *const names[] = {
                [GRPC_STATUS_OK] = "OK",
                [GRPC_STATUS_CANCELLED] = "Canceled",
                [GRPC_STATUS_UNKNOWN] = "Unknown",
                [GRPC_STATUS_INVALID_ARGUMENT] = "InvalidArgument",
                [GRPC_STATUS_DEADLINE_EXCEEDED] = "DeadlineExceeded",
                [GRPC_STATUS_NOT_FOUND] = "NotFound",
                [GRPC_STATUS_ALREADY_EXISTS] = "AlreadyExists",
                [GRPC_STATUS_PERMISSION_DENIED] = "PermissionDenied",
                [GRPC_STATUS_RESOURCE_EXHAUSTED] = "ResourceExhausted",
                [GRPC_STATUS_FAILED_PRECONDITION] = "FailedPrecondition",
                [GRPC_STATUS_ABORTED] = "Aborted",
                [GRPC_STATUS_OUT_OF_RANGE] = "OutOfRange",
                [GRPC_STATUS_UNIMPLEMENTED] = "Unimplemented",
                [GRPC_STATUS_INTERNAL] = "Internal",
                [GRPC_STATUS_UNAVAILABLE] = "Unavailable",
                [GRPC_STATUS_DATA_LOSS] = "DataLoss",
                [GRPC_STATUS_UNAUTHENTICATED] = "Unauthenticated",
        };
        if ((int) code < 0 || (size_t) code >= sizeof(names) / sizeof(names[0]) || !names[code])
                return "Unknown";
        return names[code];
}

/* The inverse of server/status.c, so commands can test err->kind (e.g. NOT_FOUND). */
static enum cric_error_kind kind_from_status(grpc_status_code code) {
        switch (code) {
        case GRPC_STATUS_INVALID_ARGUMENT:
        case GRPC_STATUS_OUT_OF_RANGE: return CRIC_E_INVALID;
        case GRPC_STATUS_NOT_FOUND: return CRIC_E_NOT_FOUND;
        case GRPC_STATUS_ALREADY_EXISTS: return CRIC_E_EXISTS;
        case GRPC_STATUS_UNAVAILABLE: return CRIC_E_UNAVAILABLE;
        case GRPC_STATUS_DEADLINE_EXCEEDED: return CRIC_E_TIMEOUT;
        case GRPC_STATUS_UNIMPLEMENTED: return CRIC_E_UNIMPLEMENTED;
        case GRPC_STATUS_PERMISSION_DENIED:
        case GRPC_STATUS_UNAUTHENTICATED: return CRIC_E_PERMISSION;
        case GRPC_STATUS_FAILED_PRECONDITION:
        case GRPC_STATUS_ABORTED: return CRIC_E_PRECONDITION;
        case GRPC_STATUS_RESOURCE_EXHAUSTED: return CRIC_E_RESOURCE;
        case GRPC_STATUS_CANCELLED: return CRIC_E_CANCELLED;
        default: return CRIC_E_INTERNAL;
        }
}

int cli_endpoint_parse(const char *endpoint, char **ret_endpoint, char **ret_path, struct cric_error **err) {
        const char *path;
        if (!strncmp(endpoint, "unix://", 7))
                path = endpoint + 7;
        else if (!strncmp(endpoint, "unix:", 5))
                path = endpoint + 5;
        else if (strstr(endpoint, "://"))
                return cric_error_set(err, CRIC_E_INVALID,
                                      "endpoint \"%s\": only unix sockets are supported (unix:///path/to/socket)",
                                      endpoint);
        else
                path = endpoint;
        if (!*path)
                return cric_error_set(err, CRIC_E_INVALID, "endpoint \"%s\" names no socket path", endpoint);
        if (strlen(path) >= sizeof(((struct sockaddr_un *) NULL)->sun_path))
                return cric_error_set(err, CRIC_E_INVALID, "endpoint \"%s\": socket path is too long", endpoint);
        /* grpc reads "unix:///abs" and "unix:rel" alike; the first is what users know. */
        *ret_endpoint = path[0] == '/' ? xasprintf("unix://%s", path) : xasprintf("unix:%s", path);
        *ret_path = xstrdup(path);
        return 0;
}

static int conn_set(struct cli_conn *c, const char *endpoint, struct cric_error **err) {
        char *canon = NULL, *path = NULL;
        if (cli_endpoint_parse(endpoint, &canon, &path, err) < 0)
                return -1;
        free(c->endpoint);
        free(c->socket_path);
        c->endpoint = canon;
        c->socket_path = path;
        return 0;
}

static const char *env_nonempty(const char *name) {
        const char *v = getenv(name);
        return v && *v ? v : NULL;
}

int cli_endpoints_set(struct cli *cli, const char *runtime_flag, const char *image_flag, struct cric_error **err) {
        const char *rt = runtime_flag ? runtime_flag : env_nonempty("CONTAINER_RUNTIME_ENDPOINT");
        if (!rt)
                rt = CLI_DEFAULT_ENDPOINT;
        if (conn_set(&cli->runtime, rt, err) < 0)
                return cric_error_prefix(err, "runtime endpoint");
        const char *img = image_flag ? image_flag : env_nonempty("IMAGE_SERVICE_ENDPOINT");
        if (conn_set(&cli->image, img ? img : rt, err) < 0)
                return cric_error_prefix(err, "image endpoint");
        return 0;
}

static void conn_clear(struct cli_conn *c) {
        if (c->channel)
                grpc_channel_destroy(c->channel);
        c->channel = NULL;
        free(c->endpoint);
        free(c->socket_path);
        c->endpoint = c->socket_path = NULL;
}

void cli_clear(struct cli *cli) {
        conn_clear(&cli->runtime);
        conn_clear(&cli->image);
        if (cli->has_grpc)
                grpc_shutdown_blocking();
        cli->has_grpc = false;
}

/* A plain connect() to the socket, to report the real reason it is unreachable. */
static int probe_socket(const struct cli_conn *c, struct cric_error **err) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        strncpy(sa.sun_path, c->socket_path, sizeof(sa.sun_path) - 1);
        AUTOCLOSE int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "socket");
        /* Non-blocking so a full accept backlog (EAGAIN) cannot hang us; gRPC retries that. */
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0 || errno == EAGAIN)
                return 0;
        int e = errno;
        const char *hint =
                e == EACCES || e == EPERM ? "are you allowed to use its socket (try as root)?" : "is cricd running?";
        cric_error_set(err, CRIC_E_UNAVAILABLE, "cannot connect to the runtime at %s: %s (connect: %s)", c->endpoint,
                       hint, strerror(e));
        if (err && *err)
                (*err)->errno_value = e;
        return -1;
}

static int conn_open(struct cli *cli, struct cli_conn *c, struct cric_error **err) {
        if (c->channel)
                return 0;
        if (probe_socket(c, err) < 0)
                return -1;
        /* Started on first use, so --help and usage errors never spin up gRPC's threads. */
        if (!cli->has_grpc)
                grpc_init();
        cli->has_grpc = true;
        grpc_arg args[] = {
                {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, .value.integer = MAX_MSG_SIZE},
                {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_SEND_MESSAGE_LENGTH, .value.integer = MAX_MSG_SIZE},
        };
        grpc_channel_args chargs = {.num_args = sizeof(args) / sizeof(args[0]), .args = args};
        grpc_channel_credentials *creds = grpc_insecure_credentials_create();
        c->channel = grpc_channel_create(c->endpoint, creds, &chargs);
        grpc_channel_credentials_release(creds);
        if (!c->channel)
                return cric_error_set(err, CRIC_E_INTERNAL, "cannot create a gRPC channel to %s", c->endpoint);
        log_debug("created a gRPC channel to %s", c->endpoint);
        return 0;
}

/* What one unary exchange brought back. */
struct unary_result {
        bool is_done; /* the batch completed; status is meaningful */
        grpc_status_code status;
        char *details;           /* gpr_malloc'd */
        grpc_byte_buffer *reply; /* NULL when the server sent no message */
};

static void unary_result_clear(struct unary_result *r) {
        gpr_free(r->details);
        if (r->reply)
                grpc_byte_buffer_destroy(r->reply);
        memset(r, 0, sizeof(*r));
}

static void cq_destroy(grpc_completion_queue *cq) {
        grpc_completion_queue_shutdown(cq);
        /* The batch was plucked already, so this returns the shutdown event. */
        grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        grpc_completion_queue_destroy(cq);
}

static gpr_timespec deadline_from_ms(int64_t timeout_ms) {
        if (timeout_ms <= 0)
                return gpr_inf_future(GPR_CLOCK_REALTIME);
        return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
}

static bool is_stop_set(const volatile sig_atomic_t *stop) {
        return stop && *stop;
}

/* Starts a batch and waits for it: -1 when it could not start, else whether it
 * succeeded. With stop, the wait wakes every STOP_POLL_MS to look at it (a signal
 * handler sets it; gRPC's own threads may have taken the signal, so no EINTR reaches
 * us) and cancels the call once it is set, which completes the batch. */
static int start_and_wait(grpc_call *call, grpc_completion_queue *cq, const grpc_op *ops, size_t n,
                          const volatile sig_atomic_t *stop) {
        void *tag = (void *) 1;
        if (grpc_call_start_batch(call, ops, n, tag, NULL) != GRPC_CALL_OK)
                return -1;
        bool is_cancelled = false;
        for (;;) {
                gpr_timespec until = stop ? deadline_from_ms(STOP_POLL_MS) : gpr_inf_future(GPR_CLOCK_REALTIME);
                grpc_event ev = grpc_completion_queue_pluck(cq, tag, until, NULL);
                if (ev.type != GRPC_QUEUE_TIMEOUT)
                        return ev.type == GRPC_OP_COMPLETE && ev.success;
                if (is_stop_set(stop) && !is_cancelled)
                        grpc_call_cancel(call, NULL);
                is_cancelled = is_stop_set(stop);
        }
}

/* How the messages of a server-streaming call are taken: each one goes to on_message
 * as it arrives; a negative return stops the reading and cancels the call, as does
 * *stop turning non-zero. */
struct stream_reader {
        int (*on_message)(grpc_byte_buffer *bb, void *arg);
        void *arg;
        const volatile sig_atomic_t *stop; /* may be NULL */
        bool is_stopped;                   /* the reading ended before the server's end */
};

static void read_stream(grpc_call *call, grpc_completion_queue *cq, struct stream_reader *rd) {
        while (!is_stop_set(rd->stop)) {
                grpc_byte_buffer *bb = NULL;
                grpc_op op = {.op = GRPC_OP_RECV_MESSAGE};
                op.data.recv_message.recv_message = &bb;
                if (start_and_wait(call, cq, &op, 1, rd->stop) <= 0 || !bb)
                        break;
                int r = rd->on_message(bb, rd->arg);
                grpc_byte_buffer_destroy(bb);
                if (r < 0) {
                        rd->is_stopped = true;
                        break;
                }
        }
        if (is_stop_set(rd->stop))
                rd->is_stopped = true;
        if (rd->is_stopped) /* the status batch then completes at once, CANCELLED */
                grpc_call_cancel(call, NULL);
}

/* The pages of a Stream* list are wire-identical to its List reply (one repeated field
 * 1), and protobuf merges concatenated messages by appending repeated fields, so the
 * pages joined end to end are the List reply. */
struct joined_pages {
        uint8_t *buf;
        size_t len;
};

static int join_page(grpc_byte_buffer *bb, void *arg) {
        struct joined_pages *j = arg;
        grpc_byte_buffer_reader reader;
        if (!grpc_byte_buffer_reader_init(&reader, bb))
                return 0;
        grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
        grpc_byte_buffer_reader_destroy(&reader);
        j->buf = xrealloc(j->buf, j->len + GRPC_SLICE_LENGTH(all) + 1);
        memcpy(j->buf + j->len, GRPC_SLICE_START_PTR(all), GRPC_SLICE_LENGTH(all));
        j->len += GRPC_SLICE_LENGTH(all);
        grpc_slice_unref(all);
        return 0;
}

static grpc_byte_buffer *joined_pages_take(struct joined_pages *j) {
        grpc_slice all = grpc_slice_from_copied_buffer((const char *) (j->buf ? j->buf : (uint8_t *) ""), j->len);
        grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&all, 1);
        grpc_slice_unref(all);
        free(j->buf);
        *j = (struct joined_pages){0};
        return bb;
}

/* One call: a unary one (rd NULL) in one batch; a server-streaming one sends the
 * request, reads every message through rd, then the status. The deadline is the
 * call's, so pluck waits forever (or polls rd->stop). */
static void run_call(grpc_channel *ch, const char *method_path, grpc_byte_buffer *req, gpr_timespec deadline,
                     struct stream_reader *rd, struct unary_result *res) {
        grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
        grpc_slice method = grpc_slice_from_copied_string(method_path);
        grpc_call *call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq, method, NULL, deadline, NULL);
        grpc_slice_unref(method);

        grpc_metadata_array initial_md, trailing_md;
        grpc_metadata_array_init(&initial_md);
        grpc_metadata_array_init(&trailing_md);
        grpc_slice details = grpc_empty_slice();
        grpc_op ops[6];
        memset(ops, 0, sizeof(ops));
        ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
        ops[1].op = GRPC_OP_SEND_MESSAGE;
        ops[1].data.send_message.send_message = req;
        ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
        ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
        ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
        ops[4].op = GRPC_OP_RECV_MESSAGE;
        ops[4].data.recv_message.recv_message = &res->reply;
        grpc_op *status = &ops[rd ? 4 : 5];
        status->op = GRPC_OP_RECV_STATUS_ON_CLIENT;
        status->data.recv_status_on_client.trailing_metadata = &trailing_md;
        status->data.recv_status_on_client.status = &res->status;
        status->data.recv_status_on_client.status_details = &details;

        const volatile sig_atomic_t *stop = rd ? rd->stop : NULL;
        if (call && rd && start_and_wait(call, cq, ops, 4, stop) >= 0) /* a failure shows in the status */
                read_stream(call, cq, rd);
        if (call)
                res->is_done = rd ? start_and_wait(call, cq, status, 1, NULL) >= 0
                                  : start_and_wait(call, cq, ops, 6, NULL) >= 0;
        if (res->is_done)
                res->details = grpc_slice_to_c_string(details);
        grpc_slice_unref(details);
        grpc_metadata_array_destroy(&initial_md);
        grpc_metadata_array_destroy(&trailing_md);
        if (call)
                grpc_call_unref(call);
        cq_destroy(cq);
}

static const char *method_name(const char *method_path) {
        const char *slash = strrchr(method_path, '/');
        return slash ? slash + 1 : method_path;
}

static void log_message(const char *method, const char *what, const ProtobufCMessage *msg) {
        if (!log_enabled(LOG_LEVEL_DEBUG))
                return;
        AUTOFREE char *json = cli_proto_to_compact_json(msg);
        log_debug("%s %s: %s", method, what, json);
}

/* The call's end as an error (-1) unless it completed with OK. */
static int status_check(const char *name, const struct unary_result *res, struct cric_error **err) {
        if (!res->is_done)
                return cric_error_set(err, CRIC_E_INTERNAL, "%s failed: the gRPC call could not be started", name);
        if (res->status != GRPC_STATUS_OK)
                return cric_error_set(err, kind_from_status(res->status), "%s failed: rpc error: code = %s desc = %s",
                                      name, cli_status_code_name(res->status), res->details ? res->details : "");
        return 0;
}

static ProtobufCMessage *unary_reply(const char *name, const struct unary_result *res,
                                     const ProtobufCMessageDescriptor *resp_desc, struct cric_error **err) {
        if (status_check(name, res, err) < 0)
                return NULL;
        if (!res->reply) {
                cric_error_set(err, CRIC_E_INTERNAL, "%s failed: the runtime sent no reply message", name);
                return NULL;
        }
        ProtobufCMessage *resp = pbwire_decode(resp_desc, res->reply);
        if (!resp)
                cric_error_set(err, CRIC_E_INTERNAL, "%s failed: cannot decode the reply as %s", name, resp_desc->name);
        return resp;
}

/* Connects (first use) to the endpoint serving method_path and runs one call of it. */
static int exchange(struct cli *cli, const char *method_path, const ProtobufCMessage *req, int64_t timeout_ms,
                    struct stream_reader *rd, struct unary_result *res, struct cric_error **err) {
        if (!cli->runtime.endpoint && cli_endpoints_set(cli, NULL, NULL, err) < 0)
                return -1;
        /* One channel when both services live on the same socket, as they usually do. */
        bool is_image = !strncmp(method_path, IMAGE_SERVICE_PREFIX, strlen(IMAGE_SERVICE_PREFIX)) &&
                        strcmp(cli->image.endpoint, cli->runtime.endpoint);
        struct cli_conn *c = is_image ? &cli->image : &cli->runtime;
        if (conn_open(cli, c, err) < 0)
                return -1;
        log_message(method_name(method_path), "request", req);
        grpc_byte_buffer *req_bb = pbwire_encode(req);
        run_call(c->channel, method_path, req_bb, deadline_from_ms(timeout_ms), rd, res);
        grpc_byte_buffer_destroy(req_bb);
        return 0;
}

static int call(struct cli *cli, const char *method_path, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *resp_desc, int64_t timeout_ms, bool is_stream,
                ProtobufCMessage **ret_resp, struct cric_error **err) {
        const char *name = method_name(method_path);
        struct unary_result res = {0};
        struct joined_pages pages = {0};
        struct stream_reader rd = {.on_message = join_page, .arg = &pages};
        if (exchange(cli, method_path, req, timeout_ms, is_stream ? &rd : NULL, &res, err) < 0)
                return -1;
        if (is_stream)
                res.reply = joined_pages_take(&pages);

        ProtobufCMessage *resp = unary_reply(name, &res, resp_desc, err);
        unary_result_clear(&res);
        if (!resp)
                return -1;
        log_message(name, "response", resp);
        *ret_resp = resp;
        return 0;
}

int cli_call(struct cli *cli, const char *method_path, const ProtobufCMessage *req,
             const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **ret_resp, struct cric_error **err) {
        return cli_call_timeout(cli, method_path, req, resp_desc, cli->timeout_ms, ret_resp, err);
}

int cli_call_timeout(struct cli *cli, const char *method_path, const ProtobufCMessage *req,
                     const ProtobufCMessageDescriptor *resp_desc, int64_t timeout_ms, ProtobufCMessage **ret_resp,
                     struct cric_error **err) {
        return call(cli, method_path, req, resp_desc, timeout_ms, false, ret_resp, err);
}

int cli_call_list(struct cli *cli, const char *list_path, const char *stream_path, const ProtobufCMessage *req,
                  const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **ret_resp, struct cric_error **err) {
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (call(cli, stream_path, req, resp_desc, cli->timeout_ms, true, ret_resp, &e) == 0)
                return 0;
        if (e->kind != CRIC_E_UNIMPLEMENTED)
                return cric_error_move(err, &e);
        log_debug("%s: %s, falling back to %s", method_name(stream_path), e->msg, method_name(list_path));
        return cli_call(cli, list_path, req, resp_desc, ret_resp, err);
}

/* What cli_call_stream's reader needs to decode and hand on each message. */
struct stream_sink {
        const char *name;
        const ProtobufCMessageDescriptor *desc;
        cli_stream_fn on_message;
        void *arg;
        struct cric_error *err; /* why the reading stopped early, if it did */
};

static int sink_message(grpc_byte_buffer *bb, void *arg) {
        struct stream_sink *s = arg;
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = pbwire_decode(s->desc, bb);
        if (!msg)
                return cric_error_set(&s->err, CRIC_E_INTERNAL, "%s failed: cannot decode a message as %s", s->name,
                                      s->desc->name);
        log_message(s->name, "message", msg);
        return s->on_message(msg, s->arg, &s->err);
}

int cli_call_stream(struct cli *cli, const char *method_path, const ProtobufCMessage *req,
                    const ProtobufCMessageDescriptor *resp_desc, cli_stream_fn on_message, void *arg,
                    const volatile sig_atomic_t *stop, struct cric_error **err) {
        struct stream_sink sink = {
                .name = method_name(method_path), .desc = resp_desc, .on_message = on_message, .arg = arg};
        struct stream_reader rd = {.on_message = sink_message, .arg = &sink, .stop = stop};
        struct unary_result res = {0};
        if (exchange(cli, method_path, req, 0, &rd, &res, err) < 0)
                return -1;
        int r = 0;
        if (sink.err)
                r = cric_error_move(err, &sink.err);
        else if (rd.is_stopped)
                r = 1;
        else if (status_check(sink.name, &res, err) < 0)
                r = -1;
        else
                log_debug("%s: the runtime ended the stream with OK", sink.name);
        unary_result_clear(&res);
        return r;
}
