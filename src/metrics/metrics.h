/* Prometheus metrics of the daemon: a registry of counters, gauges and histograms with
 * labels, the text exposition format (0.0.4), and the metrics cric records.
 *
 * Low in the tree (util only), so image/, network/, runtime/ and server/ record into it;
 * daemon/metrics_server.c serves it over HTTP. Recording is cheap: when metrics are off
 * each metrics_* call is one branch; when on, a series handle found once is updated with
 * atomic adds (no lock, no allocation). Finding a series by label values takes the
 * family's lock and allocates the first time only. Every function is thread-safe. */
#ifndef CRIC_METRICS_METRICS_H
#define CRIC_METRICS_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* ---- the registry ---- */

enum metric_type {
        METRIC_COUNTER,
        METRIC_GAUGE,
        METRIC_HISTOGRAM,
};

#define METRIC_MAX_LABELS  4
#define METRIC_MAX_BUCKETS 24

struct metrics_registry;
struct metric_family;
struct metric_series;

struct metrics_registry *metrics_registry_new(void);
struct metrics_registry *metrics_registry_free(struct metrics_registry *r);

/* A family: name, help, label names (NULL-terminated, at most METRIC_MAX_LABELS; NULL:
 * none), and for a histogram its upper bounds in increasing order (+Inf is implied).
 * Strings are copied. The family lives as long as the registry. */
struct metric_family *metrics_family_new(struct metrics_registry *r, enum metric_type type, const char *name,
                                         const char *help, const char *const *label_names, const double *buckets,
                                         size_t n_buckets);

/* The series of f with these label values (as many as f has label names), made on first
 * use; NULL values count as "". The handle lives as long as the registry. */
struct metric_series *metric_series_get(struct metric_family *f, const char *const *label_values);

void metric_counter_add(struct metric_series *s, uint64_t n);
/* For counters read from elsewhere at scrape time (CPU seconds). */
void metric_counter_set(struct metric_series *s, double v);
void metric_gauge_set(struct metric_series *s, double v);
void metric_observe(struct metric_series *s, double v);

/* Reads a series back (tests): a counter's or gauge's value, a histogram's count and sum,
 * and its cumulative bucket counts (n_buckets + 1 with +Inf). */
double metric_value(const struct metric_series *s);
uint64_t metric_hist_count(const struct metric_series *s);
double metric_hist_sum(const struct metric_series *s);

/* Runs before each encoding, under the registry's scrape lock: sets the gauges that are
 * computed when asked (containers by state, process_*). */
typedef void (*metrics_collect_fn)(void *data);
void metrics_registry_add_collector(struct metrics_registry *r, metrics_collect_fn fn, void *data);

/* Serves only the families named in names (NULL-terminated; a name may leave out the
 * "cric_" prefix); NULL or empty: every family. Call before serving. */
void metrics_registry_set_filter(struct metrics_registry *r, char *const *names);

/* Runs the collectors and writes every family in the text exposition format 0.0.4.
 * Returned string is the caller's; *ret_len its length. */
char *metrics_registry_encode(struct metrics_registry *r, size_t *ret_len);

/* ---- cric's metrics (cric_metrics.c) ---- */

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

extern atomic_bool metrics_on;
static inline bool metrics_enabled(void) {
        return atomic_load_explicit(&metrics_on, memory_order_relaxed);
}

/* RPC method indexes metrics_rpc_done keeps apart; larger ones count as "unknown". */
#define METRICS_MAX_METHODS 128

/* Builds cric's registry and turns recording on. Once, before the threads that record
 * start. */
void metrics_enable(void);
/* The registry (NULL while metrics are off). */
struct metrics_registry *metrics_registry(void);

/* An RPC ended: its method (index and name, e.g. "Version"), gRPC status code and time. */
void metrics_rpc_done(size_t method_index, const char *method, int grpc_code, double seconds);

/* An image pull ended; err says why it failed (NULL: reason "other"). */
void metrics_image_pull_done(bool ok, const struct cric_error *err, double seconds);
/* Layer bytes an image pull downloaded. */
void metrics_image_pull_bytes(uint64_t bytes);
/* The label a pull failure is counted under: not_found, unauthorized, network, invalid,
 * signature or other. */
const char *metrics_pull_failure_reason(const struct cric_error *err);

/* A CNI ADD or DEL ("add", "del") of network (main plugin type) ended. */
void metrics_cni_done(const char *operation, const char *network, const char *plugin, bool ok, double seconds);

/* A container was OOM-killed. */
void metrics_oom_kill(void);

/* Seconds since start on a monotonic clock, for timing what is recorded. */
double metrics_now(void);

#endif
