/* gRPC transport on grpc core.
 *
 * One acceptor thread owns the server completion queue: it keeps a few
 * grpc_server_request_call() outstanding and hands each new call to the worker pool.
 * Each call gets its own pluck completion queue, so a worker drives its call with
 * plain blocking batches (receive, handle, send) and never shares a queue with
 * another call. The pool grows when no worker is idle, up to grpc_max_workers, so a
 * call that blocks (a slow client, a long ExecSync) holds one thread, not the server.
 *
 * Server-streaming methods are registered with grpc, so their calls come bound to
 * the stream pump's completion queue instead (stream.c): the handler runs on a
 * worker, queues its messages, and the pump thread sends them. */
#include <errno.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "metrics/metrics.h"
#include "pbwire/pbwire.h"
#include "server/pool.h"
#include "server/rpc.h"
#include "server/server.h"
#include "server/stream.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

#define OUTSTANDING_REQUESTS 8

struct call_slot {
        struct cric_server *srv;
        grpc_call *call;
        grpc_call_details details;
        grpc_metadata_array request_md;
        grpc_completion_queue *cq; /* pluck queue bound to this call; NULL for a stream */
        /* A registered (server-streaming) call: its method and first message. */
        const struct rpc_method *stream_method;
        size_t method_index;
        grpc_byte_buffer *payload;
};

struct cric_server {
        grpc_server *server;
        grpc_completion_queue *server_cq;
        char *socket_path;
        pthread_t acceptor;
        bool acceptor_started;
        struct worker_pool *pool;
        struct server_deps deps;
        struct stream_pump *pump;
        void **registered;    /* grpc's handle per method index; NULL: not streaming */
        atomic_ulong n_calls; /* calls begun, for server_calls */

        pthread_mutex_t lock;
        pthread_cond_t cond;
        struct cric_config *cfg; /* guarded by lock */
        bool shutting_down;
        bool shutdown_done;
        int shutdown_tag; /* its address is the tag */
};

static struct cric_config *server_get_config(struct cric_server *srv) {
        pthread_mutex_lock(&srv->lock);
        struct cric_config *cfg = config_ref(srv->cfg);
        pthread_mutex_unlock(&srv->lock);
        return cfg;
}

unsigned long server_calls(struct cric_server *srv) {
        return atomic_load_explicit(&srv->n_calls, memory_order_relaxed);
}

void server_set_config(struct cric_server *srv, struct cric_config *cfg) {
        config_ref(cfg);
        pthread_mutex_lock(&srv->lock);
        struct cric_config *old = srv->cfg;
        srv->cfg = cfg;
        pthread_mutex_unlock(&srv->lock);
        config_unref(old);
}

