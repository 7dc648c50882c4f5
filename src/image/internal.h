/* Private to image/. */
#ifndef CRIC_IMAGE_INTERNAL_H
#define CRIC_IMAGE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

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

        /* Where pulled layers and images go (pull_sink_local: db and ls). */
        const struct pull_sink *sink;
        void *sink_ctx;
        char *pull_helper;     /* cric-pull's path: pulls run there (NULL: in this process) */
        uint64_t pulled_bytes; /* atomic: compressed bytes of the layers fetched */
};

/* A pull's layers and image, ready to be stored. */
struct pull_layer_out {
        const char *chain_id, *diff_id, *digest;
        struct layer_tmp *tmp; /* NULL: stored already; the commit takes it */
        int64_t size, compressed_size;
};
struct pull_out {
        struct pull_layer_out *layers;
        size_t n;
        char **chains;  /* the layers' chain ids, base first, NULL-terminated */
        const char *id; /* the image id: the config's sha256, 64 hex (the puller hashes it) */
        const char *config_json;
        const char *manifest_digest;
        const char *tag;         /* "name:tag", or NULL */
        const char *repo_digest; /* "name@digest" */
};

/* Where a pull's results go: into the store in this process (pull_sink_local), or
 * from a pull helper over to cricd (pull_child.c). */
struct pull_sink {
        /* Claims chains (NULL-terminated) as inflight_claim does, and says which are
         * stored already (present: one per chain). */
        int (*claim)(void *ctx, char *const *chains, bool *present, struct cric_error **err);
        void (*release)(void *ctx, char *const *chains);
        /* Commits the layers in order, then the image (*ret_id: its id); on failure takes
         * back the committed layers no image uses. Takes every tmp of out, always. */
        int (*commit)(void *ctx, struct pull_out *out, char **ret_id, struct cric_error **err);
};
extern const struct pull_sink pull_sink_local; /* ctx: the image_service */

/* A service with no database, for a pull helper: its pulls store through sink. */
struct image_service *image_service_new_detached(struct layer_store *ls, const struct image_service_opts *opts,
                                                 const struct pull_sink *sink, void *sink_ctx);

/* Pulls input with svc's settings, its results going to svc->sink (pull.c). */
int pull_image(struct image_service *svc, const char *input, const struct registry_auth *auth, const char *ns,
               char **ret_id, struct cric_error **err);
/* The same in a cric-pull helper process, with cricd serving its claims and commits
 * (pull_helper.c). */
int pull_in_helper(struct image_service *svc, const char *input, const struct registry_auth *auth, const char *ns,
                   char **ret_id, struct cric_error **err);

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
