/* util/fs: mkdir -p, whole-file reads, atomic writes, sorted directory lists, opens
 * that cannot leave a directory, and the $PATH and helper lookups. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

static char *tmp;

static int setup(void **state) {
        (void) state;
        tmp = testlib_tmpdir("fs");
        return 0;
}

static int teardown(void **state) {
        (void) state;
        int r = testlib_rmtree(tmp);
        free(tmp);
        return r;
}

static char *at(const char *rel) {
        return xasprintf("%s/%s", tmp, rel);
}

static void put(const char *rel, const char *text, mode_t mode) {
        AUTOFREE char *p = at(rel);
        AUTOCLOSE int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        assert_true(fd >= 0);
        assert_int_equal(fs_write_all(fd, text, strlen(text)), 0);
        assert_int_equal(fchmod(fd, mode), 0);
}

static bool is_dir(const char *rel) {
        AUTOFREE char *p = at(rel);
        struct stat st;
        return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Names in tmp/rel, hidden ones too, as one string "a b c" in readdir order sorted. */
static char *listing(const char *rel) {
        AUTOFREE char *p = at(rel);
        DIR *d = opendir(p);
        assert_non_null(d);
        char **v = NULL;
        for (struct dirent *de = readdir(d); de; de = readdir(d))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        strv_push(&v, de->d_name);
        closedir(d);
        size_t n = strv_length(v);
        for (size_t i = 0; i + 1 < n; i++) /* tiny: bubble sort */
                for (size_t j = 0; j + 1 < n - i; j++)
                        if (strcmp(v[j], v[j + 1]) > 0) {
                                char *t = v[j];
                                v[j] = v[j + 1];
                                v[j + 1] = t;
                        }
        char *s = strv_join(v, " ");
        strv_free(v);
        return s;
}

static bool is_root(void) {
        return geteuid() == 0;
}

/* ---- fs_mkdir_p ---- */

