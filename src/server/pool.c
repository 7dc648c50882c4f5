#include "server/pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "util/log.h"
#include "util/xalloc.h"

#define IDLE_FLOOR    2
#define IDLE_EXIT_SEC 30

struct job {
        void (*fn)(void *);
        void *arg;
        struct job *next;
};

struct worker_pool {
        pthread_mutex_t lock;
        pthread_cond_t work;    /* a job was queued, or the pool is closing */
        pthread_cond_t drained; /* a worker exited */
        struct job *head, *tail;
        unsigned threads, idle, max, queued;
        bool closing;
};

static struct job *take_job(struct worker_pool *p) {
        struct job *j = p->head;
        if (j) {
                p->head = j->next;
                if (!p->head)
                        p->tail = NULL;
                p->queued--;
        }
        return j;
}

/* Waits for a job; returns NULL when this worker should exit. Called with the lock. */
static struct job *wait_job(struct worker_pool *p) {
        for (;;) {
                struct job *j = take_job(p);
                if (j)
                        return j;
                if (p->closing)
                        return NULL;
                struct timespec until;
                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_sec += IDLE_EXIT_SEC;
                p->idle++;
                int r = pthread_cond_timedwait(&p->work, &p->lock, &until);
                p->idle--;
                if (r == ETIMEDOUT && !p->head && p->threads > IDLE_FLOOR)
                        return NULL;
        }
}

static void *worker_main(void *arg) {
        struct worker_pool *p = arg;
        pthread_mutex_lock(&p->lock);
        for (;;) {
                struct job *j = wait_job(p);
                if (!j)
                        break;
                pthread_mutex_unlock(&p->lock);
                j->fn(j->arg);
                free(j);
                pthread_mutex_lock(&p->lock);
        }
        p->threads--;
        pthread_cond_broadcast(&p->drained);
        pthread_mutex_unlock(&p->lock);
        return NULL;
}

struct worker_pool *pool_new(unsigned max_workers) {
        struct worker_pool *p = xzalloc(sizeof(*p));
        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->work, NULL);
        pthread_cond_init(&p->drained, NULL);
        p->max = max_workers ? max_workers : 1;
        return p;
}

/* Starts a detached worker. Called with the lock held. */
static void spawn_worker(struct worker_pool *p) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_t t;
        int r = pthread_create(&t, &attr, worker_main, p);
        pthread_attr_destroy(&attr);
        if (r == 0)
                p->threads++;
        else if (p->threads == 0)
                log_error("worker pool: cannot start a thread (errno %d) and none is running", r);
}

void pool_submit(struct worker_pool *p, void (*fn)(void *), void *arg) {
        struct job *j = xzalloc(sizeof(*j));
        j->fn = fn;
        j->arg = arg;
        pthread_mutex_lock(&p->lock);
        if (p->tail)
                p->tail->next = j;
        else
                p->head = j;
        p->tail = j;
        p->queued++;
        /* Jobs not yet picked up count against the idle workers. */
        if (p->queued > p->idle && p->threads < p->max)
                spawn_worker(p);
        pthread_cond_signal(&p->work);
        pthread_mutex_unlock(&p->lock);
}

unsigned pool_threads(struct worker_pool *p) {
        pthread_mutex_lock(&p->lock);
        unsigned n = p->threads;
        pthread_mutex_unlock(&p->lock);
        return n;
}

struct worker_pool *pool_free(struct worker_pool *p) {
        if (!p)
                return NULL;
        pthread_mutex_lock(&p->lock);
        p->closing = true;
        pthread_cond_broadcast(&p->work);
        while (p->threads > 0)
                pthread_cond_wait(&p->drained, &p->lock);
        pthread_mutex_unlock(&p->lock);
        /* Workers run queued jobs before exiting, so the queue is empty here. */
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->work);
        pthread_cond_destroy(&p->drained);
        free(p);
        return NULL;
}
