/* base64 decoding (RFC 4648): the standard and the URL-safe alphabet. */
#ifndef CRIC_UTIL_BASE64_H
#define CRIC_UTIL_BASE64_H

#include <stddef.h>

#include "util/error.h"

/* Decodes len bytes of in (padding optional, no whitespace). *ret is NUL-terminated
 * and owned by the caller. Bad input is CRIC_E_INVALID. */
int base64_decode(const char *in, size_t len, char **ret, size_t *ret_len, struct cric_error **err);
int base64url_decode(const char *in, size_t len, char **ret, size_t *ret_len, struct cric_error **err);

#endif
