/* The config object: defaults, reference counting, runtime lookup. */
#include "config/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"
#include "util/xalloc.h"

static const char *const cgroup_manager_names[CRIC_CGROUP_MANAGER_MAX] = {
        [CRIC_CGROUP_CGROUPFS] = "cgroupfs",
        [CRIC_CGROUP_SYSTEMD] = "systemd",
};

const char *cgroup_manager_to_string(enum cric_cgroup_manager m) {
        if ((int) m < 0 || m >= CRIC_CGROUP_MANAGER_MAX)
                return "invalid";
        return cgroup_manager_names[m];
}

enum cric_cgroup_manager cgroup_manager_from_string(const char *s) {
        for (int i = 0; s && i < CRIC_CGROUP_MANAGER_MAX; i++)
                if (!strcmp(s, cgroup_manager_names[i]))
                        return (enum cric_cgroup_manager) i;
        return CRIC_CGROUP_MANAGER_INVALID;
}

static void runtime_clear(struct cric_runtime_handler *h) {
        free(h->name);
        h->name = NULL;
        for (size_t i = 0; i < config_n_runtime_settings; i++)
                config_setting_clear(&config_runtime_settings[i], h);
}

struct cric_runtime_handler *config_runtime_get_or_add(struct cric_config *cfg, const char *name) {
        size_t pos = 0;
        while (pos < cfg->n_runtimes) {
                int c = strcmp(cfg->runtimes[pos].name, name);
                if (c == 0)
                        return &cfg->runtimes[pos];
                if (c > 0)
                        break;
                pos++;
        }
        cfg->runtimes = xrealloc(cfg->runtimes, (cfg->n_runtimes + 1) * sizeof(*cfg->runtimes));
        memmove(&cfg->runtimes[pos + 1], &cfg->runtimes[pos], (cfg->n_runtimes - pos) * sizeof(*cfg->runtimes));
        cfg->n_runtimes++;
        struct cric_runtime_handler *h = &cfg->runtimes[pos];
        memset(h, 0, sizeof(*h));
        h->name = xstrdup(name);
        for (size_t i = 0; i < config_n_runtime_settings; i++)
                config_setting_set_default(&config_runtime_settings[i], h);
        return h;
}

struct cric_config *config_new_default(void) {
        struct cric_config *cfg = xzalloc(sizeof(*cfg));
        cfg->refcount = 1;
        for (size_t i = 0; i < config_n_settings; i++)
                config_setting_set_default(&config_settings[i], cfg);
        for (size_t i = 0; i < config_n_default_runtimes; i++) {
                const struct runtime_default *rd = &config_default_runtimes[i];
                struct cric_runtime_handler *h = config_runtime_get_or_add(cfg, rd->name);
                free(h->runtime_path);
                h->runtime_path = xstrdup(rd->runtime_path);
                free(h->runtime_type);
                h->runtime_type = xstrdup(rd->runtime_type);
                free(h->runtime_root);
                h->runtime_root = xstrdup(rd->runtime_root);
        }
        return cfg;
}

const struct cric_runtime_handler *config_find_runtime(const struct cric_config *cfg, const char *name) {
        if (!cfg)
                return NULL;
        if (!name || !*name)
                name = cfg->default_runtime;
        if (!name)
                return NULL;
        for (size_t i = 0; i < cfg->n_runtimes; i++)
                if (!strcmp(cfg->runtimes[i].name, name))
                        return &cfg->runtimes[i];
        return NULL;
}

struct cric_config *config_ref(struct cric_config *cfg) {
        if (cfg)
                __atomic_add_fetch(&cfg->refcount, 1, __ATOMIC_RELAXED);
        return cfg;
}

static void config_free(struct cric_config *cfg) {
        for (size_t i = 0; i < config_n_settings; i++)
                config_setting_clear(&config_settings[i], cfg);
        for (size_t i = 0; i < cfg->n_runtimes; i++)
                runtime_clear(&cfg->runtimes[i]);
        free(cfg->runtimes);
        free(cfg);
}

struct cric_config *config_unref(struct cric_config *cfg) {
        /* Acquire-release so the freeing thread sees every write made before the
         * other threads dropped their references. */
        if (cfg && __atomic_sub_fetch(&cfg->refcount, 1, __ATOMIC_ACQ_REL) == 0)
                config_free(cfg);
        return NULL;
}

void config_unrefp(struct cric_config **cfg) {
        if (cfg)
                *cfg = config_unref(*cfg);
}

/* One "<number><unit>" step of a duration; the number of milliseconds per unit. */
static int64_t unit_ms(const char *u, size_t n) {
        static const struct {
                const char *name;
                int64_t ms;
        } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
                if (strlen(units[i].name) == n && strncmp(u, units[i].name, n) == 0)
                        return units[i].ms;
        return 0;
}

int config_duration_ms(const char *text, int64_t *ret_ms, struct cric_error **err) {
        int64_t total = 0;
        const char *p = text ? text : "";
        if (!*p || strcmp(p, "0") == 0) {
                *ret_ms = 0;
                return 0;
        }
        while (*p) {
                char *end = NULL;
                errno = 0;
                double v = strtod(p, &end);
                size_t n = strspn(end, "abcdefghijklmnopqrstuvwxyz");
                int64_t u = end != p && !errno && v >= 0 ? unit_ms(end, n) : 0;
                if (!u || v * (double) u > 1e15)
                        return cric_error_set(err, CRIC_E_INVALID,
                                              "\"%s\" is not a duration (e.g. \"4h\", \"1h30m\", \"90s\", \"500ms\")",
                                              text);
                total += (int64_t) (v * (double) u);
                p = end + n;
        }
        *ret_ms = total;
        return 0;
}
