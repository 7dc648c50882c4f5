/* The session loop: bytes between the client's socket and the backend descriptors. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "monitor/protocol.h"
#include "streaming/link.h"
#include "streaming/internal.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"

#define PACKET_MAX (64 * 1024)

void bytes_append(struct bytes *b, const void *p, size_t n) {
        if (n == 0)
                return;
        if (b->off && b->off == b->len)
                b->off = b->len = 0;
        if (b->off > b->cap / 2) { /* slide back rather than grow */
                memmove(b->data, b->data + b->off, b->len - b->off);
                b->len -= b->off;
                b->off = 0;
        }
        b->data = xgrow(b->data, &b->cap, b->len + n, 1);
        memcpy(b->data + b->len, p, n);
        b->len += n;
}

void bytes_consume(struct bytes *b, size_t n) {
        b->off += n;
        if (b->off >= b->len)
                b->off = b->len = 0;
}

void bytes_reserve(struct bytes *b, size_t n) {
        if (b->off && b->off == b->len)
                b->off = b->len = 0;
        if (b->off > b->cap / 2) {
                memmove(b->data, b->data + b->off, b->len - b->off);
                b->len -= b->off;
                b->off = 0;
        }
        b->data = xgrow(b->data, &b->cap, b->len + n, 1);
}

size_t bytes_avail(const struct bytes *b) {
        return b->len - b->off;
}

void bytes_clear(struct bytes *b) {
        free(b->data);
        *b = (struct bytes){0};
}

static void flush_held(struct sess *s);

static struct pipe *add_pipe(struct sess *s, int fd, uint32_t ch, bool is_out) {
        flush_held(s); /* a slot taken again is no held piece's */
        struct pipe *p = NULL;
        for (size_t i = 0; i < s->n_pipes && !p; i++) /* reuse the slot of a finished pipe */
                if (s->pipes[i].is_done)
                        p = &s->pipes[i];
        if (!p && s->n_pipes == SESS_MAX_PIPES)
                return NULL;
        if (!p)
                p = &s->pipes[s->n_pipes++];
        bytes_clear(&p->pending);
        *p = (struct pipe){.fd = fd, .ch = ch, .is_out = is_out};
        if (fd >= 0)
                fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        return p;
}

struct pipe *sess_add_out(struct sess *s, int fd, uint32_t ch) {
        return add_pipe(s, fd, ch, true);
}

struct pipe *sess_add_in(struct sess *s, int fd, uint32_t ch) {
        return add_pipe(s, fd, ch, false);
}

struct pipe *sess_find_in(struct sess *s, uint32_t ch) {
        for (size_t i = 0; i < s->n_pipes; i++)
                if (!s->pipes[i].is_out && s->pipes[i].ch == ch && !s->pipes[i].is_done)
                        return &s->pipes[i];
        return NULL;
}

static void pipe_flush(struct sess *s, struct pipe *p);

struct pipe *sess_connect_in(struct sess *s, uint32_t ch, int fd) {
        struct pipe *p = sess_find_in(s, ch);
        if (!p || p->fd >= 0) {
                p = sess_add_in(s, fd, ch);
                if (!p)
                        return NULL;
        } else {
                p->fd = fd;
                fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        }
        return p;
}

void sess_flush_in(struct sess *s, struct pipe *p) {
        pipe_flush(s, p);
}

void sess_add_extra(struct sess *s, int fd) {
        if (s->n_extra < SESS_MAX_EXTRA)
                s->extra[s->n_extra++] = fd;
}

void sess_remove_extra(struct sess *s, int fd) {
        for (size_t i = 0; i < s->n_extra; i++)
                if (s->extra[i] == fd)
                        s->extra[i] = s->extra[--s->n_extra];
}

static void pipe_close(struct pipe *p) {
        if (p->is_done)
                return;
        p->is_done = true;
        if (p->fd >= 0) {
                if (p->is_shared)
                        shutdown(p->fd, p->is_out ? SHUT_RD : SHUT_WR);
                else
                        close(p->fd);
        }
        p->fd = -1;
        bytes_clear(&p->pending);
}

/* One write to an input pipe's backend: the bytes taken (0: it is full), or -1 when the
 * reader is gone (the process exited), its input dropped and the pipe closed. */
