/* cricctl internals, shared by the files of src/cli only.
 *
 * cricctl has crictl's command-line shape: global flags, then a subcommand with its
 * own flags. A command is a row in the table of main.c plus a `cmd_*` function; it
 * parses its flags with cli_flags_parse(), makes unary calls with cli_call() and prints
 * with the helpers of output.c. cricctl is single-threaded; nothing here is thread-safe. */
#ifndef CRIC_CLI_CLI_H
#define CRIC_CLI_CLI_H

#include <grpc/grpc.h>
#include <json-c/json.h>
#include <protobuf-c/protobuf-c.h>
#include <regex.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"
#include "util/json.h"

#ifndef CRIC_VERSION
#define CRIC_VERSION "unknown" /* meson defines it; a hand build may not */
#endif

#define CLI_DEFAULT_ENDPOINT   "unix:///run/cric/cric.sock"
#define CLI_DEFAULT_TIMEOUT_MS 2000
#define CLI_TRUNC_ID_LEN       13 /* crictl's truncatedIDLen */

enum cli_output {
        CLI_OUTPUT_DEFAULT = 0, /* not given: the command picks its own default */
        CLI_OUTPUT_TABLE,
        CLI_OUTPUT_JSON,
        CLI_OUTPUT_YAML,
        CLI_OUTPUT_MAX,
        CLI_OUTPUT_INVALID = -1,
};

/* One service endpoint, connected on first use. */
struct cli_conn {
        char *endpoint;        /* canonical form for messages, e.g. "unix:///run/cric/cric.sock" */
        char *socket_path;     /* the unix socket it names */
        grpc_channel *channel; /* NULL until the first call */
};

struct cli {
        struct cli_conn runtime;
        struct cli_conn image; /* same socket as runtime unless --image-endpoint says otherwise */
        int64_t timeout_ms;    /* per call; <= 0 means no deadline */
        bool has_timeout;      /* --timeout was given: pull, which has none by default, obeys it then */
        bool is_debug;
        bool has_grpc;          /* grpc_init() done; cli_clear() shuts it down */
        enum cli_output output; /* global --output; a command's own -o wins */
        int exit_code;          /* main's status when the command succeeds (exec passes its command's on) */
};

/* ---- main.c: flag parsing shared by the global level and every command ---- */

enum cli_flag_kind {
        CLI_FLAG_BOOL = 0,    /* value is a bool * */
        CLI_FLAG_STRING,      /* value is a const char ** pointing into argv */
        CLI_FLAG_STRING_LIST, /* value is a struct cli_string_list *: every use appends */
        CLI_FLAG_INT64,       /* value is an int64_t *: a decimal integer, as Go's Int64Flag */
};

/* The values of a repeatable flag (--label a=b --label c=d), pointing into argv. The
 * caller frees `items` (not the strings). */
struct cli_string_list {
        const char **items;
        size_t n, cap;
};

struct cli_flag {
        const char *long_name; /* "output" for --output */
        char short_name;       /* 'o' for -o, 0 for none */
        enum cli_flag_kind kind;
        void *value;
        const char *arg_name; /* shown in the usage, e.g. "FORMAT" */
        const char *help;
};

/* Parses argv[0..argc) against flags (n of them). Accepts --name, --name=value,
 * --name value, -x, -x value, -x=value and "--" (ends the flags). When
 * stop_at_positional is set, parsing stops at the first non-flag argument (the global
 * level, where that argument is the subcommand); otherwise flags and positional
 * arguments may be mixed. Positional arguments are moved, in order, to the front of
 * argv and their count stored in *ret_nargs. Unknown flags and missing values are
 * CRIC_E_INVALID errors naming the flag. */
int cli_flags_parse(const struct cli_flag *flags, size_t n, int argc, char **argv, bool stop_at_positional,
                    int *ret_nargs, struct cric_error **err);
void cli_flags_usage(FILE *out, const struct cli_flag *flags, size_t n);
/* Prints a command's help in crictl's layout: NAME (with the summary from the command
 * table), USAGE (args_usage names the positional arguments, may be NULL) and OPTIONS. */
void cli_command_usage(FILE *out, const char *name, const char *args_usage, const struct cli_flag *flags, size_t n);

/* Parses a Go-style duration ("2s", "500ms", "1m30s", "1.5h"); a bare number means
 * seconds. CRIC_E_INVALID on anything else. */
int cli_duration_parse(const char *s, int64_t *ret_ms, struct cric_error **err);

