/* config_print: the configuration as a commented TOML document. With the defaults it is
 * the sample config (`cricd config --default`); with a loaded config it shows what the
 * daemon really uses. Loading the output gives the same config back, and printing that
 * again gives the same bytes, because every value is written in one canonical form. */
#include "config/config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"
#include "config/toml.h"
#include "util/cleanup.h"

static const char header[] = "# cric configuration.\n"
                             "#\n"
                             "# cricd reads " CRIC_DEFAULT_CONFIG_FILE " (or the file named by --config), then every\n"
                             "# *.conf file of " CRIC_DEFAULT_CONFIG_DIR "/ (or --config-dir) in lexical order, then\n"
                             "# its command-line flags; a later value replaces an earlier one, and a list replaces\n"
                             "# the whole list. Unknown keys are reported as warnings and ignored.\n"
                             "#\n"
                             "# `cricd config --default` prints this file with the built-in defaults;\n"
                             "# `cricd config` prints the configuration in effect.\n";

/* Writes text as "# " comment lines (a bare "#" for an empty line). */
static void print_comment(const char *text, FILE *out) {
        if (!text)
                return;
        const char *p = text;
        for (;;) {
                const char *nl = strchr(p, '\n');
                int n = nl ? (int) (nl - p) : (int) strlen(p);
                if (n > 0)
                        fprintf(out, "# %.*s\n", n, p);
                else
                        fputs("#\n", out);
                if (!nl)
                        break;
                p = nl + 1;
        }
}

static void print_quoted(const char *s, FILE *out) {
        AUTOFREE char *q = toml_quote_string(s);
        fputs(q, out);
}

static void print_value(const struct setting_desc *d, const void *base, FILE *out) {
        const void *f = setting_field_const(d, base);
        switch (d->type) {
        case SETTING_STRING:
        case SETTING_ENUM: print_quoted(*(char *const *) f, out); break;
        case SETTING_STRING_LIST: {
                char *const *list = *(char **const *) f;
                fputc('[', out);
                for (size_t i = 0; list && list[i]; i++) {
                        if (i > 0)
                                fputs(", ", out);
                        print_quoted(list[i], out);
                }
                fputc(']', out);
                break;
        }
        case SETTING_INTEGER: fprintf(out, "%" PRId64, *(const int64_t *) f); break;
        case SETTING_BOOL: fputs(*(const bool *) f ? "true" : "false", out); break;
        case SETTING_LOG_LEVEL: print_quoted(log_level_to_string(*(const enum log_level *) f), out); break;
        case SETTING_LOG_FORMAT: print_quoted(log_format_to_string(*(const enum log_format *) f), out); break;
        case SETTING_CGROUP_MANAGER:
                print_quoted(cgroup_manager_to_string(*(const enum cric_cgroup_manager *) f), out);
                break;
        default: break;
        }
}

static void print_setting(const struct setting_desc *d, const void *base, FILE *out) {
        AUTOFREE char *key = toml_quote_key(d->key);
        fputc('\n', out);
        print_comment(d->comment, out);
        fprintf(out, "%s = ", key);
        print_value(d, base, out);
        fputc('\n', out);
}

static void print_runtimes(const struct cric_config *cfg, FILE *out) {
        fputc('\n', out);
        print_comment(config_runtimes_comment, out);
        for (size_t i = 0; i < cfg->n_runtimes; i++) {
                const struct cric_runtime_handler *h = &cfg->runtimes[i];
                AUTOFREE char *name = toml_quote_key(h->name);
                fprintf(out, "\n[%s.%s]\n", CONFIG_RUNTIMES_TABLE, name);
                for (size_t j = 0; j < config_n_runtime_settings; j++)
                        print_setting(&config_runtime_settings[j], h, out);
        }
}

void config_print(const struct cric_config *cfg, FILE *out) {
        fputs(header, out);
        for (size_t t = 0; t < config_n_tables; t++) {
                const struct config_table_desc *table = &config_tables[t];
                fputc('\n', out);
                print_comment(table->comment, out);
                fprintf(out, "[%s]\n", table->path);
                for (size_t i = 0; i < config_n_settings; i++)
                        if (!strcmp(config_settings[i].table, table->path))
                                print_setting(&config_settings[i], cfg, out);
                if (!strcmp(table->path, CONFIG_RUNTIMES_PARENT))
                        print_runtimes(cfg, out);
        }
}
