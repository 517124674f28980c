/* Scheduling: the next/prev
 * run across the Europe/Paris DST changes of 2026 (29 March: 02:00 CET ->
 * 03:00 CEST; 25 October: 03:00 CEST -> 02:00 CET). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schedule.h"

static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return timegm(&tm);
}

static int setup_paris(void **state)
{
    (void)state;
    return dr_schedule_use_tz("Europe/Paris");
}

static void next_run_same_day_and_next_day(void **state)
{
    (void)state;
    /* 26 Nov 2026, CET (UTC+1): 08:00 local = 07:00Z */
    assert_int_equal(dr_schedule_next(utc(2026, 11, 26, 6, 59, 59), 8, 0),
                     utc(2026, 11, 26, 7, 0, 0));
    /* exactly at the run time: the next one is tomorrow */
    assert_int_equal(dr_schedule_next(utc(2026, 11, 26, 7, 0, 0), 8, 0),
                     utc(2026, 11, 27, 7, 0, 0));
    assert_int_equal(dr_schedule_next(utc(2026, 11, 26, 20, 33, 0), 8, 0),
                     utc(2026, 11, 27, 7, 0, 0));
    /* month and year roll-over */
    assert_int_equal(dr_schedule_next(utc(2026, 12, 31, 12, 0, 0), 8, 0), utc(2027, 1, 1, 7, 0, 0));
}

static void spring_forward_day_is_23_hours(void **state)
{
    (void)state;
    time_t sat = utc(2026, 3, 28, 7, 0, 0); /* Sat 08:00 CET */
    time_t sun = dr_schedule_next(sat, 8, 0);
    assert_int_equal(sun, utc(2026, 3, 29, 6, 0, 0)); /* Sun 08:00 CEST */
    assert_int_equal(sun - sat, 23 * 3600);
    /* asked during the night of the change, after the jump */
    assert_int_equal(dr_schedule_next(utc(2026, 3, 29, 1, 30, 0), 8, 0), utc(2026, 3, 29, 6, 0, 0));
    /* and before it */
    assert_int_equal(dr_schedule_next(utc(2026, 3, 29, 0, 30, 0), 8, 0), utc(2026, 3, 29, 6, 0, 0));
}

static void fall_back_day_is_25_hours(void **state)
{
    (void)state;
    time_t sat = utc(2026, 10, 24, 6, 0, 0); /* Sat 08:00 CEST */
    time_t sun = dr_schedule_next(sat, 8, 0);
    assert_int_equal(sun, utc(2026, 10, 25, 7, 0, 0)); /* Sun 08:00 CET */
    assert_int_equal(sun - sat, 25 * 3600);
    /* asked inside the repeated hour (02:30 CEST, then 02:30 CET) */
    assert_int_equal(dr_schedule_next(utc(2026, 10, 25, 0, 30, 0), 8, 0),
                     utc(2026, 10, 25, 7, 0, 0));
    assert_int_equal(dr_schedule_next(utc(2026, 10, 25, 1, 30, 0), 8, 0),
                     utc(2026, 10, 25, 7, 0, 0));
}

/* Chaining next() day after day keeps 08:00 local time on every day. */
static void chain_stays_at_local_0800(time_t from, int days, int short_or_long_day)
{
    time_t t = from;
    int odd = 0;
    for (int i = 0; i < days; i++) {
        time_t n = dr_schedule_next(t, 8, 0);
        struct tm lt;
        localtime_r(&n, &lt);
        assert_int_equal(lt.tm_hour, 8);
        assert_int_equal(lt.tm_min, 0);
        assert_int_equal(lt.tm_sec, 0);
        if (i > 0) {
            long d = (long)(n - t);
            if (d != 24 * 3600) {
                assert_int_equal(d, 24 * 3600 + short_or_long_day * 3600);
                odd++;
            }
        }
        t = n;
    }
    assert_int_equal(odd, 1); /* exactly one day of 23 (or 25) hours */
}

static void daily_chain_across_both_changes(void **state)
{
    (void)state;
    chain_stays_at_local_0800(utc(2026, 3, 24, 12, 0, 0), 10, -1);
    chain_stays_at_local_0800(utc(2026, 10, 20, 12, 0, 0), 10, +1);
}

