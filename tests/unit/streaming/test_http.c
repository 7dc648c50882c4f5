/* streaming/http.h: request and response heads as kubectl, the kubelet and cricctl send
 * them, every way a head is refused, incomplete and oversized heads, header lookups,
 * the target's path and query, and formatted responses. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

#include "streaming/http.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* kubectl exec through the API server, SPDY flavour (client-go's remotecommand). */
#define KUBECTL_SPDY                                                                                                   \
        "GET /exec/Zt8fCk2q?command=sh&command=-c&command=echo+hi&stdin=1&stdout=1&tty=1 HTTP/1.1\r\n"                 \
        "Host: 127.0.0.1:10010\r\n"                                                                                    \
        "User-Agent: kubectl/v1.30.2 (linux/amd64) kubernetes/3968350\r\n"                                             \
        "Content-Length: 0\r\n"                                                                                        \
        "Connection: Upgrade\r\n"                                                                                      \
        "Upgrade: SPDY/3.1\r\n"                                                                                        \
        "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n"                                                             \
        "X-Stream-Protocol-Version: v3.channel.k8s.io\r\n"                                                             \
        "X-Stream-Protocol-Version: v2.channel.k8s.io\r\n"                                                             \
        "X-Stream-Protocol-Version: channel.k8s.io\r\n"                                                                \
        "Accept-Encoding: gzip\r\n"                                                                                    \
        "\r\n"

/* The same over WebSocket (kubectl 1.30+), written with bare LFs. */
#define KUBECTL_WS                                                                                                     \
        "GET /attach/q1w2e3?container=app&stdin=true&stdout=true&tty=true HTTP/1.1\n"                                  \
        "Host: [::1]:10010\n"                                                                                          \
        "Connection: Upgrade\n"                                                                                        \
        "Upgrade: websocket\n"                                                                                         \
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\n"                                                                \
        "Sec-WebSocket-Version: 13\n"                                                                                  \
        "Sec-WebSocket-Protocol: v5.channel.k8s.io, v4.channel.k8s.io,base64.channel.k8s.io ,  channel.k8s.io\n"       \
        "\n"

#define SWITCHING                                                                                                      \
        "HTTP/1.1 101 Switching Protocols\r\n"                                                                         \
        "Connection: Upgrade\r\n"                                                                                      \
        "Upgrade: SPDY/3.1\r\n"                                                                                        \
        "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n"                                                             \
        "\r\n"

typedef ssize_t parse_fn(const char *buf, size_t len, struct http_head *ret, struct cric_error **err);

/* Parses buf[0..len) and checks that the head is exactly head_len bytes. */
static void parse_ok_len(parse_fn *parse, const char *buf, size_t len, size_t head_len, struct http_head *h) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        ssize_t r = parse(buf, len, h, &err);
        if (r < 0)
                fail_msg("[%.*s] failed: %s", (int) len, buf, err->msg);
        assert_null(err);
        assert_int_equal(r, head_len);
}

static void parse_ok(parse_fn *parse, const char *text, struct http_head *h) {
        parse_ok_len(parse, text, strlen(text), strlen(text), h);
}

/* Every proper prefix of a complete head asks for more and sets no error. */
static void every_prefix_needs_more(parse_fn *parse, const char *text) {
        size_t len = strlen(text);
        for (size_t i = 0; i < len; i++) {
                struct http_head h = {.status = -7};
                CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                ssize_t r = parse(text, i, &h, &err);
                if (r != 0)
                        fail_msg("prefix of %zu bytes returned %zd (%s)", i, r, err ? err->msg : "no error");
                assert_null(err);
                assert_int_equal(h.status, -7);
        }
}

/* Parsing fails with CRIC_E_INVALID, a message holding why, and *ret untouched. */
static void fails_len(parse_fn *parse, const char *buf, size_t len, const char *why) {
        struct http_head h = {.status = -7};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        ssize_t r = parse(buf, len, &h, &err);
        if (r >= 0)
                fail_msg("[%.*s] returned %zd but should fail with \"%s\"", (int) len, buf, r, why);
        assert_contains(testlib_error_is((int) r, &err, CRIC_E_INVALID), why);
        assert_int_equal(h.status, -7);
        assert_null(h.method);
        assert_null(h.headers);
}

