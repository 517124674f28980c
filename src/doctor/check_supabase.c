/* Group supabase: the database host resolves and is reachable from here,
 * the connection is encrypted, and the two monitoring roles can SELECT
 * what they need and nothing more. Privileges are read with the privilege
 * inspection functions inside a READ ONLY transaction that is rolled
 * back: the doctor never writes to the database. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_contract.h"
#include "doctor.h"
#include "pgconn.h"
#include "pgprivs.h"
#include "resolve.h"
#include "validate.h"

/* The tables each role reads: the contract's readers (sql/contract.yaml). */
static size_t contract_tables(const struct contract *c, unsigned reader, const char **out)
{
    size_t n = 0;
    for (int t = 0; t < CT_NTABLES; t++)
        if (c->t[t].readers & reader)
            out[n++] = c->t[t].name;
    return n;
}

#define POOLER_FIX                                                                                 \
    "use the session pooler: SUPABASE_DB_HOST=aws-0-<region>.pooler.supabase.com, port 5432, "     \
    "users grafana_readonly.<ref> and queue_exporter.<ref> (Supabase: Connect > Session pooler)"

struct pg_attempt {
    PGconn *conn; /* NULL unless connected */
    char error[1024];
    bool network; /* never reached the server */
    bool tls;     /* failed in or before the TLS handshake */
    char tls_info[128];
};

static bool contains(const char *s, const char *needle)
{
    return strstr(s, needle) != NULL;
}

/* One connection attempt with the shared libpq defaults (pgconn.h) and
 * the doctor's application_name; the outcome classified for the report. */
static void doc_pg_try(const struct pg_params *p, struct pg_attempt *a)
{
    memset(a, 0, sizeof(*a));
    PGconn *c = PQconnectdbParams(p->keywords, p->values, p->dsn != NULL);
    if (c && PQstatus(c) == CONNECTION_OK) {
        a->conn = c;
        if (PQsslInUse(c)) {
            const char *proto = PQsslAttribute(c, "protocol");
            const char *cipher = PQsslAttribute(c, "cipher");
            snprintf(a->tls_info, sizeof(a->tls_info), "%s / %s", proto ? proto : "?",
                     cipher ? cipher : "?");
        }
        return;
    }
    /* What went wrong, not where: the report names the server. */
    pg_error_line(c ? PQerrorMessage(c) : "libpq could not allocate a connection",
                  PG_ERR_DROP_WHERE, a->error, sizeof(a->error));
    const char *e = a->error;
    a->network = contains(e, "Connection refused") || contains(e, "timeout expired") ||
                 contains(e, "Network is unreachable") || contains(e, "No route to host") ||
                 contains(e, "could not translate host name") ||
                 contains(e, "Connection timed out");
    /* Answers from the server itself (after the handshake): the login. */
    bool login =
        contains(e, "password authentication failed") || contains(e, "no pg_hba.conf entry") ||
        contains(e, "Tenant or user not found") ||
        (contains(e, "does not exist") && (contains(e, "role \"") || contains(e, "database \"")));
    a->tls = !a->network && !login &&
             (contains(e, "SSL") || contains(e, "certificate") || contains(e, "ssl"));
    PQfinish(c);
}

static char *fetch(PGconn *c, const char *sql, int nparams, const char *const *params,
                   PGresult **out)
{
    PGresult *res = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
        char *err = doc_xasprintf("%s", PQresultErrorMessage(res));
        PQclear(res);
        *out = NULL;
        return err;
    }
    *out = res;
    return NULL;
}

static bool t(const PGresult *res, int row, int col)
{
    const char *v = PQgetvalue(res, row, col);
    return v && v[0] == 't';
}