static struct call_slot *slot_free(struct call_slot *slot) {
        if (!slot)
                return NULL;
        if (slot->call)
                grpc_call_unref(slot->call);
        grpc_call_details_destroy(&slot->details);
        grpc_metadata_array_destroy(&slot->request_md);
        if (slot->payload)
                grpc_byte_buffer_destroy(slot->payload);
        if (slot->cq) {
                grpc_completion_queue_shutdown(slot->cq);
                /* Every batch was plucked already, so this returns the shutdown event. */
                grpc_completion_queue_pluck(slot->cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
                grpc_completion_queue_destroy(slot->cq);
        }
        free(slot);
        return NULL;
}

static int request_one_call(struct cric_server *srv) {
        struct call_slot *slot = xzalloc(sizeof(*slot));
        slot->srv = srv;
        grpc_call_details_init(&slot->details);
        grpc_metadata_array_init(&slot->request_md);
        slot->cq = grpc_completion_queue_create_for_pluck(NULL);
        grpc_call_error e = grpc_server_request_call(srv->server, &slot->call, &slot->details, &slot->request_md,
                                                     slot->cq, srv->server_cq, slot);
        if (e != GRPC_CALL_OK) {
                slot_free(slot);
                return -1;
        }
        return 0;
}

/* Asks grpc for the next call of streaming method i, bound to the pump's queue. */
static int request_stream_call(struct cric_server *srv, size_t i) {
        struct call_slot *slot = xzalloc(sizeof(*slot));
        slot->srv = srv;
        slot->stream_method = rpc_method_at(i);
        slot->method_index = i;
        grpc_call_details_init(&slot->details);
        grpc_metadata_array_init(&slot->request_md);
        grpc_call_error e = grpc_server_request_registered_call(
                srv->server, srv->registered[i], &slot->call, &slot->details.deadline, &slot->request_md,
                &slot->payload, stream_pump_cq(srv->pump), srv->server_cq, slot);
        if (e != GRPC_CALL_OK) {
                slot_free(slot);
                return -1;
        }
        return 0;
}

/* Runs one batch on the call's own queue and waits for it. */
static bool run_batch(struct call_slot *slot, const grpc_op *ops, size_t n, void *tag) {
        if (grpc_call_start_batch(slot->call, ops, n, tag, NULL) != GRPC_CALL_OK)
                return false;
        grpc_event ev = grpc_completion_queue_pluck(slot->cq, tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        return ev.type == GRPC_OP_COMPLETE && ev.success;
}

static grpc_byte_buffer *receive_message(struct call_slot *slot, bool *ok) {
        grpc_byte_buffer *bb = NULL;
        grpc_op op = {.op = GRPC_OP_RECV_MESSAGE};
        op.data.recv_message.recv_message = &bb;
        *ok = run_batch(slot, &op, 1, (void *) 1);
        return bb;
}

/* A handler that returned success must not leave an error behind: it failed but
 * returned the wrong value, or it set an error on a path that went on and forgot to
 * drop it. Either way that is a bug in the handler. Debug builds (NDEBUG undefined, as
 * in the debugoptimized build the integration suite runs) abort naming the method and
 * the error; release builds log it at error level, free it and answer OK. Not static:
 * tests/unit/server/test_grpc_server.c calls it. */
void rpc_check_no_error_left(const char *method, struct cric_error **err) {
        if (!err || !*err)
                return;
#ifndef NDEBUG
        log_error("BUG: rpc %s succeeded but left an error behind: %s", method, (*err)->msg);
        abort();
#else
        log_error("BUG: rpc %s succeeded but left an error behind, dropping it: %s", method, (*err)->msg);
        cric_error_freep(err);
#endif
}

/* The request of method m, decoded and checked (or NULL with err). */
static ProtobufCMessage *decode_request(const struct rpc_method *m, const char *path, grpc_byte_buffer *req_bb,
                                        struct cric_error **err) {
        if (!req_bb) {
                cric_error_set(err, CRIC_E_INVALID, "%s: the request message is missing", path);
                return NULL;
        }
        ProtobufCMessage *req = pbwire_decode(m->request, req_bb);
        if (!req) {
                cric_error_set(err, CRIC_E_INVALID, "%s: cannot decode the request as %s", path, m->request->name);
                return NULL;
        }
        if (rpc_check_utf8(req, err) < 0) {
                protobuf_c_message_free_unpacked(req, NULL);
                cric_error_prefix(err, "%s", path);
                return NULL;
        }
        return req;
}

/* Decodes the request, runs the handler and returns the response (or NULL with err). */
static ProtobufCMessage *dispatch(struct call_slot *slot, const char *path, grpc_byte_buffer *req_bb,
                                  struct rpc_arena *arena, const struct rpc_method **ret_method,
                                  struct cric_error **err) {
        const struct rpc_method *m = rpc_method_find(path);
        *ret_method = m;
        if (!m) {
                cric_error_set(err, CRIC_E_UNIMPLEMENTED, "unknown method %s", path);
                return NULL;
        }
        if (!m->handler) {
                cric_error_set(err, CRIC_E_UNIMPLEMENTED, "method %s is not implemented yet by cric", path);
                return NULL;
        }
        ProtobufCMessage *req = decode_request(m, path, req_bb, err);
        if (!req)
                return NULL;
        struct rpc_ctx ctx = {.method = path,
                              .cfg = server_get_config(slot->srv),
                              .deadline = slot->details.deadline,
                              .deps = &slot->srv->deps,
                              .arena = arena};
        ProtobufCMessage *resp = NULL;
        if (m->handler(&ctx, req, &resp, err) < 0) {
                resp = NULL;
                if (err && !*err) /* a bug too, but the client must not read it as OK */
                        cric_error_set(err, CRIC_E_INTERNAL, "%s failed without an error message", path);
        } else {
                rpc_check_no_error_left(path, err);
        }
        protobuf_c_message_free_unpacked(req, NULL);
        config_unref(ctx.cfg);
        return resp;
}

static void send_reply(struct call_slot *slot, const ProtobufCMessage *resp, const struct cric_error *err) {
        grpc_op ops[4];
        memset(ops, 0, sizeof(ops));
        size_t n = 0;
        grpc_byte_buffer *resp_bb = resp ? pbwire_encode(resp) : NULL;
        grpc_slice details = grpc_slice_from_copied_string(err ? err->msg : "");
        int cancelled = 0;

        ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
        if (resp_bb) {
                ops[n].op = GRPC_OP_SEND_MESSAGE;
                ops[n++].data.send_message.send_message = resp_bb;
        }
        ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
        ops[n].data.send_status_from_server.status = err ? rpc_status_from_kind(err->kind) : GRPC_STATUS_OK;
        ops[n++].data.send_status_from_server.status_details = &details;
        ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
        ops[n++].data.recv_close_on_server.cancelled = &cancelled;

        if (!run_batch(slot, ops, n, (void *) 2))
                log_debug("rpc: sending the reply failed (client gone?)");
        grpc_slice_unref(details);
        if (resp_bb)
                grpc_byte_buffer_destroy(resp_bb);
}

static double elapsed_ms(const struct timespec *start) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double) (now.tv_sec - start->tv_sec) * 1e3 + (double) (now.tv_nsec - start->tv_nsec) / 1e6;
}

