#include "chart.h"

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strbuf.h"
#include "strutil.h"

#define FONT_FAMILY "DejaVu Sans"
#define FONT_SIZE 11.0
#define MARGIN_LEFT 46.0
#define MARGIN_RIGHT 14.0
#define MARGIN_BOTTOM 24.0
#define LEGEND_ROW 16.0
#define LEGEND_PAD 8.0

/* Distinguishable on white and for the common colour-vision deficiencies. */
static const double PALETTE[][3] = {
    {0.12, 0.47, 0.71}, {0.84, 0.15, 0.16}, {0.17, 0.63, 0.17}, {1.00, 0.50, 0.05},
    {0.58, 0.40, 0.74}, {0.55, 0.34, 0.29}, {0.89, 0.47, 0.76}, {0.09, 0.75, 0.81},
};
#define NPALETTE (sizeof(PALETTE) / sizeof(PALETTE[0]))

void dr_chart_global_cleanup(void)
{
    cairo_debug_reset_static_data();
    FcFini();
}

/* Values beyond this are a broken source, not data: drawn as gaps, so the
 * axis never reads "inf" and cairo never gets coordinates it rejects. */
#define CHART_VALUE_MAX 1e15

static int plottable(double v)
{
    return isfinite(v) && fabs(v) <= CHART_VALUE_MAX;
}

double dr_chart_nice_ceiling(double max)
{
    if (!(max > 0) || !isfinite(max))
        return 1.0;
    double mag = pow(10.0, floor(log10(max)));
    static const double steps[] = {1.0, 2.0, 2.5, 5.0, 10.0};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
        if (steps[i] * mag >= max * (1 - 1e-12))
            return steps[i] * mag;
    return 10.0 * mag;
}

static cairo_status_t to_buf(void *closure, const unsigned char *data, unsigned int length)
{
    struct strbuf *b = closure;
    sb_append(b, data, length);
    return sb_failed(b) ? CAIRO_STATUS_NO_MEMORY : CAIRO_STATUS_SUCCESS;
}

static void set_rgb(cairo_t *cr, double r, double g, double b)
{
    cairo_set_source_rgb(cr, r, g, b);
}

/* Legend entries, wrapped into rows; returns the number of rows. */
static int legend(cairo_t *cr, const struct chart_spec *s, int draw)
{
    double x = MARGIN_LEFT, y = LEGEND_PAD;
    int rows = s->nlines ? 1 : 0;
    for (size_t i = 0; i < s->nlines; i++) {
        /* Cut on a character boundary and invalid bytes replaced: cairo
         * refuses invalid UTF-8 by going into an error state, which used
         * to leave both charts blank without a word. */
        char name[40];
        const char *n = s->lines[i].name && *s->lines[i].name ? s->lines[i].name : "(unnamed)";
        str_utf8_sanitize(n, name, sizeof(name));
        cairo_text_extents_t te;
        cairo_text_extents(cr, name, &te);
        double w = 14 + te.x_advance + 14;
        if (x + w > s->width - MARGIN_RIGHT && x > MARGIN_LEFT) {
            x = MARGIN_LEFT;
            y += LEGEND_ROW;
            rows++;
        }
        if (draw) {
            const double *c = PALETTE[i % NPALETTE];
            set_rgb(cr, c[0], c[1], c[2]);
            cairo_rectangle(cr, x, y + 2, 10, 10);
            cairo_fill(cr);
            set_rgb(cr, 0.2, 0.2, 0.2);
            cairo_move_to(cr, x + 14, y + 11);
            cairo_show_text(cr, name);
        }
        x += w;
    }
    return rows;
}

static void fmt_tick(double v, const char *unit, char *out, size_t outsz)
{
    if (fabs(v - round(v)) < 1e-9)
        snprintf(out, outsz, "%.0f%s", v, unit ? unit : "");
    else
        snprintf(out, outsz, "%g%s", v, unit ? unit : "");
}

static void draw_axes(cairo_t *cr, const struct chart_spec *s, double px0, double py0, double pw,
                      double ph, double ymax)
{
    /* horizontal grid and y labels: 4 intervals */
    for (int i = 0; i <= 4; i++) {
        double v = ymax * i / 4.0;
        double y = py0 + ph - ph * i / 4.0;
        set_rgb(cr, 0.90, 0.90, 0.90);
        cairo_move_to(cr, px0, floor(y) + 0.5);
        cairo_line_to(cr, px0 + pw, floor(y) + 0.5);
        cairo_stroke(cr);
        char lab[32];
        fmt_tick(v, s->y_unit, lab, sizeof(lab));
        cairo_text_extents_t te;
        cairo_text_extents(cr, lab, &te);
        set_rgb(cr, 0.33, 0.33, 0.33);
        cairo_move_to(cr, px0 - 6 - te.x_advance, y + 4);
        cairo_show_text(cr, lab);
    }
    /* vertical grid on local 3-hour boundaries, labelled HH:MM */
    time_t t0 = (time_t)ceil(s->t0);
    struct tm lt;
    if (!localtime_r(&t0, &lt))
        return;
    lt.tm_min = 0;
    lt.tm_sec = 0;
    lt.tm_hour = (lt.tm_hour / 3) * 3;
    lt.tm_isdst = -1;
    for (int k = 0; k < 12; k++) {
        struct tm c = lt;
        c.tm_hour += 3 * k;
        c.tm_isdst = -1;
        time_t t = mktime(&c);
        if (t == (time_t)-1 || (double)t < s->t0)
            continue;
        if ((double)t > s->t1)
            break;
        double x = px0 + pw * ((double)t - s->t0) / (s->t1 - s->t0);
        set_rgb(cr, 0.93, 0.93, 0.93);
        cairo_move_to(cr, floor(x) + 0.5, py0);
        cairo_line_to(cr, floor(x) + 0.5, py0 + ph);
        cairo_stroke(cr);
        char lab[16];
        struct tm tl;
        localtime_r(&t, &tl);
        strftime(lab, sizeof(lab), "%H:%M", &tl);
        cairo_text_extents_t te;
        cairo_text_extents(cr, lab, &te);
        set_rgb(cr, 0.33, 0.33, 0.33);
        cairo_move_to(cr, x - te.x_advance / 2, py0 + ph + 16);
        cairo_show_text(cr, lab);
    }
    set_rgb(cr, 0.55, 0.55, 0.55);
    cairo_rectangle(cr, px0 + 0.5, py0 + 0.5, pw - 1, ph - 1);
    cairo_stroke(cr);
}

