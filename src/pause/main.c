/* cric-pause: PID 1 of a pod whose containers share one PID namespace. It holds the
 * namespace open, reaps every orphan that the kernel reparents to it, and exits 0 on
 * SIGTERM or SIGINT (when PID 1 exits, the kernel kills the rest of the namespace).
 * Every other signal is ignored.
 *
 * All signals stay blocked and are taken with sigwaitinfo(), so no handler ever runs
 * and there is nothing async-signal-unsafe to get wrong. Blocked signals are queued
 * even for a namespace's init, which the kernel otherwise shields from signals that
 * have no handler. Links libc only; fine to build with -static. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CRIC_VERSION
#define CRIC_VERSION "unknown"
#endif

static void reap_all(void) {
        for (;;) {
                pid_t pid = waitpid(-1, NULL, WNOHANG);
                if (pid > 0)
                        continue;
                if (pid < 0 && errno == EINTR)
                        continue;
                return; /* 0: children left but none exited; -1/ECHILD: no children */
        }
}

static int usage(FILE *f, int code) {
        fprintf(f, "usage: cric-pause [--version]\n"
                   "Runs as PID 1 of a pod's PID namespace: reaps orphans, exits on SIGTERM or SIGINT.\n");
        return code;
}

static int parse_args(int argc, char **argv) {
        if (argc < 2)
                return -1;
        if (argc == 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v"))) {
                printf("cric-pause %s\n", CRIC_VERSION);
                return 0;
        }
        if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
                return usage(stdout, 0);
        return usage(stderr, 2);
}

int main(int argc, char **argv) {
        int r = parse_args(argc, argv);
        if (r >= 0)
                return r;

        sigset_t all;
        sigfillset(&all);
        if (sigprocmask(SIG_BLOCK, &all, NULL) < 0) {
                perror("cric-pause: sigprocmask");
                return 1;
        }
        /* An inherited SIGCHLD=SIG_IGN would make the kernel reap for us, but keep the
         * behaviour explicit and the same everywhere. */
        signal(SIGCHLD, SIG_DFL);
        if (getpid() != 1) {
                /* Not an init (e.g. started by hand): still collect orphans below us. */
                fprintf(stderr, "cric-pause: not PID 1, acting as a child subreaper\n");
                prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        }

        for (;;) {
                siginfo_t si;
                int sig = sigwaitinfo(&all, &si);
                if (sig < 0)
                        continue; /* EINTR */
                if (sig == SIGTERM || sig == SIGINT)
                        return 0;
                if (sig == SIGCHLD)
                        reap_all();
        }
}
