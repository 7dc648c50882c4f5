#include "util/json.h"

#include <stdio.h>
#include <string.h>

#include "util/utf8.h"
#include "util/xalloc.h"

char *json_quote(const char *s) {
        size_t len = strlen(s), cap = len + 16, n = 0;
        char *out = xmalloc(cap);
        out[n++] = '"';
        for (const unsigned char *p = (const unsigned char *) s; *p;) {
                char esc[8];
                const char *piece = NULL;
                size_t plen = 1, used = 1;
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
                        } else if (*p >= 0x80) {
                                /* JSON text is UTF-8: a byte that starts no character
                                 * becomes U+FFFD, so that strict parsers take the result. */
                                used = plen = utf8_len(p);
                                if (!used) {
                                        piece = "\\ufffd";
                                        used = 1;
                                }
                        }
                }
                if (piece)
                        plen = strlen(piece);
                out = xgrow(out, &cap, n + plen + 2, 1);
                memcpy(out + n, piece ? piece : (const char *) p, plen);
                n += plen;
                p += used;
        }
        out[n++] = '"';
        out[n] = '\0';
        return out;
}
