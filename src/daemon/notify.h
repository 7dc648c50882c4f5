/* Readiness notification to a service manager (the sd_notify protocol), without libsystemd. */
#ifndef CRIC_DAEMON_NOTIFY_H
#define CRIC_DAEMON_NOTIFY_H

/* Sends state (e.g. "READY=1") to $NOTIFY_SOCKET; does nothing when it is unset.
 * Returns 1 when sent, 0 when there is no socket, -1 on failure (errno set). */
int notify_service_manager(const char *state);

#endif
