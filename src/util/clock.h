/* The monotonic clock in milliseconds, for deadlines and timeouts. */
#ifndef CRIC_UTIL_CLOCK_H
#define CRIC_UTIL_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds. */
int64_t clock_mono_ms(void);

/* What is left of deadline (clock_mono_ms; 0: none) as a poll() timeout: -1 when there
 * is none, 0 once it has passed, at most a minute (the caller loops). */
int clock_poll_left(int64_t deadline);

#endif
