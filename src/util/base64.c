#include "util/base64.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static int b64_value(char ch, bool is_url) {
        if (ch >= 'A' && ch <= 'Z')
                return ch - 'A';
        if (ch >= 'a' && ch <= 'z')
                return ch - 'a' + 26;
        if (ch >= '0' && ch <= '9')
                return ch - '0' + 52;
        if (ch == (is_url ? '-' : '+'))
                return 62;
        if (ch == (is_url ? '_' : '/'))
                return 63;
        return -1;
}

static int decode(const char *in, size_t len, bool is_url, char **ret, size_t *ret_len, struct cric_error **err) {
        size_t pad = 0;
        while (len > 0 && in[len - 1] == '=' && pad < 2) {
                len--;
                pad++;
        }
        if (len % 4 == 1 || (pad && (len + pad) % 4 != 0))
                return cric_error_set(err, CRIC_E_INVALID, "invalid base64: bad length");
        char *out = xmalloc(len / 4 * 3 + 3);
        size_t n = 0;
        uint32_t acc = 0;
        for (size_t i = 0; i < len; i++) {
                int v = b64_value(in[i], is_url);
                if (v < 0) {
                        explicit_bzero(out, n);
                        free(out);
                        return cric_error_set(err, CRIC_E_INVALID, "invalid base64: bad character at offset %zu", i);
                }
                acc = (acc << 6) | (uint32_t) v;
                if (i % 4 == 3) {
                        out[n++] = (char) (acc >> 16);
                        out[n++] = (char) (acc >> 8);
                        out[n++] = (char) acc;
                        acc = 0;
                }
        }
        if (len % 4 == 2) {
                out[n++] = (char) (acc >> 4);
        } else if (len % 4 == 3) {
                out[n++] = (char) (acc >> 10);
                out[n++] = (char) (acc >> 2);
        }
        out[n] = '\0';
        *ret = out;
        *ret_len = n;
        return 0;
}

int base64_decode(const char *in, size_t len, char **ret, size_t *ret_len, struct cric_error **err) {
        return decode(in, len, false, ret, ret_len, err);
}

int base64url_decode(const char *in, size_t len, char **ret, size_t *ret_len, struct cric_error **err) {
        return decode(in, len, true, ret, ret_len, err);
}
