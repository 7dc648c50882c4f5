/* server/metrics.c: the descriptors and the metrics built from usage samples, checked
 * the way the kubelet consumes them (a descriptor per name, label values in the order
 * of the descriptor's keys), and values left out when a sample lacks them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "network/netns.h"
#include "server/metrics.h"

struct fx {
        struct rpc_ctx ctx;
        struct pod_info pod;
        struct container_info ctr;
        struct container_stats cs;
        struct netns_link_stats link;
        struct pod_stats ps;
        Runtime__V1__MetricDescriptor **descs;
        size_t n_descs;
};

/* A sample where the host provides everything. */
static const struct cgroup_stats full_sample = {
        .has_cpu = true,
        .cpu_usage_core_ns = 7500000000ull,
        .has_cpu_split = true,
        .cpu_user_ns = 5200000000ull,
        .cpu_system_ns = 2300000000ull,
        .has_cfs = true,
        .cfs_periods = 100,
        .cfs_throttled_periods = 7,
        .cfs_throttled_ns = 3900000000ull,
        .has_memory_usage = true,
        .memory_usage_bytes = 50 << 20,
        .has_working_set = true,
        .memory_working_set_bytes = 40 << 20,
        .has_rss = true,
        .memory_rss_bytes = 30 << 20,
        .has_cache = true,
        .memory_cache_bytes = 20 << 20,
        .has_max_usage = true,
        .memory_max_usage_bytes = 60 << 20,
        .has_page_faults = true,
        .page_faults = 1234,
        .major_page_faults = 5,
        .has_memory_limit = true,
        .memory_limit_bytes = 128 << 20,
        .has_oom_kills = true,
        .oom_kills = 2,
        .has_swap = true,
        .swap_usage_bytes = 4096,
        .has_tasks = true,
        .processes = 3,
        .threads = 9,
        .has_fds = true,
        .file_descriptors = 17,
        .has_cpu_shares = true,
        .cpu_shares = 512,
        .has_cpu_period = true,
        .cpu_period_us = 100000,
        .has_cpu_quota = true,
        .cpu_quota_us = 50000,
};

static int setup(void **state) {
        static struct fx f;
        memset(&f, 0, sizeof(f));
        f.ctx.arena = rpc_arena_new();
        f.pod = (struct pod_info){
                .id = "pod1", .name = "web", .namespace = "default", .uid = "u1", .created_ns = 1700000000123456789};
        f.ctr = (struct container_info){.id = "ctr1", .pod_id = "pod1", .name = "app", .image = "busybox:1"};
        f.cs.view.info = &f.ctr;
        f.cs.view.started_ns = 1700000100000000000;
        f.cs.usage = (struct runtime_usage){.timestamp_ns = 1700000200000000000,
                                            .has_cgroup = true,
                                            .cgroup = full_sample,
                                            .has_fs = true,
                                            .fs_bytes = 8192,
                                            .fs_mountpoint = "/var/lib/cric/upper",
                                            .has_fs_capacity = true,
                                            .fs_capacity_bytes = 1 << 30,
                                            .fs_inodes_total = 65536,
                                            .fs_inodes_free = 60000};
        f.link = (struct netns_link_stats){.name = "eth0",
                                           .rx_bytes = 1000,
                                           .rx_packets = 10,
                                           .tx_bytes = 2000,
                                           .tx_packets = 20,
                                           .rx_dropped = 1,
                                           .tx_errors = 2};
        f.ps.view.info = &f.pod;
        f.ps.usage =
                (struct runtime_usage){.timestamp_ns = 1700000200000000000, .has_cgroup = true, .cgroup = full_sample};
        f.ps.containers = &f.cs;
        f.ps.n_containers = 1;
        f.ps.has_network = true;
        f.ps.links = &f.link;
        f.ps.n_links = 1;
        f.descs = metrics_descriptors(&f.ctx, &f.n_descs);
        *state = &f;
        return 0;
}

