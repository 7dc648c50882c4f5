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

#define STORE_LOCKED(s) __attribute__((cleanup(store_unlockp), unused)) struct store *store_locked_ = store_lock(s)
struct store *store_lock(struct store *s);
void store_unlockp(struct store **s);

#endif
