/* Tests of the daemon configuration (src/config/config*.c) and cricd's flags. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "config/config_internal.h"
#include "daemon/flags.h"
#include "testlib.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* ---- fixture: a temp dir holding cric.conf and cric.conf.d/ ---- */

struct fixture {
        char *dir;
        char *file;    /* <dir>/cric.conf (not created) */
        char *dropdir; /* <dir>/cric.conf.d (created) */
};

static int setup(void **state) {
        struct fixture *f = xzalloc(sizeof(*f));
        f->dir = testlib_tmpdir("config-test");
        f->file = xasprintf("%s/cric.conf", f->dir);
        f->dropdir = xasprintf("%s/cric.conf.d", f->dir);
        if (mkdir(f->dropdir, 0755) < 0)
                return -1;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        int r = testlib_rmtree(f->dir);
        free(f->dir);
        free(f->file);
        free(f->dropdir);
        free(f);
        return r;
}

static void write_text(const char *path, const char *text) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(fs_write_file_atomic(path, text, strlen(text), 0644, &err), 0);
}

static void write_dropin(const struct fixture *f, const char *name, const char *text) {
        AUTOFREE char *path = xasprintf("%s/%s", f->dropdir, name);
        write_text(path, text);
}

/* Loads with f->file and f->dropdir standing in for the /etc defaults. */
static int load(const struct fixture *f, const struct config_setting *settings, size_t n, struct cric_config **ret,
                struct cric_error **err) {
        struct config_overrides ov = {.settings = (struct config_setting *) settings, .n_settings = n};
        return config_load_from(&ov, f->file, f->dropdir, ret, err);
}

static struct cric_config *load_ok(const struct fixture *f) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct cric_config *cfg = NULL;
        int r = load(f, NULL, 0, &cfg, &err);
        if (r < 0)
                fail_msg("load failed: %s", err->msg);
        return cfg;
}

/* Loads, expecting failure; returns the error message (owned by the caller). */
static char *load_fail(const struct fixture *f, const struct config_setting *settings, size_t n) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct cric_config *cfg = NULL;
        assert_int_equal(load(f, settings, n, &cfg, &err), -1);
        assert_null(cfg);
        assert_non_null(err);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        return xstrdup(err->msg);
}

static size_t count_lines(const char *s) {
        size_t n = *s ? 1 : 0;
        for (; *s; s++)
                n += *s == '\n';
        return n;
}

/* noinline: gcc 12 otherwise warns of a dangling pointer through open_memstream. */
__attribute__((noinline)) static char *print_to_string(const struct cric_config *cfg) {
        char *buf = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&buf, &len);
        assert_non_null(out);
        config_print(cfg, out);
        fclose(out);
        return buf;
}

/* Compares two configs field by field, walking the same table the code does. */
static void assert_config_equal(const struct cric_config *a, const struct cric_config *b) {
        for (size_t i = 0; i < config_n_settings; i++) {
                const struct setting_desc *d = &config_settings[i];
                const void *fa = setting_field_const(d, a), *fb = setting_field_const(d, b);
                if (d->type == SETTING_STRING || d->type == SETTING_ENUM) {
                        assert_string_equal(*(char *const *) fa, *(char *const *) fb);
                } else if (d->type == SETTING_STRING_LIST) {
                        char *const *la = *(char **const *) fa, *const *lb = *(char **const *) fb;
                        size_t n = strv_length(la);
                        assert_int_equal(n, strv_length(lb));
                        for (size_t j = 0; j < n; j++)
                                assert_string_equal(la[j], lb[j]);
                } else if (d->type == SETTING_INTEGER) {
                        assert_int_equal(*(const int64_t *) fa, *(const int64_t *) fb);
                } else if (d->type == SETTING_BOOL) {
                        assert_int_equal(*(const bool *) fa, *(const bool *) fb);
                } else {
                        assert_int_equal(*(const int *) fa, *(const int *) fb);
                }
        }
        assert_int_equal(a->n_runtimes, b->n_runtimes);
        for (size_t i = 0; i < a->n_runtimes; i++) {
                assert_string_equal(a->runtimes[i].name, b->runtimes[i].name);
                assert_string_equal(a->runtimes[i].runtime_path, b->runtimes[i].runtime_path);
                assert_string_equal(a->runtimes[i].runtime_type, b->runtimes[i].runtime_type);
                assert_string_equal(a->runtimes[i].runtime_root, b->runtimes[i].runtime_root);
                assert_string_equal(a->runtimes[i].monitor_cgroup, b->runtimes[i].monitor_cgroup);
                size_t n = strv_length(a->runtimes[i].allowed_annotations);
                assert_int_equal(n, strv_length(b->runtimes[i].allowed_annotations));
                for (size_t j = 0; j < n; j++)
                        assert_string_equal(a->runtimes[i].allowed_annotations[j],
                                            b->runtimes[i].allowed_annotations[j]);
        }
}

/* ---- defaults and the object ---- */

static void test_defaults(void **state) {
        (void) state;
        CLEANUP(config_unrefp) struct cric_config *cfg = config_new_default();
        assert_int_equal(cfg->refcount, 1);
        assert_string_equal(cfg->root, "/var/lib/cric");
        assert_string_equal(cfg->runroot, "/run/cric");
        assert_int_equal(cfg->log_level, LOG_LEVEL_INFO);
        assert_int_equal(cfg->log_format, LOG_FORMAT_TEXT);
        assert_string_equal(cfg->storage_driver, ""); /* automatic */
        assert_non_null(cfg->storage_options);
        assert_null(cfg->storage_options[0]);
        assert_string_equal(cfg->listen, "/run/cric/cric.sock");
        assert_int_equal(cfg->grpc_max_msg_size, 16 * 1024 * 1024);
        assert_int_equal(cfg->grpc_max_workers, 64);
        assert_string_equal(cfg->stream_address, "127.0.0.1");
        assert_string_equal(cfg->stream_port, "0");
        assert_string_equal(cfg->default_runtime, "crun");
        assert_int_equal(cfg->cgroup_manager, CRIC_CGROUP_CGROUPFS);
        assert_string_equal(cfg->hooks_dir[0], "/usr/share/containers/oci/hooks.d"); /* CRI-O's default */
        assert_null(cfg->hooks_dir[1]);
        assert_string_equal(cfg->pause_image, "registry.k8s.io/pause:3.10");
        assert_string_equal(cfg->pause_command, "/usr/libexec/cric/cric-pause");
        assert_string_equal(cfg->registries_conf, "/etc/containers/registries.conf");
        assert_string_equal(cfg->global_auth_file, "");
        assert_string_equal(cfg->network_dir, "/etc/cni/net.d");
        assert_string_equal(cfg->plugin_dirs[0], "/opt/cni/bin");
        assert_string_equal(cfg->plugin_dirs[1], "/usr/lib/cni");
        assert_null(cfg->plugin_dirs[2]);
}

