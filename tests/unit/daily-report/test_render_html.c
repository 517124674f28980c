/* Rendering (render_html.c, render_text.c): every source value escaped in
 * the HTML, unavailable sections, the plain-text part and the subject
 * line. (The escapers alone: test_escape.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "fmt.h"
#include "render.h"
#include "report.h"
#include "schedule.h"
#include "strbuf.h"

/* A report whose every text field comes from "outside" and is hostile. */
static void hostile_report(struct report *r)
{
    dr_report_init(r, 1795762800);
    for (int i = 0; i < SEC_COUNT; i++)
        r->sec[i].available = 1;
    r->servers = calloc(2, sizeof(*r->servers));
    r->nservers = 2;
    r->servers[0] =
        (struct server_row){strdup("B<img src=x onerror=alert(1)>"), 0, NAN, 97.25, 50, 60, 81, 82};
    r->servers[1] = (struct server_row){strdup("F"), 1, 12.34, 45.67, 50, 60, 70.04, 71.06};
    r->queues = calloc(1, sizeof(*r->queues));
    r->nqueues = 1;
    r->queues[0] = (struct queue_row){strdup("q\"><b>x</b>"), 42, 5, 15, 2, 7};
    r->biz = (struct business){9, 7, 1, 2, 6, 40, 34, 6, 15, 3, 5, {""}};
    r->alerts.items = calloc(1, sizeof(*r->alerts.items));
    r->alerts.n = 1;
    r->alerts.items[0] =
        (struct am_alert){strdup("HostDown"), strdup("critical"), strdup("B"),
                          strdup("<script>steal()</script> & more"), 1795762800 - 48 * 60};
}

static void html_escapes_every_value(void **state)
{
    (void)state;
    struct report r;
    hostile_report(&r);
    struct strbuf b;
    sb_init(&b);
    dr_render_html(&r, IMG_CID, &b);
    const char *s = sb_str(&b);
    assert_null(strstr(s, "<script"));
    assert_null(strstr(s, "<img src=x"));
    assert_null(strstr(s, "<b>x</b>"));
    assert_non_null(strstr(s, "&lt;script&gt;steal()&lt;/script&gt; &amp; more"));
    assert_non_null(strstr(s, "data-server=\"B&lt;img src=x onerror=alert(1)&gt;\""));
    assert_non_null(strstr(s, "data-queue=\"q&quot;&gt;&lt;b&gt;x&lt;/b&gt;\""));
    /* values land in the right cells */
    assert_non_null(strstr(s,
                           "data-field=\"cpu\" style=\"padding:6px 8px;border-bottom:1px solid "
                           "#e5e7eb;text-align:right;white-space:nowrap;color:#111827;\">12.3 %"));
    assert_non_null(strstr(s, "color:#b91c1c;\">97.2 %</td>")); /* red, 97.25 rounded to even */
    assert_non_null(strstr(s, ">n/a</td>"));
    assert_non_null(strstr(s, ">DOWN</span>"));
    assert_non_null(strstr(s, "data-field=\"incidents_24h\""));
    assert_non_null(strstr(s, "2026-11-27 07:12 CET"));
    assert_non_null(strstr(s, "for 48 min"));
    /* mail-client rules: no scripts, no external resources, no <style> */
    assert_null(strstr(s, "<style"));
    assert_null(strstr(s, "http://"));
    assert_null(strstr(s, "https://"));
    /* no charts in this report: each says why instead of a broken image */
    assert_non_null(strstr(s, "data-chart-missing=\"cpu\""));
    sb_free(&b);
    dr_report_free(&r);
}

static void unavailable_sections_are_visible(void **state)
{
    (void)state;
    struct report r;
    dr_report_init(&r, 1795762800);
    r.sec[SEC_BUSINESS].available = 1;
    r.sec[SEC_ALERTS].available = 1;
    dr_report_set_unavailable(&r, SEC_INFRA, "GET http://127.0.0.1:9/api/v1/query?...: <refused>");
    dr_report_set_unavailable(&r, SEC_QUEUES, "PROMETHEUS_URL is not set");
    struct strbuf h, t;
    sb_init(&h);
    sb_init(&t);
    dr_render_html(&r, IMG_CID, &h);
    dr_render_text(&r, &t);
    assert_non_null(strstr(sb_str(&h), "data-unavailable=\"infrastructure\""));
    assert_non_null(strstr(sb_str(&h), "data-unavailable=\"queues\""));
    assert_null(strstr(sb_str(&h), "data-unavailable=\"business\""));
    assert_non_null(strstr(sb_str(&h), "&lt;refused&gt;"));
    assert_non_null(strstr(sb_str(&h), "No active alerts."));
    assert_non_null(strstr(sb_str(&t), "INFRASTRUCTURE (Prometheus)\n  UNAVAILABLE: GET "));
    assert_non_null(strstr(sb_str(&t), "  UNAVAILABLE: PROMETHEUS_URL is not set\n"));
    char subject[200];
    dr_render_subject(&r, subject, sizeof(subject));
    assert_string_equal(subject, "Daily health report 2026-11-27: 2 sections unavailable");
    sb_free(&h);
    sb_free(&t);
    dr_report_free(&r);
}

