#include "business.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgconn.h"

/* One round trip, read-only. GPS coverage follows the dashboards'
 * definition: a vehicle counts as reporting when its position was updated
 * in the last 10 minutes. Failures are counted by updated_at, the moment a
 * job moved to 'failed'. */
const char BUSINESS_SQL[] =
    "WITH r AS (SELECT to_timestamp($1::double precision) AS t)\n"
    "SELECT\n"
    " (SELECT count(*) FROM incidents, r\n"
    "   WHERE created_at > r.t - interval '24 hours' AND created_at <= r.t),\n"
    " (SELECT count(*) FROM incidents, r\n"
    "   WHERE created_at > r.t - interval '48 hours' AND created_at <= r.t - interval '24 "
    "hours'),\n"
    " (SELECT count(*) FROM incidents, r WHERE severity = 'critical'\n"
    "   AND created_at > r.t - interval '24 hours' AND created_at <= r.t),\n"
    " (SELECT count(*) FROM incidents, r WHERE severity = 'major'\n"
    "   AND created_at > r.t - interval '24 hours' AND created_at <= r.t),\n"
    " (SELECT count(*) FROM incidents, r WHERE severity = 'minor'\n"
    "   AND created_at > r.t - interval '24 hours' AND created_at <= r.t),\n"
    " (SELECT count(*) FROM fleet_positions),\n"
    " (SELECT count(*) FROM fleet_positions, r WHERE updated_at > r.t - interval '10 minutes'),\n"
    " (SELECT count(*) FROM pending_transcriptions, r WHERE status = 'failed'\n"
    "   AND updated_at > r.t - interval '24 hours' AND updated_at <= r.t),\n"
    " (SELECT count(*) FROM pending_transcriptions WHERE status = 'failed'),\n"
    " (SELECT count(*) FROM pending_pdf_processing, r WHERE status = 'failed'\n"
    "   AND updated_at > r.t - interval '24 hours' AND updated_at <= r.t),\n"
    " (SELECT count(*) FROM pending_pdf_processing WHERE status = 'failed')";

static void copy_pq_error(const char *what, const char *msg, char *err, size_t errsz)
{
    char line[512];
    pg_error_line(msg, PG_ERR_KEEP_WHERE, line, sizeof(line));
    snprintf(err, errsz, "%s: %s", what, line);
}

static int to_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *out = v;
    return 0;
}

int dr_business_fetch(const char *dsn, double t, struct business *out, char *err, size_t errsz)
{
    memset(out, 0, sizeof(*out));
    /* The shared defaults (sslmode=require, keepalives, a bounded
     * connect_timeout) that the DSN may override. */
    const struct pg_defaults d = {.application_name = "daily-report", .connect_timeout_s = 10};
    struct pg_params p;
    char why[512];
    if (pg_params_build(&p, dsn, "REPORT_DB_DSN", &d, (env_get_fn)getenv, why, sizeof(why)) != 0) {
        snprintf(err, errsz, "Supabase: %s", why);
        return -1;
    }
    PGconn *conn = pg_connect(&p, why, sizeof(why));
    if (!conn) {
        snprintf(err, errsz, "Supabase: cannot connect: %s", why);
        return -1;
    }
    char tbuf[64];
    snprintf(tbuf, sizeof(tbuf), "%.3f", t);
    const char *params[] = {tbuf};
    PGresult *res = PQexecParams(conn, BUSINESS_SQL, 1, NULL, params, NULL, NULL, 0);
    int rc = -1;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        copy_pq_error("Supabase: query failed", PQresultErrorMessage(res), err, errsz);
        goto done;
    }
    if (PQntuples(res) != 1 || PQnfields(res) != 11) {
        snprintf(err, errsz, "Supabase: unexpected result shape (%d rows, %d columns)",
                 PQntuples(res), PQnfields(res));
        goto done;
    }
    long *fields[] = {&out->incidents_24h,
                      &out->incidents_prev_24h,
                      &out->incidents_24h_critical,
                      &out->incidents_24h_major,
                      &out->incidents_24h_minor,
                      &out->fleet_total,
                      &out->fleet_reporting,
                      &out->transcriptions_failed_24h,
                      &out->transcriptions_failed_total,
                      &out->pdf_failed_24h,
                      &out->pdf_failed_total};
    for (int i = 0; i < 11; i++) {
        if (PQgetisnull(res, 0, i) || to_long(PQgetvalue(res, 0, i), fields[i]) != 0) {
            snprintf(err, errsz, "Supabase: column %d is not a count", i + 1);
            goto done;
        }
    }
    rc = 0;
done:
    PQclear(res);
    PQfinish(conn);
    return rc;
}
