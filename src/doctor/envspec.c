#include "envspec.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "../daily-report/envtable.h"
#include "../queue-exporter/envtable.h"
#include "pgconn.h"
#include "smtpconf.h"
#include "validate.h"

static bool chk_label(const char *v, struct strbuf *why)
{
    for (const char *p = v; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_')) {
            sb_puts(why, "may only contain letters, digits, - and _");
            return false;
        }
    return true;
}

static bool chk_password16(const char *v, struct strbuf *why)
{
    if (strlen(v) < 16) {
        sb_printf(why, "is %zu characters long; use 16 or more random characters", strlen(v));
        return false;
    }
    return true;
}

static bool chk_host_or_ip(const char *v, struct strbuf *why)
{
    return env_check_hostname(v, why);
}

static bool chk_site(const char *v, struct strbuf *why)
{
    const char *h = v;
    if (str_starts_with(h, "https://"))
        h += 8;
    else if (str_starts_with(h, "http://"))
        h += 7;
    if (*h && h[strlen(h) - 1] == '/') {
        sb_puts(why, "must not end with /");
        return false;
    }
    if (!valid_host_port(h)) {
        sb_puts(why, "is not a host name or https://<address>");
        return false;
    }
    return true;
}

static bool chk_caddy_tls(const char *v, struct strbuf *why)
{
    if (strcmp(v, "internal") == 0 || valid_email(v, false))
        return true;
    sb_puts(why, "must be an email address (ACME account) or the word internal");
    return false;
}

static bool chk_nonblank(const char *v, struct strbuf *why)
{
    for (const char *p = v; *p; p++)
        if (isspace((unsigned char)*p)) {
            sb_puts(why, "contains whitespace");
            return false;
        }
    return true;
}

static bool chk_email_list(const char *v, struct strbuf *why)
{
    /* Alertmanager's `to:`, not read by a program of ours. */
    if (!valid_email_list(v)) {
        sb_puts(why, "is not a comma-separated list of email addresses");
        return false;
    }
    return true;
}

static bool chk_watchdog_receiver(const char *v, struct strbuf *why)
{
    /* The receivers alertmanager/alertmanager.yml defines. */
    if (strcmp(v, "watchdog-watcher") != 0 && strcmp(v, "watchdog-off") != 0 &&
        strcmp(v, "watchdog-webhook") != 0) {
        sb_puts(why, "must be watchdog-watcher, watchdog-webhook or watchdog-off");
        return false;
    }
    return true;
}

static bool chk_ip(const char *v, struct strbuf *why)
{
    if (!valid_ip(v)) {
        sb_puts(why, "is not an IPv4 or IPv6 address");
        return false;
    }
    return true;
}

static bool chk_access_key(const char *v, struct strbuf *why)
{
    size_t n = strlen(v);
    for (const char *p = v; *p; p++)
        if (!isalnum((unsigned char)*p)) {
            sb_puts(why, "may only contain letters and digits (an access key id)");
            return false;
        }
    if (n < 16 || n > 128) {
        sb_printf(why, "is %zu characters long; access key ids are 16-128", n);
        return false;
    }
    return true;
}

static bool chk_bucket(const char *v, struct strbuf *why)
{
    if (!valid_bucket_name(v)) {
        sb_puts(why, "is not a valid bucket name (3-63 of a-z 0-9 . -)");
        return false;
    }
    return true;
}

static bool chk_region(const char *v, struct strbuf *why)
{
    if (!valid_region(v)) {
        sb_puts(why, "is not a region code like eu-central-1");
        return false;
    }
    return true;
}

static bool chk_endpoint(const char *v, struct strbuf *why)
{
    if (strstr(v, "://")) {
        sb_puts(why, "must be host[:port] without a scheme (Thanos adds https)");
        return false;
    }
    if (strchr(v, '/')) {
        sb_puts(why, "must be host[:port] without a path");
        return false;
    }
    if (!valid_host_port(v)) {
        sb_puts(why, "is not host[:port]");
        return false;
    }
    return true;
}

static bool chk_supabase_url(const char *v, struct strbuf *why)
{
    char ref[64];
    if (!supabase_url_ref(v, ref, sizeof(ref))) {
        sb_puts(why, "is not https://<project-ref>.supabase.co");
        return false;
    }
    return true;
}

