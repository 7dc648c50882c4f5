/* CNI: network configurations from a directory and the plugin protocol (ADD, DEL,
 * CHECK, STATUS, GC) as the CNI specification (1.0/1.1, and the 0.x versions plugins
 * still declare) defines it. No daemon state here: the caller (runtime/) decides when
 * to call what; results and configs of attachments are cached on disk so DEL works
 * after a restart and after the netns is gone. */
#ifndef CRIC_NETWORK_CNI_H
#define CRIC_NETWORK_CNI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* One network: a .conflist, or a .conf/.json single-plugin config turned into a list
 * of one. Immutable once loaded; may be shared by threads. */
struct cni_net;

/* Every file of a config directory. */
struct cni_dir {
        struct cni_net **nets; /* the valid ones, in lexical file-name order */
        size_t n_nets;
        char **problems; /* NULL-terminated: "<file>: <why it was skipped>", one per invalid file */
};

/* Loads every *.conflist, *.conf and *.json of dir (a missing dir is empty, not an
 * error); a .conf/.json holding a "plugins" list is read as a list, as libcni does. A
 * file that is unreadable, not JSON, without a name, without plugins, with
 * a plugin lacking "type", or with a cniVersion no plugin version understands is
 * skipped and named in problems, and so is a network whose name an earlier file
 * already used. Fails (CRIC_E_PERMISSION, CRIC_E_INTERNAL) only when dir cannot be
 * listed. *ret is owned by the caller. Thread-safe. */
int cni_dir_load(const char *dir, struct cni_dir **ret, struct cric_error **err);
void cni_dir_free(struct cni_dir *d);
/* The network named name, or the first one (lexical order) when name is NULL or "".
 * NULL when there is none. Borrowed from d. */
const struct cni_net *cni_dir_default(const struct cni_dir *d, const char *name);

const char *cni_net_name(const struct cni_net *n);
/* The list's cniVersion; with "cniVersions" (1.1) the highest version listed that this
 * library speaks (0.1.0 ... 1.1.0); "0.1.0" when the file names none. */
const char *cni_net_version(const struct cni_net *n);
const char *cni_net_path(const struct cni_net *n); /* the file it came from */
/* The "type" of every plugin, in order (for messages and tests), NULL-terminated, borrowed. */
char *const *cni_net_plugin_types(const struct cni_net *n);
/* Takes a reference (nets outlive a reload while an operation uses them). */
struct cni_net *cni_net_ref(struct cni_net *n);
void cni_net_unref(struct cni_net *n);

struct cni_port_mapping {
        int32_t host_port;
        int32_t container_port;
        const char *protocol; /* "tcp", "udp", "sctp" (lower case) */
        const char *host_ip;  /* NULL or "": all */
};

struct cni_bandwidth {
        uint64_t ingress_rate, ingress_burst; /* bits per second / bits; 0: unset */
        uint64_t egress_rate, egress_burst;
};

struct cni_dns {
        char *const *servers, *const *searches, *const *options; /* NULL-terminated, may be NULL */
};

/* One attachment: a container's netns on one network. Everything borrowed. */
struct cni_attachment {
        const char *container_id; /* the pod id */
        const char *netns;        /* path; may be NULL or missing for DEL */
        const char *ifname;       /* NULL: "eth0" */
        /* CNI_ARGS pairs: K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_INFRA_CONTAINER_ID,
         * K8S_POD_UID (IgnoreUnknown=1 is always added first). */
        const char *const *args; /* key, value, key, value, ..., NULL */
        /* Capability args, passed as runtimeConfig to the plugins that declare the
         * capability ("portMappings", "bandwidth", "ipRanges", "dns"). */
        const struct cni_port_mapping *port_mappings;
        size_t n_port_mappings;
        const struct cni_bandwidth *bandwidth; /* NULL: none */
        char *const *ip_ranges;                /* subnets (CIDR), NULL-terminated; may be NULL */
        const struct cni_dns *dns;             /* NULL: none */
};

