/* JSON files -> CRI messages: the pod and container config files crictl users
 * already have (runp, create, run, pull's --pod-config). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cri.pb-c.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

#define JSON_FILE_MAX (1024 * 1024) /* a pod or container config */

/* Field names as Go's encoding/json matches them to crictl's CRI types: the .proto
 * name (log_directory), any case; lowerCamelCase is accepted too. Unknown keys are
 * ignored, as Go does. */
static int message_from_json(ProtobufCMessage *m, json_object *o, const char *path, struct cric_error **err);

/* An integer from a JSON number or a string holding one (protojson writes 64-bit
 * values as strings), range-checked for the field's width. */
static bool integer_from_json(const ProtobufCFieldDescriptor *f, json_object *v, void *p) {
        if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_string))
                return false;
        const char *s = json_object_get_string(v);
        char *end;
        errno = 0;
        bool is_unsigned = f->type == PROTOBUF_C_TYPE_UINT32 || f->type == PROTOBUF_C_TYPE_FIXED32 ||
                           f->type == PROTOBUF_C_TYPE_UINT64 || f->type == PROTOBUF_C_TYPE_FIXED64;
        if (is_unsigned) {
                unsigned long long u = strtoull(s, &end, 10);
                if (strchr(s, '-') || end == s || *end || errno ||
                    (cli_proto_value_size(f->type) == 4 && u > UINT32_MAX))
                        return false;
                if (cli_proto_value_size(f->type) == 4)
                        *(uint32_t *) p = (uint32_t) u;
                else
                        *(uint64_t *) p = u;
                return true;
        }
        long long x = strtoll(s, &end, 10);
        if (end == s || *end || errno || (cli_proto_value_size(f->type) == 4 && (x < INT32_MIN || x > INT32_MAX)))
                return false;
        if (cli_proto_value_size(f->type) == 4)
                *(int32_t *) p = (int32_t) x;
        else
                *(int64_t *) p = x;
        return true;
}

/* One value of field f into p (a struct member or array element). */
static int value_from_json(const ProtobufCFieldDescriptor *f, json_object *v, void *p, const char *path,
                           struct cric_error **err) {
        bool is_ok = false;
        switch (f->type) {
        case PROTOBUF_C_TYPE_STRING:
                if ((is_ok = json_object_is_type(v, json_type_string)))
                        *(char **) p = xstrdup(json_object_get_string(v));
                break;
        case PROTOBUF_C_TYPE_BOOL:
                if ((is_ok = json_object_is_type(v, json_type_boolean)))
                        *(protobuf_c_boolean *) p = json_object_get_boolean(v);
                break;
        case PROTOBUF_C_TYPE_FLOAT:
        case PROTOBUF_C_TYPE_DOUBLE:
                is_ok = json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int);
                if (is_ok && f->type == PROTOBUF_C_TYPE_FLOAT)
                        *(float *) p = (float) json_object_get_double(v);
                else if (is_ok)
                        *(double *) p = json_object_get_double(v);
                break;
        case PROTOBUF_C_TYPE_ENUM: {
                const ProtobufCEnumValue *ev =
                        json_object_is_type(v, json_type_string)
                                ? protobuf_c_enum_descriptor_get_value_by_name(f->descriptor, json_object_get_string(v))
                                : NULL;
                if ((is_ok = ev != NULL))
                        *(int *) p = ev->value;
                else if ((is_ok = json_object_is_type(v, json_type_int)))
                        *(int *) p = json_object_get_int(v);
                break;
        }
        case PROTOBUF_C_TYPE_MESSAGE: {
                if (!(is_ok = json_object_is_type(v, json_type_object)))
                        break;
                const ProtobufCMessageDescriptor *d = f->descriptor;
                ProtobufCMessage *m = xmalloc(d->sizeof_message);
                protobuf_c_message_init(d, m);
                *(ProtobufCMessage **) p = m; /* owned by the parent from here on */
                return message_from_json(m, v, path, err);
        }
        case PROTOBUF_C_TYPE_BYTES: /* env values: crictl takes them as plain strings, not base64 */
                if ((is_ok = json_object_is_type(v, json_type_string))) {
                        ProtobufCBinaryData *b = p;
                        b->len = (size_t) json_object_get_string_len(v);
                        b->data = xmalloc(b->len + 1);
                        memcpy(b->data, json_object_get_string(v), b->len + 1);
                }
                break;
        default: is_ok = integer_from_json(f, v, p); break;
        }
        if (!is_ok)
                return cric_error_set(err, CRIC_E_INVALID, "%s: invalid value %s", path,
                                      jx_to_string(v, JSON_C_TO_STRING_PLAIN));
        return 0;
}

static bool field_is_map(const ProtobufCFieldDescriptor *f) {
        const ProtobufCMessageDescriptor *d = f->descriptor;
        size_t len = d && f->type == PROTOBUF_C_TYPE_MESSAGE ? strlen(d->short_name) : 0;
        return f->label == PROTOBUF_C_LABEL_REPEATED && len > 5 && !strcmp(d->short_name + len - 5, "Entry") &&
               d->n_fields == 2 && !strcmp(d->fields[0].name, "key") && !strcmp(d->fields[1].name, "value");
}

