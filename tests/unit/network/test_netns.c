/* Pinned namespaces: each test pins under a fresh temp dir, checks what a process that
 * joins the pinned files sees, and unpins. The group teardown removes the private
 * self-bind of the ns dir and asserts that no mount is left under the temp dir.
 * Everything here needs root (CAP_SYS_ADMIN); without it each case skips. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "network/netns.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define WHY_ROOT "(CAP_SYS_ADMIN) to create and mount namespaces"

static char *tmpdir, *nsdir;

/* ---- helpers ---- */

/* Mount points under prefix + "/" in /proc/self/mountinfo (prefix itself excluded). */
static int count_mounts_under(const char *prefix) {
        AUTOFCLOSE FILE *f = fopen("/proc/self/mountinfo", "re");
        assert_non_null(f);
        AUTOFREE char *line = NULL;
        size_t cap = 0, plen = strlen(prefix);
        int n = 0;
        while (getline(&line, &cap, f) > 0) {
                char mnt[4096];
                if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 && !strncmp(mnt, prefix, plen) && mnt[plen] == '/')
                        n++;
        }
        return n;
}

/* The first line of path, NULL if it cannot be read. */
static char *read_trimmed(const char *path) {
        char *data = testlib_try_read_file("%s", path);
        if (data)
                data[strcspn(data, "\n")] = '\0';
        return data;
}

static ino_t inode_of(const char *path) {
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        return st.st_ino;
}

static int pin(const char *pod, unsigned which, const char *hostname, const struct netns_sysctl *s, size_t n,
               struct pinned_ns *ret, struct cric_error **err) {
        struct netns_opts o = {
                .dir = nsdir, .pod_id = pod, .which = which, .hostname = hostname, .sysctls = s, .n_sysctls = n};
        return netns_pin(&o, ret, err);
}

/* What a process that joined the pinned namespaces sees. */
struct probe {
        int ok;
        char hostname[65];
        int lo_up;
        char values[4][64];
};

static void join(const char *path, int type) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, type) < 0)
                _exit(3);
        close(fd);
}

static void probe_child(const struct pinned_ns *p, const char *const *paths, int out) {
        struct probe pr = {0};
        if (p->uts)
                join(p->uts, CLONE_NEWUTS);
        if (p->ipc)
                join(p->ipc, CLONE_NEWIPC);
        if (p->net)
                join(p->net, CLONE_NEWNET);
        gethostname(pr.hostname, sizeof(pr.hostname) - 1);
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        struct ifreq ifr = {0};
        strcpy(ifr.ifr_name, "lo");
        pr.lo_up = s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
        for (int i = 0; paths && paths[i] && i < 4; i++) {
                int fd = open(paths[i], O_RDONLY);
                ssize_t n = fd < 0 ? -1 : read(fd, pr.values[i], sizeof(pr.values[i]) - 1);
                if (n > 0)
                        pr.values[i][strcspn(pr.values[i], "\n")] = '\0';
        }
        pr.ok = 1;
        if (write(out, &pr, sizeof(pr)) != sizeof(pr))
                _exit(2);
        _exit(0);
}

static void probe(const struct pinned_ns *p, const char *const *paths, struct probe *ret) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(fds[0]);
                probe_child(p, paths, fds[1]);
        }
        close(fds[1]);
        memset(ret, 0, sizeof(*ret));
        assert_int_equal(read(fds[0], ret, sizeof(*ret)), sizeof(*ret));
        close(fds[0]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        assert_int_equal(ret->ok, 1);
}

static bool path_exists(const char *p) {
        struct stat st;
        return lstat(p, &st) == 0;
}

/* ---- fixtures ---- */

static int group_setup(void **state) {
        (void) state;
        tmpdir = testlib_tmpdir("netns-test");
        nsdir = xasprintf("%s/ns", tmpdir);
        return 0;
}

static int group_teardown(void **state) {
        (void) state;
        while (umount2(nsdir, MNT_DETACH) == 0)
                ;
        int left = count_mounts_under(tmpdir);
        if (left)
                fprintf(stderr, "%d mounts left under %s\n", left, tmpdir);
        int r = testlib_rmtree(tmpdir);
        free(tmpdir);
        free(nsdir);
        return left || r < 0 ? -1 : 0;
}

