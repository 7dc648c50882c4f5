/* cricd's side of a pull in a helper process. cric-pull does the network and the
 * unpacking (libcurl, libarchive, the decompressors and their buffers stay out of the
 * daemon); cricd keeps what must stay consistent across pulls: the claims on layers
 * being pulled, and every commit to the store and the database. The helper unpacks
 * under a directory of its own in <storage>/tmp/, removed when it ends, whatever
 * happened to it. */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/internal.h"
#include "image/pull_wire.h"
#include "metrics/metrics.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/reap.h"
#include "util/rm.h"
#include "util/spawn.h"
#include "util/strv.h"
#include "util/xalloc.h"

struct helper {
        struct image_service *svc;
        int sock;
        char *dir;      /* <storage>/tmp/pull-XXXXXX */
        char **claimed; /* the chains claimed for the helper, until it releases them */
        uint64_t bytes; /* what the helper says it fetched */
        bool answered;  /* it said it was done (with an image or its own error) */
};

static void auth_add(struct json_object *job, const struct registry_auth *a) {
        if (!a)
                return;
        struct json_object *o = jx_object();
        pull_wire_add_str(o, "username", a->username);
        pull_wire_add_str(o, "password", a->password);
        pull_wire_add_str(o, "auth", a->auth);
        pull_wire_add_str(o, "identity_token", a->identity_token);
        pull_wire_add_str(o, "registry_token", a->registry_token);
        jx_add(job, "auth", o);
}

static struct json_object *job_new(struct helper *h, const char *input, const struct registry_auth *auth,
                                   const char *ns) {
        struct image_service *svc = h->svc;
        struct json_object *job = jx_object();
        jx_add(job, "op", jx_string("pull"));
        jx_add(job, "parent", jx_int64(getpid()));
        jx_add(job, "input", jx_string(input));
        pull_wire_add_str(job, "ns", ns);
        auth_add(job, auth);
        pull_wire_add_str(job, "registries_conf", svc->registries_conf);
        pull_wire_add_str(job, "auth_file", svc->auth_file);
        pull_wire_add_str(job, "certs_dir", svc->certs_dir);
        jx_add(job, "max_parallel_layers", jx_int64(svc->max_parallel_layers));
        pull_wire_add_str(job, "signature_policy", svc->signature_policy);
        jx_add(job, "signature_policy_is_default", jx_bool(svc->signature_policy_is_default));
        pull_wire_add_str(job, "signature_policy_dir", svc->signature_policy_dir);
        pull_wire_add_str(job, "registries_d", svc->registries_d);
        pull_wire_add_str(job, "tmp_dir", svc->tmp_dir);
        jx_add(job, "insecure_registries", jx_strv(svc->insecure_registries));
        pull_wire_add_str(job, "storage_root", layer_store_root(svc->ls));
        pull_wire_add_str(job, "storage_driver", storage_driver_name(layer_store_driver(svc->ls)));
        pull_wire_add_str(job, "storage_tmp", h->dir);
        jx_add(job, "log_level", jx_int64(log_get_level()));
        jx_add(job, "log_format", jx_int64(log_get_format()));
        return job;
}

static int reply_error(struct helper *h, const struct cric_error *e, struct cric_error **err) {
        AUTOJSON struct json_object *r = jx_object();
        jx_add(r, "error", pull_wire_error_new(e));
        return pull_wire_send(h->sock, r, err);
}

static int serve_claim(struct helper *h, struct json_object *msg, struct cric_error **err) {
        CLEANUP(strv_freep) char **chains = NULL;
        if (pull_wire_strv(msg, "chains", &chains, err) < 0)
                return -1;
        if (h->claimed || !chains)
                return cric_error_set(err, CRIC_E_INVALID, "pull helper: a claim %s",
                                      h->claimed ? "while it holds one" : "without chains");
        size_t n = strv_length(chains);
        AUTOFREE bool *present = xcalloc(n + 1, sizeof(bool));
        if (h->svc->sink->claim(h->svc->sink_ctx, chains, present, err) < 0)
                return -1;
        h->claimed = STEAL_PTR(chains);
        AUTOJSON struct json_object *r = jx_object();
        struct json_object *a = jx_array();
        for (size_t i = 0; i < n; i++)
                jx_append(a, jx_bool(present[i]));
        jx_add(r, "present", a);
        return pull_wire_send(h->sock, r, err);
}

