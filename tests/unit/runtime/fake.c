#include "fake.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define MAX_CTRS 256

enum behaviour { B_SLEEP, B_EXIT, B_IGNORE_TERM, B_LATE_TRAP };

struct child {
        char id[65];
        char *exit_dir;
        pid_t pid;
        int gate; /* write end; -1 once started */
        bool is_done, is_deleted, has_no_exit_file;
};

struct fake {
        pthread_mutex_t lock;
        struct child ctrs[MAX_CTRS];
        size_t n;
        char **calls;
        int fails[FAKE_VERB_MAX];
        bool held[FAKE_VERB_MAX];
        pthread_cond_t released; /* a verb was released */
        bool next_no_exit_file;
        char *last_update, *last_exec;
        struct runtime_backend be;
        pthread_t reaper;
        bool stop;
};

static void record(struct fake *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void record(struct fake *f, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        char *line = xvasprintf(fmt, ap);
        va_end(ap);
        strv_push_take(&f->calls, line);
}

/* f->lock held. True (and one failure used up) when verb must fail now. */
static bool must_fail(struct fake *f, enum fake_verb verb, struct cric_error **err) {
        if (f->fails[verb] <= 0)
                return false;
        f->fails[verb]--;
        cric_error_set(err, CRIC_E_INTERNAL, "fake: injected failure");
        return true;
}

static struct child *find(struct fake *f, const char *id) {
        for (size_t i = 0; i < f->n; i++)
                if (!strcmp(f->ctrs[i].id, id) && !f->ctrs[i].is_deleted)
                        return &f->ctrs[i];
        return NULL;
}

/* ---- the monitor's part: reaping and exit files ---- */

static void write_exit_file(const struct child *c, int status) {
        int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        int code = sig ? 128 + sig : WEXITSTATUS(status);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        AUTOFREE char *json =
                xasprintf("{\"exit_code\": %d, \"exit_time_ns\": %" PRId64 ", \"oom_killed\": false, \"signal\": %d}\n",
                          code, (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec, sig);
        AUTOFREE char *path = xasprintf("%s/%s", c->exit_dir, c->id);
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (fs_write_file_atomic(path, json, strlen(json), 0600, &err) < 0)
                fprintf(stderr, "fake monitor: %s\n", err->msg);
}

static void *reaper_main(void *arg) {
        struct fake *f = arg;
        for (;;) {
                pthread_mutex_lock(&f->lock);
                bool stop = f->stop;
                for (size_t i = 0; i < f->n; i++) {
                        struct child *c = &f->ctrs[i];
                        int status = 0;
                        if (c->is_done || waitpid(c->pid, &status, WNOHANG) != c->pid)
                                continue;
                        c->is_done = true;
                        if (!c->has_no_exit_file)
                                write_exit_file(c, status);
                }
                pthread_mutex_unlock(&f->lock);
                if (stop)
                        return NULL;
                usleep(2000);
        }
}

/* ---- the container's part: what the child does ---- */

static void sleep_ms(long ms) {
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static void on_term(int sig) {
        (void) sig;
        _exit(0);
}

/* Async-signal-safe only: the test process has threads. A SIGTERM ignored from the
 * start plays a namespace's PID 1 without a handler: the signal is dropped. The child
 * starts with SIGTERM blocked (so one sent before it got here waits) and unblocks it
 * once its disposition is set. */
static void child_main(int gate, enum behaviour b, long arg, const sigset_t *mask) {
        if (b == B_IGNORE_TERM || b == B_LATE_TRAP)
                signal(SIGTERM, SIG_IGN);
        pthread_sigmask(SIG_SETMASK, mask, NULL);
        char c;
        while (read(gate, &c, 1) < 0 && errno == EINTR)
                ;
        switch (b) {
        case B_EXIT: _exit((int) arg);
        case B_IGNORE_TERM: break;
        case B_LATE_TRAP: {
                sleep_ms(arg);
                struct sigaction sa = {.sa_handler = on_term};
                sigaction(SIGTERM, &sa, NULL);
                break;
        }
        case B_SLEEP: break;
        }
        for (;;)
                pause();
}

/* What config.json's process.args ask for. */
static void behaviour_of(const char *bundle, enum behaviour *ret, long *ret_arg) {
        AUTOFREE char *path = xasprintf("%s/config.json", bundle);
        AUTOFREE char *text = NULL;
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        *ret = B_SLEEP;
        *ret_arg = 0;
        if (fs_read_file(path, 1 << 20, &text, NULL, &err) < 0)
                return;
        AUTOJSON struct json_object *root = NULL;
        struct json_object *proc, *args;
        if (json_parse_object(text, strlen(text), "config.json", &root, &err) == 0 &&
            json_object_object_get_ex(root, "process", &proc) && json_object_object_get_ex(proc, "args", &args) &&
            json_object_array_length(args) > 0) {
                const char *a0 = json_object_get_string(json_object_array_get_idx(args, 0));
                const char *a1 = json_object_array_length(args) > 1
                                         ? json_object_get_string(json_object_array_get_idx(args, 1))
                                         : "0";
                if (!strcmp(a0, "exit"))
                        *ret = B_EXIT;
                else if (!strcmp(a0, "ignore-term"))
                        *ret = B_IGNORE_TERM;
                else if (!strcmp(a0, "late-trap"))
                        *ret = B_LATE_TRAP;
                *ret_arg = strtol(a1, NULL, 10);
        }
}

static int monitor_create(void *data, const struct monitor_create_opts *o, pid_t *ret_monitor_pid,
                          pid_t *ret_container_pid, struct cric_error **err) {
        struct fake *f = data;
        enum behaviour b;
        long arg;
        behaviour_of(o->bundle, &b, &arg);
        pthread_mutex_lock(&f->lock);
        record(f, "create %s", o->id);
        if (must_fail(f, FAKE_CREATE, err) || f->n == MAX_CTRS) {
                pthread_mutex_unlock(&f->lock);
                return -1;
        }
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) {
                pthread_mutex_unlock(&f->lock);
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "fake: pipe");
        }
        sigset_t term, old;
        sigemptyset(&term);
        sigaddset(&term, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &term, &old);
        pid_t pid = fork();
        if (pid == 0) {
                close(p[1]);
                child_main(p[0], b, arg, &old);
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        close(p[0]);
        struct child *c = &f->ctrs[f->n++];
        *c = (struct child){.pid = pid, .gate = p[1], .exit_dir = xstrdup(o->exit_dir)};
        snprintf(c->id, sizeof(c->id), "%s", o->id);
        pthread_mutex_unlock(&f->lock);
        *ret_monitor_pid = *ret_container_pid = pid;
        return 0;
}

static int oci_start(void *data, const char *id, struct cric_error **err) {
        struct fake *f = data;
        pthread_mutex_lock(&f->lock);
        record(f, "start %s", id);
        struct child *c = find(f, id);
        int r = 0;
        if (must_fail(f, FAKE_START, err))
                r = -1;
        else if (!c)
                r = cric_error_set(err, CRIC_E_NOT_FOUND, "fake: container %s does not exist", id);
        else if (c->gate >= 0) {
                if (write(c->gate, "x", 1) != 1)
                        r = cric_error_errno(err, CRIC_E_INTERNAL, errno, "fake: start");
                close(c->gate);
                c->gate = -1;
        }
        pthread_mutex_unlock(&f->lock);
        return r;
}

static int oci_kill(void *data, const char *id, int sig, bool all, struct cric_error **err) {
        struct fake *f = data;
        pthread_mutex_lock(&f->lock);
        record(f, "kill %s%s %d", all ? "--all " : "", id, sig);
        struct child *c = find(f, id);
        int r = 0;
        if (must_fail(f, FAKE_KILL, err))
                r = -1;
        else if (!c || c->is_done)
                r = cric_error_set(err, CRIC_E_NOT_FOUND, "fake: container %s does not exist", id);
        else
                kill(c->pid, sig);
        pthread_mutex_unlock(&f->lock);
        return r;
}

static int oci_delete(void *data, const char *id, bool force, struct cric_error **err) {
        struct fake *f = data;
        pthread_mutex_lock(&f->lock);
        record(f, "delete %s", id);
        while (f->held[FAKE_DELETE])
                pthread_cond_wait(&f->released, &f->lock);
        struct child *c = find(f, id);
        int r = 0;
        if (must_fail(f, FAKE_DELETE, err))
                r = -1;
        else if (!c)
                r = cric_error_set(err, CRIC_E_NOT_FOUND, "fake: container %s does not exist", id);
        else {
                if (!c->is_done && force)
                        kill(c->pid, SIGKILL);
                c->is_deleted = true;
        }
        pthread_mutex_unlock(&f->lock);
        return r;
}

static int oci_update(void *data, const char *id, const char *json, struct cric_error **err) {
        struct fake *f = data;
        pthread_mutex_lock(&f->lock);
        record(f, "update %s", id);
        int r = must_fail(f, FAKE_UPDATE, err) ? -1 : 0;
        if (r == 0) {
                free(f->last_update);
                f->last_update = xstrdup(json);
        }
        pthread_mutex_unlock(&f->lock);
        return r;
}

static const struct oci_runtime_ops fake_ops = {
        .start = oci_start,
        .kill = oci_kill,
        .delete = oci_delete,
        .update = oci_update,
};

static int oci_open(void *data, const struct oci_runtime_opts *o, struct oci_runtime **ret, struct cric_error **err) {
        (void) o;
        (void) err;
        *ret = oci_runtime_new_ops(&fake_ops, data);
        return 0;
}

static int exec_sync(void *data, const struct monitor_exec_opts *o, struct monitor_exec_result *ret,
                     struct cric_error **err) {
        struct fake *f = data;
        AUTOFREE char *process = NULL;
        if (fs_read_file(o->process_path, 1 << 20, &process, NULL, err) < 0)
                return -1;
        pthread_mutex_lock(&f->lock);
        record(f, "exec %s", o->id);
        int r = must_fail(f, FAKE_EXEC, err) ? -1 : 0;
        if (r == 0) {
                free(f->last_exec);
                f->last_exec = STEAL_PTR(process);
                *ret = (struct monitor_exec_result){.exit_code = 7, .stdout_data = xstrdup("out"), .stdout_len = 3};
                ret->stderr_data = xstrdup("");
        }
        pthread_mutex_unlock(&f->lock);
        return r;
}

static int reopen_log(void *data, const char *socket_dir, const char *id, struct cric_error **err) {
        (void) socket_dir;
        (void) err;
        struct fake *f = data;
        pthread_mutex_lock(&f->lock);
        record(f, "reopen %s", id);
        pthread_mutex_unlock(&f->lock);
        return 0;
}

static bool is_alive(void *data, pid_t pid) {
        (void) data;
        return pid > 0 && kill(pid, 0) == 0;
}

/* ---- the fake itself ---- */

struct fake *fake_new(void) {
        struct fake *f = xzalloc(sizeof(*f));
        pthread_mutex_init(&f->lock, NULL);
        pthread_cond_init(&f->released, NULL);
        f->calls = xcalloc(1, sizeof(char *));
        f->be = (struct runtime_backend){
                .oci_open = oci_open,
                .monitor_create = monitor_create,
                .monitor_exec_sync = exec_sync,
                .monitor_reopen_log = reopen_log,
                .monitor_is_alive = is_alive,
                .data = f,
        };
        if (pthread_create(&f->reaper, NULL, reaper_main, f) != 0)
                abort();
        return f;
}

void fake_free(struct fake *f) {
        if (!f)
                return;
        pthread_mutex_lock(&f->lock);
        for (size_t i = 0; i < f->n; i++)
                if (!f->ctrs[i].is_done)
                        kill(f->ctrs[i].pid, SIGKILL);
        pthread_mutex_unlock(&f->lock);
        /* The reaper writes the last exit files and stops once every child is reaped. */
        for (;;) {
                pthread_mutex_lock(&f->lock);
                bool done = true;
                for (size_t i = 0; i < f->n; i++)
                        done = done && f->ctrs[i].is_done;
                f->stop = done;
                pthread_mutex_unlock(&f->lock);
                if (done)
                        break;
                usleep(1000);
        }
        pthread_join(f->reaper, NULL);
        for (size_t i = 0; i < f->n; i++) {
                if (f->ctrs[i].gate >= 0)
                        close(f->ctrs[i].gate);
                free(f->ctrs[i].exit_dir);
        }
        strv_free(f->calls);
        free(f->last_update);
        free(f->last_exec);
        pthread_cond_destroy(&f->released);
        pthread_mutex_destroy(&f->lock);
        free(f);
}

const struct runtime_backend *fake_backend(struct fake *f) {
        return &f->be;
}

void fake_fail(struct fake *f, enum fake_verb verb, int n) {
        pthread_mutex_lock(&f->lock);
        f->fails[verb] = n;
        pthread_mutex_unlock(&f->lock);
}

void fake_hold(struct fake *f, enum fake_verb verb, bool is_held) {
        pthread_mutex_lock(&f->lock);
        f->held[verb] = is_held;
        pthread_cond_broadcast(&f->released);
        pthread_mutex_unlock(&f->lock);
}

void fake_no_exit_file(struct fake *f) {
        pthread_mutex_lock(&f->lock);
        for (size_t i = 0; i < f->n; i++)
                f->ctrs[i].has_no_exit_file = !f->ctrs[i].is_done;
        pthread_mutex_unlock(&f->lock);
}

int fake_count(struct fake *f, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        AUTOFREE char *want = xvasprintf(fmt, ap);
        va_end(ap);
        int n = 0;
        pthread_mutex_lock(&f->lock);
        for (size_t i = 0; f->calls[i]; i++)
                n += !strcmp(f->calls[i], want);
        pthread_mutex_unlock(&f->lock);
        return n;
}

char *fake_calls(struct fake *f) {
        pthread_mutex_lock(&f->lock);
        char *s = strv_join(f->calls, "\n");
        pthread_mutex_unlock(&f->lock);
        return s;
}

char *fake_last_update(struct fake *f) {
        pthread_mutex_lock(&f->lock);
        char *s = f->last_update ? xstrdup(f->last_update) : NULL;
        pthread_mutex_unlock(&f->lock);
        return s;
}

char *fake_last_exec(struct fake *f) {
        pthread_mutex_lock(&f->lock);
        char *s = f->last_exec ? xstrdup(f->last_exec) : NULL;
        pthread_mutex_unlock(&f->lock);
        return s;
}

pid_t fake_pid(struct fake *f, const char *id) {
        pthread_mutex_lock(&f->lock);
        pid_t pid = 0;
        for (size_t i = 0; i < f->n; i++)
                if (!strcmp(f->ctrs[i].id, id))
                        pid = f->ctrs[i].pid;
        pthread_mutex_unlock(&f->lock);
        return pid;
}

bool fake_any_alive(struct fake *f) {
        pthread_mutex_lock(&f->lock);
        bool alive = false;
        for (size_t i = 0; i < f->n; i++)
                alive = alive || !f->ctrs[i].is_done;
        pthread_mutex_unlock(&f->lock);
        return alive;
}