/* Each test must leave no pin mounted (the ns dir's self-bind is not under nsdir/). */
static int teardown(void **state) {
        (void) state;
        return count_mounts_under(nsdir) == 0 ? 0 : -1;
}

/* ---- pinning ---- */

static void test_pin_all_three_and_verify(void **state) {
        (void) state;
        REQUIRE_ROOT(WHY_ROOT);
        AUTOFREE char *host_fwd = read_trimmed("/proc/sys/net/ipv4/ip_forward");
        AUTOFREE char *host_rp = read_trimmed("/proc/sys/net/ipv4/conf/all/rp_filter");
        AUTOFREE char *host_shm = read_trimmed("/proc/sys/kernel/shmmax");
        char host_name[65] = {0};
        gethostname(host_name, sizeof(host_name) - 1);
        const struct netns_sysctl sysctls[] = {
                {"net.ipv4.ip_forward", "1"},
                {"net.ipv4.conf.all.rp_filter", "2"},
                {"kernel.shmmax", "123456789"},
        };
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct pinned_ns p = {0};
        assert_int_equal(pin("pod-a", NETNS_ALL, "pod-a-host", sysctls, 3, &p, &err), 0);
        assert_null(err);
        assert_non_null(p.net);
        assert_non_null(p.ipc);
        assert_non_null(p.uts);
        AUTOFREE char *want_net = xasprintf("%s/net/pod-a", nsdir);
        assert_string_equal(p.net, want_net);

        const char *paths[] = {"/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv4/conf/all/rp_filter",
                               "/proc/sys/kernel/shmmax", NULL};
        struct probe pr;
        probe(&p, paths, &pr);
        assert_string_equal(pr.hostname, "pod-a-host");
        assert_true(pr.lo_up);
        assert_string_equal(pr.values[0], "1");
        assert_string_equal(pr.values[1], "2");
        assert_string_equal(pr.values[2], "123456789");

        /* the host is untouched */
        AUTOFREE char *fwd = read_trimmed(paths[0]);
        AUTOFREE char *rp = read_trimmed(paths[1]);
        AUTOFREE char *shm = read_trimmed(paths[2]);
        assert_string_equal(fwd, host_fwd);
        assert_string_equal(rp, host_rp);
        assert_string_equal(shm, host_shm);
        char now_name[65] = {0};
        gethostname(now_name, sizeof(now_name) - 1);
        assert_string_equal(now_name, host_name);

        assert_int_equal(netns_unpin(&p, &err), 0);
        pinned_ns_clear(&p);
}

