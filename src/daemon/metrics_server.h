/* The Prometheus endpoint: GET /metrics over HTTP/1.1 (HTTPS with a certificate) on a
 * TCP address, a unix socket, or both. One accept thread and one thread per connection
 * (at most METRICS_MAX_CONNS), each with timeouts, so a slow or silent client holds only
 * its own thread. Requests are parsed by streaming/http.h. */
#ifndef CRIC_DAEMON_METRICS_SERVER_H
#define CRIC_DAEMON_METRICS_SERVER_H

#include <stdint.h>

#include "util/error.h"

#define METRICS_MAX_CONNS     32
#define METRICS_IO_TIMEOUT_MS 10000 /* to receive a request, or to send some of a reply */

struct metrics_registry;
struct metrics_server;
struct runtime;

struct metrics_server_opts {
        const char *host;        /* "" or NULL: no TCP endpoint */
        int64_t port;            /* 0: a free one */
        const char *socket_path; /* "" or NULL: none */
        const char *cert, *key;  /* both set: TLS on the TCP endpoint */
};

/* Binds and starts serving reg (borrowed: it must outlive the server). */
int metrics_server_start(const struct metrics_server_opts *o, struct metrics_registry *reg, struct metrics_server **ret,
                         struct cric_error **err);
/* Stops accepting, ends the connections and waits for their threads; removes the socket. */
struct metrics_server *metrics_server_stop(struct metrics_server *s);

/* The gauges computed from the runtime at scrape time: cric_containers{state},
 * cric_pods{state}, cric_monitor_processes. rt must outlive the registry's scrapes. */
void metrics_runtime_register(struct metrics_registry *reg, struct runtime *rt);

#endif
