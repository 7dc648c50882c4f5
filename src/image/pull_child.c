/* The helper's side of a pull (cric-pull): it reads the job cricd sends, pulls with
 * the ordinary pipeline, and hands claims and commits to cricd through the remote
 * sink below. Whatever it unpacked and did not hand over is removed before it ends
 * (and cricd removes its directory in any case). */
#include <json-c/json.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "image/internal.h"
#include "image/pull_child.h"
#include "image/pull_wire.h"
#include "util/cleanup.h"
#include "util/crashpoint.h"
#include "util/log.h"
#include "util/strv.h"
#include "util/xalloc.h"

/* The reply to a request: the object, or -1 with the error cricd sent back. */
static int request(int sock, struct json_object *msg, struct json_object **ret, struct cric_error **err) {
        if (pull_wire_send(sock, msg, err) < 0 || pull_wire_recv(sock, ret, err) < 0)
                return cric_error_prefix(err, "talk to cricd");
        struct json_object *e = NULL;
        if (json_object_object_get_ex(*ret, "error", &e)) {
                pull_wire_error_take(e, err);
                json_putp(ret);
                return -1;
        }
        return 0;
}

static int remote_claim(void *ctx, char *const *chains, bool *present, struct cric_error **err) {
        AUTOJSON struct json_object *msg = jx_object(), *reply = NULL;
        jx_add(msg, "op", jx_string("claim"));
        jx_add(msg, "chains", jx_strv(chains));
        if (request(*(int *) ctx, msg, &reply, err) < 0)
                return -1;
        struct json_object *a = NULL;
        size_t n = strv_length(chains);
        if (!json_object_object_get_ex(reply, "present", &a) || !json_object_is_type(a, json_type_array) ||
            json_object_array_length(a) != n)
                return cric_error_set(err, CRIC_E_INVALID, "cricd's answer to a claim has no present[%zu]", n);
        for (size_t i = 0; i < n; i++)
                present[i] = json_object_get_boolean(json_object_array_get_idx(a, i));
        return 0;
}

static void remote_release(void *ctx, char *const *chains) {
        AUTOJSON struct json_object *msg = jx_object();
        jx_add(msg, "op", jx_string("release"));
        jx_add(msg, "chains", jx_strv(chains));
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        if (pull_wire_send(*(int *) ctx, msg, &err) < 0)
                cric_error_log_free(&err, "release the claim on %zu layers", strv_length(chains));
}

static struct json_object *layer_msg(const struct pull_layer_out *l) {
        struct json_object *o = jx_object();
        pull_wire_add_str(o, "chain_id", l->chain_id);
        pull_wire_add_str(o, "diff_id", l->diff_id);
        pull_wire_add_str(o, "digest", l->digest);
        jx_add(o, "size", jx_int64(l->size));
        jx_add(o, "compressed_size", jx_int64(l->compressed_size));
        if (l->tmp) {
                jx_add(o, "tmp", jx_string(layer_tmp_name(l->tmp)));
                jx_add(o, "synced", jx_bool(l->tmp->is_synced));
        }
        return o;
}

static int remote_commit(void *ctx, struct pull_out *o, char **ret_id, struct cric_error **err) {
        AUTOJSON struct json_object *msg = jx_object(), *reply = NULL;
        jx_add(msg, "op", jx_string("commit"));
        struct json_object *layers = jx_array();
        for (size_t i = 0; i < o->n; i++)
                jx_append(layers, layer_msg(&o->layers[i]));
        jx_add(msg, "layers", layers);
        jx_add(msg, "chains", jx_strv(o->chains));
        pull_wire_add_str(msg, "id", o->id);
        pull_wire_add_str(msg, "config_json", o->config_json);
        pull_wire_add_str(msg, "manifest_digest", o->manifest_digest);
        pull_wire_add_str(msg, "tag", o->tag);
        pull_wire_add_str(msg, "repo_digest", o->repo_digest);
        crashpoint("pull-helper-unpacked");
        int r = pull_wire_send(*(int *) ctx, msg, err);
        /* Once sent, the layers are cricd's to commit or remove, even if it then fails. */
        for (size_t i = 0; i < o->n; i++)
                o->layers[i].tmp = r == 0 ? layer_tmp_forget(o->layers[i].tmp) : layer_tmp_discard(o->layers[i].tmp);
        if (r < 0)
                return cric_error_prefix(err, "talk to cricd");
        if (pull_wire_recv(*(int *) ctx, &reply, err) < 0)
                return cric_error_prefix(err, "talk to cricd");
        return pull_wire_take_id(reply, "cricd's answer to a commit", ret_id, err);
}

