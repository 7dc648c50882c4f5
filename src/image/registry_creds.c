/* Registry credentials: the CRI AuthConfig, auth.json lookups and the base64 "auth"
 * field. Secrets are wiped before they are freed, and no message here ever quotes
 * one. */
#include <json-c/json.h>
#include <string.h>
#include <strings.h>

#include "image/registry_internal.h"
#include "util/base64.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/xalloc.h"

#define AUTH_FILE_MAX_SIZE (1 << 20)

static void secret_free(char *s) {
        if (s) {
                explicit_bzero(s, strlen(s));
                free(s);
        }
}

static void secret_freep(char **s) {
        secret_free(*s);
}

#define AUTOSECRET CLEANUP(secret_freep)

void registry_creds_clear(struct registry_creds *c) {
        secret_free(c->username);
        secret_free(c->password);
        secret_free(c->identity_token);
        secret_free(c->registry_token);
        memset(c, 0, sizeof(*c));
}

bool registry_creds_empty(const struct registry_creds *c) {
        return !c->username && !c->password && !c->identity_token && !c->registry_token;
}

int registry_auth_decode(const char *b64, char **ret_user, char **ret_password, struct cric_error **err) {
        AUTOSECRET char *plain = NULL;
        size_t len;
        if (base64_decode(b64, strlen(b64), &plain, &len, err) < 0)
                return cric_error_prefix(err, "auth field");
        char *colon = memchr(plain, ':', len);
        if (strlen(plain) != len || !colon || colon == plain)
                return cric_error_set(err, CRIC_E_INVALID, "auth field: not base64 of \"user:password\"");
        *ret_user = xstrndup(plain, (size_t) (colon - plain));
        *ret_password = xstrdup(colon + 1);
        return 0;
}

static char *dup_or_null(const char *s) {
        return s && *s ? xstrdup(s) : NULL;
}

int registry_creds_from_auth(const struct registry_auth *a, struct registry_creds *ret, struct cric_error **err) {
        struct registry_creds c = {
                .username = dup_or_null(a->username),
                .password = dup_or_null(a->password),
                .identity_token = dup_or_null(a->identity_token),
                .registry_token = dup_or_null(a->registry_token),
        };
        if (!c.username && !c.password && a->auth && *a->auth &&
            registry_auth_decode(a->auth, &c.username, &c.password, err) < 0) {
                registry_creds_clear(&c);
                return -1;
        }
        *ret = c;
        return 0;
}

/* The host[:port] an auth.json key names, or NULL for keys with a repository path
 * ("quay.io/org"), which are not registry-wide. */
static char *key_host(const char *key) {
        if (strncasecmp(key, "https://", 8) == 0)
                key += 8;
        else if (strncasecmp(key, "http://", 7) == 0)
                key += 7;
        const char *slash = strchr(key, '/');
        if (!slash)
                return xstrdup(key);
        static const char *const suffixes[] = {"/", "/v1", "/v1/", "/v2", "/v2/"};
        for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
                if (strcmp(slash, suffixes[i]) == 0)
                        return xstrndup(key, (size_t) (slash - key));
        return NULL;
}

static bool is_docker_hub(const char *host) {
        return strcmp(host, "docker.io") == 0 || strcmp(host, "index.docker.io") == 0 ||
               strcmp(host, "registry-1.docker.io") == 0;
}

static bool key_matches(const char *key, const char *domain) {
        AUTOFREE char *host = key_host(key);
        if (!host)
                return false;
        return strcasecmp(host, domain) == 0 || (is_docker_hub(domain) && is_docker_hub(host));
}

static const char *entry_string(json_object *entry, const char *name) {
        json_object *v;
        if (!json_object_object_get_ex(entry, name, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        const char *s = json_object_get_string(v);
        return *s ? s : NULL;
}

/* 1: usable credentials in entry, 0: nothing usable (e.g. a credential helper's {}). */
static int entry_creds(json_object *entry, const char *key, struct registry_creds *ret, struct cric_error **err) {
        if (!json_object_is_type(entry, json_type_object))
                return cric_error_set(err, CRIC_E_INVALID, "entry \"%s\" is not an object", key);
        struct registry_auth a = {
                .username = entry_string(entry, "username"),
                .password = entry_string(entry, "password"),
                .auth = entry_string(entry, "auth"),
                .identity_token = entry_string(entry, "identitytoken"),
                .registry_token = entry_string(entry, "registrytoken"),
        };
        struct registry_creds c;
        if (registry_creds_from_auth(&a, &c, err) < 0)
                return cric_error_prefix(err, "entry \"%s\"", key);
        if (registry_creds_empty(&c))
                return 0;
        *ret = c;
        return 1;
}

static json_object *parse_auths(const char *json, size_t len, struct cric_error **err, json_object **ret_root) {
        json_object *root = NULL;
        if (json_parse_object(json, len, NULL, &root, err) < 0)
                return NULL;
        *ret_root = root;
        json_object *auths;
        if (!json_object_object_get_ex(root, "auths", &auths))
                return NULL;
        if (!json_object_is_type(auths, json_type_object)) {
                cric_error_set(err, CRIC_E_INVALID, "\"auths\" is not an object");
                return NULL;
        }
        return auths;
}

int registry_auth_json_lookup(const char *json, size_t len, const char *domain, struct registry_creds *ret,
                              struct cric_error **err) {
        AUTOJSON json_object *root = NULL;
        struct cric_error *perr = NULL;
        json_object *auths = parse_auths(json, len, &perr, &root);
        if (!auths)
                return perr ? cric_error_move(err, &perr) : 0;
        json_object *entry;
        int r = 0;
        if (json_object_object_get_ex(auths, domain, &entry) && (r = entry_creds(entry, domain, ret, err)) != 0)
                return r; /* an exact key wins */
        json_object_object_foreach(auths, key, value) {
                if (!key_matches(key, domain))
                        continue;
                r = entry_creds(value, key, ret, err);
                if (r != 0)
                        return r;
        }
        return 0;
}

int registry_auth_file_lookup(const char *path, const char *domain, struct registry_creds *ret,
                              struct cric_error **err) {
        AUTOFREE char *data = NULL;
        size_t len;
        struct cric_error *rerr = NULL;
        if (fs_read_file(path, AUTH_FILE_MAX_SIZE, &data, &len, &rerr) < 0) {
                if (rerr->kind == CRIC_E_NOT_FOUND) {
                        cric_error_free(rerr);
                        return 0;
                }
                return cric_error_move(err, &rerr);
        }
        int r = registry_auth_json_lookup(data, len, domain, ret, err);
        explicit_bzero(data, len);
        if (r < 0)
                return cric_error_prefix(err, "auth file %s", path);
        return r;
}
