/* OCI hooks configuration (oci-hooks(5), schema 1.0.0, as CRI-O and Podman read it):
 * directories of *.json files, each naming one hook, the stages it runs at and the
 * conditions ("when") under which it is injected into a container's config.json.
 * This file reads and checks them; spec_hooks.c matches and injects. */
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "oci/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* A hook file is a few hundred bytes; anything much larger is not one. */
#define HOOK_MAX_FILE_SIZE (1u << 20)

static const char *const stage_names[HOOK_STAGE_MAX] = {
        [HOOK_PRESTART] = "prestart",
        [HOOK_CREATE_RUNTIME] = "createRuntime",
        [HOOK_CREATE_CONTAINER] = "createContainer",
        [HOOK_START_CONTAINER] = "startContainer",
        [HOOK_POSTSTART] = "poststart",
        [HOOK_POSTSTOP] = "poststop",
};

const char *hook_stage_name(enum hook_stage s) {
        return (int) s >= 0 && s < HOOK_STAGE_MAX ? stage_names[s] : NULL;
}

static enum hook_stage stage_from_name(const char *s) {
        for (int i = 0; i < HOOK_STAGE_MAX; i++)
                if (!strcmp(s, stage_names[i]))
                        return (enum hook_stage) i;
        return HOOK_STAGE_INVALID;
}

static void regexes_free(regex_t *re, size_t n) {
        for (size_t i = 0; i < n; i++)
                regfree(&re[i]);
        free(re);
}

struct oci_hook *hook_free(struct oci_hook *h) {
        if (!h)
                return NULL;
        free(h->name);
        free(h->path);
        strv_free(h->args);
        strv_free(h->env);
        regexes_free(h->ann_keys, h->n_annotations);
        regexes_free(h->ann_values, h->n_annotations);
        regexes_free(h->commands, h->n_commands);
        free(h);
        return NULL;
}

void hook_freep(struct oci_hook **h) {
        if (h)
                *h = hook_free(*h);
}

/* regcomp's positive codes become an error naming the field and the expression. */
static int compile(regex_t *re, const char *pattern, const char *field, struct cric_error **err) {
        int r = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
        if (r == 0)
                return 0;
        char msg[128];
        regerror(r, re, msg, sizeof(msg));
        return cric_error_set(err, CRIC_E_INVALID, "%s: invalid regular expression \"%s\": %s", field, pattern, msg);
}

/* An optional array of strings; *ret stays NULL when absent. */
static int get_strings(struct json_object *o, const char *key, const char *field, char ***ret,
                       struct cric_error **err) {
        struct json_object *a = NULL;
        if (!json_object_object_get_ex(o, key, &a))
                return 0;
        if (!json_object_is_type(a, json_type_array))
                return cric_error_set(err, CRIC_E_INVALID, "%s must be an array of strings", field);
        CLEANUP(strv_freep) char **v = xcalloc(1, sizeof(char *));
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                struct json_object *s = json_object_array_get_idx(a, i);
                if (!json_object_is_type(s, json_type_string))
                        return cric_error_set(err, CRIC_E_INVALID, "%s[%zu] must be a string", field, i);
                strv_push(&v, json_object_get_string(s));
        }
        *ret = STEAL_PTR(v);
        return 0;
}

/* An optional boolean: *ret_has tells whether it was there. */
static int get_bool(struct json_object *o, const char *key, bool *ret_has, bool *ret, struct cric_error **err) {
        struct json_object *b = NULL;
        if (!json_object_object_get_ex(o, key, &b))
                return 0;
        if (!json_object_is_type(b, json_type_boolean))
                return cric_error_set(err, CRIC_E_INVALID, "when.%s must be a boolean", key);
        *ret_has = true;
        *ret = json_object_get_boolean(b);
        return 0;
}

