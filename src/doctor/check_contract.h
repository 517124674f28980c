/* The schema contract (sql/contract.yaml) proven on the live database:
 * every statement the stack runs (stmts.h) is EXPLAINed as its role, and
 * the data assumptions are checked (see check_contract.c). Called by the
 * supabase group with the roles' open connections. */
#ifndef DOCTOR_CHECK_CONTRACT_H
#define DOCTOR_CHECK_CONTRACT_H

#include <libpq-fe.h>

#include "contract.h"
#include "doctor.h"

/* Loads --contract; on error reports supabase.contract and returns -1. */
int doc_contract_load(struct doctor *d, struct contract *c);
/* Dashboards, report figures and "one row per vehicle", as the Grafana role. */
void doc_check_contract_grafana(struct doctor *d, const struct contract *c, PGconn *conn,
                                const char *role);
/* The exporter's collection query, as the exporter's role. */
void doc_check_contract_exporter(struct doctor *d, const struct contract *c, PGconn *conn,
                                 const char *role);

#endif
