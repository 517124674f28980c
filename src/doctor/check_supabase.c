/* Group supabase: the database host resolves and is reachable from here,
 * the connection is encrypted, and the two monitoring roles can SELECT
 * what they need and nothing more. Privileges are read with the privilege
 * inspection functions inside a READ ONLY transaction that is rolled
 * back: the doctor never writes to the database. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"
#include "netaddr.h"
#include "pgprivs.h"
#include "validate.h"

static const char *const grafana_tables[] = {"pending_transcriptions", "pending_pdf_processing",
                                             "incidents", "fleet_positions", "whatsapp_messages"};
static const char *const exporter_tables[] = {"pending_transcriptions", "pending_pdf_processing"};

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

/* libpq's message without the "connection to server at ... failed: "
 * prefixes, on one line: what went wrong, not where. */
static void pg_message(const char *msg, char *out, size_t outlen)
{
    struct strbuf b;
    sb_init(&b);
    const char *p = msg;
    while (*p) {
        size_t n = strcspn(p, "\n");
        const char *line = p;
        size_t len = n;
        while (len && (*line == ' ' || *line == '\t')) {
            line++;
            len--;
        }
        if (str_starts_with(line, "connection to server")) {
            const char *f = strstr(line, " failed: ");
            if (f && (size_t)(f - line) < n) {
                len = n - (size_t)(f + 9 - line);
                line = f + 9;
            }
        }
        while (len && line[len - 1] == ' ')
            len--;
        if (len)
            sb_list_add(&b, "; ", "%.*s", (int)len, line);
        p += n;
        if (*p == '\n')
            p++;
    }
    snprintf(out, outlen, "%s", sb_str(&b));
    sb_free(&b);
}