static void test_pinned_files_are_new_namespaces(void **state) {
        (void) state;
        REQUIRE_ROOT(WHY_ROOT);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct pinned_ns p = {0};
        assert_int_equal(pin("pod-ino", NETNS_ALL, NULL, NULL, 0, &p, &err), 0);
        assert_true(inode_of(p.net) != inode_of("/proc/self/ns/net"));
        assert_true(inode_of(p.ipc) != inode_of("/proc/self/ns/ipc"));
        assert_true(inode_of(p.uts) != inode_of("/proc/self/ns/uts"));
        /* the namespaces outlive the helper: the files still open as namespaces */
        int fd = open(p.net, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(count_mounts_under(nsdir), 3);
        assert_int_equal(netns_unpin(&p, &err), 0);
        pinned_ns_clear(&p);
}

static void test_pin_only_net(void **state) {
        (void) state;
        REQUIRE_ROOT(WHY_ROOT);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct pinned_ns p = {0};
        assert_int_equal(pin("pod-net", NETNS_NET, NULL, NULL, 0, &p, &err), 0);
        assert_non_null(p.net);
        assert_null(p.ipc);
        assert_null(p.uts);
        AUTOFREE char *ipc = xasprintf("%s/ipc/pod-net", nsdir);
        assert_false(path_exists(ipc));
        assert_int_equal(count_mounts_under(nsdir), 1);
        assert_int_equal(netns_unpin(&p, &err), 0);
        pinned_ns_clear(&p);
}

static void test_no_hostname_keeps_hosts_name(void **state) {
        (void) state;
        REQUIRE_ROOT(WHY_ROOT);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct pinned_ns p = {0};
        assert_int_equal(pin("pod-noname", NETNS_UTS, NULL, NULL, 0, &p, &err), 0);
        struct probe pr;
        probe(&p, NULL, &pr);
        char host_name[65] = {0};
        gethostname(host_name, sizeof(host_name) - 1);
        assert_string_equal(pr.hostname, host_name);
        assert_int_equal(netns_unpin(&p, &err), 0);
        pinned_ns_clear(&p);
}

static void test_slashed_sysctl_and_mqueue(void **state) {
        (void) state;
        REQUIRE_ROOT(WHY_ROOT);
        const struct netns_sysctl sysctls[] = {
                {"net/ipv4/ip_forward", "1"},
                {"fs.mqueue.msg_max", "20"},
                {"kernel.sem", "250 32000 32 200"},
        };
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct pinned_ns p = {0};
        assert_int_equal(pin("pod-slash", NETNS_NET | NETNS_IPC, NULL, sysctls, 3, &p, &err), 0);
        const char *paths[] = {"/proc/sys/net/ipv4/ip_forward", "/proc/sys/fs/mqueue/msg_max", "/proc/sys/kernel/sem",
                               NULL};
        struct probe pr;
        probe(&p, paths, &pr);
        assert_string_equal(pr.values[0], "1");
        assert_string_equal(pr.values[1], "20");
        assert_string_equal(pr.values[2], "250\t32000\t32\t200");
        assert_int_equal(netns_unpin(&p, &err), 0);
        pinned_ns_clear(&p);
}

static void test_pin_existing_is_exists(void **state) {
        (void) state;
        REQUIRE_ROOT(WHY_ROOT);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct pinned_ns p = {0}, q = {0};
        assert_int_equal(pin("pod-dup", NETNS_ALL, "one", NULL, 0, &p, &err), 0);
        assert_int_equal(pin("pod-dup", NETNS_ALL, "two", NULL, 0, &q, &err), -1);
        assert_int_equal(err->kind, CRIC_E_EXISTS);
        assert_non_null(strstr(err->msg, "pod-dup"));
        assert_null(q.net);
        /* the first pin is intact */
        assert_int_equal(count_mounts_under(nsdir), 3);
        struct probe pr;
        probe(&p, NULL, &pr);
        assert_string_equal(pr.hostname, "one");
        assert_int_equal(netns_unpin(&p, &err), 0);
        pinned_ns_clear(&p);
}

/* ---- sysctl and option errors (validation needs no privilege; the kernel's refusals do) ---- */

static void assert_pin_fails(const char *pod, unsigned which, const char *hostname, const struct netns_sysctl *s,
                             size_t n, enum cric_error_kind kind, const char *needle1, const char *needle2) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct pinned_ns p = {0};
        const char *msg = testlib_error_is(pin(pod, which, hostname, s, n, &p, &err), &err, kind);
        if (needle1)
                assert_contains(msg, needle1);
        if (needle2)
                assert_contains(msg, needle2);
        assert_null(p.net);
        assert_int_equal(count_mounts_under(nsdir), 0);
        /* nothing is left behind for this pod */
        for (unsigned k = NETNS_NET; k <= NETNS_UTS; k <<= 1) {
                AUTOFREE char *path = netns_pin_path(nsdir, k, pod);
                assert_false(path_exists(path));
        }
}

static void test_unknown_sysctl_is_named(void **state) {
        (void) state;
        REQUIRE_ROOT(WHY_ROOT);
        const struct netns_sysctl s[] = {{"net.ipv4.ip_forward", "1"}, {"net.ipv4.no_such_knob", "7"}};
        assert_pin_fails("pod-bad1", NETNS_ALL, "h", s, 2, CRIC_E_INVALID, "net.ipv4.no_such_knob", "\"7\"");
}

