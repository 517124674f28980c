/* /metrics of the watcher: the series the rules in watcher.yml use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "selfmetrics.h"

static void series(void **state)
{
    (void)state;
    struct wd_state s;
    wd_state_init(&s, 100);
    s.phase = WD_PHASE_SILENT;
    s.last_beat = 1796032772;
    s.pending = WD_MAIL_ALERT;
    struct wd_counters c = {0};
    c.heartbeats = 12;
    c.rejected[WD_REJECT_UNAUTHORIZED] = 2;
    c.sent[WD_MAIL_RESTORED] = 1;
    c.failed[WD_MAIL_ALERT] = 3;
    struct wd_policy p = {600, 10800, 300};
    struct prom_buf b;
    prom_buf_init(&b);
    wd_metrics_render(&s, &c, &p, "1.2.3", &b);
    const char *t = sb_str(&b.sb);
    const char *want[] = {
        "watcher_build_info{version=\"1.2.3\"} 1\n",
        "watcher_last_heartbeat_timestamp_seconds 1796032772\n",
        "watcher_state{state=\"ok\"} 0\n",
        "watcher_state{state=\"silent\"} 1\n",
        "watcher_state{state=\"recovering\"} 0\n",
        "watcher_grace_seconds 600\n",
        "watcher_heartbeats_total 12\n",
        "watcher_webhook_rejected_total{reason=\"unauthorized\"} 2\n",
        "watcher_webhook_rejected_total{reason=\"bad_request\"} 0\n",
        "watcher_mails_sent_total{kind=\"restored\"} 1\n",
        "watcher_mails_failed_total{kind=\"alert\"} 3\n",
        "watcher_mail_pending 1\n",
        "# TYPE watcher_mails_sent_total counter\n",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!strstr(t, want[i]))
            fail_msg("missing: %s\nin:\n%s", want[i], t);
    prom_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(series),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
