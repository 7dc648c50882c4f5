/* The layers table. */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define STMT CLEANUP(store_finalizep) sqlite3_stmt

int store_layer_get(struct store *s, const char *chain_id, struct layer_row **ret, struct cric_error **err) {
        STORE_LOCKED(s);
        STMT *st = store_prepare(
                s, "SELECT parent, diff_id, digest, size, compressed_size FROM layers WHERE chain_id = ?", err);
        if (!st)
                return -1;
        store_bind_text(st, 1, chain_id);
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
                return cric_error_set(err, CRIC_E_NOT_FOUND, "layer %s not found", chain_id);
        if (r != SQLITE_ROW)
                return store_sql_error(s, err, "get layer");
        struct layer_row *l = xzalloc(sizeof(*l));
        l->chain_id = xstrdup(chain_id);
        l->parent_chain_id = store_column_strdup(st, 0);
        l->diff_id = store_column_strdup(st, 1);
        l->digest = store_column_strdup(st, 2);
        l->size = sqlite3_column_int64(st, 3);
        l->compressed_size = sqlite3_column_int64(st, 4);
        *ret = l;
        return 0;
}

int store_layer_put(struct store *s, const struct layer_row *l, struct cric_error **err) {
        STORE_LOCKED(s);
        STMT *st = store_prepare(s,
                                 "INSERT OR REPLACE INTO layers (chain_id, parent, diff_id, digest, size, "
                                 "compressed_size) VALUES (?, ?, ?, ?, ?, ?)",
                                 err);
        if (!st)
                return -1;
        store_bind_text(st, 1, l->chain_id);
        store_bind_text(st, 2, l->parent_chain_id);
        store_bind_text(st, 3, l->diff_id);
        store_bind_text(st, 4, l->digest);
        sqlite3_bind_int64(st, 5, l->size);
        sqlite3_bind_int64(st, 6, l->compressed_size);
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_error(s, err, "put layer");
        return 0;
}

int store_layer_list(struct store *s, char ***ret, struct cric_error **err) {
        STORE_LOCKED(s);
        STMT *st = store_prepare(s, "SELECT chain_id FROM layers ORDER BY chain_id", err);
        if (!st)
                return -1;
        CLEANUP(strv_freep) char **ids = xcalloc(1, sizeof(char *));
        int r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW)
                strv_push_take(&ids, store_column_strdup(st, 0));
        if (r != SQLITE_DONE)
                return store_sql_error(s, err, "list layers");
        *ret = STEAL_PTR(ids);
        return 0;
}

int store_layer_in_use(struct store *s, const char *chain_id, bool *ret, struct cric_error **err) {
        STORE_LOCKED(s);
        STMT *st = store_prepare(s,
                                 "SELECT EXISTS (SELECT 1 FROM image_layers WHERE chain_id = ?1) OR "
                                 "EXISTS (SELECT 1 FROM layers WHERE parent = ?1)",
                                 err);
        if (!st)
                return -1;
        store_bind_text(st, 1, chain_id);
        if (sqlite3_step(st) != SQLITE_ROW)
                return store_sql_error(s, err, "check layer use");
        *ret = sqlite3_column_int(st, 0) != 0;
        return 0;
}

int store_layer_delete(struct store *s, const char *chain_id, struct cric_error **err) {
        STORE_LOCKED(s);
        STMT *st = store_prepare(s, "DELETE FROM layers WHERE chain_id = ?", err);
        if (!st)
                return -1;
        store_bind_text(st, 1, chain_id);
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_error(s, err, "delete layer");
        return 0;
}

struct layer_row *layer_row_free(struct layer_row *l) {
        if (l) {
                free(l->chain_id);
                free(l->parent_chain_id);
                free(l->diff_id);
                free(l->digest);
                free(l);
        }
        return NULL;
}

void layer_row_freep(struct layer_row **l) {
        if (l)
                *l = layer_row_free(*l);
}
