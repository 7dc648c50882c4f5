/* TOML 1.0 parser: document structure, tables and the redefinition rules.
 * Strings and keys are lexed in toml_lex.c, other scalars in toml_scalar.c.
 *
 * How a table came to be decides what may happen to it later:
 *  - [h] and every [[h]] element define a table: no other header may name it again,
 *    and dotted keys written under another header may not reach into it;
 *  - dotted keys (a.b.c = 1) define the tables left of the last dot: a later header
 *    may create sub-tables below them but may not name them;
 *  - a table created only because a header passed through it ([a.b] creates a) is
 *    implicit: a later [a] defines it, and dotted keys may still define into it;
 *  - inline tables and arrays written as values are complete and never extended. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "config/toml_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static struct toml_node *node(const struct toml_value *v) {
        return (struct toml_node *) v;
}

struct toml_value *toml_node_new(enum toml_type type, unsigned line, unsigned column) {
        struct toml_node *n = xzalloc(sizeof(*n));
        n->v.type = type;
        n->v.line = line;
        n->v.column = column;
        return &n->v;
}

static uint64_t keymap_hash(const struct toml_value *t, const char *key) {
        uint64_t h = 0xcbf29ce484222325ULL ^ ((uint64_t) (uintptr_t) t * 0x9E3779B97F4A7C15ULL);
        for (; *key; key++) {
                h ^= (unsigned char) *key;
                h *= 0x100000001b3ULL;
        }
        return h ^ (h >> 29);
}

static struct toml_keymap_entry *keymap_slot(struct toml_keymap *m, const struct toml_value *t, const char *key) {
        size_t mask = m->cap - 1;
        for (size_t i = keymap_hash(t, key) & mask;; i = (i + 1) & mask) {
                struct toml_keymap_entry *e = &m->slots[i];
                if (!e->key || (e->table == t && strcmp(e->key, key) == 0))
                        return e;
        }
}

static void keymap_grow(struct toml_keymap *m) {
        struct toml_keymap old = *m;
        m->cap = old.cap ? old.cap * 2 : 64;
        m->slots = xcalloc(m->cap, sizeof(*m->slots));
        for (size_t i = 0; i < old.cap; i++)
                if (old.slots[i].key)
                        *keymap_slot(m, old.slots[i].table, old.slots[i].key) = old.slots[i];
        free(old.slots);
}

static struct toml_value *table_lookup(struct toml_parser *p, const struct toml_value *t, const char *key) {
        if (p->map.cap == 0)
                return NULL;
        return keymap_slot(&p->map, t, key)->value;
}

/* Appends key (taken over) and v (taken over) to table t. The key must be new. */
static void table_insert(struct toml_parser *p, struct toml_value *t, char *key, struct toml_value *v) {
        size_t cap = node(t)->cap, len = t->u.tab.len;
        t->u.tab.keys = xgrow(t->u.tab.keys, &cap, len + 1, sizeof(*t->u.tab.keys));
        t->u.tab.values = xgrow(t->u.tab.values, &node(t)->cap, len + 1, sizeof(*t->u.tab.values));
        t->u.tab.keys[len] = key;
        t->u.tab.values[len] = v;
        t->u.tab.len++;
        if ((p->map.used + 1) * 2 > p->map.cap)
                keymap_grow(&p->map);
        *keymap_slot(&p->map, t, key) = (struct toml_keymap_entry){t, key, v};
        p->map.used++;
}

static void array_append(struct toml_value *a, struct toml_value *v) {
        a->u.arr.items = xgrow(a->u.arr.items, &node(a)->cap, a->u.arr.len + 1, sizeof(*a->u.arr.items));
        a->u.arr.items[a->u.arr.len++] = v;
}

/* "a.b.\"c d\"": parts 0..last of k, for messages. */
static char *key_display(const struct toml_key *k, size_t last) {
        char *out = xstrdup("");
        for (size_t i = 0; i <= last; i++) {
                AUTOFREE char *q = toml_quote_key(k->parts[i].name);
                char *next = xasprintf("%s%s%s", out, i ? "." : "", q);
                free(out);
                out = next;
        }
        return out;
}

static const char *describe(const struct toml_value *v) {
        switch (v->type) {
        case TOML_TABLE: return node(v)->flags & TOML_NODE_FROZEN ? "an inline table" : "a table";
        case TOML_ARRAY: return node(v)->flags & TOML_NODE_AOT ? "an array of tables" : "an array";
        case TOML_STRING: return "a string";
        case TOML_INTEGER: return "an integer";
        case TOML_FLOAT: return "a float";
        case TOML_BOOL: return "a boolean";
        default: return "a date-time";
        }
}

