#include "envspec.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

#define ZONEINFO "/usr/share/zoneinfo"

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

static bool chk_hostname(const char *v, struct strbuf *why)
{
    if (str_starts_with(v, "http://") || str_starts_with(v, "https://")) {
        sb_puts(why, "must be a bare host name, without http:// or https://");
        return false;
    }
    if (!valid_hostname(v)) {
        sb_puts(why, "is not a valid host name");
        return false;
    }
    return true;
}

static bool chk_host_or_ip(const char *v, struct strbuf *why)
{
    if (valid_ip(v))
        return true;
    return chk_hostname(v, why);
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

static bool chk_smtp_port(const char *v, struct strbuf *why)
{
    int port;
    if (!valid_port(v, &port)) {
        sb_puts(why, "is not a port number (1-65535)");
        return false;
    }
    if (port == 25) {
        /* Most VPS providers block outbound 25, and Mailgun's 25 is for
         * server-to-server relay; submission ports are 587 / 465. */
        sb_puts(why, "is the relay port, usually blocked for VPSes; use 587 (STARTTLS)");
        return false;
    }
    return true;
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

static bool chk_email(const char *v, struct strbuf *why)
{
    if (!valid_email(v, true)) {
        sb_puts(why, "is not an email address (name@domain or Name <name@domain>)");
        return false;
    }
    return true;
}

static bool chk_email_list(const char *v, struct strbuf *why)
{
    if (!valid_email_list(v)) {
        sb_puts(why, "is not a comma-separated list of email addresses");
        return false;
    }
    return true;
}

static bool chk_watchdog_receiver(const char *v, struct strbuf *why)
{
    /* The receivers alertmanager/alertmanager.yml defines. */
    if (strcmp(v, "watchdog-off") != 0 && strcmp(v, "watchdog-webhook") != 0) {
        sb_puts(why, "must be watchdog-off or watchdog-webhook");
        return false;
    }
    return true;
}

static bool chk_url(const char *v, struct strbuf *why)
{
    const char *h = str_starts_with(v, "https://")  ? v + 8
                    : str_starts_with(v, "http://") ? v + 7
                                                    : NULL;
    char host[300];
    size_t hl = h ? strcspn(h, "/?#") : 0;
    if (!h || hl == 0 || hl >= sizeof(host)) {
        sb_puts(why, "is not an http(s):// URL");
        return false;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    if (!valid_host_port(host)) {
        sb_puts(why, "is not an http(s):// URL");
        return false;
    }
    return true;
}

static bool chk_tz(const char *v, struct strbuf *why)
{
    if (!valid_tz_name(v, ZONEINFO)) {
        sb_puts(why, "is not a time zone name (e.g. Europe/Paris)");
        return false;
    }
    return true;
}

static bool chk_hhmm(const char *v, struct strbuf *why)
{
    if (!valid_hhmm(v)) {
        sb_puts(why, "is not a time HH:MM (24-hour)");
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

static bool chk_dsn(const char *v, struct strbuf *why)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(v, &err);
    if (!opts) {
        /* libpq's message quotes the string, which holds the password. */
        PQfreemem(err);
        sb_puts(why, "is not a libpq connection string (key=value pairs or a "
                     "postgresql:// URI)");
        return false;
    }
    const char *host = NULL, *user = NULL, *password = NULL, *dbname = NULL, *sslmode = NULL;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !*o->val)
            continue;
        if (!strcmp(o->keyword, "host") || !strcmp(o->keyword, "hostaddr"))
            host = o->val;
        else if (!strcmp(o->keyword, "user"))
            user = o->val;
        else if (!strcmp(o->keyword, "password"))
            password = o->val;
        else if (!strcmp(o->keyword, "dbname"))
            dbname = o->val;
        else if (!strcmp(o->keyword, "sslmode"))
            sslmode = o->val;
    }
    struct strbuf missing;
    sb_init(&missing);
    if (!host)
        sb_list_add(&missing, ", ", "host");
    if (!user)
        sb_list_add(&missing, ", ", "user");
    if (!password)
        sb_list_add(&missing, ", ", "password");
    if (!dbname)
        sb_list_add(&missing, ", ", "dbname");
    if (!sslmode)
        sb_list_add(&missing, ", ", "sslmode");
    bool ok = true;
    if (missing.len) {
        sb_printf(why, "lacks %s", sb_str(&missing));
        ok = false;
    } else if (strcmp(sslmode, "require") && strcmp(sslmode, "verify-ca") &&
               strcmp(sslmode, "verify-full")) {
        sb_printf(why, "has sslmode=%s; use require, verify-ca or verify-full", sslmode);
        ok = false;
    }
    sb_free(&missing);
    PQconninfoFree(opts);
    return ok;
}

const struct var_spec var_specs[] = {
    {"MONITORING_CLUSTER", VAR_REQUIRED, chk_label, "e.g. MONITORING_CLUSTER=ecotrans-prod"},
    {"PROMETHEUS_REPLICA", VAR_REQUIRED, chk_label, "e.g. PROMETHEUS_REPLICA=0"},
    {"GRAFANA_ADMIN_PASSWORD", VAR_REQUIRED | VAR_SECRET, chk_password16,
     "generate one: openssl rand -base64 24 (Grafana applies it at its first start only; to "
     "change it later: docker compose up -d config-init && docker compose exec -T grafana sh "
     "-c 'grafana cli admin reset-admin-password --password-from-stdin < "
     "/run/monitoring/admin_password')"},
    {"GRAFANA_DOMAIN", VAR_REQUIRED, chk_hostname, "e.g. GRAFANA_DOMAIN=monitoring.ecotrans.eu"},
    {"GRAFANA_SITE", VAR_REQUIRED, chk_site,
     "the domain in production, https://<test-vps-ip> on the test VPS"},
    {"CADDY_TLS", VAR_REQUIRED, chk_caddy_tls,
     "the ACME account email in production, internal on the test VPS"},
    {"SMTP_HOST", VAR_REQUIRED, chk_hostname, "e.g. SMTP_HOST=smtp.eu.mailgun.org"},
    {"SMTP_PORT", VAR_REQUIRED, chk_smtp_port, "SMTP_PORT=587 (STARTTLS) or 465 (TLS)"},
    {"SMTP_USER", VAR_REQUIRED, chk_nonblank, "the SMTP login, e.g. postmaster@mg.ecotrans.eu"},
    {"SMTP_PASSWORD", VAR_REQUIRED | VAR_SECRET, NULL, "the SMTP password of SMTP_USER"},
    {"SMTP_FROM", VAR_REQUIRED, chk_email, "e.g. SMTP_FROM=monitoring@mg.ecotrans.eu"},
    {"ALERT_EMAIL_TO", VAR_REQUIRED, chk_email_list, "e.g. ALERT_EMAIL_TO=ops@ecotrans.eu"},
    {"REPORT_EMAIL_TO", VAR_REQUIRED, chk_email_list,
     "e.g. REPORT_EMAIL_TO=ops@ecotrans.eu,boss@ecotrans.eu"},
    {"WATCHDOG_RECEIVER", VAR_OPTIONAL, chk_watchdog_receiver,
     "watchdog-off, or watchdog-webhook with WATCHDOG_URL (docs/alerts.md#watchdog)"},
    {"WATCHDOG_URL", VAR_SECRET, chk_url,
     "the dead-man's switch ping URL, e.g. https://hc-ping.com/<uuid>"},
    {"REPORT_TZ", VAR_REQUIRED, chk_tz, "e.g. REPORT_TZ=Europe/Paris"},
    {"REPORT_TIME", VAR_REQUIRED, chk_hhmm, "e.g. REPORT_TIME=08:00"},
    {"SERVER_F_PUBLIC_IP", VAR_REQUIRED, chk_ip,
     "this server's public address, e.g. from: "
     "curl -4 ifconfig.me"},
    {"WASABI_ACCESS_KEY", VAR_REQUIRED | VAR_SECRET, chk_access_key,
     "the access key id of the bucket-scoped Wasabi key"},
    {"WASABI_SECRET_KEY", VAR_REQUIRED | VAR_SECRET, chk_nonblank,
     "the secret key shown once when the Wasabi key was created"},
    {"WASABI_BUCKET", VAR_REQUIRED, chk_bucket, "e.g. WASABI_BUCKET=ecotrans-monitoring"},
    {"WASABI_REGION", VAR_REQUIRED, chk_region, "e.g. WASABI_REGION=eu-central-1"},
    {"WASABI_ENDPOINT", VAR_REQUIRED, chk_endpoint,
     "e.g. WASABI_ENDPOINT=s3.eu-central-1.wasabisys.com"},
    {"SUPABASE_URL", VAR_REQUIRED, chk_supabase_url,
     "https://<project-ref>.supabase.co (Project Settings > API)"},
    {"SUPABASE_SERVICE_KEY", VAR_SECRET, chk_service_key,
     "the service_role key (Project Settings > API), or empty"},
    {"SUPABASE_DB_HOST", VAR_REQUIRED, chk_host_or_ip,
     "db.<ref>.supabase.co, or aws-0-<region>.pooler.supabase.com on IPv4-only servers"},
    {"SUPABASE_DB_PORT", VAR_REQUIRED, chk_db_port, "SUPABASE_DB_PORT=5432"},
    {"SUPABASE_GRAFANA_USER", VAR_REQUIRED, chk_role,
     "grafana_readonly (direct host) or grafana_readonly.<ref> (pooler)"},
    {"SUPABASE_GRAFANA_PASSWORD", VAR_REQUIRED | VAR_SECRET, NULL,
     "the password given to sql/roles.sql for grafana_readonly"},
    {"SUPABASE_SSLMODE", VAR_REQUIRED, chk_sslmode,
     "SUPABASE_SSLMODE=verify-full (with SUPABASE_CA_CERT), or require"},
    {"SUPABASE_CA_CERT", VAR_OPTIONAL, chk_nonblank,
     "SUPABASE_CA_CERT=./supabase-ca.crt (Supabase's CA certificate, in the repository "
     "directory)"},
    {"QUEUE_EXPORTER_DSN", VAR_REQUIRED | VAR_SECRET, chk_dsn,
     "host=<db host> port=5432 dbname=postgres user=queue_exporter password=... "
     "sslmode=require"},
};
const size_t var_specs_count = sizeof(var_specs) / sizeof(var_specs[0]);

const struct var_spec *var_spec_find(const char *name)
{
    for (size_t i = 0; i < var_specs_count; i++)
        if (strcmp(var_specs[i].name, name) == 0)
            return &var_specs[i];
    return NULL;
}

bool var_is_secret(const char *name)
{
    const struct var_spec *s = var_spec_find(name);
    if (s)
        return (s->flags & VAR_SECRET) != 0;
    const char *words[] = {"PASSWORD", "PASSWD", "SECRET", "KEY", "TOKEN", "DSN", "CREDENTIAL"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strstr(name, words[i]))
            return true;
    return false;
}

struct issues {
    struct format_issue *v;
    size_t n;
};

static void add_issue(struct issues *is, const char *name, char *message, const char *fix)
{
    is->v = xrealloc(is->v, is->n + 1, sizeof(*is->v));
    is->v[is->n].name = xstrdup(name);
    is->v[is->n].message = message;
    is->v[is->n].fix = xstrdup(fix);
    is->n++;
}

void format_issues_free(struct format_issue *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].message);
        free(v[i].fix);
    }
    free(v);
}

