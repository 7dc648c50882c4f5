/* ContainerStatus and ListContainers, built in the reply arena. */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "cri.pb-c.h"
#include "runtime/runtime.h"
#include "server/ctr_signal.h"
#include "server/reply.h"
#include "server/rpc.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/log.h"
#include "util/xalloc.h"

static Runtime__V1__Mount *mount_of(struct rpc_ctx *ctx, const struct container_mount *from) {
        Runtime__V1__Mount *m = reply_new(ctx, &runtime__v1__mount__descriptor);
        m->container_path = rpc_strdup(ctx, from->container_path);
        m->host_path = rpc_strdup(ctx, from->host_path);
        m->readonly = from->is_readonly;
        m->selinux_relabel = from->selinux_relabel;
        m->propagation = (Runtime__V1__MountPropagation) from->propagation;
        m->recursive_read_only = from->is_recursive_read_only;
        if (*from->image) {
                m->image = reply_new(ctx, &runtime__v1__image_spec__descriptor);
                m->image->image = rpc_strdup(ctx, from->image);
                m->image_sub_path = rpc_strdup(ctx, from->image_sub_path);
        }
        return m;
}

static Runtime__V1__ContainerResources *resources_of(struct rpc_ctx *ctx, const struct oci_resources *r) {
        Runtime__V1__LinuxContainerResources *l = reply_new(ctx, &runtime__v1__linux_container_resources__descriptor);
        l->cpu_period = r->cpu_period;
        l->cpu_quota = r->cpu_quota;
        l->cpu_shares = r->cpu_shares;
        l->memory_limit_in_bytes = r->memory_limit_in_bytes;
        l->memory_swap_limit_in_bytes = r->memory_swap_limit_in_bytes;
        l->oom_score_adj = r->oom_score_adj;
        l->cpuset_cpus = rpc_strdup(ctx, r->cpuset_cpus ? r->cpuset_cpus : "");
        l->cpuset_mems = rpc_strdup(ctx, r->cpuset_mems ? r->cpuset_mems : "");
        l->hugepage_limits = rpc_alloc(ctx, (r->n_hugepage_limits + 1) * sizeof(*l->hugepage_limits));
        for (size_t i = 0; i < r->n_hugepage_limits; i++) {
                Runtime__V1__HugepageLimit *h = reply_new(ctx, &runtime__v1__hugepage_limit__descriptor);
                h->page_size = rpc_strdup(ctx, r->hugepage_limits[i].page_size ? r->hugepage_limits[i].page_size : "");
                h->limit = r->hugepage_limits[i].limit;
                l->hugepage_limits[l->n_hugepage_limits++] = h;
        }
        l->unified = rpc_alloc(ctx, (r->n_unified + 1) * sizeof(*l->unified));
        for (size_t i = 0; i < r->n_unified; i++) {
                Runtime__V1__LinuxContainerResources__UnifiedEntry *e =
                        reply_new(ctx, &runtime__v1__linux_container_resources__unified_entry__descriptor);
                e->key = rpc_strdup(ctx, r->unified[i].key);
                e->value = rpc_strdup(ctx, r->unified[i].value);
                l->unified[l->n_unified++] = e;
        }
        Runtime__V1__ContainerResources *res = reply_new(ctx, &runtime__v1__container_resources__descriptor);
        res->linux = l;
        return res;
}

static Runtime__V1__ContainerUser *user_of(struct rpc_ctx *ctx, const struct oci_user *u) {
        Runtime__V1__LinuxContainerUser *l = reply_new(ctx, &runtime__v1__linux_container_user__descriptor);
        l->uid = u->uid;
        l->gid = u->gid;
        l->supplemental_groups = rpc_alloc(ctx, (u->n_additional_gids + 1) * sizeof(*l->supplemental_groups));
        for (size_t i = 0; i < u->n_additional_gids; i++)
                l->supplemental_groups[i] = u->additional_gids[i];
        l->n_supplemental_groups = u->n_additional_gids;
        Runtime__V1__ContainerUser *cu = reply_new(ctx, &runtime__v1__container_user__descriptor);
        cu->linux = l;
        return cu;
}

