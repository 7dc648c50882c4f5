/* Waiting for a child process, and saying how it ended. */
#ifndef CRIC_UTIL_REAP_H
#define CRIC_UTIL_REAP_H

#include <stddef.h>
#include <sys/types.h>

/* waitpid(pid) through EINTR: 0 with *ret_status as waitpid gives it, or -1 with errno
 * (ECHILD: nothing to reap, SIGCHLD is ignored and the kernel reaped it). */
int reap_child(pid_t pid, int *ret_status);

/* How a child ended, for messages: "exited with status N" or "was killed by signal N",
 * written to buf (64 bytes are enough) and returned. */
const char *exit_text(int status, char *buf, size_t size);

#endif
