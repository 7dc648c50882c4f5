/* The cAdvisor metrics of pods and containers (the kubelet's PodAndContainerStatsFromCRI
 * path): names, help, label keys and types as the kubelet's /metrics/cadvisor has them.
 *
 * Labels: every metric has container, id, image, name, namespace and pod, in this order;
 * a few add one or two of their own after them (cpu; failure_type and scope; interface;
 * device). For a pod's own cgroup container and image are "", as cAdvisor has them.
 *
 * Units, as CRI-O sends them: the CRI's value is an unsigned integer, so CPU and
 * throttling times are whole seconds (nanoseconds / 1e9, rounded down); memory and file
 * system sizes are bytes; CFS periods and quotas are microseconds, as the kernel and
 * the CRI's LinuxContainerResources have them; times of day (container_last_seen,
 * container_start_time_seconds) are seconds since the epoch. A value the host cannot
 * give (no cpu controller, no swap accounting, cgroup v2 without memory.peak, ...) is
 * left out; its descriptor is still listed. */
#include <stdlib.h>
#include <string.h>

#include "network/netns.h"
#include "server/metrics.h"
#include "server/reply.h"
#include "server/stats_usage.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

enum labels { LABELS_BASE, LABELS_CPU, LABELS_FAILURE, LABELS_NETWORK, LABELS_FS, LABELS_MAX };

#define N_BASE 6
static char *const label_keys[LABELS_MAX][N_BASE + 2] = {
        [LABELS_BASE] = {"container", "id", "image", "name", "namespace", "pod"},
        [LABELS_CPU] = {"container", "id", "image", "name", "namespace", "pod", "cpu"},
        [LABELS_FAILURE] = {"container", "id", "image", "name", "namespace", "pod", "failure_type", "scope"},
        [LABELS_NETWORK] = {"container", "id", "image", "name", "namespace", "pod", "interface"},
        [LABELS_FS] = {"container", "id", "image", "name", "namespace", "pod", "device"},
};
static const size_t n_label_keys[LABELS_MAX] = {N_BASE, N_BASE + 1, N_BASE + 2, N_BASE + 1, N_BASE + 1};

enum metric_id {
        M_CPU_USAGE,
        M_CPU_USER,
        M_CPU_SYSTEM,
        M_CFS_PERIODS,
        M_CFS_THROTTLED_PERIODS,
        M_CFS_THROTTLED_SECONDS,
        M_MEM_USAGE,
        M_MEM_MAX_USAGE,
        M_MEM_WORKING_SET,
        M_MEM_RSS,
        M_MEM_CACHE,
        M_MEM_SWAP,
        M_MEM_FAILURES,
        M_OOM_EVENTS,
        M_SPEC_MEMORY_LIMIT,
        M_SPEC_CPU_SHARES,
        M_SPEC_CPU_PERIOD,
        M_SPEC_CPU_QUOTA,
        M_PROCESSES,
        M_THREADS,
        M_FDS,
        M_FS_USAGE,
        M_FS_LIMIT,
        M_FS_INODES_TOTAL,
        M_FS_INODES_FREE,
        M_NET_RX_BYTES,
        M_NET_RX_PACKETS,
        M_NET_RX_ERRORS,
        M_NET_RX_DROPPED,
        M_NET_TX_BYTES,
        M_NET_TX_PACKETS,
        M_NET_TX_ERRORS,
        M_NET_TX_DROPPED,
        M_LAST_SEEN,
        M_START_TIME,
        M_MAX,
};

struct metric_desc {
        const char *name, *help;
        enum labels labels;
        bool is_counter;
};