static void req_fails(const char *text, const char *why) {
        fails_len(http_parse_request, text, strlen(text), why);
}

static void resp_fails(const char *text, const char *why) {
        fails_len(http_parse_response, text, strlen(text), why);
}

static void assert_strv(char **v, const char *const *want) {
        size_t n = 0;
        for (; want[n]; n++) {
                if (!v[n])
                        fail_msg("%zu values, want more; next is \"%s\"", n, want[n]);
                assert_string_equal(v[n], want[n]);
        }
        assert_null(v[n]);
}

static void test_kubectl_spdy_request(void **state) {
        (void) state;
        CLEANUP(http_head_clear) struct http_head h = {0};
        parse_ok(http_parse_request, KUBECTL_SPDY, &h);
        assert_string_equal(h.method, "GET");
        assert_string_equal(h.target, "/exec/Zt8fCk2q?command=sh&command=-c&command=echo+hi&stdin=1&stdout=1&tty=1");
        assert_int_equal(h.minor_version, 1);
        assert_null(h.reason);
        assert_int_equal(h.n_headers, 10);
        assert_string_equal(h.headers[0].name, "Host");
        assert_string_equal(h.headers[0].value, "127.0.0.1:10010");
        assert_string_equal(http_header_get(&h, "x-stream-protocol-version"), "v4.channel.k8s.io");
        assert_string_equal(http_header_get(&h, "USER-AGENT"), "kubectl/v1.30.2 (linux/amd64) kubernetes/3968350");
        assert_true(http_header_has_token(&h, "Connection", "upgrade"));
        assert_true(http_header_has_token(&h, "upgrade", "spdy/3.1"));
        assert_true(http_header_has_token(&h, "X-Stream-Protocol-Version", "channel.k8s.io"));
        assert_true(http_header_has_token(&h, "X-Stream-Protocol-Version", "v2.channel.k8s.io"));
        assert_false(http_header_has_token(&h, "X-Stream-Protocol-Version", "v5.channel.k8s.io"));
        assert_false(http_header_has_token(&h, "Upgrade", "websocket"));

        AUTOFREE char *path = http_target_path(h.target);
        assert_string_equal(path, "/exec/Zt8fCk2q");
        CLEANUP(strv_freep) char **cmd = http_query_all(h.target, "command");
        assert_strv(cmd, (const char *const[]){"sh", "-c", "echo+hi", NULL});
        AUTOFREE char *tty = http_query_get(h.target, "tty");
        assert_string_equal(tty, "1");
        AUTOFREE char *stderr_ = http_query_get(h.target, "stderr");
        assert_null(stderr_);
        every_prefix_needs_more(http_parse_request, KUBECTL_SPDY);
}

static void test_kubectl_websocket_request(void **state) {
        (void) state;
        CLEANUP(http_head_clear) struct http_head h = {0};
        parse_ok(http_parse_request, KUBECTL_WS, &h);
        assert_string_equal(h.target, "/attach/q1w2e3?container=app&stdin=true&stdout=true&tty=true");
        assert_int_equal(h.n_headers, 6);
        assert_string_equal(http_header_get(&h, "sec-websocket-key"), "dGhlIHNhbXBsZSBub25jZQ==");
        assert_string_equal(http_header_get(&h, "Sec-WebSocket-Protocol"),
                            "v5.channel.k8s.io, v4.channel.k8s.io,base64.channel.k8s.io ,  channel.k8s.io");
        const char *protocols[] = {"v5.channel.k8s.io", "v4.channel.k8s.io", "base64.channel.k8s.io", "channel.k8s.io"};
        for (size_t i = 0; i < 4; i++)
                assert_true(http_header_has_token(&h, "Sec-WebSocket-Protocol", protocols[i]));
        assert_false(http_header_has_token(&h, "Sec-WebSocket-Protocol", "k8s.io"));
        assert_true(http_header_has_token(&h, "Upgrade", "WebSocket"));
        every_prefix_needs_more(http_parse_request, KUBECTL_WS);
}

