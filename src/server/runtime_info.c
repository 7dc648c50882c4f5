/* Version, Status and RuntimeConfig. */
#include <dirent.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "cri.pb-c.h"
#include "image/image.h"
#include "network/cni_manager.h"
#include "server/rpc.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

#define CRI_API_VERSION "v1"

int rpc_version(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                struct cric_error **err) {
        (void) ctx;
        (void) req;
        (void) err;
        Runtime__V1__VersionResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__version_response__init(resp);
        /* `version` is the version of the kubelet runtime API this server implements. */
        resp->version = xstrdup("0.1.0");
        resp->runtime_name = xstrdup("cric");
        resp->runtime_version = xstrdup(CRIC_VERSION);
        resp->runtime_api_version = xstrdup(CRI_API_VERSION);
        *ret_resp = &resp->base;
        return 0;
}

static Runtime__V1__RuntimeCondition *condition_new(const char *type, bool ok, const char *reason,
                                                    char *message /* owned */) {
        Runtime__V1__RuntimeCondition *c = xmalloc(sizeof(*c));
        runtime__v1__runtime_condition__init(c);
        c->type = xstrdup(type);
        c->status = ok;
        c->reason = xstrdup(ok ? "" : reason);
        c->message = message ? message : xstrdup("");
        return c;
}

static Runtime__V1__RuntimeCondition *runtime_condition(const struct cric_config *cfg) {
        const struct cric_runtime_handler *rt = config_find_runtime(cfg, "");
        if (!rt)
                return condition_new("RuntimeReady", false, "NoDefaultRuntime",
                                     xasprintf("default runtime %s is not configured", cfg->default_runtime));
        AUTOFREE char *path = fs_find_in_path(*rt->runtime_path ? rt->runtime_path : rt->name);
        if (!path)
                return condition_new("RuntimeReady", false, "RuntimeBinaryMissing",
                                     xasprintf("OCI runtime %s: %s not found or not executable", rt->name,
                                               *rt->runtime_path ? rt->runtime_path : rt->name));
        return condition_new("RuntimeReady", true, NULL, NULL);
}

/* NetworkReady as the CNI manager sees it: a usable default network whose plugins
 * (CNI 1.1) report ready. */
static Runtime__V1__RuntimeCondition *network_condition(struct rpc_ctx *ctx) {
        if (!ctx->deps->cni)
                return condition_new("NetworkReady", false, "NetworkPluginNotReady",
                                     xstrdup("no CNI manager is running"));
        AUTOFREE char *reason = NULL;
        char *message = NULL;
        if (cni_manager_ready(ctx->deps->cni, &reason, &message))
                return condition_new("NetworkReady", true, NULL, NULL);
        return condition_new("NetworkReady", false, reason, message);
}

/* The effective configuration, for `crictl info` / Status(verbose); storageDriver is the
 * driver the store runs (the one picked when the setting is ""). */
