/* Running CNI plugins. Most tests use FAKE plugins: shell scripts written into temp
 * plugin dirs that record each call (environment, stdin) under log/<n>.* and answer
 * what ctl/<type>.<VERB>.{out,err,rc,sleep} say. One test drives Debian's real
 * bridge, host-local and loopback plugins in a fresh netns (root only). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "network/cni.h"
#include "network/cni_internal.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/rm.h"
#include "util/spawn.h"
#include "util/strv.h"
#include "util/xalloc.h"

static char *tmpdir, *bin1, *bin2, *logdir, *ctldir, *cachedir;
static char *plugin_dirs[3];
static struct cni_exec_opts opts;

/* ---- fixtures ---- */

static char *sub(const char *name) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        char *p = xasprintf("%s/%s", tmpdir, name);
        assert_int_equal(fs_mkdir_p(p, 0755, &err), 0);
        return p;
}

static int setup(void **state) {
        (void) state;
        tmpdir = testlib_tmpdir("cni-exec-test");
        bin1 = sub("bin1");
        bin2 = sub("bin2");
        logdir = sub("log");
        ctldir = sub("ctl");
        cachedir = xasprintf("%s/cache", tmpdir); /* created by the first ADD */
        plugin_dirs[0] = bin1;
        plugin_dirs[1] = bin2;
        plugin_dirs[2] = NULL;
        opts = (struct cni_exec_opts){.plugin_dirs = plugin_dirs, .cache_dir = cachedir, .timeout_ms = 20000};
        return 0;
}

static int teardown(void **state) {
        (void) state;
        assert_int_equal(testlib_rmtree(tmpdir), 0);
        free(tmpdir);
        free(bin1);
        free(bin2);
        free(logdir);
        free(ctldir);
        free(cachedir);
        return 0;
}

static void write_file(const char *path, const char *text, mode_t mode) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(fs_write_file_atomic(path, text, strlen(text), mode, &err), 0);
}

/* A fake plugin named type in dir. It reads stdin first, so spawn never writes to a
 * closed pipe. */
static void install_in(const char *dir, const char *type) {
        AUTOFREE char *script = xasprintf("#!/bin/sh\n"
                                          "log=%s\n"
                                          "ctl=%s/%s.$CNI_COMMAND\n"
                                          "n=$(cat \"$log/seq\" 2>/dev/null || echo 0)\n"
                                          "n=$((n + 1))\n"
                                          "echo \"$n\" > \"$log/seq\"\n"
                                          "cat > \"$log/$n.stdin\"\n"
                                          "env | grep '^CNI_' | sort > \"$log/$n.env\"\n"
                                          "echo \"%s $CNI_COMMAND\" > \"$log/$n.who\"\n"
                                          "[ -f \"$ctl.sleep\" ] && exec sleep \"$(cat \"$ctl.sleep\")\"\n"
                                          "[ -f \"$ctl.out\" ] && cat \"$ctl.out\"\n"
                                          "[ -f \"$ctl.err\" ] && cat \"$ctl.err\" >&2\n"
                                          "[ -f \"$ctl.rc\" ] && exit \"$(cat \"$ctl.rc\")\"\n"
                                          "exit 0\n",
                                          logdir, ctldir, type, type);
        AUTOFREE char *path = xasprintf("%s/%s", dir, type);
        write_file(path, script, 0755);
}

static void install(const char *type) {
        install_in(bin1, type);
}

static void ctl_write(const char *type, const char *verb, const char *ext, const char *text) {
        AUTOFREE char *path = xasprintf("%s/%s.%s.%s", ctldir, type, verb, ext);
        if (text)
                write_file(path, text, 0644);
        else
                unlink(path);
}

/* What plugin type answers to verb: exit status rc, stdout out, stderr errtext. */
static void reply(const char *type, const char *verb, int rc, const char *out, const char *errtext) {
        AUTOFREE char *rcs = xasprintf("%d", rc);
        ctl_write(type, verb, "rc", rc ? rcs : NULL);
        ctl_write(type, verb, "out", out);
        ctl_write(type, verb, "err", errtext);
}

static struct cni_net *net_from(const char *text) {
        struct cni_net *n = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (cni_net_parse(text, strlen(text), "test", &n, &err) < 0)
                fail_msg("net: %s", err->msg);
        return n;
}

static void netp(struct cni_net **n) {
        cni_net_unref(*n);
}

static void resultp(struct cni_result **r) {
        cni_result_free(*r);
}

static struct json_object *parse_json(const char *text) {
        struct json_object *o = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (json_parse_strict(text, strlen(text), "test", &o, &err) < 0)
                fail_msg("%s: %s", err->msg, text);
        return o;
}

/* ---- recorded calls ---- */

static int n_calls(void) {
        AUTOFREE char *path = xasprintf("%s/seq", logdir);
        if (access(path, F_OK) != 0)
                return 0;
        AUTOFREE char *s = testlib_read_file("%s", path);
        return atoi(s);
}

/* Forgets the calls so far. */
static void calls_reset(void) {
        AUTOFREE char *path = xasprintf("%s/seq", logdir);
        unlink(path);
}

struct rec {
        char *who, *env;
        struct json_object *in;
};

static void rec_clear(struct rec *r) {
        free(r->who);
        free(r->env);
        json_object_put(r->in);
}

/* Call n (from 1), checked to be verb of type. */
static void rec_load(int n, const char *who, struct rec *r) {
        AUTOFREE char *pwho = xasprintf("%s/%d.who", logdir, n);
        AUTOFREE char *penv = xasprintf("%s/%d.env", logdir, n);
        AUTOFREE char *pin = xasprintf("%s/%d.stdin", logdir, n);
        r->who = testlib_read_file("%s", pwho);
        r->who[strcspn(r->who, "\n")] = '\0';
        if (strcmp(r->who, who) != 0)
                fail_msg("call %d: got \"%s\", want \"%s\"", n, r->who, who);
        r->env = testlib_read_file("%s", penv);
        AUTOFREE char *in = testlib_read_file("%s", pin);
        r->in = parse_json(in);
}

/* The value of an environment variable of the call, or NULL. Owned by the caller. */
static char *rec_env(const struct rec *r, const char *key) {
        AUTOFREE char *prefix = xasprintf("%s=", key);
        for (const char *line = r->env; line && *line;) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t) (end - line) : strlen(line);
                if (strncmp(line, prefix, strlen(prefix)) == 0)
                        return xstrndup(line + strlen(prefix), len - strlen(prefix));
                line = end ? end + 1 : NULL;
        }
        return NULL;
}

static void assert_env(const struct rec *r, const char *key, const char *want) {
        AUTOFREE char *v = rec_env(r, key);
        if (!want && v)
                fail_msg("%s: %s is set to \"%s\"", r->who, key, v);
        if (want && (!v || strcmp(v, want) != 0))
                fail_msg("%s: %s is \"%s\", want \"%s\"", r->who, key, v ? v : "(unset)", want);
}

