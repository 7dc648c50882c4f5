/* CNI results of every spec version, reduced to what the runtime needs: the addresses
 * and their gateways. 0.1.0/0.2.0 results carry one "ip4" and one "ip6" object; from
 * 0.3.0 on there is an "ips" list (whose entries have a "version" until 1.0.0). */
#include <arpa/inet.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network/cni_internal.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define RESULT_MAX_SIZE (1u << 20)

/* 4 or 6 for an address (without prefix), 0 when it is none. */
static int ip_family(const char *s) {
        unsigned char buf[16];
        if (inet_pton(AF_INET, s, buf) == 1)
                return 4;
        if (inet_pton(AF_INET6, s, buf) == 1)
                return 6;
        return 0;
}

/* 4 or 6 for "address/prefix" with a prefix in range, 0 otherwise. */
static int cidr_family(const char *s) {
        const char *slash = strchr(s, '/');
        if (!slash || slash - s > 45 || !slash[1] || strlen(slash + 1) > 3 ||
            strspn(slash + 1, "0123456789") != strlen(slash + 1))
                return 0;
        char addr[46];
        memcpy(addr, s, (size_t) (slash - s));
        addr[slash - s] = '\0';
        int family = ip_family(addr), prefix = atoi(slash + 1);
        if (family == 4 && prefix <= 32)
                return 4;
        if (family == 6 && prefix <= 128)
                return 6;
        return 0;
}

static void result_freep(struct cni_result **r) {
        cni_result_free(*r);
}

void cni_result_free(struct cni_result *r) {
        if (!r)
                return;
        strv_free(r->ips);
        strv_free(r->gateways);
        strv_free(r->ifnames);
        free(r->json);
        free(r);
}

/* An optional string member; anything else but null is an error. */
static int get_string(struct json_object *o, const char *where, const char *key, const char **ret,
                      struct cric_error **err) {
        struct json_object *v;
        *ret = NULL;
        if (!json_object_object_get_ex(o, key, &v) || !v)
                return 0;
        if (!json_object_is_type(v, json_type_string))
                return cric_error_set(err, CRIC_E_INVALID, "cni result: %s.%s is not a string", where, key);
        *ret = json_object_get_string(v);
        return 0;
}

/* Appends one address with its optional gateway, after checking both. want is the
 * family the entry claims (0: none). */
static int add_ip(struct cni_result *r, struct json_object *o, const char *where, const char *addr_key, int want,
                  struct cric_error **err) {
        const char *addr, *gw;
        if (!json_object_is_type(o, json_type_object))
                return cric_error_set(err, CRIC_E_INVALID, "cni result: %s is not an object", where);
        if (get_string(o, where, addr_key, &addr, err) < 0 || get_string(o, where, "gateway", &gw, err) < 0)
                return -1;
        if (!addr)
                return cric_error_set(err, CRIC_E_INVALID, "cni result: %s has no %s", where, addr_key);
        int family = cidr_family(addr);
        if (!family || (want && family != want))
                return cric_error_set(err, CRIC_E_INVALID, "cni result: %s.%s \"%.64s\" is not an IPv%s CIDR", where,
                                      addr_key, addr,
                                      want == 4   ? "4"
                                      : want == 6 ? "6"
                                                  : "4 or IPv6");
        if (gw && *gw && ip_family(gw) != family)
                return cric_error_set(err, CRIC_E_INVALID, "cni result: %s.gateway \"%.64s\" is not an IPv%d address",
                                      where, gw, family);
        strv_push(&r->ips, addr);
        strv_push(&r->gateways, gw ? gw : "");
        strv_push(&r->ifnames, "");
        return 0;
}

/* The name of the container-side interface an ips entry points at ("interface": index
 * into "interfaces", whose entry has a "sandbox"); "" when it names none. */
