/* PodSandboxStatus and ListPodSandbox. */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "cri.pb-c.h"
#include "network/netns.h"
#include "runtime/runtime.h"
#include "server/pod_convert.h"
#include "server/rpc.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* The pod's IPs: eth0 in its own netns (none until CNI gives it one), or the host's. */
static void fill_network(struct rpc_ctx *ctx, const struct pod_row *pod, Runtime__V1__PodSandboxStatus *st) {
        CLEANUP(strv_freep) char **cidrs = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (runtime_pod_ips(ctx->deps->runtime, pod, &cidrs, &err) < 0)
                cric_error_log_free(&err, "pod %s: addresses", pod->id);
        st->network = xmalloc(sizeof(*st->network));
        runtime__v1__pod_sandbox_network_status__init(st->network);
        size_t n = strv_length(cidrs);
        for (size_t i = 0; i < n; i++) {
                char *slash = strchr(cidrs[i], '/');
                if (slash)
                        *slash = '\0';
        }
        if (n == 0)
                return;
        st->network->ip = xstrdup(cidrs[0]);
        st->network->n_additional_ips = n - 1;
        st->network->additional_ips = xcalloc(n, sizeof(*st->network->additional_ips));
        for (size_t i = 1; i < n; i++) {
                Runtime__V1__PodIP *ip = xmalloc(sizeof(*ip));
                runtime__v1__pod_ip__init(ip);
                ip->ip = xstrdup(cidrs[i]);
                st->network->additional_ips[i - 1] = ip;
        }
}

static Runtime__V1__LinuxPodSandboxStatus *linux_status(const struct pod_row *pod,
                                                        const Runtime__V1__PodSandboxConfig *cfg) {
        Runtime__V1__LinuxPodSandboxStatus *l = xmalloc(sizeof(*l));
        runtime__v1__linux_pod_sandbox_status__init(l);
        l->namespaces = xmalloc(sizeof(*l->namespaces));
        runtime__v1__namespace__init(l->namespaces);
        Runtime__V1__NamespaceOption *o = xmalloc(sizeof(*o));
        runtime__v1__namespace_option__init(o);
        o->network = pod->namespaces & NETNS_NET ? RUNTIME__V1__NAMESPACE_MODE__POD : RUNTIME__V1__NAMESPACE_MODE__NODE;
        o->ipc = pod->namespaces & NETNS_IPC ? RUNTIME__V1__NAMESPACE_MODE__POD : RUNTIME__V1__NAMESPACE_MODE__NODE;
        const Runtime__V1__LinuxSandboxSecurityContext *sc = cfg && cfg->linux ? cfg->linux->security_context : NULL;
        o->pid = sc && sc->namespace_options ? sc->namespace_options->pid : RUNTIME__V1__NAMESPACE_MODE__CONTAINER;
        l->namespaces->options = o;
        return l;
}

static char *verbose_info(const struct pod_row *pod, const char *netns) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_string(pod->id));
        json_object_object_add(o, "runtimeHandler", json_object_new_string(pod->runtime_handler));
        json_object_object_add(o, "netnsPath", json_object_new_string(netns ? netns : ""));
        json_object_object_add(o, "createdAtNs", json_object_new_int64(pod->created_ns));
        char *s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return s;
}

