/* Tests of manifest parsing (src/image/manifest.c, manifest_v1.c) and platform selection
 * (src/image/platform.c). Documents are written with ' for " to stay readable. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/image_config.h"
#include "image/manifest.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

#define DG_CFG "sha256:12cb64fe927b420341b14fc03da3daf69619762c7a92d8505612cdd0309c3347"
#define DG_L1  "sha256:dffe8596427fc50e8f64654a609af134d45552f18bbecef90b31135a9e7acaa0"
#define DG_L2  "sha256:d76354d8457898445bb69e0dc0dc95fb74cc3cf334f8c1859162a16ad0041f8d"
#define DG_L3  "sha256:842983de8fb1d277a3fad5c8295c7a14317c458718a10c5a35b23e7f992a5c80"
#define DG_M1  "sha256:2d214ca69b86c255be416d42cca977a59b34a7492873105522c35015fab806f0"
#define DG_M2  "sha256:0892a10ece1f933ee98f5d554601b28f8437801d1aa1b77799e4035ddcb6950c"
#define DG_M3  "sha256:67629a19d082ed3a6a50d4e4ff97d02f6208b8706aeef961e0d6a438604211df"
#define DG_M4  "sha256:449a900ec53efd69a2257a22fea51a952f82eb4039b6d44626393f215aabe9c1"
#define DG_M5  "sha256:25efb20dfe4953e14dbef1bc5ac6bd7ea8dc659c582e4118260b50508c8f5f25"
#define DG_512                                                                                                         \
        "sha512:a4abd4448c49562d828115d13a1fccea927f52b4d5459297f8b43e42da89238bc13626e43dcb38ddb082488927ec904fb4205" \
        "7443983e88585179d50551afe62"

#define DESC(mt, dg, size) "{'mediaType': '" mt "', 'digest': '" dg "', 'size': " #size "}"
#define OCI_CONFIG         DESC(MT_OCI_CONFIG, DG_CFG, 1470)
#define OCI_WITH_LAYERS(layers)                                                                                        \
        "{'schemaVersion': 2, 'mediaType': '" MT_OCI_MANIFEST "', 'config': " OCI_CONFIG ", 'layers': [" layers "]}"
#define GZ_LAYER(dg) DESC(MT_OCI_LAYER_GZIP, dg, 3370706)

/* clang-format off */
static const char oci_manifest[] =
        "{'schemaVersion': 2, 'mediaType': '" MT_OCI_MANIFEST "',"
        " 'config': {'mediaType': '" MT_OCI_CONFIG "', 'digest': '" DG_CFG "', 'size': 7023},"
        " 'layers': [" DESC(MT_OCI_LAYER_GZIP, DG_L1, 29124181) ", " DESC(MT_OCI_LAYER_GZIP, DG_L2, 41338183) ","
        "  {'mediaType': '" MT_OCI_LAYER_GZIP "', 'digest': '" DG_L3 "', 'size': 628,"
        "   'annotations': {'org.opencontainers.image.title': 'etc.tar.gz'}}],"
        " 'annotations': {'org.opencontainers.image.created': '2024-05-14T01:28:43Z',"
        "  'org.opencontainers.image.base.name': 'docker.io/library/debian:bookworm-slim'}}";

static const char docker_manifest[] =
        "{'schemaVersion': 2, 'mediaType': '" MT_DOCKER_V2S2 "',"
        " 'config': {'mediaType': '" MT_DOCKER_CONFIG "', 'size': 8589, 'digest': '" DG_CFG "'},"
        " 'layers': [{'mediaType': '" MT_DOCKER_LAYER_GZIP "', 'size': 29126484, 'digest': '" DG_L1 "'},"
        "  {'mediaType': '" MT_DOCKER_LAYER_GZIP "', 'size': 41383917, 'digest': '" DG_L2 "'},"
        "  {'mediaType': '" MT_DOCKER_LAYER_GZIP "', 'size': 627, 'digest': '" DG_L3 "'}]}";

/* Shaped like busybox's index on Docker Hub, with a BuildKit attestation entry. */
#define ENTRY(mt, dg, os, arch, extra) \
        "{'mediaType': '" mt "', 'digest': '" dg "', 'size': 610, 'platform': {'os': '" os \
        "', 'architecture': '" arch "'" extra "}}"
static const char oci_index[] =
        "{'schemaVersion': 2, 'mediaType': '" MT_OCI_INDEX "', 'manifests': ["
        ENTRY(MT_OCI_MANIFEST, DG_M1, "linux", "amd64", "") ","
        ENTRY(MT_OCI_MANIFEST, DG_M2, "linux", "arm", ", 'variant': 'v6'") ","
        ENTRY(MT_OCI_MANIFEST, DG_M3, "linux", "arm", ", 'variant': 'v7'") ","
        ENTRY(MT_OCI_MANIFEST, DG_M4, "linux", "arm64", ", 'variant': 'v8'") ","
        "{'mediaType': '" MT_OCI_MANIFEST "', 'digest': '" DG_M5 "', 'size': 566,"
        " 'annotations': {'vnd.docker.reference.digest': '" DG_M1 "',"
        "  'vnd.docker.reference.type': 'attestation-manifest'},"
        " 'platform': {'architecture': 'unknown', 'os': 'unknown'}}]}";

static const char docker_list[] =
        "{'schemaVersion': 2, 'mediaType': '" MT_DOCKER_LIST "', 'manifests': ["
        ENTRY(MT_DOCKER_V2S2, DG_M1, "linux", "amd64", "") ","
        ENTRY(MT_DOCKER_V2S2, DG_M2, "linux", "arm64", "") ","
        ENTRY(MT_DOCKER_V2S2, DG_M3, "linux", "ppc64le", "") ","
        ENTRY(MT_DOCKER_V2S2, DG_M4, "windows", "amd64", ", 'os.version': '10.0.17763.5936'") "]}";
/* clang-format on */

static char *unquote(const char *s) {
        char *d = xstrdup(s);
        for (char *p = d; *p; p++)
                if (*p == '\'')
                        *p = '"';
        return d;
}

static struct manifest *parse_ok(const char *content_type, const char *doc_sq) {
        AUTOFREE char *doc = unquote(doc_sq);
        struct manifest *m = NULL;
        struct cric_error *err = NULL;
        if (manifest_parse(content_type, doc, strlen(doc), &m, &err) < 0)
                fail_msg("manifest_parse failed: %s", err->msg);
        assert_null(err);
        assert_non_null(m);
        return m;
}

/* Expects CRIC_E_INVALID with msg in the message (the whole message when is_exact). */
static void check_fails(const char *content_type, const char *doc, size_t len, const char *msg, bool is_exact) {
        struct manifest *m = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(manifest_parse(content_type, doc, len, &m, &err), -1);
        assert_null(m);
        assert_non_null(err);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        if (is_exact)
                assert_string_equal(err->msg, msg);
        else if (!strstr(err->msg, msg))
                fail_msg("message \"%s\" does not contain \"%s\"", err->msg, msg);
}

static void parse_fails(const char *content_type, const char *doc_sq, const char *msg) {
        AUTOFREE char *doc = unquote(doc_sq);
        check_fails(content_type, doc, strlen(doc), msg, false);
}

static void parse_fails_exact(const char *content_type, const char *doc_sq, const char *msg) {
        AUTOFREE char *doc = unquote(doc_sq);
        check_fails(content_type, doc, strlen(doc), msg, true);
}