static const char *entry_ifname(struct json_object *root, struct json_object *entry) {
        struct json_object *idx, *ifaces, *iface, *v;
        if (!json_object_object_get_ex(entry, "interface", &idx) || !json_object_is_type(idx, json_type_int) ||
            !json_object_object_get_ex(root, "interfaces", &ifaces) || !json_object_is_type(ifaces, json_type_array))
                return "";
        int64_t i = json_object_get_int64(idx);
        if (i < 0 || (size_t) i >= json_object_array_length(ifaces))
                return "";
        iface = json_object_array_get_idx(ifaces, (size_t) i);
        if (!json_object_is_type(iface, json_type_object) || !json_object_object_get_ex(iface, "sandbox", &v) ||
            !json_object_is_type(v, json_type_string) || !*json_object_get_string(v) ||
            !json_object_object_get_ex(iface, "name", &v) || !json_object_is_type(v, json_type_string))
                return "";
        return json_object_get_string(v);
}

static int parse_legacy(struct cni_result *r, struct json_object *root, struct cric_error **err) {
        static const char *const keys[] = {"ip4", "ip6"};
        for (int i = 0; i < 2; i++) {
                struct json_object *o;
                if (json_object_object_get_ex(root, keys[i], &o) && o &&
                    add_ip(r, o, keys[i], "ip", i == 0 ? 4 : 6, err) < 0)
                        return -1;
        }
        return 0;
}

/* "version" of an ips entry before 1.0.0: "4" or "6", matching the address. */
static int entry_family(struct json_object *o, const char *where, int *ret, struct cric_error **err) {
        const char *v;
        *ret = 0;
        if (!json_object_is_type(o, json_type_object)) /* add_ip says so */
                return 0;
        if (get_string(o, where, "version", &v, err) < 0)
                return -1;
        if (!v)
                return 0;
        if (strcmp(v, "4") != 0 && strcmp(v, "6") != 0)
                return cric_error_set(err, CRIC_E_INVALID, "cni result: %s.version \"%.8s\" is neither 4 nor 6", where,
                                      v);
        *ret = v[0] - '0';
        return 0;
}

static int parse_ips(struct cni_result *r, struct json_object *root, enum cni_version version,
                     struct cric_error **err) {
        struct json_object *ips;
        if (!json_object_object_get_ex(root, "ips", &ips) || !ips)
                return 0;
        if (!json_object_is_type(ips, json_type_array))
                return cric_error_set(err, CRIC_E_INVALID, "cni result: ips is not a list");
        for (size_t i = 0; i < json_object_array_length(ips); i++) {
                struct json_object *o = json_object_array_get_idx(ips, i);
                char where[32];
                snprintf(where, sizeof(where), "ips[%zu]", i);
                int want = 0;
                if (version < CNI_V100 && entry_family(o, where, &want, err) < 0)
                        return -1;
                if (add_ip(r, o, where, "address", want, err) < 0)
                        return -1;
                size_t last = strv_length(r->ifnames) - 1;
                free(r->ifnames[last]);
                r->ifnames[last] = xstrdup(entry_ifname(root, o));
        }
        return 0;
}

int cni_result_parse(const char *data, size_t len, struct cni_result **ret, struct cric_error **err) {
        AUTOJSON struct json_object *root = NULL;
        if (len > RESULT_MAX_SIZE)
                return cric_error_set(err, CRIC_E_INVALID, "cni result: larger than %u bytes", RESULT_MAX_SIZE);
        if (json_parse_object(data, len, "cni result", &root, err) < 0)
                return -1;
        const char *vs;
        if (get_string(root, "result", "cniVersion", &vs, err) < 0)
                return -1;
        /* 0.1.0 results had no cniVersion. */
        enum cni_version version = vs ? cni_version_from_string(vs) : CNI_V010;
        if (version == CNI_VERSION_INVALID)
                return cric_error_set(err, CRIC_E_INVALID, "cni result: unsupported cniVersion \"%.32s\"", vs);
        CLEANUP(result_freep) struct cni_result *r = xzalloc(sizeof(*r));
        r->ips = xzalloc(sizeof(char *));
        r->gateways = xzalloc(sizeof(char *));
        r->ifnames = xzalloc(sizeof(char *));
        if ((version < CNI_V030 ? parse_legacy(r, root, err) : parse_ips(r, root, version, err)) < 0)
                return -1;
        r->json = xstrndup(data, len);
        *ret = STEAL_PTR(r);
        return 0;
}
