/* Periods as written in settings, periods in words, instants in UTC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "duration.h"

static int64_t parsed(const char *s)
{
    int64_t v = -7;
    return wd_duration_parse(s, &v) == 0 ? v : -1;
}

static void periods_parse(void **state)
{
    (void)state;
    assert_int_equal(parsed("90s"), 90);
    assert_int_equal(parsed("10m"), 600);
    assert_int_equal(parsed("4h"), 14400);
    assert_int_equal(parsed("1h30m"), 5400);
    assert_int_equal(parsed("2d"), 172800);
    assert_int_equal(parsed("1d2h3m4s"), 93784);
    assert_int_equal(parsed("45"), 45);
    assert_int_equal(parsed("400d"), 400LL * 86400);
}

static void bad_periods_refused(void **state)
{
    (void)state;
    const char *bad[] = {"",     "0",   "0s",  "m",    "10x",  "1m1h",
                         "1h1h", "-5m", "5 m", "1.5h", "401d", "99999999999999999999s",
                         "1h30", "10mm"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parsed(bad[i]), -1);
    }
    struct strbuf why;
    sb_init(&why);
    assert_false(wd_duration_check("ten minutes", &why));
    assert_non_null(strstr(sb_str(&why), "10m"));
    sb_free(&why);
}

static void words(void **state)
{
    (void)state;
    char b[40];
    wd_duration_words(45, b, sizeof(b));
    assert_string_equal(b, "45 s");
    wd_duration_words(720, b, sizeof(b));
    assert_string_equal(b, "12 min");
    wd_duration_words(4320 + 59, b, sizeof(b)); /* seconds below the two largest units dropped */
    assert_string_equal(b, "1 h 12 min");
    wd_duration_words(3600 + 5, b, sizeof(b));
    assert_string_equal(b, "1 h");
    wd_duration_words(3 * 86400 + 2 * 3600 + 60, b, sizeof(b));
    assert_string_equal(b, "3 d 2 h");
    wd_duration_words(-3, b, sizeof(b));
    assert_string_equal(b, "0 s");
    char tiny[6];
    wd_duration_words(3 * 86400 + 2 * 3600, tiny, sizeof(tiny)); /* truncated, terminated */
    assert_true(strlen(tiny) < sizeof(tiny));
}

static void utc(void **state)
{
    (void)state;
    char b[40];
    wd_utc_text(1796032772, b, sizeof(b));
    assert_string_equal(b, "2026-11-30 09:59:32 UTC");
    wd_utc_text(0, b, sizeof(b));
    assert_string_equal(b, "never");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(periods_parse),
        cmocka_unit_test(bad_periods_refused),
        cmocka_unit_test(words),
        cmocka_unit_test(utc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
