/* Private to store/. */
#ifndef CRIC_STORE_INTERNAL_H
#define CRIC_STORE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>

#include "store/store.h"

struct store {
        sqlite3 *db;
        char *path;
        pthread_mutex_t lock;
};

/* Turns the connection's last error into *err, prefixed with what was being done. */
int store_sql_error(struct store *s, struct cric_error **err, const char *what);
/* Prepares sql; NULL with *err set on failure. */
sqlite3_stmt *store_prepare(struct store *s, const char *sql, struct cric_error **err);
/* Runs a statement without results. */
int store_exec(struct store *s, const char *sql, struct cric_error **err);
/* Column text as a heap copy, NULL for SQL NULL. */
char *store_column_strdup(sqlite3_stmt *st, int col);
void store_bind_text(sqlite3_stmt *st, int idx, const char *s);
void store_finalizep(sqlite3_stmt **st);

/* Reads one row of a result into a heap struct; frees one. */
typedef void *(*store_row_fn)(sqlite3_stmt *st);
typedef void (*store_free_fn)(void *row);

/* Every row st yields, as a heap array; what names the rows in an error ("pods"). */
int store_collect(struct store *s, sqlite3_stmt *st, store_row_fn row, store_free_fn free_row, const char *what,
                  void ***ret, size_t *ret_n, struct cric_error **err);
/* The one row of table whose id is id or starts with id (>= 3 hex digits): CRIC_E_NOT_FOUND
 * "<kind> <id> not found", CRIC_E_INVALID when the prefix is ambiguous. columns is the
 * SELECT list. */
int store_get_by_id(struct store *s, const char *table, const char *columns, const char *kind, const char *id,
                    store_row_fn row, store_free_fn free_row, void **ret, struct cric_error **err);
/* DELETE FROM table WHERE id = id (a missing row is fine). */
int store_delete_by_id(struct store *s, const char *table, const char *kind, const char *id, struct cric_error **err);

#define STORE_LOCKED(s) __attribute__((cleanup(store_unlockp), unused)) struct store *store_locked_ = store_lock(s)
struct store *store_lock(struct store *s);
void store_unlockp(struct store **s);

#endif
