/* config_load: defaults, then the main file, then the drop-ins in lexical order, then
 * the command-line overrides. Everything goes through the settings table of
 * config_defaults.c. Problems are collected rather than returned one by one, so an
 * operator fixing a broken config sees all of them in one go. */
#include "config/config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config_internal.h"
#include "config/toml.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* A config file is a few KiB; anything much larger is a mistake, not a config. */
#define CONFIG_MAX_FILE_SIZE (4u * 1024 * 1024)
#define UNIX_URI_PREFIX      "unix://"
#define COMMAND_LINE         "command line"

struct load_ctx {
        struct cric_config *cfg;
        char **problems; /* "where: key: problem", in the order found */
        size_t n_problems, cap_problems;
        const char *file;      /* file being walked; NULL while applying overrides */
        char **origins;        /* per config_settings[i]: where it was last set; NULL: default */
        bool *list_overridden; /* per config_settings[i]: an override already replaced the list */
};

static void add_line(struct load_ctx *ctx, char *line) {
        ctx->problems = xgrow(ctx->problems, &ctx->cap_problems, ctx->n_problems + 1, sizeof(char *));
        ctx->problems[ctx->n_problems++] = line;
}

static char *where(const struct load_ctx *ctx, const struct toml_value *at) {
        if (!ctx->file || !at)
                return xstrdup(COMMAND_LINE);
        return xasprintf("%s:%u:%u", ctx->file, at->line, at->column);
}

