/* Scope-bound cleanup helpers (GCC/Clang cleanup attribute). */
#ifndef CRIC_UTIL_CLEANUP_H
#define CRIC_UTIL_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLEANUP(fn) __attribute__((cleanup(fn)))

static inline void cleanup_freep(void *p) {
        free(*(void **) p);
}
static inline void cleanup_closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
static inline void cleanup_fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
static inline void cleanup_closedirp(DIR **d) {
        if (*d) {
                int saved = errno;
                closedir(*d);
                errno = saved;
        }
}
/* A child that must not outlive the scope (an error path must never leave one behind):
 * while the variable still holds a pid > 0, the child is SIGKILLed and reaped, and its
 * status is lost. The normal path reaps it itself and then sets the variable to -1, or
 * hands it over with STEAL_PID. Not for children that may already have been reaped
 * elsewhere: the pid could have been reused. */
static inline void cleanup_killp(pid_t *pid) {
        if (*pid > 0) {
                int saved = errno;
                kill(*pid, SIGKILL);
                while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                errno = saved;
        }
}

#define AUTOFREE     CLEANUP(cleanup_freep)
#define AUTOCLOSE    CLEANUP(cleanup_closep)
#define AUTOFCLOSE   CLEANUP(cleanup_fclosep)
#define AUTOCLOSEDIR CLEANUP(cleanup_closedirp)
#define AUTOKILL     CLEANUP(cleanup_killp)

/* Hands over ownership: returns the value and resets the variable. */
#define STEAL_PTR(p)                                                                                                   \
        ({                                                                                                             \
                __typeof__(p) steal_tmp_ = (p);                                                                        \
                (p) = NULL;                                                                                            \
                steal_tmp_;                                                                                            \
        })
#define STEAL_FD(fd)                                                                                                   \
        ({                                                                                                             \
                int steal_fd_ = (fd);                                                                                  \
                (fd) = -1;                                                                                             \
                steal_fd_;                                                                                             \
        })
#define STEAL_PID(pid)                                                                                                 \
        ({                                                                                                             \
                pid_t steal_pid_ = (pid);                                                                              \
                (pid) = -1;                                                                                            \
                steal_pid_;                                                                                            \
        })

/* fdopendir() that takes *fd only when it succeeds (then *fd is -1 and closedir closes
 * it); on failure *fd stays the caller's, so an AUTOCLOSE on it still works. */
static inline DIR *fdopendir_take(int *fd) {
        DIR *d = fdopendir(*fd);
        if (d)
                *fd = -1;
        return d;
}

#endif
