/* cricctl output: CRI messages -> JSON (protojson's shape), JSON and YAML printers,
 * tabwriter-like tables.
 *
 * The converter walks protobuf-c descriptors, so it serves every message of cri.proto
 * without per-message code. The printers mimic what crictl's Go libraries emit
 * (encoding/json's Indent, sigs.k8s.io/yaml's JSONToYAML), so scripts written for
 * crictl's output read ours. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

/* ---- protobuf-c -> json-c ---- */

static json_object *message_to_json(const ProtobufCMessage *msg, unsigned flags);

static char *base64_encode(const uint8_t *data, size_t len) {
        static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;
        for (size_t i = 0; i < len; i += 3) {
                uint32_t v = (uint32_t) data[i] << 16;
                if (i + 1 < len)
                        v |= (uint32_t) data[i + 1] << 8;
                if (i + 2 < len)
                        v |= data[i + 2];
                *o++ = tbl[(v >> 18) & 63];
                *o++ = tbl[(v >> 12) & 63];
                *o++ = i + 1 < len ? tbl[(v >> 6) & 63] : '=';
                *o++ = i + 2 < len ? tbl[v & 63] : '=';
        }
        *o = '\0';
        return out;
}

/* protoc's json_name: drop each '_' and upper-case the letter after it. */
static char *json_field_name(const char *name) {
        char *out = xmalloc(strlen(name) + 1), *o = out;
        bool is_upper_next = false;
        for (const char *p = name; *p; p++) {
                if (*p == '_') {
                        is_upper_next = true;
                        continue;
                }
                *o++ = is_upper_next ? (char) toupper((unsigned char) *p) : *p;
                is_upper_next = false;
        }
        *o = '\0';
        return out;
}

/* Non-finite numbers are strings in protojson; JSON has no literal for them. */
static json_object *double_to_json(double d) {
        if (isnan(d))
                return jx_string("NaN");
        if (isinf(d))
                return jx_string(d > 0 ? "Infinity" : "-Infinity");
        return jx_double(d);
}

/* A float widened to double prints as 0.10000000149011612; keep the float's digits. */
static json_object *float_to_json(float f) {
        if (!isfinite(f))
                return double_to_json(f);
        char buf[32];
        for (int prec = 1; prec <= 9; prec++) {
                snprintf(buf, sizeof(buf), "%.*g", prec, (double) f);
                if (strtof(buf, NULL) == f)
                        break;
        }
        return jx_double(strtod(buf, NULL));
}

static json_object *enum_to_json(const ProtobufCEnumDescriptor *desc, int value) {
        const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(desc, value);
        return v ? jx_string(v->name) : jx_int64(value);
}

static json_object *int64_to_json(int64_t v, unsigned flags) {
        if (!(flags & CLI_JSON_INT64_STRINGS))
                return jx_int64(v);
        char buf[32];
        snprintf(buf, sizeof(buf), "%lld", (long long) v);
        return jx_string(buf);
}

static json_object *uint64_to_json(uint64_t v, unsigned flags) {
        if (!(flags & CLI_JSON_INT64_STRINGS))
                return jx_uint64(v);
        char buf[32];
        snprintf(buf, sizeof(buf), "%llu", (unsigned long long) v);
        return jx_string(buf);
}

/* One value of field f stored at p (a struct member or an array element). */
static json_object *value_to_json(const ProtobufCFieldDescriptor *f, const void *p, unsigned flags) {
        switch (f->type) {
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_SINT32:
        case PROTOBUF_C_TYPE_SFIXED32: return jx_int64(*(const int32_t *) p);
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_FIXED32: return jx_int64(*(const uint32_t *) p);
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64: return int64_to_json(*(const int64_t *) p, flags);
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64: return uint64_to_json(*(const uint64_t *) p, flags);
        case PROTOBUF_C_TYPE_FLOAT: return float_to_json(*(const float *) p);
        case PROTOBUF_C_TYPE_DOUBLE: return double_to_json(*(const double *) p);
        case PROTOBUF_C_TYPE_BOOL: return jx_bool(*(const protobuf_c_boolean *) p);
        case PROTOBUF_C_TYPE_ENUM: return enum_to_json(f->descriptor, *(const int *) p);
        case PROTOBUF_C_TYPE_STRING: {
                const char *s = *(char *const *) p;
                return jx_string(s ? s : "");
        }
        case PROTOBUF_C_TYPE_BYTES: {
                const ProtobufCBinaryData *b = p;
                AUTOFREE char *s = base64_encode(b->data, b->len);
                return jx_string(s);
        }
        case PROTOBUF_C_TYPE_MESSAGE: {
                const ProtobufCMessage *m = *(ProtobufCMessage *const *) p;
                /* Only reachable for list elements and map values: an unset one is empty. */
                return m ? message_to_json(m, flags) : jx_object();
        }
        }
        return NULL;
}