static struct json_object *member(struct json_object *o, const char *key) {
        struct json_object *v = NULL;
        return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *member_string(struct json_object *o, const char *key) {
        struct json_object *v = member(o, key);
        return v ? json_object_get_string(v) : NULL;
}

static void assert_json_member(struct json_object *o, const char *key, const char *want) {
        struct json_object *v = member(o, key);
        if (!want) {
                if (v)
                        fail_msg("unexpected %s: %s", key, json_object_to_json_string(v));
                return;
        }
        AUTOJSON struct json_object *w = parse_json(want);
        if (!v || !json_object_equal(v, w))
                fail_msg("%s: got %s, want %s", key, v ? json_object_to_json_string(v) : "(none)", want);
}

static void assert_calls(const char *const *who) {
        size_t n = strv_length((char *const *) who);
        if ((size_t) n_calls() != n)
                fail_msg("%d calls, want %zu", n_calls(), n);
        for (size_t i = 0; i < n; i++) {
                struct rec r = {0};
                rec_load((int) i + 1, who[i], &r);
                rec_clear(&r);
        }
}

static bool cache_has(const char *net, const char *id, const char *ifname) {
        AUTOFREE char *path = xasprintf("%s/%s-%s-%s", cachedir, net, id, ifname);
        return access(path, F_OK) == 0;
}

static const char *const pod_args[] = {
        "K8S_POD_NAMESPACE", "ns1", "K8S_POD_NAME", "web", "K8S_POD_INFRA_CONTAINER_ID", "pod1", NULL};
#define POD_CNI_ARGS "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=pod1"

static struct cni_attachment pod(const char *id) {
        return (struct cni_attachment){.container_id = id, .netns = "/run/netns/fake-pod", .args = pod_args};
}

static void add_ok(const struct cni_net *n, const struct cni_attachment *a) {
        CLEANUP(resultp) struct cni_result *res = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (cni_add(n, a, &opts, &res, &err) < 0)
                fail_msg("ADD: %s", err->msg);
}

#define R_FIRST                                                                                                        \
        "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/run/netns/fake-pod\"}],"          \
        "\"ips\":[{\"address\":\"10.1.0.5/24\",\"gateway\":\"10.1.0.1\",\"interface\":0}]}"
#define R_SECOND                                                                                                       \
        "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/run/netns/fake-pod\"}],"          \
        "\"ips\":[{\"address\":\"10.1.0.5/24\",\"gateway\":\"10.1.0.1\",\"interface\":0},"                             \
        "{\"address\":\"fd00::5/64\",\"interface\":0}]}"
#define NET_AB(version)                                                                                                \
        "{\"cniVersion\":\"" version "\",\"name\":\"mynet\",\"plugins\":[{\"type\":\"a\",\"foo\":\"bar\"},"            \
        "{\"type\":\"b\",\"cniVersion\":\"0.0.1\",\"prevResult\":{\"stale\":true}}]}"

/* ---- ADD ---- */

static void test_add_chains_prev_result(void **state) {
        (void) state;
        install_in(bin2, "a"); /* found through the second plugin dir */
        install("b");
        reply("a", "ADD", 0, R_FIRST, "a logs this");
        reply("b", "ADD", 0, R_SECOND, NULL);
        CLEANUP(netp) struct cni_net *n = net_from(NET_AB("1.0.0"));
        struct cni_attachment a = pod("pod1");
        CLEANUP(resultp) struct cni_result *res = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(cni_add(n, &a, &opts, &res, &err), 0);
        assert_int_equal(strv_length(res->ips), 2);
        assert_string_equal(res->ips[0], "10.1.0.5/24");
        assert_string_equal(res->ips[1], "fd00::5/64");
        assert_string_equal(res->gateways[0], "10.1.0.1");
        assert_string_equal(res->gateways[1], "");
        assert_string_equal(res->json, R_SECOND);

        assert_int_equal(n_calls(), 2);
        struct rec r = {0};
        rec_load(1, "a ADD", &r);
        assert_env(&r, "CNI_COMMAND", "ADD");
        assert_env(&r, "CNI_CONTAINERID", "pod1");
        assert_env(&r, "CNI_NETNS", "/run/netns/fake-pod");
        assert_env(&r, "CNI_IFNAME", "eth0");
        assert_env(&r, "CNI_ARGS", POD_CNI_ARGS);
        AUTOFREE char *path = xasprintf("%s:%s", bin1, bin2);
        assert_env(&r, "CNI_PATH", path);
        assert_json_member(r.in, "name", "\"mynet\"");
        assert_json_member(r.in, "cniVersion", "\"1.0.0\"");
        assert_json_member(r.in, "type", "\"a\"");
        assert_json_member(r.in, "foo", "\"bar\"");
        assert_json_member(r.in, "prevResult", NULL);
        assert_json_member(r.in, "runtimeConfig", NULL);
        rec_clear(&r);
        rec_load(2, "b ADD", &r);
        /* The list's version and the first plugin's result replace what the file says. */
        assert_json_member(r.in, "cniVersion", "\"1.0.0\"");
        assert_json_member(r.in, "prevResult", R_FIRST);
        rec_clear(&r);

        assert_true(cache_has("mynet", "pod1", "eth0"));
        CLEANUP(strv_freep) char **ids = NULL;
        assert_int_equal(cni_cached_ids(cachedir, &ids, &err), 0);
        assert_int_equal(strv_length(ids), 1);
        assert_string_equal(ids[0], "pod1");
}

/* The cache holds the network, the file's bytes, ifname, CNI_ARGS, capability args
 * and the final result. */
static void test_add_cache_entry(void **state) {
        (void) state;
        install("a");
        install("b");
        reply("a", "ADD", 0, R_FIRST, NULL);
        reply("b", "ADD", 0, R_SECOND, NULL);
        CLEANUP(netp) struct cni_net *n = net_from(NET_AB("1.0.0"));
        struct cni_attachment a = pod("pod1");
        a.ifname = "net1";
        struct cni_port_mapping pm = {.host_port = 80, .container_port = 8080};
        a.port_mappings = &pm;
        a.n_port_mappings = 1;
        add_ok(n, &a);
        AUTOFREE char *path = xasprintf("%s/mynet-pod1-net1", cachedir);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        AUTOFREE char *text = testlib_read_file("%s", path);
        AUTOJSON struct json_object *c = parse_json(text);
        assert_json_member(c, "networkName", "\"mynet\"");
        assert_json_member(c, "containerId", "\"pod1\"");
        assert_json_member(c, "ifName", "\"net1\"");
        assert_json_member(c, "netns", "\"/run/netns/fake-pod\"");
        assert_string_equal(member_string(c, "config"), NET_AB("1.0.0"));
        assert_json_member(c, "cniArgs",
                           "[[\"K8S_POD_NAMESPACE\",\"ns1\"],[\"K8S_POD_NAME\",\"web\"],"
                           "[\"K8S_POD_INFRA_CONTAINER_ID\",\"pod1\"]]");
        assert_json_member(c, "capabilityArgs",
                           "{\"portMappings\":[{\"hostPort\":80,\"containerPort\":8080,\"protocol\":\"tcp\"}]}");
        assert_json_member(c, "result", R_SECOND);
}

#define NET_CAPS                                                                                                       \
        "{\"cniVersion\":\"1.0.0\",\"name\":\"capnet\",\"plugins\":["                                                  \
        "{\"type\":\"a\",\"capabilities\":{\"portMappings\":true}},"                                                   \
        "{\"type\":\"b\",\"capabilities\":{\"bandwidth\":true,\"dns\":true,\"portMappings\":false}},"                  \
        "{\"type\":\"c\",\"runtimeConfig\":{\"static\":1}},"                                                           \
        "{\"type\":\"d\",\"capabilities\":{\"ipRanges\":true,\"mac\":true}}]}"
#define RC_PORTS                                                                                                       \
        "{\"portMappings\":[{\"hostPort\":8080,\"containerPort\":80,\"protocol\":\"tcp\"},"                            \
        "{\"hostPort\":5353,\"containerPort\":53,\"protocol\":\"udp\",\"hostIP\":\"127.0.0.1\"}]}"

static void test_capability_args_only_to_declaring_plugins(void **state) {
        (void) state;
        static const char *const types[] = {"a", "b", "c", "d"};
        for (int i = 0; i < 4; i++) {
                install(types[i]);
                reply(types[i], "ADD", 0, R_FIRST, NULL);
        }
        CLEANUP(netp) struct cni_net *n = net_from(NET_CAPS);
        struct cni_port_mapping pm[] = {
                {.host_port = 8080, .container_port = 80, .protocol = "tcp"},
                {.host_port = 5353, .container_port = 53, .protocol = "udp", .host_ip = "127.0.0.1"},
        };
        struct cni_bandwidth bw = {.ingress_rate = 1000000, .ingress_burst = 2000000, .egress_rate = 3000};
        char *servers[] = {"10.96.0.10", NULL}, *searches[] = {"ns1.svc.cluster.local", "cluster.local", NULL},
             *options[] = {"ndots:5", NULL}, *ranges[] = {"10.9.0.0/24", "fd09::/64", NULL};
        struct cni_dns dns = {.servers = servers, .searches = searches, .options = options};
        struct cni_attachment a = pod("pod1");
        a.port_mappings = pm;
        a.n_port_mappings = 2;
        a.bandwidth = &bw;
        a.ip_ranges = ranges;
        a.dns = &dns;
        add_ok(n, &a);

        struct rec r = {0};
        rec_load(1, "a ADD", &r);
        assert_json_member(r.in, "runtimeConfig", RC_PORTS);
        rec_clear(&r);
        rec_load(2, "b ADD", &r);
        assert_json_member(r.in, "runtimeConfig",
                           "{\"bandwidth\":{\"ingressRate\":1000000,\"ingressBurst\":2000000,\"egressRate\":3000},"
                           "\"dns\":{\"servers\":[\"10.96.0.10\"],\"searches\":[\"ns1.svc.cluster.local\","
                           "\"cluster.local\"],\"options\":[\"ndots:5\"]}}");
        rec_clear(&r);
        rec_load(3, "c ADD", &r); /* declares nothing: its own runtimeConfig stays */
        assert_json_member(r.in, "runtimeConfig", "{\"static\":1}");
        rec_clear(&r);
        rec_load(4, "d ADD", &r);
        assert_json_member(r.in, "runtimeConfig",
                           "{\"ipRanges\":[[{\"subnet\":\"10.9.0.0/24\"}],[{\"subnet\":\"fd09::/64\"}]]}");
        rec_clear(&r);

        /* DEL from the cache hands out the same args, without the caller giving them. */
        calls_reset();
        struct cni_attachment bare = {.container_id = "pod1"};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(cni_del(NULL, &bare, &opts, &err), 0);
        rec_load(4, "a DEL", &r);
        assert_json_member(r.in, "runtimeConfig", RC_PORTS);
        assert_env(&r, "CNI_ARGS", POD_CNI_ARGS);
        rec_clear(&r);
        rec_load(2, "c DEL", &r);
        assert_json_member(r.in, "runtimeConfig", "{\"static\":1}");
        rec_clear(&r);
}

static void test_add_failure_rolls_back(void **state) {
        (void) state;
        install("a");
        install("b");
        install("c");
        reply("a", "ADD", 0, R_FIRST, NULL);
        reply("b", "ADD", 1,
              "{\"cniVersion\":\"1.0.0\",\"code\":7,\"msg\":\"invalid config\",\"details\":\"bridge name too long\"}",
              "stderr is not the message");
        CLEANUP(netp)
        struct cni_net *n =
                net_from("{\"cniVersion\":\"1.0.0\",\"name\":\"mynet\",\"plugins\":[{\"type\":\"a\"},{\"type\":\"b\"},"
                         "{\"type\":\"c\"}]}");
        struct cni_attachment a = pod("pod1");
        struct cni_result *res = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(cni_add(n, &a, &opts, &res, &err), -1);
        assert_null(res);
        assert_int_equal(err->kind, CRIC_E_INTERNAL);
        assert_string_equal(err->msg, "network \"mynet\": plugin b: ADD: invalid config: bridge name too long");
        assert_calls((const char *const[]){"a ADD", "b ADD", "b DEL", "a DEL", NULL});
        struct rec r = {0};
        rec_load(4, "a DEL", &r);
        assert_json_member(r.in, "prevResult", R_FIRST);
        assert_env(&r, "CNI_ARGS", POD_CNI_ARGS);
        rec_clear(&r);
        assert_false(cache_has("mynet", "pod1", "eth0"));

        /* Without error JSON: the exit status and stderr. */
        calls_reset();
        err = cric_error_free(err);
        reply("b", "ADD", 3, "", "boom\n");
        assert_int_equal(cni_add(n, &a, &opts, &res, &err), -1);
        assert_string_equal(err->msg, "network \"mynet\": plugin b: ADD: exit status 3: boom");
        assert_int_equal(n_calls(), 4);

        /* Exit 0 without a result is a failure too. */
        calls_reset();
        err = cric_error_free(err);
        reply("b", "ADD", 0, "not a result", NULL);
        assert_int_equal(cni_add(n, &a, &opts, &res, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INTERNAL);
        assert_non_null(strstr(err->msg, "network \"mynet\": plugin b: ADD: cni result: invalid JSON"));
        assert_calls((const char *const[]){"a ADD", "b ADD", "b DEL", "a DEL", NULL});

        /* A code without msg. */
        calls_reset();
        err = cric_error_free(err);
        reply("b", "ADD", 1, "{\"code\":11}", NULL);
        assert_int_equal(cni_add(n, &a, &opts, &res, &err), -1);
        assert_string_equal(err->msg, "network \"mynet\": plugin b: ADD: error code 11");
        assert_false(cache_has("mynet", "pod1", "eth0"));
}

/* ---- DEL ---- */

static void test_del_from_cache_after_net_is_gone(void **state) {
        (void) state;
        install("a");
        install("b");
        reply("a", "ADD", 0, R_FIRST, NULL);
        reply("b", "ADD", 0, R_SECOND, NULL);
        struct cni_net *n = net_from(NET_AB("1.0.0"));
        struct cni_attachment a = pod("pod1");
        add_ok(n, &a);
        cni_net_unref(n); /* the file was removed and the dir reloaded */
        calls_reset();

        struct cni_attachment later = {.container_id = "pod1", .netns = "/run/netns/gone"};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(cni_del(NULL, &later, &opts, &err), 0);
        assert_calls((const char *const[]){"b DEL", "a DEL", NULL});
        for (int i = 1; i <= 2; i++) {
                struct rec r = {0};
                rec_load(i, i == 1 ? "b DEL" : "a DEL", &r);
                assert_json_member(r.in, "name", "\"mynet\"");
                assert_json_member(r.in, "cniVersion", "\"1.0.0\"");
                assert_json_member(r.in, "prevResult", R_SECOND);
                assert_env(&r, "CNI_COMMAND", "DEL");
                assert_env(&r, "CNI_CONTAINERID", "pod1");
                assert_env(&r, "CNI_NETNS", ""); /* neither path exists any more */
                assert_env(&r, "CNI_IFNAME", "eth0");
                assert_env(&r, "CNI_ARGS", POD_CNI_ARGS);
                rec_clear(&r);
        }
        assert_false(cache_has("mynet", "pod1", "eth0"));
        CLEANUP(strv_freep) char **ids = NULL;
        assert_int_equal(cni_cached_ids(cachedir, &ids, &err), 0);
        assert_null(ids[0]);
}

/* With a net given, its cache entry is used even when the file changed since. */
static void test_del_prefers_cached_config(void **state) {
        (void) state;
        install("a");
        install("b");
        install("z");
        reply("a", "ADD", 0, R_FIRST, NULL);
        reply("b", "ADD", 0, R_SECOND, NULL);
        CLEANUP(netp) struct cni_net *old = net_from(NET_AB("1.0.0"));
        struct cni_attachment a = pod("pod1");
        add_ok(old, &a);
        calls_reset();
        CLEANUP(netp)
        struct cni_net *now = net_from("{\"cniVersion\":\"1.0.0\",\"name\":\"mynet\",\"plugins\":[{\"type\":\"z\"}]}");
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(cni_del(now, &a, &opts, &err), 0);
        assert_calls((const char *const[]){"b DEL", "a DEL", NULL});
        struct rec r = {0};
        rec_load(2, "a DEL", &r);
        assert_env(&r, "CNI_NETNS", "");
        assert_json_member(r.in, "foo", "\"bar\"");
        rec_clear(&r);
}

static void test_del_is_idempotent(void **state) {
        (void) state;
        install("a");
        install("b");
        reply("a", "ADD", 0, R_FIRST, NULL);
        reply("b", "ADD", 0, R_SECOND, NULL);
        CLEANUP(netp) struct cni_net *n = net_from(NET_AB("1.0.0"));
        struct cni_attachment a = pod("pod1");
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;

        /* Never added, no net: nothing to run. */
        assert_int_equal(cni_del(NULL, &a, &opts, &err), 0);
        assert_int_equal(n_calls(), 0);

        add_ok(n, &a);
        calls_reset();
        assert_int_equal(cni_del(n, &a, &opts, &err), 0);
        assert_calls((const char *const[]){"b DEL", "a DEL", NULL});
        assert_false(cache_has("mynet", "pod1", "eth0"));

        /* Again: nothing cached, so the plugins get the net's config and no prevResult. */
        calls_reset();
        assert_int_equal(cni_del(n, &a, &opts, &err), 0);
        assert_calls((const char *const[]){"b DEL", "a DEL", NULL});
        struct rec r = {0};
        rec_load(1, "b DEL", &r);
        assert_json_member(r.in, "prevResult", NULL);
        assert_env(&r, "CNI_ARGS", POD_CNI_ARGS);
        rec_clear(&r);
        calls_reset();
        assert_int_equal(cni_del(n, &a, &opts, &err), 0);
        assert_int_equal(n_calls(), 2);
}

static void test_del_goes_on_after_failures(void **state) {
        (void) state;
        install("a");
        install("b");
        install("c");
        reply("a", "ADD", 0, R_FIRST, NULL);
        reply("b", "ADD", 0, R_FIRST, NULL);
        reply("c", "ADD", 0, R_SECOND, NULL);
        CLEANUP(netp)
        struct cni_net *n =
                net_from("{\"cniVersion\":\"1.0.0\",\"name\":\"mynet\",\"plugins\":[{\"type\":\"a\"},{\"type\":\"b\"},"
                         "{\"type\":\"c\"}]}");
        struct cni_attachment a = pod("pod1");
        add_ok(n, &a);
        calls_reset();
        reply("c", "DEL", 1, "{\"code\":5,\"msg\":\"c failed\"}", NULL);
        reply("a", "DEL", 1, "{\"code\":5,\"msg\":\"a failed\"}", NULL);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(cni_del(n, &a, &opts, &err), -1);
        assert_string_equal(err->msg, "network \"mynet\": plugin c: DEL: c failed");
        assert_calls((const char *const[]){"c DEL", "b DEL", "a DEL", NULL});
        /* Kept for the retry. */
        assert_true(cache_has("mynet", "pod1", "eth0"));

        calls_reset();
        err = cric_error_free(err);
        reply("c", "DEL", 0, NULL, NULL);
        reply("a", "DEL", 0, NULL, NULL);
        assert_int_equal(cni_del(NULL, &a, &opts, &err), 0);
        assert_int_equal(n_calls(), 3);
        assert_false(cache_has("mynet", "pod1", "eth0"));
}

/* ---- CHECK ---- */

static void test_check_gated_by_version(void **state) {
        (void) state;
        install("a");
        install("b");
        reply("a", "ADD", 0, R_FIRST, NULL);
        reply("b", "ADD", 0, R_SECOND, NULL);
        struct cni_attachment a = pod("pod1");
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;

        /* 0.3.1 has no CHECK. */
        CLEANUP(netp) struct cni_net *old = net_from(NET_AB("0.3.1"));
        add_ok(old, &a);
        calls_reset();
        assert_int_equal(cni_check(old, &a, &opts, &err), 0);
        assert_int_equal(n_calls(), 0);
        /* ...and no prevResult on DEL. */
        assert_int_equal(cni_del(old, &a, &opts, &err), 0);
        struct rec r = {0};
        rec_load(1, "b DEL", &r);
        assert_json_member(r.in, "prevResult", NULL);
        rec_clear(&r);
        calls_reset();

        /* 0.4.0: CHECK in order, with the cached result; nothing cached is NOT_FOUND. */
        CLEANUP(netp) struct cni_net *n = net_from(NET_AB("0.4.0"));
        assert_int_equal(cni_check(n, &a, &opts, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        assert_int_equal(n_calls(), 0);
        err = cric_error_free(err);
        add_ok(n, &a);
        calls_reset();
        assert_int_equal(cni_check(n, &a, &opts, &err), 0);
        assert_calls((const char *const[]){"a CHECK", "b CHECK", NULL});
        rec_load(1, "a CHECK", &r);
        assert_json_member(r.in, "prevResult", R_SECOND);
        assert_json_member(r.in, "cniVersion", "\"0.4.0\"");
        assert_env(&r, "CNI_COMMAND", "CHECK");
        assert_env(&r, "CNI_NETNS", "/run/netns/fake-pod");
        assert_env(&r, "CNI_ARGS", POD_CNI_ARGS);
        rec_clear(&r);

        /* The first failure stops CHECK. */
        calls_reset();
        reply("a", "CHECK", 1, "{\"code\":100,\"msg\":\"veth gone\"}", NULL);
        assert_int_equal(cni_check(n, &a, &opts, &err), -1);
        assert_string_equal(err->msg, "network \"mynet\": plugin a: CHECK: veth gone");
        assert_int_equal(n_calls(), 1);
        err = cric_error_free(err);

        /* disableCheck. */
        CLEANUP(netp)
        struct cni_net *off = net_from(
                "{\"cniVersion\":\"1.0.0\",\"name\":\"mynet\",\"disableCheck\":true,\"plugins\":[{\"type\":\"a\"}]}");
        calls_reset();
        assert_int_equal(cni_check(off, &a, &opts, &err), 0);
        assert_int_equal(n_calls(), 0);
}

/* ---- STATUS and GC (1.1) ---- */

static void test_status(void **state) {
        (void) state;
        install("a");
        install("b");
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        CLEANUP(netp) struct cni_net *v100 = net_from(NET_AB("1.0.0"));
        assert_int_equal(cni_status(v100, &opts, &err), 0);
        assert_int_equal(n_calls(), 0);

        CLEANUP(netp) struct cni_net *n = net_from(NET_AB("1.1.0"));
        assert_int_equal(cni_status(n, &opts, &err), 0);
        assert_calls((const char *const[]){"a STATUS", "b STATUS", NULL});
        struct rec r = {0};
        rec_load(2, "b STATUS", &r);
        assert_env(&r, "CNI_COMMAND", "STATUS");
        AUTOFREE char *path = xasprintf("%s:%s", bin1, bin2);
        assert_env(&r, "CNI_PATH", path);
        assert_env(&r, "CNI_CONTAINERID", NULL);
        assert_env(&r, "CNI_NETNS", NULL);
        assert_env(&r, "CNI_IFNAME", NULL);
        assert_env(&r, "CNI_ARGS", NULL);
        assert_json_member(r.in, "name", "\"mynet\"");
        assert_json_member(r.in, "cniVersion", "\"1.1.0\"");
        assert_json_member(r.in, "prevResult", NULL);
        rec_clear(&r);

        calls_reset();
        reply("a", "STATUS", 1, "{\"code\":50,\"msg\":\"plugin not available\",\"details\":\"no daemon\"}", NULL);
        assert_int_equal(cni_status(n, &opts, &err), -1);
        assert_int_equal(err->kind, CRIC_E_UNAVAILABLE);
        assert_string_equal(err->msg, "network \"mynet\": plugin a: STATUS: plugin not available: no daemon");
        assert_int_equal(n_calls(), 1);
}

#define NET_GC(version, extra)                                                                                         \
        "{\"cniVersion\":\"" version "\",\"name\":\"gcnet\"" extra ",\"plugins\":[{\"type\":\"a\"},{\"type\":\"b\"}]}"

static void test_gc(void **state) {
        (void) state;
        install("a");
        install("b");
        reply("a", "ADD", 0, R_FIRST, NULL);
        reply("b", "ADD", 0, R_SECOND, NULL);
        CLEANUP(netp) struct cni_net *n = net_from(NET_GC("1.1.0", ""));
        CLEANUP(netp) struct cni_net *other = net_from(NET_AB("1.1.0"));
        struct cni_attachment keep = pod("pod-keep"), keep2 = pod("pod-keep"), gone = pod("pod-gone");
        keep2.ifname = "net1";
        add_ok(n, &keep);
        add_ok(n, &keep2);
        add_ok(n, &gone);
        add_ok(other, &gone); /* another network's entry is not this GC's business */
        calls_reset();

        char *valid[] = {"pod-keep", "pod-new", NULL};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(cni_gc(n, valid, &opts, &err), 0);
        assert_calls((const char *const[]){"b DEL", "a DEL", "a GC", "b GC", NULL});
        struct rec r = {0};
        rec_load(1, "b DEL", &r);
        assert_env(&r, "CNI_CONTAINERID", "pod-gone");
        assert_json_member(r.in, "prevResult", R_SECOND);
        rec_clear(&r);
        static const char attachments[] = "[{\"containerID\":\"pod-keep\",\"ifname\":\"eth0\"},"
                                          "{\"containerID\":\"pod-keep\",\"ifname\":\"net1\"},"
                                          "{\"containerID\":\"pod-new\",\"ifname\":\"eth0\"}]";
        for (int i = 3; i <= 4; i++) {
                rec_load(i, i == 3 ? "a GC" : "b GC", &r);
                assert_env(&r, "CNI_COMMAND", "GC");
                assert_env(&r, "CNI_CONTAINERID", NULL);
                assert_env(&r, "CNI_IFNAME", NULL);
                assert_json_member(r.in, "cni.dev/valid-attachments", attachments);
                assert_json_member(r.in, "cniVersion", "\"1.1.0\"");
                assert_json_member(r.in, "prevResult", NULL);
                rec_clear(&r);
        }
        assert_true(cache_has("gcnet", "pod-keep", "eth0"));
        assert_true(cache_has("gcnet", "pod-keep", "net1"));
        assert_false(cache_has("gcnet", "pod-gone", "eth0"));
        assert_true(cache_has("mynet", "pod-gone", "eth0"));

        /* GC failures are reported after every plugin had its turn. */
        calls_reset();
        reply("a", "GC", 1, "{\"code\":5,\"msg\":\"cannot list\"}", NULL);
        assert_int_equal(cni_gc(n, valid, &opts, &err), -1);
        assert_string_equal(err->msg, "network \"gcnet\": plugin a: GC: cannot list");
        assert_calls((const char *const[]){"a GC", "b GC", NULL});
}

static void test_gc_before_1_1_and_disabled(void **state) {
        (void) state;
        install("a");
        install("b");
        reply("a", "ADD", 0, R_FIRST, NULL);
        reply("b", "ADD", 0, R_SECOND, NULL);
        struct cni_attachment x = pod("pod-x");
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;

        /* 1.0.0: no GC verb, but stale cache entries are still torn down. */
        CLEANUP(netp) struct cni_net *n = net_from(NET_GC("1.0.0", ""));
        add_ok(n, &x);
        calls_reset();
        assert_int_equal(cni_gc(n, NULL, &opts, &err), 0);
        assert_calls((const char *const[]){"b DEL", "a DEL", NULL});
        assert_false(cache_has("gcnet", "pod-x", "eth0"));

        /* disableGC: nothing at all. */
        CLEANUP(netp) struct cni_net *off = net_from(NET_GC("1.1.0", ",\"disableGC\":true"));
        add_ok(off, &x);
        calls_reset();
        assert_int_equal(cni_gc(off, NULL, &opts, &err), 0);
        assert_int_equal(n_calls(), 0);
        assert_true(cache_has("gcnet", "pod-x", "eth0"));
}

/* ---- failures of the call itself ---- */

static void test_timeout(void **state) {
        (void) state;
        install("slow");
        ctl_write("slow", "ADD", "sleep", "30");
        CLEANUP(netp)
        struct cni_net *n = net_from("{\"cniVersion\":\"1.0.0\",\"name\":\"mynet\",\"plugins\":[{\"type\":\"slow\"}]}");
        /* Far below the plugin's 30 s, and long enough for the rollback DEL (a shell
         * script that returns at once) to finish on a loaded machine. */
        opts.timeout_ms = 2000;
        struct cni_attachment a = pod("pod1");
        struct cni_result *res = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        long start = testlib_now_ms();
        assert_int_equal(cni_add(n, &a, &opts, &res, &err), -1);
        assert_true(testlib_now_ms() - start < 20000);
        assert_int_equal(err->kind, CRIC_E_TIMEOUT);
        assert_non_null(strstr(err->msg, "network \"mynet\": plugin slow: ADD: "));
        assert_non_null(strstr(err->msg, "timed out after 2000 ms"));
        /* The rollback DEL ran (and did not sleep). */
        assert_calls((const char *const[]){"slow ADD", "slow DEL", NULL});
        assert_false(cache_has("mynet", "pod1", "eth0"));
}

static void test_missing_plugin(void **state) {
        (void) state;
        install("a");
        reply("a", "ADD", 0, R_FIRST, NULL);
        /* Not executable, so not a plugin. */
        AUTOFREE char *ghost = xasprintf("%s/ghost", bin1);
        write_file(ghost, "#!/bin/sh\nexit 0\n", 0644);
        CLEANUP(netp)
        struct cni_net *n = net_from(
                "{\"cniVersion\":\"1.0.0\",\"name\":\"mynet\",\"plugins\":[{\"type\":\"a\"},{\"type\":\"ghost\"}]}");
        struct cni_attachment a = pod("pod1");
        struct cni_result *res = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(cni_add(n, &a, &opts, &res, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        AUTOFREE char *want = xasprintf("network \"mynet\": plugin ghost: ADD: not found in %s:%s", bin1, bin2);
        assert_string_equal(err->msg, want);
        assert_calls((const char *const[]){"a ADD", "a DEL", NULL});

        /* STATUS and DEL name it too. */
        err = cric_error_free(err);
        CLEANUP(netp)
        struct cni_net *v110 =
                net_from("{\"cniVersion\":\"1.1.0\",\"name\":\"mynet\",\"plugins\":[{\"type\":\"ghost\"}]}");
        assert_int_equal(cni_status(v110, &opts, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
        err = cric_error_free(err);
        assert_int_equal(cni_del(n, &a, &opts, &err), -1);
        assert_int_equal(err->kind, CRIC_E_NOT_FOUND);
}

static void test_invalid_attachments(void **state) {
        (void) state;
        install("a");
        reply("a", "ADD", 0, R_FIRST, NULL);
        CLEANUP(netp)
        struct cni_net *n = net_from("{\"cniVersion\":\"1.0.0\",\"name\":\"mynet\",\"plugins\":[{\"type\":\"a\"}]}");
        static const char *const bad_ids[] = {"", "-x", "a/b", "a b", "../x"};
        static const char *const bad_ifnames[] = {"a/b", "a:b", "a b", ".", "..", "sixteen-chars-xx"};
        const char *bad_args[] = {"K", "a;b", NULL};
        struct cni_result *res = NULL;
        for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
                struct cni_attachment a = pod(bad_ids[i]);
                CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                assert_int_equal(cni_add(n, &a, &opts, &res, &err), -1);
                assert_int_equal(err->kind, CRIC_E_INVALID);
        }
        for (size_t i = 0; i < sizeof(bad_ifnames) / sizeof(bad_ifnames[0]); i++) {
                struct cni_attachment a = pod("pod1");
                a.ifname = bad_ifnames[i];
                CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                assert_int_equal(cni_del(n, &a, &opts, &err), -1);
                assert_int_equal(err->kind, CRIC_E_INVALID);
        }
        struct cni_attachment a = pod("pod1");
        a.args = bad_args;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(cni_add(n, &a, &opts, &res, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        err = cric_error_free(err);
        a = pod("pod1");
        a.netns = NULL;
        assert_int_equal(cni_add(n, &a, &opts, &res, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_int_equal(n_calls(), 0);
}

/* ---- results of older versions ---- */

static void test_result_0_2_0(void **state) {
        (void) state;
        install("a");
        install("b");
        static const char r020[] = "{\"cniVersion\":\"0.2.0\",\"ip4\":{\"ip\":\"10.2.0.7/16\",\"gateway\":\"10.2.0.1\","
                                   "\"routes\":[{\"dst\":\"0.0.0.0/0\"}]},\"ip6\":{\"ip\":\"fd02::7/64\"},\"dns\":{}}";
        reply("a", "ADD", 0, "{\"cniVersion\":\"0.2.0\",\"ip4\":{\"ip\":\"10.9.9.9/8\"}}", NULL);
        reply("b", "ADD", 0, r020, NULL);
        CLEANUP(netp) struct cni_net *n = net_from(NET_AB("0.2.0"));
        struct cni_attachment a = pod("pod1");
        CLEANUP(resultp) struct cni_result *res = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(cni_add(n, &a, &opts, &res, &err), 0);
        assert_int_equal(strv_length(res->ips), 2);
        assert_string_equal(res->ips[0], "10.2.0.7/16");
        assert_string_equal(res->gateways[0], "10.2.0.1");
        assert_string_equal(res->ips[1], "fd02::7/64");
        assert_string_equal(res->gateways[1], "");
        /* No chaining before 0.3.0. */
        struct rec r = {0};
        rec_load(2, "b ADD", &r);
        assert_json_member(r.in, "prevResult", NULL);
        assert_json_member(r.in, "cniVersion", "\"0.2.0\"");
        rec_clear(&r);
}

static void test_result_0_3_1(void **state) {
        (void) state;
        install("a");
        install("b");
        static const char r031[] =
                "{\"cniVersion\":\"0.3.1\",\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/x\"}],"
                "\"ips\":[{\"version\":\"4\",\"address\":\"10.3.0.9/24\",\"gateway\":\"10.3.0.1\",\"interface\":0},"
                "{\"version\":\"6\",\"address\":\"fd03::9/64\",\"gateway\":\"fd03::1\",\"interface\":0}],"
                "\"routes\":[{\"dst\":\"0.0.0.0/0\"}],\"dns\":{}}";
        static const char first[] =
                "{\"cniVersion\":\"0.3.1\",\"ips\":[{\"version\":\"4\",\"address\":\"10.3.0.9/24\"}]}";
        reply("a", "ADD", 0, first, NULL);
        reply("b", "ADD", 0, r031, NULL);
        CLEANUP(netp) struct cni_net *n = net_from(NET_AB("0.3.1"));
        struct cni_attachment a = pod("pod1");
        CLEANUP(resultp) struct cni_result *res = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(cni_add(n, &a, &opts, &res, &err), 0);
        assert_int_equal(strv_length(res->ips), 2);
        assert_string_equal(res->ips[0], "10.3.0.9/24");
        assert_string_equal(res->gateways[0], "10.3.0.1");
        assert_string_equal(res->ips[1], "fd03::9/64");
        assert_string_equal(res->gateways[1], "fd03::1");
        assert_string_equal(res->json, r031);
        /* 0.3.x chains. */
        struct rec r = {0};
        rec_load(2, "b ADD", &r);
        assert_json_member(r.in, "prevResult", first);
        rec_clear(&r);
}

static void test_result_parse_cases(void **state) {
        (void) state;
        static const struct {
                const char *json;
                int n_ips; /* -1: invalid */
        } cases[] = {
                {"{\"ip4\":{\"ip\":\"10.0.0.1/8\"}}", 1}, /* 0.1.0 had no cniVersion */
                {"{\"cniVersion\":\"0.1.0\"}", 0},
                {"{\"cniVersion\":\"1.0.0\"}", 0},
                {"{\"cniVersion\":\"1.1.0\",\"ips\":[{\"address\":\"::1/128\"}]}", 1},
                {"{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.0.0.1/8\",\"version\":\"6\"}]}", 1},
                {"{\"cniVersion\":\"0.4.0\",\"ips\":[{\"address\":\"10.0.0.1/8\",\"version\":\"6\"}]}", -1},
                {"{\"cniVersion\":\"0.3.0\",\"ips\":[{\"address\":\"10.0.0.1/8\",\"version\":\"5\"}]}", -1},
                {"{\"cniVersion\":\"0.3.0\",\"ips\":[{\"address\":\"10.0.0.1\"}]}", -1},
                {"{\"cniVersion\":\"0.3.0\",\"ips\":[{\"address\":\"10.0.0.1/33\"}]}", -1},
                {"{\"cniVersion\":\"0.3.0\",\"ips\":[{\"address\":\"10.0.0.1/-1\"}]}", -1},
                {"{\"cniVersion\":\"0.3.0\",\"ips\":[{\"address\":\"fd00::1/129\"}]}", -1},
                {"{\"cniVersion\":\"0.3.0\",\"ips\":[{\"gateway\":\"10.0.0.1\"}]}", -1},
                {"{\"cniVersion\":\"0.3.0\",\"ips\":[{\"address\":\"10.0.0.2/8\",\"gateway\":\"fd00::1\"}]}", -1},
                {"{\"cniVersion\":\"0.3.0\",\"ips\":{}}", -1},
                {"{\"cniVersion\":\"0.3.0\",\"ips\":[7]}", -1},
                {"{\"cniVersion\":\"0.2.0\",\"ip4\":{\"ip\":\"fd00::1/64\"}}", -1},
                {"{\"cniVersion\":\"0.2.0\",\"ip6\":{\"gateway\":\"fd00::1\"}}", -1},
                {"{\"cniVersion\":\"2.0.0\"}", -1},
                {"{\"cniVersion\":1}", -1},
                {"[]", -1},
                {"", -1},
                {"{} x", -1},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct cni_result *r = NULL;
                CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                int rc = cni_result_parse(cases[i].json, strlen(cases[i].json), &r, &err);
                if (cases[i].n_ips < 0) {
                        if (rc != -1 || r || err->kind != CRIC_E_INVALID || strncmp(err->msg, "cni result: ", 12))
                                fail_msg("%s: accepted or bad error", cases[i].json);
                        continue;
                }
                if (rc != 0)
                        fail_msg("%s: %s", cases[i].json, err->msg);
                assert_int_equal(strv_length(r->ips), cases[i].n_ips);
                assert_int_equal(strv_length(r->gateways), cases[i].n_ips);
                cni_result_free(r);
        }
}

static void test_cached_ids(void **state) {
        (void) state;
        install("a");
        reply("a", "ADD", 0, R_FIRST, NULL);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        CLEANUP(strv_freep) char **none = NULL;
        assert_int_equal(cni_cached_ids(cachedir, &none, &err), 0); /* no cache dir yet */
        assert_null(none[0]);
        CLEANUP(netp)
        struct cni_net *n = net_from("{\"cniVersion\":\"1.0.0\",\"name\":\"mynet\",\"plugins\":[{\"type\":\"a\"}]}");
        struct cni_attachment p2 = pod("pod2"), p1 = pod("pod1"), p1b = pod("pod1");
        p1b.ifname = "net1";
        add_ok(n, &p2);
        add_ok(n, &p1);
        add_ok(n, &p1b);
        /* Junk next to the entries is ignored. */
        AUTOFREE char *junk = xasprintf("%s/junk", cachedir);
        AUTOFREE char *partial = xasprintf("%s/mynet-pod3-eth0.tmp.abcdef", cachedir);
        AUTOFREE char *foreign = xasprintf("%s/mynet-pod4-eth0", cachedir);
        write_file(junk, "not json", 0600);
        write_file(partial, "{\"kind\":\"cric-cni-cache-v1\"", 0600);
        write_file(foreign, "{\"kind\":\"cniCacheV1\",\"containerId\":\"pod4\"}", 0600);
        CLEANUP(strv_freep) char **ids = NULL;
        assert_int_equal(cni_cached_ids(cachedir, &ids, &err), 0);
        assert_int_equal(strv_length(ids), 2);
        assert_string_equal(ids[0], "pod1");
        assert_string_equal(ids[1], "pod2");
}

/* ---- the real plugins ---- */

static int run_cmd(const char *const *argv, char **ret_out) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        int r = spawn_run((char *const *) argv, &(struct spawn_opts){.timeout_ms = 30000}, ret_out, &err);
        if (r < 0)
                print_message("%s\n", err->msg);
        return r;
}

static bool link_exists(const char *name) {
        AUTOFREE char *path = xasprintf("/sys/class/net/%s", name);
        return access(path, F_OK) == 0;
}

/* The host side of the veth: the result's interface without a sandbox that is not the bridge. */
static char *host_veth(const char *result, const char *bridge) {
        AUTOJSON struct json_object *o = parse_json(result);
        struct json_object *ifs = member(o, "interfaces");
        for (size_t i = 0; ifs && i < json_object_array_length(ifs); i++) {
                struct json_object *it = json_object_array_get_idx(ifs, i);
                const char *name = member_string(it, "name"), *sandbox = member_string(it, "sandbox");
                if (name && strcmp(name, bridge) != 0 && (!sandbox || !*sandbox))
                        return xstrdup(name);
        }
        return NULL;
}

static void test_real_plugins(void **state) {
        (void) state;
        REQUIRE_ROOT("to create a network namespace");
        if (!fs_is_executable("/usr/lib/cni/bridge") || !fs_is_executable("/usr/lib/cni/host-local") ||
            !fs_is_executable("/usr/lib/cni/loopback")) {
                print_message("skipped: needs bridge, host-local and loopback in /usr/lib/cni\n");
                skip();
        }
        AUTOFREE char *ns = xasprintf("cric-cni-%d", (int) getpid());
        AUTOFREE char *nspath = xasprintf("/run/netns/%s", ns);
        AUTOFREE char *bridge = xasprintf("cricbr%d", (int) (getpid() % 100000));
        AUTOFREE char *ipamdir = xasprintf("%s/ipam", tmpdir);
        assert_int_equal(run_cmd((const char *const[]){"ip", "netns", "add", ns, NULL}, NULL), 0);

        char *real_dirs[] = {"/usr/lib/cni", NULL};
        struct cni_exec_opts ro = {.plugin_dirs = real_dirs, .cache_dir = cachedir, .timeout_ms = 30000};
        AUTOFREE char *conf =
                xasprintf("{\"cniVersion\":\"1.0.0\",\"name\":\"cric-test-bridge\",\"plugins\":[{\"type\":\"bridge\","
                          "\"bridge\":\"%s\",\"isGateway\":false,\"ipMasq\":false,\"hairpinMode\":false,"
                          "\"ipam\":{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":\"10.213.17.0/24\"}]],"
                          "\"dataDir\":\"%s\"}}]}",
                          bridge, ipamdir);
        CLEANUP(netp)
        struct cni_net *lo =
                net_from("{\"cniVersion\":\"1.0.0\",\"name\":\"cric-test-lo\",\"plugins\":[{\"type\":\"loopback\"}]}");
        CLEANUP(netp) struct cni_net *br = net_from(conf);
        struct cni_attachment la = {.container_id = "realpod", .netns = nspath, .ifname = "lo", .args = pod_args};
        struct cni_attachment ba = {.container_id = "realpod", .netns = nspath, .args = pod_args};
        CLEANUP(resultp) struct cni_result *lres = NULL;
        CLEANUP(resultp) struct cni_result *bres = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        int add_lo = cni_add(lo, &la, &ro, &lres, &err);
        int add_br = add_lo == 0 ? cni_add(br, &ba, &ro, &bres, &err) : -1;
        AUTOFREE char *veth = bres ? host_veth(bres->json, bridge) : NULL;
        int check = add_br == 0 ? cni_check(br, &ba, &ro, &err) : -1;
        AUTOFREE char *addrs = NULL;
        if (add_br == 0)
                run_cmd((const char *const[]){"ip", "-n", ns, "-o", "addr", "show", "dev", "eth0", NULL}, &addrs);
        CLEANUP(cric_error_freep) struct cric_error *del_err = NULL;
        int del_br = cni_del(br, &ba, &ro, &del_err);
        int del_lo = del_br == 0 ? cni_del(lo, &la, &ro, &del_err) : -1;
        bool veth_left = veth && link_exists(veth);

        /* Clean up before asserting: the bridge (plugins never delete it), the netns, the IPAM dir. */
        if (link_exists(bridge))
                run_cmd((const char *const[]){"ip", "link", "del", bridge, NULL}, NULL);
        run_cmd((const char *const[]){"ip", "netns", "del", ns, NULL}, NULL);
        CLEANUP(cric_error_freep) struct cric_error *rm_err = NULL;
        rm_rf(ipamdir, &rm_err);

        if (add_lo < 0 || add_br < 0 || check < 0)
                fail_msg("%s", err->msg);
        assert_int_equal(strv_length(bres->ips), 1);
        assert_true(strncmp(bres->ips[0], "10.213.17.", 10) == 0);
        assert_true(strstr(bres->ips[0], "/24") != NULL);
        assert_non_null(veth);
        AUTOFREE char *ip = xstrndup(bres->ips[0], strcspn(bres->ips[0], "/"));
        assert_non_null(addrs);
        assert_non_null(strstr(addrs, ip));
        if (del_br < 0 || del_lo < 0)
                fail_msg("%s", del_err->msg);
        assert_false(veth_left);
        assert_false(cache_has("cric-test-bridge", "realpod", "eth0"));
        assert_false(cache_has("cric-test-lo", "realpod", "lo"));
        assert_false(link_exists(bridge));
        assert_int_equal(access(nspath, F_OK), -1);
}

int main(void) {
        signal(SIGPIPE, SIG_IGN); /* as in the daemon */
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(test_add_chains_prev_result),
                T(test_add_cache_entry),
                T(test_capability_args_only_to_declaring_plugins),
                T(test_add_failure_rolls_back),
                T(test_del_from_cache_after_net_is_gone),
                T(test_del_prefers_cached_config),
                T(test_del_is_idempotent),
                T(test_del_goes_on_after_failures),
                T(test_check_gated_by_version),
                T(test_status),
                T(test_gc),
                T(test_gc_before_1_1_and_disabled),
                T(test_timeout),
                T(test_missing_plugin),
                T(test_invalid_attachments),
                T(test_result_0_2_0),
                T(test_result_0_3_1),
                T(test_result_parse_cases),
                T(test_cached_ids),
                T(test_real_plugins),
        };
        return cmocka_run_group_tests_name("network_cni_exec", tests, NULL, NULL);
}
