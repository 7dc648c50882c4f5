#include "util/json.h"

#include <stdio.h>
#include <string.h>

#include "util/xalloc.h"

/* The length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or 0 when there is none. */
static size_t utf8_len(const unsigned char *p) {
        unsigned char c = p[0];
        if (c < 0x80)
                return 1;
        size_t n;
        unsigned char lo = 0x80, hi = 0xBF; /* the range of the second byte */
        if (c >= 0xC2 && c <= 0xDF)
                n = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
                n = 3;
                if (c == 0xE0)
                        lo = 0xA0;
                else if (c == 0xED)
                        hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
                n = 4;
                if (c == 0xF0)
                        lo = 0x90;
                else if (c == 0xF4)
                        hi = 0x8F;
        } else
                return 0;
        if (p[1] < lo || p[1] > hi)
                return 0;
        for (size_t i = 2; i < n; i++)
                if ((p[i] & 0xC0) != 0x80)
                        return 0; /* also stops at the NUL */
        return n;
}

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
