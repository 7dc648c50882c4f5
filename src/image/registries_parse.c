/* registries.conf (version 2) and its drop-ins -> struct registries_conf.
 *
 * Every problem of a file is collected before giving up, so an operator fixing a
 * broken file sees all of them at once; each names "file:line:col: key". Unknown keys
 * are only warned about: registries.conf is shared with podman, buildah and CRI-O,
 * which know keys we do not use. */
#include "image/registries.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "config/toml.h"
#include "image/registries_internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* registries.conf is a few KiB; anything much larger is a mistake. */
#define REGISTRIES_MAX_FILE_SIZE (4u * 1024 * 1024)
#define WILDCARD_PREFIX          "*."

struct parse_ctx {
        const char *file;
        char **problems; /* "file:line:col: key: problem", in the order found */
        size_t n_problems, cap_problems;
};

static void problem(struct parse_ctx *ctx, const struct toml_value *at, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void problem(struct parse_ctx *ctx, const struct toml_value *at, const char *key, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        AUTOFREE char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        ctx->problems = xgrow(ctx->problems, &ctx->cap_problems, ctx->n_problems + 1, sizeof(char *));
        ctx->problems[ctx->n_problems++] = xasprintf("%s:%u:%u: %s: %s", ctx->file, at->line, at->column, key, msg);
}

static bool expect_type(struct parse_ctx *ctx, const struct toml_value *v, const char *key, enum toml_type type) {
        if (v->type == type)
                return true;
        const char *name = toml_type_name(type);
        problem(ctx, v, key, "expected %s %s, got %s", type == TOML_ARRAY ? "an" : "a", name, toml_type_name(v->type));
        return false;
}

static void warn_unknown(const struct parse_ctx *ctx, const struct toml_value *at, const char *key) {
        log_warn("%s:%u:%u: unknown key %s in registries.conf, ignoring", ctx->file, at->line, at->column, key);
}

/* ---- freeing ---- */

static void entry_clear(struct registry_entry *e) {
        free(e->prefix);
        free(e->location);
        for (size_t i = 0; i < e->n_mirrors; i++)
                free(e->mirrors[i].location);
        free(e->mirrors);
        free(e->file);
        memset(e, 0, sizeof(*e));
}

static void alias_clear(struct registry_alias *a) {
        free(a->name);
        free(a->value);
        memset(a, 0, sizeof(*a));
}

static void search_clear(struct registries_conf *conf) {
        for (size_t i = 0; i < conf->n_search; i++)
                free(conf->search[i]);
        free(conf->search);
        conf->search = NULL;
        conf->n_search = 0;
}

struct registries_conf *registries_conf_free(struct registries_conf *conf) {
        if (!conf)
                return NULL;
        search_clear(conf);
        for (size_t i = 0; i < conf->n_registries; i++)
                entry_clear(&conf->registries[i]);
        free(conf->registries);
        for (size_t i = 0; i < conf->n_aliases; i++)
                alias_clear(&conf->aliases[i]);
        free(conf->aliases);
        free(conf);
        return NULL;
}

void registries_conf_freep(struct registries_conf **conf) {
        if (conf)
                *conf = registries_conf_free(*conf);
}

static struct registries_conf *conf_new(void) {
        struct registries_conf *conf = xzalloc(sizeof(*conf));
        /* containers-registries.conf(5): an unset or empty mode means permissive. */
        conf->mode = SHORT_NAME_PERMISSIVE;
        return conf;
}

/* ---- syntax checks shared by several keys ---- */

/* A host[:port] that the reference parser reads as a domain, so "host/name" can never
 * turn into a docker.io short name. The parser is the one authority on domain syntax. */
static bool is_registry_host(const char *host) {
        if (!*host || strpbrk(host, "/@"))
                return false;
        AUTOFREE char *probe = xasprintf("%s/x", host);
        CLEANUP(image_ref_freep) struct image_ref *ref = NULL;
        return image_ref_parse(probe, &ref, NULL) == 0 && ref->had_domain;
}

/* "*.example.com": a host name (no port) after the "*.". */
static bool is_wildcard_host(const char *rest) {
        if (!*rest || strpbrk(rest, ":[]*"))
                return false;
        AUTOFREE char *probe = xasprintf("x.%s", rest);
        return is_registry_host(probe);
}

/* Checks a prefix or location and returns it without trailing '/', or NULL after
 * recording the problem. Both read host[:port][/path][:tag|@digest]; only a prefix
 * may instead be a "*.example.com" wildcard. */
static char *check_location(struct parse_ctx *ctx, const struct toml_value *v, const char *key, bool is_prefix) {
        AUTOFREE char *s = xstrdup(v->u.s);
        size_t len = strlen(s);
        while (len > 0 && s[len - 1] == '/')
                s[--len] = '\0';
        if (!*s) {
                problem(ctx, v, key, "must not be empty");
                return NULL;
        }
        if (strstr(s, "://")) {
                problem(ctx, v, key, "\"%s\" must not contain a scheme; use insecure = true for plain HTTP", s);
                return NULL;
        }
        if (!strncmp(s, WILDCARD_PREFIX, strlen(WILDCARD_PREFIX)) && is_prefix) {
                if (!is_wildcard_host(s + strlen(WILDCARD_PREFIX))) {
                        problem(ctx, v, key, "\"%s\" is not a wildcard like \"*.example.com\"", s);
                        return NULL;
                }
                return STEAL_PTR(s);
        }
        if (strchr(s, '*')) {
                problem(ctx, v, key, "\"%s\": a wildcard is only allowed as a leading \"*.\" of a prefix", s);
                return NULL;
        }
        if (!strchr(s, '/')) {
                if (!is_registry_host(s)) {
                        problem(ctx, v, key, "\"%s\" is not a registry host[:port][/namespace...]", s);
                        return NULL;
                }
                return STEAL_PTR(s);
        }
        CLEANUP(image_ref_freep) struct image_ref *ref = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (image_ref_parse(s, &ref, &e) < 0) {
                problem(ctx, v, key, "%s", e->msg);
                return NULL;
        }
        if (!ref->had_domain) {
                problem(ctx, v, key, "\"%s\" does not start with a registry host[:port]", s);
                return NULL;
        }
        return STEAL_PTR(s);
}

/* ---- top-level keys ---- */

static void parse_search(struct parse_ctx *ctx, const struct toml_value *v, const char *key,
                         struct registries_conf *conf) {
        if (!expect_type(ctx, v, key, TOML_ARRAY))
                return;
        search_clear(conf);
        conf->has_search = true;
        conf->search = xcalloc(v->u.arr.len + 1, sizeof(char *));
        for (size_t i = 0; i < v->u.arr.len; i++) {
                const struct toml_value *item = v->u.arr.items[i];
                AUTOFREE char *ikey = xasprintf("%s[%zu]", key, i);
                if (!expect_type(ctx, item, ikey, TOML_STRING))
                        continue;
                if (!is_registry_host(item->u.s)) {
                        problem(ctx, item, ikey, "\"%s\" is not a registry host[:port]", item->u.s);
                        continue;
                }
                conf->search[conf->n_search++] = xstrdup(item->u.s);
        }
}

static void parse_mode(struct parse_ctx *ctx, const struct toml_value *v, const char *key,
                       struct registries_conf *conf) {
        static const char *const names[SHORT_NAME_MODE_MAX] = {
                [SHORT_NAME_ENFORCING] = "enforcing",
                [SHORT_NAME_PERMISSIVE] = "permissive",
                [SHORT_NAME_DISABLED] = "disabled",
        };
        if (!expect_type(ctx, v, key, TOML_STRING))
                return;
        if (!*v->u.s) {
                conf->mode = SHORT_NAME_PERMISSIVE;
                conf->has_mode = true;
                return;
        }
        for (int i = 0; i < SHORT_NAME_MODE_MAX; i++) {
                if (!strcmp(v->u.s, names[i])) {
                        conf->mode = (enum short_name_mode) i;
                        conf->has_mode = true;
                        return;
                }
        }
        problem(ctx, v, key, "expected \"enforcing\", \"permissive\" or \"disabled\", got \"%s\"", v->u.s);
}

/* ---- [[registry]] and [[registry.mirror]] ---- */

static void parse_bool(struct parse_ctx *ctx, const struct toml_value *v, const char *key, bool *out) {
        if (expect_type(ctx, v, key, TOML_BOOL))
                *out = v->u.b;
}

static void parse_pull_from(struct parse_ctx *ctx, const struct toml_value *v, const char *key,
                            struct registry_mirror *m, bool *has_pull_from) {
        if (!expect_type(ctx, v, key, TOML_STRING))
                return;
        if (!strcmp(v->u.s, "all") || !*v->u.s)
                m->pull_from = PULL_FROM_MIRROR_ALL;
        else if (!strcmp(v->u.s, "digest-only"))
                m->pull_from = PULL_FROM_MIRROR_DIGEST_ONLY;
        else if (!strcmp(v->u.s, "tag-only"))
                m->pull_from = PULL_FROM_MIRROR_TAG_ONLY;
        else
                problem(ctx, v, key, "expected \"all\", \"digest-only\" or \"tag-only\", got \"%s\"", v->u.s);
        *has_pull_from = *v->u.s != '\0';
}

/* Returns whether the mirror set pull-from-mirror (to check against mirror-by-digest-only). */
static bool parse_mirror(struct parse_ctx *ctx, const struct toml_value *t, const char *mkey,
                         struct registry_entry *e) {
        struct registry_mirror m = {0};
        bool has_pull_from = false, ok = true;
        if (!expect_type(ctx, t, mkey, TOML_TABLE))
                return false;
        for (size_t i = 0; i < t->u.tab.len; i++) {
                const char *k = t->u.tab.keys[i];
                const struct toml_value *v = t->u.tab.values[i];
                AUTOFREE char *qk = toml_quote_key(k);
                AUTOFREE char *key = xasprintf("%s.%s", mkey, qk);
                if (!strcmp(k, "location"))
                        ok = expect_type(ctx, v, key, TOML_STRING) && (m.location = check_location(ctx, v, key, false));
                else if (!strcmp(k, "insecure"))
                        parse_bool(ctx, v, key, &m.insecure);
                else if (!strcmp(k, "pull-from-mirror"))
                        parse_pull_from(ctx, v, key, &m, &has_pull_from);
                else
                        warn_unknown(ctx, v, key);
        }
        if (!m.location) {
                if (ok)
                        problem(ctx, t, mkey, "a mirror needs a location");
                return has_pull_from;
        }
        e->mirrors = xrealloc(e->mirrors, (e->n_mirrors + 1) * sizeof(*e->mirrors));
        e->mirrors[e->n_mirrors++] = m;
        return has_pull_from;
}

static void parse_mirrors(struct parse_ctx *ctx, const struct toml_value *v, const char *key,
                          struct registry_entry *e) {
        if (!expect_type(ctx, v, key, TOML_ARRAY))
                return;
        bool any_pull_from = false;
        for (size_t i = 0; i < v->u.arr.len; i++) {
                AUTOFREE char *mkey = xasprintf("%s[%zu]", key, i);
                any_pull_from |= parse_mirror(ctx, v->u.arr.items[i], mkey, e);
        }
        /* containers/image refuses the combination too: the two settings would
         * disagree about tag references. */
        if (e->mirror_by_digest_only && any_pull_from)
                problem(ctx, v, key, "pull-from-mirror cannot be combined with mirror-by-digest-only = true");
}

/* Applies the keys of one [[registry]] table to e; mirrors come last so the
 * mirror-by-digest-only check sees the final flag whatever the key order. */
static bool parse_registry_keys(struct parse_ctx *ctx, const struct toml_value *t, const char *rkey,
                                struct registry_entry *e) {
        const struct toml_value *mirrors = NULL;
        bool ok = true;
        for (size_t i = 0; i < t->u.tab.len; i++) {
                const char *k = t->u.tab.keys[i];
                const struct toml_value *v = t->u.tab.values[i];
                AUTOFREE char *qk = toml_quote_key(k);
                AUTOFREE char *key = xasprintf("%s.%s", rkey, qk);
                if (!strcmp(k, "prefix") || !strcmp(k, "location")) {
                        bool is_prefix = k[0] == 'p';
                        char **field = is_prefix ? &e->prefix : &e->location;
                        if (!expect_type(ctx, v, key, TOML_STRING))
                                ok = false;
                        else if (*v->u.s && !(*field = check_location(ctx, v, key, is_prefix)))
                                ok = false;
                } else if (!strcmp(k, "insecure")) {
                        parse_bool(ctx, v, key, &e->insecure);
                } else if (!strcmp(k, "blocked")) {
                        parse_bool(ctx, v, key, &e->blocked);
                } else if (!strcmp(k, "mirror-by-digest-only")) {
                        parse_bool(ctx, v, key, &e->mirror_by_digest_only);
                } else if (!strcmp(k, "mirror")) {
                        mirrors = v;
                } else {
                        warn_unknown(ctx, v, key);
                }
        }
        if (mirrors) {
                AUTOFREE char *key = xasprintf("%s.mirror", rkey);
                parse_mirrors(ctx, mirrors, key, e);
        }
        return ok;
}

static ssize_t find_entry(const struct registries_conf *conf, const char *prefix) {
        for (size_t i = 0; i < conf->n_registries; i++)
                if (!strcmp(conf->registries[i].prefix, prefix))
                        return (ssize_t) i;
        return -1;
}

static void parse_registry(struct parse_ctx *ctx, const struct toml_value *t, const char *rkey,
                           struct registries_conf *conf) {
        if (!expect_type(ctx, t, rkey, TOML_TABLE))
                return;
        struct registry_entry e = {.file = xstrdup(ctx->file), .line = t->line};
        if (!parse_registry_keys(ctx, t, rkey, &e)) {
                entry_clear(&e);
                return;
        }
        if (!e.prefix && !e.location) {
                problem(ctx, t, rkey, "a [[registry]] needs a prefix or a location");
                entry_clear(&e);
                return;
        }
        if (!e.prefix)
                e.prefix = xstrdup(e.location);
        e.is_wildcard = !strncmp(e.prefix, WILDCARD_PREFIX, strlen(WILDCARD_PREFIX));
        if (!e.location && !e.is_wildcard) /* containers-registries.conf(5): location defaults to prefix */
                e.location = xstrdup(e.prefix);
        ssize_t dup = find_entry(conf, e.prefix);
        if (dup >= 0) {
                problem(ctx, t, rkey, "prefix \"%s\" is already used by the [[registry]] at line %u", e.prefix,
                        conf->registries[dup].line);
                entry_clear(&e);
                return;
        }
        conf->registries = xrealloc(conf->registries, (conf->n_registries + 1) * sizeof(*conf->registries));
        conf->registries[conf->n_registries++] = e;
}

/* ---- [aliases] ---- */

static bool text_has_tag(const char *s) {
        const char *slash = strrchr(s, '/');
        const char *base = slash ? slash + 1 : s;
        size_t len = strcspn(base, "@");
        return memchr(base, ':', len) != NULL;
}

static bool check_alias(struct parse_ctx *ctx, const struct toml_value *v, const char *key, const char *name) {
        CLEANUP(image_ref_freep) struct image_ref *ref = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (strpbrk(name, ":@") || image_ref_parse(name, &ref, NULL) < 0 || ref->had_domain) {
                problem(ctx, v, key, "an alias name must be a short name without registry, tag or digest");
                return false;
        }
        image_ref_freep(&ref);
        if (!*v->u.s) /* erases the alias of an earlier file */
                return true;
        if (image_ref_parse(v->u.s, &ref, &e) < 0) {
                problem(ctx, v, key, "%s", e->msg);
                return false;
        }
        if (!ref->had_domain || ref->digest) {
                problem(ctx, v, key, "\"%s\" is not a fully qualified name (registry/repository[:tag])", v->u.s);
                return false;
        }
        return true;
}

static void set_alias(struct registries_conf *conf, struct registry_alias *a) {
        for (size_t i = 0; i < conf->n_aliases; i++) {
                if (!strcmp(conf->aliases[i].name, a->name)) {
                        alias_clear(&conf->aliases[i]);
                        conf->aliases[i] = *a;
                        return;
                }
        }
        conf->aliases = xrealloc(conf->aliases, (conf->n_aliases + 1) * sizeof(*conf->aliases));
        conf->aliases[conf->n_aliases++] = *a;
}

static void parse_aliases(struct parse_ctx *ctx, const struct toml_value *t, const char *tkey,
                          struct registries_conf *conf) {
        if (!expect_type(ctx, t, tkey, TOML_TABLE))
                return;
        for (size_t i = 0; i < t->u.tab.len; i++) {
                const char *name = t->u.tab.keys[i];
                const struct toml_value *v = t->u.tab.values[i];
                AUTOFREE char *qk = toml_quote_key(name);
                AUTOFREE char *key = xasprintf("%s.%s", tkey, qk);
                if (!expect_type(ctx, v, key, TOML_STRING) || !check_alias(ctx, v, key, name))
                        continue;
                struct registry_alias a = {
                        .name = xstrdup(name),
                        .value = xstrdup(v->u.s),
                        .has_tag = text_has_tag(v->u.s),
                };
                set_alias(conf, &a);
        }
}

/* ---- documents ---- */

static void parse_registries(struct parse_ctx *ctx, const struct toml_value *v, const char *key,
                             struct registries_conf *conf) {
        if (v->type != TOML_ARRAY) {
                problem(ctx, v, key, "expected an array of tables ([[registry]]), got %s", toml_type_name(v->type));
                return;
        }
        for (size_t i = 0; i < v->u.arr.len; i++) {
                AUTOFREE char *rkey = xasprintf("%s[%zu]", key, i);
                parse_registry(ctx, v->u.arr.items[i], rkey, conf);
        }
}

static void parse_root(struct parse_ctx *ctx, const struct toml_value *root, struct registries_conf *conf) {
        for (size_t i = 0; i < root->u.tab.len; i++) {
                const char *k = root->u.tab.keys[i];
                const struct toml_value *v = root->u.tab.values[i];
                AUTOFREE char *key = toml_quote_key(k);
                if (!strcmp(k, "unqualified-search-registries"))
                        parse_search(ctx, v, key, conf);
                else if (!strcmp(k, "short-name-mode"))
                        parse_mode(ctx, v, key, conf);
                else if (!strcmp(k, "credential-helpers"))
                        log_debug("%s: credential-helpers are not used by cric, ignoring", ctx->file);
                else if (!strcmp(k, "registry"))
                        parse_registries(ctx, v, key, conf);
                else if (!strcmp(k, "aliases"))
                        parse_aliases(ctx, v, key, conf);
                else if (!strcmp(k, "registries"))
                        problem(ctx, v, key,
                                "[registries.search], [registries.insecure] and [registries.block] are the "
                                "version 1 format, which is not supported; use version 2 "
                                "(unqualified-search-registries and [[registry]] tables)");
                else
                        warn_unknown(ctx, v, key);
        }
}

static char *join_problems(const struct parse_ctx *ctx) {
        size_t total = 1;
        for (size_t i = 0; i < ctx->n_problems; i++)
                total += strlen(ctx->problems[i]) + 1;
        char *msg = xmalloc(total), *p = msg;
        for (size_t i = 0; i < ctx->n_problems; i++)
                p = stpcpy(stpcpy(p, i ? "\n" : ""), ctx->problems[i]);
        *p = '\0';
        return msg;
}

int registries_conf_parse(const char *text, size_t len, const char *filename, struct registries_conf **ret,
                          struct cric_error **err) {
        struct parse_ctx ctx = {.file = filename ? filename : "<input>"};
        CLEANUP(toml_freep) struct toml_value *root = NULL;
        if (toml_parse(text, len, ctx.file, &root, err) < 0)
                return -1;
        CLEANUP(registries_conf_freep) struct registries_conf *conf = conf_new();
        parse_root(&ctx, root, conf);
        if (ctx.n_problems > 0) {
                AUTOFREE char *msg = join_problems(&ctx);
                for (size_t i = 0; i < ctx.n_problems; i++)
                        free(ctx.problems[i]);
                free(ctx.problems);
                return cric_error_set(err, CRIC_E_INVALID, "%s", msg);
        }
        *ret = STEAL_PTR(conf);
        return 0;
}

/* ---- files and drop-ins ---- */

/* Moves what a later file sets into conf; from is consumed. Scalars and the search
 * list replace, [[registry]] entries replace the one with the same prefix (or are
 * added), aliases replace per name. */
static void merge(struct registries_conf *conf, struct registries_conf *from) {
        if (from->has_search) {
                search_clear(conf);
                conf->search = STEAL_PTR(from->search);
                conf->n_search = from->n_search;
                conf->has_search = true;
                from->n_search = 0;
        }
        if (from->has_mode) {
                conf->mode = from->mode;
                conf->has_mode = true;
        }
        for (size_t i = 0; i < from->n_registries; i++) {
                ssize_t at = find_entry(conf, from->registries[i].prefix);
                if (at >= 0) {
                        entry_clear(&conf->registries[at]);
                        conf->registries[at] = from->registries[i];
                        continue;
                }
                conf->registries = xrealloc(conf->registries, (conf->n_registries + 1) * sizeof(*conf->registries));
                conf->registries[conf->n_registries++] = from->registries[i];
        }
        from->n_registries = 0;
        for (size_t i = 0; i < from->n_aliases; i++)
                set_alias(conf, &from->aliases[i]);
        from->n_aliases = 0;
        registries_conf_free(from);
}

/* Parses path into *ret; a missing file gives NULL and no error. */
static int load_one(const char *path, struct registries_conf **ret, struct cric_error **err) {
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        AUTOFREE char *data = NULL;
        size_t len = 0;
        if (fs_read_file(path, REGISTRIES_MAX_FILE_SIZE, &data, &len, &e) < 0) {
                if (e->kind == CRIC_E_NOT_FOUND) {
                        log_debug("%s does not exist, skipping", path);
                        *ret = NULL;
                        return 0;
                }
                return cric_error_move(err, &e);
        }
        log_debug("loading registries configuration %s", path);
        return registries_conf_parse(data, len, path, ret, err);
}

/* The regular "*.conf" files of dir, in byte order; a missing dir has none. */
static int merge_dropins(const char *dir, struct registries_conf *conf, struct cric_error **err) {
        CLEANUP(strv_freep) char **names = NULL;
        if (fs_list_dir(dir, ".conf", true, &names, err) < 0)
                return -1;
        for (size_t i = 0; names[i]; i++) {
                AUTOFREE char *path = xasprintf("%s/%s", dir, names[i]);
                struct registries_conf *one = NULL;
                if (load_one(path, &one, err) < 0)
                        return -1;
                if (one)
                        merge(conf, one);
        }
        return 0;
}

int registries_conf_load(const char *path, struct registries_conf **ret, struct cric_error **err) {
        struct registries_conf *main_conf = NULL;
        if (load_one(path, &main_conf, err) < 0)
                return -1;
        CLEANUP(registries_conf_freep) struct registries_conf *conf = main_conf ? main_conf : conf_new();
        AUTOFREE char *dir = xasprintf("%s.d", path); /* registries.conf -> registries.conf.d */
        if (merge_dropins(dir, conf, err) < 0)
                return -1;
        *ret = STEAL_PTR(conf);
        return 0;
}
