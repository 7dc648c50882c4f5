/* TOML scalars other than strings: booleans, integers, floats and the four date-time
 * forms. The lexer first takes the longest run of characters that may appear in such
 * a value, then classifies and checks the whole run. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/toml_internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static bool is_digit(int c) {
        return c >= '0' && c <= '9';
}

static bool is_scalar_char(int c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '+' || c == '-' ||
               c == '.' || c == ':';
}

static int digit_value(int c, int base) {
        int d = -1;
        if (is_digit(c))
                d = c - '0';
        else if (c >= 'a' && c <= 'f')
                d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
                d = c - 'A' + 10;
        return d < base ? d : -1;
}

/* s[0..n) is one or more digits of base, with single underscores between digits. */
static bool digits_valid(const char *s, size_t n, int base) {
        if (n == 0 || digit_value(s[0], base) < 0 || digit_value(s[n - 1], base) < 0)
                return false;
        for (size_t i = 1; i < n; i++) {
                if (s[i] == '_') {
                        if (s[i - 1] == '_')
                                return false;
                } else if (digit_value(s[i], base) < 0) {
                        return false;
                }
        }
        return true;
}

static size_t span_digits(const char *s, size_t n, size_t i) {
        while (i < n && (is_digit(s[i]) || s[i] == '_'))
                i++;
        return i;
}

/* Returns NULL on success, else what is wrong. */
static const char *parse_integer(const char *s, size_t n, int64_t *ret) {
        size_t i = 0;
        int base = 10;
        bool neg = false;
        if (s[0] == '+' || s[0] == '-') {
                neg = s[0] == '-';
                i = 1;
        }
        if (n - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'o' || s[i + 1] == 'b')) {
                if (i > 0)
                        return "hex, octal and binary integers take no sign";
                base = s[i + 1] == 'x' ? 16 : s[i + 1] == 'o' ? 8 : 2;
                i += 2;
        }
        if (!digits_valid(s + i, n - i, base))
                return "invalid integer";
        if (base == 10 && s[i] == '0' && n - i > 1)
                return "leading zeros are not allowed";
        uint64_t v = 0, limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
        for (; i < n; i++) {
                if (s[i] == '_')
                        continue;
                uint64_t d = (uint64_t) digit_value(s[i], base);
                if (v > (limit - d) / (uint64_t) base)
                        return "integer does not fit in 64 bits";
                v = v * (uint64_t) base + d;
        }
        if (!neg)
                *ret = (int64_t) v;
        else
                *ret = v == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) v;
        return NULL;
}

static const char *parse_float(const char *s, size_t n, locale_t loc, double *ret) {
        size_t i = 0, start;
        bool has_frac = false, has_exp = false;
        if (s[0] == '+' || s[0] == '-')
                i = 1;
        start = i;
        i = span_digits(s, n, i);
        if (!digits_valid(s + start, i - start, 10))
                return "invalid float";
        if (s[start] == '0' && i - start > 1)
                return "leading zeros are not allowed";
        if (i < n && s[i] == '.') {
                start = ++i;
                i = span_digits(s, n, i);
                if (!digits_valid(s + start, i - start, 10))
                        return "invalid float: a digit must follow the decimal point";
                has_frac = true;
        }
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
                i++;
                if (i < n && (s[i] == '+' || s[i] == '-'))
                        i++;
                start = i;
                i = span_digits(s, n, i);
                if (!digits_valid(s + start, i - start, 10))
                        return "invalid float exponent";
                has_exp = true;
        }
        if (i != n || (!has_frac && !has_exp))
                return "invalid float";
        AUTOFREE char *buf = xmalloc(n + 1);
        size_t m = 0;
        for (i = 0; i < n; i++)
                if (s[i] != '_')
                        buf[m++] = s[i];
        buf[m] = '\0';
        *ret = strtod_l(buf, NULL, loc); /* out of range gives ±inf or 0, as IEEE 754 rounds */
        return NULL;
}

