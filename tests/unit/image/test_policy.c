/* Tests of the signature policy (src/image/policy.c), the signature payload and sigstore
 * verification (sig_payload.c, sig_sigstore.c, with keys made here by OpenSSL), and
 * registries.d (sig_lookaside.c). GPG and the registry are covered by
 * tests/integration/test_signature_policy.py. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/policy.h"
#include "image/sig.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define DIGEST  "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DIGEST2 "sha256:1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct policy *parse_ok(const char *doc) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct policy *p = NULL;
        if (policy_parse(doc, strlen(doc), "/etc/p.json", &p, &err) < 0)
                fail_msg("policy %s: %s", doc, err->msg);
        return p;
}

static void parse_fails(const char *doc, const char *needle) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct policy *p = NULL;
        testlib_error_is(policy_parse(doc, strlen(doc), "/etc/p.json", &p, &err), &err, CRIC_E_INVALID);
        assert_null(p);
        if (!strstr(err->msg, needle) || !strstr(err->msg, "/etc/p.json"))
                fail_msg("policy %s: message \"%s\" lacks \"%s\" or the path", doc, err->msg, needle);
}

static struct image_ref *ref(const char *s) {
        struct image_ref *r = NULL;
        assert_int_equal(image_ref_parse(s, &r, NULL), 0);
        return r;
}

static void test_parse_rules(void **state) {
        (void) state;
        CLEANUP(policy_freep)
        struct policy *p = parse_ok(
                "{\"default\": [{\"type\": \"reject\"}], \"transports\": {"
                "\"docker\": {\"example.com/a\": [{\"type\": \"insecureAcceptAnything\"}],"
                "             \"example.com\": [{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\", \"keyPaths\": "
                "[\"/k1\", \"/k2\"], \"signedIdentity\": {\"type\": \"matchRepository\"}}],"
                "             \"\": [{\"type\": \"sigstoreSigned\", \"keyData\": \"aGVsbG8=\"}]},"
                "\"docker-daemon\": {\"\": [{\"type\": \"insecureAcceptAnything\"}]}}}");
        assert_int_equal(p->def.n, 1);
        assert_int_equal(p->def.reqs[0].type, POLICY_REJECT);
        assert_int_equal(p->n_docker, 3); /* other transports are checked, not kept */
        const struct policy_reqs *r = NULL;
        for (size_t i = 0; i < p->n_docker; i++)
                if (strcmp(p->docker[i].scope, "example.com") == 0)
                        r = &p->docker[i];
        assert_non_null(r);
        assert_int_equal(r->reqs[0].type, POLICY_SIGNED_BY);
        assert_int_equal(r->reqs[0].n_keys, 2);
        assert_string_equal(r->reqs[0].keys[1].path, "/k2");
        assert_int_equal(r->reqs[0].identity.type, POLICY_ID_MATCH_REPOSITORY);
        for (size_t i = 0; i < p->n_docker; i++)
                if (!*p->docker[i].scope) {
                        assert_int_equal(p->docker[i].reqs[0].keys[0].len, 5);
                        assert_memory_equal(p->docker[i].reqs[0].keys[0].data, "hello", 5);
                }
}