static bool chk_service_key(const char *v, struct strbuf *why)
{
    if (str_starts_with(v, "sb_secret_"))
        return true;
    /* A legacy service_role key is a JWT: three base64url parts. */
    int dots = 0;
    for (const char *p = v; *p; p++) {
        if (*p == '.')
            dots++;
        else if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_')) {
            dots = -1;
            break;
        }
    }
    if (dots != 2 || !str_starts_with(v, "eyJ")) {
        sb_puts(why, "is neither a service_role JWT (eyJ...) nor an sb_secret_ key");
        return false;
    }
    return true;
}

static bool chk_db_port(const char *v, struct strbuf *why)
{
    int port;
    if (!valid_port(v, &port)) {
        sb_puts(why, "is not a port number (1-65535)");
        return false;
    }
    if (port == 6543) {
        sb_puts(why, "is the transaction pooler, which breaks prepared statements and "
                     "session settings; use 5432");
        return false;
    }
    return true;
}

static bool chk_role(const char *v, struct strbuf *why)
{
    if (!(islower((unsigned char)v[0]) || v[0] == '_')) {
        sb_puts(why, "is not a role name (grafana_readonly, or grafana_readonly.<ref> via "
                     "the pooler)");
        return false;
    }
    for (const char *p = v; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_' || *p == '.')) {
            sb_puts(why, "is not a role name (grafana_readonly, or grafana_readonly.<ref> "
                         "via the pooler)");
            return false;
        }
    return true;
}

static bool chk_sslmode(const char *v, struct strbuf *why)
{
    if (strcmp(v, "require") && strcmp(v, "verify-ca") && strcmp(v, "verify-full")) {
        sb_puts(why, "must be require, verify-ca or verify-full (the connection leaves "
                     "this server)");
        return false;
    }
    return true;
}

/* INVENTORY_DIR: a directory of the repository's inventory/ (servers.txt,
 * containers.txt there), as config-init and the doctor service read it. */
static bool chk_inventory_dir(const char *v, struct strbuf *why)
{
    bool ok = (!strcmp(v, "inventory") || str_starts_with(v, "inventory/")) && !strstr(v, "..");
    for (const char *p = v; ok && *p; p++)
        ok = isalnum((unsigned char)*p) || strchr("._/-", *p);
    if (!ok)
        sb_puts(why, "must be inventory or a directory under it, e.g. inventory/test-vps");
    return ok;
}

static bool chk_on_off(const char *v, struct strbuf *why)
{
    if (strcmp(v, "on") && strcmp(v, "off")) {
        sb_puts(why, "must be on or off (caddy/Caddyfile imports monitoring_api_<value>)");
        return false;
    }
    return true;
}

/* What `caddy hash-password` prints: a 60-character bcrypt hash. */
static bool chk_bcrypt(const char *v, struct strbuf *why)
{
    if (strlen(v) != 60 ||
        !(str_starts_with(v, "$2a$") || str_starts_with(v, "$2b$") || str_starts_with(v, "$2y$"))) {
        sb_puts(why, "is not a bcrypt hash: use the output of caddy hash-password, in single "
                     "quotes");
        return false;
    }
    return true;
}

/* An Alertmanager duration as config-init writes it into alertmanager.yml:
 * one or more <number><unit> pairs, e.g. 30s or 1m30s. */
static bool chk_am_duration(const char *v, struct strbuf *why)
{
    const char *p = v;
    while (*p) {
        const char *digits = p;
        while (*p >= '0' && *p <= '9')
            p++;
        size_t unit = strspn(p, "mshdwy");
        bool ok_unit = (unit == 1 && strchr("smhdwy", *p)) || (unit == 2 && !strncmp(p, "ms", 2));
        if (p == digits || !ok_unit) {
            sb_puts(why, "is not a duration such as 30s, 5m or 1m30s");
            return false;
        }
        p += unit;
    }
    return true;
}

/* The .env file: what compose needs. A variable that a program reads (its
 * env table names it as its `dotenv` source) has no validator here: the
 * program's own validator checks it (doc_env_validator), so the doctor
 * accepts exactly what the program accepts. */
