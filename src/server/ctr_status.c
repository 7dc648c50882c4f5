/* ContainerStatus and ListContainers. */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "cri.pb-c.h"
#include "runtime/runtime.h"
#include "server/ctr_signal.h"
#include "server/ctr_status.h"
#include "server/pod_convert.h"
#include "server/rpc.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

Runtime__V1__ContainerConfig *ctr_config_of(const struct container_row *c) {
        Runtime__V1__ContainerConfig *cfg = runtime__v1__container_config__unpack(NULL, c->config_len, c->config);
        if (!cfg)
                log_error("container %s: its stored config does not decode", c->id);
        return cfg;
}

Runtime__V1__ContainerState ctr_state_of(const struct container_row *c) {
        switch (c->state) {
        case CONTAINER_ROW_CREATED: return RUNTIME__V1__CONTAINER_STATE__CONTAINER_CREATED;
        case CONTAINER_ROW_RUNNING: return RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING;
        case CONTAINER_ROW_EXITED: return RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED;
        }
        return RUNTIME__V1__CONTAINER_STATE__CONTAINER_UNKNOWN;
}

Runtime__V1__ContainerMetadata *ctr_metadata_of(const struct container_row *c) {
        Runtime__V1__ContainerMetadata *m = xmalloc(sizeof(*m));
        runtime__v1__container_metadata__init(m);
        m->name = xstrdup(c->name);
        m->attempt = c->attempt;
        return m;
}

static Runtime__V1__ImageSpec *image_spec_of(const struct container_row *c, const Runtime__V1__ContainerConfig *cfg) {
        Runtime__V1__ImageSpec *s = xmalloc(sizeof(*s));
        runtime__v1__image_spec__init(s);
        s->image = xstrdup(c->image);
        if (cfg && cfg->image) {
                s->annotations = map_copy((void *const *) cfg->image->annotations, cfg->image->n_annotations,
                                          &runtime__v1__image_spec__annotations_entry__descriptor, &s->n_annotations);
                s->runtime_handler = xstrdup(cfg->image->runtime_handler);
                s->user_specified_image = xstrdup(cfg->image->user_specified_image);
        }
        return s;
}

static Runtime__V1__Mount *mount_copy(const Runtime__V1__Mount *from) {
        Runtime__V1__Mount *m = xmalloc(sizeof(*m));
        runtime__v1__mount__init(m);
        m->container_path = xstrdup(from->container_path);
        m->host_path = xstrdup(from->host_path);
        m->readonly = from->readonly;
        m->selinux_relabel = from->selinux_relabel;
        m->propagation = from->propagation;
        m->recursive_read_only = from->recursive_read_only;
        return m;
}

/* A deep copy through the wire format. */
static void *message_copy(const ProtobufCMessage *m, const ProtobufCMessageDescriptor *d) {
        size_t len = protobuf_c_message_get_packed_size(m);
        AUTOFREE uint8_t *buf = xmalloc(len + 1);
        protobuf_c_message_pack(m, buf);
        return protobuf_c_message_unpack(d, NULL, len, buf);
}

static Runtime__V1__ContainerResources *resources_of(const struct container_row *c,
                                                     const Runtime__V1__ContainerConfig *cfg) {
        Runtime__V1__LinuxContainerResources *l = NULL;
        if (c->resources)
                l = runtime__v1__linux_container_resources__unpack(NULL, c->resources_len, c->resources);
        else if (cfg && cfg->linux && cfg->linux->resources)
                l = message_copy(&cfg->linux->resources->base, &runtime__v1__linux_container_resources__descriptor);
        if (!l)
                return NULL;
        Runtime__V1__ContainerResources *r = xmalloc(sizeof(*r));
        runtime__v1__container_resources__init(r);
        r->linux = l;
        return r;
}