static void test_parse_errors(void **state) {
        (void) state;
        parse_fails("{}", "\"default\" is missing");
        parse_fails("{\"default\": []}", "empty list");
        parse_fails("{\"default\": [{\"type\": \"accept\"}]}", "unknown requirement type \"accept\"");
        parse_fails("{\"default\": [{\"type\": \"reject\", \"x\": 1}]}", "unknown field \"x\"");
        parse_fails("{\"default\": [{\"type\": \"reject\"}], \"extra\": 1}", "unknown field \"extra\"");
        parse_fails("{\"default\": [{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\"}]}", "exactly one of");
        parse_fails("{\"default\": [{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\", \"keyPath\": \"/a\", "
                    "\"keyData\": \"YQ==\"}]}",
                    "exactly one of");
        parse_fails("{\"default\": [{\"type\": \"signedBy\", \"keyType\": \"X509Certificates\", \"keyPath\": \"/a\"}]}",
                    "not supported");
        parse_fails("{\"default\": [{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\", \"keyPath\": \"rel\"}]}",
                    "not absolute");
        parse_fails("{\"default\": [{\"type\": \"sigstoreSigned\", \"fulcio\": {}}]}", "\"fulcio\" is not supported");
        parse_fails("{\"default\": [{\"type\": \"sigstoreSigned\", \"keyData\": \"%%%\"}]}", "key data");
        parse_fails("{\"default\": [{\"type\": \"sigstoreSigned\", \"keyPath\": \"/k\", \"signedIdentity\": "
                    "{\"type\": \"exactReference\"}}]}",
                    "\"dockerReference\" is missing");
        parse_fails("{\"default\": [{\"type\": \"sigstoreSigned\", \"keyPath\": \"/k\", \"signedIdentity\": "
                    "{\"type\": \"exactReference\", \"dockerReference\": \"example.com/a\"}}]}",
                    "has no tag or digest");
        parse_fails("{\"default\": [{\"type\": \"sigstoreSigned\", \"keyPath\": \"/k\", \"signedIdentity\": "
                    "{\"type\": \"matchAnything\"}}]}",
                    "unknown type \"matchAnything\"");
        parse_fails("{\"default\": [{\"type\": \"reject\"}], \"transports\": {\"docker\": {\"Example.com\": "
                    "[{\"type\": \"reject\"}]}}}",
                    "not a valid docker scope");
        parse_fails("{\"default\": [{\"type\": \"reject\"}], \"transports\": {\"docker\": {\"*.a/b\": "
                    "[{\"type\": \"reject\"}]}}}",
                    "not a valid docker scope");
        parse_fails("{\"default\": [{\"type\": \"reject\"}], \"transports\": {\"atomic\": {\"\": "
                    "[{\"type\": \"nope\"}]}}}",
                    "unknown requirement type");
        parse_fails("[1]", "not a JSON object");
}

static enum policy_req_type selected(const struct policy *p, const char *image) {
        CLEANUP(image_ref_freep) struct image_ref *r = ref(image);
        return policy_select(p, r)->reqs[0].type;
}

static void test_scope_selection(void **state) {
        (void) state;
        CLEANUP(policy_freep)
        struct policy *p =
                parse_ok("{\"default\": [{\"type\": \"insecureAcceptAnything\"}], \"transports\": {\"docker\": {"
                         "\"reg.example.com/ns/app:v1\": [{\"type\": \"insecureAcceptAnything\"}],"
                         "\"reg.example.com/ns/app\": [{\"type\": \"reject\"}],"
                         "\"reg.example.com/ns\": [{\"type\": \"insecureAcceptAnything\"}],"
                         "\"reg.example.com\": [{\"type\": \"reject\"}],"
                         "\"*.example.com\": [{\"type\": \"insecureAcceptAnything\"}],"
                         "\"*.org\": [{\"type\": \"reject\"}],"
                         "\"\": [{\"type\": \"reject\"}]}}}");
        assert_int_equal(selected(p, "reg.example.com/ns/app:v1"), POLICY_ACCEPT_ANYTHING);
        assert_int_equal(selected(p, "reg.example.com/ns/app:v2"), POLICY_REJECT);
        assert_int_equal(selected(p, "reg.example.com/ns/app@" DIGEST), POLICY_REJECT);
        assert_int_equal(selected(p, "reg.example.com/ns/other/deep"), POLICY_ACCEPT_ANYTHING);
        assert_int_equal(selected(p, "reg.example.com/top"), POLICY_REJECT);
        assert_int_equal(selected(p, "mirror.example.com/x"), POLICY_ACCEPT_ANYTHING);
        assert_int_equal(selected(p, "a.b.example.org/x"), POLICY_REJECT);
        assert_int_equal(selected(p, "localhost:5000/x"), POLICY_REJECT); /* the transport's "" */
        CLEANUP(policy_freep) struct policy *d = parse_ok("{\"default\": [{\"type\": \"reject\"}]}");
        assert_int_equal(selected(d, "busybox"), POLICY_REJECT);
        /* short names are normalized before the lookup */
        CLEANUP(policy_freep)
        struct policy *h = parse_ok("{\"default\": [{\"type\": \"reject\"}], \"transports\": {\"docker\": {"
                                    "\"docker.io/library/busybox\": [{\"type\": \"insecureAcceptAnything\"}]}}}");
        assert_int_equal(selected(h, "busybox"), POLICY_ACCEPT_ANYTHING);
        /* no wildcard for an IP address */
        CLEANUP(image_ref_freep) struct image_ref *ip = ref("127.0.0.1:5000/x:1");
        CLEANUP(strv_freep) char **scopes = policy_scopes(ip);
        assert_string_equal(scopes[0], "127.0.0.1:5000/x:1");
        assert_string_equal(scopes[1], "127.0.0.1:5000/x");
        assert_string_equal(scopes[2], "127.0.0.1:5000");
        assert_null(scopes[3]);
}

