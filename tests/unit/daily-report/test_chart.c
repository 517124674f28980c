/* Charts: a real PNG of the requested size, drawn lines, y-axis scaling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cairo.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "schedule.h"

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

struct reader {
    const unsigned char *d;
    size_t len, off;
};

static cairo_status_t rd(void *cl, unsigned char *data, unsigned int n)
{
    struct reader *r = cl;
    if (r->off + n > r->len)
        return CAIRO_STATUS_READ_ERROR;
    memcpy(data, r->d + r->off, n);
    r->off += n;
    return CAIRO_STATUS_SUCCESS;
}

/* Decodes the PNG (checking its size) and counts pixels tinted towards
 * the first series colour, blue (31,119,181): an anti-aliased 1.6 px line
 * has no pixel of exactly that colour, but its pixels keep the hue over
 * white. Grey grid lines and text have no tint and never count. */
static int count_bluish(const struct chart_png *png)
{
    struct reader rdr = {png->data, png->len, 0};
    cairo_surface_t *s = cairo_image_surface_create_from_png_stream(rd, &rdr);
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    assert_int_equal(cairo_image_surface_get_width(s), png->width);
    assert_int_equal(cairo_image_surface_get_height(s), png->height);
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s), n = 0;
    const unsigned char *px = cairo_image_surface_get_data(s);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint32_t v;
            memcpy(&v, px + y * stride + x * 4, 4);
            int pr = (v >> 16) & 255, pg = (v >> 8) & 255, pb = v & 255;
            if (pb - pr > 25 && pb > pg)
                n++;
        }
    cairo_surface_destroy(s);
    return n;
}

static void renders_png_of_requested_size_with_lines(void **state)
{
    (void)state;
    double t[100], v[100];
    for (int i = 0; i < 100; i++) {
        t[i] = 1795762800.0 - 86400 + i * 864;
        v[i] = 50 + 40 * sin(i / 10.0);
    }
    struct chart_line lines[] = {{"F", t, v, 100}};
    struct chart_spec spec = {640,   260, 1795762800.0 - 86400, 1795762800.0, 864, 100, "%", "none",
                              lines, 1};
    struct chart_png png;
    char err[256];
    assert_int_equal(dr_chart_render_png(&spec, &png, err, sizeof(err)), 0);
    assert_true(png.len > 100);
    assert_memory_equal(png.data, "\x89PNG\r\n\x1a\n", 8);
    assert_memory_equal(png.data + 12, "IHDR", 4);
    assert_int_equal(be32(png.data + 16), 640);
    assert_int_equal(be32(png.data + 20), 260);
    /* the first series colour is drawn: the line and the legend square */
    assert_true(count_bluish(&png) > 300);
    free(png.data);
}

/* issue 14: a legend cut inside a multi-byte character, or a label of
 * invalid UTF-8, put cairo into an error state and the PNG came out blank
 * without a word. The line must still be drawn; and values no chart can
 * hold (1e308, inf) are gaps, not an "inf" axis. */
static void hostile_labels_and_values_still_draw(void **state)
{
    (void)state;
    double t[100], v[100];
    for (int i = 0; i < 100; i++) {
        t[i] = 1795762800.0 - 86400 + i * 864;
        v[i] = i % 10 == 3 ? 1e308 : i % 10 == 7 ? INFINITY : 50 + 40 * sin(i / 10.0);
    }
    const char *names[] = {
        /* 35 ASCII bytes, then "é" across the old 36-byte cut */
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9\xc3\xa9\xc3\xa9",
        "bad \xff\xfe \xed\xa0\x80 utf-8",
    };
    for (size_t k = 0; k < 2; k++) {
        struct chart_line lines[] = {{names[k], t, v, 100}};
        struct chart_spec spec = {
            640, 260, 1795762800.0 - 86400, 1795762800.0, 864, 0, "", "none", lines, 1};
        struct chart_png png;
        char err[256];
        assert_int_equal(dr_chart_render_png(&spec, &png, err, sizeof(err)), 0);
        assert_true(count_bluish(&png) > 300);
        free(png.data);
    }
}

static void empty_chart_is_still_a_png(void **state)
{
    (void)state;
    struct chart_spec spec = {640, 260, 0, 86400, 120, 0, "", "no data", NULL, 0};
    struct chart_png png;
    char err[256];
    assert_int_equal(dr_chart_render_png(&spec, &png, err, sizeof(err)), 0);
    assert_int_equal(be32(png.data + 16), 640);
    assert_int_equal(count_bluish(&png), 0);
    free(png.data);
}

static void gaps_break_lines_and_lone_points_show(void **state)
{
    (void)state;
    /* Two samples 2000 s apart. With a 120 s step that is a gap: two dots,
     * no line. With a 1000 s step they are neighbours: one long line. */
    double t[] = {500, 2500}, v[] = {10, 10};
    struct chart_line l[] = {{"q", t, v, 2}};
    struct chart_spec spec = {640, 260, 0, 3000, 120, 20, "", "", l, 1};
    struct chart_png png;
    char err[256];
    assert_int_equal(dr_chart_render_png(&spec, &png, err, sizeof(err)), 0);
    int dots = count_bluish(&png);
    free(png.data);
    spec.step = 1000;
    assert_int_equal(dr_chart_render_png(&spec, &png, err, sizeof(err)), 0);
    int joined = count_bluish(&png);
    free(png.data);
    /* both show the legend square (100 px) plus something */
    assert_true(dots > 100 + 10);
    /* the line spans 2/3 of the ~580 px plot width */
    if (joined - dots <= 300)
        fail_msg("dots %d joined %d", dots, joined);
}

static void rejects_bad_geometry(void **state)
{
    (void)state;
    struct chart_spec spec = {10, 10, 0, 1, 1, 0, "", "", NULL, 0};
    struct chart_png png;
    char err[256];
    assert_int_equal(dr_chart_render_png(&spec, &png, err, sizeof(err)), -1);
    spec.width = 640;
    spec.height = 260;
    spec.t1 = 0;
    assert_int_equal(dr_chart_render_png(&spec, &png, err, sizeof(err)), -1);
}

static void nice_ceiling(void **state)
{
    (void)state;
    assert_true(dr_chart_nice_ceiling(0) == 1);
    assert_true(dr_chart_nice_ceiling(NAN) == 1);
    assert_true(dr_chart_nice_ceiling(42) == 50);
    assert_true(dr_chart_nice_ceiling(50) == 50);
    assert_true(dr_chart_nice_ceiling(51) == 100);
    assert_true(dr_chart_nice_ceiling(12) == 20);
    assert_true(dr_chart_nice_ceiling(2.1) == 2.5);
    assert_true(dr_chart_nice_ceiling(0.3) == 0.5);
    assert_true(dr_chart_nice_ceiling(1000) == 1000);
}

static int teardown(void **state)
{
    (void)state;
    dr_chart_global_cleanup();
    return 0;
}

int main(void)
{
    dr_schedule_use_tz("Europe/Paris");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(renders_png_of_requested_size_with_lines),
        cmocka_unit_test(empty_chart_is_still_a_png),
        cmocka_unit_test(hostile_labels_and_values_still_draw),
        cmocka_unit_test(gaps_break_lines_and_lone_points_show),
        cmocka_unit_test(rejects_bad_geometry),
        cmocka_unit_test(nice_ceiling),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
