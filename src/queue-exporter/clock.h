/* Time in seconds as doubles: monotonic for deadlines, wall clock for
 * timestamps shown to users. */
#ifndef QE_CLOCK_H
#define QE_CLOCK_H

#include <time.h>

static inline double qe_mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double qe_unix_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
