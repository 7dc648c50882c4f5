/* An arena: allocations that live and die together, e.g. the arrays a conversion
 * builds for one call. Not thread-safe; one owner. */
#ifndef CRIC_UTIL_ARENA_H
#define CRIC_UTIL_ARENA_H

#include <stddef.h>

struct arena {
        void **ptrs;
        size_t n, cap;
};

/* Keeps p (malloc'd, may be NULL) until arena_clear; returns p. */
void *arena_keep(struct arena *a, void *p);
/* n zeroed elements of size bytes, kept in the arena; NULL when n is 0. */
void *arena_calloc(struct arena *a, size_t n, size_t size);
/* A copy of s kept in the arena (NULL for NULL). */
char *arena_strdup(struct arena *a, const char *s);
/* Frees everything kept and empties the arena (it can be used again). */
void arena_clear(struct arena *a);

#endif
