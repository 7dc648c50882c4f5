/* The environment of test_registry_live.c: registries and helper servers on
 * 127.0.0.1, started in the group set-up and stopped (by pid) in the teardown.
 *
 *   plain   docker-registry over plain HTTP, no auth
 *   tls     docker-registry over TLS (test CA, client certificates required via
 *           certs.d) with htpasswd basic auth
 *   token   docker-registry with token auth; the token server is helper.py
 *   fake    helper.py's misbehaving registry (503s, 429, bad digests, stalls, redirects)
 *
 * The image is pushed with skopeo. Without docker-registry, skopeo, openssl, htpasswd
 * or python3 with jwt, live.is_skipped is set and live.why says what is missing. */
#ifndef CRIC_TESTS_REGISTRY_LIVE_ENV_H
#define CRIC_TESTS_REGISTRY_LIVE_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/digest.h"

#define LIVE_MAX_PROCS 8

struct live_env {
        bool is_skipped;
        char why[512];
        char *setup_error;
        char *dir;
        char *scripts;
        const char *python;
        pid_t pids[LIVE_MAX_PROCS];
        size_t n_pids;
        int plain, tls, token, tok, fake, backend; /* ports */
        char *layer_digest;
        char *layer;
        size_t layer_len;
        char *manifest;
        size_t manifest_len;
        char manifest_digest[DIGEST_STR_LEN + 1];
        char *certs;          /* certs.d with the CA and client cert for the tls registry */
        char *certs_empty;    /* certs.d with nothing */
        char *certs_insecure; /* certs.d with only the client cert */
};

extern struct live_env live;

/* cmocka group set-up and teardown. A set-up failure does not fail the group: it is
 * kept in live.setup_error (with the logs printed) so every test reports it. */
int live_setup(void **state);
int live_teardown(void **state);

/* A port nobody listens on right now. */
int live_free_port(void);

#endif
