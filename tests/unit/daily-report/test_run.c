/* run.c: one report run end to end, with no source configured (every
 * section unavailable, which the run must still report and deliver) and a
 * real SMTP peer on loopback (fakesmtp.h). Checked: the exit statuses of
 * --once and --dry-run (0 / 1 / 2), the outcome the daemon's metrics are
 * built from, the message that arrives, the file --dry-run writes, and a
 * stop request that keeps the report from being sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cancel.h"
#include "chart.h"
#include "fakesmtp.h"
#include "httpclient.h"
#include "run.h"
#include "schedule.h"
#include "smtpconfig.h"

static struct fake_smtp smtp;
static struct config cfg;
static char dir[64];

static int no_wait(int seconds)
{
    (void)seconds;
    return 0;
}

static int setup(void **state)
{
    (void)state;
    if (fake_smtp_start(&smtp) != 0)
        return -1;
    smtp_config(&cfg, smtp.port, 2, 1);
    snprintf(dir, sizeof(dir), "/tmp/test_dr_run_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    fake_smtp_stop(&smtp);
    char p[128];
    snprintf(p, sizeof(p), "%s/report.html", dir);
    unlink(p);
    rmdir(dir);
    dr_cancel_set_check(NULL);
    return 0;
}

static void degraded_report_is_still_delivered(void **state)
{
    (void)state;
    struct run_outcome o;
    time_t before = time(NULL);
    assert_int_equal(dr_run_send(&cfg, no_wait, &o), RUN_DEGRADED);
    assert_int_equal(o.delivered, 1);
    assert_int_equal(o.attempts, 1);
    assert_int_equal(o.unavailable, SEC_COUNT);
    for (int i = 0; i < SEC_COUNT; i++)
        assert_int_equal(o.section_unavailable[i], 1);
    assert_true(o.at >= before && o.at <= time(NULL));
    assert_true(o.duration >= 0);

    assert_int_equal(smtp.delivered, 1);
    assert_string_equal(smtp.rcpt_to, "<ops@example.eu>");
    const char *m = smtp.data;
    assert_non_null(strstr(m, ": 4 sections unavailable\r\n"));
    assert_non_null(strstr(m, "From: \"Monitoring\" <report@example.eu>\r\n"));
    char hdr[64];
    snprintf(hdr, sizeof(hdr), "X-Daily-Report-Time: %lld\r\n", (long long)o.at);
    assert_non_null(strstr(m, hdr));
    assert_non_null(strstr(m, "Content-Type: text/plain"));
    assert_non_null(strstr(m, "Content-Type: text/html"));
    assert_non_null(strstr(m, "PROMETHEUS_URL is not set"));
}

static void refused_report_is_not_sent(void **state)
{
    (void)state;
    smtp.reply[0] = "451 4.3.0 try later";
    smtp.reply[1] = "451 4.3.0 try later";
    struct run_outcome o;
    assert_int_equal(dr_run_send(&cfg, no_wait, &o), RUN_NOT_SENT);
    assert_int_equal(o.delivered, 0);
    assert_int_equal(o.attempts, 2);
    assert_int_equal(smtp.connections, 2);
    assert_int_equal(smtp.delivered, 0);
}

static void stop_request_keeps_the_report_back(void **state)
{
    (void)state;
    dr_cancel_set_check(stop_now);
    struct run_outcome o;
    assert_int_equal(dr_run_send(&cfg, no_wait, &o), RUN_NOT_SENT);
    assert_int_equal(o.delivered, 0);
    assert_int_equal(o.attempts, 0);
    assert_int_equal(smtp.connections, 0);
}

static void dry_run_writes_the_html(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/report.html", dir);
    struct run_outcome o;
    assert_int_equal(dr_run_dry(&cfg, path, &o), RUN_DEGRADED);
    assert_int_equal(o.delivered, 1);
    assert_int_equal(o.unavailable, SEC_COUNT);
    assert_int_equal(smtp.connections, 0); /* nothing mailed */
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char html[1 << 17];
    size_t n = fread(html, 1, sizeof(html) - 1, f);
    fclose(f);
    html[n] = '\0';
    assert_true(n > 0);
    assert_non_null(strstr(html, "data-unavailable=\"infrastructure\""));
    assert_non_null(strstr(html, "data-unavailable=\"alerts\""));
    assert_non_null(strstr(html, "ALERTMANAGER_URL is not set"));
}

static void dry_run_to_an_unwritable_path_fails(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/missing-dir/report.html", dir);
    struct run_outcome o;
    assert_int_equal(dr_run_dry(&cfg, path, &o), RUN_NOT_SENT);
    assert_int_equal(o.delivered, 0);
}

/* The bound the daemon's health check holds a run to: every deadline
 * added up, so a run that keeps them is never declared hung. */
static void run_limit_adds_every_deadline(void **state)
{
    (void)state;
    struct config c;
    memset(&c, 0, sizeof(c));
    c.db_timeout_s = 10;
    c.smtp_attempts = 1;
    c.smtp_backoff_s = 60;
    /* 12 requests x 30 s + 10 s database + 60 s slack + one 120 s attempt */
    assert_true(dr_run_limit_s(&c) == 360 + 10 + 60 + 120);
    c.smtp_attempts = 3; /* + two more attempts, after 60 s and 120 s of backoff */
    assert_true(dr_run_limit_s(&c) == 550 + 2 * 120 + 60 + 120);
    c.smtp_attempts = 12; /* the backoff is capped at 15 min */
    double limit = dr_run_limit_s(&c);
    assert_true(limit > 900 * 5 && limit < 430 + 12 * 120 + 11 * 900 + 1);
}

int main(void)
{
    dr_schedule_use_tz("Europe/Paris");
    http_global_init("test/1", NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(degraded_report_is_still_delivered, setup, teardown),
        cmocka_unit_test_setup_teardown(refused_report_is_not_sent, setup, teardown),
        cmocka_unit_test_setup_teardown(stop_request_keeps_the_report_back, setup, teardown),
        cmocka_unit_test_setup_teardown(dry_run_writes_the_html, setup, teardown),
        cmocka_unit_test_setup_teardown(dry_run_to_an_unwritable_path_fails, setup, teardown),
        cmocka_unit_test(run_limit_adds_every_deadline),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    http_global_cleanup();
    dr_chart_global_cleanup();
    return rc;
}
