/* Loading CNI config dirs: the three file kinds, lexical order, the default network,
 * every kind of invalid file (reported, never fatal), version negotiation, a missing
 * dir, and references that outlive the dir. Each test gets a fresh temp dir. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network/cni.h"
#include "network/cni_internal.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

static char *tmpdir;

static int setup(void **state) {
        (void) state;
        tmpdir = testlib_tmpdir("cni-conf-test");
        return 0;
}

static int teardown(void **state) {
        (void) state;
        assert_int_equal(testlib_rmtree(tmpdir), 0);
        free(tmpdir);
        tmpdir = NULL;
        return 0;
}

static void write_conf(const char *name, const char *text) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOFREE char *path = xasprintf("%s/%s", tmpdir, name);
        assert_int_equal(fs_write_file_atomic(path, text, strlen(text), 0644, &err), 0);
}

static struct cni_dir *load(void) {
        struct cni_dir *d = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(cni_dir_load(tmpdir, &d, &err), 0);
        assert_null(err);
        assert_non_null(d);
        assert_non_null(d->problems);
        return d;
}

static void dirp(struct cni_dir **d) {
        cni_dir_free(*d);
}

/* The problem reported for file name, or a failed test. */
static const char *problem_for(const struct cni_dir *d, const char *name) {
        AUTOFREE char *prefix = xasprintf("%s/%s: ", tmpdir, name);
        for (size_t i = 0; d->problems[i]; i++)
                if (strncmp(d->problems[i], prefix, strlen(prefix)) == 0)
                        return d->problems[i] + strlen(prefix);
        fail_msg("no problem reported for %s", name);
        return NULL;
}

#define LIST_2                                                                                                         \
        "{\"cniVersion\":\"1.0.0\",\"name\":\"alpha\",\"plugins\":[{\"type\":\"bridge\"},{\"type\":\"portmap\"}]}"

static void test_each_file_kind(void **state) {
        (void) state;
        write_conf("10-alpha.conflist", LIST_2);
        write_conf("20-beta.conf", "{\"cniVersion\":\"0.4.0\",\"name\":\"beta\",\"type\":\"ptp\",\"ipam\":{}}");
        write_conf("30-gamma.json", "{\"cniVersion\":\"0.3.1\",\"name\":\"gamma\",\"type\":\"macvlan\"}\n");
        write_conf("40-ignored.txt", "{\"cniVersion\":\"0.3.1\",\"name\":\"txt\",\"type\":\"macvlan\"}");
        write_conf(".50-hidden.conf", "{\"cniVersion\":\"0.3.1\",\"name\":\"hidden\",\"type\":\"macvlan\"}");
        CLEANUP(dirp) struct cni_dir *d = load();
        assert_int_equal(d->n_nets, 3);
        assert_null(d->problems[0]);

        assert_string_equal(cni_net_name(d->nets[0]), "alpha");
        assert_string_equal(cni_net_version(d->nets[0]), "1.0.0");
        AUTOFREE char *p0 = xasprintf("%s/10-alpha.conflist", tmpdir);
        assert_string_equal(cni_net_path(d->nets[0]), p0);
        char *const *types = cni_net_plugin_types(d->nets[0]);
        assert_int_equal(strv_length(types), 2);
        assert_string_equal(types[0], "bridge");
        assert_string_equal(types[1], "portmap");

        assert_string_equal(cni_net_name(d->nets[1]), "beta");
        assert_string_equal(cni_net_version(d->nets[1]), "0.4.0");
        assert_int_equal(strv_length(cni_net_plugin_types(d->nets[1])), 1);
        assert_string_equal(cni_net_plugin_types(d->nets[1])[0], "ptp");

        assert_string_equal(cni_net_name(d->nets[2]), "gamma");
        assert_string_equal(cni_net_version(d->nets[2]), "0.3.1");
        assert_string_equal(cni_net_plugin_types(d->nets[2])[0], "macvlan");
}