/* current_user's attributes and database. */
static char *gather_role(PGconn *c, struct pg_facts *f)
{
    PGresult *res;
    char *err;
    if ((err = fetch(c,
                     "SELECT current_user, rolsuper, rolcreaterole, rolcreatedb, rolreplication, "
                     "rolbypassrls, current_database() FROM pg_roles WHERE rolname = current_user",
                     0, NULL, &res)))
        return err;
    if (PQntuples(res) == 1) {
        f->role = doc_xstrdup(PQgetvalue(res, 0, 0));
        f->superuser = t(res, 0, 1);
        f->createrole = t(res, 0, 2);
        f->createdb = t(res, 0, 3);
        f->replication = t(res, 0, 4);
        f->bypassrls = t(res, 0, 5);
        f->dbname = doc_xstrdup(PQgetvalue(res, 0, 6));
    }
    PQclear(res);

    return NULL;
}

/* The roles current_user is a member of. */
static char *gather_membership(PGconn *c, struct pg_facts *f)
{
    PGresult *res;
    char *err;
    if ((err = fetch(c,
                     "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                     "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = current_user "
                     "ORDER BY 1",
                     0, NULL, &res)))
        return err;
    f->nmember_of = (size_t)PQntuples(res);
    f->member_of = doc_xcalloc(f->nmember_of, sizeof(char *));
    for (size_t i = 0; i < f->nmember_of; i++)
        f->member_of[i] = doc_xstrdup(PQgetvalue(res, (int)i, 0));
    PQclear(res);

    return NULL;
}

/* The needed tables: exist, SELECT granted, and row level security
 * does not hide every row (a Supabase default for new tables). */
static char *gather_needed(PGconn *c, const char *const *tables, size_t ntables, struct pg_facts *f)
{
    PGresult *res;
    char *err;
    struct strbuf arr;
    sb_init(&arr);
    sb_puts(&arr, "{");
    for (size_t i = 0; i < ntables; i++)
        sb_printf(&arr, "%s%s", i ? "," : "", tables[i]);
    sb_puts(&arr, "}");
    const char *p1[] = {sb_str(&arr)};
    err = fetch(c,
                "SELECT t, r IS NOT NULL, COALESCE(has_any_column_privilege(r, 'SELECT'), false), "
                "COALESCE((SELECT c.relrowsecurity AND NOT EXISTS ("
                "  SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polpermissive"
                "   AND p.polcmd IN ('r', '*')"
                "   AND (0::oid = ANY (p.polroles) OR (SELECT oid FROM pg_roles"
                "        WHERE rolname = current_user) = ANY (p.polroles)))"
                "  FROM pg_class c WHERE c.oid = r), false) "
                "FROM unnest($1::text[]) WITH ORDINALITY AS u(t, i), "
                "LATERAL to_regclass(format('public.%I', t)) AS r ORDER BY i",
                1, p1, &res);
    sb_free(&arr);
    if (err)
        return err;
    f->nneeded = (size_t)PQntuples(res);
    f->needed = doc_xcalloc(f->nneeded, sizeof(*f->needed));
    for (size_t i = 0; i < f->nneeded && i < ntables; i++) {
        f->needed[i].table = tables[i];
        f->needed[i].exists = t(res, (int)i, 1);
        f->needed[i].can_select = t(res, (int)i, 2);
        f->needed[i].rls_blocks = t(res, (int)i, 3);
    }
    PQclear(res);

    return NULL;
}

/* Every relation the role holds any privilege on, in schemas it can
 * use. Objects owned by extensions (e.g. pg_stat_statements, granted to
 * PUBLIC by its extension) are left out: they are not business data. */