/* Counts the call and its latency by method and status code (metrics/metrics.h); m NULL:
 * a method cric does not know. */
static void record_result(const struct rpc_method *m, const struct cric_error *err, const struct timespec *start) {
        if (!metrics_enabled())
                return;
        size_t index = m ? (size_t) (m - rpc_method_at(0)) : rpc_method_count();
        const char *name = m ? strrchr(m->path, '/') + 1 : "unknown";
        int code = err ? (int) rpc_status_from_kind(err->kind) : GRPC_STATUS_OK;
        metrics_rpc_done(index, name, code, elapsed_ms(start) / 1e3);
}

static void log_result(const char *path, const struct cric_error *err, const struct timespec *start) {
        if (!err) {
                log_debug("rpc %s ok (%.3f ms)", path, elapsed_ms(start));
                return;
        }
        enum log_level level = LOG_LEVEL_INFO;
        if (err->kind == CRIC_E_INTERNAL)
                level = LOG_LEVEL_ERROR;
        else if (err->kind == CRIC_E_UNIMPLEMENTED || err->kind == CRIC_E_NOT_FOUND)
                level = LOG_LEVEL_DEBUG;
        if (log_enabled(level))
                log_msg(level, "rpc %s failed (%s): %s", path, cric_error_kind_name(err->kind), err->msg);
}

/* Runs the stream handler of a streaming call; returns what the handler returned. */
static int run_stream_handler(struct call_slot *slot, const char *path, struct rpc_stream *stream,
                              struct cric_error **err) {
        const struct rpc_method *m = slot->stream_method;
        if (!m->stream_handler)
                return cric_error_set(err, CRIC_E_UNIMPLEMENTED, "method %s is not implemented yet by cric", path);
        ProtobufCMessage *req = decode_request(m, path, slot->payload, err);
        if (!req)
                return -1;
        struct rpc_ctx ctx = {.method = path,
                              .cfg = server_get_config(slot->srv),
                              .deadline = slot->details.deadline,
                              .deps = &slot->srv->deps,
                              .arena = rpc_arena_new()};
        int r = m->stream_handler(&ctx, req, stream, err);
        if (r < 0 && err && !*err)
                cric_error_set(err, CRIC_E_INTERNAL, "%s failed without an error message", path);
        else if (r >= 0)
                rpc_check_no_error_left(path, err);
        protobuf_c_message_free_unpacked(req, NULL);
        rpc_arena_free(ctx.arena);
        config_unref(ctx.cfg);
        return r;
}