size_t cli_proto_value_size(ProtobufCType type) {
        switch (type) {
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64:
        case PROTOBUF_C_TYPE_DOUBLE: return 8;
        case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
        case PROTOBUF_C_TYPE_STRING:
        case PROTOBUF_C_TYPE_MESSAGE: return sizeof(void *);
        case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
        default: return 4; /* 32-bit ints, float, enum */
        }
}

static bool value_is_zero(const ProtobufCFieldDescriptor *f, const void *p) {
        switch (f->type) {
        case PROTOBUF_C_TYPE_BOOL: return !*(const protobuf_c_boolean *) p;
        case PROTOBUF_C_TYPE_STRING: {
                const char *s = *(char *const *) p;
                return !s || !*s;
        }
        case PROTOBUF_C_TYPE_BYTES: return ((const ProtobufCBinaryData *) p)->len == 0;
        case PROTOBUF_C_TYPE_MESSAGE: return !*(ProtobufCMessage *const *) p;
        case PROTOBUF_C_TYPE_FLOAT: return *(const float *) p == 0;
        case PROTOBUF_C_TYPE_DOUBLE: return *(const double *) p == 0;
        default: /* integers and enums */
                return cli_proto_value_size(f->type) == 8 ? *(const uint64_t *) p == 0 : *(const uint32_t *) p == 0;
        }
}

/* protobuf-c has no map type: a map is a repeated FooEntry {key = 1; value = 2;}
 * nested message named after the field. */
static bool field_is_map(const ProtobufCFieldDescriptor *f) {
        if (f->type != PROTOBUF_C_TYPE_MESSAGE || f->label != PROTOBUF_C_LABEL_REPEATED)
                return false;
        const ProtobufCMessageDescriptor *d = f->descriptor;
        if (d->n_fields != 2 || d->fields[0].id != 1 || d->fields[1].id != 2 || strcmp(d->fields[0].name, "key") ||
            strcmp(d->fields[1].name, "value"))
                return false;
        AUTOFREE char *camel = json_field_name(f->name);
        camel[0] = (char) toupper((unsigned char) camel[0]);
        size_t n = strlen(camel);
        return !strncmp(d->short_name, camel, n) && !strcmp(d->short_name + n, "Entry");
}

struct map_item {
        json_object *key; /* the key converted like a value: a string, an integer or a bool */
        json_object *value;
};

/* protojson prints map entries sorted by key: bytewise for strings, numerically else. */
static int map_item_cmp(const void *a, const void *b) {
        json_object *x = ((const struct map_item *) a)->key, *y = ((const struct map_item *) b)->key;
        if (json_object_is_type(x, json_type_string))
                return strcmp(json_object_get_string(x), json_object_get_string(y));
        int64_t i = json_object_get_int64(x), j = json_object_get_int64(y);
        if (i != j)
                return i < j ? -1 : 1;
        /* Equal here also when both are uint64 values past INT64_MAX (clamped). */
        uint64_t u = json_object_get_uint64(x), v = json_object_get_uint64(y);
        return (u > v) - (u < v);
}

static json_object *map_to_json(const ProtobufCFieldDescriptor *f, ProtobufCMessage *const *entries, size_t n,
                                unsigned flags) {
        const ProtobufCMessageDescriptor *d = f->descriptor;
        struct map_item *items = xcalloc(n, sizeof(*items));
        for (size_t i = 0; i < n; i++) {
                const char *e = (const char *) entries[i];
                items[i].key = value_to_json(&d->fields[0], e + d->fields[0].offset, 0);
                items[i].value = value_to_json(&d->fields[1], e + d->fields[1].offset, flags);
        }
        qsort(items, n, sizeof(*items), map_item_cmp);
        json_object *o = jx_object();
        for (size_t i = 0; i < n; i++) {
                /* json-c prints integer and bool keys as JSON does: 10, true. A repeated key: the last wins. */
                jx_add(o, json_object_get_string(items[i].key), items[i].value);
                json_object_put(items[i].key);
        }
        free(items);
        return o;
}

