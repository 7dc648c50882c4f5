#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n) {
        fprintf(stderr, "cric: out of memory allocating %zu bytes, aborting\n", n);
        abort();
}

void *xmalloc(size_t n) {
        void *p = malloc(n ? n : 1);
        if (!p)
                oom(n);
        return p;
}

void *xzalloc(size_t n) {
        return xcalloc(1, n);
}

void *xcalloc(size_t n, size_t size) {
        void *p = calloc(n ? n : 1, size ? size : 1);
        if (!p)
                oom(n * size);
        return p;
}

void *xrealloc(void *p, size_t n) {
        void *q = realloc(p, n ? n : 1);
        if (!q)
                oom(n);
        return q;
}

void *xgrow(void *p, size_t *cap, size_t need, size_t elsz) {
        if (need <= *cap)
                return p;
        size_t c = *cap ? *cap : 4;
        while (c < need)
                c *= 2;
        p = xrealloc(p, c * elsz);
        *cap = c;
        return p;
}

char *xstrdup(const char *s) {
        char *r = strdup(s ? s : "");
        if (!r)
                oom(strlen(s));
        return r;
}

char *xstrndup(const char *s, size_t n) {
        char *r = strndup(s, n);
        if (!r)
                oom(n);
        return r;
}

char *xvasprintf(const char *fmt, va_list ap) {
        char *r = NULL;
        if (vasprintf(&r, fmt, ap) < 0)
                oom(strlen(fmt));
        return r;
}

char *xasprintf(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        char *r = xvasprintf(fmt, ap);
        va_end(ap);
        return r;
}
