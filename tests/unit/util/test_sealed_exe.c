/* util/sealed_exe: the sealed in-memory copy of a runtime binary, and util/spawn running
 * a program from it (exec_path) with a descriptor handed down (pass_fd). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/sealed_exe.h"
#include "util/spawn.h"
#include "util/xalloc.h"

#define ALL_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static char *tmp;

static int setup(void **state) {
        (void) state;
        tmp = testlib_tmpdir("sealed-test");
        return 0;
}

static int teardown(void **state) {
        (void) state;
        sealed_exe_reset();
        int r = testlib_rmtree(tmp);
        free(tmp);
        return r;
}

/* Copies the file at src to tmp/name (mode 0755); returns the new path. */
static char *install(const char *src, const char *name) {
        AUTOFREE char *data = NULL;
        size_t len = 0;
        assert_int_equal(fs_read_file(src, 64u << 20, &data, &len, NULL), 0);
        char *dst = xasprintf("%s/%s", tmp, name);
        unlink(dst);
        int fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, len), (ssize_t) len);
        close(fd);
        return dst;
}

/* Runs argv from the copy behind fd; returns its exit status (spawn_run_status). */
static int run_from(int fd, char *const *argv, char **ret_out) {
        char exe[32];
        struct spawn_opts o = {.exec_path = sealed_exe_path(fd, exe, sizeof(exe))};
        return spawn_run_status(argv, &o, ret_out, NULL, NULL);
}

static void test_copy_is_sealed_and_runs(void **state) {
        (void) state;
        AUTOFREE char *prog = install("/bin/true", "prog");
        int fd = sealed_exe_fd(prog, NULL);
        assert_true(fd > 2);
        assert_int_equal(fcntl(fd, F_GET_SEALS), ALL_SEALS);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        struct stat a, b;
        assert_int_equal(fstat(fd, &a), 0);
        assert_int_equal(stat(prog, &b), 0);
        assert_int_equal(a.st_size, b.st_size);
        /* sealed: no writing, no growing */
        assert_true(write(fd, "x", 1) < 0);
        assert_int_equal(run_from(fd, (char *const[]){"prog", NULL}, NULL), 0);
        /* a second ask gives the same copy */
        int fd2 = sealed_exe_fd(prog, NULL);
        assert_int_equal(fstat(fd2, &b), 0);
        assert_int_equal(a.st_ino, b.st_ino);
        close(fd);
        close(fd2);
}

static void test_argv0_kept(void **state) {
        (void) state;
        int fd = sealed_exe_fd("/bin/sh", NULL);
        assert_true(fd >= 0);
        AUTOFREE char *out = NULL;
        assert_int_equal(run_from(fd, (char *const[]){"/usr/bin/named-so", "-c", "echo $0", NULL}, &out), 0);
        assert_string_equal(out, "/usr/bin/named-so\n");
        close(fd);
}

static void test_copy_follows_the_file(void **state) {
        (void) state;
        AUTOFREE char *prog = install("/bin/true", "upgraded");
        int fd = sealed_exe_fd(prog, NULL);
        assert_true(fd >= 0);
        free(install("/bin/false", "upgraded")); /* a package upgrade: new inode, new content */
        int fd2 = sealed_exe_fd(prog, NULL);
        assert_true(fd2 >= 0);
        struct stat a, b;
        assert_int_equal(fstat(fd, &a), 0);
        assert_int_equal(fstat(fd2, &b), 0);
        assert_int_not_equal(a.st_ino, b.st_ino);
        assert_int_equal(run_from(fd2, (char *const[]){"upgraded", NULL}, NULL), 1);
        /* the old copy still works for whoever holds it */
        assert_int_equal(run_from(fd, (char *const[]){"upgraded", NULL}, NULL), 0);
        close(fd);
        close(fd2);
}

static void test_refused(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(sealed_exe_fd("bin/true", &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        err = cric_error_free(err);
        AUTOFREE char *missing = xasprintf("%s/missing", tmp);
        assert_int_equal(sealed_exe_fd(missing, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        err = cric_error_free(err);
        assert_int_equal(sealed_exe_fd(tmp, &err), -1); /* a directory */
        assert_int_equal(err->kind, CRIC_E_INVALID);
        err = cric_error_free(err);
        /* a script would find its descriptor closed by the time its interpreter opens it */
        AUTOFREE char *script = xasprintf("%s/script", tmp);
        assert_int_equal(fs_write_file_atomic(script, "#!/bin/sh\nexit 0\n", 17, 0755, NULL), 0);
        assert_int_equal(sealed_exe_fd(script, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_non_null(strstr(err->msg, "not an ELF binary"));
        assert_int_equal(sealed_exe_try(script), -1);
}

/* Without /proc the copy could not run: none is made (the caller runs the file). */
static void test_no_proc_no_copy(void **state) {
        (void) state;
        REQUIRE_ROOT("for a mount namespace");
        AUTOFREE char *prog = install("/bin/true", "noproc");
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                    umount2("/proc", MNT_DETACH) < 0)
                        _exit(3);
                struct cric_error *err = NULL;
                int fd = sealed_exe_fd(prog, &err);
                _exit(fd < 0 && err->kind == CRIC_E_UNAVAILABLE ? 0 : 1);
        }
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_spawn_pass_fd(void **state) {
        (void) state;
        int p[2];
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        struct spawn_opts o = {.pass_fd = p[1]};
        assert_int_equal(spawn_run((char *const[]){"/bin/sh", "-c", "echo handed >&3", NULL}, &o, NULL, NULL), 0);
        close(p[1]);
        char buf[32] = "";
        assert_int_equal(read(p[0], buf, sizeof(buf) - 1), 7);
        assert_string_equal(buf, "handed\n");
        close(p[0]);
        /* without pass_fd nothing is on 3 */
        struct spawn_opts none = {0};
        char *const probe[] = {"/bin/sh", "-c", "echo x >&3", NULL};
        assert_int_not_equal(spawn_run_status(probe, &none, NULL, NULL, NULL), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_copy_is_sealed_and_runs), cmocka_unit_test(test_argv0_kept),
                cmocka_unit_test(test_copy_follows_the_file),   cmocka_unit_test(test_refused),
                cmocka_unit_test(test_no_proc_no_copy),         cmocka_unit_test(test_spawn_pass_fd),
        };
        return cmocka_run_group_tests_name("util_sealed_exe", tests, setup, teardown);
}
