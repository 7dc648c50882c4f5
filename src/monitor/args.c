/* cric-monitor's command line (see protocol.h for the meaning of each option). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/internal.h"
#include "util/strv.h"

enum {
        OPT_BUNDLE = 256,
        OPT_RUNTIME,
        OPT_RUNTIME_ROOT,
        OPT_RUNTIME_ARG,
        OPT_LOG_PATH,
        OPT_LOG_SIZE_MAX,
        OPT_EXIT_DIR,
        OPT_SOCKET_DIR,
        OPT_PID_FILE,
        OPT_SYNC_FD,
        OPT_RUNTIME_FD,
        OPT_STDIN_ONCE,
        OPT_CGROUP_PATH,
        OPT_EXEC,
        OPT_EXEC_PROCESS,
        OPT_TIMEOUT,
        OPT_LOG_LEVEL,
        OPT_VERSION_CHECK,
        OPT_LOG_JOURNALD,
        OPT_NAME,
        OPT_POD_NAME,
        OPT_POD_NAMESPACE,
};

static const struct option long_options[] = {
        {"cid", required_argument, NULL, 'c'},
        {"bundle", required_argument, NULL, OPT_BUNDLE},
        {"runtime", required_argument, NULL, OPT_RUNTIME},
        {"runtime-root", required_argument, NULL, OPT_RUNTIME_ROOT},
        {"runtime-arg", required_argument, NULL, OPT_RUNTIME_ARG},
        {"log-path", required_argument, NULL, OPT_LOG_PATH},
        {"log-size-max", required_argument, NULL, OPT_LOG_SIZE_MAX},
        {"exit-dir", required_argument, NULL, OPT_EXIT_DIR},
        {"socket-dir", required_argument, NULL, OPT_SOCKET_DIR},
        {"pid-file", required_argument, NULL, OPT_PID_FILE},
        {"sync-fd", required_argument, NULL, OPT_SYNC_FD},
        {"runtime-fd", required_argument, NULL, OPT_RUNTIME_FD},
        {"terminal", no_argument, NULL, 't'},
        {"stdin", no_argument, NULL, 'i'},
        {"stdin-once", no_argument, NULL, OPT_STDIN_ONCE},
        {"cgroup-path", required_argument, NULL, OPT_CGROUP_PATH},
        {"exec", no_argument, NULL, OPT_EXEC},
        {"exec-process", required_argument, NULL, OPT_EXEC_PROCESS},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
        {"version-check", no_argument, NULL, OPT_VERSION_CHECK},
        {"log-journald", no_argument, NULL, OPT_LOG_JOURNALD},
        {"name", required_argument, NULL, OPT_NAME},
        {"pod-name", required_argument, NULL, OPT_POD_NAME},
        {"pod-namespace", required_argument, NULL, OPT_POD_NAMESPACE},
        {NULL, 0, NULL, 0},
};

static int parse_u64(const char *name, const char *s, uint64_t max, uint64_t *ret, struct cric_error **err) {
        char *end = NULL;
        errno = 0;
        if (!*s || *s == '-')
                return cric_error_set(err, CRIC_E_INVALID, "--%s: \"%s\" is not a number", name, s);
        uintmax_t v = strtoumax(s, &end, 10);
        if (errno || *end || v > max)
                return cric_error_set(err, CRIC_E_INVALID, "--%s: \"%s\" is not a number up to %" PRIu64, name, s, max);
        *ret = v;
        return 0;
}

static bool is_valid_id(const char *id) {
        if (!*id || strlen(id) > 255 || !strcmp(id, ".") || !strcmp(id, ".."))
                return false;
        return !strchr(id, '/');
}

/* Checks what both modes need, then what the chosen one needs. */
static int check_required(const struct monitor_args *a, struct cric_error **err) {
        if (!a->cid)
                return cric_error_set(err, CRIC_E_INVALID, "--cid is required");
        if (!is_valid_id(a->cid))
                return cric_error_set(err, CRIC_E_INVALID, "invalid container id \"%s\"", a->cid);
        if (!a->runtime)
                return cric_error_set(err, CRIC_E_INVALID, "--runtime is required");
        if (a->is_exec) {
                if (!a->exec_process)
                        return cric_error_set(err, CRIC_E_INVALID, "--exec needs --exec-process");
                if (a->is_terminal || a->has_stdin)
                        return cric_error_set(err, CRIC_E_INVALID, "--exec supports neither --terminal nor --stdin");
                return 0;
        }
        static const char *const names[] = {"bundle", "log-path", "exit-dir", "socket-dir", "pid-file"};
        const char *const values[] = {a->bundle, a->log_path, a->exit_dir, a->socket_dir, a->pid_file};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (!values[i] || !*values[i])
                        return cric_error_set(err, CRIC_E_INVALID, "--%s is required", names[i]);
        if (a->sync_fd < 0)
                return cric_error_set(err, CRIC_E_INVALID, "--sync-fd is required");
        if (a->runtime_fd == a->sync_fd)
                return cric_error_set(err, CRIC_E_INVALID, "--runtime-fd and --sync-fd are both %d", a->sync_fd);
        if (a->is_stdin_once && !a->has_stdin)
                return cric_error_set(err, CRIC_E_INVALID, "--stdin-once needs --stdin");
        return 0;
}