static void test_request_forms(void **state) {
        (void) state;
        CLEANUP(http_head_clear) struct http_head h = {0};
        parse_ok(http_parse_request, "POST /portforward/x HTTP/1.0\r\n\r\n", &h);
        assert_string_equal(h.method, "POST");
        assert_int_equal(h.minor_version, 0);
        assert_int_equal(h.n_headers, 0);
        assert_null(h.headers);
        http_head_clear(&h);
        /* mixed line ends, blanks around values, an empty value, a token-only method */
        parse_ok(http_parse_request,
                 "M-SEARCH /a/b;c=d/%7e~:@!$&'()*+,=?x=/?%20 HTTP/1.1\r\n"
                 "X-Empty:\n"
                 "X-Blanks: \t a \t b \t\r\n"
                 "X-Obs-Text: caf\xc3\xa9\r\n"
                 "\n",
                 &h);
        assert_string_equal(h.method, "M-SEARCH");
        assert_string_equal(h.target, "/a/b;c=d/%7e~:@!$&'()*+,=?x=/?%20");
        assert_string_equal(h.headers[0].value, "");
        assert_string_equal(h.headers[1].value, "a \t b");
        assert_string_equal(h.headers[2].value, "caf\xc3\xa9");
        http_head_clear(&h);
        assert_null(h.method);
        assert_int_equal(h.n_headers, 0);
        http_head_clear(&h); /* twice is fine */
}

static void test_bytes_after_the_head_are_left(void **state) {
        (void) state;
        CLEANUP(http_head_clear) struct http_head h = {0};
        static const char spdy[] = KUBECTL_SPDY "\x80\x03\x00\x01\x00\x00\x00\x0a\x00\x00\x00\x01";
        parse_ok_len(http_parse_request, spdy, sizeof(spdy) - 1, strlen(KUBECTL_SPDY), &h);
        http_head_clear(&h);
        /* a second head right behind the first is not read either */
        static const char two[] = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
        parse_ok_len(http_parse_request, two, sizeof(two) - 1, 19, &h);
        assert_string_equal(h.target, "/a");
        http_head_clear(&h);
        static const char resp[] = SWITCHING "\x81\x05hello";
        parse_ok_len(http_parse_response, resp, sizeof(resp) - 1, strlen(SWITCHING), &h);
        http_head_clear(&h);
        /* a NUL after the head is the caller's business */
        static const char nul[] = "GET / HTTP/1.1\n\n\0\0";
        parse_ok_len(http_parse_request, nul, sizeof(nul) - 1, 16, &h);
}

static void test_response(void **state) {
        (void) state;
        CLEANUP(http_head_clear) struct http_head h = {0};
        parse_ok(http_parse_response, SWITCHING, &h);
        assert_int_equal(h.status, 101);
        assert_string_equal(h.reason, "Switching Protocols");
        assert_int_equal(h.minor_version, 1);
        assert_null(h.method);
        assert_null(h.target);
        assert_int_equal(h.n_headers, 3);
        assert_string_equal(http_header_get(&h, "x-stream-protocol-version"), "v4.channel.k8s.io");
        every_prefix_needs_more(http_parse_response, SWITCHING);
        http_head_clear(&h);
        parse_ok(http_parse_response, "HTTP/1.1 101 \r\n\r\n", &h);
        assert_string_equal(h.reason, "");
        http_head_clear(&h);
        parse_ok(http_parse_response, "HTTP/1.1 101\r\n\r\n", &h);
        assert_int_equal(h.status, 101);
        assert_string_equal(h.reason, "");
        http_head_clear(&h);
        parse_ok(http_parse_response, "HTTP/1.0 599 a\tb  \xff\n\n", &h);
        assert_int_equal(h.status, 599);
        assert_int_equal(h.minor_version, 0);
        assert_string_equal(h.reason, "a\tb  \xff");
        http_head_clear(&h);
        parse_ok(http_parse_response, "HTTP/1.1 100 Continue\r\n\r\n", &h);
        assert_int_equal(h.status, 100);
}

