/* A pod's resolv.conf, hosts and hostname. Everything is validated and rendered in
 * memory first, so invalid input leaves the pod directory untouched. */
#include "network/podfiles.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define HOST_FILE_MAX  (1024 * 1024)
#define DNS_NAME_MAX   253
#define DNS_OPTION_MAX 256

/* ---- a small string builder ---- */

struct sbuf {
        char *s;
        size_t len, cap;
};

static void sbuf_add(struct sbuf *b, const char *s) {
        size_t n = strlen(s);
        b->s = xgrow(b->s, &b->cap, b->len + n + 1, 1);
        memcpy(b->s + b->len, s, n + 1);
        b->len += n;
}

static void sbuf_add_list(struct sbuf *b, const char *keyword, char *const *v) {
        if (!v || !*v)
                return;
        sbuf_add(b, keyword);
        for (; *v; v++) {
                sbuf_add(b, " ");
                sbuf_add(b, *v);
        }
        sbuf_add(b, "\n");
}

static char *sbuf_steal(struct sbuf *b) {
        if (!b->s)
                return xstrdup("");
        return STEAL_PTR(b->s);
}

/* ---- validation ---- */

static bool is_name_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
               c == '_';
}

static bool is_dns_name(const char *s, size_t max) {
        size_t len = strlen(s);
        if (len == 0 || len > max || s[0] == '.' || strstr(s, ".."))
                return false;
        for (; *s; s++)
                if (!is_name_char(*s))
                        return false;
        return true;
}

