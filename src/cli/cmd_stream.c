/* The streaming commands: exec (its streaming form), attach and port-forward.
 *
 * Each asks the runtime for a one-time URL (Exec, Attach, PortForward) and speaks
 * WebSocket to it through stream_client.c, as crictl does with --transport websocket:
 * exec and attach offer v5.channel.k8s.io, then v4 (channels 0 stdin, 1 stdout,
 * 2 stderr, 3 the final metav1.Status, 4 terminal sizes); port-forward offers
 * v4.channel.k8s.io (the call's port on channels 0 data and 1 error, each opened by the
 * port number, 2 bytes little-endian).
 *
 * Signals: the ones a session handles (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH) are
 * blocked before the first RPC and read from a signalfd, so that no thread (gRPC's
 * included, which inherit the mask) dies of one with the terminal left in raw mode:
 * every way out goes through the cleanup that restores it. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/stream_client.h"
#include "cri.pb-c.h"
#include "streaming/ws.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/log.h"
#include "util/xalloc.h"

#define RUNTIME_SERVICE "/runtime.v1.RuntimeService/"
#define N_FLAGS(f)      (sizeof(f) / sizeof((f)[0]))

#define IO_CHUNK       (32 * 1024)
#define STATUS_MAX     (64 * 1024) /* of the Status on the error channel */
#define PF_ERROR_MAX   4096        /* of an error text on a port-forward error channel */
#define CLOSE_FLUSH_MS 1000        /* for our last frames */
#define PF_LINGER_MS   1000        /* port-forward: quiet time after the local end (see pf_read_local) */

enum { CH_STDIN = 0, CH_STDOUT, CH_STDERR, CH_ERROR, CH_RESIZE };

static const char *const rc_protocols[] = {"v5.channel.k8s.io", "v4.channel.k8s.io", NULL};
static const char *const pf_protocols[] = {"v4.channel.k8s.io", NULL};

/* ---- shared helpers ---- */

/* Blocks sigs in this thread (and the threads it starts later) and returns a signalfd
 * that reads them. SIGPIPE is ignored: a reader that goes away is an EPIPE. */
static int signals_take(const int *sigs, size_t n, struct cric_error **err) {
        sigset_t set;
        sigemptyset(&set);
        for (size_t i = 0; i < n; i++)
                sigaddset(&set, sigs[i]);
        int r = pthread_sigmask(SIG_BLOCK, &set, NULL);
        if (r != 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, r, "block signals");
        signal(SIGPIPE, SIG_IGN);
        int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "signalfd");
        return fd;
}

/* Writes all of buf to fd (a blocking or non-blocking one). */
static int write_all(int fd, const void *buf, size_t len, struct cric_error **err) {
        const uint8_t *p = buf;
        while (len > 0) {
                ssize_t w = write(fd, p, len);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
                        poll(&pfd, 1, -1);
                        continue;
                }
                if (w < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "write");
                p += w;
                len -= (size_t) w;
        }
        return 0;
}

/* ---- the local terminal ---- */

struct term {
        int fd;
        bool is_raw;
        struct termios saved;
};

/* The raw terminal, for a crash (a fault, an abort) to restore: the signals handled
 * through the signalfd and the normal ways out restore it without this. */
static const struct term *volatile crash_term;

static void crash_restore(int sig) {
        const struct term *t = crash_term;
        if (t)
                tcsetattr(t->fd, TCSANOW, &t->saved); /* async-signal-safe */
        raise(sig);                                   /* SA_RESETHAND: the default action now */
}

static void crash_handlers(bool on) {
        static const int sigs[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
        static struct sigaction saved[N_FLAGS(sigs)]; /* put back afterwards (a sanitizer's) */
        struct sigaction sa = {.sa_handler = crash_restore, .sa_flags = SA_RESETHAND};
        for (size_t i = 0; i < N_FLAGS(sigs); i++)
                sigaction(sigs[i], on ? &sa : &saved[i], on ? &saved[i] : NULL);
}

static int term_make_raw(struct term *t, int fd, struct cric_error **err) {
        struct termios raw;
        if (tcgetattr(fd, &t->saved) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "get the terminal's attributes");
        raw = t->saved;
        cfmakeraw(&raw);
        t->fd = fd;
        crash_term = t;
        crash_handlers(true);
        if (tcsetattr(fd, TCSANOW, &raw) < 0) {
                crash_term = NULL;
                crash_handlers(false);
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "put the terminal in raw mode");
        }
        t->is_raw = true;
        return 0;
}