static void test_request_line_rejected(void **state) {
        (void) state;
        req_fails("\r\nGET / HTTP/1.1\r\n\r\n", "the head starts with an empty line");
        req_fails("\n", "the head starts with an empty line");
        req_fails("GET\r\n\r\n", "the request line is not method, target and version");
        req_fails("GET /\r\n\r\n", "the request line is not method, target and version");
        req_fails("G(T / HTTP/1.1\r\n\r\n", "the method is not a token");
        req_fails(" / HTTP/1.1\r\n\r\n", "the method is not a token");
        req_fails("GE\tT / HTTP/1.1\r\n\r\n", "the method is not a token");
        req_fails("GET\t/ HTTP/1.1\r\n\r\n", "the request line is not method, target and version");
        req_fails("GET  / HTTP/1.1\r\n\r\n", "the target does not start with \"/\"");
        req_fails("GET http://node:10010/exec/x HTTP/1.1\r\n\r\n", "the target does not start with \"/\"");
        req_fails("OPTIONS * HTTP/1.1\r\n\r\n", "the target does not start with \"/\"");
        req_fails("CONNECT node:10010 HTTP/1.1\r\n\r\n", "the target does not start with \"/\"");
        req_fails("GET /a b HTTP/1.1\r\n\r\n", "character 0x20 in the target at offset 2");
        req_fails("GET /a#b HTTP/1.1\r\n\r\n", "character 0x23 in the target");
        req_fails("GET /a\tb HTTP/1.1\r\n\r\n", "character 0x09 in the target");
        req_fails("GET /a\x7f HTTP/1.1\r\n\r\n", "character 0x7f in the target");
        req_fails("GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n", "character 0xc3 in the target");
        req_fails("GET /a\"b HTTP/1.1\r\n\r\n", "character 0x22 in the target");
        req_fails("GET /a|b HTTP/1.1\r\n\r\n", "character 0x7c in the target");
        req_fails("GET /%zz HTTP/1.1\r\n\r\n", "malformed percent-encoding in the target at offset 1");
        req_fails("GET /%4 HTTP/1.1\r\n\r\n", "malformed percent-encoding in the target");
        req_fails("GET /?a=% HTTP/1.1\r\n\r\n", "malformed percent-encoding in the target");
        req_fails("GET /?a=%0g HTTP/1.1\r\n\r\n", "malformed percent-encoding in the target");
        req_fails("GET /?a=%00 HTTP/1.1\r\n\r\n", "percent-encoded NUL in the target at offset 4");
        req_fails("GET / HTTP/1.2\r\n\r\n", "the version is not HTTP/1.0 or HTTP/1.1");
        req_fails("GET / HTTP/2.0\r\n\r\n", "the version is not HTTP/1.0 or HTTP/1.1");
        req_fails("GET / http/1.1\r\n\r\n", "the version is not HTTP/1.0 or HTTP/1.1");
        req_fails("GET / HTTP/1.1 \r\n\r\n", "character 0x20 in the target at offset 1");
        req_fails("GET / HTTP/1.10\r\n\r\n", "the version is not HTTP/1.0 or HTTP/1.1");
        req_fails("GET / HTTP/1.1\r\r\n\r\n", "the version is not HTTP/1.0 or HTTP/1.1"); /* bare CR */
        req_fails("GET / HTTP/1.1\r\n\r\r\n", "line 2: no ':' after the header name");
        static const char nul[] = "GET /\0 HTTP/1.1\r\n\r\n";
        fails_len(http_parse_request, nul, sizeof(nul) - 1, "character 0x00 in the target");
        /* a response is not a request, nor the other way round */
        req_fails(SWITCHING, "the method is not a token");
        resp_fails(KUBECTL_SPDY, "the status line does not start with HTTP/1.0 or HTTP/1.1");
}

