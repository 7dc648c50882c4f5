/* The method table, the error-kind to gRPC status mapping, and the worker pool. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "cri.pb-c.h"
#include "server/pool.h"
#include "server/rpc.h"

static void test_table_has_all_41_methods(void **state) {
        (void) state;
        assert_int_equal(rpc_method_count(), 41);
        size_t runtime = 0, image = 0, streaming = 0;
        for (size_t i = 0; i < rpc_method_count(); i++) {
                const struct rpc_method *m = rpc_method_at(i);
                if (!strncmp(m->path, "/runtime.v1.RuntimeService/", 27))
                        runtime++;
                else if (!strncmp(m->path, "/runtime.v1.ImageService/", 25))
                        image++;
                streaming += m->server_streaming;
                for (size_t j = 0; j < i; j++)
                        assert_string_not_equal(m->path, rpc_method_at(j)->path);
        }
        assert_int_equal(runtime, 35);
        assert_int_equal(image, 6);
        assert_int_equal(streaming, 7);
        assert_null(rpc_method_at(41));
}

/* The request descriptor of each row must be "<Method>Request" (GetContainerEvents
 * takes GetEventsRequest, the one exception in the CRI). */
static void test_request_types_match_names(void **state) {
        (void) state;
        for (size_t i = 0; i < rpc_method_count(); i++) {
                const struct rpc_method *m = rpc_method_at(i);
                const char *name = strrchr(m->path, '/') + 1;
                char want[128];
                if (!strcmp(name, "GetContainerEvents"))
                        strcpy(want, "GetEventsRequest");
                else
                        snprintf(want, sizeof(want), "%sRequest", name);
                assert_string_equal(m->request->short_name, want);
                assert_string_equal(m->request->package_name, "runtime.v1");
        }
}

static void test_find(void **state) {
        (void) state;
        const struct rpc_method *v = rpc_method_find("/runtime.v1.RuntimeService/Version");
        assert_non_null(v);
        assert_ptr_equal(v->handler, rpc_version);
        assert_ptr_equal(v->request, &runtime__v1__version_request__descriptor);
        assert_non_null(rpc_method_find("/runtime.v1.ImageService/PullImage"));
        assert_null(rpc_method_find("/runtime.v1.RuntimeService/Nope"));
        assert_null(rpc_method_find("Version"));
        assert_null(rpc_method_find(""));
}

static void test_status_mapping(void **state) {
        (void) state;
        assert_int_equal(rpc_status_from_kind(CRIC_E_INVALID), GRPC_STATUS_INVALID_ARGUMENT);
        assert_int_equal(rpc_status_from_kind(CRIC_E_NOT_FOUND), GRPC_STATUS_NOT_FOUND);
        assert_int_equal(rpc_status_from_kind(CRIC_E_EXISTS), GRPC_STATUS_ALREADY_EXISTS);
        assert_int_equal(rpc_status_from_kind(CRIC_E_UNAVAILABLE), GRPC_STATUS_UNAVAILABLE);
        assert_int_equal(rpc_status_from_kind(CRIC_E_TIMEOUT), GRPC_STATUS_DEADLINE_EXCEEDED);
        assert_int_equal(rpc_status_from_kind(CRIC_E_UNIMPLEMENTED), GRPC_STATUS_UNIMPLEMENTED);
        assert_int_equal(rpc_status_from_kind(CRIC_E_PERMISSION), GRPC_STATUS_PERMISSION_DENIED);
        assert_int_equal(rpc_status_from_kind(CRIC_E_PRECONDITION), GRPC_STATUS_FAILED_PRECONDITION);
        assert_int_equal(rpc_status_from_kind(CRIC_E_RESOURCE), GRPC_STATUS_RESOURCE_EXHAUSTED);
        assert_int_equal(rpc_status_from_kind(CRIC_E_CANCELLED), GRPC_STATUS_CANCELLED);
        assert_int_equal(rpc_status_from_kind(CRIC_E_INTERNAL), GRPC_STATUS_INTERNAL);
        assert_int_equal(rpc_status_from_kind(CRIC_E_KIND_INVALID), GRPC_STATUS_INTERNAL);
}

struct barrier_job {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        int arrived, want, done;
};

/* Each job waits until `want` jobs run at the same time: passes only if the pool
 * really runs them in parallel. */
static void barrier_fn(void *arg) {
        struct barrier_job *b = arg;
        pthread_mutex_lock(&b->lock);
        b->arrived++;
        pthread_cond_broadcast(&b->cond);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 10;
        while (b->arrived < b->want)
                if (pthread_cond_timedwait(&b->cond, &b->lock, &until))
                        break;
        if (b->arrived >= b->want)
                b->done++;
        pthread_mutex_unlock(&b->lock);
}

static void test_pool_runs_jobs_in_parallel(void **state) {
        (void) state;
        struct barrier_job b = {.want = 16};
        pthread_mutex_init(&b.lock, NULL);
        pthread_cond_init(&b.cond, NULL);
        struct worker_pool *p = pool_new(32);
        for (int i = 0; i < 16; i++)
                pool_submit(p, barrier_fn, &b);
        p = pool_free(p); /* waits for all jobs */
        assert_null(p);
        assert_int_equal(b.done, 16);
        pthread_mutex_destroy(&b.lock);
        pthread_cond_destroy(&b.cond);
}

/* A job that takes a moment (not a wait), so that jobs queue up behind the 3 threads. */
static void count_fn(void *arg) {
        __atomic_fetch_add((int *) arg, 1, __ATOMIC_SEQ_CST);
        usleep(1000);
}

static void test_pool_respects_max_and_runs_everything(void **state) {
        (void) state;
        int n = 0;
        struct worker_pool *p = pool_new(3);
        for (int i = 0; i < 50; i++)
                pool_submit(p, count_fn, &n);
        assert_true(pool_threads(p) <= 3);
        pool_free(p);
        assert_int_equal(n, 50);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table_has_all_41_methods),
                cmocka_unit_test(test_request_types_match_names),
                cmocka_unit_test(test_find),
                cmocka_unit_test(test_status_mapping),
                cmocka_unit_test(test_pool_runs_jobs_in_parallel),
                cmocka_unit_test(test_pool_respects_max_and_runs_everything),
        };
        return cmocka_run_group_tests_name("server", tests, NULL, NULL);
}
