/* Persistent metadata in SQLite (WAL): layers, images, pods and containers. One connection guarded by
 * a mutex; every function is thread-safe. An image becomes visible in one
 * transaction together with its layers list, names and digests, so a crash never
 * leaves half an image behind. */
#ifndef CRIC_STORE_STORE_H
#define CRIC_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct store;

struct layer_row {
        char *chain_id;        /* "sha256:<hex>", the key */
        char *parent_chain_id; /* NULL for a base layer */
        char *diff_id;         /* digest of the uncompressed tar */
        char *digest;          /* digest of the blob it came from (compressed), or NULL */
        int64_t size;          /* uncompressed bytes */
        int64_t compressed_size;
};

struct image_row {
        char *id;              /* 64 hex: the config digest without "sha256:" */
        char *config_json;     /* the config blob, byte for byte */
        char *manifest_digest; /* of the manifest pulled (the platform one for indexes) */
        int64_t size;          /* sum of the layers' uncompressed sizes */
        int64_t pulled_at_ns;
        bool pinned;
        char **repo_tags;    /* NULL-terminated: "docker.io/library/busybox:latest" */
        char **repo_digests; /* NULL-terminated: "docker.io/library/busybox@sha256:..." */
        char **layers;       /* NULL-terminated chain ids, base first */
};

/* Opens (creating if needed) the database at path and migrates its schema. */
int store_open(const char *path, struct store **ret, struct cric_error **err);
struct store *store_close(struct store *s);
void store_closep(struct store **s);

/* Layers */
int store_layer_get(struct store *s, const char *chain_id, struct layer_row **ret, struct cric_error **err);
int store_layer_put(struct store *s, const struct layer_row *layer, struct cric_error **err);
/* All chain ids (for garbage collection at start). */
int store_layer_list(struct store *s, char ***ret_chain_ids, struct cric_error **err);
/* Whether any image or any other layer (as parent) still uses the layer. */
int store_layer_in_use(struct store *s, const char *chain_id, bool *ret, struct cric_error **err);
int store_layer_delete(struct store *s, const char *chain_id, struct cric_error **err);

/* Images */
/* Inserts or replaces the image and, in the same transaction, takes its repo tags
 * and digests away from any other image that had them. */
int store_image_put(struct store *s, const struct image_row *img, struct cric_error **err);
/* Looks an image up by id, id prefix (>= 3 hex; ambiguous prefix is CRIC_E_INVALID),
 * repo tag or repo digest (all already normalized by the caller). CRIC_E_NOT_FOUND
 * when nothing matches. */
int store_image_find(struct store *s, const char *key, struct image_row **ret, struct cric_error **err);
int store_image_list(struct store *s, struct image_row ***ret, size_t *ret_n, struct cric_error **err);
/* Removes one repo tag from its image. */
int store_image_untag(struct store *s, const char *repo_tag, struct cric_error **err);
/* Deletes the image row, its names and its digests. */
int store_image_delete(struct store *s, const char *id, struct cric_error **err);

/* Pods */
enum pod_row_state {
        POD_ROW_READY = 0,
        POD_ROW_NOTREADY = 1,
};

struct pod_row {
        char *id; /* 64 hex */
        char *name, *namespace, *uid;
        uint32_t attempt;
        enum pod_row_state state;
        int64_t created_ns;
        char *runtime_handler;
        unsigned namespaces; /* which namespaces are pinned (netns.h NETNS_* bits) */
        char *record;        /* the runtime's JSON record, opaque here; "" in rows of older daemons */
};

/* Inserts a pod. A pod with the same name, namespace, uid and attempt is
 * CRIC_E_EXISTS naming the pod that holds it. */
int store_pod_insert(struct store *s, const struct pod_row *pod, struct cric_error **err);
int store_pod_set_state(struct store *s, const char *id, enum pod_row_state state, struct cric_error **err);
/* Replaces the pod's record (the runtime's JSON). CRIC_E_NOT_FOUND for an unknown id. */
int store_pod_set_record(struct store *s, const char *id, const char *record, struct cric_error **err);
/* By id or unique id prefix (>= 3 hex); CRIC_E_NOT_FOUND, CRIC_E_INVALID when ambiguous. */
int store_pod_get(struct store *s, const char *id, struct pod_row **ret, struct cric_error **err);
int store_pod_list(struct store *s, struct pod_row ***ret, size_t *ret_n, struct cric_error **err);
int store_pod_delete(struct store *s, const char *id, struct cric_error **err);
struct pod_row *pod_row_free(struct pod_row *p);
void pod_row_freep(struct pod_row **p);
void pod_rows_free(struct pod_row **rows, size_t n);

/* Containers */
enum container_row_state {
        CONTAINER_ROW_CREATED = 0,
        CONTAINER_ROW_RUNNING = 1,
        CONTAINER_ROW_EXITED = 2,
};

struct container_row {
        char *id;     /* 64 hex */
        char *pod_id; /* the pod's id (full) */
        char *name;   /* ContainerMetadata.name */
        uint32_t attempt;
        enum container_row_state state;
        int64_t created_ns, started_ns, finished_ns; /* 0: not yet */
        int32_t exit_code;
        char *reason;        /* "Completed", "Error", "OOMKilled", ... or "" */
        char *message;       /* "" when none */
        char *image;         /* the image as the kubelet named it (ImageSpec.image) */
        char *image_id;      /* 64 hex */
        char *image_ref;     /* repo digest ("name@sha256:...") or the id */
        char *runtime_path;  /* OCI runtime binary used */
        char *runtime_root;  /* its --root, or "" */
        char *log_path;      /* CRI log; "" when none was asked for */
        char *cgroup;        /* the container cgroup below the hierarchy roots */
        int32_t stop_signal; /* from the image; 0: SIGTERM */
        int32_t monitor_pid, pid;
        char *record;    /* the runtime's JSON record, opaque here; "" in rows of older daemons */
        void *resources; /* opaque bytes (the resources last set), NULL when never set */
        size_t resources_len;
};

/* Inserts a container. One with the same pod, name and attempt is CRIC_E_EXISTS
 * naming the container that holds it. */
int store_container_insert(struct store *s, const struct container_row *c, struct cric_error **err);
/* Writes state, started_ns, finished_ns, exit_code, reason, message, monitor_pid and pid
 * of the row with c->id (full id). CRIC_E_NOT_FOUND when there is none. */
int store_container_update_state(struct store *s, const struct container_row *c, struct cric_error **err);
/* resources NULL: back to never updated. Full id; CRIC_E_NOT_FOUND when missing. */
int store_container_set_resources(struct store *s, const char *id, const void *resources, size_t len,
                                  struct cric_error **err);
/* By id or unique id prefix (>= 3 hex); CRIC_E_NOT_FOUND, CRIC_E_INVALID when ambiguous. */
int store_container_get(struct store *s, const char *id, struct container_row **ret, struct cric_error **err);
/* Every container, or those of one pod (pod_id NULL: all), oldest first. */
int store_container_list(struct store *s, const char *pod_id, struct container_row ***ret, size_t *ret_n,
                         struct cric_error **err);
/* Full id; a missing row is fine. */
int store_container_delete(struct store *s, const char *id, struct cric_error **err);
struct container_row *container_row_free(struct container_row *c);
void container_row_freep(struct container_row **c);
void container_rows_free(struct container_row **rows, size_t n);

struct layer_row *layer_row_free(struct layer_row *l);
void layer_row_freep(struct layer_row **l);
struct image_row *image_row_free(struct image_row *i);
void image_row_freep(struct image_row **i);
void image_rows_free(struct image_row **rows, size_t n);

#endif