/* Serves a server-streaming call: the handler queues, the pump sends. */
static void handle_stream_call(struct call_slot *slot, const char *path, const struct timespec *start) {
        struct rpc_stream *stream = stream_begin(slot->srv->pump, slot->call, path);
        slot->call = NULL; /* the stream owns it now */
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        int r = run_stream_handler(slot, path, stream, &err);
        if (r == RPC_STREAM_KEPT)
                stream_keep(stream);
        else
                rpc_stream_finish(stream, r < 0 ? err : NULL);
        record_result(slot->stream_method, r < 0 ? err : NULL, start);
        log_result(path, err, start);
        rpc_stream_unref(stream);
        slot_free(slot);
}

/* Worker pool entry point: serves one call from start to end. */
static void handle_call(void *arg) {
        struct call_slot *slot = arg;
        atomic_fetch_add_explicit(&slot->srv->n_calls, 1, memory_order_relaxed);
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        AUTOFREE char *path = grpc_slice_to_c_string(slot->details.method);
        if (slot->stream_method) {
                handle_stream_call(slot, slot->stream_method->path, &start);
                return;
        }
        log_trace("rpc %s: started", path);

        bool ok;
        grpc_byte_buffer *req_bb = receive_message(slot, &ok);
        if (!ok) {
                /* The client went away or the transport refused the message (for
                 * instance over the size limit); grpc has already set the status. */
                log_debug("rpc %s: receiving the request failed", path);
                if (req_bb)
                        grpc_byte_buffer_destroy(req_bb);
                grpc_call_cancel(slot->call, NULL); /* nothing to answer: end the call */
                slot_free(slot);
                return;
        }
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct rpc_arena *arena = rpc_arena_new();
        const struct rpc_method *m = NULL;
        ProtobufCMessage *resp = dispatch(slot, path, req_bb, arena, &m, &err);
        if (req_bb)
                grpc_byte_buffer_destroy(req_bb);
        /* Counted before the reply leaves: a client that scrapes the metrics right after
         * its answer finds the call there. */
        record_result(m, err, &start);
        send_reply(slot, resp, err);
        log_result(path, err, &start);
        if (resp && !rpc_arena_is_used(arena))
                protobuf_c_message_free_unpacked(resp, NULL);
        rpc_arena_free(arena);
        slot_free(slot);
}

static void *acceptor_main(void *arg) {
        struct cric_server *srv = arg;
        for (;;) {
                grpc_event ev = grpc_completion_queue_next(srv->server_cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
                if (ev.type == GRPC_QUEUE_SHUTDOWN)
                        break;
                if (ev.type != GRPC_OP_COMPLETE)
                        continue;
                if (ev.tag == &srv->shutdown_tag) {
                        pthread_mutex_lock(&srv->lock);
                        srv->shutdown_done = true;
                        pthread_cond_broadcast(&srv->cond);
                        pthread_mutex_unlock(&srv->lock);
                        continue;
                }
                struct call_slot *slot = ev.tag;
                if (!ev.success) { /* the server is shutting down */
                        slot_free(slot);
                        continue;
                }
                bool is_stream = slot->stream_method != NULL;
                size_t index = slot->method_index;
                pool_submit(srv->pool, handle_call, slot);
                pthread_mutex_lock(&srv->lock);
                bool stopping = srv->shutting_down;
                pthread_mutex_unlock(&srv->lock);
                if (!stopping && (is_stream ? request_stream_call(srv, index) : request_one_call(srv)) < 0)
                        log_error("grpc: cannot request a new call, the server may stop answering");
        }
        return NULL;
}

static int check_stale_socket(const char *path, struct cric_error **err) {
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(addr.sun_path))
                return cric_error_set(err, CRIC_E_INVALID, "socket path %s is too long (max %zu bytes)", path,
                                      sizeof(addr.sun_path) - 1);
        strcpy(addr.sun_path, path);
        struct stat st;
        if (lstat(path, &st) < 0)
                return 0;
        if (!S_ISSOCK(st.st_mode))
                return cric_error_set(err, CRIC_E_PRECONDITION, "%s exists and is not a socket, not replacing it",
                                      path);
        AUTOCLOSE int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "socket");
        if (connect(fd, (struct sockaddr *) &addr, sizeof(addr)) == 0)
                return cric_error_set(err, CRIC_E_EXISTS,
                                      "another process is serving %s; stop it first or use --listen", path);
        if (unlink(path) < 0 && errno != ENOENT)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "remove stale socket %s", path);
        return 0;
}

