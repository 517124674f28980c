/* render_text.c: the plain-text part and the subject line, in what
 * test_render_html.c leaves out: long tables cut at REPORT_TABLE_ROWS with
 * "and N more", rows without labels, alerts without severity, server or
 * summary, figures that cannot be a percentage, the dashboards link, and
 * the subject's plurals and verdict when sections are unavailable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "report.h"
#include "schedule.h"
#include "strbuf.h"

#define AT 1795762800 /* Friday 27 November 2026, 08:00 CET */

static void all_available(struct report *r)
{
    dr_report_init(r, AT);
    for (int i = 0; i < SEC_COUNT; i++)
        r->sec[i].available = 1;
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static void long_tables_are_cut_and_counted(void **state)
{
    (void)state;
    struct report r;
    all_available(&r);
    r.nservers = REPORT_TABLE_ROWS + 3;
    r.servers = calloc(r.nservers, sizeof(*r.servers));
    for (size_t i = 0; i < r.nservers; i++) {
        char name[32];
        snprintf(name, sizeof(name), "srv%02zu", i);
        r.servers[i] = (struct server_row){strdup(name), 1, 1, 2, 3, 4, 5, 6};
    }
    r.nqueues = REPORT_TABLE_ROWS + 1;
    r.queues = calloc(r.nqueues, sizeof(*r.queues));
    for (size_t i = 0; i < r.nqueues; i++)
        r.queues[i] = (struct queue_row){strdup("q"), 1, 0, 0, 0, 0};
    struct strbuf b;
    sb_init(&b);
    dr_render_text(&r, &b);
    const char *s = sb_str(&b);
    assert_int_equal(count(s, ": UP, CPU"), REPORT_TABLE_ROWS);
    assert_non_null(strstr(s, "  srv49: UP"));
    assert_null(strstr(s, "srv50"));
    assert_non_null(strstr(s, "  ... and 3 more servers not listed.\n"));
    assert_int_equal(count(s, ": pending 1,"), REPORT_TABLE_ROWS);
    assert_non_null(strstr(s, "  ... and 1 more queues not listed.\n"));
    sb_free(&b);
    dr_report_free(&r);
}

static void exactly_a_full_table_has_no_more_line(void **state)
{
    (void)state;
    struct report r;
    all_available(&r);
    r.nservers = REPORT_TABLE_ROWS;
    r.servers = calloc(r.nservers, sizeof(*r.servers));
    for (size_t i = 0; i < r.nservers; i++)
        r.servers[i] = (struct server_row){strdup("s"), 1, 1, 2, 3, 4, 5, 6};
    struct strbuf b;
    sb_init(&b);
    dr_render_text(&r, &b);
    assert_int_equal(count(sb_str(&b), ": UP, CPU"), REPORT_TABLE_ROWS);
    assert_null(strstr(sb_str(&b), "more servers not listed"));
    sb_free(&b);
    dr_report_free(&r);
}

static void missing_labels_and_values(void **state)
{
    (void)state;
    struct report r;
    all_available(&r);
    r.servers = calloc(1, sizeof(*r.servers));
    r.servers[0] = (struct server_row){strdup(""), 0, NAN, NAN, NAN, NAN, NAN, NAN};
    r.nservers = 1;
    r.queues = calloc(1, sizeof(*r.queues));
    r.queues[0] = (struct queue_row){strdup("pdf"), NAN, 3, NAN, 0, NAN};
    r.nqueues = 1;
    r.alerts.items = calloc(1, sizeof(*r.alerts.items));
    r.alerts.items[0] =
        (struct am_alert){strdup("DiskFull"), strdup(""), strdup(""), strdup(""), AT - 3 * 3600};
    r.alerts.n = 1;
    r.alerts.watchdog = 1;
    struct strbuf b;
    sb_init(&b);
    dr_render_text(&r, &b);
    const char *s = sb_str(&b);
    assert_non_null(strstr(s, "  (no server label): DOWN, CPU n/a (24 h max n/a), RAM n/a (24 h "
                              "max n/a), disk n/a (24 h max n/a)\n"));
    assert_non_null(strstr(s, "  pdf: pending n/a, processing 3, failed n/a, stuck > 35 min 0, "
                              "failed in the last 24 h n/a\n"));
    /* no severity: "none"; no server: no " on "; no summary: no ": " tail */
    assert_non_null(strstr(s, "  [none] DiskFull since 2026-11-27 05:00 CET (for 3 h 00 min)\n"));
    assert_null(strstr(s, "No active alerts."));
    sb_free(&b);
    dr_report_free(&r);
}

static void empty_fleet_has_no_percentage(void **state)
{
    (void)state;
    struct report r;
    all_available(&r);
    r.biz.fleet_total = 0;
    r.biz.fleet_reporting = 0;
    struct strbuf b;
    sb_init(&b);
    dr_render_text(&r, &b);
    assert_non_null(
        strstr(sb_str(&b), "  GPS coverage: 0 of 0 vehicles reported in the last 10 min (n/a)\n"));
    /* A missing total makes the percentage unknown too, and says why. */
    r.biz.fleet_reporting = 5;
    snprintf(r.biz.why[DR_FIG_FLEET_TOTAL], DR_WHY_MAX,
             "unavailable: table fleet_positions does not exist");
    sb_reset(&b);
    dr_render_text(&r, &b);
    assert_non_null(strstr(sb_str(&b), "  GPS coverage: 5 of unavailable: table fleet_positions "
                                       "does not exist vehicles reported in the last 10 min "
                                       "(n/a)\n"));
    sb_free(&b);
    dr_report_free(&r);
}

static void header_footer_and_dashboards_link(void **state)
{
    (void)state;
    struct report r;
    all_available(&r);
    struct strbuf b;
    sb_init(&b);
    dr_render_text(&r, &b);
    const char *s = sb_str(&b);
    assert_true(strncmp(s, "Daily health report - Friday 27 November 2026, 08:00 CET\n", 57) == 0);
    assert_non_null(strstr(s, "are in the HTML version of this message.\n"));
    assert_null(strstr(s, "Dashboards:"));
    assert_non_null(strstr(s, "-- \nSent by daily-report " VERSION " on the monitoring server.\n"));
    assert_non_null(strstr(s, "  No active alerts.\n"));
    r.grafana_url = "https://grafana.example.eu/d/fleet";
    sb_reset(&b);
    dr_render_text(&r, &b);
    assert_non_null(strstr(sb_str(&b), "Dashboards: https://grafana.example.eu/d/fleet\n-- \n"));
    sb_free(&b);
    dr_report_free(&r);
}

static void subject_plurals_and_unavailable_infra(void **state)
{
    (void)state;
    struct report r;
    all_available(&r);
    r.alerts.items = calloc(3, sizeof(*r.alerts.items));
    for (int i = 0; i < 3; i++)
        r.alerts.items[i] =
            (struct am_alert){strdup("A"), strdup("warning"), strdup(""), strdup(""), AT};
    r.alerts.n = 3;
    r.servers = calloc(2, sizeof(*r.servers));
    r.servers[0] = (struct server_row){strdup("B"), 0, NAN, NAN, NAN, NAN, NAN, NAN};
    r.servers[1] = (struct server_row){strdup("F"), 0, NAN, NAN, NAN, NAN, NAN, NAN};
    r.nservers = 2;
    char subject[200];
    dr_render_subject(&r, subject, sizeof(subject));
    assert_string_equal(subject,
                        "Daily health report 2026-11-27: 2 of 2 servers DOWN, 3 active alerts");
    /* Sections that did not answer: their rows are not counted as facts. */
    dr_report_set_unavailable(&r, SEC_INFRA, "refused");
    dr_report_set_unavailable(&r, SEC_ALERTS, "refused");
    dr_render_subject(&r, subject, sizeof(subject));
    assert_string_equal(subject, "Daily health report 2026-11-27: 2 sections unavailable");
    dr_report_set_unavailable(&r, SEC_QUEUES, "refused");
    dr_render_subject(&r, subject, sizeof(subject));
    assert_string_equal(subject, "Daily health report 2026-11-27: 3 sections unavailable");
    r.sec[SEC_QUEUES].available = 1;
    r.sec[SEC_ALERTS].available = 1;
    dr_render_subject(&r, subject, sizeof(subject));
    assert_string_equal(subject,
                        "Daily health report 2026-11-27: 3 active alerts, 1 section unavailable");
    /* A small buffer is cut, never overrun. */
    char small[24];
    dr_render_subject(&r, small, sizeof(small));
    assert_string_equal(small, "Daily health report 202");
    dr_report_free(&r);
}

int main(void)
{
    dr_schedule_use_tz("Europe/Paris");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(long_tables_are_cut_and_counted),
        cmocka_unit_test(exactly_a_full_table_has_no_more_line),
        cmocka_unit_test(missing_labels_and_values),
        cmocka_unit_test(empty_fleet_has_no_percentage),
        cmocka_unit_test(header_footer_and_dashboards_link),
        cmocka_unit_test(subject_plurals_and_unavailable_infra),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
