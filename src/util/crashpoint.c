#include "util/crashpoint.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

static const char *crash_at;
static pthread_once_t crash_once = PTHREAD_ONCE_INIT;

static void crash_read(void) {
        const char *v = getenv("CRIC_CRASH_AT");
        crash_at = v && *v ? v : NULL;
}

void crashpoint(const char *name) {
        pthread_once(&crash_once, crash_read);
        if (!crash_at || strcmp(crash_at, name))
                return;
        log_warn("crash point %s: killing cricd (CRIC_CRASH_AT)", name);
        raise(SIGKILL);
}
