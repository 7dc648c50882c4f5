/* A minimal rtnetlink client: just the link lookup, address dump and default-route
 * lookup the pod network code needs. No library: the protocol is small and stable. */
#include "network/internal.h"
#include "network/netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fdpass.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define RTNL_BUF_SIZE  (64 * 1024)
#define RTNL_TIMEOUT_S 5

/* Called for each reply message of our request; returns < 0 (with err) to stop. */
typedef int (*rtnl_cb)(const struct nlmsghdr *h, void *userdata, struct cric_error **err);

static atomic_uint rtnl_seq = 1;

/* Sets the receive timeout and binds (an address in the socket's own netns). */
static int rtnl_setup(int fd, struct cric_error **err) {
        struct timeval tv = {.tv_sec = RTNL_TIMEOUT_S};
        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "set rtnetlink receive timeout");
        struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "bind rtnetlink socket");
        return 0;
}

int rtnl_open(struct cric_error **err) {
        AUTOCLOSE int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open rtnetlink socket");
        if (rtnl_setup(fd, err) < 0)
                return -1;
        return STEAL_FD(fd);
}

static int send_request(int fd, struct nlmsghdr *req, const char *what, struct cric_error **err) {
        struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
        for (;;) {
                ssize_t n = sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *) &kernel, sizeof(kernel));
                if (n >= 0)
                        return 0;
                if (errno != EINTR)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "%s: send", what);
        }
}

/* Handles one received datagram. Returns 1 when the reply is complete, 0 to go on. */
static int handle_datagram(const char *buf, size_t len, uint32_t seq, rtnl_cb cb, void *userdata, const char *what,
                           struct cric_error **err) {
        for (const struct nlmsghdr *h = (const struct nlmsghdr *) buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
                if (h->nlmsg_seq != seq)
                        continue; /* a stale reply to an earlier request on this socket */
                if (h->nlmsg_type == NLMSG_DONE)
                        return 1;
                if (h->nlmsg_type == NLMSG_ERROR) {
                        const struct nlmsgerr *e = NLMSG_DATA(h);
                        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
                                return cric_error_set(err, CRIC_E_INTERNAL, "%s: short error message", what);
                        if (e->error == 0)
                                return 1;
                        return cric_error_errno(err, -e->error == ENODEV ? CRIC_E_NOT_FOUND : CRIC_E_INTERNAL,
                                                -e->error, "%s", what);
                }
                if (cb(h, userdata, err) < 0)
                        return -1;
                if (!(h->nlmsg_flags & NLM_F_MULTI))
                        return 1;
        }
        return 0;
}

/* Sends req (its nlmsg_seq is set here) and feeds every reply message to cb until the
 * dump ends, the single reply arrived or the kernel acknowledged. */
static int rtnl_talk(int fd, struct nlmsghdr *req, rtnl_cb cb, void *userdata, const char *what,
                     struct cric_error **err) {
        uint32_t seq = atomic_fetch_add(&rtnl_seq, 1);
        req->nlmsg_seq = seq;
        if (send_request(fd, req, what, err) < 0)
                return -1;
        AUTOFREE char *buf = xmalloc(RTNL_BUF_SIZE);
        for (;;) {
                ssize_t n = recv(fd, buf, RTNL_BUF_SIZE, MSG_TRUNC);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN || errno == EWOULDBLOCK)
                                return cric_error_set(err, CRIC_E_TIMEOUT, "%s: no reply from the kernel after %d s",
                                                      what, RTNL_TIMEOUT_S);
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "%s: receive", what);
                }
                if (n == 0)
                        return cric_error_set(err, CRIC_E_INTERNAL, "%s: socket closed", what);
                if (n > RTNL_BUF_SIZE)
                        return cric_error_set(err, CRIC_E_INTERNAL, "%s: reply of %zd bytes truncated", what, n);
                int r = handle_datagram(buf, (size_t) n, seq, cb, userdata, what, err);
                if (r != 0)
                        return r < 0 ? -1 : 0;
        }
}

/* A dump request of type (RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE) for family; hdr_len
 * is the size of the type's header (ifinfomsg, ifaddrmsg, rtmsg), whose first byte is
 * the family in all three. */
static int rtnl_dump(int fd, uint16_t type, size_t hdr_len, int family, rtnl_cb cb, void *userdata, const char *what,
                     struct cric_error **err) {
        struct {
                struct nlmsghdr h;
                union {
                        struct ifinfomsg ifi;
                        struct ifaddrmsg ifa;
                        struct rtmsg rtm;
                } u;
        } req = {0};
        req.h.nlmsg_len = NLMSG_LENGTH(hdr_len);
        req.h.nlmsg_type = type;
        req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        *(unsigned char *) &req.u = (unsigned char) family;
        return rtnl_talk(fd, &req.h, cb, userdata, what, err);
}

