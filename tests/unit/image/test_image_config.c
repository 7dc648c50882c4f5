/* Tests of the image config parser (src/image/image_config.c). Documents are written with
 * ' for " to stay readable. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "image/image_config.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/xalloc.h"

#define DG_1 "sha256:dffe8596427fc50e8f64654a609af134d45552f18bbecef90b31135a9e7acaa0"
#define DG_2 "sha256:d76354d8457898445bb69e0dc0dc95fb74cc3cf334f8c1859162a16ad0041f8d"
#define DG_3 "sha256:842983de8fb1d277a3fad5c8295c7a14317c458718a10c5a35b23e7f992a5c80"

/* Shaped like nginx:1.25 on Docker Hub (Docker's container image JSON). */
static const char nginx_config[] =
        "{'architecture': 'amd64', 'config': {'Hostname': '', 'Domainname': '', 'User': '',"
        " 'AttachStdin': false, 'ExposedPorts': {'80/tcp': {}, '443/tcp': {}, '1935/udp': {}}, 'Tty': false,"
        " 'Env': ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'NGINX_VERSION=1.25.5',"
        " 'NJS_VERSION=0.8.4', 'PKG_RELEASE=1~bookworm'], 'Cmd': ['nginx', '-g', 'daemon off;'], 'Image': '',"
        " 'Volumes': null, 'WorkingDir': '', 'Entrypoint': ['/docker-entrypoint.sh'], 'OnBuild': null,"
        " 'Labels': {'maintainer': 'NGINX Docker Maintainers <docker-maint@nginx.com>'},"
        " 'StopSignal': 'SIGQUIT'},"
        " 'created': '2024-05-14T01:28:43.442366453Z', 'docker_version': '20.10.23',"
        " 'history': [{'created': '2024-05-14T01:28:24Z', 'created_by': '/bin/sh -c #(nop) ADD file:x in / '},"
        " {'created': '2024-05-14T01:28:43Z', 'created_by': '/bin/sh -c #(nop)  CMD [nginx]', 'empty_layer': true}],"
        " 'os': 'linux', 'rootfs': {'type': 'layers', 'diff_ids': ['" DG_1 "', '" DG_2 "', '" DG_3 "']}}";

static char *unquote(const char *s) {
        char *d = xstrdup(s);
        for (char *p = d; *p; p++)
                if (*p == '\'')
                        *p = '"';
        return d;
}

static struct image_config *parse_ok(const char *doc_sq) {
        AUTOFREE char *doc = unquote(doc_sq);
        struct image_config *c = NULL;
        struct cric_error *err = NULL;
        if (image_config_parse(doc, strlen(doc), &c, &err) < 0)
                fail_msg("image_config_parse failed: %s", err->msg);
        assert_non_null(c);
        return c;
}

static void parse_fails(const char *doc_sq, const char *msg) {
        AUTOFREE char *doc = unquote(doc_sq);
        struct image_config *c = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(image_config_parse(doc, strlen(doc), &c, &err), -1);
        assert_null(c);
        assert_non_null(err);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_string_equal(err->msg, msg);
}

static size_t count(char **v) {
        size_t n = 0;
        while (v[n])
                n++;
        return n;
}

static void test_docker_config(void **state) {
        (void) state;
        CLEANUP(image_config_freep) struct image_config *c = parse_ok(nginx_config);
        assert_string_equal(c->architecture, "amd64");
        assert_string_equal(c->os, "linux");
        assert_null(c->variant);
        assert_string_equal(c->created, "2024-05-14T01:28:43.442366453Z");
        assert_null(c->author);
        assert_string_equal(c->user, "");
        assert_string_equal(c->working_dir, "");
        assert_string_equal(c->stop_signal, "SIGQUIT");
        assert_int_equal(count(c->env), 4);
        assert_string_equal(c->env[1], "NGINX_VERSION=1.25.5");
        assert_int_equal(count(c->entrypoint), 1);
        assert_string_equal(c->entrypoint[0], "/docker-entrypoint.sh");
        assert_int_equal(count(c->cmd), 3);
        assert_string_equal(c->cmd[2], "daemon off;");
        assert_int_equal(count(c->labels), 2);
        assert_string_equal(c->labels[0], "maintainer");
        assert_string_equal(c->labels[1], "NGINX Docker Maintainers <docker-maint@nginx.com>");
        /* Sorted: "1935/udp" < "443/tcp" < "80/tcp" byte-wise. */
        assert_int_equal(count(c->exposed_ports), 3);
        assert_string_equal(c->exposed_ports[0], "1935/udp");
        assert_string_equal(c->exposed_ports[1], "443/tcp");
        assert_string_equal(c->exposed_ports[2], "80/tcp");
        assert_non_null(c->volumes);
        assert_null(c->volumes[0]);
        assert_int_equal(c->n_diff_ids, 3);
        assert_string_equal(c->diff_ids[0], DG_1);
        assert_string_equal(c->diff_ids[2], DG_3);
        assert_null(c->diff_ids[3]);
}

