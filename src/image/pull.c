/* PullImage: registries.conf resolution, manifest (index -> platform), config,
 * layers in parallel, then one transaction that makes the image visible. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "image/image_config.h"
#include "image/internal.h"
#include "image/ref.h"
#include "image/registries.h"
#include "image/sig.h"
#include "metrics/metrics.h"
#include "util/cleanup.h"
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
        char **chains;      /* chain ids, base first (NULL-terminated) */
        char **v1_diff_ids; /* schema 1: the diff ids unpacking found */
};

static void pull_clear(struct pull *p) {
        registry_client_free(p->client);
        free(p->top_digest);
        free(p->manifest_digest);
        manifest_free(p->manifest);
        free(p->config_json);
        image_config_free(p->config);
        strv_free(p->chains);
        strv_free(p->v1_diff_ids);
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

/* Schema 1 learns its diff ids from unpacking: fill them into the config. */
static int finish_v1_config(struct pull *p, struct layer_job *jobs, struct cric_error **err) {
        size_t n = p->manifest->n_layers;
        CLEANUP(strv_freep) char **diff_ids = xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
                diff_ids[i] = xstrdup(jobs[i].result.diff_id);
        AUTOFREE char *json = NULL;
        if (image_config_set_diff_ids(p->config_json, diff_ids, n, &json, err) < 0)
                return -1;
        free(p->config_json);
        p->config_json = STEAL_PTR(json);
        strv_free(p->chains);
        p->chains = chains_from_diff_ids(diff_ids, n);
        p->v1_diff_ids = STEAL_PTR(diff_ids);
        return 0;
}

/* overlay: each layer's directory holds only its own changes, so every missing
 * layer downloads and unpacks at once. */
static int unpack_parallel(struct pull *p, struct layer_job *jobs, const bool *present, struct cric_error **err) {
        size_t n = p->manifest->n_layers, ntodo = 0;
        size_t *todo = xcalloc(n ? n : 1, sizeof(*todo));
        for (size_t i = 0; i < n; i++)
                if (!present[i])
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
        return r;
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
 * directory, still in tmp/; then one sync before the commits. (A sync and a commit for
 * each layer cost btrfs two transaction commits a layer.) */
static int unpack_sequential(struct pull *p, struct layer_job *jobs, const bool *present, bool v1,
                             struct cric_error **err) {
        size_t n = p->manifest->n_layers;
        if (v1)
                p->chains = xcalloc(n + 1, sizeof(char *));
        const struct layer_tmp *parent_tmp = NULL;
        for (size_t i = 0; i < n; i++) {
                if (present[i]) {
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
        return 0;
}

/* Hands the layers (their tmps) and the image to the sink. */
static int commit_pull(struct pull *p, struct layer_job *jobs, char **ret_id, struct cric_error **err) {
        size_t n = p->manifest->n_layers;
        char *const *diff_ids = p->v1_diff_ids ? p->v1_diff_ids : p->config->diff_ids;
        AUTOFREE struct pull_layer_out *layers = xcalloc(n ? n : 1, sizeof(*layers));
        for (size_t i = 0; i < n; i++)
                layers[i] = (struct pull_layer_out){
                        .chain_id = p->chains[i],
                        .diff_id = diff_ids[i],
                        .digest = p->manifest->layers[i].digest,
                        .tmp = STEAL_PTR(jobs[i].tmp),
                        .size = jobs[i].result.uncompressed_size,
                        .compressed_size = jobs[i].result.compressed_size,
                };
        AUTOFREE char *tagged = image_ref_tagged(p->name);
        AUTOFREE char *with_digest = image_ref_with_digest(p->name, p->top_digest);
        /* hashed here, where the pull runs, so that cricd never needs sha256 for a pull */
        char config_digest[DIGEST_STR_LEN + 1];
        digest_buffer(p->config_json, strlen(p->config_json), config_digest);
        struct pull_out out = {
                .layers = layers,
                .n = n,
                .chains = p->chains,
                .id = config_digest + 7,
                .config_json = p->config_json,
                .manifest_digest = p->manifest_digest,
                .tag = tagged,
                .repo_digest = with_digest,
        };
        return p->svc->sink->commit(p->svc->sink_ctx, &out, ret_id, err);
}

static int pull_layers(struct pull *p, char **ret_id, struct cric_error **err) {
        struct image_service *svc = p->svc;
        size_t n = p->manifest->n_layers;
        bool v1 = p->manifest->kind == MANIFEST_DOCKER_V2S1;
        if (!v1)
                p->chains = chains_from_diff_ids(p->config->diff_ids, n);
        AUTOFREE bool *present = xcalloc(n + 1, sizeof(bool));
        /* Schema 1 chain ids are known only after unpacking: no sharing for those. */
        if (!v1 && svc->sink->claim(svc->sink_ctx, p->chains, present, err) < 0)
                return -1;
        struct layer_job *jobs = xcalloc(n ? n : 1, sizeof(*jobs));
        for (size_t i = 0; i < n; i++) {
                jobs[i].desc = &p->manifest->layers[i];
                jobs[i].expected_diff_id = v1 ? NULL : p->config->diff_ids[i];
        }
        int r = layer_store_is_stacked(svc->ls) ? unpack_parallel(p, jobs, present, err)
                                                : unpack_sequential(p, jobs, present, v1, err);
        if (r == 0 && v1)
                r = finish_v1_config(p, jobs, err);
        if (r == 0)
                r = commit_pull(p, jobs, ret_id, err);
        for (size_t i = 0; i < n; i++)
                layer_tmp_discard(jobs[i].tmp);
        if (!v1)
                svc->sink->release(svc->sink_ctx, p->chains);
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

int pull_image(struct image_service *svc, const char *input, const struct registry_auth *auth, const char *ns,
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
        int r = svc->pull_helper ? pull_in_helper(svc, input, auth, ns, ret_id, err)
                                 : pull_image(svc, input, auth, ns, ret_id, err);
        if (metrics_enabled())
                metrics_image_pull_done(r >= 0, r < 0 && err ? *err : NULL, metrics_now() - start);
        return r;
}
