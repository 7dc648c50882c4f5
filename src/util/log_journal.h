/* The daemon's log straight into the systemd journal, over its native protocol (one
 * datagram of fields per message to /run/systemd/journal/socket), when systemd gave it
 * a journal stream as stderr. Messages the journal does not take go to stderr. */
#ifndef CRIC_UTIL_LOG_JOURNAL_H
#define CRIC_UTIL_LOG_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/log.h"

/* Where the journal listens; $CRIC_JOURNAL_SOCKET replaces it (for tests only). */
#define LOG_JOURNAL_SOCKET "/run/systemd/journal/socket"

/* Whether $JOURNAL_STREAM's value ("<device>:<inode>") names the file open on fd. */
bool log_journal_stream_is(const char *journal_stream, int fd);

/* Sends the log to the journal, with SYSLOG_IDENTIFIER=identifier, when stderr is the
 * stream $JOURNAL_STREAM names. Returns 1 when it does, 0 when stderr is something else,
 * -1 when the journal's socket cannot be opened (errno set; the log stays on stderr). */
int log_journal_setup(const char *identifier);

/* One message as the native protocol's fields: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER,
 * CODE_FILE, CODE_LINE, CODE_FUNC (file and func may be NULL). Values holding a newline
 * take the binary form. Free the result; *len is its size. */
char *log_journal_encode(enum log_level level, const char *identifier, const char *file, int line, const char *func,
                         const char *msg, size_t *len);

/* The syslog priority of a level (error 3 ... debug and trace 7). */
int log_journal_priority(enum log_level level);

#endif
