/* Readiness, reload, status and watchdog notifications to a service manager (the
 * sd_notify protocol: "KEY=value" lines in one datagram to $NOTIFY_SOCKET), without
 * libsystemd. */
#ifndef CRIC_DAEMON_NOTIFY_H
#define CRIC_DAEMON_NOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

/* Sends state (e.g. "READY=1\nSTATUS=serving") to $NOTIFY_SOCKET; does nothing when it
 * is unset. Returns 1 when sent, 0 when there is no socket, -1 on failure (errno set). */
int notify_service_manager(const char *state);

/* Like notify_service_manager with a printf format; failures are logged as warnings. */
int notify_sendf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The address of a $NOTIFY_SOCKET value: an absolute path or "@name" (abstract
 * namespace). Returns 0, or -1 with errno EINVAL when it is neither or too long. */
int notify_address(const char *path, struct sockaddr_un *addr, socklen_t *len);

/* "RELOADING=1\nMONOTONIC_USEC=<now>\n" plus "STATUS=<status>" when status is not NULL
 * (systemd 253 and later want the clock with the reload). Free the result. */
char *notify_reloading_message(uint64_t monotonic_usec, const char *status);

/* How often to send WATCHDOG=1, in microseconds (half of WATCHDOG_USEC), given the
 * values of $WATCHDOG_USEC and $WATCHDOG_PID (NULL: unset) and our own pid; 0 when the
 * watchdog is off, malformed, or meant for another process. */
uint64_t notify_watchdog_interval(const char *usec, const char *pid, pid_t self);

/* The watchdog as the daemon's main loop drives it. */
struct notify_watchdog {
        uint64_t interval_usec; /* 0: off */
        uint64_t next_usec;     /* CLOCK_MONOTONIC of the next ping */
};

/* Reads the environment; the first ping is due at once. */
void notify_watchdog_init(struct notify_watchdog *w);
/* Sends WATCHDOG=1 when one is due at now_usec. */
void notify_watchdog_tick(struct notify_watchdog *w, uint64_t now_usec);
/* How long the loop may sleep from now_usec: at most max_usec, less when a ping is due sooner. */
uint64_t notify_watchdog_sleep(const struct notify_watchdog *w, uint64_t now_usec, uint64_t max_usec);

/* The serving daemon's STATUS= text: "serving on <listen>, N pods ready, M containers running". */
char *notify_serving_text(const char *listen, size_t pods_ready, size_t containers_running);
struct runtime;
/* notify_serving_text with rt's counts; NULL when there is no $NOTIFY_SOCKET to tell. */
char *notify_serving_status(struct runtime *rt, const char *listen);
/* Sends STATUS= with notify_serving_status when it differs from *last, which it replaces. */
void notify_status_update(struct runtime *rt, const char *listen, char **last);

/* CLOCK_MONOTONIC in microseconds. */
uint64_t notify_now_usec(void);

#endif