static bool id_match(const char *identity_json, const char *image, const char *signed_ref) {
        AUTOFREE char *doc =
                xasprintf("{\"default\": [{\"type\": \"sigstoreSigned\", \"keyPath\": \"/k\"%s%s}]}",
                          identity_json ? ", \"signedIdentity\": " : "", identity_json ? identity_json : "");
        CLEANUP(policy_freep) struct policy *p = parse_ok(doc);
        CLEANUP(image_ref_freep) struct image_ref *r = ref(image);
        return policy_identity_match(&p->def.reqs[0].identity, r, signed_ref);
}

static void test_identity(void **state) {
        (void) state;
        /* the default, matchRepoDigestOrExact */
        assert_true(id_match(NULL, "example.com/a:1", "example.com/a:1"));
        assert_false(id_match(NULL, "example.com/a:1", "example.com/a:2"));
        assert_false(id_match(NULL, "example.com/a:1", "example.com/b:1"));
        assert_true(id_match(NULL, "example.com/a@" DIGEST, "example.com/a:whatever"));
        assert_true(id_match(NULL, "example.com/a@" DIGEST, "example.com/a@" DIGEST2));
        assert_false(id_match(NULL, "example.com/a@" DIGEST, "example.com/b:1"));
        assert_true(id_match(NULL, "busybox", "docker.io/library/busybox:latest"));
        assert_false(id_match(NULL, "example.com/a:1", "not a reference"));
        const char *exact = "{\"type\": \"matchExact\"}";
        assert_true(id_match(exact, "example.com/a:1", "example.com/a:1"));
        assert_false(id_match(exact, "example.com/a@" DIGEST, "example.com/a:1"));
        const char *repo = "{\"type\": \"matchRepository\"}";
        assert_true(id_match(repo, "example.com/a:1", "example.com/a:2"));
        assert_false(id_match(repo, "example.com/a:1", "example.com/ab:1"));
        const char *eref = "{\"type\": \"exactReference\", \"dockerReference\": \"other.com/x:7\"}";
        assert_true(id_match(eref, "example.com/a:1", "other.com/x:7"));
        assert_false(id_match(eref, "example.com/a:1", "example.com/a:1"));
        const char *erepo = "{\"type\": \"exactRepository\", \"dockerRepository\": \"other.com/x\"}";
        assert_true(id_match(erepo, "example.com/a:1", "other.com/x:9"));
        assert_false(id_match(erepo, "example.com/a:1", "other.com/y:9"));
        const char *remap = "{\"type\": \"remapIdentity\", \"prefix\": \"mirror.local/ns\", \"signedPrefix\": "
                            "\"quay.io/upstream\"}";
        assert_true(id_match(remap, "mirror.local/ns/app:1", "quay.io/upstream/app:1"));
        assert_false(id_match(remap, "mirror.local/ns/app:1", "mirror.local/ns/app:2"));
        assert_true(id_match(remap, "mirror.local/nsx/app:1", "mirror.local/nsx/app:1")); /* not a prefix match */
        assert_false(id_match(remap, "mirror.local/nsx/app:1", "quay.io/upstreamx/app:1"));
}

