/* CreateContainer: the CRI config, the pod and the image become an OCI bundle. */
#include <stdlib.h>
#include <string.h>

#include "cgroup/cgroup.h"
#include "cri.pb-c.h"
#include "image/image.h"
#include "image/image_config.h"
#include "oci/oci.h"
#include "runtime/runtime.h"
#include "server/ctr_convert.h"
#include "server/ctr_signal.h"
#include "server/pod_convert.h"
#include "server/rpc.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Everything make_spec needs, gathered before the runtime calls it. */
struct create_ctx {
        struct rpc_ctx *rpc;
        const Runtime__V1__ContainerConfig *config;
        const Runtime__V1__PodSandboxConfig *pod_config;
        const struct pod_row *pod;
        const struct image_config *image;
        const char *image_name;
};

static int name_cgroups(struct create_ctx *c, const char *id, char **ret_cgroup, char **ret_oom_dir,
                        struct cric_error **err) {
        const struct cgroup_driver *drv = cgroup_driver_find(cgroup_manager_to_string(c->rpc->cfg->cgroup_manager));
        if (!drv)
                return cric_error_set(err, CRIC_E_INTERNAL, "no cgroup driver %s",
                                      cgroup_manager_to_string(c->rpc->cfg->cgroup_manager));
        if (drv->container_cgroup(pod_cgroup_parent(c->rpc->cfg, c->pod_config), id, ret_cgroup, err) < 0)
                return -1;
        const struct cgroup_mounts *m = runtime_cgroups(c->rpc->deps->runtime);
        CLEANUP(cgroup_paths_freep) struct cgroup_paths *paths = NULL;
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        if (m && cgroup_paths_new(m, *ret_cgroup, &paths, &e) == 0) {
                const char *mem = cgroup_paths_get(paths, cgroup_mounts_mode(m) == CGROUP_V2 ? "" : "memory");
                *ret_oom_dir = mem ? xstrdup(mem) : NULL;
        }
        return 0;
}

/* PID mode TARGET: the pid namespace of the running container target_id. */
static int target_pid_ns(struct create_ctx *c, char **ret, struct cric_error **err) {
        const Runtime__V1__LinuxContainerSecurityContext *sc =
                c->config->linux ? c->config->linux->security_context : NULL;
        const char *target = sc && sc->namespace_options ? sc->namespace_options->target_id : "";
        CLEANUP(container_row_freep) struct container_row *t = NULL;
        if (runtime_container_get(c->rpc->deps->runtime, target, &t, err) < 0)
                return cric_error_prefix(err, "PID namespace target");
        if (t->state != CONTAINER_ROW_RUNNING || t->pid <= 0)
                return cric_error_set(err, CRIC_E_PRECONDITION, "PID namespace target %s is not running", t->id);
        if (strcmp(t->pod_id, c->pod->id))
                return cric_error_set(err, CRIC_E_INVALID, "PID namespace target %s is in another pod", t->id);
        *ret = xasprintf("/proc/%d/ns/pid", (int) t->pid);
        return 0;
}

static int make_spec(void *data, const char *id, const char *rootfs, char **ret_json, char **ret_cgroup,
                     char **ret_oom_dir, struct cric_error **err) {
        struct create_ctx *c = data;
        struct ctr_arena arena = {0};
        struct pod_paths pp = {0};
        runtime_pod_paths(c->rpc->deps->runtime, c->pod, &pp);
        struct ctr_pod_paths paths = {
                .id = c->pod->id,
                .netns = pp.netns,
                .ipcns = pp.ipcns,
                .utsns = pp.utsns,
                .resolv_conf = pp.resolv_conf,
                .hosts = pp.hosts,
                .hostname_file = pp.hostname,
                .shm = pp.shm,
                .pause_pid = pp.pause_pid,
        };
        struct oci_sandbox sb;
        struct oci_container_input in;
        struct oci_image_defaults defaults;
        struct oci_host host;
        int r = ctr_sandbox_from_cri(c->pod_config, &paths, &arena, &sb, err);
        if (r == 0) {
                sb.cgroup_parent = pod_cgroup_parent(c->rpc->cfg, c->pod_config);
                r = ctr_input_from_cri(c->config, &arena, &in, err);
        }
        AUTOFREE char *target = NULL;
        if (r == 0 && in.security.ns.pid == OCI_NS_TARGET && (r = target_pid_ns(c, &target, err)) == 0)
                in.security.ns.target_pid_ns_path = target;
        if (r == 0) {
                ctr_image_defaults(c->image, c->image_name, &defaults);
                in.id = id;
                in.rootfs = rootfs;
                in.image = &defaults;
                in.sandbox = &sb;
                r = oci_host_detect(pod_cgroup_driver(c->rpc->cfg), &host, err);
        }
        if (r == 0)
                r = oci_spec_generate(&in, &host, ret_json, err);
        if (r == 0)
                r = name_cgroups(c, id, ret_cgroup, ret_oom_dir, err);
        ctr_arena_clear(&arena);
        pod_paths_clear(&pp);
        return r;
}

static int check_request(const Runtime__V1__CreateContainerRequest *r, struct cric_error **err) {
        const Runtime__V1__ContainerConfig *c = r->config;
        if (!*r->pod_sandbox_id)
                return cric_error_set(err, CRIC_E_INVALID, "CreateContainer: no pod id given");
        if (!c || !c->metadata || !*c->metadata->name)
                return cric_error_set(err, CRIC_E_INVALID, "CreateContainer: the container metadata name is required");
        if (!c->image || !*c->image->image)
                return cric_error_set(err, CRIC_E_INVALID, "CreateContainer %s: no image given", c->metadata->name);
        return 0;
}