static const struct pull_sink remote_sink = {
        .claim = remote_claim,
        .release = remote_release,
        .commit = remote_commit,
};

/* The job's settings, pointing into job. */
static void opts_of(struct json_object *job, struct image_service_opts *o, char ***insecure) {
        *o = (struct image_service_opts){
                .registries_conf = pull_wire_str(job, "registries_conf"),
                .auth_file = pull_wire_str(job, "auth_file"),
                .certs_dir = pull_wire_str(job, "certs_dir"),
                .max_parallel_layers = (unsigned) pull_wire_int(job, "max_parallel_layers"),
                .signature_policy = pull_wire_str(job, "signature_policy"),
                .signature_policy_is_default = pull_wire_bool(job, "signature_policy_is_default"),
                .signature_policy_dir = pull_wire_str(job, "signature_policy_dir"),
                .registries_d = pull_wire_str(job, "registries_d"),
                .tmp_dir = pull_wire_str(job, "tmp_dir"),
        };
        if (pull_wire_strv(job, "insecure_registries", insecure, NULL) == 0)
                o->insecure_registries = *insecure;
}

static bool auth_of(struct json_object *job, struct registry_auth *a) {
        struct json_object *o = NULL;
        if (!json_object_object_get_ex(job, "auth", &o) || !json_object_is_type(o, json_type_object))
                return false;
        *a = (struct registry_auth){
                .username = pull_wire_str(o, "username"),
                .password = pull_wire_str(o, "password"),
                .auth = pull_wire_str(o, "auth"),
                .identity_token = pull_wire_str(o, "identity_token"),
                .registry_token = pull_wire_str(o, "registry_token"),
        };
        return true;
}

/* Runs the job: 0 with the image id, or -1. */
static int run_job(int sock, struct json_object *job, char **ret_id, uint64_t *ret_bytes, struct cric_error **err) {
        const char *input = pull_wire_str(job, "input"), *root = pull_wire_str(job, "storage_root");
        const char *driver = pull_wire_str(job, "storage_driver"), *tmp = pull_wire_str(job, "storage_tmp");
        if (!input || !root || !driver || !tmp)
                return cric_error_set(err, CRIC_E_INVALID, "pull helper: the job lacks an image or the storage");
        CLEANUP(layer_store_freep) struct layer_store *ls = NULL;
        if (layer_store_attach(root, storage_driver_from_name(driver), NULL, tmp, &ls, err) < 0)
                return -1;
        struct image_service_opts o;
        CLEANUP(strv_freep) char **insecure = NULL;
        opts_of(job, &o, &insecure);
        CLEANUP(image_service_freep)
        struct image_service *svc = image_service_new_detached(ls, &o, &remote_sink, &sock);
        struct registry_auth auth;
        bool has_auth = auth_of(job, &auth);
        int r = pull_image(svc, input, has_auth ? &auth : NULL, pull_wire_str(job, "ns"), ret_id, err);
        *ret_bytes = __atomic_load_n(&svc->pulled_bytes, __ATOMIC_RELAXED);
        return r;
}

int pull_child_main(int sock) {
        CLEANUP(cric_error_freep) struct cric_error *err = NULL;
        AUTOJSON struct json_object *job = NULL;
        if (pull_wire_recv(sock, &job, &err) < 0) {
                log_error("cric-pull: no job from cricd: %s", err->msg);
                return 1;
        }
        /* The thread that started us waits for our answer: when cricd dies, so do we. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != (pid_t) pull_wire_int(job, "parent"))
                return 1;
        log_set_level((enum log_level) pull_wire_int(job, "log_level"));
        log_set_format((enum log_format) pull_wire_int(job, "log_format"));
        AUTOFREE char *prefix = xasprintf("cric-pull[%d]: ", (int) getpid());
        log_set_prefix(prefix);
        AUTOFREE char *id = NULL;
        uint64_t bytes = 0;
        int r = run_job(sock, job, &id, &bytes, &err);
        AUTOJSON struct json_object *done = jx_object();
        jx_add(done, "op", jx_string("done"));
        jx_add(done, "bytes", jx_uint64(bytes));
        if (r < 0)
                jx_add(done, "error", pull_wire_error_new(err));
        else
                jx_add(done, "id", jx_string(id));
        cric_error_freep(&err);
        if (pull_wire_send(sock, done, &err) < 0) {
                log_error("cric-pull: %s", err->msg);
                return 1;
        }
        return 0;
}