static json_object *repeated_to_json(const ProtobufCFieldDescriptor *f, const void *array, size_t n, unsigned flags) {
        if (field_is_map(f))
                return map_to_json(f, array, n, flags);
        json_object *a = json_must(json_object_new_array_ext((int) n));
        size_t sz = cli_proto_value_size(f->type);
        for (size_t i = 0; i < n; i++)
                jx_append(a, value_to_json(f, (const char *) array + i * sz, flags));
        return a;
}

/* Whether protojson would print the field: set oneof members and optionals always,
 * plain proto3 fields unless at their zero value (or always with EMIT_DEFAULTS), and
 * message fields only when present. */
static bool field_is_shown(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f, unsigned flags) {
        const char *base = (const char *) msg;
        const void *p = base + f->offset;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
                return *(const uint32_t *) (base + f->quantifier_offset) == f->id;
        switch (f->label) {
        case PROTOBUF_C_LABEL_REQUIRED: return true;
        case PROTOBUF_C_LABEL_REPEATED:
                return (flags & CLI_JSON_EMIT_DEFAULTS) || *(const size_t *) (base + f->quantifier_offset) > 0;
        case PROTOBUF_C_LABEL_OPTIONAL:
                if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE)
                        return *(void *const *) p && *(void *const *) p != f->default_value;
                return *(const protobuf_c_boolean *) (base + f->quantifier_offset);
        case PROTOBUF_C_LABEL_NONE: break;
        }
        if (f->type == PROTOBUF_C_TYPE_MESSAGE)
                return *(void *const *) p != NULL;
        return (flags & CLI_JSON_EMIT_DEFAULTS) || !value_is_zero(f, p);
}

static json_object *message_to_json(const ProtobufCMessage *msg, unsigned flags) {
        const ProtobufCMessageDescriptor *d = msg->descriptor;
        const char *base = (const char *) msg;
        json_object *o = jx_object();
        for (unsigned i = 0; i < d->n_fields; i++) {
                const ProtobufCFieldDescriptor *f = &d->fields[i];
                if (!field_is_shown(msg, f, flags))
                        continue;
                json_object *v;
                if (f->label == PROTOBUF_C_LABEL_REPEATED)
                        v = repeated_to_json(f, *(void *const *) (base + f->offset),
                                             *(const size_t *) (base + f->quantifier_offset), flags);
                else
                        v = value_to_json(f, base + f->offset, flags);
                if (flags & CLI_JSON_PROTO_NAMES) {
                        jx_add(o, f->name, v);
                } else {
                        AUTOFREE char *name = json_field_name(f->name);
                        jx_add(o, name, v);
                }
        }
        return o;
}

json_object *cli_proto_to_json(const ProtobufCMessage *msg, unsigned flags) {
        return message_to_json(msg, flags);
}

/* ---- JSON ---- */

