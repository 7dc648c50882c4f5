/* resolv.conf, hosts and hostname of a pod: rendered contents, validation, and the
 * files written into a fresh temp dir (host files are fakes in the same temp dir).
 * No root needed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "network/podfiles.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/xalloc.h"

struct fixture {
        char *root;
        char *pod;         /* <root>/pod (not created) */
        char *host_resolv; /* <root>/host-resolv.conf */
        char *host_hosts;  /* <root>/host-hosts */
};

static int setup(void **state) {
        struct fixture *f = xzalloc(sizeof(*f));
        f->root = testlib_tmpdir("podfiles-test");
        f->pod = xasprintf("%s/pod", f->root);
        f->host_resolv = xasprintf("%s/host-resolv.conf", f->root);
        f->host_hosts = xasprintf("%s/host-hosts", f->root);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        int r = testlib_rmtree(f->root);
        free(f->root);
        free(f->pod);
        free(f->host_resolv);
        free(f->host_hosts);
        free(f);
        return r;
}

static void put(const char *path, const char *data) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(fs_write_file_atomic(path, data, strlen(data), 0644, &err), 0);
}

#define HOSTS_HEAD                                                                                                     \
        "# Kubernetes-managed hosts file (cric).\n"                                                                    \
        "127.0.0.1\tlocalhost\n"                                                                                       \
        "::1\tlocalhost ip6-localhost ip6-loopback\n"

/* ---- resolv.conf rendering ---- */

static void test_resolv_full(void **state) {
        (void) state;
        char *servers[] = {"10.96.0.10", "fd00::10", NULL};
        char *searches[] = {"default.svc.cluster.local", "svc.cluster.local", "cluster.local", NULL};
        char *options[] = {"ndots:5", "edns0", NULL};
        struct pod_dns dns = {servers, searches, options};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOFREE char *s = podfiles_render_resolv_conf(&dns, &err);
        assert_non_null(s);
        assert_string_equal(s, "nameserver 10.96.0.10\n"
                               "nameserver fd00::10\n"
                               "search default.svc.cluster.local svc.cluster.local cluster.local\n"
                               "options ndots:5 edns0\n");
}

static void test_resolv_servers_only_and_empty(void **state) {
        (void) state;
        char *servers[] = {"1.1.1.1", NULL};
        char *none[] = {NULL};
        struct pod_dns dns = {servers, NULL, none};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOFREE char *s = podfiles_render_resolv_conf(&dns, &err);
        assert_string_equal(s, "nameserver 1.1.1.1\n");
        struct pod_dns empty = {0};
        AUTOFREE char *e = podfiles_render_resolv_conf(&empty, &err);
        assert_string_equal(e, "");
        AUTOFREE char *n = podfiles_render_resolv_conf(NULL, &err);
        assert_string_equal(n, "");
        assert_null(err);
}

static void test_resolv_ipv6_zone(void **state) {
        (void) state;
        char *servers[] = {"fe80::1%eth0", NULL};
        struct pod_dns dns = {.servers = servers};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOFREE char *s = podfiles_render_resolv_conf(&dns, &err);
        assert_string_equal(s, "nameserver fe80::1%eth0\n");
}

static void assert_resolv_invalid(struct pod_dns dns, const char *needle) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        char *s = podfiles_render_resolv_conf(&dns, &err);
        assert_null(s);
        assert_non_null(err);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        if (!strstr(err->msg, needle))
                fail_msg("\"%s\" lacks \"%s\"", err->msg, needle);
}

static void test_resolv_invalid_servers(void **state) {
        (void) state;
        const char *bad[] = {
                "1.2.3",        "8.8.8.8\nnameserver 6.6.6.6", "", "dns.google", "1.1.1.1 ", "fe80::1%", "1.1.1.1%eth0",
                "fe80::1%e th0"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char *servers[] = {(char *) bad[i], NULL};
                assert_resolv_invalid((struct pod_dns){.servers = servers}, "invalid DNS server");
        }
}