/* "table", "json" or "yaml"; CLI_OUTPUT_INVALID for anything else (crictl's
 * go-template is not supported). */
enum cli_output cli_output_from_string(const char *s);
/* Resolves a command's -o value: its own flag if given, else the global --output, else
 * def. A format outside `allowed` (a bit mask of 1 << enum cli_output) is CRIC_E_INVALID. */
int cli_output_pick(const struct cli *cli, const char *flag_value, enum cli_output def, unsigned allowed,
                    enum cli_output *ret, struct cric_error **err);
#define CLI_OUTPUT_BIT(o) (1u << (o))

/* Turns crictl's repeatable --label key=value values into the entries of a filter's
 * label_selector map: entry_desc is any LabelSelectorEntry type of cri.proto (string
 * key and value). A value that is not exactly one key=value pair is CRIC_E_INVALID
 * "incorrectly specified label: <value>". Free the entries with cli_entries_free(). */
int cli_labels_to_entries(const struct cli_string_list *labels, const ProtobufCMessageDescriptor *entry_desc,
                          ProtobufCMessage ***ret_entries, size_t *ret_n, struct cric_error **err);
void cli_entries_free(ProtobufCMessage **entries, size_t n);

/* crictl's name and namespace filters are unanchored regular expressions (Go's
 * regexp.MatchString); POSIX extended ones here, which agree on the usual patterns.
 * An empty or NULL pattern compiles nothing and leaves *ret_has alone; otherwise
 * *ret_has is set and the caller regfree()s re. CRIC_E_INVALID for a bad pattern. */
int cli_regex_compile(const char *pattern, regex_t *re, bool *ret_has, struct cric_error **err);

/* crictl's truncateCount: how many of total items --latest and --last N keep. */
size_t cli_truncate_count(size_t total, bool is_latest, int64_t last);

/* ---- client.c: connection and unary calls ---- */

/* Turns "unix:///p", "unix:/p" or "/p" into the socket path and the canonical
 * "unix://" form. CRIC_E_INVALID for other schemes or an empty path. */
int cli_endpoint_parse(const char *endpoint, char **ret_endpoint, char **ret_path, struct cric_error **err);

/* Sets both endpoints: runtime from the flag, else $CONTAINER_RUNTIME_ENDPOINT, else
 * the default; image from its flag, else $IMAGE_SERVICE_ENDPOINT, else the runtime
 * endpoint. Either flag may be NULL. */
int cli_endpoints_set(struct cli *cli, const char *runtime_flag, const char *image_flag, struct cric_error **err);

/* Calls method_path (e.g. "/runtime.v1.RuntimeService/Version") with req and waits for
 * the single reply, at most cli->timeout_ms. Methods of runtime.v1.ImageService go to
 * the image endpoint, the rest to the runtime endpoint (one channel when both name the
 * same socket); the first call on an endpoint connects. On success *ret_resp is an
 * unpacked message of resp_desc; free it with protobuf_c_message_free_unpacked(m, NULL).
 * Errors: CRIC_E_UNAVAILABLE when the socket cannot be reached ("cannot connect to the
 * runtime at ...: is cricd running?"); a non-OK status becomes "<Method> failed: rpc
 * error: code = <Code> desc = <details>" with the matching kind. */
int cli_call(struct cli *cli, const char *method_path, const ProtobufCMessage *req,
             const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **ret_resp, struct cric_error **err);
/* Same with an explicit deadline (<= 0: none), for calls crictl lets run long (pulls). */
int cli_call_timeout(struct cli *cli, const char *method_path, const ProtobufCMessage *req,
                     const ProtobufCMessageDescriptor *resp_desc, int64_t timeout_ms, ProtobufCMessage **ret_resp,
                     struct cric_error **err);

/* A List call made through its server-streaming twin (list_path "…/ListPodSandbox",
 * stream_path "…/StreamPodSandboxes"): req is the List request (wire-identical to the
 * Stream one) and *ret_resp the List reply holding every page's objects, in order.
 * A runtime that answers the stream UNIMPLEMENTED gets the List call instead. Errors
 * as cli_call's, named after the method that failed. */
int cli_call_list(struct cli *cli, const char *list_path, const char *stream_path, const ProtobufCMessage *req,
                  const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **ret_resp, struct cric_error **err);

/* Takes one message of a server stream; msg is freed when this returns. A negative
 * return (with err set) stops the reading. */
typedef int (*cli_stream_fn)(const ProtobufCMessage *msg, void *arg, struct cric_error **err);

