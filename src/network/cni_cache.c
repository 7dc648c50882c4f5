/* The attachment cache: one JSON file per (network, container id, ifname), written
 * atomically after a successful ADD and removed after a successful DEL. It keeps the
 * network file's bytes, CNI_ARGS and capability args, so DEL and CHECK see what ADD
 * saw even after the network's file changed or went away, and so a restarted daemon
 * can tear down what it no longer knows about. The file name is only an address: the
 * content says whose entry it is. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "network/cni_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define CACHE_KIND     "cric-cni-cache-v1"
#define CACHE_MAX_SIZE (4u << 20)

void cni_cache_entry_free(struct cni_cache_entry *e) {
        if (!e)
                return;
        free(e->net_name);
        free(e->container_id);
        free(e->ifname);
        free(e->netns);
        free(e->config);
        strv_free(e->args);
        free(e->cap_args);
        free(e->result);
        free(e->file);
        free(e);
}

void cni_cache_entry_freep(struct cni_cache_entry **e) {
        cni_cache_entry_free(*e);
}

void cni_cache_list_free(struct cni_cache_entry **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                cni_cache_entry_free(v[i]);
        free(v);
}

static char *entry_file(const struct cni_cache_entry *e) {
        return xasprintf("%s-%s-%s", e->net_name, e->container_id, e->ifname);
}

/* A JSON text we wrote or checked before, as an object; NULL text: {}. */
static int embed(struct json_object *root, const char *key, const char *text, struct cric_error **err) {
        struct json_object *o = NULL;
        if (!text)
                o = jx_object();
        else if (json_parse_strict(text, strlen(text), key, &o, err) < 0)
                return -1;
        jx_add(root, key, o);
        return 0;
}

static struct json_object *args_to_json(char *const *args) {
        struct json_object *a = jx_array();
        for (size_t i = 0; args && args[i] && args[i + 1]; i += 2) {
                struct json_object *pair = jx_array();
                jx_append(pair, jx_string(args[i]));
                jx_append(pair, jx_string(args[i + 1]));
                jx_append(a, pair);
        }
        return a;
}

