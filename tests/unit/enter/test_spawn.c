/* enter_spawn into a real "container": a child of the test that made new mount, UTS,
 * IPC, network and PID namespaces, set a host name, and runs a PID 1 that waits. The
 * started process must be in those namespaces (its pid there is small, the host name
 * is the container's), with the plan's user, capabilities, working directory and
 * environment; a command that can't run, or a container that has gone, fails cleanly
 * and leaves no process. Needs root (skipped otherwise). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup/cgroup.h"
#include "enter/internal.h"
#include "testlib.h"
#include "util/xalloc.h"

struct box {
        pid_t outer, init; /* the unsharing child, and PID 1 of the new namespace */
        int release;       /* closing it ends the box */
        struct cgroup_mounts *cgroups;
};

static void box_open(struct box *b) {
        int ready[2], release[2];
        assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
        assert_int_equal(pipe2(release, O_CLOEXEC), 0);
        b->outer = fork();
        assert_true(b->outer >= 0);
        if (b->outer == 0) {
                if (unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID) < 0 ||
                    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 || sethostname("enter-box", 9) < 0)
                        _exit(1);
                pid_t init = fork();
                if (init == 0) {
                        char c;
                        close(ready[0]);
                        close(release[1]);
                        if (write(ready[1], "x", 1) != 1)
                                _exit(1);
                        while (read(release[0], &c, 1) < 0 && errno == EINTR)
                                ;
                        _exit(0);
                }
                close(ready[1]);
                close(release[1]); /* the init's read sees the test's close */
                int st = 0;
                waitpid(init, &st, 0);
                _exit(0);
        }
        close(ready[1]);
        close(release[0]);
        char c;
        assert_int_equal(read(ready[0], &c, 1), 1);
        close(ready[0]);
        b->release = release[1];
        char *children = testlib_read_file("/proc/%d/task/%d/children", (int) b->outer, (int) b->outer);
        b->init = (pid_t) atoi(children);
        free(children);
        assert_true(b->init > 0);
        struct cric_error *err = NULL;
        assert_int_equal(cgroup_mounts_load(NULL, NULL, &b->cgroups, &err), 0);
}

static void box_close(struct box *b) {
        close(b->release);
        int st = 0;
        assert_int_equal(waitpid(b->outer, &st, 0), b->outer);
        cgroup_mounts_freep(&b->cgroups);
}

static struct enter_plan *plan_of(const char *json) {
        struct cric_error *err = NULL;
        struct enter_plan *p = NULL;
        if (enter_plan_new(json, NULL, &p, &err) < 0)
                fail_msg("%s", err->msg);
        return p;
}

/* Runs argv in the box with stdout on a pipe; returns what it printed, its status in
 * *status. */
static char *run_in(struct box *b, const struct enter_plan *p, char *const *argv, int *status) {
        int out[2];
        assert_int_equal(pipe2(out, O_CLOEXEC), 0);
        struct enter_call call = {.init_pid = b->init,
                                  .init_ppid = b->outer,
                                  .cgroups = b->cgroups,
                                  .argv = argv,
                                  .stdio = {-1, out[1], -1}};
        struct enter_proc proc;
        struct cric_error *err = NULL;
        if (enter_spawn(p, &call, &proc, &err) < 0)
                fail_msg("%s", err->msg);
        close(out[1]);
        char buf[4096];
        size_t len = 0;
        ssize_t n;
        while ((n = read(out[0], buf + len, sizeof(buf) - 1 - len)) > 0)
                len += (size_t) n;
        buf[len] = '\0';
        close(out[0]);
        assert_int_equal(waitpid(proc.pid, status, 0), proc.pid);
        close(proc.pidfd);
        return xstrdup(buf);
}

static bool skip_unless_root(void) {
        if (geteuid() == 0)
                return false;
        print_message("skipped: needs root\n");
        return true;
}

