/* Control fifo commands. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/internal.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static void test_parse(void **state) {
        (void) state;
        struct ctl_cmd c;
        assert_int_equal(ctl_parse_line("reopen", &c), CTL_REOPEN);
        assert_int_equal(c.kind, CTL_REOPEN);
        assert_int_equal(ctl_parse_line("resize 30 100", &c), CTL_RESIZE);
        assert_int_equal(c.rows, 30);
        assert_int_equal(c.cols, 100);
        assert_int_equal(ctl_parse_line("resize 65535 1", &c), CTL_RESIZE);
}

static void test_parse_rejects(void **state) {
        (void) state;
        static const char *const bad[] = {
                "",
                "reopen ",
                "REOPEN",
                "resize",
                "resize 30",
                "resize 30 ",
                "resize 0 10",
                "resize 10 0",
                "resize 65536 1",
                "resize -1 5",
                "resize 1 2 3",
                "resize  1 2",
                "resize 1x 2",
                "resize +1 2",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct ctl_cmd c = {.kind = CTL_REOPEN, .rows = 9};
                if (ctl_parse_line(bad[i], &c) != CTL_KIND_INVALID)
                        fail_msg("accepted \"%s\"", bad[i]);
                assert_int_equal(c.rows, 9); /* untouched */
        }
}

struct seen {
        int n;
        struct ctl_cmd cmds[8];
};

static void record(const struct ctl_cmd *cmd, void *userdata) {
        struct seen *s = userdata;
        if (s->n < 8)
                s->cmds[s->n++] = *cmd;
}

static void test_fifo_lines(void **state) {
        (void) state;
        AUTOFREE char *dir = testlib_tmpdir("ctl-test");
        AUTOCLOSE int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct ctl_fifo c;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(ctl_open(&c, dirfd, &err), 0);
        AUTOCLOSE int w = openat(dirfd, MONITOR_CTL_NAME, O_WRONLY | O_CLOEXEC);
        assert_true(w >= 0);
        struct seen s = {0};
        /* a command split over writes, junk, an overlong line, then two good ones */
        assert_int_equal(write(w, "resize 2", 8), 8);
        ctl_read(&c, record, &s);
        assert_int_equal(s.n, 0);
        assert_int_equal(write(w, "4 80\nbogus\n", 11), 11);
        char longline[400];
        memset(longline, 'x', sizeof(longline));
        longline[sizeof(longline) - 1] = '\n';
        assert_int_equal(write(w, longline, sizeof(longline)), (ssize_t) sizeof(longline));
        assert_int_equal(write(w, "reopen\nresize 1 2\n", 18), 18);
        ctl_read(&c, record, &s);
        assert_int_equal(s.n, 3);
        assert_int_equal(s.cmds[0].kind, CTL_RESIZE);
        assert_int_equal(s.cmds[0].rows, 24);
        assert_int_equal(s.cmds[0].cols, 80);
        assert_int_equal(s.cmds[1].kind, CTL_REOPEN);
        assert_int_equal(s.cmds[2].cols, 2);
        ctl_close(&c, dirfd);
        assert_int_equal(faccessat(dirfd, MONITOR_CTL_NAME, F_OK, 0), -1);
        assert_int_equal(testlib_rmtree(dir), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_parse_rejects),
                cmocka_unit_test(test_fifo_lines),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
