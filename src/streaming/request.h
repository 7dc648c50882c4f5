/* What an Exec, Attach or PortForward call asked for, kept behind its token until the
 * client connects to the streaming server. Plain data: the server/ handlers fill it from
 * the CRI request after validating it and checking the container or pod. */
#ifndef CRIC_STREAMING_REQUEST_H
#define CRIC_STREAMING_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum stream_kind {
        STREAM_EXEC = 0,
        STREAM_ATTACH,
        STREAM_PORT_FORWARD,
};

struct stream_request {
        enum stream_kind kind;
        char *id;   /* container id (exec, attach) or pod id (port-forward), in full */
        char **cmd; /* exec: NULL-terminated argv */
        bool tty, has_stdin, has_stdout, has_stderr;
        uint16_t *ports; /* port-forward: the ports the call named (a client may name others) */
        size_t n_ports;
};

void stream_request_free(struct stream_request *r);
void stream_request_freep(struct stream_request **r);

#endif