/* A value usable for the syntax and consistency checks. */
static const char *usable(const struct dotenv *env, const char *name)
{
    const char *v = dotenv_get(env, name);
    return v && *v && !placeholder_kind(v) ? v : NULL;
}

/* The user= of a conninfo string (caller frees), or NULL. */
static char *dsn_field(const char *dsn, const char *key)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(dsn, &err);
    PQfreemem(err);
    if (!opts)
        return NULL;
    char *out = NULL;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (!strcmp(o->keyword, key) && o->val && *o->val)
            out = xstrdup(o->val);
    PQconninfoFree(opts);
    return out;
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
    char *euser = dsn ? dsn_field(dsn, "user") : NULL;
    bool pooler = str_ends_with(host, ".pooler.supabase.com");
    bool direct = str_starts_with(host, "db.") && str_ends_with(host, ".supabase.co");
    if (direct && ref[0]) {
        char want[128];
        snprintf(want, sizeof(want), "db.%s.supabase.co", ref);
        if (strcmp(host, want) != 0)
            add_issue(is, "SUPABASE_DB_HOST",
                      xasprintf("SUPABASE_DB_HOST=%s is not the database of SUPABASE_URL "
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
                char *fix = ref[0] ? xasprintf("use user %s.%s with the pooler", u, ref)
                                   : xasprintf("use user %s.<project-ref> with the pooler", u);
                add_issue(is, users[i].var,
                          xasprintf("%s: user %s has no .<project-ref> suffix, which the "
                                    "session pooler needs to find the project",
                                    users[i].var, u),
                          fix);
                free(fix);
            } else if (ref[0] && strcmp(dot + 1, ref) != 0) {
                char *fix = xasprintf("use user %.*s.%s", (int)(dot - u), u, ref);
                add_issue(is, users[i].var,
                          xasprintf("%s: user %s names project %s, SUPABASE_URL names %s",
                                    users[i].var, u, dot + 1, ref),
                          fix);
                free(fix);
            }
        } else if (direct && dot) {
            char *fix = xasprintf("use user %.*s on the direct host", (int)(dot - u), u);
            add_issue(is, users[i].var,
                      xasprintf("%s: user %s has a .<ref> suffix, which only the pooler "
                                "accepts; %s is the direct host",
                                users[i].var, u, host),
                      fix);
            free(fix);
        }
    }
    free(euser);
}