static void term_restore(struct term *t) {
        if (!t->is_raw)
                return;
        tcsetattr(t->fd, TCSANOW, &t->saved);
        t->is_raw = false;
        crash_term = NULL;
        crash_handlers(false);
}

static void term_restorep(struct term *t) {
        term_restore(t);
}

/* The local terminal's size on the resize channel, as kubectl sends it. */
static void send_size(struct cli_ws *ws) {
        struct winsize sz = {0};
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &sz) < 0 || sz.ws_col == 0)
                ioctl(STDIN_FILENO, TIOCGWINSZ, &sz);
        if (sz.ws_col == 0 || sz.ws_row == 0)
                return;
        char msg[64];
        int n = snprintf(msg, sizeof(msg), "{\"Width\":%u,\"Height\":%u}", sz.ws_col, sz.ws_row);
        cli_ws_send(ws, CH_RESIZE, msg, (size_t) n);
}

/* ---- exec and attach: the remote command protocol ---- */

struct rc_opts {
        bool has_stdin, is_tty;
        int64_t timeout_ms; /* the whole session; <= 0: none */
};

struct rc {
        struct cli_ws *ws;
        int sig_fd;
        bool has_stdin, is_tty, is_v5;
        bool is_stdin_eof, is_done, has_status;
        int signo; /* the signal that ended the session, or 0 */
        char *status;
        size_t status_len, status_cap;
        int64_t deadline_ms;
        int64_t timeout_ms;
};

