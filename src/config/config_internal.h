/* Shared by the files of src/config/ only: the table of settings that loading,
 * command-line overrides and the sample config all walk, so they cannot drift. */
#ifndef CRIC_CONFIG_INTERNAL_H
#define CRIC_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "util/strv.h"

enum setting_type {
        SETTING_STRING = 0,     /* char * */
        SETTING_STRING_LIST,    /* char **, NULL-terminated */
        SETTING_INTEGER,        /* int64_t, within [min, max] */
        SETTING_BOOL,           /* bool */
        SETTING_ENUM,           /* char *, one of allowed[] */
        SETTING_LOG_LEVEL,      /* enum log_level */
        SETTING_LOG_FORMAT,     /* enum log_format */
        SETTING_CGROUP_MANAGER, /* enum cric_cgroup_manager */
        SETTING_TYPE_MAX,
        SETTING_TYPE_INVALID = -1,
};

enum setting_flags {
        SETTING_F_NONEMPTY = 1 << 0,         /* "" is refused */
        SETTING_F_ABSOLUTE = 1 << 1,         /* an absolute path (implies non-empty) */
        SETTING_F_UNIX_URI = 1 << 2,         /* a "unix://" prefix is accepted and stripped */
        SETTING_F_EMPTY_IS_DEFAULT = 1 << 3, /* "" is stored as the default value */
        SETTING_F_NEGATIVE_IS_OFF = 1 << 4,  /* SETTING_INTEGER: any negative value too (off) */
};

struct setting_desc {
        const char *table; /* dotted TOML table path; NULL for the fields of a runtime */
        const char *key;
        enum setting_type type;
        unsigned flags;              /* enum setting_flags */
        size_t offset;               /* of the field in struct cric_config (or cric_runtime_handler) */
        const char *def;             /* scalar string-like types: the default, spelled as in the file */
        const char *const *def_list; /* SETTING_STRING_LIST: NULL-terminated */
        int64_t def_int, min, max;   /* SETTING_INTEGER */
        bool def_bool;               /* SETTING_BOOL */
        const char *const *allowed;  /* SETTING_ENUM: NULL-terminated */
        const char *comment;         /* sample-config text, '\n' between lines */
};

struct config_table_desc {
        const char *path;    /* "cric.api" */
        const char *comment; /* printed above the table header; may be NULL */
};

struct runtime_default {
        const char *name, *runtime_path, *runtime_type, *runtime_root;
};

/* The runtimes map is the one special case: [cric.runtime.runtimes.<name>]. */
#define CONFIG_RUNTIMES_PARENT "cric.runtime"
#define CONFIG_RUNTIMES_KEY    "runtimes"
#define CONFIG_RUNTIMES_TABLE  CONFIG_RUNTIMES_PARENT "." CONFIG_RUNTIMES_KEY

/* config_defaults.c */
extern const struct setting_desc config_settings[];
extern const size_t config_n_settings;
extern const struct setting_desc config_runtime_settings[]; /* table == NULL */
extern const size_t config_n_runtime_settings;
extern const struct config_table_desc config_tables[]; /* in print order */
extern const size_t config_n_tables;
extern const struct runtime_default config_default_runtimes[];
extern const size_t config_n_default_runtimes;
extern const char *const config_runtimes_comment;

/* Finds a setting by its full dotted key ("cric.api.listen"); NULL if unknown. */
const struct setting_desc *config_setting_find(const char *full_key);
/* Finds a setting of table `table` named `key`; NULL if unknown. */
const struct setting_desc *config_setting_lookup(const char *table, const char *key);
/* Finds a field of a runtime handler ("runtime_path"); NULL if unknown. */
const struct setting_desc *config_runtime_setting_find(const char *key);
/* True when path names a table of the config (not counting the runtimes map). */
bool config_table_is_known(const char *path);

/* The field of setting d inside base (a struct cric_config or cric_runtime_handler). */
static inline void *setting_field(const struct setting_desc *d, void *base) {
        return (char *) base + d->offset;
}
static inline const void *setting_field_const(const struct setting_desc *d, const void *base) {
        return (const char *) base + d->offset;
}

/* Frees what the field of d owns and stores the default value instead. */
void config_setting_set_default(const struct setting_desc *d, void *base);
/* Frees what the field of d owns and leaves it zeroed. */
void config_setting_clear(const struct setting_desc *d, void *base);

/* config_load.c */
/* config_load with other paths standing in for CRIC_DEFAULT_CONFIG_FILE and
 * CRIC_DEFAULT_CONFIG_DIR, so tests need not depend on what /etc holds. */
int config_load_from(const struct config_overrides *ov, const char *default_file, const char *default_dir,
                     struct cric_config **ret, struct cric_error **err);

/* config.c */
/* Returns the handler called name, adding one with default fields (kept in name
 * order) when there is none yet. The pointer is valid until the next add. */
struct cric_runtime_handler *config_runtime_get_or_add(struct cric_config *cfg, const char *name);
enum cric_cgroup_manager cgroup_manager_from_string(const char *s);

#endif