static char *gather_relations(PGconn *c, struct pg_facts *f)
{
    PGresult *res;
    char *err;
    if ((err = fetch(
             c,
             "SELECT nspname, relname, relkind, concat_ws(',', "
             " CASE WHEN sel THEN 'SELECT' END, CASE WHEN ins THEN 'INSERT' END,"
             " CASE WHEN upd THEN 'UPDATE' END, CASE WHEN del THEN 'DELETE' END,"
             " CASE WHEN trn THEN 'TRUNCATE' END, CASE WHEN rfs THEN 'REFERENCES' END,"
             " CASE WHEN trg THEN 'TRIGGER' END, CASE WHEN usg THEN 'USAGE' END) "
             "FROM (SELECT n.nspname, c.relname, c.relkind::text AS relkind,"
             " CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(c.oid, 'SELECT')"
             "      ELSE has_any_column_privilege(c.oid, 'SELECT') END AS sel,"
             " CASE WHEN c.relkind = 'S' THEN false"
             "      ELSE has_any_column_privilege(c.oid, 'INSERT') END AS ins,"
             " CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(c.oid, 'UPDATE')"
             "      ELSE has_any_column_privilege(c.oid, 'UPDATE') END AS upd,"
             " CASE WHEN c.relkind = 'S' THEN false"
             "      ELSE has_table_privilege(c.oid, 'DELETE') END AS del,"
             " CASE WHEN c.relkind = 'S' THEN false"
             "      ELSE has_table_privilege(c.oid, 'TRUNCATE') END AS trn,"
             " CASE WHEN c.relkind = 'S' THEN false"
             "      ELSE has_any_column_privilege(c.oid, 'REFERENCES') END AS rfs,"
             " CASE WHEN c.relkind = 'S' THEN false"
             "      ELSE has_table_privilege(c.oid, 'TRIGGER') END AS trg,"
             " CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(c.oid, 'USAGE')"
             "      ELSE false END AS usg"
             " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
             " WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f', 'S')"
             "  AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
             "  AND n.nspname !~ '^pg_(toast|temp_)'"
             "  AND has_schema_privilege(n.oid, 'USAGE')"
             "  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass"
             "                  AND d.objid = c.oid AND d.deptype = 'e')) p "
             "WHERE sel OR ins OR upd OR del OR trn OR rfs OR trg OR usg ORDER BY 1, 2",
             0, NULL, &res)))
        return err;
    f->nrels = (size_t)PQntuples(res);
    f->rels = doc_xcalloc(f->nrels, sizeof(*f->rels));
    for (size_t i = 0; i < f->nrels; i++) {
        f->rels[i].schema = doc_xstrdup(PQgetvalue(res, (int)i, 0));
        f->rels[i].name = doc_xstrdup(PQgetvalue(res, (int)i, 1));
        f->rels[i].kind = PQgetvalue(res, (int)i, 2)[0];
        f->rels[i].privs = doc_xstrdup(PQgetvalue(res, (int)i, 3));
    }
    PQclear(res);

    return NULL;
}

/* Where current_user may CREATE: schemas, the database. */
static char *gather_create(PGconn *c, struct pg_facts *f)
{
    PGresult *res;
    char *err;
    if ((err = fetch(c,
                     "SELECT nspname FROM pg_namespace WHERE has_schema_privilege(oid, 'CREATE') "
                     "AND nspname !~ '^pg_(toast|temp_)' ORDER BY 1",
                     0, NULL, &res)))
        return err;
    f->ncreate_schemas = (size_t)PQntuples(res);
    f->create_schemas = doc_xcalloc(f->ncreate_schemas, sizeof(char *));
    for (size_t i = 0; i < f->ncreate_schemas; i++)
        f->create_schemas[i] = doc_xstrdup(PQgetvalue(res, (int)i, 0));
    PQclear(res);

    if ((err = fetch(c, "SELECT has_database_privilege(current_database(), 'CREATE')", 0, NULL,
                     &res)))
        return err;
    f->create_db = t(res, 0, 0);
    PQclear(res);
    return NULL;
}

/* Gathers the facts about current_user inside a READ ONLY transaction
 * that is rolled back; returns NULL or an error message. */
