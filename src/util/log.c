#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/json.h"
#include "util/xalloc.h"

static _Atomic int cur_level = LOG_LEVEL_INFO;
static _Atomic int cur_format = LOG_FORMAT_TEXT;
static _Atomic(log_sink_fn) cur_sink; /* NULL: stderr */
static char *cur_prefix;              /* set once, before any thread logs */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[LOG_LEVEL_MAX] = {"error", "warning", "info", "debug", "trace"};

enum log_level log_level_from_string(const char *s) {
        if (!s)
                return LOG_LEVEL_INVALID;
        if (!strcasecmp(s, "warn"))
                return LOG_LEVEL_WARN;
        if (!strcasecmp(s, "fatal") || !strcasecmp(s, "panic"))
                return LOG_LEVEL_ERROR;
        for (int i = 0; i < LOG_LEVEL_MAX; i++)
                if (!strcasecmp(s, level_names[i]))
                        return (enum log_level) i;
        return LOG_LEVEL_INVALID;
}

const char *log_level_to_string(enum log_level level) {
        if ((int) level < 0 || level >= LOG_LEVEL_MAX)
                return "invalid";
        return level_names[level];
}

enum log_format log_format_from_string(const char *s) {
        if (s && !strcasecmp(s, "text"))
                return LOG_FORMAT_TEXT;
        if (s && !strcasecmp(s, "json"))
                return LOG_FORMAT_JSON;
        return LOG_FORMAT_INVALID;
}

const char *log_format_to_string(enum log_format f) {
        return f == LOG_FORMAT_JSON ? "json" : "text";
}

void log_set_level(enum log_level level) {
        if ((int) level >= 0 && level < LOG_LEVEL_MAX)
                cur_level = level;
}

enum log_level log_get_level(void) {
        return (enum log_level) cur_level;
}

void log_set_format(enum log_format format) {
        if (format == LOG_FORMAT_TEXT || format == LOG_FORMAT_JSON)
                cur_format = format;
}

enum log_format log_get_format(void) {
        return cur_format;
}

void log_set_prefix(const char *prefix) {
        free(cur_prefix);
        cur_prefix = prefix && *prefix ? xstrdup(prefix) : NULL;
}

void log_set_sink(log_sink_fn sink) {
        cur_sink = sink;
}

void log_msg_at(enum log_level level, const char *file, int lineno, const char *func, const char *fmt, ...) {
        if (!log_enabled(level))
                return;
        va_list ap;
        va_start(ap, fmt);
        char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        if (cur_prefix) {
                char *m = xasprintf("%s%s", cur_prefix, msg);
                free(msg);
                msg = m;
        }
        log_sink_fn sink = cur_sink;
        if (sink && sink(level, file, lineno, func, msg)) {
                free(msg);
                return;
        }

        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        char when[64];
        size_t n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(when + n, sizeof(when) - n, ".%06ldZ", ts.tv_nsec / 1000);

        char *line;
        if (cur_format == LOG_FORMAT_JSON) {
                char *qmsg = json_quote(msg);
                line = xasprintf("{\"time\":\"%s\",\"level\":\"%s\",\"msg\":%s}\n", when, level_names[level], qmsg);
                free(qmsg);
        } else {
                line = xasprintf("%s %-7s %s\n", when, level_names[level], msg);
        }
        pthread_mutex_lock(&log_lock);
        fputs(line, stderr);
        fflush(stderr);
        pthread_mutex_unlock(&log_lock);
        free(line);
        free(msg);
}
