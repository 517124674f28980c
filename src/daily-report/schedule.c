#include "schedule.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int schedule_parse_time(const char *s, int *hour, int *minute, char *err, size_t errsz)
{
    int h = 0, m = 0;
    const char *p = s ? s : "";
    size_t hd = 0;
    while (isdigit((unsigned char)*p) && hd < 3) {
        h = h * 10 + (*p - '0');
        p++;
        hd++;
    }
    if (hd < 1 || hd > 2 || *p != ':' || !isdigit((unsigned char)p[1]) ||
        !isdigit((unsigned char)p[2]) || p[3] != '\0')
        goto bad;
    m = (p[1] - '0') * 10 + (p[2] - '0');
    if (h > 23 || m > 59)
        goto bad;
    *hour = h;
    *minute = m;
    return 0;
bad:
    snprintf(err, errsz, "'%s' is not a time of day HH:MM between 00:00 and 23:59", s ? s : "");
    return -1;
}

static int is_posix_tz_string(const char *tz)
{
    /* A POSIX TZ string ("CET-1CEST,M3.5.0,M10.5.0/3") has its numeric UTC
     * offset before any '/'; a zoneinfo name ("Europe/Paris", "Etc/GMT+1")
     * has a '/' first or no digit at all. */
    const char *digit = strpbrk(tz, "0123456789");
    const char *slash = strchr(tz, '/');
    return digit && (!slash || digit < slash);
}

int schedule_check_tz(const char *tz, char *err, size_t errsz)
{
    if (!tz || !*tz) {
        snprintf(err, errsz, "empty time zone");
        return -1;
    }
    const char *name = tz[0] == ':' ? tz + 1 : tz;
    if (strcmp(name, "UTC") == 0 || is_posix_tz_string(name))
        return 0;
    if (name[0] == '/' || strstr(name, "..") != NULL) {
        snprintf(err, errsz, "'%s' is not a time zone name such as Europe/Paris", tz);
        return -1;
    }
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir)
        dir = "/usr/share/zoneinfo";
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    struct stat st;
    if (n < 0 || (size_t)n >= sizeof(path) || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errsz, "unknown time zone '%s' (no file %s/%s; is tzdata installed?)", tz,
                 dir, name);
        return -1;
    }
    return 0;
}

int schedule_use_tz(const char *tz)
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

time_t schedule_next(time_t now, int hour, int minute)
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

time_t schedule_prev(time_t now, int hour, int minute)
{
    for (int d = 0; d > -3; d--) {
        time_t t = at_local(now, d, hour, minute);
        if (t != (time_t)-1 && t <= now)
            return t;
    }
    return (time_t)-1;
}