/* "table <name> <why> at line <where v was defined>", at part i of k. */
static int table_error(struct toml_parser *p, const struct toml_key *k, size_t i, const char *why,
                       const struct toml_value *v) {
        AUTOFREE char *name = key_display(k, i);
        return toml_error_at(p, k->parts[i].line, k->parts[i].column, "table %s %s at line %u", name, why, v->line);
}

static int already_defined(struct toml_parser *p, const struct toml_key *k, size_t i, const struct toml_value *v) {
        AUTOFREE char *name = key_display(k, i);
        return toml_error_at(p, k->parts[i].line, k->parts[i].column, "%s is already defined as %s at line %u", name,
                             describe(v), v->line);
}

/* Follows the parts of a header key but the last from the root, creating implicit
 * tables and entering the last element of arrays of tables. */
static int walk_header(struct toml_parser *p, struct toml_value *root, const struct toml_key *k, unsigned line,
                       unsigned column, struct toml_value **ret) {
        struct toml_value *t = root;
        for (size_t i = 0; i + 1 < k->len; i++) {
                struct toml_value *next = table_lookup(p, t, k->parts[i].name);
                if (!next) {
                        next = toml_node_new(TOML_TABLE, line, column);
                        table_insert(p, t, xstrdup(k->parts[i].name), next);
                } else if (next->type == TOML_ARRAY && (node(next)->flags & TOML_NODE_AOT)) {
                        next = next->u.arr.items[next->u.arr.len - 1];
                } else if (next->type != TOML_TABLE || (node(next)->flags & TOML_NODE_FROZEN)) {
                        return already_defined(p, k, i, next);
                }
                t = next;
        }
        *ret = t;
        return 0;
}

/* [a.b.c] */
static int define_table(struct toml_parser *p, struct toml_value *root, const struct toml_key *k, unsigned line,
                        unsigned column, struct toml_value **ret) {
        struct toml_value *parent, *t;
        if (walk_header(p, root, k, line, column, &parent) < 0)
                return -1;
        const struct toml_key_part *last = &k->parts[k->len - 1];
        t = table_lookup(p, parent, last->name);
        if (!t) {
                t = toml_node_new(TOML_TABLE, line, column);
                table_insert(p, parent, xstrdup(last->name), t);
        } else if (t->type != TOML_TABLE || (node(t)->flags & TOML_NODE_FROZEN)) {
                return already_defined(p, k, k->len - 1, t);
        } else if (node(t)->flags & TOML_NODE_EXPLICIT) {
                return table_error(p, k, k->len - 1, "is defined twice, first", t);
        } else if (node(t)->dotted_section) {
                return table_error(p, k, k->len - 1, "is already defined by dotted keys", t);
        } else { /* implicit so far: now it is defined here */
                t->line = line;
                t->column = column;
        }
        node(t)->flags |= TOML_NODE_EXPLICIT;
        *ret = t;
        return 0;
}

/* [[a.b.c]] */
static int append_table(struct toml_parser *p, struct toml_value *root, const struct toml_key *k, unsigned line,
                        unsigned column, struct toml_value **ret) {
        struct toml_value *parent, *a;
        if (walk_header(p, root, k, line, column, &parent) < 0)
                return -1;
        const struct toml_key_part *last = &k->parts[k->len - 1];
        a = table_lookup(p, parent, last->name);
        if (!a) {
                a = toml_node_new(TOML_ARRAY, line, column);
                node(a)->flags |= TOML_NODE_AOT;
                table_insert(p, parent, xstrdup(last->name), a);
        } else if (a->type != TOML_ARRAY || !(node(a)->flags & TOML_NODE_AOT)) {
                return already_defined(p, k, k->len - 1, a);
        }
        struct toml_value *t = toml_node_new(TOML_TABLE, line, column);
        node(t)->flags |= TOML_NODE_EXPLICIT;
        array_append(a, t);
        *ret = t;
        return 0;
}

