/* Pinned pod namespaces (CRI-O's pinns, in-process): a pod's network, IPC and UTS
 * namespaces outlive every process because each is bind-mounted onto a file,
 * <dir>/{net,ipc,uts}/<pod id>. Creating them never moves a daemon thread: a
 * short-lived child unshares, configures (hostname, loopback, sysctls) and is
 * pinned by the parent, then exits. Also: reading interface addresses inside a
 * pinned netns, and the host's own primary addresses (hostNetwork pods). */
#ifndef CRIC_NETWORK_NETNS_H
#define CRIC_NETWORK_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/userns.h"

#define NETNS_DEFAULT_DIR "/run/cric/ns"

enum netns_kind {
        NETNS_NET = 1u << 0,
        NETNS_IPC = 1u << 1,
        NETNS_UTS = 1u << 2,
        /* A user namespace with the pod's mappings, pinned first; the pod's other
         * namespaces are then created inside it (owned by it). */
        NETNS_USER = 1u << 3,
        NETNS_ALL = NETNS_NET | NETNS_IPC | NETNS_UTS,
        NETNS_PINNED = NETNS_ALL | NETNS_USER, /* every kind netns_pin makes */
};

/* A namespaced sysctl, in either spelling: "net.ipv4.ip_forward" or, when the first
 * separator is a slash, "net/ipv4/conf/eth0.100/rp_filter" (dots are then literal). */
struct netns_sysctl {
        const char *key;
        const char *value;
};

struct netns_opts {
        const char *dir;      /* NULL: NETNS_DEFAULT_DIR; normally <runroot>/ns */
        const char *pod_id;   /* one path component */
        unsigned which;       /* NETNS_* bits, at least one */
        const char *hostname; /* NULL: the new UTS ns keeps the host's name; needs NETNS_UTS */
        const struct netns_sysctl *sysctls;
        size_t n_sysctls;                /* net.* need NETNS_NET; kernel.shm*, kernel.msg*, kernel.sem,
                                          * fs.mqueue.* need NETNS_IPC; kernel.domainname needs NETNS_UTS */
        const struct idmap *uids, *gids; /* NETNS_USER's mappings */
        size_t n_uids, n_gids;
};

/* Paths of the pinned files; NULL for a namespace that was not pinned. */
struct pinned_ns {
        char *net;
        char *ipc;
        char *uts;
        char *user;
};

/* Frees the paths and zeroes p. Accepts NULL. */
void pinned_ns_clear(struct pinned_ns *p);

/* Path of one pinned namespace file: <dir>/<net|ipc|uts>/<pod_id> (dir NULL: the
 * default). kind is a single NETNS_* bit. Returns a new string, or NULL for a bad kind.
 * Lets a restarted daemon rebuild a struct pinned_ns for netns_unpin. */
char *netns_pin_path(const char *dir, unsigned kind, const char *pod_id);

/* Creates the namespaces in o->which, sets the hostname, brings loopback up (net),
 * writes the sysctls inside them and pins them under o->dir. The first call for a dir
 * makes it a private bind mount of itself, so pins never propagate to other mount
 * namespaces. On success *ret holds the paths (caller owns: pinned_ns_clear); on
 * failure nothing is left behind. Errors: CRIC_E_INVALID (bad pod id, hostname or
 * sysctl; a sysctl the kernel refuses is named with its value), CRIC_E_EXISTS (the
 * pod's files already exist), CRIC_E_INTERNAL. Thread-safe; needs CAP_SYS_ADMIN. */
int netns_pin(const struct netns_opts *o, struct pinned_ns *ret, struct cric_error **err);

/* Unmounts (lazily) and removes each pinned file. Missing files, files that are not
 * mounted and NULL paths are fine, so it is idempotent. Thread-safe. */
int netns_unpin(const struct pinned_ns *p, struct cric_error **err);

/* Runs fn(arg) in a forked child that has joined the network namespace at
 * netns_path. The child of a threaded process may only do async-signal-safe work, so
 * fn must too (no malloc, no stdio, no locks). fn returns 0 or a positive errno
 * value; that value becomes the error (CRIC_E_INTERNAL) of this call. Errors:
 * CRIC_E_NOT_FOUND (no such file), CRIC_E_INVALID (not a network namespace),
 * CRIC_E_TIMEOUT (fn ran over 30 s; the child is killed), CRIC_E_INTERNAL. Thread-safe. */
/* Traffic counters of one interface (IFLA_STATS64). */
struct netns_link_stats {
        char name[16]; /* IFNAMSIZ */
        uint64_t rx_bytes, rx_packets, rx_errors, rx_dropped;
        uint64_t tx_bytes, tx_packets, tx_errors, tx_dropped;
};
/* A rtnetlink socket inside the network namespace at netns_path, to read its
 * statistics again and again without entering it each time (one child process per
 * open). The socket keeps the namespace alive: close it when the pod stops. Errors:
 * those of netns_enter_run, CRIC_E_INTERNAL. */
int netns_stats_socket(const char *netns_path, struct cric_error **err);
/* The counters of every interface but loopback in the netns of fd (netns_stats_socket),
 * in the kernel's order (*ret: caller frees, may be NULL when *ret_n is 0). One caller
 * at a time per socket. Errors: CRIC_E_TIMEOUT, CRIC_E_INTERNAL. */
int netns_link_stats(int fd, struct netns_link_stats **ret, size_t *ret_n, struct cric_error **err);

int netns_enter_run(const char *netns_path, int (*fn)(void *), void *arg, struct cric_error **err);

/* The addresses of interface ifname inside the netns at netns_path, as CIDR strings
 * ("10.88.0.5/16", "fd00::5/64"), IPv4 first, in kernel order. Link-scope addresses
 * (fe80::/10) are left out: they are never pod IPs. *ret_cidrs is a NULL-terminated
 * strv the caller frees (strv_free), possibly empty. Errors: CRIC_E_NOT_FOUND (no such
 * netns file or interface), CRIC_E_INTERNAL. Thread-safe. */
int netns_get_addresses(const char *netns_path, const char *ifname, char ***ret_cidrs, struct cric_error **err);

/* The host's primary addresses, without prefix length: the first global IPv4 and the
 * first global IPv6 address of the interface(s) holding the default route of each
 * family (lowest metric wins). Returns how many (0 when there is no default route);
 * *ret is a NULL-terminated strv the caller frees, IPv4 first. Thread-safe. */
int host_addresses(char ***ret, struct cric_error **err);

/* A non-blocking rtnetlink socket subscribed to the host's address and route changes:
 * it becomes readable when what host_addresses returns may have changed, so a cache
 * of it knows when to read again. The caller owns the fd. */
int host_changes_open(struct cric_error **err);
/* Reads every pending notification of such a socket; true when there was one (or
 * notifications were lost). */
bool host_changes_drain(int fd);

#endif