static void test_default_runtimes(void **state) {
        (void) state;
        CLEANUP(config_unrefp) struct cric_config *cfg = config_new_default();
        assert_int_equal(cfg->n_runtimes, 2);
        const struct cric_runtime_handler *crun = config_find_runtime(cfg, "crun");
        assert_non_null(crun);
        assert_string_equal(crun->runtime_path, "/usr/bin/crun");
        assert_string_equal(crun->runtime_type, "oci");
        assert_string_equal(crun->runtime_root, "/run/crun");
        const struct cric_runtime_handler *runc = config_find_runtime(cfg, "runc");
        assert_non_null(runc);
        assert_string_equal(runc->runtime_path, "/usr/sbin/runc");
        assert_string_equal(runc->runtime_root, "/run/runc");
        assert_ptr_equal(config_find_runtime(cfg, ""), crun);
        assert_ptr_equal(config_find_runtime(cfg, NULL), crun);
        assert_null(config_find_runtime(cfg, "kata"));
        /* kept in name order */
        assert_string_equal(cfg->runtimes[0].name, "crun");
        assert_string_equal(cfg->runtimes[1].name, "runc");
}

static void test_ref_unref(void **state) {
        (void) state;
        struct cric_config *cfg = config_new_default();
        assert_ptr_equal(config_ref(cfg), cfg);
        assert_int_equal(cfg->refcount, 2);
        assert_null(config_unref(cfg));
        assert_int_equal(cfg->refcount, 1);
        assert_string_equal(cfg->root, "/var/lib/cric"); /* still alive */
        assert_null(config_unref(cfg));                  /* freed: ASan would catch a leak or reuse */
        assert_null(config_unref(NULL));
        assert_null(config_ref(NULL));
}

static void test_cgroup_manager_names(void **state) {
        (void) state;
        assert_string_equal(cgroup_manager_to_string(CRIC_CGROUP_CGROUPFS), "cgroupfs");
        assert_string_equal(cgroup_manager_to_string(CRIC_CGROUP_SYSTEMD), "systemd");
        assert_string_equal(cgroup_manager_to_string(CRIC_CGROUP_MANAGER_INVALID), "invalid");
        assert_int_equal(cgroup_manager_from_string("systemd"), CRIC_CGROUP_SYSTEMD);
        assert_int_equal(cgroup_manager_from_string("Systemd"), CRIC_CGROUP_MANAGER_INVALID);
}

static void test_settings_table_consistent(void **state) {
        (void) state;
        for (size_t i = 0; i < config_n_settings; i++) {
                const struct setting_desc *d = &config_settings[i];
                assert_true(config_table_is_known(d->table));
                assert_non_null(d->comment);
                AUTOFREE char *full = xasprintf("%s.%s", d->table, d->key);
                assert_ptr_equal(config_setting_find(full), d);
                assert_ptr_equal(config_setting_lookup(d->table, d->key), d);
        }
        assert_null(config_setting_find("cric.api"));
        assert_null(config_setting_find("cric.api.nope"));
        assert_null(config_setting_find("listen"));
        assert_non_null(config_runtime_setting_find("runtime_root"));
}

/* ---- loading files ---- */

static void test_load_main_file(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "[cric]\n"
                            "root = \"/srv/cric\"\n"
                            "log_level = \"debug\"\n"
                            "log_format = \"json\"\n"
                            "storage_options = [\"overlay.mountopt=nodev\"]\n"
                            "[cric.api]\n"
                            "listen = \"unix:///tmp/c.sock\"\n"
                            "grpc_max_workers = 8\n"
                            "[cric.runtime]\n"
                            "cgroup_manager = \"systemd\"\n"
                            "default_runtime = \"runc\"\n"
                            "[cric.network]\n"
                            "plugin_dirs = [\"/a\", \"/b\", \"/c\"]\n");
        CLEANUP(config_unrefp) struct cric_config *cfg = load_ok(f);
        assert_string_equal(cfg->root, "/srv/cric");
        assert_string_equal(cfg->runroot, "/run/cric");
        assert_int_equal(cfg->log_level, LOG_LEVEL_DEBUG);
        assert_int_equal(cfg->log_format, LOG_FORMAT_JSON);
        assert_string_equal(cfg->storage_options[0], "overlay.mountopt=nodev");
        assert_null(cfg->storage_options[1]);
        assert_string_equal(cfg->listen, "/tmp/c.sock");
        assert_int_equal(cfg->grpc_max_workers, 8);
        assert_int_equal(cfg->cgroup_manager, CRIC_CGROUP_SYSTEMD);
        assert_string_equal(config_find_runtime(cfg, "")->name, "runc");
        assert_string_equal(cfg->plugin_dirs[2], "/c");
        assert_null(cfg->plugin_dirs[3]);
}

static void test_load_inline_and_dotted_keys(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "cric.api.grpc_max_msg_size = 4096\n"
                            "[cric.image]\n"
                            "global_auth_file = \"/etc/auth.json\"\n"
                            "[cric.runtime]\n"
                            "runtimes = { kata = { runtime_path = \"/usr/bin/kata\" } }\n");
        CLEANUP(config_unrefp) struct cric_config *cfg = load_ok(f);
        assert_int_equal(cfg->grpc_max_msg_size, 4096);
        assert_string_equal(cfg->global_auth_file, "/etc/auth.json");
        const struct cric_runtime_handler *kata = config_find_runtime(cfg, "kata");
        assert_non_null(kata);
        assert_string_equal(kata->runtime_path, "/usr/bin/kata");
        assert_string_equal(kata->runtime_type, "oci");
        assert_string_equal(kata->runtime_root, "");
        assert_int_equal(cfg->n_runtimes, 3);
}

static void test_dropins_lexical_order(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "[cric]\nlog_level = \"error\"\nroot = \"/main\"\n");
        write_dropin(f, "20-b.conf", "[cric]\nlog_level = \"trace\"\n");
        write_dropin(f, "10-a.conf", "[cric]\nlog_level = \"debug\"\nrunroot = \"/run/a\"\n");
        write_dropin(f, "30-c.conf.disabled", "[cric]\nlog_level = \"warn\"\n");
        write_dropin(f, ".99-hidden.conf", "[cric]\nlog_level = \"warn\"\n");
        write_dropin(f, "Z.conf", "[cric]\nstorage_driver = \"upper\"\n"); /* 'Z' < 'a' in byte order */
        write_dropin(f, "a.conf", "[cric]\nstorage_driver = \"lower\"\n");
        AUTOFREE char *sub = xasprintf("%s/40-dir.conf", f->dropdir);
        assert_int_equal(mkdir(sub, 0755), 0);
        CLEANUP(config_unrefp) struct cric_config *cfg = load_ok(f);
        assert_int_equal(cfg->log_level, LOG_LEVEL_TRACE);
        assert_string_equal(cfg->root, "/main");
        assert_string_equal(cfg->runroot, "/run/a");
        assert_string_equal(cfg->storage_driver, "lower");
}

