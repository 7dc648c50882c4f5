/* PullImage: registries.conf resolution, manifest (index -> platform), config,
 * layers in parallel, then one transaction that makes the image visible. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image/image_config.h"
#include "image/internal.h"
#include "image/ref.h"
#include "image/registries.h"
#include "image/sig.h"
#include "metrics/metrics.h"
#include "util/cleanup.h"
#include "util/crashpoint.h"
#include "util/digest.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define MAX_CONFIG_SIZE (8 << 20)

/* Everything learned about one image while pulling it. */
struct pull {
        struct image_service *svc;
        const struct pull_source *src;
        const struct image_ref *name;  /* the name the user asked for (not the mirror's) */
        struct policy_checker *policy; /* NULL: no signature policy */
        struct registry_client *client;
        char *top_digest;      /* digest the tag resolved to (index or manifest) */
        char *manifest_digest; /* the platform's image manifest */
        struct manifest *manifest;
        char *config_json;
        struct image_config *config;
        char **chains; /* chain ids, base first (NULL-terminated) */
};

static void pull_clear(struct pull *p) {
        registry_client_free(p->client);
        free(p->top_digest);
        free(p->manifest_digest);
        manifest_free(p->manifest);
        free(p->config_json);
        image_config_free(p->config);
        strv_free(p->chains);
}

static int fetch_manifest(struct pull *p, struct cric_error **err) {
        const char *reference = p->src->ref->digest ? p->src->ref->digest : p->src->ref->tag;
        AUTOFREE char *data = NULL, *media_type = NULL;
        size_t len = 0;
        if (registry_fetch_manifest(p->client, p->src->ref->path, reference, &data, &len, &media_type, &p->top_digest,
                                    err) < 0)
                return -1;
        if (manifest_parse(media_type, data, len, &p->manifest, err) < 0)
                return -1;
        if (p->manifest->kind != MANIFEST_OCI_INDEX && p->manifest->kind != MANIFEST_DOCKER_LIST) {
                p->manifest_digest = xstrdup(p->top_digest);
                return 0;
        }
        const char *os, *arch, *variant;
        platform_host(&os, &arch, &variant);
        const struct descriptor *d = NULL;
        if (manifest_select_platform(p->manifest, os, arch, variant, &d, err) < 0)
                return -1;
        AUTOFREE char *digest = xstrdup(d->digest);
        p->manifest = manifest_free(p->manifest);
        free(data);
        free(media_type);
        data = media_type = NULL;
        if (registry_fetch_manifest(p->client, p->src->ref->path, digest, &data, &len, &media_type, &p->manifest_digest,
                                    err) < 0)
                return cric_error_prefix(err, "platform manifest %s", digest);
        if (manifest_parse(media_type, data, len, &p->manifest, err) < 0)
                return -1;
        if (p->manifest->kind == MANIFEST_OCI_INDEX || p->manifest->kind == MANIFEST_DOCKER_LIST)
                return cric_error_set(err, CRIC_E_INVALID, "manifest %s: an index inside an index", digest);
        return 0;
}

int mem_sink_write(void *ctx, const void *data, size_t len, struct cric_error **err) {
        struct mem_sink *m = ctx;
        if (m->len + len > m->max)
                return cric_error_set(err, CRIC_E_INVALID, "%s is larger than %zu bytes", m->what, m->max);
        m->buf = xgrow(m->buf, &m->cap, m->len + len + 1, 1);
        memcpy(m->buf + m->len, data, len);
        m->len += len;
        m->buf[m->len] = '\0';
        return 0;
}

static int fetch_config(struct pull *p, struct cric_error **err) {
        if (p->manifest->kind == MANIFEST_DOCKER_V2S1) {
                p->config_json = xstrdup(p->manifest->v1_config_json);
                return image_config_parse(p->config_json, strlen(p->config_json), &p->config, err);
        }
        const char *digest = p->manifest->config.digest;
        struct mem_sink m = {.max = MAX_CONFIG_SIZE, .what = "image config"};
        if (registry_fetch_blob(p->client, p->src->ref->path, digest, mem_sink_write, &m, err) < 0) {
                free(m.buf);
                return cric_error_prefix(err, "config %s", digest);
        }
        p->config_json = m.buf ? m.buf : xstrdup("");
        char got[DIGEST_STR_LEN + 1];
        digest_buffer(p->config_json, m.len, got);
        if (strcmp(got, digest))
                return cric_error_set(err, CRIC_E_INVALID, "config %s: content has digest %s", digest, got);
        if (image_config_parse(p->config_json, m.len, &p->config, err) < 0)
                return cric_error_prefix(err, "config %s", digest);
        if (p->config->n_diff_ids != p->manifest->n_layers)
                return cric_error_set(err, CRIC_E_INVALID, "config %s lists %zu layers, the manifest %zu", digest,
                                      p->config->n_diff_ids, p->manifest->n_layers);
        return 0;
}

