/* The Supabase schema contract (sql/contract.yaml): the one declaration of
 * which columns of the five Supabase tables the stack reads, the role each
 * column plays (status, created_at, severity, ...), the values compared
 * with (status values, severities, directions), which database roles read
 * each table, and what the data is assumed to satisfy ("one row per
 * vehicle"). The daily report builds its business queries from it, the
 * doctor proves every statement against the live database with it, and
 * sql/roles.sh derives the column grants from it (via the doctor's
 * --print-contract). Parsing is pure (libyaml, no I/O but reading the
 * file) and reports malformed input as "FILE:LINE: key: problem". */
#ifndef COMMON_CONTRACT_H
#define COMMON_CONTRACT_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

enum ct_table { CT_TRANSCRIPTIONS, CT_PDF, CT_INCIDENTS, CT_FLEET, CT_WHATSAPP, CT_NTABLES };

/* The role a column plays. */
enum ct_role {
    CT_ID,
    CT_STATUS,
    CT_ATTEMPTS,
    CT_ERROR,
    CT_CREATED_AT,
    CT_UPDATED_AT,
    CT_VEHICLE_ID,
    CT_SEVERITY,
    CT_CATEGORY,
    CT_DIRECTION,
    CT_NROLES
};

/* A value the stack compares a column with. */
enum ct_value {
    CT_PENDING,
    CT_PROCESSING,
    CT_COMPLETED,
    CT_FAILED,
    CT_CRITICAL,
    CT_MAJOR,
    CT_MINOR,
    CT_INBOUND,
    CT_OUTBOUND,
    CT_NVALUES
};

enum ct_reader { CT_READER_GRAFANA = 1 << 0, CT_READER_EXPORTER = 1 << 1 };

#define CT_NAME_MAX 64

struct ct_table_decl {
    char name[CT_NAME_MAX];              /* the table in schema public */
    char column[CT_NROLES][CT_NAME_MAX]; /* "" = not declared */
    char value[CT_NVALUES][CT_NAME_MAX]; /* "" = not applicable */
    unsigned readers;                    /* enum ct_reader bits */
    bool one_row_per_vehicle;            /* fleet_positions only */
};

struct contract {
    struct ct_table_decl t[CT_NTABLES];
};

/* The reference schema's contract (sql/schema.sql); a unit test proves
 * sql/contract.yaml says the same. */
void ct_defaults(struct contract *c);
/* Parses the YAML text (name is used in messages). Returns 0, or -1 with
 * "NAME:LINE: tables.incidents.columns.severity: problem" in err. */
int ct_parse(const char *name, const char *text, size_t len, struct contract *c, char *err,
             size_t errsz);
int ct_load_file(const char *path, struct contract *c, char *err, size_t errsz);

/* The key of a table, role or value as written in the file. */
const char *ct_table_key(enum ct_table t);
const char *ct_role_key(enum ct_role r);
const char *ct_value_key(enum ct_value v);
/* Whether the role/value may be declared for that table. */
bool ct_role_allowed(enum ct_table t, enum ct_role r);
bool ct_value_allowed(enum ct_table t, enum ct_value v);

/* The declared column, or NULL when the contract does not declare it. */
const char *ct_col(const struct contract *c, enum ct_table t, enum ct_role r);
/* The declared value (letters, digits and _ . : - only, so it is safe
 * inside a SQL string literal), or NULL. */
const char *ct_val(const struct contract *c, enum ct_table t, enum ct_value v);

/* The contract as JSON, for shell and Python tests and sql/roles.sh:
 * {"tables":{"incidents":{"table":"incidents","readers":[...],
 *  "columns":{"created_at":"created_at",...},"values":{...},
 *  "assume":{"one_row_per_vehicle":true}},...}} */
void ct_to_json(const struct contract *c, struct strbuf *out);

#endif
