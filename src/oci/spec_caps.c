/* process.capabilities: CRI-O's default set, the CRI's add/drop lists with containerd's
 * "ALL" semantics, and the daemon's own bounding set as the ceiling. */
#include <strings.h>

#include "oci/internal.h"
#include "util/log.h"
#include "util/strv.h"

static const char *const cap_names[OCI_CAP_COUNT] = {
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_DAC_READ_SEARCH",
        "CAP_FOWNER",
        "CAP_FSETID",
        "CAP_KILL",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETPCAP",
        "CAP_LINUX_IMMUTABLE",
        "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN",
        "CAP_NET_RAW",
        "CAP_IPC_LOCK",
        "CAP_IPC_OWNER",
        "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN",
        "CAP_SYS_BOOT",
        "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG",
        "CAP_MKNOD",
        "CAP_LEASE",
        "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE",
        "CAP_MAC_ADMIN",
        "CAP_SYSLOG",
        "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ",
        "CAP_PERFMON",
        "CAP_BPF",
        "CAP_CHECKPOINT_RESTORE",
};

/* CRI-O's default capabilities (default_capabilities' default: keep both in step). */
static const char *const default_caps[] = {
        "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "SETGID", "SETUID", "SETPCAP", "NET_BIND_SERVICE", "KILL",
};

#define ALL_CAPS ((UINT64_C(1) << OCI_CAP_COUNT) - 1)
#define BIT(n)   (UINT64_C(1) << (n))

const char *spec_cap_name(int cap) {
        return cap >= 0 && cap < OCI_CAP_COUNT ? cap_names[cap] : NULL;
}

int spec_cap_parse(const char *name) {
        if (!name)
                return -1;
        if (strncasecmp(name, "CAP_", 4) == 0)
                name += 4;
        for (int i = 0; i < OCI_CAP_COUNT; i++)
                if (strcasecmp(name, cap_names[i] + 4) == 0)
                        return i;
        return -1;
}

int oci_cap_parse(const char *name) {
        return spec_cap_parse(name);
}

static bool is_all(const char *name) {
        return name && strcasecmp(name, "ALL") == 0;
}

static bool has_all(char *const *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (is_all(v[i]))
                        return true;
        return false;
}

/* The set of capabilities named in v, "ALL" aside. */
static int parse_list(const char *what, char *const *v, size_t n, uint64_t *ret, struct cric_error **err) {
        uint64_t set = 0;
        for (size_t i = 0; i < n; i++) {
                if (is_all(v[i]))
                        continue;
                int cap = spec_cap_parse(v[i]);
                if (cap < 0)
                        return cric_error_set(err, CRIC_E_INVALID, "%s: unknown capability \"%s\"", what,
                                              v[i] ? v[i] : "");
                set |= BIT(cap);
        }
        *ret = set;
        return 0;
}

struct cap_sets {
        uint64_t caps;    /* bounding = effective = permitted */
        uint64_t ambient; /* ambient = inheritable */
        uint64_t named;   /* asked for by name (or by default): worth a warning when left out */
};

static int container_caps(const struct spec_ctx *c, struct cap_sets *s, struct cric_error **err) {
        const struct oci_capabilities *k = &c->sec->caps;
        uint64_t add = 0, drop = 0;
        if (parse_list(c->what, k->add, k->n_add, &add, err) < 0 ||
            parse_list(c->what, k->drop, k->n_drop, &drop, err) < 0 ||
            parse_list(c->what, k->add_ambient, k->n_add_ambient, &s->ambient, err) < 0)
                return -1;
        if (c->sec->is_privileged) {
                s->caps = ALL_CAPS;
                s->named = add | s->ambient;
                return 0;
        }
        uint64_t defaults = 0;
        char *const *node_caps = c->node->default_capabilities;
        if (node_caps) {
                if (parse_list("default_capabilities", node_caps, strv_length(node_caps), &defaults, err) < 0)
                        return -1;
                if (has_all(node_caps, strv_length(node_caps)))
                        defaults = ALL_CAPS;
        } else {
                for (size_t i = 0; i < sizeof(default_caps) / sizeof(default_caps[0]); i++)
                        defaults |= BIT(spec_cap_parse(default_caps[i]));
        }
        /* containerd's order: add ALL, drop ALL, then the named adds, then the named drops,
         * so {add: ALL, drop: CHOWN} is everything but CHOWN and {drop: ALL, add: CHOWN}
         * is CHOWN alone. */
        s->caps = defaults;
        if (has_all(k->add, k->n_add))
                s->caps = ALL_CAPS;
        if (has_all(k->drop, k->n_drop))
                s->caps = 0;
        s->caps = (s->caps | add) & ~drop;
        s->ambient &= ~drop;
        s->caps |= s->ambient; /* an ambient capability must also be permitted */
        s->named = (defaults | add | s->ambient) & s->caps;
        return 0;
}

/* Leaves out what the daemon can't grant itself, with a warning for what was asked for. */
static void clip_to_bounding(const struct spec_ctx *c, struct cap_sets *s) {
        uint64_t missing = s->caps & ~c->host->cap_bounding;
        for (int i = 0; i < OCI_CAP_COUNT; i++) {
                if (!(missing & BIT(i)))
                        continue;
                if (s->named & BIT(i))
                        log_warn("%s: capability %s is not in the daemon's bounding set, leaving it out", c->what,
                                 cap_names[i]);
                else
                        log_debug("%s: capability %s is not in the daemon's bounding set, leaving it out", c->what,
                                  cap_names[i]);
        }
        s->caps &= c->host->cap_bounding;
        s->ambient &= s->caps;
}

static struct json_object *cap_array(uint64_t set) {
        struct json_object *a = jx_array();
        for (int i = 0; i < OCI_CAP_COUNT; i++)
                if (set & BIT(i))
                        jx_append(a, jx_string(cap_names[i]));
        return a;
}

int spec_add_capabilities(struct spec_ctx *c, struct cric_error **err) {
        struct cap_sets s = {0};
        if (c->in && container_caps(c, &s, err) < 0)
                return -1;
        /* The infra process (pause) needs no capability at all. */
        clip_to_bounding(c, &s);
        c->caps = s.caps;
        struct json_object *caps = spec_obj(c->process, "capabilities");
        jx_add(caps, "bounding", cap_array(s.caps));
        jx_add(caps, "effective", cap_array(s.caps));
        jx_add(caps, "permitted", cap_array(s.caps));
        jx_add(caps, "inheritable", cap_array(s.ambient));
        jx_add(caps, "ambient", cap_array(s.ambient));
        return 0;
}

int spec_caps_check(char *const *names, struct cric_error **err) {
        uint64_t set = 0;
        return parse_list("default_capabilities", names, strv_length(names), &set, err);
}
