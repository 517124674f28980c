#include "fmt.h"

#include <math.h>
#include <stdio.h>

/* Rates of counters can overshoot 100 % by a little (scrape jitter); more
 * than this is not a measurement. */
#define PCT_SLACK 1.0
/* Counts above this are no queue or incident count, but a broken source. */
#define COUNT_MAX 1e15

void dr_fmt_pct(double v, char *out, size_t outsz)
{
    if (isnan(v))
        snprintf(out, outsz, "n/a");
    else if (!isfinite(v))
        snprintf(out, outsz, "n/a (not a finite number)");
    else if (v < -PCT_SLACK || v > 100.0 + PCT_SLACK)
        snprintf(out, outsz, "n/a (impossible value)");
    else
        snprintf(out, outsz, "%.1f %%", v < 0 ? 0.0 : v > 100 ? 100.0 : v);
}

void dr_fmt_count(double v, char *out, size_t outsz)
{
    if (isnan(v))
        snprintf(out, outsz, "n/a");
    else if (!isfinite(v))
        snprintf(out, outsz, "n/a (not a finite number)");
    else if (v < 0 || v > COUNT_MAX)
        snprintf(out, outsz, "n/a (impossible value)");
    else
        snprintf(out, outsz, "%.0f", v);
}

void dr_fmt_local(time_t t, char *out, size_t outsz)
{
    struct tm tm;
    if (!localtime_r(&t, &tm) || strftime(out, outsz, "%Y-%m-%d %H:%M %Z", &tm) == 0)
        snprintf(out, outsz, "@%lld", (long long)t);
}

void dr_fmt_local_long(time_t t, char *out, size_t outsz)
{
    struct tm tm;
    if (!localtime_r(&t, &tm) || strftime(out, outsz, "%A %d %B %Y, %H:%M %Z", &tm) == 0)
        snprintf(out, outsz, "@%lld", (long long)t);
}

void dr_fmt_duration(long s, char *out, size_t outsz)
{
    if (s < 60)
        snprintf(out, outsz, "<1 min");
    else if (s < 3600)
        snprintf(out, outsz, "%ld min", s / 60);
    else if (s < 86400)
        snprintf(out, outsz, "%ld h %02ld min", s / 3600, (s % 3600) / 60);
    else
        snprintf(out, outsz, "%ld d %ld h", s / 86400, (s % 86400) / 3600);
}

int dr_fmt_pct_level(double v)
{
    if (!isfinite(v) || v < -PCT_SLACK || v > 100.0 + PCT_SLACK)
        return 0;
    if (v >= 90.0)
        return 2;
    if (v >= 80.0)
        return 1;
    return 0;
}