static char **chains_from_diff_ids(char *const *diff_ids, size_t n) {
        char **chains = xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++) {
                char c[DIGEST_STR_LEN + 1];
                layer_chain_id(i ? chains[i - 1] : NULL, diff_ids[i], c);
                chains[i] = xstrdup(c);
        }
        return chains;
}

/* A layer is present when both its row and its directory exist. */
static bool layer_present(struct image_service *svc, const char *chain) {
        CLEANUP(layer_row_freep) struct layer_row *row = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        return store_layer_get(svc->db, chain, &row, &err) == 0 && layer_store_has(svc->ls, chain);
}

static int commit_layer(struct pull *p, struct layer_job *job, size_t i, const char *diff_id, struct cric_error **err) {
        if (!job->tmp)
                return 0; /* already stored */
        crashpoint("pull-layer-unpacked");
        if (layer_tmp_commit(p->svc->ls, STEAL_PTR(job->tmp), p->chains[i], err) < 0)
                return -1;
        crashpoint("pull-layer-committed");
        struct layer_row row = {
                .chain_id = p->chains[i],
                .parent_chain_id = i ? p->chains[i - 1] : NULL,
                .diff_id = (char *) diff_id,
                .digest = p->manifest->layers[i].digest,
                .size = job->result.uncompressed_size,
                .compressed_size = job->result.compressed_size,
        };
        return store_layer_put(p->svc->db, &row, err);
}

static int commit_layers(struct pull *p, struct layer_job *jobs, char **diff_ids, struct cric_error **err) {
        for (size_t i = 0; i < p->manifest->n_layers; i++)
                if (commit_layer(p, &jobs[i], i, diff_ids[i], err) < 0)
                        return -1;
        return 0;
}

/* Schema 1 learns its diff ids from unpacking: fill them into the config. */
static int finish_v1_config(struct pull *p, struct layer_job *jobs, char ***ret_diff_ids, struct cric_error **err) {
        size_t n = p->manifest->n_layers;
        CLEANUP(strv_freep) char **diff_ids = xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
                diff_ids[i] = xstrdup(jobs[i].result.diff_id);
        AUTOFREE char *json = NULL;
        if (image_config_set_diff_ids(p->config_json, diff_ids, n, &json, err) < 0)
                return -1;
        free(p->config_json);
        p->config_json = STEAL_PTR(json);
        p->chains = chains_from_diff_ids(diff_ids, n);
        *ret_diff_ids = STEAL_PTR(diff_ids);
        return 0;
}

static int64_t layers_size(struct pull *p) {
        int64_t total = 0;
        for (size_t i = 0; p->chains[i]; i++) {
                CLEANUP(layer_row_freep) struct layer_row *row = NULL;
                CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                if (store_layer_get(p->svc->db, p->chains[i], &row, &err) == 0)
                        total += row->size;
        }
        return total;
}

static int commit_image(struct pull *p, char **ret_id, struct cric_error **err) {
        char config_digest[DIGEST_STR_LEN + 1];
        digest_buffer(p->config_json, strlen(p->config_json), config_digest);
        AUTOFREE char *tagged = image_ref_tagged(p->name);
        AUTOFREE char *with_digest = image_ref_with_digest(p->name, p->top_digest);
        char *tags[] = {tagged, NULL}, *digests[] = {with_digest, NULL};
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        struct image_row img = {
                .id = config_digest + 7,
                .config_json = p->config_json,
                .manifest_digest = p->manifest_digest,
                .size = layers_size(p),
                .pulled_at_ns = (int64_t) now.tv_sec * 1000000000LL + now.tv_nsec,
                .repo_tags = tagged ? tags : NULL,
                .repo_digests = digests,
                .layers = p->chains,
        };
        crashpoint("pull-layers-stored");
        if (store_image_put(p->svc->db, &img, err) < 0)
                return -1;
        *ret_id = xstrdup(img.id);
        return 0;
}

/* overlay: each layer's directory holds only its own changes, so every missing
 * layer downloads and unpacks at once; they are committed when all arrived. */
static int unpack_parallel(struct pull *p, struct layer_job *jobs, bool v1, struct cric_error **err) {
        size_t n = p->manifest->n_layers, ntodo = 0;
        size_t *todo = xcalloc(n ? n : 1, sizeof(*todo));
        for (size_t i = 0; i < n; i++)
                if (v1 || !layer_present(p->svc, p->chains[i]))
                        todo[ntodo++] = i;
        /* layer_jobs_run wants a contiguous array: run the missing ones in a copy. */
        struct layer_job *run = xcalloc(ntodo ? ntodo : 1, sizeof(*run));
        for (size_t i = 0; i < ntodo; i++)
                run[i] = jobs[todo[i]];
        int r = layer_jobs_run(p->svc, p->client, p->src->ref->path, run, ntodo, err);
        for (size_t i = 0; i < ntodo; i++)
                jobs[todo[i]] = run[i];
        free(run);
        free(todo);
        char **diff_ids = v1 ? NULL : p->config->diff_ids;
        CLEANUP(strv_freep) char **v1_diff_ids = NULL;
        if (r == 0 && v1 && (r = finish_v1_config(p, jobs, &v1_diff_ids, err)) == 0)
                diff_ids = v1_diff_ids;
        return r < 0 ? r : commit_layers(p, jobs, diff_ids, err);
}

