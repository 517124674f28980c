/* The daemon's /metrics exposition, --metrics-listen parsing and the SMTP
 * retry schedule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <string.h>

#include "selfmetrics.h"

static void exposition_before_and_after_a_run(void **state)
{
    (void)state;
    struct metrics m;
    dr_metrics_init(&m, 1795700000, 1795676400);
    struct prom_buf b;
    prom_buf_init(&b);
    dr_metrics_render(&m, &b);
    assert_non_null(strstr(b.sb.data, "# TYPE daily_report_last_success_timestamp_seconds gauge\n"
                                      "daily_report_last_success_timestamp_seconds 1795676400\n"));
    assert_non_null(strstr(b.sb.data, "daily_report_failures_total 0\n"));
    assert_non_null(strstr(b.sb.data, "# TYPE daily_report_failures_total counter\n"));
    assert_non_null(strstr(b.sb.data, "daily_report_build_info{version=\"" VERSION "\"} 1\n"));
    /* no section gauges until a report was built */
    assert_null(strstr(b.sb.data, "daily_report_section_unavailable"));

    m.have_sections = 1;
    m.section_unavailable[SEC_INFRA] = 1;
    m.failures_total = 2;
    m.next_run = 1795762800;
    prom_buf_reset(&b);
    dr_metrics_render(&m, &b);
    assert_non_null(
        strstr(b.sb.data, "daily_report_section_unavailable{section=\"infrastructure\"} 1\n"));
    assert_non_null(strstr(b.sb.data, "daily_report_section_unavailable{section=\"alerts\"} 0\n"));
    assert_non_null(strstr(b.sb.data, "daily_report_failures_total 2\n"));
    assert_non_null(strstr(b.sb.data, "daily_report_next_run_timestamp_seconds 1795762800\n"));
    /* the exposition ends with a newline, as the format requires */
    assert_int_equal(b.sb.data[b.sb.len - 1], '\n');
    prom_buf_free(&b);
    dr_metrics_destroy(&m);
}

/* /-/healthy: 200 while idle or within the run's bound, 503 with the
 * reason once a run outlives it (issue 14: a stuck run kept answering 200). */
static void health_reflects_a_stuck_run(void **state)
{
    (void)state;
    struct metrics m;
    char why[200] = "";
    dr_metrics_init(&m, 1000, 0);
    m.run_limit_s = 600;
    assert_true(dr_metrics_healthy(&m, 5000, why, sizeof(why)));
    dr_metrics_run_begin(&m, 2000);
    assert_true(dr_metrics_healthy(&m, 2600, why, sizeof(why)));
    assert_false(dr_metrics_healthy(&m, 2601, why, sizeof(why)));
    assert_non_null(strstr(why, "stuck (limit 600 s)"));
    dr_metrics_run_end(&m);
    assert_true(dr_metrics_healthy(&m, 9000, why, sizeof(why)));
    dr_metrics_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exposition_before_and_after_a_run),
        cmocka_unit_test(health_reflects_a_stuck_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
