/* The process_* metrics the Prometheus client libraries export, plus cric_threads, read
 * from /proc/self at scrape time. Private to metrics/. */
#ifndef CRIC_METRICS_PROCESS_H
#define CRIC_METRICS_PROCESS_H

struct metrics_registry;

void metrics_process_register(struct metrics_registry *r);

#endif