/* The CRI log file: <pod log_directory>/<container log_path>; NULL when the kubelet asked for none. */
static char *log_path_of(const Runtime__V1__PodSandboxConfig *pc, const Runtime__V1__ContainerConfig *c) {
        if (!*c->log_path)
                return NULL;
        if (c->log_path[0] == '/' || !pc || !*pc->log_directory)
                return c->log_path[0] == '/' ? xstrdup(c->log_path) : NULL;
        return xasprintf("%s/%s", pc->log_directory, c->log_path);
}

int rpc_create_container(struct rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage **ret_resp,
                         struct cric_error **err) {
        const Runtime__V1__CreateContainerRequest *r = (const Runtime__V1__CreateContainerRequest *) req;
        if (check_request(r, err) < 0)
                return -1;
        const Runtime__V1__ContainerConfig *c = r->config;
        CLEANUP(pod_row_freep) struct pod_row *pod = NULL;
        if (runtime_pod_get(ctx->deps->runtime, r->pod_sandbox_id, &pod, err) < 0)
                return cric_error_prefix(err, "CreateContainer %s", c->metadata->name);
        Runtime__V1__PodSandboxConfig *pod_config = pod_config_of(pod);
        if (!pod_config)
                return cric_error_set(err, CRIC_E_INTERNAL, "CreateContainer %s: the config of pod %s is unreadable",
                                      c->metadata->name, pod->id);
        int ret = -1;
        CLEANUP(image_row_freep) struct image_row *img = NULL;
        CLEANUP(image_config_freep) struct image_config *ic = NULL;
        AUTOFREE char *runtime_path = NULL, *log_path = NULL, *id = NULL, *image_ref = NULL;
        AUTOFREE uint8_t *blob = NULL;
        size_t len = 0;
        const struct cric_runtime_handler *h = config_find_runtime(ctx->cfg, pod->runtime_handler);
        if (!h) {
                cric_error_set(
                        err, CRIC_E_PRECONDITION,
                        "CreateContainer %s: pod %s runs with runtime handler \"%s\", which is no longer configured",
                        c->metadata->name, pod->id, pod->runtime_handler);
                goto out;
        }
        runtime_path = handler_binary(h);
        if (!runtime_path) {
                cric_error_set(err, CRIC_E_PRECONDITION, "CreateContainer %s: OCI runtime \"%s\" not found",
                               c->metadata->name, *h->runtime_path ? h->runtime_path : h->name);
                goto out;
        }
        if (image_lookup(ctx->deps->images, c->image->image, &img, err) < 0) {
                cric_error_prefix(err, "CreateContainer %s", c->metadata->name);
                goto out;
        }
        if (image_config_parse(img->config_json, strlen(img->config_json), &ic, err) < 0) {
                cric_error_prefix(err, "CreateContainer %s: image %s", c->metadata->name, img->id);
                goto out;
        }
        int stop_signal = 0;
        if (c->stop_signal != RUNTIME__V1__SIGNAL__RUNTIME_DEFAULT) {
                if (ctr_signal_from_cri(c->stop_signal, &stop_signal, err) < 0) {
                        cric_error_prefix(err, "CreateContainer %s", c->metadata->name);
                        goto out;
                }
        } else if (ctr_stop_signal(ic->stop_signal, &stop_signal, err) < 0) {
                cric_error_prefix(err, "CreateContainer %s: image %s", c->metadata->name, c->image->image);
                goto out;
        }
        image_ref = img->repo_digests && img->repo_digests[0] ? xstrdup(img->repo_digests[0])
                                                              : xasprintf("sha256:%s", img->id);
        log_path = log_path_of(pod_config, c);
        len = protobuf_c_message_get_packed_size(&c->base);
        blob = xmalloc(len + 1);
        protobuf_c_message_pack(&c->base, blob);
        struct create_ctx cc = {
                .rpc = ctx,
                .config = c,
                .pod_config = pod_config,
                .pod = pod,
                .image = ic,
                .image_name = c->image->image,
        };
        struct container_spec spec = {
                .pod_id = pod->id,
                .name = c->metadata->name,
                .attempt = c->metadata->attempt,
                .image = c->image->image,
                .image_id = img->id,
                .image_ref = image_ref,
                .layers = img->layers,
                .runtime_path = runtime_path,
                .runtime_root = h->runtime_root,
                .log_path = log_path,
                .stop_signal = stop_signal,
                .tty = c->tty,
                .has_stdin = c->stdin,
                .is_stdin_once = c->stdin_once,
                .config = blob,
                .config_len = len,
                .make_spec = make_spec,
                .data = &cc,
        };
        if (runtime_container_create(ctx->deps->runtime, &spec, &id, err) < 0)
                goto out;
        Runtime__V1__CreateContainerResponse *resp = xmalloc(sizeof(*resp));
        runtime__v1__create_container_response__init(resp);
        resp->container_id = STEAL_PTR(id);
        *ret_resp = &resp->base;
        ret = 0;
out:
        runtime__v1__pod_sandbox_config__free_unpacked(pod_config, NULL);
        return ret;
}
