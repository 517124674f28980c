#include "log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *log_program = "program";
static enum log_level log_min = LOG_LEVEL_INFO;

void log_init(const char *program, enum log_level min_level)
{
    log_program = program;
    log_min = min_level;
}

static const char *level_name(enum log_level level)
{
    switch (level) {
    case LOG_LEVEL_DEBUG:
        return "debug";
    case LOG_LEVEL_INFO:
        return "info";
    case LOG_LEVEL_WARN:
        return "warn";
    case LOG_LEVEL_ERROR:
        return "error";
    }
    return "?";
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
    if (level < log_min)
        return;
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);

    /* Format into one buffer and write once, so lines from concurrent
     * threads do not interleave; newlines in messages are flattened to keep
     * "one line per event". */
    char line[2048];
    int n = snprintf(line, sizeof(line), "%s %s %s: ", stamp, log_program, level_name(level));
    if (n < 0)
        return;
    if ((size_t)n < sizeof(line))
        vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    fprintf(stderr, "%s\n", line);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, fmt, ap);
    va_end(ap);
}
