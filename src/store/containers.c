/* The containers table. */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define STMT CLEANUP(store_finalizep) sqlite3_stmt
#define CONTAINER_COLUMNS                                                                                              \
        "id, pod_id, name, attempt, state, created_ns, started_ns, finished_ns, exit_code, reason, message, image, "   \
        "image_id, image_ref, runtime_path, runtime_root, log_path, cgroup, stop_signal, monitor_pid, pid, record, "   \
        "resources"

/* The text columns are NOT NULL: a field the caller left NULL is stored as "". */
static void bind_text_or_empty(sqlite3_stmt *st, int idx, const char *s) {
        store_bind_text(st, idx, s ? s : "");
}

/* NULL stays SQL NULL; anything else (even zero bytes) is a blob. */
static void bind_blob_or_null(sqlite3_stmt *st, int idx, const void *data, size_t len) {
        if (data)
                sqlite3_bind_blob(st, idx, len ? data : "", (int) len, SQLITE_TRANSIENT);
        else
                sqlite3_bind_null(st, idx);
}

static int insert_clash(struct store *s, const struct container_row *c, struct cric_error **err) {
        STMT *q = store_prepare(s, "SELECT id FROM containers WHERE pod_id = ? AND name = ? AND attempt = ?", err);
        if (!q)
                return -1;
        store_bind_text(q, 1, c->pod_id);
        store_bind_text(q, 2, c->name);
        sqlite3_bind_int64(q, 3, c->attempt);
        if (sqlite3_step(q) != SQLITE_ROW) /* not the name: the id itself is taken */
                return cric_error_set(err, CRIC_E_EXISTS, "container %s already exists", c->id);
        return cric_error_set(err, CRIC_E_EXISTS, "container name %s_%u in pod %s is reserved for container %s",
                              c->name, c->attempt, c->pod_id, (const char *) sqlite3_column_text(q, 0));
}