static const struct metric_desc descs[M_MAX] = {
        [M_CPU_USAGE] = {"container_cpu_usage_seconds_total", "Cumulative CPU time consumed in seconds.", LABELS_CPU,
                         true},
        [M_CPU_USER] = {"container_cpu_user_seconds_total", "Cumulative user CPU time consumed in seconds.",
                        LABELS_BASE, true},
        [M_CPU_SYSTEM] = {"container_cpu_system_seconds_total", "Cumulative system CPU time consumed in seconds.",
                          LABELS_BASE, true},
        [M_CFS_PERIODS] = {"container_cpu_cfs_periods_total", "Number of elapsed CFS enforcement periods.", LABELS_BASE,
                           true},
        [M_CFS_THROTTLED_PERIODS] = {"container_cpu_cfs_throttled_periods_total",
                                     "Number of CFS periods in which the container was throttled.", LABELS_BASE, true},
        [M_CFS_THROTTLED_SECONDS] = {"container_cpu_cfs_throttled_seconds_total",
                                     "Total time the container was throttled, in seconds.", LABELS_BASE, true},
        [M_MEM_USAGE] = {"container_memory_usage_bytes", "Current memory usage in bytes, page cache included.",
                         LABELS_BASE, false},
        [M_MEM_MAX_USAGE] = {"container_memory_max_usage_bytes", "Highest memory usage recorded, in bytes.",
                             LABELS_BASE, false},
        [M_MEM_WORKING_SET] = {"container_memory_working_set_bytes",
                               "Current working set in bytes: usage without inactive page cache.", LABELS_BASE, false},
        [M_MEM_RSS] = {"container_memory_rss", "Anonymous memory (RSS) in bytes.", LABELS_BASE, false},
        [M_MEM_CACHE] = {"container_memory_cache", "Page cache memory in bytes.", LABELS_BASE, false},
        [M_MEM_SWAP] = {"container_memory_swap", "Swap usage in bytes.", LABELS_BASE, false},
        [M_MEM_FAILURES] = {"container_memory_failures_total", "Cumulative count of page faults, by type and scope.",
                            LABELS_FAILURE, true},
        [M_OOM_EVENTS] = {"container_oom_events_total", "Count of processes killed by the OOM killer.", LABELS_BASE,
                          true},
        [M_SPEC_MEMORY_LIMIT] = {"container_spec_memory_limit_bytes", "Memory limit in bytes; 0 when unlimited.",
                                 LABELS_BASE, false},
        [M_SPEC_CPU_SHARES] = {"container_spec_cpu_shares", "CPU shares of the container.", LABELS_BASE, false},
        [M_SPEC_CPU_PERIOD] = {"container_spec_cpu_period", "CFS period of the container, in microseconds.",
                               LABELS_BASE, false},
        [M_SPEC_CPU_QUOTA] = {"container_spec_cpu_quota",
                              "CFS quota of the container per period, in microseconds; absent without one.",
                              LABELS_BASE, false},
        [M_PROCESSES] = {"container_processes", "Number of processes running.", LABELS_BASE, false},
        [M_THREADS] = {"container_threads", "Number of threads running.", LABELS_BASE, false},
        [M_FDS] = {"container_file_descriptors", "Number of open file descriptors.", LABELS_BASE, false},
        [M_FS_USAGE] = {"container_fs_usage_bytes", "Bytes used by the writable layer.", LABELS_FS, false},
        [M_FS_LIMIT] = {"container_fs_limit_bytes", "Size in bytes of the file system holding the writable layer.",
                        LABELS_FS, false},
        [M_FS_INODES_TOTAL] = {"container_fs_inodes_total",
                               "Number of inodes of the file system holding the writable layer.", LABELS_FS, false},
        [M_FS_INODES_FREE] = {"container_fs_inodes_free",
                              "Number of free inodes of the file system holding the writable layer.", LABELS_FS, false},
        [M_NET_RX_BYTES] = {"container_network_receive_bytes_total", "Cumulative count of bytes received.",
                            LABELS_NETWORK, true},
        [M_NET_RX_PACKETS] = {"container_network_receive_packets_total", "Cumulative count of packets received.",
                              LABELS_NETWORK, true},
        [M_NET_RX_ERRORS] = {"container_network_receive_errors_total",
                             "Cumulative count of errors encountered while receiving.", LABELS_NETWORK, true},
        [M_NET_RX_DROPPED] = {"container_network_receive_packets_dropped_total",
                              "Cumulative count of packets dropped while receiving.", LABELS_NETWORK, true},
        [M_NET_TX_BYTES] = {"container_network_transmit_bytes_total", "Cumulative count of bytes transmitted.",
                            LABELS_NETWORK, true},
        [M_NET_TX_PACKETS] = {"container_network_transmit_packets_total", "Cumulative count of packets transmitted.",
                              LABELS_NETWORK, true},
        [M_NET_TX_ERRORS] = {"container_network_transmit_errors_total",
                             "Cumulative count of errors encountered while transmitting.", LABELS_NETWORK, true},
        [M_NET_TX_DROPPED] = {"container_network_transmit_packets_dropped_total",
                              "Cumulative count of packets dropped while transmitting.", LABELS_NETWORK, true},
        [M_LAST_SEEN] = {"container_last_seen", "Last time the container was seen, in seconds since the epoch.",
                         LABELS_BASE, false},
        [M_START_TIME] = {"container_start_time_seconds", "Start time of the container in seconds since the epoch.",
                          LABELS_BASE, false},
};

