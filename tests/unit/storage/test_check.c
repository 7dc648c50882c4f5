/* storage/layer_sums.c and storage/check.c: the checksums recorded for a layer's tree,
 * their verification (quick: lstat only; full: content hashes), and the walk of
 * `cricd check` over a real store (SQLite) and layer store (vfs, so no root needed). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/check.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/rm.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define D1  "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2  "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define IMG "cccc000000000000000000000000000000000000000000000000000000000003"
#define CTR "dddd000000000000000000000000000000000000000000000000000000000004"

struct fx {
        char *base;
        struct layer_store *ls;
        struct store *db;
        char chain2[DIGEST_STR_LEN + 1];
        char **lines;
};

static int setup(void **state) {
        struct fx *f = xzalloc(sizeof(*f));
        f->base = testlib_tmpdir("check-test");
        AUTOFREE char *root = xasprintf("%s/storage", f->base);
        AUTOFREE char *db = xasprintf("%s/cric.db", f->base);
        struct cric_error *err = NULL;
        if (layer_store_open(root, "vfs", NULL, &f->ls, &err) < 0 || store_open(db, &f->db, &err) < 0)
                return -1;
        layer_chain_id(D1, D2, f->chain2);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fx *f = *state;
        layer_store_free(f->ls);
        store_close(f->db);
        strv_free(f->lines);
        int r = testlib_rmtree(f->base);
        free(f->base);
        free(f);
        return r;
}

static void write_at(int dirfd, const char *name, const char *text) {
        int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
}

/* A committed layer with a few files, its checksums recorded, and its row. */
static void make_layer(struct fx *f, const char *chain, const char *parent, const char *diff_id) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct layer_tmp *t = NULL;
        assert_int_equal(layer_tmp_new(f->ls, parent, &t, &err), 0);
        if (parent) { /* vfs: the parent's files are there already */
                write_at(t->diff_fd, "child", "from the child layer\n");
        } else {
                assert_int_equal(mkdirat(t->diff_fd, "etc", 0755), 0);
                write_at(t->diff_fd, "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
                write_at(t->diff_fd, "with space%", "odd name\n");
                assert_int_equal(symlinkat("etc/passwd", t->diff_fd, "link"), 0);
        }
        assert_int_equal(layer_tmp_record_sums(t, diff_id, &err), 0);
        assert_int_equal(layer_tmp_commit(f->ls, t, chain, &err), 0);
        struct layer_row row = {.chain_id = (char *) chain,
                                .parent_chain_id = (char *) parent,
                                .diff_id = (char *) diff_id,
                                .size = 1,
                                .compressed_size = 1};
        assert_int_equal(store_layer_put(f->db, &row, &err), 0);
}

static void make_image(struct fx *f) {
        make_layer(f, D1, NULL, D1);
        make_layer(f, f->chain2, D1, D2);
        char *tags[] = {"example.com/app:1", NULL}, *layers[] = {D1, f->chain2, NULL};
        struct image_row img = {.id = IMG, .config_json = "{}", .size = 2, .repo_tags = tags, .layers = layers};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(store_image_put(f->db, &img, &err), 0);
}

static char *diff_file(struct fx *f, const char *chain, const char *rel) {
        AUTOFREE char *diff = layer_store_diff_path(f->ls, chain);
        return xasprintf("%s/%s", diff, rel);
}

static int verify(struct fx *f, const char *chain, const char *diff_id, bool is_full, char **ret_problem) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        int r = layer_store_verify(f->ls, chain, diff_id, is_full, ret_problem, &err);
        assert_null(err);
        return r;
}

static void collect(void *data, const char *line) {
        strv_push(&((struct fx *) data)->lines, line);
}

static struct storage_check_result run_check(struct fx *f, bool is_full, bool repair) {
        f->lines = strv_free(f->lines);
        struct storage_check_opts o = {.is_full = is_full, .repair = repair, .report = collect, .data = f};
        struct storage_check_result res;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(storage_check(f->db, f->ls, &o, &res, &err), 0);
        return res;
}

static const char *line_with(struct fx *f, const char *prefix) {
        for (size_t i = 0; f->lines && f->lines[i]; i++)
                if (!strncmp(f->lines[i], prefix, strlen(prefix)))
                        return f->lines[i];
        fail_msg("no line starting with \"%s\"", prefix);
        return NULL;
}

static void test_sums_format(void **state) {
        struct fx *f = *state;
        make_layer(f, D1, NULL, D1);
        AUTOFREE char *dir = layer_store_diff_path(f->ls, D1);
        AUTOFREE char *sums = testlib_read_file("%.*s/checksums", (int) (strlen(dir) - 5), dir);
        assert_contains(sums, "cric-layer-checksums 1 " D1 "\n");
        assert_contains(sums, "\nd 0755 ");
        assert_contains(sums, " /etc\n");
        /* sha256("root:x:0:0::/root:/bin/sh\n") */
        assert_contains(sums, "f 0644 ");
        assert_contains(sums, " 26 ");
        assert_contains(sums, " /with%20space%25\n");
        assert_contains(sums, "\nl 0777 ");
        assert_contains(sums, " /link\n");
}

