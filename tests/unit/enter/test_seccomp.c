/* enter/seccomp: linux.seccomp compiled to BPF, loaded in a forked child with seccomp(2)
 * as the native exec path does, and checked by what syscalls then return. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "enter/seccomp.h"
#include "oci/internal.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

#define LOAD_FAILED 200 /* the child could not load the filter */
#define KILLED(sig) (1000 + (sig))

/* Runs syscall nr(a0, a1, a2) in a child that loaded f (no filter when f->len is 0), as
 * the caller of enter_filter_compile would: no_new_privs, seccomp(2) with f->flags, and
 * again without flags on EINVAL. Returns the call's errno (0 when it succeeded), or
 * KILLED(signal) when the child died of one. A clone's child exits at once. */
static int call_in_child(const struct enter_filter *f, long nr, long a0, long a1, long a2) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct rlimit no_core = {0, 0};
                setrlimit(RLIMIT_CORE, &no_core); /* SIGSYS would dump core */
                if (f->len > 0) {
                        struct sock_fprog prog = {.len = f->len, .filter = f->insns};
                        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                                _exit(LOAD_FAILED);
                        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &prog) < 0 &&
                            (errno != EINVAL || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0))
                                _exit(LOAD_FAILED);
                }
                long r = syscall(nr, a0, a1, a2, 0L, 0L, 0L);
                if (r < 0)
                        _exit(errno < LOAD_FAILED ? errno : LOAD_FAILED - 1);
                if (nr == SYS_clone && r == 0)
                        _exit(0);
                if (nr == SYS_clone)
                        waitpid((pid_t) r, NULL, 0);
                _exit(0);
        }
        int st = 0;
        while (waitpid(pid, &st, 0) < 0)
                assert_int_equal(errno, EINTR);
        if (WIFSIGNALED(st))
                return KILLED(WTERMSIG(st));
        assert_true(WIFEXITED(st));
        if (WEXITSTATUS(st) == LOAD_FAILED)
                fail_msg("the child could not load the filter");
        return WEXITSTATUS(st);
}

/* Compiles the profile given as JSON text; fails the test if that fails. */
static void compile_json(const char *json, struct enter_filter *f) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOJSON struct json_object *o = NULL;
        assert_int_equal(json_parse_object(json, strlen(json), "profile", &o, &err), 0);
        if (enter_filter_compile(o, f, &err) < 0)
                fail_msg("compile: %s", err->msg);
        assert_true(f->len > 0);
}

/* Compiling the profile must fail with kind; returns the message (freed by the caller). */
static char *compile_fails(const char *json, enum cric_error_kind kind) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOJSON struct json_object *o = NULL;
        struct enter_filter f = {0};
        assert_int_equal(json_parse_object(json, strlen(json), "profile", &o, &err), 0);
        const char *msg = testlib_error_is(enter_filter_compile(o, &f, &err), &err, kind);
        assert_null(f.insns);
        return xstrdup(msg);
}

static void compile_default(uint64_t caps, struct enter_filter *f) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOJSON struct json_object *p = seccomp_default_profile(caps);
        if (enter_filter_compile(p, f, &err) < 0)
                fail_msg("compile: %s", err->msg);
        assert_true(f->len > 0);
}

static void test_default_profile(void **state) {
        (void) state;
        struct enter_filter f = {0}, none = {0};
        compile_default(0, &f);
        /* No "flags" in the profile: SPEC_ALLOW, as crun passes then. */
        assert_int_equal(f.flags, SECCOMP_FILTER_FLAG_SPEC_ALLOW);
        assert_int_equal(call_in_child(&f, SYS_getpid, 0, 0, 0), 0);
        /* keyctl and mount are left out of the allow list: EPERM, the default errno. */
        assert_int_equal(call_in_child(&none, SYS_keyctl, 9999, 0, 0), EOPNOTSUPP);
        assert_int_equal(call_in_child(&f, SYS_keyctl, 9999, 0, 0), EPERM);
        assert_int_equal(call_in_child(&f, SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0), EPERM);
        assert_int_equal(call_in_child(&f, SYS_mount, 0, 0, 0), EPERM);
        /* unshare needs CAP_SYS_ADMIN in the default profile. */
        assert_int_equal(call_in_child(&none, SYS_unshare, -1, 0, 0), EINVAL);
        assert_int_equal(call_in_child(&f, SYS_unshare, -1, 0, 0), EPERM);
        assert_int_equal(call_in_child(&f, SYS_unshare, CLONE_NEWUSER, 0, 0), EPERM);
        enter_filter_clear(&f);
        assert_null(f.insns);
        assert_int_equal(f.len, 0);
}