static void test_dropin_adds_runtime(void **state) {
        struct fixture *f = *state;
        write_dropin(f, "10-kata.conf",
                     "[cric.runtime.runtimes.kata]\n"
                     "runtime_path = \"/opt/kata/bin/kata-runtime\"\n"
                     "runtime_root = \"/run/kata\"\n");
        write_dropin(f, "20-default.conf", "[cric.runtime]\ndefault_runtime = \"kata\"\n");
        CLEANUP(config_unrefp) struct cric_config *cfg = load_ok(f);
        assert_int_equal(cfg->n_runtimes, 3);
        assert_string_equal(cfg->runtimes[0].name, "crun");
        assert_string_equal(cfg->runtimes[1].name, "kata");
        assert_string_equal(cfg->runtimes[2].name, "runc");
        const struct cric_runtime_handler *h = config_find_runtime(cfg, "");
        assert_string_equal(h->name, "kata");
        assert_string_equal(h->runtime_path, "/opt/kata/bin/kata-runtime");
        assert_string_equal(h->runtime_type, "oci");
        assert_string_equal(h->runtime_root, "/run/kata");
}

static void test_dropin_changes_one_runtime_field(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "[cric.runtime.runtimes.crun]\nruntime_path = \"/opt/crun\"\n");
        write_dropin(f, "50.conf", "[cric.runtime.runtimes.crun]\nruntime_root = \"/run/other\"\n");
        CLEANUP(config_unrefp) struct cric_config *cfg = load_ok(f);
        const struct cric_runtime_handler *crun = config_find_runtime(cfg, "crun");
        assert_string_equal(crun->runtime_path, "/opt/crun");
        assert_string_equal(crun->runtime_root, "/run/other");
        assert_string_equal(crun->runtime_type, "oci");
        assert_string_equal(config_find_runtime(cfg, "runc")->runtime_root, "/run/runc");
        assert_int_equal(cfg->n_runtimes, 2);
}

static void test_dropin_list_replaces(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "[cric.network]\nplugin_dirs = [\"/one\", \"/two\"]\n");
        write_dropin(f, "10.conf", "[cric.network]\nplugin_dirs = [\"/three\"]\n");
        write_dropin(f, "20.conf", "[cric]\nstorage_options = []\n");
        CLEANUP(config_unrefp) struct cric_config *cfg = load_ok(f);
        assert_string_equal(cfg->plugin_dirs[0], "/three");
        assert_null(cfg->plugin_dirs[1]);
        assert_null(cfg->storage_options[0]);
}

static void test_missing_default_file_and_dir_ok(void **state) {
        struct fixture *f = *state;
        assert_int_equal(rmdir(f->dropdir), 0);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        CLEANUP(config_unrefp) struct cric_config *cfg = NULL;
        assert_int_equal(config_load_from(NULL, f->file, f->dropdir, &cfg, &err), 0);
        assert_null(err);
        CLEANUP(config_unrefp) struct cric_config *def = config_new_default();
        assert_config_equal(cfg, def);
}

static void test_explicit_missing_config_fails(void **state) {
        struct fixture *f = *state;
        AUTOFREE char *missing = xasprintf("%s/nope.conf", f->dir);
        struct config_overrides ov = {.config_file = missing, .config_dir = f->dropdir};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct cric_config *cfg = NULL;
        assert_int_equal(config_load(&ov, &cfg, &err), -1);
        assert_null(cfg);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_contains(err->msg, missing);
        assert_contains(err->msg, "No such file or directory");
}

static void test_explicit_config_file_and_dir(void **state) {
        struct fixture *f = *state;
        AUTOFREE char *other = xasprintf("%s/other.conf", f->dir);
        AUTOFREE char *otherdir = xasprintf("%s/other.d", f->dir);
        assert_int_equal(mkdir(otherdir, 0755), 0);
        write_text(other, "[cric]\nroot = \"/from-other\"\n");
        write_text(f->file, "[cric]\nroot = \"/from-default\"\n");
        AUTOFREE char *drop = xasprintf("%s/1.conf", otherdir);
        write_text(drop, "[cric]\nrunroot = \"/run/other\"\n");
        struct config_overrides ov = {.config_file = other, .config_dir = otherdir};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        CLEANUP(config_unrefp) struct cric_config *cfg = NULL;
        assert_int_equal(config_load_from(&ov, f->file, f->dropdir, &cfg, &err), 0);
        assert_string_equal(cfg->root, "/from-other");
        assert_string_equal(cfg->runroot, "/run/other");
}

static void test_unknown_keys_warn(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "top_level = 1\n"
                            "[cric.api]\n"
                            "listen = \"/x.sock\"\n"
                            "bogus = true\n"
                            "[cric.future]\n"
                            "thing = 1\n"
                            "[cric.runtime.runtimes.crun]\n"
                            "\"odd key\" = \"x\"\n");
        struct testlib_capture c;
        testlib_capture_stderr(&c);
        CLEANUP(config_unrefp) struct cric_config *cfg = load_ok(f);
        AUTOFREE char *log = testlib_capture_end(&c);
        assert_string_equal(cfg->listen, "/x.sock");
        AUTOFREE char *w1 = xasprintf("%s:1:13: unknown configuration key top_level", f->file);
        AUTOFREE char *w2 = xasprintf("%s:4:9: unknown configuration key cric.api.bogus", f->file);
        AUTOFREE char *w3 = xasprintf("%s:5:1: unknown configuration table [cric.future]", f->file);
        AUTOFREE char *w4 =
                xasprintf("%s:8:13: unknown configuration key cric.runtime.runtimes.crun.\"odd key\"", f->file);
        assert_contains(log, w1);
        assert_contains(log, w2);
        assert_contains(log, w3);
        assert_contains(log, w4);
        assert_true(strstr(log, "thing") == NULL); /* a whole unknown table is one warning */
}

/* ---- validation ---- */

static void test_errors_all_reported(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "[cric.api]\n"
                            "listen = 5\n"
                            "grpc_max_workers = \"many\"\n"
                            "[cric]\n"
                            "log_level = \"loud\"\n");
        write_dropin(f, "10.conf", "[cric]\nroot = \"relative/path\"\n");
        write_dropin(f, "20.conf", "[cric.api\n"); /* syntax error */
        write_dropin(f, "30.conf", "[cric.network]\nplugin_dirs = \"/not/a/list\"\n");
        AUTOFREE char *msg = load_fail(f, NULL, 0);
        AUTOFREE char *e1 = xasprintf("%s:2:10: cric.api.listen: expected a string, got integer", f->file);
        AUTOFREE char *e2 = xasprintf("%s:3:20: cric.api.grpc_max_workers: expected an integer, got string", f->file);
        AUTOFREE char *e3 = xasprintf("%s:5:13: cric.log_level: expected error, warning, info, debug or trace, "
                                      "got \"loud\"",
                                      f->file);
        AUTOFREE char *e4 =
                xasprintf("%s/10.conf:2:8: cric.root: expected an absolute path, got \"relative/path\"", f->dropdir);
        AUTOFREE char *e5 = xasprintf("%s/20.conf:", f->dropdir);
        AUTOFREE char *e6 = xasprintf("%s/30.conf:2:15: cric.network.plugin_dirs: expected an array of strings, "
                                      "got string",
                                      f->dropdir);
        assert_contains(msg, e1);
        assert_contains(msg, e2);
        assert_contains(msg, e3);
        assert_contains(msg, e4);
        assert_contains(msg, e5);
        assert_contains(msg, e6);
        assert_int_equal(count_lines(msg), 6);
        /* one problem per line, in file order */
        assert_true(strstr(msg, e1) < strstr(msg, e2));
        assert_true(strstr(msg, e3) < strstr(msg, e4));
        assert_true(strstr(msg, e4) < strstr(msg, e6));
}