/* ---- image manifests ---- */

static void test_oci_manifest(void **state) {
        (void) state;
        CLEANUP(manifest_freep) struct manifest *m = parse_ok(MT_OCI_MANIFEST, oci_manifest);
        assert_int_equal(m->kind, MANIFEST_OCI);
        assert_string_equal(m->media_type, MT_OCI_MANIFEST);
        assert_string_equal(m->config.media_type, MT_OCI_CONFIG);
        assert_string_equal(m->config.digest, DG_CFG);
        assert_int_equal(m->config.size, 7023);
        assert_int_equal(m->n_layers, 3);
        assert_string_equal(m->layers[0].digest, DG_L1);
        assert_int_equal(m->layers[0].size, 29124181);
        assert_int_equal(m->layers[0].compression, LAYER_COMPRESSION_GZIP);
        assert_string_equal(m->layers[2].digest, DG_L3);
        assert_null(m->layers[0].platform.os);
        assert_null(m->manifests);
        assert_int_equal(m->n_manifests, 0);
        assert_null(m->v1_config_json);
        assert_null(m->name);
}

static void test_oci_manifest_detected_by_media_type(void **state) {
        (void) state;
        CLEANUP(manifest_freep) struct manifest *m = parse_ok(NULL, oci_manifest);
        assert_int_equal(m->kind, MANIFEST_OCI);
        CLEANUP(manifest_freep) struct manifest *m2 = parse_ok("application/json", oci_manifest);
        assert_int_equal(m2->kind, MANIFEST_OCI);
}

static void test_oci_manifest_detected_by_structure(void **state) {
        (void) state;
        const char *doc = "{'schemaVersion': 2, 'config': " OCI_CONFIG ", 'layers': [" GZ_LAYER(DG_L1) "]}";
        CLEANUP(manifest_freep) struct manifest *m = parse_ok(NULL, doc);
        assert_int_equal(m->kind, MANIFEST_OCI);
        assert_string_equal(m->media_type, MT_OCI_MANIFEST);
        assert_int_equal(m->n_layers, 1);
}

static void test_content_type_decides_without_media_type(void **state) {
        (void) state;
        /* Docker schema 2 requires mediaType, but the Content-Type is enough to know. */
        const char *doc = "{'schemaVersion': 2, 'config': " DESC(MT_DOCKER_CONFIG, DG_CFG, 10) ", 'layers': []}";
        CLEANUP(manifest_freep) struct manifest *m = parse_ok(MT_DOCKER_V2S2, doc);
        assert_int_equal(m->kind, MANIFEST_DOCKER_V2S2);
        assert_string_equal(m->media_type, MT_DOCKER_V2S2);
        assert_int_equal(m->n_layers, 0);
}

static void test_content_type_parameters_and_case(void **state) {
        (void) state;
        CLEANUP(manifest_freep)
        struct manifest *m = parse_ok(" Application/VND.OCI.image.manifest.v1+JSON ; charset=utf-8", oci_manifest);
        assert_int_equal(m->kind, MANIFEST_OCI);
        CLEANUP(manifest_freep) struct manifest *m2 = parse_ok("text/plain; charset=utf-8", docker_manifest);
        assert_int_equal(m2->kind, MANIFEST_DOCKER_V2S2);
        CLEANUP(manifest_freep) struct manifest *m3 = parse_ok("", docker_manifest);
        assert_int_equal(m3->kind, MANIFEST_DOCKER_V2S2);
}

static void test_oci_manifest_extras_ignored(void **state) {
        (void) state;
        /* clang-format off */
        const char *doc = "{'schemaVersion': 2, 'mediaType': '" MT_OCI_MANIFEST "',"
                          " 'artifactType': 'application/vnd.example+type', 'config': " OCI_CONFIG ","
                          " 'layers': [{'mediaType': '" MT_OCI_LAYER_GZIP "', 'digest': '" DG_L1 "', 'size': 1,"
                          "   'urls': ['https://example.com/l1'], 'data': 'AA==', 'annotations': null}],"
                          " 'subject': " DESC(MT_OCI_MANIFEST, DG_M1, 100) ", 'annotations': null,"
                          " 'x-unknown': [1, {'a': true}]}";
        /* clang-format on */
        CLEANUP(manifest_freep) struct manifest *m = parse_ok(MT_OCI_MANIFEST, doc);
        assert_int_equal(m->n_layers, 1);
        assert_int_equal(m->layers[0].size, 1);
}

static void test_docker_v2s2(void **state) {
        (void) state;
        CLEANUP(manifest_freep) struct manifest *m = parse_ok(MT_DOCKER_V2S2, docker_manifest);
        assert_int_equal(m->kind, MANIFEST_DOCKER_V2S2);
        assert_string_equal(m->media_type, MT_DOCKER_V2S2);
        assert_string_equal(m->config.media_type, MT_DOCKER_CONFIG);
        assert_int_equal(m->config.size, 8589);
        assert_int_equal(m->n_layers, 3);
        for (size_t i = 0; i < 3; i++) {
                assert_string_equal(m->layers[i].media_type, MT_DOCKER_LAYER_GZIP);
                assert_int_equal(m->layers[i].compression, LAYER_COMPRESSION_GZIP);
        }
        assert_string_equal(m->layers[1].digest, DG_L2);
        assert_int_equal(m->layers[1].size, 41383917);
        CLEANUP(manifest_freep) struct manifest *m2 = parse_ok(NULL, docker_manifest);
        assert_int_equal(m2->kind, MANIFEST_DOCKER_V2S2);
}

static void test_docker_foreign_layers(void **state) {
        (void) state;
        /* A Windows image: the base layer is foreign and names where to fetch it. */
        /* clang-format off */
        const char *doc = "{'schemaVersion': 2, 'mediaType': '" MT_DOCKER_V2S2 "',"
                          " 'config': " DESC(MT_DOCKER_CONFIG, DG_CFG, 1024) ","
                          " 'layers': [{'mediaType': '" MT_DOCKER_LAYER_FOREIGN "', 'size': 1612317432,"
                          "   'digest': '" DG_L1 "', 'urls': ['https://mcr.microsoft.com/v2/windows/blobs/x']},"
                          "  " DESC(MT_DOCKER_LAYER_GZIP, DG_L2, 1253) "]}";
        /* clang-format on */
        CLEANUP(manifest_freep) struct manifest *m = parse_ok(MT_DOCKER_V2S2, doc);
        assert_int_equal(m->n_layers, 2);
        assert_string_equal(m->layers[0].media_type, MT_DOCKER_LAYER_FOREIGN);
        assert_int_equal(m->layers[0].compression, LAYER_COMPRESSION_GZIP);
        assert_int_equal(m->layers[0].size, 1612317432);
}

