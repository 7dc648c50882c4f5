/* Leveled logging to stderr, as text or JSON lines. Thread-safe. */
#ifndef CRIC_UTIL_LOG_H
#define CRIC_UTIL_LOG_H

#include <stdbool.h>

enum log_level {
        LOG_LEVEL_ERROR = 0,
        LOG_LEVEL_WARN,
        LOG_LEVEL_INFO,
        LOG_LEVEL_DEBUG,
        LOG_LEVEL_TRACE,
        LOG_LEVEL_MAX,
        LOG_LEVEL_INVALID = -1,
};

enum log_format {
        LOG_FORMAT_TEXT = 0,
        LOG_FORMAT_JSON,
        LOG_FORMAT_MAX,
        LOG_FORMAT_INVALID = -1,
};

/* Parses "error", "warn"/"warning", "info", "debug", "trace" (also CRI-O's "fatal" and
 * "panic", which mean error). Returns LOG_LEVEL_INVALID for anything else. */
enum log_level log_level_from_string(const char *s);
const char *log_level_to_string(enum log_level level);
enum log_format log_format_from_string(const char *s);
const char *log_format_to_string(enum log_format f);

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_set_format(enum log_format format);
enum log_format log_get_format(void);
/* Text put before every message ("cric-pull[42]: "), or NULL for none. Call it before
 * other threads log. */
void log_set_prefix(const char *prefix);
static inline bool log_enabled(enum log_level level) {
        return level <= log_get_level();
}

/* Where the message comes from: log_msg passes the caller's file, line and function. */
void log_msg_at(enum log_level level, const char *file, int line, const char *func, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
#define log_msg(level, ...) log_msg_at(level, __FILE__, __LINE__, __func__, __VA_ARGS__)

/* Another destination for messages (util/log_journal.h sets the journal's): returns
 * false when it could not take the message, which then goes to stderr. NULL: stderr. */
typedef bool (*log_sink_fn)(enum log_level level, const char *file, int line, const char *func, const char *msg);
void log_set_sink(log_sink_fn sink);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)                                                                                                 \
        do {                                                                                                           \
                if (log_enabled(LOG_LEVEL_DEBUG))                                                                      \
                        log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__);                                                         \
        } while (0)
#define log_trace(...)                                                                                                 \
        do {                                                                                                           \
                if (log_enabled(LOG_LEVEL_TRACE))                                                                      \
                        log_msg(LOG_LEVEL_TRACE, __VA_ARGS__);                                                         \
        } while (0)

#endif