static char *verbose_info(struct rpc_ctx *ctx, const struct container_view *v) {
        const struct container_info *c = v->info;
        json_object *o = jx_object();
        jx_add(o, "sandboxID", jx_string(c->pod_id));
        jx_add(o, "pid", jx_int64(v->state == CONTAINER_RUNNING ? c->pid : 0));
        jx_add(o, "monitorPid", jx_int64(c->monitor_pid));
        jx_add(o, "runtimePath", jx_string(c->runtime_path));
        jx_add(o, "runtimeRoot", jx_string(c->runtime_root));
        jx_add(o, "cgroup", jx_string(c->cgroup));
        jx_add(o, "imageID", jx_string(c->image_id));
        AUTOFREE char *text = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (runtime_container_spec(ctx->deps->runtime, c->id, &text, &e) == 0) {
                json_object *spec = NULL;
                if (json_parse_object(text, strlen(text), "config.json", &spec, &e) == 0)
                        jx_add(o, "runtimeSpec", spec);
                else
                        cric_error_log_free(&e, "container %s", c->id);
        } else {
                cric_error_log_free(&e, "container %s", c->id);
        }
        char *s = rpc_strdup(ctx, jx_to_string(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return s;
}

Runtime__V1__ContainerStatus *reply_ctr_status(struct rpc_ctx *ctx, const struct container_view *v) {
        const struct container_info *c = v->info;
        Runtime__V1__ContainerStatus *st = reply_new(ctx, &runtime__v1__container_status__descriptor);
        st->id = rpc_strdup(ctx, c->id);
        st->metadata = reply_ctr_metadata(ctx, c);
        st->state = reply_ctr_state(v->state);
        st->created_at = c->created_ns;
        st->started_at = v->started_ns;
        st->finished_at = v->finished_ns;
        st->exit_code = v->exit_code;
        st->image = reply_image_spec(ctx, c);
        st->image_ref = rpc_strdup(ctx, c->image_ref);
        st->image_id = rpc_strdup(ctx, c->image_id);
        st->reason = rpc_strdup(ctx, v->reason);
        st->message = rpc_strdup(ctx, v->message);
        st->log_path = rpc_strdup(ctx, c->log_path);
        st->stop_signal = ctr_signal_to_cri(c->stop_signal);
        st->labels = REPLY_MAP(ctx, c->labels, runtime__v1__container_status__labels_entry, &st->n_labels);
        st->annotations =
                REPLY_MAP(ctx, c->annotations, runtime__v1__container_status__annotations_entry, &st->n_annotations);
        st->mounts = rpc_alloc(ctx, (c->n_mounts + 1) * sizeof(*st->mounts));
        for (size_t i = 0; i < c->n_mounts; i++)
                st->mounts[i] = mount_of(ctx, &c->mounts[i]);
        st->n_mounts = c->n_mounts;
        st->resources = resources_of(ctx, &v->resources);
        st->user = user_of(ctx, &c->user);
        return st;
}

int rpc_container_status(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                         struct cric_error **err) {
        const Runtime__V1__ContainerStatusRequest *r = (const Runtime__V1__ContainerStatusRequest *) req;
        if (!*r->container_id)
                return cric_error_set(err, CRIC_E_INVALID, "ContainerStatus: no container id given");
        struct container_view v;
        if (runtime_container_status(ctx->deps->runtime, r->container_id, &v, err) < 0)
                return -1;
        Runtime__V1__ContainerStatusResponse *resp =
                reply_new(ctx, &runtime__v1__container_status_response__descriptor);
        resp->status = reply_ctr_status(ctx, &v);
        if (r->verbose)
                resp->info = REPLY_INFO(ctx, verbose_info(ctx, &v), runtime__v1__container_status_response__info_entry,
                                        &resp->n_info);
        container_view_clear(&v);
        *ret_resp = &resp->base;
        return 0;
}

static Runtime__V1__Container *list_item(struct rpc_ctx *ctx, const struct container_view *v) {
        const struct container_info *c = v->info;
        Runtime__V1__Container *x = reply_new(ctx, &runtime__v1__container__descriptor);
        x->id = rpc_strdup(ctx, c->id);
        x->pod_sandbox_id = rpc_strdup(ctx, c->pod_id);
        x->metadata = reply_ctr_metadata(ctx, c);
        x->image = reply_image_spec(ctx, c);
        x->image_ref = rpc_strdup(ctx, c->image_ref);
        x->image_id = rpc_strdup(ctx, c->image_id);
        x->state = reply_ctr_state(v->state);
        x->created_at = c->created_ns;
        x->labels = REPLY_MAP(ctx, c->labels, runtime__v1__container__labels_entry, &x->n_labels);
        x->annotations = REPLY_MAP(ctx, c->annotations, runtime__v1__container__annotations_entry, &x->n_annotations);
        return x;
}

/* A CRI state filter: -1 (any) when absent, a value no container has when unknown. */
static int state_filter(const Runtime__V1__ContainerStateValue *s) {
        if (!s)
                return -1;
        switch (s->state) {
        case RUNTIME__V1__CONTAINER_STATE__CONTAINER_CREATED: return CONTAINER_CREATED;
        case RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING: return CONTAINER_RUNNING;
        case RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED: return CONTAINER_EXITED;
        default: return 99;
        }
}

int rpc_list_containers(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                        struct cric_error **err) {
        (void) err;
        const Runtime__V1__ListContainersRequest *r = (const Runtime__V1__ListContainersRequest *) req;
        const Runtime__V1__ContainerFilter *f = r->filter;
        AUTOFREE char **selector = f ? reply_pairs((void *const *) f->label_selector, f->n_label_selector) : NULL;
        struct container_filter cf = {
                .id_prefix = f ? f->id : NULL,
                .pod_id_prefix = f ? f->pod_sandbox_id : NULL,
                .state = f ? state_filter(f->state) : -1,
                .label_selector = selector,
        };
        struct container_view *v = NULL;
        size_t n = 0;
        runtime_container_list(ctx->deps->runtime, &cf, &v, &n);
        Runtime__V1__ListContainersResponse *resp = reply_new(ctx, &runtime__v1__list_containers_response__descriptor);
        resp->containers = rpc_alloc(ctx, (n ? n : 1) * sizeof(*resp->containers));
        for (size_t i = 0; i < n; i++)
                resp->containers[resp->n_containers++] = list_item(ctx, &v[i]);
        container_views_free(v, n);
        *ret_resp = &resp->base;
        return 0;
}
