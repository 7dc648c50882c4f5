/* Streaming sha256 digests in the OCI form "sha256:<64 lowercase hex>". */
#ifndef CRIC_UTIL_DIGEST_H
#define CRIC_UTIL_DIGEST_H

#include <stddef.h>

#define DIGEST_STR_LEN (7 + 64) /* "sha256:" + hex, without the NUL */

struct digester;

struct digester *digester_new(void);
void digester_update(struct digester *d, const void *data, size_t len);
/* Writes "sha256:<hex>" into out (DIGEST_STR_LEN + 1 bytes). The digester can't be
 * updated afterwards. */
void digester_final(struct digester *d, char out[DIGEST_STR_LEN + 1]);
struct digester *digester_free(struct digester *d);
void digester_freep(struct digester **d);

/* One-shot helper. */
void digest_buffer(const void *data, size_t len, char out[DIGEST_STR_LEN + 1]);

#endif
