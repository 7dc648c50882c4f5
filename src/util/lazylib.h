/* A shared library loaded on first use and unloaded when its last user is done, for
 * libraries an idle daemon has no business keeping mapped (libcurl, libarchive: only
 * pulls need them). Thread-safe. */
#ifndef CRIC_UTIL_LAZYLIB_H
#define CRIC_UTIL_LAZYLIB_H

#include <pthread.h>
#include <stddef.h>

#include "util/error.h"

struct lazylib {
        const char *soname;       /* e.g. "libcurl.so.4" */
        const char *const *names; /* the symbols, in slot order */
        void **slots;             /* filled by dlsym on load, zeroed on unload */
        size_t n;
        int (*on_load)(struct cric_error **err); /* may be NULL; runs after the symbols are in */
        void (*on_unload)(void);                 /* may be NULL; runs before dlclose */
        /* state */
        pthread_mutex_t lock;
        unsigned users;
        void *handle;
};

#define LAZYLIB_INIT(so, names_, slots_, n_, load_, unload_)                                                           \
        {                                                                                                              \
                .soname = (so), .names = (names_), .slots = (slots_), .n = (n_), .on_load = (load_),                   \
                .on_unload = (unload_), .lock = PTHREAD_MUTEX_INITIALIZER                                              \
        }

/* Takes a reference, loading the library for the first one. CRIC_E_UNAVAILABLE when it
 * or a symbol is missing, or on_load fails. */
int lazylib_acquire(struct lazylib *l, struct cric_error **err);
/* Drops a reference; the last one unloads the library. */
void lazylib_release(struct lazylib *l);

#endif
