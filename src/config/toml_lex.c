/* TOML lexer: the input cursor, the up-front text check, strings and keys.
 * Numbers, booleans and dates are in toml_scalar.c. */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "config/toml_internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

struct sbuf {
        char *s;
        size_t len, cap;
};

static void sbuf_put(struct sbuf *b, const char *data, size_t n) {
        b->s = xgrow(b->s, &b->cap, b->len + n + 1, 1);
        memcpy(b->s + b->len, data, n);
        b->len += n;
        b->s[b->len] = '\0';
}

static char *sbuf_steal(struct sbuf *b) {
        if (!b->s)
                sbuf_put(b, "", 0);
        return STEAL_PTR(b->s);
}

static void sbuf_freep(struct sbuf *b) {
        free(b->s);
}

void toml_advance(struct toml_parser *p, size_t n) {
        for (; n > 0 && p->pos < p->len; n--) {
                unsigned char c = (unsigned char) p->text[p->pos++];
                if (c == '\n') {
                        p->line++;
                        p->column = 1;
                } else if ((c & 0xC0) != 0x80) { /* columns count characters, not bytes */
                        p->column++;
                }
        }
}

bool toml_at_newline(const struct toml_parser *p) {
        int c = toml_peek(p);
        return c == '\n' || (c == '\r' && toml_peek_at(p, 1) == '\n');
}

void toml_skip_ws(struct toml_parser *p) {
        while (toml_peek(p) == ' ' || toml_peek(p) == '\t')
                toml_advance(p, 1);
}

void toml_skip_ws_nl_comments(struct toml_parser *p) {
        for (;;) {
                int c = toml_peek(p);
                if (c == ' ' || c == '\t' || c == '\n') {
                        toml_advance(p, 1);
                } else if (c == '\r' && toml_peek_at(p, 1) == '\n') {
                        toml_advance(p, 2);
                } else if (c == '#') {
                        while (toml_peek(p) >= 0 && !toml_at_newline(p))
                                toml_advance(p, 1);
                } else {
                        return;
                }
        }
}

int toml_error_at(struct toml_parser *p, unsigned line, unsigned column, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        AUTOFREE char *what = xvasprintf(fmt, ap);
        va_end(ap);
        return cric_error_set(p->err, CRIC_E_INVALID, "%s:%u:%u: %s", p->filename ? p->filename : "<input>", line,
                              column, what);
}

static bool is_cont(unsigned char c) {
        return (c & 0xC0) == 0x80;
}

size_t toml_utf8_len(const unsigned char *s, size_t avail) {
        if (avail == 0)
                return 0;
        unsigned char c = s[0];
        if (c < 0x80)
                return 1;
        if (c < 0xC2 || c > 0xF4) /* stray continuation byte, overlong 2-byte form, beyond U+10FFFF */
                return 0;
        size_t n = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (avail < n)
                return 0;
        for (size_t i = 1; i < n; i++)
                if (!is_cont(s[i]))
                        return 0;
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xF0 && s[1] < 0x90)) /* overlong */
                return 0;
        if (c == 0xED && s[1] >= 0xA0) /* UTF-16 surrogate */
                return 0;
        if (c == 0xF4 && s[1] >= 0x90) /* above U+10FFFF */
                return 0;
        return n;
}

int toml_check_text(struct toml_parser *p) {
        const unsigned char *s = (const unsigned char *) p->text;
        size_t start = 0;
        if (p->len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
                start = 3;
        p->pos = start;
        while (p->pos < p->len) {
                unsigned char c = s[p->pos];
                size_t n = 1;
                if (c >= 0x80) {
                        n = toml_utf8_len(s + p->pos, p->len - p->pos);
                        if (n == 0)
                                return toml_error(p, "invalid UTF-8 byte 0x%02X", c);
                } else if (c == '\r') {
                        if (toml_peek_at(p, 1) != '\n')
                                return toml_error(p, "carriage return not followed by a line feed");
                } else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F) {
                        return toml_error(p, "control character U+%04X is not allowed", c);
                }
                toml_advance(p, n);
        }
        p->pos = start;
        p->line = p->column = 1;
        return 0;
}

