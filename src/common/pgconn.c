#include "pgconn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpconf.h"
#include "strutil.h"

void pg_redact_quoted(const char *msg, char *out, size_t outsz)
{
    size_t n = 0;
    int in_quote = 0;
    if (outsz == 0)
        return;
    for (const char *p = msg; *p && n + 1 < outsz; p++) {
        if (*p == '"') {
            if (!in_quote && n + 5 < outsz) {
                memcpy(out + n, "\"...\"", 5);
                n += 5;
            }
            in_quote = !in_quote;
            continue;
        }
        if (!in_quote)
            out[n++] = (*p == '\n') ? ' ' : *p;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

void pg_error_line(const char *msg, unsigned flags, char *out, size_t outsz)
{
    struct strbuf b;
    sb_init(&b);
    for (const char *p = msg ? msg : ""; *p;) {
        size_t n = strcspn(p, "\r\n");
        const char *line = p;
        size_t len = n;
        while (len && (*line == ' ' || *line == '\t')) {
            line++;
            len--;
        }
        const char *f = strstr(line, " failed: ");
        if ((flags & PG_ERR_DROP_WHERE) && str_starts_with(line, "connection to server") && f &&
            (size_t)(f - line) < len) {
            len -= (size_t)(f + 9 - line);
            line = f + 9;
        }
        while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
            len--;
        if (len)
            sb_printf(&b, "%s%.*s", b.len ? "; " : "", (int)len, line);
        p += n;
        while (*p == '\r' || *p == '\n')
            p++;
    }
    snprintf(out, outsz, "%s", b.len ? sb_str(&b) : "unknown libpq error");
    sb_free(&b);
}

static int dsn_sets(PQconninfoOption *opts, const char *keyword)
{
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (strcmp(o->keyword, keyword) == 0)
            return o->val != NULL && o->val[0] != '\0';
    return 0;
}

static int env_sets(env_get_fn env, const char *name)
{
    const char *v = env && name ? env(name) : NULL;
    return v != NULL && v[0] != '\0';
}

static PQconninfoOption *parse_dsn(const char *dsn, const char *dsn_name, char *err, size_t errsz)
{
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(dsn, &perr);
    if (!opts) {
        char clean[256];
        pg_redact_quoted(perr ? perr : "out of memory", clean, sizeof(clean));
        snprintf(err, errsz, "%s is not a valid libpq connection string or URI: %s",
                 dsn_name ? dsn_name : "the DSN", clean);
    }
    PQfreemem(perr);
    return opts;
}

int pg_params_build(struct pg_params *p, const char *dsn, const char *dsn_name,
                    const struct pg_defaults *d, env_get_fn env, char *err, size_t errsz)
{
    memset(p, 0, sizeof(*p));
    PQconninfoOption *opts = NULL;
    if (dsn && dsn[0] && !(opts = parse_dsn(dsn, dsn_name, err, errsz)))
        return -1;
    double t = ceil(d->connect_timeout_s);
    snprintf(p->connect_timeout, sizeof(p->connect_timeout), "%d", t < 2 ? 2 : (int)t);
    /* Default, the PG* variable that overrides it (NULL: none), value. */
    const struct {
        const char *keyword, *envvar, *value;
    } defaults[] = {
        {"sslmode", "PGSSLMODE", d->sslrootcert ? "verify-full" : "require"},
        {"sslrootcert", "PGSSLROOTCERT", d->sslrootcert},
        /* Supabase offers no GSSAPI; trying it costs a round trip and loads
         * Kerberos (its configuration and memory) for nothing. */
        {"gssencmode", "PGGSSENCMODE", "disable"},
        {"connect_timeout", "PGCONNECT_TIMEOUT", p->connect_timeout},
        {"keepalives", NULL, "1"},
        {"keepalives_idle", NULL, "30"},
        {"keepalives_interval", NULL, "10"},
        {"keepalives_count", NULL, "3"},
        /* Bounds how long unacknowledged data may sit on a dead link (ms). */
        {"tcp_user_timeout", NULL, "30000"},
        {"application_name", "PGAPPNAME", d->application_name},
    };
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        if (!defaults[i].value || dsn_sets(opts, defaults[i].keyword) ||
            env_sets(env, defaults[i].envvar))
            continue;
        p->keywords[p->n] = defaults[i].keyword;
        p->values[p->n] = defaults[i].value;
        p->n++;
    }
    PQconninfoFree(opts);
    p->dsn = dsn && dsn[0] ? dsn : NULL;
    if (p->dsn) {
        /* expand_dbname=1 expands this into the DSN's parameters, which
         * override everything before it. */
        p->keywords[p->n] = "dbname";
        p->values[p->n] = p->dsn;
        p->tail = 1;
    }
    return 0;
}

int pg_params_set(struct pg_params *p, const char *keyword, const char *value)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->keywords[i], keyword) == 0) {
            p->values[i] = value;
            return 0;
        }
    if (p->n + 1 >= PG_PARAMS_MAX)
        return -1;
    /* The DSN and the overrides, if any, stay after it. */
    memmove(&p->keywords[p->n + 1], &p->keywords[p->n], p->tail * sizeof(p->keywords[0]));
    memmove(&p->values[p->n + 1], &p->values[p->n], p->tail * sizeof(p->values[0]));
    p->keywords[p->n] = keyword;
    p->values[p->n] = value;
    p->n++;
    return 0;
}