static void test_oci_config(void **state) {
        (void) state;
        CLEANUP(image_config_freep)
        struct image_config *c = parse_ok("{'created': '2024-01-02T03:04:05Z', 'author': 'Alice <a@example.com>',"
                                          " 'architecture': 'arm64', 'variant': 'v8', 'os': 'linux',"
                                          " 'config': {'User': '1000:1000', 'Env': ['A=1'], 'WorkingDir': '/app',"
                                          "  'Volumes': {'/var/lib/data': {}, '/cache': {}}, 'StopSignal': '15',"
                                          "  'ArgsEscaped': true, 'Memory': 0},"
                                          " 'rootfs': {'type': 'layers', 'diff_ids': ['" DG_1 "']},"
                                          " 'history': [{'created_by': 'COPY . /app'}]}");
        assert_string_equal(c->variant, "v8");
        assert_string_equal(c->author, "Alice <a@example.com>");
        assert_string_equal(c->user, "1000:1000");
        assert_string_equal(c->working_dir, "/app");
        assert_null(c->entrypoint);
        assert_null(c->cmd);
        assert_int_equal(count(c->volumes), 2);
        assert_string_equal(c->volumes[0], "/cache");
        assert_string_equal(c->volumes[1], "/var/lib/data");
        assert_int_equal(count(c->labels), 0);
        assert_int_equal(count(c->exposed_ports), 0);
        assert_int_equal(c->n_diff_ids, 1);
}

static void test_minimal_config(void **state) {
        (void) state;
        CLEANUP(image_config_freep) struct image_config *c = parse_ok("{}");
        assert_null(c->architecture);
        assert_null(c->os);
        assert_null(c->created);
        assert_null(c->user);
        assert_null(c->working_dir);
        assert_null(c->stop_signal);
        assert_null(c->entrypoint);
        assert_null(c->cmd);
        /* Lists are empty rather than NULL, so callers can iterate without checks. */
        assert_int_equal(count(c->env), 0);
        assert_int_equal(count(c->labels), 0);
        assert_int_equal(count(c->exposed_ports), 0);
        assert_int_equal(count(c->volumes), 0);
        assert_int_equal(count(c->diff_ids), 0);
        assert_int_equal(c->n_diff_ids, 0);
}

static void test_null_members_are_unset(void **state) {
        (void) state;
        CLEANUP(image_config_freep)
        struct image_config *c =
                parse_ok("{'architecture': null, 'config': {'User': null, 'Env': null, 'Entrypoint': null,"
                         " 'Cmd': null, 'Labels': null, 'ExposedPorts': null, 'Volumes': null},"
                         " 'rootfs': {'type': null, 'diff_ids': null}}");
        assert_null(c->architecture);
        assert_null(c->user);
        assert_null(c->entrypoint);
        assert_null(c->cmd);
        assert_int_equal(count(c->env), 0);
        assert_int_equal(c->n_diff_ids, 0);
        CLEANUP(image_config_freep) struct image_config *c2 = parse_ok("{'config': null, 'rootfs': null}");
        assert_int_equal(count(c2->env), 0);
}

static void test_empty_vs_unset_entrypoint(void **state) {
        (void) state;
        /* "Entrypoint": [] clears a base image's entrypoint; it is not the same as unset. */
        CLEANUP(image_config_freep) struct image_config *c = parse_ok("{'config': {'Entrypoint': [], 'Cmd': ['']}}");
        assert_non_null(c->entrypoint);
        assert_null(c->entrypoint[0]);
        assert_int_equal(count(c->cmd), 1);
        assert_string_equal(c->cmd[0], "");
}

