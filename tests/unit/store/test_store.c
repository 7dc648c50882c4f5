#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

struct fixture {
        char *dir;
        char *path;
        struct store *s;
};

static int setup(void **state) {
        struct fixture *f = xzalloc(sizeof(*f));
        f->dir = testlib_tmpdir("store-test");
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
        int r = testlib_rmtree(f->dir);
        free(f->dir);
        free(f->path);
        free(f);
        return r;
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
                            .record = "{\"labels\": {}}"};
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
        assert_string_equal(p->record, "{\"labels\": {}}");
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

#define CTR_A "c0a0000000000000000000000000000000000000000000000000000000000001"
#define CTR_B "c0a1000000000000000000000000000000000000000000000000000000000002"
#define CTR_C "c0b0000000000000000000000000000000000000000000000000000000000003"

static struct container_row ctr(const char *id, const char *pod_id, const char *name, uint32_t attempt,
                                int64_t created_ns) {
        return (struct container_row){.id = (char *) id,
                                      .pod_id = (char *) pod_id,
                                      .name = (char *) name,
                                      .attempt = attempt,
                                      .state = CONTAINER_ROW_CREATED,
                                      .created_ns = created_ns,
                                      .reason = "",
                                      .message = "",
                                      .image = "busybox",
                                      .image_id = ID_A,
                                      .image_ref = "docker.io/library/busybox@sha256:ff",
                                      .runtime_path = "/usr/bin/crun",
                                      .runtime_root = "",
                                      .log_path = "/var/log/pods/x/0.log",
                                      .cgroup = "kubepods/pod1/ctr",
                                      .stop_signal = 15,
                                      .record = "{\"tty\": true}"};
}

static void put_ctr(struct store *s, const char *id, const char *pod_id, const char *name, uint32_t attempt,
                    int64_t created_ns) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct container_row c = ctr(id, pod_id, name, attempt, created_ns);
        assert_int_equal(store_container_insert(s, &c, &err), 0);
}

static void test_container_insert_get(void **state) {
        struct fixture *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        put_ctr(f->s, CTR_A, POD_A, "app", 0, 10);
        put_ctr(f->s, CTR_B, POD_A, "side", 0, 20);
        CLEANUP(container_row_freep) struct container_row *c = NULL;
        assert_int_equal(store_container_get(f->s, "c0a0", &c, &err), 0);
        assert_string_equal(c->id, CTR_A);
        assert_string_equal(c->pod_id, POD_A);
        assert_string_equal(c->name, "app");
        assert_int_equal(c->attempt, 0);
        assert_int_equal(c->state, CONTAINER_ROW_CREATED);
        assert_int_equal(c->created_ns, 10);
        assert_int_equal(c->started_ns, 0);
        assert_string_equal(c->reason, "");
        assert_string_equal(c->image, "busybox");
        assert_string_equal(c->image_id, ID_A);
        assert_string_equal(c->image_ref, "docker.io/library/busybox@sha256:ff");
        assert_string_equal(c->runtime_path, "/usr/bin/crun");
        assert_string_equal(c->runtime_root, "");
        assert_string_equal(c->log_path, "/var/log/pods/x/0.log");
        assert_string_equal(c->cgroup, "kubepods/pod1/ctr");
        assert_int_equal(c->stop_signal, 15);
        assert_string_equal(c->record, "{\"tty\": true}");
        assert_null(c->resources);
        assert_int_equal(c->resources_len, 0);

        CLEANUP(container_row_freep) struct container_row *full = NULL;
        assert_int_equal(store_container_get(f->s, CTR_B, &full, &err), 0);
        assert_string_equal(full->name, "side");
}

