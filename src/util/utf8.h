/* UTF-8 as RFC 3629 defines it. */
#ifndef CRIC_UTIL_UTF8_H
#define CRIC_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* The length of the well-formed UTF-8 sequence at p (no overlong forms, no surrogates,
 * nothing above U+10FFFF), or 0 when there is none (also at the terminating NUL). */
size_t utf8_len(const unsigned char *p);

/* Whether the NUL-terminated s is well-formed UTF-8. */
bool utf8_is_valid(const char *s);

#endif
