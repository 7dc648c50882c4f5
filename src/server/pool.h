/* A worker pool that grows on demand: a job starts at once on an idle worker, or on
 * a new thread while fewer than max exist; only past max do jobs wait in a queue.
 * Idle workers above a small floor exit after a while. */
#ifndef CRIC_SERVER_POOL_H
#define CRIC_SERVER_POOL_H

struct worker_pool;

struct worker_pool *pool_new(unsigned max_workers);
/* Queues fn(arg). Thread-safe. */
void pool_submit(struct worker_pool *pool, void (*fn)(void *), void *arg);
/* Waits for queued and running jobs to finish, then frees the pool. Accepts NULL. */
struct worker_pool *pool_free(struct worker_pool *pool);
/* Number of worker threads alive now (for tests and metrics). */
unsigned pool_threads(struct worker_pool *pool);

#endif
