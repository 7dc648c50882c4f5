/* libFuzzer target for the WWW-Authenticate parser (src/image/www_auth.c).
 *
 * Any input must either parse or fail with a CRIC_E_INVALID error. When it parses,
 * every scheme and parameter name must be a non-empty token, values must be free of
 * control characters, and writing the challenges back (values as quoted strings)
 * must parse to exactly the same challenges. Any mismatch aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/registry_internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static void die(const char *what, const char *header) {
        fprintf(stderr, "fuzz_www_auth: %s\n--- header:\n%s\n", what, header);
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

static void append(char **buf, size_t *len, size_t *cap, const char *s, size_t n) {
        *buf = xgrow(*buf, cap, *len + n + 1, 1);
        memcpy(*buf + *len, s, n);
        *len += n;
        (*buf)[*len] = '\0';
}

static void append_quoted(char **buf, size_t *len, size_t *cap, const char *v) {
        append(buf, len, cap, "\"", 1);
        for (; *v; v++) {
                if (*v == '"' || *v == '\\')
                        append(buf, len, cap, "\\", 1);
                append(buf, len, cap, v, 1);
        }
        append(buf, len, cap, "\"", 1);
}

static char *serialize(const struct www_auth_challenge *chs, size_t n) {
        char *buf = NULL;
        size_t len = 0, cap = 0;
        append(&buf, &len, &cap, "", 0);
        for (size_t i = 0; i < n; i++) {
                if (i)
                        append(&buf, &len, &cap, ", ", 2);
                append(&buf, &len, &cap, chs[i].scheme, strlen(chs[i].scheme));
                if (chs[i].token68) {
                        append(&buf, &len, &cap, " ", 1);
                        append(&buf, &len, &cap, chs[i].token68, strlen(chs[i].token68));
                }
                for (size_t k = 0; k < chs[i].n_params; k++) {
                        append(&buf, &len, &cap, k ? "," : " ", 1);
                        append(&buf, &len, &cap, chs[i].params[k].name, strlen(chs[i].params[k].name));
                        append(&buf, &len, &cap, "=", 1);
                        append_quoted(&buf, &len, &cap, chs[i].params[k].value);
                }
        }
        return buf;
}

static void check(const struct www_auth_challenge *chs, size_t n, const char *header) {
        if (n == 0)
                die("parsed to no challenge", header);
        for (size_t i = 0; i < n; i++) {
                if (!is_token(chs[i].scheme))
                        die("scheme is not a token", header);
                if (chs[i].token68 && chs[i].n_params)
                        die("token68 and parameters together", header);
                if (www_auth_find(chs, n, chs[i].scheme) > &chs[i])
                        die("www_auth_find skipped a challenge", header);
                for (size_t k = 0; k < chs[i].n_params; k++) {
                        if (!is_token(chs[i].params[k].name))
                                die("parameter name is not a token", header);
                        for (const unsigned char *v = (const unsigned char *) chs[i].params[k].value; *v; v++)
                                if ((*v < 0x20 && *v != '\t') || *v == 0x7f)
                                        die("control character in a value", header);
                        if (www_auth_param(&chs[i], chs[i].params[k].name) != chs[i].params[k].value)
                                die("duplicate parameter accepted", header);
                }
        }
}

static bool same(const struct www_auth_challenge *a, const struct www_auth_challenge *b) {
        if (strcmp(a->scheme, b->scheme) != 0 || a->n_params != b->n_params || !a->token68 != !b->token68 ||
            (a->token68 && strcmp(a->token68, b->token68) != 0))
                return false;
        for (size_t k = 0; k < a->n_params; k++)
                if (strcmp(a->params[k].name, b->params[k].name) != 0 ||
                    strcmp(a->params[k].value, b->params[k].value) != 0)
                        return false;
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        AUTOFREE char *header = xstrndup((const char *) data, size);
        struct www_auth_challenge *chs = NULL, *again = NULL;
        size_t n = 0, n_again = 0;
        struct cric_error *err = NULL;
        if (www_auth_parse(header, &chs, &n, &err) < 0) {
                if (!err || err->kind != CRIC_E_INVALID || !err->msg)
                        die("failure without a CRIC_E_INVALID error", header);
                cric_error_free(err);
                return 0;
        }
        if (err)
                die("success with an error set", header);
        check(chs, n, header);
        AUTOFREE char *text = serialize(chs, n);
        if (www_auth_parse(text, &again, &n_again, &err) < 0) {
                fprintf(stderr, "fuzz_www_auth: %s\n", err->msg);
                die("our own serialization does not parse", text);
        }
        if (n_again != n)
                die("challenge count changed on re-parse", text);
        for (size_t i = 0; i < n; i++)
                if (!same(&chs[i], &again[i]))
                        die("challenge changed on re-parse", text);
        www_auth_challenges_free(chs, n);
        www_auth_challenges_free(again, n_again);
        return 0;
}