size_t envspec_format_issues(const struct dotenv *env, struct format_issue **out)
{
    struct issues is = {NULL, 0};
    /* Duplicates and '$' first: they concern the file as compose reads it. */
    for (size_t i = 0; i < env->n; i++) {
        const struct dotenv_entry *e = &env->entries[i];
        if (e->duplicate_of)
            add_issue(&is, e->key,
                      xasprintf("%s is set twice (lines %d and %d); the last one wins", e->key,
                                e->duplicate_of, e->line),
                      "keep one definition");
        if (e->expands) {
            char *fix = xasprintf("put the value in single quotes: %s='...'", e->key);
            add_issue(&is, e->key,
                      xasprintf("%s contains '$', which docker compose expands as a variable "
                                "(the value would change)",
                                e->key),
                      fix);
            free(fix);
        }
    }
    for (size_t i = 0; i < var_specs_count; i++) {
        const struct var_spec *s = &var_specs[i];
        const char *v = usable(env, s->name);
        if (!v || !s->check)
            continue;
        struct strbuf why;
        sb_init(&why);
        if (!s->check(v, &why)) {
            char *msg = (s->flags & VAR_SECRET) ? xasprintf("%s %s", s->name, sb_str(&why))
                                                : xasprintf("%s=%s %s", s->name, v, sb_str(&why));
            add_issue(&is, s->name, msg, s->fix);
        }
        sb_free(&why);
    }
    supabase_consistency(env, &is);
    const char *receiver = usable(env, "WATCHDOG_RECEIVER");
    if (receiver && !strcmp(receiver, "watchdog-webhook") && !usable(env, "WATCHDOG_URL"))
        add_issue(&is, "WATCHDOG_URL",
                  xasprintf("WATCHDOG_RECEIVER=watchdog-webhook needs WATCHDOG_URL, which is "
                            "empty: the Watchdog would go nowhere"),
                  "set WATCHDOG_URL to the dead-man's switch ping URL, or "
                  "WATCHDOG_RECEIVER=watchdog-off");
    *out = is.v;
    return is.n;
}
