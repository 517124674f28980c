/* One report run: collect every section (collect.h), render the HTML and
 * text parts and the charts, then deliver them (delivery.h) or, for
 * --dry-run, write the HTML to a file. The outcome feeds the daemon's own
 * metrics and the exit status of --once. */
#ifndef DAILY_REPORT_RUN_H
#define DAILY_REPORT_RUN_H

#include <time.h>

#include "delivery.h"
#include "report.h"
#include "settings.h"

/* Exit statuses of --once and --dry-run (documented in docs/daily-report.md). */
enum run_status {
    RUN_OK = 0,          /* delivered (or written), every section available */
    RUN_NOT_SENT = 1,    /* not delivered after every retry (or file not written) */
    RUN_DEGRADED = 2,    /* delivered, but at least one section was unavailable */
    RUN_CONFIG_ERROR = 3 /* bad usage or configuration: nothing was attempted */
};

struct run_outcome {
    time_t at;       /* reference time of the report */
    int delivered;   /* accepted by the SMTP server, or file written */
    int attempts;    /* SMTP attempts made */
    int unavailable; /* sections unavailable */
    int section_unavailable[SEC_COUNT];
    double duration; /* seconds */
};

/* The longest a run can take when every call keeps its deadline: the
 * Prometheus and Alertmanager requests (30 s each, 12 of them), the
 * database (db_timeout_s), and every SMTP attempt (120 s) with its backoff,
 * plus a minute of slack. The daemon's /-/healthy fails beyond it. */
double dr_run_limit_s(const struct config *c);

/* Builds and sends the report to the configured recipients. */
enum run_status dr_run_send(const struct config *c, dr_sleep_fn sleep_fn, struct run_outcome *o);

/* Builds the report and writes the HTML (charts as data: URIs) to path. */
enum run_status dr_run_dry(const struct config *c, const char *path, struct run_outcome *o);

#endif
