/* The registry client against real registries on 127.0.0.1 (see
 * registry_live/live_env.h for what runs where): every auth mode, TLS with certs.d,
 * errors and their kinds, digest checks, retries, redirects, stalls and threads.
 * Skipped, with the reason, when docker-registry, skopeo, openssl, htpasswd or
 * python3 with jwt is missing. CRIC_TEST_DEBUG=1 shows each request; CRIC_TEST_KEEP=1
 * keeps the temp dir with the registry logs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image/manifest.h"
#include "image/registry.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

#include "registry_live/live_env.h"
#include "testlib.h"

#define PRECHECK()                                                                                                     \
        do {                                                                                                           \
                if (live.is_skipped) {                                                                                 \
                        print_message("skipped: %s\n", live.why);                                                      \
                        skip();                                                                                        \
                }                                                                                                      \
                if (live.setup_error)                                                                                  \
                        fail_msg("set-up failed: %s", live.setup_error);                                               \
        } while (0)

/* ---- helpers ---- */

struct conn {
        char domain[64];
        struct registry_opts o;
        struct registry_auth a;
};

static void conn_init(struct conn *c, int port) {
        memset(c, 0, sizeof(*c));
        snprintf(c->domain, sizeof(c->domain), "127.0.0.1:%d", port);
        c->o.domain = c->domain;
        c->o.certs_dir = live.certs_empty; /* never /etc/containers/certs.d */
        c->o.retries = -1;
}

static struct registry_client *client_new(struct conn *c) {
        struct registry_client *cl = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (registry_client_new(&c->o, &cl, &err) < 0)
                fail_msg("registry_client_new: %s", err->msg);
        return cl;
}

struct collect {
        char *data;
        size_t len, cap;
        int calls;
        bool must_fail;
};

static int collect_sink(void *ctx, const void *data, size_t len, struct cric_error **err) {
        struct collect *c = ctx;
        c->calls++;
        if (c->must_fail)
                return cric_error_set(err, CRIC_E_CANCELLED, "stop requested by the sink");
        c->data = xgrow(c->data, &c->cap, c->len + len + 1, 1);
        memcpy(c->data + c->len, data, len);
        c->len += len;
        return 0;
}

static double now_s(void) {
        return (double) testlib_now_ms() / 1e3;
}

static void expect_manifest(struct registry_client *cl, const char *repo, const char *ref) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOFREE char *data = NULL;
        AUTOFREE char *media_type = NULL;
        AUTOFREE char *digest = NULL;
        size_t len = 0;
        if (registry_fetch_manifest(cl, repo, ref, &data, &len, &media_type, &digest, &err) < 0)
                fail_msg("fetch manifest %s:%s: %s", repo, ref, err->msg);
        assert_int_equal(len, live.manifest_len);
        assert_memory_equal(data, live.manifest, len);
        assert_string_equal(media_type, MT_DOCKER_V2S2);
        assert_string_equal(digest, live.manifest_digest);
}

static void expect_blob(struct registry_client *cl, const char *repo, const char *digest) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct collect c = {0};
        if (registry_fetch_blob(cl, repo, digest, collect_sink, &c, &err) < 0)
                fail_msg("fetch blob %s@%s: %s", repo, digest, err->msg);
        char got[DIGEST_STR_LEN + 1];
        digest_buffer(c.data ? c.data : "", c.len, got);
        free(c.data);
        assert_string_equal(got, digest);
}

/* Checks err's kind and that its message holds want (printf-style). */
static void expect_error(const struct cric_error *err, enum cric_error_kind kind, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void expect_error(const struct cric_error *err, enum cric_error_kind kind, const char *fmt, ...) {
        assert_non_null(err);
        va_list ap;
        va_start(ap, fmt);
        AUTOFREE char *want = xvasprintf(fmt, ap);
        va_end(ap);
        if (err->kind != kind || !strstr(err->msg, want))
                fail_msg("got %s \"%s\", want %s containing \"%s\"", cric_error_kind_name(err->kind), err->msg,
                         cric_error_kind_name(kind), want);
}

static struct cric_error *manifest_error(struct registry_client *cl, const char *repo, const char *ref) {
        struct cric_error *err = NULL;
        char *data = NULL, *media_type = NULL, *digest = NULL;
        size_t len;
        if (registry_fetch_manifest(cl, repo, ref, &data, &len, &media_type, &digest, &err) == 0) {
                free(data);
                free(media_type);
                free(digest);
                fail_msg("fetch manifest %s:%s succeeded", repo, ref);
        }
        return err;
}

static struct cric_error *blob_error(struct registry_client *cl, const char *repo, const char *digest,
                                     struct collect *c) {
        struct cric_error *err = NULL;
        struct collect local = {0};
        if (!c)
                c = &local;
        int r = registry_fetch_blob(cl, repo, digest, collect_sink, c, &err);
        free(local.data);
        if (r == 0)
                fail_msg("fetch blob %s@%s succeeded", repo, digest);
        return err;
}

static size_t write_buf(char *data, size_t size, size_t n, void *userp) {
        struct collect *c = userp;
        collect_sink(c, data, size * n, NULL);
        return size * n;
}

/* How many tokens the token server has issued so far. */
static long tokens_issued(void) {
        AUTOFREE char *url = xasprintf("http://127.0.0.1:%d/count", live.tok);
        struct collect c = {0};
        CURL *h = curl_easy_init();
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_buf);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &c);
        CURLcode code = curl_easy_perform(h);
        curl_easy_cleanup(h);
        long n = -1;
        if (code == CURLE_OK && c.data) {
                c.data[c.len] = '\0';
                const char *p = strstr(c.data, "\"count\":");
                n = p ? strtol(p + 8, NULL, 10) : -1;
        }
        free(c.data);
        return n;
}

