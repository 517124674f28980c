/* libpq connection parameters: the DSN from QUEUE_EXPORTER_DSN (conninfo
 * string or URI) or, without it, the standard PG* variables, completed with
 * safe defaults that the DSN or the matching PG* variable may override:
 *   sslmode=require, gssencmode=disable, connect_timeout, TCP keepalives,
 *   tcp_user_timeout, application_name=queue-exporter.
 * The DSN is never logged; libpq's parse errors are shown with quoted
 * fragments redacted, since a fragment may be the password. */
#ifndef QE_CONNINFO_H
#define QE_CONNINFO_H

#include <stddef.h>

#define QE_CONNINFO_MAX 12

struct qe_conninfo {
    const char *keywords[QE_CONNINFO_MAX + 1]; /* NULL-terminated, for PQconnectdbParams */
    const char *values[QE_CONNINFO_MAX + 1];
    char connect_timeout[16];
};

typedef const char *(*qe_getenv_fn)(const char *name);

/* dsn may be NULL or empty. connect_timeout_s is rounded up, at least 2
 * (libpq's minimum). Returns 0, or -1 with a message (no secret) in err.
 * The result points into dsn: keep it alive while ci is used. */
int qe_conninfo_build(struct qe_conninfo *ci, const char *dsn, double connect_timeout_s,
                      qe_getenv_fn env, char *err, size_t errsz);

/* Looks up keyword's value in ci (NULL when absent); for tests and logs. */
const char *qe_conninfo_get(const struct qe_conninfo *ci, const char *keyword);

/* Copies msg to out with every "quoted" fragment replaced by "...". */
void qe_redact_quoted(const char *msg, char *out, size_t outsz);

#endif
