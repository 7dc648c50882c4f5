/* Tests of user namespaces from mappings and idmapped binds (src/util/userns.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"
#include "util/cleanup.h"
#include "util/userns.h"
#include "util/xalloc.h"

static void test_check(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct idmap ok[] = {{0, 100000, 65536}, {65536, 300000, 10}};
        assert_int_equal(idmap_check(ok, 2, "uids", &err), 0);
        testlib_error_is(idmap_check(ok, 0, "uids", &err), &err, CRIC_E_INVALID);
        struct idmap zero[] = {{0, 1, 0}};
        testlib_error_is(idmap_check(zero, 1, "uids", &err), &err, CRIC_E_INVALID);
        struct idmap over[] = {{0, UINT32_MAX - 5, 10}};
        testlib_error_is(idmap_check(over, 1, "uids", &err), &err, CRIC_E_INVALID);
        struct idmap inside[] = {{0, 1000, 10}, {5, 5000, 10}};
        assert_non_null(
                strstr(testlib_error_is(idmap_check(inside, 2, "gids", &err), &err, CRIC_E_INVALID), "overlap"));
        struct idmap outside[] = {{0, 1000, 10}, {100, 1005, 10}};
        testlib_error_is(idmap_check(outside, 2, "gids", &err), &err, CRIC_E_INVALID);
}

static void test_to_host(void **state) {
        (void) state;
        struct idmap m[] = {{0, 100000, 1000}, {1000, 500000, 10}};
        assert_int_equal(idmap_to_host(m, 2, 0), 100000);
        assert_int_equal(idmap_to_host(m, 2, 999), 100999);
        assert_int_equal(idmap_to_host(m, 2, 1005), 500005);
        assert_int_equal(idmap_to_host(m, 2, 1010), UINT32_MAX);
}

static void test_create_and_bind(void **state) {
        (void) state;
        if (geteuid() != 0)
                skip();
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct idmap m[] = {{0, 2000000, 65536}};
        int fd = -1;
        assert_int_equal(userns_create(m, 1, m, 1, &fd, &err), 0);
        assert_true(fd >= 0);
        AUTOFREE char *dir = testlib_tmpdir("userns");
        AUTOFREE char *src = xasprintf("%s/src", dir), *dst = xasprintf("%s/dst", dir);
        AUTOFREE char *file = xasprintf("%s/f", src), *seen = xasprintf("%s/f", dst);
        assert_int_equal(mkdir(src, 0755), 0);
        assert_int_equal(mkdir(dst, 0755), 0);
        close(open(file, O_CREAT | O_WRONLY, 0644));
        assert_int_equal(chown(file, 0, 0), 0);
        if (idmap_bind(src, dst, fd, &err) < 0) {
                /* a file system without idmapped mounts: the error says so */
                assert_non_null(strstr(err->msg, "idmapped"));
        } else {
                struct stat st;
                assert_int_equal(stat(seen, &st), 0);
                assert_int_equal(st.st_uid, 2000000); /* host 0 is the namespace's 0, host 2000000 */
                assert_int_equal(umount2(dst, MNT_DETACH), 0);
        }
        close(fd);
        testlib_rmtree(dir);
        testlib_assert_no_children();
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_check),
                cmocka_unit_test(test_to_host),
                cmocka_unit_test(test_create_and_bind),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