static void test_layer_compressions(void **state) {
        (void) state;
        /* clang-format off */
        const char *doc = OCI_WITH_LAYERS(
                DESC(MT_OCI_LAYER, DG_L1, 10240) "," DESC(MT_OCI_LAYER_ZSTD, DG_L2, 300) "," GZ_LAYER(DG_L3) ","
                DESC("application/vnd.oci.image.layer.nondistributable.v1.tar", DG_L1, 1) ","
                DESC("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", DG_L2, 2) ","
                DESC("application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", DG_L3, 3));
        /* clang-format on */
        CLEANUP(manifest_freep) struct manifest *m = parse_ok(NULL, doc);
        static const enum layer_compression want[] = {LAYER_COMPRESSION_NONE, LAYER_COMPRESSION_ZSTD,
                                                      LAYER_COMPRESSION_GZIP, LAYER_COMPRESSION_NONE,
                                                      LAYER_COMPRESSION_GZIP, LAYER_COMPRESSION_ZSTD};
        assert_int_equal(m->n_layers, 6);
        for (size_t i = 0; i < 6; i++)
                assert_int_equal(m->layers[i].compression, want[i]);
        assert_string_equal(m->layers[1].media_type, MT_OCI_LAYER_ZSTD);
}

static void test_docker_config_in_oci_manifest(void **state) {
        (void) state;
        /* clang-format off */
        const char *doc = "{'schemaVersion': 2, 'config': " DESC(MT_DOCKER_CONFIG, DG_CFG, 1) ","
                          " 'layers': [" DESC(MT_DOCKER_LAYER_GZIP, DG_L1, 2) "]}";
        /* clang-format on */
        CLEANUP(manifest_freep) struct manifest *m = parse_ok(MT_OCI_MANIFEST, doc);
        assert_string_equal(m->config.media_type, MT_DOCKER_CONFIG);
}

static void test_sha512_digests(void **state) {
        (void) state;
        CLEANUP(manifest_freep) struct manifest *m = parse_ok(NULL, OCI_WITH_LAYERS(GZ_LAYER(DG_512)));
        assert_string_equal(m->layers[0].digest, DG_512);
}

static void test_empty_layers_allowed(void **state) {
        (void) state;
        CLEANUP(manifest_freep) struct manifest *m = parse_ok(NULL, OCI_WITH_LAYERS(""));
        assert_int_equal(m->n_layers, 0);
}

static void test_null_members_are_unset(void **state) {
        (void) state;
        const char *doc = "{'schemaVersion': 2, 'mediaType': null, 'config': " OCI_CONFIG ", 'layers': [],"
                          " 'annotations': null}";
        CLEANUP(manifest_freep) struct manifest *m = parse_ok(NULL, doc);
        assert_int_equal(m->kind, MANIFEST_OCI);
        parse_fails(NULL, "{'schemaVersion': 2, 'config': null, 'layers': []}", "manifest: config is missing");
}

/* ---- detection errors ---- */

static void test_content_type_disagrees(void **state) {
        (void) state;
        parse_fails_exact(MT_DOCKER_V2S2, oci_manifest,
                          "manifest: Content-Type \"" MT_DOCKER_V2S2
                          "\" disagrees with the document's mediaType \"" MT_OCI_MANIFEST "\"");
        parse_fails(MT_OCI_MANIFEST, oci_index, "disagrees with the document's mediaType");
        parse_fails(MT_DOCKER_V2S1, docker_list, "disagrees");
}

static void test_unknown_content_type(void **state) {
        (void) state;
        parse_fails_exact("text/html; charset=utf-8", oci_manifest,
                          "manifest: unsupported manifest media type \"text/html; charset=utf-8\"");
        parse_fails("application/vnd.oci.artifact.manifest.v1+json", oci_manifest, "unsupported manifest media type");
}

static void test_unknown_document_media_type(void **state) {
        (void) state;
        parse_fails_exact(
                NULL,
                "{'schemaVersion': 2, 'mediaType': 'application/vnd.oci.artifact.manifest.v1+json',"
                " 'blobs': []}",
                "manifest: unsupported manifest media type \"application/vnd.oci.artifact.manifest.v1+json\"");
        parse_fails(NULL, "{'schemaVersion': 2, 'mediaType': 5, 'layers': []}", "manifest: mediaType is not a string");
}

static void test_undetectable(void **state) {
        (void) state;
        parse_fails_exact(NULL, "{'schemaVersion': 2}",
                          "manifest: cannot tell the manifest type: no mediaType, manifests, fsLayers or layers");
        parse_fails("application/json", "{}", "cannot tell the manifest type");
}

static void test_schema_version(void **state) {
        (void) state;
        parse_fails_exact(NULL, "{'schemaVersion': 1, 'config': " OCI_CONFIG ", 'layers': []}",
                          "manifest: schemaVersion 1 is not 2, as " MT_OCI_MANIFEST " requires");
        parse_fails(NULL, "{'config': " OCI_CONFIG ", 'layers': []}", "manifest: schemaVersion is missing");
        parse_fails(NULL, "{'schemaVersion': '2', 'config': " OCI_CONFIG ", 'layers': []}",
                    "schemaVersion is not an integer");
        parse_fails(NULL, "{'schemaVersion': 2.0, 'config': " OCI_CONFIG ", 'layers': []}",
                    "schemaVersion is not an integer");
        parse_fails(MT_DOCKER_V2S1, docker_manifest, "disagrees");
}

static void test_bad_json(void **state) {
        (void) state;
        static const char trunc[] = "{\"schemaVersion\": 2, \"layers\": [";
        check_fails(NULL, trunc, strlen(trunc), "manifest: invalid JSON: unexpected end of input", true);
        check_fails(NULL, "", 0, "manifest: invalid JSON: unexpected end of input", true);
        check_fails(NULL, NULL, 0, "invalid JSON", false);
        check_fails(NULL, "[1, 2]", 6, "manifest: the document is not a JSON object", true);
        check_fails(NULL, "null", 4, "not a JSON object", false);
        check_fails(NULL, "{} {}", 5, "manifest: invalid JSON at byte 3", false);
        check_fails(NULL, "{\"a\": 1,}", 9, "invalid JSON at byte", false);
        static const char nul[] = "{\"schemaVersion\": 2}\0{\"x\": 1}";
        check_fails(NULL, nul, sizeof(nul) - 1, "manifest: invalid JSON at byte 20: NUL byte", true);
        static const char bad_utf8[] = "{\"mediaType\": \"\xff\xfe\"}";
        check_fails(NULL, bad_utf8, sizeof(bad_utf8) - 1, "invalid utf-8", false);
        /* Bounded by len: the bytes past it are not read. */
        AUTOFREE char *doc = unquote(oci_manifest);
        check_fails(NULL, doc, 10, "manifest: invalid JSON: unexpected end of input", true);
}

static void test_deep_nesting_rejected(void **state) {
        (void) state;
        char doc[2 * 200 + 64];
        size_t n = (size_t) sprintf(doc, "{\"schemaVersion\": 2, \"x\": ");
        for (int i = 0; i < 200; i++)
                doc[n++] = '[';
        for (int i = 0; i < 200; i++)
                doc[n++] = ']';
        doc[n++] = '}';
        check_fails(NULL, doc, n, "invalid JSON at byte", false);
}

/* ---- descriptor validation ---- */

