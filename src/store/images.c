/* The images table, with its names (repo tags and digests) and its layer list. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define STMT CLEANUP(store_finalizep) sqlite3_stmt

static int put_names(struct store *s, const char *id, char **names, int is_digest, struct cric_error **err) {
        STMT *st = store_prepare(s, "INSERT OR REPLACE INTO image_names (name, image_id, is_digest) VALUES (?, ?, ?)",
                                 err);
        if (!st)
                return -1;
        for (; names && *names; names++) {
                sqlite3_reset(st);
                store_bind_text(st, 1, *names);
                store_bind_text(st, 2, id);
                sqlite3_bind_int(st, 3, is_digest);
                if (sqlite3_step(st) != SQLITE_DONE)
                        return store_sql_error(s, err, "put image name");
        }
        return 0;
}

static int put_layers(struct store *s, const struct image_row *img, struct cric_error **err) {
        STMT *del = store_prepare(s, "DELETE FROM image_layers WHERE image_id = ?", err);
        if (!del)
                return -1;
        store_bind_text(del, 1, img->id);
        if (sqlite3_step(del) != SQLITE_DONE)
                return store_sql_error(s, err, "reset image layers");
        STMT *st = store_prepare(s, "INSERT INTO image_layers (image_id, idx, chain_id) VALUES (?, ?, ?)", err);
        if (!st)
                return -1;
        for (size_t i = 0; img->layers && img->layers[i]; i++) {
                sqlite3_reset(st);
                store_bind_text(st, 1, img->id);
                sqlite3_bind_int64(st, 2, (sqlite3_int64) i);
                store_bind_text(st, 3, img->layers[i]);
                if (sqlite3_step(st) != SQLITE_DONE)
                        return store_sql_error(s, err, "put image layer");
        }
        return 0;
}

static int put_image_locked(struct store *s, const struct image_row *img, struct cric_error **err) {
        STMT *st = store_prepare(s,
                                 "INSERT INTO images (id, config, manifest_digest, size, pulled_at, pinned) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(id) DO UPDATE SET "
                                 "config = ?2, manifest_digest = ?3, size = ?4, pulled_at = ?5, pinned = ?6",
                                 err);
        if (!st)
                return -1;
        store_bind_text(st, 1, img->id);
        store_bind_text(st, 2, img->config_json);
        store_bind_text(st, 3, img->manifest_digest);
        sqlite3_bind_int64(st, 4, img->size);
        sqlite3_bind_int64(st, 5, img->pulled_at_ns);
        sqlite3_bind_int(st, 6, img->pinned);
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_error(s, err, "put image");
        if (put_layers(s, img, err) < 0 || put_names(s, img->id, img->repo_tags, 0, err) < 0 ||
            put_names(s, img->id, img->repo_digests, 1, err) < 0)
                return -1;
        return 0;
}

int store_image_put(struct store *s, const struct image_row *img, struct cric_error **err) {
        STORE_LOCKED(s);
        if (store_exec(s, "BEGIN IMMEDIATE", err) < 0)
                return -1;
        if (put_image_locked(s, img, err) < 0) {
                store_exec(s, "ROLLBACK", NULL);
                return cric_error_prefix(err, "store image %s", img->id);
        }
        if (store_exec(s, "COMMIT", err) < 0) {
                store_exec(s, "ROLLBACK", NULL);
                return -1;
        }
        return 0;
}

/* Fills names and layers of an image row. Called with the lock held. */
static int load_details(struct store *s, struct image_row *img, struct cric_error **err) {
        STMT *names = store_prepare(s, "SELECT name, is_digest FROM image_names WHERE image_id = ? ORDER BY name", err);
        if (!names)
                return -1;
        store_bind_text(names, 1, img->id);
        img->repo_tags = xcalloc(1, sizeof(char *));
        img->repo_digests = xcalloc(1, sizeof(char *));
        int r;
        while ((r = sqlite3_step(names)) == SQLITE_ROW)
                strv_push_take(sqlite3_column_int(names, 1) ? &img->repo_digests : &img->repo_tags,
                               store_column_strdup(names, 0));
        if (r != SQLITE_DONE)
                return store_sql_error(s, err, "load image names");
        STMT *layers = store_prepare(s, "SELECT chain_id FROM image_layers WHERE image_id = ? ORDER BY idx", err);
        if (!layers)
                return -1;
        store_bind_text(layers, 1, img->id);
        img->layers = xcalloc(1, sizeof(char *));
        while ((r = sqlite3_step(layers)) == SQLITE_ROW)
                strv_push_take(&img->layers, store_column_strdup(layers, 0));
        if (r != SQLITE_DONE)
                return store_sql_error(s, err, "load image layers");
        return 0;
}

#define IMAGE_COLUMNS "id, config, manifest_digest, size, pulled_at, pinned"

static struct image_row *row_from_stmt(sqlite3_stmt *st) {
        struct image_row *img = xzalloc(sizeof(*img));
        img->id = store_column_strdup(st, 0);
        img->config_json = store_column_strdup(st, 1);
        img->manifest_digest = store_column_strdup(st, 2);
        img->size = sqlite3_column_int64(st, 3);
        img->pulled_at_ns = sqlite3_column_int64(st, 4);
        img->pinned = sqlite3_column_int(st, 5) != 0;
        return img;
}