static char *gather(PGconn *c, const char *const *tables, size_t ntables, long timeout,
                    struct pg_facts *f)
{
    memset(f, 0, sizeof(*f));
    PGresult *res;
    char *err = fetch(c, "BEGIN READ ONLY", 0, NULL, &res);
    if (err)
        return err;
    PQclear(res);
    char sql[128];
    snprintf(sql, sizeof(sql), "SET LOCAL statement_timeout = '%lds'", timeout);
    if (!(err = fetch(c, sql, 0, NULL, &res))) {
        PQclear(res);
        if (!(err = gather_role(c, f)) && !(err = gather_membership(c, f)) &&
            !(err = gather_needed(c, tables, ntables, f)) && !(err = gather_relations(c, f)))
            err = gather_create(c, f);
    }
    /* Nothing was written; ROLLBACK ends the read-only transaction. */
    PQclear(PQexec(c, "ROLLBACK"));
    return err;
}

static void judge_role(struct doctor *d, const char *id, const char *label, PGconn *c,
                       const char *const *tables, size_t ntables)
{
    struct pg_facts f;
    char *err = gather(c, tables, ntables, d->opt->timeout, &f);
    if (err) {
        char msg[512];
        pg_error_line(err, PG_ERR_DROP_WHERE, msg, sizeof(msg));
        doc_report_fail(d->rep, id, "run the doctor again; if it persists, check the role in psql",
                        "%s: reading privileges failed: %s", label, msg);
        free(err);
        doc_pg_facts_free(&f);
        return;
    }
    struct pg_verdict v;
    doc_pg_judge(&f, &v);
    if (v.nproblems) {
        char fix[700];
        snprintf(fix, sizeof(fix), "%s%s", v.first_fix,
                 v.nproblems > 1 ? "; then fix the others listed and re-run sql/roles.sql" : "");
        doc_report_fail(d->rep, id, fix, "%s (%s): %zu problem(s): %s", label, f.role, v.nproblems,
                        sb_str(&v.problems));
    } else {
        struct strbuf list;
        sb_init(&list);
        for (size_t i = 0; i < ntables; i++)
            doc_sb_list_add(&list, ", ", "%s", tables[i]);
        doc_report_pass(d->rep, id,
                        "%s (%s) can SELECT exactly what it needs (%s) and nothing else: no write, "
                        "no CREATE, no other table, no role membership",
                        label, f.role, sb_str(&list));
        sb_free(&list);
    }
    doc_pg_verdict_free(&v);
    doc_pg_facts_free(&f);
}

static void resolve_verdict(struct doctor *d, const char *host, const struct resolved *res,
                            const struct pg_attempt *a)
{
    char msg[1024];
    if (doc_ipv6_only_verdict(host, res, true, !a->conn && a->network, msg, sizeof(msg)))
        doc_report_pass(d->rep, "supabase.resolve", "%s", msg);
    else
        doc_report_fail(d->rep, "supabase.resolve", POOLER_FIX, "%s", msg);
}

/* The doctor's connection defaults: those of the programs (pgconn.h),
 * with SUPABASE_CA_CERT (ca, may be NULL) as sslrootcert. */
static int doc_pg_params(const struct doctor *d, struct pg_params *p, const char *dsn,
                         const char *dsn_name, const char *ca, char *err, size_t errsz)
{
    const struct pg_defaults def = {.application_name = "ecotrans-doctor",
                                    .connect_timeout_s = (double)d->opt->timeout,
                                    .sslrootcert = ca};
    return pg_params_build(p, dsn, dsn_name, &def, (env_get_fn)getenv, err, errsz);
}

/* SUPABASE_CA_CERT, as config-init applies it to Grafana, the queue
 * exporter and the daily report (scripts/render-config.sh, supabase_tls):
 * with a CA, sslmode=require becomes verify-full and libpq checks the
 * chain against that CA and the host name against the certificate. Returns
 * the sslmode to use; *ca is the CA file or NULL. A CA that cannot be read
 * is reported here (supabase.tls) and returns NULL. */
