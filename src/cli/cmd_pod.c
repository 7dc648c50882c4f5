/* Pod commands: runp, pods, inspectp, stopp, rmp.
 *
 * Each mirrors crictl's command of the same name: flags, table layout, JSON shape and
 * messages. JSON of CRI messages uses protojson's shape, 64-bit integers as strings
 * ("createdAt": "1700000000000000000"). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/cli.h"
#include "cri.pb-c.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

#define RUNTIME_SERVICE "/runtime.v1.RuntimeService/"
#define N_FLAGS(f)      (sizeof(f) / sizeof((f)[0]))
#define POD_JSON        (CLI_JSON_CRICTL | CLI_JSON_INT64_STRINGS)

#define OUTPUTS_ALL                                                                                                    \
        (CLI_OUTPUT_BIT(CLI_OUTPUT_TABLE) | CLI_OUTPUT_BIT(CLI_OUTPUT_JSON) | CLI_OUTPUT_BIT(CLI_OUTPUT_YAML))

/* ---- shared helpers ---- */

/* crictl's convertPodState. */
static const char *pod_state_name(Runtime__V1__PodSandboxState s) {
        switch (s) {
        case RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY: return "Ready";
        case RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_NOTREADY: return "NotReady";
        default: return "Unknown";
        }
}

static int pod_status(struct cli *cli, const char *id, bool is_verbose, ProtobufCMessage **ret,
                      struct cric_error **err) {
        Runtime__V1__PodSandboxStatusRequest req = RUNTIME__V1__POD_SANDBOX_STATUS_REQUEST__INIT;
        req.pod_sandbox_id = (char *) id;
        req.verbose = is_verbose;
        return cli_call(cli, RUNTIME_SERVICE "PodSandboxStatus", &req.base,
                        &runtime__v1__pod_sandbox_status_response__descriptor, ret, err);
}

static int list_pods(struct cli *cli, Runtime__V1__PodSandboxFilter *filter, ProtobufCMessage **ret,
                     struct cric_error **err) {
        Runtime__V1__ListPodSandboxRequest req = RUNTIME__V1__LIST_POD_SANDBOX_REQUEST__INIT;
        req.filter = filter;
        return cli_call_list(cli, RUNTIME_SERVICE "ListPodSandbox", RUNTIME_SERVICE "StreamPodSandboxes", &req.base,
                             &runtime__v1__list_pod_sandbox_response__descriptor, ret, err);
}

static int stop_pod(struct cli *cli, const char *id, struct cric_error **err) {
        Runtime__V1__StopPodSandboxRequest req = RUNTIME__V1__STOP_POD_SANDBOX_REQUEST__INIT;
        req.pod_sandbox_id = (char *) id;
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (cli_call(cli, RUNTIME_SERVICE "StopPodSandbox", &req.base,
                     &runtime__v1__stop_pod_sandbox_response__descriptor, &msg, err) < 0)
                return -1;
        printf("Stopped sandbox %s\n", id);
        return 0;
}

static int remove_pod(struct cli *cli, const char *id, struct cric_error **err) {
        Runtime__V1__RemovePodSandboxRequest req = RUNTIME__V1__REMOVE_POD_SANDBOX_REQUEST__INIT;
        req.pod_sandbox_id = (char *) id;
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (cli_call(cli, RUNTIME_SERVICE "RemovePodSandbox", &req.base,
                     &runtime__v1__remove_pod_sandbox_response__descriptor, &msg, err) < 0)
                return -1;
        printf("Removed sandbox %s\n", id);
        return 0;
}

/* ---- runp ---- */

/* crictl's loadPodSandboxConfig: metadata with a name and a namespace; a missing uid
 * is made up, as the kubelet would give one. */