static void test_resolv_invalid_searches(void **state) {
        (void) state;
        char longname[300];
        memset(longname, 'a', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        const char *bad[] = {"a b", "x.com\nnameserver 1.2.3.4", "", ".lead", "a..b", "tab\tx", longname, "x/y"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char *searches[] = {"ok.example", (char *) bad[i], NULL};
                assert_resolv_invalid((struct pod_dns){.searches = searches}, "invalid DNS search domain");
        }
}

static void test_resolv_invalid_options(void **state) {
        (void) state;
        const char *bad[] = {"ndots:5\n", "a b", "", "x#y", "\x01"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char *options[] = {(char *) bad[i], NULL};
                assert_resolv_invalid((struct pod_dns){.options = options}, "invalid DNS option");
        }
}

/* ---- hosts rendering ---- */

static void test_hosts_without_ips(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOFREE char *a = podfiles_render_hosts("web-0", NULL, &err);
        assert_string_equal(a, HOSTS_HEAD);
        AUTOFREE char *b = podfiles_render_hosts(NULL, NULL, &err);
        assert_string_equal(b, HOSTS_HEAD);
}

static void test_hosts_with_ips(void **state) {
        (void) state;
        char *ips[] = {"10.88.0.5", "fd00:88::5", NULL};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOFREE char *s = podfiles_render_hosts("web-0", ips, &err);
        assert_string_equal(s, HOSTS_HEAD "10.88.0.5\tweb-0\n"
                                          "fd00:88::5\tweb-0\n");
        /* without a hostname there is nothing to map the IPs to */
        AUTOFREE char *n = podfiles_render_hosts(NULL, ips, &err);
        assert_string_equal(n, HOSTS_HEAD);
}

static void test_hosts_invalid(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        char *bad_ip[] = {"10.88.0.5", "10.88.0.256", NULL};
        assert_null(podfiles_render_hosts("web-0", bad_ip, &err));
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_non_null(strstr(err->msg, "10.88.0.256"));
        char *inject[] = {"10.0.0.1\tevil\n1.2.3.4", NULL};
        assert_null(podfiles_render_hosts("web-0", inject, &err));
        assert_int_equal(err->kind, CRIC_E_INVALID);
        const char *bad_names[] = {"web 0", "web\n0", "", "web/0"};
        for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
                assert_null(podfiles_render_hosts(bad_names[i], NULL, &err));
                assert_int_equal(err->kind, CRIC_E_INVALID);
                assert_non_null(strstr(err->msg, "invalid hostname"));
        }
}

/* ---- writing ---- */

static void test_write_all_three(void **state) {
        struct fixture *f = *state;
        char *servers[] = {"10.96.0.10", NULL};
        char *searches[] = {"ns.svc.cluster.local", NULL};
        char *options[] = {"ndots:5", NULL};
        struct pod_dns dns = {servers, searches, options};
        char *ips[] = {"10.88.0.7", NULL};
        struct podfiles_opts o = {.dir = f->pod, .hostname = "web-1", .dns = &dns, .ips = ips};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(podfiles_write(&o, &err), 0);
        AUTOFREE char *resolv = testlib_try_read_file("%s/resolv.conf", f->pod);
        AUTOFREE char *hosts = testlib_try_read_file("%s/hosts", f->pod);
        AUTOFREE char *hostname = testlib_try_read_file("%s/hostname", f->pod);
        assert_string_equal(resolv, "nameserver 10.96.0.10\nsearch ns.svc.cluster.local\noptions ndots:5\n");
        assert_string_equal(hosts, HOSTS_HEAD "10.88.0.7\tweb-1\n");
        assert_string_equal(hostname, "web-1\n");
        const char *names[] = {"resolv.conf", "hosts", "hostname"};
        for (size_t i = 0; i < 3; i++) {
                AUTOFREE char *path = xasprintf("%s/%s", f->pod, names[i]);
                struct stat st;
                assert_int_equal(stat(path, &st), 0);
                assert_int_equal(st.st_mode & 07777, 0644);
        }
        assert_int_equal(testlib_count_entries(f->pod), 3); /* no temp files left */
}