int store_container_insert(struct store *s, const struct container_row *c, struct cric_error **err) {
        if (!c->id || !c->pod_id || !c->name)
                return cric_error_set(err, CRIC_E_INVALID, "container row without id, pod id or name");
        STORE_LOCKED(s);
        STMT *st = store_prepare(s,
                                 "INSERT INTO containers (config, " CONTAINER_COLUMNS ") VALUES "
                                 "(x'', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 err);
        if (!st)
                return -1;
        store_bind_text(st, 1, c->id);
        store_bind_text(st, 2, c->pod_id);
        store_bind_text(st, 3, c->name);
        sqlite3_bind_int64(st, 4, c->attempt);
        sqlite3_bind_int(st, 5, c->state);
        sqlite3_bind_int64(st, 6, c->created_ns);
        sqlite3_bind_int64(st, 7, c->started_ns);
        sqlite3_bind_int64(st, 8, c->finished_ns);
        sqlite3_bind_int(st, 9, c->exit_code);
        bind_text_or_empty(st, 10, c->reason);
        bind_text_or_empty(st, 11, c->message);
        bind_text_or_empty(st, 12, c->image);
        bind_text_or_empty(st, 13, c->image_id);
        bind_text_or_empty(st, 14, c->image_ref);
        bind_text_or_empty(st, 15, c->runtime_path);
        bind_text_or_empty(st, 16, c->runtime_root);
        bind_text_or_empty(st, 17, c->log_path);
        bind_text_or_empty(st, 18, c->cgroup);
        sqlite3_bind_int(st, 19, c->stop_signal);
        sqlite3_bind_int(st, 20, c->monitor_pid);
        sqlite3_bind_int(st, 21, c->pid);
        bind_text_or_empty(st, 22, c->record);
        bind_blob_or_null(st, 23, c->resources, c->resources_len);
        if (sqlite3_step(st) == SQLITE_DONE)
                return 0;
        int code = sqlite3_extended_errcode(s->db);
        if (code != SQLITE_CONSTRAINT_UNIQUE && code != SQLITE_CONSTRAINT_PRIMARYKEY)
                return store_sql_error(s, err, "insert container");
        return insert_clash(s, c, err);
}

/* Runs an UPDATE keyed by the full id (last parameter); CRIC_E_NOT_FOUND when no row has it. */
static int step_update(struct store *s, sqlite3_stmt *st, const char *id, struct cric_error **err) {
        if (sqlite3_step(st) != SQLITE_DONE)
                return store_sql_error(s, err, "update container");
        if (sqlite3_changes(s->db) == 0)
                return cric_error_set(err, CRIC_E_NOT_FOUND, "container %s not found", id);
        return 0;
}

int store_container_update_state(struct store *s, const struct container_row *c, struct cric_error **err) {
        STORE_LOCKED(s);
        STMT *st = store_prepare(s,
                                 "UPDATE containers SET state = ?, started_ns = ?, finished_ns = ?, exit_code = ?, "
                                 "reason = ?, message = ?, monitor_pid = ?, pid = ? WHERE id = ?",
                                 err);
        if (!st)
                return -1;
        sqlite3_bind_int(st, 1, c->state);
        sqlite3_bind_int64(st, 2, c->started_ns);
        sqlite3_bind_int64(st, 3, c->finished_ns);
        sqlite3_bind_int(st, 4, c->exit_code);
        bind_text_or_empty(st, 5, c->reason);
        bind_text_or_empty(st, 6, c->message);
        sqlite3_bind_int(st, 7, c->monitor_pid);
        sqlite3_bind_int(st, 8, c->pid);
        store_bind_text(st, 9, c->id);
        return step_update(s, st, c->id, err);
}

int store_container_set_resources(struct store *s, const char *id, const void *resources, size_t len,
                                  struct cric_error **err) {
        STORE_LOCKED(s);
        STMT *st = store_prepare(s, "UPDATE containers SET resources = ? WHERE id = ?", err);
        if (!st)
                return -1;
        bind_blob_or_null(st, 1, resources, len);
        store_bind_text(st, 2, id);
        return step_update(s, st, id, err);
}

/* A heap copy of a blob column (NUL-terminated for convenience); NULL for SQL NULL. */
static void *column_blobdup(sqlite3_stmt *st, int col, size_t *ret_len) {
        *ret_len = 0;
        if (sqlite3_column_type(st, col) == SQLITE_NULL)
                return NULL;
        size_t len = (size_t) sqlite3_column_bytes(st, col);
        char *p = xmalloc(len + 1);
        if (len)
                memcpy(p, sqlite3_column_blob(st, col), len);
        p[len] = '\0';
        *ret_len = len;
        return p;
}

static struct container_row *row_from_stmt(sqlite3_stmt *st) {
        struct container_row *c = xzalloc(sizeof(*c));
        c->id = store_column_strdup(st, 0);
        c->pod_id = store_column_strdup(st, 1);
        c->name = store_column_strdup(st, 2);
        c->attempt = (uint32_t) sqlite3_column_int64(st, 3);
        c->state = (enum container_row_state) sqlite3_column_int(st, 4);
        c->created_ns = sqlite3_column_int64(st, 5);
        c->started_ns = sqlite3_column_int64(st, 6);
        c->finished_ns = sqlite3_column_int64(st, 7);
        c->exit_code = sqlite3_column_int(st, 8);
        c->reason = store_column_strdup(st, 9);
        c->message = store_column_strdup(st, 10);
        c->image = store_column_strdup(st, 11);
        c->image_id = store_column_strdup(st, 12);
        c->image_ref = store_column_strdup(st, 13);
        c->runtime_path = store_column_strdup(st, 14);
        c->runtime_root = store_column_strdup(st, 15);
        c->log_path = store_column_strdup(st, 16);
        c->cgroup = store_column_strdup(st, 17);
        c->stop_signal = sqlite3_column_int(st, 18);
        c->monitor_pid = sqlite3_column_int(st, 19);
        c->pid = sqlite3_column_int(st, 20);
        c->record = store_column_strdup(st, 21);
        if (!c->record)
                c->record = xstrdup("");
        c->resources = column_blobdup(st, 22, &c->resources_len);
        return c;
}

static void *container_from_stmt(sqlite3_stmt *st) {
        return row_from_stmt(st);
}

static void container_free(void *c) {
        container_row_free(c);
}

int store_container_get(struct store *s, const char *id, struct container_row **ret, struct cric_error **err) {
        STORE_LOCKED(s);
        return store_get_by_id(s, "containers", CONTAINER_COLUMNS, "container", id, container_from_stmt, container_free,
                               (void **) ret, err);
}

int store_container_list(struct store *s, const char *pod_id, struct container_row ***ret, size_t *ret_n,
                         struct cric_error **err) {
        STORE_LOCKED(s);
        STMT *st = store_prepare(s,
                                 pod_id ? "SELECT " CONTAINER_COLUMNS
                                          " FROM containers WHERE pod_id = ? ORDER BY created_ns, id"
                                        : "SELECT " CONTAINER_COLUMNS " FROM containers ORDER BY created_ns, id",
                                 err);
        if (!st)
                return -1;
        if (pod_id)
                store_bind_text(st, 1, pod_id);
        return store_collect(s, st, container_from_stmt, container_free, "containers", (void ***) ret, ret_n, err);
}

int store_container_delete(struct store *s, const char *id, struct cric_error **err) {
        STORE_LOCKED(s);
        return store_delete_by_id(s, "containers", "container", id, err);
}

struct container_row *container_row_free(struct container_row *c) {
        if (c) {
                free(c->id);
                free(c->pod_id);
                free(c->name);
                free(c->reason);
                free(c->message);
                free(c->image);
                free(c->image_id);
                free(c->image_ref);
                free(c->runtime_path);
                free(c->runtime_root);
                free(c->log_path);
                free(c->cgroup);
                free(c->record);
                free(c->resources);
                free(c);
        }
        return NULL;
}

void container_row_freep(struct container_row **c) {
        if (c)
                *c = container_row_free(*c);
}

void container_rows_free(struct container_row **rows, size_t n) {
        for (size_t i = 0; i < n; i++)
                container_row_free(rows[i]);
        free(rows);
}