static const char *supabase_tls_mode(struct doctor *d, const char *sslmode, const char **ca)
{
    *ca = doc_raw(d, "SUPABASE_CA_CERT");
    if (!*ca || !**ca) {
        *ca = NULL;
        return sslmode;
    }
    FILE *f = fopen(*ca, "r");
    char head[4096] = "";
    size_t n = f ? fread(head, 1, sizeof(head) - 1, f) : 0;
    head[n] = '\0';
    if (f)
        fclose(f);
    if (!f || !strstr(head, "-----BEGIN CERTIFICATE-----")) {
        doc_report_fail(d->rep, "supabase.tls",
                        "download Supabase's CA certificate (Project Settings > Database > SSL "
                        "Configuration) into the repository directory and name it in "
                        "SUPABASE_CA_CERT",
                        "SUPABASE_CA_CERT=%s %s", *ca,
                        f ? "is not a PEM certificate" : "cannot be read");
        return NULL;
    }
    return !strcmp(sslmode, "require") ? "verify-full" : sslmode;
}

/* The fix for a failed verify-full/verify-ca handshake, from libpq's words. */
static const char *tls_fix(const char *error, const char *ca)
{
    if (contains(error, "does not match host name"))
        return "SUPABASE_DB_HOST must be a name on Supabase's certificate "
               "(db.<ref>.supabase.co, or the pooler's host), not an address or an alias";
    if (ca)
        return "SUPABASE_CA_CERT must be Supabase's CA certificate (Project Settings > "
               "Database > SSL Configuration): the server's certificate chain does not lead to it";
    return "for verify-ca/verify-full name Supabase's CA certificate in SUPABASE_CA_CERT "
           "(Project Settings > Database > SSL), or use sslmode=require";
}

/* How the doctor reaches Supabase: the sslmode after supabase_tls_mode and
 * the CA file (NULL: none). */
struct supabase_tls {
    const char *sslmode;
    const char *ca;
    /* Not TLS, but carried along the same path: the schema contract whose
     * statements are EXPLAINed once connected (NULL: it did not load). */
    const struct contract *contract;
    bool contract_ok;
};

/* supabase.tls and supabase.grafana-role from one connection attempt. */
static void grafana_outcome(struct doctor *d, const struct resolved *res, const char *host,
                            const char *port, const char *user, const struct supabase_tls *tls,
                            struct pg_attempt *a)
{
    struct report *r = d->rep;
    const char *sslmode = tls->sslmode, *ca = tls->ca;
    bool require = !strcmp(sslmode, "require");
    if (a->conn) {
        if (require)
            doc_report_pass(r, "supabase.tls",
                            "TLS %s (sslmode=require: encrypted; verify-full would also "
                            "check the certificate)",
                            a->tls_info);
        else
            doc_report_pass(r, "supabase.tls", "TLS %s, certificate verified (sslmode=%s%s%s)",
                            a->tls_info, sslmode, ca ? ", CA " : "", ca ? ca : "");
        const char *tables[CT_NTABLES];
        size_t n = contract_tables(tls->contract, CT_READER_GRAFANA, tables);
        judge_role(d, "supabase.grafana-role", "SUPABASE_GRAFANA_USER", a->conn, tables, n);
        if (tls->contract_ok)
            doc_check_contract_grafana(d, tls->contract, a->conn, user);
        PQfinish(a->conn);
        return;
    }
    if (a->network) {
        bool v6 = strchr(host, ':') != NULL;
        doc_report_fail(r, "supabase.tls",
                        res->n4 ? "check SUPABASE_DB_HOST/SUPABASE_DB_PORT and that outbound "
                                  "TCP to that port is allowed"
                                : POOLER_FIX,
                        "cannot connect to %s%s%s:%s: %s", v6 ? "[" : "", host, v6 ? "]" : "", port,
                        a->error);
        doc_report_skip(r, "supabase.grafana-role", "no connection (see supabase.tls)");
    } else if (a->tls) {
        doc_report_fail(r, "supabase.tls",
                        require ? "the server must offer TLS: is SUPABASE_DB_HOST really Supabase?"
                                : tls_fix(a->error, ca),
                        "TLS with %s:%s failed (sslmode=%s): %s", host, port, sslmode, a->error);
        doc_report_skip(r, "supabase.grafana-role", "no connection (see supabase.tls)");
    } else {
        /* Authentication answers come after the TLS handshake. */
        doc_report_pass(r, "supabase.tls", "TLS handshake with %s:%s succeeded (sslmode=%s)", host,
                        port, sslmode);
        doc_report_fail(r, "supabase.grafana-role",
                        "check SUPABASE_GRAFANA_USER / SUPABASE_GRAFANA_PASSWORD (the "
                        "password given to sql/roles.sql; .<ref> suffix with the pooler)",
                        "SUPABASE_GRAFANA_USER %s cannot log in: %s", user, a->error);
    }
}

