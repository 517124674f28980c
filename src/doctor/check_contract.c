/* The schema contract against the live database (part of group supabase):
 * every statement of stmts.h is EXPLAINed (planned, never run: no row is
 * read) as the role that will run it, and each failure is named with the
 * dashboard panel or report figure, the missing column or privilege, and
 * the contract key to change. Also checks the data assumption "one row per
 * vehicle" that a column type cannot show. */
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_contract.h"
#include "pgconn.h"
#include "stmts.h"

/* The contract key that declares table.column, or NULL. */
static const char *declared_key(const struct contract *c, const char *table, const char *col,
                                char *buf, size_t bufsz)
{
    for (int t = 0; t < CT_NTABLES; t++)
        for (int r = 0; r < CT_NROLES; r++)
            if ((!table || !strcmp(c->t[t].name, table)) && !strcmp(c->t[t].column[r], col)) {
                snprintf(buf, bufsz, "tables.%s.columns.%s", ct_table_key((enum ct_table)t),
                         ct_role_key((enum ct_role)r));
                return buf;
            }
    return NULL;
}

static const char *table_key(const struct contract *c, const char *table)
{
    for (int t = 0; t < CT_NTABLES; t++)
        if (!strcmp(c->t[t].name, table))
            return ct_table_key((enum ct_table)t);
    return NULL;
}

/* The first contract table the statement names (word match) whose real
 * table lacks col: the table the error is about when a statement reads
 * several. -1 when none. */
static int lacking_table(PGconn *conn, const struct contract *c, const char *sql, const char *col)
{
    for (int t = 0; t < CT_NTABLES; t++) {
        const char *name = c->t[t].name;
        if (!strstr(sql, name))
            continue;
        const char *params[] = {name, col};
        PGresult *res =
            PQexecParams(conn,
                         "SELECT to_regclass(format('public.%I', $1::text)) IS NOT NULL AND NOT "
                         "EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = "
                         "to_regclass(format('public.%I', $1::text)) AND attname = $2 AND "
                         "attnum > 0 AND NOT attisdropped)",
                         2, NULL, params, NULL, NULL, 0);
        bool missing = PQresultStatus(res) == PGRES_TUPLES_OK && PQgetvalue(res, 0, 0)[0] == 't';
        PQclear(res);
        if (missing)
            return t;
    }
    return -1;
}

/* The role of table t whose declared column is col, or -1. */
static int role_declaring(const struct contract *c, int t, const char *col)
{
    for (int r = 0; r < CT_NROLES; r++)
        if (!strcmp(c->t[t].column[r], col))
            return r;
    return -1;
}

/* The role named like col (the reference schema's name), or -1. */
static int role_named(int t, const char *col)
{
    for (int r = 0; r < CT_NROLES; r++)
        if (ct_role_allowed((enum ct_table)t, (enum ct_role)r) &&
            !strcmp(ct_role_key((enum ct_role)r), col))
            return r;
    return -1;
}

void doc_contract_missing_column(const struct contract *c, const char *file, int t, const char *col,
                                 char *what, size_t whatsz, char *fix, size_t fixsz)
{
    if (t < 0) {
        snprintf(what, whatsz, "column %s does not exist", col);
        snprintf(fix, fixsz,
                 "the statement reads %s, which %s does not declare: declare it with "
                 "its role, or fix the statement",
                 col, file);
        return;
    }
    const char *tk = ct_table_key((enum ct_table)t);
    snprintf(what, whatsz, "column %s.%s does not exist", c->t[t].name, col);
    int r = role_declaring(c, t, col), rk = role_named(t, col);
    if (r >= 0)
        snprintf(fix, fixsz,
                 "set tables.%s.columns.%s in %s to the column's real name (or delete that line: "
                 "what needs it becomes unavailable), then re-run sql/roles.sh",
                 tk, ct_role_key((enum ct_role)r), file);
    else if (rk >= 0 && c->t[t].column[rk][0])
        snprintf(fix, fixsz,
                 "%s maps tables.%s.columns.%s to %s: the statement reads %s by name; make its "
                 "template (sql/dashboard-sql.json) read {{%s.%s}}",
                 file, tk, col, c->t[t].column[rk], col, tk, col);
    else if (rk >= 0)
        snprintf(fix, fixsz,
                 "%s declares no tables.%s.columns.%s: give the statement's template "
                 "(sql/dashboard-sql.json) a variant that does not need it, or declare the column",
                 file, tk, col);
    else
        snprintf(fix, fixsz,
                 "the statement reads %s.%s, which %s does not declare: fix the "
                 "statement",
                 c->t[t].name, col, file);
}

int doc_sql_error_name(const char *msg, const char *prefix, char *out, size_t outsz)
{
    const char *p = strstr(msg, prefix);
    if (!p)
        return -1;
    p += strlen(prefix);
    if (*p == '"')
        p++;
    size_t n = strcspn(p, "\" \n");
    snprintf(out, outsz, "%.*s", (int)n, p);
    return 0;
}

