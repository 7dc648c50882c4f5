/* The attach socket: SOCK_SEQPACKET, one packet per chunk of output, each starting with
 * its stream id, so stdout and stderr stay apart without a framing parser. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor/internal.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#define ATTACH_CLIENTS_MAX 64
/* How long one slow client may hold up the container's output before it is dropped. */
#define ATTACH_SEND_TIMEOUT_MS 5000

static void proc_fd_path(char *buf, size_t size, int dirfd, const char *name) {
        /* /proc/self/fd/N/NAME reaches the directory however long its path is. */
        snprintf(buf, size, "/proc/self/fd/%d/%s", dirfd, name);
}

int attach_listen(struct attach_server *s, int dirfd, struct cric_error **err) {
        *s = (struct attach_server){.listen_fd = -1};
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        proc_fd_path(sa.sun_path, sizeof(sa.sun_path), dirfd, MONITOR_ATTACH_NAME);
        AUTOCLOSE int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "attach socket");
        unlinkat(dirfd, MONITOR_ATTACH_NAME, 0);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 16) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "bind attach socket");
        s->listen_fd = STEAL_FD(fd);
        return 0;
}

void attach_accept(struct attach_server *s) {
        for (;;) {
                int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (fd < 0) {
                        if (errno == EINTR || errno == ECONNABORTED)
                                continue;
                        if (errno != EAGAIN)
                                log_warn("accept attach client: %s", strerror(errno));
                        return;
                }
                if (s->n_clients >= ATTACH_CLIENTS_MAX) {
                        log_warn("too many attach clients, refusing one");
                        close(fd);
                        continue;
                }
                s->clients = xgrow(s->clients, &s->cap_clients, s->n_clients + 1, sizeof(*s->clients));
                s->clients[s->n_clients++] = (struct attach_client){.fd = fd, .is_reading = true};
                log_debug("attach client connected (%zu now)", s->n_clients);
        }
}

/* Closes a client; the slot stays (fd -1) until attach_compact so indices hold. */
static void drop_client(struct attach_server *s, struct attach_client *c) {
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
        if (c->is_reading)
                s->n_detached++;
        c->is_reading = false;
}

void attach_compact(struct attach_server *s) {
        size_t j = 0;
        for (size_t i = 0; i < s->n_clients; i++)
                if (s->clients[i].fd >= 0)
                        s->clients[j++] = s->clients[i];
        s->n_clients = j;
}

static bool send_packet(int fd, const char *frame, size_t len) {
        for (;;) {
                if (send(fd, frame, len, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
                        return true;
                if (errno == EINTR)
                        continue;
                if (errno != EAGAIN)
                        return false;
                struct pollfd p = {.fd = fd, .events = POLLOUT};
                int r = poll(&p, 1, ATTACH_SEND_TIMEOUT_MS);
                if (r == 0) {
                        log_warn("attach client stopped reading for %d ms, dropping it", ATTACH_SEND_TIMEOUT_MS);
                        return false;
                }
                if (r < 0 && errno != EINTR)
                        return false;
        }
}

void attach_broadcast(struct attach_server *s, int stream, const char *data, size_t len) {
        char frame[1 + MONITOR_ATTACH_PACKET_MAX];
        while (len > 0 && s->n_clients > 0) {
                size_t n = len > MONITOR_ATTACH_PACKET_MAX ? MONITOR_ATTACH_PACKET_MAX : len;
                frame[0] = (char) stream;
                memcpy(frame + 1, data, n);
                for (size_t i = 0; i < s->n_clients; i++) {
                        struct attach_client *c = &s->clients[i];
                        if (c->fd >= 0 && !send_packet(c->fd, frame, n + 1))
                                drop_client(s, c);
                }
                data += n;
                len -= n;
        }
}

ssize_t attach_client_read(struct attach_server *s, size_t i, char *buf, size_t size) {
        struct attach_client *c = &s->clients[i];
        for (;;) {
                ssize_t n = recv(c->fd, buf, size, MSG_DONTWAIT);
                if (n > 0)
                        return n;
                if (n == 0) {
                        c->is_reading = false;
                        s->n_detached++;
                        return 0;
                }
                if (errno == EINTR)
                        continue;
                if (errno == EAGAIN)
                        return -2;
                drop_client(s, c);
                return -1;
        }
}

void attach_hangup(struct attach_server *s, size_t i) {
        drop_client(s, &s->clients[i]);
}

void attach_close(struct attach_server *s, int dirfd) {
        for (size_t i = 0; i < s->n_clients; i++)
                drop_client(s, &s->clients[i]);
        free(s->clients);
        s->clients = NULL;
        s->n_clients = s->cap_clients = 0;
        if (s->listen_fd >= 0) {
                close(s->listen_fd);
                if (dirfd >= 0)
                        unlinkat(dirfd, MONITOR_ATTACH_NAME, 0);
        }
        s->listen_fd = -1;
}
