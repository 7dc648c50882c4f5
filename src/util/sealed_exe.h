/* One sealed in-memory copy of an executable, run instead of the file.
 *
 * crun and runc guard against CVE-2019-5736 (a container overwriting the runtime's
 * binary through /proc/<pid>/exe) by copying themselves into a write-sealed memfd and
 * running that copy, on every call; they skip the copy when the binary they run from is
 * such a memfd already (runc ships memfd-bind for the same purpose). Running one kept
 * copy saves that work on every create, start, exec, kill and delete (about 1 ms for
 * crun, more for runc). The copy follows the file: it is made again when the file's
 * device, inode, size or modification time change (a package upgrade). */
#ifndef CRIC_UTIL_SEALED_EXE_H
#define CRIC_UTIL_SEALED_EXE_H

#include <stddef.h>

#include "util/error.h"

/* A new close-on-exec descriptor of the sealed copy of path (an absolute path), made on
 * first use; the caller closes it. An ELF binary runs from it through
 * sealed_exe_path(fd) (the kernel opens that path before close-on-exec applies).
 * Errors: CRIC_E_INVALID (a relative path), CRIC_E_NOT_FOUND (no such file),
 * CRIC_E_UNAVAILABLE (memfd or sealing unsupported), CRIC_E_INTERNAL. Thread-safe. */
int sealed_exe_fd(const char *path, struct cric_error **err);

/* sealed_exe_fd, or -1 when there is no copy (logged at debug): the caller runs the
 * file itself then. */
int sealed_exe_try(const char *path);

/* "/proc/self/fd/<fd>" into buf (at least 32 bytes); returns buf. */
char *sealed_exe_path(int fd, char *buf, size_t size);

/* Drops every copy (tests, shutdown). */
void sealed_exe_reset(void);

#endif
