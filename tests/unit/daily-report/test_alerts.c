/* Alertmanager API answers: the active alerts the report lists, sorted,
 * filtered and defaulted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "alerts.h"

static void alerts_sorted_filtered_and_defaulted(void **state)
{
    (void)state;
    const char *j =
        "["
        "{\"labels\":{\"alertname\":\"DiskLow\",\"severity\":\"warning\",\"server\":\"A\"},"
        "\"annotations\":{\"summary\":\"disk <10%\"},\"startsAt\":\"2026-11-27T06:00:00Z\","
        "\"status\":{\"state\":\"active\"}},"
        "{\"labels\":{\"alertname\":\"Silenced\",\"severity\":\"critical\"},\"annotations\":{},"
        "\"startsAt\":\"2026-11-27T06:00:00Z\",\"status\":{\"state\":\"suppressed\"}},"
        "{\"labels\":{\"alertname\":\"HostDown\",\"severity\":\"critical\",\"instance\":\"b:9100\"}"
        ","
        "\"annotations\":{\"description\":\"no scrape\"},\"startsAt\":\"2026-11-27T06:30:00.5Z\","
        "\"status\":{\"state\":\"active\"}},"
        "{\"labels\":{\"alertname\":\"Older\",\"severity\":\"warning\"},\"annotations\":{},"
        "\"startsAt\":\"2026-11-26T06:00:00Z\",\"status\":{\"state\":\"active\"}},"
        "{\"labels\":{\"alertname\":\"Odd\"},\"startsAt\":\"2026-11-27T06:00:00Z\"},"
        "{\"labels\":{\"alertname\":\"Watchdog\",\"severity\":\"none\"},"
        "\"startsAt\":\"2026-11-27T06:00:00Z\",\"status\":{\"state\":\"active\"}}"
        "]";
    struct am_alerts a;
    char err[256];
    assert_int_equal(dr_am_parse_alerts(j, strlen(j), &a, err, sizeof(err)), 0);
    assert_int_equal(a.n, 4); /* the suppressed one and the Watchdog are left out */
    assert_int_equal(a.watchdog, 1);
    assert_string_equal(a.items[0].name, "HostDown");
    assert_string_equal(a.items[0].server, "b:9100"); /* instance when no server label */
    assert_string_equal(a.items[0].summary, "no scrape");
    assert_int_equal(a.items[0].since, 1795761000);
    assert_string_equal(a.items[1].name, "Older"); /* warnings, oldest first */
    assert_string_equal(a.items[2].name, "DiskLow");
    assert_string_equal(a.items[2].server, "A");
    assert_string_equal(a.items[2].summary, "disk <10%");
    assert_string_equal(a.items[3].name, "Odd"); /* no severity: last */
    assert_string_equal(a.items[3].severity, "");
    dr_am_alerts_free(&a);

    assert_int_equal(dr_am_parse_alerts("[]", 2, &a, err, sizeof(err)), 0);
    assert_int_equal(a.n, 0);
    assert_int_equal(a.watchdog, 0);
    dr_am_alerts_free(&a);
    assert_int_equal(dr_am_parse_alerts("{}", 2, &a, err, sizeof(err)), -1);
    const char *badtime = "[{\"labels\":{},\"startsAt\":\"yesterday\"}]";
    assert_int_equal(dr_am_parse_alerts(badtime, strlen(badtime), &a, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "startsAt"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(alerts_sorted_filtered_and_defaulted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