/* libcni's fallback: a .conf or .json holding a list is loaded as a list. */
static void test_conf_file_holding_a_list(void **state) {
        (void) state;
        write_conf("list.conf", LIST_2);
        CLEANUP(dirp) struct cni_dir *d = load();
        assert_int_equal(d->n_nets, 1);
        assert_int_equal(strv_length(cni_net_plugin_types(d->nets[0])), 2);
}

static void test_lexical_order(void **state) {
        (void) state;
        static const char *const files[] = {"b.conf", "a.conflist", "10-z.json", "B.conf", "99.conf"};
        static const char *const names[] = {"n-b", "n-a", "n-10z", "n-B", "n-99"};
        for (size_t i = 0; i < 5; i++) {
                AUTOFREE char *text =
                        xasprintf(strstr(files[i], ".conflist")
                                          ? "{\"cniVersion\":\"1.0.0\",\"name\":\"%s\",\"plugins\":[{\"type\":\"x\"}]}"
                                          : "{\"cniVersion\":\"1.0.0\",\"name\":\"%s\",\"type\":\"x\"}",
                                  names[i]);
                write_conf(files[i], text);
        }
        CLEANUP(dirp) struct cni_dir *d = load();
        /* By byte value, not locale: digits, then upper case, then lower case. */
        static const char *const want[] = {"n-10z", "n-99", "n-B", "n-a", "n-b"};
        assert_int_equal(d->n_nets, 5);
        for (size_t i = 0; i < 5; i++)
                assert_string_equal(cni_net_name(d->nets[i]), want[i]);
}

static void test_default_by_name(void **state) {
        (void) state;
        write_conf("10-first.conf", "{\"cniVersion\":\"1.0.0\",\"name\":\"first\",\"type\":\"x\"}");
        write_conf("20-second.conf", "{\"cniVersion\":\"1.0.0\",\"name\":\"second\",\"type\":\"y\"}");
        CLEANUP(dirp) struct cni_dir *d = load();
        assert_string_equal(cni_net_name(cni_dir_default(d, NULL)), "first");
        assert_string_equal(cni_net_name(cni_dir_default(d, "")), "first");
        assert_string_equal(cni_net_name(cni_dir_default(d, "second")), "second");
        assert_ptr_equal(cni_dir_default(d, "second"), d->nets[1]);
        assert_null(cni_dir_default(d, "third"));
        assert_null(cni_dir_default(NULL, NULL));
}

static void test_empty_dir_has_no_default(void **state) {
        (void) state;
        CLEANUP(dirp) struct cni_dir *d = load();
        assert_int_equal(d->n_nets, 0);
        assert_null(d->problems[0]);
        assert_null(cni_dir_default(d, NULL));
        assert_null(cni_dir_default(d, "x"));
}

