/* cricctl: a CRI client with crictl's command line.
 *
 * `cricctl [global options] command [command options] [arguments...]`. A command is a
 * row of the table below plus its cmd_* function; global flags come before it, as in
 * crictl (urfave/cli). */
#include <ctype.h>
#include <errno.h>
#include <math.h> /* isfinite() only: no libm needed */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

struct cli_command {
        const char *name;
        const char *summary;
        int (*run)(struct cli *cli, int argc, char **argv, struct cric_error **err);
};

static int cmd_help(struct cli *cli, int argc, char **argv, struct cric_error **err);

/* Sorted by name as crictl lists them, help last. A new command is a new row. */
static const struct cli_command commands[] = {
        {"attach", "Attach to a running container", cmd_attach},
        {"create", "Create a new container", cmd_create},
        {"events", "Stream the events of containers", cmd_events},
        {"exec", "Run a command in a running container", cmd_exec},
        {"imagefsinfo", "Return image filesystem info", cmd_imagefsinfo},
        {"images", "List images", cmd_images},
        {"info", "Display information of the container runtime", cmd_info},
        {"inspect", "Display the status of one or more containers", cmd_inspect},
        {"inspecti", "Return the status of one or more images", cmd_inspecti},
        {"inspectp", "Display the status of one or more pods", cmd_inspectp},
        {"logs", "Fetch the logs of a container", cmd_logs},
        {"pods", "List pods", cmd_pods},
        {"port-forward", "Forward local port to a pod", cmd_port_forward},
        {"ps", "List containers", cmd_ps},
        {"pull", "Pull an image from a registry", cmd_pull},
        {"rm", "Remove one or more containers", cmd_rm},
        {"rmi", "Remove one or more images", cmd_rmi},
        {"rmp", "Remove one or more pods", cmd_rmp},
        {"run", "Run a new container inside a sandbox", cmd_run},
        {"runp", "Run a new pod", cmd_runp},
        {"runtime-config", "Retrieve the container runtime configuration", cmd_runtime_config},
        {"start", "Start one or more created containers", cmd_start},
        {"stats", "List container(s) resource usage statistics", cmd_stats},
        {"statsp", "List pod(s) resource usage statistics", cmd_statsp},
        {"stop", "Stop one or more running containers", cmd_stop},
        {"stopp", "Stop one or more running pods", cmd_stopp},
        {"update", "Update one or more running containers", cmd_update},
        {"version", "Display runtime version information", cmd_version},
        {"help", "Shows a list of commands or help for one command", cmd_help},
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct cli_command *command_find(const char *name) {
        for (size_t i = 0; i < N_COMMANDS; i++)
                if (!strcmp(commands[i].name, name))
                        return &commands[i];
        if (!strcmp(name, "h"))
                return command_find("help");
        if (!strcmp(name, "event")) /* crictl's alias */
                return command_find("events");
        return NULL;
}

/* ---- flags ---- */

static const struct cli_flag *flag_find_long(const struct cli_flag *flags, size_t n, const char *name, size_t len) {
        for (size_t i = 0; i < n; i++)
                if (strlen(flags[i].long_name) == len && !strncmp(flags[i].long_name, name, len))
                        return &flags[i];
        return NULL;
}

static const struct cli_flag *flag_find_short(const struct cli_flag *flags, size_t n, char c) {
        for (size_t i = 0; i < n && c; i++)
                if (flags[i].short_name == c)
                        return &flags[i];
        return NULL;
}

static int flag_set(const struct cli_flag *f, const char *value, struct cric_error **err) {
        if (f->kind == CLI_FLAG_INT64) {
                char *end;
                errno = 0;
                long long v = strtoll(value, &end, 10);
                if (!*value || *end || errno)
                        return cric_error_set(err, CRIC_E_INVALID, "invalid value \"%s\" for flag --%s", value,
                                              f->long_name);
                *(int64_t *) f->value = v;
                return 0;
        }
        if (f->kind == CLI_FLAG_STRING) {
                *(const char **) f->value = value;
                return 0;
        }
        if (f->kind == CLI_FLAG_STRING_LIST) {
                struct cli_string_list *l = f->value;
                l->items = xgrow(l->items, &l->cap, l->n + 1, sizeof(*l->items));
                l->items[l->n++] = value;
                return 0;
        }
        if (!value || !strcmp(value, "true") || !strcmp(value, "1")) {
                *(bool *) f->value = true;
        } else if (!strcmp(value, "false") || !strcmp(value, "0")) {
                *(bool *) f->value = false;
        } else {
                return cric_error_set(err, CRIC_E_INVALID, "invalid boolean value \"%s\" for flag --%s", value,
                                      f->long_name);
        }
        return 0;
}

/* -abc: bool flags a, b and c; or -ovalue: string flag o with "value". */
static int parse_short(const struct cli_flag *flags, size_t n, const char *a, const struct cli_flag **ret_pending,
                       struct cric_error **err) {
        for (const char *p = a + 1; *p; p++) {
                const struct cli_flag *f = flag_find_short(flags, n, *p);
                if (!f)
                        return cric_error_set(err, CRIC_E_INVALID, "unknown flag -%c", *p);
                if (f->kind == CLI_FLAG_BOOL) {
                        if (p[1] == '=')
                                return flag_set(f, p + 2, err);
                        flag_set(f, NULL, err);
                        continue;
                }
                if (p[1])
                        return flag_set(f, p[1] == '=' ? p + 2 : p + 1, err);
                *ret_pending = f; /* its value is the next argument */
                return 0;
        }
        return 0;
}

/* One argument starting with '-'; *i moves past a value taken from the next one. */
static int parse_flag(const struct cli_flag *flags, size_t n, int argc, char **argv, int *i, struct cric_error **err) {
        const char *a = argv[*i];
        const char *name = a + (a[1] == '-' ? 2 : 1), *eq = strchr(name, '=');
        size_t len = eq ? (size_t) (eq - name) : strlen(name);
        /* Like Go's flag package, -name works as well as --name. */
        const struct cli_flag *f = flag_find_long(flags, n, name, len);
        if (!f && a[1] == '-')
                return cric_error_set(err, CRIC_E_INVALID, "unknown flag --%.*s", (int) len, name);
        if (!f) {
                const struct cli_flag *pending = NULL;
                if (parse_short(flags, n, a, &pending, err) < 0)
                        return -1;
                if (!pending)
                        return 0;
                f = pending;
        } else if (eq || f->kind == CLI_FLAG_BOOL) {
                return flag_set(f, eq ? eq + 1 : NULL, err);
        }
        if (*i + 1 >= argc)
                return cric_error_set(err, CRIC_E_INVALID, "flag needs an argument: --%s", f->long_name);
        return flag_set(f, argv[++*i], err);
}

int cli_flags_parse(const struct cli_flag *flags, size_t n, int argc, char **argv, bool stop_at_positional,
                    int *ret_nargs, struct cric_error **err) {
        int nargs = 0, i = 0;
        for (; i < argc; i++) {
                const char *a = argv[i];
                if (!strcmp(a, "--")) {
                        i++;
                        break;
                }
                if (a[0] != '-' || a[1] == '\0') { /* "-" alone is an argument (stdin) */
                        if (stop_at_positional)
                                break;
                        argv[nargs++] = argv[i];
                        continue;
                }
                if (parse_flag(flags, n, argc, argv, &i, err) < 0)
                        return -1;
        }
        /* Positional arguments are compacted in place: nargs never passes i. */
        for (; i < argc; i++)
                argv[nargs++] = argv[i];
        *ret_nargs = nargs;
        return 0;
}

static char *flag_label(const struct cli_flag *f) {
        const char *arg = f->kind != CLI_FLAG_BOOL ? (f->arg_name ? f->arg_name : "value") : NULL;
        if (f->short_name && arg)
                return xasprintf("--%s %s, -%c %s", f->long_name, arg, f->short_name, arg);
        if (f->short_name)
                return xasprintf("--%s, -%c", f->long_name, f->short_name);
        return arg ? xasprintf("--%s %s", f->long_name, arg) : xasprintf("--%s", f->long_name);
}

void cli_flags_usage(FILE *out, const struct cli_flag *flags, size_t n) {
        size_t width = 0;
        for (size_t i = 0; i < n; i++) {
                AUTOFREE char *label = flag_label(&flags[i]);
                width = strlen(label) > width ? strlen(label) : width;
        }
        for (size_t i = 0; i < n; i++) {
                AUTOFREE char *label = flag_label(&flags[i]);
                fprintf(out, "   %-*s  %s\n", (int) width, label, flags[i].help);
        }
}

void cli_command_usage(FILE *out, const char *name, const char *args_usage, const struct cli_flag *flags, size_t n) {
        const struct cli_command *c = command_find(name);
        fprintf(out, "NAME:\n   cricctl %s - %s\n\n", name, c ? c->summary : "");
        fprintf(out, "USAGE:\n   cricctl %s%s%s%s\n", name, n ? " [command options]" : "", args_usage ? " " : "",
                args_usage ? args_usage : "");
        if (n) {
                fputs("\nOPTIONS:\n", out);
                cli_flags_usage(out, flags, n);
        }
}

/* ---- values ---- */

static const char *const output_names[CLI_OUTPUT_MAX] = {
        [CLI_OUTPUT_DEFAULT] = "default",
        [CLI_OUTPUT_TABLE] = "table",
        [CLI_OUTPUT_JSON] = "json",
        [CLI_OUTPUT_YAML] = "yaml",
};

enum cli_output cli_output_from_string(const char *s) {
        for (int i = CLI_OUTPUT_TABLE; s && i < CLI_OUTPUT_MAX; i++)
                if (!strcmp(s, output_names[i]))
                        return (enum cli_output) i;
        return CLI_OUTPUT_INVALID;
}

int cli_output_pick(const struct cli *cli, const char *flag_value, enum cli_output def, unsigned allowed,
                    enum cli_output *ret, struct cric_error **err) {
        enum cli_output o = def;
        if (flag_value) {
                o = cli_output_from_string(flag_value);
                if (o == CLI_OUTPUT_INVALID)
                        return cric_error_set(err, CRIC_E_INVALID, "unsupported output format \"%s\"", flag_value);
        } else if (cli->output != CLI_OUTPUT_DEFAULT) {
                o = cli->output;
        }
        if (allowed & CLI_OUTPUT_BIT(o)) {
                *ret = o;
                return 0;
        }
        char choices[64] = "";
        for (int i = CLI_OUTPUT_TABLE; i < CLI_OUTPUT_MAX; i++)
                if (allowed & CLI_OUTPUT_BIT(i))
                        snprintf(choices + strlen(choices), sizeof(choices) - strlen(choices), "%s%s",
                                 *choices ? "|" : "", output_names[i]);
        return cric_error_set(err, CRIC_E_INVALID, "unsupported output format \"%s\" (one of: %s)", output_names[o],
                              choices);
}

static double duration_unit_ms(const char *u, size_t len) {
        static const struct {
                const char *name;
                double ms;
        } units[] = {
                {"ns", 1e-6}, {"us", 1e-3}, {"\xc2\xb5s", 1e-3}, {"\xce\xbcs", 1e-3},
                {"ms", 1},    {"s", 1000},  {"m", 60000},        {"h", 3600000},
        };
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
                if (strlen(units[i].name) == len && !strncmp(units[i].name, u, len))
                        return units[i].ms;
        return -1;
}

/* Reads "12", "1.5" or ".5" (not strtod's exponents or hex); -1 if p holds none. */
static double duration_number(const char **p) {
        const char *q = *p;
        size_t int_digits = strspn(q, "0123456789"), frac_digits = 0;
        q += int_digits;
        if (*q == '.') {
                frac_digits = strspn(q + 1, "0123456789");
                q += 1 + frac_digits;
        }
        char buf[64];
        if (int_digits + frac_digits == 0 || (size_t) (q - *p) >= sizeof(buf))
                return -1;
        memcpy(buf, *p, (size_t) (q - *p));
        buf[q - *p] = '\0';
        *p = q;
        return strtod(buf, NULL);
}

int cli_duration_parse(const char *s, int64_t *ret_ms, struct cric_error **err) {
        const char *p = s;
        double total = 0;
        if (!*p)
                goto bad;
        while (*p) {
                bool is_first = p == s;
                double v = duration_number(&p);
                if (v < 0)
                        goto bad;
                if (is_first && !*p) { /* a bare number: seconds */
                        total = v * 1000;
                        break;
                }
                size_t len = 0;
                while (p[len] && !isdigit((unsigned char) p[len]) && p[len] != '.')
                        len++;
                double unit = duration_unit_ms(p, len);
                if (unit < 0)
                        goto bad;
                total += v * unit;
                p += len;
        }
        if (!isfinite(total) || total > 1e15)
                goto bad;
        /* Round up so a tiny positive timeout does not become "no deadline". */
        *ret_ms = (int64_t) total;
        if ((double) *ret_ms < total)
                (*ret_ms)++;
        return 0;
bad:
        return cric_error_set(err, CRIC_E_INVALID, "invalid duration \"%s\" (examples: 2s, 500ms, 1m30s)", s);
}

/* ---- global level ---- */

struct global_opts {
        const char *runtime_endpoint;
        const char *image_endpoint;
        const char *timeout;
        const char *output;
        bool is_debug;
        bool is_help;
        bool is_version;
};

#define N_GLOBAL_FLAGS 7

static void global_flags(struct global_opts *o, struct cli_flag ret[N_GLOBAL_FLAGS]) {
        const struct cli_flag flags[N_GLOBAL_FLAGS] = {
                {"runtime-endpoint", 'r', CLI_FLAG_STRING, &o->runtime_endpoint, "ENDPOINT",
                 "Endpoint of CRI container runtime service (default: " CLI_DEFAULT_ENDPOINT
                 ") [$CONTAINER_RUNTIME_ENDPOINT]"},
                {"image-endpoint", 'i', CLI_FLAG_STRING, &o->image_endpoint, "ENDPOINT",
                 "Endpoint of CRI image manager service (default: the runtime endpoint) [$IMAGE_SERVICE_ENDPOINT]"},
                {"timeout", 't', CLI_FLAG_STRING, &o->timeout, "DURATION",
                 "Timeout of connecting to the server and of each call (default: 2s)"},
                {"debug", 'D', CLI_FLAG_BOOL, &o->is_debug, NULL, "Enable debug mode"},
                {"output", 'o', CLI_FLAG_STRING, &o->output, "FORMAT",
                 "Default output format for every command: json|yaml|table"},
                {"help", 'h', CLI_FLAG_BOOL, &o->is_help, NULL, "show help"},
                {"version", 'v', CLI_FLAG_BOOL, &o->is_version, NULL, "print the version"},
        };
        memcpy(ret, flags, sizeof(flags));
}

static void commands_usage(FILE *out) {
        fputs("COMMANDS:\n", out);
        for (size_t i = 0; i < N_COMMANDS; i++)
                fprintf(out, "   %-16s %s\n", strcmp(commands[i].name, "help") ? commands[i].name : "help, h",
                        commands[i].summary);
}

static void app_usage(FILE *out) {
        struct global_opts dummy = {0};
        struct cli_flag flags[N_GLOBAL_FLAGS];
        global_flags(&dummy, flags);
        fputs("NAME:\n   cricctl - client for CRI\n\n"
              "USAGE:\n   cricctl [global options] command [command options] [arguments...]\n\n",
              out);
        fprintf(out, "VERSION:\n   %s\n\n", CRIC_VERSION);
        commands_usage(out);
        fputs("\nGLOBAL OPTIONS:\n", out);
        cli_flags_usage(out, flags, N_GLOBAL_FLAGS);
}

static int cmd_help(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        if (argc < 2) {
                app_usage(stdout);
                return 0;
        }
        const struct cli_command *c = command_find(argv[1]);
        if (!c)
                return cric_error_set(err, CRIC_E_INVALID, "no help topic for \"%s\"", argv[1]);
        if (c->run == cmd_help) {
                app_usage(stdout);
                return 0;
        }
        char *help_argv[] = {(char *) c->name, (char *) "--help", NULL};
        return c->run(cli, 2, help_argv, err);
}

/* Applies the global options to cli. */
static int setup(struct cli *cli, const struct global_opts *o, struct cric_error **err) {
        log_set_level(o->is_debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN);
        cli->is_debug = o->is_debug;
        cli->timeout_ms = CLI_DEFAULT_TIMEOUT_MS;
        cli->has_timeout = o->timeout != NULL;
        if (o->timeout && cli_duration_parse(o->timeout, &cli->timeout_ms, err) < 0)
                return cric_error_prefix(err, "--timeout");
        if (o->output) {
                cli->output = cli_output_from_string(o->output);
                if (cli->output == CLI_OUTPUT_INVALID)
                        return cric_error_set(err, CRIC_E_INVALID, "--output: unsupported output format \"%s\"",
                                              o->output);
        }
        return cli_endpoints_set(cli, o->runtime_endpoint, o->image_endpoint, err);
}

static int run(int argc, char **argv, struct cric_error **err) {
        struct global_opts o = {0};
        struct cli_flag flags[N_GLOBAL_FLAGS];
        global_flags(&o, flags);
        int nargs;
        if (cli_flags_parse(flags, N_GLOBAL_FLAGS, argc, argv, true, &nargs, err) < 0)
                return -1;
        if (o.is_version) {
                printf("cricctl version %s\n", CRIC_VERSION);
                return 0;
        }
        if (o.is_help || nargs == 0) {
                app_usage(stdout);
                return 0;
        }
        const struct cli_command *c = command_find(argv[0]);
        if (!c) {
                fprintf(stderr, "cricctl: unknown command \"%s\"\n\n", argv[0]);
                commands_usage(stderr);
                return -2; /* already reported */
        }
        struct cli cli = {0};
        int r = setup(&cli, &o, err);
        if (r >= 0)
                r = c->run(&cli, nargs, argv, err);
        if (r >= 0)
                r = cli.exit_code;
        cli_clear(&cli);
        return r;
}

int main(int argc, char **argv) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        int r = run(argc - 1, argv + 1, &err);
        if (r >= 0)
                return r;
        if (err)
                fprintf(stderr, "cricctl: %s\n", err->msg);
        return 1;
}

