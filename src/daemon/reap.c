/* Orphan reaping for the subreaper daemon. */
#include "daemon/reap.h"

#include <dirent.h>
#include <errno.h>
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

int reap_orphans(const char *proc, const char *comm) {
        if (!proc)
                proc = "/proc";
        DIR *d = opendir(proc);
        if (!d)
                return 0;
        long self = (long) getpid();
        int reaped = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                char name[64], state = 0;
                long ppid = 0;
                if (read_stat(proc, de->d_name, name, sizeof(name), &state, &ppid) < 0)
                        continue;
                if (ppid != self || state != 'Z' || strcmp(name, comm))
                        continue;
                pid_t pid = (pid_t) strtol(de->d_name, NULL, 10);
                if (waitpid(pid, NULL, WNOHANG) == pid) {
                        log_debug("reaped %s (pid %d)", comm, pid);
                        reaped++;
                }
        }
        closedir(d);
        return reaped;
}