static void test_status_line_rejected(void **state) {
        (void) state;
        resp_fails("HTTP/1.1 1O1 Switching Protocols\r\n\r\n", "the status code is not three digits");
        resp_fails("HTTP/1.1 10\r\n\r\n", "the status code is not three digits");
        resp_fails("HTTP/1.1  101 x\r\n\r\n", "the status code is not three digits");
        resp_fails("HTTP/1.1 -11 x\r\n\r\n", "the status code is not three digits");
        resp_fails("HTTP/1.1 099 x\r\n\r\n", "status code 99 out of range");
        resp_fails("HTTP/1.1 600 x\r\n\r\n", "status code 600 out of range");
        resp_fails("HTTP/1.1 1011 x\r\n\r\n", "no space after the status code");
        resp_fails("HTTP/1.1 101\tx\r\n\r\n", "no space after the status code");
        resp_fails("HTTP/1.1 101 a\x01z\r\n\r\n", "control character in the reason phrase");
        resp_fails("HTTP/1.1 101 a\rz\r\n\r\n", "control character in the reason phrase");
        resp_fails("HTTP/1.1 101 a\x7f\r\n\r\n", "control character in the reason phrase");
        resp_fails("HTTP/2 101 x\r\n\r\n", "the status line does not start with HTTP/1.0 or HTTP/1.1");
        resp_fails("HTTP/1.1\r\n\r\n", "the status line does not start with HTTP/1.0 or HTTP/1.1");
        resp_fails("HTTP/1.1101 x\r\n\r\n", "the status line does not start with HTTP/1.0 or HTTP/1.1");
        resp_fails("ICY 200 OK\r\n\r\n", "the status line does not start with HTTP/1.0 or HTTP/1.1");
        resp_fails("\r\n", "the head starts with an empty line");
        static const char nul[] = "HTTP/1.1 101 a\0b\r\n\r\n";
        fails_len(http_parse_response, nul, sizeof(nul) - 1, "control character in the reason phrase");
}

static void test_header_lines_rejected(void **state) {
        (void) state;
        req_fails("GET / HTTP/1.1\r\nHost : x\r\n\r\n", "line 2: whitespace between the header name and ':'");
        req_fails("GET / HTTP/1.1\r\nHost\t: x\r\n\r\n", "whitespace between the header name and ':'");
        req_fails("GET / HTTP/1.1\r\n Host: x\r\n\r\n", "line 2 starts with whitespace (obsolete line folding)");
        req_fails("GET / HTTP/1.1\r\nX-A: a\r\n\tb\r\n\r\n", "line 3 starts with whitespace (obsolete line folding)");
        req_fails("GET / HTTP/1.1\r\nX-A: a\r\n \r\n\r\n", "line 3 starts with whitespace (obsolete line folding)");
        req_fails("GET / HTTP/1.1\r\nHost x\r\n\r\n", "line 2: no ':' after the header name");
        req_fails("GET / HTTP/1.1\r\n: x\r\n\r\n", "line 2: the header name is not a token");
        req_fails("GET / HTTP/1.1\r\nHo(st: x\r\n\r\n", "line 2: the header name is not a token");
        req_fails("GET / HTTP/1.1\r\nHo st: x\r\n\r\n", "line 2: the header name is not a token");
        req_fails("GET / HTTP/1.1\r\nX\xc3\xa9: x\r\n\r\n", "line 2: the header name is not a token");
        req_fails("GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n", "line 2: control character 0x01 in the header value");
        req_fails("GET / HTTP/1.1\r\nX: a\x7fz\r\n\r\n", "control character 0x7f in the header value");
        req_fails("GET / HTTP/1.1\r\nX: a\rz\r\n\r\n", "control character 0x0d in the header value");
        req_fails("GET / HTTP/1.1\r\nX: a\r\r\n\r\n", "control character 0x0d in the header value");
        req_fails("GET / HTTP/1.1\r\nX: \x1b[31m\r\n\r\n", "control character 0x1b in the header value");
        static const char nul[] = "GET / HTTP/1.1\r\nX: a\0\r\n\r\n";
        fails_len(http_parse_request, nul, sizeof(nul) - 1, "control character 0x00 in the header value");
        resp_fails("HTTP/1.1 101 x\r\nUpgrade websocket\r\n\r\n", "malformed HTTP response head: line 2: no ':'");
        resp_fails("HTTP/1.1 101 x\r\n\tUpgrade: websocket\r\n\r\n", "obsolete line folding");
}

