/* registries.conf (containers-registries.conf(5), version 2): where to pull from.
 *
 *   unqualified-search-registries = ["docker.io", "quay.io"]
 *   short-name-mode = "enforcing" | "permissive" | "disabled"
 *   [[registry]]  prefix, location, insecure, blocked, [[registry.mirror]] location, insecure
 *   [aliases]     "name" = "registry/repo"
 *
 * Drop-ins in registries.conf.d/ (next to the file) are read in lexical order. */
#ifndef CRIC_IMAGE_REGISTRIES_H
#define CRIC_IMAGE_REGISTRIES_H

#include <stdbool.h>
#include <stddef.h>

#include "image/ref.h"
#include "util/error.h"

enum short_name_mode {
        SHORT_NAME_ENFORCING = 0,
        SHORT_NAME_PERMISSIVE,
        SHORT_NAME_DISABLED,
        SHORT_NAME_MODE_MAX,
        SHORT_NAME_MODE_INVALID = -1,
};

struct registries_conf;

/* A place to pull one reference from: the rewritten reference and whether TLS may be
 * skipped / plain HTTP used. */
struct pull_source {
        struct image_ref *ref;
        bool insecure;
        bool is_mirror;
};

/* Loads path and its drop-in dir (path with ".conf" replaced by ".conf.d", i.e.
 * /etc/containers/registries.conf.d). A missing file means an empty config.
 * Errors name file:line and the key. */
int registries_conf_load(const char *path, struct registries_conf **ret, struct cric_error **err);
/* Parses one document (for tests and fuzzing). */
int registries_conf_parse(const char *text, size_t len, const char *filename, struct registries_conf **ret,
                          struct cric_error **err);

/* Expands what the user typed into fully qualified candidates, in the order to try:
 * a qualified name gives itself; a short name gives its alias if [aliases] has one,
 * else one candidate per unqualified-search registry. In enforcing mode more than one
 * candidate is an error (CRIC_E_INVALID, "short name ... is ambiguous"), since there
 * is no terminal to ask; no search registries at all is an error too. The caller
 * frees each ref with image_ref_free, then the array with free(). */
int registries_expand(const struct registries_conf *conf, const char *input, struct image_ref ***ret_refs,
                      size_t *ret_n, struct cric_error **err);

/* The same candidates for finding an image already stored: nothing is pulled, so a
 * short name is never ambiguous and every search registry is a candidate. */
int registries_expand_local(const struct registries_conf *conf, const char *input, struct image_ref ***ret_refs,
                            size_t *ret_n, struct cric_error **err);

/* The sources for a qualified reference: its [[registry]] entry's mirrors in order
 * (mirrors are only used for digest references when mirror-by-digest-only is set),
 * then the primary location. A blocked registry is CRIC_E_PERMISSION naming it.
 * Registries without an entry: the reference itself, secure. */
int registries_sources(const struct registries_conf *conf, const struct image_ref *ref,
                       struct pull_source **ret_sources, size_t *ret_n, struct cric_error **err);
void pull_sources_free(struct pull_source *sources, size_t n);

/* Whether a host[:port] is configured insecure. */
bool registries_is_insecure(const struct registries_conf *conf, const char *domain);
/* Whether a host[:port] is in list (insecure_registries, NULL-terminated): an entry
 * equal to it, or a CIDR ("10.0.0.0/8", "fd00::/8") holding its IP address. */
bool registries_insecure_listed(char *const *list, const char *domain);

struct registries_conf *registries_conf_free(struct registries_conf *conf);
void registries_conf_freep(struct registries_conf **conf);

#endif
