/* The schema contract (sql/contract.yaml) proven on the live database:
 * every statement the stack runs (stmts.h) is EXPLAINed as its role, and
 * the data assumptions are checked (see check_contract.c). Called by the
 * supabase group with the roles' open connections. */
#ifndef DOCTOR_CHECK_CONTRACT_H
#define DOCTOR_CHECK_CONTRACT_H

#include <libpq-fe.h>

#include "contract.h"
#include "doctor.h"
#include "strbuf.h"

/* Loads --contract; on error reports supabase.contract and returns -1. */
int doc_contract_load(struct doctor *d, struct contract *c);
/* Dashboards, report figures and "one row per vehicle", as the Grafana role. */
void doc_check_contract_grafana(struct doctor *d, const struct contract *c, PGconn *conn,
                                const char *role);
/* The exporter's collection query, as the exporter's role. */
void doc_check_contract_exporter(struct doctor *d, const struct contract *c, PGconn *conn,
                                 const char *role);

/* The pure parts of the diagnosis of a statement that failed to plan
 * (what went wrong, and the one-line fix naming the contract key), given
 * the facts check_contract.c reads from the database. file is the
 * contract's path as given (--contract). */

/* The first quoted or bare name after prefix in a PostgreSQL message
 * ("column \"vin\" does not exist" after "column "): 0, or -1 when the
 * message does not contain prefix. */
int doc_sql_error_name(const char *msg, const char *prefix, char *out, size_t outsz);
/* "column col does not exist": t is the contract table whose real table
 * lacks col (enum ct_table), or -1 when none of the statement's does. */
void doc_contract_missing_column(const struct contract *c, const char *file, int t, const char *col,
                                 char *what, size_t whatsz, char *fix, size_t fixsz);
/* "permission denied for table": cols lists the statement's columns of
 * table the role may not SELECT ("a,b"), or NULL when none is known. */
void doc_contract_denied(const struct contract *c, const char *file, const char *table,
                         const char *cols, char *what, size_t whatsz, char *fix, size_t fixsz);

#endif