/* The user the runtime runs the process as: process.user of config.json. */
static Runtime__V1__ContainerUser *user_of(const json_object *spec) {
        json_object *proc = NULL, *user = NULL, *v = NULL;
        if (!spec || !json_object_object_get_ex(spec, "process", &proc) ||
            !json_object_object_get_ex(proc, "user", &user))
                return NULL;
        Runtime__V1__LinuxContainerUser *l = xmalloc(sizeof(*l));
        runtime__v1__linux_container_user__init(l);
        if (json_object_object_get_ex(user, "uid", &v))
                l->uid = json_object_get_int64(v);
        if (json_object_object_get_ex(user, "gid", &v))
                l->gid = json_object_get_int64(v);
        if (json_object_object_get_ex(user, "additionalGids", &v) && json_object_is_type(v, json_type_array)) {
                size_t n = json_object_array_length(v);
                l->supplemental_groups = xcalloc(n ? n : 1, sizeof(*l->supplemental_groups));
                for (size_t i = 0; i < n; i++)
                        l->supplemental_groups[i] = json_object_get_int64(json_object_array_get_idx(v, i));
                l->n_supplemental_groups = n;
        }
        Runtime__V1__ContainerUser *u = xmalloc(sizeof(*u));
        runtime__v1__container_user__init(u);
        u->linux = l;
        return u;
}

static json_object *read_spec(struct rpc_ctx *ctx, const struct container_row *c) {
        AUTOFREE char *path = runtime_container_spec_path(ctx->deps->runtime, c->id);
        AUTOFREE char *data = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (fs_read_file_optional(path, 16 << 20, &data, &e) < 0 || !data) {
                if (e)
                        cric_error_log_free(&e, "container %s", c->id);
                return NULL;
        }
        return json_tokener_parse(data);
}

static char *verbose_info(const struct container_row *c, json_object *spec) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "sandboxID", json_object_new_string(c->pod_id));
        json_object_object_add(o, "pid", json_object_new_int(c->state == CONTAINER_ROW_RUNNING ? c->pid : 0));
        json_object_object_add(o, "monitorPid", json_object_new_int(c->monitor_pid));
        json_object_object_add(o, "runtimePath", json_object_new_string(c->runtime_path));
        json_object_object_add(o, "runtimeRoot", json_object_new_string(c->runtime_root));
        json_object_object_add(o, "cgroup", json_object_new_string(c->cgroup));
        json_object_object_add(o, "imageID", json_object_new_string(c->image_id));
        if (spec)
                json_object_object_add(o, "runtimeSpec", json_object_get(spec));
        char *s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return s;
}

static Runtime__V1__ContainerStatus *status_of(const struct container_row *c, const Runtime__V1__ContainerConfig *cfg,
                                               json_object *spec) {
        Runtime__V1__ContainerStatus *st = xmalloc(sizeof(*st));
        runtime__v1__container_status__init(st);
        st->id = xstrdup(c->id);
        st->metadata = ctr_metadata_of(c);
        st->state = ctr_state_of(c);
        st->created_at = c->created_ns;
        st->started_at = c->started_ns;
        st->finished_at = c->finished_ns;
        st->exit_code = c->exit_code;
        st->image = image_spec_of(c, cfg);
        st->image_ref = xstrdup(c->image_ref);
        st->image_id = xstrdup(c->image_id);
        st->reason = xstrdup(c->reason);
        st->message = xstrdup(c->message);
        st->log_path = xstrdup(c->log_path);
        st->stop_signal = ctr_signal_to_cri(c->stop_signal);
        if (cfg) {
                st->labels = map_copy((void *const *) cfg->labels, cfg->n_labels,
                                      &runtime__v1__container_status__labels_entry__descriptor, &st->n_labels);
                st->annotations =
                        map_copy((void *const *) cfg->annotations, cfg->n_annotations,
                                 &runtime__v1__container_status__annotations_entry__descriptor, &st->n_annotations);
                st->mounts = xcalloc(cfg->n_mounts ? cfg->n_mounts : 1, sizeof(*st->mounts));
                for (size_t i = 0; i < cfg->n_mounts; i++)
                        st->mounts[i] = mount_copy(cfg->mounts[i]);
                st->n_mounts = cfg->n_mounts;
        }
        st->resources = resources_of(c, cfg);
        st->user = user_of(spec);
        return st;
}

