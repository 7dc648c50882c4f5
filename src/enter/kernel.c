/* Whether this kernel has what enter_spawn uses beyond Debian 12's baseline: pidfds
 * (pidfd_open, Linux 5.3), setns on a pidfd (5.8) and close_range with
 * CLOSE_RANGE_CLOEXEC (5.11). Each is tried once, harmlessly: a pidfd of the daemon
 * itself, a setns into the thread's own UTS namespace through it, and a close_range
 * over descriptors nobody has. */
#include <errno.h>
#include <linux/close_range.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "enter/enter.h"
#include "enter/internal.h"

int enter_kernel_verdict(int pidfd_errno, int setns_errno, int close_range_errno, struct cric_error **err) {
        if (pidfd_errno)
                return cric_error_set(err, CRIC_E_UNIMPLEMENTED, "no pidfd_open (Linux 5.3+): %s",
                                      strerror(pidfd_errno));
        if (setns_errno)
                return cric_error_set(err, CRIC_E_UNIMPLEMENTED, "no setns on a pidfd (Linux 5.8+): %s",
                                      strerror(setns_errno));
        if (close_range_errno)
                return cric_error_set(err, CRIC_E_UNIMPLEMENTED, "no close_range CLOSE_RANGE_CLOEXEC (Linux 5.11+): %s",
                                      strerror(close_range_errno));
        return 0;
}

int enter_kernel_check(struct cric_error **err) {
        int pidfd_errno = 0, setns_errno = 0, close_range_errno = 0;
        int fd = (int) syscall(SYS_pidfd_open, getpid(), 0);
        if (fd < 0) {
                pidfd_errno = errno;
        } else {
                if (setns(fd, CLONE_NEWUTS) < 0)
                        setns_errno = errno;
                close(fd);
        }
        if (syscall(SYS_close_range, 0x7ffffffeU, 0x7fffffffU, CLOSE_RANGE_CLOEXEC) < 0)
                close_range_errno = errno;
        return enter_kernel_verdict(pidfd_errno, setns_errno, close_range_errno, err);
}
