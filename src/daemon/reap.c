/* Orphan reaping for the subreaper daemon. */
#include "daemon/reap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/log.h"

int reap_become_subreaper(void) {
        return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

/* Reads "<pid> (<comm>) <state> <ppid>" from /proc/<pid>/stat. comm may hold spaces
 * and parentheses, so the last ')' ends it. */
static int read_stat(const char *proc, const char *pid, char *comm, size_t comm_size, char *state, long *ppid) {
        char path[64 + 256];
        snprintf(path, sizeof(path), "%s/%s/stat", proc, pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return -1;
        char buf[512];
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = 0;
        char *open = strchr(buf, '('), *close = strrchr(buf, ')');
        if (!open || !close || close < open)
                return -1;
        snprintf(comm, comm_size, "%.*s", (int) (close - open - 1), open + 1);
        if (sscanf(close + 1, " %c %ld", state, ppid) != 2)
                return -1;
        return 0;
}

/* The tools gpgme starts with a double fork (signature checks of signedBy policies):
 * nobody waits for them but the subreaper. */
static bool is_library_helper(const char *name) {
        static const char *const helpers[] = {"gpg",     "gpgconf", "gpgsm",    "gpg-agent",
                                              "dirmngr", "keyboxd", "scdaemon", NULL};
        for (const char *const *h = helpers; *h; h++)
                if (strcmp(name, *h) == 0)
                        return true;
        return false;
}

/* Reaps the child pid when it is a zombie named comm (then calls on_reaped) or one of
 * the library helpers; true when it did. */
static bool reap_one(const char *proc, const char *pid, const char *comm, void (*on_reaped)(void *, pid_t),
                     void *data) {
        char name[64], state = 0;
        long ppid = 0;
        if (read_stat(proc, pid, name, sizeof(name), &state, &ppid) < 0 || ppid != (long) getpid() || state != 'Z')
                return false;
        bool ours = strcmp(name, comm) == 0;
        if (!ours && !is_library_helper(name))
                return false;
        pid_t p = (pid_t) strtol(pid, NULL, 10);
        if (waitpid(p, NULL, WNOHANG) != p)
                return false;
        log_debug("reaped %s (pid %d)", name, (int) p);
        if (ours && on_reaped)
                on_reaped(data, p);
        return ours;
}

int reap_orphans(const char *proc, const char *comm, void (*on_reaped)(void *data, pid_t pid), void *data) {
        if (!proc)
                proc = "/proc";
        /* Only our own children, and only the main thread's: the kernel hands an orphan to
         * the first live thread of the subreaper, its main thread, which lives as long as
         * the daemon. Children other threads spawn (and wait for) are listed under those
         * threads; reading every thread's list cost about 1 ms per SIGCHLD. */
        char path[128];
        snprintf(path, sizeof(path), "%s/self/task/%d/children", proc, (int) getpid());
        FILE *f = fopen(path, "re");
        if (!f)
                return 0;
        int reaped = 0;
        char pid[32];
        while (fscanf(f, "%31s", pid) == 1)
                reaped += reap_one(proc, pid, comm, on_reaped, data);
        fclose(f);
        return reaped;
}
