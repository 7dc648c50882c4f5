/* storage/layers.c: the layer store on disk. Temp layers appear under layers/ only by
 * commit; gc, remove, usage and chain ids. Runs without root (overlay then falls back
 * to vfs); the overlay case needs root and skips without it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer_helpers.h"
#include "storage/storage.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define L1     "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define L2     "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define L3     "sha256:3333333333333333333333333333333333333333333333333333333333333333"
#define HEX(l) ((l) + 7)

struct fx {
        char *base;
        char *root;
        struct layer_store *ls;
};

static int setup(void **state) {
        struct fx *f = xzalloc(sizeof(*f));
        f->base = testlib_tmpdir("layers-test");
        f->root = xasprintf("%s/store", f->base);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fx *f = *state;
        layer_store_free(f->ls);
        int r = testlib_rmtree(f->base);
        free(f->base);
        free(f->root);
        free(f);
        return r;
}

static char *in_root(struct fx *f, const char *rel) {
        return xasprintf("%s/%s", f->root, rel);
}

static bool exists(const char *path) {
        struct stat st;
        return lstat(path, &st) == 0;
}

static void open_vfs(struct fx *f) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (layer_store_open(f->root, "vfs", NULL, &f->ls, &err) < 0)
                fail_msg("open: %s", err->msg);
        assert_int_equal(layer_store_driver(f->ls), STORAGE_VFS);
}

/* A committed layer holding one file. */
static void make_layer(struct fx *f, const char *parent, const char *chain, const char *file) {
        layer_make(f->ls, parent, chain, file, false);
}

static void test_chain_id(void **state) {
        (void) state;
        char out[DIGEST_STR_LEN + 1];
        layer_chain_id(NULL, L1, out);
        assert_string_equal(out, L1); /* the base layer's chain id is its diff id */
        layer_chain_id(L1, L2, out);  /* sha256("<parent> <diff>") */
        assert_string_equal(out, "sha256:9932074217c35353d2e03a3f5a86549f7c67bfeb0ba53e23d69f4d4c8f7958f5");
}

