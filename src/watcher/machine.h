/* The watcher's decisions, free of I/O and clocks: given the heartbeats it
 * received and the current time, which phase Server F's monitoring is in
 * and which mail is due. The daemon feeds it events (a start, a heartbeat,
 * a tick, a mail delivered) with the time they happened; unit tests feed it
 * any timeline they like.
 *
 * Phases, in the semantics of healthchecks.io / Dead Man's Switch (a
 * period plus a grace; alert once, remind, recover):
 *   OK          heartbeats arrive; silence shorter than the grace.
 *   SILENT      no heartbeat for longer than the grace: the alert mail is
 *               due once, then a reminder every remind period.
 *   RECOVERING  heartbeats came back after an outage, but not yet over a
 *               steady period (a heartbeat steady_s after the first one). Silence again for a grace
 * goes back to SILENT without a new alert (same outage); heartbeats for the whole steady period end
 * the outage with one "restored" mail. This is the hysteresis: an F that flaps faster than grace +
 * steady stays in one outage (one alert, reminders, one restored mail at the end), and a slower
 * flapper costs at most two mails per grace + steady.
 *
 * Silence is measured from the later of the last heartbeat and the
 * watcher's own start: the watcher's downtime is not F's silence, so any
 * start (a first start in particular) waits one full grace period before
 * it can alert. The phase, the last heartbeat and which mails went out are
 * what the state file keeps, so a restart mid-outage sends neither a
 * second alert nor a "restored". */
#ifndef WD_MACHINE_H
#define WD_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Seconds since the Unix epoch. */
typedef int64_t wd_time;

struct wd_policy {
    int64_t grace_s;  /* silence longer than this is an outage */
    int64_t remind_s; /* a reminder after this long without a mail during an outage */
    int64_t steady_s; /* heartbeats this long after an outage before "restored" */
};

enum wd_phase { WD_PHASE_OK, WD_PHASE_SILENT, WD_PHASE_RECOVERING };

enum wd_mail { WD_MAIL_NONE, WD_MAIL_ALERT, WD_MAIL_REMINDER, WD_MAIL_RESTORED };

struct wd_state {
    enum wd_phase phase;
    wd_time last_beat;    /* 0: none ever received */
    wd_time watch_since;  /* this process' start: silence is counted from here at least */
    wd_time outage_since; /* last heartbeat before the outage (the watcher's start if none) */
    wd_time outage_seen;  /* when the outage was declared */
    wd_time recovering_since;
    wd_time outage_end;   /* first heartbeat of the recovery that ended it (restored mail) */
    wd_time last_mail;    /* last alert or reminder delivered */
    bool alert_delivered; /* the current (or just ended) outage's alert went out */
    enum wd_mail pending; /* due and not yet delivered (retried until it is) */
    unsigned reminders;   /* reminders delivered in this outage */
};

/* What an event changed, for the daemon's one log line per event. */
enum wd_change {
    WD_CHANGE_NONE,
    WD_CHANGE_OUTAGE,     /* OK -> SILENT: the alert mail is due */
    WD_CHANGE_RECOVERING, /* SILENT -> RECOVERING: heartbeats again */
    WD_CHANGE_RELAPSE,    /* RECOVERING -> SILENT: silent again, same outage */
    WD_CHANGE_RESTORED,   /* RECOVERING -> OK: the restored mail is due */
    WD_CHANGE_REMINDER,   /* a reminder is due */
};

const char *wd_phase_name(enum wd_phase p);
const char *wd_mail_name(enum wd_mail m);
/* Inverse of the two above (state file). Returns 0 or -1. */
int wd_phase_parse(const char *s, enum wd_phase *out);
int wd_mail_parse(const char *s, enum wd_mail *out);

/* Checks the policy: every period positive. Returns 0, or -1 with err. */
int wd_policy_check(const struct wd_policy *p, char *err, size_t errsz);

/* A first start: nothing known. */
void wd_state_init(struct wd_state *s, wd_time now);
/* Any start, with a state loaded from the file or just initialised. */
void wd_start(struct wd_state *s, wd_time now);

/* A valid heartbeat arrived at now. */
enum wd_change wd_beat(struct wd_state *s, const struct wd_policy *p, wd_time now);
/* Time passed: applies the transitions that are due at now. */
enum wd_change wd_tick(struct wd_state *s, const struct wd_policy *p, wd_time now);

/* The mail `m` (the pending one) was delivered at now. */
void wd_mail_delivered(struct wd_state *s, enum wd_mail m, wd_time now);

/* Seconds of silence at now (from the later of last beat and start). */
int64_t wd_silence(const struct wd_state *s, wd_time now);
/* When wd_tick can next change something (for the daemon's sleep), or 0
 * when only a heartbeat can. */
wd_time wd_next_deadline(const struct wd_state *s, const struct wd_policy *p);

#endif
