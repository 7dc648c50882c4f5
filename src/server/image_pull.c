/* PullImage. */
#include <stdlib.h>
#include <string.h>

#include "cri.pb-c.h"
#include "image/image.h"
#include "server/rpc.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static const char *nonempty(const char *s) {
        return s && *s ? s : NULL;
}

int rpc_pull_image(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                   struct cric_error **err) {
        const Runtime__V1__PullImageRequest *r = (const Runtime__V1__PullImageRequest *) req;
        if (!r->image || !*r->image->image)
                return cric_error_set(err, CRIC_E_INVALID, "PullImage: no image given");
        struct registry_auth auth = {0};
        const struct registry_auth *authp = NULL;
        if (r->auth) {
                auth.username = nonempty(r->auth->username);
                auth.password = nonempty(r->auth->password);
                auth.auth = nonempty(r->auth->auth);
                auth.identity_token = nonempty(r->auth->identity_token);
                auth.registry_token = nonempty(r->auth->registry_token);
                if (auth.username || auth.password || auth.auth || auth.identity_token || auth.registry_token)
                        authp = &auth;
        }
        AUTOFREE char *id = NULL;
        const char *ns = r->sandbox_config && r->sandbox_config->metadata
                                 ? nonempty(r->sandbox_config->metadata->namespace_)
                                 : NULL;
        if (image_pull(ctx->deps->images, r->image->image, authp, ns, &id, err) < 0) {
                /* the kubelet reports this as the pod's SignatureValidationFailed state */
                if ((*err)->kind == CRIC_E_SIGNATURE)
                        cric_error_prefix(err, "SignatureValidationFailed");
                return -1;
        }
        Runtime__V1__PullImageResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__pull_image_response__init(resp);
        resp->image_ref = STEAL_PTR(id);
        *ret_resp = &resp->base;
        return 0;
}
