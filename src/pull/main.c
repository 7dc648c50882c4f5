/* cric-pull: one image pull for cricd, in a process of its own, so that the libraries
 * and buffers of the download and the unpacking never grow the daemon. Not a command:
 * cricd starts it with its socket as fd 3. */
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "image/pull_child.h"
#include "util/log_journal.h"

#define JOB_FD 3

int main(void) {
        struct stat st;
        int type = 0;
        socklen_t len = sizeof(type);
        if (fstat(JOB_FD, &st) < 0 || !S_ISSOCK(st.st_mode) ||
            getsockopt(JOB_FD, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM) {
                fprintf(stderr, "cric-pull: cricd starts this helper for each image pull; it is not a command\n");
                return 2;
        }
        log_journal_setup("cric-pull");
        return pull_child_main(JOB_FD);
}
