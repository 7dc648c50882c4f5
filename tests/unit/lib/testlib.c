/* See testlib.h. Failures go through cmocka (fail_msg), so these helpers may only run
 * inside a test or a fixture, never in a forked child. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/rm.h"
#include "util/xalloc.h"

/* Big enough for any fixture file a unit test reads back (logs, mountinfo). */
#define READ_MAX (64u << 20)

char *testlib_tmpdir(const char *name) {
        char *dir = xasprintf("/tmp/cric-%s-XXXXXX", name);
        if (!mkdtemp(dir))
                fail_msg("mkdtemp %s: %s", dir, strerror(errno));
        return dir;
}

/* Gives the owner rwx on path, if it is a directory on file system dev, and on every such
 * directory below it, so that rm_rf may empty them. Symlinks are not followed. */
static void own_dirs(const char *path, dev_t dev) {
        struct stat st;
        if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_dev != dev)
                return;
        chmod(path, st.st_mode | S_IRWXU);
        DIR *d = opendir(path);
        if (!d)
                return;
        for (struct dirent *de = readdir(d); de; de = readdir(d))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
                        AUTOFREE char *sub = xasprintf("%s/%s", path, de->d_name);
                        own_dirs(sub, dev);
                }
        closedir(d);
}

int testlib_rmtree(const char *path) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (!path || rm_rf(path, &err) == 0)
                return 0;
        struct stat st;
        if (err->errno_value == EACCES && lstat(path, &st) == 0) { /* not root, read-only dirs */
                own_dirs(path, st.st_dev);
                err = cric_error_free(err);
                if (rm_rf(path, &err) == 0)
                        return 0;
        }
        print_error("cannot remove %s: %s\n", path, err->msg);
        return -1;
}

const char *testlib_error_is(int r, struct cric_error *const *err, enum cric_error_kind kind) {
        assert_int_equal(r, -1);
        assert_non_null(*err);
        if ((*err)->kind != kind)
                fail_msg("error kind %s, expected %s: %s", cric_error_kind_name((*err)->kind),
                         cric_error_kind_name(kind), (*err)->msg);
        return (*err)->msg;
}

int testlib_count_entries(const char *dir) {
        DIR *d = opendir(dir);
        if (!d)
                return -1;
        int n = 0;
        for (struct dirent *de = readdir(d); de; de = readdir(d))
                n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
        closedir(d);
        return n;
}

int testlib_count_fds(void) {
        int n = testlib_count_entries("/proc/self/fd");
        assert_true(n > 0);
        return n - 1; /* the one that read the list */
}

void testlib_assert_no_children(void) {
        errno = 0;
        assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
        assert_int_equal(errno, ECHILD);
}

static char *read_file(bool must, const char *fmt, va_list ap) {
        AUTOFREE char *path = NULL;
        if (vasprintf(&path, fmt, ap) < 0)
                fail_msg("out of memory");
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        char *data = NULL;
        if (fs_read_file(path, READ_MAX, &data, NULL, &err) == 0)
                return data;
        if (must)
                fail_msg("read %s: %s", path, err->msg);
        return NULL;
}

char *testlib_read_file(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        char *data = read_file(true, fmt, ap);
        va_end(ap);
        return data;
}

char *testlib_try_read_file(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        char *data = read_file(false, fmt, ap);
        va_end(ap);
        return data;
}

void testlib_capture_stderr(struct testlib_capture *c) {
        snprintf(c->path, sizeof(c->path), "/tmp/cric-stderr-XXXXXX");
        int fd = mkstemp(c->path);
        if (fd < 0)
                fail_msg("mkstemp %s: %s", c->path, strerror(errno));
        fflush(stderr);
        c->saved_fd = dup(STDERR_FILENO);
        assert_true(c->saved_fd >= 0);
        assert_true(dup2(fd, STDERR_FILENO) >= 0);
        close(fd);
}

char *testlib_capture_end(struct testlib_capture *c) {
        fflush(stderr);
        dup2(c->saved_fd, STDERR_FILENO);
        close(c->saved_fd);
        char *text = testlib_read_file("%s", c->path);
        unlink(c->path);
        return text;
}

long testlib_now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void testlib_sleep_ms(long ms) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

bool testlib_wait_until(bool (*pred)(void *arg), void *arg, long timeout_ms) {
        return WAIT_UNTIL(pred(arg), timeout_ms);
}
