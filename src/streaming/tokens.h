/* One-time tokens of the streaming server: each stands for one stream_request, is random
 * (STREAM_TOKEN_BYTES from getrandom, base64url), is good for one connection, and expires
 * when unused for ttl_ms. At most max are in flight; a new token is refused
 * (CRIC_E_RESOURCE) while the cache is full of live ones. Thread-safe. */
#ifndef CRIC_STREAMING_TOKENS_H
#define CRIC_STREAMING_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "streaming/request.h"
#include "util/error.h"

#define STREAM_TOKEN_BYTES 24
#define STREAM_TOKEN_LEN   32 /* base64url of 24 bytes, no padding */

struct token_cache;

struct token_cache *token_cache_new(size_t max, int64_t ttl_ms);
struct token_cache *token_cache_free(struct token_cache *c);

/* Takes req (freed on failure too) and writes its new token to out. */
int token_cache_put(struct token_cache *c, struct stream_request *req, char out[STREAM_TOKEN_LEN + 1],
                    struct cric_error **err);
/* Removes the token and hands its request to the caller; NULL when the token is
 * unknown, already used or expired. */
struct stream_request *token_cache_take(struct token_cache *c, const char *token);
/* Tokens in flight (expired ones not yet dropped count until the next put or take). */
size_t token_cache_size(struct token_cache *c);

#endif