/* Calls the server-streaming method_path with req, without a deadline, and hands each
 * message, decoded as resp_desc, to on_message as it arrives. Returns 0 when the
 * server ended the stream with OK; 1 when *stop (may be NULL) turned non-zero, which a
 * signal handler may do (looked at every 100 ms; the call is cancelled); -1 when
 * on_message failed (its error, the call cancelled) or the stream ended with another
 * status (an error as cli_call's, e.g. CRIC_E_RESOURCE for RESOURCE_EXHAUSTED). */
int cli_call_stream(struct cli *cli, const char *method_path, const ProtobufCMessage *req,
                    const ProtobufCMessageDescriptor *resp_desc, cli_stream_fn on_message, void *arg,
                    const volatile sig_atomic_t *stop, struct cric_error **err);

/* Drops the channels and endpoint strings and shuts gRPC down if a call started it.
 * Safe on a zeroed or half-set struct. */
void cli_clear(struct cli *cli);

/* gRPC's code name as Go spells it ("DeadlineExceeded"), as crictl prints it. */
const char *cli_status_code_name(grpc_status_code code);

/* ---- output.c: proto -> JSON, JSON and YAML printers, tables ---- */

enum cli_json_flags {
        /* Scalars at their zero value, empty lists and maps are printed, as crictl's
         * protojson (EmitDefaultValues) does. Unset messages are still left out. */
        CLI_JSON_EMIT_DEFAULTS = 1u << 0,
        /* Field names as written in the .proto (snake_case) instead of lowerCamelCase:
         * what Go's encoding/json prints for CRI types (crictl info's runtimeHandlers). */
        CLI_JSON_PROTO_NAMES = 1u << 1,
        /* 64-bit integers as JSON strings, as protojson does; default is numbers. */
        CLI_JSON_INT64_STRINGS = 1u << 2,
};

/* The flags every command uses for -o json/yaml of a CRI message. */
#define CLI_JSON_CRICTL CLI_JSON_EMIT_DEFAULTS

/* Converts msg to a new json-c object (caller owns the reference) walking its
 * protobuf-c descriptor: fields in .proto order, maps as objects with sorted keys,
 * enums by name, bytes as base64. Never NULL. */
json_object *cli_proto_to_json(const ProtobufCMessage *msg, unsigned flags);

/* A deep copy of o with the keys of every object sorted bytewise, like Go's encoding/json
 * does for maps. Caller owns the result. */
json_object *cli_json_sorted(json_object *o);

/* Pretty JSON (2-space indent, "key": value, {} and [] when empty), newline-terminated. */
void cli_print_json(FILE *out, json_object *o);
/* YAML in the shape of sigs.k8s.io/yaml's JSONToYAML (what crictl prints): block style,
 * keys sorted, list items at their parent's indent, strings quoted only when needed. */
void cli_print_yaml(FILE *out, json_object *o);
/* Prints o as JSON or YAML per fmt (anything else prints JSON). */
void cli_print_json_as(FILE *out, json_object *o, enum cli_output fmt);
/* cli_proto_to_json(msg, CLI_JSON_CRICTL) printed per fmt. */
void cli_print_proto(FILE *out, const ProtobufCMessage *msg, enum cli_output fmt);
/* One-line JSON of msg (for --debug logs). Caller frees. */
char *cli_proto_to_compact_json(const ProtobufCMessage *msg);

/* Column-aligned text like Go's tabwriter: every cell but the last of a row is padded
 * to max(min_width, widest cell in its column + padding). */
struct cli_table;
struct cli_table *cli_table_new(size_t min_width, size_t padding);
/* Adds a row of cells: the variadic list of const char * ends with NULL. Copies them. */
void cli_table_add_row(struct cli_table *t, ...) __attribute__((sentinel));
void cli_table_print(const struct cli_table *t, FILE *out);
struct cli_table *cli_table_free(struct cli_table *t);
void cli_table_freep(struct cli_table **t);

/* The current wall-clock time in nanoseconds since the epoch. */
int64_t cli_now_ns(void);
/* go-units' HumanDuration ("Less than a second", "About a minute", "3 hours"). */
void cli_human_duration(char *buf, size_t size, int64_t ns);
/* crictl's "CREATED" cells: the HumanDuration from ns (since the epoch) to now, " ago". */
void cli_time_ago(char *buf, size_t size, int64_t ns);
/* go-units' HumanSizeWithPrecision: decimal units, `precision` significant digits
 * (crictl uses 3 for images and 4, HumanSize, for stats). */
