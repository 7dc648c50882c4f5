/* Pods and containers: lifecycle operations that tie the store, namespaces and pod
 * files (and later the OCI runtime, the monitor and CNI) together. Thread-safe.
 *
 * State lives in the store, not in memory: every call reads the rows it needs, so a
 * restarted daemon serves the same pods at once. */
#ifndef CRIC_RUNTIME_RUNTIME_H
#define CRIC_RUNTIME_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "network/netns.h"
#include "network/podfiles.h"
#include "store/store.h"
#include "util/error.h"

struct runtime;

/* Borrows db. Pod directories and pinned namespaces under runroot that no pod row
 * owns (a daemon killed in the middle of RunPodSandbox) are removed. */
int runtime_new(struct store *db, const char *runroot, struct runtime **ret, struct cric_error **err);
struct runtime *runtime_free(struct runtime *rt);
void runtime_freep(struct runtime **rt);

/* What RunPodSandbox needs from the CRI config; everything borrowed. */
struct pod_spec {
        const char *name, *namespace, *uid;
        uint32_t attempt;
        const char *hostname;
        const struct pod_dns *dns;
        bool is_host_network;
        bool is_host_ipc;
        const struct netns_sysctl *sysctls;
        size_t n_sysctls;
        const char *runtime_handler;
        const void *config; /* kept opaque with the pod */
        size_t config_len;
};

/* Creates a pod: its directory (resolv.conf, hosts, hostname), its pinned network,
 * IPC and UTS namespaces, and its row, in state ready. All or nothing: on failure
 * everything done so far is undone. A name in use is CRIC_E_EXISTS. */
int runtime_pod_run(struct runtime *rt, const struct pod_spec *spec, char **ret_id, struct cric_error **err);
/* Releases the pod's namespaces; the pod becomes not ready. Idempotent; a pod that
 * does not exist is fine. */
int runtime_pod_stop(struct runtime *rt, const char *id, struct cric_error **err);
/* Stops the pod and removes it with its directory. Idempotent. */
int runtime_pod_remove(struct runtime *rt, const char *id, struct cric_error **err);
/* By id or unique id prefix. */
int runtime_pod_get(struct runtime *rt, const char *id, struct pod_row **ret, struct cric_error **err);
int runtime_pod_list(struct runtime *rt, struct pod_row ***ret, size_t *ret_n, struct cric_error **err);
/* The pinned network namespace file of a ready pod with its own network, else NULL. */
char *runtime_pod_netns_path(struct runtime *rt, const struct pod_row *pod);

#endif