/* A JSON object into a map field: repeated FooEntry {key, value} messages. */
static int map_from_json(const ProtobufCFieldDescriptor *f, json_object *v, void *base, const char *path,
                         struct cric_error **err) {
        if (!json_object_is_type(v, json_type_object))
                return cric_error_set(err, CRIC_E_INVALID, "%s: expected an object", path);
        const ProtobufCMessageDescriptor *d = f->descriptor;
        size_t *n = (size_t *) ((char *) base + f->quantifier_offset);
        ProtobufCMessage **entries = xcalloc((size_t) json_object_object_length(v), sizeof(*entries));
        *(ProtobufCMessage ***) ((char *) base + f->offset) = entries;
        json_object_object_foreach(v, key, val) {
                ProtobufCMessage *e = entries[(*n)++] = xmalloc(d->sizeof_message);
                protobuf_c_message_init(d, e);
                AUTOFREE char *sub = xasprintf("%s.%s", path, key);
                AUTOJSON json_object *k = jx_string(key);
                if (value_from_json(&d->fields[0], k, (char *) e + d->fields[0].offset, sub, err) < 0 ||
                    value_from_json(&d->fields[1], val, (char *) e + d->fields[1].offset, sub, err) < 0)
                        return -1;
        }
        return 0;
}

static int repeated_from_json(const ProtobufCFieldDescriptor *f, json_object *v, void *base, const char *path,
                              struct cric_error **err) {
        if (field_is_map(f))
                return map_from_json(f, v, base, path, err);
        if (!json_object_is_type(v, json_type_array))
                return cric_error_set(err, CRIC_E_INVALID, "%s: expected a list", path);
        size_t len = json_object_array_length(v), sz = cli_proto_value_size(f->type);
        size_t *n = (size_t *) ((char *) base + f->quantifier_offset);
        char *array = xcalloc(len ? len : 1, sz);
        *(void **) ((char *) base + f->offset) = array;
        for (size_t i = 0; i < len; i++) {
                AUTOFREE char *sub = xasprintf("%s[%zu]", path, i);
                (*n)++; /* counted first: a half-built element is freed with the rest */
                if (value_from_json(f, json_object_array_get_idx(v, i), array + i * sz, sub, err) < 0)
                        return -1;
        }
        return 0;
}

static json_object *json_field(json_object *o, const ProtobufCFieldDescriptor *f) {
        AUTOFREE char *camel = xstrdup(f->name);
        char *w = camel;
        for (const char *r = f->name; *r; r++)
                if (*r != '_')
                        *w++ = r > f->name && r[-1] == '_' ? (char) toupper((unsigned char) *r) : *r;
        *w = '\0';
        json_object_object_foreach(o, key, val) {
                if (!strcasecmp(key, f->name) || !strcmp(key, camel))
                        return val;
        }
        return NULL;
}

static int message_from_json(ProtobufCMessage *m, json_object *o, const char *path, struct cric_error **err) {
        const ProtobufCMessageDescriptor *d = m->descriptor;
        for (unsigned i = 0; i < d->n_fields; i++) {
                const ProtobufCFieldDescriptor *f = &d->fields[i];
                json_object *v = json_field(o, f);
                if (!v) /* absent or null */
                        continue;
                AUTOFREE char *sub = *path ? xasprintf("%s.%s", path, f->name) : xstrdup(f->name);
                char *base = (char *) m;
                int r = f->label == PROTOBUF_C_LABEL_REPEATED ? repeated_from_json(f, v, base, sub, err)
                                                              : value_from_json(f, v, base + f->offset, sub, err);
                if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
                        *(uint32_t *) (base + f->quantifier_offset) = f->id;
                else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_STRING &&
                         f->type != PROTOBUF_C_TYPE_MESSAGE)
                        *(protobuf_c_boolean *) (base + f->quantifier_offset) = true;
                if (r < 0)
                        return -1;
        }
        return 0;
}

ProtobufCMessage *cli_proto_from_json_file(const char *file, const ProtobufCMessageDescriptor *desc,
                                           struct cric_error **err) {
        AUTOFREE char *text = NULL;
        size_t len;
        if (fs_read_file(file, JSON_FILE_MAX, &text, &len, err) < 0)
                return NULL;
        AUTOJSON json_object *doc = NULL;
        CLEANUP(cric_error_freep) struct cric_error *perr = NULL;
        if (json_parse_object(text, len, file, &doc, &perr) < 0) {
                cric_error_set(err, CRIC_E_INVALID, "%s (a JSON object is expected; YAML is not supported)", perr->msg);
                return NULL;
        }
        ProtobufCMessage *m = xmalloc(desc->sizeof_message);
        protobuf_c_message_init(desc, m);
        if (message_from_json(m, doc, "", err) < 0) {
                protobuf_c_message_free_unpacked(m, NULL);
                cric_error_prefix(err, "%s", file);
                return NULL;
        }
        return m;
}