/* A complete line that is wrong fails at once, before the head is complete. */
static void test_rejected_before_the_head_ends(void **state) {
        (void) state;
        static const char tls[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n";
        fails_len(http_parse_request, tls, sizeof(tls) - 1, "the request line is not method, target and version");
        req_fails("GET / HTTP/1.1\r\nBad Header\r\nX-More: ", "line 2: no ':' after the header name");
        req_fails("GET / HTTP/3\r\n", "the version is not HTTP/1.0 or HTTP/1.1");
        resp_fails("SSH-2.0-OpenSSH_9.2\r\n", "the status line does not start with HTTP/1.0 or HTTP/1.1");
}

static char *head_with_headers(const char *start, int n) {
        char *buf = NULL;
        size_t len = 0, cap = 0;
        const char *parts[] = {start, "\r\n"};
        for (int i = -1; i <= n; i++) {
                char line[64];
                const char *s = i < 0 ? parts[0] : i == n ? parts[1] : line;
                if (i >= 0 && i < n)
                        snprintf(line, sizeof(line), "X-Header-%d: %d\r\n", i, i);
                size_t sl = strlen(s);
                buf = xgrow(buf, &cap, len + sl + 1, 1);
                memcpy(buf + len, s, sl + 1);
                len += sl;
        }
        return buf;
}

static void test_header_count_limit(void **state) {
        (void) state;
        CLEANUP(http_head_clear) struct http_head h = {0};
        AUTOFREE char *max = head_with_headers("GET / HTTP/1.1\r\n", HTTP_HEADERS_MAX);
        parse_ok(http_parse_request, max, &h);
        assert_int_equal(h.n_headers, HTTP_HEADERS_MAX);
        assert_string_equal(h.headers[HTTP_HEADERS_MAX - 1].name, "X-Header-99");
        http_head_clear(&h);
        AUTOFREE char *over = head_with_headers("GET / HTTP/1.1\r\n", HTTP_HEADERS_MAX + 1);
        req_fails(over, "more than 100 header lines");
        /* refused as soon as the 101st line is complete */
        over[strlen(over) - 2] = '\0';
        req_fails(over, "more than 100 header lines");
        AUTOFREE char *resp_over = head_with_headers("HTTP/1.1 101 x\r\n", HTTP_HEADERS_MAX + 1);
        resp_fails(resp_over, "more than 100 header lines");
}

/* A head of exactly n bytes: one header whose value fills it up. */
static char *head_of_size(const char *start, size_t n) {
        size_t fixed = strlen(start) + strlen("X: \r\n\r\n");
        char *buf = xmalloc(n + 1);
        size_t value_len = n - fixed;
        int k = snprintf(buf, n + 1, "%sX: ", start);
        memset(buf + k, 'v', value_len);
        memcpy(buf + k + value_len, "\r\n\r\n", 5);
        assert_int_equal(strlen(buf), n);
        return buf;
}

static void test_size_limit(void **state) {
        (void) state;
        CLEANUP(http_head_clear) struct http_head h = {0};
        AUTOFREE char *max = head_of_size("GET / HTTP/1.1\r\n", HTTP_HEAD_MAX);
        parse_ok(http_parse_request, max, &h);
        assert_int_equal(strlen(h.headers[0].value), HTTP_HEAD_MAX - 23);
        http_head_clear(&h);
        AUTOFREE char *over = head_of_size("GET / HTTP/1.1\r\n", HTTP_HEAD_MAX + 1);
        req_fails(over, "malformed HTTP request head: no end within 16384 bytes");
        /* no end yet: more is needed up to the limit, then it is too long */
        AUTOFREE char *open = head_of_size("GET / HTTP/1.1\r\n", HTTP_HEAD_MAX + 100);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(http_parse_request(open, HTTP_HEAD_MAX - 1, &h, &err), 0);
        assert_null(err);
        fails_len(http_parse_request, open, HTTP_HEAD_MAX, "no end within 16384 bytes");
        fails_len(http_parse_request, open, HTTP_HEAD_MAX + 100, "no end within 16384 bytes");
        AUTOFREE char *resp = head_of_size("HTTP/1.1 101 x\r\n", HTTP_HEAD_MAX + 1);
        resp_fails(resp, "malformed HTTP response head: no end within 16384 bytes");
}

static void test_incomplete(void **state) {
        (void) state;
        const char *texts[] = {"",
                               "G",
                               "GET / HTTP/1.1",
                               "GET / HTTP/1.1\r",
                               "GET / HTTP/1.1\r\n",
                               "GET / HTTP/1.1\r\nHost: x\r\n\r",
                               "GET / HTTP/1.1\nBad Header"};
        for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++) {
                struct http_head h = {.status = -7};
                CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                assert_int_equal(http_parse_request(texts[i], strlen(texts[i]), &h, &err), 0);
                assert_null(err);
                assert_int_equal(h.status, -7);
        }
        every_prefix_needs_more(http_parse_request, "GET / HTTP/1.0\n\n");
        every_prefix_needs_more(http_parse_response, "HTTP/1.1 101\n\n");
        every_prefix_needs_more(http_parse_request, "GET /?a=%41 HTTP/1.1\r\nA: b\n\r\n");
}