/* A string member of o; NULL when absent or not a string. */
static const char *json_field(struct json_object *o, const char *key) {
        struct json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

/* A cause {"reason": "ExitCode", "message": "3"} of the Status's details. */
static int exit_code_cause(struct json_object *status, int *ret) {
        struct json_object *details, *causes;
        if (!json_object_object_get_ex(status, "details", &details) ||
            !json_object_object_get_ex(details, "causes", &causes) || !json_object_is_type(causes, json_type_array))
                return -1;
        for (size_t i = 0; i < json_object_array_length(causes); i++) {
                struct json_object *c = json_object_array_get_idx(causes, i);
                const char *reason = json_field(c, "reason"), *msg = json_field(c, "message");
                if (!reason || strcmp(reason, "ExitCode") != 0 || !msg)
                        continue;
                char *end;
                errno = 0;
                long v = strtol(msg, &end, 10);
                if (errno || *end || end == msg || v < 0 || v > 0x7fffffff)
                        return -1;
                *ret = (int) v;
                return 0;
        }
        return -1;
}

/* The last word of the error channel: a metav1.Status (an empty one is a success, as
 * in the protocol's first versions). */
static int status_exit_code(const char *text, size_t len, int *ret, struct cric_error **err) {
        AUTOJSON struct json_object *o = NULL;
        if (len == 0) {
                *ret = 0;
                return 0;
        }
        if (json_parse_object(text, len, NULL, &o, NULL) < 0)
                return cric_error_set(err, CRIC_E_INTERNAL, "%.*s", (int) len, text);
        const char *status = json_field(o, "status"), *reason = json_field(o, "reason");
        if (status && !strcmp(status, "Success")) {
                *ret = 0;
                return 0;
        }
        if (reason && !strcmp(reason, "NonZeroExitCode") && exit_code_cause(o, ret) == 0)
                return 0;
        const char *msg = json_field(o, "message");
        return cric_error_set(err, CRIC_E_INTERNAL, "%s", msg && *msg ? msg : "the command failed (no message)");
}

static void status_append(struct rc *rc, const uint8_t *p, size_t n) {
        if (rc->status_len + n > STATUS_MAX)
                n = STATUS_MAX - rc->status_len;
        rc->status = xgrow(rc->status, &rc->status_cap, rc->status_len + n + 1, 1);
        memcpy(rc->status + rc->status_len, p, n);
        rc->status_len += n;
}

static int rc_event(struct rc *rc, const struct cli_ws_event *ev, struct cric_error **err) {
        if (ev->kind == CLI_WS_CLOSE) {
                rc->is_done = true;
                return 0;
        }
        if (ev->kind == CLI_WS_END) {
                rc->has_status |= ev->channel == CH_ERROR;
                return 0;
        }
        if (ev->channel == CH_STDOUT || ev->channel == CH_STDERR) {
                int fd = ev->channel == CH_STDOUT ? STDOUT_FILENO : STDERR_FILENO;
                struct cric_error *e = NULL;
                if (write_all(fd, ev->data, ev->len, &e) < 0 && e->errno_value == EPIPE) {
                        /* `cricctl exec ... | head`: end quietly, as SIGPIPE would (it is
                         * ignored, so that a raw terminal is always restored) */
                        cric_error_free(e);
                        rc->signo = SIGPIPE;
                        rc->is_done = true;
                } else if (e) {
                        cric_error_move(err, &e);
                        return cric_error_prefix(err, "%s", fd == STDOUT_FILENO ? "stdout" : "stderr");
                }
        } else if (ev->channel == CH_ERROR) {
                status_append(rc, ev->data, ev->len);
        }
        return 0;
}

/* Handles the events of what was read (the handshake may have read some already). */
static int rc_drain(struct rc *rc, struct cric_error **err) {
        struct cli_ws_event ev;
        int n;
        while ((n = cli_ws_next(rc->ws, &ev, err)) > 0)
                if (rc_event(rc, &ev, err) < 0)
                        return -1;
        return n;
}

static int rc_read_ws(struct rc *rc, struct cric_error **err) {
        int r = cli_ws_recv(rc->ws, err);
        if (r < 0 || rc_drain(rc, err) < 0)
                return -1;
        if (r == 0)
                rc->is_done = true;
        return 0;
}

static void rc_read_stdin(struct rc *rc) {
        uint8_t buf[IO_CHUNK];
        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
                return;
        if (n > 0) {
                cli_ws_send(rc->ws, CH_STDIN, buf, (size_t) n);
                return;
        }
        /* The end (or an error: nothing more comes either way). v4 cannot say so. */
        rc->is_stdin_eof = true;
        if (rc->is_v5) {
                uint8_t ch = CH_STDIN;
                cli_ws_send(rc->ws, CLI_WS_CLOSE_CHANNEL, &ch, 1);
        }
}

static void rc_read_signals(struct rc *rc) {
        struct signalfd_siginfo si;
        while (read(rc->sig_fd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
                if (si.ssi_signo == SIGWINCH) {
                        if (rc->is_tty)
                                send_size(rc->ws);
                        continue;
                }
                rc->signo = (int) si.ssi_signo;
                rc->is_done = true;
        }
}

static int rc_pump(struct rc *rc, struct cric_error **err) {
        if (rc_drain(rc, err) < 0)
                return -1;
        while (!rc->is_done) {
                struct pollfd p[3] = {
                        {.fd = cli_ws_fd(rc->ws), .events = POLLIN},
                        {.fd = rc->sig_fd, .events = POLLIN},
                        {.fd = -1},
                };
                if (cli_ws_pending(rc->ws) > 0)
                        p[0].events |= POLLOUT;
                if (rc->has_stdin && !rc->is_stdin_eof && cli_ws_pending(rc->ws) < CLI_WS_HIGH_WATER)
                        p[2] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
                int r = poll(p, 3, clock_poll_left(rc->deadline_ms));
                if (r < 0 && errno != EINTR)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "poll");
                if (rc->deadline_ms && clock_mono_ms() >= rc->deadline_ms)
                        return cric_error_set(err, CRIC_E_TIMEOUT, "timed out after %lld s: the session is closed",
                                              (long long) (rc->timeout_ms / 1000));
                if (r <= 0)
                        continue;
                if (p[1].revents)
                        rc_read_signals(rc);
                if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && rc_read_ws(rc, err) < 0)
                        return -1;
                if (p[2].revents && !rc->is_done)
                        rc_read_stdin(rc);
                if (!rc->is_done && cli_ws_flush(rc->ws, err) < 0)
                        return -1;
        }
        return 0;
}

