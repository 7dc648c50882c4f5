/* Starting the kernel's wait before a cgroup move, so the OCI runtime does not wait.
 *
 * Moving a process into a cgroup (a write to cgroup.procs, which crun and runc do for
 * every new container and exec) takes the kernel's cgroup_threadgroup_rwsem for writing.
 * When no move happened in the last grace period or so, that first waits for an RCU grace
 * period: 5 to 16 ms on a 2-CPU VM, most of what `crun create` takes there. A move that
 * comes while that wait is on, or shortly after it, is quick. So as soon as a container
 * create (or an exec) begins, a thread of ours moves a throwaway child process into the
 * root cgroup of one hierarchy: the wait then overlaps with the daemon's own work (rootfs,
 * spec, monitor) instead of stalling the runtime's move. Hierarchies mounted with
 * favordynmods (cgroup v2, Linux 6.0+) need no wait; the move is cheap there and harmless.
 *
 * Nothing of the daemon moves: the child (sharing the daemon's memory, like vfork) moves
 * itself and exits. */
#ifndef CRIC_CGROUP_PREWARM_H
#define CRIC_CGROUP_PREWARM_H

#include "cgroup/cgroup.h"

struct cgroup_prewarm;

/* A prewarmer moving into the root of a hierarchy of m (pids, memory, cpu, or the
 * cgroup2 mount), with its thread started. NULL when m has no such hierarchy or the
 * thread cannot start (logged). */
struct cgroup_prewarm *cgroup_prewarm_new(const struct cgroup_mounts *m);

/* Asks for one move and returns at once; asks made while one runs are merged into the
 * next. p may be NULL (nothing happens). Thread-safe. */
void cgroup_prewarm_kick(struct cgroup_prewarm *p);

/* The number of moves done so far (tests). */
unsigned long cgroup_prewarm_count(struct cgroup_prewarm *p);

/* Stops the thread (after the move under way) and frees p; NULL is fine. */
void cgroup_prewarm_free(struct cgroup_prewarm *p);

#endif
