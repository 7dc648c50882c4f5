/* The simple signing payload both signature kinds sign:
 *   {"critical": {"type": "...", "image": {"docker-manifest-digest": "sha256:..."},
 *                 "identity": {"docker-reference": "host/repo:tag"}},
 *    "optional": {...}}
 * Only "critical" is trusted; it may hold nothing else. */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "image/sig.h"
#include "util/json.h"
#include "util/xalloc.h"

void sig_claim_clear(struct sig_claim *c) {
        free(c->manifest_digest);
        free(c->docker_reference);
        *c = (struct sig_claim){0};
}

static const char *member_string(struct json_object *o, const char *obj, const char *key) {
        struct json_object *inner = NULL, *v = NULL;
        if (!json_object_object_get_ex(o, obj, &inner) || !json_object_is_type(inner, json_type_object) ||
            json_object_object_length(inner) != 1 || !json_object_object_get_ex(inner, key, &v) ||
            !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

int sig_payload_parse(const char *data, size_t len, const char *type, struct sig_claim *ret, struct cric_error **err) {
        AUTOJSON struct json_object *doc = NULL;
        if (json_parse_object(data, len, "signature payload", &doc, err) < 0)
                return -1;
        struct json_object *critical = NULL, *t = NULL;
        if (!json_object_object_get_ex(doc, "critical", &critical) || !json_object_is_type(critical, json_type_object))
                return cric_error_set(err, CRIC_E_INVALID, "signature payload: no \"critical\" object");
        if (json_object_object_length(critical) != 3)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "signature payload: \"critical\" must hold exactly type, image and identity");
        if (!json_object_object_get_ex(critical, "type", &t) || !json_object_is_type(t, json_type_string) ||
            strcmp(json_object_get_string(t), type) != 0)
                return cric_error_set(err, CRIC_E_INVALID, "signature payload: critical.type is not \"%s\"", type);
        const char *digest = member_string(critical, "image", "docker-manifest-digest");
        const char *reference = member_string(critical, "identity", "docker-reference");
        if (!digest || !reference)
                return cric_error_set(err, CRIC_E_INVALID,
                                      "signature payload: critical.image.docker-manifest-digest or "
                                      "critical.identity.docker-reference is missing");
        if (!digest_is_valid(digest))
                return cric_error_set(err, CRIC_E_INVALID, "signature payload: \"%s\" is not a digest", digest);
        ret->manifest_digest = xstrdup(digest);
        ret->docker_reference = xstrdup(reference);
        return 0;
}