static int rc_result(const struct rc *rc, int *ret_exit_code, struct cric_error **err) {
        if (rc->signo) {
                *ret_exit_code = 128 + rc->signo;
                return 0;
        }
        if (!rc->has_status)
                return cric_error_set(err, CRIC_E_UNAVAILABLE,
                                      "the streaming connection ended without the command's status");
        return status_exit_code(rc->status, rc->status_len, ret_exit_code, err);
}

/* Runs the session at url. The terminal is raw (with -t) from the first byte to the
 * last, and restored on every way out. */
static int rc_run(const char *url, const struct rc_opts *o, int sig_fd, int64_t connect_timeout_ms, int *ret_exit_code,
                  struct cric_error **err) {
        CLEANUP(cli_ws_freep) struct cli_ws *ws = NULL;
        if (cli_ws_connect(url, rc_protocols, connect_timeout_ms, &ws, err) < 0)
                return -1;
        log_debug("streaming protocol: %s", cli_ws_protocol(ws));
        struct rc rc = {
                .ws = ws,
                .sig_fd = sig_fd,
                .has_stdin = o->has_stdin,
                .is_tty = o->is_tty,
                .is_v5 = !strcmp(cli_ws_protocol(ws), rc_protocols[0]),
                .timeout_ms = o->timeout_ms,
                .deadline_ms = o->timeout_ms > 0 ? clock_mono_ms() + o->timeout_ms : 0,
        };
        CLEANUP(term_restorep) struct term t = {.fd = -1};
        if (o->is_tty && term_make_raw(&t, STDIN_FILENO, err) < 0)
                return -1;
        if (o->is_tty)
                send_size(ws);
        int r = rc_pump(&rc, err);
        cli_ws_close(ws, WS_CLOSE_NORMAL);
        cli_ws_flush_wait(ws, CLOSE_FLUSH_MS);
        term_restore(&t);
        if (r >= 0)
                r = rc_result(&rc, ret_exit_code, err);
        free(rc.status);
        return r;
}

/* crictl's checks before it streams with a terminal. */
static int check_tty(const struct rc_opts *o, struct cric_error **err) {
        if (!o->is_tty)
                return 0;
        if (!o->has_stdin)
                return cric_error_set(err, CRIC_E_INVALID, "tty=true must be specified with interactive=true");
        if (!isatty(STDIN_FILENO))
                return cric_error_set(err, CRIC_E_INVALID, "input is not a terminal");
        return 0;
}

static const int rc_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH};

int cli_exec_stream(struct cli *cli, const char *id, char **cmd, size_t n_cmd, bool has_stdin, bool is_tty,
                    int64_t timeout_s, struct cric_error **err) {
        struct rc_opts o = {.has_stdin = has_stdin, .is_tty = is_tty, .timeout_ms = timeout_s * 1000};
        if (check_tty(&o, err) < 0)
                return -1;
        AUTOCLOSE int sig_fd = signals_take(rc_signals, N_FLAGS(rc_signals), err);
        if (sig_fd < 0)
                return -1;
        Runtime__V1__ExecRequest req = RUNTIME__V1__EXEC_REQUEST__INIT;
        req.container_id = (char *) id;
        req.cmd = cmd;
        req.n_cmd = n_cmd;
        req.stdin = has_stdin;
        req.stdout = true;
        req.stderr = !is_tty;
        req.tty = is_tty;
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (cli_call(cli, RUNTIME_SERVICE "Exec", &req.base, &runtime__v1__exec_response__descriptor, &msg, err) < 0)
                return -1;
        const char *url = ((const Runtime__V1__ExecResponse *) msg)->url;
        log_debug("exec URL: %s", url);
        return rc_run(url, &o, sig_fd, cli->timeout_ms, &cli->exit_code, err);
}