static void test_bad_types(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "[cric]\n"
                            "storage_options = [\"ok\", 3]\n"
                            "api = 7\n"
                            "log_format = true\n"
                            "[cric.runtime]\n"
                            "runtimes = \"crun\"\n"
                            "[cric.image]\n"
                            "pause_image = [\"x\"]\n");
        AUTOFREE char *msg = load_fail(f, NULL, 0);
        assert_contains(msg, ":2:26: cric.storage_options[1]: expected a string, got integer");
        assert_contains(msg, ":3:7: cric.api: expected a table, got integer");
        assert_contains(msg, ":4:14: cric.log_format: expected a string, got boolean");
        assert_contains(msg, ":6:12: cric.runtime.runtimes: expected a table, got string");
        assert_contains(msg, ":8:15: cric.image.pause_image: expected a string, got array");
        assert_int_equal(count_lines(msg), 5);
}

static void test_bad_enums(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "[cric]\n"
                            "log_format = \"xml\"\n"
                            "[cric.runtime]\n"
                            "cgroup_manager = \"cgroupv2\"\n"
                            "[cric.runtime.runtimes.vm]\n"
                            "runtime_type = \"vm\"\n");
        AUTOFREE char *msg = load_fail(f, NULL, 0);
        assert_contains(msg, ":2:14: cric.log_format: expected text or json, got \"xml\"");
        assert_contains(msg, ":4:18: cric.runtime.cgroup_manager: expected cgroupfs or systemd, got \"cgroupv2\"");
        assert_contains(msg, ":6:16: cric.runtime.runtimes.vm.runtime_type: expected \"oci\", got \"vm\"");
        assert_int_equal(count_lines(msg), 3);
}

static void test_runtime_type_empty_means_oci(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "[cric.runtime.runtimes.x]\nruntime_type = \"\"\n");
        CLEANUP(config_unrefp) struct cric_config *cfg = load_ok(f);
        assert_string_equal(config_find_runtime(cfg, "x")->runtime_type, "oci");
}

static void test_integer_ranges(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "[cric.api]\ngrpc_max_msg_size = 4095\ngrpc_max_workers = 0\n");
        write_dropin(f, "1.conf", "[cric.api]\ngrpc_max_msg_size = 2147483649\ngrpc_max_workers = 4097\n");
        AUTOFREE char *msg = load_fail(f, NULL, 0);
        assert_contains(msg, "cric.api.grpc_max_msg_size: must be between 4096 and 2147483648, got 4095");
        assert_contains(msg, "cric.api.grpc_max_workers: must be between 1 and 4096, got 0");
        assert_contains(msg, "got 2147483649");
        assert_contains(msg, "got 4097");
        assert_int_equal(count_lines(msg), 4);

        write_text(f->file, "[cric.api]\ngrpc_max_msg_size = 4096\ngrpc_max_workers = 1\n");
        write_dropin(f, "1.conf", "[cric.api]\ngrpc_max_msg_size = 2147483648\ngrpc_max_workers = 4096\n");
        CLEANUP(config_unrefp) struct cric_config *cfg = load_ok(f);
        assert_int_equal(cfg->grpc_max_msg_size, 2147483648LL);
        assert_int_equal(cfg->grpc_max_workers, 4096);
}

static void test_paths_and_listen(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "[cric]\n"
                            "runroot = \"\"\n"
                            "[cric.api]\n"
                            "listen = \"unix://relative.sock\"\n"
                            "[cric.image]\n"
                            "pause_command = \"cric-pause\"\n");
        write_dropin(f, "1.conf", "[cric.api]\nlisten = \"\"\n");
        AUTOFREE char *msg = load_fail(f, NULL, 0);
        assert_contains(msg, ":2:11: cric.runroot: must not be empty");
        assert_contains(msg, ":4:10: cric.api.listen: expected an absolute path, got \"relative.sock\"");
        assert_contains(msg, ":6:17: cric.image.pause_command: expected an absolute path, got \"cric-pause\"");
        assert_contains(msg, "1.conf:2:10: cric.api.listen: must not be empty");
        assert_int_equal(count_lines(msg), 4);
}

static void test_default_runtime_missing(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "\n[cric.runtime]\ndefault_runtime = \"kata\"\n");
        AUTOFREE char *msg = load_fail(f, NULL, 0);
        AUTOFREE char *want = xasprintf("%s:3:19: cric.runtime.default_runtime: runtime \"kata\" is not configured "
                                        "(configured: crun, runc)",
                                        f->file);
        assert_string_equal(msg, want);
}

static void test_empty_runtime_name(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "[cric.runtime.runtimes.\"\"]\nruntime_path = \"/x\"\n");
        AUTOFREE char *msg = load_fail(f, NULL, 0);
        assert_contains(msg, "cric.runtime.runtimes.\"\": a runtime name must not be empty");
}

/* ---- command-line overrides ---- */

static void test_override_string_and_enum(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "[cric]\nroot = \"/file\"\n[cric.runtime]\ncgroup_manager = \"systemd\"\n");
        const struct config_setting s[] = {
                {"cric.root", "/flag"},
                {"cric.api.listen", "unix:///run/flag.sock"},
                {"cric.runtime.cgroup_manager", "cgroupfs"},
                {"cric.log_level", "debug"},
                {"cric.root", "/flag2"}, /* last one wins */
        };
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        CLEANUP(config_unrefp) struct cric_config *cfg = NULL;
        assert_int_equal(load(f, s, sizeof(s) / sizeof(s[0]), &cfg, &err), 0);
        assert_string_equal(cfg->root, "/flag2");
        assert_string_equal(cfg->listen, "/run/flag.sock");
        assert_int_equal(cfg->cgroup_manager, CRIC_CGROUP_CGROUPFS);
        assert_int_equal(cfg->log_level, LOG_LEVEL_DEBUG);
}

static void test_override_integer(void **state) {
        struct fixture *f = *state;
        const struct config_setting good[] = {{"cric.api.grpc_max_workers", "12"}};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        CLEANUP(config_unrefp) struct cric_config *cfg = NULL;
        assert_int_equal(load(f, good, 1, &cfg, &err), 0);
        assert_int_equal(cfg->grpc_max_workers, 12);

        const struct config_setting bad[] = {
                {"cric.api.grpc_max_workers", "12abc"},
                {"cric.api.grpc_max_msg_size", ""},
                {"cric.api.grpc_max_msg_size", "99999999999999999999"},
                {"cric.api.grpc_max_workers", "100000"},
        };
        AUTOFREE char *msg = load_fail(f, bad, 4);
        assert_contains(msg, "command line: cric.api.grpc_max_workers: expected an integer, got \"12abc\"");
        assert_contains(msg, "command line: cric.api.grpc_max_msg_size: expected an integer, got \"\"");
        assert_contains(msg, "got \"99999999999999999999\"");
        assert_contains(msg, "command line: cric.api.grpc_max_workers: must be between 1 and 4096, got 100000");
        assert_int_equal(count_lines(msg), 4);
}

