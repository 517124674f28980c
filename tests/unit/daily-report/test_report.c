/* report.c: the data model's bookkeeping. A fresh report has every
 * section unavailable until its source answers; reasons are formatted and
 * truncated safely; section names are the ones the HTML's
 * data-unavailable attributes and the logs use; freeing releases every row
 * (ASan would report a leak) and leaves an empty report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static void fresh_report_counts_every_section_unavailable(void **state)
{
    (void)state;
    struct report r;
    memset(&r, 0x5a, sizeof(r)); /* init must not rely on a zeroed struct */
    dr_report_init(&r, 1795762800);
    assert_int_equal(r.at, 1795762800);
    assert_int_equal(r.nservers, 0);
    assert_null(r.servers);
    assert_null(r.grafana_url);
    assert_int_equal(dr_report_unavailable_count(&r), SEC_COUNT);
    r.sec[SEC_INFRA].available = 1;
    r.sec[SEC_ALERTS].available = 1;
    assert_int_equal(dr_report_unavailable_count(&r), 2);
    for (int i = 0; i < SEC_COUNT; i++)
        r.sec[i].available = 1;
    assert_int_equal(dr_report_unavailable_count(&r), 0);
    dr_report_free(&r);
}

static void section_names(void **state)
{
    (void)state;
    assert_string_equal(dr_section_name(SEC_INFRA), "infrastructure");
    assert_string_equal(dr_section_name(SEC_QUEUES), "queues");
    assert_string_equal(dr_section_name(SEC_BUSINESS), "business");
    assert_string_equal(dr_section_name(SEC_ALERTS), "alerts");
    assert_string_equal(dr_section_name(SEC_COUNT), "?");
}

static void unavailable_reason_is_formatted_and_bounded(void **state)
{
    (void)state;
    struct report r;
    dr_report_init(&r, 0);
    r.sec[SEC_BUSINESS].available = 1;
    dr_report_set_unavailable(&r, SEC_BUSINESS, "Supabase: cannot connect within %d s: %s", 10,
                              "timeout expired");
    assert_int_equal(r.sec[SEC_BUSINESS].available, 0);
    assert_string_equal(r.sec[SEC_BUSINESS].reason,
                        "Supabase: cannot connect within 10 s: timeout expired");
    /* A source's error text may be long (an HTML error page): cut, terminated. */
    char big[2000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    dr_report_set_unavailable(&r, SEC_ALERTS, "%s", big);
    assert_int_equal(strlen(r.sec[SEC_ALERTS].reason), sizeof(r.sec[SEC_ALERTS].reason) - 1);
    assert_string_equal(r.sec[SEC_BUSINESS].reason,
                        "Supabase: cannot connect within 10 s: timeout expired");
    dr_report_free(&r);
}

static void free_releases_rows_and_empties(void **state)
{
    (void)state;
    struct report r;
    dr_report_init(&r, 1795762800);
    r.servers = calloc(2, sizeof(*r.servers));
    r.servers[0].name = strdup("F");
    r.servers[1].name = strdup("B");
    r.nservers = 2;
    r.queues = calloc(1, sizeof(*r.queues));
    r.queues[0].name = strdup("transcriptions");
    r.nqueues = 1;
    r.alerts.items = calloc(1, sizeof(*r.alerts.items));
    r.alerts.items[0] = (struct am_alert){strdup("HostDown"), strdup("critical"), strdup("B"),
                                          strdup("down"), 1795762000};
    r.alerts.n = 1;
    r.cpu_chart.data = malloc(16);
    r.cpu_chart.len = 16;
    r.queue_chart.data = malloc(8);
    dr_report_free(&r);
    assert_null(r.servers);
    assert_int_equal(r.nservers, 0);
    assert_null(r.queues);
    assert_int_equal(r.alerts.n, 0);
    assert_null(r.cpu_chart.data);
    dr_report_free(&r); /* twice is harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fresh_report_counts_every_section_unavailable),
        cmocka_unit_test(section_names),
        cmocka_unit_test(unavailable_reason_is_formatted_and_bounded),
        cmocka_unit_test(free_releases_rows_and_empties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