/* Attach, then the session at its URL. */
static int attach(struct cli *cli, const char *id, const struct rc_opts *o, struct cric_error **err) {
        if (check_tty(o, err) < 0)
                return -1;
        AUTOCLOSE int sig_fd = signals_take(rc_signals, N_FLAGS(rc_signals), err);
        if (sig_fd < 0)
                return -1;
        Runtime__V1__AttachRequest req = RUNTIME__V1__ATTACH_REQUEST__INIT;
        req.container_id = (char *) id;
        req.stdin = o->has_stdin;
        req.stdout = true;
        req.stderr = !o->is_tty;
        req.tty = o->is_tty;
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (cli_call(cli, RUNTIME_SERVICE "Attach", &req.base, &runtime__v1__attach_response__descriptor, &msg, err) <
            0)
                return -1;
        const char *url = ((const Runtime__V1__AttachResponse *) msg)->url;
        log_debug("attach URL: %s", url);
        return rc_run(url, o, sig_fd, cli->timeout_ms, &cli->exit_code, err);
}

int cmd_attach(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        static const char *const usage = "CONTAINER-ID";
        bool is_help = false;
        struct rc_opts o = {0};
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &is_help, NULL, "show help"},
                {"stdin", 'i', CLI_FLAG_BOOL, &o.has_stdin, NULL, "Keep STDIN open"},
                {"tty", 't', CLI_FLAG_BOOL, &o.is_tty, NULL, "Allocate a pseudo-TTY"},
        };
        int nargs;
        int r = cli_command_parse("attach", usage, flags, N_FLAGS(flags), &is_help, argc, argv, &nargs, err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        if (nargs == 0 || !*argv[1]) { /* crictl shows the command's help */
                cli_command_usage(stdout, "attach", usage, flags, N_FLAGS(flags));
                return 0;
        }
        if (nargs > 1)
                return cric_error_set(err, CRIC_E_INVALID, "attach: unexpected argument \"%s\"", argv[2]);
        if (attach(cli, argv[1], &o, err) < 0)
                return cric_error_prefix(err, "attaching running container failed");
        return 0;
}

/* ---- port-forward ---- */

/* One LOCAL:REMOTE of the command line and its listening socket. */
struct pf_spec {
        uint16_t local, remote;
        int fd;
};

/* One accepted local connection, served by a thread of its own. */
struct pf_conn {
        int fd;
        char *url, *pod;
        uint16_t local, remote;
        int64_t connect_timeout_ms;
};

/* The WebSocket session of one connection. */
struct pf_sess {
        struct cli_ws *ws;
        const struct pf_conn *c;
        uint8_t prefix[2][2]; /* the port numbers that open channels 0 and 1 */
        size_t prefix_len[2];
        char error[PF_ERROR_MAX + 1];
        size_t error_len;
        bool is_local_eof, is_done;
        int64_t linger_until_ms; /* after the local end: when the session closes unless data comes */
};

static int parse_port(const char *s, const char *which, uint16_t *ret, struct cric_error **err) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (!*s || *end || errno || v > 65535 || *s == '-' || *s == '+')
                return cric_error_set(err, CRIC_E_INVALID, "error parsing %s port '%s'", which, s);
        *ret = (uint16_t) v;
        return 0;
}

/* client-go's forms: "8080" (the same port on both sides), "8080:80", ":80" and "0:80"
 * (a free local port). */
static int parse_spec(const char *s, struct pf_spec *ret, struct cric_error **err) {
        const char *colon = strchr(s, ':');
        if (colon && strchr(colon + 1, ':'))
                return cric_error_set(err, CRIC_E_INVALID, "invalid port format '%s'", s);
        AUTOFREE char *local = colon ? xstrndup(s, (size_t) (colon - s)) : xstrdup(s);
        const char *remote = colon ? colon + 1 : s;
        if (parse_port(*local ? local : "0", "local", &ret->local, err) < 0 ||
            parse_port(remote, "remote", &ret->remote, err) < 0)
                return -1;
        if (ret->remote == 0)
                return cric_error_set(err, CRIC_E_INVALID, "remote port must be > 0");
        ret->fd = -1;
        return 0;
}