static bool two_digits(const char *s, int *ret) {
        if (!is_digit(s[0]) || !is_digit(s[1]))
                return false;
        *ret = (s[0] - '0') * 10 + (s[1] - '0');
        return true;
}

static bool is_date_start(const char *s, size_t n) {
        return n >= 5 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) && s[4] == '-';
}

static bool is_time_start(const char *s, size_t n) {
        return n >= 3 && is_digit(s[0]) && is_digit(s[1]) && s[2] == ':';
}

static int days_in_month(int year, int month) {
        static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        return month == 2 && leap ? 29 : days[month - 1];
}

static const char *parse_date(const char *s, size_t n, struct toml_datetime *dt) {
        int hi, lo;
        if (n < 10 || !two_digits(s, &hi) || !two_digits(s + 2, &lo) || s[4] != '-' || !two_digits(s + 5, &dt->month) ||
            s[7] != '-' || !two_digits(s + 8, &dt->day))
                return "invalid date (expected YYYY-MM-DD)";
        dt->year = hi * 100 + lo;
        if (dt->month < 1 || dt->month > 12 || dt->day < 1 || dt->day > days_in_month(dt->year, dt->month))
                return "date out of range";
        return NULL;
}

/* HH:MM:SS with optional fraction at s[*i]; advances *i. */
static const char *parse_time(const char *s, size_t n, size_t *i, struct toml_datetime *dt) {
        const char *t = s + *i;
        if (n - *i < 8 || !two_digits(t, &dt->hour) || t[2] != ':' || !two_digits(t + 3, &dt->minute) || t[5] != ':' ||
            !two_digits(t + 6, &dt->second))
                return "invalid time (expected HH:MM:SS)";
        if (dt->hour > 23 || dt->minute > 59 || dt->second > 60) /* 60: leap second, as RFC 3339 */
                return "time out of range";
        *i += 8;
        if (*i < n && s[*i] == '.') {
                size_t j = *i + 1, k = 0;
                for (; j < n && is_digit(s[j]); j++)
                        if (k < 9) {
                                dt->nanosecond = dt->nanosecond * 10 + (s[j] - '0');
                                k++;
                        }
                if (j == *i + 1)
                        return "a digit must follow the decimal point of the seconds";
                for (; k < 9; k++)
                        dt->nanosecond *= 10;
                *i = j;
        }
        return NULL;
}

static const char *parse_offset(const char *s, size_t n, size_t *i, struct toml_datetime *dt) {
        int hour, minute;
        if (s[*i] == 'Z' || s[*i] == 'z') {
                *i += 1;
                return NULL;
        }
        const char *t = s + *i;
        if ((t[0] != '+' && t[0] != '-') || n - *i < 6 || !two_digits(t + 1, &hour) || t[3] != ':' ||
            !two_digits(t + 4, &minute))
                return "invalid time offset (expected Z or +HH:MM)";
        if (hour > 23 || minute > 59)
                return "time offset out of range";
        dt->offset_minutes = (t[0] == '-' ? -1 : 1) * (hour * 60 + minute);
        *i += 6;
        return NULL;
}

static const char *parse_datetime(const char *s, size_t n, struct toml_datetime *dt) {
        const char *what;
        size_t i = 0;
        if (is_time_start(s, n)) {
                dt->kind = TOML_DT_TIME;
                what = parse_time(s, n, &i, dt);
                return what ? what : i == n ? NULL : "unexpected characters after time";
        }
        if ((what = parse_date(s, n, dt)))
                return what;
        dt->kind = TOML_DT_DATE;
        if (n == 10)
                return NULL;
        if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
                return "invalid date (expected YYYY-MM-DD)";
        i = 11;
        dt->kind = TOML_DT_LOCAL;
        if ((what = parse_time(s, n, &i, dt)))
                return what;
        if (i == n)
                return NULL;
        dt->kind = TOML_DT_OFFSET;
        if ((what = parse_offset(s, n, &i, dt)))
                return what;
        return i == n ? NULL : "unexpected characters after date-time";
}

