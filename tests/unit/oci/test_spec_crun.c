/* Generated specs run by the real crun: a busybox bundle (the static binary copied into
 * rootfs/bin) with no pinned pod namespaces, started with `crun run`. Needs root and
 * crun; skipped otherwise. On hybrid cgroup hosts run scripts/host-setup.sh first
 * (tests/run does). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include "spec_test.h"
#include "util/spawn.h"
#include "util/strv.h"

#define BUSYBOX "/bin/busybox"

static char *crun_path;

/* Skips the test unless it can run a container with crun and a static busybox. */
#define REQUIRE_CRUN()                                                                                                 \
        do {                                                                                                           \
                REQUIRE_ROOT("to run containers with crun");                                                           \
                if (!crun_path || access(BUSYBOX, X_OK) != 0) {                                                        \
                        print_message("skipped: crun or %s missing\n", BUSYBOX);                                       \
                        skip();                                                                                        \
                }                                                                                                      \
        } while (0)

static int crun_setup(void **state) {
        t_setup(state);
        struct t *t = *state;
        AUTOFREE char *bin = xasprintf("%s/bin", t->rootfs);
        AUTOFREE char *dst = xasprintf("%s/bin/busybox", t->rootfs);
        struct cric_error *err = NULL;
        if (fs_mkdir_p(bin, 0755, &err) < 0)
                fail_msg("%s", err->msg);
        char *cp[] = {"cp", BUSYBOX, dst, NULL};
        if (spawn_run(cp, NULL, NULL, &err) < 0)
                fail_msg("%s", err->msg);
        /* this host's real facts: crun can't grant what the daemon lacks */
        if (oci_host_detect(OCI_CGROUP_CGROUPFS, &t->host, &err) < 0)
                fail_msg("%s", err->msg);
        /* no pinned namespaces: the container gets new ones */
        t->sb.netns_path = t->sb.ipcns_path = t->sb.utsns_path = NULL;
        t->sb.resolv_conf_path = t->sb.hosts_path = t->sb.hostname_path = NULL;
        t->sb.cgroup_parent = NULL;
        t->img = (struct oci_image_defaults){.name = "busybox"};
        static int n;
        char *id = xasprintf("cric-test-%d-%d", (int) getpid(), n++);
        t->in.id = id;
        return 0;
}

static int crun_teardown(void **state) {
        struct t *t = *state;
        free((char *) t->in.id);
        return t_teardown(state);
}

/* Generates the spec for `busybox <args>`, runs it and returns its stdout. */
static char *run(struct t *t, const char *const *args) {
        char **cmd = NULL;
        strv_push(&cmd, "/bin/busybox");
        for (; *args; args++)
                strv_push(&cmd, *args);
        t->in.command = cmd;
        t->in.n_command = strv_length(cmd);
        t_gen(t);
        strv_free(cmd);
        t->in.command = NULL;
        t->in.n_command = 0;
        AUTOFREE char *bundle = xasprintf("%s/bundle", t->dir);
        AUTOFREE char *root = xasprintf("%s/crun-state", t->dir);
        struct cric_error *err = NULL;
        if (fs_mkdir_p(bundle, 0700, &err) < 0 || oci_spec_write_bundle(bundle, t->out, &err) < 0)
                fail_msg("%s", err->msg);
        char *argv[] = {crun_path, "--root", root, "run", "--bundle", bundle, (char *) t->in.id, NULL};
        struct spawn_opts opts = {.timeout_ms = 60000};
        char *out = NULL;
        if (spawn_run(argv, &opts, &out, &err) < 0)
                fail_msg("crun run: %s\nspec:\n%s", err->msg, t->out);
        return out;
}

static void test_crun_plain_container(void **state) {
        struct t *t = *state;
        REQUIRE_CRUN();
        free(run(t, (const char *[]){"true", NULL}));
}

static void test_crun_confined_container(void **state) {
        struct t *t = *state;
        REQUIRE_CRUN();
        t->in.security.seccomp = (struct oci_security_profile){.is_set = true, .type = OCI_PROFILE_RUNTIME_DEFAULT};
        t->in.security.run_as_username = "alice";
        t->in.security.is_readonly_rootfs = true;
        t->in.security.no_new_privs = true;
        t->in.resources =
                (struct oci_resources){.cpu_shares = 256, .memory_limit_in_bytes = 64 << 20, .oom_score_adj = 500};
        AUTOFREE char *out = run(t, (const char *[]){"sh", "-c",
                                                     "id -u; id -G; grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status;"
                                                     " cat /proc/self/oom_score_adj; touch /x 2>/dev/null || echo ro",
                                                     NULL});
        assert_string_equal(out, "1000\n1000 10 50\nNoNewPrivs:\t1\nSeccomp:\t2\n500\nro\n");
}

static void test_crun_mounts_sysctls_hostname(void **state) {
        struct t *t = *state;
        REQUIRE_CRUN();
        free(t_file(t, "host-data/hello", "from the host\n"));
        AUTOFREE char *hosts = t_file(t, "pod/hosts", "127.0.0.1 localhost web-0\n");
        AUTOFREE char *dir = xasprintf("%s/host-data", t->dir);
        struct oci_mount m[] = {{.container_path = "/data", .host_path = dir, .is_readonly = true}};
        struct oci_kv sysctls[] = {{"net.ipv4.ip_unprivileged_port_start", "80"}};
        t->in.mounts = m;
        t->in.n_mounts = 1;
        t->sb.hosts_path = hosts;
        t->sb.sysctls = sysctls;
        t->sb.n_sysctls = 1;
        AUTOFREE char *out = run(t, (const char *[]){"sh", "-c",
                                                     "cat /data/hello; hostname; cat /etc/hosts;"
                                                     " cat /proc/sys/net/ipv4/ip_unprivileged_port_start;"
                                                     " touch /data/x 2>/dev/null || echo ro",
                                                     NULL});
        assert_string_equal(out, "from the host\nweb-0\n127.0.0.1 localhost web-0\n80\nro\n");
}

static void test_crun_privileged_container(void **state) {
        struct t *t = *state;
        REQUIRE_CRUN();
        t->sb.security.is_privileged = true;
        t->in.security.is_privileged = true;
        AUTOFREE char *out =
                run(t, (const char *[]){"sh", "-c", "test -c /dev/null && grep CapEff /proc/self/status", NULL});
        assert_non_null(strstr(out, "CapEff:"));
}

#define CRUN_TEST(fn) cmocka_unit_test_setup_teardown(fn, crun_setup, crun_teardown)

int main(void) {
        /* CRIC_TEST_OCI_RUNTIME=runc runs the same cases with runc (same CLI). */
        const char *rt = getenv("CRIC_TEST_OCI_RUNTIME");
        crun_path = fs_find_in_path(rt && *rt ? rt : "crun");
        const struct CMUnitTest tests[] = {
                CRUN_TEST(test_crun_plain_container),
                CRUN_TEST(test_crun_confined_container),
                CRUN_TEST(test_crun_mounts_sysctls_hostname),
                CRUN_TEST(test_crun_privileged_container),
        };
        int r = cmocka_run_group_tests_name("oci_spec_crun", tests, NULL, NULL);
        free(crun_path);
        return r;
}
