#include "storage/archive_lazy.h"

void *archive_slots[ARCHIVE_LAZY_N_SLOTS];

static const char *const names[] = {
#define X(ret, name, args) #name,
        ARCHIVE_LAZY_FUNCS(X)
#undef X
};

struct lazylib archive_lib = LAZYLIB_INIT("libarchive.so.13", names, archive_slots, ARCHIVE_LAZY_N_SLOTS, NULL, NULL);
