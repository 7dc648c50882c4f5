/* cricd is a child subreaper: a monitor whose starter exited is re-parented to the
 * daemon rather than to PID 1, and the daemon reaps it as soon as it ends, so a
 * finished container leaves no zombie behind for long. */
#ifndef CRIC_DAEMON_REAP_H
#define CRIC_DAEMON_REAP_H

#include <sys/types.h>

/* Makes the calling process a child subreaper. -1 with errno on failure. */
int reap_become_subreaper(void);

/* Reaps every zombie orphan of ours named comm (e.g. "cric-monitor"), found through
 * <proc>/self/task/<main thread>/children (proc NULL: /proc), where the kernel puts
 * orphans, and calls on_reaped (may be NULL) with each pid. Zombie orphans of the
 * tools gpgme double-forks (gpg, gpgconf, gpgsm, ...) are reaped too, without a call.
 * Children the daemon waits for by pid (crun, CNI plugins, helpers) have other names
 * and are left alone. Returns how many named comm were reaped. */
int reap_orphans(const char *proc, const char *comm, void (*on_reaped)(void *data, pid_t pid), void *data);

#endif