#define NS_PER_S 1000000000u

Runtime__V1__MetricDescriptor **metrics_descriptors(struct rpc_ctx *ctx, size_t *ret_n) {
        Runtime__V1__MetricDescriptor **v = rpc_alloc(ctx, M_MAX * sizeof(*v));
        for (size_t i = 0; i < M_MAX; i++) {
                Runtime__V1__MetricDescriptor *d = reply_new(ctx, &runtime__v1__metric_descriptor__descriptor);
                d->name = (char *) descs[i].name;
                d->help = (char *) descs[i].help;
                d->label_keys = (char **) label_keys[descs[i].labels];
                d->n_label_keys = n_label_keys[descs[i].labels];
                v[i] = d;
        }
        *ret_n = M_MAX;
        return v;
}

/* The metrics of one pod or container while they are built: a heap array copied into
 * the arena at the end, since the count is known only then. */
struct sink {
        struct rpc_ctx *ctx;
        char *base[N_BASE]; /* the base label values, in the arena */
        int64_t timestamp_ns;
        Runtime__V1__Metric **v;
        size_t n, cap;
};

/* Adds metric id with value and the extra label values its descriptor has beyond the
 * base ones (none, one or two). */
static void put(struct sink *s, enum metric_id id, uint64_t value, const char *extra1, const char *extra2) {
        const struct metric_desc *d = &descs[id];
        size_t n = n_label_keys[d->labels];
        Runtime__V1__Metric *m = reply_new(s->ctx, &runtime__v1__metric__descriptor);
        m->name = (char *) d->name;
        m->timestamp = s->timestamp_ns;
        m->metric_type = d->is_counter ? RUNTIME__V1__METRIC_TYPE__COUNTER : RUNTIME__V1__METRIC_TYPE__GAUGE;
        m->value = stats_u64(s->ctx, value);
        m->label_values = rpc_alloc(s->ctx, n * sizeof(char *));
        memcpy(m->label_values, s->base, sizeof(s->base));
        const char *extra[2] = {extra1, extra2};
        for (size_t i = N_BASE; i < n; i++)
                m->label_values[i] = rpc_strdup(s->ctx, extra[i - N_BASE] ? extra[i - N_BASE] : "");
        m->n_label_values = n;
        if (s->n == s->cap) {
                s->cap = s->cap ? 2 * s->cap : 32;
                s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
        }
        s->v[s->n++] = m;
}

#define PUT(s, id, value) put((s), (id), (value), NULL, NULL)

/* Moves the metrics into the arena; the sink is empty afterwards. */
static Runtime__V1__Metric **sink_take(struct sink *s, size_t *ret_n) {
        Runtime__V1__Metric **v = rpc_alloc(s->ctx, (s->n ? s->n : 1) * sizeof(*v));
        if (s->n)
                memcpy(v, s->v, s->n * sizeof(*v));
        *ret_n = s->n;
        free(s->v);
        s->v = NULL;
        s->n = s->cap = 0;
        return v;
}