/* Handles the options that take a number or a level. */
static int parse_value(struct monitor_args *a, int opt, const char *arg, struct cric_error **err) {
        uint64_t v = 0;
        switch (opt) {
        case OPT_LOG_SIZE_MAX: return parse_u64("log-size-max", arg, UINT64_MAX, &a->log_size_max, err);
        case OPT_SYNC_FD:
        case OPT_RUNTIME_FD: {
                const char *name = opt == OPT_SYNC_FD ? "sync-fd" : "runtime-fd";
                if (parse_u64(name, arg, INT_MAX, &v, err) < 0)
                        return -1;
                if (v < 3)
                        return cric_error_set(err, CRIC_E_INVALID, "--%s: %s is a standard stream", name, arg);
                *(opt == OPT_SYNC_FD ? &a->sync_fd : &a->runtime_fd) = (int) v;
                return 0;
        }
        case OPT_TIMEOUT:
                if (parse_u64("timeout", arg, UINT_MAX / 1000, &v, err) < 0)
                        return -1;
                a->timeout_s = (unsigned) v;
                return 0;
        case OPT_LOG_LEVEL:
                a->log_level = log_level_from_string(arg);
                if (a->log_level == LOG_LEVEL_INVALID)
                        return cric_error_set(err, CRIC_E_INVALID, "--log-level: unknown level \"%s\"", arg);
                return 0;
        }
        return cric_error_set(err, CRIC_E_INTERNAL, "unhandled option %d", opt);
}

static int parse_one(struct monitor_args *a, int opt, const char *arg, struct cric_error **err) {
        switch (opt) {
        case 'c': a->cid = arg; break;
        case 't': a->is_terminal = true; break;
        case 'i': a->has_stdin = true; break;
        case OPT_BUNDLE: a->bundle = arg; break;
        case OPT_RUNTIME: a->runtime = arg; break;
        case OPT_RUNTIME_ROOT: a->runtime_root = arg; break;
        case OPT_RUNTIME_ARG: strv_push(&a->runtime_args, arg); break;
        case OPT_LOG_PATH: a->log_path = arg; break;
        case OPT_EXIT_DIR: a->exit_dir = arg; break;
        case OPT_SOCKET_DIR: a->socket_dir = arg; break;
        case OPT_PID_FILE: a->pid_file = arg; break;
        case OPT_STDIN_ONCE: a->is_stdin_once = true; break;
        case OPT_CGROUP_PATH: a->cgroup_path = arg; break;
        case OPT_EXEC: a->is_exec = true; break;
        case OPT_EXEC_PROCESS: a->exec_process = arg; break;
        case OPT_VERSION_CHECK: a->is_version_check = true; break;
        case OPT_LOG_JOURNALD: a->log_to_journald = true; break;
        case OPT_NAME: a->name = arg; break;
        case OPT_POD_NAME: a->pod_name = arg; break;
        case OPT_POD_NAMESPACE: a->pod_namespace = arg; break;
        case '?': return cric_error_set(err, CRIC_E_INVALID, "bad command line (see protocol.h)");
        default: return parse_value(a, opt, arg, err);
        }
        return 0;
}

int monitor_args_parse(int argc, char **argv, struct monitor_args *ret, struct cric_error **err) {
        struct monitor_args a = {.sync_fd = -1, .runtime_fd = -1, .log_level = LOG_LEVEL_INFO};
        optind = 0; /* glibc: full reinitialisation, so tests can parse repeatedly */
        opterr = 0;
        int opt;
        while ((opt = getopt_long(argc, argv, "+c:ti", long_options, NULL)) != -1) {
                if (parse_one(&a, opt, optarg, err) < 0) {
                        if (opt == '?')
                                cric_error_prefix(err, "%s", argv[optind - 1]);
                        monitor_args_clear(&a);
                        return -1;
                }
        }
        if (optind < argc) {
                cric_error_set(err, CRIC_E_INVALID, "unexpected argument \"%s\"", argv[optind]);
                monitor_args_clear(&a);
                return -1;
        }
        if (!a.is_version_check && check_required(&a, err) < 0) {
                monitor_args_clear(&a);
                return -1;
        }
        *ret = a;
        return 0;
}

void monitor_args_clear(struct monitor_args *a) {
        if (a)
                a->runtime_args = strv_free(a->runtime_args);
}
