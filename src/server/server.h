/* The CRI gRPC server: grpc core on a unix socket, calls served by a worker pool
 * that grows on demand, so one slow call never holds up the others. */
#ifndef CRIC_SERVER_SERVER_H
#define CRIC_SERVER_SERVER_H

#include "config/config.h"
#include "util/error.h"

struct cric_server;
struct image_service;
struct runtime;
struct cni_manager;
struct stream_server;

/* The services handlers call into; borrowed, they must outlive the server. */
struct server_deps {
        struct image_service *images;
        struct runtime *runtime;
        struct cni_manager *cni;       /* NULL: NetworkReady from the config dir alone */
        struct stream_server *streams; /* NULL: Exec, Attach and PortForward are UNAVAILABLE */
};

/* Creates the server and binds its socket (cfg->listen; parent dir created, mode
 * 0660). Refuses to take over a socket another process still serves. Takes a
 * reference on cfg. Call grpc_init() first. */
int server_new(struct cric_config *cfg, const struct server_deps *deps, struct cric_server **ret,
               struct cric_error **err);

/* Starts serving. */
int server_start(struct cric_server *srv, struct cric_error **err);

/* How many calls have begun since the start (a sign of activity). Thread-safe. */
unsigned long server_calls(struct cric_server *srv);

/* Replaces the configuration snapshot new calls see (SIGHUP reload). Thread-safe. */
void server_set_config(struct cric_server *srv, struct cric_config *cfg);

/* Graceful stop: no new calls are accepted, calls in flight may finish for grace_ms,
 * then the rest are cancelled; the socket file is removed. */
void server_stop(struct cric_server *srv, unsigned grace_ms);

struct cric_server *server_free(struct cric_server *srv);

#endif