static int parse_command(struct oci_hook *h, struct json_object *hook, struct cric_error **err) {
        struct json_object *path = NULL, *timeout = NULL;
        if (!json_object_object_get_ex(hook, "path", &path) || !json_object_is_type(path, json_type_string) ||
            !*json_object_get_string(path))
                return cric_error_set(err, CRIC_E_INVALID, "hook.path must be a non-empty string");
        const char *p = json_object_get_string(path);
        if (p[0] != '/')
                return cric_error_set(err, CRIC_E_INVALID, "hook.path \"%s\" is not an absolute path", p);
        struct stat st;
        if (stat(p, &st) < 0)
                return cric_error_errno(err, CRIC_E_INVALID, errno, "hook.path \"%s\"", p);
        h->path = xstrdup(p);
        if (get_strings(hook, "args", "hook.args", &h->args, err) < 0 ||
            get_strings(hook, "env", "hook.env", &h->env, err) < 0)
                return -1;
        if (json_object_object_get_ex(hook, "timeout", &timeout)) {
                /* The runtime spec: "if set, timeout MUST be greater than zero". */
                if (!json_object_is_type(timeout, json_type_int) || json_object_get_int64(timeout) <= 0)
                        return cric_error_set(err, CRIC_E_INVALID, "hook.timeout must be an integer above 0");
                h->timeout_s = json_object_get_int64(timeout);
        }
        return 0;
}

static int parse_annotations(struct oci_hook *h, struct json_object *ann, struct cric_error **err) {
        if (!json_object_is_type(ann, json_type_object))
                return cric_error_set(err, CRIC_E_INVALID, "when.annotations must be an object of strings");
        size_t n = (size_t) json_object_object_length(ann);
        h->ann_keys = xcalloc(n + 1, sizeof(regex_t));
        h->ann_values = xcalloc(n + 1, sizeof(regex_t));
        json_object_object_foreach(ann, key, value) {
                if (!json_object_is_type(value, json_type_string))
                        return cric_error_set(err, CRIC_E_INVALID, "when.annotations[\"%s\"] must be a string", key);
                if (compile(&h->ann_keys[h->n_annotations], key, "when.annotations key", err) < 0)
                        return -1;
                if (compile(&h->ann_values[h->n_annotations], json_object_get_string(value), "when.annotations value",
                            err) < 0) {
                        regfree(&h->ann_keys[h->n_annotations]);
                        return -1;
                }
                h->n_annotations++;
        }
        return 0;
}

static int parse_commands(struct oci_hook *h, struct json_object *when, struct cric_error **err) {
        CLEANUP(strv_freep) char **cmds = NULL;
        if (get_strings(when, "commands", "when.commands", &cmds, err) < 0)
                return -1;
        if (!cmds)
                return 0;
        h->commands = xcalloc(strv_length(cmds) + 1, sizeof(regex_t));
        for (size_t i = 0; cmds[i]; i++) {
                if (compile(&h->commands[i], cmds[i], "when.commands", err) < 0)
                        return -1;
                h->n_commands++;
        }
        h->has_commands = h->n_commands > 0; /* [] sets no condition, as in Podman */
        return 0;
}

static int parse_when(struct oci_hook *h, struct json_object *doc, struct cric_error **err) {
        struct json_object *when = NULL, *ann = NULL;
        if (!json_object_object_get_ex(doc, "when", &when) || !json_object_is_type(when, json_type_object))
                return cric_error_set(err, CRIC_E_INVALID, "\"when\" must be an object");
        if (get_bool(when, "always", &h->has_always, &h->always, err) < 0 ||
            get_bool(when, "hasBindMounts", &h->has_bind_mounts_cond, &h->bind_mounts, err) < 0)
                return -1;
        if (json_object_object_get_ex(when, "annotations", &ann)) {
                if (parse_annotations(h, ann, err) < 0)
                        return -1;
                h->has_annotations = h->n_annotations > 0; /* {} sets no condition, as in Podman */
        }
        if (parse_commands(h, when, err) < 0)
                return -1;
        if (!h->has_always && !h->has_bind_mounts_cond && !h->has_annotations && !h->has_commands)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "\"when\" sets no condition (always, annotations, commands or hasBindMounts)");
        return 0;
}

static int parse_stages(struct oci_hook *h, struct json_object *doc, struct cric_error **err) {
        CLEANUP(strv_freep) char **stages = NULL;
        if (get_strings(doc, "stages", "stages", &stages, err) < 0)
                return -1;
        if (!stages || !stages[0])
                return cric_error_set(err, CRIC_E_INVALID, "\"stages\" must list at least one stage");
        for (size_t i = 0; stages[i]; i++) {
                enum hook_stage s = stage_from_name(stages[i]);
                if (s == HOOK_STAGE_INVALID)
                        return cric_error_set(err, CRIC_E_INVALID, "unknown stage \"%s\"", stages[i]);
                h->stages |= 1u << s;
        }
        return 0;
}