/* ---- link index ---- */

static int link_cb(const struct nlmsghdr *h, void *userdata, struct cric_error **err) {
        if (h->nlmsg_type != RTM_NEWLINK)
                return 0;
        const struct ifinfomsg *ifi = NLMSG_DATA(h);
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
                return cric_error_set(err, CRIC_E_INTERNAL, "short link message");
        *(int *) userdata = ifi->ifi_index;
        return 0;
}

int rtnl_link_index(int fd, const char *ifname, int *ret_index, struct cric_error **err) {
        size_t len = strlen(ifname);
        if (len == 0 || len >= IFNAMSIZ)
                return cric_error_set(err, CRIC_E_INVALID, "invalid interface name \"%s\"", ifname);
        struct {
                struct nlmsghdr h;
                struct ifinfomsg ifi;
                char attrs[RTA_SPACE(IFNAMSIZ)];
        } req = {0};
        req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi));
        req.h.nlmsg_type = RTM_GETLINK;
        req.h.nlmsg_flags = NLM_F_REQUEST;
        req.ifi.ifi_family = AF_UNSPEC;
        struct rtattr *rta = (struct rtattr *) ((char *) &req.h + NLMSG_ALIGN(req.h.nlmsg_len));
        rta->rta_type = IFLA_IFNAME;
        rta->rta_len = RTA_LENGTH(len + 1);
        memcpy(RTA_DATA(rta), ifname, len + 1);
        req.h.nlmsg_len = NLMSG_ALIGN(req.h.nlmsg_len) + RTA_ALIGN(rta->rta_len);

        int index = 0;
        AUTOFREE char *what = xasprintf("look up interface %s", ifname);
        if (rtnl_talk(fd, &req.h, link_cb, &index, what, err) < 0)
                return -1;
        if (index <= 0)
                return cric_error_set(err, CRIC_E_NOT_FOUND, "%s: no such interface", what);
        *ret_index = index;
        return 0;
}

/* ---- addresses ---- */

struct addr_dump {
        int ifindex;
        int family;
        bool with_prefix;
        bool primary_only;
        char **v4, **v6;
};

static bool addr_usable(const struct ifaddrmsg *ifa, uint32_t flags, bool primary_only) {
        if (ifa->ifa_scope == RT_SCOPE_LINK)
                return false;
        if (!primary_only)
                return true;
        if (ifa->ifa_scope != RT_SCOPE_UNIVERSE)
                return false;
        return !(flags & (IFA_F_SECONDARY | IFA_F_DEPRECATED | IFA_F_TENTATIVE | IFA_F_DADFAILED));
}

static int addr_cb(const struct nlmsghdr *h, void *userdata, struct cric_error **err) {
        struct addr_dump *d = userdata;
        if (h->nlmsg_type != RTM_NEWADDR)
                return 0;
        const struct ifaddrmsg *ifa = NLMSG_DATA(h);
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
                return cric_error_set(err, CRIC_E_INTERNAL, "short address message");
        if ((d->ifindex && (int) ifa->ifa_index != d->ifindex) ||
            (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) ||
            (d->family != AF_UNSPEC && ifa->ifa_family != d->family))
                return 0;
        const void *addr = NULL, *local = NULL;
        uint32_t flags = ifa->ifa_flags;
        int alen = IFA_PAYLOAD(h);
        for (const struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
                if (a->rta_type == IFA_ADDRESS)
                        addr = RTA_DATA(a);
                else if (a->rta_type == IFA_LOCAL)
                        local = RTA_DATA(a);
                else if (a->rta_type == IFA_FLAGS && RTA_PAYLOAD(a) >= sizeof(uint32_t))
                        memcpy(&flags, RTA_DATA(a), sizeof(flags));
        }
        if (local) /* IPv4 (and point-to-point) local side; IFA_ADDRESS may be the peer */
                addr = local;
        char ***list = ifa->ifa_family == AF_INET ? &d->v4 : &d->v6;
        if (!addr || !addr_usable(ifa, flags, d->primary_only) || (d->primary_only && *list))
                return 0;
        char text[INET6_ADDRSTRLEN];
        if (!inet_ntop(ifa->ifa_family, addr, text, sizeof(text)))
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "format address");
        if (d->with_prefix)
                strv_push_take(list, xasprintf("%s/%u", text, ifa->ifa_prefixlen));
        else
                strv_push(list, text);
        return 0;
}