/* What ADD returned, in CNI 1.0 terms (older result versions are converted). */
struct cni_result {
        char **ips;      /* NULL-terminated CIDRs ("10.88.0.5/16", "fd00::5/64"), result order */
        char **gateways; /* NULL-terminated, same length as ips ("" when none) */
        char **ifnames;  /* NULL-terminated, same length as ips: the interface inside the
                          * container each address is on ("" when the result does not say) */
        char *json;      /* the final result as the last plugin printed it */
};
void cni_result_free(struct cni_result *r);

struct cni_exec_opts {
        char *const *plugin_dirs; /* NULL-terminated search path for plugin binaries */
        const char *cache_dir;    /* results and configs of attachments: <cache_dir>/<net>-<id>-<ifname> */
        unsigned timeout_ms;      /* per plugin call; 0: 60 s */
};

/* ADD: runs every plugin of the list in order, each getting the previous result
 * (prevResult; from cniVersion 0.3.0 on, the first with chaining), and caches the final result with the config used. On
 * failure the plugins that ran are undone with DEL (best effort) and nothing stays cached. Errors name the network, the
 * plugin type and what it printed (the CNI error JSON's msg and details, or its stderr): CRIC_E_NOT_FOUND when a plugin
 * binary is missing from plugin_dirs, CRIC_E_TIMEOUT, CRIC_E_INVALID for a bad container id, ifname, CNI_ARGS pair or a
 * missing netns (nothing runs then), CRIC_E_INTERNAL otherwise (also for a plugin whose output is no valid result).
 * *ret is owned by the caller. Calls for different attachments may run in parallel (all cni_* verbs). */
int cni_add(const struct cni_net *net, const struct cni_attachment *a, const struct cni_exec_opts *o,
            struct cni_result **ret, struct cric_error **err);

/* DEL: every cached entry of (container id, ifname) is deleted, whatever its network
 * (the default network may have changed or been removed since the ADD): the plugins
 * run in reverse order with the cached config, CNI_ARGS, capability args and result
 * (prevResult from 0.4.0 on). With nothing cached, DEL runs with net and a's args;
 * nothing cached and net NULL: nothing to do. A plugin failure does not stop the
 * others; the first one is returned and the cache entry stays for a retry, else it is
 * removed. CNI_NETNS is a->netns (else the cached one) only while that path exists.
 * Idempotent: DEL of something never added succeeds. */
int cni_del(const struct cni_net *net, const struct cni_attachment *a, const struct cni_exec_opts *o,
            struct cric_error **err);

/* CHECK (cniVersion >= 0.4.0 only, and not with "disableCheck"; otherwise success
 * without running anything): net's plugins in order with the cached CNI_ARGS,
 * capability args and result (prevResult); the first failure stops it.
 * CRIC_E_NOT_FOUND when nothing is cached. */
int cni_check(const struct cni_net *net, const struct cni_attachment *a, const struct cni_exec_opts *o,
              struct cric_error **err);

/* STATUS (cniVersion >= 1.1.0; older lists: ready without running anything): every
 * plugin must answer ready. CRIC_E_UNAVAILABLE with the plugin's message when one
 * reports an error (codes 50/51 or any other); CRIC_E_NOT_FOUND / CRIC_E_TIMEOUT /
 * CRIC_E_INTERNAL when a plugin cannot be run. */
int cni_status(const struct cni_net *net, const struct cni_exec_opts *o, struct cric_error **err);

/* GC of net, nothing at all with "disableGC". First, as libcni does for every
 * version, the cached attachments of net whose container id is not in
 * valid_container_ids are torn down with DEL from the cache (see cni_del). Then, for
 * cniVersion >= 1.1.0, every plugin gets GC with "cni.dev/valid-attachments" (also
 * sent as "cni.dev/attachments", the name early 1.1 texts used): each valid id with
 * ifname "eth0" plus the ifnames its cache entries hold. Failures do not stop the
 * rest; the first is returned. */
int cni_gc(const struct cni_net *net, char *const *valid_container_ids, const struct cni_exec_opts *o,
           struct cric_error **err);

/* The container ids with a cache entry (any network), NULL-terminated, each once, in
 * cache file name order, for start-up clean-up of pods that are gone. A missing
 * cache dir gives an empty vector. *ret is owned by the caller. */
int cni_cached_ids(const char *cache_dir, char ***ret, struct cric_error **err);

#endif