static ssize_t pipe_writev(struct sess *s, struct pipe *p, const struct iovec *iov, size_t n) {
        ssize_t w;
        while ((w = writev(p->fd, iov, (int) n)) < 0 && errno == EINTR)
                ;
        if (w >= 0)
                return w;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
        log_debug("%s: input of channel %u dropped: %s", s->what, p->ch, strerror(errno));
        pipe_close(p);
        return -1;
}

static ssize_t pipe_write(struct sess *s, struct pipe *p, const uint8_t *buf, size_t n) {
        struct iovec iov = {.iov_base = (void *) buf, .iov_len = n};
        return pipe_writev(s, p, &iov, 1);
}

/* Writes what an input pipe holds; ends it when the client ended its channel. */
static void pipe_flush(struct sess *s, struct pipe *p) {
        while (p->fd >= 0 && bytes_avail(&p->pending) > 0) {
                size_t n = bytes_avail(&p->pending);
                if (p->is_packet && n > PACKET_MAX)
                        n = PACKET_MAX;
                ssize_t w = pipe_write(s, p, p->pending.data + p->pending.off, n);
                if (w <= 0)
                        return;
                bytes_consume(&p->pending, (size_t) w);
        }
        if (p->fd >= 0 && p->is_eof && bytes_avail(&p->pending) == 0)
                pipe_close(p);
}

void sess_deliver(struct sess *s, uint32_t ch, const uint8_t *buf, size_t len) {
        flush_held(s); /* in order */
        struct pipe *p = sess_find_in(s, ch);
        if (!p) {
                if (s->app->on_data)
                        s->app->on_data(s, ch, buf, len);
                return;
        }
        if (p->is_eof || len == 0)
                return;
        if (p->is_packet) { /* one write per delivery keeps the client's packets whole */
                for (size_t off = 0; off < len; off += PACKET_MAX)
                        bytes_append(&p->pending, buf + off, len - off > PACKET_MAX ? PACKET_MAX : len - off);
                pipe_flush(s, p);
                return;
        }
        if (p->fd >= 0 && bytes_avail(&p->pending) == 0) { /* nothing queued: from the client's bytes, no copy */
                ssize_t w = pipe_write(s, p, buf, len);
                if (w < 0)
                        return;
                buf += w;
                len -= (size_t) w;
        }
        if (len > 0)
                bytes_append(&p->pending, buf, len);
}

void sess_deliver_held(struct sess *s, uint32_t ch, const uint8_t *buf, size_t len) {
        struct pipe *p = sess_find_in(s, ch);
        if (!p || p->fd < 0 || p->is_packet || p->is_eof || bytes_avail(&p->pending) > 0 || len == 0) {
                sess_deliver(s, ch, buf, len);
                return;
        }
        if (s->n_held == SESS_HELD_MAX)
                flush_held(s);
        s->held[s->n_held++] = (struct held){.p = p, .buf = buf, .len = len};
}

void bytes_append_unwritten(struct bytes *b, const struct iovec *iov, size_t n, size_t written) {
        for (size_t i = 0; i < n; i++) {
                size_t skip = written < iov[i].iov_len ? written : iov[i].iov_len;
                written -= skip;
                bytes_append(b, (const uint8_t *) iov[i].iov_base + skip, iov[i].iov_len - skip);
        }
}

/* One pipe's held pieces from held[first] on: one writev, the rest kept in pending.
 * Marks them taken (p = NULL). */
static void write_held(struct sess *s, size_t first) {
        struct pipe *p = s->held[first].p;
        struct iovec iov[SESS_HELD_MAX];
        size_t n = 0;
        for (size_t i = first; i < s->n_held; i++) {
                if (s->held[i].p != p)
                        continue;
                iov[n++] = (struct iovec){.iov_base = (void *) s->held[i].buf, .iov_len = s->held[i].len};
                s->held[i].p = NULL;
        }
        ssize_t w = p->is_done ? -1 : pipe_writev(s, p, iov, n);
        if (w >= 0)
                bytes_append_unwritten(&p->pending, iov, n, (size_t) w);
}

/* Writes every held piece (or keeps it in its pipe's pending input). */
static void flush_held(struct sess *s) {
        for (size_t i = 0; i < s->n_held; i++)
                if (s->held[i].p)
                        write_held(s, i);
        s->n_held = 0;
}

void sess_deliver_eof(struct sess *s, uint32_t ch) {
        flush_held(s);
        struct pipe *p = sess_find_in(s, ch);
        if (!p) {
                if (s->app->on_eof)
                        s->app->on_eof(s, ch);
                return;
        }
        p->is_eof = true;
        pipe_flush(s, p);
}

