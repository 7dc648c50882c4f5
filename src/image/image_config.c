/* The image configuration blob: OCI image config, which is also the Docker container
 * image JSON (application/vnd.docker.container.image.v1+json) for the members we read.
 *
 * Docker writes null for unset lists and maps ("Entrypoint": null, "Volumes": null), so
 * null means unset everywhere. After a successful parse, env, labels, exposed_ports,
 * volumes and diff_ids are never NULL (possibly empty); entrypoint and cmd are NULL when
 * the image does not set them, because "unset" and "empty" differ for the runtime.
 * No global state: safe to call from any thread. */
#include "image/image_config.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/manifest_internal.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

static int dup_string(struct json_object *obj, const char *where, const char *key, char **ret,
                      struct cric_error **err) {
        const char *s;
        if (image_json_string(obj, where, key, false, &s, err) < 0)
                return -1;
        *ret = s ? xstrdup(s) : NULL;
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Label pairs sorted by key; json-c has already kept only the last of duplicate keys. */
static int cmp_pair(const void *a, const void *b) {
        return strcmp(((char *const *) a)[0], ((char *const *) b)[0]);
}

static int parse_labels(struct json_object *config, char ***ret, struct cric_error **err) {
        struct json_object *labels;
        if (image_json_object(config, "config", "Labels", false, &labels, err) < 0)
                return -1;
        size_t n = labels ? (size_t) json_object_object_length(labels) : 0, i = 0;
        char **v = xcalloc(2 * n + 1, sizeof(*v));
        if (labels) {
                json_object_object_foreach(labels, key, val) {
                        const char *s = "";
                        if (val && image_json_string(labels, "config.Labels", key, false, &s, err) < 0) {
                                image_strv_free(v);
                                return -1;
                        }
                        v[i++] = xstrdup(key);
                        v[i++] = xstrdup(s);
                }
        }
        qsort(v, i / 2, 2 * sizeof(*v), cmp_pair);
        *ret = v;
        return 0;
}

/* ExposedPorts and Volumes are sets written as {"80/tcp": {}}: the sorted keys. */
static int parse_key_set(struct json_object *config, const char *key, char ***ret, struct cric_error **err) {
        struct json_object *set;
        if (image_json_object(config, "config", key, false, &set, err) < 0)
                return -1;
        size_t n = set ? (size_t) json_object_object_length(set) : 0, i = 0;
        char **v = xcalloc(n + 1, sizeof(*v));
        if (set) {
                json_object_object_foreach(set, k, val) {
                        (void) val;
                        v[i++] = xstrdup(k);
                }
        }
        qsort(v, i, sizeof(*v), cmp_str);
        *ret = v;
        return 0;
}

static int parse_config_section(struct json_object *root, struct image_config *c, struct cric_error **err) {
        struct json_object *config;
        if (image_json_object(root, "", "config", false, &config, err) < 0)
                return -1;
        if (config &&
            (dup_string(config, "config", "User", &c->user, err) < 0 ||
             dup_string(config, "config", "WorkingDir", &c->working_dir, err) < 0 ||
             dup_string(config, "config", "StopSignal", &c->stop_signal, err) < 0 ||
             image_json_strv(config, "config", "Env", &c->env, err) < 0 ||
             image_json_strv(config, "config", "Entrypoint", &c->entrypoint, err) < 0 ||
             image_json_strv(config, "config", "Cmd", &c->cmd, err) < 0 || parse_labels(config, &c->labels, err) < 0 ||
             parse_key_set(config, "ExposedPorts", &c->exposed_ports, err) < 0 ||
             parse_key_set(config, "Volumes", &c->volumes, err) < 0))
                return -1;
        if (!c->env)
                c->env = xcalloc(1, sizeof(char *));
        if (!c->labels)
                c->labels = xcalloc(1, sizeof(char *));
        if (!c->exposed_ports)
                c->exposed_ports = xcalloc(1, sizeof(char *));
        if (!c->volumes)
                c->volumes = xcalloc(1, sizeof(char *));
        return 0;
}

static int parse_rootfs(struct json_object *root, struct image_config *c, struct cric_error **err) {
        struct json_object *rootfs, *diff_ids = NULL;
        const char *type = NULL;
        if (image_json_object(root, "", "rootfs", false, &rootfs, err) < 0 ||
            (rootfs && (image_json_string(rootfs, "rootfs", "type", false, &type, err) < 0 ||
                        image_json_array(rootfs, "rootfs", "diff_ids", false, &diff_ids, err) < 0)))
                return -1;
        if (type && strcmp(type, "layers") != 0) {
                AUTOFREE char *q = image_quote(type);
                return cric_error_set(err, CRIC_E_INVALID, "rootfs.type %s is not \"layers\"", q);
        }
        size_t n = diff_ids ? json_object_array_length(diff_ids) : 0;
        c->diff_ids = xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++) {
                struct json_object *item = json_object_array_get_idx(diff_ids, i);
                const char *s = json_object_is_type(item, json_type_string) ? json_object_get_string(item) : NULL;
                if (!s)
                        return cric_error_set(err, CRIC_E_INVALID, "rootfs.diff_ids[%zu] is not a string", i);
                if (strlen(s) != (size_t) json_object_get_string_len(item))
                        return cric_error_set(err, CRIC_E_INVALID, "rootfs.diff_ids[%zu] contains a NUL character", i);
                if (!image_digest_is_valid(s)) {
                        AUTOFREE char *q = image_quote(s);
                        return cric_error_set(err, CRIC_E_INVALID, "rootfs.diff_ids[%zu] %s is not a valid digest", i,
                                              q);
                }
                c->diff_ids[i] = xstrdup(s);
                c->n_diff_ids = i + 1;
        }
        return 0;
}