static void time_in_spring_gap_runs_once_an_hour_later(void **state)
{
    (void)state;
    /* 02:30 does not exist on 29 March: it runs at 03:30 CEST (01:30Z). */
    time_t n = dr_schedule_next(utc(2026, 3, 28, 12, 0, 0), 2, 30);
    assert_int_equal(n, utc(2026, 3, 29, 1, 30, 0));
    /* and the day after at 02:30 CEST again */
    assert_int_equal(dr_schedule_next(n, 2, 30), utc(2026, 3, 30, 0, 30, 0));
}

static void repeated_hour_runs_once(void **state)
{
    (void)state;
    /* 02:30 happens twice on 25 October; the report goes out once. */
    time_t n = dr_schedule_next(utc(2026, 10, 24, 12, 0, 0), 2, 30);
    assert_true(n == utc(2026, 10, 25, 0, 30, 0) || n == utc(2026, 10, 25, 1, 30, 0));
    time_t after = dr_schedule_next(n, 2, 30);
    assert_int_equal(after, utc(2026, 10, 26, 1, 30, 0)); /* next day, 02:30 CET */
}

static void prev_run(void **state)
{
    (void)state;
    assert_int_equal(dr_schedule_prev(utc(2026, 3, 29, 7, 0, 0), 8, 0), utc(2026, 3, 29, 6, 0, 0));
    assert_int_equal(dr_schedule_prev(utc(2026, 3, 29, 6, 0, 0), 8, 0), utc(2026, 3, 29, 6, 0, 0));
    assert_int_equal(dr_schedule_prev(utc(2026, 3, 29, 5, 59, 59), 8, 0),
                     utc(2026, 3, 28, 7, 0, 0));
    assert_int_equal(dr_schedule_prev(utc(2026, 10, 25, 6, 59, 0), 8, 0),
                     utc(2026, 10, 24, 6, 0, 0));
}

/* A restart after 08:00 (Paris; 07:00Z in November) without today's
 * report: sent at once while within REPORT_CATCHUP_MINUTES, not after. */
static void catch_up_after_a_restart(void **state)
{
    (void)state;
    const time_t due = utc(2026, 11, 27, 7, 0, 0);
    const time_t yesterday = due - 86400;
    assert_int_equal(dr_schedule_catchup(due + 30 * 60, yesterday, 8, 0, 60), due);
    assert_int_equal(dr_schedule_catchup(due + 60 * 60, yesterday, 8, 0, 60), due); /* edge */
    assert_int_equal(dr_schedule_catchup(due + 60 * 60 + 1, yesterday, 8, 0, 60), 0);
    assert_int_equal(dr_schedule_catchup(due, yesterday, 8, 0, 0), due); /* at the minute */
    assert_int_equal(dr_schedule_catchup(due + 60, yesterday, 8, 0, 0), 0);
    /* today's report already went out (or a later one): nothing to do */
    assert_int_equal(dr_schedule_catchup(due + 30 * 60, due, 8, 0, 60), 0);
    assert_int_equal(dr_schedule_catchup(due + 30 * 60, due + 10, 8, 0, 60), 0);
    /* before 08:00 the due run is yesterday's, long past the window */
    assert_int_equal(dr_schedule_catchup(due - 60, yesterday - 86400, 8, 0, 60), 0);
    /* never sent at all (no state file: 0) */
    assert_int_equal(dr_schedule_catchup(due + 5 * 60, 0, 8, 0, 60), due);
}

static void other_zone(void **state)
{
    (void)state;
    assert_int_equal(dr_schedule_use_tz("America/New_York"), 0);
    /* US DST ends 1 Nov 2026; 08:00 EST = 13:00Z */
    assert_int_equal(dr_schedule_next(utc(2026, 11, 1, 0, 0, 0), 8, 0), utc(2026, 11, 1, 13, 0, 0));
    assert_int_equal(dr_schedule_use_tz("UTC"), 0);
    assert_int_equal(dr_schedule_next(utc(2026, 11, 1, 0, 0, 0), 8, 0), utc(2026, 11, 1, 8, 0, 0));
    assert_int_equal(dr_schedule_use_tz("Europe/Paris"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(next_run_same_day_and_next_day),
        cmocka_unit_test(spring_forward_day_is_23_hours),
        cmocka_unit_test(fall_back_day_is_25_hours),
        cmocka_unit_test(daily_chain_across_both_changes),
        cmocka_unit_test(time_in_spring_gap_runs_once_an_hour_later),
        cmocka_unit_test(repeated_hour_runs_once),
        cmocka_unit_test(prev_run),
        cmocka_unit_test(catch_up_after_a_restart),
        cmocka_unit_test(other_zone),
    };
    return cmocka_run_group_tests(tests, setup_paris, NULL);
}
