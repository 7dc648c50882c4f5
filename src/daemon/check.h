/* The root's lock, the clean-shutdown record and `cricd check` (check.c). */
#ifndef CRIC_DAEMON_CHECK_H
#define CRIC_DAEMON_CHECK_H

#include <stdbool.h>
#include <stdio.h>

#include "config/config.h"
#include "storage/storage.h"
#include "store/store.h"
#include "util/error.h"

/* Takes <root>/cric.lock (flock, exclusive, without waiting; the fd is close-on-exec
 * and held until the process ends). CRIC_E_UNAVAILABLE when another cricd (or
 * `cricd check`) holds it. */
int root_lock_take(const char *root, int *ret_fd, struct cric_error **err);
/* Whether the last daemon on root stopped cleanly. */
bool root_shutdown_was_clean(const char *root);
/* Removes the record, so that a crash from here on is seen at the next start: called
 * once the stores are open (a start that fails before changes nothing). */
void root_shutdown_forget(const char *root);
/* Written last by a daemon that stops cleanly. */
void root_shutdown_record_clean(const char *root);

/* After an unclean shutdown: the quick check (existence, types and sizes; no hashing)
 * with repair, its findings logged. Never fails the start. */
void daemon_check_after_crash(struct store *db, struct layer_store *ls);

/* `cricd check [--repair]`: prints one line per problem (and per removal) to out.
 * Returns the exit code: 0 clean or repaired, 1 problems left, 2 cannot check. */
int daemon_check_run(const struct cric_config *cfg, bool repair, FILE *out);

#endif