static void pg_connect(const char *const *keys, const char *const *vals, struct pg_attempt *a)
{
    memset(a, 0, sizeof(*a));
    PGconn *c = PQconnectdbParams(keys, vals, 0);
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
    pg_message(c ? PQerrorMessage(c) : "libpq could not allocate a connection", a->error,
               sizeof(a->error));
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
        char *err = xasprintf("%s", PQresultErrorMessage(res));
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

/* Gathers the facts about current_user; returns NULL or an error message. */
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
    if ((err = fetch(c, sql, 0, NULL, &res)))
        goto out;
    PQclear(res);

    if ((err = fetch(c,
                     "SELECT current_user, rolsuper, rolcreaterole, rolcreatedb, rolreplication, "
                     "rolbypassrls, current_database() FROM pg_roles WHERE rolname = current_user",
                     0, NULL, &res)))
        goto out;
    if (PQntuples(res) == 1) {
        f->role = xstrdup(PQgetvalue(res, 0, 0));
        f->superuser = t(res, 0, 1);
        f->createrole = t(res, 0, 2);
        f->createdb = t(res, 0, 3);
        f->replication = t(res, 0, 4);
        f->bypassrls = t(res, 0, 5);
        f->dbname = xstrdup(PQgetvalue(res, 0, 6));
    }
    PQclear(res);

    if ((err = fetch(c,
                     "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                     "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = current_user "
                     "ORDER BY 1",
                     0, NULL, &res)))
        goto out;
    f->nmember_of = (size_t)PQntuples(res);
    f->member_of = xcalloc(f->nmember_of, sizeof(char *));
    for (size_t i = 0; i < f->nmember_of; i++)
        f->member_of[i] = xstrdup(PQgetvalue(res, (int)i, 0));
    PQclear(res);

    /* The needed tables: exist, SELECT granted, and row level security
     * does not hide every row (a Supabase default for new tables). */
    struct strbuf arr;
    sb_init(&arr);
    sb_puts(&arr, "{");
    for (size_t i = 0; i < ntables; i++)
        sb_printf(&arr, "%s%s", i ? "," : "", tables[i]);
    sb_puts(&arr, "}");
    const char *p1[] = {sb_str(&arr)};
    err = fetch(c,
                "SELECT t, r IS NOT NULL, COALESCE(has_table_privilege(r, 'SELECT'), false), "
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
        goto out;
    f->nneeded = (size_t)PQntuples(res);
    f->needed = xcalloc(f->nneeded, sizeof(*f->needed));
    for (size_t i = 0; i < f->nneeded && i < ntables; i++) {
        f->needed[i].table = tables[i];
        f->needed[i].exists = t(res, (int)i, 1);
        f->needed[i].can_select = t(res, (int)i, 2);
        f->needed[i].rls_blocks = t(res, (int)i, 3);
    }
    PQclear(res);

    /* Every relation the role holds any privilege on, in schemas it can
     * use. Objects owned by extensions (e.g. pg_stat_statements, granted to
     * PUBLIC by its extension) are left out: they are not business data. */
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
        goto out;
    f->nrels = (size_t)PQntuples(res);
    f->rels = xcalloc(f->nrels, sizeof(*f->rels));
    for (size_t i = 0; i < f->nrels; i++) {
        f->rels[i].schema = xstrdup(PQgetvalue(res, (int)i, 0));
        f->rels[i].name = xstrdup(PQgetvalue(res, (int)i, 1));
        f->rels[i].kind = PQgetvalue(res, (int)i, 2)[0];
        f->rels[i].privs = xstrdup(PQgetvalue(res, (int)i, 3));
    }
    PQclear(res);

    if ((err = fetch(c,
                     "SELECT nspname FROM pg_namespace WHERE has_schema_privilege(oid, 'CREATE') "
                     "AND nspname !~ '^pg_(toast|temp_)' ORDER BY 1",
                     0, NULL, &res)))
        goto out;
    f->ncreate_schemas = (size_t)PQntuples(res);
    f->create_schemas = xcalloc(f->ncreate_schemas, sizeof(char *));
    for (size_t i = 0; i < f->ncreate_schemas; i++)
        f->create_schemas[i] = xstrdup(PQgetvalue(res, (int)i, 0));
    PQclear(res);

    if ((err = fetch(c, "SELECT has_database_privilege(current_database(), 'CREATE')", 0, NULL,
                     &res)))
        goto out;
    f->create_db = t(res, 0, 0);
    PQclear(res);
out:
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
        pg_message(err, msg, sizeof(msg));
        report_fail(d->rep, id, "run the doctor again; if it persists, check the role in psql",
                    "%s: reading privileges failed: %s", label, msg);
        free(err);
        pg_facts_free(&f);
        return;
    }
    struct pg_verdict v;
    pg_judge(&f, &v);
    if (v.nproblems) {
        char fix[700];
        snprintf(fix, sizeof(fix), "%s%s", v.first_fix,
                 v.nproblems > 1 ? "; then fix the others listed and re-run sql/roles.sql" : "");
        report_fail(d->rep, id, fix, "%s (%s): %zu problem(s): %s", label, f.role, v.nproblems,
                    sb_str(&v.problems));
    } else {
        struct strbuf list;
        sb_init(&list);
        for (size_t i = 0; i < ntables; i++)
            sb_list_add(&list, ", ", "%s", tables[i]);
        report_pass(d->rep, id,
                    "%s (%s) can SELECT exactly what it needs (%s) and nothing else: no write, "
                    "no CREATE, no other table, no role membership",
                    label, f.role, sb_str(&list));
        sb_free(&list);
    }
    pg_verdict_free(&v);
    pg_facts_free(&f);
}

static void resolve_verdict(struct doctor *d, const char *host, const struct resolved *res,
                            const struct pg_attempt *a)
{
    char msg[1024];
    if (ipv6_only_verdict(host, res, true, !a->conn && a->network, msg, sizeof(msg)))
        report_pass(d->rep, "supabase.resolve", "%s", msg);
    else
        report_fail(d->rep, "supabase.resolve", POOLER_FIX, "%s", msg);
}

/* SUPABASE_CA_CERT, as config-init applies it to Grafana, the queue
 * exporter and the daily report (scripts/render-config.sh, supabase_tls):
 * with a CA, sslmode=require becomes verify-full and libpq checks the
 * chain against that CA and the host name against the certificate. Returns
 * the sslmode to use; *ca is the CA file or NULL. A CA that cannot be read
 * is reported here (supabase.tls) and returns NULL. */
