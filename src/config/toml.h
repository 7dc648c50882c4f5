/* A TOML 1.0 parser and a few writer helpers.
 *
 * The parser builds a tree of toml_value nodes. Every node remembers the line and
 * column where it was defined, so config validation can name the place of a bad key.
 * Parse errors are CRIC_E_INVALID and read "<file>:<line>:<col>: <what>". */
#ifndef CRIC_CONFIG_TOML_H
#define CRIC_CONFIG_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

enum toml_type {
        TOML_STRING = 0,
        TOML_INTEGER,
        TOML_FLOAT,
        TOML_BOOL,
        TOML_DATETIME, /* offset date-time, local date-time, local date or local time */
        TOML_ARRAY,
        TOML_TABLE,
        TOML_TYPE_MAX,
        TOML_TYPE_INVALID = -1,
};

enum toml_datetime_kind {
        TOML_DT_OFFSET = 0, /* 1979-05-27T07:32:00Z, 1979-05-27 07:32:00-07:00 */
        TOML_DT_LOCAL,      /* 1979-05-27T07:32:00 */
        TOML_DT_DATE,       /* 1979-05-27 */
        TOML_DT_TIME,       /* 07:32:00.999 */
};

struct toml_datetime {
        enum toml_datetime_kind kind;
        int year, month, day;     /* valid for OFFSET, LOCAL, DATE */
        int hour, minute, second; /* valid for OFFSET, LOCAL, TIME */
        int nanosecond;           /* fractional seconds, truncated to ns */
        int offset_minutes;       /* OFFSET only; Z is 0 */
        char *text;               /* normalized text: 'T' separator, as written otherwise */
};

struct toml_value {
        enum toml_type type;
        unsigned line, column; /* 1-based position where the value (or table header) was defined */
        union {
                char *s;   /* TOML_STRING: UTF-8, NUL-terminated (an embedded \u0000 is refused) */
                int64_t i; /* TOML_INTEGER */
                double f;  /* TOML_FLOAT (inf, nan allowed) */
                bool b;    /* TOML_BOOL */
                struct toml_datetime dt;
                struct {
                        struct toml_value **items;
                        size_t len;
                } arr; /* TOML_ARRAY; also used for arrays of tables */
                struct {
                        char **keys;
                        struct toml_value **values;
                        size_t len;
                } tab; /* TOML_TABLE, keys in definition order */
        } u;
};

/* Parses a whole document. filename is used only in error messages (may be NULL:
 * "<input>"). text need not be NUL-terminated; len bytes are read. On success
 * *ret_root is a TOML_TABLE owned by the caller (free with toml_free).
 * Values set by key carry the position of the value; tables that dotted keys define
 * carry the position of that key part. Arrays and inline tables may nest 64 deep and a
 * dotted key has at most 64 parts, so walking the tree recursively is safe.
 * Errors: CRIC_E_INVALID only. Thread-safe: no global state. */
int toml_parse(const char *text, size_t len, const char *filename, struct toml_value **ret_root,
               struct cric_error **err);

/* Reads and parses a file. Errors name the file: CRIC_E_NOT_FOUND when it is missing,
 * CRIC_E_PERMISSION when it may not be read, CRIC_E_INTERNAL for other I/O errors,
 * CRIC_E_INVALID for syntax errors. */
int toml_parse_file(const char *path, struct toml_value **ret_root, struct cric_error **err);

/* Frees a tree (any subtree of it detached by the caller too). Accepts NULL; returns NULL. */
struct toml_value *toml_free(struct toml_value *v);
void toml_freep(struct toml_value **v);

/* Looks up key in a table; NULL when t is not a table or the key is missing. */
const struct toml_value *toml_table_get(const struct toml_value *t, const char *key);

const char *toml_type_name(enum toml_type type);

/* Writer helpers: a basic string literal with quotes and escapes (for any UTF-8
 * input), and a key that is bare when it may be, quoted otherwise. Never NULL.
 * The result is malloc'ed; the parser reads it back as the same string. Bytes that
 * are not valid UTF-8 cannot appear in TOML and are written as \uFFFD. NULL counts as "". */
char *toml_quote_string(const char *s);
char *toml_quote_key(const char *key);

#endif
