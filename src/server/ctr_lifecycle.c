/* StartContainer, StopContainer, RemoveContainer, UpdateContainerResources,
 * ReopenContainerLog and ExecSync. */
#include <stdlib.h>
#include <string.h>

#include "cri.pb-c.h"
#include "runtime/runtime.h"
#include "server/convert.h"
#include "server/reply.h"
#include "server/rpc.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define NEED_ID(method, id)                                                                                            \
        do {                                                                                                           \
                if (!*(id))                                                                                            \
                        return cric_error_set(err, CRIC_E_INVALID, method ": no container id given");                  \
        } while (0)

int rpc_start_container(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                        struct cric_error **err) {
        const Runtime__V1__StartContainerRequest *r = (const Runtime__V1__StartContainerRequest *) req;
        NEED_ID("StartContainer", r->container_id);
        if (runtime_container_start(ctx->deps->runtime, r->container_id, err) < 0)
                return -1;
        *ret_resp = reply_empty(&runtime__v1__start_container_response__descriptor);
        return 0;
}

int rpc_stop_container(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                       struct cric_error **err) {
        const Runtime__V1__StopContainerRequest *r = (const Runtime__V1__StopContainerRequest *) req;
        NEED_ID("StopContainer", r->container_id);
        if (runtime_container_stop(ctx->deps->runtime, r->container_id, r->timeout, err) < 0)
                return -1;
        *ret_resp = reply_empty(&runtime__v1__stop_container_response__descriptor);
        return 0;
}

int rpc_remove_container(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                         struct cric_error **err) {
        const Runtime__V1__RemoveContainerRequest *r = (const Runtime__V1__RemoveContainerRequest *) req;
        NEED_ID("RemoveContainer", r->container_id);
        if (runtime_container_remove(ctx->deps->runtime, r->container_id, err) < 0)
                return -1;
        *ret_resp = reply_empty(&runtime__v1__remove_container_response__descriptor);
        return 0;
}

int rpc_update_container_resources(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                                   struct cric_error **err) {
        const Runtime__V1__UpdateContainerResourcesRequest *r =
                (const Runtime__V1__UpdateContainerResourcesRequest *) req;
        NEED_ID("UpdateContainerResources", r->container_id);
        if (!r->linux)
                return cric_error_set(err, CRIC_E_INVALID, "UpdateContainerResources %s: no linux resources given",
                                      r->container_id);
        struct arena a = {0};
        struct oci_resources res;
        convert_resources(r->linux, &a, &res);
        int rc = runtime_container_update(ctx->deps->runtime, r->container_id, &res, err);
        arena_clear(&a);
        if (rc < 0)
                return cric_error_prefix(err, "UpdateContainerResources");
        *ret_resp = reply_empty(&runtime__v1__update_container_resources_response__descriptor);
        return 0;
}

int rpc_reopen_container_log(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                             struct cric_error **err) {
        const Runtime__V1__ReopenContainerLogRequest *r = (const Runtime__V1__ReopenContainerLogRequest *) req;
        NEED_ID("ReopenContainerLog", r->container_id);
        if (runtime_container_reopen_log(ctx->deps->runtime, r->container_id, err) < 0)
                return -1;
        *ret_resp = reply_empty(&runtime__v1__reopen_container_log_response__descriptor);
        return 0;
}

/* The kubelet receives at most 16 MiB per message; room is left for the framing. */
#define KUBELET_MSG_MAX   (16u << 20)
#define EXEC_FRAMING_ROOM (64u << 10)

static size_t exec_output_budget(const struct cric_config *cfg) {
        size_t limit = KUBELET_MSG_MAX;
        if (cfg->grpc_max_msg_size > 0 && (uint64_t) cfg->grpc_max_msg_size < limit)
                limit = (size_t) cfg->grpc_max_msg_size;
        return limit > EXEC_FRAMING_ROOM ? limit - EXEC_FRAMING_ROOM : limit / 2;
}

int rpc_exec_sync(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                  struct cric_error **err) {
        const Runtime__V1__ExecSyncRequest *r = (const Runtime__V1__ExecSyncRequest *) req;
        NEED_ID("ExecSync", r->container_id);
        if (r->n_cmd == 0)
                return cric_error_set(err, CRIC_E_INVALID, "ExecSync %s: no command given", r->container_id);
        if (r->timeout < 0)
                return cric_error_set(err, CRIC_E_INVALID, "ExecSync %s: negative timeout", r->container_id);
        CLEANUP(strv_freep) char **argv = NULL;
        for (size_t i = 0; i < r->n_cmd; i++)
                strv_push(&argv, r->cmd[i]);
        struct monitor_exec_result res = {0};
        if (runtime_container_exec_sync(ctx->deps->runtime, r->container_id, argv, r->timeout, &res, err) < 0)
                return -1;
        if (res.is_timed_out) {
                monitor_exec_result_clear(&res);
                return cric_error_set(err, CRIC_E_TIMEOUT, "ExecSync %s: command %s timed out after %llds",
                                      r->container_id, argv[0], (long long) r->timeout);
        }
        /* The answer must fit in one message of the kubelet's (and our) size limit: each
         * stream keeps at least half of the room when the other needs more. */
        size_t budget = exec_output_budget(ctx->cfg);
        if (res.stdout_len + res.stderr_len > budget) {
                size_t err_keep = res.stderr_len < budget / 2 ? res.stderr_len : budget / 2;
                res.stdout_len = res.stdout_len < budget - err_keep ? res.stdout_len : budget - err_keep;
                res.stderr_len = res.stderr_len < budget - res.stdout_len ? res.stderr_len : budget - res.stdout_len;
        }
        Runtime__V1__ExecSyncResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__exec_sync_response__init(resp);
        resp->exit_code = res.exit_code;
        resp->stdout = (ProtobufCBinaryData){.len = res.stdout_len, .data = (uint8_t *) STEAL_PTR(res.stdout_data)};
        resp->stderr = (ProtobufCBinaryData){.len = res.stderr_len, .data = (uint8_t *) STEAL_PTR(res.stderr_data)};
        monitor_exec_result_clear(&res);
        *ret_resp = &resp->base;
        return 0;
}
