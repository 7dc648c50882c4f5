/* The create-mode event loop: one poll() over the container's output, the attach
 * socket and its clients, the control fifo, the OOM watch and a signalfd for SIGCHLD.
 * Single-threaded on purpose: the monitor's memory is a few pages per container. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "monitor/internal.h"
#include "util/xalloc.h"

#define STDIN_BUF_SIZE MONITOR_ATTACH_STDIN_MAX
#define READ_CHUNK     (16 * 1024)
#define ATTACH_SLOTS   64

enum {
        P_SIGNAL,
        P_OUT,
        P_ERR,
        P_STDIN,
        P_LISTEN,
        P_CTL,
        P_OOM,
        P_CLIENTS, /* first attach client */
};

static void reap(struct monitor *m) {
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                if (pid != m->container_pid) {
                        log_debug("reaped process %d", (int) pid);
                        continue;
                }
                m->has_exited = true;
                m->exit_status = status;
                m->exit_time_ns = monitor_now_ns();
                log_debug("container %s: process %d ended (status 0x%x)", m->args->cid, (int) pid, status);
        }
}

static void handle_signals(struct monitor *m) {
        struct signalfd_siginfo si;
        while (read(m->signal_fd, &si, sizeof(si)) == (ssize_t) sizeof(si))
                if (si.ssi_signo != SIGCHLD)
                        log_info("container %s: ignoring signal %u; the monitor ends with the container", m->args->cid,
                                 si.ssi_signo);
        reap(m);
}

/* Moves what the fd holds (up to a few chunks, to stay fair) into the log and to the
 * attach clients. Closes the fd at EOF, or EIO: a pty whose last slave is gone. */
static void pump_output(struct monitor *m, int *fd, int stream, int max_reads) {
        static char buf[READ_CHUNK];
        for (int i = 0; i < max_reads && *fd >= 0; i++) {
                ssize_t n = read(*fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n <= 0) {
                        close(*fd);
                        *fd = -1;
                        return;
                }
                struct cric_error *err = NULL;
                if (log_writer_write(&m->log, stream, buf, (size_t) n, &err) < 0)
                        cric_error_log_free(&err, "container %s: write log, output keeps flowing", m->args->cid);
                attach_broadcast(&m->attach, stream, buf, (size_t) n);
        }
}

static void close_stdin(struct monitor *m) {
        if (m->io.in_fd < 0)
                return;
        if (m->args->is_terminal) {
                /* The pty master is also the output: send the EOF character instead. */
                if (write(m->io.in_fd, "\x04", 1) < 0)
                        log_debug("write EOF to the terminal: %s", strerror(errno));
        }
        close(m->io.in_fd);
        m->io.in_fd = -1;
        m->stdin_len = 0;
        log_debug("container %s: stdin closed", m->args->cid);
}

static void feed_stdin(struct monitor *m) {
        while (m->stdin_len > 0 && m->io.in_fd >= 0) {
                ssize_t n = write(m->io.in_fd, m->stdin_buf, m->stdin_len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n < 0) { /* EPIPE: the container closed its stdin */
                        close_stdin(m);
                        return;
                }
                memmove(m->stdin_buf, m->stdin_buf + n, m->stdin_len - (size_t) n);
                m->stdin_len -= (size_t) n;
        }
        if (m->stdin_len == 0 && m->is_stdin_closing)
                close_stdin(m);
}

/* A client ended its stdin (or went away): with --stdin-once the first one closes the
 * container's stdin, once what it sent has been written. */
static void client_detached(struct monitor *m) {
        if (!m->args->is_stdin_once || m->is_stdin_closing)
                return;
        m->is_stdin_closing = true;
        feed_stdin(m);
}

/* Data from a client goes to the container's stdin; without one it is dropped. */
static void read_client(struct monitor *m, size_t i) {
        bool takes_stdin = m->io.in_fd >= 0 && !m->is_stdin_closing;
        if (takes_stdin && m->stdin_len > 0)
                return; /* another client filled the buffer this round: read this one later */
        char scratch[512];
        char *buf = takes_stdin ? m->stdin_buf : scratch;
        size_t size = takes_stdin ? STDIN_BUF_SIZE : sizeof(scratch);
        ssize_t n = attach_client_read(&m->attach, i, buf, size);
        if (n > 0 && takes_stdin) {
                m->stdin_len = (size_t) n;
                feed_stdin(m);
        }
}

static void on_ctl(const struct ctl_cmd *cmd, void *userdata) {
        struct monitor *m = userdata;
        struct cric_error *err = NULL;
        if (cmd->kind == CTL_REOPEN) {
                if (log_writer_reopen(&m->log, &err) < 0)
                        cric_error_log_free(&err, "container %s: reopen log", m->args->cid);
                else
                        log_debug("container %s: log reopened", m->args->cid);
                return;
        }
        if (!m->args->is_terminal || m->io.out_fd < 0) {
                log_warn("container %s: resize without a terminal, ignoring it", m->args->cid);
                return;
        }
        struct winsize ws = {.ws_row = cmd->rows, .ws_col = cmd->cols};
        if (ioctl(m->io.out_fd, TIOCSWINSZ, &ws) < 0)
                log_warn("container %s: resize terminal: %s", m->args->cid, strerror(errno));
}

