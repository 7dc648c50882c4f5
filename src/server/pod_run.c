/* RunPodSandbox, StopPodSandbox, RemovePodSandbox. */
#include <stdlib.h>
#include <string.h>

#include "cri.pb-c.h"
#include "runtime/runtime.h"
#include "server/rpc.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

static int check_config(const Runtime__V1__PodSandboxConfig *c, struct cric_error **err) {
        if (!c || !c->metadata || !*c->metadata->name || !*c->metadata->namespace_ || !*c->metadata->uid)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "RunPodSandbox: metadata name, namespace and uid are required");
        const Runtime__V1__LinuxSandboxSecurityContext *sc = c->linux ? c->linux->security_context : NULL;
        if (sc && sc->namespace_options && sc->namespace_options->pid == RUNTIME__V1__NAMESPACE_MODE__POD)
                return cric_error_set(err, CRIC_E_UNIMPLEMENTED,
                                      "RunPodSandbox %s_%s: pods sharing one PID namespace are not supported yet",
                                      c->metadata->name, c->metadata->namespace_);
        return 0;
}

static struct netns_sysctl *sysctls_of(const Runtime__V1__PodSandboxConfig *c, size_t *ret_n) {
        size_t n = c->linux ? c->linux->n_sysctls : 0;
        struct netns_sysctl *s = xcalloc(n ? n : 1, sizeof(*s));
        for (size_t i = 0; i < n; i++) {
                s[i].key = c->linux->sysctls[i]->key;
                s[i].value = c->linux->sysctls[i]->value;
        }
        *ret_n = n;
        return s;
}

int rpc_run_pod_sandbox(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                        struct cric_error **err) {
        const Runtime__V1__RunPodSandboxRequest *r = (const Runtime__V1__RunPodSandboxRequest *) req;
        const Runtime__V1__PodSandboxConfig *c = r->config;
        if (check_config(c, err) < 0)
                return -1;
        if (!config_find_runtime(ctx->cfg, r->runtime_handler))
                return cric_error_set(err, CRIC_E_INVALID, "RunPodSandbox: no runtime handler \"%s\" is configured",
                                      r->runtime_handler);
        const Runtime__V1__NamespaceOption *ns =
                c->linux && c->linux->security_context ? c->linux->security_context->namespace_options : NULL;
        struct pod_dns dns = {0};
        size_t n_sysctls = 0;
        AUTOFREE struct netns_sysctl *sysctls = sysctls_of(c, &n_sysctls);
        size_t len = protobuf_c_message_get_packed_size(&c->base);
        AUTOFREE uint8_t *blob = xmalloc(len + 1);
        protobuf_c_message_pack(&c->base, blob);
        /* protobuf-c leaves repeated string arrays unterminated: give pod_dns NULL-terminated copies. */
        CLEANUP(strv_freep) char **servers = NULL, **searches = NULL, **options = NULL;
        if (c->dns_config) {
                for (size_t i = 0; i < c->dns_config->n_servers; i++)
                        strv_push(&servers, c->dns_config->servers[i]);
                for (size_t i = 0; i < c->dns_config->n_searches; i++)
                        strv_push(&searches, c->dns_config->searches[i]);
                for (size_t i = 0; i < c->dns_config->n_options; i++)
                        strv_push(&options, c->dns_config->options[i]);
                dns = (struct pod_dns){servers, searches, options};
        }
        struct pod_spec spec = {
                .name = c->metadata->name,
                .namespace = c->metadata->namespace_,
                .uid = c->metadata->uid,
                .attempt = c->metadata->attempt,
                .hostname = c->hostname,
                .dns = c->dns_config ? &dns : NULL,
                .is_host_network = ns && ns->network == RUNTIME__V1__NAMESPACE_MODE__NODE,
                .is_host_ipc = ns && ns->ipc == RUNTIME__V1__NAMESPACE_MODE__NODE,
                .sysctls = sysctls,
                .n_sysctls = n_sysctls,
                .runtime_handler = r->runtime_handler,
                .config = blob,
                .config_len = len,
        };
        AUTOFREE char *id = NULL;
        if (runtime_pod_run(ctx->deps->runtime, &spec, &id, err) < 0)
                return -1;
        Runtime__V1__RunPodSandboxResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__run_pod_sandbox_response__init(resp);
        resp->pod_sandbox_id = STEAL_PTR(id);
        *ret_resp = &resp->base;
        return 0;
}

int rpc_stop_pod_sandbox(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                         struct cric_error **err) {
        const Runtime__V1__StopPodSandboxRequest *r = (const Runtime__V1__StopPodSandboxRequest *) req;
        if (!*r->pod_sandbox_id)
                return cric_error_set(err, CRIC_E_INVALID, "StopPodSandbox: no pod id given");
        if (runtime_pod_stop(ctx->deps->runtime, r->pod_sandbox_id, err) < 0)
                return -1;
        Runtime__V1__StopPodSandboxResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__stop_pod_sandbox_response__init(resp);
        *ret_resp = &resp->base;
        return 0;
}

int rpc_remove_pod_sandbox(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                           struct cric_error **err) {
        const Runtime__V1__RemovePodSandboxRequest *r = (const Runtime__V1__RemovePodSandboxRequest *) req;
        if (!*r->pod_sandbox_id)
                return cric_error_set(err, CRIC_E_INVALID, "RemovePodSandbox: no pod id given");
        if (runtime_pod_remove(ctx->deps->runtime, r->pod_sandbox_id, err) < 0)
                return -1;
        Runtime__V1__RemovePodSandboxResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__remove_pod_sandbox_response__init(resp);
        *ret_resp = &resp->base;
        return 0;
}
