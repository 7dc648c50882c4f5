/* Container root file systems: layers are built by hand in a layer store under a fresh
 * temp dir, mounted with rootfs_mount at targets beside it, and checked through both the
 * mount and the container's own directory. Mounting needs root: every case skips
 * without it, and the overlay cases skip when overlay cannot mount on /tmp. */
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
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "storage/storage.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define CTR_A "aaaa000000000000000000000000000000000000000000000000000000000001"
#define CTR_B "bbbb000000000000000000000000000000000000000000000000000000000002"

struct fx {
        char *base; /* the temp dir */
        char *root; /* the layer store */
        struct layer_store *ls;
        char **targets; /* mounted by the test; unmounted by teardown whatever happened */
};

static int setup(void **state) {
        struct fx *f = xzalloc(sizeof(*f));
        f->base = testlib_tmpdir("rootfs-test");
        f->root = xasprintf("%s/store", f->base);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fx *f = *state;
        /* Unmount first: removing through a live overlay would reach into the layers. */
        for (size_t i = 0; f->targets && f->targets[i]; i++)
                while (umount2(f->targets[i], MNT_DETACH) == 0)
                        ;
        strv_free(f->targets);
        layer_store_free(f->ls);
        int r = testlib_rmtree(f->base);
        free(f->base);
        free(f->root);
        free(f);
        return r;
}

/* Opens the store (root only); an "overlay" store that fell back to vfs skips the test. */
static void open_store(struct fx *f, const char *driver) {
        REQUIRE_ROOT("to mount layers");
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(layer_store_open(f->root, driver, NULL, &f->ls, &err), 0);
        if (!strcmp(driver, "overlay") && layer_store_driver(f->ls) != STORAGE_OVERLAY) {
                print_message("skipped: overlay does not mount under %s\n", f->base);
                skip();
        }
}

/* A fresh empty directory beside the store to mount onto. */
static char *new_target(struct fx *f, const char *name) {
        char *t = xasprintf("%s/%s", f->base, name);
        assert_int_equal(mkdir(t, 0755), 0);
        return t;
}

static void mount_ok(struct fx *f, const char *id, char *const *layers, const char *target) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        int r = rootfs_mount(f->ls, id, layers, target, &err);
        if (r < 0)
                print_error("rootfs_mount: %s\n", err->msg);
        assert_int_equal(r, 0);
        strv_push(&f->targets, target);
}

static void chain_of(unsigned i, char out[80]) {
        snprintf(out, 80, "sha256:%064x", i + 1);
}

static void write_at(int dfd, const char *name, const char *content) {
        AUTOCLOSE int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(fs_write_all(fd, content, strlen(content)), 0);
}

/* Each layer is a list of "name=content" files ("dir/" makes a directory). */
static void make_layer(struct fx *f, const char *parent, const char *chain, const char *const *files) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct layer_tmp *tmp = NULL;
        assert_int_equal(layer_tmp_new(f->ls, parent, &tmp, &err), 0);
        for (size_t i = 0; files && files[i]; i++) {
                const char *eq = strchr(files[i], '=');
                AUTOFREE char *name = eq ? xstrndup(files[i], (size_t) (eq - files[i])) : xstrdup(files[i]);
                size_t len = strlen(name);
                if (name[len - 1] == '/') {
                        name[len - 1] = '\0';
                        assert_int_equal(mkdirat(tmp->diff_fd, name, 0755), 0);
                } else {
                        write_at(tmp->diff_fd, name, eq ? eq + 1 : "");
                }
        }
        assert_int_equal(layer_tmp_commit(f->ls, tmp, chain, &err), 0);
}

/* Layers 0..n-1: layer i holds "f<i>" and overwrites "which" with i. Returns the chain
 * ids, base first. */
static char **make_stack(struct fx *f, unsigned n) {
        char **chains = NULL;
        for (unsigned i = 0; i < n; i++) {
                char chain[80], fname[32], which[32];
                chain_of(i, chain);
                snprintf(fname, sizeof(fname), "f%u=%u", i, i);
                snprintf(which, sizeof(which), "which=%u", i);
                const char *files[] = {fname, which, NULL};
                make_layer(f, i ? chains[i - 1] : NULL, chain, files);
                strv_push(&chains, chain);
        }
        return chains;
}