int image_config_parse(const char *data, size_t len, struct image_config **ret, struct cric_error **err) {
        AUTOJSON struct json_object *root = NULL;
        CLEANUP(image_config_freep) struct image_config *c = xzalloc(sizeof(*c));
        if (json_parse_object(data, len, NULL, &root, err) < 0 ||
            dup_string(root, "", "architecture", &c->architecture, err) < 0 ||
            dup_string(root, "", "os", &c->os, err) < 0 || dup_string(root, "", "variant", &c->variant, err) < 0 ||
            dup_string(root, "", "created", &c->created, err) < 0 ||
            dup_string(root, "", "author", &c->author, err) < 0 || parse_config_section(root, c, err) < 0 ||
            parse_rootfs(root, c, err) < 0)
                return cric_error_prefix(err, "image config");
        *ret = STEAL_PTR(c);
        return 0;
}

int image_config_set_diff_ids(const char *json, char **diff_ids, size_t n, char **ret_json, struct cric_error **err) {
        if (!json || (n && !diff_ids))
                return cric_error_set(err, CRIC_E_INVALID, "image config: set diff ids: no document or no diff ids");
        for (size_t i = 0; i < n; i++) {
                if (!image_digest_is_valid(diff_ids[i])) {
                        AUTOFREE char *q = image_quote(diff_ids[i] ? diff_ids[i] : "(null)");
                        return cric_error_set(err, CRIC_E_INVALID, "image config: diff id %zu %s is not a valid digest",
                                              i, q);
                }
        }
        AUTOJSON struct json_object *root = NULL;
        if (json_parse_object(json, strlen(json), NULL, &root, err) < 0)
                return cric_error_prefix(err, "image config");
        struct json_object *ids = json_must(json_object_new_array_ext((int) n));
        for (size_t i = 0; i < n; i++)
                jx_append(ids, jx_string(diff_ids[i]));
        struct json_object *rootfs = jx_object();
        jx_add(rootfs, "type", jx_string("layers"));
        jx_add(rootfs, "diff_ids", ids);
        /* Replaces an existing rootfs in place; every other member keeps its position. */
        jx_add(root, "rootfs", rootfs);
        *ret_json = jx_dump(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        return 0;
}

struct image_config *image_config_free(struct image_config *c) {
        if (!c)
                return NULL;
        free(c->architecture);
        free(c->os);
        free(c->variant);
        free(c->created);
        free(c->author);
        free(c->user);
        image_strv_free(c->env);
        image_strv_free(c->entrypoint);
        image_strv_free(c->cmd);
        free(c->working_dir);
        free(c->stop_signal);
        image_strv_free(c->labels);
        image_strv_free(c->exposed_ports);
        image_strv_free(c->volumes);
        image_strv_free(c->diff_ids);
        free(c);
        return NULL;
}

void image_config_freep(struct image_config **c) {
        if (c)
                *c = image_config_free(*c);
}
