/* What the files of metrics/ share. Private to metrics/. */
#ifndef CRIC_METRICS_INTERNAL_H
#define CRIC_METRICS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics/metrics.h"

struct metric_series {
        struct metric_family *f;
        char *values[METRIC_MAX_LABELS];
        atomic_uint_fast64_t count;     /* counter: whole increments; histogram: observations */
        atomic_uint_fast64_t bits;      /* a double: gauge value, counter set value, histogram sum */
        atomic_uint_fast64_t buckets[]; /* histogram: per bucket, not cumulative; +Inf last */
};

struct metric_family {
        enum metric_type type;
        char *name, *help;
        char *labels[METRIC_MAX_LABELS];
        size_t n_labels;
        double bounds[METRIC_MAX_BUCKETS];
        size_t n_bounds;
        pthread_mutex_t lock; /* guards series, n_series, cap_series */
        struct metric_series **series;
        size_t n_series, cap_series;
        struct metric_family *next;
};

struct collector {
        metrics_collect_fn fn;
        void *data;
};

struct metrics_registry {
        pthread_mutex_t lock; /* guards the family list and the collectors */
        pthread_mutex_t scrape_lock;
        struct metric_family *first, *last;
        struct collector *collectors;
        size_t n_collectors, cap_collectors;
        char **filter; /* NULL: every family */
};

/* A double kept in an atomic 64-bit word. */
double metric_bits_to_double(uint64_t bits);

#endif
