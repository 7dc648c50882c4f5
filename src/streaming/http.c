/* HTTP/1.1 message heads (RFC 9112) and the target's path and query (RFC 3986).
 *
 * The head is read line by line and every complete line is checked at once, even while
 * the blank line that ends the head has not come yet: a client that sends garbage is
 * refused on its first line, not after HTTP_HEAD_MAX bytes. Nothing is kept between
 * calls; the caller hands the whole buffer over again when more bytes came (a head is
 * at most 16 KiB and parses in microseconds).
 *
 * Targets are checked against RFC 3986's characters, and a malformed escape ("%4",
 * "%zz") or an escaped NUL ("%00", which would cut a decoded string short) is refused,
 * so a target that came through the parser decodes cleanly. The path and query helpers
 * also take other strings: there such an escape is kept literally. */
#include "streaming/http.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

struct line {
        const char *s;
        size_t len;
};

static bool is_alnum(char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

static bool is_tchar(char ch) {
        return is_alnum(ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static bool is_token(const char *s, size_t len) {
        if (len == 0)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!is_tchar(s[i]))
                        return false;
        return true;
}

static bool is_blank(char ch) {
        return ch == ' ' || ch == '\t';
}

/* field-vchar, obs-text, SP and HTAB: anything but the other control characters. */
static bool is_text_char(char ch) {
        unsigned char c = (unsigned char) ch;
        return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* unreserved, sub-delims, ":", "@", and the "/" and "?" of path and query */
static bool is_target_char(char ch) {
        return is_alnum(ch) || (ch && strchr("-._~!$&'()*+,;=:@/?", ch));
}

static int hex_value(char ch) {
        if (ch >= '0' && ch <= '9')
                return ch - '0';
        if (ch >= 'a' && ch <= 'f')
                return ch - 'a' + 10;
        if (ch >= 'A' && ch <= 'F')
                return ch - 'A' + 10;
        return -1;
}

/* The byte of the escape at s[i] ("%XX" within s[0..len)), or -1 when there is none. */
static int escape_at(const char *s, size_t len, size_t i) {
        if (s[i] != '%' || i + 2 >= len)
                return -1;
        int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
        return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
}

static int bad(const char *what, struct cric_error **err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(const char *what, struct cric_error **err, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        AUTOFREE char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        return cric_error_set(err, CRIC_E_INVALID, "malformed HTTP %s head: %s", what, msg);
}

/* The line at *pos in buf[0..len), without its LF or CRLF. False when no LF ends it yet. */
static bool next_line(const char *buf, size_t len, size_t *pos, struct line *ret) {
        const char *start = buf + *pos;
        const char *lf = memchr(start, '\n', len - *pos);
        if (!lf)
                return false;
        size_t n = (size_t) (lf - start);
        if (n > 0 && start[n - 1] == '\r')
                n--;
        ret->s = start;
        ret->len = n;
        *pos = (size_t) (lf - buf) + 1;
        return true;
}

static int parse_version(const char *s, size_t len, int *ret_minor) {
        if (len != 8 || memcmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1'))
                return -1;
        *ret_minor = s[7] - '0';
        return 0;
}

static int check_target(const char *s, size_t len, struct cric_error **err) {
        if (len == 0 || s[0] != '/')
                return bad("request", err, "the target does not start with \"/\"");
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '%') {
                        int byte = escape_at(s, len, i);
                        if (byte < 0)
                                return bad("request", err, "malformed percent-encoding in the target at offset %zu", i);
                        if (byte == 0)
                                return bad("request", err, "percent-encoded NUL in the target at offset %zu", i);
                        i += 2;
                } else if (!is_target_char(s[i])) {
                        return bad("request", err, "character 0x%02x in the target at offset %zu", (unsigned char) s[i],
                                   i);
                }
        }
        return 0;
}

/* method SP request-target SP HTTP-version */
static int parse_request_line(struct http_head *h, struct line l, struct cric_error **err) {
        const char *sp1 = memchr(l.s, ' ', l.len);
        const char *sp2 = memrchr(l.s, ' ', l.len);
        if (!sp1 || sp1 == sp2)
                return bad("request", err, "the request line is not method, target and version");
        const char *target = sp1 + 1, *version = sp2 + 1;
        size_t method_len = (size_t) (sp1 - l.s), target_len = (size_t) (sp2 - target);
        if (!is_token(l.s, method_len))
                return bad("request", err, "the method is not a token");
        if (check_target(target, target_len, err) < 0)
                return -1;
        if (parse_version(version, (size_t) (l.s + l.len - version), &h->minor_version) < 0)
                return bad("request", err, "the version is not HTTP/1.0 or HTTP/1.1");
        h->method = xstrndup(l.s, method_len);
        h->target = xstrndup(target, target_len);
        return 0;
}

/* HTTP-version SP 3DIGIT SP [reason-phrase]; the SP before an empty reason may be
 * missing, as servers that should send it sometimes forget. */
static int parse_status_line(struct http_head *h, struct line l, struct cric_error **err) {
        if (l.len < 9 || parse_version(l.s, 8, &h->minor_version) < 0 || l.s[8] != ' ')
                return bad("response", err, "the status line does not start with HTTP/1.0 or HTTP/1.1");
        int status = 0;
        for (size_t i = 9; i < 12; i++) {
                if (i >= l.len || l.s[i] < '0' || l.s[i] > '9')
                        return bad("response", err, "the status code is not three digits");
                status = status * 10 + (l.s[i] - '0');
        }
        if (status < 100 || status > 599)
                return bad("response", err, "status code %d out of range", status);
        if (l.len > 12 && l.s[12] != ' ')
                return bad("response", err, "no space after the status code");
        const char *reason = l.s + (l.len > 12 ? 13 : 12);
        size_t reason_len = (size_t) (l.s + l.len - reason);
        for (size_t i = 0; i < reason_len; i++)
                if (!is_text_char(reason[i]))
                        return bad("response", err, "control character in the reason phrase");
        h->status = status;
        h->reason = xstrndup(reason, reason_len);
        return 0;
}

static void add_header(struct http_head *h, const char *name, size_t name_len, const char *value, size_t value_len) {
        h->headers = xrealloc(h->headers, (h->n_headers + 1) * sizeof(*h->headers));
        h->headers[h->n_headers].name = xstrndup(name, name_len);
        h->headers[h->n_headers].value = xstrndup(value, value_len);
        h->n_headers++;
}

/* field-name ":" OWS field-value OWS; l is not empty. */
static int parse_header_line(struct http_head *h, struct line l, unsigned lineno, const char *what,
                             struct cric_error **err) {
        if (is_blank(l.s[0]))
                return bad(what, err, "line %u starts with whitespace (obsolete line folding)", lineno);
        const char *colon = memchr(l.s, ':', l.len);
        if (!colon)
                return bad(what, err, "line %u: no ':' after the header name", lineno);
        size_t name_len = (size_t) (colon - l.s);
        if (name_len > 0 && is_blank(colon[-1]))
                return bad(what, err, "line %u: whitespace between the header name and ':'", lineno);
        if (!is_token(l.s, name_len))
                return bad(what, err, "line %u: the header name is not a token", lineno);
        const char *value = colon + 1, *end = l.s + l.len;
        while (value < end && is_blank(*value))
                value++;
        while (end > value && is_blank(end[-1]))
                end--;
        for (const char *p = value; p < end; p++)
                if (!is_text_char(*p))
                        return bad(what, err, "line %u: control character 0x%02x in the header value", lineno,
                                   (unsigned char) *p);
        if (h->n_headers == HTTP_HEADERS_MAX)
                return bad(what, err, "more than %d header lines", HTTP_HEADERS_MAX);
        add_header(h, l.s, name_len, value, (size_t) (end - value));
        return 0;
}

static ssize_t parse_head(const char *buf, size_t len, bool is_request, struct http_head *ret,
                          struct cric_error **err) {
        const char *what = is_request ? "request" : "response";
        CLEANUP(http_head_clear) struct http_head h = {0};
        size_t limit = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX, pos = 0;
        struct line l;
        for (unsigned lineno = 1; next_line(buf, limit, &pos, &l); lineno++) {
                if (lineno == 1) {
                        if (l.len == 0)
                                return bad(what, err, "the head starts with an empty line");
                        if ((is_request ? parse_request_line(&h, l, err) : parse_status_line(&h, l, err)) < 0)
                                return -1;
                } else if (l.len == 0) {
                        *ret = h;
                        memset(&h, 0, sizeof(h));
                        return (ssize_t) pos;
                } else if (parse_header_line(&h, l, lineno, what, err) < 0) {
                        return -1;
                }
        }
        if (len >= HTTP_HEAD_MAX)
                return bad(what, err, "no end within %d bytes", HTTP_HEAD_MAX);
        return 0;
}

ssize_t http_parse_request(const char *buf, size_t len, struct http_head *ret, struct cric_error **err) {
        return parse_head(buf, len, true, ret, err);
}

ssize_t http_parse_response(const char *buf, size_t len, struct http_head *ret, struct cric_error **err) {
        return parse_head(buf, len, false, ret, err);
}

void http_head_clear(struct http_head *h) {
        free(h->method);
        free(h->target);
        free(h->reason);
        for (size_t i = 0; i < h->n_headers; i++) {
                free(h->headers[i].name);
                free(h->headers[i].value);
        }
        free(h->headers);
        memset(h, 0, sizeof(*h));
}

const char *http_header_get(const struct http_head *h, const char *name) {
        for (size_t i = 0; i < h->n_headers; i++)
                if (strcasecmp(h->headers[i].name, name) == 0)
                        return h->headers[i].value;
        return NULL;
}

/* Whether the comma-separated list holds token; elements are trimmed, empty ones skipped. */
static bool list_has_token(const char *list, const char *token) {
        size_t token_len = strlen(token);
        for (const char *p = list;;) {
                while (is_blank(*p))
                        p++;
                const char *end = strchrnul(p, ',');
                const char *e = end;
                while (e > p && is_blank(e[-1]))
                        e--;
                if ((size_t) (e - p) == token_len && token_len > 0 && strncasecmp(p, token, token_len) == 0)
                        return true;
                if (!*end)
                        return false;
                p = end + 1;
        }
}

bool http_header_has_token(const struct http_head *h, const char *name, const char *token) {
        for (size_t i = 0; i < h->n_headers; i++)
                if (strcasecmp(h->headers[i].name, name) == 0 && list_has_token(h->headers[i].value, token))
                        return true;
        return false;
}

/* s[0..len) with its %XX escapes decoded; a malformed escape, or one of NUL, stays. */
static char *percent_decode(const char *s, size_t len) {
        char *out = xmalloc(len + 1);
        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
                int byte = escape_at(s, len, i);
                if (byte > 0) {
                        out[n++] = (char) byte;
                        i += 2;
                } else {
                        out[n++] = s[i];
                }
        }
        out[n] = '\0';
        return out;
}

char *http_target_path(const char *target) {
        return percent_decode(target, strcspn(target, "?"));
}

/* The decoded value of the next parameter called key at or after *p in a query (a
 * parameter without "=" has the value ""), or NULL when there is none. */
static char *next_value(const char **p, const char *key) {
        while (**p) {
                const char *start = *p, *end = strchrnul(start, '&');
                *p = *end ? end + 1 : end;
                const char *eq = memchr(start, '=', (size_t) (end - start));
                const char *name_end = eq ? eq : end;
                if (name_end == start)
                        continue;
                AUTOFREE char *name = percent_decode(start, (size_t) (name_end - start));
                if (strcmp(name, key) == 0)
                        return eq ? percent_decode(eq + 1, (size_t) (end - eq - 1)) : xstrdup("");
        }
        return NULL;
}

static const char *query_of(const char *target) {
        const char *q = strchr(target, '?');
        return q ? q + 1 : "";
}

char *http_query_get(const char *target, const char *key) {
        const char *p = query_of(target);
        return next_value(&p, key);
}

char **http_query_all(const char *target, const char *key) {
        const char *p = query_of(target);
        size_t n = 0, cap = 1;
        char **v = xmalloc(sizeof(*v));
        for (char *value; (value = next_value(&p, key));) {
                v = xgrow(v, &cap, n + 2, sizeof(*v));
                v[n++] = value;
        }
        v[n] = NULL;
        return v;
}

static void append(char **buf, size_t *len, size_t *cap, const char *s) {
        size_t n = strlen(s);
        *buf = xgrow(*buf, cap, *len + n + 1, 1);
        memcpy(*buf + *len, s, n + 1);
        *len += n;
}

char *http_format_response(int status, const char *reason, const char *const *headers) {
        char status_line[32];
        snprintf(status_line, sizeof(status_line), "HTTP/1.1 %d ", status);
        char *buf = NULL;
        size_t len = 0, cap = 0;
        append(&buf, &len, &cap, status_line);
        append(&buf, &len, &cap, reason ? reason : "");
        append(&buf, &len, &cap, "\r\n");
        for (size_t i = 0; headers && headers[i] && headers[i + 1]; i += 2) {
                append(&buf, &len, &cap, headers[i]);
                append(&buf, &len, &cap, ": ");
                append(&buf, &len, &cap, headers[i + 1]);
                append(&buf, &len, &cap, "\r\n");
        }
        append(&buf, &len, &cap, "\r\n");
        return buf;
}
