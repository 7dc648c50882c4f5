/* NULL-terminated string vectors. */
#ifndef CRIC_UTIL_STRV_H
#define CRIC_UTIL_STRV_H

#include <stdbool.h>
#include <stddef.h>

size_t strv_length(char *const *v);
/* Appends a copy of s (or takes s with strv_push_take). *v may be NULL. */
void strv_push(char ***v, const char *s);
void strv_push_take(char ***v, char *s);
bool strv_contains(char *const *v, const char *s);
char **strv_copy(char *const *v);
/* Removes every element equal to s; returns how many. */
size_t strv_remove(char **v, const char *s);
/* The elements joined with sep ("" for an empty or NULL v). */
char *strv_join(char *const *v, const char *sep);
/* The non-empty pieces of s between any of the characters of seps; never NULL. */
char **strv_split(const char *s, const char *seps);
char **strv_free(char **v);
void strv_freep(char ***v);

#endif