static void test_override_list_replace_then_append(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "[cric.network]\nplugin_dirs = [\"/file1\", \"/file2\"]\n");
        const struct config_setting s[] = {
                {"cric.network.plugin_dirs", "/flag1"},
                {"cric.storage_options", "a=b"},
                {"cric.network.plugin_dirs", "/flag2"},
                {"cric.network.plugin_dirs", "/flag3"},
        };
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        CLEANUP(config_unrefp) struct cric_config *cfg = NULL;
        assert_int_equal(load(f, s, 4, &cfg, &err), 0);
        assert_string_equal(cfg->plugin_dirs[0], "/flag1");
        assert_string_equal(cfg->plugin_dirs[1], "/flag2");
        assert_string_equal(cfg->plugin_dirs[2], "/flag3");
        assert_null(cfg->plugin_dirs[3]);
        assert_string_equal(cfg->storage_options[0], "a=b");
        assert_null(cfg->storage_options[1]);
}

static void test_hooks_dir(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "[cric.runtime]\nhooks_dir = [\"/etc/containers/oci/hooks.d\", \"/x\"]\n");
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        CLEANUP(config_unrefp) struct cric_config *cfg = NULL;
        assert_int_equal(load(f, NULL, 0, &cfg, &err), 0);
        assert_string_equal(cfg->hooks_dir[0], "/etc/containers/oci/hooks.d");
        assert_string_equal(cfg->hooks_dir[1], "/x");
        assert_null(cfg->hooks_dir[2]);
        const struct config_setting s[] = {{"cric.runtime.hooks_dir", "/flag"}};
        CLEANUP(config_unrefp) struct cric_config *over = NULL;
        assert_int_equal(load(f, s, 1, &over, &err), 0);
        assert_string_equal(over->hooks_dir[0], "/flag");
        assert_null(over->hooks_dir[1]);
}

/* CRI-O's rule: negative is no limit, else at least 8192 (its read buffer). */
static void test_log_size_max_and_journald(void **state) {
        struct fixture *f = *state;
        CLEANUP(config_unrefp) struct cric_config *def = config_new_default();
        assert_int_equal(def->log_size_max, -1);
        assert_false(def->log_to_journald);
        write_text(f->file, "[cric.runtime]\nlog_size_max = 0\n");
        write_dropin(f, "1.conf", "[cric.runtime]\nlog_size_max = 8191\n");
        AUTOFREE char *msg = load_fail(f, NULL, 0);
        assert_contains(msg, "cric.runtime.log_size_max: must be negative (no limit) or at least 8192, got 0");
        assert_contains(msg, "got 8191");
        assert_int_equal(count_lines(msg), 2);

        write_text(f->file, "[cric.runtime]\nlog_size_max = -7\nlog_to_journald = true\n");
        write_dropin(f, "1.conf", "");
        CLEANUP(config_unrefp) struct cric_config *cfg = load_ok(f);
        assert_int_equal(cfg->log_size_max, -7);
        assert_true(cfg->log_to_journald);
        const struct config_setting s[] = {{"cric.runtime.log_size_max", "8192"},
                                           {"cric.runtime.log_to_journald", "false"}};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        CLEANUP(config_unrefp) struct cric_config *over = NULL;
        assert_int_equal(load(f, s, 2, &over, &err), 0);
        assert_int_equal(over->log_size_max, 8192);
        assert_false(over->log_to_journald);
}

static void assert_round_trip(const struct fixture *f, const struct cric_config *cfg);

/* CRI-O's node settings: defaults, values from a file, the flags' form, ranges. */
static void test_node_settings(void **state) {
        struct fixture *f = *state;
        CLEANUP(config_unrefp) struct cric_config *def = config_new_default();
        assert_int_equal(strv_length(def->default_capabilities), 9);
        assert_string_equal(def->default_capabilities[0], "CHOWN");
        assert_int_equal(def->pids_limit, -1);
        assert_string_equal(def->default_mounts_file, "");
        assert_string_equal(def->seccomp_profile, "");
        assert_string_equal(def->apparmor_profile, "cric-default");
        assert_false(def->selinux);
        assert_false(def->device_ownership_from_security_context);
        assert_string_equal(def->allowed_devices[0], "/dev/fuse");
        assert_string_equal(def->allowed_devices[1], "/dev/net/tun");
        assert_null(def->allowed_devices[2]);
        assert_null(def->insecure_registries[0]);
        assert_null(def->runtimes[0].allowed_annotations[0]);
        assert_string_equal(def->runtimes[0].monitor_cgroup, "");

        write_text(f->file, "[cric.runtime]\ndefault_capabilities = []\ndefault_sysctls = [\"net.ipv4.ip_forward=1\"]\n"
                            "default_ulimits = [\"nofile=1:2\"]\npids_limit = 0\nselinux = true\n"
                            "[cric.runtime.runtimes.crun]\nallowed_annotations = [\"io.kubernetes.cri-o.\"]\n"
                            "monitor_cgroup = \"pod\"\n[cric.image]\ninsecure_registries = [\"reg:5000\"]\n");
        CLEANUP(config_unrefp) struct cric_config *cfg = load_ok(f);
        assert_null(cfg->default_capabilities[0]);
        assert_string_equal(cfg->default_sysctls[0], "net.ipv4.ip_forward=1");
        assert_string_equal(cfg->default_ulimits[0], "nofile=1:2");
        assert_int_equal(cfg->pids_limit, 0);
        assert_true(cfg->selinux);
        const struct cric_runtime_handler *h = config_find_runtime(cfg, "crun");
        assert_string_equal(h->allowed_annotations[0], "io.kubernetes.cri-o.");
        assert_string_equal(h->monitor_cgroup, "pod");
        assert_string_equal(cfg->insecure_registries[0], "reg:5000");
        assert_round_trip(f, cfg);

        const struct config_setting s[] = {{"cric.runtime.pids_limit", "42"},
                                           {"cric.runtime.additional_devices", "/dev/null"},
                                           {"cric.runtime.additional_devices", "/dev/zero:/dev/z:r"}};
        CLEANUP(config_unrefp) struct cric_config *over = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(load(f, s, 3, &over, &err), 0);
        assert_int_equal(over->pids_limit, 42);
        assert_int_equal(strv_length(over->additional_devices), 2);

        write_text(f->file, "[cric.runtime]\npids_limit = -2\napparmor_profile = \"\"\n");
        AUTOFREE char *msg = load_fail(f, NULL, 0);
        assert_contains(msg, "cric.runtime.pids_limit");
        assert_contains(msg, "cric.runtime.apparmor_profile");
}

static void test_override_errors(void **state) {
        struct fixture *f = *state;
        const struct config_setting s[] = {
                {"cric.nope", "x"},
                {"cric.runtime.cgroup_manager", "sysd"},
                {"cric.runtime.default_runtime", "youki"},
        };
        AUTOFREE char *msg = load_fail(f, s, 3);
        assert_contains(msg, "command line: cric.nope: unknown configuration key");
        assert_contains(msg, "command line: cric.runtime.cgroup_manager: expected cgroupfs or systemd, got \"sysd\"");
        assert_contains(msg, "command line: cric.runtime.default_runtime: runtime \"youki\" is not configured");
        assert_int_equal(count_lines(msg), 3);
}

