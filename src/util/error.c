#include "util/error.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/xalloc.h"

int cric_error_setv(struct cric_error **err, enum cric_error_kind kind, int errnum, const char *fmt, va_list ap) {
        if (!err)
                return -1;
        char *msg = xvasprintf(fmt, ap);
        if (errnum) {
                char *full = xasprintf("%s: %s", msg, strerror(errnum));
                free(msg);
                msg = full;
        }
        struct cric_error *e = xzalloc(sizeof(*e));
        e->kind = kind;
        e->errno_value = errnum;
        e->msg = msg;
        if (*err) /* never leak an earlier error: the newer one wins */
                cric_error_free(*err);
        *err = e;
        return -1;
}

int cric_error_set(struct cric_error **err, enum cric_error_kind kind, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        cric_error_setv(err, kind, 0, fmt, ap);
        va_end(ap);
        return -1;
}

int cric_error_errno(struct cric_error **err, enum cric_error_kind kind, int errnum, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        cric_error_setv(err, kind, errnum, fmt, ap);
        va_end(ap);
        return -1;
}

int cric_error_prefix(struct cric_error **err, const char *fmt, ...) {
        if (!err || !*err)
                return -1;
        va_list ap;
        va_start(ap, fmt);
        char *prefix = xvasprintf(fmt, ap);
        va_end(ap);
        char *msg = xasprintf("%s: %s", prefix, (*err)->msg);
        free(prefix);
        free((*err)->msg);
        (*err)->msg = msg;
        return -1;
}

int cric_error_move(struct cric_error **err, struct cric_error **from) {
        struct cric_error *e = from ? *from : NULL;
        if (from)
                *from = NULL;
        if (!err) {
                cric_error_free(e);
                return -1;
        }
        if (e && *err != e) {
                cric_error_free(*err);
                *err = e;
        }
        return -1;
}

void cric_error_log_free(struct cric_error **err, const char *fmt, ...) {
        if (!err || !*err)
                return;
        if (fmt) {
                va_list ap;
                va_start(ap, fmt);
                char *prefix = xvasprintf(fmt, ap);
                va_end(ap);
                log_warn("%s: %s", prefix, (*err)->msg);
                free(prefix);
        } else {
                log_warn("%s", (*err)->msg);
        }
        *err = cric_error_free(*err);
}

struct cric_error *cric_error_free(struct cric_error *e) {
        if (e) {
                free(e->msg);
                free(e);
        }
        return NULL;
}

void cric_error_freep(struct cric_error **e) {
        if (e)
                *e = cric_error_free(*e);
}

const char *cric_error_kind_name(enum cric_error_kind kind) {
        static const char *const names[CRIC_E_KIND_MAX] = {
                [CRIC_E_INTERNAL] = "internal",
                [CRIC_E_INVALID] = "invalid argument",
                [CRIC_E_NOT_FOUND] = "not found",
                [CRIC_E_EXISTS] = "already exists",
                [CRIC_E_UNAVAILABLE] = "unavailable",
                [CRIC_E_TIMEOUT] = "deadline exceeded",
                [CRIC_E_UNIMPLEMENTED] = "unimplemented",
                [CRIC_E_PERMISSION] = "permission denied",
                [CRIC_E_PRECONDITION] = "failed precondition",
                [CRIC_E_RESOURCE] = "resource exhausted",
                [CRIC_E_CANCELLED] = "cancelled",
                [CRIC_E_SIGNATURE] = "signature validation failed",
        };
        if ((int) kind < 0 || kind >= CRIC_E_KIND_MAX)
                return "unknown";
        return names[kind];
}
