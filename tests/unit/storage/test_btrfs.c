/* The btrfs driver on a real btrfs: a file-backed image made with mkfs.btrfs and
 * loop-mounted for the group (root and btrfs-progs needed; skips without them). Each
 * case opens its own store in a fresh directory of that file system. The size parser
 * runs everywhere. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer_helpers.h"
#include "storage/driver.h"
#include "storage/storage.h"
#include "testlib.h"
#include "util/btrfs.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/rm.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define L1    "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define L2    "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define L3    "sha256:3333333333333333333333333333333333333333333333333333333333333333"
#define CTR_A "aaaa000000000000000000000000000000000000000000000000000000000001"

static struct {
        char *base;   /* temp dir on the host's file system: the image and the mount point */
        char *mnt;    /* the btrfs */
        char *reason; /* why the btrfs cases skip, or NULL */
        unsigned n;   /* stores made so far */
} g;

struct fx {
        char *root;
        char *target;
        struct layer_store *ls;
};

static int run(const char *cmd) {
        int r = system(cmd);
        return r == 0 ? 0 : -1;
}

static int group_setup(void **state) {
        (void) state;
        if (geteuid() != 0) {
                g.reason = xstrdup("needs root to mount a btrfs");
                return 0;
        }
        if (run("command -v mkfs.btrfs >/dev/null 2>&1") < 0) {
                g.reason = xstrdup("mkfs.btrfs not found (Debian's btrfs-progs)");
                return 0;
        }
        g.base = testlib_tmpdir("btrfs-test");
        g.mnt = xasprintf("%s/mnt", g.base);
        AUTOFREE char *cmd = xasprintf("truncate -s 256M %s/img && mkfs.btrfs -q -f %s/img >/dev/null && "
                                       "mkdir %s && mount -o loop %s/img %s",
                                       g.base, g.base, g.mnt, g.base, g.mnt);
        if (run(cmd) < 0)
                g.reason = xstrdup("mkfs.btrfs or the loop mount failed");
        return 0;
}

static int group_teardown(void **state) {
        (void) state;
        if (g.mnt)
                umount2(g.mnt, MNT_DETACH);
        int r = g.base ? testlib_rmtree(g.base) : 0;
        free(g.base);
        free(g.mnt);
        free(g.reason);
        return r;
}

static int setup(void **state) {
        struct fx *f = xzalloc(sizeof(*f));
        if (!g.reason) {
                f->root = xasprintf("%s/store%u", g.mnt, g.n);
                f->target = xasprintf("%s/target%u", g.mnt, g.n++);
                if (mkdir(f->target, 0755) < 0)
                        return -1;
        }
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fx *f = *state;
        if (f->target)
                while (umount2(f->target, MNT_DETACH) == 0)
                        ;
        layer_store_free(f->ls);
        free(f->root);
        free(f->target);
        free(f);
        return 0;
}

#define REQUIRE_BTRFS()                                                                                                \
        do {                                                                                                           \
                if (g.reason) {                                                                                        \
                        print_message("skipped: %s\n", g.reason);                                                      \
                        skip();                                                                                        \
                }                                                                                                      \
        } while (0)

static void open_store(struct fx *f, const char *driver, char *const *options) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (layer_store_open(f->root, driver, options, &f->ls, &err) < 0)
                fail_msg("open: %s", err->msg);
        assert_int_equal(layer_store_driver(f->ls), STORAGE_BTRFS);
}

static char *read_in(const char *dir, const char *name) {
        return testlib_try_read_file("%s/%s", dir, name);
}

/* the checksums see the files written after diff_fd was opened (btrfs lists through a
 * descriptor only what existed when it was opened) */
static void make_layer(struct fx *f, const char *parent, const char *chain, const char *file) {
        layer_make(f->ls, parent, chain, file, true);
}

/* Waits until what was last changed in the directory open as fd is older than a snapshot
 * taken now by more than the margin btrfs_created_at allows for the coarse clock: the
 * snapshot then tells it apart from what changes after. */
