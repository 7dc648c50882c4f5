#include "util/arena.h"

#include <stdlib.h>

#include "util/xalloc.h"

void *arena_keep(struct arena *a, void *p) {
        if (!p)
                return NULL;
        a->ptrs = xgrow(a->ptrs, &a->cap, a->n + 1, sizeof(*a->ptrs));
        a->ptrs[a->n++] = p;
        return p;
}

void *arena_calloc(struct arena *a, size_t n, size_t size) {
        return n ? arena_keep(a, xcalloc(n, size)) : NULL;
}

char *arena_strdup(struct arena *a, const char *s) {
        return s ? arena_keep(a, xstrdup(s)) : NULL;
}

void arena_clear(struct arena *a) {
        for (size_t i = 0; i < a->n; i++)
                free(a->ptrs[i]);
        free(a->ptrs);
        *a = (struct arena){0};
}