static int key_cmp_bytes(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The keys of object o, sorted with cmp. Caller frees the array (not the keys). */
static const char **object_keys(json_object *o, int (*cmp)(const void *, const void *), size_t *ret_n) {
        size_t n = (size_t) json_object_object_length(o), i = 0;
        const char **keys = xcalloc(n, sizeof(*keys));
        json_object_object_foreach(o, key, val) {
                (void) val;
                keys[i++] = key;
        }
        if (cmp)
                qsort(keys, n, sizeof(*keys), cmp);
        *ret_n = n;
        return keys;
}

json_object *cli_json_sorted(json_object *o) {
        if (json_object_is_type(o, json_type_array)) {
                size_t n = json_object_array_length(o);
                json_object *a = json_must(json_object_new_array_ext((int) n));
                for (size_t i = 0; i < n; i++)
                        jx_append(a, cli_json_sorted(json_object_array_get_idx(o, i)));
                return a;
        }
        if (!json_object_is_type(o, json_type_object))
                return json_object_get(o); /* scalars are immutable here: share them */
        size_t n;
        AUTOFREE const char **keys = object_keys(o, key_cmp_bytes, &n);
        json_object *s = jx_object();
        for (size_t i = 0; i < n; i++)
                jx_add(s, keys[i], cli_json_sorted(json_object_object_get(o, keys[i])));
        return s;
}

/* The shortest text that reads back as d, without an exponent for whole numbers
 * below 1e21 (what Go's encoders print). */
static void format_double(char *buf, size_t size, double d) {
        if (d > -1e21 && d < 1e21) {
                snprintf(buf, size, "%.0f", d); /* exact for whole numbers only */
                if (strtod(buf, NULL) == d)
                        return;
        }
        for (int prec = 1; prec <= 17; prec++) {
                snprintf(buf, size, "%.*g", prec, d);
                if (strtod(buf, NULL) == d)
                        return;
        }
}

static void write_number(FILE *out, json_object *o) {
        if (json_object_is_type(o, json_type_int)) {
                fputs(jx_to_string(o, JSON_C_TO_STRING_PLAIN), out);
                return;
        }
        double d = json_object_get_double(o);
        if (!isfinite(d)) {
                fputs("null", out);
                return;
        }
        char buf[64];
        format_double(buf, sizeof(buf), d);
        fputs(buf, out);
}

static void write_indent(FILE *out, int n) {
        fprintf(out, "%*s", n, "");
}

static void write_json_string(FILE *out, const char *s) {
        AUTOFREE char *q = json_quote(s);
        fputs(q, out);
}

static void json_write(FILE *out, json_object *o, int indent);

static void json_write_array(FILE *out, json_object *o, int indent) {
        size_t n = json_object_array_length(o);
        if (!n) {
                fputs("[]", out);
                return;
        }
        fputs("[\n", out);
        for (size_t i = 0; i < n; i++) {
                write_indent(out, indent + 2);
                json_write(out, json_object_array_get_idx(o, i), indent + 2);
                fputs(i + 1 < n ? ",\n" : "\n", out);
        }
        write_indent(out, indent);
        fputc(']', out);
}

static void json_write_object(FILE *out, json_object *o, int indent) {
        size_t n = (size_t) json_object_object_length(o), i = 0;
        if (!n) {
                fputs("{}", out);
                return;
        }
        fputs("{\n", out);
        json_object_object_foreach(o, key, val) {
                write_indent(out, indent + 2);
                write_json_string(out, key);
                fputs(": ", out);
                json_write(out, val, indent + 2);
                fputs(++i < n ? ",\n" : "\n", out);
        }
        write_indent(out, indent);
        fputc('}', out);
}

static void json_write(FILE *out, json_object *o, int indent) {
        switch (json_object_get_type(o)) {
        case json_type_null: fputs("null", out); break;
        case json_type_boolean: fputs(json_object_get_boolean(o) ? "true" : "false", out); break;
        case json_type_int:
        case json_type_double: write_number(out, o); break;
        case json_type_string: write_json_string(out, json_object_get_string(o)); break;
        case json_type_array: json_write_array(out, o, indent); break;
        case json_type_object: json_write_object(out, o, indent); break;
        }
}

void cli_print_json(FILE *out, json_object *o) {
        json_write(out, o, 0);
        fputc('\n', out);
}

/* ---- YAML ---- */

/* go-yaml's key order: runs of digits compare as numbers, and a letter sorts after
 * anything else at the same position. Bytes >= 0x80 count as letters. */
static int key_cmp_yaml(const void *pa, const void *pb) {
        const unsigned char *a = *(const unsigned char *const *) pa, *b = *(const unsigned char *const *) pb;
        size_t i = 0;
        for (; a[i] && b[i]; i++) {
                if (a[i] == b[i])
                        continue;
                bool al = isalpha(a[i]) || a[i] >= 0x80, bl = isalpha(b[i]) || b[i] >= 0x80;
                if (al && bl)
                        return a[i] < b[i] ? -1 : 1;
                if (al || bl)
                        return bl ? -1 : 1;
                /* Digits inside a number that started earlier: compare the whole runs. */
                size_t s = i;
                while (s > 0 && isdigit(a[s - 1]))
                        s--;
                size_t ai = i, bi = i;
                unsigned long long an = 0, bn = 0;
                for (size_t j = s; j < i; j++)
                        an = bn = an * 10 + (a[j] - '0');
                for (; isdigit(a[ai]); ai++)
                        an = an * 10 + (a[ai] - '0');
                for (; isdigit(b[bi]); bi++)
                        bn = bn * 10 + (b[bi] - '0');
                if (an != bn)
                        return an < bn ? -1 : 1;
                if (ai != bi)
                        return ai < bi ? -1 : 1;
                return a[i] < b[i] ? -1 : 1;
        }
        return a[i] ? 1 : b[i] ? -1 : 0;
}

/* YAML 1.1's float syntax as go-yaml resolves it: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool is_yaml_float(const char *p) {
        if (*p == '+' || *p == '-')
                p++;
        size_t digits = 0;
        if (*p == '.') {
                for (p++; isdigit((unsigned char) *p); p++)
                        digits++;
        } else {
                for (; isdigit((unsigned char) *p); p++)
                        digits++;
                if (digits && *p == '.')
                        for (p++; isdigit((unsigned char) *p); p++)
                                ;
        }
        if (!digits)
                return false;
        if (*p == 'e' || *p == 'E') {
                p++;
                if (*p == '+' || *p == '-')
                        p++;
                if (!isdigit((unsigned char) *p))
                        return false;
                while (isdigit((unsigned char) *p))
                        p++;
        }
        return *p == '\0';
}

/* 0b101, 0o17, 0x1F with an optional sign: integers to Go's ParseInt(s, 0, 64). */
static bool is_prefixed_int(const char *s) {
        if (*s == '+' || *s == '-')
                s++;
        if (s[0] != '0' || !s[1] || !strchr("bBoOxX", s[1]) || !s[2])
                return false;
        const char *digits = strchr("bB", s[1]) ? "01" : strchr("oO", s[1]) ? "01234567" : "0123456789abcdefABCDEF";
        return strspn(s + 2, digits) == strlen(s + 2);
}

/* Would a plain scalar s read back as something other than a string (number, bool,
 * null, timestamp, sexagesimal)? Then it must be quoted. Errs on the side of quoting. */
static bool yaml_resolves_non_string(const char *s) {
        static const char *const words[] = {
                "y",     "Y",     "yes",   "Yes",   "YES",   "n",     "N",    "no",   "No",   "NO",
                "true",  "True",  "TRUE",  "false", "False", "FALSE", "on",   "On",   "ON",   "off",
                "Off",   "OFF",   "null",  "Null",  "NULL",  "~",     "<<",   ".inf", ".Inf", ".INF",
                "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN",
        };
        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
                if (!strcmp(s, words[i]))
                        return true;
        if (!strchr("+-.0123456789", s[0]))
                return false;
        /* go-yaml drops '_' before parsing numbers. */
        AUTOFREE char *plain = xmalloc(strlen(s) + 1);
        char *o = plain;
        bool has_colon = false;
        for (const char *p = s; *p; p++) {
                has_colon |= *p == ':';
                if (*p != '_')
                        *o++ = *p;
        }
        *o = '\0';
        char *end;
        strtoll(plain, &end, 0);
        if (end != plain && !*end)
                return true;
        if (is_yaml_float(plain) || is_prefixed_int(plain))
                return true;
        /* 2024-01-02 (timestamps) and 1:30 (base 60). */
        bool is_date = isdigit((unsigned char) s[0]) && strlen(s) >= 8 && s[4] == '-' && strspn(s, "0123456789") == 4;
        return is_date || (has_colon && strspn(s, "+-0123456789_:.") == strlen(s));
}

static bool yaml_has_special(const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
                        return true;
        return false;
}

/* Whether s can be written plain in block context (go-yaml's emitter analysis). */
static bool yaml_plain_ok(const char *s) {
        size_t len = strlen(s);
        if (strchr(",[]{}#&*!|>'\"%@`", s[0]) || s[0] == ' ' || s[len - 1] == ' ')
                return false;
        if (strchr("-?:", s[0]) && (s[1] == '\0' || s[1] == ' '))
                return false;
        return !strstr(s, ": ") && !strstr(s, " #") && s[len - 1] != ':' && !strchr(s, '\n') && !strchr(s, '\t');
}

static void yaml_double_quoted(FILE *out, const char *s) {
        fputc('"', out);
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                switch (*p) {
                case '"': fputs("\\\"", out); break;
                case '\\': fputs("\\\\", out); break;
                case '\n': fputs("\\n", out); break;
                case '\t': fputs("\\t", out); break;
                case '\r': fputs("\\r", out); break;
                default:
                        if (*p < 0x20 || *p == 0x7f)
                                fprintf(out, "\\x%02X", *p);
                        else
                                fputc(*p, out);
                }
        }
        fputc('"', out);
}

