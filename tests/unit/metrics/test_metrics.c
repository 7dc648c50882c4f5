/* The metrics registry and its text exposition: escaping, HELP/TYPE lines, cumulative
 * histogram buckets with +Inf, _sum and _count, counters from many threads, and the
 * hooks being inert while metrics are off. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics.h"

#define LABELS(...) ((const char *const[]){__VA_ARGS__, NULL})

static char *encode(struct metrics_registry *r) {
        size_t len;
        char *s = metrics_registry_encode(r, &len);
        assert_int_equal(strlen(s), len);
        return s;
}

/* Fails unless line is one whole line of text. */
static void assert_line(const char *text, const char *line) {
        size_t n = strlen(line);
        for (const char *p = text; (p = strstr(p, line)); p++)
                if ((p == text || p[-1] == '\n') && p[n] == '\n')
                        return;
        fail_msg("no line \"%s\" in:\n%s", line, text);
}

static void test_counter_and_gauge(void **state) {
        (void) state;
        struct metrics_registry *r = metrics_registry_new();
        struct metric_family *c = metrics_family_new(r, METRIC_COUNTER, "x_total", "Things.", NULL, NULL, 0);
        struct metric_family *g = metrics_family_new(r, METRIC_GAUGE, "y", "Level.", LABELS("kind", "zone"), NULL, 0);
        char *s = encode(r);
        assert_line(s, "# HELP x_total Things.");
        assert_line(s, "# TYPE x_total counter");
        assert_line(s, "x_total 0"); /* a family without labels shows from the start */
        assert_line(s, "# TYPE y gauge");
        assert_null(strstr(s, "y{")); /* one with labels once a series exists */
        free(s);

        metric_counter_add(metric_series_get(c, NULL), 3);
        metric_counter_add(metric_series_get(c, NULL), 4);
        metric_gauge_set(metric_series_get(g, LABELS("a", "b")), 2.5);
        metric_gauge_set(metric_series_get(g, LABELS("a", NULL)), -1);
        assert_ptr_equal(metric_series_get(g, LABELS("a", "b")), metric_series_get(g, LABELS("a", "b")));
        s = encode(r);
        assert_line(s, "x_total 7");
        assert_line(s, "y{kind=\"a\",zone=\"b\"} 2.5");
        assert_line(s, "y{kind=\"a\",zone=\"\"} -1");
        free(s);
        metrics_registry_free(r);
}

static void test_escaping(void **state) {
        (void) state;
        struct metrics_registry *r = metrics_registry_new();
        struct metric_family *g =
                metrics_family_new(r, METRIC_GAUGE, "e", "Back\\slash and\nnewline \"quoted\".", LABELS("v"), NULL, 0);
        metric_gauge_set(metric_series_get(g, LABELS("a\\b\"c\nd")), 1);
        char *s = encode(r);
        /* HELP escapes backslash and newline only; label values the quote too */
        assert_line(s, "# HELP e Back\\\\slash and\\nnewline \"quoted\".");
        assert_line(s, "e{v=\"a\\\\b\\\"c\\nd\"} 1");
        free(s);
        metrics_registry_free(r);
}

static void test_histogram(void **state) {
        (void) state;
        struct metrics_registry *r = metrics_registry_new();
        static const double b[] = {0.1, 1, 10};
        struct metric_family *h =
                metrics_family_new(r, METRIC_HISTOGRAM, "lat_seconds", "Latency.", LABELS("op"), b, 3);
        struct metric_series *s1 = metric_series_get(h, LABELS("get"));
        const double values[] = {0.05, 0.1, 0.5, 2, 20, 30};
        for (size_t i = 0; i < 6; i++)
                metric_observe(s1, values[i]);
        assert_int_equal(metric_hist_count(s1), 6);
        assert_true(metric_hist_sum(s1) > 52.64 && metric_hist_sum(s1) < 52.66);
        char *s = encode(r);
        assert_line(s, "# TYPE lat_seconds histogram");
        assert_line(s, "lat_seconds_bucket{op=\"get\",le=\"0.1\"} 2"); /* le is inclusive */
        assert_line(s, "lat_seconds_bucket{op=\"get\",le=\"1\"} 3");
        assert_line(s, "lat_seconds_bucket{op=\"get\",le=\"10\"} 4");
        assert_line(s, "lat_seconds_bucket{op=\"get\",le=\"+Inf\"} 6");
        assert_line(s, "lat_seconds_sum{op=\"get\"} 52.65");
        assert_line(s, "lat_seconds_count{op=\"get\"} 6");
        free(s);
        metrics_registry_free(r);
}

