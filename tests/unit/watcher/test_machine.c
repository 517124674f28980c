/* The watcher's state machine on made-up timelines: first start, outage,
 * reminders, recovery with hysteresis, flapping, restarts (through the
 * state file's format), and mails that fail before they are delivered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "machine.h"
#include "statefile.h"

#define T0 1796000000 /* any instant */
static const struct wd_policy P = {.grace_s = 600, .remind_s = 3 * 3600, .steady_s = 300};

/* Mails "delivered" by the simulated sender, by kind. */
static unsigned mails[4];

/* The daemon's loop, reduced: tick, and deliver what is due when the SMTP
 * server is up. */
static enum wd_change step(struct wd_state *s, wd_time now, int smtp_up)
{
    enum wd_change ch = wd_tick(s, &P, now);
    if (s->pending != WD_MAIL_NONE && smtp_up) {
        mails[s->pending]++;
        wd_mail_delivered(s, s->pending, now);
    }
    return ch;
}

/* Heartbeats every `period` seconds from `from` to `to` (exclusive),
 * ticking every 10 s in between. */
static void run(struct wd_state *s, wd_time from, wd_time to, int period, int smtp_up)
{
    for (wd_time t = from; t < to; t += 10) {
        if (period > 0 && (t - from) % period == 0)
            wd_beat(s, &P, t);
        step(s, t, smtp_up);
    }
}

static void restart(struct wd_state *s, wd_time now)
{
    struct strbuf b;
    sb_init(&b);
    wd_state_format(s, &b);
    struct wd_state fresh;
    char err[200];
    wd_state_init(&fresh, now);
    assert_int_equal(wd_state_parse(sb_str(&b), &fresh, err, sizeof(err)), 0);
    sb_free(&b);
    wd_start(&fresh, now);
    *s = fresh;
}

static int reset(void **state)
{
    (void)state;
    memset(mails, 0, sizeof(mails));
    return 0;
}

static void first_start_waits_one_grace_period(void **state)
{
    (void)state;
    struct wd_state s;
    wd_state_init(&s, T0);
    wd_start(&s, T0);
    assert_int_equal(step(&s, T0 + 599, 1), WD_CHANGE_NONE);
    assert_int_equal(s.phase, WD_PHASE_OK);
    assert_int_equal(mails[WD_MAIL_ALERT], 0);
    /* Never a heartbeat: at exactly one grace period, the alert. */
    assert_int_equal(step(&s, T0 + 600, 1), WD_CHANGE_OUTAGE);
    assert_int_equal(s.phase, WD_PHASE_SILENT);
    assert_int_equal(mails[WD_MAIL_ALERT], 1);
    assert_int_equal(s.outage_since, T0); /* "since the watcher started" */
}

static void steady_heartbeats_never_alert(void **state)
{
    (void)state;
    struct wd_state s;
    wd_state_init(&s, T0);
    run(&s, T0, T0 + 86400, 60, 1);
    assert_int_equal(s.phase, WD_PHASE_OK);
    for (int m = 0; m < 4; m++)
        assert_int_equal(mails[m], 0);
    /* Gaps just under the grace are still fine. */
    run(&s, T0 + 86400, T0 + 2 * 86400, 590, 1);
    assert_int_equal(mails[WD_MAIL_ALERT], 0);
}

static void outage_alerts_once_then_reminds_then_restores_once(void **state)
{
    (void)state;
    struct wd_state s;
    wd_state_init(&s, T0);
    run(&s, T0, T0 + 3600, 60, 1);
    wd_time last = T0 + 3540; /* the last heartbeat of that run */
    assert_int_equal(s.last_beat, last);
    run(&s, T0 + 3600, last + 599, 0, 1);
    assert_int_equal(mails[WD_MAIL_ALERT], 0);
    assert_int_equal(step(&s, last + 600, 1), WD_CHANGE_OUTAGE);
    assert_int_equal(s.outage_since, last);
    /* 7 hours of silence: one alert, reminders at +3 h and +6 h. */
    run(&s, last + 610, last + 600 + 7 * 3600, 0, 1);
    assert_int_equal(mails[WD_MAIL_ALERT], 1);
    assert_int_equal(mails[WD_MAIL_REMINDER], 2);
    /* Heartbeats again: nothing until steady for 5 min, then one restored. */
    wd_time back = last + 600 + 7 * 3600;
    assert_int_equal(wd_beat(&s, &P, back), WD_CHANGE_RECOVERING);
    run(&s, back, back + 290, 60, 1);
    assert_int_equal(mails[WD_MAIL_RESTORED], 0);
    assert_int_equal(s.phase, WD_PHASE_RECOVERING);
    run(&s, back + 290, back + 3600, 60, 1);
    assert_int_equal(mails[WD_MAIL_RESTORED], 1);
    assert_int_equal(mails[WD_MAIL_ALERT], 1);
    assert_int_equal(s.phase, WD_PHASE_OK);
    assert_int_equal(s.pending, WD_MAIL_NONE);
}

