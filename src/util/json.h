/* The project's one JSON vocabulary on top of json-c.
 *
 * - json_quote: a string literal, without json-c (the monitor uses it).
 * - json_parse_strict / json_parse_object: the one strict parser for every document
 *   that comes from outside (registries, CNI plugins, OCI runtimes, files).
 * - json_putp / AUTOJSON: json_object_put as a cleanup.
 * - jx_*: constructors and setters that abort on out of memory, as xmalloc does
 *   (json-c reports it as NULL or -1, which nobody checks).
 *
 * json-c's own getters (json_object_object_get_ex, json_object_get_string, ...) are
 * used as they are: they do not allocate. */
#ifndef CRIC_UTIL_JSON_H
#define CRIC_UTIL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/cleanup.h"
#include "util/error.h"

struct json_object;

/* Returns s as a quoted JSON string literal (with the quotes). Never NULL. Bytes that
 * are not well-formed UTF-8 become U+FFFD, so that the result is always valid JSON. */
char *json_quote(const char *s);

/* ---- parsing ---- */

/* Nesting deeper than this is refused (json-c's default; no document we read needs
 * more than a handful of levels). */
#define JSON_PARSE_MAX_DEPTH 32

/* Parses len bytes of data as exactly one JSON value. The rules: RFC 8259 without
 * json-c's extensions (JSON_TOKENER_STRICT: no trailing commas, single quotes,
 * comments, bare words or unescaped control characters in strings), valid UTF-8, no
 * NUL byte anywhere, at most JSON_PARSE_MAX_DEPTH levels, nothing but whitespace
 * after the value, and a top-level null is refused too (it would come back as a
 * NULL *ret). data may be NULL when len is 0.
 *
 * On success *ret is owned by the caller (json_object_put, or AUTOJSON). On failure
 * CRIC_E_INVALID, with a message that starts with what (when not NULL) and names the
 * byte offset: `<what>: invalid JSON at byte 12: unexpected character`. Thread-safe. */
int json_parse_strict(const char *data, size_t len, const char *what, struct json_object **ret,
                      struct cric_error **err);

/* json_parse_strict, and the value must be an object:
 * `<what>: the document is not a JSON object` otherwise. */
int json_parse_object(const char *data, size_t len, const char *what, struct json_object **ret,
                      struct cric_error **err);

/* ---- ownership ---- */

/* json_object_put(*o) for CLEANUP(); accepts NULL and resets *o. */
void json_putp(struct json_object **o);
#define AUTOJSON CLEANUP(json_putp)

/* ---- building: out of memory aborts ---- */

/* Returns o, or aborts with a message when it is NULL: wrap any json-c constructor
 * that has no jx_ form below (json_object_new_array_ext, ...). */
struct json_object *json_must(struct json_object *o);

struct json_object *jx_object(void);
struct json_object *jx_array(void);
/* s must not be NULL. */
struct json_object *jx_string(const char *s);
struct json_object *jx_string_len(const char *s, size_t len);
struct json_object *jx_int64(int64_t v);
struct json_object *jx_uint64(uint64_t v);
struct json_object *jx_bool(bool v);
struct json_object *jx_double(double v);

/* A NULL-terminated string vector as an array of strings (NULL v: an empty array). */
struct json_object *jx_strv(char *const *v);

/* Sets obj[key] = val, taking val (NULL is JSON null) and dropping any earlier value. */
void jx_add(struct json_object *obj, const char *key, struct json_object *val);
/* Appends val to the array arr, taking val. */
void jx_append(struct json_object *arr, struct json_object *val);

/* o serialized with json-c's JSON_C_TO_STRING_* flags; the string belongs to o and
 * lives until o changes or is freed. */
const char *jx_to_string(struct json_object *o, int flags);
/* The same as a copy the caller frees. */
char *jx_dump(struct json_object *o, int flags);

#endif