/* One syncfs makes every layer's files durable (they share the file system). */
static void sync_layers(struct layer_job *jobs, size_t n) {
        struct layer_tmp *last = NULL;
        for (size_t i = 0; i < n; i++)
                if (jobs[i].tmp)
                        last = jobs[i].tmp;
        if (!last)
                return;
        layer_tmp_sync(last);
        for (size_t i = 0; last->is_synced && i < n; i++)
                if (jobs[i].tmp)
                        jobs[i].tmp->is_synced = true;
}

/* vfs and btrfs: a layer's directory is a full copy (or a snapshot) of its parent plus
 * its changes, so layers unpack one at a time, each starting from its parent's
 * directory, still in tmp/; then one sync, and the commits in order. (A sync and a
 * commit for each layer cost btrfs two transaction commits a layer.) */
static int unpack_sequential(struct pull *p, struct layer_job *jobs, bool v1, struct cric_error **err) {
        size_t n = p->manifest->n_layers;
        if (v1)
                p->chains = xcalloc(n + 1, sizeof(char *));
        const struct layer_tmp *parent_tmp = NULL;
        for (size_t i = 0; i < n; i++) {
                if (!v1 && layer_present(p->svc, p->chains[i])) {
                        parent_tmp = NULL;
                        continue;
                }
                jobs[i].parent_chain_id = i ? p->chains[i - 1] : NULL;
                jobs[i].parent_tmp = parent_tmp;
                jobs[i].defer_sync = true;
                if (layer_jobs_run(p->svc, p->client, p->src->ref->path, &jobs[i], 1, err) < 0)
                        return -1;
                parent_tmp = jobs[i].tmp;
                if (v1) {
                        char c[DIGEST_STR_LEN + 1];
                        layer_chain_id(i ? p->chains[i - 1] : NULL, jobs[i].result.diff_id, c);
                        p->chains[i] = xstrdup(c);
                }
        }
        sync_layers(jobs, n);
        for (size_t i = 0; i < n; i++)
                if (commit_layer(p, &jobs[i], i, v1 ? jobs[i].result.diff_id : p->config->diff_ids[i], err) < 0)
                        return -1;
        if (!v1)
                return 0;
        CLEANUP(strv_freep) char **diff_ids = NULL;
        strv_freep(&p->chains);
        return finish_v1_config(p, jobs, &diff_ids, err);
}

static int pull_layers(struct pull *p, char **ret_id, struct cric_error **err) {
        size_t n = p->manifest->n_layers;
        bool v1 = p->manifest->kind == MANIFEST_DOCKER_V2S1;
        bool stacked = layer_store_is_stacked(p->svc->ls);
        if (!v1)
                p->chains = chains_from_diff_ids(p->config->diff_ids, n);
        struct layer_job *jobs = xcalloc(n ? n : 1, sizeof(*jobs));
        for (size_t i = 0; i < n; i++) {
                jobs[i].desc = &p->manifest->layers[i];
                jobs[i].expected_diff_id = v1 ? NULL : p->config->diff_ids[i];
        }
        /* Schema 1 chain ids are known only after unpacking: no sharing for those. */
        if (!v1)
                inflight_claim(p->svc, p->chains);
        int r = stacked ? unpack_parallel(p, jobs, v1, err) : unpack_sequential(p, jobs, v1, err);
        if (r == 0)
                r = commit_image(p, ret_id, err);
        for (size_t i = 0; i < n; i++)
                layer_tmp_discard(jobs[i].tmp);
        /* Full-tree layers were committed one by one: a failed pull takes back those no
         * image uses (stacked ones were not committed before all had arrived). */
        if (r < 0 && !stacked)
                image_free_layers(p->svc, p->chains);
        if (!v1)
                inflight_release(p->svc, p->chains);
        free(jobs);
        return r;
}

/* Before anything is stored: the signature policy, on the manifest the tag resolved to. */
static int check_policy(struct pull *p, struct cric_error **err) {
        if (!p->policy)
                return 0;
        return policy_check(p->policy, p->name, p->top_digest, p->client, p->src->ref->path, err);
}

