/* Stats commands: stats (containers) and statsp (pods).
 *
 * As crictl: JSON and YAML print one sample as it comes; the table takes two samples
 * --seconds apart, since CPU % is the CPU time used between them over the time
 * between them. Sorted by id. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cri.pb-c.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

#define RUNTIME_SERVICE "/runtime.v1.RuntimeService/"
#define N_FLAGS(f)      (sizeof(f) / sizeof((f)[0]))
#define STATS_JSON      (CLI_JSON_CRICTL | CLI_JSON_INT64_STRINGS)

#define OUTPUTS_ALL                                                                                                    \
        (CLI_OUTPUT_BIT(CLI_OUTPUT_TABLE) | CLI_OUTPUT_BIT(CLI_OUTPUT_JSON) | CLI_OUTPUT_BIT(CLI_OUTPUT_YAML))

typedef Runtime__V1__ContainerStats ContainerStats;
typedef Runtime__V1__PodSandboxStats PodStats;

struct stats_opts {
        const char *id, *pod, *output;
        const char *one_id; /* the positional ID: ContainerStats for it alone */
        struct cli_string_list labels;
        int64_t seconds;
        bool is_all, is_help;
};

/* One sample: the response owns the stats that v lists, sorted by id. */
struct sample {
        ProtobufCMessage *msg;
        void **v;
        size_t n;
};

static void sample_clear(struct sample *s) {
        if (s->msg)
                protobuf_c_message_free_unpacked(s->msg, NULL);
        free(s->v);
        *s = (struct sample){0};
}

static void sleep_seconds(int64_t secs) {
        struct timespec t = {.tv_sec = secs > 0 ? (time_t) secs : 0};
        while (nanosleep(&t, &t) < 0)
                ;
}

/* What differs between `stats` and `statsp`. */
struct stats_kind {
        int (*sample)(struct cli *cli, const struct stats_opts *o, struct sample *ret, struct cric_error **err);
        json_object *(*to_json)(const struct sample *s);
        int (*print_table)(const struct stats_opts *o, const struct sample *old, const struct sample *cur,
                           struct cric_error **err);
};

/* JSON/YAML: one sample. The table: two samples o->seconds apart (CPU % is a rate). */
static int stats_show(struct cli *cli, const struct stats_opts *o, enum cli_output fmt, const struct stats_kind *k,
                      struct cric_error **err) {
        struct sample old = {0}, cur = {0};
        int r = k->sample(cli, o, &old, err);
        if (r >= 0 && fmt != CLI_OUTPUT_TABLE) {
                AUTOJSON json_object *doc = k->to_json(&old);
                cli_print_json_as(stdout, doc, fmt);
                sample_clear(&old);
                return 0;
        }
        if (r >= 0) {
                sleep_seconds(o->seconds);
                r = k->sample(cli, o, &cur, err);
        }
        if (r >= 0)
                r = k->print_table(o, &old, &cur, err);
        sample_clear(&old);
        sample_clear(&cur);
        return r;
}

/* crictl's CPU %: the CPU time used between two samples over the time between them. */
static int cpu_percent(uint64_t cpu, int64_t ts, uint64_t old_cpu, int64_t old_ts, double *ret,
                       struct cric_error **err) {
        *ret = 0;
        if (cpu == 0) /* only running ones have a rate */
                return 0;
        if (ts == old_ts)
                return cric_error_set(err, CRIC_E_INTERNAL, "cpu stat is not updated during sample");
        *ret = cpu > old_cpu ? (double) (cpu - old_cpu) / (double) (ts - old_ts) * 100 : 0;
        return 0;
}

static uint64_t u64(const Runtime__V1__UInt64Value *v) {
        return v ? v->value : 0;
}

/* ---- stats ---- */

static const char *ctr_stats_id(const ContainerStats *s) {
        return s->attributes ? s->attributes->id : "";
}

static void sort_by_id(void **v, size_t n, const char *(*id_of)(const void *) ) {
        for (size_t i = 1; i < n; i++) { /* insertion sort: stable */
                void *x = v[i];
                size_t j = i;
                for (; j > 0 && strcmp(id_of(x), id_of(v[j - 1])) < 0; j--)
                        v[j] = v[j - 1];
                v[j] = x;
        }
}

static const char *ctr_id_of(const void *p) {
        return ctr_stats_id(p);
}