static int pf_listen(struct pf_spec *sp, struct cric_error **err) {
        AUTOCLOSE int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "socket");
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(sp->local)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof(a);
        if (bind(fd, (struct sockaddr *) &a, sizeof(a)) < 0 || listen(fd, SOMAXCONN) < 0 ||
            getsockname(fd, (struct sockaddr *) &a, &len) < 0)
                return cric_error_errno(err, CRIC_E_UNAVAILABLE, errno,
                                        "unable to listen on port %u: listen tcp4 127.0.0.1:%u", sp->local, sp->local);
        sp->local = ntohs(a.sin_port);
        sp->fd = STEAL_FD(fd);
        printf("Forwarding from 127.0.0.1:%u -> %u\n", sp->local, sp->remote);
        fflush(stdout);
        return 0;
}

/* A PortForward call for one port: its URL serves one WebSocket session. */
static int pf_url(struct cli *cli, const char *pod, uint16_t port, char **ret_url, struct cric_error **err) {
        Runtime__V1__PortForwardRequest req = RUNTIME__V1__PORT_FORWARD_REQUEST__INIT;
        int32_t ports[1] = {port};
        req.pod_sandbox_id = (char *) pod;
        req.port = ports;
        req.n_port = 1;
        CLEANUP(cli_proto_freep) ProtobufCMessage *msg = NULL;
        if (cli_call(cli, RUNTIME_SERVICE "PortForward", &req.base, &runtime__v1__port_forward_response__descriptor,
                     &msg, err) < 0)
                return -1;
        *ret_url = xstrdup(((const Runtime__V1__PortForwardResponse *) msg)->url);
        log_debug("port-forward URL: %s", *ret_url);
        return 0;
}

/* The first two bytes of channels 0 and 1 name the port; the rest is theirs. */
static int take_prefix(struct pf_sess *s, uint8_t ch, const uint8_t **p, size_t *n, struct cric_error **err) {
        if (s->prefix_len[ch] == 2)
                return 0;
        while (s->prefix_len[ch] < 2 && *n > 0) {
                s->prefix[ch][s->prefix_len[ch]++] = **p;
                (*p)++;
                (*n)--;
        }
        if (s->prefix_len[ch] < 2)
                return 0;
        unsigned port = s->prefix[ch][0] | (unsigned) s->prefix[ch][1] << 8;
        if (port != s->c->remote)
                return cric_error_set(err, CRIC_E_INTERNAL, "the server opened channel %u with port %u, not %u", ch,
                                      port, s->c->remote);
        return 0;
}

static int pf_event(struct pf_sess *s, const struct cli_ws_event *ev, struct cric_error **err) {
        if (ev->kind == CLI_WS_CLOSE) {
                s->is_done = true;
                return 0;
        }
        if (ev->channel > 1)
                return 0; /* the call named one port: no other channel carries anything */
        if (ev->kind == CLI_WS_END) {
                if (ev->channel == 1 && s->error_len > 0)
                        return cric_error_set(err, CRIC_E_UNAVAILABLE, "error forwarding port %u to pod %s: %.*s",
                                              s->c->remote, s->c->pod, (int) s->error_len, s->error);
                return 0;
        }
        const uint8_t *p = ev->data;
        size_t n = ev->len;
        if (take_prefix(s, ev->channel, &p, &n, err) < 0)
                return -1;
        if (n > 0 && ev->channel == 0 && write_all(s->c->fd, p, n, NULL) < 0)
                s->is_done = true; /* the local side is gone */
        if (n > 0 && ev->channel == 0 && s->is_local_eof)
                s->linger_until_ms = clock_mono_ms() + PF_LINGER_MS;
        for (size_t i = 0; ev->channel == 1 && i < n && s->error_len < PF_ERROR_MAX; i++)
                s->error[s->error_len++] = (char) p[i];
        return 0;
}