/* Multi-line text as a literal block (|, |- or |+ by its trailing newlines), the way
 * go-yaml v2.4 writes it; lines are indented by `indent`. */
static void yaml_literal(FILE *out, const char *s, int indent) {
        size_t len = strlen(s), trailing = 0;
        while (trailing < len && s[len - 1 - trailing] == '\n')
                trailing++;
        fputs(trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+", out);
        const char *p = s, *end = s + len - trailing;
        for (;;) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
                fputc('\n', out);
                if (n) {
                        write_indent(out, indent);
                        fwrite(p, 1, n, out);
                }
                if (!nl)
                        break;
                p = nl + 1;
        }
        for (size_t i = 1; i < trailing; i++)
                fputc('\n', out);
}

/* A literal block cannot carry trailing blanks on a line or leading blanks on the first. */
static bool yaml_literal_ok(const char *s) {
        return s[0] != ' ' && s[0] != '\n' && !strstr(s, " \n") && !yaml_has_special(s) && s[strlen(s) - 1] != ' ';
}

static void yaml_string(FILE *out, const char *s, int indent, bool is_key) {
        if (!*s || yaml_resolves_non_string(s) || yaml_has_special(s)) {
                yaml_double_quoted(out, s);
        } else if (strchr(s, '\n')) {
                if (!is_key && yaml_literal_ok(s))
                        yaml_literal(out, s, indent);
                else
                        yaml_double_quoted(out, s);
        } else if (yaml_plain_ok(s)) {
                fputs(s, out);
        } else {
                fputc('\'', out);
                for (const char *p = s; *p; p++) {
                        if (*p == '\'')
                                fputc('\'', out); /* '' is a quote inside single quotes */
                        fputc(*p, out);
                }
                fputc('\'', out);
        }
}