int rpc_pod_sandbox_status(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                           struct cric_error **err) {
        const Runtime__V1__PodSandboxStatusRequest *r = (const Runtime__V1__PodSandboxStatusRequest *) req;
        CLEANUP(pod_row_freep) struct pod_row *pod = NULL;
        if (runtime_pod_get(ctx->deps->runtime, r->pod_sandbox_id, &pod, err) < 0)
                return -1;
        Runtime__V1__PodSandboxConfig *cfg = pod_config_of(pod);
        Runtime__V1__PodSandboxStatus *st = xmalloc(sizeof(*st));
        runtime__v1__pod_sandbox_status__init(st);
        st->id = xstrdup(pod->id);
        st->metadata = pod_metadata_of(pod);
        st->state = pod_state_of(pod);
        st->created_at = pod->created_ns;
        st->runtime_handler = xstrdup(pod->runtime_handler);
        fill_network(ctx, pod, st);
        st->linux = linux_status(pod, cfg);
        if (cfg) {
                st->labels = map_copy((void *const *) cfg->labels, cfg->n_labels,
                                      &runtime__v1__pod_sandbox_status__labels_entry__descriptor, &st->n_labels);
                st->annotations =
                        map_copy((void *const *) cfg->annotations, cfg->n_annotations,
                                 &runtime__v1__pod_sandbox_status__annotations_entry__descriptor, &st->n_annotations);
                runtime__v1__pod_sandbox_config__free_unpacked(cfg, NULL);
        }
        Runtime__V1__PodSandboxStatusResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__pod_sandbox_status_response__init(resp);
        resp->status = st;
        if (r->verbose) {
                AUTOFREE char *netns = runtime_pod_netns_path(ctx->deps->runtime, pod);
                resp->n_info = 1;
                resp->info = xcalloc(1, sizeof(*resp->info));
                resp->info[0] = xmalloc(sizeof(*resp->info[0]));
                runtime__v1__pod_sandbox_status_response__info_entry__init(resp->info[0]);
                resp->info[0]->key = xstrdup("info");
                resp->info[0]->value = verbose_info(pod, netns);
        }
        *ret_resp = &resp->base;
        return 0;
}

static Runtime__V1__PodSandbox *list_item(const struct pod_row *pod, const Runtime__V1__PodSandboxConfig *cfg) {
        Runtime__V1__PodSandbox *p = xmalloc(sizeof(*p));
        runtime__v1__pod_sandbox__init(p);
        p->id = xstrdup(pod->id);
        p->metadata = pod_metadata_of(pod);
        p->state = pod_state_of(pod);
        p->created_at = pod->created_ns;
        p->runtime_handler = xstrdup(pod->runtime_handler);
        if (cfg) {
                p->labels = map_copy((void *const *) cfg->labels, cfg->n_labels,
                                     &runtime__v1__pod_sandbox__labels_entry__descriptor, &p->n_labels);
                p->annotations = map_copy((void *const *) cfg->annotations, cfg->n_annotations,
                                          &runtime__v1__pod_sandbox__annotations_entry__descriptor, &p->n_annotations);
        }
        return p;
}

static bool pod_matches(const struct pod_row *pod, const Runtime__V1__PodSandboxConfig *cfg,
                        const Runtime__V1__PodSandboxFilter *f) {
        if (!f)
                return true;
        if (*f->id && strncmp(pod->id, f->id, strlen(f->id)))
                return false;
        if (f->state && pod_state_of(pod) != f->state->state)
                return false;
        return !cfg ? f->n_label_selector == 0
                    : map_includes((void *const *) cfg->labels, cfg->n_labels, (void *const *) f->label_selector,
                                   f->n_label_selector);
}

int rpc_list_pod_sandbox(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                         struct cric_error **err) {
        const Runtime__V1__ListPodSandboxRequest *r = (const Runtime__V1__ListPodSandboxRequest *) req;
        struct pod_row **rows = NULL;
        size_t n = 0;
        if (runtime_pod_list(ctx->deps->runtime, &rows, &n, err) < 0)
                return -1;
        Runtime__V1__ListPodSandboxResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__list_pod_sandbox_response__init(resp);
        resp->items = xcalloc(n ? n : 1, sizeof(*resp->items));
        for (size_t i = 0; i < n; i++) {
                Runtime__V1__PodSandboxConfig *cfg = pod_config_of(rows[i]);
                if (pod_matches(rows[i], cfg, r->filter))
                        resp->items[resp->n_items++] = list_item(rows[i], cfg);
                if (cfg)
                        runtime__v1__pod_sandbox_config__free_unpacked(cfg, NULL);
        }
        pod_rows_free(rows, n);
        *ret_resp = &resp->base;
        return 0;
}