static void wait_older_than_margin(int fd) {
        struct stat st;
        assert_int_equal(fstat(fd, &st), 0);
        long long changed = (long long) st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec;
        for (;;) {
                struct timespec now;
                clock_gettime(CLOCK_REALTIME, &now);
                if ((long long) now.tv_sec * 1000000000LL + now.tv_nsec > changed + 50000000LL)
                        return;
                testlib_sleep_ms(5);
        }
}

static void wait_layer_older(struct fx *f, const char *chain) {
        AUTOFREE char *diff = layer_store_diff_path(f->ls, chain);
        AUTOCLOSE int fd = open(diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        wait_older_than_margin(fd);
}

static bool is_readonly(const char *path) {
        AUTOCLOSE int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_true(btrfs_is_subvol_at(AT_FDCWD, path));
        int r = btrfs_is_readonly(fd, NULL);
        assert_true(r >= 0);
        return r == 1;
}

/* "" on a btrfs root selects btrfs, and records it. */
static void test_auto_selects_btrfs(void **state) {
        REQUIRE_BTRFS();
        struct fx *f = *state;
        open_store(f, "", NULL);
        assert_int_equal(layer_store_whiteout_mode(f->ls), WHITEOUT_APPLY);
        AUTOFREE char *rec = read_in(f->root, "storage-driver");
        assert_string_equal(rec, "btrfs\n");
}

/* A store in use from before stores recorded their driver was made by the default of
 * then, overlay: "" keeps it, even on btrfs. */
static void test_auto_keeps_an_unrecorded_store_on_overlay(void **state) {
        REQUIRE_BTRFS();
        struct fx *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOFREE char *layer = xasprintf("%s/layers/%s/diff", f->root, &L1[7]);
        assert_int_equal(fs_mkdir_p(layer, 0700, &err), 0);
        assert_int_equal(layer_store_open(f->root, "", NULL, &f->ls, &err), 0);
        assert_int_equal(layer_store_driver(f->ls), STORAGE_OVERLAY); /* overlay mounts on btrfs */
        AUTOFREE char *rec = read_in(f->root, "storage-driver");
        assert_string_equal(rec, "overlay\n");
}

/* A base layer is a subvolume, a child a snapshot of it; committed ones are read-only;
 * remove, gc and discard get rid of read-only subvolumes. */
static void test_layers_are_snapshots(void **state) {
        REQUIRE_BTRFS();
        struct fx *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        open_store(f, "btrfs", NULL);
        make_layer(f, NULL, L1, "one");
        make_layer(f, L1, L2, "two");
        AUTOFREE char *d1 = layer_store_diff_path(f->ls, L1);
        AUTOFREE char *d2 = layer_store_diff_path(f->ls, L2);
        assert_true(is_readonly(d1));
        assert_true(is_readonly(d2));
        AUTOFREE char *problem = NULL;
        assert_int_equal(layer_store_verify(f->ls, L2, L2, true, &problem, &err), LAYER_VERIFY_OK);
        AUTOFREE char *one_in_2 = read_in(d2, "one");
        assert_string_equal(one_in_2, L1); /* the child starts from the parent's files */
        AUTOFREE char *two_in_1 = read_in(d1, "two");
        assert_null(two_in_1); /* and the parent never sees the child's */
        /* a read-only layer refuses writes */
        AUTOFREE char *p = xasprintf("%s/new", d1);
        assert_true(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644) < 0 && errno == EROFS);
        uint64_t bytes = 0, inodes = 0;
        assert_int_equal(layer_store_usage(f->ls, &bytes, &inodes, &err), 0);
        assert_true(inodes >= 6); /* layers/, 2 × (layer dir, diff, file): the walk enters subvolumes */
        /* a discarded temp layer goes, subvolume and all */
        struct layer_tmp *t = NULL;
        assert_int_equal(layer_tmp_new(f->ls, L2, &t, &err), 0);
        AUTOFREE char *tmp_path = xstrdup(t->path);
        layer_tmp_discard(t);
        struct stat st;
        assert_true(stat(tmp_path, &st) < 0 && errno == ENOENT);
        assert_int_equal(layer_store_remove(f->ls, L2, &err), 0);
        assert_false(layer_store_has(f->ls, L2));
        char *keep[] = {NULL};
        assert_int_equal(layer_store_gc(f->ls, keep, &err), 0);
        assert_false(layer_store_has(f->ls, L1));
}

