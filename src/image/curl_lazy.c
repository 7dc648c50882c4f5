#include "image/curl_lazy.h"

void *curl_slots[CURL_LAZY_N_SLOTS];

static const char *const names[] = {
#define X(ret, name, args) #name,
        CURL_LAZY_FUNCS(X)
#undef X
};

static int on_load(struct cric_error **err) {
        CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
        if (code != CURLE_OK)
                return cric_error_set(err, CRIC_E_UNAVAILABLE, "curl_global_init: %s", curl_easy_strerror(code));
        return 0;
}

static void on_unload(void) {
        curl_global_cleanup();
}

struct lazylib curl_lib = LAZYLIB_INIT("libcurl.so.4", names, curl_slots, CURL_LAZY_N_SLOTS, on_load, on_unload);
