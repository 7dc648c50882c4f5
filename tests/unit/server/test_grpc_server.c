/* server/grpc_server.c: a handler that succeeds but leaves an error behind is a bug;
 * debug builds abort on it (naming the method and the error), release builds log it
 * and drop it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/rpc.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/xalloc.h"

/* Defined in grpc_server.c without a header of its own. */

static void test_no_error_is_fine(void **state) {
        (void) state;
        struct cric_error *err = NULL;
        rpc_check_no_error_left("/runtime.v1.RuntimeService/Version", &err);
        assert_null(err);
        rpc_check_no_error_left("/runtime.v1.RuntimeService/Version", NULL);
}

/* Runs the check with a leftover error in a child; returns its wait status and what it
 * wrote to stderr. */
static int run_leftover(char **ret_stderr) {
        int p[2];
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                dup2(p[1], STDERR_FILENO);
                signal(SIGABRT, SIG_DFL);
                setrlimit(RLIMIT_CORE, &(struct rlimit){0, 0}); /* an expected abort: no core file */
                struct cric_error *err = NULL;
                cric_error_set(&err, CRIC_E_NOT_FOUND, "container \"c1\" not found");
                rpc_check_no_error_left("/runtime.v1.RuntimeService/ContainerStatus", &err);
                _exit(err ? 3 : 0); /* release builds: freed and reset */
        }
        close(p[1]);
        AUTOCLOSE int rd = p[0];
        size_t cap = 4096, len = 0;
        char *buf = xmalloc(cap);
        for (;;) { /* until the child closes its end: it exited */
                struct pollfd pfd = {.fd = rd, .events = POLLIN};
                assert_int_equal(poll(&pfd, 1, 10000), 1);
                ssize_t n = read(rd, buf + len, cap - len - 1);
                assert_true(n >= 0);
                if (n == 0)
                        break;
                len += (size_t) n;
                assert_true(len < cap - 1);
        }
        buf[len] = '\0';
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        *ret_stderr = buf;
        return status;
}

static void test_leftover_error_after_success(void **state) {
        (void) state;
        AUTOFREE char *text = NULL;
        int status = run_leftover(&text);
        const char *want = "rpc /runtime.v1.RuntimeService/ContainerStatus succeeded but left an error behind";
        if (!strstr(text, want) || !strstr(text, "container \"c1\" not found"))
                fail_msg("stderr lacks the method or the error: %s", text);
#ifndef NDEBUG
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGABRT);
#else
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
#endif
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_no_error_is_fine),
                cmocka_unit_test(test_leftover_error_after_success),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
