/* libFuzzer target for the TOML parser (src/config/toml*.c).
 *
 * Any input must either parse or fail with a well-formed CRIC_E_INVALID error. When it
 * parses, every key and string is written back with toml_quote_key/toml_quote_string,
 * and integers, floats and date-times in their canonical text, then re-parsed as
 * "k = <text>": what comes back must equal what went in. Any mismatch aborts. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/toml.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static void die(const char *what, const char *doc) {
        fprintf(stderr, "fuzz_toml: %s\n--- re-parsed document:\n%s\n", what, doc);
        abort();
}

/* Parses a document we wrote ourselves; it must be valid and hold exactly one key. */
static struct toml_value *must_parse(const char *doc) {
        struct toml_value *root = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (toml_parse(doc, strlen(doc), NULL, &root, &err) < 0) {
                fprintf(stderr, "fuzz_toml: %s\n", err ? err->msg : "(no error)");
                die("our own output does not parse", doc);
        }
        if (root->type != TOML_TABLE || root->u.tab.len != 1)
                die("expected exactly one key", doc);
        return root;
}

/* "k = <text>" parsed; returns the value of k (owned by *ret_root). */
static const struct toml_value *reparse_value(const char *text, struct toml_value **ret_root) {
        AUTOFREE char *doc = xasprintf("k = %s\n", text);
        *ret_root = must_parse(doc);
        const struct toml_value *v = toml_table_get(*ret_root, "k");
        if (!v)
                die("key k missing", doc);
        return v;
}

static void check_key(const char *key) {
        AUTOFREE char *q = toml_quote_key(key);
        AUTOFREE char *doc = xasprintf("%s = 1\n", q);
        CLEANUP(toml_freep) struct toml_value *root = must_parse(doc);
        if (strcmp(root->u.tab.keys[0], key) != 0)
                die("key does not round-trip", doc);
}

static void check_string(const char *s) {
        CLEANUP(toml_freep) struct toml_value *root = NULL;
        AUTOFREE char *q = toml_quote_string(s);
        const struct toml_value *v = reparse_value(q, &root);
        if (v->type != TOML_STRING || strcmp(v->u.s, s) != 0)
                die("string does not round-trip", q);
}

static void check_integer(int64_t i) {
        CLEANUP(toml_freep) struct toml_value *root = NULL;
        char text[32];
        snprintf(text, sizeof(text), "%" PRId64, i);
        const struct toml_value *v = reparse_value(text, &root);
        if (v->type != TOML_INTEGER || v->u.i != i)
                die("integer does not round-trip", text);
}

static void check_float(double f) {
        CLEANUP(toml_freep) struct toml_value *root = NULL;
        char text[64];
        if (isnan(f))
                snprintf(text, sizeof(text), "nan");
        else if (isinf(f))
                snprintf(text, sizeof(text), "%sinf", f < 0 ? "-" : "");
        else
                snprintf(text, sizeof(text), "%.17g", f);
        if (!strpbrk(text, ".ena")) /* "5" would read back as an integer */
                strcat(text, ".0");
        const struct toml_value *v = reparse_value(text, &root);
        if (v->type != TOML_FLOAT)
                die("float does not round-trip as a float", text);
        if (isnan(f) ? !isnan(v->u.f) : (v->u.f != f || signbit(v->u.f) != signbit(f)))
                die("float does not round-trip", text);
}

static void check_datetime(const struct toml_datetime *dt) {
        CLEANUP(toml_freep) struct toml_value *root = NULL;
        const struct toml_value *v = reparse_value(dt->text, &root);
        const struct toml_datetime *b = &v->u.dt;
        if (v->type != TOML_DATETIME || b->kind != dt->kind || strcmp(b->text, dt->text) != 0 || b->year != dt->year ||
            b->month != dt->month || b->day != dt->day || b->hour != dt->hour || b->minute != dt->minute ||
            b->second != dt->second || b->nanosecond != dt->nanosecond || b->offset_minutes != dt->offset_minutes)
                die("date-time does not round-trip", dt->text);
}

static void walk(const struct toml_value *v) {
        switch (v->type) {
        case TOML_STRING: check_string(v->u.s); break;
        case TOML_INTEGER: check_integer(v->u.i); break;
        case TOML_FLOAT: check_float(v->u.f); break;
        case TOML_DATETIME: check_datetime(&v->u.dt); break;
        case TOML_BOOL: break;
        case TOML_ARRAY:
                for (size_t i = 0; i < v->u.arr.len; i++)
                        walk(v->u.arr.items[i]);
                break;
        case TOML_TABLE:
                for (size_t i = 0; i < v->u.tab.len; i++) {
                        check_key(v->u.tab.keys[i]);
                        walk(v->u.tab.values[i]);
                }
                break;
        default: abort();
        }
        if (v->line == 0 || v->column == 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct toml_value *root = NULL;
        struct cric_error *err = NULL;
        if (toml_parse((const char *) data, size, "fuzz.toml", &root, &err) < 0) {
                if (root || !err || err->kind != CRIC_E_INVALID || strncmp(err->msg, "fuzz.toml:", 10) != 0)
                        abort();
                cric_error_free(err);
                return 0;
        }
        if (err || !root || root->type != TOML_TABLE)
                abort();
        walk(root);
        toml_free(root);
        return 0;
}
