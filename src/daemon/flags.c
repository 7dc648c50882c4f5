/* cricd's command line. Each flag that sets a config value is one row naming its config
 * key; the parser only turns flags into config_overrides and leaves almost all checking
 * to config_load, so a value means the same thing in a file and on the command line. */
#include "daemon/flags.h"

#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

enum flag_kind {
        FLAG_SETTING = 0, /* sets config key `key` */
        FLAG_CONFIG_FILE,
        FLAG_CONFIG_DIR,
        FLAG_HELP,
        FLAG_VERSION,
        FLAG_DEFAULT, /* `config --default` */
        FLAG_REPAIR,  /* `check --repair` */
};

struct flag_desc {
        const char *name; /* long name, without "--" */
        char short_name;  /* 0: none */
        enum flag_kind kind;
        const char *key;     /* FLAG_SETTING: full dotted config key */
        const char *metavar; /* NULL: the flag takes no value */
        const char *help;
};

static const struct flag_desc flags[] = {
        {"config", 'c', FLAG_CONFIG_FILE, NULL, "FILE",
         "configuration file (default " CRIC_DEFAULT_CONFIG_FILE "; must exist when given)"},
        {"config-dir", 'd', FLAG_CONFIG_DIR, NULL, "DIR",
         "drop-in directory, *.conf read in lexical order (default " CRIC_DEFAULT_CONFIG_DIR ")"},
        {"root", 'r', FLAG_SETTING, "cric.root", "DIR", "directory for persistent state"},
        {"runroot", 0, FLAG_SETTING, "cric.runroot", "DIR", "directory for state that ends with a reboot"},
        {"listen", 0, FLAG_SETTING, "cric.api.listen", "PATH", "unix socket of the CRI gRPC server"},
        {"log-level", 'l', FLAG_SETTING, "cric.log_level", "LEVEL", "error, warning, info, debug or trace"},
        {"log-format", 0, FLAG_SETTING, "cric.log_format", "FORMAT", "text or json"},
        {"default-runtime", 0, FLAG_SETTING, "cric.runtime.default_runtime", "NAME",
         "runtime handler used when a pod names none"},
        {"cgroup-manager", 0, FLAG_SETTING, "cric.runtime.cgroup_manager", "MANAGER", "cgroupfs or systemd"},
        {"hooks-dir", 0, FLAG_SETTING, "cric.runtime.hooks_dir", "DIR",
         "directory of OCI hook files; repeat for several"},
        {"cdi-spec-dirs", 0, FLAG_SETTING, "cric.runtime.cdi_spec_dirs", "DIR",
         "directory of CDI specs; repeat for several, later ones win"},
        {"log-size-max", 0, FLAG_SETTING, "cric.runtime.log_size_max", "BYTES",
         "truncate a container log file at this size (negative: no limit)"},
        {"log-journald", 0, FLAG_SETTING, "cric.runtime.log_to_journald", NULL,
         "also send container output to the journal (alone: true; or --log-journald=BOOL)"},
        {"default-capabilities", 0, FLAG_SETTING, "cric.runtime.default_capabilities", "CAP",
         "capability of every container; repeat for several"},
        {"default-sysctls", 0, FLAG_SETTING, "cric.runtime.default_sysctls", "NAME=VALUE",
         "sysctl of every pod; repeat for several"},
        {"default-ulimits", 0, FLAG_SETTING, "cric.runtime.default_ulimits", "NAME=SOFT:HARD",
         "ulimit of every container; repeat for several"},
        {"pids-limit", 0, FLAG_SETTING, "cric.runtime.pids_limit", "N", "pids limit of every container (-1: none)"},
        {"default-mounts-file", 0, FLAG_SETTING, "cric.runtime.default_mounts_file", "FILE",
         "file of /src:/dst binds into every container"},
        {"absent-mount-sources-to-reject", 0, FLAG_SETTING, "cric.runtime.absent_mount_sources_to_reject", "PATH",
         "mount source never created when absent; repeat for several"},
        {"seccomp-profile", 0, FLAG_SETTING, "cric.runtime.seccomp_profile", "FILE",
         "seccomp profile used as RuntimeDefault"},
        {"allowed-devices", 0, FLAG_SETTING, "cric.runtime.allowed_devices", "DEV",
         "host device the Devices annotation may name; repeat for several"},
        {"additional-devices", 0, FLAG_SETTING, "cric.runtime.additional_devices", "HOST[:CTR[:RWM]]",
         "device of every container; repeat for several"},
        {"device-ownership-from-security-context", 0, FLAG_SETTING,
         "cric.runtime.device_ownership_from_security_context", NULL,
         "devices owned by the container's RunAsUser/RunAsGroup (alone: true; or =BOOL)"},
        {"apparmor-profile", 0, FLAG_SETTING, "cric.runtime.apparmor_profile", "NAME",
         "AppArmor profile of RuntimeDefault containers"},
        {"selinux", 0, FLAG_SETTING, "cric.runtime.selinux", NULL,
         "label containers where SELinux is enabled (alone: true; or --selinux=BOOL)"},
        {"insecure-registry", 0, FLAG_SETTING, "cric.image.insecure_registries", "HOST",
         "registry reached without TLS verification (host[:port] or CIDR); repeat for several"},
        {"registries-conf", 0, FLAG_SETTING, "cric.image.registries_conf", "FILE", "registries.conf(5) file"},
        {"signature-policy", 0, FLAG_SETTING, "cric.image.signature_policy", "FILE",
         "signature policy, containers-policy.json(5) (\"\": none)"},
        {"signature-policy-dir", 0, FLAG_SETTING, "cric.image.signature_policy_dir", "DIR",
         "per-namespace signature policies, <dir>/<namespace>.json"},
        {"registries-d", 0, FLAG_SETTING, "cric.image.registries_d", "DIR",
         "registries.d(5) directory: where image signatures are"},
        {"cni-config-dir", 0, FLAG_SETTING, "cric.network.network_dir", "DIR",
         "directory of CNI network configurations"},
        {"cni-default-network", 0, FLAG_SETTING, "cric.network.default_network", "NAME",
         "CNI network pods join (default: the first config)"},
        {"cni-plugin-dir", 0, FLAG_SETTING, "cric.network.plugin_dirs", "DIR",
         "directory of CNI plugins; repeat for several"},
        {"stream-address", 0, FLAG_SETTING, "cric.api.stream_address", "ADDR", "address of the streaming server"},
        {"stream-port", 0, FLAG_SETTING, "cric.api.stream_port", "PORT", "port of the streaming server (0: any)"},
        {"stream-enable-tls", 0, FLAG_SETTING, "cric.api.stream_enable_tls", "BOOL",
         "serve the streaming server over TLS"},
        {"stream-tls-cert", 0, FLAG_SETTING, "cric.api.stream_tls_cert", "FILE",
         "TLS certificate of the streaming server"},
        {"stream-tls-key", 0, FLAG_SETTING, "cric.api.stream_tls_key", "FILE", "TLS key of the streaming server"},
        {"stream-tls-ca", 0, FLAG_SETTING, "cric.api.stream_tls_ca", "FILE",
         "CA certificates that sign the streaming clients' certificates"},
        {"stream-idle-timeout", 0, FLAG_SETTING, "cric.api.stream_idle_timeout", "DURATION",
         "close streaming sessions idle that long (\"\": never)"},
        {"storage-driver", 0, FLAG_SETTING, "cric.storage_driver", "DRIVER",
         "storage driver for layers: overlay, vfs, btrfs (\"\": automatic)"},
        {"storage-opt", 0, FLAG_SETTING, "cric.storage_options", "OPTION",
         "storage driver option, e.g. btrfs.size=10G; repeat for several"},
        {"pause-image", 0, FLAG_SETTING, "cric.image.pause_image", "IMAGE",
         "pause image reported for compatibility (not run)"},
        {"enable-metrics", 0, FLAG_SETTING, "cric.metrics.enable_metrics", NULL,
         "serve Prometheus metrics (alone: true; or --enable-metrics=BOOL)"},
        {"metrics-host", 0, FLAG_SETTING, "cric.metrics.metrics_host", "ADDR", "address of the metrics endpoint"},
        {"metrics-port", 0, FLAG_SETTING, "cric.metrics.metrics_port", "PORT", "port of the metrics endpoint"},
        {"metrics-socket", 0, FLAG_SETTING, "cric.metrics.metrics_socket", "PATH",
         "unix socket that serves the metrics too"},
        {"metrics-cert", 0, FLAG_SETTING, "cric.metrics.metrics_cert", "FILE",
         "TLS certificate of the metrics endpoint"},
        {"metrics-key", 0, FLAG_SETTING, "cric.metrics.metrics_key", "FILE", "TLS key of the metrics endpoint"},
        {"metrics-collectors", 0, FLAG_SETTING, "cric.metrics.metrics_collectors", "NAME",
         "a metric to serve; repeat for several (default: all)"},
        {"help", 'h', FLAG_HELP, NULL, NULL, "print this help and exit"},
        {"version", 'v', FLAG_VERSION, NULL, NULL, "print the version and exit"},
};
#define N_FLAGS (sizeof(flags) / sizeof(flags[0]))

