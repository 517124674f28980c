/* libpq connections made one way by every program.
 *
 * Parameters go to PQconnectdbParams as keyword/value arrays, never pasted
 * into a conninfo string, so a password with a space, a quote or a
 * backslash arrives intact. A program's DSN (conninfo string or
 * postgresql:// URI, expanded by expand_dbname) comes last and overrides
 * the defaults, as does the matching PG* variable:
 *   sslmode=require (verify-full with sslrootcert when a CA file is
 *   configured), gssencmode=disable, connect_timeout, TCP keepalives,
 *   tcp_user_timeout, application_name.
 * Errors are one line. A DSN is never logged; libpq's parse errors quote
 * fragments of it (maybe the password), so those fragments are redacted.
 * pg_check_conninfo is the env-table validator of every DSN variable. */
#ifndef COMMON_PGCONN_H
#define COMMON_PGCONN_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "envvar.h"
#include "strbuf.h"

struct pg_defaults {
    const char *application_name; /* e.g. "queue-exporter" */
    double connect_timeout_s;     /* rounded up; libpq's minimum of 2 applies */
    /* Path of the CA certificate that signs the server's: sets sslrootcert
     * and makes the default sslmode verify-full. NULL: sslmode=require. */
    const char *sslrootcert;
};

#define PG_PARAMS_MAX 24

#define PG_OVERRIDES_MAX 2

/* keywords/values: NULL-terminated, ready for PQconnectdbParams (or
 * PQconnectStartParams) with expand_dbname = (dsn != NULL); the DSN, when
 * given, follows the defaults ("dbname"), so it overrides them. Only
 * pg_params_override's entries come after it (libpq keeps the last value
 * of a repeated keyword). */
struct pg_params {
    const char *keywords[PG_PARAMS_MAX + PG_OVERRIDES_MAX + 2];
    const char *values[PG_PARAMS_MAX + PG_OVERRIDES_MAX + 2];
    char connect_timeout[16];
    const char *dsn;
    size_t n;    /* entries before the DSN */
    size_t tail; /* entries from the DSN on: the DSN and the overrides */
};

/* dsn may be NULL or empty (then PG* variables and pg_params_set supply
 * the rest); dsn_name names it in messages. env is getenv-like (checks
 * which PG* variables override a default); NULL: none does. Returns 0, or
 * -1 with a message (no secret) in err. The result points into dsn and d:
 * keep them alive while p is used. */
int pg_params_build(struct pg_params *p, const char *dsn, const char *dsn_name,
                    const struct pg_defaults *d, env_get_fn env, char *err, size_t errsz);
/* Sets keyword to value (replacing a default), ahead of the DSN. Returns
 * 0, or -1 when the array is full. */
int pg_params_set(struct pg_params *p, const char *keyword, const char *value);
/* Sets keyword to value after the DSN, so it wins over the DSN's own
 * setting (e.g. the doctor applies the upgrade config-init makes to a
 * DSN's sslmode). Returns 0, or -1 when the overrides are full. */
int pg_params_override(struct pg_params *p, const char *keyword, const char *value);
/* The value keyword will get from the defaults and pg_params_set (not the
 * DSN), or NULL. */
const char *pg_params_get(const struct pg_params *p, const char *keyword);

/* The value dsn gives keyword (malloc'd), or NULL when it gives none or
 * does not parse. */
char *pg_conninfo_value(const char *dsn, const char *keyword);

/* Connects (blocking, bounded by connect_timeout per host and address).
 * Returns the connection, or NULL with the one-line reason in err. */
PGconn *pg_connect(const struct pg_params *p, char *err, size_t errsz);

/* One overall limit on a libpq exchange. libpq's connect_timeout applies
 * per host and per address (host=a,b,c tries each in turn) and a query has
 * no client-side limit at all, so a server or proxy that accepts and then
 * stops answering would hold the caller forever. These calls run libpq
 * asynchronously and poll its socket until `at` (CLOCK_MONOTONIC seconds,
 * pg_mono_now()), asking stop(ctx) at least every 200 ms, so a SIGTERM
 * ends them too. */
struct pg_deadline {
    double at;
    int (*stop)(void *ctx); /* non-zero: give up now; may be NULL */
    void *ctx;
};
double pg_mono_now(void);

enum { PG_OK = 0, PG_FAILED = -1, PG_TIMED_OUT = -2, PG_STOPPED = -3 };
/* As pg_connect, but all hosts and addresses together within dl. Host
 * names are still resolved with the system resolver (getaddrinfo is not
 * interruptible); /etc/resolv.conf's timeout bounds that. On failure *why
 * (may be NULL) says PG_FAILED, PG_TIMED_OUT or PG_STOPPED. */
PGconn *pg_connect_by(const struct pg_params *p, const struct pg_deadline *dl, int *why, char *err,
                      size_t errsz);
/* Waits for every result of the command sent last (PQsendQuery...). Keeps
 * the last tuples result in *last (may be NULL). Returns PG_OK, PG_FAILED
 * (a statement failed; the connection is usable once drained), or
 * PG_TIMED_OUT / PG_STOPPED: the connection is in an unknown state and
 * must be closed. */
int pg_await(PGconn *c, const struct pg_deadline *dl, PGresult **last, char *err, size_t errsz);
/* PQsendQueryParams (text parameters) + pg_await. */
int pg_exec_by(PGconn *c, const char *sql, int nparams, const char *const *params,
               const struct pg_deadline *dl, PGresult **last, char *err, size_t errsz);

enum { PG_ERR_KEEP_WHERE = 0, PG_ERR_DROP_WHERE = 1 };
/* libpq's (multi-line) message as one line, lines joined with "; ".
 * PG_ERR_DROP_WHERE drops the "connection to server at ... failed: "
 * prefixes when the caller names the server itself. */
void pg_error_line(const char *msg, unsigned flags, char *out, size_t outsz);
/* Copies msg to out with every "quoted" fragment replaced by "...". */
void pg_redact_quoted(const char *msg, char *out, size_t outsz);

/* A libpq connection string or URI; an unencrypted sslmode (disable,
 * allow, prefer) only towards a loopback host or a Unix socket. */
bool pg_check_conninfo(const char *v, struct strbuf *why);

#endif
