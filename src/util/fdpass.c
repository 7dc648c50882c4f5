#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "util/fdpass.h"

union cmsg_room {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
};

int fdpass_send(int sock, int fd) {
        union cmsg_room u;
        memset(&u, 0, sizeof(u));
        char byte = 'F';
        struct iovec iov = {.iov_base = &byte, .iov_len = 1};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int fdpass_recv(int sock, int flags) {
        union cmsg_room u;
        char data[256]; /* runc and crun send the console socket's name along */
        struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
        if (recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC) < 0)
                return -1;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int))) {
                errno = EBADMSG;
                return -1;
        }
        int fd;
        memcpy(&fd, CMSG_DATA(c), sizeof(fd));
        return fd;
}
