/* The IPs of a pod, for PodSandboxStatus. */
#include <stdlib.h>
#include <string.h>

#include "network/netns.h"
#include "runtime/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define IPS_FILE_MAX 4096

/* <pods_dir>/<id>/ips: one CIDR per line, as read from the pod's netns once. */
static char *ips_file(const struct runtime *rt, const char *id) {
        return xasprintf("%s/%s/ips", rt->pods_dir, id);
}

static char **read_cache(const char *path) {
        AUTOFREE char *text = NULL;
        if (fs_read_file(path, IPS_FILE_MAX, &text, NULL, NULL) < 0)
                return NULL;
        return strv_split(text, "\n");
}

static void write_cache(const char *path, char *const *cidrs) {
        AUTOFREE char *text = strv_join(cidrs, "\n");
        size_t len = strlen(text);
        AUTOFREE char *data = xasprintf("%s%s", text, len ? "\n" : "");
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (fs_write_file_atomic(path, data, strlen(data), 0644, &err) < 0)
                log_debug("%s", err->msg); /* the next call reads the netns again */
}

int runtime_pod_ips(struct runtime *rt, const struct pod_row *pod, char ***ret_cidrs, struct cric_error **err) {
        if (!(pod->namespaces & NETNS_NET))
                return host_addresses(ret_cidrs, err);
        if (pod->state != POD_ROW_READY) { /* the network is detached */
                *ret_cidrs = xcalloc(1, sizeof(char *));
                return 0;
        }
        /* A ready pod keeps the addresses its network gave it at start: read them from
         * its netns (a forked child) once, then from the file. */
        AUTOFREE char *path = ips_file(rt, pod->id);
        char **cidrs = read_cache(path);
        if (cidrs) {
                *ret_cidrs = cidrs;
                return 0;
        }
        AUTOFREE char *netns = netns_pin_path(rt->ns_dir, NETNS_NET, pod->id);
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (netns_get_addresses(netns, "eth0", &cidrs, &e) == 0 || e->kind == CRIC_E_NOT_FOUND) {
                if (!cidrs) /* no eth0: no IP, and that stays so */
                        cidrs = xcalloc(1, sizeof(char *));
                write_cache(path, cidrs);
        } else {
                log_debug("pod %s: addresses: %s", pod->id, e->msg); /* none this time; read again next time */
                cidrs = xcalloc(1, sizeof(char *));
        }
        *ret_cidrs = cidrs;
        return 0;
}
