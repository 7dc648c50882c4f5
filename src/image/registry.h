/* Registry HTTP API v2 client (libcurl): manifests and blobs, with bearer-token and
 * basic auth, TLS (CA certs from certs.d), redirects, retries and stall timeouts. */
#ifndef CRIC_IMAGE_REGISTRY_H
#define CRIC_IMAGE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Credentials as the CRI AuthConfig carries them; any field may be NULL. `auth` is
 * base64("user:password") and is decoded when username/password are unset. */
struct registry_auth {
        const char *username;
        const char *password;
        const char *auth;
        const char *identity_token; /* OAuth2 refresh token, exchanged at the token endpoint */
        const char *registry_token; /* a bearer token to send as is */
};

struct registry_opts {
        const char *domain;    /* "host[:port]" as in the reference; "docker.io" means registry-1.docker.io */
        bool insecure;         /* plain HTTP allowed (tried after HTTPS fails) and TLS not verified */
        const char *certs_dir; /* NULL: /etc/containers/certs.d; CA files <dir>/<host:port>/ *.crt,
                                * client cert/key pairs *.cert + *.key */
        const struct registry_auth *auth; /* NULL: look the domain up in auth_file */
        const char *auth_file;            /* auth.json ({"auths": {"host": {"auth": "base64"}}}); NULL: none */
        long connect_timeout_ms;          /* 0: 30 s */
        long stall_timeout_ms;            /* abort when no byte arrives for this long; 0: 60 s */
        int retries;                      /* extra attempts on transient errors (connect, 5xx, 429); < 0: default 3 */
};

struct registry_client;

/* Creates a client for one registry. Thread-safe once created: several threads may
 * fetch blobs at once (the token cache is shared and locked). */
int registry_client_new(const struct registry_opts *opts, struct registry_client **ret, struct cric_error **err);

/* GET /v2/<repo>/manifests/<reference> with every supported manifest type accepted.
 * *ret_digest is the digest of the body; when reference is a digest it must match,
 * and so must a Docker-Content-Digest header when the registry sends one
 * (CRIC_E_INVALID otherwise). 404 -> CRIC_E_NOT_FOUND, 401/403 -> CRIC_E_PERMISSION,
 * unreachable -> CRIC_E_UNAVAILABLE; messages name the URL. */
int registry_fetch_manifest(struct registry_client *c, const char *repo, const char *reference, char **ret_data,
                            size_t *ret_len, char **ret_media_type, char **ret_digest, struct cric_error **err);

/* Streams GET /v2/<repo>/blobs/<digest> (redirects followed) into sink. sink returns
 * 0 to go on or -1 (with *err set) to abort. Retries happen only before the first
 * byte reached the sink. The caller verifies the digest. */
typedef int (*registry_sink_fn)(void *ctx, const void *data, size_t len, struct cric_error **err);
int registry_fetch_blob(struct registry_client *c, const char *repo, const char *digest, registry_sink_fn sink,
                        void *ctx, struct cric_error **err);

struct registry_client *registry_client_free(struct registry_client *c);
void registry_client_freep(struct registry_client **c);

#endif
