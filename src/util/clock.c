#include "util/clock.h"

#include <time.h>

int64_t clock_mono_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int clock_poll_left(int64_t deadline) {
        if (!deadline)
                return -1;
        int64_t left = deadline - clock_mono_ms();
        return left <= 0 ? 0 : (int) (left > 60000 ? 60000 : left);
}
