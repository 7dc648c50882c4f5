/* Frames of JSON between cricd and its pull helpers. */
#include "image/pull_wire.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/strv.h"
#include "util/utf8.h"
#include "util/xalloc.h"

int pull_wire_send(int fd, struct json_object *msg, struct cric_error **err) {
        const char *s = jx_to_string(msg, JSON_C_TO_STRING_PLAIN);
        size_t len = strlen(s);
        if (len > PULL_WIRE_MAX_FRAME)
                return cric_error_set(err, CRIC_E_INVALID, "pull helper message of %zu bytes is too large", len);
        unsigned char hdr[4] = {len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff, (len >> 24) & 0xff};
        if (fs_write_all(fd, hdr, sizeof(hdr)) < 0 || fs_write_all(fd, s, len) < 0)
                return cric_error_errno(err, errno == EPIPE ? CRIC_E_UNAVAILABLE : CRIC_E_INTERNAL, errno,
                                        "send to the pull helper's peer");
        return 0;
}

/* Reads exactly len bytes: 1, 0 at end of file before the first byte, -1 on error. */
static int read_exact(int fd, void *buf, size_t len, struct cric_error **err) {
        size_t got = 0;
        while (got < len) {
                ssize_t n = read(fd, (char *) buf + got, len - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "read from the pull helper's peer");
                if (n == 0 && got == 0)
                        return 0;
                if (n == 0)
                        return cric_error_set(err, CRIC_E_INVALID, "pull helper message cut short at %zu of %zu bytes",
                                              got, len);
                got += (size_t) n;
        }
        return 1;
}

int pull_wire_recv(int fd, struct json_object **ret, struct cric_error **err) {
        unsigned char hdr[4];
        int r = read_exact(fd, hdr, sizeof(hdr), err);
        if (r <= 0)
                return r < 0 ? -1 : cric_error_set(err, CRIC_E_UNAVAILABLE, "closed");
        size_t len = hdr[0] | (size_t) hdr[1] << 8 | (size_t) hdr[2] << 16 | (size_t) hdr[3] << 24;
        if (len > PULL_WIRE_MAX_FRAME)
                return cric_error_set(err, CRIC_E_INVALID, "pull helper message of %zu bytes is too large", len);
        AUTOFREE char *buf = xmalloc(len + 1);
        if ((r = read_exact(fd, buf, len, err)) <= 0)
                return r < 0 ? -1 : cric_error_set(err, CRIC_E_INVALID, "pull helper message cut short at 0 bytes");
        return json_parse_object(buf, len, "pull helper message", ret, err);
}

static struct json_object *field(struct json_object *o, const char *key, json_type type) {
        struct json_object *v = NULL;
        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
                return NULL;
        return v;
}

const char *pull_wire_str(struct json_object *o, const char *key) {
        struct json_object *v = field(o, key, json_type_string);
        return v ? json_object_get_string(v) : NULL;
}

int64_t pull_wire_int(struct json_object *o, const char *key) {
        struct json_object *v = field(o, key, json_type_int);
        return v ? json_object_get_int64(v) : 0;
}

bool pull_wire_bool(struct json_object *o, const char *key) {
        struct json_object *v = field(o, key, json_type_boolean);
        return v && json_object_get_boolean(v);
}

int pull_wire_strv(struct json_object *o, const char *key, char ***ret, struct cric_error **err) {
        struct json_object *a = field(o, key, json_type_array);
        *ret = NULL;
        if (!a)
                return 0;
        size_t n = json_object_array_length(a);
        char **v = xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++) {
                struct json_object *e = json_object_array_get_idx(a, i);
                if (!json_object_is_type(e, json_type_string)) {
                        strv_free(v);
                        return cric_error_set(err, CRIC_E_INVALID, "pull helper message: %s[%zu] is not a string", key,
                                              i);
                }
                v[i] = xstrdup(json_object_get_string(e));
        }
        *ret = v;
        return 0;
}

void pull_wire_add_str(struct json_object *obj, const char *key, const char *s) {
        jx_add(obj, key, s ? jx_string(s) : NULL);
}

struct json_object *pull_wire_error_new(const struct cric_error *e) {
        const char *msg = e && e->msg ? e->msg : "unknown error";
        AUTOFREE char *clean = xstrdup(msg);
        for (unsigned char *p = (unsigned char *) clean; *p;) {
                size_t n = utf8_len(p);
                if (n == 0)
                        *p++ = '?';
                else
                        p += n;
        }
        struct json_object *o = jx_object();
        jx_add(o, "kind", jx_int64(e ? e->kind : CRIC_E_INTERNAL));
        jx_add(o, "msg", jx_string(clean));
        return o;
}

int pull_wire_error_take(struct json_object *o, struct cric_error **err) {
        int64_t kind = pull_wire_int(o, "kind");
        const char *msg = pull_wire_str(o, "msg");
        if (kind < 0 || kind >= CRIC_E_KIND_MAX)
                kind = CRIC_E_INTERNAL;
        return cric_error_set(err, (enum cric_error_kind) kind, "%s", msg ? msg : "the pull helper failed");
}

int pull_wire_take_id(struct json_object *o, const char *what, char **ret_id, struct cric_error **err) {
        struct json_object *e = NULL;
        if (json_object_object_get_ex(o, "error", &e))
                return pull_wire_error_take(e, err);
        const char *id = pull_wire_str(o, "id");
        if (!id)
                return cric_error_set(err, CRIC_E_INVALID, "%s has no image id", what);
        *ret_id = xstrdup(id);
        return 0;
}
