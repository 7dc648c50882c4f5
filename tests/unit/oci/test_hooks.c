/* OCI hooks: parsing hook files (oci-hooks(5) 1.0.0), reading hook directories
 * (order, masking, invalid files), matching "when" and the hooks in config.json. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "oci/internal.h"
#include "spec_test.h"
#include "util/strv.h"

#define VALID_HOOK                                                                                                     \
        "{\"version\": \"1.0.0\", \"hook\": {\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"true\"], "            \
        "\"env\": [\"A=1\"], \"timeout\": 5}, \"when\": {\"always\": true}, \"stages\": [\"prestart\", "               \
        "\"poststop\"]}"

static struct oci_hook *parse_ok(const char *json) {
        struct oci_hook *h = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (hook_parse(json, strlen(json), "t.json", &h, &err) < 0)
                fail_msg("hook_parse: %s\n%s", err->msg, json);
        return h;
}

/* Parses a hook with the given "when" and "stages" (JSON texts). */
static struct oci_hook *parse_when(const char *when, const char *stages) {
        AUTOFREE char *json = xasprintf("{\"version\": \"1.0.0\", \"hook\": {\"path\": \"/bin/sh\"}, \"when\": %s, "
                                        "\"stages\": %s}",
                                        when, stages ? stages : "[\"prestart\"]");
        return parse_ok(json);
}

/* Expects json to be refused with a message containing want. */
static void parse_fails(const char *json, const char *want) {
        struct oci_hook *h = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        int r = hook_parse(json, strlen(json), "t.json", &h, &err);
        if (r == 0) {
                hook_free(h);
                fail_msg("hook_parse accepted %s", json);
        }
        assert_null(h);
        assert_int_equal(err->kind, CRIC_E_INVALID);
        if (!strstr(err->msg, want))
                fail_msg("message \"%s\" lacks \"%s\"", err->msg, want);
}

static void test_parse_valid(void **state) {
        (void) state;
        CLEANUP(hook_freep) struct oci_hook *h = parse_ok(VALID_HOOK);
        assert_string_equal(h->name, "t.json");
        assert_string_equal(h->path, "/bin/sh");
        assert_int_equal(strv_length(h->args), 3);
        assert_string_equal(h->args[2], "true");
        assert_string_equal(h->env[0], "A=1");
        assert_int_equal(h->timeout_s, 5);
        assert_int_equal(h->stages, (1u << HOOK_PRESTART) | (1u << HOOK_POSTSTOP));
        assert_true(h->has_always && h->always);
        CLEANUP(hook_freep)
        struct oci_hook *all =
                parse_when("{\"annotations\": {\"^a$\": \"b\"}, \"commands\": [\"sh$\"], \"hasBindMounts\": true}",
                           "[\"prestart\", \"createRuntime\", \"createContainer\", \"startContainer\", \"poststart\", "
                           "\"poststop\"]");
        assert_int_equal(all->stages, (1u << HOOK_STAGE_MAX) - 1);
        assert_null(all->args);
        assert_int_equal(all->timeout_s, 0);
        assert_int_equal(all->n_annotations, 1);
        assert_int_equal(all->n_commands, 1);
        assert_true(all->has_bind_mounts_cond && all->bind_mounts);
}

