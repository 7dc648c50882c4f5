/* One connection of the streaming server, from the HTTP request to the session's end. */
#ifndef CRIC_STREAMING_CONN_H
#define CRIC_STREAMING_CONN_H

#include <stdint.h>

struct token_cache;
struct runtime;
struct tls_source;

struct conn_env {
        struct token_cache *tokens;
        struct runtime *rt;
        int64_t idle_timeout_ms;
        struct tls_source *tls; /* NULL: plain HTTP */
};

/* Serves the connection fd (blocking; the caller closes fd). */
void conn_serve(const struct conn_env *env, int fd);

#endif