/* clone is allowed only without namespace flags (SCMP_CMP_MASKED_EQ). */
static void test_default_clone_masked(void **state) {
        (void) state;
        struct enter_filter f = {0};
        compile_default(0, &f);
        assert_int_equal(call_in_child(&f, SYS_clone, SIGCHLD, 0, 0), 0);
        assert_int_equal(call_in_child(&f, SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0), EPERM);
        assert_int_equal(call_in_child(&f, SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0), EPERM);
        assert_int_equal(call_in_child(&f, SYS_fork, 0, 0, 0), 0);
        enter_filter_clear(&f);
        /* With CAP_SYS_ADMIN the same clone goes through the filter (and the kernel). */
        compile_default(UINT64_C(1) << 21, &f);
        assert_int_equal(call_in_child(&f, SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0), geteuid() == 0 ? 0 : EPERM);
        enter_filter_clear(&f);
}

/* The default profile's clone3 rule has errnoRet ENOSYS. */
static void test_default_errno_ret(void **state) {
        (void) state;
        struct enter_filter f = {0}, none = {0};
        compile_default(0, &f);
        assert_int_not_equal(call_in_child(&none, SYS_clone3, 0, 0, 0), ENOSYS);
        assert_int_equal(call_in_child(&f, SYS_clone3, 0, 0, 0), ENOSYS);
        enter_filter_clear(&f);
}