static void test_payload(void **state) {
        (void) state;
        struct sig_claim c = {0};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        const char *good = "{\"critical\": {\"type\": \"atomic container signature\", \"image\": "
                           "{\"docker-manifest-digest\": \"" DIGEST "\"}, \"identity\": {\"docker-reference\": "
                           "\"example.com/a:1\"}}, \"optional\": {\"creator\": \"x\"}}";
        assert_int_equal(sig_payload_parse(good, strlen(good), SIG_TYPE_SIMPLE, &c, &err), 0);
        assert_string_equal(c.manifest_digest, DIGEST);
        assert_string_equal(c.docker_reference, "example.com/a:1");
        sig_claim_clear(&c);
        testlib_error_is(sig_payload_parse(good, strlen(good), SIG_TYPE_SIGSTORE, &c, &err), &err, CRIC_E_INVALID);
        const char *bad[] = {
                "{}",
                "{\"critical\": {\"type\": \"atomic container signature\", \"image\": {\"docker-manifest-digest\": "
                "\"sha256:x\"}, \"identity\": {\"docker-reference\": \"a\"}}}",
                "{\"critical\": {\"type\": \"atomic container signature\", \"image\": {\"docker-manifest-digest\": "
                "\"" DIGEST "\"}, \"identity\": {\"docker-reference\": \"a\"}, \"more\": 1}}",
                "{\"critical\": {\"type\": \"atomic container signature\", \"image\": {\"docker-manifest-digest\": "
                "\"" DIGEST "\", \"x\": 1}, \"identity\": {\"docker-reference\": \"a\"}}}",
                "{\"critical\": {\"type\": \"atomic container signature\", \"image\": 3, \"identity\": {}}}",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                testlib_error_is(sig_payload_parse(bad[i], strlen(bad[i]), SIG_TYPE_SIMPLE, &c, &err), &err,
                                 CRIC_E_INVALID);
        assert_null(c.manifest_digest);
}

/* ---- sigstore, with keys made here ---- */

static EVP_PKEY *make_key(int type) {
        EVP_PKEY *k = type == EVP_PKEY_EC ? EVP_EC_gen("P-256") : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        assert_non_null(k);
        return k;
}

static char *public_pem(EVP_PKEY *k) {
        BIO *b = BIO_new(BIO_s_mem());
        assert_int_equal(PEM_write_bio_PUBKEY(b, k), 1);
        char *data = NULL;
        long n = BIO_get_mem_data(b, &data);
        char *out = xstrndup(data, (size_t) n);
        BIO_free(b);
        return out;
}

static char *sign_b64(EVP_PKEY *k, const char *msg) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        const EVP_MD *md = EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
        assert_int_equal(EVP_DigestSignInit(ctx, NULL, md, NULL, k), 1);
        size_t len = 0;
        assert_int_equal(EVP_DigestSign(ctx, NULL, &len, (const unsigned char *) msg, strlen(msg)), 1);
        unsigned char *sig = xmalloc(len);
        assert_int_equal(EVP_DigestSign(ctx, sig, &len, (const unsigned char *) msg, strlen(msg)), 1);
        EVP_MD_CTX_free(ctx);
        char *b64 = xmalloc(4 * ((len + 2) / 3) + 1);
        EVP_EncodeBlock((unsigned char *) b64, sig, (int) len);
        free(sig);
        return b64;
}

