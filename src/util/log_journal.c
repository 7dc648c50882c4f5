#include "util/log_journal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/journal_field.h"
#include "util/xalloc.h"

static void jbuf_field(struct journal_buf *b, const char *key, const char *value) {
        journal_field_append(b, key, value, strlen(value));
}

int log_journal_priority(enum log_level level) {
        switch (level) {
        case LOG_LEVEL_ERROR: return 3;
        case LOG_LEVEL_WARN: return 4;
        case LOG_LEVEL_INFO: return 6;
        default: return 7;
        }
}

char *log_journal_encode(enum log_level level, const char *identifier, const char *file, int line, const char *func,
                         const char *msg, size_t *len) {
        struct journal_buf b = {0};
        char num[24];
        jbuf_field(&b, "MESSAGE", msg);
        snprintf(num, sizeof(num), "%d", log_journal_priority(level));
        jbuf_field(&b, "PRIORITY", num);
        if (identifier)
                jbuf_field(&b, "SYSLOG_IDENTIFIER", identifier);
        if (file) {
                while (!strncmp(file, "../", 3)) /* __FILE__ as the build dir sees it */
                        file += 3;
                jbuf_field(&b, "CODE_FILE", file);
                snprintf(num, sizeof(num), "%d", line);
                jbuf_field(&b, "CODE_LINE", num);
        }
        if (func)
                jbuf_field(&b, "CODE_FUNC", func);
        *len = b.len;
        return b.data;
}

bool log_journal_stream_is(const char *journal_stream, int fd) {
        uintmax_t dev, ino;
        int end = 0;
        if (!journal_stream || sscanf(journal_stream, "%ju:%ju%n", &dev, &ino, &end) != 2 || journal_stream[end])
                return false;
        struct stat st;
        return fstat(fd, &st) == 0 && (uintmax_t) st.st_dev == dev && (uintmax_t) st.st_ino == ino;
}

static int journal_fd = -1;
static struct sockaddr_un journal_addr;
static socklen_t journal_addr_len;
static const char *journal_identifier;

static bool journal_sink(enum log_level level, const char *file, int line, const char *func, const char *msg) {
        size_t len;
        char *dgram = log_journal_encode(level, journal_identifier, file, line, func, msg, &len);
        /* Never waits for a journal that is behind: stderr (its stream) takes the message. */
        ssize_t n = sendto(journal_fd, dgram, len, MSG_NOSIGNAL | MSG_DONTWAIT, (struct sockaddr *) &journal_addr,
                           journal_addr_len);
        free(dgram);
        return n == (ssize_t) len;
}

int log_journal_setup(const char *identifier) {
        if (!log_journal_stream_is(getenv("JOURNAL_STREAM"), STDERR_FILENO))
                return 0;
        const char *path = getenv("CRIC_JOURNAL_SOCKET");
        if (!path || !*path)
                path = LOG_JOURNAL_SOCKET;
        size_t n = strlen(path);
        if (n >= sizeof(journal_addr.sun_path)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        journal_addr = (struct sockaddr_un){.sun_family = AF_UNIX};
        memcpy(journal_addr.sun_path, path, n);
        journal_addr_len = (socklen_t) sizeof(journal_addr);
        /* Long messages: the datagram may be as large as the journal reads (its limit
         * is far above ours); a message the socket still refuses goes to stderr. */
        int sndbuf = 8 << 20;
        (void) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
        if (journal_fd >= 0)
                close(journal_fd);
        journal_fd = fd;
        journal_identifier = identifier;
        log_set_sink(journal_sink);
        return 1;
}
