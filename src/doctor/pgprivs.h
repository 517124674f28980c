/* What a Supabase role may do, as read from the privilege inspection
 * functions, and the verdict "exactly SELECT on what it needs". Pure: the
 * facts are gathered by check_supabase.c, judged here (unit-tested). */
#ifndef DOCTOR_PGPRIVS_H
#define DOCTOR_PGPRIVS_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct pg_needed {
    const char *table; /* in schema public */
    bool exists;
    bool can_select;
    bool rls_blocks; /* row level security on, and no policy lets the role read */
};

struct pg_relpriv {
    char *schema;
    char *name;
    char kind; /* pg_class.relkind */
    /* Privileges held, as a comma list ("SELECT,INSERT"). */
    char *privs;
};

struct pg_facts {
    char *role; /* current_user */
    bool superuser, createrole, createdb, replication, bypassrls;
    char **member_of;
    size_t nmember_of;
    struct pg_needed *needed;
    size_t nneeded;
    struct pg_relpriv *rels; /* every relation with any privilege */
    size_t nrels;
    char **create_schemas; /* schemas the role may CREATE in */
    size_t ncreate_schemas;
    bool create_db;
    char *dbname;
};

void doc_pg_facts_free(struct pg_facts *f);

struct pg_verdict {
    size_t nproblems;
    struct strbuf problems; /* "; "-separated */
    char *first_fix;        /* fix of the first problem */
};

/* Judges facts: the role must SELECT every needed table (and RLS must let
 * it read rows), and hold nothing else: no other relation, no write
 * privilege, no CREATE, no role attribute, no membership. */
void doc_pg_judge(const struct pg_facts *f, struct pg_verdict *v);
void doc_pg_verdict_free(struct pg_verdict *v);

#endif
