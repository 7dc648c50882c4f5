/* Starting a created container through the runtime's exec.fifo (oci_start_by_fifo),
 * against child processes that play the container's init as crun and runc leave it,
 * and the command-line runtime's fallback to `start` when the FIFO cannot be used. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/oci.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

struct f {
        char *root, *fifo;
};

static int setup(void **state) {
        struct f *f = xzalloc(sizeof(*f));
        f->root = testlib_tmpdir("start-fifo");
        AUTOFREE char *dir = xasprintf("%s/c1", f->root);
        assert_int_equal(mkdir(dir, 0700), 0);
        f->fifo = xasprintf("%s/exec.fifo", dir);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct f *f = *state;
        testlib_rmtree(f->root);
        free(f->root);
        free(f->fifo);
        free(f);
        testlib_assert_no_children();
        return 0;
}

static void make_fifo(struct f *f) {
        assert_int_equal(mkfifo(f->fifo, 0622), 0);
}

static bool fifo_exists(struct f *f) {
        return access(f->fifo, F_OK) == 0;
}

/* A child that says "ready" on ready[1] once it holds its end of the FIFO, then does
 * what role says; what it read (crun) goes to out[1]. */
enum role { CRUN_READER, RUNC_WRITER, RUNC_SILENT, RUNC_NEVER_EXECS };

static pid_t init_child(struct f *f, enum role role, int *ret_out) {
        int ready[2], out[2];
        assert_int_equal(pipe(ready), 0);
        assert_int_equal(pipe(out), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(ready[0]);
                close(out[0]);
                if (role == CRUN_READER) {
                        int fd = open(f->fifo, O_RDONLY | O_NONBLOCK);
                        (void) !write(ready[1], "r", 1);
                        struct pollfd p = {.fd = fd, .events = POLLIN};
                        char c = 0;
                        while (poll(&p, 1, 5000) > 0 && read(fd, &c, 1) < 0 && errno == EAGAIN)
                                ;
                        (void) !write(out[1], &c, 1);
                        _exit(0);
                }
                (void) !write(ready[1], "r", 1);
                int fd = open(f->fifo, O_WRONLY); /* blocks until start opens the read end */
                if (role == RUNC_WRITER || role == RUNC_NEVER_EXECS)
                        (void) !write(fd, "0", 1);
                if (role == RUNC_NEVER_EXECS)
                        pause();
                _exit(0); /* closes the write end, as runc's init's exec does */
        }
        close(ready[1]);
        close(out[1]);
        char c;
        assert_int_equal(read(ready[0], &c, 1), 1);
        close(ready[0]);
        *ret_out = out[0];
        return pid;
}

static void reap(pid_t pid) {
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
}

static void test_flavor(void **state) {
        (void) state;
        assert_int_equal(oci_flavor_of("crun"), OCI_FLAVOR_CRUN);
        assert_int_equal(oci_flavor_of("/usr/bin/crun"), OCI_FLAVOR_CRUN);
        assert_int_equal(oci_flavor_of("/usr/sbin/runc"), OCI_FLAVOR_RUNC);
        assert_int_equal(oci_flavor_of("/opt/bin/crun-wrapper"), OCI_FLAVOR_OTHER);
        assert_int_equal(oci_flavor_of("/usr/bin/kata-runtime"), OCI_FLAVOR_OTHER);
        assert_int_equal(oci_flavor_of(NULL), OCI_FLAVOR_OTHER);
}

static void test_crun_releases_the_init(void **state) {
        struct f *f = *state;
        make_fifo(f);
        int out;
        pid_t pid = init_child(f, CRUN_READER, &out);
        struct cric_error *err = NULL;
        assert_int_equal(oci_start_by_fifo(OCI_FLAVOR_CRUN, f->root, "c1", pid, 1000, &err), 1);
        assert_null(err);
        assert_false(fifo_exists(f)); /* `crun state` now says running */
        char c = 0;
        assert_int_equal(read(out, &c, 1), 1);
        assert_int_equal(c, '1');
        close(out);
        reap(pid);
}

static void test_runc_reads_to_the_end(void **state) {
        struct f *f = *state;
        make_fifo(f);
        int out;
        pid_t pid = init_child(f, RUNC_WRITER, &out);
        close(out);
        struct cric_error *err = NULL;
        assert_int_equal(oci_start_by_fifo(OCI_FLAVOR_RUNC, f->root, "c1", pid, 5000, &err), 1);
        assert_null(err);
        assert_false(fifo_exists(f));
        reap(pid);
}

