/* The janitor: a thread that tears down removed containers (the OCI runtime's delete,
 * the rootfs unmount, the writable layer and the container's directories) after
 * RemoveContainer has answered. The call only drops the row and the index entry; what
 * the janitor has not done yet when the daemon dies is found at the next start as a
 * container directory without a row (restore.c) and torn down then.
 *
 * A pod's removal waits for the teardowns of its containers (janitor_wait_pod), and
 * the daemon's shutdown for all of them. */
#include <stdlib.h>
#include <string.h>

#include "runtime/internal.h"
#include "util/log.h"
#include "util/xalloc.h"

struct janitor_job {
        struct janitor_job *next;
        char *id, *pod_id, *runtime_path, *runtime_root;
};

struct janitor {
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t wake; /* a job was added, or stop */
        pthread_cond_t done; /* a job ended */
        struct janitor_job *head, **tail;
        struct janitor_job *running; /* taken off the queue, being torn down */
        bool is_stopping;
};

static void job_free(struct janitor_job *j) {
        free(j->id);
        free(j->pod_id);
        free(j->runtime_path);
        free(j->runtime_root);
        free(j);
}

static void *janitor_main(void *arg) {
        struct runtime *rt = arg;
        struct janitor *jn = rt->janitor;
        pthread_mutex_lock(&jn->lock);
        for (;;) {
                while (!jn->head && !jn->is_stopping)
                        pthread_cond_wait(&jn->wake, &jn->lock);
                struct janitor_job *j = jn->head;
                if (!j)
                        break; /* stopping, and nothing is left */
                jn->head = j->next;
                if (!jn->head)
                        jn->tail = &jn->head;
                jn->running = j;
                pthread_mutex_unlock(&jn->lock);
                ctr_teardown(rt, j->id, j->runtime_path, j->runtime_root);
                log_debug("container %s torn down", j->id);
                pthread_mutex_lock(&jn->lock);
                jn->running = NULL;
                job_free(j);
                pthread_cond_broadcast(&jn->done);
        }
        pthread_mutex_unlock(&jn->lock);
        return NULL;
}

int janitor_start(struct runtime *rt, struct cric_error **err) {
        struct janitor *jn = xcalloc(1, sizeof(*jn));
        pthread_mutex_init(&jn->lock, NULL);
        pthread_cond_init(&jn->wake, NULL);
        pthread_cond_init(&jn->done, NULL);
        jn->tail = &jn->head;
        rt->janitor = jn;
        int r = pthread_create(&jn->thread, NULL, janitor_main, rt);
        if (r != 0) {
                rt->janitor = NULL;
                pthread_cond_destroy(&jn->done);
                pthread_cond_destroy(&jn->wake);
                pthread_mutex_destroy(&jn->lock);
                free(jn);
                return cric_error_errno(err, CRIC_E_INTERNAL, r, "start the janitor thread");
        }
        return 0;
}

void janitor_add(struct runtime *rt, const struct container *c) {
        struct janitor *jn = rt->janitor;
        if (!jn) { /* never started (a runtime that failed half-way): now */
                ctr_teardown(rt, c->info.id, c->info.runtime_path, c->info.runtime_root);
                return;
        }
        struct janitor_job *j = xcalloc(1, sizeof(*j));
        j->id = xstrdup(c->info.id);
        j->pod_id = xstrdup(c->info.pod_id);
        j->runtime_path = xstrdup(c->info.runtime_path ? c->info.runtime_path : "");
        j->runtime_root = xstrdup(c->info.runtime_root ? c->info.runtime_root : "");
        pthread_mutex_lock(&jn->lock);
        *jn->tail = j;
        jn->tail = &j->next;
        pthread_cond_signal(&jn->wake);
        pthread_mutex_unlock(&jn->lock);
}

/* Whether a job of pod_id (any pod: NULL) is queued or running (jn->lock held). */
static bool has_pending(const struct janitor *jn, const char *pod_id) {
        if (jn->running && (!pod_id || !strcmp(jn->running->pod_id, pod_id)))
                return true;
        for (const struct janitor_job *j = jn->head; j; j = j->next)
                if (!pod_id || !strcmp(j->pod_id, pod_id))
                        return true;
        return false;
}

void janitor_wait_pod(struct runtime *rt, const char *pod_id) {
        struct janitor *jn = rt->janitor;
        if (!jn)
                return;
        pthread_mutex_lock(&jn->lock);
        while (has_pending(jn, pod_id))
                pthread_cond_wait(&jn->done, &jn->lock);
        pthread_mutex_unlock(&jn->lock);
}

void janitor_stop(struct runtime *rt) {
        struct janitor *jn = rt->janitor;
        if (!jn)
                return;
        pthread_mutex_lock(&jn->lock);
        jn->is_stopping = true;
        pthread_cond_signal(&jn->wake);
        pthread_mutex_unlock(&jn->lock);
        pthread_join(jn->thread, NULL); /* it ends once the queue is empty */
        pthread_cond_destroy(&jn->done);
        pthread_cond_destroy(&jn->wake);
        pthread_mutex_destroy(&jn->lock);
        free(jn);
        rt->janitor = NULL;
}

void runtime_settle(struct runtime *rt) {
        janitor_wait_pod(rt, NULL);
}