static void test_bad_digests(void **state) {
        (void) state;
        parse_fails_exact(NULL, OCI_WITH_LAYERS(GZ_LAYER(DG_L1) "," GZ_LAYER(DG_L2) "," GZ_LAYER("sha256:xyz")),
                          "manifest: layers[2].digest \"sha256:xyz\" is not a valid digest");
        static const char *const bad[] = {
                /* uppercase hex */
                "'sha256:DFFE8596427FC50E8F64654A609AF134D45552F18BBECEF90B31135A9E7ACAA0'",
                /* 63 and 65 hex digits */
                "'sha256:dffe8596427fc50e8f64654a609af134d45552f18bbecef90b31135a9e7acaa'",
                "'sha256:dffe8596427fc50e8f64654a609af134d45552f18bbecef90b31135a9e7acaa00'",
                "'md5:d41d8cd98f00b204e9800998ecf8427e'",
                "'dffe8596427fc50e8f64654a609af134d45552f18bbecef90b31135a9e7acaa0'",
                "'sha512:dffe8596427fc50e8f64654a609af134d45552f18bbecef90b31135a9e7acaa0'",
                "''",
                "'sha256:dffe8596427fc50e8f64654a609af134d45552f18bbecef90b31135a9e7acaa0 '",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                AUTOFREE char *doc = xasprintf("{'schemaVersion': 2, 'config': {'mediaType': '" MT_OCI_CONFIG
                                               "', 'size': 1, 'digest': %s}, 'layers': []}",
                                               bad[i]);
                parse_fails(NULL, doc, "manifest: config.digest");
        }
        parse_fails(NULL, OCI_WITH_LAYERS("{'mediaType': '" MT_OCI_LAYER "', 'size': 1, 'digest': 7}"),
                    "manifest: layers[0].digest is not a string");
        parse_fails(NULL, OCI_WITH_LAYERS("{'mediaType': '" MT_OCI_LAYER "', 'size': 1}"),
                    "manifest: layers[0].digest is missing");
}

static void test_digest_with_nul_rejected(void **state) {
        (void) state;
        parse_fails(NULL, OCI_WITH_LAYERS(GZ_LAYER(DG_L1 "\\u0000junk")), "layers[0].digest contains a NUL character");
}

static void test_bad_sizes(void **state) {
        (void) state;
        parse_fails_exact(NULL, OCI_WITH_LAYERS(DESC(MT_OCI_LAYER, DG_L1, -1)),
                          "manifest: layers[0].size -1 is negative");
        parse_fails(NULL, OCI_WITH_LAYERS(DESC(MT_OCI_LAYER, DG_L1, 1.5)), "layers[0].size is not an integer");
        parse_fails(NULL, OCI_WITH_LAYERS(DESC(MT_OCI_LAYER, DG_L1, '12')), "layers[0].size is not an integer");
        parse_fails(NULL, OCI_WITH_LAYERS(DESC(MT_OCI_LAYER, DG_L1, 18446744073709551615)),
                    "layers[0].size is too large");
        parse_fails(NULL, OCI_WITH_LAYERS(DESC(MT_OCI_LAYER, DG_L1, -99999999999999999999)), "is negative");
        parse_fails(NULL, OCI_WITH_LAYERS("{'mediaType': '" MT_OCI_LAYER "', 'digest': '" DG_L1 "'}"),
                    "layers[0].size is missing");
        CLEANUP(manifest_freep)
        struct manifest *m = parse_ok(NULL, OCI_WITH_LAYERS(DESC(MT_OCI_LAYER, DG_L1, 9223372036854775807)));
        assert_true(m->layers[0].size == INT64_MAX);
}

static void test_unsupported_layer_types(void **state) {
        (void) state;
        parse_fails_exact(NULL, OCI_WITH_LAYERS(GZ_LAYER(DG_L1) "," DESC(MT_OCI_LAYER_GZIP "+encrypted", DG_L2, 5)),
                          "manifest: layers[1].mediaType \"" MT_OCI_LAYER_GZIP
                          "+encrypted\": encrypted layers are not supported");
        parse_fails_exact(NULL, OCI_WITH_LAYERS(DESC("application/vnd.docker.image.rootfs.diff.tar", DG_L1, 5)),
                          "manifest: layers[0].mediaType \"application/vnd.docker.image.rootfs.diff.tar\" is not a "
                          "supported layer type");
        parse_fails(NULL, OCI_WITH_LAYERS(DESC("application/vnd.in-toto+json", DG_L1, 5)),
                    "\"application/vnd.in-toto+json\" is not a supported layer type");
        parse_fails(NULL, OCI_WITH_LAYERS(DESC("", DG_L1, 5)), "layers[0].mediaType is empty");
        parse_fails(NULL, OCI_WITH_LAYERS("{'digest': '" DG_L1 "', 'size': 5}"), "layers[0].mediaType is missing");
}

static void test_artifact_config_rejected(void **state) {
        (void) state;
        /* A Helm chart: the config type says what it is before any layer is looked at. */
        /* clang-format off */
        parse_fails_exact(MT_OCI_MANIFEST,
                          "{'schemaVersion': 2,"
                          " 'config': " DESC("application/vnd.cncf.helm.config.v1+json", DG_CFG, 117) ","
                          " 'layers': [" DESC("application/vnd.cncf.helm.chart.content.v1.tar+gzip", DG_L1, 2487) "]}",
                          "manifest: not a container image (config media type "
                          "\"application/vnd.cncf.helm.config.v1+json\")");
        parse_fails(NULL,
                    "{'schemaVersion': 2, 'mediaType': '" MT_OCI_MANIFEST "', 'artifactType': 'application/x',"
                    " 'config': {'mediaType': 'application/vnd.oci.empty.v1+json', 'size': 2, 'digest':"
                    "  'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a'},"
                    " 'layers': []}",
                    "not a container image (config media type \"application/vnd.oci.empty.v1+json\")");
        /* clang-format on */
}

static void test_structure_errors(void **state) {
        (void) state;
        parse_fails(MT_OCI_MANIFEST, "{'schemaVersion': 2, 'layers': []}", "manifest: config is missing");
        parse_fails(MT_OCI_MANIFEST, "{'schemaVersion': 2, 'config': " OCI_CONFIG "}", "manifest: layers is missing");
        parse_fails(NULL, "{'schemaVersion': 2, 'config': " OCI_CONFIG ", 'layers': {}}", "layers is not an array");
        parse_fails(NULL, "{'schemaVersion': 2, 'config': [], 'layers': []}", "config is not an object");
        parse_fails(NULL, OCI_WITH_LAYERS(GZ_LAYER(DG_L1) ", 'x'"), "manifest: layers[1] is not an object");
        parse_fails(NULL, OCI_WITH_LAYERS("null"), "manifest: layers[0] is not an object");
        /* A Content-Type naming a manifest over an index document. */
        parse_fails(MT_OCI_MANIFEST, "{'schemaVersion': 2, 'manifests': []}", "manifest: config is missing");
}

static char *many(const char *head, const char *item, size_t n, const char *tail) {
        size_t item_len = strlen(item), len = strlen(head);
        char *s = xmalloc(len + n * (item_len + 1) + strlen(tail) + 1);
        memcpy(s, head, len);
        for (size_t i = 0; i < n; i++) {
                if (i)
                        s[len++] = ',';
                memcpy(s + len, item, item_len);
                len += item_len;
        }
        strcpy(s + len, tail);
        return s;
}

static void test_layer_limit(void **state) {
        (void) state;
        const char *head = "{'schemaVersion': 2, 'config': " OCI_CONFIG ", 'layers': [";
        AUTOFREE char *ok = many(head, GZ_LAYER(DG_L1), 1000, "]}");
        CLEANUP(manifest_freep) struct manifest *m = parse_ok(NULL, ok);
        assert_int_equal(m->n_layers, 1000);
        AUTOFREE char *bad = many(head, GZ_LAYER(DG_L1), 1001, "]}");
        parse_fails_exact(NULL, bad, "manifest: too many layers (1001, at most 1000)");
}