static void test_verify_intact_then_changed(void **state) {
        struct fx *f = *state;
        make_layer(f, D1, NULL, D1);
        AUTOFREE char *problem = NULL;
        assert_int_equal(verify(f, D1, D1, true, &problem), LAYER_VERIFY_OK);
        assert_int_equal(verify(f, D1, D1, false, &problem), LAYER_VERIFY_OK);
        /* same size, other bytes: only the full form sees it */
        AUTOFREE char *passwd = diff_file(f, D1, "etc/passwd");
        AUTOFREE char *same_size = xstrdup("root:x:0:0::/root:/bin/SH\n");
        assert_int_equal(fs_write_file_replace(passwd, same_size, strlen(same_size), 0644, NULL), 0);
        assert_int_equal(verify(f, D1, D1, false, &problem), LAYER_VERIFY_OK);
        assert_int_equal(verify(f, D1, D1, true, &problem), LAYER_VERIFY_DAMAGED);
        assert_string_equal(problem, "/etc/passwd: content differs from the checksum recorded at pull");
        free(problem);
        problem = NULL;
        /* another size: the quick form sees it */
        assert_int_equal(fs_write_file_replace(passwd, "x\n", 2, 0644, NULL), 0);
        assert_int_equal(verify(f, D1, D1, false, &problem), LAYER_VERIFY_DAMAGED);
        assert_string_equal(problem, "/etc/passwd: size 2, recorded 26");
}

static void test_verify_missing_extra_mode_link(void **state) {
        struct fx *f = *state;
        make_layer(f, D1, NULL, D1);
        AUTOFREE char *problem = NULL;
        AUTOFREE char *extra = diff_file(f, D1, "etc/new");
        assert_int_equal(fs_write_file_replace(extra, "", 0, 0644, NULL), 0);
        AUTOFREE char *odd = diff_file(f, D1, "with space%");
        assert_int_equal(unlink(odd), 0);
        AUTOFREE char *etc = diff_file(f, D1, "etc");
        assert_int_equal(chmod(etc, 0700), 0);
        assert_int_equal(verify(f, D1, D1, false, &problem), LAYER_VERIFY_DAMAGED);
        assert_contains(problem, "/etc: mode 0700 owner ");
        assert_contains(problem, ", recorded 0755 ");
        assert_contains(problem, " (and 2 more differences)");
        free(problem);
        problem = NULL;
        assert_int_equal(chmod(etc, 0755), 0);
        assert_int_equal(unlink(extra), 0);
        assert_int_equal(fs_write_file_replace(odd, "odd name\n", 9, 0644, NULL), 0);
        assert_int_equal(verify(f, D1, D1, true, &problem), LAYER_VERIFY_OK);
        /* a link that points elsewhere (same length) */
        AUTOFREE char *link = diff_file(f, D1, "link");
        assert_int_equal(unlink(link), 0);
        assert_int_equal(symlink("etc/PASSWD", link), 0);
        assert_int_equal(verify(f, D1, D1, true, &problem), LAYER_VERIFY_DAMAGED);
        assert_string_equal(problem, "/link: link target differs from the checksum recorded at pull");
}

static void test_verify_other_diff_id_and_unrecorded(void **state) {
        struct fx *f = *state;
        make_layer(f, D1, NULL, D1);
        AUTOFREE char *problem = NULL;
        assert_int_equal(verify(f, D1, D2, true, &problem), LAYER_VERIFY_DAMAGED);
        assert_contains(problem, "is not the one of diff id " D2);
        AUTOFREE char *dir = layer_store_diff_path(f->ls, D1);
        AUTOFREE char *sums = xasprintf("%.*s/checksums", (int) (strlen(dir) - 5), dir);
        assert_int_equal(unlink(sums), 0);
        assert_int_equal(verify(f, D1, D1, true, NULL), LAYER_VERIFY_UNRECORDED);
}

static void test_check_clean_store(void **state) {
        struct fx *f = *state;
        make_image(f);
        struct storage_check_result res = run_check(f, true, false);
        assert_int_equal(res.n_problems, 0);
        assert_int_equal(res.n_layers, 2);
        assert_int_equal(res.n_images, 1);
        assert_null(f->lines);
}

