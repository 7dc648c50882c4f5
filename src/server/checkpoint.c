/* CheckpointContainer: not supported, and the answer says why, so that the kubelet's
 * checkpoint API (and whoever calls it) sees a reason rather than a bare UNIMPLEMENTED. */
#include "cri.pb-c.h"
#include "server/rpc.h"

int rpc_checkpoint_container(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                             struct cric_error **err) {
        (void) req;
        (void) ret_resp;
        return cric_error_set(err, CRIC_E_UNIMPLEMENTED,
                              "%s is not supported: checkpointing needs CRIU, and Debian's CRIU 3.17 fails `criu "
                              "check` on this kernel (vDSO detection), so cric could not test it",
                              ctx->method);
}