static int teardown(void **state) {
        struct fx *f = *state;
        rpc_arena_free(f->ctx.arena);
        return 0;
}

static const Runtime__V1__MetricDescriptor *desc_of(struct fx *f, const char *name) {
        for (size_t i = 0; i < f->n_descs; i++)
                if (!strcmp(f->descs[i]->name, name))
                        return f->descs[i];
        return NULL;
}

/* The value of label key of m, through its descriptor. */
static const char *label(struct fx *f, const Runtime__V1__Metric *m, const char *key) {
        const Runtime__V1__MetricDescriptor *d = desc_of(f, m->name);
        for (size_t i = 0; d && i < d->n_label_keys; i++)
                if (!strcmp(d->label_keys[i], key))
                        return m->label_values[i];
        return NULL;
}

/* Every metric has a descriptor and one label value per key; returns how many of the
 * descriptors' names occur among them (each counted once). */
static size_t check_metrics(struct fx *f, Runtime__V1__Metric **ms, size_t n, bool *seen) {
        size_t distinct = 0;
        for (size_t i = 0; i < n; i++) {
                const Runtime__V1__MetricDescriptor *d = desc_of(f, ms[i]->name);
                if (!d)
                        fail_msg("metric %s has no descriptor", ms[i]->name);
                assert_int_equal(ms[i]->n_label_values, d->n_label_keys);
                for (size_t k = 0; k < ms[i]->n_label_values; k++)
                        assert_non_null(ms[i]->label_values[k]);
                assert_non_null(ms[i]->value);
                size_t at = 0;
                while (f->descs[at] != d)
                        at++;
                if (!seen[at]) {
                        seen[at] = true;
                        distinct++;
                }
        }
        return distinct;
}

static const Runtime__V1__Metric *find(Runtime__V1__Metric **ms, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (!strcmp(ms[i]->name, name))
                        return ms[i];
        return NULL;
}

static void test_descriptors_unique(void **state) {
        struct fx *f = *state;
        assert_true(f->n_descs >= 30);
        for (size_t i = 0; i < f->n_descs; i++) {
                assert_true(f->descs[i]->help && *f->descs[i]->help);
                assert_true(f->descs[i]->n_label_keys >= 6);
                assert_string_equal(f->descs[i]->label_keys[0], "container");
                for (size_t j = i + 1; j < f->n_descs; j++)
                        assert_string_not_equal(f->descs[i]->name, f->descs[j]->name);
        }
}

static void test_every_descriptor_used_with_a_full_sample(void **state) {
        struct fx *f = *state;
        Runtime__V1__PodSandboxMetrics *pm = metrics_of_pod(&f->ctx, &f->ps);
        assert_string_equal(pm->pod_sandbox_id, "pod1");
        assert_int_equal(pm->n_container_metrics, 1);
        bool seen[64] = {false};
        assert_true(f->n_descs <= 64);
        size_t n = check_metrics(f, pm->metrics, pm->n_metrics, seen);
        Runtime__V1__ContainerMetrics *cm = pm->container_metrics[0];
        n += check_metrics(f, cm->metrics, cm->n_metrics, seen);
        for (size_t i = 0; i < f->n_descs; i++)
                if (!seen[i])
                        fail_msg("descriptor %s: no metric from a full sample", f->descs[i]->name);
        assert_int_equal(n, f->n_descs);
}