/* ---- printing ---- */

/* print -> load -> compare -> print again must give the same bytes. */
static void assert_round_trip(const struct fixture *f, const struct cric_config *cfg) {
        AUTOFREE char *text1 = print_to_string(cfg);
        write_text(f->file, text1);
        CLEANUP(config_unrefp) struct cric_config *back = load_ok(f);
        assert_config_equal(cfg, back);
        AUTOFREE char *text2 = print_to_string(back);
        assert_string_equal(text1, text2);
}

static void test_print_defaults_round_trip(void **state) {
        struct fixture *f = *state;
        CLEANUP(config_unrefp) struct cric_config *cfg = config_new_default();
        assert_round_trip(f, cfg);
}

static void replace(char **field, const char *value) {
        free(*field);
        *field = xstrdup(value);
}

static void test_print_odd_values_round_trip(void **state) {
        struct fixture *f = *state;
        CLEANUP(config_unrefp) struct cric_config *cfg = config_new_default();
        replace(&cfg->root, "/var/lib/\"quoted\" dir");
        replace(&cfg->runroot, "/run/back\\slash\\");
        replace(&cfg->pause_image, "line1\nline2\r\n\ttab \x01 \x7f end");
        replace(&cfg->global_auth_file, "/etc/ünïcödé/日本語/😀.json");
        replace(&cfg->stream_address, "");
        replace(&cfg->stream_port, "''' \"\"\" #not a comment");
        cfg->log_level = LOG_LEVEL_WARN;
        cfg->log_format = LOG_FORMAT_JSON;
        cfg->cgroup_manager = CRIC_CGROUP_SYSTEMD;
        cfg->grpc_max_msg_size = 2147483648LL;
        cfg->grpc_max_workers = 1;
        strv_push(&cfg->storage_options, "a=\"b\"");
        strv_push(&cfg->storage_options, "");
        strv_push(&cfg->storage_options, "x\\y\nz");
        cfg->plugin_dirs = strv_free(cfg->plugin_dirs);
        cfg->plugin_dirs = strv_copy(NULL);
        struct cric_runtime_handler *h = config_runtime_get_or_add(cfg, "my.runtime");
        replace(&h->runtime_path, "/opt/with space/run\"time");
        h = config_runtime_get_or_add(cfg, "ünï \"rt\"");
        replace(&h->runtime_root, "/run/ü");
        config_runtime_get_or_add(cfg, "plain-name_2");
        replace(&cfg->default_runtime, "my.runtime");
        assert_int_equal(cfg->n_runtimes, 5);
        assert_round_trip(f, cfg);
}

static void test_print_layout(void **state) {
        (void) state;
        CLEANUP(config_unrefp) struct cric_config *cfg = config_new_default();
        AUTOFREE char *text = print_to_string(cfg);
        assert_true(text[0] == '#');
        assert_contains(text, "\n[cric]\n");
        assert_contains(text, "\n[cric.api]\n");
        assert_contains(text, "\n[cric.runtime]\n");
        assert_contains(text, "\n[cric.image]\n");
        assert_contains(text, "\n[cric.network]\n");
        assert_contains(text, "\n[cric.runtime.runtimes.crun]\n");
        assert_contains(text, "\n[cric.runtime.runtimes.runc]\n");
        assert_contains(text, "\nlisten = \"/run/cric/cric.sock\"\n");
        assert_contains(text, "\ngrpc_max_msg_size = 16777216\n");
        assert_contains(text, "\nplugin_dirs = [\"/opt/cni/bin\", \"/usr/lib/cni\"]\n");
        assert_contains(text, "\nstorage_options = []\n");
        assert_contains(text, "\nlog_level = \"info\"\n");
        /* every key line is directly preceded by a comment line */
        for (size_t i = 0; i < config_n_settings; i++) {
                AUTOFREE char *needle = xasprintf("\n%s = ", config_settings[i].key);
                const char *at = strstr(text, needle);
                assert_non_null(at);
                size_t line_start = (size_t) (at - text); /* the '\n' ending the previous line */
                while (line_start > 0 && text[line_start - 1] != '\n')
                        line_start--;
                assert_true(text[line_start] == '#');
        }
}

/* ---- flags ---- */

#define ARGC(a) ((int) (sizeof(a) / sizeof((a)[0])))

struct flag_case {
        const char *flag, *key, *value;
};

static const struct flag_case setting_flags[] = {
        {"--root", "cric.root", "/r"},
        {"--runroot", "cric.runroot", "/rr"},
        {"--listen", "cric.api.listen", "/l.sock"},
        {"--log-level", "cric.log_level", "debug"},
        {"--log-format", "cric.log_format", "json"},
        {"--default-runtime", "cric.runtime.default_runtime", "runc"},
        {"--cgroup-manager", "cric.runtime.cgroup_manager", "systemd"},
        {"--registries-conf", "cric.image.registries_conf", "/reg.conf"},
        {"--cni-config-dir", "cric.network.network_dir", "/cni"},
        {"--cni-plugin-dir", "cric.network.plugin_dirs", "/plug"},
        {"--stream-address", "cric.api.stream_address", "0.0.0.0"},
        {"--stream-port", "cric.api.stream_port", "10010"},
        {"--storage-driver", "cric.storage_driver", "vfs"},
        {"--pause-image", "cric.image.pause_image", "example.com/pause:1"},
        {"--metrics-host", "cric.metrics.metrics_host", "0.0.0.0"},
        {"--metrics-port", "cric.metrics.metrics_port", "9537"},
        {"--metrics-socket", "cric.metrics.metrics_socket", "/m.sock"},
        {"--metrics-cert", "cric.metrics.metrics_cert", "/m.crt"},
        {"--metrics-key", "cric.metrics.metrics_key", "/m.key"},
        {"--metrics-collectors", "cric.metrics.metrics_collectors", "operations_total"},
        {"--log-size-max", "cric.runtime.log_size_max", "65536"},
};
#define N_SETTING_FLAGS (sizeof(setting_flags) / sizeof(setting_flags[0]))

static void test_flags_every_setting_flag_both_forms(void **state) {
        (void) state;
        for (size_t i = 0; i < N_SETTING_FLAGS; i++) {
                const struct flag_case *c = &setting_flags[i];
                AUTOFREE char *joined = xasprintf("%s=%s", c->flag, c->value);
                char *sep[] = {"cricd", (char *) c->flag, (char *) c->value};
                char *eq[] = {"cricd", joined};
                for (int form = 0; form < 2; form++) {
                        struct daemon_flags fl;
                        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                        int r = form == 0 ? daemon_flags_parse(ARGC(sep), sep, &fl, &err)
                                          : daemon_flags_parse(ARGC(eq), eq, &fl, &err);
                        if (r < 0)
                                fail_msg("%s: %s", c->flag, err->msg);
                        assert_int_equal(fl.command, DAEMON_CMD_RUN);
                        assert_int_equal(fl.ov.n_settings, 1);
                        assert_string_equal(fl.ov.settings[0].key, c->key);
                        assert_string_equal(fl.ov.settings[0].value, c->value);
                        assert_non_null(config_setting_find(fl.ov.settings[0].key));
                        daemon_flags_clear(&fl);
                }
        }
}