/* ---- plain HTTP registry ---- */

static void test_plain_manifest_and_blob(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        conn_init(&c, live.plain);
        c.o.insecure = true;
        CLEANUP(registry_client_freep) struct registry_client *cl = client_new(&c);
        expect_manifest(cl, "test/img", "1");
        expect_manifest(cl, "test/img", live.manifest_digest);
        expect_blob(cl, "test/img", live.layer_digest);
}

static void test_plain_needs_insecure(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        conn_init(&c, live.plain);
        c.o.retries = 0;
        CLEANUP(registry_client_freep) struct registry_client *cl = client_new(&c);
        CLEANUP(cric_error_freep) struct cric_error *err = manifest_error(cl, "test/img", "1");
        expect_error(err, CRIC_E_UNAVAILABLE, "GET https://127.0.0.1:%d/v2/test/img/manifests/1: ", live.plain);
}

static void test_not_found(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        conn_init(&c, live.plain);
        c.o.insecure = true;
        CLEANUP(registry_client_freep) struct registry_client *cl = client_new(&c);
        struct cric_error *err = manifest_error(cl, "test/img", "nope");
        expect_error(err, CRIC_E_NOT_FOUND, "GET http://127.0.0.1:%d/v2/test/img/manifests/nope: 404 not found: %s",
                     live.plain, "manifest unknown");
        cric_error_free(err);
        err = manifest_error(cl, "test/other", "1");
        expect_error(err, CRIC_E_NOT_FOUND, "404 not found");
        cric_error_free(err);
        err = blob_error(cl, "test/img", "sha256:0000000000000000000000000000000000000000000000000000000000000000",
                         NULL);
        expect_error(err, CRIC_E_NOT_FOUND, "/v2/test/img/blobs/sha256:0000");
        cric_error_free(err);
}

static void test_unreachable(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        conn_init(&c, live_free_port());
        c.o.insecure = true;
        c.o.connect_timeout_ms = 2000;
        CLEANUP(registry_client_freep) struct registry_client *cl = client_new(&c);
        double t0 = now_s();
        CLEANUP(cric_error_freep) struct cric_error *err = manifest_error(cl, "test/img", "1");
        expect_error(err, CRIC_E_UNAVAILABLE, "://%s/v2/test/img/manifests/1: ", c.domain);
        assert_true(now_s() - t0 < 5.0);
}

static void test_invalid_arguments(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        conn_init(&c, live.plain);
        c.o.insecure = true;
        CLEANUP(registry_client_freep) struct registry_client *cl = client_new(&c);
        const char *repos[] = {"Test/img", "test//img", "test/img/", "../img", "a?b", "a#b", ""};
        for (size_t i = 0; i < sizeof(repos) / sizeof(repos[0]); i++) {
                CLEANUP(cric_error_freep) struct cric_error *err = manifest_error(cl, repos[i], "1");
                expect_error(err, CRIC_E_INVALID, "invalid repository");
        }
        const char *refs[] = {"../x", "a/b", "sha256:abc", "md5:0123", "-tag", "x?y"};
        for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
                CLEANUP(cric_error_freep) struct cric_error *err = manifest_error(cl, "test/img", refs[i]);
                assert_int_equal(err->kind, CRIC_E_INVALID);
        }
        CLEANUP(cric_error_freep) struct cric_error *err = blob_error(cl, "test/img", "sha256:../../x", NULL);
        expect_error(err, CRIC_E_INVALID, "invalid blob digest");
        struct registry_opts bad = {.domain = "evil.com/x?", .retries = -1};
        struct registry_client *none = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err2 = NULL;
        assert_int_equal(registry_client_new(&bad, &none, &err2), -1);
        expect_error(err2, CRIC_E_INVALID, "invalid registry domain");
}

