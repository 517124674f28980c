/* src/common/timeparse: time of day, time zone and RFC 3339, each written
 * as tables of good and bad values (the same values the doctor and the
 * daily report must agree on: tests/unit/doctor/test_envagree.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>
#include <time.h>

#include "timeparse.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void times_of_day(void **state)
{
    (void)state;
    const struct {
        const char *s;
        int h, m;
    } good[] = {{"08:00", 8, 0},   {"8:00", 8, 0},  {"7:05", 7, 5},
                {"23:59", 23, 59}, {"00:00", 0, 0}, {"0:00", 0, 0}};
    for (size_t i = 0; i < N(good); i++) {
        int h = -1, m = -1;
        assert_int_equal(time_of_day_parse(good[i].s, &h, &m), 0);
        assert_int_equal(h, good[i].h);
        assert_int_equal(m, good[i].m);
        struct strbuf why;
        sb_init(&why);
        assert_true(time_of_day_check(good[i].s, &why));
        assert_int_equal(why.len, 0);
        sb_free(&why);
    }
    const char *bad[] = {"24:00",  "8:60",  "08:60",  "8",      "08:0", "08:000",
                         "008:00", "ab:cd", "08:00 ", " 08:00", "",     "-1:00",
                         "08-00",  "8am",   "08h00",  "+8:00"};
    for (size_t i = 0; i < N(bad); i++) {
        int h = 99, m = 99;
        if (time_of_day_parse(bad[i], &h, &m) != -1)
            fail_msg("'%s' accepted", bad[i]);
        assert_int_equal(h, 99); /* untouched on error */
        struct strbuf why;
        sb_init(&why);
        assert_false(time_of_day_check(bad[i], &why));
        assert_non_null(strstr(sb_str(&why), "HH:MM"));
        sb_free(&why);
    }
    assert_int_equal(time_of_day_parse(NULL, &(int){0}, &(int){0}), -1);
}

static void time_zones(void **state)
{
    (void)state;
    const char *good[] = {"Europe/Paris",
                          ":Europe/Paris",
                          "UTC",
                          "America/Argentina/Buenos_Aires",
                          "Etc/GMT+1",
                          "CET-1CEST,M3.5.0,M10.5.0/3",
                          "EST5EDT",
                          "EST5EDT,M3.2.0/2,M11.1.0",
                          "<+0330>-3:30",
                          "CET", /* a zone file as well */
                          "UTC0",
                          "NZST-12NZDT,J60,300",
                          "AAA3BBB,M3.5.0/-1,M10.5.0/167"};
    for (size_t i = 0; i < N(good); i++) {
        struct strbuf why;
        sb_init(&why);
        if (!time_zone_check(good[i], &why))
            fail_msg("'%s' refused: %s", good[i], sb_str(&why));
        sb_free(&why);
    }
    /* glibc would silently use UTC for every one of these. */
    const char *bad[] = {"Europe/Pariss",
                         "Paris",
                         "Nowhere1/Invalid",
                         "X1",
                         "12345",
                         "zone.tab",
                         "tzdata.zi",
                         "iso3166.tab",
                         "Europe", /* a directory */
                         "../../etc/passwd",
                         "/etc/localtime",
                         "",
                         "CET-1CEST,M13.5.0,M10.5.0/3",
                         "CET-1CEST,M3.6.0,M10.5.0/3",
                         "CET-1CEST,M3.5.7,M10.5.0/3",
                         "CET-1CEST,M3.5.0",
                         "CET-25",
                         "Foo", /* no offset, no such zone */
                         "<+03>",
                         "CET-1CEST,J366,J1",
                         "Europe/Paris "};
    for (size_t i = 0; i < N(bad); i++) {
        struct strbuf why;
        sb_init(&why);
        if (time_zone_check(bad[i], &why))
            fail_msg("'%s' accepted", bad[i]);
        assert_non_null(strstr(sb_str(&why), "time zone"));
        sb_free(&why);
    }
    assert_true(time_zone_is_posix("CET-1CEST,M3.5.0,M10.5.0/3"));
    assert_false(time_zone_is_posix("Europe/Paris"));
}

static void rfc3339(void **state)
{
    (void)state;
    const char *good[] = {"2026-11-27T07:00:00Z", "2026-11-27T07:00:00.123456789Z",
                          "2026-11-27T08:00:00+01:00", "2026-11-27T05:30:00.5-01:30",
                          "2026-11-27t07:00:00z"};
    for (size_t i = 0; i < N(good); i++) {
        time_t t = 0;
        if (rfc3339_parse(good[i], &t) != 0)
            fail_msg("'%s' refused", good[i]);
        assert_int_equal(t, 1795762800);
    }
    time_t t;
    assert_int_equal(rfc3339_parse("2024-02-29T00:00:00Z", &t), 0); /* leap day */
    assert_int_equal(t, 1709164800);
    const char *bad[] = {"2026-11-27 07:00:00Z",
                         "2026-11-27T07:00:00",
                         "2026-13-01T00:00:00Z",
                         "2026-11-27T07:00:00.Z",
                         "2026-11-27T07:00:00+0100",
                         "",
                         "garbage",
                         "2026-11-27T07:00:00Zjunk",
                         "2026-02-30T00:00:00Z",
                         "2025-02-29T00:00:00Z",
                         "2026-11-31T00:00:00Z",
                         "2026-11-27T24:00:00Z",
                         "2026-11-27T07:60:00Z",
                         "2026-11-27T07:00:00+24:00",
                         " 2026-11-27T07:00:00Z",
                         "2026-1-27T07:00:00Z"};
    for (size_t i = 0; i < N(bad); i++)
        if (rfc3339_parse(bad[i], &t) != -1)
            fail_msg("'%s' accepted", bad[i]);
    assert_int_equal(rfc3339_parse(NULL, &t), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(times_of_day),
        cmocka_unit_test(time_zones),
        cmocka_unit_test(rfc3339),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
