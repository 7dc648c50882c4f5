/* WWW-Authenticate parser (RFC 9110 section 11.6.1):
 *
 *   WWW-Authenticate = 1#challenge
 *   challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param       = token BWS "=" BWS ( token / quoted-string )
 *
 * Commas separate both challenges and the parameters inside one, so after each
 * parameter we look ahead: "name =" continues the challenge, anything else starts the
 * next one. The input comes from the network, so every malformed form is an error
 * rather than a guess, and the counts are bounded. */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "image/registry_internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define MAX_CHALLENGES 16
#define MAX_PARAMS     32

static bool is_alnum(char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

static bool is_tchar(char ch) {
        return is_alnum(ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static bool is_token68_char(char ch) {
        return is_alnum(ch) || (ch && strchr("-._~+/", ch));
}

static bool is_ows(char ch) {
        return ch == ' ' || ch == '\t';
}

static size_t skip_ows(const char *s, size_t i) {
        while (is_ows(s[i]))
                i++;
        return i;
}

/* Skips whitespace and empty list elements (",,"). */
static size_t skip_separators(const char *s, size_t i) {
        while (is_ows(s[i]) || s[i] == ',')
                i++;
        return i;
}

static int syntax_error(struct cric_error **err, size_t pos, const char *what) {
        return cric_error_set(err, CRIC_E_INVALID, "malformed WWW-Authenticate header: %s at offset %zu", what, pos);
}

static char *read_token(const char *s, size_t *i) {
        size_t start = *i;
        while (is_tchar(s[*i]))
                (*i)++;
        return *i > start ? xstrndup(s + start, *i - start) : NULL;
}

static int read_quoted(const char *s, size_t *i, char **ret, struct cric_error **err) {
        size_t start = *i, len = 0, cap = 16;
        AUTOFREE char *buf = xmalloc(cap);
        for ((*i)++; s[*i] != '"'; (*i)++) {
                if (s[*i] == '\\')
                        (*i)++;
                unsigned char ch = (unsigned char) s[*i];
                if (!ch)
                        return syntax_error(err, start, "unterminated quoted string");
                if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
                        return syntax_error(err, *i, "control character in quoted string");
                buf = xgrow(buf, &cap, len + 2, 1);
                buf[len++] = (char) ch;
        }
        (*i)++;
        buf[len] = '\0';
        *ret = STEAL_PTR(buf);
        return 0;
}

/* A token68 is the only thing after the scheme: "Basic dXNlcjpwYXNz". */
static bool try_token68(const char *s, size_t *i, struct www_auth_challenge *ch) {
        size_t j = *i;
        while (is_token68_char(s[j]))
                j++;
        if (j == *i)
                return false;
        while (s[j] == '=')
                j++;
        size_t k = skip_ows(s, j);
        if (s[k] && s[k] != ',')
                return false;
        ch->token68 = xstrndup(s + *i, j - *i);
        *i = k;
        return true;
}

/* Whether the list element at i is "name = ..." (another parameter of the current
 * challenge) rather than the scheme of the next challenge. */
static bool next_is_param(const char *s, size_t i) {
        size_t j = i;
        while (is_tchar(s[j]))
                j++;
        if (j == i)
                return true; /* not a token at all: let the parameter parser report it */
        return s[skip_ows(s, j)] == '=';
}

static int add_param(struct www_auth_challenge *ch, char **name, char **value, size_t pos, struct cric_error **err) {
        for (size_t k = 0; k < ch->n_params; k++)
                if (strcasecmp(ch->params[k].name, *name) == 0)
                        return syntax_error(err, pos, "duplicate parameter");
        if (ch->n_params == MAX_PARAMS)
                return syntax_error(err, pos, "too many parameters");
        ch->params = xrealloc(ch->params, (ch->n_params + 1) * sizeof(*ch->params));
        ch->params[ch->n_params].name = STEAL_PTR(*name);
        ch->params[ch->n_params].value = STEAL_PTR(*value);
        ch->n_params++;
        return 0;
}

static int parse_params(const char *s, size_t *pos, struct www_auth_challenge *ch, struct cric_error **err) {
        size_t i = *pos;
        for (;;) {
                size_t start = i;
                AUTOFREE char *name = read_token(s, &i);
                AUTOFREE char *value = NULL;
                if (!name)
                        return syntax_error(err, i, "expected a parameter name");
                i = skip_ows(s, i);
                if (s[i] != '=')
                        return syntax_error(err, i, "expected '=' after a parameter name");
                i = skip_ows(s, i + 1);
                if (s[i] == '"') {
                        if (read_quoted(s, &i, &value, err) < 0)
                                return -1;
                } else if (!(value = read_token(s, &i))) {
                        return syntax_error(err, i, "expected a parameter value");
                }
                if (add_param(ch, &name, &value, start, err) < 0)
                        return -1;
                i = skip_ows(s, i);
                if (!s[i])
                        break;
                if (s[i] != ',')
                        return syntax_error(err, i, "expected ',' after a parameter");
                i = skip_separators(s, i);
                if (!s[i] || !next_is_param(s, i))
                        break;
        }
        *pos = i;
        return 0;
}

static int parse_challenge(const char *s, size_t *pos, struct www_auth_challenge *ch, struct cric_error **err) {
        size_t i = *pos;
        ch->scheme = read_token(s, &i);
        if (!ch->scheme)
                return syntax_error(err, i, "expected an auth scheme");
        if (s[i] && s[i] != ',' && !is_ows(s[i]))
                return syntax_error(err, i, "unexpected character after the auth scheme");
        i = skip_ows(s, i);
        if (!s[i] || s[i] == ',' || try_token68(s, &i, ch)) {
                *pos = i;
                return 0;
        }
        *pos = i;
        return parse_params(s, pos, ch, err);
}

int www_auth_parse(const char *header, struct www_auth_challenge **ret, size_t *ret_n, struct cric_error **err) {
        struct www_auth_challenge *chs = NULL;
        size_t n = 0, i = 0;
        for (;;) {
                i = skip_separators(header, i);
                if (!header[i])
                        break;
                if (n == MAX_CHALLENGES) {
                        www_auth_challenges_free(chs, n);
                        return syntax_error(err, i, "too many challenges");
                }
                chs = xrealloc(chs, (n + 1) * sizeof(*chs));
                memset(&chs[n], 0, sizeof(*chs));
                n++;
                if (parse_challenge(header, &i, &chs[n - 1], err) < 0) {
                        www_auth_challenges_free(chs, n);
                        return -1;
                }
        }
        if (n == 0)
                return cric_error_set(err, CRIC_E_INVALID, "empty WWW-Authenticate header");
        *ret = chs;
        *ret_n = n;
        return 0;
}

const char *www_auth_param(const struct www_auth_challenge *c, const char *name) {
        for (size_t i = 0; i < c->n_params; i++)
                if (strcasecmp(c->params[i].name, name) == 0)
                        return c->params[i].value;
        return NULL;
}

const struct www_auth_challenge *www_auth_find(const struct www_auth_challenge *chs, size_t n, const char *scheme) {
        for (size_t i = 0; i < n; i++)
                if (strcasecmp(chs[i].scheme, scheme) == 0)
                        return &chs[i];
        return NULL;
}

void www_auth_challenges_free(struct www_auth_challenge *chs, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(chs[i].scheme);
                free(chs[i].token68);
                for (size_t k = 0; k < chs[i].n_params; k++) {
                        free(chs[i].params[k].name);
                        free(chs[i].params[k].value);
                }
                free(chs[i].params);
        }
        free(chs);
}