static struct layer_tmp *tmp_with(struct fx *f, const struct layer_tmp *parent, const char *name, const char *text,
                                  const char *diff_id) {
        struct layer_tmp *t = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        int r = parent ? layer_tmp_new_from(f->ls, parent, &t, &err) : layer_tmp_new(f->ls, NULL, &t, &err);
        if (r < 0)
                fail_msg("tmp: %s", err->msg);
        layer_put(t->diff_fd, name, text);
        if (layer_tmp_record_sums(t, diff_id, &err) < 0)
                fail_msg("sums: %s", err->msg);
        return t;
}

/* A child made from its parent's temp layer (a pull's next layer, before any commit)
 * records checksums that reuse the parent's for the files the snapshot kept: shown by
 * a parent record with a wrong hash, which the child then carries, while the file the
 * child rewrote is hashed anew. */
static void test_child_checksums_reuse_the_parents(void **state) {
        REQUIRE_BTRFS();
        struct fx *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        open_store(f, "btrfs", NULL);
        struct layer_tmp *t1 = tmp_with(f, NULL, "a", "A", L1);
        layer_put(t1->diff_fd, "b", "B");
        assert_int_equal(layer_tmp_record_sums(t1, L1, &err), 0);
        wait_older_than_margin(t1->diff_fd);
        struct layer_tmp *t2 = tmp_with(f, t1, "b", "B2", L2);
        /* the parent's record, falsified for "a": a child taking it copies the lie */
        AUTOFREE char *sums = xasprintf("%s/checksums", t1->path);
        AUTOFREE char *text = testlib_read_file("%s", sums);
        char *line = strstr(text, " /a\n");
        assert_non_null(line);
        char *hash = line - 64;
        memset(hash, '0', 64);
        assert_int_equal(fs_write_file_atomic(sums, text, strlen(text), 0600, &err), 0);
        struct layer_tmp *t3 = tmp_with(f, t1, "c", "C", L3);
        assert_int_equal(layer_tmp_commit(f->ls, t1, L1, &err), 0);
        assert_int_equal(layer_tmp_commit(f->ls, t2, L2, &err), 0);
        assert_int_equal(layer_tmp_commit(f->ls, t3, L3, &err), 0);
        AUTOFREE char *problem = NULL;
        assert_int_equal(layer_store_verify(f->ls, L2, L2, true, &problem, &err), LAYER_VERIFY_OK);
        assert_int_equal(layer_store_verify(f->ls, L3, L3, true, &problem, &err), LAYER_VERIFY_DAMAGED);
        assert_contains(problem, "/a: content differs");
}

/* A container's root is a writable snapshot of the top layer; its usage counts what it
 * wrote, not the image; removing it leaves the layer alone. */
