/* The registry: families, their series and the atomic values. */
#include <stdlib.h>
#include <string.h>

#include "metrics/internal.h"
#include "util/strv.h"
#include "util/xalloc.h"

static uint64_t double_to_bits(double v) {
        uint64_t b;
        memcpy(&b, &v, sizeof(b));
        return b;
}

double metric_bits_to_double(uint64_t bits) {
        double v;
        memcpy(&v, &bits, sizeof(v));
        return v;
}

struct metrics_registry *metrics_registry_new(void) {
        struct metrics_registry *r = xzalloc(sizeof(*r));
        pthread_mutex_init(&r->lock, NULL);
        pthread_mutex_init(&r->scrape_lock, NULL);
        return r;
}

static void family_free(struct metric_family *f) {
        for (size_t i = 0; i < f->n_series; i++) {
                for (size_t j = 0; j < f->n_labels; j++)
                        free(f->series[i]->values[j]);
                free(f->series[i]);
        }
        for (size_t j = 0; j < f->n_labels; j++)
                free(f->labels[j]);
        free(f->series);
        free(f->name);
        free(f->help);
        pthread_mutex_destroy(&f->lock);
        free(f);
}

struct metrics_registry *metrics_registry_free(struct metrics_registry *r) {
        if (!r)
                return NULL;
        for (struct metric_family *f = r->first, *next; f; f = next) {
                next = f->next;
                family_free(f);
        }
        free(r->collectors);
        strv_free(r->filter);
        pthread_mutex_destroy(&r->lock);
        pthread_mutex_destroy(&r->scrape_lock);
        free(r);
        return NULL;
}

/* Adds a series (the family's lock held). */
static struct metric_series *series_add(struct metric_family *f, const char *const *values) {
        size_t n_buckets = f->type == METRIC_HISTOGRAM ? f->n_bounds + 1 : 0;
        struct metric_series *s = xzalloc(sizeof(*s) + n_buckets * sizeof(s->buckets[0]));
        s->f = f;
        for (size_t i = 0; i < f->n_labels; i++)
                s->values[i] = xstrdup(values && values[i] ? values[i] : "");
        atomic_init(&s->count, 0);
        atomic_init(&s->bits, double_to_bits(0));
        for (size_t i = 0; i < n_buckets; i++)
                atomic_init(&s->buckets[i], 0);
        f->series = xgrow(f->series, &f->cap_series, f->n_series + 1, sizeof(*f->series));
        f->series[f->n_series++] = s;
        return s;
}

struct metric_family *metrics_family_new(struct metrics_registry *r, enum metric_type type, const char *name,
                                         const char *help, const char *const *label_names, const double *buckets,
                                         size_t n_buckets) {
        struct metric_family *f = xzalloc(sizeof(*f));
        f->type = type;
        f->name = xstrdup(name);
        f->help = xstrdup(help ? help : "");
        for (size_t i = 0; label_names && label_names[i] && i < METRIC_MAX_LABELS; i++)
                f->labels[f->n_labels++] = xstrdup(label_names[i]);
        if (type == METRIC_HISTOGRAM) {
                f->n_bounds = n_buckets < METRIC_MAX_BUCKETS ? n_buckets : METRIC_MAX_BUCKETS;
                memcpy(f->bounds, buckets, f->n_bounds * sizeof(double));
        }
        pthread_mutex_init(&f->lock, NULL);
        if (f->n_labels == 0) /* shown from the start, at 0 */
                series_add(f, NULL);
        pthread_mutex_lock(&r->lock);
        if (r->last)
                r->last->next = f;
        else
                r->first = f;
        r->last = f;
        pthread_mutex_unlock(&r->lock);
        return f;
}

static bool series_matches(const struct metric_series *s, const char *const *values) {
        for (size_t i = 0; i < s->f->n_labels; i++)
                if (strcmp(s->values[i], values && values[i] ? values[i] : ""))
                        return false;
        return true;
}

struct metric_series *metric_series_get(struct metric_family *f, const char *const *label_values) {
        pthread_mutex_lock(&f->lock);
        struct metric_series *s = NULL;
        for (size_t i = 0; i < f->n_series && !s; i++)
                if (series_matches(f->series[i], label_values))
                        s = f->series[i];
        if (!s)
                s = series_add(f, label_values);
        pthread_mutex_unlock(&f->lock);
        return s;
}

static void add_double(atomic_uint_fast64_t *bits, double v) {
        uint64_t old = atomic_load_explicit(bits, memory_order_relaxed);
        while (!atomic_compare_exchange_weak_explicit(bits, &old, double_to_bits(metric_bits_to_double(old) + v),
                                                      memory_order_relaxed, memory_order_relaxed))
                ;
}

void metric_counter_add(struct metric_series *s, uint64_t n) {
        atomic_fetch_add_explicit(&s->count, n, memory_order_relaxed);
}

void metric_counter_set(struct metric_series *s, double v) {
        atomic_store_explicit(&s->count, 0, memory_order_relaxed);
        atomic_store_explicit(&s->bits, double_to_bits(v), memory_order_relaxed);
}

void metric_gauge_set(struct metric_series *s, double v) {
        atomic_store_explicit(&s->bits, double_to_bits(v), memory_order_relaxed);
}

void metric_observe(struct metric_series *s, double v) {
        const struct metric_family *f = s->f;
        size_t i = 0;
        while (i < f->n_bounds && !(v <= f->bounds[i]))
                i++;
        atomic_fetch_add_explicit(&s->buckets[i], 1, memory_order_relaxed);
        add_double(&s->bits, v);
        /* Last: a scrape that sees the count sees the bucket too (it reads count first). */
        atomic_fetch_add_explicit(&s->count, 1, memory_order_release);
}

double metric_value(const struct metric_series *s) {
        uint64_t n = atomic_load_explicit(&s->count, memory_order_relaxed);
        return (double) n + metric_bits_to_double(atomic_load_explicit(&s->bits, memory_order_relaxed));
}

uint64_t metric_hist_count(const struct metric_series *s) {
        return atomic_load_explicit(&s->count, memory_order_acquire);
}

double metric_hist_sum(const struct metric_series *s) {
        return metric_bits_to_double(atomic_load_explicit(&s->bits, memory_order_relaxed));
}

void metrics_registry_add_collector(struct metrics_registry *r, metrics_collect_fn fn, void *data) {
        pthread_mutex_lock(&r->lock);
        r->collectors = xgrow(r->collectors, &r->cap_collectors, r->n_collectors + 1, sizeof(*r->collectors));
        r->collectors[r->n_collectors++] = (struct collector){fn, data};
        pthread_mutex_unlock(&r->lock);
}

void metrics_registry_set_filter(struct metrics_registry *r, char *const *names) {
        pthread_mutex_lock(&r->lock);
        strv_free(r->filter);
        r->filter = names && names[0] ? strv_copy(names) : NULL;
        pthread_mutex_unlock(&r->lock);
}
