/* Signal names as images and the CRI spell them. */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "oci/oci.h"

static const char *nonempty(const char *s) {
        return s && *s ? s : NULL;
}

static const struct {
        const char *name;
        int sig;
} signal_names[] = {
        {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT},     {"ILL", SIGILL},   {"TRAP", SIGTRAP},
        {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},       {"FPE", SIGFPE},   {"KILL", SIGKILL},
        {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},     {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
        {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},     {"CLD", SIGCHLD},  {"CONT", SIGCONT},
        {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU}, {"URG", SIGURG},
        {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
        {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

/* A decimal number in [lo, hi] making up all of s. */
static bool parse_num(const char *s, long lo, long hi, long *ret) {
        if (*s < '0' || *s > '9')
                return false;
        char *end = NULL;
        long v = strtol(s, &end, 10);
        if (*end || v < lo || v > hi)
                return false;
        *ret = v;
        return true;
}

/* "RTMIN", "RTMIN+n", "RTMAX", "RTMAX-n" (s without "SIG"), within the real-time range. */
static bool parse_rt(const char *s, int *ret) {
        bool is_min = strncasecmp(s, "RTMIN", 5) == 0;
        if (!is_min && strncasecmp(s, "RTMAX", 5) != 0)
                return false;
        const char *rest = s + 5;
        long off = 0;
        if (*rest && (*rest != (is_min ? '+' : '-') || !parse_num(rest + 1, 0, SIGRTMAX - SIGRTMIN, &off)))
                return false;
        *ret = is_min ? SIGRTMIN + (int) off : SIGRTMAX - (int) off;
        return true;
}

int oci_signal_parse(const char *name, int *ret, struct cric_error **err) {
        if (!nonempty(name)) {
                *ret = 0;
                return 0;
        }
        long num = 0;
        if (parse_num(name, 1, SIGRTMAX, &num)) {
                *ret = (int) num;
                return 0;
        }
        const char *s = strncasecmp(name, "SIG", 3) == 0 ? name + 3 : name;
        for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
                if (strcasecmp(s, signal_names[i].name) == 0) {
                        *ret = signal_names[i].sig;
                        return 0;
                }
        if (parse_rt(s, ret))
                return 0;
        return cric_error_set(err, CRIC_E_INVALID, "unknown stop signal \"%s\"", name);
}
