/* The image service: pulls images into the layer store, looks them up, lists and
 * removes them. Thread-safe. */
#ifndef CRIC_IMAGE_IMAGE_H
#define CRIC_IMAGE_IMAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "image/registry.h"
#include "store/store.h"
#include "storage/storage.h"
#include "util/error.h"

struct image_service;

struct image_service_opts {
        const char *registries_conf;  /* path; a missing file is an empty config */
        const char *auth_file;        /* global auth.json, or NULL/"" */
        const char *certs_dir;        /* NULL: /etc/containers/certs.d */
        unsigned max_parallel_layers; /* 0: 3 */
        /* Signature policy (containers-policy.json(5)); NULL or "": no policy, every
         * image is accepted. */
        const char *signature_policy;
        bool signature_policy_is_default; /* a missing file then accepts every image */
        const char *signature_policy_dir; /* <dir>/<pod namespace>.json overrides; NULL: none */
        const char *registries_d;         /* registries.d(5): where signatures are */
        const char *tmp_dir;              /* scratch space of signature checks */
        char *const *insecure_registries; /* host[:port] or CIDR, NULL-terminated: as insecure = true */
        /* cric-pull's path: every pull runs in such a helper process, cricd keeping the
         * claims and the commits (NULL or "": pulls run in this process). */
        const char *pull_helper;
};

/* Borrows db and ls (they must outlive the service). Removes layer directories no
 * database row knows (left by a crash). */
int image_service_new(struct store *db, struct layer_store *ls, const struct image_service_opts *opts,
                      struct image_service **ret, struct cric_error **err);
struct image_service *image_service_free(struct image_service *svc);
void image_service_freep(struct image_service **svc);
/* The storage driver the layer store runs ("overlay", "btrfs", "vfs"): the one
 * storage_driver "" picked, or the configured one. */
const char *image_service_storage_driver(const struct image_service *svc);

/* Pulls name (as the user typed it) and returns the image id (64 hex). ns is the
 * namespace of the pod the image is for (it may pick the signature policy), or NULL.
 * CRIC_E_SIGNATURE when the signature policy rejects the image: nothing is stored. */
int image_pull(struct image_service *svc, const char *name, const struct registry_auth *auth, const char *ns,
               char **ret_id, struct cric_error **err);

/* Finds an image by id, id prefix, name[:tag] or name@digest (names normalized).
 * CRIC_E_NOT_FOUND when there is none. */
int image_lookup(struct image_service *svc, const char *key, struct image_row **ret, struct cric_error **err);
/* The same, with the name the image was found by as the store knows it (the normalized
 * name:tag or name@digest; NULL for an id), for image_remove. */
int image_lookup_name(struct image_service *svc, const char *key, struct image_row **ret, char **ret_name,
                      struct cric_error **err);

/* Every image, oldest pull first. */
int image_list(struct image_service *svc, struct image_row ***ret, size_t *ret_n, struct cric_error **err);

/* Removes img, found by name (image_lookup_name): a name[:tag] removes only that tag
 * while the image keeps others; an id (name NULL), a digest or the last tag removes
 * the image and the layers no other image uses. CRIC_E_NOT_FOUND when it is gone. */
int image_remove(struct image_service *svc, const struct image_row *img, const char *name, struct cric_error **err);

/* Bytes and inodes under the image store, and its path. */
int image_fs_usage(struct image_service *svc, uint64_t *ret_bytes, uint64_t *ret_inodes, const char **ret_path,
                   struct cric_error **err);

#endif