/* ---- TLS registry with client certificates and htpasswd ---- */

static void tls_conn(struct conn *c, const char *user, const char *password) {
        conn_init(c, live.tls);
        c->o.certs_dir = live.certs;
        c->a.username = user;
        c->a.password = password;
        c->o.auth = user ? &c->a : NULL;
}

static void test_tls_basic_auth(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        tls_conn(&c, "user", "pass");
        CLEANUP(registry_client_freep) struct registry_client *cl = client_new(&c);
        expect_manifest(cl, "test/img", "1");
        expect_blob(cl, "test/img", live.layer_digest);
        expect_manifest(cl, "test/img", live.manifest_digest); /* basic auth is sent up front now */
}

static void test_tls_auth_encoded(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        tls_conn(&c, NULL, NULL);
        c.a.auth = "dXNlcjpwYXNz"; /* user:pass */
        c.o.auth = &c.a;
        CLEANUP(registry_client_freep) struct registry_client *cl = client_new(&c);
        expect_manifest(cl, "test/img", "1");
}

static void test_tls_auth_file(void **state) {
        (void) state;
        PRECHECK();
        AUTOFREE char *json = xasprintf("{\"auths\": {\"other:1\": {\"auth\": \"eDp5\"},"
                                        "\"https://127.0.0.1:%d\": {\"auth\": \"dXNlcjpwYXNz\"}}}",
                                        live.tls);
        AUTOFREE char *path = xasprintf("%s/auth.json", live.dir);
        assert_int_equal(fs_write_file_atomic(path, json, strlen(json), 0600, NULL), 0);
        struct conn c;
        tls_conn(&c, NULL, NULL);
        c.o.auth_file = path;
        CLEANUP(registry_client_freep) struct registry_client *cl = client_new(&c);
        expect_manifest(cl, "test/img", "1");
}

static void test_tls_wrong_password(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        tls_conn(&c, "user", "wrong");
        CLEANUP(registry_client_freep) struct registry_client *cl = client_new(&c);
        CLEANUP(cric_error_freep) struct cric_error *err = manifest_error(cl, "test/img", "1");
        expect_error(err, CRIC_E_PERMISSION, "GET https://127.0.0.1:%d/v2/test/img/manifests/1: 401 unauthorized",
                     live.tls);
        assert_null(strstr(err->msg, "wrong"));
}

static void test_tls_no_credentials(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        tls_conn(&c, NULL, NULL);
        CLEANUP(registry_client_freep) struct registry_client *cl = client_new(&c);
        CLEANUP(cric_error_freep) struct cric_error *err = manifest_error(cl, "test/img", "1");
        expect_error(err, CRIC_E_PERMISSION, "401 unauthorized: authentication required");
}

static void test_tls_untrusted(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        tls_conn(&c, "user", "pass");
        c.o.certs_dir = live.certs_empty;
        CLEANUP(registry_client_freep) struct registry_client *cl = client_new(&c);
        double t0 = now_s();
        CLEANUP(cric_error_freep) struct cric_error *err = manifest_error(cl, "test/img", "1");
        expect_error(err, CRIC_E_UNAVAILABLE, "GET https://127.0.0.1:%d/v2/test/img/manifests/1: ", live.tls);
        assert_true(now_s() - t0 < 1.0); /* a certificate problem is not retried */
}

static void test_tls_insecure(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        tls_conn(&c, "user", "pass");
        c.o.certs_dir = live.certs_insecure; /* the client certificate, but not the CA */
        c.o.insecure = true;
        CLEANUP(registry_client_freep) struct registry_client *cl = client_new(&c);
        expect_manifest(cl, "test/img", "1");
        expect_blob(cl, "test/img", live.layer_digest);
}

/* ---- token auth ---- */

static void test_token_basic_credentials(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        conn_init(&c, live.token);
        c.o.insecure = true;
        c.a.username = "user";
        c.a.password = "pass";
        c.o.auth = &c.a;
        CLEANUP(registry_client_freep) struct registry_client *cl = client_new(&c);
        long before = tokens_issued();
        expect_manifest(cl, "test/img", "1");
        expect_blob(cl, "test/img", live.layer_digest);
        expect_manifest(cl, "test/img", live.manifest_digest);
        assert_int_equal(tokens_issued() - before, 1); /* cached for the scope */
}

