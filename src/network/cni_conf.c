/* CNI network configurations: a directory of .conflist/.conf/.json files, each parsed
 * into an immutable, refcounted struct cni_net. Plugin configs are kept serialized and
 * parsed again for every call, so no json-c object is shared between threads. */
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network/cni_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define CONF_MAX_SIZE (1u << 20)

static const char *const version_names[CNI_VERSION_MAX] = {
        [CNI_V010] = "0.1.0", [CNI_V020] = "0.2.0", [CNI_V030] = "0.3.0", [CNI_V031] = "0.3.1",
        [CNI_V040] = "0.4.0", [CNI_V100] = "1.0.0", [CNI_V110] = "1.1.0",
};

enum cni_version cni_version_from_string(const char *s) {
        for (int i = 0; s && i < CNI_VERSION_MAX; i++)
                if (strcmp(s, version_names[i]) == 0)
                        return (enum cni_version) i;
        return CNI_VERSION_INVALID;
}

const char *cni_version_to_string(enum cni_version v) {
        return v >= 0 && v < CNI_VERSION_MAX ? version_names[v] : NULL;
}

static struct cni_net *net_free(struct cni_net *n) {
        if (!n)
                return NULL;
        free(n->name);
        free(n->path);
        free(n->data);
        strv_free(n->plugins);
        strv_free(n->types);
        free(n);
        return NULL;
}

static void net_freep(struct cni_net **n) {
        net_free(*n);
}

/* The spec's rule for network names, which also keeps them usable in cache file names. */
static bool is_valid_name(const char *s) {
        if (!s || !*s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == strlen(s);
}

/* A plugin type names a file inside a plugin dir, never a path. */
static bool is_valid_type(const char *s) {
        return s && *s && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 && !strchr(s, '/');
}

/* disableCheck / disableGC: libcni accepts a boolean or the strings "true"/"false". */
static int parse_flag(struct json_object *root, const char *key, bool *ret, struct cric_error **err) {
        struct json_object *v;
        *ret = false;
        if (!json_object_object_get_ex(root, key, &v) || !v)
                return 0;
        if (json_object_is_type(v, json_type_boolean)) {
                *ret = json_object_get_boolean(v);
                return 0;
        }
        if (json_object_is_type(v, json_type_string)) {
                const char *s = json_object_get_string(v);
                if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0) {
                        *ret = strcmp(s, "true") == 0;
                        return 0;
                }
        }
        return cric_error_set(err, CRIC_E_INVALID, "%s is not a boolean", key);
}

/* cniVersion, or with cniVersions (1.1) the highest version both sides know. A
 * configuration without either is a 0.1.0 one, as plugins assume. */
static int parse_version(struct json_object *root, enum cni_version *ret, struct cric_error **err) {
        struct json_object *v, *vs;
        const char *declared = NULL;
        if (json_object_object_get_ex(root, "cniVersion", &v) && v) {
                if (!json_object_is_type(v, json_type_string))
                        return cric_error_set(err, CRIC_E_INVALID, "cniVersion is not a string");
                declared = json_object_get_string(v);
        }
        enum cni_version best = cni_version_from_string(declared);
        bool has_list = json_object_object_get_ex(root, "cniVersions", &vs) && vs;
        if (has_list) {
                if (!json_object_is_type(vs, json_type_array))
                        return cric_error_set(err, CRIC_E_INVALID, "cniVersions is not a list");
                for (size_t i = 0; i < json_object_array_length(vs); i++) {
                        struct json_object *e = json_object_array_get_idx(vs, i);
                        if (!json_object_is_type(e, json_type_string))
                                return cric_error_set(err, CRIC_E_INVALID, "cniVersions[%zu] is not a string", i);
                        enum cni_version c = cni_version_from_string(json_object_get_string(e));
                        if (c > best)
                                best = c;
                }
        }
        if (best == CNI_VERSION_INVALID && !declared && !has_list)
                best = CNI_V010;
        if (best == CNI_VERSION_INVALID)
                return cric_error_set(err, CRIC_E_INVALID, "unsupported cniVersion \"%s\"%s", declared ? declared : "",
                                      has_list ? " and no supported cniVersions" : "");
        *ret = best;
        return 0;
}

