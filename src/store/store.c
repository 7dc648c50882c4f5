/* Opening the database, the schema and its migrations, and shared SQL helpers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Each entry moves the schema from version i to i + 1. Never edit a released entry:
 * add a new one. */
static const char *const migrations[] = {
        "CREATE TABLE layers ("
        "  chain_id TEXT PRIMARY KEY,"
        "  parent TEXT,"
        "  diff_id TEXT NOT NULL,"
        "  digest TEXT,"
        "  size INTEGER NOT NULL,"
        "  compressed_size INTEGER NOT NULL);"
        "CREATE TABLE images ("
        "  id TEXT PRIMARY KEY,"
        "  config TEXT NOT NULL,"
        "  manifest_digest TEXT,"
        "  size INTEGER NOT NULL,"
        "  pulled_at INTEGER NOT NULL,"
        "  pinned INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE image_layers ("
        "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
        "  idx INTEGER NOT NULL,"
        "  chain_id TEXT NOT NULL REFERENCES layers(chain_id),"
        "  PRIMARY KEY (image_id, idx));"
        "CREATE INDEX image_layers_chain ON image_layers(chain_id);"
        "CREATE TABLE image_names ("
        "  name TEXT PRIMARY KEY,"
        "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
        "  is_digest INTEGER NOT NULL);"
        "CREATE INDEX image_names_image ON image_names(image_id);",
        /* 2: pods. The CRI config is kept as the kubelet sent it (protobuf bytes):
         * below server/ it is an opaque blob. */
        "CREATE TABLE pods ("
        "  id TEXT PRIMARY KEY,"
        "  name TEXT NOT NULL,"
        "  namespace TEXT NOT NULL,"
        "  uid TEXT NOT NULL,"
        "  attempt INTEGER NOT NULL,"
        "  state INTEGER NOT NULL,"
        "  created_ns INTEGER NOT NULL,"
        "  runtime_handler TEXT NOT NULL,"
        "  namespaces INTEGER NOT NULL,"
        "  config BLOB NOT NULL,"
        "  UNIQUE (name, namespace, uid, attempt));",
        /* 3: containers. No foreign key to pods: the caller deletes a pod's containers
         * before the pod, and a row must stay readable while that happens. */
        "CREATE TABLE containers ("
        "  id TEXT PRIMARY KEY,"
        "  pod_id TEXT NOT NULL,"
        "  name TEXT NOT NULL,"
        "  attempt INTEGER NOT NULL,"
        "  state INTEGER NOT NULL,"
        "  created_ns INTEGER NOT NULL,"
        "  started_ns INTEGER NOT NULL,"
        "  finished_ns INTEGER NOT NULL,"
        "  exit_code INTEGER NOT NULL,"
        "  reason TEXT NOT NULL,"
        "  message TEXT NOT NULL,"
        "  image TEXT NOT NULL,"
        "  image_id TEXT NOT NULL,"
        "  image_ref TEXT NOT NULL,"
        "  runtime_path TEXT NOT NULL,"
        "  runtime_root TEXT NOT NULL,"
        "  log_path TEXT NOT NULL,"
        "  cgroup TEXT NOT NULL,"
        "  stop_signal INTEGER NOT NULL,"
        "  monitor_pid INTEGER NOT NULL,"
        "  pid INTEGER NOT NULL,"
        "  config BLOB NOT NULL,"
        "  resources BLOB,"
        "  UNIQUE (pod_id, name, attempt));"
        "CREATE INDEX containers_pod ON containers(pod_id);",
        /* 4: records. What runtime/ keeps of a pod or container beyond the columns (labels,
         * annotations, security context, mounts, ...) as JSON text; the CRI config blobs
         * are no longer written (empty). Rows from before hold '' and keep their columns. */
        ("ALTER TABLE pods ADD COLUMN record TEXT NOT NULL DEFAULT '';"
         "ALTER TABLE containers ADD COLUMN record TEXT NOT NULL DEFAULT '';"),
};

struct store *store_lock(struct store *s) {
        pthread_mutex_lock(&s->lock);
        return s;
}

void store_unlockp(struct store **s) {
        if (*s)
                pthread_mutex_unlock(&(*s)->lock);
}

int store_sql_error(struct store *s, struct cric_error **err, const char *what) {
        int code = sqlite3_extended_errcode(s->db);
        enum cric_error_kind kind = CRIC_E_INTERNAL;
        if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
                kind = CRIC_E_UNAVAILABLE;
        return cric_error_set(err, kind, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

sqlite3_stmt *store_prepare(struct store *s, const char *sql, struct cric_error **err) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
                store_sql_error(s, err, "prepare");
                return NULL;
        }
        return st;
}

int store_exec(struct store *s, const char *sql, struct cric_error **err) {
        char *msg = NULL;
        if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
                cric_error_set(err, CRIC_E_INTERNAL, "%s: %s", s->path, msg ? msg : "sqlite error");
                sqlite3_free(msg);
                return -1;
        }
        return 0;
}

