/* The metrics cric records, named after CRI-O's (crio_ -> cric_), and the hooks the
 * components call. Each hook starts with the one branch on metrics_enabled(). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics/internal.h"
#include "metrics/process.h"
#include "util/xalloc.h"

atomic_bool metrics_on;

#define N_CODES 17 /* gRPC status codes 0 (OK) to 16 (UNAUTHENTICATED) */
static const char *const code_names[N_CODES] = {
        "OK",        "CANCELLED",       "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
        "NOT_FOUND", "ALREADY_EXISTS",  "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
        "ABORTED",   "OUT_OF_RANGE",    "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
        "DATA_LOSS", "UNAUTHENTICATED",
};

static const double rpc_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                     0.25,   0.5,   1,      2.5,   5,    10,    30,   60};
static const double pull_buckets[] = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};
static const double cni_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

/* The series of one method and code, found once. */
struct rpc_series {
        struct metric_series *total, *latency, *errors;
};

static struct {
        struct metrics_registry *reg;
        struct metric_family *ops_total, *ops_latency, *ops_errors;
        struct metric_family *pulls_failure, *pulls_duration, *cni_latency;
        struct metric_series *pulls_success, *pulls_bytes, *oom;
        size_t n_methods;                  /* index n_methods: a method cric does not know */
        _Atomic(struct rpc_series *) *rpc; /* [(n_methods + 1) * N_CODES] */
} m;

#define LABELS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define N(a)        (sizeof(a) / sizeof((a)[0]))

void metrics_enable(void) {
        if (m.reg)
                return;
        m.reg = metrics_registry_new();
        m.ops_total = metrics_family_new(m.reg, METRIC_COUNTER, "cric_operations_total",
                                         "Cumulative number of CRI operations by operation and gRPC status code.",
                                         LABELS("operation", "code"), NULL, 0);
        m.ops_latency = metrics_family_new(m.reg, METRIC_HISTOGRAM, "cric_operations_latency_seconds",
                                           "Latency of CRI operations in seconds, by operation and gRPC status code.",
                                           LABELS("operation", "code"), rpc_buckets, N(rpc_buckets));
        m.ops_errors = metrics_family_new(m.reg, METRIC_COUNTER, "cric_operations_errors_total",
                                          "Cumulative number of CRI operations that failed, by operation and code.",
                                          LABELS("operation", "code"), NULL, 0);
        m.pulls_success = metric_series_get(metrics_family_new(m.reg, METRIC_COUNTER, "cric_image_pulls_success_total",
                                                               "Successful image pulls.", NULL, NULL, 0),
                                            NULL);
        m.pulls_failure = metrics_family_new(m.reg, METRIC_COUNTER, "cric_image_pulls_failure_total",
                                             "Failed image pulls, by reason.", LABELS("error"), NULL, 0);
        m.pulls_bytes =
                metric_series_get(metrics_family_new(m.reg, METRIC_COUNTER, "cric_image_pulls_bytes_total",
                                                     "Bytes of layers downloaded by image pulls.", NULL, NULL, 0),
                                  NULL);
        m.pulls_duration = metrics_family_new(m.reg, METRIC_HISTOGRAM, "cric_image_pulls_duration_seconds",
                                              "Duration of image pulls in seconds, by outcome.", LABELS("outcome"),
                                              pull_buckets, N(pull_buckets));
        m.cni_latency =
                metrics_family_new(m.reg, METRIC_HISTOGRAM, "cric_cni_operations_latency_seconds",
                                   "Latency of CNI ADD and DEL in seconds, by network, main plugin and outcome.",
                                   LABELS("operation", "network", "plugin", "outcome"), cni_buckets, N(cni_buckets));
        m.oom = metric_series_get(metrics_family_new(m.reg, METRIC_COUNTER, "cric_containers_oom_total",
                                                     "Containers killed because they ran out of memory (OOM).", NULL,
                                                     NULL, 0),
                                  NULL);
        metrics_process_register(m.reg);
        m.n_methods = METRICS_MAX_METHODS;
        m.rpc = xcalloc((METRICS_MAX_METHODS + 1) * N_CODES, sizeof(*m.rpc));
        atomic_store(&metrics_on, true);
}

struct metrics_registry *metrics_registry(void) {
        return m.reg;
}

double metrics_now(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

static struct rpc_series *rpc_series_of(size_t method_index, const char *method, int code) {
        _Atomic(struct rpc_series *) *slot = &m.rpc[method_index * N_CODES + (size_t) code];
        struct rpc_series *s = atomic_load_explicit(slot, memory_order_acquire);
        if (s)
                return s;
        /* First call of this method with this code: the series are found (or made) under
         * the families' locks, so two threads racing here get the same ones. */
        const char *values[] = {method, code_names[code]};
        struct rpc_series *fresh = xmalloc(sizeof(*fresh));
        fresh->total = metric_series_get(m.ops_total, values);
        fresh->latency = metric_series_get(m.ops_latency, values);
        fresh->errors = code ? metric_series_get(m.ops_errors, values) : NULL;
        struct rpc_series *expected = NULL;
        if (atomic_compare_exchange_strong(slot, &expected, fresh))
                return fresh;
        free(fresh);
        return expected;
}

void metrics_rpc_done(size_t method_index, const char *method, int grpc_code, double seconds) {
        if (!metrics_enabled())
                return;
        if (method_index >= m.n_methods) {
                method_index = m.n_methods;
                method = "unknown";
        }
        if (grpc_code < 0 || grpc_code >= N_CODES)
                grpc_code = 2; /* UNKNOWN */
        struct rpc_series *s = rpc_series_of(method_index, method, grpc_code);
        metric_counter_add(s->total, 1);
        metric_observe(s->latency, seconds);
        if (s->errors)
                metric_counter_add(s->errors, 1);
}

const char *metrics_pull_failure_reason(const struct cric_error *err) {
        if (!err)
                return "other";
        switch (err->kind) {
        case CRIC_E_NOT_FOUND: return "not_found";
        case CRIC_E_PERMISSION: return "unauthorized";
        case CRIC_E_UNAVAILABLE:
        case CRIC_E_TIMEOUT: return "network";
        case CRIC_E_INVALID: return "invalid";
        case CRIC_E_SIGNATURE: return "signature";
        default: return "other";
        }
}

void metrics_image_pull_done(bool ok, const struct cric_error *err, double seconds) {
        if (!metrics_enabled())
                return;
        if (ok)
                metric_counter_add(m.pulls_success, 1);
        else
                metric_counter_add(metric_series_get(m.pulls_failure, LABELS(metrics_pull_failure_reason(err))), 1);
        metric_observe(metric_series_get(m.pulls_duration, LABELS(ok ? "success" : "failure")), seconds);
}

void metrics_image_pull_bytes(uint64_t bytes) {
        if (!metrics_enabled())
                return;
        metric_counter_add(m.pulls_bytes, bytes);
}

void metrics_cni_done(const char *operation, const char *network, const char *plugin, bool ok, double seconds) {
        if (!metrics_enabled())
                return;
        const char *values[] = {operation, network, plugin, ok ? "success" : "failure"};
        metric_observe(metric_series_get(m.cni_latency, values), seconds);
}

void metrics_oom_kill(void) {
        if (!metrics_enabled())
                return;
        metric_counter_add(m.oom, 1);
}