/* Columns of table that current_user may not SELECT and that the
 * statement names (word match). */
static char *denied_columns(PGconn *conn, const char *table, const char *sql)
{
    const char *params[] = {table, sql};
    PGresult *res = PQexecParams(
        conn,
        "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute "
        "WHERE attrelid = to_regclass(format('public.%I', $1::text)) AND attnum > 0 "
        "AND NOT attisdropped AND NOT has_column_privilege(attrelid, attnum, 'SELECT') "
        "AND $2::text ~* ('\\m' || attname || '\\M')",
        2, NULL, params, NULL, NULL, 0);
    char *out = NULL;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
        out = doc_xstrdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return out;
}

void doc_contract_denied(const struct contract *c, const char *file, const char *table,
                         const char *cols, char *what, size_t whatsz, char *fix, size_t fixsz)
{
    char col[128], key[160];
    snprintf(col, sizeof(col), "%.*s", cols ? (int)strcspn(cols, ",") : 0, cols ? cols : "");
    const char *tk = table_key(c, table);
    if (col[0] && declared_key(c, table, col, key, sizeof(key))) {
        snprintf(what, whatsz, "permission denied for %s.%s", table, cols);
        snprintf(fix, fixsz, "re-run sql/roles.sh: %s declares it (%s) but it is not granted", file,
                 key);
    } else if (col[0]) {
        snprintf(what, whatsz, "reads %s.%s, which the contract does not declare (not granted)",
                 table, cols);
        snprintf(fix, fixsz,
                 "declare %s.%s under tables.%s.columns in %s (with its role) if it is "
                 "needed, then re-run sql/roles.sh",
                 table, col, tk ? tk : table, file);
    } else {
        snprintf(what, whatsz, "permission denied for table %s", table);
        snprintf(fix, fixsz, "re-run sql/roles.sh (tables.%s.readers in %s)", tk ? tk : table,
                 file);
    }
}

/* The problem and its fix for a statement that failed to plan. */
static void diagnose(const struct contract *c, const char *file, PGconn *conn, const struct stmt *s,
                     const char *state, const char *msg, char *what, size_t whatsz, char *fix,
                     size_t fixsz)
{
    char name[128];
    if (state && !strcmp(state, "42703") &&
        doc_sql_error_name(msg, "column ", name, sizeof(name)) == 0) {
        /* "column x does not exist" or "column t.x does not exist" */
        const char *dot = strrchr(name, '.');
        const char *col = dot ? dot + 1 : name;
        doc_contract_missing_column(c, file, lacking_table(conn, c, s->sql, col), col, what, whatsz,
                                    fix, fixsz);
    } else if (state && !strcmp(state, "42501") &&
               doc_sql_error_name(msg, "permission denied for table ", name, sizeof(name)) == 0) {
        char *cols = denied_columns(conn, name, s->sql);
        doc_contract_denied(c, file, name, cols, what, whatsz, fix, fixsz);
        free(cols);
    } else if (state && !strcmp(state, "42P01") &&
               doc_sql_error_name(msg, "relation ", name, sizeof(name)) == 0) {
        const char *tk = table_key(c, name);
        snprintf(what, whatsz, "table %s does not exist", name);
        snprintf(fix, fixsz, "set tables.%s.table in %s to the table's real name",
                 tk ? tk : "<key>", file);
    } else {
        snprintf(what, whatsz, "%s", msg);
        snprintf(fix, fixsz, "fix the statement, or the contract %s", file);
    }
}

/* EXPLAINs every statement of one runner on conn; one failure per broken
 * statement, or one pass for all. */
static void explain_all(struct doctor *d, const struct contract *c, PGconn *conn,
                        const struct stmt_list *l, enum stmt_runner runner, const char *role)
{
    size_t ok = 0, failed = 0;
    PQclear(PQexec(conn, "SET statement_timeout = '10s'"));
    for (size_t i = 0; i < l->n; i++) {
        const struct stmt *s = &l->items[i];
        if (s->runner != runner)
            continue;
        char id[64], what[600], fix[600];
        snprintf(id, sizeof(id), "supabase.sql.%s", s->source);
        if (s->stale)
            doc_report_fail(d->rep, "supabase.dashboards",
                            "run build/doctor --render-dashboards --contract FILE: it rewrites the "
                            "SQL of the dashboards in --dashboards from the contract; then deploy",
                            "%s %s: %s %s", s->source, s->label, s->stale, d->opt->contract);
        if (s->unavailable) {
            doc_report_skip(d->rep, id, "%s %s: %s", s->source, s->label, s->unavailable);
            continue;
        }
        if (!s->sql) {
            doc_report_fail(d->rep, id, "edit the contract or the statement's source", "%s %s: %s",
                            s->source, s->label, s->error);
            failed++;
            continue;
        }
        char *sql = doc_xasprintf("EXPLAIN %s", s->sql);
        PGresult *res = PQexecParams(conn, sql, (int)s->nparams, NULL,
                                     (const char *const *)s->params, NULL, NULL, 0);
        free(sql);
        if (PQresultStatus(res) == PGRES_TUPLES_OK) {
            ok++;
        } else {
            char msg[512];
            pg_error_line(PQresultErrorMessage(res), PG_ERR_DROP_WHERE, msg, sizeof(msg));
            diagnose(c, d->opt->contract, conn, s, PQresultErrorField(res, PG_DIAG_SQLSTATE), msg,
                     what, sizeof(what), fix, sizeof(fix));
            doc_report_fail(d->rep, id, fix, "%s %s (as %s): %s", s->source, s->label, role, what);
            failed++;
        }
        PQclear(res);
    }
    if (!failed)
        doc_report_pass(d->rep,
                        runner == STMT_GRAFANA ? "supabase.sql.grafana" : "supabase.sql.exporter",
                        "%zu statement(s) the stack runs as %s plan on this database (EXPLAIN, "
                        "no row read)",
                        ok, role);
}

