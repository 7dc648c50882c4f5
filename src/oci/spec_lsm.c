/* process.selinuxLabel, linux.mountLabel and process.apparmorProfile. */
#include <string.h>

#include "oci/internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

static bool has_selinux_options(const struct oci_selinux_options *o) {
        return !str_empty(o->user) || !str_empty(o->role) || !str_empty(o->type) || !str_empty(o->level);
}

static const char * or (const char *s, const char *dflt) {
        return str_empty(s) ? dflt : s;
}

/* Missing parts come from the usual container policy. Allocating a unique MCS level
 * per pod is the caller's job (it passes it as level); "s0" otherwise. */
static void add_selinux(struct spec_ctx *c) {
        const struct oci_selinux_options *o = &c->sec->selinux;
        const char *user = or (o->user, "system_u"), *level = or (o->level, "s0");
        AUTOFREE char *process =
                xasprintf("%s:%s:%s:%s", user, or (o->role, "system_r"), or (o->type, "container_t"), level);
        AUTOFREE char *mount = xasprintf("%s:object_r:container_file_t:%s", user, level);
        spec_set_str(c->process, "selinuxLabel", process);
        spec_set_str(c->lnx, "mountLabel", mount);
}

/* The node's selinux setting off: no labels, the CRI's options ignored (CRI-O). On:
 * labels wherever SELinux is enabled, the defaults filling what the CRI leaves out. */
static int selinux(struct spec_ctx *c, struct cric_error **err) {
        bool asked = has_selinux_options(&c->sec->selinux);
        if (!c->node->selinux) {
                if (asked)
                        log_debug("%s: SELinux options ignored: selinux is off", c->what);
                return 0;
        }
        if (!c->host->is_selinux_enabled) {
                if (!asked)
                        return 0;
                return cric_error_set(err, CRIC_E_INVALID,
                                      "%s: SELinux options given but SELinux is not enabled on this host", c->what);
        }
        if (!c->sec->is_privileged)
                add_selinux(c);
        return 0;
}

/* The deprecated string form: "", "runtime/default", "unconfined", "localhost/<name>". */
static int apparmor_request(const struct spec_ctx *c, struct oci_security_profile *ret, struct cric_error **err) {
        *ret = c->sec->apparmor;
        if (ret->is_set)
                return 0;
        const char *s = c->sec->apparmor_profile;
        *ret = (struct oci_security_profile){.is_set = false, .type = OCI_PROFILE_RUNTIME_DEFAULT};
        if (str_empty(s) || strcmp(s, "runtime/default") == 0)
                return 0;
        ret->is_set = true;
        if (strcmp(s, "unconfined") == 0) {
                ret->type = OCI_PROFILE_UNCONFINED;
        } else if (strncmp(s, "localhost/", 10) == 0) {
                ret->type = OCI_PROFILE_LOCALHOST;
                ret->localhost_ref = s + 10;
        } else {
                return cric_error_set(err, CRIC_E_INVALID, "%s: unknown AppArmor profile \"%s\"", c->what, s);
        }
        return 0;
}

static int apparmor(struct spec_ctx *c, struct cric_error **err) {
        struct oci_security_profile p;
        if (apparmor_request(c, &p, err) < 0)
                return -1;
        const char *name = p.localhost_ref;
        if (p.type == OCI_PROFILE_LOCALHOST && name && strncmp(name, "localhost/", 10) == 0)
                name += 10;
        if (p.type == OCI_PROFILE_LOCALHOST && str_empty(name))
                return cric_error_set(err, CRIC_E_INVALID, "%s: AppArmor profile name is empty", c->what);
        if (p.type != OCI_PROFILE_RUNTIME_DEFAULT && p.type != OCI_PROFILE_UNCONFINED &&
            p.type != OCI_PROFILE_LOCALHOST)
                return cric_error_set(err, CRIC_E_INVALID, "%s: unknown AppArmor profile type %d", c->what, p.type);
        /* The kubelet asks for runtime/default everywhere; where AppArmor is absent that
         * means nothing (containerd does the same). Anything else can't be honoured. */
        if (!c->host->is_apparmor_enabled) {
                if (p.type == OCI_PROFILE_LOCALHOST)
                        return cric_error_set(
                                err, CRIC_E_INVALID,
                                "%s: AppArmor profile \"%s\" given but AppArmor is not enabled on this host", c->what,
                                name);
                return 0;
        }
        if (p.type == OCI_PROFILE_LOCALHOST)
                spec_set_str(c->process, "apparmorProfile", name);
        else if (p.type == OCI_PROFILE_RUNTIME_DEFAULT && !c->sec->is_privileged)
                spec_set_str(c->process, "apparmorProfile",
                             str_empty(c->node->apparmor_profile) ? OCI_APPARMOR_DEFAULT : c->node->apparmor_profile);
        return 0;
}

int spec_add_lsm(struct spec_ctx *c, struct cric_error **err) {
        if (selinux(c, err) < 0 || apparmor(c, err) < 0)
                return -1;
        return 0;
}
