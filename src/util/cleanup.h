/* Scope-bound cleanup helpers (GCC/Clang cleanup attribute). */
#ifndef CRIC_UTIL_CLEANUP_H
#define CRIC_UTIL_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

#define AUTOFREE   CLEANUP(cleanup_freep)
#define AUTOCLOSE  CLEANUP(cleanup_closep)
#define AUTOFCLOSE CLEANUP(cleanup_fclosep)

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

#endif