static void test_mkdir_p(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOFREE char *deep = at("a/b/c/");
        assert_int_equal(fs_mkdir_p(deep, 0750, &err), 0);
        assert_null(err);
        assert_true(is_dir("a/b/c"));
        AUTOFREE char *c = at("a/b/c");
        struct stat st;
        assert_int_equal(stat(c, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0750 & ~umask(022));
        umask(022);
        /* again: nothing to do */
        assert_int_equal(fs_mkdir_p(deep, 0755, &err), 0);
        AUTOFREE char *dslash = at("x//y///");
        assert_int_equal(fs_mkdir_p(dslash, 0755, &err), 0);
        assert_true(is_dir("x/y"));
}

static void test_mkdir_p_errors(void **state) {
        (void) state;
        put("file", "x", 0644);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOFREE char *onto = at("file");
        assert_int_equal(fs_mkdir_p(onto, 0755, &err), -1);
        AUTOFREE char *want = xasprintf("%s exists and is not a directory", onto);
        assert_string_equal(err->msg, want);
        err = cric_error_free(err);
        AUTOFREE char *below = at("file/sub/dir");
        assert_int_equal(fs_mkdir_p(below, 0755, &err), -1);
        assert_int_equal(err->errno_value, ENOTDIR);
        AUTOFREE char *want2 = xasprintf("mkdir %s/file/sub: Not a directory", tmp);
        assert_string_equal(err->msg, want2);
}

/* ---- fs_read_file, fs_read_file_optional ---- */

static void test_read_file(void **state) {
        (void) state;
        put("f", "hello\nworld", 0644);
        AUTOFREE char *p = at("f");
        AUTOFREE char *data = NULL;
        size_t len = 0;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(fs_read_file(p, 11, &data, &len, &err), 0); /* exactly the limit */
        assert_int_equal(len, 11);
        assert_string_equal(data, "hello\nworld");
        free(data);
        data = NULL;
        /* larger than a first buffer, NUL bytes kept */
        AUTOFREE char *big = xmalloc(100000);
        for (size_t i = 0; i < 100000; i++)
                big[i] = (char) (i % 7);
        AUTOFREE char *bp = at("big");
        assert_int_equal(fs_write_file_atomic(bp, big, 100000, 0600, &err), 0);
        assert_int_equal(fs_read_file(bp, 1 << 20, &data, &len, &err), 0);
        assert_int_equal(len, 100000);
        assert_memory_equal(data, big, 100000);
        assert_int_equal(data[len], '\0');
        free(data);
        data = NULL;
        /* empty */
        put("empty", "", 0644);
        AUTOFREE char *ep = at("empty");
        assert_int_equal(fs_read_file(ep, 10, &data, NULL, &err), 0);
        assert_string_equal(data, "");
        assert_null(err);
}

static void test_read_file_errors(void **state) {
        (void) state;
        put("f", "0123456789", 0644);
        AUTOFREE char *p = at("f");
        char *data = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(fs_read_file(p, 9, &data, NULL, &err), -1);
        assert_null(data);
        assert_int_equal(err->kind, CRIC_E_RESOURCE);
        AUTOFREE char *want = xasprintf("%s is larger than 9 bytes", p);
        assert_string_equal(err->msg, want);
        err = cric_error_free(err);

        AUTOFREE char *missing = at("missing");
        assert_int_equal(fs_read_file(missing, 9, &data, NULL, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        assert_int_equal(err->errno_value, ENOENT);
        err = cric_error_free(err);

        assert_int_equal(fs_read_file(tmp, 9, &data, NULL, &err), -1); /* a directory */
        assert_int_equal(err->kind, CRIC_E_INTERNAL);
        assert_int_equal(err->errno_value, EISDIR);
        AUTOFREE char *want2 = xasprintf("read %s: Is a directory", tmp);
        assert_string_equal(err->msg, want2);
        assert_null(data);
}

static void test_read_file_optional(void **state) {
        (void) state;
        put("f", "there", 0644);
        AUTOFREE char *p = at("f");
        AUTOFREE char *missing = at("missing");
        char *data = (char *) "untouched";
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(fs_read_file_optional(missing, 100, &data, &err), 0);
        assert_null(data);
        assert_null(err);
        assert_int_equal(fs_read_file_optional(p, 100, &data, &err), 1);
        assert_string_equal(data, "there");
        free(data);
        data = NULL;
        assert_int_equal(fs_read_file_optional(p, 2, &data, &err), -1);
        assert_int_equal(err->kind, CRIC_E_RESOURCE);
        assert_int_equal(fs_read_file_optional(p, 2, &data, NULL), -1); /* no err: dropped */
}

/* ---- fs_write_file_atomic ---- */

static void test_write_file_atomic(void **state) {
        (void) state;
        AUTOFREE char *p = at("conf");
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(fs_write_file_atomic(p, "one", 3, 0640, &err), 0);
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640); /* exact, whatever the umask */
        assert_int_equal(st.st_size, 3);
        /* an open reader keeps the old content: the file is replaced, not rewritten */
        AUTOCLOSE int old = open(p, O_RDONLY | O_CLOEXEC);
        assert_true(old >= 0);
        assert_int_equal(fs_write_file_atomic(p, "second", 6, 0600, &err), 0);
        char buf[16] = {0};
        assert_int_equal(read(old, buf, sizeof(buf)), 3);
        assert_string_equal(buf, "one");
        AUTOFREE char *now = NULL;
        assert_int_equal(fs_read_file(p, 100, &now, NULL, &err), 0);
        assert_string_equal(now, "second");
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        AUTOFREE char *names = listing("");
        assert_string_equal(names, "conf"); /* no temp file left */
        /* empty data */
        assert_int_equal(fs_write_file_atomic(p, "", 0, 0644, &err), 0);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_size, 0);
        assert_null(err);
}

static void test_write_file_atomic_errors(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOFREE char *nodir = at("missing/conf");
        assert_int_equal(fs_write_file_atomic(nodir, "x", 1, 0644, &err), -1);
        assert_int_equal(err->errno_value, ENOENT);
        assert_non_null(strstr(err->msg, "create "));
        assert_non_null(strstr(err->msg, "/missing/conf.tmp."));
        err = cric_error_free(err);
        /* the target is a non-empty directory: the rename fails and the temp file goes */
        AUTOFREE char *d = at("dir");
        assert_int_equal(mkdir(d, 0755), 0);
        put("dir/inside", "x", 0644);
        assert_int_equal(fs_write_file_atomic(d, "x", 1, 0644, &err), -1);
        assert_int_equal(err->errno_value, EISDIR);
        assert_non_null(strstr(err->msg, "rename "));
        AUTOFREE char *names = listing("");
        assert_string_equal(names, "dir");
        if (!is_root()) {
                /* a read-only directory: the temp file cannot be made */
                assert_int_equal(chmod(d, 0555), 0);
                AUTOFREE char *ro = at("dir/new");
                err = cric_error_free(err);
                assert_int_equal(fs_write_file_atomic(ro, "x", 1, 0644, &err), -1);
                assert_int_equal(err->errno_value, EACCES);
                assert_int_equal(chmod(d, 0755), 0);
        }
}

/* ---- fs_list_dir ---- */

static void test_list_dir(void **state) {
        (void) state;
        put("b.conf", "", 0644);
        put("a.conf", "", 0644);
        put("B.conf", "", 0644);
        put(".hidden.conf", "", 0644);
        put("conf", "", 0644);  /* no longer than the suffix: no match */
        put(".conf", "", 0644); /* hidden */
        put("c.conflist", "", 0644);
        AUTOFREE char *sub = at("d.conf");
        assert_int_equal(mkdir(sub, 0755), 0);
        AUTOFREE char *link = at("e.conf");
        assert_int_equal(symlink("a.conf", link), 0);
        AUTOFREE char *dangling = at("f.conf");
        assert_int_equal(symlink("nowhere", dangling), 0);

        CLEANUP(strv_freep) char **all = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(fs_list_dir(tmp, NULL, false, &all, &err), 0);
        AUTOFREE char *s_all = strv_join(all, " ");
        assert_string_equal(s_all, "B.conf a.conf b.conf c.conflist conf d.conf e.conf f.conf"); /* byte order */

        CLEANUP(strv_freep) char **confs = NULL;
        assert_int_equal(fs_list_dir(tmp, ".conf", false, &confs, &err), 0);
        AUTOFREE char *s_confs = strv_join(confs, " ");
        assert_string_equal(s_confs, "B.conf a.conf b.conf d.conf e.conf f.conf");

        CLEANUP(strv_freep) char **files = NULL;
        assert_int_equal(fs_list_dir(tmp, ".conf", true, &files, &err), 0);
        AUTOFREE char *s_files = strv_join(files, " ");
        assert_string_equal(s_files, "B.conf a.conf b.conf e.conf"); /* symlinks followed */
        assert_null(err);
}

static void test_list_dir_missing_or_denied(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOFREE char *missing = at("missing");
        CLEANUP(strv_freep) char **v = NULL;
        assert_int_equal(fs_list_dir(missing, NULL, false, &v, &err), 0);
        assert_non_null(v);
        assert_null(v[0]);
        put("file", "", 0644);
        AUTOFREE char *file = at("file");
        CLEANUP(strv_freep) char **w = NULL;
        assert_int_equal(fs_list_dir(file, NULL, false, &w, &err), 0); /* not a directory: empty */
        assert_null(w[0]);
        if (is_root()) {
                print_message("skipping the permission case: root reads any directory\n");
                return;
        }
        AUTOFREE char *closed = at("closed");
        assert_int_equal(mkdir(closed, 0), 0);
        CLEANUP(strv_freep) char **x = NULL;
        assert_int_equal(fs_list_dir(closed, NULL, false, &x, &err), -1);
        assert_null(x);
        assert_int_equal(err->kind, CRIC_E_PERMISSION);
        chmod(closed, 0755);
}

/* ---- fs_openat_beneath ---- */

static void test_openat_beneath_stays_inside(void **state) {
        (void) state;
        AUTOFREE char *root = at("root");
        AUTOFREE char *etc = at("root/etc");
        assert_int_equal(mkdir(root, 0755), 0);
        assert_int_equal(mkdir(etc, 0755), 0);
        put("root/etc/passwd", "inside", 0644);
        AUTOFREE char *outside = at("etc");
        assert_int_equal(mkdir(outside, 0755), 0);
        put("etc/passwd", "outside", 0644); /* what an escape through ".." would reach */
        AUTOFREE char *l_abs = at("root/abs");
        assert_int_equal(symlink("/etc/passwd", l_abs), 0);
        AUTOFREE char *l_up = at("root/up");
        assert_int_equal(symlink("../etc/passwd", l_up), 0);
        AUTOFREE char *l_rel = at("root/rel");
        assert_int_equal(symlink("etc/passwd", l_rel), 0);
        AUTOFREE char *l_magic = at("root/magic");
        assert_int_equal(symlink("/proc/self/root/etc/passwd", l_magic), 0);
        AUTOCLOSE int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(rootfd >= 0);

        char buf[32];
        /* plain paths and symlinks that stay inside */
        const char *ok[] = {"etc/passwd", "rel", "etc/../etc/passwd"};
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                AUTOCLOSE int fd = fs_openat_beneath(rootfd, ok[i], O_RDONLY, 0, false);
                if (fd < 0)
                        fail_msg("%s: %s", ok[i], strerror(errno));
                memset(buf, 0, sizeof(buf));
                assert_int_equal(read(fd, buf, sizeof(buf) - 1), 6);
                assert_string_equal(buf, "inside");
                assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        }
        /* beneath: every way out fails with EXDEV */
        const char *out[] = {"abs", "up", "../etc/passwd", "/etc/passwd"};
        for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
                errno = 0;
                assert_int_equal(fs_openat_beneath(rootfd, out[i], O_RDONLY, 0, false), -1);
                if (errno != EXDEV)
                        fail_msg("%s: errno %d, want EXDEV", out[i], errno);
        }
        /* in_root: the same paths resolve inside, as chrooted */
        const char *chrooted[] = {"abs", "up", "../etc/passwd", "/etc/passwd"};
        for (size_t i = 0; i < sizeof(chrooted) / sizeof(chrooted[0]); i++) {
                AUTOCLOSE int fd = fs_openat_beneath(rootfd, chrooted[i], O_RDONLY, 0, true);
                if (fd < 0)
                        fail_msg("%s: %s", chrooted[i], strerror(errno));
                memset(buf, 0, sizeof(buf));
                assert_int_equal(read(fd, buf, sizeof(buf) - 1), 6);
                assert_string_equal(buf, "inside");
        }
        /* a symlink through /proc resolves inside too (there is no proc in there)... */
        errno = 0;
        assert_int_equal(fs_openat_beneath(rootfd, "magic", O_RDONLY, 0, true), -1);
        assert_int_equal(errno, ENOENT);
        /* ...and magic links are never followed, even where they exist */
        AUTOCLOSE int proc = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(proc >= 0);
        errno = 0;
        assert_int_equal(fs_openat_beneath(proc, "root/etc/hostname", O_RDONLY, 0, false), -1);
        assert_true(errno == ELOOP || errno == EXDEV);
        errno = 0;
        assert_int_equal(fs_openat_beneath(proc, "root/etc/hostname", O_RDONLY, 0, true), -1);
        assert_int_equal(errno, ELOOP);
        /* the empty path is the directory itself; O_CREAT takes the mode */
        AUTOCLOSE int self = fs_openat_beneath(rootfd, "", O_RDONLY | O_DIRECTORY, 0, false);
        assert_true(self >= 0);
        AUTOCLOSE int created = fs_openat_beneath(rootfd, "etc/new", O_WRONLY | O_CREAT | O_EXCL, 0600, false);
        assert_true(created >= 0);
        struct stat st;
        assert_int_equal(fstat(created, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        errno = 0;
        assert_int_equal(fs_openat_beneath(rootfd, "etc/missing", O_RDONLY, 0, false), -1);
        assert_int_equal(errno, ENOENT);
}

/* ---- fs_write_all ---- */

static void test_write_all(void **state) {
        (void) state;
        int p[2];
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        AUTOCLOSE int rd = p[0];
        AUTOCLOSE int wr = p[1];
        assert_int_equal(fs_write_all(wr, "abc", 3), 0);
        assert_int_equal(fs_write_all(wr, "", 0), 0);
        char buf[8] = {0};
        assert_int_equal(read(rd, buf, sizeof(buf)), 3);
        assert_string_equal(buf, "abc");
        errno = 0;
        assert_int_equal(fs_write_all(-1, "x", 1), -1);
        assert_int_equal(errno, EBADF);
        AUTOCLOSE int ro = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert_int_equal(fs_write_all(ro, "x", 1), -1);
        assert_int_equal(errno, EBADF);
}

/* ---- fs_is_executable, fs_find_in_path, fs_find_helper ---- */

static void test_find_in_path(void **state) {
        (void) state;
        AUTOFREE char *d1 = at("bin1");
        AUTOFREE char *d2 = at("bin2");
        assert_int_equal(mkdir(d1, 0755), 0);
        assert_int_equal(mkdir(d2, 0755), 0);
        put("bin1/tool", "#!/bin/sh\n", 0644); /* not executable: skipped */
        put("bin2/tool", "#!/bin/sh\n", 0755);
        put("bin1/other", "#!/bin/sh\n", 0755);
        AUTOFREE char *sub = at("bin1/dirtool");
        assert_int_equal(mkdir(sub, 0755), 0); /* a directory is no program */
        AUTOFREE char *t1 = at("bin1/tool");
        AUTOFREE char *t2 = at("bin2/tool");
        assert_false(fs_is_executable(t1));
        assert_true(fs_is_executable(t2));
        assert_false(fs_is_executable(sub));
        AUTOFREE char *gone = at("gone");
        assert_false(fs_is_executable(gone));

        const char *saved = getenv("PATH");
        AUTOFREE char *saved_path = saved ? xstrdup(saved) : NULL;
        AUTOFREE char *path = xasprintf("%s::%s", d1, d2);
        setenv("PATH", path, 1);
        AUTOFREE char *found = fs_find_in_path("tool");
        AUTOFREE char *other = fs_find_in_path("other");
        AUTOFREE char *none = fs_find_in_path("dirtool");
        AUTOFREE char *absent = fs_find_in_path("cric-absent");
        /* with a slash: only that file */
        AUTOFREE char *direct = fs_find_in_path(t2);
        AUTOFREE char *direct_bad = fs_find_in_path(t1);
        /* the configured helper wins when it is executable, else $PATH */
        AUTOFREE char *h1 = fs_find_helper(t2, "other");
        AUTOFREE char *h2 = fs_find_helper(t1, "other");
        AUTOFREE char *h3 = fs_find_helper(NULL, "tool");
        AUTOFREE char *h4 = fs_find_helper("", "cric-absent");
        if (saved_path)
                setenv("PATH", saved_path, 1);
        else
                unsetenv("PATH");
        assert_string_equal(found, t2);
        AUTOFREE char *want_other = at("bin1/other");
        assert_string_equal(other, want_other);
        assert_null(none);
        assert_null(absent);
        assert_string_equal(direct, t2);
        assert_null(direct_bad);
        assert_null(fs_find_in_path(""));
        assert_null(fs_find_in_path(NULL));
        assert_string_equal(h1, t2);
        assert_string_equal(h2, want_other);
        assert_string_equal(h3, t2);
        assert_null(h4);
}

/* A helper next to the running binary is found before $PATH. */
static void test_find_helper_next_to_binary(void **state) {
        (void) state;
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        assert_true(n > 0);
        exe[n] = '\0';
        const char *name = strrchr(exe, '/') + 1;
        AUTOFREE char *self = fs_find_helper(NULL, name);
        assert_string_equal(self, exe);
}

int main(void) {
        umask(022);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_mkdir_p, setup, teardown),
                cmocka_unit_test_setup_teardown(test_mkdir_p_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_file, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_file_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_file_optional, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_file_atomic, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_file_atomic_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_list_dir, setup, teardown),
                cmocka_unit_test_setup_teardown(test_list_dir_missing_or_denied, setup, teardown),
                cmocka_unit_test_setup_teardown(test_openat_beneath_stays_inside, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_all, setup, teardown),
                cmocka_unit_test_setup_teardown(test_find_in_path, setup, teardown),
                cmocka_unit_test(test_find_helper_next_to_binary),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
