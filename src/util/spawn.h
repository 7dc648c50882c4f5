/* Running helper programs (crun, CNI plugins, cp): argv only (no shell), a timeout,
 * stderr captured into the error. Safe in a threaded process (posix_spawn). */
#ifndef CRIC_UTIL_SPAWN_H
#define CRIC_UTIL_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

struct spawn_opts {
        char *const *env;       /* NULL: inherit */
        const char *stdin_data; /* NULL: /dev/null */
        size_t stdin_len;
        unsigned timeout_ms;   /* 0: no timeout */
        size_t max_output;     /* cap for stdout/stderr capture; 0: 1 MiB */
        const char *exec_path; /* the file to run, argv[0] kept as it is; NULL: argv[0] */
        int pass_fd;           /* > 2: kept open in the child as fd 3; 0: none */
};

/* Runs argv[0] (a path, or looked up in $PATH) and waits. On success (exit 0)
 * *ret_stdout (if not NULL) holds its output. A non-zero exit, a signal or the
 * timeout is CRIC_E_INTERNAL (CRIC_E_TIMEOUT for the timeout) whose message holds
 * the command and its stderr. */
int spawn_run(char *const *argv, const struct spawn_opts *opts, char **ret_stdout, struct cric_error **err);

/* Like spawn_run, but any exit status is a result, not an error (CNI plugins print
 * their error JSON on stdout and exit 1): returns the exit status (>= 0) with
 * *ret_stdout and *ret_stderr (if not NULL; stderr without trailing newlines) owned
 * by the caller. Failing to start or being killed by a signal is CRIC_E_INTERNAL,
 * the timeout CRIC_E_TIMEOUT; nothing is returned through ret_* then. */
int spawn_run_status(char *const *argv, const struct spawn_opts *opts, char **ret_stdout, char **ret_stderr,
                     struct cric_error **err);

/* Starts argv without waiting for it: stdin /dev/null, stdout and stderr this
 * process's stderr, opts->pass_fd as fd 3 (env and exec_path as for spawn_run; no
 * timeout, no capture). The pid (the caller reaps it), or -1 with CRIC_E_INTERNAL
 * naming the command. */
pid_t spawn_start(char *const *argv, const struct spawn_opts *opts, struct cric_error **err);

#endif