int hook_parse(const char *data, size_t len, const char *name, struct oci_hook **ret, struct cric_error **err) {
        AUTOJSON struct json_object *doc = NULL;
        if (json_parse_object(data, len, NULL, &doc, err) < 0)
                return -1;
        struct json_object *version = NULL, *hook = NULL;
        if (!json_object_object_get_ex(doc, "version", &version) || !json_object_is_type(version, json_type_string))
                return cric_error_set(err, CRIC_E_INVALID, "\"version\" must be a string");
        if (strcmp(json_object_get_string(version), HOOK_SCHEMA_VERSION))
                return cric_error_set(err, CRIC_E_INVALID, "unsupported version \"%s\" (only " HOOK_SCHEMA_VERSION ")",
                                      json_object_get_string(version));
        if (!json_object_object_get_ex(doc, "hook", &hook) || !json_object_is_type(hook, json_type_object))
                return cric_error_set(err, CRIC_E_INVALID, "\"hook\" must be an object");
        CLEANUP(hook_freep) struct oci_hook *h = xzalloc(sizeof(*h));
        h->name = xstrdup(name ? name : "");
        if (parse_command(h, hook, err) < 0 || parse_when(h, doc, err) < 0 || parse_stages(h, doc, err) < 0)
                return -1;
        *ret = STEAL_PTR(h);
        return 0;
}

/* ---- directories ---- */

struct hook_file {
        char *name; /* the file name, the sort key */
        char *path;
};

static int file_cmp(const void *a, const void *b) {
        return strcmp(((const struct hook_file *) a)->name, ((const struct hook_file *) b)->name);
}

/* Adds the *.json files of dir; a name already there (from an earlier dir) is masked. */
static void collect_dir(const char *dir, struct hook_file **files, size_t *n, size_t *cap) {
        CLEANUP(strv_freep) char **names = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (fs_list_dir(dir, ".json", true, &names, &e) < 0) {
                cric_error_log_free(&e, "hooks directory %s, ignoring it", dir);
                return;
        }
        for (size_t i = 0; names[i]; i++) {
                char *path = xasprintf("%s/%s", dir, names[i]);
                size_t j = 0;
                while (j < *n && strcmp((*files)[j].name, names[i]))
                        j++;
                if (j < *n) {
                        log_debug("hook %s masks %s", path, (*files)[j].path);
                        free((*files)[j].path);
                        (*files)[j].path = path;
                        continue;
                }
                *files = xgrow(*files, cap, *n + 1, sizeof(**files));
                (*files)[(*n)++] = (struct hook_file){.name = xstrdup(names[i]), .path = path};
        }
}

static struct oci_hook *load_file(const char *path, const char *name) {
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        AUTOFREE char *data = NULL;
        size_t len = 0;
        struct oci_hook *h = NULL;
        if (fs_read_file(path, HOOK_MAX_FILE_SIZE, &data, &len, &e) < 0 || hook_parse(data, len, name, &h, &e) < 0) {
                log_warn("invalid hook file %s: %s, skipping it", path, e->msg);
                return NULL;
        }
        return h;
}

struct oci_hooks *oci_hooks_load(char *const *dirs) {
        struct oci_hooks *hs = xzalloc(sizeof(*hs));
        struct hook_file *files = NULL;
        size_t n = 0, cap = 0;
        for (size_t i = 0; dirs && dirs[i]; i++)
                collect_dir(dirs[i], &files, &n, &cap);
        if (n > 0)
                qsort(files, n, sizeof(*files), file_cmp);
        hs->hooks = xcalloc(n + 1, sizeof(*hs->hooks));
        for (size_t i = 0; i < n; i++) {
                struct oci_hook *h = load_file(files[i].path, files[i].name);
                if (h)
                        hs->hooks[hs->n++] = h;
                free(files[i].name);
                free(files[i].path);
        }
        free(files);
        return hs;
}

size_t oci_hooks_count(const struct oci_hooks *hs) {
        return hs ? hs->n : 0;
}

struct oci_hooks *oci_hooks_free(struct oci_hooks *hs) {
        if (!hs)
                return NULL;
        for (size_t i = 0; i < hs->n; i++)
                hook_free(hs->hooks[i]);
        free(hs->hooks);
        free(hs);
        return NULL;
}

void oci_hooks_freep(struct oci_hooks **hs) {
        if (hs)
                *hs = oci_hooks_free(*hs);
}
