/* ContainerStats, ListContainerStats, PodSandboxStats and ListPodSandboxStats: the
 * runtime's usage samples as CRI messages, built in the reply arena. */
#include <stdlib.h>
#include <string.h>

#include "cri.pb-c.h"
#include "runtime/runtime.h"
#include "server/reply.h"
#include "server/rpc.h"
#include "server/stats_usage.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define u64 stats_u64

static Runtime__V1__CpuUsage *cpu_of(struct rpc_ctx *ctx, const struct runtime_usage *u) {
        Runtime__V1__CpuUsage *c = reply_new(ctx, &runtime__v1__cpu_usage__descriptor);
        c->timestamp = u->timestamp_ns;
        if (!u->has_cgroup || !u->cgroup.has_cpu)
                return c;
        c->usage_core_nano_seconds = u64(ctx, u->cgroup.cpu_usage_core_ns);
        if (u->has_nano_cores)
                c->usage_nano_cores = u64(ctx, u->nano_cores);
        c->psi = stats_psi_of(ctx, &u->cgroup.psi_cpu);
        return c;
}

static Runtime__V1__MemoryUsage *memory_of(struct rpc_ctx *ctx, const struct runtime_usage *u) {
        Runtime__V1__MemoryUsage *m = reply_new(ctx, &runtime__v1__memory_usage__descriptor);
        m->timestamp = u->timestamp_ns;
        if (!u->has_cgroup)
                return m;
        const struct cgroup_stats *s = &u->cgroup;
        if (s->has_working_set)
                m->working_set_bytes = u64(ctx, s->memory_working_set_bytes);
        if (s->has_available)
                m->available_bytes = u64(ctx, s->memory_available_bytes);
        if (s->has_memory_usage)
                m->usage_bytes = u64(ctx, s->memory_usage_bytes);
        if (s->has_rss)
                m->rss_bytes = u64(ctx, s->memory_rss_bytes);
        if (s->has_page_faults) {
                m->page_faults = u64(ctx, s->page_faults);
                m->major_page_faults = u64(ctx, s->major_page_faults);
        }
        m->psi = stats_psi_of(ctx, &s->psi_memory);
        return m;
}

static Runtime__V1__FilesystemUsage *fs_of(struct rpc_ctx *ctx, const struct runtime_usage *u) {
        Runtime__V1__FilesystemUsage *f = reply_new(ctx, &runtime__v1__filesystem_usage__descriptor);
        f->timestamp = u->timestamp_ns;
        if (!u->has_fs)
                return f;
        f->fs_id = reply_new(ctx, &runtime__v1__filesystem_identifier__descriptor);
        f->fs_id->mountpoint = rpc_strdup(ctx, u->fs_mountpoint ? u->fs_mountpoint : "");
        f->used_bytes = u64(ctx, u->fs_bytes);
        f->inodes_used = u64(ctx, u->fs_inodes);
        return f;
}

static Runtime__V1__ContainerStats *container_stats_of(struct rpc_ctx *ctx, const struct container_stats *cs) {
        const struct container_info *c = cs->view.info;
        Runtime__V1__ContainerStats *s = reply_new(ctx, &runtime__v1__container_stats__descriptor);
        s->attributes = reply_new(ctx, &runtime__v1__container_attributes__descriptor);
        s->attributes->id = rpc_strdup(ctx, c->id);
        s->attributes->metadata = reply_ctr_metadata(ctx, c);
        s->attributes->labels =
                REPLY_MAP(ctx, c->labels, runtime__v1__container_attributes__labels_entry, &s->attributes->n_labels);
        s->attributes->annotations =
                REPLY_MAP(ctx, c->annotations, runtime__v1__container_attributes__annotations_entry,
                          &s->attributes->n_annotations);
        s->cpu = cpu_of(ctx, &cs->usage);
        s->memory = memory_of(ctx, &cs->usage);
        s->writable_layer = fs_of(ctx, &cs->usage);
        s->swap = stats_swap_of(ctx, &cs->usage);
        s->io = stats_io_of(ctx, &cs->usage);
        return s;
}

int rpc_container_stats(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                        struct cric_error **err) {
        const Runtime__V1__ContainerStatsRequest *r = (const Runtime__V1__ContainerStatsRequest *) req;
        if (!*r->container_id)
                return cric_error_set(err, CRIC_E_INVALID, "ContainerStats: no container id given");
        struct container_stats cs;
        if (runtime_container_stats(ctx->deps->runtime, r->container_id, &cs, err) < 0)
                return -1;
        Runtime__V1__ContainerStatsResponse *resp = reply_new(ctx, &runtime__v1__container_stats_response__descriptor);
        resp->stats = container_stats_of(ctx, &cs);
        container_stats_clear(&cs);
        *ret_resp = &resp->base;
        return 0;
}

