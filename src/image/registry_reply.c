/* Parsers for the JSON the registry side sends back: token endpoint replies and the
 * registry's error bodies. Both come from the network and are fuzzed. */
#include <json-c/json.h>
#include <string.h>

#include "image/registry_internal.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/xalloc.h"

#define MAX_ERROR_MESSAGE 1024

static const char *get_string(json_object *obj, const char *name) {
        json_object *v;
        if (!json_object_object_get_ex(obj, name, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        const char *s = json_object_get_string(v);
        return *s ? s : NULL;
}

int registry_token_reply_parse(const char *data, size_t len, char **ret_token, long *ret_expires_in_s,
                               struct cric_error **err) {
        AUTOJSON json_object *root = NULL;
        if (json_parse_object(data, len, "token reply", &root, err) < 0)
                return -1;
        const char *token = get_string(root, "token");
        if (!token)
                token = get_string(root, "access_token");
        if (!token)
                return cric_error_set(err, CRIC_E_INVALID, "token reply: no \"token\" or \"access_token\"");
        for (const char *p = token; *p; p++)
                if ((unsigned char) *p < 0x21 || (unsigned char) *p == 0x7f)
                        return cric_error_set(err, CRIC_E_INVALID, "token reply: token has invalid characters");
        long expires = REGISTRY_TOKEN_DEFAULT_EXPIRES_S;
        json_object *v;
        if (json_object_object_get_ex(root, "expires_in", &v) && json_object_is_type(v, json_type_int)) {
                int64_t e = json_object_get_int64(v);
                if (e > 0)
                        expires = e > INT32_MAX ? INT32_MAX : (long) e;
        }
        *ret_token = xstrdup(token);
        *ret_expires_in_s = expires;
        return 0;
}

/* Appends s to buf (length *n, capacity *cap), replacing control characters. */
static char *append_clean(char *buf, size_t *n, size_t *cap, const char *s) {
        size_t len = strlen(s);
        buf = xgrow(buf, cap, *n + len + 1, 1);
        for (size_t i = 0; i < len; i++) {
                unsigned char ch = (unsigned char) s[i];
                buf[(*n)++] = ch < 0x20 || ch == 0x7f ? ' ' : (char) ch;
        }
        buf[*n] = '\0';
        return buf;
}

char *registry_error_message(const char *data, size_t len) {
        AUTOJSON json_object *root = NULL;
        json_object *errors;
        if (json_parse_object(data, len, NULL, &root, NULL) < 0 ||
            !json_object_object_get_ex(root, "errors", &errors) || !json_object_is_type(errors, json_type_array))
                return NULL;
        char *out = NULL;
        size_t n = 0, cap = 0;
        size_t count = json_object_array_length(errors);
        for (size_t i = 0; i < count && n < MAX_ERROR_MESSAGE; i++) {
                json_object *e = json_object_array_get_idx(errors, i);
                if (!json_object_is_type(e, json_type_object))
                        continue;
                const char *msg = get_string(e, "message");
                if (!msg)
                        msg = get_string(e, "code");
                if (!msg)
                        continue;
                if (n)
                        out = append_clean(out, &n, &cap, "; ");
                out = append_clean(out, &n, &cap, msg);
        }
        if (out && n > MAX_ERROR_MESSAGE) {
                out[MAX_ERROR_MESSAGE] = '\0';
                memcpy(out + MAX_ERROR_MESSAGE - 3, "...", 3);
        }
        return out;
}