static void assert_file(const char *dir, const char *name, const char *want) {
        AUTOFREE char *got = testlib_try_read_file("%s/%s", dir, name);
        if (!got)
                print_error("%s/%s is missing\n", dir, name);
        assert_non_null(got);
        assert_string_equal(got, want);
}

static bool exists(const char *dir, const char *name) {
        AUTOFREE char *p = xasprintf("%s/%s", dir, name);
        struct stat st;
        return lstat(p, &st) == 0;
}

static void write_file(const char *dir, const char *name, const char *content) {
        AUTOCLOSE int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dfd >= 0);
        write_at(dfd, name, content);
}

static char *ctr_path(struct fx *f, const char *id, const char *sub) {
        return xasprintf("%s/containers/%s/%s", f->root, id, sub);
}

static void check_stack(const char *target, unsigned n) {
        for (unsigned i = 0; i < n; i++) {
                char name[32], want[32];
                snprintf(name, sizeof(name), "f%u", i);
                snprintf(want, sizeof(want), "%u", i);
                assert_file(target, name, want);
        }
        char top[32];
        snprintf(top, sizeof(top), "%u", n - 1);
        assert_file(target, "which", top); /* the top layer wins: lower dirs go top first */
}

/* ---- overlay ---- */

static void test_overlay_no_layers(void **state) {
        struct fx *f = *state;
        open_store(f, "overlay");
        AUTOFREE char *target = new_target(f, "mnt");
        mount_ok(f, CTR_A, NULL, target);
        CLEANUP(strv_freep) char **names = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(fs_list_dir(target, NULL, false, &names, &err), 0);
        assert_null(names[0]);
        write_file(target, "new", "hello");
        AUTOFREE char *upper = ctr_path(f, CTR_A, "upper");
        AUTOFREE char *lower = ctr_path(f, CTR_A, "lower");
        assert_file(upper, "new", "hello");
        assert_false(exists(lower, "new"));
        struct stat st;
        assert_int_equal(stat(target, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0755);
}

static void test_overlay_one_layer(void **state) {
        struct fx *f = *state;
        open_store(f, "overlay");
        char chain[80];
        chain_of(0, chain);
        const char *files[] = {"etc/", "etc/hostname=base", "keep=k", NULL};
        make_layer(f, NULL, chain, files);
        AUTOFREE char *diff = layer_store_diff_path(f->ls, chain);
        assert_int_equal(chmod(diff, 0750), 0);
        char *layers[] = {chain, NULL};
        AUTOFREE char *target = new_target(f, "mnt");
        mount_ok(f, CTR_A, layers, target);

        assert_file(target, "etc/hostname", "base");
        assert_file(target, "keep", "k");
        struct stat st;
        assert_int_equal(stat(target, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0750); /* "/" looks like the image's root */

        /* New and changed files land in upper/; the layer never changes. */
        write_file(target, "new", "n");
        write_file(target, "etc/hostname", "changed");
        AUTOFREE char *upper = ctr_path(f, CTR_A, "upper");
        assert_file(upper, "new", "n");
        assert_file(upper, "etc/hostname", "changed");
        assert_file(target, "etc/hostname", "changed");
        assert_file(diff, "etc/hostname", "base");
        assert_false(exists(diff, "new"));
        assert_false(exists(upper, "keep"));

        /* A deletion is a whiteout in upper/, again leaving the layer alone. */
        AUTOFREE char *keep = xasprintf("%s/keep", target);
        assert_int_equal(unlink(keep), 0);
        assert_false(exists(target, "keep"));
        assert_file(diff, "keep", "k");
        AUTOFREE char *wh = xasprintf("%s/keep", upper);
        assert_int_equal(lstat(wh, &st), 0);
        assert_true(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
}

static void test_overlay_three_layers(void **state) {
        struct fx *f = *state;
        open_store(f, "overlay");
        CLEANUP(strv_freep) char **chains = make_stack(f, 3);
        AUTOFREE char *target = new_target(f, "mnt");
        mount_ok(f, CTR_A, chains, target);
        check_stack(target, 3);
        AUTOFREE char *links = ctr_path(f, CTR_A, "l");
        AUTOFREE char *link0 = xasprintf("%s/0", links);
        char to[256] = {0};
        assert_true(readlink(link0, to, sizeof(to) - 1) > 0);
        AUTOFREE char *want = xasprintf("../../../layers/%s/diff", chains[2] + strlen("sha256:"));
        assert_string_equal(to, want);
}

/* 60 layers: with absolute lowerdir paths the option string would not fit in a page. */
static void test_overlay_sixty_layers(void **state) {
        struct fx *f = *state;
        open_store(f, "overlay");
        size_t absolute = 60 * (strlen(f->root) + strlen("/layers/") + 64 + strlen("/diff:"));
        assert_true(absolute > 4096);
        CLEANUP(strv_freep) char **chains = make_stack(f, 60);
        AUTOFREE char *target = new_target(f, "mnt");
        mount_ok(f, CTR_A, chains, target);
        check_stack(target, 60);
        write_file(target, "f0", "mine");
        AUTOFREE char *upper = ctr_path(f, CTR_A, "upper");
        assert_file(upper, "f0", "mine");
        AUTOFREE char *base = layer_store_diff_path(f->ls, chains[0]);
        assert_file(base, "f0", "0");
}

/* The overlay options of the mount at target, from mountinfo. */
static char *mount_options_of(const char *target) {
        AUTOFREE char *mi = testlib_read_file("/proc/self/mountinfo");
        AUTOFREE char *needle = xasprintf(" %s ", target);
        char *line = strstr(mi, needle);
        assert_non_null(line);
        char *opts = strstr(line, " - overlay overlay ");
        assert_non_null(opts);
        opts += strlen(" - overlay overlay ");
        return xstrndup(opts, strcspn(opts, "\n"));
}

/* Up to ~180 layers the daemon mounts itself, through /proc/self/fd/<dir>; beyond, the
 * paths no longer fit a page and a forked child mounts from inside l/ (500 at most). */
static void test_overlay_mount_in_process_or_from_l(void **state) {
        struct fx *f = *state;
        open_store(f, "overlay");
        CLEANUP(strv_freep) char **few = make_stack(f, 60);
        AUTOFREE char *t1 = new_target(f, "few");
        mount_ok(f, CTR_A, few, t1);
        AUTOFREE char *o1 = mount_options_of(t1);
        assert_non_null(strstr(o1, "lowerdir=/proc/self/fd/"));
        CLEANUP(strv_freep) char **many = make_stack(f, 250);
        AUTOFREE char *t2 = new_target(f, "many");
        mount_ok(f, CTR_B, many, t2);
        check_stack(t2, 250);
        AUTOFREE char *o2 = mount_options_of(t2);
        assert_non_null(strstr(o2, "lowerdir=0:1:2:"));
        assert_non_null(strstr(o2, "upperdir=../upper"));
}

static void test_overlay_remount_keeps_upper(void **state) {
        struct fx *f = *state;
        open_store(f, "overlay");
        CLEANUP(strv_freep) char **chains = make_stack(f, 2);
        AUTOFREE char *target = new_target(f, "mnt");
        mount_ok(f, CTR_A, chains, target);
        write_file(target, "state", "1");
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(rootfs_unmount(target, &err), 0);
        assert_false(exists(target, "state"));
        mount_ok(f, CTR_A, chains, target);
        assert_file(target, "state", "1");
        check_stack(target, 2);
}

static void test_missing_layer(void **state) {
        struct fx *f = *state;
        open_store(f, "overlay");
        CLEANUP(strv_freep) char **chains = make_stack(f, 1);
        char missing[80];
        chain_of(7, missing);
        strv_push(&chains, missing);
        AUTOFREE char *target = new_target(f, "mnt");
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(rootfs_mount(f->ls, CTR_A, chains, target, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        assert_non_null(strstr(err->msg, missing));
        assert_false(exists(f->root, "containers/" CTR_A));
}

static void test_invalid_ids(void **state) {
        struct fx *f = *state;
        open_store(f, "overlay");
        AUTOFREE char *target = new_target(f, "mnt");
        const char *bad[] = {"", ".", "..", "../x", "a/b"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                assert_int_equal(rootfs_mount(f->ls, bad[i], NULL, target, &err), -1);
                assert_int_equal(err->kind, CRIC_E_INVALID);
                cric_error_freep(&err);
                assert_int_equal(rootfs_remove(f->ls, bad[i], &err), -1);
                assert_int_equal(err->kind, CRIC_E_INVALID);
        }
}

/* ---- usage ---- */

static uint64_t blocks_of(const char *dir, const char *name) {
        AUTOFREE char *p = name ? xasprintf("%s/%s", dir, name) : xstrdup(dir);
        struct stat st;
        assert_int_equal(lstat(p, &st), 0);
        return (uint64_t) st.st_blocks * 512;
}

static void test_usage(void **state) {
        struct fx *f = *state;
        open_store(f, "overlay");
        CLEANUP(strv_freep) char **chains = make_stack(f, 2);
        AUTOFREE char *target = new_target(f, "mnt");
        mount_ok(f, CTR_A, chains, target);
        uint64_t bytes = 0, inodes = 0;
        AUTOFREE char *path = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(rootfs_usage(f->ls, CTR_A, &bytes, &inodes, &path, &err), 0);
        AUTOFREE char *upper = ctr_path(f, CTR_A, "upper");
        assert_string_equal(path, upper);
        assert_int_equal(inodes, 1); /* upper/ itself: the layers do not count */
        assert_int_equal(bytes, blocks_of(upper, NULL));

        AUTOFREE char *big = xmalloc(100001);
        memset(big, 'x', 100000);
        big[100000] = '\0';
        write_file(target, "big", big);
        AUTOFREE char *big_path = xasprintf("%s/big", target);
        AUTOFREE char *link_path = xasprintf("%s/big-link", target);
        assert_int_equal(link(big_path, link_path), 0);
        AUTOFREE char *sub = xasprintf("%s/dir", target);
        assert_int_equal(mkdir(sub, 0755), 0);
        write_file(sub, "small", "s");

        assert_int_equal(rootfs_usage(f->ls, CTR_A, &bytes, &inodes, NULL, &err), 0);
        assert_int_equal(inodes, 4); /* upper, big (two names, one inode), dir, dir/small */
        uint64_t want = blocks_of(upper, NULL) + blocks_of(upper, "big") + blocks_of(upper, "dir") +
                        blocks_of(upper, "dir/small");
        assert_int_equal(bytes, want);
        assert_true(bytes >= 100000);
}

static void test_usage_missing(void **state) {
        struct fx *f = *state;
        open_store(f, "overlay");
        uint64_t bytes = 7, inodes = 7;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(rootfs_usage(f->ls, CTR_A, &bytes, &inodes, NULL, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        assert_int_equal(bytes, 7);
}

/* ImageFsInfo's two file systems: what a container writes counts for the containers'
 * layers and not for the images'. */
static void test_all_usage_apart_from_images(void **state) {
        struct fx *f = *state;
        open_store(f, "overlay");
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        uint64_t bytes0 = 0, inodes0 = 0, img0 = 0, img_inodes0 = 0;
        AUTOFREE char *path = NULL;
        assert_int_equal(rootfs_all_usage(f->ls, &bytes0, &inodes0, &path, &err), 0);
        AUTOFREE char *want_path = xasprintf("%s/containers", layer_store_root(f->ls));
        assert_string_equal(path, want_path);
        assert_int_equal(inodes0, 1); /* containers/ itself, made when the store opened */

        CLEANUP(strv_freep) char **chains = make_stack(f, 1);
        AUTOFREE char *target = new_target(f, "mnt");
        mount_ok(f, CTR_A, chains, target);
        assert_int_equal(layer_store_usage(f->ls, &img0, &img_inodes0, &err), 0);
        AUTOFREE char *big = xmalloc(200001);
        memset(big, 'x', 200000);
        big[200000] = '\0';
        write_file(target, "big", big);

        uint64_t bytes = 0, inodes = 0, img = 0, img_inodes = 0;
        AUTOFREE char *path2 = NULL;
        assert_int_equal(rootfs_all_usage(f->ls, &bytes, &inodes, &path2, &err), 0);
        assert_true(bytes >= bytes0 + 200000);
        assert_true(inodes > inodes0 + 1);
        assert_int_equal(layer_store_usage(f->ls, &img, &img_inodes, &err), 0);
        assert_int_equal(img, img0);
        assert_int_equal(img_inodes, img_inodes0);
}

/* ---- unmount, remove, list ---- */

static void test_unmount(void **state) {
        struct fx *f = *state;
        open_store(f, "overlay");
        CLEANUP(strv_freep) char **chains = make_stack(f, 1);
        AUTOFREE char *target = new_target(f, "mnt");
        mount_ok(f, CTR_A, chains, target);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;

        /* Busy (an open file inside): detached instead. */
        AUTOFREE char *inside = xasprintf("%s/f0", target);
        int fd = open(inside, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(rootfs_unmount(target, &err), 0);
        assert_false(exists(target, "f0"));
        char c;
        assert_int_equal(read(fd, &c, 1), 1); /* the detached mount lives on for the fd */
        close(fd);

        assert_int_equal(rootfs_unmount(target, &err), 0); /* not mounted */
        AUTOFREE char *gone = xasprintf("%s/nonexistent", f->base);
        assert_int_equal(rootfs_unmount(gone, &err), 0);

        /* Mounted twice by accident: both go. */
        mount_ok(f, CTR_A, chains, target);
        mount_ok(f, CTR_A, chains, target);
        assert_int_equal(rootfs_unmount(target, &err), 0);
        assert_false(exists(target, "f0"));
        assert_int_equal(umount2(target, 0), -1);
        assert_int_equal(errno, EINVAL);
}

static void test_remove_and_list(void **state) {
        struct fx *f = *state;
        open_store(f, "overlay");
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        CLEANUP(strv_freep) char **ids = NULL;
        assert_int_equal(rootfs_list(f->ls, &ids, &err), 0); /* no containers/ yet */
        assert_non_null(ids);
        assert_null(ids[0]);
        ids = strv_free(ids);

        CLEANUP(strv_freep) char **chains = make_stack(f, 1);
        AUTOFREE char *ta = new_target(f, "mnt-a");
        AUTOFREE char *tb = new_target(f, "mnt-b");
        mount_ok(f, CTR_B, chains, tb);
        mount_ok(f, CTR_A, chains, ta);
        AUTOFREE char *stray = xasprintf("%s/containers", f->root);
        write_file(stray, "stray-file", "x");
        assert_int_equal(rootfs_list(f->ls, &ids, &err), 0);
        assert_int_equal(strv_length(ids), 2);
        assert_string_equal(ids[0], CTR_A);
        assert_string_equal(ids[1], CTR_B);
        ids = strv_free(ids);

        assert_int_equal(rootfs_unmount(ta, &err), 0);
        assert_int_equal(rootfs_remove(f->ls, CTR_A, &err), 0);
        assert_false(exists(f->root, "containers/" CTR_A));
        assert_int_equal(rootfs_remove(f->ls, CTR_A, &err), 0); /* missing is fine */
        assert_int_equal(rootfs_list(f->ls, &ids, &err), 0);
        assert_int_equal(strv_length(ids), 1);
        assert_string_equal(ids[0], CTR_B);
        /* The layer is still whole for the other container. */
        assert_file(tb, "f0", "0");
        AUTOFREE char *diff = layer_store_diff_path(f->ls, chains[0]);
        assert_file(diff, "f0", "0");
}

/* ---- vfs ---- */

static void test_vfs(void **state) {
        struct fx *f = *state;
        open_store(f, "vfs");
        assert_int_equal(layer_store_driver(f->ls), STORAGE_VFS);
        CLEANUP(strv_freep) char **chains = make_stack(f, 3);
        /* Things a plain copy would lose, in the top layer. */
        AUTOFREE char *top = layer_store_diff_path(f->ls, chains[2]);
        AUTOFREE char *a = xasprintf("%s/f2", top);
        AUTOFREE char *hl = xasprintf("%s/hard", top);
        AUTOFREE char *fifo = xasprintf("%s/fifo", top);
        AUTOFREE char *sl = xasprintf("%s/sym", top);
        assert_int_equal(link(a, hl), 0);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        assert_int_equal(symlink("f2", sl), 0);
        assert_int_equal(chown(a, 1234, 5678), 0);
        assert_int_equal(chmod(a, 04711), 0);
        assert_int_equal(setxattr(a, "trusted.cric", "v", 1, 0), 0);
        assert_int_equal(chmod(top, 0710), 0);

        AUTOFREE char *target = new_target(f, "mnt");
        mount_ok(f, CTR_A, chains, target);
        check_stack(target, 3);
        AUTOFREE char *rootfs = ctr_path(f, CTR_A, "rootfs");
        struct stat st, st2;
        AUTOFREE char *ra = xasprintf("%s/f2", rootfs);
        AUTOFREE char *rh = xasprintf("%s/hard", rootfs);
        assert_int_equal(lstat(ra, &st), 0);
        assert_int_equal(lstat(rh, &st2), 0);
        assert_int_equal(st.st_ino, st2.st_ino);
        assert_int_equal(st.st_uid, 1234);
        assert_int_equal(st.st_gid, 5678);
        assert_int_equal(st.st_mode & 07777, 04711);
        char v[8] = {0};
        assert_int_equal(getxattr(ra, "trusted.cric", v, sizeof(v)), 1);
        assert_string_equal(v, "v");
        AUTOFREE char *rf = xasprintf("%s/fifo", rootfs);
        assert_int_equal(lstat(rf, &st), 0);
        assert_true(S_ISFIFO(st.st_mode));
        AUTOFREE char *rs = xasprintf("%s/sym", rootfs);
        assert_int_equal(lstat(rs, &st), 0);
        assert_true(S_ISLNK(st.st_mode));
        assert_int_equal(stat(target, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0710);

        /* Writes go to the container's copy, never the layer. */
        write_file(target, "new", "n");
        assert_file(rootfs, "new", "n");
        assert_false(exists(top, "new"));

        uint64_t bytes = 0, inodes = 0;
        AUTOFREE char *path = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(rootfs_usage(f->ls, CTR_A, &bytes, &inodes, &path, &err), 0);
        assert_string_equal(path, rootfs);
        /* rootfs/, f0 f1 f2(=hard) which fifo sym new */
        assert_int_equal(inodes, 8);
        assert_true(bytes > 0);

        /* The copy is made once: a remount keeps what the container wrote. */
        assert_int_equal(rootfs_unmount(target, &err), 0);
        assert_false(exists(target, "new"));
        mount_ok(f, CTR_A, chains, target);
        assert_file(target, "new", "n");

        assert_int_equal(rootfs_unmount(target, &err), 0);
        assert_int_equal(rootfs_remove(f->ls, CTR_A, &err), 0);
        assert_false(exists(rootfs, ""));
        assert_file(top, "f2", "2");
}

static void test_vfs_no_layers(void **state) {
        struct fx *f = *state;
        open_store(f, "vfs");
        AUTOFREE char *target = new_target(f, "mnt");
        mount_ok(f, CTR_A, NULL, target);
        write_file(target, "x", "1");
        AUTOFREE char *rootfs = ctr_path(f, CTR_A, "rootfs");
        assert_file(rootfs, "x", "1");
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(test_overlay_no_layers),
                T(test_overlay_one_layer),
                T(test_overlay_three_layers),
                T(test_overlay_sixty_layers),
                T(test_overlay_mount_in_process_or_from_l),
                T(test_overlay_remount_keeps_upper),
                T(test_missing_layer),
                T(test_invalid_ids),
                T(test_usage),
                T(test_usage_missing),
                T(test_all_usage_apart_from_images),
                T(test_unmount),
                T(test_remove_and_list),
                T(test_vfs),
                T(test_vfs_no_layers),
        };
        return cmocka_run_group_tests_name("storage_rootfs", tests, NULL, NULL);
}