int pg_params_override(struct pg_params *p, const char *keyword, const char *value)
{
    size_t first = p->n + (p->dsn ? 1 : 0);
    for (size_t i = first; i < p->n + p->tail; i++)
        if (strcmp(p->keywords[i], keyword) == 0) {
            p->values[i] = value;
            return 0;
        }
    if (p->n + p->tail >= first + PG_OVERRIDES_MAX)
        return -1;
    p->keywords[p->n + p->tail] = keyword;
    p->values[p->n + p->tail] = value;
    p->tail++;
    return 0;
}

const char *pg_params_get(const struct pg_params *p, const char *keyword)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->keywords[i], keyword) == 0)
            return p->values[i];
    return NULL;
}

char *pg_conninfo_value(const char *dsn, const char *keyword)
{
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(dsn, &perr);
    PQfreemem(perr);
    char *out = NULL;
    for (PQconninfoOption *o = opts; o && o->keyword && !out; o++)
        if (!strcmp(o->keyword, keyword) && o->val && *o->val)
            out = strdup(o->val);
    PQconninfoFree(opts);
    return out;
}

PGconn *pg_connect(const struct pg_params *p, char *err, size_t errsz)
{
    PGconn *c = PQconnectdbParams(p->keywords, p->values, p->dsn ? 1 : 0);
    if (c && PQstatus(c) == CONNECTION_OK)
        return c;
    pg_error_line(c ? PQerrorMessage(c) : "out of memory", PG_ERR_KEEP_WHERE, err, errsz);
    PQfinish(c);
    return NULL;
}

/* Loopback or a Unix socket directory: nothing crosses a network. */
static bool local_host(const char *hosts)
{
    char one[256];
    for (const char *h = hosts; *h;) {
        size_t n = strcspn(h, ",");
        snprintf(one, sizeof(one), "%.*s", (int)n, h);
        if (one[0] != '/' && one[0] != '@' && !smtp_host_is_loopback(one))
            return false;
        h += n + (h[n] == ',');
    }
    return true;
}

bool pg_check_conninfo(const char *v, struct strbuf *why)
{
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(v, &perr);
    PQfreemem(perr); /* it quotes the string, which holds the password */
    if (!opts) {
        sb_puts(why, "is not a valid libpq connection string or URI (key=value pairs or "
                     "postgresql://...)");
        return false;
    }
    const char *sslmode = NULL, *host = NULL;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !*o->val)
            continue;
        if (!strcmp(o->keyword, "sslmode"))
            sslmode = o->val;
        else if (!strcmp(o->keyword, "host") || (!host && !strcmp(o->keyword, "hostaddr")))
            host = o->val;
    }
    static const char *const modes[] = {"disable", "allow",     "prefer",
                                        "require", "verify-ca", "verify-full"};
    size_t m = 0;
    while (sslmode && m < 6 && strcmp(sslmode, modes[m]) != 0)
        m++;
    bool ok = true;
    if (sslmode && m == 6) {
        sb_printf(why, "has sslmode=%s; use require, verify-ca or verify-full", sslmode);
        ok = false;
    } else if (sslmode && m < 3 && host && !local_host(host)) {
        sb_printf(why,
                  "has sslmode=%s towards %s: the password could cross the network "
                  "unencrypted; use require, verify-ca or verify-full",
                  sslmode, host);
        ok = false;
    }
    PQconninfoFree(opts);
    return ok;
}
