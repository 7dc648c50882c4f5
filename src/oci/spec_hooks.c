/* Hooks of the hooks directories (hooks.c) injected into a container's config.json:
 * the ones whose "when" matches, appended per stage after any hook already there, in
 * the order of their file names. */
#include <regex.h>
#include <string.h>

#include "oci/internal.h"
#include "util/log.h"
#include "util/strv.h"

static bool matches(const regex_t *re, const char *s) {
        return regexec(re, s ? s : "", 0, NULL, 0) == 0;
}

static bool any_kv_matches(const regex_t *key, const regex_t *value, const struct oci_kv *kv, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (kv[i].key && kv[i].value && matches(key, kv[i].key) && matches(value, kv[i].value))
                        return true;
        return false;
}

static bool any_annotation_matches(const regex_t *key, const regex_t *value, const struct hook_subject *s) {
        if (s->annotations) {
                json_object_object_foreach(s->annotations, k, v) {
                        if (json_object_is_type(v, json_type_string) && matches(key, k) &&
                            matches(value, json_object_get_string(v)))
                                return true;
                }
        }
        return any_kv_matches(key, value, s->extra_annotations, s->n_extra_annotations);
}

static bool any_command_matches(const struct oci_hook *h, const char *command) {
        for (size_t i = 0; command && i < h->n_commands; i++)
                if (matches(&h->commands[i], command))
                        return true;
        return false;
}

/* oci-hooks(5), 1.0.0: every condition "when" sets must match. always and hasBindMounts
 * only match when true (and, for hasBindMounts, when the container has bind mounts). */
bool hook_matches(const struct oci_hook *h, const struct hook_subject *s) {
        if (h->has_always && !h->always)
                return false;
        if (h->has_bind_mounts_cond && !(h->bind_mounts && s->has_bind_mounts))
                return false;
        for (size_t i = 0; i < h->n_annotations; i++)
                if (!any_annotation_matches(&h->ann_keys[i], &h->ann_values[i], s))
                        return false;
        if (h->has_commands && !any_command_matches(h, s->command))
                return false;
        return true;
}

static struct json_object *hook_entry(const struct oci_hook *h) {
        struct json_object *e = jx_object();
        spec_set_str(e, "path", h->path);
        if (h->args)
                jx_add(e, "args", spec_str_array(h->args, strv_length(h->args)));
        if (h->env)
                jx_add(e, "env", spec_str_array(h->env, strv_length(h->env)));
        if (h->timeout_s > 0)
                jx_add(e, "timeout", jx_int64(h->timeout_s));
        return e;
}

/* hooks[stage], an array; one of another type (not ours to judge) is replaced. */
static struct json_object *stage_array(struct json_object *hooks, const char *stage) {
        struct json_object *a = NULL;
        if (json_object_object_get_ex(hooks, stage, &a) && json_object_is_type(a, json_type_array))
                return a;
        a = jx_array();
        jx_add(hooks, stage, a);
        return a;
}

void spec_hooks_inject(struct json_object *spec, const struct oci_hooks *hs, const struct hook_subject *s) {
        for (size_t i = 0; hs && i < hs->n; i++) {
                const struct oci_hook *h = hs->hooks[i];
                if (!hook_matches(h, s))
                        continue;
                log_debug("hook %s matches, injecting %s", h->name, h->path);
                struct json_object *hooks = spec_obj(spec, "hooks");
                for (int st = 0; st < HOOK_STAGE_MAX; st++)
                        if (h->stages & (1u << st))
                                jx_append(stage_array(hooks, hook_stage_name((enum hook_stage) st)), hook_entry(h));
        }
}

/* The subject as CRI-O matches it: the container's annotations and its pod's, the
 * first argument of its process (process.args[0]) and whether the CRI asked for mounts. */
int spec_add_hooks(struct spec_ctx *c, struct cric_error **err) {
        (void) err;
        if (!c->in || !c->in->hooks)
                return 0;
        struct json_object *annotations = NULL, *args = NULL;
        json_object_object_get_ex(c->spec, "annotations", &annotations);
        json_object_object_get_ex(c->process, "args", &args);
        struct json_object *arg0 = args && json_object_is_type(args, json_type_array) && json_object_array_length(args)
                                           ? json_object_array_get_idx(args, 0)
                                           : NULL;
        struct hook_subject s = {
                .annotations = annotations,
                .extra_annotations = c->sb->annotations,
                .n_extra_annotations = c->sb->n_annotations,
                .command = arg0 ? json_object_get_string(arg0) : NULL,
                .has_bind_mounts = c->in->n_mounts > 0,
        };
        spec_hooks_inject(c->spec, c->in->hooks, &s);
        return 0;
}
