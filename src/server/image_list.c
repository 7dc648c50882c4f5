/* ListImages and ImageStatus. */
#include <stdlib.h>

#include "cri.pb-c.h"
#include "image/image.h"
#include "server/image_convert.h"
#include "server/rpc.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

int rpc_list_images(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                    struct cric_error **err) {
        const Runtime__V1__ListImagesRequest *r = (const Runtime__V1__ListImagesRequest *) req;
        Runtime__V1__ListImagesResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__list_images_response__init(resp);
        *ret_resp = &resp->base;
        const char *filter = r->filter && r->filter->image && *r->filter->image->image ? r->filter->image->image : NULL;
        if (filter) {
                CLEANUP(image_row_freep) struct image_row *img = NULL;
                CLEANUP(cric_error_freep) struct cric_error *e = NULL;
                if (image_lookup(ctx->deps->images, filter, &img, &e) < 0) {
                        if (e->kind == CRIC_E_NOT_FOUND)
                                return 0; /* a filter that matches nothing is an empty list */
                        *ret_resp = NULL;
                        free(resp);
                        return cric_error_move(err, &e);
                }
                resp->n_images = 1;
                resp->images = xcalloc(1, sizeof(*resp->images));
                resp->images[0] = image_to_proto(img, ctx->cfg->pinned_images);
                return 0;
        }
        struct image_row **rows = NULL;
        size_t n = 0;
        if (image_list(ctx->deps->images, &rows, &n, err) < 0) {
                *ret_resp = NULL;
                free(resp);
                return -1;
        }
        resp->n_images = n;
        resp->images = xcalloc(n ? n : 1, sizeof(*resp->images));
        for (size_t i = 0; i < n; i++)
                resp->images[i] = image_to_proto(rows[i], ctx->cfg->pinned_images);
        image_rows_free(rows, n);
        return 0;
}

int rpc_image_status(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                     struct cric_error **err) {
        const Runtime__V1__ImageStatusRequest *r = (const Runtime__V1__ImageStatusRequest *) req;
        if (!r->image || !*r->image->image)
                return cric_error_set(err, CRIC_E_INVALID, "ImageStatus: no image given");
        CLEANUP(image_row_freep) struct image_row *img = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        Runtime__V1__ImageStatusResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__image_status_response__init(resp);
        if (image_lookup(ctx->deps->images, r->image->image, &img, &e) < 0) {
                if (e->kind == CRIC_E_NOT_FOUND) { /* the CRI answers "no image" with an empty response */
                        *ret_resp = &resp->base;
                        return 0;
                }
                free(resp);
                return cric_error_move(err, &e);
        }
        resp->image = image_to_proto(img, ctx->cfg->pinned_images);
        if (r->verbose) {
                resp->n_info = 1;
                resp->info = xcalloc(1, sizeof(*resp->info));
                resp->info[0] = xmalloc(sizeof(*resp->info[0]));
                runtime__v1__image_status_response__info_entry__init(resp->info[0]);
                resp->info[0]->key = xstrdup("info");
                resp->info[0]->value = image_verbose_info(img);
        }
        *ret_resp = &resp->base;
        return 0;
}
