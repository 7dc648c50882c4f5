/* The runtime against a fake OCI runtime and monitor (fake.h): what runs for each
 * operation, the states the calls report, failures at each step leaving nothing
 * behind, the stop sequence, exits recorded as they happen, and a restart that finds
 * everything again. Everything else is real: a SQLite store, a layer store with one
 * image, root file system mounts and pinned namespaces, so every case needs root. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/testlib.h"
#include "fake.h"
#include "image/image.h"
#include "runtime/runtime.h"
#include "storage/storage.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define LAYER    "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define IMAGE_ID "ab00000000000000000000000000000000000000000000000000000000000001"
#define IMAGE    "docker.io/library/fake:latest"
#define WAIT_MS  10000

struct fx {
        char *dir;
        struct cric_config *cfg;
        struct store *db;
        struct layer_store *ls;
        struct image_service *images;
        struct fake *fake;
        struct runtime *rt;
        struct cric_error *err;
};

/* ---- set-up: a store with one image whose only layer holds /etc/passwd ---- */

static void write_at(int dirfd, const char *name, const char *text) {
        AUTOCLOSE int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(fs_write_all(fd, text, strlen(text)), 0);
}

static void put_image(struct fx *f) {
        struct layer_tmp *tmp = NULL;
        assert_int_equal(layer_tmp_new(f->ls, NULL, &tmp, &f->err), 0);
        assert_int_equal(mkdirat(tmp->diff_fd, "etc", 0755), 0);
        write_at(tmp->diff_fd, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n");
        write_at(tmp->diff_fd, "etc/group", "root:x:0:\nnogroup:x:65534:\n");
        assert_int_equal(layer_tmp_commit(f->ls, tmp, LAYER, &f->err), 0);
        struct layer_row l = {.chain_id = LAYER, .diff_id = LAYER, .size = 1, .compressed_size = 1};
        assert_int_equal(store_layer_put(f->db, &l, &f->err), 0);
        char *tags[] = {IMAGE, NULL}, *layers[] = {LAYER, NULL};
        struct image_row img = {
                .id = IMAGE_ID,
                .config_json =
                        "{\"config\": {\"Cmd\": [\"sleep\"], \"Env\": [\"PATH=/bin\"], \"StopSignal\": \"SIGTERM\"},"
                        " \"rootfs\": {\"type\": \"layers\", \"diff_ids\": [\"" LAYER "\"]}}",
                .size = 1,
                .repo_tags = tags,
                .layers = layers,
        };
        assert_int_equal(store_image_put(f->db, &img, &f->err), 0);
}

static void configure(struct fx *f) {
        f->cfg = config_new_default();
        free(f->cfg->root);
        free(f->cfg->runroot);
        free(f->cfg->pause_command);
        f->cfg->root = xasprintf("%s/root", f->dir);
        f->cfg->runroot = xasprintf("%s/run", f->dir);
        f->cfg->pause_command = xstrdup("/bin/true"); /* copied into the infra rootfs, run by the fake */
        for (size_t i = 0; i < f->cfg->n_runtimes; i++) {
                free(f->cfg->runtimes[i].runtime_path);
                f->cfg->runtimes[i].runtime_path = xstrdup("/bin/true"); /* named, never run */
        }
}

static int runtime_start(struct fx *f) {
        struct runtime_opts o = {
                .config = f->cfg,
                .db = f->db,
                .layers = f->ls,
                .images = f->images,
                .monitor_path = "/bin/true",
                .backend = fake_backend(f->fake),
        };
        return runtime_new(&o, &f->rt, &f->err);
}

static int setup(void **state) {
        struct fx *f = xzalloc(sizeof(*f));
        *state = f;
        if (geteuid() != 0)
                return 0; /* every case skips */
        f->dir = testlib_tmpdir("runtime");
        configure(f);
        AUTOFREE char *db = xasprintf("%s/cric.db", f->dir);
        AUTOFREE char *storage = xasprintf("%s/storage", f->dir);
        assert_int_equal(store_open(db, &f->db, &f->err), 0);
        assert_int_equal(layer_store_open(storage, "overlay", NULL, &f->ls, &f->err), 0);
        put_image(f);
        struct image_service_opts io = {.registries_conf = "/nonexistent"};
        assert_int_equal(image_service_new(f->db, f->ls, &io, &f->images, &f->err), 0);
        f->fake = fake_new();
        if (runtime_start(f) < 0)
                fail_msg("runtime_new: %s", f->err->msg);
        return 0;
}

/* What is still mounted below dir (the pinned namespaces' private mount), deepest first. */
static void unmount_below(const char *dir) {
        AUTOFREE char *info = testlib_read_file("/proc/self/mountinfo");
        CLEANUP(strv_freep) char **lines = strv_split(info, "\n");
        CLEANUP(strv_freep) char **points = NULL;
        size_t len = strlen(dir);
        for (size_t i = 0; lines[i]; i++) {
                CLEANUP(strv_freep) char **fields = strv_split(lines[i], " ");
                if (strv_length(fields) > 4 && !strncmp(fields[4], dir, len) && fields[4][len] == '/')
                        strv_push(&points, fields[4]);
        }
        for (size_t i = strv_length(points); i-- > 0;)
                umount2(points[i], MNT_DETACH);
}

/* Removes every pod and container through the runtime (their mounts and processes go
 * with them), then everything else. */
static int teardown(void **state) {
        struct fx *f = *state;
        for (int v = 0; v < FAKE_VERB_MAX; v++)
                fake_hold(f->fake, v, false); /* a test that failed holding one */
        if (f->rt) {
                struct pod_view *pods = NULL;
                size_t n = 0;
                runtime_pod_list(f->rt, NULL, &pods, &n);
                for (size_t i = 0; i < n; i++)
                        runtime_pod_remove(f->rt, pods[i].info->id, NULL);
                pod_views_free(pods, n);
                struct container_view *ctrs = NULL;
                runtime_container_list(f->rt, NULL, &ctrs, &n);
                for (size_t i = 0; i < n; i++)
                        runtime_container_remove(f->rt, ctrs[i].info->id, NULL);
                container_views_free(ctrs, n);
        }
        f->rt = runtime_free(f->rt);
        fake_free(f->fake);
        f->images = image_service_free(f->images);
        f->ls = layer_store_free(f->ls);
        f->db = store_close(f->db);
        config_unref(f->cfg);
        cric_error_free(f->err);
        if (f->dir)
                unmount_below(f->dir);
        int r = f->dir ? testlib_rmtree(f->dir) : 0;
        free(f->dir);
        free(f);
        return r;
}

#define RT_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define NEED_ROOT() REQUIRE_ROOT("to mount root file systems and pin namespaces")

static void ok(struct fx *f, int r, const char *what) {
        if (r < 0)
                fail_msg("%s: %s", what, f->err ? f->err->msg : "(no error)");
        assert_null(f->err);
}

static void clear_err(struct fx *f) {
        f->err = cric_error_free(f->err);
}

/* ---- pods and containers as the kubelet makes them ---- */

static struct oci_kv pod_labels[] = {{"app", "web"}, {"tier", "front"}};

static struct pod_config pod_cfg(const char *name, enum oci_ns_mode net, enum oci_ns_mode pid) {
        return (struct pod_config){
                .name = name,
                .namespace = "default",
                .uid = name,
                .hostname = net == OCI_NS_NODE ? NULL : name,
                .labels = pod_labels,
                .n_labels = 2,
                .security = {.ns = {.network = net, .ipc = net, .pid = pid}},
        };
}

static char *run_pod(struct fx *f, const char *name, enum oci_ns_mode net, enum oci_ns_mode pid) {
        struct pod_config c = pod_cfg(name, net, pid);
        char *id = NULL;
        ok(f, runtime_pod_run(f->rt, &c, &id, &f->err), "runtime_pod_run");
        return id;
}

static char *host_pod(struct fx *f, const char *name) {
        return run_pod(f, name, OCI_NS_NODE, OCI_NS_CONTAINER);
}

static struct oci_kv ctr_labels[] = {{"io.kubernetes.container.name", "app"}};

/* A container config running args (see fake.h), its namespaces left at POD. */
static struct container_config ctr_cfg(const char *pod_id, const char *name, char **args, size_t n_args) {
        return (struct container_config){
                .pod_id = pod_id,
                .image = "fake",
                .labels = ctr_labels,
                .n_labels = 1,
                .oci = {.name = name, .command = args, .n_command = n_args},
        };
}

static char *create(struct fx *f, const char *pod_id, const char *name, char **args, size_t n_args) {
        struct container_config c = ctr_cfg(pod_id, name, args, n_args);
        char *id = NULL;
        ok(f, runtime_container_create(f->rt, &c, &id, &f->err), "runtime_container_create");
        return id;
}

static char *run(struct fx *f, const char *pod_id, const char *name, char **args, size_t n_args) {
        char *id = create(f, pod_id, name, args, n_args);
        ok(f, runtime_container_start(f->rt, id, &f->err), "runtime_container_start");
        return id;
}

static char *sleep_args[] = {"sleep"};

static enum container_state state_of(struct fx *f, const char *id) {
        struct container_view v;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (runtime_container_status(f->rt, id, &v, &e) < 0)
                fail_msg("status of %s: %s", id, e->msg);
        enum container_state s = v.state;
        container_view_clear(&v);
        return s;
}

static struct container_view status(struct fx *f, const char *id) {
        struct container_view v;
        ok(f, runtime_container_status(f->rt, id, &v, &f->err), "runtime_container_status");
        return v;
}

static size_t count_containers(struct fx *f, const struct container_filter *filter) {
        struct container_view *v = NULL;
        size_t n = 0;
        runtime_container_list(f->rt, filter, &v, &n);
        container_views_free(v, n);
        return n;
}

static size_t count_pods(struct fx *f) {
        struct pod_view *v = NULL;
        size_t n = 0;
        runtime_pod_list(f->rt, NULL, &v, &n);
        pod_views_free(v, n);
        return n;
}

/* Names in dir (none when it is missing). */
static size_t entries(struct fx *f, const char *sub) {
        AUTOFREE char *dir = xasprintf("%s/%s", f->dir, sub);
        CLEANUP(strv_freep) char **names = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        assert_int_equal(fs_list_dir(dir, NULL, false, &names, &e), 0);
        return strv_length(names);
}

/* Nothing of any container is left: no directory, mount, writable layer, exit file,
 * socket dir or row. */
static void assert_no_containers(struct fx *f) {
        runtime_settle(f->rt);
        assert_int_equal(count_containers(f, NULL), 0);
        assert_int_equal(entries(f, "run/containers"), 0);
        assert_int_equal(entries(f, "run/exits"), 0);
        assert_int_equal(entries(f, "run/sockets"), 0);
        assert_int_equal(entries(f, "storage/containers"), 0);
        struct container_row **rows = NULL;
        size_t n = 0;
        ok(f, store_container_list(f->db, NULL, &rows, &n, &f->err), "store_container_list");
        container_rows_free(rows, n);
        assert_int_equal(n, 0);
}

/* ---- containers ---- */

static void test_create_start_stop_remove(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        AUTOFREE char *pod = host_pod(f, "life");
        AUTOFREE char *id = create(f, pod, "app", sleep_args, 1);
        assert_int_equal(fake_count(f->fake, "create %s", id), 1);
        struct container_view v = status(f, id);
        assert_int_equal(v.state, CONTAINER_CREATED);
        assert_string_equal(v.info->name, "app");
        assert_string_equal(v.info->pod_id, pod);
        assert_string_equal(v.info->image, "fake");
        assert_string_equal(v.info->image_id, IMAGE_ID);
        assert_string_equal(v.info->image_ref, "sha256:" IMAGE_ID);
        assert_int_equal(v.info->stop_signal, SIGTERM);
        assert_true(v.info->pid > 0);
        assert_int_equal(v.info->pid, fake_pid(f->fake, id));
        assert_non_null(strstr(v.info->cgroup, id));
        container_view_clear(&v);

        ok(f, runtime_container_start(f->rt, id, &f->err), "start");
        assert_int_equal(fake_count(f->fake, "start %s", id), 1);
        v = status(f, id);
        assert_int_equal(v.state, CONTAINER_RUNNING);
        assert_true(v.started_ns >= v.info->created_ns);
        container_view_clear(&v);
        /* only once */
        assert_non_null(
                strstr(testlib_error_is(runtime_container_start(f->rt, id, &f->err), &f->err, CRIC_E_PRECONDITION),
                       "only start once"));
        clear_err(f);

        ok(f, runtime_container_stop(f->rt, id, 10, &f->err), "stop");
        assert_int_equal(fake_count(f->fake, "kill %s 15", id), 1);
        v = status(f, id);
        assert_int_equal(v.state, CONTAINER_EXITED);
        assert_int_equal(v.exit_code, 128 + SIGTERM);
        assert_string_equal(v.reason, "Error");
        assert_true(v.finished_ns >= v.started_ns);
        container_view_clear(&v);
        ok(f, runtime_container_stop(f->rt, id, 10, &f->err), "stop again");
        assert_int_equal(fake_count(f->fake, "kill %s 15", id), 1); /* nothing sent to an exited one */

        ok(f, runtime_container_remove(f->rt, id, &f->err), "remove");
        assert_no_containers(f);
        assert_int_equal(fake_count(f->fake, "delete %s", id), 1);
        assert_non_null(strstr(
                testlib_error_is(runtime_container_status(f->rt, id, &v, &f->err), &f->err, CRIC_E_NOT_FOUND), id));
        clear_err(f);
        ok(f, runtime_container_remove(f->rt, id, &f->err), "remove again"); /* idempotent */
}

struct pod_remove_call {
        struct fx *f;
        const char *pod;
        int r;
};

static void *pod_remove_thread(void *arg) {
        struct pod_remove_call *c = arg;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        c->r = runtime_pod_remove(c->f->rt, c->pod, &e);
        return NULL;
}

/* RemoveContainer answers once the row is gone; the OCI delete and the directories
 * follow (the janitor), and a pod's removal waits for them. */
static void test_remove_answers_before_the_teardown(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        AUTOFREE char *pod = host_pod(f, "later");
        AUTOFREE char *id = create(f, pod, "app", sleep_args, 1);
        ok(f, runtime_container_start(f->rt, id, &f->err), "start");
        ok(f, runtime_container_stop(f->rt, id, 0, &f->err), "stop");
        fake_hold(f->fake, FAKE_DELETE, true);
        ok(f, runtime_container_remove(f->rt, id, &f->err), "remove");
        struct container_view v = {0};
        testlib_error_is(runtime_container_status(f->rt, id, &v, &f->err), &f->err, CRIC_E_NOT_FOUND);
        clear_err(f);
        assert_int_equal(count_containers(f, NULL), 0);
        WAIT_UNTIL(fake_count(f->fake, "delete %s", id) == 1, WAIT_MS);
        assert_int_equal(entries(f, "run/containers"), 1); /* the teardown waits for the delete */
        assert_int_equal(entries(f, "storage/containers"), 1);
        pthread_t remover;
        struct pod_remove_call call = {f, pod, 0};
        assert_int_equal(pthread_create(&remover, NULL, pod_remove_thread, &call), 0);
        /* Held, the pod stays: it can only go after its container's teardown. A broken
         * wait would let it go within this time (a miss here is possible, a false alarm
         * is not). */
        usleep(100 * 1000);
        assert_int_equal(entries(f, "run/pods"), 1);
        fake_hold(f->fake, FAKE_DELETE, false);
        assert_int_equal(pthread_join(remover, NULL), 0);
        assert_int_equal(call.r, 0);
        assert_int_equal(entries(f, "run/pods"), 0);
        assert_no_containers(f);
}

static void test_stop_timeout_zero_kills(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        AUTOFREE char *pod = host_pod(f, "kill");
        AUTOFREE char *id = run(f, pod, "app", sleep_args, 1);
        ok(f, runtime_container_stop(f->rt, id, 0, &f->err), "stop");
        assert_int_equal(fake_count(f->fake, "kill %s 15", id), 0);
        assert_int_equal(fake_count(f->fake, "kill --all %s 9", id), 1);
        struct container_view v = status(f, id);
        assert_int_equal(v.exit_code, 128 + SIGKILL);
        container_view_clear(&v);
}

/* The stop signal reaches a PID 1 that installs its handler after StopContainer came:
 * the runtime sees the handler appear and sends the signal again; no waiting for the
 * grace period, no SIGKILL. */
static void test_stop_resends_a_lost_signal(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        AUTOFREE char *pod = host_pod(f, "late");
        char *args[] = {"late-trap", "300"};
        AUTOFREE char *id = run(f, pod, "app", args, 2);
        long start = testlib_now_ms();
        ok(f, runtime_container_stop(f->rt, id, 30, &f->err), "stop");
        long took = testlib_now_ms() - start;
        struct container_view v = status(f, id);
        assert_int_equal(v.state, CONTAINER_EXITED);
        if (v.exit_code != 0) {
                AUTOFREE char *calls = fake_calls(f->fake);
                AUTOFREE char *spec = NULL;
                runtime_container_spec(f->rt, id, &spec, NULL);
                fail_msg("exit code %d after %ld ms; calls:\n%s\nspec: %.400s", v.exit_code, took, calls,
                         spec ? strstr(spec, "\"args\"") : "");
        }
        container_view_clear(&v);
        assert_int_equal(fake_count(f->fake, "kill %s 15", id), 2);
        assert_int_equal(fake_count(f->fake, "kill --all %s 9", id), 0);
        assert_true(took < 25000); /* far from the grace period: not a timing check */
}

static void test_stop_kills_after_the_grace_period(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        AUTOFREE char *pod = host_pod(f, "stubborn");
        char *args[] = {"ignore-term"};
        AUTOFREE char *id = run(f, pod, "app", args, 1);
        ok(f, runtime_container_stop(f->rt, id, 1, &f->err), "stop");
        if (fake_count(f->fake, "kill %s 15", id) != 1) {
                AUTOFREE char *calls = fake_calls(f->fake);
                struct container_view v = status(f, id);
                fail_msg("exit code %d; calls:\n%s", v.exit_code, calls);
        }
        assert_int_equal(fake_count(f->fake, "kill %s 15", id), 1);
        assert_int_equal(fake_count(f->fake, "kill --all %s 9", id), 1);
        struct container_view v = status(f, id);
        assert_int_equal(v.exit_code, 128 + SIGKILL);
        container_view_clear(&v);
}

static void test_stop_retries_a_failed_kill(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        AUTOFREE char *pod = host_pod(f, "retry");
        AUTOFREE char *id = run(f, pod, "app", sleep_args, 1);
        fake_fail(f->fake, FAKE_KILL, 2);
        ok(f, runtime_container_stop(f->rt, id, 10, &f->err), "stop");
        assert_int_equal(fake_count(f->fake, "kill %s 15", id), 3);
        assert_int_equal(state_of(f, id), CONTAINER_EXITED);
}

static void test_stop_of_a_created_container_kills_it(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        AUTOFREE char *pod = host_pod(f, "created");
        AUTOFREE char *id = create(f, pod, "app", sleep_args, 1);
        ok(f, runtime_container_stop(f->rt, id, 10, &f->err), "stop");
        assert_int_equal(fake_count(f->fake, "kill %s 15", id), 0);
        assert_int_equal(fake_count(f->fake, "kill --all %s 9", id), 1);
        assert_int_equal(state_of(f, id), CONTAINER_EXITED);
}

/* The state the store holds for a container, or -1. */
static int row_state(struct fx *f, const char *id) {
        struct container_row *row = NULL;
        struct cric_error *err = NULL;
        if (store_container_get(f->db, id, &row, &err) < 0) {
                cric_error_free(err);
                return -1;
        }
        int state = (int) row->state;
        container_row_free(row);
        return state;
}
/* An exit reaches the container's state when the monitor writes the exit file, with no
 * call looking for it. */
static void test_exit_is_recorded_when_it_happens(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        AUTOFREE char *pod = host_pod(f, "exit");
        char *args[] = {"exit", "3"};
        AUTOFREE char *id = run(f, pod, "app", args, 2);
        assert_true(WAIT_UNTIL(state_of(f, id) == CONTAINER_EXITED, WAIT_MS));
        struct container_view v = status(f, id);
        assert_int_equal(v.exit_code, 3);
        assert_string_equal(v.reason, "Error");
        container_view_clear(&v);
        /* written through: the store follows the state in memory right after the change */
        assert_true(WAIT_UNTIL(row_state(f, id) == CONTAINER_ROW_EXITED, WAIT_MS));
        struct container_row *row = NULL;
        ok(f, store_container_get(f->db, id, &row, &f->err), "store_container_get");
        assert_int_equal(row->exit_code, 3);
        container_row_free(row);
        char *zero[] = {"exit", "0"};
        AUTOFREE char *id2 = run(f, pod, "done", zero, 2);
        assert_true(WAIT_UNTIL(state_of(f, id2) == CONTAINER_EXITED, WAIT_MS));
        v = status(f, id2);
        assert_string_equal(v.reason, "Completed");
        container_view_clear(&v);
}

/* ---- events ---- */

struct ev_log {
        pthread_mutex_t lock;
        char lines[32][160];
        size_t n;
        bool released;
};

static const char *ev_type(enum runtime_event_type t) {
        static const char *const names[] = {"created", "started", "stopped", "deleted"};
        return names[t];
}

static void ev_record(void *arg, const struct runtime_event *ev) {
        struct ev_log *l = arg;
        pthread_mutex_lock(&l->lock);
        if (l->n < 32) {
                /* "<kind> <type> <id12> <pod state> <n containers> <state of the event's container>" */
                int ctr_state = -1;
                for (size_t i = 0; i < ev->n_ctrs; i++)
                        if (!strcmp(ev->ctrs[i].info->id, ev->id))
                                ctr_state = ev->ctrs[i].state;
                snprintf(l->lines[l->n++], 160, "%s %s %.12s %d %zu %d", ev->is_pod ? "pod" : "ctr", ev_type(ev->type),
                         ev->id, ev->pod.state, ev->n_ctrs, ctr_state);
        }
        pthread_mutex_unlock(&l->lock);
}

static void ev_release(void *arg) {
        struct ev_log *l = arg;
        pthread_mutex_lock(&l->lock);
        l->released = true;
        pthread_mutex_unlock(&l->lock);
}

static bool ev_released(struct ev_log *l) {
        pthread_mutex_lock(&l->lock);
        bool r = l->released;
        pthread_mutex_unlock(&l->lock);
        return r;
}

static size_t ev_count(struct ev_log *l) {
        pthread_mutex_lock(&l->lock);
        size_t n = l->n;
        pthread_mutex_unlock(&l->lock);
        return n;
}

static void test_events_follow_the_lifecycle(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        struct ev_log l = {.lock = PTHREAD_MUTEX_INITIALIZER};
        struct runtime_subscription *sub = runtime_events_subscribe(f->rt, ev_record, ev_release, &l);
        AUTOFREE char *pod = host_pod(f, "events");
        char *args[] = {"exit", "3"};
        AUTOFREE char *id = run(f, pod, "app", args, 2);
        assert_true(WAIT_UNTIL(ev_count(&l) >= 5, WAIT_MS));
        ok(f, runtime_container_remove(f->rt, id, &f->err), "remove");
        ok(f, runtime_pod_remove(f->rt, pod, &f->err), "remove pod");
        assert_true(WAIT_UNTIL(ev_count(&l) >= 8, WAIT_MS));
        char want[8][160];
        snprintf(want[0], 160, "pod created %.12s %d 0 -1", pod, POD_READY);
        snprintf(want[1], 160, "pod started %.12s %d 0 -1", pod, POD_READY);
        snprintf(want[2], 160, "ctr created %.12s %d 1 %d", id, POD_READY, CONTAINER_CREATED);
        snprintf(want[3], 160, "ctr started %.12s %d 1 %d", id, POD_READY, CONTAINER_RUNNING);
        snprintf(want[4], 160, "ctr stopped %.12s %d 1 %d", id, POD_READY, CONTAINER_EXITED);
        snprintf(want[5], 160, "ctr deleted %.12s %d 0 -1", id, POD_READY); /* no longer among the pod's */
        snprintf(want[6], 160, "pod stopped %.12s %d 0 -1", pod, POD_NOTREADY);
        snprintf(want[7], 160, "pod deleted %.12s %d 0 -1", pod, POD_NOTREADY); /* the last status it had */
        for (size_t i = 0; i < 8; i++)
                assert_string_equal(l.lines[i], want[i]);
        runtime_events_unsubscribe(f->rt, sub); /* released by the events thread, soon */
        assert_true(WAIT_UNTIL(ev_released(&l), WAIT_MS));
        /* nothing more after the release */
        AUTOFREE char *pod2 = host_pod(f, "after");
        ok(f, runtime_pod_remove(f->rt, pod2, &f->err), "remove pod2");
        assert_int_equal(ev_count(&l), 8);
}

/* A monitor that dies without an exit file: the container ends in Error, 255. */
static void test_monitor_gone_without_exit_file(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        AUTOFREE char *pod = host_pod(f, "gone");
        AUTOFREE char *id = run(f, pod, "app", sleep_args, 1);
        pid_t pid = fake_pid(f->fake, id);
        fake_no_exit_file(f->fake);
        kill(pid, SIGKILL);
        assert_true(WAIT_UNTIL(kill(pid, 0) < 0, WAIT_MS)); /* the fake reaped it */
        runtime_monitor_reaped(f->rt, pid);
        struct container_view v = status(f, id);
        assert_int_equal(v.state, CONTAINER_EXITED);
        assert_int_equal(v.exit_code, 255);
        assert_non_null(strstr(v.message, "without an exit file"));
        container_view_clear(&v);
}

/* The sweep finds such a monitor on its own, without a reap by the daemon. */
static void test_monitor_gone_found_by_the_sweep(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        AUTOFREE char *pod = host_pod(f, "sweep");
        AUTOFREE char *id = run(f, pod, "app", sleep_args, 1);
        fake_no_exit_file(f->fake);
        kill(fake_pid(f->fake, id), SIGKILL);
        assert_true(WAIT_UNTIL(state_of(f, id) == CONTAINER_EXITED, WAIT_MS));
}

static void test_start_failure_is_start_error(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        AUTOFREE char *pod = host_pod(f, "starterr");
        AUTOFREE char *id = create(f, pod, "app", sleep_args, 1);
        fake_fail(f->fake, FAKE_START, 1);
        testlib_error_is(runtime_container_start(f->rt, id, &f->err), &f->err, CRIC_E_INTERNAL);
        assert_non_null(strstr(f->err->msg, "injected failure"));
        clear_err(f);
        struct container_view v = status(f, id);
        assert_int_equal(v.state, CONTAINER_EXITED);
        assert_int_equal(v.exit_code, 128);
        assert_string_equal(v.reason, "StartError");
        assert_non_null(strstr(v.message, "injected failure"));
        container_view_clear(&v);
}

/* ---- create: every failure leaves nothing behind ---- */

static void test_create_failures_leave_nothing(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        AUTOFREE char *pod = host_pod(f, "fail");
        struct container_config c = ctr_cfg(pod, "app", sleep_args, 1);
        char *id = NULL;
        /* the monitor cannot create it */
        fake_fail(f->fake, FAKE_CREATE, 1);
        testlib_error_is(runtime_container_create(f->rt, &c, &id, &f->err), &f->err, CRIC_E_INTERNAL);
        clear_err(f);
        assert_no_containers(f);
        /* the spec generator refuses the config (after the rootfs was mounted) */
        c.oci.working_dir = "relative";
        testlib_error_is(runtime_container_create(f->rt, &c, &id, &f->err), &f->err, CRIC_E_INVALID);
        assert_non_null(strstr(f->err->msg, "not absolute"));
        clear_err(f);
        assert_no_containers(f);
        c.oci.working_dir = NULL;
        /* no such image */
        c.image = "nosuch";
        testlib_error_is(runtime_container_create(f->rt, &c, &id, &f->err), &f->err, CRIC_E_NOT_FOUND);
        clear_err(f);
        c.image = "fake";
        /* no such pod, a pod given by prefix */
        c.pod_id = "0123456789";
        testlib_error_is(runtime_container_create(f->rt, &c, &id, &f->err), &f->err, CRIC_E_NOT_FOUND);
        clear_err(f);
        char prefix[16];
        snprintf(prefix, sizeof(prefix), "%.12s", pod);
        c.pod_id = prefix;
        testlib_error_is(runtime_container_create(f->rt, &c, &id, &f->err), &f->err, CRIC_E_INVALID);
        clear_err(f);
        assert_no_containers(f);
        assert_null(id);
        assert_false(fake_any_alive(f->fake));
}

static void test_container_names_are_reserved(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        AUTOFREE char *pod = host_pod(f, "names");
        AUTOFREE char *id = create(f, pod, "app", sleep_args, 1);
        struct container_config c = ctr_cfg(pod, "app", sleep_args, 1);
        char *other = NULL;
        assert_non_null(strstr(
                testlib_error_is(runtime_container_create(f->rt, &c, &other, &f->err), &f->err, CRIC_E_EXISTS), id));
        clear_err(f);
        c.attempt = 1;
        AUTOFREE char *second = NULL;
        ok(f, runtime_container_create(f->rt, &c, &second, &f->err), "attempt 1");
        assert_int_equal(count_containers(f, NULL), 2);
}

static void test_create_in_a_stopped_pod(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        AUTOFREE char *pod = host_pod(f, "stopped");
        ok(f, runtime_pod_stop(f->rt, pod, &f->err), "stop pod");
        struct container_config c = ctr_cfg(pod, "app", sleep_args, 1);
        char *id = NULL;
        testlib_error_is(runtime_container_create(f->rt, &c, &id, &f->err), &f->err, CRIC_E_PRECONDITION);
        clear_err(f);
        assert_no_containers(f);
}

/* ---- namespaces ---- */

/* POD means the pod's namespaces, whatever mode the pod has: in a host-network pod,
 * no network namespace at all; in a pod of its own, the pinned one. */
static void test_pod_mode_namespaces_are_the_pods(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        AUTOFREE char *host = host_pod(f, "hostnet");
        AUTOFREE char *a = create(f, host, "a", sleep_args, 1);
        AUTOFREE char *spec = NULL;
        ok(f, runtime_container_spec(f->rt, a, &spec, &f->err), "spec");
        assert_null(strstr(spec, "\"network\""));
        assert_null(strstr(spec, "\"ipc\""));
        AUTOFREE char *own = run_pod(f, "ownnet", OCI_NS_POD, OCI_NS_CONTAINER);
        AUTOFREE char *b = create(f, own, "b", sleep_args, 1);
        AUTOFREE char *spec2 = NULL;
        ok(f, runtime_container_spec(f->rt, b, &spec2, &f->err), "spec");
        AUTOFREE char *netns = xasprintf("\"path\": \"%s/run/ns/net/%s\"", f->dir, own);
        assert_non_null(strstr(spec2, netns));
        assert_non_null(strstr(spec2, "HOSTNAME=ownnet"));
}

static void test_shared_pid_pod_runs_an_infra_process(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        AUTOFREE char *pod = run_pod(f, "shared", OCI_NS_POD, OCI_NS_POD);
        assert_int_equal(fake_count(f->fake, "create %s", pod), 1);
        assert_int_equal(fake_count(f->fake, "start %s", pod), 1);
        pid_t pause = fake_pid(f->fake, pod);
        AUTOFREE char *id = create(f, pod, "app", sleep_args, 1);
        AUTOFREE char *spec = NULL;
        ok(f, runtime_container_spec(f->rt, id, &spec, &f->err), "spec");
        AUTOFREE char *pidns = xasprintf("/proc/%d/ns/pid", (int) pause);
        assert_non_null(strstr(spec, pidns));
        ok(f, runtime_pod_stop(f->rt, pod, &f->err), "stop pod");
        assert_int_equal(fake_count(f->fake, "kill --all %s 9", pod), 1);
        assert_int_equal(fake_count(f->fake, "delete %s", pod), 1);
        assert_true(WAIT_UNTIL(kill(pause, 0) < 0, WAIT_MS));
}

/* ---- pods ---- */

static void test_pod_lifecycle(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        AUTOFREE char *pod = run_pod(f, "podlife", OCI_NS_POD, OCI_NS_CONTAINER);
        AUTOFREE char *netns = xasprintf("%s/run/ns/net/%s", f->dir, pod);
        assert_int_equal(access(netns, F_OK), 0);
        struct pod_view v;
        ok(f, runtime_pod_status(f->rt, pod, &v, &f->err), "status");
        assert_int_equal(v.state, POD_READY);
        assert_string_equal(v.info->name, "podlife");
        assert_int_equal(v.info->network, OCI_NS_POD);
        assert_int_equal(v.info->pid, OCI_NS_CONTAINER);
        assert_string_equal(v.netns_path, netns);
        assert_string_equal(v.info->labels[0], "app");
        assert_string_equal(v.info->labels[1], "web");
        pod_view_clear(&v);
        AUTOFREE char *c1 = run(f, pod, "one", sleep_args, 1);
        AUTOFREE char *c2 = create(f, pod, "two", sleep_args, 1);
        ok(f, runtime_pod_stop(f->rt, pod, &f->err), "stop");
        assert_int_equal(state_of(f, c1), CONTAINER_EXITED);
        assert_int_equal(state_of(f, c2), CONTAINER_EXITED);
        assert_int_equal(fake_count(f->fake, "kill --all %s 9", c1), 1);
        runtime_settle(f->rt); /* the namespaces go after the answer */
        assert_int_equal(access(netns, F_OK), -1);
        ok(f, runtime_pod_status(f->rt, pod, &v, &f->err), "status");
        assert_int_equal(v.state, POD_NOTREADY);
        assert_null(v.netns_path);
        assert_int_equal(strv_length(v.ips), 0);
        pod_view_clear(&v);
        ok(f, runtime_pod_stop(f->rt, pod, &f->err), "stop again");
        ok(f, runtime_pod_remove(f->rt, pod, &f->err), "remove");
        assert_int_equal(count_pods(f), 0);
        assert_no_containers(f);
        assert_int_equal(entries(f, "run/pods"), 0);
        ok(f, runtime_pod_remove(f->rt, pod, &f->err), "remove again");
        ok(f, runtime_pod_stop(f->rt, pod, &f->err), "stop when gone");
}

static void test_pod_run_refusals_leave_nothing(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        char *id = NULL;
        struct pod_config c = pod_cfg("bad", OCI_NS_NODE, OCI_NS_CONTAINER);
        c.hostname = "not-the-node";
        assert_non_null(strstr(testlib_error_is(runtime_pod_run(f->rt, &c, &id, &f->err), &f->err, CRIC_E_INVALID),
                               "hostname"));
        clear_err(f);
        c = pod_cfg("bad", OCI_NS_NODE, OCI_NS_CONTAINER);
        c.runtime_handler = "kata";
        assert_non_null(
                strstr(testlib_error_is(runtime_pod_run(f->rt, &c, &id, &f->err), &f->err, CRIC_E_INVALID), "kata"));
        clear_err(f);
        struct oci_kv sysctl = {"net.ipv4.ip_forward", "1"};
        c = pod_cfg("bad", OCI_NS_NODE, OCI_NS_CONTAINER);
        c.sysctls = &sysctl;
        c.n_sysctls = 1;
        testlib_error_is(runtime_pod_run(f->rt, &c, &id, &f->err), &f->err, CRIC_E_INVALID);
        clear_err(f);
        /* a sysctl the kernel refuses, after the namespaces were made */
        struct oci_kv bad = {"net.nosuch.key", "1"};
        c = pod_cfg("bad", OCI_NS_POD, OCI_NS_CONTAINER);
        c.sysctls = &bad;
        c.n_sysctls = 1;
        testlib_error_is(runtime_pod_run(f->rt, &c, &id, &f->err), &f->err, CRIC_E_INVALID);
        clear_err(f);
        /* the infra process cannot be created */
        fake_fail(f->fake, FAKE_CREATE, 1);
        c = pod_cfg("bad", OCI_NS_POD, OCI_NS_POD);
        testlib_error_is(runtime_pod_run(f->rt, &c, &id, &f->err), &f->err, CRIC_E_INTERNAL);
        clear_err(f);
        assert_null(id);
        assert_int_equal(count_pods(f), 0);
        assert_int_equal(entries(f, "run/pods"), 0);
        assert_int_equal(entries(f, "run/ns/net"), 0);
        assert_int_equal(entries(f, "run/ns/ipc"), 0);
        assert_int_equal(entries(f, "run/ns/uts"), 0);
}

static void test_pod_names_are_reserved(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        AUTOFREE char *pod = host_pod(f, "dup");
        struct pod_config c = pod_cfg("dup", OCI_NS_NODE, OCI_NS_CONTAINER);
        char *id = NULL;
        assert_non_null(
                strstr(testlib_error_is(runtime_pod_run(f->rt, &c, &id, &f->err), &f->err, CRIC_E_EXISTS), pod));
        clear_err(f);
        c.attempt = 1;
        AUTOFREE char *again = NULL;
        ok(f, runtime_pod_run(f->rt, &c, &again, &f->err), "attempt 1");
}

/* ---- lists and filters ---- */

static void test_list_filters(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        AUTOFREE char *p1 = host_pod(f, "list1");
        AUTOFREE char *p2 = host_pod(f, "list2");
        AUTOFREE char *a = run(f, p1, "a", sleep_args, 1);
        AUTOFREE char *b = create(f, p1, "b", sleep_args, 1);
        AUTOFREE char *c = create(f, p2, "c", sleep_args, 1);
        assert_int_equal(count_containers(f, NULL), 3);
        struct container_filter by_pod = {.pod_id_prefix = p1, .state = -1};
        assert_int_equal(count_containers(f, &by_pod), 2);
        struct container_filter running = {.state = CONTAINER_RUNNING};
        assert_int_equal(count_containers(f, &running), 1);
        char prefix[8];
        snprintf(prefix, sizeof(prefix), "%.6s", c);
        struct container_filter by_id = {.id_prefix = prefix, .state = -1};
        assert_int_equal(count_containers(f, &by_id), 1);
        char *yes[] = {"io.kubernetes.container.name", "app", NULL}, *no[] = {"x", "y", NULL};
        struct container_filter labelled = {.state = -1, .label_selector = yes};
        assert_int_equal(count_containers(f, &labelled), 3);
        labelled.label_selector = no;
        assert_int_equal(count_containers(f, &labelled), 0);
        /* oldest first */
        struct container_view *v = NULL;
        size_t n = 0;
        runtime_container_list(f->rt, NULL, &v, &n);
        assert_string_equal(v[0].info->id, a);
        assert_string_equal(v[1].info->id, b);
        assert_string_equal(v[2].info->id, c);
        container_views_free(v, n);
        struct pod_view *pv = NULL;
        char *sel[] = {"tier", "front", NULL};
        struct pod_filter pf = {.state = POD_READY, .label_selector = sel};
        runtime_pod_list(f->rt, &pf, &pv, &n);
        assert_int_equal(n, 2);
        assert_string_equal(pv[0].info->id, p1);
        pod_views_free(pv, n);
        ok(f, runtime_pod_stop(f->rt, p2, &f->err), "stop");
        runtime_pod_list(f->rt, &pf, &pv, &n);
        assert_int_equal(n, 1);
        pod_views_free(pv, n);
}

/* ---- update, exec, logs ---- */

static void test_update_exec_reopen(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        AUTOFREE char *pod = host_pod(f, "ops");
        AUTOFREE char *id = run(f, pod, "app", sleep_args, 1);
        struct oci_resources res = {.cpu_shares = 512, .memory_limit_in_bytes = 64 << 20, .cpuset_cpus = "0"};
        ok(f, runtime_container_update(f->rt, id, &res, &f->err), "update");
        AUTOFREE char *json = fake_last_update(f->fake);
        assert_non_null(strstr(json, "\"shares\""));
        struct container_view v = status(f, id);
        assert_int_equal(v.resources.cpu_shares, 512);
        assert_int_equal(v.resources.memory_limit_in_bytes, 64 << 20);
        assert_string_equal(v.resources.cpuset_cpus, "0");
        container_view_clear(&v);

        char *argv[] = {"echo", "hi", NULL};
        struct monitor_exec_result r = {0};
        ok(f, runtime_container_exec_sync(f->rt, id, argv, 5, &r, &f->err), "exec");
        assert_int_equal(r.exit_code, 7);
        monitor_exec_result_clear(&r);
        AUTOFREE char *process = fake_last_exec(f->fake);
        assert_non_null(strstr(process, "\"args\":[\"echo\",\"hi\"]"));
        assert_non_null(strstr(process, "\"terminal\":false"));

        ok(f, runtime_container_reopen_log(f->rt, id, &f->err), "reopen");
        assert_int_equal(fake_count(f->fake, "reopen %s", id), 1);

        ok(f, runtime_container_stop(f->rt, id, 0, &f->err), "stop");
        testlib_error_is(runtime_container_exec_sync(f->rt, id, argv, 5, &r, &f->err), &f->err, CRIC_E_PRECONDITION);
        clear_err(f);
        testlib_error_is(runtime_container_update(f->rt, id, &res, &f->err), &f->err, CRIC_E_PRECONDITION);
        clear_err(f);
        testlib_error_is(runtime_container_reopen_log(f->rt, id, &f->err), &f->err, CRIC_E_PRECONDITION);
        clear_err(f);
}

/* ---- restart ---- */

static void restart(struct fx *f) {
        f->rt = runtime_free(f->rt);
        if (runtime_start(f) < 0)
                fail_msg("runtime_new: %s", f->err->msg);
}

static void test_restart_finds_everything(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        AUTOFREE char *pod = run_pod(f, "restart", OCI_NS_POD, OCI_NS_CONTAINER);
        AUTOFREE char *running = run(f, pod, "running", sleep_args, 1);
        AUTOFREE char *ending = run(f, pod, "ending", sleep_args, 1);
        AUTOFREE char *created = create(f, pod, "created", sleep_args, 1);
        struct oci_resources res = {.cpu_shares = 300};
        ok(f, runtime_container_update(f->rt, running, &res, &f->err), "update");
        f->rt = runtime_free(f->rt);              /* the daemon is gone; containers run on */
        kill(fake_pid(f->fake, ending), SIGTERM); /* one ends meanwhile */
        AUTOFREE char *exit_file = xasprintf("%s/run/exits/%s", f->dir, ending);
        assert_true(WAIT_UNTIL(access(exit_file, F_OK) == 0, WAIT_MS));
        if (runtime_start(f) < 0)
                fail_msg("runtime_new: %s", f->err->msg);
        struct pod_view pv;
        ok(f, runtime_pod_status(f->rt, pod, &pv, &f->err), "pod status");
        assert_int_equal(pv.state, POD_READY);
        assert_string_equal(pv.info->labels[3], "front");
        assert_non_null(pv.netns_path);
        pod_view_clear(&pv);
        assert_int_equal(state_of(f, running), CONTAINER_RUNNING);
        assert_int_equal(state_of(f, created), CONTAINER_CREATED);
        struct container_view v = status(f, ending);
        assert_int_equal(v.state, CONTAINER_EXITED);
        assert_int_equal(v.exit_code, 128 + SIGTERM);
        container_view_clear(&v);
        v = status(f, running);
        assert_string_equal(v.info->labels[1], "app");
        assert_int_equal(v.resources.cpu_shares, 300);
        assert_int_equal(v.info->pid, fake_pid(f->fake, running));
        container_view_clear(&v);
        /* and it still works */
        ok(f, runtime_container_start(f->rt, created, &f->err), "start");
        ok(f, runtime_container_stop(f->rt, running, 10, &f->err), "stop");
        assert_int_equal(state_of(f, running), CONTAINER_EXITED);
        restart(f);
        assert_int_equal(state_of(f, running), CONTAINER_EXITED);
        assert_int_equal(state_of(f, created), CONTAINER_RUNNING);
}

/* What a crash in the middle of a create or a run leaves is removed at the next start. */
/* A crash after StopPodSandbox answered, before the janitor unpinned the namespaces:
 * the store says stopped, the namespaces are still pinned. The next start unpins them. */
static void test_restart_unpins_the_namespaces_of_stopped_pods(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        AUTOFREE char *pod = run_pod(f, "crashed", OCI_NS_POD, OCI_NS_CONTAINER);
        AUTOFREE char *netns = xasprintf("%s/run/ns/net/%s", f->dir, pod);
        assert_int_equal(access(netns, F_OK), 0);
        ok(f, store_pod_set_state(f->db, pod, POD_ROW_NOTREADY, &f->err), "mark the row stopped");
        restart(f);
        assert_int_equal(access(netns, F_OK), -1);
        struct pod_view v;
        ok(f, runtime_pod_status(f->rt, pod, &v, &f->err), "status");
        assert_int_equal(v.state, POD_NOTREADY);
        pod_view_clear(&v);
}

static void test_restart_removes_leftovers(void **state) {
        NEED_ROOT();
        struct fx *f = *state;
        f->rt = runtime_free(f->rt);
        const char *ghost = "ee00000000000000000000000000000000000000000000000000000000000001";
        AUTOFREE char *ctr = xasprintf("%s/run/containers/%s/rootfs", f->dir, ghost);
        AUTOFREE char *pod = xasprintf("%s/run/pods/%s", f->dir, ghost);
        AUTOFREE char *layer = xasprintf("%s/storage/containers/%s/upper", f->dir, ghost);
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        assert_int_equal(fs_mkdir_p(ctr, 0755, &e), 0);
        assert_int_equal(fs_mkdir_p(pod, 0755, &e), 0);
        assert_int_equal(fs_mkdir_p(layer, 0755, &e), 0);
        if (runtime_start(f) < 0)
                fail_msg("runtime_new: %s", f->err->msg);
        assert_int_equal(entries(f, "run/containers"), 0);
        assert_int_equal(entries(f, "run/pods"), 0);
        assert_int_equal(entries(f, "storage/containers"), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                RT_TEST(test_create_start_stop_remove),
                RT_TEST(test_remove_answers_before_the_teardown),
                RT_TEST(test_stop_timeout_zero_kills),
                RT_TEST(test_stop_resends_a_lost_signal),
                RT_TEST(test_stop_kills_after_the_grace_period),
                RT_TEST(test_stop_retries_a_failed_kill),
                RT_TEST(test_stop_of_a_created_container_kills_it),
                RT_TEST(test_exit_is_recorded_when_it_happens),
                RT_TEST(test_events_follow_the_lifecycle),
                RT_TEST(test_monitor_gone_without_exit_file),
                RT_TEST(test_monitor_gone_found_by_the_sweep),
                RT_TEST(test_start_failure_is_start_error),
                RT_TEST(test_create_failures_leave_nothing),
                RT_TEST(test_container_names_are_reserved),
                RT_TEST(test_create_in_a_stopped_pod),
                RT_TEST(test_pod_mode_namespaces_are_the_pods),
                RT_TEST(test_shared_pid_pod_runs_an_infra_process),
                RT_TEST(test_pod_lifecycle),
                RT_TEST(test_pod_run_refusals_leave_nothing),
                RT_TEST(test_pod_names_are_reserved),
                RT_TEST(test_list_filters),
                RT_TEST(test_update_exec_reopen),
                RT_TEST(test_restart_finds_everything),
                RT_TEST(test_restart_unpins_the_namespaces_of_stopped_pods),
                RT_TEST(test_restart_removes_leftovers),
        };
        return cmocka_run_group_tests_name("runtime", tests, NULL, NULL);
}
