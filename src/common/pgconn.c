#include "pgconn.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smtpconf.h"
#include "strutil.h"

void pg_redact_quoted(const char *msg, char *out, size_t outsz)
{
    if (outsz == 0)
        return;
    /* libpq quotes DSN fragments inside fixed message templates, and a
     * fragment may itself hold quotes (a password with a "): so keep only
     * the text before the first quote and after the last one, never try
     * to pair them. */
    const char *first = strchr(msg, '"'), *last = strrchr(msg, '"');
    struct strbuf b;
    sb_init(&b);
    if (!first) {
        sb_puts(&b, msg);
    } else {
        sb_printf(&b, "%.*s\"...\"%s", (int)(first - msg), msg, last > first ? last + 1 : "");
    }
    size_t n = 0;
    for (const char *p = sb_str(&b); *p && n + 1 < outsz; p++)
        out[n++] = (*p == '\n' || *p == '\r') ? ' ' : *p;
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
    sb_free(&b);
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

double pg_mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits until fd is ready for events. PG_OK when ready, PG_TIMED_OUT,
 * PG_STOPPED, or PG_FAILED (poll error, err set). Short slices, so a stop
 * request is seen within 200 ms. */
static int wait_fd(int fd, short events, const struct pg_deadline *dl, char *err, size_t errsz)
{
    if (fd < 0) {
        snprintf(err, errsz, "the connection has no socket");
        return PG_FAILED;
    }
    for (;;) {
        if (dl->stop && dl->stop(dl->ctx)) {
            snprintf(err, errsz, "abandoned: the program is stopping");
            return PG_STOPPED;
        }
        double left = dl->at - pg_mono_now();
        if (left <= 0)
            return PG_TIMED_OUT;
        int ms = left > 0.2 ? 200 : (int)ceil(left * 1000);
        struct pollfd pfd = {.fd = fd, .events = events};
        int pr = poll(&pfd, 1, ms);
        if (pr > 0)
            return PG_OK;
        if (pr < 0 && errno != EINTR) {
            snprintf(err, errsz, "poll: %s", strerror(errno));
            return PG_FAILED;
        }
    }
}

PGconn *pg_connect_by(const struct pg_params *p, const struct pg_deadline *dl, int *why, char *err,
                      size_t errsz)
{
    int rc = PG_FAILED;
    PGconn *c = PQconnectStartParams(p->keywords, p->values, p->dsn ? 1 : 0);
    if (!c) {
        snprintf(err, errsz, "out of memory");
        goto fail;
    }
    /* PQconnectStart* behaves as if the last poll asked for writing. */
    PostgresPollingStatusType st =
        PQstatus(c) == CONNECTION_BAD ? PGRES_POLLING_FAILED : PGRES_POLLING_WRITING;
    while (st != PGRES_POLLING_OK) {
        if (st == PGRES_POLLING_FAILED) {
            pg_error_line(PQerrorMessage(c), PG_ERR_KEEP_WHERE, err, errsz);
            goto fail;
        }
        rc = wait_fd(PQsocket(c), st == PGRES_POLLING_READING ? POLLIN : POLLOUT, dl, err, errsz);
        if (rc == PG_TIMED_OUT)
            snprintf(err, errsz,
                     "no connection within the deadline (every host and address "
                     "together)");
        if (rc != PG_OK)
            goto fail;
        st = PQconnectPoll(c);
    }
    return c;
fail:
    PQfinish(c);
    if (why)
        *why = rc == PG_OK ? PG_FAILED : rc;
    return NULL;
}

int pg_await(PGconn *c, const struct pg_deadline *dl, PGresult **last, char *err, size_t errsz)
{
    int rc = PG_OK;
    if (last)
        *last = NULL;
    for (;;) {
        while (PQisBusy(c)) {
            int w = wait_fd(PQsocket(c), POLLIN, dl, err, errsz);
            if (w == PG_TIMED_OUT)
                snprintf(err, errsz, "no answer from the database within the deadline");
            if (w != PG_OK) {
                rc = w;
                goto out;
            }
            if (!PQconsumeInput(c)) {
                pg_error_line(PQerrorMessage(c), PG_ERR_KEEP_WHERE, err, errsz);
                rc = PG_FAILED;
                goto out;
            }
        }
        PGresult *res = PQgetResult(c);
        if (!res)
            break;
        ExecStatusType st = PQresultStatus(res);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            if (rc == PG_OK)
                pg_error_line(PQresultErrorMessage(res), PG_ERR_KEEP_WHERE, err, errsz);
            rc = PG_FAILED;
        }
        if (last && rc == PG_OK && st == PGRES_TUPLES_OK) {
            PQclear(*last);
            *last = res;
        } else {
            PQclear(res);
        }
    }
out:
    if (rc != PG_OK && last) {
        PQclear(*last);
        *last = NULL;
    }
    return rc;
}

int pg_exec_by(PGconn *c, const char *sql, int nparams, const char *const *params,
               const struct pg_deadline *dl, PGresult **last, char *err, size_t errsz)
{
    if (!PQsendQueryParams(c, sql, nparams, NULL, params, NULL, NULL, 0)) {
        pg_error_line(PQerrorMessage(c), PG_ERR_KEEP_WHERE, err, errsz);
        return PG_FAILED;
    }
    return pg_await(c, dl, last, err, errsz);
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