static bool is_hex_prefix(const char *key) {
        size_t n = strlen(key);
        if (n < 3 || n > 64)
                return false;
        for (const char *p = key; *p; p++)
                if (!isdigit((unsigned char) *p) && !(*p >= 'a' && *p <= 'f'))
                        return false;
        return true;
}

/* Resolves key to an image id: exact id, then name, then unique id prefix. */
static int resolve_id(struct store *s, const char *key, char **ret_id, struct cric_error **err) {
        STMT *st = store_prepare(s,
                                 "SELECT id FROM images WHERE id = ?1 UNION ALL "
                                 "SELECT image_id FROM image_names WHERE name = ?1",
                                 err);
        if (!st)
                return -1;
        store_bind_text(st, 1, key);
        if (sqlite3_step(st) == SQLITE_ROW) {
                *ret_id = store_column_strdup(st, 0);
                return 0;
        }
        if (!is_hex_prefix(key))
                return cric_error_set(err, CRIC_E_NOT_FOUND, "image %s not found", key);
        STMT *pre = store_prepare(s, "SELECT id FROM images WHERE substr(id, 1, length(?1)) = ?1 LIMIT 2", err);
        if (!pre)
                return -1;
        store_bind_text(pre, 1, key);
        if (sqlite3_step(pre) != SQLITE_ROW)
                return cric_error_set(err, CRIC_E_NOT_FOUND, "image %s not found", key);
        AUTOFREE char *id = store_column_strdup(pre, 0);
        if (sqlite3_step(pre) == SQLITE_ROW)
                return cric_error_set(err, CRIC_E_INVALID, "image id prefix %s is ambiguous", key);
        *ret_id = STEAL_PTR(id);
        return 0;
}

static int load_image(struct store *s, const char *id, struct image_row **ret, struct cric_error **err) {
        STMT *st = store_prepare(s, "SELECT " IMAGE_COLUMNS " FROM images WHERE id = ?", err);
        if (!st)
                return -1;
        store_bind_text(st, 1, id);
        if (sqlite3_step(st) != SQLITE_ROW)
                return cric_error_set(err, CRIC_E_NOT_FOUND, "image %s not found", id);
        CLEANUP(image_row_freep) struct image_row *img = row_from_stmt(st);
        if (load_details(s, img, err) < 0)
                return -1;
        *ret = STEAL_PTR(img);
        return 0;
}

int store_image_find(struct store *s, const char *key, struct image_row **ret, struct cric_error **err) {
        STORE_LOCKED(s);
        AUTOFREE char *id = NULL;
        if (resolve_id(s, key, &id, err) < 0)
                return -1;
        return load_image(s, id, ret, err);
}

int store_image_list(struct store *s, struct image_row ***ret, size_t *ret_n, struct cric_error **err) {
        STORE_LOCKED(s);
        STMT *st = store_prepare(s, "SELECT " IMAGE_COLUMNS " FROM images ORDER BY pulled_at, id", err);
        if (!st)
                return -1;
        struct image_row **rows = NULL;
        size_t n = 0, cap = 0;
        int r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                rows = xgrow(rows, &cap, n + 1, sizeof(*rows));
                rows[n++] = row_from_stmt(st);
        }
        for (size_t i = 0; r == SQLITE_DONE && i < n; i++)
                if (load_details(s, rows[i], err) < 0)
                        r = SQLITE_ERROR;
        if (r != SQLITE_DONE) {
                image_rows_free(rows, n);
                return err && *err ? -1 : store_sql_error(s, err, "list images");
        }
        *ret = rows;
        *ret_n = n;
        return 0;
}

static int delete_where(struct store *s, const char *sql, const char *key, struct cric_error **err) {
        STMT *st = store_prepare(s, sql, err);
        if (!st)
                return -1;
        store_bind_text(st, 1, key);
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_error(s, err, "delete");
        return 0;
}

int store_image_untag(struct store *s, const char *repo_tag, struct cric_error **err) {
        STORE_LOCKED(s);
        return delete_where(s, "DELETE FROM image_names WHERE name = ? AND is_digest = 0", repo_tag, err);
}

int store_image_delete(struct store *s, const char *id, struct cric_error **err) {
        STORE_LOCKED(s);
        /* ON DELETE CASCADE removes names and the layer list in the same statement. */
        return delete_where(s, "DELETE FROM images WHERE id = ?", id, err);
}

struct image_row *image_row_free(struct image_row *i) {
        if (i) {
                free(i->id);
                free(i->config_json);
                free(i->manifest_digest);
                strv_free(i->repo_tags);
                strv_free(i->repo_digests);
                strv_free(i->layers);
                free(i);
        }
        return NULL;
}

void image_row_freep(struct image_row **i) {
        if (i)
                *i = image_row_free(*i);
}

void image_rows_free(struct image_row **rows, size_t n) {
        for (size_t i = 0; i < n; i++)
                image_row_free(rows[i]);
        free(rows);
}
