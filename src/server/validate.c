/* Every string of a request must be UTF-8: proto3 says so, but protobuf-c does not
 * check. What a client sends ends up in config.json and in the store's records, which
 * are read back with the strict JSON parser, so it is refused at the door. */
#include <stdio.h>
#include <string.h>

#include "server/rpc.h"
#include "util/utf8.h"

#define PATH_MAX_LEN 256

static int check(const ProtobufCMessage *m, char *path, size_t len, struct cric_error **err);

static int check_field(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, char *path, size_t len,
                       struct cric_error **err) {
        const char *base = (const char *) m;
        size_t n = f->label == PROTOBUF_C_LABEL_REPEATED ? *(const size_t *) (base + f->quantifier_offset) : 1;
        const void *const *items = f->label == PROTOBUF_C_LABEL_REPEATED
                                           ? *(const void *const *const *) (base + f->offset)
                                           : (const void *const *) (base + f->offset);
        for (size_t i = 0; i < n; i++) {
                int w = f->label == PROTOBUF_C_LABEL_REPEATED
                                ? snprintf(path + len, PATH_MAX_LEN - len, "%s%s[%zu]", len ? "." : "", f->name, i)
                                : snprintf(path + len, PATH_MAX_LEN - len, "%s%s", len ? "." : "", f->name);
                size_t at = w > 0 && (size_t) w < PATH_MAX_LEN - len ? len + (size_t) w : len;
                if (f->type == PROTOBUF_C_TYPE_STRING && items[i] && !utf8_is_valid(items[i]))
                        return cric_error_set(err, CRIC_E_INVALID, "%s is not valid UTF-8", path);
                if (f->type == PROTOBUF_C_TYPE_MESSAGE && items[i] && check(items[i], path, at, err) < 0)
                        return -1;
                path[len] = '\0';
        }
        return 0;
}

static int check(const ProtobufCMessage *m, char *path, size_t len, struct cric_error **err) {
        const ProtobufCMessageDescriptor *d = m->descriptor;
        for (unsigned i = 0; i < d->n_fields; i++) {
                const ProtobufCFieldDescriptor *f = &d->fields[i];
                if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
                        continue;
                /* A member of a oneof holds a value only when the case names it. */
                if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                    *(const uint32_t *) ((const char *) m + f->quantifier_offset) != f->id)
                        continue;
                if (check_field(m, f, path, len, err) < 0)
                        return -1;
        }
        return 0;
}

int rpc_check_utf8(const ProtobufCMessage *req, struct cric_error **err) {
        char path[PATH_MAX_LEN] = "";
        return check(req, path, 0, err);
}