static void test_no_dns_copies_host_resolv(void **state) {
        struct fixture *f = *state;
        const char *host = "# host\nnameserver 192.0.2.53\nsearch corp.example\n";
        put(f->host_resolv, host);
        struct podfiles_opts o = {.dir = f->pod, .hostname = "a", .host_resolv_conf = f->host_resolv};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(podfiles_write(&o, &err), 0);
        AUTOFREE char *resolv = testlib_try_read_file("%s/resolv.conf", f->pod);
        assert_string_equal(resolv, host);
}

static void test_empty_dns_copies_host_resolv(void **state) {
        struct fixture *f = *state;
        const char *host = "nameserver 192.0.2.1\n";
        put(f->host_resolv, host);
        char *none[] = {NULL};
        struct pod_dns dns = {none, NULL, none};
        struct podfiles_opts o = {.dir = f->pod, .hostname = "a", .dns = &dns, .host_resolv_conf = f->host_resolv};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(podfiles_write(&o, &err), 0);
        AUTOFREE char *resolv = testlib_try_read_file("%s/resolv.conf", f->pod);
        assert_string_equal(resolv, host);
}

static void test_missing_host_resolv_gives_empty_file(void **state) {
        struct fixture *f = *state;
        struct podfiles_opts o = {.dir = f->pod, .hostname = "a", .host_resolv_conf = f->host_resolv};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(podfiles_write(&o, &err), 0);
        AUTOFREE char *resolv = testlib_try_read_file("%s/resolv.conf", f->pod);
        assert_string_equal(resolv, "");
}

static void test_host_network_copies_host_hosts(void **state) {
        struct fixture *f = *state;
        const char *host = "127.0.0.1 localhost\n192.0.2.2 node-1\n";
        put(f->host_hosts, host);
        char *ips[] = {"192.0.2.2", NULL};
        struct podfiles_opts o = {.dir = f->pod,
                                  .hostname = "node-1",
                                  .ips = ips,
                                  .is_host_network = true,
                                  .host_hosts = f->host_hosts,
                                  .host_resolv_conf = f->host_resolv};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(podfiles_write(&o, &err), 0);
        AUTOFREE char *hosts = testlib_try_read_file("%s/hosts", f->pod);
        assert_string_equal(hosts, host);
        AUTOFREE char *hostname = testlib_try_read_file("%s/hostname", f->pod);
        assert_string_equal(hostname, "node-1\n");
}

static void test_host_network_without_host_hosts(void **state) {
        struct fixture *f = *state;
        struct podfiles_opts o = {
                .dir = f->pod, .hostname = "node-1", .is_host_network = true, .host_hosts = f->host_hosts};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(podfiles_write_hosts(&o, &err), 0);
        AUTOFREE char *hosts = testlib_try_read_file("%s/hosts", f->pod);
        assert_string_equal(hosts, HOSTS_HEAD);
}

static void test_rewrite_hosts_once_ip_known(void **state) {
        struct fixture *f = *state;
        char *servers[] = {"10.96.0.10", NULL};
        struct pod_dns dns = {.servers = servers};
        struct podfiles_opts o = {.dir = f->pod, .hostname = "db-0", .dns = &dns};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(podfiles_write(&o, &err), 0);
        AUTOFREE char *before = testlib_try_read_file("%s/hosts", f->pod);
        assert_string_equal(before, HOSTS_HEAD);
        char *ips[] = {"10.88.1.2", "fd00::1:2", NULL};
        o.ips = ips;
        o.dns = NULL; /* only hosts is rewritten: resolv.conf must stay */
        assert_int_equal(podfiles_write_hosts(&o, &err), 0);
        AUTOFREE char *after = testlib_try_read_file("%s/hosts", f->pod);
        assert_string_equal(after, HOSTS_HEAD "10.88.1.2\tdb-0\nfd00::1:2\tdb-0\n");
        AUTOFREE char *resolv = testlib_try_read_file("%s/resolv.conf", f->pod);
        assert_string_equal(resolv, "nameserver 10.96.0.10\n");
        assert_int_equal(testlib_count_entries(f->pod), 3);
}