/* Nothing to release: the caller runs `<runtime> start`, which words the error. */
static void test_not_done_leaves_everything(void **state) {
        struct f *f = *state;
        struct cric_error *err = NULL;
        for (enum oci_flavor fl = OCI_FLAVOR_CRUN; fl <= OCI_FLAVOR_RUNC; fl++)
                assert_int_equal(oci_start_by_fifo(fl, f->root, "c1", 0, 1000, &err), 0); /* no FIFO */
        make_fifo(f);
        /* crun: no init holds the read end */
        assert_int_equal(oci_start_by_fifo(OCI_FLAVOR_CRUN, f->root, "c1", 0, 1000, &err), 0);
        assert_true(fifo_exists(f));
        /* runc: an init that died before it came to the FIFO, noticed by its pid */
        pid_t dead = fork();
        if (dead == 0)
                _exit(0);
        reap(dead);
        assert_int_equal(oci_start_by_fifo(OCI_FLAVOR_RUNC, f->root, "c1", dead, 30000, &err), 0);
        assert_true(fifo_exists(f));
        /* another runtime, no root, a bad id */
        assert_int_equal(oci_start_by_fifo(OCI_FLAVOR_OTHER, f->root, "c1", 0, 1000, &err), 0);
        assert_int_equal(oci_start_by_fifo(OCI_FLAVOR_CRUN, NULL, "c1", 0, 1000, &err), 0);
        assert_int_equal(oci_start_by_fifo(OCI_FLAVOR_CRUN, f->root, "../c1", 0, 1000, &err), 0);
        assert_null(err);
}

static void test_runc_init_without_a_word(void **state) {
        struct f *f = *state;
        make_fifo(f);
        int out;
        pid_t pid = init_child(f, RUNC_SILENT, &out);
        close(out);
        struct cric_error *err = NULL;
        assert_contains(testlib_error_is(oci_start_by_fifo(OCI_FLAVOR_RUNC, f->root, "c1", pid, 5000, &err), &err,
                                         CRIC_E_INTERNAL),
                        "closed");
        cric_error_free(err);
        reap(pid);
}

static void test_runc_init_that_never_execs(void **state) {
        struct f *f = *state;
        make_fifo(f);
        int out;
        pid_t pid = init_child(f, RUNC_NEVER_EXECS, &out);
        close(out);
        struct cric_error *err = NULL;
        assert_contains(testlib_error_is(oci_start_by_fifo(OCI_FLAVOR_RUNC, f->root, "c1", pid, 200, &err), &err,
                                         CRIC_E_TIMEOUT),
                        "did not exec within 200 ms");
        cric_error_free(err);
        kill(pid, SIGKILL);
        reap(pid);
}

static const char fake_crun[] = "#!/bin/sh\necho \"$*\" >> \"$(dirname \"$0\")/argv.log\"\n";

/* The command-line runtime: the FIFO when it can, `start` when it cannot. */
static void test_cli_falls_back_to_start(void **state) {
        struct f *f = *state;
        AUTOFREE char *bin = xasprintf("%s/bin", f->root), *crun = xasprintf("%s/crun", bin),
                      *log = xasprintf("%s/argv.log", bin);
        assert_int_equal(mkdir(bin, 0700), 0);
        FILE *fp = fopen(crun, "w");
        assert_non_null(fp);
        fputs(fake_crun, fp);
        fclose(fp);
        assert_int_equal(chmod(crun, 0755), 0);
        struct oci_runtime_opts o = {.path = crun, .root = f->root, .start_by_fifo = true, .timeout_ms = 5000};
        CLEANUP(oci_runtime_freep) struct oci_runtime *rt = NULL;
        struct cric_error *err = NULL;
        assert_int_equal(oci_runtime_new(&o, &rt, &err), 0);
        assert_int_equal(oci_runtime_start(rt, "c1", &err), 0); /* no FIFO: `crun start` */
        AUTOFREE char *seen = testlib_read_file("%s", log);
        assert_true(strstr(seen, "start c1") != NULL);
        make_fifo(f);
        int out;
        pid_t pid = init_child(f, CRUN_READER, &out);
        assert_int_equal(oci_runtime_start(rt, "c1", &err), 0);
        AUTOFREE char *again = testlib_read_file("%s", log);
        assert_string_equal(again, seen); /* not run this time */
        char c = 0;
        assert_int_equal(read(out, &c, 1), 1);
        close(out);
        reap(pid);
        assert_false(fifo_exists(f));
        /* off: always the binary */
        o.start_by_fifo = false;
        CLEANUP(oci_runtime_freep) struct oci_runtime *off = NULL;
        assert_int_equal(oci_runtime_new(&o, &off, &err), 0);
        make_fifo(f);
        assert_int_equal(oci_runtime_start(off, "c1", &err), 0);
        AUTOFREE char *third = testlib_read_file("%s", log);
        assert_int_equal(strlen(third), 2 * strlen(seen));
        assert_true(fifo_exists(f));
}

static void test_spec_has_poststart(void **state) {
        (void) state;
        assert_false(oci_spec_has_poststart("{\"process\": {}}"));
        assert_false(oci_spec_has_poststart(NULL));
        assert_false(oci_spec_has_poststart("{\"hooks\": {\"poststart\": []}}"));
        assert_false(oci_spec_has_poststart("{\"annotations\": {\"x\": \"poststart\"}}"));
        assert_true(oci_spec_has_poststart("{\"hooks\": {\"poststart\": [{\"path\": \"/bin/true\"}]}}"));
        assert_true(oci_spec_has_poststart("{\"hooks\": {\"poststart\": [ not json"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_flavor),    T(test_crun_releases_the_init),
                T(test_runc_reads_to_the_end),    T(test_not_done_leaves_everything),
                T(test_runc_init_without_a_word), T(test_runc_init_that_never_execs),
                T(test_cli_falls_back_to_start),  cmocka_unit_test(test_spec_has_poststart),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
