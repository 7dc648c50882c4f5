/* PodSandboxStatus and ListPodSandbox, built in the reply arena. */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "cri.pb-c.h"
#include "runtime/runtime.h"
#include "server/reply.h"
#include "server/rpc.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/xalloc.h"

static Runtime__V1__PodSandboxNetworkStatus *network_of(struct rpc_ctx *ctx, const struct pod_view *v) {
        Runtime__V1__PodSandboxNetworkStatus *n = reply_new(ctx, &runtime__v1__pod_sandbox_network_status__descriptor);
        size_t count = strv_length(v->ips);
        n->ip = rpc_strdup(ctx, count ? v->ips[0] : "");
        if (count < 2)
                return n;
        n->n_additional_ips = count - 1;
        n->additional_ips = rpc_alloc(ctx, count * sizeof(*n->additional_ips));
        for (size_t i = 1; i < count; i++) {
                Runtime__V1__PodIP *ip = reply_new(ctx, &runtime__v1__pod_ip__descriptor);
                ip->ip = rpc_strdup(ctx, v->ips[i]);
                n->additional_ips[i - 1] = ip;
        }
        return n;
}

static Runtime__V1__IDMapping **idmaps_to_cri(struct rpc_ctx *ctx, const struct idmap *m, size_t n) {
        Runtime__V1__IDMapping **out = rpc_alloc(ctx, (n + 1) * sizeof(*out));
        for (size_t i = 0; i < n; i++) {
                out[i] = reply_new(ctx, &runtime__v1__idmapping__descriptor);
                out[i]->container_id = m[i].container_id;
                out[i]->host_id = m[i].host_id;
                out[i]->length = m[i].length;
        }
        return out;
}

static Runtime__V1__LinuxPodSandboxStatus *linux_of(struct rpc_ctx *ctx, const struct pod_info *p) {
        Runtime__V1__LinuxPodSandboxStatus *l = reply_new(ctx, &runtime__v1__linux_pod_sandbox_status__descriptor);
        l->namespaces = reply_new(ctx, &runtime__v1__namespace__descriptor);
        Runtime__V1__NamespaceOption *o = reply_new(ctx, &runtime__v1__namespace_option__descriptor);
        o->network = (Runtime__V1__NamespaceMode) p->network;
        o->ipc = (Runtime__V1__NamespaceMode) p->ipc;
        o->pid = (Runtime__V1__NamespaceMode) p->pid;
        o->userns_options = reply_new(ctx, &runtime__v1__user_namespace__descriptor);
        o->userns_options->mode = p->n_uids ? RUNTIME__V1__NAMESPACE_MODE__POD : RUNTIME__V1__NAMESPACE_MODE__NODE;
        o->userns_options->uids = idmaps_to_cri(ctx, p->uids, p->n_uids);
        o->userns_options->n_uids = p->n_uids;
        o->userns_options->gids = idmaps_to_cri(ctx, p->gids, p->n_gids);
        o->userns_options->n_gids = p->n_gids;
        l->namespaces->options = o;
        return l;
}