static void test_header_lookup(void **state) {
        (void) state;
        CLEANUP(http_head_clear) struct http_head h = {0};
        parse_ok(http_parse_request,
                 "GET / HTTP/1.1\r\n"
                 "Connection: keep-alive, Upgrade\r\n"
                 "connection: close\r\n"
                 "X-List: ,, a ,\t,b\t, c d ,\r\n"
                 "X-Empty:  \r\n"
                 "\r\n",
                 &h);
        assert_string_equal(http_header_get(&h, "CONNECTION"), "keep-alive, Upgrade");
        assert_string_equal(http_header_get(&h, "x-empty"), "");
        assert_null(http_header_get(&h, "Upgrade"));
        assert_null(http_header_get(&h, "Connectio"));
        assert_true(http_header_has_token(&h, "Connection", "UPGRADE"));
        assert_true(http_header_has_token(&h, "Connection", "keep-alive"));
        assert_true(http_header_has_token(&h, "Connection", "close")); /* the second line */
        assert_false(http_header_has_token(&h, "Connection", "upgrades"));
        assert_false(http_header_has_token(&h, "Connection", "keep"));
        assert_false(http_header_has_token(&h, "Connection", "keep-alive, Upgrade"));
        assert_true(http_header_has_token(&h, "X-List", "a"));
        assert_true(http_header_has_token(&h, "X-List", "b"));
        assert_true(http_header_has_token(&h, "X-List", "c d"));
        assert_false(http_header_has_token(&h, "X-List", ""));
        assert_false(http_header_has_token(&h, "X-Empty", ""));
        assert_false(http_header_has_token(&h, "Upgrade", "websocket"));
        struct http_head empty = {0};
        assert_null(http_header_get(&empty, "Host"));
        assert_false(http_header_has_token(&empty, "Connection", "upgrade"));
}

static void test_target_path(void **state) {
        (void) state;
        const char *cases[][2] = {
                {"/exec/Zt8fCk2q?command=ls", "/exec/Zt8fCk2q"},
                {"/portforward/x", "/portforward/x"},
                {"/", "/"},
                {"/a%2Fb%20c%7e?x=%41", "/a/b c~"},
                {"/a+b?", "/a+b"},
                {"/%zz%4%", "/%zz%4%"},
                {"/a%00b", "/a%00b"},
                {"/%e2%82%ac", "/\xe2\x82\xac"},
                {"", ""},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
                AUTOFREE char *path = http_target_path(cases[i][0]);
                assert_string_equal(path, cases[i][1]);
        }
}

static void test_query(void **state) {
        (void) state;
        const char *t = "/exec/x?command=ls&command=-l&command=%2Ftmp%2F&stdin=1&command=a+b%2Bc&tty";
        CLEANUP(strv_freep) char **cmd = http_query_all(t, "command");
        assert_strv(cmd, (const char *const[]){"ls", "-l", "/tmp/", "a+b+c", NULL});
        AUTOFREE char *first = http_query_get(t, "command");
        assert_string_equal(first, "ls");
        AUTOFREE char *tty = http_query_get(t, "tty");
        assert_string_equal(tty, "");
        AUTOFREE char *stdin_ = http_query_get(t, "stdin");
        assert_string_equal(stdin_, "1");
        AUTOFREE char *missing = http_query_get(t, "stdout");
        assert_null(missing);
        CLEANUP(strv_freep) char **none = http_query_all(t, "stdout");
        assert_non_null(none);
        assert_null(none[0]);
        AUTOFREE char *prefix = http_query_get(t, "comm");
        assert_null(prefix);
        AUTOFREE char *upper = http_query_get(t, "COMMAND");
        assert_null(upper);
        /* query keys are decoded before they are compared */
        CLEANUP(strv_freep) char **encoded = http_query_all("/?comm%61nd=x&command=y&%63ommand", "command");
        assert_strv(encoded, (const char *const[]){"x", "y", "", NULL});
}

