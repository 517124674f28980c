/* Times as people and servers write them, parsed one way for every program:
 *   - a time of day, "8:00" or "08:00", 00:00 to 23:59 (REPORT_TIME);
 *   - a time zone, either a real zoneinfo entry ("Europe/Paris": a TZif
 *     file under $TZDIR or /usr/share/zoneinfo, so "zone.tab" is refused)
 *     or a well-formed POSIX TZ string ("CET-1CEST,M3.5.0,M10.5.0/3").
 *     glibc silently falls back to UTC for anything else, which would shift
 *     a schedule by hours without an error: hence the strict check;
 *   - an RFC 3339 timestamp ("2026-11-26T07:12:03.123Z", "...+01:00"),
 *     through strptime for the fields plus the offset by hand.
 * The *_check functions have the env-table validator shape (envvar.h):
 * they append why a value is wrong to `why` and return false. */
#ifndef COMMON_TIMEPARSE_H
#define COMMON_TIMEPARSE_H

#include <stdbool.h>
#include <time.h>

#include "strbuf.h"

/* "H:MM" or "HH:MM". Returns 0, or -1 leaving hour/minute untouched. */
int time_of_day_parse(const char *s, int *hour, int *minute);
bool time_of_day_check(const char *s, struct strbuf *why);

/* A zoneinfo name (an optional leading ':' allowed) or a POSIX TZ string. */
bool time_zone_check(const char *tz, struct strbuf *why);
/* The POSIX TZ grammar alone: std offset [dst [offset] [,rule,rule]]. */
bool time_zone_is_posix(const char *tz);

/* RFC 3339 date-time to Unix time. Returns 0, or -1 for anything else
 * (including impossible dates such as February 30). */
int rfc3339_parse(const char *s, time_t *out);

#endif
