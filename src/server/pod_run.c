/* RunPodSandbox, StopPodSandbox, RemovePodSandbox. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cri.pb-c.h"
#include "oci/oci.h"
#include "runtime/runtime.h"
#include "network/cni.h"
#include "server/ctr_convert.h"
#include "server/pod_convert.h"
#include "server/rpc.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

static int check_config(const Runtime__V1__PodSandboxConfig *c, struct cric_error **err) {
        if (!c || !c->metadata || !*c->metadata->name || !*c->metadata->namespace_ || !*c->metadata->uid)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "RunPodSandbox: metadata name, namespace and uid are required");
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

/* A Kubernetes resource quantity ("10M", "1Gi", "500k", "100"): bits per second for
 * the bandwidth annotations. false when malformed. */
static bool parse_quantity(const char *s, uint64_t *ret) {
        static const struct {
                const char *suffix;
                double mult;
        } units[] = {{"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
                     {"k", 1e3},     {"M", 1e6},        {"G", 1e9},           {"T", 1e12},
                     {"P", 1e15},    {"", 1.0}};
        char *end = NULL;
        double v = strtod(s, &end);
        if (end == s || v < 0)
                return false;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
                if (!strcmp(end, units[i].suffix)) {
                        *ret = (uint64_t) (v * units[i].mult);
                        return true;
                }
        }
        return false;
}

/* What CNI gets for a pod: CNI_ARGS, port mappings, bandwidth and DNS; pointers into c
 * and into the storage kept in *n. */
struct pod_network {
        char *args[9];
        struct cni_port_mapping *ports;
        struct cni_bandwidth bandwidth;
        struct cni_dns dns;
        struct cni_attachment a;
};

static const char *protocol_name(Runtime__V1__Protocol p) {
        switch (p) {
        case RUNTIME__V1__PROTOCOL__UDP: return "udp";
        case RUNTIME__V1__PROTOCOL__SCTP: return "sctp";
        default: return "tcp";
        }
}

static int network_of(const Runtime__V1__PodSandboxConfig *c, char **servers, char **searches, char **options,
                      struct pod_network *n, struct cric_error **err) {
        memset(n, 0, sizeof(*n));
        /* K8S_POD_INFRA_CONTAINER_ID (the pod id) is added by the runtime. */
        const char *args[] = {"K8S_POD_NAMESPACE",
                              c->metadata->namespace_,
                              "K8S_POD_NAME",
                              c->metadata->name,
                              "K8S_POD_UID",
                              c->metadata->uid,
                              NULL};
        memcpy(n->args, args, sizeof(args));
        n->a.args = (const char *const *) n->args;
        n->ports = xcalloc(c->n_port_mappings + 1, sizeof(*n->ports));
        for (size_t i = 0; i < c->n_port_mappings; i++) {
                const Runtime__V1__PortMapping *pm = c->port_mappings[i];
                if (pm->host_port <= 0)
                        continue; /* only hostPort mappings go to CNI */
                n->ports[n->a.n_port_mappings++] = (struct cni_port_mapping){
                        .host_port = pm->host_port,
                        .container_port = pm->container_port,
                        .protocol = protocol_name(pm->protocol),
                        .host_ip = pm->host_ip,
                };
        }
        n->a.port_mappings = n->ports;
        bool has_bw = false;
        for (size_t i = 0; i < c->n_annotations; i++) {
                const char *k = c->annotations[i]->key, *v = c->annotations[i]->value;
                uint64_t *rate = !strcmp(k, "kubernetes.io/ingress-bandwidth")  ? &n->bandwidth.ingress_rate
                                 : !strcmp(k, "kubernetes.io/egress-bandwidth") ? &n->bandwidth.egress_rate
                                                                                : NULL;
                if (!rate)
                        continue;
                if (!parse_quantity(v, rate))
                        return cric_error_set(err, CRIC_E_INVALID, "annotation %s: \"%s\" is not a quantity", k, v);
                has_bw = true;
        }
        if (has_bw) {
                /* The bandwidth plugin needs a burst; the kubelet's own choice is "no limit". */
                if (n->bandwidth.ingress_rate)
                        n->bandwidth.ingress_burst = INT32_MAX;
                if (n->bandwidth.egress_rate)
                        n->bandwidth.egress_burst = INT32_MAX;
                n->a.bandwidth = &n->bandwidth;
        }
        if (c->dns_config) {
                n->dns = (struct cni_dns){servers, searches, options};
                n->a.dns = &n->dns;
        }
        return 0;
}

