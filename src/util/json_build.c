/* json-c object construction with the project's out-of-memory policy: abort with a
 * message, as xmalloc does. */
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/json.h"
#include "util/xalloc.h"

static void json_oom(void) {
        fprintf(stderr, "cric: out of memory in json-c, aborting\n");
        abort();
}

void json_putp(struct json_object **o) {
        if (o && *o) {
                json_object_put(*o);
                *o = NULL;
        }
}

struct json_object *json_must(struct json_object *o) {
        if (!o)
                json_oom();
        return o;
}

struct json_object *jx_object(void) {
        return json_must(json_object_new_object());
}

struct json_object *jx_array(void) {
        return json_must(json_object_new_array());
}

struct json_object *jx_string(const char *s) {
        return json_must(json_object_new_string(s));
}

struct json_object *jx_string_len(const char *s, size_t len) {
        if (len > INT_MAX)
                json_oom(); /* json-c cannot hold it */
        return json_must(json_object_new_string_len(s, (int) len));
}

struct json_object *jx_int64(int64_t v) {
        return json_must(json_object_new_int64(v));
}

struct json_object *jx_uint64(uint64_t v) {
        return json_must(json_object_new_uint64(v));
}

struct json_object *jx_bool(bool v) {
        return json_must(json_object_new_boolean(v));
}

struct json_object *jx_double(double v) {
        return json_must(json_object_new_double(v));
}

void jx_add(struct json_object *obj, const char *key, struct json_object *val) {
        if (json_object_object_add(obj, key, val) < 0)
                json_oom();
}

void jx_append(struct json_object *arr, struct json_object *val) {
        if (json_object_array_add(arr, val) < 0)
                json_oom();
}

const char *jx_to_string(struct json_object *o, int flags) {
        const char *s = json_object_to_json_string_ext(o, flags);
        if (!s)
                json_oom();
        return s;
}

char *jx_dump(struct json_object *o, int flags) {
        return xstrdup(jx_to_string(o, flags));
}

struct json_object *jx_strv(char *const *v) {
        struct json_object *a = jx_array();
        for (size_t i = 0; v && v[i]; i++)
                jx_append(a, jx_string(v[i]));
        return a;
}
