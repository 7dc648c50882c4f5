/* RunPodSandbox, StopPodSandbox, RemovePodSandbox. */
#include "cri.pb-c.h"
#include "runtime/runtime.h"
#include "server/convert.h"
#include "server/reply.h"
#include "server/rpc.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

int rpc_run_pod_sandbox(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                        struct cric_error **err) {
        const Runtime__V1__RunPodSandboxRequest *r = (const Runtime__V1__RunPodSandboxRequest *) req;
        struct arena a = {0};
        struct pod_config c;
        AUTOFREE char *id = NULL;
        int rc = convert_pod_config(r->config, r->runtime_handler, &a, &c, err);
        if (rc == 0)
                rc = runtime_pod_run(ctx->deps->runtime, &c, &id, err);
        arena_clear(&a);
        if (rc < 0)
                return cric_error_prefix(err, "RunPodSandbox");
        Runtime__V1__RunPodSandboxResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__run_pod_sandbox_response__init(resp);
        resp->pod_sandbox_id = STEAL_PTR(id);
        *ret_resp = &resp->base;
        return 0;
}

int rpc_stop_pod_sandbox(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                         struct cric_error **err) {
        const Runtime__V1__StopPodSandboxRequest *r = (const Runtime__V1__StopPodSandboxRequest *) req;
        if (!*r->pod_sandbox_id)
                return cric_error_set(err, CRIC_E_INVALID, "StopPodSandbox: no pod id given");
        if (runtime_pod_stop(ctx->deps->runtime, r->pod_sandbox_id, err) < 0)
                return -1;
        *ret_resp = reply_empty(&runtime__v1__stop_pod_sandbox_response__descriptor);
        return 0;
}

int rpc_remove_pod_sandbox(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                           struct cric_error **err) {
        const Runtime__V1__RemovePodSandboxRequest *r = (const Runtime__V1__RemovePodSandboxRequest *) req;
        if (!*r->pod_sandbox_id)
                return cric_error_set(err, CRIC_E_INVALID, "RemovePodSandbox: no pod id given");
        if (runtime_pod_remove(ctx->deps->runtime, r->pod_sandbox_id, err) < 0)
                return -1;
        *ret_resp = reply_empty(&runtime__v1__remove_pod_sandbox_response__descriptor);
        return 0;
}
