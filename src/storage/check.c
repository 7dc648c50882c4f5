/* `cricd check`: the layer store against the metadata database.
 *
 * Problems, one report line each: a layer row without its directory, a layer whose
 * tree no longer matches the checksums recorded at pull (layer_sums.c), an image that
 * uses such a layer (or one without a row), a container whose image is gone or
 * damaged, and directories under layers/ and containers/ without a row. Repair removes
 * the damaged layers and every image using them (rows and directories) and the orphan
 * directories; a container whose image is gone is only reported: the kubelet owns it. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/check.h"
#include "util/cleanup.h"
#include "util/rm.h"
#include "util/strv.h"
#include "util/xalloc.h"

struct check {
        struct store *db;
        struct layer_store *ls;
        const struct storage_check_opts *o;
        struct storage_check_result *res;
        char **layer_rows; /* chain ids with a row */
        char **bad_layers; /* chain ids: missing or damaged */
        char **bad_images; /* image ids */
        char **orphans;    /* directories without a row */
};

static void say(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct check *c, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        AUTOFREE char *line = NULL;
        if (vasprintf(&line, fmt, ap) < 0)
                line = NULL;
        va_end(ap);
        if (line && c->o->report)
                c->o->report(c->o->data, line);
}

/* The first 12 hex digits of id (after "sha256:"), in a buffer the next call reuses. */
static const char *short_id(const char *id) {
        static __thread char buf[13];
        const char *colon = strchr(id, ':');
        snprintf(buf, sizeof(buf), "%s", colon ? colon + 1 : id);
        return buf;
}

/* The name an image is known by: its first tag, else its first digest, else its id. */
static char *image_label(const struct image_row *img) {
        const char *name = img->repo_tags && img->repo_tags[0]         ? img->repo_tags[0]
                           : img->repo_digests && img->repo_digests[0] ? img->repo_digests[0]
                                                                       : NULL;
        return name ? xasprintf("%s (%s)", name, short_id(img->id)) : xstrdup(short_id(img->id));
}

static int check_layer(struct check *c, const char *chain, struct cric_error **err) {
        CLEANUP(layer_row_freep) struct layer_row *row = NULL;
        if (store_layer_get(c->db, chain, &row, err) < 0)
                return -1;
        c->res->n_layers++;
        if (!layer_store_has(c->ls, chain)) {
                AUTOFREE char *p = layer_store_diff_path(c->ls, chain);
                say(c, "layer %s (chain %s): directory %s is missing", row->diff_id, short_id(chain), p);
                strv_push(&c->bad_layers, chain);
                c->res->n_problems++;
                return 0;
        }
        AUTOFREE char *problem = NULL;
        int r = layer_store_verify(c->ls, chain, row->diff_id, c->o->is_full, &problem, err);
        if (r < 0)
                return cric_error_prefix(err, "layer %s", row->diff_id);
        if (r == LAYER_VERIFY_UNRECORDED) {
                c->res->n_unverified++;
                return 0;
        }
        if (r == LAYER_VERIFY_DAMAGED) {
                say(c, "layer %s (chain %s): content damaged: %s", row->diff_id, short_id(chain), problem);
                strv_push(&c->bad_layers, chain);
                c->res->n_problems++;
        }
        return 0;
}

/* A layer whose parent is bad is unusable too: its chain id names the parent. */
static void spread_to_children(struct check *c, struct cric_error **err) {
        bool changed = true;
        while (changed) {
                changed = false;
                for (size_t i = 0; c->layer_rows[i]; i++) {
                        if (strv_contains(c->bad_layers, c->layer_rows[i]))
                                continue;
                        CLEANUP(layer_row_freep) struct layer_row *row = NULL;
                        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
                        if (store_layer_get(c->db, c->layer_rows[i], &row, &e) < 0)
                                continue;
                        if (row->parent_chain_id && strv_contains(c->bad_layers, row->parent_chain_id)) {
                                strv_push(&c->bad_layers, c->layer_rows[i]);
                                changed = true;
                        }
                }
        }
        (void) err;
}

static void check_images(struct check *c, struct image_row **imgs, size_t n) {
        for (size_t i = 0; i < n; i++) {
                const struct image_row *img = imgs[i];
                c->res->n_images++;
                for (size_t j = 0; img->layers && img->layers[j]; j++) {
                        const char *l = img->layers[j];
                        const char *why = !strv_contains(c->layer_rows, l)  ? "has no record"
                                          : strv_contains(c->bad_layers, l) ? "is missing or damaged"
                                                                            : NULL;
                        if (!why)
                                continue;
                        AUTOFREE char *label = image_label(img);
                        CLEANUP(layer_row_freep) struct layer_row *row = NULL;
                        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
                        bool has_row = store_layer_get(c->db, l, &row, &e) == 0;
                        say(c, "image %s: layer %s %s", label, has_row ? row->diff_id : l, why);
                        strv_push(&c->bad_images, img->id);
                        c->res->n_problems++;
                        break;
                }
        }
}

