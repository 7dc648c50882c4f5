#include "util/json.h"

#include <stdio.h>
#include <string.h>

#include "util/xalloc.h"

char *json_quote(const char *s) {
        size_t len = strlen(s), cap = len + 16, n = 0;
        char *out = xmalloc(cap);
        out[n++] = '"';
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                char esc[8];
                const char *piece = NULL;
                switch (*p) {
                case '"': piece = "\\\""; break;
                case '\\': piece = "\\\\"; break;
                case '\n': piece = "\\n"; break;
                case '\r': piece = "\\r"; break;
                case '\t': piece = "\\t"; break;
                case '\b': piece = "\\b"; break;
                case '\f': piece = "\\f"; break;
                default:
                        if (*p < 0x20) {
                                snprintf(esc, sizeof(esc), "\\u%04x", *p);
                                piece = esc;
                        }
                }
                size_t plen = piece ? strlen(piece) : 1;
                out = xgrow(out, &cap, n + plen + 2, 1);
                if (piece) {
                        memcpy(out + n, piece, plen);
                        n += plen;
                } else {
                        out[n++] = (char) *p;
                }
        }
        out[n++] = '"';
        out[n] = '\0';
        return out;
}
