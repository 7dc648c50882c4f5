/* events: GetContainerEvents, each event printed as it arrives.
 *
 * crictl's `events` prints protojson objects (-o json|yaml|go-template). cricctl's
 * default is one human line per event; -o json prints one compact protojson object a
 * line (JSON Lines, so a reader can take the stream line by line) and -o yaml one YAML
 * document per event after "---". SIGINT and SIGTERM end it with status 0; the
 * runtime ending the stream is an error naming why (RESOURCE_EXHAUSTED when cricd cut
 * off a reader that fell behind, Unavailable when it stopped). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cri.pb-c.h"
#include "util/cleanup.h"

#define N_FLAGS(f)  (sizeof(f) / sizeof((f)[0]))
#define EVENTS_JSON (CLI_JSON_CRICTL | CLI_JSON_INT64_STRINGS)
#define OUTPUTS_ALL                                                                                                    \
        (CLI_OUTPUT_BIT(CLI_OUTPUT_TABLE) | CLI_OUTPUT_BIT(CLI_OUTPUT_JSON) | CLI_OUTPUT_BIT(CLI_OUTPUT_YAML))

typedef Runtime__V1__ContainerEventResponse Event;

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig) {
        (void) sig;
        stop_requested = 1;
}

/* "CONTAINER_STARTED" for CONTAINER_STARTED_EVENT. */
static void event_type_name(char *buf, size_t size, Runtime__V1__ContainerEventType t) {
        const ProtobufCEnumValue *v =
                protobuf_c_enum_descriptor_get_value(&runtime__v1__container_event_type__descriptor, (int) t);
        if (!v) {
                snprintf(buf, size, "UNKNOWN_%d", (int) t);
                return;
        }
        size_t len = strlen(v->name), suffix = strlen("_EVENT");
        if (len > suffix && !strcmp(v->name + len - suffix, "_EVENT"))
                len -= suffix;
        snprintf(buf, size, "%.*s", (int) len, v->name);
}

/* RFC 3339 in UTC with nanoseconds, as Go's time.RFC3339Nano without trimming. */
static void format_time(char *buf, size_t size, int64_t ns) {
        time_t secs = (time_t) (ns / 1000000000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, size - n, ".%09lldZ", (long long) (ns % 1000000000));
}

static const char *container_name(const Event *e) {
        for (size_t i = 0; i < e->n_containers_statuses; i++) {
                const Runtime__V1__ContainerStatus *c = e->containers_statuses[i];
                if (c && c->id && !strcmp(c->id, e->container_id) && c->metadata)
                        return c->metadata->name;
        }
        return NULL;
}

static void print_line(const Event *e) {
        char when[64], type[64];
        format_time(when, sizeof(when), e->created_at);
        event_type_name(type, sizeof(type), e->container_event_type);
        printf("%s %s container=%s", when, type, e->container_id);
        const char *name = container_name(e);
        if (name && *name)
                printf(" name=%s", name);
        const Runtime__V1__PodSandboxStatus *p = e->pod_sandbox_status;
        if (p && p->id && *p->id)
                printf(" pod=%s", p->id);
        if (p && p->metadata)
                printf(" pod-name=%s/%s", p->metadata->namespace_, p->metadata->name);
        putchar('\n');
}

static int print_event(const ProtobufCMessage *msg, void *arg, struct cric_error **err) {
        (void) err;
        const enum cli_output *fmt = arg;
        if (*fmt == CLI_OUTPUT_TABLE) {
                print_line((const Event *) msg);
        } else {
                AUTOJSON json_object *o = cli_proto_to_json(msg, EVENTS_JSON);
                if (*fmt == CLI_OUTPUT_YAML) {
                        fputs("---\n", stdout);
                        cli_print_yaml(stdout, o);
                } else {
                        AUTOFREE char *line = jx_dump(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
                        puts(line);
                }
        }
        fflush(stdout); /* a reader at the other end of a pipe wants each event now */
        return 0;
}

/* Subscribes and prints until a stop signal or the end of the stream. */
static int follow(struct cli *cli, enum cli_output fmt, struct cric_error **err) {
        struct sigaction sa = {.sa_handler = on_stop_signal}, old_int, old_term;
        sigemptyset(&sa.sa_mask);
        stop_requested = 0;
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        Runtime__V1__GetEventsRequest req = RUNTIME__V1__GET_EVENTS_REQUEST__INIT;
        int r = cli_call_stream(cli, "/runtime.v1.RuntimeService/GetContainerEvents", &req.base,
                                &runtime__v1__container_event_response__descriptor, print_event, &fmt, &stop_requested,
                                err);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        if (r == 0) /* the kubelet's stream never ends on its own: cricd must have ended it */
                return cric_error_set(err, CRIC_E_UNAVAILABLE, "the runtime ended the event stream");
        return r < 0 ? -1 : 0;
}

int cmd_events(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        const char *output = NULL;
        bool is_help = false;
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &is_help, NULL, "show help"},
                {"output", 'o', CLI_FLAG_STRING, &output, "FORMAT",
                 "Output format, One of: json|yaml|table (default: table, one line per event)"},
        };
        int nargs;
        enum cli_output fmt;
        int r = cli_command_parse("events", NULL, flags, N_FLAGS(flags), &is_help, argc, argv, &nargs, err);
        if (r == 0 && nargs > 0) { /* crictl shows the command's help */
                cli_command_usage(stdout, "events", NULL, flags, N_FLAGS(flags));
                r = 1;
        }
        if (r == 0 && cli_output_pick(cli, output, CLI_OUTPUT_TABLE, OUTPUTS_ALL, &fmt, err) < 0)
                r = cric_error_prefix(err, "events");
        if (r == 0 && follow(cli, fmt, err) < 0)
                r = cric_error_prefix(err, "getting container events");
        return r < 0 ? -1 : 0;
}