static bool is_ip(const char *s) {
        unsigned char buf[sizeof(struct in6_addr)];
        return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* An IPv4 or IPv6 address; an IPv6 may name its zone ("fe80::1%eth0"), as glibc allows. */
static bool is_nameserver(const char *s) {
        const char *pct = strchr(s, '%');
        if (!pct)
                return is_ip(s);
        size_t alen = (size_t) (pct - s);
        if (alen == 0 || alen >= INET6_ADDRSTRLEN || !pct[1] || strlen(pct + 1) >= 16)
                return false;
        char addr[INET6_ADDRSTRLEN];
        memcpy(addr, s, alen);
        addr[alen] = '\0';
        unsigned char buf[sizeof(struct in6_addr)];
        if (inet_pton(AF_INET6, addr, buf) != 1)
                return false;
        for (const char *z = pct + 1; *z; z++)
                if (!is_name_char(*z))
                        return false;
        return true;
}

static bool is_dns_option(const char *s) {
        size_t len = strlen(s);
        if (len == 0 || len > DNS_OPTION_MAX)
                return false;
        for (; *s; s++)
                if ((unsigned char) *s <= ' ' || (unsigned char) *s >= 0x7f || *s == '#' || *s == ';')
                        return false;
        return true;
}

static int check_list(char *const *v, bool (*ok)(const char *), const char *what, struct cric_error **err) {
        for (; v && *v; v++)
                if (!ok(*v))
                        return cric_error_set(err, CRIC_E_INVALID, "invalid DNS %s \"%s\"", what, *v);
        return 0;
}

static bool is_search_domain(const char *s) {
        return is_dns_name(s, DNS_NAME_MAX);
}

static bool is_hostname(const char *s) {
        return is_dns_name(s, HOST_NAME_MAX);
}

static bool dns_is_empty(const struct pod_dns *dns) {
        return !dns ||
               (strv_length(dns->servers) == 0 && strv_length(dns->searches) == 0 && strv_length(dns->options) == 0);
}

/* ---- rendering ---- */

char *podfiles_render_resolv_conf(const struct pod_dns *dns, struct cric_error **err) {
        if (!dns)
                return xstrdup("");
        if (check_list(dns->servers, is_nameserver, "server", err) < 0 ||
            check_list(dns->searches, is_search_domain, "search domain", err) < 0 ||
            check_list(dns->options, is_dns_option, "option", err) < 0)
                return NULL;
        struct sbuf b = {0};
        for (char **s = dns->servers; s && *s; s++) {
                sbuf_add(&b, "nameserver ");
                sbuf_add(&b, *s);
                sbuf_add(&b, "\n");
        }
        sbuf_add_list(&b, "search", dns->searches);
        sbuf_add_list(&b, "options", dns->options);
        return sbuf_steal(&b);
}

char *podfiles_render_hosts(const char *hostname, char *const *ips, struct cric_error **err) {
        if (hostname && !is_hostname(hostname))
                return cric_error_set(err, CRIC_E_INVALID, "invalid hostname \"%s\"", hostname), NULL;
        for (char *const *ip = ips; ip && *ip; ip++)
                if (!is_ip(*ip))
                        return cric_error_set(err, CRIC_E_INVALID, "invalid pod IP \"%s\"", *ip), NULL;
        struct sbuf b = {0};
        sbuf_add(&b, "# Kubernetes-managed hosts file (cric).\n"
                     "127.0.0.1\tlocalhost\n"
                     "::1\tlocalhost ip6-localhost ip6-loopback\n");
        for (char *const *ip = ips; hostname && ip && *ip; ip++) {
                sbuf_add(&b, *ip);
                sbuf_add(&b, "\t");
                sbuf_add(&b, hostname);
                sbuf_add(&b, "\n");
        }
        return sbuf_steal(&b);
}

/* ---- writing ---- */

/* The host file at path, or NULL (not an error) when it does not exist. */
static int read_host_file(const char *path, char **ret, struct cric_error **err) {
        return fs_read_file_optional(path, HOST_FILE_MAX, ret, err) < 0 ? -1 : 0;
}

static int write_pod_file(const char *dir, const char *name, const char *data, struct cric_error **err) {
        AUTOFREE char *path = xasprintf("%s/%s", dir, name);
        return fs_write_file_atomic(path, data, strlen(data), 0644, err);
}

/* The hostname to use: the given one, else the host's. */
static int pick_hostname(const struct podfiles_opts *o, char **ret, struct cric_error **err) {
        if (o->hostname && *o->hostname) {
                *ret = xstrdup(o->hostname);
                return 0;
        }
        char buf[HOST_NAME_MAX + 1] = {0};
        if (gethostname(buf, sizeof(buf) - 1) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "gethostname");
        *ret = xstrdup(buf);
        return 0;
}

static int render_hosts(const struct podfiles_opts *o, const char *hostname, char **ret, struct cric_error **err) {
        if (o->is_host_network) {
                if (read_host_file(o->host_hosts ? o->host_hosts : "/etc/hosts", ret, err) < 0)
                        return -1;
                if (*ret)
                        return 0;
        }
        *ret = podfiles_render_hosts(hostname, o->ips, err);
        return *ret ? 0 : -1;
}

static int render_resolv_conf(const struct podfiles_opts *o, char **ret, struct cric_error **err) {
        if (dns_is_empty(o->dns)) {
                if (read_host_file(o->host_resolv_conf ? o->host_resolv_conf : "/etc/resolv.conf", ret, err) < 0)
                        return -1;
                if (!*ret)
                        *ret = xstrdup("");
                return 0;
        }
        *ret = podfiles_render_resolv_conf(o->dns, err);
        return *ret ? 0 : -1;
}

static int check_opts(const struct podfiles_opts *o, struct cric_error **err) {
        if (!o || !o->dir || !*o->dir)
                return cric_error_set(err, CRIC_E_INVALID, "no pod directory");
        return 0;
}

int podfiles_write_hosts(const struct podfiles_opts *o, struct cric_error **err) {
        if (check_opts(o, err) < 0)
                return -1;
        AUTOFREE char *hostname = NULL;
        AUTOFREE char *hosts = NULL;
        if (pick_hostname(o, &hostname, err) < 0 || render_hosts(o, hostname, &hosts, err) < 0 ||
            fs_mkdir_p(o->dir, 0755, err) < 0 || write_pod_file(o->dir, PODFILES_HOSTS, hosts, err) < 0)
                return cric_error_prefix(err, "write hosts for %s", o->dir);
        return 0;
}

int podfiles_write(const struct podfiles_opts *o, struct cric_error **err) {
        if (check_opts(o, err) < 0)
                return -1;
        AUTOFREE char *hostname = NULL;
        AUTOFREE char *hosts = NULL;
        AUTOFREE char *resolv = NULL;
        if (pick_hostname(o, &hostname, err) < 0 || render_hosts(o, hostname, &hosts, err) < 0 ||
            render_resolv_conf(o, &resolv, err) < 0)
                return cric_error_prefix(err, "write pod files in %s", o->dir);
        if (!is_hostname(hostname))
                return cric_error_set(err, CRIC_E_INVALID, "write pod files in %s: invalid hostname \"%s\"", o->dir,
                                      hostname);
        AUTOFREE char *hostname_line = xasprintf("%s\n", hostname);
        if (fs_mkdir_p(o->dir, 0755, err) < 0 || write_pod_file(o->dir, PODFILES_RESOLV_CONF, resolv, err) < 0 ||
            write_pod_file(o->dir, PODFILES_HOSTS, hosts, err) < 0 ||
            write_pod_file(o->dir, PODFILES_HOSTNAME, hostname_line, err) < 0)
                return cric_error_prefix(err, "write pod files in %s", o->dir);
        return 0;
}