static void test_the_process_runs_inside(void **state) {
        (void) state;
        if (skip_unless_root())
                return;
        struct box b;
        box_open(&b);
        struct enter_plan *p = plan_of("{\"process\":{\"cwd\":\"/tmp\",\"env\":[\"PATH=/usr/bin:/bin\",\"A=b\"],"
                                       "\"user\":{\"uid\":0,\"gid\":0}}}");
        char *const argv[] = {"sh", "-c", "hostname; echo $A $HOME; pwd; echo $$; umask", NULL};
        int status = 0;
        char *out = run_in(&b, p, argv, &status);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        /* pid 2 in the box: its PID 1 is the waiting init */
        assert_string_equal(out, "enter-box\nb /\n/tmp\n2\n0022\n");
        free(out);
        /* same network namespace as the box's init, not ours */
        char link[128], init_link[128];
        snprintf(link, sizeof(link), "/proc/%d/ns/net", (int) b.init);
        ssize_t n = readlink(link, init_link, sizeof(init_link) - 1);
        assert_true(n > 0);
        init_link[n] = '\0';
        char *const readlink_argv[] = {"readlink", "/proc/self/ns/net", NULL};
        out = run_in(&b, p, readlink_argv, &status);
        out[strcspn(out, "\n")] = '\0';
        assert_string_equal(out, init_link);
        free(out);
        enter_plan_free(p);
        box_close(&b);
}

static void test_user_and_capabilities(void **state) {
        (void) state;
        if (skip_unless_root())
                return;
        struct box b;
        box_open(&b);
        struct enter_plan *p =
                plan_of("{\"process\":{\"env\":[\"PATH=/usr/bin:/bin\"],\"noNewPrivileges\":true,"
                        "\"user\":{\"uid\":65534,\"gid\":65533,\"additionalGids\":[4000]},"
                        "\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_NET_RAW\"],\"permitted\":[\"CAP_KILL\"],"
                        "\"effective\":[\"CAP_KILL\"],\"inheritable\":[\"CAP_KILL\"],\"ambient\":[\"CAP_KILL\"]}}}");
        char *const argv[] = {"grep", "-E", "^(Uid|Gid|Groups|CapEff|CapBnd|CapAmb|NoNewPrivs):", "/proc/self/status",
                              NULL};
        int status = 0;
        char *out = run_in(&b, p, argv, &status);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        /* grep ran with CAP_KILL (bit 5) kept through exec as an ambient capability */
        const char *want[] = {"Uid:\t65534\t65534\t65534\t65534",
                              "Gid:\t65533\t65533\t65533\t65533",
                              "Groups:\t4000",
                              "CapEff:\t0000000000000020",
                              "CapBnd:\t0000000000002020",
                              "CapAmb:\t0000000000000020",
                              "NoNewPrivs:\t1"};
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                if (!strstr(out, want[i]))
                        fail_msg("%s not in %s", want[i], out);
        free(out);
        enter_plan_free(p);
        box_close(&b);
}

/* The seccomp filter: loaded before the capabilities go (root, no no_new_privs) and
 * after (another user with no_new_privs). */
static void test_the_seccomp_filter(void **state) {
        (void) state;
        if (skip_unless_root())
                return;
        struct box b;
        box_open(&b);
        const char *seccomp = "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                              "[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1}]}";
        const char *users[] = {"\"user\":{\"uid\":0,\"gid\":0}", "\"user\":{\"uid\":65534,\"gid\":65534},"
                                                                 "\"noNewPrivileges\":true"};
        for (size_t i = 0; i < 2; i++) {
                char *json = xasprintf("{\"process\":{\"env\":[\"PATH=/usr/bin:/bin\"],%s},\"linux\":{%s}}", users[i],
                                       seccomp);
                struct enter_plan *p = plan_of(json);
                char *const argv[] = {"sh", "-c", "mkdir /tmp/enter-denied-$$ 2>&1; grep '^Seccomp:' /proc/self/status",
                                      NULL};
                int status = 0;
                char *out = run_in(&b, p, argv, &status);
                assert_non_null(strstr(out, "Operation not permitted"));
                assert_non_null(strstr(out, "Seccomp:\t2"));
                free(out);
                enter_plan_free(p);
                free(json);
        }
        box_close(&b);
}

