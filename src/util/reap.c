#include "util/reap.h"

#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>

int reap_child(pid_t pid, int *ret_status) {
        int status = 0;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -1;
        *ret_status = status;
        return 0;
}

const char *exit_text(int status, char *buf, size_t size) {
        if (WIFSIGNALED(status))
                snprintf(buf, size, "was killed by signal %d", WTERMSIG(status));
        else if (WIFEXITED(status))
                snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
        else
                snprintf(buf, size, "ended with wait status 0x%x", (unsigned) status);
        return buf;
}