static void test_token_identity_token(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        conn_init(&c, live.token);
        c.o.insecure = true;
        c.a.identity_token = "refresh-ok";
        c.o.auth = &c.a;
        CLEANUP(registry_client_freep) struct registry_client *cl = client_new(&c);
        expect_manifest(cl, "test/img", "1");
        expect_blob(cl, "test/img", live.layer_digest);
}

static void test_token_refused(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        conn_init(&c, live.token);
        c.o.insecure = true;
        c.a.username = "user";
        c.a.password = "wrong";
        c.o.auth = &c.a;
        CLEANUP(registry_client_freep) struct registry_client *cl = client_new(&c);
        CLEANUP(cric_error_freep) struct cric_error *err = manifest_error(cl, "test/img", "1");
        expect_error(err, CRIC_E_PERMISSION, "get token: GET http://127.0.0.1:%d/token?service=test&scope=", live.tok);
        expect_error(err, CRIC_E_PERMISSION, ": 401 unauthorized");
        assert_null(strstr(err->msg, "wrong"));
        c.a.username = NULL;
        c.a.password = NULL;
        c.a.identity_token = "refresh-bad";
        CLEANUP(registry_client_freep) struct registry_client *cl2 = client_new(&c);
        CLEANUP(cric_error_freep) struct cric_error *err2 = manifest_error(cl2, "test/img", "1");
        expect_error(err2, CRIC_E_PERMISSION, "POST http://127.0.0.1:%d/token: 401", live.tok);
        assert_null(strstr(err2->msg, "refresh-bad"));
}

static void test_token_anonymous(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        conn_init(&c, live.token);
        c.o.insecure = true;
        CLEANUP(registry_client_freep) struct registry_client *cl = client_new(&c);
        CLEANUP(cric_error_freep) struct cric_error *err = manifest_error(cl, "test/img", "1");
        expect_error(err, CRIC_E_PERMISSION, "GET http://127.0.0.1:%d/v2/test/img/manifests/1: 401 unauthorized",
                     live.token);
}

static void test_token_registry_token(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        conn_init(&c, live.token);
        c.o.insecure = true;
        c.a.registry_token = "bogus";
        c.o.auth = &c.a;
        CLEANUP(registry_client_freep) struct registry_client *cl = client_new(&c);
        CLEANUP(cric_error_freep) struct cric_error *err = manifest_error(cl, "test/img", "1");
        expect_error(err, CRIC_E_PERMISSION, "401 unauthorized");
}

struct worker {
        struct registry_client *cl;
        int failures;
};

static void *worker_run(void *arg) {
        struct worker *w = arg;
        for (int i = 0; i < 3; i++) {
                CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                struct collect c = {0};
                if (registry_fetch_blob(w->cl, "test/img", live.layer_digest, collect_sink, &c, &err) < 0 ||
                    c.len != live.layer_len || memcmp(c.data, live.layer, c.len) != 0) {
                        fprintf(stderr, "worker: %s\n", err ? err->msg : "wrong data");
                        w->failures++;
                }
                free(c.data);
        }
        return NULL;
}

static void test_token_concurrent(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        conn_init(&c, live.token);
        c.o.insecure = true;
        c.a.username = "user";
        c.a.password = "pass";
        c.o.auth = &c.a;
        CLEANUP(registry_client_freep) struct registry_client *cl = client_new(&c);
        struct worker w[4];
        pthread_t t[4];
        for (int i = 0; i < 4; i++) {
                w[i] = (struct worker){.cl = cl};
                assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
        }
        for (int i = 0; i < 4; i++) {
                pthread_join(t[i], NULL);
                assert_int_equal(w[i].failures, 0);
        }
}

/* ---- the misbehaving registry ---- */

static struct registry_client *fake_client(struct conn *c, int retries, long stall_timeout_ms) {
        conn_init(c, live.fake);
        c->o.insecure = true;
        c->o.retries = retries;
        c->o.stall_timeout_ms = stall_timeout_ms;
        return client_new(c);
}

static void test_digest_mismatch(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        CLEANUP(registry_client_freep) struct registry_client *cl = fake_client(&c, -1, 0);
        struct cric_error *err = manifest_error(cl, "baddigest/img", "1");
        expect_error(err, CRIC_E_INVALID, "Docker-Content-Digest sha256:0000");
        expect_error(err, CRIC_E_INVALID, "GET http://127.0.0.1:%d/v2/baddigest/img/manifests/1: ", live.fake);
        cric_error_free(err);
        const char *other = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
        err = manifest_error(cl, "baddigest/img", other);
        expect_error(err, CRIC_E_INVALID, "manifest digest %s does not match", live.manifest_digest);
        cric_error_free(err);
}

