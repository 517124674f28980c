#include "pgprivs.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void doc_pg_facts_free(struct pg_facts *f)
{
    free(f->role);
    free(f->dbname);
    for (size_t i = 0; i < f->nmember_of; i++)
        free(f->member_of[i]);
    free(f->member_of);
    free(f->needed);
    for (size_t i = 0; i < f->nrels; i++) {
        free(f->rels[i].schema);
        free(f->rels[i].name);
        free(f->rels[i].privs);
    }
    free(f->rels);
    for (size_t i = 0; i < f->ncreate_schemas; i++)
        free(f->create_schemas[i]);
    free(f->create_schemas);
    memset(f, 0, sizeof(*f));
}

void doc_pg_verdict_free(struct pg_verdict *v)
{
    sb_free(&v->problems);
    free(v->first_fix);
    memset(v, 0, sizeof(*v));
}

__attribute__((format(printf, 3, 4))) static void problem(struct pg_verdict *v, char *fix,
                                                          const char *fmt, ...)
{
    v->nproblems++;
    if (v->problems.len)
        sb_puts(&v->problems, "; ");
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&v->problems, fmt, ap);
    va_end(ap);
    if (!v->first_fix)
        v->first_fix = fix;
    else
        free(fix);
}

static const struct pg_needed *needed_find(const struct pg_facts *f, const char *schema,
                                           const char *name)
{
    if (strcmp(schema, "public") != 0)
        return NULL;
    for (size_t i = 0; i < f->nneeded; i++)
        if (!strcmp(f->needed[i].table, name))
            return &f->needed[i];
    return NULL;
}

/* privs minus SELECT, as a comma list; "" when only SELECT. */
static char *extra_privs(const char *privs)
{
    struct strbuf b;
    sb_init(&b);
    const char *p = privs;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (!(n == 6 && !strncmp(p, "SELECT", 6)))
            doc_sb_list_add(&b, ", ", "%.*s", (int)n, p);
        p += n;
        if (*p == ',')
            p++;
    }
    return doc_sb_xtake(&b);
}

/* The tables the role needs: there, readable, and not hidden by RLS. */
static void judge_needed(const struct pg_facts *f, const char *role, struct pg_verdict *v)
{
    for (size_t i = 0; i < f->nneeded; i++) {
        const struct pg_needed *n = &f->needed[i];
        if (!n->exists)
            problem(v,
                    doc_xasprintf("create the table or connect to the right project/database "
                                  "(SUPABASE_DB_HOST, user suffix)"),
                    "table public.%s does not exist", n->table);
        else if (!n->can_select)
            problem(
                v, doc_xasprintf("GRANT SELECT ON public.%s TO %s (sql/roles.sql)", n->table, role),
                "cannot SELECT public.%s", n->table);
        else if (n->rls_blocks)
            problem(
                v,
                doc_xasprintf("CREATE POLICY %s_read ON public.%s FOR SELECT TO %s USING (true)",
                              role, n->table, role),
                "row level security on public.%s has no policy for this role: its queries "
                "return no rows",
                n->table);
    }
}

/* Every relation the role holds a privilege on: more than SELECT on a
 * needed table, or anything on another one, is a problem. */
static void judge_relations(const struct pg_facts *f, const char *role, struct pg_verdict *v)
{
    for (size_t i = 0; i < f->nrels; i++) {
        const struct pg_relpriv *r = &f->rels[i];
        char target[300];
        snprintf(target, sizeof(target), "%s.%s", r->schema, r->name);
        if (!needed_find(f, r->schema, r->name)) {
            problem(v,
                    doc_xasprintf("REVOKE ALL ON %s%s FROM %s (and FROM PUBLIC if granted "
                                  "there)",
                                  r->kind == 'S' ? "SEQUENCE " : "", target, role),
                    "may %s on %s (not needed)", r->privs, target);
            continue;
        }
        char *extra = extra_privs(r->privs);
        if (*extra)
            problem(v,
                    doc_xasprintf("REVOKE %s ON %s FROM %s (granted to PUBLIC? revoke there "
                                  "too)",
                                  extra, target, role),
                    "may %s on %s", extra, target);
        free(extra);
    }
}

void doc_pg_judge(const struct pg_facts *f, struct pg_verdict *v)
{
    memset(v, 0, sizeof(*v));
    sb_init(&v->problems);
    const char *role = f->role ? f->role : "?";

    judge_needed(f, role, v);
    struct {
        bool on;
        const char *what;
        const char *attr;
    } attrs[] = {
        {f->superuser, "is a superuser", "NOSUPERUSER"},
        {f->createrole, "may create roles", "NOCREATEROLE"},
        {f->createdb, "may create databases", "NOCREATEDB"},
        {f->replication, "may replicate", "NOREPLICATION"},
        {f->bypassrls, "bypasses row level security", "NOBYPASSRLS"},
    };
    for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
        if (attrs[i].on)
            problem(v, doc_xasprintf("ALTER ROLE %s %s", role, attrs[i].attr), "%s", attrs[i].what);
    for (size_t i = 0; i < f->nmember_of; i++)
        problem(v, doc_xasprintf("REVOKE %s FROM %s", f->member_of[i], role),
                "is a member of role %s (it can use that role's privileges)", f->member_of[i]);
    judge_relations(f, role, v);
    for (size_t i = 0; i < f->ncreate_schemas; i++)
        problem(
            v,
            doc_xasprintf("REVOKE CREATE ON SCHEMA %s FROM PUBLIC, %s", f->create_schemas[i], role),
            "may CREATE in schema %s", f->create_schemas[i]);
    if (f->create_db)
        problem(v,
                doc_xasprintf("REVOKE CREATE ON DATABASE %s FROM PUBLIC, %s",
                              f->dbname ? f->dbname : "postgres", role),
                "may CREATE schemas in database %s", f->dbname ? f->dbname : "?");
}
