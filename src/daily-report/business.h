/* Business figures from Supabase (PostgreSQL), read with the read-only
 * role. Every window is relative to the report's reference time, passed as
 * a parameter, so the figures match the rest of the report exactly. */
#ifndef DAILY_REPORT_BUSINESS_H
#define DAILY_REPORT_BUSINESS_H

#include <stddef.h>

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
};

/* The one statement the report runs; $1 is the reference time in Unix
 * seconds. Exposed so tests and docs show exactly what is measured. */
extern const char BUSINESS_SQL[];

/* Connects with dsn (libpq conninfo or URI), runs BUSINESS_SQL at time t.
 * Returns 0, or -1 with err set (never containing the password). */
int dr_business_fetch(const char *dsn, double t, struct business *out, char *err, size_t errsz);

#endif
