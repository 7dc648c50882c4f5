/* Shared by manifest.c, manifest_v1.c, platform.c and image_config.c; nothing outside
 * src/image/ includes this.
 *
 * The JSON helpers read one member of an object and check its type. A member that is
 * absent or JSON null counts as unset (Go encoders write null for nil maps and slices).
 * Errors are CRIC_E_INVALID and name the member by its path, built from `where` (the
 * enclosing object, e.g. "layers[2]"; "" at the top) and the key: "layers[2].digest". */
#ifndef CRIC_IMAGE_MANIFEST_INTERNAL_H
#define CRIC_IMAGE_MANIFEST_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/manifest.h"
#include "util/error.h"

struct json_object;

/* Layer and index entry limits: a registry may send anything, the daemon must not
 * allocate without bound because of it. */
#define MANIFEST_MAX_LAYERS  1000
#define MANIFEST_MAX_ENTRIES 1000

/* Documents are parsed with json_parse_object and built with the jx_* helpers of
 * util/json.h. */

/* The member `key` of obj, or NULL when it is absent or null. obj must be an object. */
struct json_object *image_json_member(struct json_object *obj, const char *key);

/* *ret borrows from obj; NULL when unset and !required. Strings holding a NUL byte are
 * rejected, because every consumer treats them as C strings. */
int image_json_string(struct json_object *obj, const char *where, const char *key, bool required, const char **ret,
                      struct cric_error **err);
int image_json_object(struct json_object *obj, const char *where, const char *key, bool required,
                      struct json_object **ret, struct cric_error **err);
int image_json_array(struct json_object *obj, const char *where, const char *key, bool required,
                     struct json_object **ret, struct cric_error **err);
/* An integer member; *ret is 0 when unset. Values beyond int64 are errors. */
int image_json_int64(struct json_object *obj, const char *where, const char *key, bool required, int64_t *ret,
                     struct cric_error **err);

/* A string array member as a NULL-terminated copy; *ret NULL when unset. */
int image_json_strv(struct json_object *obj, const char *where, const char *key, char ***ret, struct cric_error **err);

/* "where.key", or "key" when where is empty. Caller frees. */
char *image_json_path(const char *where, const char *key);

/* s as a JSON string literal, cut to a readable length, for error messages. Caller frees. */
char *image_quote(const char *s);

/* True for "sha256:<64 lowercase hex>" and "sha512:<128 lowercase hex>". */
bool image_digest_is_valid(const char *s);

/* Frees a NULL-terminated string array and its strings; accepts NULL. */
void image_strv_free(char **v);

/* Fills m (kind and media_type already decided by the caller) from a schema 1 document:
 * layers base first without throwaway ones, v1_config_json, name and tag. */
int manifest_v1_parse(struct json_object *root, struct manifest *m, struct cric_error **err);

void manifest_descriptor_clear(struct descriptor *d);

#endif