static void release_claim(struct helper *h) {
        if (h->claimed)
                h->svc->sink->release(h->svc->sink_ctx, h->claimed);
        h->claimed = strv_free(h->claimed);
}

/* The layers of a commit message: strings it names stay owned by msg. */
static int commit_layers_of(struct helper *h, struct json_object *msg, struct pull_layer_out **ret, size_t *ret_n,
                            struct cric_error **err) {
        struct json_object *a = NULL;
        if (!json_object_object_get_ex(msg, "layers", &a) || !json_object_is_type(a, json_type_array))
                return cric_error_set(err, CRIC_E_INVALID, "pull helper: a commit without layers");
        size_t n = json_object_array_length(a);
        struct pull_layer_out *layers = xcalloc(n ? n : 1, sizeof(*layers));
        *ret = layers;
        *ret_n = n;
        for (size_t i = 0; i < n; i++) {
                struct json_object *l = json_object_array_get_idx(a, i);
                struct pull_layer_out *o = &layers[i];
                o->chain_id = pull_wire_str(l, "chain_id");
                o->diff_id = pull_wire_str(l, "diff_id");
                o->digest = pull_wire_str(l, "digest");
                o->size = pull_wire_int(l, "size");
                o->compressed_size = pull_wire_int(l, "compressed_size");
                if (!o->chain_id || !o->diff_id)
                        return cric_error_set(err, CRIC_E_INVALID, "pull helper: layer %zu of a commit has no id", i);
                const char *tmp = pull_wire_str(l, "tmp");
                if (tmp && layer_tmp_adopt(h->svc->ls, h->dir, tmp, pull_wire_bool(l, "synced"), &o->tmp, err) < 0)
                        return -1;
        }
        return 0;
}

static bool is_image_id(const char *id) {
        return id && strlen(id) == 64 && strspn(id, "0123456789abcdef") == 64;
}

static int serve_commit(struct helper *h, struct json_object *msg, struct cric_error **err) {
        struct pull_layer_out *layers = NULL;
        size_t n = 0;
        CLEANUP(strv_freep) char **chains = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        AUTOFREE char *id = NULL;
        int r = commit_layers_of(h, msg, &layers, &n, &e);
        if (r == 0)
                r = pull_wire_strv(msg, "chains", &chains, &e);
        struct pull_out out = {
                .layers = layers,
                .n = n,
                .chains = chains,
                .id = pull_wire_str(msg, "id"),
                .config_json = pull_wire_str(msg, "config_json"),
                .manifest_digest = pull_wire_str(msg, "manifest_digest"),
                .tag = pull_wire_str(msg, "tag"),
                .repo_digest = pull_wire_str(msg, "repo_digest"),
        };
        if (r == 0 && (strv_length(chains) != n || !out.config_json || !out.manifest_digest || !out.repo_digest))
                r = cric_error_set(&e, CRIC_E_INVALID, "pull helper: an incomplete commit");
        if (r == 0 && !is_image_id(out.id))
                r = cric_error_set(&e, CRIC_E_INVALID, "pull helper: a commit without a valid image id");
        if (r == 0)
                r = h->svc->sink->commit(h->svc->sink_ctx, &out, &id, &e);
        for (size_t i = 0; i < n; i++)
                layer_tmp_discard(layers[i].tmp); /* commit took them; these are what it did not reach */
        free(layers);
        if (r < 0)
                return reply_error(h, e, err);
        AUTOJSON struct json_object *reply = jx_object();
        jx_add(reply, "id", jx_string(id));
        return pull_wire_send(h->sock, reply, err);
}

/* Answers the helper until it says it is done: 0 with its image id, or -1 with its
 * error or the reason it could not go on. */