static int container_stats_sample(struct cli *cli, const struct stats_opts *o, struct sample *ret,
                                  struct cric_error **err) {
        struct sample s = {0};
        if (o->one_id) {
                Runtime__V1__ContainerStatsRequest req = RUNTIME__V1__CONTAINER_STATS_REQUEST__INIT;
                req.container_id = (char *) o->one_id;
                if (cli_call(cli, RUNTIME_SERVICE "ContainerStats", &req.base,
                             &runtime__v1__container_stats_response__descriptor, &s.msg, err) < 0)
                        return -1;
                const Runtime__V1__ContainerStatsResponse *r = (const Runtime__V1__ContainerStatsResponse *) s.msg;
                s.v = xcalloc(1, sizeof(*s.v));
                if (r->stats)
                        s.v[s.n++] = r->stats;
        } else {
                Runtime__V1__ContainerStatsFilter filter = RUNTIME__V1__CONTAINER_STATS_FILTER__INIT;
                filter.id = (char *) (o->id ? o->id : "");
                filter.pod_sandbox_id = (char *) (o->pod ? o->pod : "");
                if (cli_labels_to_entries(
                            &o->labels, &runtime__v1__container_stats_filter__label_selector_entry__descriptor,
                            (ProtobufCMessage ***) &filter.label_selector, &filter.n_label_selector, err) < 0)
                        return -1;
                Runtime__V1__ListContainerStatsRequest req = RUNTIME__V1__LIST_CONTAINER_STATS_REQUEST__INIT;
                req.filter = &filter;
                int r = cli_call_list(cli, RUNTIME_SERVICE "ListContainerStats", RUNTIME_SERVICE "StreamContainerStats",
                                      &req.base, &runtime__v1__list_container_stats_response__descriptor, &s.msg, err);
                cli_entries_free((ProtobufCMessage **) filter.label_selector, filter.n_label_selector);
                if (r < 0)
                        return -1;
                const Runtime__V1__ListContainerStatsResponse *lr =
                        (const Runtime__V1__ListContainerStatsResponse *) s.msg;
                s.v = xcalloc(lr->n_stats + 1, sizeof(*s.v));
                for (size_t i = 0; i < lr->n_stats; i++)
                        s.v[s.n++] = lr->stats[i];
        }
        sort_by_id(s.v, s.n, ctr_id_of);
        *ret = s;
        return 0;
}

static const ContainerStats *find_ctr(const struct sample *s, const char *id) {
        for (size_t i = 0; i < s->n; i++)
                if (!strcmp(ctr_stats_id(s->v[i]), id))
                        return s->v[i];
        return NULL;
}

static int stats_print_table(const struct stats_opts *o, const struct sample *old, const struct sample *cur,
                             struct cric_error **err) {
        CLEANUP(cli_table_freep) struct cli_table *t = cli_table_new(20, 3); /* crictl's tabwriter settings */
        cli_table_add_row(t, "CONTAINER", "NAME", "CPU %", "MEM", "DISK", "INODES", NULL);
        for (size_t i = 0; i < cur->n; i++) {
                const ContainerStats *s = cur->v[i];
                uint64_t cpu = s->cpu ? u64(s->cpu->usage_core_nano_seconds) : 0;
                uint64_t mem = s->memory ? u64(s->memory->working_set_bytes) : 0;
                uint64_t disk = s->writable_layer ? u64(s->writable_layer->used_bytes) : 0;
                uint64_t inodes = s->writable_layer ? u64(s->writable_layer->inodes_used) : 0;
                if (!o->is_all && cpu == 0 && mem == 0) /* not running */
                        continue;
                const ContainerStats *prev = find_ctr(old, ctr_stats_id(s));
                if (!prev) /* new since the first sample */
                        continue;
                double perc;
                if (cpu_percent(cpu, s->cpu ? s->cpu->timestamp : 0,
                                prev->cpu ? u64(prev->cpu->usage_core_nano_seconds) : 0,
                                prev->cpu ? prev->cpu->timestamp : 0, &perc, err) < 0)
                        return -1;
                char id[CLI_TRUNC_ID_LEN + 1], cpu_cell[32], mem_cell[32], disk_cell[32], inodes_cell[32];
                cli_truncated_id(id, ctr_stats_id(s), NULL);
                snprintf(cpu_cell, sizeof(cpu_cell), "%.2f", perc);
                cli_human_size(mem_cell, sizeof(mem_cell), (double) mem, 4);
                cli_human_size(disk_cell, sizeof(disk_cell), (double) disk, 4);
                snprintf(inodes_cell, sizeof(inodes_cell), "%llu", (unsigned long long) inodes);
                cli_table_add_row(t, id, s->attributes && s->attributes->metadata ? s->attributes->metadata->name : "",
                                  cpu_cell, mem_cell, disk_cell, inodes_cell, NULL);
        }
        cli_table_print(t, stdout);
        return 0;
}

