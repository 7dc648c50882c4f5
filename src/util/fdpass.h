/* Passing one descriptor over a unix socket (SCM_RIGHTS), with a byte of data: a pinned
 * namespace's netlink socket, a terminal's master from a runtime's console socket or
 * from a process started in a container. */
#ifndef CRIC_UTIL_FDPASS_H
#define CRIC_UTIL_FDPASS_H

/* Sends fd; 0, or -1 with errno. Only system calls: safe in a child after fork or
 * clone. */
int fdpass_send(int sock, int fd);

/* Receives a descriptor (close-on-exec); flags for recvmsg (e.g. MSG_DONTWAIT). The
 * fd, or -1 with errno (EBADMSG: a message without one). */
int fdpass_recv(int sock, int flags);

#endif