static void test_query_edges(void **state) {
        (void) state;
        CLEANUP(strv_freep) char **a = http_query_all("/?&&a=1&=2&a&&a=&a=b=c&", "a");
        assert_strv(a, (const char *const[]){"1", "", "", "b=c", NULL});
        CLEANUP(strv_freep) char **none = http_query_all("/exec/a=1", "a");
        assert_null(none[0]);
        CLEANUP(strv_freep) char **empty_key = http_query_all("/?=1&=2", "");
        assert_null(empty_key[0]);
        AUTOFREE char *q = http_query_get("/path?a=1?b=2", "a");
        assert_string_equal(q, "1?b=2");
        /* malformed escapes and an escaped NUL stay literally */
        AUTOFREE char *bad = http_query_get("/?a=%zz%4%%00%%41", "a");
        assert_string_equal(bad, "%zz%4%%00%A");
        AUTOFREE char *utf8 = http_query_get("/?a=caf%C3%A9", "a");
        assert_string_equal(utf8, "caf\xc3\xa9");
        AUTOFREE char *space = http_query_get("/?a=x%20y+z", "a");
        assert_string_equal(space, "x y+z");
}

static void test_format_response(void **state) {
        (void) state;
        const char *headers[] = {
                "Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
                NULL};
        AUTOFREE char *text = http_format_response(101, "Switching Protocols", headers);
        assert_string_equal(text, "HTTP/1.1 101 Switching Protocols\r\n"
                                  "Connection: Upgrade\r\n"
                                  "Upgrade: websocket\r\n"
                                  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                                  "\r\n");
        CLEANUP(http_head_clear) struct http_head h = {0};
        parse_ok(http_parse_response, text, &h);
        assert_int_equal(h.status, 101);
        assert_string_equal(h.reason, "Switching Protocols");
        assert_int_equal(h.n_headers, 3);
        for (size_t i = 0; i < 3; i++) {
                assert_string_equal(h.headers[i].name, headers[2 * i]);
                assert_string_equal(h.headers[i].value, headers[2 * i + 1]);
        }
        AUTOFREE char *bare = http_format_response(400, "Bad Request", NULL);
        assert_string_equal(bare, "HTTP/1.1 400 Bad Request\r\n\r\n");
        const char *none[] = {NULL};
        AUTOFREE char *empty = http_format_response(101, "", none);
        assert_string_equal(empty, "HTTP/1.1 101 \r\n\r\n");
        AUTOFREE char *null_reason = http_format_response(500, NULL, NULL);
        assert_string_equal(null_reason, "HTTP/1.1 500 \r\n\r\n");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kubectl_spdy_request),
                cmocka_unit_test(test_kubectl_websocket_request),
                cmocka_unit_test(test_request_forms),
                cmocka_unit_test(test_bytes_after_the_head_are_left),
                cmocka_unit_test(test_response),
                cmocka_unit_test(test_request_line_rejected),
                cmocka_unit_test(test_status_line_rejected),
                cmocka_unit_test(test_header_lines_rejected),
                cmocka_unit_test(test_rejected_before_the_head_ends),
                cmocka_unit_test(test_header_count_limit),
                cmocka_unit_test(test_size_limit),
                cmocka_unit_test(test_incomplete),
                cmocka_unit_test(test_header_lookup),
                cmocka_unit_test(test_target_path),
                cmocka_unit_test(test_query),
                cmocka_unit_test(test_query_edges),
                cmocka_unit_test(test_format_response),
        };
        return cmocka_run_group_tests_name("streaming_http", tests, NULL, NULL);
}