static void test_labels_sorted(void **state) {
        (void) state;
        CLEANUP(image_config_freep)
        struct image_config *c =
                parse_ok("{'config': {'Labels': {'org.opencontainers.image.version': '1.2',"
                         " 'com.example.empty': '', 'org.opencontainers.image.authors': 'me', 'a': null,"
                         " 'com.example.dup': 'first', 'com.example.dup': 'second'}}}");
        static const char *const want[] = {"a",
                                           "",
                                           "com.example.dup",
                                           "second",
                                           "com.example.empty",
                                           "",
                                           "org.opencontainers.image.authors",
                                           "me",
                                           "org.opencontainers.image.version",
                                           "1.2"};
        assert_int_equal(count(c->labels), 10);
        for (size_t i = 0; i < 10; i++)
                assert_string_equal(c->labels[i], want[i]);
}

static void test_type_errors(void **state) {
        (void) state;
        parse_fails("{'os': 7}", "image config: os is not a string");
        parse_fails("{'config': []}", "image config: config is not an object");
        parse_fails("{'config': {'User': 0}}", "image config: config.User is not a string");
        parse_fails("{'config': {'Env': 'A=1'}}", "image config: config.Env is not an array");
        parse_fails("{'config': {'Env': ['A=1', 2]}}", "image config: config.Env[1] is not a string");
        parse_fails("{'config': {'Cmd': [null]}}", "image config: config.Cmd[0] is not a string");
        parse_fails("{'config': {'Entrypoint': {'a': 1}}}", "image config: config.Entrypoint is not an array");
        parse_fails("{'config': {'Labels': ['a=b']}}", "image config: config.Labels is not an object");
        parse_fails("{'config': {'Labels': {'version': 2}}}", "image config: config.Labels.version is not a string");
        parse_fails("{'config': {'ExposedPorts': ['80/tcp']}}", "image config: config.ExposedPorts is not an object");
        parse_fails("{'config': {'Volumes': '/data'}}", "image config: config.Volumes is not an object");
        parse_fails("{'config': {'WorkingDir': true}}", "image config: config.WorkingDir is not a string");
        parse_fails("{'created': 1715650123}", "image config: created is not a string");
        parse_fails("{'config': {'Env': ['A=\\u0000B']}}",
                    "image config: config.Env[0] is not a string without NUL characters");
}

static void test_rootfs_errors(void **state) {
        (void) state;
        parse_fails("{'rootfs': {'type': 'tarball', 'diff_ids': []}}",
                    "image config: rootfs.type \"tarball\" is not \"layers\"");
        parse_fails("{'rootfs': {'type': 1}}", "image config: rootfs.type is not a string");
        parse_fails("{'rootfs': []}", "image config: rootfs is not an object");
        parse_fails("{'rootfs': {'type': 'layers', 'diff_ids': '" DG_1 "'}}",
                    "image config: rootfs.diff_ids is not an array");
        parse_fails("{'rootfs': {'type': 'layers', 'diff_ids': ['" DG_1 "', 'sha256:abc']}}",
                    "image config: rootfs.diff_ids[1] \"sha256:abc\" is not a valid digest");
        parse_fails("{'rootfs': {'type': 'layers', 'diff_ids': [5]}}",
                    "image config: rootfs.diff_ids[0] is not a string");
        parse_fails("{'rootfs': {'diff_ids': ['" DG_1 "\\u0000']}}",
                    "image config: rootfs.diff_ids[0] contains a NUL character");
        /* type may be left out (old Docker configs); diff_ids then still count. */
        CLEANUP(image_config_freep) struct image_config *c = parse_ok("{'rootfs': {'diff_ids': ['" DG_2 "']}}");
        assert_int_equal(c->n_diff_ids, 1);
}

static void test_bad_json(void **state) {
        (void) state;
        struct image_config *c = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(image_config_parse("{\"os\": ", 7, &c, &err), -1);
        assert_string_equal(err->msg, "image config: invalid JSON: unexpected end of input");
        CLEANUP(cric_error_freep) struct cric_error *err2 = NULL;
        assert_int_equal(image_config_parse("\"linux\"", 7, &c, &err2), -1);
        assert_string_equal(err2->msg, "image config: the document is not a JSON object");
        CLEANUP(cric_error_freep) struct cric_error *err3 = NULL;
        assert_int_equal(image_config_parse("{} x", 4, &c, &err3), -1);
        assert_int_equal(err3->kind, CRIC_E_INVALID);
        assert_null(c);
}

