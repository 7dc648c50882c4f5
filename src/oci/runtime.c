/* The OCI runtime's command line (crun and runc share it), behind a vtable so tests and
 * other runtimes can stand in. `create` and `exec` are the monitor's: it takes
 * oci_runtime_base_argv and adds the verb. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/oci.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/sealed_exe.h"
#include "util/spawn.h"
#include "util/strv.h"
#include "util/xalloc.h"

#define DEFAULT_TIMEOUT_MS 30000

struct oci_runtime {
        struct oci_runtime_ops ops;
        void *data;
};

struct cli {
        char **base; /* binary and global flags */
        unsigned timeout_ms;
        enum oci_flavor fifo_flavor; /* OCI_FLAVOR_OTHER: `start` always runs the binary */
        char *root;
        pid_t init_pid;
};

void oci_state_clear(struct oci_state *s) {
        free(s->id);
        free(s->status);
        free(s->bundle);
        *s = (struct oci_state){0};
}

/* crun: "... /run/crun/<id>/status: No such file or directory"; runc: "container does not exist". */
static bool says_not_found(const char *msg) {
        return strstr(msg, "does not exist") || strstr(msg, "No such file or directory");
}

static int cli_run(struct cli *cli, const char *const *verb, const char *in, char **ret_out, struct cric_error **err) {
        CLEANUP(strv_freep) char **argv = strv_copy(cli->base);
        for (; *verb; verb++)
                strv_push(&argv, *verb);
        struct spawn_opts opts = {
                .stdin_data = in,
                .stdin_len = in ? strlen(in) : 0,
                .timeout_ms = cli->timeout_ms,
        };
        char exe[32];
        AUTOCLOSE int exe_fd = sealed_exe_try(argv[0]);
        if (exe_fd >= 0)
                opts.exec_path = sealed_exe_path(exe_fd, exe, sizeof(exe));
        if (spawn_run(argv, &opts, ret_out, err) < 0) {
                if (err && *err && (*err)->kind == CRIC_E_INTERNAL && says_not_found((*err)->msg))
                        (*err)->kind = CRIC_E_NOT_FOUND;
                return -1;
        }
        return 0;
}

