/* Allocation wrappers: out of memory aborts with a message; every other failure is returned. */
#ifndef CRIC_UTIL_XALLOC_H
#define CRIC_UTIL_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xzalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grows *p (holding *cap elements of size elsz) so that it holds at least need elements. */
void *xgrow(void *p, size_t *cap, size_t need, size_t elsz);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

#endif
