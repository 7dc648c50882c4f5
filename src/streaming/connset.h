/* The connections a server is serving, each on a detached thread of its own, shared by
 * the streaming server and the metrics endpoint: a bound on how many run at once (the
 * next is answered 503 and closed), and a stop that ends them all and waits. */
#ifndef CRIC_STREAMING_CONNSET_H
#define CRIC_STREAMING_CONNSET_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct connset {
        const char *what; /* names the server in logs */
        size_t max;
        pthread_mutex_t lock;
        pthread_cond_t idle; /* signalled when the last connection ends */
        int *fds;
        size_t n;
        bool is_stopping;
};

void connset_init(struct connset *s, const char *what, size_t max);
/* Takes fd: runs fn(arg) on a new detached thread, which must call connset_done(fd)
 * before it closes fd. Stopping, full, or no thread: fd is answered 503 and closed and
 * false is returned (arg is then still the caller's). */
bool connset_start(struct connset *s, int fd, void *(*fn)(void *), void *arg);
/* A connection's thread is done with fd (it closes fd afterwards: forgetting first
 * means stop never shuts down a number reused meanwhile). */
void connset_done(struct connset *s, int fd);
/* Refuses new connections, shuts down every fd (its thread sees the client gone) and
 * waits until all threads called connset_done. */
void connset_stop(struct connset *s);
void connset_destroy(struct connset *s);

#endif