/* Handles the events of what was read (the handshake may have read some already). */
static int pf_drain(struct pf_sess *s, struct cric_error **err) {
        struct cli_ws_event ev;
        int n = 0;
        while (!s->is_done && (n = cli_ws_next(s->ws, &ev, err)) > 0)
                if (pf_event(s, &ev, err) < 0)
                        return -1;
        return s->is_done ? 0 : n;
}

static int pf_read_ws(struct pf_sess *s, struct cric_error **err) {
        int r = cli_ws_recv(s->ws, err);
        if (r < 0 || pf_drain(s, err) < 0)
                return -1;
        if (r == 0)
                s->is_done = true;
        return 0;
}

/* WebSocket port-forward has no half-close, and the close frame ends the whole session.
 * So when the local side ends (maybe only its writing half: `echo x | nc`), the session
 * lingers while the pod still answers, and closes after PF_LINGER_MS without data. */
static void pf_read_local(struct pf_sess *s) {
        uint8_t buf[IO_CHUNK];
        ssize_t n = recv(s->c->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
                return;
        if (n > 0) {
                cli_ws_send(s->ws, 0, buf, (size_t) n);
                return;
        }
        s->is_local_eof = true;
        s->linger_until_ms = clock_mono_ms() + PF_LINGER_MS;
}

static int pf_pump(struct pf_sess *s, struct cric_error **err) {
        if (pf_drain(s, err) < 0)
                return -1;
        while (!s->is_done) {
                struct pollfd p[2] = {{.fd = cli_ws_fd(s->ws), .events = POLLIN}, {.fd = -1}};
                if (cli_ws_pending(s->ws) > 0)
                        p[0].events |= POLLOUT;
                if (!s->is_local_eof && cli_ws_pending(s->ws) < CLI_WS_HIGH_WATER)
                        p[1] = (struct pollfd){.fd = s->c->fd, .events = POLLIN};
                int r = poll(p, 2, clock_poll_left(s->linger_until_ms));
                if (r < 0 && errno != EINTR)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "poll");
                if (s->linger_until_ms && clock_mono_ms() >= s->linger_until_ms)
                        return 0;
                if (r <= 0)
                        continue;
                if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && pf_read_ws(s, err) < 0)
                        return -1;
                if (p[1].revents && !s->is_done)
                        pf_read_local(s);
                if (!s->is_done && cli_ws_flush(s->ws, err) < 0)
                        return -1;
        }
        return 0;
}

static int pf_run(const struct pf_conn *c, struct cric_error **err) {
        CLEANUP(cli_ws_freep) struct cli_ws *ws = NULL;
        if (cli_ws_connect(c->url, pf_protocols, c->connect_timeout_ms, &ws, err) < 0)
                return -1;
        struct pf_sess s = {.ws = ws, .c = c};
        int r = pf_pump(&s, err);
        cli_ws_close(ws, WS_CLOSE_NORMAL);
        cli_ws_flush_wait(ws, CLOSE_FLUSH_MS);
        return r;
}

static void pf_conn_free(struct pf_conn *c) {
        if (c->fd >= 0)
                close(c->fd);
        free(c->url);
        free(c->pod);
        free(c);
}

static void *pf_thread(void *arg) {
        struct pf_conn *c = arg;
        struct cric_error *e = NULL;
        if (pf_run(c, &e) < 0)
                fprintf(stderr, "cricctl: an error occurred forwarding %u -> %u: %s\n", c->local, c->remote, e->msg);
        cric_error_free(e);
        pf_conn_free(c);
        return NULL;
}

static int start_detached(struct pf_conn *c, struct cric_error **err) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_t t;
        int r = pthread_create(&t, &attr, pf_thread, c);
        pthread_attr_destroy(&attr);
        return r ? cric_error_errno(err, CRIC_E_RESOURCE, r, "start a thread") : 0;
}

/* A local connection: a PortForward call here (gRPC stays in this thread), the
 * session in a thread of its own. A failure ends this connection only. */
