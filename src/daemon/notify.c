#include "daemon/notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/cleanup.h"

int notify_service_manager(const char *state) {
        const char *path = getenv("NOTIFY_SOCKET");
        if (!path || !*path)
                return 0;
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        size_t len = strlen(path);
        if (len >= sizeof(addr.sun_path) || (path[0] != '/' && path[0] != '@')) {
                errno = EINVAL;
                return -1;
        }
        memcpy(addr.sun_path, path, len);
        if (path[0] == '@') /* abstract namespace */
                addr.sun_path[0] = '\0';
        AUTOCLOSE int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        socklen_t alen = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len);
        if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *) &addr, alen) < 0)
                return -1;
        return 1;
}
