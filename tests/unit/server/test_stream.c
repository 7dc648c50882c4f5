/* server/stream.c against a real grpc server and client in this process: a reading
 * client gets every message then the status; a client that never reads is cut off
 * after a bounded queue (RESOURCE_EXHAUSTED); a client that cancels ends the stream;
 * and the stream's end callback runs once in each case. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <stdlib.h>
#include <string.h>

#include "cri.pb-c.h"
#include "server/stream.h"
#include "testlib.h"
#include "util/xalloc.h"

#define METHOD "/test.Stream/Get"

struct fixture {
        char *dir, *uri;
        grpc_server *server;
        grpc_completion_queue *server_cq, *client_cq;
        void *registered;
        struct stream_pump *pump;
        grpc_channel *channel;
        grpc_call *client_call;
        struct rpc_stream *stream;
        int ended; /* atomic: on_end ran this many times */
};

static void on_end(void *arg) {
        __atomic_add_fetch(&((struct fixture *) arg)->ended, 1, __ATOMIC_SEQ_CST);
}

static bool has_ended(void *arg) {
        return __atomic_load_n(&((struct fixture *) arg)->ended, __ATOMIC_SEQ_CST) > 0;
}

static void *tag(intptr_t t) {
        return (void *) t;
}

/* Starts the client's call: request sent, client half closed, initial metadata asked. */
static void client_start(struct fixture *f) {
        f->client_cq = grpc_completion_queue_create_for_pluck(NULL);
        grpc_slice method = grpc_slice_from_static_string(METHOD);
        f->client_call = grpc_channel_create_call(f->channel, NULL, GRPC_PROPAGATE_DEFAULTS, f->client_cq, method, NULL,
                                                  gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        grpc_slice s = grpc_slice_from_static_string("");
        grpc_byte_buffer *req = grpc_raw_byte_buffer_create(&s, 1);
        grpc_op ops[3];
        memset(ops, 0, sizeof(ops));
        ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
        ops[1].op = GRPC_OP_SEND_MESSAGE;
        ops[1].data.send_message.send_message = req;
        ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
        assert_int_equal(grpc_call_start_batch(f->client_call, ops, 3, tag(1), NULL), GRPC_CALL_OK);
        grpc_event ev = grpc_completion_queue_pluck(f->client_cq, tag(1), gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        assert_true(ev.success);
        grpc_byte_buffer_destroy(req);
}

/* The server side of the client's call, as a stream. */
static void server_accept(struct fixture *f) {
        grpc_call *call = NULL;
        gpr_timespec deadline;
        grpc_metadata_array md;
        grpc_metadata_array_init(&md);
        grpc_byte_buffer *payload = NULL;
        assert_int_equal(grpc_server_request_registered_call(f->server, f->registered, &call, &deadline, &md, &payload,
                                                             stream_pump_cq(f->pump), f->server_cq, tag(7)),
                         GRPC_CALL_OK);
        client_start(f);
        grpc_event ev = grpc_completion_queue_next(f->server_cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        assert_int_equal(ev.type, GRPC_OP_COMPLETE);
        assert_ptr_equal(ev.tag, tag(7));
        grpc_metadata_array_destroy(&md);
        if (payload)
                grpc_byte_buffer_destroy(payload);
        f->stream = stream_begin(f->pump, call, METHOD);
        rpc_stream_on_end(f->stream, on_end, f);
}

static int setup(void **state) {
        grpc_init();
        struct fixture *f = xzalloc(sizeof(*f));
        f->dir = testlib_tmpdir("stream");
        f->uri = xasprintf("unix:%s/s.sock", f->dir);
        struct stream_limits l = {.max_msgs = 4, .max_bytes = 1u << 20, .stall_ms = 200, .page_size = 10};
        f->pump = stream_pump_new(&l);
        f->server = grpc_server_create(NULL, NULL);
        f->server_cq = grpc_completion_queue_create_for_next(NULL);
        grpc_server_register_completion_queue(f->server, f->server_cq, NULL);
        f->registered =
                grpc_server_register_method(f->server, METHOD, NULL, GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
        grpc_server_credentials *sc = grpc_insecure_server_credentials_create();
        assert_int_not_equal(grpc_server_add_http2_port(f->server, f->uri, sc), 0);
        grpc_server_credentials_release(sc);
        grpc_server_start(f->server);
        assert_int_equal(stream_pump_start(f->pump, NULL), 0);
        grpc_channel_credentials *cc = grpc_insecure_credentials_create();
        f->channel = grpc_channel_create(f->uri, cc, NULL);
        grpc_channel_credentials_release(cc);
        server_accept(f);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        grpc_call_cancel(f->client_call, NULL);
        grpc_call_unref(f->client_call);
        rpc_stream_unref(f->stream);
        grpc_channel_destroy(f->channel);
        grpc_server_shutdown_and_notify(f->server, f->server_cq, tag(9));
        grpc_server_cancel_all_calls(f->server);
        grpc_event ev = grpc_completion_queue_next(f->server_cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        assert_ptr_equal(ev.tag, tag(9));
        f->pump = stream_pump_free(f->pump);
        grpc_completion_queue_shutdown(f->server_cq);
        while (grpc_completion_queue_next(f->server_cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
               GRPC_QUEUE_SHUTDOWN)
                ;
        grpc_completion_queue_destroy(f->server_cq);
        grpc_server_destroy(f->server);
        grpc_completion_queue_shutdown(f->client_cq);
        while (grpc_completion_queue_pluck(f->client_cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
               GRPC_QUEUE_SHUTDOWN)
                ;
        grpc_completion_queue_destroy(f->client_cq);
        testlib_rmtree(f->dir);
        free(f->dir);
        free(f->uri);
        free(f);
        grpc_shutdown();
        return 0;
}

/* A message of about `bytes` bytes. */
static int send_sized(struct rpc_stream *s, size_t bytes, unsigned flags, struct cric_error **err) {
        Runtime__V1__VersionResponse m = RUNTIME__V1__VERSION_RESPONSE__INIT;
        char *name = xmalloc(bytes + 1);
        memset(name, 'x', bytes);
        name[bytes] = '\0';
        m.runtime_name = name;
        int r = rpc_stream_send(s, &m.base, flags, err);
        free(name);
        return r;
}

/* One client batch; returns its success. */
static bool client_batch(struct fixture *f, grpc_op *ops, size_t n) {
        assert_int_equal(grpc_call_start_batch(f->client_call, ops, n, tag(2), NULL), GRPC_CALL_OK);
        return grpc_completion_queue_pluck(f->client_cq, tag(2), gpr_inf_future(GPR_CLOCK_REALTIME), NULL).success;
}

static grpc_status_code client_status(struct fixture *f) {
        grpc_metadata_array md;
        grpc_metadata_array_init(&md);
        grpc_status_code code;
        grpc_slice details;
        grpc_op op = {.op = GRPC_OP_RECV_STATUS_ON_CLIENT};
        op.data.recv_status_on_client.trailing_metadata = &md;
        op.data.recv_status_on_client.status = &code;
        op.data.recv_status_on_client.status_details = &details;
        assert_true(client_batch(f, &op, 1));
        grpc_slice_unref(details);
        grpc_metadata_array_destroy(&md);
        return code;
}

/* The number of messages the client reads before the end of the stream. */
static int client_read_all(struct fixture *f) {
        grpc_metadata_array md;
        grpc_metadata_array_init(&md);
        grpc_op op = {.op = GRPC_OP_RECV_INITIAL_METADATA};
        op.data.recv_initial_metadata.recv_initial_metadata = &md;
        client_batch(f, &op, 1);
        grpc_metadata_array_destroy(&md);
        int n = 0;
        for (;;) {
                grpc_byte_buffer *bb = NULL;
                grpc_op rm = {.op = GRPC_OP_RECV_MESSAGE};
                rm.data.recv_message.recv_message = &bb;
                if (!client_batch(f, &rm, 1) || !bb)
                        return n;
                grpc_byte_buffer_destroy(bb);
                n++;
        }
}

static void test_messages_then_status(void **state) {
        struct fixture *f = *state;
        struct cric_error *err = NULL;
        for (int i = 0; i < 3; i++)
                assert_int_equal(send_sized(f->stream, 100, RPC_STREAM_NOWAIT, &err), 0);
        struct cric_error status = {.kind = CRIC_E_NOT_FOUND, .msg = (char *) "pod p1 not found"};
        rpc_stream_finish(f->stream, &status);
        assert_true(rpc_stream_is_ended(f->stream));
        assert_int_equal(send_sized(f->stream, 1, RPC_STREAM_NOWAIT, &err), -1);
        assert_non_null(testlib_error_is(-1, &err, CRIC_E_CANCELLED));
        cric_error_freep(&err);
        assert_int_equal(client_read_all(f), 3);
        assert_int_equal(client_status(f), GRPC_STATUS_NOT_FOUND);
        assert_true(testlib_wait_until(has_ended, f, 10000));
        assert_int_equal(f->ended, 1);
}

static void test_client_not_reading_is_cut_off(void **state) {
        struct fixture *f = *state;
        struct cric_error *err = NULL;
        int sent = 0;
        /* 64 KiB messages: the transports take a few MiB, then the queue of 4 fills. */
        while (send_sized(f->stream, 64 * 1024, RPC_STREAM_WAIT, &err) == 0)
                assert_true(++sent < 2000);
        assert_non_null(testlib_error_is(-1, &err, CRIC_E_RESOURCE));
        assert_non_null(strstr(err->msg, "not reading"));
        cric_error_freep(&err);
        assert_true(rpc_stream_is_ended(f->stream));
        assert_true(testlib_wait_until(has_ended, f, 10000));
        assert_int_equal(send_sized(f->stream, 1, RPC_STREAM_NOWAIT, &err), -1);
        assert_non_null(testlib_error_is(-1, &err, CRIC_E_CANCELLED));
        cric_error_freep(&err);
        client_read_all(f);
        assert_int_equal(client_status(f), GRPC_STATUS_RESOURCE_EXHAUSTED);
}

static void test_client_cancels(void **state) {
        struct fixture *f = *state;
        struct cric_error *err = NULL;
        assert_int_equal(send_sized(f->stream, 10, RPC_STREAM_NOWAIT, &err), 0);
        grpc_call_cancel(f->client_call, NULL);
        assert_true(testlib_wait_until(has_ended, f, 10000));
        assert_true(rpc_stream_is_ended(f->stream));
        assert_int_equal(send_sized(f->stream, 10, RPC_STREAM_WAIT, &err), -1);
        assert_non_null(testlib_error_is(-1, &err, CRIC_E_CANCELLED));
        cric_error_freep(&err);
        rpc_stream_finish(f->stream, NULL); /* after the end: nothing happens */
        assert_int_equal(f->ended, 1);
}

/* A stream its handler keeps (a long-lived one) is ended by the shutdown at once. */
static void test_kept_stream_ends_at_shutdown(void **state) {
        struct fixture *f = *state;
        struct cric_error *err = NULL;
        stream_keep(f->stream);
        assert_int_equal(send_sized(f->stream, 10, RPC_STREAM_NOWAIT, &err), 0);
        stream_pump_end_kept(f->pump);
        assert_true(rpc_stream_is_ended(f->stream));
        assert_int_equal(client_read_all(f), 1);
        assert_int_equal(client_status(f), GRPC_STATUS_UNAVAILABLE);
        assert_true(testlib_wait_until(has_ended, f, 10000));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_messages_then_status, setup, teardown),
                cmocka_unit_test_setup_teardown(test_client_not_reading_is_cut_off, setup, teardown),
                cmocka_unit_test_setup_teardown(test_client_cancels, setup, teardown),
                cmocka_unit_test_setup_teardown(test_kept_stream_ends_at_shutdown, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