const struct env_var doc_var_specs[] = {
    {"MONITORING_CLUSTER", ENV_REQUIRED, chk_label, "e.g. MONITORING_CLUSTER=ecotrans-prod", NULL},
    {"PROMETHEUS_REPLICA", ENV_REQUIRED, chk_label, "e.g. PROMETHEUS_REPLICA=0", NULL},
    {"GRAFANA_ADMIN_PASSWORD", ENV_REQUIRED | ENV_SECRET, chk_password16,
     "generate one: openssl rand -base64 24 (Grafana applies it at its first start only; to "
     "change it later: docker compose up -d config-init && docker compose exec -T grafana sh "
     "-c 'grafana cli admin reset-admin-password --password-from-stdin < "
     "/run/monitoring/admin_password')",
     NULL},
    {"GRAFANA_DOMAIN", ENV_REQUIRED, env_check_hostname,
     "e.g. GRAFANA_DOMAIN=monitoring.ecotrans.eu", NULL},
    {"GRAFANA_SITE", ENV_REQUIRED, chk_site,
     "the domain in production, https://<test-vps-ip> on the test VPS", NULL},
    {"CADDY_TLS", ENV_REQUIRED, chk_caddy_tls,
     "the ACME account email in production, internal on the test VPS", NULL},
    {"MONITORING_API", ENV_OPTIONAL, chk_on_off,
     "off, or on for the n8n report's route (docs/daily-report.md)", NULL},
    {"MONITORING_API_USER", ENV_OPTIONAL, chk_label, "e.g. MONITORING_API_USER=n8n-report", NULL},
    {"MONITORING_API_PASSWORD_HASH", ENV_SECRET, chk_bcrypt,
     "docker compose run --rm caddy caddy hash-password, in single quotes", NULL},
    {"INVENTORY_DIR", ENV_OPTIONAL, chk_inventory_dir,
     "inventory, or inventory/test-vps on the test VPS", NULL},
    {"GROUP_WAIT", ENV_OPTIONAL, chk_am_duration,
     "empty for the production value (30s), or a duration such as GROUP_WAIT=30s", NULL},
    {"GROUP_INTERVAL", ENV_OPTIONAL, chk_am_duration,
     "empty for the production value (5m), or a duration such as GROUP_INTERVAL=5m", NULL},
    {"SMTP_HOST", ENV_REQUIRED, NULL, "e.g. SMTP_HOST=smtp.eu.mailgun.org", NULL},
    /* Optional as in compose.yaml: empty, the senders' default
     * (src/common/smtpconf.h); set, judged by the daily report's validator. */
    {"SMTP_PORT", ENV_OPTIONAL, NULL, SMTP_PORT_FIX, NULL},
    {"SMTP_TLS", ENV_OPTIONAL, NULL,
     "starttls, tls or none; unset: tls on port 465, starttls otherwise", NULL},
    {"SMTP_USER", ENV_REQUIRED, NULL, "the SMTP login, e.g. postmaster@mg.ecotrans.eu", NULL},
    {"SMTP_PASSWORD", ENV_REQUIRED | ENV_SECRET, NULL, "the SMTP password of SMTP_USER", NULL},
    {"SMTP_FROM", ENV_REQUIRED, NULL, "e.g. SMTP_FROM=monitoring@mg.ecotrans.eu", NULL},
    {"ALERT_EMAIL_TO", ENV_REQUIRED, chk_email_list, "e.g. ALERT_EMAIL_TO=ops@ecotrans.eu", NULL},
    {"REPORT_EMAIL_TO", ENV_REQUIRED, NULL, "e.g. REPORT_EMAIL_TO=ops@ecotrans.eu,boss@ecotrans.eu",
     NULL},
    {"WATCHDOG_RECEIVER", ENV_OPTIONAL, chk_watchdog_receiver,
     "watchdog-watcher (default) with WATCHER_URL and WATCHER_TOKEN, watchdog-webhook with "
     "WATCHDOG_URL, or watchdog-off (docs/alerts.md#watchdog)",
     NULL},
    {"WATCHER_URL", ENV_OPTIONAL, env_check_http_url,
     "the watcher's webhook, e.g. WATCHER_URL=http://203.0.113.10:9202/webhook", NULL},
    {"WATCHER_TOKEN", ENV_SECRET, chk_password16,
     "16+ random characters (openssl rand -hex 32), as in the watcher's token file", NULL},
    {"WATCHDOG_URL", ENV_SECRET, env_check_http_url,
     "the dead-man's switch ping URL, e.g. https://hc-ping.com/<uuid>", NULL},
    /* Optional as in compose.yaml; set, judged by the daily report's own
     * validators (doc_env_validator). */
    {"REPORT_TZ", ENV_OPTIONAL, NULL,
     "empty for the daily report's default (" DR_REPORT_TZ_DEFAULT "), or e.g. REPORT_TZ=UTC",
     NULL},
    {"REPORT_TIME", ENV_OPTIONAL, NULL,
     "empty for the daily report's default (" DR_REPORT_TIME_DEFAULT "), or e.g. REPORT_TIME=07:30",
     NULL},
    {"SERVER_F_PUBLIC_IP", ENV_REQUIRED, chk_ip,
     "this server's public address, e.g. from: "
     "curl -4 ifconfig.me",
     NULL},
    {"WASABI_ACCESS_KEY", ENV_REQUIRED | ENV_SECRET, chk_access_key,
     "the access key id of the bucket-scoped Wasabi key", NULL},
    {"WASABI_SECRET_KEY", ENV_REQUIRED | ENV_SECRET, chk_nonblank,
     "the secret key shown once when the Wasabi key was created", NULL},
    {"WASABI_BUCKET", ENV_REQUIRED, chk_bucket, "e.g. WASABI_BUCKET=ecotrans-monitoring", NULL},
    {"WASABI_REGION", ENV_REQUIRED, chk_region, "e.g. WASABI_REGION=eu-central-1", NULL},
    {"WASABI_ENDPOINT", ENV_REQUIRED, chk_endpoint,
     "e.g. WASABI_ENDPOINT=s3.eu-central-1.wasabisys.com", NULL},
    {"SUPABASE_URL", ENV_REQUIRED, chk_supabase_url,
     "https://<project-ref>.supabase.co (Project Settings > API)", NULL},
    {"SUPABASE_SERVICE_KEY", ENV_SECRET, chk_service_key,
     "the service_role key (Project Settings > API), or empty", NULL},
    {"SUPABASE_DB_HOST", ENV_REQUIRED, chk_host_or_ip,
     "db.<ref>.supabase.co, or aws-0-<region>.pooler.supabase.com on IPv4-only servers", NULL},
    {"SUPABASE_DB_PORT", ENV_REQUIRED, chk_db_port, "SUPABASE_DB_PORT=5432", NULL},
    {"SUPABASE_GRAFANA_USER", ENV_REQUIRED, chk_role,
     "grafana_readonly (direct host) or grafana_readonly.<ref> (pooler)", NULL},
    {"SUPABASE_GRAFANA_PASSWORD", ENV_REQUIRED | ENV_SECRET, NULL,
     "the password given to sql/roles.sql for grafana_readonly", NULL},
    {"SUPABASE_SSLMODE", ENV_REQUIRED, chk_sslmode,
     "SUPABASE_SSLMODE=verify-full (with SUPABASE_CA_CERT), or require", NULL},
    {"SUPABASE_CA_CERT", ENV_OPTIONAL, chk_nonblank,
     "SUPABASE_CA_CERT=./supabase-ca.crt (Supabase's CA certificate, in the repository "
     "directory)",
     NULL},
    {"QUEUE_EXPORTER_DSN", ENV_REQUIRED | ENV_SECRET, NULL,
     "host=<db host> port=5432 dbname=postgres user=queue_exporter password=... "
     "sslmode=require",
     NULL},
};
const size_t doc_var_specs_count = sizeof(doc_var_specs) / sizeof(doc_var_specs[0]);