static void test_container_rootfs(void **state) {
        REQUIRE_BTRFS();
        struct fx *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        open_store(f, "btrfs", NULL);
        make_layer(f, NULL, L1, "one");
        wait_layer_older(f, L1);
        char *layers[] = {L1, NULL};
        if (rootfs_mount(f->ls, CTR_A, layers, f->target, &err) < 0)
                fail_msg("mount: %s", err->msg);
        AUTOFREE char *seen = read_in(f->target, "one");
        assert_string_equal(seen, L1);
        uint64_t before = 0, before_inodes = 0;
        assert_int_equal(rootfs_usage(f->ls, CTR_A, &before, &before_inodes, NULL, &err), 0);
        assert_int_equal(before_inodes, 1); /* nothing written yet: only the root, renamed into place */
        AUTOCLOSE int tfd = open(f->target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(tfd >= 0);
        static char block[65536];
        memset(block, 'x', sizeof(block));
        AUTOCLOSE int wfd = openat(tfd, "written", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_int_equal(write(wfd, block, sizeof(block)), (ssize_t) sizeof(block));
        assert_int_equal(fsync(wfd), 0);
        layer_put(tfd, "one", "changed");
        uint64_t bytes = 0, inodes = 0;
        AUTOFREE char *path = NULL;
        assert_int_equal(rootfs_usage(f->ls, CTR_A, &bytes, &inodes, &path, &err), 0);
        assert_true(bytes >= sizeof(block));
        assert_int_equal(inodes, 3); /* the root dir, written, one */
        assert_true(strstr(path, "/rootfs") != NULL);
        uint64_t all = 0, all_inodes = 0;
        AUTOFREE char *all_path = NULL;
        assert_int_equal(rootfs_all_usage(f->ls, &all, &all_inodes, &all_path, &err), 0);
        assert_int_equal(all_inodes, inodes);
        AUTOFREE char *d1 = layer_store_diff_path(f->ls, L1);
        AUTOFREE char *in_layer = read_in(d1, "one");
        assert_string_equal(in_layer, L1);
        /* a second mount (after a restart) reuses the snapshot */
        assert_int_equal(rootfs_unmount(f->target, &err), 0);
        assert_int_equal(rootfs_mount(f->ls, CTR_A, layers, f->target, &err), 0);
        AUTOFREE char *kept = read_in(f->target, "one");
        assert_string_equal(kept, "changed");
        assert_int_equal(rootfs_unmount(f->target, &err), 0);
        assert_int_equal(rootfs_remove(f->ls, CTR_A, &err), 0);
        AUTOFREE char *dir = xasprintf("%s/containers/" CTR_A, f->root);
        struct stat st;
        assert_true(stat(dir, &st) < 0 && errno == ENOENT);
        assert_true(layer_store_has(f->ls, L1));
}

/* What a crash between the snapshot and its rename leaves is replaced at the next
 * mount; what a crash leaves in tmp/ goes at the next open. */
static void test_crash_leftovers(void **state) {
        REQUIRE_BTRFS();
        struct fx *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        open_store(f, "btrfs", NULL);
        make_layer(f, NULL, L1, "one");
        AUTOFREE char *dir = xasprintf("%s/containers/" CTR_A, f->root);
        assert_int_equal(fs_mkdir_p(dir, 0700, &err), 0);
        AUTOCLOSE int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_int_equal(btrfs_subvol_create(dfd, "rootfs.tmp", &err), 0);
        struct layer_tmp *t = NULL;
        assert_int_equal(layer_tmp_new(f->ls, L1, &t, &err), 0);
        AUTOFREE char *tmp_path = xstrdup(t->path);
        close(t->diff_fd);
        free(t->parent_sums);
        free(t->path);
        free(t); /* "crash": the temp layer is left behind */
        char *layers[] = {L1, NULL};
        assert_int_equal(rootfs_mount(f->ls, CTR_A, layers, f->target, &err), 0);
        AUTOFREE char *seen = read_in(f->target, "one");
        assert_string_equal(seen, L1);
        f->ls = layer_store_free(f->ls);
        open_store(f, "", NULL);
        struct stat st;
        assert_true(stat(tmp_path, &st) < 0 && errno == ENOENT);
}

/* rm_rf takes nested subvolumes (a container may make its own) but never a mount. */
static void test_rm_rf_nested_subvolumes(void **state) {
        REQUIRE_BTRFS();
        struct fx *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOFREE char *top = xasprintf("%s.nest", f->root);
        assert_int_equal(mkdir(top, 0755), 0);
        AUTOCLOSE int tfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_int_equal(btrfs_subvol_create(tfd, "a", &err), 0);
        AUTOCLOSE int afd = openat(tfd, "a", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_int_equal(btrfs_subvol_create(afd, "b", &err), 0);
        layer_put(afd, "file", "x");
        AUTOCLOSE int bfd = openat(afd, "b", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        layer_put(bfd, "file", "y");
        assert_int_equal(btrfs_set_readonly(bfd, &err), 0);
        /* a mounted subvolume inside is refused, not destroyed */
        AUTOFREE char *m = xasprintf("%s/a/m", top);
        assert_int_equal(mkdir(m, 0755), 0);
        AUTOFREE char *b = xasprintf("%s/a/b", top);
        assert_int_equal(mount(b, m, NULL, MS_BIND, NULL), 0);
        assert_int_equal(rm_rf(top, &err), -1);
        assert_contains(err->msg, "mount point");
        err = cric_error_free(err);
        assert_int_equal(umount2(m, 0), 0);
        assert_int_equal(rm_rf(top, &err), 0);
        struct stat st;
        assert_true(stat(top, &st) < 0 && errno == ENOENT);
}

/* btrfs.size becomes a qgroup limit on each container's snapshot once quotas are on;
 * without them the store warns and goes on without a limit. Runs last: it turns quotas
 * on for the whole file system. */
static void test_size_quota(void **state) {
        REQUIRE_BTRFS();
        struct fx *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        char *opts[] = {"btrfs.size=1M", NULL};
        struct testlib_capture cap;
        testlib_capture_stderr(&cap);
        open_store(f, "btrfs", opts);
        AUTOFREE char *log = testlib_capture_end(&cap);
        assert_contains(log, "quotas are not enabled");
        assert_int_equal(layer_store_btrfs_quota(f->ls), 0);
        f->ls = layer_store_free(f->ls);
        AUTOFREE char *cmd = xasprintf("btrfs quota enable %s", g.mnt);
        assert_int_equal(run(cmd), 0);
        open_store(f, "btrfs", opts);
        assert_int_equal(layer_store_btrfs_quota(f->ls), 1024 * 1024);
        make_layer(f, NULL, L1, "one");
        char *layers[] = {L1, NULL};
        assert_int_equal(rootfs_mount(f->ls, CTR_A, layers, f->target, &err), 0);
        AUTOFREE char *big = xasprintf("%s/big", f->target);
        AUTOCLOSE int fd = open(big, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        static char block[65536];
        int e = 0;
        for (int i = 0; i < 64 && !e; i++) /* 4 MiB */
                if (write(fd, block, sizeof(block)) < 0 || fsync(fd) < 0)
                        e = errno;
        assert_int_equal(e, EDQUOT);
}

static void test_parse_size(void **state) {
        (void) state;
        assert_int_equal(storage_parse_size("4096"), 4096);
        assert_int_equal(storage_parse_size("10k"), 10240);
        assert_int_equal(storage_parse_size("10G"), 10ULL << 30);
        assert_int_equal(storage_parse_size("10GB"), 10ULL << 30);
        assert_int_equal(storage_parse_size("10gib"), 10ULL << 30);
        assert_int_equal(storage_parse_size("1T"), 1ULL << 40);
        assert_int_equal(storage_parse_size(""), 0);
        assert_int_equal(storage_parse_size("0"), 0);
        assert_int_equal(storage_parse_size("-1G"), 0);
        assert_int_equal(storage_parse_size("10X"), 0);
        assert_int_equal(storage_parse_size("10Gx"), 0);
        assert_int_equal(storage_parse_size("99999999999999999999"), 0);
        assert_int_equal(storage_parse_size("17179869184P"), 0); /* overflows */
        struct storage_opts o;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        char *good[] = {"btrfs.size=2M", "overlay.mountopt=nodev", NULL};
        assert_int_equal(storage_opts_parse(good, STORAGE_BTRFS, &o, &err), 0);
        assert_int_equal(o.btrfs_size, 2 << 20);
        char *bad_size[] = {"btrfs.size=lots", NULL};
        assert_contains(testlib_error_is(storage_opts_parse(bad_size, STORAGE_BTRFS, &o, &err), &err, CRIC_E_INVALID),
                        "\"lots\" is not a size");
        err = cric_error_free(err);
        char *bad_key[] = {"btrfs.min_space=1G", NULL};
        assert_contains(testlib_error_is(storage_opts_parse(bad_key, STORAGE_BTRFS, &o, &err), &err, CRIC_E_INVALID),
                        "unknown option of the btrfs driver");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_size),
                cmocka_unit_test_setup_teardown(test_auto_selects_btrfs, setup, teardown),
                cmocka_unit_test_setup_teardown(test_auto_keeps_an_unrecorded_store_on_overlay, setup, teardown),
                cmocka_unit_test_setup_teardown(test_layers_are_snapshots, setup, teardown),
                cmocka_unit_test_setup_teardown(test_child_checksums_reuse_the_parents, setup, teardown),
                cmocka_unit_test_setup_teardown(test_container_rootfs, setup, teardown),
                cmocka_unit_test_setup_teardown(test_crash_leftovers, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rm_rf_nested_subvolumes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_size_quota, setup, teardown),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