static void put_cpu(struct sink *s, const struct cgroup_stats *c) {
        if (c->has_cpu)
                put(s, M_CPU_USAGE, c->cpu_usage_core_ns / NS_PER_S, "total", NULL);
        if (c->has_cpu_split) {
                PUT(s, M_CPU_USER, c->cpu_user_ns / NS_PER_S);
                PUT(s, M_CPU_SYSTEM, c->cpu_system_ns / NS_PER_S);
        }
        if (c->has_cfs) {
                PUT(s, M_CFS_PERIODS, c->cfs_periods);
                PUT(s, M_CFS_THROTTLED_PERIODS, c->cfs_throttled_periods);
                PUT(s, M_CFS_THROTTLED_SECONDS, c->cfs_throttled_ns / NS_PER_S);
        }
        if (c->has_cpu_shares)
                PUT(s, M_SPEC_CPU_SHARES, c->cpu_shares);
        if (c->has_cpu_period)
                PUT(s, M_SPEC_CPU_PERIOD, c->cpu_period_us);
        if (c->has_cpu_quota)
                PUT(s, M_SPEC_CPU_QUOTA, c->cpu_quota_us);
}

/* memory.stat's fault counters include the cgroups below (v1 total_*, v2 always), so
 * the container and hierarchy scopes carry the same values. */
static void put_faults(struct sink *s, const struct cgroup_stats *c) {
        if (!c->has_page_faults)
                return;
        static const char *const scopes[] = {"container", "hierarchy"};
        for (size_t i = 0; i < 2; i++) {
                put(s, M_MEM_FAILURES, c->page_faults, "pgfault", scopes[i]);
                put(s, M_MEM_FAILURES, c->major_page_faults, "pgmajfault", scopes[i]);
        }
}

static void put_memory(struct sink *s, const struct cgroup_stats *c) {
        if (c->has_memory_usage) {
                PUT(s, M_MEM_USAGE, c->memory_usage_bytes);
                PUT(s, M_SPEC_MEMORY_LIMIT, c->has_memory_limit ? c->memory_limit_bytes : 0);
        }
        if (c->has_max_usage)
                PUT(s, M_MEM_MAX_USAGE, c->memory_max_usage_bytes);
        if (c->has_working_set)
                PUT(s, M_MEM_WORKING_SET, c->memory_working_set_bytes);
        if (c->has_rss)
                PUT(s, M_MEM_RSS, c->memory_rss_bytes);
        if (c->has_cache)
                PUT(s, M_MEM_CACHE, c->memory_cache_bytes);
        if (c->has_swap)
                PUT(s, M_MEM_SWAP, c->swap_usage_bytes);
        if (c->has_oom_kills)
                PUT(s, M_OOM_EVENTS, c->oom_kills);
        put_faults(s, c);
}

static void put_tasks(struct sink *s, const struct cgroup_stats *c) {
        if (c->has_tasks) {
                PUT(s, M_PROCESSES, c->processes);
                PUT(s, M_THREADS, c->threads);
        }
        if (c->has_fds)
                PUT(s, M_FDS, c->file_descriptors);
}

static void put_usage(struct sink *s, const struct runtime_usage *u) {
        PUT(s, M_LAST_SEEN, (uint64_t) u->timestamp_ns / NS_PER_S);
        if (u->has_cgroup) {
                put_cpu(s, &u->cgroup);
                put_memory(s, &u->cgroup);
                put_tasks(s, &u->cgroup);
        }
        if (!u->has_fs)
                return;
        const char *dev = u->fs_mountpoint ? u->fs_mountpoint : "";
        put(s, M_FS_USAGE, u->fs_bytes, dev, NULL);
        if (u->has_fs_capacity) {
                put(s, M_FS_LIMIT, u->fs_capacity_bytes, dev, NULL);
                put(s, M_FS_INODES_TOTAL, u->fs_inodes_total, dev, NULL);
                put(s, M_FS_INODES_FREE, u->fs_inodes_free, dev, NULL);
        }
}

static void put_link(struct sink *s, const struct netns_link_stats *l) {
        const struct {
                enum metric_id id;
                uint64_t v;
        } vals[] = {
                {M_NET_RX_BYTES, l->rx_bytes},     {M_NET_RX_PACKETS, l->rx_packets}, {M_NET_RX_ERRORS, l->rx_errors},
                {M_NET_RX_DROPPED, l->rx_dropped}, {M_NET_TX_BYTES, l->tx_bytes},     {M_NET_TX_PACKETS, l->tx_packets},
                {M_NET_TX_ERRORS, l->tx_errors},   {M_NET_TX_DROPPED, l->tx_dropped},
        };
        for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
                put(s, vals[i].id, vals[i].v, l->name, NULL);
}