void cli_human_size(char *buf, size_t size, double v, int precision);
/* crictl's getTruncatedID: id without prefix (may be NULL), cut to CLI_TRUNC_ID_LEN. */
void cli_truncated_id(char buf[CLI_TRUNC_ID_LEN + 1], const char *id, const char *prefix);
/* Prints "title:" and a "\tkey -> value" line per entry, sorted by key (sorts entries
 * in place). Every string map entry of cri.proto has the layout this expects. */
void cli_print_string_map(FILE *out, const char *title, void **entries, size_t n);
/* The verbose info map of a status response as crictl's table shows it, Go's %v of a
 * map: "Info: map[key:value ...]", sorted by key (in place). */
void cli_print_info_line(FILE *out, void **entries, size_t n);

/* Reads a JSON file (crictl's pod-config.json, container-config.json) into a new
 * message of desc: keys are .proto field names (any case) or lowerCamelCase, 64-bit
 * integers may be strings, enums names or numbers, maps objects; unknown keys are
 * ignored. Free the result with protobuf_c_message_free_unpacked(m, NULL). NULL with
 * CRIC_E_NOT_FOUND (no file) or CRIC_E_INVALID naming the file and the bad field.
 * Bytes fields (KeyValue.value of envs) are read from plain strings, as crictl
 * does. Defined in input.c; YAML files are not supported yet. */
ProtobufCMessage *cli_proto_from_json_file(const char *file, const ProtobufCMessageDescriptor *desc,
                                           struct cric_error **err);

static inline void cli_proto_freep(ProtobufCMessage **m) {
        if (*m)
                protobuf_c_message_free_unpacked(*m, NULL);
        *m = NULL;
}

/* ---- commands (cmd_*.c): argv[0] is the command name; print, return 0, or fail
 * with err (main prints "cricctl: <msg>" and exits 1). ---- */

int cmd_version(struct cli *cli, int argc, char **argv, struct cric_error **err);
int cmd_info(struct cli *cli, int argc, char **argv, struct cric_error **err);
int cmd_runtime_config(struct cli *cli, int argc, char **argv, struct cric_error **err);

/* cmd_image.c. cmd_pull draws its progress line from a second thread, which uses a
 * struct cli (and so a gRPC channel) of its own. */
int cmd_pull(struct cli *cli, int argc, char **argv, struct cric_error **err);
int cmd_images(struct cli *cli, int argc, char **argv, struct cric_error **err);
int cmd_inspecti(struct cli *cli, int argc, char **argv, struct cric_error **err);
int cmd_rmi(struct cli *cli, int argc, char **argv, struct cric_error **err);
int cmd_imagefsinfo(struct cli *cli, int argc, char **argv, struct cric_error **err);

/* ImageStatus of image (name, reference or id); *ret is an ImageStatusResponse, whose
 * image is NULL when the runtime has no such image. */
int cli_image_status(struct cli *cli, const char *image, bool is_verbose, ProtobufCMessage **ret,
                     struct cric_error **err);

/* What a pull needs besides the image name (cmd_pull, and create/run with a pull). */
struct cli_pull_opts {
        const char *creds;                      /* --creds USERNAME[:PASSWORD], NULL or "": none */
        const char *auth;                       /* --auth BASE64, NULL or "": none; not with creds */
        const ProtobufCMessage *sandbox_config; /* a PodSandboxConfig, or NULL */
        int64_t timeout_ms;                     /* <= 0: no deadline */
        bool has_progress;                      /* draws pull's progress line on stderr (a tty) */
};
/* PullImage, keeping credentials out of debug logs. *ret_image_ref (may be NULL) is
 * the pulled image's reference; the caller frees it. */
int cli_image_pull(struct cli *cli, const char *image, const struct cli_pull_opts *o, char **ret_image_ref,
                   struct cric_error **err);
/* A pull's deadline: --pull-timeout (flag, may be NULL; "0s": none) when given, else the
 * global --timeout when the user gave it, else none. */
int cli_pull_deadline(const struct cli *cli, const char *flag, int64_t *ret_ms, struct cric_error **err);

/* The client-side --name and --namespace filters of ps and pods (regular expressions). */
struct cli_name_filter {
        const char *name, *namespace; /* the flag values; NULL: no filter */
        regex_t name_re, namespace_re;
        bool has_name_re, has_namespace_re;
};
/* Compiles the given patterns; the error names the flag. */
int cli_name_filter_compile(struct cli_name_filter *f, struct cric_error **err);
/* Whether name and namespace (NULL: not known) pass the filter. */
bool cli_name_filter_match(const struct cli_name_filter *f, const char *name, const char *namespace);
void cli_name_filter_clear(struct cli_name_filter *f);