struct infra_ctx {
        struct rpc_ctx *rpc;
        const Runtime__V1__PodSandboxConfig *config;
};

static int make_infra_spec(void *data, const char *pod_id, const char *rootfs, const struct pod_paths *pp,
                           char **ret_json, struct cric_error **err) {
        struct infra_ctx *ic = data;
        struct ctr_arena arena = {0};
        struct ctr_pod_paths paths = {
                .id = pod_id,
                .netns = pp->netns,
                .ipcns = pp->ipcns,
                .utsns = pp->utsns,
                .resolv_conf = pp->resolv_conf,
                .hosts = pp->hosts,
                .hostname_file = pp->hostname,
                .shm = pp->shm,
        };
        struct oci_sandbox sb;
        struct oci_host host;
        int r = ctr_sandbox_from_cri(ic->config, &paths, &arena, &sb, err);
        if (r == 0) {
                sb.cgroup_parent = pod_cgroup_parent(ic->rpc->cfg, ic->config);
                r = oci_host_detect(pod_cgroup_driver(ic->rpc->cfg), &host, err);
        }
        if (r == 0) {
                struct oci_infra_input in = {.rootfs = rootfs, .pause_path = "/pause", .sandbox = &sb};
                r = oci_spec_generate_infra(&in, &host, ret_json, err);
        }
        ctr_arena_clear(&arena);
        return r;
}

int rpc_run_pod_sandbox(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                        struct cric_error **err) {
        const Runtime__V1__RunPodSandboxRequest *r = (const Runtime__V1__RunPodSandboxRequest *) req;
        const Runtime__V1__PodSandboxConfig *c = r->config;
        if (check_config(c, err) < 0)
                return -1;
        const struct cric_runtime_handler *h = config_find_runtime(ctx->cfg, r->runtime_handler);
        if (!h)
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
        struct infra_ctx ic = {.rpc = ctx, .config = c};
        AUTOFREE char *runtime_path = NULL, *pause_path = NULL;
        if (ns && ns->pid == RUNTIME__V1__NAMESPACE_MODE__POD) {
                runtime_path = handler_binary(h);
                if (!runtime_path)
                        return cric_error_set(err, CRIC_E_PRECONDITION,
                                              "RunPodSandbox %s_%s: OCI runtime \"%s\" not found", c->metadata->name,
                                              c->metadata->namespace_, *h->runtime_path ? h->runtime_path : h->name);
                pause_path = fs_find_helper(ctx->cfg->pause_command, "cric-pause");
                if (!pause_path)
                        return cric_error_set(
                                err, CRIC_E_PRECONDITION,
                                "RunPodSandbox %s_%s: a shared PID namespace needs cric-pause, which is not at %s",
                                c->metadata->name, c->metadata->namespace_, ctx->cfg->pause_command);
                spec.is_shared_pid = true;
                spec.pause_path = pause_path;
                spec.runtime_path = runtime_path;
                spec.runtime_root = h->runtime_root;
                spec.make_infra_spec = make_infra_spec;
                spec.data = &ic;
        }
        struct pod_network net;
        if (network_of(c, servers, searches, options, &net, err) < 0) {
                free(net.ports);
                return cric_error_prefix(err, "RunPodSandbox %s_%s", c->metadata->name, c->metadata->namespace_);
        }
        spec.network = &net.a;
        AUTOFREE char *id = NULL;
        int rr = runtime_pod_run(ctx->deps->runtime, &spec, &id, err);
        free(net.ports);
        if (rr < 0)
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
