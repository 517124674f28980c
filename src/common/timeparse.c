#define _XOPEN_SOURCE 700 /* strptime */
#include "timeparse.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int time_of_day_parse(const char *s, int *hour, int *minute)
{
    if (!s)
        return -1;
    size_t hd = 0;
    int h = 0;
    while (isdigit((unsigned char)s[hd]) && hd < 3)
        h = h * 10 + (s[hd++] - '0');
    const char *p = s + hd;
    if (hd < 1 || hd > 2 || p[0] != ':' || !isdigit((unsigned char)p[1]) ||
        !isdigit((unsigned char)p[2]) || p[3] != '\0')
        return -1;
    int m = (p[1] - '0') * 10 + (p[2] - '0');
    if (h > 23 || m > 59)
        return -1;
    *hour = h;
    *minute = m;
    return 0;
}

bool time_of_day_check(const char *s, struct strbuf *why)
{
    int h, m;
    if (time_of_day_parse(s, &h, &m) == 0)
        return true;
    sb_puts(why, "is not a time of day HH:MM between 00:00 and 23:59");
    return false;
}

/* POSIX TZ grammar (IEEE Std 1003.1, 8.3). Each step returns the position
 * after what it read, or NULL. */
static const char *tz_std_name(const char *p)
{
    const char *start;
    if (*p == '<') { /* quoted form: <+0330>, <UTC-3> */
        start = ++p;
        while (isalnum((unsigned char)*p) || *p == '+' || *p == '-')
            p++;
        return *p == '>' && p - start >= 3 ? p + 1 : NULL;
    }
    start = p;
    while (isalpha((unsigned char)*p))
        p++;
    return p - start >= 3 ? p : NULL;
}

static const char *tz_number(const char *p, int lo, int hi, int maxdigits)
{
    int v = 0, n = 0;
    while (isdigit((unsigned char)*p) && n < maxdigits) {
        v = v * 10 + (*p++ - '0');
        n++;
    }
    return n > 0 && v >= lo && v <= hi && !isdigit((unsigned char)*p) ? p : NULL;
}

/* [+-]hh[:mm[:ss]]; hours up to max_hours (24 for offsets, 167 for rule
 * times as POSIX 2008 allows). */
static const char *tz_time(const char *p, int max_hours)
{
    if (*p == '+' || *p == '-')
        p++;
    p = tz_number(p, 0, max_hours, 3);
    for (int i = 0; p && i < 2 && *p == ':'; i++)
        p = tz_number(p + 1, 0, 59, 2);
    return p;
}

static const char *tz_rule(const char *p)
{
    if (*p == 'J')
        p = tz_number(p + 1, 1, 365, 3);
    else if (*p == 'M') {
        p = tz_number(p + 1, 1, 12, 2);
        p = p && *p == '.' ? tz_number(p + 1, 1, 5, 1) : NULL;
        p = p && *p == '.' ? tz_number(p + 1, 0, 6, 1) : NULL;
    } else
        p = tz_number(p, 0, 365, 3);
    if (p && *p == '/')
        p = tz_time(p + 1, 167);
    return p;
}

bool time_zone_is_posix(const char *tz)
{
    const char *p = tz_std_name(tz);
    p = p ? tz_time(p, 24) : NULL;
    if (!p)
        return false;
    if (*p == '\0')
        return true;
    if (!(p = tz_std_name(p)))
        return false;
    if (*p && *p != ',' && !(p = tz_time(p, 24)))
        return false;
    if (*p == '\0')
        return true; /* dst without rules: the C library's default rules */
    if (*p != ',' || !(p = tz_rule(p + 1)) || *p != ',' || !(p = tz_rule(p + 1)))
        return false;
    return *p == '\0';
}

/* A TZif file under dir: zone.tab, tzdata.zi and directories are not. */
static int zoneinfo_entry(const char *dir, const char *name)
{
    for (const char *p = name; *p; p++)
        if (!(isalnum((unsigned char)*p) || strchr("/_+-", *p)))
            return 0;
    if (!*name || name[0] == '/' || strstr(name, ".."))
        return 0;
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof(path))
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char magic[4];
    size_t got = fread(magic, 1, sizeof(magic), f);
    fclose(f);
    return got == sizeof(magic) && memcmp(magic, "TZif", 4) == 0;
}

bool time_zone_check(const char *tz, struct strbuf *why)
{
    if (!tz || !*tz) {
        sb_puts(why, "is empty; expected a time zone such as Europe/Paris");
        return false;
    }
    const char *name = tz[0] == ':' ? tz + 1 : tz;
    /* glibc knows UTC without a zoneinfo database. */
    if (strcmp(name, "UTC") == 0 || time_zone_is_posix(name))
        return true;
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir)
        dir = "/usr/share/zoneinfo";
    if (zoneinfo_entry(dir, name))
        return true;
    sb_printf(why,
              "is not a time zone: neither a zone of %s (is tzdata installed?) nor a POSIX TZ "
              "string",
              dir);
    return false;
}

static int fixed_digits(const char *s, const char *shape)
{
    /* shape: 'd' a digit, other characters literally (T matches t too). */
    for (size_t i = 0; shape[i]; i++) {
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i])
                            : toupper((unsigned char)s[i]) != shape[i])
            return -1;
    }
    return 0;
}

static const char *rfc3339_offset(const char *p, long *off)
{
    *off = 0;
    if (*p == 'Z' || *p == 'z')
        return p + 1;
    if ((*p != '+' && *p != '-') || fixed_digits(p + 1, "dd:dd") != 0)
        return NULL;
    int oh = (p[1] - '0') * 10 + (p[2] - '0'), om = (p[4] - '0') * 10 + (p[5] - '0');
    if (oh > 23 || om > 59)
        return NULL;
    *off = (oh * 3600L + om * 60L) * (*p == '-' ? -1 : 1);
    return p + 6;
}

static int days_in_month(int year, int mon)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return days[mon] + (mon == 1 && leap);
}

int rfc3339_parse(const char *s, time_t *out)
{
    if (!s || strlen(s) < 20 || fixed_digits(s, "dddd-dd-ddTdd:dd:dd") != 0)
        return -1;
    char head[20];
    memcpy(head, s, 19);
    head[10] = 'T';
    head[19] = '\0';
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *end = strptime(head, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end || *end != '\0')
        return -1;
    const char *p = s + 19;
    if (*p == '.') {
        if (!isdigit((unsigned char)*++p))
            return -1;
        while (isdigit((unsigned char)*p))
            p++;
    }
    long off;
    if (!(p = rfc3339_offset(p, &off)) || *p != '\0')
        return -1;
    /* strptime takes 31 for any month; timegm would roll 30 February
     * over to March. */
    if (tm.tm_mday > days_in_month(tm.tm_year + 1900, tm.tm_mon))
        return -1;
    time_t t = timegm(&tm);
    *out = t - off;
    return 0;
}
