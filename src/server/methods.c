/* The method table: every RPC of runtime.v1, its request type and its handler. */
#include <string.h>

#include "cri.pb-c.h"
#include "server/rpc.h"

#define M(svc, name, req, streaming, fn)                                                                               \
        { "/runtime.v1." #svc "/" #name, &runtime__v1__##req##__descriptor, fn, streaming, NULL }
/* A server-streaming method and its stream handler (NULL: UNIMPLEMENTED). */
#define S(svc, name, req, fn)                                                                                          \
        { "/runtime.v1." #svc "/" #name, &runtime__v1__##req##__descriptor, NULL, true, fn }

static const struct rpc_method methods[] = {
        M(RuntimeService, Version, version_request, false, rpc_version),
        M(RuntimeService, RunPodSandbox, run_pod_sandbox_request, false, rpc_run_pod_sandbox),
        M(RuntimeService, StopPodSandbox, stop_pod_sandbox_request, false, rpc_stop_pod_sandbox),
        M(RuntimeService, RemovePodSandbox, remove_pod_sandbox_request, false, rpc_remove_pod_sandbox),
        M(RuntimeService, PodSandboxStatus, pod_sandbox_status_request, false, rpc_pod_sandbox_status),
        M(RuntimeService, ListPodSandbox, list_pod_sandbox_request, false, rpc_list_pod_sandbox),
        S(RuntimeService, StreamPodSandboxes, stream_pod_sandboxes_request, rpc_stream_pod_sandboxes),
        M(RuntimeService, CreateContainer, create_container_request, false, rpc_create_container),
        M(RuntimeService, StartContainer, start_container_request, false, rpc_start_container),
        M(RuntimeService, StopContainer, stop_container_request, false, rpc_stop_container),
        M(RuntimeService, RemoveContainer, remove_container_request, false, rpc_remove_container),
        M(RuntimeService, ListContainers, list_containers_request, false, rpc_list_containers),
        S(RuntimeService, StreamContainers, stream_containers_request, rpc_stream_containers),
        M(RuntimeService, ContainerStatus, container_status_request, false, rpc_container_status),
        M(RuntimeService, UpdateContainerResources, update_container_resources_request, false,
          rpc_update_container_resources),
        M(RuntimeService, ReopenContainerLog, reopen_container_log_request, false, rpc_reopen_container_log),
        M(RuntimeService, ExecSync, exec_sync_request, false, rpc_exec_sync),
        M(RuntimeService, Exec, exec_request, false, rpc_exec),
        M(RuntimeService, Attach, attach_request, false, rpc_attach),
        M(RuntimeService, PortForward, port_forward_request, false, rpc_port_forward),
        M(RuntimeService, ContainerStats, container_stats_request, false, rpc_container_stats),
        M(RuntimeService, ListContainerStats, list_container_stats_request, false, rpc_list_container_stats),
        S(RuntimeService, StreamContainerStats, stream_container_stats_request, rpc_stream_container_stats),
        M(RuntimeService, PodSandboxStats, pod_sandbox_stats_request, false, rpc_pod_sandbox_stats),
        M(RuntimeService, ListPodSandboxStats, list_pod_sandbox_stats_request, false, rpc_list_pod_sandbox_stats),
        S(RuntimeService, StreamPodSandboxStats, stream_pod_sandbox_stats_request, rpc_stream_pod_sandbox_stats),
        M(RuntimeService, UpdateRuntimeConfig, update_runtime_config_request, false, rpc_update_runtime_config),
        M(RuntimeService, Status, status_request, false, rpc_status),
        M(RuntimeService, CheckpointContainer, checkpoint_container_request, false, rpc_checkpoint_container),
        S(RuntimeService, GetContainerEvents, get_events_request, rpc_get_container_events),
        M(RuntimeService, ListMetricDescriptors, list_metric_descriptors_request, false, rpc_list_metric_descriptors),
        M(RuntimeService, ListPodSandboxMetrics, list_pod_sandbox_metrics_request, false, rpc_list_pod_sandbox_metrics),
        S(RuntimeService, StreamPodSandboxMetrics, stream_pod_sandbox_metrics_request, rpc_stream_pod_sandbox_metrics),
        M(RuntimeService, RuntimeConfig, runtime_config_request, false, rpc_runtime_config),
        M(RuntimeService, UpdatePodSandboxResources, update_pod_sandbox_resources_request, false,
          rpc_update_pod_sandbox_resources),
        M(ImageService, ListImages, list_images_request, false, rpc_list_images),
        S(ImageService, StreamImages, stream_images_request, rpc_stream_images),
        M(ImageService, ImageStatus, image_status_request, false, rpc_image_status),
        M(ImageService, PullImage, pull_image_request, false, rpc_pull_image),
        M(ImageService, RemoveImage, remove_image_request, false, rpc_remove_image),
        M(ImageService, ImageFsInfo, image_fs_info_request, false, rpc_image_fs_info),
};

#undef M
#undef S

const struct rpc_method *rpc_method_find(const char *path) {
        for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
                if (!strcmp(methods[i].path, path))
                        return &methods[i];
        return NULL;
}

size_t rpc_method_count(void) {
        return sizeof(methods) / sizeof(methods[0]);
}

const struct rpc_method *rpc_method_at(size_t i) {
        return i < rpc_method_count() ? &methods[i] : NULL;
}
