/* libFuzzer target for the HTTP head parsers (src/streaming/http.c).
 *
 * The input goes to the request parser and to the response parser. Each must return a
 * head length within the input, ask for more (only below HTTP_HEAD_MAX and without an
 * error) or fail with a CRIC_E_INVALID error. A parsed head must hold a token method
 * and a clean origin-form target (or a status in 100..599 and a clean reason), at most
 * HTTP_HEADERS_MAX headers with token names and trimmed values free of control
 * characters; a proper prefix of it must ask for more; and written back out (responses
 * through http_format_response) it must parse to the same head. The lookups and query
 * helpers run over every parsed head. Any mismatch aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "streaming/http.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

static void die(const char *what, const char *buf, size_t len) {
        fprintf(stderr, "fuzz_http_request: %s\n--- input (%zu bytes):\n%.*s\n", what, len, (int) len, buf);
        abort();
}

static bool is_token(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                      strchr("!#$%&'*+-.^_`|~", *s)))
                        return false;
        return true;
}

static bool is_clean(const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
                        return false;
        return true;
}

static bool is_trimmed(const char *s) {
        size_t n = strlen(s);
        return n == 0 || (s[0] != ' ' && s[0] != '\t' && s[n - 1] != ' ' && s[n - 1] != '\t');
}

static bool is_hex(char ch) {
        return ch && strchr("0123456789abcdefABCDEF", ch);
}

/* Printable ASCII but "#" and space, and every "%" starts an escape of a byte other than NUL. */
static bool is_clean_target(const char *s) {
        if (s[0] != '/')
                return false;
        for (size_t i = 0; s[i]; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c <= 0x20 || c >= 0x7f || c == '#')
                        return false;
                if (c == '%' && (!is_hex(s[i + 1]) || !is_hex(s[i + 2]) || (s[i + 1] == '0' && s[i + 2] == '0')))
                        return false;
        }
        return true;
}

static void check_headers(const struct http_head *h, const char *buf, size_t len) {
        if (h->n_headers > HTTP_HEADERS_MAX)
                die("too many headers", buf, len);
        for (size_t i = 0; i < h->n_headers; i++) {
                const char *name = h->headers[i].name, *value = h->headers[i].value;
                if (!is_token(name))
                        die("header name is not a token", buf, len);
                if (!is_clean(value) || !is_trimmed(value))
                        die("header value has control characters or blanks around it", buf, len);
                const char *first = http_header_get(h, name);
                size_t j = 0;
                while (j < i && h->headers[j].value != first)
                        j++;
                if (h->headers[j].value != first || strcasecmp(h->headers[j].name, name) != 0)
                        die("http_header_get did not return the first header of that name", buf, len);
                if (*value && !strchr(value, ',') && !http_header_has_token(h, name, value))
                        die("http_header_has_token missed a one-element list", buf, len);
        }
}

static void check_query(const char *target, const char *buf, size_t len) {
        AUTOFREE char *path = http_target_path(target);
        if (!path || strlen(path) > strlen(target))
                die("path longer than the target", buf, len);
        const char *keys[] = {"command", "a", ""};
        for (size_t k = 0; k < 3; k++) {
                CLEANUP(strv_freep) char **all = http_query_all(target, keys[k]);
                AUTOFREE char *first = http_query_get(target, keys[k]);
                if (!all || !first != !all[0] || (first && strcmp(first, all[0]) != 0))
                        die("http_query_get and http_query_all disagree", buf, len);
        }
}

static void check(const struct http_head *h, bool is_request, const char *buf, size_t len) {
        if (h->minor_version != 0 && h->minor_version != 1)
                die("minor version not 0 or 1", buf, len);
        if (is_request) {
                if (!h->method || !h->target || h->reason || !is_token(h->method) || !is_clean_target(h->target))
                        die("bad method or target", buf, len);
                check_query(h->target, buf, len);
        } else if (h->method || h->target || !h->reason || h->status < 100 || h->status > 599 || !is_clean(h->reason)) {
                die("bad status or reason", buf, len);
        }
        check_headers(h, buf, len);
}

static void append(char **buf, size_t *len, size_t *cap, const char *s) {
        size_t n = strlen(s);
        *buf = xgrow(*buf, cap, *len + n + 1, 1);
        memcpy(*buf + *len, s, n + 1);
        *len += n;
}