static json_object *container_stats_json(const struct sample *s) {
        Runtime__V1__ListContainerStatsResponse shown = RUNTIME__V1__LIST_CONTAINER_STATS_RESPONSE__INIT;
        shown.stats = (ContainerStats **) s->v;
        shown.n_stats = s->n;
        return cli_proto_to_json(&shown.base, STATS_JSON);
}

static const struct stats_kind container_kind = {container_stats_sample, container_stats_json, stats_print_table};

int cmd_stats(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        struct stats_opts o = {.seconds = 1};
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &o.is_help, NULL, "show help"},
                {"all", 'a', CLI_FLAG_BOOL, &o.is_all, NULL, "Show all containers (default shows just running)"},
                {"id", 0, CLI_FLAG_STRING, &o.id, "ID", "Filter by container id"},
                {"pod", 'p', CLI_FLAG_STRING, &o.pod, "POD", "Filter by pod id"},
                {"label", 0, CLI_FLAG_STRING_LIST, &o.labels, "KEY=VALUE", "Filter by key=value label (repeatable)"},
                {"output", 'o', CLI_FLAG_STRING, &o.output, "FORMAT", "Output format, One of: json|yaml|table"},
                {"seconds", 's', CLI_FLAG_INT64, &o.seconds, "SECONDS",
                 "Sample duration for CPU usage in seconds (default: 1)"},
        };
        int nargs;
        enum cli_output fmt;
        int r = cli_command_parse("stats", "[ID]", flags, N_FLAGS(flags), &o.is_help, argc, argv, &nargs, err);
        if (r == 0 && nargs > 1) { /* crictl shows the command's help */
                cli_command_usage(stdout, "stats", "[ID]", flags, N_FLAGS(flags));
                r = 1;
        }
        if (r == 0 && cli_output_pick(cli, o.output, CLI_OUTPUT_TABLE, OUTPUTS_ALL, &fmt, err) < 0)
                r = cric_error_prefix(err, "stats");
        if (r == 0 && nargs == 1 && (!o.id || !*o.id))
                o.one_id = argv[1];
        if (r == 0 && stats_show(cli, &o, fmt, &container_kind, err) < 0)
                r = cric_error_prefix(err, "get container stats");
        free(o.labels.items);
        return r < 0 ? -1 : 0;
}

/* ---- statsp ---- */

static const char *pod_id_of(const void *p) {
        const PodStats *s = p;
        return s->attributes ? s->attributes->id : "";
}

static int pod_stats_sample(struct cli *cli, const struct stats_opts *o, struct sample *ret, struct cric_error **err) {
        Runtime__V1__PodSandboxStatsFilter filter = RUNTIME__V1__POD_SANDBOX_STATS_FILTER__INIT;
        filter.id = (char *) (o->id ? o->id : "");
        if (cli_labels_to_entries(&o->labels, &runtime__v1__pod_sandbox_stats_filter__label_selector_entry__descriptor,
                                  (ProtobufCMessage ***) &filter.label_selector, &filter.n_label_selector, err) < 0)
                return -1;
        Runtime__V1__ListPodSandboxStatsRequest req = RUNTIME__V1__LIST_POD_SANDBOX_STATS_REQUEST__INIT;
        req.filter = &filter;
        struct sample s = {0};
        int r = cli_call_list(cli, RUNTIME_SERVICE "ListPodSandboxStats", RUNTIME_SERVICE "StreamPodSandboxStats",
                              &req.base, &runtime__v1__list_pod_sandbox_stats_response__descriptor, &s.msg, err);
        cli_entries_free((ProtobufCMessage **) filter.label_selector, filter.n_label_selector);
        if (r < 0)
                return cric_error_prefix(err, "list pod sandbox stats");
        const Runtime__V1__ListPodSandboxStatsResponse *lr = (const Runtime__V1__ListPodSandboxStatsResponse *) s.msg;
        s.v = xcalloc(lr->n_stats + 1, sizeof(*s.v));
        for (size_t i = 0; i < lr->n_stats; i++)
                s.v[s.n++] = lr->stats[i];
        sort_by_id(s.v, s.n, pod_id_of);
        *ret = s;
        return 0;
}