/* The programs whose environment comes from the .env through compose. */
static const struct env_table *const program_tables[] = {&dr_env_table, &dr_env_delivery_table,
                                                         &qe_env_table};

const struct env_table *const *doc_program_tables(size_t *n)
{
    *n = sizeof(program_tables) / sizeof(program_tables[0]);
    return program_tables;
}

const struct env_var *doc_env_validator(const char *dotenv_name)
{
    for (size_t t = 0; t < sizeof(program_tables) / sizeof(program_tables[0]); t++)
        for (size_t i = 0; i < program_tables[t]->n; i++) {
            const struct env_var *v = &program_tables[t]->vars[i];
            if (v->dotenv && strcmp(v->dotenv, dotenv_name) == 0 && v->check)
                return v;
        }
    const struct env_var *own = doc_var_spec_find(dotenv_name);
    return own && own->check ? own : NULL;
}

const struct env_var *doc_var_spec_find(const char *name)
{
    for (size_t i = 0; i < doc_var_specs_count; i++)
        if (strcmp(doc_var_specs[i].name, name) == 0)
            return &doc_var_specs[i];
    return NULL;
}

bool doc_var_is_secret(const char *name)
{
    const struct env_var *s = doc_var_spec_find(name);
    if (s)
        return (s->flags & ENV_SECRET) != 0;
    const char *words[] = {"PASSWORD", "PASSWD", "SECRET", "KEY", "TOKEN", "DSN", "CREDENTIAL"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strstr(name, words[i]))
            return true;
    return false;
}