static void pf_accept(struct cli *cli, const char *pod, const struct pf_spec *sp) {
        AUTOCLOSE int fd = accept4(sp->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
                return; /* gone already, or a signal */
        printf("Handling connection for %u\n", sp->local);
        fflush(stdout);
        CLEANUP(cric_error_freep) struct cric_error *e = NULL;
        AUTOFREE char *url = NULL;
        if (pf_url(cli, pod, sp->remote, &url, &e) < 0) {
                fprintf(stderr, "cricctl: an error occurred forwarding %u -> %u: %s\n", sp->local, sp->remote, e->msg);
                return;
        }
        struct pf_conn *c = xzalloc(sizeof(*c));
        *c = (struct pf_conn){.fd = STEAL_FD(fd),
                              .url = STEAL_PTR(url),
                              .pod = xstrdup(pod),
                              .local = sp->local,
                              .remote = sp->remote,
                              .connect_timeout_ms = cli->timeout_ms};
        if (start_detached(c, &e) < 0) {
                fprintf(stderr, "cricctl: an error occurred forwarding %u -> %u: %s\n", sp->local, sp->remote, e->msg);
                pf_conn_free(c);
        }
}

/* Accepts until SIGINT, SIGTERM or SIGHUP. */
static int pf_serve(struct cli *cli, const char *pod, struct pf_spec *specs, size_t n, int sig_fd,
                    struct cric_error **err) {
        AUTOFREE struct pollfd *p = xcalloc(n + 1, sizeof(*p));
        p[0] = (struct pollfd){.fd = sig_fd, .events = POLLIN};
        for (size_t i = 0; i < n; i++)
                p[i + 1] = (struct pollfd){.fd = specs[i].fd, .events = POLLIN};
        for (;;) {
                int r = poll(p, n + 1, -1);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return cric_error_errno(err, CRIC_E_INTERNAL, errno, "poll");
                if (p[0].revents)
                        return 0;
                for (size_t i = 0; i < n; i++)
                        if (p[i + 1].revents)
                                pf_accept(cli, pod, &specs[i]);
        }
}

static void specs_close(struct pf_spec *specs, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (specs[i].fd >= 0)
                        close(specs[i].fd);
}

static int port_forward(struct cli *cli, const char *pod, struct pf_spec *specs, size_t n, struct cric_error **err) {
        static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
        AUTOCLOSE int sig_fd = signals_take(sigs, N_FLAGS(sigs), err);
        if (sig_fd < 0)
                return -1;
        /* One call at once, as crictl makes: an unknown or stopped pod fails now, not
         * at the first connection. Its URL is left unused. */
        AUTOFREE char *url = NULL;
        if (pf_url(cli, pod, specs[0].remote, &url, err) < 0)
                return -1;
        for (size_t i = 0; i < n; i++)
                if (pf_listen(&specs[i], err) < 0)
                        return -1;
        return pf_serve(cli, pod, specs, n, sig_fd, err);
}

int cmd_port_forward(struct cli *cli, int argc, char **argv, struct cric_error **err) {
        static const char *const usage = "POD-ID [LOCAL_PORT:]REMOTE_PORT [[LOCAL_PORT:]REMOTE_PORT...]";
        bool is_help = false;
        struct cli_flag flags[] = {
                {"help", 'h', CLI_FLAG_BOOL, &is_help, NULL, "show help"},
        };
        int nargs;
        int r = cli_command_parse("port-forward", usage, flags, N_FLAGS(flags), &is_help, argc, argv, &nargs, err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        if (nargs < 2) { /* crictl shows the command's help */
                cli_command_usage(stdout, "port-forward", usage, flags, N_FLAGS(flags));
                return 0;
        }
        size_t n = (size_t) nargs - 1;
        AUTOFREE struct pf_spec *specs = xcalloc(n, sizeof(*specs));
        for (size_t i = 0; i < n; i++)
                specs[i].fd = -1;
        for (size_t i = 0; i < n; i++)
                if (parse_spec(argv[i + 2], &specs[i], err) < 0)
                        return cric_error_prefix(err, "port forward");
        r = port_forward(cli, argv[1], specs, n, err);
        specs_close(specs, n);
        return r < 0 ? cric_error_prefix(err, "port forward") : 0;
}
