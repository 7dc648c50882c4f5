#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

struct fixture {
        char dir[64];
        char *path;
        struct store *s;
};

static int setup(void **state) {
        struct fixture *f = xzalloc(sizeof(*f));
        strcpy(f->dir, "/tmp/cric-store-XXXXXX");
        if (!mkdtemp(f->dir))
                return -1;
        f->path = xasprintf("%s/cric.db", f->dir);
        struct cric_error *err = NULL;
        if (store_open(f->path, &f->s, &err) < 0)
                return -1;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        store_close(f->s);
        AUTOFREE char *cmd = xasprintf("rm -rf %s", f->dir);
        if (system(cmd) != 0)
                return -1;
        free(f->path);
        free(f);
        return 0;
}

static const char *L1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
static const char *L2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

static void put_layer(struct store *s, const char *chain, const char *parent) {
        struct cric_error *err = NULL;
        struct layer_row l = {.chain_id = (char *) chain,
                              .parent_chain_id = (char *) parent,
                              .diff_id = (char *) chain,
                              .size = 10,
                              .compressed_size = 5};
        assert_int_equal(store_layer_put(s, &l, &err), 0);
}

static void put_image(struct store *s, const char *id, const char *tag, const char *digest, const char *layer) {
        struct cric_error *err = NULL;
        char *tags[] = {(char *) tag, NULL}, *digests[] = {(char *) digest, NULL}, *layers[] = {(char *) layer, NULL};
        struct image_row img = {.id = (char *) id,
                                .config_json = "{}",
                                .size = 10,
                                .repo_tags = tag ? tags : NULL,
                                .repo_digests = digest ? digests : NULL,
                                .layers = layers};
        assert_int_equal(store_image_put(s, &img, &err), 0);
}

#define ID_A "aaaa000000000000000000000000000000000000000000000000000000000001"
#define ID_B "aaab000000000000000000000000000000000000000000000000000000000002"