static void test_errno_ret_and_unknown_names(void **state) {
        (void) state;
        struct enter_filter f = {0};
        compile_json(
                "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                " {\"names\": [\"no_such_syscall\", \"getppid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 77},"
                " {\"names\": [\"getpgid\"], \"action\": \"SCMP_ACT_ERRNO\"},"
                /* only unknown names: crun never reads its args */
                " {\"names\": [\"no_such_syscall\"], \"action\": \"SCMP_ACT_ERRNO\","
                "  \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_BOGUS\"}]},"
                /* the default action: skipped (libseccomp would refuse it) */
                " {\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
                &f);
        assert_int_equal(f.flags, SECCOMP_FILTER_FLAG_SPEC_ALLOW);
        assert_int_equal(call_in_child(&f, SYS_getppid, 0, 0, 0), 77);
        assert_int_equal(call_in_child(&f, SYS_getpgid, 0, 0, 0), EPERM);
        assert_int_equal(call_in_child(&f, SYS_getpid, 0, 0, 0), 0);
        enter_filter_clear(&f);
}

/* The default profile with defaultErrnoRet 66 and "flags": [] (no flags at all then);
 * its allow list keeps what the child and a sanitizer runtime need. */
static void test_default_errno_ret_and_no_flags(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOJSON struct json_object *p = seccomp_default_profile(0);
        jx_add(p, "defaultErrnoRet", jx_int64(66));
        jx_add(p, "flags", jx_array());
        struct enter_filter f = {0};
        if (enter_filter_compile(p, &f, &err) < 0)
                fail_msg("compile: %s", err->msg);
        assert_int_equal(f.flags, 0);
        assert_int_equal(call_in_child(&f, SYS_getpid, 0, 0, 0), 0);
        assert_int_equal(call_in_child(&f, SYS_keyctl, 9999, 0, 0), 66);
        /* the clone3 rule keeps its own errnoRet */
        assert_int_equal(call_in_child(&f, SYS_clone3, 0, 0, 0), ENOSYS);
        enter_filter_clear(&f);
}

static void test_kill_process(void **state) {
        (void) state;
        struct enter_filter f = {0};
        compile_json("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                     " {\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"},"
                     " {\"names\": [\"getpgid\"], \"action\": \"SCMP_ACT_KILL\"}]}",
                     &f);
        assert_int_equal(call_in_child(&f, SYS_getpid, 0, 0, 0), 0);
        assert_int_equal(call_in_child(&f, SYS_getppid, 0, 0, 0), KILLED(SIGSYS));
        /* SCMP_ACT_KILL kills the thread, which is the whole of this child. */
        assert_int_equal(call_in_child(&f, SYS_getpgid, 0, 0, 0), KILLED(SIGSYS));
        enter_filter_clear(&f);
}

/* Two conditions on the same index: each is a rule of its own, as crun builds them,
 * so either matches. On distinct indexes they make one rule that needs both. */
static void test_args(void **state) {
        (void) state;
        struct enter_filter f = {0};
        compile_json("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                     " {\"names\": [\"getpgid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 60, \"args\": ["
                     "  {\"index\": 0, \"value\": 11111, \"op\": \"SCMP_CMP_EQ\"},"
                     "  {\"index\": 0, \"value\": 22222, \"op\": \"SCMP_CMP_EQ\"}]},"
                     " {\"names\": [\"getpriority\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 61, \"args\": ["
                     "  {\"index\": 0, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"},"
                     "  {\"index\": 1, \"value\": 54321, \"op\": \"SCMP_CMP_EQ\"}]},"
                     " {\"names\": [\"getsid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 62, \"args\": ["
                     "  {\"index\": 0, \"value\": 240, \"valueTwo\": 16, \"op\": \"SCMP_CMP_MASKED_EQ\"}]}]}",
                     &f);
        assert_int_equal(call_in_child(&f, SYS_getpgid, 11111, 0, 0), 60);
        assert_int_equal(call_in_child(&f, SYS_getpgid, 22222, 0, 0), 60);
        assert_int_equal(call_in_child(&f, SYS_getpgid, 0, 0, 0), 0);
        assert_int_equal(call_in_child(&f, SYS_getpriority, 0, 54321, 0), 61);
        assert_int_equal(call_in_child(&f, SYS_getpriority, 0, 0, 0), 0);
        assert_int_equal(call_in_child(&f, SYS_getpriority, 1 /* PRIO_PGRP */, 54321, 0), ESRCH);
        /* (arg & 0xf0) == 0x10 */
        assert_int_equal(call_in_child(&f, SYS_getsid, 0x7ff1f, 0, 0), 62);
        assert_int_equal(call_in_child(&f, SYS_getsid, 0, 0, 0), 0);
        enter_filter_clear(&f);
}

static void test_flags_and_arches(void **state) {
        (void) state;
        struct enter_filter f = {0};
        compile_json("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_NATIVE\"],"
                     " \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\", \"SECCOMP_FILTER_FLAG_TSYNC\"],"
                     " \"syscalls\": [{\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
                     &f);
        assert_int_equal(f.flags, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_TSYNC);
        assert_int_equal(call_in_child(&f, SYS_getppid, 0, 0, 0), EPERM);
        enter_filter_clear(&f);
        AUTOFREE char *msg =
                compile_fails("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"NO_SUCH_FLAG\"]}", CRIC_E_INVALID);
        assert_contains(msg, "linux.seccomp.flags[0]");
        AUTOFREE char *arch = compile_fails(
                "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_VAX\"]}",
                CRIC_E_INVALID);
        assert_contains(arch, "linux.seccomp.architectures[1]");
}

static void test_null_is_no_filter(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct enter_filter f = {.len = 9};
        assert_int_equal(enter_filter_compile(NULL, &f, &err), 0);
        assert_int_equal(f.len, 0);
        assert_null(f.insns);
        assert_int_equal(f.flags, 0);
        enter_filter_clear(&f);
}

static void test_notify_needs_runtime(void **state) {
        (void) state;
        AUTOFREE char *a = compile_fails("{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}", CRIC_E_UNIMPLEMENTED);
        assert_contains(a, "SCMP_ACT_NOTIFY");
        AUTOFREE char *b = compile_fails("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                                         " {\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
                                         CRIC_E_UNIMPLEMENTED);
        assert_contains(b, "syscalls[0].action");
        AUTOFREE char *c =
                compile_fails("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/run/seccomp-agent.sock\"}",
                              CRIC_E_UNIMPLEMENTED);
        assert_contains(c, "listenerPath");
}

static void test_bad_input(void **state) {
        (void) state;
        static const struct {
                const char *json, *field;
        } cases[] = {
                {"{}", "linux.seccomp.defaultAction"},
                {"{\"defaultAction\": \"SCMP_ACT_BOGUS\"}", "linux.seccomp.defaultAction"},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": 5}", "linux.seccomp.defaultErrnoRet"},
                {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": -1}", "linux.seccomp.defaultErrnoRet"},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getppid\"], \"action\": "
                 "\"SCMP_ACT_DENY\"}]}",
                 "linux.seccomp.syscalls[0].action"},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getppid\"], \"action\": "
                 "\"SCMP_ACT_KILL\", \"errnoRet\": 1}]}",
                 "linux.seccomp.syscalls[0].errnoRet"},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getppid\"], \"action\": "
                 "\"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_BOGUS\"}]}]}",
                 "linux.seccomp.syscalls[0].args[0].op"},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getppid\"], \"action\": "
                 "\"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                 "linux.seccomp.syscalls[0].args[0].index"},
                {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": {}}", "linux.seccomp.syscalls"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                AUTOFREE char *msg = compile_fails(cases[i].json, CRIC_E_INVALID);
                assert_contains(msg, cases[i].field);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_default_profile),
                cmocka_unit_test(test_default_clone_masked),
                cmocka_unit_test(test_default_errno_ret),
                cmocka_unit_test(test_errno_ret_and_unknown_names),
                cmocka_unit_test(test_default_errno_ret_and_no_flags),
                cmocka_unit_test(test_kill_process),
                cmocka_unit_test(test_args),
                cmocka_unit_test(test_flags_and_arches),
                cmocka_unit_test(test_null_is_no_filter),
                cmocka_unit_test(test_notify_needs_runtime),
                cmocka_unit_test(test_bad_input),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
