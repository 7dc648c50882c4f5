/* Shared between src/network/ files only: a minimal rtnetlink client. */
#ifndef CRIC_NETWORK_INTERNAL_H
#define CRIC_NETWORK_INTERNAL_H

#include <stdbool.h>

#include "util/error.h"

/* Opens a NETLINK_ROUTE socket (close-on-exec, receive timeout). The socket stays
 * bound to the network namespace of the thread that created it. */
int rtnl_open(struct cric_error **err);

/* Index of the interface named ifname in the socket's netns (RTM_GETLINK).
 * CRIC_E_NOT_FOUND when there is none. */
int rtnl_link_index(int fd, const char *ifname, int *ret_index, struct cric_error **err);

/* Appends to *ret the addresses of interface ifindex (0: every interface) of family
 * (AF_INET, AF_INET6 or AF_UNSPEC), skipping link-scope ones. With with_prefix
 * "addr/len", else "addr". primary_only keeps at most one global address per family
 * and skips IPv4 secondaries and deprecated or tentative IPv6 addresses. */
int rtnl_addresses(int fd, int ifindex, int family, bool with_prefix, bool primary_only, char ***ret,
                   struct cric_error **err);

/* Output interface of the default route of family in the main table, the one with the
 * lowest metric. *ret_ifindex is 0 when there is no default route. */
int rtnl_default_route_ifindex(int fd, int family, int *ret_ifindex, struct cric_error **err);

#endif