static void flapping_is_one_outage(void **state)
{
    (void)state;
    struct wd_state s;
    wd_state_init(&s, T0);
    run(&s, T0, T0 + 600, 60, 1);
    /* For 12 hours: 4 minutes of heartbeats, 11 minutes of silence. */
    wd_time t = T0 + 600;
    for (int cycle = 0; cycle < 48; cycle++, t += 900) {
        run(&s, t, t + 240, 60, 1);
        run(&s, t + 240, t + 900, 0, 1);
    }
    assert_int_equal(mails[WD_MAIL_ALERT], 1);
    assert_int_equal(mails[WD_MAIL_RESTORED], 0);
    /* Reminders only at the remind period: 12 h of outage, about 4. */
    assert_in_range(mails[WD_MAIL_REMINDER], 3, 4);
    /* Then steady: exactly one restored. */
    run(&s, t, t + 3600, 60, 1);
    assert_int_equal(mails[WD_MAIL_RESTORED], 1);
    assert_int_equal(mails[WD_MAIL_ALERT], 1);
}

static void single_stray_heartbeat_does_not_restore(void **state)
{
    (void)state;
    struct wd_state s;
    wd_state_init(&s, T0);
    run(&s, T0, T0 + 1200, 0, 1);
    assert_int_equal(s.phase, WD_PHASE_SILENT);
    wd_beat(&s, &P, T0 + 1200);
    run(&s, T0 + 1200, T0 + 1200 + 3600, 0, 1);
    assert_int_equal(s.phase, WD_PHASE_SILENT);
    assert_int_equal(mails[WD_MAIL_RESTORED], 0);
    assert_int_equal(mails[WD_MAIL_ALERT], 1);
}

static void restart_mid_outage_sends_nothing_new(void **state)
{
    (void)state;
    struct wd_state s;
    wd_state_init(&s, T0);
    run(&s, T0, T0 + 600, 60, 1);
    run(&s, T0 + 600, T0 + 1800, 0, 1);
    assert_int_equal(mails[WD_MAIL_ALERT], 1);
    /* Down for 10 minutes, back with the file; F still silent. */
    restart(&s, T0 + 2400);
    assert_int_equal(s.phase, WD_PHASE_SILENT);
    run(&s, T0 + 2400, T0 + 2400 + 7200, 0, 1);
    assert_int_equal(mails[WD_MAIL_ALERT], 1);
    assert_int_equal(mails[WD_MAIL_RESTORED], 0);
    /* The reminder still comes on time (from the alert, not the restart). */
    run(&s, T0 + 9600, T0 + 1200 + 3 * 3600 + 20, 0, 1);
    assert_int_equal(mails[WD_MAIL_REMINDER], 1);
}

static void restart_while_healthy_sends_nothing(void **state)
{
    (void)state;
    struct wd_state s;
    wd_state_init(&s, T0);
    run(&s, T0, T0 + 3600, 60, 1);
    /* The watcher was down for a day: F's heartbeats were missed by the
     * watcher, not missing. One grace period to hear from F again. */
    restart(&s, T0 + 90000);
    assert_int_equal(step(&s, T0 + 90000, 1), WD_CHANGE_NONE);
    run(&s, T0 + 90000 + 30, T0 + 90000 + 3600, 60, 1);
    for (int m = 0; m < 4; m++)
        assert_int_equal(mails[m], 0);
}

static void restart_while_recovering_keeps_hysteresis(void **state)
{
    (void)state;
    struct wd_state s;
    wd_state_init(&s, T0);
    run(&s, T0, T0 + 1200, 0, 1);
    wd_beat(&s, &P, T0 + 1200);
    restart(&s, T0 + 1260);
    assert_int_equal(s.phase, WD_PHASE_RECOVERING);
    run(&s, T0 + 1260, T0 + 1260 + 3600, 60, 1);
    assert_int_equal(mails[WD_MAIL_ALERT], 1);
    assert_int_equal(mails[WD_MAIL_RESTORED], 1);
}

static void failed_mail_is_retried_and_sent_once(void **state)
{
    (void)state;
    struct wd_state s;
    wd_state_init(&s, T0);
    run(&s, T0, T0 + 3600, 0, 0); /* SMTP down when the alert falls due */
    assert_int_equal(s.pending, WD_MAIL_ALERT);
    assert_int_equal(mails[WD_MAIL_ALERT], 0);
    /* No reminder is scheduled while the alert itself is undelivered. */
    run(&s, T0 + 3600, T0 + 5 * 3600, 0, 0);
    assert_int_equal(s.pending, WD_MAIL_ALERT);
    /* A restart keeps the undelivered mail. */
    restart(&s, T0 + 5 * 3600);
    run(&s, T0 + 5 * 3600, T0 + 5 * 3600 + 60, 0, 1);
    assert_int_equal(mails[WD_MAIL_ALERT], 1);
    assert_int_equal(mails[WD_MAIL_REMINDER], 0);
}

