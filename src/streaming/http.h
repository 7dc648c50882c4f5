/* HTTP/1.1 message heads, as the streaming server and its clients need them: a request
 * head from a client (the upgrade request of kubectl, the kubelet or cricctl), a response
 * head from a server (cricctl's side of the upgrade), and writing both.
 *
 * Strict (RFC 9112): CRLF line ends (a bare LF is accepted, as most servers do), a token
 * method, an origin-form target, HTTP/1.0 or HTTP/1.1, token header names, no obsolete
 * line folding, no NUL or other control characters but HTAB in values, at most
 * HTTP_HEAD_MAX bytes and HTTP_HEADERS_MAX header lines. Header values are trimmed of
 * surrounding blanks. Anything else is CRIC_E_INVALID with a message that says what. */
#ifndef CRIC_STREAMING_HTTP_H
#define CRIC_STREAMING_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

#define HTTP_HEAD_MAX    (16 * 1024)
#define HTTP_HEADERS_MAX 100

struct http_header {
        char *name; /* as sent; compare case-insensitively */
        char *value;
};

struct http_head {
        /* request: method and target; response: status and reason */
        char *method;
        char *target;
        int status;
        char *reason;
        int minor_version; /* HTTP/1.x */
        struct http_header *headers;
        size_t n_headers;
};

/* Parses the head at the start of buf[0..len). Returns the head's length including the
 * blank line that ends it (> 0) when complete, 0 when more bytes are needed (and len is
 * still under HTTP_HEAD_MAX), -1 with *err set when the head is malformed or too long.
 * Bytes after the head are the caller's (the start of the upgraded protocol). */
ssize_t http_parse_request(const char *buf, size_t len, struct http_head *ret, struct cric_error **err);
ssize_t http_parse_response(const char *buf, size_t len, struct http_head *ret, struct cric_error **err);
void http_head_clear(struct http_head *h);

/* The value of the first header called name (case-insensitive), or NULL. */
const char *http_header_get(const struct http_head *h, const char *name);
/* True when a header called name (any of them, each a comma-separated list) holds token
 * (case-insensitive), e.g. http_header_has_token(h, "Connection", "upgrade"). */
bool http_header_has_token(const struct http_head *h, const char *name, const char *token);

/* Splits target into its path and the value of each query parameter called key
 * (percent-decoded; "+" stays "+"). *ret_path and the returned strings are the caller's.
 * http_query_get returns the first value (NULL when absent), http_query_all every one
 * in order (NULL-terminated, empty when absent). The path and the keys are decoded too;
 * a parameter without "=" has the value "". A malformed escape ("%zz", "%4") or "%00"
 * stays as it is: http_parse_request refuses targets that hold one. */
char *http_target_path(const char *target);
char *http_query_get(const char *target, const char *key);
char **http_query_all(const char *target, const char *key);

/* A response head: "HTTP/1.1 <status> <reason>\r\n" then each "Name: value\r\n" of
 * headers (a NULL-terminated list of name, value, name, value, ...) then "\r\n".
 * Returned string is the caller's. */
char *http_format_response(int status, const char *reason, const char *const *headers);

#endif