char *store_column_strdup(sqlite3_stmt *st, int col) {
        const unsigned char *t = sqlite3_column_text(st, col);
        return t ? xstrdup((const char *) t) : NULL;
}

void store_bind_text(sqlite3_stmt *st, int idx, const char *s) {
        if (s)
                sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
        else
                sqlite3_bind_null(st, idx);
}

void store_finalizep(sqlite3_stmt **st) {
        if (*st)
                sqlite3_finalize(*st);
}

static int migrate(struct store *s, struct cric_error **err) {
        sqlite3_stmt *st = store_prepare(s, "PRAGMA user_version", err);
        if (!st)
                return -1;
        int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
        sqlite3_finalize(st);
        int latest = (int) (sizeof(migrations) / sizeof(migrations[0]));
        if (version > latest)
                return cric_error_set(err, CRIC_E_PRECONDITION,
                                      "%s: schema version %d is newer than this cricd knows (%d)", s->path, version,
                                      latest);
        for (int v = version; v < latest; v++) {
                AUTOFREE char *sql =
                        xasprintf("BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;", migrations[v], v + 1);
                if (store_exec(s, sql, err) < 0) {
                        store_exec(s, "ROLLBACK", NULL);
                        return cric_error_prefix(err, "migrate schema to version %d", v + 1);
                }
                log_debug("store: schema migrated to version %d", v + 1);
        }
        return 0;
}

int store_open(const char *path, struct store **ret, struct cric_error **err) {
        struct store *s = xzalloc(sizeof(*s));
        pthread_mutex_init(&s->lock, NULL);
        s->path = xstrdup(path);
        if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) !=
            SQLITE_OK) {
                cric_error_set(err, CRIC_E_INTERNAL, "open database %s: %s", path,
                               s->db ? sqlite3_errmsg(s->db) : "out of memory");
                store_close(s);
                return -1;
        }
        sqlite3_busy_timeout(s->db, 5000);
        if (store_exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", err) < 0 ||
            migrate(s, err) < 0) {
                store_close(s);
                return -1;
        }
        *ret = s;
        return 0;
}

struct store *store_close(struct store *s) {
        if (!s)
                return NULL;
        if (s->db)
                sqlite3_close(s->db);
        pthread_mutex_destroy(&s->lock);
        free(s->path);
        free(s);
        return NULL;
}

void store_closep(struct store **s) {
        if (s)
                *s = store_close(*s);
}

int store_collect(struct store *s, sqlite3_stmt *st, store_row_fn row, store_free_fn free_row, const char *what,
                  void ***ret, size_t *ret_n, struct cric_error **err) {
        void **rows = NULL;
        size_t n = 0, cap = 0;
        int r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
                rows = xgrow(rows, &cap, n + 1, sizeof(*rows));
                rows[n++] = row(st);
        }
        if (r != SQLITE_DONE) {
                for (size_t i = 0; i < n; i++)
                        free_row(rows[i]);
                free(rows);
                AUTOFREE char *msg = xasprintf("list %s", what);
                return store_sql_error(s, err, msg);
        }
        *ret = rows;
        *ret_n = n;
        return 0;
}

int store_get_by_id(struct store *s, const char *table, const char *columns, const char *kind, const char *id,
                    store_row_fn row, store_free_fn free_row, void **ret, struct cric_error **err) {
        size_t len = strlen(id);
        if (len < 3 || len > 64 || strspn(id, "0123456789abcdef") != len)
                return cric_error_set(err, CRIC_E_NOT_FOUND, "%s %s not found", kind, id);
        AUTOFREE char *sql =
                xasprintf("SELECT %s FROM %s WHERE substr(id, 1, length(?1)) = ?1 LIMIT 2", columns, table);
        CLEANUP(store_finalizep) sqlite3_stmt *st = store_prepare(s, sql, err);
        if (!st)
                return -1;
        store_bind_text(st, 1, id);
        if (sqlite3_step(st) != SQLITE_ROW)
                return cric_error_set(err, CRIC_E_NOT_FOUND, "%s %s not found", kind, id);
        void *found = row(st);
        if (len < 64 && sqlite3_step(st) == SQLITE_ROW) {
                free_row(found);
                return cric_error_set(err, CRIC_E_INVALID, "%s id prefix %s is ambiguous", kind, id);
        }
        *ret = found;
        return 0;
}

int store_delete_by_id(struct store *s, const char *table, const char *kind, const char *id, struct cric_error **err) {
        AUTOFREE char *sql = xasprintf("DELETE FROM %s WHERE id = ?", table);
        CLEANUP(store_finalizep) sqlite3_stmt *st = store_prepare(s, sql, err);
        if (!st)
                return -1;
        store_bind_text(st, 1, id);
        if (sqlite3_step(st) != SQLITE_DONE) {
                AUTOFREE char *msg = xasprintf("delete %s", kind);
                return store_sql_error(s, err, msg);
        }
        return 0;
}
