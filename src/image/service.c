/* The image service object: lookups, removal, usage, and the in-flight layer set. */
#include <stdlib.h>
#include <string.h>

#include "image/internal.h"
#include "image/ref.h"
#include "image/registries.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

void inflight_claim(struct image_service *svc, char *const *chains) {
        pthread_mutex_lock(&svc->lock);
        for (;;) {
                bool busy = false;
                for (size_t i = 0; chains && chains[i] && !busy; i++)
                        busy = strv_contains(svc->inflight, chains[i]);
                if (!busy)
                        break;
                pthread_cond_wait(&svc->changed, &svc->lock);
        }
        for (size_t i = 0; chains && chains[i]; i++)
                strv_push(&svc->inflight, chains[i]);
        pthread_mutex_unlock(&svc->lock);
}

void inflight_release(struct image_service *svc, char *const *chains) {
        pthread_mutex_lock(&svc->lock);
        for (size_t i = 0; chains && chains[i]; i++)
                strv_remove(svc->inflight, chains[i]);
        pthread_cond_broadcast(&svc->changed);
        pthread_mutex_unlock(&svc->lock);
}

/* Layers no image uses were committed by a pull that died before its image was:
 * drop them, children before parents (a parent stays in use while a child names it). */
static int drop_unused_layers(struct image_service *svc, char **chains, struct cric_error **err) {
        bool dropped = true;
        while (dropped) {
                dropped = false;
                for (size_t i = 0; chains && chains[i]; i++) {
                        bool used = true;
                        if (!*chains[i])
                                continue; /* dropped in an earlier pass */
                        if (store_layer_in_use(svc->db, chains[i], &used, err) < 0)
                                return -1;
                        if (used)
                                continue;
                        log_info("storage: removing layer %s that no image uses", chains[i]);
                        if (store_layer_delete(svc->db, chains[i], err) < 0 ||
                            layer_store_remove(svc->ls, chains[i], err) < 0)
                                return -1;
                        chains[i][0] = '\0';
                        dropped = true;
                }
        }
        return 0;
}

/* Removes layer directories without a row, and rows without a directory (both
 * happen when the daemon dies between the two steps of a commit or a removal). */
static int reconcile(struct image_service *svc, struct cric_error **err) {
        CLEANUP(strv_freep) char **rows = NULL;
        if (store_layer_list(svc->db, &rows, err) < 0)
                return -1;
        CLEANUP(strv_freep) char **keep = NULL;
        for (size_t i = 0; rows[i]; i++) {
                if (layer_store_has(svc->ls, rows[i])) {
                        strv_push(&keep, rows[i]);
                        continue;
                }
                log_warn("storage: layer %s has no directory; dropping its row", rows[i]);
                if (store_layer_delete(svc->db, rows[i], err) < 0)
                        return -1;
        }
        if (layer_store_gc(svc->ls, keep, err) < 0)
                return -1;
        return drop_unused_layers(svc, keep, err);
}

static struct image_service *service_new(struct store *db, struct layer_store *ls,
                                         const struct image_service_opts *opts) {
        struct image_service *svc = xzalloc(sizeof(*svc));
        svc->db = db;
        svc->ls = ls;
        svc->registries_conf = xstrdup(opts->registries_conf ? opts->registries_conf : "");
        svc->auth_file = opts->auth_file && *opts->auth_file ? xstrdup(opts->auth_file) : NULL;
        svc->certs_dir = opts->certs_dir ? xstrdup(opts->certs_dir) : NULL;
        svc->insecure_registries = strv_copy(opts->insecure_registries);
        svc->max_parallel_layers = opts->max_parallel_layers ? opts->max_parallel_layers : 3;
        svc->signature_policy =
                opts->signature_policy && *opts->signature_policy ? xstrdup(opts->signature_policy) : NULL;
        svc->signature_policy_is_default = opts->signature_policy_is_default;
        svc->signature_policy_dir = xstrdup(opts->signature_policy_dir ? opts->signature_policy_dir : "");
        svc->registries_d = xstrdup(opts->registries_d ? opts->registries_d : "/etc/containers/registries.d");
        svc->tmp_dir = xstrdup(opts->tmp_dir ? opts->tmp_dir : "/tmp");
        svc->pull_helper = opts->pull_helper && *opts->pull_helper ? xstrdup(opts->pull_helper) : NULL;
        svc->sink = &pull_sink_local;
        svc->sink_ctx = svc;
        pthread_mutex_init(&svc->lock, NULL);
        pthread_cond_init(&svc->changed, NULL);
        return svc;
}

int image_service_new(struct store *db, struct layer_store *ls, const struct image_service_opts *opts,
                      struct image_service **ret, struct cric_error **err) {
        struct image_service *svc = service_new(db, ls, opts);
        if (reconcile(svc, err) < 0) {
                image_service_free(svc);
                return cric_error_prefix(err, "image store");
        }
        *ret = svc;
        return 0;
}

struct image_service *image_service_new_detached(struct layer_store *ls, const struct image_service_opts *opts,
                                                 const struct pull_sink *sink, void *sink_ctx) {
        struct image_service *svc = service_new(NULL, ls, opts);
        svc->pull_helper = (free(svc->pull_helper), NULL); /* a helper pulls by itself */
        svc->sink = sink;
        svc->sink_ctx = sink_ctx;
        return svc;
}

const char *image_service_storage_driver(const struct image_service *svc) {
        return storage_driver_name(layer_store_driver(svc->ls));
}

