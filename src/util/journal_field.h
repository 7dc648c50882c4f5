/* Fields of the systemd journal's native protocol, shared by the daemon's log
 * (util/log_journal.c) and container output (monitor/journal.c): a datagram is a run of
 * KEY=value\n lines, or KEY\n<le64 length><value>\n for a value holding a newline. */
#ifndef CRIC_UTIL_JOURNAL_FIELD_H
#define CRIC_UTIL_JOURNAL_FIELD_H

#include <stddef.h>

struct journal_buf {
        char *data;
        size_t len, cap;
};

/* Appends one field; value is len bytes (any bytes). */
void journal_field_append(struct journal_buf *b, const char *key, const char *value, size_t len);

#endif
