#include "duration.h"

#include <stdio.h>
#include <time.h>

#define MAX_SECONDS (400LL * 86400)

/* Units in the only order accepted, largest first. */
static const struct {
    char unit;
    int64_t seconds;
} units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};

int wd_duration_parse(const char *s, int64_t *out)
{
    if (!s || !*s)
        return -1;
    int64_t total = 0;
    size_t next_unit = 0; /* units[] index the next unit may start at */
    const char *p = s;
    while (*p) {
        if (*p < '0' || *p > '9')
            return -1;
        int64_t n = 0;
        while (*p >= '0' && *p <= '9') {
            n = n * 10 + (*p - '0');
            if (n > MAX_SECONDS)
                return -1;
            p++;
        }
        if (*p == '\0') { /* a bare number: seconds, only alone */
            if (next_unit != 0)
                return -1;
            total = n;
            break;
        }
        size_t u = next_unit;
        while (u < sizeof(units) / sizeof(units[0]) && units[u].unit != *p)
            u++;
        if (u == sizeof(units) / sizeof(units[0]))
            return -1;
        total += n * units[u].seconds;
        if (total > MAX_SECONDS)
            return -1;
        next_unit = u + 1;
        p++;
    }
    if (total <= 0)
        return -1;
    *out = total;
    return 0;
}

bool wd_duration_check(const char *s, struct strbuf *why)
{
    int64_t v;
    if (wd_duration_parse(s, &v) == 0)
        return true;
    sb_puts(why, "is not a period such as 90s, 10m, 4h or 1h30m (at most 400d)");
    return false;
}

void wd_duration_words(int64_t seconds, char *out, size_t outsz)
{
    static const char *const names[] = {"d", "h", "min", "s"};
    if (seconds <= 0) {
        snprintf(out, outsz, "0 s");
        return;
    }
    size_t len = 0, shown = 0;
    out[0] = '\0';
    for (size_t i = 0; i < 4 && shown < 2; i++) {
        int64_t n = seconds / units[i].seconds;
        if (n == 0 && shown == 0)
            continue;
        seconds -= n * units[i].seconds;
        if (n > 0 && len < outsz)
            len += (size_t)snprintf(out + len, outsz - len, "%s%lld %s", len ? " " : "",
                                    (long long)n, names[i]);
        shown++; /* the unit after the first shown one counts, even at 0 */
    }
}

void wd_utc_text(int64_t t, char *out, size_t outsz)
{
    if (t == 0) {
        snprintf(out, outsz, "never");
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(out, outsz, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(out, outsz, "@%lld", (long long)t);
}