static void test_check_and_repair_a_damaged_base_layer(void **state) {
        struct fx *f = *state;
        make_image(f);
        struct container_row ct = {.id = CTR,
                                   .pod_id = "p",
                                   .name = "web",
                                   .image = "x",
                                   .image_id = IMG,
                                   .image_ref = IMG,
                                   .runtime_path = "",
                                   .runtime_root = "",
                                   .log_path = "",
                                   .cgroup = "",
                                   .reason = "",
                                   .message = "",
                                   .record = ""};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(store_container_insert(f->db, &ct, &err), 0);
        AUTOFREE char *ctr_dir = xasprintf("%s/containers/%s", layer_store_root(f->ls), CTR);
        assert_int_equal(fs_mkdir_p(ctr_dir, 0700, &err), 0);
        AUTOFREE char *orphan = xasprintf("%s/containers/gone", layer_store_root(f->ls));
        assert_int_equal(fs_mkdir_p(orphan, 0700, &err), 0);
        AUTOFREE char *passwd = diff_file(f, D1, "etc/passwd");
        assert_int_equal(fs_write_file_replace(passwd, "root:x:0:0::/root:/bin/SH\n", 26, 0644, NULL), 0);

        struct storage_check_result res = run_check(f, true, false);
        assert_int_equal(res.n_problems, 4);
        assert_contains(line_with(f, "layer " D1 " (chain 111111111111): content damaged: "), "/etc/passwd: content");
        assert_string_equal(line_with(f, "image "),
                            "image example.com/app:1 (cccc00000000): layer " D1 " is missing or damaged");
        assert_contains(line_with(f, "container dddd00000000 (web): its image cccc00000000 is damaged"), "CRI");
        assert_contains(line_with(f, "orphan "), "/containers/gone: container directory without a database row");
        assert_true(layer_store_has(f->ls, D1));

        /* the quick form does not read files: same size, not seen */
        res = run_check(f, false, false);
        assert_int_equal(res.n_problems, 1);

        res = run_check(f, true, true);
        line_with(f, "removed image cccc00000000");
        line_with(f, "removed layer " D1);
        assert_int_equal(res.n_unrepairable, 1); /* the container is the kubelet's */
        assert_false(layer_store_has(f->ls, D1));
        /* the child layer's chain names the damaged parent: gone with it */
        assert_false(layer_store_has(f->ls, f->chain2));
        CLEANUP(strv_freep) char **left = NULL;
        assert_int_equal(store_layer_list(f->db, &left, &err), 0);
        assert_null(left[0]);
        CLEANUP(image_row_freep) struct image_row *img = NULL;
        assert_int_equal(store_image_find(f->db, IMG, &img, &err), -1);
        assert_false(access(orphan, F_OK) == 0);
        assert_true(access(ctr_dir, F_OK) == 0);

        res = run_check(f, true, false);
        assert_int_equal(res.n_problems, 1); /* the container only */
}

static void test_check_missing_dir_and_orphan_layer(void **state) {
        struct fx *f = *state;
        make_image(f);
        AUTOFREE char *dir = xasprintf("%s/layers/%s", layer_store_root(f->ls), f->chain2 + 7);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(rm_rf(dir, &err), 0);
        AUTOFREE char *orphan = xasprintf("%s/layers/%s", layer_store_root(f->ls), &D2[7]);
        assert_int_equal(fs_mkdir_p(orphan, 0700, &err), 0);

        struct storage_check_result res = run_check(f, false, false);
        assert_int_equal(res.n_problems, 3);
        assert_contains(line_with(f, "layer " D2 " (chain "), "/diff is missing");
        line_with(f, "image example.com/app:1 (cccc00000000): layer " D2 " is missing or damaged");
        AUTOFREE char *want = xasprintf("orphan %s: layer directory without a database row", orphan);
        line_with(f, want);

        res = run_check(f, false, true);
        assert_int_equal(res.n_unrepairable, 0);
        assert_int_equal(res.n_repaired, 3); /* the image, the layer row, the orphan */
        assert_false(access(orphan, F_OK) == 0);
        CLEANUP(strv_freep) char **left = NULL;
        assert_int_equal(store_layer_list(f->db, &left, &err), 0);
        assert_string_equal(left[0], D1); /* intact; unused now, which the daemon's start cleans */
        assert_null(left[1]);
        res = run_check(f, true, false);
        assert_int_equal(res.n_problems, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_sums_format, setup, teardown),
                cmocka_unit_test_setup_teardown(test_verify_intact_then_changed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_verify_missing_extra_mode_link, setup, teardown),
                cmocka_unit_test_setup_teardown(test_verify_other_diff_id_and_unrecorded, setup, teardown),
                cmocka_unit_test_setup_teardown(test_check_clean_store, setup, teardown),
                cmocka_unit_test_setup_teardown(test_check_and_repair_a_damaged_base_layer, setup, teardown),
                cmocka_unit_test_setup_teardown(test_check_missing_dir_and_orphan_layer, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
