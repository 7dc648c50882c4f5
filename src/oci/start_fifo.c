/* Starting a created container without a second runtime process. `crun create` and
 * `runc create` leave the container's init waiting on <root>/<id>/exec.fifo; their
 * `start` verb only releases it and removes the FIFO (whose presence is what makes
 * `state` say "created"). The two use the FIFO in opposite directions:
 *   crun: the init holds the read end and blocks reading; start opens the write end
 *         without blocking, writes one byte and unlinks the FIFO (here in that order:
 *         see crun_release);
 *   runc: the init blocks opening the write end, writes "0" and closes it at exec;
 *         start opens the read end, reads to end of file and unlinks the FIFO.
 * Anything unexpected before the container is released (no FIFO, no reader) answers
 * "not done" so that the caller runs `<runtime> start`, which words its own error. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "oci/oci.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"

enum oci_flavor oci_flavor_of(const char *path) {
        const char *slash = path ? strrchr(path, '/') : NULL, *name = slash ? slash + 1 : path;
        if (!name)
                return OCI_FLAVOR_OTHER;
        if (strcmp(name, "crun") == 0)
                return OCI_FLAVOR_CRUN;
        if (strcmp(name, "runc") == 0)
                return OCI_FLAVOR_RUNC;
        return OCI_FLAVOR_OTHER;
}

/* Once the init is on its way, a FIFO that stays behind only makes `state` say
 * "created" a while longer: not worth failing a started container for. */
static void remove_fifo(const char *fifo, const char *id) {
        if (unlink(fifo) < 0 && errno != ENOENT)
                log_warn("container %s started, but %s stays: %s", id, fifo, strerror(errno));
}

/* The byte goes before the FIFO: a daemon that dies between the two leaves a running
 * container, not an init that waits on a FIFO nobody can open any more. */
static int crun_release(const char *fifo, const char *id, struct cric_error **err) {
        AUTOCLOSE int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return 0; /* ENOENT: not created (or another layout); ENXIO: the init is gone */
        ssize_t n;
        do
                n = write(fd, "1", 1);
        while (n < 0 && errno == EINTR);
        if (n != 1)
                return cric_error_set(err, CRIC_E_INTERNAL,
                                      "start %s: the container's init did not take the start (%s)", id,
                                      n < 0 ? strerror(errno) : "short write");
        remove_fifo(fifo, id);
        return 1;
}

static int runc_release(const char *fifo, const char *id, pid_t init_pid, unsigned timeout_ms,
                        struct cric_error **err) {
        AUTOCLOSE int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return 0;
        /* The init's open of the write end returns now; it writes "0" and the end closes
         * at its exec. Until a writer has come, a FIFO shows no hang-up: an init that died
         * before is noticed by its pid. */
        int64_t deadline = clock_mono_ms() + timeout_ms;
        size_t got = 0;
        for (;;) {
                char buf[16];
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n > 0) {
                        got += (size_t) n;
                        continue;
                }
                if (n < 0 && errno != EAGAIN && errno != EINTR)
                        return cric_error_set(err, CRIC_E_INTERNAL, "start %s: read %s: %s", id, fifo, strerror(errno));
                struct pollfd p = {.fd = fd, .events = POLLIN};
                if (n == 0) {
                        if (got > 0)
                                break; /* the init has exec'd */
                        if (poll(&p, 1, 0) > 0 && (p.revents & POLLHUP))
                                return cric_error_set(err, CRIC_E_INTERNAL,
                                                      "start %s: the container's init closed %s without a word", id,
                                                      fifo);
                }
                if (init_pid > 0 && kill(init_pid, 0) < 0 && errno == ESRCH && got == 0)
                        return 0; /* gone before it came to the FIFO: the runtime words it */
                int64_t left = deadline - clock_mono_ms();
                if (left <= 0)
                        return cric_error_set(err, CRIC_E_TIMEOUT,
                                              "start %s: the container's init did not exec within %u ms", id,
                                              timeout_ms);
                if (poll(&p, 1, left > 50 ? 50 : (int) left) < 0 && errno != EINTR)
                        return cric_error_set(err, CRIC_E_INTERNAL, "start %s: poll %s: %s", id, fifo, strerror(errno));
        }
        remove_fifo(fifo, id);
        return 1;
}

int oci_start_by_fifo(enum oci_flavor flavor, const char *root, const char *id, pid_t init_pid, unsigned timeout_ms,
                      struct cric_error **err) {
        if (!root || !*root || !id || !*id || strchr(id, '/') || flavor == OCI_FLAVOR_OTHER)
                return 0;
        AUTOFREE char *fifo = xasprintf("%s/%s/exec.fifo", root, id);
        return flavor == OCI_FLAVOR_CRUN ? crun_release(fifo, id, err)
                                         : runc_release(fifo, id, init_pid, timeout_ms, err);
}
