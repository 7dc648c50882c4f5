/* cric error object: a kind (maps 1:1 to a gRPC status), an errno and a message.
 *
 * A function that can fail takes `struct cric_error **err` as its last parameter,
 * returns a negative value (or NULL) on failure and leaves a heap error in *err.
 * On success *err is untouched. */
#ifndef CRIC_UTIL_ERROR_H
#define CRIC_UTIL_ERROR_H

#include <stdarg.h>

enum cric_error_kind {
        CRIC_E_INTERNAL = 0,  /* gRPC INTERNAL */
        CRIC_E_INVALID,       /* INVALID_ARGUMENT */
        CRIC_E_NOT_FOUND,     /* NOT_FOUND */
        CRIC_E_EXISTS,        /* ALREADY_EXISTS */
        CRIC_E_UNAVAILABLE,   /* UNAVAILABLE */
        CRIC_E_TIMEOUT,       /* DEADLINE_EXCEEDED */
        CRIC_E_UNIMPLEMENTED, /* UNIMPLEMENTED */
        CRIC_E_PERMISSION,    /* PERMISSION_DENIED */
        CRIC_E_PRECONDITION,  /* FAILED_PRECONDITION */
        CRIC_E_RESOURCE,      /* RESOURCE_EXHAUSTED */
        CRIC_E_CANCELLED,     /* CANCELLED */
        CRIC_E_SIGNATURE,     /* UNKNOWN: the signature policy rejected an image (the kubelet
                               * reads "SignatureValidationFailed" from the message) */
        CRIC_E_KIND_MAX,
        CRIC_E_KIND_INVALID = -1,
};

struct cric_error {
        enum cric_error_kind kind;
        int errno_value; /* 0 when the failure did not come from a syscall */
        char *msg;
};

/* Sets *err to a new error and returns -1. err may be NULL (the error is dropped). */
int cric_error_set(struct cric_error **err, enum cric_error_kind kind, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Same, appending ": strerror(errnum)" to the message. */
int cric_error_errno(struct cric_error **err, enum cric_error_kind kind, int errnum, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
int cric_error_setv(struct cric_error **err, enum cric_error_kind kind, int errnum, const char *fmt, va_list ap);

/* Prefixes the message of *err with "<context>: " and returns -1.
 * Does nothing (but still returns -1) when err or *err is NULL. */
int cric_error_prefix(struct cric_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Hands *from over to *err and returns -1: what *err held is freed (the newer error
 * wins), and with err NULL *from is freed instead. *from is NULL afterwards; when it was
 * NULL already, *err is left alone. For errors collected in a local variable first (to
 * inspect them, retry, or keep the first of several). */
int cric_error_move(struct cric_error **err, struct cric_error **from);

/* Logs the error as a warning with an optional prefix, then frees it. Sets *err to NULL. */
void cric_error_log_free(struct cric_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct cric_error *cric_error_free(struct cric_error *e);
void cric_error_freep(struct cric_error **e);

const char *cric_error_kind_name(enum cric_error_kind kind);

#endif