static void test_index_limit(void **state) {
        (void) state;
        const char *head = "{'schemaVersion': 2, 'manifests': [";
        AUTOFREE char *ok = many(head, ENTRY(MT_OCI_MANIFEST, DG_M1, "linux", "amd64", ""), 1000, "]}");
        CLEANUP(manifest_freep) struct manifest *m = parse_ok(NULL, ok);
        assert_int_equal(m->n_manifests, 1000);
        AUTOFREE char *bad = many(head, ENTRY(MT_OCI_MANIFEST, DG_M1, "linux", "amd64", ""), 1001, "]}");
        parse_fails_exact(NULL, bad, "manifest: too many manifests (1001, at most 1000)");
}

static void test_long_values_cut_in_messages(void **state) {
        (void) state;
        char long_type[400];
        memset(long_type, 'a', sizeof(long_type) - 1);
        long_type[sizeof(long_type) - 1] = '\0';
        AUTOFREE char *doc =
                xasprintf(OCI_WITH_LAYERS("{'mediaType': '%s\\n', 'digest': '" DG_L1 "', 'size': 1}"), long_type);
        AUTOFREE char *want =
                xasprintf("manifest: layers[0].mediaType \"%.100s\"... is not a supported layer type", long_type);
        parse_fails_exact(NULL, doc, want);
        parse_fails(NULL, OCI_WITH_LAYERS(DESC("x\\u0001y", DG_L1, 1)), "\"x\\u0001y\" is not a supported");
}

/* ---- indexes ---- */

static void test_oci_index(void **state) {
        (void) state;
        CLEANUP(manifest_freep) struct manifest *m = parse_ok(MT_OCI_INDEX, oci_index);
        assert_int_equal(m->kind, MANIFEST_OCI_INDEX);
        assert_string_equal(m->media_type, MT_OCI_INDEX);
        assert_int_equal(m->n_manifests, 5);
        assert_int_equal(m->n_layers, 0);
        assert_null(m->config.digest);
        const struct descriptor *d = &m->manifests[2];
        assert_string_equal(d->media_type, MT_OCI_MANIFEST);
        assert_string_equal(d->digest, DG_M3);
        assert_int_equal(d->size, 610);
        assert_string_equal(d->platform.os, "linux");
        assert_string_equal(d->platform.architecture, "arm");
        assert_string_equal(d->platform.variant, "v7");
        assert_null(m->manifests[0].platform.variant);
        assert_string_equal(m->manifests[4].platform.os, "unknown");
}

static void test_docker_manifest_list(void **state) {
        (void) state;
        CLEANUP(manifest_freep) struct manifest *m = parse_ok(MT_DOCKER_LIST, docker_list);
        assert_int_equal(m->kind, MANIFEST_DOCKER_LIST);
        assert_string_equal(m->media_type, MT_DOCKER_LIST);
        assert_int_equal(m->n_manifests, 4);
        assert_string_equal(m->manifests[3].platform.os, "windows");
        assert_string_equal(m->manifests[1].media_type, MT_DOCKER_V2S2);
        CLEANUP(manifest_freep) struct manifest *m2 = parse_ok(NULL, docker_list);
        assert_int_equal(m2->kind, MANIFEST_DOCKER_LIST);
}

static void test_index_detected_by_structure(void **state) {
        (void) state;
        const char *doc =
                "{'schemaVersion': 2, 'manifests': [" ENTRY(MT_OCI_MANIFEST, DG_M1, "linux", "amd64", "") ", " DESC(
                        "application/vnd.example.sbom+json", DG_M2, 99) "]}";
        CLEANUP(manifest_freep) struct manifest *m = parse_ok("application/octet-stream", doc);
        assert_int_equal(m->kind, MANIFEST_OCI_INDEX);
        assert_int_equal(m->n_manifests, 2);
        /* Unknown entry types are kept (the spec forbids failing on them) without platform. */
        assert_string_equal(m->manifests[1].media_type, "application/vnd.example.sbom+json");
        assert_null(m->manifests[1].platform.os);
        CLEANUP(manifest_freep) struct manifest *empty = parse_ok(NULL, "{'schemaVersion': 2, 'manifests': []}");
        assert_int_equal(empty->n_manifests, 0);
}

static void test_index_errors(void **state) {
        (void) state;
        parse_fails_exact(NULL,
                          "{'schemaVersion': 2, 'manifests': [{'mediaType': '" MT_OCI_MANIFEST "', 'digest': '" DG_M1
                          "', 'size': 5, 'platform': {'architecture': 'amd64'}}]}",
                          "manifest: manifests[0].platform.os is missing");
        parse_fails(NULL,
                    "{'schemaVersion': 2, 'manifests': [" ENTRY(MT_OCI_MANIFEST, DG_M1, "linux", "amd64", "") "," ENTRY(
                            MT_OCI_MANIFEST, "sha256:1234", "linux", "arm64", "") "]}",
                    "manifest: manifests[1].digest \"sha256:1234\" is not a valid digest");
        parse_fails(NULL, "{'schemaVersion': 2, 'manifests': [" DESC(MT_OCI_MANIFEST, DG_M1, -5) "]}",
                    "manifests[0].size -5 is negative");
        parse_fails(NULL, "{'schemaVersion': 2, 'manifests': {}}", "manifests is not an array");
        parse_fails(MT_OCI_INDEX, "{'schemaVersion': 2}", "manifest: manifests is missing");
        parse_fails(NULL,
                    "{'schemaVersion': 2, 'manifests': [{'mediaType': '" MT_OCI_MANIFEST "', 'digest': '" DG_M1
                    "', 'size': 5, 'platform': {'os': 'linux', 'architecture': 'arm', 'variant': 7}}]}",
                    "manifests[0].platform.variant is not a string");
        parse_fails(NULL, "{'schemaVersion': 3, 'manifests': []}", "schemaVersion 3 is not 2");
}

/* ---- schema 1 ---- */

struct v1_layer {
        const char *blob_sum;
        const char *compat; /* v1Compatibility, with ' for " */
};

/* Builds a schema 1 manifest; layers newest first, as the format has them. */
static char *v1_doc(const struct v1_layer *layers, size_t n, bool is_signed) {
        AUTOFREE char *fs = xstrdup(""), *hist = xstrdup("");
        for (size_t i = 0; i < n; i++) {
                AUTOFREE char *compat = unquote(layers[i].compat);
                AUTOFREE char *q = json_quote(compat);
                char *f = xasprintf("%s%s{\"blobSum\": \"%s\"}", fs, i ? ", " : "", layers[i].blob_sum);
                char *h = xasprintf("%s%s{\"v1Compatibility\": %s}", hist, i ? ", " : "", q);
                free(fs);
                free(hist);
                fs = f;
                hist = h;
        }
        const char *sig = is_signed ? ", \"signatures\": [{\"header\": {\"jwk\": {\"crv\": \"P-256\", \"kid\": "
                                      "\"OD6I:6DRK:JXEJ:KBM4:255X:NSAA:MUSF:E4VM:ZI6W:CUN2:L4Z6:LSF4\", \"kty\": "
                                      "\"EC\", \"x\": \"3gAwX48IQ5oaYQAYSxor6rYYc_6yjuLCjtQ9LUakg4A\", \"y\": "
                                      "\"t72ge6kIA1XOjqjVoEOiPPAURltJFBMGDSQvEGVB010\"}, \"alg\": \"ES256\"}, "
                                      "\"signature\": \"XREm0L8WNn27Ga_iE_vRnTxVMhhYY0Zst_FfkKopg6gWSoTOZTuW4rK0fg_"
                                      "IqnKkEKlbD83tD46LKEGi5aIVFg\", \"protected\": \"eyJmb3JtYXRMZW5ndGgiOjY2"
                                      "MjgsImZvcm1hdFRhaWwiOiJDbjAiLCJ0aW1lIjoiMjAxNS0wNC0wOFQxODo1Mjo1OVoifQ\"}]"
                                    : "";
        return xasprintf("{\"schemaVersion\": 1, \"name\": \"library/busybox\", \"tag\": \"1.21\", "
                         "\"architecture\": \"amd64\", \"fsLayers\": [%s], \"history\": [%s]%s}",
                         fs, hist, sig);
}

