/* Which driver a store uses, and its options (storage_options). Internal to storage/. */
#ifndef CRIC_STORAGE_DRIVER_H
#define CRIC_STORAGE_DRIVER_H

#include <stdint.h>

#include "storage/storage.h"

struct storage_opts {
        uint64_t btrfs_size; /* btrfs.size: referenced-bytes quota of each container (0: none) */
};

/* The driver for the store at root (root, layers/ and tmp/ exist): name ("" or NULL:
 * automatic — the one recorded in <root>/storage-driver; for a store in use without a
 * record, made before stores recorded their driver, overlay, the default of then; else
 * btrfs on a btrfs root, else overlay), overlay falling back to vfs when it cannot mount
 * there. A store made by another driver is refused while it holds layers or
 * containers. The result is recorded for the next start. */
int storage_driver_select(const char *root, const char *tmp_dir, const char *name, enum storage_driver *ret,
                          struct cric_error **err);

/* Parses "<driver>.<key>=<value>" options for driver d: an unknown key of d is an
 * error naming it; another driver's options are logged and ignored. */
int storage_opts_parse(char *const *options, enum storage_driver d, struct storage_opts *ret, struct cric_error **err);

/* storage_options' btrfs.size when quotas allow it; 0: no limit. */
uint64_t layer_store_btrfs_quota(const struct layer_store *ls);

/* The hex of a chain id ("sha256:<hex>" or bare hex): its directory name in layers/. */
const char *layer_hex_of(const char *chain_id);

/* "10G", "512m", "1GiB", "4096": bytes (k, m, g, t: powers of 1024, as docker's and
 * containers-storage's sizes); 0 when s is no size. */
uint64_t storage_parse_size(const char *s);

#endif