static void set_base(struct sink *s, const struct pod_info *p, const struct container_info *c) {
        AUTOFREE char *name = xasprintf("k8s_%s_%s_%s_%s_%u", c ? c->name : "POD", p->name, p->namespace, p->uid,
                                        c ? c->attempt : p->attempt);
        s->base[0] = rpc_strdup(s->ctx, c ? c->name : "");
        s->base[1] = rpc_strdup(s->ctx, c ? c->id : p->id);
        s->base[2] = rpc_strdup(s->ctx, c ? c->image : "");
        s->base[3] = rpc_strdup(s->ctx, name);
        s->base[4] = rpc_strdup(s->ctx, p->namespace);
        s->base[5] = rpc_strdup(s->ctx, p->name);
}

static Runtime__V1__ContainerMetrics *container_metrics(struct rpc_ctx *ctx, const struct pod_info *p,
                                                        const struct container_stats *cs) {
        struct sink s = {.ctx = ctx, .timestamp_ns = cs->usage.timestamp_ns};
        set_base(&s, p, cs->view.info);
        put_usage(&s, &cs->usage);
        if (cs->view.started_ns > 0)
                PUT(&s, M_START_TIME, (uint64_t) cs->view.started_ns / NS_PER_S);
        Runtime__V1__ContainerMetrics *m = reply_new(ctx, &runtime__v1__container_metrics__descriptor);
        m->container_id = rpc_strdup(ctx, cs->view.info->id);
        m->metrics = sink_take(&s, &m->n_metrics);
        return m;
}

Runtime__V1__PodSandboxMetrics *metrics_of_pod(struct rpc_ctx *ctx, const struct pod_stats *ps) {
        const struct pod_info *p = ps->view.info;
        struct sink s = {.ctx = ctx, .timestamp_ns = ps->usage.timestamp_ns};
        set_base(&s, p, NULL);
        put_usage(&s, &ps->usage);
        PUT(&s, M_START_TIME, (uint64_t) p->created_ns / NS_PER_S);
        for (size_t i = 0; ps->has_network && i < ps->n_links; i++)
                put_link(&s, &ps->links[i]);
        Runtime__V1__PodSandboxMetrics *m = reply_new(ctx, &runtime__v1__pod_sandbox_metrics__descriptor);
        m->pod_sandbox_id = rpc_strdup(ctx, p->id);
        m->metrics = sink_take(&s, &m->n_metrics);
        m->container_metrics = rpc_alloc(ctx, (ps->n_containers + 1) * sizeof(*m->container_metrics));
        for (size_t i = 0; i < ps->n_containers; i++)
                m->container_metrics[m->n_container_metrics++] = container_metrics(ctx, p, &ps->containers[i]);
        return m;
}

/* ---- the calls ---- */

int rpc_list_metric_descriptors(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                                struct cric_error **err) {
        (void) req, (void) err;
        Runtime__V1__ListMetricDescriptorsResponse *resp =
                reply_new(ctx, &runtime__v1__list_metric_descriptors_response__descriptor);
        resp->descriptors = metrics_descriptors(ctx, &resp->n_descriptors);
        *ret_resp = &resp->base;
        return 0;
}

/* Every ready pod: the request has no filter. */
int rpc_list_pod_sandbox_metrics(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                                 struct cric_error **err) {
        (void) req, (void) err;
        struct pod_filter pf = {.state = -1};
        struct pod_stats *ps = NULL;
        size_t n = 0;
        runtime_pod_stats_list(ctx->deps->runtime, &pf, &ps, &n);
        Runtime__V1__ListPodSandboxMetricsResponse *resp =
                reply_new(ctx, &runtime__v1__list_pod_sandbox_metrics_response__descriptor);
        resp->pod_metrics = rpc_alloc(ctx, (n ? n : 1) * sizeof(*resp->pod_metrics));
        for (size_t i = 0; i < n; i++)
                resp->pod_metrics[resp->n_pod_metrics++] = metrics_of_pod(ctx, &ps[i]);
        pod_stats_free(ps, n);
        *ret_resp = &resp->base;
        return 0;
}
