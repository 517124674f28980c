/* The three mails: headers, what they say, and stable Message-IDs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "notice.h"

static const struct wd_notice_ctx ctx = {"Monitoring <monitoring@mg.example.eu>",
                                         "ops@example.eu, boss@example.eu",
                                         "Server F",
                                         "ecotrans-prod",
                                         "server-a",
                                         600,
                                         10800};

static char *compose(enum wd_mail m, const struct wd_state *s, wd_time now, struct strbuf *b)
{
    sb_init(b);
    wd_notice_compose(m, s, &ctx, now, b);
    assert_false(sb_failed(b));
    return b->data;
}

static struct wd_state outage(void)
{
    struct wd_state s;
    wd_state_init(&s, 1796000000);
    s.phase = WD_PHASE_SILENT;
    s.last_beat = 1796032772;
    s.outage_since = 1796032772;
    s.outage_seen = 1796033372;
    return s;
}

static void alert_mail(void **state)
{
    (void)state;
    struct wd_state s = outage();
    struct strbuf b;
    char *m = compose(WD_MAIL_ALERT, &s, 1796033372 + 120, &b);
    assert_non_null(strstr(m, "From: Monitoring <monitoring@mg.example.eu>\r\n"));
    assert_non_null(strstr(m, "To: ops@example.eu, boss@example.eu\r\n"));
    assert_non_null(strstr(
        m, "Subject: [WATCHER] monitoring on Server F silent since 2026-11-30 09:59:32 UTC\r\n"));
    assert_non_null(strstr(m, "Date: Mon, 30 Nov 2026 10:11:32 +0000\r\n"));
    assert_non_null(strstr(m, "Importance: high\r\n"));
    assert_non_null(strstr(m, "\r\n\r\nNo heartbeat from the monitoring on Server F (cluster "
                              "ecotrans-prod) since 2026-11-30 09:59:32 UTC (12 min ago)"));
    assert_non_null(strstr(m, "What to check first"));
    assert_non_null(strstr(m, "docker compose ps"));
    /* Every line ends in CRLF; no bare LF. */
    for (char *p = strchr(m, '\n'); p; p = strchr(p + 1, '\n'))
        assert_true(p > m && p[-1] == '\r');
    sb_free(&b);
}

static void never_a_heartbeat(void **state)
{
    (void)state;
    struct wd_state s = outage();
    s.last_beat = 0;
    s.outage_since = 1796000000;
    struct strbuf b;
    char *m = compose(WD_MAIL_ALERT, &s, 1796000600, &b);
    assert_non_null(strstr(m, "never received one"));
    sb_free(&b);
}

static void reminder_and_ids(void **state)
{
    (void)state;
    struct wd_state s = outage();
    struct strbuf a, a2, r;
    compose(WD_MAIL_ALERT, &s, 1796033372, &a);
    compose(WD_MAIL_ALERT, &s, 1796033999, &a2); /* a retry later */
    const char *id1 = strstr(a.data, "Message-ID:"), *id2 = strstr(a2.data, "Message-ID:");
    assert_non_null(id1);
    assert_memory_equal(id1, id2, (size_t)(strchr(id1, '\n') - id1));
    s.alert_delivered = true;
    char *m = compose(WD_MAIL_REMINDER, &s, 1796033372 + 10800, &r);
    assert_non_null(strstr(m, "Subject: [WATCHER] STILL DOWN: monitoring on Server F silent"));
    assert_non_null(strstr(m, "(3 h 10 min ago)"));
    const char *id3 = strstr(m, "Message-ID:");
    assert_true(strncmp(id1, id3, (size_t)(strchr(id1, '\n') - id1)) != 0);
    sb_free(&a);
    sb_free(&a2);
    sb_free(&r);
}

static void restored_mail(void **state)
{
    (void)state;
    struct wd_state s = outage();
    s.phase = WD_PHASE_OK;
    s.outage_end = 1796032772 + 3600 + 300;
    s.alert_delivered = true;
    s.pending = WD_MAIL_RESTORED;
    struct strbuf b;
    char *m = compose(WD_MAIL_RESTORED, &s, s.outage_end + 300, &b);
    assert_non_null(strstr(m, "Subject: [WATCHER] monitoring on Server F restored\r\n"));
    assert_non_null(strstr(m, "(1 h 5 min)"));
    assert_null(strstr(m, "Importance: high"));
    assert_null(strstr(m, "could not be delivered"));
    sb_free(&b);
    s.alert_delivered = false;
    m = compose(WD_MAIL_RESTORED, &s, s.outage_end + 300, &b);
    assert_non_null(strstr(m, "could not be delivered"));
    sb_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(alert_mail),
        cmocka_unit_test(never_a_heartbeat),
        cmocka_unit_test(reminder_and_ids),
        cmocka_unit_test(restored_mail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