static void test_invalid_files_are_reported(void **state) {
        (void) state;
        static const struct {
                const char *file, *text, *why;
        } cases[] = {
                {"a-not-json.conf", "{\"name\": ", "invalid JSON: unexpected end of input"},
                {"b-garbage.conf", "hello", "invalid JSON at byte 0: unexpected character"},
                {"c-trailing.conf", "{\"name\":\"t\",\"type\":\"x\"} {}",
                 "invalid JSON at byte 24: unexpected character"},
                {"d-array.conflist", "[1,2]", "the document is not a JSON object"},
                {"e-no-name.conflist", "{\"cniVersion\":\"1.0.0\",\"plugins\":[{\"type\":\"x\"}]}", "no name"},
                {"f-name-number.conf", "{\"cniVersion\":\"1.0.0\",\"name\":7,\"type\":\"x\"}", "no name"},
                {"g-bad-name.conf", "{\"cniVersion\":\"1.0.0\",\"name\":\"a/b\",\"type\":\"x\"}",
                 "invalid name \"a/b\""},
                {"h-no-plugins.conflist", "{\"cniVersion\":\"1.0.0\",\"name\":\"h\"}", "no plugins"},
                {"i-empty-plugins.conflist", "{\"cniVersion\":\"1.0.0\",\"name\":\"i\",\"plugins\":[]}", "no plugins"},
                {"j-plugins-object.conflist", "{\"cniVersion\":\"1.0.0\",\"name\":\"j\",\"plugins\":{}}",
                 "plugins is not a list"},
                {"k-no-type.conflist",
                 "{\"cniVersion\":\"1.0.0\",\"name\":\"k\",\"plugins\":[{\"type\":\"x\"},{\"mtu\":1}]}",
                 "plugin 1 has no type"},
                {"l-no-type.conf", "{\"cniVersion\":\"1.0.0\",\"name\":\"l\"}", "plugin 0 has no type"},
                {"m-path-type.conflist",
                 "{\"cniVersion\":\"1.0.0\",\"name\":\"m\",\"plugins\":[{\"type\":\"../../bin/sh\"}]}",
                 "plugin 0 has an invalid type \"../../bin/sh\""},
                {"n-version.conf", "{\"cniVersion\":\"9.9.9\",\"name\":\"n\",\"type\":\"x\"}",
                 "unsupported cniVersion \"9.9.9\""},
                {"o-versions.conf",
                 "{\"cniVersion\":\"2.0.0\",\"cniVersions\":[\"3.0.0\"],\"name\":\"o\",\"type\":\"x\"}",
                 "unsupported cniVersion \"2.0.0\" and no supported cniVersions"},
                {"p-version-number.conf", "{\"cniVersion\":1.0,\"name\":\"p\",\"type\":\"x\"}",
                 "cniVersion is not a string"},
                {"q-disable-check.conflist",
                 "{\"cniVersion\":\"1.0.0\",\"name\":\"q\",\"disableCheck\":\"maybe\",\"plugins\":[{\"type\":\"x\"}]}",
                 "disableCheck is not a boolean"},
                {"r-plugin-string.conflist", "{\"cniVersion\":\"1.0.0\",\"name\":\"r\",\"plugins\":[\"bridge\"]}",
                 "plugin 0 is not an object"},
                {"s-dup.conf", "{\"cniVersion\":\"1.0.0\",\"name\":\"good\",\"type\":\"y\"}",
                 "network \"good\" is already defined by "},
                {"t-nul.conf", "(written below)", "invalid JSON at byte 12: NUL byte"},
        };
        write_conf("0-good.conflist", "{\"cniVersion\":\"1.0.0\",\"name\":\"good\",\"plugins\":[{\"type\":\"x\"}]}");
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                write_conf(cases[i].file, cases[i].text);
        /* A NUL byte inside the file. */
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOFREE char *nul = xasprintf("%s/t-nul.conf", tmpdir);
        assert_int_equal(fs_write_file_atomic(nul, "{\"name\":\"t\",\0\"type\":\"x\"}", 25, 0644, &err), 0);
        /* Too large to read. */
        AUTOFREE char *big = xmalloc((2u << 20) + 1);
        memset(big, ' ', 2u << 20);
        big[2u << 20] = '\0';
        write_conf("u-huge.conf", big);

        CLEANUP(dirp) struct cni_dir *d = load();
        assert_int_equal(d->n_nets, 1);
        assert_string_equal(cni_net_name(d->nets[0]), "good");
        assert_int_equal(strv_length(d->problems), sizeof(cases) / sizeof(cases[0]) + 1);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const char *why = problem_for(d, cases[i].file);
                if (strncmp(why, cases[i].why, strlen(cases[i].why)) != 0)
                        fail_msg("%s: got \"%s\", want \"%s...\"", cases[i].file, why, cases[i].why);
        }
        assert_non_null(strstr(problem_for(d, "u-huge.conf"), "1048576"));
}