static void check_containers(struct check *c, struct image_row **imgs, size_t n_imgs, struct container_row **ctrs,
                             size_t n) {
        for (size_t i = 0; i < n; i++) {
                const struct container_row *ct = ctrs[i];
                bool found = false;
                for (size_t j = 0; j < n_imgs && !found; j++)
                        found = !strcmp(imgs[j]->id, ct->image_id);
                const char *why = !found ? "is gone" : strv_contains(c->bad_images, ct->image_id) ? "is damaged" : NULL;
                if (!why)
                        continue;
                char ctr_id[13];
                snprintf(ctr_id, sizeof(ctr_id), "%s", ct->id);
                say(c, "container %s (%s): its image %s %s; remove the container through the CRI", ctr_id, ct->name,
                    short_id(ct->image_id), why);
                c->res->n_problems++;
                c->res->n_unrepairable++;
        }
}

/* Entries of root/sub that are not in rows (as "sha256:<name>" for layers). */
static void find_orphans(struct check *c, const char *sub, char **rows, bool is_layers) {
        AUTOFREE char *dir = xasprintf("%s/%s", layer_store_root(c->ls), sub);
        AUTOCLOSEDIR DIR *d = opendir(dir);
        if (!d)
                return;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                AUTOFREE char *key = is_layers ? xasprintf("sha256:%s", de->d_name) : xstrdup(de->d_name);
                if (strv_contains(rows, key))
                        continue;
                AUTOFREE char *path = xasprintf("%s/%s", dir, de->d_name);
                say(c, "orphan %s: %s without a database row", path,
                    is_layers ? "layer directory" : "container directory");
                strv_push(&c->orphans, path);
                c->res->n_problems++;
        }
}

static int repair(struct check *c, struct cric_error **err) {
        for (size_t i = 0; c->bad_images && c->bad_images[i]; i++) {
                if (store_image_delete(c->db, c->bad_images[i], err) < 0)
                        return -1;
                say(c, "removed image %s", short_id(c->bad_images[i]));
                c->res->n_repaired++;
        }
        /* Children first: the parent a child names goes last. */
        for (size_t i = strv_length(c->bad_layers); i-- > 0;) {
                const char *l = c->bad_layers[i];
                bool used = false;
                if (store_layer_in_use(c->db, l, &used, err) < 0)
                        return -1;
                if (used) /* an image we did not find bad still names it: leave it, reported */
                        continue;
                if (store_layer_delete(c->db, l, err) < 0 || layer_store_remove(c->ls, l, err) < 0)
                        return -1;
                say(c, "removed layer %s", l);
                c->res->n_repaired++;
        }
        for (size_t i = 0; c->orphans && c->orphans[i]; i++) {
                if (rm_rf(c->orphans[i], err) < 0)
                        return -1;
                say(c, "removed %s", c->orphans[i]);
                c->res->n_repaired++;
        }
        return 0;
}

static int run(struct check *c, struct cric_error **err) {
        if (store_layer_list(c->db, &c->layer_rows, err) < 0)
                return -1;
        for (size_t i = 0; c->layer_rows[i]; i++)
                if (check_layer(c, c->layer_rows[i], err) < 0)
                        return -1;
        spread_to_children(c, err);
        struct image_row **imgs = NULL;
        size_t n_imgs = 0;
        if (store_image_list(c->db, &imgs, &n_imgs, err) < 0)
                return -1;
        check_images(c, imgs, n_imgs);
        struct container_row **ctrs = NULL;
        size_t n_ctrs = 0;
        if (store_container_list(c->db, NULL, &ctrs, &n_ctrs, err) < 0) {
                image_rows_free(imgs, n_imgs);
                return -1;
        }
        check_containers(c, imgs, n_imgs, ctrs, n_ctrs);
        CLEANUP(strv_freep) char **ctr_ids = NULL;
        for (size_t i = 0; i < n_ctrs; i++)
                strv_push(&ctr_ids, ctrs[i]->id);
        image_rows_free(imgs, n_imgs);
        container_rows_free(ctrs, n_ctrs);
        find_orphans(c, "layers", c->layer_rows, true);
        if (!c->o->skip_container_dirs)
                find_orphans(c, "containers", ctr_ids, false);
        return c->o->repair ? repair(c, err) : 0;
}

int storage_check(struct store *db, struct layer_store *ls, const struct storage_check_opts *o,
                  struct storage_check_result *ret, struct cric_error **err) {
        struct storage_check_result res = {0};
        struct check c = {.db = db, .ls = ls, .o = o, .res = &res};
        int r = run(&c, err);
        strv_free(c.layer_rows);
        strv_free(c.bad_layers);
        strv_free(c.bad_images);
        strv_free(c.orphans);
        if (r < 0)
                return -1;
        *ret = res;
        return 0;
}