static void test_histogram_without_labels(void **state) {
        (void) state;
        struct metrics_registry *r = metrics_registry_new();
        static const double b[] = {0.25};
        metrics_family_new(r, METRIC_HISTOGRAM, "h", "H.", NULL, b, 1);
        char *s = encode(r);
        assert_line(s, "h_bucket{le=\"0.25\"} 0");
        assert_line(s, "h_bucket{le=\"+Inf\"} 0");
        assert_line(s, "h_sum 0");
        assert_line(s, "h_count 0");
        free(s);
        metrics_registry_free(r);
}

static void test_filter(void **state) {
        (void) state;
        struct metrics_registry *r = metrics_registry_new();
        metrics_family_new(r, METRIC_COUNTER, "cric_a_total", "A.", NULL, NULL, 0);
        metrics_family_new(r, METRIC_GAUGE, "cric_b", "B.", NULL, NULL, 0);
        metrics_family_new(r, METRIC_GAUGE, "process_c", "C.", NULL, NULL, 0);
        char *names[] = {"a_total", "process_c", NULL};
        metrics_registry_set_filter(r, names);
        char *s = encode(r);
        assert_line(s, "cric_a_total 0");
        assert_line(s, "process_c 0");
        assert_null(strstr(s, "cric_b"));
        free(s);
        char *none[] = {NULL};
        metrics_registry_set_filter(r, none);
        s = encode(r);
        assert_line(s, "cric_b 0");
        free(s);
        metrics_registry_free(r);
}

static void collect(void *data) {
        struct metric_series *s = data;
        metric_gauge_set(s, metric_value(s) + 1);
}

static void test_collector_runs_at_each_encoding(void **state) {
        (void) state;
        struct metrics_registry *r = metrics_registry_new();
        struct metric_series *s =
                metric_series_get(metrics_family_new(r, METRIC_GAUGE, "scrapes", "Scrapes.", NULL, NULL, 0), NULL);
        metrics_registry_add_collector(r, collect, s);
        free(encode(r));
        char *text = encode(r);
        assert_line(text, "scrapes 2");
        free(text);
        metrics_registry_free(r);
}

#define N_THREADS 4
#define N_ADDS    100000

struct families {
        struct metric_family *counter, *histogram;
};

static void *adder(void *arg) {
        struct families *f = arg;
        struct metric_series *h = metric_series_get(f->histogram, NULL);
        for (int i = 0; i < N_ADDS; i++) {
                metric_counter_add(metric_series_get(f->counter, LABELS(i % 2 ? "odd" : "even")), 1);
                metric_observe(h, 0.5);
        }
        return NULL;
}

static void test_counters_from_threads(void **state) {
        (void) state;
        struct metrics_registry *r = metrics_registry_new();
        static const double b[] = {1};
        struct families fam = {
                metrics_family_new(r, METRIC_COUNTER, "n_total", "N.", LABELS("parity"), NULL, 0),
                metrics_family_new(r, METRIC_HISTOGRAM, "h", "H.", NULL, b, 1),
        };
        struct metric_family *f = fam.counter;
        pthread_t t[N_THREADS];
        for (int i = 0; i < N_THREADS; i++)
                pthread_create(&t[i], NULL, adder, &fam);
        for (int i = 0; i < N_THREADS; i++)
                pthread_join(t[i], NULL);
        assert_int_equal((uint64_t) metric_value(metric_series_get(f, LABELS("even"))), N_THREADS * N_ADDS / 2);
        assert_int_equal((uint64_t) metric_value(metric_series_get(f, LABELS("odd"))), N_THREADS * N_ADDS / 2);
        struct metric_series *h = metric_series_get(fam.histogram, NULL);
        assert_int_equal(metric_hist_count(h), N_THREADS * N_ADDS);
        assert_true(metric_hist_sum(h) == 0.5 * N_THREADS * N_ADDS); /* halves add up exactly */
        metrics_registry_free(r);
}

