#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "util/capture.h"
#include "util/xalloc.h"

void capture_drain(int *fd, struct capture *c) {
        char buf[64 * 1024];
        while (*fd >= 0) {
                ssize_t n = read(*fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n <= 0) {
                        close(*fd);
                        *fd = -1;
                        return;
                }
                size_t take = (size_t) n;
                if (take > c->max - c->len)
                        take = c->max - c->len;
                if (take == 0)
                        continue;
                c->buf = xgrow(c->buf, &c->cap, c->len + take + 1, 1);
                memcpy(c->buf + c->len, buf, take);
                c->len += take;
                c->buf[c->len] = '\0';
        }
}
