/* Private to the TOML parser: the cursor over the input, the node wrapper that carries
 * the redefinition bookkeeping, and the lexer entry points shared by toml.c and
 * toml_lex.c. Nothing here is used outside src/config/toml*.c. */
#ifndef CRIC_CONFIG_TOML_INTERNAL_H
#define CRIC_CONFIG_TOML_INTERNAL_H

#include <locale.h>
#include <stdbool.h>
#include <stddef.h>

#include "config/toml.h"

/* Bounds that keep recursion (parse, free, callers' tree walks) shallow whatever the
 * input: nested arrays/inline tables, and parts of one dotted key. */
#define TOML_MAX_NESTING   64
#define TOML_MAX_KEY_PARTS 64

/* Node flags. TOML forbids reopening a table or extending a value once "defined";
 * these record how a node came to be so the rules can be checked. */
enum {
        TOML_NODE_EXPLICIT = 1 << 0, /* table defined by [h] or an element of [[h]] */
        TOML_NODE_FROZEN = 1 << 1,   /* inline table or array value: never extended */
        TOML_NODE_AOT = 1 << 2,      /* array created by [[h]] */
};

/* Every node the parser allocates is a toml_node. The value comes first, so a node
 * pointer is a value pointer and free(value) releases the whole node. */
struct toml_node {
        struct toml_value v;
        size_t cap;              /* allocated slots of u.arr / u.tab */
        unsigned dotted_section; /* section whose dotted keys defined this table, 0 = none */
        unsigned flags;
};

/* One part of a (possibly dotted) key, with its position for error messages. */
struct toml_key_part {
        char *name;
        unsigned line, column;
};

struct toml_key {
        struct toml_key_part *parts;
        size_t len, cap;
};

/* While parsing, (table, key) -> value in one open-addressing hash, so documents with
 * huge tables do not cost quadratic time. Entries borrow the tree's key strings. */
struct toml_keymap_entry {
        const struct toml_value *table;
        const char *key; /* NULL: empty slot */
        struct toml_value *value;
};

struct toml_keymap {
        struct toml_keymap_entry *slots;
        size_t cap, used; /* cap is 0 or a power of two */
};

struct toml_parser {
        const char *text;
        size_t len, pos;
        unsigned line, column; /* position of text[pos] */
        const char *filename;
        struct cric_error **err;
        unsigned section; /* 1 for the root block, +1 for every table header */
        unsigned depth;   /* current nesting of arrays and inline tables */
        locale_t c_locale;
        struct toml_keymap map;
};

/* Cursor. peek returns the byte at pos + off, or -1 past the end. */
static inline int toml_peek_at(const struct toml_parser *p, size_t off) {
        return p->pos + off < p->len ? (unsigned char) p->text[p->pos + off] : -1;
}
static inline int toml_peek(const struct toml_parser *p) {
        return toml_peek_at(p, 0);
}
void toml_advance(struct toml_parser *p, size_t n);
bool toml_at_newline(const struct toml_parser *p);
void toml_skip_ws(struct toml_parser *p);
/* Skips whitespace, newlines and comments (inside arrays). */
void toml_skip_ws_nl_comments(struct toml_parser *p);

/* Sets a CRIC_E_INVALID "<file>:<line>:<col>: <what>" error and returns -1. */
int toml_error_at(struct toml_parser *p, unsigned line, unsigned column, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
#define toml_error(p, ...) toml_error_at((p), (p)->line, (p)->column, __VA_ARGS__)

/* Length of the valid UTF-8 sequence at s (at most avail bytes), 0 when invalid:
 * overlong forms, surrogates and code points above U+10FFFF are invalid. */
size_t toml_utf8_len(const unsigned char *s, size_t avail);

/* Checks the whole input once: valid UTF-8, no control characters but tab, LF and
 * CRLF. Skips a leading byte order mark. */
int toml_check_text(struct toml_parser *p);

/* Lexer: each parses one token at the cursor and advances past it. */
int toml_lex_string(struct toml_parser *p, bool allow_multiline, char **ret);
int toml_lex_key(struct toml_parser *p, struct toml_key *ret);
int toml_lex_scalar(struct toml_parser *p, struct toml_value **ret);
void toml_key_clear(struct toml_key *k);

struct toml_value *toml_node_new(enum toml_type type, unsigned line, unsigned column);

#endif