static int serve(struct helper *h, char **ret_id, struct cric_error **err) {
        for (;;) {
                AUTOJSON struct json_object *msg = NULL;
                if (pull_wire_recv(h->sock, &msg, err) < 0)
                        return -1;
                const char *op = pull_wire_str(msg, "op");
                op = op ? op : "";
                int r = 0;
                if (!strcmp(op, "claim"))
                        r = serve_claim(h, msg, err);
                else if (!strcmp(op, "release"))
                        release_claim(h);
                else if (!strcmp(op, "commit"))
                        r = serve_commit(h, msg, err);
                else if (!strcmp(op, "done")) {
                        h->answered = true;
                        h->bytes = (uint64_t) pull_wire_int(msg, "bytes");
                        return pull_wire_take_id(msg, "pull helper: done", ret_id, err);
                } else
                        r = cric_error_set(err, CRIC_E_INVALID, "pull helper: unknown message \"%s\"", op);
                if (r < 0)
                        return -1;
        }
}

/* Waits for the helper: 0 when it exited 0, else -1 with how it ended. */
static int reap(pid_t pid, const char *path, struct cric_error **err) {
        int status = 0;
        if (reap_child(pid, &status) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "wait for pull helper %s (pid %d)", path,
                                        (int) pid);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        char how[64];
        return cric_error_set(err, CRIC_E_INTERNAL, "pull helper %s (pid %d) %s%s", path, (int) pid,
                              exit_text(status, how, sizeof(how)), WIFEXITED(status) ? " before it was done" : "");
}

int pull_in_helper(struct image_service *svc, const char *input, const struct registry_auth *auth, const char *ns,
                   char **ret_id, struct cric_error **err) {
        struct helper h = {.svc = svc, .sock = -1};
        h.dir = xasprintf("%s/tmp/pull-XXXXXX", layer_store_root(svc->ls));
        if (!mkdtemp(h.dir)) {
                int e = errno;
                cric_error_errno(err, CRIC_E_INTERNAL, e, "pull %s: create %s", input, h.dir);
                free(h.dir);
                return -1;
        }
        int sv[2] = {-1, -1};
        pid_t pid = -1;
        int r = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
        if (r < 0)
                cric_error_errno(err, CRIC_E_INTERNAL, errno, "pull %s: socketpair", input);
        if (r == 0) {
                char *argv[] = {(char *) "cric-pull", NULL};
                struct spawn_opts so = {.exec_path = svc->pull_helper, .pass_fd = sv[1]};
                pid = spawn_start(argv, &so, err);
                close(sv[1]);
                h.sock = sv[0];
                r = pid < 0 ? cric_error_prefix(err, "pull %s", input) : 0;
        }
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (r == 0) {
                AUTOJSON struct json_object *job = job_new(&h, input, auth, ns);
                r = pull_wire_send(h.sock, job, &e);
                if (r == 0)
                        r = serve(&h, ret_id, &e);
        }
        release_claim(&h);
        if (h.sock >= 0)
                close(h.sock);
        CLEANUP(cric_error_freep) struct cric_error *why = NULL;
        if (pid > 0 && reap(pid, svc->pull_helper, &why) < 0) {
                if (h.answered) /* its answer stands */
                        cric_error_log_free(&why, "pull %s: after its answer", input);
                else {
                        /* a conversation cut short: how the helper ended explains it */
                        log_warn("pull %s: %s (%s)", input, why->msg, e ? e->msg : "no message");
                        cric_error_move(&e, &why);
                }
        }
        if (r < 0 && !h.answered)
                cric_error_prefix(&e, "pull %s", input);
        metrics_image_pull_bytes(h.bytes);
        CLEANUP(cric_error_freep) struct cric_error *rm_err = NULL;
        if (rm_rf(h.dir, &rm_err) < 0)
                cric_error_log_free(&rm_err, "pull %s: remove %s", input, h.dir);
        free(h.dir);
        return r < 0 ? cric_error_move(err, &e) : 0;
}