static void test_sigstore_verify(void **state) {
        (void) state;
        const char *payload = "{\"critical\": {\"type\": \"cosign container image signature\", \"image\": "
                              "{\"docker-manifest-digest\": \"" DIGEST "\"}, \"identity\": {\"docker-reference\": "
                              "\"example.com/a\"}}, \"optional\": null}";
        int types[] = {EVP_PKEY_EC, EVP_PKEY_ED25519};
        for (size_t t = 0; t < 2; t++) {
                EVP_PKEY *good = make_key(types[t]), *other = make_key(types[t]);
                AUTOFREE char *pem = public_pem(good), *other_pem = public_pem(other);
                AUTOFREE char *sig = sign_b64(good, payload), *bad_sig = sign_b64(other, payload);
                struct policy_key keys[2] = {{.data = (unsigned char *) other_pem, .len = strlen(other_pem)},
                                             {.data = (unsigned char *) pem, .len = strlen(pem)}};
                struct sigstore_sig s = {.payload = (char *) payload, .payload_len = strlen(payload), .signature = sig};
                struct sig_claim c = {0};
                CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                assert_int_equal(sigstore_verify(keys, 2, &s, &c, &err), 0); /* the second key verifies */
                assert_string_equal(c.docker_reference, "example.com/a");
                sig_claim_clear(&c);
                s.signature = bad_sig;
                testlib_error_is(sigstore_verify(&keys[1], 1, &s, &c, &err), &err, CRIC_E_SIGNATURE);
                s.signature = sig;
                s.payload_len--; /* one byte less than what was signed */
                testlib_error_is(sigstore_verify(&keys[1], 1, &s, &c, &err), &err, CRIC_E_SIGNATURE);
                s.payload_len++;
                s.signature = (char *) "not base64!";
                testlib_error_is(sigstore_verify(&keys[1], 1, &s, &c, &err), &err, CRIC_E_SIGNATURE);
                struct policy_key junk = {.data = (unsigned char *) "junk", .len = 4};
                s.signature = sig;
                testlib_error_is(sigstore_verify(&junk, 1, &s, &c, &err), &err, CRIC_E_PRECONDITION);
                struct policy_key missing = {.path = (char *) "/nonexistent/key.pub"};
                testlib_error_is(sigstore_verify(&missing, 1, &s, &c, &err), &err, CRIC_E_PRECONDITION);
                EVP_PKEY_free(good);
                EVP_PKEY_free(other);
        }
}

/* ---- registries.d ---- */

