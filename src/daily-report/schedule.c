#include "schedule.h"

#include <stdlib.h>
#include <string.h>

int dr_schedule_use_tz(const char *tz)
{
    if (setenv("TZ", tz, 1) != 0)
        return -1;
    tzset();
    return 0;
}

/* hour:minute on the local calendar day of `base` shifted by `days`. */
static time_t at_local(time_t base, int days, int hour, int minute)
{
    struct tm lt;
    if (!localtime_r(&base, &lt))
        return (time_t)-1;
    struct tm c;
    memset(&c, 0, sizeof(c));
    c.tm_year = lt.tm_year;
    c.tm_mon = lt.tm_mon;
    c.tm_mday = lt.tm_mday + days; /* mktime normalises month/year overflow */
    c.tm_hour = hour;
    c.tm_min = minute;
    c.tm_isdst = -1; /* let the zone rules decide summer or winter time */
    return mktime(&c);
}

time_t dr_schedule_next(time_t now, int hour, int minute)
{
    /* Today's occurrence, else tomorrow's; a third day only matters when an
     * occurrence was pushed past now by a DST gap normalisation. */
    for (int d = 0; d < 3; d++) {
        time_t t = at_local(now, d, hour, minute);
        if (t != (time_t)-1 && t > now)
            return t;
    }
    return (time_t)-1;
}

time_t dr_schedule_prev(time_t now, int hour, int minute)
{
    for (int d = 0; d > -3; d--) {
        time_t t = at_local(now, d, hour, minute);
        if (t != (time_t)-1 && t <= now)
            return t;
    }
    return (time_t)-1;
}

time_t dr_schedule_catchup(time_t now, time_t last_success, int hour, int minute,
                           int catchup_minutes)
{
    time_t prev = dr_schedule_prev(now, hour, minute);
    if (prev != (time_t)-1 && last_success < prev && now - prev <= catchup_minutes * 60L)
        return prev;
    return 0;
}
