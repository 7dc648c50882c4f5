/* Output captured from a pipe up to a cap: what ExecSync returns (the kubelet's limit
 * on a probe's output). The rest is read and dropped, so the writer never blocks. */
#ifndef CRIC_UTIL_CAPTURE_H
#define CRIC_UTIL_CAPTURE_H

#include <stddef.h>

struct capture {
        char *buf; /* NUL-terminated when not NULL */
        size_t len, cap, max;
};

/* Reads what the non-blocking *fd holds now into c, keeping the first c->max bytes;
 * at end of file (or an error) closes *fd and sets it to -1. */
void capture_drain(int *fd, struct capture *c);

#endif
