/* A pod's resolv.conf, hosts and hostname files, written into the pod's directory
 * and bind-mounted into its containers by the OCI spec. Every write is atomic (temp
 * file + rename, mode 0644), so a container never sees half a file. */
#ifndef CRIC_NETWORK_PODFILES_H
#define CRIC_NETWORK_PODFILES_H

#include <stdbool.h>

#include "util/error.h"

#define PODFILES_RESOLV_CONF "resolv.conf"
#define PODFILES_HOSTS       "hosts"
#define PODFILES_HOSTNAME    "hostname"

/* The CRI DNSConfig, as plain NULL-terminated string vectors (each may be NULL).
 * The kubelet already enforces its limits (count of servers and search domains), so
 * these are written as given once each entry is checked for invalid characters. */
struct pod_dns {
        char **servers;  /* IPv4 or IPv6 addresses (an IPv6 may carry a %zone) */
        char **searches; /* domain names */
        char **options;  /* "ndots:5", "edns0", ... */
};

struct podfiles_opts {
        const char *dir;              /* the pod's directory (created if missing) */
        const char *hostname;         /* NULL or "": the host's own name */
        const struct pod_dns *dns;    /* NULL or all lists empty: a copy of host_resolv_conf */
        char *const *ips;             /* pod IPs known so far, NULL-terminated (NULL: none yet) */
        bool is_host_network;         /* hosts becomes a copy of host_hosts */
        const char *host_resolv_conf; /* NULL: /etc/resolv.conf */
        const char *host_hosts;       /* NULL: /etc/hosts */
};

/* Writes <dir>/resolv.conf, <dir>/hosts and <dir>/hostname. A missing host file leaves
 * an empty resolv.conf, or the generated hosts. Errors: CRIC_E_INVALID (a server that is
 * not an IP address, a search domain, option, hostname or pod IP with invalid
 * characters; nothing is written then), CRIC_E_INTERNAL. Thread-safe for distinct dirs. */
int podfiles_write(const struct podfiles_opts *o, struct cric_error **err);

/* Rewrites only <dir>/hosts, e.g. once CNI has given the pod its IPs. Same errors. */
int podfiles_write_hosts(const struct podfiles_opts *o, struct cric_error **err);

/* The file contents, for the writers above and for tests. NULL (with err) on invalid
 * input; the caller frees the string. */
char *podfiles_render_resolv_conf(const struct pod_dns *dns, struct cric_error **err);
char *podfiles_render_hosts(const char *hostname, char *const *ips, struct cric_error **err);

#endif
