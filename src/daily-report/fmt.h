/* Formatting of values shared by the HTML and text renderers, so both
 * parts of the email always show the same figures. */
#ifndef DAILY_REPORT_FMT_H
#define DAILY_REPORT_FMT_H

#include <stddef.h>
#include <time.h>

/* "12.3 %"; "n/a" for NaN (no data); "n/a (not a finite number)" for
 * +-Inf and "n/a (impossible value)" outside 0-100 % (1 % of slack): a
 * broken source is never shown as a measurement. */
void dr_fmt_pct(double v, char *out, size_t outsz);
/* "42"; "n/a" for NaN; "n/a (...)" for +-Inf, negatives and values above
 * 1e15 (no count is that large). */
void dr_fmt_count(double v, char *out, size_t outsz);
/* Local time in the process time zone: "2026-11-26 07:12 CET". */
void dr_fmt_local(time_t t, char *out, size_t outsz);
/* Long date for headings: "Thursday 26 November 2026, 08:00 CET". */
void dr_fmt_local_long(time_t t, char *out, size_t outsz);
/* Elapsed time: "<1 min", "48 min", "2 h 05 min", "3 d 4 h". */
void dr_fmt_duration(long seconds, char *out, size_t outsz);
/* Severity of a percentage for colouring: 0 normal, 1 warning (>= 80),
 * 2 critical (>= 90), the dashboards' disk thresholds. */
int dr_fmt_pct_level(double v);

#endif
