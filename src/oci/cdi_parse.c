/* CDI spec documents checked against the CDI specification before any of their edits is
 * used: the names (kind "vendor/class", device names), then each containerEdits. A spec
 * that fails is left out as a whole, as the CDI registry does. */
#include <ctype.h>
#include <string.h>

#include <json-c/json.h>

#include "oci/cdi.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

static const char *const hook_names[] = {"prestart",       "createRuntime", "createContainer",
                                         "startContainer", "poststart",     "poststop"};

/* Alphanumeric last, a letter (letter_first) or alphanumeric first, alphanumerics and
 * the characters of extra between. */
static bool is_name(const char *s, size_t n, bool letter_first, const char *extra) {
        if (n == 0 || !(letter_first ? isalpha : isalnum)((unsigned char) s[0]) || !isalnum((unsigned char) s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && (!s[i] || !strchr(extra, s[i])))
                        return false;
        return true;
}

/* vendor "nvidia.com", class "gpu", device "0", "all", "mig-1:0". */
static bool is_vendor(const char *s, size_t n) {
        return is_name(s, n, true, "_.-");
}

static bool is_class(const char *s, size_t n) {
        return is_name(s, n, true, "_-");
}

static bool is_device_name(const char *s) {
        return is_name(s, strlen(s), false, "_.:-");
}

static bool is_kind(const char *kind) {
        const char *slash = strchr(kind, '/');
        return slash && is_vendor(kind, (size_t) (slash - kind)) && is_class(slash + 1, strlen(slash + 1));
}

int cdi_name_parse(const char *name, char **ret_kind, char **ret_device, struct cric_error **err) {
        const char *eq = strchr(name, '=');
        AUTOFREE char *kind = eq ? xstrndup(name, (size_t) (eq - name)) : NULL;
        if (!kind || !is_kind(kind) || !is_device_name(eq + 1))
                return cric_error_set(err, CRIC_E_INVALID,
                                      "\"%s\" is not a qualified CDI device name (vendor.com/class=name)", name);
        *ret_kind = STEAL_PTR(kind);
        *ret_device = xstrdup(eq + 1);
        return 0;
}

static struct json_object *member(struct json_object *o, const char *key) {
        struct json_object *v = NULL;
        return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* A member that, when present, has type t. */
static int check_type(struct json_object *o, const char *key, json_type t, const char *what, struct cric_error **err) {
        struct json_object *v = member(o, key);
        if (v && !json_object_is_type(v, t))
                return cric_error_set(err, CRIC_E_INVALID, "%s: %s is not %s", what, key,
                                      t == json_type_array    ? "an array"
                                      : t == json_type_object ? "an object"
                                      : t == json_type_int    ? "an integer"
                                                              : "a string");
        return 0;
}

static const char *str_member(struct json_object *o, const char *key) {
        struct json_object *v = member(o, key);
        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* Each element of the array o[key] (when present) has type t. */
static int check_array_of(struct json_object *o, const char *key, json_type t, const char *what,
                          struct cric_error **err) {
        if (check_type(o, key, json_type_array, what, err) < 0)
                return -1;
        struct json_object *a = member(o, key);
        for (size_t i = 0; a && i < json_object_array_length(a); i++)
                if (!json_object_is_type(json_object_array_get_idx(a, i), t))
                        return cric_error_set(err, CRIC_E_INVALID, "%s: %s[%zu] has the wrong type", what, key, i);
        return 0;
}

static int check_abs(struct json_object *o, const char *key, bool required, const char *what, struct cric_error **err) {
        if (check_type(o, key, json_type_string, what, err) < 0)
                return -1;
        const char *p = str_member(o, key);
        if ((!p && required) || (p && p[0] != '/'))
                return cric_error_set(err, CRIC_E_INVALID, "%s: %s must be an absolute path", what, key);
        return 0;
}

static int check_device_node(struct json_object *d, const char *what, struct cric_error **err) {
        static const char *const int_keys[] = {"major", "minor", "fileMode", "uid", "gid"};
        if (check_abs(d, "path", true, what, err) < 0 || check_abs(d, "hostPath", false, what, err) < 0 ||
            check_type(d, "type", json_type_string, what, err) < 0 ||
            check_type(d, "permissions", json_type_string, what, err) < 0)
                return -1;
        for (size_t i = 0; i < sizeof(int_keys) / sizeof(int_keys[0]); i++)
                if (check_type(d, int_keys[i], json_type_int, what, err) < 0)
                        return -1;
        const char *type = str_member(d, "type"), *perm = str_member(d, "permissions");
        if (type && *type && (strlen(type) != 1 || !strchr("bcup", type[0])))
                return cric_error_set(err, CRIC_E_INVALID, "%s: device type \"%s\" is not b, c, u or p", what, type);
        if (perm && strspn(perm, "rwm") != strlen(perm))
                return cric_error_set(err, CRIC_E_INVALID, "%s: permissions \"%s\" are not a mix of r, w and m", what,
                                      perm);
        return 0;
}

static int check_mount(struct json_object *m, const char *what, struct cric_error **err) {
        if (check_type(m, "hostPath", json_type_string, what, err) < 0 ||
            check_abs(m, "containerPath", true, what, err) < 0 ||
            check_type(m, "type", json_type_string, what, err) < 0 ||
            check_array_of(m, "options", json_type_string, what, err) < 0)
                return -1;
        const char *host = str_member(m, "hostPath");
        if (!host || !*host)
                return cric_error_set(err, CRIC_E_INVALID, "%s: hostPath is missing", what);
        return 0;
}

static int check_hook(struct json_object *h, const char *what, struct cric_error **err) {
        if (check_abs(h, "path", true, what, err) < 0 || check_array_of(h, "args", json_type_string, what, err) < 0 ||
            check_array_of(h, "env", json_type_string, what, err) < 0 ||
            check_type(h, "timeout", json_type_int, what, err) < 0)
                return -1;
        const char *name = str_member(h, "hookName");
        for (size_t i = 0; name && i < sizeof(hook_names) / sizeof(hook_names[0]); i++)
                if (strcmp(name, hook_names[i]) == 0)
                        return 0;
        return cric_error_set(err, CRIC_E_INVALID, "%s: hookName \"%s\" is not an OCI hook stage", what,
                              name ? name : "");
}

typedef int (*check_fn)(struct json_object *, const char *, struct cric_error **);

static int check_list(struct json_object *edits, const char *key, check_fn fn, const char *what,
                      struct cric_error **err) {
        if (check_array_of(edits, key, json_type_object, what, err) < 0)
                return -1;
        struct json_object *a = member(edits, key);
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                AUTOFREE char *w = xasprintf("%s: %s[%zu]", what, key, i);
                if (fn(json_object_array_get_idx(a, i), w, err) < 0)
                        return -1;
        }
        return 0;
}

static int check_edits(struct json_object *edits, const char *what, struct cric_error **err) {
        if (!json_object_is_type(edits, json_type_object))
                return cric_error_set(err, CRIC_E_INVALID, "%s: containerEdits is not an object", what);
        if (check_array_of(edits, "env", json_type_string, what, err) < 0 ||
            check_array_of(edits, "additionalGIDs", json_type_int, what, err) < 0 ||
            check_list(edits, "deviceNodes", check_device_node, what, err) < 0 ||
            check_list(edits, "mounts", check_mount, what, err) < 0 ||
            check_list(edits, "hooks", check_hook, what, err) < 0)
                return -1;
        struct json_object *env = member(edits, "env");
        for (size_t i = 0; env && i < json_object_array_length(env); i++) {
                const char *kv = json_object_get_string(json_object_array_get_idx(env, i));
                if (!strchr(kv, '=') || kv[0] == '=')
                        return cric_error_set(err, CRIC_E_INVALID, "%s: env[%zu] is not KEY=VALUE", what, i);
        }
        struct json_object *gids = member(edits, "additionalGIDs");
        for (size_t i = 0; gids && i < json_object_array_length(gids); i++) {
                int64_t g = json_object_get_int64(json_object_array_get_idx(gids, i));
                if (g < 0 || g > UINT32_MAX)
                        return cric_error_set(err, CRIC_E_INVALID, "%s: additionalGIDs[%zu] is out of range", what, i);
        }
        return 0;
}

static int check_device(struct json_object *dev, struct json_object *seen, struct cric_error **err) {
        const char *name = json_object_is_type(dev, json_type_object) ? str_member(dev, "name") : NULL;
        if (!name || !is_device_name(name))
                return cric_error_set(err, CRIC_E_INVALID, "device name \"%s\" is invalid", name ? name : "");
        if (member(seen, name))
                return cric_error_set(err, CRIC_E_INVALID, "device \"%s\" is defined twice", name);
        jx_add(seen, name, jx_bool(true));
        struct json_object *edits = member(dev, "containerEdits");
        AUTOFREE char *what = xasprintf("device \"%s\"", name);
        if (!edits)
                return cric_error_set(err, CRIC_E_INVALID, "%s: containerEdits is missing", what);
        return check_edits(edits, what, err);
}

int cdi_spec_check(struct json_object *doc, struct cric_error **err) {
        const char *version = str_member(doc, "cdiVersion"), *kind = str_member(doc, "kind");
        if (!version || !*version)
                return cric_error_set(err, CRIC_E_INVALID, "cdiVersion is missing");
        if (!kind || !is_kind(kind))
                return cric_error_set(err, CRIC_E_INVALID, "kind \"%s\" is not vendor.com/class", kind ? kind : "");
        struct json_object *devices = member(doc, "devices");
        if (!devices || !json_object_is_type(devices, json_type_array) || json_object_array_length(devices) == 0)
                return cric_error_set(err, CRIC_E_INVALID, "devices is missing or empty");
        AUTOJSON struct json_object *seen = jx_object();
        for (size_t i = 0; i < json_object_array_length(devices); i++)
                if (check_device(json_object_array_get_idx(devices, i), seen, err) < 0)
                        return -1;
        struct json_object *edits = member(doc, "containerEdits");
        return edits ? check_edits(edits, "containerEdits", err) : 0;
}