static int pull_from(struct image_service *svc, const struct pull_source *src, const struct image_ref *name,
                     const struct registry_auth *auth, struct policy_checker *policy, char **ret_id,
                     struct cric_error **err) {
        struct registry_opts ro = {
                .domain = src->ref->domain,
                .insecure = src->insecure || registries_insecure_listed(svc->insecure_registries, src->ref->domain),
                .certs_dir = svc->certs_dir,
                .auth = auth,
                .auth_file = svc->auth_file,
                .retries = -1,
        };
        struct pull p = {.svc = svc, .src = src, .name = name, .policy = policy};
        int r = registry_client_new(&ro, &p.client, err);
        if (r == 0)
                r = fetch_manifest(&p, err);
        if (r == 0)
                r = check_policy(&p, err);
        if (r == 0)
                r = fetch_config(&p, err);
        if (r == 0)
                r = pull_layers(&p, ret_id, err);
        pull_clear(&p);
        return r;
}

/* Tries the sources of one qualified name in order (mirrors, then the primary). */
static int pull_name(struct image_service *svc, struct registries_conf *regs, const struct image_ref *name,
                     const struct registry_auth *auth, struct policy_checker *policy, char **ret_id,
                     struct cric_error **err) {
        struct pull_source *sources = NULL;
        size_t n = 0;
        if (registries_sources(regs, name, &sources, &n, err) < 0)
                return -1;
        int r = -1;
        /* The primary's error (the last source) is kept: a mirror's is less telling. And
         * *err stays untouched when a mirror failed and another source served. */
        CLEANUP(cric_error_freep) struct cric_error *last = NULL;
        for (size_t i = 0; i < n && r < 0; i++) {
                AUTOFREE char *where = image_ref_string(sources[i].ref);
                cric_error_freep(&last);
                r = pull_from(svc, &sources[i], name, auth, policy, ret_id, &last);
                if (r < 0)
                        log_info("pull %s from %s failed: %s", name->path, where, last->msg);
        }
        pull_sources_free(sources, n);
        if (r < 0 && !last)
                return cric_error_set(err, CRIC_E_INTERNAL, "no source to pull %s from", name->path);
        return r < 0 ? cric_error_move(err, &last) : 0;
}

static int pull_image(struct image_service *svc, const char *input, const struct registry_auth *auth, const char *ns,
                      char **ret_id, struct cric_error **err) {
        CLEANUP(registries_conf_freep) struct registries_conf *regs = NULL;
        if (registries_conf_load(svc->registries_conf, &regs, err) < 0)
                return cric_error_prefix(err, "pull %s", input);
        struct image_ref **names = NULL;
        size_t n = 0;
        if (registries_expand(regs, input, &names, &n, err) < 0)
                return cric_error_prefix(err, "pull %s", input);
        /* One read of the policy serves every name and source tried. */
        CLEANUP(policy_checker_freep) struct policy_checker *policy = NULL;
        if (svc->signature_policy)
                policy = policy_checker_new(&(struct policy_check_opts){
                        .policy_path = svc->signature_policy,
                        .policy_path_is_default = svc->signature_policy_is_default,
                        .policy_dir = svc->signature_policy_dir,
                        .ns = ns,
                        .registries_d = svc->registries_d,
                        .tmp_dir = svc->tmp_dir,
                });
        int r = -1;
        CLEANUP(cric_error_freep) struct cric_error *last = NULL; /* the last name's */
        for (size_t i = 0; i < n && r < 0; i++) {
                cric_error_freep(&last);
                r = pull_name(svc, regs, names[i], auth, policy, ret_id, &last);
        }
        for (size_t i = 0; i < n; i++)
                image_ref_free(names[i]);
        free(names);
        /* The layer workers' buffers went back to malloc's per-thread arenas, which the
         * daemon's trim threshold (tune_malloc in daemon/main.c) keeps: a pull is rare
         * and big, so give that memory back to the kernel now rather than at the next
         * quiet spell (util/memtrim.h). */
        malloc_trim(0);
        if (r < 0 && !last)
                return cric_error_set(err, CRIC_E_NOT_FOUND, "pull %s: no name to pull it by", input);
        if (r < 0) {
                /* a rejection names the image already, and must start as the kubelet expects */
                bool rejected = last->kind == CRIC_E_SIGNATURE;
                cric_error_move(err, &last);
                return rejected ? -1 : cric_error_prefix(err, "pull %s", input);
        }
        log_info("pulled %s as image %.12s", input, *ret_id);
        return 0;
}

int image_pull(struct image_service *svc, const char *input, const struct registry_auth *auth, const char *ns,
               char **ret_id, struct cric_error **err) {
        double start = metrics_enabled() ? metrics_now() : 0;
        int r = pull_image(svc, input, auth, ns, ret_id, err);
        if (metrics_enabled())
                metrics_image_pull_done(r >= 0, r < 0 && err ? *err : NULL, metrics_now() - start);
        return r;
}
