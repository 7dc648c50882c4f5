#include "util/strv.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

size_t strv_length(char *const *v) {
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

void strv_push_take(char ***v, char *s) {
        size_t n = strv_length(*v);
        *v = xrealloc(*v, (n + 2) * sizeof(char *));
        (*v)[n] = s;
        (*v)[n + 1] = NULL;
}

void strv_push(char ***v, const char *s) {
        strv_push_take(v, xstrdup(s));
}

bool strv_contains(char *const *v, const char *s) {
        for (; v && *v; v++)
                if (!strcmp(*v, s))
                        return true;
        return false;
}

char **strv_copy(char *const *v) {
        size_t n = strv_length(v);
        char **r = xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
                r[i] = xstrdup(v[i]);
        return r;
}

size_t strv_remove(char **v, const char *s) {
        size_t removed = 0, w = 0;
        for (size_t r = 0; v && v[r]; r++) {
                if (!strcmp(v[r], s)) {
                        free(v[r]);
                        removed++;
                } else {
                        v[w++] = v[r];
                }
        }
        if (v)
                v[w] = NULL;
        return removed;
}

char *strv_join(char *const *v, const char *sep) {
        size_t len = 1, sl = strlen(sep);
        for (size_t i = 0; v && v[i]; i++)
                len += strlen(v[i]) + sl;
        char *out = xmalloc(len), *p = out;
        for (size_t i = 0; v && v[i]; i++) {
                if (i) {
                        memcpy(p, sep, sl);
                        p += sl;
                }
                size_t l = strlen(v[i]);
                memcpy(p, v[i], l);
                p += l;
        }
        *p = 0;
        return out;
}

char **strv_split(const char *s, const char *seps) {
        char **v = xcalloc(1, sizeof(*v));
        while (s && *s) {
                size_t skip = strspn(s, seps);
                s += skip;
                size_t n = strcspn(s, seps);
                if (n)
                        strv_push_take(&v, xstrndup(s, n));
                s += n;
        }
        return v;
}

char **strv_free(char **v) {
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
        return NULL;
}

void strv_freep(char ***v) {
        if (v)
                *v = strv_free(*v);
}