static char *verbose_info(struct rpc_ctx *ctx, const struct pod_view *v) {
        json_object *o = jx_object();
        jx_add(o, "id", jx_string(v->info->id));
        jx_add(o, "runtimeHandler", jx_string(v->info->runtime_handler));
        jx_add(o, "netnsPath", jx_string(v->netns_path ? v->netns_path : ""));
        jx_add(o, "createdAtNs", jx_int64(v->info->created_ns));
        if (v->has_limits) {
                json_object *l = jx_object();
                jx_add(l, "cpuShares", jx_int64(v->limits.cpu_shares));
                jx_add(l, "cpuQuota", jx_int64(v->limits.cpu_quota));
                jx_add(l, "cpuPeriod", jx_int64(v->limits.cpu_period));
                jx_add(l, "memoryLimitInBytes", jx_int64(v->limits.memory_bytes));
                jx_add(o, "resources", l);
        }
        char *s = rpc_strdup(ctx, jx_to_string(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return s;
}

Runtime__V1__PodSandboxStatus *reply_pod_status(struct rpc_ctx *ctx, const struct pod_view *v) {
        const struct pod_info *p = v->info;
        Runtime__V1__PodSandboxStatus *st = reply_new(ctx, &runtime__v1__pod_sandbox_status__descriptor);
        st->id = rpc_strdup(ctx, p->id);
        st->metadata = reply_pod_metadata(ctx, p);
        st->state = reply_pod_state(v->state);
        st->created_at = p->created_ns;
        st->runtime_handler = rpc_strdup(ctx, p->runtime_handler);
        st->network = network_of(ctx, v);
        st->linux = linux_of(ctx, p);
        st->labels = REPLY_MAP(ctx, p->labels, runtime__v1__pod_sandbox_status__labels_entry, &st->n_labels);
        st->annotations =
                REPLY_MAP(ctx, p->annotations, runtime__v1__pod_sandbox_status__annotations_entry, &st->n_annotations);
        return st;
}

int rpc_pod_sandbox_status(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                           struct cric_error **err) {
        const Runtime__V1__PodSandboxStatusRequest *r = (const Runtime__V1__PodSandboxStatusRequest *) req;
        struct pod_view v;
        if (runtime_pod_status(ctx->deps->runtime, r->pod_sandbox_id, &v, err) < 0)
                return -1;
        Runtime__V1__PodSandboxStatusResponse *resp =
                reply_new(ctx, &runtime__v1__pod_sandbox_status_response__descriptor);
        resp->status = reply_pod_status(ctx, &v);
        if (r->verbose)
                resp->info = REPLY_INFO(ctx, verbose_info(ctx, &v),
                                        runtime__v1__pod_sandbox_status_response__info_entry, &resp->n_info);
        pod_view_clear(&v);
        *ret_resp = &resp->base;
        return 0;
}

static Runtime__V1__PodSandbox *list_item(struct rpc_ctx *ctx, const struct pod_view *v) {
        const struct pod_info *i = v->info;
        Runtime__V1__PodSandbox *p = reply_new(ctx, &runtime__v1__pod_sandbox__descriptor);
        p->id = rpc_strdup(ctx, i->id);
        p->metadata = reply_pod_metadata(ctx, i);
        p->state = reply_pod_state(v->state);
        p->created_at = i->created_ns;
        p->runtime_handler = rpc_strdup(ctx, i->runtime_handler);
        p->labels = REPLY_MAP(ctx, i->labels, runtime__v1__pod_sandbox__labels_entry, &p->n_labels);
        p->annotations = REPLY_MAP(ctx, i->annotations, runtime__v1__pod_sandbox__annotations_entry, &p->n_annotations);
        return p;
}

int rpc_list_pod_sandbox(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                         struct cric_error **err) {
        (void) err;
        const Runtime__V1__ListPodSandboxRequest *r = (const Runtime__V1__ListPodSandboxRequest *) req;
        const Runtime__V1__PodSandboxFilter *f = r->filter;
        AUTOFREE char **selector = f ? reply_pairs((void *const *) f->label_selector, f->n_label_selector) : NULL;
        struct pod_filter pf = {
                .id_prefix = f ? f->id : NULL,
                .state = f && f->state ? (int) (f->state->state == RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY
                                                        ? POD_READY
                                                        : POD_NOTREADY)
                                       : -1,
                .label_selector = selector,
        };
        struct pod_view *v = NULL;
        size_t n = 0;
        runtime_pod_list(ctx->deps->runtime, &pf, &v, &n);
        Runtime__V1__ListPodSandboxResponse *resp = reply_new(ctx, &runtime__v1__list_pod_sandbox_response__descriptor);
        resp->items = rpc_alloc(ctx, (n ? n : 1) * sizeof(*resp->items));
        for (size_t i = 0; i < n; i++)
                resp->items[resp->n_items++] = list_item(ctx, &v[i]);
        pod_views_free(v, n);
        *ret_resp = &resp->base;
        return 0;
}
