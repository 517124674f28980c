#include "notice.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "duration.h"

static void header_date(struct strbuf *out, wd_time now)
{
    char buf[64];
    time_t t = (time_t)now;
    struct tm tm;
    gmtime_r(&t, &tm);
    /* RFC 5322 wants English names whatever the locale: no %a/%b. */
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7],
             tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
             tm.tm_sec);
    sb_printf(out, "Date: %s\r\n", buf);
}

static void headers(struct strbuf *out, const struct wd_notice_ctx *c, const char *subject,
                    const char *id, wd_time now, int urgent)
{
    sb_printf(out, "From: %s\r\nTo: %s\r\nSubject: %s\r\n", c->from, c->to, subject);
    header_date(out, now);
    sb_printf(out, "Message-ID: <%s@%s>\r\n", id, c->hostname);
    if (urgent)
        sb_puts(out, "Importance: high\r\nX-Priority: 1\r\n");
    sb_puts(out, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                 "Content-Transfer-Encoding: 8bit\r\nAuto-Submitted: auto-generated\r\n\r\n");
}

static void silent_body(struct strbuf *out, const struct wd_state *s, const struct wd_notice_ctx *c,
                        wd_time now)
{
    char since[40], span[40], grace[40], remind[40];
    wd_utc_text(s->outage_since, since, sizeof(since));
    wd_duration_words(now - s->outage_since, span, sizeof(span));
    wd_duration_words(c->grace_s, grace, sizeof(grace));
    wd_duration_words(c->remind_s, remind, sizeof(remind));
    if (s->last_beat)
        sb_printf(out, "No heartbeat from the monitoring on %s (cluster %s) since %s (%s ago).\r\n",
                  c->watched, c->cluster, since, span);
    else
        sb_printf(out,
                  "No heartbeat from the monitoring on %s (cluster %s) since this watcher "
                  "started at %s (%s ago): it has never received one.\r\n",
                  c->watched, c->cluster, since, span);
    sb_printf(
        out,
        "\r\nWhile this lasts, no other alert of the fleet can reach you: Prometheus and\r\n"
        "Alertmanager run on %s. The watcher on %s mails when heartbeats are\r\n"
        "missing for %s, reminds every %s, and mails once they are back.\r\n"
        "\r\nWhat to check first:\r\n"
        "  1. Is %s up? ping it, ssh to it; the provider's status page and console.\r\n"
        "  2. On %s: docker compose ps (in /opt/monitoring) - are prometheus and\r\n"
        "     alertmanager running? docker compose logs --tail 100 alertmanager prometheus\r\n"
        "  3. Can %s reach this watcher? From %s: build/doctor --only watcher\r\n"
        "     (firewall on %s, its outgoing network, WATCHER_URL and WATCHER_TOKEN in .env).\r\n"
        "  4. Disk full on %s (df -h) stops Prometheus and everything after it.\r\n"
        "\r\nRunbook: docs/alerts.md#the-watcher-two-way-watch\r\n",
        c->watched, c->hostname, grace, remind, c->watched, c->watched, c->watched, c->watched,
        c->hostname, c->watched);
}

static void restored_body(struct strbuf *out, const struct wd_state *s,
                          const struct wd_notice_ctx *c)
{
    char since[40], until[40], span[40];
    wd_utc_text(s->outage_since, since, sizeof(since));
    wd_utc_text(s->outage_end, until, sizeof(until));
    wd_duration_words(s->outage_end - s->outage_since, span, sizeof(span));
    sb_printf(out,
              "Heartbeats from the monitoring on %s (cluster %s) are back and steady.\r\n"
              "\r\nSilent from %s to %s (%s).\r\n",
              c->watched, c->cluster, since, until, span);
    if (!s->alert_delivered)
        sb_puts(out, "The alert mail for this outage could not be delivered at the time.\r\n");
    sb_puts(out, "\r\nAlerts raised during the silence reach you now. Check the Stack Health\r\n"
                 "dashboard for gaps in the data and for alerts that fired meanwhile.\r\n");
}

void wd_notice_compose(enum wd_mail m, const struct wd_state *s, const struct wd_notice_ctx *c,
                       wd_time now, struct strbuf *out)
{
    char subject[300], id[120], since[40];
    wd_utc_text(s->outage_since, since, sizeof(since));
    switch (m) {
    case WD_MAIL_ALERT:
    case WD_MAIL_REMINDER:
        snprintf(subject, sizeof(subject), "[WATCHER] %smonitoring on %s silent since %s",
                 m == WD_MAIL_REMINDER ? "STILL DOWN: " : "", c->watched, since);
        snprintf(id, sizeof(id), "watcher.%s.%lld.%s.%u", c->cluster, (long long)s->outage_since,
                 wd_mail_name(m), s->reminders);
        headers(out, c, subject, id, now, 1);
        silent_body(out, s, c, now);
        break;
    case WD_MAIL_RESTORED:
        snprintf(subject, sizeof(subject), "[WATCHER] monitoring on %s restored", c->watched);
        snprintf(id, sizeof(id), "watcher.%s.%lld.restored", c->cluster,
                 (long long)s->outage_since);
        headers(out, c, subject, id, now, 0);
        restored_body(out, s, c);
        break;
    case WD_MAIL_NONE:
        break;
    }
    sb_printf(out, "\r\n-- \r\nwatcher on %s, watching %s (cluster %s)\r\n", c->hostname,
              c->watched, c->cluster);
}
