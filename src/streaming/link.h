/* The client's connection as the streaming server reads and writes it: a plain TCP
 * socket, or TLS over it (stream_enable_tls). Non-blocking once the session runs. */
#ifndef CRIC_STREAMING_LINK_H
#define CRIC_STREAMING_LINK_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

struct link {
        int fd;
        SSL *ssl; /* NULL: plain */
};

/* The TLS handshake as a server, within timeout_ms; CRIC_E_PERMISSION when the client's
 * certificate is missing or not signed by the configured CA, CRIC_E_INVALID otherwise. */
int link_accept_tls(struct link *l, SSL_CTX *ctx, int timeout_ms, struct cric_error **err);
/* Like recv/send: > 0 bytes, 0 at the end (recv), -1 with errno (EAGAIN: try again
 * after poll). */
ssize_t link_recv(struct link *l, void *buf, size_t n);
ssize_t link_send(struct link *l, const void *buf, size_t n);
/* Bytes TLS has already decrypted: readable without waiting for the socket. */
bool link_pending(const struct link *l);
/* Says goodbye on TLS and frees it (the socket stays the caller's). */
void link_end(struct link *l);

/* The TLS configuration: certificate, key and optional client CA, read again when one of
 * the files changes. Thread-safe. */
struct tls_source;
int tls_source_new(const char *cert, const char *key, const char *ca, struct tls_source **ret, struct cric_error **err);
/* The current context (a reference: SSL_CTX_free it); on a reload that fails, the last
 * good one, with a warning logged. */
SSL_CTX *tls_source_ctx(struct tls_source *s);
struct tls_source *tls_source_free(struct tls_source *s);

#endif
