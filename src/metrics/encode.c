/* The Prometheus text exposition format, version 0.0.4: for each family a HELP and a
 * TYPE line, then one line per series (a histogram: its cumulative _bucket lines up to
 * le="+Inf", _sum and _count). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/internal.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

static void *dup_array(const void *p, size_t n, size_t size) {
        void *q = xcalloc(n ? n : 1, size);
        if (n)
                memcpy(q, p, n * size);
        return q;
}

/* Go's shortest round-trip form as the clients write it: integers without a point,
 * +Inf, -Inf, NaN. */
static void put_double(FILE *out, double v) {
        if (isnan(v)) {
                fputs("NaN", out);
                return;
        }
        if (isinf(v)) {
                fputs(v > 0 ? "+Inf" : "-Inf", out);
                return;
        }
        if (v == trunc(v) && fabs(v) < 1e15) {
                fprintf(out, "%.0f", v);
                return;
        }
        char buf[40];
        for (int prec = 15; prec <= 17; prec++) {
                snprintf(buf, sizeof(buf), "%.*g", prec, v);
                if (strtod(buf, NULL) == v)
                        break;
        }
        fputs(buf, out);
}

/* HELP text escapes backslash and newline; label values also the double quote. */
static void put_escaped(FILE *out, const char *s, bool is_label_value) {
        for (; *s; s++) {
                if (*s == '\\')
                        fputs("\\\\", out);
                else if (*s == '\n')
                        fputs("\\n", out);
                else if (*s == '"' && is_label_value)
                        fputs("\\\"", out);
                else
                        fputc(*s, out);
        }
}

/* {name="value",...,le="bound"}; nothing without labels. le: NULL for none. */
static void put_labels(FILE *out, const struct metric_series *s, const char *le) {
        const struct metric_family *f = s->f;
        if (f->n_labels == 0 && !le)
                return;
        fputc('{', out);
        for (size_t i = 0; i < f->n_labels; i++) {
                fprintf(out, "%s%s=\"", i ? "," : "", f->labels[i]);
                put_escaped(out, s->values[i], true);
                fputc('"', out);
        }
        if (le)
                fprintf(out, "%sle=\"%s\"", f->n_labels ? "," : "", le);
        fputc('}', out);
}

static void put_histogram(FILE *out, const struct metric_series *s) {
        const struct metric_family *f = s->f;
        uint64_t cumulative = 0;
        for (size_t i = 0; i <= f->n_bounds; i++) {
                cumulative += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
                char le[40] = "+Inf";
                if (i < f->n_bounds) {
                        FILE *m = fmemopen(le, sizeof(le), "w");
                        put_double(m, f->bounds[i]);
                        fclose(m);
                }
                fprintf(out, "%s_bucket", f->name);
                put_labels(out, s, le);
                fprintf(out, " %llu\n", (unsigned long long) cumulative);
        }
        fprintf(out, "%s_sum", f->name);
        put_labels(out, s, NULL);
        fputc(' ', out);
        put_double(out, metric_hist_sum(s));
        /* The count is the +Inf bucket's, so the two agree even while observations land. */
        fprintf(out, "\n%s_count", f->name);
        put_labels(out, s, NULL);
        fprintf(out, " %llu\n", (unsigned long long) cumulative);
}

static const char *type_name(enum metric_type t) {
        return t == METRIC_COUNTER ? "counter" : t == METRIC_GAUGE ? "gauge" : "histogram";
}

static void put_family(FILE *out, struct metric_family *f) {
        pthread_mutex_lock(&f->lock);
        size_t n = f->n_series;
        struct metric_series **v = dup_array(f->series, n, sizeof(*v));
        pthread_mutex_unlock(&f->lock);
        fprintf(out, "# HELP %s ", f->name);
        put_escaped(out, f->help, false);
        fprintf(out, "\n# TYPE %s %s\n", f->name, type_name(f->type));
        for (size_t i = 0; i < n; i++) {
                if (f->type == METRIC_HISTOGRAM) {
                        put_histogram(out, v[i]);
                        continue;
                }
                fputs(f->name, out);
                put_labels(out, v[i], NULL);
                fputc(' ', out);
                put_double(out, metric_value(v[i]));
                fputc('\n', out);
        }
        free(v);
}

static bool is_served(const struct metrics_registry *r, const struct metric_family *f) {
        if (!r->filter || strv_contains(r->filter, f->name))
                return true;
        return !strncmp(f->name, "cric_", 5) && strv_contains(r->filter, f->name + 5);
}

char *metrics_registry_encode(struct metrics_registry *r, size_t *ret_len) {
        pthread_mutex_lock(&r->scrape_lock);
        pthread_mutex_lock(&r->lock);
        size_t n = r->n_collectors;
        struct collector *c = dup_array(r->collectors, n, sizeof(*c));
        pthread_mutex_unlock(&r->lock);
        for (size_t i = 0; i < n; i++)
                c[i].fn(c[i].data);
        free(c);
        char *buf = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&buf, &len);
        if (!out) {
                log_error("metrics: out of memory");
                abort();
        }
        pthread_mutex_lock(&r->lock);
        for (struct metric_family *f = r->first; f; f = f->next)
                if (is_served(r, f))
                        put_family(out, f);
        pthread_mutex_unlock(&r->lock);
        fclose(out);
        pthread_mutex_unlock(&r->scrape_lock);
        *ret_len = len;
        return buf;
}