int rtnl_addresses(int fd, int ifindex, int family, bool with_prefix, bool primary_only, char ***ret,
                   struct cric_error **err) {
        struct addr_dump d = {
                .ifindex = ifindex, .family = family, .with_prefix = with_prefix, .primary_only = primary_only};
        int r = rtnl_dump(fd, RTM_GETADDR, sizeof(struct ifaddrmsg), family, addr_cb, &d, "dump addresses", err);
        for (char **p = d.v4; r == 0 && p && *p; p++)
                strv_push(ret, *p);
        for (char **p = d.v6; r == 0 && p && *p; p++)
                strv_push(ret, *p);
        strv_free(d.v4);
        strv_free(d.v6);
        return r;
}

/* ---- default route ---- */

struct route_dump {
        int ifindex;
        uint32_t metric;
};

static void route_attrs(const struct nlmsghdr *h, const struct rtmsg *rtm, uint32_t *table, int *oif,
                        uint32_t *metric) {
        int alen = RTM_PAYLOAD(h);
        for (const struct rtattr *a = RTM_RTA(rtm); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
                if (a->rta_type == RTA_TABLE && RTA_PAYLOAD(a) >= sizeof(uint32_t)) {
                        memcpy(table, RTA_DATA(a), sizeof(*table));
                } else if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) >= sizeof(uint32_t)) {
                        memcpy(oif, RTA_DATA(a), sizeof(*oif));
                } else if (a->rta_type == RTA_PRIORITY && RTA_PAYLOAD(a) >= sizeof(uint32_t)) {
                        memcpy(metric, RTA_DATA(a), sizeof(*metric));
                } else if (a->rta_type == RTA_MULTIPATH && *oif == 0 && RTA_PAYLOAD(a) >= sizeof(struct rtnexthop)) {
                        const struct rtnexthop *nh = RTA_DATA(a); /* ECMP: the first hop's device */
                        *oif = nh->rtnh_ifindex;
                }
        }
}

static int route_cb(const struct nlmsghdr *h, void *userdata, struct cric_error **err) {
        struct route_dump *d = userdata;
        if (h->nlmsg_type != RTM_NEWROUTE)
                return 0;
        const struct rtmsg *rtm = NLMSG_DATA(h);
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
                return cric_error_set(err, CRIC_E_INTERNAL, "short route message");
        if (rtm->rtm_dst_len != 0 || rtm->rtm_type != RTN_UNICAST)
                return 0;
        uint32_t table = rtm->rtm_table, metric = 0;
        int oif = 0;
        route_attrs(h, rtm, &table, &oif, &metric);
        if (table != RT_TABLE_MAIN || oif <= 0)
                return 0;
        if (d->ifindex == 0 || metric < d->metric) {
                d->ifindex = oif;
                d->metric = metric;
        }
        return 0;
}

int rtnl_default_route_ifindex(int fd, int family, int *ret_ifindex, struct cric_error **err) {
        struct route_dump d = {0};
        if (rtnl_dump(fd, RTM_GETROUTE, sizeof(struct rtmsg), family, route_cb, &d, "dump routes", err) < 0)
                return -1;
        *ret_ifindex = d.ifindex;
        return 0;
}

/* ---- netns_get_addresses, host_addresses (public, network/netns.h) ---- */

/* Runs in the child inside the netns (async-signal-safe): a netlink socket stays in
 * the netns it was created in, so the child creates one and passes it back; the
 * parent then talks rtnetlink with ordinary, allocating code. */
static int send_rtnl_socket(void *arg) {
        int out = *(int *) arg;
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0)
                return errno;
        int r = fdpass_send(out, fd) < 0 ? errno : 0;
        close(fd);
        return r;
}

static int recv_fd(int sock, int *ret_fd, struct cric_error **err) {
        *ret_fd = fdpass_recv(sock, MSG_DONTWAIT);
        return *ret_fd >= 0 ? 0 : cric_error_errno(err, CRIC_E_INTERNAL, errno, "receive the netlink socket");
}

/* A NETLINK_ROUTE socket bound to the netns at path. */
static int rtnl_open_in(const char *path, struct cric_error **err) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "socketpair");
        AUTOCLOSE int ours = sv[0];
        AUTOCLOSE int theirs = sv[1];
        AUTOCLOSE int fd = -1;
        if (netns_enter_run(path, send_rtnl_socket, &theirs, err) < 0 || recv_fd(ours, &fd, err) < 0 ||
            rtnl_setup(fd, err) < 0)
                return -1;
        return STEAL_FD(fd);
}