static bool yaml_is_block(json_object *o) {
        if (json_object_is_type(o, json_type_object))
                return json_object_object_length(o) > 0;
        if (json_object_is_type(o, json_type_array))
                return json_object_array_length(o) > 0;
        return false;
}

/* A scalar or an empty collection, on the current line; ends the line. */
static void yaml_scalar(FILE *out, json_object *o, int indent) {
        switch (json_object_get_type(o)) {
        case json_type_null: fputs("null", out); break;
        case json_type_boolean: fputs(json_object_get_boolean(o) ? "true" : "false", out); break;
        case json_type_int:
        case json_type_double: write_number(out, o); break;
        case json_type_string: yaml_string(out, json_object_get_string(o), indent, false); break;
        case json_type_array: fputs("[]", out); break;
        case json_type_object: fputs("{}", out); break;
        }
        fputc('\n', out);
}

static void yaml_seq(FILE *out, json_object *a, int indent, bool is_inline);

/* is_inline: the first key goes on the current line (after "- "). */
static void yaml_map(FILE *out, json_object *o, int indent, bool is_inline) {
        size_t n;
        AUTOFREE const char **keys = object_keys(o, key_cmp_yaml, &n);
        for (size_t i = 0; i < n; i++) {
                json_object *v = json_object_object_get(o, keys[i]);
                if (i > 0 || !is_inline)
                        write_indent(out, indent);
                yaml_string(out, keys[i], indent, true);
                fputc(':', out);
                if (!yaml_is_block(v)) {
                        fputc(' ', out);
                        yaml_scalar(out, v, indent + 2);
                } else if (json_object_is_type(v, json_type_object)) {
                        fputc('\n', out);
                        yaml_map(out, v, indent + 2, false);
                } else {
                        fputc('\n', out);
                        yaml_seq(out, v, indent, false); /* go-yaml does not indent lists in maps */
                }
        }
}

static void yaml_seq(FILE *out, json_object *a, int indent, bool is_inline) {
        size_t n = json_object_array_length(a);
        for (size_t i = 0; i < n; i++) {
                json_object *v = json_object_array_get_idx(a, i);
                if (i > 0 || !is_inline)
                        write_indent(out, indent);
                fputs("- ", out);
                if (!yaml_is_block(v))
                        yaml_scalar(out, v, indent + 2);
                else if (json_object_is_type(v, json_type_object))
                        yaml_map(out, v, indent + 2, true);
                else
                        yaml_seq(out, v, indent + 2, true);
        }
}

