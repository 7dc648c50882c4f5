/* Swap, PSI, processes and network of the stats replies, built in the reply arena. */
#include <string.h>

#include "network/netns.h"
#include "server/reply.h"
#include "server/stats_usage.h"

Runtime__V1__UInt64Value *stats_u64(struct rpc_ctx *ctx, uint64_t v) {
        Runtime__V1__UInt64Value *x = reply_new(ctx, &runtime__v1__uint64_value__descriptor);
        x->value = v;
        return x;
}

Runtime__V1__SwapUsage *stats_swap_of(struct rpc_ctx *ctx, const struct runtime_usage *u) {
        if (!u->has_cgroup || !u->cgroup.has_swap)
                return NULL;
        Runtime__V1__SwapUsage *s = reply_new(ctx, &runtime__v1__swap_usage__descriptor);
        s->timestamp = u->timestamp_ns;
        s->swap_usage_bytes = stats_u64(ctx, u->cgroup.swap_usage_bytes);
        if (u->cgroup.has_swap_available)
                s->swap_available_bytes = stats_u64(ctx, u->cgroup.swap_available_bytes);
        return s;
}

static Runtime__V1__PsiData *psi_data(struct rpc_ctx *ctx, const struct cgroup_psi_line *l) {
        Runtime__V1__PsiData *d = reply_new(ctx, &runtime__v1__psi_data__descriptor);
        d->total = l->total_ns;
        d->avg10 = l->avg10;
        d->avg60 = l->avg60;
        d->avg300 = l->avg300;
        return d;
}

Runtime__V1__PsiStats *stats_psi_of(struct rpc_ctx *ctx, const struct cgroup_psi *p) {
        if (!p->has_some && !p->has_full)
                return NULL;
        Runtime__V1__PsiStats *s = reply_new(ctx, &runtime__v1__psi_stats__descriptor);
        if (p->has_some)
                s->some = psi_data(ctx, &p->some);
        if (p->has_full)
                s->full = psi_data(ctx, &p->full);
        return s;
}

Runtime__V1__IoUsage *stats_io_of(struct rpc_ctx *ctx, const struct runtime_usage *u) {
        if (!u->has_cgroup)
                return NULL;
        Runtime__V1__PsiStats *psi = stats_psi_of(ctx, &u->cgroup.psi_io);
        if (!psi)
                return NULL;
        Runtime__V1__IoUsage *io = reply_new(ctx, &runtime__v1__io_usage__descriptor);
        io->timestamp = u->timestamp_ns;
        io->psi = psi;
        return io;
}

Runtime__V1__ProcessUsage *stats_process_of(struct rpc_ctx *ctx, const struct runtime_usage *u) {
        if (!u->has_cgroup || !u->cgroup.has_pids)
                return NULL;
        Runtime__V1__ProcessUsage *p = reply_new(ctx, &runtime__v1__process_usage__descriptor);
        p->timestamp = u->timestamp_ns;
        p->process_count = stats_u64(ctx, u->cgroup.pids_current);
        return p;
}

static Runtime__V1__NetworkInterfaceUsage *iface_of(struct rpc_ctx *ctx, const struct netns_link_stats *l) {
        Runtime__V1__NetworkInterfaceUsage *i = reply_new(ctx, &runtime__v1__network_interface_usage__descriptor);
        i->name = rpc_strdup(ctx, l->name);
        i->rx_bytes = stats_u64(ctx, l->rx_bytes);
        i->rx_errors = stats_u64(ctx, l->rx_errors);
        i->tx_bytes = stats_u64(ctx, l->tx_bytes);
        i->tx_errors = stats_u64(ctx, l->tx_errors);
        return i;
}

Runtime__V1__NetworkUsage *stats_network_of(struct rpc_ctx *ctx, const struct pod_stats *ps) {
        if (!ps->has_network)
                return NULL;
        Runtime__V1__NetworkUsage *n = reply_new(ctx, &runtime__v1__network_usage__descriptor);
        n->timestamp = ps->network_timestamp_ns;
        n->interfaces = rpc_alloc(ctx, (ps->n_links + 1) * sizeof(*n->interfaces));
        for (size_t i = 0; i < ps->n_links; i++) {
                n->interfaces[n->n_interfaces++] = iface_of(ctx, &ps->links[i]);
                if (!strcmp(ps->links[i].name, "eth0"))
                        n->default_interface = n->interfaces[i];
        }
        if (!n->default_interface && n->n_interfaces)
                n->default_interface = n->interfaces[0];
        return n;
}