static int hex_value(int c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static size_t utf8_encode(uint32_t cp, char out[4]) {
        if (cp < 0x80) {
                out[0] = (char) cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char) (0xC0 | (cp >> 6));
                out[1] = (char) (0x80 | (cp & 0x3F));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char) (0xE0 | (cp >> 12));
                out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
                out[2] = (char) (0x80 | (cp & 0x3F));
                return 3;
        }
        out[0] = (char) (0xF0 | (cp >> 18));
        out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char) (0x80 | (cp & 0x3F));
        return 4;
}

/* \uXXXX or \UXXXXXXXX at the cursor. */
static int lex_unicode_escape(struct toml_parser *p, struct sbuf *b, unsigned ndigits) {
        uint32_t cp = 0;
        for (unsigned i = 0; i < ndigits; i++) {
                int h = hex_value(toml_peek_at(p, 2 + i));
                if (h < 0)
                        return toml_error(p, "\\%c escape needs %u hex digits", ndigits == 4 ? 'u' : 'U', ndigits);
                cp = cp * 16 + (uint32_t) h;
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return toml_error(p, "escape U+%04X is not a Unicode scalar value", (unsigned) cp);
        if (cp == 0)
                return toml_error(p, "escaped NUL characters are not supported");
        char out[4];
        sbuf_put(b, out, utf8_encode(cp, out));
        toml_advance(p, 2 + ndigits);
        return 0;
}

/* One escape sequence at the cursor (which is on the backslash). */
static int lex_escape(struct toml_parser *p, struct sbuf *b) {
        int c = toml_peek_at(p, 1);
        const char *rep;
        switch (c) {
        case 'b': rep = "\b"; break;
        case 't': rep = "\t"; break;
        case 'n': rep = "\n"; break;
        case 'f': rep = "\f"; break;
        case 'r': rep = "\r"; break;
        case '"': rep = "\""; break;
        case '\\': rep = "\\"; break;
        case 'u': return lex_unicode_escape(p, b, 4);
        case 'U': return lex_unicode_escape(p, b, 8);
        default:
                if (c > 0x20 && c < 0x7F)
                        return toml_error(p, "invalid escape sequence \\%c", c);
                return toml_error(p, "invalid escape sequence");
        }
        sbuf_put(b, rep, 1);
        toml_advance(p, 2);
        return 0;
}

/* "..." or '...' at the cursor. */
static int lex_single_line(struct toml_parser *p, char quote, char **ret) {
        unsigned line = p->line, column = p->column;
        CLEANUP(sbuf_freep) struct sbuf b = {0};
        toml_advance(p, 1);
        for (;;) {
                int c = toml_peek(p);
                if (c < 0 || c == '\n' || c == '\r')
                        return toml_error_at(p, line, column, "unterminated string");
                if (c == quote) {
                        toml_advance(p, 1);
                        break;
                }
                if (c == '\\' && quote == '"') {
                        if (lex_escape(p, &b) < 0)
                                return -1;
                        continue;
                }
                sbuf_put(&b, p->text + p->pos, 1);
                toml_advance(p, 1);
        }
        *ret = sbuf_steal(&b);
        return 0;
}

/* A backslash in a multi-line basic string: either the line-ending backslash, which
 * eats all whitespace and newlines up to the next other character, or an escape. */
static int lex_ml_backslash(struct toml_parser *p, struct sbuf *b) {
        size_t i = 1;
        while (toml_peek_at(p, i) == ' ' || toml_peek_at(p, i) == '\t')
                i++;
        int c = toml_peek_at(p, i);
        if (c != '\n' && c != '\r')
                return lex_escape(p, b);
        toml_advance(p, i);
        for (;;) {
                c = toml_peek(p);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
                        return 0;
                toml_advance(p, 1);
        }
}

/* """...""" or '''...''' at the cursor. Up to two quotes may sit right before the
 * closing delimiter; CRLF is stored as LF. */
static int lex_multiline(struct toml_parser *p, char quote, char **ret) {
        unsigned line = p->line, column = p->column;
        CLEANUP(sbuf_freep) struct sbuf b = {0};
        toml_advance(p, 3);
        if (toml_at_newline(p)) /* a newline right after the opening delimiter is trimmed */
                toml_advance(p, toml_peek(p) == '\r' ? 2 : 1);
        for (;;) {
                int c = toml_peek(p);
                if (c < 0)
                        return toml_error_at(p, line, column, "unterminated multi-line string");
                if (c == quote) {
                        size_t n = 0;
                        while (toml_peek_at(p, n) == quote)
                                n++;
                        if (n > 5)
                                return toml_error(p, "too many quotes in a row in multi-line string");
                        sbuf_put(&b, quote == '"' ? "\"\"" : "''", n >= 3 ? n - 3 : n);
                        toml_advance(p, n);
                        if (n >= 3)
                                break;
                        continue;
                }
                if (c == '\\' && quote == '"') {
                        if (lex_ml_backslash(p, &b) < 0)
                                return -1;
                        continue;
                }
                if (c == '\r') { /* the text check guarantees a following \n */
                        sbuf_put(&b, "\n", 1);
                        toml_advance(p, 2);
                        continue;
                }
                sbuf_put(&b, p->text + p->pos, 1);
                toml_advance(p, 1);
        }
        *ret = sbuf_steal(&b);
        return 0;
}

int toml_lex_string(struct toml_parser *p, bool allow_multiline, char **ret) {
        int q = toml_peek(p);
        if (allow_multiline && toml_peek_at(p, 1) == q && toml_peek_at(p, 2) == q)
                return lex_multiline(p, (char) q, ret);
        return lex_single_line(p, (char) q, ret);
}

static bool is_bare_key_char(int c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int lex_key_part(struct toml_parser *p, struct toml_key_part *part) {
        part->line = p->line;
        part->column = p->column;
        int c = toml_peek(p);
        if (c == '"' || c == '\'')
                return toml_lex_string(p, false, &part->name);
        size_t n = 0;
        while (is_bare_key_char(toml_peek_at(p, n)))
                n++;
        if (n == 0) {
                if (c > 0x20 && c < 0x7F)
                        return toml_error(p, "expected a key, found '%c'", c);
                return toml_error(p, "expected a key");
        }
        part->name = xstrndup(p->text + p->pos, n);
        toml_advance(p, n);
        return 0;
}

void toml_key_clear(struct toml_key *k) {
        for (size_t i = 0; k->parts && i < k->len; i++) /* parts may have been stolen */
                free(k->parts[i].name);
        free(k->parts);
        *k = (struct toml_key){0};
}

int toml_lex_key(struct toml_parser *p, struct toml_key *ret) {
        CLEANUP(toml_key_clear) struct toml_key k = {0};
        for (;;) {
                toml_skip_ws(p);
                if (k.len == TOML_MAX_KEY_PARTS)
                        return toml_error(p, "key has more than %d parts", TOML_MAX_KEY_PARTS);
                k.parts = xgrow(k.parts, &k.cap, k.len + 1, sizeof(*k.parts));
                k.parts[k.len].name = NULL;
                if (lex_key_part(p, &k.parts[k.len]) < 0)
                        return -1;
                k.len++;
                toml_skip_ws(p);
                if (toml_peek(p) != '.')
                        break;
                toml_advance(p, 1);
        }
        *ret = (struct toml_key){.parts = STEAL_PTR(k.parts), .len = k.len, .cap = k.cap};
        return 0;
}
