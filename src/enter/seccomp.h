/* A container's seccomp profile (config.json linux.seccomp) compiled to classic BPF
 * with libseccomp, as crun builds it, for a forked child to load with a raw
 * seccomp(SECCOMP_SET_MODE_FILTER, flags, &(struct sock_fprog){len, insns}). */
#ifndef CRIC_ENTER_SECCOMP_H
#define CRIC_ENTER_SECCOMP_H

#include <json-c/json.h>
#include <linux/filter.h>

#include "util/error.h"

/* A compiled seccomp filter. len 0: no filter. */
struct enter_filter {
        struct sock_filter *insns;
        unsigned short len;
        /* SECCOMP_FILTER_FLAG_* to pass to seccomp(2): the profile's "flags" (TSYNC,
         * LOG, SPEC_ALLOW, WAIT_KILLABLE_RECV), or SPEC_ALLOW when it has none, as crun.
         * Like crun, retry with 0 when seccomp(2) fails with EINVAL. */
        unsigned int flags;
};

/* Compiles linux.seccomp (the object from config.json; NULL: no filter, ret->len 0).
 * Fails with CRIC_E_UNIMPLEMENTED, naming what, when the profile needs what only the OCI
 * runtime can do (SCMP_ACT_NOTIFY, listenerPath): the caller then uses the runtime. Other
 * bad input: CRIC_E_INVALID naming the field. *ret is written only on success and then
 * owned by the caller (enter_filter_clear). No_new_privs is left to the caller.
 * Threads may compile at once (libseccomp's first calls cache kernel probes in its
 * globals, all writing the same values). */
int enter_filter_compile(struct json_object *seccomp, struct enter_filter *ret, struct cric_error **err);
/* Frees the program and zeroes f; f may be empty already. */
void enter_filter_clear(struct enter_filter *f);

#endif
