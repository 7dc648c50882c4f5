#include "image/gpgme_lazy.h"

void *gpgme_slots[GPGME_LAZY_N_SLOTS];

static const char *const names[] = {
#define X(ret, name, args) #name,
        GPGME_LAZY_FUNCS(X)
#undef X
};

static int on_load(struct cric_error **err) {
        /* gpgme wants to be told once which version the caller expects */
        if (!GPGME_LAZY(gpgme_check_version)(NULL))
                return cric_error_set(err, CRIC_E_UNAVAILABLE, "gpgme_check_version failed");
        return 0;
}

struct lazylib gpgme_lib = LAZYLIB_INIT("libgpgme.so.11", names, gpgme_slots, GPGME_LAZY_N_SLOTS, on_load, NULL);