static void test_container_get_errors(void **state) {
        struct fixture *f = *state;
        put_ctr(f->s, CTR_A, POD_A, "app", 0, 10);
        put_ctr(f->s, CTR_B, POD_A, "side", 0, 20);
        const char *missing[] = {"c0", "c0c", "C0A0", "c0a0x", "", CTR_C};
        for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
                CLEANUP(container_row_freep) struct container_row *c = NULL;
                CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                assert_int_equal(store_container_get(f->s, missing[i], &c, &err), -1);
                assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
                assert_null(c);
                AUTOFREE char *want = xasprintf("container %s not found", missing[i]);
                assert_string_equal(err->msg, want);
        }
        CLEANUP(container_row_freep) struct container_row *c = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(store_container_get(f->s, "c0a", &c, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_non_null(strstr(err->msg, "ambiguous"));
        assert_null(c);
}

static void test_container_list(void **state) {
        struct fixture *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        /* Inserted out of order: the list sorts by created_ns, then id. */
        put_ctr(f->s, CTR_C, POD_B, "app", 0, 5);
        put_ctr(f->s, CTR_B, POD_A, "side", 0, 20);
        put_ctr(f->s, CTR_A, POD_A, "app", 0, 20);
        struct container_row **rows = NULL;
        size_t n = 0;
        assert_int_equal(store_container_list(f->s, NULL, &rows, &n, &err), 0);
        assert_int_equal(n, 3);
        assert_string_equal(rows[0]->id, CTR_C);
        assert_string_equal(rows[1]->id, CTR_A);
        assert_string_equal(rows[2]->id, CTR_B);
        container_rows_free(rows, n);

        assert_int_equal(store_container_list(f->s, POD_A, &rows, &n, &err), 0);
        assert_int_equal(n, 2);
        assert_string_equal(rows[0]->id, CTR_A);
        assert_string_equal(rows[1]->id, CTR_B);
        container_rows_free(rows, n);

        assert_int_equal(store_container_list(f->s, "nopod", &rows, &n, &err), 0);
        assert_int_equal(n, 0);
        container_rows_free(rows, n);
}

static void test_container_update_state(void **state) {
        struct fixture *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        put_ctr(f->s, CTR_A, POD_A, "app", 0, 10);
        struct container_row c = ctr(CTR_A, POD_A, "app", 0, 10);
        c.state = CONTAINER_ROW_EXITED;
        c.started_ns = 11;
        c.finished_ns = 12;
        c.exit_code = 137;
        c.reason = "OOMKilled";
        c.message = "out of memory";
        c.monitor_pid = 100;
        c.pid = 101;
        c.image = "changed"; /* not one of the state fields: must not be written */
        assert_int_equal(store_container_update_state(f->s, &c, &err), 0);
        CLEANUP(container_row_freep) struct container_row *got = NULL;
        assert_int_equal(store_container_get(f->s, CTR_A, &got, &err), 0);
        assert_int_equal(got->state, CONTAINER_ROW_EXITED);
        assert_int_equal(got->started_ns, 11);
        assert_int_equal(got->finished_ns, 12);
        assert_int_equal(got->exit_code, 137);
        assert_string_equal(got->reason, "OOMKilled");
        assert_string_equal(got->message, "out of memory");
        assert_int_equal(got->monitor_pid, 100);
        assert_int_equal(got->pid, 101);
        assert_string_equal(got->image, "busybox");

        c.id = CTR_C;
        assert_int_equal(store_container_update_state(f->s, &c, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
}

static void test_container_set_resources(void **state) {
        struct fixture *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        put_ctr(f->s, CTR_A, POD_A, "app", 0, 10);
        assert_int_equal(store_container_set_resources(f->s, CTR_A, "\x08\x00\x10\x01", 4, &err), 0);
        CLEANUP(container_row_freep) struct container_row *c = NULL;
        assert_int_equal(store_container_get(f->s, CTR_A, &c, &err), 0);
        assert_int_equal(c->resources_len, 4);
        assert_memory_equal(c->resources, "\x08\x00\x10\x01", 4);
        c = container_row_free(c);

        /* Empty but set is not the same as never set. */
        assert_int_equal(store_container_set_resources(f->s, CTR_A, "", 0, &err), 0);
        assert_int_equal(store_container_get(f->s, CTR_A, &c, &err), 0);
        assert_non_null(c->resources);
        assert_int_equal(c->resources_len, 0);
        c = container_row_free(c);

        assert_int_equal(store_container_set_resources(f->s, CTR_A, NULL, 0, &err), 0);
        assert_int_equal(store_container_get(f->s, CTR_A, &c, &err), 0);
        assert_null(c->resources);

        assert_int_equal(store_container_set_resources(f->s, CTR_C, "x", 1, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
}

static void test_container_delete(void **state) {
        struct fixture *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        put_ctr(f->s, CTR_A, POD_A, "app", 0, 10);
        put_ctr(f->s, CTR_B, POD_A, "side", 0, 20);
        assert_int_equal(store_container_delete(f->s, CTR_A, &err), 0);
        assert_int_equal(store_container_delete(f->s, CTR_A, &err), 0); /* already gone: fine */
        CLEANUP(container_row_freep) struct container_row *c = NULL;
        assert_int_equal(store_container_get(f->s, CTR_A, &c, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        cric_error_freep(&err);
        /* The prefix that was ambiguous is now unique. */
        assert_int_equal(store_container_get(f->s, "c0a", &c, &err), 0);
        assert_string_equal(c->id, CTR_B);
        /* The name is free again. */
        put_ctr(f->s, CTR_C, POD_A, "app", 0, 30);
}

static void test_container_name_reserved(void **state) {
        struct fixture *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        put_ctr(f->s, CTR_A, POD_A, "app", 0, 10);
        struct container_row c = ctr(CTR_B, POD_A, "app", 0, 20);
        assert_int_equal(store_container_insert(f->s, &c, &err), -1);
        assert_int_equal(err->kind, CRIC_E_EXISTS);
        assert_string_equal(err->msg, "container name app_0 in pod " POD_A " is reserved for container " CTR_A);
        cric_error_freep(&err);

        /* Another attempt, or the same name in another pod, is fine. */
        c.attempt = 1;
        assert_int_equal(store_container_insert(f->s, &c, &err), 0);
        c = ctr(CTR_C, POD_B, "app", 0, 30);
        assert_int_equal(store_container_insert(f->s, &c, &err), 0);

        /* The same id twice. */
        c = ctr(CTR_A, POD_B, "other", 0, 40);
        assert_int_equal(store_container_insert(f->s, &c, &err), -1);
        assert_int_equal(err->kind, CRIC_E_EXISTS);
        assert_non_null(strstr(err->msg, CTR_A));
        cric_error_freep(&err);

        struct container_row **rows = NULL;
        size_t n = 0;
        assert_int_equal(store_container_list(f->s, NULL, &rows, &n, &err), 0);
        assert_int_equal(n, 3);
        container_rows_free(rows, n);
}

/* A database written by a cricd that knew schema version 2 (pods, no containers):
 * made by dropping what versions 3 and 4 added. Reopening migrates it and keeps its rows. */
static void test_migrate_from_v2(void **state) {
        struct fixture *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        put_pod(f->s, POD_A, "u1", &err, 0);
        f->s = store_close(f->s);
        sqlite3 *db = NULL;
        assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db,
                                      "ALTER TABLE pods DROP COLUMN record; DROP TABLE containers; "
                                      "PRAGMA user_version = 2;",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
        sqlite3_close(db);

        assert_int_equal(store_open(f->path, &f->s, &err), 0);
        CLEANUP(pod_row_freep) struct pod_row *p = NULL;
        assert_int_equal(store_pod_get(f->s, POD_A, &p, &err), 0);
        assert_string_equal(p->record, ""); /* rows from before records */
        put_ctr(f->s, CTR_A, POD_A, "app", 0, 10);
        CLEANUP(container_row_freep) struct container_row *c = NULL;
        assert_int_equal(store_container_get(f->s, CTR_A, &c, &err), 0);

        f->s = store_close(f->s);
        assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(st, 0), 4);
        sqlite3_finalize(st);
        sqlite3_close(db);
        assert_int_equal(store_open(f->path, &f->s, &err), 0);
}

/* Deleting a pod row leaves its containers alone (no foreign key): the caller
 * removes them first, but a crash in between must not lose them silently. */
static void test_container_outlives_pod_row(void **state) {
        struct fixture *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        put_ctr(f->s, CTR_A, "unknownpod", "app", 0, 10); /* no pod row at all */
        put_pod(f->s, POD_A, "u1", &err, 0);
        put_ctr(f->s, CTR_B, POD_A, "app", 0, 10);
        assert_int_equal(store_pod_delete(f->s, POD_A, &err), 0);
        struct container_row **rows = NULL;
        size_t n = 0;
        assert_int_equal(store_container_list(f->s, POD_A, &rows, &n, &err), 0);
        assert_int_equal(n, 1);
        container_rows_free(rows, n);
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
                cmocka_unit_test_setup_teardown(test_container_insert_get, setup, teardown),
                cmocka_unit_test_setup_teardown(test_container_get_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_container_list, setup, teardown),
                cmocka_unit_test_setup_teardown(test_container_update_state, setup, teardown),
                cmocka_unit_test_setup_teardown(test_container_set_resources, setup, teardown),
                cmocka_unit_test_setup_teardown(test_container_delete, setup, teardown),
                cmocka_unit_test_setup_teardown(test_container_name_reserved, setup, teardown),
                cmocka_unit_test_setup_teardown(test_container_outlives_pod_row, setup, teardown),
                cmocka_unit_test_setup_teardown(test_migrate_from_v2, setup, teardown),
                cmocka_unit_test(test_open_bad_path),
        };
        return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