static void test_parse_invalid(void **state) {
        (void) state;
        parse_fails("{\"version\": \"1.0.0\",", "invalid JSON");
        parse_fails("[]", "not a JSON object");
        parse_fails("{\"hook\": {\"path\": \"/bin/sh\"}}", "\"version\" must be a string");
        parse_fails("{\"version\": \"0.1.0\", \"hook\": \"/bin/sh\", \"stage\": [\"prestart\"]}",
                    "unsupported version \"0.1.0\"");
        parse_fails("{\"version\": \"1.0.0\", \"when\": {\"always\": true}, \"stages\": [\"prestart\"]}",
                    "\"hook\" must be an object");
        parse_fails("{\"version\": \"1.0.0\", \"hook\": {}, \"when\": {\"always\": true}, \"stages\": [\"prestart\"]}",
                    "hook.path must be a non-empty string");
        parse_fails("{\"version\": \"1.0.0\", \"hook\": {\"path\": \"bin/sh\"}, \"when\": {\"always\": true}, "
                    "\"stages\": [\"prestart\"]}",
                    "not an absolute path");
        parse_fails("{\"version\": \"1.0.0\", \"hook\": {\"path\": \"/nonexistent/hook\"}, \"when\": {\"always\": "
                    "true}, \"stages\": [\"prestart\"]}",
                    "hook.path \"/nonexistent/hook\"");
        parse_fails("{\"version\": \"1.0.0\", \"hook\": {\"path\": \"/bin/sh\", \"args\": [1]}, \"when\": {\"always\": "
                    "true}, \"stages\": [\"prestart\"]}",
                    "hook.args[0] must be a string");
        parse_fails("{\"version\": \"1.0.0\", \"hook\": {\"path\": \"/bin/sh\", \"timeout\": 0}, \"when\": "
                    "{\"always\": true}, \"stages\": [\"prestart\"]}",
                    "hook.timeout must be an integer above 0");
        parse_fails("{\"version\": \"1.0.0\", \"hook\": {\"path\": \"/bin/sh\"}, \"stages\": [\"prestart\"]}",
                    "\"when\" must be an object");
        parse_fails("{\"version\": \"1.0.0\", \"hook\": {\"path\": \"/bin/sh\"}, \"when\": {}, \"stages\": "
                    "[\"prestart\"]}",
                    "\"when\" sets no condition");
        parse_fails("{\"version\": \"1.0.0\", \"hook\": {\"path\": \"/bin/sh\"}, \"when\": {\"always\": \"yes\"}, "
                    "\"stages\": [\"prestart\"]}",
                    "when.always must be a boolean");
}

static void test_parse_stages(void **state) {
        (void) state;
        parse_fails("{\"version\": \"1.0.0\", \"hook\": {\"path\": \"/bin/sh\"}, \"when\": {\"always\": true}, "
                    "\"stages\": [\"prestart\", \"pre-start\"]}",
                    "unknown stage \"pre-start\"");
        parse_fails("{\"version\": \"1.0.0\", \"hook\": {\"path\": \"/bin/sh\"}, \"when\": {\"always\": true}, "
                    "\"stages\": []}",
                    "\"stages\" must list at least one stage");
        parse_fails("{\"version\": \"1.0.0\", \"hook\": {\"path\": \"/bin/sh\"}, \"when\": {\"always\": true}}",
                    "\"stages\" must list at least one stage");
}

static void test_parse_regex_errors(void **state) {
        (void) state;
        parse_fails("{\"version\": \"1.0.0\", \"hook\": {\"path\": \"/bin/sh\"}, \"when\": {\"annotations\": "
                    "{\"(\": \"x\"}}, \"stages\": [\"prestart\"]}",
                    "when.annotations key: invalid regular expression \"(\"");
        parse_fails("{\"version\": \"1.0.0\", \"hook\": {\"path\": \"/bin/sh\"}, \"when\": {\"annotations\": "
                    "{\"ok\": \"[\"}}, \"stages\": [\"prestart\"]}",
                    "when.annotations value: invalid regular expression \"[\"");
        parse_fails("{\"version\": \"1.0.0\", \"hook\": {\"path\": \"/bin/sh\"}, \"when\": {\"annotations\": "
                    "{\"ok\": 1}}, \"stages\": [\"prestart\"]}",
                    "when.annotations[\"ok\"] must be a string");
        parse_fails("{\"version\": \"1.0.0\", \"hook\": {\"path\": \"/bin/sh\"}, \"when\": {\"commands\": "
                    "[\"sh\", \"a{1\"]}, \"stages\": [\"prestart\"]}",
                    "when.commands: invalid regular expression \"a{1\"");
        parse_fails("{\"version\": \"1.0.0\", \"hook\": {\"path\": \"/bin/sh\"}, \"when\": {\"commands\": "
                    "\"sh\"}, \"stages\": [\"prestart\"]}",
                    "when.commands must be an array of strings");
        parse_fails("{\"version\": \"1.0.0\", \"hook\": {\"path\": \"/bin/sh\"}, \"when\": {\"annotations\": "
                    "[\"a\"]}, \"stages\": [\"prestart\"]}",
                    "when.annotations must be an object of strings");
}

