/* User namespaces and idmapped mounts, for pods that run without the host's users
 * (hostUsers: false): a user namespace made with given mappings, and bind mounts whose
 * owners are shifted through one. */
#ifndef CRIC_UTIL_USERNS_H
#define CRIC_UTIL_USERNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* One contiguous range: container_id .. +length-1 inside is host_id .. +length-1 outside. */
struct idmap {
        uint32_t container_id, host_id, length;
};

#define IDMAP_MAX 340 /* the kernel's limit of lines in uid_map */

/* CRIC_E_INVALID naming what when the ranges are empty, too many, zero-length,
 * overflowing or overlapping (inside or outside). */
int idmap_check(const struct idmap *m, size_t n, const char *what, struct cric_error **err);

/* The host id that id inside maps to; (uint32_t) -1 when it is not mapped. */
uint32_t idmap_to_host(const struct idmap *m, size_t n, uint32_t id);

/* Makes a user namespace with these mappings and returns an open descriptor of it
 * (O_CLOEXEC). A short-lived child holds it while the maps are written. Needs
 * CAP_SETUID, CAP_SETGID and CAP_SYS_ADMIN. */
int userns_create(const struct idmap *uids, size_t n_uids, const struct idmap *gids, size_t n_gids, int *ret_fd,
                  struct cric_error **err);

/* Mounts a copy of the mount tree at src (recursively) at dst (an existing file or
 * directory), idmapped through the user namespace userns_fd: a file owned by host id
 * H shows as the id H maps to inside (and writes go the other way). The file system
 * must support idmapped mounts (ext4, xfs, btrfs, tmpfs, ... ; overlay only as layers). */
int idmap_bind(const char *src, const char *dst, int userns_fd, struct cric_error **err);

#endif