/* busybox:1.21 as a v1 image: an ADD layer, then a CMD with no content (throwaway). */
static const struct v1_layer busybox_v1[] = {
        {DG_L3, "{'architecture': 'amd64', 'config': {'Hostname': '', 'User': 'nobody', 'Env': "
                "['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], 'Cmd': ['sh'], 'WorkingDir': '/srv', 'Entrypoint': null},"
                " 'container_config': {'Cmd': ['/bin/sh', '-c', '#(nop) ', 'CMD [sh]']},"
                " 'created': '2015-04-08T18:52:55Z', 'docker_version': '1.6.0', 'id': 'c3', 'parent': 'b2',"
                " 'os': 'linux', 'Size': 0, 'throwaway': true}"},
        {DG_L2, "{'id': 'b2', 'parent': 'a1', 'created': '2015-04-08T18:52:50Z', 'author': 'Jérôme',"
                " 'container_config': {'Cmd': ['/bin/sh', '-c', '#(nop) ADD file:8cf517d90fe79547c in /']},"
                " 'Size': 2433303}"},
        {DG_L1, "{'id': 'a1', 'created': '2015-04-08T18:52:40Z', 'comment': 'Imported from -',"
                " 'container_config': {'Cmd': null}, 'Size': 0}"},
};

static struct manifest *parse_v1(const char *content_type, const struct v1_layer *l, size_t n, bool is_signed) {
        AUTOFREE char *doc = v1_doc(l, n, is_signed);
        return parse_ok(content_type, doc);
}

static struct json_object *parse_json(const char *s) {
        struct json_object *o = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (json_parse_strict(s, strlen(s), "test", &o, &err) < 0)
                fail_msg("%s: %s", err->msg, s);
        return o;
}

static void test_schema1_unsigned(void **state) {
        (void) state;
        CLEANUP(manifest_freep) struct manifest *m = parse_v1(MT_DOCKER_V2S1, busybox_v1, 3, false);
        assert_int_equal(m->kind, MANIFEST_DOCKER_V2S1);
        assert_string_equal(m->media_type, MT_DOCKER_V2S1);
        assert_string_equal(m->name, "library/busybox");
        assert_string_equal(m->tag, "1.21");
        /* Base first; the throwaway CMD layer is gone. */
        assert_int_equal(m->n_layers, 2);
        assert_string_equal(m->layers[0].digest, DG_L1);
        assert_string_equal(m->layers[1].digest, DG_L2);
        for (size_t i = 0; i < 2; i++) {
                assert_string_equal(m->layers[i].media_type, MT_DOCKER_LAYER_GZIP);
                assert_int_equal(m->layers[i].size, -1);
                assert_int_equal(m->layers[i].compression, LAYER_COMPRESSION_GZIP);
        }
        assert_string_equal(m->config.media_type, MT_DOCKER_CONFIG);
        assert_null(m->config.digest);
        assert_int_equal(m->config.size, -1);
        assert_non_null(m->v1_config_json);
}

static void test_schema1_signed(void **state) {
        (void) state;
        CLEANUP(manifest_freep) struct manifest *m = parse_v1(MT_DOCKER_V2S1_SIGNED, busybox_v1, 3, true);
        assert_int_equal(m->kind, MANIFEST_DOCKER_V2S1);
        assert_string_equal(m->media_type, MT_DOCKER_V2S1_SIGNED);
        assert_int_equal(m->n_layers, 2);
        /* The schema 1 spec allows application/json; the shape tells, signatures or not. */
        CLEANUP(manifest_freep) struct manifest *m2 = parse_v1("application/json", busybox_v1, 3, true);
        assert_string_equal(m2->media_type, MT_DOCKER_V2S1_SIGNED);
        CLEANUP(manifest_freep) struct manifest *m3 = parse_v1(NULL, busybox_v1, 3, false);
        assert_string_equal(m3->media_type, MT_DOCKER_V2S1);
}