/* Only valid after the `config` subcommand, so kept out of the global table. */
static const struct flag_desc default_flag = {
        "default", 0, FLAG_DEFAULT, NULL, NULL, "print the built-in defaults instead of the configuration in effect"};

/* Only valid after the `check` subcommand. */
static const struct flag_desc repair_flag = {
        "repair", 0, FLAG_REPAIR, NULL, NULL, "remove damaged layers, the images using them and orphan directories"};

static const struct flag_desc *find_flag(const char *name, size_t len, bool is_long, bool after_config,
                                         bool after_check) {
        for (size_t i = 0; i < N_FLAGS; i++) {
                const struct flag_desc *f = &flags[i];
                if (is_long ? strlen(f->name) == len && !strncmp(f->name, name, len)
                            : len == 1 && f->short_name && f->short_name == name[0])
                        return f;
        }
        if (after_config && is_long && len == strlen(default_flag.name) && !strncmp(default_flag.name, name, len))
                return &default_flag;
        if (after_check && is_long && len == strlen(repair_flag.name) && !strncmp(repair_flag.name, name, len))
                return &repair_flag;
        return NULL;
}

struct parse_state {
        struct daemon_flags f;
        size_t cap_settings;
        bool has_subcommand, want_help, want_version;
};

static void add_setting(struct parse_state *st, const char *key, const char *value) {
        struct config_overrides *ov = &st->f.ov;
        ov->settings = xgrow(ov->settings, &st->cap_settings, ov->n_settings + 1, sizeof(*ov->settings));
        ov->settings[ov->n_settings++] = (struct config_setting){.key = key, .value = value};
}