/* ContainerStatus of id (a unique prefix works); *ret is a ContainerStatusResponse. */
int cli_container_status(struct cli *cli, const char *id, bool is_verbose, ProtobufCMessage **ret,
                         struct cric_error **err);

/* cmd_pod.c */
/* Reads a pod config as crictl's loadPodSandboxConfig does: metadata with a name and
 * a namespace is required (CRIC_E_INVALID), a missing uid is generated. */
ProtobufCMessage *cli_pod_config_load(const char *path, struct cric_error **err);
/* RunPodSandbox with the pod config at path: *ret_id is the new pod's id (caller
 * frees). Errors read "load podSandboxConfig: ..." or "run pod sandbox: ...". */
int cli_pod_run(struct cli *cli, const char *path, const char *handler, char **ret_id, struct cric_error **err);
int cmd_runp(struct cli *cli, int argc, char **argv, struct cric_error **err);
int cmd_pods(struct cli *cli, int argc, char **argv, struct cric_error **err);
int cmd_inspectp(struct cli *cli, int argc, char **argv, struct cric_error **err);
int cmd_stopp(struct cli *cli, int argc, char **argv, struct cric_error **err);
int cmd_rmp(struct cli *cli, int argc, char **argv, struct cric_error **err);

/* cmd_container.c */
int cmd_create(struct cli *cli, int argc, char **argv, struct cric_error **err);
int cmd_start(struct cli *cli, int argc, char **argv, struct cric_error **err);
int cmd_run(struct cli *cli, int argc, char **argv, struct cric_error **err);
int cmd_ps(struct cli *cli, int argc, char **argv, struct cric_error **err);
int cmd_inspect(struct cli *cli, int argc, char **argv, struct cric_error **err);
int cmd_stop(struct cli *cli, int argc, char **argv, struct cric_error **err);
int cmd_rm(struct cli *cli, int argc, char **argv, struct cric_error **err);
int cmd_exec(struct cli *cli, int argc, char **argv, struct cric_error **err);
int cmd_logs(struct cli *cli, int argc, char **argv, struct cric_error **err);
int cmd_update(struct cli *cli, int argc, char **argv, struct cric_error **err);

/* cmd_stream.c: the verbs that stream through the runtime's streaming server. */
/* exec without --sync: Exec, then the WebSocket session at its URL (stdin with
 * has_stdin, a terminal with is_tty, ended after timeout_s when > 0). The command's
 * exit code becomes cli->exit_code; a failure the runtime reports (not an exit code)
 * is an error with its message. With is_tty, stdin must be a terminal, which is raw
 * for the session's life. */
int cli_exec_stream(struct cli *cli, const char *id, char **cmd, size_t n_cmd, bool has_stdin, bool is_tty,
                    int64_t timeout_s, struct cric_error **err);
int cmd_attach(struct cli *cli, int argc, char **argv, struct cric_error **err);
/* Runs until SIGINT, SIGTERM or SIGHUP; one thread per local connection. */
int cmd_port_forward(struct cli *cli, int argc, char **argv, struct cric_error **err);

/* cmd_stats.c */
int cmd_stats(struct cli *cli, int argc, char **argv, struct cric_error **err);
int cmd_statsp(struct cli *cli, int argc, char **argv, struct cric_error **err);

/* cmd_events.c: GetContainerEvents, printed as they come until SIGINT or SIGTERM. */
int cmd_events(struct cli *cli, int argc, char **argv, struct cric_error **err);

/* A CRI verbose-info value as crictl prints it (parsed JSON object/array, else a string). */
json_object *cli_info_value(const char *s);

/* Parses a command's flags and answers --help. Returns 1 when help was printed (the
 * command is done), 0 to go on, -1 on a usage error. */
int cli_command_parse(const char *name, const char *args_usage, struct cli_flag *flags, size_t n, const bool *is_help,
                      int argc, char **argv, int *ret_nargs, struct cric_error **err);

/* A failure that does not stop a command working through a list: the previous one is
 * printed now, the latest stays in *err for main() to print. */
void cli_keep_error(struct cric_error **err, struct cric_error *e);

/* Bytes one value of a protobuf-c field type takes in a message (or a repeated array). */
size_t cli_proto_value_size(ProtobufCType type);

#endif
