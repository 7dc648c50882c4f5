/* Shared between the cni_*.c files (and their tests and fuzzer) only. */
#ifndef CRIC_NETWORK_CNI_INTERNAL_H
#define CRIC_NETWORK_CNI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "network/cni.h"

/* Spec versions this library speaks, oldest first. */
enum cni_version {
        CNI_V010 = 0,
        CNI_V020,
        CNI_V030,
        CNI_V031,
        CNI_V040,
        CNI_V100,
        CNI_V110,
        CNI_VERSION_MAX,
        CNI_VERSION_INVALID = -1,
};
enum cni_version cni_version_from_string(const char *s);
const char *cni_version_to_string(enum cni_version v);

struct cni_net {
        int refs; /* atomic */
        char *name;
        char *path;
        enum cni_version version; /* negotiated from cniVersion / cniVersions */
        char *data;               /* the file's bytes, cached with each attachment */
        size_t len;
        char **plugins; /* each plugin's config object, serialized; parsed again per call */
        char **types;
        size_t n_plugins;
        bool disable_check, disable_gc;
};

/* Parses a .conflist, or a single plugin config (an object without "plugins", turned
 * into a list of one). path is only recorded. CRIC_E_INVALID with the reason (no file
 * name) when the document is no usable network. */
int cni_net_parse(const char *data, size_t len, const char *path, struct cni_net **ret, struct cric_error **err);

/* Parses a plugin's ADD output of any version. CRIC_E_INVALID ("cni result: ...") when
 * it is no result object or an address is malformed. */
int cni_result_parse(const char *data, size_t len, struct cni_result **ret, struct cric_error **err);

/* One cached attachment, as ADD left it. */
struct cni_cache_entry {
        char *net_name, *container_id, *ifname, *netns;
        char *config;   /* the network file's bytes */
        char **args;    /* CNI_ARGS pairs: key, value, ..., NULL (never NULL itself) */
        char *cap_args; /* JSON object of every capability arg given to ADD */
        char *result;   /* JSON of the final result */
        char *file;     /* name of the entry in the cache dir */
};
void cni_cache_entry_free(struct cni_cache_entry *e);
void cni_cache_entry_freep(struct cni_cache_entry **e);

/* Writes e (file ignored) atomically as <dir>/<net>-<id>-<ifname>, creating dir. */
int cni_cache_write(const char *dir, const struct cni_cache_entry *e, struct cric_error **err);
/* The entries of dir matching net_name, container_id and ifname (each NULL: any), in
 * file-name order. A missing dir or an unreadable or foreign file is skipped. */
int cni_cache_list(const char *dir, const char *net_name, const char *container_id, const char *ifname,
                   struct cni_cache_entry ***ret, size_t *ret_n, struct cric_error **err);
void cni_cache_list_free(struct cni_cache_entry **v, size_t n);
/* Removes the entry's file (its file, or the name of its key when file is NULL); a
 * missing one is no error. */
int cni_cache_remove(const char *dir, const struct cni_cache_entry *e, struct cric_error **err);

#endif