/* A missing column blanks its own figure only, in both parts, and says why. */
static void unavailable_figure_alone(void **state)
{
    (void)state;
    struct report r;
    hostile_report(&r);
    snprintf(r.biz.why[DR_FIG_INCIDENTS_CRITICAL], DR_WHY_MAX,
             "unavailable: incidents.severity does not exist <b>");
    struct strbuf h, t;
    sb_init(&h);
    sb_init(&t);
    dr_render_html(&r, IMG_CID, &h);
    dr_render_text(&r, &t);
    const char *s = sb_str(&h);
    assert_non_null(strstr(s, "data-figure-unavailable=\"incidents_24h_critical\""));
    assert_non_null(strstr(s, "unavailable: incidents.severity does not exist &lt;b&gt;"));
    assert_null(strstr(s, "does not exist <b>"));
    assert_non_null(strstr(s, "<span data-field=\"incidents_24h\">9</span>"));
    assert_non_null(strstr(s, "<span data-field=\"incidents_24h_major\">2</span>"));
    assert_non_null(strstr(s, "<span data-field=\"fleet_total\">40</span>"));
    assert_non_null(strstr(sb_str(&t), "Incidents, last 24 h: 9 (critical unavailable: "
                                       "incidents.severity does not exist <b>, major 2, minor 6)"));
    sb_free(&h);
    sb_free(&t);
    dr_report_free(&r);
}

static void text_part_and_subject(void **state)
{
    (void)state;
    struct report r;
    hostile_report(&r);
    struct strbuf t;
    sb_init(&t);
    dr_render_text(&r, &t);
    const char *s = sb_str(&t);
    assert_non_null(strstr(s, "Daily health report - Friday 27 November 2026, 08:00 CET\n"));
    assert_non_null(strstr(s, "  F: UP, CPU 12.3 % (24 h max 45.7 %), RAM 50.0 % (24 h max "
                              "60.0 %), disk 70.0 % (24 h max 71.1 %)\n"));
    assert_non_null(strstr(s, ": DOWN, CPU n/a (24 h max 97.2 %)")); /* 97.25 rounds to even */
    assert_non_null(strstr(s, ": pending 42, processing 5, failed 15, stuck > 35 min 2, failed "
                              "in the last 24 h 7\n"));
    assert_non_null(strstr(s, "  Incidents, last 24 h: 9 (critical 1, major 2, minor 6)\n"));
    assert_non_null(strstr(s, "  Incidents, previous 24 h: 7\n"));
    assert_non_null(strstr(s, "  GPS coverage: 34 of 40 vehicles reported in the last 10 min "
                              "(85.0 %)\n"));
    assert_non_null(strstr(s, "  Failed transcriptions: 6 in the last 24 h, 15 in total\n"));
    assert_non_null(strstr(s, "  Failed PDF jobs: 3 in the last 24 h, 5 in total\n"));
    assert_non_null(strstr(s, "  [critical] HostDown on B since 2026-11-27 07:12 CET (for 48 "
                              "min): <script>steal()</script> & more\n"));
    char subject[200];
    dr_render_subject(&r, subject, sizeof(subject));
    assert_string_equal(subject,
                        "Daily health report 2026-11-27: 1 of 2 servers DOWN, 1 active alert");
    for (int i = 0; i < SEC_COUNT; i++)
        r.sec[i].available = 1;
    r.servers[0].up = 1;
    dr_am_alerts_free(&r.alerts);
    dr_render_subject(&r, subject, sizeof(subject));
    assert_string_equal(subject, "Daily health report 2026-11-27: all clear");
    sb_free(&t);
    dr_report_free(&r);
}

static void watchdog_presence_is_reported(void **state)
{
    (void)state;
    struct report r;
    hostile_report(&r);
    struct strbuf h, t;
    sb_init(&h);
    sb_init(&t);
    dr_render_html(&r, IMG_CID, &h);
    dr_render_text(&r, &t);
    assert_non_null(strstr(sb_str(&h), "data-watchdog=\"0\""));
    assert_non_null(strstr(sb_str(&t), "WARNING: the Watchdog alert is missing"));
    r.alerts.watchdog = 1;
    sb_reset(&h);
    sb_reset(&t);
    dr_render_html(&r, IMG_CID, &h);
    dr_render_text(&r, &t);
    assert_non_null(strstr(sb_str(&h), "data-watchdog=\"1\""));
    assert_null(strstr(sb_str(&t), "WARNING"));
    assert_non_null(strstr(sb_str(&t), "Alerting pipeline: alive"));
    sb_free(&h);
    sb_free(&t);
    dr_report_free(&r);
}

static void data_uri_mode_embeds_png(void **state)
{
    (void)state;
    static unsigned char png[] = {0x89, 'P', 'N', 'G', 1, 2, 3};
    struct report r;
    hostile_report(&r);
    r.cpu_chart.data = malloc(sizeof(png));
    memcpy(r.cpu_chart.data, png, sizeof(png));
    r.cpu_chart.len = sizeof(png);
    r.cpu_chart.width = 640;
    r.cpu_chart.height = 260;
    struct strbuf a, b;
    sb_init(&a);
    sb_init(&b);
    dr_render_html(&r, IMG_DATA_URI, &a);
    dr_render_html(&r, IMG_CID, &b);
    assert_non_null(strstr(sb_str(&a), "src=\"data:image/png;base64,iVBORwECAw==\" width=\"640\" "
                                       "height=\"260\""));
    assert_non_null(strstr(sb_str(&b), "src=\"cid:" CID_CPU_CHART "\""));
    sb_free(&a);
    sb_free(&b);
    dr_report_free(&r);
}

int main(void)
{
    dr_schedule_use_tz("Europe/Paris");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(html_escapes_every_value),
        cmocka_unit_test(unavailable_sections_are_visible),
        cmocka_unit_test(unavailable_figure_alone),
        cmocka_unit_test(text_part_and_subject),
        cmocka_unit_test(watchdog_presence_is_reported),
        cmocka_unit_test(data_uri_mode_embeds_png),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