ProtobufCMessage *cli_pod_config_load(const char *path, struct cric_error **err) {
        CLEANUP(cli_proto_freep)
        ProtobufCMessage *m = cli_proto_from_json_file(path, &runtime__v1__pod_sandbox_config__descriptor, err);
        if (!m)
                return NULL;
        Runtime__V1__PodSandboxConfig *c = (Runtime__V1__PodSandboxConfig *) m;
        if (!c->metadata)
                return cric_error_set(err, CRIC_E_INVALID, "%s: metadata is not set", path), NULL;
        if (!*c->metadata->name || !*c->metadata->namespace_)
                return cric_error_set(err, CRIC_E_INVALID, "%s: name or namespace is not in metadata", path), NULL;
        if (!*c->metadata->uid) {
                AUTOFREE char *uuid = NULL;
                size_t len;
                if (fs_read_file("/proc/sys/kernel/random/uuid", 64, &uuid, &len, err) < 0)
                        return cric_error_prefix(err, "%s: no uid given, making one", path), NULL;
                c->metadata->uid = xstrndup(uuid, strcspn(uuid, "\n"));
        }
        return STEAL_PTR(m);
}

int cli_pod_run(struct cli *cli, const char *path, const char *handler, char **ret_id, struct cric_error **err) {
        CLEANUP(cli_proto_freep) ProtobufCMessage *cfg = cli_pod_config_load(path, err);
        if (!cfg)
                return cric_error_prefix(err, "load podSandboxConfig");
        Runtime__V1__RunPodSandboxRequest req = RUNTIME__V1__RUN_POD_SANDBOX_REQUEST__INIT;
        req.config = (Runtime__V1__PodSandboxConfig *) cfg;
        req.runtime_handler = (char *) (handler ? handler : "");
        /* Like the kubelet's CRI client, crictl gives sandbox creation twice the timeout. */
        int64_t timeout_ms = cli->timeout_ms > 0 ? 2 * cli->timeout_ms : 0;
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (cli_call_timeout(cli, RUNTIME_SERVICE "RunPodSandbox", &req.base,
                             &runtime__v1__run_pod_sandbox_response__descriptor, timeout_ms, &msg, err) < 0)
                return cric_error_prefix(err, "run pod sandbox");
        *ret_id = xstrdup(((const Runtime__V1__RunPodSandboxResponse *) msg)->pod_sandbox_id);
        return 0;
}

int cmd_runp(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        const char *handler = NULL;
        bool is_help = false;
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &is_help, NULL, "show help"},
                {"runtime", 'r', CLI_FLAG_STRING, &handler, "RUNTIME",
                 "Runtime handler to use. Available options are defined by the container runtime."},
        };
        int nargs;
        int r = cli_command_parse("runp", "pod-config.json", flags, N_FLAGS(flags), &is_help, argc, argv, &nargs, err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        if (nargs != 1) { /* crictl shows the command's help */
                cli_command_usage(stdout, "runp", "pod-config.json", flags, N_FLAGS(flags));
                return 0;
        }
        AUTOFREE char *id = NULL;
        if (cli_pod_run(cli, argv[1], handler, &id, err) < 0)
                return -1;
        printf("%s\n", id);
        return 0;
}

/* ---- pods ---- */

struct pods_opts {
        const char *id, *state, *output;
        struct cli_name_filter names;
        struct cli_string_list labels;
        bool is_help, is_quiet, is_latest, is_no_trunc;
        int64_t last;
};

static void pods_opts_clear(struct pods_opts *o) {
        free(o->labels.items);
        cli_name_filter_clear(&o->names);
}

/* The flag values that need checking: --name, --namespace. */
static int pods_check_opts(struct pods_opts *o, struct cric_error **err) {
        if (cli_name_filter_compile(&o->names, err) < 0)
                return cric_error_prefix(err, "pods");
        return 0;
}