static void test_open_makes_the_tree_and_cleans_tmp(void **state) {
        struct fx *f = *state;
        /* leftovers of an interrupted pull */
        AUTOFREE char *tmp = in_root(f, "tmp/layer-old/diff");
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(fs_mkdir_p(tmp, 0700, &err), 0);
        open_vfs(f);
        AUTOFREE char *layers = in_root(f, "layers");
        AUTOFREE char *tmpdir = in_root(f, "tmp");
        struct stat st;
        assert_int_equal(stat(layers, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0700);
        assert_int_equal(testlib_count_entries(tmpdir), 0);
        assert_string_equal(layer_store_root(f->ls), f->root);
        assert_string_equal(storage_driver_name(STORAGE_VFS), "vfs");
        assert_string_equal(storage_driver_name(STORAGE_OVERLAY), "overlay");
        assert_int_equal(layer_store_whiteout_mode(f->ls), WHITEOUT_APPLY);
}

static void test_open_refuses_unknown_driver(void **state) {
        struct fx *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(layer_store_open(f->root, "zfs", NULL, &f->ls, &err), -1);
        assert_null(f->ls);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_string_equal(err->msg, "storage driver zfs is not supported (overlay, vfs, btrfs)");
        err = cric_error_free(err);
        /* btrfs where the root is not on btrfs (the unit tests' tmp dir) */
        assert_int_equal(layer_store_open(f->root, "btrfs", NULL, &f->ls, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        AUTOFREE char *want =
                xasprintf("storage driver btrfs: %s is not on a btrfs file system (set by storage_driver)", f->root);
        assert_string_equal(err->msg, want);
        /* a root that cannot be made */
        AUTOFREE char *file = xasprintf("%s/file", f->base);
        AUTOCLOSE int fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        AUTOFREE char *below = xasprintf("%s/store", file);
        err = cric_error_free(err);
        assert_int_equal(layer_store_open(below, "vfs", NULL, &f->ls, &err), -1);
        assert_null(f->ls);
        assert_int_equal(err->errno_value, ENOTDIR);
}

/* The driver is recorded at the first open: "" then means that one; another driver is
 * refused while the store holds layers, and accepted (and recorded) on an empty one. */
static void test_driver_recorded(void **state) {
        struct fx *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        open_vfs(f);
        AUTOFREE char *record = in_root(f, "storage-driver");
        AUTOFREE char *text = NULL;
        assert_int_equal(fs_read_file(record, 64, &text, NULL, &err), 0);
        assert_string_equal(text, "vfs\n");
        make_layer(f, NULL, L1, "a");
        f->ls = layer_store_free(f->ls);
        assert_int_equal(layer_store_open(f->root, "", NULL, &f->ls, &err), 0);
        assert_int_equal(layer_store_driver(f->ls), STORAGE_VFS); /* not the automatic overlay */
        f->ls = layer_store_free(f->ls);
        assert_int_equal(layer_store_open(f->root, "overlay", NULL, &f->ls, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_non_null(strstr(err->msg, "holds layers of the vfs driver"));
        assert_non_null(strstr(err->msg, "storage_driver = \"vfs\""));
        err = cric_error_free(err);
        /* emptied: any driver may take it */
        AUTOFREE char *layer = xasprintf("%s/layers/%s", f->root, HEX(L1));
        assert_int_equal(testlib_rmtree(layer), 0);
        assert_int_equal(layer_store_open(f->root, "overlay", NULL, &f->ls, &err), 0);
        free(text);
        text = NULL;
        assert_int_equal(fs_read_file(record, 64, &text, NULL, &err), 0);
        assert_string_equal(text, layer_store_driver(f->ls) == STORAGE_OVERLAY ? "overlay\n" : "vfs\n");
        f->ls = layer_store_free(f->ls);
        /* a record that names no driver */
        assert_int_equal(fs_write_file_atomic(record, "zfs\n", 4, 0600, &err), 0);
        assert_int_equal(layer_store_open(f->root, "", NULL, &f->ls, &err), -1);
        assert_non_null(strstr(err->msg, "names an unknown storage driver \"zfs\""));
}

static void test_options(void **state) {
        struct fx *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        /* another driver's options are ignored; a malformed one is not */
        char *other[] = {"btrfs.size=10G", "overlay.mountopt=nodev", NULL};
        assert_int_equal(layer_store_open(f->root, "vfs", other, &f->ls, &err), 0);
        f->ls = layer_store_free(f->ls);
        char *bad[] = {"size=10G", NULL};
        assert_int_equal(layer_store_open(f->root, "vfs", bad, &f->ls, &err), -1);
        assert_string_equal(err->msg, "storage option \"size=10G\": not <driver>.<key>=<value>");
}

/* overlay where it mounts (root), else the fallback to vfs */
static void test_open_overlay_or_fallback(void **state) {
        struct fx *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(layer_store_open(f->root, "overlay2", NULL, &f->ls, &err), 0);
        AUTOFREE char *tmpdir = in_root(f, "tmp");
        assert_int_equal(testlib_count_entries(tmpdir), 0); /* the overlay check cleaned up after itself */
        if (layer_store_driver(f->ls) == STORAGE_OVERLAY) {
                assert_int_equal(layer_store_whiteout_mode(f->ls), WHITEOUT_OVERLAY);
        } else {
                print_message("overlay does not mount here (%s): fell back to vfs\n",
                              geteuid() ? "not root" : "file system");
                assert_int_equal(layer_store_whiteout_mode(f->ls), WHITEOUT_APPLY);
        }
}

static void test_tmp_commit_and_discard(void **state) {
        struct fx *f = *state;
        open_vfs(f);
        int fds = testlib_count_fds();
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct layer_tmp *t = NULL;
        assert_int_equal(layer_tmp_new(f->ls, NULL, &t, &err), 0);
        AUTOFREE char *tmp_prefix = in_root(f, "tmp/layer-");
        assert_memory_equal(t->path, tmp_prefix, strlen(tmp_prefix));
        assert_true(t->diff_fd >= 0);
        layer_put(t->diff_fd, "hello", "world");
        AUTOFREE char *tmp_path = xstrdup(t->path);
        assert_false(layer_store_has(f->ls, L1));
        assert_int_equal(layer_tmp_commit(f->ls, t, L1, &err), 0);
        assert_false(exists(tmp_path));
        assert_true(layer_store_has(f->ls, L1));
        AUTOFREE char *diff = layer_store_diff_path(f->ls, L1);
        AUTOFREE char *want_diff = xasprintf("%s/layers/%s/diff", f->root, HEX(L1));
        assert_string_equal(diff, want_diff);
        AUTOFREE char *hello = xasprintf("%s/hello", diff);
        assert_true(exists(hello));

        /* discarded: nothing stays */
        assert_int_equal(layer_tmp_new(f->ls, NULL, &t, &err), 0);
        AUTOFREE char *gone = xstrdup(t->path);
        assert_null(layer_tmp_discard(t));
        assert_false(exists(gone));
        assert_null(layer_tmp_discard(NULL));
        assert_int_equal(testlib_count_fds(), fds);
}

/* A pull helper attaches to the store cricd opened (nothing cleaned), unpacks under a
 * directory of its own, and forgets its layer; cricd adopts it by name and commits it.
 * Only a direct "layer-*" entry of a directory of tmp/ is adopted. */
static void test_attach_adopt_commit(void **state) {
        struct fx *f = *state;
        open_vfs(f);
        int fds = testlib_count_fds();
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOFREE char *dir = in_root(f, "tmp/pull-test");
        AUTOFREE char *keep = in_root(f, "tmp/kept");
        assert_int_equal(mkdir(dir, 0700), 0);
        assert_int_equal(mkdir(keep, 0700), 0);
        CLEANUP(layer_store_freep) struct layer_store *helper = NULL;
        assert_int_equal(layer_store_attach(f->root, STORAGE_VFS, NULL, dir, &helper, &err), 0);
        assert_true(exists(keep)); /* attaching cleans nothing */
        assert_int_equal(layer_store_driver(helper), STORAGE_VFS);
        struct layer_tmp *t = NULL;
        assert_int_equal(layer_tmp_new(helper, NULL, &t, &err), 0);
        layer_put(t->diff_fd, "hello", "world");
        AUTOFREE char *name = xstrdup(layer_tmp_name(t));
        assert_memory_equal(name, "layer-", 6);
        AUTOFREE char *path = xstrdup(t->path);
        assert_null(layer_tmp_forget(t));
        assert_true(exists(path)); /* forgotten, not removed */

        const char *bad[] = {"../layer-x", "layer-", "kept", "layer-a/b", ""};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(layer_tmp_adopt(f->ls, dir, bad[i], false, &t, &err), -1);
                assert_int_equal(err->kind, CRIC_E_INVALID);
                cric_error_freep(&err);
        }
        const char *bad_dirs[] = {keep, f->root, "/tmp", "/tmp/x/tmp/pull-test"};
        for (size_t i = 0; i < sizeof(bad_dirs) / sizeof(bad_dirs[0]); i++) {
                assert_int_equal(layer_tmp_adopt(f->ls, bad_dirs[i], name, false, &t, &err), -1);
                cric_error_freep(&err);
        }
        AUTOFREE char *nested = xasprintf("%s/sub", dir);
        assert_int_equal(layer_tmp_adopt(f->ls, nested, name, false, &t, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_non_null(strstr(err->msg, "is not under"));
        cric_error_freep(&err);
        /* a well-formed name that is not there */
        assert_int_equal(layer_tmp_adopt(f->ls, dir, "layer-nothere", false, &t, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INTERNAL);
        cric_error_freep(&err);

        assert_int_equal(layer_tmp_adopt(f->ls, dir, name, true, &t, &err), 0);
        assert_true(t->is_synced);
        assert_int_equal(layer_tmp_commit(f->ls, t, L1, &err), 0);
        assert_false(exists(path));
        assert_true(layer_store_has(f->ls, L1));
        assert_int_equal(testlib_count_fds(), fds);
}

/* A pull worker syncs its layer as soon as it is unpacked, long before the commit:
 * the layer stays out of layers/ until then, the commit only moves it in, and a
 * layer dropped after its sync (another layer of the pull failed) leaves nothing. */
static void test_synced_tmp_is_invisible_until_commit(void **state) {
        struct fx *f = *state;
        open_vfs(f);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct layer_tmp *t = NULL;
        assert_int_equal(layer_tmp_new(f->ls, NULL, &t, &err), 0);
        layer_put(t->diff_fd, "hello", "world");
        assert_false(t->is_synced);
        layer_tmp_sync(t);
        assert_true(t->is_synced);
        AUTOFREE char *layers = in_root(f, "layers");
        assert_false(layer_store_has(f->ls, L1));
        assert_int_equal(testlib_count_entries(layers), 0);
        assert_int_equal(layer_tmp_commit(f->ls, t, L1, &err), 0);
        assert_true(layer_store_has(f->ls, L1));
        AUTOFREE char *diff = layer_store_diff_path(f->ls, L1);
        AUTOFREE char *hello = xasprintf("%s/hello", diff);
        assert_true(exists(hello));

        assert_int_equal(layer_tmp_new(f->ls, NULL, &t, &err), 0);
        AUTOFREE char *gone = xstrdup(t->path);
        layer_tmp_sync(t);
        assert_null(layer_tmp_discard(t));
        assert_false(exists(gone));
        assert_false(layer_store_has(f->ls, L2));
        assert_int_equal(testlib_count_entries(layers), 1);
}

/* The same layer twice (a concurrent pull): the first stays, the second is dropped. */
static void test_commit_twice_keeps_the_first(void **state) {
        struct fx *f = *state;
        open_vfs(f);
        make_layer(f, NULL, L1, "first");
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct layer_tmp *t = NULL;
        assert_int_equal(layer_tmp_new(f->ls, NULL, &t, &err), 0);
        layer_put(t->diff_fd, "second", "x");
        AUTOFREE char *tmp_path = xstrdup(t->path);
        assert_int_equal(layer_tmp_commit(f->ls, t, L1, &err), 0);
        assert_null(err);
        assert_false(exists(tmp_path));
        AUTOFREE char *diff = layer_store_diff_path(f->ls, L1);
        AUTOFREE char *first = xasprintf("%s/first", diff);
        AUTOFREE char *second = xasprintf("%s/second", diff);
        assert_true(exists(first));
        assert_false(exists(second));
}

/* vfs: a child layer starts as a copy of its parent. */
static void test_vfs_child_starts_from_parent(void **state) {
        struct fx *f = *state;
        open_vfs(f);
        make_layer(f, NULL, L1, "base-file");
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct layer_tmp *t = NULL;
        assert_int_equal(layer_tmp_new(f->ls, L1, &t, &err), 0);
        struct stat st;
        assert_int_equal(fstatat(t->diff_fd, "base-file", &st, 0), 0);
        layer_put(t->diff_fd, "child-file", "c");
        assert_int_equal(layer_tmp_commit(f->ls, t, L2, &err), 0);
        AUTOFREE char *diff1 = layer_store_diff_path(f->ls, L1);
        AUTOFREE char *child_in_parent = xasprintf("%s/child-file", diff1);
        assert_false(exists(child_in_parent)); /* a copy, not the parent itself */

        /* a parent that is not there: an error, and no temp dir left */
        int fds = testlib_count_fds();
        t = NULL;
        assert_int_equal(layer_tmp_new(f->ls, L3, &t, &err), -1);
        assert_null(t);
        AUTOFREE char *prefix = xasprintf("copy parent layer %s: cp ", L3);
        assert_memory_equal(err->msg, prefix, strlen(prefix));
        AUTOFREE char *tmpdir = in_root(f, "tmp");
        assert_int_equal(testlib_count_entries(tmpdir), 0);
        assert_int_equal(testlib_count_fds(), fds);
}

static void test_remove_and_gc(void **state) {
        struct fx *f = *state;
        open_vfs(f);
        make_layer(f, NULL, L1, "a");
        make_layer(f, NULL, L2, "b");
        make_layer(f, NULL, L3, "c");
        AUTOFREE char *hidden = in_root(f, "layers/.keep-me");
        assert_int_equal(mkdir(hidden, 0700), 0);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(layer_store_remove(f->ls, L3, &err), 0);
        assert_false(layer_store_has(f->ls, L3));
        assert_int_equal(layer_store_remove(f->ls, L3, &err), 0); /* missing is fine */
        make_layer(f, NULL, L3, "c");
        char *keep[] = {L2, NULL};
        int fds = testlib_count_fds();
        assert_int_equal(layer_store_gc(f->ls, keep, &err), 0);
        assert_int_equal(testlib_count_fds(), fds);
        assert_null(err);
        assert_false(layer_store_has(f->ls, L1));
        assert_true(layer_store_has(f->ls, L2));
        assert_false(layer_store_has(f->ls, L3));
        assert_true(exists(hidden)); /* not a layer: left alone */
        char *none[] = {NULL};
        assert_int_equal(layer_store_gc(f->ls, none, &err), 0);
        assert_false(layer_store_has(f->ls, L2));
}

static void test_gc_without_layers_dir(void **state) {
        struct fx *f = *state;
        open_vfs(f);
        AUTOFREE char *layers = in_root(f, "layers");
        assert_int_equal(rmdir(layers), 0);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        char *none[] = {NULL};
        assert_int_equal(layer_store_gc(f->ls, none, &err), -1);
        assert_int_equal(err->errno_value, ENOENT);
        AUTOFREE char *want = xasprintf("open %s: No such file or directory", layers);
        assert_string_equal(err->msg, want);
}

static void test_usage_counts_layers(void **state) {
        struct fx *f = *state;
        open_vfs(f);
        uint64_t bytes0 = 0, inodes0 = 0, bytes1 = 0, inodes1 = 0;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(layer_store_usage(f->ls, &bytes0, &inodes0, &err), 0);
        assert_true(inodes0 >= 3); /* the root, layers/ and tmp/ */
        struct layer_tmp *t = NULL;
        assert_int_equal(layer_tmp_new(f->ls, NULL, &t, &err), 0);
        AUTOFREE char *big = xmalloc(1 << 20);
        memset(big, 'x', 1 << 20);
        AUTOCLOSE int fd = openat(t->diff_fd, "big", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, big, 1 << 20), 1 << 20);
        assert_int_equal(fsync(fd), 0);
        assert_int_equal(layer_tmp_commit(f->ls, t, L1, &err), 0);
        assert_int_equal(layer_store_usage(f->ls, &bytes1, &inodes1, &err), 0);
        assert_int_equal(inodes1, inodes0 + 3); /* <hex>/, diff/, big */
        assert_true(bytes1 >= bytes0 + (1 << 20));
        assert_null(err);
}

int main(void) {
        log_set_level(LOG_LEVEL_ERROR); /* the store logs at info */
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_chain_id),
                cmocka_unit_test_setup_teardown(test_open_makes_the_tree_and_cleans_tmp, setup, teardown),
                cmocka_unit_test_setup_teardown(test_open_refuses_unknown_driver, setup, teardown),
                cmocka_unit_test_setup_teardown(test_open_overlay_or_fallback, setup, teardown),
                cmocka_unit_test_setup_teardown(test_driver_recorded, setup, teardown),
                cmocka_unit_test_setup_teardown(test_options, setup, teardown),
                cmocka_unit_test_setup_teardown(test_tmp_commit_and_discard, setup, teardown),
                cmocka_unit_test_setup_teardown(test_attach_adopt_commit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_synced_tmp_is_invisible_until_commit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_commit_twice_keeps_the_first, setup, teardown),
                cmocka_unit_test_setup_teardown(test_vfs_child_starts_from_parent, setup, teardown),
                cmocka_unit_test_setup_teardown(test_remove_and_gc, setup, teardown),
                cmocka_unit_test_setup_teardown(test_gc_without_layers_dir, setup, teardown),
                cmocka_unit_test_setup_teardown(test_usage_counts_layers, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