int cni_cache_write(const char *dir, const struct cni_cache_entry *e, struct cric_error **err) {
        AUTOJSON struct json_object *root = jx_object();
        jx_add(root, "kind", jx_string(CACHE_KIND));
        jx_add(root, "networkName", jx_string(e->net_name));
        jx_add(root, "containerId", jx_string(e->container_id));
        jx_add(root, "ifName", jx_string(e->ifname));
        jx_add(root, "netns", jx_string(e->netns ? e->netns : ""));
        jx_add(root, "config", jx_string(e->config));
        jx_add(root, "cniArgs", args_to_json(e->args));
        AUTOFREE char *file = entry_file(e);
        AUTOFREE char *path = xasprintf("%s/%s", dir, file);
        if (embed(root, "capabilityArgs", e->cap_args, err) < 0 || embed(root, "result", e->result, err) < 0)
                return cric_error_prefix(err, "write CNI cache %s", path);
        const char *text = jx_to_string(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (fs_mkdir_p(dir, 0700, err) < 0 || fs_write_file_atomic(path, text, strlen(text), 0600, err) < 0)
                return cric_error_prefix(err, "write CNI cache");
        return 0;
}

static char *dup_member(struct json_object *root, const char *key) {
        struct json_object *v;
        if (!json_object_object_get_ex(root, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return xstrdup(json_object_get_string(v));
}

static char *dup_object(struct json_object *root, const char *key) {
        struct json_object *v;
        if (!json_object_object_get_ex(root, key, &v) || !json_object_is_type(v, json_type_object))
                return NULL;
        return jx_dump(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static char **args_from_json(struct json_object *root) {
        struct json_object *a;
        char **v = xzalloc(sizeof(char *));
        if (!json_object_object_get_ex(root, "cniArgs", &a) || !json_object_is_type(a, json_type_array))
                return v;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                struct json_object *pair = json_object_array_get_idx(a, i);
                if (!json_object_is_type(pair, json_type_array) || json_object_array_length(pair) != 2)
                        continue;
                struct json_object *k = json_object_array_get_idx(pair, 0), *val = json_object_array_get_idx(pair, 1);
                if (!json_object_is_type(k, json_type_string) || !json_object_is_type(val, json_type_string))
                        continue;
                strv_push(&v, json_object_get_string(k));
                strv_push(&v, json_object_get_string(val));
        }
        return v;
}

/* The entry in file, or NULL when it is no cache entry of ours. */
static struct cni_cache_entry *entry_read(const char *dir, const char *file) {
        AUTOFREE char *path = xasprintf("%s/%s", dir, file);
        AUTOFREE char *data = NULL;
        size_t len = 0;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        AUTOJSON struct json_object *root = NULL;
        if (fs_read_file(path, CACHE_MAX_SIZE, &data, &len, &e) < 0 ||
            json_parse_object(data, len, NULL, &root, &e) < 0) {
                if (e->kind != CRIC_E_NOT_FOUND)
                        log_debug("CNI cache %s: %s, ignoring", path, e->msg);
                return NULL;
        }
        struct json_object *kind;
        if (!json_object_object_get_ex(root, "kind", &kind) || !json_object_is_type(kind, json_type_string) ||
            strcmp(json_object_get_string(kind), CACHE_KIND) != 0)
                return NULL;
        CLEANUP(cni_cache_entry_freep) struct cni_cache_entry *c = xzalloc(sizeof(*c));
        c->net_name = dup_member(root, "networkName");
        c->container_id = dup_member(root, "containerId");
        c->ifname = dup_member(root, "ifName");
        c->netns = dup_member(root, "netns");
        c->config = dup_member(root, "config");
        c->args = args_from_json(root);
        c->cap_args = dup_object(root, "capabilityArgs");
        c->result = dup_object(root, "result");
        c->file = xstrdup(file);
        if (!c->net_name || !c->container_id || !c->ifname || !c->config || !c->result) {
                log_debug("CNI cache %s: incomplete entry, ignoring", path);
                return NULL;
        }
        return STEAL_PTR(c);
}

static bool matches(const char *want, const char *have) {
        return !want || strcmp(want, have) == 0;
}

int cni_cache_list(const char *dir, const char *net_name, const char *container_id, const char *ifname,
                   struct cni_cache_entry ***ret, size_t *ret_n, struct cric_error **err) {
        CLEANUP(strv_freep) char **names = NULL;
        if (net_name && container_id && ifname) {
                /* One key: only its file can hold it, no need to read the others. */
                struct cni_cache_entry key = {.net_name = (char *) net_name,
                                              .container_id = (char *) container_id,
                                              .ifname = (char *) ifname};
                strv_push_take(&names, entry_file(&key));
        } else if (fs_list_dir(dir, NULL, true, &names, err) < 0) {
                return cric_error_prefix(err, "list CNI cache");
        }
        struct cni_cache_entry **v = NULL;
        size_t n = 0;
        for (size_t i = 0; names[i]; i++) {
                if (strstr(names[i], ".tmp.")) /* an atomic write in progress or left behind */
                        continue;
                struct cni_cache_entry *e = entry_read(dir, names[i]);
                if (!e || !matches(net_name, e->net_name) || !matches(container_id, e->container_id) ||
                    !matches(ifname, e->ifname)) {
                        cni_cache_entry_free(e);
                        continue;
                }
                v = xrealloc(v, (n + 1) * sizeof(*v));
                v[n++] = e;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int cni_cache_remove(const char *dir, const struct cni_cache_entry *e, struct cric_error **err) {
        AUTOFREE char *file = e->file ? xstrdup(e->file) : entry_file(e);
        AUTOFREE char *path = xasprintf("%s/%s", dir, file);
        if (unlink(path) < 0 && errno != ENOENT)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "remove CNI cache %s", path);
        return 0;
}

int cni_cached_ids(const char *cache_dir, char ***ret, struct cric_error **err) {
        struct cni_cache_entry **v = NULL;
        size_t n = 0;
        if (cni_cache_list(cache_dir, NULL, NULL, NULL, &v, &n, err) < 0)
                return -1;
        char **ids = xzalloc(sizeof(char *));
        for (size_t i = 0; i < n; i++)
                if (!strv_contains(ids, v[i]->container_id))
                        strv_push(&ids, v[i]->container_id);
        cni_cache_list_free(v, n);
        *ret = ids;
        return 0;
}
