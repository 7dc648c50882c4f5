/* The control fifo: one text command per line ("reopen", "resize <rows> <cols>"). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/internal.h"

static bool parse_dim(const char *s, char **end, unsigned short *ret) {
        if (*s < '0' || *s > '9')
                return false;
        errno = 0;
        unsigned long v = strtoul(s, end, 10);
        if (errno || v == 0 || v > 65535)
                return false;
        *ret = (unsigned short) v;
        return true;
}

enum ctl_kind ctl_parse_line(const char *line, struct ctl_cmd *ret) {
        struct ctl_cmd cmd = {.kind = CTL_KIND_INVALID};
        if (!strcmp(line, "reopen")) {
                cmd.kind = CTL_REOPEN;
        } else if (!strncmp(line, "resize ", 7)) {
                char *end = NULL;
                if (!parse_dim(line + 7, &end, &cmd.rows) || *end != ' ')
                        return CTL_KIND_INVALID;
                if (!parse_dim(end + 1, &end, &cmd.cols) || *end)
                        return CTL_KIND_INVALID;
                cmd.kind = CTL_RESIZE;
        } else {
                return CTL_KIND_INVALID;
        }
        *ret = cmd;
        return cmd.kind;
}

int ctl_open(struct ctl_fifo *c, int dirfd, struct cric_error **err) {
        *c = (struct ctl_fifo){.read_fd = -1, .keep_fd = -1};
        unlinkat(dirfd, MONITOR_CTL_NAME, 0);
        if (mkfifoat(dirfd, MONITOR_CTL_NAME, 0600) < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "mkfifo %s", MONITOR_CTL_NAME);
        c->read_fd = openat(dirfd, MONITOR_CTL_NAME, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (c->read_fd < 0)
                return cric_error_errno(err, CRIC_E_INTERNAL, errno, "open %s", MONITOR_CTL_NAME);
        /* Holding a writer ourselves keeps poll() from reporting a hangup after every
         * client that writes a command and closes. */
        c->keep_fd = openat(dirfd, MONITOR_CTL_NAME, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (c->keep_fd < 0) {
                int e = errno;
                close(c->read_fd);
                c->read_fd = -1;
                return cric_error_errno(err, CRIC_E_INTERNAL, e, "open %s for writing", MONITOR_CTL_NAME);
        }
        return 0;
}

static void take_byte(struct ctl_fifo *c, char ch, void (*fn)(const struct ctl_cmd *, void *), void *userdata) {
        if (ch != '\n') {
                if (c->len + 1 >= sizeof(c->line))
                        c->is_discarding = true;
                else
                        c->line[c->len++] = ch;
                return;
        }
        c->line[c->len] = '\0';
        struct ctl_cmd cmd;
        if (c->is_discarding)
                log_warn("control fifo: line too long, ignoring it");
        else if (ctl_parse_line(c->line, &cmd) == CTL_KIND_INVALID)
                log_warn("control fifo: unknown command \"%s\", ignoring it", c->line);
        else
                fn(&cmd, userdata);
        c->len = 0;
        c->is_discarding = false;
}

void ctl_read(struct ctl_fifo *c, void (*fn)(const struct ctl_cmd *cmd, void *userdata), void *userdata) {
        char buf[512];
        for (;;) {
                ssize_t n = read(c->read_fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return;
                for (ssize_t i = 0; i < n; i++)
                        take_byte(c, buf[i], fn, userdata);
        }
}

void ctl_close(struct ctl_fifo *c, int dirfd) {
        if (c->read_fd >= 0) {
                close(c->read_fd);
                if (dirfd >= 0)
                        unlinkat(dirfd, MONITOR_CTL_NAME, 0);
        }
        if (c->keep_fd >= 0)
                close(c->keep_fd);
        c->read_fd = c->keep_fd = -1;
}
