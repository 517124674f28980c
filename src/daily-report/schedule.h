/* When the daily report runs: REPORT_TIME in REPORT_TZ, every day.
 *
 * All arithmetic goes through the C library's local time (TZ set once with
 * schedule_use_tz), so daylight-saving changes are handled by mktime: the
 * run stays at 08:00 local time, 23 h after the previous one in spring and
 * 25 h after it in autumn. */
#ifndef DAILY_REPORT_SCHEDULE_H
#define DAILY_REPORT_SCHEDULE_H

#include <stddef.h>
#include <time.h>

/* Parses "HH:MM" (or "H:MM"), 00:00..23:59. Returns 0, or -1 with err set. */
int schedule_parse_time(const char *s, int *hour, int *minute, char *err, size_t errsz);

/* Checks that tz names a time zone the C library will really load: glibc
 * silently falls back to UTC for an unknown name, which would shift the
 * report by hours without any error. Accepts zoneinfo names (looked up in
 * $TZDIR or /usr/share/zoneinfo), "UTC", and POSIX TZ strings such as
 * "CET-1CEST,M3.5.0,M10.5.0/3". Returns 0, or -1 with err set. */
int schedule_check_tz(const char *tz, char *err, size_t errsz);

/* Makes tz the process' local time zone (setenv TZ + tzset). */
int schedule_use_tz(const char *tz);

/* The first run strictly after now. When hour:minute does not exist that
 * day (inside a spring-forward gap) mktime moves it forward by the gap, so
 * the report still goes out once that day. */
time_t schedule_next(time_t now, int hour, int minute);

/* The latest run at or before now. */
time_t schedule_prev(time_t now, int hour, int minute);

#endif
