/* src/doctor/sqlexpand: Grafana's SQL macros and template variables expand
 * as Grafana documents them (the cases of tests/dashboards/dashq.py's
 * selftest), so the doctor EXPLAINs what Grafana will send. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sqlexpand.h"

/* 2017-07-18T11:15:52Z .. +1h, 1 min interval. */
static const struct grafana_range R = {1500376552, 1500380152, 60000};

static void expect(const char *raw, const char *want)
{
    const struct grafana_var vars[] = {{"tz", "Europe/Paris"}, {"q", "O''Brien"}};
    struct strbuf b;
    char err[256] = "";
    sb_init(&b);
    int rc = doc_grafana_expand(raw, vars, 2, &R, &b, err, sizeof(err));
    if (rc != 0 || strcmp(sb_str(&b), want) != 0)
        fail_msg("%s\n got  %s (%s)\n want %s", raw, sb_str(&b), err, want);
    sb_free(&b);
}

static void macros_like_grafana(void **state)
{
    (void)state;
    expect("$__timeFilter(time_col)",
           "time_col BETWEEN '2017-07-18T11:15:52Z' AND '2017-07-18T12:15:52Z'");
    expect("$__timeGroup(dateColumn,'5m')", "floor(extract(epoch from dateColumn)/300)*300");
    expect("$__timeGroupAlias(dateColumn, '1h', 0)",
           "floor(extract(epoch from dateColumn)/3600)*3600 AS \"time\"");
    expect("SELECT $__timeGroup(c, '5m'), 1",
           "SELECT floor(extract(epoch from c)/300)*300 AS \"time\", 1");
    expect("$__timeFrom() $__timeTo()", "'2017-07-18T11:15:52Z' '2017-07-18T12:15:52Z'");
    expect("$__unixEpochFilter(t)", "t >= 1500376552 AND t <= 1500380152");
    expect("$__time(c) $__timeEpoch(c)", "c AS \"time\" extract(epoch from c) as \"time\"");
    expect("$__timeGroupAlias(c, $__interval)", "floor(extract(epoch from c)/60)*60 AS \"time\"");
    expect("x > $__unixEpochFrom() AND x < $__unixEpochTo()", "x > 1500376552 AND x < 1500380152");
    expect("$__interval_ms", "60000");
}

static void variables_like_grafana(void **state)
{
    (void)state;
    expect("now() AT TIME ZONE '$tz'", "now() AT TIME ZONE 'Europe/Paris'");
    expect("'${tz}' '[[tz]]' '$q'", "'Europe/Paris' 'Europe/Paris' 'O''Brien'");
    expect("$unknown stays", "$unknown stays");
    expect("count(*) AS \"Sent\"", "count(*) AS \"Sent\"");
}

static void unknown_macro_is_an_error(void **state)
{
    (void)state;
    struct strbuf b;
    char err[256] = "";
    sb_init(&b);
    assert_int_equal(doc_grafana_expand("$__nope(x)", NULL, 0, &R, &b, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "$__nope(x)"));
    sb_reset(&b);
    assert_int_equal(doc_grafana_expand("$__timeGroup(c, 'x')", NULL, 0, &R, &b, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "error parsing interval 'x'"));
    sb_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(macros_like_grafana),
        cmocka_unit_test(variables_like_grafana),
        cmocka_unit_test(unknown_macro_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
