/* The image configuration blob (OCI image config / Docker container image JSON). */
#ifndef CRIC_IMAGE_IMAGE_CONFIG_H
#define CRIC_IMAGE_IMAGE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct image_config {
        char *architecture, *os, *variant;
        char *created; /* RFC 3339 or NULL */
        char *author;
        /* config section */
        char *user;        /* "", "name", "uid", "uid:gid", "name:group" */
        char **env;        /* NULL-terminated */
        char **entrypoint; /* NULL-terminated, NULL when unset */
        char **cmd;        /* NULL-terminated, NULL when unset */
        char *working_dir;
        char *stop_signal;
        char **labels; /* key, value, key, value, ..., NULL */
        char **exposed_ports;
        char **volumes;
        /* rootfs */
        char **diff_ids; /* NULL-terminated, base layer first */
        size_t n_diff_ids;
};

/* Parses a config blob. CRIC_E_INVALID on malformed JSON or wrong types. */
int image_config_parse(const char *data, size_t len, struct image_config **ret, struct cric_error **err);

/* Returns a copy of the JSON document with rootfs = {"type":"layers","diff_ids":[...]}
 * set to diff_ids (used for schema 1 images, whose diff ids are known only after
 * unpacking). The image ID is the sha256 of the returned bytes. */
int image_config_set_diff_ids(const char *json, char **diff_ids, size_t n, char **ret_json, struct cric_error **err);

struct image_config *image_config_free(struct image_config *c);
void image_config_freep(struct image_config **c);

#endif