static bool token_is(const char *s, size_t n, const char *word) {
        return strlen(word) == n && memcmp(s, word, n) == 0;
}

static const char *parse_special_float(const char *s, size_t n, double *ret) {
        size_t i = s[0] == '+' || s[0] == '-' ? 1 : 0;
        if (token_is(s + i, n - i, "inf"))
                *ret = s[0] == '-' ? -INFINITY : INFINITY;
        else if (token_is(s + i, n - i, "nan"))
                *ret = s[0] == '-' ? -NAN : NAN;
        else
                return "invalid value";
        return NULL;
}

static bool is_float_token(const char *s, size_t n) {
        size_t i = s[0] == '+' || s[0] == '-' ? 1 : 0;
        if (n - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'o' || s[i + 1] == 'b'))
                return false;
        return memchr(s, '.', n) || memchr(s, 'e', n) || memchr(s, 'E', n);
}

/* Classifies a token and fills v (whose type is still unset). */
static const char *parse_token(struct toml_parser *p, const char *s, size_t n, struct toml_value *v) {
        size_t i = s[0] == '+' || s[0] == '-' ? 1 : 0;
        if (token_is(s, n, "true") || token_is(s, n, "false")) {
                v->type = TOML_BOOL;
                v->u.b = s[0] == 't';
                return NULL;
        }
        if (is_date_start(s, n) || is_time_start(s, n)) {
                v->type = TOML_DATETIME;
                const char *what = parse_datetime(s, n, &v->u.dt);
                if (!what) {
                        v->u.dt.text = xstrndup(s, n);
                        if (v->u.dt.kind == TOML_DT_LOCAL || v->u.dt.kind == TOML_DT_OFFSET)
                                v->u.dt.text[10] = 'T';
                }
                return what;
        }
        if (i == n || !is_digit(s[i])) {
                v->type = TOML_FLOAT;
                return parse_special_float(s, n, &v->u.f);
        }
        if (is_float_token(s, n)) {
                v->type = TOML_FLOAT;
                if (!p->c_locale)
                        p->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t) 0);
                if (!p->c_locale)
                        return "cannot create the C locale to parse a float";
                return parse_float(s, n, p->c_locale, &v->u.f);
        }
        v->type = TOML_INTEGER;
        return parse_integer(s, n, &v->u.i);
}

int toml_lex_scalar(struct toml_parser *p, struct toml_value **ret) {
        const char *s = p->text + p->pos;
        size_t n = 0;
        while (is_scalar_char(toml_peek_at(p, n)))
                n++;
        if (n == 0) {
                int c = toml_peek(p);
                if (c < 0 || c == '#' || toml_at_newline(p))
                        return toml_error(p, "expected a value");
                if (c > 0x20 && c < 0x7F)
                        return toml_error(p, "expected a value, found '%c'", c);
                return toml_error(p, "expected a value");
        }
        /* RFC 3339 allows a space between date and time: "1979-05-27 07:32:00" */
        if (n == 10 && is_date_start(s, n) && toml_peek_at(p, 10) == ' ' && is_digit(toml_peek_at(p, 11)) &&
            is_digit(toml_peek_at(p, 12)) && toml_peek_at(p, 13) == ':') {
                n = 11;
                while (is_scalar_char(toml_peek_at(p, n)))
                        n++;
        }
        /* zeroed, so a half-parsed value (no date-time text yet) frees cleanly */
        struct toml_value *v = toml_node_new(TOML_BOOL, p->line, p->column);
        const char *what = parse_token(p, s, n, v);
        if (what) {
                toml_free(v);
                return toml_error(p, "%s: %.*s", what, (int) (n > 40 ? 40 : n), s);
        }
        toml_advance(p, n);
        *ret = v;
        return 0;
}