struct issues {
    struct format_issue *v;
    size_t n, cap;
};

static void add_issue(struct issues *is, const char *name, char *message, const char *fix)
{
    if (is->n == is->cap) { /* doubling: a 100k-key file stays linear */
        is->cap = is->cap ? is->cap * 2 : 16;
        is->v = doc_xrealloc(is->v, is->cap, sizeof(*is->v));
    }
    is->v[is->n].name = doc_xstrdup(name);
    is->v[is->n].message = message;
    is->v[is->n].fix = doc_xstrdup(fix);
    is->n++;
}

void doc_format_issues_free(struct format_issue *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].message);
        free(v[i].fix);
    }
    free(v);
}

const char *doc_placeholder_kind(const char *name, const char *value)
{
    const char *kind = placeholder_kind(value);
    if (!kind || (strcmp(kind, "a placeholder word") != 0 && strcmp(kind, "<...>") != 0))
        return kind;
    /* What the variable's own validator singles out is a value, not a
     * placeholder: SMTP_TLS=none, REPORT_TZ=<+0330>-3:30. (A validator
     * that takes any word, such as the SMTP user's, does not count.) */
    const struct env_var *v = doc_env_validator(name);
    struct strbuf why;
    sb_init(&why);
    bool chosen = v && v->check(value, &why) && !v->check("placeholder", &why);
    sb_free(&why);
    return chosen ? NULL : kind;
}

/* A value usable for the syntax and consistency checks. */
static const char *usable(const struct dotenv *env, const char *name)
{
    const char *v = doc_dotenv_get(env, name);
    return v && *v && !doc_placeholder_kind(name, v) ? v : NULL;
}

/* Supabase connection rules that span variables. The session pooler
 * (aws-0-<region>.pooler.supabase.com) routes by the user name suffix
 * ".<project-ref>"; the direct host db.<ref>.supabase.co takes plain role
 * names. A mismatch fails only at connect time with a confusing message. */
