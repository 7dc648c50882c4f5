#include "util/digest.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct digester {
        EVP_MD_CTX *ctx;
};

struct digester *digester_new(void) {
        struct digester *d = xzalloc(sizeof(*d));
        d->ctx = EVP_MD_CTX_new();
        if (!d->ctx || EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1) {
                fprintf(stderr, "cric: cannot initialise sha256, aborting\n");
                abort();
        }
        return d;
}

void digester_update(struct digester *d, const void *data, size_t len) {
        if (len)
                EVP_DigestUpdate(d->ctx, data, len);
}

void digester_final(struct digester *d, char out[DIGEST_STR_LEN + 1]) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        EVP_DigestFinal_ex(d->ctx, md, &n);
        static const char hex[] = "0123456789abcdef";
        memcpy(out, "sha256:", 7);
        for (unsigned i = 0; i < 32; i++) {
                out[7 + 2 * i] = hex[md[i] >> 4];
                out[8 + 2 * i] = hex[md[i] & 15];
        }
        out[DIGEST_STR_LEN] = '\0';
}

struct digester *digester_free(struct digester *d) {
        if (d) {
                EVP_MD_CTX_free(d->ctx);
                free(d);
        }
        return NULL;
}

void digester_freep(struct digester **d) {
        if (d)
                *d = digester_free(*d);
}

void digest_buffer(const void *data, size_t len, char out[DIGEST_STR_LEN + 1]) {
        struct digester *d = digester_new();
        digester_update(d, data, len);
        digester_final(d, out);
        digester_free(d);
}
