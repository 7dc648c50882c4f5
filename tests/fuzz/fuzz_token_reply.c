/* libFuzzer target for the JSON the registry side sends or we read
 * (src/image/registry_reply.c, registry_creds.c): token endpoint replies, registry
 * error bodies and auth.json documents.
 *
 * A token reply either parses to a non-empty token without whitespace or control
 * characters and a positive lifetime, or fails with CRIC_E_INVALID. An error body
 * gives NULL or a bounded single-line message. An auth.json lookup gives 1 with some
 * credential, 0 with none, or -1 with CRIC_E_INVALID. Anything else aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/registry_internal.h"
#include "util/cleanup.h"

static void check_token(const char *data, size_t size) {
        char *token = NULL;
        long expires = 0;
        struct cric_error *err = NULL;
        if (registry_token_reply_parse(data, size, &token, &expires, &err) < 0) {
                if (!err || err->kind != CRIC_E_INVALID || token)
                        abort();
                cric_error_free(err);
                return;
        }
        if (err || !token || !*token || expires <= 0)
                abort();
        for (const unsigned char *p = (const unsigned char *) token; *p; p++)
                if (*p <= 0x20 || *p == 0x7f)
                        abort();
        free(token);
}

static void check_error_message(const char *data, size_t size) {
        char *msg = registry_error_message(data, size);
        if (!msg)
                return;
        if (strlen(msg) > 1024)
                abort();
        for (const unsigned char *p = (const unsigned char *) msg; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        abort();
        free(msg);
}

static void check_auth_json(const char *data, size_t size) {
        struct registry_creds c = {0};
        struct cric_error *err = NULL;
        int r = registry_auth_json_lookup(data, size, "registry.example:5000", &c, &err);
        if (r < 0) {
                if (!err || err->kind != CRIC_E_INVALID || !registry_creds_empty(&c))
                        abort();
                cric_error_free(err);
                return;
        }
        if (err || r > 1 || (r == 1) == registry_creds_empty(&c))
                abort();
        registry_creds_clear(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        /* A copy of exactly size bytes, so reads past the end are caught. */
        char *copy = malloc(size ? size : 1);
        if (!copy)
                abort();
        memcpy(copy, data, size);
        check_token(copy, size);
        check_error_message(copy, size);
        check_auth_json(copy, size);
        free(copy);
        return 0;
}