/* The server-side filter: --id, --state, --label; the caller frees the label entries. */
static int pods_filter(const struct pods_opts *o, Runtime__V1__PodSandboxFilter *f,
                       Runtime__V1__PodSandboxStateValue *state, struct cric_error **err) {
        if (o->id)
                f->id = (char *) o->id;
        if (o->state) {
                if (!strcasecmp(o->state, "ready"))
                        state->state = RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY;
                else if (!strcasecmp(o->state, "notready"))
                        state->state = RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_NOTREADY;
                else
                        return cric_error_set(err, CRIC_E_INVALID, "pods: --state should be ready or notready");
                f->state = state;
        }
        if (cli_labels_to_entries(&o->labels, &runtime__v1__pod_sandbox_filter__label_selector_entry__descriptor,
                                  (ProtobufCMessage ***) &f->label_selector, &f->n_label_selector, err) < 0)
                return cric_error_prefix(err, "pods");
        return 0;
}

/* crictl's getSandboxesList: name and namespace filters, newest first, --latest/--last.
 * Stores the pods kept in v (room for n) and returns their count; items stays as is,
 * as the response owns its pods. */
static size_t pods_select(const struct pods_opts *o, Runtime__V1__PodSandbox *const *items, size_t n,
                          Runtime__V1__PodSandbox **v) {
        size_t kept = 0;
        for (size_t i = 0; i < n; i++) {
                const char *name = items[i]->metadata ? items[i]->metadata->name : "";
                const char *ns = items[i]->metadata ? items[i]->metadata->namespace_ : "";
                if (!cli_name_filter_match(&o->names, name, ns))
                        continue;
                v[kept++] = items[i];
        }
        for (size_t i = 1; i < kept; i++) { /* insertion sort: stable */
                Runtime__V1__PodSandbox *x = v[i];
                size_t j = i;
                for (; j > 0 && x->created_at > v[j - 1]->created_at; j--)
                        v[j] = v[j - 1];
                v[j] = x;
        }
        return cli_truncate_count(kept, o->is_latest, o->last);
}