static void test_a_terminal(void **state) {
        (void) state;
        if (skip_unless_root())
                return;
        struct box b;
        box_open(&b);
        struct enter_plan *p = plan_of("{\"process\":{\"env\":[\"PATH=/usr/bin:/bin\"]}}");
        char *const argv[] = {"sh", "-c", "tty >/dev/null && echo is-a-tty $TERM", NULL};
        struct enter_call call = {.init_pid = b.init,
                                  .init_ppid = b.outer,
                                  .cgroups = b.cgroups,
                                  .argv = argv,
                                  .tty = true,
                                  .stdio = {-1, -1, -1}};
        struct enter_proc proc;
        struct cric_error *err = NULL;
        if (enter_spawn(p, &call, &proc, &err) < 0)
                fail_msg("%s", err->msg);
        assert_true(proc.tty_master >= 0);
        char buf[256];
        size_t len = 0;
        ssize_t n;
        while (len < sizeof(buf) - 1 && (n = read(proc.tty_master, buf + len, sizeof(buf) - 1 - len)) > 0)
                len += (size_t) n; /* EIO once the process has gone */
        buf[len] = '\0';
        assert_non_null(strstr(buf, "is-a-tty xterm"));
        int status;
        assert_int_equal(waitpid(proc.pid, &status, 0), proc.pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(proc.tty_master);
        close(proc.pidfd);
        enter_plan_free(p);
        box_close(&b);
}

static void test_failures_leave_nothing(void **state) {
        (void) state;
        if (skip_unless_root())
                return;
        struct box b;
        box_open(&b);
        struct enter_plan *p = plan_of("{\"process\":{\"env\":[\"PATH=/usr/bin:/bin\"]}}");
        int fds = testlib_count_fds();
        struct enter_proc proc;
        struct cric_error *err = NULL;
        char *const missing[] = {"no-such-command-here", NULL};
        struct enter_call call = {
                .init_pid = b.init, .init_ppid = b.outer, .cgroups = b.cgroups, .argv = missing, .stdio = {-1, -1, -1}};
        assert_int_equal(enter_spawn(p, &call, &proc, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_int_equal(proc.exec_errno, ENOENT);
        assert_non_null(strstr(err->msg, "executable file `no-such-command-here` not found in $PATH"));
        cric_error_free(err);
        err = NULL;
        char *dir = testlib_tmpdir("enter-noexec");
        char *file = xasprintf("%s/data", dir);
        int fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        close(fd);
        char *const not_exec[] = {file, NULL};
        call.argv = not_exec;
        assert_int_equal(enter_spawn(p, &call, &proc, &err), -1);
        assert_int_equal(proc.exec_errno, EACCES);
        assert_non_null(strstr(err->msg, "Permission denied"));
        cric_error_free(err);
        testlib_rmtree(dir);
        free(file);
        free(dir);
        err = NULL;
        /* the wrong parent: a reused pid is refused */
        call.argv = missing;
        call.init_ppid = getpid();
        assert_int_equal(enter_spawn(p, &call, &proc, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        cric_error_free(err);
        err = NULL;
        assert_int_equal(testlib_count_fds(), fds);
        /* nothing of ours is left but the box */
        char *children = testlib_read_file("/proc/%d/task/%d/children", (int) getpid(), (int) getpid());
        char want[32];
        snprintf(want, sizeof(want), "%d ", (int) b.outer);
        assert_string_equal(children, want);
        free(children);
        pid_t gone = b.init;
        box_close(&b);
        call.init_pid = gone;
        call.init_ppid = 0;
        assert_int_equal(enter_spawn(p, &call, &proc, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        cric_error_free(err);
        enter_plan_free(p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_the_process_runs_inside), cmocka_unit_test(test_user_and_capabilities),
                cmocka_unit_test(test_the_seccomp_filter),      cmocka_unit_test(test_a_terminal),
                cmocka_unit_test(test_failures_leave_nothing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