/* Stores *v under the (dotted) key k in table t, defining the intermediate tables. */
static int insert_keyval(struct toml_parser *p, struct toml_value *t, const struct toml_key *k, struct toml_value **v) {
        for (size_t i = 0; i + 1 < k->len; i++) {
                const struct toml_key_part *kp = &k->parts[i];
                struct toml_value *next = table_lookup(p, t, kp->name);
                if (!next) {
                        next = toml_node_new(TOML_TABLE, kp->line, kp->column);
                        table_insert(p, t, xstrdup(kp->name), next);
                } else if (next->type != TOML_TABLE || (node(next)->flags & TOML_NODE_FROZEN)) {
                        return already_defined(p, k, i, next);
                } else if ((node(next)->flags & TOML_NODE_EXPLICIT) ||
                           (node(next)->dotted_section && node(next)->dotted_section != p->section)) {
                        return table_error(p, k, i, "cannot take dotted keys: it is defined", next);
                }
                node(next)->dotted_section = p->section;
                t = next;
        }
        const struct toml_key_part *last = &k->parts[k->len - 1];
        const struct toml_value *old = table_lookup(p, t, last->name);
        if (old) {
                AUTOFREE char *name = key_display(k, k->len - 1);
                return toml_error_at(p, last->line, last->column, "duplicate key %s (first defined at line %u)", name,
                                     old->line);
        }
        table_insert(p, t, xstrdup(last->name), STEAL_PTR(*v));
        return 0;
}

static int parse_value(struct toml_parser *p, struct toml_value **ret);

static int parse_keyval(struct toml_parser *p, struct toml_value *t) {
        CLEANUP(toml_key_clear) struct toml_key k = {0};
        CLEANUP(toml_freep) struct toml_value *v = NULL;
        if (toml_lex_key(p, &k) < 0)
                return -1;
        if (toml_peek(p) != '=')
                return toml_error(p, "expected '=' after a key");
        toml_advance(p, 1);
        toml_skip_ws(p);
        if (parse_value(p, &v) < 0)
                return -1;
        return insert_keyval(p, t, &k, &v);
}

static int enter_nesting(struct toml_parser *p) {
        if (p->depth >= TOML_MAX_NESTING)
                return toml_error(p, "arrays and inline tables nested deeper than %d", TOML_MAX_NESTING);
        p->depth++;
        return 0;
}

static int parse_array(struct toml_parser *p, struct toml_value **ret) {
        CLEANUP(toml_freep) struct toml_value *a = toml_node_new(TOML_ARRAY, p->line, p->column);
        if (enter_nesting(p) < 0)
                return -1;
        toml_advance(p, 1);
        for (;;) {
                struct toml_value *item;
                toml_skip_ws_nl_comments(p);
                if (toml_peek(p) == ']')
                        break;
                if (parse_value(p, &item) < 0)
                        return -1;
                array_append(a, item);
                toml_skip_ws_nl_comments(p);
                if (toml_peek(p) == ']')
                        break;
                if (toml_peek(p) != ',')
                        return toml_error(p, "expected ',' or ']' in an array");
                toml_advance(p, 1);
        }
        toml_advance(p, 1);
        p->depth--;
        node(a)->flags |= TOML_NODE_FROZEN;
        *ret = STEAL_PTR(a);
        return 0;
}

static int parse_inline_table(struct toml_parser *p, struct toml_value **ret) {
        CLEANUP(toml_freep) struct toml_value *t = toml_node_new(TOML_TABLE, p->line, p->column);
        if (enter_nesting(p) < 0)
                return -1;
        toml_advance(p, 1);
        toml_skip_ws(p);
        while (toml_peek(p) != '}') {
                if (parse_keyval(p, t) < 0)
                        return -1;
                toml_skip_ws(p);
                if (toml_peek(p) == '}')
                        break;
                if (toml_at_newline(p))
                        return toml_error(p, "inline tables must stay on one line");
                if (toml_peek(p) != ',')
                        return toml_error(p, "expected ',' or '}' in an inline table");
                toml_advance(p, 1);
                toml_skip_ws(p);
                if (toml_peek(p) == '}')
                        return toml_error(p, "trailing comma in an inline table");
        }
        toml_advance(p, 1);
        p->depth--;
        node(t)->flags |= TOML_NODE_FROZEN;
        *ret = STEAL_PTR(t);
        return 0;
}

static int parse_value(struct toml_parser *p, struct toml_value **ret) {
        int c = toml_peek(p);
        if (c == '"' || c == '\'') {
                char *s;
                unsigned line = p->line, column = p->column;
                if (toml_lex_string(p, true, &s) < 0)
                        return -1;
                *ret = toml_node_new(TOML_STRING, line, column);
                (*ret)->u.s = s;
                return 0;
        }
        if (c == '[')
                return parse_array(p, ret);
        if (c == '{')
                return parse_inline_table(p, ret);
        return toml_lex_scalar(p, ret);
}

static int parse_header(struct toml_parser *p, struct toml_value *root, struct toml_value **ret_section) {
        CLEANUP(toml_key_clear) struct toml_key k = {0};
        unsigned line = p->line, column = p->column;
        bool is_array = toml_peek_at(p, 1) == '[';
        toml_advance(p, is_array ? 2 : 1);
        if (toml_lex_key(p, &k) < 0)
                return -1;
        if (toml_peek(p) != ']' || (is_array && toml_peek_at(p, 1) != ']'))
                return toml_error(p, is_array ? "expected ']]' after a table name" : "expected ']' after a table name");
        toml_advance(p, is_array ? 2 : 1);
        p->section++;
        if (is_array)
                return append_table(p, root, &k, line, column, ret_section);
        return define_table(p, root, &k, line, column, ret_section);
}