static void pods_print_table(const struct pods_opts *o, Runtime__V1__PodSandbox *const *v, size_t n) {
        if (o->is_quiet) {
                for (size_t i = 0; i < n; i++)
                        printf("%s\n", v[i]->id);
                return;
        }
        CLEANUP(cli_table_freep) struct cli_table *t = cli_table_new(10, 3); /* crictl's tabwriter settings */
        cli_table_add_row(t, "POD ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "RUNTIME", NULL);
        for (size_t i = 0; i < n; i++) {
                const Runtime__V1__PodSandbox *p = v[i];
                char id[CLI_TRUNC_ID_LEN + 1], created[64], attempt[16];
                cli_truncated_id(id, p->id, NULL);
                cli_time_ago(created, sizeof(created), p->created_at);
                snprintf(attempt, sizeof(attempt), "%u", p->metadata ? p->metadata->attempt : 0);
                cli_table_add_row(t, o->is_no_trunc ? p->id : id, created, pod_state_name(p->state),
                                  p->metadata ? p->metadata->name : "", p->metadata ? p->metadata->namespace_ : "",
                                  attempt, *p->runtime_handler ? p->runtime_handler : "(default)", NULL);
        }
        cli_table_print(t, stdout);
}

static int pods_run(struct cli *cli, const struct pods_opts *o, enum cli_output fmt, struct cric_error **err) {
        Runtime__V1__PodSandboxFilter filter = RUNTIME__V1__POD_SANDBOX_FILTER__INIT;
        Runtime__V1__PodSandboxStateValue state = RUNTIME__V1__POD_SANDBOX_STATE_VALUE__INIT;
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        int r = pods_filter(o, &filter, &state, err);
        if (r >= 0 && (r = list_pods(cli, &filter, &msg, err)) < 0)
                cric_error_prefix(err, "listing pod sandboxes");
        cli_entries_free((ProtobufCMessage **) filter.label_selector, filter.n_label_selector);
        if (r < 0)
                return -1;
        const Runtime__V1__ListPodSandboxResponse *resp = (const Runtime__V1__ListPodSandboxResponse *) msg;
        AUTOFREE Runtime__V1__PodSandbox **v = xcalloc(resp->n_items + 1, sizeof(*v));
        size_t n = pods_select(o, resp->items, resp->n_items, v);
        if (fmt == CLI_OUTPUT_TABLE) {
                pods_print_table(o, v, n);
                return 0;
        }
        Runtime__V1__ListPodSandboxResponse shown = RUNTIME__V1__LIST_POD_SANDBOX_RESPONSE__INIT;
        shown.items = v;
        shown.n_items = n;
        AUTOJSON json_object *doc = cli_proto_to_json(&shown.base, POD_JSON);
        cli_print_json_as(stdout, doc, fmt);
        return 0;
}

int cmd_pods(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        struct pods_opts o = {0};
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &o.is_help, NULL, "show help"},
                {"id", 0, CLI_FLAG_STRING, &o.id, "ID", "filter by pod id"},
                {"name", 0, CLI_FLAG_STRING, &o.names.name, "NAME", "filter by pod name regular expression pattern"},
                {"namespace", 0, CLI_FLAG_STRING, &o.names.namespace, "NAMESPACE",
                 "filter by pod namespace regular expression pattern"},
                {"state", 's', CLI_FLAG_STRING, &o.state, "STATE", "filter by pod state: ready|notready"},
                {"label", 0, CLI_FLAG_STRING_LIST, &o.labels, "KEY=VALUE", "filter by key=value label (repeatable)"},
                {"quiet", 'q', CLI_FLAG_BOOL, &o.is_quiet, NULL, "list only pod IDs"},
                {"output", 'o', CLI_FLAG_STRING, &o.output, "FORMAT", "Output format, One of: json|yaml|table"},
                {"latest", 'l', CLI_FLAG_BOOL, &o.is_latest, NULL, "Show the most recently created pod"},
                {"last", 'n', CLI_FLAG_INT64, &o.last, "N", "Show last n recently created pods. Set 0 for unlimited"},
                {"no-trunc", 0, CLI_FLAG_BOOL, &o.is_no_trunc, NULL, "Show output without truncating the ID"},
        };
        int nargs;
        enum cli_output fmt;
        int r = cli_command_parse("pods", NULL, flags, N_FLAGS(flags), &o.is_help, argc, argv, &nargs, err);
        if (r == 0 && nargs > 0)
                r = cric_error_set(err, CRIC_E_INVALID, "pods: unexpected argument \"%s\" (see 'cricctl pods --help')",
                                   argv[1]);
        if (r == 0 && cli_output_pick(cli, o.output, CLI_OUTPUT_TABLE, OUTPUTS_ALL, &fmt, err) < 0)
                r = cric_error_prefix(err, "pods");
        if (r == 0)
                r = pods_check_opts(&o, err);
        if (r == 0)
                r = pods_run(cli, &o, fmt, err);
        pods_opts_clear(&o);
        return r < 0 ? -1 : 0;
}

/* ---- inspectp ---- */

/* Go's time.Time %v of time.Unix(0, ns): "2006-01-02 15:04:05.999999999 -0700 MST". */
static void go_time(char *buf, size_t size, int64_t ns) {
        time_t secs = (time_t) (ns / 1000000000);
        long frac = (long) (ns % 1000000000);
        if (frac < 0) {
                secs--;
                frac += 1000000000;
        }
        struct tm tm;
        localtime_r(&secs, &tm);
        char date[32], zone[32], nanos[16] = "";
        strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
        strftime(zone, sizeof(zone), "%z %Z", &tm);
        if (frac) {
                snprintf(nanos, sizeof(nanos), ".%09ld", frac);
                for (size_t len = strlen(nanos); nanos[len - 1] == '0'; len--)
                        nanos[len - 1] = '\0';
        }
        snprintf(buf, size, "%s%s %s", date, nanos, zone);
}

