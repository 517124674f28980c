#include "conninfo.h"

#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void qe_redact_quoted(const char *msg, char *out, size_t outsz)
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

static int dsn_sets(PQconninfoOption *opts, const char *keyword)
{
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (strcmp(o->keyword, keyword) == 0)
            return o->val != NULL && o->val[0] != '\0';
    return 0;
}

static int env_sets(qe_getenv_fn env, const char *name)
{
    const char *v = name ? env(name) : NULL;
    return v != NULL && v[0] != '\0';
}

int qe_conninfo_build(struct qe_conninfo *ci, const char *dsn, double connect_timeout_s,
                      qe_getenv_fn env, char *err, size_t errsz)
{
    memset(ci, 0, sizeof(*ci));
    PQconninfoOption *opts = NULL;
    if (dsn && dsn[0]) {
        char *perr = NULL;
        opts = PQconninfoParse(dsn, &perr);
        if (!opts) {
            char clean[256];
            qe_redact_quoted(perr ? perr : "out of memory", clean, sizeof(clean));
            snprintf(err, errsz,
                     "QUEUE_EXPORTER_DSN is not a valid libpq connection string or URI: %s", clean);
            PQfreemem(perr);
            return -1;
        }
    }

    double t = ceil(connect_timeout_s);
    snprintf(ci->connect_timeout, sizeof(ci->connect_timeout), "%d", t < 2 ? 2 : (int)t);

    /* Default, the PG* variable that overrides it (NULL: none), value. */
    const struct {
        const char *keyword, *envvar, *value;
    } defaults[] = {
        {"sslmode", "PGSSLMODE", "require"},
        /* Supabase offers no GSSAPI; trying it costs a round trip and loads
         * Kerberos (its configuration and memory) for nothing. */
        {"gssencmode", "PGGSSENCMODE", "disable"},
        {"connect_timeout", "PGCONNECT_TIMEOUT", ci->connect_timeout},
        {"keepalives", NULL, "1"},
        {"keepalives_idle", NULL, "30"},
        {"keepalives_interval", NULL, "10"},
        {"keepalives_count", NULL, "3"},
        /* Bounds how long unacknowledged data may sit on a dead link (ms). */
        {"tcp_user_timeout", NULL, "30000"},
        {"application_name", "PGAPPNAME", "queue-exporter"},
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        if (dsn_sets(opts, defaults[i].keyword) || env_sets(env, defaults[i].envvar))
            continue;
        ci->keywords[n] = defaults[i].keyword;
        ci->values[n] = defaults[i].value;
        n++;
    }
    PQconninfoFree(opts);
    if (dsn && dsn[0]) {
        /* expand_dbname=1 expands this into the DSN's parameters. */
        ci->keywords[n] = "dbname";
        ci->values[n] = dsn;
        n++;
    }
    ci->keywords[n] = NULL;
    ci->values[n] = NULL;
    return 0;
}

const char *qe_conninfo_get(const struct qe_conninfo *ci, const char *keyword)
{
    for (size_t i = 0; ci->keywords[i]; i++)
        if (strcmp(ci->keywords[i], keyword) == 0)
            return ci->values[i];
    return NULL;
}
