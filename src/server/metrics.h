/* ListMetricDescriptors and ListPodSandboxMetrics: the runtime's usage samples as the
 * cAdvisor metrics the kubelet serves on /metrics/cadvisor. Private to server/. */
#ifndef CRIC_SERVER_METRICS_H
#define CRIC_SERVER_METRICS_H

#include "cri.pb-c.h"
#include "runtime/runtime.h"
#include "server/rpc.h"

/* Every metric cric may send, whether or not this host can provide it (the kubelet
 * registers each descriptor once and drops a metric without one). In the reply arena;
 * the array has *ret_n entries. Never fails. */
Runtime__V1__MetricDescriptor **metrics_descriptors(struct rpc_ctx *ctx, size_t *ret_n);

/* The pod's metrics (its cgroup, its network) and its containers' (their cgroups,
 * writable layers), in the reply arena. A value the sample lacks is left out. Each
 * metric's label values follow its descriptor's label keys. Never fails. */
Runtime__V1__PodSandboxMetrics *metrics_of_pod(struct rpc_ctx *ctx, const struct pod_stats *ps);

#endif