/* crictl's PodSandboxStatus table output. */
static void pod_status_print_table(Runtime__V1__PodSandboxStatusResponse *r, bool is_verbose) {
        const Runtime__V1__PodSandboxStatus *s = r->status;
        char created[96];
        printf("ID: %s\n", s->id);
        if (s->metadata) {
                if (*s->metadata->name)
                        printf("Name: %s\n", s->metadata->name);
                if (*s->metadata->uid)
                        printf("UID: %s\n", s->metadata->uid);
                if (*s->metadata->namespace_)
                        printf("Namespace: %s\n", s->metadata->namespace_);
                printf("Attempt: %u\n", s->metadata->attempt);
        }
        const ProtobufCEnumValue *state =
                protobuf_c_enum_descriptor_get_value(&runtime__v1__pod_sandbox_state__descriptor, s->state);
        printf("Status: %s\n", state ? state->name : "UNKNOWN");
        go_time(created, sizeof(created), s->created_at);
        printf("Created: %s\n", created);
        if (s->network) {
                printf("IP Addresses: %s\n", s->network->ip);
                for (size_t i = 0; i < s->network->n_additional_ips; i++)
                        printf("Additional IP: %s\n", s->network->additional_ips[i]->ip);
        }
        if (s->n_labels)
                cli_print_string_map(stdout, "Labels", (void **) s->labels, s->n_labels);
        if (s->n_annotations)
                cli_print_string_map(stdout, "Annotations", (void **) s->annotations, s->n_annotations);
        if (!is_verbose)
                return;
        cli_print_info_line(stdout, (void **) r->info, r->n_info);
}

/* crictl's outputStatusInfo: {"status": <PodSandboxStatus>, <each info key>: <value>},
 * keys sorted as Go's maps print them. */
static json_object *pod_status_json(const Runtime__V1__PodSandboxStatusResponse *r) {
        AUTOJSON json_object *o = jx_object();
        jx_add(o, "status", cli_proto_to_json(&r->status->base, POD_JSON));
        for (size_t i = 0; i < r->n_info; i++)
                jx_add(o, r->info[i]->key, cli_info_value(r->info[i]->value));
        return cli_json_sorted(o);
}

static int inspectp_one(struct cli *cli, const char *id, bool is_verbose, enum cli_output fmt,
                        struct cric_error **err) {
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (!*id)
                return cric_error_set(err, CRIC_E_INVALID, "ID cannot be empty");
        if (pod_status(cli, id, is_verbose, &msg, err) < 0)
                return cric_error_prefix(err, "getting the pod sandbox status for \"%s\"", id);
        Runtime__V1__PodSandboxStatusResponse *r = (Runtime__V1__PodSandboxStatusResponse *) msg;
        if (!r->status)
                return cric_error_set(err, CRIC_E_NOT_FOUND, "getting the pod sandbox status for \"%s\": no status",
                                      id);
        if (fmt == CLI_OUTPUT_TABLE) {
                pod_status_print_table(r, is_verbose);
                return 0;
        }
        AUTOJSON json_object *doc = pod_status_json(r);
        cli_print_json_as(stdout, doc, fmt);
        return 0;
}

int cmd_inspectp(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        const char *output = NULL;
        bool is_help = false, is_quiet = false;
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &is_help, NULL, "show help"},
                {"output", 'o', CLI_FLAG_STRING, &output, "FORMAT", "Output format, One of: json|yaml|table"},
                {"quiet", 'q', CLI_FLAG_BOOL, &is_quiet, NULL, "Do not show verbose information"},
        };
        int nargs;
        int r = cli_command_parse("inspectp", "POD-ID [POD-ID...]", flags, N_FLAGS(flags), &is_help, argc, argv, &nargs,
                                  err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        if (nargs == 0) { /* crictl shows the command's help */
                cli_command_usage(stdout, "inspectp", "POD-ID [POD-ID...]", flags, N_FLAGS(flags));
                return 0;
        }
        enum cli_output fmt;
        if (cli_output_pick(cli, output, CLI_OUTPUT_JSON, OUTPUTS_ALL, &fmt, err) < 0)
                return cric_error_prefix(err, "inspectp");
        size_t n_failed = 0;
        for (int i = 1; i <= nargs; i++) {
                struct cric_error *e = NULL;
                if (inspectp_one(cli, argv[i], !is_quiet, fmt, &e) < 0) {
                        cli_keep_error(err, e);
                        n_failed++;
                }
        }
        return n_failed ? -1 : 0;
}