static bool matches_subject(const char *when, const struct hook_subject *s) {
        CLEANUP(hook_freep) struct oci_hook *h = parse_when(when, NULL);
        return hook_matches(h, s);
}

static void test_match_always_and_bind_mounts(void **state) {
        (void) state;
        struct hook_subject s = {.command = "/bin/app"};
        assert_true(matches_subject("{\"always\": true}", &s));
        assert_false(matches_subject("{\"always\": false}", &s));
        assert_false(matches_subject("{\"hasBindMounts\": true}", &s));
        assert_false(matches_subject("{\"hasBindMounts\": false}", &s));
        s.has_bind_mounts = true;
        assert_true(matches_subject("{\"hasBindMounts\": true}", &s));
        assert_false(matches_subject("{\"hasBindMounts\": false}", &s));
        /* every condition set must match (1.0.0), not any */
        assert_false(matches_subject("{\"always\": true, \"commands\": [\"^/bin/other$\"]}", &s));
        assert_true(matches_subject("{\"always\": true, \"hasBindMounts\": true, \"commands\": [\"app\"]}", &s));
}

static void test_match_annotations(void **state) {
        (void) state;
        AUTOJSON struct json_object *ann = jx_object();
        spec_set_str(ann, "com.example.gpu", "nvidia-a100");
        spec_set_str(ann, "io.kubernetes.cri.container-name", "app");
        struct oci_kv pod[] = {{"com.example.department", "fluid-dynamics"}};
        struct hook_subject s = {.annotations = ann, .extra_annotations = pod, .n_extra_annotations = 1};
        assert_true(matches_subject("{\"annotations\": {\"^com\\\\.example\\\\.gpu$\": \"^nvidia\"}}", &s));
        assert_false(matches_subject("{\"annotations\": {\"^com\\\\.example\\\\.gpu$\": \"^amd\"}}", &s));
        assert_false(matches_subject("{\"annotations\": {\"^other$\": \".*\"}}", &s));
        /* the pod's annotations count too */
        assert_true(matches_subject("{\"annotations\": {\"department\": \"fluid\"}}", &s));
        /* every pair must match some annotation */
        assert_true(matches_subject("{\"annotations\": {\"gpu\": \"a100\", \"department\": \"fluid\"}}", &s));
        assert_false(matches_subject("{\"annotations\": {\"gpu\": \"a100\", \"department\": \"solid\"}}", &s));
        /* key and value must match in the same annotation */
        assert_false(matches_subject("{\"annotations\": {\"gpu\": \"fluid\"}}", &s));
        /* unanchored expressions match anywhere, as Go's regexp.MatchString */
        assert_true(matches_subject("{\"annotations\": {\"example\": \"100\"}}", &s));
}

static void test_match_commands(void **state) {
        (void) state;
        struct hook_subject s = {.command = "/usr/bin/nginx"};
        assert_true(matches_subject("{\"commands\": [\"^/usr/bin/nginx$\"]}", &s));
        assert_true(matches_subject("{\"commands\": [\"^/bin/sh$\", \"nginx$\"]}", &s));
        assert_false(matches_subject("{\"commands\": [\"^nginx$\"]}", &s));
        /* an empty list is no condition (Podman's len(when.Commands) > 0) */
        assert_true(matches_subject("{\"always\": true, \"commands\": []}", &s));
        parse_fails("{\"version\": \"1.0.0\", \"hook\": {\"path\": \"/bin/sh\"}, \"when\": {\"commands\": [], "
                    "\"annotations\": {}}, \"stages\": [\"prestart\"]}",
                    "\"when\" sets no condition");
        s.command = NULL;
        assert_false(matches_subject("{\"commands\": [\".*\"]}", &s));
}