static const char *supabase_tls_mode(struct doctor *d, const char *sslmode, const char **ca)
{
    *ca = doctor_raw(d, "SUPABASE_CA_CERT");
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
        report_fail(d->rep, "supabase.tls",
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

void doctor_check_supabase(struct doctor *d)
{
    struct report *r = d->rep;
    struct strbuf why;
    sb_init(&why);
    const char *host = doctor_input(d, "SUPABASE_DB_HOST", &why);
    const char *port = doctor_input(d, "SUPABASE_DB_PORT", &why);
    const char *user = doctor_input(d, "SUPABASE_GRAFANA_USER", &why);
    const char *password = doctor_input(d, "SUPABASE_GRAFANA_PASSWORD", &why);
    const char *sslmode = doctor_input(d, "SUPABASE_SSLMODE", &why);
    if (why.len) {
        report_fail(r, "supabase.resolve", doctor_input_fix(d), "cannot check: %s", sb_str(&why));
        report_skip(r, "supabase.tls", "needs the SUPABASE_DB_* variables");
        report_skip(r, "supabase.grafana-role", "needs the SUPABASE_DB_* variables");
    }
    sb_free(&why);
    const char *ca = NULL;
    if (sslmode && !(sslmode = supabase_tls_mode(d, sslmode, &ca)))
        report_skip(r, "supabase.grafana-role", "no usable CA certificate (see supabase.tls)");

    char timeout[32];
    snprintf(timeout, sizeof(timeout), "%ld", d->opt->timeout);
    if (host && port && user && password && sslmode) {
        struct resolved res;
        if (!resolve_host(host, &res)) {
            report_fail(r, "supabase.resolve",
                        "check SUPABASE_DB_HOST (Supabase: Connect, the host of the direct or "
                        "session pooler connection)",
                        "SUPABASE_DB_HOST %s does not resolve: %s", host, res.error);
            report_skip(r, "supabase.tls", "the host does not resolve");
            report_skip(r, "supabase.grafana-role", "the host does not resolve");
        } else {
            const char *keys[] = {"host",
                                  "port",
                                  "dbname",
                                  "user",
                                  "password",
                                  "sslmode",
                                  "connect_timeout",
                                  "application_name",
                                  ca ? "sslrootcert" : NULL,
                                  NULL};
            const char *vals[] = {host,    port,    "postgres",        user, password,
                                  sslmode, timeout, "ecotrans-doctor", ca,   NULL};
            char msg[1024];
            if (!ipv6_only_verdict(host, &res, false, false, msg, sizeof(msg))) {
                /* Unreachable for sure: no connection attempt. */
                report_fail(r, "supabase.resolve", POOLER_FIX, "%s", msg);
                report_skip(r, "supabase.tls", "the host is unreachable (see supabase.resolve)");
                report_skip(r, "supabase.grafana-role",
                            "the host is unreachable (see supabase.resolve)");
                goto exporter;
            }
            struct pg_attempt a;
            pg_connect(keys, vals, &a);
            resolve_verdict(d, host, &res, &a);

            if (a.conn) {
                if (!strcmp(sslmode, "require"))
                    report_pass(r, "supabase.tls",
                                "TLS %s (sslmode=require: encrypted; verify-full would also "
                                "check the certificate)",
                                a.tls_info);
                else
                    report_pass(r, "supabase.tls", "TLS %s, certificate verified (sslmode=%s%s%s)",
                                a.tls_info, sslmode, ca ? ", CA " : "", ca ? ca : "");
                judge_role(d, "supabase.grafana-role", "SUPABASE_GRAFANA_USER", a.conn,
                           grafana_tables, sizeof(grafana_tables) / sizeof(grafana_tables[0]));
                PQfinish(a.conn);
            } else if (a.network) {
                report_fail(r, "supabase.tls",
                            res.n4 ? "check SUPABASE_DB_HOST/SUPABASE_DB_PORT and that outbound "
                                     "TCP to that port is allowed"
                                   : POOLER_FIX,
                            "cannot connect to %s%s%s:%s: %s", strchr(host, ':') ? "[" : "", host,
                            strchr(host, ':') ? "]" : "", port, a.error);
                report_skip(r, "supabase.grafana-role", "no connection (see supabase.tls)");
            } else if (a.tls) {
                report_fail(r, "supabase.tls",
                            !strcmp(sslmode, "require")
                                ? "the server must offer TLS: is SUPABASE_DB_HOST really "
                                  "Supabase?"
                                : tls_fix(a.error, ca),
                            "TLS with %s:%s failed (sslmode=%s): %s", host, port, sslmode, a.error);
                report_skip(r, "supabase.grafana-role", "no connection (see supabase.tls)");
            } else {
                /* Authentication answers come after the TLS handshake. */
                report_pass(r, "supabase.tls", "TLS handshake with %s:%s succeeded (sslmode=%s)",
                            host, port, sslmode);
                report_fail(r, "supabase.grafana-role",
                            "check SUPABASE_GRAFANA_USER / SUPABASE_GRAFANA_PASSWORD (the "
                            "password given to sql/roles.sql; .<ref> suffix with the pooler)",
                            "SUPABASE_GRAFANA_USER %s cannot log in: %s", user, a.error);
            }
        }
    }

exporter:
    /* The exporter connects with its own DSN. */
    struct strbuf why2;
    sb_init(&why2);
    const char *dsn = doctor_input(d, "QUEUE_EXPORTER_DSN", &why2);
    if (!dsn) {
        report_fail(r, "supabase.exporter-role", doctor_input_fix(d), "cannot check: %s",
                    sb_str(&why2));
        sb_free(&why2);
        return;
    }
    sb_free(&why2);
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(dsn, &perr);
    PQfreemem(perr);
    if (!opts) {
        report_fail(r, "supabase.exporter-role",
                    "write QUEUE_EXPORTER_DSN as key=value pairs: host=... port=5432 "
                    "dbname=postgres user=queue_exporter password=... sslmode=require",
                    "QUEUE_EXPORTER_DSN is not a libpq connection string");
        return;
    }
    const char *keys[44], *vals[44];
    size_t n = 0;
    bool have_timeout = false, have_appname = false, have_rootcert = false, have_mode = false;
    const char *ehost = "?", *euser = "?";
    for (PQconninfoOption *o = opts; o->keyword && n < 36; o++) {
        if (!o->val)
            continue;
        if (!strcmp(o->keyword, "connect_timeout"))
            have_timeout = true;
        if (!strcmp(o->keyword, "application_name"))
            have_appname = true;
        if (!strcmp(o->keyword, "host"))
            ehost = o->val;
        if (!strcmp(o->keyword, "user"))
            euser = o->val;
        keys[n] = o->keyword;
        vals[n] = o->val;
        /* As config-init renders the exporter's service file. */
        if (ca && !strcmp(o->keyword, "sslmode") && !strcmp(o->val, "require"))
            vals[n] = "verify-full";
        if (!strcmp(o->keyword, "sslrootcert"))
            have_rootcert = true;
        if (!strcmp(o->keyword, "sslmode"))
            have_mode = true;
        n++;
    }
    if (ca && !have_rootcert) {
        keys[n] = "sslrootcert";
        vals[n++] = ca;
    }
    if (!have_mode && sslmode) {
        keys[n] = "sslmode";
        vals[n++] = sslmode;
    }
    if (!have_timeout) {
        keys[n] = "connect_timeout";
        vals[n++] = timeout;
    }
    if (!have_appname) {
        keys[n] = "application_name";
        vals[n++] = "ecotrans-doctor";
    }
    keys[n] = NULL;
    vals[n] = NULL;
    struct pg_attempt a;
    pg_connect(keys, vals, &a);
    if (!a.conn) {
        const char *fix = a.network ? "check host/port in QUEUE_EXPORTER_DSN (IPv4-only server: "
                                      "the session pooler) and outbound TCP"
                          : a.tls   ? tls_fix(a.error, ca)
                                    : "check user/password in QUEUE_EXPORTER_DSN (the password "
                                      "given to sql/roles.sql; .<ref> suffix with the pooler)";
        report_fail(r, "supabase.exporter-role", fix,
                    "QUEUE_EXPORTER_DSN (user %s at %s) cannot connect: %s", euser, ehost, a.error);
    } else if (!PQsslInUse(a.conn)) {
        report_fail(r, "supabase.exporter-role", "add sslmode=require to QUEUE_EXPORTER_DSN",
                    "QUEUE_EXPORTER_DSN connected without TLS");
        PQfinish(a.conn);
    } else {
        judge_role(d, "supabase.exporter-role", "QUEUE_EXPORTER_DSN", a.conn, exporter_tables,
                   sizeof(exporter_tables) / sizeof(exporter_tables[0]));
        PQfinish(a.conn);
    }
    PQconninfoFree(opts);
}