static void test_bad_sysctl_value_is_named(void **state) {
        (void) state;
        REQUIRE_ROOT(WHY_ROOT);
        const struct netns_sysctl s[] = {{"net.ipv4.ip_forward", "banana"}};
        assert_pin_fails("pod-bad2", NETNS_NET, NULL, s, 1, CRIC_E_INVALID, "net.ipv4.ip_forward", "banana");
}

static void test_sysctl_not_namespaced(void **state) {
        (void) state;
        const struct netns_sysctl s[] = {{"kernel.panic", "1"}};
        assert_pin_fails("pod-bad3", NETNS_ALL, NULL, s, 1, CRIC_E_INVALID, "kernel.panic", "not namespaced");
        const struct netns_sysctl s2[] = {{"vm.swappiness", "1"}};
        assert_pin_fails("pod-bad3", NETNS_ALL, NULL, s2, 1, CRIC_E_INVALID, "vm.swappiness", NULL);
}

static void test_sysctl_needs_its_namespace(void **state) {
        (void) state;
        const struct netns_sysctl net[] = {{"net.ipv4.ip_forward", "1"}};
        assert_pin_fails("pod-bad4", NETNS_IPC | NETNS_UTS, NULL, net, 1, CRIC_E_INVALID, "net.ipv4.ip_forward",
                         "network");
        const struct netns_sysctl ipc[] = {{"kernel.shmmax", "1"}};
        assert_pin_fails("pod-bad4", NETNS_NET, NULL, ipc, 1, CRIC_E_INVALID, "kernel.shmmax", "IPC");
}

static void test_sysctl_names_cannot_escape(void **state) {
        (void) state;
        const struct netns_sysctl a[] = {{"net/../../../etc/passwd", "x"}};
        assert_pin_fails("pod-bad5", NETNS_NET, NULL, a, 1, CRIC_E_INVALID, "invalid sysctl name", NULL);
        const struct netns_sysctl b[] = {{"net.ipv4..ip_forward", "1"}};
        assert_pin_fails("pod-bad5", NETNS_NET, NULL, b, 1, CRIC_E_INVALID, "invalid sysctl name", NULL);
        const struct netns_sysctl c[] = {{"net.ipv4.ip_forward", "1\nnet.x=2"}};
        assert_pin_fails("pod-bad5", NETNS_NET, NULL, c, 1, CRIC_E_INVALID, "invalid value", NULL);
        const struct netns_sysctl d[] = {{"net.ipv4.ip forward", "1"}};
        assert_pin_fails("pod-bad5", NETNS_NET, NULL, d, 1, CRIC_E_INVALID, "invalid sysctl name", NULL);
}

static void test_invalid_pod_ids(void **state) {
        (void) state;
        const char *bad[] = {"", "..", ".", "a/b", "a b", "x\ny", NULL};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                struct pinned_ns p = {0};
                assert_int_equal(pin(bad[i], NETNS_ALL, NULL, NULL, 0, &p, &err), -1);
                assert_int_equal(err->kind, CRIC_E_INVALID);
                assert_non_null(strstr(err->msg, "invalid pod id"));
                assert_null(p.net);
        }
        assert_int_equal(count_mounts_under(nsdir), 0);
        AUTOFREE char *escaped = xasprintf("%s/a", nsdir);
        assert_false(path_exists(escaped));
}