/* "One row per vehicle": proven by a unique index on the vehicle column,
 * else checked with an aggregate (index-only where an index exists) and
 * kept as a documented assumption with a warning. */
static void check_one_row(struct doctor *d, const struct contract *c, PGconn *conn)
{
    const struct ct_table_decl *f = &c->t[CT_FLEET];
    const char *id = "supabase.assume.one-row-per-vehicle";
    if (!f->one_row_per_vehicle) {
        doc_report_pass(d->rep, id, "not assumed: the stack counts distinct %s",
                        f->column[CT_VEHICLE_ID][0] ? f->column[CT_VEHICLE_ID] : "vehicles");
        return;
    }
    const char *vcol = f->column[CT_VEHICLE_ID];
    if (!vcol[0]) {
        doc_report_skip(d->rep, id, "the contract declares no fleet_positions.vehicle_id");
        return;
    }
    const char *p[] = {f->name, vcol};
    PGresult *res = PQexecParams(
        conn,
        "SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
        "AND a.attnum = i.indkey[0] WHERE i.indrelid = to_regclass(format('public.%I', $1::text)) "
        "AND i.indisunique AND i.indnkeyatts = 1 AND i.indpred IS NULL AND a.attname = $2)",
        2, NULL, p, NULL, NULL, 0);
    bool unique = PQresultStatus(res) == PGRES_TUPLES_OK && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (unique) {
        doc_report_pass(d->rep, id, "%s has one row per %s (a unique index guarantees it)", f->name,
                        vcol);
        return;
    }
    char *sql = doc_xasprintf("SELECT \"%s\"::text, count(*) FROM \"%s\" GROUP BY 1 "
                              "HAVING count(*) > 1 ORDER BY 2 DESC LIMIT 1",
                              vcol, f->name);
    res = PQexec(conn, sql);
    free(sql);
    char fix[300];
    snprintf(fix, sizeof(fix),
             "set tables.fleet_positions.assume.one_row_per_vehicle: false in %s (the stack then "
             "counts distinct vehicles)",
             d->opt->contract);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        char msg[512];
        pg_error_line(PQresultErrorMessage(res), PG_ERR_DROP_WHERE, msg, sizeof(msg));
        doc_report_fail(d->rep, id, fix, "cannot check one row per %s in %s: %s", vcol, f->name,
                        msg);
    } else if (PQntuples(res) > 0) {
        doc_report_fail(d->rep, id, fix,
                        "%s has several rows per vehicle (e.g. %s=%s has %s rows), but the "
                        "contract assumes one row per vehicle",
                        f->name, vcol, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
    } else {
        doc_report_pass(d->rep, id,
                        "WARNING: one row per %s holds in %s today, but no unique index enforces "
                        "it: a documented assumption (sql/contract.yaml)",
                        vcol, f->name);
    }
    PQclear(res);
}

int doc_contract_load(struct doctor *d, struct contract *c)
{
    char err[512];
    if (ct_load_file(d->opt->contract, c, err, sizeof(err)) != 0) {
        doc_report_fail(d->rep, "supabase.contract",
                        "fix the file (see sql/contract.yaml's header)", "%s", err);
        return -1;
    }
    return 0;
}

void doc_check_contract_grafana(struct doctor *d, const struct contract *c, PGconn *conn,
                                const char *role)
{
    struct stmt_list l = {0};
    long now = (long)time(NULL);
    doc_stmts_dashboards(&l, d->opt->dashboards, d->opt->dashboard_sql, c, now);
    doc_stmts_report(&l, c, now);
    explain_all(d, c, conn, &l, STMT_GRAFANA, role);
    check_one_row(d, c, conn);
    doc_stmts_free(&l);
}

void doc_check_contract_exporter(struct doctor *d, const struct contract *c, PGconn *conn,
                                 const char *role)
{
    struct stmt_list l = {0};
    doc_stmts_exporter(&l, c);
    explain_all(d, c, conn, &l, STMT_EXPORTER, role);
    doc_stmts_free(&l);
}
