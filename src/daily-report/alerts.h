/* Active alerts from the Alertmanager API v2 (GET /api/v2/alerts), for the
 * report's "active alerts" section: fetched through src/common/httpclient,
 * parsed strictly (a malformed answer makes the section "unavailable",
 * never an empty list), silenced and inhibited alerts left out, sorted by
 * severity then start time. */
#ifndef DAILY_REPORT_ALERTS_H
#define DAILY_REPORT_ALERTS_H

#include <stddef.h>
#include <time.h>

struct am_alert {
    char *name;     /* labels.alertname */
    char *severity; /* labels.severity, "" when unset */
    char *server;   /* labels.server, else labels.instance, else "" */
    char *summary;  /* annotations.summary, else annotations.description */
    time_t since;   /* startsAt */
};

struct am_alerts {
    struct am_alert *items;
    size_t n;
    int watchdog; /* the always-firing Watchdog alert was seen */
};

/* Parses the JSON array the API returns, keeping alerts whose
 * status.state is "active", sorted by severity (critical, warning, info,
 * other) and then oldest first. Alerts with severity "none" (the Watchdog,
 * see prometheus/rules/meta.yml) are not problems and are left out; the
 * Watchdog's presence is recorded instead, since its absence means the
 * Prometheus -> Alertmanager path is broken. */
int dr_am_parse_alerts(const char *json, size_t len, struct am_alerts *out, char *err,
                       size_t errsz);

/* Fetches base/api/v2/alerts?active=true&silenced=false&inhibited=false. */
int dr_am_fetch(const char *base_url, struct am_alerts *out, char *err, size_t errsz);

void dr_am_alerts_free(struct am_alerts *a);

#endif
