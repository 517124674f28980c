/* Small line chart drawn with cairo into an in-memory PNG: a few series
 * over a time range, y axis from 0, local-time x labels every 3 hours, a
 * legend on top. Enough for "last 24 h of CPU per server" in an email,
 * where no browser or JavaScript chart can run. */
#ifndef DAILY_REPORT_CHART_H
#define DAILY_REPORT_CHART_H

#include <stddef.h>

#include "report.h"

struct chart_line {
    const char *name;
    const double *t; /* Unix seconds, ascending */
    const double *v;
    size_t n;
};

struct chart_spec {
    int width, height;
    double t0, t1;          /* x range */
    double step;            /* sampling step; a gap wider than 2.5 steps breaks the line */
    double y_max;           /* fixed top of the y axis, or <= 0 for a rounded-up data maximum */
    const char *y_unit;     /* appended to y labels, e.g. "%" */
    const char *empty_text; /* shown when no line has a point */
    const struct chart_line *lines;
    size_t nlines;
};

/* Renders to out->data (PNG bytes, malloc'd). Returns 0, or -1 with err. */
int dr_chart_render_png(const struct chart_spec *spec, struct chart_png *out, char *err,
                        size_t errsz);

/* Releases cairo's and fontconfig's process-wide caches (font lists,
 * glyph caches); call once before exit so leak checkers see a clean heap. */
void dr_chart_global_cleanup(void);

/* The y-axis top for a data maximum: the next of 1, 2, 2.5, 5 x 10^k at or
 * above it (1 for an empty or all-zero chart). Exposed for unit tests. */
double dr_chart_nice_ceiling(double max);

#endif
