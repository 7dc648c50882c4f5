/* UpdatePodSandboxResources: the kubelet's in-place pod resize. The pod cgroup's limit
 * is the sum of the containers' resources and the pod overhead, as the kubelet computes
 * it; a field left at 0 in resources leaves the cgroup's value as it is. Only CPU and
 * memory apply to the pod cgroup; the other fields (cpuset, hugepages, unified, swap,
 * oom_score_adj) belong to containers and are ignored here. */
#include <inttypes.h>
#include <stdint.h>

#include "cri.pb-c.h"
#include "runtime/runtime.h"
#include "server/reply.h"
#include "server/rpc.h"

/* The kernel's ranges (v1 cpu.shares, cpu.cfs_period_us, cpu.cfs_quota_us). */
#define SHARES_MIN 2
#define SHARES_MAX 262144
#define PERIOD_MIN 1000
#define PERIOD_MAX 1000000
#define QUOTA_MIN  1000
#define MEMORY_MAX ((int64_t) 1 << 62)

static int out_of_range(const char *what, const char *field, int64_t v, const char *range, struct cric_error **err) {
        return cric_error_set(err, CRIC_E_INVALID, "UpdatePodSandboxResources: %s.%s %" PRId64 " is out of range (%s)",
                              what, field, v, range);
}

static int check_one(const char *what, const Runtime__V1__LinuxContainerResources *r, struct cric_error **err) {
        if (!r)
                return 0;
        if (r->cpu_shares && (r->cpu_shares < SHARES_MIN || r->cpu_shares > SHARES_MAX))
                return out_of_range(what, "cpu_shares", r->cpu_shares, "0, or 2 to 262144", err);
        if (r->cpu_period && (r->cpu_period < PERIOD_MIN || r->cpu_period > PERIOD_MAX))
                return out_of_range(what, "cpu_period", r->cpu_period, "0, or 1000 to 1000000 microseconds", err);
        if (r->cpu_quota && r->cpu_quota != -1 && r->cpu_quota < QUOTA_MIN)
                return out_of_range(what, "cpu_quota", r->cpu_quota, "0, -1, or at least 1000 microseconds", err);
        if (r->memory_limit_in_bytes < 0 || r->memory_limit_in_bytes > MEMORY_MAX)
                return out_of_range(what, "memory_limit_in_bytes", r->memory_limit_in_bytes, "0 to 2^62 bytes", err);
        return 0;
}

/* resources + overhead for one field: 0 in resources leaves it unset, -1 (quota) means
 * no limit whatever the overhead. */
static int64_t sum(int64_t res, int64_t overhead) {
        if (res <= 0)
                return res;
        return res + (overhead > 0 ? overhead : 0);
}

static void limits_of(const Runtime__V1__LinuxContainerResources *res,
                      const Runtime__V1__LinuxContainerResources *overhead, struct cgroup_limits *ret) {
        static const Runtime__V1__LinuxContainerResources none = RUNTIME__V1__LINUX_CONTAINER_RESOURCES__INIT;
        if (!res)
                res = &none;
        if (!overhead)
                overhead = &none;
        *ret = (struct cgroup_limits){
                .cpu_shares = sum(res->cpu_shares, overhead->cpu_shares),
                .cpu_period = res->cpu_period ? res->cpu_period : 0,
                .cpu_quota = sum(res->cpu_quota, overhead->cpu_quota),
                .memory_bytes = sum(res->memory_limit_in_bytes, overhead->memory_limit_in_bytes),
        };
        if (ret->cpu_shares > SHARES_MAX)
                ret->cpu_shares = SHARES_MAX;
        if (ret->memory_bytes > MEMORY_MAX)
                ret->memory_bytes = MEMORY_MAX;
}

int rpc_update_pod_sandbox_resources(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                                     struct cric_error **err) {
        const Runtime__V1__UpdatePodSandboxResourcesRequest *r =
                (const Runtime__V1__UpdatePodSandboxResourcesRequest *) req;
        if (!*r->pod_sandbox_id)
                return cric_error_set(err, CRIC_E_INVALID, "UpdatePodSandboxResources: no pod_sandbox_id given");
        if (!r->resources && !r->overhead)
                return cric_error_set(err, CRIC_E_INVALID, "UpdatePodSandboxResources %s: no resources given",
                                      r->pod_sandbox_id);
        if (check_one("resources", r->resources, err) < 0 || check_one("overhead", r->overhead, err) < 0)
                return -1;
        struct cgroup_limits l;
        limits_of(r->resources, r->overhead, &l);
        if (runtime_pod_update_resources(ctx->deps->runtime, r->pod_sandbox_id, &l, err) < 0)
                return cric_error_prefix(err, "UpdatePodSandboxResources");
        *ret_resp = reply_empty(&runtime__v1__update_pod_sandbox_resources_response__descriptor);
        return 0;
}