/* Writes dir/name with text (dir created). */
static void write_hook(struct t *t, const char *dir, const char *name, const char *text) {
        AUTOFREE char *rel = xasprintf("%s/%s", dir, name);
        free(t_file(t, rel, text));
}

static char *hook_text(const char *arg, const char *stages) {
        return xasprintf("{\"version\": \"1.0.0\", \"hook\": {\"path\": \"/bin/sh\", \"args\": [\"%s\"]}, "
                         "\"when\": {\"always\": true}, \"stages\": %s}",
                         arg, stages);
}

static void test_load_order_masking_invalid(void **state) {
        struct t *t = *state;
        AUTOFREE char *b = hook_text("b", "[\"prestart\"]");
        AUTOFREE char *a_low = hook_text("a-low", "[\"prestart\"]");
        AUTOFREE char *a_high = hook_text("a-high", "[\"prestart\"]");
        AUTOFREE char *c = hook_text("c", "[\"prestart\"]");
        write_hook(t, "low", "20-b.json", b);
        write_hook(t, "low", "10-a.json", a_low);
        write_hook(t, "low", "not-a-hook.txt", "ignored");
        write_hook(t, "high", "10-a.json", a_high);
        write_hook(t, "high", "30-c.json", c);
        write_hook(t, "high", "15-bad.json",
                   "{\"version\": \"1.0.0\", \"hook\": {\"path\": \"/bin/sh\"}, "
                   "\"when\": {\"always\": true}, \"stages\": [\"bogus\"]}");
        AUTOFREE char *low = xasprintf("%s/low", t->dir);
        AUTOFREE char *high = xasprintf("%s/high", t->dir);
        AUTOFREE char *missing = xasprintf("%s/missing", t->dir);
        char *dirs[] = {missing, low, high, NULL};
        struct testlib_capture cap;
        testlib_capture_stderr(&cap);
        CLEANUP(oci_hooks_freep) struct oci_hooks *hs = oci_hooks_load(dirs);
        AUTOFREE char *log = testlib_capture_end(&cap);
        assert_int_equal(oci_hooks_count(hs), 3);
        assert_string_equal(hs->hooks[0]->args[0], "a-high"); /* the later dir masks the earlier */
        assert_string_equal(hs->hooks[1]->args[0], "b");
        assert_string_equal(hs->hooks[2]->args[0], "c");
        AUTOFREE char *bad = xasprintf("invalid hook file %s/15-bad.json: unknown stage \"bogus\", skipping it", high);
        if (!strstr(log, bad))
                fail_msg("log lacks \"%s\":\n%s", bad, log);
        CLEANUP(oci_hooks_freep) struct oci_hooks *none = oci_hooks_load(NULL);
        assert_int_equal(oci_hooks_count(none), 0);
}

