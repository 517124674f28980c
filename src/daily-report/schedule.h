/* When the daily report runs: REPORT_TIME in REPORT_TZ, every day.
 *
 * All arithmetic goes through the C library's local time (TZ set once with
 * dr_schedule_use_tz), so daylight-saving changes are handled by mktime: the
 * run stays at 08:00 local time, 23 h after the previous one in spring and
 * 25 h after it in autumn. REPORT_TIME and REPORT_TZ are parsed and
 * validated by src/common/timeparse.h. */
#ifndef DAILY_REPORT_SCHEDULE_H
#define DAILY_REPORT_SCHEDULE_H

#include <stddef.h>
#include <time.h>

/* Makes tz the process' local time zone (setenv TZ + tzset). */
int dr_schedule_use_tz(const char *tz);

/* The first run strictly after now. When hour:minute does not exist that
 * day (inside a spring-forward gap) mktime moves it forward by the gap, so
 * the report still goes out once that day. */
time_t dr_schedule_next(time_t now, int hour, int minute);

/* The latest run at or before now. */
time_t dr_schedule_prev(time_t now, int hour, int minute);

/* The daemon's start-up decision: the run due at or before now
 * (dr_schedule_prev) was missed, i.e. the last success is older, and it is
 * at most catchup_minutes old, so a restart shortly after REPORT_TIME does
 * not skip the day's report. Returns that run's time, or 0 when nothing is
 * to be caught up. */
time_t dr_schedule_catchup(time_t now, time_t last_success, int hour, int minute,
                           int catchup_minutes);

#endif