static void test_version_negotiation(void **state) {
        (void) state;
        write_conf("a.conf", "{\"cniVersion\":\"1.0.0\",\"cniVersions\":[\"1.0.0\",\"1.1.0\",\"2.5.0\"],\"name\":\"a\","
                             "\"type\":\"x\"}");
        write_conf("b.conf",
                   "{\"cniVersion\":\"7.0.0\",\"cniVersions\":[\"0.4.0\",\"0.3.1\"],\"name\":\"b\",\"type\":\"x\"}");
        write_conf("c.conf", "{\"name\":\"c\",\"type\":\"x\"}");
        write_conf("d.conf", "{\"cniVersions\":[\"1.1.0\"],\"name\":\"d\",\"type\":\"x\"}");
        write_conf("e.conflist", "{\"cniVersion\":\"0.2.0\",\"name\":\"e\",\"plugins\":[{\"type\":\"x\"}]}");
        CLEANUP(dirp) struct cni_dir *d = load();
        assert_null(d->problems[0]);
        assert_int_equal(d->n_nets, 5);
        assert_string_equal(cni_net_version(d->nets[0]), "1.1.0");
        assert_string_equal(cni_net_version(d->nets[1]), "0.4.0");
        assert_string_equal(cni_net_version(d->nets[2]), "0.1.0");
        assert_string_equal(cni_net_version(d->nets[3]), "1.1.0");
        assert_string_equal(cni_net_version(d->nets[4]), "0.2.0");
}

static void test_flags_accept_strings(void **state) {
        (void) state;
        write_conf("a.conflist",
                   "{\"cniVersion\":\"1.1.0\",\"name\":\"a\",\"disableCheck\":\"true\",\"disableGC\":true,"
                   "\"plugins\":[{\"type\":\"x\"}]}");
        write_conf("b.conflist",
                   "{\"cniVersion\":\"1.1.0\",\"name\":\"b\",\"disableCheck\":false,\"disableGC\":\"false\","
                   "\"plugins\":[{\"type\":\"x\"}]}");
        CLEANUP(dirp) struct cni_dir *d = load();
        assert_null(d->problems[0]);
        assert_true(d->nets[0]->disable_check);
        assert_true(d->nets[0]->disable_gc);
        assert_false(d->nets[1]->disable_check);
        assert_false(d->nets[1]->disable_gc);
}

static void test_missing_dir_is_empty(void **state) {
        (void) state;
        AUTOFREE char *missing = xasprintf("%s/nope/net.d", tmpdir);
        struct cni_dir *d = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(cni_dir_load(missing, &d, &err), 0);
        assert_int_equal(d->n_nets, 0);
        assert_null(d->problems[0]);
        cni_dir_free(d);
}

/* A net taken from a dir outlives the dir (a reload while an operation runs). */
static void test_refcounts(void **state) {
        (void) state;
        write_conf("a.conflist", LIST_2);
        struct cni_dir *d = load();
        struct cni_net *n = cni_net_ref(d->nets[0]);
        assert_ptr_equal(n, d->nets[0]);
        struct cni_net *again = cni_net_ref(n);
        cni_dir_free(d);
        assert_string_equal(cni_net_name(n), "alpha");
        assert_string_equal(cni_net_plugin_types(n)[1], "portmap");
        cni_net_unref(again);
        assert_string_equal(cni_net_version(n), "1.0.0");
        cni_net_unref(n);
        assert_null(cni_net_ref(NULL));
        cni_net_unref(NULL);
        cni_dir_free(NULL);
}

/* The parser the cache relies on, straight from bytes. */
static void test_parse_from_bytes(void **state) {
        (void) state;
        struct cni_net *n = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(cni_net_parse(LIST_2, strlen(LIST_2), NULL, &n, &err), 0);
        assert_string_equal(cni_net_path(n), "");
        assert_int_equal(n->n_plugins, 2);
        assert_int_equal(n->len, strlen(LIST_2));
        assert_memory_equal(n->data, LIST_2, n->len);
        cni_net_unref(n);
        n = NULL;
        assert_int_equal(cni_net_parse("{\"name\":\"x\"", 11, "p", &n, &err), -1);
        assert_null(n);
        assert_int_equal(err->kind, CRIC_E_INVALID);
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(test_each_file_kind),      T(test_conf_file_holding_a_list), T(test_lexical_order),
                T(test_default_by_name),     T(test_empty_dir_has_no_default), T(test_invalid_files_are_reported),
                T(test_version_negotiation), T(test_flags_accept_strings),     T(test_missing_dir_is_empty),
                T(test_refcounts),           T(test_parse_from_bytes),
        };
        return cmocka_run_group_tests_name("network_cni_conf", tests, NULL, NULL);
}