/* The one value checked here: a bad log level would otherwise only show up after the
 * files are read, and the log level decides what the loading itself logs. */
static int check_value(const struct flag_desc *f, const char *spelled, const char *value, struct cric_error **err) {
        if (f->kind == FLAG_SETTING && !strcmp(f->key, "cric.log_level") &&
            log_level_from_string(value) == LOG_LEVEL_INVALID)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "invalid value \"%s\" for %s: expected error, warning, info, debug or trace",
                                      value, spelled);
        if (f->kind == FLAG_SETTING && !strcmp(f->key, "cric.log_format") &&
            log_format_from_string(value) == LOG_FORMAT_INVALID)
                return cric_error_set(err, CRIC_E_INVALID, "invalid value \"%s\" for %s: expected text or json", value,
                                      spelled);
        if ((f->kind == FLAG_CONFIG_FILE || f->kind == FLAG_CONFIG_DIR) && !*value)
                return cric_error_set(err, CRIC_E_INVALID, "%s needs a non-empty value", spelled);
        return 0;
}

static void apply_flag(struct parse_state *st, const struct flag_desc *f, const char *value) {
        switch (f->kind) {
        case FLAG_SETTING: add_setting(st, f->key, value); break;
        case FLAG_CONFIG_FILE: st->f.ov.config_file = value; break;
        case FLAG_CONFIG_DIR: st->f.ov.config_dir = value; break;
        case FLAG_HELP: st->want_help = true; break;
        case FLAG_VERSION: st->want_version = true; break;
        case FLAG_DEFAULT: st->f.config_default = true; break;
        case FLAG_REPAIR: st->f.check_repair = true; break;
        }
}