void cli_print_yaml(FILE *out, json_object *o) {
        if (!yaml_is_block(o))
                yaml_scalar(out, o, 0);
        else if (json_object_is_type(o, json_type_object))
                yaml_map(out, o, 0, false);
        else
                yaml_seq(out, o, 0, false);
}

void cli_print_json_as(FILE *out, json_object *o, enum cli_output fmt) {
        if (fmt == CLI_OUTPUT_YAML)
                cli_print_yaml(out, o);
        else
                cli_print_json(out, o);
}

void cli_print_proto(FILE *out, const ProtobufCMessage *msg, enum cli_output fmt) {
        AUTOJSON json_object *o = cli_proto_to_json(msg, CLI_JSON_CRICTL);
        cli_print_json_as(out, o, fmt);
}

char *cli_proto_to_compact_json(const ProtobufCMessage *msg) {
        AUTOJSON json_object *o = cli_proto_to_json(msg, 0);
        return jx_dump(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* ---- tables ---- */

struct cli_row {
        char **cells;
        size_t n;
};

struct cli_table {
        size_t min_width, padding;
        struct cli_row *rows;
        size_t n_rows, cap;
};

struct cli_table *cli_table_new(size_t min_width, size_t padding) {
        struct cli_table *t = xzalloc(sizeof(*t));
        t->min_width = min_width;
        t->padding = padding;
        return t;
}

void cli_table_add_row(struct cli_table *t, ...) {
        va_list ap;
        size_t n = 0;
        va_start(ap, t);
        while (va_arg(ap, const char *))
                n++;
        va_end(ap);
        t->rows = xgrow(t->rows, &t->cap, t->n_rows + 1, sizeof(*t->rows));
        struct cli_row *r = &t->rows[t->n_rows++];
        r->n = n;
        r->cells = xcalloc(n, sizeof(*r->cells));
        va_start(ap, t);
        for (size_t i = 0; i < n; i++)
                r->cells[i] = xstrdup(va_arg(ap, const char *));
        va_end(ap);
}

/* Display width: UTF-8 code points (no wide-character handling, like tabwriter). */
static size_t text_width(const char *s) {
        size_t w = 0;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                w += (*p & 0xC0) != 0x80;
        return w;
}

void cli_table_print(const struct cli_table *t, FILE *out) {
        size_t n_cols = 0;
        for (size_t i = 0; i < t->n_rows; i++)
                n_cols = t->rows[i].n > n_cols ? t->rows[i].n : n_cols;
        AUTOFREE size_t *width = xcalloc(n_cols, sizeof(*width));
        for (size_t i = 0; i < t->n_rows; i++)
                for (size_t c = 0; c + 1 < t->rows[i].n; c++) { /* a row's last cell is not aligned */
                        size_t w = text_width(t->rows[i].cells[c]) + t->padding;
                        width[c] = w > width[c] ? w : width[c];
                }
        for (size_t i = 0; i < t->n_rows; i++) {
                const struct cli_row *r = &t->rows[i];
                for (size_t c = 0; c < r->n; c++) {
                        fputs(r->cells[c], out);
                        if (c + 1 < r->n) {
                                size_t w = width[c] > t->min_width ? width[c] : t->min_width;
                                write_indent(out, (int) (w - text_width(r->cells[c])));
                        }
                }
                fputc('\n', out);
        }
}

struct cli_table *cli_table_free(struct cli_table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_rows; i++) {
                for (size_t c = 0; c < t->rows[i].n; c++)
                        free(t->rows[i].cells[c]);
                free(t->rows[i].cells);
        }
        free(t->rows);
        free(t);
        return NULL;
}

void cli_table_freep(struct cli_table **t) {
        if (t)
                *t = cli_table_free(*t);
}

/* An info map value as crictl shows it: JSON objects and arrays parsed, anything
 * else a string with surrounding quotes trimmed. */
json_object *cli_info_value(const char *s) {
        size_t len = strlen(s);
        json_object *v = NULL;
        if (json_parse_strict(s, len, NULL, &v, NULL) == 0) {
                if (json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array))
                        return v;
                json_putp(&v);
        }
        const char *start = s, *end = s + len;
        while (start < end && *start == '"')
                start++;
        while (end > start && end[-1] == '"')
                end--;
        return jx_string_len(start, (size_t) (end - start));
}