static int end_of_line(struct toml_parser *p) {
        toml_skip_ws(p);
        if (toml_peek(p) == '#')
                while (toml_peek(p) >= 0 && !toml_at_newline(p))
                        toml_advance(p, 1);
        if (toml_peek(p) < 0)
                return 0;
        if (!toml_at_newline(p))
                return toml_error(p, "expected the end of the line");
        toml_advance(p, toml_peek(p) == '\r' ? 2 : 1);
        return 0;
}

static int parse_document(struct toml_parser *p, struct toml_value *root) {
        struct toml_value *section = root;
        for (;;) {
                toml_skip_ws(p);
                int c = toml_peek(p);
                if (c < 0)
                        return 0;
                if (c == '[') {
                        if (parse_header(p, root, &section) < 0)
                                return -1;
                } else if (c != '#' && !toml_at_newline(p)) {
                        if (parse_keyval(p, section) < 0)
                                return -1;
                }
                if (end_of_line(p) < 0)
                        return -1;
        }
}

int toml_parse(const char *text, size_t len, const char *filename, struct toml_value **ret_root,
               struct cric_error **err) {
        struct toml_parser p = {
                .text = text ? text : "",
                .len = text ? len : 0,
                .line = 1,
                .column = 1,
                .filename = filename,
                .err = err,
                .section = 1,
        };
        CLEANUP(toml_freep) struct toml_value *root = toml_node_new(TOML_TABLE, 1, 1);
        node(root)->flags |= TOML_NODE_EXPLICIT;
        int r = toml_check_text(&p);
        if (r >= 0)
                r = parse_document(&p, root);
        free(p.map.slots);
        if (p.c_locale)
                freelocale(p.c_locale);
        if (r < 0)
                return -1;
        *ret_root = STEAL_PTR(root);
        return 0;
}

int toml_parse_file(const char *path, struct toml_value **ret_root, struct cric_error **err) {
        AUTOCLOSE int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                enum cric_error_kind kind = errno == ENOENT   ? CRIC_E_NOT_FOUND
                                            : errno == EACCES ? CRIC_E_PERMISSION
                                                              : CRIC_E_INTERNAL;
                return cric_error_errno(err, kind, errno, "open %s", path);
        }
        AUTOFREE char *buf = NULL;
        size_t len = 0;
        if (fs_read_fd(fd, path, SIZE_MAX, &buf, &len, err) < 0)
                return -1;
        return toml_parse(buf, len, path, ret_root, err);
}

struct toml_value *toml_free(struct toml_value *v) {
        if (!v)
                return NULL;
        switch (v->type) {
        case TOML_STRING: free(v->u.s); break;
        case TOML_DATETIME: free(v->u.dt.text); break;
        case TOML_ARRAY:
                for (size_t i = 0; i < v->u.arr.len; i++)
                        toml_free(v->u.arr.items[i]);
                free(v->u.arr.items);
                break;
        case TOML_TABLE:
                for (size_t i = 0; i < v->u.tab.len; i++) {
                        free(v->u.tab.keys[i]);
                        toml_free(v->u.tab.values[i]);
                }
                free(v->u.tab.keys);
                free(v->u.tab.values);
                break;
        default: break;
        }
        free(v); /* for parser nodes this frees the whole toml_node: v is its first member */
        return NULL;
}

void toml_freep(struct toml_value **v) {
        if (v)
                *v = toml_free(*v);
}

const struct toml_value *toml_table_get(const struct toml_value *t, const char *key) {
        if (!t || t->type != TOML_TABLE || !key)
                return NULL;
        for (size_t i = 0; i < t->u.tab.len; i++)
                if (strcmp(t->u.tab.keys[i], key) == 0)
                        return t->u.tab.values[i];
        return NULL;
}

const char *toml_type_name(enum toml_type type) {
        static const char *const names[TOML_TYPE_MAX] = {
                [TOML_STRING] = "string", [TOML_INTEGER] = "integer",   [TOML_FLOAT] = "float",
                [TOML_BOOL] = "boolean",  [TOML_DATETIME] = "datetime", [TOML_ARRAY] = "array",
                [TOML_TABLE] = "table",
        };
        if (type < 0 || type >= TOML_TYPE_MAX)
                return "invalid";
        return names[type];
}