static void supabase_consistency(const struct dotenv *env, struct issues *is)
{
    const char *url = usable(env, "SUPABASE_URL");
    const char *host = usable(env, "SUPABASE_DB_HOST");
    const char *guser = usable(env, "SUPABASE_GRAFANA_USER");
    const char *dsn = usable(env, "QUEUE_EXPORTER_DSN");
    char ref[64] = "";
    if (!url || !supabase_url_ref(url, ref, sizeof(ref)))
        ref[0] = '\0';
    if (!host)
        return;
    char *euser = dsn ? pg_conninfo_value(dsn, "user") : NULL;
    bool pooler = str_ends_with(host, ".pooler.supabase.com");
    bool direct = str_starts_with(host, "db.") && str_ends_with(host, ".supabase.co");
    if (direct && ref[0]) {
        char want[128];
        snprintf(want, sizeof(want), "db.%s.supabase.co", ref);
        if (strcmp(host, want) != 0)
            add_issue(is, "SUPABASE_DB_HOST",
                      doc_xasprintf("SUPABASE_DB_HOST=%s is not the database of SUPABASE_URL "
                                    "(project %s)",
                                    host, ref),
                      "use the host of the same project: db.<ref>.supabase.co");
    }
    struct {
        const char *var;
        const char *user;
    } users[] = {{"SUPABASE_GRAFANA_USER", guser}, {"QUEUE_EXPORTER_DSN", euser}};
    for (size_t i = 0; i < 2; i++) {
        const char *u = users[i].user;
        if (!u)
            continue;
        const char *dot = strchr(u, '.');
        if (pooler) {
            if (!dot) {
                char *fix = ref[0] ? doc_xasprintf("use user %s.%s with the pooler", u, ref)
                                   : doc_xasprintf("use user %s.<project-ref> with the pooler", u);
                add_issue(is, users[i].var,
                          doc_xasprintf("%s: user %s has no .<project-ref> suffix, which the "
                                        "session pooler needs to find the project",
                                        users[i].var, u),
                          fix);
                free(fix);
            } else if (ref[0] && strcmp(dot + 1, ref) != 0) {
                char *fix = doc_xasprintf("use user %.*s.%s", (int)(dot - u), u, ref);
                add_issue(is, users[i].var,
                          doc_xasprintf("%s: user %s names project %s, SUPABASE_URL names %s",
                                        users[i].var, u, dot + 1, ref),
                          fix);
                free(fix);
            }
        } else if (direct && dot) {
            char *fix = doc_xasprintf("use user %.*s on the direct host", (int)(dot - u), u);
            add_issue(is, users[i].var,
                      doc_xasprintf("%s: user %s has a .<ref> suffix, which only the pooler "
                                    "accepts; %s is the direct host",
                                    users[i].var, u, host),
                      fix);
            free(fix);
        }
    }
    free(euser);
}

/* Compose hands the exporter QUEUE_EXPORTER_DSN and no PG* variables:
 * whatever the DSN leaves out, libpq would take from its own defaults (the
 * container's user name, a Unix socket), never what was meant. */
static void dsn_complete(const struct dotenv *env, struct issues *is)
{
    const char *dsn = usable(env, "QUEUE_EXPORTER_DSN");
    struct strbuf missing;
    sb_init(&missing);
    if (!dsn || !pg_check_conninfo(dsn, &missing)) { /* already reported */
        sb_free(&missing);
        return;
    }
    const char *keys[] = {"host", "user", "password", "dbname", "sslmode"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char *val = pg_conninfo_value(dsn, keys[i]);
        if (!val)
            doc_sb_list_add(&missing, ", ", "%s", keys[i]);
        free(val);
    }
    if (missing.len)
        add_issue(is, "QUEUE_EXPORTER_DSN",
                  doc_xasprintf("QUEUE_EXPORTER_DSN lacks %s", sb_str(&missing)),
                  doc_var_spec_find("QUEUE_EXPORTER_DSN")->fix);
    sb_free(&missing);
}

/* The rules across SMTP_TLS, SMTP_PORT, SMTP_HOST and the credentials
 * (src/common/smtpconf.h), on the values compose passes: the daily
 * report's cleartext rule, and the TLS Alertmanager can speak on that port
 * (the one config-init renders its smarthost with: what passes here
 * renders). */
static void smtp_consistency(const struct dotenv *env, struct issues *is)
{
    const char *host = usable(env, "SMTP_HOST"), *port = usable(env, "SMTP_PORT");
    enum smtp_tls tls;
    int p = 0;
    if ((port && !valid_port(port, &p)) || smtp_tls_resolve(usable(env, "SMTP_TLS"), p, &tls) != 0)
        return; /* already reported */
    struct strbuf why;
    sb_init(&why);
    if (!smtp_check_alertmanager(tls, p ? p : smtp_tls_default_port(tls), &why))
        add_issue(is, "SMTP_TLS", doc_sb_xtake(&why),
                  "SMTP_TLS=tls only on port 465; starttls or none on any other port");
    if (host && !smtp_check_cleartext(tls, host, usable(env, "SMTP_USER") != NULL, &why))
        add_issue(is, "SMTP_TLS", doc_sb_xtake(&why), "SMTP_TLS=starttls (or tls on port 465)");
    sb_free(&why);
}

