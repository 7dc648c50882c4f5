#include "util/forkrun.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/reap.h"

static int read_report(int fd, void *buf, size_t len, unsigned timeout_ms, const char *what, ssize_t *ret_got,
                       struct cric_error **err) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int n;
        do
                n = poll(&pfd, 1, (int) timeout_ms);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "wait for the %s", what);
        if (n == 0)
                return cric_error_set(err, CRIC_E_TIMEOUT, "the %s gave no answer in %u ms", what, timeout_ms);
        ssize_t got;
        do
                got = read(fd, buf, len);
        while (got < 0 && errno == EINTR);
        if (got < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "read from the %s", what);
        *ret_got = got;
        return 0;
}

int forkrun(void (*child)(void *arg, int out), void *arg, void *report, size_t report_size, unsigned timeout_ms,
            const char *what, ssize_t *ret_got, struct cric_error **err) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "pipe");
        AUTOCLOSE int rd = p[0], wr = p[1];
        AUTOKILL pid_t pid = _Fork(); /* killed and reaped on every early return */
        if (pid < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "fork the %s", what);
        if (pid == 0) { /* no cleanup handler runs here: _exit */
                close(rd);
                child(arg, wr);
                _exit(0);
        }
        close(STEAL_FD(wr)); /* EOF for us once the child is gone */
        *ret_got = 0;
        if (read_report(rd, report, report_size, timeout_ms, what, ret_got, err) < 0)
                return -1;
        int status = 0;
        if (reap_child(pid, &status) < 0) {
                if (errno == ECHILD) { /* SIGCHLD ignored: nothing to reap, the report says it all */
                        pid = -1;
                        return 0;
                }
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "wait for the %s", what);
        }
        pid = -1; /* reaped */
        char how[64];
        if (WIFSIGNALED(status))
                return cric_error_set(err, CRIC_E_INTERNAL, "the %s %s", what, exit_text(status, how, sizeof(how)));
        return 0;
}

#define VFORKRUN_STACK (256 * 1024) /* room for sanitizer builds too */

pid_t vforkrun(int (*fn)(void *arg), void *arg) {
        char *stack = malloc(VFORKRUN_STACK);
        if (!stack)
                return -1;
        pid_t pid = clone(fn, stack + VFORKRUN_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, arg);
        int e = errno;
        free(stack); /* the child has exited: CLONE_VFORK returns only then */
        errno = e;
        return pid;
}