/* Handles argv[*i], a flag; consumes its value from argv[*i + 1] when it has no "=". */
static int parse_flag(struct parse_state *st, int argc, char **argv, int *i, struct cric_error **err) {
        const char *arg = argv[*i];
        bool is_long = arg[1] == '-';
        const char *name = arg + (is_long ? 2 : 1);
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t) (eq - name) : strlen(name);
        bool after_config = st->has_subcommand && st->f.command == DAEMON_CMD_CONFIG;
        bool after_check = st->has_subcommand && st->f.command == DAEMON_CMD_CHECK;
        const struct flag_desc *f = find_flag(name, len, is_long, after_config, after_check);
        if (!f)
                return cric_error_set(err, CRIC_E_INVALID, "unknown flag %.*s", (int) (len + (size_t) (name - arg)),
                                      arg);
        AUTOFREE char *spelled = xstrndup(arg, len + (size_t) (name - arg));
        const char *value = NULL;
        if (!f->metavar && f->kind == FLAG_SETTING) { /* a switch: --flag or --flag=BOOL */
                value = eq ? eq + 1 : "true";
        } else if (!f->metavar) {
                if (eq)
                        return cric_error_set(err, CRIC_E_INVALID, "flag %s takes no value", spelled);
        } else if (eq) {
                value = eq + 1;
        } else {
                if (*i + 1 >= argc)
                        return cric_error_set(err, CRIC_E_INVALID, "flag %s needs a value (%s)", spelled, f->metavar);
                value = argv[++*i];
        }
        if (value && check_value(f, spelled, value, err) < 0)
                return -1;
        apply_flag(st, f, value);
        return 0;
}

static int parse_subcommand(struct parse_state *st, const char *arg, struct cric_error **err) {
        static const struct {
                const char *name;
                enum daemon_command cmd;
        } cmds[] = {{"config", DAEMON_CMD_CONFIG},
                    {"version", DAEMON_CMD_VERSION},
                    {"help", DAEMON_CMD_HELP},
                    {"check", DAEMON_CMD_CHECK}};
        if (st->has_subcommand)
                return cric_error_set(err, CRIC_E_INVALID, "unexpected argument \"%s\"", arg);
        for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
                if (!strcmp(arg, cmds[i].name)) {
                        st->f.command = cmds[i].cmd;
                        st->has_subcommand = true;
                        return 0;
                }
        }
        return cric_error_set(err, CRIC_E_INVALID, "unknown command \"%s\"", arg);
}

int daemon_flags_parse(int argc, char **argv, struct daemon_flags *ret, struct cric_error **err) {
        struct parse_state st = {.f = {.command = DAEMON_CMD_RUN}};
        bool only_args = false;
        for (int i = 1; i < argc; i++) {
                const char *arg = argv[i];
                int r;
                if (!only_args && !strcmp(arg, "--"))
                        only_args = true, r = 0;
                else if (!only_args && arg[0] == '-' && arg[1] != '\0')
                        r = parse_flag(&st, argc, argv, &i, err);
                else
                        r = parse_subcommand(&st, arg, err);
                if (r < 0) {
                        daemon_flags_clear(&st.f);
                        return -1;
                }
        }
        /* --help and --version win over a subcommand, as with most tools. */
        if (st.want_help)
                st.f.command = DAEMON_CMD_HELP;
        else if (st.want_version)
                st.f.command = DAEMON_CMD_VERSION;
        *ret = st.f;
        return 0;
}

void daemon_flags_clear(struct daemon_flags *f) {
        if (!f)
                return;
        free(f->ov.settings);
        *f = (struct daemon_flags){.command = DAEMON_CMD_RUN};
}

static void usage_flag(const struct flag_desc *f, FILE *out) {
        char left[64];
        snprintf(left, sizeof(left), "%c%c%s--%s%s%s", f->short_name ? '-' : ' ', f->short_name ? f->short_name : ' ',
                 f->short_name ? ", " : "  ", f->name, f->metavar ? " " : "", f->metavar ? f->metavar : "");
        if (f->key)
                fprintf(out, "  %-30s %s [%s]\n", left, f->help, f->key);
        else
                fprintf(out, "  %-30s %s\n", left, f->help);
}

void daemon_flags_usage(FILE *out) {
        fputs("Usage: cricd [FLAG]... [COMMAND]\n"
              "\n"
              "cric, a Kubernetes container runtime (CRI) daemon. Flags override the\n"
              "configuration files; the config key each one sets is shown in brackets.\n"
              "\n"
              "Commands:\n"
              "  (none)                         serve the CRI\n"
              "  config [--default]             print the configuration in effect (or the\n"
              "                                 built-in defaults) as commented TOML\n"
              "  check [--repair]               verify the layer store against the database\n"
              "                                 (cricd stopped); exit 1 when problems remain\n"
              "  version                        print the version\n"
              "  help                           print this help\n"
              "\n"
              "Flags (--flag VALUE or --flag=VALUE):\n",
              out);
        for (size_t i = 0; i < N_FLAGS; i++)
                usage_flag(&flags[i], out);
}
