/* Reading a generated config.json back: the exec process and the user. */
#include <stdlib.h>
#include <string.h>

#include "oci/internal.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

static int process_of(const char *spec_json, struct json_object **ret_root, struct json_object **ret_proc,
                      struct cric_error **err) {
        struct json_object *root = NULL, *proc = NULL;
        if (json_parse_object(spec_json, spec_json ? strlen(spec_json) : 0, "config.json", &root, err) < 0)
                return -1;
        if (!json_object_object_get_ex(root, "process", &proc) || !json_object_is_type(proc, json_type_object)) {
                json_object_put(root);
                return cric_error_set(err, CRIC_E_INTERNAL, "the container's config.json has no process");
        }
        *ret_root = root;
        *ret_proc = proc;
        return 0;
}

/* Adds TERM=xterm to the process's env unless it has a TERM. */
static void add_term(struct json_object *proc) {
        struct json_object *env = NULL;
        if (!json_object_object_get_ex(proc, "env", &env) || !json_object_is_type(env, json_type_array)) {
                env = json_object_new_array();
                jx_add(proc, "env", env);
        }
        for (size_t i = 0; i < json_object_array_length(env); i++) {
                const char *e = json_object_get_string(json_object_array_get_idx(env, i));
                if (e && strncmp(e, "TERM=", 5) == 0)
                        return;
        }
        json_object_array_add(env, jx_string("TERM=xterm"));
}

int oci_spec_exec_process(const char *spec_json, char *const *argv, bool tty, char **ret_json,
                          struct cric_error **err) {
        if (!argv || !argv[0])
                return cric_error_set(err, CRIC_E_INVALID, "no command given");
        AUTOJSON struct json_object *root = NULL;
        struct json_object *proc = NULL;
        if (process_of(spec_json, &root, &proc, err) < 0)
                return -1;
        size_t n = 0;
        while (argv[n])
                n++;
        jx_add(proc, "args", spec_str_array(argv, n));
        jx_add(proc, "terminal", jx_bool(tty));
        json_object_object_del(proc, "consoleSize");
        if (tty)
                add_term(proc);
        *ret_json = jx_dump(proc, JSON_C_TO_STRING_PLAIN);
        return 0;
}

static uint32_t get_u32(struct json_object *o, const char *key) {
        struct json_object *v = NULL;
        return json_object_object_get_ex(o, key, &v) ? (uint32_t) json_object_get_int64(v) : 0;
}

int oci_spec_user(const char *spec_json, struct oci_user *ret, struct cric_error **err) {
        AUTOJSON struct json_object *root = NULL;
        struct json_object *proc = NULL, *user = NULL, *gids = NULL;
        if (process_of(spec_json, &root, &proc, err) < 0)
                return -1;
        *ret = (struct oci_user){0};
        if (!json_object_object_get_ex(proc, "user", &user))
                return 0;
        ret->uid = get_u32(user, "uid");
        ret->gid = get_u32(user, "gid");
        if (json_object_object_get_ex(user, "additionalGids", &gids) && json_object_is_type(gids, json_type_array)) {
                size_t n = json_object_array_length(gids);
                ret->additional_gids = xcalloc(n ? n : 1, sizeof(*ret->additional_gids));
                for (size_t i = 0; i < n; i++)
                        ret->additional_gids[i] = (uint32_t) json_object_get_int64(json_object_array_get_idx(gids, i));
                ret->n_additional_gids = n;
        }
        return 0;
}

void oci_user_clear(struct oci_user *u) {
        free(u->additional_gids);
        *u = (struct oci_user){0};
}

bool oci_spec_has_poststart(const char *spec_json) {
        if (!spec_json || !strstr(spec_json, "poststart"))
                return false;
        AUTOJSON struct json_object *root = NULL;
        if (json_parse_object(spec_json, strlen(spec_json), "config.json", &root, NULL) < 0)
                return true; /* unreadable: assume the worst */
        struct json_object *hooks = NULL, *post = NULL;
        return json_object_object_get_ex(root, "hooks", &hooks) && json_object_is_type(hooks, json_type_object) &&
               json_object_object_get_ex(hooks, "poststart", &post) && json_object_is_type(post, json_type_array) &&
               json_object_array_length(post) > 0;
}