static void test_invalid_hostnames_and_sets(void **state) {
        (void) state;
        assert_pin_fails("pod-h", NETNS_ALL, "bad host", NULL, 0, CRIC_E_INVALID, "invalid hostname", NULL);
        assert_pin_fails("pod-h", NETNS_ALL, "", NULL, 0, CRIC_E_INVALID, "invalid hostname", NULL);
        char longname[80];
        memset(longname, 'a', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        assert_pin_fails("pod-h", NETNS_ALL, longname, NULL, 0, CRIC_E_INVALID, "length", NULL);
        assert_pin_fails("pod-h", NETNS_NET, "fine", NULL, 0, CRIC_E_INVALID, "UTS", NULL);
        assert_pin_fails("pod-h", 0, NULL, NULL, 0, CRIC_E_INVALID, "namespace set", NULL);
        assert_pin_fails("pod-h", 0x10, NULL, NULL, 0, CRIC_E_INVALID, "namespace set", NULL);
}

/* ---- unpinning ---- */

static void test_unpin_twice_is_fine(void **state) {
        (void) state;
        REQUIRE_ROOT(WHY_ROOT);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct pinned_ns p = {0};
        assert_int_equal(pin("pod-twice", NETNS_ALL, NULL, NULL, 0, &p, &err), 0);
        assert_int_equal(netns_unpin(&p, &err), 0);
        assert_false(path_exists(p.net));
        assert_false(path_exists(p.ipc));
        assert_false(path_exists(p.uts));
        assert_int_equal(count_mounts_under(nsdir), 0);
        assert_int_equal(netns_unpin(&p, &err), 0);
        assert_null(err);
        pinned_ns_clear(&p);
}

static void test_unpin_missing_null_and_unmounted(void **state) {
        (void) state;
        REQUIRE_ROOT(WHY_ROOT); /* umount2 of a plain file is EPERM for others */
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct pinned_ns none = {0};
        assert_int_equal(netns_unpin(&none, &err), 0);
        assert_int_equal(netns_unpin(NULL, &err), 0);
        AUTOFREE char *plain = xasprintf("%s/plain-file", tmpdir);
        assert_int_equal(fs_write_file_atomic(plain, "", 0, 0644, &err), 0);
        struct pinned_ns p = {.net = plain, .ipc = (char *) "/nonexistent/cric/ipc/x", .uts = NULL};
        assert_int_equal(netns_unpin(&p, &err), 0);
        assert_false(path_exists(plain));
        assert_null(err);
}

static void test_twenty_pods(void **state) {
        (void) state;
        REQUIRE_ROOT(WHY_ROOT);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct pinned_ns pins[20] = {0};
        for (int i = 0; i < 20; i++) {
                char pod[32], host[32];
                snprintf(pod, sizeof(pod), "pod-%02d", i);
                snprintf(host, sizeof(host), "host-%02d", i);
                const struct netns_sysctl s[] = {{"net.ipv4.ip_forward", i % 2 ? "1" : "0"}};
                assert_int_equal(pin(pod, NETNS_ALL, host, s, 1, &pins[i], &err), 0);
        }
        assert_int_equal(count_mounts_under(nsdir), 60);
        for (int i = 0; i < 20; i++)
                for (int j = i + 1; j < 20; j++)
                        assert_true(inode_of(pins[i].net) != inode_of(pins[j].net));
        struct probe pr;
        const char *paths[] = {"/proc/sys/net/ipv4/ip_forward", NULL};
        probe(&pins[7], paths, &pr);
        assert_string_equal(pr.hostname, "host-07");
        assert_string_equal(pr.values[0], "1");
        for (int i = 0; i < 20; i++) {
                assert_int_equal(netns_unpin(&pins[i], &err), 0);
                pinned_ns_clear(&pins[i]);
        }
        assert_int_equal(count_mounts_under(nsdir), 0);
}

struct thread_arg {
        int base;
        int failures;
};

static void *pin_unpin_thread(void *data) {
        struct thread_arg *a = data;
        for (int i = 0; i < 5; i++) {
                char pod[32];
                snprintf(pod, sizeof(pod), "thr-%d-%d", a->base, i);
                struct cric_error *err = NULL;
                struct pinned_ns p = {0};
                char **cidrs = NULL;
                if (pin(pod, NETNS_ALL, "t", NULL, 0, &p, &err) < 0 ||
                    netns_get_addresses(p.net, "lo", &cidrs, &err) < 0 || strcmp(cidrs[0], "127.0.0.1/8") ||
                    netns_unpin(&p, &err) < 0)
                        a->failures++;
                strv_free(cidrs);
                cric_error_free(err);
                pinned_ns_clear(&p);
        }
        return NULL;
}

static void test_threads_pin_concurrently(void **state) {
        (void) state;
        REQUIRE_ROOT(WHY_ROOT);
        pthread_t t[8];
        struct thread_arg args[8] = {{0}};
        for (int i = 0; i < 8; i++) {
                args[i].base = i;
                assert_int_equal(pthread_create(&t[i], NULL, pin_unpin_thread, &args[i]), 0);
        }
        for (int i = 0; i < 8; i++) {
                pthread_join(t[i], NULL);
                assert_int_equal(args[i].failures, 0);
        }
        assert_int_equal(count_mounts_under(nsdir), 0);
        /* the calling threads never moved */
        char name[65] = {0};
        gethostname(name, sizeof(name) - 1);
        assert_string_not_equal(name, "t");
}

static void test_pin_path(void **state) {
        (void) state;
        AUTOFREE char *a = netns_pin_path(NULL, NETNS_NET, "abc");
        AUTOFREE char *b = netns_pin_path("/run/x/ns", NETNS_UTS, "abc");
        assert_string_equal(a, "/run/cric/ns/net/abc");
        assert_string_equal(b, "/run/x/ns/uts/abc");
        assert_null(netns_pin_path("/d", NETNS_ALL, "abc"));
}

/* ---- inside a pinned netns ---- */

static void test_get_addresses_on_lo(void **state) {
        (void) state;
        REQUIRE_ROOT(WHY_ROOT);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct pinned_ns p = {0};
        assert_int_equal(pin("pod-addr", NETNS_NET, NULL, NULL, 0, &p, &err), 0);
        CLEANUP(strv_freep) char **cidrs = NULL;
        assert_int_equal(netns_get_addresses(p.net, "lo", &cidrs, &err), 0);
        assert_non_null(cidrs);
        assert_string_equal(cidrs[0], "127.0.0.1/8");
        if (access("/proc/sys/net/ipv6", F_OK) == 0) {
                assert_int_equal(strv_length(cidrs), 2);
                assert_string_equal(cidrs[1], "::1/128");
        }
        assert_int_equal(netns_unpin(&p, &err), 0);
        pinned_ns_clear(&p);
}

static void test_get_addresses_errors(void **state) {
        (void) state;
        REQUIRE_ROOT(WHY_ROOT);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct pinned_ns p = {0};
        assert_int_equal(pin("pod-addr2", NETNS_NET, NULL, NULL, 0, &p, &err), 0);
        char **cidrs = NULL;
        assert_int_equal(netns_get_addresses(p.net, "nope0", &cidrs, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        assert_non_null(strstr(err->msg, "nope0"));
        assert_null(cidrs);
        /* eth0 of the host is not in the pod's netns */
        assert_int_equal(netns_get_addresses(p.net, "eth0", &cidrs, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        assert_int_equal(netns_unpin(&p, &err), 0);
        assert_int_equal(netns_get_addresses(p.net, "lo", &cidrs, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        pinned_ns_clear(&p);
}

/* Runs in the child: compares the netns it is in with the expected inode. */
static int check_inode(void *arg) {
        struct stat st;
        if (stat("/proc/thread-self/ns/net", &st) < 0)
                return errno;
        return st.st_ino == *(ino_t *) arg ? 0 : EXDEV;
}

static int return_eperm(void *arg) {
        (void) arg;
        return EPERM;
}

static void test_enter_run(void **state) {
        (void) state;
        REQUIRE_ROOT(WHY_ROOT);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct pinned_ns p = {0};
        assert_int_equal(pin("pod-enter", NETNS_NET, NULL, NULL, 0, &p, &err), 0);
        ino_t want = inode_of(p.net);
        assert_int_equal(netns_enter_run(p.net, check_inode, &want, &err), 0);
        assert_null(err);
        assert_int_equal(netns_enter_run(p.net, return_eperm, NULL, &err), -1);
        assert_int_equal(err->errno_value, EPERM);
        assert_non_null(strstr(err->msg, p.net));
        /* the caller stays where it was */
        assert_true(inode_of("/proc/thread-self/ns/net") != want);
        assert_int_equal(netns_unpin(&p, &err), 0);
        pinned_ns_clear(&p);
}

static void test_enter_run_not_a_netns(void **state) {
        (void) state;
        REQUIRE_ROOT(WHY_ROOT);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOFREE char *plain = xasprintf("%s/not-a-netns", tmpdir);
        assert_int_equal(fs_write_file_atomic(plain, "x", 1, 0644, &err), 0);
        ino_t dummy = 0;
        assert_int_equal(netns_enter_run(plain, check_inode, &dummy, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_int_equal(netns_enter_run("/nonexistent/netns", check_inode, &dummy, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        unlink(plain);
}

static void test_host_addresses(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        CLEANUP(strv_freep) char **addrs = NULL;
        int n = host_addresses(&addrs, &err);
        assert_true(n >= 0);
        assert_non_null(addrs);
        assert_int_equal(strv_length(addrs), n);
        if (n == 0) {
                print_message("skipped: the host has no default route\n");
                skip();
        }
        unsigned char buf[16];
        bool seen_v6 = false;
        for (int i = 0; i < n; i++) {
                bool v4 = inet_pton(AF_INET, addrs[i], buf) == 1;
                bool v6 = inet_pton(AF_INET6, addrs[i], buf) == 1;
                assert_true(v4 || v6);
                assert_false(v4 && seen_v6); /* IPv4 first */
                seen_v6 |= v6;
                assert_null(strchr(addrs[i], '/'));
                assert_string_not_equal(addrs[i], "127.0.0.1");
                assert_true(strncmp(addrs[i], "fe80:", 5) != 0);
        }
        assert_true(n <= 2);
}

/* In a network namespace of its own (this thread only), so the host is left alone:
 * bringing lo up adds its address and routes, which the change socket must report. */
static void *changes_thread(void *arg) {
        int *result = arg;
        *result = 1;
        if (unshare(CLONE_NEWNET) < 0)
                return NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOCLOSE int fd = host_changes_open(&err);
        if (fd < 0)
                return NULL;
        *result = 2;
        if (host_changes_drain(fd)) /* nothing happened yet */
                return NULL;
        AUTOCLOSE int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = {0};
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
        if (sock < 0 || ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
                return NULL;
        ifr.ifr_flags |= IFF_UP;
        *result = 3;
        if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
                return NULL;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        *result = 4;
        if (poll(&p, 1, 10000) != 1 || !host_changes_drain(fd))
                return NULL;
        *result = host_changes_drain(fd) ? 5 : 0; /* drained: quiet again */
        return NULL;
}

static void test_host_changes(void **state) {
        (void) state;
        REQUIRE_ROOT(WHY_ROOT);
        pthread_t t;
        int result = -1;
        assert_int_equal(pthread_create(&t, NULL, changes_thread, &result), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
        assert_int_equal(result, 0);
}

int main(void) {
#define T(fn) cmocka_unit_test_teardown(fn, teardown)
        const struct CMUnitTest tests[] = {
                T(test_pin_all_three_and_verify),
                T(test_host_changes),
                T(test_pinned_files_are_new_namespaces),
                T(test_pin_only_net),
                T(test_no_hostname_keeps_hosts_name),
                T(test_slashed_sysctl_and_mqueue),
                T(test_pin_existing_is_exists),
                T(test_unknown_sysctl_is_named),
                T(test_bad_sysctl_value_is_named),
                T(test_sysctl_not_namespaced),
                T(test_sysctl_needs_its_namespace),
                T(test_sysctl_names_cannot_escape),
                T(test_invalid_pod_ids),
                T(test_invalid_hostnames_and_sets),
                T(test_unpin_twice_is_fine),
                T(test_unpin_missing_null_and_unmounted),
                T(test_twenty_pods),
                T(test_threads_pin_concurrently),
                T(test_pin_path),
                T(test_get_addresses_on_lo),
                T(test_get_addresses_errors),
                T(test_enter_run),
                T(test_enter_run_not_a_netns),
                T(test_host_addresses),
        };
        return cmocka_run_group_tests_name("network_netns", tests, group_setup, group_teardown);
}