int cli_command_parse(const char *name, const char *args_usage, struct cli_flag *flags, size_t n, const bool *is_help,
                      int argc, char **argv, int *ret_nargs, struct cric_error **err) {
        if (cli_flags_parse(flags, n, argc - 1, argv + 1, false, ret_nargs, err) < 0)
                return cric_error_prefix(err, "%s", name);
        if (*is_help) {
                cli_command_usage(stdout, name, args_usage, flags, n);
                return 1;
        }
        return 0;
}

void cli_keep_error(struct cric_error **err, struct cric_error *e) {
        fflush(stdout); /* keeps output and errors in order when both go to one file */
        if (err && *err)
                fprintf(stderr, "cricctl: %s\n", (*err)->msg);
        cric_error_move(err, &e);
}

/* ---- values shared by commands ---- */

int cli_labels_to_entries(const struct cli_string_list *labels, const ProtobufCMessageDescriptor *entry_desc,
                          ProtobufCMessage ***ret_entries, size_t *ret_n, struct cric_error **err) {
        ProtobufCMessage **entries = xcalloc(labels->n + 1, sizeof(*entries));
        const ProtobufCFieldDescriptor *key = &entry_desc->fields[0], *value = &entry_desc->fields[1];
        for (size_t i = 0; i < labels->n; i++) {
                const char *kv = labels->items[i], *eq = strchr(kv, '=');
                if (!eq || strchr(eq + 1, '=')) { /* Go's strings.Split must give two parts */
                        cli_entries_free(entries, i);
                        return cric_error_set(err, CRIC_E_INVALID, "incorrectly specified label: %s", kv);
                }
                ProtobufCMessage *e = entries[i] = xmalloc(entry_desc->sizeof_message);
                protobuf_c_message_init(entry_desc, e);
                *(char **) ((char *) e + key->offset) = xstrndup(kv, (size_t) (eq - kv));
                *(char **) ((char *) e + value->offset) = xstrdup(eq + 1);
        }
        *ret_entries = entries;
        *ret_n = labels->n;
        return 0;
}

void cli_entries_free(ProtobufCMessage **entries, size_t n) {
        for (size_t i = 0; entries && i < n; i++)
                protobuf_c_message_free_unpacked(entries[i], NULL);
        free(entries);
}

int cli_regex_compile(const char *pattern, regex_t *re, bool *ret_has, struct cric_error **err) {
        if (!pattern || !*pattern)
                return 0;
        int r = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
        if (r != 0) {
                char msg[128];
                regerror(r, re, msg, sizeof(msg));
                return cric_error_set(err, CRIC_E_INVALID, "invalid regular expression \"%s\": %s", pattern, msg);
        }
        *ret_has = true;
        return 0;
}

size_t cli_truncate_count(size_t total, bool is_latest, int64_t last) {
        size_t n = total;
        if (is_latest)
                n = 1;
        if (last > 0)
                n = (size_t) last;
        return n < total ? n : total;
}
