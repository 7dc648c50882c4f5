/* PodSandboxStatus and ListPodSandbox. */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "cri.pb-c.h"
#include "runtime/runtime.h"
#include "server/reply.h"
#include "server/rpc.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

static Runtime__V1__PodSandboxNetworkStatus *network_of(const struct pod_view *v) {
        Runtime__V1__PodSandboxNetworkStatus *n = xmalloc(sizeof(*n));
        runtime__v1__pod_sandbox_network_status__init(n);
        size_t count = strv_length(v->ips);
        if (count == 0)
                return n;
        n->ip = xstrdup(v->ips[0]);
        n->n_additional_ips = count - 1;
        n->additional_ips = xcalloc(count, sizeof(*n->additional_ips));
        for (size_t i = 1; i < count; i++) {
                Runtime__V1__PodIP *ip = xmalloc(sizeof(*ip));
                runtime__v1__pod_ip__init(ip);
                ip->ip = xstrdup(v->ips[i]);
                n->additional_ips[i - 1] = ip;
        }
        return n;
}

static Runtime__V1__LinuxPodSandboxStatus *linux_of(const struct pod_info *p) {
        Runtime__V1__LinuxPodSandboxStatus *l = xmalloc(sizeof(*l));
        runtime__v1__linux_pod_sandbox_status__init(l);
        l->namespaces = xmalloc(sizeof(*l->namespaces));
        runtime__v1__namespace__init(l->namespaces);
        Runtime__V1__NamespaceOption *o = xmalloc(sizeof(*o));
        runtime__v1__namespace_option__init(o);
        o->network = (Runtime__V1__NamespaceMode) p->network;
        o->ipc = (Runtime__V1__NamespaceMode) p->ipc;
        o->pid = (Runtime__V1__NamespaceMode) p->pid;
        l->namespaces->options = o;
        return l;
}

static char *verbose_info(const struct pod_view *v) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_string(v->info->id));
        json_object_object_add(o, "runtimeHandler", json_object_new_string(v->info->runtime_handler));
        json_object_object_add(o, "netnsPath", json_object_new_string(v->netns_path ? v->netns_path : ""));
        json_object_object_add(o, "createdAtNs", json_object_new_int64(v->info->created_ns));
        char *s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return s;
}

int rpc_pod_sandbox_status(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                           struct cric_error **err) {
        const Runtime__V1__PodSandboxStatusRequest *r = (const Runtime__V1__PodSandboxStatusRequest *) req;
        struct pod_view v;
        if (runtime_pod_status(ctx->deps->runtime, r->pod_sandbox_id, &v, err) < 0)
                return -1;
        const struct pod_info *p = v.info;
        Runtime__V1__PodSandboxStatus *st = xmalloc(sizeof(*st));
        runtime__v1__pod_sandbox_status__init(st);
        st->id = xstrdup(p->id);
        st->metadata = reply_pod_metadata(p);
        st->state = reply_pod_state(v.state);
        st->created_at = p->created_ns;
        st->runtime_handler = xstrdup(p->runtime_handler);
        st->network = network_of(&v);
        st->linux = linux_of(p);
        st->labels = REPLY_MAP(p->labels, runtime__v1__pod_sandbox_status__labels_entry, &st->n_labels);
        st->annotations =
                REPLY_MAP(p->annotations, runtime__v1__pod_sandbox_status__annotations_entry, &st->n_annotations);
        Runtime__V1__PodSandboxStatusResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__pod_sandbox_status_response__init(resp);
        resp->status = st;
        if (r->verbose) {
                AUTOFREE char *info = verbose_info(&v);
                resp->info = REPLY_INFO(info, runtime__v1__pod_sandbox_status_response__info_entry, &resp->n_info);
        }
        pod_view_clear(&v);
        *ret_resp = &resp->base;
        return 0;
}

static Runtime__V1__PodSandbox *list_item(const struct pod_view *v) {
        const struct pod_info *i = v->info;
        Runtime__V1__PodSandbox *p = xmalloc(sizeof(*p));
        runtime__v1__pod_sandbox__init(p);
        p->id = xstrdup(i->id);
        p->metadata = reply_pod_metadata(i);
        p->state = reply_pod_state(v->state);
        p->created_at = i->created_ns;
        p->runtime_handler = xstrdup(i->runtime_handler);
        p->labels = REPLY_MAP(i->labels, runtime__v1__pod_sandbox__labels_entry, &p->n_labels);
        p->annotations = REPLY_MAP(i->annotations, runtime__v1__pod_sandbox__annotations_entry, &p->n_annotations);
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
        Runtime__V1__ListPodSandboxResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__list_pod_sandbox_response__init(resp);
        resp->items = xcalloc(n ? n : 1, sizeof(*resp->items));
        for (size_t i = 0; i < n; i++)
                resp->items[resp->n_items++] = list_item(&v[i]);
        pod_views_free(v, n);
        *ret_resp = &resp->base;
        return 0;
}