int rpc_container_status(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                         struct cric_error **err) {
        const Runtime__V1__ContainerStatusRequest *r = (const Runtime__V1__ContainerStatusRequest *) req;
        if (!*r->container_id)
                return cric_error_set(err, CRIC_E_INVALID, "ContainerStatus: no container id given");
        CLEANUP(container_row_freep) struct container_row *c = NULL;
        if (runtime_container_get(ctx->deps->runtime, r->container_id, &c, err) < 0)
                return -1;
        Runtime__V1__ContainerConfig *cfg = ctr_config_of(c);
        json_object *spec = read_spec(ctx, c);
        Runtime__V1__ContainerStatusResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__container_status_response__init(resp);
        resp->status = status_of(c, cfg, spec);
        if (r->verbose) {
                resp->n_info = 1;
                resp->info = xcalloc(1, sizeof(*resp->info));
                resp->info[0] = xmalloc(sizeof(*resp->info[0]));
                runtime__v1__container_status_response__info_entry__init(resp->info[0]);
                resp->info[0]->key = xstrdup("info");
                resp->info[0]->value = verbose_info(c, spec);
        }
        json_object_put(spec);
        if (cfg)
                runtime__v1__container_config__free_unpacked(cfg, NULL);
        *ret_resp = &resp->base;
        return 0;
}

static Runtime__V1__Container *list_item(const struct container_row *c, const Runtime__V1__ContainerConfig *cfg) {
        Runtime__V1__Container *x = xmalloc(sizeof(*x));
        runtime__v1__container__init(x);
        x->id = xstrdup(c->id);
        x->pod_sandbox_id = xstrdup(c->pod_id);
        x->metadata = ctr_metadata_of(c);
        x->image = image_spec_of(c, cfg);
        x->image_ref = xstrdup(c->image_ref);
        x->image_id = xstrdup(c->image_id);
        x->state = ctr_state_of(c);
        x->created_at = c->created_ns;
        if (cfg) {
                x->labels = map_copy((void *const *) cfg->labels, cfg->n_labels,
                                     &runtime__v1__container__labels_entry__descriptor, &x->n_labels);
                x->annotations = map_copy((void *const *) cfg->annotations, cfg->n_annotations,
                                          &runtime__v1__container__annotations_entry__descriptor, &x->n_annotations);
        }
        return x;
}

static bool matches(const struct container_row *c, const Runtime__V1__ContainerConfig *cfg,
                    const Runtime__V1__ContainerFilter *f) {
        if (!f)
                return true;
        if (*f->id && strncmp(c->id, f->id, strlen(f->id)))
                return false;
        if (*f->pod_sandbox_id && strncmp(c->pod_id, f->pod_sandbox_id, strlen(f->pod_sandbox_id)))
                return false;
        if (f->state && ctr_state_of(c) != f->state->state)
                return false;
        if (!cfg)
                return f->n_label_selector == 0;
        return map_includes((void *const *) cfg->labels, cfg->n_labels, (void *const *) f->label_selector,
                            f->n_label_selector);
}

int rpc_list_containers(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                        struct cric_error **err) {
        const Runtime__V1__ListContainersRequest *r = (const Runtime__V1__ListContainersRequest *) req;
        struct container_row **rows = NULL;
        size_t n = 0;
        if (runtime_container_list(ctx->deps->runtime, NULL, &rows, &n, err) < 0)
                return -1;
        Runtime__V1__ListContainersResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__list_containers_response__init(resp);
        resp->containers = xcalloc(n ? n : 1, sizeof(*resp->containers));
        for (size_t i = 0; i < n; i++) {
                Runtime__V1__ContainerConfig *cfg = ctr_config_of(rows[i]);
                if (matches(rows[i], cfg, r->filter))
                        resp->containers[resp->n_containers++] = list_item(rows[i], cfg);
                if (cfg)
                        runtime__v1__container_config__free_unpacked(cfg, NULL);
        }
        container_rows_free(rows, n);
        *ret_resp = &resp->base;
        return 0;
}
