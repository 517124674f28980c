#include "selfmetrics.h"

static const char *const reject_names[] = {"unauthorized", "bad_request"};

const char *wd_reject_name(enum wd_reject r)
{
    return (unsigned)r < WD_REJECT_N ? reject_names[r] : "?";
}

static void mail_family(struct prom_buf *out, const char *name, const char *help,
                        const unsigned long *v)
{
    prom_family(out, name, "counter", help);
    for (int m = WD_MAIL_ALERT; m <= WD_MAIL_RESTORED; m++) {
        struct prom_label l = {"kind", wd_mail_name((enum wd_mail)m)};
        prom_sample(out, name, &l, 1, (double)v[m]);
    }
}

void wd_metrics_render(const struct wd_state *s, const struct wd_counters *c,
                       const struct wd_policy *p, const char *version, struct prom_buf *out)
{
    struct prom_label vl = {"version", version};
    prom_family(out, "watcher_build_info", "gauge", "Always 1; the version label tells which.");
    prom_sample(out, "watcher_build_info", &vl, 1, 1);
    prom_family(out, "watcher_last_heartbeat_timestamp_seconds", "gauge",
                "When the last accepted heartbeat arrived (Unix time; 0: never).");
    prom_sample(out, "watcher_last_heartbeat_timestamp_seconds", NULL, 0, (double)s->last_beat);
    prom_family(out, "watcher_state", "gauge",
                "1 for the current phase: ok, silent (outage) or recovering.");
    for (int ph = WD_PHASE_OK; ph <= WD_PHASE_RECOVERING; ph++) {
        struct prom_label l = {"state", wd_phase_name((enum wd_phase)ph)};
        prom_sample(out, "watcher_state", &l, 1, s->phase == (enum wd_phase)ph);
    }
    prom_family(out, "watcher_grace_seconds", "gauge",
                "Silence longer than this is an outage (WATCHER_GRACE).");
    prom_sample(out, "watcher_grace_seconds", NULL, 0, (double)p->grace_s);
    prom_family(out, "watcher_heartbeats_total", "counter", "Heartbeats accepted.");
    prom_sample(out, "watcher_heartbeats_total", NULL, 0, (double)c->heartbeats);
    prom_family(out, "watcher_webhook_rejected_total", "counter",
                "Webhook requests refused, by reason; none counts as a heartbeat.");
    for (int r = 0; r < WD_REJECT_N; r++) {
        struct prom_label l = {"reason", wd_reject_name((enum wd_reject)r)};
        prom_sample(out, "watcher_webhook_rejected_total", &l, 1, (double)c->rejected[r]);
    }
    mail_family(out, "watcher_mails_sent_total", "Mails delivered to the SMTP server, by kind.",
                c->sent);
    mail_family(out, "watcher_mails_failed_total",
                "Failed delivery attempts, by kind (each is retried until delivered).", c->failed);
    prom_family(out, "watcher_mail_pending", "gauge",
                "1 while a mail is due and not yet delivered.");
    prom_sample(out, "watcher_mail_pending", NULL, 0, s->pending != WD_MAIL_NONE);
}
