/* Writer helpers: TOML string and key literals that the parser reads back unchanged. */
#include <stdio.h>
#include <string.h>

#include "config/toml_internal.h"
#include "util/xalloc.h"

static const char *short_escape(unsigned char c) {
        switch (c) {
        case '"': return "\\\"";
        case '\\': return "\\\\";
        case '\b': return "\\b";
        case '\t': return "\\t";
        case '\n': return "\\n";
        case '\f': return "\\f";
        case '\r': return "\\r";
        default: return NULL;
        }
}

/* Quotes any byte string as a TOML basic string. Control characters (which TOML does not
 * allow raw) are escaped; a byte that is not part of valid UTF-8 cannot be written in TOML
 * at all and becomes \uFFFD, the replacement character, so the output always parses. */
char *toml_quote_string(const char *s) {
        const unsigned char *in = (const unsigned char *) (s ? s : "");
        size_t len = strlen((const char *) in), cap = len + 3, n = 0;
        char *out = xmalloc(cap);
        out[n++] = '"';
        for (size_t i = 0; i < len;) {
                char esc[8];
                const char *piece = short_escape(in[i]);
                size_t plen, consumed = 1;
                if (!piece && (in[i] < 0x20 || in[i] == 0x7F)) {
                        snprintf(esc, sizeof(esc), "\\u%04X", in[i]);
                        piece = esc;
                } else if (!piece && in[i] >= 0x80) {
                        consumed = toml_utf8_len(in + i, len - i);
                        if (consumed == 0) {
                                piece = "\\uFFFD";
                                consumed = 1;
                        }
                }
                plen = piece ? strlen(piece) : consumed;
                out = xgrow(out, &cap, n + plen + 2, 1);
                memcpy(out + n, piece ? piece : (const char *) in + i, plen);
                n += plen;
                i += consumed;
        }
        out[n++] = '"';
        out[n] = '\0';
        return out;
}

static bool is_bare_key(const char *key) {
        if (!*key)
                return false;
        for (const char *c = key; *c; c++)
                if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' ||
                      *c == '-'))
                        return false;
        return true;
}

char *toml_quote_key(const char *key) {
        if (key && is_bare_key(key))
                return xstrdup(key);
        return toml_quote_string(key);
}
