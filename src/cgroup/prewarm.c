#include "cgroup/prewarm.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/forkrun.h"
#include "util/log.h"
#include "util/xalloc.h"

struct cgroup_prewarm {
        char *procs; /* <hierarchy root>/cgroup.procs */
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool is_pending;
        bool is_stopping;
        unsigned long moves;
};

/* The vforkrun child: "0" is the writer itself. Raw system calls only. */
static int move_self(void *arg) {
        struct cgroup_prewarm *p = arg;
        int fd = open(p->procs, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "0", 1) != 1)
                _exit(1);
        _exit(0);
}

/* A child sharing our memory (vforkrun): a fork would copy the daemon's page tables and
 * stall its other threads meanwhile (about 0.5 ms). */
static void move_once(struct cgroup_prewarm *p) {
        pid_t pid = vforkrun(move_self, p);
        if (pid < 0) {
                log_debug("cgroup prewarm: start the mover: %s", strerror(errno));
                return;
        }
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                log_debug("cgroup prewarm: the move into %s failed", p->procs);
}

static void *run(void *arg) {
        struct cgroup_prewarm *p = arg;
        pthread_mutex_lock(&p->lock);
        for (;;) {
                while (!p->is_pending && !p->is_stopping)
                        pthread_cond_wait(&p->cond, &p->lock);
                if (p->is_stopping)
                        break;
                p->is_pending = false;
                pthread_mutex_unlock(&p->lock);
                move_once(p);
                pthread_mutex_lock(&p->lock);
                p->moves++;
                pthread_cond_broadcast(&p->cond);
        }
        pthread_mutex_unlock(&p->lock);
        return NULL;
}

struct cgroup_prewarm *cgroup_prewarm_new(const struct cgroup_mounts *m) {
        static const char *const controllers[] = {"pids", "memory", "cpu", ""};
        const char *root = NULL;
        for (size_t i = 0; m && !root && i < sizeof(controllers) / sizeof(controllers[0]); i++)
                root = cgroup_mounts_find(m, controllers[i]);
        if (!root)
                return NULL;
        struct cgroup_prewarm *p = xzalloc(sizeof(*p));
        p->procs = xasprintf("%s/cgroup.procs", root);
        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->cond, NULL);
        /* A small stack: the thread only starts a child and waits. */
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 64 * 1024);
        int r = pthread_create(&p->thread, &attr, run, p);
        pthread_attr_destroy(&attr);
        if (r != 0) {
                log_warn("cgroup prewarm: no thread: %s", strerror(r));
                pthread_cond_destroy(&p->cond);
                pthread_mutex_destroy(&p->lock);
                free(p->procs);
                free(p);
                return NULL;
        }
        log_debug("cgroup prewarm: moves into %s", p->procs);
        return p;
}

void cgroup_prewarm_kick(struct cgroup_prewarm *p) {
        if (!p)
                return;
        pthread_mutex_lock(&p->lock);
        p->is_pending = true;
        pthread_cond_signal(&p->cond);
        pthread_mutex_unlock(&p->lock);
}

unsigned long cgroup_prewarm_count(struct cgroup_prewarm *p) {
        if (!p)
                return 0;
        pthread_mutex_lock(&p->lock);
        unsigned long n = p->moves;
        pthread_mutex_unlock(&p->lock);
        return n;
}

void cgroup_prewarm_free(struct cgroup_prewarm *p) {
        if (!p)
                return;
        pthread_mutex_lock(&p->lock);
        p->is_stopping = true;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->thread, NULL);
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->lock);
        free(p->procs);
        free(p);
}