static void test_spec_hooks(void **state) {
        struct t *t = *state;
        AUTOFREE char *first = hook_text("first", "[\"createRuntime\", \"poststop\"]");
        AUTOFREE char *second = hook_text("second", "[\"poststop\"]");
        write_hook(t, "hooks", "01-first.json", first);
        write_hook(t, "hooks", "02-second.json", second);
        write_hook(t, "hooks", "03-gpu.json",
                   "{\"version\": \"1.0.0\", \"hook\": {\"path\": \"/bin/sh\", \"timeout\": 7, \"env\": [\"X=y\"]}, "
                   "\"when\": {\"annotations\": {\"^gpu$\": \"^yes$\"}}, \"stages\": [\"prestart\"]}");
        write_hook(t, "hooks", "04-entry.json",
                   "{\"version\": \"1.0.0\", \"hook\": {\"path\": \"/bin/sh\"}, \"when\": {\"commands\": "
                   "[\"^/bin/entry$\"], \"hasBindMounts\": true}, \"stages\": [\"startContainer\"]}");
        AUTOFREE char *dir = xasprintf("%s/hooks", t->dir);
        CLEANUP(oci_hooks_freep) struct oci_hooks *hs = oci_hooks_load((char *[]){dir, NULL});
        assert_int_equal(oci_hooks_count(hs), 4);

        assert_null(jp(t_gen(t), "hooks")); /* no hooks given */
        t->in.hooks = hs;
        struct json_object *spec = t_gen(t);
        assert_string_equal(jstr(spec, "hooks/createRuntime/0/path"), "/bin/sh");
        assert_string_equal(jstr(spec, "hooks/createRuntime/0/args/0"), "first");
        assert_string_equal(jstr(spec, "hooks/poststop/0/args/0"), "first");
        assert_string_equal(jstr(spec, "hooks/poststop/1/args/0"), "second");
        assert_null(jp(spec, "hooks/poststop/2"));
        assert_null(jp(spec, "hooks/createRuntime/0/timeout"));
        assert_null(jp(spec, "hooks/prestart"));       /* no gpu annotation */
        assert_null(jp(spec, "hooks/startContainer")); /* no bind mounts */

        struct oci_kv ann[] = {{"gpu", "yes"}};
        t->in.annotations = ann;
        t->in.n_annotations = 1;
        struct oci_mount m = {.container_path = "/data", .host_path = t->dir};
        t->in.mounts = &m;
        t->in.n_mounts = 1;
        spec = t_gen(t);
        assert_string_equal(jstr(spec, "hooks/prestart/0/env/0"), "X=y");
        assert_int_equal(jint(spec, "hooks/prestart/0/timeout"), 7);
        assert_null(jp(spec, "hooks/prestart/0/args"));
        assert_string_equal(jstr(spec, "hooks/startContainer/0/path"), "/bin/sh");

        /* the infra spec gets none */
        struct oci_infra_input infra = {.rootfs = "/infra", .sandbox = &t->sb};
        assert_null(jp(t_gen_infra(t, &infra), "hooks"));
}

static void test_inject_keeps_existing(void **state) {
        struct t *t = *state;
        AUTOFREE char *text = hook_text("ours", "[\"prestart\", \"poststart\"]");
        write_hook(t, "hooks", "01.json", text);
        AUTOFREE char *dir = xasprintf("%s/hooks", t->dir);
        CLEANUP(oci_hooks_freep) struct oci_hooks *hs = oci_hooks_load((char *[]){dir, NULL});
        AUTOJSON struct json_object *spec = NULL;
        const char *doc = "{\"hooks\": {\"prestart\": [{\"path\": \"/cdi/hook\"}], \"poststart\": \"junk\"}}";
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        assert_int_equal(json_parse_object(doc, strlen(doc), NULL, &spec, &err), 0);
        struct hook_subject s = {0};
        spec_hooks_inject(spec, hs, &s);
        assert_string_equal(jstr(spec, "hooks/prestart/0/path"), "/cdi/hook");
        assert_string_equal(jstr(spec, "hooks/prestart/1/args/0"), "ours");
        assert_string_equal(jstr(spec, "hooks/poststart/0/args/0"), "ours");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_valid),
                cmocka_unit_test(test_parse_invalid),
                cmocka_unit_test(test_parse_stages),
                cmocka_unit_test(test_parse_regex_errors),
                cmocka_unit_test(test_match_always_and_bind_mounts),
                cmocka_unit_test(test_match_annotations),
                cmocka_unit_test(test_match_commands),
                T_TEST(test_load_order_masking_invalid),
                T_TEST(test_spec_hooks),
                T_TEST(test_inject_keeps_existing),
        };
        return cmocka_run_group_tests_name("oci_hooks", tests, NULL, NULL);
}
