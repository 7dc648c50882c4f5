/* Fake cgroup trees for the cgroup unit tests: files in the kernel's formats under a
 * temp dir, and mountinfo files that mount them. */
#ifndef CRIC_TEST_CGROUP_FAKE_TREE_H
#define CRIC_TEST_CGROUP_FAKE_TREE_H

#include "cgroup/cgroup.h"
#include "util/error.h"

/* A new temp dir named after name with the roots of a v1 and a v2 tree below it
 * (<tmp>/v1, <tmp>/v2, not created yet); fake_dirs_free removes it all and returns 0,
 * or -1 when the removal failed. */
void fake_dirs_new(const char *name, char **ret_tmp, char **ret_v1_root, char **ret_v2_root);
int fake_dirs_free(char **tmp, char **v1_root, char **v2_root);
/* Writes root/rel with content, creating the directories above it; fails the test on
 * any error. */
void fake_put(const char *root, const char *rel, const char *content);
/* tmpl with every "@R" replaced by root (caller frees). */
char *fake_subst(const char *tmpl, const char *root);
/* Writes dir/name from the mountinfo template tmpl (@R for root) and loads the cgroup
 * mounts under root from it; fails the test on error. */
struct cgroup_mounts *fake_mounts_load(const char *dir, const char *name, const char *tmpl, const char *root);
/* Asserts that r and *err are a failure of kind whose message holds needle (NULL: any
 * message), then frees *err. */
void fake_expect_error(int r, struct cric_error **err, enum cric_error_kind kind, const char *needle);

#endif
