/* The parts of ContainerStats and PodSandboxStats beyond CPU, memory and the writable
 * layer: swap, pressure (PSI), processes and the pod's network. Private to server/. */
#ifndef CRIC_SERVER_STATS_USAGE_H
#define CRIC_SERVER_STATS_USAGE_H

#include "cri.pb-c.h"
#include "runtime/runtime.h"
#include "server/rpc.h"

Runtime__V1__UInt64Value *stats_u64(struct rpc_ctx *ctx, uint64_t v);
/* NULL when the cgroup has no such data (no swap accounting; PSI only on cgroup v2). */
Runtime__V1__SwapUsage *stats_swap_of(struct rpc_ctx *ctx, const struct runtime_usage *u);
Runtime__V1__PsiStats *stats_psi_of(struct rpc_ctx *ctx, const struct cgroup_psi *p);
Runtime__V1__IoUsage *stats_io_of(struct rpc_ctx *ctx, const struct runtime_usage *u);
Runtime__V1__ProcessUsage *stats_process_of(struct rpc_ctx *ctx, const struct runtime_usage *u);
/* The pod's interfaces; "eth0" (the kubelet's default interface name) is the default
 * one when it exists, else the first. NULL when the pod's netns was not read. */
Runtime__V1__NetworkUsage *stats_network_of(struct rpc_ctx *ctx, const struct pod_stats *ps);

#endif