static void undelivered_alert_becomes_restored_with_the_whole_story(void **state)
{
    (void)state;
    struct wd_state s;
    wd_state_init(&s, T0);
    run(&s, T0, T0 + 1200, 0, 0);
    wd_beat(&s, &P, T0 + 1200);
    run(&s, T0 + 1200, T0 + 1800, 60, 0);
    assert_int_equal(s.phase, WD_PHASE_OK);
    assert_int_equal(s.pending, WD_MAIL_RESTORED);
    assert_false(s.alert_delivered); /* the restored mail says so */
    assert_int_equal(s.outage_since, T0);
    assert_int_equal(s.outage_end, T0 + 1200);
    /* A new outage while "restored" is undelivered: the alert replaces it. */
    run(&s, T0 + 1800, T0 + 1800 + 700, 0, 0);
    assert_int_equal(s.pending, WD_MAIL_ALERT);
}

static void stale_delivery_report_is_ignored(void **state)
{
    (void)state;
    struct wd_state s;
    wd_state_init(&s, T0);
    run(&s, T0, T0 + 700, 0, 0);
    assert_int_equal(s.pending, WD_MAIL_ALERT);
    /* The sender reports a restored mail the state no longer wants. */
    wd_mail_delivered(&s, WD_MAIL_RESTORED, T0 + 700);
    assert_int_equal(s.pending, WD_MAIL_ALERT);
}

static void deadlines_tell_when_to_wake(void **state)
{
    (void)state;
    struct wd_state s;
    wd_state_init(&s, T0);
    assert_int_equal(wd_next_deadline(&s, &P), T0 + 600);
    wd_beat(&s, &P, T0 + 100);
    assert_int_equal(wd_next_deadline(&s, &P), T0 + 700);
    step(&s, T0 + 700, 1);
    assert_int_equal(wd_next_deadline(&s, &P), T0 + 700 + 3 * 3600);
    wd_beat(&s, &P, T0 + 800);
    assert_int_equal(wd_next_deadline(&s, &P), T0 + 800 + 600); /* relapse; restore needs a beat */
    assert_int_equal(wd_silence(&s, T0 + 850), 50);
    assert_int_equal(wd_silence(&s, T0 + 10), 0); /* a clock stepped back */
}

static void policy_is_checked(void **state)
{
    (void)state;
    char err[200];
    struct wd_policy p = P;
    assert_int_equal(wd_policy_check(&p, err, sizeof(err)), 0);
    p.steady_s = 0;
    assert_int_equal(wd_policy_check(&p, err, sizeof(err)), -1);
    p = P;
    p.remind_s = 60;
    assert_int_equal(wd_policy_check(&p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "remind"));
}

static void names_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++) {
        enum wd_phase p;
        assert_int_equal(wd_phase_parse(wd_phase_name((enum wd_phase)i), &p), 0);
        assert_int_equal(p, i);
    }
    for (int i = 0; i < 4; i++) {
        enum wd_mail m;
        assert_int_equal(wd_mail_parse(wd_mail_name((enum wd_mail)i), &m), 0);
        assert_int_equal(m, i);
    }
    enum wd_mail m;
    assert_int_equal(wd_mail_parse("panic", &m), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(first_start_waits_one_grace_period, reset),
        cmocka_unit_test_setup(steady_heartbeats_never_alert, reset),
        cmocka_unit_test_setup(outage_alerts_once_then_reminds_then_restores_once, reset),
        cmocka_unit_test_setup(flapping_is_one_outage, reset),
        cmocka_unit_test_setup(single_stray_heartbeat_does_not_restore, reset),
        cmocka_unit_test_setup(restart_mid_outage_sends_nothing_new, reset),
        cmocka_unit_test_setup(restart_while_healthy_sends_nothing, reset),
        cmocka_unit_test_setup(restart_while_recovering_keeps_hysteresis, reset),
        cmocka_unit_test_setup(failed_mail_is_retried_and_sent_once, reset),
        cmocka_unit_test_setup(undelivered_alert_becomes_restored_with_the_whole_story, reset),
        cmocka_unit_test_setup(stale_delivery_report_is_ignored, reset),
        cmocka_unit_test_setup(deadlines_tell_when_to_wake, reset),
        cmocka_unit_test(policy_is_checked),
        cmocka_unit_test(names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
