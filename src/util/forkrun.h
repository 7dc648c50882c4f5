/* One short job in a forked child of this threaded process, with a fixed-size report
 * back: for work that must not touch the daemon's own threads (joining a namespace,
 * changing directory before a mount). */
#ifndef CRIC_UTIL_FORKRUN_H
#define CRIC_UTIL_FORKRUN_H

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* Forks; the child runs child(arg, out) and then _exit(0). child may only make
 * async-signal-safe calls (no malloc, stdio or locks) and writes at most report_size
 * bytes to out. The parent waits up to timeout_ms for the report (then SIGKILLs the
 * child: CRIC_E_TIMEOUT), reaps the child, and sets *ret_got to the bytes received
 * (fewer than report_size: the child died early). what names the job in errors. */
int forkrun(void (*child)(void *arg, int out), void *arg, void *report, size_t report_size, unsigned timeout_ms,
            const char *what, ssize_t *ret_got, struct cric_error **err);

/* Runs fn(arg) in a child that shares this process's memory and runs on a stack of its
 * own while the calling thread waits (CLONE_VM | CLONE_VFORK, like posix_spawn): no copy
 * of the page tables and no stall of the other threads, as a fork would cost. fn may
 * only make raw system calls and must end with _exit(). Returns the child's pid once it
 * has exited (the caller reaps it; SIGCHLD is its exit signal), or -1 with errno.
 * Unlike forkrun there is no timeout: only for jobs that cannot hang. */
pid_t vforkrun(int (*fn)(void *arg), void *arg);

#endif