static void write_file(const char *dir, const char *name, const char *text) {
        AUTOFREE char *path = xasprintf("%s/%s", dir, name);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void lookup(const char *dir, const char *image, struct sig_sources *s) {
        CLEANUP(image_ref_freep) struct image_ref *r = ref(image);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        CLEANUP(registries_d_freep) struct registries_d *d = NULL;
        if (registries_d_load(dir, &d, &err) < 0)
                fail_msg("registries.d: %s", err->msg);
        registries_d_sources(d, r, s);
}

static void test_registries_d(void **state) {
        (void) state;
        AUTOFREE char *dir = testlib_tmpdir("regd");
        struct sig_sources s = {0};
        lookup(dir, "example.com/a", &s); /* empty dir: nothing */
        assert_null(s.lookaside);
        assert_false(s.use_sigstore_attachments);
        write_file(dir, "a.yaml", "default-docker:\n  lookaside: file:///var/lib/sigs\n");
        write_file(dir, "b.yaml",
                   "docker:\n  example.com:\n    sigstore: https://sigs.example.com\n"
                   "    use-sigstore-attachments: true\n"
                   "  example.com/ns/app:\n    use-sigstore-attachments: false\n"
                   "    lookaside-staging: file:///staging\n");
        write_file(dir, "c.yaml", "");
        write_file(dir, "ignored.conf", "not: [yaml");
        lookup(dir, "example.com/ns/app:1", &s);
        assert_string_equal(s.lookaside, "https://sigs.example.com"); /* from the host scope */
        assert_false(s.use_sigstore_attachments);                     /* the repository's own */
        sig_sources_clear(&s);
        lookup(dir, "example.com/other", &s);
        assert_true(s.use_sigstore_attachments);
        sig_sources_clear(&s);
        lookup(dir, "quay.io/x", &s);
        assert_string_equal(s.lookaside, "file:///var/lib/sigs");
        sig_sources_clear(&s);
        /* errors name the file */
        write_file(dir, "d.yaml", "docker:\n  example.com:\n    lookaside: file:///again\n");
        CLEANUP(registries_d_freep) struct registries_d *d = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        testlib_error_is(registries_d_load(dir, &d, &err), &err, CRIC_E_INVALID);
        assert_non_null(strstr(err->msg, "d.yaml"));
        assert_non_null(strstr(err->msg, "b.yaml"));
        write_file(dir, "d.yaml", "docker:\n  example.org:\n    lookasid: file:///typo\n");
        testlib_error_is(registries_d_load(dir, &d, &err), &err, CRIC_E_INVALID);
        assert_non_null(strstr(err->msg, "lookasid"));
        write_file(dir, "d.yaml", "docker:\n  example.org:\n    use-sigstore-attachments: maybe\n");
        testlib_error_is(registries_d_load(dir, &d, &err), &err, CRIC_E_INVALID);
        testlib_rmtree(dir);
}

static void test_lookaside_file(void **state) {
        (void) state;
        AUTOFREE char *dir = testlib_tmpdir("lookaside");
        AUTOFREE char *sigdir = xasprintf("%s/ns/app@sha256=%s", dir, &DIGEST[7]);
        AUTOFREE char *mk = xasprintf("mkdir -p '%s'", sigdir);
        assert_int_equal(system(mk), 0);
        write_file(sigdir, "signature-1", "one");
        write_file(sigdir, "signature-2", "two");
        write_file(sigdir, "signature-4", "four, after a gap: not read");
        AUTOFREE char *base = xasprintf("file://%s/", dir);
        CLEANUP(image_ref_freep) struct image_ref *r = ref("example.com/ns/app:1");
        char **sigs = NULL;
        size_t *lens = NULL, n = 0;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(lookaside_fetch(base, r, DIGEST, &sigs, &lens, &n, &err), 0);
        assert_int_equal(n, 2);
        assert_memory_equal(sigs[1], "two", 3);
        assert_int_equal(lens[1], 3);
        for (size_t i = 0; i < n; i++)
                free(sigs[i]);
        free(sigs);
        free(lens);
        testlib_error_is(lookaside_fetch("ftp://x", r, DIGEST, &sigs, &lens, &n, &err), &err, CRIC_E_INVALID);
        testlib_rmtree(dir);
}

/* A pull reads the policy once: its later sources see what its first one saw, the
 * error of a broken file included; the next pull reads the file again. */
static void test_checker_reads_once(void **state) {
        (void) state;
        AUTOFREE char *dir = testlib_tmpdir("checker");
        AUTOFREE char *path = xasprintf("%s/policy.json", dir);
        AUTOFREE char *regd = xasprintf("%s/registries.d", dir);
        struct policy_check_opts o = {.policy_path = path, .registries_d = regd, .tmp_dir = dir};
        CLEANUP(image_ref_freep) struct image_ref *r = ref("example.com/ns/app:1");
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        write_file(dir, "policy.json", "{\"default\": [{\"type\": \"reject\"}]}");
        CLEANUP(policy_checker_freep) struct policy_checker *first = policy_checker_new(&o);
        assert_contains(testlib_error_is(policy_check(first, r, DIGEST, NULL, "ns/app", &err), &err, CRIC_E_SIGNATURE),
                        path);
        cric_error_freep(&err);
        write_file(dir, "policy.json", "{\"default\": [{\"type\": \"insecureAcceptAnything\", \"keyPath\": \"/x\"}]}");
        testlib_error_is(policy_check(first, r, DIGEST, NULL, "ns/app", &err), &err, CRIC_E_SIGNATURE);
        cric_error_freep(&err);
        CLEANUP(policy_checker_freep) struct policy_checker *second = policy_checker_new(&o);
        const char *msg = testlib_error_is(policy_check(second, r, DIGEST, NULL, "ns/app", &err), &err, CRIC_E_INVALID);
        assert_contains(msg, path);
        assert_contains(msg, "\"keyPath\"");
        AUTOFREE char *first_msg = xstrdup(msg);
        cric_error_freep(&err);
        write_file(dir, "policy.json", "{\"default\": [{\"type\": \"insecureAcceptAnything\"}]}");
        msg = testlib_error_is(policy_check(second, r, DIGEST, NULL, "ns/app", &err), &err, CRIC_E_INVALID);
        assert_string_equal(msg, first_msg);
        CLEANUP(policy_checker_freep) struct policy_checker *third = policy_checker_new(&o);
        assert_int_equal(policy_check(third, r, DIGEST, NULL, "ns/app", NULL), 0);
        testlib_rmtree(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_rules),
                cmocka_unit_test(test_parse_errors),
                cmocka_unit_test(test_scope_selection),
                cmocka_unit_test(test_identity),
                cmocka_unit_test(test_payload),
                cmocka_unit_test(test_sigstore_verify),
                cmocka_unit_test(test_registries_d),
                cmocka_unit_test(test_lookaside_file),
                cmocka_unit_test(test_checker_reads_once),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
