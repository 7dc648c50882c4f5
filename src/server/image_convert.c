#include "server/image_convert.h"

#include <ctype.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "image/image_config.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/xalloc.h"

static char **copy_strv(char **v, size_t *ret_n) {
        *ret_n = strv_length(v);
        char **r = xcalloc(*ret_n ? *ret_n : 1, sizeof(char *));
        for (size_t i = 0; i < *ret_n; i++)
                r[i] = xstrdup(v[i]);
        return r;
}

static bool all_digits(const char *s, size_t n) {
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isdigit((unsigned char) s[i]))
                        return false;
        return true;
}

/* The CRI splits the image's User into a numeric uid or a user name; the group part
 * is not reported. An empty User means root (uid 0). */
static void set_user(Runtime__V1__Image *out, const char *user) {
        const char *u = user ? user : "";
        size_t n = strcspn(u, ":");
        if (n == 0 || all_digits(u, n)) {
                out->uid = xmalloc(sizeof(*out->uid));
                runtime__v1__int64_value__init(out->uid);
                out->uid->value = n ? strtoll(u, NULL, 10) : 0;
                return;
        }
        out->username = xstrndup(u, n);
}

const char *image_pinned_by(const struct image_row *img, char *const *pinned) {
        for (; pinned && *pinned; pinned++) {
                if (!fnmatch(*pinned, img->id, 0))
                        return *pinned;
                for (char **t = img->repo_tags; t && *t; t++)
                        if (!fnmatch(*pinned, *t, 0))
                                return *pinned;
        }
        return NULL;
}

Runtime__V1__Image *image_to_proto(const struct image_row *img, char *const *pinned) {
        Runtime__V1__Image *out = xmalloc(sizeof(*out));
        runtime__v1__image__init(out);
        out->id = xstrdup(img->id);
        out->repo_tags = copy_strv(img->repo_tags, &out->n_repo_tags);
        out->repo_digests = copy_strv(img->repo_digests, &out->n_repo_digests);
        out->size = img->size > 0 ? (uint64_t) img->size : 1; /* the CRI wants non-zero */
        out->pinned = img->pinned || image_pinned_by(img, pinned);
        out->spec = xmalloc(sizeof(*out->spec));
        runtime__v1__image_spec__init(out->spec);
        out->spec->image = xstrdup(img->id);
        CLEANUP(image_config_freep) struct image_config *cfg = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        const char *user = NULL;
        if (img->config_json && image_config_parse(img->config_json, strlen(img->config_json), &cfg, &err) == 0)
                user = cfg->user;
        set_user(out, user);
        return out;
}

char *image_verbose_info(const struct image_row *img) {
        AUTOJSON json_object *o = jx_object();
        jx_add(o, "id", jx_string(img->id));
        jx_add(o, "manifestDigest", jx_string(img->manifest_digest ? img->manifest_digest : ""));
        jx_add(o, "layers", jx_strv(img->layers));
        jx_add(o, "pulledAt", jx_int64(img->pulled_at_ns));
        /* The blob was checked when it was pulled; one stored by an older cricd may not parse. */
        json_object *spec = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (img->config_json &&
            json_parse_object(img->config_json, strlen(img->config_json), "image config", &spec, &err) < 0)
                cric_error_log_free(&err, "image %s", img->id);
        jx_add(o, "imageSpec", spec ? spec : jx_object());
        return jx_dump(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}
