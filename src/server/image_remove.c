/* RemoveImage and ImageFsInfo. */
#include <stdlib.h>
#include <time.h>

#include "cri.pb-c.h"
#include "image/image.h"
#include "runtime/runtime.h"
#include "server/image_convert.h"
#include "server/rpc.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* pinned_images are kept: the kubelet's image garbage collection removes images
 * through RemoveImage, so refusing here keeps them from any collection. An image
 * volume's layers stay while a container mounts them. */
static int check_removable(struct rpc_ctx *ctx, const char *key, const struct image_row *img, struct cric_error **err) {
        const char *pattern = image_pinned_by(img, ctx->cfg->pinned_images);
        if (pattern)
                return cric_error_set(err, CRIC_E_PRECONDITION,
                                      "RemoveImage: image %s is pinned (pinned_images \"%s\")", key, pattern);
        AUTOFREE char *user = runtime_image_volume_user(ctx->deps->runtime, img->id);
        if (user)
                return cric_error_set(err, CRIC_E_PRECONDITION, "RemoveImage %s: image %.12s is in use by %s", key,
                                      img->id, user);
        return 0;
}

int rpc_remove_image(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                     struct cric_error **err) {
        const Runtime__V1__RemoveImageRequest *r = (const Runtime__V1__RemoveImageRequest *) req;
        if (!r->image || !*r->image->image)
                return cric_error_set(err, CRIC_E_INVALID, "RemoveImage: no image given");
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        CLEANUP(image_row_freep) struct image_row *img = NULL;
        AUTOFREE char *name = NULL;
        if (image_lookup_name(ctx->deps->images, r->image->image, &img, &name, &e) == 0) {
                if (check_removable(ctx, r->image->image, img, err) < 0)
                        return -1;
                image_remove(ctx->deps->images, img, name, &e);
        }
        /* Removing an image that is not there succeeds: the caller's goal is reached. */
        if (e && e->kind != CRIC_E_NOT_FOUND)
                return cric_error_move(err, &e);
        Runtime__V1__RemoveImageResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__remove_image_response__init(resp);
        *ret_resp = &resp->base;
        return 0;
}

static Runtime__V1__UInt64Value *u64(uint64_t v) {
        Runtime__V1__UInt64Value *p = xmalloc(sizeof(*p));
        runtime__v1__uint64_value__init(p);
        p->value = v;
        return p;
}

static Runtime__V1__FilesystemUsage *usage_new(const char *path, uint64_t bytes, uint64_t inodes) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        Runtime__V1__FilesystemUsage *u = xmalloc(sizeof(*u));
        runtime__v1__filesystem_usage__init(u);
        u->timestamp = (int64_t) now.tv_sec * 1000000000LL + now.tv_nsec;
        u->fs_id = xmalloc(sizeof(*u->fs_id));
        runtime__v1__filesystem_identifier__init(u->fs_id);
        u->fs_id->mountpoint = xstrdup(path);
        u->used_bytes = u64(bytes);
        u->inodes_used = u64(inodes);
        return u;
}

int rpc_image_fs_info(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                      struct cric_error **err) {
        (void) req;
        uint64_t bytes = 0, inodes = 0;
        const char *path = NULL;
        if (image_fs_usage(ctx->deps->images, &bytes, &inodes, &path, err) < 0)
                return -1;
        uint64_t ctr_bytes = 0, ctr_inodes = 0;
        AUTOFREE char *ctr_path = NULL;
        if (runtime_container_fs_usage(ctx->deps->runtime, &ctr_bytes, &ctr_inodes, &ctr_path, err) < 0)
                return cric_error_prefix(err, "ImageFsInfo");
        Runtime__V1__ImageFsInfoResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__image_fs_info_response__init(resp);
        resp->n_image_filesystems = 1;
        resp->image_filesystems = xcalloc(1, sizeof(*resp->image_filesystems));
        resp->image_filesystems[0] = usage_new(path, bytes, inodes);
        /* The writable layers, apart: the kubelet's eviction sees what containers wrote
         * separately from what images take (its split image filesystem support). */
        resp->n_container_filesystems = 1;
        resp->container_filesystems = xcalloc(1, sizeof(*resp->container_filesystems));
        resp->container_filesystems[0] = usage_new(ctr_path, ctr_bytes, ctr_inodes);
        *ret_resp = &resp->base;
        return 0;
}
