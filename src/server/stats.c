/* ContainerStats, ListContainerStats, PodSandboxStats and ListPodSandboxStats: the
 * runtime's usage samples as CRI messages. */
#include <stdlib.h>
#include <string.h>

#include "cri.pb-c.h"
#include "runtime/runtime.h"
#include "server/reply.h"
#include "server/rpc.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static Runtime__V1__UInt64Value *u64(uint64_t v) {
        Runtime__V1__UInt64Value *x = xmalloc(sizeof(*x));
        runtime__v1__uint64_value__init(x);
        x->value = v;
        return x;
}

static Runtime__V1__CpuUsage *cpu_of(const struct runtime_usage *u) {
        Runtime__V1__CpuUsage *c = xmalloc(sizeof(*c));
        runtime__v1__cpu_usage__init(c);
        c->timestamp = u->timestamp_ns;
        if (!u->has_cgroup || !u->cgroup.has_cpu)
                return c;
        c->usage_core_nano_seconds = u64(u->cgroup.cpu_usage_core_ns);
        if (u->has_nano_cores)
                c->usage_nano_cores = u64(u->nano_cores);
        return c;
}

static Runtime__V1__MemoryUsage *memory_of(const struct runtime_usage *u) {
        Runtime__V1__MemoryUsage *m = xmalloc(sizeof(*m));
        runtime__v1__memory_usage__init(m);
        m->timestamp = u->timestamp_ns;
        if (!u->has_cgroup)
                return m;
        const struct cgroup_stats *s = &u->cgroup;
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

static Runtime__V1__FilesystemUsage *fs_of(const struct runtime_usage *u) {
        Runtime__V1__FilesystemUsage *f = xmalloc(sizeof(*f));
        runtime__v1__filesystem_usage__init(f);
        f->timestamp = u->timestamp_ns;
        if (!u->has_fs)
                return f;
        f->fs_id = xmalloc(sizeof(*f->fs_id));
        runtime__v1__filesystem_identifier__init(f->fs_id);
        f->fs_id->mountpoint = xstrdup(u->fs_mountpoint ? u->fs_mountpoint : "");
        f->used_bytes = u64(u->fs_bytes);
        f->inodes_used = u64(u->fs_inodes);
        return f;
}

static Runtime__V1__ContainerStats *container_stats_of(const struct container_stats *cs) {
        const struct container_info *c = cs->view.info;
        Runtime__V1__ContainerStats *s = xmalloc(sizeof(*s));
        runtime__v1__container_stats__init(s);
        s->attributes = xmalloc(sizeof(*s->attributes));
        runtime__v1__container_attributes__init(s->attributes);
        s->attributes->id = xstrdup(c->id);
        s->attributes->metadata = reply_ctr_metadata(c);
        s->attributes->labels =
                REPLY_MAP(c->labels, runtime__v1__container_attributes__labels_entry, &s->attributes->n_labels);
        s->attributes->annotations = REPLY_MAP(c->annotations, runtime__v1__container_attributes__annotations_entry,
                                               &s->attributes->n_annotations);
        s->cpu = cpu_of(&cs->usage);
        s->memory = memory_of(&cs->usage);
        s->writable_layer = fs_of(&cs->usage);
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
        Runtime__V1__ContainerStatsResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__container_stats_response__init(resp);
        resp->stats = container_stats_of(&cs);
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
        Runtime__V1__ListContainerStatsResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__list_container_stats_response__init(resp);
        resp->stats = xcalloc(n ? n : 1, sizeof(*resp->stats));
        for (size_t i = 0; i < n; i++)
                resp->stats[resp->n_stats++] = container_stats_of(&cs[i]);
        container_stats_free(cs, n);
        *ret_resp = &resp->base;
        return 0;
}

static Runtime__V1__PodSandboxStats *pod_stats_of(const struct pod_stats *ps) {
        const struct pod_info *p = ps->view.info;
        Runtime__V1__PodSandboxStats *s = xmalloc(sizeof(*s));
        runtime__v1__pod_sandbox_stats__init(s);
        s->attributes = xmalloc(sizeof(*s->attributes));
        runtime__v1__pod_sandbox_attributes__init(s->attributes);
        s->attributes->id = xstrdup(p->id);
        s->attributes->metadata = reply_pod_metadata(p);
        s->attributes->labels =
                REPLY_MAP(p->labels, runtime__v1__pod_sandbox_attributes__labels_entry, &s->attributes->n_labels);
        s->attributes->annotations = REPLY_MAP(p->annotations, runtime__v1__pod_sandbox_attributes__annotations_entry,
                                               &s->attributes->n_annotations);
        Runtime__V1__LinuxPodSandboxStats *l = xmalloc(sizeof(*l));
        runtime__v1__linux_pod_sandbox_stats__init(l);
        s->linux = l;
        l->cpu = cpu_of(&ps->usage);
        l->memory = memory_of(&ps->usage);
        if (ps->usage.has_cgroup && ps->usage.cgroup.has_pids) {
                l->process = xmalloc(sizeof(*l->process));
                runtime__v1__process_usage__init(l->process);
                l->process->timestamp = ps->usage.timestamp_ns;
                l->process->process_count = u64(ps->usage.cgroup.pids_current);
        }
        l->containers = xcalloc(ps->n_containers + 1, sizeof(*l->containers));
        for (size_t i = 0; i < ps->n_containers; i++)
                l->containers[l->n_containers++] = container_stats_of(&ps->containers[i]);
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
        Runtime__V1__PodSandboxStatsResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__pod_sandbox_stats_response__init(resp);
        resp->stats = pod_stats_of(&ps);
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
        Runtime__V1__ListPodSandboxStatsResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__list_pod_sandbox_stats_response__init(resp);
        resp->stats = xcalloc(n ? n : 1, sizeof(*resp->stats));
        for (size_t i = 0; i < n; i++)
                resp->stats[resp->n_stats++] = pod_stats_of(&ps[i]);
        pod_stats_free(ps, n);
        *ret_resp = &resp->base;
        return 0;
}
