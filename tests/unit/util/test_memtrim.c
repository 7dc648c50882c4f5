/* util/memtrim: clean file pages leave the process's page tables; nothing of a
 * mapping's content changes, private copies (written pages) included. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testlib.h"
#include "util/cleanup.h"
#include "util/memtrim.h"
#include "util/xalloc.h"

#define SIZE (1 << 20)

static char *tmp;
static char *file;

static int setup(void **state) {
        (void) state;
        tmp = testlib_tmpdir("memtrim");
        file = xasprintf("%s/data", tmp);
        int fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        char *buf = xmalloc(SIZE);
        for (size_t i = 0; i < SIZE; i++)
                buf[i] = (char) (i * 7 + 3);
        assert_int_equal(write(fd, buf, SIZE), SIZE);
        free(buf);
        close(fd);
        return 0;
}

static int teardown(void **state) {
        (void) state;
        testlib_rmtree(tmp);
        free(tmp);
        free(file);
        return 0;
}

/* Rss in kB of the mapping that starts at addr, -1 when there is none. */
static long rss_of(const void *addr) {
        FILE *f = fopen("/proc/self/smaps", "re");
        assert_non_null(f);
        char line[4096];
        bool is_it = false;
        long kb = -1;
        while (fgets(line, sizeof(line), f)) {
                unsigned long start;
                if (sscanf(line, "%lx-%*x ", &start) == 1 && strchr(line, '-') < strchr(line, ' '))
                        is_it = start == (unsigned long) addr;
                else if (is_it && sscanf(line, "Rss: %ld kB", &kb) == 1)
                        break;
        }
        fclose(f);
        return kb;
}

static char *map(int prot) {
        int fd = open(file, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        char *p = mmap(NULL, SIZE, prot, MAP_PRIVATE, fd, 0);
        close(fd);
        assert_true(p != MAP_FAILED);
        return p;
}

static void touch_all(const char *p) {
        volatile char sum = 0;
        for (size_t i = 0; i < SIZE; i += 4096)
                sum += p[i];
        (void) sum;
}

static void assert_content(const char *p, size_t except_at) {
        for (size_t i = 0; i < SIZE; i++)
                if (i != except_at && p[i] != (char) (i * 7 + 3))
                        fail_msg("byte %zu changed", i);
}

static void test_clean_read_only_pages_leave(void **state) {
        (void) state;
        char *p = map(PROT_READ);
        touch_all(p);
        assert_true(rss_of(p) >= 512); /* most of it mapped */
        assert_true(memtrim_idle() >= rss_of(p));
        assert_int_equal(rss_of(p), 0);
        assert_content(p, SIZE); /* mapped again on use, the same */
        munmap(p, SIZE);
}

static void test_writable_mappings_stay(void **state) {
        (void) state;
        char *p = map(PROT_READ | PROT_WRITE);
        touch_all(p);
        p[100] = 'x';
        long before = rss_of(p);
        memtrim_idle();
        assert_int_equal(rss_of(p), before);
        assert_int_equal(p[100], 'x');
        assert_content(p, 100);
        munmap(p, SIZE);
}

/* As a library's relocated part: written, then made read-only. */
static void test_private_copies_stay(void **state) {
        (void) state;
        char *p = map(PROT_READ | PROT_WRITE);
        touch_all(p);
        p[5000] = 'y';
        assert_int_equal(mprotect(p, SIZE, PROT_READ), 0);
        memtrim_idle();
        assert_int_equal(p[5000], 'y');
        assert_content(p, 5000);
        assert_true(rss_of(p) > 0);
        munmap(p, SIZE);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_clean_read_only_pages_leave),
                cmocka_unit_test(test_writable_mappings_stay),
                cmocka_unit_test(test_private_copies_stay),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
