/* Number, percentage, duration and local-time formatting for the report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "schedule.h"

static void formats_values(void **state)
{
    (void)state;
    char b[64];
    dr_fmt_pct(12.345, b, sizeof(b));
    assert_string_equal(b, "12.3 %");
    dr_fmt_pct(NAN, b, sizeof(b));
    assert_string_equal(b, "n/a");
    dr_fmt_count(42, b, sizeof(b));
    assert_string_equal(b, "42");
    dr_fmt_duration(30, b, sizeof(b));
    assert_string_equal(b, "<1 min");
    dr_fmt_duration(48 * 60 + 5, b, sizeof(b));
    assert_string_equal(b, "48 min");
    dr_fmt_duration(2 * 3600 + 5 * 60, b, sizeof(b));
    assert_string_equal(b, "2 h 05 min");
    dr_fmt_duration(3 * 86400 + 4 * 3600 + 59, b, sizeof(b));
    assert_string_equal(b, "3 d 4 h");
    dr_fmt_local(1795762800, b, sizeof(b));
    assert_string_equal(b, "2026-11-27 08:00 CET");
    assert_int_equal(dr_fmt_pct_level(79.9), 0);
    assert_int_equal(dr_fmt_pct_level(80), 1);
    assert_int_equal(dr_fmt_pct_level(90), 2);
}

/* issue 14: "inf %", "-12345.6 %" and a 31-digit count were shown as data. */
static void impossible_values_are_not_data(void **state)
{
    (void)state;
    char b[64];
    dr_fmt_pct(INFINITY, b, sizeof(b));
    assert_string_equal(b, "n/a (not a finite number)");
    dr_fmt_pct(-INFINITY, b, sizeof(b));
    assert_string_equal(b, "n/a (not a finite number)");
    dr_fmt_pct(-12345.6, b, sizeof(b));
    assert_string_equal(b, "n/a (impossible value)");
    dr_fmt_pct(100.4, b, sizeof(b)); /* counter jitter: shown as 100 */
    assert_string_equal(b, "100.0 %");
    dr_fmt_count(1e308, b, sizeof(b));
    assert_string_equal(b, "n/a (impossible value)");
    dr_fmt_count(-3, b, sizeof(b));
    assert_string_equal(b, "n/a (impossible value)");
    dr_fmt_count(-NAN, b, sizeof(b));
    assert_string_equal(b, "n/a");
    assert_int_equal(dr_fmt_pct_level(INFINITY), 0);
    assert_int_equal(dr_fmt_pct_level(-12345.6), 0);
}

int main(void)
{
    dr_schedule_use_tz("Europe/Paris"); /* the local times below are Paris times */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(formats_values),
        cmocka_unit_test(impossible_values_are_not_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