/* Fills p for this round; returns how many entries are used. */
static nfds_t build_poll(struct monitor *m, struct pollfd *p) {
        bool wants_stdin = m->io.in_fd >= 0 && m->stdin_len == 0 && !m->is_stdin_closing;
        p[P_SIGNAL] = (struct pollfd){.fd = m->signal_fd, .events = POLLIN};
        p[P_OUT] = (struct pollfd){.fd = m->io.out_fd, .events = POLLIN};
        p[P_ERR] = (struct pollfd){.fd = m->io.err_fd, .events = POLLIN};
        p[P_STDIN] = (struct pollfd){.fd = m->stdin_len > 0 ? m->io.in_fd : -1, .events = POLLOUT};
        p[P_LISTEN] = (struct pollfd){.fd = m->attach.listen_fd, .events = POLLIN};
        p[P_CTL] = (struct pollfd){.fd = m->ctl.read_fd, .events = POLLIN};
        p[P_OOM] = (struct pollfd){.fd = m->oom.event_fd, .events = POLLIN};
        attach_compact(&m->attach);
        nfds_t n = P_CLIENTS;
        for (size_t i = 0; i < m->attach.n_clients && i < ATTACH_SLOTS; i++) {
                const struct attach_client *c = &m->attach.clients[i];
                /* A client that ended its stdin is polled for hangup only. */
                p[n++] = (struct pollfd){.fd = c->fd,
                                         .events = c->is_reading && (wants_stdin || m->io.in_fd < 0) ? POLLIN : 0};
        }
        return n;
}

static void dispatch(struct monitor *m, const struct pollfd *p, nfds_t n) {
        if (p[P_SIGNAL].revents)
                handle_signals(m);
        if (p[P_OUT].revents)
                pump_output(m, &m->io.out_fd, MONITOR_STREAM_STDOUT, 4);
        if (p[P_ERR].revents)
                pump_output(m, &m->io.err_fd, MONITOR_STREAM_STDERR, 4);
        if (p[P_STDIN].revents)
                feed_stdin(m);
        if (p[P_LISTEN].revents)
                attach_accept(&m->attach);
        if (p[P_CTL].revents)
                ctl_read(&m->ctl, on_ctl, m);
        if (p[P_OOM].revents)
                oom_watch_handle(&m->oom);
        for (nfds_t i = P_CLIENTS; i < n; i++) {
                size_t c = i - P_CLIENTS;
                if (!p[i].revents || m->attach.clients[c].fd != p[i].fd)
                        continue;
                if (p[i].revents & POLLIN)
                        read_client(m, c);
                else if (p[i].revents & (POLLHUP | POLLERR))
                        attach_hangup(&m->attach, c);
        }
        /* Output sent above may also have found a client gone. */
        if (m->attach.n_detached > 0) {
                m->attach.n_detached = 0;
                client_detached(m);
        }
}

int monitor_loop_run(struct monitor *m, struct cric_error **err) {
        if (m->io.in_fd >= 0)
                m->stdin_buf = xmalloc(STDIN_BUF_SIZE);
        reap(m); /* it may have ended before the signalfd was looked at */
        while (!m->has_exited) {
                struct pollfd p[P_CLIENTS + ATTACH_SLOTS];
                nfds_t n = build_poll(m, p);
                if (poll(p, n, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "poll");
                }
                dispatch(m, p, n);
        }
        /* The process is gone: take what is left in the pipes (anything still holding
         * them open, outside a pid namespace, does not keep us waiting). */
        pump_output(m, &m->io.out_fd, MONITOR_STREAM_STDOUT, 1 << 20);
        pump_output(m, &m->io.err_fd, MONITOR_STREAM_STDERR, 1 << 20);
        return 0;
}

int monitor_finish(struct monitor *m, struct cric_error **err) {
        struct cric_error *lerr = NULL;
        if (log_writer_flush(&m->log, &lerr) < 0)
                cric_error_log_free(&lerr, "container %s: flush log", m->args->cid);
        struct monitor_exit e;
        monitor_exit_from_status(m->exit_status, m->exit_time_ns, oom_watch_killed(&m->oom), &e);
        int r = monitor_exit_write(m->args->exit_dir, m->args->cid, &e, err);
        if (r == 0)
                log_debug("container %s: exit code %d, signal %d, oom %s", m->args->cid, e.exit_code, e.signal,
                          e.oom_killed ? "yes" : "no");
        attach_close(&m->attach, m->dir_fd);
        ctl_close(&m->ctl, m->dir_fd);
        oom_watch_stop(&m->oom);
        log_writer_close(&m->log);
        journal_close(&m->journal);
        int fds[] = {m->io.out_fd, m->io.err_fd, m->io.in_fd, m->signal_fd};
        for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        m->io = (struct container_io){-1, -1, -1};
        m->signal_fd = -1;
        free(m->stdin_buf);
        m->stdin_buf = NULL;
        return r;
}