static void test_hooks_off_and_on(void **state) {
        (void) state;
        /* Off: the hooks record nothing and there is no registry. */
        metrics_rpc_done(0, "Version", 0, 0.001);
        metrics_oom_kill();
        assert_null(metrics_registry());
        metrics_enable();
        metrics_rpc_done(3, "Version", 0, 0.001);
        metrics_rpc_done(3, "Version", 0, 0.002);
        metrics_rpc_done(5, "ContainerStatus", 5, 0.5);
        metrics_rpc_done(100000, "Whatever", 99, 1);
        metrics_image_pull_bytes(1000);
        struct cric_error e = {.kind = CRIC_E_NOT_FOUND, .msg = (char *) "gone"};
        metrics_image_pull_done(false, &e, 0.2);
        metrics_image_pull_done(false, NULL, 0.2);
        metrics_image_pull_done(true, NULL, 3);
        metrics_cni_done("add", "net", "bridge", true, 0.01);
        metrics_oom_kill();
        char *s = encode(metrics_registry());
        assert_line(s, "cric_operations_total{operation=\"Version\",code=\"OK\"} 2");
        assert_line(s, "cric_operations_latency_seconds_count{operation=\"Version\",code=\"OK\"} 2");
        assert_line(s, "cric_operations_total{operation=\"ContainerStatus\",code=\"NOT_FOUND\"} 1");
        assert_line(s, "cric_operations_errors_total{operation=\"ContainerStatus\",code=\"NOT_FOUND\"} 1");
        assert_line(s, "cric_operations_total{operation=\"unknown\",code=\"UNKNOWN\"} 1");
        assert_null(strstr(s, "cric_operations_errors_total{operation=\"Version\""));
        assert_line(s, "cric_image_pulls_bytes_total 1000");
        assert_line(s, "cric_image_pulls_success_total 1");
        assert_line(s, "cric_image_pulls_failure_total{error=\"not_found\"} 1");
        assert_line(s, "cric_image_pulls_failure_total{error=\"other\"} 1");
        assert_line(s, "cric_image_pulls_duration_seconds_count{outcome=\"failure\"} 2");
        assert_line(s, "cric_cni_operations_latency_seconds_count{operation=\"add\",network=\"net\",plugin=\"bridge\","
                       "outcome=\"success\"} 1");
        assert_line(s, "cric_containers_oom_total 1");
        assert_line(s, "# TYPE process_open_fds gauge");
        assert_line(s, "# TYPE process_cpu_seconds_total counter");
        assert_non_null(strstr(s, "\nprocess_resident_memory_bytes "));
        assert_non_null(strstr(s, "\ncric_threads "));
        free(s);
}

static void test_failure_reasons(void **state) {
        (void) state;
        struct {
                enum cric_error_kind kind;
                const char *reason;
        } cases[] = {
                {CRIC_E_NOT_FOUND, "not_found"}, {CRIC_E_PERMISSION, "unauthorized"}, {CRIC_E_UNAVAILABLE, "network"},
                {CRIC_E_TIMEOUT, "network"},     {CRIC_E_INVALID, "invalid"},         {CRIC_E_INTERNAL, "other"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct cric_error e = {.kind = cases[i].kind};
                assert_string_equal(metrics_pull_failure_reason(&e), cases[i].reason);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_counter_and_gauge),
                cmocka_unit_test(test_escaping),
                cmocka_unit_test(test_histogram),
                cmocka_unit_test(test_histogram_without_labels),
                cmocka_unit_test(test_filter),
                cmocka_unit_test(test_collector_runs_at_each_encoding),
                cmocka_unit_test(test_counters_from_threads),
                cmocka_unit_test(test_hooks_off_and_on),
                cmocka_unit_test(test_failure_reasons),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