static int add_plugin(struct cni_net *n, struct json_object *p, size_t i, struct cric_error **err) {
        struct json_object *t;
        if (!json_object_is_type(p, json_type_object))
                return cric_error_set(err, CRIC_E_INVALID, "plugin %zu is not an object", i);
        if (!json_object_object_get_ex(p, "type", &t) || !json_object_is_type(t, json_type_string) ||
            !*json_object_get_string(t))
                return cric_error_set(err, CRIC_E_INVALID, "plugin %zu has no type", i);
        if (!is_valid_type(json_object_get_string(t)))
                return cric_error_set(err, CRIC_E_INVALID, "plugin %zu has an invalid type \"%s\"", i,
                                      json_object_get_string(t));
        strv_push(&n->types, json_object_get_string(t));
        strv_push(&n->plugins, jx_to_string(p, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        n->n_plugins++;
        return 0;
}

static int parse_plugins(struct cni_net *n, struct json_object *root, bool require_list, struct cric_error **err) {
        struct json_object *plugins;
        if (!json_object_object_get_ex(root, "plugins", &plugins) || !plugins) {
                if (require_list)
                        return cric_error_set(err, CRIC_E_INVALID, "no plugins");
                /* A single plugin config: the list of one is the config itself. */
                return add_plugin(n, root, 0, err);
        }
        if (!json_object_is_type(plugins, json_type_array))
                return cric_error_set(err, CRIC_E_INVALID, "plugins is not a list");
        if (json_object_array_length(plugins) == 0)
                return cric_error_set(err, CRIC_E_INVALID, "no plugins");
        for (size_t i = 0; i < json_object_array_length(plugins); i++)
                if (add_plugin(n, json_object_array_get_idx(plugins, i), i, err) < 0)
                        return -1;
        return 0;
}

static int parse_root(struct json_object *root, const char *data, size_t len, const char *path, bool require_list,
                      struct cni_net **ret, struct cric_error **err) {
        struct json_object *name;
        if (!json_object_object_get_ex(root, "name", &name) || !json_object_is_type(name, json_type_string) ||
            !*json_object_get_string(name))
                return cric_error_set(err, CRIC_E_INVALID, "no name");
        if (!is_valid_name(json_object_get_string(name)))
                return cric_error_set(err, CRIC_E_INVALID, "invalid name \"%s\"", json_object_get_string(name));
        CLEANUP(net_freep) struct cni_net *n = xzalloc(sizeof(*n));
        n->refs = 1;
        n->name = xstrdup(json_object_get_string(name));
        n->path = xstrdup(path ? path : "");
        n->data = xstrndup(data, len);
        n->len = len;
        if (parse_version(root, &n->version, err) < 0 || parse_flag(root, "disableCheck", &n->disable_check, err) < 0 ||
            parse_flag(root, "disableGC", &n->disable_gc, err) < 0 || parse_plugins(n, root, require_list, err) < 0)
                return -1;
        *ret = STEAL_PTR(n);
        return 0;
}

/* cni_net_parse with the choice of demanding a "plugins" list (.conflist files). */
static int net_parse(const char *data, size_t len, const char *path, bool require_list, struct cni_net **ret,
                     struct cric_error **err) {
        AUTOJSON struct json_object *root = NULL;
        if (json_parse_object(data, len, NULL, &root, err) < 0)
                return -1;
        return parse_root(root, data, len, path, require_list, ret, err);
}

int cni_net_parse(const char *data, size_t len, const char *path, struct cni_net **ret, struct cric_error **err) {
        if (len > CONF_MAX_SIZE || len > (size_t) INT32_MAX)
                return cric_error_set(err, CRIC_E_INVALID, "larger than %u bytes", CONF_MAX_SIZE);
        return net_parse(data, len, path, false, ret, err);
}

static bool has_suffix(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);
        return n > m && strcmp(s + n - m, suffix) == 0;
}

static void add_problem(struct cni_dir *d, size_t *n_problems, char *msg) {
        d->problems = xrealloc(d->problems, (*n_problems + 2) * sizeof(char *));
        d->problems[(*n_problems)++] = msg;
        d->problems[*n_problems] = NULL;
}

static const struct cni_net *find_net(const struct cni_dir *d, const char *name) {
        for (size_t i = 0; i < d->n_nets; i++)
                if (strcmp(d->nets[i]->name, name) == 0)
                        return d->nets[i];
        return NULL;
}

/* Loads one file into d, or records why not. */
static void load_file(struct cni_dir *d, size_t *n_problems, const char *dir, const char *name) {
        AUTOFREE char *path = xasprintf("%s/%s", dir, name);
        AUTOFREE char *data = NULL;
        size_t len = 0;
        struct cni_net *n = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (fs_read_file(path, CONF_MAX_SIZE, &data, &len, &e) < 0 ||
            net_parse(data, len, path, has_suffix(name, ".conflist"), &n, &e) < 0) {
                add_problem(d, n_problems, xasprintf("%s: %s", path, e->msg));
                return;
        }
        const struct cni_net *other = find_net(d, n->name);
        if (other) {
                add_problem(d, n_problems,
                            xasprintf("%s: network \"%s\" is already defined by %s", path, n->name, other->path));
                cni_net_unref(n);
                return;
        }
        d->nets = xrealloc(d->nets, (d->n_nets + 1) * sizeof(*d->nets));
        d->nets[d->n_nets++] = n;
}

int cni_dir_load(const char *dir, struct cni_dir **ret, struct cric_error **err) {
        CLEANUP(strv_freep) char **names = NULL;
        if (fs_list_dir(dir, NULL, true, &names, err) < 0)
                return cric_error_prefix(err, "load CNI configs from %s", dir);
        struct cni_dir *d = xzalloc(sizeof(*d));
        size_t n_problems = 0;
        d->problems = xzalloc(sizeof(char *));
        for (size_t i = 0; names[i]; i++)
                if (has_suffix(names[i], ".conflist") || has_suffix(names[i], ".conf") || has_suffix(names[i], ".json"))
                        load_file(d, &n_problems, dir, names[i]);
        *ret = d;
        return 0;
}

void cni_dir_free(struct cni_dir *d) {
        if (!d)
                return;
        for (size_t i = 0; i < d->n_nets; i++)
                cni_net_unref(d->nets[i]);
        free(d->nets);
        strv_free(d->problems);
        free(d);
}

const struct cni_net *cni_dir_default(const struct cni_dir *d, const char *name) {
        if (!d || d->n_nets == 0)
                return NULL;
        if (!name || !*name)
                return d->nets[0];
        return find_net(d, name);
}

const char *cni_net_name(const struct cni_net *n) {
        return n->name;
}

const char *cni_net_version(const struct cni_net *n) {
        return cni_version_to_string(n->version);
}

const char *cni_net_path(const struct cni_net *n) {
        return n->path;
}

char *const *cni_net_plugin_types(const struct cni_net *n) {
        return n->types;
}

struct cni_net *cni_net_ref(struct cni_net *n) {
        if (n)
                __atomic_add_fetch(&n->refs, 1, __ATOMIC_RELAXED);
        return n;
}

void cni_net_unref(struct cni_net *n) {
        if (n && __atomic_sub_fetch(&n->refs, 1, __ATOMIC_ACQ_REL) == 0)
                net_free(n);
}