/* Resolve, reach and log in as the Grafana role (the parameters Grafana's
 * data source uses: host, port, user, password, sslmode from the .env). */
static void check_grafana_side(struct doctor *d, const char *host, const char *port,
                               const char *user, const char *password,
                               const struct supabase_tls *tls)
{
    struct report *r = d->rep;
    struct resolved res;
    char msg[1024];
    if (!doc_resolve_host(host, &res)) {
        doc_report_fail(r, "supabase.resolve",
                        "check SUPABASE_DB_HOST (Supabase: Connect, the host of the direct or "
                        "session pooler connection)",
                        "SUPABASE_DB_HOST %s does not resolve: %s", host, res.error);
        doc_report_skip(r, "supabase.tls", "the host does not resolve");
        doc_report_skip(r, "supabase.grafana-role", "the host does not resolve");
        return;
    }
    if (!doc_ipv6_only_verdict(host, &res, false, false, msg, sizeof(msg))) {
        /* Unreachable for sure: no connection attempt. */
        doc_report_fail(r, "supabase.resolve", POOLER_FIX, "%s", msg);
        doc_report_skip(r, "supabase.tls", "the host is unreachable (see supabase.resolve)");
        doc_report_skip(r, "supabase.grafana-role",
                        "the host is unreachable (see supabase.resolve)");
        return;
    }
    struct pg_params p;
    struct pg_attempt a = {0};
    if (doc_pg_params(d, &p, NULL, NULL, tls->ca, a.error, sizeof(a.error)) == 0) {
        pg_params_set(&p, "host", host);
        pg_params_set(&p, "port", port);
        pg_params_set(&p, "dbname", "postgres");
        pg_params_set(&p, "user", user);
        pg_params_set(&p, "password", password);
        pg_params_set(&p, "sslmode", tls->sslmode);
        doc_pg_try(&p, &a);
    }
    resolve_verdict(d, host, &res, &a);
    grafana_outcome(d, &res, host, port, user, tls, &a);
}

/* The exporter's TLS as config-init renders its service file: the DSN's
 * own sslmode/sslrootcert are kept, except that a CA upgrades require to
 * verify-full; what the DSN lacks comes from SUPABASE_SSLMODE/_CA_CERT. */
static void exporter_tls(struct pg_params *p, const char *dsn, const struct supabase_tls *tls)
{
    if (tls->sslmode)
        pg_params_set(p, "sslmode", tls->sslmode); /* the DSN's own wins */
    char *mode = pg_conninfo_value(dsn, "sslmode");
    if (tls->ca && mode && !strcmp(mode, "require"))
        pg_params_override(p, "sslmode", "verify-full");
    free(mode);
}

