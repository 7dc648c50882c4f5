/* process.args, env, cwd and terminal: the CRI config merged with the image config the
 * way the kubelet expects (Docker's ENTRYPOINT/CMD rules). */
#include <string.h>

#include "oci/internal.h"
#include "util/cleanup.h"
#include "util/strv.h"
#include "util/xalloc.h"

static void push_all(char ***v, char *const *src, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (src[i])
                        strv_push(v, src[i]);
}

/* CRI command set: command + CRI args (the image's ENTRYPOINT and CMD are both dropped).
 * Else CRI args set: ENTRYPOINT + CRI args. Else ENTRYPOINT + CMD. */
static char **merge_args(const struct oci_container_input *in) {
        const struct oci_image_defaults *img = in->image;
        char **v = NULL;
        if (in->n_command > 0) {
                push_all(&v, in->command, in->n_command);
                push_all(&v, in->args, in->n_args);
        } else if (in->n_args > 0) {
                if (img)
                        push_all(&v, img->entrypoint, img->n_entrypoint);
                push_all(&v, in->args, in->n_args);
        } else if (img) {
                push_all(&v, img->entrypoint, img->n_entrypoint);
                push_all(&v, img->cmd, img->n_cmd);
        }
        return v;
}

static size_t key_len(const char *kv) {
        const char *eq = strchr(kv, '=');
        return eq ? (size_t) (eq - kv) : strlen(kv);
}

/* Replaces the entry with kv's key, or appends kv. */
static void env_set(char ***env, const char *kv) {
        size_t kl = key_len(kv);
        for (char **e = *env; e && *e; e++) {
                if (key_len(*e) == kl && strncmp(*e, kv, kl) == 0) {
                        free(*e);
                        *e = xstrdup(kv);
                        return;
                }
        }
        strv_push(env, kv);
}

static bool env_has(char **env, const char *key) {
        size_t kl = strlen(key);
        for (char **e = env; e && *e; e++)
                if (key_len(*e) == kl && strncmp(*e, key, kl) == 0)
                        return true;
        return false;
}

/* What every program of the pod finds as its host name (containerd and CRI-O set it too). */
static const char *hostname_of(const struct spec_ctx *c) {
        return !str_empty(c->sb->hostname) ? c->sb->hostname : c->host->node_hostname;
}

static char **merge_env(const struct spec_ctx *c) {
        const struct oci_container_input *in = c->in;
        char **env = NULL;
        if (in->image)
                for (size_t i = 0; i < in->image->n_env; i++)
                        if (!str_empty(in->image->env[i]))
                                env_set(&env, in->image->env[i]);
        for (size_t i = 0; i < in->n_env; i++)
                if (!str_empty(in->env[i]))
                        env_set(&env, in->env[i]);
        if (!env_has(env, "PATH"))
                strv_push(&env, OCI_DEFAULT_PATH);
        /* What CRI-O and containerd give an interactive container. */
        if (in->tty && !env_has(env, "TERM"))
                strv_push(&env, "TERM=xterm");
        if (!env_has(env, "HOSTNAME") && !str_empty(hostname_of(c)))
                strv_push_take(&env, xasprintf("HOSTNAME=%s", hostname_of(c)));
        return env;
}

static int container_process(struct spec_ctx *c, struct cric_error **err) {
        const struct oci_container_input *in = c->in;
        CLEANUP(strv_freep) char **args = merge_args(in);
        if (strv_length(args) == 0)
                return cric_error_set(err, CRIC_E_INVALID, "%s: no command given and the image has none", c->what);
        CLEANUP(strv_freep) char **env = merge_env(c);
        const char *cwd = in->working_dir;
        if (str_empty(cwd) && in->image)
                cwd = in->image->working_dir;
        if (str_empty(cwd))
                cwd = "/";
        if (cwd[0] != '/')
                return cric_error_set(err, CRIC_E_INVALID, "%s: working directory \"%s\" is not absolute", c->what,
                                      cwd);
        jx_add(c->process, "terminal", jx_bool(in->tty));
        jx_add(c->process, "args", spec_str_array(args, strv_length(args)));
        jx_add(c->process, "env", spec_str_array(env, strv_length(env)));
        spec_set_str(c->process, "cwd", cwd);
        jx_add(c->process, "noNewPrivileges", jx_bool(c->sec->no_new_privs));
        if (spec_add_rlimits(c, err) < 0)
                return -1;
        return spec_oom_score_adj(c, in->resources.oom_score_adj, err);
}

/* The kubelet's oom_score_adj for pod infrastructure. */
#define INFRA_OOM_SCORE_ADJ (-998)

static int infra_process(struct spec_ctx *c, struct cric_error **err) {
        const char *pause = str_empty(c->infra->pause_path) ? "/pause" : c->infra->pause_path;
        if (pause[0] != '/')
                return cric_error_set(err, CRIC_E_INVALID, "%s: pause path \"%s\" is not absolute", c->what, pause);
        char *args[] = {(char *) pause};
        char *env[] = {(char *) OCI_DEFAULT_PATH};
        jx_add(c->process, "terminal", jx_bool(false));
        jx_add(c->process, "args", spec_str_array(args, 1));
        jx_add(c->process, "env", spec_str_array(env, 1));
        spec_set_str(c->process, "cwd", "/");
        jx_add(c->process, "noNewPrivileges", jx_bool(true));
        return spec_oom_score_adj(c, INFRA_OOM_SCORE_ADJ, err);
}

int spec_add_process(struct spec_ctx *c, struct cric_error **err) {
        return c->in ? container_process(c, err) : infra_process(c, err);
}
