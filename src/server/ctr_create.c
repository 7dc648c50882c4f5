/* CreateContainer. */
#include "cri.pb-c.h"
#include "runtime/runtime.h"
#include "server/convert.h"
#include "server/rpc.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

int rpc_create_container(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                         struct cric_error **err) {
        const Runtime__V1__CreateContainerRequest *r = (const Runtime__V1__CreateContainerRequest *) req;
        struct arena a = {0};
        struct container_config c;
        AUTOFREE char *id = NULL;
        int rc = convert_container_config(r, &a, &c, err);
        if (rc == 0)
                rc = runtime_container_create(ctx->deps->runtime, &c, &id, err);
        arena_clear(&a);
        if (rc < 0)
                return cric_error_prefix(err, "CreateContainer");
        Runtime__V1__CreateContainerResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__create_container_response__init(resp);
        resp->container_id = STEAL_PTR(id);
        *ret_resp = &resp->base;
        return 0;
}
