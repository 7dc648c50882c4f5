/* ContainerStats, ListContainerStats, PodSandboxStats and ListPodSandboxStats, from
 * the cgroups the OCI runtime made and the containers' writable layers.
 *
 * usage_nano_cores is a rate: it needs the previous sample of the same cgroup, which a
 * small cache keeps between calls (the kubelet polls every few seconds). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroup/cgroup.h"
#include "cri.pb-c.h"
#include "runtime/runtime.h"
#include "server/ctr_status.h"
#include "server/pod_convert.h"
#include "server/rpc.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Samples older than this are dropped from the cache. */
#define SAMPLE_TTL_NS (10LL * 60 * 1000000000)

struct sample {
        char *key; /* the cgroup path */
        struct cgroup_stats stats;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sample *cache;
static size_t cache_n;

/* Swaps cur in as the cgroup's last sample; true with *ret when a rate can be computed. */
static bool nano_cores(const char *key, const struct cgroup_stats *cur, uint64_t *ret) {
        bool ok = false;
        pthread_mutex_lock(&cache_lock);
        size_t keep = 0;
        bool stored = false;
        for (size_t i = 0; i < cache_n; i++) {
                struct sample *s = &cache[i];
                if (!strcmp(s->key, key)) {
                        ok = cgroup_cpu_nano_cores(&s->stats, cur, ret);
                        s->stats = *cur;
                        stored = true;
                } else if ((int64_t) (cur->monotonic_ns - s->stats.monotonic_ns) > SAMPLE_TTL_NS) {
                        free(s->key);
                        continue;
                }
                cache[keep++] = *s;
        }
        cache_n = keep;
        if (!stored) {
                cache = xrealloc(cache, (cache_n + 1) * sizeof(*cache));
                cache[cache_n++] = (struct sample){.key = xstrdup(key), .stats = *cur};
        }
        pthread_mutex_unlock(&cache_lock);
        return ok;
}

static Runtime__V1__UInt64Value *u64(uint64_t v) {
        Runtime__V1__UInt64Value *x = xmalloc(sizeof(*x));
        runtime__v1__uint64_value__init(x);
        x->value = v;
        return x;
}

static int64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static Runtime__V1__CpuUsage *cpu_of(const struct cgroup_stats *s, const char *key) {
        Runtime__V1__CpuUsage *c = xmalloc(sizeof(*c));
        runtime__v1__cpu_usage__init(c);
        c->timestamp = s ? (int64_t) s->timestamp_ns : now_ns();
        if (!s || !s->has_cpu)
                return c;
        c->usage_core_nano_seconds = u64(s->cpu_usage_core_ns);
        uint64_t nc = 0;
        if (key && nano_cores(key, s, &nc))
                c->usage_nano_cores = u64(nc);
        return c;
}

static Runtime__V1__MemoryUsage *memory_of(const struct cgroup_stats *s) {
        Runtime__V1__MemoryUsage *m = xmalloc(sizeof(*m));
        runtime__v1__memory_usage__init(m);
        m->timestamp = s ? (int64_t) s->timestamp_ns : now_ns();
        if (!s)
                return m;
        if (s->has_working_set)
                m->working_set_bytes = u64(s->memory_working_set_bytes);
        if (s->has_available)
                m->available_bytes = u64(s->memory_available_bytes);
        if (s->has_memory_usage)
                m->usage_bytes = u64(s->memory_usage_bytes);
        if (s->has_rss)
                m->rss_bytes = u64(s->memory_rss_bytes);
        if (s->has_page_faults) {
                m->page_faults = u64(s->page_faults);
                m->major_page_faults = u64(s->major_page_faults);
        }
        return m;
}

/* Reads the cgroup below the hierarchy roots; false when it is gone or unreadable. */
static bool read_cgroup(struct rpc_ctx *ctx, const char *cgroup, struct cgroup_stats *ret) {
        const struct cgroup_mounts *m = runtime_cgroups(ctx->deps->runtime);
        if (!m || !cgroup || !*cgroup)
                return false;
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *p = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (cgroup_paths_new(m, cgroup, &p, &e) < 0 || cgroup_stats_read(p, ret, &e) < 0) {
                if (e->kind != CRIC_E_NOT_FOUND)
                        cric_error_log_free(&e, "stats of cgroup %s", cgroup);
                return false;
        }
        return true;
}

static Runtime__V1__ContainerStats *container_stats(struct rpc_ctx *ctx, const struct container_row *c,
                                                    struct cgroup_stats *ret_sample, bool *ret_has) {
        Runtime__V1__ContainerStats *s = xmalloc(sizeof(*s));
        runtime__v1__container_stats__init(s);
        s->attributes = xmalloc(sizeof(*s->attributes));
        runtime__v1__container_attributes__init(s->attributes);
        s->attributes->id = xstrdup(c->id);
        s->attributes->metadata = ctr_metadata_of(c);
        Runtime__V1__ContainerConfig *cfg = ctr_config_of(c);
        if (cfg) {
                s->attributes->labels = map_copy((void *const *) cfg->labels, cfg->n_labels,
                                                 &runtime__v1__container_attributes__labels_entry__descriptor,
                                                 &s->attributes->n_labels);
                s->attributes->annotations = map_copy((void *const *) cfg->annotations, cfg->n_annotations,
                                                      &runtime__v1__container_attributes__annotations_entry__descriptor,
                                                      &s->attributes->n_annotations);
                runtime__v1__container_config__free_unpacked(cfg, NULL);
        }
        struct cgroup_stats st;
        bool has = c->state != CONTAINER_ROW_EXITED && read_cgroup(ctx, c->cgroup, &st);
        s->cpu = cpu_of(has ? &st : NULL, c->cgroup);
        s->memory = memory_of(has ? &st : NULL);
        uint64_t bytes = 0, inodes = 0;
        AUTOFREE char *path = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        s->writable_layer = xmalloc(sizeof(*s->writable_layer));
        runtime__v1__filesystem_usage__init(s->writable_layer);
        s->writable_layer->timestamp = now_ns();
        if (runtime_container_usage(ctx->deps->runtime, c, &bytes, &inodes, &path, &e) == 0) {
                s->writable_layer->fs_id = xmalloc(sizeof(*s->writable_layer->fs_id));
                runtime__v1__filesystem_identifier__init(s->writable_layer->fs_id);
                s->writable_layer->fs_id->mountpoint = STEAL_PTR(path);
                s->writable_layer->used_bytes = u64(bytes);
                s->writable_layer->inodes_used = u64(inodes);
        } else {
                cric_error_log_free(&e, "writable layer of container %s", c->id);
        }
        if (ret_sample && has)
                *ret_sample = st;
        if (ret_has)
                *ret_has = has;
        return s;
}

int rpc_container_stats(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                        struct cric_error **err) {
        const Runtime__V1__ContainerStatsRequest *r = (const Runtime__V1__ContainerStatsRequest *) req;
        if (!*r->container_id)
                return cric_error_set(err, CRIC_E_INVALID, "ContainerStats: no container id given");
        CLEANUP(container_row_freep) struct container_row *c = NULL;
        if (runtime_container_get(ctx->deps->runtime, r->container_id, &c, err) < 0)
                return -1;
        Runtime__V1__ContainerStatsResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__container_stats_response__init(resp);
        resp->stats = container_stats(ctx, c, NULL, NULL);
        *ret_resp = &resp->base;
        return 0;
}

static bool ctr_selected(const struct container_row *c, const Runtime__V1__ContainerStatsFilter *f) {
        if (c->state == CONTAINER_ROW_EXITED)
                return false;
        if (!f)
                return true;
        if (*f->id && strncmp(c->id, f->id, strlen(f->id)))
                return false;
        if (*f->pod_sandbox_id && strncmp(c->pod_id, f->pod_sandbox_id, strlen(f->pod_sandbox_id)))
                return false;
        if (!f->n_label_selector)
                return true;
        Runtime__V1__ContainerConfig *cfg = ctr_config_of(c);
        bool ok = cfg && map_includes((void *const *) cfg->labels, cfg->n_labels, (void *const *) f->label_selector,
                                      f->n_label_selector);
        if (cfg)
                runtime__v1__container_config__free_unpacked(cfg, NULL);
        return ok;
}

int rpc_list_container_stats(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                             struct cric_error **err) {
        const Runtime__V1__ListContainerStatsRequest *r = (const Runtime__V1__ListContainerStatsRequest *) req;
        struct container_row **rows = NULL;
        size_t n = 0;
        if (runtime_container_list(ctx->deps->runtime, NULL, &rows, &n, err) < 0)
                return -1;
        Runtime__V1__ListContainerStatsResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__list_container_stats_response__init(resp);
        resp->stats = xcalloc(n ? n : 1, sizeof(*resp->stats));
        for (size_t i = 0; i < n; i++)
                if (ctr_selected(rows[i], r->filter))
                        resp->stats[resp->n_stats++] = container_stats(ctx, rows[i], NULL, NULL);
        container_rows_free(rows, n);
        *ret_resp = &resp->base;
        return 0;
}

/* The pod's own cgroup when the kubelet gave it one (cgroupfs form or a systemd slice). */
static bool pod_cgroup_stats(struct rpc_ctx *ctx, const Runtime__V1__PodSandboxConfig *cfg, char **ret_key,
                             struct cgroup_stats *ret) {
        if (!cfg || !cfg->linux || !*cfg->linux->cgroup_parent)
                return false;
        const struct cgroup_driver *drv = cgroup_driver_find(cgroup_manager_to_string(ctx->cfg->cgroup_manager));
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (!drv || drv->pod_parent(cfg->linux->cgroup_parent, ret_key, &e) < 0)
                return false;
        return read_cgroup(ctx, *ret_key, ret);
}

static void add_sample(struct cgroup_stats *sum, const struct cgroup_stats *s) {
        sum->timestamp_ns = s->timestamp_ns;
        sum->monotonic_ns = s->monotonic_ns;
#define ADD(flag, field)                                                                                               \
        if (s->flag) {                                                                                                 \
                sum->flag = true;                                                                                      \
                sum->field += s->field;                                                                                \
        }
        ADD(has_cpu, cpu_usage_core_ns);
        ADD(has_memory_usage, memory_usage_bytes);
        ADD(has_working_set, memory_working_set_bytes);
        ADD(has_rss, memory_rss_bytes);
        ADD(has_pids, pids_current);
#undef ADD
        if (s->has_page_faults) {
                sum->has_page_faults = true;
                sum->page_faults += s->page_faults;
                sum->major_page_faults += s->major_page_faults;
        }
}

static Runtime__V1__PodSandboxStats *pod_stats(struct rpc_ctx *ctx, const struct pod_row *pod) {
        Runtime__V1__PodSandboxStats *s = xmalloc(sizeof(*s));
        runtime__v1__pod_sandbox_stats__init(s);
        s->attributes = xmalloc(sizeof(*s->attributes));
        runtime__v1__pod_sandbox_attributes__init(s->attributes);
        s->attributes->id = xstrdup(pod->id);
        s->attributes->metadata = pod_metadata_of(pod);
        Runtime__V1__PodSandboxConfig *cfg = pod_config_of(pod);
        if (cfg) {
                s->attributes->labels = map_copy((void *const *) cfg->labels, cfg->n_labels,
                                                 &runtime__v1__pod_sandbox_attributes__labels_entry__descriptor,
                                                 &s->attributes->n_labels);
                s->attributes->annotations =
                        map_copy((void *const *) cfg->annotations, cfg->n_annotations,
                                 &runtime__v1__pod_sandbox_attributes__annotations_entry__descriptor,
                                 &s->attributes->n_annotations);
        }
        Runtime__V1__LinuxPodSandboxStats *l = xmalloc(sizeof(*l));
        runtime__v1__linux_pod_sandbox_stats__init(l);
        s->linux = l;
        struct container_row **rows = NULL;
        size_t n = 0;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (runtime_container_list(ctx->deps->runtime, pod->id, &rows, &n, &e) < 0)
                cric_error_log_free(&e, "stats of pod %s", pod->id);
        struct cgroup_stats sum = {0};
        bool has_sum = false;
        l->containers = xcalloc(n ? n : 1, sizeof(*l->containers));
        for (size_t i = 0; i < n; i++) {
                if (rows[i]->state == CONTAINER_ROW_EXITED)
                        continue;
                struct cgroup_stats one;
                bool has = false;
                l->containers[l->n_containers++] = container_stats(ctx, rows[i], &one, &has);
                if (has) {
                        add_sample(&sum, &one);
                        has_sum = true;
                }
        }
        container_rows_free(rows, n);
        AUTOFREE char *key = NULL;
        struct cgroup_stats own;
        const struct cgroup_stats *use = NULL;
        if (pod_cgroup_stats(ctx, cfg, &key, &own)) {
                use = &own;
        } else if (has_sum) {
                use = &sum;
                free(key);
                key = xasprintf("pod:%s", pod->id);
        }
        l->cpu = cpu_of(use, key);
        l->memory = memory_of(use);
        if (use && use->has_pids) {
                l->process = xmalloc(sizeof(*l->process));
                runtime__v1__process_usage__init(l->process);
                l->process->timestamp = (int64_t) use->timestamp_ns;
                l->process->process_count = u64(use->pids_current);
        }
        if (cfg)
                runtime__v1__pod_sandbox_config__free_unpacked(cfg, NULL);
        return s;
}

int rpc_pod_sandbox_stats(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                          struct cric_error **err) {
        const Runtime__V1__PodSandboxStatsRequest *r = (const Runtime__V1__PodSandboxStatsRequest *) req;
        if (!*r->pod_sandbox_id)
                return cric_error_set(err, CRIC_E_INVALID, "PodSandboxStats: no pod id given");
        CLEANUP(pod_row_freep) struct pod_row *pod = NULL;
        if (runtime_pod_get(ctx->deps->runtime, r->pod_sandbox_id, &pod, err) < 0)
                return -1;
        Runtime__V1__PodSandboxStatsResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__pod_sandbox_stats_response__init(resp);
        resp->stats = pod_stats(ctx, pod);
        *ret_resp = &resp->base;
        return 0;
}

static bool pod_selected(const struct pod_row *pod, const Runtime__V1__PodSandboxStatsFilter *f) {
        if (pod->state != POD_ROW_READY)
                return false;
        if (!f)
                return true;
        if (*f->id && strncmp(pod->id, f->id, strlen(f->id)))
                return false;
        if (!f->n_label_selector)
                return true;
        Runtime__V1__PodSandboxConfig *cfg = pod_config_of(pod);
        bool ok = cfg && map_includes((void *const *) cfg->labels, cfg->n_labels, (void *const *) f->label_selector,
                                      f->n_label_selector);
        if (cfg)
                runtime__v1__pod_sandbox_config__free_unpacked(cfg, NULL);
        return ok;
}

int rpc_list_pod_sandbox_stats(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                               struct cric_error **err) {
        const Runtime__V1__ListPodSandboxStatsRequest *r = (const Runtime__V1__ListPodSandboxStatsRequest *) req;
        struct pod_row **rows = NULL;
        size_t n = 0;
        if (runtime_pod_list(ctx->deps->runtime, &rows, &n, err) < 0)
                return -1;
        Runtime__V1__ListPodSandboxStatsResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__list_pod_sandbox_stats_response__init(resp);
        resp->stats = xcalloc(n ? n : 1, sizeof(*resp->stats));
        for (size_t i = 0; i < n; i++)
                if (pod_selected(rows[i], r->filter))
                        resp->stats[resp->n_stats++] = pod_stats(ctx, rows[i]);
        pod_rows_free(rows, n);
        *ret_resp = &resp->base;
        return 0;
}
