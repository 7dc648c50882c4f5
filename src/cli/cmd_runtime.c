/* Commands about the runtime itself: version, info, runtime-config. */
#include <string.h>

#include "cli/cli.h"
#include "cri.pb-c.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define RUNTIME_SERVICE "/runtime.v1.RuntimeService/"
#define CRI_API_VERSION "v1"
#define N_FLAGS(f)      (sizeof(f) / sizeof((f)[0]))

/* The part every command shares: parse flags, answer --help, refuse arguments. Returns
 * 1 when help was printed (the command is done), 0 to go on, -1 on a usage error. */
static int parse_no_args(const char *name, struct cli_flag *flags, size_t n, const bool *is_help, int argc, char **argv,
                         struct cric_error **err) {
        int nargs;
        int r = cli_command_parse(name, NULL, flags, n, is_help, argc, argv, &nargs, err);
        if (r != 0)
                return r;
        if (nargs > 0)
                return cric_error_set(err, CRIC_E_INVALID, "%s: unexpected argument \"%s\" (see 'cricctl %s --help')",
                                      name, argv[1], name);
        return 0;
}

/* ---- version ---- */

int cmd_version(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        const char *output = NULL;
        bool is_help = false;
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &is_help, NULL, "show help"},
                {"output", 'o', CLI_FLAG_STRING, &output, "FORMAT",
                 "Output format, One of: json|yaml|table (default: table)"},
        };
        int r = parse_no_args("version", flags, N_FLAGS(flags), &is_help, argc, argv, err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        enum cli_output fmt;
        unsigned allowed =
                CLI_OUTPUT_BIT(CLI_OUTPUT_TABLE) | CLI_OUTPUT_BIT(CLI_OUTPUT_JSON) | CLI_OUTPUT_BIT(CLI_OUTPUT_YAML);
        if (cli_output_pick(cli, output, CLI_OUTPUT_TABLE, allowed, &fmt, err) < 0)
                return cric_error_prefix(err, "version");

        Runtime__V1__VersionRequest req = RUNTIME__V1__VERSION_REQUEST__INIT;
        req.version = (char *) CRI_API_VERSION;
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        r = cli_call(cli, RUNTIME_SERVICE "Version", &req.base, &runtime__v1__version_response__descriptor, &msg, err);
        if (r < 0)
                return -1;
        if (fmt != CLI_OUTPUT_TABLE) {
                cli_print_proto(stdout, msg, fmt);
                return 0;
        }
        const Runtime__V1__VersionResponse *resp = (const Runtime__V1__VersionResponse *) msg;
        /* crictl's fmt.Println("Version: ", v) puts two spaces after the colon. */
        printf("Version:  %s\n", resp->version);
        printf("RuntimeName:  %s\n", resp->runtime_name);
        printf("RuntimeVersion:  %s\n", resp->runtime_version);
        printf("RuntimeApiVersion:  %s\n", resp->runtime_api_version);
        return 0;
}

/* ---- info ---- */

/* An info value as crictl shows it: JSON objects and arrays parsed, anything else as a
 * string with its surrounding double quotes trimmed. */
/* crictl info's document: status (protojson), runtimeHandlers and features (Go's
 * encoding/json: snake_case names, zero values left out), then every info key; all
 * keys sorted, as crictl builds it from Go maps. */
static json_object *info_json(const Runtime__V1__StatusResponse *r) {
        AUTOJSON json_object *o = jx_object();
        if (r->status)
                jx_add(o, "status", cli_proto_to_json(&r->status->base, CLI_JSON_CRICTL));
        if (r->n_runtime_handlers > 0) {
                json_object *a = json_must(json_object_new_array_ext((int) r->n_runtime_handlers));
                for (size_t i = 0; i < r->n_runtime_handlers; i++)
                        jx_append(a, cli_proto_to_json(&r->runtime_handlers[i]->base, CLI_JSON_PROTO_NAMES));
                jx_add(o, "runtimeHandlers", a);
        }
        if (r->features)
                jx_add(o, "features", cli_proto_to_json(&r->features->base, CLI_JSON_PROTO_NAMES));
        for (size_t i = 0; i < r->n_info; i++)
                jx_add(o, r->info[i]->key, cli_info_value(r->info[i]->value));
        return cli_json_sorted(o);
}

int cmd_info(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        const char *output = NULL;
        bool is_help = false, is_quiet = false;
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &is_help, NULL, "show help"},
                {"output", 'o', CLI_FLAG_STRING, &output, "FORMAT", "Output format, One of: json|yaml (default: json)"},
                {"quiet", 'q', CLI_FLAG_BOOL, &is_quiet, NULL, "Do not show verbose information"},
        };
        int r = parse_no_args("info", flags, N_FLAGS(flags), &is_help, argc, argv, err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        enum cli_output fmt;
        unsigned allowed = CLI_OUTPUT_BIT(CLI_OUTPUT_JSON) | CLI_OUTPUT_BIT(CLI_OUTPUT_YAML);
        if (cli_output_pick(cli, output, CLI_OUTPUT_JSON, allowed, &fmt, err) < 0)
                return cric_error_prefix(err, "info");

        Runtime__V1__StatusRequest req = RUNTIME__V1__STATUS_REQUEST__INIT;
        req.verbose = !is_quiet;
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        r = cli_call(cli, RUNTIME_SERVICE "Status", &req.base, &runtime__v1__status_response__descriptor, &msg, err);
        if (r < 0)
                return -1;
        AUTOJSON json_object *doc = info_json((const Runtime__V1__StatusResponse *) msg);
        cli_print_json_as(stdout, doc, fmt);
        return 0;
}

/* ---- runtime-config ---- */

int cmd_runtime_config(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        const char *output = NULL;
        bool is_help = false;
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &is_help, NULL, "show help"},
                {"output", 'o', CLI_FLAG_STRING, &output, "FORMAT",
                 "Output format, One of: json|yaml|table (default: table)"},
        };
        int r = parse_no_args("runtime-config", flags, N_FLAGS(flags), &is_help, argc, argv, err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        enum cli_output fmt;
        unsigned allowed =
                CLI_OUTPUT_BIT(CLI_OUTPUT_TABLE) | CLI_OUTPUT_BIT(CLI_OUTPUT_JSON) | CLI_OUTPUT_BIT(CLI_OUTPUT_YAML);
        if (cli_output_pick(cli, output, CLI_OUTPUT_TABLE, allowed, &fmt, err) < 0)
                return cric_error_prefix(err, "runtime-config");

        Runtime__V1__RuntimeConfigRequest req = RUNTIME__V1__RUNTIME_CONFIG_REQUEST__INIT;
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        const ProtobufCMessageDescriptor *desc = &runtime__v1__runtime_config_response__descriptor;
        r = cli_call(cli, RUNTIME_SERVICE "RuntimeConfig", &req.base, desc, &msg, err);
        if (r < 0)
                return -1;
        if (fmt != CLI_OUTPUT_TABLE) {
                cli_print_proto(stdout, msg, fmt);
                return 0;
        }
        const Runtime__V1__RuntimeConfigResponse *resp = (const Runtime__V1__RuntimeConfigResponse *) msg;
        CLEANUP(cli_table_freep) struct cli_table *t = cli_table_new(10, 3); /* crictl's tabwriter settings */
        if (resp->linux) {
                const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
                        &runtime__v1__cgroup_driver__descriptor, (int) resp->linux->cgroup_driver);
                cli_table_add_row(t, "cgroup driver:", v ? v->name : "UNKNOWN", NULL);
        }
        cli_table_print(t, stdout);
        return 0;
}