void sess_send(struct sess *s, uint32_t ch, const void *buf, size_t len) {
        s->proto->send(s, ch, buf, len);
}

void sess_finish(struct sess *s) {
        if (s->is_finishing)
                return;
        s->is_finishing = true;
        s->proto->finish(s);
}

static size_t pending_input(const struct sess *s) {
        size_t n = 0;
        for (size_t i = 0; i < s->n_pipes; i++)
                if (!s->pipes[i].is_out)
                        n += bytes_avail(&s->pipes[i].pending);
        return n;
}

/* Reads one chunk of an out pipe's backend and sends it. */
static void pump_out(struct sess *s, struct pipe *p) {
        size_t room = s->proto->window(s, p->ch);
        if (p->is_demux) {
                size_t room2 = s->proto->window(s, p->ch_err);
                room = room < room2 ? room : room2;
        }
        uint8_t buf[SESS_READ_CHUNK + 1];
        size_t want = room < SESS_READ_CHUNK ? room : SESS_READ_CHUNK;
        if (want == 0 || (p->is_demux && room < MONITOR_ATTACH_PACKET_MAX)) /* a packet is read whole */
                return;
        ssize_t r = p->is_demux ? recv(p->fd, buf, sizeof(buf), 0) : read(p->fd, buf, want);
        if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
                return;
        if (r <= 0) { /* EOF, or EIO of a terminal whose last writer is gone */
                p->is_eof = true;
                uint32_t ch = p->ch;
                pipe_close(p);
                if (s->app->on_eof)
                        s->app->on_eof(s, ch);
                return;
        }
        if (!p->is_demux) {
                if (p->ch != SESS_NO_CHANNEL)
                        s->proto->send(s, p->ch, buf, (size_t) r);
        } else if (r > 1) {
                uint32_t ch = buf[0] == MONITOR_STREAM_STDERR ? p->ch_err : p->ch;
                if (ch != SESS_NO_CHANNEL)
                        s->proto->send(s, ch, buf + 1, (size_t) r - 1);
        }
}

/* Moves s->out to the client; false when the client is gone. */
static bool flush_client(struct sess *s) {
        while (bytes_avail(&s->out) > 0) {
                ssize_t w = link_send(s->link, s->out.data + s->out.off, bytes_avail(&s->out));
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return true;
                if (w < 0)
                        return false;
                bytes_consume(&s->out, (size_t) w);
        }
        return true;
}

/* Hands what s->in holds to the protocol, then writes what it held back; false (logged)
 * when the client broke the protocol. */
static bool feed(struct sess *s) {
        struct cric_error *err = NULL;
        int r = s->proto->feed(s, &err);
        flush_held(s);
        if (r < 0) {
                log_info("%s: %s", s->what, err ? err->msg : "protocol error");
                cric_error_free(err);
                return false;
        }
        return true;
}

/* Reads what the client sent and hands it to the protocol; false when the session
 * must end (the client closed, or broke the protocol). */
static bool read_client(struct sess *s) {
        /* Straight into the input buffer: big reads (a port-forward upload), no copy. */
        size_t want = s->read_size ? s->read_size : SESS_CLIENT_READ;
        bytes_reserve(&s->in, want);
        ssize_t r = link_recv(s->link, s->in.data + s->in.len, want);
        if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
                return true;
        if (r <= 0) {
                s->is_client_eof = true;
                return false;
        }
        if ((size_t) r == want && want < SESS_CLIENT_READ_MAX) /* more was waiting: read more at once */
                s->read_size = want * 2;
        s->in.len += (size_t) r;
        return feed(s);
}

struct poll_set {
        struct pollfd fds[2 + SESS_MAX_PIPES + SESS_MAX_EXTRA];
        struct pipe *pipe_of[2 + SESS_MAX_PIPES + SESS_MAX_EXTRA];
        nfds_t n;
};

static void poll_add(struct poll_set *ps, int fd, short events, struct pipe *p) {
        ps->fds[ps->n] = (struct pollfd){.fd = fd, .events = events};
        ps->pipe_of[ps->n++] = p;
}

