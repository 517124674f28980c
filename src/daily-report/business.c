#include "business.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cancel.h"
#include "pgconn.h"
#include "strbuf.h"

/* What the catalog says about each column the contract declares: the
 * table exists, the column exists, current_user may SELECT it. One round
 * trip; has_column_privilege is asked only of columns that exist. */
static const char CATALOG_SQL[] =
    "SELECT u.t, u.c, r IS NOT NULL, a.attname IS NOT NULL,"
    " CASE WHEN a.attname IS NOT NULL THEN has_column_privilege(r, a.attnum, 'SELECT')"
    " ELSE false END "
    "FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(t, c, i)"
    " LEFT JOIN LATERAL to_regclass(format('public.%I', u.t)) AS r ON true"
    " LEFT JOIN pg_attribute a ON a.attrelid = r AND a.attname = u.c AND a.attnum > 0"
    " AND NOT a.attisdropped ORDER BY u.i";

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

static int stop_requested(void *ctx)
{
    (void)ctx;
    return dr_cancel_requested();
}

/* Fills cw from the catalog: why each declared column cannot be read.
 * Returns 0, or -1 with err set when the catalog query itself fails. */
static int read_catalog(PGconn *conn, const struct contract *c, const struct pg_deadline *dl,
                        double timeout_s, dr_colwhy *cw, char *err, size_t errsz)
{
    memset(cw, 0, sizeof(*cw));
    struct strbuf ts, cs;
    sb_init(&ts);
    sb_init(&cs);
    sb_puts(&ts, "{");
    sb_puts(&cs, "{");
    int n = 0;
    for (int t = 0; t < CT_NTABLES; t++)
        for (int r = 0; r < CT_NROLES; r++)
            if (ct_col(c, (enum ct_table)t, (enum ct_role)r)) {
                sb_printf(&ts, "%s%s", n ? "," : "", c->t[t].name);
                sb_printf(&cs, "%s%s", n++ ? "," : "", c->t[t].column[r]);
            }
    sb_puts(&ts, "}");
    sb_puts(&cs, "}");
    const char *params[] = {sb_str(&ts), sb_str(&cs)};
    PGresult *res = NULL;
    char pgerr[512];
    int q = pg_exec_by(conn, CATALOG_SQL, 2, params, dl, &res, pgerr, sizeof(pgerr));
    sb_free(&ts);
    sb_free(&cs);
    if (q == PG_TIMED_OUT)
        snprintf(err, errsz, "Supabase: no answer to the query within %g s (reading the catalog)",
                 timeout_s);
    else if (q != PG_OK)
        snprintf(err, errsz, "Supabase: reading the catalog failed: %s", pgerr);
    else if (PQntuples(res) != n)
        snprintf(err, errsz, "Supabase: reading the catalog failed: %d rows for %d columns",
                 PQntuples(res), n);
    if (q != PG_OK || PQntuples(res) != n) {
        PQclear(res);
        return -1;
    }
    int row = 0;
    for (int t = 0; t < CT_NTABLES; t++)
        for (int r = 0; r < CT_NROLES; r++) {
            if (!ct_col(c, (enum ct_table)t, (enum ct_role)r))
                continue;
            const char *tn = c->t[t].name, *cn = c->t[t].column[r];
            char *why = (*cw)[t][r];
            if (PQgetvalue(res, row, 2)[0] != 't')
                snprintf(why, DR_WHY_MAX, "table %s does not exist", tn);
            else if (PQgetvalue(res, row, 3)[0] != 't')
                snprintf(why, DR_WHY_MAX, "%s.%s does not exist", tn, cn);
            else if (PQgetvalue(res, row, 4)[0] != 't')
                snprintf(why, DR_WHY_MAX, "%s.%s may not be read by this role (permission denied)",
                         tn, cn);
            row++;
        }
    PQclear(res);
    return 0;
}

/* The figures from the one row; NULL is a figure that was left out. */
static int read_figures(PGresult *res, struct business *out, char *err, size_t errsz)
{
    if (PQntuples(res) != 1 || PQnfields(res) != DR_NFIGS) {
        snprintf(err, errsz, "Supabase: unexpected result shape (%d rows, %d columns)",
                 PQntuples(res), PQnfields(res));
        return -1;
    }
    long *fields[DR_NFIGS] = {&out->incidents_24h,
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
    for (int i = 0; i < DR_NFIGS; i++) {
        if (out->why[i][0])
            continue;
        if (PQgetisnull(res, 0, i) || to_long(PQgetvalue(res, 0, i), fields[i]) != 0) {
            snprintf(err, errsz, "Supabase: column %d is not a count", i + 1);
            return -1;
        }
    }
    return 0;
}

int dr_business_fetch(const char *dsn, const struct contract *c, double t, double timeout_s,
                      struct business *out, char *err, size_t errsz)
{
    memset(out, 0, sizeof(*out));
    const struct pg_deadline dl = {.at = pg_mono_now() + timeout_s, .stop = stop_requested};
    /* The shared defaults (sslmode=require, keepalives, a bounded
     * connect_timeout) that the DSN may override. */
    const struct pg_defaults d = {.application_name = "daily-report",
                                  .connect_timeout_s = timeout_s};
    struct pg_params p;
    char why[512];
    if (pg_params_build(&p, dsn, "REPORT_DB_DSN", &d, (env_get_fn)getenv, why, sizeof(why)) != 0) {
        snprintf(err, errsz, "Supabase: %s", why);
        return -1;
    }
    int how = PG_FAILED;
    PGconn *conn = pg_connect_by(&p, &dl, &how, why, sizeof(why));
    if (!conn) {
        if (how == PG_TIMED_OUT)
            snprintf(err, errsz, "Supabase: cannot connect within %g s: %s", timeout_s, why);
        else
            snprintf(err, errsz, "Supabase: cannot connect: %s", why);
        return -1;
    }
    dr_colwhy cw; /* 10 KB: one run at a time, never shared */
    int rc = -1;
    PGresult *res = NULL;
    struct strbuf sql;
    sb_init(&sql);
    if (read_catalog(conn, c, &dl, timeout_s, &cw, err, errsz) != 0)
        goto done;
    dr_business_sql(c, &cw, &sql, out->why);
    char tbuf[64];
    snprintf(tbuf, sizeof(tbuf), "%.3f", t);
    const char *params[] = {tbuf};
    int q = pg_exec_by(conn, sb_str(&sql), 1, params, &dl, &res, why, sizeof(why));
    if (q == PG_TIMED_OUT) {
        snprintf(err, errsz, "Supabase: no answer to the query within %g s", timeout_s);
        goto done;
    }
    if (q != PG_OK) {
        snprintf(err, errsz, "Supabase: query failed: %s", why);
        goto done;
    }
    rc = read_figures(res, out, err, errsz);
done:
    sb_free(&sql);
    PQclear(res);
    PQfinish(conn);
    return rc;
}