static void test_set_diff_ids_round_trip(void **state) {
        (void) state;
        AUTOFREE char *doc = unquote(nginx_config);
        char *ids[] = {DG_3, DG_2};
        AUTOFREE char *out = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(image_config_set_diff_ids(doc, ids, 2, &out, &err), 0);
        assert_null(err);
        CLEANUP(image_config_freep) struct image_config *before = parse_ok(nginx_config);
        CLEANUP(image_config_freep) struct image_config *after = NULL;
        assert_int_equal(image_config_parse(out, strlen(out), &after, &err), 0);
        assert_int_equal(after->n_diff_ids, 2);
        assert_string_equal(after->diff_ids[0], DG_3);
        assert_string_equal(after->diff_ids[1], DG_2);
        /* Everything else is as it was. */
        assert_string_equal(after->created, before->created);
        assert_string_equal(after->stop_signal, before->stop_signal);
        assert_int_equal(count(after->env), count(before->env));
        assert_string_equal(after->env[3], before->env[3]);
        assert_string_equal(after->cmd[2], "daemon off;");
        assert_string_equal(after->labels[1], before->labels[1]);
        assert_int_equal(count(after->exposed_ports), 3);
        /* Members we do not model survive too, in their places. */
        assert_non_null(strstr(out, "\"docker_version\":\"20.10.23\""));
        assert_non_null(strstr(out, "\"empty_layer\":true"));
        assert_non_null(strstr(out, "\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DG_3));
        assert_int_equal(strncmp(out, "{\"architecture\":\"amd64\",\"config\":{", 34), 0);
}

static void test_set_diff_ids_adds_rootfs(void **state) {
        (void) state;
        char *ids[] = {DG_1};
        AUTOFREE char *out = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(image_config_set_diff_ids("{\"os\": \"linux\", \"history\": [{\"created_by\": \"/bin/sh\"}]}",
                                                   ids, 1, &out, &err),
                         0);
        assert_string_equal(out, "{\"os\":\"linux\",\"history\":[{\"created_by\":\"/bin/sh\"}],"
                                 "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DG_1 "\"]}}");
        AUTOFREE char *empty = NULL;
        assert_int_equal(image_config_set_diff_ids("{}", NULL, 0, &empty, &err), 0);
        assert_string_equal(empty, "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
}

static void test_set_diff_ids_is_deterministic(void **state) {
        (void) state;
        /* The image ID is the digest of these bytes: same input, same ID. */
        AUTOFREE char *doc = unquote(nginx_config);
        char *ids[] = {DG_1, DG_2, DG_3};
        AUTOFREE char *a = NULL, *b = NULL, *c = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(image_config_set_diff_ids(doc, ids, 3, &a, &err), 0);
        assert_int_equal(image_config_set_diff_ids(doc, ids, 3, &b, &err), 0);
        assert_int_equal(image_config_set_diff_ids(a, ids, 3, &c, &err), 0);
        assert_string_equal(a, b);
        assert_string_equal(a, c);
        char da[DIGEST_STR_LEN + 1], dc[DIGEST_STR_LEN + 1];
        digest_buffer(a, strlen(a), da);
        digest_buffer(c, strlen(c), dc);
        assert_string_equal(da, dc);
}

static void test_set_diff_ids_errors(void **state) {
        (void) state;
        char *bad[] = {DG_1, "sha256:ABC"};
        AUTOFREE char *out = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(image_config_set_diff_ids("{}", bad, 2, &out, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_string_equal(err->msg, "image config: diff id 1 \"sha256:ABC\" is not a valid digest");
        assert_null(out);
        CLEANUP(cric_error_freep) struct cric_error *err2 = NULL;
        assert_int_equal(image_config_set_diff_ids("[1]", NULL, 0, &out, &err2), -1);
        assert_string_equal(err2->msg, "image config: the document is not a JSON object");
        CLEANUP(cric_error_freep) struct cric_error *err3 = NULL;
        assert_int_equal(image_config_set_diff_ids("{\"a\":", NULL, 0, &out, &err3), -1);
        assert_int_equal(err3->kind, CRIC_E_INVALID);
        CLEANUP(cric_error_freep) struct cric_error *err4 = NULL;
        char *with_null[] = {DG_1, NULL};
        assert_int_equal(image_config_set_diff_ids("{}", with_null, 2, &out, &err4), -1);
        assert_int_equal(err4->kind, CRIC_E_INVALID);
        CLEANUP(cric_error_freep) struct cric_error *err5 = NULL;
        assert_int_equal(image_config_set_diff_ids(NULL, NULL, 0, &out, &err5), -1);
        assert_null(out);
}

static void test_unicode_preserved(void **state) {
        (void) state;
        CLEANUP(image_config_freep)
        struct image_config *c =
                parse_ok("{'author': 'Jérôme \\u00e9\\ud83d\\ude00', 'config': {'Env': ['GREETING=héllo/wörld']}}");
        assert_string_equal(c->author, "Jérôme é\xf0\x9f\x98\x80");
        assert_string_equal(c->env[0], "GREETING=héllo/wörld");
        char *ids[] = {DG_1};
        AUTOFREE char *doc = unquote("{'author': 'Jérôme', 'path': '/a/b'}");
        AUTOFREE char *out = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(image_config_set_diff_ids(doc, ids, 1, &out, &err), 0);
        assert_non_null(strstr(out, "\"author\":\"Jérôme\",\"path\":\"/a/b\""));
}

static void test_key_sets_sorted_bytewise(void **state) {
        (void) state;
        CLEANUP(image_config_freep)
        struct image_config *c =
                parse_ok("{'config': {'Volumes': {'/var/log': {}, '/Data': {}, '/data': null, '/état': {'x': 1}},"
                         " 'ExposedPorts': {'8080/tcp': {}, '53/udp': {}, '53/tcp': {}}}}");
        static const char *const volumes[] = {"/Data", "/data", "/var/log", "/état"};
        static const char *const ports[] = {"53/tcp", "53/udp", "8080/tcp"};
        assert_int_equal(count(c->volumes), 4);
        for (size_t i = 0; i < 4; i++)
                assert_string_equal(c->volumes[i], volumes[i]);
        assert_int_equal(count(c->exposed_ports), 3);
        for (size_t i = 0; i < 3; i++)
                assert_string_equal(c->exposed_ports[i], ports[i]);
}

static void test_set_diff_ids_replaces_rootfs(void **state) {
        (void) state;
        /* Whatever rootfs was there (even one parse rejects) is replaced where it stood. */
        char *ids[] = {DG_2};
        AUTOFREE char *out = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(image_config_set_diff_ids("{\"rootfs\": {\"type\": \"tarball\", \"x\": 1}, \"os\": \"linux\"}",
                                                   ids, 1, &out, &err),
                         0);
        assert_string_equal(out, "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DG_2 "\"]},\"os\":\"linux\"}");
        CLEANUP(image_config_freep) struct image_config *c = NULL;
        assert_int_equal(image_config_parse(out, strlen(out), &c, &err), 0);
        assert_int_equal(c->n_diff_ids, 1);
}

static void test_free_null(void **state) {
        (void) state;
        assert_null(image_config_free(NULL));
        image_config_freep(NULL);
        struct image_config *c = NULL;
        image_config_freep(&c);
        assert_null(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_docker_config),
                cmocka_unit_test(test_oci_config),
                cmocka_unit_test(test_minimal_config),
                cmocka_unit_test(test_null_members_are_unset),
                cmocka_unit_test(test_empty_vs_unset_entrypoint),
                cmocka_unit_test(test_labels_sorted),
                cmocka_unit_test(test_type_errors),
                cmocka_unit_test(test_rootfs_errors),
                cmocka_unit_test(test_bad_json),
                cmocka_unit_test(test_set_diff_ids_round_trip),
                cmocka_unit_test(test_set_diff_ids_adds_rootfs),
                cmocka_unit_test(test_set_diff_ids_is_deterministic),
                cmocka_unit_test(test_set_diff_ids_errors),
                cmocka_unit_test(test_unicode_preserved),
                cmocka_unit_test(test_key_sets_sorted_bytewise),
                cmocka_unit_test(test_set_diff_ids_replaces_rootfs),
                cmocka_unit_test(test_free_null),
        };
        return cmocka_run_group_tests_name("image_config", tests, NULL, NULL);
}
