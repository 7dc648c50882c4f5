/* TLS material for one registry from certs.d (containers-certs.d(5)):
 *
 *   <certs_dir>/<host:port>/ *.crt    extra CA certificates
 *   <certs_dir>/<host:port>/ *.cert   client certificate, with *.key of the same name
 *
 * Extra CAs are added to the system bundle, not used instead of it, so a registry
 * whose realm lives on a public host keeps working. curl takes one CA source, so the
 * system bundle and every *.crt are joined into one PEM blob. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image/registry_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define PEM_MAX_SIZE (16 << 20)

static bool has_suffix(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);
        return n > m && strcmp(s + n - m, suffix) == 0;
}

static int append_file(const char *path, char **buf, size_t *len, struct cric_error **err) {
        AUTOFREE char *data = NULL;
        size_t n;
        if (fs_read_file(path, PEM_MAX_SIZE, &data, &n, err) < 0)
                return -1;
        *buf = xrealloc(*buf, *len + n + 2);
        memcpy(*buf + *len, data, n);
        *len += n;
        if (n && data[n - 1] != '\n')
                (*buf)[(*len)++] = '\n';
        (*buf)[*len] = '\0';
        return 0;
}

/* curl's compiled-in CA bundle, so certs.d CAs come on top of the system ones. */
static void append_default_bundle(char **buf, size_t *len) {
        const char *path = NULL;
#if LIBCURL_VERSION_NUM >= 0x075400
        CURL *h = curl_easy_init();
        char *p = NULL;
        if (h && curl_easy_getinfo(h, CURLINFO_CAINFO, &p) == CURLE_OK && p)
                path = p;
        AUTOFREE char *copy = path ? xstrdup(path) : NULL;
        if (h)
                curl_easy_cleanup(h);
        path = copy;
#endif
        if (!path)
                path = "/etc/ssl/certs/ca-certificates.crt";
        struct cric_error *err = NULL;
        if (append_file(path, buf, len, &err) < 0)
                cric_error_log_free(&err, "system CA bundle, using certs.d only");
}

static int load_client_pair(const char *dir, const char *cert_name, char **const names, struct registry_tls *t,
                            struct cric_error **err) {
        AUTOFREE char *key_name = xasprintf("%.*s.key", (int) (strlen(cert_name) - 5), cert_name);
        bool has_key = false;
        for (char **p = names; *p; p++)
                has_key = has_key || strcmp(*p, key_name) == 0;
        if (!has_key)
                return cric_error_set(err, CRIC_E_INVALID, "%s/%s: missing client key %s", dir, cert_name, key_name);
        if (t->cert_pem) /* the first pair wins, as in containers/image */
                return 0;
        AUTOFREE char *cert_path = xasprintf("%s/%s", dir, cert_name);
        AUTOFREE char *key_path = xasprintf("%s/%s", dir, key_name);
        if (append_file(cert_path, &t->cert_pem, &t->cert_len, err) < 0 ||
            append_file(key_path, &t->key_pem, &t->key_len, err) < 0)
                return -1;
        return 0;
}

static int check_key_has_cert(const char *dir, const char *key_name, char **const names, struct cric_error **err) {
        AUTOFREE char *cert_name = xasprintf("%.*s.cert", (int) (strlen(key_name) - 4), key_name);
        for (char **p = names; *p; p++)
                if (strcmp(*p, cert_name) == 0)
                        return 0;
        return cric_error_set(err, CRIC_E_INVALID, "%s/%s: missing client certificate %s", dir, key_name, cert_name);
}

static int load_dir(const char *dir, char **const names, struct registry_tls *t, struct cric_error **err) {
        char *ca = NULL;
        size_t ca_len = 0;
        for (char **p = names; *p; p++) {
                int r = 0;
                if (has_suffix(*p, ".crt")) {
                        if (!ca)
                                append_default_bundle(&ca, &ca_len);
                        AUTOFREE char *path = xasprintf("%s/%s", dir, *p);
                        r = append_file(path, &ca, &ca_len, err);
                } else if (has_suffix(*p, ".cert")) {
                        r = load_client_pair(dir, *p, names, t, err);
                } else if (has_suffix(*p, ".key")) {
                        r = check_key_has_cert(dir, *p, names, err);
                }
                if (r < 0) {
                        free(ca);
                        return -1;
                }
        }
        t->ca_pem = ca;
        t->ca_len = ca_len;
        return 0;
}

int registry_tls_load(const char *certs_dir, const char *hostport, bool verify, struct registry_tls *ret,
                      struct cric_error **err) {
        struct registry_tls t = {.verify = verify};
        if (!certs_dir)
                certs_dir = "/etc/containers/certs.d";
        if (!*hostport || strchr(hostport, '/') || strcmp(hostport, "..") == 0)
                return cric_error_set(err, CRIC_E_INVALID, "invalid registry host \"%s\"", hostport);
        AUTOFREE char *dir = xasprintf("%s/%s", certs_dir, hostport);
        CLEANUP(strv_freep) char **names = NULL;
        if (fs_list_dir(dir, NULL, false, &names, err) < 0)
                return -1;
        if (names[0] && load_dir(dir, names, &t, err) < 0) {
                registry_tls_clear(&t);
                return -1;
        }
        if (names[0])
                log_debug("registry %s: TLS material from %s (extra CAs: %s, client certificate: %s)", hostport, dir,
                          t.ca_pem ? "yes" : "no", t.cert_pem ? "yes" : "no");
        *ret = t;
        return 0;
}

void registry_tls_clear(struct registry_tls *t) {
        free(t->ca_pem);
        free(t->cert_pem);
        if (t->key_pem) {
                explicit_bzero(t->key_pem, t->key_len);
                free(t->key_pem);
        }
        memset(t, 0, sizeof(*t));
}