/* ---- values as crictl shows them ---- */

int64_t cli_now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void cli_human_duration(char *buf, size_t size, int64_t ns) {
        double secs = (double) ns / 1e9;
        long s = (long) secs, m = (long) (secs / 60), h = (long) (secs / 3600 + 0.5);
        if (s < 1)
                snprintf(buf, size, "Less than a second");
        else if (s == 1)
                snprintf(buf, size, "1 second");
        else if (s < 60)
                snprintf(buf, size, "%ld seconds", s);
        else if (m == 1)
                snprintf(buf, size, "About a minute");
        else if (m < 60)
                snprintf(buf, size, "%ld minutes", m);
        else if (h == 1)
                snprintf(buf, size, "About an hour");
        else if (h < 48)
                snprintf(buf, size, "%ld hours", h);
        else if (h < 24 * 7 * 2)
                snprintf(buf, size, "%ld days", h / 24);
        else if (h < 24 * 30 * 2)
                snprintf(buf, size, "%ld weeks", h / 24 / 7);
        else if (h < 24 * 365 * 2)
                snprintf(buf, size, "%ld months", h / 24 / 30);
        else
                snprintf(buf, size, "%ld years", (long) (secs / 3600) / 24 / 365);
}

void cli_time_ago(char *buf, size_t size, int64_t ns) {
        char d[48];
        cli_human_duration(d, sizeof(d), cli_now_ns() - ns);
        snprintf(buf, size, "%s ago", d);
}

void cli_human_size(char *buf, size_t size, double v, int precision) {
        static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
        size_t i = 0;
        while (v >= 1000 && i + 1 < sizeof(units) / sizeof(units[0])) {
                v /= 1000;
                i++;
        }
        snprintf(buf, size, "%.*g%s", precision, v, units[i]);
}

void cli_truncated_id(char buf[CLI_TRUNC_ID_LEN + 1], const char *id, const char *prefix) {
        if (prefix && !strncmp(id, prefix, strlen(prefix)))
                id += strlen(prefix);
        snprintf(buf, CLI_TRUNC_ID_LEN + 1, "%.*s", CLI_TRUNC_ID_LEN, id);
}

/* Every string map entry: a message header, then key and value. */
struct string_entry {
        ProtobufCMessage base;
        char *key, *value;
};

static int string_entry_cmp(const void *a, const void *b) {
        return strcmp((*(struct string_entry *const *) a)->key, (*(struct string_entry *const *) b)->key);
}

void cli_print_string_map(FILE *out, const char *title, void **entries, size_t n) {
        struct string_entry **e = (struct string_entry **) entries;
        if (n)
                qsort(e, n, sizeof(*e), string_entry_cmp);
        fprintf(out, "%s:\n", title);
        for (size_t i = 0; i < n; i++)
                fprintf(out, "\t%s -> %s\n", e[i]->key, e[i]->value);
}

void cli_print_info_line(FILE *out, void **entries, size_t n) {
        struct string_entry **e = (struct string_entry **) entries;
        if (n)
                qsort(e, n, sizeof(*e), string_entry_cmp);
        fputs("Info: map[", out);
        for (size_t i = 0; i < n; i++)
                fprintf(out, "%s%s:%s", i ? " " : "", e[i]->key, e[i]->value);
        fputs("]\n", out);
}

int cli_name_filter_compile(struct cli_name_filter *f, struct cric_error **err) {
        if (cli_regex_compile(f->name, &f->name_re, &f->has_name_re, err) < 0)
                return cric_error_prefix(err, "--name");
        if (cli_regex_compile(f->namespace, &f->namespace_re, &f->has_namespace_re, err) < 0)
                return cric_error_prefix(err, "--namespace");
        return 0;
}

bool cli_name_filter_match(const struct cli_name_filter *f, const char *name, const char *namespace) {
        if (f->has_name_re && (!name || regexec(&f->name_re, name, 0, NULL, 0) != 0))
                return false;
        if (f->has_namespace_re && (!namespace || regexec(&f->namespace_re, namespace, 0, NULL, 0) != 0))
                return false;
        return true;
}

void cli_name_filter_clear(struct cli_name_filter *f) {
        if (f->has_name_re)
                regfree(&f->name_re);
        if (f->has_namespace_re)
                regfree(&f->namespace_re);
        f->has_name_re = f->has_namespace_re = false;
}
