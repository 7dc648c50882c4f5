/* Recursive removal. */
#ifndef CRIC_UTIL_RM_H
#define CRIC_UTIL_RM_H

#include "util/error.h"

/* Removes path and everything under it without following symlinks and without
 * leaving its file system. A missing path is not an error. */
int rm_rf(const char *path, struct cric_error **err);
/* Removes name (and everything under it) inside dirfd. */
int rm_rf_at(int dirfd, const char *name, struct cric_error **err);

#endif
