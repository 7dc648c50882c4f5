/* Exec, Attach and PortForward: each checks the request as the kubelet's streaming
 * library does, checks that the container runs or the pod is ready, and answers with
 * a one-time URL of the streaming server (streaming/), which does the rest. */
#include <stdlib.h>

#include "cri.pb-c.h"
#include "runtime/runtime.h"
#include "server/rpc.h"
#include "streaming/server.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

static int check_streams(const char *method, const char *id, bool tty, bool in, bool out, bool err_stream,
                         struct cric_error **err) {
        if (!*id)
                return cric_error_set(err, CRIC_E_INVALID, "%s: no container id given", method);
        if (tty && err_stream)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "%s %s: tty and stderr cannot both be true (a terminal has one output)", method,
                                      id);
        if (!in && !out && !err_stream)
                return cric_error_set(err, CRIC_E_INVALID, "%s %s: one of stdin, stdout or stderr must be true", method,
                                      id);
        return 0;
}

/* The request's container must run; its full id goes into the request. */
static int running_container(struct rpc_ctx *ctx, const char *id, char **ret_full_id, struct cric_error **err) {
        struct container_view v = {0};
        if (runtime_container_status(ctx->deps->runtime, id, &v, err) < 0)
                return -1;
        bool running = v.state == CONTAINER_RUNNING;
        *ret_full_id = xstrdup(v.info->id);
        container_view_clear(&v);
        if (!running) {
                cric_error_set(err, CRIC_E_PRECONDITION, "container %s is not running", *ret_full_id);
                free(STEAL_PTR(*ret_full_id));
                return -1;
        }
        return 0;
}

static int answer_url(struct rpc_ctx *ctx, struct stream_request *q, char **ret_url, struct cric_error **err) {
        if (!ctx->deps->streams) {
                stream_request_free(q);
                return cric_error_set(err, CRIC_E_UNAVAILABLE, "the streaming server is not running");
        }
        return stream_server_url(ctx->deps->streams, q, ret_url, err);
}

int rpc_exec(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp, struct cric_error **err) {
        const Runtime__V1__ExecRequest *r = (const Runtime__V1__ExecRequest *) req;
        if (check_streams("Exec", r->container_id, r->tty, r->stdin, r->stdout, r->stderr, err) < 0)
                return -1;
        if (r->n_cmd == 0)
                return cric_error_set(err, CRIC_E_INVALID, "Exec %s: no command given", r->container_id);
        struct stream_request *q = xzalloc(sizeof(*q));
        *q = (struct stream_request){.kind = STREAM_EXEC,
                                     .tty = r->tty,
                                     .has_stdin = r->stdin,
                                     .has_stdout = r->stdout,
                                     .has_stderr = r->stderr};
        for (size_t i = 0; i < r->n_cmd; i++)
                strv_push(&q->cmd, r->cmd[i]);
        AUTOFREE char *url = NULL;
        if (running_container(ctx, r->container_id, &q->id, err) < 0) {
                stream_request_free(q);
                return cric_error_prefix(err, "Exec");
        }
        if (answer_url(ctx, q, &url, err) < 0)
                return -1;
        runtime_exec_expect(ctx->deps->runtime);
        Runtime__V1__ExecResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__exec_response__init(resp);
        resp->url = STEAL_PTR(url);
        *ret_resp = &resp->base;
        return 0;
}

int rpc_attach(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp, struct cric_error **err) {
        const Runtime__V1__AttachRequest *r = (const Runtime__V1__AttachRequest *) req;
        if (check_streams("Attach", r->container_id, r->tty, r->stdin, r->stdout, r->stderr, err) < 0)
                return -1;
        struct stream_request *q = xzalloc(sizeof(*q));
        *q = (struct stream_request){.kind = STREAM_ATTACH,
                                     .tty = r->tty,
                                     .has_stdin = r->stdin,
                                     .has_stdout = r->stdout,
                                     .has_stderr = r->stderr};
        AUTOFREE char *url = NULL;
        if (running_container(ctx, r->container_id, &q->id, err) < 0) {
                stream_request_free(q);
                return cric_error_prefix(err, "Attach");
        }
        if (answer_url(ctx, q, &url, err) < 0)
                return -1;
        Runtime__V1__AttachResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__attach_response__init(resp);
        resp->url = STEAL_PTR(url);
        *ret_resp = &resp->base;
        return 0;
}

int rpc_port_forward(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                     struct cric_error **err) {
        const Runtime__V1__PortForwardRequest *r = (const Runtime__V1__PortForwardRequest *) req;
        if (!*r->pod_sandbox_id)
                return cric_error_set(err, CRIC_E_INVALID, "PortForward: no pod sandbox id given");
        for (size_t i = 0; i < r->n_port; i++)
                if (r->port[i] < 1 || r->port[i] > 65535)
                        return cric_error_set(err, CRIC_E_INVALID, "PortForward %s: port %d is not in 1-65535",
                                              r->pod_sandbox_id, r->port[i]);
        struct pod_view v = {0};
        if (runtime_pod_status(ctx->deps->runtime, r->pod_sandbox_id, &v, err) < 0)
                return cric_error_prefix(err, "PortForward");
        bool ready = v.state == POD_READY;
        struct stream_request *q = xzalloc(sizeof(*q));
        *q = (struct stream_request){.kind = STREAM_PORT_FORWARD, .id = xstrdup(v.info->id), .n_ports = r->n_port};
        pod_view_clear(&v);
        if (!ready) {
                cric_error_set(err, CRIC_E_PRECONDITION, "PortForward: pod %s is not ready", q->id);
                stream_request_free(q);
                return -1;
        }
        q->ports = xcalloc(r->n_port ? r->n_port : 1, sizeof(*q->ports));
        for (size_t i = 0; i < r->n_port; i++)
                q->ports[i] = (uint16_t) r->port[i];
        AUTOFREE char *url = NULL;
        if (answer_url(ctx, q, &url, err) < 0)
                return -1;
        Runtime__V1__PortForwardResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__port_forward_response__init(resp);
        resp->url = STEAL_PTR(url);
        *ret_resp = &resp->base;
        return 0;
}