static void test_manifest_too_large(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        CLEANUP(registry_client_freep) struct registry_client *cl = fake_client(&c, -1, 0);
        CLEANUP(cric_error_freep) struct cric_error *err = manifest_error(cl, "huge/img", "1");
        expect_error(err, CRIC_E_INVALID, "larger than 4194304 bytes");
}

static void test_retries(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        CLEANUP(registry_client_freep) struct registry_client *cl = fake_client(&c, -1, 0);
        double t0 = now_s();
        expect_manifest(cl, "flaky/img", "1"); /* 503, 503, 200: waits 200 + 400 ms */
        double t1 = now_s();
        assert_true(t1 - t0 >= 0.55);
        expect_blob(cl, "flaky/img", live.layer_digest); /* 503, 429 with Retry-After: 1, 200 */
        assert_true(now_s() - t1 >= 1.15);
}

static void test_retries_exhausted(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        CLEANUP(registry_client_freep) struct registry_client *cl = fake_client(&c, 1, 0);
        double t0 = now_s();
        CLEANUP(cric_error_freep) struct cric_error *err = manifest_error(cl, "down/img", "1");
        expect_error(err, CRIC_E_UNAVAILABLE, "GET http://127.0.0.1:%d/v2/down/img/manifests/1: %s", live.fake,
                     "503 service unavailable: down for maintenance");
        double elapsed = now_s() - t0;
        assert_true(elapsed >= 0.15 && elapsed < 3.0);
}

static void test_redirect_drops_auth(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        conn_init(&c, live.fake);
        c.o.insecure = true;
        c.a.registry_token = "secret-token";
        c.o.auth = &c.a;
        /* The backend answers 400 to any request with an Authorization header. */
        CLEANUP(registry_client_freep) struct registry_client *cl = client_new(&c);
        expect_blob(cl, "redir/img", live.layer_digest);
}

static void test_stall_timeout(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        CLEANUP(registry_client_freep) struct registry_client *cl = fake_client(&c, 0, 1000);
        double t0 = now_s();
        CLEANUP(cric_error_freep) struct cric_error *err = blob_error(cl, "stall/img", live.layer_digest, NULL);
        double elapsed = now_s() - t0;
        expect_error(err, CRIC_E_UNAVAILABLE, "GET http://127.0.0.1:%d/v2/stall/img/blobs/", live.fake);
        assert_true(elapsed >= 0.9 && elapsed < 4.0);
}

static void test_sink_error(void **state) {
        (void) state;
        PRECHECK();
        struct conn c;
        conn_init(&c, live.plain);
        c.o.insecure = true;
        CLEANUP(registry_client_freep) struct registry_client *cl = client_new(&c);
        struct collect col = {.must_fail = true};
        CLEANUP(cric_error_freep) struct cric_error *err = blob_error(cl, "test/img", live.layer_digest, &col);
        expect_error(err, CRIC_E_CANCELLED, "stop requested by the sink");
        assert_int_equal(col.calls, 1); /* no retry once a byte reached the sink */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain_manifest_and_blob),
                cmocka_unit_test(test_plain_needs_insecure),
                cmocka_unit_test(test_not_found),
                cmocka_unit_test(test_unreachable),
                cmocka_unit_test(test_invalid_arguments),
                cmocka_unit_test(test_tls_basic_auth),
                cmocka_unit_test(test_tls_auth_encoded),
                cmocka_unit_test(test_tls_auth_file),
                cmocka_unit_test(test_tls_wrong_password),
                cmocka_unit_test(test_tls_no_credentials),
                cmocka_unit_test(test_tls_untrusted),
                cmocka_unit_test(test_tls_insecure),
                cmocka_unit_test(test_token_basic_credentials),
                cmocka_unit_test(test_token_identity_token),
                cmocka_unit_test(test_token_refused),
                cmocka_unit_test(test_token_anonymous),
                cmocka_unit_test(test_token_registry_token),
                cmocka_unit_test(test_token_concurrent),
                cmocka_unit_test(test_digest_mismatch),
                cmocka_unit_test(test_manifest_too_large),
                cmocka_unit_test(test_retries),
                cmocka_unit_test(test_retries_exhausted),
                cmocka_unit_test(test_redirect_drops_auth),
                cmocka_unit_test(test_stall_timeout),
                cmocka_unit_test(test_sink_error),
        };
        if (getenv("CRIC_TEST_DEBUG"))
                log_set_level(LOG_LEVEL_DEBUG);
        return cmocka_run_group_tests_name("image_registry_live", tests, live_setup, live_teardown);
}
