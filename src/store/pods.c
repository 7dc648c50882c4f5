/* The pods table. */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define STMT        CLEANUP(store_finalizep) sqlite3_stmt
#define POD_COLUMNS "id, name, namespace, uid, attempt, state, created_ns, runtime_handler, namespaces, config, record"

int store_pod_insert(struct store *s, const struct pod_row *p, struct cric_error **err) {
        STORE_LOCKED(s);
        STMT *st =
                store_prepare(s, "INSERT INTO pods (" POD_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, x'', ?)", err);
        if (!st)
                return -1;
        store_bind_text(st, 1, p->id);
        store_bind_text(st, 2, p->name);
        store_bind_text(st, 3, p->namespace);
        store_bind_text(st, 4, p->uid);
        sqlite3_bind_int64(st, 5, p->attempt);
        sqlite3_bind_int(st, 6, p->state);
        sqlite3_bind_int64(st, 7, p->created_ns);
        store_bind_text(st, 8, p->runtime_handler);
        sqlite3_bind_int(st, 9, (int) p->namespaces);
        store_bind_text(st, 10, p->record ? p->record : "");
        if (sqlite3_step(st) == SQLITE_DONE)
                return 0;
        if (sqlite3_extended_errcode(s->db) != SQLITE_CONSTRAINT_UNIQUE)
                return store_sql_error(s, err, "insert pod");
        STMT *q = store_prepare(s, "SELECT id FROM pods WHERE name = ? AND namespace = ? AND uid = ? AND attempt = ?",
                                err);
        if (!q)
                return -1;
        store_bind_text(q, 1, p->name);
        store_bind_text(q, 2, p->namespace);
        store_bind_text(q, 3, p->uid);
        sqlite3_bind_int64(q, 4, p->attempt);
        const char *holder = sqlite3_step(q) == SQLITE_ROW ? (const char *) sqlite3_column_text(q, 0) : "?";
        return cric_error_set(err, CRIC_E_EXISTS,
                              "pod name %s_%s_%s_%u is reserved for pod %s (name_namespace_uid_attempt)", p->name,
                              p->namespace, p->uid, p->attempt, holder);
}

int store_pod_set_state(struct store *s, const char *id, enum pod_row_state state, struct cric_error **err) {
        STORE_LOCKED(s);
        STMT *st = store_prepare(s, "UPDATE pods SET state = ? WHERE id = ?", err);
        if (!st)
                return -1;
        sqlite3_bind_int(st, 1, state);
        store_bind_text(st, 2, id);
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_error(s, err, "update pod");
        return 0;
}

int store_pod_set_record(struct store *s, const char *id, const char *record, struct cric_error **err) {
        STORE_LOCKED(s);
        STMT *st = store_prepare(s, "UPDATE pods SET record = ? WHERE id = ?", err);
        if (!st)
                return -1;
        store_bind_text(st, 1, record);
        store_bind_text(st, 2, id);
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_error(s, err, "update pod record");
        if (sqlite3_changes(s->db) == 0)
                return cric_error_set(err, CRIC_E_NOT_FOUND, "pod %s not found", id);
        return 0;
}

static struct pod_row *row_from_stmt(sqlite3_stmt *st) {
        struct pod_row *p = xzalloc(sizeof(*p));
        p->id = store_column_strdup(st, 0);
        p->name = store_column_strdup(st, 1);
        p->namespace = store_column_strdup(st, 2);
        p->uid = store_column_strdup(st, 3);
        p->attempt = (uint32_t) sqlite3_column_int64(st, 4);
        p->state = (enum pod_row_state) sqlite3_column_int(st, 5);
        p->created_ns = sqlite3_column_int64(st, 6);
        p->runtime_handler = store_column_strdup(st, 7);
        p->namespaces = (unsigned) sqlite3_column_int(st, 8);
        p->record = store_column_strdup(st, 10);
        if (!p->record)
                p->record = xstrdup("");
        return p;
}

static void *pod_from_stmt(sqlite3_stmt *st) {
        return row_from_stmt(st);
}

static void pod_free(void *p) {
        pod_row_free(p);
}

int store_pod_get(struct store *s, const char *id, struct pod_row **ret, struct cric_error **err) {
        STORE_LOCKED(s);
        return store_get_by_id(s, "pods", POD_COLUMNS, "pod", id, pod_from_stmt, pod_free, (void **) ret, err);
}

int store_pod_list(struct store *s, struct pod_row ***ret, size_t *ret_n, struct cric_error **err) {
        STORE_LOCKED(s);
        STMT *st = store_prepare(s, "SELECT " POD_COLUMNS " FROM pods ORDER BY created_ns, id", err);
        if (!st)
                return -1;
        return store_collect(s, st, pod_from_stmt, pod_free, "pods", (void ***) ret, ret_n, err);
}

int store_pod_delete(struct store *s, const char *id, struct cric_error **err) {
        STORE_LOCKED(s);
        return store_delete_by_id(s, "pods", "pod", id, err);
}

struct pod_row *pod_row_free(struct pod_row *p) {
        if (p) {
                free(p->id);
                free(p->name);
                free(p->namespace);
                free(p->uid);
                free(p->runtime_handler);
                free(p->record);
                free(p);
        }
        return NULL;
}

void pod_row_freep(struct pod_row **p) {
        if (p)
                *p = pod_row_free(*p);
}

void pod_rows_free(struct pod_row **rows, size_t n) {
        for (size_t i = 0; i < n; i++)
                pod_row_free(rows[i]);
        free(rows);
}