static void test_invalid_input_writes_nothing(void **state) {
        struct fixture *f = *state;
        char *servers[] = {"10.96.0.10", "not-an-ip", NULL};
        struct pod_dns dns = {.servers = servers};
        struct podfiles_opts o = {.dir = f->pod, .hostname = "a", .dns = &dns};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(podfiles_write(&o, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_non_null(strstr(err->msg, "not-an-ip"));
        assert_int_equal(testlib_count_entries(f->pod), -1); /* not even the dir */
        char *ips[] = {"300.1.1.1", NULL};
        struct podfiles_opts o2 = {.dir = f->pod, .hostname = "a", .ips = ips};
        assert_int_equal(podfiles_write_hosts(&o2, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_int_equal(testlib_count_entries(f->pod), -1);
        struct podfiles_opts o3 = {.dir = f->pod, .hostname = "bad name"};
        assert_int_equal(podfiles_write(&o3, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_int_equal(testlib_count_entries(f->pod), -1);
}

static void test_default_hostname_is_hosts(void **state) {
        struct fixture *f = *state;
        char host[256] = {0};
        assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
        struct podfiles_opts o = {.dir = f->pod, .hostname = "", .host_resolv_conf = f->host_resolv};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(podfiles_write(&o, &err), 0);
        AUTOFREE char *hostname = testlib_try_read_file("%s/hostname", f->pod);
        AUTOFREE char *want = xasprintf("%s\n", host);
        assert_string_equal(hostname, want);
}

static void test_missing_dir_option(void **state) {
        (void) state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct podfiles_opts o = {.hostname = "a"};
        assert_int_equal(podfiles_write(&o, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_int_equal(podfiles_write_hosts(NULL, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
}

static void test_overwrite_existing_files(void **state) {
        struct fixture *f = *state;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(fs_mkdir_p(f->pod, 0755, &err), 0);
        AUTOFREE char *old = xasprintf("%s/hostname", f->pod);
        put(old, "stale-name-that-is-longer\n");
        struct podfiles_opts o = {.dir = f->pod, .hostname = "new", .host_resolv_conf = f->host_resolv};
        assert_int_equal(podfiles_write(&o, &err), 0);
        AUTOFREE char *hostname = testlib_try_read_file("%s/hostname", f->pod);
        assert_string_equal(hostname, "new\n");
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_resolv_full),
                cmocka_unit_test(test_resolv_servers_only_and_empty),
                cmocka_unit_test(test_resolv_ipv6_zone),
                cmocka_unit_test(test_resolv_invalid_servers),
                cmocka_unit_test(test_resolv_invalid_searches),
                cmocka_unit_test(test_resolv_invalid_options),
                cmocka_unit_test(test_hosts_without_ips),
                cmocka_unit_test(test_hosts_with_ips),
                cmocka_unit_test(test_hosts_invalid),
                T(test_write_all_three),
                T(test_no_dns_copies_host_resolv),
                T(test_empty_dns_copies_host_resolv),
                T(test_missing_host_resolv_gives_empty_file),
                T(test_host_network_copies_host_hosts),
                T(test_host_network_without_host_hosts),
                T(test_rewrite_hosts_once_ip_known),
                T(test_invalid_input_writes_nothing),
                T(test_default_hostname_is_hosts),
                cmocka_unit_test(test_missing_dir_option),
                T(test_overwrite_existing_files),
        };
        return cmocka_run_group_tests_name("network_podfiles", tests, NULL, NULL);
}
