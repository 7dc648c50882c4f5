/* What the files of src/enter/ share. */
#ifndef CRIC_ENTER_INTERNAL_H
#define CRIC_ENTER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "enter/enter.h"
#include "enter/seccomp.h"

#define ENTER_RLIMITS 16 /* RLIMIT_CPU (0) .. RLIMIT_RTTIME (15) */

enum enter_caps { CAPS_BOUNDING, CAPS_EFFECTIVE, CAPS_INHERITABLE, CAPS_PERMITTED, CAPS_AMBIENT, CAPS_SETS };

struct enter_plan {
        char **env;  /* process.env */
        char **path; /* the directories of PATH in env, searched for a bare command */
        char *cwd;
        uid_t uid;
        gid_t gid;
        gid_t *groups;
        size_t n_groups;
        bool has_umask;
        mode_t umask;
        uint64_t caps[CAPS_SETS];
        int cap_last; /* the kernel's highest capability */
        bool no_new_privs;
        bool has_rlimit[ENTER_RLIMITS];
        struct rlimit rlimit[ENTER_RLIMITS];
        bool has_oom_score_adj;
        int oom_score_adj;
        char *apparmor; /* "exec <profile>" for attr/apparmor/exec, or NULL */
        char *selinux;  /* the label for attr/exec, or NULL */
        struct enter_filter filter;
};

/* home.c: the home field of uid's line in passwd text (NULL: none), and HOME added to
 * p's env when it has none, from rootfs/etc/passwd (rootfs NULL: "/"). */
char *enter_home_of(const char *passwd, uid_t uid);
void enter_plan_add_home(struct enter_plan *p, const char *rootfs);

/* RLIMIT_<name> → its number, -1 when unknown (plan.c). */
int enter_rlimit_parse(const char *name);
/* enter_kernel_check's answer from what each probe failed with (0: it worked). */
int enter_kernel_verdict(int pidfd_errno, int setns_errno, int close_range_errno, struct cric_error **err);

#endif
