#include "streaming/connset.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/log.h"
#include "util/xalloc.h"

#define CONN_STACK_SIZE (256 * 1024)

void connset_init(struct connset *s, const char *what, size_t max) {
        *s = (struct connset){.what = what, .max = max};
        s->fds = xcalloc(max ? max : 1, sizeof(int));
        pthread_mutex_init(&s->lock, NULL);
        pthread_cond_init(&s->idle, NULL);
}

static void refuse(int fd) {
        static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        close(fd);
}

bool connset_start(struct connset *s, int fd, void *(*fn)(void *), void *arg) {
        pthread_mutex_lock(&s->lock);
        bool ok = !s->is_stopping && s->n < s->max;
        if (ok)
                s->fds[s->n++] = fd;
        pthread_mutex_unlock(&s->lock);
        if (!ok) {
                log_warn("%s: %zu connections already: one refused", s->what, s->max);
                refuse(fd);
                return false;
        }
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&at, CONN_STACK_SIZE);
        pthread_t t;
        int r = pthread_create(&t, &at, fn, arg);
        pthread_attr_destroy(&at);
        if (r != 0) {
                log_warn("%s: cannot start a thread: %s", s->what, strerror(r));
                connset_done(s, fd);
                refuse(fd);
                return false;
        }
        return true;
}

void connset_done(struct connset *s, int fd) {
        pthread_mutex_lock(&s->lock);
        for (size_t i = 0; i < s->n; i++)
                if (s->fds[i] == fd) {
                        s->fds[i] = s->fds[--s->n];
                        break;
                }
        if (s->n == 0)
                pthread_cond_broadcast(&s->idle);
        pthread_mutex_unlock(&s->lock);
}

void connset_stop(struct connset *s) {
        pthread_mutex_lock(&s->lock);
        s->is_stopping = true;
        for (size_t i = 0; i < s->n; i++)
                shutdown(s->fds[i], SHUT_RDWR);
        while (s->n > 0)
                pthread_cond_wait(&s->idle, &s->lock);
        pthread_mutex_unlock(&s->lock);
}

void connset_destroy(struct connset *s) {
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->idle);
        free(s->fds);
}
