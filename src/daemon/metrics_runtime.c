/* The gauges read from the runtime's index when metrics are scraped. */
#include <signal.h>
#include <stdlib.h>

#include "daemon/metrics_server.h"
#include "metrics/metrics.h"
#include "runtime/runtime.h"

static const char *const container_states[] = {"created", "running", "exited"};
static const char *const pod_states[] = {"ready", "notready"};

struct runtime_metrics {
        struct runtime *rt;
        struct metric_series *containers[3], *pods[2], *monitors;
};

static void collect(void *data) {
        struct runtime_metrics *m = data;
        struct container_filter cf = {.state = -1};
        struct container_view *cv = NULL;
        size_t n = 0;
        runtime_container_list(m->rt, &cf, &cv, &n);
        unsigned counts[3] = {0}, monitors = 0;
        for (size_t i = 0; i < n; i++) {
                if ((unsigned) cv[i].state < 3)
                        counts[cv[i].state]++;
                /* A monitor lives until its container has exited and it wrote the exit file. */
                pid_t pid = cv[i].info->monitor_pid;
                if (pid > 0 && kill(pid, 0) == 0)
                        monitors++;
        }
        container_views_free(cv, n);
        for (size_t i = 0; i < 3; i++)
                metric_gauge_set(m->containers[i], counts[i]);
        metric_gauge_set(m->monitors, monitors);

        struct pod_filter pf = {.state = -1};
        struct pod_view *pv = NULL;
        runtime_pod_list(m->rt, &pf, &pv, &n);
        unsigned pods[2] = {0};
        for (size_t i = 0; i < n; i++)
                if ((unsigned) pv[i].state < 2)
                        pods[pv[i].state]++;
        pod_views_free(pv, n);
        for (size_t i = 0; i < 2; i++)
                metric_gauge_set(m->pods[i], pods[i]);
}

void metrics_runtime_register(struct metrics_registry *reg, struct runtime *rt) {
        static struct runtime_metrics m; /* one runtime per daemon, as long as the process */
        m.rt = rt;
        struct metric_family *c = metrics_family_new(reg, METRIC_GAUGE, "cric_containers", "Containers by state.",
                                                     (const char *const[]){"state", NULL}, NULL, 0);
        for (size_t i = 0; i < 3; i++)
                m.containers[i] = metric_series_get(c, &container_states[i]);
        struct metric_family *p = metrics_family_new(reg, METRIC_GAUGE, "cric_pods", "Pod sandboxes by state.",
                                                     (const char *const[]){"state", NULL}, NULL, 0);
        for (size_t i = 0; i < 2; i++)
                m.pods[i] = metric_series_get(p, &pod_states[i]);
        m.monitors = metric_series_get(metrics_family_new(reg, METRIC_GAUGE, "cric_monitor_processes",
                                                          "Running cric-monitor processes.", NULL, NULL, 0),
                                       NULL);
        metrics_registry_add_collector(reg, collect, &m);
}