static void draw_line(cairo_t *cr, const struct chart_spec *s, const struct chart_line *l,
                      const double *rgb, double px0, double py0, double pw, double ph, double ymax)
{
    set_rgb(cr, rgb[0], rgb[1], rgb[2]);
    cairo_set_line_width(cr, 1.6);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    double gap = s->step > 0 ? 2.5 * s->step : INFINITY;
    size_t run = 0; /* points in the current unbroken run */
    double lastx = 0, lasty = 0, prev_t = -INFINITY;
    for (size_t i = 0; i <= l->n; i++) {
        int have = i < l->n && plottable(l->v[i]) && l->t[i] >= s->t0 && l->t[i] <= s->t1;
        int broken = !have || (run > 0 && l->t[i] - prev_t > gap);
        if (broken && run > 0) {
            if (run == 1) { /* a lone sample would be invisible as a path */
                cairo_new_path(cr);
                cairo_arc(cr, lastx, lasty, 2.2, 0, 2 * M_PI);
                cairo_fill(cr);
            } else {
                cairo_stroke(cr);
            }
            run = 0;
        }
        if (!have)
            continue;
        double v = l->v[i] < 0 ? 0 : (l->v[i] > ymax ? ymax : l->v[i]);
        double x = px0 + pw * (l->t[i] - s->t0) / (s->t1 - s->t0);
        double y = py0 + ph - ph * v / ymax;
        if (run == 0) {
            cairo_new_path(cr);
            cairo_move_to(cr, x, y);
        } else {
            cairo_line_to(cr, x, y);
        }
        run++;
        lastx = x;
        lasty = y;
        prev_t = l->t[i];
    }
    cairo_set_line_width(cr, 1.0);
}

int dr_chart_render_png(const struct chart_spec *s, struct chart_png *out, char *err, size_t errsz)
{
    memset(out, 0, sizeof(*out));
    if (s->width < 200 || s->height < 120 || !(s->t1 > s->t0)) {
        snprintf(err, errsz, "chart: bad geometry or time range");
        return -1;
    }
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, s->width, s->height);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
        snprintf(err, errsz, "chart: %s", cairo_status_to_string(cairo_surface_status(surf)));
        cairo_surface_destroy(surf);
        return -1;
    }
    cairo_t *cr = cairo_create(surf);
    set_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, FONT_FAMILY, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, FONT_SIZE);
    cairo_set_line_width(cr, 1.0);

    int rows = legend(cr, s, 0);
    double py0 = LEGEND_PAD + (rows ? rows : 1) * LEGEND_ROW + 6;
    double px0 = MARGIN_LEFT;
    double pw = s->width - MARGIN_LEFT - MARGIN_RIGHT;
    double ph = s->height - py0 - MARGIN_BOTTOM;

    double ymax = s->y_max;
    size_t points = 0;
    if (!(ymax > 0)) {
        double m = 0;
        for (size_t i = 0; i < s->nlines; i++)
            for (size_t j = 0; j < s->lines[i].n; j++)
                if (plottable(s->lines[i].v[j]) && s->lines[i].v[j] > m)
                    m = s->lines[i].v[j];
        ymax = dr_chart_nice_ceiling(m);
    }
    for (size_t i = 0; i < s->nlines; i++)
        points += s->lines[i].n;

    draw_axes(cr, s, px0, py0, pw, ph, ymax);
    legend(cr, s, 1);
    for (size_t i = 0; i < s->nlines; i++)
        draw_line(cr, s, &s->lines[i], PALETTE[i % NPALETTE], px0, py0, pw, ph, ymax);
    if (points == 0) {
        const char *msg = s->empty_text ? s->empty_text : "no data";
        cairo_text_extents_t te;
        cairo_text_extents(cr, msg, &te);
        set_rgb(cr, 0.45, 0.45, 0.45);
        cairo_move_to(cr, px0 + (pw - te.x_advance) / 2, py0 + ph / 2);
        cairo_show_text(cr, msg);
    }
    cairo_status_t drawn = cairo_status(cr);
    cairo_destroy(cr);
    if (drawn != CAIRO_STATUS_SUCCESS) {
        snprintf(err, errsz, "chart: drawing failed: %s", cairo_status_to_string(drawn));
        cairo_surface_destroy(surf);
        return -1;
    }
    cairo_surface_flush(surf);

    struct strbuf png;
    sb_init(&png);
    cairo_status_t st = cairo_surface_write_to_png_stream(surf, to_buf, &png);
    cairo_surface_destroy(surf);
    if (st != CAIRO_STATUS_SUCCESS || sb_failed(&png)) {
        snprintf(err, errsz, "chart: PNG encoding failed: %s", cairo_status_to_string(st));
        sb_free(&png);
        return -1;
    }
    out->data = (unsigned char *)png.data; /* ownership moves to out */
    out->len = png.len;
    out->width = s->width;
    out->height = s->height;
    return 0;
}
