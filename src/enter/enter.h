/* Running a process inside a running container without the OCI runtime: what
 * `crun exec` / `runc exec` do, done from cricd itself. The calling thread clones a
 * helper that shares the daemon's memory (no page tables copied, no program loaded):
 * it joins the container's cgroups, then its namespaces through a pidfd of the
 * container's init, and clones the process, which lands in the container's PID
 * namespace as the daemon's child; that one takes the container's process settings
 * (terminal, working directory, rlimits, OOM score, LSM label, user and groups,
 * capabilities, no_new_privs, seccomp filter) and executes the command. Both only make
 * system calls on data prepared before the clone.
 *
 * A container qualifies when its config.json asks for nothing else at exec time
 * (enter_plan_new says why not otherwise: a user namespace, a seccomp notify listener,
 * a personality, a crun annotation, an unknown process field); the caller then runs
 * `<runtime> exec` as before. */
#ifndef CRIC_ENTER_ENTER_H
#define CRIC_ENTER_ENTER_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

/* What a container's config.json says about processes run in it, parsed and compiled
 * once (the seccomp filter). Immutable: threads may share it. */
struct enter_plan;

/* Parses config.json (its text); rootfs is the container's root as the daemon sees it,
 * where HOME is looked up when the environment has none (NULL: HOME=/ then).
 * CRIC_E_UNIMPLEMENTED, naming the reason, when the container does not qualify;
 * CRIC_E_INVALID for a malformed config. */
int enter_plan_new(const char *config_json, const char *rootfs, struct enter_plan **ret, struct cric_error **err);
void enter_plan_free(struct enter_plan *p);

/* One process to start. */
struct cgroup_mounts;
struct enter_call {
        pid_t init_pid;  /* the container's init (its namespaces and cgroups) */
        pid_t init_ppid; /* its parent (the monitor), checked against pid reuse; 0: unchecked */
        const struct cgroup_mounts *cgroups;
        char *const *argv; /* the command; argv[0] without a slash is looked up in PATH */
        bool tty;          /* a terminal from the container's /dev/ptmx; TERM=xterm added */
        int stdio[3];      /* without tty: the process's stdin, stdout, stderr (-1: /dev/null) */
};

/* The started process: our child (waitpid), in the container's PID namespace. */
struct enter_proc {
        pid_t pid;
        int pidfd;
        int tty_master; /* with tty: the terminal's master side; else -1 */
        int exec_errno; /* when the command could not be run: why (ENOENT: not found) */
};

/* Starts the process. When it cannot (the container has gone, the command is not
 * found, a setting is refused), nothing is left running and err says which step failed
 * and why: CRIC_E_NOT_FOUND when the container's init is gone, CRIC_E_INVALID when the
 * command cannot be found or run (ret->exec_errno says why), CRIC_E_INTERNAL otherwise. Thread-safe. */
int enter_spawn(const struct enter_plan *p, const struct enter_call *call, struct enter_proc *ret,
                struct cric_error **err);

/* Whether this kernel can run enter_spawn: pidfd_open, setns on a pidfd and
 * close_range(CLOSE_RANGE_CLOEXEC) (Linux 5.11+). CRIC_E_UNIMPLEMENTED naming the
 * missing call and the version that has it. */
int enter_kernel_check(struct cric_error **err);

#endif
