/* Giving back what an idle daemon keeps mapped but does not use: the free memory glibc
 * holds (malloc_trim) and the pages of libraries and executables it touched once
 * (start-up, a pull, a TLS handshake). Those are clean pages of files: dropped from
 * the process's page tables they stay in the page cache, and the next use maps them
 * again with a minor fault. */
#ifndef CRIC_UTIL_MEMTRIM_H
#define CRIC_UTIL_MEMTRIM_H

#include <stddef.h>

/* Unmaps (MADV_DONTNEED) the resident pages of every mapping of the process that is
 * backed by a file, not writable and holds no private copy of a page (Anonymous: 0 in
 * smaps, so nothing of its content can be lost: a relocated read-only part of a
 * library holds private copies and is left alone); then malloc_trim(0). Returns the
 * kB of file pages unmapped, or -1 when /proc/self/smaps cannot be read. */
long memtrim_idle(void);

#endif
