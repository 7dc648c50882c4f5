/* A stand-in for the OCI runtime and cric-monitor, for the runtime's unit tests.
 *
 * Every call is recorded as a line ("create <id>", "start <id>", "kill <id> 15",
 * "kill --all <id> 9", "delete <id>", "update <id>", "exec <id> <args>", "reopen <id>").
 * A "container" is a real child process of the test, so signals, /proc and exits are
 * real: monitor_create forks it, where it waits for StartContainer (a pipe plays crun's
 * exec fifo), then behaves as process.args of the bundle's config.json say:
 *     sleep            waits for signals with their default actions
 *     exit N           exits with N
 *     ignore-term      ignores SIGTERM, waits
 *     late-trap MS     ignores SIGTERM for MS ms (a handler installed late, as the
 *                      PID 1 of a namespace drops a signal it has no handler for),
 *                      then exits 0 on SIGTERM
 * A thread of the fake plays the monitor: it reaps each child and writes its exit file
 * (unless told the monitor dies without one). */
#ifndef CRIC_TESTS_UNIT_RUNTIME_FAKE_H
#define CRIC_TESTS_UNIT_RUNTIME_FAKE_H

#include <stdbool.h>
#include <sys/types.h>

#include "runtime/runtime.h"

struct fake;

struct fake *fake_new(void);
/* Kills every child still running and frees the fake. */
void fake_free(struct fake *f);
/* The backend to put in runtime_opts. */
const struct runtime_backend *fake_backend(struct fake *f);

/* Failures to inject: the next n calls of that verb fail (CRIC_E_INTERNAL). */
enum fake_verb { FAKE_CREATE, FAKE_START, FAKE_KILL, FAKE_DELETE, FAKE_UPDATE, FAKE_EXEC, FAKE_VERB_MAX };
void fake_fail(struct fake *f, enum fake_verb verb, int n);
/* While held, calls of that verb wait (recorded first) until it is released. */
void fake_hold(struct fake *f, enum fake_verb verb, bool is_held);
/* The next child that ends leaves no exit file (its monitor died with it). */
void fake_no_exit_file(struct fake *f);

/* How many recorded calls equal the printf-style line. */
int fake_count(struct fake *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* All calls so far, one per line (caller frees). */
char *fake_calls(struct fake *f);
/* The JSON of the last update, the process file of the last exec (caller frees). */
char *fake_last_update(struct fake *f);
char *fake_last_exec(struct fake *f);
/* The pid of a container's child, 0 when unknown. */
pid_t fake_pid(struct fake *f, const char *id);
/* Whether any child is still running. */
bool fake_any_alive(struct fake *f);

#endif