static int bind_socket(struct cric_server *srv, struct cric_error **err) {
        AUTOFREE char *dir = xstrdup(srv->socket_path);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                if (fs_mkdir_p(dir, 0755, err) < 0)
                        return cric_error_prefix(err, "create socket directory");
        }
        if (check_stale_socket(srv->socket_path, err) < 0)
                return -1;
        AUTOFREE char *uri = xasprintf("unix:%s", srv->socket_path);
        grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
        /* No window where the socket is open to everyone: grpc creates it under this umask. */
        mode_t old = umask(0117);
        int port = grpc_server_add_http2_port(srv->server, uri, creds);
        umask(old);
        grpc_server_credentials_release(creds);
        if (port == 0)
                return cric_error_set(err, CRIC_E_INTERNAL, "cannot listen on %s", uri);
        return 0;
}

/* Registers the server-streaming methods, so their calls come bound to the pump. */
static int register_stream_methods(struct cric_server *srv, struct cric_error **err) {
        struct stream_limits limits;
        stream_limits_from_env(&limits);
        srv->pump = stream_pump_new(&limits);
        srv->registered = xcalloc(rpc_method_count(), sizeof(*srv->registered));
        for (size_t i = 0; i < rpc_method_count(); i++) {
                const struct rpc_method *m = rpc_method_at(i);
                if (!m->server_streaming)
                        continue;
                srv->registered[i] = grpc_server_register_method(srv->server, m->path, NULL,
                                                                 GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
                if (!srv->registered[i])
                        return cric_error_set(err, CRIC_E_INTERNAL, "grpc: cannot register method %s", m->path);
        }
        return 0;
}

int server_new(struct cric_config *cfg, const struct server_deps *deps, struct cric_server **ret,
               struct cric_error **err) {
        struct cric_server *srv = xzalloc(sizeof(*srv));
        if (deps)
                srv->deps = *deps;
        pthread_mutex_init(&srv->lock, NULL);
        pthread_cond_init(&srv->cond, NULL);
        srv->cfg = config_ref(cfg);
        srv->socket_path = xstrdup(cfg->listen);

        grpc_arg args[2] = {
                {.type = GRPC_ARG_INTEGER,
                 .key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
                 .value.integer = (int) cfg->grpc_max_msg_size},
                {.type = GRPC_ARG_INTEGER,
                 .key = GRPC_ARG_MAX_SEND_MESSAGE_LENGTH,
                 .value.integer = (int) cfg->grpc_max_msg_size},
        };
        grpc_channel_args chargs = {.num_args = 2, .args = args};
        srv->server = grpc_server_create(&chargs, NULL);
        srv->server_cq = grpc_completion_queue_create_for_next(NULL);
        grpc_server_register_completion_queue(srv->server, srv->server_cq, NULL);
        if (register_stream_methods(srv, err) < 0 || bind_socket(srv, err) < 0) {
                server_free(srv);
                return -1;
        }
        srv->pool = pool_new((unsigned) cfg->grpc_max_workers);
        *ret = srv;
        return 0;
}

int server_start(struct cric_server *srv, struct cric_error **err) {
        mode_t old = umask(0117);
        grpc_server_start(srv->server);
        umask(old);
        if (chmod(srv->socket_path, 0660) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "chmod %s", srv->socket_path);
        for (int i = 0; i < OUTSTANDING_REQUESTS; i++)
                if (request_one_call(srv) < 0)
                        return cric_error_set(err, CRIC_E_INTERNAL, "grpc: cannot request calls");
        for (size_t i = 0; i < rpc_method_count(); i++)
                if (srv->registered[i] && request_stream_call(srv, i) < 0)
                        return cric_error_set(err, CRIC_E_INTERNAL, "grpc: cannot request calls of %s",
                                              rpc_method_at(i)->path);
        if (stream_pump_start(srv->pump, err) < 0)
                return -1;
        int r = pthread_create(&srv->acceptor, NULL, acceptor_main, srv);
        if (r != 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, r, "start the grpc acceptor thread");
        srv->acceptor_started = true;
        log_info("serving the CRI on unix://%s", srv->socket_path);
        return 0;
}

static bool wait_shutdown_done(struct cric_server *srv, unsigned ms) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += ms / 1000;
        until.tv_nsec += (long) (ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&srv->lock);
        while (!srv->shutdown_done)
                if (pthread_cond_timedwait(&srv->cond, &srv->lock, &until) == ETIMEDOUT)
                        break;
        bool done = srv->shutdown_done;
        pthread_mutex_unlock(&srv->lock);
        return done;
}

