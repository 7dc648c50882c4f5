/* Shared by registries_parse.c (files -> struct registries_conf) and
 * registries_resolve.c (names -> candidates and pull sources). Outside these two
 * files only the registries fuzzer includes it, to aim names at configured prefixes. */
#ifndef CRIC_IMAGE_REGISTRIES_INTERNAL_H
#define CRIC_IMAGE_REGISTRIES_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "image/registries.h"

enum pull_from_mirror {
        PULL_FROM_MIRROR_ALL = 0,
        PULL_FROM_MIRROR_DIGEST_ONLY,
        PULL_FROM_MIRROR_TAG_ONLY,
        PULL_FROM_MIRROR_MAX,
        PULL_FROM_MIRROR_INVALID = -1,
};

struct registry_mirror {
        char *location;
        bool insecure;
        enum pull_from_mirror pull_from;
};

struct registry_entry {
        char *prefix;   /* no trailing '/'; "*.example.com" when is_wildcard */
        char *location; /* defaults to prefix; NULL only for a wildcard prefix without one */
        bool is_wildcard, insecure, blocked, mirror_by_digest_only;
        struct registry_mirror *mirrors;
        size_t n_mirrors;
        char *file; /* where the entry was defined, for messages */
        unsigned line;
};

struct registry_alias {
        char *name;   /* a short name as typed, without tag or digest */
        char *value;  /* a qualified name, maybe with a tag; "" erases an earlier alias */
        bool has_tag; /* value names a tag, which then wins over the input's */
};

struct registries_conf {
        char **search; /* unqualified-search-registries, host[:port] each */
        size_t n_search;
        bool has_search; /* the key was set (a drop-in may set it to []) */
        enum short_name_mode mode;
        bool has_mode;
        struct registry_entry *registries;
        size_t n_registries;
        struct registry_alias *aliases;
        size_t n_aliases;
};

#endif
