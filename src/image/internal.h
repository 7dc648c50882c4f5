/* Private to image/. */
#ifndef CRIC_IMAGE_INTERNAL_H
#define CRIC_IMAGE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "image/image.h"
#include "image/manifest.h"
#include "storage/unpack.h"

struct image_service {
        struct store *db;
        struct layer_store *ls;
        char *registries_conf;
        char *auth_file;
        char *certs_dir;
        unsigned max_parallel_layers;
        char *signature_policy; /* NULL: no policy */
        bool signature_policy_is_default;
        char *signature_policy_dir;
        char *registries_d;
        char *tmp_dir;
        char **insecure_registries; /* NULL-terminated */

        /* Layers being pulled right now, by chain id, so two pulls of the same layer
         * share one download: the second waits for the first, then finds it stored. */
        pthread_mutex_t lock;
        pthread_cond_t changed;
        char **inflight;
};

/* Claims every chain id in chains (NULL-terminated) for this pull, waiting while
 * another pull holds any of them. All-or-nothing, so two pulls never wait on each
 * other. */
void inflight_claim(struct image_service *svc, char *const *chains);
void inflight_release(struct image_service *svc, char *const *chains);
/* Removes the layers of chains (top first) that no image uses, rows and directories;
 * what cannot be removed is logged and left for the next start. Call it holding the
 * chains' inflight claim. */
void image_free_layers(struct image_service *svc, char *const *chains);

/* A registry_sink_fn that keeps a small blob in memory (NUL-terminated), refusing
 * one over max bytes with CRIC_E_INVALID naming what. buf is the caller's. */
struct mem_sink {
        char *buf;
        size_t len, cap;
        size_t max;
        const char *what;
};
int mem_sink_write(void *ctx, const void *data, size_t len, struct cric_error **err);

/* Downloads one layer blob and unpacks it while it arrives. */
struct layer_job {
        /* in */
        const struct descriptor *desc;
        const char *expected_diff_id;       /* NULL for schema 1 */
        const char *parent_chain_id;        /* full-tree drivers (vfs, btrfs) only need it */
        const struct layer_tmp *parent_tmp; /* full-tree: the parent, unpacked by this pull and
                                             * not yet committed (NULL: parent_chain_id's) */
        bool defer_sync;                    /* the caller syncs once for all layers */
        /* out */
        struct layer_tmp *tmp;
        struct unpack_result result;
        struct cric_error *err;
};

int layer_fetch_unpack(struct image_service *svc, struct registry_client *client, const char *repo,
                       struct layer_job *job, struct cric_error **err);

/* Runs the jobs with up to svc->max_parallel_layers threads. Returns -1 with the
 * first failure (by layer order) in *err. */
int layer_jobs_run(struct image_service *svc, struct registry_client *client, const char *repo, struct layer_job *jobs,
                   size_t n, struct cric_error **err);

#endif