static void test_labels_follow_the_keys(void **state) {
        struct fx *f = *state;
        Runtime__V1__PodSandboxMetrics *pm = metrics_of_pod(&f->ctx, &f->ps);
        Runtime__V1__ContainerMetrics *cm = pm->container_metrics[0];
        const Runtime__V1__Metric *m = find(cm->metrics, cm->n_metrics, "container_memory_rss");
        assert_non_null(m);
        assert_string_equal(label(f, m, "container"), "app");
        assert_string_equal(label(f, m, "id"), "ctr1");
        assert_string_equal(label(f, m, "image"), "busybox:1");
        assert_string_equal(label(f, m, "name"), "k8s_app_web_default_u1_0");
        assert_string_equal(label(f, m, "namespace"), "default");
        assert_string_equal(label(f, m, "pod"), "web");
        assert_int_equal(m->value->value, 30 << 20);
        assert_int_equal(m->metric_type, RUNTIME__V1__METRIC_TYPE__GAUGE);
        /* pod level: no container or image */
        m = find(pm->metrics, pm->n_metrics, "container_network_receive_packets_dropped_total");
        assert_non_null(m);
        assert_string_equal(label(f, m, "interface"), "eth0");
        assert_string_equal(label(f, m, "container"), "");
        assert_string_equal(label(f, m, "image"), "");
        assert_string_equal(label(f, m, "id"), "pod1");
        assert_int_equal(m->value->value, 1);
        assert_int_equal(m->metric_type, RUNTIME__V1__METRIC_TYPE__COUNTER);
        /* whole seconds, rounded down */
        m = find(cm->metrics, cm->n_metrics, "container_cpu_usage_seconds_total");
        assert_string_equal(label(f, m, "cpu"), "total");
        assert_int_equal(m->value->value, 7);
        m = find(cm->metrics, cm->n_metrics, "container_cpu_cfs_throttled_seconds_total");
        assert_int_equal(m->value->value, 3);
        m = find(cm->metrics, cm->n_metrics, "container_start_time_seconds");
        assert_int_equal(m->value->value, 1700000100);
        m = find(pm->metrics, pm->n_metrics, "container_start_time_seconds");
        assert_int_equal(m->value->value, 1700000000);
        m = find(cm->metrics, cm->n_metrics, "container_fs_usage_bytes");
        assert_string_equal(label(f, m, "device"), "/var/lib/cric/upper");
        assert_int_equal(m->value->value, 8192);
        /* the four fault counters, each type in each scope */
        size_t faults = 0;
        for (size_t i = 0; i < cm->n_metrics; i++) {
                if (strcmp(cm->metrics[i]->name, "container_memory_failures_total"))
                        continue;
                faults++;
                const char *type = label(f, cm->metrics[i], "failure_type");
                assert_true(!strcmp(type, "pgfault") || !strcmp(type, "pgmajfault"));
                assert_int_equal(cm->metrics[i]->value->value, !strcmp(type, "pgfault") ? 1234 : 5);
        }
        assert_int_equal(faults, 4);
}

static void test_missing_values_are_left_out(void **state) {
        struct fx *f = *state;
        f->cs.usage.cgroup = (struct cgroup_stats){.has_memory_usage = true, .memory_usage_bytes = 4096};
        f->cs.usage.has_fs = false;
        f->cs.view.started_ns = 0;
        f->ps.has_network = false;
        Runtime__V1__PodSandboxMetrics *pm = metrics_of_pod(&f->ctx, &f->ps);
        Runtime__V1__ContainerMetrics *cm = pm->container_metrics[0];
        assert_non_null(find(cm->metrics, cm->n_metrics, "container_memory_usage_bytes"));
        assert_non_null(find(cm->metrics, cm->n_metrics, "container_last_seen"));
        /* unlimited memory is 0, as cAdvisor reports it */
        assert_int_equal(find(cm->metrics, cm->n_metrics, "container_spec_memory_limit_bytes")->value->value, 0);
        assert_int_equal(cm->n_metrics, 3);
        assert_null(find(pm->metrics, pm->n_metrics, "container_network_receive_bytes_total"));
        f->cs.usage.has_cgroup = false;
        pm = metrics_of_pod(&f->ctx, &f->ps);
        assert_int_equal(pm->container_metrics[0]->n_metrics, 1); /* last seen only */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_descriptors_unique, setup, teardown),
                cmocka_unit_test_setup_teardown(test_every_descriptor_used_with_a_full_sample, setup, teardown),
                cmocka_unit_test_setup_teardown(test_labels_follow_the_keys, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing_values_are_left_out, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