int netns_get_addresses(const char *netns_path, const char *ifname, char ***ret_cidrs, struct cric_error **err) {
        AUTOCLOSE int fd = rtnl_open_in(netns_path, err);
        if (fd < 0)
                return cric_error_prefix(err, "addresses of %s in %s", ifname, netns_path);
        int index = 0;
        CLEANUP(strv_freep) char **list = xcalloc(1, sizeof(char *));
        if (rtnl_link_index(fd, ifname, &index, err) < 0 ||
            rtnl_addresses(fd, index, AF_UNSPEC, true, false, &list, err) < 0)
                return cric_error_prefix(err, "addresses of %s in %s", ifname, netns_path);
        *ret_cidrs = STEAL_PTR(list);
        return 0;
}

/* ---- link statistics ---- */

struct link_dump {
        struct netns_link_stats *v;
        size_t n;
};

/* One RTM_NEWLINK of the dump: its name and IFLA_STATS64, loopback left out. */
static int link_stats_cb(const struct nlmsghdr *h, void *userdata, struct cric_error **err) {
        if (h->nlmsg_type != RTM_NEWLINK)
                return 0;
        const struct ifinfomsg *ifi = NLMSG_DATA(h);
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
                return cric_error_set(err, CRIC_E_INTERNAL, "short link message");
        if (ifi->ifi_flags & IFF_LOOPBACK)
                return 0;
        struct netns_link_stats s = {0};
        bool has_stats = false;
        int len = (int) IFLA_PAYLOAD(h);
        for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
                if (a->rta_type == IFLA_IFNAME) {
                        snprintf(s.name, sizeof(s.name), "%.*s", (int) RTA_PAYLOAD(a), (const char *) RTA_DATA(a));
                } else if (a->rta_type == IFLA_STATS64 && RTA_PAYLOAD(a) >= sizeof(struct rtnl_link_stats64)) {
                        struct rtnl_link_stats64 st;
                        memcpy(&st, RTA_DATA(a), sizeof(st));
                        s.rx_bytes = st.rx_bytes;
                        s.rx_packets = st.rx_packets;
                        s.rx_errors = st.rx_errors;
                        s.rx_dropped = st.rx_dropped;
                        s.tx_bytes = st.tx_bytes;
                        s.tx_packets = st.tx_packets;
                        s.tx_errors = st.tx_errors;
                        s.tx_dropped = st.tx_dropped;
                        has_stats = true;
                }
        }
        if (!has_stats || !*s.name)
                return 0;
        struct link_dump *d = userdata;
        d->v = xrealloc(d->v, (d->n + 1) * sizeof(*d->v));
        d->v[d->n++] = s;
        return 0;
}

int netns_stats_socket(const char *netns_path, struct cric_error **err) {
        int fd = rtnl_open_in(netns_path, err);
        return fd < 0 ? cric_error_prefix(err, "netlink socket in %s", netns_path) : fd;
}

int netns_link_stats(int fd, struct netns_link_stats **ret, size_t *ret_n, struct cric_error **err) {
        struct link_dump d = {0};
        if (rtnl_dump(fd, RTM_GETLINK, sizeof(struct ifinfomsg), AF_UNSPEC, link_stats_cb, &d, "dump interfaces", err) <
            0) {
                free(d.v);
                return cric_error_prefix(err, "interface statistics");
        }
        *ret = d.v;
        *ret_n = d.n;
        return 0;
}

int host_addresses(char ***ret, struct cric_error **err) {
        AUTOCLOSE int fd = rtnl_open(err);
        if (fd < 0)
                return cric_error_prefix(err, "host addresses");
        CLEANUP(strv_freep) char **list = xcalloc(1, sizeof(char *));
        const int families[] = {AF_INET, AF_INET6};
        for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
                int index = 0;
                if (rtnl_default_route_ifindex(fd, families[i], &index, err) < 0)
                        return cric_error_prefix(err, "host addresses");
                if (index > 0 && rtnl_addresses(fd, index, families[i], false, true, &list, err) < 0)
                        return cric_error_prefix(err, "host addresses");
        }
        int n = (int) strv_length(list);
        *ret = STEAL_PTR(list);
        return n;
}

int host_changes_open(struct cric_error **err) {
        AUTOCLOSE int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
        if (fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open rtnetlink socket");
        struct sockaddr_nl sa = {
                .nl_family = AF_NETLINK,
                .nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE,
        };
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "subscribe to address and route changes");
        return STEAL_FD(fd);
}

bool host_changes_drain(int fd) {
        char buf[8192];
        bool any = false;
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
                if (n > 0) {
                        any = true;
                        continue;
                }
                /* ENOBUFS: notifications were lost, so something changed. */
                return any || (n < 0 && errno == ENOBUFS);
        }
}
