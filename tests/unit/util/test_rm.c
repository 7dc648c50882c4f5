/* util/rm: recursive removal that follows no symlink and never leaves its file system. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/rm.h"
#include "util/xalloc.h"

static char *tmp;

static int setup(void **state) {
        (void) state;
        tmp = testlib_tmpdir("rm");
        return 0;
}

/* testlib_rmtree also copes with what test_read_only_dirs leaves to a non-root user. */
static int teardown(void **state) {
        (void) state;
        int r = testlib_rmtree(tmp);
        free(tmp);
        return r;
}

static char *at(const char *rel) {
        return xasprintf("%s/%s", tmp, rel);
}

static void mk(const char *rel) {
        AUTOFREE char *p = at(rel);
        assert_int_equal(mkdir(p, 0755), 0);
}

static void put(const char *rel) {
        AUTOFREE char *p = at(rel);
        AUTOCLOSE int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "x", 1), 1);
}

static void ln(const char *target, const char *rel) {
        AUTOFREE char *p = at(rel);
        assert_int_equal(symlink(target, p), 0);
}

static bool exists(const char *rel) {
        AUTOFREE char *p = at(rel);
        struct stat st;
        return lstat(p, &st) == 0;
}

/* rm_rf that must succeed without leaking a descriptor. */
static void rm_ok(const char *rel) {
        AUTOFREE char *p = at(rel);
        int fds = testlib_count_fds();
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (rm_rf(p, &err) < 0)
                fail_msg("rm_rf %s: %s", p, err->msg);
        assert_null(err);
        assert_int_equal(testlib_count_fds(), fds);
        assert_false(exists(rel));
}

static void test_missing_is_no_error(void **state) {
        (void) state;
        rm_ok("missing");
        AUTOFREE char *p = at("missing/below");
        assert_int_equal(rm_rf(p, NULL), 0);
}

static void test_file_and_empty_dir(void **state) {
        (void) state;
        put("f");
        rm_ok("f");
        mk("d");
        rm_ok("d");
}

static void test_nested_tree(void **state) {
        (void) state;
        mk("outside");
        put("outside/keep");
        mk("t");
        mk("t/a");
        mk("t/a/b");
        mk("t/a/b/c");
        mk("t/empty");
        put("t/.hidden");
        put("t/a/f1");
        put("t/a/b/f2");
        put("t/a/b/c/f3");
        AUTOFREE char *fifo = at("t/a/fifo");
        assert_int_equal(mkfifo(fifo, 0600), 0);
        ln("../outside", "t/a/to_outside");        /* a symlink to a directory: not followed */
        ln(tmp, "t/a/b/to_tmp_abs");               /* absolute, to an ancestor */
        ln("/nonexistent/dangling", "t/dangling"); /* dangling */
        ln("b", "t/a/to_b");                       /* inside the tree */
        rm_ok("t");
        assert_true(exists("outside/keep"));
        assert_true(exists("outside"));
}

static void test_symlink_at_the_top(void **state) {
        (void) state;
        mk("dir");
        put("dir/keep");
        ln("dir", "link");
        rm_ok("link");
        assert_true(exists("dir/keep"));
}

static void test_deep_tree(void **state) {
        (void) state;
        char rel[4096] = "deep";
        mk(rel);
        for (int i = 0; i < 200; i++) {
                strcat(rel, "/d");
                mk(rel);
        }
        strcat(rel, "/file");
        put(rel);
        rm_ok("deep");
}

static void test_rm_rf_at(void **state) {
        (void) state;
        mk("base");
        mk("base/sub");
        put("base/sub/f");
        AUTOFREE char *base = at("base");
        AUTOCLOSE int dfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dfd >= 0);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(rm_rf_at(dfd, "sub", &err), 0);
        assert_int_equal(rm_rf_at(dfd, "sub", &err), 0); /* gone already */
        assert_null(err);
        assert_false(exists("base/sub"));
        assert_true(exists("base"));
}

/* Directories without write permission: root removes what is in them (the daemon's
 * case); anyone else gets an error naming the entry, and the rest stays. */
static void test_read_only_dirs(void **state) {
        (void) state;
        mk("ro");
        mk("ro/a");
        put("ro/a/f");
        mk("ro/locked");
        put("ro/locked/g");
        AUTOFREE char *a = at("ro/a");
        AUTOFREE char *locked = at("ro/locked");
        assert_int_equal(chmod(a, 0555), 0);
        assert_int_equal(chmod(locked, 0), 0);
        if (geteuid() == 0) {
                rm_ok("ro");
                return;
        }
        int fds = testlib_count_fds();
        AUTOFREE char *p = at("ro");
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(rm_rf(p, &err), -1);
        assert_int_equal(err->errno_value, EACCES);
        AUTOFREE char *prefix = xasprintf("remove %s: ", p);
        assert_memory_equal(err->msg, prefix, strlen(prefix));
        assert_int_equal(testlib_count_fds(), fds);
        assert_true(exists("ro"));
}

/* A mount point inside the tree is left alone, and so is everything under it. */
static void test_mount_point_is_not_crossed(void **state) {
        (void) state;
        if (geteuid() != 0) {
                print_message("skipping: mounting needs root\n");
                skip();
                return;
        }
        /* a mount namespace of our own: nothing outlives the test process */
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                print_message("skipping: no mount namespace (%s)\n", strerror(errno));
                skip();
                return;
        }
        mk("m");
        mk("m/before");
        put("m/before/f");
        mk("m/mnt");
        AUTOFREE char *mnt = at("m/mnt");
        if (mount("tmpfs", mnt, "tmpfs", 0, "size=1m") < 0) {
                print_message("skipping: cannot mount tmpfs (%s)\n", strerror(errno));
                skip();
                return;
        }
        put("m/mnt/precious");
        AUTOFREE char *m = at("m");
        int fds = testlib_count_fds();
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(rm_rf(m, &err), -1);
        AUTOFREE char *want = xasprintf("remove %s: mnt is a mount point, not removing it", m);
        assert_string_equal(err->msg, want);
        assert_int_equal(testlib_count_fds(), fds);
        assert_true(exists("m/mnt/precious"));
        assert_int_equal(umount2(mnt, MNT_DETACH), 0);
        rm_ok("m");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_missing_is_no_error, setup, teardown),
                cmocka_unit_test_setup_teardown(test_file_and_empty_dir, setup, teardown),
                cmocka_unit_test_setup_teardown(test_nested_tree, setup, teardown),
                cmocka_unit_test_setup_teardown(test_symlink_at_the_top, setup, teardown),
                cmocka_unit_test_setup_teardown(test_deep_tree, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rm_rf_at, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_only_dirs, setup, teardown),
                cmocka_unit_test_setup_teardown(test_mount_point_is_not_crossed, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