void server_stop(struct cric_server *srv, unsigned grace_ms) {
        if (!srv || !srv->acceptor_started)
                return;
        pthread_mutex_lock(&srv->lock);
        srv->shutting_down = true;
        pthread_mutex_unlock(&srv->lock);
        grpc_server_shutdown_and_notify(srv->server, srv->server_cq, &srv->shutdown_tag);
        stream_pump_end_kept(srv->pump); /* endless streams would only use up the grace time */
        if (!wait_shutdown_done(srv, grace_ms)) {
                log_warn("calls still running after %u ms, cancelling them", grace_ms);
                grpc_server_cancel_all_calls(srv->server);
                wait_shutdown_done(srv, 60 * 1000);
        }
        grpc_completion_queue_shutdown(srv->server_cq);
        pthread_join(srv->acceptor, NULL);
        srv->acceptor_started = false;
        srv->pool = pool_free(srv->pool);        /* waits for the workers to finish */
        srv->pump = stream_pump_free(srv->pump); /* every call is done: drains and stops */
        if (unlink(srv->socket_path) < 0 && errno != ENOENT)
                log_warn("cannot remove socket %s: %s", srv->socket_path, strerror(errno));
}

struct cric_server *server_free(struct cric_server *srv) {
        if (!srv)
                return NULL;
        if (srv->acceptor_started)
                server_stop(srv, 0);
        srv->pool = pool_free(srv->pool);
        if (srv->server) {
                /* A server that never started must still be shut down before destroy. */
                if (!srv->shutting_down) {
                        grpc_server_shutdown_and_notify(srv->server, srv->server_cq, &srv->shutdown_tag);
                        grpc_server_cancel_all_calls(srv->server);
                        grpc_completion_queue_shutdown(srv->server_cq);
                        while (grpc_completion_queue_next(srv->server_cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL)
                                       .type != GRPC_QUEUE_SHUTDOWN)
                                ;
                }
                grpc_server_destroy(srv->server);
        }
        if (srv->server_cq)
                grpc_completion_queue_destroy(srv->server_cq);
        srv->pump = stream_pump_free(srv->pump);
        free(srv->registered);
        config_unref(srv->cfg);
        free(srv->socket_path);
        pthread_mutex_destroy(&srv->lock);
        pthread_cond_destroy(&srv->cond);
        free(srv);
        return NULL;
}