static const PodStats *find_pod(const struct sample *s, const char *id) {
        for (size_t i = 0; i < s->n; i++)
                if (!strcmp(pod_id_of(s->v[i]), id))
                        return s->v[i];
        return NULL;
}

static void pod_cpu(const PodStats *s, uint64_t *ret_cpu, int64_t *ret_ts) {
        const Runtime__V1__CpuUsage *c = s->linux ? s->linux->cpu : NULL;
        *ret_cpu = c ? u64(c->usage_core_nano_seconds) : 0;
        *ret_ts = c ? c->timestamp : 0;
}

static int statsp_print_table(const struct stats_opts *o, const struct sample *old, const struct sample *cur,
                              struct cric_error **err) {
        (void) o;
        CLEANUP(cli_table_freep) struct cli_table *t = cli_table_new(20, 3); /* crictl's tabwriter settings */
        cli_table_add_row(t, "POD", "POD ID", "CPU %", "MEM", NULL);
        for (size_t i = 0; i < cur->n; i++) {
                const PodStats *s = cur->v[i];
                uint64_t cpu, old_cpu = 0;
                int64_t ts, old_ts = 0;
                pod_cpu(s, &cpu, &ts);
                uint64_t mem = s->linux && s->linux->memory ? u64(s->linux->memory->working_set_bytes) : 0;
                if (cpu == 0 && mem == 0) /* no data (a stopped pod) */
                        continue;
                const PodStats *prev = find_pod(old, pod_id_of(s));
                if (!prev) /* new since the first sample */
                        continue;
                pod_cpu(prev, &old_cpu, &old_ts);
                double perc;
                if (cpu_percent(cpu, ts, old_cpu, old_ts, &perc, err) < 0)
                        return -1;
                char id[CLI_TRUNC_ID_LEN + 1], cpu_cell[32], mem_cell[32];
                cli_truncated_id(id, pod_id_of(s), NULL);
                snprintf(cpu_cell, sizeof(cpu_cell), "%.2f", perc);
                cli_human_size(mem_cell, sizeof(mem_cell), (double) mem, 4);
                cli_table_add_row(t, s->attributes && s->attributes->metadata ? s->attributes->metadata->name : "", id,
                                  cpu_cell, mem_cell, NULL);
        }
        cli_table_print(t, stdout);
        return 0;
}

static json_object *pod_stats_json(const struct sample *s) {
        Runtime__V1__ListPodSandboxStatsResponse shown = RUNTIME__V1__LIST_POD_SANDBOX_STATS_RESPONSE__INIT;
        shown.stats = (PodStats **) s->v;
        shown.n_stats = s->n;
        return cli_proto_to_json(&shown.base, STATS_JSON);
}

static const struct stats_kind pod_kind = {pod_stats_sample, pod_stats_json, statsp_print_table};

int cmd_statsp(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        struct stats_opts o = {.seconds = 1};
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &o.is_help, NULL, "show help"},
                {"id", 0, CLI_FLAG_STRING, &o.id, "ID", "Filter by pod id"},
                {"label", 0, CLI_FLAG_STRING_LIST, &o.labels, "KEY=VALUE", "Filter by key=value label (repeatable)"},
                {"output", 'o', CLI_FLAG_STRING, &o.output, "FORMAT", "Output format, One of: json|yaml|table"},
                {"seconds", 's', CLI_FLAG_INT64, &o.seconds, "SECONDS",
                 "Sample duration for CPU usage in seconds (default: 1)"},
        };
        int nargs;
        enum cli_output fmt;
        int r = cli_command_parse("statsp", "[ID]", flags, N_FLAGS(flags), &o.is_help, argc, argv, &nargs, err);
        if (r == 0 && nargs > 1) { /* crictl shows the command's help */
                cli_command_usage(stdout, "statsp", "[ID]", flags, N_FLAGS(flags));
                r = 1;
        }
        if (r == 0 && cli_output_pick(cli, o.output, CLI_OUTPUT_TABLE, OUTPUTS_ALL, &fmt, err) < 0)
                r = cric_error_prefix(err, "statsp");
        if (r == 0 && nargs == 1 && (!o.id || !*o.id))
                o.id = argv[1];
        if (r == 0 && stats_show(cli, &o, fmt, &pod_kind, err) < 0)
                r = cric_error_prefix(err, "get pod stats");
        free(o.labels.items);
        return r < 0 ? -1 : 0;
}