size_t doc_envspec_format_issues(const struct dotenv *env, struct format_issue **out)
{
    struct issues is = {NULL, 0, 0};
    /* Duplicates and '$' first: they concern the file as compose reads it. */
    for (size_t i = 0; i < env->n; i++) {
        const struct dotenv_entry *e = &env->entries[i];
        if (e->duplicate_of)
            add_issue(&is, e->key,
                      doc_xasprintf("%s is set twice (lines %d and %d); the last one wins", e->key,
                                    e->duplicate_of, e->line),
                      "keep one definition");
        if (e->expands) {
            char *fix = doc_xasprintf("put the value in single quotes: %s='...'", e->key);
            add_issue(&is, e->key,
                      doc_xasprintf("%s contains '$', which docker compose expands as a variable "
                                    "(the value would change)",
                                    e->key),
                      fix);
            free(fix);
        }
    }
    for (size_t i = 0; i < doc_var_specs_count; i++) {
        const struct env_var *s = &doc_var_specs[i];
        const struct env_var *check = doc_env_validator(s->name);
        const char *v = usable(env, s->name);
        if (!v || !check)
            continue;
        struct strbuf why;
        sb_init(&why);
        if (!check->check(v, &why)) {
            char *msg = (s->flags & ENV_SECRET)
                            ? doc_xasprintf("%s %s", s->name, sb_str(&why))
                            : doc_xasprintf("%s=%s %s", s->name, v, sb_str(&why));
            add_issue(&is, s->name, msg, s->fix);
        }
        sb_free(&why);
    }
    dsn_complete(env, &is);
    smtp_consistency(env, &is);
    supabase_consistency(env, &is);
    const char *receiver = usable(env, "WATCHDOG_RECEIVER");
    /* An empty WATCHER_TOKEN is reported by the watcher group (it cannot
     * probe without one), like every other empty secret of .env.example. */
    if (receiver && !strcmp(receiver, "watchdog-watcher") && !usable(env, "WATCHER_URL"))
        add_issue(&is, "WATCHER_URL",
                  doc_xasprintf("WATCHDOG_RECEIVER=watchdog-watcher needs WATCHER_URL, which is "
                                "empty: the Watchdog would reach no watcher"),
                  "set WATCHER_URL and WATCHER_TOKEN (docs/watcher.md), or "
                  "WATCHDOG_RECEIVER=watchdog-webhook/watchdog-off");
    if (receiver && !strcmp(receiver, "watchdog-webhook") && !usable(env, "WATCHDOG_URL"))
        add_issue(&is, "WATCHDOG_URL",
                  doc_xasprintf("WATCHDOG_RECEIVER=watchdog-webhook needs WATCHDOG_URL, which is "
                                "empty: the Watchdog would go nowhere"),
                  "set WATCHDOG_URL to the dead-man's switch ping URL, or "
                  "WATCHDOG_RECEIVER=watchdog-off");
    *out = is.v;
    return is.n;
}

static const struct format_issue *sort_base;

/* By name, then by position: a stable grouping. */
static int by_name_then_index(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = strcmp(sort_base[i].name, sort_base[j].name);
    return c ? c : (i > j) - (i < j);
}

size_t *doc_format_issues_grouped(const struct format_issue *v, size_t n)
{
    size_t *idx = doc_xrealloc(NULL, n ? n : 1, sizeof(*idx));
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    /* qsort has no context argument; the doctor is single-threaded. */
    sort_base = v;
    qsort(idx, n, sizeof(*idx), by_name_then_index);
    sort_base = NULL;
    /* Runs of one name; each run's first element is its first appearance. */
    size_t *first = doc_xrealloc(NULL, n ? n : 1, sizeof(*first)); /* per issue */
    for (size_t k = 0; k < n; k++)
        first[idx[k]] =
            k > 0 && !strcmp(v[idx[k]].name, v[idx[k - 1]].name) ? first[idx[k - 1]] : idx[k];
    /* Stable order of runs by first appearance: sort again by (first, index). */
    size_t *order = doc_xrealloc(NULL, n ? n : 1, sizeof(*order));
    size_t *count = calloc(n ? n : 1, sizeof(*count));
    if (!count)
        abort();
    for (size_t i = 0; i < n; i++)
        count[first[i]]++;
    /* Counting sort: start offset of each first-index bucket. */
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        size_t c = count[i];
        count[i] = pos;
        pos += c;
    }
    for (size_t i = 0; i < n; i++)
        order[count[first[i]]++] = i;
    free(count);
    free(first);
    free(idx);
    return order;
}