static char *config_json(const struct cric_config *cfg, const struct image_service *images) {
        AUTOJSON json_object *o = jx_object();
        jx_add(o, "root", jx_string(cfg->root));
        jx_add(o, "runroot", jx_string(cfg->runroot));
        jx_add(o, "listen", jx_string(cfg->listen));
        jx_add(o, "logLevel", jx_string(log_level_to_string(cfg->log_level)));
        jx_add(o, "storageDriver", jx_string(images ? image_service_storage_driver(images) : cfg->storage_driver));
        jx_add(o, "storageOptions", jx_strv(cfg->storage_options));
        jx_add(o, "defaultRuntime", jx_string(cfg->default_runtime));
        jx_add(o, "cgroupManager", jx_string(cgroup_manager_to_string(cfg->cgroup_manager)));
        json_object *rts = jx_object();
        for (size_t i = 0; i < cfg->n_runtimes; i++) {
                json_object *r = jx_object();
                jx_add(r, "runtimePath", jx_string(cfg->runtimes[i].runtime_path));
                jx_add(r, "runtimeType", jx_string(cfg->runtimes[i].runtime_type));
                jx_add(r, "runtimeRoot", jx_string(cfg->runtimes[i].runtime_root));
                jx_add(rts, cfg->runtimes[i].name, r);
        }
        jx_add(o, "runtimes", rts);
        jx_add(o, "pauseImage", jx_string(cfg->pause_image));
        jx_add(o, "pauseCommand", jx_string(cfg->pause_command));
        jx_add(o, "registriesConf", jx_string(cfg->registries_conf));
        jx_add(o, "networkDir", jx_string(cfg->network_dir));
        jx_add(o, "pluginDirs", jx_strv(cfg->plugin_dirs));
        jx_add(o, "streamAddress", jx_string(cfg->stream_address));
        jx_add(o, "streamPort", jx_string(cfg->stream_port));
        return jx_dump(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static Runtime__V1__RuntimeHandler *handler_new(const char *name) {
        Runtime__V1__RuntimeHandler *h = xmalloc(sizeof(*h));
        runtime__v1__runtime_handler__init(h);
        h->name = xstrdup(name);
        h->features = xmalloc(sizeof(*h->features));
        runtime__v1__runtime_handler_features__init(h->features);
        /* the pod's user namespace is joined by path and the layers are idmapped by cric:
         * any OCI runtime that joins namespaces will do */
        h->features->user_namespaces = true;
        return h;
}

int rpc_status(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp, struct cric_error **err) {
        (void) err;
        const Runtime__V1__StatusRequest *r = (const Runtime__V1__StatusRequest *) req;
        Runtime__V1__StatusResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__status_response__init(resp);

        resp->status = xmalloc(sizeof(*resp->status));
        runtime__v1__runtime_status__init(resp->status);
        resp->status->n_conditions = 2;
        resp->status->conditions = xcalloc(2, sizeof(*resp->status->conditions));
        resp->status->conditions[0] = runtime_condition(ctx->cfg);
        resp->status->conditions[1] = network_condition(ctx);

        /* The default handler (empty name) first, then every configured one. */
        resp->n_runtime_handlers = ctx->cfg->n_runtimes + 1;
        resp->runtime_handlers = xcalloc(resp->n_runtime_handlers, sizeof(*resp->runtime_handlers));
        resp->runtime_handlers[0] = handler_new("");
        for (size_t i = 0; i < ctx->cfg->n_runtimes; i++)
                resp->runtime_handlers[i + 1] = handler_new(ctx->cfg->runtimes[i].name);
        resp->features = xmalloc(sizeof(*resp->features));
        runtime__v1__runtime_features__init(resp->features);

        if (r->verbose) {
                resp->n_info = 1;
                resp->info = xcalloc(1, sizeof(*resp->info));
                resp->info[0] = xmalloc(sizeof(*resp->info[0]));
                runtime__v1__status_response__info_entry__init(resp->info[0]);
                resp->info[0]->key = xstrdup("config");
                resp->info[0]->value = config_json(ctx->cfg, ctx->deps->images);
        }
        *ret_resp = &resp->base;
        return 0;
}

int rpc_runtime_config(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                       struct cric_error **err) {
        (void) req;
        (void) err;
        Runtime__V1__RuntimeConfigResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__runtime_config_response__init(resp);
        resp->linux = xmalloc(sizeof(*resp->linux));
        runtime__v1__linux_runtime_configuration__init(resp->linux);
        resp->linux->cgroup_driver = ctx->cfg->cgroup_manager == CRIC_CGROUP_SYSTEMD
                                             ? RUNTIME__V1__CGROUP_DRIVER__SYSTEMD
                                             : RUNTIME__V1__CGROUP_DRIVER__CGROUPFS;
        *ret_resp = &resp->base;
        return 0;
}

int rpc_update_runtime_config(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                              struct cric_error **err) {
        const Runtime__V1__UpdateRuntimeConfigRequest *r = (const Runtime__V1__UpdateRuntimeConfigRequest *) req;
        const char *cidr = r->runtime_config && r->runtime_config->network_config
                                   ? r->runtime_config->network_config->pod_cidr
                                   : "";
        if (*cidr && ctx->deps->cni) {
                cni_manager_set_pod_cidr(ctx->deps->cni, cidr);
                log_info("pod CIDR set to %s", cidr);
        }
        (void) err;
        Runtime__V1__UpdateRuntimeConfigResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__update_runtime_config_response__init(resp);
        *ret_resp = &resp->base;
        return 0;
}