/* ---- stopp ---- */

int cmd_stopp(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        bool is_help = false;
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &is_help, NULL, "show help"},
        };
        int nargs;
        int r = cli_command_parse("stopp", "POD-ID [POD-ID...]", flags, N_FLAGS(flags), &is_help, argc, argv, &nargs,
                                  err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        if (nargs == 0) { /* crictl shows the command's help */
                cli_command_usage(stdout, "stopp", "POD-ID [POD-ID...]", flags, N_FLAGS(flags));
                return 0;
        }
        size_t n_failed = 0;
        for (int i = 1; i <= nargs; i++) {
                struct cric_error *e = NULL;
                if (stop_pod(cli, argv[i], &e) < 0) {
                        cric_error_prefix(&e, "stopping the pod sandbox \"%s\"", argv[i]);
                        cli_keep_error(err, e);
                        n_failed++;
                }
        }
        return n_failed ? -1 : 0;
}

/* ---- rmp ---- */

/* crictl's order: a ready pod is refused unless --force, which stops it first. */
static int rmp_one(struct cli *cli, const char *id, bool is_force, struct cric_error **err) {
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (pod_status(cli, id, false, &msg, err) < 0)
                return cric_error_prefix(err, "getting sandbox status of pod \"%s\"", id);
        const Runtime__V1__PodSandboxStatusResponse *r = (const Runtime__V1__PodSandboxStatusResponse *) msg;
        if (r->status && r->status->state == RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY) {
                if (!is_force)
                        return cric_error_set(err, CRIC_E_PRECONDITION,
                                              "pod sandbox \"%s\" is running, please stop it first", id);
                if (stop_pod(cli, id, err) < 0)
                        return cric_error_prefix(err, "stopping the pod sandbox \"%s\" failed", id);
        }
        if (remove_pod(cli, id, err) < 0)
                return cric_error_prefix(err, "removing the pod sandbox \"%s\"", id);
        return 0;
}

static int rmp_run(struct cli *cli, int nargs, char **args, bool is_force, struct cric_error **err) {
        size_t n_failed = 0;
        for (int i = 0; i < nargs; i++) {
                struct cric_error *e = NULL;
                if (rmp_one(cli, args[i], is_force, &e) < 0) {
                        cli_keep_error(err, e);
                        n_failed++;
                }
        }
        return n_failed ? -1 : 0;
}

int cmd_rmp(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        bool is_help = false, is_all = false, is_force = false;
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &is_help, NULL, "show help"},
                {"force", 'f', CLI_FLAG_BOOL, &is_force, NULL,
                 "Force removal of the pod sandbox, disregarding if running"},
                {"all", 'a', CLI_FLAG_BOOL, &is_all, NULL, "Remove all pods"},
        };
        int nargs;
        int r = cli_command_parse("rmp", "POD-ID [POD-ID...]", flags, N_FLAGS(flags), &is_help, argc, argv, &nargs,
                                  err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        if (!is_all) {
                if (nargs > 0)
                        return rmp_run(cli, nargs, argv + 1, is_force, err);
                cli_command_usage(stdout, "rmp", "POD-ID [POD-ID...]", flags, N_FLAGS(flags));
                return 0;
        }
        /* --all replaces the ids given, as in crictl. */
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (list_pods(cli, NULL, &msg, err) < 0)
                return cric_error_prefix(err, "listing pod sandboxes");
        const Runtime__V1__ListPodSandboxResponse *resp = (const Runtime__V1__ListPodSandboxResponse *) msg;
        if (resp->n_items == 0) {
                log_info("No pods to remove");
                return 0;
        }
        AUTOFREE char **ids = xcalloc(resp->n_items, sizeof(*ids));
        for (size_t i = 0; i < resp->n_items; i++)
                ids[i] = resp->items[i]->id;
        return rmp_run(cli, (int) resp->n_items, ids, is_force, err);
}