static void build_poll_set(struct sess *s, struct poll_set *ps) {
        ps->n = 0;
        short client = 0;
        if (!s->is_client_eof && !s->is_finishing && pending_input(s) < SESS_HIGH_WATER)
                client |= POLLIN;
        if (bytes_avail(&s->out) > 0)
                client |= POLLOUT;
        poll_add(ps, s->fd, client, NULL);
        for (size_t i = 0; i < s->n_pipes; i++) {
                struct pipe *p = &s->pipes[i];
                if (p->is_done || p->fd < 0)
                        continue;
                if (p->is_out && !s->is_finishing && bytes_avail(&s->out) < SESS_HIGH_WATER)
                        poll_add(ps, p->fd, POLLIN, p);
                else if (!p->is_out && bytes_avail(&p->pending) > 0)
                        poll_add(ps, p->fd, POLLOUT, p);
        }
        for (size_t i = 0; i < s->n_extra; i++)
                poll_add(ps, s->extra[i], POLLIN, NULL);
}

static int poll_timeout(const struct sess *s, int64_t last_activity) {
        if (link_pending(s->link) && !s->is_client_eof && !s->is_finishing)
                return 0; /* TLS holds bytes the socket will not announce again */
        int64_t now = clock_mono_ms(), until = -1;
        if (s->idle_timeout_ms > 0)
                until = last_activity + s->idle_timeout_ms;
        if (s->deadline_ms > 0 && (until < 0 || s->deadline_ms < until))
                until = s->deadline_ms;
        if (until < 0)
                return -1;
        return until <= now ? 0 : (int) (until - now > 60000 ? 60000 : until - now);
}

static void handle_events(struct sess *s, struct poll_set *ps) {
        for (nfds_t i = 1; i < ps->n; i++) {
                short ev = ps->fds[i].revents;
                struct pipe *p = ps->pipe_of[i];
                if (!ev)
                        continue;
                if (!p)
                        s->app->on_extra(s, ps->fds[i].fd);
                else if (p->is_done || p->fd < 0)
                        continue;
                else if (p->is_out)
                        pump_out(s, p);
                else if (ev & (POLLERR | POLLHUP) && !(ev & POLLOUT))
                        pipe_close(p);
                else
                        pipe_flush(s, p);
        }
}

/* One round of the loop; false when the session ends. */
static bool run_once(struct sess *s, int64_t *last_activity) {
        struct poll_set ps;
        build_poll_set(s, &ps);
        int r = poll(ps.fds, ps.n, poll_timeout(s, *last_activity));
        if (r < 0 && errno != EINTR) {
                log_warn("%s: poll: %s", s->what, strerror(errno));
                return false;
        }
        int64_t now = clock_mono_ms();
        if (r > 0)
                *last_activity = now;
        short cev = r > 0 ? ps.fds[0].revents : 0;
        if (link_pending(s->link) && (ps.fds[0].events & POLLIN))
                cev |= POLLIN;
        if ((cev & POLLOUT) && !flush_client(s))
                return false;
        if ((cev & (POLLIN | POLLHUP | POLLERR)) && !read_client(s)) {
                if (s->is_finishing) /* the client closed after our last word: fine */
                        s->is_done = true;
                return false;
        }
        handle_events(s, &ps);
        if (!flush_client(s))
                return false;
        if (s->idle_timeout_ms > 0 && now - *last_activity >= s->idle_timeout_ms) {
                log_info("%s: closed after %lld ms without traffic", s->what, (long long) s->idle_timeout_ms);
                return false;
        }
        if (s->app->on_tick)
                s->app->on_tick(s);
        if (s->is_finishing && bytes_avail(&s->out) == 0)
                s->is_done = true;
        return !s->is_done;
}

void sess_run(struct sess *s) {
        fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK);
        int64_t last_activity = clock_mono_ms();
        if (bytes_avail(&s->in) > 0) { /* bytes that came with the upgrade request */
                if (!feed(s)) {
                        s->app->on_abort(s);
                        return;
                }
        }
        while (run_once(s, &last_activity))
                ;
        if (!s->is_done)
                s->app->on_abort(s);
        flush_client(s); /* the last word (a close frame, GOAWAY), if the client still takes it */
}

void sess_clear(struct sess *s) {
        for (size_t i = 0; i < s->n_pipes; i++)
                pipe_close(&s->pipes[i]);
        if (s->app && s->app->free)
                s->app->free(s);
        if (s->proto && s->proto->free)
                s->proto->free(s);
        bytes_clear(&s->in);
        bytes_clear(&s->out);
        free(s->what);
}
