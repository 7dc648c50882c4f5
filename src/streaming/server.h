/* The streaming server: the HTTP server the URLs of Exec, Attach and PortForward point
 * to. The kubelet proxies the client's upgrade request to the URL, and the connection
 * becomes a SPDY/3.1 or WebSocket session with the exec'd process, the container's
 * attach socket or the pod's ports. One thread per connection, at most
 * STREAM_MAX_CONNS at once (more are refused with 503). */
#ifndef CRIC_STREAMING_SERVER_H
#define CRIC_STREAMING_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "streaming/request.h"
#include "util/error.h"

#define STREAM_MAX_CONNS    1024
#define STREAM_MAX_TOKENS   1000
#define STREAM_TOKEN_TTL_MS 60000

struct runtime;
struct stream_server;

struct stream_server_opts {
        const char *address;     /* IP to bind (IPv4 or IPv6) */
        const char *port;        /* "0": a free one */
        int64_t idle_timeout_ms; /* 0: none; a session without traffic that long ends */
        int64_t token_ttl_ms;    /* 0: STREAM_TOKEN_TTL_MS */
        bool enable_tls;         /* https:// with tls_cert and tls_key (PEM files) */
        const char *tls_cert, *tls_key;
        const char *tls_ca; /* "" or NULL: no client certificate needed */
};

/* Binds and starts serving. rt is borrowed and must outlive the server. */
int stream_server_start(const struct stream_server_opts *o, struct runtime *rt, struct stream_server **ret,
                        struct cric_error **err);
/* "http://ADDRESS:PORT" (https with TLS) as the URLs start (IPv6 in brackets). */
const char *stream_server_base_url(const struct stream_server *s);
/* Keeps req (taken, freed on failure too) behind a new one-time token; *ret_url is
 * the absolute URL of it, e.g. http://127.0.0.1:40123/exec/TOKEN. */
int stream_server_url(struct stream_server *s, struct stream_request *req, char **ret_url, struct cric_error **err);
/* Stops accepting, ends every session (their processes are killed) and waits for
 * their threads. */
struct stream_server *stream_server_stop(struct stream_server *s);

#endif
