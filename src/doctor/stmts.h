/* Every SQL statement the stack will run against Supabase, gathered in one
 * list for the doctor to EXPLAIN as the role that runs it: each dashboard
 * SQL target (Grafana's macros expanded, sqlexpand.h), each business
 * figure of the daily report (bizsql.h) and the queue exporter's
 * collection query (its built-in queues with the contract's tables,
 * columns and status values). Built from files only; no database. */
#ifndef DOCTOR_STMTS_H
#define DOCTOR_STMTS_H

#include <stddef.h>

#include "contract.h"

enum stmt_runner { STMT_GRAFANA, STMT_EXPORTER };

struct stmt {
    char *source; /* "dashboard", "report", "exporter" */
    char *label;  /* "business-kpis / Incidents per day (A)", "figure incidents_24h" */
    char *sql;    /* NULL when it could not be built (error says why) */
    char *error;
    char *unavailable; /* the contract leaves it out on purpose: a note, not a failure */
    char *stale;       /* the dashboard file's SQL is not what the contract gives */
    enum stmt_runner runner;
    size_t nparams;
    char **params;
};

struct stmt_list {
    struct stmt *items;
    size_t n, cap;
};

/* Dashboard targets of every *.json in dir, expanded for [to-6h, to]. With
 * templates_path (sql/dashboard-sql.json) each target's SQL is what the
 * templates give for contract c (dashgen.h), and a file whose rawSql
 * differs is marked stale. A directory or file that cannot be read becomes
 * one entry with error set. */
void doc_stmts_dashboards(struct stmt_list *l, const char *dir, const char *templates_path,
                          const struct contract *c, long to_s);
/* The report's figures (at time t) and the exporter's query. */
void doc_stmts_report(struct stmt_list *l, const struct contract *c, long t);
void doc_stmts_exporter(struct stmt_list *l, const struct contract *c);
void doc_stmts_free(struct stmt_list *l);

#endif
