/* One layer: registry blob -> pipe -> unpack thread. curl pushes bytes into the pipe
 * while the unpacker pulls them out, so the blob is never held whole anywhere and
 * the pipe's capacity is the only buffer (back-pressure slows the download when the
 * disk is slower). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/internal.h"
#include "metrics/metrics.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

struct unpack_thread {
        int fd;
        struct layer_job *job;
        enum whiteout_mode whiteouts;
        int r;
};

static ssize_t pipe_read(void *ctx, void *buf, size_t len, struct cric_error **err) {
        int fd = *(int *) ctx;
        for (;;) {
                ssize_t n = read(fd, buf, len);
                if (n >= 0)
                        return n;
                if (errno != EINTR)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "read layer pipe");
        }
}

static void *unpack_main(void *arg) {
        struct unpack_thread *t = arg;
        struct unpack_source src = {.read = pipe_read, .ctx = &t->fd};
        struct unpack_opts opts = {
                .expected_digest = t->job->desc->digest,
                .expected_diff_id = t->job->expected_diff_id,
                .expected_size = t->job->desc->size,
                .whiteouts = t->whiteouts,
        };
        t->r = layer_unpack(t->job->tmp->diff_fd, &src, &opts, &t->job->result, &t->job->err);
        /* Closing the read end makes the downloader's next write fail, which stops it
         * early when unpacking failed. */
        close(t->fd);
        t->fd = -1;
        return NULL;
}

static int pipe_sink(void *ctx, const void *data, size_t len, struct cric_error **err) {
        if (fs_write_all(*(int *) ctx, data, len) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "write layer pipe");
        return 0;
}

int layer_fetch_unpack(struct image_service *svc, struct registry_client *client, const char *repo,
                       struct layer_job *job, struct cric_error **err) {
        int r = job->parent_tmp ? layer_tmp_new_from(svc->ls, job->parent_tmp, &job->tmp, err)
                                : layer_tmp_new(svc->ls, job->parent_chain_id, &job->tmp, err);
        if (r < 0)
                return -1;
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "pipe");
        AUTOCLOSE int rd = p[0], wr = p[1];
        fcntl(wr, F_SETPIPE_SZ, 1 << 20);
        struct unpack_thread t = {.fd = rd, .job = job, .whiteouts = layer_store_whiteout_mode(svc->ls)};
        pthread_t th;
        r = pthread_create(&th, NULL, unpack_main, &t);
        if (r != 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, r, "start unpack thread");
        rd = -1; /* the unpack thread's now: it closes it when done */
        CLEANUP(cric_error_freep) struct cric_error *fetch_err = NULL;
        int fr = registry_fetch_blob(client, repo, job->desc->digest, pipe_sink, &wr, &fetch_err);
        close(STEAL_FD(wr)); /* end of stream for the unpacker */
        pthread_join(th, NULL);
        /* A download that failed on its own explains the failure; one that failed
         * because the unpacker stopped reading (broken pipe) does not. */
        bool fetch_own_failure = fr < 0 && (!fetch_err || fetch_err->errno_value != EPIPE);
        if (t.r < 0 && !fetch_own_failure) {
                cric_error_move(err, &job->err);
                return cric_error_prefix(err, "layer %s", job->desc->digest);
        }
        job->err = cric_error_free(job->err);
        if (fr < 0) {
                cric_error_move(err, &fetch_err);
                return cric_error_prefix(err, "layer %s", job->desc->digest);
        }
        /* The tar matched its diff id: record the tree it made, for `cricd check`. */
        if (layer_tmp_record_sums(job->tmp, job->result.diff_id, err) < 0)
                return cric_error_prefix(err, "layer %s", job->desc->digest);
        if (!job->defer_sync)
                layer_tmp_sync(job->tmp);
        metrics_image_pull_bytes((uint64_t) job->result.compressed_size);
        __atomic_add_fetch(&svc->pulled_bytes, (uint64_t) job->result.compressed_size, __ATOMIC_RELAXED);
        log_debug("pulled layer %s: %lld bytes, %lld unpacked, %lld entries", job->desc->digest,
                  (long long) job->result.compressed_size, (long long) job->result.uncompressed_size,
                  (long long) job->result.files);
        return 0;
}

struct jobs_ctx {
        struct image_service *svc;
        struct registry_client *client;
        const char *repo;
        struct layer_job *jobs;
        size_t n;
        size_t next; /* atomic */
        bool failed; /* atomic: stop starting new layers */
};

static void *jobs_worker(void *arg) {
        struct jobs_ctx *c = arg;
        for (;;) {
                size_t i = __atomic_fetch_add(&c->next, 1, __ATOMIC_SEQ_CST);
                if (i >= c->n || __atomic_load_n(&c->failed, __ATOMIC_SEQ_CST))
                        break;
                struct layer_job *job = &c->jobs[i];
                struct cric_error *e = NULL;
                if (layer_fetch_unpack(c->svc, c->client, c->repo, job, &e) < 0) {
                        job->err = e;
                        __atomic_store_n(&c->failed, true, __ATOMIC_SEQ_CST);
                }
        }
        return NULL;
}

int layer_jobs_run(struct image_service *svc, struct registry_client *client, const char *repo, struct layer_job *jobs,
                   size_t n, struct cric_error **err) {
        struct jobs_ctx c = {.svc = svc, .client = client, .repo = repo, .jobs = jobs, .n = n};
        size_t nthreads = svc->max_parallel_layers < n ? svc->max_parallel_layers : n;
        pthread_t *th = xcalloc(nthreads ? nthreads : 1, sizeof(*th));
        size_t started = 0;
        for (; started < nthreads; started++)
                if (pthread_create(&th[started], NULL, jobs_worker, &c) != 0)
                        break;
        if (started == 0 && n > 0)
                jobs_worker(&c); /* no thread could start: do it here */
        for (size_t i = 0; i < started; i++)
                pthread_join(th[i], NULL);
        free(th);
        for (size_t i = 0; i < n; i++) {
                if (jobs[i].err) {
                        cric_error_move(err, &jobs[i].err);
                        for (size_t j = i; j < n; j++)
                                jobs[j].err = cric_error_free(jobs[j].err);
                        return -1;
                }
        }
        return 0;
}
