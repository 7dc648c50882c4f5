/* The daemon's view of CNI: the config directory (re-read whenever it changes), the
 * default network, the pod CIDR from UpdateRuntimeConfig, and the attach/detach of
 * pods. Thread-safe. */
#ifndef CRIC_NETWORK_CNI_MANAGER_H
#define CRIC_NETWORK_CNI_MANAGER_H

#include <stdbool.h>

#include "network/cni.h"
#include "util/error.h"

struct cni_manager;

struct cni_manager_opts {
        const char *dir;          /* network configurations */
        char *const *plugin_dirs; /* NULL-terminated */
        const char *default_name; /* NULL or "": the first config */
        const char *cache_dir;    /* attachment cache (persistent) */
        unsigned timeout_ms;      /* per plugin call; 0: 60 s */
};

/* Never fails on a bad or missing directory: the network is then not ready. */
struct cni_manager *cni_manager_new(const struct cni_manager_opts *o);
void cni_manager_free(struct cni_manager *m);

/* NetworkReady: true, or false with a reason ("NetworkPluginNotReady") and a message
 * naming the directory and what is wrong (no config, invalid files, STATUS failed).
 * Re-reads the directory when it changed since the last look. */
bool cni_manager_ready(struct cni_manager *m, char **ret_reason, char **ret_message);

/* The pod CIDR(s) for the ipRanges capability ("10.88.0.0/16" or "a,b"); NULL clears. */
void cni_manager_set_pod_cidr(struct cni_manager *m, const char *cidr);

/* ADD of the default network for the attachment (ip_ranges are filled in from the pod
 * CIDR). CRIC_E_PRECONDITION when no network is configured. */
int cni_manager_add(struct cni_manager *m, const struct cni_attachment *a, struct cni_result **ret,
                    struct cric_error **err);
/* DEL from the cache (or with the default network when nothing is cached). Idempotent. */
int cni_manager_del(struct cni_manager *m, const struct cni_attachment *a, struct cric_error **err);
/* CHECK (CNI >= 0.4.0) of an attachment made earlier on the default network. */
int cni_manager_check(struct cni_manager *m, const struct cni_attachment *a, struct cric_error **err);
/* Start-up clean-up: DEL of cached attachments whose pod is not in valid_ids, and GC
 * (CNI 1.1) of the default network with valid_ids. Problems are logged. */
void cni_manager_gc(struct cni_manager *m, char *const *valid_ids);

/* The default network's name, or NULL (caller frees). */
char *cni_manager_network_name(struct cni_manager *m);

#endif
