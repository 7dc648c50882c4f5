/* image/pull_helper.c: cricd's side of a pull in a helper, against fake helpers. The
 * fake is this very binary started as "cric-pull" (the pull_helper path is
 * /proc/self/exe), playing the script $FAKE_PULL names: it answers, misbehaves or
 * dies at a chosen step. Whatever it does, cricd must come back with an error that
 * says what happened, leave no claim held and no directory behind, and reap it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/internal.h"
#include "image/pull_wire.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define CHAIN       "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define DIFF        "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define CONFIG_JSON "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DIFF "\"]}}"

/* ---- the fake helper ---- */

static int fake_send(const char *json) {
        AUTOJSON struct json_object *o = NULL;
        if (json_parse_object(json, strlen(json), "fake", &o, NULL) < 0 || pull_wire_send(3, o, NULL) < 0)
                exit(20);
        return 0;
}

static struct json_object *fake_recv(void) {
        struct json_object *o = NULL;
        if (pull_wire_recv(3, &o, NULL) < 0)
                exit(21);
        return o;
}

static void fake_claim(void) {
        fake_send("{\"op\":\"claim\",\"chains\":[\"" CHAIN "\"]}");
        AUTOJSON struct json_object *r = fake_recv();
        struct json_object *a = NULL;
        if (!json_object_object_get_ex(r, "present", &a) || json_object_array_length(a) != 1)
                exit(22);
}

/* A layer under the job's storage_tmp, as the real helper leaves it. */
static void fake_layer(struct json_object *job, const char *name) {
        AUTOFREE char *diff = xasprintf("%s/%s/diff", pull_wire_str(job, "storage_tmp"), name);
        if (fs_mkdir_p(diff, 0755, NULL) < 0)
                exit(23);
        AUTOFREE char *file = xasprintf("%s/hello", diff);
        if (fs_write_file_atomic(file, "hi", 2, 0644, NULL) < 0)
                exit(24);
}

static void fake_commit(const char *tmp, const char *id) {
        AUTOFREE char *config = json_quote(CONFIG_JSON);
        AUTOFREE char *msg = xasprintf("{\"op\":\"commit\",\"layers\":[{\"chain_id\":\"" CHAIN "\",\"diff_id\":\"" DIFF
                                       "\",\"digest\":\"sha256:33\",\"size\":2,\"compressed_size\":1,\"tmp\":\"%s\","
                                       "\"synced\":false}],\"chains\":[\"" CHAIN "\"],\"id\":\"%s\",\"config_json\":%s,"
                                       "\"manifest_digest\":\"sha256:44\",\"tag\":\"example.test/fake:1\","
                                       "\"repo_digest\":\"example.test/fake@sha256:44\"}",
                                       tmp, id, config);
        fake_send(msg);
}

static int fake_main(const char *script) {
        AUTOJSON struct json_object *job = fake_recv();
        if (!strcmp(script, "exit3"))
                return 3;
        if (!strcmp(script, "garbage"))
                return fake_send("{\"op\":\"dance\"}");
        if (!strcmp(script, "claim-die")) {
                fake_claim();
                fake_layer(job, "layer-left");
                raise(SIGKILL);
        }
        if (!strcmp(script, "done-error"))
                return fake_send("{\"op\":\"done\",\"error\":{\"kind\":2,\"msg\":\"pull x: manifest unknown\"}}");
        fake_claim();
        fake_layer(job, "layer-ok");
        char digest[DIGEST_STR_LEN + 1];
        digest_buffer(CONFIG_JSON, strlen(CONFIG_JSON), digest);
        fake_commit(!strcmp(script, "commit-escape") ? "../layer-ok" : "layer-ok",
                    !strcmp(script, "commit-bad-id") ? "../../etc" : digest + 7);
        AUTOJSON struct json_object *r = fake_recv();
        struct json_object *e = NULL;
        fake_send("{\"op\":\"release\",\"chains\":[\"" CHAIN "\"]}");
        if (json_object_object_get_ex(r, "error", &e)) {
                AUTOJSON struct json_object *done = jx_object();
                jx_add(done, "op", jx_string("done"));
                jx_add(done, "error", json_object_get(e));
                return pull_wire_send(3, done, NULL) < 0 ? 25 : 0;
        }
        AUTOFREE char *done = xasprintf("{\"op\":\"done\",\"bytes\":1,\"id\":\"%s\"}", pull_wire_str(r, "id"));
        return fake_send(done);
}

/* ---- the tests ---- */

struct fx {
        char *base;
        struct store *db;
        struct layer_store *ls;
        struct image_service *svc;
};

