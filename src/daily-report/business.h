/* Business figures from Supabase (PostgreSQL), read with the read-only
 * role. Every window is relative to the report's reference time, passed as
 * a parameter, so the figures match the rest of the report exactly. */
#ifndef DAILY_REPORT_BUSINESS_H
#define DAILY_REPORT_BUSINESS_H

#include <stddef.h>

#include "bizsql.h"
#include "contract.h"

struct business {
    long incidents_24h;      /* created in (t-24h, t] */
    long incidents_prev_24h; /* created in (t-48h, t-24h] */
    long incidents_24h_critical;
    long incidents_24h_major;
    long incidents_24h_minor;
    long fleet_total;     /* rows in fleet_positions */
    long fleet_reporting; /* updated_at within the 10 minutes before t */
    long transcriptions_failed_24h;
    long transcriptions_failed_total;
    long pdf_failed_24h;
    long pdf_failed_total;
    /* Per figure (enum dr_fig): "" when the figure above is a count, else
     * why it is not ("unavailable: incidents.severity does not exist"). */
    char why[DR_NFIGS][DR_WHY_MAX];
};

/* Connects with dsn (libpq conninfo or URI), asks the catalog which of
 * the contract's columns exist and may be read, then runs the business
 * statement (bizsql.h) at time t: a figure whose column is missing is NULL
 * and its reason is in out->why. Connecting and both queries together end
 * within timeout_s seconds, or as soon as a stop is requested (cancel.h):
 * a database or proxy that stops answering costs the business section,
 * never the run. (No server-side statement_timeout: poolers such as
 * PgBouncer refuse an "options" startup parameter; closing the connection
 * ends the query server-side.) Returns 0 (figures possibly partly
 * unavailable), or -1 with err set (never containing the password). */
int dr_business_fetch(const char *dsn, const struct contract *c, double t, double timeout_s,
                      struct business *out, char *err, size_t errsz);

#endif