/* The exporter connects with its own DSN, with the exporter's defaults. */
static void check_exporter_side(struct doctor *d, const struct supabase_tls *tls)
{
    struct report *r = d->rep;
    struct strbuf why;
    sb_init(&why);
    const char *dsn = doc_input(d, "QUEUE_EXPORTER_DSN", &why);
    if (!dsn) {
        doc_report_fail(r, "supabase.exporter-role", doc_input_fix(d), "cannot check: %s",
                        sb_str(&why));
        sb_free(&why);
        return;
    }
    sb_free(&why);
    struct pg_params p;
    char err[512];
    if (doc_pg_params(d, &p, dsn, "QUEUE_EXPORTER_DSN", tls->ca, err, sizeof(err)) != 0) {
        doc_report_fail(r, "supabase.exporter-role",
                        "write QUEUE_EXPORTER_DSN as key=value pairs: host=... port=5432 "
                        "dbname=postgres user=queue_exporter password=... sslmode=require",
                        "QUEUE_EXPORTER_DSN is not a libpq connection string");
        return;
    }
    exporter_tls(&p, dsn, tls);
    char *ehost = pg_conninfo_value(dsn, "host"), *euser = pg_conninfo_value(dsn, "user");
    struct pg_attempt a;
    doc_pg_try(&p, &a);
    if (!a.conn) {
        const char *fix = a.network ? "check host/port in QUEUE_EXPORTER_DSN (IPv4-only server: "
                                      "the session pooler) and outbound TCP"
                          : a.tls   ? tls_fix(a.error, tls->ca)
                                    : "check user/password in QUEUE_EXPORTER_DSN (the password "
                                      "given to sql/roles.sql; .<ref> suffix with the pooler)";
        doc_report_fail(r, "supabase.exporter-role", fix,
                        "QUEUE_EXPORTER_DSN (user %s at %s) cannot connect: %s",
                        euser ? euser : "?", ehost ? ehost : "?", a.error);
    } else if (!PQsslInUse(a.conn)) {
        doc_report_fail(r, "supabase.exporter-role", "add sslmode=require to QUEUE_EXPORTER_DSN",
                        "QUEUE_EXPORTER_DSN connected without TLS");
    } else {
        const char *tables[CT_NTABLES];
        size_t n = contract_tables(tls->contract, CT_READER_EXPORTER, tables);
        judge_role(d, "supabase.exporter-role", "QUEUE_EXPORTER_DSN", a.conn, tables, n);
        if (tls->contract_ok)
            doc_check_contract_exporter(d, tls->contract, a.conn, euser ? euser : "?");
    }
    if (a.conn)
        PQfinish(a.conn);
    free(ehost);
    free(euser);
}

void doc_check_supabase(struct doctor *d)
{
    struct strbuf why;
    sb_init(&why);
    const char *host = doc_input(d, "SUPABASE_DB_HOST", &why);
    const char *port = doc_input(d, "SUPABASE_DB_PORT", &why);
    const char *user = doc_input(d, "SUPABASE_GRAFANA_USER", &why);
    const char *password = doc_input(d, "SUPABASE_GRAFANA_PASSWORD", &why);
    const char *sslmode = doc_input(d, "SUPABASE_SSLMODE", &why);
    /* An unreadable contract is reported; the privilege checks then use
     * the reference schema's tables. */
    struct contract contract;
    bool contract_ok = doc_contract_load(d, &contract) == 0;
    if (!contract_ok)
        ct_defaults(&contract);
    struct supabase_tls tls = {NULL, NULL, &contract, contract_ok};
    /* A CA that cannot be used is reported as supabase.tls. */
    bool ca_ok = !sslmode || (tls.sslmode = supabase_tls_mode(d, sslmode, &tls.ca)) != NULL;
    if (why.len) {
        doc_report_fail(d->rep, "supabase.resolve", doc_input_fix(d), "cannot check: %s",
                        sb_str(&why));
        if (ca_ok)
            doc_report_skip(d->rep, "supabase.tls", "needs the SUPABASE_DB_* variables");
        doc_report_skip(d->rep, "supabase.grafana-role", "needs the SUPABASE_DB_* variables");
    } else if (!ca_ok) {
        doc_report_skip(d->rep, "supabase.grafana-role",
                        "no usable CA certificate (see supabase.tls)");
    } else {
        check_grafana_side(d, host, port, user, password, &tls);
    }
    sb_free(&why);
    check_exporter_side(d, &tls);
}