static void test_flags_config_file_and_dir(void **state) {
        (void) state;
        char *argv[] = {"cricd", "--config", "/a.conf", "--config-dir=/a.d"};
        struct daemon_flags fl;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(daemon_flags_parse(ARGC(argv), argv, &fl, &err), 0);
        assert_string_equal(fl.ov.config_file, "/a.conf");
        assert_string_equal(fl.ov.config_dir, "/a.d");
        assert_int_equal(fl.ov.n_settings, 0);
        daemon_flags_clear(&fl);

        char *argv2[] = {"cricd", "--config=/b.conf", "--config-dir", "/b.d"};
        assert_int_equal(daemon_flags_parse(ARGC(argv2), argv2, &fl, &err), 0);
        assert_string_equal(fl.ov.config_file, "/b.conf");
        assert_string_equal(fl.ov.config_dir, "/b.d");
        daemon_flags_clear(&fl);
}

static void test_flags_short_forms(void **state) {
        (void) state;
        char *argv[] = {"cricd", "-c", "/c.conf", "-d=/c.d", "-r", "/root", "-l", "trace"};
        struct daemon_flags fl;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(daemon_flags_parse(ARGC(argv), argv, &fl, &err), 0);
        assert_string_equal(fl.ov.config_file, "/c.conf");
        assert_string_equal(fl.ov.config_dir, "/c.d");
        assert_int_equal(fl.ov.n_settings, 2);
        assert_string_equal(fl.ov.settings[0].key, "cric.root");
        assert_string_equal(fl.ov.settings[0].value, "/root");
        assert_string_equal(fl.ov.settings[1].key, "cric.log_level");
        assert_string_equal(fl.ov.settings[1].value, "trace");
        daemon_flags_clear(&fl);
}

/* A switch: alone it sets true, with "=" the value given; the next argument stays an
 * argument of its own. */
static void test_flags_enable_metrics_switch(void **state) {
        (void) state;
        char *argv[] = {"cricd", "--enable-metrics", "--metrics-port", "1", "--enable-metrics=false", "--log-journald"};
        struct daemon_flags fl;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(daemon_flags_parse(ARGC(argv), argv, &fl, &err), 0);
        assert_int_equal(fl.ov.n_settings, 4);
        assert_string_equal(fl.ov.settings[0].key, "cric.metrics.enable_metrics");
        assert_string_equal(fl.ov.settings[0].value, "true");
        assert_string_equal(fl.ov.settings[1].key, "cric.metrics.metrics_port");
        assert_string_equal(fl.ov.settings[2].value, "false");
        assert_string_equal(fl.ov.settings[3].key, "cric.runtime.log_to_journald"); /* CRI-O's switch */
        assert_string_equal(fl.ov.settings[3].value, "true");
        daemon_flags_clear(&fl);
        /* flags without a setting still take no value */
        char *bad[] = {"cricd", "--help=yes"};
        assert_int_equal(daemon_flags_parse(ARGC(bad), bad, &fl, &err), -1);
}

static enum daemon_command command_of(int argc, char **argv, bool *config_default) {
        struct daemon_flags fl;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (daemon_flags_parse(argc, argv, &fl, &err) < 0)
                fail_msg("parse: %s", err->msg);
        enum daemon_command cmd = fl.command;
        if (config_default)
                *config_default = fl.config_default;
        daemon_flags_clear(&fl);
        return cmd;
}

static void test_flags_subcommands(void **state) {
        (void) state;
        char *none[] = {"cricd"};
        char *config[] = {"cricd", "config"};
        char *version[] = {"cricd", "version"};
        char *help[] = {"cricd", "help"};
        char *vflag[] = {"cricd", "--version"};
        char *vshort[] = {"cricd", "-v"};
        char *hflag[] = {"cricd", "--root", "/x", "--help"};
        char *hshort[] = {"cricd", "config", "-h"};
        bool def = true;
        assert_int_equal(command_of(ARGC(none), none, NULL), DAEMON_CMD_RUN);
        assert_int_equal(command_of(ARGC(config), config, &def), DAEMON_CMD_CONFIG);
        assert_false(def);
        assert_int_equal(command_of(ARGC(version), version, NULL), DAEMON_CMD_VERSION);
        assert_int_equal(command_of(ARGC(help), help, NULL), DAEMON_CMD_HELP);
        assert_int_equal(command_of(ARGC(vflag), vflag, NULL), DAEMON_CMD_VERSION);
        assert_int_equal(command_of(ARGC(vshort), vshort, NULL), DAEMON_CMD_VERSION);
        assert_int_equal(command_of(ARGC(hflag), hflag, NULL), DAEMON_CMD_HELP);
        assert_int_equal(command_of(ARGC(hshort), hshort, NULL), DAEMON_CMD_HELP);
}

static void test_flags_config_default(void **state) {
        (void) state;
        char *argv[] = {"cricd", "--config", "/x.conf", "config", "--default"};
        struct daemon_flags fl;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(daemon_flags_parse(ARGC(argv), argv, &fl, &err), 0);
        assert_int_equal(fl.command, DAEMON_CMD_CONFIG);
        assert_true(fl.config_default);
        assert_string_equal(fl.ov.config_file, "/x.conf");
        daemon_flags_clear(&fl);

        /* flags after the subcommand apply too */
        char *after[] = {"cricd", "config", "--root=/after"};
        assert_int_equal(daemon_flags_parse(ARGC(after), after, &fl, &err), 0);
        assert_int_equal(fl.command, DAEMON_CMD_CONFIG);
        assert_false(fl.config_default);
        assert_string_equal(fl.ov.settings[0].value, "/after");
        daemon_flags_clear(&fl);

        char *misplaced[] = {"cricd", "--default", "config"};
        assert_int_equal(daemon_flags_parse(ARGC(misplaced), misplaced, &fl, &err), -1);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_contains(err->msg, "unknown flag --default");
}

static void test_flags_check_repair(void **state) {
        (void) state;
        char *argv[] = {"cricd", "--root", "/r", "check", "--repair"};
        struct daemon_flags fl;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(daemon_flags_parse(ARGC(argv), argv, &fl, &err), 0);
        assert_int_equal(fl.command, DAEMON_CMD_CHECK);
        assert_true(fl.check_repair);
        assert_string_equal(fl.ov.settings[0].value, "/r");
        daemon_flags_clear(&fl);

        char *plain[] = {"cricd", "check"};
        assert_int_equal(daemon_flags_parse(ARGC(plain), plain, &fl, &err), 0);
        assert_int_equal(fl.command, DAEMON_CMD_CHECK);
        assert_false(fl.check_repair);
        daemon_flags_clear(&fl);

        /* --repair belongs to check only */
        char *misplaced[] = {"cricd", "config", "--repair"};
        assert_int_equal(daemon_flags_parse(ARGC(misplaced), misplaced, &fl, &err), -1);
        assert_contains(err->msg, "unknown flag --repair");
}