static void test_put_and_find(void **state) {
        struct fixture *f = *state;
        put_layer(f->s, L1, NULL);
        put_image(f->s, ID_A, "docker.io/library/a:1", "docker.io/library/a@sha256:ff", L1);
        const char *keys[] = {ID_A, "docker.io/library/a:1", "docker.io/library/a@sha256:ff", "aaaa0", "aaa0"};
        for (size_t i = 0; i < 4; i++) {
                CLEANUP(image_row_freep) struct image_row *img = NULL;
                CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                assert_int_equal(store_image_find(f->s, keys[i], &img, &err), 0);
                assert_string_equal(img->id, ID_A);
                assert_string_equal(img->config_json, "{}");
                assert_int_equal(strv_length(img->repo_tags), 1);
                assert_string_equal(img->repo_tags[0], "docker.io/library/a:1");
                assert_string_equal(img->repo_digests[0], "docker.io/library/a@sha256:ff");
                assert_string_equal(img->layers[0], L1);
        }
        CLEANUP(image_row_freep) struct image_row *img = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(store_image_find(f->s, keys[4], &img, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
}

static void test_ambiguous_prefix(void **state) {
        struct fixture *f = *state;
        put_layer(f->s, L1, NULL);
        put_image(f->s, ID_A, NULL, NULL, L1);
        put_image(f->s, ID_B, NULL, NULL, L1);
        CLEANUP(image_row_freep) struct image_row *img = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(store_image_find(f->s, "aaa", &img, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_non_null(strstr(err->msg, "ambiguous"));
}

static void test_tag_moves_to_new_image(void **state) {
        struct fixture *f = *state;
        put_layer(f->s, L1, NULL);
        put_image(f->s, ID_A, "x:latest", NULL, L1);
        put_image(f->s, ID_B, "x:latest", NULL, L1);
        CLEANUP(image_row_freep) struct image_row *a = NULL, *b = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(store_image_find(f->s, ID_A, &a, &err), 0);
        assert_int_equal(strv_length(a->repo_tags), 0);
        assert_int_equal(store_image_find(f->s, "x:latest", &b, &err), 0);
        assert_string_equal(b->id, ID_B);
}

static void test_untag_and_delete(void **state) {
        struct fixture *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        put_layer(f->s, L1, NULL);
        put_image(f->s, ID_A, "x:1", "x@sha256:1", L1);
        assert_int_equal(store_image_untag(f->s, "x:1", &err), 0);
        CLEANUP(image_row_freep) struct image_row *img = NULL;
        assert_int_equal(store_image_find(f->s, "x:1", &img, &err), -1);
        cric_error_freep(&err);
        bool used = false;
        assert_int_equal(store_layer_in_use(f->s, L1, &used, &err), 0);
        assert_true(used);
        assert_int_equal(store_image_delete(f->s, ID_A, &err), 0);
        assert_int_equal(store_image_find(f->s, "x@sha256:1", &img, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        cric_error_freep(&err);
        assert_int_equal(store_layer_in_use(f->s, L1, &used, &err), 0);
        assert_false(used);
}

static void test_layers(void **state) {
        struct fixture *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        put_layer(f->s, L1, NULL);
        put_layer(f->s, L2, L1);
        bool used = false;
        assert_int_equal(store_layer_in_use(f->s, L1, &used, &err), 0);
        assert_true(used); /* parent of L2 */
        CLEANUP(layer_row_freep) struct layer_row *l = NULL;
        assert_int_equal(store_layer_get(f->s, L2, &l, &err), 0);
        assert_string_equal(l->parent_chain_id, L1);
        assert_int_equal(l->size, 10);
        CLEANUP(strv_freep) char **ids = NULL;
        assert_int_equal(store_layer_list(f->s, &ids, &err), 0);
        assert_int_equal(strv_length(ids), 2);
        assert_int_equal(store_layer_delete(f->s, L2, &err), 0);
        CLEANUP(layer_row_freep) struct layer_row *gone = NULL;
        assert_int_equal(store_layer_get(f->s, L2, &gone, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
}

static void test_list_and_reopen(void **state) {
        struct fixture *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        put_layer(f->s, L1, NULL);
        put_image(f->s, ID_A, "a:1", NULL, L1);
        put_image(f->s, ID_B, "b:1", NULL, L1);
        f->s = store_close(f->s);
        assert_int_equal(store_open(f->path, &f->s, &err), 0); /* migrations are idempotent */
        struct image_row **rows = NULL;
        size_t n = 0;
        assert_int_equal(store_image_list(f->s, &rows, &n, &err), 0);
        assert_int_equal(n, 2);
        assert_true(strv_contains(rows[0]->repo_tags, "a:1") || strv_contains(rows[1]->repo_tags, "a:1"));
        image_rows_free(rows, n);
}

static void put_pod(struct store *s, const char *id, const char *uid, struct cric_error **err, int want) {
        struct pod_row p = {.id = (char *) id,
                            .name = "web",
                            .namespace = "default",
                            .uid = (char *) uid,
                            .attempt = 0,
                            .state = POD_ROW_READY,
                            .created_ns = 5,
                            .runtime_handler = "",
                            .namespaces = 7,
                            .config = "\x0a\x00",
                            .config_len = 2};
        assert_int_equal(store_pod_insert(s, &p, err), want);
}

#define POD_A "abc0000000000000000000000000000000000000000000000000000000000001"
#define POD_B "abd0000000000000000000000000000000000000000000000000000000000002"

static void test_pods(void **state) {
        struct fixture *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        put_pod(f->s, POD_A, "u1", &err, 0);
        put_pod(f->s, POD_B, "u2", &err, 0);
        CLEANUP(pod_row_freep) struct pod_row *p = NULL;
        assert_int_equal(store_pod_get(f->s, "abc0", &p, &err), 0);
        assert_string_equal(p->id, POD_A);
        assert_int_equal(p->config_len, 2);
        assert_memory_equal(p->config, "\x0a\x00", 2);
        assert_int_equal(p->namespaces, 7);
        assert_int_equal(store_pod_set_state(f->s, POD_A, POD_ROW_NOTREADY, &err), 0);
        CLEANUP(pod_row_freep) struct pod_row *q = NULL;
        assert_int_equal(store_pod_get(f->s, POD_A, &q, &err), 0);
        assert_int_equal(q->state, POD_ROW_NOTREADY);
        CLEANUP(pod_row_freep) struct pod_row *amb = NULL;
        assert_int_equal(store_pod_get(f->s, "ab", &amb, &err), -1); /* too short */
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        cric_error_freep(&err);
        assert_int_equal(store_pod_get(f->s, "abc", &amb, &err), 0);
        amb = pod_row_free(amb);
        struct pod_row **rows = NULL;
        size_t n = 0;
        assert_int_equal(store_pod_list(f->s, &rows, &n, &err), 0);
        assert_int_equal(n, 2);
        pod_rows_free(rows, n);
        assert_int_equal(store_pod_delete(f->s, POD_A, &err), 0);
        assert_int_equal(store_pod_get(f->s, POD_A, &amb, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
}

static void test_pod_name_reserved(void **state) {
        struct fixture *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        put_pod(f->s, POD_A, "u1", &err, 0);
        put_pod(f->s, POD_B, "u1", &err, -1);
        assert_int_equal(err->kind, CRIC_E_EXISTS);
        assert_non_null(strstr(err->msg, POD_A));
        assert_non_null(strstr(err->msg, "web_default_u1_0"));
}

static void test_open_bad_path(void **state) {
        (void) state;
        struct store *s = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(store_open("/nonexistent-dir/x/cric.db", &s, &err), -1);
        assert_non_null(strstr(err->msg, "/nonexistent-dir/x/cric.db"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_put_and_find, setup, teardown),
                cmocka_unit_test_setup_teardown(test_ambiguous_prefix, setup, teardown),
                cmocka_unit_test_setup_teardown(test_tag_moves_to_new_image, setup, teardown),
                cmocka_unit_test_setup_teardown(test_untag_and_delete, setup, teardown),
                cmocka_unit_test_setup_teardown(test_layers, setup, teardown),
                cmocka_unit_test_setup_teardown(test_list_and_reopen, setup, teardown),
                cmocka_unit_test_setup_teardown(test_pods, setup, teardown),
                cmocka_unit_test_setup_teardown(test_pod_name_reserved, setup, teardown),
                cmocka_unit_test(test_open_bad_path),
        };
        return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