static void test_schema1_config(void **state) {
        (void) state;
        CLEANUP(manifest_freep) struct manifest *m = parse_v1(MT_DOCKER_V2S1_SIGNED, busybox_v1, 3, true);
        AUTOJSON struct json_object *cfg = parse_json(m->v1_config_json);
        static const char *const gone[] = {"id", "parent", "Size", "parent_id", "layer_id", "throwaway", "rootfs"};
        for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
                assert_false(json_object_object_get_ex(cfg, gone[i], NULL));
        struct json_object *v, *h;
        assert_true(json_object_object_get_ex(cfg, "created", &v));
        assert_string_equal(json_object_get_string(v), "2015-04-08T18:52:55Z");
        assert_true(json_object_object_get_ex(cfg, "docker_version", &v));
        assert_true(json_object_object_get_ex(cfg, "history", &h));
        assert_int_equal(json_object_array_length(h), 3);
        assert_string_equal(json_object_to_json_string_ext(json_object_array_get_idx(h, 0), JSON_C_TO_STRING_PLAIN),
                            "{\"created\":\"2015-04-08T18:52:40Z\",\"comment\":\"Imported from -\"}");
        assert_string_equal(json_object_to_json_string_ext(json_object_array_get_idx(h, 1),
                                                           JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
                            "{\"created\":\"2015-04-08T18:52:50Z\",\"author\":\"Jérôme\",\"created_by\":"
                            "\"/bin/sh -c #(nop) ADD file:8cf517d90fe79547c in /\"}");
        assert_string_equal(json_object_to_json_string_ext(json_object_array_get_idx(h, 2),
                                                           JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
                            "{\"created\":\"2015-04-08T18:52:55Z\",\"created_by\":\"/bin/sh -c #(nop)  CMD [sh]\","
                            "\"empty_layer\":true}");
}

static void test_schema1_config_feeds_image_config(void **state) {
        (void) state;
        CLEANUP(manifest_freep) struct manifest *m = parse_v1(NULL, busybox_v1, 3, false);
        char *ids[] = {DG_L1, DG_L2};
        AUTOFREE char *full = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(image_config_set_diff_ids(m->v1_config_json, ids, 2, &full, &err), 0);
        CLEANUP(image_config_freep) struct image_config *c = NULL;
        assert_int_equal(image_config_parse(full, strlen(full), &c, &err), 0);
        assert_string_equal(c->user, "nobody");
        assert_string_equal(c->working_dir, "/srv");
        assert_string_equal(c->cmd[0], "sh");
        assert_null(c->entrypoint);
        assert_string_equal(c->os, "linux");
        assert_int_equal(c->n_diff_ids, 2);
        assert_string_equal(c->diff_ids[1], DG_L2);
}

static void test_schema1_order_and_throwaway(void **state) {
        (void) state;
        /* Newest first: L3 (throwaway), L2, M1 (throwaway), L1; duplicates are kept. */
        const struct v1_layer l[] = {
                {DG_L3, "{'id': '4', 'throwaway': true}"},
                {DG_L2, "{'id': '3', 'throwaway': false}"},
                {DG_M1, "{'id': '2', 'throwaway': true}"},
                {DG_L1, "{'id': '1'}"},
                {DG_L1, "{'id': '0'}"},
        };
        CLEANUP(manifest_freep) struct manifest *m = parse_v1(NULL, l, 5, false);
        assert_int_equal(m->n_layers, 3);
        assert_string_equal(m->layers[0].digest, DG_L1);
        assert_string_equal(m->layers[1].digest, DG_L1);
        assert_string_equal(m->layers[2].digest, DG_L2);
        assert_string_equal(m->v1_config_json,
                            "{\"history\":[{},{},{\"empty_layer\":true},{},{\"empty_layer\":true}]}");
        const struct v1_layer all_empty[] = {{DG_L1, "{'throwaway': true}"}};
        CLEANUP(manifest_freep) struct manifest *m2 = parse_v1(NULL, all_empty, 1, false);
        assert_int_equal(m2->n_layers, 0);
}

static void test_schema1_errors(void **state) {
        (void) state;
        const struct v1_layer bad_sum[] = {{DG_L1, "{}"}, {"sha256:nope", "{}"}};
        AUTOFREE char *d1 = v1_doc(bad_sum, 2, false);
        parse_fails_exact(NULL, d1, "manifest: fsLayers[1].blobSum \"sha256:nope\" is not a valid digest");
        const struct v1_layer bad_compat[] = {{DG_L1, "{'id': "}};
        AUTOFREE char *d2 = v1_doc(bad_compat, 1, false);
        parse_fails_exact(NULL, d2, "manifest: history[0].v1Compatibility: invalid JSON: unexpected end of input");
        const struct v1_layer bad_throwaway[] = {{DG_L1, "{}"}, {DG_L2, "{'throwaway': 'yes'}"}};
        AUTOFREE char *d3 = v1_doc(bad_throwaway, 2, false);
        parse_fails(NULL, d3, "history[1].v1Compatibility: throwaway is not a boolean");
        const struct v1_layer bad_cmd[] = {{DG_L1, "{'container_config': {'Cmd': 'sh'}}"}};
        AUTOFREE char *d4 = v1_doc(bad_cmd, 1, false);
        parse_fails(NULL, d4, "history[0].v1Compatibility: container_config.Cmd is not an array");
        const struct v1_layer not_object[] = {{DG_L1, "[]"}};
        AUTOFREE char *d5 = v1_doc(not_object, 1, false);
        parse_fails(NULL, d5, "history[0].v1Compatibility: the document is not a JSON object");
        parse_fails_exact(MT_DOCKER_V2S1,
                          "{'schemaVersion': 1, 'fsLayers': [{'blobSum': '" DG_L1 "'}, {'blobSum': '" DG_L2 "'}],"
                          " 'history': [{'v1Compatibility': '{}'}]}",
                          "manifest: fsLayers has 2 entries but history has 1");
        parse_fails(NULL, "{'schemaVersion': 1, 'fsLayers': [], 'history': []}", "manifest: fsLayers is empty");
        parse_fails(MT_DOCKER_V2S1, "{'schemaVersion': 1, 'fsLayers': [{'blobSum': '" DG_L1 "'}]}",
                    "manifest: history is missing");
        parse_fails(NULL,
                    "{'schemaVersion': 1, 'fsLayers': [{'blobSum': '" DG_L1 "'}], 'history': [{'v1Compatibility': "
                    "'{}'}], 'signatures': {}}",
                    "manifest: signatures is not an array");
        parse_fails(NULL, "{'schemaVersion': 2, 'fsLayers': [], 'history': []}", "schemaVersion 2 is not 1");
        parse_fails(NULL, "{'schemaVersion': 1, 'fsLayers': ['x'], 'history': [{'v1Compatibility': '{}'}]}",
                    "fsLayers[0] is not an object");
}

static void test_schema1_layer_limit(void **state) {
        (void) state;
        AUTOFREE char *fs = many("", "{'blobSum': '" DG_L1 "'}", 1001, "");
        AUTOFREE char *hist = many("", "{'v1Compatibility': '{}'}", 1001, "");
        AUTOFREE char *doc = xasprintf("{'schemaVersion': 1, 'fsLayers': [%s], 'history': [%s]}", fs, hist);
        parse_fails_exact(NULL, doc, "manifest: too many layers (1001, at most 1000)");
}

/* ---- platform selection ---- */

static const struct descriptor *select_ok(const struct manifest *m, const char *os, const char *arch,
                                          const char *variant) {
        const struct descriptor *d = NULL;
        struct cric_error *err = NULL;
        if (manifest_select_platform(m, os, arch, variant, &d, &err) < 0)
                fail_msg("manifest_select_platform: %s", err->msg);
        assert_non_null(d);
        return d;
}

static void test_select_platform(void **state) {
        (void) state;
        CLEANUP(manifest_freep) struct manifest *m = parse_ok(NULL, oci_index);
        assert_string_equal(select_ok(m, "linux", "amd64", NULL)->digest, DG_M1);
        assert_string_equal(select_ok(m, "linux", "amd64", "")->digest, DG_M1);
        assert_string_equal(select_ok(m, "linux", "arm", "v6")->digest, DG_M2);
        assert_string_equal(select_ok(m, "linux", "arm", "v7")->digest, DG_M3);
        /* No variant asked: arm's usual one, v7, beats the v6 listed first. */
        assert_string_equal(select_ok(m, "linux", "arm", NULL)->digest, DG_M3);
        assert_string_equal(select_ok(m, "linux", "arm64", NULL)->digest, DG_M4);
        assert_string_equal(select_ok(m, "linux", "arm64", "v8")->digest, DG_M4);
}

static void test_select_platform_variants(void **state) {
        (void) state;
        /* clang-format off */
        const char *doc = "{'schemaVersion': 2, 'manifests': ["
                ENTRY(MT_OCI_MANIFEST, DG_M1, "linux", "arm64", ", 'variant': 'v9'") ","
                ENTRY(MT_OCI_MANIFEST, DG_M2, "linux", "arm64", "") ","
                ENTRY(MT_OCI_MANIFEST, DG_M3, "linux", "arm", ", 'variant': 'v5'") ","
                ENTRY(MT_OCI_MANIFEST, DG_M4, "linux", "riscv64", ", 'variant': 'rva22'") "]}";
        /* clang-format on */
        CLEANUP(manifest_freep) struct manifest *m = parse_ok(NULL, doc);
        /* arm64 without a variant means v8, so it is preferred to v9 and answers for v8. */
        assert_string_equal(select_ok(m, "linux", "arm64", NULL)->digest, DG_M2);
        assert_string_equal(select_ok(m, "linux", "arm64", "v8")->digest, DG_M2);
        assert_string_equal(select_ok(m, "linux", "arm64", "v9")->digest, DG_M1);
        /* Nothing preferred: the first match. */
        assert_string_equal(select_ok(m, "linux", "arm", NULL)->digest, DG_M3);
        assert_string_equal(select_ok(m, "linux", "riscv64", NULL)->digest, DG_M4);
        const struct descriptor *d = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        /* An asked variant is exact otherwise. */
        assert_int_equal(manifest_select_platform(m, "linux", "arm", "v7", &d, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        assert_null(d);
}

static void test_select_platform_not_found(void **state) {
        (void) state;
        CLEANUP(manifest_freep) struct manifest *m = parse_ok(NULL, oci_index);
        const struct descriptor *d = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(manifest_select_platform(m, "linux", "s390x", NULL, &d, &err), -1);
        assert_null(d);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        assert_string_equal(err->msg, "no image for linux/s390x in the image index (it has linux/amd64, linux/arm/v6, "
                                      "linux/arm/v7, linux/arm64/v8)");
        CLEANUP(manifest_freep) struct manifest *list = parse_ok(NULL, docker_list);
        CLEANUP(cric_error_freep) struct cric_error *err2 = NULL;
        assert_int_equal(manifest_select_platform(list, "windows", "arm64", "v8", &d, &err2), -1);
        assert_string_equal(err2->msg, "no image for windows/arm64/v8 in the image index (it has linux/amd64, "
                                       "linux/arm64, linux/ppc64le, windows/amd64)");
        CLEANUP(manifest_freep) struct manifest *empty = parse_ok(NULL, "{'schemaVersion': 2, 'manifests': []}");
        CLEANUP(cric_error_freep) struct cric_error *err3 = NULL;
        assert_int_equal(manifest_select_platform(empty, "linux", "amd64", NULL, &d, &err3), -1);
        assert_string_equal(err3->msg,
                            "no image for linux/amd64 in the image index (it has no image manifests for any platform)");
}

static void test_select_platform_skips_non_images(void **state) {
        (void) state;
        /* clang-format off */
        const char *doc = "{'schemaVersion': 2, 'manifests': ["
                ENTRY("application/vnd.example.sbom+json", DG_M1, "linux", "amd64", "") ","
                ENTRY(MT_OCI_INDEX, DG_M2, "linux", "amd64", "") ","
                ENTRY(MT_OCI_MANIFEST, DG_M3, "windows", "amd64", "") ","
                DESC(MT_OCI_MANIFEST, DG_M4, 1) ","
                ENTRY(MT_DOCKER_V2S2, DG_M5, "linux", "amd64", "") "]}";
        /* clang-format on */
        CLEANUP(manifest_freep) struct manifest *m = parse_ok(NULL, doc);
        assert_string_equal(select_ok(m, "linux", "amd64", NULL)->digest, DG_M5);
        assert_string_equal(select_ok(m, "windows", "amd64", NULL)->digest, DG_M3);
}

static void test_select_platform_invalid(void **state) {
        (void) state;
        CLEANUP(manifest_freep) struct manifest *m = parse_ok(NULL, oci_manifest);
        const struct descriptor *d = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(manifest_select_platform(m, "linux", "amd64", NULL, &d, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_string_equal(err->msg, "select platform: the manifest is not an image index");
        CLEANUP(manifest_freep) struct manifest *idx = parse_ok(NULL, oci_index);
        CLEANUP(cric_error_freep) struct cric_error *err2 = NULL;
        assert_int_equal(manifest_select_platform(idx, NULL, "amd64", NULL, &d, &err2), -1);
        assert_int_equal(err2->kind, CRIC_E_INVALID);
        assert_null(d);
}

static void test_platform_host(void **state) {
        (void) state;
        const char *os = NULL, *arch = NULL, *variant = "unset";
        platform_host(&os, &arch, &variant);
        assert_string_equal(os, "linux");
        assert_non_null(arch);
#if defined(__x86_64__)
        assert_string_equal(arch, "amd64");
        assert_null(variant);
#elif defined(__aarch64__)
        assert_string_equal(arch, "arm64");
        assert_null(variant);
#endif
        const char *arch2 = NULL;
        platform_host(NULL, &arch2, NULL);
        assert_ptr_equal(arch, arch2);
}

static void test_accept_types(void **state) {
        (void) state;
        size_t n = 0;
        while (manifest_accept_types[n])
                n++;
        assert_int_equal(n, 6);
        assert_string_equal(manifest_accept_types[0], MT_OCI_INDEX);
        /* Each accepted type is one manifest_parse takes as a Content-Type. */
        for (size_t i = 0; i < n; i++) {
                struct manifest *m = NULL;
                CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                assert_int_equal(manifest_parse(manifest_accept_types[i], "{}", 2, &m, &err), -1);
                assert_null(strstr(err->msg, "unsupported manifest media type"));
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_oci_manifest),
                cmocka_unit_test(test_oci_manifest_detected_by_media_type),
                cmocka_unit_test(test_oci_manifest_detected_by_structure),
                cmocka_unit_test(test_content_type_decides_without_media_type),
                cmocka_unit_test(test_content_type_parameters_and_case),
                cmocka_unit_test(test_oci_manifest_extras_ignored),
                cmocka_unit_test(test_docker_v2s2),
                cmocka_unit_test(test_docker_foreign_layers),
                cmocka_unit_test(test_layer_compressions),
                cmocka_unit_test(test_docker_config_in_oci_manifest),
                cmocka_unit_test(test_sha512_digests),
                cmocka_unit_test(test_empty_layers_allowed),
                cmocka_unit_test(test_null_members_are_unset),
                cmocka_unit_test(test_content_type_disagrees),
                cmocka_unit_test(test_unknown_content_type),
                cmocka_unit_test(test_unknown_document_media_type),
                cmocka_unit_test(test_undetectable),
                cmocka_unit_test(test_schema_version),
                cmocka_unit_test(test_bad_json),
                cmocka_unit_test(test_deep_nesting_rejected),
                cmocka_unit_test(test_bad_digests),
                cmocka_unit_test(test_digest_with_nul_rejected),
                cmocka_unit_test(test_bad_sizes),
                cmocka_unit_test(test_unsupported_layer_types),
                cmocka_unit_test(test_artifact_config_rejected),
                cmocka_unit_test(test_structure_errors),
                cmocka_unit_test(test_layer_limit),
                cmocka_unit_test(test_index_limit),
                cmocka_unit_test(test_long_values_cut_in_messages),
                cmocka_unit_test(test_oci_index),
                cmocka_unit_test(test_docker_manifest_list),
                cmocka_unit_test(test_index_detected_by_structure),
                cmocka_unit_test(test_index_errors),
                cmocka_unit_test(test_schema1_unsigned),
                cmocka_unit_test(test_schema1_signed),
                cmocka_unit_test(test_schema1_config),
                cmocka_unit_test(test_schema1_config_feeds_image_config),
                cmocka_unit_test(test_schema1_order_and_throwaway),
                cmocka_unit_test(test_schema1_errors),
                cmocka_unit_test(test_schema1_layer_limit),
                cmocka_unit_test(test_select_platform),
                cmocka_unit_test(test_select_platform_variants),
                cmocka_unit_test(test_select_platform_not_found),
                cmocka_unit_test(test_select_platform_skips_non_images),
                cmocka_unit_test(test_select_platform_invalid),
                cmocka_unit_test(test_platform_host),
                cmocka_unit_test(test_accept_types),
        };
        return cmocka_run_group_tests_name("manifest", tests, NULL, NULL);
}