static int setup(void **state) {
        struct fx *f = xzalloc(sizeof(*f));
        f->base = testlib_tmpdir("pull-helper-test");
        AUTOFREE char *db = xasprintf("%s/cric.db", f->base);
        AUTOFREE char *root = xasprintf("%s/storage", f->base);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(store_open(db, &f->db, &err), 0);
        assert_int_equal(layer_store_open(root, "vfs", NULL, &f->ls, &err), 0);
        struct image_service_opts o = {.pull_helper = "/proc/self/exe", .tmp_dir = f->base};
        assert_int_equal(image_service_new(f->db, f->ls, &o, &f->svc, &err), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fx *f = *state;
        image_service_free(f->svc);
        layer_store_free(f->ls);
        store_close(f->db);
        int r = testlib_rmtree(f->base);
        free(f->base);
        free(f);
        return r;
}

/* Pulls with the fake playing script: the error, or NULL with *ret_id. */
static struct cric_error *pull_with(struct fx *f, const char *script, char **ret_id) {
        setenv("FAKE_PULL", script, 1);
        struct cric_error *err = NULL;
        int r = image_pull(f->svc, "example.test/fake:1", NULL, NULL, ret_id, &err);
        assert_int_equal(r, err ? -1 : 0);
        /* nothing held, nothing left, nobody unreaped */
        assert_int_equal(strv_length(f->svc->inflight), 0);
        AUTOFREE char *tmp = xasprintf("%s/storage/tmp", f->base);
        assert_int_equal(testlib_count_entries(tmp), 0);
        testlib_assert_no_children();
        return err;
}

static void test_helper_that_exits_early(void **state) {
        struct fx *f = *state;
        AUTOFREE char *id = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = pull_with(f, "exit3", &id);
        assert_int_equal(err->kind, CRIC_E_INTERNAL);
        assert_contains(err->msg, "pull example.test/fake:1: pull helper /proc/self/exe (pid ");
        assert_contains(err->msg, "exited with status 3 before it was done");
}

static void test_helper_that_talks_nonsense(void **state) {
        struct fx *f = *state;
        AUTOFREE char *id = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = pull_with(f, "garbage", &id);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_string_equal(err->msg, "pull example.test/fake:1: pull helper: unknown message \"dance\"");
}

static void test_helper_killed_holding_a_claim(void **state) {
        struct fx *f = *state;
        AUTOFREE char *id = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = pull_with(f, "claim-die", &id);
        assert_int_equal(err->kind, CRIC_E_INTERNAL);
        assert_contains(err->msg, "was killed by signal 9");
        assert_false(layer_store_has(f->ls, CHAIN));
}

static void test_helper_error_passes_through(void **state) {
        struct fx *f = *state;
        AUTOFREE char *id = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = pull_with(f, "done-error", &id);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        assert_string_equal(err->msg, "pull x: manifest unknown");
}

static void test_commit_of_a_layer_outside_its_dir_is_refused(void **state) {
        struct fx *f = *state;
        AUTOFREE char *id = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = pull_with(f, "commit-escape", &id);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_contains(err->msg, "\"../layer-ok\" is not a temporary layer's name");
        assert_false(layer_store_has(f->ls, CHAIN));
        CLEANUP(image_row_freep) struct image_row *img = NULL;
        assert_int_equal(image_lookup(f->svc, "example.test/fake:1", &img, &err), -1);
}

static void test_commit_without_a_valid_id_is_refused(void **state) {
        struct fx *f = *state;
        AUTOFREE char *id = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = pull_with(f, "commit-bad-id", &id);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_string_equal(err->msg, "pull helper: a commit without a valid image id");
        assert_false(layer_store_has(f->ls, CHAIN));
}

static void test_commit_stores_layer_and_image(void **state) {
        struct fx *f = *state;
        AUTOFREE char *id = NULL;
        struct cric_error *err = pull_with(f, "commit-ok", &id);
        assert_null(err);
        char want[DIGEST_STR_LEN + 1];
        digest_buffer(CONFIG_JSON, strlen(CONFIG_JSON), want);
        assert_string_equal(id, want + 7);
        assert_true(layer_store_has(f->ls, CHAIN));
        AUTOFREE char *hello = xasprintf("%s/storage/layers/%s/diff/hello", f->base, &CHAIN[7]);
        AUTOFREE char *hi = testlib_read_file("%s", hello);
        assert_string_equal(hi, "hi");
        CLEANUP(image_row_freep) struct image_row *img = NULL;
        assert_int_equal(image_lookup(f->svc, "example.test/fake:1", &img, &err), 0);
        assert_string_equal(img->id, id);
        assert_string_equal(img->layers[0], CHAIN);
        assert_int_equal(img->size, 2);
}

int main(int argc, char **argv) {
        (void) argc;
        const char *slash = strrchr(argv[0], '/');
        if (!strcmp(slash ? slash + 1 : argv[0], "cric-pull"))
                return fake_main(getenv("FAKE_PULL") ? getenv("FAKE_PULL") : "");
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_helper_that_exits_early, setup, teardown),
                cmocka_unit_test_setup_teardown(test_helper_that_talks_nonsense, setup, teardown),
                cmocka_unit_test_setup_teardown(test_helper_killed_holding_a_claim, setup, teardown),
                cmocka_unit_test_setup_teardown(test_helper_error_passes_through, setup, teardown),
                cmocka_unit_test_setup_teardown(test_commit_of_a_layer_outside_its_dir_is_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_commit_without_a_valid_id_is_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_commit_stores_layer_and_image, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