static int cli_start(void *data, const char *id, struct cric_error **err) {
        struct cli *cli = data;
        int r = oci_start_by_fifo(cli->fifo_flavor, cli->root, id, cli->init_pid, cli->timeout_ms, err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        return cli_run(cli, (const char *[]){"start", id, NULL}, NULL, NULL, err);
}

static int cli_kill(void *data, const char *id, int signal, bool all, struct cric_error **err) {
        char sig[16];
        snprintf(sig, sizeof(sig), "%d", signal);
        if (all)
                return cli_run(data, (const char *[]){"kill", "--all", id, sig, NULL}, NULL, NULL, err);
        return cli_run(data, (const char *[]){"kill", id, sig, NULL}, NULL, NULL, err);
}

static int cli_delete(void *data, const char *id, bool force, struct cric_error **err) {
        if (force)
                return cli_run(data, (const char *[]){"delete", "--force", id, NULL}, NULL, NULL, err);
        return cli_run(data, (const char *[]){"delete", id, NULL}, NULL, NULL, err);
}

static char *get_string(struct json_object *o, const char *key) {
        struct json_object *v = NULL;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return xstrdup(json_object_get_string(v));
}

static int parse_state(const char *out, struct oci_state *ret, struct cric_error **err) {
        AUTOJSON struct json_object *o = NULL;
        if (json_parse_object(out, strlen(out), "runtime state", &o, err) < 0) {
                if (err && *err)
                        (*err)->kind = CRIC_E_INTERNAL; /* the runtime misbehaved, not our caller */
                return -1;
        }
        struct oci_state s = {
                .id = get_string(o, "id"), .status = get_string(o, "status"), .bundle = get_string(o, "bundle")};
        struct json_object *pid = NULL;
        if (json_object_object_get_ex(o, "pid", &pid) && json_object_is_type(pid, json_type_int))
                s.pid = (pid_t) json_object_get_int(pid);
        if (!s.status) {
                oci_state_clear(&s);
                return cric_error_set(err, CRIC_E_INTERNAL, "runtime state: no status");
        }
        *ret = s;
        return 0;
}

static int cli_state(void *data, const char *id, struct oci_state *ret, struct cric_error **err) {
        AUTOFREE char *out = NULL;
        if (cli_run(data, (const char *[]){"state", id, NULL}, NULL, &out, err) < 0)
                return -1;
        return parse_state(out, ret, err);
}

static int cli_update(void *data, const char *id, const char *resources_json, struct cric_error **err) {
        return cli_run(data, (const char *[]){"update", "--resources", "-", id, NULL}, resources_json, NULL, err);
}

static char **cli_base_argv(void *data) {
        return strv_copy(((struct cli *) data)->base);
}

static void cli_free(void *data) {
        struct cli *cli = data;
        strv_free(cli->base);
        free(cli->root);
        free(cli);
}

static const struct oci_runtime_ops cli_ops = {
        .start = cli_start,
        .kill = cli_kill,
        .delete = cli_delete,
        .state = cli_state,
        .update = cli_update,
        .base_argv = cli_base_argv,
        .free = cli_free,
};

int oci_runtime_new(const struct oci_runtime_opts *opts, struct oci_runtime **ret, struct cric_error **err) {
        if (!opts->path || !*opts->path)
                return cric_error_set(err, CRIC_E_INVALID, "no OCI runtime path given");
        char *path = fs_find_in_path(opts->path);
        if (!path)
                return cric_error_set(err, CRIC_E_NOT_FOUND, "OCI runtime %s not found", opts->path);
        struct cli *cli = xzalloc(sizeof(*cli));
        cli->timeout_ms = opts->timeout_ms ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
        /* with --root known and no global flag that could move the state elsewhere */
        if (opts->start_by_fifo && opts->root && *opts->root && !(opts->extra_args && *opts->extra_args)) {
                cli->fifo_flavor = oci_flavor_of(path);
                cli->root = xstrdup(opts->root);
                cli->init_pid = opts->init_pid;
        }
        strv_push_take(&cli->base, path);
        if (opts->root && *opts->root) {
                strv_push(&cli->base, "--root");
                strv_push(&cli->base, opts->root);
        }
        for (char *const *a = opts->extra_args; a && *a; a++)
                strv_push(&cli->base, *a);
        if (opts->systemd_cgroup)
                strv_push(&cli->base, "--systemd-cgroup");
        *ret = oci_runtime_new_ops(&cli_ops, cli);
        return 0;
}

struct oci_runtime *oci_runtime_new_ops(const struct oci_runtime_ops *ops, void *data) {
        struct oci_runtime *rt = xzalloc(sizeof(*rt));
        rt->ops = *ops;
        rt->data = data;
        return rt;
}

struct oci_runtime *oci_runtime_free(struct oci_runtime *rt) {
        if (rt && rt->ops.free)
                rt->ops.free(rt->data);
        free(rt);
        return NULL;
}

void oci_runtime_freep(struct oci_runtime **rt) {
        *rt = oci_runtime_free(*rt);
}

/* An id that starts with '-' would read as a flag; one with '/' would leave the state dir. */
static int check_id(const char *id, struct cric_error **err) {
        if (!id || !*id || id[0] == '-' || strchr(id, '/'))
                return cric_error_set(err, CRIC_E_INVALID, "bad container id \"%s\"", id ? id : "");
        return 0;
}

#define CALL(rt, verb, id, err, ...)                                                                                   \
        (check_id(id, err) < 0 ? -1                                                                                    \
         : !(rt)->ops.verb     ? cric_error_set(err, CRIC_E_UNIMPLEMENTED, "runtime has no " #verb)                    \
                               : (rt)->ops.verb((rt)->data, id, __VA_ARGS__))

int oci_runtime_start(struct oci_runtime *rt, const char *id, struct cric_error **err) {
        return CALL(rt, start, id, err, err);
}

int oci_runtime_kill(struct oci_runtime *rt, const char *id, int signal, bool all, struct cric_error **err) {
        if (signal <= 0 || signal >= 65)
                return cric_error_set(err, CRIC_E_INVALID, "bad signal %d", signal);
        return CALL(rt, kill, id, err, signal, all, err);
}

int oci_runtime_delete(struct oci_runtime *rt, const char *id, bool force, struct cric_error **err) {
        return CALL(rt, delete, id, err, force, err);
}

int oci_runtime_state(struct oci_runtime *rt, const char *id, struct oci_state *ret, struct cric_error **err) {
        return CALL(rt, state, id, err, ret, err);
}

int oci_runtime_update(struct oci_runtime *rt, const char *id, const char *resources_json, struct cric_error **err) {
        if (!resources_json)
                return cric_error_set(err, CRIC_E_INVALID, "no resources given");
        return CALL(rt, update, id, err, resources_json, err);
}

char **oci_runtime_base_argv(struct oci_runtime *rt) {
        return rt->ops.base_argv ? rt->ops.base_argv(rt->data) : NULL;
}
