/* The janitor: a thread that does the slow part of two calls after they answered.
 * - RemoveContainer drops the row and the index entry; the janitor tears the container
 *   down (the OCI runtime's delete, the rootfs unmount, the writable layer, the
 *   directories). What it has not done when the daemon dies is found at the next start
 *   as a container directory without a row (restore.c) and torn down then.
 * - StopPodSandbox marks the pod stopped; the janitor runs the CNI DEL and unpins the
 *   namespaces. After a crash the next start does both for every stopped pod. A DEL
 *   that fails here is logged, and RemovePodSandbox runs it again (and fails with it).
 *
 * A pod's removal waits for the jobs of the pod and its containers (janitor_wait_pod),
 * and the daemon's shutdown for all of them. */
#include <stdlib.h>
#include <string.h>

#include "runtime/internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

struct janitor_job {
        struct janitor_job *next;
        struct pod *pod; /* a pod's network, or NULL: a container */
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
        if (j->pod)
                pod_unref(j->pod);
        free(j->id);
        free(j->pod_id);
        free(j->runtime_path);
        free(j->runtime_root);
        free(j);
}

static void pod_network_job(struct runtime *rt, struct pod *p) {
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (pod_network_teardown(rt, p, &e) == 0)
                return;
        log_warn("pod %s: %s (RemovePodSandbox will try again)", p->info.id, e->msg);
        pthread_mutex_lock(&rt->lock);
        p->is_net_left = true;
        pthread_mutex_unlock(&rt->lock);
}

static void job_run(struct runtime *rt, struct janitor_job *j) {
        if (j->pod) {
                pod_network_job(rt, j->pod);
                return;
        }
        ctr_teardown(rt, j->id, j->runtime_path, j->runtime_root);
        log_debug("container %s torn down", j->id);
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
                job_run(rt, j);
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

static void enqueue(struct janitor *jn, struct janitor_job *j) {
        pthread_mutex_lock(&jn->lock);
        *jn->tail = j;
        jn->tail = &j->next;
        pthread_cond_signal(&jn->wake);
        pthread_mutex_unlock(&jn->lock);
}

/* rt->janitor is set: runtime_new starts it before any call can come. */
void janitor_add(struct runtime *rt, const struct container *c) {
        struct janitor_job *j = xcalloc(1, sizeof(*j));
        j->id = xstrdup(c->info.id);
        j->pod_id = xstrdup(c->info.pod_id);
        j->runtime_path = xstrdup(c->info.runtime_path ? c->info.runtime_path : "");
        j->runtime_root = xstrdup(c->info.runtime_root ? c->info.runtime_root : "");
        enqueue(rt->janitor, j);
}

void janitor_add_pod(struct runtime *rt, struct pod *p) {
        struct janitor_job *j = xcalloc(1, sizeof(*j));
        j->pod = pod_ref(p);
        j->id = xstrdup(p->info.id);
        j->pod_id = xstrdup(p->info.id);
        enqueue(rt->janitor, j);
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