struct image_service *image_service_free(struct image_service *svc) {
        if (!svc)
                return NULL;
        free(svc->registries_conf);
        free(svc->auth_file);
        free(svc->certs_dir);
        free(svc->signature_policy);
        free(svc->signature_policy_dir);
        free(svc->registries_d);
        free(svc->tmp_dir);
        free(svc->pull_helper);
        strv_free(svc->insecure_registries);
        strv_free(svc->inflight);
        pthread_mutex_destroy(&svc->lock);
        pthread_cond_destroy(&svc->changed);
        free(svc);
        return NULL;
}

void image_service_freep(struct image_service **svc) {
        if (svc)
                *svc = image_service_free(*svc);
}

/* The key as the store knows it: "sha256:<id>" -> id; names normalized. NULL when
 * the key is used as is (id, id prefix). */
static char *normalize_key(const char *key, bool *ret_is_tag) {
        *ret_is_tag = false;
        if (!strncmp(key, "sha256:", 7) && image_id_is_valid(key + 7))
                return xstrdup(key + 7);
        CLEANUP(image_ref_freep) struct image_ref *ref = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (image_ref_parse(key, &ref, &err) < 0)
                return NULL;
        if (ref->digest)
                return image_ref_with_digest(ref, ref->digest);
        *ret_is_tag = true;
        return image_ref_tagged(ref);
}

/* A short name ("busybox") names the image pulled through the search registries or
 * an alias of registries.conf, as the pull resolved it. */
static int find_short_name(struct image_service *svc, const char *key, struct image_row **ret, char **ret_name) {
        CLEANUP(registries_conf_freep) struct registries_conf *regs = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        struct image_ref **names = NULL;
        size_t n = 0;
        if (registries_conf_load(svc->registries_conf, &regs, &err) < 0 ||
            registries_expand_local(regs, key, &names, &n, &err) < 0)
                return -1;
        int r = -1;
        for (size_t i = 0; i < n; i++) {
                AUTOFREE char *name = names[i]->digest ? image_ref_with_digest(names[i], names[i]->digest)
                                                       : image_ref_tagged(names[i]);
                if (r < 0 && name && store_image_find(svc->db, name, ret, NULL) == 0) {
                        r = 0;
                        *ret_name = STEAL_PTR(name);
                }
                image_ref_free(names[i]);
        }
        free(names);
        return r;
}

int image_lookup_name(struct image_service *svc, const char *key, struct image_row **ret, char **ret_name,
                      struct cric_error **err) {
        *ret_name = NULL;
        if (!key || !*key)
                return cric_error_set(err, CRIC_E_INVALID, "no image given");
        CLEANUP(cric_error_freep) struct cric_error *first = NULL;
        if (store_image_find(svc->db, key, ret, &first) == 0) {
                *ret_name = xstrdup(key);
                return 0;
        }
        if (first->kind != CRIC_E_NOT_FOUND)
                return cric_error_move(err, &first);
        bool is_tag;
        AUTOFREE char *norm = normalize_key(key, &is_tag);
        if (norm && strcmp(norm, key) && store_image_find(svc->db, norm, ret, NULL) == 0) {
                *ret_name = STEAL_PTR(norm);
                return 0;
        }
        if (find_short_name(svc, key, ret, ret_name) == 0)
                return 0;
        return cric_error_set(err, CRIC_E_NOT_FOUND, "image %s not found", key);
}

int image_lookup(struct image_service *svc, const char *key, struct image_row **ret, struct cric_error **err) {
        AUTOFREE char *name = NULL;
        return image_lookup_name(svc, key, ret, &name, err);
}

int image_list(struct image_service *svc, struct image_row ***ret, size_t *ret_n, struct cric_error **err) {
        return store_image_list(svc->db, ret, ret_n, err);
}

/* Drops the image's layers that nothing else uses, top first (a layer is in use
 * while a child layer still names it as parent). */
void image_free_layers(struct image_service *svc, char *const *chains) {
        for (size_t i = strv_length(chains); i-- > 0;) {
                CLEANUP(cric_error_freep) struct cric_error *err = NULL;
                bool used = true;
                if (store_layer_in_use(svc->db, chains[i], &used, &err) < 0 || used)
                        continue;
                if (store_layer_delete(svc->db, chains[i], &err) < 0 ||
                    layer_store_remove(svc->ls, chains[i], &err) < 0) {
                        cric_error_log_free(&err, "remove layer %s, leaving it for the next start", chains[i]);
                        continue;
                }
                log_debug("removed layer %s", chains[i]);
        }
}

int image_remove(struct image_service *svc, const struct image_row *img, const char *name, struct cric_error **err) {
        /* One tag of several goes alone; an id, a digest or the last tag take the image. */
        if (name && strv_contains(img->repo_tags, name) && strv_length(img->repo_tags) > 1) {
                log_info("untagged %s from image %.12s", name, img->id);
                return store_image_untag(svc->db, name, err);
        }
        /* Layers in use by a pull in flight are not freed under it. */
        inflight_claim(svc, img->layers);
        int r = store_image_delete(svc->db, img->id, err);
        if (r == 0)
                image_free_layers(svc, img->layers);
        inflight_release(svc, img->layers);
        if (r == 0)
                log_info("removed image %.12s", img->id);
        return r;
}

int image_fs_usage(struct image_service *svc, uint64_t *ret_bytes, uint64_t *ret_inodes, const char **ret_path,
                   struct cric_error **err) {
        if (layer_store_usage(svc->ls, ret_bytes, ret_inodes, err) < 0)
                return -1;
        *ret_path = layer_store_root(svc->ls);
        return 0;
}