static char *serialize(const struct http_head *h, bool is_request) {
        const char **list = xcalloc(2 * h->n_headers + 1, sizeof(*list));
        for (size_t i = 0; i < h->n_headers; i++) {
                list[2 * i] = h->headers[i].name;
                list[2 * i + 1] = h->headers[i].value;
        }
        char *text;
        if (!is_request && h->minor_version == 1) {
                text = http_format_response(h->status, h->reason, list);
        } else {
                text = is_request ? xasprintf("%s %s HTTP/1.%d\r\n", h->method, h->target, h->minor_version)
                                  : xasprintf("HTTP/1.0 %d %s\r\n", h->status, h->reason);
                size_t len = strlen(text), cap = len + 1;
                for (size_t i = 0; i < 2 * h->n_headers; i += 2) {
                        append(&text, &len, &cap, list[i]);
                        append(&text, &len, &cap, ": ");
                        append(&text, &len, &cap, list[i + 1]);
                        append(&text, &len, &cap, "\r\n");
                }
                append(&text, &len, &cap, "\r\n");
        }
        free(list);
        return text;
}

static bool same(const struct http_head *a, const struct http_head *b) {
        if (!a->method != !b->method || (a->method && strcmp(a->method, b->method) != 0) || !a->target != !b->target ||
            (a->target && strcmp(a->target, b->target) != 0) || !a->reason != !b->reason ||
            (a->reason && strcmp(a->reason, b->reason) != 0) || a->status != b->status ||
            a->minor_version != b->minor_version || a->n_headers != b->n_headers)
                return false;
        for (size_t i = 0; i < a->n_headers; i++)
                if (strcmp(a->headers[i].name, b->headers[i].name) != 0 ||
                    strcmp(a->headers[i].value, b->headers[i].value) != 0)
                        return false;
        return true;
}

static ssize_t parse(bool is_request, const char *buf, size_t len, struct http_head *h, struct cric_error **err) {
        return is_request ? http_parse_request(buf, len, h, err) : http_parse_response(buf, len, h, err);
}

static void check_prefix(bool is_request, const char *buf, size_t len) {
        struct http_head h = {0};
        struct cric_error *err = NULL;
        if (parse(is_request, buf, len, &h, &err) != 0 || err)
                die("a proper prefix of a head did not ask for more", buf, len);
}

static void check_reparse(const struct http_head *h, bool is_request, const char *buf, size_t len) {
        AUTOFREE char *text = serialize(h, is_request);
        size_t text_len = strlen(text);
        if (text_len > HTTP_HEAD_MAX)
                return; /* "a:b\n" lines grow to "a: b\r\n" */
        CLEANUP(http_head_clear) struct http_head again = {0};
        struct cric_error *err = NULL;
        ssize_t r = parse(is_request, text, text_len, &again, &err);
        if (r != (ssize_t) text_len) {
                fprintf(stderr, "fuzz_http_request: %s\n", err ? err->msg : "incomplete");
                die("our own serialization does not parse", text, text_len);
        }
        if (!same(h, &again))
                die("head changed on re-parse", buf, len);
}

static void run(bool is_request, const char *buf, size_t len) {
        CLEANUP(http_head_clear) struct http_head h = {0};
        struct cric_error *err = NULL;
        ssize_t r = parse(is_request, buf, len, &h, &err);
        if (r < 0) {
                if (r != -1 || !err || err->kind != CRIC_E_INVALID || !err->msg)
                        die("failure without a CRIC_E_INVALID error", buf, len);
                cric_error_free(err);
                return;
        }
        if (err)
                die("success with an error set", buf, len);
        if (r == 0) {
                if (len >= HTTP_HEAD_MAX)
                        die("asked for more past HTTP_HEAD_MAX", buf, len);
                return;
        }
        if ((size_t) r > len || r > HTTP_HEAD_MAX || r < 4)
                die("head length out of range", buf, len);
        check(&h, is_request, buf, len);
        check_prefix(is_request, buf, (size_t) r - 1);
        check_prefix(is_request, buf, (size_t) r / 2);
        check_reparse(&h, is_request, buf, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        /* a copy of exactly size bytes, so ASan sees any read past the end */
        AUTOFREE char *buf = xmalloc(size);
        if (size)
                memcpy(buf, data, size);
        run(true, buf, size);
        run(false, buf, size);
        return 0;
}
