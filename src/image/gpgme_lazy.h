/* gpgme, loaded when the first signedBy signature is verified (gpgme_lib, a lazylib)
 * and kept: only nodes whose policy asks for GPG signatures ever map it. Include this instead of
 * <gpgme.h>: the gpgme_* names below become calls through the table dlsym fills. */
#ifndef CRIC_IMAGE_GPGME_LAZY_H
#define CRIC_IMAGE_GPGME_LAZY_H

#include <gpgme.h>

#include "util/lazylib.h"

#define GPGME_LAZY_FUNCS(X)                                                                                            \
        X(const char *, gpgme_check_version, (const char *req))                                                        \
        X(gpgme_error_t, gpgme_new, (gpgme_ctx_t * ctx))                                                               \
        X(void, gpgme_release, (gpgme_ctx_t ctx))                                                                      \
        X(gpgme_error_t, gpgme_set_protocol, (gpgme_ctx_t ctx, gpgme_protocol_t proto))                                \
        X(gpgme_error_t, gpgme_ctx_set_engine_info,                                                                    \
          (gpgme_ctx_t ctx, gpgme_protocol_t proto, const char *file_name, const char *home_dir))                      \
        X(gpgme_error_t, gpgme_data_new, (gpgme_data_t * dh))                                                          \
        X(gpgme_error_t, gpgme_data_new_from_mem, (gpgme_data_t * dh, const char *buffer, size_t size, int copy))      \
        X(void, gpgme_data_release, (gpgme_data_t dh))                                                                 \
        X(char *, gpgme_data_release_and_get_mem, (gpgme_data_t dh, size_t * len))                                     \
        X(void, gpgme_free, (void *p))                                                                                 \
        X(gpgme_error_t, gpgme_op_import, (gpgme_ctx_t ctx, gpgme_data_t keydata))                                     \
        X(gpgme_import_result_t, gpgme_op_import_result, (gpgme_ctx_t ctx))                                            \
        X(gpgme_error_t, gpgme_op_verify,                                                                              \
          (gpgme_ctx_t ctx, gpgme_data_t sig, gpgme_data_t signed_text, gpgme_data_t plaintext))                       \
        X(gpgme_verify_result_t, gpgme_op_verify_result, (gpgme_ctx_t ctx))                                            \
        X(const char *, gpgme_strerror, (gpgme_error_t err))

enum {
#define X(ret, name, args) name##_slot,
        GPGME_LAZY_FUNCS(X)
#undef X
                GPGME_LAZY_N_SLOTS
};

#define X(ret, name, args) typedef ret(*name##_fn) args;
GPGME_LAZY_FUNCS(X)
#undef X

extern void *gpgme_slots[GPGME_LAZY_N_SLOTS];
extern struct lazylib gpgme_lib;

#define GPGME_LAZY(name) ((name##_fn) gpgme_slots[name##_slot])

#endif
