/* The local pull sink: a pull's layers and image go into this process's store, the
 * image becoming visible in one transaction after all its layers. cricd runs it for
 * its own pulls and for those of its pull helpers. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image/internal.h"
#include "util/cleanup.h"
#include "util/crashpoint.h"
#include "util/xalloc.h"

/* A layer is present when both its row and its directory exist. */
static bool layer_present(struct image_service *svc, const char *chain) {
        CLEANUP(layer_row_freep) struct layer_row *row = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        return store_layer_get(svc->db, chain, &row, &err) == 0 && layer_store_has(svc->ls, chain);
}

static int local_claim(void *ctx, char *const *chains, bool *present, struct cric_error **err) {
        (void) err;
        struct image_service *svc = ctx;
        inflight_claim(svc, chains);
        for (size_t i = 0; chains[i]; i++)
                present[i] = layer_present(svc, chains[i]);
        return 0;
}

static void local_release(void *ctx, char *const *chains) {
        inflight_release(ctx, chains);
}

static int commit_layer(struct image_service *svc, struct pull_out *o, size_t i, struct cric_error **err) {
        struct pull_layer_out *l = &o->layers[i];
        if (!l->tmp)
                return 0; /* already stored */
        crashpoint("pull-layer-unpacked");
        if (layer_tmp_commit(svc->ls, STEAL_PTR(l->tmp), l->chain_id, err) < 0)
                return -1;
        crashpoint("pull-layer-committed");
        struct layer_row row = {
                .chain_id = (char *) l->chain_id,
                .parent_chain_id = i ? (char *) o->layers[i - 1].chain_id : NULL,
                .diff_id = (char *) l->diff_id,
                .digest = (char *) l->digest,
                .size = l->size,
                .compressed_size = l->compressed_size,
        };
        return store_layer_put(svc->db, &row, err);
}

static int64_t layers_size(struct image_service *svc, char *const *chains) {
        int64_t total = 0;
        for (size_t i = 0; chains[i]; i++) {
                CLEANUP(layer_row_freep) struct layer_row *row = NULL;
                CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                if (store_layer_get(svc->db, chains[i], &row, &err) == 0)
                        total += row->size;
        }
        return total;
}

static int commit_image(struct image_service *svc, struct pull_out *o, char **ret_id, struct cric_error **err) {
        char *tags[] = {(char *) o->tag, NULL}, *digests[] = {(char *) o->repo_digest, NULL};
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        struct image_row img = {
                .id = (char *) o->id,
                .config_json = (char *) o->config_json,
                .manifest_digest = (char *) o->manifest_digest,
                .size = layers_size(svc, o->chains),
                .pulled_at_ns = (int64_t) now.tv_sec * 1000000000LL + now.tv_nsec,
                .repo_tags = o->tag ? tags : NULL,
                .repo_digests = digests,
                .layers = o->chains,
        };
        crashpoint("pull-layers-stored");
        if (store_image_put(svc->db, &img, err) < 0)
                return -1;
        *ret_id = xstrdup(img.id);
        return 0;
}

static int local_commit(void *ctx, struct pull_out *o, char **ret_id, struct cric_error **err) {
        struct image_service *svc = ctx;
        int r = 0;
        for (size_t i = 0; i < o->n && r == 0; i++)
                r = commit_layer(svc, o, i, err);
        if (r == 0)
                r = commit_image(svc, o, ret_id, err);
        for (size_t i = 0; i < o->n; i++)
                o->layers[i].tmp = layer_tmp_discard(o->layers[i].tmp);
        /* Nothing half-stored: the layers committed for an image that was not are taken
         * back (the caller holds their claim). */
        if (r < 0)
                image_free_layers(svc, o->chains);
        return r;
}

const struct pull_sink pull_sink_local = {
        .claim = local_claim,
        .release = local_release,
        .commit = local_commit,
};
