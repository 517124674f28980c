#include "machine.h"

#include <stdio.h>
#include <string.h>

static const char *const phase_names[] = {"ok", "silent", "recovering"};
static const char *const mail_names[] = {"none", "alert", "reminder", "restored"};

const char *wd_phase_name(enum wd_phase p)
{
    return (unsigned)p < 3 ? phase_names[p] : "?";
}

const char *wd_mail_name(enum wd_mail m)
{
    return (unsigned)m < 4 ? mail_names[m] : "?";
}

int wd_phase_parse(const char *s, enum wd_phase *out)
{
    for (unsigned i = 0; i < 3; i++)
        if (strcmp(s, phase_names[i]) == 0) {
            *out = (enum wd_phase)i;
            return 0;
        }
    return -1;
}

int wd_mail_parse(const char *s, enum wd_mail *out)
{
    for (unsigned i = 0; i < 4; i++)
        if (strcmp(s, mail_names[i]) == 0) {
            *out = (enum wd_mail)i;
            return 0;
        }
    return -1;
}

int wd_policy_check(const struct wd_policy *p, char *err, size_t errsz)
{
    if (p->grace_s <= 0 || p->remind_s <= 0 || p->steady_s <= 0) {
        snprintf(err, errsz, "grace, remind and steady periods must be positive");
        return -1;
    }
    /* A reminder sooner than the grace would arrive before a relapse can
     * even be told apart from the outage it continues. */
    if (p->remind_s < p->grace_s) {
        snprintf(err, errsz, "the remind period must not be shorter than the grace period");
        return -1;
    }
    return 0;
}

void wd_state_init(struct wd_state *s, wd_time now)
{
    memset(s, 0, sizeof(*s));
    s->phase = WD_PHASE_OK;
    s->watch_since = now;
}

void wd_start(struct wd_state *s, wd_time now)
{
    s->watch_since = now;
}

int64_t wd_silence(const struct wd_state *s, wd_time now)
{
    wd_time ref = s->last_beat > s->watch_since ? s->last_beat : s->watch_since;
    return now > ref ? now - ref : 0;
}

enum wd_change wd_beat(struct wd_state *s, const struct wd_policy *p, wd_time now)
{
    /* The receiving time counts, never a time the body claims: a sender
     * with a wrong clock cannot postpone the alert. */
    s->last_beat = now;
    if (s->phase == WD_PHASE_SILENT) {
        s->phase = WD_PHASE_RECOVERING;
        s->recovering_since = now;
        s->outage_end = now;
        return WD_CHANGE_RECOVERING;
    }
    return wd_tick(s, p, now);
}

static enum wd_change enter_outage(struct wd_state *s, wd_time now)
{
    s->phase = WD_PHASE_SILENT;
    s->outage_since = s->last_beat ? s->last_beat : s->watch_since;
    s->outage_seen = now;
    s->recovering_since = 0;
    s->outage_end = 0;
    s->alert_delivered = false;
    s->reminders = 0;
    /* A new outage supersedes an undelivered "restored" of the last one:
     * the news now is the silence. */
    s->pending = WD_MAIL_ALERT;
    return WD_CHANGE_OUTAGE;
}

enum wd_change wd_tick(struct wd_state *s, const struct wd_policy *p, wd_time now)
{
    bool silent = wd_silence(s, now) >= p->grace_s;
    switch (s->phase) {
    case WD_PHASE_OK:
        return silent ? enter_outage(s, now) : WD_CHANGE_NONE;
    case WD_PHASE_RECOVERING:
        if (silent) {
            s->phase = WD_PHASE_SILENT;
            s->recovering_since = 0;
            s->outage_end = 0;
            return WD_CHANGE_RELAPSE;
        }
        /* Steady means heartbeats still arriving a full steady period
         * after the first one, with no gap of a grace in between: time
         * alone since that first one proves nothing. */
        if (s->last_beat - s->recovering_since >= p->steady_s) {
            s->phase = WD_PHASE_OK;
            /* Also when the alert never went out (SMTP down all along):
             * the restored mail then tells of the whole outage. */
            s->pending = WD_MAIL_RESTORED;
            return WD_CHANGE_RESTORED;
        }
        return WD_CHANGE_NONE;
    case WD_PHASE_SILENT:
        /* Reminders count from the last delivered mail, and only once the
         * alert itself went out (an undelivered alert is retried instead). */
        if (s->alert_delivered && s->pending == WD_MAIL_NONE && now - s->last_mail >= p->remind_s) {
            s->pending = WD_MAIL_REMINDER;
            return WD_CHANGE_REMINDER;
        }
        return WD_CHANGE_NONE;
    }
    return WD_CHANGE_NONE;
}

void wd_mail_delivered(struct wd_state *s, enum wd_mail m, wd_time now)
{
    if (m == WD_MAIL_NONE || m != s->pending)
        return;
    s->pending = WD_MAIL_NONE;
    switch (m) {
    case WD_MAIL_ALERT:
        s->alert_delivered = true;
        s->last_mail = now;
        break;
    case WD_MAIL_REMINDER:
        s->reminders++;
        s->last_mail = now;
        break;
    case WD_MAIL_RESTORED:
        s->outage_since = s->outage_seen = s->outage_end = s->recovering_since = 0;
        s->alert_delivered = false;
        s->reminders = 0;
        break;
    case WD_MAIL_NONE:
        break;
    }
}

wd_time wd_next_deadline(const struct wd_state *s, const struct wd_policy *p)
{
    wd_time ref = s->last_beat > s->watch_since ? s->last_beat : s->watch_since;
    switch (s->phase) {
    case WD_PHASE_OK:
        return ref + p->grace_s;
    case WD_PHASE_RECOVERING: /* the restore comes with a heartbeat */
        return ref + p->grace_s;
    case WD_PHASE_SILENT:
        if (s->alert_delivered && s->pending == WD_MAIL_NONE)
            return s->last_mail + p->remind_s;
        return 0;
    }
    return 0;
}