static void problem(struct load_ctx *ctx, const struct toml_value *at, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void problem(struct load_ctx *ctx, const struct toml_value *at, const char *key, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        AUTOFREE char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        AUTOFREE char *w = where(ctx, at);
        add_line(ctx, xasprintf("%s: %s: %s", w, key, msg));
}

static void type_problem(struct load_ctx *ctx, const struct toml_value *v, const char *key, const char *expected) {
        problem(ctx, v, key, "expected %s, got %s", expected, toml_type_name(v->type));
}

/* "a, b or c" */
static char *join_choices(const char *(*name)(int), int n) {
        AUTOFREE char *acc = xstrdup("");
        for (int i = 0; i < n; i++) {
                char *next = xasprintf("%s%s%s", acc, i == 0 ? "" : i == n - 1 ? " or " : ", ", name(i));
                free(acc);
                acc = next;
        }
        return STEAL_PTR(acc);
}

static const char *level_name(int i) {
        return log_level_to_string((enum log_level) i);
}
static const char *format_name(int i) {
        return log_format_to_string((enum log_format) i);
}
static const char *cgroup_name(int i) {
        return cgroup_manager_to_string((enum cric_cgroup_manager) i);
}

static char *bad_choice(const char *(*name)(int), int n, const char *got) {
        AUTOFREE char *choices = join_choices(name, n);
        AUTOFREE char *q = toml_quote_string(got);
        return xasprintf("expected %s, got %s", choices, q);
}

static char *check_enum(const struct setting_desc *d, const char *s) {
        int n = 0;
        for (; d->allowed[n]; n++)
                if (!strcmp(d->allowed[n], s))
                        return NULL;
        AUTOFREE char *q = toml_quote_string(s);
        AUTOFREE char *choices = xstrdup("");
        for (int i = 0; i < n; i++) {
                AUTOFREE char *qa = toml_quote_string(d->allowed[i]);
                char *next = xasprintf("%s%s%s", choices, i == 0 ? "" : i == n - 1 ? " or " : ", ", qa);
                free(choices);
                choices = next;
        }
        return xasprintf("expected %s, got %s", choices, q);
}

static void replace_string(char **f, const char *s) {
        free(*f);
        *f = xstrdup(s);
}

/* Checks a string-like value and stores it. Returns NULL, or the problem (owned by the caller). */
static char *store_text(const struct setting_desc *d, void *base, const char *s) {
        void *f = setting_field(d, base);
        if ((d->flags & SETTING_F_UNIX_URI) && !strncmp(s, UNIX_URI_PREFIX, strlen(UNIX_URI_PREFIX)))
                s += strlen(UNIX_URI_PREFIX);
        if ((d->flags & SETTING_F_EMPTY_IS_DEFAULT) && !*s)
                s = d->def;
        if ((d->flags & (SETTING_F_NONEMPTY | SETTING_F_ABSOLUTE)) && !*s)
                return xstrdup("must not be empty");
        if ((d->flags & SETTING_F_ABSOLUTE) && s[0] != '/') {
                AUTOFREE char *q = toml_quote_string(s);
                return xasprintf("expected an absolute path, got %s", q);
        }
        int e;
        char *msg;
        switch (d->type) {
        case SETTING_STRING: replace_string(f, s); return NULL;
        case SETTING_ENUM:
                if ((msg = check_enum(d, s)))
                        return msg;
                replace_string(f, s);
                return NULL;
        case SETTING_LOG_LEVEL:
                if ((e = log_level_from_string(s)) == LOG_LEVEL_INVALID)
                        return bad_choice(level_name, LOG_LEVEL_MAX, s);
                *(enum log_level *) f = (enum log_level) e;
                return NULL;
        case SETTING_LOG_FORMAT:
                if ((e = log_format_from_string(s)) == LOG_FORMAT_INVALID)
                        return bad_choice(format_name, LOG_FORMAT_MAX, s);
                *(enum log_format *) f = (enum log_format) e;
                return NULL;
        case SETTING_CGROUP_MANAGER:
                if ((e = cgroup_manager_from_string(s)) == CRIC_CGROUP_MANAGER_INVALID)
                        return bad_choice(cgroup_name, CRIC_CGROUP_MANAGER_MAX, s);
                *(enum cric_cgroup_manager *) f = (enum cric_cgroup_manager) e;
                return NULL;
        default: return xstrdup("internal error: not a string setting");
        }
}

static char *store_int(const struct setting_desc *d, void *base, int64_t v) {
        if ((d->flags & SETTING_F_NEGATIVE_IS_OFF) && v < 0) {
                *(int64_t *) setting_field(d, base) = v;
                return NULL;
        }
        if ((d->flags & SETTING_F_NEGATIVE_IS_OFF) && v < d->min)
                return xasprintf("must be negative (no limit) or at least %" PRId64 ", got %" PRId64, d->min, v);
        if (v < d->min || v > d->max)
                return xasprintf("must be between %" PRId64 " and %" PRId64 ", got %" PRId64, d->min, d->max, v);
        *(int64_t *) setting_field(d, base) = v;
        return NULL;
}

static void store_list(const struct setting_desc *d, void *base, char **list) {
        char ***f = setting_field(d, base);
        strv_free(*f);
        *f = list;
}

static bool apply_toml_list(struct load_ctx *ctx, const struct setting_desc *d, void *base, const char *key,
                            const struct toml_value *v) {
        if (v->type != TOML_ARRAY) {
                type_problem(ctx, v, key, "an array of strings");
                return false;
        }
        char **list = xcalloc(v->u.arr.len + 1, sizeof(char *));
        bool ok = true;
        for (size_t i = 0; i < v->u.arr.len; i++) {
                const struct toml_value *item = v->u.arr.items[i];
                if (item->type != TOML_STRING) {
                        AUTOFREE char *ikey = xasprintf("%s[%zu]", key, i);
                        type_problem(ctx, item, ikey, "a string");
                        ok = false;
                        continue;
                }
                list[i] = xstrdup(item->u.s);
        }
        if (!ok) {
                for (size_t i = 0; i < v->u.arr.len; i++)
                        free(list[i]);
                free(list);
                return false;
        }
        store_list(d, base, list);
        return true;
}

/* Applies the file value v to setting d of base. Returns whether it was stored. */
static bool apply_toml(struct load_ctx *ctx, const struct setting_desc *d, void *base, const char *key,
                       const struct toml_value *v) {
        AUTOFREE char *msg = NULL;
        switch (d->type) {
        case SETTING_STRING_LIST: return apply_toml_list(ctx, d, base, key, v);
        case SETTING_INTEGER:
                if (v->type != TOML_INTEGER) {
                        type_problem(ctx, v, key, "an integer");
                        return false;
                }
                msg = store_int(d, base, v->u.i);
                break;
        case SETTING_BOOL:
                if (v->type != TOML_BOOL) {
                        type_problem(ctx, v, key, "a boolean");
                        return false;
                }
                *(bool *) setting_field(d, base) = v->u.b;
                break;
        default:
                if (v->type != TOML_STRING) {
                        type_problem(ctx, v, key, "a string");
                        return false;
                }
                msg = store_text(d, base, v->u.s);
                break;
        }
        if (msg)
                problem(ctx, v, key, "%s", msg);
        return !msg;
}

static void set_origin(struct load_ctx *ctx, const struct setting_desc *d, const struct toml_value *at) {
        size_t i = (size_t) (d - config_settings);
        free(ctx->origins[i]);
        ctx->origins[i] = where(ctx, at);
}

static void warn_unknown(const struct load_ctx *ctx, const struct toml_value *v, const char *key) {
        if (v->type == TOML_TABLE)
                log_warn("%s:%u:%u: unknown configuration table [%s], ignoring", ctx->file, v->line, v->column, key);
        else
                log_warn("%s:%u:%u: unknown configuration key %s, ignoring", ctx->file, v->line, v->column, key);
}

static void walk_runtime(struct load_ctx *ctx, struct cric_runtime_handler *h, const struct toml_value *t,
                         const char *path) {
        for (size_t i = 0; i < t->u.tab.len; i++) {
                const struct toml_value *v = t->u.tab.values[i];
                AUTOFREE char *qk = toml_quote_key(t->u.tab.keys[i]);
                AUTOFREE char *key = xasprintf("%s.%s", path, qk);
                const struct setting_desc *d = config_runtime_setting_find(t->u.tab.keys[i]);
                if (d)
                        apply_toml(ctx, d, h, key, v);
                else
                        warn_unknown(ctx, v, key);
        }
}

static void walk_runtimes(struct load_ctx *ctx, const struct toml_value *t, const char *path) {
        if (t->type != TOML_TABLE) {
                type_problem(ctx, t, path, "a table");
                return;
        }
        for (size_t i = 0; i < t->u.tab.len; i++) {
                const char *name = t->u.tab.keys[i];
                const struct toml_value *v = t->u.tab.values[i];
                AUTOFREE char *qk = toml_quote_key(name);
                AUTOFREE char *key = xasprintf("%s.%s", path, qk);
                if (v->type != TOML_TABLE) {
                        type_problem(ctx, v, key, "a table");
                        continue;
                }
                if (!*name) {
                        problem(ctx, v, key, "a runtime name must not be empty");
                        continue;
                }
                walk_runtime(ctx, config_runtime_get_or_add(ctx->cfg, name), v, key);
        }
}

/* Walks table t found at path ("" for the document root). Only known tables are
 * descended into, so path never holds a quoted key. */
static void walk_table(struct load_ctx *ctx, const struct toml_value *t, const char *path) {
        for (size_t i = 0; i < t->u.tab.len; i++) {
                const char *k = t->u.tab.keys[i];
                const struct toml_value *v = t->u.tab.values[i];
                AUTOFREE char *qk = toml_quote_key(k);
                AUTOFREE char *key = *path ? xasprintf("%s.%s", path, qk) : xstrdup(qk);
                const struct setting_desc *d = *path ? config_setting_lookup(path, k) : NULL;
                if (d) {
                        if (apply_toml(ctx, d, ctx->cfg, key, v))
                                set_origin(ctx, d, v);
                } else if (!strcmp(key, CONFIG_RUNTIMES_TABLE)) {
                        walk_runtimes(ctx, v, key);
                } else if (config_table_is_known(key)) {
                        if (v->type == TOML_TABLE)
                                walk_table(ctx, v, key);
                        else
                                type_problem(ctx, v, key, "a table");
                } else {
                        warn_unknown(ctx, v, key);
                }
        }
}

/* Reads and applies one file. A missing file is skipped unless must_exist. */
static void load_file(struct load_ctx *ctx, const char *path, bool must_exist) {
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        AUTOFREE char *data = NULL;
        size_t len = 0;
        if (fs_read_file(path, CONFIG_MAX_FILE_SIZE, &data, &len, &e) < 0) {
                if (e->kind == CRIC_E_NOT_FOUND && !must_exist) {
                        log_debug("config file %s does not exist, skipping", path);
                        return;
                }
                add_line(ctx, xasprintf("%s: cannot read config file: %s", path, e->msg));
                return;
        }
        CLEANUP(toml_freep) struct toml_value *root = NULL;
        if (toml_parse(data, len, path, &root, &e) < 0) {
                add_line(ctx, xstrdup(e->msg));
                return;
        }
        log_debug("loading config file %s", path);
        ctx->file = path;
        walk_table(ctx, root, "");
        ctx->file = NULL;
}

static void load_dropins(struct load_ctx *ctx, const char *dir) {
        CLEANUP(strv_freep) char **names = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (fs_list_dir(dir, ".conf", true, &names, &err) < 0) {
                add_line(ctx, xasprintf("%s: cannot open config directory: %s", dir, err->msg));
                return;
        }
        for (size_t i = 0; names[i]; i++) {
                AUTOFREE char *path = xasprintf("%s/%s", dir, names[i]);
                load_file(ctx, path, true);
        }
}

static char *parse_int_override(const struct setting_desc *d, void *base, const char *value) {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (!*value || *value == ' ' || *value == '\t' || *end || errno) {
                AUTOFREE char *q = toml_quote_string(value);
                return xasprintf("expected an integer, got %s", q);
        }
        return store_int(d, base, (int64_t) v);
}

static void apply_override(struct load_ctx *ctx, const struct config_setting *s) {
        const struct setting_desc *d = config_setting_find(s->key);
        const char *value = s->value ? s->value : "";
        if (!d) {
                problem(ctx, NULL, s->key ? s->key : "(null)", "unknown configuration key");
                return;
        }
        size_t idx = (size_t) (d - config_settings);
        AUTOFREE char *msg = NULL;
        switch (d->type) {
        case SETTING_STRING_LIST:
                /* The first occurrence replaces the files' list, later ones append. */
                if (!ctx->list_overridden[idx])
                        store_list(d, ctx->cfg, strv_copy((char *const[]){(char *) value, NULL}));
                else
                        strv_push(setting_field(d, ctx->cfg), value);
                ctx->list_overridden[idx] = true;
                break;
        case SETTING_INTEGER: msg = parse_int_override(d, ctx->cfg, value); break;
        case SETTING_BOOL:
                if (strcmp(value, "true") && strcmp(value, "false")) {
                        AUTOFREE char *q = toml_quote_string(value);
                        msg = xasprintf("expected true or false, got %s", q);
                } else {
                        *(bool *) setting_field(d, ctx->cfg) = !strcmp(value, "true");
                }
                break;
        default: msg = store_text(d, ctx->cfg, value); break;
        }
        if (msg)
                problem(ctx, NULL, s->key, "%s", msg);
        else
                set_origin(ctx, d, NULL);
}

/* Cross-field checks, run once everything is merged. */
static void check_default_runtime(struct load_ctx *ctx) {
        const struct cric_config *cfg = ctx->cfg;
        if (config_find_runtime(cfg, cfg->default_runtime))
                return;
        const struct setting_desc *d = config_setting_lookup(CONFIG_RUNTIMES_PARENT, "default_runtime");
        const char *origin = ctx->origins[d - config_settings];
        AUTOFREE char *names = xstrdup("");
        for (size_t i = 0; i < cfg->n_runtimes; i++) {
                char *next = xasprintf("%s%s%s", names, i ? ", " : "", cfg->runtimes[i].name);
                free(names);
                names = next;
        }
        AUTOFREE char *q = toml_quote_string(cfg->default_runtime);
        add_line(ctx, xasprintf("%s: %s.%s: runtime %s is not configured (configured: %s)",
                                origin ? origin : "defaults", d->table, d->key, q, *names ? names : "none"));
}

static void ctx_clear(struct load_ctx *ctx) {
        for (size_t i = 0; i < ctx->n_problems; i++)
                free(ctx->problems[i]);
        free(ctx->problems);
        for (size_t i = 0; i < config_n_settings; i++)
                free(ctx->origins[i]);
        free(ctx->origins);
        free(ctx->list_overridden);
        ctx->cfg = config_unref(ctx->cfg);
}

static char *join_problems(const struct load_ctx *ctx) {
        size_t total = 1;
        for (size_t i = 0; i < ctx->n_problems; i++)
                total += strlen(ctx->problems[i]) + 1;
        char *msg = xmalloc(total), *p = msg;
        for (size_t i = 0; i < ctx->n_problems; i++)
                p = stpcpy(stpcpy(p, i ? "\n" : ""), ctx->problems[i]);
        *p = '\0';
        return msg;
}

int config_load_from(const struct config_overrides *ov, const char *default_file, const char *default_dir,
                     struct cric_config **ret, struct cric_error **err) {
        struct load_ctx ctx = {
                .cfg = config_new_default(),
                .origins = xcalloc(config_n_settings, sizeof(char *)),
                .list_overridden = xcalloc(config_n_settings, sizeof(bool)),
        };
        bool explicit_file = ov && ov->config_file && *ov->config_file;
        load_file(&ctx, explicit_file ? ov->config_file : default_file, explicit_file);
        load_dropins(&ctx, ov && ov->config_dir && *ov->config_dir ? ov->config_dir : default_dir);
        for (size_t i = 0; ov && i < ov->n_settings; i++)
                apply_override(&ctx, &ov->settings[i]);
        check_default_runtime(&ctx);
        if (ctx.n_problems > 0) {
                AUTOFREE char *msg = join_problems(&ctx);
                ctx_clear(&ctx);
                return cric_error_set(err, CRIC_E_INVALID, "%s", msg);
        }
        *ret = STEAL_PTR(ctx.cfg);
        ctx_clear(&ctx);
        return 0;
}

int config_load(const struct config_overrides *ov, struct cric_config **ret, struct cric_error **err) {
        return config_load_from(ov, CRIC_DEFAULT_CONFIG_FILE, CRIC_DEFAULT_CONFIG_DIR, ret, err);
}