static void expect_flag_error(char **argv, int argc, const char *want) {
        struct daemon_flags fl = {.command = DAEMON_CMD_CONFIG};
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(daemon_flags_parse(argc, argv, &fl, &err), -1);
        assert_non_null(err);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        assert_contains(err->msg, want);
        assert_int_equal(fl.command, DAEMON_CMD_CONFIG); /* untouched on failure */
}

static void test_flags_errors(void **state) {
        (void) state;
        char *unknown[] = {"cricd", "--root", "/x", "--bogus", "1"};
        char *unknown_eq[] = {"cricd", "--bogus=1"};
        char *unknown_short[] = {"cricd", "-x"};
        char *missing[] = {"cricd", "--root"};
        char *missing_short[] = {"cricd", "-c"};
        char *novalue[] = {"cricd", "--help=yes"};
        char *badlevel[] = {"cricd", "--log-level", "loud"};
        char *badformat[] = {"cricd", "--log-format=xml"};
        char *badcmd[] = {"cricd", "serve"};
        char *twocmds[] = {"cricd", "config", "version"};
        char *emptyconfig[] = {"cricd", "--config="};
        expect_flag_error(unknown, ARGC(unknown), "unknown flag --bogus");
        expect_flag_error(unknown_eq, ARGC(unknown_eq), "unknown flag --bogus");
        expect_flag_error(unknown_short, ARGC(unknown_short), "unknown flag -x");
        expect_flag_error(missing, ARGC(missing), "flag --root needs a value");
        expect_flag_error(missing_short, ARGC(missing_short), "flag -c needs a value");
        expect_flag_error(novalue, ARGC(novalue), "flag --help takes no value");
        expect_flag_error(badlevel, ARGC(badlevel), "invalid value \"loud\" for --log-level");
        expect_flag_error(badformat, ARGC(badformat), "invalid value \"xml\" for --log-format");
        expect_flag_error(badcmd, ARGC(badcmd), "unknown command \"serve\"");
        expect_flag_error(twocmds, ARGC(twocmds), "unexpected argument \"version\"");
        expect_flag_error(emptyconfig, ARGC(emptyconfig), "--config needs a non-empty value");
}

static void test_flags_to_config(void **state) {
        struct fixture *f = *state;
        write_text(f->file, "[cric.network]\nplugin_dirs = [\"/file\"]\n[cric]\nroot = \"/file-root\"\n");
        char *argv[] = {"cricd",
                        "--config",
                        f->file,
                        "--config-dir",
                        f->dropdir,
                        "--cni-plugin-dir=/p1",
                        "--listen",
                        "unix:///tmp/flag.sock",
                        "--cni-plugin-dir",
                        "/p2",
                        "--cgroup-manager=systemd",
                        "--default-runtime",
                        "runc",
                        "-r",
                        "/flag-root"};
        struct daemon_flags fl;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(daemon_flags_parse(ARGC(argv), argv, &fl, &err), 0);
        CLEANUP(config_unrefp) struct cric_config *cfg = NULL;
        int r = config_load(&fl.ov, &cfg, &err);
        daemon_flags_clear(&fl);
        if (r < 0)
                fail_msg("load: %s", err->msg);
        assert_string_equal(cfg->plugin_dirs[0], "/p1");
        assert_string_equal(cfg->plugin_dirs[1], "/p2");
        assert_null(cfg->plugin_dirs[2]);
        assert_string_equal(cfg->listen, "/tmp/flag.sock");
        assert_int_equal(cfg->cgroup_manager, CRIC_CGROUP_SYSTEMD);
        assert_string_equal(cfg->default_runtime, "runc");
        assert_string_equal(cfg->root, "/flag-root");
}

static void test_flags_usage(void **state) {
        (void) state;
        char *buf = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&buf, &len);
        daemon_flags_usage(out);
        fclose(out);
        assert_contains(buf, "Usage: cricd");
        assert_contains(buf, "config [--default]");
        for (size_t i = 0; i < N_SETTING_FLAGS; i++) {
                /* the flag and its config key share a line */
                AUTOFREE char *flag = xasprintf("%s ", setting_flags[i].flag);
                AUTOFREE char *key = xasprintf("[%s]", setting_flags[i].key);
                const char *at = strstr(buf, flag);
                assert_non_null(at);
                const char *eol = strchr(at, '\n');
                const char *k = strstr(at, key);
                assert_non_null(k);
                assert_true(k < eol);
        }
        assert_contains(buf, "-c, --config FILE");
        assert_contains(buf, "-d, --config-dir DIR");
        assert_contains(buf, "-h, --help");
        assert_contains(buf, "-v, --version");
        free(buf);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_default_runtimes),
                cmocka_unit_test(test_ref_unref),
                cmocka_unit_test(test_cgroup_manager_names),
                cmocka_unit_test(test_settings_table_consistent),
                cmocka_unit_test_setup_teardown(test_load_main_file, setup, teardown),
                cmocka_unit_test_setup_teardown(test_load_inline_and_dotted_keys, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dropins_lexical_order, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dropin_adds_runtime, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dropin_changes_one_runtime_field, setup, teardown),
                cmocka_unit_test_setup_teardown(test_dropin_list_replaces, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing_default_file_and_dir_ok, setup, teardown),
                cmocka_unit_test_setup_teardown(test_explicit_missing_config_fails, setup, teardown),
                cmocka_unit_test_setup_teardown(test_explicit_config_file_and_dir, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unknown_keys_warn, setup, teardown),
                cmocka_unit_test_setup_teardown(test_errors_all_reported, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_types, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_enums, setup, teardown),
                cmocka_unit_test_setup_teardown(test_runtime_type_empty_means_oci, setup, teardown),
                cmocka_unit_test_setup_teardown(test_integer_ranges, setup, teardown),
                cmocka_unit_test_setup_teardown(test_paths_and_listen, setup, teardown),
                cmocka_unit_test_setup_teardown(test_default_runtime_missing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_empty_runtime_name, setup, teardown),
                cmocka_unit_test_setup_teardown(test_override_string_and_enum, setup, teardown),
                cmocka_unit_test_setup_teardown(test_override_integer, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hooks_dir, setup, teardown),
                cmocka_unit_test_setup_teardown(test_node_settings, setup, teardown),
                cmocka_unit_test_setup_teardown(test_override_list_replace_then_append, setup, teardown),
                cmocka_unit_test_setup_teardown(test_log_size_max_and_journald, setup, teardown),
                cmocka_unit_test_setup_teardown(test_override_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_print_defaults_round_trip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_print_odd_values_round_trip, setup, teardown),
                cmocka_unit_test(test_print_layout),
                cmocka_unit_test(test_flags_every_setting_flag_both_forms),
                cmocka_unit_test(test_flags_config_file_and_dir),
                cmocka_unit_test(test_flags_short_forms),
                cmocka_unit_test(test_flags_enable_metrics_switch),
                cmocka_unit_test(test_flags_subcommands),
                cmocka_unit_test(test_flags_config_default),
                cmocka_unit_test(test_flags_check_repair),
                cmocka_unit_test(test_flags_errors),
                cmocka_unit_test_setup_teardown(test_flags_to_config, setup, teardown),
                cmocka_unit_test(test_flags_usage),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