int rpc_list_container_stats(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                             struct cric_error **err) {
        (void) err;
        const Runtime__V1__ListContainerStatsRequest *r = (const Runtime__V1__ListContainerStatsRequest *) req;
        const Runtime__V1__ContainerStatsFilter *f = r->filter;
        AUTOFREE char **selector = f ? reply_pairs((void *const *) f->label_selector, f->n_label_selector) : NULL;
        struct container_filter cf = {
                .id_prefix = f ? f->id : NULL,
                .pod_id_prefix = f ? f->pod_sandbox_id : NULL,
                .state = -1,
                .label_selector = selector,
        };
        struct container_stats *cs = NULL;
        size_t n = 0;
        runtime_container_stats_list(ctx->deps->runtime, &cf, &cs, &n);
        Runtime__V1__ListContainerStatsResponse *resp =
                reply_new(ctx, &runtime__v1__list_container_stats_response__descriptor);
        resp->stats = rpc_alloc(ctx, (n ? n : 1) * sizeof(*resp->stats));
        for (size_t i = 0; i < n; i++)
                resp->stats[resp->n_stats++] = container_stats_of(ctx, &cs[i]);
        container_stats_free(cs, n);
        *ret_resp = &resp->base;
        return 0;
}

static Runtime__V1__PodSandboxStats *pod_stats_of(struct rpc_ctx *ctx, const struct pod_stats *ps) {
        const struct pod_info *p = ps->view.info;
        Runtime__V1__PodSandboxStats *s = reply_new(ctx, &runtime__v1__pod_sandbox_stats__descriptor);
        s->attributes = reply_new(ctx, &runtime__v1__pod_sandbox_attributes__descriptor);
        s->attributes->id = rpc_strdup(ctx, p->id);
        s->attributes->metadata = reply_pod_metadata(ctx, p);
        s->attributes->labels =
                REPLY_MAP(ctx, p->labels, runtime__v1__pod_sandbox_attributes__labels_entry, &s->attributes->n_labels);
        s->attributes->annotations =
                REPLY_MAP(ctx, p->annotations, runtime__v1__pod_sandbox_attributes__annotations_entry,
                          &s->attributes->n_annotations);
        Runtime__V1__LinuxPodSandboxStats *l = reply_new(ctx, &runtime__v1__linux_pod_sandbox_stats__descriptor);
        s->linux = l;
        l->cpu = cpu_of(ctx, &ps->usage);
        l->memory = memory_of(ctx, &ps->usage);
        l->process = stats_process_of(ctx, &ps->usage);
        l->io = stats_io_of(ctx, &ps->usage);
        l->network = stats_network_of(ctx, ps);
        l->containers = rpc_alloc(ctx, (ps->n_containers + 1) * sizeof(*l->containers));
        for (size_t i = 0; i < ps->n_containers; i++)
                l->containers[l->n_containers++] = container_stats_of(ctx, &ps->containers[i]);
        return s;
}

int rpc_pod_sandbox_stats(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                          struct cric_error **err) {
        const Runtime__V1__PodSandboxStatsRequest *r = (const Runtime__V1__PodSandboxStatsRequest *) req;
        if (!*r->pod_sandbox_id)
                return cric_error_set(err, CRIC_E_INVALID, "PodSandboxStats: no pod id given");
        struct pod_stats ps;
        if (runtime_pod_stats(ctx->deps->runtime, r->pod_sandbox_id, &ps, err) < 0)
                return -1;
        Runtime__V1__PodSandboxStatsResponse *resp =
                reply_new(ctx, &runtime__v1__pod_sandbox_stats_response__descriptor);
        resp->stats = pod_stats_of(ctx, &ps);
        pod_stats_clear(&ps);
        *ret_resp = &resp->base;
        return 0;
}

int rpc_list_pod_sandbox_stats(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                               struct cric_error **err) {
        (void) err;
        const Runtime__V1__ListPodSandboxStatsRequest *r = (const Runtime__V1__ListPodSandboxStatsRequest *) req;
        const Runtime__V1__PodSandboxStatsFilter *f = r->filter;
        AUTOFREE char **selector = f ? reply_pairs((void *const *) f->label_selector, f->n_label_selector) : NULL;
        struct pod_filter pf = {.id_prefix = f ? f->id : NULL, .state = -1, .label_selector = selector};
        struct pod_stats *ps = NULL;
        size_t n = 0;
        runtime_pod_stats_list(ctx->deps->runtime, &pf, &ps, &n);
        Runtime__V1__ListPodSandboxStatsResponse *resp =
                reply_new(ctx, &runtime__v1__list_pod_sandbox_stats_response__descriptor);
        resp->stats = rpc_alloc(ctx, (n ? n : 1) * sizeof(*resp->stats));
        for (size_t i = 0; i < n; i++)
                resp->stats[resp->n_stats++] = pod_stats_of(ctx, &ps[i]);
        pod_stats_free(ps, n);
        *ret_resp = &resp->base;
        return 0;
}
